/*
 * engine.c - the streaming engine: per-CPU and per-entity state machines fed
 * one event at a time (see engine.h for the rules on holes in the stream).
 *
 * Hot path: a switch costs one hash lookup (the next entity; the previous one
 * is the CPU's cached current entity) and no allocation; entities are created
 * once and live in fixed slabs so pointers to them stay valid.
 */
#include "analyze/engine/engine.h"

#include <stdlib.h>
#include <string.h>

#define SLAB_SHIFT 9
#define SLAB_N (1u << SLAB_SHIFT)

typedef void (*iv_fn)(void *, struct eng *, const struct eng_interval *);
typedef void (*ci_fn)(void *, struct eng *, const struct eng_cpu_interval *);
typedef void (*mig_fn)(void *, struct eng *, const struct eng_migration *);
typedef void (*wk_fn)(void *, struct eng *, const struct eng_wakeup *);
typedef void (*lat_fn)(void *, struct eng *, const struct eng_latency *);
typedef void (*lost_fn)(void *, struct eng *, const struct eng_lost *);
typedef void (*ev_fn)(void *, struct eng *, const struct pmt_event *);
typedef void (*ent_fn)(void *, struct eng *, struct eng_entity *);

#define CBLIST(type, name) struct { type fn; void *ctx; } name[ENG_MAX_MODULES]; int n_##name

struct slot {
	uint64_t key;
	struct eng_entity *en;
};

struct task0 {
	uint16_t level;
	uint32_t tid, pid, flags;
	char *comm;
};

struct eng {
	int64_t start_ns, last_ns, end_ns, stop_ns, now;
	int64_t feed_stop_ns;   /* stop_ns, INT64_MAX without one: one compare per event */
	int64_t max_ns;         /* start_ns + ENG_SPAN_MAX: later times are cut there */
	int has_stop, begun, finished;
	size_t nlevels;
	struct eng_level *levels;
	uint64_t *mult_num, *mult_den; /* per level: ns per raw tick             */
	struct { struct eng_cpu *cpus; uint32_t ncpus; } *lvcpu; /* per level: its CPUs */
	size_t ncpus;
	struct eng_cpu *cpus;
	/* modules */
	int nmod;
	const struct eng_module *mods[ENG_MAX_MODULES];
	void *ctxs[ENG_MAX_MODULES];
	size_t offs[ENG_MAX_MODULES];
	size_t stride;
	CBLIST(iv_fn, iv);
	unsigned iv_states[ENG_MAX_MODULES]; /* per iv entry: states wanted     */
	unsigned iv_any;                     /* their union, states RUNNING..UNKNOWN
						only (0: no interval is built)   */
	CBLIST(ci_fn, ci);
	CBLIST(mig_fn, mig);
	CBLIST(wk_fn, wk);
	CBLIST(lat_fn, lat);
	CBLIST(lost_fn, lost);
	CBLIST(ev_fn, ev);
	CBLIST(ent_fn, ent);
	/* entities */
	char **slabs;
	size_t nslabs, nent;
	struct slot *hash;
	size_t hcap, hmask;
	int hbits;
	/* initial task table, applied at begin */
	struct task0 *tasks;
	size_t ntasks;
	uint64_t migrate, cpu_changes, bad_events;
	int oom;
};

