/* feed.c - one pass of a merged cursor into an engine (feed.h). */
#include "analyze/engine/feed.h"

#define PROGRESS_EVERY (1u << 20)

int eng_pass_run(struct eng *e, pmt_cursor *cur, const struct eng_pass *o, uint64_t *fed)
{
	const struct pmt_event *ev;
	uint64_t n = 0;
	int err = 0;
	for (;;) {
		err = 0;
		if (!(ev = pmt_cursor_next(cur, &err)))
			break;
		if (eng_feed(e, ev)) {
			err = 0;
			break;
		}
		if ((++n & (PROGRESS_EVERY - 1)) == 0 && o->progress)
			o->progress(o->ctx, n, o->total);
	}
	if (fed)
		*fed = n;
	return err < 0 ? err : 0;
}
