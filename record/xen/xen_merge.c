/*
 * xen_merge.c - k-way merge of per-pCPU Xen record streams (xen_merge.h).
 * One cursor per pCPU, as xenalyze keeps, and a binary heap of the cursors
 * that hold a record; a file import borrows the mapped windows, a live
 * source hands over copies that are freed once read.
 */
#include "record/xen/xen_merge.h"

#include <stdlib.h>
#include <string.h>

int xen_merge_init(struct xen_merge *m, uint32_t ncpus)
{
	memset(m, 0, sizeof(*m));
	if (ncpus == 0 || ncpus > XEN_MAX_PCPUS)
		return -1;
	m->s = calloc(ncpus, sizeof(*m->s));
	m->heap = calloc(ncpus, sizeof(*m->heap));
	if (!m->s || !m->heap) {
		xen_merge_release(m);
		return -1;
	}
	m->ncpus = ncpus;
	return 0;
}

void xen_merge_release(struct xen_merge *m)
{
	if (m->s) {
		for (uint32_t c = 0; c < m->ncpus; c++) {
			struct xen_pstream *s = &m->s[c];
			for (size_t i = 0; i < s->nseg; i++)
				free(s->seg[i].owned);
			free(s->seg);
		}
	}
	free(m->s);
	free(m->heap);
	memset(m, 0, sizeof(*m));
}

static int before(const struct xen_merge *m, uint32_t a, uint32_t b)
{
	uint64_t ta = m->s[a].head.tsc, tb = m->s[b].head.tsc;
	return ta < tb || (ta == tb && a < b);
}

static void heap_up(struct xen_merge *m, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(m, m->heap[i], m->heap[p]))
			break;
		uint32_t t = m->heap[i];
		m->heap[i] = m->heap[p];
		m->heap[p] = t;
		i = p;
	}
}

static void heap_down(struct xen_merge *m, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, best = i;
		if (l < m->nheap && before(m, m->heap[l], m->heap[best]))
			best = l;
		if (r < m->nheap && before(m, m->heap[r], m->heap[best]))
			best = r;
		if (best == i)
			return;
		uint32_t t = m->heap[i];
		m->heap[i] = m->heap[best];
		m->heap[best] = t;
		i = best;
	}
}

/* First TSC at or after the current position of s, without consuming. */
static int look_ahead_tsc(const struct xen_pstream *s, uint64_t *tsc)
{
	size_t pos = s->pos;
	for (size_t i = s->cur; i < s->nseg; i++, pos = 0) {
		const struct xen_seg *g = &s->seg[i];
		struct xen_rec r;
		size_t n;
		while ((n = xen_rec_parse(g->p + pos, g->len - pos, &r)) > 0) {
			if (r.has_tsc) {
				*tsc = r.tsc;
				return 1;
			}
			pos += n;
		}
	}
	return 0;
}

/* Free the segments read so far (owned copies) and compact the list. */
static void drop_read_segments(struct xen_pstream *s)
{
	if (s->cur == 0)
		return;
	for (size_t i = 0; i < s->cur; i++)
		free(s->seg[i].owned);
	memmove(s->seg, s->seg + s->cur, (s->nseg - s->cur) * sizeof(*s->seg));
	s->nseg -= s->cur;
	s->cur = 0;
}

