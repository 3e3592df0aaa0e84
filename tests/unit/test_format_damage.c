/*
 * test_format_damage.c - libpmt against damaged and extreme files: truncation
 * at every byte offset recovers exactly the complete chunks; every single bit
 * flip is detected and reported with an offset, never crashes; offsets past
 * 4 GiB and more than 2^32 events (a virtual file served by a callback, and a
 * writer whose output is counted and discarded).
 */
#include "tests/unit/pmt_cu.h"
#include "tests/unit/fmt_util.h"
#include "format/internal.h"

#include <malloc.h>
#include <stdio.h>
#include <zlib.h>

/* A small file: 3 host CPUs + 2 guest CPUs, small chunks, flushes. */
static struct membuf small;
static struct pmt_event *small_ev;
static size_t small_n;

static int make_small(void)
{
	uint64_t s = 99, ts[5] = {0};
	small_n = 600;
	small_ev = calloc(small_n, sizeof(*small_ev));
	struct pmt_writer_opts o = {.chunk_bytes = 64};
	pmt_writer *w = test_writer(&small, &o, 3, 2);
	if (!w || !small_ev)
		return -1;
	for (size_t i = 0; i < small_n; i++) {
		struct pmt_event *e = &small_ev[i];
		uint32_t st = (uint32_t)(rnd(&s) % 5);
		e->level = st < 3 ? 0 : 1;
		e->cpu = st < 3 ? st : st - 3;
		ts[st] += 1000 + rnd(&s) % 3000;
		e->ts = ts[st] + 2000;
		if (i % 3) {
			e->type = PMT_EV_SWITCH;
			e->u.sw.prev_tid = (uint32_t)(rnd(&s) % 6);
			e->u.sw.next_tid = (uint32_t)(rnd(&s) % 6);
			e->u.sw.prev_state = (uint32_t)(rnd(&s) % 3);
		} else {
			e->type = PMT_EV_WAKEUP;
			e->u.wakeup.tid = (uint32_t)(rnd(&s) % 6);
			e->u.wakeup.target_cpu = e->cpu;
			e->u.wakeup.waker_tid = 3;
		}
		if (pmt_writer_append(w, e))
			return -1;
		if (i == 250) {
			struct pmt_task t = {.level = 1, .tid = 7, .pid = 7, .comm = "late"};
			pmt_writer_add_task(w, &t);
			pmt_writer_flush(w);
		}
	}
	return pmt_writer_close(w);
}

static int suite_init(void) { return make_small(); }
static int suite_clean(void)
{
	free(small.p);
	free(small_ev);
	return 0;
}

/* Chunks of the complete file, from its index. */
struct chunkref {
	uint64_t off, end;
	uint16_t level;
	uint32_t cpu, count;
};

static size_t index_chunks(const struct membuf *m, struct chunkref *out, size_t max)
{
	uint64_t ioff = rd64(m->p + m->len - PMTF_TRAILER + 8);
	const uint8_t *h = m->p + ioff;
	uint64_t nsect = rd64(h + 8), nch = rd64(h + 16);
	const uint8_t *e = h + PMTF_INDEX_HDR + nsect * 8;
	size_t n = 0;
	for (uint64_t i = 0; i < nch && n < max; i++, e += PMTF_INDEX_ENT) {
		const uint8_t *c = e + 8;
		out[n].off = rd64(e);
		out[n].end = out[n].off + PMTF_CHUNK_HDR + rd32(c + 36);
		out[n].level = rd16(c + 4);
		out[n].cpu = rd32(c + 8);
		out[n].count = rd32(c + 12);
		n++;
	}
	return n;
}

/* Events of stream (level, cpu) in the order written. */
static size_t stream_events(uint16_t level, uint32_t cpu, const struct pmt_event **out)
{
	size_t n = 0;
	for (size_t i = 0; i < small_n; i++)
		if (small_ev[i].level == level && small_ev[i].cpu == cpu)
			out[n++] = &small_ev[i];
	return n;
}

