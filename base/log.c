#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The level, and whether IOVIRT_LOG was read: any thread may log while
 * another sets the level, so both are atomics (-1: not yet read).
 */
static int current_level = -1;

static enum log_level level_from_env(void)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };
	const char *env = getenv("IOVIRT_LOG");

	for (size_t i = 0; env && i < ARRAY_SIZE(names); i++)
		if (!strcmp(env, names[i]))
			return (enum log_level)i;
	return LOG_WARN;
}

void log_set_level(enum log_level level)
{
	__atomic_store_n(&current_level, (int)level, __ATOMIC_RELAXED);
}

enum log_level log_get_level(void)
{
	int level = __atomic_load_n(&current_level, __ATOMIC_RELAXED);

	if (level < 0) {
		int unset = -1;

		level = (int)level_from_env();
		/* a concurrent log_set_level() wins */
		if (!__atomic_compare_exchange_n(&current_level, &unset, level, false,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			level = unset;
	}
	return (enum log_level)level;
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
