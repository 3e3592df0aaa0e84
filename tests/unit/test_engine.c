/*
 * test_engine.c - the streaming engine on hand-made event sequences with
 * known answers: intervals, CPU changes, wakeup latencies, the CPU-1 idle
 * quirk (missing switch-ins inferred), losses and inconsistencies.
 */
#include "tests/unit/pmt_cu.h"

#include "analyze/engine/engine.h"

#include <stdlib.h>
#include <string.h>

#define MAXREC 16384

static struct eng_interval ivs[MAXREC];
static int nivs;
static struct eng_cpu_interval cis[MAXREC];
static int ncis;
static struct eng_migration migs[MAXREC];
static int nmigs;
static struct eng_latency lats[MAXREC];
static int nlats;
static int nlost, ended, nnew;

static void r_iv(void *c, struct eng *e, const struct eng_interval *iv) { if (nivs < MAXREC) ivs[nivs++] = *iv; }
static void r_ci(void *c, struct eng *e, const struct eng_cpu_interval *ci) { if (ncis < MAXREC) cis[ncis++] = *ci; }
static void r_mig(void *c, struct eng *e, const struct eng_migration *m) { if (nmigs < MAXREC) migs[nmigs++] = *m; }
static void r_lat(void *c, struct eng *e, const struct eng_latency *l) { if (nlats < MAXREC) lats[nlats++] = *l; }
static void r_lost(void *c, struct eng *e, const struct eng_lost *l) { nlost++; }
static void r_end(void *c, struct eng *e) { ended++; }
static void r_new(void *c, struct eng *e, struct eng_entity *en)
{
	nnew++;
	/* the private area is there and zeroed */
	uint64_t *p = eng_priv(en, *(size_t *)c);
	CU_ASSERT_EQUAL(p[0], 0);
	p[0] = en->tid;
}

static const struct eng_module rec_mod = {
	.name = "rec",
	.entity_priv = sizeof(uint64_t),
	.entity_new = r_new,
	.interval = r_iv,
	.cpu_interval = r_ci,
	.migration = r_mig,
	.latency = r_lat,
	.lost = r_lost,
	.end = r_end,
};

static struct pmt_level lv[2];
static struct pmt_info info;
static size_t rec_off;

static struct eng *mk(uint32_t ncpus, int64_t first, int64_t last)
{
	nivs = ncis = nmigs = nlats = nlost = ended = nnew = 0;
	memset(&info, 0, sizeof(info));
	memset(lv, 0, sizeof(lv));
	lv[0] = (struct pmt_level){ .id = 0, .kind = PMT_LEVEL_HOST, .name = "host", .ncpus = ncpus, .guest_id = -1 };
	info.nlevels = 1;
	info.levels = lv;
	info.first_ns = first;
	info.last_ns = last;
	struct eng *e = eng_new(&info);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	int id = eng_add_module(e, &rec_mod, &rec_off);
	CU_ASSERT(id >= 0);
	rec_off = eng_priv_offset(e, id);
	return e;
}

static void sw(struct eng *e, uint32_t cpu, int64_t t, uint32_t prev, uint32_t st, uint32_t next)
{
	struct pmt_event ev = { .time_ns = t, .level = 0, .type = PMT_EV_SWITCH, .cpu = cpu };
	ev.u.sw.prev_tid = prev;
	ev.u.sw.prev_state = st;
	ev.u.sw.next_tid = next;
	eng_feed(e, &ev);
}

static void wake(struct eng *e, uint32_t cpu, int64_t t, uint32_t tid, uint32_t target, uint32_t waker)
{
	struct pmt_event ev = { .time_ns = t, .level = 0, .type = PMT_EV_WAKEUP, .cpu = cpu };
	ev.u.wakeup.tid = tid;
	ev.u.wakeup.target_cpu = target;
	ev.u.wakeup.waker_tid = waker;
	eng_feed(e, &ev);
}

