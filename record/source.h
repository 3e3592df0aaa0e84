/*
 * source.h - how pmt-record talks to its event sources.
 *
 * pmt-record (record/main.c) owns the command line, the output file (one
 * pmt_writer), the command it runs, signals, the once-a-second flush and the
 * final summary. A *source* owns one kind of kernel/hypervisor tracing
 * (Linux tracefs, Xen trace buffers, a VM's vCPU threads...) and writes the
 * events it reads through r->w. Sources never print to stdout and never exit:
 * they report problems with pmt_rec_err() / pmt_rec_warn() and return -1.
 *
 * Life of a recording, in order (every source that is active gets each call):
 *
 *   option()*   for each of its own long options on the command line
 *   active()    decides, from the options, whether it takes part
 *   open()      before the file header is written: create kernel state
 *               (instance, buffers), describe clocks / levels / CPUs /
 *               bindings / initial tasks through r->w (pmt_writer_add_*).
 *               Register pollable fds with pmt_rec_watch().
 *   -- main writes the header (pmt_writer_begin), then --
 *   start()     tracing on. The command (if any) is started after every
 *               source has started.
 *   ready(fd)   one of its watched fds is readable: read in bulk, decode,
 *               pmt_writer_append(), giving back when pmt_rec_cut_short()
 *               says so. Also called with fd = -1 about 4 times a
 *               second (and before each flush) so a source can poll what has
 *               no fd. Never blocks.
 *   stop()      tracing off first, then drain what the kernel still holds and
 *               write it (losses included), within pmt_rec_cut_short()'s
 *               budget. Called once, also after errors.
 *   finish()    after every source stopped, before the file is closed: last
 *               metadata, pmt_writer_update_clock() with end-of-run
 *               calibration. May be skipped after a write error.
 *   close()     free everything and remove kernel state (instances, trace
 *               buffers). Always called for an opened source, on every path
 *               (errors, signals): it must work whatever state it is in.
 *
 * To add a source:
 *   1. write record/NAME.c defining `const struct pmt_source pmt_source_NAME`
 *      (fill only the hooks you need: NULL hooks are skipped);
 *   2. add `&pmt_source_NAME` to the table in record/sources.c (the order of
 *      the table is the order of open/start; stop/close run in reverse);
 *   3. add record/NAME.c to pmt-record_SRCS (record/module.mk), under an
 *      ifeq on its probe if it needs an optional library.
 * The Linux source is always first; a later source can extend its tracefs
 * instance with its own events through record/linux.h.
 */
#ifndef PMT_RECORD_SOURCE_H
#define PMT_RECORD_SOURCE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "pmt.h"

struct pmt_rec;

/* One extra long option of a source (shown by --help, parsed by main). */
struct pmt_source_opt {
	const char *name;       /* "xen", "vm", "sync-port" (without dashes)      */
	int has_arg;            /* 0: flag, 1: required argument                  */
	const char *arg_name;   /* "PID|NAME" for --help; NULL for flags          */
	const char *help;       /* one line for --help                            */
};

struct pmt_source {
	const char *name;                       /* "linux", "xen", "vm"           */
	const struct pmt_source_opt *opts;      /* terminated by {NULL}; or NULL  */
	/* One of its options was given (arg NULL for flags). Return 0, or -1 after
	 * pmt_rec_usage() for a bad value (main exits 2). */
	int (*option)(struct pmt_rec *r, const char *name, const char *arg);
	/* Take part in this recording? (NULL: always.) */
	int (*active)(struct pmt_rec *r);
	/* See the life above. *state is the source's own handle, given back to
	 * every later hook. Return 0 or -1 (after pmt_rec_err). */
	int (*open)(struct pmt_rec *r, void **state);
	int (*start)(struct pmt_rec *r, void *state);
	int (*ready)(struct pmt_rec *r, void *state, int fd);
	int (*stop)(struct pmt_rec *r, void *state);
	int (*finish)(struct pmt_rec *r, void *state);
	void (*close)(struct pmt_rec *r, void *state);
};

/* The table of sources, NULL-terminated (record/sources.c). */
extern const struct pmt_source *const pmt_sources[];

/*
 * The recording: options common to every source, the writer, and counters
 * for the summary. Sources read the options and update the counters.
 */
#define PMT_REC_MAX_CPUS 4096
struct pmt_rec {
	/* Common options (main parses them). */
	const char *out_path;   /* -o, default "trace.pmt"                        */
	double duration;        /* --duration seconds; 0: until command/signal    */
	const char *cpus;       /* --cpus LIST as given, or NULL (all)            */
	uint8_t *cpu_set;       /* parsed --cpus: cpu_set[c] != 0 is recorded;
				   NULL: all CPUs                                 */
	unsigned buffer_kb;     /* --buffer-size per CPU, KB (0: source default)  */
	const char *clock;      /* --clock NAME, or NULL (source default)         */
	const char *events;     /* --events LIST as given, or NULL (defaults)     */
	int verbose;            /* -v count                                       */
	char **argv;            /* the command after --, or NULL                  */
	pid_t child;            /* its pid once started, else 0                   */
	int no_linux;           /* set by a source's option(): Linux source off   */

	pmt_writer *w;          /* the output; valid from open() to finish()      */
	uint16_t host_level;    /* level id of this machine's CPUs (set by the
				   source that adds it; -1 cast: none yet)        */
	uint16_t host_clock;

	/* Summary counters, per CPU of the host level (sources add to them). */
	uint32_t ncpus;
	uint64_t *cpu_events;   /* events written per CPU                         */
	uint64_t *cpu_lost;     /* events lost per CPU (as written in lost records)*/

	/* Private to main. */
	int write_err;          /* first writer error, or 0                       */
	struct pmt_rec_priv *priv;
};

/* Messages on stderr prefixed with "pmt-record: ". err: a failure the run
 * cannot survive (the caller returns -1); warn: recording goes on. */
void pmt_rec_err(struct pmt_rec *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pmt_rec_warn(struct pmt_rec *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A bad option value: one line, main exits 2. */
void pmt_rec_usage(struct pmt_rec *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Verbose-only note (-v). */
void pmt_rec_note(struct pmt_rec *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Watch fd for readability: ready(r, state, fd) is called when it is.
 * Returns 0 or -1. Unwatch before closing the fd. */
int pmt_rec_watch(struct pmt_rec *r, const struct pmt_source *src, void *state, int fd);
int pmt_rec_unwatch(struct pmt_rec *r, int fd);

/* Append one event through the writer, counting it for the summary and
 * remembering the first write error (then returns <0 and main stops). */
int pmt_rec_append(struct pmt_rec *r, const struct pmt_event *ev);

/* Ask main to end the recording (as if --duration ran out). */
void pmt_rec_request_stop(struct pmt_rec *r);

/* Long reading (a drain of a full buffer) asks this between bulk reads and
 * returns to main when it says nonzero: in ready(), after main's time slice
 * (a quarter of a second) or once a stop is asked for, so that a recorder
 * that cannot keep up still sees signals and flushes; in stop(), after the
 * stop's time budget (a second) or a second signal. What stop() leaves
 * unread it counts as lost. */
int pmt_rec_cut_short(struct pmt_rec *r);
/* A second signal came while stopping: finish without reading more. */
int pmt_rec_stop_aborted(struct pmt_rec *r);

/* Is CPU c recorded (--cpus)? */
static inline int pmt_rec_cpu_wanted(const struct pmt_rec *r, uint32_t c)
{
	return !r->cpu_set || (c < PMT_REC_MAX_CPUS && r->cpu_set[c]);
}

#endif
