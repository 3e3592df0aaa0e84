/*
 * plot.h - what pmt-plot's modules share: options, the figure being made,
 * the figure table, and the helpers figures use to get report data from
 * pmt-analyze and to write gnuplot data files and scripts.
 *
 * Data flow of one figure: main.c makes a private work directory next to
 * the output, a figure's make() runs pmt-analyze reports into CSV files
 * there (run.c), turns them into gnuplot data files and appends its part of
 * the script after the common preamble (gp.c), gnuplot renders in the work
 * directory, and main.c renames the result into place (and copies script +
 * data to --keep DIR). Every path inside a script is relative to its own
 * directory, so a kept script renders again with `gnuplot NAME.gp`.
 */
#ifndef PMT_PLOT_H
#define PMT_PLOT_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "plot/csv.h"

enum plot_fmt { PLOT_PDF = 0, PLOT_SVG, PLOT_PNG, PLOT_NFMT };

struct plot_opts {
	const char *keep_dir;   /* --keep DIR, or NULL                         */
	double width_in;        /* figure size in inches                       */
	double height_in;       /* 0: the figure's default for its width       */
	int wide;               /* --size double: two-column layouts           */
	double font_pt;         /* font size in points                         */
	const char *time_arg;   /* --time A,B as given (for pmt-analyze)       */
	const char *tasks;      /* --tasks LIST (tids or comm names)           */
	int top;                /* --top N (0: the figure's default)           */
	int composed;           /* --composed                                  */
	const char *level;      /* --level NAME|host|guest, or NULL            */
	const char *title;      /* --title, or NULL                            */
	const char *analyze;    /* pmt-analyze to run                          */
	int quiet;
	int list;               /* print each file written (all)                */
};

/* Level facts of one trace, read through libpmt (trace.c). */
#define PLOT_MAX_LEVELS 64
struct plot_trace {
	const char *path;
	int nlevels;
	struct {
		char name[64];
		int guest;      /* 1: a guest level (vCPUs)                        */
		int ncpus;
	} levels[PLOT_MAX_LEVELS];
	int has_vcpus;          /* the host level knows vCPU entities            */
	int nbind;              /* vCPU bindings: guest level, vCPU -> host tid  */
	struct { int guest_level, host_level; uint32_t vcpu, host_tid; } bind[256];
	int64_t first_ns;       /* time origin of the figures' time axes        */
	int64_t last_ns;        /* last event (reference ns)                    */
};

struct plot {
	const struct plot_opts *o;
	const char *figure;     /* figure name                                   */
	struct plot_trace *tr;  /* traces given                                  */
	int ntr;
	enum plot_fmt fmt;
	char *workdir;          /* private directory, gnuplot's cwd              */
	char stem[256];         /* base name of output, script and data files    */
	FILE *gp;               /* the script being written                      */
	double width_in, height_in; /* final size (figures may set the height)   */
};

struct figure {
	const char *name;
	const char *help;       /* one line for --help                          */
	unsigned needs;         /* FIG_* */
	/* Writes data files and the script's body; 0, or -1 after a message. */
	int (*make)(struct plot *p);
};
#define FIG_TWO_LEVEL 0x1u  /* a host level with vCPUs and a guest level     */
#define FIG_VCPUS 0x2u      /* vCPU entities at the host level               */
#define FIG_MULTI 0x4u      /* two or more traces                            */

/* NULL-terminated, in the order of 'all' and --help. */
extern const struct figure *const plot_figures[];
const struct figure *plot_figure_find(const char *name);

