/*
 * cmd_affinity.c - `pmt-analyze affinity FILE [--matrix]`: residency and
 * affinity per entity (run time per CPU, the most used CPU and its share,
 * CPU changes, kernel migrations, mean run length between CPU changes).
 * Memory: one run-time array per entity that ran (CPUs of its level).
 * Columns: docs/METRICS.md, "affinity".
 */
#include "analyze/commands.h"
#include "analyze/engine/report.h"
#include "analyze/twolevel/composed.h"

#include <stdlib.h>

#define USAGE "pmt-analyze affinity FILE.pmt [--matrix] [--composed] [OPTIONS]"

struct ent_aff {
	int64_t *cpu_ns;       /* run time per CPU of its level (NULL: never ran) */
	int64_t run_ns;
	uint64_t runs, changes, migrate;
	uint64_t inferred_runs;
};

struct aff {
	struct rep *p;
	size_t off;
	int matrix;
	int oom;
	int composed;   /* --composed: guest tasks on pCPUs (analyze/twolevel) */
};

static void a_iv(void *ctx, struct eng *e, const struct eng_interval *iv)
{
	struct aff *a = ctx;
	if (iv->state != ENG_RUNNING)
		return;
	int64_t d = rep_clip(a->p, iv->start_ns, iv->end_ns);
	if (!d && !rep_want_time(a->p, iv->end_ns))
		return;
	struct ent_aff *x = eng_priv(iv->ent, a->off);
	if (!x->cpu_ns) {
		const struct eng_level *l = eng_level_at(e, iv->ent->level);
		x->cpu_ns = calloc(l->ncpus ? l->ncpus : 1, sizeof(int64_t));
		if (!x->cpu_ns) {
			a->oom = 1;
			return;
		}
	}
	x->cpu_ns[iv->cpu] += d;
	x->run_ns += d;
	x->runs++;
	if (iv->flags & ENG_F_START_INFERRED)
		x->inferred_runs++;
}

static void a_mig(void *ctx, struct eng *e, const struct eng_migration *m)
{
	struct aff *a = ctx;
	if (!rep_want_time(a->p, m->time_ns))
		return;
	struct ent_aff *x = eng_priv(m->ent, a->off);
	if (m->kind == ENG_MIG_MIGRATE)
		x->migrate++;
	else
		x->changes++;
}

static int opt_fn(void *ctx, int id, const char *arg)
{
	struct aff *a = ctx;
	if (id == 2)
		a->composed = 1;
	else
		a->matrix = 1;
	return 0;
}

int cmd_affinity(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "matrix", 0, 1, "  --matrix                 run time per (entity, CPU) instead" },
		{ "composed", 0, 2, "  --composed               guest tasks on pCPUs: run time per pCPU, stolen time" },
		{ NULL, 0, 0, NULL },
	};
	struct rep p;
	struct aff a = { .p = &p };
	int rc = rep_open(&p, "affinity", USAGE, argc, argv, opts, opt_fn, &a);
	if (rc >= 0)
		return rc;
	struct eng_module m = {
		.name = "affinity",
		.entity_priv = sizeof(struct ent_aff),
		.interval = a_iv,
		.interval_states = 1u << ENG_RUNNING, /* run time only */
		.migration = a_mig,
	};
	int id = eng_add_module(p.e, &m, &a);
	a.off = eng_priv_offset(p.e, id);
	struct tl *tl = NULL;
	if (a.composed && !(tl = tl_attach(&p))) {
		rep_close(&p);
		return CLI_EXIT_ERROR;
	}
	rep_run(&p);
	struct eng *e = p.e;
	if (a.oom)
		cli_error(&p.cli, "out of memory: some run times are missing");
	static const struct col cols[] = {
		{ "level", COL_STR, 0, 0 }, { "tid", COL_UINT, 0, 0 }, { "pid", COL_UINT, 0, 0 },
		{ "comm", COL_STR, 0, 0 }, { "run_ns", COL_INT, 0, 0 }, { "runs", COL_UINT, 0, 0 },
		{ "cpu_changes", COL_UINT, 0, 0 }, { "migrations", COL_UINT, 0, 0 },
		{ "cpus_used", COL_UINT, 0, 0 }, { "top_cpu", COL_UINT, 0, 0 },
		{ "affinity", COL_FLOAT, 0, 0 }, { "mean_run_ns", COL_INT, 0, 0 },
		{ "inferred_runs", COL_UINT, 0, 0 },
	};
	static const struct col mcols[] = {
		{ "level", COL_STR, 0, 0 }, { "tid", COL_UINT, 0, 0 }, { "pid", COL_UINT, 0, 0 },
		{ "comm", COL_STR, 0, 0 }, { "cpu", COL_UINT, 0, 0 }, { "run_ns", COL_INT, 0, 0 },
		{ "share", COL_FLOAT, 0, 0 },
	};
	struct table *t = a.matrix ? out_table(p.o, "residency", "run time per (entity, CPU)", mcols, 7, 0)
				   : out_table(p.o, "affinity", "", cols, 13, 0);
	for (size_t i = 0; i < eng_entity_count(e); i++) {
		struct eng_entity *en = eng_entity_at(e, i);
		struct ent_aff *x = eng_priv(en, a.off);
		if (!rep_want_entity(&p, en))
			goto next;
		if (!x->runs && !x->changes && !x->migrate)
			goto next;
		uint32_t ncpus = eng_level_at(e, en->level)->ncpus;
		if (p.cli.cpus) {
			int any = 0;
			for (uint32_t c = 0; x->cpu_ns && c < ncpus; c++)
				any |= x->cpu_ns[c] > 0 && rep_want_cpu(&p, en->level, c);
			if (!any)
				goto next;
		}
		if (a.matrix) {
			for (uint32_t c = 0; x->cpu_ns && c < ncpus; c++) {
				if (!x->cpu_ns[c] || !rep_want_cpu(&p, en->level, c))
					continue;
				table_set_s(t, 0, rep_level_name(&p, en->level));
				table_set_u(t, 1, en->tid);
				table_set_u(t, 2, en->pid);
				table_set_s(t, 3, en->comm);
				table_set_u(t, 4, c);
				table_set_i(t, 5, x->cpu_ns[c]);
				table_set_f(t, 6, x->run_ns ? (double)x->cpu_ns[c] / (double)x->run_ns : 0);
				table_end_row(t);
			}
			goto next;
		}
		uint32_t top = 0, used = 0;
		for (uint32_t c = 0; x->cpu_ns && c < ncpus; c++) {
			used += x->cpu_ns[c] > 0;
			if (x->cpu_ns[c] > x->cpu_ns[top])
				top = c;
		}
		table_set_s(t, 0, rep_level_name(&p, en->level));
		table_set_u(t, 1, en->tid);
		table_set_u(t, 2, en->pid);
		table_set_s(t, 3, en->comm);
		table_set_i(t, 4, x->run_ns);
		table_set_u(t, 5, x->runs);
		table_set_u(t, 6, x->changes);
		table_set_u(t, 7, x->migrate);
		table_set_u(t, 8, used);
		if (x->run_ns > 0) {
			table_set_u(t, 9, top);
			table_set_f(t, 10, (double)x->cpu_ns[top] / (double)x->run_ns);
		}
		table_set_i(t, 11, x->run_ns / (int64_t)(x->changes + 1));
		table_set_u(t, 12, x->inferred_runs);
		table_end_row(t);
next:
		free(x->cpu_ns);
		x->cpu_ns = NULL;
	}
	table_close(t);
	if (tl) {
		tl_report_composed(&p, tl, a.matrix);
		tl_free(tl);
	}
	return rep_close(&p);
}
