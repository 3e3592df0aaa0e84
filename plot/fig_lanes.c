/*
 * fig_lanes.c - the lane figures: "timeline" (one lane per entity of a
 * level, coloured by the CPU it runs on, migrations marked; --composed
 * colours guest tasks by the physical CPU their vCPU was on and shades the
 * stolen time) and "vcpus" (one lane per vCPU at the host level, coloured by
 * pCPU, with its runnable time, the steal, shaded).
 *
 * Intervals come from pmt-analyze's CSV export, migration marks from its
 * migrations report; this file only selects, composes and draws them.
 */
#include "plot/ivl.h"
#include "plot/plot.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_TOP 16
#define MAX_CPUS_DRAWN 4096

struct lanes {
	struct plot *p;
	int level;            /* the level whose entities are lanes              */
	int host;             /* the host level (composed, vcpus)                */
	int vcpus;            /* vcpus figure: lanes are bound host entities      */
	int composed;
	struct ivls iv;
	struct ent **lane;    /* entities drawn, lane order                       */
	int nlanes;
	int stolen_any, wait_any;
	double minw;          /* narrowest box drawn, in axis units              */
	uint32_t *sel;        /* tids chosen from the affinity report, or NULL   */
	int nsel;
};

static int in_sel(const struct lanes *L, uint32_t tid)
{
	for (int i = 0; i < L->nsel; i++)
		if (L->sel[i] == tid)
			return 1;
	return 0;
}

/* A box [a, b) in axis units, widened to minw around its middle: runs far
 * shorter than a pixel would otherwise fade into the background. */
static void box(const struct lanes *L, FILE *d, double a, double b, int lane)
{
	if (b - a < L->minw) {
		double m = (a + b) / 2;
		a = m - L->minw / 2;
		b = m + L->minw / 2;
	}
	fprintf(d, "%.9g %.9g %d\n", a, b, lane);
}

static int is_bound(const struct plot_trace *t, int host_level, uint32_t tid, int *guest,
		    uint32_t *vcpu)
{
	for (int i = 0; i < t->nbind; i++)
		if (t->bind[i].host_level == host_level && t->bind[i].host_tid == tid) {
			if (guest)
				*guest = t->bind[i].guest_level;
			if (vcpu)
				*vcpu = t->bind[i].vcpu;
			return 1;
		}
	return 0;
}

static int host_level(const struct plot_trace *t)
{
	for (int i = 0; i < t->nlevels; i++)
		if (!t->levels[i].guest)
			return i;
	return 0;
}

static int want(void *ctx, int level, uint32_t tid)
{
	struct lanes *L = ctx;
	const struct plot_trace *t = &L->p->tr[0];
	if (L->vcpus)
		return level == L->host && is_bound(t, L->host, tid, NULL, NULL);
	if (level == L->level)
		return tid != 0u && (!L->sel || in_sel(L, tid));
	return L->composed && level == L->host && is_bound(t, L->host, tid, NULL, NULL);
}

