/*
 * main.c - pmt-record: the command line, the output file, the command it
 * runs, signals, the once-a-second flush and the summary. The sources
 * (source.h, sources.c) do the tracing.
 *
 *   parse -> checks (root, command exists) -> open output -> sources open
 *   -> header -> fork command (held) -> sources start -> release command
 *   -> loop { fds ready, signals, tick: flush } -> sources stop, finish
 *   -> close file -> sources close -> summary -> exit status
 *
 * Every path out of the loop (command exit, duration, SIGINT/SIGTERM/SIGHUP,
 * a write error) goes through stop and close: tracing is turned off and the
 * instance removed; what was flushed stays readable.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "record/source.h"

#define TICK_NS 1000000000ll /* flush period: a killed recorder loses at most this */
#define MAX_WATCH 4200
/* A recorder that falls behind must still see its signals and flush: one
 * turn of the loop (the sources' ready calls) gives up after this. */
#define SLICE_NS 250000000ll
/* At stop, what the kernel still holds is read for at most this long; the
 * rest is counted as lost. A second signal cuts it short at once. */
#define STOP_BUDGET_NS 1000000000ll

struct watch {
	int fd;
	const struct pmt_source *src;
	void *state;
};

struct pmt_rec_priv {
	int epfd;
	struct watch *watches;
	int nwatch;
	int stop_requested;
	int stopping;           /* in the sources' stop: a signal now aborts      */
	int abort_stop;         /* second signal while stopping                   */
	int64_t slice_end;      /* pmt_rec_cut_short() says yes from then on      */
	int sfd;
	int child_status;
	int out_fd;
	int out_errno;          /* errno of the first failed write               */
	uint64_t out_bytes;
	void *states[16];
	int opened[16];
	const struct pmt_source *active[16];
	int nactive;
};

static const char *prog = "pmt-record";

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", prog, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pmt_rec_err(struct pmt_rec *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void pmt_rec_warn(struct pmt_rec *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void pmt_rec_usage(struct pmt_rec *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	/* one line, with the hint every tool's usage errors carry */
	fprintf(stderr, " (see '%s --help')\n", prog);
	va_end(ap);
}

void pmt_rec_note(struct pmt_rec *r, const char *fmt, ...)
{
	if (!r->verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

int pmt_rec_watch(struct pmt_rec *r, const struct pmt_source *src, void *state, int fd)
{
	struct pmt_rec_priv *p = r->priv;
	if (p->nwatch >= MAX_WATCH)
		return -1;
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)p->nwatch};
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	p->watches[p->nwatch++] = (struct watch){fd, src, state};
	return 0;
}

int pmt_rec_unwatch(struct pmt_rec *r, int fd)
{
	struct pmt_rec_priv *p = r->priv;
	for (int i = 0; i < p->nwatch; i++)
		if (p->watches[i].fd == fd) {
			epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL);
			p->watches[i].fd = -1;
			return 0;
		}
	return -1;
}

int pmt_rec_append(struct pmt_rec *r, const struct pmt_event *ev)
{
	if (r->write_err)
		return r->write_err;
	int rc = pmt_writer_append(r->w, ev);
	if (rc < 0) {
		r->write_err = rc;
		return rc;
	}
	if (ev->level == r->host_level && ev->cpu < r->ncpus) {
		r->cpu_events[ev->cpu]++;
		if (ev->type == PMT_EV_LOST)
			r->cpu_lost[ev->cpu] += ev->u.lost.count;
	}
	return 0;
}

