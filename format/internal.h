/*
 * internal.h - what the modules of libpmt share and nothing outside format/ may
 * include: the on-disk constants (docs/FORMAT.md), little-endian and varint
 * helpers, the record context both the encoder and the decoder keep, and the
 * reader's private structures.
 *
 * On-disk values are spelled PMTF_* and never reuse the in-memory enums of
 * pmt.h: changing an enum there must not change a file.
 */
#ifndef PMT_INTERNAL_H
#define PMT_INTERNAL_H

#include "pmt.h"

#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------ file layout */

#define PMTF_MAGIC "\x89PMT\r\n\x1a\n"
#define PMTF_MAGIC_LEN 8
#define PMTF_CANARY 0x0123456789abcdefull
#define PMTF_FILE_HDR 32u   /* file header bytes                          */
#define PMTF_SECT_HDR 24u   /* section block header                       */
#define PMTF_CHUNK_HDR 64u  /* chunk block header                         */
#define PMTF_INDEX_HDR 32u  /* index block header                         */
#define PMTF_INDEX_ENT 72u  /* index entry: u64 offset + chunk header copy */
#define PMTF_TRAILER 32u    /* trailer, the file's last bytes             */

/* Block tags: the first four bytes of each block, read as a LE u32. */
#define PMTF_TAG(a, b, c, d) \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define PMTF_TAG_SECT PMTF_TAG('S', 'E', 'C', 'T')
#define PMTF_TAG_CHUNK PMTF_TAG('C', 'H', 'N', 'K')
#define PMTF_TAG_INDEX PMTF_TAG('I', 'N', 'D', 'X')
#define PMTF_TAG_TRAILER PMTF_TAG('T', 'R', 'L', 'R')

/* Section types. */
#define PMTF_SECT_META 1u
#define PMTF_SECT_CLOCKS 2u
#define PMTF_SECT_LEVELS 3u
#define PMTF_SECT_BINDINGS 4u
#define PMTF_SECT_TASKS 5u

/* Codecs on disk. */
#define PMTF_CODEC_NONE 0u
#define PMTF_CODEC_ZLIB 1u

/* Section strings: u32 length + bytes. */
#define PMTF_MAX_SECT_STRING 65535u

/*
 * Record type bytes (first byte of every record; docs/FORMAT.md "Records").
 *   1PNNNSSS  switch: P prev is the running entity, N next's tid code,
 *             S prev_state (7: explicit varint)
 *   01WCNNNK  wakeup: W waker is the running entity, C target is this CPU,
 *             N tid code, K flags = PMT_WAKE_WAKING (else 0)
 *   00100NNN  migrate: N tid code
 *   0000xxxx  the others, fields all explicit
 */
#define PMTF_REC_SWITCH 0x80u
#define PMTF_REC_WAKEUP_C 0x40u
#define PMTF_REC_MIGRATE_C 0x20u
#define PMTF_REC_WAKEUP 0x01u
#define PMTF_REC_FORK 0x02u
#define PMTF_REC_EXEC 0x03u
#define PMTF_REC_EXIT 0x04u
#define PMTF_REC_NAME 0x05u
#define PMTF_REC_LOST 0x06u
#define PMTF_REC_MARKER 0x07u
#define PMTF_REC_HV 0x08u

#define PMTF_SW_PREV_CUR 0x40u
#define PMTF_WK_WAKER_CUR 0x20u
#define PMTF_WK_TARGET_CPU 0x10u
#define PMTF_WK_WAKING 0x01u

/* Tid codes: 0..6 a slot of the recent-tid table, 7 an explicit varint. */
#define PMTF_MRU 7
#define PMTF_TID_EXPLICIT 7u

/* Largest encoded record: type, delta, four u64 varints, a string. */
#define PMTF_MAX_RECORD (1 + 10 + 4 * 10 + 5 + PMT_MAX_STRING)

/* -------------------------------------------------------------- helpers */

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static inline void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

/* LEB128: returns bytes written (1..10). */
static inline unsigned put_varint(uint8_t *p, uint64_t v)
{
	unsigned n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Recent-tid table (move to front) kept per stream and per chunk. */
struct pmtf_ctx {
	uint32_t cur;             /* next of the last switch in this chunk */
	uint32_t mru[PMTF_MRU];
};

static inline void ctx_reset(struct pmtf_ctx *c) { memset(c, 0, sizeof(*c)); }

/* Slot of tid in the table, or PMTF_TID_EXPLICIT. */
static inline unsigned ctx_find(const struct pmtf_ctx *c, uint32_t tid)
{
	for (unsigned i = 0; i < PMTF_MRU; i++)
		if (c->mru[i] == tid)
			return i;
	return PMTF_TID_EXPLICIT;
}

/* Move tid to the front; slot is its position or PMTF_TID_EXPLICIT. */
static inline void ctx_use(struct pmtf_ctx *c, unsigned slot, uint32_t tid)
{
	uint32_t *m = c->mru;
	/* Straight-line moves (a jump table) rather than a loop: the decoder's
	 * hottest few instructions. Slot 1 first, without the table: two
	 * tasks taking turns on a CPU. */
	if (slot == 1) {
		m[1] = m[0];
		m[0] = tid;
		return;
	}
	switch (slot) {
	default: m[6] = m[5]; /* fallthrough */
	case 5: m[5] = m[4]; /* fallthrough */
	case 4: m[4] = m[3]; /* fallthrough */
	case 3: m[3] = m[2]; /* fallthrough */
	case 2: m[2] = m[1]; /* fallthrough */
	case 1: m[1] = m[0]; /* fallthrough */
	case 0: break;
	}
	m[0] = tid;
}

uint32_t pmtf_crc32(const void *buf, size_t len);
/* Exact floor(a * b / c) for the clock mapping (128-bit intermediates). */
int64_t pmtf_muldiv(int64_t d, uint64_t num, uint64_t den);

#endif
