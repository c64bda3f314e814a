/* Output helpers for the CLI: aligned tables for people. */
#ifndef IOVIRT_CLI_OUTPUT_H
#define IOVIRT_CLI_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "pci-inventory.h"

#define TABLE_MAX_COLS 12

struct table;

/* A table of ncols columns (<= TABLE_MAX_COLS) with these headers. NULL on ENOMEM. */
struct table *table_new(size_t ncols, const char *const *headers);

/* Add a row of ncols cells (copied; NULL or "" prints as "-"). -ENOMEM on failure. */
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
