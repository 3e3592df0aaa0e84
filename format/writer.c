/*
 * writer.c - the .pmt writer: description sections, per-stream record encoding,
 * chunk cutting and compression, late sections, the footer index.
 *
 * Memory: one raw buffer per stream (at most chunk_bytes + one record), one
 * compression buffer, and the index (72 bytes per chunk written). A writer is
 * used by one thread at a time; the caller serializes append and flush.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>
#ifdef HAVE_DEFLATE
#include <libdeflate.h>
#endif

struct wbuf {
	uint8_t *p;
	size_t len, cap;
};

struct wstream {
	uint16_t level;
	uint32_t cpu;
	uint8_t *raw;            /* encoded records of the open chunk */
	size_t len, cap;
	uint32_t count;          /* records in the open chunk */
	uint64_t first_ts, last_ts;
	uint32_t lost_records;
	uint64_t lost_events;
	uint64_t ts_limit;       /* chunk_ns in the level's ticks (0: none) */
	int any;                 /* an event was ever appended (for ordering) */
	uint64_t prev_ts;        /* last timestamp ever appended */
	struct pmtf_ctx ctx;
};

struct wlevel {
	struct pmt_level l;      /* name and topo owned */
	struct wstream **streams; /* ncpus, created on first use */
};

struct pmt_writer {
	pmt_write_fn fn;
	void *opaque;
	int fd;                  /* pmt_writer_open's file, else -1 */
	struct pmt_writer_opts o;
	int err;                 /* first error, sticky */
	int begun;
	uint64_t off;            /* bytes written */
	uint64_t events;

	char **meta_k, **meta_v;
	size_t nmeta, meta_late; /* entries from meta_late on are unwritten */
	struct pmt_clock *clocks;
	size_t nclocks;
	uint8_t *clock_dirty;    /* update_clock since the last late section */
	struct wlevel *levels;
	size_t nlevels;
	struct pmt_binding *bindings;
	size_t nbindings;
	struct pmt_task *tasks;
	size_t ntasks, task_late;

	struct wbuf sect_offs;   /* u64 offsets of every section */
	struct wbuf index;       /* PMTF_INDEX_ENT per chunk */
	uint64_t nchunks;
	uint8_t *zbuf;
	size_t zcap;
	z_stream z;
	int z_init;
	void *ldc;               /* libdeflate compressor (same zlib streams, faster) */
};

/* ------------------------------------------------------------- buffers */

static int wb_reserve(struct wbuf *b, size_t extra)
{
	if (b->cap - b->len >= extra)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len < extra) {
		if (cap > SIZE_MAX / 2)
			return PMT_ENOMEM;
		cap *= 2;
	}
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		return PMT_ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int wb_put(struct wbuf *b, const void *d, size_t n)
{
	int e = wb_reserve(b, n);
	if (e)
		return e;
	memcpy(b->p + b->len, d, n);
	b->len += n;
	return 0;
}

static int wb_u16(struct wbuf *b, uint16_t v) { uint8_t t[2]; wr16(t, v); return wb_put(b, t, 2); }
static int wb_u32(struct wbuf *b, uint32_t v) { uint8_t t[4]; wr32(t, v); return wb_put(b, t, 4); }
static int wb_u64(struct wbuf *b, uint64_t v) { uint8_t t[8]; wr64(t, v); return wb_put(b, t, 8); }
static int wb_str(struct wbuf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > PMTF_MAX_SECT_STRING)
		n = PMTF_MAX_SECT_STRING;
	int e = wb_u32(b, (uint32_t)n);
	return e ? e : wb_put(b, s, n);
}

