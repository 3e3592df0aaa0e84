/*
 * gen.c - analyze-gen: a scheduler simulation written through libpmt, with
 * its exact ground truth, for the pmt-analyze tests and benchmarks.
 *
 * N CPUs, T tasks (4 threads per process). Tasks run bursts, sleep, are
 * woken towards an idle CPU (their last one when it is free), preempted when
 * others wait, and moved by a load balancer to idle CPUs. The kernel-like
 * events are written as a recorder would: switch, wakeup, migrate (at a
 * wakeup on another CPU than the last, and at each balancing move).
 *
 *   --quirk-cpu C   do not write switches out of idle on CPU C (the CPU-1
 *                   quirk of this machine's kernel)
 *   --loss C:T0:T1  drop CPU C's events in [T0, T1) ns and write one lost
 *                   record with their count (span T1 - T0)
 *
 * --truth FILE gets one CSV row per task that is not running at the end:
 *   tid,run_ns,run_ns_seen,migrations,migrations_lost,cpu_changes,
 *   lat_count,lat_sum_ns,lat_max_ns,lat_excluded
 * run_ns is what the simulated tasks ran; run_ns_seen what the written trace
 * proves under the engine's documented rule for missing switch-ins (start at
 * the later of the CPU's previous switch and the task's last state change);
 * latencies exclude those ending at a switch-in that was not written.
 */
#include "pmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDLE -1
#define INF INT64_MAX

struct task {
	int state;             /* 0 sleeping, 1 queued, 2 running */
	int last_cpu;          /* -1: never ran */
	int64_t wake_t;        /* last wakeup (-1 if the last change was a preemption) */
	int64_t since_seen;    /* engine's view: last written wakeup or switch-out */
	int64_t run_start;
	int64_t run, run_seen, lat_sum, lat_max;
	uint64_t migrate, migrate_lost, changes, lat_n, lat_excl;
};

struct cpu {
	int cur;               /* task or IDLE */
	int *q;                /* FIFO of queued tasks */
	int qh, qn;
	int64_t next;          /* end of the burst / pick-up time; INF when idle */
	int64_t last_switch;   /* last written switch on this CPU */
};

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static int64_t urange(int64_t a, int64_t b) { return a + (int64_t)(rnd() % (uint64_t)(b - a + 1)); }

static int ncpus = 4, ntasks = 16, quirk = -1, loss_cpu = -1;
static int64_t loss_t0, loss_t1;
static uint64_t max_events = 100000, written, loss_count;
static struct task *T;
static struct cpu *C;
static pmt_writer *W;
static int64_t *heap_t;  /* sleepers: wake time */
static int *heap_id, heap_n;
static int64_t start_ns;

static void heap_push(int64_t t, int id)
{
	int i = heap_n++;
	while (i > 0) {
		int p = (i - 1) / 2;
		if (heap_t[p] <= t)
			break;
		heap_t[i] = heap_t[p];
		heap_id[i] = heap_id[p];
		i = p;
	}
	heap_t[i] = t;
	heap_id[i] = id;
}

static int heap_pop(void)
{
	int id = heap_id[0];
	int64_t t = heap_t[--heap_n];
	int x = heap_id[heap_n], i = 0;
	for (;;) {
		int l = 2 * i + 1, m = i;
		int64_t mt = t;
		if (l < heap_n && heap_t[l] < mt)
			m = l, mt = heap_t[l];
		if (l + 1 < heap_n && heap_t[l + 1] < mt)
			m = l + 1;
		if (m == i)
			break;
		heap_t[i] = heap_t[m];
		heap_id[i] = heap_id[m];
		i = m;
	}
	heap_t[i] = t;
	heap_id[i] = x;
	return id;
}

static uint32_t tid_of(int i) { return i < 0 ? 0 : 1000u + (uint32_t)i; }

