/*
 * run.c - the processes pmt-plot runs: pmt-analyze for report data and
 * gnuplot for rendering, and the files they leave in the work directory.
 * Children inherit stderr so their own messages (naming the trace and what
 * went wrong) reach the user unchanged; pmt-plot adds one line saying which
 * step failed.
 */
#include "plot/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void plot_err(const char *fmt, ...)
{
	va_list ap;
	fputs("pmt-plot: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void plot_note(const struct plot *p, const char *fmt, ...)
{
	va_list ap;
	if (p->o->quiet)
		return;
	fprintf(stderr, "pmt-plot: %s: note: ", p->figure);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The child running now, so that a signal to pmt-plot reaches it too. */
volatile pid_t plot_child;

/*
 * Run argv with stdout to out_path (or /dev/null), stderr to err_path (or
 * inherited), in dir (or here). Returns the exit status, 127 when argv[0]
 * could not be executed, or -1 when the process could not be started.
 */
static int run(const char *const *argv, const char *dir, const char *out_path,
	       const char *err_path)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(out_path ? out_path : "/dev/null",
			      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(126);
		if (err_path) {
			int efd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (efd < 0 || dup2(efd, 2) < 0)
				_exit(126);
		}
		if (dir && chdir(dir) < 0)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	plot_child = pid;
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			plot_child = 0;
			return -1;
		}
	plot_child = 0;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static int join_path(char *buf, size_t n, const char *dir, const char *name)
{
	int k = snprintf(buf, n, "%s/%s", dir, name);
	return k < 0 || (size_t)k >= n ? -1 : 0;
}

int plot_analyze_raw(struct plot *p, const char *tag, const char *const *argv,
		     char *path, size_t pathlen)
{
	char name[320];
	snprintf(name, sizeof(name), "%s-%s.csv", p->stem, tag);
	if (join_path(path, pathlen, p->workdir, name) < 0 || plot_track(path) < 0) {
		plot_err("work directory path too long");
		return -1;
	}
	int rc = run(argv, NULL, path, NULL);
	if (rc == 127 || rc == 126 || rc < 0) {
		plot_err("cannot run '%s': %s", argv[0],
			 access(argv[0], X_OK) < 0 ? strerror(errno) : "exec failed");
		return -1;
	}
	if (rc != 0) {
		/* pmt-analyze has said what went wrong with the trace. */
		plot_err("%s: 'pmt-analyze %s' failed (exit status %d)", p->figure,
			 argv[1] ? argv[1] : "", rc);
		return -1;
	}
	return 0;
}

struct csv *plot_report(struct plot *p, int ti, const char *tag,
			const char *const *args, int notime)
{
	const char *argv[32];
	int n = 0;
	argv[n++] = p->o->analyze;
	for (; *args && n < 24; args++)
		argv[n++] = *args;
	argv[n++] = "--format";
	argv[n++] = "csv";
	if (p->o->time_arg && !notime) {
		argv[n++] = "--time";
		argv[n++] = p->o->time_arg;
	}
	argv[n++] = p->tr[ti].path;
	argv[n] = NULL;
	char path[4096];
	if (plot_analyze_raw(p, tag, argv, path, sizeof(path)) < 0)
		return NULL;
	struct csv *c = csv_open(path);
	if (!c)
		plot_err("'%s': %s", path, strerror(errno));
	return c;
}

FILE *plot_data(struct plot *p, const char *tag, char *name, size_t namelen)
{
	char path[4096];
	snprintf(name, namelen, "%s-%s.dat", p->stem, tag);
	if (join_path(path, sizeof(path), p->workdir, name) < 0 || plot_track(path) < 0) {
		plot_err("work directory path too long");
		return NULL;
	}
	FILE *f = fopen(path, "w");
	if (!f)
		plot_err("cannot create '%s': %s", path, strerror(errno));
	return f;
}

int plot_data_close(FILE *f)
{
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		plot_err("cannot write a data file: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int plot_need_col(const struct plot *p, struct csv *c, const char *report,
		  const char *const *names)
{
	int i = csv_col_any(c, names);
	if (i < 0)
		plot_err("%s: the '%s' report has no column '%s'", p->figure, report,
			 names[0]);
	return i;
}

/* --------------------------------------------------------------- gnuplot */

static const char *gnuplot_bin(void)
{
	const char *g = getenv("PMT_GNUPLOT");
	return g && *g ? g : "gnuplot";
}

#define GP_INSTALL "install it with 'apt-get install gnuplot-nox'"

int gp_check(void)
{
	int fds[2];
	if (pipe(fds) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		int nul = open("/dev/null", O_WRONLY);
		if (nul >= 0)
			dup2(nul, 2);
		const char *argv[] = { gnuplot_bin(), "--version", NULL };
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	char buf[256];
	size_t n = 0;
	ssize_t k;
	while (n + 1 < sizeof(buf) && (k = read(fds[0], buf + n, sizeof(buf) - 1 - n)) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n += (size_t)k;
	}
	buf[n] = '\0';
	close(fds[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 127) {
		plot_err("gnuplot not found: " GP_INSTALL);
		return -1;
	}
	int major = 0, minor = 0;
	if (sscanf(buf, "gnuplot %d.%d", &major, &minor) != 2) {
		plot_err("'%s --version' did not say which gnuplot it is: " GP_INSTALL,
			 gnuplot_bin());
		return -1;
	}
	if (major < 5) {
		plot_err("gnuplot %d.%d is too old (5.0 or newer is needed): " GP_INSTALL,
			 major, minor);
		return -1;
	}
	return 0;
}

int gp_run(const char *dir, const char *script)
{
	char errpath[4096];
	if (join_path(errpath, sizeof(errpath), dir, "gnuplot.err") < 0 ||
	    plot_track(errpath) < 0)
		return -1;
	const char *argv[] = { gnuplot_bin(), script, NULL };
	int rc = run(argv, dir, NULL, errpath);
	if (rc == 127) {
		plot_err("gnuplot not found: " GP_INSTALL);
		return -1;
	}
	if (rc != 0) {
		plot_err("gnuplot failed on '%s' (exit status %d)", script, rc);
		FILE *f = fopen(errpath, "r");
		char line[512];
		int lines = 0;
		while (f && lines < 8 && fgets(line, sizeof(line), f))
			if (line[0] != '\n') {
				fprintf(stderr, "  %s", line);
				lines++;
			}
		if (f)
			fclose(f);
		return -1;
	}
	return 0;
}
