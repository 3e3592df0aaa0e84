/*
 * linux.c - the Linux tracefs source of pmt-record.
 *
 * Owns the private instance instances/pmt-PID: its events, clock, buffers
 * and per-CPU raw pipes. Reading is built to cost the traced machine as
 * little as possible:
 *  - big per-CPU buffers, and buffer_percent so that the kernel wakes the
 *    recorder only when a CPU's buffer is half full (plus one tick a second);
 *  - full sub-buffers move with splice() into a pipe (no copy, one system
 *    call for up to 1 MiB) and are read from it in one read();
 *  - the decoding (kbuffer + libtraceevent field offsets, record/tepdec.c)
 *    and compression (the writer) run in this one thread, niced by main;
 *    no system call and no allocation per event.
 * Once a second (tick) the partly filled sub-buffers are read too, so that a
 * killed recorder loses at most about a second.
 * Losses: a sub-buffer flagged "events missed before" becomes a lost record
 * where the gap is (from the last event read on that CPU to the first after
 * the gap); at the end per_cpu/cpuN/stats (overrun + dropped) tells what the
 * flags did not, written as a lost record at the end of that CPU.
 * A recorder slower than its events (a loaded machine, a sanitizer build)
 * never sees a CPU's buffer empty: every drain gives back to main when
 * pmt_rec_cut_short() says so, so that signals and flushes still happen, and
 * the drain at stop (tracing already off) is bounded the same way, counting
 * what it leaves in the buffer (stats "entries") as lost.
 * PMT_RECORD_SLOW_US=N (tests only) sleeps N microseconds per sub-buffer
 * decoded, to make a recorder fall behind on purpose.
 */
#include "record/linux.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <kbuffer.h>
#include <tracefs.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_RDTSC 1
#endif

#include "record/sched.h"
#include "record/tepdec.h"

#define DEFAULT_BUFFER_KB 16384u
#define BUFFER_PERCENT "50"
#define PIPE_BYTES (1u << 20)
#define MAX_PARTIAL_READS 64        /* per CPU per tick                      */

struct cpu_rd {
	int cpu;
	int fd;                 /* per_cpu/cpuN/trace_pipe_raw, or -1            */
	int have_ts;
	uint64_t last_ts;       /* last timestamp written on this CPU            */
	uint64_t lost_flagged;  /* lost counts written from sub-buffer flags     */
	int unknown_missed;     /* sub-buffers flagged without a count           */
	uint64_t records;       /* raw records read                             */
};

struct extra_ev {
	struct pmt_linux *l;
	pmt_linux_handler fn;
	void *ctx;
};

struct pmt_linux {
	struct pmt_rec *r;
	struct tracefs_instance *inst;
	char name[32];
	char dir[256];          /* the tracefs mount                             */
	struct tep_handle *tep;
	struct kbuffer *kbuf;
	struct pmt_sched *sched;
	struct pmt_tepdec *dec;
	struct cpu_rd *cpus;    /* ncpus entries (host level CPUs)               */
	uint32_t ncpus;
	int pipe[2];
	char *buf;              /* PIPE_BYTES + one sub-buffer                  */
	size_t subbuf;          /* sub-buffer size in bytes                      */
	int started, stopped, failed;
	int percent;            /* buffer_percent set: the raw fds are watched   */
	long slow_us;           /* PMT_RECORD_SLOW_US: sleep per sub-buffer      */
	/* Sub-buffers read into buf but not decoded yet (a drain cut short in
	 * the middle of a bulk read): pend_off..pend_end of pend_cr's. */
	struct cpu_rd *pend_cr;
	size_t pend_off, pend_end;
	char events[512];       /* enabled events, for the metadata             */
	struct extra_ev *extras[64];
	unsigned nextras;
	/* Clock. */
	char clock[32];
	int tsc;                /* x86-tsc: calibrate against CLOCK_MONOTONIC    */
	uint64_t tsc0;
	int64_t mono0;
	uint64_t unc0;
	uint16_t clock_id;
};

static struct pmt_linux *the_linux; /* one per recording */

struct pmt_linux *pmt_linux_of(struct pmt_rec *r)
{
	return the_linux && the_linux->r == r ? the_linux : NULL;
}

struct tep_handle *pmt_linux_tep(struct pmt_linux *l)
{
	return l->tep;
}

struct tracefs_instance *pmt_linux_instance(struct pmt_linux *l)
{
	return l->inst;
}

uint32_t pmt_linux_tgid(struct pmt_linux *l, uint32_t tid)
{
	return l->sched ? pmt_sched_tgid(l->sched, tid) : 0;
}

/* ------------------------------------------------------------- helpers */

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return (int)n;
}

static int read_int(const char *path, long *v)
{
	char buf[64];
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	char *end;
	*v = strtol(buf, &end, 10);
	return end == buf ? -1 : 0;
}

