/*
 * The state files of `iovirt bind`: <dir>/<BDF> holds the driver a device had
 * before it was bound to vfio-pci, one line, empty for none. The directory is
 * trusted no more than any input: a file that is not a plain driver name is
 * refused, and links are never followed.
 */
#ifndef IOVIRT_BIND_STATE_H
#define IOVIRT_BIND_STATE_H

#include <stddef.h>

#include "compiler.h"

/*
 * Remember driver ("" none) for bdf, creating dir (and its parents) when
 * missing; the file is replaced atomically. Returns 0 or -errno.
 */
int bind_state_save(const char *dir, const char *bdf, const char *driver) __must_check;

/*
 * Read the driver remembered for bdf into buf ("" when it had none).
 * Returns 0, -ENOENT when nothing is remembered, -EINVAL when the file does
 * not hold a driver name (characters other than [A-Za-z0-9_.-], too long),
 * or another -errno.
 */
int bind_state_load(const char *dir, const char *bdf, char *buf, size_t len) __must_check;

/* Forget bdf. Returns 0 (also when nothing was remembered) or -errno. */
int bind_state_remove(const char *dir, const char *bdf) __must_check;

#endif
