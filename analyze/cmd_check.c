/*
 * cmd_check.c - `pmt-analyze check FILE`: verify a trace: the header, every
 * section, the index, every chunk (header against the index, CRC, inflating
 * to the declared size, decoding every record, the ordering of timestamps).
 * Exit 0 when healthy, 1 when damaged (or unreadable), listing each damaged
 * place as `FILE: offset N: what was expected`. The whole file is read even
 * after damage (the reader is opened tolerant), so every place is listed.
 */
#include "analyze/cli.h"
#include "analyze/commands.h"

#include <errno.h>
#include <string.h>

static const char usage[] = "pmt-analyze check FILE.pmt [--format text|csv|json] [-o FILE]";

int cmd_check(int argc, char **argv)
{
	struct cli c;
	int rc = cli_parse(&c, "pmt-analyze check", usage, argc, argv, NULL, NULL, NULL);
	if (rc)
		return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	if (c.nargs != 1) {
		cli_usage_error(&c, "exactly one trace file expected");
		cli_release(&c);
		return CLI_EXIT_USAGE;
	}
	const char *path = c.args[0];
	int err = 0;
	char msg[256] = "";
	errno = 0;
	pmt_reader *r = pmt_reader_open_ex(path, PMT_OPEN_TOLERANT, &err, msg, sizeof(msg));
	if (!r) {
		if (msg[0] && !strncmp(msg, "offset ", 7))
			fprintf(stderr, "%s: %s\n", path, msg);
		else
			fprintf(stderr, "pmt-analyze check: '%s': %s\n", path,
				msg[0] ? msg : pmt_strerror(err));
		cli_release(&c);
		return CLI_EXIT_ERROR;
	}
	int64_t n = pmt_reader_check(r);
	const struct pmt_info *in = pmt_reader_info(r);
	if (n < 0) {
		fprintf(stderr, "pmt-analyze check: '%s': %s\n", path, pmt_strerror((int)n));
		pmt_reader_close(r);
		cli_release(&c);
		return CLI_EXIT_ERROR;
	}
	FILE *fp;
	struct out *o = cli_out_open(&c, &fp);
	if (!o) {
		pmt_reader_close(r);
		cli_release(&c);
		return CLI_EXIT_ERROR;
	}
	if (c.format == OUT_TEXT) {
		for (size_t i = 0; i < in->ndamage; i++)
			fprintf(fp, "%s: offset %llu: %s\n", path,
				(unsigned long long)in->damage[i].offset, in->damage[i].what);
		if (in->ndamage == 0)
			fprintf(fp, "%s: ok: %llu events in %zu streams\n", path,
				(unsigned long long)in->events, in->nstreams);
	} else {
		static const struct col cols[] = {
			{"file", COL_STR, 0, 0}, {"offset", COL_UINT, 0, 0},
			{"error", COL_STR, 0, 0}, {"what", COL_STR, 0, 0},
		};
		if (in->recovered)
			out_note(o, "the file had no valid footer: recovered from its complete chunks");
		struct table *t = out_table(o, "damage", "", cols, 4, 0);
		for (size_t i = 0; i < in->ndamage; i++) {
			table_set_s(t, 0, path);
			table_set_u(t, 1, in->damage[i].offset);
			table_set_s(t, 2, pmt_strerror(in->damage[i].code));
			table_set_s(t, 3, in->damage[i].what);
			table_end_row(t);
		}
		table_close(t);
	}
	rc = cli_out_close(&c, o, fp) ? CLI_EXIT_ERROR
	     : (in->ndamage || in->recovered) ? CLI_EXIT_ERROR : CLI_EXIT_OK;
	pmt_reader_close(r);
	cli_release(&c);
	return rc;
}