static int inst_write(struct pmt_linux *l, const char *file, const char *val)
{
	if (tracefs_instance_file_write(l->inst, file, val) < 0) {
		pmt_rec_err(l->r, "cannot write '%s' to tracefs file '%s/instances/%s/%s': %s",
			    val, l->dir, l->name, file, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#ifdef HAVE_RDTSC
/* A (tsc, monotonic) pair: the tightest of a few brackets mono-tsc-mono. */
static void tsc_pair(uint64_t *tsc, int64_t *mono, uint64_t *unc)
{
	int64_t best = INT64_MAX;
	for (int i = 0; i < 16; i++) {
		int64_t a = mono_ns();
		uint64_t t = __rdtsc();
		int64_t b = mono_ns();
		if (b - a < best) {
			best = b - a;
			*tsc = t;
			*mono = a + (b - a) / 2;
		}
	}
	*unc = (uint64_t)(best / 2 + 1);
}
#endif

/* ------------------------------------------------------- tracefs setup */

static int find_tracefs(struct pmt_linux *l)
{
	const char *env = getenv("PMT_TRACEFS");
	const char *dir = env && *env ? env : "/sys/kernel/tracing";
	char p[300];
	snprintf(p, sizeof(p), "%s/instances", dir);
	if (access(p, F_OK) != 0) {
		if (mount("nodev", dir, "tracefs", 0, NULL) != 0 || access(p, F_OK) != 0) {
			pmt_rec_err(l->r, "tracefs is not mounted at '%s' and mounting it failed (%s): "
				    "mount it (mount -t tracefs nodev %s) on a kernel built with CONFIG_FTRACE",
				    dir, strerror(errno), dir);
			return -1;
		}
	}
	snprintf(l->dir, sizeof(l->dir), "%s", dir);
	if (tracefs_set_tracing_dir(l->dir) < 0) {
		pmt_rec_err(l->r, "cannot use tracefs at '%s'", dir);
		return -1;
	}
	return 0;
}

/* Is pid a live process (a zombie is dead: its instance is orphaned)? */
static int alive(pid_t pid)
{
	if (kill(pid, 0) != 0 && errno == ESRCH)
		return 0;
	char p[64], buf[256];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	if (read_small(p, buf, sizeof(buf)) <= 0)
		return errno != ENOENT;
	const char *e = strrchr(buf, ')');
	return !(e && e[1] == ' ' && (e[2] == 'Z' || e[2] == 'X'));
}

/*
 * Remove instances pmt-PID left by recorders that died (SIGKILL, crash).
 * Only those whose PID is gone: other recorders may run right now.
 */
static void remove_stale(struct pmt_linux *l)
{
	char p[300];
	snprintf(p, sizeof(p), "%s/instances", l->dir);
	DIR *d = opendir(p);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "pmt-", 4) != 0)
			continue;
		const char *s = de->d_name + 4;
		char *end;
		long pid = strtol(s, &end, 10);
		if (end == s || *end || pid <= 0)
			continue;
		if (pid != getpid() && alive((pid_t)pid))
			continue;
		struct tracefs_instance *in = tracefs_instance_alloc(l->dir, de->d_name);
		if (!in)
			continue;
		tracefs_trace_off(in);
		if (tracefs_instance_destroy(in) == 0)
			pmt_rec_warn(l->r, "removed the instance '%s' left by a recorder that died", de->d_name);
		else
			pmt_rec_warn(l->r, "cannot remove the stale instance '%s': %s", de->d_name, strerror(errno));
		tracefs_instance_free(in);
	}
	closedir(d);
}

static int set_clock(struct pmt_linux *l)
{
	char *avail = tracefs_instance_file_read(l->inst, "trace_clock", NULL);
	const char *want = l->r->clock ? l->r->clock : "x86-tsc";
	int found = 0;
	if (avail) {
		for (char *tok = strtok(avail, " []\n"); tok; tok = strtok(NULL, " []\n"))
			if (strcmp(tok, want) == 0)
				found = 1;
	}
	free(avail);
	if (!found) {
		if (l->r->clock) {
			pmt_rec_err(l->r, "trace clock '%s' is not offered by this kernel: choose one of %s/trace_clock",
				    want, l->dir);
			return -1;
		}
		want = "mono"; /* not x86: CLOCK_MONOTONIC itself */
	}
	snprintf(l->clock, sizeof(l->clock), "%s", want);
	l->tsc = strcmp(want, "x86-tsc") == 0;
#ifndef HAVE_RDTSC
	if (l->tsc) {
		pmt_rec_err(l->r, "x86-tsc cannot be calibrated on this architecture: use --clock mono");
		return -1;
	}
#endif
	return inst_write(l, "trace_clock", want);
}

/* Clock description: x86-tsc calibrated on CLOCK_MONOTONIC (refined at the
 * end); nanosecond clocks map to themselves. */
static int add_clock(struct pmt_linux *l)
{
	struct pmt_clock c = {.name = l->clock, .freq_hz = 1000000000u, .mult_num = 1, .mult_den = 1};
	if (l->tsc) {
#ifdef HAVE_RDTSC
		uint64_t t1, u1;
		int64_t m1;
		tsc_pair(&l->tsc0, &l->mono0, &l->unc0);
		struct timespec d = {0, 20 * 1000 * 1000};
		nanosleep(&d, NULL);
		tsc_pair(&t1, &m1, &u1);
		c.raw_base = l->tsc0;
		c.ref_base_ns = l->mono0;
		c.mult_num = (uint64_t)(m1 - l->mono0);
		c.mult_den = t1 - l->tsc0;
		if (!c.mult_num || !c.mult_den)
			c.mult_num = c.mult_den = 1;
		c.freq_hz = (uint64_t)((double)c.mult_den * 1e9 / (double)c.mult_num);
		c.uncertainty_ns = l->unc0 + u1;
#endif
	} else if (strcmp(l->clock, "counter") == 0) {
		c.flags = PMT_CLOCK_FREQ_ASSUMED;
	}
	int id = pmt_writer_add_clock(l->r->w, &c);
	if (id < 0) {
		pmt_rec_err(l->r, "cannot describe the clock: %s", pmt_strerror(id));
		return -1;
	}
	l->clock_id = (uint16_t)id;
	l->r->host_clock = (uint16_t)id;
	return 0;
}

