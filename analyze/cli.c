/* cli.c - options, filters and trace opening shared by pmt-analyze commands. */
#include "analyze/cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	O_FORMAT = 1000, O_OUTPUT, O_LEVEL, O_PID, O_TID, O_COMM, O_CPU, O_TIME,
	O_TOLERANT, O_NOPROGRESS, O_ONE_THREAD, O_HELP,
};

static const struct cli_opt common_opts[] = {
	{ "format", 1, O_FORMAT, "  --format text|csv|json   output format (default text)" },
	{ "output", 1, O_OUTPUT, "  -o, --output FILE        write the report to FILE" },
	{ "level", 1, O_LEVEL, "  --level L                a level by name (host, a guest's name) or id" },
	{ "pid", 1, O_PID, "  --pid LIST               thread groups (comma-separated)" },
	{ "tid", 1, O_TID, "  --tid LIST               tasks (comma-separated)" },
	{ "comm", 1, O_COMM, "  --comm NAME              tasks named NAME (NAME* for a prefix)" },
	{ "cpu", 1, O_CPU, "  --cpu LIST               CPUs, e.g. 0,2-3" },
	{ "time", 1, O_TIME, "  --time START,END         range from the trace start; units ns us ms s" },
	{ "tolerant", 0, O_TOLERANT, "  --tolerant               report what a damaged file holds, exit 0" },
	{ "no-progress", 0, O_NOPROGRESS, "  --no-progress            never show progress" },
	{ "one-thread", 0, O_ONE_THREAD, "  --one-thread             read and analyze on one thread (default: two when there are two CPUs)" },
	{ "help", 0, O_HELP, "  -h, --help               this help" },
};
#define NCOMMON (int)(sizeof(common_opts) / sizeof(common_opts[0]))

static void vmsg(const struct cli *c, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", c->prog ? c->prog : "pmt-analyze");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_usage_error(const struct cli *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", c->prog ? c->prog : "pmt-analyze");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see '%s --help')\n", c->prog ? c->prog : "pmt-analyze");
	va_end(ap);
	return -1;
}

void cli_error(const struct cli *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(c, fmt, ap);
	va_end(ap);
}

int cli_parse_duration(const char *s, int64_t *ns)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || v < 0)
		return -1;
	double mul = 1;
	if (!*end || !strcmp(end, "ns"))
		mul = 1;
	else if (!strcmp(end, "us"))
		mul = 1e3;
	else if (!strcmp(end, "ms"))
		mul = 1e6;
	else if (!strcmp(end, "s"))
		mul = 1e9;
	else
		return -1;
	double r = v * mul;
	if (r > 9.2e18)
		return -1;
	*ns = (int64_t)(r + 0.5);
	return 0;
}

static int parse_ids(struct cli *c, const char *opt, const char *arg, uint32_t *ids, int *n)
{
	const char *p = arg;
	while (*p) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p || errno || v > UINT32_MAX || (*end && *end != ','))
			return cli_usage_error(c, "--%s: '%s' is not a list of ids", opt, arg);
		if (*n >= CLI_MAX_IDS)
			return cli_usage_error(c, "--%s: more than %d ids", opt, CLI_MAX_IDS);
		ids[(*n)++] = (uint32_t)v;
		p = *end ? end + 1 : end;
	}
	if (*n == 0)
		return cli_usage_error(c, "--%s: empty list", opt);
	return 0;
}

static int parse_cpus(struct cli *c, const char *arg)
{
	const char *p = arg;
	free(c->cpus);
	c->ncpus_sel = PMT_MAX_CPUS;
	c->cpus = calloc(PMT_MAX_CPUS, 1);
	if (!c->cpus)
		return cli_usage_error(c, "out of memory");
	int any = 0;
	while (*p) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b;
		if (end == p)
			goto bad;
		b = a;
		if (*end == '-') {
			const char *q = end + 1;
			b = strtoul(q, &end, 10);
			if (end == q)
				goto bad;
		}
		if (a > b || b >= PMT_MAX_CPUS || (*end && *end != ','))
			goto bad;
		for (unsigned long i = a; i <= b; i++)
			c->cpus[i] = 1;
		any = 1;
		p = *end ? end + 1 : end;
	}
	if (any)
		return 0;
