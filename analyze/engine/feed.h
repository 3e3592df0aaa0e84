/*
 * feed.h - one pass of a merged cursor's events into an engine: what every
 * engine-based report runs (report.c, twolevel/tlrun.c).
 *
 * Events go to the engine in batches (pmt_cursor_next_batch,
 * eng_feed_batch: a call per batch, not two per event) on the calling
 * thread; unless the reader was opened with PMT_OPEN_ONE_THREAD
 * (--one-thread), the cursor's loader thread inflates chunks ahead.
 *
 * A pipeline with decoding and merging on a thread of their own, the
 * events copied to the engine's thread in batches, was measured on a
 * machine with two CPUs: it used twice the CPU time for about the same
 * elapsed time (the copies cross between the CPUs' caches), so it is not
 * used (bench/analyze.md).
 *
 * Ownership: the cursor belongs to the caller.
 */
#ifndef PMT_FEED_H
#define PMT_FEED_H

#include <stdint.h>

#include "analyze/engine/engine.h"

struct eng_pass {
	uint64_t total;                 /* events expected (for progress)      */
	/* called about every million events with the number fed so far (may be NULL) */
	void (*progress)(void *ctx, uint64_t fed, uint64_t total);
	void *ctx;
};

/*
 * Feed cur's events to e until the end, a read error, or the engine's stop
 * time (eng_feed returning 1). Returns 0, or the cursor's negative error
 * when reading stopped on one (every event before it was fed). *fed (may be
 * NULL) gets the number of events fed. Does not call eng_finish.
 */
int eng_pass_run(struct eng *e, pmt_cursor *cur, const struct eng_pass *o, uint64_t *fed);

#endif