#define EMPTY_KEY UINT64_MAX
#define EMIT(e, list, arg)                                                     \
	do {                                                                   \
		for (int i_ = 0; i_ < (e)->n_##list; i_++)                     \
			(e)->list[i_].fn((e)->list[i_].ctx, (e), (arg));       \
	} while (0)

static const char *const state_names[ENG_STATE_MAX_] = {
	"new", "running", "runnable", "blocked", "unknown", "gone",
};

const char *eng_state_name(int s)
{
	return s >= 0 && s < ENG_STATE_MAX_ ? state_names[s] : "?";
}

static char *xstrdup(const char *s)
{
	if (!s)
		s = "";
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* ------------------------------------------------------------ creation */

struct eng *eng_new(const struct pmt_info *in)
{
	struct eng *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->start_ns = in->first_ns;
	/* Times are kept within ENG_SPAN_MAX of the start, so that every
	 * difference and every sum of one CPU's or one entity's intervals
	 * fits in 64 bits (a damaged or crafted clock can put events anywhere) */
	e->max_ns = in->first_ns > INT64_MAX - ENG_SPAN_MAX ? INT64_MAX : in->first_ns + ENG_SPAN_MAX;
	e->last_ns = in->last_ns < in->first_ns ? in->first_ns : in->last_ns;
	if (e->last_ns > e->max_ns)
		e->last_ns = e->max_ns;
	e->end_ns = e->last_ns;
	e->now = e->start_ns;
	e->feed_stop_ns = INT64_MAX;
	e->nlevels = in->nlevels;
	e->levels = calloc(in->nlevels ? in->nlevels : 1, sizeof(*e->levels));
	e->mult_num = calloc(in->nlevels ? in->nlevels : 1, sizeof(uint64_t));
	e->mult_den = calloc(in->nlevels ? in->nlevels : 1, sizeof(uint64_t));
	if (!e->levels || !e->mult_num || !e->mult_den)
		goto fail;
	size_t ncpus = 0;
	for (size_t i = 0; i < in->nlevels; i++) {
		const struct pmt_level *pl = &in->levels[i];
		struct eng_level *l = &e->levels[i];
		l->id = (uint16_t)i;
		l->kind = pl->kind;
		l->name = xstrdup(pl->name ? pl->name : "");
		l->ncpus = pl->ncpus > PMT_MAX_CPUS ? PMT_MAX_CPUS : pl->ncpus;
		l->guest_id = pl->guest_id;
		l->cpu_base = (uint32_t)ncpus;
		l->host_level = -1;
		if (!l->name)
			goto fail;
		e->mult_num[i] = e->mult_den[i] = 1;
		if (pl->clock < in->nclocks && in->clocks[pl->clock].mult_num &&
		    in->clocks[pl->clock].mult_den) {
			e->mult_num[i] = in->clocks[pl->clock].mult_num;
			e->mult_den[i] = in->clocks[pl->clock].mult_den;
		}
		ncpus += l->ncpus;
	}
	e->ncpus = ncpus;
	e->cpus = calloc(ncpus ? ncpus : 1, sizeof(*e->cpus));
	e->lvcpu = calloc(in->nlevels ? in->nlevels : 1, sizeof(*e->lvcpu));
	if (!e->cpus || !e->lvcpu)
		goto fail;
	for (size_t i = 0; i < in->nlevels; i++) {
		e->lvcpu[i].cpus = e->cpus + e->levels[i].cpu_base;
		e->lvcpu[i].ncpus = e->levels[i].ncpus;
	}
	for (size_t i = 0; i < in->nlevels; i++) {
		struct eng_level *l = &e->levels[i];
		for (uint32_t c = 0; c < l->ncpus; c++) {
			struct eng_cpu *cp = &e->cpus[l->cpu_base + c];
			cp->level = l->id;
			cp->cpu = c;
			cp->index = l->cpu_base + c;
			cp->mode = ENG_CPU_START;
			cp->cur_tid = ENG_NONE;
			cp->since_ns = cp->bound_ns = cp->last_ns = e->start_ns;
		}
	}
	for (size_t i = 0; i < in->nbindings; i++) {
		const struct pmt_binding *b = &in->bindings[i];
		if (b->guest_level >= e->nlevels || b->host_level >= e->nlevels)
			continue;
		struct eng_level *g = &e->levels[b->guest_level];
		if (b->guest_cpu >= g->ncpus)
			continue;
		if (!g->vcpu_tid) {
			g->vcpu_tid = malloc(g->ncpus * sizeof(uint32_t));
			if (!g->vcpu_tid)
				goto fail;
			for (uint32_t v = 0; v < g->ncpus; v++)
				g->vcpu_tid[v] = ENG_NONE;
		}
		g->host_level = b->host_level;
		g->vcpu_tid[b->guest_cpu] = b->host_tid;
	}
	if (in->ntasks) {
		e->tasks = calloc(in->ntasks, sizeof(*e->tasks));
		if (!e->tasks)
			goto fail;
		for (size_t i = 0; i < in->ntasks; i++) {
			const struct pmt_task *t = &in->tasks[i];
			e->tasks[i] = (struct task0){ t->level, t->tid, t->pid, t->flags, xstrdup(t->comm) };
			e->ntasks++;
			if (!e->tasks[i].comm)
				goto fail;
		}
	}
	e->hbits = 10;
	e->hcap = (size_t)1 << e->hbits;
	e->hmask = e->hcap - 1;
	e->hash = malloc(e->hcap * sizeof(*e->hash));
	if (!e->hash)
		goto fail;
	for (size_t i = 0; i < e->hcap; i++)
		e->hash[i].key = EMPTY_KEY;
	e->stride = sizeof(struct eng_entity);
	return e;
fail:
	eng_free(e);
	return NULL;
}

void eng_free(struct eng *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nent; i++) {
		struct eng_entity *en = eng_entity_at(e, i);
		if (en->comm != en->comm_buf)
			free((char *)en->comm);
	}
	for (size_t i = 0; i < e->nslabs; i++)
		free(e->slabs[i]);
	free(e->slabs);
	free(e->hash);
	for (size_t i = 0; i < e->nlevels; i++) {
		free((char *)e->levels[i].name);
		free(e->levels[i].vcpu_tid);
	}
	free(e->levels);
	free(e->mult_num);
	free(e->mult_den);
	free(e->cpus);
	free(e->lvcpu);
	for (size_t i = 0; i < e->ntasks; i++)
		free(e->tasks[i].comm);
	free(e->tasks);
	free(e);
}

int eng_add_module(struct eng *e, const struct eng_module *m, void *ctx)
{
	if (e->begun || e->nmod >= ENG_MAX_MODULES)
		return -1;
	int id = e->nmod++;
	e->mods[id] = m;
	e->ctxs[id] = ctx;
	size_t al = (m->entity_priv + 7) & ~(size_t)7;
	e->offs[id] = e->stride;
	e->stride += al;
#define ADD(list, f) if (m->f) { e->list[e->n_##list].fn = m->f; e->list[e->n_##list].ctx = ctx; e->n_##list++; }
	if (m->interval) {
		unsigned want = m->interval_states ? m->interval_states : ~0u;
		e->iv_states[e->n_iv] = want;
		/* only these states have intervals */
		e->iv_any |= want & ((1u << ENG_RUNNING) | (1u << ENG_RUNNABLE) |
				     (1u << ENG_BLOCKED) | (1u << ENG_UNKNOWN));
	}
	ADD(iv, interval);
	ADD(ci, cpu_interval);
	ADD(mig, migration);
	ADD(wk, wakeup);
	ADD(lat, latency);
	ADD(lost, lost);
	ADD(ev, event);
	ADD(ent, entity_new);
#undef ADD
	return id;
}

size_t eng_priv_offset(const struct eng *e, int id)
{
	return id >= 0 && id < e->nmod ? e->offs[id] : 0;
}

void eng_set_stop(struct eng *e, int64_t stop_ns)
{
	if (stop_ns > e->max_ns)
		stop_ns = e->max_ns;
	e->has_stop = 1;
	e->stop_ns = stop_ns;
	e->feed_stop_ns = stop_ns;
}

/* ------------------------------------------------------------ entities */

static inline uint64_t ekey(uint16_t level, uint32_t tid)
{
	return (uint64_t)level << 32 | tid;
}

static inline size_t hslot(const struct eng *e, uint64_t key)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - e->hbits));
}

