/*
 * ftrace.c - pmt-import ftrace: the text of a tracefs 'trace' file and of
 * 'trace-cmd report', line by line:
 *
 *   [BUFFER: ]COMM-PID [(TGID)] [CPU] [FLAGS] SECONDS.FRACTION: EVENT: INFO
 *
 * INFO is the kernel's print format ("prev_comm=a prev_pid=1 ... ==>
 * next_comm=b ...") or trace-cmd's sched plugin form ("a:1 [120] S ==> b:2
 * [120]", "b:2 [120] CPU:001"). Values may hold spaces (task names do), so
 * each value runs up to the next known key of its event. Lines of other
 * events are counted and skipped; "CPU:N [LOST M EVENTS]" and
 * "[M EVENTS DROPPED]" become lost records. A first pass finds the number
 * of CPUs. Timestamps: seconds with a fraction become nanoseconds; plain
 * integers (counter, x86-tsc clocks) are kept as ticks: with --cpu-hz HZ, or
 * when a header line "# trace_clock: ..." names x86-tsc (as the tracefs file
 * trace_clock prints it, "[x86-tsc]" or bare), they are TSC cycles on a clock
 * named x86-tsc (HZ, else 1 GHz flagged assumed), so pmt-merge can fit a
 * guest's sync pulses to its host; otherwise a "counter" clock (1 GHz,
 * assumed). trace_marker writes ("tracing_mark_write: TEXT" in the kernel's
 * text, "print: tracing_mark_write: TEXT" or "print: 0xADDR: TEXT" in
 * trace-cmd report) become PMT_EV_MARKER records with TEXT (trailing blanks
 * cut): pmt-record's sync pulses survive the text.
 * trace-cmd's plugin prints prev_state with an older kernel's letters: the
 * letters are mapped as printed (use the trace.dat importer for exact states).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/import/import.h"
#include "record/sched.h"
#include "record/tepdec.h"

struct line {
	uint32_t cpu;
	int32_t pid;            /* the running task (waker of a wakeup)          */
	uint64_t ts;
	const char *event;      /* NUL-terminated                                */
	char *info;             /* NUL-terminated, writable                      */
};

/* Parse the fixed part; 0 when the line is not an event line. */
static int parse_line(char *s, struct line *l, int *integer_ts)
{
	/* The CPU: the first " [digits]" after the task. */
	char *p = s, *cpu = NULL;
	while ((p = strstr(p, "[")) != NULL) {
		char *q = p + 1;
		while (isdigit((unsigned char)*q))
			q++;
		if (q > p + 1 && *q == ']' && p > s && p[-1] == ' ') {
			cpu = p;
			break;
		}
		p++;
	}
	if (!cpu)
		return 0;
	l->cpu = (uint32_t)strtoul(cpu + 1, NULL, 10);
	/* The pid: digits after the last '-' of the task, before any "(tgid)". */
	char *end = cpu;
	while (end > s && end[-1] == ' ')
		end--;
	if (end > s && end[-1] == ')') {
		while (end > s && end[-1] != '(')
			end--;
		if (end > s)
			end--;
		while (end > s && end[-1] == ' ')
			end--;
	}
	char *dash = end;
	while (dash > s && isdigit((unsigned char)dash[-1]))
		dash--;
	if (dash == end || dash == s || dash[-1] != '-')
		return 0;
	l->pid = (int32_t)strtol(dash, NULL, 10);
	/* After "]": optional flags, then the time stamp ending in ':'. */
	p = strchr(cpu, ']') + 1;
	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		char *tok = p;
		while (*p && *p != ' ')
			p++;
		if (p > tok && p[-1] == ':' && isdigit((unsigned char)*tok)) {
			char *dot = memchr(tok, '.', (size_t)(p - tok));
			uint64_t sec = strtoull(tok, NULL, 10);
			if (dot) {
				uint64_t frac = 0;
				int digits = 0;
				for (char *f = dot + 1; f < p - 1 && isdigit((unsigned char)*f); f++, digits++)
					if (digits < 9)
						frac = frac * 10 + (uint64_t)(*f - '0');
				for (int d = digits; d < 9; d++)
					frac *= 10;
				l->ts = sec * 1000000000ull + frac;
			} else {
				l->ts = sec;
				*integer_ts = 1;
			}
			break;
		}
	}
	while (*p == ' ')
		p++;
	char *ev = p;
	while (*p && *p != ':' && *p != ' ')
		p++;
	if (*p != ':')
		return 0;
	*p++ = 0;
	l->event = ev;
	while (*p == ' ')
		p++;
	l->info = p;
	p[strcspn(p, "\r\n")] = 0;
	return 1;
}

