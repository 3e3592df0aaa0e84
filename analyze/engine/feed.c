/* feed.c - a pass of a cursor into an engine, reading on a second thread (feed.h). */
#include "analyze/engine/feed.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

/*
 * A batch: events copied out of the cursor, their strings in the batch's
 * arena. An event carries at most one string (PMT_MAX_STRING bytes and a
 * NUL): a batch is closed while its arena still has room for one.
 */
#define FB_EVENTS 2048
#define FB_ARENA (64 * 1024)
#define FB_RING 4
#define PROGRESS_EVERY (1u << 20)

struct fbatch {
	uint32_t n;
	int last;                 /* the reading thread's final batch          */
	int err;                  /* last: the cursor's error (0 at the end)   */
	size_t apos;
	struct pmt_event ev[FB_EVENTS];
	char arena[FB_ARENA];
};

/*
 * The ring: head (published) and tail (taken) are atomics, so a batch
 * changes hands without a lock while both sides keep up. A side that finds
 * nothing to do spins a little (a batch takes tens of microseconds to fill
 * or feed), then sleeps on cv; the other side takes the lock to wake it
 * only when its sleeping flag is set (the flag is set, and the ring checked
 * again, under the lock: no wake-up is lost).
 */
struct ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct fbatch *b;          /* FB_RING batches                          */
	atomic_uint head, tail;    /* head - tail <= FB_RING                   */
	atomic_int stop;           /* the engine stopped early: stop reading   */
	atomic_int sleeping;       /* a side sleeps on cv                      */
	pmt_cursor *cur;
};

/* about 20 microseconds: less than a batch takes, more than a wake-up */
#define SPIN 2000

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Wait until ready(r) holds. */
static void wait_for(struct ring *r, int (*ready)(struct ring *))
{
	for (int i = 0; i < SPIN; i++) {
		if (ready(r))
			return;
		cpu_relax();
	}
	pthread_mutex_lock(&r->mu);
	while (!ready(r)) {
		atomic_store(&r->sleeping, 1);
		if (ready(r))
			break;
		pthread_cond_wait(&r->cv, &r->mu);
	}
	pthread_mutex_unlock(&r->mu);
}

/* After changing head, tail or stop: wake the other side if it sleeps. */
static void wake(struct ring *r)
{
	if (atomic_load(&r->sleeping)) {
		pthread_mutex_lock(&r->mu);
		atomic_store(&r->sleeping, 0);
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
}

static int has_room(struct ring *r)
{
	return atomic_load(&r->stop) || atomic_load(&r->head) - atomic_load(&r->tail) < FB_RING;
}

static int has_batch(struct ring *r)
{
	return atomic_load(&r->head) != atomic_load(&r->tail);
}

/* Copy one string into the batch's arena. */
static void keep_str(struct fbatch *b, struct pmt_str *s)
{
	if (!s->s)
		return;
	char *d = b->arena + b->apos;
	memcpy(d, s->s, s->len);
	d[s->len] = 0;
	b->apos += (size_t)s->len + 1;
	s->s = d;
}

/* Fill b from the cursor; 1 when the cursor ended (b->last, b->err set). */
static int fill(struct fbatch *b, pmt_cursor *cur)
{
	b->n = 0;
	b->apos = 0;
	b->last = 0;
	b->err = 0;
	while (b->n < FB_EVENTS && b->apos <= FB_ARENA - (PMT_MAX_STRING + 1)) {
		int err = 0;
		const struct pmt_event *ev = pmt_cursor_next(cur, &err);
		if (!ev) {
			b->last = 1;
			b->err = err < 0 ? err : 0;
			return 1;
		}
		struct pmt_event *x = &b->ev[b->n++];
		*x = *ev;
		switch (x->type) {
		case PMT_EV_EXEC:
			keep_str(b, &x->u.exec.comm);
			break;
		case PMT_EV_NAME:
			keep_str(b, &x->u.name.comm);
			break;
		case PMT_EV_MARKER:
			keep_str(b, &x->u.marker.text);
			break;
		default:
			break;
		}
	}
	return 0;
}

static void *reader_main(void *arg)
{
	struct ring *r = arg;
	for (;;) {
		wait_for(r, has_room);
		if (atomic_load(&r->stop))
			break;
		/* slot head is the reader's until published */
		unsigned h = atomic_load(&r->head);
		int end = fill(&r->b[h % FB_RING], r->cur);
		atomic_store(&r->head, h + 1);
		wake(r);
		if (end)
			break;
	}
	return NULL;
}

/* Feed a batch; 1 when the engine stopped (past its stop time). */
static int feed(struct eng *e, const struct fbatch *b, uint64_t *n)
{
	for (uint32_t i = 0; i < b->n; i++) {
		if (eng_feed(e, &b->ev[i]))
			return 1;
		(*n)++;
	}
	return 0;
}

static void progress(const struct eng_pass *o, uint64_t before, uint64_t n)
{
	if (o->progress && before / PROGRESS_EVERY != n / PROGRESS_EVERY)
		o->progress(o->ctx, n, o->total);
}

static int run_here(struct eng *e, pmt_cursor *cur, const struct eng_pass *o, uint64_t *fed)
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
	*fed = n;
	return err < 0 ? err : 0;
}

int eng_pass_can_thread(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	return CPU_COUNT(&set) >= 2;
}

int eng_pass_run(struct eng *e, pmt_cursor *cur, const struct eng_pass *o, uint64_t *fed)
{
	uint64_t dummy;
	if (!fed)
		fed = &dummy;
	*fed = 0;
	/* short traces: a thread costs more than it saves */
	if (o->threads < 2 || o->total < 4 * FB_EVENTS)
		return run_here(e, cur, o, fed);
	struct ring r = { .cur = cur };
	atomic_init(&r.head, 0);
	atomic_init(&r.tail, 0);
	atomic_init(&r.stop, 0);
	atomic_init(&r.sleeping, 0);
	r.b = malloc(FB_RING * sizeof(*r.b));
	if (!r.b)
		return run_here(e, cur, o, fed);
	if (pthread_mutex_init(&r.mu, NULL)) {
		free(r.b);
		return run_here(e, cur, o, fed);
	}
	if (pthread_cond_init(&r.cv, NULL)) {
		pthread_mutex_destroy(&r.mu);
		free(r.b);
		return run_here(e, cur, o, fed);
	}
	pthread_t th;
	if (pthread_create(&th, NULL, reader_main, &r)) {
		pthread_cond_destroy(&r.cv);
		pthread_mutex_destroy(&r.mu);
		free(r.b);
		return run_here(e, cur, o, fed);
	}
	uint64_t n = 0;
	int err = 0;
	for (;;) {
		wait_for(&r, has_batch);
		/* slot tail is ours until taken */
		unsigned t = atomic_load(&r.tail);
		const struct fbatch *b = &r.b[t % FB_RING];
		uint64_t before = n;
		int stopped = feed(e, b, &n);
		progress(o, before, n);
		int last = b->last;
		if (last && !stopped)
			err = b->err;
		if (stopped)
			atomic_store(&r.stop, 1);
		atomic_store(&r.tail, t + 1);
		wake(&r);
		if (last || stopped)
			break;
	}
	pthread_join(th, NULL);
	pthread_cond_destroy(&r.cv);
	pthread_mutex_destroy(&r.mu);
	free(r.b);
	*fed = n;
	return err;
}
