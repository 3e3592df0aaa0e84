/*
 * sched.c - scheduler events to pmt events, with the task table that names
 * every task (see sched.h).
 *
 * The table is an open-addressing hash on tid (tid 0, the idle task, is never
 * stored: it has a name per CPU and is PMT_TID_IDLE in pmt). It grows by
 * doubling at half load, so the per-event work is one or two probes and a
 * 16-byte compare of the name.
 */
#include "record/sched.h"

#include <stdlib.h>
#include <string.h>

struct task_ent {
	uint32_t tid;           /* 0: empty slot                                  */
	uint32_t tgid;
	uint8_t fresh;          /* new or renamed since the last take_new         */
	uint8_t kthread;        /* a kernel thread (or created by one)            */
	char comm[PMT_COMM_LEN];/* NUL-terminated                                 */
};

struct pmt_sched {
	uint16_t level;
	pmt_sched_emit_fn emit;
	void *ctx;
	pmt_sched_tgid_fn tgid_fn;
	void *tgid_ctx;
	struct task_ent *tab;
	uint32_t cap;           /* power of two                                   */
	uint32_t used;
	uint32_t nfresh;
};

static uint32_t hash_tid(uint32_t tid)
{
	return tid * 2654435761u;
}

static struct task_ent *find_slot(struct task_ent *tab, uint32_t cap, uint32_t tid)
{
	uint32_t i = hash_tid(tid) & (cap - 1);
	while (tab[i].tid && tab[i].tid != tid)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static int grow(struct pmt_sched *s)
{
	uint32_t ncap = s->cap ? s->cap * 2 : 1024;
	struct task_ent *nt = calloc(ncap, sizeof(*nt));
	if (!nt)
		return PMT_ENOMEM;
	for (uint32_t i = 0; i < s->cap; i++)
		if (s->tab[i].tid)
			*find_slot(nt, ncap, s->tab[i].tid) = s->tab[i];
	free(s->tab);
	s->tab = nt;
	s->cap = ncap;
	return 0;
}

struct pmt_sched *pmt_sched_new(uint16_t level, pmt_sched_emit_fn emit, void *ctx)
{
	struct pmt_sched *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->level = level;
	s->emit = emit;
	s->ctx = ctx;
	if (grow(s) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void pmt_sched_free(struct pmt_sched *s)
{
	if (!s)
		return;
	free(s->tab);
	free(s);
}

void pmt_sched_set_tgid_fn(struct pmt_sched *s, pmt_sched_tgid_fn fn, void *ctx)
{
	s->tgid_fn = fn;
	s->tgid_ctx = ctx;
}

static struct task_ent *lookup(const struct pmt_sched *s, uint32_t tid)
{
	struct task_ent *e = find_slot(s->tab, s->cap, tid);
	return e->tid ? e : NULL;
}

/* The entry of tid, created (empty name) if absent; NULL on ENOMEM. */
static struct task_ent *get(struct pmt_sched *s, uint32_t tid, int *created)
{
	struct task_ent *e = find_slot(s->tab, s->cap, tid);
	*created = 0;
	if (e->tid)
		return e;
	if ((s->used + 1) * 2 > s->cap) {
		if (grow(s) < 0)
			return NULL;
		e = find_slot(s->tab, s->cap, tid);
	}
	memset(e, 0, sizeof(*e));
	e->tid = tid;
	s->used++;
	*created = 1;
	return e;
}

static void copy_comm(char *dst, const char *src)
{
	size_t n = strnlen(src, PMT_COMM_LEN - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

int pmt_sched_add_known(struct pmt_sched *s, uint32_t tid, uint32_t tgid, const char *comm)
{
	int created;
	if (tid == PMT_TID_IDLE)
		return 0;
	struct task_ent *e = get(s, tid, &created);
	if (!e)
		return PMT_ENOMEM;
	e->tgid = tgid;
	copy_comm(e->comm, comm ? comm : "");
	return 0;
}

void pmt_sched_set_kthread(struct pmt_sched *s, uint32_t tid)
{
	struct task_ent *e = lookup(s, tid);
	if (e)
		e->kthread = 1;
}

uint32_t pmt_sched_tgid(const struct pmt_sched *s, uint32_t tid)
{
	const struct task_ent *e = lookup(s, tid);
	return e ? e->tgid : 0;
}

static void mark_fresh(struct pmt_sched *s, struct task_ent *e)
{
	if (!e->fresh) {
		e->fresh = 1;
		s->nfresh++;
	}
}

static int emit_name(struct pmt_sched *s, uint32_t cpu, uint64_t ts, struct task_ent *e)
{
	struct pmt_event ev = {.ts = ts, .level = s->level, .type = PMT_EV_NAME, .cpu = cpu};
	ev.u.name.tid = e->tid;
	ev.u.name.pid = e->tgid;
	ev.u.name.comm.s = e->comm;
	ev.u.name.comm.len = (uint32_t)strlen(e->comm);
	mark_fresh(s, e);
	return s->emit(s->ctx, &ev);
}

/*
 * Make sure tid is known with this name: a task never seen gets an entry
 * (thread group from the resolver, else itself) and a name record; a known
 * task whose name changed (exec, prctl) gets a name record.
 */
static int see(struct pmt_sched *s, uint32_t cpu, uint64_t ts, uint32_t tid, const char *comm)
{
	int created;
	if (tid == PMT_TID_IDLE || !comm)
		return 0;
	struct task_ent *e = get(s, tid, &created);
	if (!e)
		return PMT_ENOMEM;
	if (created) {
		e->tgid = s->tgid_fn ? s->tgid_fn(s->tgid_ctx, tid) : 0;
		if (!e->tgid)
			e->tgid = tid;
	} else if (strncmp(e->comm, comm, PMT_COMM_LEN - 1) == 0) {
		return 0;
	}
	copy_comm(e->comm, comm);
	return emit_name(s, cpu, ts, e);
}

int pmt_sched_switch(struct pmt_sched *s, uint32_t cpu, uint64_t ts,
		     uint32_t prev, const char *prev_comm, uint32_t prev_state,
		     uint32_t next, const char *next_comm)
{
	int rc;
	if ((rc = see(s, cpu, ts, prev, prev_comm)) < 0 ||
	    (rc = see(s, cpu, ts, next, next_comm)) < 0)
		return rc;
	struct pmt_event ev = {.ts = ts, .level = s->level, .type = PMT_EV_SWITCH, .cpu = cpu};
	ev.u.sw.prev_tid = prev;
	ev.u.sw.prev_state = prev_state;
	ev.u.sw.next_tid = next;
	return s->emit(s->ctx, &ev);
}

int pmt_sched_migrate(struct pmt_sched *s, uint32_t cpu, uint64_t ts,
		      uint32_t tid, const char *comm, uint32_t from, uint32_t to)
{
	int rc = see(s, cpu, ts, tid, comm);
	if (rc < 0)
		return rc;
	struct pmt_event ev = {.ts = ts, .level = s->level, .type = PMT_EV_MIGRATE, .cpu = cpu};
	ev.u.migrate.tid = tid;
	ev.u.migrate.from_cpu = from;
	ev.u.migrate.to_cpu = to;
	return s->emit(s->ctx, &ev);
}

int pmt_sched_wakeup(struct pmt_sched *s, uint32_t cpu, uint64_t ts, uint32_t tid,
		     const char *comm, uint32_t target, uint32_t waker, uint32_t flags)
{
	int rc = see(s, cpu, ts, tid, comm);
	if (rc < 0)
		return rc;
	struct pmt_event ev = {.ts = ts, .level = s->level, .type = PMT_EV_WAKEUP, .cpu = cpu};
	ev.u.wakeup.tid = tid;
	ev.u.wakeup.target_cpu = target;
	ev.u.wakeup.waker_tid = waker;
	ev.u.wakeup.flags = flags;
	return s->emit(s->ctx, &ev);
}

int pmt_sched_fork(struct pmt_sched *s, uint32_t cpu, uint64_t ts, uint32_t parent,
		   uint32_t child, const char *child_comm, int is_thread)
{
	int created, rc;
	uint32_t ptgid = pmt_sched_tgid(s, parent);
	if (!ptgid && s->tgid_fn)
		ptgid = s->tgid_fn(s->tgid_ctx, parent);
	if (!ptgid)
		ptgid = parent;
	struct pmt_event ev = {.ts = ts, .level = s->level, .type = PMT_EV_FORK, .cpu = cpu};
	ev.u.fork.parent_tid = parent;
	ev.u.fork.child_tid = child;
	ev.u.fork.child_pid = is_thread > 0 ? ptgid : child;
	ev.u.fork.flags = is_thread > 0 ? PMT_FORK_THREAD : 0;
	if ((rc = s->emit(s->ctx, &ev)) < 0)
		return rc;
	/* A reused tid starts afresh: the new task's group and name. */
	struct task_ent *e = get(s, child, &created);
	if (!e)
		return PMT_ENOMEM;
	const struct task_ent *p = lookup(s, parent); /* after get: it may grow */
	e->tgid = ev.u.fork.child_pid;
	e->kthread = p ? p->kthread : 0;
	if (!child_comm)
		child_comm = p ? p->comm : "";
	copy_comm(e->comm, child_comm);
	return emit_name(s, cpu, ts, e);
}

int pmt_sched_exec(struct pmt_sched *s, uint32_t cpu, uint64_t ts, uint32_t tid,
		   uint32_t old_tid, const char *filename)
{
	int created;
	const char *base = strrchr(filename, '/');
	base = base ? base + 1 : filename;
	struct task_ent *e = get(s, tid, &created);
	if (!e)
		return PMT_ENOMEM;
	if (created || !e->tgid)
		e->tgid = tid;
	if (old_tid != tid) {
		/* A non-leader thread executed: it now runs as the leader's tid
		 * and its old tid is gone. */
		struct pmt_event ex = {.ts = ts, .level = s->level, .type = PMT_EV_EXIT, .cpu = cpu};
		ex.u.exit.tid = old_tid;
		int rc = s->emit(s->ctx, &ex);
		if (rc < 0)
			return rc;
	}
	copy_comm(e->comm, base);
	mark_fresh(s, e);
	struct pmt_event ev = {.ts = ts, .level = s->level, .type = PMT_EV_EXEC, .cpu = cpu};
	ev.u.exec.tid = tid;
	ev.u.exec.comm.s = e->comm;
	ev.u.exec.comm.len = (uint32_t)strlen(e->comm);
	return s->emit(s->ctx, &ev);
}

int pmt_sched_exit(struct pmt_sched *s, uint32_t cpu, uint64_t ts, uint32_t tid)
{
	/* The entry stays: the task's last switch-out follows its exit. */
	struct pmt_event ev = {.ts = ts, .level = s->level, .type = PMT_EV_EXIT, .cpu = cpu};
	ev.u.exit.tid = tid;
	return s->emit(s->ctx, &ev);
}

int pmt_sched_lost(struct pmt_sched *s, uint32_t cpu, uint64_t ts, uint64_t count,
		   uint64_t span)
{
	struct pmt_event ev = {.ts = ts, .level = s->level, .type = PMT_EV_LOST, .cpu = cpu};
	ev.u.lost.count = count;
	ev.u.lost.span = span;
	return s->emit(s->ctx, &ev);
}

void pmt_sched_take_new(struct pmt_sched *s,
			void (*fn)(void *ctx, uint32_t tid, uint32_t tgid, uint32_t flags,
				   const char *comm),
			void *ctx)
{
	if (!s->nfresh)
		return;
	for (uint32_t i = 0; i < s->cap; i++) {
		struct task_ent *e = &s->tab[i];
		if (e->tid && e->fresh) {
			e->fresh = 0;
			fn(ctx, e->tid, e->tgid, e->kthread ? PMT_TASK_KTHREAD : 0, e->comm);
		}
	}
	s->nfresh = 0;
}

uint32_t pmt_sched_state_letter(char c)
{
	switch (c) {
	case 'R': return PMT_STATE_RUNNABLE;
	case 'S': return PMT_STATE_SLEEPING;
	case 'D': return PMT_STATE_DISK;
	case 'T': return PMT_STATE_STOPPED;
	case 't': return PMT_STATE_TRACED;
	case 'X': case 'Z': return PMT_STATE_DEAD;
	case 'P': return PMT_STATE_PARKED;
	case 'I': return PMT_STATE_IDLE;
	default: return PMT_STATE_OTHER;
	}
}

uint32_t pmt_sched_state_text(const char *s, size_t len)
{
	return len ? pmt_sched_state_letter(s[0]) : PMT_STATE_OTHER;
}
