/*
 * migorder.c - migration rows in time order (see migorder.h).
 */
#include "analyze/migorder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int row_less(const struct mig_row *a, const struct mig_row *b)
{
	return a->time_ns < b->time_ns || (a->time_ns == b->time_ns && a->seq < b->seq);
}

static void heap_push(struct mig_order *o, const struct mig_row *r)
{
	size_t i = o->n++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!row_less(r, &o->heap[up]))
			break;
		o->heap[i] = o->heap[up];
		i = up;
	}
	o->heap[i] = *r;
}

static void heap_pop(struct mig_order *o, struct mig_row *out)
{
	*out = o->heap[0];
	struct mig_row last = o->heap[--o->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= o->n)
			break;
		if (c + 1 < o->n && row_less(&o->heap[c + 1], &o->heap[c]))
			c++;
		if (!row_less(&o->heap[c], &last))
			break;
		o->heap[i] = o->heap[c];
		i = c;
	}
	if (o->n)
		o->heap[i] = last;
}

static void emit(struct mig_order *o, struct mig_row *r)
{
	o->fn(o->ctx, r);
	free(r->comm_long);
	r->comm_long = NULL;
}

/*
 * The earliest time a row not yet found can have: a row comes at the event
 * being applied (now), or at an inferred or resynced switch-in on a CPU,
 * which lies at or after that CPU's bound (engine.h). Streams past their
 * last event bring nothing more.
 */
static int64_t horizon(const struct mig_order *o)
{
	int64_t now = eng_now(o->p->e), m = now;
	for (size_t i = 0; i < o->nstreams; i++) {
		const struct eng_cpu *c = o->scpu[i];
		if (c && o->p->info->streams[i].last_ns >= now && c->bound_ns < m)
			m = c->bound_ns;
	}
	return m;
}

/* Print the waiting rows no row still to come can precede (all: every one). */
static void release(struct mig_order *o, int all)
{
	struct mig_row r;
	if (!o->n)
		return;
	int64_t h = all ? INT64_MAX : horizon(o);
	while (o->n && o->heap[0].time_ns <= h) {
		heap_pop(o, &r);
		emit(o, &r);
	}
}

void mig_order_init(struct mig_order *o, const struct rep *p, mig_row_fn fn, void *ctx)
{
	memset(o, 0, sizeof(*o));
	o->p = p;
	o->fn = fn;
	o->ctx = ctx;
	o->nstreams = p->info->nstreams;
	o->scpu = calloc(o->nstreams + 1, sizeof(*o->scpu));
	o->cap = 1024;
	o->heap = malloc(o->cap * sizeof(*o->heap));
	if (!o->scpu || !o->heap) {
		/* no memory to wait: rows go out as found */
		free(o->scpu), free(o->heap);
		o->scpu = NULL, o->heap = NULL;
		o->cap = 0;
		return;
	}
	for (size_t i = 0; i < o->nstreams; i++) {
		const struct pmt_stream_info *st = &p->info->streams[i];
		o->scpu[i] = st->events ? eng_cpu(p->e, st->level, st->cpu) : NULL;
	}
}

void mig_order_fill(const struct mig_order *o, struct mig_row *r, const struct eng_migration *m)
{
	const char *comm = m->ent->comm ? m->ent->comm : "";
	memset(r, 0, sizeof(*r));
	r->time_ns = m->time_ns;
	r->level = rep_level_name(o->p, m->ent->level);
	r->tid = m->ent->tid;
	r->pid = m->ent->pid;
	if (strlen(comm) < sizeof(r->comm))
		memcpy(r->comm, comm, strlen(comm) + 1);
	else if (!(r->comm_long = strdup(comm)))
		snprintf(r->comm, sizeof(r->comm), "%s", comm); /* cut, rather than nothing */
	r->from_cpu = m->from_cpu;
	r->to_cpu = m->to_cpu;
	r->kind = (uint8_t)m->kind;
	r->has_off = m->off_cpu_ns >= 0;
	r->off_cpu_ns = m->off_cpu_ns;
	r->inferred = (m->flags & ENG_F_START_INFERRED) ? 1 : 0;
	r->uncertain = (m->flags & ENG_F_END_UNKNOWN) ? 1 : 0;
	r->pcpu_from = r->pcpu_to = -1;
}

const struct col mig_cols[MIG_NCOLS_COMPOSED] = {
	{ "time_ns", COL_INT, 14, 0 }, { "level", COL_STR, 6, 0 },
	{ "tid", COL_UINT, 8, 0 }, { "pid", COL_UINT, 8, 0 },
	{ "comm", COL_STR, 16, 0 }, { "from_cpu", COL_UINT, 8, 0 },
	{ "to_cpu", COL_UINT, 6, 0 }, { "kind", COL_STR, 10, 0 },
	{ "off_cpu_ns", COL_INT, 12, 0 }, { "inferred", COL_UINT, 8, 0 },
	{ "uncertain", COL_UINT, 9, 0 },
	{ "pcpu_from", COL_INT, 9, 0 }, { "pcpu_to", COL_INT, 7, 0 },
};

int mig_wanted(const struct rep *p, const struct eng_migration *m)
{
	if (!rep_want_time(p, m->time_ns) || !rep_want_entity(p, m->ent))
		return 0;
	return !p->cli.cpus || rep_want_cpu(p, m->ent->level, m->from_cpu) ||
	       rep_want_cpu(p, m->ent->level, m->to_cpu);
}

void mig_row_cells(struct table *t, const struct rep *p, const struct mig_row *r)
{
	table_set_i(t, 0, rep_rel(p, r->time_ns));
	table_set_s(t, 1, r->level);
	table_set_u(t, 2, r->tid);
	table_set_u(t, 3, r->pid);
	table_set_s(t, 4, mig_row_comm(r));
	table_set_u(t, 5, r->from_cpu);
	table_set_u(t, 6, r->to_cpu);
	table_set_s(t, 7, r->kind == ENG_MIG_MIGRATE ? "migrate" : "cpu-change");
	if (r->has_off)
		table_set_i(t, 8, r->off_cpu_ns);
	table_set_u(t, 9, r->inferred);
	table_set_u(t, 10, r->uncertain);
}

const char *mig_row_comm(const struct mig_row *r)
{
	return r->comm_long ? r->comm_long : r->comm;
}

void mig_order_push(struct mig_order *o, struct mig_row *r)
{
	r->seq = o->seq++;
	if (!o->heap) {
		emit(o, r);
		return;
	}
	release(o, 0); /* what waits and is final by now */
	if (o->n == o->cap) {
		struct mig_row *h = o->cap < MIG_ORDER_MAX ? realloc(o->heap, 2 * o->cap * sizeof(*h)) : NULL;
		if (h) {
			o->heap = h;
			o->cap *= 2;
		} else {
			/* full: the earliest goes out now, the order may break */
			struct mig_row first;
			heap_pop(o, &first);
			emit(o, &first);
			o->overflowed = 1;
		}
	}
	heap_push(o, r);
	r->comm_long = NULL; /* the heap owns it now */
}

int mig_order_done(struct mig_order *o)
{
	release(o, 1);
	free(o->heap);
	free(o->scpu);
	o->heap = NULL;
	o->scpu = NULL;
	o->cap = 0;
	return o->overflowed;
}
