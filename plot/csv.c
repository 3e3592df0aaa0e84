/*
 * csv.c - streaming reader of pmt-analyze's CSV documents (see csv.h).
 * Rows are split in place in one line buffer, so memory stays the size of
 * the longest line whatever the document's length.
 */
#include "plot/csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct strv {
	char **v;
	size_t n, cap;
};

struct csv {
	FILE *f;
	char *line;        /* current raw line(s), split in place into cells     */
	size_t linecap;
	struct strv cells; /* pointers into line                                 */
	struct strv head;  /* owned copies of the current table's header         */
	struct strv notes; /* owned                                              */
	char *name;        /* owned, current table name                          */
	char *pending;     /* owned, name from "# table:" for the next table      */
	int in_table;      /* a header has been read and no blank line since     */
	int new_table;
	uint64_t lineno;
};

static int strv_push(struct strv *s, char *p)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = p;
	return 0;
}

static void strv_free_all(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

struct csv *csv_open(const char *path)
{
	struct csv *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->f = fopen(path, "r");
	if (!c->f) {
		int e = errno;
		free(c);
		errno = e;
		return NULL;
	}
	c->name = strdup("");
	if (!c->name) {
		csv_close(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void csv_close(struct csv *c)
{
	if (!c)
		return;
	if (c->f)
		fclose(c->f);
	free(c->line);
	free(c->cells.v);
	strv_free_all(&c->head);
	free(c->head.v);
	strv_free_all(&c->notes);
	free(c->notes.v);
	free(c->name);
	free(c->pending);
	free(c);
}

/* Read one physical line, appended at off in c->line; returns its length
 * (without the newline) or -1 at EOF. */
static long read_line(struct csv *c, size_t off)
{
	size_t len = off;
	int ch;
	int any = 0;
	while ((ch = getc(c->f)) != EOF) {
		any = 1;
		if (len + 2 > c->linecap) {
			size_t cap = c->linecap ? c->linecap * 2 : 256;
			char *p = realloc(c->line, cap);
			if (!p)
				return -2;
			c->line = p;
			c->linecap = cap;
		}
		if (ch == '\n')
			break;
		c->line[len++] = (char)ch;
	}
	if (!any)
		return -1;
	if (len > off && c->line[len - 1] == '\r')
		len--;
	if (!c->line)
		return -1;
	c->line[len] = '\0';
	c->lineno++;
	return (long)len;
}

/* Quotes balanced in s? (an odd count means the field goes on next line) */
static int quotes_open(const char *s)
{
	int open = 0;
	for (; *s; s++)
		if (*s == '"')
			open = !open;
	return open;
}

/* Split c->line into c->cells in place (RFC 4180). */
static int split(struct csv *c)
{
	char *r = c->line, *w = c->line;
	c->cells.n = 0;
	for (;;) {
		char *start = w;
		if (*r == '"') {
			r++;
			for (;;) {
				if (*r == '\0')
					break;
				if (*r == '"') {
					if (r[1] == '"') {
						*w++ = '"';
						r += 2;
						continue;
					}
					r++;
					break;
				}
				*w++ = *r++;
			}
			while (*r && *r != ',')
				*w++ = *r++;
		} else {
			while (*r && *r != ',')
				*w++ = *r++;
		}
		int last = (*r == '\0');
		if (!last)
			r++;
		*w++ = '\0';
		if (strv_push(&c->cells, start) < 0)
			return -1;
		if (last)
			return 0;
	}
}

static const char *skip_prefix(const char *s, const char *p)
{
	size_t n = strlen(p);
	return strncmp(s, p, n) == 0 ? s + n : NULL;
}

int csv_next(struct csv *c)
{
	c->new_table = 0;
	for (;;) {
		long len = read_line(c, 0);
		if (len == -2)
			return -1;
		if (len < 0)
			return 0;
		if (len == 0) {
			c->in_table = 0;
			continue;
		}
		if (c->line[0] == '#') {
			const char *v;
			if ((v = skip_prefix(c->line, "# table: ")) != NULL) {
				free(c->pending);
				c->pending = strdup(v);
				if (!c->pending)
					return -1;
				c->in_table = 0;
			} else if ((v = skip_prefix(c->line, "# note: ")) != NULL) {
				char *n = strdup(v);
				if (!n || strv_push(&c->notes, n) < 0) {
					free(n);
					return -1;
				}
			}
			continue;
		}
		/* A quoted cell may hold a newline: join the following lines. */
		while (quotes_open(c->line)) {
			size_t off = strlen(c->line);
			c->line[off++] = '\n';
			long more = read_line(c, off);
			if (more < 0)
				return -1;
		}
		if (split(c) < 0)
			return -1;
		if (!c->in_table) {
			strv_free_all(&c->head);
			for (size_t i = 0; i < c->cells.n; i++) {
				char *h = strdup(c->cells.v[i]);
				if (!h || strv_push(&c->head, h) < 0) {
					free(h);
					return -1;
				}
			}
			free(c->name);
			c->name = c->pending ? c->pending : strdup("");
			c->pending = NULL;
			if (!c->name)
				return -1;
			c->in_table = 1;
			c->new_table = 1;
			continue;
		}
		return 1;
	}
}

int csv_new_table(const struct csv *c) { return c->new_table; }
const char *csv_table_name(const struct csv *c) { return c->name; }
int csv_ncols(const struct csv *c) { return (int)c->head.n; }
uint64_t csv_lineno(const struct csv *c) { return c->lineno; }

const char *csv_colname(const struct csv *c, int i)
{
	return i >= 0 && (size_t)i < c->head.n ? c->head.v[i] : "";
}

int csv_col(const struct csv *c, const char *name)
{
	for (size_t i = 0; i < c->head.n; i++)
		if (strcmp(c->head.v[i], name) == 0)
			return (int)i;
	return -1;
}

int csv_col_any(const struct csv *c, const char *const *names)
{
	for (; *names; names++) {
		int i = csv_col(c, *names);
		if (i >= 0)
			return i;
	}
	return -1;
}

const char *csv_get(const struct csv *c, int i)
{
	return i >= 0 && (size_t)i < c->cells.n ? c->cells.v[i] : "";
}

int64_t csv_get_i(const struct csv *c, int i, int *ok)
{
	const char *s = csv_get(c, i);
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	int good = *s && *end == '\0' && errno == 0;
	if (!good && *s) {
		/* "12.0" or "1e3" from a float column */
		double d = strtod(s, &end);
		good = *end == '\0' && d > -9.2e18 && d < 9.2e18;
		v = good ? (long long)d : 0;
	}
	if (ok)
		*ok = good;
	return good ? v : 0;
}

double csv_get_f(const struct csv *c, int i, int *ok)
{
	const char *s = csv_get(c, i);
	char *end;
	double d = strtod(s, &end);
	int good = *s && *end == '\0';
	if (ok)
		*ok = good;
	return good ? d : 0;
}

int csv_find_table(struct csv *c, const char *name)
{
	int r;
	while ((r = csv_next(c)) > 0) {
		if (!c->new_table)
			continue;
		if (!name || strcmp(c->name, name) == 0)
			return 1;
	}
	return r;
}

size_t csv_nnotes(const struct csv *c) { return c->notes.n; }
const char *csv_note(const struct csv *c, size_t i)
{
	return i < c->notes.n ? c->notes.v[i] : "";
}