void pmt_rec_request_stop(struct pmt_rec *r)
{
	r->priv->stop_requested = 1;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Everything waiting on the signalfd. SIGINT/SIGTERM/SIGHUP: the first asks
 * for the stop (and is passed on to the command), one while stopping aborts
 * the final drain. */
static void take_signals(struct pmt_rec *r)
{
	struct pmt_rec_priv *p = r->priv;
	struct signalfd_siginfo si;
	if (p->sfd < 0)
		return;
	while (read(p->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			int st;
			if (r->child && waitpid(r->child, &st, WNOHANG) == r->child) {
				p->child_status = st;
				r->child = 0;
				p->stop_requested = 1;
			}
			continue;
		}
		if (p->stopping) {
			if (!p->abort_stop)
				pmt_rec_warn(r, "second signal: finishing the file without reading the rest");
			p->abort_stop = 1;
			continue;
		}
		p->stop_requested = 1;
		/* A terminal's Ctrl-C already reached the command. */
		if (r->child && si.ssi_code != SI_KERNEL)
			kill(r->child, (int)si.ssi_signo);
	}
}

int pmt_rec_cut_short(struct pmt_rec *r)
{
	struct pmt_rec_priv *p = r->priv;
	if (now_ns() >= p->slice_end)
		return 1;
	take_signals(r);
	return p->stopping ? p->abort_stop : p->stop_requested;
}

int pmt_rec_stop_aborted(struct pmt_rec *r)
{
	return r->priv->abort_stop;
}

/* ---------------------------------------------------------------- output */

/* Remove an output that holds nothing worth keeping, but only a regular
 * file: "-o /dev/null" or a FIFO must survive a failed run. */
static void unlink_if_regular(const char *path, int fd)
{
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		unlink(path);
}

static int out_write(void *opaque, const void *buf, size_t len)
{
	struct pmt_rec_priv *p = opaque;
	const char *b = buf;
	while (len) {
		ssize_t n = write(p->out_fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!p->out_errno)
				p->out_errno = n < 0 ? errno : ENOSPC;
			return PMT_EIO;
		}
		b += n;
		len -= (size_t)n;
		p->out_bytes += (uint64_t)n;
	}
	return 0;
}

/* ----------------------------------------------------------------- usage */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pmt-record [-o FILE] [--duration SEC] [--cpus LIST] [--buffer-size KB]\n"
		"                  [--clock NAME] [--events LIST] [-v] [-- COMMAND ARGS...]\n"
		"Record the scheduler events of this machine into a .pmt file.\n"
		"With a command: records the whole system while it runs and exits with its status.\n"
		"Without: records until --duration ends, SIGINT or SIGTERM.\n"
		"  -o, --output FILE     output file (default trace.pmt)\n"
		"  -d, --duration SEC    stop after SEC seconds (decimals allowed)\n"
		"  --cpus LIST           record only these CPUs (e.g. 0,2-3)\n"
		"  --buffer-size KB      kernel buffer per CPU (default 16384)\n"
		"  --clock NAME          trace clock (default x86-tsc where offered, else mono)\n"
		"  --events LIST         events to record instead of the default set (comma separated,\n"
		"                        [system:]name; see the README)\n"
		"  -v, --verbose         notes about what is set up\n"
		"  -h, --help            this help\n");
	for (int i = 0; pmt_sources[i]; i++)
		for (const struct pmt_source_opt *o = pmt_sources[i]->opts; o && o->name; o++)
			fprintf(f, "  --%s%s%-*s %s\n", o->name, o->has_arg ? " " : "",
				/* "--name ARG" padded to the 20 columns of the lines above */
				(int)(19 - strlen(o->name) - (o->has_arg ? 1 : 0)),
				o->has_arg ? (o->arg_name ? o->arg_name : "X") : "", o->help);
}

static int parse_cpus(struct pmt_rec *r, const char *s)
{
	r->cpu_set = calloc(PMT_REC_MAX_CPUS, 1);
	if (!r->cpu_set)
		return -1;
	const char *p = s;
	int any = 0;
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b;
		if (end == p || a < 0 || a >= PMT_REC_MAX_CPUS)
			return -1;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a || b >= PMT_REC_MAX_CPUS)
				return -1;
		}
		for (long c = a; c <= b; c++)
			r->cpu_set[c] = 1;
		any = 1;
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		p = end;
	}
	return any ? 0 : -1;
}

