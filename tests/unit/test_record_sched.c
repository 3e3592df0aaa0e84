/*
 * test_record_sched.c - the recorder's shared decoding: task table and names
 * (record/sched.c), prev_state and records decoded with the running
 * kernel's formats (record/tepdec.c), the ftrace text importer on crafted
 * lines (record/import/ftrace.c), and importers on damaged input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <traceevent/event-parse.h>

#include "pmt.h"
#include "record/import/import.h"
#include "record/sched.h"
#include "record/tepdec.h"
#include "tests/unit/pmt_cu.h"

/* ------------------------------------------------- a sink keeping events */
#define MAXEV 64
struct sink {
	struct pmt_event ev[MAXEV];
	char comm[MAXEV][PMT_COMM_LEN + 8];
	int n;
};

static int keep(void *ctx, const struct pmt_event *e)
{
	struct sink *s = ctx;
	if (s->n >= MAXEV)
		return PMT_ELIMIT;
	s->ev[s->n] = *e;
	const struct pmt_str *str = e->type == PMT_EV_NAME ? &e->u.name.comm
				    : e->type == PMT_EV_EXEC ? &e->u.exec.comm : NULL;
	if (str) {
		snprintf(s->comm[s->n], sizeof(s->comm[0]), "%.*s", (int)str->len, str->s);
	}
	s->n++;
	return 0;
}

static int count(const struct sink *s, int type)
{
	int n = 0;
	for (int i = 0; i < s->n; i++)
		n += s->ev[i].type == type;
	return n;
}

static void kflags(void *c, uint32_t tid, uint32_t tgid, uint32_t flags, const char *comm)
{
	(void)tgid, (void)comm;
	if (tid == 300)
		*(uint32_t *)c = flags;
}

static void fork_thread_and_process(void)
{
	struct sink k = {0};
	struct pmt_sched *s = pmt_sched_new(3, keep, &k);
	CU_ASSERT_FATAL(s != NULL);
	pmt_sched_add_known(s, 100, 100, "parent");
	CU_ASSERT_EQUAL(pmt_sched_fork(s, 0, 10, 100, 101, "parent", 1), 0);
	CU_ASSERT_EQUAL(pmt_sched_fork(s, 0, 11, 100, 200, "parent", 0), 0);
	CU_ASSERT_EQUAL(k.n, 4); /* fork + name, twice */
	CU_ASSERT_EQUAL(k.ev[0].type, PMT_EV_FORK);
	CU_ASSERT_EQUAL(k.ev[0].level, 3);
	CU_ASSERT_EQUAL(k.ev[0].u.fork.child_pid, 100);
	CU_ASSERT_EQUAL(k.ev[0].u.fork.flags, PMT_FORK_THREAD);
	CU_ASSERT_EQUAL(k.ev[1].type, PMT_EV_NAME);
	CU_ASSERT_EQUAL(k.ev[1].u.name.pid, 100);
	CU_ASSERT_STRING_EQUAL(k.comm[1], "parent");
	CU_ASSERT_EQUAL(k.ev[2].u.fork.child_pid, 200);
	CU_ASSERT_EQUAL(k.ev[2].u.fork.flags, 0);
	CU_ASSERT_EQUAL(pmt_sched_tgid(s, 101), 100);
	CU_ASSERT_EQUAL(pmt_sched_tgid(s, 200), 200);
	/* kthreadd's children are kernel threads, in the task table flags */
	pmt_sched_add_known(s, 2, 2, "kthreadd");
	pmt_sched_set_kthread(s, 2);
	pmt_sched_fork(s, 0, 12, 2, 300, "kthreadd", 0);
	uint32_t flags300 = 0;
	pmt_sched_take_new(s, kflags, &flags300);
	CU_ASSERT_EQUAL(flags300, PMT_TASK_KTHREAD);
	pmt_sched_free(s);
}

