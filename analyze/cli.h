/*
 * cli.h - what every pmt-analyze subcommand shares: option parsing, filters,
 * opening the trace with errors reported the same way, progress on a terminal.
 *
 * Common options (parsed in one place, documented in `pmt-analyze --help`):
 *   --format text|csv|json   output format (default text)
 *   -o, --output FILE        write the report to FILE instead of stdout
 *   --level L                a level by name ("host", a guest's name) or id
 *   --pid LIST, --tid LIST   thread groups / tasks (comma-separated ids)
 *   --comm NAME              tasks whose name is NAME (exact; NAME* = prefix)
 *   --cpu LIST               CPUs ("0,2-3"), within the selected level(s)
 *   --time START,END         time range relative to the trace start; each side
 *                            may be empty; units ns, us, ms, s (default ns)
 *   --tolerant               analyze what a damaged file still holds; exit 0
 *   --no-progress            never show progress (it shows on a terminal only)
 *   --one-thread             read, inflate and analyze on the calling thread only
 * A subcommand adds its own options through struct cli_opt.
 *
 * Exit codes: CLI_EXIT_OK 0, CLI_EXIT_ERROR 1 (bad or damaged input, I/O),
 * CLI_EXIT_USAGE 2 (unknown option or subcommand, bad option value).
 */
#ifndef PMT_CLI_H
#define PMT_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "analyze/table.h"
#include "pmt.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_ERROR 1
#define CLI_EXIT_USAGE 2

#define CLI_MAX_IDS 64

struct cli {
	const char *prog;        /* "pmt-analyze migrations": message prefix   */
	const char *usage;       /* the subcommand's usage line(s)              */
	enum out_format format;
	const char *output;      /* NULL: stdout                                */
	int tolerant;
	int one_thread;          /* --one-thread: no loader thread (PMT_OPEN_ONE_THREAD) */
	int progress;            /* 1 when stderr is a terminal and allowed     */
	/* filters, as given */
	const char *level_arg;
	uint32_t pids[CLI_MAX_IDS]; int npids;
	uint32_t tids[CLI_MAX_IDS]; int ntids;
	const char *comm;
	uint8_t *cpus;           /* cpus[c] != 0: selected; NULL: all            */
	uint32_t ncpus_sel;      /* size of cpus[]                               */
	int has_time;
	int64_t t_start, t_end;  /* relative ns; t_end = INT64_MAX when open    */
	/* resolved by cli_open() */
	int level;               /* selected level id, -1: all                  */
	int64_t trace_start_ns;  /* info->first_ns: origin of relative times     */
	/* positional arguments left after parsing */
	int nargs;
	char **args;
};

/* A subcommand's own option: long name, whether it takes an argument, an id
 * handed to the callback. */
struct cli_opt {
	const char *name;
	int has_arg;             /* 0 or 1 */
	int id;
	const char *help;        /* "  --matrix    run time per (entity, CPU)"   */
};
/* Returns 0, or -1 after printing a usage error (cli_usage_error). */
typedef int (*cli_opt_fn)(void *ctx, int id, const char *arg);

/*
 * Parse argv (argv[0] is the subcommand name). On --help prints usage and the
 * common options to stdout and returns 1 (the caller exits 0); on a usage
 * error prints one line to stderr and returns -1 (the caller exits 2);
 * otherwise 0, with c->args / c->nargs holding the positionals.
 */
int cli_parse(struct cli *c, const char *prog, const char *usage, int argc,
	      char **argv, const struct cli_opt *opts, cli_opt_fn fn, void *ctx);

/* Print "PROG: MESSAGE" and a hint to --help on stderr; returns -1. */
int cli_usage_error(const struct cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print "PROG: MESSAGE" on stderr. */
void cli_error(const struct cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Open a trace (PMT_OPEN_TOLERANT with --tolerant), resolve --level against
 * its levels and the time origin. On failure prints "FILE: offset N: what" (or
 * "PROG: 'FILE': reason") and returns NULL. When the file was recovered or has
 * damage, prints one line on stderr saying so.
 */
pmt_reader *cli_open(struct cli *c, const char *path);

/* Open the report document on stdout or --output. NULL after an error line. */
struct out *cli_out_open(struct cli *c, FILE **fp);
/* Close it (and the --output file); returns 0 or -1 after an error line. */
int cli_out_close(struct cli *c, struct out *o, FILE *fp);

/*
 * Notes every report carries when part of it is unknown: lost events, a
 * recovered file, damaged chunks. Adds them to o; returns how many.
 */
int cli_note_trace(struct cli *c, struct out *o, pmt_reader *r);

/* Exit status for the end of a report: 1 when the file was damaged or
 * recovered and --tolerant was not given, else 0. */
int cli_exit_status(const struct cli *c, pmt_reader *r);

/* Filters. */
int cli_want_level(const struct cli *c, int level);
int cli_want_cpu(const struct cli *c, int level, uint32_t cpu);
int cli_want_task(const struct cli *c, uint32_t tid, uint32_t pid, const char *comm);
/* time_ns is a reference ns (absolute); compared against the range. */
int cli_want_time(const struct cli *c, int64_t time_ns);
/* Absolute reference-ns bounds of --time (INT64_MIN / INT64_MAX when open). */
int64_t cli_time_lo(const struct cli *c);
int64_t cli_time_hi(const struct cli *c);

/* Parse a duration "12", "12ns", "3.5us", "10ms", "2s" into ns; -1 on error. */
int cli_parse_duration(const char *s, int64_t *ns);

/* Progress on a terminal: call with work done / total (e.g. bytes or events);
 * throttled to a few updates a second; progress_done() clears the line. */
void cli_progress(struct cli *c, uint64_t done, uint64_t total);
void cli_progress_done(struct cli *c);

void cli_release(struct cli *c);

#endif