/* Is the command runnable? (Checked before anything is set up.) */
static int command_exists(const char *cmd)
{
	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0;
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	char buf[4096];
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(n ? n : 1), n ? path : ".", cmd);
		struct stat st;
		if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return 1;
		path += n;
		if (*path == ':')
			path++;
	}
	return 0;
}

enum { OPT_CPUS = 256, OPT_BUF, OPT_CLOCK, OPT_EVENTS, OPT_SRC = 1000 };

static int parse(struct pmt_rec *r, int argc, char **argv)
{
	static const struct option common[] = {
		{"output", required_argument, NULL, 'o'},
		{"duration", required_argument, NULL, 'd'},
		{"cpus", required_argument, NULL, OPT_CPUS},
		{"buffer-size", required_argument, NULL, OPT_BUF},
		{"clock", required_argument, NULL, OPT_CLOCK},
		{"events", required_argument, NULL, OPT_EVENTS},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
	};
	const size_t ncommon = sizeof(common) / sizeof(common[0]);
	struct option opts[ncommon + 64 + 1];
	const struct pmt_source *owner[64];
	size_t n = 0;
	for (; n < ncommon; n++)
		opts[n] = common[n];
	for (int i = 0; pmt_sources[i]; i++)
		for (const struct pmt_source_opt *o = pmt_sources[i]->opts; o && o->name && n < ncommon + 64; o++) {
			owner[n - ncommon] = pmt_sources[i];
			opts[n] = (struct option){o->name, o->has_arg ? required_argument : no_argument,
						  NULL, OPT_SRC + (int)(n - ncommon)};
			n++;
		}
	opts[n] = (struct option){0};
	int c;
	char *end;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:o:d:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			r->out_path = optarg;
			break;
		case 'd':
			r->duration = strtod(optarg, &end);
			if (end == optarg || *end || !(r->duration > 0) || r->duration > 1e7) {
				pmt_rec_usage(r, "bad --duration '%s': a number of seconds > 0", optarg);
				return -1;
			}
			break;
		case OPT_CPUS:
			r->cpus = optarg;
			if (parse_cpus(r, optarg) < 0) {
				pmt_rec_usage(r, "bad --cpus '%s': a list such as 0,2-3", optarg);
				return -1;
			}
			break;
		case OPT_BUF: {
			unsigned long v = strtoul(optarg, &end, 10);
			if (end == optarg || *end || v < 64 || v > 4u << 20) {
				pmt_rec_usage(r, "bad --buffer-size '%s': KB per CPU, 64 to 4194304", optarg);
				return -1;
			}
			r->buffer_kb = (unsigned)v;
			break;
		}
		case OPT_CLOCK:
			r->clock = optarg;
			break;
		case OPT_EVENTS:
			r->events = optarg;
			break;
		case 'v':
			r->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case '?': /* optopt: the unknown short option; a long one's id or 0 */
			if (optopt > 0 && optopt < 128 && isprint(optopt) && strncmp(argv[optind - 1], "--", 2))
				pmt_rec_usage(r, "unknown option '-%c'", optopt);
			else
				pmt_rec_usage(r, "unknown option '%s'", argv[optind - 1]);
			return -1;
		case ':':
			pmt_rec_usage(r, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			if (c >= OPT_SRC && c < OPT_SRC + 64) {
				const struct pmt_source *s = owner[c - OPT_SRC];
				if (s->option && s->option(r, opts[ncommon + (size_t)(c - OPT_SRC)].name,
							   optarg) < 0)
					return -1;
				break;
			}
			pmt_rec_usage(r, "bad option");
			return -1;
		}
	}
	if (optind < argc)
		r->argv = argv + optind;
	return 0;
}

/* ------------------------------------------------------------------ run */

/* The command, held until tracing runs: it waits on go[0]; an exec failure
 * comes back as an errno on st[0] (closed on exec). */
