/*
 * xen_rec.c - one Xen trace record's parser and the window index of a
 * xentrace file (see xen_rec.h). The file has no header and no magic: the
 * first word must be a window's TRC_TRACE_CPU_CHANGE header, and every
 * window must end exactly on a record boundary, which is how a file that
 * is not a xentrace file is told apart.
 */
#include "record/xen/xen_rec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

size_t xen_rec_parse(const uint8_t *p, size_t avail, struct xen_rec *rec)
{
	if (avail < 4)
		return 0;
	uint32_t hdr = rd32(p);
	size_t size = xen_rec_size(hdr);
	if (size > avail)
		return 0;
	rec->event = hdr & XEN_TRC_EVENT_MASK;
	rec->nextra = (hdr >> 28) & 7u;
	rec->has_tsc = (hdr & XEN_TRC_CYCLE_FLAG) != 0;
	const uint8_t *q = p + 4;
	if (rec->has_tsc) {
		rec->tsc = (uint64_t)rd32(q) | (uint64_t)rd32(q + 4) << 32;
		q += 8;
	}
	for (uint32_t i = 0; i < rec->nextra; i++)
		rec->extra[i] = rd32(q + 4 * i);
	for (uint32_t i = rec->nextra; i < 7; i++)
		rec->extra[i] = 0;
	return size;
}

static int push_window(struct xen_index *ix, uint64_t off, uint32_t size, uint32_t cpu)
{
	if (ix->nwin == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 64;
		struct xen_window *w = realloc(ix->win, cap * sizeof(*w));
		if (!w)
			return -1;
		ix->win = w;
		ix->cap = cap;
	}
	ix->win[ix->nwin++] = (struct xen_window){ off, size, cpu };
	if (cpu + 1 > ix->ncpus)
		ix->ncpus = cpu + 1;
	return 0;
}

__attribute__((format(printf, 3, 4)))
static int damage(struct xen_index *ix, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ix->damage_off = off;
	vsnprintf(ix->why, sizeof(ix->why), fmt, ap);
	va_end(ap);
	return 1;
}

int xen_index_build(const uint8_t *data, size_t len, struct xen_index *ix)
{
	memset(ix, 0, sizeof(*ix));
	size_t off = 0;
	while (off < len) {
		if (len - off < 12) {
			return damage(ix, off, "expected a 12-byte TRC_TRACE_CPU_CHANGE record, "
				      "%zu bytes left", len - off);
		}
		uint32_t hdr = rd32(data + off);
		if (hdr != XEN_TRC_CPU_CHANGE_HDR)
			return damage(ix, off, "expected a TRC_TRACE_CPU_CHANGE record "
				      "(0x2001f003), found 0x%08x", hdr);
		uint32_t cpu = rd32(data + off + 4);
		uint32_t size = rd32(data + off + 8);
		if (cpu >= XEN_MAX_PCPUS)
			return damage(ix, off + 4, "expected a pCPU number below 4096, "
				      "found %u", cpu);
		uint64_t start = off + 12;
		if (size > len - start) {
			/* Keep the whole records the truncated window holds. */
			size_t avail = len - start, pos = 0, n;
			struct xen_rec r;
			while ((n = xen_rec_parse(data + start + pos, avail - pos, &r)) > 0)
				pos += n;
			if (pos > 0 && push_window(ix, start, (uint32_t)pos, cpu) < 0)
				return -1;
			return damage(ix, off + 8, "window size %u reaches past the end "
				      "of the file (%lu bytes left)", size,
				      (unsigned long)(len - start));
		}
		/* Every record must end inside its window. */
		size_t pos = 0, n;
		struct xen_rec r;
		while (pos < size) {
			n = xen_rec_parse(data + start + pos, size - pos, &r);
			if (n == 0)
				break;
			pos += n;
		}
		if (pos > 0 && push_window(ix, start, (uint32_t)pos, cpu) < 0)
			return -1;
		if (pos != size) {
			size_t left = size - pos;
			if (left < 4)
				return damage(ix, start + pos, "expected a record header, "
					      "%zu bytes left in the window", left);
			return damage(ix, start + pos, "record of %zu bytes crosses the end "
				      "of its window (%zu bytes left in it)",
				      xen_rec_size(rd32(data + start + pos)), left);
		}
		off = start + size;
	}
	return 0;
}

void xen_index_release(struct xen_index *ix)
{
	free(ix->win);
	memset(ix, 0, sizeof(*ix));
}