static void test_truncation_every_offset(void)
{
	struct chunkref ch[512];
	size_t nch = index_chunks(&small, ch, 512);
	CU_ASSERT_FATAL(nch > 20);
	const struct pmt_event **sev = calloc(small_n, sizeof(*sev));
	size_t failures = 0;
	for (size_t len = 0; len <= small.len; len++) {
		struct membuf t = {small.p, len, len};
		int err;
		char msg[200];
		pmt_reader *r = mem_open(&t, 0, &err, msg, sizeof(msg));
		if (len < PMTF_FILE_HDR) {
			if (r || err >= 0 || strncmp(msg, "offset ", 7) != 0)
				failures++;
			pmt_reader_close(r);
			continue;
		}
		if (!r) {
			failures++;
			printf("\n  truncated at %zu: open failed: %s\n", len, msg);
			continue;
		}
		const struct pmt_info *in = pmt_reader_info(r);
		/* Expected: per stream, the events of its chunks ending by len. */
		uint64_t expect_total = 0;
		for (size_t i = 0; i < nch; i++)
			if (ch[i].end <= len)
				expect_total += ch[i].count;
		if (in->events != expect_total || (len < small.len) != (in->recovered == 1) ||
		    (len < small.len && in->ndamage == 0))
			failures++;
		for (size_t si = 0; si < in->nstreams; si++) {
			pmt_cursor *c = pmt_cursor_open_stream(r, (int)si, &err);
			size_t ne = stream_events(in->streams[si].level, in->streams[si].cpu, sev);
			size_t k = 0;
			const struct pmt_event *e;
			while ((e = pmt_cursor_next(c, &err)) != NULL) {
				if (k >= ne || !ev_equal(e, sev[k]))
					failures++;
				k++;
			}
			if (err || k != in->streams[si].events)
				failures++;
			pmt_cursor_close(c);
		}
		pmt_reader_close(r);
	}
	CU_ASSERT_EQUAL(failures, 0);
	free(sev);
}

/* Opens a damaged copy; returns 1 when the damage was reported with an
 * offset (open failed with "offset N: ...", or open/check listed it). */
static int damage_reported(const struct membuf *m, unsigned flags)
{
	int err;
	char msg[200];
	pmt_reader *r = mem_open(m, flags, &err, msg, sizeof(msg));
	if (!r)
		return err < 0 && strncmp(msg, "offset ", 7) == 0;
	/* Read everything merged, as a tool would; must not crash or hang. */
	pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
	size_t n = 0;
	while (pmt_cursor_next(c, &err))
		n++;
	pmt_cursor_close(c);
	int64_t d = pmt_reader_check(r);
	const struct pmt_info *in = pmt_reader_info(r);
	int ok = d > 0 && in->ndamage > 0 && n <= small_n;
	for (size_t i = 0; i < in->ndamage; i++)
		if (in->damage[i].offset > m->len || !in->damage[i].what[0])
			ok = 0;
	pmt_reader_close(r);
	return ok;
}

static void test_bit_flips(void)
{
	struct membuf m = {malloc(small.len), small.len, small.len};
	size_t missed = 0, tried = 0;
	uint64_t s = 7;
	for (size_t bit = 0; bit < small.len * 8; bit++) {
		/* Every bit of the first and last 256 bytes, 1 in 4 elsewhere. */
		size_t byte = bit / 8;
		if (byte >= 256 && byte + 256 < small.len && rnd(&s) % 4)
			continue;
		memcpy(m.p, small.p, small.len);
		m.p[byte] ^= (uint8_t)(1u << (bit % 8));
		tried++;
		unsigned flags = (bit & 1) ? PMT_OPEN_TOLERANT : 0;
		if (!damage_reported(&m, flags)) {
			missed++;
			if (missed < 5)
				printf("\n  flip of bit %zu (byte %zu) not reported\n", bit % 8, byte);
		}
	}
	CU_ASSERT(tried > 10000);
	CU_ASSERT_EQUAL(missed, 0);
	free(m.p);
}

