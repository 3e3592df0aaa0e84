/*
 * main.c - pmt-plot: figures for papers from pmt traces, through gnuplot.
 *
 *   pmt-plot FIGURE TRACE... -o OUT.{pdf,svg,png} [options]
 *   pmt-plot all TRACE -o DIR [--format pdf,svg,png] [options]
 *
 * This file parses options, owns the private work directory (removed on
 * every exit path and on signals, so nothing half-written is ever left) and
 * puts finished figures into place with rename(). The figures themselves
 * live in fig_*.c and are listed in plot_figures[] (figures.c).
 */
#include "plot/plot.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------- work directory */

#define MAX_TRACKED 1024
static char *tracked[MAX_TRACKED];
static volatile sig_atomic_t ntracked;
static char *workdir_path;

int plot_track(const char *path)
{
	if (ntracked >= MAX_TRACKED) {
		plot_err("too many work files");
		return -1;
	}
	for (int i = 0; i < ntracked; i++)
		if (strcmp(tracked[i], path) == 0)
			return 0;
	char *s = strdup(path);
	if (!s) {
		plot_err("out of memory");
		return -1;
	}
	tracked[ntracked] = s;
	ntracked = ntracked + 1;
	return 0;
}

/* Async-signal-safe: unlink and rmdir only. */
static void cleanup_files_only(void)
{
	for (int i = ntracked - 1; i >= 0; i--)
		if (unlink(tracked[i]) < 0)
			rmdir(tracked[i]);
}

static void cleanup_files(void)
{
	/* backwards: files inside a tracked directory go before it */
	cleanup_files_only();
	if (workdir_path)
		rmdir(workdir_path);
}

/* Everything in dir (one level of subdirectories), then dir itself: a
 * child may have written files pmt-plot did not name. */
static void remove_tree(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (unlink(path) < 0 && depth > 0)
				remove_tree(path, depth - 1);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void cleanup(void)
{
	cleanup_files();
	if (workdir_path)
		remove_tree(workdir_path, 1);
	for (int i = 0; i < ntracked; i++)
		free(tracked[i]);
	ntracked = 0;
	free(workdir_path);
	workdir_path = NULL;
}

static void on_signal(int sig)
{
	/* the child goes too, before its files are removed */
	pid_t c = plot_child;
	if (c > 0) {
		kill(c, SIGTERM);
		waitpid(c, NULL, 0);
	}
	cleanup_files();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A private directory in dir (so the final rename stays on one file system). */
static int make_workdir(const char *dir)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s/.pmt-plot-XXXXXX", *dir ? dir : ".");
	if (!mkdtemp(buf)) {
		plot_err("cannot create a work directory in '%s': %s", *dir ? dir : ".",
			 strerror(errno));
		return -1;
	}
	workdir_path = strdup(buf);
	if (!workdir_path) {
		rmdir(buf);
		plot_err("out of memory");
		return -1;
	}
	return 0;
}

/* Remove the work directory's files now (between figures of 'all'). */
static void clear_workdir(void)
{
	cleanup_files_only();
	for (int i = 0; i < ntracked; i++)
		free(tracked[i]);
	ntracked = 0;
}

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb");
	if (!in)
		return -1;
	FILE *out = fopen(to, "wb");
	if (!out) {
		fclose(in);
		return -1;
	}
	char buf[65536];
	size_t n;
	int bad = 0;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			bad = 1;
	bad |= ferror(in);
	fclose(in);
	if (fclose(out) != 0)
		bad = 1;
	return bad ? -1 : 0;
}

