/*
 * fuzz_reader.c - libFuzzer target for the .pmt reader: open the input (by
 * index, then scanning and tolerant), read every event merged and per stream,
 * seek, and check. Any crash, leak, sanitizer report or hang is a bug; the
 * reader may refuse the input, never misbehave on it.
 */
#include "pmt.h"

#include <stdint.h>
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
	pmt_reader_check(r);
	for (size_t i = 0; i < in->nlevels; i++)
		pmt_reader_to_ns(r, (uint16_t)i, UINT64_MAX);
	pmt_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = {data, size};
	one(&m, 0);
	one(&m, PMT_OPEN_SCAN | PMT_OPEN_TOLERANT);
	return 0;
}
