/*
 * cmd_diff.c - pmt-analyze diff A.pmt B.pmt: the key figures of two runs
 * side by side with the absolute and relative change: migrations per second
 * and affinity at each level, wakeup latency percentiles, and per guest
 * steal, the co-scheduling partition, skew, stalls (with percentiles) and
 * the latency split. Levels and guests are matched by name.
 */
#include "analyze/commands.h"
#include "analyze/engine/hist.h"
#include "analyze/twolevel/tlrun.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXFIG 512

struct fig {
	char name[96];
	double v;
	int valid;                 /* 0: not measurable in this trace          */
};

struct figs {
	struct fig f[MAXFIG];
	int n;
};

/* What the engine part collects per level. */
struct lvl {
	uint64_t changes, migrates;
	struct hist lat;
	uint64_t lat_excluded;
};

struct coll {
	struct lvl *lv;
	size_t nlv;
	int64_t lo, hi;            /* accounting window (reference ns)          */
	size_t off;                /* entity private area: int64_t *cpu_ns      */
	int oom;
};

static void c_mig(void *ctx, struct eng *e, const struct eng_migration *m)
{
	struct coll *c = ctx;
	if (m->ent->level >= c->nlv || m->time_ns < c->lo || m->time_ns > c->hi)
		return;
	if (m->kind == ENG_MIG_MIGRATE)
		c->lv[m->ent->level].migrates++;
	else
		c->lv[m->ent->level].changes++;
}

static void c_lat(void *ctx, struct eng *e, const struct eng_latency *l)
{
	struct coll *c = ctx;
	if (l->ent->level >= c->nlv || l->wake_ns < 0)
		return; /* not a wakeup: runnable after a preemption */
	if (l->run_ns < c->lo || l->run_ns > c->hi)
		return;
	if (l->flags & ENG_F_END_INFERRED)
		c->lv[l->ent->level].lat_excluded++;
	else
		hist_add(&c->lv[l->ent->level].lat, (uint64_t)(l->run_ns - l->wake_ns));
}

static void c_iv(void *ctx, struct eng *e, const struct eng_interval *iv)
{
	struct coll *c = ctx;
	int64_t s0 = iv->start_ns > c->lo ? iv->start_ns : c->lo;
	int64_t s1 = iv->end_ns < c->hi ? iv->end_ns : c->hi;
	if (iv->state != ENG_RUNNING || s1 <= s0)
		return;
	int64_t **x = eng_priv(iv->ent, c->off);
	if (!*x) {
		const struct eng_level *l = eng_level_at(e, iv->ent->level);
		if (!(*x = calloc(l->ncpus ? l->ncpus : 1, sizeof(int64_t)))) {
			c->oom = 1;
			return;
		}
	}
	(*x)[iv->cpu] += s1 - s0;
}

static const struct eng_module coll_module = {
	.name = "diff",
	.entity_priv = sizeof(int64_t *),
	.migration = c_mig,
	.latency = c_lat,
	.interval = c_iv,
};

