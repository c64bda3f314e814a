/*
 * The `gen` back-end: a traffic source and a verifying sink in one, built on
 * the test frame format of guest/abi/net-frame.h.
 *
 * Spec: gen:K=V,... with the keys (each at most once; anything else is -EINVAL)
 *   size=N    frame length without the header, NET_FRAME_MIN..NET_FRAME_MAX_LEN
 *             (default 60)
 *   count=N   frames to generate, then stop; 0 (the default): no end
 *   rate=PPS  frames per second, paced by a timerfd (bursts of at most 10 ms
 *             worth after a stall); 0 (the default): as fast as the NIC takes them
 *   dst=MAC   destination address (default ff:ff:ff:ff:ff:ff); the source is
 *             NET_GEN_SRC_MAC
 *   flow=N    frames go round-robin over flows 0..N-1, each with its own
 *             sequence from 0 (1..65536, default 1)
 *
 * Frames the NIC receives (recv) are generated on demand into its buffers;
 * one that does not fit is lost (its sequence number is skipped). Frames the
 * NIC sends are verified with net_frame_check: failures count in rx_bad (and
 * per reason here); good ones advance their flow's expected sequence, and a
 * jump forward counts a gap and its lost frames, a step back a reorder.
 * poll_fd is an eventfd (rate 0) or the pacing timerfd; it stops being
 * readable once count frames have been generated.
 */
#ifndef IOVIRT_NET_GEN_H
#define IOVIRT_NET_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "net-backend.h"
#include "net-frame.h"

#define NET_GEN_SRC_MAC { 0x02, 0x69, 0x6f, 0x76, 0x00, 0x01 }

struct net_gen_stats {
	uint64_t generated;  /* frames produced for the NIC (including ones that did not fit) */
	bool done;           /* count reached */
	uint64_t verified;   /* frames from the NIC that passed net_frame_check */
	uint64_t bad[NET_FRAME_BAD_CSUM + 1]; /* failures by enum net_frame_error (0 unused) */
	uint64_t gaps;       /* times a flow's sequence jumped forward */
	uint64_t lost;       /* sequence numbers skipped by those jumps */
	uint64_t reordered;  /* frames older than their flow's expected sequence */
};

/*
 * Read a gen back-end's counters (from any thread). 0, or -EINVAL when be is
 * not a gen back-end.
 */
int net_gen_stats_read(struct net_backend *be, struct net_gen_stats *out);

#endif