/* Returns 1 when the event reached the file (0: dropped by the quirk/loss). */
static int put(struct pmt_event *ev)
{
	int64_t t = ev->time_ns;
	if ((int)ev->cpu == loss_cpu && t >= loss_t0 && t < loss_t1) {
		loss_count++;
		return 0;
	}
	if ((int)ev->cpu == loss_cpu && t >= loss_t1 && loss_count) {
		struct pmt_event l = { .ts = (uint64_t)loss_t0, .level = 0, .type = PMT_EV_LOST, .cpu = ev->cpu };
		l.u.lost.count = loss_count;
		l.u.lost.span = (uint64_t)(loss_t1 - loss_t0);
		loss_count = 0;
		if (pmt_writer_append(W, &l) == 0)
			written++;
	}
	ev->ts = (uint64_t)t;
	int rc = pmt_writer_append(W, ev);
	if (rc) {
		fprintf(stderr, "analyze-gen: append: %s\n", pmt_strerror(rc));
		exit(1);
	}
	written++;
	return 1;
}

static void put_switch(int c, int64_t t, int prev, uint32_t st, int next)
{
	if (c == quirk && prev == IDLE)
		return;
	struct pmt_event ev = { .time_ns = t, .level = 0, .type = PMT_EV_SWITCH, .cpu = (uint32_t)c };
	ev.u.sw.prev_tid = tid_of(prev);
	ev.u.sw.prev_state = st;
	ev.u.sw.next_tid = tid_of(next);
	if (put(&ev))
		C[c].last_switch = t;
}

static void start_run(int c, int x, int64_t t, int from_idle)
{
	struct task *k = &T[x];
	int written_in = !(c == quirk && from_idle) && !(c == loss_cpu && t >= loss_t0 && t < loss_t1);
	if (k->last_cpu >= 0 && k->last_cpu != c)
		k->changes++;
	k->last_cpu = c;
	k->state = 2;
	k->run_start = t;
	int64_t seen_start = t;
	if (!written_in) {
		int64_t b = C[c].last_switch;
		seen_start = b > k->since_seen ? b : k->since_seen;
	}
	k->run_seen -= seen_start; /* completed at the switch-out */
	if (k->wake_t >= 0) {
		if (written_in) {
			int64_t l = t - k->wake_t;
			k->lat_n++;
			k->lat_sum += l;
			if (l > k->lat_max)
				k->lat_max = l;
		} else {
			k->lat_excl++;
		}
	}
	C[c].cur = x;
	C[c].next = t + urange(5000, 500000);
}

static int qpop(int c)
{
	struct cpu *p = &C[c];
	if (!p->qn)
		return IDLE;
	int x = p->q[p->qh];
	p->qh = (p->qh + 1) % ntasks;
	p->qn--;
	return x;
}

static void qpush(int c, int x)
{
	struct cpu *p = &C[c];
	p->q[(p->qh + p->qn) % ntasks] = x;
	p->qn++;
	T[x].state = 1;
}

static void migrate_ev(int x, int from, int to, int64_t t)
{
	struct pmt_event ev = { .time_ns = t, .level = 0, .type = PMT_EV_MIGRATE, .cpu = (uint32_t)to };
	ev.u.migrate.tid = tid_of(x);
	ev.u.migrate.from_cpu = (uint32_t)from;
	ev.u.migrate.to_cpu = (uint32_t)to;
	T[x].migrate++;
	if (!put(&ev))
		T[x].migrate_lost++;
}

