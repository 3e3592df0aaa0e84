/* cmd_export.c - placeholder until the exports land (see below). */
#include "analyze/commands.h"
#include "analyze/cli.h"

int cmd_export(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pmt-analyze export: not available yet\n");
	return CLI_EXIT_ERROR;
}
