/*
 * test_twolevel.c - the two-level state layer (analyze/twolevel/tl.c) fed by
 * hand: skew breakpoints between events, a waker whose history is too long
 * (unknown, not a wrong stall), bindings out of range, many tasks.
 */
#include "tests/unit/pmt_cu.h"
#include "analyze/twolevel/tl.h"

#include <string.h>

#define MS 1000000LL

static struct pmt_level levels[2];
static struct pmt_binding binds[4];
static struct pmt_stream_info streams[8];
static struct pmt_clock clocks[1];
static struct pmt_info info;

/* host with npc pCPUs (level 0), guest "vm" with nv vCPUs bound to 101.. */
static void setup(uint32_t npc, uint32_t nv)
{
	memset(&info, 0, sizeof(info));
	memset(levels, 0, sizeof(levels));
	memset(streams, 0, sizeof(streams));
	clocks[0] = (struct pmt_clock){ "synth", 1000000000u, 0, 0, 1, 1, 0, 0 };
	levels[0] = (struct pmt_level){ 0, PMT_LEVEL_HOST, 0, "host", npc, NULL, -1 };
	levels[1] = (struct pmt_level){ 1, PMT_LEVEL_GUEST, 0, "vm", nv, NULL, 100 };
	for (uint32_t v = 0; v < nv; v++)
		binds[v] = (struct pmt_binding){ 1, 0, v, 101 + v };
	streams[0] = (struct pmt_stream_info){ .level = 0, .cpu = 0, .events = 1 };
	streams[1] = (struct pmt_stream_info){ .level = 1, .cpu = 0, .events = 1 };
	info.nclocks = 1;
	info.clocks = clocks;
	info.nlevels = 2;
	info.levels = levels;
	info.nbindings = nv;
	info.bindings = binds;
	info.nstreams = 2;
	info.streams = streams;
}

static void sw(struct tl *t, int64_t ns, uint16_t level, uint32_t cpu, uint32_t prev,
	       uint32_t st, uint32_t next)
{
	struct pmt_event e;
	memset(&e, 0, sizeof(e));
	e.time_ns = ns;
	e.ts = (uint64_t)ns;
	e.level = level;
	e.cpu = cpu;
	e.type = PMT_EV_SWITCH;
	e.u.sw.prev_tid = prev;
	e.u.sw.prev_state = st;
	e.u.sw.next_tid = next;
	tl_event(t, &e);
}

static void wake(struct tl *t, int64_t ns, uint16_t level, uint32_t cpu, uint32_t tid,
		 uint32_t waker)
{
	struct pmt_event e;
	memset(&e, 0, sizeof(e));
	e.time_ns = ns;
	e.ts = (uint64_t)ns;
	e.level = level;
	e.cpu = cpu;
	e.type = PMT_EV_WAKEUP;
	e.u.wakeup.tid = tid;
	e.u.wakeup.target_cpu = cpu;
	e.u.wakeup.waker_tid = waker;
	tl_event(t, &e);
}

/* vCPU0 runs [0,4) then waits; vCPU1 waits then runs [4,10): the lag
 * |4 - (t - 4)| falls to 0 at 8 ms, between two events. */
