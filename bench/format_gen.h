/*
 * format_gen.h - synthetic scheduler event mixes for the format benchmark and
 * the synthetic sample traces: deterministic (a seed), host level, 2 CPUs,
 * a 2.4 GHz TSC clock.
 *
 *  pingpong: two tasks pinned on CPU 0 passing a token through pipes
 *            (waking, wakeup, switch per hand-over, deltas of a few us with
 *            ns jitter), a kworker now and then, CPU 1 mostly idle.
 *  mixed:    hackbench-like: 8 groups of 40 tasks on 2 CPUs, wakeups across
 *            CPUs, migrations, preemptions, blocking.
 */
#ifndef FORMAT_GEN_H
#define FORMAT_GEN_H

#include "pmt.h"

enum gen_mix { GEN_PINGPONG, GEN_MIXED };

#define GEN_TASKS 320
#define GEN_QUEUE 16

struct gen {
	int mix;
	uint64_t rng;
	uint64_t now[2];        /* ticks per CPU */
	uint32_t cur[2];        /* running tid per CPU */
	uint64_t n;             /* events produced */
	/* pending events (a step makes several) */
	struct pmt_event q[GEN_QUEUE];
	int qh, qn;
	int cpu_of[GEN_TASKS + 1];
	uint8_t st[GEN_TASKS + 1]; /* 0 sleeping, 1 runnable (queued), 2 running */
	uint32_t rq[2][GEN_TASKS];
	int nrq[2];
	int phase;
};

void gen_init(struct gen *g, int mix, uint64_t seed);
/* Next event, in per-stream time order (streams interleave). */
void gen_next(struct gen *g, struct pmt_event *ev);
/* Describe the trace on a writer (clock, level, tasks); then begin. */
int gen_describe(struct gen *g, pmt_writer *w);

#endif
