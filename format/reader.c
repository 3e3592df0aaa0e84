/*
 * reader.c - opening a .pmt file: the file header, the description sections,
 * the footer index, recovery by scanning when there is no valid footer, the
 * stream table, info and check. Chunk contents are cursor.c's.
 *
 * Everything read is distrusted: each length and count is checked against the
 * file size and the limits of pmt.h before anything is allocated for it, and
 * each damaged place is recorded with its offset and what was expected.
 */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* -------------------------------------------------------------- damage */

void pmtr_damage(pmt_reader *r, uint64_t off, int code, const char *fmt, ...)
{
	size_t n = r->info.ndamage;
	if (n >= MAX_DAMAGE)
		return;
	if ((n & (n - 1)) == 0) { /* grows at powers of two: 1, 2, 4... */
		struct pmt_damage *d = realloc(r->damage, (n ? 2 * n : 1) * sizeof(*d));
		if (!d)
			return;
		r->damage = d;
		r->info.damage = d;
	}
	struct pmt_damage *d = &r->damage[r->info.ndamage++];
	d->offset = off;
	d->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->what, sizeof(d->what), fmt, ap);
	va_end(ap);
}

int pmtr_read(pmt_reader *r, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	while (got < len) {
		int64_t n = r->fn(r->opaque, (uint8_t *)buf + got, len - got, off + got);
		if (n < 0)
			return PMT_EIO;
		if (n == 0)
			return PMT_ETRUNC;
		got += (size_t)n;
	}
	return 0;
}

