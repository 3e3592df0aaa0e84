/*
 * reader.h - the reader's private structures, shared by reader.c (open,
 * description, index, scanning, check) and cursor.c (chunk loading, record
 * decoding, merged iteration). Not installed.
 */
#ifndef PMT_READER_H
#define PMT_READER_H

#include "internal.h"

/* A chunk found through the index or by scanning. */
struct rchunk {
	uint64_t off;           /* offset of its header */
	uint8_t hdr[PMTF_CHUNK_HDR]; /* the header as the index or the scan saw it */
	uint16_t level;
	uint8_t codec;
	uint32_t cpu, count, raw, stored, crc, lost_records;
	uint64_t first_ts, last_ts, lost_events;
	int64_t first_ns, last_ns;
	int stream;
};

/* Per stream: its chunks in file (= time) order. */
struct rstream {
	size_t *chunks;
	size_t nchunks;
	uint32_t max_raw, max_stored;
};

/*
 * Exact clock conversion from a base point (see conv_ns in cursor.c): for
 * base_ts <= ts <= tsmax (the fast range, never empty: it holds base_ts),
 *   time_ns = fc + ts*fq + floor((fr0 + ts*fr) / den)
 * in arithmetic mod 2^64, equal to pmt_clock_to_ns (the range keeps every
 * true intermediate within 64 bits). The division is a multiply-high: mode
 * CONV_WHOLE has no fraction (fr == 0: clocks in ns, fq == 1, or no
 * mapping), CONV_SHORT no whole part (fq == 0: less than a ns per tick) and
 * a multiply and a shift (den <= 2^62; the range keeps fr0 + ts*fr below
 * 2^63), CONV_FULL a multiply and three more steps.
 */
enum { CONV_WHOLE, CONV_SHORT, CONV_FULL };

struct conv {
	const struct pmt_clock *c;
	uint64_t num, den;      /* the mapping reduced by their gcd (0: none) */
	uint64_t q, r;          /* num = q * den + r */
	int mode;               /* CONV_*: fixed per clock */
	uint64_t magic;         /* floor(x / den) from mulhi(x, magic) and */
	unsigned shift;         /* a shift (pmtr_div)                      */
	uint64_t base_ts;       /* raw value of the base point */
	int64_t base_off;       /* floor((base_ts - raw_base) * num / den) */
	uint64_t base_rem;      /* (base_ts - raw_base) * num mod den */
	uint64_t blim;          /* fast range: base_ts <= ts <= base_ts + blim */
	uint64_t tsmax;         /* = base_ts + blim (no wrap) */
	uint64_t fc, fq, fr, fr0; /* the formula above, for this base */
};

#define MAX_DAMAGE 4096

struct pmt_reader {
	pmt_read_fn fn;
	void *opaque;
	int fd;
	unsigned flags;
	struct pmt_info info;
	char **meta_k, **meta_v;
	struct pmt_clock *clocks;
	struct pmt_level *levels;
	struct pmt_binding *bindings;
	struct pmt_task *tasks;
	struct rchunk *chunks;
	size_t nchunks, cap_chunks;
	struct rstream *rs;
	struct pmt_stream_info *streams;
	struct pmt_damage *damage;
	int checked;
	int64_t check_result;
};

void pmtr_damage(pmt_reader *r, uint64_t off, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int pmtr_read(pmt_reader *r, void *buf, size_t len, uint64_t off);
const struct pmt_clock *pmtr_level_clock(pmt_reader *r, uint16_t level);
/* Ready to convert any ts (the base point starts at 0). */
void pmtr_conv_init(struct conv *v, const struct pmt_clock *c);
/* Move the base point to ts (a chunk's first timestamp). */
void pmtr_conv_rebase(struct conv *v, uint64_t ts);
/* pmt_clock_to_ns(c, ts), rebasing when ts is out of the fast range. */
int64_t pmtr_conv_ns(struct conv *v, uint64_t ts);
/* floor(x / v->den) by the multiply (r != 0; x < 2^63 if CONV_SHORT). */
uint64_t pmtr_div(const struct conv *v, uint64_t x);

/* Chunk loading and decoding, shared by cursors and check. */
struct chunkbuf {
	uint8_t *cbuf, *raw;
	size_t ccap, rcap;
	void *inflater;
};
void pmtr_chunkbuf_free(struct chunkbuf *b);
/* Reads, verifies and inflates chunk ci into b->raw; on damage records it and
 * returns <0. */
int pmtr_load_chunk(pmt_reader *r, size_t ci, struct chunkbuf *b);

#endif
