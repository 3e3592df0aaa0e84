/*
 * xen_producer.h - the writer side of a Xen trace buffer, for the tests: it
 * follows Xen 4.17's rules for writing a record (free space from cons/prod
 * modulo 2 * data_size, a TRC_TRACE_WRAP_BUFFER pad instead of splitting a
 * record at the end, a TRC_LOST_RECORDS record before the next record after
 * drops), with the barriers Xen uses (record, then prod), so a consumer can
 * run in another thread.
 */
#ifndef PMT_TESTS_XEN_PRODUCER_H
#define PMT_TESTS_XEN_PRODUCER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/xen/xen_tbuf.h"


struct prod {
	uint8_t *tb;            /* t_buf header + data                         */
	uint32_t ds;            /* data_size                                   */
	uint32_t lost;          /* records dropped since the last LOST record  */
	uint64_t lost_first;
	uint64_t tsc;
	uint64_t dropped_total;
};

static inline uint32_t *cons_of(struct prod *p) { return (uint32_t *)p->tb; }
static inline uint32_t *prod_of(struct prod *p) { return (uint32_t *)p->tb + 1; }

static inline uint32_t used(struct prod *p)
{
	uint32_t c = __atomic_load_n(cons_of(p), __ATOMIC_ACQUIRE), q = *prod_of(p);
	return q >= c ? q - c : q + 2 * p->ds - c;
}

static inline uint32_t to_wrap(struct prod *p) { return p->ds - *prod_of(p) % p->ds; }

static inline void put(struct prod *p, uint32_t event, int cycles, uint32_t n, const uint32_t *w,
		uint32_t size)
{
	uint8_t *d = p->tb + XEN_TBUF_HDR + *prod_of(p) % p->ds;
	uint32_t hdr = event | n << 28 | (cycles ? 0x80000000u : 0);
	memcpy(d, &hdr, 4);
	uint32_t off = 4;
	if (cycles) {
		uint64_t t = p->tsc;
		memcpy(d + 4, &t, 8);
		off += 8;
	}
	if (w)
		memcpy(d + off, w, 4 * n);
	else
		memset(d + off, 0xa5, 4 * n);     /* wrap padding: garbage */
	uint32_t np = *prod_of(p) + size;
	/* The record, then prod (Xen's wmb). */
	__atomic_store_n(prod_of(p), np >= 2 * p->ds ? np - 2 * p->ds : np, __ATOMIC_RELEASE);
}

static inline void pad(struct prod *p)
{
	uint32_t space = to_wrap(p), extra = space - 4;
	int cycles = 0;
	if (extra / 4 > 7) {
		cycles = 1;
		extra -= 8;
	}
	put(p, 0x0001f002u, cycles, extra / 4, NULL, space);
}

/* Write one record of n words, with the TSC p->tsc when cycles, as Xen's
 * __trace_var does. */
static inline void produce_rec(struct prod *p, uint32_t event, int cycles, uint32_t n,
			const uint32_t *w)
{
	uint32_t rec = 4 + (cycles ? 8 : 0) + 4 * n, lost = 28, total = 0, wrap = to_wrap(p);
	if (p->lost) {
		if (lost > wrap) {
			total += wrap;
			wrap = p->ds;
		}
		total += lost;
		wrap -= lost;
		if (wrap == 0)
			wrap = p->ds;
	}
	if (rec > wrap)
		total += wrap;
	total += rec;
	if (total > p->ds - used(p)) {
		if (p->lost++ == 0)
			p->lost_first = p->tsc;
		p->dropped_total++;
		return;
	}
	if (p->lost) {
		if (lost > to_wrap(p))
			pad(p);
		uint32_t lw[4] = { p->lost, 0, (uint32_t)p->lost_first,
				   (uint32_t)(p->lost_first >> 32) };
		put(p, 0x0001f001u, 1, 4, lw, lost);
		p->lost = 0;
	}
	if (rec > to_wrap(p))
		pad(p);
	put(p, event, cycles, n, w, rec);
}

static inline void produce(struct prod *p, uint32_t event, uint32_t n, const uint32_t *w)
{
	p->tsc += 10;
	produce_rec(p, event, 1, n, w);
}

static inline struct prod prod_new(uint32_t pages)
{
	struct prod p = { 0 };
	p.ds = pages * XEN_TBUF_PAGE - XEN_TBUF_HDR;
	p.tb = calloc(1, pages * XEN_TBUF_PAGE);
	p.tsc = 1000;
	return p;
}

#endif