static int64_t fd_read(void *opaque, void *buf, size_t len, uint64_t off)
{
	int fd = *(int *)opaque;
	for (;;) {
		ssize_t n = pread(fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? PMT_EIO : n;
	}
}

/* ----------------------------------------------------- section parsing */

struct sp {
	const uint8_t *p, *end;
	int bad;
};

static const uint8_t *sp_take(struct sp *s, size_t n)
{
	if (s->bad || (size_t)(s->end - s->p) < n) {
		s->bad = 1;
		return NULL;
	}
	const uint8_t *q = s->p;
	s->p += n;
	return q;
}
static uint16_t sp16(struct sp *s) { const uint8_t *q = sp_take(s, 2); return q ? rd16(q) : 0; }
static uint32_t sp32(struct sp *s) { const uint8_t *q = sp_take(s, 4); return q ? rd32(q) : 0; }
static uint64_t sp64(struct sp *s) { const uint8_t *q = sp_take(s, 8); return q ? rd64(q) : 0; }
static char *spstr(struct sp *s, uint32_t max)
{
	uint32_t n = sp32(s);
	if (n > max)
		s->bad = 1;
	const uint8_t *q = sp_take(s, n);
	if (!q)
		return NULL;
	char *d = malloc((size_t)n + 1);
	if (!d) {
		s->bad = 2;
		return NULL;
	}
	memcpy(d, q, n);
	d[n] = 0;
	return d;
}

/* Grow *arr to hold n+1 elements of size sz. */
static int grow(void *arr, size_t n, size_t sz)
{
	void **a = arr;
	if ((n & (n - 1)) == 0 || n < 8) { /* capacity doubles at powers of two */
		size_t cap = n < 8 ? 8 : n * 2;
		void *p = realloc(*a, cap * sz);
		if (!p)
			return PMT_ENOMEM;
		*a = p;
	}
	return 0;
}

static int apply_section_(pmt_reader *r, uint16_t type, const uint8_t *body, uint32_t len,
			  const char **why);

/* Returns 0, or a code with *why set. The info's arrays are the reader's
 * again afterwards, on every path: a section that fails part way (the
 * reader goes on with --tolerant) may have appended entries, and moved its
 * array when it grew. */
static int apply_section(pmt_reader *r, uint16_t type, const uint8_t *body, uint32_t len,
			 const char **why)
{
	int e = apply_section_(r, type, body, len, why);
	struct pmt_info *in = &r->info;
	in->meta_keys = (const char *const *)r->meta_k;
	in->meta_values = (const char *const *)r->meta_v;
	in->clocks = r->clocks;
	in->levels = r->levels;
	in->bindings = r->bindings;
	in->tasks = r->tasks;
	return e;
}

static int apply_section_(pmt_reader *r, uint16_t type, const uint8_t *body, uint32_t len,
			  const char **why)
{
	struct sp s = {body, body + len, 0};
	struct pmt_info *in = &r->info;
	uint32_t n = sp32(&s);
	switch (type) {
	case PMTF_SECT_META:
		for (uint32_t i = 0; i < n && !s.bad; i++) {
			char *k = spstr(&s, PMTF_MAX_SECT_STRING), *v = spstr(&s, PMTF_MAX_SECT_STRING);
			if (s.bad) {
				free(k);
				free(v);
				break;
			}
			size_t j;
			for (j = 0; j < in->nmeta; j++)
				if (strcmp(r->meta_k[j], k) == 0)
					break;
			if (j < in->nmeta) {
				free(k);
				free(r->meta_v[j]);
				r->meta_v[j] = v;
				continue;
			}
			if (grow(&r->meta_k, in->nmeta, sizeof(char *)) ||
			    grow(&r->meta_v, in->nmeta, sizeof(char *))) {
				free(k);
				free(v);
				return PMT_ENOMEM;
			}
			r->meta_k[in->nmeta] = k;
			r->meta_v[in->nmeta] = v;
			in->nmeta++;
		}
		in->meta_keys = (const char *const *)r->meta_k;
		in->meta_values = (const char *const *)r->meta_v;
		break;
	case PMTF_SECT_CLOCKS:
		for (uint32_t i = 0; i < n && !s.bad; i++) {
			struct pmt_clock c;
			uint16_t id = sp16(&s);
			if (sp16(&s) != 0) {
				*why = "reserved clock field (zero) expected";
				return PMT_ERESERVED;
			}
			c.flags = sp32(&s);
			c.freq_hz = sp64(&s);
			c.raw_base = sp64(&s);
			c.ref_base_ns = (int64_t)sp64(&s);
			c.mult_num = sp64(&s);
			c.mult_den = sp64(&s);
			c.uncertainty_ns = sp64(&s);
			char *name = spstr(&s, PMTF_MAX_SECT_STRING);
			if (s.bad)
				break;
			c.name = name;
			if (c.mult_num == 0 || c.mult_den == 0 || id > in->nclocks) {
				free(name);
				*why = id > in->nclocks ? "clock id at most the number of clocks expected"
							: "nonzero clock multiplier expected";
				return PMT_ECORRUPT;
			}
			if (id < in->nclocks) {
				free((char *)r->clocks[id].name);
				r->clocks[id] = c;
				continue;
			}
			if (in->nclocks >= 0xffff || grow(&r->clocks, in->nclocks, sizeof(c))) {
				free(name);
				return in->nclocks >= 0xffff ? PMT_ELIMIT : PMT_ENOMEM;
			}
			r->clocks[in->nclocks++] = c;
		}
		in->clocks = r->clocks;
		break;
	case PMTF_SECT_LEVELS:
		for (uint32_t i = 0; i < n && !s.bad; i++) {
			struct pmt_level l;
			memset(&l, 0, sizeof(l));
			l.id = sp16(&s);
			l.kind = sp16(&s);
			l.clock = sp16(&s);
			uint16_t has_topo = sp16(&s);
			l.guest_id = (int32_t)sp32(&s);
			l.ncpus = sp32(&s);
			if (s.bad)
				break;
			if (l.id != in->nlevels || in->nlevels >= PMT_MAX_LEVELS) {
				*why = in->nlevels >= PMT_MAX_LEVELS ? "at most 256 levels expected"
								     : "level ids in order expected";
				return in->nlevels >= PMT_MAX_LEVELS ? PMT_ELIMIT : PMT_ECORRUPT;
			}
			if (l.ncpus == 0 || l.ncpus > PMT_MAX_CPUS) {
				*why = "1 to 4096 CPUs per level expected";
				return PMT_ELIMIT;
			}
			if (has_topo > 1 || l.kind > PMT_LEVEL_GUEST) {
				*why = has_topo > 1 ? "topology flag 0 or 1 expected" : "level kind 0 or 1 expected";
				return PMT_ECORRUPT;
			}
			char *name = spstr(&s, PMTF_MAX_SECT_STRING);
			struct pmt_cpu_topo *topo = NULL;
			if (has_topo && !s.bad) {
				if ((size_t)(s.end - s.p) < (size_t)l.ncpus * 20) {
					s.bad = 1;
				} else if (!(topo = malloc(l.ncpus * sizeof(*topo)))) {
					s.bad = 2;
				} else {
					for (uint32_t c = 0; c < l.ncpus; c++) {
						topo[c].package = (int32_t)sp32(&s);
						topo[c].die = (int32_t)sp32(&s);
						topo[c].core = (int32_t)sp32(&s);
						topo[c].thread = (int32_t)sp32(&s);
						topo[c].node = (int32_t)sp32(&s);
					}
				}
			}
			if (s.bad || grow(&r->levels, in->nlevels, sizeof(l))) {
				free(name);
				free(topo);
				if (!s.bad)
					return PMT_ENOMEM;
				break;
			}
			l.name = name;
			l.topo = topo;
			r->levels[in->nlevels++] = l;
		}
		in->levels = r->levels;
		break;
	case PMTF_SECT_BINDINGS:
		for (uint32_t i = 0; i < n && !s.bad; i++) {
			struct pmt_binding b;
			b.guest_level = sp16(&s);
			b.host_level = sp16(&s);
			b.guest_cpu = sp32(&s);
			b.host_tid = sp32(&s);
			if (s.bad)
				break;
			if (grow(&r->bindings, in->nbindings, sizeof(b)))
				return PMT_ENOMEM;
			r->bindings[in->nbindings++] = b;
		}
		in->bindings = r->bindings;
		break;
	case PMTF_SECT_TASKS:
		for (uint32_t i = 0; i < n && !s.bad; i++) {
			struct pmt_task t;
			t.level = sp16(&s);
			if (sp16(&s) != 0 && !s.bad) {
				*why = "reserved task field (zero) expected";
				return PMT_ERESERVED;
			}
			t.tid = sp32(&s);
			t.pid = sp32(&s);
			t.flags = sp32(&s);
			char *comm = spstr(&s, PMTF_MAX_SECT_STRING);
			if (s.bad)
				break;
			if (grow(&r->tasks, in->ntasks, sizeof(t))) {
				free(comm);
				return PMT_ENOMEM;
			}
			t.comm = comm;
			r->tasks[in->ntasks++] = t;
		}
		in->tasks = r->tasks;
		break;
	default:
		return 0; /* unknown types are skipped */
	}
	if (s.bad == 2)
		return PMT_ENOMEM;
	if (s.bad) {
		*why = "section entries within the section's length expected";
		return PMT_ECORRUPT;
	}
	if (s.p != s.end) {
		*why = "section to end after its last entry";
		return PMT_ECORRUPT;
	}
	return 0;
}

/* ------------------------------------------------------ block headers */

static const char *tag_name(uint32_t tag)
{
	switch (tag) {
	case PMTF_TAG_SECT: return "section";
	case PMTF_TAG_CHUNK: return "chunk";
	case PMTF_TAG_INDEX: return "index";
	case PMTF_TAG_TRAILER: return "trailer";
	}
	return "block";
}

static uint32_t hdr_len(uint32_t tag)
{
	switch (tag) {
	case PMTF_TAG_SECT: return PMTF_SECT_HDR;
	case PMTF_TAG_CHUNK: return PMTF_CHUNK_HDR;
	case PMTF_TAG_INDEX: return PMTF_INDEX_HDR;
	case PMTF_TAG_TRAILER: return PMTF_TRAILER;
	}
	return 0;
}

/* Checks a block header whose bytes are in h (hdr_len(tag) of them).
 * Returns 0 or a code with *why set. */
static int check_hdr(const uint8_t *h, const char **why)
{
	uint32_t tag = rd32(h), n = hdr_len(tag);
	if (!n) {
		*why = "block tag SECT, CHNK, INDX or TRLR expected";
		return PMT_ECORRUPT;
	}
	if (rd32(h + n - 4) != pmtf_crc32(h, n - 4)) {
		*why = "block header checksum to match";
		return PMT_ECRC;
	}
	switch (tag) {
	case PMTF_TAG_SECT:
		if (rd16(h + 6) || rd32(h + 16)) {
			*why = "reserved section header fields (zero) expected";
			return PMT_ERESERVED;
		}
		if (rd32(h + 8) > PMT_MAX_SECTION) {
			*why = "section length at most 64 MiB expected";
			return PMT_ELIMIT;
		}
		return 0;
	case PMTF_TAG_CHUNK: {
		uint8_t codec = h[6];
		uint32_t count = rd32(h + 12), raw = rd32(h + 32), stored = rd32(h + 36);
		if (h[7] || rd32(h + 56)) {
			*why = "reserved chunk header fields (zero) expected";
			return PMT_ERESERVED;
		}
		if (codec > PMTF_CODEC_ZLIB) {
			*why = "chunk codec 0 (none) or 1 (zlib) expected";
			return PMT_ECODEC;
		}
		if (raw > PMT_MAX_CHUNK_RAW) {
			*why = "chunk raw size at most 64 MiB expected";
			return PMT_ELIMIT;
		}
		if (count == 0 || raw / 2 < count || rd32(h + 44) > count ||
		    rd64(h + 16) > rd64(h + 24)) {
			*why = "chunk with 1 to raw/2 records and first_ts <= last_ts expected";
			return PMT_ECORRUPT;
		}
		/* deflate cannot expand more than 1032:1: a larger claim is a bomb. */
		if ((codec == PMTF_CODEC_NONE && stored != raw) ||
		    (codec == PMTF_CODEC_ZLIB && (stored < 8 || (uint64_t)raw > (uint64_t)stored * 1032 + 64))) {
			*why = "chunk stored size consistent with its raw size and codec expected";
			return PMT_ELIMIT;
		}
		return 0;
	}
	case PMTF_TAG_INDEX:
		if (rd32(h + 4)) {
			*why = "reserved index header field (zero) expected";
			return PMT_ERESERVED;
		}
		return 0;
	default:
		if (rd32(h + 4) || rd32(h + 24)) {
			*why = "reserved trailer fields (zero) expected";
			return PMT_ERESERVED;
		}
		return 0;
	}
}

static void chunk_from_hdr(struct rchunk *c, uint64_t off, const uint8_t *h)
{
	memset(c, 0, sizeof(*c));
	c->off = off;
	memcpy(c->hdr, h, PMTF_CHUNK_HDR);
	c->level = rd16(h + 4);
	c->codec = h[6];
	c->cpu = rd32(h + 8);
	c->count = rd32(h + 12);
	c->first_ts = rd64(h + 16);
	c->last_ts = rd64(h + 24);
	c->raw = rd32(h + 32);
	c->stored = rd32(h + 36);
	c->crc = rd32(h + 40);
	c->lost_records = rd32(h + 44);
	c->lost_events = rd64(h + 48);
	c->stream = -1;
}

static int add_chunk(pmt_reader *r, uint64_t off, const uint8_t *h)
{
	if (r->nchunks == r->cap_chunks) {
		size_t cap = r->cap_chunks ? r->cap_chunks * 2 : 64;
		struct rchunk *p = realloc(r->chunks, cap * sizeof(*p));
		if (!p)
			return PMT_ENOMEM;
		r->chunks = p;
		r->cap_chunks = cap;
	}
	chunk_from_hdr(&r->chunks[r->nchunks++], off, h);
	return 0;
}

/* State of an open in progress. */
struct opening {
	int fatal;              /* first fatal error */
	char *msg;
	size_t msglen;
	int chunk_seen;         /* sections after a chunk are late: not fatal */
};

static void fail(pmt_reader *r, struct opening *o, uint64_t off, int code, const char *what)
{
	if (o->fatal)
		return;
	o->fatal = code;
	if (o->msg && o->msglen)
		snprintf(o->msg, o->msglen, "offset %llu: %s", (unsigned long long)off, what);
	(void)r;
}

/* Reads and applies the section whose header is at off. Returns bytes taken
 * (header + body), 0 when the file ends inside it, <0 on a fatal error. */
static int64_t read_section(pmt_reader *r, struct opening *o, uint64_t off, const uint8_t *h)
{
	uint32_t len = rd32(h + 8);
	uint64_t size = r->info.file_size;
	if (off + PMTF_SECT_HDR + len > size)
		return 0;
	uint8_t *body = malloc(len ? len : 1);
	if (!body)
		return PMT_ENOMEM;
	int e = pmtr_read(r, body, len, off + PMTF_SECT_HDR);
	const char *why = NULL;
	if (e) {
		free(body);
		return e;
	}
	if (pmtf_crc32(body, len) != rd32(h + 12)) {
		e = PMT_ECRC;
		why = "section body checksum to match";
	} else {
		e = apply_section(r, rd16(h + 4), body, len, &why);
	}
	free(body);
	if (e == PMT_ENOMEM)
		return e;
	if (e) {
		char what[120];
		snprintf(what, sizeof(what), "%s (section type %u)", why, rd16(h + 4));
		pmtr_damage(r, off, e, "%s", what);
		if (!o->chunk_seen && !(r->flags & PMT_OPEN_TOLERANT)) {
			fail(r, o, off, e, what);
			return e;
		}
	}
	return (int64_t)PMTF_SECT_HDR + len;
}

/* ---------------------------------------------------------------- index */

/* Opens through the footer. Returns 0, or a code with where/why set; the
 * reader's description is untouched on failure before sections are read. */
static int try_index(pmt_reader *r, struct opening *o, uint64_t *where, const char **why)
{
	uint64_t size = r->info.file_size;
	uint8_t t[PMTF_TRAILER], h[PMTF_INDEX_HDR];
	*where = size >= PMTF_TRAILER ? size - PMTF_TRAILER : 0;
	*why = "trailer at the end of the file expected";
	if (size < PMTF_FILE_HDR + PMTF_INDEX_HDR + PMTF_TRAILER)
		return PMT_ETRUNC;
	int e = pmtr_read(r, t, sizeof(t), size - PMTF_TRAILER);
	if (e)
		return e;
	if (rd32(t) != PMTF_TAG_TRAILER)
		return PMT_ETRUNC;
	if ((e = check_hdr(t, why)))
		return e;
	uint64_t ioff = rd64(t + 8);
	if (ioff < PMTF_FILE_HDR || ioff > size - PMTF_TRAILER - PMTF_INDEX_HDR) {
		*why = "index offset inside the file expected";
		return PMT_ECORRUPT;
	}
	*where = ioff;
	if ((e = pmtr_read(r, h, sizeof(h), ioff)))
		return e;
	if (rd32(h) != PMTF_TAG_INDEX) {
		*why = "index block (INDX) at the trailer's index offset expected";
		return PMT_ECORRUPT;
	}
	if ((e = check_hdr(h, why)))
		return e;
	uint64_t body = size - PMTF_TRAILER - ioff - PMTF_INDEX_HDR;
	uint64_t nsect = rd64(h + 8), nch = rd64(h + 16);
	if (nsect > body / 8 || nch > body / PMTF_INDEX_ENT || nsect * 8 + nch * PMTF_INDEX_ENT != body) {
		*why = "index entries to fill the index exactly";
		return PMT_ECORRUPT;
	}
	uint8_t *b = malloc(body ? body : 1);
	if (!b)
		return PMT_ENOMEM;
	if ((e = pmtr_read(r, b, body, ioff + PMTF_INDEX_HDR))) {
		free(b);
		return e;
	}
	if (pmtf_crc32(b, body) != rd32(h + 24)) {
		free(b);
		*why = "index checksum to match";
		return PMT_ECRC;
	}
	/* Validate every entry before using any. */
	uint64_t prev = 0;
	for (uint64_t i = 0; i < nsect; i++) {
		uint64_t so = rd64(b + i * 8);
		if (so < (i ? prev + PMTF_SECT_HDR : PMTF_FILE_HDR) || so > ioff - PMTF_SECT_HDR) {
			*where = ioff + PMTF_INDEX_HDR + i * 8;
			*why = "section offsets increasing and before the index expected";
			free(b);
			return PMT_ECORRUPT;
		}
		prev = so;
	}
	const uint8_t *ent = b + nsect * 8;
	prev = 0;
	for (uint64_t i = 0; i < nch; i++, ent += PMTF_INDEX_ENT) {
		uint64_t co = rd64(ent);
		const uint8_t *ch = ent + 8;
		*where = ioff + PMTF_INDEX_HDR + nsect * 8 + i * PMTF_INDEX_ENT;
		if (rd32(ch) != PMTF_TAG_CHUNK || (e = check_hdr(ch, why)) != 0) {
			if (!e)
				*why = "chunk header copy in the index entry expected";
			free(b);
			return e ? e : PMT_ECORRUPT;
		}
		if (co < (i ? prev : PMTF_FILE_HDR) || co > ioff ||
		    ioff - co < PMTF_CHUNK_HDR + (uint64_t)rd32(ch + 36)) {
			*why = "chunk offsets increasing, chunks before the index expected";
			free(b);
			return PMT_ECORRUPT;
		}
		prev = co + PMTF_CHUNK_HDR + rd32(ch + 36);
	}
	/* The index is sound: read the sections, then take the chunks. */
	for (uint64_t i = 0; i < nsect; i++) {
		uint64_t so = rd64(b + i * 8);
		uint8_t sh[PMTF_SECT_HDR];
		const char *w2 = NULL;
		if ((e = pmtr_read(r, sh, sizeof(sh), so)) == 0 && rd32(sh) == PMTF_TAG_SECT &&
		    (e = check_hdr(sh, &w2)) == 0) {
			/* Late sections follow chunks: a damaged one is not fatal. */
			o->chunk_seen = nch && so > rd64(b + nsect * 8);
			int64_t n = read_section(r, o, so, sh);
			if (n < 0) {
				free(b);
				return n == PMT_ENOMEM ? n : 1; /* fatal already set */
			}
			continue;
		}
		if (e == PMT_EIO) {
			free(b);
			return e;
		}
		char what[120];
		snprintf(what, sizeof(what), "section header (%s)",
			 w2 ? w2 : "tag SECT expected");
		pmtr_damage(r, so, e ? e : PMT_ECORRUPT, "%s", what);
		if (!(r->flags & PMT_OPEN_TOLERANT)) {
			fail(r, o, so, e ? e : PMT_ECORRUPT, what);
			free(b);
			return 1;
		}
	}
	ent = b + nsect * 8;
	for (uint64_t i = 0; i < nch; i++, ent += PMTF_INDEX_ENT) {
		if ((e = add_chunk(r, rd64(ent), ent + 8))) {
			free(b);
			return e;
		}
	}
	free(b);
	r->info.indexed = 1;
	return 0;
}

/* ------------------------------------------------------------- scanning */

/* Offset of the next valid block header at or after from, or size. */
static uint64_t resync(pmt_reader *r, uint64_t from)
{
	uint64_t size = r->info.file_size;
	enum { WIN = 1 << 16 };
	uint8_t *buf = malloc(WIN + 64);
	if (!buf)
		return size;
	uint64_t found = size;
	for (uint64_t base = from; base + 4 <= size && found == size; base += WIN) {
		size_t n = size - base < WIN + 64 ? (size_t)(size - base) : WIN + 64;
		if (pmtr_read(r, buf, n, base))
			break;
		size_t lim = n < WIN ? n : WIN;
		for (size_t i = 0; i < lim && i + 4 <= n; i++) {
			uint32_t hl = hdr_len(rd32(buf + i));
			if (!hl || base + i + hl > size)
				continue;
			uint8_t h[PMTF_CHUNK_HDR];
			const char *why;
			if (pmtr_read(r, h, hl, base + i) == 0 && check_hdr(h, &why) == 0) {
				found = base + i;
				break;
			}
		}
	}
	free(buf);
	return found;
}

/* Scans blocks from the end of the file header. Returns 1 when it ended at a
 * valid trailer, 0 otherwise, <0 on a fatal error. */
static int scan(pmt_reader *r, struct opening *o)
{
	uint64_t size = r->info.file_size, off = PMTF_FILE_HDR;
	while (off < size) {
		uint64_t avail = size - off;
		uint8_t h[PMTF_CHUNK_HDR];
		const char *why = NULL;
		int e;
		if (avail < 4) {
			pmtr_damage(r, off, PMT_ETRUNC, "block header expected, file ends after %llu bytes",
				    (unsigned long long)avail);
			return 0;
		}
		if ((e = pmtr_read(r, h, 4, off)))
			return e;
		uint32_t tag = rd32(h), hl = hdr_len(tag);
		if (hl && avail < hl) {
			pmtr_damage(r, off, PMT_ETRUNC, "%s header of %u bytes expected, file ends after %llu bytes",
				    tag_name(tag), hl, (unsigned long long)avail);
			return 0;
		}
		if (hl && (e = pmtr_read(r, h, hl, off)))
			return e;
		if (!hl || (e = check_hdr(h, &why)) != 0) {
			if (hl)
				pmtr_damage(r, off, e, "%s header: %s", tag_name(tag), why);
			else
				pmtr_damage(r, off, PMT_ECORRUPT, "block header (SECT, CHNK, INDX or TRLR) expected");
			uint64_t next = resync(r, off + 1);
			if (next >= size)
				return 0;
			off = next;
			continue;
		}
		switch (tag) {
		case PMTF_TAG_SECT: {
			int64_t n = read_section(r, o, off, h);
			if (n < 0)
				return (int)n;
			if (n == 0) {
				pmtr_damage(r, off, PMT_ETRUNC, "section body of %u bytes expected, file ends after %llu",
					    rd32(h + 8), (unsigned long long)(avail - PMTF_SECT_HDR));
				return 0;
			}
			off += (uint64_t)n;
			break;
		}
		case PMTF_TAG_CHUNK: {
			uint32_t stored = rd32(h + 36);
			if (avail - PMTF_CHUNK_HDR < stored) {
				pmtr_damage(r, off, PMT_ETRUNC,
					    "chunk of %u records (level %u cpu %u): payload of %u bytes expected, file ends after %llu",
					    rd32(h + 12), rd16(h + 4), rd32(h + 8), stored,
					    (unsigned long long)(avail - PMTF_CHUNK_HDR));
				return 0;
			}
			if ((e = add_chunk(r, off, h)))
				return e;
			o->chunk_seen = 1;
			off += PMTF_CHUNK_HDR + stored;
			break;
		}
		case PMTF_TAG_INDEX: {
			uint64_t nsect = rd64(h + 8), nch = rd64(h + 16);
			uint64_t room = avail - PMTF_INDEX_HDR;
			if (nsect > room / 8 || nch > room / PMTF_INDEX_ENT || nsect * 8 + nch * PMTF_INDEX_ENT > room) {
				pmtr_damage(r, off, PMT_ETRUNC, "index of %llu entries expected, file ends first",
					    (unsigned long long)(nsect + nch));
				return 0;
			}
			off += PMTF_INDEX_HDR + nsect * 8 + nch * PMTF_INDEX_ENT;
			break;
		}
		default: /* trailer */
			if (avail == PMTF_TRAILER)
				return 1;
			pmtr_damage(r, off, PMT_ECORRUPT, "trailer at the end of the file expected");
			off += PMTF_TRAILER;
			break;
		}
	}
	return 0;
}

/* ------------------------------------------------------------- finishing */

const struct pmt_clock *pmtr_level_clock(pmt_reader *r, uint16_t level)
{
	if (level >= r->info.nlevels)
		return NULL;
	uint16_t c = r->levels[level].clock;
	return c < r->info.nclocks ? &r->clocks[c] : NULL;
}

static int cmp_chunk(const void *a, const void *b, void *arg)
{
	const struct rchunk *ch = arg;
	const struct rchunk *x = &ch[*(const size_t *)a], *y = &ch[*(const size_t *)b];
	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int finish(pmt_reader *r, struct opening *o)
{
	struct pmt_info *in = &r->info;
	for (size_t i = 0; i < in->nlevels; i++)
		if (r->levels[i].clock >= in->nclocks) {
			pmtr_damage(r, 0, PMT_ECORRUPT, "level %zu: a defined clock expected", i);
			if (!(r->flags & PMT_OPEN_TOLERANT)) {
				fail(r, o, 0, PMT_ECORRUPT, "clock of a level defined in a clocks section expected");
				return PMT_ECORRUPT;
			}
		}
	/* Sort chunk ids by stream, then offset. */
	size_t *ord = malloc((r->nchunks ? r->nchunks : 1) * sizeof(*ord));
	if (!ord)
		return PMT_ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < r->nchunks; i++) {
		struct rchunk *c = &r->chunks[i];
		if (c->level >= in->nlevels || c->cpu >= r->levels[c->level].ncpus) {
			pmtr_damage(r, c->off, PMT_ECORRUPT, "chunk of a defined level and CPU expected (level %u cpu %u)",
				    c->level, c->cpu);
			continue;
		}
		const struct pmt_clock *k = pmtr_level_clock(r, c->level);
		c->first_ns = pmt_clock_to_ns(k, c->first_ts);
		c->last_ns = pmt_clock_to_ns(k, c->last_ts);
		ord[n++] = i;
	}
	qsort_r(ord, n, sizeof(*ord), cmp_chunk, r->chunks);
	size_t ns = 0; /* streams: runs of equal (level, cpu) in ord */
	for (size_t i = 0; i < n; i++) {
		const struct rchunk *a = &r->chunks[ord[i]];
		const struct rchunk *b = i ? &r->chunks[ord[i - 1]] : NULL;
		if (!b || a->level != b->level || a->cpu != b->cpu)
			ns++;
	}
	r->streams = calloc(ns ? ns : 1, sizeof(*r->streams));
	r->rs = calloc(ns ? ns : 1, sizeof(*r->rs));
	if (!r->streams || !r->rs) {
		free(ord);
		return PMT_ENOMEM;
	}
	int s = -1;
	in->first_ns = INT64_MAX;
	in->last_ns = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		struct rchunk *c = &r->chunks[ord[i]];
		struct pmt_stream_info *si = s >= 0 ? &r->streams[s] : NULL;
		if (!si || si->level != c->level || si->cpu != c->cpu) {
			s++;
			si = &r->streams[s];
			si->level = c->level;
			si->cpu = c->cpu;
			si->first_ts = c->first_ts;
			si->first_ns = c->first_ns;
			r->rs[s].chunks = &ord[i]; /* a slice of ord, compacted below */
		} else if (c->first_ts < si->last_ts) {
			pmtr_damage(r, c->off, PMT_EORDER,
				    "chunk starting at or after its stream's previous chunk (ts %llu) expected",
				    (unsigned long long)si->last_ts);
			continue;
		}
		struct rstream *rs = &r->rs[s];
		rs->chunks[rs->nchunks++] = ord[i]; /* never ahead of i: in place */
		c->stream = s;
		si->chunks++;
		si->events += c->count;
		si->lost_events += c->lost_events;
		si->lost_records += c->lost_records;
		si->last_ts = c->last_ts;
		si->last_ns = c->last_ns;
		if (c->raw > rs->max_raw)
			rs->max_raw = c->raw;
		if (c->stored > rs->max_stored)
			rs->max_stored = c->stored;
		in->events += c->count;
		in->lost_events += c->lost_events;
	}
	in->nstreams = (size_t)(s + 1);
	for (size_t i = 0; i < in->nstreams; i++) {
		if (r->streams[i].first_ns < in->first_ns)
			in->first_ns = r->streams[i].first_ns;
		if (r->streams[i].last_ns > in->last_ns)
			in->last_ns = r->streams[i].last_ns;
	}
	if (in->nstreams == 0)
		in->first_ns = in->last_ns = 0;
	/* ord stays owned through rs[0].chunks (every slice points into it). */
	if (in->nstreams == 0)
		free(ord);
	in->streams = r->streams;
	return 0;
}

