/*
 * main.c - pmt-synth: write a two-level .pmt trace from a scenario script
 * (docs/SYNTH.md), so that analyses can be tested against exact answers.
 */
#include "analyze/synth/synth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: pmt-synth [--host-only | --guest-only] SCRIPT|- -o OUT.pmt\n"
		   "\n"
		   "Writes the scenario SCRIPT (docs/SYNTH.md) as a .pmt trace.\n"
		   "  -o, --output FILE  the trace to write\n"
		   "  --host-only        keep the guests' levels and bindings, drop their events\n"
		   "                     (what a host recording with --vm holds)\n"
		   "  --guest-only       the one guest as recorded inside it (one host-kind level)\n"
		   "  -h, --help         this help\n");
}

int main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	unsigned flags = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (++i == argc) {
				fprintf(stderr, "pmt-synth: %s needs a file (see 'pmt-synth --help')\n", a);
				return 2;
			}
			out = argv[i];
		} else if (!strcmp(a, "--host-only")) {
			flags |= SYNTH_HOST_ONLY;
		} else if (!strcmp(a, "--guest-only")) {
			flags |= SYNTH_GUEST_ONLY;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "pmt-synth: unknown option '%s' (see 'pmt-synth --help')\n", a);
			return 2;
		} else if (in) {
			fprintf(stderr, "pmt-synth: one script at a time (see 'pmt-synth --help')\n");
			return 2;
		} else {
			in = a;
		}
	}
	if (!in || !out) {
		fprintf(stderr, "pmt-synth: %s is needed (see 'pmt-synth --help')\n",
			!in ? "a script" : "an output file (-o)");
		return 2;
	}
	if ((flags & SYNTH_HOST_ONLY) && (flags & SYNTH_GUEST_ONLY)) {
		fprintf(stderr, "pmt-synth: --host-only and --guest-only exclude each other (see 'pmt-synth --help')\n");
		return 2;
	}
	FILE *f = strcmp(in, "-") ? fopen(in, "r") : stdin;
	if (!f) {
		fprintf(stderr, "pmt-synth: '%s': %s\n", in, strerror(errno));
		return 1;
	}
	struct scen s;
	int rc = synth_parse(&s, f, strcmp(in, "-") ? in : "<stdin>", stderr);
	if (f != stdin)
		fclose(f);
	if (rc < 0) {
		synth_free(&s);
		return 1;
	}
	char msg[256] = "";
	rc = synth_write(&s, out, flags, msg, sizeof(msg));
	synth_free(&s);
	if (rc < 0) {
		fprintf(stderr, "pmt-synth: '%s': %s\n", rc == PMT_EINVAL ? in : out, msg);
		return 1;
	}
	return 0;
}
