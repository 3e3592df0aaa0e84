/* table.c - aligned text / CSV / JSON report output: see table.h. */
#include "analyze/table.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct out {
	FILE *f;
	enum out_format fmt;
	int tables;        /* tables printed so far (separators)                */
	int json_open;     /* '{' printed                                        */
	char **notes;      /* json: kept until out_close                         */
	struct table *pend;/* a table whose row line holds rows not yet written:
			      written before anything else goes to f          */
	size_t nnotes;
	int err;
};

struct table {
	struct out *o;
	char *name, *title;
	struct col *cols;
	int ncols;
	unsigned flags;
	char **cur;        /* current row: formatted cells (NULL = empty)       */
	char **sbuf;       /* TABLE_STREAM: one reusable buffer per column, cur[c]
			      points into it (no allocation per row)            */
	size_t *scap;
	size_t *slen;      /* TABLE_STREAM: strlen of cur[c] (set with it)       */
	int *sw;           /* TABLE_STREAM text widths (stream_width), computed
			      once rather than per row                          */
	char ***rows;      /* buffered rows                                      */
	size_t nrows, cap;
	size_t streamed;   /* rows printed (TABLE_STREAM)                         */
	int header_done;
	char *line;        /* text/csv rows are assembled here and written with
			      one fwrite: per-cell stdio calls cost more than
			      the analysis on long timelines                    */
	size_t llen, lcap;
	uint64_t plain;    /* bit c: cell c of the current row is a formatted
			      number (columns 0..63; no control characters)  */
};

int out_format_parse(const char *s)
{
	if (!strcmp(s, "text"))
		return OUT_TEXT;
	if (!strcmp(s, "csv"))
		return OUT_CSV;
	if (!strcmp(s, "json"))
		return OUT_JSON;
	return -1;
}

struct out *out_open(FILE *f, enum out_format fmt)
{
	struct out *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->f = f;
	o->fmt = fmt;
	return o;
}

enum out_format out_format_of(const struct out *o)
{
	return o->fmt;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r") && s[0] != ' ' && s[0] != '#') {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void pad(FILE *f, int n)
{
	static const char sp[] = "                                                                ";
	while (n > 0) {
		int k = n > (int)sizeof(sp) - 1 ? (int)sizeof(sp) - 1 : n;
		fwrite_unlocked(sp, 1, (size_t)k, f);
		n -= k;
	}
}

/* Text cells: printable, no newlines (comm and marker text can hold anything).
 * Written in runs (long timelines print millions of cells). */
static void text_str(FILE *f, const char *s, int width, int right)
{
	int n = (int)strlen(s);
	if (right)
		pad(f, width - n);
	const char *p = s, *run = s;
	for (; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			fwrite_unlocked(run, 1, (size_t)(p - run), f);
			fputc('?', f);
			run = p + 1;
		}
	}
	fwrite_unlocked(run, 1, (size_t)(p - run), f);
	if (!right)
		pad(f, width - n);
}

static void line_flush(struct table *t);

/* Write the rows a table still holds, before anything else is written. */
static void out_sync(struct out *o)
{
	if (o && o->pend)
		line_flush(o->pend);
}

void out_note(struct out *o, const char *fmt, ...)
{
	out_sync(o);
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	switch (o->fmt) {
	case OUT_TEXT:
		fprintf(o->f, "note: %s\n", buf);
		break;
	case OUT_CSV:
		fprintf(o->f, "# note: %s\n", buf);
		break;
	case OUT_JSON: {
		char **n = realloc(o->notes, (o->nnotes + 1) * sizeof(*n));
		if (!n)
			return;
		o->notes = n;
		o->notes[o->nnotes] = xstrdup(buf);
		if (o->notes[o->nnotes])
			o->nnotes++;
		break;
	}
	}
}

static void json_key(struct out *o, const char *name)
{
	out_sync(o);
	fputs(o->json_open ? ",\n" : "{\n", o->f);
	o->json_open = 1;
	json_str(o->f, name);
	fputs(": ", o->f);
}

int out_close(struct out *o)
{
	if (!o)
		return 0;
	out_sync(o);
	if (o->fmt == OUT_JSON) {
		json_key(o, "notes");
		fputc('[', o->f);
		for (size_t i = 0; i < o->nnotes; i++) {
			if (i)
				fputs(", ", o->f);
			json_str(o->f, o->notes[i]);
		}
		fputs("]\n}\n", o->f);
	}
	for (size_t i = 0; i < o->nnotes; i++)
		free(o->notes[i]);
	free(o->notes);
	int err = o->err || fflush(o->f) != 0 || ferror(o->f);
	free(o);
	return err ? -1 : 0;
}

