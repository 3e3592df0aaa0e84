/*
 * cmd_dump.c - `pmt-analyze dump FILE`: every event, one per line, merged in
 * reference-time order (ties: stream order, then file order). Streams rows as
 * they come (memory stays bounded). Filters: --level, --cpu, --time, --tid
 * (matches any entity field of the event). Columns: docs/METRICS.md "dump".
 */
#include "analyze/cli.h"
#include "analyze/commands.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"pmt-analyze dump FILE.pmt [--format text|csv|json] [--level L] [--cpu LIST]\n"
	"                        [--time START,END] [--tid LIST] [-o FILE]";

enum { C_TIME, C_TS, C_LEVEL, C_CPU, C_EVENT, C_TID, C_PID, C_OTHER, C_STATE, C_FROM,
       C_TO, C_FLAGS, C_COUNT, C_A, C_B, C_TEXT, NCOLS };

static const struct col cols[NCOLS] = {
	{"time_ns", COL_INT, 20, 0},  {"ts", COL_UINT, 20, 0},   {"level", COL_UINT, 5, 0},
	{"cpu", COL_UINT, 4, 0},      {"event", COL_STR, 8, 0},  {"tid", COL_UINT, 10, 0},
	{"pid", COL_UINT, 10, 0},     {"other_tid", COL_UINT, 10, 0}, {"state", COL_STR, 7, 0},
	{"from_cpu", COL_UINT, 8, 0}, {"to_cpu", COL_UINT, 8, 0}, {"flags", COL_UINT, 5, 0},
	{"count", COL_UINT, 8, 0},    {"a", COL_UINT, 10, 0},    {"b", COL_UINT, 10, 0},
	{"text", COL_STR, 16, 0},
};

static int want_tid(const struct cli *c, const struct pmt_event *e)
{
	if (!c->ntids)
		return 1;
	uint32_t ids[3] = {0, 0, 0};
	int n = 0;
	switch (e->type) {
	case PMT_EV_SWITCH: ids[n++] = e->u.sw.prev_tid; ids[n++] = e->u.sw.next_tid; break;
	case PMT_EV_MIGRATE: ids[n++] = e->u.migrate.tid; break;
	case PMT_EV_WAKEUP: ids[n++] = e->u.wakeup.tid; ids[n++] = e->u.wakeup.waker_tid; break;
	case PMT_EV_FORK: ids[n++] = e->u.fork.parent_tid; ids[n++] = e->u.fork.child_tid; break;
	case PMT_EV_EXEC: ids[n++] = e->u.exec.tid; break;
	case PMT_EV_EXIT: ids[n++] = e->u.exit.tid; break;
	case PMT_EV_NAME: ids[n++] = e->u.name.tid; break;
	case PMT_EV_HV: ids[n++] = e->u.hv.tid; break;
	default: return 0;
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < c->ntids; k++)
			if (ids[i] == c->tids[k])
				return 1;
	return 0;
}

