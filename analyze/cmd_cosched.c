/*
 * cmd_cosched.c - pmt-analyze cosched: per guest, time split into idle,
 * co-running, skewed and stalled; histograms of how many vCPUs are busy and
 * how many busy vCPUs run at once; skew (max, mean, time above a threshold).
 */
#include "analyze/commands.h"
#include "analyze/twolevel/tlrun.h"

#include <math.h>
#include <stdlib.h>

enum { O_SKEW = 1 };

static const struct cli_opt opts[] = {
	{ "skew-threshold", 1, O_SKEW, "  --skew-threshold T       skew_above_ns counts skew > T (default 3ms)" },
	{ NULL, 0, 0, NULL },
};

struct ctx {
	struct cli *c;
	int64_t thr;
};

static int on_opt(void *vctx, int id, const char *arg)
{
	struct ctx *x = vctx;
	if (id == O_SKEW && (cli_parse_duration(arg, &x->thr) < 0 || x->thr <= 0))
		return cli_usage_error(x->c, "--skew-threshold: '%s' is not a positive duration", arg);
	return 0;
}

static const struct col ccols[] = {
	{ "guest", COL_STR, 0, 0 },        { "busy_from", COL_STR, 0, 0 },
	{ "idle_ns", COL_INT, 0, 0 },      { "corunning_ns", COL_INT, 0, 0 },
	{ "skewed_ns", COL_INT, 0, 0 },    { "stalled_ns", COL_INT, 0, 0 },
	{ "unknown_ns", COL_INT, 0, 0 },   { "skew_max_ns", COL_INT, 0, 0 },
	{ "skew_mean_ns", COL_INT, 0, 0 }, { "skew_above_ns", COL_INT, 0, 0 },
	{ "skew_threshold_ns", COL_INT, 0, 0 },
};

static const struct col hcols[] = {
	{ "guest", COL_STR, 0, 0 }, { "k", COL_UINT, 0, 0 },
	{ "busy_ns", COL_INT, 0, 0 }, { "running_busy_ns", COL_INT, 0, 0 },
};

int cmd_cosched(int argc, char **argv)
{
	struct cli c;
	struct ctx x = { &c, 3000000 };
	int rc = CLI_EXIT_ERROR;
	int p = cli_parse(&c, "pmt-analyze cosched",
			  "pmt-analyze cosched [--skew-threshold T] FILE.pmt", argc, argv, opts,
			  on_opt, &x);
	if (p)
		return p > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	if (c.nargs != 1) {
		cli_usage_error(&c, "one trace file is needed");
		cli_release(&c);
		return CLI_EXIT_USAGE;
	}
	const char *path = c.args[0];
	struct tl_opts to = { .skew_threshold_ns = x.thr };
	struct tl_session ss;
	if (tl_session_run(&c, path, &to, "co-scheduling needs a guest level or vCPU bindings", &ss) < 0)
		goto out;
	pmt_reader *r = ss.r;
	struct tl *t = ss.t;
	FILE *fp;
	struct out *o = cli_out_open(&c, &fp);
	if (!o)
		goto out;
	cli_note_trace(&c, o, r);
	struct table *tb = out_table(o, "cosched", "Co-scheduling", ccols, 11, 0);
	for (uint32_t i = 0; i < t->nguests; i++) {
		const struct tl_guest *g = &t->guests[i];
		if (!tl_guest_wanted(&c, g))
			continue;
		tl_note_levels(o, g, "cosched");
		table_set_s(tb, 0, g->name);
		table_set_s(tb, 1, g->has_guest ? "guest" : "host");
		if (g->has_host) {
			table_set_i(tb, 2, g->class_ns[TL_C_IDLE]);
			table_set_i(tb, 3, g->class_ns[TL_C_CORUN]);
			table_set_i(tb, 4, g->class_ns[TL_C_SKEWED]);
			table_set_i(tb, 5, g->class_ns[TL_C_STALLED]);
			table_set_i(tb, 6, g->unknown_ns);
			if (g->skew_known_ns > 0) {
				table_set_i(tb, 7, g->skew_max);
				table_set_i(tb, 8, (int64_t)floorl(g->skew_area / (long double)g->skew_known_ns));
				table_set_i(tb, 9, g->skew_above_ns);
			}
		}
		table_set_i(tb, 10, t->o.skew_threshold_ns);
		table_end_row(tb);
	}
	table_close(tb);
	tb = out_table(o, "busy_hist", "Time by number of busy vCPUs (k): busy, and busy and running",
		       hcols, 4, 0);
	for (uint32_t i = 0; i < t->nguests; i++) {
		const struct tl_guest *g = &t->guests[i];
		if (!tl_guest_wanted(&c, g) || !g->has_host)
			continue;
		for (uint32_t k = 0; k <= g->nvcpus; k++) {
			table_set_s(tb, 0, g->name);
			table_set_u(tb, 1, k);
			table_set_i(tb, 2, g->busy_hist[k]);
			table_set_i(tb, 3, g->runbusy_hist[k]);
			table_end_row(tb);
		}
	}
	table_close(tb);
	if (cli_out_close(&c, o, fp) < 0)
		goto out;
	rc = cli_exit_status(&c, r);
out:
	tl_session_release(&ss);
	cli_release(&c);
	return rc;
}