struct table *out_table(struct out *o, const char *name, const char *title,
			const struct col *cols, int ncols, unsigned flags)
{
	out_sync(o);
	struct table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->o = o;
	t->name = xstrdup(name ? name : "table");
	t->title = xstrdup(title ? title : "");
	t->cols = calloc((size_t)ncols, sizeof(*t->cols));
	t->cur = calloc((size_t)ncols, sizeof(*t->cur));
	if (!t->name || !t->title || !t->cols || !t->cur) {
		free(t->name);
		free(t->title);
		free(t->cols);
		free(t->cur);
		free(t);
		o->err = 1;
		return NULL;
	}
	memcpy(t->cols, cols, (size_t)ncols * sizeof(*cols));
	t->ncols = ncols;
	t->flags = flags;
	if (flags & TABLE_STREAM) {
		t->sbuf = calloc((size_t)ncols, sizeof(*t->sbuf));
		t->scap = calloc((size_t)ncols, sizeof(*t->scap));
		t->sw = calloc((size_t)ncols, sizeof(*t->sw));
		t->slen = calloc((size_t)ncols, sizeof(*t->slen));
		if (!t->sbuf || !t->scap || !t->sw || !t->slen) {
			free(t->sbuf);
			free(t->scap);
			free(t->sw);
			free(t->slen);
			t->sbuf = NULL;
			t->scap = NULL;
			t->sw = NULL;
			t->slen = NULL;
			t->flags &= ~TABLE_STREAM; /* buffered still works */
		}
	}
	return t;
}

/* Store cell col of the current row (a copy of s[0..len)). */
static void set_text(struct table *t, int col, const char *s, size_t len)
{
	if (!t || col < 0 || col >= t->ncols)
		return;
	if (col < 64)
		t->plain &= ~((uint64_t)1 << col);
	if (t->sbuf) {
		if (t->scap[col] < len + 1) {
			size_t cap = len + 1 < 32 ? 32 : len + 1;
			char *b = realloc(t->sbuf[col], cap);
			if (!b) {
				t->o->err = 1;
				t->cur[col] = NULL;
				return;
			}
			t->sbuf[col] = b;
			t->scap[col] = cap;
		}
		memcpy(t->sbuf[col], s, len);
		t->sbuf[col][len] = 0;
		t->cur[col] = t->sbuf[col];
		t->slen[col] = len;
		return;
	}
	char *d = malloc(len + 1);
	if (!d)
		t->o->err = 1;
	else {
		memcpy(d, s, len);
		d[len] = 0;
	}
	free(t->cur[col]);
	t->cur[col] = d;
}

static void set_cell(struct table *t, int col, const char *s)
{
	set_text(t, col, s, strlen(s));
}

void table_set_s(struct table *t, int col, const char *s)
{
	set_cell(t, col, s ? s : "");
}

/* Decimal digits of v at the end of buf[32]; returns the start. Two digits
 * per division: timelines format millions of numbers. */