struct eng_entity *eng_entity_at(struct eng *e, size_t i)
{
	if (i >= e->nent)
		return NULL;
	return (struct eng_entity *)(e->slabs[i >> SLAB_SHIFT] + (i & (SLAB_N - 1)) * e->stride);
}

struct eng_entity *eng_entity_find(struct eng *e, uint16_t level, uint32_t tid)
{
	uint64_t k = ekey(level, tid);
	for (size_t s = hslot(e, k);; s = (s + 1) & e->hmask) {
		if (e->hash[s].key == k)
			return e->hash[s].en;
		if (e->hash[s].key == EMPTY_KEY)
			return NULL;
	}
}

static int hash_grow(struct eng *e)
{
	int bits = e->hbits + 1;
	size_t cap = (size_t)1 << bits;
	struct slot *h = malloc(cap * sizeof(*h));
	if (!h)
		return -1;
	for (size_t i = 0; i < cap; i++)
		h[i].key = EMPTY_KEY;
	struct slot *old = e->hash;
	size_t ocap = e->hcap;
	e->hash = h;
	e->hcap = cap;
	e->hmask = cap - 1;
	e->hbits = bits;
	for (size_t i = 0; i < ocap; i++) {
		if (old[i].key == EMPTY_KEY)
			continue;
		size_t s = hslot(e, old[i].key);
		while (h[s].key != EMPTY_KEY)
			s = (s + 1) & e->hmask;
		h[s] = old[i];
	}
	free(old);
	return 0;
}

static void set_comm(struct eng_entity *en, const char *s, size_t len)
{
	if (len > PMT_MAX_STRING)
		len = PMT_MAX_STRING;
	char *dst;
	if (len < sizeof(en->comm_buf)) {
		if (en->comm != en->comm_buf)
			free((char *)en->comm);
		dst = en->comm_buf;
	} else {
		dst = malloc(len + 1);
		if (!dst)
			return; /* keep the old name */
		if (en->comm != en->comm_buf)
			free((char *)en->comm);
	}
	memcpy(dst, s, len);
	dst[len] = 0;
	en->comm = dst;
	en->comm_len = len < 255 ? (uint8_t)len : 255;
}

static struct eng_entity *ent_new(struct eng *e, uint16_t level, uint32_t tid, size_t s);

/* Find or create (level, tid). NULL only when memory ran out. The lookup is
 * inlined into the hot paths; creation is not. */
static inline __attribute__((always_inline)) struct eng_entity *ent_get(struct eng *e, uint16_t level, uint32_t tid)
{
	uint64_t k = ekey(level, tid);
	size_t s = hslot(e, k);
	for (;; s = (s + 1) & e->hmask) {
		if (e->hash[s].key == k)
			return e->hash[s].en;
		if (e->hash[s].key == EMPTY_KEY)
			return ent_new(e, level, tid, s);
	}
}

static __attribute__((noinline)) struct eng_entity *ent_new(struct eng *e, uint16_t level,
							     uint32_t tid, size_t s)
{
	uint64_t k = ekey(level, tid);
	if ((e->nent + 1) * 2 > e->hcap) {
		if (hash_grow(e)) {
			e->oom = 1;
			return NULL;
		}
		s = hslot(e, k);
		while (e->hash[s].key != EMPTY_KEY)
			s = (s + 1) & e->hmask;
	}
	if ((e->nent >> SLAB_SHIFT) >= e->nslabs) {
		char **sl = realloc(e->slabs, (e->nslabs + 1) * sizeof(*sl));
		if (!sl) {
			e->oom = 1;
			return NULL;
		}
		e->slabs = sl;
		sl[e->nslabs] = calloc(SLAB_N, e->stride);
		if (!sl[e->nslabs]) {
			e->oom = 1;
			return NULL;
		}
		e->nslabs++;
	}
	struct eng_entity *en = (struct eng_entity *)(e->slabs[e->nent >> SLAB_SHIFT] +
						     (e->nent & (SLAB_N - 1)) * e->stride);
	en->tid = tid;
	en->pid = tid;
	en->level = level;
	en->state = ENG_NEW;
	en->index = (uint32_t)e->nent++;
	en->cpu = ENG_NONE;
	en->since_ns = e->now;
	en->comm_buf[0] = 0;
	en->comm = en->comm_buf;
	en->vcpu_level = -1;
	en->vcpu = ENG_NONE;
	en->wake_ns = -1;
	en->off_ns = -1;
	en->waker = ENG_NONE;
	en->wake_cpu = ENG_NONE;
	e->hash[s].key = k;
	e->hash[s].en = en;
	/* a host entity bound to a guest CPU */
	for (size_t g = 0; g < e->nlevels; g++) {
		const struct eng_level *gl = &e->levels[g];
		if (!gl->vcpu_tid || gl->host_level != (int32_t)level)
			continue;
		for (uint32_t v = 0; v < gl->ncpus; v++)
			if (gl->vcpu_tid[v] == tid) {
				en->flags |= ENG_ENT_VCPU;
				en->vcpu_level = (int32_t)g;
				en->vcpu = v;
			}
	}
	EMIT(e, ent, en);
	return en;
}

