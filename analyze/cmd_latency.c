/*
 * cmd_latency.c - `pmt-analyze latency FILE`: wakeup-to-run latency and
 * runnable time (woken or preempted, until it runs), per entity and overall:
 * count, mean, p50, p95, p99, max. Distributions are log-linear histograms
 * (analyze/engine/hist.h): percentiles within 1/32 relative error, count,
 * mean and max exact, memory bounded per entity. Stretches that end at an
 * inferred switch-in are left out and counted (`excluded`).
 * Columns: docs/METRICS.md, "latency".
 */
#include "analyze/commands.h"
#include "analyze/engine/hist.h"
#include "analyze/engine/report.h"
#include "analyze/twolevel/composed.h"

#include <stdlib.h>

#define USAGE "pmt-analyze latency FILE.pmt [--split] [OPTIONS]"

enum { M_WAKE, M_RUNNABLE, M_N };
static const char *const metric_names[M_N] = { "wakeup", "runnable" };

struct ent_lat {
	struct hist h[M_N];
	uint64_t excluded[M_N];
};

struct lat {
	struct rep *p;
	size_t off;
	struct ent_lat all;
};

static void l_lat(void *ctx, struct eng *e, const struct eng_latency *l)
{
	struct lat *s = ctx;
	if (!rep_want_time(s->p, l->run_ns) || !rep_want_cpu(s->p, l->ent->level, l->cpu))
		return;
	struct ent_lat *x = eng_priv(l->ent, s->off);
	int inferred = (l->flags & ENG_F_END_INFERRED) != 0;
	for (int m = 0; m < M_N; m++) {
		int64_t from = m == M_WAKE ? l->wake_ns : l->runnable_ns;
		if (from < 0)
			continue;
		if (inferred) {
			x->excluded[m]++;
			if (rep_want_entity(s->p, l->ent))
				s->all.excluded[m]++;
			continue;
		}
		uint64_t d = (uint64_t)(l->run_ns - from);
		hist_add(&x->h[m], d);
		if (rep_want_entity(s->p, l->ent))
			hist_add(&s->all.h[m], d);
	}
}

static void row(struct table *t, struct rep *p, const struct eng_entity *en, int m,
		const struct ent_lat *x)
{
	const struct hist *h = &x->h[m];
	if (en) {
		table_set_s(t, 0, rep_level_name(p, en->level));
		table_set_u(t, 1, en->tid);
		table_set_u(t, 2, en->pid);
		table_set_s(t, 3, en->comm);
	} else {
		table_set_s(t, 0, p->cli.level >= 0 ? rep_level_name(p, (uint16_t)p->cli.level) : "all");
		table_set_s(t, 3, "(all)");
	}
	table_set_s(t, 4, metric_names[m]);
	table_set_u(t, 5, h->count);
	if (h->count) {
		table_set_f(t, 6, hist_mean(h));
		table_set_u(t, 7, hist_quantile(h, 0.50));
		table_set_u(t, 8, hist_quantile(h, 0.95));
		table_set_u(t, 9, hist_quantile(h, 0.99));
		table_set_u(t, 10, h->max);
	}
	table_set_u(t, 11, x->excluded[m]);
	table_end_row(t);
}

static size_t g_off;
static int g_metric;
static int cmp_p99(const void *a, const void *b)
{
	struct eng_entity *x = *(struct eng_entity *const *)a, *y = *(struct eng_entity *const *)b;
	const struct ent_lat *lx = eng_priv(x, g_off), *ly = eng_priv(y, g_off);
	uint64_t px = hist_quantile(&lx->h[g_metric], 0.99), py = hist_quantile(&ly->h[g_metric], 0.99);
	if (px != py)
		return px > py ? -1 : 1;
	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int split_opt(void *ctx, int id, const char *arg)
{
	*(int *)ctx = 1;
	return 0;
}

int cmd_latency(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "split", 0, 1, "  --split                  guest tasks: guest delay and host delay of each wakeup" },
		{ NULL, 0, 0, NULL },
	};
	struct rep p;
	struct lat s = { .p = &p };
	int split = 0;
	int rc = rep_open(&p, "latency", USAGE, argc, argv, opts, split_opt, &split);
	if (rc >= 0)
		return rc;
	struct tl *tl = NULL;
	if (split && !(tl = tl_attach(&p))) {
		rep_close(&p);
		return CLI_EXIT_ERROR;
	}
	struct eng_module m = {
		.name = "latency",
		.entity_priv = sizeof(struct ent_lat),
		.latency = l_lat,
	};
	int id = eng_add_module(p.e, &m, &s);
	s.off = eng_priv_offset(p.e, id);
	rep_run(&p);
	struct eng *e = p.e;
	static const struct col cols[] = {
		{ "level", COL_STR, 0, 0 }, { "tid", COL_UINT, 0, 0 }, { "pid", COL_UINT, 0, 0 },
		{ "comm", COL_STR, 0, 0 }, { "metric", COL_STR, 0, 0 }, { "count", COL_UINT, 0, 0 },
		{ "mean_ns", COL_FLOAT, 0, 1 }, { "p50_ns", COL_UINT, 0, 0 },
		{ "p95_ns", COL_UINT, 0, 0 }, { "p99_ns", COL_UINT, 0, 0 },
		{ "max_ns", COL_UINT, 0, 0 }, { "excluded", COL_UINT, 0, 0 },
	};
	struct table *t = out_table(p.o, "latency", "", cols, 12, 0);
	size_t n = eng_entity_count(e), k = 0;
	struct eng_entity **v = malloc((n ? n : 1) * sizeof(*v));
	for (size_t i = 0; v && i < n; i++) {
		struct eng_entity *en = eng_entity_at(e, i);
		const struct ent_lat *x = eng_priv(en, s.off);
		if (rep_want_entity(&p, en) &&
		    (x->h[0].count || x->h[1].count || x->excluded[0] || x->excluded[1]))
			v[k++] = en;
	}
	for (int mm = 0; mm < M_N; mm++) {
		row(t, &p, NULL, mm, &s.all);
		if (!v)
			continue;
		g_off = s.off;
		g_metric = mm;
		qsort(v, k, sizeof(*v), cmp_p99);
		for (size_t i = 0; i < k; i++) {
			const struct ent_lat *x = eng_priv(v[i], s.off);
			if (x->h[mm].count || x->excluded[mm])
				row(t, &p, v[i], mm, x);
		}
	}
	table_close(t);
	if (s.all.excluded[M_WAKE] || s.all.excluded[M_RUNNABLE])
		out_note(p.o, "%llu wakeup latencies and %llu runnable stretches ended at an inferred switch-in and are left out (`excluded`): their true length is not known",
			 (unsigned long long)s.all.excluded[M_WAKE],
			 (unsigned long long)s.all.excluded[M_RUNNABLE]);
	for (size_t i = 0; i < n; i++) {
		struct ent_lat *x = eng_priv(eng_entity_at(e, i), s.off);
		hist_release(&x->h[0]);
		hist_release(&x->h[1]);
	}
	hist_release(&s.all.h[0]);
	hist_release(&s.all.h[1]);
	free(v);
	if (tl) {
		tl_report_split(&p, tl);
		tl_free(tl);
	}
	return rep_close(&p);
}
