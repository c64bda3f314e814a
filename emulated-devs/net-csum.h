/*
 * The Internet checksum (RFC 1071) and big-endian field access, for NIC
 * models that insert or check checksums in frames.
 */
#ifndef IOVIRT_NET_CSUM_H
#define IOVIRT_NET_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add len bytes at p, as big-endian 16-bit words (an odd last byte padded with 0), to sum. */
static inline uint64_t net_csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* Fold a sum to 16 bits (ones' complement addition); not inverted. */
static inline uint16_t net_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

#endif
