/*
 * Diagnostics for developers and operators, written to stderr.
 *
 * Library code logs what it did and why it failed (with the device's identity:
 * a BDF, an interface, a socket path) and returns -errno; only cli/ turns an
 * error into a message for the user and an exit code.
 */
#ifndef IOVIRT_LOG_H
#define IOVIRT_LOG_H

#include "compiler.h"

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above this level are dropped. Default LOG_WARN; IOVIRT_LOG=debug|info|warn|err overrides. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...) __printf(2, 3);

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
