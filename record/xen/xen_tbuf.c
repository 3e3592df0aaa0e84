/*
 * xen_tbuf.c - the consumer side of Xen's trace buffer protocol
 * (xen_tbuf.h), as xentrace 4.17 runs it: read cons and prod once, a read
 * barrier, copy the bytes, a full barrier, then publish cons = prod.
 */
#include "record/xen/xen_tbuf.h"

#include <stdlib.h>
#include <string.h>

long xen_tbuf_window(uint32_t cons, uint32_t prod, uint32_t data_size,
		     const uint8_t *data, uint32_t max_bytes, struct xen_tbuf_win *w)
{
	memset(w, 0, sizeof(*w));
	if (data_size == 0 || data_size > UINT32_MAX / 2)
		return -1;
	uint32_t span = 2 * data_size;
	if (cons >= span || prod >= span)
		return -1;
	/* 2 * data_size is not a power of two: no modulo on the difference. */
	uint32_t size = prod >= cons ? prod - cons : prod + span - cons;
	if (size > data_size)
		return -1;
	w->start = cons % data_size;
	w->new_cons = prod;
	if (size == 0)
		return 0;
	if (max_bytes && size > max_bytes) {
		/* Stop after the last whole record that fits (records never
		 * cross the end of the data: Xen pads with a wrap record). */
		uint32_t taken = 0, pos = w->start;
		while (taken < size) {
			uint32_t room = data_size - pos;
			if (room < 4)
				break;
			uint32_t hdr;
			memcpy(&hdr, data + pos, 4);
			uint32_t n = (uint32_t)xen_rec_size(hdr);
			if (n > room || taken + n > max_bytes || taken + n > size)
				break;
			taken += n;
			pos += n;
			if (pos == data_size)
				pos = 0;
		}
		size = taken;
		uint32_t nc = cons + size;
		w->new_cons = nc >= span ? nc - span : nc;
		if (size == 0)
			return 0;
	}
	if (w->start + size <= data_size) {
		w->len1 = size;
	} else {
		w->len1 = data_size - w->start;
		w->len2 = size - w->len1;
	}
	return size;
}

long xen_tbuf_consume(void *tb, uint32_t data_size, uint32_t max_bytes,
		      struct xen_merge *m, uint32_t cpu, uint64_t feed_off)
{
	volatile uint32_t *hdr = tb;
	uint8_t *data = (uint8_t *)tb + XEN_TBUF_HDR;
	uint32_t cons = hdr[0], prod = hdr[1];
	__atomic_thread_fence(__ATOMIC_ACQUIRE); /* read prod, then the records */
	struct xen_tbuf_win w;
	long n = xen_tbuf_window(cons, prod, data_size, data, max_bytes, &w);
	if (n <= 0)
		return n;
	uint8_t *copy = malloc((size_t)n);
	if (!copy)
		return -2;
	memcpy(copy, data + w.start, w.len1);
	if (w.len2)
		memcpy(copy + w.len1, data, w.len2);
	if (xen_merge_add(m, cpu, copy, (size_t)n, feed_off, 2) < 0)
		return -2;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* read the records, then free them */
	hdr[0] = w.new_cons;
	return n;
}

int xen_tinfo_parse(const void *tinfo, size_t tinfo_size, uint32_t ncpus,
		    const uint32_t **mfns)
{
	const uint8_t *b = tinfo;
	if (tinfo_size < 2)
		return -1;
	uint16_t pages;
	memcpy(&pages, b, 2);
	if (pages == 0)
		return -1;
	if (2 + 2 * (size_t)ncpus > tinfo_size)
		return -1;
	for (uint32_t c = 0; c < ncpus; c++) {
		uint16_t off;
		memcpy(&off, b + 2 + 2 * (size_t)c, 2);
		mfns[c] = NULL;
		if (off == 0)
			continue;
		size_t start = 4 * (size_t)off, end = start + 4 * (size_t)pages;
		/* The list must lie past the offsets table and inside t_info. */
		if (start < 2 + 2 * (size_t)ncpus || end > tinfo_size)
			return -1;
		mfns[c] = (const uint32_t *)(b + start);
	}
	return pages;
}

long xen_live_round(struct xen_live_core *c, int final)
{
	for (uint32_t cpu = 0; cpu < c->ncpus; cpu++) {
		if (!c->tb[cpu])
			continue;
		long n = xen_tbuf_consume(c->tb[cpu], c->data_size, 0, c->m, cpu, c->fed[cpu]);
		if (n == -1)
			c->bad_windows++;
		else if (n == -2)
			return -2;
		else
			c->fed[cpu] += (uint64_t)n;
	}
	uint64_t limit = final ? UINT64_MAX : c->watermark;
	struct xen_rec rec;
	long done = 0;
	while (xen_merge_next(c->m, limit, final, &rec) == 1) {
		if (!c->have_first) {
			c->first_tsc = rec.tsc;
			c->have_first = 1;
		}
		if (xen_decoder_feed(c->d, &rec) < 0)
			return -1;
		done++;
	}
	c->watermark = xen_merge_tail(c->m);
	return done;
}
