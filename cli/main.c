/* iovirt: the command table and the top-level dispatcher. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "compiler.h"
#include "iovirt-config.h"

static const struct cli_command *const commands[] = {
	&cli_cmd_devices,
	&cli_cmd_groups,
	&cli_cmd_run,
	&cli_cmd_switch,
	&cli_cmd_bench,
	&cli_cmd_sriov,
	&cli_cmd_split,
	&cli_cmd_bind,
	&cli_cmd_unbind,
};

static const char top_usage[] =
	"usage: iovirt [--version] [--help] COMMAND [ARGS...]\n"
	"\n"
	"I/O virtualization toolkit for Linux/KVM: host inventory, VMM, device\n"
	"models, VFIO passthrough and SR-IOV management.\n"
	"\n"
	"Commands:\n";

static const char exit_codes[] =
	"\n"
	"Run 'iovirt COMMAND --help' for a command's options. Listing commands take\n"
	"--json for machine-readable output.\n"
	"Exit codes: 0 success, 1 failure, 2 usage error.\n";

static void print_top_usage(FILE *out)
{
	fputs(top_usage, out);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs(exit_codes, out);
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

void cli_print_usage(const struct cli_command *cmd)
{
	fputs(cmd->usage, stdout);
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iovirt %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'iovirt %s --help'.\n", cmd->name);
	return CLI_EXIT_USAGE;
}

int cli_fail(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iovirt %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_FAILURE;
}

static int cmd_help(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 1) {
		print_top_usage(stdout);
		return CLI_EXIT_OK;
	}
	cmd = find_command(argv[0]);
	if (!cmd) {
		fprintf(stderr, "iovirt help: unknown command '%s'\n", argv[0]);
		return CLI_EXIT_USAGE;
	}
	cli_print_usage(cmd);
	return CLI_EXIT_OK;
}

/*
 * Output that cannot be written is a failure: flush and close stdout, and
 * turn a write error (a full disk, /dev/full) into exit 1 with a message.
 */
static int finish_output(const char *name, int ret)
{
	bool bad = ferror(stdout) != 0;
	int err = 0;

	if (fflush(stdout))
		err = errno;
	if (fclose(stdout) && !err)
		err = errno;
	if (!bad && !err)
		return ret;
	fprintf(stderr, "iovirt%s%s: cannot write the output: %s\n", name ? " " : "", name ? name : "",
		strerror(err ? err : EIO));
	return ret == CLI_EXIT_OK ? CLI_EXIT_FAILURE : ret;
}

static int dispatch(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 2) {
		print_top_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("iovirt %s\n", IOVIRT_VERSION);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return cmd_help(argc - 2, argv + 2);
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "iovirt: unknown command '%s'\n", argv[1]);
		print_top_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	optind = 0; /* full getopt reset for the subcommand */
	return cmd->fn(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 && find_command(argv[1]) ? argv[1] : NULL;

	return finish_output(name, dispatch(argc, argv));
}
