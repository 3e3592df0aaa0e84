/* composed.c - composed residency, migration pCPUs and the latency split
 * (composed.h). */
#include "analyze/twolevel/composed.h"
#include "analyze/twolevel/tlrun.h"

#include <stdlib.h>

struct tl *tl_attach(struct rep *p)
{
	struct tl_opts o = { 0 };
	if (p->cli.has_time) {
		o.t_lo = p->lo;
		o.t_hi = p->hi;
	}
	struct tl *t = tl_new(p->info, &o);
	if (!t) {
		cli_error(&p->cli, "out of memory");
		return NULL;
	}
	if (eng_add_module(p->e, tl_eng_module(), t) < 0) {
		tl_free(t);
		cli_error(&p->cli, "too many analysis modules");
		return NULL;
	}
	return t;
}

void tl_migration_pcpus(struct tl *t, uint16_t level, uint32_t tid, uint32_t to_cpu,
			int32_t *from, int32_t *to)
{
	struct tl_task *k = tl_task_find(t, level, tid);
	*from = k ? k->last_pcpu : -1;
	*to = tl_vcpu_pcpu(t, level, to_cpu);
}

static int want(struct rep *p, const struct tl_guest *g, const struct tl_task *k)
{
	return tl_guest_wanted(&p->cli, g) && cli_want_task(&p->cli, k->tid, k->pid, k->comm);
}

static void note_missing(struct rep *p, struct tl *t, const char *what)
{
	for (uint32_t i = 0; i < t->nguests; i++) {
		const struct tl_guest *g = &t->guests[i];
		if (tl_guest_wanted(&p->cli, g) && (!g->has_host || !g->has_guest))
			out_note(p->o, "guest '%s': the %s level is missing: %s", g->name,
				 !g->has_host ? "host" : "guest", what);
	}
	if (!t->nguests)
		out_note(p->o, "no guest in this trace: %s", what);
}

void tl_report_composed(struct rep *p, struct tl *t, int matrix)
{
	static const struct col cols[] = {
		{ "level", COL_STR, 0, 0 },      { "tid", COL_UINT, 0, 0 },
		{ "pid", COL_UINT, 0, 0 },       { "comm", COL_STR, 0, 0 },
		{ "run_ns", COL_INT, 0, 0 },     { "pcpu_run_ns", COL_INT, 0, 0 },
		{ "stolen_ns", COL_INT, 0, 0 },  { "stolen_unknown_ns", COL_INT, 0, 0 },
		{ "pcpus_used", COL_UINT, 0, 0 }, { "top_pcpu", COL_UINT, 0, 0 },
		{ "pcpu_affinity", COL_FLOAT, 0, 0 },
	};
	static const struct col mcols[] = {
		{ "level", COL_STR, 0, 0 }, { "tid", COL_UINT, 0, 0 }, { "pid", COL_UINT, 0, 0 },
		{ "comm", COL_STR, 0, 0 },  { "pcpu", COL_UINT, 0, 0 }, { "run_ns", COL_INT, 0, 0 },
		{ "share", COL_FLOAT, 0, 0 },
	};
	note_missing(p, t, "composition needs both levels (guest task x pCPU, stolen time)");
	struct table *tb = matrix
		? out_table(p->o, "composed_residency", "Run time per (guest task, pCPU)", mcols, 7, 0)
		: out_table(p->o, "composed", "Guest tasks on pCPUs (composed)", cols, 11, 0);
	for (uint32_t i = 0; i < t->nguests; i++) {
		const struct tl_guest *g = &t->guests[i];
		if (!g->has_host || !g->has_guest)
			continue;
		for (uint32_t n = 0; n < g->ntasks; n++) {
			const struct tl_task *k = &g->tasks[n];
			if (!k->run_ns || !want(p, g, k))
				continue;
			int64_t on = 0;
			uint32_t used = 0, top = 0;
			for (uint32_t c = 0; k->run_pcpu && c < t->npcpus; c++) {
				on += k->run_pcpu[c];
				used += k->run_pcpu[c] > 0;
				if (k->run_pcpu[c] > k->run_pcpu[top])
					top = c;
			}
			if (matrix) {
				for (uint32_t c = 0; k->run_pcpu && c < t->npcpus; c++) {
					if (!k->run_pcpu[c])
						continue;
					table_set_s(tb, 0, g->name);
					table_set_u(tb, 1, k->tid);
					table_set_u(tb, 2, k->pid);
					table_set_s(tb, 3, k->comm);
					table_set_u(tb, 4, c);
					table_set_i(tb, 5, k->run_pcpu[c]);
					table_set_f(tb, 6, (double)k->run_pcpu[c] / (double)on);
					table_end_row(tb);
				}
				continue;
			}
			table_set_s(tb, 0, g->name);
			table_set_u(tb, 1, k->tid);
			table_set_u(tb, 2, k->pid);
			table_set_s(tb, 3, k->comm);
			table_set_i(tb, 4, k->run_ns);
			table_set_i(tb, 5, on);
			table_set_i(tb, 6, k->stolen_ns);
			table_set_i(tb, 7, k->stolen_unknown_ns);
			table_set_u(tb, 8, used);
			if (on > 0) {
				table_set_u(tb, 9, top);
				table_set_f(tb, 10, (double)k->run_pcpu[top] / (double)on);
			}
			table_end_row(tb);
		}
	}
	table_close(tb);
}

void tl_report_split(struct rep *p, struct tl *t)
{
	static const struct col cols[] = {
		{ "level", COL_STR, 0, 0 },         { "tid", COL_UINT, 0, 0 },
		{ "pid", COL_UINT, 0, 0 },          { "comm", COL_STR, 0, 0 },
		{ "wakeups", COL_UINT, 0, 0 },      { "latency_ns", COL_INT, 0, 0 },
		{ "guest_delay_ns", COL_INT, 0, 0 }, { "host_delay_ns", COL_INT, 0, 0 },
		{ "host_share", COL_FLOAT, 0, 0 },  { "max_latency_ns", COL_INT, 0, 0 },
		{ "latency_unknown", COL_UINT, 0, 0 },
	};
	note_missing(p, t, "the latency split needs both levels");
	struct table *tb = out_table(p->o, "latency_split",
				     "Wakeup latency split: guest delay + host delay (target vCPU not running)",
				     cols, 11, 0);
	for (uint32_t i = 0; i < t->nguests; i++) {
		const struct tl_guest *g = &t->guests[i];
		if (!g->has_host || !g->has_guest)
			continue;
		for (uint32_t n = 0; n < g->ntasks; n++) {
			const struct tl_task *k = &g->tasks[n];
			if ((!k->wakeups && !k->lat_unknown) || !want(p, g, k))
				continue;
			table_set_s(tb, 0, g->name);
			table_set_u(tb, 1, k->tid);
			table_set_u(tb, 2, k->pid);
			table_set_s(tb, 3, k->comm);
			table_set_u(tb, 4, k->wakeups);
			if (k->wakeups) {
				table_set_i(tb, 5, k->lat_ns);
				table_set_i(tb, 6, k->guest_delay_ns);
				table_set_i(tb, 7, k->host_delay_ns);
				if (k->lat_ns > 0)
					table_set_f(tb, 8, (double)k->host_delay_ns / (double)k->lat_ns);
				table_set_i(tb, 9, k->max_lat_ns);
			}
			table_set_u(tb, 10, k->lat_unknown);
			table_end_row(tb);
		}
	}
	table_close(tb);
}
