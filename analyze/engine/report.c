/* report.c - the frame shared by the engine-based reports: see report.h. */
#include "analyze/engine/report.h"
#include "analyze/engine/feed.h"

#include <string.h>
#include <sys/stat.h>

static int open_common(struct rep *p, const char *name, const char *usage, int argc,
		       char **argv, const struct cli_opt *opts, cli_opt_fn fn, void *ctx,
		       int with_out, int max_args)
{
	static char prog[64];
	memset(p, 0, sizeof(*p));
	snprintf(prog, sizeof(prog), "pmt-analyze %s", name);
	int rc = cli_parse(&p->cli, prog, usage, argc, argv, opts, fn, ctx);
	if (rc > 0) {
		cli_release(&p->cli);
		return CLI_EXIT_OK;
	}
	if (rc < 0) {
		cli_release(&p->cli);
		return CLI_EXIT_USAGE;
	}
	if (p->cli.nargs < 1 || p->cli.nargs > max_args) {
		if (p->cli.nargs)
			cli_usage_error(&p->cli, "too many arguments (%d)", p->cli.nargs);
		else
			cli_usage_error(&p->cli, "a trace file is needed");
		cli_release(&p->cli);
		return CLI_EXIT_USAGE;
	}
	if (p->cli.nargs == 2) {
		/* `export --to csv DIR FILE.pmt`: the trace is the one that is a
		 * regular file when the other is not */
		struct stat a, b;
		int ra = stat(p->cli.args[0], &a) == 0 && S_ISREG(a.st_mode);
		int rb = stat(p->cli.args[1], &b) == 0 && S_ISREG(b.st_mode);
		if (!ra && rb) {
			char *t = p->cli.args[0];
			p->cli.args[0] = p->cli.args[1];
			p->cli.args[1] = t;
		}
	}
	p->r = cli_open(&p->cli, p->cli.args[0]);
	if (!p->r) {
		cli_release(&p->cli);
		return CLI_EXIT_ERROR;
	}
	p->info = pmt_reader_info(p->r);
	p->e = eng_new(p->info);
	if (!p->e) {
		cli_error(&p->cli, "out of memory");
		pmt_reader_close(p->r);
		cli_release(&p->cli);
		return CLI_EXIT_ERROR;
	}
	p->lo = cli_time_lo(&p->cli);
	p->hi = cli_time_hi(&p->cli);
	if (p->hi != INT64_MAX)
		eng_set_stop(p->e, p->hi);
	if (with_out) {
		p->o = cli_out_open(&p->cli, &p->fp);
		if (!p->o) {
			eng_free(p->e);
			pmt_reader_close(p->r);
			cli_release(&p->cli);
			return CLI_EXIT_ERROR;
		}
	}
	return -1;
}

int rep_open(struct rep *p, const char *name, const char *usage, int argc, char **argv,
	     const struct cli_opt *opts, cli_opt_fn fn, void *ctx)
{
	return open_common(p, name, usage, argc, argv, opts, fn, ctx, 1, 1);
}

int rep_open_noout(struct rep *p, const char *name, const char *usage, int argc,
		   char **argv, const struct cli_opt *opts, cli_opt_fn fn, void *ctx)
{
	return open_common(p, name, usage, argc, argv, opts, fn, ctx, 0, 2);
}

static void progress_cb(void *ctx, uint64_t n, uint64_t total)
{
	cli_progress(ctx, n, total);
}

int rep_run(struct rep *p)
{
	int err = 0;
	pmt_cursor *cur = pmt_cursor_open_merged(p->r, NULL, &err);
	if (!cur) {
		cli_error(&p->cli, "'%s': %s", p->cli.args[0], pmt_strerror(err));
		p->read_err = err ? err : PMT_EIO;
		eng_finish(p->e, INT64_MIN);
		return p->read_err;
	}
	struct eng_pass pass = {
		.total = p->info->events,
		.progress = progress_cb,
		.ctx = &p->cli,
	};
	err = eng_pass_run(p->e, cur, &pass, NULL);
	cli_progress_done(&p->cli);
	pmt_cursor_close(cur);
	if (err < 0) {
		/* the damage itself is in info.damage; cli_open printed what it knew */
		const struct pmt_info *in = pmt_reader_info(p->r);
		if (in->ndamage)
			fprintf(stderr, "%s: offset %llu: %s\n", p->cli.args[0],
				(unsigned long long)in->damage[in->ndamage - 1].offset,
				in->damage[in->ndamage - 1].what);
		cli_error(&p->cli, "'%s': reading stopped: %s (the report covers what was read before; --tolerant skips damaged chunks)",
			  p->cli.args[0], pmt_strerror(err));
		p->read_err = err;
		eng_finish(p->e, eng_now(p->e));
		return err;
	}
	eng_finish(p->e, INT64_MIN);
	return 0;
}

