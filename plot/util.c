/*
 * util.c - small helpers of pmt-plot: time values with units and the
 * --tasks selection.
 */
#include "plot/plot.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

int plot_parse_time(const char *s, int64_t *ns)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	double mul = 1; /* ns when no unit, as pmt-analyze */
	if (strcmp(end, "ns") == 0 || *end == '\0')
		mul = 1;
	else if (strcmp(end, "us") == 0 || strcmp(end, "µs") == 0)
		mul = 1e3;
	else if (strcmp(end, "ms") == 0)
		mul = 1e6;
	else if (strcmp(end, "s") == 0)
		mul = 1e9;
	else
		return -1;
	double r = v * mul;
	if (r > 9.2e18)
		return -1;
	*ns = (int64_t)(r + 0.5);
	return 0;
}

int plot_task_selected(const struct plot *p, int64_t tid, const char *comm)
{
	const char *s = p->o->tasks;
	if (!s)
		return 1;
	while (*s) {
		size_t n = strcspn(s, ",");
		char item[256];
		if (n < sizeof(item)) {
			memcpy(item, s, n);
			item[n] = '\0';
			char *end;
			long long v = strtoll(item, &end, 10);
			if (n && *end == '\0') {
				if (v == tid)
					return 1;
			} else if (comm && fnmatch(item, comm, 0) == 0) {
				return 1;
			}
		}
		s += n + (s[n] == ',');
	}
	return 0;
}

void plot_window(const struct plot *p, int ti, int64_t *lo, int64_t *hi)
{
	const struct plot_trace *t = &p->tr[ti];
	*lo = 0;
	*hi = t->last_ns > t->first_ns ? t->last_ns - t->first_ns : 1;
	const char *s = p->o->time_arg;
	if (!s)
		return;
	const char *comma = strchr(s, ',');
	char first[64];
	int64_t v;
	if (!comma || (size_t)(comma - s) >= sizeof(first))
		return;
	memcpy(first, s, (size_t)(comma - s));
	first[comma - s] = '\0';
	if (*first && plot_parse_time(first, &v) == 0)
		*lo = v;
	if (comma[1] && plot_parse_time(comma + 1, &v) == 0)
		*hi = v;
	if (*hi <= *lo)
		*hi = *lo + 1;
}

int plot_level_index(const struct plot *p, int ti, const char *cell)
{
	const struct plot_trace *t = &p->tr[ti];
	for (int i = 0; i < t->nlevels; i++)
		if (strcmp(t->levels[i].name, cell) == 0)
			return i;
	char *end;
	long v = strtol(cell, &end, 10);
	if (*cell && *end == '\0' && v >= 0 && v < t->nlevels)
		return (int)v;
	return -1;
}

int plot_grow(void **v, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*v, n * elem);
	if (!q) {
		plot_err("out of memory");
		return -1;
	}
	*v = q;
	*cap = n;
	return 0;
}

const char *plot_dat_str(const char *s, char *buf, size_t n)
{
	size_t k = 0;
	for (; *s && k + 1 < n; s++)
		buf[k++] = (*s == '"' || *s == '\n' || *s == '\r') ? '\'' : *s;
	buf[k] = '\0';
	return buf;
}

int plot_pick_level(const struct plot *p)
{
	const struct plot_trace *t = &p->tr[0];
	const char *s = p->o->level;
	if (!s) {
		for (int i = 0; i < t->nlevels; i++)
			if (t->levels[i].guest)
				return i;
		for (int i = 0; i < t->nlevels; i++)
			if (!t->levels[i].guest)
				return i;
		return 0;
	}
	for (int i = 0; i < t->nlevels; i++)
		if ((strcmp(s, "host") == 0 && !t->levels[i].guest) ||
		    (strcmp(s, "guest") == 0 && t->levels[i].guest))
			return i;
	int l = plot_level_index(p, 0, s);
	if (l < 0)
		plot_err("%s: the trace has no level '%s'", p->figure, s);
	return l;
}