static char *fmt_u64(char *end, uint64_t v)
{
	static const char d2[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	*--end = 0;
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		end -= 2;
		end[0] = d2[2 * r];
		end[1] = d2[2 * r + 1];
	}
	if (v >= 10) {
		end -= 2;
		end[0] = d2[2 * v];
		end[1] = d2[2 * v + 1];
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

/* After set_text() of a formatted integer: print it without scanning. */
static void set_plain(struct table *t, int col)
{
	if (t && col >= 0 && col < 64 && col < t->ncols)
		t->plain |= (uint64_t)1 << col;
}

/* An integer cell (magnitude, sign). Streamed tables format it in place at
 * the end of the column's first 32 bytes (cur[col] points there: no copy);
 * buffered ones keep a copy of their own. */
static void set_int(struct table *t, int col, uint64_t mag, int neg)
{
	if (t && t->sbuf && col >= 0 && col < t->ncols) {
		if (t->scap[col] < 32) {
			char *b = realloc(t->sbuf[col], 32);
			if (!b) {
				t->o->err = 1;
				t->cur[col] = NULL;
				return;
			}
			t->sbuf[col] = b;
			t->scap[col] = 32;
		}
		char *end = t->sbuf[col] + 32;
		char *p = fmt_u64(end, mag);
		if (neg)
			*--p = '-';
		t->cur[col] = p;
		t->slen[col] = (size_t)(end - 1 - p);
		set_plain(t, col);
		return;
	}
	char buf[32];
	char *p = fmt_u64(buf + sizeof(buf), mag);
	if (neg)
		*--p = '-';
	set_text(t, col, p, (size_t)(buf + sizeof(buf) - 1 - p));
	set_plain(t, col);
}

void table_set_i(struct table *t, int col, int64_t v)
{
	set_int(t, col, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

void table_set_u(struct table *t, int col, uint64_t v)
{
	set_int(t, col, v, 0);
}

void table_set_f(struct table *t, int col, double v)
{
	char buf[64];
	int prec = 3;
	if (t && col >= 0 && col < t->ncols && t->cols[col].prec)
		prec = t->cols[col].prec < 0 ? 0 : t->cols[col].prec;
	if (v != v)
		snprintf(buf, sizeof(buf), "nan");
	else
		snprintf(buf, sizeof(buf), "%.*f", prec, v);
	set_cell(t, col, buf);
}

void table_set_null(struct table *t, int col)
{
	if (!t || col < 0 || col >= t->ncols)
		return;
	if (!t->sbuf)
		free(t->cur[col]);
	t->cur[col] = NULL;
}

static int is_num(const struct col *c)
{
	return c->type != COL_STR;
}

/* Room for n more bytes in the row line; 0 when out of memory (the row is
 * then dropped and the document marked as failed). */
static int line_room(struct table *t, size_t n)
{
	if (t->llen + n <= t->lcap)
		return 1;
	size_t cap = t->lcap ? t->lcap : 256;
	while (cap < t->llen + n)
		cap *= 2;
	char *b = realloc(t->line, cap);
	if (!b) {
		t->o->err = 1;
		return 0;
	}
	t->line = b;
	t->lcap = cap;
	return 1;
}

/* The same bytes csv_str() writes, into the row line. plain: s is a
 * number formatted here (never quoted) of length n. */
static void line_csv(struct table *t, const char *s, size_t n, int plain)
{
	if (plain || (!strpbrk(s, ",\"\n\r") && s[0] != ' ' && s[0] != '#')) {
		if (line_room(t, n)) {
			memcpy(t->line + t->llen, s, n);
			t->llen += n;
		}
		return;
	}
	if (!line_room(t, 2 * n + 2))
		return;
	char *d = t->line + t->llen;
	*d++ = '"';
	for (; *s; s++) {
		if (*s == '"')
			*d++ = '"';
		*d++ = *s;
	}
	*d++ = '"';
	t->llen = (size_t)(d - t->line);
}

static void line_char(struct table *t, char c)
{
	if (line_room(t, 1))
		t->line[t->llen++] = c;
}

static void line_flush(struct table *t)
{
	if (t->llen)
		fwrite_unlocked(t->line, 1, t->llen, t->o->f);
	t->llen = 0;
	if (t->o->pend == t)
		t->o->pend = NULL;
}

/* Streamed rows gather in the row line and are written in blocks of about
 * LINE_BLOCK bytes (one write per row cost more than formatting it). */
#define LINE_BLOCK 32768
static void line_row_done(struct table *t)
{
	t->o->pend = t;
	if (t->llen >= LINE_BLOCK)
		line_flush(t);
}

/* Before a row goes into t's line: rows another table holds go out first. */
static void line_row_start(struct table *t)
{
	if (t->o->pend && t->o->pend != t)
		line_flush(t->o->pend);
}

/* Copies of a few bytes, inline (a libc call costs more than the copy). */
static inline void copy_short(char *d, const char *s, size_t n)
{
	for (; n >= 8; n -= 8, d += 8, s += 8)
		memcpy(d, s, 8);
	for (; n; n--)
		*d++ = *s++;
}

/* n spaces at d; up to 15 more bytes past d + n may be overwritten (the
 * caller reserved them). */
static inline void spaces(char *d, int n)
{
	static const char sp[16] = "                ";
	for (; n > 0; n -= 16, d += 16)
		memcpy(d, sp, 16);
}

static void print_json_row(struct table *t, char **row)
{
	FILE *f = t->o->f;
	fputc('{', f);
	for (int c = 0; c < t->ncols; c++) {
		if (c)
			fputs(", ", f);
		json_str(f, t->cols[c].name);
		fputs(": ", f);
		if (!row[c])
			fputs("null", f);
		else if (is_num(&t->cols[c]) && strcmp(row[c], "nan"))
			fputs(row[c], f);
		else if (is_num(&t->cols[c]))
			fputs("null", f);
		else
			json_str(f, row[c]);
	}
	fputc('}', f);
}

static void print_csv_header(struct table *t)
{
	FILE *f = t->o->f;
	if (t->o->tables > 0)
		fprintf(f, "\n# table: %s\n", t->name);
	for (int c = 0; c < t->ncols; c++) {
		if (c)
			fputc(',', f);
		csv_str(f, t->cols[c].name);
	}
	fputc('\n', f);
}

/* len, plain: as for print_text_row. */
static void print_csv_row(struct table *t, char **row, const size_t *len, uint64_t plain)
{
	line_row_start(t);
	for (int c = 0; c < t->ncols; c++) {
		if (c)
			line_char(t, ',');
		if (row[c])
			line_csv(t, row[c], len ? len[c] : strlen(row[c]),
				 c < 64 && ((plain >> c) & 1));
	}
	line_char(t, '\n');
	line_row_done(t);
}

/*
 * The same bytes text_str() writes per cell, into the row line with one
 * reservation. len: the cells' lengths (NULL: measured here); plain: the
 * mask of cells known to be numbers, copied without scanning (0: scan all).
 */
/* 1 when one of the 8 bytes at s is a control character (< 0x20 or 0x7f). */
static inline int ctl8(const char *s)
{
	uint64_t x;
	memcpy(&x, s, 8);
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t lt20 = (x - 0x20 * ones) & ~x & highs;        /* byte < 0x20 */
	uint64_t y = x ^ (0x7f * ones);                          /* 0 where 0x7f */
	uint64_t is7f = (y - ones) & ~y & highs;
	return (lt20 | is7f) != 0;
}

/* n bytes of a text cell: control characters become '?'. Eight at a time
 * while they hold none. */
static inline void copy_text(char *d, const char *s, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n && !ctl8(s + i); i += 8)
		memcpy(d + i, s + i, 8);
	for (; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		d[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
}

static void print_text_row(struct table *t, char **row, const size_t *len, const int *w,
			   uint64_t plain)
{
	line_row_start(t);
	size_t cl[t->ncols], need = 1 + 16; /* spaces() may write 15 bytes past a pad */
	for (int c = 0; c < t->ncols; c++) {
		cl[c] = !row[c] ? 1 : len ? len[c] : strlen(row[c]);
		need += (cl[c] > (size_t)w[c] ? cl[c] : (size_t)w[c]) + 2;
	}
	if (!line_room(t, need))
		return;
	char *d = t->line + t->llen;
	for (int c = 0; c < t->ncols; c++) {
		int last = c == t->ncols - 1, right = is_num(&t->cols[c]);
		const char *s = row[c] ? row[c] : "-";
		size_t n = cl[c];
		int pad = (last && !right ? 0 : w[c]) - (int)n;
		if (right && pad > 0) {
			spaces(d, pad);
			d += pad;
		}
		if (row[c] && c < 64 && ((plain >> c) & 1))
			copy_short(d, s, n);
		else
			copy_text(d, s, n);
		d += n;
		if (!right && pad > 0) {
			spaces(d, pad);
			d += pad;
		}
		if (!last) {
			d[0] = d[1] = ' ';
			d += 2;
		}
	}
	*d++ = '\n';
	t->llen = (size_t)(d - t->line);
	line_row_done(t);
}

static void print_text_header(struct table *t, const int *w)
{
	FILE *f = t->o->f;
	if (t->o->tables > 0)
		fputc('\n', f);
	if (t->title[0])
		fprintf(f, "%s\n", t->title);
	for (int c = 0; c < t->ncols; c++) {
		int last = c == t->ncols - 1;
		text_str(f, t->cols[c].name, last && !is_num(&t->cols[c]) ? 0 : w[c],
			 is_num(&t->cols[c]));
		if (!last)
			fputs("  ", f);
	}
	fputc('\n', f);
}

static int stream_width(const struct col *c)
{
	int n = (int)strlen(c->name);
	int w = c->width ? c->width : 10;
	return n > w ? n : w;
}

static void stream_header(struct table *t)
{
	struct out *o = t->o;
	t->header_done = 1;
	if (o->fmt == OUT_CSV) {
		print_csv_header(t);
	} else if (o->fmt == OUT_JSON) {
		json_key(o, t->name);
		fputs("[", o->f);
	} else {
		for (int c = 0; c < t->ncols; c++)
			t->sw[c] = stream_width(&t->cols[c]);
		print_text_header(t, t->sw);
	}
}

void table_end_row(struct table *t)
{
	if (!t)
		return;
	if (t->flags & TABLE_STREAM) {
		if (!t->header_done)
			stream_header(t);
		struct out *o = t->o;
		if (o->fmt == OUT_CSV) {
			print_csv_row(t, t->cur, t->slen, t->plain);
		} else if (o->fmt == OUT_JSON) {
			fputs(t->streamed ? ",\n  " : "\n  ", o->f);
			print_json_row(t, t->cur);
		} else {
			print_text_row(t, t->cur, t->slen, t->sw, t->plain);
		}
		t->streamed++;
		for (int c = 0; c < t->ncols; c++)
			t->cur[c] = NULL; /* the buffers stay for the next row */
		t->plain = 0;
		return;
	}
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char ***r = realloc(t->rows, cap * sizeof(*r));
		if (!r) {
			t->o->err = 1;
			return;
		}
		t->rows = r;
		t->cap = cap;
	}
	t->rows[t->nrows++] = t->cur;
	t->cur = calloc((size_t)t->ncols, sizeof(*t->cur));
	if (!t->cur)
		t->o->err = 1;
}

static void print_buffered(struct table *t)
{
	struct out *o = t->o;
	FILE *f = o->f;
	if (o->fmt == OUT_CSV) {
		print_csv_header(t);
		for (size_t r = 0; r < t->nrows; r++)
			print_csv_row(t, t->rows[r], NULL, 0);
		return;
	}
	if (o->fmt == OUT_JSON) {
		json_key(o, t->name);
		if (t->flags & TABLE_SINGLE) {
			if (t->nrows)
				print_json_row(t, t->rows[0]);
			else
				fputs("null", f);
			return;
		}
		fputc('[', f);
		for (size_t r = 0; r < t->nrows; r++) {
			fputs(r ? ",\n  " : "\n  ", f);
			print_json_row(t, t->rows[r]);
		}
		fputs(t->nrows ? "\n]" : "]", f);
		return;
	}
	if (t->flags & TABLE_SINGLE) {
		int w = 0;
		for (int c = 0; c < t->ncols; c++) {
			int n = (int)strlen(t->cols[c].name);
			w = n > w ? n : w;
		}
		if (o->tables > 0)
			fputc('\n', f);
		if (t->title[0])
			fprintf(f, "%s\n", t->title);
		for (size_t r = 0; r < t->nrows && r < 1; r++)
			for (int c = 0; c < t->ncols; c++) {
				text_str(f, t->cols[c].name, w, 0);
				fputs("  ", f);
				text_str(f, t->rows[r][c] ? t->rows[r][c] : "-", 0, 0);
				fputc('\n', f);
			}
		return;
	}
	int w[t->ncols];
	for (int c = 0; c < t->ncols; c++) {
		w[c] = (int)strlen(t->cols[c].name);
		for (size_t r = 0; r < t->nrows; r++) {
			int n = t->rows[r][c] ? (int)strlen(t->rows[r][c]) : 1;
			w[c] = n > w[c] ? n : w[c];
		}
	}
	print_text_header(t, w);
	for (size_t r = 0; r < t->nrows; r++)
		print_text_row(t, t->rows[r], NULL, w, 0);
}

void table_close(struct table *t)
{
	if (!t)
		return;
	struct out *o = t->o;
	out_sync(o);
	if (t->flags & TABLE_STREAM) {
		if (!t->header_done)
			stream_header(t);
		if (o->fmt == OUT_JSON)
			fputs(t->streamed ? "\n]" : "]", o->f);
	} else {
		print_buffered(t);
	}
	if (o->pend == t)
		line_flush(t);
	o->tables++;
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++)
			free(t->rows[r][c]);
		free(t->rows[r]);
	}
	for (int c = 0; c < t->ncols; c++)
		free(t->sbuf ? t->sbuf[c] : t->cur[c]);
	free(t->sbuf);
	free(t->scap);
	free(t->sw);
	free(t->slen);
	free(t->line);
	free(t->cur);
	free(t->rows);
	free(t->cols);
	free(t->name);
	free(t->title);
	free(t);
}
