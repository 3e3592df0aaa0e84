/*
 * cmd_migrations.c - `pmt-analyze migrations FILE`: the migration timeline,
 * one row per kernel migrate event (kind `migrate`) and per CPU change
 * (kind `cpu-change`: a switch-in, seen or inferred, on another CPU than the
 * entity's last run). Rows stream out as the engine finds them: memory does
 * not grow with the length of the timeline. Columns: docs/METRICS.md.
 */
#include "analyze/commands.h"
#include "analyze/engine/report.h"
#include "analyze/twolevel/composed.h"

#include <string.h>

#define USAGE "pmt-analyze migrations FILE.pmt [--kind migrate|cpu-change] [--composed] [OPTIONS]"

struct migs {
	struct rep *p;
	struct table *t;
	int kind;       /* 0: both */
	uint64_t rows;
	int composed;   /* --composed: pCPUs of guest task rows (analyze/twolevel) */
	struct tl *tl;
};

static void m_mig(void *ctx, struct eng *e, const struct eng_migration *m)
{
	struct migs *s = ctx;
	struct rep *p = s->p;
	if (s->kind && m->kind != s->kind)
		return;
	if (!rep_want_time(p, m->time_ns) || !rep_want_entity(p, m->ent))
		return;
	if (p->cli.cpus && !rep_want_cpu(p, m->ent->level, m->from_cpu) &&
	    !rep_want_cpu(p, m->ent->level, m->to_cpu))
		return;
	struct table *t = s->t;
	table_set_i(t, 0, rep_rel(p, m->time_ns));
	table_set_s(t, 1, rep_level_name(p, m->ent->level));
	table_set_u(t, 2, m->ent->tid);
	table_set_u(t, 3, m->ent->pid);
	table_set_s(t, 4, m->ent->comm);
	table_set_u(t, 5, m->from_cpu);
	table_set_u(t, 6, m->to_cpu);
	table_set_s(t, 7, m->kind == ENG_MIG_MIGRATE ? "migrate" : "cpu-change");
	if (m->off_cpu_ns >= 0)
		table_set_i(t, 8, m->off_cpu_ns);
	table_set_u(t, 9, (m->flags & ENG_F_START_INFERRED) ? 1 : 0);
	table_set_u(t, 10, (m->flags & ENG_F_END_UNKNOWN) ? 1 : 0);
	if (s->tl && tl_guest_find(s->tl, m->ent->level)) {
		int32_t from, to;
		tl_migration_pcpus(s->tl, m->ent->level, m->ent->tid, m->to_cpu, &from, &to);
		if (from >= 0)
			table_set_i(t, 11, from);
		if (to >= 0)
			table_set_i(t, 12, to);
	}
	table_end_row(t);
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
	static const struct col cols[] = {
		{ "time_ns", COL_INT, 14, 0 }, { "level", COL_STR, 6, 0 },
		{ "tid", COL_UINT, 8, 0 }, { "pid", COL_UINT, 8, 0 },
		{ "comm", COL_STR, 16, 0 }, { "from_cpu", COL_UINT, 8, 0 },
		{ "to_cpu", COL_UINT, 6, 0 }, { "kind", COL_STR, 10, 0 },
		{ "off_cpu_ns", COL_INT, 12, 0 }, { "inferred", COL_UINT, 8, 0 },
		{ "uncertain", COL_UINT, 9, 0 },
		{ "pcpu_from", COL_INT, 9, 0 }, { "pcpu_to", COL_INT, 7, 0 },
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
	s.t = out_table(p.o, "migrations", "", cols, s.composed ? 13 : 11, TABLE_STREAM);
	struct eng_module m = { .name = "migrations", .migration = m_mig };
	eng_add_module(p.e, &m, &s);
	rep_run(&p);
	table_close(s.t);
	tl_free(s.tl);
	return rep_close(&p);
}