static void row(struct table *t, const struct pmt_event *e)
{
	table_set_i(t, C_TIME, e->time_ns);
	table_set_u(t, C_TS, e->ts);
	table_set_u(t, C_LEVEL, e->level);
	table_set_u(t, C_CPU, e->cpu);
	table_set_s(t, C_EVENT, pmt_event_type_name(e->type));
	switch (e->type) {
	case PMT_EV_SWITCH:
		table_set_u(t, C_TID, e->u.sw.prev_tid);
		table_set_s(t, C_STATE, pmt_state_name((int)e->u.sw.prev_state));
		table_set_u(t, C_OTHER, e->u.sw.next_tid);
		break;
	case PMT_EV_MIGRATE:
		table_set_u(t, C_TID, e->u.migrate.tid);
		table_set_u(t, C_FROM, e->u.migrate.from_cpu);
		table_set_u(t, C_TO, e->u.migrate.to_cpu);
		break;
	case PMT_EV_WAKEUP:
		table_set_u(t, C_TID, e->u.wakeup.tid);
		table_set_u(t, C_OTHER, e->u.wakeup.waker_tid);
		table_set_u(t, C_TO, e->u.wakeup.target_cpu);
		table_set_u(t, C_FLAGS, e->u.wakeup.flags);
		break;
	case PMT_EV_FORK:
		table_set_u(t, C_TID, e->u.fork.parent_tid);
		table_set_u(t, C_OTHER, e->u.fork.child_tid);
		table_set_u(t, C_PID, e->u.fork.child_pid);
		table_set_u(t, C_FLAGS, e->u.fork.flags);
		break;
	case PMT_EV_EXEC:
		table_set_u(t, C_TID, e->u.exec.tid);
		table_set_s(t, C_TEXT, e->u.exec.comm.s);
		break;
	case PMT_EV_EXIT:
		table_set_u(t, C_TID, e->u.exit.tid);
		break;
	case PMT_EV_NAME:
		table_set_u(t, C_TID, e->u.name.tid);
		table_set_u(t, C_PID, e->u.name.pid);
		table_set_s(t, C_TEXT, e->u.name.comm.s);
		break;
	case PMT_EV_LOST:
		table_set_u(t, C_COUNT, e->u.lost.count);
		table_set_u(t, C_A, e->u.lost.span);
		break;
	case PMT_EV_MARKER:
		table_set_s(t, C_TEXT, e->u.marker.text.s);
		break;
	case PMT_EV_HV:
		table_set_u(t, C_TID, e->u.hv.tid);
		table_set_s(t, C_STATE, pmt_hv_kind_name((int)e->u.hv.kind));
		table_set_u(t, C_A, e->u.hv.a);
		table_set_u(t, C_B, e->u.hv.b);
		break;
	}
	table_end_row(t);
}

int cmd_dump(int argc, char **argv)
{
	struct cli c;
	int rc = cli_parse(&c, "pmt-analyze dump", usage, argc, argv, NULL, NULL, NULL);
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
	uint8_t *want = calloc(in->nstreams ? in->nstreams : 1, 1);
	FILE *fp = NULL;
	struct out *o = want ? cli_out_open(&c, &fp) : NULL;
	if (!o) {
		free(want);
		pmt_reader_close(r);
		cli_release(&c);
		return CLI_EXIT_ERROR;
	}
	for (size_t i = 0; i < in->nstreams; i++)
		want[i] = cli_want_level(&c, in->streams[i].level) &&
			  cli_want_cpu(&c, in->streams[i].level, in->streams[i].cpu);
	cli_note_trace(&c, o, r);
	int err = 0;
	pmt_cursor *cur = pmt_cursor_open_merged(r, want, &err);
	struct table *t = out_table(o, "events", "", cols, NCOLS, TABLE_STREAM);
	int64_t lo = cli_time_lo(&c), hi = cli_time_hi(&c);
	if (cur && lo != INT64_MIN)
		err = pmt_cursor_seek(cur, lo);
	const struct pmt_event *e;
	uint64_t n = 0;
	while (cur && !err && (e = pmt_cursor_next(cur, &err)) != NULL) {
		if (e->time_ns > hi)
			break;
		if ((++n & 0xffff) == 0)
			cli_progress(&c, (uint64_t)(e->time_ns - in->first_ns),
				     (uint64_t)(in->last_ns - in->first_ns));
		if (want_tid(&c, e))
			row(t, e);
	}
	cli_progress_done(&c);
	table_close(t);
	pmt_cursor_close(cur);
	rc = cli_out_close(&c, o, fp) ? CLI_EXIT_ERROR : CLI_EXIT_OK;
	if (err) {
		/* The damage that stopped the cursor is the last one listed. */
		if (in->ndamage)
			fprintf(stderr, "%s: offset %llu: %s\n", path,
				(unsigned long long)in->damage[in->ndamage - 1].offset,
				in->damage[in->ndamage - 1].what);
		else
			fprintf(stderr, "pmt-analyze dump: '%s': %s\n", path, pmt_strerror(err));
		rc = CLI_EXIT_ERROR;
	} else if (rc == CLI_EXIT_OK) {
		rc = cli_exit_status(&c, r);
	}
	free(want);
	pmt_reader_close(r);
	cli_release(&c);
	return rc;
}
