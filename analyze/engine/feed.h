/*
 * feed.h - one pass of a merged cursor's events into an engine (what every
 * engine-based report runs: report.c, twolevel/tlrun.c), on two threads
 * when the machine has two CPUs for it.
 *
 * Reading (inflating the chunks, decoding the records and merging the
 * streams: the cursor) and the engine (state machines and report modules)
 * each cost about half of the time per event. With threads = 2 a reading
 * thread runs the cursor and copies each event, with its string, into
 * batches of a short ring; the calling thread feeds the batches to the
 * engine in order. The reader should then be opened with
 * PMT_OPEN_ONE_THREAD, so that the reading thread inflates the chunks itself
 * and the pass uses two threads, not three (cli.h: pipelined). The engine
 * sees exactly the events, in exactly the order, that a loop over
 * pmt_cursor_next gives, so results do not depend on the thread count.
 * Modules and progress callbacks run on the calling thread only.
 *
 * Ownership: the cursor belongs to the caller; during eng_pass_run it is
 * used by the reading thread only.
 */
#ifndef PMT_FEED_H
#define PMT_FEED_H

#include <stdint.h>

#include "analyze/engine/engine.h"

struct eng_pass {
	int threads;                    /* 2: read on a second thread; else 1 */
	uint64_t total;                 /* events expected (progress; a short
					   trace is read on the calling thread) */
	/* called about every million events with the number fed so far (may be NULL) */
	void (*progress)(void *ctx, uint64_t fed, uint64_t total);
	void *ctx;
};

/* 1 when this process may run on two CPUs (threads = 2 pays off). */
int eng_pass_can_thread(void);

/*
 * Feed cur's events to e until the end, a read error, or the engine's stop
 * time (eng_feed returning 1). Returns 0, or the cursor's negative error
 * when reading stopped on one (every event before it was fed). *fed (may be
 * NULL) gets the number of events fed. Does not call eng_finish.
 */
int eng_pass_run(struct eng *e, pmt_cursor *cur, const struct eng_pass *o, uint64_t *fed);

#endif
