/*
 * cursor.c - chunk loading (read, checksum, inflate), record decoding, the
 * exact incremental clock conversion, per-stream and merged cursors, seek and
 * pmt_reader_check.
 *
 * Hot path: one decoded event per stream lives in the cursor; the merged
 * cursor keeps the streams in a tournament tree of losers keyed by (time_ns,
 * stream): taking an event replays one leaf-to-root path, one comparison per
 * level against the loser stored there (a binary heap needs two comparisons
 * per level, and with many CPUs most events move its root). While the winner
 * stays ahead of its runner-up (a run, as on one busy CPU) its events go out
 * with one comparison each and no replay. A stream advances only on the
 * call after its event was handed out, so the event (and its strings) stay
 * valid until the next call. No allocation per
 * event: each stream owns one compressed and one raw buffer, sized for its
 * largest chunk.
 */
#include "reader.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>
#ifdef HAVE_DEFLATE
#include <libdeflate.h>
#endif

/* ------------------------------------------------------------ clock */

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

void pmtr_conv_init(struct conv *v, const struct pmt_clock *c)
{
	memset(v, 0, sizeof(*v));
	v->c = c;
	v->q = !c || !c->mult_den; /* no mapping: raw ticks are ns */
	if (c && c->mult_den && c->mult_num) {
		/* floor(d * num / den) does not change when both are divided by
		 * their gcd; a small den keeps the exact fast path. */
		uint64_t g = gcd(c->mult_num, c->mult_den);
		v->num = c->mult_num / g;
		v->den = c->mult_den / g;
		v->q = v->num / v->den;
		v->r = v->num % v->den;
		/* Division by an invariant integer, l = ceil(log2 den). */
		unsigned l = v->den >= 2 ? 64 - (unsigned)__builtin_clzll(v->den - 1) : 0;
		if (v->r == 0) {
			v->mode = CONV_WHOLE;
		} else if (v->den <= 1ull << 62 && v->q == 0) {
			/* Less than a ns per tick (a TSC): no whole part.
			 * magic = ceil(2^(63+l) / den) < 2^64 and e = magic *
			 * den - 2^(63+l) < den <= 2^l: for x < 2^63, x * e <
			 * 2^(63+l), so x * magic / 2^(63+l) is x / den plus
			 * less than 1/den, and floor(x / den) is
			 * mulhi(x, magic) >> (l - 1). */
			unsigned __int128 t = (unsigned __int128)1 << (63 + l);
			v->mode = CONV_SHORT;
			v->magic = (uint64_t)(t / v->den) + (t % v->den != 0);
			v->shift = l - 1;
		} else {
			/* Granlund and Montgomery 1994, fig. 4.1: magic =
			 * floor(2^64 (2^l - den) / den) + 1 < 2^64, t =
			 * mulhi(x, magic); floor(x / den) is (t + (x - t) / 2)
			 * >> (l - 1) for every 64-bit x. */
			unsigned __int128 top = ((unsigned __int128)1 << l) - v->den;
			v->mode = CONV_FULL;
			v->magic = (uint64_t)((top << 64) / v->den + 1);
			v->shift = l - 1;
		}
	}
	pmtr_conv_rebase(v, 0);
}

static inline __attribute__((always_inline)) uint64_t div_den(const struct conv *v, uint64_t x,
							      const int mode)
{
	uint64_t t = (uint64_t)(((unsigned __int128)x * v->magic) >> 64);
	if (mode == CONV_SHORT)
		return t >> v->shift;
	return (t + ((x - t) >> 1)) >> v->shift;
}

uint64_t pmtr_div(const struct conv *v, uint64_t x)
{
	return v->mode == CONV_SHORT ? div_den(v, x, CONV_SHORT) : div_den(v, x, CONV_FULL);
}

