/*
 * common.c - what every importer shares: messages, the output file with its
 * one level and clock, the emit function and the closing summary.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "record/import/import.h"

void pmt_import_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("pmt-import: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int pmt_import_parse_hz(const char *s, uint64_t *hz)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno)
		return -1;
	if (*end == 'G' || *end == 'g')
		v *= 1e9, end++;
	else if (*end == 'M' || *end == 'm')
		v *= 1e6, end++;
	if ((end[0] == 'H' || end[0] == 'h') && (end[1] == 'z' || end[1] == 'Z'))
		end += 2;
	if (*end || !(v >= 1e6 && v <= 1e11))
		return -1;
	*hz = (uint64_t)llround(v);
	return 0;
}

int pmt_import_begin(struct pmt_import_out *o, const struct pmt_import_args *a,
		     const char *format, uint32_t ncpus, const char *clock_name, int ns_clock)
{
	struct pmt_clock c = {.name = clock_name, .freq_hz = 1000000000u, .mult_num = 1,
			      .mult_den = 1, .flags = ns_clock ? 0 : PMT_CLOCK_FREQ_ASSUMED};
	return pmt_import_begin_clock(o, a, format, ncpus, &c);
}

int pmt_import_begin_clock(struct pmt_import_out *o, const struct pmt_import_args *a,
			   const char *format, uint32_t ncpus, const struct pmt_clock *c)
{
	int err = 0;
	memset(o, 0, sizeof(*o));
	if (ncpus == 0)
		ncpus = 1;
	if (ncpus > PMT_MAX_CPUS) {
		pmt_import_err("'%s': %u CPUs: more than the %u a .pmt level holds", a->in, ncpus,
			       PMT_MAX_CPUS);
		return -1;
	}
	o->w = pmt_writer_open(a->out, NULL, &err);
	if (!o->w) {
		pmt_import_err("cannot open '%s' for writing: %s", a->out,
			       err == PMT_EIO && errno ? strerror(errno) : pmt_strerror(err));
		return -1;
	}
	int cid = pmt_writer_add_clock(o->w, c);
	struct pmt_level lv = {.kind = PMT_LEVEL_HOST, .clock = (uint16_t)(cid < 0 ? 0 : cid),
			       .name = "host", .ncpus = ncpus, .guest_id = -1};
	int lid = cid < 0 ? cid : pmt_writer_add_level(o->w, &lv);
	pmt_writer_set_meta(o->w, "recorder", "pmt-import");
	pmt_writer_set_meta(o->w, "import_format", format);
	pmt_writer_set_meta(o->w, "import_source", a->in);
	if (lid < 0 || (err = pmt_writer_begin(o->w)) < 0) {
		pmt_import_err("'%s': cannot start the file: %s", a->out,
			       pmt_strerror(lid < 0 ? lid : err));
		pmt_writer_abort(o->w);
		o->w = NULL;
		return -1;
	}
	o->level = (uint16_t)lid;
	return 0;
}

int pmt_import_emit(void *ctx, const struct pmt_event *ev)
{
	struct pmt_import_out *o = ctx;
	if (o->err)
		return o->err;
	int rc = pmt_writer_append(o->w, ev);
	if (rc < 0)
		return o->err = rc;
	o->events++;
	return 0;
}

int pmt_import_end(struct pmt_import_out *o, const struct pmt_import_args *a,
		   uint64_t skipped, uint64_t lost)
{
	if (o->err) {
		pmt_import_err("'%s': write failed: %s", a->out, pmt_strerror(o->err));
		pmt_writer_abort(o->w);
		return 1;
	}
	int rc = pmt_writer_close(o->w);
	if (rc < 0) {
		pmt_import_err("'%s': cannot finish the file: %s", a->out, pmt_strerror(rc));
		return 1;
	}
	fprintf(stderr, "pmt-import: wrote '%s': %llu events, %llu lost, %llu records skipped\n",
		a->out, (unsigned long long)o->events, (unsigned long long)lost,
		(unsigned long long)skipped);
	return 0;
}