bad:
	return cli_usage_error(c, "--cpu: '%s' is not a CPU list (e.g. 0,2-3)", arg);
}

static int parse_time(struct cli *c, const char *arg)
{
	const char *comma = strchr(arg, ',');
	if (!comma)
		return cli_usage_error(c, "--time: '%s' is not START,END", arg);
	char a[64], b[64];
	size_t la = (size_t)(comma - arg), lb = strlen(comma + 1);
	if (la >= sizeof(a) || lb >= sizeof(b))
		return cli_usage_error(c, "--time: '%s' is too long", arg);
	memcpy(a, arg, la);
	a[la] = 0;
	memcpy(b, comma + 1, lb + 1);
	c->t_start = 0;
	c->t_end = INT64_MAX;
	if (la && cli_parse_duration(a, &c->t_start))
		return cli_usage_error(c, "--time: '%s' is not a time (units ns us ms s)", a);
	if (lb && cli_parse_duration(b, &c->t_end))
		return cli_usage_error(c, "--time: '%s' is not a time (units ns us ms s)", b);
	if (c->t_end < c->t_start)
		return cli_usage_error(c, "--time: end before start");
	c->has_time = 1;
	return 0;
}

static void print_help(const struct cli *c, const struct cli_opt *opts)
{
	printf("usage: %s\n", c->usage ? c->usage : c->prog);
	if (opts && opts[0].name) {
		printf("\noptions:\n");
		for (const struct cli_opt *o = opts; o->name; o++)
			printf("%s\n", o->help ? o->help : o->name);
	}
	printf("\ncommon options:\n");
	for (int i = 0; i < NCOMMON; i++)
		printf("%s\n", common_opts[i].help);
}

int cli_parse(struct cli *c, const char *prog, const char *usage, int argc,
	      char **argv, const struct cli_opt *opts, cli_opt_fn fn, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->prog = prog;
	c->usage = usage;
	c->format = OUT_TEXT;
	c->level = -1;
	c->t_end = INT64_MAX;
	c->progress = isatty(2);

	int nextra = 0;
	while (opts && opts[nextra].name)
		nextra++;
	struct option *lo = calloc((size_t)(NCOMMON + nextra + 1), sizeof(*lo));
	if (!lo)
		return cli_usage_error(c, "out of memory");
	int n = 0;
	for (int i = 0; i < NCOMMON; i++, n++)
		lo[n] = (struct option){ common_opts[i].name, common_opts[i].has_arg ? required_argument : no_argument, NULL, common_opts[i].id };
	for (int i = 0; i < nextra; i++, n++)
		lo[n] = (struct option){ opts[i].name, opts[i].has_arg ? required_argument : no_argument, NULL, opts[i].id };

	int rc = 0;
	optind = 1;
	opterr = 0;
	int o;
	while (rc == 0 && (o = getopt_long(argc, argv, ":ho:", lo, NULL)) != -1) {
		switch (o) {
		case 'h':
		case O_HELP:
			print_help(c, opts);
			rc = 1;
			break;
		case 'o':
		case O_OUTPUT:
			c->output = optarg;
			break;
		case O_FORMAT: {
			int f = out_format_parse(optarg);
			if (f < 0)
				rc = cli_usage_error(c, "--format: '%s' is not text, csv or json", optarg);
			else
				c->format = (enum out_format)f;
			break;
		}
		case O_LEVEL:
			c->level_arg = optarg;
			break;
		case O_PID:
			rc = parse_ids(c, "pid", optarg, c->pids, &c->npids);
			break;
		case O_TID:
			rc = parse_ids(c, "tid", optarg, c->tids, &c->ntids);
			break;
		case O_COMM:
			c->comm = optarg;
			break;
		case O_CPU:
			rc = parse_cpus(c, optarg);
			break;
		case O_TIME:
			rc = parse_time(c, optarg);
			break;
		case O_TOLERANT:
			c->tolerant = 1;
			break;
		case O_ONE_THREAD:
			c->one_thread = 1;
			break;
		case O_NOPROGRESS:
			c->progress = 0;
			break;
		case '?': /* optopt: the unknown short option; a long one's id or 0 */
			if (optopt > 0 && optopt < 128 && isprint(optopt) && strncmp(argv[optind - 1], "--", 2))
				rc = cli_usage_error(c, "unknown option '-%c'", optopt);
			else
				rc = cli_usage_error(c, "unknown option '%s'", argv[optind - 1]);
			break;
		case ':':
			rc = cli_usage_error(c, "option '%s' needs a value", argv[optind - 1]);
			break;
		default:
			if (fn)
				rc = fn(ctx, o, optarg);
			else
				rc = cli_usage_error(c, "unknown option '%s'", argv[optind - 1]);
			break;
		}
	}
	free(lo);
	if (rc)
		return rc;
	c->args = argv + optind;
	c->nargs = argc - optind;
	return 0;
}

