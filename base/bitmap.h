/*
 * Fixed-size bitmaps of small integer ids (KVM memory slots, MSI GSIs).
 * The caller owns the storage (BITMAP_BYTES(n) bytes, zeroed = all free) and
 * the locking.
 */
#ifndef IOVIRT_BITMAP_H
#define IOVIRT_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

#define BITMAP_BYTES(nbits) (((nbits) + 7) / 8)

static inline bool bitmap_test(const uint8_t *map, unsigned bit)
{
	return map[bit / 8] & (1u << (bit % 8));
}

static inline void bitmap_clear(uint8_t *map, unsigned bit)
{
	map[bit / 8] &= ~(1u << (bit % 8));
}

/* Take the lowest free id below nbits: returns it, or -1 when all are taken. */
static inline int bitmap_alloc(uint8_t *map, unsigned nbits)
{
	for (unsigned i = 0; i < nbits; i++) {
		if (!bitmap_test(map, i)) {
			map[i / 8] |= 1u << (i % 8);
			return (int)i;
		}
	}
	return -1;
}

#endif