static void test_garbage_never_crashes(void)
{
	struct membuf m = {malloc(small.len), small.len, small.len};
	uint64_t s = 11;
	for (int i = 0; i < 3000; i++) {
		memcpy(m.p, small.p, small.len);
		/* Overwrite a random range with random bytes, keep the magic. */
		size_t a = 8 + rnd(&s) % (small.len - 8), n = 1 + rnd(&s) % 64;
		for (size_t k = a; k < a + n && k < small.len; k++)
			m.p[k] = (uint8_t)rnd(&s);
		int err;
		char msg[200];
		pmt_reader *r = mem_open(&m, (i & 1) ? PMT_OPEN_TOLERANT : PMT_OPEN_SCAN, &err, msg, sizeof(msg));
		if (!r) {
			CU_ASSERT(strncmp(msg, "offset ", 7) == 0);
			continue;
		}
		pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
		size_t k = 0;
		while (pmt_cursor_next(c, &err))
			k++;
		CU_ASSERT(k <= small_n);
		pmt_cursor_close(c);
		pmt_reader_check(r);
		pmt_reader_close(r);
	}
	free(m.p);
}

static void test_foreign_files(void)
{
	const char *inputs[] = {"", "\x89PMT", "hello world, this is not a trace at all....",
				"\x89PMT\r\n\x1a\n\x02\x00\x00\x00\x00\x00\x00\x00\xef\xcd\xab\x89\x67\x45\x23\x01"
				"\x20\x00\x00\x00\x00\x00\x00\x00"};
	size_t lens[] = {0, 4, 44, 32};
	int codes[] = {PMT_EMAGIC, PMT_ETRUNC, PMT_EMAGIC, PMT_EVERSION};
	for (size_t i = 0; i < 4; i++) {
		struct membuf m = {(uint8_t *)inputs[i], lens[i], lens[i]};
		int err;
		char msg[200];
		pmt_reader *r = mem_open(&m, 0, &err, msg, sizeof(msg));
		CU_ASSERT_PTR_NULL(r);
		CU_ASSERT_EQUAL(err, codes[i]);
		CU_ASSERT(strncmp(msg, "offset ", 7) == 0);
	}
	/* Byte-swapped canary: a big-endian writer. */
	struct membuf m = {malloc(small.len), small.len, small.len};
	memcpy(m.p, small.p, small.len);
	wr64(m.p + 16, __builtin_bswap64(PMTF_CANARY));
	int err;
	CU_ASSERT_PTR_NULL(mem_open(&m, 0, &err, NULL, 0));
	CU_ASSERT_EQUAL(err, PMT_EENDIAN);
	free(m.p);
}

/* --------------------------------------------------- beyond 32 bits */

/*
 * A virtual file of about 5.2 GB: the small file's header and sections, then
 * NCH chunks of 2^25 records each (more than 2^32 in all) spaced 40 MiB apart,
 * then an index and a trailer. Every chunk shares one zlib payload: switches
 * 0 -> 0 with a zero delta ("c0 00" repeated).
 */
#define NCH 130u
#define PER (1u << 25)
#define SPACING (40ull << 20)

struct vfile {
	const uint8_t *prefix;
	size_t plen;
	uint8_t *payload;
	uint32_t stored;
	uint8_t *index;     /* header + entries */
	size_t ilen;
	uint64_t ioff, size;
	uint8_t trailer[PMTF_TRAILER];
};

static void chunk_hdr(const struct vfile *v, uint32_t i, uint8_t *h)
{
	memset(h, 0, PMTF_CHUNK_HDR);
	wr32(h, PMTF_TAG_CHUNK);
	wr16(h + 4, 0);
	h[6] = PMTF_CODEC_ZLIB;
	wr32(h + 8, 0);
	wr32(h + 12, PER);
	wr64(h + 16, 1000 + i);
	wr64(h + 24, 1000 + i);
	wr32(h + 32, 2 * PER);
	wr32(h + 36, v->stored);
	wr32(h + 40, pmtf_crc32(v->payload, v->stored));
	wr32(h + 60, pmtf_crc32(h, 60));
}