static void test_skew_breakpoint_between_events(void)
{
	setup(1, 2);
	struct tl_opts o = { 0 };
	struct tl *t = tl_new(&info, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	sw(t, 0, 0, 0, 0, PMT_STATE_RUNNABLE, 101);
	wake(t, 0, 0, 0, 102, 0);
	sw(t, 0, 1, 0, 0, PMT_STATE_RUNNABLE, 11);
	sw(t, 0, 1, 1, 0, PMT_STATE_RUNNABLE, 12);
	sw(t, 4 * MS, 0, 0, 101, PMT_STATE_RUNNABLE, 102);
	tl_finish(t, 10 * MS);
	const struct tl_guest *g = &t->guests[0];
	CU_ASSERT_EQUAL(g->skew_max, 4 * MS);
	/* area 8 + 8 + 2 ms^2 over 10 ms: mean 1.8 ms */
	CU_ASSERT_EQUAL((int64_t)(g->skew_area / g->skew_known_ns), 1800000);
	/* above 3 ms: [3,4] and [4,5] */
	CU_ASSERT_EQUAL(g->skew_above_ns, 2 * MS);
	CU_ASSERT_EQUAL(g->class_ns[TL_C_SKEWED], 10 * MS);
	tl_free(t);
}

/* The holder (11, vCPU0) is preempted 20 times while waiter 12 (vCPU1) is
 * blocked: more episodes than the holder keeps, so the stall is unknown. */
static void holder_preempted(int times, uint64_t *unknown, int64_t *stall)
{
	setup(2, 2);
	struct tl_opts o = { 0 };
	struct tl *t = tl_new(&info, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	sw(t, 0, 0, 0, 0, PMT_STATE_RUNNABLE, 101);
	sw(t, 0, 0, 1, 0, PMT_STATE_RUNNABLE, 102);
	sw(t, 0, 1, 0, 0, PMT_STATE_RUNNABLE, 11);
	sw(t, 0, 1, 1, 0, PMT_STATE_RUNNABLE, 12);
	sw(t, 1 * MS, 1, 1, 12, PMT_STATE_SLEEPING, 0);
	int64_t now = 2 * MS;
	for (int i = 0; i < times; i++) {
		sw(t, now, 0, 0, 101, PMT_STATE_RUNNABLE, 500);
		sw(t, now + MS / 2, 0, 0, 500, PMT_STATE_SLEEPING, 101);
		now += MS;
	}
	wake(t, now, 1, 0, 12, 11);
	tl_finish(t, now + MS);
	const struct tl_task *w = NULL;
	for (uint32_t i = 0; i < t->guests[0].ntasks; i++)
		if (t->guests[0].tasks[i].tid == 12)
			w = &t->guests[0].tasks[i];
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	*unknown = w->stall_unknown;
	*stall = w->stall_ns;
	tl_free(t);
}

static void test_stall_with_few_episodes_is_exact(void)
{
	uint64_t unknown;
	int64_t stall;
	holder_preempted(TL_RING, &unknown, &stall);
	CU_ASSERT_EQUAL(unknown, 0);
	CU_ASSERT_EQUAL(stall, TL_RING * MS / 2);
}

static void test_stall_with_too_many_episodes_is_unknown(void)
{
	uint64_t unknown;
	int64_t stall;
	holder_preempted(TL_RING + 4, &unknown, &stall);
	CU_ASSERT_EQUAL(unknown, 1);
	CU_ASSERT_EQUAL(stall, 0);
}

static void test_bindings_out_of_range_are_ignored(void)
{
	setup(1, 2);
	binds[1].guest_cpu = 0xffffffffu;
	binds[0].host_level = 7; /* no such level: no binding is usable */
	struct tl_opts o = { 0 };
	struct tl *t = tl_new(&info, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->nbound, 0);
	sw(t, 0, 0, 0, 0, PMT_STATE_RUNNABLE, 101);
	sw(t, 0, 1, 5, 0, PMT_STATE_RUNNABLE, 11); /* a CPU the level lacks */
	tl_finish(t, MS);
	CU_ASSERT_EQUAL(t->guests[0].has_host, 0);
	tl_free(t);
	setup(1, 2);
	binds[1].guest_cpu = 0xffffffffu;
	t = tl_new(&info, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->guests[0].nvcpus, 2);
	tl_free(t);
}

static void test_many_tasks_keep_their_counts(void)
{
	setup(1, 1);
	struct tl_opts o = { 0 };
	struct tl *t = tl_new(&info, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	sw(t, 0, 0, 0, 0, PMT_STATE_RUNNABLE, 101);
	uint32_t prev = 0;
	for (uint32_t i = 1; i <= 5000; i++) {
		sw(t, (int64_t)i * 1000, 1, 0, prev, PMT_STATE_SLEEPING, 1000 + i);
		prev = 1000 + i;
	}
	tl_finish(t, 5001 * 1000);
	CU_ASSERT_EQUAL(t->guests[0].ntasks, 5000);
	/* each ran 1 us on pCPU 0 */
	int ok = 1;
	for (uint32_t i = 0; i < t->guests[0].ntasks; i++)
		ok &= t->guests[0].tasks[i].run_ns == 1000 && t->guests[0].tasks[i].run_pcpu &&
		      t->guests[0].tasks[i].run_pcpu[0] == 1000;
	CU_ASSERT(ok);
	tl_free(t);
}

void pmt_cu_register(void)
{
	CU_pSuite s = CU_add_suite("twolevel", NULL, NULL);
	CU_add_test(s, "skew breakpoints between events are exact", test_skew_breakpoint_between_events);
	CU_add_test(s, "a stall over few episodes is exact", test_stall_with_few_episodes_is_exact);
	CU_add_test(s, "a stall over too many episodes is unknown", test_stall_with_too_many_episodes_is_unknown);
	CU_add_test(s, "bindings out of range are ignored", test_bindings_out_of_range_are_ignored);
	CU_add_test(s, "many tasks keep their counts", test_many_tasks_keep_their_counts);
}