/*
 * (c's level, tid), looked up first among the two entities last named on c
 * (switched in, or woken, there): tasks taking turns on a CPU and the tasks
 * they wake are mostly these. Entities never move, so the pointers stay
 * good; a tid names one entity per level for the whole trace.
 */
static inline __attribute__((always_inline)) struct eng_entity *ent_near(struct eng *e, struct eng_cpu *c,
									  uint32_t tid)
{
	struct eng_entity *en = c->near[0];
	if (en && en->tid == tid)
		return en;
	en = c->near[1];
	if (!en || en->tid != tid) {
		en = ent_get(e, c->level, tid);
		if (!en)
			return NULL;
	}
	c->near[1] = c->near[0];
	c->near[0] = en;
	return en;
}

static void begin(struct eng *e)
{
	e->begun = 1;
	for (int i = 0; i < e->nmod; i++)
		if (e->mods[i]->begin)
			e->mods[i]->begin(e->ctxs[i], e);
	for (size_t i = 0; i < e->ntasks; i++) {
		const struct task0 *t = &e->tasks[i];
		if (t->level >= e->nlevels || t->tid == PMT_TID_IDLE)
			continue;
		struct eng_entity *en = ent_get(e, t->level, t->tid);
		if (!en)
			continue;
		en->pid = t->pid;
		if (t->flags & PMT_TASK_KTHREAD)
			en->flags |= ENG_ENT_KTHREAD;
		set_comm(en, t->comm, strlen(t->comm));
	}
	/* bound host entities exist from the start */
	for (size_t g = 0; g < e->nlevels; g++) {
		const struct eng_level *gl = &e->levels[g];
		if (!gl->vcpu_tid)
			continue;
		for (uint32_t v = 0; v < gl->ncpus; v++)
			if (gl->vcpu_tid[v] != ENG_NONE && gl->vcpu_tid[v] != PMT_TID_IDLE)
				ent_get(e, (uint16_t)gl->host_level, gl->vcpu_tid[v]);
	}
}

/* ------------------------------------------------------- state changes */

/* End en's current state at t and start state ns (flags: sf for the new
 * state, ef added to the one that ends). */
#define BARE_IV 1
#define BARE_MIG 2

static inline __attribute__((always_inline)) void ent_set_(struct eng *e, struct eng_entity *en, int ns, int64_t t,
		    unsigned ef, unsigned sf, uint32_t waker, const int bare)
{
	int st = en->state;
	if (st == ENG_RUNNING)
		en->run_ns += t - (en->since_ns < t ? en->since_ns : t);
	if (!(bare & BARE_IV) && ((e->iv_any >> st) & 1)) {
		int64_t s0 = en->since_ns < t ? en->since_ns : t;
		if (t > s0 || st == ENG_RUNNING) {
			struct eng_interval iv = {
				.ent = en,
				.state = (uint8_t)st,
				.flags = (uint8_t)(en->start_flags | ef),
				.prev_state = st == ENG_RUNNING ? 0 : en->prev_state,
				.cpu = en->cpu,
				.waker = waker,
				.start_ns = s0,
				.end_ns = t,
			};
			for (int i = 0; i < e->n_iv; i++)
				if ((e->iv_states[i] >> st) & 1)
					e->iv[i].fn(e->iv[i].ctx, e, &iv);
		}
	}
	en->state = (uint8_t)ns;
	en->since_ns = t;
	en->start_flags = (uint8_t)sf;
}

/* Close the CPU's current interval at t. */
static inline __attribute__((always_inline)) void cpu_close_(struct eng *e, struct eng_cpu *c, int64_t t,
							     unsigned ef, const int bare)
{
	int64_t s0 = c->since_ns;
	if (t <= s0 || c->mode == ENG_CPU_START)
		return;
	int64_t d = t - s0;
	uint32_t tid = c->mode == ENG_CPU_KNOWN ? c->cur_tid : ENG_NONE;
	if (tid == ENG_NONE)
		c->unknown_ns += d;
	else if (tid == PMT_TID_IDLE)
		c->idle_ns += d;
	else
		c->busy_ns += d;
	if (!(bare & BARE_IV) && e->n_ci) {
		struct eng_cpu_interval ci = {
			.cpu = c,
			.tid = tid,
			.ent = tid == ENG_NONE || tid == PMT_TID_IDLE ? NULL : c->cur,
			.flags = (uint8_t)(c->start_flags | ef),
			.start_ns = s0,
			.end_ns = t,
		};
		EMIT(e, ci, &ci);
	}
	c->since_ns = t;
}

/* bare (a constant where inlined): BARE_IV, no module takes intervals,
 * CPU intervals, wakeups or latencies; BARE_MIG, nor migrations: their
 * checks go. The paths that are not hot always check. */
#define ent_set(e, en, ns, t, ef, sf, waker) ent_set_(e, en, ns, t, ef, sf, waker, 0)
#define cpu_close(e, c, t, ef) cpu_close_(e, c, t, ef, 0)

