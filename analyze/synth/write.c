/*
 * write.c - turn a parsed scenario into events and write them with libpmt.
 *
 * Per (level, CPU): a switch at 0 establishes what runs there (idle: 0 -> 0),
 * each run makes a switch-in at its start (unless it follows another run
 * without a gap) and a switch-out at its end (none when it ends at the span);
 * wakeups, migrations and markers are placed before switches of the same
 * instant; a 'lost' statement drops that stream's events in [FROM, TO) and
 * puts one lost record at FROM with span TO - FROM. A marker "synth-end" at
 * the span on the first stream makes the trace end there.
 */
#include "analyze/synth/synth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct gev {
	int64_t t;
	int order;              /* at one instant: lost, others, switches, end   */
	size_t seq;             /* script order                                   */
	int dropped;
	struct pmt_event ev;    /* level and cpu are the scenario's ids here      */
};

struct gen {
	struct gev *v;
	size_t n, cap;
};

static struct gev *push(struct gen *g, int64_t t, int order, int level, uint32_t cpu, int type)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 256;
		void *n = realloc(g->v, cap * sizeof(*g->v));
		if (!n)
			return NULL;
		g->v = n;
		g->cap = cap;
	}
	struct gev *e = &g->v[g->n];
	memset(e, 0, sizeof(*e));
	e->t = t;
	e->order = order;
	e->seq = g->n++;
	e->ev.level = (uint16_t)level;
	e->ev.cpu = cpu;
	e->ev.type = (uint16_t)type;
	return e;
}

