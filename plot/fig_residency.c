/*
 * fig_residency.c - "residency": heat map of run time per (entity, CPU),
 * from `pmt-analyze affinity --matrix` (long form: one row per entity and
 * CPU with a run_ns column; or wide form: one row per entity with a column
 * per CPU, cpuN or cpuN_ns). Colour: run time; text in a cell: the share of
 * that entity's run time spent on that CPU, when the grid is small enough
 * to read it.
 */
#include "plot/plot.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct row {
	int level;
	uint32_t tid, pid;
	char comm[40];
	int64_t total;
	int64_t *cpu;   /* matrix.cpus entries: run_ns                           */
	double *share;  /* matrix.cpus entries: the report's share, -1: absent   */
	int lane;
};

struct matrix {
	struct row *r;
	size_t n, cap;
	int ncpu;       /* highest CPU seen + 1 */
	int cpus;       /* cells per row: the level's CPUs                      */
};

#define MAXCPU 1024

static struct row *row_get(struct matrix *m, int level, uint32_t tid)
{
	/* memory: two cells per CPU of the level per entity */
	for (size_t i = 0; i < m->n; i++)
		if (m->r[i].level == level && m->r[i].tid == tid)
			return &m->r[i];
	if (plot_grow((void **)&m->r, &m->cap, m->n + 1, sizeof(*m->r)) < 0)
		return NULL;
	struct row *r = &m->r[m->n];
	memset(r, 0, sizeof(*r));
	r->cpu = calloc((size_t)m->cpus, sizeof(*r->cpu));
	r->share = malloc((size_t)m->cpus * sizeof(*r->share));
	for (int i = 0; r->share && i < m->cpus; i++)
		r->share[i] = -1;
	if (!r->cpu || !r->share) {
		free(r->cpu);
		free(r->share);
		plot_err("out of memory");
		return NULL;
	}
	r->level = level;
	r->tid = tid;
	r->lane = -1;
	m->n++;
	return r;
}

/* "cpu12", "cpu12_ns", "cpu_12" -> 12; -1 otherwise. */
static int cpu_col(const char *name)
{
	if (strncmp(name, "cpu", 3) != 0)
		return -1;
	const char *s = name + 3;
	if (*s == '_')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	char *end;
	long v = strtol(s, &end, 10);
	if ((*end && strcmp(end, "_ns") != 0) || v < 0 || v >= MAXCPU)
		return -1;
	return (int)v;
}

