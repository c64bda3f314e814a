/*
 * The iovirt command line. Each subcommand lives in its own file as one
 * `const struct cli_command` and is listed in the table in main.c. Only cli/
 * prints for the user and chooses exit codes.
 */
#ifndef IOVIRT_CLI_H
#define IOVIRT_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* Exit codes of every subcommand. */
enum cli_exit {
	CLI_EXIT_OK = 0,      /* success */
	CLI_EXIT_FAILURE = 1, /* the command ran and failed */
	CLI_EXIT_USAGE = 2,   /* bad command line */
};

struct cli_command {
	const char *name;
	/* argv[0] is the subcommand's name; getopt state is reset before the call. */
	int (*fn)(int argc, char **argv);
	const char *summary; /* one line for `iovirt help` */
	const char *usage;   /* the whole --help text */
};

extern const struct cli_command cli_cmd_devices;
extern const struct cli_command cli_cmd_groups;
extern const struct cli_command cli_cmd_run;
extern const struct cli_command cli_cmd_switch;
extern const struct cli_command cli_cmd_bench;
extern const struct cli_command cli_cmd_sriov;
extern const struct cli_command cli_cmd_split;
extern const struct cli_command cli_cmd_bind;
extern const struct cli_command cli_cmd_unbind;

/* Print a command's --help text to stdout. */
void cli_print_usage(const struct cli_command *cmd);

/* Report a usage error for cmd on stderr and return CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Report a failure on stderr ("iovirt CMD: ...") and return CLI_EXIT_FAILURE. */
int cli_fail(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Parse an option's argument strictly (base/parse.h): a count within
 * [min, max], or a size in bytes with an optional unit. Return -1 with *out
 * set, or CLI_EXIT_USAGE after a message naming opt, arg and the limits.
 */
int cli_arg_uint(const struct cli_command *cmd, const char *opt, const char *arg, unsigned min,
		 unsigned max, unsigned *out);
int cli_arg_size(const struct cli_command *cmd, const char *opt, const char *arg, uint64_t min,
		 uint64_t max, uint64_t *out);

#endif
