/*
 * cmd_export.c - `pmt-analyze export FILE --to csv DIR` (intervals, CPU
 * intervals, migrations, events and entities as CSV tables) and
 * `pmt-analyze export FILE --to perfetto OUT` (ftrace text that the Perfetto
 * UI opens with CPU tracks). Everything streams: memory does not grow with
 * the trace. Columns and the text format: docs/METRICS.md, "export".
 */
#include "analyze/commands.h"
#include "analyze/engine/report.h"
#include "analyze/migorder.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define USAGE "pmt-analyze export FILE.pmt --to csv DIR | --to perfetto OUT.txt [OPTIONS]"

enum { TO_NONE, TO_CSV, TO_PERFETTO };

struct exp {
	struct rep *p;
	int to;
	/* csv */
	struct out *o[5];
	FILE *f[5];
	struct table *iv, *ci, *mig, *ev, *ent;
	/* perfetto: one file per level */
	FILE **pf;
	const char *dest;
	uint64_t lines;
	struct mig_order ord;   /* migrations.csv in time order, as the report */
};

static int opt_fn(void *ctx, int id, const char *arg)
{
	struct exp *x = ctx;
	if (!strcmp(arg, "csv"))
		x->to = TO_CSV;
	else if (!strcmp(arg, "perfetto"))
		x->to = TO_PERFETTO;
	else
		return cli_usage_error(&x->p->cli, "--to: '%s' is not csv or perfetto", arg);
	return 0;
}

/* ------------------------------------------------------------------ csv */

static void set_ent(struct table *t, int c0, struct rep *p, const struct eng_entity *en)
{
	table_set_u(t, c0, en->tid);
	table_set_u(t, c0 + 1, en->pid);
	table_set_s(t, c0 + 2, en->comm);
}

static void c_iv(void *ctx, struct eng *e, const struct eng_interval *iv)
{
	struct exp *x = ctx;
	struct rep *p = x->p;
	if (!rep_want_entity(p, iv->ent))
		return;
	int64_t s = iv->start_ns < p->lo ? p->lo : iv->start_ns;
	int64_t en = iv->end_ns > p->hi ? p->hi : iv->end_ns;
	if (en < s || (en == s && iv->state != ENG_RUNNING))
		return;
	if (p->cli.cpus && (iv->cpu == ENG_NONE || !rep_want_cpu(p, iv->ent->level, iv->cpu)))
		return;
	struct table *t = x->iv;
	char fb[96];
	table_set_s(t, 0, rep_level_name(p, iv->ent->level));
	if (iv->cpu != ENG_NONE)
		table_set_u(t, 1, iv->cpu);
	set_ent(t, 2, p, iv->ent);
	table_set_s(t, 5, eng_state_name(iv->state));
	table_set_i(t, 6, rep_rel(p, s));
	table_set_i(t, 7, rep_rel(p, en));
	if (iv->state == ENG_BLOCKED || iv->state == ENG_RUNNABLE)
		table_set_s(t, 8, pmt_state_name(iv->prev_state));
	if (iv->waker != ENG_NONE)
		table_set_u(t, 9, iv->waker);
	table_set_s(t, 10, rep_flags(iv->flags, fb, sizeof(fb)));
	table_end_row(t);
}

static void c_ci(void *ctx, struct eng *e, const struct eng_cpu_interval *ci)
{
	struct exp *x = ctx;
	struct rep *p = x->p;
	if (!rep_want_cpu(p, ci->cpu->level, ci->cpu->cpu))
		return;
	if (ci->ent && !rep_want_entity(p, ci->ent))
		return;
	if ((p->cli.ntids || p->cli.npids || p->cli.comm) && !ci->ent)
		return;
	int64_t s = ci->start_ns < p->lo ? p->lo : ci->start_ns;
	int64_t en = ci->end_ns > p->hi ? p->hi : ci->end_ns;
	if (en <= s)
		return;
	struct table *t = x->ci;
	char fb[96];
	table_set_s(t, 0, rep_level_name(p, ci->cpu->level));
	table_set_u(t, 1, ci->cpu->cpu);
	if (ci->ent) {
		set_ent(t, 2, p, ci->ent);
		table_set_s(t, 5, "running");
	} else if (ci->tid == PMT_TID_IDLE) {
		table_set_u(t, 2, 0);
		table_set_u(t, 3, 0);
		table_set_s(t, 4, "");
		table_set_s(t, 5, "idle");
	} else {
		table_set_s(t, 5, "unknown");
	}
	table_set_i(t, 6, rep_rel(p, s));
	table_set_i(t, 7, rep_rel(p, en));
	table_set_s(t, 8, rep_flags(ci->flags, fb, sizeof(fb)));
	table_end_row(t);
}

