/*
 * main.c - pmt-import FORMAT FILE -o OUT.pmt: the table of formats and what
 * every importer shares (the output file, its one-line summary).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/import/import.h"

static const struct {
	const char *name;
	pmt_import_fn fn;
	const char *help;
} formats[] = {
	{"ftrace", pmt_import_ftrace,
	 "text of tracefs 'trace' files and of 'trace-cmd report'"},
	{"trace.dat", pmt_import_tracedat,
	 "trace-cmd's binary files (v6, v7, compressed; --buffer NAME for an instance)"},
	{"xentrace", pmt_import_xentrace,
	 "Xen's xentrace files (--cpu-hz HZ, default 2.4e9 assumed; --tolerant)"},
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

void pmt_import_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("pmt-import: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int pmt_import_begin(struct pmt_import_out *o, const struct pmt_import_args *a,
		     const char *format, uint32_t ncpus, const char *clock_name, int ns_clock)
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
		pmt_import_err("cannot open '%s' for writing: %s", a->out, pmt_strerror(err));
		return -1;
	}
	struct pmt_clock c = {.name = clock_name, .freq_hz = 1000000000u, .mult_num = 1,
			      .mult_den = 1, .flags = ns_clock ? 0 : PMT_CLOCK_FREQ_ASSUMED};
	int cid = pmt_writer_add_clock(o->w, &c);
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

static void usage(FILE *f)
{
	fprintf(f, "usage: pmt-import FORMAT FILE [-o OUT.pmt] [--buffer NAME] [--cpu-hz HZ] [--tolerant] [-v]\n"
		   "Convert a trace made by another tool into a .pmt file (default OUT: FILE.pmt).\n"
		   "Formats:\n");
	for (size_t i = 0; i < NFORMATS; i++)
		fprintf(f, "  %-10s %s\n", formats[i].name, formats[i].help);
}

int main(int argc, char **argv)
{
	struct pmt_import_args a = {0};
	const char *fmt = NULL;
	static char outbuf[4096];
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(s, "-o") || !strcmp(s, "--output") || !strcmp(s, "--buffer") ||
			   !strcmp(s, "--cpu-hz")) {
			if (i + 1 >= argc) {
				pmt_import_err("option '%s' needs a value", s);
				return 2;
			}
			if (s[2] == 'b')
				a.buffer = argv[++i];
			else if (s[2] == 'c')
				a.cpu_hz = argv[++i];
			else
				a.out = argv[++i];
		} else if (!strcmp(s, "--tolerant")) {
			a.tolerant = 1;
		} else if (!strcmp(s, "-v") || !strcmp(s, "--verbose")) {
			a.verbose++;
		} else if (s[0] == '-' && s[1]) {
			pmt_import_err("unknown option '%s' (see --help)", s);
			return 2;
		} else if (!fmt) {
			fmt = s;
		} else if (!a.in) {
			a.in = s;
		} else {
			pmt_import_err("unexpected argument '%s' (see --help)", s);
			return 2;
		}
	}
	if (!fmt || !a.in) {
		pmt_import_err("needs a format and a file (see --help)");
		return 2;
	}
	if ((a.cpu_hz || a.tolerant) && strcmp(fmt, "xentrace")) {
		pmt_import_err("--cpu-hz and --tolerant apply to the xentrace format only");
		return 2;
	}
	if (!a.out) {
		snprintf(outbuf, sizeof(outbuf), "%s.pmt", a.in);
		a.out = outbuf;
	}
	for (size_t i = 0; i < NFORMATS; i++)
		if (!strcmp(fmt, formats[i].name))
			return formats[i].fn(&a);
	char list[256] = "";
	for (size_t i = 0, pos = 0; i < NFORMATS && pos < sizeof(list); i++)
		pos += (size_t)snprintf(list + pos, sizeof(list) - pos, "%s%s", i ? ", " : "",
					formats[i].name);
	pmt_import_err("unknown format '%s': one of %s (see --help)", fmt, list);
	return 2;
}
