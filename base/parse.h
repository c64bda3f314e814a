/*
 * Strict parsing of the numbers a user types: sizes ("512M", "2GiB") and
 * counts ("4"). A string parses exactly or is refused: decimal digits only
 * (leading zeros are decimal, never octal), no sign, no blanks, no trailing
 * junk, and no value that overflows 64 bits or falls outside [min, max].
 */
#ifndef IOVIRT_PARSE_H
#define IOVIRT_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

/*
 * Parse a decimal count into *out. Returns 0; -EINVAL when s is not a plain
 * decimal number; -ERANGE when it overflows or lies outside [min, max].
 * *out is written only on success.
 */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out) __must_check;

/* The same for an unsigned int. */
int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out) __must_check;

/*
 * Parse a size in bytes: decimal digits, then an optional binary unit K, M,
 * G, T, P or E (either case, 2^10 ... 2^60), optionally followed by "iB"
 * ("4G", "4GiB"). Returns 0; -EINVAL when s does not start with digits or has
 * junk after the number; -EDOM for a unit that is not one of these; -ERANGE
 * when the value overflows 64 bits or lies outside [min, max].
 */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out) __must_check;

/*
 * Format a byte count for a message, in the largest binary unit that divides
 * it ("8 TiB", "2 MiB", "1536 KiB", "7 bytes"). Returns buf.
 */
const char *parse_size_format(uint64_t bytes, char *buf, size_t len);

#endif