static inline struct eng_cpu *cpu_of(struct eng *e, uint16_t level, uint32_t cpu)
{
	if (level >= e->nlevels || cpu >= e->lvcpu[level].ncpus)
		return NULL;
	return e->lvcpu[level].cpus + cpu;
}

/*
 * What we believed ran on d did not (a switch-out is missing): relabel d's
 * open interval and its entity's running state as unknown (nothing was
 * delivered for them yet, so nothing is taken back).
 */
static __attribute__((noinline)) void make_unknown(struct eng *e, struct eng_cpu *d)
{
	(void)e;
	if (d->mode == ENG_CPU_KNOWN && d->cur) {
		struct eng_entity *en = d->cur;
		if (en->state == ENG_RUNNING && en->cpu == d->cpu && en->level == d->level) {
			en->state = ENG_UNKNOWN;
			en->start_flags |= ENG_F_START_RESYNC;
			en->uncertain = 1;
		}
	}
	if (d->mode == ENG_CPU_START)
		d->start_flags = ENG_F_START_TRACE;
	d->mode = ENG_CPU_UNKNOWN;
	d->cur = NULL;
	d->cur_tid = ENG_NONE;
	/* nothing on d proves anything any more: the next switch there starts
	 * its prev at the switch itself */
	d->bound_ns = INT64_MAX;
	d->await_bound = 0;
	d->conflicts++;
}

/* en starts running on c at s (a seen switch-in, or an inferred one). */
static inline __attribute__((always_inline)) void run_start_(struct eng *e, struct eng_cpu *c,
							     struct eng_entity *en, int64_t s, unsigned sf,
							     const int bare)
{
	if (en->state == ENG_RUNNING) {
		struct eng_cpu *d = cpu_of(e, en->level, en->cpu);
		if (d && d != c && d->cur == en)
			make_unknown(e, d);
		else
			en->state = ENG_UNKNOWN;
		en->uncertain = 1;
	}
	int was = en->state;
	int64_t since = en->since_ns;
	uint32_t last = en->cpu;
	int64_t wake = en->wake_ns;
	uint32_t waker = en->waker;
	ent_set_(e, en, ENG_RUNNING, s, (sf & ENG_F_START_INFERRED) ? ENG_F_END_INFERRED : 0, sf,
		 ENG_NONE, bare);
	if (last != ENG_NONE && last != c->cpu) {
		e->cpu_changes++;
		en->cpu_changes++;
		if (!(bare & BARE_MIG) && e->n_mig) {
			struct eng_migration m = {
				.ent = en,
				.kind = ENG_MIG_CPU_CHANGE,
				.flags = (uint8_t)((sf & ENG_F_START_INFERRED) |
						   (en->uncertain ? ENG_F_END_UNKNOWN : 0)),
				.from_cpu = last,
				.to_cpu = c->cpu,
				.time_ns = s,
				.off_cpu_ns = en->off_ns >= 0 && en->off_ns <= s ? s - en->off_ns : -1,
			};
			EMIT(e, mig, &m);
		}
	}
	if (!(bare & BARE_IV) && was == ENG_RUNNABLE && e->n_lat) {
		struct eng_latency l = {
			.ent = en,
			.waker = wake >= 0 ? waker : ENG_NONE,
			.cpu = c->cpu,
			.flags = (uint8_t)((sf & ENG_F_START_INFERRED) ? ENG_F_END_INFERRED : 0),
			.wake_ns = wake,
			.runnable_ns = since < s ? since : s,
			.run_ns = s,
		};
		EMIT(e, lat, &l);
	}
	en->cpu = c->cpu;
	en->uncertain = 0;
	en->wake_ns = -1;
}

#define run_start(e, c, en, s, sf) run_start_(e, c, en, s, sf, 0)

/*
 * The switch at t names prev P, but the engine did not believe P ran on c:
 * establish P's run (see the table in engine.h) so that the switch-out can
 * be applied normally.
 */
static __attribute__((noinline)) void establish_prev(struct eng *e, struct eng_cpu *c, uint32_t P,
			   struct eng_entity *ep, int64_t t)
{
	int64_t B = c->bound_ns;
	if (B > t)
		B = t;
	if (P == PMT_TID_IDLE) {
		if (c->mode == ENG_CPU_START) {
			c->start_flags = ENG_F_START_TRACE;
		} else if (c->mode == ENG_CPU_UNKNOWN) {
			cpu_close(e, c, B, 0);
			c->start_flags = ENG_F_START_RESYNC;
			c->resyncs++;
		} else {
			/* KNOWN, a task C was running: its switch-out is missing */
			make_unknown(e, c);
			cpu_close(e, c, t, 0);
			c->start_flags = ENG_F_START_RESYNC;
		}
		c->mode = ENG_CPU_KNOWN;
		c->cur_tid = PMT_TID_IDLE;
		c->cur = NULL;
		return;
	}
	int64_t pb = INT64_MIN;
	if (ep->state != ENG_NEW)
		pb = ep->since_ns;
	int64_t s = B > pb ? B : pb;
	if (s > t)
		s = t;
	unsigned sf;
	switch (c->mode) {
	case ENG_CPU_START:
		if (s > c->since_ns) {
			/* idle since the start, then a switch-in that was not recorded */
			c->mode = ENG_CPU_KNOWN;
			c->cur_tid = PMT_TID_IDLE;
			c->cur = NULL;
			c->start_flags = ENG_F_START_TRACE;
			cpu_close(e, c, s, ENG_F_END_INFERRED);
			c->inferred++;
			sf = ENG_F_START_INFERRED;
		} else {
			sf = ENG_F_START_TRACE;
		}
		break;
	case ENG_CPU_KNOWN:
		if (c->cur_tid == PMT_TID_IDLE) {
			cpu_close(e, c, s, ENG_F_END_INFERRED);
			c->inferred++;
			sf = ENG_F_START_INFERRED;
		} else {
			/* C's switch-out is missing (this machine's CPU 1 also drops
			 * some of those): X's run is inferred as in the idle case; what
			 * ran on c from C's switch-in to s (C, or idle) is unknown */
			make_unknown(e, c);
			cpu_close(e, c, s, 0);
			c->inferred++;
			sf = ENG_F_START_INFERRED;
		}
		break;
	default:
		cpu_close(e, c, s, 0);
		c->resyncs++;
		sf = ENG_F_START_RESYNC;
		break;
	}
	c->mode = ENG_CPU_KNOWN;
	c->cur_tid = P;
	c->cur = ep;
	c->since_ns = s;
	c->start_flags = (uint8_t)sf;
	run_start(e, c, ep, s, sf);
}

