/*
 * fig_cdf.c - distributions:
 *  "stalls": the CDF of synchronization-stall durations, one line per guest,
 *    from the per-stall rows of `pmt-analyze stalls --worst N` (table worst,
 *    column stall_ns; the guests table's stall_count says whether the list
 *    holds every stall);
 *  "latency": the wakeup latency and runnable stretches of each level as the
 *    points of their distribution the latency report gives (p50, p95, p99,
 *    max, equally spaced on the y axis: a quantile plot), and on a two-level trace a second panel with each guest task's
 *    mean wakeup latency split into guest delay and host delay
 *    (`pmt-analyze stalls`, table latency).
 */
#include "plot/plot.h"
#include "plot/reports.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WORST_MAX "100000"

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static struct rep_series *series_get(struct rep_series **s, size_t *n, size_t *cap, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*s)[i].name, name) == 0)
			return &(*s)[i];
	if (plot_grow((void **)s, cap, *n + 1, sizeof(**s)) < 0)
		return NULL;
	struct rep_series *x = &(*s)[(*n)++];
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", name);
	return x;
}

/* x range with a log axis when the values span more than two decades. */
void rep_x_axis(FILE *f, double lo, double hi, const char *what, const char *unit)
{
	if (lo > 0 && hi / lo > 100) {
		fprintf(f, "set logscale x 10\nset format x '%%g'\n");
		fprintf(f, "set xrange [%.6g:%.6g]\n", lo / 1.5, hi * 1.5);
	} else {
		fprintf(f, "set xrange [0:%.6g]\n", hi * 1.05 > 0 ? hi * 1.05 : 1);
	}
	fprintf(f, "set xlabel '%s (%s)'\n", what, unit);
}

int rep_stalls_load(struct plot *p, int ti, struct rep_series **out, size_t *nout,
		    struct csv **notes)
{
	static const char *const args[] = { "stalls", "--worst", WORST_MAX, NULL };
	char tag[32];
	snprintf(tag, sizeof(tag), "stalls-%d", ti);
	struct csv *c = plot_report(p, ti, tag, args, 0);
	if (!c)
		return -1;
	struct rep_series *s = NULL;
	size_t ns = 0, cap = 0;
	int r, cg = -1, cv = -1, ccount = -1, cst = -1, in_worst = 0, in_guests = 0;
	while ((r = csv_next(c)) > 0) {
		if (csv_new_table(c)) {
			cg = csv_col(c, "guest");
			cv = csv_col(c, "stall_ns");
			ccount = csv_col(c, "stall_count");
			in_worst = strcmp(csv_table_name(c), "worst") == 0 ||
				   (csv_col(c, "start_ns") >= 0 && cv >= 0);
			in_guests = strcmp(csv_table_name(c), "guests") == 0;
			cst = cv;
		}
		if (cg < 0 || (!in_worst && !in_guests))
			continue;
		struct rep_series *x = series_get(&s, &ns, &cap, csv_get(c, cg));
		if (!x)
			goto fail;
		if (in_guests) {
			x->total += (uint64_t)csv_get_i(c, ccount, NULL);
			x->sum_ns += (double)csv_get_i(c, cst, NULL);
			continue;
		}
		int ok;
		int64_t v = csv_get_i(c, cv, &ok);
		if (!ok || v <= 0)
			continue;
		if (plot_grow((void **)&x->v, &x->cap, x->n + 1, sizeof(*x->v)) < 0)
			goto fail;
		x->v[x->n++] = v;
	}
	if (r < 0) {
		plot_err("%s: cannot read the stalls report", p->figure);
		goto fail;
	}
	for (size_t i = 0; i < ns; i++)
		if (s[i].n)
			qsort(s[i].v, s[i].n, sizeof(*s[i].v), cmp_i64);
	*out = s;
	*nout = ns;
	if (notes)
		*notes = c;
	else
		csv_close(c);
	return 0;
fail:
	rep_series_free(s, ns);
	csv_close(c);
	return -1;
}

void rep_series_free(struct rep_series *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].v);
	free(s);
}