static void mig(struct eng *e, uint32_t cpu, int64_t t, uint32_t tid, uint32_t from, uint32_t to)
{
	struct pmt_event ev = { .time_ns = t, .level = 0, .type = PMT_EV_MIGRATE, .cpu = cpu };
	ev.u.migrate.tid = tid;
	ev.u.migrate.from_cpu = from;
	ev.u.migrate.to_cpu = to;
	eng_feed(e, &ev);
}

static void lost(struct eng *e, uint32_t cpu, int64_t t, uint64_t count, uint64_t span)
{
	struct pmt_event ev = { .time_ns = t, .level = 0, .type = PMT_EV_LOST, .cpu = cpu };
	ev.u.lost.count = count;
	ev.u.lost.span = span;
	eng_feed(e, &ev);
}

/* Index of the interval of tid in state st starting at start, or -1. */
static int find_iv(uint32_t tid, int st, int64_t start, int64_t end)
{
	for (int i = 0; i < nivs; i++)
		if (ivs[i].ent->tid == tid && ivs[i].state == st && ivs[i].start_ns == start &&
		    ivs[i].end_ns == end)
			return i;
	return -1;
}

static int find_ci(uint32_t cpu, uint32_t tid, int64_t start, int64_t end)
{
	for (int i = 0; i < ncis; i++)
		if (cis[i].cpu->cpu == cpu && cis[i].tid == tid && cis[i].start_ns == start &&
		    cis[i].end_ns == end)
			return i;
	return -1;
}

static int64_t run_ns(uint32_t tid)
{
	int64_t s = 0;
	for (int i = 0; i < nivs; i++)
		if (ivs[i].ent->tid == tid && ivs[i].state == ENG_RUNNING)
			s += ivs[i].end_ns - ivs[i].start_ns;
	return s;
}