static void take_fn(void *c, uint32_t tid, uint32_t tgid, uint32_t flags, const char *comm)
{
	int *seen = c;
	if (tid == 9 && tgid == 9 && flags == 0 && strcmp(comm, "a-very-long-pro") == 0)
		(*seen)++;
	else
		*seen += 100;
}

static void names_only_when_they_change(void)
{
	struct sink k = {0};
	struct pmt_sched *s = pmt_sched_new(0, keep, &k);
	pmt_sched_add_known(s, 7, 7, "seven");
	/* known name, idle: no name record */
	pmt_sched_switch(s, 0, 1, 0, "swapper/0", PMT_STATE_RUNNABLE, 7, "seven");
	CU_ASSERT_EQUAL(count(&k, PMT_EV_NAME), 0);
	/* a task never seen: one name record, its own group */
	pmt_sched_switch(s, 0, 2, 7, "seven", PMT_STATE_SLEEPING, 9, "nine");
	CU_ASSERT_EQUAL(count(&k, PMT_EV_NAME), 1);
	CU_ASSERT_EQUAL(pmt_sched_tgid(s, 9), 9);
	/* a rename (prctl): one more; seen again: none */
	pmt_sched_wakeup(s, 1, 3, 9, "renamed", 1, 7, PMT_WAKE_WAKING);
	pmt_sched_migrate(s, 1, 4, 9, "renamed", 0, 1);
	CU_ASSERT_EQUAL(count(&k, PMT_EV_NAME), 2);
	CU_ASSERT_STRING_EQUAL(k.comm[k.n - 3], "renamed");
	/* exec: the base name cut to 15 characters, in the exec record */
	pmt_sched_exec(s, 1, 5, 9, 9, "/usr/local/bin/a-very-long-program-name");
	CU_ASSERT_EQUAL(k.ev[k.n - 1].type, PMT_EV_EXEC);
	CU_ASSERT_STRING_EQUAL(k.comm[k.n - 1], "a-very-long-pro");
	/* the exec'd name is now known: a switch with it adds nothing */
	int before = count(&k, PMT_EV_NAME);
	pmt_sched_switch(s, 1, 6, 9, "a-very-long-pro", PMT_STATE_RUNNABLE, 0, "swapper/1");
	CU_ASSERT_EQUAL(count(&k, PMT_EV_NAME), before);
	/* new tasks for the task table: 9 (first seen, renamed, exec'd) */
	int seen = 0;
	pmt_sched_take_new(s, take_fn, &seen);
	CU_ASSERT_EQUAL(seen, 1);
	pmt_sched_free(s);
}

static void state_letters(void)
{
	CU_ASSERT_EQUAL(pmt_sched_state_text("R+", 2), PMT_STATE_RUNNABLE);
	CU_ASSERT_EQUAL(pmt_sched_state_text("S", 1), PMT_STATE_SLEEPING);
	CU_ASSERT_EQUAL(pmt_sched_state_text("D|K", 3), PMT_STATE_DISK);
	CU_ASSERT_EQUAL(pmt_sched_state_text("Z", 1), PMT_STATE_DEAD);
	CU_ASSERT_EQUAL(pmt_sched_state_text("I", 1), PMT_STATE_IDLE);
	CU_ASSERT_EQUAL(pmt_sched_state_text("?", 1), PMT_STATE_OTHER);
}

/* -------------------------------------- with the running kernel's formats */
static char *slurp(const char *path, int *len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = malloc(65536);
	size_t n = buf ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	if (!buf || n == 0) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	*len = (int)n;
	return buf;
}

static struct tep_handle *kernel_tep(void)
{
	static const char *const ev[] = {"sched/sched_switch", "sched/sched_migrate_task",
					 "sched/sched_waking", NULL};
	struct tep_handle *tep = tep_alloc();
	for (int i = 0; tep && ev[i]; i++) {
		char path[128];
		int len;
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/format", ev[i]);
		char *fmt = slurp(path, &len);
		if (!fmt || tep_parse_event(tep, fmt, (unsigned long)len, "sched") != 0) {
			free(fmt);
			tep_free(tep);
			return NULL;
		}
		free(fmt);
	}
	return tep;
}