static int make_stalls(struct plot *p)
{
	struct rep_series *s = NULL;
	size_t ns = 0;
	int rc = -1;
	struct csv *c = NULL;
	if (rep_stalls_load(p, 0, &s, &ns, &c) < 0)
		return -1;
	int64_t vmin = INT64_MAX, vmax = 0;
	size_t nstalls = 0;
	for (size_t i = 0; i < ns; i++) {
		if (s[i].n) {
			if (s[i].v[0] < vmin)
				vmin = s[i].v[0];
			if (s[i].v[s[i].n - 1] > vmax)
				vmax = s[i].v[s[i].n - 1];
		}
		nstalls += s[i].n;
		if (s[i].total > s[i].n)
			plot_note(p, "guest %s: the CDF holds the %zu longest of %llu stalls", s[i].name,
				  s[i].n, (unsigned long long)s[i].total);
	}
	double div;
	const char *unit = gp_time_unit(vmax > 0 ? vmax : 1000, &div);
	char dname[300];
	FILE *d = plot_data(p, "cdf", dname, sizeof(dname));
	if (!d)
		goto out;
	fprintf(d, "# CDF of stall durations: one block per guest (gnuplot index)\n");
	fprintf(d, "# stall_%s fraction_at_most\n", unit);
	for (size_t i = 0; i < ns; i++) {
		fprintf(d, "# guest %s: %zu stalls\n", s[i].name, s[i].n);
		if (!s[i].n) /* an empty block would shift gnuplot's index numbers */
			fprintf(d, "NaN NaN\n");
		/* at most ~2000 points: every k-th order statistic and the last */
		size_t step = s[i].n > 2000 ? s[i].n / 2000 : 1;
		if (s[i].n) /* the step up at the shortest stall starts from 0 */
			fprintf(d, "%.9g 0\n", (double)s[i].v[0] / div);
		for (size_t j = 0; j < s[i].n; j++)
			if (j % step == 0 || j + 1 == s[i].n ||
			    (j + 1 < s[i].n && s[i].v[j + 1] != s[i].v[j] && step == 1))
				fprintf(d, "%.9g %.6f\n", (double)s[i].v[j] / div,
					(double)(j + 1) / (double)s[i].n);
		fprintf(d, "\n\n");
	}
	if (plot_data_close(d) < 0 || gp_begin(p) < 0)
		goto out;
	FILE *f = p->gp;
	rep_x_axis(f, nstalls ? (double)vmin / div : 1, nstalls ? (double)vmax / div : 10,
	       "stall duration", unit);
	fprintf(f, "set ylabel 'fraction of stalls'\nset yrange [0:1.02]\nset ytics 0,0.25,1\n");
	fprintf(f, "set grid xtics ytics lc rgb '#dddddd' lw 0.5 dt 1\n");
	fprintf(f, "set key outside top center horizontal samplen 2.5\n");
	if (nstalls == 0)
		fprintf(f, "set label 97 'no synchronization stalls in this trace' at graph 0.5, "
			   "graph 0.5 center\n");
	gp_notes(p, c);
	fprintf(f, "plot ");
	int first = 1;
	for (size_t i = 0; i < ns; i++) {
		if (!s[i].n)
			continue;
		char title[120];
		snprintf(title, sizeof(title), "%s (%zu stalls)", s[i].name, s[i].n);
		fprintf(f, "%s'%s' index %zu using 1:2 with steps lt %zu title ", first ? "" : ", \\\n     ",
			dname, i, i + 1);
		gp_label(f, title);
		first = 0;
	}
	if (first)
		fprintf(f, "NaN notitle");
	fprintf(f, "\n");
	rc = 0;
out:
	rep_series_free(s, ns);
	csv_close(c);
	return rc;
}

/* ------------------------------------------------------------- latency */

struct split {
	char name[64];
	double guest, host; /* mean per wakeup, ns */
	uint64_t wakeups;
};

static int by_wakeups(const void *a, const void *b)
{
	const struct split *x = a, *y = b;
	double tx = x->guest + x->host, ty = y->guest + y->host;
	return tx > ty ? -1 : tx < ty;
}

int rep_latency_load(struct plot *p, int ti, const char *level, struct rep_quant *out,
		     int *nout, struct csv **notes)
{
	const char *args[4] = { "latency", NULL, NULL, NULL };
	char tag[80];
	if (level) {
		args[1] = "--level";
		args[2] = level;
	}
	snprintf(tag, sizeof(tag), "latency-%d-%d", ti, *nout);
	struct csv *c = plot_report(p, ti, tag, args, 0);
	if (!c)
		return -1;
	static const char *const qn[4] = { "p50_ns", "p95_ns", "p99_ns", "max_ns" };
	int r, cm = -1, cc = -1, cn = -1, cq[4] = { -1, -1, -1, -1 };
	while ((r = csv_next(c)) > 0) {
		if (csv_new_table(c)) {
			cm = csv_col(c, "metric");
			cc = csv_col(c, "comm");
			cn = csv_col(c, "count");
			for (int k = 0; k < 4; k++)
				cq[k] = csv_col(c, qn[k]);
		}
		if (cm < 0 || cc < 0 || cq[3] < 0 || strcmp(csv_get(c, cc), "(all)") != 0)
			continue;
		if (*nout >= REP_MAXQ)
			break;
		struct rep_quant *q = &out[*nout];
		q->count = (uint64_t)csv_get_i(c, cn, NULL);
		if (!q->count)
			continue;
		const char *m = csv_get(c, cm);
		snprintf(q->name, sizeof(q->name), "%s%s%s%s",
			 strcmp(m, "wakeup") == 0 ? "wakeup" : m,
			 level ? " (" : "", level ? level : "", level ? ")" : "");
		for (int k = 0; k < 4; k++)
			q->q[k] = csv_get_f(c, cq[k], NULL);
		(*nout)++;
	}
	if (r < 0) {
		plot_err("%s: cannot read the latency report", p->figure);
		csv_close(c);
		return -1;
	}
	if (!notes || *notes)
		csv_close(c);
	else
		*notes = c;
	return 0;
}