static char *dupstr(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > PMTF_MAX_SECT_STRING)
		n = PMTF_MAX_SECT_STRING;
	char *d = malloc(n + 1);
	if (d) {
		if (n)
			memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* ------------------------------------------------------------------ I/O */

static int emit(pmt_writer *w, const void *buf, size_t len)
{
	if (w->err)
		return w->err;
	int e = w->fn(w->opaque, buf, len);
	if (e) {
		w->err = e < 0 ? e : PMT_EIO;
		return w->err;
	}
	w->off += len;
	return 0;
}

static int fd_write(void *opaque, const void *buf, size_t len)
{
	int fd = *(int *)opaque;
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return PMT_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

pmt_writer *pmt_writer_open_cb(pmt_write_fn fn, void *opaque,
			       const struct pmt_writer_opts *opts, int *err)
{
	int e = PMT_EINVAL;
	if (!fn)
		goto fail;
	struct pmt_writer_opts o = {0};
	if (opts)
		o = *opts;
	if (o.chunk_bytes == 0)
		o.chunk_bytes = 1u << 20;
	if (o.chunk_bytes > PMT_MAX_CHUNK_RAW - PMTF_MAX_RECORD)
		o.chunk_bytes = PMT_MAX_CHUNK_RAW - PMTF_MAX_RECORD;
	if (o.chunk_bytes < 64)
		o.chunk_bytes = 64;
	if (o.codec != PMT_CODEC_NONE && o.codec != PMT_CODEC_ZLIB)
		goto fail;
	if (o.level < 0 || o.level > 9)
		goto fail;
	if (o.level == 0)
		o.level = 6;
	e = PMT_ENOMEM;
	pmt_writer *w = calloc(1, sizeof(*w));
	if (!w)
		goto fail;
	w->fn = fn;
	w->opaque = opaque;
	w->fd = -1;
	w->o = o;
	if (err)
		*err = 0;
	return w;
fail:
	if (err)
		*err = e;
	return NULL;
}

pmt_writer *pmt_writer_open(const char *path, const struct pmt_writer_opts *opts, int *err)
{
	if (!path) {
		if (err)
			*err = PMT_EINVAL;
		return NULL;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (err)
			*err = PMT_EIO;
		return NULL;
	}
	pmt_writer *w = pmt_writer_open_cb(fd_write, NULL, opts, err);
	if (!w) {
		close(fd);
		return NULL;
	}
	w->fd = fd;
	w->opaque = &w->fd;
	return w;
}

/* ---------------------------------------------------------- description */

int pmt_writer_set_meta(pmt_writer *w, const char *key, const char *value)
{
	if (!w || !key || !value)
		return PMT_EINVAL;
	if (w->err)
		return w->err;
	char *k = dupstr(key), *v = dupstr(value);
	char **nk = realloc(w->meta_k, (w->nmeta + 1) * sizeof(*nk));
	if (nk)
		w->meta_k = nk;
	char **nv = realloc(w->meta_v, (w->nmeta + 1) * sizeof(*nv));
	if (nv)
		w->meta_v = nv;
	if (!k || !v || !nk || !nv) {
		free(k);
		free(v);
		return PMT_ENOMEM;
	}
	w->meta_k[w->nmeta] = k;
	w->meta_v[w->nmeta] = v;
	w->nmeta++;
	return 0;
}

static int clock_ok(const struct pmt_clock *c)
{
	return c && c->mult_num > 0 && c->mult_den > 0;
}

int pmt_writer_add_clock(pmt_writer *w, const struct pmt_clock *c)
{
	if (!w || !clock_ok(c))
		return PMT_EINVAL;
	if (w->begun)
		return PMT_ESTATE;
	if (w->nclocks >= 0xffff)
		return PMT_ELIMIT;
	struct pmt_clock *n = realloc(w->clocks, (w->nclocks + 1) * sizeof(*n));
	if (!n)
		return PMT_ENOMEM;
	w->clocks = n;
	uint8_t *d = realloc(w->clock_dirty, w->nclocks + 1);
	if (!d)
		return PMT_ENOMEM;
	w->clock_dirty = d;
	char *name = dupstr(c->name);
	if (!name)
		return PMT_ENOMEM;
	n[w->nclocks] = *c;
	n[w->nclocks].name = name;
	d[w->nclocks] = 0;
	return (int)w->nclocks++;
}

int pmt_writer_update_clock(pmt_writer *w, uint16_t id, const struct pmt_clock *c)
{
	if (!w || !clock_ok(c) || id >= w->nclocks)
		return PMT_EINVAL;
	char *name = dupstr(c->name);
	if (!name)
		return PMT_ENOMEM;
	free((char *)w->clocks[id].name);
	w->clocks[id] = *c;
	w->clocks[id].name = name;
	if (w->begun)
		w->clock_dirty[id] = 1;
	return 0;
}

int pmt_writer_add_level(pmt_writer *w, const struct pmt_level *l)
{
	if (!w || !l || l->ncpus == 0 || l->ncpus > PMT_MAX_CPUS || l->clock >= w->nclocks ||
	    (l->kind != PMT_LEVEL_HOST && l->kind != PMT_LEVEL_GUEST))
		return PMT_EINVAL;
	if (w->begun)
		return PMT_ESTATE;
	if (w->nlevels >= PMT_MAX_LEVELS)
		return PMT_ELIMIT;
	struct wlevel *n = realloc(w->levels, (w->nlevels + 1) * sizeof(*n));
	if (!n)
		return PMT_ENOMEM;
	w->levels = n;
	struct wlevel *wl = &n[w->nlevels];
	memset(wl, 0, sizeof(*wl));
	wl->l = *l;
	wl->l.id = (uint16_t)w->nlevels;
	wl->l.name = dupstr(l->name);
	wl->l.topo = NULL;
	wl->streams = calloc(l->ncpus, sizeof(*wl->streams));
	struct pmt_cpu_topo *topo = NULL;
	if (l->topo) {
		topo = malloc(l->ncpus * sizeof(*topo));
		if (topo)
			memcpy(topo, l->topo, l->ncpus * sizeof(*topo));
	}
	if (!wl->l.name || !wl->streams || (l->topo && !topo)) {
		free((char *)wl->l.name);
		free(wl->streams);
		free(topo);
		return PMT_ENOMEM;
	}
	wl->l.topo = topo;
	return (int)w->nlevels++;
}

int pmt_writer_add_binding(pmt_writer *w, const struct pmt_binding *b)
{
	if (!w || !b)
		return PMT_EINVAL;
	if (w->begun)
		return PMT_ESTATE;
	struct pmt_binding *n = realloc(w->bindings, (w->nbindings + 1) * sizeof(*n));
	if (!n)
		return PMT_ENOMEM;
	w->bindings = n;
	n[w->nbindings] = *b;
	return (int)w->nbindings++;
}

int pmt_writer_add_task(pmt_writer *w, const struct pmt_task *t)
{
	if (!w || !t)
		return PMT_EINVAL;
	if (w->err)
		return w->err;
	struct pmt_task *n = realloc(w->tasks, (w->ntasks + 1) * sizeof(*n));
	if (!n)
		return PMT_ENOMEM;
	w->tasks = n;
	char *comm = dupstr(t->comm);
	if (!comm)
		return PMT_ENOMEM;
	n[w->ntasks] = *t;
	n[w->ntasks].comm = comm;
	w->ntasks++;
	return 0;
}

/* -------------------------------------------------------------- sections */

static int write_section(pmt_writer *w, uint16_t type, const struct wbuf *body)
{
	uint8_t h[PMTF_SECT_HDR] = {0};
	wr32(h, PMTF_TAG_SECT);
	wr16(h + 4, type);
	wr32(h + 8, (uint32_t)body->len);
	wr32(h + 12, pmtf_crc32(body->p, body->len));
	wr32(h + 20, pmtf_crc32(h, 20));
	int e = wb_u64(&w->sect_offs, w->off);
	if (e)
		return w->err = e;
	e = emit(w, h, sizeof(h));
	return e ? e : emit(w, body->p, body->len);
}

/* Sections are cut well below PMT_MAX_SECTION. */
#define SECT_SPLIT (1u << 20)

static int sect_meta(pmt_writer *w, size_t from)
{
	while (from < w->nmeta) {
		struct wbuf b = {0};
		size_t n = 0;
		int e = wb_u32(&b, 0);
		for (size_t i = from; !e && i < w->nmeta && b.len < SECT_SPLIT; i++, n++) {
			e = wb_str(&b, w->meta_k[i]);
			if (!e)
				e = wb_str(&b, w->meta_v[i]);
		}
		if (!e) {
			wr32(b.p, (uint32_t)n);
			e = write_section(w, PMTF_SECT_META, &b);
		}
		free(b.p);
		if (e)
			return w->err ? w->err : (w->err = e);
		from += n;
	}
	return 0;
}

static int put_clock(struct wbuf *b, uint16_t id, const struct pmt_clock *c)
{
	int e = wb_u16(b, id);
	e = e ? e : wb_u16(b, 0);
	e = e ? e : wb_u32(b, c->flags);
	e = e ? e : wb_u64(b, c->freq_hz);
	e = e ? e : wb_u64(b, c->raw_base);
	e = e ? e : wb_u64(b, (uint64_t)c->ref_base_ns);
	e = e ? e : wb_u64(b, c->mult_num);
	e = e ? e : wb_u64(b, c->mult_den);
	e = e ? e : wb_u64(b, c->uncertainty_ns);
	e = e ? e : wb_str(b, c->name);
	return e;
}

/* Clocks: all of them (header) or the dirty ones (late). */
static int sect_clocks(pmt_writer *w, int dirty_only)
{
	struct wbuf b = {0};
	uint32_t n = 0;
	int e = wb_u32(&b, 0);
	for (size_t i = 0; !e && i < w->nclocks; i++) {
		if (dirty_only && !w->clock_dirty[i])
			continue;
		e = put_clock(&b, (uint16_t)i, &w->clocks[i]);
		w->clock_dirty[i] = 0;
		n++;
	}
	if (!e && n) {
		wr32(b.p, n);
		e = write_section(w, PMTF_SECT_CLOCKS, &b);
	}
	free(b.p);
	if (e && !w->err)
		w->err = e;
	return e;
}

static int sect_levels(pmt_writer *w)
{
	struct wbuf b = {0};
	int e = wb_u32(&b, (uint32_t)w->nlevels);
	for (size_t i = 0; !e && i < w->nlevels; i++) {
		const struct pmt_level *l = &w->levels[i].l;
		e = wb_u16(&b, l->id);
		e = e ? e : wb_u16(&b, l->kind);
		e = e ? e : wb_u16(&b, l->clock);
		e = e ? e : wb_u16(&b, l->topo ? 1 : 0);
		e = e ? e : wb_u32(&b, (uint32_t)l->guest_id);
		e = e ? e : wb_u32(&b, l->ncpus);
		e = e ? e : wb_str(&b, l->name);
		for (uint32_t c = 0; !e && l->topo && c < l->ncpus; c++) {
			const struct pmt_cpu_topo *t = &l->topo[c];
			e = wb_u32(&b, (uint32_t)t->package);
			e = e ? e : wb_u32(&b, (uint32_t)t->die);
			e = e ? e : wb_u32(&b, (uint32_t)t->core);
			e = e ? e : wb_u32(&b, (uint32_t)t->thread);
			e = e ? e : wb_u32(&b, (uint32_t)t->node);
		}
	}
	if (!e)
		e = write_section(w, PMTF_SECT_LEVELS, &b);
	free(b.p);
	if (e && !w->err)
		w->err = e;
	return e;
}

static int sect_bindings(pmt_writer *w)
{
	struct wbuf b = {0};
	int e = wb_u32(&b, (uint32_t)w->nbindings);
	for (size_t i = 0; !e && i < w->nbindings; i++) {
		const struct pmt_binding *x = &w->bindings[i];
		e = wb_u16(&b, x->guest_level);
		e = e ? e : wb_u16(&b, x->host_level);
		e = e ? e : wb_u32(&b, x->guest_cpu);
		e = e ? e : wb_u32(&b, x->host_tid);
	}
	if (!e)
		e = write_section(w, PMTF_SECT_BINDINGS, &b);
	free(b.p);
	if (e && !w->err)
		w->err = e;
	return e;
}

static int sect_tasks(pmt_writer *w, size_t from)
{
	while (from < w->ntasks) {
		struct wbuf b = {0};
		size_t n = 0;
		int e = wb_u32(&b, 0);
		for (size_t i = from; !e && i < w->ntasks && b.len < SECT_SPLIT; i++, n++) {
			const struct pmt_task *t = &w->tasks[i];
			e = wb_u16(&b, t->level);
			e = e ? e : wb_u16(&b, 0);
			e = e ? e : wb_u32(&b, t->tid);
			e = e ? e : wb_u32(&b, t->pid);
			e = e ? e : wb_u32(&b, t->flags);
			e = e ? e : wb_str(&b, t->comm);
		}
		if (!e) {
			wr32(b.p, (uint32_t)n);
			e = write_section(w, PMTF_SECT_TASKS, &b);
		}
		free(b.p);
		if (e)
			return w->err ? w->err : (w->err = e);
		from += n;
	}
	return 0;
}

int pmt_writer_begin(pmt_writer *w)
{
	if (!w)
		return PMT_EINVAL;
	if (w->err)
		return w->err;
	if (w->begun)
		return PMT_ESTATE;
	if (w->nlevels == 0 || w->nclocks == 0)
		return PMT_ESTATE;
	for (size_t i = 0; i < w->nbindings; i++) {
		const struct pmt_binding *b = &w->bindings[i];
		if (b->guest_level >= w->nlevels || b->host_level >= w->nlevels)
			return PMT_EINVAL;
	}
	for (size_t i = 0; i < w->ntasks; i++)
		if (w->tasks[i].level >= w->nlevels)
			return PMT_EINVAL;
	uint8_t h[PMTF_FILE_HDR] = {0};
	memcpy(h, PMTF_MAGIC, PMTF_MAGIC_LEN);
	wr16(h + 8, PMT_VERSION_MAJOR);
	wr16(h + 10, PMT_VERSION_MINOR);
	wr32(h + 12, 0);
	wr64(h + 16, PMTF_CANARY);
	wr32(h + 24, PMTF_FILE_HDR);
	wr32(h + 28, pmtf_crc32(h, 28));
	int e = emit(w, h, sizeof(h));
	e = e ? e : sect_meta(w, 0);
	e = e ? e : sect_clocks(w, 0);
	e = e ? e : sect_levels(w);
	e = e ? e : (w->nbindings ? sect_bindings(w) : 0);
	e = e ? e : sect_tasks(w, 0);
	w->meta_late = w->nmeta;
	w->task_late = w->ntasks;
	w->begun = 1;
	return e;
}

/* ---------------------------------------------------------------- chunks */

/* One zlib stream (RFC 1950) of raw into w->zbuf; *zlen = 0 when it would
 * not be smaller than raw. */
static int compress_chunk(pmt_writer *w, const uint8_t *raw, size_t len, size_t *zlen)
{
#ifdef HAVE_DEFLATE
	if (!w->ldc && !(w->ldc = libdeflate_alloc_compressor(w->o.level)))
		return PMT_ENOMEM;
	size_t bound = libdeflate_zlib_compress_bound(w->ldc, len);
	if (bound > w->zcap) {
		uint8_t *z = realloc(w->zbuf, bound);
		if (!z)
			return PMT_ENOMEM;
		w->zbuf = z;
		w->zcap = bound;
	}
	*zlen = libdeflate_zlib_compress(w->ldc, raw, len, w->zbuf, len > 0 ? len - 1 : 0);
	return 0;
#else
	if (!w->z_init) {
		memset(&w->z, 0, sizeof(w->z));
		if (deflateInit(&w->z, w->o.level) != Z_OK)
			return PMT_ENOMEM;
		w->z_init = 1;
	} else {
		deflateReset(&w->z);
	}
	size_t bound = deflateBound(&w->z, (uLong)len);
	if (bound > w->zcap) {
		uint8_t *z = realloc(w->zbuf, bound);
		if (!z)
			return PMT_ENOMEM;
		w->zbuf = z;
		w->zcap = bound;
	}
	w->z.next_in = (Bytef *)raw;
	w->z.avail_in = (uInt)len;
	w->z.next_out = w->zbuf;
	w->z.avail_out = (uInt)w->zcap;
	if (deflate(&w->z, Z_FINISH) != Z_STREAM_END)
		return PMT_ECODEC;
	*zlen = w->z.total_out < len ? w->z.total_out : 0;
	return 0;
#endif
}

static int cut_chunk(pmt_writer *w, struct wstream *s)
{
	if (s->count == 0)
		return 0;
	if (w->err)
		return w->err;
	const uint8_t *payload = s->raw;
	size_t stored = s->len;
	uint8_t codec = PMTF_CODEC_NONE;
	if (w->o.codec == PMT_CODEC_ZLIB) {
		size_t zlen = 0;
		int e = compress_chunk(w, s->raw, s->len, &zlen);
		if (e)
			return w->err = e;
		/* Incompressible chunks are stored as they are. */
		if (zlen > 0 && zlen < s->len) {
			payload = w->zbuf;
			stored = zlen;
			codec = PMTF_CODEC_ZLIB;
		}
	}
	uint8_t h[PMTF_INDEX_ENT] = {0};
	uint8_t *c = h + 8;
	wr64(h, w->off);
	wr32(c, PMTF_TAG_CHUNK);
	wr16(c + 4, s->level);
	c[6] = codec;
	c[7] = 0;
	wr32(c + 8, s->cpu);
	wr32(c + 12, s->count);
	wr64(c + 16, s->first_ts);
	wr64(c + 24, s->last_ts);
	wr32(c + 32, (uint32_t)s->len);
	wr32(c + 36, (uint32_t)stored);
	wr32(c + 40, pmtf_crc32(payload, stored));
	wr32(c + 44, s->lost_records);
	wr64(c + 48, s->lost_events);
	wr32(c + 56, 0);
	wr32(c + 60, pmtf_crc32(c, 60));
	int e = wb_put(&w->index, h, sizeof(h));
	if (e)
		return w->err = e;
	e = emit(w, c, PMTF_CHUNK_HDR);
	e = e ? e : emit(w, payload, stored);
	if (e)
		return e;
	w->nchunks++;
	s->len = 0;
	s->count = 0;
	s->lost_records = 0;
	s->lost_events = 0;
	ctx_reset(&s->ctx);
	return 0;
}

static struct wstream *get_stream(pmt_writer *w, uint16_t level, uint32_t cpu)
{
	struct wlevel *l = &w->levels[level];
	struct wstream *s = l->streams[cpu];
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->level = level;
	s->cpu = cpu;
	/* Grows up to chunk_bytes + one record as the chunk fills: a level
	 * with thousands of quiet CPUs costs little. */
	s->cap = 2 * PMTF_MAX_RECORD;
	s->raw = malloc(s->cap);
	if (!s->raw) {
		free(s);
		return NULL;
	}
	if (w->o.chunk_ns) {
		/* The cut policy only needs roughly chunk_ns worth of ticks. */
		const struct pmt_clock *c = &w->clocks[l->l.clock];
		__int128 t = (__int128)w->o.chunk_ns * c->mult_den / c->mult_num;
		s->ts_limit = t > (__int128)UINT64_MAX || t == 0 ? (t ? UINT64_MAX : 1) : (uint64_t)t;
	}
	l->streams[cpu] = s;
	return s;
}

static inline uint32_t str_len(const struct pmt_str *s)
{
	if (!s->s)
		return 0;
	return s->len > PMT_MAX_STRING ? PMT_MAX_STRING : s->len;
}

static inline uint8_t *put_str(uint8_t *p, const struct pmt_str *s)
{
	uint32_t n = str_len(s);
	p += put_varint(p, n);
	if (n)
		memcpy(p, s->s, n);
	return p + n;
}

int pmt_writer_append(pmt_writer *w, const struct pmt_event *ev)
{
	if (!w || !ev)
		return PMT_EINVAL;
	if (w->err)
		return w->err;
	if (!w->begun)
		return PMT_ESTATE;
	if (ev->level >= w->nlevels || ev->cpu >= w->levels[ev->level].l.ncpus ||
	    ev->type == 0 || ev->type >= PMT_EV_TYPE_MAX_)
		return PMT_EINVAL;
	struct wstream *s = get_stream(w, ev->level, ev->cpu);
	if (!s)
		return w->err = PMT_ENOMEM;
	if (s->any && ev->ts < s->prev_ts)
		return PMT_EORDER;
	if (s->count && (s->ts_limit && ev->ts - s->first_ts >= s->ts_limit)) {
		int e = cut_chunk(w, s);
		if (e)
			return e;
	}
	if (s->count == 0) {
		s->first_ts = ev->ts;
		s->last_ts = ev->ts;
	}
	struct pmtf_ctx *x = &s->ctx;
	if (s->cap - s->len < PMTF_MAX_RECORD) {
		size_t cap = s->cap * 2;
		if (cap > w->o.chunk_bytes + PMTF_MAX_RECORD)
			cap = w->o.chunk_bytes + PMTF_MAX_RECORD;
		uint8_t *raw = realloc(s->raw, cap);
		if (!raw)
			return w->err = PMT_ENOMEM;
		s->raw = raw;
		s->cap = cap;
	}
	uint8_t *p0 = s->raw + s->len, *p = p0 + 1;
	uint8_t t;
	p += put_varint(p, ev->ts - s->last_ts);
	switch (ev->type) {
	case PMT_EV_SWITCH: {
		unsigned slot = ctx_find(x, ev->u.sw.next_tid);
		uint32_t st = ev->u.sw.prev_state < 7 ? ev->u.sw.prev_state : 7;
		t = (uint8_t)(PMTF_REC_SWITCH | slot << 3 | st);
		if (ev->u.sw.prev_tid == x->cur)
			t |= PMTF_SW_PREV_CUR;
		else
			p += put_varint(p, ev->u.sw.prev_tid);
		if (slot == PMTF_TID_EXPLICIT)
			p += put_varint(p, ev->u.sw.next_tid);
		if (st == 7)
			p += put_varint(p, ev->u.sw.prev_state);
		ctx_use(x, slot, ev->u.sw.next_tid);
		x->cur = ev->u.sw.next_tid;
		break;
	}
	case PMT_EV_WAKEUP:
		if (ev->u.wakeup.flags == 0 || ev->u.wakeup.flags == PMT_WAKE_WAKING) {
			unsigned slot = ctx_find(x, ev->u.wakeup.tid);
			t = (uint8_t)(PMTF_REC_WAKEUP_C | slot << 1);
			if (ev->u.wakeup.flags)
				t |= PMTF_WK_WAKING;
			if (slot == PMTF_TID_EXPLICIT)
				p += put_varint(p, ev->u.wakeup.tid);
			if (ev->u.wakeup.target_cpu == s->cpu)
				t |= PMTF_WK_TARGET_CPU;
			else
				p += put_varint(p, ev->u.wakeup.target_cpu);
			if (ev->u.wakeup.waker_tid == x->cur)
				t |= PMTF_WK_WAKER_CUR;
			else
				p += put_varint(p, ev->u.wakeup.waker_tid);
			ctx_use(x, slot, ev->u.wakeup.tid);
		} else {
			t = PMTF_REC_WAKEUP;
			p += put_varint(p, ev->u.wakeup.tid);
			p += put_varint(p, ev->u.wakeup.target_cpu);
			p += put_varint(p, ev->u.wakeup.waker_tid);
			p += put_varint(p, ev->u.wakeup.flags);
		}
		break;
	case PMT_EV_MIGRATE: {
		unsigned slot = ctx_find(x, ev->u.migrate.tid);
		t = (uint8_t)(PMTF_REC_MIGRATE_C | slot);
		if (slot == PMTF_TID_EXPLICIT)
			p += put_varint(p, ev->u.migrate.tid);
		p += put_varint(p, ev->u.migrate.from_cpu);
		p += put_varint(p, ev->u.migrate.to_cpu);
		ctx_use(x, slot, ev->u.migrate.tid);
		break;
	}
	case PMT_EV_FORK:
		t = PMTF_REC_FORK;
		p += put_varint(p, ev->u.fork.parent_tid);
		p += put_varint(p, ev->u.fork.child_tid);
		p += put_varint(p, ev->u.fork.child_pid);
		p += put_varint(p, ev->u.fork.flags);
		break;
	case PMT_EV_EXEC:
		t = PMTF_REC_EXEC;
		p += put_varint(p, ev->u.exec.tid);
		p = put_str(p, &ev->u.exec.comm);
		break;
	case PMT_EV_EXIT:
		t = PMTF_REC_EXIT;
		p += put_varint(p, ev->u.exit.tid);
		break;
	case PMT_EV_NAME:
		t = PMTF_REC_NAME;
		p += put_varint(p, ev->u.name.tid);
		p += put_varint(p, ev->u.name.pid);
		p = put_str(p, &ev->u.name.comm);
		break;
	case PMT_EV_LOST:
		t = PMTF_REC_LOST;
		p += put_varint(p, ev->u.lost.count);
		p += put_varint(p, ev->u.lost.span);
		if (s->lost_events + ev->u.lost.count < s->lost_events)
			return PMT_EINVAL; /* the chunk's sum must fit 64 bits */
		s->lost_records++;
		s->lost_events += ev->u.lost.count;
		break;
	case PMT_EV_MARKER:
		t = PMTF_REC_MARKER;
		p = put_str(p, &ev->u.marker.text);
		break;
	case PMT_EV_HV:
		t = PMTF_REC_HV;
		p += put_varint(p, ev->u.hv.kind);
		p += put_varint(p, ev->u.hv.tid);
		p += put_varint(p, ev->u.hv.a);
		p += put_varint(p, ev->u.hv.b);
		break;
	default:
		return PMT_EINVAL;
	}
	*p0 = t;
	s->len += (size_t)(p - p0);
	s->count++;
	s->last_ts = ev->ts;
	s->prev_ts = ev->ts;
	s->any = 1;
	w->events++;
	if (s->len >= w->o.chunk_bytes || s->count == UINT32_MAX)
		return cut_chunk(w, s);
	return 0;
}

static int write_late(pmt_writer *w)
{
	int e = 0;
	if (w->meta_late < w->nmeta) {
		e = sect_meta(w, w->meta_late);
		w->meta_late = w->nmeta;
	}
	int dirty = 0;
	for (size_t i = 0; i < w->nclocks; i++)
		dirty |= w->clock_dirty[i];
	if (!e && dirty)
		e = sect_clocks(w, 1);
	if (!e && w->task_late < w->ntasks) {
		e = sect_tasks(w, w->task_late);
		w->task_late = w->ntasks;
	}
	return e;
}

int pmt_writer_flush(pmt_writer *w)
{
	if (!w)
		return PMT_EINVAL;
	if (w->err)
		return w->err;
	if (!w->begun)
		return PMT_ESTATE;
	int e = write_late(w);
	for (size_t l = 0; !e && l < w->nlevels; l++)
		for (uint32_t c = 0; !e && c < w->levels[l].l.ncpus; c++)
			if (w->levels[l].streams[c])
				e = cut_chunk(w, w->levels[l].streams[c]);
	return e;
}

uint64_t pmt_writer_bytes(const pmt_writer *w) { return w ? w->off : 0; }
uint64_t pmt_writer_events(const pmt_writer *w) { return w ? w->events : 0; }

static void writer_free(pmt_writer *w)
{
	for (size_t i = 0; i < w->nmeta; i++) {
		free(w->meta_k[i]);
		free(w->meta_v[i]);
	}
	free(w->meta_k);
	free(w->meta_v);
	for (size_t i = 0; i < w->nclocks; i++)
		free((char *)w->clocks[i].name);
	free(w->clocks);
	free(w->clock_dirty);
	for (size_t i = 0; i < w->nlevels; i++) {
		struct wlevel *l = &w->levels[i];
		for (uint32_t c = 0; c < l->l.ncpus; c++) {
			if (l->streams[c])
				free(l->streams[c]->raw);
			free(l->streams[c]);
		}
		free(l->streams);
		free((char *)l->l.name);
		free((void *)l->l.topo);
	}
	free(w->levels);
	free(w->bindings);
	for (size_t i = 0; i < w->ntasks; i++)
		free((char *)w->tasks[i].comm);
	free(w->tasks);
	free(w->sect_offs.p);
	free(w->index.p);
	free(w->zbuf);
	if (w->z_init)
		deflateEnd(&w->z);
#ifdef HAVE_DEFLATE
	if (w->ldc)
		libdeflate_free_compressor(w->ldc);
#endif
	free(w);
}

int pmt_writer_close(pmt_writer *w)
{
	if (!w)
		return 0;
	int e = w->err;
	if (!e && !w->begun)
		e = pmt_writer_begin(w);
	if (!e)
		e = pmt_writer_flush(w);
	if (!e) {
		uint64_t index_off = w->off;
		uint64_t nsect = w->sect_offs.len / 8;
		uint32_t crc = pmtf_crc32(w->sect_offs.p, w->sect_offs.len);
		crc = (uint32_t)crc32_combine(crc, pmtf_crc32(w->index.p, w->index.len),
					      (z_off_t)w->index.len);
		uint8_t h[PMTF_INDEX_HDR] = {0};
		wr32(h, PMTF_TAG_INDEX);
		wr64(h + 8, nsect);
		wr64(h + 16, w->nchunks);
		wr32(h + 24, crc);
		wr32(h + 28, pmtf_crc32(h, 28));
		e = emit(w, h, sizeof(h));
		e = e ? e : emit(w, w->sect_offs.p, w->sect_offs.len);
		e = e ? e : emit(w, w->index.p, w->index.len);
		uint8_t t[PMTF_TRAILER] = {0};
		wr32(t, PMTF_TAG_TRAILER);
		wr64(t + 8, index_off);
		wr64(t + 16, w->events);
		wr32(t + 28, pmtf_crc32(t, 28));
		e = e ? e : emit(w, t, sizeof(t));
	}
	if (w->fd >= 0 && close(w->fd) != 0 && !e)
		e = PMT_EIO;
	writer_free(w);
	return e;
}

void pmt_writer_abort(pmt_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	writer_free(w);
}