static int cmp_gev(const void *a, const void *b)
{
	const struct gev *x = a, *y = b;
	if (x->ev.level != y->ev.level)
		return x->ev.level < y->ev.level ? -1 : 1;
	if (x->ev.cpu != y->ev.cpu)
		return x->ev.cpu < y->ev.cpu ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_run(const void *a, const void *b)
{
	const struct synth_item *x = *(const struct synth_item *const *)a;
	const struct synth_item *y = *(const struct synth_item *const *)b;
	return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

/* Switches of one stream from its runs. */
static int gen_runs(const struct scen *s, struct gen *g, int level, uint32_t cpu,
		    char *msg, size_t msglen)
{
	const struct synth_item **r = NULL;
	size_t nr = 0;
	for (size_t i = 0; i < s->nitems; i++)
		if (s->items[i].kind == SY_RUN && s->items[i].level == level &&
		    s->items[i].cpu == cpu)
			nr++;
	if (nr && !(r = malloc(nr * sizeof(*r)))) {
		snprintf(msg, msglen, "out of memory");
		return PMT_ENOMEM;
	}
	nr = 0;
	for (size_t i = 0; i < s->nitems; i++)
		if (s->items[i].kind == SY_RUN && s->items[i].level == level &&
		    s->items[i].cpu == cpu)
			r[nr++] = &s->items[i];
	if (nr)
		qsort(r, nr, sizeof(*r), cmp_run);
	struct gev *e;
	int rc = 0;
	for (size_t i = 1; i < nr; i++)
		if (r[i]->t0 < r[i - 1]->t1) {
			snprintf(msg, msglen, "line %d: run overlaps the run of line %d on %s cpu %u",
				 r[i]->line, r[i - 1]->line, s->levels[level].name, cpu);
			rc = PMT_EINVAL;
			goto out;
		}
	/* what runs at 0 */
	if (!(e = push(g, 0, 2, level, cpu, PMT_EV_SWITCH)))
		goto oom;
	e->ev.u.sw.prev_tid = PMT_TID_IDLE;
	e->ev.u.sw.prev_state = PMT_STATE_RUNNABLE;
	e->ev.u.sw.next_tid = nr && r[0]->t0 == 0 ? r[0]->tid : PMT_TID_IDLE;
	for (size_t i = 0; i < nr; i++) {
		int follows = i > 0 && r[i - 1]->t1 == r[i]->t0;
		if (r[i]->t0 > 0 && !follows) {
			if (!(e = push(g, r[i]->t0, 2, level, cpu, PMT_EV_SWITCH)))
				goto oom;
			e->ev.u.sw.prev_tid = PMT_TID_IDLE;
			e->ev.u.sw.prev_state = PMT_STATE_RUNNABLE;
			e->ev.u.sw.next_tid = r[i]->tid;
		}
		if (r[i]->t1 >= s->span)
			continue;
		if (!(e = push(g, r[i]->t1, 2, level, cpu, PMT_EV_SWITCH)))
			goto oom;
		e->ev.u.sw.prev_tid = r[i]->tid;
		e->ev.u.sw.prev_state = r[i]->state;
		e->ev.u.sw.next_tid = i + 1 < nr && r[i + 1]->t0 == r[i]->t1 ? r[i + 1]->tid
									: PMT_TID_IDLE;
	}
	goto out;
oom:
	snprintf(msg, msglen, "out of memory");
	rc = PMT_ENOMEM;
out:
	free(r);
	return rc;
}

/* CPU where tid runs at t on level (a run [t0, t1] holding t), or -1. */
static int64_t running_cpu(const struct scen *s, int level, uint32_t tid, int64_t t)
{
	for (size_t i = 0; i < s->nitems; i++) {
		const struct synth_item *it = &s->items[i];
		if (it->kind == SY_RUN && it->level == level && it->tid == tid &&
		    it->t0 <= t && t <= it->t1)
			return it->cpu;
	}
	return -1;
}

static int gen_items(const struct scen *s, struct gen *g, const int *emit)
{
	struct gev *e;
	for (size_t i = 0; i < s->nitems; i++) {
		const struct synth_item *it = &s->items[i];
		if (!emit[it->level])
			continue;
		switch (it->kind) {
		case SY_WAKE: {
			int64_t c = it->waker ? running_cpu(s, it->level, it->waker, it->t0) : -1;
			if (!(e = push(g, it->t0, 1, it->level, c >= 0 ? (uint32_t)c : it->cpu,
				       PMT_EV_WAKEUP)))
				return -1;
			e->ev.u.wakeup.tid = it->tid;
			e->ev.u.wakeup.target_cpu = it->cpu;
			e->ev.u.wakeup.waker_tid = it->waker;
			break;
		}
		case SY_MIGRATE:
			if (!(e = push(g, it->t0, 1, it->level, it->cpu, PMT_EV_MIGRATE)))
				return -1;
			e->ev.u.migrate.tid = it->tid;
			e->ev.u.migrate.from_cpu = it->from;
			e->ev.u.migrate.to_cpu = it->to;
			break;
		case SY_MARKER:
			if (!(e = push(g, it->t0, 1, it->level, it->cpu, PMT_EV_MARKER)))
				return -1;
			e->ev.u.marker.text.s = it->text;
			e->ev.u.marker.text.len = (uint32_t)strlen(it->text);
			break;
		case SY_LOST:
			if (!(e = push(g, it->t0, 0, it->level, it->cpu, PMT_EV_LOST)))
				return -1;
			e->ev.u.lost.count = it->count;
			e->ev.u.lost.span = (uint64_t)(it->t1 - it->t0);
			break;
		}
	}
	return 0;
}

/* Drop what each lost statement covers; count what was dropped. */
static void apply_losses(const struct scen *s, struct gen *g)
{
	for (size_t i = 0; i < g->n; i++) {
		struct gev *l = &g->v[i];
		if (l->ev.type != PMT_EV_LOST || l->dropped)
			continue;
		int64_t end = l->t + (int64_t)l->ev.u.lost.span;
		uint64_t n = 0;
		for (size_t j = 0; j < g->n; j++) {
			struct gev *x = &g->v[j];
			if (x->ev.type == PMT_EV_LOST || x->dropped || x->ev.level != l->ev.level ||
			    x->ev.cpu != l->ev.cpu || x->t < l->t || x->t >= end)
				continue;
			x->dropped = 1;
			n++;
		}
		if (!l->ev.u.lost.count)
			l->ev.u.lost.count = n ? n : 1;
	}
	(void)s;
}

static struct pmt_clock clock_of(const struct synth_level *l)
{
	struct pmt_clock c;
	memset(&c, 0, sizeof(c));
	c.name = l->kind == PMT_LEVEL_HOST ? "synth" : "synth-guest";
	c.freq_hz = 1000000000u;
	c.raw_base = (uint64_t)l->offset_ns;
	c.ref_base_ns = 0;
	c.mult_num = 1;
	c.mult_den = 1;
	c.flags = l->kind == PMT_LEVEL_HOST ? 0 : PMT_CLOCK_OFFSET;
	return c;
}

int synth_write(const struct scen *s, const char *path, unsigned flags, char *msg,
		size_t msglen)
{
	int emit[SYNTH_MAX_LEVELS], newid[SYNTH_MAX_LEVELS], described[SYNTH_MAX_LEVELS];
	int rc = 0, nd = 0;
	struct gen g = { 0 };
	pmt_writer *w = NULL;

	for (int i = 0; i < s->nlevels; i++) {
		const struct synth_level *l = &s->levels[i];
		int guest = l->kind == PMT_LEVEL_GUEST;
		described[i] = (flags & SYNTH_GUEST_ONLY) ? guest : 1;
		emit[i] = described[i] && !l->hidden && !(guest && (flags & SYNTH_HOST_ONLY));
		newid[i] = described[i] ? nd++ : -1;
		if (l->offset_ns < 0) {
			snprintf(msg, msglen, "guest '%s': the clock offset must not be negative", l->name);
			return PMT_EINVAL;
		}
	}
	if (!nd) {
		snprintf(msg, msglen, "no level left to write (no guest in the scenario)");
		return PMT_EINVAL;
	}
	if ((flags & SYNTH_GUEST_ONLY) && nd > 1) {
		snprintf(msg, msglen, "--guest-only: the scenario has %d guests; an in-guest recording "
			 "holds one", nd);
		return PMT_EINVAL;
	}
	for (int i = 0; i < s->nlevels; i++)
		for (uint32_t c = 0; emit[i] && c < s->levels[i].ncpus; c++)
			if ((rc = gen_runs(s, &g, i, c, msg, msglen)) < 0)
				goto out;
	if (gen_items(s, &g, emit) < 0) {
		rc = PMT_ENOMEM;
		snprintf(msg, msglen, "out of memory");
		goto out;
	}
	for (int i = 0; i < s->nlevels; i++)
		if (emit[i]) {
			struct gev *e = push(&g, s->span, 3, i, 0, PMT_EV_MARKER);
			if (!e) {
				rc = PMT_ENOMEM;
				snprintf(msg, msglen, "out of memory");
				goto out;
			}
			e->ev.u.marker.text.s = "synth-end";
			e->ev.u.marker.text.len = 9;
			break;
		}
	if (g.n)
		qsort(g.v, g.n, sizeof(*g.v), cmp_gev);
	apply_losses(s, &g);

	w = pmt_writer_open(path, NULL, &rc);
	if (!w) {
		/* errno says why open() failed; PMT_EIO alone does not */
		snprintf(msg, msglen, "%s", rc == PMT_EIO && errno ? strerror(errno) : pmt_strerror(rc));
		goto out;
	}
#define TRY(x)                                                                 \
	do {                                                                   \
		if ((rc = (x)) < 0) {                                          \
			snprintf(msg, msglen, "%s", pmt_strerror(rc));         \
			goto out;                                              \
		}                                                              \
	} while (0)
	TRY(pmt_writer_set_meta(w, "recorder", "pmt-synth"));
	for (int i = 0; i < s->nlevels; i++) {
		if (!described[i])
			continue;
		const struct synth_level *l = &s->levels[i];
		struct pmt_clock c = clock_of(l);
		int cid;
		if (flags & SYNTH_GUEST_ONLY) {
			/* The guest's own clock, as its recorder sees it: raw
			 * ticks are its ns (offset included), nothing to map. */
			c.raw_base = 0;
			c.flags = 0;
		}
		TRY(cid = pmt_writer_add_clock(w, &c));
		struct pmt_level lv;
		memset(&lv, 0, sizeof(lv));
		lv.kind = (uint16_t)l->kind;
		lv.clock = (uint16_t)cid;
		lv.name = l->name;
		lv.ncpus = l->ncpus;
		lv.guest_id = l->guest_id;
		if (flags & SYNTH_GUEST_ONLY) {
			/* What pmt-record writes inside a guest: the machine it
			 * runs on is its one host-kind level (pmt-merge wants it). */
			lv.kind = PMT_LEVEL_HOST;
			lv.name = "host";
			lv.guest_id = -1;
		}
		TRY(pmt_writer_add_level(w, &lv));
	}
	if (!(flags & SYNTH_GUEST_ONLY))
		for (int i = 1; i < s->nlevels; i++)
			for (uint32_t c = 0; s->levels[i].threads && c < s->levels[i].ncpus; c++) {
				struct pmt_binding b = { (uint16_t)newid[i], (uint16_t)newid[0], c,
							 s->levels[i].threads[c] };
				TRY(pmt_writer_add_binding(w, &b));
			}
	for (size_t i = 0; i < s->ntasks; i++) {
		const struct synth_task *t = &s->tasks[i];
		if (!described[t->level])
			continue;
		struct pmt_task pt = { (uint16_t)newid[t->level], t->tid, t->pid, t->flags, t->comm };
		TRY(pmt_writer_add_task(w, &pt));
	}
	TRY(pmt_writer_begin(w));
	for (size_t i = 0; i < g.n; i++) {
		struct gev *e = &g.v[i];
		if (e->dropped)
			continue;
		const struct synth_level *l = &s->levels[e->ev.level];
		e->ev.ts = (uint64_t)(e->t + l->offset_ns);
		e->ev.level = (uint16_t)newid[e->ev.level];
		TRY(pmt_writer_append(w, &e->ev));
	}
	rc = pmt_writer_close(w);
	w = NULL;
	if (rc < 0)
		snprintf(msg, msglen, "%s", pmt_strerror(rc));
out:
	if (w)
		pmt_writer_abort(w);
	free(g.v);
	return rc < 0 ? rc : 0;
}
