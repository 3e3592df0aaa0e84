/*
 * analyze_speed.c - where pmt-analyze spends its time: one trace read three
 * ways, CPU time per event for each (reading the merged stream only; the
 * engine with no module; the engine with a module taking every interval).
 *   analyze-speed FILE.pmt [read|engine|modules]...
 */
#include "analyze/engine/engine.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
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
		double t0 = cpu_s();
		pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
		uint64_t n = 0;
		const struct pmt_event *ev;
		while (c && (ev = pmt_cursor_next(c, &err))) {
			n++;
			if (e)
				eng_feed(e, ev);
			else
				sink += (uint64_t)ev->time_ns;
		}
		if (e)
			eng_finish(e, INT64_MIN);
		double t = cpu_s() - t0;
		printf("%-8s %llu events %.3f s cpu %.1f M events/s %.1f ns/event\n", argv[a],
		       (unsigned long long)n, t, (double)n / t / 1e6, t * 1e9 / (double)n);
		pmt_cursor_close(c);
		eng_free(e);
		pmt_reader_close(r);
	}
	return sink == 42 ? 3 : 0;
}
