/*
 * commands.h - the pmt-analyze subcommands. Each lives in its own file
 * (analyze/cmd_NAME.c), takes argv with argv[0] = its name, and returns the
 * process exit status (CLI_EXIT_* in cli.h). To add one: write cmd_NAME.c,
 * declare it here, add a row to the table in analyze/main.c.
 */
#ifndef PMT_COMMANDS_H
#define PMT_COMMANDS_H

typedef int (*command_fn)(int argc, char **argv);

struct command {
	const char *name;
	command_fn fn;
	const char *summary;  /* one line for `pmt-analyze --help`            */
};

/* The table (analyze/main.c), ended by a row with name NULL. */
extern const struct command pmt_analyze_commands[];
/* Row by name, or NULL. */
const struct command *command_find(const char *name);

/* Engine-based reports (analyze/cmd_*.c, docs/METRICS.md). */
int cmd_summary(int argc, char **argv);
int cmd_migrations(int argc, char **argv);
int cmd_affinity(int argc, char **argv);
int cmd_latency(int argc, char **argv);
int cmd_export(int argc, char **argv);
/* Subcommands. */
int cmd_info(int argc, char **argv);  /* analyze/cmd_info.c */
int cmd_dump(int argc, char **argv);  /* analyze/cmd_dump.c */
int cmd_check(int argc, char **argv); /* analyze/cmd_check.c */

/* Two-level reports (analyze/twolevel/). */
int cmd_vcpus(int argc, char **argv);
int cmd_cosched(int argc, char **argv);
int cmd_stalls(int argc, char **argv);
int cmd_diff(int argc, char **argv);

#endif