static void c_mig(void *ctx, struct eng *e, const struct eng_migration *m)
{
	struct exp *x = ctx;
	struct rep *p = x->p;
	if (!mig_wanted(p, m))
		return;
	struct mig_row r;
	(void)e;
	mig_order_fill(&x->ord, &r, m);
	mig_order_push(&x->ord, &r);
}

static void c_mig_row(void *ctx, const struct mig_row *r)
{
	struct exp *x = ctx;
	struct table *t = x->mig;
	mig_row_cells(t, x->p, r);
	table_end_row(t);
}

static void set_str(struct table *t, int col, struct pmt_str s)
{
	char buf[PMT_MAX_STRING + 1];
	uint32_t n = s.len > PMT_MAX_STRING ? PMT_MAX_STRING : s.len;
	if (s.s)
		memcpy(buf, s.s, n);
	buf[s.s ? n : 0] = 0;
	table_set_s(t, col, buf);
}

/* The entity an event is about, for the task filters (NULL: none). */
static uint32_t subject(const struct pmt_event *ev)
{
	switch (ev->type) {
	case PMT_EV_SWITCH: return ev->u.sw.next_tid;
	case PMT_EV_MIGRATE: return ev->u.migrate.tid;
	case PMT_EV_WAKEUP: return ev->u.wakeup.tid;
	case PMT_EV_FORK: return ev->u.fork.child_tid;
	case PMT_EV_EXEC: return ev->u.exec.tid;
	case PMT_EV_EXIT: return ev->u.exit.tid;
	case PMT_EV_NAME: return ev->u.name.tid;
	case PMT_EV_HV: return ev->u.hv.tid;
	default: return ENG_NONE;
	}
}

static int want_event(struct exp *x, struct eng *e, const struct pmt_event *ev)
{
	struct rep *p = x->p;
	if (!rep_want_time(p, ev->time_ns) || !rep_want_cpu(p, ev->level, ev->cpu))
		return 0;
	if (p->cli.ntids || p->cli.npids || p->cli.comm) {
		int ok = 0;
		uint32_t tids[2] = { subject(ev), ev->type == PMT_EV_SWITCH ? ev->u.sw.prev_tid : ENG_NONE };
		for (int i = 0; i < 2; i++) {
			if (tids[i] == ENG_NONE)
				continue;
			struct eng_entity *en = eng_entity_find(e, ev->level, tids[i]);
			ok |= en && rep_want_entity(p, en);
		}
		return ok;
	}
	return 1;
}

static void c_ev(void *ctx, struct eng *e, const struct pmt_event *ev)
{
	struct exp *x = ctx;
	struct rep *p = x->p;
	if (!want_event(x, e, ev))
		return;
	struct table *t = x->ev;
	char buf[128];
	table_set_i(t, 0, rep_rel(p, ev->time_ns));
	table_set_s(t, 1, rep_level_name(p, ev->level));
	table_set_u(t, 2, ev->cpu);
	table_set_s(t, 3, pmt_event_type_name(ev->type));
	uint32_t tid = subject(ev);
	if (tid != ENG_NONE)
		table_set_u(t, 4, tid);
	switch (ev->type) {
	case PMT_EV_SWITCH:
		table_set_u(t, 5, ev->u.sw.prev_tid);
		table_set_s(t, 6, pmt_state_name((int)ev->u.sw.prev_state));
		break;
	case PMT_EV_MIGRATE:
		table_set_u(t, 7, ev->u.migrate.from_cpu);
		table_set_u(t, 8, ev->u.migrate.to_cpu);
		break;
	case PMT_EV_WAKEUP:
		table_set_u(t, 9, ev->u.wakeup.target_cpu);
		table_set_u(t, 10, ev->u.wakeup.waker_tid);
		break;
	case PMT_EV_FORK:
		table_set_u(t, 5, ev->u.fork.parent_tid);
		table_set_u(t, 11, ev->u.fork.child_pid);
		break;
	case PMT_EV_EXEC:
		set_str(t, 12, ev->u.exec.comm);
		break;
	case PMT_EV_NAME:
		table_set_u(t, 11, ev->u.name.pid);
		set_str(t, 12, ev->u.name.comm);
		break;
	case PMT_EV_LOST:
		table_set_u(t, 13, ev->u.lost.count);
		break;
	case PMT_EV_MARKER:
		set_str(t, 14, ev->u.marker.text);
		break;
	case PMT_EV_HV:
		snprintf(buf, sizeof(buf), "%s a=%" PRIu64 " b=%" PRIu64,
			 pmt_hv_kind_name((int)ev->u.hv.kind), ev->u.hv.a, ev->u.hv.b);
		table_set_s(t, 14, buf);
		break;
	default:
		break;
	}
	table_end_row(t);
}