static int by_run_desc(const void *a, const void *b)
{
	const struct ent *x = *(struct ent *const *)a, *y = *(struct ent *const *)b;
	if (x->run_ns + x->wait_ns != y->run_ns + y->wait_ns)
		return x->run_ns + x->wait_ns > y->run_ns + y->wait_ns ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int by_pid_tid(const void *a, const void *b)
{
	const struct ent *x = *(struct ent *const *)a, *y = *(struct ent *const *)b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Choose the lanes: --tasks, then the --top N with the most time. */
static int choose_lanes(struct lanes *L)
{
	struct plot *p = L->p;
	struct ent **cand = calloc(L->iv.ne + 1, sizeof(*cand));
	if (!cand) {
		plot_err("out of memory");
		return -1;
	}
	int n = 0, all = 0;
	for (size_t i = 0; i < L->iv.ne; i++) {
		struct ent *e = &L->iv.e[i];
		int lvl = L->vcpus ? L->host : L->level;
		if (e->level != lvl)
			continue;
		all++;
		if (!L->vcpus && !plot_task_selected(p, e->tid, e->comm))
			continue;
		cand[n++] = e;
	}
	qsort(cand, (size_t)n, sizeof(*cand), by_run_desc);
	int top = p->o->top ? p->o->top : (L->vcpus ? 64 : DEFAULT_TOP);
	if (n > top) {
		if (L->vcpus)
			plot_note(p, "%d of %d vCPUs drawn (--top)", top, all);
		n = top;
	}
	if (L->vcpus) {
		/* guest then vCPU order */
		for (int i = 1; i < n; i++)
			for (int j = i; j > 0; j--) {
				int ga = 0, gb = 0;
				uint32_t va = 0, vb = 0;
				is_bound(&p->tr[0], L->host, cand[j - 1]->tid, &ga, &va);
				is_bound(&p->tr[0], L->host, cand[j]->tid, &gb, &vb);
				if (ga < gb || (ga == gb && va <= vb))
					break;
				struct ent *t = cand[j];
				cand[j] = cand[j - 1];
				cand[j - 1] = t;
			}
	} else {
		qsort(cand, (size_t)n, sizeof(*cand), by_pid_tid);
	}
	for (int i = 0; i < n; i++)
		cand[i]->lane = i;
	L->lane = cand;
	L->nlanes = n;
	return 0;
}

/* Host running intervals of each vCPU of the guest level, sorted by time. */
struct vtrack {
	uint32_t vcpu;
	struct ivl *v;
	size_t n, cap;
};

static int by_start(const void *a, const void *b)
{
	const struct ivl *x = a, *y = b;
	return x->a < y->a ? -1 : x->a > y->a;
}

static void lane_name(const struct lanes *L, const struct ent *e, char *buf, size_t n)
{
	if (L->vcpus) {
		int g = 0;
		uint32_t v = 0;
		is_bound(&L->p->tr[0], L->host, e->tid, &g, &v);
		snprintf(buf, n, "%s vCPU %u", L->p->tr[0].levels[g].name, v);
		return;
	}
	snprintf(buf, n, "%.16s %u", e->comm[0] ? e->comm : "?", e->tid);
}

/* Write the data file: one block per CPU drawn, then the shaded block
 * (stolen or runnable), then the migration marks. */
static int write_lanes(struct lanes *L, FILE *d, FILE *ds, int *cpus, int *ncpus, double div)
{
	struct plot *p = L->p;
	const struct plot_trace *t = &p->tr[0];
	/* which CPUs appear */
	static uint8_t seen[MAX_CPUS_DRAWN];
	memset(seen, 0, sizeof(seen));
	struct vtrack *vt = NULL;
	int nvt = 0;
	if (L->composed) {
		vt = calloc((size_t)t->nbind + 1, sizeof(*vt));
		if (!vt) {
			plot_err("out of memory");
			return -1;
		}
		for (int i = 0; i < t->nbind; i++)
			if (t->bind[i].guest_level == L->level && t->bind[i].host_level == L->host)
				vt[nvt++].vcpu = t->bind[i].vcpu;
		for (size_t i = 0; i < L->iv.n; i++) {
			struct ivl *v = &L->iv.v[i];
			uint32_t vc;
			if (v->level != L->host || v->state != IVL_RUN ||
			    !is_bound(t, L->host, v->tid, NULL, &vc))
				continue;
			for (int k = 0; k < nvt; k++)
				if (vt[k].vcpu == vc) {
					if (plot_grow((void **)&vt[k].v, &vt[k].cap, vt[k].n + 1,
						      sizeof(*v)) < 0)
						goto fail;
					vt[k].v[vt[k].n++] = *v;
				}
		}
		for (int k = 0; k < nvt; k++)
			if (vt[k].n)
				qsort(vt[k].v, vt[k].n, sizeof(*vt[k].v), by_start);
	}
	/* pass 1: CPUs; pass 2 per CPU block. For composed, a guest interval is
	 * cut into pieces by its vCPU's host intervals. */
	int lvl = L->vcpus ? L->host : L->level;
	for (int pass = 0; pass < 2; pass++) {
		int nblocks = pass ? *ncpus : 1;
		for (int blk = 0; blk < nblocks; blk++) {
			int want_cpu = pass ? cpus[blk] : -1;
			if (pass)
				fprintf(d, "# %s %d: start_%s end_%s lane\n",
					L->composed || L->vcpus ? "pCPU" : "CPU", want_cpu, "x", "x");
			for (size_t i = 0; i < L->iv.n; i++) {
				struct ivl *v = &L->iv.v[i];
				if (v->level != lvl || v->state != IVL_RUN)
					continue;
				struct ent *e = ivl_ent(&L->iv, v->level, v->tid);
				if (!e || e->lane < 0)
					continue;
				if (!L->composed) {
					if (v->cpu >= 0 && v->cpu < MAX_CPUS_DRAWN)
						seen[v->cpu] = 1;
					if (pass && v->cpu == want_cpu)
						box(L, d, (double)v->a / div, (double)v->b / div,
						    e->lane);
					continue;
				}
				struct vtrack *tr = NULL;
				for (int k = 0; k < nvt; k++)
					if (vt[k].vcpu == (uint32_t)v->cpu)
						tr = &vt[k];
				if (!tr)
					continue;
				/* first host interval ending after v->a */
				size_t lo = 0, hi = tr->n;
				while (lo < hi) {
					size_t mid = (lo + hi) / 2;
					if (tr->v[mid].b <= v->a)
						lo = mid + 1;
					else
						hi = mid;
				}
				for (size_t j = lo; j < tr->n && tr->v[j].a < v->b; j++) {
					int64_t a = tr->v[j].a > v->a ? tr->v[j].a : v->a;
					int64_t b = tr->v[j].b < v->b ? tr->v[j].b : v->b;
					if (b <= a)
						continue;
					if (tr->v[j].cpu >= 0 && tr->v[j].cpu < MAX_CPUS_DRAWN)
						seen[tr->v[j].cpu] = 1;
					if (pass && tr->v[j].cpu == want_cpu)
						box(L, d, (double)a / div, (double)b / div, e->lane);
				}
			}
			if (pass)
				fprintf(d, "\n\n");
		}
		if (!pass) {
			*ncpus = 0;
			for (int c = 0; c < MAX_CPUS_DRAWN; c++)
				if (seen[c] && *ncpus < 64)
					cpus[(*ncpus)++] = c;
		}
	}
	/* shaded file: stolen (composed) or runnable (vcpus) */
	d = ds;
	fprintf(d, "# %s: start end lane\n", L->composed ? "stolen" : "runnable (steal)");
	for (size_t i = 0; i < L->iv.n; i++) {
		struct ivl *v = &L->iv.v[i];
		struct ent *e = ivl_ent(&L->iv, v->level, v->tid);
		if (v->level != lvl || !e || e->lane < 0)
			continue;
		if (L->vcpus && v->state == IVL_RUNNABLE) {
			box(L, d, (double)v->a / div, (double)v->b / div, e->lane);
			L->wait_any = 1;
		}
		if (!L->composed || v->state != IVL_RUN)
			continue;
		struct vtrack *tr = NULL;
		for (int k = 0; k < nvt; k++)
			if (vt[k].vcpu == (uint32_t)v->cpu)
				tr = &vt[k];
		if (!tr)
			continue;
		/* the gaps of the vCPU's host intervals inside v */
		int64_t at = v->a;
		size_t lo = 0, hi = tr->n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (tr->v[mid].b <= v->a)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t j = lo; j < tr->n && tr->v[j].a < v->b; j++) {
			if (tr->v[j].a > at) {
				box(L, d, (double)at / div, (double)tr->v[j].a / div, e->lane);
				L->stolen_any = 1;
			}
			if (tr->v[j].b > at)
				at = tr->v[j].b;
		}
		if (at < v->b) {
			box(L, d, (double)at / div, (double)v->b / div, e->lane);
			L->stolen_any = 1;
		}
	}
	for (int k = 0; k < nvt; k++)
		free(vt[k].v);
	free(vt);
	return 0;
fail:
	for (int k = 0; k < nvt; k++)
		free(vt[k].v);
	free(vt);
	return -1;
}

/* Migration marks of the lanes' entities (block after the shaded one). */
static int write_marks(struct lanes *L, FILE *d, double div, struct csv **notes, long *nmarks)
{
	struct plot *p = L->p;
	static const char *const args[] = { "migrations", NULL };
	struct csv *c = plot_report(p, 0, "migrations", args, 0);
	if (!c)
		return -1;
	int lvl = L->vcpus ? L->host : L->level;
	int64_t lo, hi;
	plot_window(p, 0, &lo, &hi);
	int r, ct = -1, cl = -1, cid = -1;
	fprintf(d, "# migrations: time lane\n");
	while ((r = csv_next(c)) > 0) {
		if (csv_new_table(c)) {
			ct = csv_col(c, "time_ns");
			cl = csv_col(c, "level");
			cid = csv_col(c, "tid");
		}
		if (ct < 0 || cl < 0 || cid < 0)
			continue;
		if (plot_level_index(p, 0, csv_get(c, cl)) != lvl)
			continue;
		struct ent *e = ivl_ent(&L->iv, lvl, (uint32_t)csv_get_i(c, cid, NULL));
		if (!e || e->lane < 0)
			continue;
		int64_t t = csv_get_i(c, ct, NULL); /* from the trace start */
		if (t < lo || t > hi)
			continue;
		fprintf(d, "%.9g %d\n", (double)t / div, e->lane);
		(*nmarks)++;
	}
	if (r < 0) {
		plot_err("%s: cannot read the migrations report", p->figure);
		csv_close(c);
		return -1;
	}
	*notes = c;
	return 0;
}

struct cand {
	uint32_t tid;
	int64_t run_ns;
};

static int by_cand_run(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->run_ns != y->run_ns)
		return x->run_ns > y->run_ns ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/*
 * The lanes of a timeline, chosen before the export from the affinity
 * report's run_ns (--tasks, then --top): the export then holds only their
 * intervals, so its size and pmt-plot's memory follow the lanes drawn, not
 * the trace. 0, or -1 after a message.
 */
static int preselect(struct lanes *L)
{
	struct plot *p = L->p;
	static const char *const args[] = { "affinity", NULL };
	struct csv *c = plot_report(p, 0, "affinity", args, 0);
	if (!c)
		return -1;
	struct cand *v = NULL;
	size_t n = 0, cap = 0;
	int r, cl = -1, ct = -1, cc = -1, cr = -1, all = 0;
	while ((r = csv_next(c)) > 0) {
		if (csv_new_table(c)) {
			cl = csv_col(c, "level");
			ct = csv_col(c, "tid");
			cc = csv_col(c, "comm");
			cr = csv_col(c, "run_ns");
		}
		if (ct < 0 || cr < 0)
			continue;
		if (cl >= 0 && plot_level_index(p, 0, csv_get(c, cl)) != L->level)
			continue;
		int ok;
		uint32_t tid = (uint32_t)csv_get_i(c, ct, &ok);
		int64_t run = csv_get_i(c, cr, NULL);
		if (!ok || tid == 0 || run <= 0)
			continue;
		all++;
		if (!plot_task_selected(p, tid, csv_get(c, cc)))
			continue;
		if (plot_grow((void **)&v, &cap, n + 1, sizeof(*v)) < 0) {
			csv_close(c);
			free(v);
			return -1;
		}
		v[n++] = (struct cand){ tid, run };
	}
	csv_close(c);
	if (r < 0) {
		plot_err("%s: cannot read the affinity report", p->figure);
		free(v);
		return -1;
	}
	if (n)
		qsort(v, n, sizeof(*v), by_cand_run);
	int top = p->o->top ? p->o->top : DEFAULT_TOP;
	if ((int)n > top) {
		plot_note(p, "%d of %d entities drawn (the %d with the most run time; "
			  "--top and --tasks choose others)", top, all, top);
		n = (size_t)top;
	} else if ((int)n < all) {
		plot_note(p, "%zu of %d entities drawn (--tasks)", n, all);
	}
	L->sel = malloc((n + 1) * sizeof(*L->sel));
	if (!L->sel) {
		free(v);
		plot_err("out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		L->sel[i] = v[i].tid;
	L->nsel = (int)n;
	free(v);
	return 0;
}

/* --tid LIST for the export: the lanes (and the vCPU threads under them when
 * composed); "" (everything) when there would be more than pmt-analyze
 * takes. */
static void tid_list(const struct lanes *L, char *buf, size_t n)
{
	const struct plot_trace *t = &L->p->tr[0];
	size_t len = 0;
	int count = 0;
	buf[0] = '\0';
	if (L->vcpus) {
		for (int i = 0; i < t->nbind; i++, count++)
			len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%u", len ? "," : "",
						t->bind[i].host_tid);
	} else {
		for (int i = 0; i < L->nsel; i++, count++)
			len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%u", len ? "," : "",
						L->sel[i]);
		for (int i = 0; L->composed && i < t->nbind; i++, count++)
			len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%u", len ? "," : "",
						t->bind[i].host_tid);
	}
	if (count == 0 || count > 64 || len >= n)
		buf[0] = '\0';
}