static inline __attribute__((always_inline)) void on_switch(struct eng *e, struct eng_cpu *c,
							     const struct pmt_event *ev, int64_t t,
							     const int bare)
{
	uint32_t P = ev->u.sw.prev_tid, N = ev->u.sw.next_tid;
	struct eng_entity *ep = NULL;
	if (c->mode == ENG_CPU_KNOWN && c->cur_tid == P) {
		ep = c->cur;
	} else if (P != PMT_TID_IDLE) {
		ep = ent_get(e, ev->level, P);
		if (!ep)
			return;
	}
	if (!(c->mode == ENG_CPU_KNOWN && c->cur_tid == P))
		establish_prev(e, c, P, ep, t);
	/* switch-out of P */
	cpu_close_(e, c, t, 0, bare);
	if (ep) {
		uint32_t ps = ev->u.sw.prev_state;
		int ns = ps == PMT_STATE_RUNNABLE ? ENG_RUNNABLE
		       : ps == PMT_STATE_DEAD ? ENG_GONE : ENG_BLOCKED;
		ent_set_(e, ep, ns, t, 0, 0, ENG_NONE, bare);
		ep->prev_state = ps < 256 ? (uint8_t)ps : PMT_STATE_OTHER;
		ep->off_ns = t;
		ep->wake_ns = -1;
		ep->waker = ENG_NONE;
		if (ns == ENG_GONE) {
			/* a later task reusing the tid starts afresh */
			ep->cpu = ENG_NONE;
			ep->off_ns = -1;
		}
	}
	/* switch-in of N */
	c->mode = ENG_CPU_KNOWN;
	c->since_ns = t;
	c->bound_ns = t;
	c->start_flags = 0;
	c->cur_tid = N;
	c->cur = NULL;
	if (N != PMT_TID_IDLE) {
		struct eng_entity *en = ent_near(e, c, N);
		if (!en) {
			c->mode = ENG_CPU_UNKNOWN;
			c->cur_tid = ENG_NONE;
			return;
		}
		run_start_(e, c, en, t, 0, bare);
		c->cur = en;
	}
}

static void on_lost(struct eng *e, struct eng_cpu *c, const struct pmt_event *ev, int64_t t)
{
	c->lost_records++;
	c->lost_events += ev->u.lost.count;
	int64_t end = t;
	if (ev->u.lost.span) {
		__int128 d = (__int128)ev->u.lost.span * e->mult_num[ev->level] / e->mult_den[ev->level];
		end = d > INT64_MAX - t ? INT64_MAX : t + (int64_t)d;
	}
	if (c->mode == ENG_CPU_KNOWN) {
		if (c->cur)
			ent_set(e, c->cur, ENG_UNKNOWN, t, ENG_F_END_UNKNOWN, ENG_F_START_RESYNC,
				ENG_NONE);
		if (c->cur)
			c->cur->uncertain = 1;
		cpu_close(e, c, t, ENG_F_END_UNKNOWN);
		c->start_flags = 0;
	} else if (c->mode == ENG_CPU_START) {
		c->start_flags = ENG_F_START_TRACE;
	}
	c->mode = ENG_CPU_UNKNOWN;
	c->cur = NULL;
	c->cur_tid = ENG_NONE;
	if (ev->u.lost.span) {
		c->bound_ns = end;
		c->await_bound = 0;
	} else {
		c->bound_ns = t;
		c->await_bound = 1;
	}
	if (e->n_lost) {
		struct eng_lost l = { c, ev->u.lost.count, t, end };
		EMIT(e, lost, &l);
	}
}

static inline __attribute__((always_inline)) void on_wakeup(struct eng *e, struct eng_cpu *c,
							     const struct pmt_event *ev, int64_t t,
							     const int bare)
{
	uint32_t tid = ev->u.wakeup.tid;
	if (tid == PMT_TID_IDLE)
		return;
	struct eng_entity *en = ent_near(e, c, tid);
	if (!en)
		return;
	int eff = en->state == ENG_NEW || en->state == ENG_BLOCKED ||
		  en->state == ENG_UNKNOWN || en->state == ENG_GONE;
	if (eff) {
		ent_set_(e, en, ENG_RUNNABLE, t, 0, 0, ev->u.wakeup.waker_tid, bare);
		en->wake_ns = t;
		en->waker = ev->u.wakeup.waker_tid;
		en->wake_cpu = ev->u.wakeup.target_cpu;
	}
	if (!(bare & BARE_IV) && e->n_wk) {
		struct eng_wakeup w = {
			.ent = en,
			.effective = eff,
			.waker = ev->u.wakeup.waker_tid,
			.target_cpu = ev->u.wakeup.target_cpu,
			.flags = ev->u.wakeup.flags,
			.level = ev->level,
			.event_cpu = ev->cpu,
			.time_ns = t,
		};
		EMIT(e, wk, &w);
	}
}