static void put(void *rec, struct tep_event *e, const char *name, uint64_t v)
{
	struct tep_format_field *f = tep_find_any_field(e, name);
	CU_ASSERT_FATAL(f != NULL);
	if (f->flags & TEP_FIELD_IS_ARRAY)
		snprintf((char *)rec + f->offset, (size_t)f->size, "%s", (const char *)(uintptr_t)v);
	else
		memcpy((char *)rec + f->offset, &v, (size_t)f->size); /* little endian host */
}

static void kernel_states_and_records(void)
{
	struct tep_handle *tep = kernel_tep();
	if (!tep)
		PMT_CU_SKIP("the running kernel's sched formats are not readable (tracefs not mounted, or not root)");
	struct sink k = {0};
	struct pmt_sched *s = pmt_sched_new(0, keep, &k);
	char msg[200];
	struct pmt_tepdec *d = pmt_tepdec_new(tep, s, msg, sizeof(msg), NULL, NULL);
	CU_ASSERT_FATAL(d != NULL);
	/* Linux >= 4.14 TASK_REPORT bits, as the kernel documents them. */
	CU_ASSERT_EQUAL(pmt_tepdec_state(d, 0), PMT_STATE_RUNNABLE);
	CU_ASSERT_EQUAL(pmt_tepdec_state(d, 0x1), PMT_STATE_SLEEPING);
	CU_ASSERT_EQUAL(pmt_tepdec_state(d, 0x2), PMT_STATE_DISK);
	CU_ASSERT_EQUAL(pmt_tepdec_state(d, 0x80), PMT_STATE_IDLE);
	CU_ASSERT_EQUAL(pmt_tepdec_state(d, 0x100), PMT_STATE_RUNNABLE); /* R+ */
	/* A sched_switch record laid out with the format's own offsets. */
	struct tep_event *e = tep_find_event_by_name(tep, "sched", "sched_switch");
	unsigned char rec[256] = {0};
	put(rec, e, "common_type", (uint64_t)e->id);
	put(rec, e, "common_pid", 42);
	put(rec, e, "prev_comm", (uintptr_t)"old");
	put(rec, e, "prev_pid", 42);
	put(rec, e, "prev_state", 0x2);
	put(rec, e, "next_comm", (uintptr_t)"new");
	put(rec, e, "next_pid", 43);
	CU_ASSERT_EQUAL(pmt_tepdec_record(d, 1, 1000, rec, 128), 0);
	CU_ASSERT_EQUAL(k.ev[k.n - 1].type, PMT_EV_SWITCH);
	CU_ASSERT_EQUAL(k.ev[k.n - 1].cpu, 1);
	CU_ASSERT_EQUAL(k.ev[k.n - 1].u.sw.prev_tid, 42);
	CU_ASSERT_EQUAL(k.ev[k.n - 1].u.sw.prev_state, PMT_STATE_DISK);
	CU_ASSERT_EQUAL(k.ev[k.n - 1].u.sw.next_tid, 43);
	CU_ASSERT_EQUAL(count(&k, PMT_EV_NAME), 2);
	/* Too short a record, or an unknown id: skipped, never read past. */
	int n = k.n;
	CU_ASSERT_EQUAL(pmt_tepdec_record(d, 1, 1001, rec, 10), 1);
	unsigned char other[8] = {0xff, 0xff};
	CU_ASSERT_EQUAL(pmt_tepdec_record(d, 1, 1002, other, 8), 1);
	CU_ASSERT_EQUAL(k.n, n);
	/* sched_waking: the waker is common_pid, flags WAKING. */
	e = tep_find_event_by_name(tep, "sched", "sched_waking");
	memset(rec, 0, sizeof(rec));
	put(rec, e, "common_type", (uint64_t)e->id);
	put(rec, e, "common_pid", 42);
	put(rec, e, "comm", (uintptr_t)"new");
	put(rec, e, "pid", 43);
	put(rec, e, "target_cpu", 1);
	CU_ASSERT_EQUAL(pmt_tepdec_record(d, 0, 1003, rec, 64), 0);
	CU_ASSERT_EQUAL(k.ev[k.n - 1].type, PMT_EV_WAKEUP);
	CU_ASSERT_EQUAL(k.ev[k.n - 1].u.wakeup.waker_tid, 42);
	CU_ASSERT_EQUAL(k.ev[k.n - 1].u.wakeup.flags, PMT_WAKE_WAKING);
	pmt_tepdec_free(d);
	pmt_sched_free(s);
	tep_free(tep);
}