static uint32_t possible_cpus(void)
{
	char buf[256];
	uint32_t max = 0;
	if (read_small("/sys/devices/system/cpu/possible", buf, sizeof(buf)) <= 0)
		return (uint32_t)sysconf(_SC_NPROCESSORS_CONF);
	for (char *p = buf; *p;) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p)
			break;
		if (v > max)
			max = (uint32_t)v;
		p = end;
		while (*p && !isdigit((unsigned char)*p))
			p++;
	}
	return max + 1 > PMT_REC_MAX_CPUS ? PMT_REC_MAX_CPUS : max + 1;
}

static void cpu_topo(uint32_t c, struct pmt_cpu_topo *t)
{
	char p[160], buf[256];
	long v;
	t->package = t->die = t->core = t->thread = t->node = -1;
	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u/topology/physical_package_id", c);
	if (read_int(p, &v) == 0)
		t->package = (int32_t)v;
	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u/topology/die_id", c);
	if (read_int(p, &v) == 0)
		t->die = (int32_t)v;
	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u/topology/core_id", c);
	if (read_int(p, &v) == 0)
		t->core = (int32_t)v;
	/* thread: rank of c among its core's siblings ("0-1", "0,2"). */
	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", c);
	if (read_small(p, buf, sizeof(buf)) > 0) {
		int rank = 0;
		for (char *s = buf; *s;) {
			char *end;
			unsigned long a = strtoul(s, &end, 10), b;
			if (end == s)
				break;
			b = a;
			if (*end == '-')
				b = strtoul(end + 1, &end, 10);
			if (c >= a && c <= b) {
				rank += (int)(c - a);
				t->thread = rank;
				break;
			}
			rank += (int)(b - a + 1);
			s = *end ? end + 1 : end;
		}
	}
	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u", c);
	DIR *d = opendir(p);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (strncmp(de->d_name, "node", 4) == 0 && isdigit((unsigned char)de->d_name[4]))
				t->node = atoi(de->d_name + 4);
		closedir(d);
	}
}

static int add_level(struct pmt_linux *l)
{
	struct pmt_cpu_topo *topo = calloc(l->ncpus, sizeof(*topo));
	if (!topo) {
		pmt_rec_err(l->r, "out of memory");
		return -1;
	}
	for (uint32_t c = 0; c < l->ncpus; c++)
		cpu_topo(c, &topo[c]);
	struct pmt_level lv = {.kind = PMT_LEVEL_HOST, .clock = l->clock_id, .name = "host",
			       .ncpus = l->ncpus, .topo = topo, .guest_id = -1};
	int id = pmt_writer_add_level(l->r->w, &lv);
	free(topo);
	if (id < 0) {
		pmt_rec_err(l->r, "cannot describe the CPUs: %s", pmt_strerror(id));
		return -1;
	}
	l->r->host_level = (uint16_t)id;
	return 0;
}

/* Thread group of a task from /proc (for tasks born between the /proc scan
 * and the start of tracing: once per such task, never per event). */
static uint32_t proc_tgid(void *ctx, uint32_t tid)
{
	char p[64], buf[1024];
	(void)ctx;
	snprintf(p, sizeof(p), "/proc/%u/status", tid);
	if (read_small(p, buf, sizeof(buf)) <= 0)
		return 0;
	const char *t = strstr(buf, "\nTgid:");
	return t ? (uint32_t)strtoul(t + 6, NULL, 10) : 0;
}

/* The initial task table: every thread of every process in /proc. */
static int scan_tasks(struct pmt_linux *l)
{
	DIR *d = opendir("/proc");
	if (!d) {
		pmt_rec_warn(l->r, "cannot read /proc: tasks alive at start stay unnamed");
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		uint32_t pid = (uint32_t)strtoul(de->d_name, NULL, 10);
		char p[96], buf[512];
		uint32_t flags = 0;
		snprintf(p, sizeof(p), "/proc/%u/stat", pid);
		if (read_small(p, buf, sizeof(buf)) > 0) {
			/* field 9 (flags) after the ")" closing the name */
			const char *s = strrchr(buf, ')');
			unsigned long pf = 0;
			if (s && sscanf(s + 1, " %*c %*d %*d %*d %*d %*d %lu", &pf) == 1 &&
			    (pf & 0x00200000ul)) /* PF_KTHREAD */
				flags |= PMT_TASK_KTHREAD;
		}
		snprintf(p, sizeof(p), "/proc/%u/task", pid);
		DIR *td = opendir(p);
		if (!td)
			continue;
		struct dirent *te;
		while ((te = readdir(td))) {
			if (!isdigit((unsigned char)te->d_name[0]))
				continue;
			uint32_t tid = (uint32_t)strtoul(te->d_name, NULL, 10);
			char comm[64];
			snprintf(p, sizeof(p), "/proc/%u/task/%u/comm", pid, tid);
			if (read_small(p, comm, sizeof(comm)) <= 0)
				continue;
			comm[strcspn(comm, "\n")] = 0;
			struct pmt_task t = {.level = l->r->host_level, .tid = tid, .pid = pid,
					     .flags = flags, .comm = comm};
			int rc = pmt_writer_add_task(l->r->w, &t);
			if (rc < 0 || pmt_sched_add_known(l->sched, tid, pid, comm) < 0) {
				closedir(td);
				closedir(d);
				pmt_rec_err(l->r, "cannot add the task table: %s",
					    pmt_strerror(rc < 0 ? rc : PMT_ENOMEM));
				return -1;
			}
			if (flags & PMT_TASK_KTHREAD)
				pmt_sched_set_kthread(l->sched, tid);
		}
		closedir(td);
	}
	closedir(d);
	return 0;
}