static void on_migrate(struct eng *e, const struct pmt_event *ev, int64_t t)
{
	uint32_t tid = ev->u.migrate.tid;
	if (tid == PMT_TID_IDLE)
		return;
	struct eng_entity *en = ent_get(e, ev->level, tid);
	if (!en)
		return;
	e->migrate++;
	en->migrations++;
	if (e->n_mig) {
		struct eng_migration m = {
			.ent = en,
			.kind = ENG_MIG_MIGRATE,
			.from_cpu = ev->u.migrate.from_cpu,
			.to_cpu = ev->u.migrate.to_cpu,
			.time_ns = t,
			.off_cpu_ns = en->state != ENG_RUNNING && en->off_ns >= 0 && en->off_ns <= t
					      ? t - en->off_ns : -1,
		};
		EMIT(e, mig, &m);
	}
}

/* A CPU without its first switch yet: what ran there before the stop time
 * is only known from that switch, so reading goes on until it comes. */
static int start_pending(const struct eng *e)
{
	for (size_t i = 0; i < e->ncpus; i++)
		if (e->cpus[i].mode == ENG_CPU_START)
			return 1;
	return 0;
}

/* Counts of an event of a valid type on c, and c's bound after a loss. */
static inline __attribute__((always_inline)) void count_event(struct eng *e, struct eng_cpu *c,
							       const struct pmt_event *ev, int64_t t)
{
	e->levels[ev->level].events[ev->type]++;
	c->events++;
	if (c->await_bound) {
		c->bound_ns = t;
		c->await_bound = 0;
	}
	c->last_ns = t;
}

/* The CPU of the previous event of a batch (events come in runs on a CPU). */
struct cpu_memo {
	uint32_t cpu;
	uint16_t level;
	struct eng_cpu *c;
};

/* One event (begin() done); inlined into eng_feed and eng_feed_batch.
 * plain (a constant where inlined): bit 0, no stop time and no event
 * callback, so their checks go; the bits above it are bare's (BARE_*).
 * m (NULL for single events) remembers the last event's CPU. */
static inline __attribute__((always_inline)) int feed_one(struct eng *e, const struct pmt_event *ev,
							   const int plain, struct cpu_memo *m)
{
	int64_t t = ev->time_ns;
	if (!plain && t > e->feed_stop_ns && !start_pending(e))
		return 1;
	if (t < e->now)
		t = e->now; /* never go back in time (a damaged or badly merged stream) */
	if (t > e->max_ns)
		t = e->max_ns;
	e->now = t;
	struct eng_cpu *c;
	if (m && m->c && ev->cpu == m->cpu && ev->level == m->level) {
		c = m->c;
	} else {
		c = cpu_of(e, ev->level, ev->cpu);
		if (m) {
			m->c = c;
			m->cpu = ev->cpu;
			m->level = ev->level;
		}
	}
	if (!c) {
		e->bad_events++;
		return 0;
	}
	/* the two commonest types first, each with its own copy of the
	 * bookkeeping (one dispatch, no separate check of the type) */
	if (ev->type == PMT_EV_SWITCH) {
		count_event(e, c, ev, t);
		on_switch(e, c, ev, t, plain >> 1);
		goto done;
	}
	if (ev->type == PMT_EV_WAKEUP) {
		count_event(e, c, ev, t);
		on_wakeup(e, c, ev, t, plain >> 1);
		goto done;
	}
	if ((unsigned)ev->type - 1u >= PMT_EV_TYPE_MAX_ - 1u) {
		e->bad_events++;
		return 0;
	}
	count_event(e, c, ev, t);
	switch (ev->type) {
	case PMT_EV_MIGRATE:
		on_migrate(e, ev, t);
		break;
	case PMT_EV_LOST:
		on_lost(e, c, ev, t);
		break;
	case PMT_EV_FORK: {
		if (ev->u.fork.child_tid == PMT_TID_IDLE)
			break;
		struct eng_entity *ch = ent_get(e, ev->level, ev->u.fork.child_tid);
		struct eng_entity *pa = ev->u.fork.parent_tid != PMT_TID_IDLE
						? ent_get(e, ev->level, ev->u.fork.parent_tid) : NULL;
		if (ch) {
			ch->pid = ev->u.fork.child_pid;
			if (pa && ch->comm[0] == 0)
				set_comm(ch, pa->comm, strlen(pa->comm));
			ch->flags &= (uint8_t)~ENG_ENT_EXITED;
		}
		break;
	}
	case PMT_EV_EXEC: {
		struct eng_entity *en = ev->u.exec.tid != PMT_TID_IDLE
						? ent_get(e, ev->level, ev->u.exec.tid) : NULL;
		if (en && ev->u.exec.comm.s)
			set_comm(en, ev->u.exec.comm.s, ev->u.exec.comm.len);
		break;
	}
	case PMT_EV_NAME: {
		struct eng_entity *en = ev->u.name.tid != PMT_TID_IDLE
						? ent_get(e, ev->level, ev->u.name.tid) : NULL;
		if (en) {
			if (ev->u.name.pid)
				en->pid = ev->u.name.pid;
			if (ev->u.name.comm.s)
				set_comm(en, ev->u.name.comm.s, ev->u.name.comm.len);
		}
		break;
	}
	case PMT_EV_EXIT: {
		struct eng_entity *en = ev->u.exit.tid != PMT_TID_IDLE
						? ent_get(e, ev->level, ev->u.exit.tid) : NULL;
		if (en)
			en->flags |= ENG_ENT_EXITED;
		break;
	}
	default:
		break;
	}
done:
	if (!plain && e->n_ev)
		EMIT(e, ev, ev);
	return 0;
}

