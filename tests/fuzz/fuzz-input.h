/*
 * Reading a fuzz input as a stream of fields: every take returns 0 (or
 * NULL) once the input is used up, so a target never reads past it.
 * Shared by the targets in this folder; nothing here is part of iovirt.
 */
#ifndef IOVIRT_FUZZ_INPUT_H
#define IOVIRT_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fuzz_input {
	const uint8_t *data;
	size_t len;
};

/* The entry point every target defines (libFuzzer's, and the replayer's). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/* Bytes left in the input. */
static inline size_t fuzz_left(const struct fuzz_input *in)
{
	return in->len;
}

/* The next n bytes, or NULL (nothing taken) when fewer are left. */
static inline const uint8_t *fuzz_take(struct fuzz_input *in, size_t n)
{
	const uint8_t *p = in->data;

	if (in->len < n)
		return NULL;
	in->data += n;
	in->len -= n;
	return p;
}

/* The next little-endian integer of n <= 8 bytes; 0 when the input is used up. */
static inline uint64_t fuzz_uint(struct fuzz_input *in, size_t n)
{
	const uint8_t *p = fuzz_take(in, n);
	uint64_t v = 0;

	if (!p)
		return 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The rest of the input in a malloc'd buffer of exactly its size (at least 1 byte). */
static inline uint8_t *fuzz_rest_dup(struct fuzz_input *in, size_t *len)
{
	uint8_t *p = malloc(in->len ? in->len : 1);

	if (!p)
		abort();
	memcpy(p, in->data, in->len);
	*len = in->len;
	in->data += in->len;
	in->len = 0;
	return p;
}

/*
 * Drop what the code under test logs through stdio's stderr (a hostile input
 * makes it log on every run, which would bury the fuzzer's output and slow it
 * down); FUZZ_VERBOSE=1 keeps it. Sanitizer and libFuzzer reports and
 * FUZZ_CHECK write to file descriptor 2 and are not affected.
 */
static inline void fuzz_quiet_logs(void)
{
	static int done;

	if (done++ || getenv("FUZZ_VERBOSE"))
		return;
	FILE *null = fopen("/dev/null", "w");

	if (null)
		stderr = null;
}

/* A broken contract of the code under test: a crash libFuzzer reports. */
#define FUZZ_CHECK(cond)                                                              \
	do {                                                                          \
		if (!(cond)) {                                                        \
			dprintf(STDERR_FILENO, "%s:%d: contract broken: %s\n",       \
				__FILE__, __LINE__, #cond);                           \
			abort();                                                      \
		}                                                                     \
	} while (0)

#endif