/* ------------------------------------------------------------ events */

static int event_exists(struct pmt_linux *l, const char *sys, const char *name)
{
	return tracefs_event_file_exists(l->inst, sys, name, "enable");
}

/* Parse the running kernel's format of sys:name into l->tep (only the events
 * enabled: loading every format, kallsyms and cmdlines would cost seconds). */
static int load_format(struct pmt_linux *l, const char *sys, const char *name)
{
	if (tep_find_event_by_name(l->tep, sys, name))
		return 0;
	int size = 0;
	char *fmt = tracefs_event_file_read(l->inst, sys, name, "format", &size);
	if (!fmt || size <= 0 || tep_parse_event(l->tep, fmt, (unsigned long)size, sys) != 0) {
		free(fmt);
		pmt_rec_err(l->r, "cannot parse the format of %s:%s (%s/events/%s/%s/format)", sys, name,
			    l->dir, sys, name);
		return -1;
	}
	free(fmt);
	return 0;
}

static int enable(struct pmt_linux *l, const char *sys, const char *name)
{
	if (load_format(l, sys, name) < 0)
		return -1;
	if (tracefs_event_enable(l->inst, sys, name) < 0) {
		pmt_rec_err(l->r, "cannot enable the event %s:%s: %s", sys, name, strerror(errno ? errno : EIO));
		return -1;
	}
	size_t n = strlen(l->events);
	snprintf(l->events + n, sizeof(l->events) - n, "%s%s:%s", n ? "," : "", sys, name);
	return 0;
}

/* Enable the default set, or --events: each name with or without system:. */
static int enable_events(struct pmt_linux *l)
{
	if (!l->r->events) {
		static const int defaults[] = {PMT_TD_SWITCH, PMT_TD_MIGRATE, PMT_TD_WAKING,
					       PMT_TD_WAKEUP_NEW, PMT_TD_NEWTASK, PMT_TD_EXEC,
					       PMT_TD_EXIT};
		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
			int k = defaults[i];
			const char *sys = pmt_tepdec_system(k), *name = pmt_tepdec_name(k);
			if (!event_exists(l, sys, name)) {
				int alt = k == PMT_TD_WAKING ? PMT_TD_WAKEUP
					  : k == PMT_TD_NEWTASK ? PMT_TD_FORK : PMT_TD_NONE;
				if (alt && event_exists(l, pmt_tepdec_system(alt), pmt_tepdec_name(alt))) {
					pmt_rec_note(l->r, "%s:%s is absent: using %s", sys, name,
						     pmt_tepdec_name(alt));
					k = alt;
					sys = pmt_tepdec_system(k);
					name = pmt_tepdec_name(k);
				} else {
					pmt_rec_warn(l->r, "this kernel has no event %s:%s: recording without it",
						     sys, name);
					continue;
				}
			}
			if (enable(l, sys, name) < 0)
				return -1;
		}
		return 0;
	}
	char *list = strdup(l->r->events);
	if (!list) {
		pmt_rec_err(l->r, "out of memory");
		return -1;
	}
	int rc = 0, n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		const char *sys = NULL, *name = tok;
		if (colon) {
			*colon = 0;
			sys = tok;
			name = colon + 1;
		}
		int k = pmt_tepdec_kind_of(sys, name);
		if (sys && !event_exists(l, sys, name)) {
			pmt_rec_warn(l->r, "this kernel has no event %s:%s: recording without it", sys, name);
			continue;
		}
		if (!k) {
			pmt_rec_warn(l->r, "event '%s%s%s' is not one pmt-record decodes: recording without it",
				     sys ? sys : "", sys ? ":" : "", name);
			continue;
		}
		sys = pmt_tepdec_system(k);
		if (!event_exists(l, sys, name)) {
			pmt_rec_warn(l->r, "this kernel has no event %s:%s: recording without it", sys, name);
			continue;
		}
		if ((rc = enable(l, sys, name)) < 0)
			break;
		n++;
	}
	free(list);
	if (rc == 0 && n == 0) {
		pmt_rec_err(l->r, "none of the events in --events '%s' can be recorded: see pmt-record --help",
			    l->r->events);
		return -1;
	}
	return rc;
}

