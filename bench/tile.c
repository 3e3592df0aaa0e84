/*
 * tile.c - pmt-tile: a long trace made of a real recording repeated end to
 * end, for benchmarks that need more events than a recording here reaches.
 *
 *   pmt-tile -n EVENTS -o OUT.pmt IN.pmt
 *
 * Copy k (k = 0, 1, ...) holds every event of IN, shifted by k periods; a
 * period is IN's span plus 1 ms, so copies never overlap and each stream
 * stays in time order. Copies are written until OUT holds at least EVENTS
 * events (whole copies only). The header (clocks, levels, bindings, tasks,
 * metadata) is IN's. Each level's shift is the period in that level's raw
 * ticks, so all levels move together in reference time. Task ids repeat
 * from copy to copy, as when a benchmark runs again in the same processes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pmt.h"

static int die(const char *what, int err)
{
	fprintf(stderr, "pmt-tile: %s: %s\n", what, pmt_strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	unsigned long long want = 0;
	int o;
	while ((o = getopt(argc, argv, "n:o:")) != -1) {
		if (o == 'n')
			want = strtoull(optarg, NULL, 0);
		else if (o == 'o')
			out = optarg;
		else
			return 2;
	}
	if (!out || !want || optind + 1 != argc) {
		fprintf(stderr, "usage: pmt-tile -n EVENTS -o OUT.pmt IN.pmt\n");
		return 2;
	}
	const char *in = argv[optind];
	int err = 0;
	char msg[256] = "";
	pmt_reader *r = pmt_reader_open_ex(in, 0, &err, msg, sizeof(msg));
	if (!r) {
		fprintf(stderr, "pmt-tile: '%s': %s: %s\n", in, pmt_strerror(err), msg);
		return 1;
	}
	const struct pmt_info *info = pmt_reader_info(r);
	if (!info->events) {
		fprintf(stderr, "pmt-tile: '%s': no events\n", in);
		return 1;
	}
	pmt_writer *w = pmt_writer_open(out, NULL, &err);
	if (!w)
		return die(out, err);
	for (size_t i = 0; i < info->nmeta; i++)
		pmt_writer_set_meta(w, info->meta_keys[i], info->meta_values[i]);
	for (size_t i = 0; i < info->nclocks; i++)
		pmt_writer_add_clock(w, &info->clocks[i]);
	for (size_t i = 0; i < info->nlevels; i++)
		pmt_writer_add_level(w, &info->levels[i]);
	for (size_t i = 0; i < info->nbindings; i++)
		pmt_writer_add_binding(w, &info->bindings[i]);
	for (size_t i = 0; i < info->ntasks; i++)
		pmt_writer_add_task(w, &info->tasks[i]);
	pmt_writer_set_meta(w, "tiled_from", in);
	if ((err = pmt_writer_begin(w)) < 0)
		return die(out, err);
	/* the period in each level's raw ticks: span + 1 ms in reference ns */
	uint64_t period_ns = (uint64_t)(info->last_ns - info->first_ns) + 1000000;
	uint64_t *period = calloc(info->nlevels ? info->nlevels : 1, sizeof(*period));
	if (!period)
		return die("memory", PMT_ENOMEM);
	for (size_t i = 0; i < info->nlevels; i++) {
		const struct pmt_clock *c = &info->clocks[info->levels[i].clock];
		period[i] = (uint64_t)((unsigned __int128)period_ns * c->mult_den / c->mult_num) + 1;
	}
	unsigned long long copies = 0;
	while (pmt_writer_events(w) < want) {
		pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
		if (!c)
			return die(in, err);
		const struct pmt_event *ev;
		while ((ev = pmt_cursor_next(c, &err))) {
			struct pmt_event x = *ev;
			x.ts += copies * period[x.level];
			if ((err = pmt_writer_append(w, &x)) < 0)
				return die(out, err);
		}
		if (err < 0)
			return die(in, err);
		pmt_cursor_close(c);
		copies++;
	}
	unsigned long long n = (unsigned long long)pmt_writer_events(w);
	if ((err = pmt_writer_close(w)) < 0)
		return die(out, err);
	pmt_reader_close(r);
	free(period);
	printf("%llu events in %llu copies\n", n, copies);
	return 0;
}
