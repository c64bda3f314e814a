/* Output helpers for the CLI: aligned tables for people. */
#ifndef IOVIRT_CLI_OUTPUT_H
#define IOVIRT_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pci-inventory.h"

#define TABLE_MAX_COLS 12
#define TABLE_CELL_MAX 1024 /* longer cells are cut */

struct cli_command;

struct table;

/* A table of ncols columns (<= TABLE_MAX_COLS) with these headers. NULL on ENOMEM. */
struct table *table_new(size_t ncols, const char *const *headers);

/*
 * Copy in to out[0..len) with control characters and backslashes escaped
 * ("\x1b", "\\"), so that names read from sysfs cannot drive the terminal.
 * Cut when out is full. Returns out.
 */
const char *text_escape(const char *in, char *out, size_t len);

/* printf to out, escaped as above, and a newline. */
void text_print(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Report a failure as cli_fail does and, when json, also as the object
 * {"error": MESSAGE, "exit_code": 1} on stdout. Returns CLI_EXIT_FAILURE.
 */
int cli_fail_json(const struct cli_command *cmd, bool json, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Add a row of ncols cells (copied and escaped; NULL or "" prints as "-"). -ENOMEM on failure. */
int table_add_row(struct table *t, const char *const *cells);

/* Print with every column but the last padded to its widest cell. */
void table_print(const struct table *t, FILE *out);
void table_free(struct table *t);

/*
 * Scan the inventory for a host command. Routes are read through netlink only
 * when sysfs_root is "/sys" (a fixture tree does not describe this host's
 * network). Returns 0, or -errno after printing nothing.
 */
int cli_inventory_scan(const char *sysfs_root, struct inventory *inv);

#endif
