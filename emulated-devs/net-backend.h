/*
 * The network back-end seam: what a NIC model (e1000, virtio-net) sends its
 * frames to and receives them from. One ops struct, one file per back-end,
 * one table that maps a spec's name to its ops (net-backend.c).
 *
 * Specs, as `iovirt run --net MODEL,backend=SPEC` takes them:
 *   tap:NAME        an existing or new tap interface (IFF_VNET_HDR)
 *   hub:ID          joins every NIC of the VM that names the same ID (like
 *                   QEMU's -netdev hubport): a frame sent by one port reaches
 *                   every other port of the hub
 *   loop            each frame comes back to the NIC that sent it
 *   sink            counts and drops
 *   gen:K=V,...     generates frames (size, count, rate) carrying sequence
 *                   numbers and a checksummed payload; what it receives is
 *                   verified the same way (see net-gen.h)
 *
 * Frames and headers. A frame crosses the seam as an iovec. When the NIC has
 * turned the header on (net_backend_set_vnet_hdr(be, true), which only works
 * if the back-end has NET_BE_CAP_VNET_HDR), every frame in both directions
 * starts with a struct virtio_net_hdr_v1 (12 bytes, little-endian), which
 * carries checksum and segmentation offload requests; otherwise frames are
 * plain Ethernet frames. The back-end never parses the frame beyond what its
 * offloads require.
 *
 * Threads. send/recv/peek_len of one back-end are called by one thread at a
 * time (the NIC's I/O thread or, for e1000 transmit, a vCPU thread holding the
 * NIC's lock). In-process back-ends (hub, loop) may be sent to from another
 * NIC's thread: they lock internally. poll_fd becomes readable when a frame
 * may be waiting; a NIC that has no receive buffers stops polling it until
 * the guest posts some (back-ends queue a bounded number of frames and drop
 * past that, counting the drops).
 *
 * Errors: functions return 0 or a length, or -errno; nothing here prints for
 * the user or exits.
 */
#ifndef IOVIRT_NET_BACKEND_H
#define IOVIRT_NET_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "compiler.h"

/* The virtio-net header (virtio 1.x, struct virtio_net_hdr_v1), little-endian. */
struct virtio_net_hdr_v1 {
	uint8_t flags;        /* VIRTIO_NET_HDR_F_* */
	uint8_t gso_type;     /* VIRTIO_NET_HDR_GSO_* */
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE     0
#define VIRTIO_NET_HDR_GSO_TCPV4    1
#define VIRTIO_NET_HDR_GSO_UDP      3
#define VIRTIO_NET_HDR_GSO_TCPV6    4
#define VIRTIO_NET_HDR_GSO_ECN      0x80

#define NET_FRAME_MAX 65550 /* the largest frame with a header (64 KiB TSO + header) */

/* Back-end capabilities. */
#define NET_BE_CAP_VNET_HDR (1u << 0) /* can carry a virtio_net_hdr_v1 with each frame */

/* Offloads a NIC may ask for once the header is on (TUNSETOFFLOAD's meaning). */
#define NET_BE_OFFLOAD_CSUM (1u << 0) /* frames from the back-end may carry NEEDS_CSUM */
#define NET_BE_OFFLOAD_TSO4 (1u << 1) /* ... and GSO TCPv4 */
#define NET_BE_OFFLOAD_TSO6 (1u << 2) /* ... and GSO TCPv6 */
#define NET_BE_OFFLOAD_ECN  (1u << 3)

struct net_backend;

struct net_backend_ops {
	const char *name;   /* the spec's prefix: "tap", "hub", "loop", "sink", "gen" */
	/* args: what follows "name:" in the spec, or "" */
	int (*open)(struct net_backend *be, const char *args);
	void (*close)(struct net_backend *be);
	/* Send one frame; returns its length, -EAGAIN when the back-end is full (dropped), -errno. */
	ssize_t (*send)(struct net_backend *be, const struct iovec *iov, int iovcnt);
	/* Receive one frame into iov: its length; -EAGAIN when none is waiting; -EMSGSIZE
	 * (frame dropped) when it does not fit. */
	ssize_t (*recv)(struct net_backend *be, const struct iovec *iov, int iovcnt);
	/* Length of the next frame (header included), or 0 when none is waiting. */
	ssize_t (*peek_len)(struct net_backend *be);
	int (*set_vnet_hdr)(struct net_backend *be, bool on);
	int (*set_offloads)(struct net_backend *be, unsigned offloads);
};

/* Counters every back-end keeps (read with net_backend_stats). */
struct net_backend_stats {
	uint64_t tx_frames, tx_bytes, tx_dropped;
	uint64_t rx_frames, rx_bytes, rx_dropped;
	uint64_t rx_bad;    /* gen: frames that failed verification */
};

struct net_backend {
	const struct net_backend_ops *ops;
	void *priv;
	int poll_fd;        /* readable when a frame may be waiting; -1: never */
	unsigned caps;      /* NET_BE_CAP_* */
	bool vnet_hdr;      /* frames carry a virtio_net_hdr_v1 */
	bool link_up;
	char spec[64];
	struct net_backend_stats stats;
};

/*
 * Open the back-end a spec names ("tap:NAME", "hub:ID", "loop", "sink",
 * "gen:..."). vm_id scopes hubs: NICs with the same vm_id and hub ID meet.
 * 0, -ENOENT (no such back-end type), -EINVAL (bad arguments) or -errno.
 * The caller owns *out and closes it with net_backend_close().
 */
int net_backend_open(const char *spec, const void *vm_id, struct net_backend **out) __must_check;
void net_backend_close(struct net_backend *be);

ssize_t net_backend_send(struct net_backend *be, const struct iovec *iov, int iovcnt);
ssize_t net_backend_recv(struct net_backend *be, const struct iovec *iov, int iovcnt);
ssize_t net_backend_peek_len(struct net_backend *be);
int net_backend_set_vnet_hdr(struct net_backend *be, bool on) __must_check;
int net_backend_set_offloads(struct net_backend *be, unsigned offloads) __must_check;
void net_backend_stats(struct net_backend *be, struct net_backend_stats *out);

/* The table of back-end types (for --help and error messages). */
extern const struct net_backend_ops *const net_backend_types[];

#endif