static int draw(struct lanes *L)
{
	struct plot *p = L->p;
	char dir[4096], tids[4096];
	if (!L->vcpus && preselect(L) < 0)
		return -1;
	if (!L->vcpus && L->nsel == 0) {
		plot_err("%s: no entity ran in this window", p->figure);
		return -1;
	}
	tid_list(L, tids, sizeof(tids));
	if (ivl_export(p, 0, tids, dir, sizeof(dir)) < 0)
		return -1;
	if (ivl_load(p, 0, dir, want, L, &L->iv) < 0)
		return -1;
	if (choose_lanes(L) < 0)
		return -1;
	if (L->nlanes == 0) {
		plot_err("%s: no entity ran in this window", p->figure);
		return -1;
	}
	int64_t lo, hi;
	plot_window(p, 0, &lo, &hi);
	double div;
	const char *unit = gp_time_unit(hi - lo, &div);
	/* 1/200 inch of the time axis (about 70% of the figure's width) */
	L->minw = (double)(hi - lo) / div / (p->width_in * 0.7 * 200);
	char dname[300], sname[300], mname[300];
	FILE *d = plot_data(p, "lanes", dname, sizeof(dname));
	FILE *ds = d ? plot_data(p, L->composed ? "stolen" : "runnable", sname, sizeof(sname)) : NULL;
	FILE *dm = ds ? plot_data(p, "marks", mname, sizeof(mname)) : NULL;
	if (!dm) {
		if (d)
			fclose(d);
		if (ds)
			fclose(ds);
		return -1;
	}
	fprintf(d, "# %s: intervals per CPU (one block each, gnuplot index), times in %s "
		   "from the trace start; lanes:\n", p->figure, unit);
	for (int i = 0; i < L->nlanes; i++) {
		char name[80];
		lane_name(L, L->lane[i], name, sizeof(name));
		char qb[96];
		fprintf(d, "# lane %d: %s (tid %u)\n", i, plot_dat_str(name, qb, sizeof(qb)),
			L->lane[i]->tid);
	}
	int cpus[64], ncpus = 0;
	struct csv *notes = NULL;
	long nmarks = 0;
	int bad = write_lanes(L, d, ds, cpus, &ncpus, div) < 0 ||
		  write_marks(L, dm, div, &notes, &nmarks) < 0;
	bad |= plot_data_close(d) < 0;
	bad |= plot_data_close(ds) < 0;
	bad |= plot_data_close(dm) < 0;
	if (bad) {
		csv_close(notes);
		return -1;
	}
	if (p->o->height_in <= 0) {
		double h = 1.0 + 0.17 * L->nlanes + (ncpus > 6 ? 0.2 : 0);
		p->height_in = h < 1.8 ? 1.8 : h > 9 ? 9 : h;
	}
	if (gp_begin(p) < 0) {
		csv_close(notes);
		return -1;
	}
	FILE *f = p->gp;
	fprintf(f, "set xlabel 'time from trace start (%s)'\n", unit);
	fprintf(f, "set xrange [%.9g:%.9g]\n", (double)lo / div, (double)hi / div);
	fprintf(f, "set yrange [%d.5:-0.5]\n", L->nlanes - 1);
	fprintf(f, "set ytics (");
	for (int i = 0; i < L->nlanes; i++) {
		char name[80];
		lane_name(L, L->lane[i], name, sizeof(name));
		fprintf(f, "%s", i ? ", " : "");
		gp_tic_label(f, name);
		fprintf(f, " %d", i);
	}
	fprintf(f, ") scale 0\n");
	fprintf(f, "set border 1\n");
	fprintf(f, "set grid noytics\n");
	const char *names[72], *colors[72];
	int pats[72], nk = 0;
	char knames[72][32];
	const char *cpu_word = L->composed || L->vcpus ? "pCPU" : L->p->tr[0].levels[L->level].guest ?
		"vCPU" : "CPU";
	for (int k = 0; k < ncpus && nk < 64; k++, nk++) {
		snprintf(knames[nk], sizeof(knames[nk]), "%s %d", cpu_word, cpus[k]);
		names[nk] = knames[nk];
		colors[nk] = gp_color(cpus[k]);
		pats[nk] = gp_pattern(cpus[k]);
	}
	int shaded = L->composed ? L->stolen_any : L->wait_any;
	if (shaded) {
		names[nk] = L->composed ? "stolen" : "runnable (steal)";
		colors[nk] = "#BBBBBB";
		pats[nk++] = 1;
	}
	if (nmarks) {
		/* composed: the marks are still the guest's migrations (vCPU changes);
		 * pCPU changes show as colour changes */
		names[nk] = L->composed ? "vCPU change" : "migration";
		colors[nk] = NULL;
		pats[nk++] = 11;
	}
	gp_key_boxes(p, nk, names, colors, pats);
	gp_notes(p, notes);
	csv_close(notes);
	fprintf(f, "plot ");
	int first = 1;
	for (int k = 0; k < ncpus; k++) {
		gp_fill(f, dname, k, "(($1+$2)/2):3:1:2:($3-0.38):($3+0.38)", gp_color(cpus[k]),
			gp_pattern(cpus[k]), first);
		first = 0;
	}
	if (shaded) {
		/* stolen / runnable: a lighter, lower band so that it never
		 * hides the running colour it lies next to */
		gp_fill(f, sname, 0, "(($1+$2)/2):3:1:2:($3-0.2):($3+0.2)", "#BBBBBB", 1, first);
		first = 0;
	}
	if (nmarks)
		fprintf(f, "%s'%s' using 1:($2-0.5) with points pt 11 ps 0.5 lc rgb '#000000'",
			first ? "" : ", \\\n     ", mname);
	else if (first)
		fprintf(f, "NaN");
	fprintf(f, "\n");
	return 0;
}

static int make_timeline(struct plot *p)
{
	struct lanes L = { 0 };
	L.p = p;
	L.level = plot_pick_level(p);
	if (L.level < 0)
		return -1;
	L.host = host_level(&p->tr[0]);
	L.composed = p->o->composed;
	if (L.composed && (!p->tr[0].levels[L.level].guest || !p->tr[0].nbind)) {
		plot_err("%s: --composed needs a guest level bound to host vCPUs in the trace",
			 p->figure);
		return -1;
	}
	int rc = draw(&L);
	free(L.lane);
	free(L.sel);
	ivl_free(&L.iv);
	return rc;
}

static int make_vcpus(struct plot *p)
{
	struct lanes L = { 0 };
	L.p = p;
	L.host = host_level(&p->tr[0]);
	L.level = L.host;
	L.vcpus = 1;
	int rc = draw(&L);
	free(L.lane);
	free(L.sel);
	ivl_free(&L.iv);
	return rc;
}

const struct figure fig_timeline = {
	"timeline", "one lane per entity, coloured by CPU, migrations marked", 0, make_timeline,
};

const struct figure fig_vcpus = {
	"vcpus", "one lane per vCPU, coloured by physical CPU, steal shaded", FIG_VCPUS, make_vcpus,
};
