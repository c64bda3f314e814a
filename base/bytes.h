/*
 * Little-endian fields in byte buffers (guest memory, config space, firmware
 * tables) and the 8-bit checksum firmware tables carry. len is 1..8 bytes.
 */
#ifndef IOVIRT_BYTES_H
#define IOVIRT_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t le_get(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void le_put(uint8_t *p, unsigned len, uint64_t v)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The byte that makes the sum of buf's len bytes 0 (ACPI and MP table checksums). */
static inline uint8_t checksum8(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

#endif
