/*
 * Opening input files safely: only regular files are opened, so a FIFO, a
 * device or a directory named where a file is expected can neither block
 * the caller nor be read as data.
 */
#ifndef IOVIRT_FILE_H
#define IOVIRT_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/stat.h>

#include "compiler.h"

/*
 * Open path read-only (O_CLOEXEC) if it is a regular file: stat() first, so a
 * file of another type is refused without being opened; then open with
 * O_NONBLOCK and fstat() again to check it is still the same regular file.
 * Returns the fd with *st filled from fstat(), or -errno: -EISDIR for a
 * directory, -EINVAL for another non-regular file (*st then holds what stat()
 * saw, for file_type_name), -ESTALE when the file was replaced in between,
 * or what stat() and open() return.
 */
int file_open_regular(const char *path, struct stat *st) __must_check;

/* Read exactly len bytes from fd (retrying short reads). 0, -EIO at end of file, or -errno. */
int file_read_full(int fd, void *buf, uint64_t len) __must_check;

/*
 * Read a whole regular file (file_open_regular's rules) of at most max bytes
 * into a new buffer. 0 with *buf (the caller frees it) and *len set, -E2BIG
 * when it is larger than max, or file_open_regular's and read's errors.
 */
int file_read_regular(const char *path, uint64_t max, uint8_t **buf, size_t *len) __must_check;

/* "a directory", "a FIFO", "a character device", ... for a message. */
const char *file_type_name(mode_t mode);

/* True when a and b describe the same file (device and inode). */
bool file_same(const struct stat *a, const struct stat *b);

#endif
