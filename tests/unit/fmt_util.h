/*
 * fmt_util.h - helpers of the libpmt unit tests: memory-backed writer and
 * reader callbacks, a deterministic random generator, building a described
 * writer, and comparing events.
 */
#ifndef FMT_UTIL_H
#define FMT_UTIL_H

#include "pmt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct membuf {
	uint8_t *p;
	size_t len, cap;
};

static inline int mem_write(void *opaque, const void *buf, size_t len)
{
	struct membuf *m = opaque;
	if (m->cap - m->len < len) {
		size_t cap = m->cap ? m->cap : 4096;
		while (cap - m->len < len)
			cap *= 2;
		uint8_t *p = realloc(m->p, cap);
		if (!p)
			return PMT_ENOMEM;
		m->p = p;
		m->cap = cap;
	}
	if (len)
		memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

static inline int64_t mem_read(void *opaque, void *buf, size_t len, uint64_t off)
{
	const struct membuf *m = opaque;
	if (off >= m->len)
		return 0;
	size_t n = m->len - off < len ? (size_t)(m->len - off) : len;
	memcpy(buf, m->p + off, n);
	return (int64_t)n;
}

static inline pmt_reader *mem_open(const struct membuf *m, unsigned flags, int *err,
				   char *msg, size_t msglen)
{
	return pmt_reader_open_cb(mem_read, (void *)m, m->len, flags, err, msg, msglen);
}

/* xorshift64*: reproducible across runs. */
static inline uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* Field-by-field comparison (strings by content). */
static inline int ev_equal(const struct pmt_event *a, const struct pmt_event *b)
{
	if (a->ts != b->ts || a->level != b->level || a->cpu != b->cpu || a->type != b->type)
		return 0;
	switch (a->type) {
	case PMT_EV_SWITCH:
		return a->u.sw.prev_tid == b->u.sw.prev_tid && a->u.sw.prev_state == b->u.sw.prev_state &&
		       a->u.sw.next_tid == b->u.sw.next_tid;
	case PMT_EV_MIGRATE:
		return a->u.migrate.tid == b->u.migrate.tid && a->u.migrate.from_cpu == b->u.migrate.from_cpu &&
		       a->u.migrate.to_cpu == b->u.migrate.to_cpu;
	case PMT_EV_WAKEUP:
		return !memcmp(&a->u.wakeup, &b->u.wakeup, sizeof(a->u.wakeup));
	case PMT_EV_FORK:
		return !memcmp(&a->u.fork, &b->u.fork, sizeof(a->u.fork));
	case PMT_EV_EXEC:
		return a->u.exec.tid == b->u.exec.tid && a->u.exec.comm.len == b->u.exec.comm.len &&
		       !memcmp(a->u.exec.comm.s, b->u.exec.comm.s, a->u.exec.comm.len);
	case PMT_EV_EXIT:
		return a->u.exit.tid == b->u.exit.tid;
	case PMT_EV_NAME:
		return a->u.name.tid == b->u.name.tid && a->u.name.pid == b->u.name.pid &&
		       a->u.name.comm.len == b->u.name.comm.len &&
		       !memcmp(a->u.name.comm.s, b->u.name.comm.s, a->u.name.comm.len);
	case PMT_EV_LOST:
		return a->u.lost.count == b->u.lost.count && a->u.lost.span == b->u.lost.span;
	case PMT_EV_MARKER:
		return a->u.marker.text.len == b->u.marker.text.len &&
		       !memcmp(a->u.marker.text.s, b->u.marker.text.s, a->u.marker.text.len);
	case PMT_EV_HV:
		return !memcmp(&a->u.hv, &b->u.hv, sizeof(a->u.hv));
	}
	return 0;
}

/* A host level (ncpus, ns clock) and optionally a guest level (gcpus, a
 * 2.4 GHz TSC clock mapped with an offset). Returns the writer, begun. */
static inline pmt_writer *test_writer(struct membuf *m, const struct pmt_writer_opts *o,
				      uint32_t ncpus, uint32_t gcpus)
{
	int err;
	pmt_writer *w = pmt_writer_open_cb(mem_write, m, o, &err);
	if (!w)
		return NULL;
	struct pmt_clock host = {.name = "mono", .freq_hz = 1000000000, .mult_num = 1, .mult_den = 1};
	struct pmt_clock tsc = {.name = "x86-tsc", .freq_hz = 2400000000u, .raw_base = 1000,
				.ref_base_ns = 5000, .mult_num = 5, .mult_den = 12,
				.flags = PMT_CLOCK_OFFSET};
	struct pmt_level hl = {.kind = PMT_LEVEL_HOST, .clock = 0, .name = "host", .ncpus = ncpus,
			       .guest_id = -1};
	pmt_writer_set_meta(w, "host", "testhost");
	pmt_writer_add_clock(w, &host);
	pmt_writer_add_level(w, &hl);
	if (gcpus) {
		pmt_writer_add_clock(w, &tsc);
		struct pmt_level gl = {.kind = PMT_LEVEL_GUEST, .clock = 1, .name = "vm1",
				       .ncpus = gcpus, .guest_id = 1234};
		pmt_writer_add_level(w, &gl);
		for (uint32_t c = 0; c < gcpus; c++) {
			struct pmt_binding b = {.guest_level = 1, .host_level = 0, .guest_cpu = c,
						.host_tid = 2000 + c};
			pmt_writer_add_binding(w, &b);
		}
	}
	struct pmt_task t = {.level = 0, .tid = 1, .pid = 1, .comm = "init"};
	pmt_writer_add_task(w, &t);
	if (pmt_writer_begin(w) != 0) {
		pmt_writer_abort(w);
		return NULL;
	}
	return w;
}

#endif
