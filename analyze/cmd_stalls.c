/*
 * cmd_stalls.c - pmt-analyze stalls: synchronization stalls (blocked time of
 * guest tasks caused by the preemption of their waker's vCPU) per task,
 * process and guest; the wakeup latency split into guest and host delay;
 * --worst N: the N largest stalls with the waker, its vCPU and what the host
 * ran on that vCPU's pCPU meanwhile.
 */
#include "analyze/commands.h"
#include "analyze/twolevel/tlrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_WORST = 1 };

static const struct cli_opt opts[] = {
	{ "worst", 1, O_WORST, "  --worst N                the N largest stalls, with waker and host entities" },
	{ NULL, 0, 0, NULL },
};

struct ctx {
	struct cli *c;
	int worst;
};

static int on_opt(void *vctx, int id, const char *arg)
{
	struct ctx *x = vctx;
	char *end;
	long n = strtol(arg, &end, 10);
	if (id == O_WORST && (*end || n <= 0 || n > 100000))
		return cli_usage_error(x->c, "--worst: '%s' is not a count from 1 to 100000", arg);
	x->worst = (int)n;
	return 0;
}

static const struct col tcols[] = {
	{ "guest", COL_STR, 0, 0 },        { "tid", COL_UINT, 0, 0 },
	{ "pid", COL_UINT, 0, 0 },         { "comm", COL_STR, 0, 0 },
	{ "blocked_ns", COL_INT, 0, 0 },   { "blocked_count", COL_UINT, 0, 0 },
	{ "stall_ns", COL_INT, 0, 0 },     { "stall_count", COL_UINT, 0, 0 },
	{ "stall_unknown", COL_UINT, 0, 0 }, { "max_stall_ns", COL_INT, 0, 0 },
	{ "stolen_ns", COL_INT, 0, 0 },    { "stolen_unknown_ns", COL_INT, 0, 0 },
};
#define NT 12

static const struct col lcols[] = {
	{ "guest", COL_STR, 0, 0 },          { "tid", COL_UINT, 0, 0 },
	{ "comm", COL_STR, 0, 0 },           { "wakeups", COL_UINT, 0, 0 },
	{ "latency_ns", COL_INT, 0, 0 },     { "guest_delay_ns", COL_INT, 0, 0 },
	{ "host_delay_ns", COL_INT, 0, 0 },  { "max_latency_ns", COL_INT, 0, 0 },
	{ "latency_unknown", COL_UINT, 0, 0 },
};

static const struct col wcols[] = {
	{ "start_ns", COL_INT, 0, 0 },    { "end_ns", COL_INT, 0, 0 },
	{ "guest", COL_STR, 0, 0 },       { "tid", COL_UINT, 0, 0 },
	{ "comm", COL_STR, 0, 0 },        { "stall_ns", COL_INT, 0, 0 },
	{ "waker", COL_UINT, 0, 0 },      { "waker_comm", COL_STR, 0, 0 },
	{ "waker_vcpu", COL_UINT, 0, 0 }, { "pcpu", COL_INT, 0, 0 },
	{ "host_entities", COL_STR, 0, 0 },
};

/* Sums over tasks (a process, a guest). */
struct agg {
	int64_t blocked, stall, max;
	uint64_t blocked_count, stall_count, unknown;
};

static void agg_add(struct agg *a, const struct tl_task *k)
{
	a->blocked += k->blocked_ns;
	a->blocked_count += k->blocked_count;
	a->stall += k->stall_ns;
	a->stall_count += k->stall_count;
	a->unknown += k->stall_unknown;
	if (k->max_stall_ns > a->max)
		a->max = k->max_stall_ns;
}

/* Stall columns from col: null when stalls cannot be known at all. */
static void set_stall_cols(struct table *tb, int col, const struct agg *a, int stalls_known,
			   uint64_t woken)
{
	if (!stalls_known || (woken && a->unknown == woken)) {
		table_set_u(tb, col + 2, a->unknown);
		return;
	}
	table_set_i(tb, col, a->stall);
	table_set_u(tb, col + 1, a->stall_count);
	table_set_u(tb, col + 2, a->unknown);
	table_set_i(tb, col + 3, a->max);
}

static const struct tl_guest *sort_g;
static int by_stall(const void *a, const void *b)
{
	const struct tl_task *x = &sort_g->tasks[*(const uint32_t *)a];
	const struct tl_task *y = &sort_g->tasks[*(const uint32_t *)b];
	if (x->stall_ns != y->stall_ns)
		return x->stall_ns > y->stall_ns ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}
