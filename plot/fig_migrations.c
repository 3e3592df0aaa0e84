/*
 * fig_migrations.c - "migrations": migrations per second over time, one
 * line per level, from pmt-analyze's migrations report, its cpu-change rows
 * (a run on another CPU than the last; time_ns, level, ... ; docs/METRICS.md). Rates are counts per
 * time bin divided by the bin's length; the bin length (a 1-2-5 step, about
 * 60 bins across the window, 120 for --size double) is in the axis label.
 */
#include "plot/plot.h"
#include "plot/reports.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A 1, 2 or 5 times a power of ten at or above x. */
static int64_t nice_step(double x)
{
	if (x < 1)
		return 1;
	double e = pow(10, floor(log10(x)));
	double m = x / e;
	double s = m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10;
	return (int64_t)(s * e + 0.5);
}

static void fmt_len(char *buf, size_t n, int64_t ns)
{
	if (ns >= 1000000000 && ns % 1000000000 == 0)
		snprintf(buf, n, "%lld s", (long long)(ns / 1000000000));
	else if (ns >= 1000000 && ns % 1000000 == 0)
		snprintf(buf, n, "%lld ms", (long long)(ns / 1000000));
	else if (ns >= 1000 && ns % 1000 == 0)
		snprintf(buf, n, "%lld µs", (long long)(ns / 1000));
	else
		snprintf(buf, n, "%lld ns", (long long)ns);
}

long rep_migrations_bins(struct plot *p, int ti, int64_t lo, int64_t step, int nbins,
			 uint64_t *counts, int *used, struct csv **notes)
{
	/* CPU changes only: a kernel migrate event and the CPU change it leads
	 * to are the same move, and Xen levels have only CPU changes */
	static const char *const args[] = { "migrations", "--kind", "cpu-change", NULL };
	char tag[32];
	snprintf(tag, sizeof(tag), "migrations-%d", ti);
	struct csv *c = plot_report(p, ti, tag, args, 0);
	if (!c)
		return -1;
	long rows = 0;
	int r, ct = -1, cl = -1;
	while ((r = csv_next(c)) > 0) {
		if (csv_new_table(c)) {
			ct = csv_col(c, "time_ns");
			cl = csv_col(c, "level");
		}
		if (ct < 0 || cl < 0)
			continue;
		int ok;
		int64_t tns = csv_get_i(c, ct, &ok);
		int l = plot_level_index(p, ti, csv_get(c, cl));
		if (!ok || l < 0)
			continue;
		int64_t rel = tns - lo; /* report times are from the trace start */
		if (rel < 0)
			continue;
		int64_t b = rel / step;
		if (b >= nbins)
			continue;
		counts[(size_t)l * (size_t)nbins + (size_t)b]++;
		used[l] = 1;
		rows++;
	}
	if (r < 0) {
		plot_err("%s: cannot read the migrations report (line %llu)", p->figure,
			 (unsigned long long)csv_lineno(c));
		csv_close(c);
		return -1;
	}
	if (ct < 0 || cl < 0) { /* no row: the header of an empty table stays readable */
		ct = csv_col(c, "time_ns");
		cl = csv_col(c, "level");
	}
	if (ct < 0 || cl < 0) {
		plot_err("%s: the migrations report has no time_ns and level columns",
			 p->figure);
		csv_close(c);
		return -1;
	}
	if (notes)
		*notes = c;
	else
		csv_close(c);
	return rows;
}

