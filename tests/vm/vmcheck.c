/*
 * vmcheck.c - properties of a merged two-level trace, for the VM test bed.
 *
 * usage: vmcheck [--shift NS] MERGED.pmt
 *
 * --shift NS adds NS to every guest time before the checks: a control that
 * shows the run check can fail (a clock off by much more than the stated
 * uncertainty must give many exceptions).
 *
 * For every guest level with vCPU bindings it prints (key value lines):
 *  - the guest clock's mapping flags and uncertainty;
 *  - guest_switches: switch events on the guest's vCPUs, and outside: how
 *    many of them, converted to host time, do not fall inside a run of the
 *    bound host thread on some pCPU (a vCPU executes guest code only while its
 *    thread runs); outside_beyond: those more than the clock's uncertainty
 *    away from every run. Host runs whose switch-in was not recorded (this
 *    machine's host kernel drops some switches out of idle) are taken from
 *    the CPU's previous switch to the thread's switch-out, and counted
 *    (inferred_runs; in_inferred: guest switches that only such a run covers);
 *  - per vCPU thread, within the guest recording's time span: runs,
 *    pcpu_changes (a run on another pCPU than the thread's previous run) and
 *    migrations (kernel migrate events of the thread);
 *  - max_running_vcpus: the most vCPU threads running at once on the host in
 *    that span, and two_running_ns: the time two or more ran at once.
 * Exit status 0, or 1 when the file cannot be read. Test-only: the engine's
 * composed reports are the user-facing form of these numbers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmt.h"

struct run {
	int64_t s, e;
	uint32_t cpu;
	int inferred;
};

struct vcpu {
	uint32_t tid;
	int64_t cur_start;   /* -1: not known running */
	uint32_t cur_cpu;
	struct run *runs;
	size_t nruns, cap;
	int64_t *sw;         /* guest switch times on this vCPU */
	size_t nsw, swcap;
	uint64_t migrations;
};

static void *grow(void *p, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 256;
	p = realloc(p, *cap * sz);
	if (!p) {
		fprintf(stderr, "vmcheck: out of memory\n");
		exit(1);
	}
	return p;
}

static void add_run(struct vcpu *v, int64_t s, int64_t e, uint32_t cpu, int inferred)
{
	v->runs = grow(v->runs, &v->cap, v->nruns, sizeof(*v->runs));
	v->runs[v->nruns++] = (struct run){s, e, cpu, inferred};
}

struct edge {
	int64_t t;
	int d; /* +1 a run starts, -1 it ends */
};

