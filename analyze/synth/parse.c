/*
 * parse.c - the pmt-synth script language (docs/SYNTH.md): one statement a
 * line, blank-separated words, "double quotes" around words with blanks,
 * '#' to the end of the line is a comment.
 */
#include "analyze/synth/synth.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAXW 80

struct pctx {
	struct scen *s;
	const char *name;
	int line;
	FILE *err;
};

static int perr(struct pctx *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int perr(struct pctx *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(p->err, "%s:%d: ", p->name, p->line);
	vfprintf(p->err, fmt, ap);
	fputc('\n', p->err);
	va_end(ap);
	return -1;
}

/* Split line in place into words; returns the count or -1 (unclosed quote). */
static int split(char *line, char **w)
{
	int n = 0;
	char *q = line;
	while (*q) {
		while (*q && isspace((unsigned char)*q))
			q++;
		if (!*q || *q == '#')
			break;
		if (n == MAXW)
			return -1;
		if (*q == '"') {
			w[n++] = ++q;
			while (*q && *q != '"')
				q++;
			if (!*q)
				return -1;
			*q++ = 0;
			continue;
		}
		w[n++] = q;
		while (*q && !isspace((unsigned char)*q))
			q++;
		if (*q)
			*q++ = 0;
	}
	return n;
}

/* "12", "1.5ms", "3us", "2s", "40ns" -> ns (exact for the decimals given). */
static int parse_time(const char *s, int64_t *out)
{
	int64_t ip = 0, frac = 0, fdiv = 1;
	const char *q = s;
	int neg = 0;
	if (*q == '-') {
		neg = 1;
		q++;
	}
	if (!isdigit((unsigned char)*q))
		return -1;
	while (isdigit((unsigned char)*q)) {
		if (ip > INT64_MAX / 10 - 10)
			return -1;
		ip = ip * 10 + (*q++ - '0');
	}
	if (*q == '.') {
		q++;
		while (isdigit((unsigned char)*q)) {
			if (fdiv > 1000000000)
				return -1;
			frac = frac * 10 + (*q++ - '0');
			fdiv *= 10;
		}
	}
	int64_t unit;
	if (!*q || !strcmp(q, "ns"))
		unit = 1;
	else if (!strcmp(q, "us"))
		unit = 1000;
	else if (!strcmp(q, "ms"))
		unit = 1000000;
	else if (!strcmp(q, "s"))
		unit = 1000000000;
	else
		return -1;
	if (ip > INT64_MAX / unit / 2)
		return -1;
	if ((frac * unit) % fdiv)
		return -1; /* finer than a nanosecond */
	*out = ip * unit + frac * unit / fdiv;
	if (neg)
		*out = -*out;
	return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_state(const char *s, uint32_t *st)
{
	static const struct { const char *n; uint32_t v; } tab[] = {
		{ "R", PMT_STATE_RUNNABLE }, { "S", PMT_STATE_SLEEPING },
		{ "D", PMT_STATE_DISK }, { "T", PMT_STATE_STOPPED },
		{ "t", PMT_STATE_TRACED }, { "X", PMT_STATE_DEAD },
		{ "Z", PMT_STATE_DEAD }, { "P", PMT_STATE_PARKED },
		{ "I", PMT_STATE_IDLE },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(s, tab[i].n)) {
			*st = tab[i].v;
			return 0;
		}
	return -1;
}

static int find_level(struct pctx *p, const char *name)
{
	for (int i = 0; i < p->s->nlevels; i++)
		if (!strcmp(p->s->levels[i].name, name))
			return i;
	return perr(p, "unknown level '%s' (declare it with 'host' or 'guest' first)", name);
}

static int want(struct pctx *p, int n, int lo, int hi, const char *usage)
{
	if (n < lo || n > hi)
		return perr(p, "usage: %s", usage);
	return 0;
}

static struct synth_item *new_item(struct pctx *p, int kind)
{
	struct scen *s = p->s;
	if (s->nitems == s->capitems) {
		size_t cap = s->capitems ? s->capitems * 2 : 64;
		void *n = realloc(s->items, cap * sizeof(*s->items));
		if (!n)
			return NULL;
		s->items = n;
		s->capitems = cap;
	}
	struct synth_item *it = &s->items[s->nitems++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->line = p->line;
	return it;
}

static int add_task(struct scen *s, int level, uint32_t tid, uint32_t pid,
		    uint32_t flags, const char *comm)
{
	if (s->ntasks == s->captasks) {
		size_t cap = s->captasks ? s->captasks * 2 : 32;
		void *n = realloc(s->tasks, cap * sizeof(*s->tasks));
		if (!n)
			return -1;
		s->tasks = n;
		s->captasks = cap;
	}
	struct synth_task *t = &s->tasks[s->ntasks++];
	t->level = level;
	t->tid = tid;
	t->pid = pid;
	t->flags = flags;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	return 0;
}

static int lvl_cpu(struct pctx *p, const char *lv, const char *cpu, int *level, uint32_t *c)
{
	if ((*level = find_level(p, lv)) < 0)
		return -1;
	if (parse_u32(cpu, c) < 0 || *c >= p->s->levels[*level].ncpus)
		return perr(p, "bad cpu '%s' (level '%s' has %u)", cpu, lv,
			    p->s->levels[*level].ncpus);
	return 0;
}

#define TIME(str, dst)                                                         \
	do {                                                                   \
		if (parse_time((str), (dst)) < 0)                              \
			return perr(p, "bad time '%s' (e.g. 12, 1.5ms, 3us, 2s)", (str)); \
	} while (0)
#define U32(str, dst, what)                                                    \
	do {                                                                   \
		if (parse_u32((str), (dst)) < 0)                               \
			return perr(p, "bad %s '%s'", (what), (str));          \
	} while (0)

static int stmt(struct pctx *p, char **w, int n)
{
	struct scen *s = p->s;
	const char *k = w[0];
	if (!strcmp(k, "span")) {
		if (want(p, n, 2, 2, "span END") < 0)
			return -1;
		TIME(w[1], &s->span);
		if (s->span <= 0)
			return perr(p, "span must be positive");
		return 0;
	}
	if (!strcmp(k, "host") || !strcmp(k, "guest")) {
		int host = !strcmp(k, "host");
		if (host && s->nlevels)
			return perr(p, "'host' must be the first level");
		if (!host && !s->nlevels)
			return perr(p, "declare 'host' before any guest");
		if (s->nlevels == SYNTH_MAX_LEVELS)
			return perr(p, "too many levels");
		struct synth_level *l = &s->levels[s->nlevels];
		memset(l, 0, sizeof(*l));
		l->guest_id = -1;
		int i = 1;
		if (host) {
			snprintf(l->name, sizeof(l->name), "host");
		} else {
			if (n < 3)
				return perr(p, "usage: guest NAME NCPUS [pid P] [offset T] [threads TID...] [hidden]");
			if (!strcmp(w[1], "host"))
				return perr(p, "a guest cannot be named 'host'");
			snprintf(l->name, sizeof(l->name), "%s", w[1]);
			i = 2;
			l->kind = PMT_LEVEL_GUEST;
		}
		if (i >= n)
			return perr(p, "usage: %s", host ? "host NCPUS" : "guest NAME NCPUS ...");
		U32(w[i], &l->ncpus, "cpu count");
		if (!l->ncpus || l->ncpus > 1024)
			return perr(p, "cpu count must be 1..1024");
		for (i++; i < n; i++) {
			if (!host && !strcmp(w[i], "pid") && i + 1 < n) {
				uint32_t v;
				U32(w[++i], &v, "pid");
				l->guest_id = (int32_t)v;
			} else if (!host && !strcmp(w[i], "offset") && i + 1 < n) {
				TIME(w[++i], &l->offset_ns);
			} else if (!host && !strcmp(w[i], "hidden")) {
				l->hidden = 1;
			} else if (!host && !strcmp(w[i], "threads")) {
				if (n - i - 1 < (int)l->ncpus)
					return perr(p, "'threads' needs %u host tids", l->ncpus);
				l->threads = calloc(l->ncpus, sizeof(uint32_t));
				if (!l->threads)
					return perr(p, "out of memory");
				for (uint32_t c = 0; c < l->ncpus; c++)
					U32(w[++i], &l->threads[c], "thread id");
			} else {
				return perr(p, "unexpected '%s'", w[i]);
			}
		}
		s->nlevels++;
		if (l->threads)
			for (uint32_t c = 0; c < l->ncpus; c++) {
				char comm[64];
				snprintf(comm, sizeof(comm), "CPU %u/KVM", c);
				if (add_task(s, 0, l->threads[c],
					     l->guest_id >= 0 ? (uint32_t)l->guest_id : l->threads[0],
					     PMT_TASK_VCPU, comm) < 0)
					return perr(p, "out of memory");
			}
		return 0;
	}
	if (!strcmp(k, "task")) {
		if (want(p, n, 5, 6, "task LEVEL TID PID COMM [kthread]") < 0)
			return -1;
		int level = find_level(p, w[1]);
		uint32_t tid, pid;
		if (level < 0)
			return -1;
		U32(w[2], &tid, "tid");
		U32(w[3], &pid, "pid");
		uint32_t flags = 0;
		if (n == 6) {
			if (strcmp(w[5], "kthread"))
				return perr(p, "unexpected '%s'", w[5]);
			flags = PMT_TASK_KTHREAD;
		}
		/* a later 'task' line renames a vCPU thread */
		for (size_t i = 0; i < s->ntasks; i++)
			if (s->tasks[i].level == level && s->tasks[i].tid == tid) {
				s->tasks[i].pid = pid;
				s->tasks[i].flags |= flags;
				snprintf(s->tasks[i].comm, sizeof(s->tasks[i].comm), "%s", w[4]);
				return 0;
			}
		if (add_task(s, level, tid, pid, flags, w[4]) < 0)
			return perr(p, "out of memory");
		return 0;
	}
	if (!strcmp(k, "run")) {
		if (want(p, n, 6, 7, "run LEVEL CPU FROM TO TID [STATE]") < 0)
			return -1;
		struct synth_item it = { 0 };
		if (lvl_cpu(p, w[1], w[2], &it.level, &it.cpu) < 0)
			return -1;
		TIME(w[3], &it.t0);
		TIME(w[4], &it.t1);
		U32(w[5], &it.tid, "tid");
		it.state = PMT_STATE_SLEEPING;
		if (n == 7 && parse_state(w[6], &it.state) < 0)
			return perr(p, "bad state '%s' (R S D T t X Z P I)", w[6]);
		if (it.t0 < 0 || it.t1 <= it.t0)
			return perr(p, "a run needs 0 <= FROM < TO");
		if (it.tid == PMT_TID_IDLE)
			return perr(p, "tid 0 is the idle task: leave the CPU idle instead");
		struct synth_item *d = new_item(p, SY_RUN);
		if (!d)
			return perr(p, "out of memory");
		it.kind = SY_RUN;
		it.line = p->line;
		*d = it;
		return 0;
	}
	if (!strcmp(k, "wake")) {
		if (n != 5 && n != 7)
			return perr(p, "usage: wake LEVEL TID AT CPU [by WAKER]");
		struct synth_item it = { 0 };
		if (lvl_cpu(p, w[1], w[4], &it.level, &it.cpu) < 0)
			return -1;
		U32(w[2], &it.tid, "tid");
		TIME(w[3], &it.t0);
		if (n == 7) {
			if (strcmp(w[5], "by"))
				return perr(p, "expected 'by', got '%s'", w[5]);
			U32(w[6], &it.waker, "waker tid");
		}
		struct synth_item *d = new_item(p, SY_WAKE);
		if (!d)
			return perr(p, "out of memory");
		it.kind = SY_WAKE;
		it.line = p->line;
		*d = it;
		return 0;
	}
	if (!strcmp(k, "lost")) {
		if (want(p, n, 5, 6, "lost LEVEL CPU FROM TO [COUNT]") < 0)
			return -1;
		struct synth_item it = { 0 };
		if (lvl_cpu(p, w[1], w[2], &it.level, &it.cpu) < 0)
			return -1;
		TIME(w[3], &it.t0);
		TIME(w[4], &it.t1);
		if (it.t0 < 0 || it.t1 <= it.t0)
			return perr(p, "lost needs 0 <= FROM < TO");
		if (n == 6) {
			uint32_t c;
			U32(w[5], &c, "count");
			it.count = c;
		}
		struct synth_item *d = new_item(p, SY_LOST);
		if (!d)
			return perr(p, "out of memory");
		it.kind = SY_LOST;
		it.line = p->line;
		*d = it;
		return 0;
	}
	if (!strcmp(k, "marker")) {
		if (want(p, n, 5, 5, "marker LEVEL CPU AT TEXT") < 0)
			return -1;
		struct synth_item it = { 0 };
		if (lvl_cpu(p, w[1], w[2], &it.level, &it.cpu) < 0)
			return -1;
		TIME(w[3], &it.t0);
		it.text = strdup(w[4]);
		if (!it.text)
			return perr(p, "out of memory");
		struct synth_item *d = new_item(p, SY_MARKER);
		if (!d) {
			free(it.text);
			return perr(p, "out of memory");
		}
		it.kind = SY_MARKER;
		it.line = p->line;
		*d = it;
		return 0;
	}
	if (!strcmp(k, "migrate")) {
		if (want(p, n, 6, 6, "migrate LEVEL TID AT FROM TO") < 0)
			return -1;
		struct synth_item it = { 0 };
		if (lvl_cpu(p, w[1], w[5], &it.level, &it.to) < 0)
			return -1;
		if (parse_u32(w[4], &it.from) < 0 || it.from >= s->levels[it.level].ncpus)
			return perr(p, "bad cpu '%s'", w[4]);
		U32(w[2], &it.tid, "tid");
		TIME(w[3], &it.t0);
		it.cpu = it.to;
		struct synth_item *d = new_item(p, SY_MIGRATE);
		if (!d)
			return perr(p, "out of memory");
		it.kind = SY_MIGRATE;
		it.line = p->line;
		*d = it;
		return 0;
	}
	return perr(p, "unknown statement '%s'", k);
}

int synth_parse(struct scen *s, FILE *in, const char *name, FILE *err)
{
	struct pctx p = { s, name, 0, err };
	char buf[4096];
	char *w[MAXW];
	memset(s, 0, sizeof(*s));
	while (fgets(buf, sizeof(buf), in)) {
		p.line++;
		size_t len = strlen(buf);
		if (len == sizeof(buf) - 1 && buf[len - 1] != '\n')
			return perr(&p, "line too long");
		int n = split(buf, w);
		if (n < 0)
			return perr(&p, "unclosed quote or too many words");
		if (n && stmt(&p, w, n) < 0)
			return -1;
	}
	if (ferror(in)) { /* a directory, an I/O error: not a script error */
		fprintf(err, "pmt-synth: '%s': %s\n", name, strerror(errno));
		return -1;
	}
	p.line++;
	if (!s->span)
		return perr(&p, "no 'span' statement");
	if (!s->nlevels)
		return perr(&p, "no 'host' statement");
	for (size_t i = 0; i < s->nitems; i++) {
		const struct synth_item *it = &s->items[i];
		int64_t end = it->kind == SY_RUN || it->kind == SY_LOST ? it->t1 : it->t0;
		if (it->t0 < 0 || end > s->span) {
			p.line = it->line;
			return perr(&p, "outside the span [0, %lld]", (long long)s->span);
		}
	}
	return 0;
}

void synth_free(struct scen *s)
{
	for (int i = 0; i < s->nlevels; i++)
		free(s->levels[i].threads);
	for (size_t i = 0; i < s->nitems; i++)
		free(s->items[i].text);
	free(s->items);
	free(s->tasks);
	memset(s, 0, sizeof(*s));
}
