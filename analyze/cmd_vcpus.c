/*
 * cmd_vcpus.c - pmt-analyze vcpus: per vCPU, its host states (running,
 * runnable = steal, blocked, unknown), harmful steal, pCPU changes, and busy /
 * idle in the guest's view; --matrix adds run time per (vCPU, pCPU).
 */
#include "analyze/commands.h"
#include "analyze/twolevel/tlrun.h"

#include <stdlib.h>

enum { O_MATRIX = 1 };

static const struct cli_opt opts[] = {
	{ "matrix", 0, O_MATRIX, "  --matrix                 run time per (vCPU, pCPU)" },
	{ NULL, 0, 0, NULL },
};

static int on_opt(void *ctx, int id, const char *arg)
{
	(void)arg;
	if (id == O_MATRIX)
		*(int *)ctx = 1;
	return 0;
}

static const struct col vcols[] = {
	{ "guest", COL_STR, 0, 0 },          { "vcpu", COL_UINT, 0, 0 },
	{ "host_tid", COL_UINT, 0, 0 },      { "running_ns", COL_INT, 0, 0 },
	{ "runnable_ns", COL_INT, 0, 0 },    { "blocked_ns", COL_INT, 0, 0 },
	{ "unknown_ns", COL_INT, 0, 0 },     { "steal_ns", COL_INT, 0, 0 },
	{ "harmful_steal_ns", COL_INT, 0, 0 }, { "pcpu_changes", COL_UINT, 0, 0 },
	{ "busy_ns", COL_INT, 0, 0 },        { "idle_ns", COL_INT, 0, 0 },
	{ "guest_unknown_ns", COL_INT, 0, 0 },
};

static const struct col mcols[] = {
	{ "guest", COL_STR, 0, 0 }, { "vcpu", COL_UINT, 0, 0 },
	{ "pcpu", COL_UINT, 0, 0 }, { "run_ns", COL_INT, 0, 0 },
	{ "share", COL_FLOAT, 0, 0 },
};

int cmd_vcpus(int argc, char **argv)
{
	struct cli c;
	int matrix = 0, rc = CLI_EXIT_ERROR;
	int p = cli_parse(&c, "pmt-analyze vcpus", "pmt-analyze vcpus FILE.pmt [--matrix]",
			  argc, argv, opts, on_opt, &matrix);
	if (p)
		return p > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	if (c.nargs != 1) {
		cli_usage_error(&c, "one trace file is needed");
		cli_release(&c);
		return CLI_EXIT_USAGE;
	}
	const char *path = c.args[0];
	struct tl_opts to = { 0 };
	struct tl_session ss;
	if (tl_session_run(&c, path, &to, "vCPU reports need a guest level or vCPU bindings", &ss) < 0)
		goto out;
	pmt_reader *r = ss.r;
	struct tl *t = ss.t;
	FILE *fp;
	struct out *o = cli_out_open(&c, &fp);
	if (!o)
		goto out;
	cli_note_trace(&c, o, r);
	struct table *tb = out_table(o, "vcpus", "vCPUs", vcols, 13, 0);
	for (uint32_t i = 0; i < t->nguests; i++) {
		const struct tl_guest *g = &t->guests[i];
		if (!tl_guest_wanted(&c, g))
			continue;
		tl_note_levels(o, g, "vcpus");
		for (uint32_t v = 0; v < g->nvcpus; v++) {
			const struct tl_vcpu *vc = &g->vcpus[v];
			if (!cli_want_cpu(&c, g->level, v))
				continue;
			table_set_s(tb, 0, g->name);
			table_set_u(tb, 1, v);
			if (vc->host_tid)
				table_set_u(tb, 2, vc->host_tid);
			if (g->has_host) {
				table_set_i(tb, 3, vc->hns[TL_RUN]);
				table_set_i(tb, 4, vc->hns[TL_RUNNABLE]);
				table_set_i(tb, 5, vc->hns[TL_BLOCKED]);
				table_set_i(tb, 6, vc->hns[TL_UNKNOWN]);
				table_set_i(tb, 7, vc->hns[TL_RUNNABLE]);
				table_set_u(tb, 9, vc->pcpu_changes);
			}
			if (g->has_guest) {
				if (g->has_host)
					table_set_i(tb, 8, vc->harmful_ns);
				table_set_i(tb, 10, vc->busy_ns);
				table_set_i(tb, 11, vc->idle_ns);
				table_set_i(tb, 12, vc->gunknown_ns);
			}
			table_end_row(tb);
		}
	}
	table_close(tb);
	if (matrix) {
		tb = out_table(o, "matrix", "Run time per (vCPU, pCPU)", mcols, 5, 0);
		for (uint32_t i = 0; i < t->nguests; i++) {
			const struct tl_guest *g = &t->guests[i];
			if (!tl_guest_wanted(&c, g) || !g->has_host)
				continue;
			for (uint32_t v = 0; v < g->nvcpus; v++) {
				const struct tl_vcpu *vc = &g->vcpus[v];
				if (!cli_want_cpu(&c, g->level, v) || vc->hns[TL_RUN] <= 0)
					continue;
				for (uint32_t pc = 0; pc < t->npcpus; pc++) {
					if (!vc->run_pcpu[pc])
						continue;
					table_set_s(tb, 0, g->name);
					table_set_u(tb, 1, v);
					table_set_u(tb, 2, pc);
					table_set_i(tb, 3, vc->run_pcpu[pc]);
					table_set_f(tb, 4, (double)vc->run_pcpu[pc] / (double)vc->hns[TL_RUN]);
					table_end_row(tb);
				}
			}
		}
		table_close(tb);
	}
	if (cli_out_close(&c, o, fp) < 0)
		goto out;
	rc = cli_exit_status(&c, r);
out:
	tl_session_release(&ss);
	cli_release(&c);
	return rc;
}
