/*
 * reports.h - loaders of pmt-analyze reports that more than one figure
 * draws (the figure of a report and "compare"). Each runs the report on
 * trace ti of the plot and returns what it holds; the arrays returned
 * belong to the caller (free() / rep_series_free()). notes, when not NULL,
 * receives the report's CSV (for its notes), to csv_close().
 */
#ifndef PMT_PLOT_REPORTS_H
#define PMT_PLOT_REPORTS_H

#include "plot/plot.h"

/* cosched (fig_cosched.c): the partition of each guest's time. */
#define REP_NPART 5 /* co-running, skewed, stalled, idle, unknown */
#define REP_NNEED 4 /* unknown_ns may be absent */
extern const char *const rep_part_col[REP_NPART];
extern const char *const rep_part_name[REP_NPART];
extern const char *const rep_part_color[REP_NPART];
extern const int rep_part_pattern[REP_NPART];
struct rep_cosched {
	char name[64];          /* guest                                          */
	double ns[REP_NPART];
};
int rep_cosched_load(struct plot *p, int ti, struct rep_cosched **out, size_t *nout,
		     int *unknown, struct csv **notes);

/* stalls (fig_cdf.c): per guest, the stall durations listed (sorted) and
 * the guest's totals. */
struct rep_series {
	char name[64];          /* guest                                          */
	int64_t *v;             /* stall_ns of each stall listed, ascending       */
	size_t n, cap;
	uint64_t total;         /* stall_count of the guests table                */
	double sum_ns;          /* stall_ns of the guests table                   */
};
int rep_stalls_load(struct plot *p, int ti, struct rep_series **out, size_t *nout,
		    struct csv **notes);
void rep_series_free(struct rep_series *s, size_t n);

/* latency (fig_cdf.c): the overall rows "(all)" of one level (NULL: all
 * levels), appended to out[*nout] (at most REP_MAXQ in all). */
#define REP_MAXQ 16
struct rep_quant {
	char name[96];          /* "wakeup (LEVEL)", "runnable (LEVEL)"           */
	double q[4];            /* p50, p95, p99, max (ns)                        */
	uint64_t count;
};
int rep_latency_load(struct plot *p, int ti, const char *level, struct rep_quant *out,
		     int *nout, struct csv **notes);

/* An x axis for durations from lo to hi (in unit), logarithmic when they
 * span more than two decades. */
void rep_x_axis(FILE *f, double lo, double hi, const char *what, const char *unit);

/* migrations (fig_migrations.c): migrations per (level, bin) of trace ti
 * in the window from lo (ns from the trace start), bins of step ns; counts
 * has nlevels * nbins cells, used[level] set when a level had one. Returns
 * the rows counted, or -1 after a message. */
long rep_migrations_bins(struct plot *p, int ti, int64_t lo, int64_t step, int nbins,
			 uint64_t *counts, int *used, struct csv **notes);

#endif
