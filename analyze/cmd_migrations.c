/*
 * cmd_migrations.c - `pmt-analyze migrations FILE`: the migration timeline,
 * one row per kernel migrate event (kind `migrate`) and per CPU change
 * (kind `cpu-change`: a switch-in, seen or inferred, on another CPU than the
 * entity's last run). Rows go out in time order as soon as no later
 * event can precede them (analyze/migorder.h): memory does not grow with the
 * length of the timeline. Columns: docs/METRICS.md.
 */
#include "analyze/commands.h"
#include "analyze/engine/report.h"
#include "analyze/migorder.h"
#include "analyze/twolevel/composed.h"

#include <stdio.h>
#include <string.h>

#define USAGE "pmt-analyze migrations FILE.pmt [--kind migrate|cpu-change] [--composed] [OPTIONS]"

struct migs {
	struct rep *p;
	struct table *t;
	int kind;       /* 0: both */
	uint64_t rows;
	int composed;   /* --composed: pCPUs of guest task rows (analyze/twolevel) */
	struct tl *tl;
	struct mig_order ord;
};

static void print_row(void *ctx, const struct mig_row *r)
{
	struct migs *s = ctx;
	struct table *t = s->t;
	mig_row_cells(t, s->p, r);
	if (r->composed) {
		if (r->pcpu_from >= 0)
			table_set_i(t, 11, r->pcpu_from);
		if (r->pcpu_to >= 0)
			table_set_i(t, 12, r->pcpu_to);
	}
	table_end_row(t);
}

static void m_mig(void *ctx, struct eng *e, const struct eng_migration *m)
{
	struct migs *s = ctx;
	struct rep *p = s->p;
	if (s->kind && m->kind != s->kind)
		return;
	if (!mig_wanted(p, m))
		return;
	struct mig_row r;
	(void)e;
	mig_order_fill(&s->ord, &r, m);
	if (s->tl && tl_guest_find(s->tl, m->ent->level)) {
		int32_t from, to;
		tl_migration_pcpus(s->tl, m->ent->level, m->ent->tid, m->to_cpu, &from, &to);
		r.composed = 1;
		r.pcpu_from = from;
		r.pcpu_to = to;
	}
	mig_order_push(&s->ord, &r);
	s->rows++;
}

static int opt_fn(void *ctx, int id, const char *arg)
{
	struct migs *s = ctx;
	if (id == 2) {
		s->composed = 1;
		return 0;
	}
	if (!strcmp(arg, "migrate"))
		s->kind = ENG_MIG_MIGRATE;
	else if (!strcmp(arg, "cpu-change"))
		s->kind = ENG_MIG_CPU_CHANGE;
	else
		return cli_usage_error(&s->p->cli, "--kind: '%s' is not migrate or cpu-change", arg);
	return 0;
}

int cmd_migrations(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "kind", 1, 1, "  --kind K                 only migrate (kernel events) or cpu-change rows" },
		{ "composed", 0, 2, "  --composed               guest task rows: pCPU before and after (pcpu_from, pcpu_to)" },
		{ NULL, 0, 0, NULL },
	};
	struct rep p;
	struct migs s = { .p = &p };
	int rc = rep_open(&p, "migrations", USAGE, argc, argv, opts, opt_fn, &s);
	if (rc >= 0)
		return rc;
	if (s.composed && !(s.tl = tl_attach(&p))) {
		rep_close(&p);
		return CLI_EXIT_ERROR;
	}
	s.t = out_table(p.o, "migrations", "", mig_cols,
			    s.composed ? MIG_NCOLS_COMPOSED : MIG_NCOLS, TABLE_STREAM);
	struct eng_module m = { .name = "migrations", .migration = m_mig };
	mig_order_init(&s.ord, &p, print_row, &s);
	eng_add_module(p.e, &m, &s);
	rep_run(&p);
	if (mig_order_done(&s.ord))
		fprintf(stderr, "pmt-analyze migrations: more than %d rows waited for a CPU without a "
			"switch: some rows are out of time order\n", MIG_ORDER_MAX);
	table_close(s.t);
	tl_free(s.tl);
	return rep_close(&p);
}
