/*
 * ivl.h - intervals of entities on CPUs, read from `pmt-analyze export --to
 * csv DIR` (which entity ran, or waited, on which CPU when), for the lane
 * figures (timeline, vcpus). Times are relative to the trace start.
 *
 * Ownership: struct ivls owns its arrays; ivl_free() releases them.
 */
#ifndef PMT_PLOT_IVL_H
#define PMT_PLOT_IVL_H

#include <stdint.h>

#include "plot/plot.h"

enum { IVL_RUN = 0, IVL_RUNNABLE = 1, IVL_OTHER = 2 };

struct ivl {
	int64_t a, b;     /* [a, b) in ns from the trace start                  */
	uint32_t tid;
	int32_t cpu;      /* CPU of its level (-1: none, e.g. blocked)          */
	uint16_t level;
	uint8_t state;    /* IVL_*                                              */
};

struct ent {
	uint16_t level;
	uint32_t tid, pid;
	char comm[40];
	int64_t run_ns;   /* running time inside the window                      */
	int64_t wait_ns;  /* runnable time inside the window                     */
	int lane;         /* lane index, -1 when not drawn                       */
};

struct ivls {
	struct ivl *v;
	size_t n, cap;
	struct ent *e;
	size_t ne, ecap;
	int32_t *hash;    /* open addressing into e[]                            */
	size_t hcap;
	int any_state;    /* the export had a state column                       */
};

/* Run the export (only the tasks of tids, a comma-separated list, unless
 * NULL or "") into "<stem>-export/" of the work directory; dir gets its
 * path. 0 or -1 after a message. */
int ivl_export(struct plot *p, int ti, const char *tids, char *dir, size_t dirlen);

/* Load the intervals of the export in dir for which want() says yes
 * (want NULL: all), clipped to the window. 0 or -1 after a message. */
int ivl_load(struct plot *p, int ti, const char *dir,
	     int (*want)(void *ctx, int level, uint32_t tid), void *ctx, struct ivls *s);

/* Entity (level, tid), or NULL. */
struct ent *ivl_ent(struct ivls *s, int level, uint32_t tid);
void ivl_free(struct ivls *s);

#endif
