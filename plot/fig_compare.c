/*
 * fig_compare.c - "compare": the key figures of two or more traces side by
 * side. Small bar panels, one per figure, a bar per trace with its value
 * printed: migrations per second at the host and at the guests, and on
 * two-level traces the co-running and stalled shares of the guests' time and
 * the stall time; below, the distributions overlaid: stall durations (CDF)
 * on two-level traces, else the wakeup latency points (p50..max).
 * Every number is a report's (migrations counted over the window, cosched
 * partitions summed over guests, stall_ns of the stalls report).
 */
#include "plot/plot.h"
#include "plot/reports.h"

#include <stdlib.h>
#include <string.h>

#define MAXM 5
#define MAXT 8

struct metric {
	const char *title;
	double v[MAXT];
	int fmt_pct;
};

static void trace_label(const char *path, char *buf, size_t n)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	snprintf(buf, n, "%s", b);
	char *dot = strrchr(buf, '.');
	if (dot && dot != buf)
		*dot = '\0';
}

static int two_level(const struct plot_trace *t)
{
	int guest = 0;
	for (int l = 0; l < t->nlevels; l++)
		guest |= t->levels[l].guest;
	return guest && t->has_vcpus;
}

static int make(struct plot *p)
{
	int n = p->ntr;
	if (n > MAXT) {
		plot_err("%s: at most %d traces", p->figure, MAXT);
		return -1;
	}
	int two = 1;
	for (int i = 0; i < n; i++)
		two &= two_level(&p->tr[i]);
	struct metric m[MAXM];
	int nm = 0;
	memset(m, 0, sizeof(m));
	m[nm++].title = "migrations/s (host)";
	if (two)
		m[nm++].title = "migrations/s (guests)";
	int im_co = -1, im_st = -1, im_stall = -1;
	if (two) {
		im_co = nm;
		m[nm].fmt_pct = 1;
		m[nm++].title = "co-running (%)";
		im_st = nm;
		m[nm].fmt_pct = 1;
		m[nm++].title = "stalled (%)";
		im_stall = nm;
		m[nm++].title = "stall time (ms)";
	}
	struct rep_series *st[MAXT] = { 0 };
	size_t nst[MAXT] = { 0 };
	struct rep_quant q[MAXT][REP_MAXQ];
	int nq[MAXT] = { 0 };
	int rc = -1;
	for (int i = 0; i < n; i++) {
		const struct plot_trace *t = &p->tr[i];
		int64_t lo, hi;
		plot_window(p, i, &lo, &hi);
		int nl = t->nlevels > 0 ? t->nlevels : 1;
		uint64_t counts[PLOT_MAX_LEVELS] = { 0 };
		int used[PLOT_MAX_LEVELS] = { 0 };
		if (rep_migrations_bins(p, i, lo, hi - lo, 1, counts, used, NULL) < 0)
			goto out;
		double secs = (double)(hi - lo) / 1e9;
		for (int l = 0; l < nl; l++)
			m[t->levels[l].guest && two ? 1 : 0].v[i] += (double)counts[l] / secs;
		if (two) {
			struct rep_cosched *cs = NULL;
			size_t ncs = 0;
			int unknown;
			if (rep_cosched_load(p, i, &cs, &ncs, &unknown, NULL) < 0)
				goto out;
			double tot = 0, co = 0, sl = 0;
			for (size_t g = 0; g < ncs; g++) {
				for (int k = 0; k < REP_NPART; k++)
					tot += cs[g].ns[k];
				co += cs[g].ns[0];
				sl += cs[g].ns[2];
			}
			free(cs);
			m[im_co].v[i] = tot > 0 ? 100 * co / tot : 0;
			m[im_st].v[i] = tot > 0 ? 100 * sl / tot : 0;
			if (rep_stalls_load(p, i, &st[i], &nst[i], NULL) < 0)
				goto out;
			for (size_t g = 0; g < nst[i]; g++)
				m[im_stall].v[i] += st[i][g].sum_ns / 1e6;
		} else if (rep_latency_load(p, i, NULL, q[i], &nq[i], NULL) < 0) {
			goto out;
		}
	}
	char labels[MAXT][64];
	for (int i = 0; i < n; i++)
		trace_label(p->tr[i].path, labels[i], sizeof(labels[i]));

	char bname[300], cname[300];
	FILE *d = plot_data(p, "bars", bname, sizeof(bname));
	if (!d)
		goto out;
	fprintf(d, "# one block per figure (gnuplot index), one row per trace: trace value label\n");
	char qb[128];
	for (int k = 0; k < nm; k++) {
		fprintf(d, "# %s\n", m[k].title);
		for (int i = 0; i < n; i++) {
			double v = m[k].v[i];
			fprintf(d, "%d %.6g \"%.*f%s\" \"%s\"\n", i, v,
				v >= 100 || v == 0 || m[k].fmt_pct ? 0 : v >= 10 ? 1 : 2, v,
				m[k].fmt_pct ? "%" : "", plot_dat_str(labels[i], qb, sizeof(qb)));
		}
		fprintf(d, "\n\n");
	}
	if (plot_data_close(d) < 0)
		goto out;
	/* the distributions */
	double vmin = 1e300, vmax = 0, div = 1;
	const char *unit = "ms";
	d = plot_data(p, "dist", cname, sizeof(cname));
	if (!d)
		goto out;
	for (int i = 0; i < n; i++) {
		if (two)
			for (size_t g = 0; g < nst[i]; g++)
				for (size_t j = 0; j < st[i][g].n; j++) {
					double v = (double)st[i][g].v[j];
					vmin = v < vmin ? v : vmin;
					vmax = v > vmax ? v : vmax;
				}
		for (int j = 0; !two && j < nq[i]; j++)
			if (strncmp(q[i][j].name, "wakeup", 6) == 0)
				for (int k = 0; k < 4; k++) {
					vmin = q[i][j].q[k] > 0 && q[i][j].q[k] < vmin ? q[i][j].q[k] : vmin;
					vmax = q[i][j].q[k] > vmax ? q[i][j].q[k] : vmax;
				}
	}
	unit = gp_time_unit((int64_t)(vmax > 0 ? vmax : 1000), &div);
	fprintf(d, "# %s per trace (one block each): value_%s %s\n",
		two ? "stall durations, all guests" : "wakeup latency points", unit,
		two ? "fraction_at_most" : "quantile (0 p50, 1 p95, 2 p99, 3 max)");
	for (int i = 0; i < n; i++) {
		fprintf(d, "# %s\n", labels[i]);
		if (two) {
			size_t tot = 0;
			for (size_t g = 0; g < nst[i]; g++)
				tot += st[i][g].n;
			int64_t *all = tot ? malloc(tot * sizeof(*all)) : NULL;
			size_t k = 0;
			for (size_t g = 0; all && g < nst[i]; g++)
				for (size_t j = 0; j < st[i][g].n; j++)
					all[k++] = st[i][g].v[j];
			for (size_t a = 1; a < k; a++) /* insertion: lists are short */
				for (size_t b = a; b > 0 && all[b - 1] > all[b]; b--) {
					int64_t x = all[b];
					all[b] = all[b - 1];
					all[b - 1] = x;
				}
			if (k)
				fprintf(d, "%.9g 0\n", (double)all[0] / div);
			for (size_t j = 0; j < k; j++)
				fprintf(d, "%.9g %.6f\n", (double)all[j] / div, (double)(j + 1) / (double)k);
			free(all);
			if (!k) /* an empty block would shift gnuplot's index numbers */
				fprintf(d, "NaN NaN\n");
		} else {
			int any = 0;
			for (int j = 0; j < nq[i]; j++)
				if (strncmp(q[i][j].name, "wakeup", 6) == 0)
					for (int k = 0; k < 4; k++, any = 1)
						fprintf(d, "%.9g %d\n", q[i][j].q[k] / div, k);
			if (!any)
				fprintf(d, "NaN NaN\n");
		}
		fprintf(d, "\n\n");
	}
	if (plot_data_close(d) < 0)
		goto out;

	int cols = p->o->wide ? nm : (nm > 3 ? 3 : nm);
	int rows = (nm + cols - 1) / cols;
	double fs_in = p->o->font_pt / 72.0;
	double key_h = 2.2 * fs_in, bar_h = 1.35, dist_h = 2.1;
	if (p->o->height_in <= 0)
		p->height_in = key_h + rows * bar_h + dist_h;
	if (gp_begin(p) < 0)
		goto out;
	FILE *f = p->gp;
	double H = p->height_in;
	const char *colors[MAXT];
	int pats[MAXT];
	const char *names[MAXT];
	for (int i = 0; i < n; i++) {
		colors[i] = gp_color(i);
		pats[i] = gp_pattern(i);
		names[i] = labels[i];
	}
	gp_key_boxes(p, n, names, colors, pats);
	fprintf(f, "set multiplot\n");
	double avail = H - key_h;
	double bh = (avail - dist_h) / rows / H, dh = dist_h / H;
	for (int k = 0; k < nm; k++) {
		int r = k / cols, c = k % cols;
		double w = 1.0 / cols;
		fprintf(f, "# panel: %s\n", m[k].title);
		fprintf(f, "set origin %.4f, %.4f\nset size %.4f, %.4f\n", c * w,
			1 - key_h / H - (r + 1) * bh, w, bh);
		fprintf(f, "set tmargin 1.6\nset bmargin 0.8\nset lmargin 6\nset rmargin 1\n");
		fprintf(f, "set title ");
		gp_label(f, m[k].title);
		fprintf(f, " font SMALL offset 0,-0.6\n");
		fprintf(f, "unset xtics\nset xrange [-0.6:%d.6]\n", n - 1);
		double mx = 0;
		for (int i = 0; i < n; i++)
			mx = m[k].v[i] > mx ? m[k].v[i] : mx;
		fprintf(f, "set yrange [0:%.6g]\nset ytics font SMALL\nset format y '%%g'\n",
			mx > 0 ? mx * 1.3 : 1);
		fprintf(f, "plot ");
		for (int i = 0; i < n; i++) {
			char using[96];
			snprintf(using, sizeof(using), "1:($2/2):($1-0.38):($1+0.38):(0):2");
			fprintf(f, "%s'%s' index %d every ::%d::%d using %s with boxxyerror fc rgb '%s' "
				"fs solid 1.0 noborder", i ? ", \\\n     " : "", bname, k, i, i, using,
				gp_color(i));
			if (gp_pattern(i))
				fprintf(f, ", \\\n     '%s' index %d every ::%d::%d using %s with boxxyerror "
					"fc rgb '#000000' fs transparent pattern %d noborder", bname, k,
					i, i, using, gp_pattern(i));
		}
		fprintf(f, ", \\\n     '%s' index %d using 1:2:3 with labels offset 0,0.5 font SMALL\n",
			bname, k);
		if (k == 0)
			fprintf(f, "unset object\nunset label\n");
	}
	/* the distributions, full width below */
	fprintf(f, "# panel: distributions\n");
	fprintf(f, "set origin 0, 0\nset size 1, %.4f\nunset title\n", dh);
	fprintf(f, "set tmargin 0.8\nset bmargin (BM > 3.8 ? BM : 3.8)\nset lmargin 9\nset rmargin 2\n");
	fprintf(f, "set xtics nomirror out font ''\nset ytics nomirror out font ''\n");
	if (two) {
		rep_x_axis(f, vmin < 1e300 ? vmin / div : 1, vmax > 0 ? vmax / div : 10,
			   "stall duration", unit);
		fprintf(f, "set ylabel 'fraction of stalls'\nset yrange [0:1.05]\nset ytics 0,0.5,1\n");
	} else {
		rep_x_axis(f, vmin < 1e300 ? vmin / div : 1, vmax > 0 ? vmax / div : 10,
			   "wakeup latency", unit);
		fprintf(f, "set ylabel 'percentile'\nset yrange [-0.3:3.3]\n"
			   "set ytics ('p50' 0, 'p95' 1, 'p99' 2, 'max' 3)\n");
	}
	fprintf(f, "set grid xtics ytics lc rgb '#dddddd' lw 0.5 dt 1\n");
	if (vmax <= 0)
		fprintf(f, "set label 97 '%s' at graph 0.5, graph 0.5 center\n",
			two ? "no stalls in these traces" : "no wakeups in these traces");
	fprintf(f, "plot ");
	for (int i = 0; i < n; i++)
		fprintf(f, "%s'%s' index %d using 1:2 with %s lt %d notitle", i ? ", \\\n     " : "",
			cname, i, two ? "steps" : "linespoints", i + 1);
	fprintf(f, "\nunset multiplot\n");
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		rep_series_free(st[i], nst[i]);
	return rc;
}

const struct figure fig_compare = {
	"compare", "key figures of several traces side by side, distributions overlaid",
	FIG_MULTI, make,
};