static int split_rows(struct plot *p, struct split **out, size_t *nout)
{
	static const char *const args[] = { "stalls", NULL };
	struct csv *c = plot_report(p, 0, "split", args, 0);
	if (!c)
		return -1;
	size_t cap = 0;
	int r, cw = -1, cg = -1, ch = -1, cc = -1, ct = -1, cgu = -1;
	while ((r = csv_next(c)) > 0) {
		if (csv_new_table(c)) {
			cw = csv_col(c, "wakeups");
			cg = csv_col(c, "guest_delay_ns");
			ch = csv_col(c, "host_delay_ns");
			cc = csv_col(c, "comm");
			ct = csv_col(c, "tid");
			cgu = csv_col(c, "guest");
		}
		if (cw < 0 || cg < 0 || ch < 0)
			continue;
		uint64_t w = (uint64_t)csv_get_i(c, cw, NULL);
		int64_t tid = csv_get_i(c, ct, NULL);
		if (!w || !plot_task_selected(p, tid, csv_get(c, cc)))
			continue;
		if (plot_grow((void **)out, &cap, *nout + 1, sizeof(**out)) < 0) {
			csv_close(c);
			return -1;
		}
		struct split *s = &(*out)[(*nout)++];
		snprintf(s->name, sizeof(s->name), "%.16s %lld%s%s", csv_get(c, cc), (long long)tid,
			 p->tr[0].nlevels > 2 ? " " : "", p->tr[0].nlevels > 2 ? csv_get(c, cgu) : "");
		s->wakeups = w;
		s->guest = csv_get_f(c, cg, NULL) / (double)w;
		s->host = csv_get_f(c, ch, NULL) / (double)w;
	}
	csv_close(c);
	if (r < 0) {
		plot_err("%s: cannot read the stalls report", p->figure);
		return -1;
	}
	return 0;
}