/* ------------------------------------------------- the ftrace text importer */
static const char text[] =
	"# tracer: nop\n"
	"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
	"          <idle>-0       [001] d..2.   100.000001: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=Web Content next_pid=500 next_prio=120\n"
	"     Web Content-500     [001] d..2.   100.000002: sched_waking: comm=kworker/1:2 pid=77 prio=120 target_cpu=001\n"
	"     Web Content-500     [001] d..2.   100.000003: sched_switch: prev_comm=Web Content prev_pid=500 prev_prio=120 prev_state=S ==> next_comm=kworker/1:2 next_pid=77 next_prio=120\n"
	"     migration/1-21      [001] d..2.   100.000004: sched_migrate_task: comm=Web Content pid=500 prio=120 orig_cpu=1 dest_cpu=0\n"
	"     Web Content-500     [001] d..2.   100.000005: sched_stat_runtime: comm=x pid=500 runtime=1\n"
	"CPU:0 [LOST 12 EVENTS]\n"
	"pmt-tc-1:     kworker/0:2-3148  [000]   100.000006: sched_switch:         kworker/0:2:3148 [120] D ==> mover:12691 [120]\n"
	"pmt-tc-1:           mover-12691 [000]   100.000007: sched_wakeup_new:     mover:12692 [120] CPU:001\n"
	"           mover-12691 [000] .....   100.000008: task_newtask: pid=12693 comm=mover clone_flags=3d0f00 oom_score_adj=0\n"
	"garbage line without structure\n";

