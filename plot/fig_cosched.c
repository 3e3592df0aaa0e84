/*
 * fig_cosched.c - "cosched": the co-scheduling partition of each guest's
 * time (idle, co-running, skewed, stalled; pmt-analyze cosched, columns
 * guest, idle_ns, corunning_ns, skewed_ns, stalled_ns) as one stacked bar
 * per guest, in percent of the sum of the four (the time analysed).
 */
#include "plot/plot.h"
#include "plot/reports.h"

#include <stdlib.h>
#include <string.h>

/* The last part, unknown_ns (lost events), is optional in the report and
 * drawn only when not zero. */
const char *const rep_part_col[REP_NPART] = { "corunning_ns", "skewed_ns", "stalled_ns",
					      "idle_ns", "unknown_ns" };
const char *const rep_part_name[REP_NPART] = { "co-running", "skewed", "stalled", "idle",
					       "unknown" };
/* green, orange hatched, vermillion cross-hatched, light grey, white hatched */
const char *const rep_part_color[REP_NPART] = { "#009E73", "#E69F00", "#D55E00", "#DDDDDD",
						"#FFFFFF" };
const int rep_part_pattern[REP_NPART] = { 0, 4, 2, 0, 6 };

/* The cosched report of trace ti: one bar per guest. 0, or -1 after a message. */
int rep_cosched_load(struct plot *p, int ti, struct rep_cosched **out, size_t *nout,
		     int *unknown, struct csv **notes)
{
	static const char *const args[] = { "cosched", NULL };
	char tag[32];
	snprintf(tag, sizeof(tag), "cosched-%d", ti);
	struct csv *c = plot_report(p, ti, tag, args, 0);
	if (!c)
		return -1;
	struct rep_cosched *bars = NULL;
	size_t nbars = 0, cap = 0;
	int r, cg = -1, cols[REP_NPART];
	int found = 0;
	*unknown = 0;
	while ((r = csv_next(c)) > 0) {
		if (csv_new_table(c)) {
			cg = csv_col(c, "guest");
			int all = cg >= 0;
			for (int k = 0; k < REP_NPART; k++)
				all &= (cols[k] = csv_col(c, rep_part_col[k])) >= 0 || k >= REP_NNEED;
			if (!all)
				cg = -1;
			found |= cg >= 0;
		}
		if (cg < 0)
			continue;
		if (plot_grow((void **)&bars, &cap, nbars + 1, sizeof(*bars)) < 0)
			goto fail;
		struct rep_cosched *b = &bars[nbars++];
		snprintf(b->name, sizeof(b->name), "%s", csv_get(c, cg));
		for (int k = 0; k < REP_NPART; k++) {
			b->ns[k] = csv_get_f(c, cols[k], NULL);
			if (b->ns[k] < 0)
				b->ns[k] = 0;
		}
		*unknown |= b->ns[REP_NPART - 1] > 0;
	}
	if (r < 0 || !found) {
		plot_err("%s: the cosched report has no table with columns guest, idle_ns, "
			 "corunning_ns, skewed_ns, stalled_ns", p->figure);
		goto fail;
	}
	*out = bars;
	*nout = nbars;
	if (notes)
		*notes = c;
	else
		csv_close(c);
	return 0;
fail:
	free(bars);
	csv_close(c);
	return -1;
}

static int make(struct plot *p)
{
	struct rep_cosched *bars = NULL;
	size_t nbars = 0;
	int unknown = 0;
	struct csv *c = NULL;
	if (rep_cosched_load(p, 0, &bars, &nbars, &unknown, &c) < 0)
		return -1;
	char dname[300];
	FILE *d = plot_data(p, "parts", dname, sizeof(dname));
	if (!d)
		goto fail;
	fprintf(d, "# co-scheduling partition per guest, percent of the time analysed\n");
	fprintf(d, "# one block per part (gnuplot index): %s, %s, %s, %s, %s\n", rep_part_name[0],
		rep_part_name[1], rep_part_name[2], rep_part_name[3], rep_part_name[4]);
	fprintf(d, "# bar y xlo xhi ylo yhi percent label guest\n");
	char qb[128];
	for (int k = 0; k < REP_NPART; k++) {
		fprintf(d, "# %s\n", rep_part_name[k]);
		for (size_t i = 0; i < nbars; i++) {
			double tot = 0, below = 0;
			for (int j = 0; j < REP_NPART; j++) {
				tot += bars[i].ns[j];
				if (j < k)
					below += bars[i].ns[j];
			}
			double lo = tot > 0 ? 100 * below / tot : 0;
			double pct = tot > 0 ? 100 * bars[i].ns[k] / tot : 0;
			char lab[32] = "";
			if (pct >= 7)
				snprintf(lab, sizeof(lab), "%.0f%%", pct);
			fprintf(d, "%zu %.4f %.3f %.3f %.4f %.4f %.4f \"%s\" \"%s\"\n", i,
				lo + pct / 2, (double)i - 0.32, (double)i + 0.32, lo, lo + pct, pct,
				lab, plot_dat_str(bars[i].name, qb, sizeof(qb)));
		}
		fprintf(d, "\n\n");
	}
	if (plot_data_close(d) < 0 || gp_begin(p) < 0)
		goto fail;
	FILE *f = p->gp;
	fprintf(f, "set ylabel 'share of time (%%)'\n");
	fprintf(f, "set yrange [0:100]\nset ytics 0,25,100\n");
	/* a lone bar stays a bar, not a wall */
	double pad = nbars < 3 ? 0.4 * (double)(3 - nbars) : 0;
	fprintf(f, "set xrange [%.2f:%.2f]\n", -0.6 - pad, (double)(nbars ? nbars - 1 : 0) + 0.6 + pad);
	fprintf(f, "set xtics (");
	for (size_t i = 0; i < nbars; i++) {
		fprintf(f, "%s", i ? ", " : "");
		gp_tic_label(f, bars[i].name);
		fprintf(f, " %zu", i);
	}
	fprintf(f, ") scale 0\n");
	fprintf(f, "set xlabel 'guest'\n");
	gp_key_boxes(p, unknown ? REP_NPART : REP_NNEED, rep_part_name, rep_part_color, rep_part_pattern);
	gp_notes(p, c);
	fprintf(f, "plot ");
	for (int k = 0; k < REP_NPART; k++)
		gp_fill(f, dname, k, "1:2:3:4:5:6", rep_part_color[k], rep_part_pattern[k], k == 0);
	for (int k = 0; k < REP_NPART; k++)
		fprintf(f, ", \\\n     '%s' index %d using 1:($7 >= 7 ? $2 : NaN):8 with labels boxed font SMALL "
			"tc rgb '#000000'", dname, k);
	fprintf(f, "\n");
	csv_close(c);
	free(bars);
	return 0;
fail:
	csv_close(c);
	free(bars);
	return -1;
}

const struct figure fig_cosched = {
	"cosched", "co-scheduling partition of each guest's time (stacked bars)",
	FIG_VCPUS, make,
};
