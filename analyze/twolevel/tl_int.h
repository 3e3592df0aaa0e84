/*
 * tl_int.h - what the files of the two-level module share (tl.c, tl_skew.c,
 * tl_stall.c); not for commands, which use tl.h.
 */
#ifndef PMT_TL_INT_H
#define PMT_TL_INT_H

#include "analyze/twolevel/tl.h"

/* Task tid of guest g, created when missing; NULL (and t->oom) on failure. */
struct tl_task *tl_task_get(struct tl *t, struct tl_guest *g, uint32_t tid);
/* Whether a loss may hide something of guest g in [t0, now]. */
int tl_lossy_since(const struct tl *t, const struct tl_guest *g, int64_t t0);
/* Skew over dt with constant rates (tl_skew.c). */
void tl_skew_advance(struct tl_guest *g, const uint8_t *rate, int64_t dt, int64_t thr);
/* Keep an ended stolen episode in task k's ring (tl_stall.c). */
void tl_ring_push(struct tl_task *k, const struct tl_episode *ep);
/* p's blocked interval [p->since, now] ends with a wakeup by waker. */
void tl_blocked_end(struct tl *t, struct tl_guest *g, struct tl_task *p, uint32_t waker);

#endif
