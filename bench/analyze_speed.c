/*
 * analyze_speed.c - where pmt-analyze spends its time: one trace read three
 * ways, CPU time per event for each: reading the merged stream only (read);
 * the engine with no module (engine: what summary does over a whole trace);
 * the engine with a module taking every interval, CPU interval and
 * migration (modules).
 *   analyze-speed FILE.pmt [read|engine|modules]...
 * Events go in batches (pmt_cursor_next_batch, eng_feed_batch), as in
 * pmt-analyze. Two CPU times per row: the calling thread's (decode, merge,
 * engine) and the process's (with the loader thread's reading and
 * inflating).
 */
#include "analyze/engine/engine.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double cpu_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t sink;
static void m_iv(void *c, struct eng *e, const struct eng_interval *iv) { sink += (uint64_t)(iv->end_ns - iv->start_ns); }
static void m_ci(void *c, struct eng *e, const struct eng_cpu_interval *ci) { sink += (uint64_t)(ci->end_ns - ci->start_ns); }
static void m_mig(void *c, struct eng *e, const struct eng_migration *m) { sink++; }

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: analyze-speed FILE.pmt read|engine|modules...\n");
		return 2;
	}
	for (int a = 2; a < argc; a++) {
		int err = 0;
		pmt_reader *r = pmt_reader_open(argv[1], 0, &err);
		if (!r) {
			fprintf(stderr, "analyze-speed: '%s': %s\n", argv[1], pmt_strerror(err));
			return 1;
		}
		struct eng *e = strcmp(argv[a], "read") ? eng_new(pmt_reader_info(r)) : NULL;
		static const struct eng_module mod = { .name = "all", .interval = m_iv, .cpu_interval = m_ci, .migration = m_mig };
		if (e && !strcmp(argv[a], "modules"))
			eng_add_module(e, &mod, NULL);
		double t0 = cpu_s(CLOCK_THREAD_CPUTIME_ID), p0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
		pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
		uint64_t n = 0;
		const struct pmt_event *ev[256];
		size_t k;
		while (c && (k = pmt_cursor_next_batch(c, ev, 256, &err)) > 0) {
			n += k;
			if (e)
				eng_feed_batch(e, ev, k);
			else
				for (size_t i = 0; i < k; i++)
					sink += (uint64_t)ev[i]->time_ns;
		}
		if (e)
			eng_finish(e, INT64_MIN);
		pmt_cursor_close(c);
		double t = cpu_s(CLOCK_THREAD_CPUTIME_ID) - t0, pt = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - p0;
		printf("%-8s %llu events: this thread %.3f s (%.1f ns/event, %.1f M events/s); "
		       "process %.3f s (%.1f ns/event)\n", argv[a], (unsigned long long)n, t,
		       t * 1e9 / (double)n, (double)n / t / 1e6, pt, pt * 1e9 / (double)n);
		eng_free(e);
		pmt_reader_close(r);
	}
	return sink == 42 ? 3 : 0;
}