static void test_basic_intervals_change_and_latency(void)
{
	struct eng *e = mk(2, 0, 1000);
	sw(e, 0, 100, 0, 0, 10);                     /* idle -> A on cpu0 */
	sw(e, 0, 200, 10, PMT_STATE_SLEEPING, 0);    /* A sleeps */
	wake(e, 0, 300, 10, 1, 0);                   /* woken towards cpu1 */
	sw(e, 1, 350, 0, 0, 10);                     /* runs on cpu1 */
	sw(e, 1, 400, 10, PMT_STATE_SLEEPING, 0);
	eng_finish(e, INT64_MIN);
	CU_ASSERT_EQUAL(ended, 1);
	CU_ASSERT(find_iv(10, ENG_RUNNING, 100, 200) >= 0);
	CU_ASSERT(find_iv(10, ENG_BLOCKED, 200, 300) >= 0);
	CU_ASSERT(find_iv(10, ENG_RUNNABLE, 300, 350) >= 0);
	CU_ASSERT(find_iv(10, ENG_RUNNING, 350, 400) >= 0);
	int last = find_iv(10, ENG_BLOCKED, 400, 1000);
	CU_ASSERT(last >= 0);
	if (last >= 0)
		CU_ASSERT(ivs[last].flags & ENG_F_END_TRACE);
	CU_ASSERT_EQUAL(run_ns(10), 150);
	/* one CPU change 0 -> 1 after 150 ns off CPU, no kernel migration */
	CU_ASSERT_EQUAL_FATAL(nmigs, 1);
	CU_ASSERT_EQUAL(migs[0].kind, ENG_MIG_CPU_CHANGE);
	CU_ASSERT_EQUAL(migs[0].from_cpu, 0);
	CU_ASSERT_EQUAL(migs[0].to_cpu, 1);
	CU_ASSERT_EQUAL(migs[0].time_ns, 350);
	CU_ASSERT_EQUAL(migs[0].off_cpu_ns, 150);
	CU_ASSERT_EQUAL_FATAL(nlats, 1);
	CU_ASSERT_EQUAL(lats[0].run_ns - lats[0].wake_ns, 50);
	CU_ASSERT_EQUAL(lats[0].flags, 0);
	/* CPU intervals: idle from the trace start, busy, idle to the end */
	int i0 = find_ci(0, 0, 0, 100);
	CU_ASSERT(i0 >= 0);
	if (i0 >= 0)
		CU_ASSERT(cis[i0].flags & ENG_F_START_TRACE);
	CU_ASSERT(find_ci(0, 10, 100, 200) >= 0);
	CU_ASSERT(find_ci(0, 0, 200, 1000) >= 0);
	CU_ASSERT(find_ci(1, 0, 0, 350) >= 0);
	struct eng_cpu *c0 = eng_cpu(e, 0, 0);
	CU_ASSERT_EQUAL(c0->busy_ns, 100);
	CU_ASSERT_EQUAL(c0->idle_ns, 900);
	CU_ASSERT_EQUAL(c0->unknown_ns, 0);
	struct eng_totals t;
	eng_totals(e, &t);
	CU_ASSERT_EQUAL(t.inferred, 0);
	CU_ASSERT_EQUAL(t.cpu_changes, 1);
	CU_ASSERT_EQUAL(t.events, 5);
	/* private area written in entity_new is there */
	struct eng_entity *a = eng_entity_find(e, 0, 10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(*(uint64_t *)eng_priv(a, rec_off), 10);
	eng_free(e);
}

/* CPU 1 never records a switch out of idle: the switch-in is inferred at the
 * wakeup; run time and CPU changes stay right. */
static void test_idle_quirk_inferred_switch_in(void)
{
	struct eng *e = mk(2, 0, 1000);
	sw(e, 0, 50, 0, 0, 10);                      /* A on cpu0 */
	sw(e, 0, 80, 10, PMT_STATE_SLEEPING, 0);
	sw(e, 1, 100, 20, PMT_STATE_SLEEPING, 0);    /* B ran on cpu1 since the start */
	wake(e, 0, 200, 10, 1, 0);                   /* A woken to cpu1 */
	/* idle -> A on cpu1 at ~210 is not recorded */
	sw(e, 1, 300, 10, PMT_STATE_SLEEPING, 0);    /* A leaves cpu1 */
	wake(e, 0, 400, 10, 0, 0);
	sw(e, 0, 420, 0, 0, 10);                     /* back on cpu0 */
	sw(e, 0, 500, 10, PMT_STATE_SLEEPING, 0);
	eng_finish(e, INT64_MIN);
	/* B: running from the trace start (edge, not an inference) */
	int b = find_iv(20, ENG_RUNNING, 0, 100);
	CU_ASSERT(b >= 0);
	if (b >= 0)
		CU_ASSERT(ivs[b].flags & ENG_F_START_TRACE);
	int a = find_iv(10, ENG_RUNNING, 200, 300);
	CU_ASSERT(a >= 0);
	if (a >= 0)
		CU_ASSERT(ivs[a].flags & ENG_F_START_INFERRED);
	CU_ASSERT_EQUAL(run_ns(10), 30 + 100 + 80);
	int ci = find_ci(1, 0, 100, 200);
	CU_ASSERT(ci >= 0);
	if (ci >= 0)
		CU_ASSERT(cis[ci].flags & ENG_F_END_INFERRED);
	struct eng_totals t;
	eng_totals(e, &t);
	CU_ASSERT_EQUAL(t.inferred, 1);
	CU_ASSERT_EQUAL(t.cpu_changes, 2);           /* 0 -> 1 (inferred) -> 0 */
	CU_ASSERT_EQUAL(t.unknown_ns, 0);
	CU_ASSERT_EQUAL_FATAL(nmigs, 2);
	CU_ASSERT_EQUAL(migs[0].time_ns, 200);
	CU_ASSERT(migs[0].flags & ENG_F_START_INFERRED);
	CU_ASSERT_EQUAL(migs[1].from_cpu, 1);
	CU_ASSERT_EQUAL(migs[1].off_cpu_ns, 120);
	/* the latency ending at the inferred switch-in is marked unknown */
	CU_ASSERT_EQUAL_FATAL(nlats, 2);
	CU_ASSERT(lats[0].flags & ENG_F_END_INFERRED);
	CU_ASSERT_EQUAL(lats[1].flags, 0);
	CU_ASSERT_EQUAL(lats[1].run_ns - lats[1].wake_ns, 20);
	eng_free(e);
}

/* A CPU whose first switch shows a task that woke after the start: idle
 * before the wakeup, inferred switch-in at the wakeup. */
static void test_first_switch_after_wakeup(void)
{
	struct eng *e = mk(2, 0, 1000);
	wake(e, 0, 100, 10, 1, 0);
	sw(e, 1, 300, 10, PMT_STATE_SLEEPING, 0);
	eng_finish(e, INT64_MIN);
	CU_ASSERT(find_iv(10, ENG_RUNNING, 100, 300) >= 0);
	CU_ASSERT(find_ci(1, 0, 0, 100) >= 0);
	struct eng_totals t;
	eng_totals(e, &t);
	CU_ASSERT_EQUAL(t.inferred, 1);
	CU_ASSERT_EQUAL(t.cpu_changes, 0);
	/* cpu0 had no switch: unknown for the whole trace */
	CU_ASSERT_EQUAL(eng_cpu(e, 0, 0)->unknown_ns, 1000);
	eng_free(e);
}

static void test_loss_makes_state_unknown(void)
{
	struct eng *e = mk(1, 0, 1000);
	sw(e, 0, 100, 0, 0, 10);
	lost(e, 0, 500, 7, 0);                       /* span unknown */
	wake(e, 0, 600, 30, 0, 10);                  /* first event after the gap */
	sw(e, 0, 700, 10, PMT_STATE_RUNNABLE, 20);
	sw(e, 0, 800, 20, PMT_STATE_SLEEPING, 0);
	eng_finish(e, INT64_MIN);
	CU_ASSERT_EQUAL(nlost, 1);
	int r = find_iv(10, ENG_RUNNING, 100, 500);
	CU_ASSERT(r >= 0);
	if (r >= 0)
		CU_ASSERT(ivs[r].flags & ENG_F_END_UNKNOWN);
	CU_ASSERT(find_iv(10, ENG_UNKNOWN, 500, 600) >= 0);
	int r2 = find_iv(10, ENG_RUNNING, 600, 700);
	CU_ASSERT(r2 >= 0);
	if (r2 >= 0)
		CU_ASSERT(ivs[r2].flags & ENG_F_START_RESYNC);
	CU_ASSERT(find_ci(0, ENG_NONE, 500, 600) >= 0);
	struct eng_cpu *c = eng_cpu(e, 0, 0);
	CU_ASSERT_EQUAL(c->unknown_ns, 100);
	CU_ASSERT_EQUAL(c->busy_ns, 400 + 100 + 100);
	CU_ASSERT_EQUAL(c->lost_events, 7);
	CU_ASSERT_EQUAL(c->resyncs, 1);
	CU_ASSERT_EQUAL(c->inferred, 0);
	eng_free(e);
}

/* A task seen switching in on cpu1 while believed running on cpu0: cpu0's
 * stretch becomes unknown, not run time. */
static void test_missing_switch_out_is_a_conflict(void)
{
	struct eng *e = mk(2, 0, 1000);
	sw(e, 0, 100, 0, 0, 10);
	sw(e, 1, 150, 0, 0, 10);
	sw(e, 1, 250, 10, PMT_STATE_SLEEPING, 0);
	sw(e, 0, 300, 20, PMT_STATE_SLEEPING, 0);    /* whatever ran on cpu0 was B */
	eng_finish(e, INT64_MIN);
	CU_ASSERT_EQUAL(run_ns(10), 100);
	CU_ASSERT(find_iv(10, ENG_UNKNOWN, 100, 150) >= 0);
	struct eng_totals t;
	eng_totals(e, &t);
	CU_ASSERT_EQUAL(t.conflicts, 1);
	CU_ASSERT_EQUAL(eng_cpu(e, 0, 0)->unknown_ns, 200);
	eng_free(e);
}

/* The switch-out of the task believed running on c is missing, the next
 * switch there shows another task leaving: its run is inferred from its
 * wakeup, the stretch before is unknown. */
static void test_missing_switch_out_same_cpu(void)
{
	struct eng *e = mk(1, 0, 1000);
	sw(e, 0, 100, 0, 0, 30);                     /* C runs */
	wake(e, 0, 200, 10, 0, 0);                   /* A woken */
	sw(e, 0, 300, 10, PMT_STATE_SLEEPING, 0);    /* A leaves: C -> .. -> A missing */
	eng_finish(e, INT64_MIN);
	int a = find_iv(10, ENG_RUNNING, 200, 300);
	CU_ASSERT(a >= 0);
	if (a >= 0)
		CU_ASSERT(ivs[a].flags & ENG_F_START_INFERRED);
	CU_ASSERT(find_iv(30, ENG_UNKNOWN, 100, 1000) >= 0);
	CU_ASSERT(find_ci(0, ENG_NONE, 100, 200) >= 0);
	CU_ASSERT_EQUAL(run_ns(30), 0);
	struct eng_totals t;
	eng_totals(e, &t);
	CU_ASSERT_EQUAL(t.conflicts, 1);
	CU_ASSERT_EQUAL(t.inferred, 1);
	CU_ASSERT_EQUAL(t.unknown_ns, 100);
	eng_free(e);
}

static void test_migrate_events_and_preemption(void)
{
	struct eng *e = mk(2, 0, 1000);
	sw(e, 0, 100, 0, 0, 10);
	sw(e, 0, 200, 10, PMT_STATE_RUNNABLE, 20);   /* A preempted by B */
	mig(e, 1, 250, 10, 0, 1);                    /* kernel moves A */
	sw(e, 1, 260, 0, 0, 10);
	sw(e, 1, 300, 10, PMT_STATE_DEAD, 0);        /* A exits */
	eng_finish(e, INT64_MIN);
	struct eng_totals t;
	eng_totals(e, &t);
	CU_ASSERT_EQUAL(t.migrate, 1);
	CU_ASSERT_EQUAL(t.cpu_changes, 1);
	CU_ASSERT_EQUAL_FATAL(nmigs, 2);
	CU_ASSERT_EQUAL(migs[0].kind, ENG_MIG_MIGRATE);
	CU_ASSERT_EQUAL(migs[0].off_cpu_ns, 50);
	CU_ASSERT_EQUAL(migs[1].kind, ENG_MIG_CPU_CHANGE);
	CU_ASSERT_EQUAL(migs[1].off_cpu_ns, 60);
	CU_ASSERT(find_iv(10, ENG_RUNNABLE, 200, 260) >= 0);
	CU_ASSERT_EQUAL_FATAL(nlats, 1);             /* preemption: runnable, no wakeup */
	CU_ASSERT_EQUAL(lats[0].wake_ns, -1);
	CU_ASSERT_EQUAL(lats[0].run_ns - lats[0].runnable_ns, 60);
	/* gone after exit: nothing more for A */
	for (int i = 0; i < nivs; i++)
		if (ivs[i].ent->tid == 10)
			CU_ASSERT(ivs[i].end_ns <= 300);
	/* the entities' own totals equal what the callbacks delivered */
	struct eng_entity *a = eng_entity_find(e, 0, 10), *b = eng_entity_find(e, 0, 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(a->run_ns, 140);             /* [100, 200] and [260, 300] */
	CU_ASSERT_EQUAL(a->run_ns, run_ns(10));
	CU_ASSERT_EQUAL(a->migrations, 1);
	CU_ASSERT_EQUAL(a->cpu_changes, 1);
	CU_ASSERT_EQUAL(b->run_ns, 800);             /* [200, trace end 1000] */
	CU_ASSERT_EQUAL(b->run_ns, run_ns(20));
	CU_ASSERT_EQUAL(b->migrations + b->cpu_changes, 0);
	eng_free(e);
}

/* Memory follows entities, not events; the hash table grows correctly. */
static void test_many_entities_and_long_streams(void)
{
	struct eng *e = mk(4, 0, INT64_MAX / 4);
	int64_t t = 1;
	for (uint32_t i = 1; i <= 5000; i++)
		sw(e, i % 4, t++, 0, 0, i), sw(e, i % 4, t++, i, PMT_STATE_SLEEPING, 0);
	CU_ASSERT_EQUAL(eng_entity_count(e), 5000);
	for (uint32_t i = 1; i <= 5000; i += 499) {
		struct eng_entity *en = eng_entity_find(e, 0, i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(en);
		CU_ASSERT_EQUAL(en->tid, i);
		CU_ASSERT_EQUAL(en->state, ENG_BLOCKED);
	}
	CU_ASSERT_PTR_NULL(eng_entity_find(e, 0, 5001));
	for (int k = 0; k < 200000; k++)
		sw(e, 0, t++, k & 1 ? 1 : 0, 0, k & 1 ? 0 : 1);
	CU_ASSERT_EQUAL(eng_entity_count(e), 5000);
	CU_ASSERT_EQUAL(nnew, 5000);
	eng_finish(e, INT64_MIN);
	eng_free(e);
}

static void test_stop_time_closes_intervals(void)
{
	struct eng *e = mk(1, 0, 1000);
	eng_set_stop(e, 150);
	sw(e, 0, 100, 0, 0, 10);
	struct pmt_event ev = { .time_ns = 200, .type = PMT_EV_SWITCH };
	ev.u.sw.prev_tid = 10;
	CU_ASSERT_EQUAL(eng_feed(e, &ev), 1);
	eng_finish(e, INT64_MIN);
	CU_ASSERT_EQUAL(eng_trace_end(e), 150);
	int r = find_iv(10, ENG_RUNNING, 100, 150);
	CU_ASSERT(r >= 0);
	if (r >= 0)
		CU_ASSERT(ivs[r].flags & ENG_F_END_TRACE);
	eng_free(e);
}

/* eng_feed_batch applies events as eng_feed does and stops at the first
 * past the stop time; the same figures either way, in any batch sizes. */
static void test_batch_equals_one_by_one(void)
{
	static struct pmt_event ev[4000];
	uint64_t s = 7;
	for (int i = 0; i < 4000; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		struct pmt_event *x = &ev[i];
		memset(x, 0, sizeof(*x));
		x->time_ns = 10 * i;
		x->cpu = (uint32_t)(s >> 60) % 3;
		if ((s >> 20) % 3) {
			x->type = PMT_EV_SWITCH;
			x->u.sw.prev_tid = (uint32_t)(s >> 33) % 6;
			x->u.sw.next_tid = (uint32_t)(s >> 40) % 6;
			x->u.sw.prev_state = (uint32_t)(s >> 50) % 2;
		} else {
			x->type = PMT_EV_WAKEUP;
			x->u.wakeup.tid = 1 + (uint32_t)(s >> 33) % 5;
			x->u.wakeup.target_cpu = x->cpu;
		}
	}
	int64_t run[2][6], busy[2][3];
	uint64_t chg[2][6], inf[2];
	for (int way = 0; way < 2; way++) {
		struct eng *e = mk(3, 0, 40000);
		eng_set_stop(e, 30000);
		size_t applied = 0;
		if (way == 0) {
			for (int i = 0; i < 4000 && !eng_feed(e, &ev[i]); i++)
				applied++;
		} else {
			const struct pmt_event *p[37];
			for (size_t i = 0; i < 4000;) {
				size_t k = 0;
				while (k < 37 && i + k < 4000)
					p[k] = &ev[i + k], k++;
				size_t a = eng_feed_batch(e, p, k);
				applied += a;
				if (a < k)
					break;
				i += k;
			}
		}
		CU_ASSERT_EQUAL(applied, 3001); /* events at 0 .. 30000 ns */
		eng_finish(e, INT64_MIN);
		struct eng_totals t;
		eng_totals(e, &t);
		inf[way] = t.inferred;
		for (uint32_t tid = 1; tid < 6; tid++) {
			struct eng_entity *en = eng_entity_find(e, 0, tid);
			run[way][tid] = en ? en->run_ns : -1;
			chg[way][tid] = en ? en->cpu_changes : 0;
			if (en)
				CU_ASSERT_EQUAL(en->run_ns, run_ns(tid));
		}
		for (uint32_t c = 0; c < 3; c++)
			busy[way][c] = eng_cpu(e, 0, c)->busy_ns;
		eng_free(e);
	}
	CU_ASSERT_EQUAL(inf[0], inf[1]);
	for (int tid = 1; tid < 6; tid++) {
		CU_ASSERT_EQUAL(run[0][tid], run[1][tid]);
		CU_ASSERT_EQUAL(chg[0][tid], chg[1][tid]);
	}
	for (int c = 0; c < 3; c++)
		CU_ASSERT_EQUAL(busy[0][c], busy[1][c]);
}

/* Past the stop time the engine still reads until every CPU had its first
 * switch: it tells what ran there from the start. */
static void test_stop_time_waits_for_first_switches(void)
{
	struct eng *e = mk(2, 0, 1000);
	eng_set_stop(e, 150);
	sw(e, 0, 100, 0, 0, 10);
	struct pmt_event ev = { .time_ns = 300, .type = PMT_EV_SWITCH, .cpu = 1 };
	CU_ASSERT_EQUAL(eng_feed(e, &ev), 0);        /* cpu1's first switch: idle -> idle */
	ev.time_ns = 400;
	ev.cpu = 0;
	ev.u.sw.prev_tid = 10;
	CU_ASSERT_EQUAL(eng_feed(e, &ev), 1);        /* now everything is known */
	eng_finish(e, INT64_MIN);
	CU_ASSERT(find_ci(1, 0, 0, 300) >= 0);
	CU_ASSERT_EQUAL(eng_cpu(e, 0, 1)->unknown_ns, 0);
	eng_free(e);
}

static void test_bad_cpu_is_counted_not_applied(void)
{
	struct eng *e = mk(1, 0, 1000);
	sw(e, 7, 100, 0, 0, 10);
	struct eng_totals t;
	eng_totals(e, &t);
	CU_ASSERT_EQUAL(t.bad_events, 1);
	CU_ASSERT_EQUAL(eng_entity_count(e), 0);
	eng_finish(e, INT64_MIN);
	eng_free(e);
}

void pmt_cu_register(void)
{
	CU_pSuite s = CU_add_suite("engine", NULL, NULL);
	CU_add_test(s, "intervals, a CPU change and a wakeup latency", test_basic_intervals_change_and_latency);
	CU_add_test(s, "the idle quirk: a missing switch-in is inferred", test_idle_quirk_inferred_switch_in);
	CU_add_test(s, "a first switch after a wakeup infers idle before it", test_first_switch_after_wakeup);
	CU_add_test(s, "a loss makes the CPU and its task unknown until resync", test_loss_makes_state_unknown);
	CU_add_test(s, "a missing switch-out is an unknown stretch", test_missing_switch_out_is_a_conflict);
	CU_add_test(s, "a missing switch-out on the same CPU: the next run is inferred", test_missing_switch_out_same_cpu);
	CU_add_test(s, "migrate events, preemption and exit", test_migrate_events_and_preemption);
	CU_add_test(s, "memory follows entities, not events", test_many_entities_and_long_streams);
	CU_add_test(s, "a stop time closes open intervals there", test_stop_time_closes_intervals);
	CU_add_test(s, "past the stop time, reading goes on until every CPU switched once", test_stop_time_waits_for_first_switches);
	CU_add_test(s, "events naming a CPU the level lacks are counted", test_bad_cpu_is_counted_not_applied);
	CU_add_test(s, "a batch gives what one by one gives, and stops at the stop time", test_batch_equals_one_by_one);
}
