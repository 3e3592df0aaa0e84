/*
 * xen_build.h - build xentrace images in memory for the Xen tests: windows
 * of records laid out exactly as xentrace writes them (xen_rec.h).
 */
#ifndef PMT_TESTS_XEN_BUILD_H
#define PMT_TESTS_XEN_BUILD_H

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct xb {
	uint8_t *buf;
	size_t len, cap;
	size_t win;             /* offset of the open window's CPU_CHANGE record */
};

static inline void xb_put(struct xb *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + n)
			cap *= 2;
		b->buf = realloc(b->buf, cap);
		if (!b->buf)
			abort();
		b->cap = cap;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static inline void xb_u32(struct xb *b, uint32_t v) { xb_put(b, &v, 4); }

/* Open a window of pCPU cpu (closed by xb_end). */
static inline void xb_win(struct xb *b, uint32_t cpu)
{
	b->win = b->len;
	xb_u32(b, 0x2001f003u);
	xb_u32(b, cpu);
	xb_u32(b, 0);
}

static inline void xb_end(struct xb *b)
{
	uint32_t size = (uint32_t)(b->len - b->win - 12);
	memcpy(b->buf + b->win + 8, &size, 4);
}

/* A record: event id, TSC (has_tsc), n extra words. */
static inline void xb_rec(struct xb *b, uint32_t event, int has_tsc, uint64_t tsc, int n, ...)
{
	uint32_t hdr = (event & 0x0fffffffu) | (uint32_t)n << 28 | (has_tsc ? 0x80000000u : 0);
	xb_u32(b, hdr);
	if (has_tsc) {
		xb_u32(b, (uint32_t)tsc);
		xb_u32(b, (uint32_t)(tsc >> 32));
	}
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		xb_u32(b, va_arg(ap, uint32_t));
	va_end(ap);
}

/* RUNSTATE_CHANGE of (dom, vcpu) from old to new. */
static inline void xb_runstate(struct xb *b, uint64_t tsc, uint32_t dom, uint32_t vcpu,
			       uint32_t old, uint32_t new_)
{
	xb_rec(b, 0x00021001u | old << 8 | new_ << 4, 1, tsc, 1, dom << 16 | vcpu);
}

/* A context switch as Xen writes it: INFPREV, INFNEXT, SWITCH, prev
 * running->prev_to, next runnable->running (the last at tsc + 4). */
static inline void xb_cswitch(struct xb *b, uint64_t tsc, uint32_t pdom, uint32_t pv,
			      uint32_t prev_to, uint32_t ndom, uint32_t nv)
{
	xb_rec(b, 0x0002800eu, 1, tsc, 3, pdom, pv, 1000u);
	xb_rec(b, 0x0002800fu, 1, tsc + 1, 4, ndom, nv, 10u, 0xffffffffu);
	xb_rec(b, 0x0002800au, 1, tsc + 2, 4, pdom, pv, ndom, nv);
	xb_runstate(b, tsc + 3, pdom, pv, 0, prev_to);
	xb_runstate(b, tsc + 4, ndom, nv, 1, 0);
}

static inline void xb_free(struct xb *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

#endif
