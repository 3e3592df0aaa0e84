/*
 * report.h - what the engine-based reports of pmt-analyze share: parsing and
 * opening (cli.h), one engine over the file, the pass with progress, the notes
 * every report carries, and the filters applied to engine objects.
 *
 * Usage in a subcommand:
 *   struct rep p;
 *   int rc = rep_open(&p, "summary", USAGE, argc, argv, opts, fn, ctx);
 *   if (rc >= 0) return rc;            // --help, usage error, unreadable file
 *   ... eng_add_module(p.e, ...); open tables on p.o ...
 *   rep_run(&p);                       // the one pass (eng_finish included)
 *   ... print tables ...
 *   return rep_close(&p);              // notes, output closed, exit status
 * rep_* print their own error lines.
 */
#ifndef PMT_REPORT_H
#define PMT_REPORT_H

#include "analyze/cli.h"
#include "analyze/engine/engine.h"

struct rep {
	struct cli cli;
	pmt_reader *r;
	const struct pmt_info *info;
	struct eng *e;
	struct out *o;
	FILE *fp;
	int read_err;          /* <0: reading stopped on this error            */
	int64_t lo, hi;        /* --time as absolute reference ns               */
};

/*
 * Parse, open the trace and the output, create the engine (stop time from
 * --time). Returns -1 when the caller goes on, or an exit status when it
 * must return now (0 after --help, 2 usage, 1 error).
 */
int rep_open(struct rep *p, const char *name, const char *usage, int argc, char **argv,
	     const struct cli_opt *opts, cli_opt_fn fn, void *ctx);
/* Same without an output document (export writes files itself), and a
 * second positional argument allowed (args[1], the destination). */
int rep_open_noout(struct rep *p, const char *name, const char *usage, int argc,
		   char **argv, const struct cli_opt *opts, cli_opt_fn fn, void *ctx);
/* The pass: every event into the engine, then eng_finish. 0, or <0 when
 * reading stopped on damage or an I/O error (the report still covers what
 * was read; rep_close notes it and exits 1). */
int rep_run(struct rep *p);
/* Notes (file, losses, inferences, unknown time), close output, free
 * everything; returns the exit status. */
int rep_close(struct rep *p);
void rep_notes(struct rep *p, struct out *o);

/* Filters. */
int rep_want_entity(const struct rep *p, const struct eng_entity *en);
int rep_want_cpu(const struct rep *p, uint16_t level, uint32_t cpu);
static inline int rep_want_time(const struct rep *p, int64_t t)
{
	return t >= p->lo && t <= p->hi;
}
/* Length of [s, e] inside the --time window (0 when outside). */
static inline int64_t rep_clip(const struct rep *p, int64_t s, int64_t e)
{
	if (s < p->lo)
		s = p->lo;
	if (e > p->hi)
		e = p->hi;
	return e > s ? e - s : 0;
}
/* Report time: ns relative to the trace start. */
static inline int64_t rep_rel(const struct rep *p, int64_t t)
{
	return t - eng_trace_start(p->e);
}
const char *rep_level_name(const struct rep *p, uint16_t level);
/* Comma-joined names of ENG_F_* flags ("" when none). */
const char *rep_flags(unsigned flags, char *buf, size_t len);

#endif
