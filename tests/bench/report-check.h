/*
 * Test-side checks of an `iovirt bench` JSON report (bench/bench.h, schema 1),
 * with a small JSON reader of their own so that the report is read the way a
 * user's tool would, not through the code that wrote it.
 */
#ifndef IOVIRT_TEST_REPORT_CHECK_H
#define IOVIRT_TEST_REPORT_CHECK_H

#include <stddef.h>

/*
 * Check the report's structure: schema 1, the machine and plan, every path
 * with a status and, unless it ran, a reason; every case ran (with samples) or
 * says why not; every good sample's counts agree (the guest's packets plus its
 * drops equal the plan's count; where the host counted, counted = sent -
 * dropped). Any byte string is safe. Returns 0, or -1 with why (a message).
 * *ran is set to the number of cases that ran with figures.
 */
int report_check(const char *json, size_t len, unsigned *ran, char *why, size_t why_len);

/* The status of path name in the report ("ran", "skipped", ...) into out; 0 or -1. */
int report_path_status(const char *json, size_t len, const char *name, char *out, size_t out_len);

/* The reason path name gives for not running, into out; 0 or -1 (none). */
int report_path_reason(const char *json, size_t len, const char *name, char *out, size_t out_len);

#endif
