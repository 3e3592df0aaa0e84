/*
 * main.c - pmt-analyze: a table of subcommands, one file each.
 * `pmt-analyze FILE` runs the summary; `pmt-analyze CMD ...` runs CMD.
 */
#include "analyze/commands.h"
#include "analyze/cli.h"

#include <stdio.h>
#include <string.h>

const struct command pmt_analyze_commands[] = {
	{ "summary", cmd_summary, "span, CPUs, events, losses, utilization, migration totals (the default)" },
	{ "migrations", cmd_migrations, "the migration timeline: kernel migrations and CPU changes" },
	{ "affinity", cmd_affinity, "run time per CPU, affinity and CPU changes per entity (--matrix)" },
	{ "latency", cmd_latency, "wakeup-to-run latency and runnable time: count, mean, p50, p95, p99, max" },
	{ "export", cmd_export, "intervals and events as CSV tables (--to csv DIR) or Perfetto text (--to perfetto FILE)" },
	{ "info", cmd_info, "what a trace holds: levels, CPUs, clocks, time span, events and losses per stream" },
	{ "dump", cmd_dump, "every event, one per line, in time order" },
	{ "check", cmd_check, "verify every chunk; list each damaged place (exit 1 when damaged)" },
	{ "vcpus", cmd_vcpus, "per vCPU: host states, steal, harmful steal, busy/idle, pCPUs" },
	{ "cosched", cmd_cosched, "per guest: idle/co-running/skewed/stalled time, skew" },
	{ "stalls", cmd_stalls, "synchronization stalls from preempted wakers; latency split" },
	{ "diff", cmd_diff, "key figures of two traces side by side, with the change" },
	{ NULL, NULL, NULL },
};

const struct command *command_find(const char *name)
{
	for (const struct command *c = pmt_analyze_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pmt-analyze [COMMAND] FILE.pmt [OPTIONS]\n"
		   "       pmt-analyze FILE.pmt    (the summary)\n\ncommands:\n");
	for (const struct command *c = pmt_analyze_commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f, "\noptions:\n"
		   "  -h, --help   this help; 'pmt-analyze COMMAND --help' lists a command's options\n"
		   "  --version    the version\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "pmt-analyze: a command or a trace file is needed (see 'pmt-analyze --help')\n");
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pmt-analyze %d.%d\n", PMT_VERSION_MAJOR, PMT_VERSION_MINOR);
		return CLI_EXIT_OK;
	}
	const struct command *c = command_find(argv[1]);
	if (c)
		return c->fn(argc - 1, argv + 1);
	if (argv[1][0] == '-' || !strchr(argv[1], '.')) {
		/* not a command, and does not look like a file either */
		FILE *f = fopen(argv[1], "rb");
		if (!f) {
			fprintf(stderr, "pmt-analyze: '%s' is not a command (see 'pmt-analyze --help')\n", argv[1]);
			return CLI_EXIT_USAGE;
		}
		fclose(f);
	}
	/* bare FILE: the summary, or info until the summary exists */
	c = command_find("summary");
	if (!c)
		c = command_find("info");
	if (!c) {
		fprintf(stderr, "pmt-analyze: no command available\n");
		return CLI_EXIT_ERROR;
	}
	argv[0] = (char *)c->name;
	return c->fn(argc, argv);
}
