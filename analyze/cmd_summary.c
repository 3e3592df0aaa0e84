/*
 * cmd_summary.c - `pmt-analyze summary FILE` (also bare `pmt-analyze FILE`):
 * span, levels, CPUs, events by type, losses and unknown time per CPU,
 * utilization, migration totals, the entities that migrate most.
 * Columns: docs/METRICS.md, "summary".
 */
#include "analyze/commands.h"
#include "analyze/engine/report.h"

#include <stdlib.h>
#include <string.h>

#define USAGE "pmt-analyze summary FILE.pmt [--top N] [OPTIONS]"

struct ent_sum {
	uint64_t migrate, changes;
	int64_t run_ns;
};

struct cpu_sum {
	int64_t busy, idle, unknown;
	uint64_t events;
};

struct sum {
	struct rep *p;
	size_t off;
	struct cpu_sum *cpus;
	uint64_t (*ev)[PMT_EV_TYPE_MAX_]; /* per level, in the --time window   */
	int top;
};

static void s_ci(void *ctx, struct eng *e, const struct eng_cpu_interval *ci)
{
	struct sum *s = ctx;
	int64_t d = rep_clip(s->p, ci->start_ns, ci->end_ns);
	struct cpu_sum *c = &s->cpus[ci->cpu->index];
	if (ci->tid == ENG_NONE)
		c->unknown += d;
	else if (ci->tid == PMT_TID_IDLE)
		c->idle += d;
	else
		c->busy += d;
}

static void s_iv(void *ctx, struct eng *e, const struct eng_interval *iv)
{
	struct sum *s = ctx;
	if (iv->state == ENG_RUNNING) {
		struct ent_sum *es = eng_priv(iv->ent, s->off);
		es->run_ns += rep_clip(s->p, iv->start_ns, iv->end_ns);
	}
}

static void s_mig(void *ctx, struct eng *e, const struct eng_migration *m)
{
	struct sum *s = ctx;
	if (!rep_want_time(s->p, m->time_ns))
		return;
	struct ent_sum *es = eng_priv(m->ent, s->off);
	if (m->kind == ENG_MIG_MIGRATE)
		es->migrate++;
	else
		es->changes++;
}

static void s_ev(void *ctx, struct eng *e, const struct pmt_event *ev)
{
	struct sum *s = ctx;
	if (!rep_want_time(s->p, ev->time_ns))
		return;
	struct eng_cpu *c = eng_cpu(e, ev->level, ev->cpu);
	if (c && ev->type < PMT_EV_TYPE_MAX_) {
		s->cpus[c->index].events++;
		s->ev[ev->level][ev->type]++;
	}
}

static int opt_fn(void *ctx, int id, const char *arg)
{
	struct sum *s = ctx;
	char *end;
	long v = strtol(arg, &end, 10);
	if (*end || v < 0 || v > 1000000)
		return cli_usage_error(&s->p->cli, "--top: '%s' is not a count", arg);
	s->top = (int)v;
	return 0;
}