static void wake(int x, int64_t t)
{
	struct task *k = &T[x];
	int target = -1;
	if (k->last_cpu >= 0 && C[k->last_cpu].cur == IDLE && !C[k->last_cpu].qn)
		target = k->last_cpu;
	for (int i = 0, s = (int)(rnd() % (uint64_t)ncpus); target < 0 && i < ncpus; i++) {
		int c = (s + i) % ncpus;
		if (C[c].cur == IDLE && !C[c].qn)
			target = c;
	}
	if (target < 0)
		target = k->last_cpu >= 0 && rnd() % 4 ? k->last_cpu : (int)(rnd() % (uint64_t)ncpus);
	int wc = (int)(rnd() % (uint64_t)ncpus);
	struct pmt_event ev = { .time_ns = t, .level = 0, .type = PMT_EV_WAKEUP, .cpu = (uint32_t)target };
	ev.u.wakeup.tid = tid_of(x);
	ev.u.wakeup.target_cpu = (uint32_t)target;
	ev.u.wakeup.waker_tid = C[wc].cur >= 0 ? tid_of(C[wc].cur) : 0;
	if (put(&ev))
		k->since_seen = t;
	k->wake_t = t;
	if (k->last_cpu >= 0 && target != k->last_cpu)
		migrate_ev(x, k->last_cpu, target, t);
	qpush(target, x);
	if (C[target].cur == IDLE && C[target].next == INF)
		C[target].next = t + urange(1000, 30000);
}

