/*
 * main.c - pmt-import FORMAT FILE -o OUT.pmt: the command line and the table
 * of formats (one file per format; what they share is in common.c).
 */
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
	 "text of tracefs 'trace' files and of 'trace-cmd report' (--cpu-hz HZ for x86-tsc cycles)"},
	{"trace.dat", pmt_import_tracedat,
	 "trace-cmd's binary files (v6, v7, compressed; --buffer NAME for an instance)"},
	{"xentrace", pmt_import_xentrace,
	 "Xen's xentrace files (--cpu-hz HZ, default 2.4e9 assumed; --tolerant)"},
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: pmt-import FORMAT FILE [-o OUT.pmt] [--buffer NAME] [--cpu-hz HZ] [--tolerant] [-v]\n"
		   "Convert a trace made by another tool into a .pmt file (default OUT: FILE.pmt).\n"
		   "Formats:\n");
	for (size_t i = 0; i < NFORMATS; i++)
		fprintf(f, "  %-10s %s\n", formats[i].name, formats[i].help);
	fprintf(f, "Options:\n"
		   "  -o, --output OUT.pmt  the file to write (default FILE.pmt)\n"
		   "  --buffer NAME         trace.dat: the instance buffer to import\n"
		   "  --cpu-hz HZ           xentrace: the TSC frequency (default 2.4e9, assumed);\n"
		   "                        ftrace: integer time stamps are x86-tsc cycles at HZ\n"
		   "  --tolerant            xentrace: keep what precedes damage, exit 0\n"
		   "  -v, --verbose         xentrace: what the file held\n"
		   "  -h, --help            this help\n");
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
				pmt_import_err("option '%s' needs a value (see 'pmt-import --help')", s);
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
			pmt_import_err("unknown option '%s' (see 'pmt-import --help')", s);
			return 2;
		} else if (!fmt) {
			fmt = s;
		} else if (!a.in) {
			a.in = s;
		} else {
			pmt_import_err("unexpected argument '%s' (see 'pmt-import --help')", s);
			return 2;
		}
	}
	if (!fmt || !a.in) {
		pmt_import_err("needs a format and a file (see 'pmt-import --help')");
		return 2;
	}
	if (a.tolerant && strcmp(fmt, "xentrace")) {
		pmt_import_err("--tolerant applies to the xentrace format only (see 'pmt-import --help')");
		return 2;
	}
	if (a.cpu_hz && strcmp(fmt, "xentrace") && strcmp(fmt, "ftrace")) {
		pmt_import_err("--cpu-hz applies to the xentrace and ftrace formats only (see 'pmt-import --help')");
		return 2;
	}
	if (a.buffer && strcmp(fmt, "trace.dat")) {
		pmt_import_err("--buffer applies to the trace.dat format only (see 'pmt-import --help')");
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
	pmt_import_err("unknown format '%s': one of %s (see 'pmt-import --help')", fmt, list);
	return 2;
}