static void fmt_ns(char *buf, size_t len, int64_t ns)
{
	if (ns >= 1000000000)
		snprintf(buf, len, "%.3f s", (double)ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, len, "%.3f ms", (double)ns / 1e6);
	else if (ns >= 1000)
		snprintf(buf, len, "%.3f us", (double)ns / 1e3);
	else
		snprintf(buf, len, "%lld ns", (long long)ns);
}

void rep_notes(struct rep *p, struct out *o)
{
	cli_note_trace(&p->cli, o, p->r);
	struct eng_totals t;
	eng_totals(p->e, &t);
	if (p->read_err)
		out_note(o, "reading stopped early (%s): the figures cover the trace up to %lld ns only",
			 pmt_strerror(p->read_err), (long long)rep_rel(p, eng_trace_end(p->e)));
	if (t.inferred) {
		char cpus[256] = "";
		size_t n = 0;
		for (size_t i = 0; i < eng_cpu_count(p->e) && n + 32 < sizeof(cpus); i++) {
			const struct eng_cpu *c = eng_cpu_at(p->e, i);
			if (c->inferred)
				n += (size_t)snprintf(cpus + n, sizeof(cpus) - n, "%s%s cpu %u: %llu",
						      n ? ", " : "", rep_level_name(p, c->level), c->cpu,
						      (unsigned long long)c->inferred);
		}
		out_note(o, "%llu switch-ins were not recorded and were inferred from the switch-outs (%s); their runs start at the later of the CPU's previous switch and the task's wakeup (docs/METRICS.md)",
			 (unsigned long long)t.inferred, cpus);
	}
	if (t.unknown_ns || t.conflicts || t.resyncs) {
		char b[32], why[160] = "";
		size_t n = 0;
		fmt_ns(b, sizeof(b), t.unknown_ns);
		if (t.lost_records)
			n += (size_t)snprintf(why + n, sizeof(why) - n, "%s%llu losses", n ? ", " : "",
					      (unsigned long long)t.lost_records);
		if (t.conflicts && n < sizeof(why))
			n += (size_t)snprintf(why + n, sizeof(why) - n, "%s%llu missing switch-outs",
					      n ? ", " : "", (unsigned long long)t.conflicts);
		if (t.cpus_without_switch && n < sizeof(why))
			snprintf(why + n, sizeof(why) - n, "%s%llu CPUs without any switch",
				 n ? ", " : "", (unsigned long long)t.cpus_without_switch);
		out_note(o, "CPU time unknown: %s (%s); it counts as neither busy nor idle",
			 b, why[0] ? why : "inconsistencies");
	}
	if (t.bad_events)
		out_note(o, "%llu events named a level or CPU the file does not describe and were ignored",
			 (unsigned long long)t.bad_events);
}

int rep_close(struct rep *p)
{
	int status = CLI_EXIT_OK;
	if (p->o) {
		rep_notes(p, p->o);
		if (cli_out_close(&p->cli, p->o, p->fp))
			status = CLI_EXIT_ERROR;
	}
	int s = cli_exit_status(&p->cli, p->r);
	if (s > status)
		status = s;
	if (p->read_err && !p->cli.tolerant)
		status = CLI_EXIT_ERROR;
	eng_free(p->e);
	pmt_reader_close(p->r);
	cli_release(&p->cli);
	return status;
}

int rep_want_entity(const struct rep *p, const struct eng_entity *en)
{
	return cli_want_level(&p->cli, en->level) &&
	       cli_want_task(&p->cli, en->tid, en->pid, en->comm);
}

int rep_want_cpu(const struct rep *p, uint16_t level, uint32_t cpu)
{
	return cli_want_level(&p->cli, level) && cli_want_cpu(&p->cli, level, cpu);
}

const char *rep_level_name(const struct rep *p, uint16_t level)
{
	const struct eng_level *l = eng_level_at(p->e, level);
	return l && l->name[0] ? l->name : "?";
}

const char *rep_flags(unsigned f, char *buf, size_t len)
{
	static const char *const names[] = {
		"start_trace", "start_inferred", "start_resync",
		"end_trace", "end_inferred", "end_unknown",
	};
	size_t n = 0;
	buf[0] = 0;
	for (int i = 0; i < 6; i++)
		if (f & (1u << i) && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "", names[i]);
	return buf;
}
