/* Strict option arguments for every command: the messages name the option, the value and the limits. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "parse.h"

int cli_arg_uint(const struct cli_command *cmd, const char *opt, const char *arg, unsigned min,
		 unsigned max, unsigned *out)
{
	int ret = parse_uint(arg, min, max, out);

	if (ret == -ERANGE)
		return cli_usage_error(cmd, "%s %s: out of range: expected %u to %u", opt, arg, min, max);
	if (ret)
		return cli_usage_error(cmd, "%s '%s': not a decimal number (expected %u to %u)", opt,
				       arg, min, max);
	return -1;
}

int cli_arg_size(const struct cli_command *cmd, const char *opt, const char *arg, uint64_t min,
		 uint64_t max, uint64_t *out)
{
	char lo[32], hi[32];
	int ret = parse_size(arg, min, max, out);

	parse_size_format(min, lo, sizeof(lo));
	parse_size_format(max, hi, sizeof(hi));
	switch (ret) {
	case 0:
		return -1;
	case -ERANGE:
		return cli_usage_error(cmd, "%s %s: out of range: at least %s and at most %s", opt, arg,
				       lo, hi);
	case -EDOM:
		return cli_usage_error(cmd, "%s %s: unknown unit: use K, M, G or T (such as 512M or 2G)",
				       opt, arg);
	default:
		return cli_usage_error(cmd, "%s '%s': not a size: expected decimal digits and an "
				       "optional unit K, M, G or T (such as 512M or 2G)", opt, arg);
	}
}