static int set_cpumask(struct pmt_linux *l)
{
	if (!l->r->cpu_set)
		return 0;
	/* tracing_cpumask: hex, most significant first, 32-bit groups by commas. */
	char mask[PMT_REC_MAX_CPUS / 4 + PMT_REC_MAX_CPUS / 32 + 2];
	size_t pos = 0;
	uint32_t groups = (l->ncpus + 31) / 32;
	for (uint32_t g = groups; g-- > 0;) {
		uint32_t v = 0;
		for (uint32_t b = 0; b < 32; b++)
			if (g * 32 + b < l->ncpus && l->r->cpu_set[g * 32 + b])
				v |= 1u << b;
		pos += (size_t)snprintf(mask + pos, sizeof(mask) - pos, "%s%08x", pos ? "," : "", v);
	}
	return inst_write(l, "tracing_cpumask", mask);
}

static void tep_warn(void *ctx, const char *text)
{
	struct pmt_linux *l = ctx;
	pmt_rec_warn(l->r, "%s", text);
}

static int emit(void *ctx, const struct pmt_event *ev)
{
	struct pmt_linux *l = ctx;
	return pmt_rec_append(l->r, ev);
}

static int open_cpus(struct pmt_linux *l)
{
	for (uint32_t c = 0; c < l->ncpus; c++) {
		struct cpu_rd *cr = &l->cpus[c];
		cr->cpu = (int)c;
		cr->fd = -1;
		if (!pmt_rec_cpu_wanted(l->r, c))
			continue;
		char rel[64];
		snprintf(rel, sizeof(rel), "per_cpu/cpu%u/trace_pipe_raw", c);
		char *path = tracefs_instance_get_file(l->inst, rel);
		if (!path)
			continue;
		cr->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		tracefs_put_tracing_file(path);
		if (cr->fd < 0) {
			if (errno != ENOENT && errno != ENODEV)
				pmt_rec_warn(l->r, "cannot open the raw buffer of CPU %u: %s", c, strerror(errno));
			continue;
		}
		if (l->percent && pmt_rec_watch(l->r, &pmt_source_linux, l, cr->fd) < 0) {
			pmt_rec_err(l->r, "cannot watch the raw buffer of CPU %u", c);
			return -1;
		}
	}
	return 0;
}