static void cpu_step(int c, int64_t t)
{
	struct cpu *p = &C[c];
	if (p->cur == IDLE) {
		int x = qpop(c);
		if (x == IDLE) {
			p->next = INF;
			return;
		}
		put_switch(c, t, IDLE, 0, x);
		start_run(c, x, t, 1);
		return;
	}
	int y = p->cur;
	struct task *k = &T[y];
	int sleep = rnd() % 10 < 6;
	if (!sleep && !p->qn) {
		p->next = t + urange(5000, 500000); /* keeps running */
		return;
	}
	int next = qpop(c);
	k->run += t - k->run_start;
	int written_out = !(c == loss_cpu && t >= loss_t0 && t < loss_t1);
	put_switch(c, t, y, sleep ? PMT_STATE_SLEEPING : PMT_STATE_RUNNABLE, next);
	k->run_seen += t;
	if (written_out)
		k->since_seen = t;
	if (sleep) {
		k->state = 0;
		heap_push(t + urange(10000, 2000000), y);
	} else {
		k->wake_t = -1;
		qpush(c, y);
	}
	p->cur = IDLE;
	p->next = INF;
	if (next != IDLE)
		start_run(c, next, t, 0);
	/* balance: hand one waiting task to an idle CPU */
	if (p->qn) {
		for (int d = 0; d < ncpus; d++) {
			if (d == c || C[d].cur != IDLE || C[d].qn)
				continue;
			int x = p->q[(p->qh + p->qn - 1) % ntasks];
			p->qn--;
			migrate_ev(x, c, d, t);
			qpush(d, x);
			C[d].next = t + urange(1000, 30000);
			break;
		}
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: analyze-gen -o FILE [--cpus N] [--tasks T] [--events E] [--seed S] [--quirk-cpu C] [--loss C:T0:T1] [--truth FILE]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *truth = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-o") && v) out = v, i++;
		else if (!strcmp(a, "--cpus") && v) ncpus = atoi(v), i++;
		else if (!strcmp(a, "--tasks") && v) ntasks = atoi(v), i++;
		else if (!strcmp(a, "--events") && v) max_events = strtoull(v, NULL, 10), i++;
		else if (!strcmp(a, "--seed") && v) rng = strtoull(v, NULL, 10) * 2654435761u + 1, i++;
		else if (!strcmp(a, "--quirk-cpu") && v) quirk = atoi(v), i++;
		else if (!strcmp(a, "--truth") && v) truth = v, i++;
		else if (!strcmp(a, "--loss") && v) {
			long long c0, a0, b0;
			if (sscanf(v, "%lld:%lld:%lld", &c0, &a0, &b0) != 3 || a0 >= b0)
				return usage();
			loss_cpu = (int)c0, loss_t0 = a0, loss_t1 = b0, i++;
		} else
			return usage();
	}
	if (!out || ncpus < 1 || ncpus > 256 || ntasks < 1 || ntasks > 100000)
		return usage();
	int err = 0;
	W = pmt_writer_open(out, NULL, &err);
	if (!W) {
		fprintf(stderr, "analyze-gen: '%s': %s\n", out, pmt_strerror(err));
		return 1;
	}
	struct pmt_clock clk = { .name = "mono", .freq_hz = 1000000000, .mult_num = 1, .mult_den = 1 };
	pmt_writer_add_clock(W, &clk);
	struct pmt_level lv = { .kind = PMT_LEVEL_HOST, .clock = 0, .name = "host", .ncpus = (uint32_t)ncpus, .guest_id = -1 };
	pmt_writer_add_level(W, &lv);
	pmt_writer_set_meta(W, "generator", "analyze-gen");
	T = calloc((size_t)ntasks, sizeof(*T));
	C = calloc((size_t)ncpus, sizeof(*C));
	heap_t = malloc((size_t)ntasks * sizeof(*heap_t));
	heap_id = malloc((size_t)ntasks * sizeof(*heap_id));
	if (!T || !C || !heap_t || !heap_id)
		return 1;
	for (int i = 0; i < ntasks; i++) {
		char name[32];
		snprintf(name, sizeof(name), "worker-%d", i);
		struct pmt_task tk = { .level = 0, .tid = tid_of(i), .pid = tid_of(i - i % 4), .comm = name };
		pmt_writer_add_task(W, &tk);
		T[i].last_cpu = -1;
		T[i].wake_t = -1;
		T[i].since_seen = INT64_MIN;
	}
	if ((err = pmt_writer_begin(W))) {
		fprintf(stderr, "analyze-gen: '%s': %s\n", out, pmt_strerror(err));
		return 1;
	}
	start_ns = 0;
	for (int c = 0; c < ncpus; c++) {
		C[c].cur = IDLE;
		C[c].next = INF;
		C[c].last_switch = start_ns;
		C[c].q = malloc((size_t)ntasks * sizeof(int));
		if (!C[c].q)
			return 1;
	}
	/* at time 0 the first tasks run (CPU 0's switch is the trace start);
	 * the others sleep a little */
	for (int i = 0; i < ntasks; i++) {
		if (i < ncpus) {
			put_switch(i, 0, IDLE, 0, i);
			start_run(i, i, 0, 1);
		} else {
			heap_push(urange(1000, 200000), i);
		}
	}
	while (written < max_events) {
		int bc = -1;
		int64_t bt = INF;
		for (int c = 0; c < ncpus; c++)
			if (C[c].next < bt)
				bt = C[c].next, bc = c;
		if (heap_n && heap_t[0] <= bt) {
			int64_t t = heap_t[0];
			wake(heap_pop(), t);
		} else if (bc >= 0) {
			cpu_step(bc, bt);
		} else {
			break;
		}
	}
	if ((err = pmt_writer_close(W))) {
		fprintf(stderr, "analyze-gen: '%s': %s\n", out, pmt_strerror(err));
		return 1;
	}
	if (truth) {
		FILE *f = fopen(truth, "w");
		if (!f) {
			fprintf(stderr, "analyze-gen: '%s': %s\n", truth, strerror(errno));
			return 1;
		}
		fprintf(f, "tid,run_ns,run_ns_seen,migrations,migrations_lost,cpu_changes,lat_count,lat_sum_ns,lat_max_ns,lat_excluded\n");
		for (int i = 0; i < ntasks; i++) {
			struct task *k = &T[i];
			/* tasks still running at the end: closed at the trace end by the
			 * engine; the simulation stops at its last written event */
			if (k->state == 2)
				continue;
			fprintf(f, "%u,%lld,%lld,%llu,%llu,%llu,%llu,%lld,%lld,%llu\n", tid_of(i),
				(long long)k->run, (long long)k->run_seen, (unsigned long long)k->migrate,
				(unsigned long long)k->migrate_lost, (unsigned long long)k->changes,
				(unsigned long long)k->lat_n, (long long)k->lat_sum, (long long)k->lat_max,
				(unsigned long long)k->lat_excl);
		}
		fclose(f);
	}
	printf("%llu events\n", (unsigned long long)written);
	return 0;
}