static size_t g_off;
static int cmp_top(const void *a, const void *b)
{
	struct eng_entity *x = *(struct eng_entity *const *)a, *y = *(struct eng_entity *const *)b;
	const struct ent_sum *sx = eng_priv(x, g_off), *sy = eng_priv(y, g_off);
	uint64_t nx = sx->migrate + sx->changes, ny = sy->migrate + sy->changes;
	if (nx != ny)
		return nx > ny ? -1 : 1;
	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static double ratio(int64_t a, int64_t b)
{
	return b > 0 ? (double)a / (double)b : 0.0;
}

int cmd_summary(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "top", 1, 1, "  --top N                  entities listed among those that migrate most (default 10)" },
		{ NULL, 0, 0, NULL },
	};
	struct rep p;
	struct sum s = { .p = &p, .top = 10 };
	int rc = rep_open(&p, "summary", USAGE, argc, argv, opts, opt_fn, &s);
	if (rc >= 0)
		return rc;
	/* Without --time the engine's own totals are the figures (CPU busy, idle
	 * and unknown time, per-entity run time and migrations): no callback per
	 * interval or migration is needed. With a window they are clipped here. */
	int win = p.cli.has_time;
	struct eng_module m = {
		.name = "summary",
		.entity_priv = sizeof(struct ent_sum),
		.cpu_interval = win ? s_ci : NULL,
		.interval = win ? s_iv : NULL,
		.interval_states = 1u << ENG_RUNNING, /* run time only */
		.migration = win ? s_mig : NULL,
		.event = win ? s_ev : NULL,
	};
	size_t ncpu = eng_cpu_count(p.e), nlev = eng_level_count(p.e);
	s.cpus = calloc(ncpu ? ncpu : 1, sizeof(*s.cpus));
	s.ev = calloc(nlev ? nlev : 1, sizeof(*s.ev));
	int id = eng_add_module(p.e, &m, &s);
	if (!s.cpus || !s.ev || id < 0) {
		cli_error(&p.cli, "out of memory");
		free(s.cpus);
		free(s.ev);
		rep_close(&p);
		return CLI_EXIT_ERROR;
	}
	s.off = eng_priv_offset(p.e, id);
	rep_run(&p);
	struct eng *e = p.e;
	if (!win) {
		for (size_t i = 0; i < ncpu; i++) {
			const struct eng_cpu *c = eng_cpu_at(e, i);
			s.cpus[i].events = c->events;
			s.cpus[i].busy = c->busy_ns;
			s.cpus[i].idle = c->idle_ns;
			s.cpus[i].unknown = c->unknown_ns;
		}
		for (size_t i = 0; i < eng_entity_count(e); i++) {
			struct eng_entity *en = eng_entity_at(e, i);
			struct ent_sum *es = eng_priv(en, s.off);
			es->migrate = en->migrations;
			es->changes = en->cpu_changes;
			es->run_ns = en->run_ns;
		}
	}
	int64_t t0 = eng_trace_start(e), t1 = eng_trace_end(e);
	int64_t w0 = p.lo > t0 ? p.lo : t0, w1 = p.hi < t1 ? p.hi : t1;

	/* totals over the selected CPUs and entities */
	uint64_t events = 0, lost = 0, inferred = 0, resyncs = 0, conflicts = 0, nsel = 0;
	int64_t busy = 0, idle = 0, unknown = 0;
	for (size_t i = 0; i < ncpu; i++) {
		struct eng_cpu *c = eng_cpu_at(e, i);
		if (!rep_want_cpu(&p, c->level, c->cpu))
			continue;
		nsel++;
		events += s.cpus[i].events;
		lost += c->lost_events;
		inferred += c->inferred;
		resyncs += c->resyncs;
		conflicts += c->conflicts;
		busy += s.cpus[i].busy;
		idle += s.cpus[i].idle;
		unknown += s.cpus[i].unknown;
	}
	size_t nent = eng_entity_count(e), nwant = 0;
	uint64_t mig = 0, chg = 0;
	struct eng_entity **ents = malloc((nent ? nent : 1) * sizeof(*ents));
	for (size_t i = 0; i < nent && ents; i++) {
		struct eng_entity *en = eng_entity_at(e, i);
		if (!rep_want_entity(&p, en))
			continue;
		const struct ent_sum *es = eng_priv(en, s.off);
		mig += es->migrate;
		chg += es->changes;
		ents[nwant++] = en;
	}

	static const struct col tcols[] = {
		{ "file", COL_STR, 0, 0 }, { "trace_start_ns", COL_INT, 0, 0 },
		{ "span_ns", COL_INT, 0, 0 }, { "window_start_ns", COL_INT, 0, 0 },
		{ "window_end_ns", COL_INT, 0, 0 }, { "levels", COL_UINT, 0, 0 },
		{ "cpus", COL_UINT, 0, 0 }, { "entities", COL_UINT, 0, 0 },
		{ "events", COL_UINT, 0, 0 }, { "lost_events", COL_UINT, 0, 0 },
		{ "inferred_switch_ins", COL_UINT, 0, 0 }, { "resyncs", COL_UINT, 0, 0 },
		{ "conflicts", COL_UINT, 0, 0 }, { "unknown_ns", COL_INT, 0, 0 },
		{ "busy_ns", COL_INT, 0, 0 }, { "idle_ns", COL_INT, 0, 0 },
		{ "utilization", COL_FLOAT, 0, 0 }, { "migrations", COL_UINT, 0, 0 },
		{ "cpu_changes", COL_UINT, 0, 0 },
	};
	struct table *t = out_table(p.o, "trace", "trace", tcols, 19, TABLE_SINGLE);
	int k = 0;
	table_set_s(t, k++, p.cli.args[0]);
	table_set_i(t, k++, t0);
	table_set_i(t, k++, t1 - t0);
	table_set_i(t, k++, w0 - t0);
	table_set_i(t, k++, w1 - t0);
	table_set_u(t, k++, nlev);
	table_set_u(t, k++, nsel);
	table_set_u(t, k++, nwant);
	table_set_u(t, k++, events);
	table_set_u(t, k++, lost);
	table_set_u(t, k++, inferred);
	table_set_u(t, k++, resyncs);
	table_set_u(t, k++, conflicts);
	table_set_i(t, k++, unknown);
	table_set_i(t, k++, busy);
	table_set_i(t, k++, idle);
	table_set_f(t, k++, ratio(busy, busy + idle));
	table_set_u(t, k++, mig);
	table_set_u(t, k++, chg);
	table_end_row(t);
	table_close(t);

	static const struct col lcols[] = {
		{ "level", COL_STR, 0, 0 }, { "id", COL_UINT, 0, 0 }, { "kind", COL_STR, 0, 0 },
		{ "cpus", COL_UINT, 0, 0 }, { "guest_id", COL_INT, 0, 0 },
		{ "entities", COL_UINT, 0, 0 }, { "vcpus_bound", COL_UINT, 0, 0 },
	};
	t = out_table(p.o, "levels", "levels", lcols, 7, 0);
	for (size_t l = 0; l < nlev; l++) {
		if (!cli_want_level(&p.cli, (int)l))
			continue;
		const struct eng_level *lv = eng_level_at(e, l);
		uint64_t n = 0, nb = 0;
		for (size_t i = 0; i < nent; i++)
			n += eng_entity_at(e, i)->level == l;
		for (uint32_t v = 0; lv->vcpu_tid && v < lv->ncpus; v++)
			nb += lv->vcpu_tid[v] != ENG_NONE;
		table_set_s(t, 0, rep_level_name(&p, (uint16_t)l));
		table_set_u(t, 1, l);
		table_set_s(t, 2, lv->kind == PMT_LEVEL_HOST ? "host" : "guest");
		table_set_u(t, 3, lv->ncpus);
		table_set_i(t, 4, lv->guest_id);
		table_set_u(t, 5, n);
		table_set_u(t, 6, nb);
		table_end_row(t);
	}
	table_close(t);

	static const struct col ecols[] = {
		{ "level", COL_STR, 0, 0 }, { "type", COL_STR, 0, 0 }, { "count", COL_UINT, 0, 0 },
	};
	t = out_table(p.o, "events", "events by type", ecols, 3, 0);
	for (size_t l = 0; l < nlev; l++) {
		if (!cli_want_level(&p.cli, (int)l))
			continue;
		const struct eng_level *lv = eng_level_at(e, l);
		for (int ty = 1; ty < PMT_EV_TYPE_MAX_; ty++) {
			uint64_t n = p.cli.has_time ? s.ev[l][ty] : lv->events[ty];
			if (!n)
				continue;
			table_set_s(t, 0, rep_level_name(&p, (uint16_t)l));
			table_set_s(t, 1, pmt_event_type_name(ty));
			table_set_u(t, 2, n);
			table_end_row(t);
		}
	}
	table_close(t);

	static const struct col ccols[] = {
		{ "level", COL_STR, 0, 0 }, { "cpu", COL_UINT, 0, 0 }, { "events", COL_UINT, 0, 0 },
		{ "lost_events", COL_UINT, 0, 0 }, { "inferred_switch_ins", COL_UINT, 0, 0 },
		{ "busy_ns", COL_INT, 0, 0 }, { "idle_ns", COL_INT, 0, 0 },
		{ "unknown_ns", COL_INT, 0, 0 }, { "utilization", COL_FLOAT, 0, 0 },
	};
	t = out_table(p.o, "cpus", "CPUs", ccols, 9, 0);
	for (size_t i = 0; i < ncpu; i++) {
		struct eng_cpu *c = eng_cpu_at(e, i);
		if (!rep_want_cpu(&p, c->level, c->cpu))
			continue;
		const struct cpu_sum *cs = &s.cpus[i];
		table_set_s(t, 0, rep_level_name(&p, c->level));
		table_set_u(t, 1, c->cpu);
		table_set_u(t, 2, cs->events);
		table_set_u(t, 3, c->lost_events);
		table_set_u(t, 4, c->inferred);
		table_set_i(t, 5, cs->busy);
		table_set_i(t, 6, cs->idle);
		table_set_i(t, 7, cs->unknown);
		table_set_f(t, 8, ratio(cs->busy, cs->busy + cs->idle));
		table_end_row(t);
	}
	table_close(t);

	static const struct col mcols[] = {
		{ "level", COL_STR, 0, 0 }, { "tid", COL_UINT, 0, 0 }, { "pid", COL_UINT, 0, 0 },
		{ "comm", COL_STR, 0, 0 }, { "migrations", COL_UINT, 0, 0 },
		{ "cpu_changes", COL_UINT, 0, 0 }, { "run_ns", COL_INT, 0, 0 },
	};
	t = out_table(p.o, "top_migrators", "entities that migrate most", mcols, 7, 0);
	if (ents) {
		g_off = s.off;
		qsort(ents, nwant, sizeof(*ents), cmp_top);
		for (size_t i = 0; i < nwant && i < (size_t)s.top; i++) {
			const struct ent_sum *es = eng_priv(ents[i], s.off);
			if (!es->migrate && !es->changes)
				break;
			table_set_s(t, 0, rep_level_name(&p, ents[i]->level));
			table_set_u(t, 1, ents[i]->tid);
			table_set_u(t, 2, ents[i]->pid);
			table_set_s(t, 3, ents[i]->comm);
			table_set_u(t, 4, es->migrate);
			table_set_u(t, 5, es->changes);
			table_set_i(t, 6, es->run_ns);
			table_end_row(t);
		}
	}
	table_close(t);
	free(ents);
	free(s.cpus);
	free(s.ev);
	return rep_close(&p);
}