static int by_pid(const void *a, const void *b)
{
	const struct tl_task *x = &sort_g->tasks[*(const uint32_t *)a];
	const struct tl_task *y = &sort_g->tasks[*(const uint32_t *)b];
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}
static int by_worst(const void *a, const void *b)
{
	const struct tl_stall *x = a, *y = b;
	if (x->stall_ns != y->stall_ns)
		return x->stall_ns > y->stall_ns ? -1 : 1;
	if (x->t1 != y->t1)
		return x->t1 < y->t1 ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static const struct tl_task *find_task(const struct tl_guest *g, uint32_t tid)
{
	for (uint32_t i = 0; i < g->ntasks; i++)
		if (g->tasks[i].tid == tid)
			return &g->tasks[i];
	return NULL;
}

static int wanted(const struct cli *c, const struct tl_task *k)
{
	return (k->blocked_count || k->stall_unknown || k->wakeups || k->lat_unknown) &&
	       cli_want_task(c, k->tid, k->pid, k->comm);
}

static void report_guest(struct cli *c, const struct tl_guest *g, struct table *tt,
			 struct table *pt, struct table *gt, struct table *lt)
{
	int known = g->has_host && g->has_guest;
	uint32_t *idx = malloc((g->ntasks ? g->ntasks : 1) * sizeof(*idx));
	if (!idx)
		return;
	uint32_t n = 0;
	for (uint32_t i = 0; i < g->ntasks; i++)
		if (wanted(c, &g->tasks[i]))
			idx[n++] = i;
	sort_g = g;
	qsort(idx, n, sizeof(*idx), by_stall);
	struct agg all = { 0 };
	uint64_t all_woken = 0;
	for (uint32_t j = 0; j < n; j++) {
		const struct tl_task *k = &g->tasks[idx[j]];
		struct agg a = { 0 };
		agg_add(&a, k);
		agg_add(&all, k);
		all_woken += k->woken_count;
		table_set_s(tt, 0, g->name);
		table_set_u(tt, 1, k->tid);
		table_set_u(tt, 2, k->pid);
		table_set_s(tt, 3, k->comm);
		table_set_i(tt, 4, k->blocked_ns);
		table_set_u(tt, 5, k->blocked_count);
		set_stall_cols(tt, 6, &a, known, k->woken_count);
		if (known) {
			table_set_i(tt, 10, k->stolen_ns);
			table_set_i(tt, 11, k->stolen_unknown_ns);
		}
		table_end_row(tt);
		if (known && (k->wakeups || k->lat_unknown)) {
			table_set_s(lt, 0, g->name);
			table_set_u(lt, 1, k->tid);
			table_set_s(lt, 2, k->comm);
			table_set_u(lt, 3, k->wakeups);
			if (k->wakeups) {
				table_set_i(lt, 4, k->lat_ns);
				table_set_i(lt, 5, k->guest_delay_ns);
				table_set_i(lt, 6, k->host_delay_ns);
				table_set_i(lt, 7, k->max_lat_ns);
			}
			table_set_u(lt, 8, k->lat_unknown);
			table_end_row(lt);
		}
	}
	qsort(idx, n, sizeof(*idx), by_pid);
	for (uint32_t j = 0; j < n;) {
		const struct tl_task *k = &g->tasks[idx[j]];
		struct agg a = { 0 };
		uint64_t woken = 0;
		uint32_t pid = k->pid;
		const struct tl_task *leader = find_task(g, pid);
		for (; j < n && g->tasks[idx[j]].pid == pid; j++) {
			agg_add(&a, &g->tasks[idx[j]]);
			woken += g->tasks[idx[j]].woken_count;
		}
		table_set_s(pt, 0, g->name);
		table_set_u(pt, 1, pid);
		table_set_s(pt, 2, leader ? leader->comm : k->comm);
		table_set_i(pt, 3, a.blocked);
		table_set_u(pt, 4, a.blocked_count);
		set_stall_cols(pt, 5, &a, known, woken);
		table_end_row(pt);
	}
	table_set_s(gt, 0, g->name);
	table_set_i(gt, 1, all.blocked);
	table_set_u(gt, 2, all.blocked_count);
	set_stall_cols(gt, 3, &all, known, all_woken);
	table_end_row(gt);
	free(idx);
}

static const struct col pcols[] = {
	{ "guest", COL_STR, 0, 0 },        { "pid", COL_UINT, 0, 0 },
	{ "comm", COL_STR, 0, 0 },         { "blocked_ns", COL_INT, 0, 0 },
	{ "blocked_count", COL_UINT, 0, 0 }, { "stall_ns", COL_INT, 0, 0 },
	{ "stall_count", COL_UINT, 0, 0 }, { "stall_unknown", COL_UINT, 0, 0 },
	{ "max_stall_ns", COL_INT, 0, 0 },
};
static const struct col gcols[] = {
	{ "guest", COL_STR, 0, 0 },        { "blocked_ns", COL_INT, 0, 0 },
	{ "blocked_count", COL_UINT, 0, 0 }, { "stall_ns", COL_INT, 0, 0 },
	{ "stall_count", COL_UINT, 0, 0 }, { "stall_unknown", COL_UINT, 0, 0 },
	{ "max_stall_ns", COL_INT, 0, 0 },
};

static void report_worst(struct cli *c, struct out *o, struct tl *t)
{
	struct table *wt = out_table(o, "worst", "Worst stalls", wcols, 11, 0);
	qsort(t->worst, (size_t)t->nworst, sizeof(*t->worst), by_worst);
	for (int i = 0; i < t->nworst; i++) {
		const struct tl_stall *s = &t->worst[i];
		const struct tl_guest *g = &t->guests[s->guest];
		if (!tl_guest_wanted(c, g))
			continue;
		const struct tl_task *k = find_task(g, s->tid), *w = find_task(g, s->waker);
		table_set_i(wt, 0, s->t0 - t->start_ns);
		table_set_i(wt, 1, s->t1 - t->start_ns);
		table_set_s(wt, 2, g->name);
		table_set_u(wt, 3, s->tid);
		table_set_s(wt, 4, k ? k->comm : "");
		table_set_i(wt, 5, s->stall_ns);
		table_set_u(wt, 6, s->waker);
		table_set_s(wt, 7, w ? w->comm : "");
		table_set_u(wt, 8, s->ep.vcpu);
		if (s->ep.pcpu >= 0)
			table_set_i(wt, 9, s->ep.pcpu);
		char buf[4 * 80] = "";
		size_t len = 0;
		for (int j = 0; j < s->ep.nothers; j++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%u %s %lldns",
						j ? ", " : "", s->ep.other_tid[j],
						tl_host_comm(t, s->ep.other_tid[j]),
						(long long)s->ep.other_ns[j]);
		table_set_s(wt, 10, buf);
		table_end_row(wt);
	}
	table_close(wt);
}

int cmd_stalls(int argc, char **argv)
{
	struct cli c;
	struct ctx x = { &c, 0 };
	int rc = CLI_EXIT_ERROR;
	int p = cli_parse(&c, "pmt-analyze stalls", "pmt-analyze stalls [--worst N] FILE.pmt",
			  argc, argv, opts, on_opt, &x);
	if (p)
		return p > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	if (c.nargs != 1) {
		cli_usage_error(&c, "one trace file is needed");
		cli_release(&c);
		return CLI_EXIT_USAGE;
	}
	const char *path = c.args[0];
	struct tl_opts to = { .worst = x.worst };
	struct tl_session ss;
	if (tl_session_run(&c, path, &to, "stalls need a guest level bound to host vCPU threads", &ss) < 0)
		goto out;
	pmt_reader *r = ss.r;
	struct tl *t = ss.t;
	FILE *fp;
	struct out *o = cli_out_open(&c, &fp);
	if (!o)
		goto out;
	cli_note_trace(&c, o, r);
	struct table *tt = out_table(o, "tasks", "Stalls per task", tcols, NT, 0);
	struct table *pt = out_table(o, "processes", "Stalls per process", pcols, 9, 0);
	struct table *gt = out_table(o, "guests", "Stalls per guest", gcols, 7, 0);
	struct table *lt = out_table(o, "latency", "Wakeup latency split (guest delay + host delay)",
				     lcols, 9, 0);
	for (uint32_t i = 0; i < t->nguests; i++) {
		const struct tl_guest *g = &t->guests[i];
		if (!tl_guest_wanted(&c, g))
			continue;
		tl_note_levels(o, g, "stalls");
		if (g->has_guest)
			report_guest(&c, g, tt, pt, gt, lt);
	}
	table_close(tt);
	table_close(pt);
	table_close(gt);
	table_close(lt);
	if (x.worst)
		report_worst(&c, o, t);
	if (cli_out_close(&c, o, fp) < 0)
		goto out;
	rc = cli_exit_status(&c, r);
out:
	tl_session_release(&ss);
	cli_release(&c);
	return rc;
}
