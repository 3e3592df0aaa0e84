/*
 * mktrace.c - writes the small traces pmt-plot's tests draw, with a schedule
 * known exactly (tests/plot/README.md):
 *   mktrace two OUT.pmt   host (2 pCPUs) with vCPU threads 100..103 of guest
 *                         "vm" (4 vCPUs) running tasks 1000..1005
 *   mktrace one OUT.pmt   host only (2 CPUs) running tasks 1000..1005
 *   mktrace odd OUT.pmt   the same with names that need quoting everywhere:
 *                         a"b'c, x,y, new<LF>line, {$1}, 50%, worker_5
 * Time: 1 s to 3 s of one ns clock. Host slots of 10 ms: pCPU c runs vCPU
 * thread (k + 2c) % 4 in slot k, so every vCPU thread changes pCPU every
 * other slot and waits (runnable) in between. Guest slots of 20 ms: vCPU v
 * runs task 1000 + (j + v) % 6 in slot j. Single level: CPU c runs task
 * 1000 + (j + 3c) % 6 in 20 ms slot j. At each slot boundary a CPU first
 * switches to its idle task and 1 us later to the next entity, so that an
 * entity moving between CPUs leaves one before it enters the other (as a
 * real trace orders it).
 */
#include <stdio.h>
#include <string.h>

#include "pmt.h"

#define T0 1000000000LL
#define SPAN 2000000000LL

static int sw1(pmt_writer *w, int level, int cpu, int64_t t, uint32_t prev, int state,
	       uint32_t next)
{
	struct pmt_event e;
	memset(&e, 0, sizeof(e));
	e.ts = (uint64_t)t;
	e.level = (uint16_t)level;
	e.type = PMT_EV_SWITCH;
	e.cpu = (uint32_t)cpu;
	e.u.sw.prev_tid = prev;
	e.u.sw.prev_state = (uint32_t)state;
	e.u.sw.next_tid = next;
	return pmt_writer_append(w, &e);
}

/* prev leaves at t (idle runs), next enters at t + 1 us */
static int sw(pmt_writer *w, int level, int cpu, int64_t t, uint32_t prev, int state,
	      uint32_t next)
{
	int err = 0;
	if (prev)
		err = sw1(w, level, cpu, t, prev, state, 0);
	if (!err && next)
		err = sw1(w, level, cpu, t + 1000, 0, PMT_STATE_RUNNABLE, next);
	return err;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "one") && strcmp(argv[1], "two") &&
			  strcmp(argv[1], "odd"))) {
		fprintf(stderr, "usage: mktrace one|two|odd OUT.pmt\n");
		return 2;
	}
	int two = strcmp(argv[1], "two") == 0;
	int err;
	pmt_writer *w = pmt_writer_open(argv[2], NULL, &err);
	if (!w) {
		fprintf(stderr, "mktrace: '%s': %s\n", argv[2], pmt_strerror(err));
		return 1;
	}
	struct pmt_clock clk = { .name = "mono", .freq_hz = 1000000000, .mult_num = 1,
				 .mult_den = 1 };
	pmt_writer_add_clock(w, &clk);
	struct pmt_level hl = { .kind = PMT_LEVEL_HOST, .clock = 0, .name = "host", .ncpus = 2,
				.guest_id = -1 };
	pmt_writer_add_level(w, &hl);
	pmt_writer_set_meta(w, "host", "plot-test");
	char name[32];
	if (two) {
		struct pmt_level gl = { .kind = PMT_LEVEL_GUEST, .clock = 0, .name = "vm",
					.ncpus = 4, .guest_id = 99 };
		pmt_writer_add_level(w, &gl);
		for (uint32_t v = 0; v < 4; v++) {
			struct pmt_binding b = { .guest_level = 1, .host_level = 0, .guest_cpu = v,
						 .host_tid = 100 + v };
			pmt_writer_add_binding(w, &b);
			snprintf(name, sizeof(name), "CPU %u/TCG", v);
			struct pmt_task t = { .level = 0, .tid = 100 + v, .pid = 99,
					      .flags = PMT_TASK_VCPU, .comm = name };
			pmt_writer_add_task(w, &t);
		}
	}
	static const char *const odd[6] = { "a\"b'c", "x,y", "new\nline", "{$1}", "50%",
					     "worker_5" };
	for (uint32_t i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "worker_%u", i);
		if (strcmp(argv[1], "odd") == 0)
			snprintf(name, sizeof(name), "%s", odd[i]);
		struct pmt_task t = { .level = (uint16_t)two, .tid = 1000 + i, .pid = 1000,
				      .comm = name };
		pmt_writer_add_task(w, &t);
	}
	if ((err = pmt_writer_begin(w)) != 0)
		goto fail;
	/* Events in time order per stream; the writer keeps streams apart. */
	if (two) {
		for (int c = 0; c < 2; c++) {
			uint32_t prev = 0;
			for (int k = 0; k <= (int)(SPAN / 10000000); k++) {
				int64_t t = T0 + (int64_t)k * 10000000;
				uint32_t next = k == SPAN / 10000000 ? 0 : 100 + (uint32_t)((k + 2 * c) % 4);
				if ((err = sw(w, 0, c, t, prev, PMT_STATE_RUNNABLE, next)) != 0)
					goto fail;
				prev = next;
			}
		}
		for (int v = 0; v < 4; v++) {
			uint32_t prev = 0;
			for (int j = 0; j <= (int)(SPAN / 20000000); j++) {
				int64_t t = T0 + (int64_t)j * 20000000;
				uint32_t next = j == SPAN / 20000000 ? 0 : 1000 + (uint32_t)((j + v) % 6);
				if ((err = sw(w, 1, v, t, prev, PMT_STATE_SLEEPING, next)) != 0)
					goto fail;
				prev = next;
			}
		}
	} else {
		for (int c = 0; c < 2; c++) {
			uint32_t prev = 0;
			for (int j = 0; j <= (int)(SPAN / 20000000); j++) {
				int64_t t = T0 + (int64_t)j * 20000000;
				uint32_t next = j == SPAN / 20000000 ? 0 : 1000 + (uint32_t)((j + 3 * c) % 6);
				if ((err = sw(w, 0, c, t, prev, PMT_STATE_SLEEPING, next)) != 0)
					goto fail;
				prev = next;
			}
		}
	}
	if ((err = pmt_writer_close(w)) != 0) {
		fprintf(stderr, "mktrace: '%s': %s\n", argv[2], pmt_strerror(err));
		return 1;
	}
	return 0;
fail:
	fprintf(stderr, "mktrace: '%s': %s\n", argv[2], pmt_strerror(err));
	pmt_writer_abort(w);
	return 1;
}
