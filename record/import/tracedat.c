/*
 * tracedat.c - pmt-import trace.dat: trace-cmd's binary files through
 * libtracecmd (v6 and v7, compressed or not). Records are decoded with the
 * recorder's own decoder (record/tepdec.c) and the format files stored in
 * the file, so states and fields mean what the recording kernel meant.
 * A file recorded into an instance (trace-cmd record -B NAME) keeps its
 * events in a buffer of that name: --buffer NAME picks it; by default the
 * top buffer, or the first named buffer when the top one is empty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "record/import/import.h"
#include "record/sched.h"
#include "record/tepdec.h"

struct ctx {
	struct pmt_tepdec *dec;
	struct pmt_sched *sched;
	uint64_t *last;         /* per CPU: last timestamp written               */
	uint32_t ncpus;
	uint64_t skipped, lost;
	int rc;
};

static int has_data(struct tracecmd_input *h)
{
	struct tep_handle *tep = tracecmd_get_tep(h);
	int n = tep ? tep_get_cpus(tep) : 0;
	for (int c = 0; c < n; c++) {
		struct tep_record *r = tracecmd_read_cpu_first(h, c);
		if (r) {
			tracecmd_free_record(r);
			return 1;
		}
	}
	return 0;
}

static int on_record(struct tracecmd_input *h, struct tep_record *rec, int cpu, void *data)
{
	struct ctx *x = data;
	(void)h;
	if (cpu < 0 || (uint32_t)cpu >= x->ncpus) {
		x->skipped++;
		return 0;
	}
	uint64_t ts = rec->ts;
	if (ts < x->last[cpu])
		ts = x->last[cpu];
	if (rec->missed_events) {
		uint64_t n = rec->missed_events > 0 ? (uint64_t)rec->missed_events : 0;
		x->lost += n;
		x->rc = pmt_sched_lost(x->sched, (uint32_t)cpu, x->last[cpu], n, ts - x->last[cpu]);
		if (x->rc < 0)
			return -1;
	}
	x->last[cpu] = ts;
	int rc = pmt_tepdec_record(x->dec, (uint32_t)cpu, ts, rec->data, rec->size);
	if (rc < 0) {
		x->rc = rc;
		return -1;
	}
	if (rc > 0)
		x->skipped++;
	return 0;
}

int pmt_import_tracedat(const struct pmt_import_args *a)
{
	if (access(a->in, R_OK) != 0) {
		pmt_import_err("cannot open '%s': %m", a->in);
		return 1;
	}
	tracecmd_set_loglevel(TEP_LOG_NONE);
	struct tracecmd_input *top = tracecmd_open(a->in, TRACECMD_FL_LOAD_NO_PLUGINS), *h = top;
	if (!top) {
		pmt_import_err("'%s': not a trace.dat file libtracecmd can read", a->in);
		return 1;
	}
	int nbuf = tracecmd_buffer_instances(top);
	struct tracecmd_input *inst = NULL;
	if (a->buffer) {
		for (int i = 0; i < nbuf; i++)
			if (!strcmp(tracecmd_buffer_instance_name(top, i), a->buffer))
				inst = tracecmd_buffer_instance_handle(top, i);
		if (!inst) {
			pmt_import_err("'%s': no buffer named '%s'", a->in, a->buffer);
			tracecmd_close(top);
			return 1;
		}
		h = inst;
	} else if (!has_data(top) && nbuf > 0) {
		inst = tracecmd_buffer_instance_handle(top, 0);
		if (inst)
			h = inst;
	}
	struct tep_handle *tep = tracecmd_get_tep(h);
	int ncpus = tep ? tep_get_cpus(tep) : 0;
	struct pmt_import_out o;
	if (!tep || ncpus <= 0) {
		pmt_import_err("'%s': no CPUs or event formats in the file", a->in);
		goto fail;
	}
	if (pmt_import_begin(&o, a, "trace.dat", (uint32_t)ncpus, "trace.dat", 1) < 0)
		goto fail;
	struct ctx x = {.ncpus = (uint32_t)ncpus};
	char msg[200];
	x.sched = pmt_sched_new(o.level, pmt_import_emit, &o);
	x.last = calloc((size_t)ncpus, sizeof(*x.last));
	x.dec = x.sched ? pmt_tepdec_new(tep, x.sched, msg, sizeof(msg), NULL, NULL) : NULL;
	if (!x.sched || !x.last || !x.dec) {
		pmt_import_err("'%s': %s", a->in, x.sched && x.last ? msg : "out of memory");
		pmt_writer_abort(o.w);
		pmt_tepdec_free(x.dec);
		pmt_sched_free(x.sched);
		free(x.last);
		goto fail;
	}
	tracecmd_iterate_events(h, NULL, 0, on_record, &x);
	int status = pmt_import_end(&o, a, x.skipped, x.lost);
	pmt_tepdec_free(x.dec);
	pmt_sched_free(x.sched);
	free(x.last);
	if (inst)
		tracecmd_close(inst);
	tracecmd_close(top);
	return status;
fail:
	if (inst)
		tracecmd_close(inst);
	tracecmd_close(top);
	return 1;
}
