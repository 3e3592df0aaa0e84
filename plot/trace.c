/*
 * trace.c - the few facts pmt-plot reads from a trace itself through libpmt:
 * its levels and vCPU bindings (which figures it allows, lane names) and its
 * span (the default window). Every number drawn comes from pmt-analyze's
 * reports instead.
 */
#include "plot/plot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pmt.h"

int plot_trace_load(struct plot_trace *t)
{
	int err = 0;
	char msg[200] = "";
	/* Tolerant: a damaged trace still has levels; pmt-analyze says what is
	 * damaged when the reports run. */
	pmt_reader *r = pmt_reader_open_ex(t->path, PMT_OPEN_TOLERANT, &err, msg,
					   sizeof(msg));
	if (!r) {
		if (!strncmp(msg, "offset ", 7)) /* damage: FILE: offset N: what */
			fprintf(stderr, "%s: %s\n", t->path, msg);
		else if (*msg)
			plot_err("'%s': %s", t->path, msg);
		else if (err == PMT_EIO && errno)
			plot_err("'%s': %s", t->path, strerror(errno));
		else
			plot_err("'%s': %s", t->path, pmt_strerror(err));
		return -1;
	}
	const struct pmt_info *in = pmt_reader_info(r);
	/* A damaged or truncated trace: every report would fail on it (they run
	 * without --tolerant), so say where the damage is, once, and stop. */
	if (in->recovered || in->ndamage) {
		for (size_t i = 0; i < in->ndamage; i++)
			fprintf(stderr, "%s: offset %llu: %s\n", t->path,
				(unsigned long long)in->damage[i].offset, in->damage[i].what);
		if (!in->ndamage)
			plot_err("'%s': no valid footer (a truncated file?)", t->path);
		pmt_reader_close(r);
		return -1;
	}
	t->nlevels = 0;
	for (size_t i = 0; i < in->nlevels && i < PLOT_MAX_LEVELS; i++) {
		const struct pmt_level *l = &in->levels[i];
		snprintf(t->levels[i].name, sizeof(t->levels[i].name), "%s",
			 l->name ? l->name : "");
		t->levels[i].guest = l->kind == PMT_LEVEL_GUEST;
		t->levels[i].ncpus = (int)l->ncpus;
		t->nlevels++;
	}
	t->has_vcpus = in->nbindings > 0;
	t->nbind = 0;
	for (size_t i = 0; i < in->nbindings && t->nbind < 256; i++) {
		t->bind[t->nbind].guest_level = in->bindings[i].guest_level;
		t->bind[t->nbind].host_level = in->bindings[i].host_level;
		t->bind[t->nbind].vcpu = in->bindings[i].guest_cpu;
		t->bind[t->nbind].host_tid = in->bindings[i].host_tid;
		t->nbind++;
	}
	for (size_t i = 0; i < in->ntasks && !t->has_vcpus; i++)
		if (in->tasks[i].flags & PMT_TASK_VCPU)
			t->has_vcpus = 1;
	t->first_ns = in->first_ns;
	t->last_ns = in->last_ns;
	pmt_reader_close(r);
	return 0;
}