static int by_total(const void *a, const void *b)
{
	const struct row *x = *(struct row *const *)a, *y = *(struct row *const *)b;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int by_pid_tid(const void *a, const void *b)
{
	const struct row *x = *(struct row *const *)a, *y = *(struct row *const *)b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int load(struct plot *p, int level, struct matrix *m, struct csv **keep)
{
	static const char *const args[] = { "affinity", "--matrix", NULL };
	struct csv *c = plot_report(p, 0, "affinity-matrix", args, 0);
	if (!c)
		return -1;
	int r, cl = -1, ct = -1, cp = -1, cc = -1, ccpu = -1, crun = -1, csh = -1, wide = 0, good = 0;
	int found = 0;
	static const char *const run_names[] = { "run_ns", "running_ns", "time_ns", NULL };
	while ((r = csv_next(c)) > 0) {
		if (csv_new_table(c)) {
			cl = csv_col(c, "level");
			ct = csv_col(c, "tid");
			cp = csv_col(c, "pid");
			cc = csv_col(c, "comm");
			ccpu = csv_col(c, "cpu");
			crun = csv_col_any(c, run_names);
			csh = csv_col(c, "share");
			wide = 0;
			for (int i = 0; i < csv_ncols(c); i++)
				wide |= cpu_col(csv_colname(c, i)) >= 0;
			good = ct >= 0 && ((ccpu >= 0 && crun >= 0) || wide);
			found |= good;
		}
		if (!good)
			continue;
		int lv = cl >= 0 ? plot_level_index(p, 0, csv_get(c, cl)) : level;
		if (lv != level)
			continue;
		int ok;
		uint32_t tid = (uint32_t)csv_get_i(c, ct, &ok);
		if (!ok || tid == 0)
			continue;
		const char *comm = cc >= 0 ? csv_get(c, cc) : "";
		if (!plot_task_selected(p, tid, comm))
			continue;
		struct row *w = row_get(m, lv, tid);
		if (!w)
			goto fail;
		if (!w->comm[0])
			snprintf(w->comm, sizeof(w->comm), "%s", comm);
		if (cp >= 0)
			w->pid = (uint32_t)csv_get_i(c, cp, NULL);
		if (ccpu >= 0 && crun >= 0) {
			int cpu = (int)csv_get_i(c, ccpu, &ok);
			int64_t v = csv_get_i(c, crun, NULL);
			if (!ok || cpu < 0 || cpu >= m->cpus || v <= 0)
				continue;
			w->cpu[cpu] += v;
			w->total += v;
			int sok;
			double sh = csv_get_f(c, csh, &sok);
			if (csh >= 0 && sok)
				w->share[cpu] = 100.0 * sh;
			if (cpu + 1 > m->ncpu)
				m->ncpu = cpu + 1;
		} else {
			for (int i = 0; i < csv_ncols(c); i++) {
				int cpu = cpu_col(csv_colname(c, i));
				if (cpu < 0 || cpu >= m->cpus)
					continue;
				if (cpu + 1 > m->ncpu)
					m->ncpu = cpu + 1;
				int64_t v = csv_get_i(c, i, NULL);
				if (v > 0) {
					w->cpu[cpu] += v;
					w->total += v;
				}
			}
		}
	}
	if (r < 0 || !found) {
		plot_err("%s: the affinity --matrix report has no run time per (entity, CPU) "
			 "(columns tid, cpu, run_ns)", p->figure);
		goto fail;
	}
	*keep = c;
	return 0;
fail:
	csv_close(c);
	return -1;
}

static int make(struct plot *p)
{
	int level = plot_pick_level(p);
	if (level < 0)
		return -1;
	struct matrix m = { 0 };
	m.cpus = p->tr[0].levels[level].ncpus;
	if (m.cpus < 1 || m.cpus > MAXCPU)
		m.cpus = MAXCPU;
	struct csv *notes = NULL;
	struct row **sel = NULL;
	int rc = -1;
	if (load(p, level, &m, &notes) < 0)
		goto out;
	sel = calloc(m.n + 1, sizeof(*sel));
	if (!sel) {
		plot_err("out of memory");
		goto out;
	}
	int n = 0;
	for (size_t i = 0; i < m.n; i++)
		if (m.r[i].total > 0)
			sel[n++] = &m.r[i];
	if (n == 0) {
		plot_err("%s: no entity of level '%s' ran", p->figure,
			 p->tr[0].levels[level].name);
		goto out;
	}
	qsort(sel, (size_t)n, sizeof(*sel), by_total);
	int top = p->o->top ? p->o->top : 16;
	if (n > top) {
		plot_note(p, "%d of %d entities drawn (the %d with the most run time; "
			  "--top and --tasks choose others)", top, n, top);
		n = top;
	}
	qsort(sel, (size_t)n, sizeof(*sel), by_pid_tid);
	int64_t maxv = 1, minv = INT64_MAX;
	for (int i = 0; i < n; i++)
		for (int c = 0; c < m.ncpu; c++) {
			if (sel[i]->cpu[c] > maxv)
				maxv = sel[i]->cpu[c];
			if (sel[i]->cpu[c] > 0 && sel[i]->cpu[c] < minv)
				minv = sel[i]->cpu[c];
		}
	/* Run times spanning more than two decades get a logarithmic colour
	 * scale: on a linear one the busiest entity leaves the rest white. */
	int logc = minv < INT64_MAX && (double)maxv / (double)minv > 100;
	double div;
	const char *unit = gp_time_unit(maxv, &div);
	int text = m.ncpu <= 16;
	char dname[300];
	FILE *d = plot_data(p, "cells", dname, sizeof(dname));
	if (!d)
		goto out;
	fprintf(d, "# run time per (entity, CPU) of level %s\n", p->tr[0].levels[level].name);
	fprintf(d, "# cpu lane run_%s share_percent label text_rgb   (lane: entity below)\n", unit);
	char qb[64];
	for (int i = 0; i < n; i++)
		fprintf(d, "# lane %d: %s %u (pid %u), run %.6g %s\n", i,
			plot_dat_str(sel[i]->comm, qb, sizeof(qb)), sel[i]->tid,
			sel[i]->pid, (double)sel[i]->total / div, unit);
	for (int i = 0; i < n; i++)
		for (int c = 0; c < m.ncpu; c++) {
			double v = (double)sel[i]->cpu[c] / div;
			double pct = sel[i]->share[c] >= 0 ? sel[i]->share[c] :
				     100.0 * (double)sel[i]->cpu[c] / (double)sel[i]->total;
			char lab[16] = "";
			if (text && sel[i]->cpu[c] > 0)
				snprintf(lab, sizeof(lab), pct >= 0.5 ? "%.0f%%" : "<1%%",
					 pct);
			/* light text on the dark end of the palette */
			double pos = sel[i]->cpu[c] <= 0 ? 0 : logc ?
				log((double)sel[i]->cpu[c] / (double)minv) / log((double)maxv / (double)minv) :
				(double)sel[i]->cpu[c] / (double)maxv;
			int light = pos > 0.55;
			fprintf(d, "%d %d %.9g %.3f \"%s\" %d\n", c, i, v, pct, lab,
				light ? 0xffffff : 0x000000);
		}
	if (plot_data_close(d) < 0)
		goto out;
	if (p->o->height_in <= 0) {
		double h = 0.9 + 0.2 * n;
		p->height_in = h < 1.8 ? 1.8 : h > 9 ? 9 : h;
	}
	if (gp_begin(p) < 0)
		goto out;
	FILE *f = p->gp;
	const char *cpuw = p->tr[0].levels[level].guest ? "vCPU" : "CPU";
	fprintf(f, "set xlabel '%s'\n", cpuw);
	fprintf(f, "set xrange [-0.5:%d.5]\nset yrange [%d.5:-0.5]\n", m.ncpu - 1, n - 1);
	if (m.ncpu <= 16)
		fprintf(f, "set xtics 1\n");
	fprintf(f, "set ytics (");
	for (int i = 0; i < n; i++) {
		char name[80];
		snprintf(name, sizeof(name), "%.16s %u", sel[i]->comm[0] ? sel[i]->comm : "?",
			 sel[i]->tid);
		fprintf(f, "%s", i ? ", " : "");
		gp_tic_label(f, name);
		fprintf(f, " %d", i);
	}
	fprintf(f, ") scale 0\n");
	fprintf(f, "set border 0\nset tics scale 0\n");
	/* sequential blues, luminance falling monotonically: reads in grey */
	/* (a cell with no run time is not drawn: white; the scale starts at a
	 * faint blue so that the least run time still shows) */
	fprintf(f, "set palette defined (0 '#E4F0F9', 1 '#C6E2F5', 2 '#56B4E9', 3 '#0072B2', "
		   "4 '#08306B')\n");
	if (logc)
		fprintf(f, "set logscale cb 10\nset cbrange [%.9g:%.9g]\nset format cb '%%g'\n",
			(double)minv / div * 0.9, (double)maxv / div * 1.1);
	else
		fprintf(f, "set cbrange [0:%.9g]\n", (double)maxv / div);
	fprintf(f, "set cblabel 'run time (%s%s)' offset 1.2,0\n", unit, logc ? ", log scale" : "");
	fprintf(f, "set colorbox user origin graph 1.03, graph 0 size character 1.2, graph 1\n");
	fprintf(f, "set rmargin %d\n", logc ? 15 : 12);
	if (text)
		fprintf(f, "set label 90 'cell text: share of the row''s run time' at graph 0, "
			   "graph 1 left font SMALL offset 0,0.9 tc rgb '#555555'\nset tmargin 2\n");
	gp_notes(p, notes);
	fprintf(f, "plot '%s' using 1:2:($1-0.47):($1+0.47):($2-0.45):($2+0.45):($3 > 0 ? $3 : NaN) "
		   "with boxxyerror fc palette fs solid 1.0 noborder",
		dname);
	if (text)
		fprintf(f, ", \\\n     '%s' using 1:2:5:6 with labels font SMALL tc rgb variable",
			dname);
	fprintf(f, "\n");
	rc = 0;
out:
	for (size_t i = 0; i < m.n; i++) {
		free(m.r[i].cpu);
		free(m.r[i].share);
	}
	free(m.r);
	free(sel);
	csv_close(notes);
	return rc;
}

const struct figure fig_residency = {
	"residency", "heat map of run time per (entity, CPU)", 0, make,
};
