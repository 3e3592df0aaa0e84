/*
 * cmd_info.c - `pmt-analyze info FILE`: what a trace holds: the file (version,
 * size, events, time span, losses, whether it was recovered), its metadata,
 * clocks, levels, bindings and per-stream counts. Reads only the description
 * and the index (or the chunk headers of a recovered file), never the events.
 * Columns: docs/METRICS.md "info".
 */
#include "analyze/cli.h"
#include "analyze/commands.h"

#include <string.h>

static const char usage[] = "pmt-analyze info FILE.pmt [--format text|csv|json] [-o FILE]";

int cmd_info(int argc, char **argv)
{
	struct cli c;
	int rc = cli_parse(&c, "pmt-analyze info", usage, argc, argv, NULL, NULL, NULL);
	if (rc)
		return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	if (c.nargs != 1) {
		cli_usage_error(&c, "exactly one trace file expected");
		cli_release(&c);
		return CLI_EXIT_USAGE;
	}
	const char *path = c.args[0];
	pmt_reader *r = cli_open(&c, path);
	if (!r) {
		cli_release(&c);
		return CLI_EXIT_ERROR;
	}
	const struct pmt_info *in = pmt_reader_info(r);
	FILE *fp;
	struct out *o = cli_out_open(&c, &fp);
	if (!o) {
		pmt_reader_close(r);
		cli_release(&c);
		return CLI_EXIT_ERROR;
	}
	cli_note_trace(&c, o, r);

	static const struct col fcols[] = {
		{"file", COL_STR, 0, 0},        {"version", COL_STR, 0, 0},
		{"file_bytes", COL_UINT, 0, 0}, {"events", COL_UINT, 0, 0},
		{"lost_events", COL_UINT, 0, 0}, {"first_ns", COL_INT, 0, 0},
		{"last_ns", COL_INT, 0, 0},     {"duration_ns", COL_INT, 0, 0},
		{"levels", COL_UINT, 0, 0},     {"streams", COL_UINT, 0, 0},
		{"tasks", COL_UINT, 0, 0},      {"indexed", COL_UINT, 0, 0},
		{"recovered", COL_UINT, 0, 0},  {"damaged_places", COL_UINT, 0, 0},
		{"bytes_per_event", COL_FLOAT, 0, 2},
	};
	struct table *t = out_table(o, "file", "", fcols, 15, TABLE_SINGLE);
	char ver[32];
	snprintf(ver, sizeof(ver), "%u.%u", in->version_major, in->version_minor);
	table_set_s(t, 0, path);
	table_set_s(t, 1, ver);
	table_set_u(t, 2, in->file_size);
	table_set_u(t, 3, in->events);
	table_set_u(t, 4, in->lost_events);
	table_set_i(t, 5, in->first_ns);
	table_set_i(t, 6, in->last_ns);
	table_set_i(t, 7, in->last_ns - in->first_ns);
	table_set_u(t, 8, in->nlevels);
	table_set_u(t, 9, in->nstreams);
	table_set_u(t, 10, in->ntasks);
	table_set_u(t, 11, (uint64_t)in->indexed);
	table_set_u(t, 12, (uint64_t)in->recovered);
	table_set_u(t, 13, in->ndamage);
	if (in->events)
		table_set_f(t, 14, (double)in->file_size / (double)in->events);
	table_end_row(t);
	table_close(t);

	if (in->nmeta) {
		static const struct col mcols[] = {{"key", COL_STR, 0, 0}, {"value", COL_STR, 0, 0}};
		t = out_table(o, "metadata", "metadata", mcols, 2, 0);
		for (size_t i = 0; i < in->nmeta; i++) {
			table_set_s(t, 0, in->meta_keys[i]);
			table_set_s(t, 1, in->meta_values[i]);
			table_end_row(t);
		}
		table_close(t);
	}

	static const struct col ccols[] = {
		{"clock", COL_UINT, 0, 0},   {"name", COL_STR, 0, 0},
		{"freq_hz", COL_UINT, 0, 0}, {"raw_base", COL_UINT, 0, 0},
		{"ref_base_ns", COL_INT, 0, 0}, {"mult_num", COL_UINT, 0, 0},
		{"mult_den", COL_UINT, 0, 0}, {"uncertainty_ns", COL_UINT, 0, 0},
		{"mapping", COL_STR, 0, 0},
	};
	t = out_table(o, "clocks", "clocks", ccols, 9, 0);
	for (size_t i = 0; i < in->nclocks; i++) {
		const struct pmt_clock *k = &in->clocks[i];
		table_set_u(t, 0, i);
		table_set_s(t, 1, k->name);
		table_set_u(t, 2, k->freq_hz);
		table_set_u(t, 3, k->raw_base);
		table_set_i(t, 4, k->ref_base_ns);
		table_set_u(t, 5, k->mult_num);
		table_set_u(t, 6, k->mult_den);
		table_set_u(t, 7, k->uncertainty_ns);
		table_set_s(t, 8, k->flags & PMT_CLOCK_SYNCED ? "sync-pulses"
				  : k->flags & PMT_CLOCK_OFFSET ? "offset"
				  : k->flags & PMT_CLOCK_FREQ_ASSUMED ? "assumed" : "reference");
		table_end_row(t);
	}
	table_close(t);

	static const struct col lcols[] = {
		{"level", COL_UINT, 0, 0}, {"name", COL_STR, 0, 0}, {"kind", COL_STR, 0, 0},
		{"cpus", COL_UINT, 0, 0},  {"clock", COL_UINT, 0, 0}, {"guest_id", COL_INT, 0, 0},
		{"topology", COL_STR, 0, 0},
	};
	t = out_table(o, "levels", "levels", lcols, 7, 0);
	for (size_t i = 0; i < in->nlevels; i++) {
		const struct pmt_level *l = &in->levels[i];
		table_set_u(t, 0, l->id);
		table_set_s(t, 1, l->name);
		table_set_s(t, 2, l->kind == PMT_LEVEL_HOST ? "host" : "guest");
		table_set_u(t, 3, l->ncpus);
		table_set_u(t, 4, l->clock);
		table_set_i(t, 5, l->guest_id);
		table_set_s(t, 6, l->topo ? "yes" : "no");
		table_end_row(t);
	}
	table_close(t);

	if (in->nbindings) {
		static const struct col bcols[] = {
			{"guest_level", COL_UINT, 0, 0}, {"guest_cpu", COL_UINT, 0, 0},
			{"host_level", COL_UINT, 0, 0},  {"host_tid", COL_UINT, 0, 0},
		};
		t = out_table(o, "bindings", "vCPU bindings", bcols, 4, 0);
		for (size_t i = 0; i < in->nbindings; i++) {
			table_set_u(t, 0, in->bindings[i].guest_level);
			table_set_u(t, 1, in->bindings[i].guest_cpu);
			table_set_u(t, 2, in->bindings[i].host_level);
			table_set_u(t, 3, in->bindings[i].host_tid);
			table_end_row(t);
		}
		table_close(t);
	}

	static const struct col scols[] = {
		{"level", COL_UINT, 0, 0},        {"cpu", COL_UINT, 0, 0},
		{"events", COL_UINT, 0, 0},       {"chunks", COL_UINT, 0, 0},
		{"lost_events", COL_UINT, 0, 0},  {"lost_records", COL_UINT, 0, 0},
		{"first_ns", COL_INT, 0, 0},      {"last_ns", COL_INT, 0, 0},
	};
	t = out_table(o, "streams", "streams", scols, 8, 0);
	for (size_t i = 0; i < in->nstreams; i++) {
		const struct pmt_stream_info *s = &in->streams[i];
		if (!cli_want_level(&c, s->level) || !cli_want_cpu(&c, s->level, s->cpu))
			continue;
		table_set_u(t, 0, s->level);
		table_set_u(t, 1, s->cpu);
		table_set_u(t, 2, s->events);
		table_set_u(t, 3, s->chunks);
		table_set_u(t, 4, s->lost_events);
		table_set_u(t, 5, s->lost_records);
		table_set_i(t, 6, s->first_ns);
		table_set_i(t, 7, s->last_ns);
		table_end_row(t);
	}
	table_close(t);

	rc = cli_out_close(&c, o, fp) ? CLI_EXIT_ERROR : cli_exit_status(&c, r);
	pmt_reader_close(r);
	cli_release(&c);
	return rc;
}
