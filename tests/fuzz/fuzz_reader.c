/*
 * fuzz_reader.c - libFuzzer target for the .pmt reader: open the input (by
 * index, then scanning and tolerant), read every event merged and per stream,
 * seek, and check; read it again in batches of varying size (every pointer of
 * a batch touched after the call) through the analysis engine with a module
 * taking everything it hands out. Any crash, leak, sanitizer report or hang is a bug; the
 * reader may refuse the input, never misbehave on it. A third pass first
 * repairs every checksum it can find, so that mutations reach the section
 * parser and the record decoder instead of stopping at a CRC.
 */
#include "pmt.h"
#include "format/internal.h"
#include "analyze/engine/engine.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct mem {
	const uint8_t *p;
	size_t len;
};

static int64_t mem_read(void *opaque, void *buf, size_t len, uint64_t off)
{
	const struct mem *m = opaque;
	if (off >= m->len)
		return 0;
	size_t n = m->len - off < len ? (size_t)(m->len - off) : len;
	memcpy(buf, m->p + off, n);
	return (int64_t)n;
}

static void drain(pmt_cursor *c)
{
	int err;
	uint64_t n = 0;
	while (pmt_cursor_next(c, &err) && n < 10000000)
		n++;
}

static uint64_t sink;
static void f_iv(void *c, struct eng *e, const struct eng_interval *iv) { sink += (uint64_t)(iv->end_ns - iv->start_ns) + iv->ent->tid; }
static void f_ci(void *c, struct eng *e, const struct eng_cpu_interval *ci) { sink += (uint64_t)(ci->end_ns - ci->start_ns); }
static void f_mig(void *c, struct eng *e, const struct eng_migration *m) { sink += m->from_cpu + m->to_cpu + strlen(m->ent->comm); }
static void f_lat(void *c, struct eng *e, const struct eng_latency *l) { sink += (uint64_t)(l->run_ns - l->runnable_ns); }
static void f_wk(void *c, struct eng *e, const struct eng_wakeup *w) { sink += w->waker; }
static void f_lost(void *c, struct eng *e, const struct eng_lost *l) { sink += l->count; }

/* Batches of 1 + len % 300 events into an engine (stopping halfway in time
 * when the length is odd); every event of a batch read after the call. */
static void engine_pass(pmt_reader *r, size_t len)
{
	static const struct eng_module mod = {
		.name = "fuzz", .interval = f_iv, .cpu_interval = f_ci, .migration = f_mig,
		.latency = f_lat, .wakeup = f_wk, .lost = f_lost,
	};
	int err;
	const struct pmt_info *in = pmt_reader_info(r);
	struct eng *e = eng_new(in);
	if (!e)
		return;
	eng_add_module(e, &mod, NULL);
	if (len & 1)
		eng_set_stop(e, in->first_ns / 2 + in->last_ns / 2);
	pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
	const struct pmt_event *ev[300];
	size_t max = 1 + len % 300, k;
	uint64_t n = 0;
	while (c && n < 10000000 && (k = pmt_cursor_next_batch(c, ev, max, &err)) > 0) {
		for (size_t i = 0; i < k; i++) {
			sink += ev[i]->ts;
			if (ev[i]->type == PMT_EV_NAME && ev[i]->u.name.comm.s)
				sink += strlen(ev[i]->u.name.comm.s);
			else if (ev[i]->type == PMT_EV_EXEC && ev[i]->u.exec.comm.s)
				sink += strlen(ev[i]->u.exec.comm.s);
			else if (ev[i]->type == PMT_EV_MARKER && ev[i]->u.marker.text.s)
				sink += strlen(ev[i]->u.marker.text.s);
		}
		n += k;
		if (eng_feed_batch(e, ev, k) < k)
			break;
	}
	eng_finish(e, INT64_MIN);
	pmt_cursor_close(c);
	eng_free(e);
}

static void one(const struct mem *m, unsigned flags)
{
	int err;
	char msg[200];
	pmt_reader *r = pmt_reader_open_cb(mem_read, (void *)m, m->len, flags, &err, msg, sizeof(msg));
	if (!r)
		return;
	const struct pmt_info *in = pmt_reader_info(r);
	pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
	if (c) {
		drain(c);
		if (in->nstreams && pmt_cursor_seek(c, (in->first_ns / 2) + (in->last_ns / 2)) == 0)
			drain(c);
		pmt_cursor_close(c);
	}
	for (size_t i = 0; i < in->nstreams && i < 8; i++) {
		c = pmt_cursor_open_stream(r, (int)i, &err);
		if (c) {
			drain(c);
			pmt_cursor_close(c);
		}
	}
	engine_pass(r, m->len);
	pmt_reader_check(r);
	for (size_t i = 0; i < in->nlevels; i++)
		pmt_reader_to_ns(r, (uint16_t)i, UINT64_MAX);
	pmt_reader_close(r);
}

/* Recompute the CRCs of the file header and of each block met walking the
 * blocks from offset 32 (as a scanning reader would). */
static void fix_crcs(uint8_t *p, size_t n)
{
	if (n < PMTF_FILE_HDR)
		return;
	wr32(p + 28, pmtf_crc32(p, 28));
	size_t off = PMTF_FILE_HDR;
	while (n - off >= 4) {
		uint8_t *h = p + off;
		uint32_t tag = rd32(h);
		size_t rest = n - off;
		if (tag == PMTF_TAG_SECT && rest >= PMTF_SECT_HDR) {
			uint32_t len = rd32(h + 8);
			if (len > rest - PMTF_SECT_HDR)
				len = (uint32_t)(rest - PMTF_SECT_HDR);
			wr32(h + 8, len);
			wr32(h + 12, pmtf_crc32(h + PMTF_SECT_HDR, len));
			wr32(h + 20, pmtf_crc32(h, 20));
			off += PMTF_SECT_HDR + len;
		} else if (tag == PMTF_TAG_CHUNK && rest >= PMTF_CHUNK_HDR) {
			uint32_t st = rd32(h + 36);
			if (st > rest - PMTF_CHUNK_HDR)
				st = (uint32_t)(rest - PMTF_CHUNK_HDR);
			wr32(h + 36, st);
			wr32(h + 40, pmtf_crc32(h + PMTF_CHUNK_HDR, st));
			wr32(h + 60, pmtf_crc32(h, 60));
			off += PMTF_CHUNK_HDR + st;
		} else if (tag == PMTF_TAG_INDEX && rest >= PMTF_INDEX_HDR) {
			size_t body = rest - PMTF_INDEX_HDR >= PMTF_TRAILER ? rest - PMTF_INDEX_HDR - PMTF_TRAILER : 0;
			wr32(h + 24, pmtf_crc32(h + PMTF_INDEX_HDR, body));
			wr32(h + 28, pmtf_crc32(h, 28));
			off += PMTF_INDEX_HDR + body;
		} else if (tag == PMTF_TAG_TRAILER && rest >= PMTF_TRAILER) {
			wr32(h + 28, pmtf_crc32(h, 28));
			off += PMTF_TRAILER;
		} else {
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = {data, size};
	one(&m, 0);
	one(&m, PMT_OPEN_SCAN | PMT_OPEN_TOLERANT);
	uint8_t *fixed = malloc(size ? size : 1);
	if (fixed) {
		memcpy(fixed, data, size);
		fix_crcs(fixed, size);
		struct mem f = {fixed, size};
		one(&f, (size & 1) ? PMT_OPEN_TOLERANT : 0);
		free(fixed);
	}
	return 0;
}