static pid_t spawn(char **argv, int *go_w, int *st_r, const sigset_t *old)
{
	int go[2], st[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(st, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char b;
		close(go[1]);
		close(st[0]);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, old, NULL);
		if (read(go[0], &b, 1) != 1)
			_exit(127); /* the recorder gave up before starting it */
		execvp(argv[0], argv);
		int e = errno;
		if (write(st[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(st[1]);
	if (pid < 0) {
		close(go[1]);
		close(st[0]);
		return -1;
	}
	*go_w = go[1];
	*st_r = st[0];
	return pid;
}

static void summary(struct pmt_rec *r, uint64_t bytes)
{
	uint64_t ev = 0, lost = 0;
	for (uint32_t c = 0; c < r->ncpus; c++) {
		ev += r->cpu_events[c];
		lost += r->cpu_lost[c];
	}
	fprintf(stderr, "%s: wrote '%s': %llu events, %llu lost, %llu bytes (%.2f bytes/event)\n", prog,
		r->out_path, (unsigned long long)ev, (unsigned long long)lost,
		(unsigned long long)bytes, ev ? (double)bytes / (double)ev : 0.0);
	struct rusage ru;
	if (r->verbose && getrusage(RUSAGE_SELF, &ru) == 0)
		fprintf(stderr, "  recorder: %.3f s user, %.3f s system, %ld KB peak memory, %ld wake-ups\n",
			(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
			(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss,
			ru.ru_nvcsw);
	for (uint32_t c = 0; c < r->ncpus; c++)
		if (r->cpu_events[c] || r->cpu_lost[c])
			fprintf(stderr, "  cpu%u: %llu events, %llu lost\n", c,
				(unsigned long long)r->cpu_events[c], (unsigned long long)r->cpu_lost[c]);
}

static void ready_all(struct pmt_rec *r)
{
	struct pmt_rec_priv *p = r->priv;
	for (int i = 0; i < p->nactive; i++)
		if (p->active[i]->ready && p->active[i]->ready(r, p->states[i], -1) < 0)
			p->stop_requested = 1;
}

int main(int argc, char **argv)
{
	struct pmt_rec rec = {.out_path = "trace.pmt"};
	struct pmt_rec_priv priv = {.epfd = -1, .out_fd = -1, .sfd = -1, .child_status = -1,
				    .slice_end = INT64_MAX};
	struct pmt_rec *r = &rec;
	int status = 0, failed = 0;
	int go_w = -1, st_r = -1, began = 0;
	r->priv = &priv;

	if (parse(r, argc, argv) < 0) {
		free(r->cpu_set);
		return 2;
	}
	for (int i = 0; pmt_sources[i] && priv.nactive < 16; i++)
		if (!pmt_sources[i]->active || pmt_sources[i]->active(r))
			priv.active[priv.nactive++] = pmt_sources[i];
	if (geteuid() != 0) {
		pmt_rec_err(r, "recording needs root (tracefs and kernel events): run it as root, e.g. sudo pmt-record ...");
		free(r->cpu_set);
		return 1;
	}
	if (r->argv && !command_exists(r->argv[0])) {
		pmt_rec_err(r, "'%s': command not found: check its name or PATH", r->argv[0]);
		free(r->cpu_set);
		return 1;
	}

	/* Signals arrive through a signalfd: the loop sees them in order. */
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	/* A shell starts background jobs with SIGINT ignored: an ignored signal
	 * is discarded even when blocked, so take the defaults back first. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_BLOCK, &mask, &old);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	priv.sfd = sfd;

	priv.watches = calloc(MAX_WATCH, sizeof(*priv.watches));
	r->ncpus = PMT_REC_MAX_CPUS;
	r->cpu_events = calloc(r->ncpus, sizeof(uint64_t));
	r->cpu_lost = calloc(r->ncpus, sizeof(uint64_t));
	priv.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || priv.epfd < 0 || !priv.watches || !r->cpu_events || !r->cpu_lost) {
		pmt_rec_err(r, "cannot set up: %s", strerror(errno ? errno : ENOMEM));
		status = 1;
		goto out_free;
	}
	struct epoll_event sev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
	epoll_ctl(priv.epfd, EPOLL_CTL_ADD, sfd, &sev);

	priv.out_fd = open(r->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (priv.out_fd < 0) {
		pmt_rec_err(r, "cannot open '%s' for writing: %s: choose a writable path with -o",
			    r->out_path, strerror(errno));
		status = 1;
		goto out_free;
	}
	int err = 0;
	struct pmt_writer_opts wo = {.codec = PMT_CODEC_ZLIB, .level = 1};
	r->w = pmt_writer_open_cb(out_write, &priv, &wo, &err);
	if (!r->w) {
		pmt_rec_err(r, "'%s': cannot start the file: %s", r->out_path, pmt_strerror(err));
		unlink_if_regular(r->out_path, priv.out_fd);
		close(priv.out_fd);
		status = 1;
		goto out_free;
	}
	struct utsname u;
	char start[64];
	time_t t0 = time(NULL);
	strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t0));
	if (uname(&u) == 0) {
		pmt_writer_set_meta(r->w, "host", u.nodename);
		pmt_writer_set_meta(r->w, "kernel", u.release);
		pmt_writer_set_meta(r->w, "machine", u.machine);
	}
	pmt_writer_set_meta(r->w, "start_time", start);
	pmt_writer_set_meta(r->w, "recorder", "pmt-record");
	if (r->argv) {
		char cmd[1024] = "";
		size_t pos = 0;
		for (char **a = r->argv; *a && pos < sizeof(cmd) - 1; a++)
			pos += (size_t)snprintf(cmd + pos, sizeof(cmd) - pos, "%s%s", pos ? " " : "", *a);
		pmt_writer_set_meta(r->w, "command", cmd);
	}

	/* Open every source; any failure ends here, through close. */
	int i;
	for (i = 0; i < priv.nactive; i++) {
		priv.opened[i] = 1;
		if (priv.active[i]->open && priv.active[i]->open(r, &priv.states[i]) < 0)
			break;
	}
	if (i < priv.nactive || priv.nactive == 0) {
		if (priv.nactive == 0)
			pmt_rec_err(r, "no source to record from");
		failed = 1;
		goto out_close;
	}
	if ((err = pmt_writer_begin(r->w)) < 0) {
		pmt_rec_err(r, "'%s': cannot write the header: %s", r->out_path,
			    priv.out_errno ? strerror(priv.out_errno) : pmt_strerror(err));
		failed = 1;
		goto out_close;
	}
	began = 1;
	if (r->argv) {
		r->child = spawn(r->argv, &go_w, &st_r, &old);
		if (r->child < 0) {
			pmt_rec_err(r, "cannot start '%s': %s", r->argv[0], strerror(errno));
			r->child = 0;
			failed = 1;
			goto out_close;
		}
	}
	for (i = 0; i < priv.nactive; i++)
		if (priv.active[i]->start && priv.active[i]->start(r, priv.states[i]) < 0)
			break;
	if (i < priv.nactive) {
		failed = 1;
		goto out_stop;
	}
	/* Decoding and compression must not compete with the traced work. */
	setpriority(PRIO_PROCESS, 0, 19);
	if (r->child) {
		int e = 0;
		if (write(go_w, "g", 1) != 1 || read(st_r, &e, sizeof(e)) == sizeof(e)) {
			pmt_rec_err(r, "'%s': cannot execute: %s", r->argv[0], strerror(e ? e : EPIPE));
			failed = 1;
		}
		close(go_w);
		close(st_r);
		go_w = st_r = -1;
	}

	int64_t t_start = now_ns(), next_tick = t_start + TICK_NS;
	int64_t deadline = r->duration > 0 ? t_start + (int64_t)(r->duration * 1e9) : INT64_MAX;
	while (!failed && !priv.stop_requested && !r->write_err) {
		int64_t now = now_ns();
		if (now >= deadline)
			break;
		if (now >= next_tick) {
			priv.slice_end = now + SLICE_NS;
			ready_all(r);
			if (!r->write_err && (err = pmt_writer_flush(r->w)) < 0)
				r->write_err = err;
			next_tick = now + TICK_NS;
			continue;
		}
		int64_t until = next_tick < deadline ? next_tick : deadline;
		int timeout = (int)((until - now + 999999) / 1000000);
		struct epoll_event evs[64];
		int n = epoll_wait(priv.epfd, evs, 64, timeout);
		priv.slice_end = now_ns() + SLICE_NS;
		/* Signals first: a source that cannot keep up must not hide them. */
		take_signals(r);
		for (int k = 0; k < n && !priv.stop_requested; k++) {
			uint32_t id = evs[k].data.u32;
			if (id == UINT32_MAX)
				continue;
			if ((int)id < priv.nwatch && priv.watches[id].fd >= 0) {
				struct watch *wt = &priv.watches[id];
				if (wt->src->ready && wt->src->ready(r, wt->state, wt->fd) < 0)
					failed = 1;
			}
		}
	}

out_stop:
	/* Bounded: a recorder far behind its sources ends within about the
	 * budget; a second signal ends the drain now. */
	priv.stopping = 1;
	priv.slice_end = now_ns() + STOP_BUDGET_NS;
	/* The traced work may keep every CPU busy: stop at normal priority. */
	setpriority(PRIO_PROCESS, 0, 0);
	take_signals(r);
	for (i = priv.nactive - 1; i >= 0; i--)
		if (priv.active[i]->stop && priv.active[i]->stop(r, priv.states[i]) < 0 && !r->write_err)
			failed = 1;
	if (!r->write_err)
		for (i = 0; i < priv.nactive; i++)
			if (priv.active[i]->finish && priv.active[i]->finish(r, priv.states[i]) < 0)
				failed = 1;
out_close:
	if (!began) {
		/* Nothing recorded: no file rather than an empty one. */
		pmt_writer_abort(r->w);
		unlink_if_regular(r->out_path, priv.out_fd);
	} else if (r->write_err) {
		pmt_rec_err(r, "'%s': write failed: %s: free some space or write elsewhere with -o "
			    "(the file is readable up to its last flush)",
			    r->out_path, priv.out_errno ? strerror(priv.out_errno) : pmt_strerror(r->write_err));
		pmt_writer_abort(r->w);
		failed = 1;
	} else if ((err = pmt_writer_close(r->w)) < 0) {
		pmt_rec_err(r, "'%s': cannot finish the file: %s", r->out_path,
			    priv.out_errno ? strerror(priv.out_errno) : pmt_strerror(err));
		failed = 1;
	}
	r->w = NULL;
	if (priv.out_fd >= 0 && close(priv.out_fd) < 0 && !failed) {
		pmt_rec_err(r, "'%s': %s", r->out_path, strerror(errno));
		failed = 1;
	}
	for (i = priv.nactive - 1; i >= 0; i--)
		if (priv.opened[i] && priv.active[i]->close)
			priv.active[i]->close(r, priv.states[i]);
	if (go_w >= 0)
		close(go_w); /* a held command that never started exits */
	if (st_r >= 0)
		close(st_r);
	if (!failed || priv.out_bytes)
		summary(r, priv.out_bytes);
	/* After a failure the command is left to run on (it is the user's
	 * benchmark); otherwise its status is ours. */
	if (r->child && !failed) {
		int st;
		while (waitpid(r->child, &st, 0) < 0 && errno == EINTR)
			;
		priv.child_status = st;
	}
	if (failed)
		status = 1;
	else if (priv.child_status != -1)
		status = WIFEXITED(priv.child_status) ? WEXITSTATUS(priv.child_status)
			 : WIFSIGNALED(priv.child_status) ? 128 + WTERMSIG(priv.child_status) : 1;
	else
		status = 0;
out_free:
	free(r->cpu_events);
	free(r->cpu_lost);
	free(r->cpu_set);
	free(priv.watches);
	if (priv.epfd >= 0)
		close(priv.epfd);
	if (sfd >= 0)
		close(sfd);
	return status;
}