/* Copy the script and its data files to --keep DIR. */
static int keep_files(const char *dir)
{
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		plot_err("cannot create '%s': %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < ntracked; i++) {
		const char *base = strrchr(tracked[i], '/');
		base = base ? base + 1 : tracked[i];
		size_t n = strlen(base);
		int want = (n > 3 && strcmp(base + n - 3, ".gp") == 0) ||
			   (n > 4 && strcmp(base + n - 4, ".dat") == 0);
		if (!want)
			continue;
		char to[PATH_MAX];
		snprintf(to, sizeof(to), "%s/%s", dir, base);
		if (copy_file(tracked[i], to) < 0) {
			plot_err("cannot write '%s': %s", to, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* --------------------------------------------------------------- options */

static const char *const fmt_ext[PLOT_NFMT] = { "pdf", "svg", "png" };

static int fmt_of_name(const char *s, size_t n)
{
	for (int i = 0; i < PLOT_NFMT; i++)
		if (strlen(fmt_ext[i]) == n && strncasecmp(s, fmt_ext[i], n) == 0)
			return i;
	return -1;
}

/* Output format from a file name's extension, or -1. */
static int fmt_of_path(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (!dot || (slash && dot < slash))
		return -1;
	return fmt_of_name(dot + 1, strlen(dot + 1));
}

/* A length with an optional unit (in, cm, mm, pt); inches, or -1. */
static double parse_len(const char *s, char **end)
{
	double v = strtod(s, end);
	if (*end == s || v <= 0)
		return -1;
	if (strncmp(*end, "in", 2) == 0)
		*end += 2;
	else if (strncmp(*end, "cm", 2) == 0)
		v /= 2.54, *end += 2;
	else if (strncmp(*end, "mm", 2) == 0)
		v /= 25.4, *end += 2;
	else if (strncmp(*end, "pt", 2) == 0)
		v /= 72.0, *end += 2;
	return v;
}

static int parse_size(const char *s, struct plot_opts *o)
{
	if (strcmp(s, "single") == 0) {
		o->width_in = 3.5;
		o->height_in = 0;
		o->wide = 0;
		return 0;
	}
	if (strcmp(s, "double") == 0) {
		o->width_in = 7.0;
		o->height_in = 0;
		o->wide = 1;
		return 0;
	}
	char *end;
	double w = parse_len(s, &end);
	if (w < 0 || (*end != 'x' && *end != 'X'))
		return -1;
	double h = parse_len(end + 1, &end);
	if (h < 0 || *end)
		return -1;
	if (w < 1 || h < 0.8 || w > 40 || h > 40)
		return -1;
	o->width_in = w;
	o->height_in = h;
	o->wide = w >= 5.0;
	return 0;
}

static void usage_fig_list(FILE *f)
{
	for (const struct figure *const *g = plot_figures; *g; g++)
		fprintf(f, "  %-11s %s\n", (*g)->name, (*g)->help);
}

static void help(void)
{
	printf(
"usage: pmt-plot FIGURE TRACE... -o OUT.{pdf,svg,png} [options]\n"
"       pmt-plot all TRACE -o DIR [--format pdf,svg,png] [options]\n"
"\n"
"Draws figures for papers from pmt traces with gnuplot. The numbers come from\n"
"pmt-analyze's reports (the pmt-analyze beside pmt-plot, or $PMT_ANALYZE);\n"
"the output format follows the file's extension (PDF, SVG or PNG).\n"
"\n"
"Figures:\n");
	usage_fig_list(stdout);
	printf(
"  all         every figure the trace's levels allow, into DIR as FIGURE.FMT\n"
"\n"
"Options:\n"
"  -o, --output PATH     the figure (FIGURE) or the directory (all)\n"
"      --format LIST     formats for 'all': pdf, svg, png, comma-separated\n"
"                        (default pdf)\n"
"      --size SIZE       single (3.5 in wide, one column), double (7 in, two\n"
"                        columns), or WxH with units in, cm, mm, pt (inches\n"
"                        when none), e.g. 8cmx5cm; default single\n"
"      --font-size PT    text size in points at that size (default 7, and 8\n"
"                        for --size double)\n"
"      --time A,B        only the part of the trace between A and B (units ns,\n"
"                        us, ms, s; as pmt-analyze --time)\n"
"      --tasks LIST      lanes and cells for these entities only: tids or\n"
"                        comm names, comma-separated\n"
"      --top N           the N entities with the most run time (default 16 for\n"
"                        timeline and residency, 12 for the latency split)\n"
"      --level NAME      the level to draw: host, guest, or a level's name\n"
"                        (timeline, residency; default the first guest level)\n"
"      --composed        timeline: guest tasks coloured by the physical CPU\n"
"                        they really ran on, stolen time shaded\n"
"      --title TEXT      a title above the figure\n"
"      --keep DIR        keep the gnuplot script and its data files in DIR;\n"
"                        'cd DIR && gnuplot NAME.gp' renders the figure again\n"
"                        (NAME: the output's name without extension)\n"
"  -q, --quiet           no notes on stderr\n"
"  -h, --help            this help\n"
"\n"
"Environment: PMT_ANALYZE (the pmt-analyze to run), PMT_GNUPLOT (the gnuplot).\n"
"Needs gnuplot 5 or newer with its cairo terminals (Debian: gnuplot-nox).\n"
"Exit status: 0 figures written, 1 an error (nothing is left half-written),\n"
"2 a usage error. docs/PLOT.md describes each figure.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	/* one line, as every tool's usage errors */
	fputs("pmt-plot: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see 'pmt-plot --help')\n", stderr);
	return 2;
}

/* Directory of our own executable + "/pmt-analyze". */
static char *find_analyze(void)
{
	const char *env = getenv("PMT_ANALYZE");
	if (env && *env)
		return strdup(env);
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return strdup("pmt-analyze");
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return strdup("pmt-analyze");
	*slash = '\0';
	char buf[PATH_MAX + 16];
	snprintf(buf, sizeof(buf), "%s/pmt-analyze", self);
	return strdup(buf);
}

/* A name safe inside gnuplot strings and file names. */
static void make_stem(char *dst, size_t n, const char *src, size_t len)
{
	size_t k = 0;
	for (size_t i = 0; i < len && k + 1 < n; i++) {
		unsigned char ch = (unsigned char)src[i];
		dst[k++] = (isalnum(ch) || ch == '-' || ch == '_' || ch == '.') ? (char)ch : '_';
	}
	if (k == 0)
		dst[k++] = 'f';
	dst[k] = '\0';
}

/* Can this figure be drawn from these traces? NULL, or the reason not. */
static const char *figure_unfit(const struct figure *g, const struct plot_trace *tr,
				int ntr)
{
	if ((g->needs & FIG_MULTI) && ntr < 2)
		return "needs two or more traces";
	if (!(g->needs & FIG_MULTI) && ntr != 1)
		return "takes one trace";
	for (int i = 0; i < ntr; i++) {
		int guest = 0;
		for (int l = 0; l < tr[i].nlevels; l++)
			guest |= tr[i].levels[l].guest;
		if ((g->needs & FIG_TWO_LEVEL) && (!guest || !tr[i].has_vcpus))
			return "needs a two-level trace: a guest level and its vCPUs at the host";
		if ((g->needs & FIG_VCPUS) && !tr[i].has_vcpus)
			return "needs vCPU entities at the host level: a VM host or two-level trace";
	}
	return NULL;
}

/* Make one figure into outs[f] for each format f in fmts (file paths).
 * The reports run once; each format is a gnuplot run of the same body.
 * Returns 0, or -1 when any failed. */
static int make_one(const struct figure *g, struct plot_opts *o, struct plot_trace *tr,
		    int ntr, unsigned fmts, char outs[][PATH_MAX], const char *stem)
{
	struct plot p = { 0 };
	p.o = o;
	p.figure = g->name;
	p.tr = tr;
	p.ntr = ntr;
	p.workdir = workdir_path;
	p.width_in = o->width_in;
	p.height_in = o->height_in;
	snprintf(p.stem, sizeof(p.stem), "%s", stem);
	int f0 = 0;
	while (!(fmts & (1u << f0)))
		f0++;
	p.fmt = (enum plot_fmt)f0;

	int rc = g->make(&p);
	if (p.gp) {
		if (ferror(p.gp) | fclose(p.gp)) {
			plot_err("cannot write the gnuplot script: %s", strerror(errno));
			rc = -1;
		}
		p.gp = NULL;
	} else if (rc == 0) {
		plot_err("%s: no script written", g->name);
		rc = -1;
	}
	if (rc < 0)
		return -1;
	char script[300];
	snprintf(script, sizeof(script), "%s.gp", p.stem);
	int failed = 0;
	for (int f = f0; f < PLOT_NFMT; f++) {
		if (!(fmts & (1u << f)))
			continue;
		if (f != f0 && gp_retarget(&p, (enum plot_fmt)f) < 0)
			return -1;
		char result[PATH_MAX];
		snprintf(result, sizeof(result), "%s/%s.%s", p.workdir, p.stem, fmt_ext[f]);
		if (plot_track(result) < 0 || gp_run(p.workdir, script) < 0) {
			failed = 1;
			continue;
		}
		struct stat st;
		if (stat(result, &st) < 0 || st.st_size == 0) {
			plot_err("gnuplot wrote no figure for '%s'", outs[f]);
			failed = 1;
			continue;
		}
		if (o->keep_dir && keep_files(o->keep_dir) < 0)
			return -1;
		if (rename(result, outs[f]) < 0) {
			plot_err("cannot write '%s': %s", outs[f], strerror(errno));
			failed = 1;
		} else if (o->list) {
			printf("%s\n", outs[f]);
		}
	}
	return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct plot_opts o = { 0 };
	o.width_in = 3.5;
	o.font_pt = 0;
	const char *output = NULL, *formats = NULL;
	enum { OPT_SIZE = 256, OPT_FONT, OPT_TIME, OPT_TASKS, OPT_TOP, OPT_LEVEL,
	       OPT_COMPOSED, OPT_TITLE, OPT_KEEP, OPT_FORMAT };
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "font-size", required_argument, NULL, OPT_FONT },
		{ "time", required_argument, NULL, OPT_TIME },
		{ "tasks", required_argument, NULL, OPT_TASKS },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "composed", no_argument, NULL, OPT_COMPOSED },
		{ "title", required_argument, NULL, OPT_TITLE },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":o:qh", lopts, NULL)) != -1) {
		char *end;
		switch (ch) {
		case 'o': output = optarg; break;
		case OPT_FORMAT: formats = optarg; break;
		case OPT_SIZE:
			if (parse_size(optarg, &o) < 0)
				return usage_error("bad --size '%s' (single, double or WxH such as 8cmx5cm)", optarg);
			break;
		case OPT_FONT:
			o.font_pt = strtod(optarg, &end);
			if (*end || o.font_pt < 4 || o.font_pt > 40)
				return usage_error("bad --font-size '%s' (points, 4 to 40)", optarg);
			break;
		case OPT_TIME: {
			const char *comma = strchr(optarg, ',');
			int64_t a, b;
			char first[64];
			if (!comma || (size_t)(comma - optarg) >= sizeof(first))
				return usage_error("bad --time '%s' (START,END with units ns, us, ms, s)", optarg);
			memcpy(first, optarg, (size_t)(comma - optarg));
			first[comma - optarg] = '\0';
			if ((*first && plot_parse_time(first, &a) < 0) ||
			    (comma[1] && plot_parse_time(comma + 1, &b) < 0) ||
			    (*first && comma[1] && b <= a))
				return usage_error("bad --time '%s' (START,END with units ns, us, ms, s)", optarg);
			o.time_arg = optarg;
			break;
		}
		case OPT_TASKS: o.tasks = optarg; break;
		case OPT_TOP: {
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 10000)
				return usage_error("bad --top '%s' (a count from 1)", optarg);
			o.top = (int)v;
			break;
		}
		case OPT_LEVEL: o.level = optarg; break;
		case OPT_COMPOSED: o.composed = 1; break;
		case OPT_TITLE: o.title = optarg; break;
		case OPT_KEEP: o.keep_dir = optarg; break;
		case 'q': o.quiet = 1; break;
		case 'h': help(); return 0;
		case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no figure given");
	const char *fig = argv[optind++];
	int all = strcmp(fig, "all") == 0;
	const struct figure *g = all ? NULL : plot_figure_find(fig);
	if (!all && !g)
		return usage_error("unknown figure '%s'", fig);
	int ntr = argc - optind;
	if (ntr < 1)
		return usage_error("%s", "no trace given");
	if (!output)
		return usage_error("%s", "no output given (-o)");
	if (all && ntr != 1)
		return usage_error("%s", "'all' takes one trace");
	if (!all && (g->needs & FIG_MULTI) && ntr < 2)
		return usage_error("'%s' needs two or more traces", g->name);
	if (!all && !(g->needs & FIG_MULTI) && ntr != 1)
		return usage_error("'%s' takes one trace (compare draws several)", g->name);
	/* how many traces a figure takes is a usage matter, as for 'all' */
	if (!all && (g->needs & FIG_MULTI) && ntr < 2)
		return usage_error("'%s' needs two or more traces", fig);
	if (!all && !(g->needs & FIG_MULTI) && ntr != 1)
		return usage_error("'%s' takes one trace", fig);
	if (o.composed && (all || strcmp(fig, "timeline") != 0))
		return usage_error("%s", "--composed is for the timeline figure");

	unsigned fmts = 0;
	enum plot_fmt fmt = PLOT_PDF;
	if (all) {
		const char *s = formats ? formats : "pdf";
		while (*s) {
			size_t n = strcspn(s, ",");
			int f = fmt_of_name(s, n);
			if (f < 0)
				return usage_error("bad --format '%s' (pdf, svg, png)", formats);
			fmts |= 1u << f;
			s += n + (s[n] == ',');
		}
	} else {
		if (formats)
			return usage_error("%s", "--format is for 'all' (a figure's format follows -o's extension)");
		int f = fmt_of_path(output);
		if (f < 0)
			return usage_error("output '%s' must end in .pdf, .svg or .png", output);
		fmt = (enum plot_fmt)f;
	}

	/* A missing or old gnuplot is found before any work is done. */
	if (o.font_pt == 0)
		o.font_pt = o.wide ? 8 : 7;
	if (gp_check() < 0)
		return 1;
	char *analyze = find_analyze();
	if (!analyze) {
		plot_err("out of memory");
		return 1;
	}
	o.analyze = analyze;

	struct plot_trace *tr = calloc((size_t)ntr, sizeof(*tr));
	if (!tr) {
		plot_err("out of memory");
		return 1;
	}
	for (int i = 0; i < ntr; i++) {
		tr[i].path = argv[optind + i];
		if (plot_trace_load(&tr[i]) < 0) {
			free(tr);
			free(analyze);
			return 1;
		}
	}
	if (!all) {
		const char *why = figure_unfit(g, tr, ntr);
		if (why) {
			plot_err("%s: %s", g->name, why);
			free(tr);
			free(analyze);
			return 1;
		}
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, on_signal);
	atexit(cleanup);

	int failed = 0;
	if (!all) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", output);
		char *slash = strrchr(dir, '/');
		const char *base = slash ? slash + 1 : output;
		if (slash)
			*slash = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
		if (slash && slash == dir)
			snprintf(dir, sizeof(dir), "/");
		const char *dot = strrchr(base, '.');
		char stem[200];
		make_stem(stem, sizeof(stem), base, (size_t)(dot - base));
		if (make_workdir(dir) < 0) {
			failed = 1;
			goto done;
		}
		static char outs[PLOT_NFMT][PATH_MAX];
		snprintf(outs[fmt], sizeof(outs[fmt]), "%s", output);
		failed = make_one(g, &o, tr, ntr, 1u << fmt, outs, stem) < 0;
	} else {
		if (mkdir(output, 0777) < 0 && errno != EEXIST) {
			plot_err("cannot create '%s': %s", output, strerror(errno));
			failed = 1;
			goto done;
		}
		if (make_workdir(output) < 0) {
			failed = 1;
			goto done;
		}
		o.list = 1;
		/* figures the trace does not allow: one line per reason */
		const char *whys[16];
		char names[16][160];
		int nwhy = 0;
		for (const struct figure *const *gp = plot_figures; *gp; gp++) {
			g = *gp;
			const char *why = figure_unfit(g, tr, ntr);
			if (why) {
				if (g->needs & FIG_MULTI)
					continue;
				int k = 0;
				while (k < nwhy && whys[k] != why)
					k++;
				if (k == nwhy && nwhy < 16) {
					whys[nwhy] = why;
					names[nwhy++][0] = '\0';
				}
				if (k < nwhy) {
					size_t l = strlen(names[k]);
					snprintf(names[k] + l, sizeof(names[k]) - l, "%s%s", l ? ", " : "",
						 g->name);
				}
				continue;
			}
			static char outs[PLOT_NFMT][PATH_MAX];
			for (int f = 0; f < PLOT_NFMT; f++)
				snprintf(outs[f], sizeof(outs[f]), "%s/%s.%s", output, g->name,
					 fmt_ext[f]);
			if (make_one(g, &o, tr, ntr, fmts, outs, g->name) < 0)
				failed = 1;
			clear_workdir();
		}
		for (int k = 0; k < nwhy && !o.quiet; k++)
			fprintf(stderr, "pmt-plot: all: not drawn: %s: %s\n", names[k], whys[k]);
	}
done: /* every way out frees the traces (LeakSanitizer in make check) */
	free(tr);
	free(analyze);
	return failed ? 1 : 0;
}