static void put(struct figs *F, int valid, double v, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put(struct figs *F, int valid, double v, const char *fmt, ...)
{
	if (F->n == MAXFIG)
		return;
	struct fig *f = &F->f[F->n++];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->name, sizeof(f->name), fmt, ap);
	va_end(ap);
	f->v = v;
	f->valid = valid;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* Run one trace and fill F; returns 0 or -1 after an error line. With
 * guest_window, everything is accounted only while the guest levels have
 * events (from their first to their last event). */
static int collect(struct cli *cl, const char *path, struct figs *F, int guest_window)
{
	int rc = -1;
	pmt_reader *r = cli_open(cl, path);
	struct eng *e = NULL;
	struct tl *t = NULL;
	struct coll c = { 0 };
	if (!r)
		return -1;
	const struct pmt_info *info = pmt_reader_info(r);
	struct tl_opts to = { 0 };
	tl_opts_window(cl, &to);
	c.lo = cl->has_time ? to.t_lo : INT64_MIN;
	c.hi = cl->has_time ? to.t_hi : INT64_MAX;
	if (guest_window) {
		int64_t lo = INT64_MAX, hi = INT64_MIN;
		for (size_t s = 0; s < info->nstreams; s++) {
			const struct pmt_stream_info *si = &info->streams[s];
			if (si->level >= info->nlevels || !si->events ||
			    info->levels[si->level].kind != PMT_LEVEL_GUEST)
				continue;
			if (si->first_ns < lo)
				lo = si->first_ns;
			if (si->last_ns > hi)
				hi = si->last_ns;
		}
		if (lo > hi) {
			cli_error(cl, "'%s': --guest-window: no guest level with events in this trace", path);
			pmt_reader_close(r);
			return -1;
		}
		if (lo > c.lo)
			c.lo = lo;
		if (hi < c.hi)
			c.hi = hi;
		to.t_lo = c.lo;
		to.t_hi = c.hi;
	}
	t = tl_new(info, &to);
	e = eng_new(info);
	c.nlv = info->nlevels;
	c.lv = calloc(c.nlv ? c.nlv : 1, sizeof(*c.lv));
	if (!t || !e || !c.lv) {
		cli_error(cl, "'%s': %s", path, pmt_strerror(PMT_ENOMEM));
		goto out;
	}
	int id = eng_add_module(e, &coll_module, &c);
	c.off = eng_priv_offset(e, id);
	eng_add_module(e, tl_eng_module(), t);
	if (tl_drive(cl, path, r, e, t) < 0)
		goto out;
	int64_t w0 = c.lo > eng_trace_start(e) ? c.lo : eng_trace_start(e);
	int64_t w1 = c.hi < eng_trace_end(e) ? c.hi : eng_trace_end(e);
	double dur = w1 > w0 ? (double)(w1 - w0) / 1e9 : 0;
	put(F, 1, dur, "duration_s");
	for (size_t l = 0; l < c.nlv; l++) {
		const struct eng_level *lv = eng_level_at(e, l);
		if (!cli_want_level(cl, (int)l))
			continue;
		int has = 0;
		for (size_t s = 0; s < info->nstreams; s++)
			has |= info->streams[s].level == l && info->streams[s].events > 0;
		const char *n = lv->name;
		put(F, has && dur > 0, ratio((double)c.lv[l].changes, dur), "%s.cpu_changes_per_s", n);
		put(F, has && dur > 0, ratio((double)c.lv[l].migrates, dur), "%s.migrate_events_per_s", n);
		/* affinity: share of the level's run time spent on each entity's top CPU */
		double run = 0, top = 0;
		for (size_t i = 0; i < eng_entity_count(e); i++) {
			struct eng_entity *en = eng_entity_at(e, i);
			int64_t **x = eng_priv(en, c.off);
			if (en->level != l || !*x)
				continue;
			int64_t best = 0;
			for (uint32_t k = 0; k < lv->ncpus; k++) {
				run += (double)(*x)[k];
				if ((*x)[k] > best)
					best = (*x)[k];
			}
			top += (double)best;
		}
		put(F, run > 0, ratio(top, run), "%s.affinity", n);
		const struct hist *h = &c.lv[l].lat;
		put(F, has, (double)h->count, "%s.wakeups", n);
		put(F, h->count > 0, (double)hist_quantile(h, 0.50), "%s.latency_p50_ns", n);
		put(F, h->count > 0, (double)hist_quantile(h, 0.95), "%s.latency_p95_ns", n);
		put(F, h->count > 0, (double)hist_quantile(h, 0.99), "%s.latency_p99_ns", n);
		put(F, h->count > 0, h->count ? (double)h->max : 0, "%s.latency_max_ns", n);
	}
	for (uint32_t i = 0; i < t->nguests; i++) {
		const struct tl_guest *g = &t->guests[i];
		if (!tl_guest_wanted(cl, g))
			continue;
		const char *n = g->name;
		int H = g->has_host, G = g->has_guest, HG = H && G;
		double steal = 0, harm = 0, run = 0, chg = 0, busy = 0;
		for (uint32_t v = 0; v < g->nvcpus; v++) {
			steal += (double)g->vcpus[v].hns[TL_RUNNABLE];
			harm += (double)g->vcpus[v].harmful_ns;
			run += (double)g->vcpus[v].hns[TL_RUN];
			chg += (double)g->vcpus[v].pcpu_changes;
			busy += (double)g->vcpus[v].busy_ns;
		}
		put(F, H, steal, "%s.steal_ns", n);
		put(F, H, ratio(steal, steal + run), "%s.steal_share", n);
		put(F, HG, harm, "%s.harmful_steal_ns", n);
		put(F, H && dur > 0, ratio(chg, dur), "%s.vcpu_pcpu_changes_per_s", n);
		put(F, G, busy, "%s.busy_ns", n);
		double known = 0;
		for (int k = 0; k < TL_NCLASSES; k++)
			known += (double)g->class_ns[k];
		static const char *cn[TL_NCLASSES] = { "idle", "corunning", "skewed", "stalled" };
		for (int k = 0; k < TL_NCLASSES; k++)
			put(F, H, (double)g->class_ns[k], "%s.%s_ns", n, cn[k]);
		for (int k = 0; k < TL_NCLASSES; k++)
			put(F, H && known > 0, ratio((double)g->class_ns[k], known), "%s.%s_share", n, cn[k]);
		put(F, H, (double)g->unknown_ns, "%s.cosched_unknown_ns", n);
		put(F, H && g->skew_known_ns > 0, (double)g->skew_max, "%s.skew_max_ns", n);
		put(F, H && g->skew_known_ns > 0,
		    g->skew_known_ns ? floor((double)(g->skew_area / (long double)g->skew_known_ns)) : 0,
		    "%s.skew_mean_ns", n);
		put(F, H && g->skew_known_ns > 0, (double)g->skew_above_ns, "%s.skew_above_ns", n);
		double blocked = 0, stall = 0, cnt = 0, unk = 0, lat = 0, hd = 0, gd = 0, wk = 0;
		for (uint32_t k = 0; k < g->ntasks; k++) {
			const struct tl_task *x = &g->tasks[k];
			blocked += (double)x->blocked_ns;
			stall += (double)x->stall_ns;
			cnt += (double)x->stall_count;
			unk += (double)x->stall_unknown;
			lat += (double)x->lat_ns;
			hd += (double)x->host_delay_ns;
			gd += (double)x->guest_delay_ns;
			wk += (double)x->wakeups;
		}
		put(F, G, blocked, "%s.blocked_ns", n);
		put(F, HG, stall, "%s.stall_ns", n);
		put(F, HG, cnt, "%s.stall_count", n);
		put(F, HG, unk, "%s.stall_unknown", n);
		put(F, HG && blocked > 0, ratio(stall, blocked), "%s.stall_share_of_blocked", n);
		const struct hist *sh = &g->stall_hist;
		put(F, HG && sh->count, (double)hist_quantile(sh, 0.50), "%s.stall_p50_ns", n);
		put(F, HG && sh->count, (double)hist_quantile(sh, 0.95), "%s.stall_p95_ns", n);
		put(F, HG && sh->count, sh->count ? (double)sh->max : 0, "%s.stall_max_ns", n);
		put(F, HG, wk, "%s.split_wakeups", n);
		put(F, HG, gd, "%s.guest_delay_ns", n);
		put(F, HG, hd, "%s.host_delay_ns", n);
		put(F, HG && lat > 0, ratio(hd, lat), "%s.host_delay_share", n);
	}
	rc = cli_exit_status(cl, r) ? -1 : 0;
	if (rc < 0 && cl->tolerant)
		rc = 0;
out:
	for (size_t i = 0; e && i < eng_entity_count(e); i++) {
		int64_t **x = eng_priv(eng_entity_at(e, i), c.off);
		free(*x);
		*x = NULL;
	}
	for (size_t l = 0; c.lv && l < c.nlv; l++)
		hist_release(&c.lv[l].lat);
	free(c.lv);
	eng_free(e);
	tl_free(t);
	pmt_reader_close(r);
	return rc;
}

static const struct fig *find(const struct figs *F, const char *name)
{
	for (int i = 0; i < F->n; i++)
		if (!strcmp(F->f[i].name, name))
			return &F->f[i];
	return NULL;
}

static void row(struct table *t, const char *name, const struct fig *a, const struct fig *b)
{
	table_set_s(t, 0, name);
	if (a && a->valid)
		table_set_f(t, 1, a->v);
	if (b && b->valid)
		table_set_f(t, 2, b->v);
	if (a && b && a->valid && b->valid) {
		table_set_f(t, 3, b->v - a->v);
		if (a->v != 0)
			table_set_f(t, 4, 100.0 * (b->v - a->v) / fabs(a->v));
	}
	table_end_row(t);
}

static int gw_opt(void *ctx, int id, const char *arg)
{
	*(int *)ctx = 1;
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	static const struct col cols[] = {
		{ "metric", COL_STR, 0, 0 }, { "a", COL_FLOAT, 0, 3 }, { "b", COL_FLOAT, 0, 3 },
		{ "change", COL_FLOAT, 0, 3 }, { "change_pct", COL_FLOAT, 0, 1 },
	};
	static const struct cli_opt opts[] = {
		{ "guest-window", 0, 1, "  --guest-window           account each trace only while its guests recorded" },
		{ NULL, 0, 0, NULL },
	};
	struct cli c;
	int rc = CLI_EXIT_ERROR, gw = 0;
	int p = cli_parse(&c, "pmt-analyze diff", "pmt-analyze diff [--guest-window] A.pmt B.pmt",
			  argc, argv, opts, gw_opt, &gw);
	if (p)
		return p > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	if (c.nargs != 2) {
		cli_usage_error(&c, "two trace files are needed");
		cli_release(&c);
		return CLI_EXIT_USAGE;
	}
	struct figs *A = calloc(1, sizeof(*A)), *B = calloc(1, sizeof(*B));
	if (!A || !B) {
		cli_error(&c, "out of memory");
		goto out;
	}
	if (collect(&c, c.args[0], A, gw) < 0 || collect(&c, c.args[1], B, gw) < 0)
		goto out;
	FILE *fp;
	struct out *o = cli_out_open(&c, &fp);
	if (!o)
		goto out;
	out_note(o, "a = '%s', b = '%s'; change = b - a, change_pct = 100 * change / |a|; "
		    "empty: not measurable in that trace", c.args[0], c.args[1]);
	struct table *t = out_table(o, "diff", "", cols, 5, 0);
	for (int i = 0; i < A->n; i++)
		row(t, A->f[i].name, &A->f[i], find(B, A->f[i].name));
	for (int i = 0; i < B->n; i++)
		if (!find(A, B->f[i].name))
			row(t, B->f[i].name, NULL, &B->f[i]);
	table_close(t);
	if (cli_out_close(&c, o, fp) < 0)
		goto out;
	rc = CLI_EXIT_OK;
out:
	free(A);
	free(B);
	cli_release(&c);
	return rc;
}