static int make_latency(struct plot *p)
{
	const struct plot_trace *t = &p->tr[0];
	struct rep_quant q[REP_MAXQ];
	int nq = 0, rc = -1;
	struct csv *notes = NULL;
	struct split *sp = NULL;
	size_t nsp = 0;
	if (t->nlevels <= 1) {
		if (rep_latency_load(p, 0, NULL, q, &nq, &notes) < 0)
			goto out;
	} else {
		for (int l = 0; l < t->nlevels; l++)
			if (rep_latency_load(p, 0, t->levels[l].name, q, &nq, &notes) < 0)
				goto out;
	}
	int two = 0;
	for (int l = 0; l < t->nlevels; l++)
		two |= t->levels[l].guest;
	two &= t->has_vcpus;
	if (two && split_rows(p, &sp, &nsp) < 0)
		goto out;
	if (nsp)
		qsort(sp, nsp, sizeof(*sp), by_wakeups);
	int top = p->o->top ? p->o->top : 12;
	if ((int)nsp > top) {
		plot_note(p, "split: %d of %zu guest tasks drawn (the longest mean latency; --top)",
			  top, nsp);
		nsp = (size_t)top;
	}
	double qmin = 1e300, qmax = 0;
	for (int i = 0; i < nq; i++)
		for (int k = 0; k < 4; k++) {
			if (q[i].q[k] > 0 && q[i].q[k] < qmin)
				qmin = q[i].q[k];
			if (q[i].q[k] > qmax)
				qmax = q[i].q[k];
		}
	double div;
	const char *unit = gp_time_unit((int64_t)(qmax > 0 ? qmax : 1000), &div);
	char dname[300];
	FILE *d = plot_data(p, "quantiles", dname, sizeof(dname));
	if (!d)
		goto out;
	fprintf(d, "# latency distribution points from the latency report: one block per series\n");
	fprintf(d, "# value_%s quantile (0: p50, 1: p95, 2: p99, 3: max)\n", unit);
	for (int i = 0; i < nq; i++) {
		fprintf(d, "# %s: %llu\n", q[i].name, (unsigned long long)q[i].count);
		for (int k = 0; k < 4; k++)
			fprintf(d, "%.9g %d\n", q[i].q[k] / div, k);
		fprintf(d, "\n\n");
	}
	if (plot_data_close(d) < 0)
		goto out;
	char sname[300];
	double smax = 0, sdiv = 1;
	const char *sunit = "µs";
	if (nsp) {
		for (size_t i = 0; i < nsp; i++)
			if (sp[i].guest + sp[i].host > smax)
				smax = sp[i].guest + sp[i].host;
		sunit = gp_time_unit((int64_t)(smax > 0 ? smax : 1000), &sdiv);
		FILE *ds = plot_data(p, "split", sname, sizeof(sname));
		if (!ds)
			goto out;
		fprintf(ds, "# mean wakeup latency per guest task, split (from pmt-analyze stalls)\n");
		fprintf(ds, "# row guest_delay_%s host_delay_%s wakeups task\n", sunit, sunit);
		char qb[128];
		for (size_t i = 0; i < nsp; i++)
			fprintf(ds, "%zu %.9g %.9g %llu \"%s\"\n", i, sp[i].guest / sdiv,
				sp[i].host / sdiv, (unsigned long long)sp[i].wakeups, plot_dat_str(sp[i].name, qb, sizeof(qb)));
		if (plot_data_close(ds) < 0)
			goto out;
	}
	if (p->o->height_in <= 0 && nsp)
		p->height_in = 2.3 + 0.8 + 0.17 * (double)nsp;
	if (gp_begin(p) < 0)
		goto out;
	FILE *f = p->gp;
	gp_notes(p, notes);
	if (nsp) {
		double top_h = 2.3 / p->height_in;
		fprintf(f, "set multiplot\n");
		fprintf(f, "set size 1, %.4f\nset origin 0, %.4f\nset bmargin 3\n", top_h, 1 - top_h);
	}
	rep_x_axis(f, qmin < 1e300 ? qmin / div : 1, qmax > 0 ? qmax / div : 10, "latency", unit);
	fprintf(f, "set ylabel 'percentile'\nset yrange [-0.3:3.3]\nset ytics ('p50' 0, 'p95' 1, 'p99' 2, 'max' 3)\n");
	fprintf(f, "set grid xtics ytics lc rgb '#dddddd' lw 0.5 dt 1\n");
	fprintf(f, "set key outside top center horizontal maxrows 2 samplen 2\n");
	if (nq == 0)
		fprintf(f, "set label 97 'no wakeups in this trace' at graph 0.5, graph 0.5 center\n");
	fprintf(f, "plot ");
	for (int i = 0; i < nq; i++) {
		fprintf(f, "%s'%s' index %d using 1:2 with linespoints lt %d title ", i ? ", \\\n     " : "",
			dname, i, i + 1);
		gp_label(f, q[i].name);
	}
	if (nq == 0)
		fprintf(f, "NaN notitle");
	fprintf(f, "\n");
	if (nsp) {
		double bot_h = 1 - 2.3 / p->height_in;
		fprintf(f, "unset label 96\nunset label 97\nunset label 98\nunset label 99\nunset logscale x\nunset grid\n");
		fprintf(f, "set size 1, %.4f\nset origin 0, 0\nset bmargin BM\n", bot_h);
		fprintf(f, "set xlabel 'mean wakeup latency (%s)'\nset ylabel ''\n", sunit);
		fprintf(f, "set xrange [0:%.6g]\nset yrange [%zu.6:-0.6]\n", smax / sdiv * 1.05,
			nsp - 1);
		fprintf(f, "set format x '%%g'\nset ytics (");
		for (size_t i = 0; i < nsp; i++) {
			fprintf(f, "%s", i ? ", " : "");
			gp_tic_label(f, sp[i].name);
			fprintf(f, " %zu", i);
		}
		fprintf(f, ") scale 0\nset grid xtics lc rgb '#dddddd' lw 0.5 dt 1\n");
		fprintf(f, "set key outside top center horizontal\n");
		fprintf(f, "plot '%s' using ($2/2):1:(0):2:($1-0.35):($1+0.35) with boxxyerror "
			   "fc rgb '%s' fs solid 1.0 noborder title 'guest delay', \\\n"
			   "     '%s' using ($2+$3/2):1:2:($2+$3):($1-0.35):($1+0.35) with boxxyerror "
			   "fc rgb '%s' fs solid 1.0 noborder title 'host delay (vCPU not running)'\n",
			sname, gp_color(0), sname, gp_color(1));
		fprintf(f, "unset multiplot\n");
	}
	rc = 0;
out:
	free(sp);
	csv_close(notes);
	return rc;
}

const struct figure fig_stalls = {
	"stalls", "CDF of synchronization-stall durations, one line per guest", FIG_TWO_LEVEL,
	make_stalls,
};

const struct figure fig_latency = {
	"latency", "wakeup latency points per level; guest/host delay per guest task",
	0, make_latency,
};