/* ---------------------------------------------------------------- open */

static void reader_free(pmt_reader *r)
{
	struct pmt_info *in = &r->info;
	for (size_t i = 0; i < in->nmeta; i++) {
		free(r->meta_k[i]);
		free(r->meta_v[i]);
	}
	free(r->meta_k);
	free(r->meta_v);
	for (size_t i = 0; i < in->nclocks; i++)
		free((char *)r->clocks[i].name);
	free(r->clocks);
	for (size_t i = 0; i < in->nlevels; i++) {
		free((char *)r->levels[i].name);
		free((void *)r->levels[i].topo);
	}
	free(r->levels);
	free(r->bindings);
	for (size_t i = 0; i < in->ntasks; i++)
		free((char *)r->tasks[i].comm);
	free(r->tasks);
	free(r->chunks);
	if (r->rs && in->nstreams)
		free(r->rs[0].chunks);
	free(r->rs);
	free(r->streams);
	free(r->damage);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

void pmt_reader_close(pmt_reader *r)
{
	if (r)
		reader_free(r);
}

pmt_reader *pmt_reader_open_cb(pmt_read_fn fn, void *opaque, uint64_t size,
			       unsigned flags, int *err, char *msg, size_t msglen)
{
	struct opening o = {0, msg, msglen, 0};
	if (msg && msglen)
		msg[0] = 0;
	if (!fn) {
		if (err)
			*err = PMT_EINVAL;
		return NULL;
	}
	pmt_reader *r = calloc(1, sizeof(*r));
	if (!r) {
		if (err)
			*err = PMT_ENOMEM;
		return NULL;
	}
	r->fn = fn;
	r->opaque = opaque;
	r->fd = -1;
	r->flags = flags;
	r->info.file_size = size;
	int e = 0;
	uint8_t h[PMTF_FILE_HDR];
	size_t have = size < PMTF_FILE_HDR ? (size_t)size : PMTF_FILE_HDR;
	if ((e = pmtr_read(r, h, have, 0))) {
		fail(r, &o, 0, e, "file header readable");
		goto out;
	}
	if (memcmp(h, PMTF_MAGIC, have < PMTF_MAGIC_LEN ? have : PMTF_MAGIC_LEN) != 0 || size == 0) {
		fail(r, &o, 0, PMT_EMAGIC, "magic \\x89PMT\\r\\n\\x1a\\n expected (not a .pmt file)");
		goto out;
	}
	if (size < PMTF_FILE_HDR) {
		char what[100];
		snprintf(what, sizeof(what), "file header of 32 bytes expected, file has %llu",
			 (unsigned long long)size);
		fail(r, &o, size, PMT_ETRUNC, what);
		goto out;
	}
	r->info.version_major = rd16(h + 8);
	r->info.version_minor = rd16(h + 10);
	if (rd64(h + 16) != PMTF_CANARY) {
		fail(r, &o, 16, rd64(h + 16) == __builtin_bswap64(PMTF_CANARY) ? PMT_EENDIAN : PMT_ECORRUPT,
		     "endianness canary 0x0123456789abcdef (little-endian) expected");
		goto out;
	}
	if (r->info.version_major != PMT_VERSION_MAJOR) {
		char what[100];
		snprintf(what, sizeof(what), "format version 1.x expected, file has %u.%u",
			 r->info.version_major, r->info.version_minor);
		fail(r, &o, 8, PMT_EVERSION, what);
		goto out;
	}
	if (rd32(h + 28) != pmtf_crc32(h, 28)) {
		fail(r, &o, 28, PMT_ECRC, "file header checksum to match");
		goto out;
	}
	if (rd32(h + 12) != 0 || rd32(h + 24) != PMTF_FILE_HDR) {
		fail(r, &o, 12, PMT_ERESERVED, "zero flags and header size 32 expected");
		goto out;
	}
	uint64_t where = 0;
	const char *why = NULL;
	int ie = PMT_ENOENT;
	if (!(flags & PMT_OPEN_SCAN)) {
		ie = try_index(r, &o, &where, &why);
		if (ie == PMT_ENOMEM || ie == PMT_EIO || o.fatal) {
			e = ie;
			goto out;
		}
	}
	if (ie != 0) {
		int clean = scan(r, &o);
		if (clean < 0 || o.fatal) {
			e = clean;
			goto out;
		}
		if (!clean) {
			r->info.recovered = 1;
			if (r->info.ndamage == 0)
				pmtr_damage(r, size, PMT_ETRUNC, "index and trailer expected, file ends without them");
		} else if (!(flags & PMT_OPEN_SCAN)) {
			/* A valid trailer but no usable index: the index is damaged. */
			pmtr_damage(r, where, ie, "%s", why ? why : "usable index expected");
			r->info.recovered = 1;
		}
	}
	if ((e = finish(r, &o)) != 0 || o.fatal)
		goto out;
	if (err)
		*err = 0;
	return r;
out:
	if (!o.fatal)
		fail(r, &o, 0, e ? e : PMT_ECORRUPT, e == PMT_ENOMEM ? "memory for the file's description" : "readable file");
	if (err)
		*err = o.fatal;
	reader_free(r);
	return NULL;
}

pmt_reader *pmt_reader_open_ex(const char *path, unsigned flags, int *err, char *msg, size_t msglen)
{
	if (msg && msglen)
		msg[0] = 0;
	if (!path) {
		if (err)
			*err = PMT_EINVAL;
		return NULL;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	/* en: why open or fstat failed; 0 when the file is just not regular
	 * (errno may hold an older caller's error then) */
	int en = fd < 0 || fstat(fd, &st) != 0 ? errno : 0;
	if (en || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		if (msg && msglen)
			snprintf(msg, msglen, "%s", en == 0 ? "a regular file expected" : strerror(en));
		if (err)
			*err = PMT_EIO;
		return NULL;
	}
	int *fdp = malloc(sizeof(int));
	if (!fdp) {
		close(fd);
		if (err)
			*err = PMT_ENOMEM;
		return NULL;
	}
	*fdp = fd;
	pmt_reader *r = pmt_reader_open_cb(fd_read, fdp, (uint64_t)st.st_size, flags, err, msg, msglen);
	if (!r) {
		close(fd);
		free(fdp);
		return NULL;
	}
	/* The reader owns the descriptor; keep it where fd_read looks. */
	r->fd = fd;
	free(fdp);
	r->opaque = &r->fd;
	return r;
}

pmt_reader *pmt_reader_open(const char *path, unsigned flags, int *err)
{
	return pmt_reader_open_ex(path, flags, err, NULL, 0);
}

const struct pmt_info *pmt_reader_info(pmt_reader *r)
{
	return r ? &r->info : NULL;
}

const char *pmt_reader_meta(pmt_reader *r, const char *key)
{
	if (!r || !key)
		return NULL;
	for (size_t i = 0; i < r->info.nmeta; i++)
		if (strcmp(r->meta_k[i], key) == 0)
			return r->meta_v[i];
	return NULL;
}

int64_t pmt_reader_to_ns(pmt_reader *r, uint16_t level, uint64_t ts)
{
	if (!r)
		return (int64_t)ts;
	return pmt_clock_to_ns(pmtr_level_clock(r, level), ts);
}

int pmt_reader_stream(pmt_reader *r, uint16_t level, uint32_t cpu)
{
	if (!r)
		return -1;
	size_t lo = 0, hi = r->info.nstreams;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct pmt_stream_info *s = &r->streams[mid];
		if (s->level == level && s->cpu == cpu)
			return (int)mid;
		if (s->level < level || (s->level == level && s->cpu < cpu))
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}