/* The value of key in "k1=v1 k2=v2 ...": up to " K=" of the next key given
 * in next (NULL: up to the next space). Copied to buf; NULL when absent. */
static const char *kv(const char *info, const char *key, const char *next, char *buf, size_t len)
{
	size_t kl = strlen(key);
	const char *p = info;
	while ((p = strstr(p, key)) != NULL) {
		if (p[kl] == '=' && (p == info || p[-1] == ' '))
			break;
		p += kl;
	}
	if (!p)
		return NULL;
	p += kl + 1;
	const char *e = NULL;
	if (next) {
		char pat[64];
		snprintf(pat, sizeof(pat), " %s=", next);
		e = strstr(p, pat);
	}
	if (!e)
		e = p + strcspn(p, " ");
	size_t n = (size_t)(e - p);
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

static long kv_num(const char *info, const char *key, long dflt)
{
	char b[32];
	return kv(info, key, NULL, b, sizeof(b)) ? strtol(b, NULL, 0) : dflt;
}

/* trace-cmd plugin "comm:pid [prio]" at s: comm (may hold ':') and pid. */
static const char *plugin_task(const char *s, char *comm, size_t len, uint32_t *pid)
{
	const char *br = strstr(s, " [");
	if (!br)
		return NULL;
	const char *colon = br;
	while (colon > s && colon[-1] != ':')
		colon--;
	if (colon == s)
		return NULL;
	size_t n = (size_t)(colon - 1 - s);
	if (n >= len)
		n = len - 1;
	memcpy(comm, s, n);
	comm[n] = 0;
	*pid = (uint32_t)strtoul(colon, NULL, 10);
	const char *rb = strchr(br, ']');
	return rb ? rb + 1 : NULL;
}

/* The marker text of a trace_marker line, or NULL when the event is not one:
 * "tracing_mark_write" (kernel) holds TEXT; "print" (trace-cmd) holds
 * "tracing_mark_write: TEXT" or "0xADDR: TEXT" (no symbols). */
static const char *marker_text(const struct line *l, size_t *len)
{
	const char *t = l->info;
	if (!strcmp(l->event, "print")) {
		const char *sp = strchr(t, ' ');
		if (sp && sp > t && sp[-1] == ':' &&
		    (!strncmp(t, "tracing_mark_write:", 19) || !strncmp(t, "0x", 2))) {
			t = sp;
			while (*t == ' ')
				t++;
		}
	} else if (strcmp(l->event, "tracing_mark_write") != 0) {
		return NULL;
	}
	size_t n = strlen(t);
	while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	*len = n;
	return t;
}

/* A header "# trace_clock: local global [x86-tsc]" or "# trace_clock: x86-tsc":
 * 1 when it names x86-tsc as the clock in use, 0 another, -1 not such a line. */
static int header_clock(const char *s)
{
	const char *p = strstr(s, "trace_clock");
	if (!p)
		return -1;
	p += 11;
	while (*p == ':' || *p == '=' || *p == ' ')
		p++;
	const char *br = strchr(p, '[');
	if (br)
		return !strncmp(br + 1, "x86-tsc]", 8);
	return !strncmp(p, "x86-tsc", 7) && (p[7] == 0 || isspace((unsigned char)p[7]));
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

struct imp {
	struct pmt_sched *s;
	uint64_t *last;
	uint32_t ncpus;
	uint64_t skipped, lost, markers;
	int seen_waking, seen_newtask;
};

static int do_event(struct imp *x, struct line *l)
{
	char c1[64], c2[64], b[64];
	const char *info = l->info;
	uint32_t pid, pid2;
	int k = pmt_tepdec_kind_of(NULL, l->event);
	switch (k) {
	case PMT_TD_SWITCH: {
		const char *arrow = strstr(info, "==>");
		if (!arrow)
			return 1;
		if (kv(info, "prev_comm", "prev_pid", c1, sizeof(c1))) {
			kv(info, "next_comm", "next_pid", c2, sizeof(c2));
			const char *st = kv(info, "prev_state", NULL, b, sizeof(b));
			return pmt_sched_switch(x->s, l->cpu, l->ts, (uint32_t)kv_num(info, "prev_pid", 0), c1,
						st ? pmt_sched_state_text(st, strlen(st)) : PMT_STATE_OTHER,
						(uint32_t)kv_num(info, "next_pid", 0), c2);
		}
		const char *p = plugin_task(info, c1, sizeof(c1), &pid);
		const char *q = plugin_task(arrow + 4, c2, sizeof(c2), &pid2);
		if (!p || !q)
			return 1;
		while (*p == ' ')
			p++;
		return pmt_sched_switch(x->s, l->cpu, l->ts, pid, c1,
					pmt_sched_state_text(p, *p == '=' ? 0 : 1), pid2, c2);
	}
	case PMT_TD_MIGRATE:
		kv(info, "comm", "pid", c1, sizeof(c1));
		return pmt_sched_migrate(x->s, l->cpu, l->ts, (uint32_t)kv_num(info, "pid", 0), c1,
					 (uint32_t)kv_num(info, "orig_cpu", 0),
					 (uint32_t)kv_num(info, "dest_cpu", 0));
	case PMT_TD_WAKEUP:
		if (x->seen_waking)
			return 1;
		/* fall through */
	case PMT_TD_WAKING:
	case PMT_TD_WAKEUP_NEW: {
		uint32_t flags = k == PMT_TD_WAKING ? PMT_WAKE_WAKING : k == PMT_TD_WAKEUP_NEW ? PMT_WAKE_NEW : 0;
		uint32_t target;
		if (k == PMT_TD_WAKING)
			x->seen_waking = 1;
		if (kv(info, "comm", "pid", c1, sizeof(c1))) {
			pid = (uint32_t)kv_num(info, "pid", 0);
			target = (uint32_t)kv_num(info, "target_cpu", l->cpu);
		} else {
			const char *p = plugin_task(info, c1, sizeof(c1), &pid);
			const char *t = p ? strstr(p, "CPU:") : NULL;
			if (!p)
				return 1;
			target = t ? (uint32_t)strtoul(t + 4, NULL, 10) : l->cpu;
		}
		return pmt_sched_wakeup(x->s, l->cpu, l->ts, pid, c1, target, (uint32_t)l->pid, flags);
	}
	case PMT_TD_NEWTASK:
		x->seen_newtask = 1;
		kv(info, "comm", "clone_flags", c1, sizeof(c1));
		return pmt_sched_fork(x->s, l->cpu, l->ts, (uint32_t)l->pid, (uint32_t)kv_num(info, "pid", 0),
				      c1, (strtoull(kv(info, "clone_flags", NULL, b, sizeof(b)) ? b : "0", NULL, 16)
					   & 0x10000) ? 1 : 0); /* printed %llx, no 0x */
	case PMT_TD_FORK:
		if (x->seen_newtask)
			return 1;
		kv(info, "child_comm", "child_pid", c1, sizeof(c1));
		return pmt_sched_fork(x->s, l->cpu, l->ts, (uint32_t)kv_num(info, "pid", 0),
				      (uint32_t)kv_num(info, "child_pid", 0), c1, -1);
	case PMT_TD_EXEC: {
		char path[256];
		if (!kv(info, "filename", "pid", path, sizeof(path)))
			return 1;
		pid = (uint32_t)kv_num(info, "pid", 0);
		return pmt_sched_exec(x->s, l->cpu, l->ts, pid, (uint32_t)kv_num(info, "old_pid", pid), path);
	}
	case PMT_TD_EXIT:
		return pmt_sched_exit(x->s, l->cpu, l->ts, (uint32_t)kv_num(info, "pid", 0));
	}
	return 1;
}

/* "CPU:1 [LOST 12 EVENTS]" (tracefs), "[12 EVENTS DROPPED]" (some tools):
 * the count, and the CPU when the line names one (else -1). 0: not a loss. */
static int parse_lost(const char *s, uint64_t *count, long *cpu)
{
	const char *lost = strstr(s, "LOST ");
	const char *drop = strstr(s, " EVENTS DROPPED]");
	if (lost && strstr(lost, "EVENTS"))
		*count = strtoull(lost + 5, NULL, 10);
	else if (drop) {
		const char *b = drop;
		while (b > s && b[-1] != '[')
			b--;
		*count = strtoull(b, NULL, 10);
	} else
		return 0;
	const char *c = strstr(s, "CPU:");
	*cpu = c ? strtol(c + 4, NULL, 10) : -1;
	return 1;
}

int pmt_import_ftrace(const struct pmt_import_args *a)
{
	FILE *f = fopen(a->in, "r");
	if (!f) {
		pmt_import_err("cannot open '%s': %s", a->in, strerror(errno));
		return 1;
	}
	uint64_t hz = 0;
	if (a->cpu_hz && pmt_import_parse_hz(a->cpu_hz, &hz) < 0) {
		pmt_import_err("--cpu-hz: '%s' is not a frequency between 1e6 and 1e11 Hz (see 'pmt-import --help')",
			       a->cpu_hz);
		fclose(f);
		return 2;
	}
	/* Pass 1: CPUs, the kind of time stamps and the clock the header names. */
	char *buf = NULL;
	size_t cap = 0;
	uint32_t ncpus = 0;
	int integer_ts = 0, nlines = 0, tsc = 0;
	struct line l;
	while (getline(&buf, &cap, f) > 0) {
		if (buf[0] == '#') {
			int hc = header_clock(buf);
			if (hc >= 0)
				tsc = hc;
			continue;
		}
		if (parse_line(buf, &l, &integer_ts)) {
			nlines++;
			if (l.cpu < PMT_MAX_CPUS && l.cpu + 1 > ncpus)
				ncpus = l.cpu + 1;
		}
	}
	if (ferror(f) || nlines == 0) {
		if (ferror(f))
			pmt_import_err("cannot read '%s': %s", a->in, strerror(errno));
		else
			pmt_import_err("'%s': no ftrace event lines found (expected 'COMM-PID [CPU] ... TIME: EVENT: ...')",
			       a->in);
		free(buf);
		fclose(f);
		return 1;
	}
	rewind(f);
	if (hz && !integer_ts)
		fprintf(stderr, "pmt-import: '%s': time stamps are in seconds, not cycles: --cpu-hz ignored\n",
			a->in);
	/* Cycles of the TSC when told so; ns (seconds) or a counter otherwise. */
	struct pmt_clock clk = {.name = "ftrace-ns", .freq_hz = 1000000000u, .mult_num = 1, .mult_den = 1};
	if (integer_ts && (hz || tsc)) {
		uint64_t g = gcd64(1000000000ull, hz ? hz : 1000000000ull);
		clk.name = "x86-tsc";
		clk.freq_hz = hz ? hz : 1000000000u;
		clk.mult_num = 1000000000ull / g;
		clk.mult_den = clk.freq_hz / g;
		clk.flags = hz ? 0 : PMT_CLOCK_FREQ_ASSUMED;
	} else if (integer_ts) {
		clk.name = "counter";
		clk.flags = PMT_CLOCK_FREQ_ASSUMED;
	}
	struct pmt_import_out o;
	if (pmt_import_begin_clock(&o, a, "ftrace", ncpus, &clk) < 0) {
		free(buf);
		fclose(f);
		return 1;
	}
	struct imp x = {.ncpus = ncpus};
	uint64_t last_any = 0;
	x.s = pmt_sched_new(o.level, pmt_import_emit, &o);
	x.last = calloc(ncpus, sizeof(*x.last));
	int rc = 0;
	if (!x.s || !x.last) {
		pmt_import_err("out of memory");
		rc = -1;
	}
	while (rc >= 0 && getline(&buf, &cap, f) > 0) {
		uint64_t count;
		long lcpu;
		if (buf[0] == '#' || buf[0] == '\n')
			continue;
		int dummy = 0;
		if (!parse_line(buf, &l, &dummy)) {
			if (parse_lost(buf, &count, &lcpu)) {
				/* Where it was met: the text is in time order, so the
				 * last time stamp read (on any CPU) is the place. */
				for (uint32_t c = 0; c < ncpus && rc >= 0; c++)
					if (lcpu < 0 ? c == 0 : (uint32_t)lcpu == c) {
						if (x.last[c] < last_any)
							x.last[c] = last_any;
						rc = pmt_sched_lost(x.s, c, x.last[c], count, 0);
					}
				x.lost += count;
			} else if (strncmp(buf, "cpus=", 5) && strncmp(buf, "CPU ", 4)) {
				x.skipped++;
			}
			continue;
		}
		if (l.cpu >= ncpus) {
			x.skipped++;
			continue;
		}
		if (l.ts < x.last[l.cpu])
			l.ts = x.last[l.cpu];
		x.last[l.cpu] = l.ts;
		if (l.ts > last_any)
			last_any = l.ts;
		size_t mlen;
		const char *mt = marker_text(&l, &mlen);
		if (mt) {
			struct pmt_event ev;
			memset(&ev, 0, sizeof(ev));
			ev.ts = l.ts;
			ev.level = o.level;
			ev.cpu = l.cpu;
			ev.type = PMT_EV_MARKER;
			ev.u.marker.text.s = mt;
			ev.u.marker.text.len = (uint32_t)mlen;
			rc = pmt_import_emit(&o, &ev);
			x.markers++;
			continue;
		}
		rc = do_event(&x, &l);
		if (rc > 0) {
			x.skipped++;
			rc = 0;
		}
	}
	free(buf);
	fclose(f);
	int status;
	if (rc < 0 && !o.err) {
		pmt_writer_abort(o.w);
		status = 1;
	} else {
		status = pmt_import_end(&o, a, x.skipped, x.lost);
	}
	pmt_sched_free(x.s);
	free(x.last);
	return status;
}