static int cmp_edge(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->d - y->d; /* ends before starts at the same instant */
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int err = 0;
	char msg[200] = "";
	int64_t shift = 0;

	if (argc == 4 && strcmp(argv[1], "--shift") == 0) {
		shift = strtoll(argv[2], NULL, 10);
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: vmcheck [--shift NS] MERGED.pmt\n");
		return 2;
	}
	pmt_reader *r = pmt_reader_open_ex(argv[1], 0, &err, msg, sizeof(msg));
	if (!r) {
		fprintf(stderr, "vmcheck: '%s': %s %s\n", argv[1], pmt_strerror(err), msg);
		return 1;
	}
	const struct pmt_info *info = pmt_reader_info(r);

	for (size_t gl = 0; gl < info->nlevels; gl++) {
		const struct pmt_level *lv = &info->levels[gl];
		if (lv->kind != PMT_LEVEL_GUEST)
			continue;
		uint32_t n = lv->ncpus, hl = 0;
		struct vcpu *vc = calloc(n ? n : 1, sizeof(*vc));
		int64_t *last_on = NULL;
		uint32_t hcpus = 0;
		uint64_t inferred = 0;
		if (!vc)
			return 1;
		for (size_t b = 0; b < info->nbindings; b++)
			if (info->bindings[b].guest_level == gl && info->bindings[b].guest_cpu < n) {
				vc[info->bindings[b].guest_cpu].tid = info->bindings[b].host_tid;
				hl = info->bindings[b].host_level;
			}
		int complete = 1;
		for (uint32_t i = 0; i < n; i++) {
			complete &= vc[i].tid != 0;
			vc[i].cur_start = -1;
		}
		if (!n || !complete) {
			printf("guest %s no_bindings\n", lv->name);
			free(vc);
			continue;
		}
		hcpus = info->levels[hl].ncpus;
		last_on = calloc(hcpus ? hcpus : 1, sizeof(*last_on));
		/* Guest span in host ns. */
		int64_t glo = INT64_MAX, ghi = INT64_MIN;
		for (size_t s = 0; s < info->nstreams; s++)
			if (info->streams[s].level == gl && info->streams[s].events) {
				if (info->streams[s].first_ns < glo)
					glo = info->streams[s].first_ns;
				if (info->streams[s].last_ns > ghi)
					ghi = info->streams[s].last_ns;
			}
		uint8_t *want = calloc(info->nstreams ? info->nstreams : 1, 1);
		for (size_t s = 0; s < info->nstreams; s++)
			want[s] = info->streams[s].level == gl || info->streams[s].level == hl;
		pmt_cursor *c = pmt_cursor_open_merged(r, want, &err);
		const struct pmt_event *ev;
		if (!c) {
			fprintf(stderr, "vmcheck: '%s': %s\n", argv[1], pmt_strerror(err));
			return 1;
		}
		while ((ev = pmt_cursor_next(c, &err))) {
			if (ev->level == gl) {
				if (ev->type == PMT_EV_SWITCH && ev->cpu < n) {
					struct vcpu *v = &vc[ev->cpu];
					v->sw = grow(v->sw, &v->swcap, v->nsw, sizeof(*v->sw));
					v->sw[v->nsw++] = ev->time_ns + shift;
				}
				continue;
			}
			if (ev->type == PMT_EV_MIGRATE) {
				for (uint32_t i = 0; i < n; i++)
					if (vc[i].tid == ev->u.migrate.tid && ev->time_ns >= glo && ev->time_ns <= ghi)
						vc[i].migrations++;
				continue;
			}
			if (ev->type != PMT_EV_SWITCH || ev->cpu >= hcpus)
				continue;
			for (uint32_t i = 0; i < n; i++) {
				struct vcpu *v = &vc[i];
				if (v->tid == ev->u.sw.prev_tid) {
					if (v->cur_start >= 0 && v->cur_cpu == ev->cpu) {
						add_run(v, v->cur_start, ev->time_ns, ev->cpu, 0);
					} else {
						/* switch-in not recorded: it ran since the CPU's last switch */
						add_run(v, last_on[ev->cpu], ev->time_ns, ev->cpu, 1);
						inferred++;
					}
					v->cur_start = -1;
				}
				if (v->tid == ev->u.sw.next_tid) {
					if (v->cur_start >= 0) /* still running elsewhere: close it */
						add_run(v, v->cur_start, ev->time_ns, v->cur_cpu, 0);
					v->cur_start = ev->time_ns;
					v->cur_cpu = ev->cpu;
				}
			}
			last_on[ev->cpu] = ev->time_ns;
		}
		pmt_cursor_close(c);
		for (uint32_t i = 0; i < n; i++)
			if (vc[i].cur_start >= 0)
				add_run(&vc[i], vc[i].cur_start, INT64_MAX, vc[i].cur_cpu, 0);

		const struct pmt_clock *ck = &info->clocks[lv->clock];
		int64_t unc = (int64_t)ck->uncertainty_ns;
		uint64_t total = 0, outside = 0, beyond = 0, in_inferred = 0;
		printf("guest %s vcpus %u clock_flags %u uncertainty_ns %" PRIu64 "\n", lv->name, n,
		       ck->flags, ck->uncertainty_ns);
		/* Co-running vCPU threads on the host, within the guest span: the
		 * longest overlap count and the time with two or more running. */
		size_t nedge = 0;
		for (uint32_t i = 0; i < n; i++)
			nedge += 2 * vc[i].nruns;
		struct edge *edges = calloc(nedge ? nedge : 1, sizeof(*edges));
		if (!edges)
			return 1;
		nedge = 0;
		for (uint32_t i = 0; i < n; i++)
			for (size_t q = 0; q < vc[i].nruns; q++) {
				int64_t a = vc[i].runs[q].s > glo ? vc[i].runs[q].s : glo;
				int64_t b = vc[i].runs[q].e < ghi ? vc[i].runs[q].e : ghi;
				if (a >= b)
					continue;
				edges[nedge++] = (struct edge){a, +1};
				edges[nedge++] = (struct edge){b, -1};
			}
		qsort(edges, nedge, sizeof(*edges), cmp_edge);
		int cur = 0, maxrun = 0;
		int64_t multi_ns = 0;
		for (size_t q = 0; q < nedge; q++) {
			if (cur >= 2 && q > 0)
				multi_ns += edges[q].t - edges[q - 1].t;
			cur += edges[q].d;
			if (cur > maxrun)
				maxrun = cur;
		}
		free(edges);
		printf("max_running_vcpus %d two_running_ns %" PRId64 "\n", maxrun, multi_ns);
		for (uint32_t i = 0; i < n; i++) {
			struct vcpu *v = &vc[i];
			size_t k = 0, runs = 0, changes = 0;
			int64_t prev_cpu = -1;
			qsort(v->sw, v->nsw, sizeof(*v->sw), cmp_i64);
			/* runs are in end order per thread; starts ascend too */
			for (size_t s = 0; s < v->nsw; s++) {
				int64_t t = v->sw[s];
				while (k < v->nruns && v->runs[k].e < t)
					k++;
				total++;
				if (k < v->nruns && v->runs[k].s <= t) {
					in_inferred += v->runs[k].inferred;
					continue;
				}
				outside++;
				int near = (k < v->nruns && v->runs[k].s - t <= unc) ||
					   (k > 0 && t - v->runs[k - 1].e <= unc);
				beyond += !near;
			}
			for (size_t q = 0; q < v->nruns; q++) {
				if (v->runs[q].s < glo || v->runs[q].s > ghi)
					continue;
				runs++;
				if (prev_cpu >= 0 && prev_cpu != (int64_t)v->runs[q].cpu)
					changes++;
				prev_cpu = v->runs[q].cpu;
			}
			printf("vcpu %u tid %u runs %zu pcpu_changes %zu migrations %" PRIu64 "\n", i,
			       v->tid, runs, changes, v->migrations);
			free(v->runs);
			free(v->sw);
		}
		printf("guest_switches %" PRIu64 " outside %" PRIu64 " outside_beyond %" PRIu64
		       " inferred_runs %" PRIu64 " in_inferred %" PRIu64 " span_ns %" PRId64 "\n",
		       total, outside, beyond, inferred, in_inferred, ghi - glo);
		free(vc);
		free(last_on);
		free(want);
	}
	pmt_reader_close(r);
	return 0;
}