static const char *const csv_files[5] = {
	"intervals.csv", "cpu_intervals.csv", "migrations.csv", "events.csv", "entities.csv",
};

static int csv_open(struct exp *x, const char *dir)
{
	struct rep *p = x->p;
	if (mkdir(dir, 0777) && errno != EEXIST) {
		cli_error(&p->cli, "cannot create '%s': %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < 5; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, csv_files[i]);
		x->f[i] = fopen(path, "w");
		if (!x->f[i] || !(x->o[i] = out_open(x->f[i], OUT_CSV))) {
			cli_error(&p->cli, "cannot write '%s': %s", path, strerror(errno));
			return -1;
		}
	}
	static const struct col ivc[] = {
		{ "level", COL_STR, 0, 0 }, { "cpu", COL_UINT, 0, 0 }, { "tid", COL_UINT, 0, 0 },
		{ "pid", COL_UINT, 0, 0 }, { "comm", COL_STR, 0, 0 }, { "state", COL_STR, 0, 0 },
		{ "start_ns", COL_INT, 0, 0 }, { "end_ns", COL_INT, 0, 0 },
		{ "prev_state", COL_STR, 0, 0 }, { "waker", COL_UINT, 0, 0 }, { "flags", COL_STR, 0, 0 },
	};
	static const struct col cic[] = {
		{ "level", COL_STR, 0, 0 }, { "cpu", COL_UINT, 0, 0 }, { "tid", COL_UINT, 0, 0 },
		{ "pid", COL_UINT, 0, 0 }, { "comm", COL_STR, 0, 0 }, { "state", COL_STR, 0, 0 },
		{ "start_ns", COL_INT, 0, 0 }, { "end_ns", COL_INT, 0, 0 }, { "flags", COL_STR, 0, 0 },
	};
	static const struct col evc[] = {
		{ "time_ns", COL_INT, 0, 0 }, { "level", COL_STR, 0, 0 }, { "cpu", COL_UINT, 0, 0 },
		{ "type", COL_STR, 0, 0 }, { "tid", COL_UINT, 0, 0 }, { "prev_tid", COL_UINT, 0, 0 },
		{ "prev_state", COL_STR, 0, 0 }, { "from_cpu", COL_UINT, 0, 0 },
		{ "to_cpu", COL_UINT, 0, 0 }, { "target_cpu", COL_UINT, 0, 0 },
		{ "waker_tid", COL_UINT, 0, 0 }, { "pid", COL_UINT, 0, 0 }, { "comm", COL_STR, 0, 0 },
		{ "count", COL_UINT, 0, 0 }, { "text", COL_STR, 0, 0 },
	};
	x->iv = out_table(x->o[0], "intervals", "", ivc, 11, TABLE_STREAM);
	x->ci = out_table(x->o[1], "cpu_intervals", "", cic, 9, TABLE_STREAM);
	x->mig = out_table(x->o[2], "migrations", "", mig_cols, MIG_NCOLS, TABLE_STREAM);
	x->ev = out_table(x->o[3], "events", "", evc, 15, TABLE_STREAM);
	return x->iv && x->ci && x->mig && x->ev ? 0 : -1;
}

static int csv_close(struct exp *x)
{
	struct rep *p = x->p;
	struct eng *e = p->e;
	int rc = 0;
	static const struct col enc[] = {
		{ "level", COL_STR, 0, 0 }, { "tid", COL_UINT, 0, 0 }, { "pid", COL_UINT, 0, 0 },
		{ "comm", COL_STR, 0, 0 }, { "kthread", COL_UINT, 0, 0 },
		{ "vcpu_of", COL_STR, 0, 0 }, { "vcpu", COL_UINT, 0, 0 },
	};
	if (x->o[4]) {
		x->ent = out_table(x->o[4], "entities", "", enc, 7, TABLE_STREAM);
		for (size_t i = 0; x->ent && i < eng_entity_count(e); i++) {
			struct eng_entity *en = eng_entity_at(e, i);
			if (!rep_want_entity(p, en))
				continue;
			table_set_s(x->ent, 0, rep_level_name(p, en->level));
			set_ent(x->ent, 1, p, en);
			table_set_u(x->ent, 4, (en->flags & ENG_ENT_KTHREAD) ? 1 : 0);
			if (en->flags & ENG_ENT_VCPU) {
				table_set_s(x->ent, 5, rep_level_name(p, (uint16_t)en->vcpu_level));
				table_set_u(x->ent, 6, en->vcpu);
			}
			table_end_row(x->ent);
		}
	}
	struct table *ts[5] = { x->iv, x->ci, x->mig, x->ev, x->ent };
	for (int i = 0; i < 5; i++) {
		table_close(ts[i]);
		if (x->o[i]) {
			rep_notes(p, x->o[i]);
			if (out_close(x->o[i]))
				rc = -1;
		}
		if (x->f[i] && fclose(x->f[i]))
			rc = -1;
	}
	if (rc)
		cli_error(&p->cli, "cannot write to '%s': %s", x->dest, strerror(errno));
	return rc;
}

/* ------------------------------------------------------------- perfetto */

/* Perfetto splits fields on spaces and '=': keep names to one token. */
static void pname(char *dst, size_t len, const char *s)
{
	size_t n = 0;
	if (!s || !*s)
		s = "<...>";
	for (; *s && n + 1 < len; s++) {
		unsigned char c = (unsigned char)*s;
		dst[n++] = c <= ' ' || c == '=' || c == 0x7f ? '_' : (char)c;
	}
	dst[n] = 0;
}

static const char *pstate(unsigned st)
{
	static const char *const l[PMT_STATE_MAX_] = { "R", "S", "D", "T", "t", "X", "P", "I", "S", "S" };
	return st < PMT_STATE_MAX_ ? l[st] : "S";
}

/* comm of tid at level (swapper/N for idle). */
static const char *comm_of(struct eng *e, uint16_t level, uint32_t cpu, uint32_t tid,
			   char *buf, size_t len)
{
	if (tid == PMT_TID_IDLE) {
		snprintf(buf, len, "swapper/%u", cpu);
		return buf;
	}
	struct eng_entity *en = eng_entity_find(e, level, tid);
	pname(buf, len, en ? en->comm : NULL);
	return buf;
}

static void line_head(struct exp *x, FILE *f, struct eng *e, uint16_t level, uint32_t cpu,
		      uint32_t cur, int64_t t)
{
	char nb[64];
	const char *task;
	uint32_t pid = 0;
	if (cur == PMT_TID_IDLE || cur == ENG_NONE) {
		task = "<idle>";
		cur = 0;
	} else {
		struct eng_entity *en = eng_entity_find(e, level, cur);
		pname(nb, sizeof(nb), en ? en->comm : NULL);
		task = nb;
		pid = en ? en->pid : cur;
	}
	int64_t r = rep_rel(x->p, t);
	if (r < 0)
		r = 0;
	if (cur)
		fprintf(f, "%16s-%-7u (%7u) [%03u] .... %6" PRId64 ".%09" PRId64 ": ", task, cur, pid,
			cpu, r / 1000000000, r % 1000000000);
	else
		fprintf(f, "%16s-%-7u (-------) [%03u] .... %6" PRId64 ".%09" PRId64 ": ", task, 0u,
			cpu, r / 1000000000, r % 1000000000);
	x->lines++;
}

static void p_switch(struct exp *x, struct eng *e, FILE *f, uint16_t level, uint32_t cpu,
		     int64_t t, uint32_t prev, unsigned st, uint32_t next)
{
	char a[64], b[64];
	line_head(x, f, e, level, cpu, prev, t);
	fprintf(f, "sched_switch: prev_comm=%s prev_pid=%u prev_prio=120 prev_state=%s ==> next_comm=%s next_pid=%u next_prio=120\n",
		comm_of(e, level, cpu, prev, a, sizeof(a)), prev, prev ? pstate(st) : "R",
		comm_of(e, level, cpu, next, b, sizeof(b)), next);
}

/* Runs whose switch-in was not recorded (inferred, or before the trace):
 * write the switch-in the analysis assumed, so CPU tracks show the run. */
static void p_iv(void *ctx, struct eng *e, const struct eng_interval *iv)
{
	struct exp *x = ctx;
	struct rep *p = x->p;
	if (iv->state != ENG_RUNNING || !(iv->flags & (ENG_F_START_INFERRED | ENG_F_START_TRACE)))
		return;
	if (!cli_want_level(&p->cli, iv->ent->level) || !rep_want_cpu(p, iv->ent->level, iv->cpu))
		return;
	if (!rep_want_time(p, iv->start_ns))
		return;
	p_switch(x, e, x->pf[iv->ent->level], iv->ent->level, iv->cpu, iv->start_ns, 0, 0, iv->ent->tid);
}

static void p_ev(void *ctx, struct eng *e, const struct pmt_event *ev)
{
	struct exp *x = ctx;
	struct rep *p = x->p;
	if (!rep_want_time(p, ev->time_ns) || !rep_want_cpu(p, ev->level, ev->cpu))
		return;
	FILE *f = x->pf[ev->level];
	struct eng_cpu *c = eng_cpu(e, ev->level, ev->cpu);
	uint32_t cur = c && c->mode == ENG_CPU_KNOWN ? c->cur_tid : ENG_NONE;
	char a[64];
	switch (ev->type) {
	case PMT_EV_SWITCH:
		p_switch(x, e, f, ev->level, ev->cpu, ev->time_ns, ev->u.sw.prev_tid,
			 ev->u.sw.prev_state, ev->u.sw.next_tid);
		break;
	case PMT_EV_WAKEUP: {
		struct eng_entity *en = eng_entity_find(e, ev->level, ev->u.wakeup.tid);
		line_head(x, f, e, ev->level, ev->cpu, cur, ev->time_ns);
		pname(a, sizeof(a), en ? en->comm : NULL);
		/* Perfetto's text importer builds thread states from sched_waking
		 * only: every wakeup is written as one */
		fprintf(f, "sched_waking: comm=%s pid=%u prio=120 target_cpu=%03u\n",
			a, ev->u.wakeup.tid, ev->u.wakeup.target_cpu);
		break;
	}
	case PMT_EV_MIGRATE: {
		struct eng_entity *en = eng_entity_find(e, ev->level, ev->u.migrate.tid);
		line_head(x, f, e, ev->level, ev->cpu, cur, ev->time_ns);
		pname(a, sizeof(a), en ? en->comm : NULL);
		fprintf(f, "sched_migrate_task: comm=%s pid=%u prio=120 orig_cpu=%u dest_cpu=%u\n",
			a, ev->u.migrate.tid, ev->u.migrate.from_cpu, ev->u.migrate.to_cpu);
		break;
	}
	case PMT_EV_FORK: {
		char b[64];
		line_head(x, f, e, ev->level, ev->cpu, cur, ev->time_ns);
		fprintf(f, "sched_process_fork: comm=%s pid=%u child_comm=%s child_pid=%u\n",
			comm_of(e, ev->level, ev->cpu, ev->u.fork.parent_tid, a, sizeof(a)),
			ev->u.fork.parent_tid,
			comm_of(e, ev->level, ev->cpu, ev->u.fork.child_tid, b, sizeof(b)),
			ev->u.fork.child_tid);
		break;
	}
	case PMT_EV_EXIT:
		line_head(x, f, e, ev->level, ev->cpu, cur, ev->time_ns);
		fprintf(f, "sched_process_exit: comm=%s pid=%u prio=120\n",
			comm_of(e, ev->level, ev->cpu, ev->u.exit.tid, a, sizeof(a)), ev->u.exit.tid);
		break;
	case PMT_EV_EXEC:
	case PMT_EV_NAME: {
		uint32_t tid = ev->type == PMT_EV_EXEC ? ev->u.exec.tid : ev->u.name.tid;
		line_head(x, f, e, ev->level, ev->cpu, cur, ev->time_ns);
		fprintf(f, "task_rename: pid=%u newcomm=%s\n", tid,
			comm_of(e, ev->level, ev->cpu, tid, a, sizeof(a)));
		break;
	}
	default:
		break;
	}
}

static int perfetto_open(struct exp *x, const char *path)
{
	struct rep *p = x->p;
	size_t n = eng_level_count(p->e);
	x->pf = calloc(n ? n : 1, sizeof(*x->pf));
	if (!x->pf)
		return -1;
	int several = 0;
	for (size_t l = 0; l < n; l++)
		several += cli_want_level(&p->cli, (int)l);
	for (size_t l = 0; l < n; l++) {
		if (!cli_want_level(&p->cli, (int)l)) {
			x->pf[l] = fopen("/dev/null", "w");
			continue;
		}
		char fn[4096];
		if (several > 1) {
			size_t len = strlen(path);
			int txt = len > 4 && !strcmp(path + len - 4, ".txt");
			snprintf(fn, sizeof(fn), "%.*s.%s.txt", (int)(txt ? len - 4 : len), path,
				 rep_level_name(p, (uint16_t)l));
		} else {
			snprintf(fn, sizeof(fn), "%s", path);
		}
		x->pf[l] = fopen(fn, "w");
		if (!x->pf[l]) {
			cli_error(&p->cli, "cannot write '%s': %s", fn, strerror(errno));
			return -1;
		}
		fprintf(x->pf[l], "# tracer: nop\n#\n# pmt-analyze export of '%s', level %s: times in s from the trace start\n#\n",
			p->cli.args[0], rep_level_name(p, (uint16_t)l));
		fprintf(x->pf[l], "#           TASK-PID    TGID     CPU#  ||||   TIMESTAMP  FUNCTION\n");
		fprintf(x->pf[l], "#              | |        |         |   ||||      |         |\n");
	}
	return 0;
}

static int perfetto_close(struct exp *x)
{
	int rc = 0;
	for (size_t l = 0; x->pf && l < eng_level_count(x->p->e); l++)
		if (x->pf[l] && fclose(x->pf[l]))
			rc = -1;
	free(x->pf);
	if (rc)
		cli_error(&x->p->cli, "cannot write '%s': %s", x->dest, strerror(errno));
	return rc;
}

int cmd_export(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "to", 1, 1, "  --to csv DIR | --to perfetto OUT.txt   what to write (DIR: created if missing)" },
		{ NULL, 0, 0, NULL },
	};
	struct rep p;
	struct exp x = { .p = &p };
	int rc = rep_open_noout(&p, "export", USAGE, argc, argv, opts, opt_fn, &x);
	if (rc >= 0)
		return rc;
	const char *dest = p.cli.nargs > 1 ? p.cli.args[1] : p.cli.output;
	if (x.to == TO_NONE || !dest) {
		cli_usage_error(&p.cli, x.to == TO_NONE ? "--to csv|perfetto is needed"
							: "a destination is needed (--to csv DIR)");
		rep_close(&p);
		return CLI_EXIT_USAGE;
	}
	x.dest = dest;
	int err;
	struct eng_module m = { .name = "export" };
	if (x.to == TO_CSV) {
		err = csv_open(&x, dest);
		m.interval = c_iv;
		m.cpu_interval = c_ci;
		m.migration = c_mig;
		m.event = c_ev;
		mig_order_init(&x.ord, &p, c_mig_row, &x);
	} else {
		err = perfetto_open(&x, dest);
		m.interval = p_iv;
		m.event = p_ev;
	}
	if (!err) {
		eng_add_module(p.e, &m, &x);
		rep_run(&p);
	}
	if (x.to == TO_CSV && mig_order_done(&x.ord))
		fprintf(stderr, "pmt-analyze export: more than %d rows waited for a CPU without a "
			"switch: some rows of migrations.csv are out of time order\n", MIG_ORDER_MAX);
	int werr = x.to == TO_CSV ? csv_close(&x) : perfetto_close(&x);
	int status = rep_close(&p);
	if (err || werr)
		return CLI_EXIT_ERROR;
	return status;
}
