/*
 * Reading and writing sysfs attributes under a configurable root.
 *
 * Every path is built as "<root>/<relative path>" so that tests can point the
 * library at a fixture tree instead of /sys. Functions return 0 or -errno and
 * never print.
 */
#ifndef IOVIRT_SYSFS_H
#define IOVIRT_SYSFS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

/* Format "<root>/<fmt...>" into buf; -ENAMETOOLONG when it does not fit. */
int sysfs_path(char *buf, size_t len, const char *root, const char *fmt, ...) __printf(4, 5) __must_check;

/*
 * Read a whole small attribute into buf, NUL-terminated, trailing newline
 * removed. Never blocks: a FIFO reads as empty or fails with -EAGAIN.
 */
int sysfs_read_str(const char *path, char *buf, size_t len) __must_check;

/* Read an integer attribute (base 0: "0x8086", "2", "-1" all parse). -EINVAL on junk. */
int sysfs_read_long(const char *path, long *out) __must_check;

/* Last component of a symlink's target ("…/drivers/ixgbe" -> "ixgbe"). -ENOENT when absent. */
int sysfs_read_link_name(const char *path, char *buf, size_t len) __must_check;

/* Write a string to an attribute in one write(2); partial writes are -EIO. */
int sysfs_write_str(const char *path, const char *value) __must_check;

bool sysfs_exists(const char *path);

/*
 * Call fn for every entry of a directory whose name is not "." or "..", in
 * sorted order. Stops early and returns fn's value when it is non-zero.
 * -ENOENT when the directory does not exist.
 */
typedef int (*sysfs_dir_fn)(const char *name, void *opaque);
int sysfs_for_each_entry(const char *dir, sysfs_dir_fn fn, void *opaque);

#endif
