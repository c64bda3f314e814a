/*
 * The test frame every traffic source and sink of the project agrees on: the
 * host's `gen` back-end, the guest workloads and the tests build and verify
 * frames with these functions, so a frame generated on one side is checked
 * byte for byte on the other. Freestanding (stdint only): included by guest
 * images and by host code alike.
 *
 * Layout (all multi-byte fields little-endian):
 *   0  dst MAC (6)   6  src MAC (6)   12  ethertype 0x88b5 (big-endian: IEEE
 *   local experimental)
 *   14 magic "IOVF" (4)   18 sequence number (4)   22 frame length (2)
 *   24 flow (2)   26 payload: byte i (from offset 26) = (seq * 31 + i) & 0xff
 *   last 4 bytes: FNV-1a 32 over bytes 0 .. len - 4 (the MACs too)
 * Minimum length NET_FRAME_MIN (60, the Ethernet minimum without FCS).
 */
#ifndef IOVIRT_NET_FRAME_H
#define IOVIRT_NET_FRAME_H

#include <stdint.h>

#define NET_FRAME_ETHERTYPE 0x88b5
#define NET_FRAME_MAGIC     0x46564f49u /* "IOVF" read little-endian */
#define NET_FRAME_HDR       26
#define NET_FRAME_MIN       60
#define NET_FRAME_MAX_LEN   9018

enum net_frame_error {
	NET_FRAME_OK = 0,
	NET_FRAME_SHORT,      /* shorter than NET_FRAME_MIN or than its length field */
	NET_FRAME_NOT_OURS,   /* ethertype or magic differ */
	NET_FRAME_BAD_LEN,    /* length field disagrees with the received length */
	NET_FRAME_BAD_PAYLOAD,
	NET_FRAME_BAD_CSUM,
};

static inline void net_frame_put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static inline void net_frame_put32(uint8_t *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}
static inline uint16_t net_frame_get16(const uint8_t *p) { return p[0] | p[1] << 8; }
static inline uint32_t net_frame_get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint32_t net_frame_fnv1a(const uint8_t *p, uint32_t len)
{
	uint32_t h = 2166136261u;

	for (uint32_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/*
 * Write a test frame of len bytes (NET_FRAME_MIN..NET_FRAME_MAX_LEN) into
 * buf. Returns len, or 0 when len is out of range.
 */
static inline uint32_t net_frame_build(uint8_t *buf, uint32_t len, const uint8_t dst[6],
				       const uint8_t src[6], uint16_t flow, uint32_t seq)
{
	if (len < NET_FRAME_MIN || len > NET_FRAME_MAX_LEN)
		return 0;
	for (int i = 0; i < 6; i++) {
		buf[i] = dst[i];
		buf[6 + i] = src[i];
	}
	buf[12] = NET_FRAME_ETHERTYPE >> 8;
	buf[13] = NET_FRAME_ETHERTYPE & 0xff;
	net_frame_put32(buf + 14, NET_FRAME_MAGIC);
	net_frame_put32(buf + 18, seq);
	net_frame_put16(buf + 22, len);
	net_frame_put16(buf + 24, flow);
	for (uint32_t i = 0; NET_FRAME_HDR + i < len - 4; i++)
		buf[NET_FRAME_HDR + i] = (seq * 31 + i) & 0xff;
	net_frame_put32(buf + len - 4, net_frame_fnv1a(buf, len - 4));
	return len;
}

/*
 * Check a received frame of len bytes. On NET_FRAME_OK, *seq and *flow (may
 * be NULL) hold its sequence number and flow. len must equal the length
 * field: a receiver that keeps the FCS strips it first.
 */
static inline enum net_frame_error net_frame_check(const uint8_t *buf, uint32_t len,
						   uint32_t *seq, uint16_t *flow)
{
	if (len < NET_FRAME_MIN)
		return NET_FRAME_SHORT;
	if (len > NET_FRAME_MAX_LEN)
		return NET_FRAME_BAD_LEN;
	if (buf[12] != NET_FRAME_ETHERTYPE >> 8 || buf[13] != (NET_FRAME_ETHERTYPE & 0xff) ||
	    net_frame_get32(buf + 14) != NET_FRAME_MAGIC)
		return NET_FRAME_NOT_OURS;
	uint32_t flen = net_frame_get16(buf + 22);
	if (flen != len)
		return flen > len ? NET_FRAME_SHORT : NET_FRAME_BAD_LEN;
	uint32_t s = net_frame_get32(buf + 18);
	for (uint32_t i = 0; NET_FRAME_HDR + i < len - 4; i++)
		if (buf[NET_FRAME_HDR + i] != ((s * 31 + i) & 0xff))
			return NET_FRAME_BAD_PAYLOAD;
	if (net_frame_get32(buf + len - 4) != net_frame_fnv1a(buf, len - 4))
		return NET_FRAME_BAD_CSUM;
	if (seq)
		*seq = s;
	if (flow)
		*flow = net_frame_get16(buf + 24);
	return NET_FRAME_OK;
}

#endif