static inline int64_t add_base(const struct conv *v, int64_t off)
{
	int64_t r;
	if (__builtin_add_overflow(v->c->ref_base_ns, off, &r))
		return off > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* Fast range base_ts..base_ts + blim with time_ns = B + k*q + floor((rem +
 * k*r) / den), B = ref_base_ns + base_off, k = ts - base_ts: the formula of
 * struct conv after moving the base terms into the constants. fq and fr
 * are the clock's q and r at every base, as the decode loop is specialized
 * on the clock's mode. */
static void conv_set(struct conv *v, uint64_t blim, int64_t b, uint64_t rem)
{
	uint64_t ts = v->base_ts;
	if (blim > UINT64_MAX - ts)
		blim = UINT64_MAX - ts; /* ts = base_ts + k never wraps */
	v->blim = blim;
	v->tsmax = ts + blim;
	v->fq = v->q;
	v->fr = v->r;
	v->fc = (uint64_t)b - ts * v->q;
	v->fr0 = rem - ts * v->r;
}

void pmtr_conv_rebase(struct conv *v, uint64_t ts)
{
	v->base_ts = ts;
	if (!v->den) {
		/* No mapping (raw is ns: q 1) or num 0 (the constant
		 * ref_base_ns: q 0), as pmt_clock_to_ns, for every ts. */
		v->base_ts = 0;
		conv_set(v, UINT64_MAX, v->c && v->c->mult_den ? v->c->ref_base_ns : 0, 0);
		return;
	}
	int64_t d = (int64_t)(ts - v->c->raw_base);
	v->base_off = pmtf_muldiv(d, v->num, v->den);
	int64_t b = add_base(v, v->base_off);
	if (v->base_off == INT64_MAX || v->base_off == INT64_MIN || b == INT64_MAX ||
	    b == INT64_MIN) {
		/* Saturated (or about to): only ts == base_ts is fast, where
		 * the fraction's term is floor(0 / den). */
		conv_set(v, 0, b, 0);
		return;
	}
	__int128 p = (__int128)d * v->num;
	__int128 m = p % (__int128)v->den;
	if (m < 0)
		m += v->den;
	v->base_rem = (uint64_t)m;
	/* Steps k <= blim keep every intermediate in range: base_rem + k*r
	 * within 64 bits (63 for the short division); the offset base_off +
	 * k*q + floor(...) <= base_off + k*(q+1) and B plus it within int64
	 * (no saturation, in either order); (ts - raw_base) not wrapping past
	 * INT64_MAX. */
	uint64_t xmax = v->mode == CONV_SHORT ? (1ull << 63) - 1 : UINT64_MAX;
	uint64_t lim = v->r ? (xmax - (v->den - 1)) / v->r : UINT64_MAX;
	uint64_t room = (uint64_t)INT64_MAX - (uint64_t)v->base_off;
	uint64_t room2 = (uint64_t)INT64_MAX - (uint64_t)b;
	if (room2 < room)
		room = room2;
	uint64_t l2 = room > 0 && v->q < UINT64_MAX ? (room - 1) / (v->q + 1) : 0;
	uint64_t l3 = d >= 0 ? (uint64_t)(INT64_MAX - d) : (uint64_t)INT64_MAX;
	uint64_t blim = lim < l2 ? lim : l2;
	if (l3 < blim)
		blim = l3;
	conv_set(v, blim, b, v->base_rem);
}

/* The formula of struct conv, for v->mode (a constant where inlined). */
static inline __attribute__((always_inline)) int64_t conv_fast(const struct conv *v, uint64_t ts,
							       const int mode)
{
	uint64_t t = v->fc;
	if (mode != CONV_SHORT) /* CONV_SHORT: fq is 0 */
		t += ts * v->fq;
	if (mode != CONV_WHOLE)
		t += div_den(v, v->fr0 + ts * v->fr, mode);
	return (int64_t)t;
}

static inline __attribute__((always_inline)) int64_t conv_any(const struct conv *v, uint64_t ts)
{
	switch (v->mode) {
	case CONV_WHOLE:
		return conv_fast(v, ts, CONV_WHOLE);
	case CONV_SHORT:
		return conv_fast(v, ts, CONV_SHORT);
	default:
		return conv_fast(v, ts, CONV_FULL);
	}
}

/* Out of the fast range: rebase there (then k = 0). */
static __attribute__((noinline)) int64_t conv_slow(struct conv *v, uint64_t ts)
{
	pmtr_conv_rebase(v, ts);
	return conv_any(v, ts);
}

/*
 * Same result as pmt_clock_to_ns: time_ns = ref_base_ns + floor((ts -
 * raw_base) * num / den), from the base point: with k = ts - base_ts,
 *   off = base_off + k*q + floor((base_rem + k*r) / den)
 * where the division is a multiply. Each event is computed from the base
 * alone (no chain from event to event). Out of range: rebase.
 */
static inline __attribute__((always_inline)) int64_t conv_ns(struct conv *v, uint64_t ts)
{
	if (ts - v->base_ts > v->blim)
		return conv_slow(v, ts);
	return conv_any(v, ts);
}

int64_t pmtr_conv_ns(struct conv *v, uint64_t ts)
{
	return conv_ns(v, ts);
}

/* ------------------------------------------------------------ chunks */

void pmtr_chunkbuf_free(struct chunkbuf *b)
{
	free(b->cbuf);
	free(b->raw);
#ifdef HAVE_DEFLATE
	if (b->inflater)
		libdeflate_free_decompressor(b->inflater);
#else
	if (b->inflater) {
		inflateEnd(b->inflater);
		free(b->inflater);
	}
#endif
	memset(b, 0, sizeof(*b));
}

static int ensure(uint8_t **p, size_t *cap, size_t n)
{
	if (*cap >= n)
		return 0;
	uint8_t *q = realloc(*p, n);
	if (!q)
		return PMT_ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* Inflates exactly raw bytes from exactly stored bytes, or fails. */
static int inflate_exact(struct chunkbuf *b, const uint8_t *in, uint32_t stored,
			 uint8_t *out, uint32_t raw)
{
#ifdef HAVE_DEFLATE
	if (!b->inflater && !(b->inflater = libdeflate_alloc_decompressor()))
		return PMT_ENOMEM;
	size_t ain = 0, aout = 0;
	enum libdeflate_result res = libdeflate_zlib_decompress_ex(b->inflater, in, stored, out, raw,
								   &ain, &aout);
	return res == LIBDEFLATE_SUCCESS && ain == stored && aout == raw ? 0 : PMT_ECODEC;
#else
	z_stream *z = b->inflater;
	if (!z) {
		z = calloc(1, sizeof(*z));
		if (!z || inflateInit(z) != Z_OK) {
			free(z);
			return PMT_ENOMEM;
		}
		b->inflater = z;
	} else {
		inflateReset(z);
	}
	z->next_in = (Bytef *)in;
	z->avail_in = stored;
	z->next_out = out;
	z->avail_out = raw;
	int zr = inflate(z, Z_FINISH);
	return zr == Z_STREAM_END && z->avail_in == 0 && z->avail_out == 0 ? 0 : PMT_ECODEC;
#endif
}

/* Damage met while loading, kept to be recorded by the consuming thread. */
struct ldmg {
	uint64_t off;
	char what[120];
};

/* Reads, verifies and inflates chunk ci into b->raw. Thread-safe (touches
 * only b and the read callback); damage goes to *dm, not to the reader. */
static int load_chunk(pmt_reader *r, size_t ci, struct chunkbuf *b, struct ldmg *dm)
{
	const struct rchunk *c = &r->chunks[ci];
	uint8_t h[PMTF_CHUNK_HDR];
	int e = pmtr_read(r, h, sizeof(h), c->off);
	if (e == PMT_ENOMEM || e == PMT_EIO)
		return e;
	if (e || memcmp(h, c->hdr, sizeof(h)) != 0) {
		dm->off = c->off;
		snprintf(dm->what, sizeof(dm->what), "chunk header as listed in the index expected");
		return PMT_ECORRUPT;
	}
	if (ensure(&b->raw, &b->rcap, (size_t)c->raw + 16))
		return PMT_ENOMEM;
	uint8_t *in = b->raw;
	if (c->codec != PMTF_CODEC_NONE) {
		if (ensure(&b->cbuf, &b->ccap, c->stored))
			return PMT_ENOMEM;
		in = b->cbuf;
	}
	e = pmtr_read(r, in, c->stored, c->off + PMTF_CHUNK_HDR);
	if (e == PMT_EIO)
		return e;
	dm->off = c->off + PMTF_CHUNK_HDR;
	if (e) {
		snprintf(dm->what, sizeof(dm->what), "chunk payload of %u bytes expected", c->stored);
		return PMT_ETRUNC;
	}
	if (pmtf_crc32(in, c->stored) != c->crc) {
		snprintf(dm->what, sizeof(dm->what),
			 "chunk payload checksum to match (level %u cpu %u, %u records)",
			 c->level, c->cpu, c->count);
		return PMT_ECRC;
	}
	if (c->codec == PMTF_CODEC_ZLIB) {
		e = inflate_exact(b, in, c->stored, b->raw, c->raw);
		if (e == PMT_ENOMEM)
			return e;
		if (e) {
			snprintf(dm->what, sizeof(dm->what),
				 "zlib stream of %u bytes inflating to exactly %u bytes expected",
				 c->stored, c->raw);
			return e;
		}
	}
	memset(b->raw + c->raw, 0, 16);
	return 0;
}

int pmtr_load_chunk(pmt_reader *r, size_t ci, struct chunkbuf *b)
{
	struct ldmg dm;
	int e = load_chunk(r, ci, b, &dm);
	if (e && e != PMT_ENOMEM && e != PMT_EIO)
		pmtr_damage(r, dm.off, e, "%s", dm.what);
	return e;
}

/* ----------------------------------------------------------- decoding */

struct dec {
	const uint8_t *p, *start, *end;
	uint32_t left;            /* records still to decode */
	uint32_t cpu;
	uint64_t ts;
	uint32_t lost_records;
	uint64_t lost_events;
	struct pmtf_ctx ctx;
	char *str;                /* string arena: strings of decoded events */
	size_t strpos;
	size_t strlim;            /* strpos above it: the arena is full */
};

static void dec_start(struct dec *d, const uint8_t *raw, const struct rchunk *c)
{
	d->p = d->start = raw;
	d->end = raw + c->raw;
	d->left = c->count;
	d->cpu = c->cpu;
	d->ts = c->first_ts;
	d->lost_records = 0;
	d->lost_events = 0;
	ctx_reset(&d->ctx);
}

/*
 * A record that starts at least SAFE bytes before the chunk's end cannot
 * read past it in its type, delta and numeric fields (at most 1 + 5 * 10
 * bytes; strings check their length): decoding it with safe set skips the
 * per-varint bounds checks, with the same results. The slow helpers take
 * and return the position (NULL: damaged) so that a decoder copied to
 * locals stays in registers.
 */
#define SAFE 64

/* A varint read by a slow helper: the position after it (NULL: damaged)
 * and its value, returned in registers. */
struct vres {
	const uint8_t *p;
	uint64_t v;
};

/* Varints longer than the fast paths below (and damaged ones). */
static __attribute__((noinline)) struct vres varint_slow(const uint8_t *p, const uint8_t *end)
{
	uint64_t r = 0;
	for (unsigned shift = 0; p < end && shift < 64; shift += 7) {
		uint8_t b = *p++;
		if (shift == 63 && b > 1)
			break;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return (struct vres){p, r};
	}
	return (struct vres){NULL, 0};
}

static inline __attribute__((always_inline)) int get_varint(struct dec *d, uint64_t *v,
							    const int safe)
{
	const uint8_t *p = d->p;
	if ((safe || p < d->end) && *p < 0x80) {
		*v = *p;
		d->p = p + 1;
		return 0;
	}
	if ((safe || d->end - p >= 2) && p[1] < 0x80) {
		*v = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
		d->p = p + 2;
		return 0;
	}
	/* Time deltas between events are mostly 3 or 4 bytes long. */
	if ((safe || d->end - p >= 3) && p[2] < 0x80) {
		*v = (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7 | (uint64_t)p[2] << 14;
		d->p = p + 3;
		return 0;
	}
	if ((safe || d->end - p >= 4) && p[3] < 0x80) {
		*v = (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7 |
		     (uint64_t)(p[2] & 0x7f) << 14 | (uint64_t)p[3] << 21;
		d->p = p + 4;
		return 0;
	}
	struct vres x = varint_slow(p, d->end);
	if (!x.p)
		return -1;
	*v = x.v;
	d->p = x.p;
	return 0;
}

/* 32-bit fields longer than two bytes (tids of a busy host, damage). */
static __attribute__((noinline)) struct vres u32_slow(const uint8_t *p, const uint8_t *end)
{
	if (end - p >= 3 && p[0] >= 0x80 && p[1] >= 0x80 && p[2] < 0x80)
		return (struct vres){p + 3, (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7 |
						    (uint64_t)p[2] << 14};
	struct vres x = varint_slow(p, end);
	if (x.v > UINT32_MAX)
		x.p = NULL;
	return x;
}

static inline __attribute__((always_inline)) int get_u32(struct dec *d, uint32_t *v, const int safe)
{
	const uint8_t *p = d->p;
	if ((safe || p < d->end) && *p < 0x80) {
		*v = *p;
		d->p = p + 1;
		return 0;
	}
	if ((safe || d->end - p >= 2) && p[1] < 0x80) {
		*v = (uint32_t)(p[0] & 0x7f) | (uint32_t)p[1] << 7;
		d->p = p + 2;
		return 0;
	}
	struct vres x = u32_slow(p, d->end);
	if (!x.p)
		return -1;
	*v = (uint32_t)x.v;
	d->p = x.p;
	return 0;
}

static inline __attribute__((always_inline)) int get_str(struct dec *d, struct pmt_str *s,
							 const int safe)
{
	uint32_t n;
	if (get_u32(d, &n, safe) || n > PMT_MAX_STRING || (size_t)(d->end - d->p) < n)
		return -1;
	char *dst = d->str + d->strpos;
	memcpy(dst, d->p, n);
	dst[n] = 0;
	d->p += n;
	d->strpos += (size_t)n + 1;
	s->s = dst;
	s->len = n;
	return 0;
}

#define BAD(msg) do { *why = (msg); return PMT_ECORRUPT; } while (0)
#define U32(dst) do { if (get_u32(d, &(dst), safe)) BAD("varint of at most 32 bits within the chunk expected"); } while (0)
#define U64(dst) do { if (get_varint(d, &(dst), safe)) BAD("varint of at most 64 bits within the chunk expected"); } while (0)
#define STR(dst) do { if (get_str(d, &(dst), safe)) BAD("string of at most 4096 bytes within the chunk expected"); } while (0)

/* Decodes one record into ev (type, ts and fields): 0, or 1 when it was a
 * string that filled the arena (the batch ends after it), or <0. safe: the
 * record starts at least SAFE bytes before the end. The caller counts
 * d->left down for each record decoded. */
static inline __attribute__((always_inline)) int dec_next(struct dec *d, struct pmt_event *ev,
								 const char **why, const int safe)
{
	if (!safe && d->p >= d->end)
		BAD("record within the chunk's raw size expected");
	uint8_t t = *d->p++;
	uint64_t delta;
	U64(delta);
	if (d->ts + delta < d->ts)
		BAD("timestamp within 64 bits expected");
	d->ts += delta;
	ev->ts = d->ts;
	struct pmtf_ctx *x = &d->ctx;
	if (t & PMTF_REC_SWITCH) {
		ev->type = PMT_EV_SWITCH;
		unsigned slot = (t >> 3) & 7;
		if (t & PMTF_SW_PREV_CUR)
			ev->u.sw.prev_tid = x->cur;
		else
			U32(ev->u.sw.prev_tid);
		if (slot == PMTF_TID_EXPLICIT)
			U32(ev->u.sw.next_tid);
		else
			ev->u.sw.next_tid = x->mru[slot];
		if ((t & 7) == 7)
			U32(ev->u.sw.prev_state);
		else
			ev->u.sw.prev_state = t & 7;
		ctx_use(x, slot, ev->u.sw.next_tid);
		x->cur = ev->u.sw.next_tid;
	} else if (t & PMTF_REC_WAKEUP_C) {
		ev->type = PMT_EV_WAKEUP;
		unsigned slot = (t >> 1) & 7;
		if (slot == PMTF_TID_EXPLICIT)
			U32(ev->u.wakeup.tid);
		else
			ev->u.wakeup.tid = x->mru[slot];
		if (t & PMTF_WK_TARGET_CPU)
			ev->u.wakeup.target_cpu = d->cpu;
		else
			U32(ev->u.wakeup.target_cpu);
		if (t & PMTF_WK_WAKER_CUR)
			ev->u.wakeup.waker_tid = x->cur;
		else
			U32(ev->u.wakeup.waker_tid);
		ev->u.wakeup.flags = (t & PMTF_WK_WAKING) ? PMT_WAKE_WAKING : 0;
		ctx_use(x, slot, ev->u.wakeup.tid);
	} else if ((t & 0xf8) == PMTF_REC_MIGRATE_C) {
		ev->type = PMT_EV_MIGRATE;
		unsigned slot = t & 7;
		if (slot == PMTF_TID_EXPLICIT)
			U32(ev->u.migrate.tid);
		else
			ev->u.migrate.tid = x->mru[slot];
		U32(ev->u.migrate.from_cpu);
		U32(ev->u.migrate.to_cpu);
		ctx_use(x, slot, ev->u.migrate.tid);
	} else {
		switch (t) {
		case PMTF_REC_WAKEUP:
			ev->type = PMT_EV_WAKEUP;
			U32(ev->u.wakeup.tid);
			U32(ev->u.wakeup.target_cpu);
			U32(ev->u.wakeup.waker_tid);
			U32(ev->u.wakeup.flags);
			break;
		case PMTF_REC_FORK:
			ev->type = PMT_EV_FORK;
			U32(ev->u.fork.parent_tid);
			U32(ev->u.fork.child_tid);
			U32(ev->u.fork.child_pid);
			U32(ev->u.fork.flags);
			break;
		case PMTF_REC_EXEC:
			ev->type = PMT_EV_EXEC;
			U32(ev->u.exec.tid);
			STR(ev->u.exec.comm);
			return d->strpos > d->strlim;
		case PMTF_REC_EXIT:
			ev->type = PMT_EV_EXIT;
			U32(ev->u.exit.tid);
			break;
		case PMTF_REC_NAME:
			ev->type = PMT_EV_NAME;
			U32(ev->u.name.tid);
			U32(ev->u.name.pid);
			STR(ev->u.name.comm);
			return d->strpos > d->strlim;
		case PMTF_REC_LOST:
			ev->type = PMT_EV_LOST;
			U64(ev->u.lost.count);
			U64(ev->u.lost.span);
			d->lost_records++;
			d->lost_events += ev->u.lost.count;
			break;
		case PMTF_REC_MARKER:
			ev->type = PMT_EV_MARKER;
			STR(ev->u.marker.text);
			return d->strpos > d->strlim;
		case PMTF_REC_HV:
			ev->type = PMT_EV_HV;
			U32(ev->u.hv.kind);
			U32(ev->u.hv.tid);
			U64(ev->u.hv.a);
			U64(ev->u.hv.b);
			break;
		default:
			BAD("record type byte of a defined record (not reserved) expected");
		}
	}
	return 0;
}

/* After the last record: the chunk must end exactly there. */
static int dec_end(const struct dec *d, const struct rchunk *c, const char **why)
{
	if (d->p != d->end)
		BAD("chunk raw size to end at its last record");
	if (d->ts != c->last_ts)
		BAD("last record at the chunk's last_ts");
	if (d->lost_records != c->lost_records || d->lost_events != c->lost_events)
		BAD("lost records adding up to the chunk header's lost counts");
	return 0;
}

/* ------------------------------------------------------------- cursors */

/*
 * Each stream decodes a batch of events at a time (a tight loop, no call per
 * event); the merge hands out pointers into the batches. Strings of a batch's
 * events live in the stream's arena; a batch ends before the arena could
 * overflow, so they stay valid until the stream's next refill, which happens
 * only on the call after its last event was handed out.
 */
#define BATCH 256
#define ARENA (16384 + PMT_MAX_STRING + 1)

struct scur {
	int64_t key;              /* cur->time_ns (the pending stream's only
				     when it stops winning: run_break)       */
	int stream;
	size_t leaf;              /* its leaf in the cursor's tree (K + index) */
	struct pmt_event *cur;    /* the stream's next event, in ev */
	struct pmt_event *end;    /* past the batch's last; cur < end, but for
				     the pending stream cur == end once the
				     hot path stepped onto the sentinel there
				     (time_ns INT64_MAX: never below lim)    */
	const struct rstream *rs;
	size_t ci;                /* next chunk to load (in rs->chunks) */
	const struct rchunk *ch;  /* chunk being decoded */
	struct chunkbuf buf;
	struct dec d;
	struct conv conv;
	struct pmt_event *ev;     /* cap events (at most BATCH) */
	uint32_t cap;
	size_t arena, smax;       /* string arena size; largest string + 1 */
	size_t *sjobs;            /* this stream's jobs, in its chunk order */
	size_t nsjobs, sjpos;
};

/*
 * The loader thread: reads, checks and inflates the chunks a cursor will
 * need next, in the order the merge will need them (first_ns), at most
 * PREFETCH ahead. A job is pending (0), claimed (1: by the loader, or by the
 * cursor which then loads it itself: it never waits for a job nobody
 * started) or done (2, its buffer holds the raw records). Damage found by
 * the loader is recorded by the cursor when it takes the job, so results and
 * damage lists are the same with or without the thread.
 */
#define PREFETCH 4

struct job {
	size_t ci;                /* chunk (index in r->chunks) */
	int state;
	int err;
	struct ldmg dm;
	uint8_t *raw;             /* state 2: the loaded buffer */
	size_t rcap;
};

struct loader {
	pthread_t th;
	int has_thread, stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *jobs;
	size_t njobs, next;       /* next: the loader's scan position */
	int loaded;               /* done jobs not yet taken */
	struct { uint8_t *raw; size_t rcap; } pool[PREFETCH];
	int npool;
	struct chunkbuf cb;       /* the loader's compressed buffer, inflater */
};

struct pmt_cursor {
	pmt_reader *r;
	size_t n;
	struct scur *s;
	struct scur **heap;       /* start/seek: the streams with events, then */
	size_t nheap;             /* built into the tree (tt_build)            */
	struct scur **win;        /* tournament (loser) tree, 1-based: leaf
				     K + i is s[i]; win[j] (0 < j < K) is the
				     loser of the match at node j, between
				     the winners of its two subtrees; win[K..]
				     and win[2K..] are scratch for tt_build   */
	struct scur *top;         /* the overall winner (the next event's), or
				     &none; while a stream is pending, it is */
	size_t K;                 /* leaves: a power of two >= n */
	struct scur none;         /* after every event: key INT64_MAX, stream
				     INT_MAX (a real key INT64_MAX still wins:
				     its stream is smaller)                    */
	struct scur *pending;     /* handed out last: advance on the next call */
	int64_t lim;              /* pending stays the winner while its next
				     key is below lim (its runner-up: the
				     earliest of the losers along its path,
				     which do not move while it wins);
				     INT64_MIN: not known, replay            */
	const struct scur *rerun; /* the last stream that won again after a
				     replay (when to learn lim)              */
	int started;
	int err;
	struct loader *ld;        /* NULL: everything on the calling thread */
};

static void *loader_main(void *arg)
{
	pmt_cursor *c = arg;
	struct loader *ld = c->ld;
	pthread_mutex_lock(&ld->mu);
	while (!ld->stop) {
		while (ld->next < ld->njobs && ld->jobs[ld->next].state != 0)
			ld->next++;
		if (ld->next >= ld->njobs)
			break;
		if (ld->loaded >= PREFETCH || ld->npool == 0) {
			pthread_cond_wait(&ld->cv, &ld->mu);
			continue;
		}
		struct job *j = &ld->jobs[ld->next++];
		j->state = 1;
		ld->npool--;
		ld->cb.raw = ld->pool[ld->npool].raw;
		ld->cb.rcap = ld->pool[ld->npool].rcap;
		ld->loaded++;
		pthread_mutex_unlock(&ld->mu);
		j->err = load_chunk(c->r, j->ci, &ld->cb, &j->dm);
		pthread_mutex_lock(&ld->mu);
		j->raw = ld->cb.raw;
		j->rcap = ld->cb.rcap;
		ld->cb.raw = NULL;
		ld->cb.rcap = 0;
		j->state = 2;
		pthread_cond_broadcast(&ld->cv);
	}
	pthread_cond_broadcast(&ld->cv);
	pthread_mutex_unlock(&ld->mu);
	return NULL;
}

/* Stops and joins the loader; done jobs' buffers go back to the pool. */
static void loader_join(pmt_cursor *c)
{
	struct loader *ld = c->ld;
	if (!ld || !ld->has_thread)
		return;
	pthread_mutex_lock(&ld->mu);
	ld->stop = 1;
	pthread_cond_broadcast(&ld->cv);
	pthread_mutex_unlock(&ld->mu);
	pthread_join(ld->th, NULL);
	ld->has_thread = 0;
	for (size_t i = 0; i < ld->njobs; i++) {
		struct job *j = &ld->jobs[i];
		if (j->state == 2 && j->raw) {
			ld->pool[ld->npool].raw = j->raw;
			ld->pool[ld->npool].rcap = j->rcap;
			ld->npool++;
			j->raw = NULL;
		}
	}
	free(ld->jobs);
	ld->jobs = NULL;
	ld->njobs = ld->next = 0;
	ld->loaded = 0;
	for (size_t i = 0; i < c->n; i++) {
		free(c->s[i].sjobs);
		c->s[i].sjobs = NULL;
		c->s[i].nsjobs = c->s[i].sjpos = 0;
	}
}

struct jkey {
	int64_t first_ns;
	size_t scur, pos;
};

static int cmp_jkey(const void *a, const void *b)
{
	const struct jkey *x = a, *y = b;
	if (x->first_ns != y->first_ns)
		return x->first_ns < y->first_ns ? -1 : 1;
	if (x->scur != y->scur)
		return x->scur < y->scur ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Starts the loader on the chunks the streams still need (from their ci),
 * in the order of their first timestamps. Without it (one chunk, the
 * PMT_OPEN_ONE_THREAD flag, no memory, no thread) all loads stay here. */
static void loader_start(pmt_cursor *c)
{
	pmt_reader *r = c->r;
	if (r->flags & PMT_OPEN_ONE_THREAD)
		return;
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += c->s[i].rs->nchunks - c->s[i].ci;
	if (n < 2)
		return;
	if (!c->ld) {
		struct loader *ld = calloc(1, sizeof(*ld));
		if (!ld)
			return;
		if (pthread_mutex_init(&ld->mu, NULL)) {
			free(ld);
			return;
		}
		if (pthread_cond_init(&ld->cv, NULL)) {
			pthread_mutex_destroy(&ld->mu);
			free(ld);
			return;
		}
		ld->npool = PREFETCH;
		c->ld = ld;
	}
	struct loader *ld = c->ld;
	struct jkey *k = malloc(n * sizeof(*k));
	ld->jobs = calloc(n, sizeof(*ld->jobs));
	int ok = k && ld->jobs;
	size_t m = 0;
	for (size_t i = 0; ok && i < c->n; i++) {
		struct scur *s = &c->s[i];
		s->nsjobs = s->rs->nchunks - s->ci;
		s->sjpos = 0;
		s->sjobs = malloc((s->nsjobs ? s->nsjobs : 1) * sizeof(*s->sjobs));
		if (!s->sjobs) {
			ok = 0;
			break;
		}
		for (size_t p = s->ci; p < s->rs->nchunks; p++) {
			k[m].first_ns = r->chunks[s->rs->chunks[p]].first_ns;
			k[m].scur = i;
			k[m].pos = p;
			m++;
		}
	}
	if (ok) {
		qsort(k, n, sizeof(*k), cmp_jkey);
		for (size_t i = 0; i < c->n; i++)
			c->s[i].nsjobs = 0;
		for (size_t j = 0; j < n; j++) {
			struct scur *s = &c->s[k[j].scur];
			ld->jobs[j].ci = s->rs->chunks[k[j].pos];
			s->sjobs[s->nsjobs++] = j;
		}
		ld->njobs = n;
		ld->next = 0;
		ld->loaded = 0;
		ld->stop = 0;
		ok = pthread_create(&ld->th, NULL, loader_main, c) == 0;
	}
	free(k);
	if (ok) {
		ld->has_thread = 1;
		return;
	}
	free(ld->jobs);
	ld->jobs = NULL;
	ld->njobs = 0;
	for (size_t i = 0; i < c->n; i++) {
		free(c->s[i].sjobs);
		c->s[i].sjobs = NULL;
		c->s[i].nsjobs = c->s[i].sjpos = 0;
	}
}

/* The stream's next chunk (index ci in r->chunks) into s->buf: from the
 * loader when it has it or is on it, else loaded here. Damage is recorded
 * here, in the cursor's order. */
static int take_chunk(pmt_cursor *c, struct scur *s, size_t ci)
{
	struct loader *ld = c->ld;
	if (!ld || !ld->has_thread || s->sjpos >= s->nsjobs || ld->jobs[s->sjobs[s->sjpos]].ci != ci)
		return pmtr_load_chunk(c->r, ci, &s->buf);
	struct job *j = &ld->jobs[s->sjobs[s->sjpos++]];
	pthread_mutex_lock(&ld->mu);
	if (j->state == 0) {
		j->state = 1;
		pthread_mutex_unlock(&ld->mu);
		return pmtr_load_chunk(c->r, ci, &s->buf);
	}
	while (j->state == 1)
		pthread_cond_wait(&ld->cv, &ld->mu);
	ld->pool[ld->npool].raw = s->buf.raw;
	ld->pool[ld->npool].rcap = s->buf.rcap;
	ld->npool++;
	s->buf.raw = j->raw;
	s->buf.rcap = j->rcap;
	j->raw = NULL;
	ld->loaded--;
	pthread_cond_broadcast(&ld->cv);
	pthread_mutex_unlock(&ld->mu);
	if (j->err && j->err != PMT_ENOMEM && j->err != PMT_EIO)
		pmtr_damage(c->r, j->dm.off, j->err, "%s", j->dm.what);
	return j->err;
}

static void loader_free(pmt_cursor *c)
{
	struct loader *ld = c->ld;
	if (!ld)
		return;
	loader_join(c);
	for (int i = 0; i < ld->npool; i++)
		free(ld->pool[i].raw);
	pmtr_chunkbuf_free(&ld->cb);
	pthread_cond_destroy(&ld->cv);
	pthread_mutex_destroy(&ld->mu);
	free(ld);
	c->ld = NULL;
}

/*
 * The batch's last time is past the fast range: from the first event past
 * it on, convert each with the checks (rebasing as needed). The events
 * before it were right, and ts never decreases within the batch.
 */
static __attribute__((noinline)) void conv_fixup(struct scur *s, uint32_t n)
{
	struct conv *v = &s->conv;
	struct pmt_event *ev = s->ev;
	uint32_t i = 0;
	while (i < n && ev[i].ts <= v->tsmax)
		i++;
	for (; i < n; i++)
		ev[i].time_ns = ev[i].ts <= v->tsmax ? conv_any(v, ev[i].ts) : conv_slow(v, ev[i].ts);
}

/*
 * Decodes up to max records of the current chunk into s->ev and converts
 * their times; stops early on damage (*e, *why) or after a string that
 * leaves the arena no room for another. The decoder runs on a copy in
 * locals (no memory traffic per field), without bounds checks while a
 * record starts SAFE bytes before the end. Its ts never decreases from the
 * chunk's first_ts, where the conversion's base point is, so the fast
 * formula holds for the whole batch when it holds for its last event: the
 * times are computed unchecked (modular arithmetic, no undefined result)
 * and fixed up in the rare other case. mode: the clock's (conv.mode).
 */
static inline __attribute__((always_inline)) uint32_t decode_batch(struct scur *s, uint32_t max,
								   int *e, const char **why,
								   const int mode)
{
	struct dec l = s->d;
	const struct conv cv = s->conv; /* a copy in registers */
	struct pmt_event *ev = s->ev, *ev_end = s->ev + max;
	const uint8_t *safe_end = l.end - l.p > SAFE ? l.end - SAFE : l.p;
	int r = 0;
	/* r: 0 (the common case, tested once), 1 (the arena is full: the
	 * batch ends after this event), <0 (damage). */
	while (ev < ev_end && l.p < safe_end) {
		if (__builtin_expect((r = dec_next(&l, ev, why, 1)) != 0, 0))
			goto rare;
		ev->time_ns = conv_fast(&cv, l.ts, mode);
		ev++;
	}
	while (ev < ev_end) {
		if (__builtin_expect((r = dec_next(&l, ev, why, 0)) != 0, 0))
			goto rare;
		ev->time_ns = conv_fast(&cv, l.ts, mode);
		ev++;
	}
	goto out;
rare:
	if (r > 0) {
		ev->time_ns = conv_fast(&cv, l.ts, mode);
		ev++;
		r = 0;
	}
out:
	*e = r;
	uint32_t n = (uint32_t)(ev - s->ev);
	if (n && ev[-1].ts > cv.tsmax)
		conv_fixup(s, n);
	l.left -= n;
	s->d = l;
	return n;
}

/* 1: a new batch in s->ev[0..n); 0: stream done; <0 error. */
static int refill(pmt_cursor *c, struct scur *s)
{
	pmt_reader *r = c->r;
	s->cur = s->end = s->ev;
	s->d.strpos = 0;
	s->d.strlim = s->arena - s->smax;
	for (;;) {
		if (s->d.left == 0) {
			if (s->ci >= s->rs->nchunks)
				return 0;
			size_t ci = s->rs->chunks[s->ci++];
			int e = take_chunk(c, s, ci);
			if (e) {
				if (e == PMT_ENOMEM || e == PMT_EIO || !(r->flags & PMT_OPEN_TOLERANT))
					return e;
				continue;
			}
			s->ch = &r->chunks[ci];
			dec_start(&s->d, s->buf.raw, s->ch);
			pmtr_conv_rebase(&s->conv, s->ch->first_ts);
		}
		struct dec *d = &s->d;
		struct pmt_event *ev = s->ev;
		uint32_t n, max = d->left < s->cap ? d->left : s->cap;
		const char *why = NULL;
		int e = 0;
		switch (s->conv.mode) {
		case CONV_WHOLE:
			n = decode_batch(s, max, &e, &why, CONV_WHOLE);
			break;
		case CONV_SHORT:
			n = decode_batch(s, max, &e, &why, CONV_SHORT);
			break;
		default:
			n = decode_batch(s, max, &e, &why, CONV_FULL);
			break;
		}
		if (!e && d->left == 0)
			e = dec_end(d, s->ch, &why);
		if (e) {
			pmtr_damage(r, s->ch->off, e, "record %u of the chunk: %s", s->ch->count - d->left, why);
			d->left = 0;
			if (!(r->flags & PMT_OPEN_TOLERANT))
				return e;
			n = 0; /* drop the damaged chunk's batch */
			continue;
		}
		if (n) {
			s->end = ev + n;
			ev[n].time_ns = INT64_MAX; /* the sentinel */
			s->key = ev[0].time_ns;
			return 1;
		}
	}
}

static inline int before(const struct scur *a, const struct scur *b)
{
	return a->key < b->key || (a->key == b->key && a->stream < b->stream);
}

/* The winner's leaf j now holds x (its stream after the key changed, or
 * &none): replay the path to the root against the losers stored there (the
 * winners of the sibling subtrees, as the old winner beat them); returns
 * the new winner. Only the winner ever moves, which a loser tree needs. */
static inline struct scur *tt_replay(pmt_cursor *c, size_t j, struct scur *x)
{
	struct scur **w = c->win;
	while ((j >>= 1) != 0) {
		struct scur *y = w[j];
		if (before(y, x)) {
			w[j] = x;
			x = y;
		}
	}
	return x;
}

/* The tree over the nheap streams listed in heap (the others are out):
 * each node's winner bottom-up (in win[2K + j]), its loser kept at it. */
static void tt_build(pmt_cursor *c)
{
	struct scur **w = c->win;
	size_t K = c->K;
	struct scur **wn = w + 2 * K;
	for (size_t i = 0; i < K; i++)
		w[K + i] = &c->none;
	for (size_t k = 0; k < c->nheap; k++)
		w[c->heap[k]->leaf] = c->heap[k];
	for (size_t j = K; j-- > 1;) {
		struct scur *a = 2 * j >= K ? w[2 * j] : wn[2 * j];
		struct scur *b = 2 * j + 1 >= K ? w[2 * j + 1] : wn[2 * j + 1];
		if (before(b, a)) {
			wn[j] = b;
			w[j] = a;
		} else {
			wn[j] = a;
			w[j] = b;
		}
	}
	c->top = K > 1 ? wn[1] : w[1];
}

static void sc_reset(struct scur *s)
{
	s->ci = 0;
	s->ch = NULL;
	s->d.left = 0;
	s->cur = s->end = s->ev;
}

static void cursor_free(pmt_cursor *c)
{
	loader_free(c);
	for (size_t i = 0; i < c->n; i++) {
		pmtr_chunkbuf_free(&c->s[i].buf);
		free(c->s[i].ev);
		free(c->s[i].d.str);
	}
	free(c->s);
	free(c->heap);
	free(c->win);
	free(c);
}

static pmt_cursor *cursor_new(pmt_reader *r, const uint8_t *want, int single, int *err)
{
	pmt_cursor *c = calloc(1, sizeof(*c));
	size_t n = 0;
	if (!c)
		goto nomem;
	c->r = r;
	for (size_t i = 0; i < r->info.nstreams; i++)
		if (single >= 0 ? (int)i == single : (!want || want[i]))
			n++;
	c->s = calloc(n ? n : 1, sizeof(*c->s));
	c->heap = calloc(n ? n : 1, sizeof(*c->heap));
	for (c->K = 1; c->K < n; c->K *= 2)
		;
	c->win = malloc(3 * c->K * sizeof(*c->win));
	if (!c->s || !c->heap || !c->win)
		goto nomem;
	c->none.key = INT64_MAX;
	c->none.stream = INT_MAX;
	c->lim = INT64_MIN;
	for (size_t j = 0; j < 3 * c->K; j++)
		c->win[j] = &c->none; /* empty until start or seek */
	c->top = &c->none;
	for (size_t i = 0; i < r->info.nstreams; i++) {
		if (!(single >= 0 ? (int)i == single : (!want || want[i])))
			continue;
		struct scur *s = &c->s[c->n];
		s->leaf = c->K + c->n++;
		s->stream = (int)i;
		s->rs = &r->rs[i];
		/* Sized by what the stream holds, so that many tiny streams
		 * cost memory in proportion to the file. A string is never
		 * longer than its chunk. */
		uint64_t nev = r->streams[i].events;
		uint32_t max_raw = s->rs->max_raw;
		s->cap = nev < BATCH ? (uint32_t)(nev ? nev : 1) : BATCH;
		s->smax = (max_raw < PMT_MAX_STRING ? max_raw : PMT_MAX_STRING) + 1;
		s->arena = (max_raw < ARENA - (PMT_MAX_STRING + 1) ? max_raw : ARENA - (PMT_MAX_STRING + 1)) + s->smax;
		s->ev = calloc(s->cap + 1, sizeof(*s->ev)); /* and a sentinel */
		s->d.str = malloc(s->arena);
		if (!s->ev || !s->d.str)
			goto nomem;
		for (uint32_t k = 0; k <= s->cap; k++) {
			s->ev[k].level = r->streams[i].level;
			s->ev[k].cpu = r->streams[i].cpu;
		}
		pmtr_conv_init(&s->conv, pmtr_level_clock(r, r->streams[i].level));
	}
	if (err)
		*err = 0;
	return c;
nomem:
	if (c)
		cursor_free(c);
	if (err)
		*err = PMT_ENOMEM;
	return NULL;
}

pmt_cursor *pmt_cursor_open_stream(pmt_reader *r, int stream, int *err)
{
	if (!r || stream < 0 || (size_t)stream >= r->info.nstreams) {
		if (err)
			*err = PMT_EINVAL;
		return NULL;
	}
	return cursor_new(r, NULL, stream, err);
}

pmt_cursor *pmt_cursor_open_merged(pmt_reader *r, const uint8_t *want, int *err)
{
	if (!r) {
		if (err)
			*err = PMT_EINVAL;
		return NULL;
	}
	return cursor_new(r, want, -1, err);
}

static int start(pmt_cursor *c)
{
	c->nheap = 0;
	loader_start(c);
	for (size_t i = 0; i < c->n; i++) {
		int e = refill(c, &c->s[i]);
		if (e < 0)
			return e;
		if (e > 0)
			c->heap[c->nheap++] = &c->s[i];
	}
	tt_build(c);
	c->started = 1;
	c->pending = NULL;
	c->lim = INT64_MIN;
	return 0;
}

/*
 * The key below which winner p (pending, so the tree is settled) keeps
 * winning while only it moves: the runner-up is the earliest of the losers
 * along its path (each lost to p once and none of them moves until p loses).
 * A tie goes to the smaller stream: p keeps a tie only if its stream is.
 * Saturates to INT64_MAX, which only costs a replay at that key.
 */
static inline int64_t run_limit(const pmt_cursor *c, const struct scur *p)
{
	struct scur *const *w = c->win;
	const struct scur *m = &c->none;
	for (size_t j = p->leaf >> 1; j != 0; j >>= 1) {
		const struct scur *y = w[j];
		m = before(y, m) ? y : m;
	}
	if (p->stream < m->stream)
		return m->key < INT64_MAX ? m->key + 1 : INT64_MAX;
	return m->key;
}

/* Everything but the pending stream's next decoded event: errors, start,
 * refills, the end. Kept apart so that the hot path needs no saved
 * registers. */
static __attribute__((noinline)) const struct pmt_event *next_slow(pmt_cursor *c, int *err)
{
	if (!c) {
		if (err)
			*err = PMT_EINVAL;
		return NULL;
	}
	int e = c->err;
	if (e)
		goto fail;
	struct scur *s = c->pending;
	if (s) {
		/* Its cur was advanced by the hot path (onto the sentinel). */
		c->pending = NULL;
		if (s->cur < s->end) {
			s->key = s->cur->time_ns;
			c->top = tt_replay(c, s->leaf, s);
		} else {
			e = refill(c, s);
			if (e < 0)
				goto fail;
			c->top = tt_replay(c, s->leaf, e ? s : &c->none);
		}
	} else if (!c->started) {
		if ((e = start(c)) < 0)
			goto fail;
	}
	if (err)
		*err = 0;
	if (c->top == &c->none)
		return NULL;
	s = c->pending = c->top;
	c->lim = run_limit(c, s);
	return s->cur;
fail:
	c->err = e;
	if (err)
		*err = e;
	return NULL;
}

/* The pending stream p stepped onto an event whose key is not below the
 * limit, or onto the sentinel at its batch's end: replay its path; if it
 * still wins, maybe learn its new limit. Apart from the hot path, which
 * then needs no stack frame (a tail call). */
static __attribute__((noinline)) const struct pmt_event *run_break(pmt_cursor *c, struct scur *p,
								    int64_t key, int *err)
{
	if (p->cur == p->end)
		return next_slow(c, err);
	p->key = key;
	struct scur *x = tt_replay(c, p->leaf, p);
	c->pending = x;
	if (x != p) {
		c->lim = INT64_MIN;
		return x->cur;
	}
	/* Learn the limit on a stream's second win in a row of two (runs of
	 * one, common with many busy CPUs, cost no walk; a long run pays one
	 * more replay). */
	c->lim = c->rerun == p ? run_limit(c, p) : INT64_MIN;
	c->rerun = p;
	return p->cur;
}

const struct pmt_event *pmt_cursor_next(pmt_cursor *c, int *err)
{
	/* Fast path: the stream handed out last steps to its next decoded
	 * event (a pending stream implies no error). While its keys stay below
	 * the runner-up's (a run: one busy CPU) the tree needs no change; the
	 * batch's end is a sentinel key that always breaks the run. */
	struct scur *p;
	if (c && (p = c->pending) != NULL) {
		const struct pmt_event *ev = ++p->cur;
		int64_t key = ev->time_ns;
		if (err)
			*err = 0;
		if (key >= c->lim)
			return run_break(c, p, key, err);
		return ev;
	}
	return next_slow(c, err);
}

size_t pmt_cursor_next_batch(pmt_cursor *c, const struct pmt_event **ev, size_t max, int *err)
{
	size_t n = 0;
	if (err)
		*err = 0;
	while (n < max) {
		struct scur *p = c ? c->pending : NULL;
		if (p) {
			/* a run: the steps of pmt_cursor_next's fast path, with
			 * the stream's position and limit kept in registers (the
			 * batch's sentinel key always ends the run) */
			struct pmt_event *x = p->cur;
			const int64_t lim = c->lim;
			if (x[1].time_ns < lim) {
				size_t k = n;
				do
					ev[k++] = ++x;
				while (k < max && x[1].time_ns < lim);
				p->cur = x;
				n = k;
				continue;
			}
			/* the pending stream's batch is done: its refill would
			 * overwrite events already handed out in this batch */
			if (x + 1 == p->end && n)
				break;
		}
		int e = 0;
		const struct pmt_event *x = pmt_cursor_next(c, &e);
		if (!x) {
			if (err)
				*err = n ? 0 : e; /* an error comes with the next call */
			break;
		}
		ev[n++] = x;
	}
	return n;
}

int pmt_cursor_seek(pmt_cursor *c, int64_t t_ns)
{
	if (!c)
		return PMT_EINVAL;
	pmt_reader *r = c->r;
	c->err = 0;
	c->nheap = 0;
	c->pending = NULL;
	c->lim = INT64_MIN;
	loader_join(c);
	for (size_t i = 0; i < c->n; i++) {
		struct scur *s = &c->s[i];
		sc_reset(s);
		/* First chunk that may hold an event at or after t. */
		size_t lo = 0, hi = s->rs->nchunks;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (r->chunks[s->rs->chunks[mid]].last_ns < t_ns)
				lo = mid + 1;
			else
				hi = mid;
		}
		s->ci = lo;
		int e;
		while ((e = refill(c, s)) > 0) {
			while (s->cur < s->end && s->cur->time_ns < t_ns)
				s->cur++;
			if (s->cur < s->end)
				break;
		}
		if (e < 0) {
			c->err = e;
			return e;
		}
		if (e > 0) {
			s->key = s->cur->time_ns;
			c->heap[c->nheap++] = s;
		}
	}
	tt_build(c);
	c->started = 1;
	loader_start(c);
	return 0;
}

void pmt_cursor_close(pmt_cursor *c)
{
	if (c)
		cursor_free(c);
}

/* --------------------------------------------------------------- check */

int64_t pmt_reader_check(pmt_reader *r)
{
	if (!r)
		return PMT_EINVAL;
	if (r->checked)
		return r->check_result;
	struct chunkbuf b = {0};
	struct dec *d = calloc(1, sizeof(*d));
	struct pmt_event ev;
	if (!d || !(d->str = malloc(PMT_MAX_STRING + 1))) {
		free(d);
		return PMT_ENOMEM;
	}
	for (size_t i = 0; i < r->nchunks; i++) {
		const struct rchunk *c = &r->chunks[i];
		if (c->stream < 0)
			continue; /* already reported at open */
		int e = pmtr_load_chunk(r, i, &b);
		if (e == PMT_ENOMEM || e == PMT_EIO) {
			pmtr_chunkbuf_free(&b);
			free(d->str);
			free(d);
			return e;
		}
		if (e)
			continue;
		dec_start(d, b.raw, c);
		const char *why = NULL;
		d->strlim = SIZE_MAX;
		while (d->left && (d->strpos = 0, !(e = dec_next(d, &ev, &why, 0))))
			d->left--;
		if (!e)
			e = dec_end(d, c, &why);
		if (e)
			pmtr_damage(r, c->off, e, "record %u of the chunk: %s", c->count - d->left, why);
	}
	pmtr_chunkbuf_free(&b);
	free(d->str);
	free(d);
	r->checked = 1;
	r->check_result = (int64_t)r->info.ndamage;
	return r->check_result;
}