pmt_reader *cli_open(struct cli *c, const char *path)
{
	int err = 0;
	char msg[256] = "";
	pmt_reader *r = pmt_reader_open_ex(path, (c->tolerant ? PMT_OPEN_TOLERANT : 0) | (c->one_thread ? PMT_OPEN_ONE_THREAD : 0), &err, msg, sizeof(msg));
	if (!r) {
		if (!strncmp(msg, "offset ", 7)) /* damage: FILE: offset N: what */
			fprintf(stderr, "%s: %s\n", path, msg);
		else if (msg[0])
			fprintf(stderr, "%s: '%s': %s\n", c->prog, path, msg);
		else if (err == PMT_EIO && errno)
			fprintf(stderr, "%s: '%s': %s\n", c->prog, path, strerror(errno));
		else
			fprintf(stderr, "%s: '%s': %s\n", c->prog, path, pmt_strerror(err));
		return NULL;
	}
	const struct pmt_info *in = pmt_reader_info(r);
	c->trace_start_ns = in->first_ns;
	if (c->level_arg) {
		c->level = -1;
		for (size_t i = 0; i < in->nlevels; i++)
			if (in->levels[i].name && !strcmp(in->levels[i].name, c->level_arg))
				c->level = in->levels[i].id;
		if (c->level < 0) {
			char *end;
			long v = strtol(c->level_arg, &end, 10);
			if (*end == 0 && end != c->level_arg && v >= 0 && (size_t)v < in->nlevels)
				c->level = (int)v;
		}
		if (c->level < 0) {
			fprintf(stderr, "%s: '%s': no level named '%s' (levels:", c->prog, path, c->level_arg);
			for (size_t i = 0; i < in->nlevels; i++)
				fprintf(stderr, " %s", in->levels[i].name ? in->levels[i].name : "?");
			fprintf(stderr, ")\n");
			pmt_reader_close(r);
			return NULL;
		}
	}
	/* a truncated file: its damage line says where it ends; the
	 * recovery is said only when no damaged place names it */
	if (in->recovered && !in->ndamage)
		fprintf(stderr, "%s: '%s': no valid footer; recovered %llu events from complete chunks\n",
			c->prog, path, (unsigned long long)in->events);
	for (size_t i = 0; i < in->ndamage; i++)
		fprintf(stderr, "%s: offset %llu: %s\n", path,
			(unsigned long long)in->damage[i].offset, in->damage[i].what);
	return r;
}

struct out *cli_out_open(struct cli *c, FILE **fp)
{
	*fp = stdout;
	if (c->output) {
		*fp = fopen(c->output, "w");
		if (!*fp) {
			cli_error(c, "cannot write '%s': %s", c->output, strerror(errno));
			return NULL;
		}
	}
	struct out *o = out_open(*fp, c->format);
	if (!o) {
		cli_error(c, "out of memory");
		if (*fp != stdout)
			fclose(*fp);
	}
	return o;
}

