/*
 * ivl.c - reads the interval table of pmt-analyze's CSV export (see ivl.h).
 * The table is found by its columns, not its file name, so any file of the
 * export that has (level, cpu, tid, start, end) columns serves.
 */
#include "plot/ivl.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int ivl_export(struct plot *p, int ti, const char *tids, char *dir, size_t dirlen)
{
	snprintf(dir, dirlen, "%s/%s-export", p->workdir, p->stem);
	if (plot_track(dir) < 0)
		return -1;
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		plot_err("cannot create '%s': %s", dir, strerror(errno));
		return -1;
	}
	const char *argv[12];
	int n = 0;
	argv[n++] = p->o->analyze;
	argv[n++] = "export";
	argv[n++] = "--to";
	argv[n++] = "csv";
	argv[n++] = dir;
	if (tids && *tids) {
		argv[n++] = "--tid";
		argv[n++] = tids;
	}
	if (p->o->time_arg) {
		argv[n++] = "--time";
		argv[n++] = p->o->time_arg;
	}
	argv[n++] = p->tr[ti].path;
	argv[n] = NULL;
	char log[4096];
	if (plot_analyze_raw(p, "export", argv, log, sizeof(log)) < 0)
		return -1;
	/* track what the export wrote, so that it is removed on every exit */
	DIR *d = opendir(dir);
	if (!d) {
		plot_err("%s: the export wrote no directory '%s'", p->figure, dir);
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (plot_track(path) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static uint64_t hkey(int level, uint32_t tid)
{
	uint64_t k = ((uint64_t)(uint16_t)level << 32 | tid) * 0x9E3779B97F4A7C15ull;
	return k ^ (k >> 29);
}

struct ent *ivl_ent(struct ivls *s, int level, uint32_t tid)
{
	if (!s->hcap)
		return NULL;
	for (size_t h = hkey(level, tid) & (s->hcap - 1);; h = (h + 1) & (s->hcap - 1)) {
		int32_t i = s->hash[h];
		if (i < 0)
			return NULL;
		if (s->e[i].level == level && s->e[i].tid == tid)
			return &s->e[i];
	}
}

static int rehash(struct ivls *s, size_t cap)
{
	int32_t *h = malloc(cap * sizeof(*h));
	if (!h)
		return -1;
	memset(h, 0xff, cap * sizeof(*h));
	for (size_t i = 0; i < s->ne; i++) {
		size_t k = hkey(s->e[i].level, s->e[i].tid) & (cap - 1);
		while (h[k] >= 0)
			k = (k + 1) & (cap - 1);
		h[k] = (int32_t)i;
	}
	free(s->hash);
	s->hash = h;
	s->hcap = cap;
	return 0;
}

static struct ent *ent_add(struct ivls *s, int level, uint32_t tid)
{
	struct ent *e = ivl_ent(s, level, tid);
	if (e)
		return e;
	if ((s->ne + 1) * 2 > s->hcap && rehash(s, s->hcap ? s->hcap * 2 : 256) < 0)
		return NULL;
	if (plot_grow((void **)&s->e, &s->ecap, s->ne + 1, sizeof(*s->e)) < 0)
		return NULL;
	e = &s->e[s->ne];
	memset(e, 0, sizeof(*e));
	e->level = (uint16_t)level;
	e->tid = tid;
	e->lane = -1;
	size_t k = hkey(level, tid) & (s->hcap - 1);
	while (s->hash[k] >= 0)
		k = (k + 1) & (s->hcap - 1);
	s->hash[k] = (int32_t)s->ne++;
	return e;
}

static const char *const c_start[] = { "start_ns", "begin_ns", "time_ns", "start", NULL };
static const char *const c_end[] = { "end_ns", "stop_ns", "end", NULL };
static const char *const c_dur[] = { "duration_ns", "dur_ns", "length_ns", NULL };
static const char *const c_state[] = { "state", "kind", NULL };

struct cols {
	int level, cpu, tid, pid, comm, start, end, dur, state;
};

static int find_cols(struct csv *c, struct cols *k)
{
	k->level = csv_col(c, "level");
	k->cpu = csv_col(c, "cpu");
	k->tid = csv_col(c, "tid");
	k->pid = csv_col(c, "pid");
	k->comm = csv_col(c, "comm");
	k->start = csv_col_any(c, c_start);
	k->end = csv_col_any(c, c_end);
	k->dur = csv_col_any(c, c_dur);
	k->state = csv_col_any(c, c_state);
	return k->cpu >= 0 && k->tid >= 0 && k->start >= 0 && (k->end >= 0 || k->dur >= 0);
}

static int state_of(const char *s)
{
	if (!*s || strcmp(s, "running") == 0 || strcmp(s, "run") == 0)
		return IVL_RUN;
	if (strcmp(s, "runnable") == 0 || strcmp(s, "ready") == 0 || strcmp(s, "waiting") == 0 ||
	    strcmp(s, "preempted") == 0)
		return IVL_RUNNABLE;
	return IVL_OTHER;
}

static int load_file(struct plot *p, int ti, const char *path,
		     int (*want)(void *, int, uint32_t), void *ctx, struct ivls *s, int *found)
{
	struct csv *c = csv_open(path);
	if (!c) {
		plot_err("'%s': %s", path, strerror(errno));
		return -1;
	}
	int64_t lo, hi;
	plot_window(p, ti, &lo, &hi);
	struct cols k = { -1, -1, -1, -1, -1, -1, -1, -1, -1 };
	int good = 0, r;
	while ((r = csv_next(c)) > 0) {
		if (csv_new_table(c)) {
			good = find_cols(c, &k);
			if (good) {
				*found = 1;
				s->any_state |= k.state >= 0;
			}
		}
		if (!good)
			continue;
		int level = 0;
		if (k.level >= 0 && (level = plot_level_index(p, ti, csv_get(c, k.level))) < 0)
			continue;
		int ok;
		uint32_t tid = (uint32_t)csv_get_i(c, k.tid, &ok);
		if (!ok || (want && !want(ctx, level, tid)))
			continue;
		/* report times are ns from the trace start, as the window */
		int64_t a = csv_get_i(c, k.start, &ok);
		int64_t b = k.end >= 0 ? csv_get_i(c, k.end, NULL) : a + csv_get_i(c, k.dur, NULL);
		if (!ok || b <= a)
			continue;
		if (a < lo)
			a = lo;
		if (b > hi)
			b = hi;
		if (b <= a)
			continue;
		struct ent *e = ent_add(s, level, tid);
		if (!e) {
			plot_err("out of memory");
			csv_close(c);
			return -1;
		}
		/* the name when the interval ended: the latest one wins */
		if (k.comm >= 0 && *csv_get(c, k.comm))
			snprintf(e->comm, sizeof(e->comm), "%s", csv_get(c, k.comm));
		if (!e->pid && k.pid >= 0)
			e->pid = (uint32_t)csv_get_i(c, k.pid, NULL);
		int st = k.state >= 0 ? state_of(csv_get(c, k.state)) : IVL_RUN;
		int cpu = (int)csv_get_i(c, k.cpu, &ok);
		if (!ok)
			cpu = -1;
		if (st == IVL_RUN && cpu < 0)
			continue;
		if (st == IVL_RUN)
			e->run_ns += b - a;
		else if (st == IVL_RUNNABLE)
			e->wait_ns += b - a;
		else
			continue; /* blocked time is the empty part of a lane */
		if (plot_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v)) < 0) {
			csv_close(c);
			return -1;
		}
		s->v[s->n++] = (struct ivl){ a, b, tid, cpu, (uint16_t)level, (uint8_t)st };
	}
	if (r < 0)
		plot_err("'%s': line %llu: cannot read the export", path,
			 (unsigned long long)csv_lineno(c));
	csv_close(c);
	return r < 0 ? -1 : 0;
}

