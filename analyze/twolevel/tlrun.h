/*
 * tlrun.h - what the two-level commands (vcpus, cosched, stalls, diff) share:
 * running struct tl as a module of the analysis engine over a whole trace,
 * and the notes that say which level a report misses.
 */
#ifndef PMT_TLRUN_H
#define PMT_TLRUN_H

#include "analyze/cli.h"
#include "analyze/engine/engine.h"
#include "analyze/twolevel/tl.h"

/* The engine module that feeds a tl given as ctx (event callback; tl_finish
 * at the end). Static: the engine keeps the pointer. */
const struct eng_module *tl_eng_module(void);

/*
 * Read the whole trace of r through a merged cursor into e (with t registered
 * on it, and whatever other modules the caller added), with progress on a
 * terminal. Returns 0, or <0 after printing "PROG: 'path': reason".
 */
int tl_drive(struct cli *c, const char *path, pmt_reader *r, struct eng *e, struct tl *t);

/* What a two-level report holds while it prints: the open trace, the engine
 * and the two-level state after the whole pass. */
struct tl_session {
	pmt_reader *r;
	struct eng *e;
	struct tl *t;
};

/*
 * Open path, apply --time to o, and run a tl over the whole trace as a module
 * of the engine. A trace without a guest is an error: needs says what the
 * report needs ("co-scheduling needs a guest level or vCPU bindings").
 * Returns 0 with s filled, or -1 after printing one line (s is then
 * released already). tl_session_release frees what s holds.
 */
int tl_session_run(struct cli *c, const char *path, struct tl_opts *o, const char *needs,
		   struct tl_session *s);
void tl_session_release(struct tl_session *s);

/* The accounting window of --time as tl_opts fields. */
void tl_opts_window(const struct cli *c, struct tl_opts *o);

/* Whether guest g is selected by --level (name or id). */
int tl_guest_wanted(const struct cli *c, const struct tl_guest *g);

/* Notes on what a guest lacks (a host-only or guest-only trace). */
void tl_note_levels(struct out *o, const struct tl_guest *g, const char *cmd);

#endif