int eng_feed(struct eng *e, const struct pmt_event *ev)
{
	if (!e->begun)
		begin(e);
	return feed_one(e, ev, 0, NULL);
}

size_t eng_feed_batch(struct eng *e, const struct pmt_event *const *ev, size_t n)
{
	if (!e->begun)
		begin(e);
	struct cpu_memo m = { 0, 0, NULL };
	if (e->feed_stop_ns == INT64_MAX && !e->n_ev) {
		if (!e->n_iv && !e->n_ci && !e->n_wk && !e->n_lat) {
			/* the engine's totals, and maybe migrations (summary,
			 * the migrations report) */
			if (!e->n_mig)
				for (size_t i = 0; i < n; i++)
					feed_one(e, ev[i], 1 | (BARE_IV | BARE_MIG) << 1, &m);
			else
				for (size_t i = 0; i < n; i++)
					feed_one(e, ev[i], 1 | BARE_IV << 1, &m);
			return n;
		}
		for (size_t i = 0; i < n; i++)
			feed_one(e, ev[i], 1, &m);
		return n;
	}
	for (size_t i = 0; i < n; i++)
		if (feed_one(e, ev[i], 0, &m))
			return i;
	return n;
}

void eng_finish(struct eng *e, int64_t end)
{
	if (e->finished)
		return;
	if (!e->begun)
		begin(e);
	e->finished = 1;
	if (end == INT64_MIN) {
		end = e->last_ns;
		if (e->has_stop && e->stop_ns < end)
			end = e->stop_ns;
	}
	if (end < e->now)
		end = e->now;
	if (end > e->max_ns)
		end = e->max_ns;
	e->end_ns = end;
	e->now = end;
	for (size_t i = 0; i < e->ncpus; i++) {
		struct eng_cpu *c = &e->cpus[i];
		if (c->mode == ENG_CPU_START) {
			/* no switch at all: what ran there is not known */
			c->no_switch = 1;
			c->mode = ENG_CPU_UNKNOWN;
			c->start_flags = ENG_F_START_TRACE;
		}
		cpu_close(e, c, end, ENG_F_END_TRACE);
	}
	for (size_t i = 0; i < e->nent; i++) {
		struct eng_entity *en = eng_entity_at(e, i);
		if (en->state >= ENG_RUNNING && en->state <= ENG_UNKNOWN)
			ent_set(e, en, en->state, end, ENG_F_END_TRACE, en->start_flags, ENG_NONE);
	}
	for (int i = 0; i < e->nmod; i++)
		if (e->mods[i]->end)
			e->mods[i]->end(e->ctxs[i], e);
}

/* ------------------------------------------------------------- queries */

int64_t eng_trace_start(const struct eng *e) { return e->start_ns; }
int64_t eng_trace_end(const struct eng *e) { return e->end_ns; }
int64_t eng_now(const struct eng *e) { return e->now; }
size_t eng_level_count(const struct eng *e) { return e->nlevels; }
size_t eng_cpu_count(const struct eng *e) { return e->ncpus; }
size_t eng_entity_count(const struct eng *e) { return e->nent; }

const struct eng_level *eng_level_at(const struct eng *e, size_t id)
{
	return id < e->nlevels ? &e->levels[id] : NULL;
}

struct eng_cpu *eng_cpu_at(struct eng *e, size_t i)
{
	return i < e->ncpus ? &e->cpus[i] : NULL;
}

struct eng_cpu *eng_cpu(struct eng *e, uint16_t level, uint32_t cpu)
{
	return cpu_of(e, level, cpu);
}

struct eng_entity *eng_vcpu_entity(struct eng *e, uint16_t gl, uint32_t vcpu)
{
	if (gl >= e->nlevels)
		return NULL;
	const struct eng_level *l = &e->levels[gl];
	if (!l->vcpu_tid || vcpu >= l->ncpus || l->vcpu_tid[vcpu] == ENG_NONE || l->host_level < 0)
		return NULL;
	return eng_entity_find(e, (uint16_t)l->host_level, l->vcpu_tid[vcpu]);
}

void eng_totals(const struct eng *e, struct eng_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < e->ncpus; i++) {
		const struct eng_cpu *c = &e->cpus[i];
		t->events += c->events;
		t->lost_events += c->lost_events;
		t->lost_records += c->lost_records;
		t->inferred += c->inferred;
		t->resyncs += c->resyncs;
		t->conflicts += c->conflicts;
		t->unknown_ns += c->unknown_ns;
		t->cpus_without_switch += c->no_switch;
	}
	t->migrate = e->migrate;
	t->cpu_changes = e->cpu_changes;
	t->bad_events = e->bad_events;
}