/* Load the stream's next record into head; 1 when it has one. */
static int advance(struct xen_merge *m, uint32_t cpu, int final)
{
	struct xen_pstream *s = &m->s[cpu];
	s->has_head = 0;
	while (s->cur < s->nseg) {
		struct xen_seg *g = &s->seg[s->cur];
		struct xen_rec *r = &s->head;
		size_t n = xen_rec_parse(g->p + s->pos, g->len - s->pos, r);
		if (n == 0) {
			m->partial += g->len - s->pos;
			s->cur++;
			s->pos = 0;
			if (s->cur > 64)
				drop_read_segments(s);
			continue;
		}
		if (!r->has_tsc && !s->have_tsc) {
			uint64_t t;
			if (look_ahead_tsc(s, &t)) {
				s->last_tsc = t;
				s->have_tsc = 1;
			} else if (!final) {
				return 0;       /* wait for a TSC to arrive */
			} else {
				m->no_tsc_dropped++;
				s->pos += n;
				continue;
			}
		}
		r->cpu = cpu;
		r->offset = g->off + s->pos;
		s->pos += n;
		if (r->has_tsc) {
			if (s->have_tsc && r->tsc < s->last_tsc) {
				m->backwards++;
				r->tsc = s->last_tsc;
			}
			s->last_tsc = r->tsc;
			s->have_tsc = 1;
		} else {
			r->tsc = s->last_tsc;
		}
		if (s->pos >= g->len) {
			s->cur++;
			s->pos = 0;
		}
		s->has_head = 1;
		return 1;
	}
	drop_read_segments(s);
	return 0;
}

int xen_merge_add(struct xen_merge *m, uint32_t cpu, const uint8_t *p, size_t len,
		  uint64_t off, int copy)
{
	if (cpu >= m->ncpus || len > UINT32_MAX || len == 0) {
		if (copy == 2)
			free((void *)p);
		return len == 0 && cpu < m->ncpus ? 0 : -1;
	}
	struct xen_pstream *s = &m->s[cpu];
	if (s->nseg == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct xen_seg *g = realloc(s->seg, cap * sizeof(*g));
		if (!g) {
			if (copy == 2)
				free((void *)p);
			return -1;
		}
		s->seg = g;
		s->cap = cap;
	}
	struct xen_seg g = { p, (uint32_t)len, off, NULL };
	if (copy == 2) {
		g.owned = (uint8_t *)p;
	} else if (copy) {
		g.owned = malloc(len);
		if (!g.owned)
			return -1;
		memcpy(g.owned, p, len);
		g.p = g.owned;
	}
	s->seg[s->nseg++] = g;
	/* The newest TSC in these bytes, for a live source's watermark (a
	 * file import borrows its windows and needs none). */
	size_t pos = 0, n;
	struct xen_rec r;
	while (copy && (n = xen_rec_parse(g.p + pos, len - pos, &r)) > 0) {
		if (r.has_tsc && r.tsc > s->tail_tsc)
			s->tail_tsc = r.tsc;
		pos += n;
	}
	if (!s->has_head && advance(m, cpu, 0)) {
		m->heap[m->nheap++] = cpu;
		heap_up(m, m->nheap - 1);
	}
	return 0;
}

uint64_t xen_merge_tail(const struct xen_merge *m)
{
	uint64_t t = 0;
	for (uint32_t c = 0; c < m->ncpus; c++)
		if (m->s[c].tail_tsc > t)
			t = m->s[c].tail_tsc;
	return t;
}

uint64_t xen_merge_peek(const struct xen_merge *m)
{
	return m->nheap ? m->s[m->heap[0]].head.tsc : UINT64_MAX;
}

int xen_merge_next(struct xen_merge *m, uint64_t limit, int final, struct xen_rec *out)
{
	if (final && !m->finalized) {
		m->finalized = 1;
		/* Streams waiting for a TSC that will never come. */
		for (uint32_t c = 0; c < m->ncpus; c++) {
			struct xen_pstream *s = &m->s[c];
			if (!s->has_head && s->cur < s->nseg && advance(m, c, 1)) {
				m->heap[m->nheap++] = c;
				heap_up(m, m->nheap - 1);
			}
		}
	}
	if (m->nheap == 0)
		return 0;
	uint32_t c = m->heap[0];
	if (m->s[c].head.tsc > limit)
		return 0;
	*out = m->s[c].head;
	if (advance(m, c, final)) {
		heap_down(m, 0);
	} else {
		m->heap[0] = m->heap[--m->nheap];
		if (m->nheap)
			heap_down(m, 0);
	}
	return 1;
}