static uint64_t chunk_off(const struct vfile *v, uint32_t i) { return v->plen + i * SPACING; }

static int64_t vread(void *opaque, void *buf, size_t len, uint64_t off)
{
	const struct vfile *v = opaque;
	if (off >= v->size)
		return 0;
	uint8_t *out = buf;
	size_t n = v->size - off < len ? (size_t)(v->size - off) : len;
	for (size_t k = 0; k < n;) {
		uint64_t o = off + k;
		size_t take = 1;
		if (o < v->plen) {
			take = v->plen - o;
			if (take > n - k)
				take = n - k;
			memcpy(out + k, v->prefix + o, take);
		} else if (o >= v->ioff + v->ilen) {
			out[k] = v->trailer[o - v->ioff - v->ilen];
		} else if (o >= v->ioff) {
			take = v->ioff + v->ilen - o;
			if (take > n - k)
				take = n - k;
			memcpy(out + k, v->index + (o - v->ioff), take);
		} else {
			uint64_t i = (o - v->plen) / SPACING, in = (o - v->plen) % SPACING;
			uint8_t h[PMTF_CHUNK_HDR];
			if (in < PMTF_CHUNK_HDR) {
				chunk_hdr(v, (uint32_t)i, h);
				out[k] = h[in];
			} else if (in < PMTF_CHUNK_HDR + v->stored) {
				take = PMTF_CHUNK_HDR + v->stored - in;
				if (take > n - k)
					take = n - k;
				memcpy(out + k, v->payload + in - PMTF_CHUNK_HDR, take);
			} else {
				take = SPACING - in;
				if (take > n - k)
					take = n - k;
				memset(out + k, 0, take);
			}
		}
		k += take;
	}
	return (int64_t)n;
}