static int lx_open(struct pmt_rec *r, void **state)
{
	struct pmt_linux *l = calloc(1, sizeof(*l));
	if (!l) {
		pmt_rec_err(r, "out of memory");
		return -1;
	}
	l->r = r;
	l->pipe[0] = l->pipe[1] = -1;
	const char *slow = getenv("PMT_RECORD_SLOW_US");
	if (slow && *slow)
		l->slow_us = strtol(slow, NULL, 10);
	*state = l;
	the_linux = l;
	if (find_tracefs(l) < 0)
		return -1;
	remove_stale(l);
	snprintf(l->name, sizeof(l->name), "pmt-%d", (int)getpid());
	l->inst = tracefs_instance_create(l->name);
	if (!l->inst) {
		pmt_rec_err(r, "cannot create the tracefs instance '%s/instances/%s': %s",
			    l->dir, l->name, strerror(errno ? errno : EIO));
		return -1;
	}
	/* A new instance records from the start: nothing until we say so. */
	if (tracefs_trace_off(l->inst) < 0) {
		pmt_rec_err(r, "cannot turn tracing off in '%s'", l->name);
		return -1;
	}
	l->ncpus = possible_cpus();
	l->cpus = calloc(l->ncpus, sizeof(*l->cpus));
	l->buf = malloc(PIPE_BYTES + 65536);
	l->kbuf = kbuffer_alloc(KBUFFER_LSIZE_SAME_AS_HOST, KBUFFER_ENDIAN_SAME_AS_HOST);
	if (!l->cpus || !l->buf || !l->kbuf) {
		pmt_rec_err(r, "out of memory");
		return -1;
	}
	for (uint32_t c = 0; c < l->ncpus; c++)
		l->cpus[c].fd = -1;

	char kb[32];
	snprintf(kb, sizeof(kb), "%u", r->buffer_kb ? r->buffer_kb : DEFAULT_BUFFER_KB);
	long sb = 4;
	char *sbp = tracefs_instance_get_file(l->inst, "buffer_subbuf_size_kb");
	if (sbp) {
		if (read_int(sbp, &sb) < 0 || sb <= 0)
			sb = 4;
		tracefs_put_tracing_file(sbp);
	}
	l->subbuf = (size_t)sb * 1024;
	if (l->subbuf > 65536) {
		pmt_rec_err(r, "sub-buffers of %ld KB are not supported (at most 64)", sb);
		return -1;
	}
	if (set_clock(l) < 0 || inst_write(l, "buffer_size_kb", kb) < 0 ||
	    set_cpumask(l) < 0)
		return -1;
	/* Without buffer_percent (kernels before 5.1) poll says "readable" as
	 * soon as one event is there: the buffers are then read on the tick
	 * only, never watched. */
	l->percent = tracefs_file_exists(l->inst, "buffer_percent") &&
		     tracefs_instance_file_write(l->inst, "buffer_percent", BUFFER_PERCENT) > 0;
	if (!l->percent)
		pmt_rec_warn(r, "this kernel has no buffer_percent: reading once a second (use a big --buffer-size)");
	l->tep = tep_alloc();
	if (!l->tep) {
		pmt_rec_err(r, "out of memory");
		return -1;
	}
	tep_set_file_bigendian(l->tep, tep_is_bigendian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_long_size(l->tep, (int)sizeof(long));
	tep_set_page_size(l->tep, (int)sysconf(_SC_PAGESIZE));
	if (enable_events(l) < 0)
		return -1;
	if (add_clock(l) < 0 || add_level(l) < 0)
		return -1;

	l->sched = pmt_sched_new(r->host_level, emit, l);
	if (!l->sched) {
		pmt_rec_err(r, "out of memory");
		return -1;
	}
	pmt_sched_set_tgid_fn(l->sched, proc_tgid, l);
	char msg[200];
	l->dec = pmt_tepdec_new(l->tep, l->sched, msg, sizeof(msg), tep_warn, l);
	if (!l->dec) {
		pmt_rec_err(r, "cannot decode this kernel's events: %s", msg);
		return -1;
	}
	if (scan_tasks(l) < 0)
		return -1;
	pmt_writer_set_meta(r->w, "trace_clock", l->clock);
	pmt_writer_set_meta(r->w, "buffer_kb", kb);

	if (pipe2(l->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		pmt_rec_err(r, "cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	fcntl(l->pipe[0], F_SETPIPE_SZ, PIPE_BYTES); /* best effort */
	return open_cpus(l);
}

static int lx_start(struct pmt_rec *r, void *state)
{
	struct pmt_linux *l = state;
	if (tracefs_trace_on(l->inst) < 0) {
		pmt_rec_err(r, "cannot turn tracing on in '%s': %s", l->name, strerror(errno ? errno : EIO));
		return -1;
	}
	l->started = 1;
	pmt_writer_set_meta(r->w, "events", l->events); /* with other sources' events */
	return 0;
}

/* ------------------------------------------------------------ reading */

/* Events the kernel lost on cpu (overrun + dropped); *entries: events still
 * in its buffer, unread. */
static uint64_t kernel_lost(struct pmt_linux *l, int cpu, uint64_t *entries)
{
	char rel[64];
	*entries = 0;
	snprintf(rel, sizeof(rel), "per_cpu/cpu%d/stats", cpu);
	char *s = tracefs_instance_file_read(l->inst, rel, NULL);
	if (!s)
		return 0;
	uint64_t n = 0;
	const char *p;
	if (strncmp(s, "entries:", 8) == 0)
		*entries = strtoull(s + 8, NULL, 10);
	if ((p = strstr(s, "\noverrun:")) || (p = strstr(s, "overrun:")))
		n += strtoull(strchr(p, ':') + 1, NULL, 10);
	if ((p = strstr(s, "dropped events:")))
		n += strtoull(p + 15, NULL, 10);
	free(s);
	return n;
}

static int decode_subbuf(struct pmt_linux *l, struct cpu_rd *cr, void *page)
{
	unsigned long long ts;
	if (kbuffer_load_subbuffer(l->kbuf, page) < 0)
		return 0;
	if (l->slow_us > 0) {
		struct timespec d = {l->slow_us / 1000000, (l->slow_us % 1000000) * 1000};
		nanosleep(&d, NULL);
	}
	int missed = kbuffer_missed_events(l->kbuf);
	void *data = kbuffer_read_event(l->kbuf, &ts);
	if (missed && !l->failed) {
		uint64_t start = cr->have_ts ? cr->last_ts : (data ? ts : 0);
		uint64_t end = data ? ts : start;
		uint64_t count = missed > 0 ? (uint64_t)missed : 0;
		if (missed < 0)
			cr->unknown_missed++;
		cr->lost_flagged += count;
		if (end < start)
			end = start;
		int rc = pmt_sched_lost(l->sched, (uint32_t)cr->cpu, start, count, end - start);
		if (rc < 0)
			return rc;
		cr->last_ts = start;
		cr->have_ts = 1;
	}
	while (data) {
		if (cr->have_ts && ts < cr->last_ts)
			ts = cr->last_ts; /* never backwards within a stream */
		cr->last_ts = ts;
		cr->have_ts = 1;
		cr->records++;
		int rc = pmt_tepdec_record(l->dec, (uint32_t)cr->cpu, ts, data,
					   kbuffer_event_size(l->kbuf));
		if (rc < 0)
			return rc;
		data = kbuffer_next_event(l->kbuf, &ts);
	}
	return 0;
}

/* Full sub-buffers through the pipe; returns <0 on a write error, 1 when
 * cut short (pmt_rec_cut_short) with more to read, 0 when none is left. */
static int decode_pending(struct pmt_linux *l)
{
	for (unsigned i = 1; l->pend_off + l->subbuf <= l->pend_end; i++) {
		int rc = decode_subbuf(l, l->pend_cr, l->buf + l->pend_off);
		l->pend_off += l->subbuf;
		if (rc < 0)
			return rc;
		/* A starved recorder (niced, on busy CPUs) takes long per bulk
		 * read: look at the clock and the signals within one too. */
		if (i % 64 == 0 && l->pend_off + l->subbuf <= l->pend_end && pmt_rec_cut_short(l->r))
			return 1;
	}
	l->pend_off = l->pend_end = 0;
	return 0;
}

/* Events in the sub-buffers left undecoded (counted as lost at stop). */
static uint64_t pending_events(struct pmt_linux *l)
{
	uint64_t n = 0;
	unsigned long long ts;
	for (size_t off = l->pend_off; off + l->subbuf <= l->pend_end; off += l->subbuf) {
		if (kbuffer_load_subbuffer(l->kbuf, l->buf + off) < 0)
			continue;
		for (void *d = kbuffer_read_event(l->kbuf, &ts); d; d = kbuffer_next_event(l->kbuf, &ts))
			n++;
	}
	return n;
}

static int drain_full(struct pmt_linux *l, struct cpu_rd *cr)
{
	int rc = decode_pending(l);
	if (rc != 0)
		return rc;
	for (;;) {
		ssize_t n = splice(cr->fd, NULL, l->pipe[1], NULL, PIPE_BYTES,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n <= 0)
			return 0; /* EAGAIN: no full sub-buffer left */
		size_t got = 0;
		while (got < (size_t)n) {
			ssize_t m = read(l->pipe[0], l->buf + got, (size_t)n - got);
			if (m <= 0) {
				if (m < 0 && errno == EINTR)
					continue;
				break;
			}
			got += (size_t)m;
		}
		l->pend_cr = cr;
		l->pend_off = 0;
		l->pend_end = got;
		if ((rc = decode_pending(l)) != 0)
			return rc;
		if (l->failed)
			return 0;
		if (pmt_rec_cut_short(l->r))
			return 1;
	}
}

/* Partly filled sub-buffers (read copies them out of the ring); same
 * returns as drain_full. */
static int drain_partial(struct pmt_linux *l, struct cpu_rd *cr, int max)
{
	for (int i = 0; i < max; i++) {
		if (i % 16 == 15 && pmt_rec_cut_short(l->r))
			return 1;
		ssize_t n = read(cr->fd, l->buf, l->subbuf);
		if (n <= 0)
			return 0;
		int rc = decode_subbuf(l, cr, l->buf);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void add_late_task(void *ctx, uint32_t tid, uint32_t tgid, uint32_t flags,
			  const char *comm)
{
	struct pmt_linux *l = ctx;
	struct pmt_task t = {.level = l->r->host_level, .tid = tid, .pid = tgid, .flags = flags,
			     .comm = comm};
	pmt_writer_add_task(l->r->w, &t);
}

static int fail(struct pmt_linux *l, int rc)
{
	l->failed = 1;
	return rc;
}

static int lx_ready(struct pmt_rec *r, void *state, int fd)
{
	struct pmt_linux *l = state;
	int rc;
	if (l->failed || !l->started || l->stopped)
		return l->failed ? -1 : 0;
	for (uint32_t c = 0; c < l->ncpus; c++) {
		struct cpu_rd *cr = &l->cpus[c];
		if (cr->fd < 0 || (fd >= 0 && cr->fd != fd))
			continue;
		if ((rc = drain_full(l, cr)) < 0)
			return fail(l, rc);
		if (rc == 0 && fd < 0 && (rc = drain_partial(l, cr, MAX_PARTIAL_READS)) < 0)
			return fail(l, rc);
		if (rc > 0)
			break; /* main's turn: the rest on the next call */
	}
	if (fd < 0) /* before a flush: tasks learned since the last one */
		pmt_sched_take_new(l->sched, add_late_task, l);
	return 0;
}

static int lx_stop(struct pmt_rec *r, void *state)
{
	struct pmt_linux *l = state;
	if (!l->inst || l->stopped)
		return 0;
	tracefs_trace_off(l->inst);
	l->stopped = 1;
	if (!l->started || l->failed)
		return l->failed ? -1 : 0;
	/* Tracing is off: what is left is bounded by the buffers, but reading
	 * it may still take long on a slow recorder; cut short, the rest is
	 * counted as lost. */
	uint64_t unread = 0;
	for (uint32_t c = 0; c < l->ncpus; c++) {
		struct cpu_rd *cr = &l->cpus[c];
		if (cr->fd < 0)
			continue;
		int rc = pmt_rec_cut_short(r) ? 1 : drain_full(l, cr);
		if (rc == 0)
			rc = drain_partial(l, cr, 1 << 30);
		if (rc < 0)
			return fail(l, rc);
		/* What the kernel counted and the sub-buffer flags did not say. */
		uint64_t entries, k = kernel_lost(l, cr->cpu, &entries);
		if (rc == 0)
			entries = 0; /* all read */
		unread += entries;
		if (k + entries > cr->lost_flagged) {
			rc = pmt_sched_lost(l->sched, (uint32_t)c, cr->last_ts,
					    k + entries - cr->lost_flagged, 0);
			if (rc < 0)
				return fail(l, rc);
		}
	}
	if (l->pend_off + l->subbuf <= l->pend_end) {
		uint64_t n = pending_events(l);
		unread += n;
		int rc = pmt_sched_lost(l->sched, (uint32_t)l->pend_cr->cpu, l->pend_cr->last_ts, n, 0);
		if (rc < 0)
			return fail(l, rc);
	}
	if (unread)
		pmt_rec_warn(r, "%s: %llu events left unread in the kernel buffers, counted as lost",
			     pmt_rec_stop_aborted(r) ? "stopped at once" : "the recorder was behind",
			     (unsigned long long)unread);
	return 0;
}

static int lx_finish(struct pmt_rec *r, void *state)
{
	struct pmt_linux *l = state;
	pmt_sched_take_new(l->sched, add_late_task, l);
#ifdef HAVE_RDTSC
	if (l->tsc && l->tsc0) {
		uint64_t t1, u1;
		int64_t m1;
		tsc_pair(&t1, &m1, &u1);
		if (t1 > l->tsc0 && m1 > l->mono0) {
			struct pmt_clock c = {.name = l->clock, .raw_base = l->tsc0, .ref_base_ns = l->mono0,
					      .mult_num = (uint64_t)(m1 - l->mono0), .mult_den = t1 - l->tsc0,
					      .uncertainty_ns = l->unc0 + u1};
			c.freq_hz = (uint64_t)((double)c.mult_den * 1e9 / (double)c.mult_num);
			int rc = pmt_writer_update_clock(r->w, l->clock_id, &c);
			if (rc < 0)
				pmt_rec_warn(r, "cannot store the end-of-run clock calibration: %s", pmt_strerror(rc));
		}
	}
#endif
	return 0;
}

static void lx_close(struct pmt_rec *r, void *state)
{
	struct pmt_linux *l = state;
	if (!l)
		return;
	if (l->cpus)
		for (uint32_t c = 0; c < l->ncpus; c++)
			if (l->cpus[c].fd >= 0) {
				pmt_rec_unwatch(r, l->cpus[c].fd);
				close(l->cpus[c].fd);
			}
	if (l->inst) {
		tracefs_trace_off(l->inst);
		if (tracefs_instance_destroy(l->inst) < 0)
			pmt_rec_warn(r, "cannot remove the instance '%s': %s (remove it with rmdir %s/instances/%s)",
				     l->name, strerror(errno), l->dir, l->name);
		tracefs_instance_free(l->inst);
	}
	for (unsigned i = 0; i < l->nextras; i++)
		free(l->extras[i]);
	if (l->pipe[0] >= 0)
		close(l->pipe[0]);
	if (l->pipe[1] >= 0)
		close(l->pipe[1]);
	pmt_tepdec_free(l->dec);
	pmt_sched_free(l->sched);
	if (l->kbuf)
		kbuffer_free(l->kbuf);
	if (l->tep)
		tep_free(l->tep);
	free(l->cpus);
	free(l->buf);
	if (the_linux == l)
		the_linux = NULL;
	free(l);
}

static int lx_active(struct pmt_rec *r)
{
	return !r->no_linux;
}

/* --------------------------------------------------- extension points */

static int extra_tramp(void *ctx, struct tep_event *ev, uint32_t cpu, uint64_t ts,
		       int32_t common_pid, void *data, int size)
{
	struct extra_ev *x = ctx;
	struct pmt_linux_rec rec = {.cpu = cpu, .ts = ts, .common_pid = common_pid,
				    .event = ev, .data = data, .size = size};
	return x->fn(x->l->r, x->ctx, &rec);
}

int pmt_linux_add_event(struct pmt_linux *l, const char *system, const char *name,
			pmt_linux_handler fn, void *ctx)
{
	if (l->started || l->nextras >= sizeof(l->extras) / sizeof(l->extras[0])) {
		pmt_rec_err(l->r, "cannot add the event %s:%s now", system, name);
		return -1;
	}
	/* ftrace:* events (print: trace_marker writes) are always on: no enable file. */
	int always_on = strcmp(system, "ftrace") == 0 &&
			tracefs_event_file_exists(l->inst, system, name, "format");
	if (!always_on && !event_exists(l, system, name)) {
		pmt_rec_warn(l->r, "this kernel has no event %s:%s: recording without it", system, name);
		return 1;
	}
	if (load_format(l, system, name) < 0)
		return -1;
	struct tep_event *ev = tep_find_event_by_name(l->tep, system, name);
	struct extra_ev *x = calloc(1, sizeof(*x));
	if (!x || !ev) {
		free(x);
		pmt_rec_err(l->r, "cannot add the event %s:%s", system, name);
		return -1;
	}
	x->l = l;
	x->fn = fn;
	x->ctx = ctx;
	l->extras[l->nextras++] = x;
	if (pmt_tepdec_add(l->dec, ev, extra_tramp, x) < 0) {
		pmt_rec_err(l->r, "cannot add the event %s:%s", system, name);
		return -1;
	}
	return always_on ? 0 : enable(l, system, name);
}

int pmt_linux_set_filter(struct pmt_linux *l, const char *system, const char *name,
			 const char *filter)
{
	if (tracefs_event_file_write(l->inst, system, name, "filter", filter) < 0) {
		pmt_rec_err(l->r, "cannot set the filter of %s:%s to '%s': %s", system, name, filter,
			    strerror(errno ? errno : EINVAL));
		return -1;
	}
	return 0;
}

const struct pmt_source pmt_source_linux = {
	.name = "linux",
	.active = lx_active,
	.open = lx_open,
	.start = lx_start,
	.ready = lx_ready,
	.stop = lx_stop,
	.finish = lx_finish,
	.close = lx_close,
};