static int make(struct plot *p)
{
	const struct plot_trace *t = &p->tr[0];
	int64_t lo, hi;
	plot_window(p, 0, &lo, &hi);
	int target = p->o->wide ? 120 : 60;
	int64_t step = nice_step((double)(hi - lo) / target);
	int nbins = (int)((hi - lo + step - 1) / step);
	if (nbins < 1)
		nbins = 1;
	int nl = t->nlevels > 0 ? t->nlevels : 1;
	uint64_t *counts = calloc((size_t)nl * (size_t)nbins, sizeof(*counts));
	int *used = calloc((size_t)nl, sizeof(*used));
	struct csv *notes = NULL;
	if (!counts || !used) {
		free(counts);
		free(used);
		plot_err("out of memory");
		return -1;
	}
	long rows = rep_migrations_bins(p, 0, lo, step, nbins, counts, used, &notes);
	if (rows < 0) {
		free(counts);
		free(used);
		return -1;
	}

	double div;
	const char *unit = gp_time_unit(hi - lo, &div);
	char dname[300];
	FILE *d = plot_data(p, "rate", dname, sizeof(dname));
	if (!d) {
		free(counts);
		free(used);
		csv_close(notes);
		return -1;
	}
	fprintf(d, "# migrations per second; one block per level (gnuplot index)\n");
	fprintf(d, "# time_%s rate_per_s count   (bin = %lld ns, from the trace start)\n",
		unit, (long long)step);
	int nblocks = 0;
	int lvl_of_block[PLOT_MAX_LEVELS];
	for (int l = 0; l < nl; l++) {
		fprintf(d, "# level %s\n", t->nlevels ? t->levels[l].name : "?");
		for (int b = 0; b <= nbins; b++) {
			int bb = b < nbins ? b : nbins - 1;
			uint64_t k = counts[(size_t)l * (size_t)nbins + (size_t)bb];
			int64_t len = step;
			if (bb == nbins - 1 && (hi - lo) - (int64_t)bb * step < step)
				len = (hi - lo) - (int64_t)bb * step; /* last, partial bin */
			if (len <= 0)
				len = step;
			double x = (double)(lo + (int64_t)b * step) / div;
			if (b == nbins)
				x = (double)hi / div;
			fprintf(d, "%.6f %.3f %llu\n", x, (double)k * 1e9 / (double)len,
				(unsigned long long)k);
		}
		fprintf(d, "\n\n");
		lvl_of_block[nblocks++] = l;
	}
	free(counts);
	free(used);
	if (plot_data_close(d) < 0) {
		csv_close(notes);
		return -1;
	}
	if (gp_begin(p) < 0) {
		csv_close(notes);
		return -1;
	}
	FILE *f = p->gp;
	char bin[64];
	fmt_len(bin, sizeof(bin), step);
	fprintf(f, "set xlabel 'time from trace start (%s)'\n", unit);
	fprintf(f, "set ylabel 'CPU changes per second (%s bins)'\n", bin);
	fprintf(f, "set xrange [%.6f:%.6f]\n", (double)lo / div, (double)hi / div);
	fprintf(f, "set yrange [0:*]\n");
	fprintf(f, "set grid ytics lc rgb '#dddddd' lw 0.5 dt 1\n");
	fprintf(f, "set key outside top center horizontal samplen 2.5\n");
	if (rows == 0)
		fprintf(f, "set label 97 'no migrations in this window' at graph 0.5, graph 0.5 center\n");
	gp_notes(p, notes);
	csv_close(notes);
	fprintf(f, "plot ");
	for (int i = 0; i < nblocks; i++) {
		int l = lvl_of_block[i];
		char title[160];
		if (t->nlevels)
			snprintf(title, sizeof(title), "%s (%s)", t->levels[l].name,
				 t->levels[l].guest ? "tasks on vCPUs" : t->has_vcpus ?
				 "on physical CPUs" : "tasks on CPUs");
		else
			snprintf(title, sizeof(title), "migrations");
		fprintf(f, "%s'%s' index %d using 1:2 with steps lt %d title ", i ? ", \\\n     " : "",
			dname, i, i + 1);
		gp_label(f, title);
	}
	if (nblocks == 0)
		fprintf(f, "NaN notitle");
	fprintf(f, "\n");
	return 0;
}

const struct figure fig_migrations = {
	"migrations", "migrations per second over time, one line per level", 0, make,
};