static void test_beyond_4gib_and_2p32_events(void)
{
	struct vfile v = {0};
	/* The header and sections of a one-CPU file. */
	struct membuf pre = {0};
	pmt_writer *w = test_writer(&pre, NULL, 1, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	v.prefix = pre.p;
	v.plen = pre.len;
	uint64_t nsect = 0, so[16];
	for (uint64_t o = PMTF_FILE_HDR; o < pre.len; o += PMTF_SECT_HDR + rd32(pre.p + o + 8))
		so[nsect++] = o;
	pmt_writer_abort(w);
	/* The shared payload. */
	uint8_t *raw = malloc(2 * PER);
	for (uint32_t i = 0; i < PER; i++) {
		raw[2 * i] = 0xc0;
		raw[2 * i + 1] = 0;
	}
	uLongf zl = compressBound(2 * PER);
	v.payload = malloc(zl);
	CU_ASSERT_EQUAL_FATAL(compress2(v.payload, &zl, raw, 2 * PER, 9), Z_OK);
	free(raw);
	v.stored = (uint32_t)zl;
	/* Index and trailer. */
	v.ioff = chunk_off(&v, NCH - 1) + PMTF_CHUNK_HDR + v.stored;
	v.ilen = PMTF_INDEX_HDR + nsect * 8 + NCH * PMTF_INDEX_ENT;
	v.index = calloc(1, v.ilen);
	uint8_t *b = v.index + PMTF_INDEX_HDR;
	for (uint64_t i = 0; i < nsect; i++)
		wr64(b + i * 8, so[i]);
	for (uint32_t i = 0; i < NCH; i++) {
		uint8_t *e = b + nsect * 8 + i * PMTF_INDEX_ENT;
		wr64(e, chunk_off(&v, i));
		chunk_hdr(&v, i, e + 8);
	}
	wr32(v.index, PMTF_TAG_INDEX);
	wr64(v.index + 8, nsect);
	wr64(v.index + 16, NCH);
	wr32(v.index + 24, pmtf_crc32(b, v.ilen - PMTF_INDEX_HDR));
	wr32(v.index + 28, pmtf_crc32(v.index, 28));
	wr32(v.trailer, PMTF_TAG_TRAILER);
	wr64(v.trailer + 8, v.ioff);
	wr32(v.trailer + 28, pmtf_crc32(v.trailer, 28));
	v.size = v.ioff + v.ilen + PMTF_TRAILER;
	CU_ASSERT(v.ioff > (1ull << 32));

	int err;
	char msg[200];
	pmt_reader *r = pmt_reader_open_cb(vread, &v, v.size, 0, &err, msg, sizeof(msg));
	if (!r)
		printf("\n  open: %s\n", msg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	const struct pmt_info *in = pmt_reader_info(r);
	CU_ASSERT_EQUAL(in->indexed, 1);
	CU_ASSERT_EQUAL(in->events, (uint64_t)NCH * PER);
	CU_ASSERT(in->events > UINT32_MAX);
	CU_ASSERT_EQUAL(in->nstreams, 1);
	CU_ASSERT_EQUAL(in->streams[0].chunks, NCH);
	CU_ASSERT_EQUAL(in->streams[0].events, (uint64_t)NCH * PER);
	CU_ASSERT_EQUAL(in->last_ns, 1000 + NCH - 1);
	/* The last chunk lies past 4 GiB: seek there and read all of it. */
	pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
	CU_ASSERT_EQUAL(pmt_cursor_seek(c, 1000 + NCH - 1), 0);
	uint64_t n = 0, bad = 0;
	const struct pmt_event *e;
	while ((e = pmt_cursor_next(c, &err)) != NULL) {
		if (e->ts != 1000 + NCH - 1 || e->type != PMT_EV_SWITCH || e->u.sw.next_tid != 0)
			bad++;
		n++;
	}
	CU_ASSERT_EQUAL(err, 0);
	CU_ASSERT_EQUAL(n, PER);
	CU_ASSERT_EQUAL(bad, 0);
	pmt_cursor_close(c);
	pmt_reader_close(r);
	free(v.payload);
	free(v.index);
	free(pre.p);
}

/* A writer whose bytes are counted and dropped, except the index/trailer. */
struct sink {
	uint64_t total;
	struct membuf last[3]; /* the last three writes */
};

static int sink_write(void *opaque, const void *buf, size_t len)
{
	struct sink *s = opaque;
	s->total += len;
	free(s->last[0].p);
	s->last[0] = s->last[1];
	s->last[1] = s->last[2];
	memset(&s->last[2], 0, sizeof(s->last[2]));
	if (len < (16u << 20))
		mem_write(&s->last[2], buf, len);
	return 0;
}

static void test_writer_offsets_beyond_4gib(void)
{
	struct sink s = {0};
	struct pmt_writer_opts o = {.codec = PMT_CODEC_NONE, .chunk_bytes = 32u << 20};
	int err;
	pmt_writer *w = pmt_writer_open_cb(sink_write, &s, &o, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	struct pmt_clock k = {.name = "mono", .mult_num = 1, .mult_den = 1};
	struct pmt_level l = {.kind = PMT_LEVEL_HOST, .name = "host", .ncpus = 1, .guest_id = -1};
	pmt_writer_add_clock(w, &k);
	pmt_writer_add_level(w, &l);
	CU_ASSERT_EQUAL_FATAL(pmt_writer_begin(w), 0);
	static char text[PMT_MAX_STRING];
	memset(text, 'm', sizeof(text));
	struct pmt_event e = {.type = PMT_EV_MARKER};
	e.u.marker.text.s = text;
	e.u.marker.text.len = PMT_MAX_STRING;
	uint64_t n = ((5ull << 30) / (PMT_MAX_STRING + 4));
	for (uint64_t i = 0; i < n; i++) {
		e.ts = i;
		if (pmt_writer_append(w, &e) != 0) {
			CU_FAIL("append");
			break;
		}
	}
	CU_ASSERT(pmt_writer_bytes(w) > (1ull << 32));
	CU_ASSERT_EQUAL(pmt_writer_close(w), 0);
	CU_ASSERT(s.total > (5ull << 30));
	/* last[0] = index header, last[1] = entries (no sections offsets write
	 * is empty? they come first), last[2] = trailer. */
	const uint8_t *t = s.last[2].p;
	CU_ASSERT_EQUAL_FATAL(s.last[2].len, PMTF_TRAILER);
	uint64_t ioff = rd64(t + 8);
	CU_ASSERT(ioff > (1ull << 32));
	CU_ASSERT_EQUAL(rd64(t + 16), n);
	CU_ASSERT_EQUAL(ioff + PMTF_INDEX_HDR + s.last[0].len + s.last[1].len + PMTF_TRAILER, s.total);
	/* The entries: offsets increase past 4 GiB and tile the file. */
	const uint8_t *ent = s.last[1].p;
	size_t nent = s.last[1].len / PMTF_INDEX_ENT;
	CU_ASSERT(nent > 128);
	uint64_t expect = rd64(ent), events = 0;
	size_t bad = 0;
	for (size_t i = 0; i < nent; i++, ent += PMTF_INDEX_ENT) {
		if (rd64(ent) != expect)
			bad++;
		expect = rd64(ent) + PMTF_CHUNK_HDR + rd32(ent + 8 + 36);
		events += rd32(ent + 8 + 12);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(expect, ioff);
	CU_ASSERT_EQUAL(events, n);
	for (int i = 0; i < 3; i++)
		free(s.last[i].p);
}

/* Reads everything merged (tolerant), returns a digest of the events and
 * the damage list. */
static uint64_t digest(const struct membuf *m, unsigned flags, size_t *nev, size_t *ndmg)
{
	int err;
	pmt_reader *r = mem_open(m, flags | PMT_OPEN_TOLERANT, &err, NULL, 0);
	if (!r) {
		*nev = *ndmg = 0;
		return (uint64_t)err;
	}
	pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
	uint64_t h = 1469598103934665603ull;
	size_t n = 0;
	const struct pmt_event *e;
	while ((e = pmt_cursor_next(c, &err)) != NULL) {
		h = (h ^ e->ts ^ (uint64_t)e->time_ns << 1 ^ e->type ^ (uint64_t)e->cpu << 40 ^ e->u.sw.next_tid) *
		    1099511628211ull;
		n++;
	}
	/* then a seek in the middle and the rest again */
	const struct pmt_info *in = pmt_reader_info(r);
	pmt_cursor_seek(c, in->first_ns / 2 + in->last_ns / 2);
	while ((e = pmt_cursor_next(c, &err)) != NULL)
		h = (h ^ e->ts) * 1099511628211ull;
	pmt_cursor_close(c);
	for (size_t i = 0; i < in->ndamage; i++)
		h = (h ^ in->damage[i].offset ^ (uint64_t)(uint32_t)in->damage[i].code << 32) * 1099511628211ull;
	*nev = n;
	*ndmg = in->ndamage;
	pmt_reader_close(r);
	return h;
}

static void test_thread_independent(void)
{
	struct membuf m = {malloc(small.len), small.len, small.len};
	uint64_t s = 3;
	size_t differ = 0, damaged = 0;
	for (int i = 0; i < 400; i++) {
		memcpy(m.p, small.p, small.len);
		if (i) { /* the first round reads the intact file */
			for (int k = 0; k < 3; k++) {
				size_t byte = 32 + rnd(&s) % (small.len - 32);
				m.p[byte] ^= (uint8_t)(1u << (rnd(&s) % 8));
			}
		}
		size_t n1, d1, n2, d2;
		uint64_t h1 = digest(&m, 0, &n1, &d1), h2 = digest(&m, PMT_OPEN_ONE_THREAD, &n2, &d2);
		if (h1 != h2 || n1 != n2 || d1 != d2)
			differ++;
		if (i == 0)
			CU_ASSERT_EQUAL(n1, small_n);
		damaged += d1 > 0;
	}
	CU_ASSERT_EQUAL(differ, 0);
	CU_ASSERT(damaged > 300);
	free(m.p);
}

/*
 * A task section that goes bad after some entries (a reserved field set in
 * its third task, checksums made right so the parser meets it): opened
 * tolerant, the tasks read before the bad entry are listed, and the info's
 * array is the reader's (it was left NULL, or pointing to freed memory after
 * the array grew, for whoever read info.tasks).
 */
static void test_task_section_bad_part_way(void)
{
	int err;
	struct membuf m = {0};
	pmt_writer *w = pmt_writer_open_cb(mem_write, &m, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	struct pmt_clock k = {.name = "mono", .mult_num = 1, .mult_den = 1};
	struct pmt_level l = {.kind = PMT_LEVEL_HOST, .name = "host", .ncpus = 1, .guest_id = -1};
	pmt_writer_add_clock(w, &k);
	pmt_writer_add_level(w, &l);
	static const char *const names[12] = {"a", "bb", "ccc", "d", "e", "f", "g", "h", "i", "j", "k", "l"};
	for (uint32_t i = 0; i < 12; i++) {
		struct pmt_task t = {.level = 0, .tid = 100 + i, .pid = 100, .comm = names[i]};
		CU_ASSERT_EQUAL(pmt_writer_add_task(w, &t), 0);
	}
	CU_ASSERT_EQUAL_FATAL(pmt_writer_begin(w), 0);
	struct pmt_event ev = {.type = PMT_EV_EXIT, .ts = 5};
	ev.u.exit.tid = 100;
	CU_ASSERT_EQUAL(pmt_writer_append(w, &ev), 0);
	CU_ASSERT_EQUAL_FATAL(pmt_writer_close(w), 0);
	/* the tasks section: entries of 16 bytes + a varint-free u32-length comm */
	uint8_t *h = NULL;
	for (size_t off = PMTF_FILE_HDR; off + PMTF_SECT_HDR <= m.len; off++)
		if (rd32(m.p + off) == PMTF_TAG_SECT && rd16(m.p + off + 4) == PMTF_SECT_TASKS) {
			h = m.p + off;
			break;
		}
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	uint8_t *body = h + PMTF_SECT_HDR;
	CU_ASSERT_EQUAL_FATAL(rd32(body), 12);
	/* find the third entry: tid 102 after its level and reserved fields */
	uint8_t *e3 = NULL;
	for (uint8_t *q = body + 4; q + 8 <= body + rd32(h + 8); q++)
		if (rd32(q) == 102 && rd32(q + 4) == 100) {
			e3 = q - 4;
			break;
		}
	CU_ASSERT_PTR_NOT_NULL_FATAL(e3);
	CU_ASSERT_EQUAL_FATAL(rd16(e3 + 2), 0);
	e3[2] = 1; /* reserved, must be zero */
	wr32(h + 12, pmtf_crc32(body, rd32(h + 8)));
	wr32(h + 20, pmtf_crc32(h, 20));
	for (unsigned flags = 0; flags <= PMT_OPEN_SCAN; flags += PMT_OPEN_SCAN) {
		pmt_reader *r = pmt_reader_open_cb(mem_read, &m, m.len, flags, &err, NULL, 0);
		CU_ASSERT_PTR_NULL(r); /* not tolerant: refused */
		CU_ASSERT_EQUAL(err, PMT_ERESERVED);
		r = pmt_reader_open_cb(mem_read, &m, m.len, flags | PMT_OPEN_TOLERANT, &err, NULL, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		const struct pmt_info *in = pmt_reader_info(r);
		CU_ASSERT(in->ndamage >= 1);
		CU_ASSERT_EQUAL_FATAL(in->ntasks, 2);
		CU_ASSERT_PTR_NOT_NULL_FATAL(in->tasks);
		CU_ASSERT_EQUAL(in->tasks[0].tid, 100);
		CU_ASSERT_STRING_EQUAL(in->tasks[1].comm, "bb");
		pmt_reader_close(r);
	}
	free(m.p);
}

/* 12,288 streams of one event each (3 levels of 4,096 CPUs): writing and a
 * merged read cost memory in proportion to the file, not to streams times
 * the largest buffers. */
static void test_many_tiny_streams(void)
{
	struct membuf m = {0};
	int err;
	pmt_writer *w = pmt_writer_open_cb(mem_write, &m, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	struct pmt_clock k = {.name = "mono", .mult_num = 1, .mult_den = 1};
	pmt_writer_add_clock(w, &k);
	for (int l = 0; l < 3; l++) {
		struct pmt_level lv = {.kind = l ? PMT_LEVEL_GUEST : PMT_LEVEL_HOST, .name = "l",
				       .ncpus = PMT_MAX_CPUS, .guest_id = -1};
		CU_ASSERT_EQUAL(pmt_writer_add_level(w, &lv), l);
	}
	CU_ASSERT_EQUAL_FATAL(pmt_writer_begin(w), 0);
#ifndef __SANITIZE_ADDRESS__
	size_t before = mallinfo2().uordblks;
#endif
	for (uint32_t i = 0; i < 3 * PMT_MAX_CPUS; i++) {
		struct pmt_event e = {.type = PMT_EV_EXIT, .ts = 1000 - i % 1000, .level = (uint16_t)(i / PMT_MAX_CPUS),
				      .cpu = i % PMT_MAX_CPUS};
		e.u.exit.tid = i;
		CU_ASSERT_EQUAL(pmt_writer_append(w, &e), 0);
	}
#ifndef __SANITIZE_ADDRESS__
	size_t used = mallinfo2().uordblks - before;
	CU_ASSERT(used < (400u << 20)); /* ~20 KB per stream, not 1 MiB */
#endif
	CU_ASSERT_EQUAL(pmt_writer_close(w), 0);
	pmt_reader *r = mem_open(&m, 0, &err, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(pmt_reader_info(r)->nstreams, 3 * PMT_MAX_CPUS);
#ifndef __SANITIZE_ADDRESS__
	before = mallinfo2().uordblks;
#endif
	pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	const struct pmt_event *e = pmt_cursor_next(c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
#ifndef __SANITIZE_ADDRESS__
	used = mallinfo2().uordblks - before;
	/* the file is about 1.3 MB: a few hundred bytes per stream */
	CU_ASSERT(used < 40 * m.len);
	if (used >= 40 * m.len)
		printf("\n  merged cursor over %zu streams took %zu bytes (file %zu)\n",
		       (size_t)(3 * PMT_MAX_CPUS), used, m.len);
#endif
	/* time order: ts 1 .. 1000, ties by stream */
	int64_t last = e->time_ns;
	size_t n = 1, bad = 0;
	while ((e = pmt_cursor_next(c, &err)) != NULL) {
		bad += e->time_ns < last;
		last = e->time_ns;
		n++;
	}
	CU_ASSERT_EQUAL(n, 3 * PMT_MAX_CPUS);
	CU_ASSERT_EQUAL(bad, 0);
	pmt_cursor_close(c);
	pmt_reader_close(r);
	free(m.p);
}

void pmt_cu_register(void)
{
	CU_pSuite s = CU_add_suite("format damage", suite_init, suite_clean);
	CU_add_test(s, "a file truncated at every byte offset recovers exactly its complete chunks",
		    test_truncation_every_offset);
	CU_add_test(s, "every single bit flip is reported with an offset and never crashes", test_bit_flips);
	CU_add_test(s, "random garbage over parts of a file never crashes a reader", test_garbage_never_crashes);
	CU_add_test(s, "foreign, empty, future-version and byte-swapped files are refused", test_foreign_files);
	CU_add_test(s, "a task section bad part way: the tasks before it, tolerant", test_task_section_bad_part_way);
	CU_add_test(s, "events and damage lists are the same with and without the loader thread",
		    test_thread_independent);
	CU_add_test(s, "12,288 one-event streams cost memory in proportion to the file", test_many_tiny_streams);
	CU_pSuite b = CU_add_suite("format beyond 32 bits", NULL, NULL);
	CU_add_test(b, "a 5 GB file with more than 2^32 events opens by index and reads past 4 GiB",
		    test_beyond_4gib_and_2p32_events);
	CU_add_test(b, "a writer past 4 GiB writes 64-bit offsets that tile the file", test_writer_offsets_beyond_4gib);
}
