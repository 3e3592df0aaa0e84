/*
 * synth.h - pmt-synth: scripted two-level scenarios with exact, known answers.
 *
 * A script (docs/SYNTH.md) describes levels, tasks and what runs where and
 * when; synth_parse() turns it into a struct scen, synth_write() turns that
 * into a .pmt file through the libpmt writer. Everything here is owned by the
 * struct scen and freed by synth_free().
 */
#ifndef PMT_SYNTH_H
#define PMT_SYNTH_H

#include <stdint.h>
#include <stdio.h>

#include "pmt.h"

#define SYNTH_MAX_LEVELS 16

struct synth_level {
	char name[64];
	int kind;               /* enum pmt_level_kind                          */
	uint32_t ncpus;
	int64_t offset_ns;      /* guest clock: raw = ns + offset_ns             */
	int32_t guest_id;       /* -1 for the host                               */
	uint32_t *threads;      /* guest: host tid of vCPU n (ncpus), or NULL     */
	int hidden;             /* described (level, bindings) but no events      */
};

enum synth_kind { SY_RUN = 1, SY_WAKE, SY_LOST, SY_MARKER, SY_MIGRATE, SY_EXIT };

/* One script line that makes events. Times are reference ns. */
struct synth_item {
	int kind;               /* enum synth_kind                               */
	int level;
	uint32_t cpu;
	int64_t t0, t1;         /* run: [t0, t1); lost: [t0, t1); others: t0     */
	uint32_t tid;
	uint32_t state;         /* run: prev_state at its end                    */
	uint32_t waker;         /* wake: waker tid (0: none)                     */
	uint32_t from, to;      /* migrate                                       */
	uint64_t count;         /* lost: events said lost (0: those dropped)     */
	char *text;             /* marker                                        */
	int line;
};

struct synth_task {
	int level;
	uint32_t tid, pid, flags;
	char comm[64];
};

struct scen {
	int64_t span;           /* the trace covers [0, span]                    */
	int nlevels;
	struct synth_level levels[SYNTH_MAX_LEVELS];
	struct synth_item *items;
	size_t nitems, capitems;
	struct synth_task *tasks;
	size_t ntasks, captasks;
};

/* Parse a script; on error prints "NAME:LINE: what" to err and returns -1. */
int synth_parse(struct scen *s, FILE *in, const char *name, FILE *err);

#define SYNTH_HOST_ONLY 0x1u  /* guests keep levels and bindings, lose events */
#define SYNTH_GUEST_ONLY 0x2u /* the one guest as an in-guest recording: one
				  * host-kind level "host" on the guest's own
				  * clock, no bindings                          */

/* Write the scenario to path; returns 0 or a negative PMT_E* code (message in
 * msg). */
int synth_write(const struct scen *s, const char *path, unsigned flags,
		char *msg, size_t msglen);

void synth_free(struct scen *s);

#endif
