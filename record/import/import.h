/*
 * import.h - pmt-import's formats and what they share.
 *
 * Each format is one file (ftrace.c, tracedat.c, ...) with one entry
 * function, listed in the table of record/import/main.c. To add a format:
 * write record/import/NAME.c with `int pmt_import_NAME(const struct
 * pmt_import_args *a)`, declare it below, add a row to the table in main.c
 * and the file to pmt-import_SRCS (record/module.mk, or your own fragment).
 */
#ifndef PMT_IMPORT_H
#define PMT_IMPORT_H

#include <stdint.h>

#include "pmt.h"

struct pmt_import_args {
	const char *in;         /* input file                                    */
	const char *out;        /* output .pmt                                   */
	const char *buffer;     /* --buffer NAME (trace.dat instance), or NULL   */
	int verbose;
	const char *cpu_hz;     /* --cpu-hz HZ as given (xentrace, ftrace), or NULL */
	int tolerant;           /* --tolerant (xentrace): keep what precedes damage */
};

/* One format: returns the exit status (0, or 1 after a message). */
typedef int (*pmt_import_fn)(const struct pmt_import_args *a);

int pmt_import_ftrace(const struct pmt_import_args *a);
int pmt_import_tracedat(const struct pmt_import_args *a);
int pmt_import_xentrace(const struct pmt_import_args *a); /* record/xen/xen_import_cli.c */

/* "pmt-import: " + message on stderr. */
void pmt_import_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A frequency as given to --cpu-hz: 2400000000, 2.4e9, 2.4G, 2400M,
 * 2.4GHz. Returns 0, or -1 when it is not one between 1 MHz and 100 GHz. */
int pmt_import_parse_hz(const char *s, uint64_t *hz);

/*
 * The output every importer writes: one host level of ncpus CPUs on one
 * clock (clock_name; ticks_per_ns 1 means nanoseconds), metadata source=fmt.
 * Returns a writer ready for events (header written) or NULL after a message.
 */
struct pmt_import_out {
	pmt_writer *w;
	uint16_t level;
	uint64_t events;        /* appended                                       */
	int err;                /* first write error                              */
};
int pmt_import_begin(struct pmt_import_out *o, const struct pmt_import_args *a,
		     const char *format, uint32_t ncpus, const char *clock_name, int ns_clock);
/* The same with a clock described in full (ticks at a known frequency). */
int pmt_import_begin_clock(struct pmt_import_out *o, const struct pmt_import_args *a,
			   const char *format, uint32_t ncpus, const struct pmt_clock *c);
/* The sched emit function for an import (ctx = struct pmt_import_out). */
int pmt_import_emit(void *ctx, const struct pmt_event *ev);
/* Close; prints the one-line summary. Returns the exit status. */
int pmt_import_end(struct pmt_import_out *o, const struct pmt_import_args *a,
		   uint64_t skipped, uint64_t lost);

#endif
