#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum log_level current_level = LOG_WARN;
static int level_from_env_done;

static void level_from_env(void)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };
	const char *env = getenv("IOVIRT_LOG");

	level_from_env_done = 1;
	if (!env)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(env, names[i]))
			current_level = (enum log_level)i;
}

void log_set_level(enum log_level level)
{
	level_from_env_done = 1;
	current_level = level;
}

enum log_level log_get_level(void)
{
	if (!level_from_env_done)
		level_from_env();
	return current_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (level > log_get_level())
		return;
	fprintf(stderr, "iovirt: %s: ", prefix[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