int ivl_load(struct plot *p, int ti, const char *dir,
	     int (*want)(void *ctx, int level, uint32_t tid), void *ctx, struct ivls *s)
{
	DIR *d = opendir(dir);
	if (!d) {
		plot_err("'%s': %s", dir, strerror(errno));
		return -1;
	}
	/* intervals.csv first when there is one, then any file with the columns */
	char names[64][256];
	int nn = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && nn < 64) {
		size_t l = strlen(de->d_name);
		if (l > 4 && l < 256 && strcmp(de->d_name + l - 4, ".csv") == 0)
			snprintf(names[nn++], 256, "%s", de->d_name);
	}
	closedir(d);
	for (int i = 1; i < nn; i++)
		if (strcmp(names[i], "intervals.csv") == 0) {
			char t[256];
			memcpy(t, names[0], 256);
			memcpy(names[0], names[i], 256);
			memcpy(names[i], t, 256);
		}
	int found = 0;
	for (int i = 0; i < nn && !found; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (load_file(p, ti, path, want, ctx, s, &found) < 0)
			return -1;
	}
	if (!found) {
		plot_err("%s: the export has no interval table (columns cpu, tid, start_ns, end_ns)",
			 p->figure);
		return -1;
	}
	return 0;
}

void ivl_free(struct ivls *s)
{
	free(s->v);
	free(s->e);
	free(s->hash);
	memset(s, 0, sizeof(*s));
}
