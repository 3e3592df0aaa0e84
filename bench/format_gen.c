/*
 * format_gen.c - synthetic scheduler event mixes (see format_gen.h).
 * Tids: 1..320 workers (pingpong uses 1 and 2), 900 + cpu kworkers.
 */
#include "bench/format_gen.h"

#include <stdio.h>
#include <string.h>

#define TICKS_PER_NS 2.4

static uint64_t rnd(struct gen *g)
{
	uint64_t x = g->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* A duration around mean_ns with a jitter of +-jit_ns, in ticks. */
static uint64_t dur(struct gen *g, unsigned mean_ns, unsigned jit_ns)
{
	int64_t j = (int64_t)(rnd(g) % (2 * jit_ns + 1)) - jit_ns;
	/* Sum of two uniforms: a softer, more realistic spread. */
	j = (j + (int64_t)(rnd(g) % (2 * jit_ns + 1)) - jit_ns) / 2;
	return (uint64_t)(((int64_t)mean_ns + j) * TICKS_PER_NS);
}

static void push(struct gen *g, int cpu, uint64_t after, uint16_t type)
{
	g->now[cpu] += after;
	struct pmt_event *e = &g->q[(g->qh + g->qn++) % GEN_QUEUE];
	memset(e, 0, sizeof(*e));
	e->ts = g->now[cpu];
	e->cpu = (uint32_t)cpu;
	e->type = type;
}

static struct pmt_event *last(struct gen *g) { return &g->q[(g->qh + g->qn - 1) % GEN_QUEUE]; }

static void ev_switch(struct gen *g, int cpu, uint64_t after, uint32_t prev, uint32_t st, uint32_t next)
{
	push(g, cpu, after, PMT_EV_SWITCH);
	last(g)->u.sw.prev_tid = prev;
	last(g)->u.sw.prev_state = st;
	last(g)->u.sw.next_tid = next;
	g->cur[cpu] = next;
}

static void ev_wake(struct gen *g, int cpu, uint64_t after, uint32_t tid, uint32_t target,
		    uint32_t waker, uint32_t flags)
{
	push(g, cpu, after, PMT_EV_WAKEUP);
	last(g)->u.wakeup.tid = tid;
	last(g)->u.wakeup.target_cpu = target;
	last(g)->u.wakeup.waker_tid = waker;
	last(g)->u.wakeup.flags = flags;
}

void gen_init(struct gen *g, int mix, uint64_t seed)
{
	memset(g, 0, sizeof(*g));
	g->mix = mix;
	g->rng = seed ? seed : 1;
	g->now[0] = g->now[1] = 1000000000ull; /* TSC value at the start */
	g->cur[0] = 1;
	g->cur[1] = 0;
	for (int t = 1; t <= GEN_TASKS; t++) {
		int cpu = t & 1;
		g->cpu_of[t] = cpu;
		if (mix == GEN_MIXED && t > 2) {
			g->rq[cpu][g->nrq[cpu]++] = (uint32_t)t;
			g->st[t] = 1;
		}
	}
	g->st[1] = g->st[2] = 2;
	if (mix == GEN_MIXED)
		g->cur[1] = 2;
}

/* One hand-over of the ping-pong: cur wakes the other task and blocks. */
static void step_pingpong(struct gen *g)
{
	uint32_t a = g->cur[0] == 1 ? 1 : 2, b = a == 1 ? 2 : 1;
	if (g->cur[0] != 1 && g->cur[0] != 2) {
		/* the kworker yields back */
		ev_switch(g, 0, dur(g, 1500, 400), g->cur[0], PMT_STATE_IDLE, (uint32_t)g->phase);
		return;
	}
	ev_wake(g, 0, dur(g, 2600, 350), b, 0, a, PMT_WAKE_WAKING);
	ev_wake(g, 0, dur(g, 310, 40), b, 0, a, 0);
	ev_switch(g, 0, dur(g, 1150, 120), a, PMT_STATE_SLEEPING, b);
	uint64_t k = rnd(g) % 1000;
	if (k < 3) {
		/* a kworker preempts the task that just started */
		uint32_t kw = 900;
		ev_wake(g, 0, dur(g, 900, 300), kw, 0, 0, 0);
		ev_switch(g, 0, dur(g, 400, 100), b, PMT_STATE_RUNNABLE, kw);
		g->phase = (int)b;
	} else if (k < 8) {
		/* CPU 1: a timer-driven kworker runs and goes back to idle */
		if (g->now[1] < g->now[0])
			g->now[1] = g->now[0];
		ev_switch(g, 1, dur(g, 50000, 20000), 0, PMT_STATE_RUNNABLE, 901);
		ev_switch(g, 1, dur(g, 4000, 1000), 901, PMT_STATE_IDLE, 0);
	}
}

static uint32_t rq_pop(struct gen *g, int cpu)
{
	if (g->nrq[cpu] == 0)
		return 0;
	uint32_t t = g->rq[cpu][0];
	memmove(g->rq[cpu], g->rq[cpu] + 1, (size_t)(g->nrq[cpu] - 1) * sizeof(uint32_t));
	g->nrq[cpu]--;
	return t;
}

static void rq_push(struct gen *g, int cpu, uint32_t t)
{
	if (t && g->nrq[cpu] < GEN_TASKS)
		g->rq[cpu][g->nrq[cpu]++] = t;
}

/* hackbench-like: the running task on a CPU sends to a receiver of its group
 * (waking it, maybe on the other CPU, maybe migrating it), then goes on,
 * blocks or is preempted. */
static void step_mixed(struct gen *g)
{
	int cpu = g->now[0] <= g->now[1] ? 0 : 1;
	uint32_t cur = g->cur[cpu];
	if (cur == 0) {
		uint32_t n = rq_pop(g, cpu);
		if (!n)
			n = rq_pop(g, !cpu);
		if (n) {
			if (g->cpu_of[n] != cpu) {
				push(g, cpu, dur(g, 2000, 800), PMT_EV_MIGRATE);
				last(g)->u.migrate.tid = n;
				last(g)->u.migrate.from_cpu = (uint32_t)g->cpu_of[n];
				last(g)->u.migrate.to_cpu = (uint32_t)cpu;
				g->cpu_of[n] = cpu;
			}
			ev_switch(g, cpu, dur(g, 1500, 500), 0, PMT_STATE_RUNNABLE, n);
			g->st[n] = 2;
		} else {
			g->now[cpu] += dur(g, 20000, 5000);
		}
		return;
	}
	uint32_t group = (cur - 1) / 40;
	uint32_t recv = group * 40 + 1 + (uint32_t)(rnd(g) % 40);
	if (recv != cur && recv <= GEN_TASKS && g->st[recv] == 0) {
		int tcpu = g->cpu_of[recv];
		if (rnd(g) % 100 < 12 && tcpu != cpu) {
			/* select_task_rq moves it here */
			push(g, cpu, dur(g, 800, 300), PMT_EV_MIGRATE);
			last(g)->u.migrate.tid = recv;
			last(g)->u.migrate.from_cpu = (uint32_t)tcpu;
			last(g)->u.migrate.to_cpu = (uint32_t)cpu;
			g->cpu_of[recv] = cpu;
			tcpu = cpu;
		}
		ev_wake(g, cpu, dur(g, 1800, 700), recv, (uint32_t)tcpu, cur, PMT_WAKE_WAKING);
		ev_wake(g, cpu, dur(g, 400, 100), recv, (uint32_t)tcpu, cur, 0);
		rq_push(g, tcpu, recv);
		g->st[recv] = 1;
	}
	uint64_t k = rnd(g) % 100;
	if (k < 55) {
		uint32_t n = rq_pop(g, cpu);
		ev_switch(g, cpu, dur(g, 1300, 400), cur, k < 15 ? PMT_STATE_RUNNABLE : PMT_STATE_SLEEPING, n);
		g->st[cur] = k < 15 ? 1 : 0;
		if (n)
			g->st[n] = 2;
		if (k < 15)
			rq_push(g, cpu, cur);
	}
}

void gen_next(struct gen *g, struct pmt_event *ev)
{
	while (g->qn == 0) {
		if (g->mix == GEN_PINGPONG)
			step_pingpong(g);
		else
			step_mixed(g);
	}
	*ev = g->q[g->qh];
	g->qh = (g->qh + 1) % GEN_QUEUE;
	g->qn--;
	g->n++;
}

int gen_describe(struct gen *g, pmt_writer *w)
{
	struct pmt_clock tsc = {.name = "x86-tsc", .freq_hz = 2400000000u, .raw_base = 1000000000ull,
				.ref_base_ns = 0, .mult_num = 5, .mult_den = 12};
	struct pmt_cpu_topo topo[2] = {{0, 0, 0, 0, 0}, {0, 0, 1, 0, 0}};
	struct pmt_level host = {.kind = PMT_LEVEL_HOST, .clock = 0, .name = "host", .ncpus = 2,
				 .topo = topo, .guest_id = -1};
	int e = pmt_writer_add_clock(w, &tsc);
	if (e >= 0)
		e = pmt_writer_add_level(w, &host);
	pmt_writer_set_meta(w, "host", "synthetic");
	pmt_writer_set_meta(w, "command", g->mix == GEN_PINGPONG ? "pipe ping-pong pinned to CPU 0"
								 : "hackbench-like: 8 groups x 40 tasks");
	pmt_writer_set_meta(w, "recorder", "bench/format_gen.c");
	char name[32];
	int ntasks = g->mix == GEN_PINGPONG ? 2 : GEN_TASKS;
	for (int t = 1; e >= 0 && t <= ntasks; t++) {
		snprintf(name, sizeof(name), g->mix == GEN_PINGPONG ? "pingpong-%d" : "hackbench-%d", t);
		struct pmt_task tk = {.level = 0, .tid = (uint32_t)t, .pid = g->mix == GEN_PINGPONG ? (uint32_t)t : 1,
				      .comm = name};
		e = pmt_writer_add_task(w, &tk);
	}
	for (int c = 0; e >= 0 && c < 2; c++) {
		snprintf(name, sizeof(name), "kworker/%d:1", c);
		struct pmt_task tk = {.level = 0, .tid = 900u + (uint32_t)c, .pid = 900u + (uint32_t)c,
				      .flags = PMT_TASK_KTHREAD, .comm = name};
		e = pmt_writer_add_task(w, &tk);
	}
	return e < 0 ? e : pmt_writer_begin(w);
}