int cli_out_close(struct cli *c, struct out *o, FILE *fp)
{
	int rc = out_close(o);
	if (fp && fp != stdout && fclose(fp) != 0)
		rc = -1;
	if (rc)
		cli_error(c, "cannot write '%s': %s", c->output ? c->output : "stdout", strerror(errno));
	return rc;
}

int cli_note_trace(struct cli *c, struct out *o, pmt_reader *r)
{
	const struct pmt_info *in = pmt_reader_info(r);
	int n = 0;
	if (in->recovered) {
		out_note(o, "the file had no valid footer: recovered from its complete chunks; events after the last complete chunk are missing");
		n++;
	}
	if (in->ndamage) {
		out_note(o, "%zu damaged place(s) in the file were skipped: the figures miss their events", in->ndamage);
		n++;
	}
	if (in->lost_events) {
		out_note(o, "%llu events were lost while recording: states on the CPUs concerned are unknown until their next switch",
			 (unsigned long long)in->lost_events);
		n++;
	}
	return n;
}

int cli_exit_status(const struct cli *c, pmt_reader *r)
{
	const struct pmt_info *in = pmt_reader_info(r);
	if ((in->recovered || in->ndamage) && !c->tolerant)
		return CLI_EXIT_ERROR;
	return CLI_EXIT_OK;
}

int cli_want_level(const struct cli *c, int level)
{
	return c->level < 0 || c->level == level;
}

int cli_want_cpu(const struct cli *c, int level, uint32_t cpu)
{
	(void)level;
	return !c->cpus || (cpu < c->ncpus_sel && c->cpus[cpu]);
}

int cli_want_task(const struct cli *c, uint32_t tid, uint32_t pid, const char *comm)
{
	if (c->ntids) {
		int ok = 0;
		for (int i = 0; i < c->ntids; i++)
			ok |= c->tids[i] == tid;
		if (!ok)
			return 0;
	}
	if (c->npids) {
		int ok = 0;
		for (int i = 0; i < c->npids; i++)
			ok |= c->pids[i] == pid;
		if (!ok)
			return 0;
	}
	if (c->comm) {
		size_t n = strlen(c->comm);
		if (!comm)
			return 0;
		if (n && c->comm[n - 1] == '*') {
			if (strncmp(comm, c->comm, n - 1))
				return 0;
		} else if (strcmp(comm, c->comm)) {
			return 0;
		}
	}
	return 1;
}

int64_t cli_time_lo(const struct cli *c)
{
	if (!c->has_time)
		return INT64_MIN;
	if (c->trace_start_ns > 0 && c->t_start > INT64_MAX - c->trace_start_ns)
		return INT64_MAX;
	return c->trace_start_ns + c->t_start;
}

int64_t cli_time_hi(const struct cli *c)
{
	if (!c->has_time || c->t_end == INT64_MAX || c->t_end > INT64_MAX - c->trace_start_ns)
		return INT64_MAX;
	return c->trace_start_ns + c->t_end;
}

int cli_want_time(const struct cli *c, int64_t time_ns)
{
	return time_ns >= cli_time_lo(c) && time_ns <= cli_time_hi(c);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double last_progress;
static int progress_shown;

void cli_progress(struct cli *c, uint64_t done, uint64_t total)
{
	if (!c->progress || !total)
		return;
	double t = now_s();
	if (t - last_progress < 0.25)
		return;
	last_progress = t;
	progress_shown = 1;
	fprintf(stderr, "\r%s: %3.0f%%", c->prog, 100.0 * (double)done / (double)total);
}

void cli_progress_done(struct cli *c)
{
	if (progress_shown) {
		fprintf(stderr, "\r\033[K");
		progress_shown = 0;
	}
}

void cli_release(struct cli *c)
{
	free(c->cpus);
	c->cpus = NULL;
}
