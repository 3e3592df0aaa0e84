/* feed.c - one pass of a merged cursor into an engine (feed.h). */
#include "analyze/engine/feed.h"

#define BATCH 256                   /* events per pmt_cursor_next_batch call */
#define PROGRESS_EVERY (1u << 20)

static void progress(const struct eng_pass *o, uint64_t before, uint64_t n)
{
	if (o->progress && before / PROGRESS_EVERY != n / PROGRESS_EVERY)
		o->progress(o->ctx, n, o->total);
}

int eng_pass_run(struct eng *e, pmt_cursor *cur, const struct eng_pass *o, uint64_t *fed)
{
	const struct pmt_event *evs[BATCH];
	uint64_t n = 0;
	int err = 0;
	for (;;) {
		err = 0;
		size_t k = pmt_cursor_next_batch(cur, evs, BATCH, &err);
		if (!k)
			break;
		size_t a = eng_feed_batch(e, evs, k);
		uint64_t before = n;
		n += a;
		if (a < k) {
			err = 0; /* past the stop time */
			break;
		}
		progress(o, before, n);
	}
	if (fed)
		*fed = n;
	return err < 0 ? err : 0;
}