static void ftrace_text_lines(void)
{
	char in[] = "/tmp/pmt-unit-ftrace-XXXXXX";
	int fd = mkstemp(in);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1));
	close(fd);
	char out[64];
	snprintf(out, sizeof(out), "%s.pmt", in);
	struct pmt_import_args a = {.in = in, .out = out};
	CU_ASSERT_EQUAL(pmt_import_ftrace(&a), 0);
	int err = 0;
	pmt_reader *r = pmt_reader_open(out, 0, &err);
	CU_ASSERT_FATAL(r != NULL);
	pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
	const struct pmt_event *e;
	int sw = 0, mig = 0, wake = 0, lost = 0, fork = 0, web = 0;
	while ((e = pmt_cursor_next(c, &err))) {
		switch (e->type) {
		case PMT_EV_SWITCH:
			sw++;
			if (e->u.sw.prev_tid == 500)
				CU_ASSERT_EQUAL(e->u.sw.prev_state, PMT_STATE_SLEEPING);
			if (e->u.sw.prev_tid == 3148) {
				CU_ASSERT_EQUAL(e->u.sw.prev_state, PMT_STATE_DISK);
				CU_ASSERT_EQUAL(e->u.sw.next_tid, 12691);
				CU_ASSERT_EQUAL(e->cpu, 0);
			}
			break;
		case PMT_EV_MIGRATE:
			mig++;
			CU_ASSERT_EQUAL(e->u.migrate.tid, 500);
			CU_ASSERT_EQUAL(e->u.migrate.from_cpu, 1);
			CU_ASSERT_EQUAL(e->u.migrate.to_cpu, 0);
			break;
		case PMT_EV_WAKEUP:
			wake++;
			if (e->u.wakeup.tid == 77) {
				CU_ASSERT_EQUAL(e->u.wakeup.waker_tid, 500);
				CU_ASSERT_EQUAL(e->u.wakeup.flags, PMT_WAKE_WAKING);
			} else {
				CU_ASSERT_EQUAL(e->u.wakeup.tid, 12692);
				CU_ASSERT_EQUAL(e->u.wakeup.target_cpu, 1);
				CU_ASSERT_EQUAL(e->u.wakeup.flags, PMT_WAKE_NEW);
			}
			break;
		case PMT_EV_LOST:
			lost++;
			CU_ASSERT_EQUAL(e->u.lost.count, 12);
			CU_ASSERT_EQUAL(e->cpu, 0);
			break;
		case PMT_EV_FORK:
			fork++;
			CU_ASSERT_EQUAL(e->u.fork.parent_tid, 12691);
			CU_ASSERT_EQUAL(e->u.fork.child_tid, 12693);
			CU_ASSERT_EQUAL(e->u.fork.flags, PMT_FORK_THREAD);
			break;
		case PMT_EV_NAME:
			if (e->u.name.tid == 500)
				web += e->u.name.comm.len == 11 && !memcmp(e->u.name.comm.s, "Web Content", 11);
			break;
		}
	}
	CU_ASSERT_EQUAL(err, 0);
	CU_ASSERT_EQUAL(sw, 3);
	CU_ASSERT_EQUAL(mig, 1);
	CU_ASSERT_EQUAL(wake, 2);
	CU_ASSERT_EQUAL(lost, 1);
	CU_ASSERT_EQUAL(fork, 1);
	CU_ASSERT_EQUAL(web, 1); /* a name with a space, named once */
	CU_ASSERT_EQUAL(pmt_reader_info(r)->levels[0].ncpus, 2);
	CU_ASSERT_EQUAL(pmt_reader_info(r)->streams[0].first_ts, 100000005000ull);
	pmt_cursor_close(c);
	pmt_reader_close(r);
	unlink(in);
	unlink(out);
}

/* Every prefix and some bit flips of the text: the importer never crashes
 * (run under ASan by make check) and always answers 0 or 1. */
static void ftrace_damaged_text(void)
{
	char in[] = "/tmp/pmt-unit-ftrace-XXXXXX";
	int fd = mkstemp(in);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	char out[64];
	snprintf(out, sizeof(out), "%s.pmt", in);
	struct pmt_import_args a = {.in = in, .out = out};
	FILE *saved = stderr;
	stderr = fopen("/dev/null", "w");
	unsigned seed = 1;
	int bad = 0;
	for (size_t len = 0; len < sizeof(text); len += 7) {
		char buf[sizeof(text)];
		memcpy(buf, text, len);
		for (int k = 0; k < 3 && len; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % len] ^= (char)(1u << ((seed >> 4) % 8));
		}
		FILE *f = fopen(in, "w");
		fwrite(buf, 1, len, f);
		fclose(f);
		int rc = pmt_import_ftrace(&a);
		bad += rc != 0 && rc != 1;
	}
	fclose(stderr);
	stderr = saved;
	CU_ASSERT_EQUAL(bad, 0);
	unlink(in);
	unlink(out);
}

void pmt_cu_register(void)
{
	CU_pSuite s = CU_add_suite("record: shared scheduler decoding", NULL, NULL);
	CU_add_test(s, "a fork is a thread or a process, and names the child", fork_thread_and_process);
	CU_add_test(s, "names are written when first seen or changed, never again", names_only_when_they_change);
	CU_add_test(s, "printed state letters map to pmt states", state_letters);
	CU_add_test(s, "the running kernel's formats give states and fields", kernel_states_and_records);
	CU_add_test(s, "ftrace text: kernel and trace-cmd forms, names with spaces, losses", ftrace_text_lines);
	CU_add_test(s, "ftrace text: damaged input never crashes", ftrace_damaged_text);
}