/* Messages: "pmt-plot: ..." on stderr. */
void plot_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void plot_note(const struct plot *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Run pmt-analyze ARGS... TRACE (trace index ti) with --format csv (and
 * --time when given, unless notime) into the work directory as
 * "<stem>-<tag>.csv" and open it. NULL after a message when pmt-analyze is
 * missing or fails.
 */
struct csv *plot_report(struct plot *p, int ti, const char *tag,
			const char *const *args, int notime);
/* Same, with a plain argument vector that names the trace itself; the CSV
 * lands at "<stem>-<tag>.csv". Returns 0 or -1 after a message. */
int plot_analyze_raw(struct plot *p, const char *tag, const char *const *argv,
		     char *path, size_t pathlen);

/* Create "<stem>-<tag>.dat" in the work directory; name gets the name to
 * use in the script. NULL after a message. */
FILE *plot_data(struct plot *p, const char *tag, char *name, size_t namelen);
int plot_data_close(FILE *f);

/* A column that must exist: index, or -1 after a message naming it. */
int plot_need_col(const struct plot *p, struct csv *c, const char *report,
		  const char *const *names);

/* Open the script "<stem>.gp" in the work directory and write the common
 * preamble (terminal for p->fmt at p->width_in x p->height_in, output,
 * fonts, palette). A figure calls it once it knows its height. 0 or -1. */
int gp_begin(struct plot *p);
/* Rewrite the script's preamble for another format (the body, data files
 * and size stay): 'all' analyses once and renders each format. 0 or -1. */
int gp_retarget(struct plot *p, enum plot_fmt fmt);
#define GP_BODY_MARK "# ---- figure (everything above is the terminal and the style)\n"

/* Quote s as a gnuplot string ('...', with '' for '). */
void gp_str(FILE *f, const char *s);
/* A text for a label or title (scripts use noenhanced text: quoting only). */
void gp_label(FILE *f, const char *s);
/* The same for a tic label, where % starts a format. */
void gp_tic_label(FILE *f, const char *s);
/* Colour of series i (Okabe-Ito, eight then repeating), "#rrggbb". */
const char *gp_color(int i);
/* Fill pattern (gnuplot pattern number) overlaid on series i, 0 = none. */
int gp_pattern(int i);
/* Time axis unit for a span in ns: sets *div (ns per unit), returns "s",
 * "ms" or "µs". */
const char *gp_time_unit(int64_t span_ns, double *div);
/* Script line that opens the plot with a note line under the figure when
 * the report had notes about unknown data. */
void gp_notes(struct plot *p, struct csv *c);

/*
 * One plot element of filled boxes (boxxyerror, columns in using) from block
 * index of dname, in color, with a black hatch pattern overlaid when
 * pattern != 0 (so series stay apart in greyscale). first: no leading comma.
 */
void gp_fill(FILE *f, const char *dname, int index, const char *using, const char *color,
	     int pattern, int first);
/* A key of n filled samples (colour + pattern) in rows above the plot; sets
 * the top margin for it. Call before "plot". An entry whose colour is NULL
 * is a black point marker of type patterns[i]. */
void gp_key_boxes(struct plot *p, int n, const char *const *names, const char *const *colors,
		  const int *patterns);

/* Run gnuplot on script (in dir); 0, or -1 after a message. */
int gp_run(const char *dir, const char *script);
/* Is a usable gnuplot there? 0, or -1 after the one-line message. */
int gp_check(void);

/* The selection of --tasks and --top: does this entity pass --tasks? */
int plot_task_selected(const struct plot *p, int64_t tid, const char *comm);

/* The time window drawn, relative ns from the trace start: --time or the
 * whole trace. */
void plot_window(const struct plot *p, int ti, int64_t *lo, int64_t *hi);
/* Index of a level of trace ti named by a report's level cell (its name or
 * its id), or -1. */
int plot_level_index(const struct plot *p, int ti, const char *cell);
/* The level a one-level figure draws: --level (host, guest, a level's name
 * or id), else the first guest level, else the host. -1 after a message. */
int plot_pick_level(const struct plot *p);
/* Growable arrays. */
int plot_grow(void **v, size_t *cap, size_t need, size_t elem);

/* s made safe inside a "..." field of a gnuplot data file (double quotes
 * and line ends become '), in buf. */
const char *plot_dat_str(const char *s, char *buf, size_t n);

/* Parse a time like "1.5ms" into ns (no unit: ns); -1 on error. */
int plot_parse_time(const char *s, int64_t *ns);

/* Fill t from the file t->path (levels, vCPUs, first event time); 0, or -1
 * after a message naming the file. */
int plot_trace_load(struct plot_trace *t);

/* The child process running (pmt-analyze or gnuplot), 0 when none. */
extern volatile pid_t plot_child;

/* Files created in the work directory (removed on exit and on signals). */
int plot_track(const char *path);

#endif
