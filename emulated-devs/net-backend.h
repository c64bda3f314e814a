/*
 * The network back-end seam: what a NIC model (e1000, virtio-net) sends its
 * frames to and receives them from. One ops struct, one file per back-end,
 * one table that maps a spec's name to its ops (net-backend.c).
 *
 * Specs, as `iovirt run --net MODEL,backend=SPEC` takes them (at most
 * NET_BE_SPEC_MAX - 1 characters; anything malformed is -EINVAL):
 *   tap:NAME        an existing or new tap interface (IFF_VNET_HDR); NAME is
 *                   1..IFNAMSIZ-1 characters, no '/', ':', '%' or white space
 *   hub:ID          joins every NIC of the VM that names the same ID (like
 *                   QEMU's -netdev hubport): a frame sent by one port reaches
 *                   every other port of the hub, never the sender; a port whose
 *                   queue is full counts it in its own rx_dropped (the send
 *                   still succeeds). ID is 1..31 characters of [A-Za-z0-9_.-]
 *   loop            each frame comes back to the NIC that sent it
 *   sink            counts and drops
 *   gen:K=V,...     generates test frames (guest/abi/net-frame.h) and verifies
 *                   what it receives the same way (keys and counters: net-gen.h)
 *
 * Directions. "send" is NIC -> back-end (the guest transmits), "recv" is
 * back-end -> NIC (the guest receives); the counters use the same words.
 *
 * Frames and headers. A frame crosses the seam as an iovec of at most
 * NET_BE_IOV_MAX elements. When the NIC has turned the header on
 * (net_backend_set_vnet_hdr(be, true), which only works if the back-end has
 * NET_BE_CAP_VNET_HDR), every frame in both directions starts with a struct
 * virtio_net_hdr_v1 (12 bytes, little-endian), which carries checksum and
 * segmentation offload requests; otherwise frames are plain Ethernet frames.
 * A frame is 14 (an Ethernet header) .. NET_FRAME_MAX - 12 bytes, plus the
 * header when it is on. On receive, num_buffers is the NIC's to fill: the
 * back-end leaves it zero or undefined. The back-end never parses the frame
 * beyond what its offloads require.
 *
 * Offloads. With the header on, the NIC states with net_backend_set_offloads
 * which requests it accepts on receive (TUNSETOFFLOAD's meaning): a back-end
 * never hands it NEEDS_CSUM without NET_BE_OFFLOAD_CSUM nor a GSO frame
 * without the matching TSO bit. In-process back-ends (hub, loop) complete a
 * NEEDS_CSUM frame's checksum in software for a NIC that did not enable
 * CSUM, and drop (counted in rx_dropped) a GSO frame for a NIC that did not
 * enable its TSO kind (they do not segment). On send, any request the header
 * can express is accepted.
 *
 * Threads. send/recv/peek_len of one back-end are called by one thread at a
 * time (the NIC's I/O thread or, for e1000 transmit, a vCPU thread holding the
 * NIC's lock); set_vnet_hdr and set_offloads never concurrently with them. In-
 * process back-ends (hub) are sent to from other NICs' threads: they lock
 * internally. net_backend_stats may be called from any thread at any time.
 * poll_fd becomes readable when a frame may be waiting (level-triggered: it
 * stays readable until recv/peek_len find nothing); a NIC that has no receive
 * buffers stops polling it until the guest posts some (back-ends queue a
 * bounded number of frames and drop past that, counting the drops).
 *
 * Errors: functions return 0 or a length, or -errno; nothing here prints for
 * the user or exits. Nothing allocates per frame.
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
_Static_assert(sizeof(struct virtio_net_hdr_v1) == 12, "virtio_net_hdr_v1 is 12 bytes");
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE     0
#define VIRTIO_NET_HDR_GSO_TCPV4    1
#define VIRTIO_NET_HDR_GSO_UDP      3
#define VIRTIO_NET_HDR_GSO_TCPV6    4
#define VIRTIO_NET_HDR_GSO_ECN      0x80

#define NET_VNET_HDR_LEN 12
#define NET_FRAME_MAX 65550 /* the largest frame with a header (64 KiB TSO + header) */
#define NET_ETH_HLEN  14    /* the shortest frame the seam carries */
#define NET_BE_IOV_MAX 256  /* the most iovec elements per frame */
#define NET_BE_SPEC_MAX 64  /* a spec's size with its terminating NUL */

/* Back-end capabilities. */
#define NET_BE_CAP_VNET_HDR (1u << 0) /* can carry a virtio_net_hdr_v1 with each frame */

/*
 * Offloads a NIC may ask for once the header is on (TUNSETOFFLOAD's meaning).
 * TSO4, TSO6 and ECN need CSUM; ECN needs TSO4 or TSO6.
 */
#define NET_BE_OFFLOAD_CSUM (1u << 0) /* frames from the back-end may carry NEEDS_CSUM */
#define NET_BE_OFFLOAD_TSO4 (1u << 1) /* ... and GSO TCPv4 */
#define NET_BE_OFFLOAD_TSO6 (1u << 2) /* ... and GSO TCPv6 */
#define NET_BE_OFFLOAD_ECN  (1u << 3) /* ... and GSO with the ECN bit */
#define NET_BE_OFFLOAD_ALL  0xfu

struct net_backend;

/*
 * What one back-end type implements. The wrappers below validate arguments
 * (iov count and lengths, header and offload rules) and keep the counters
 * before calling these, so the ops see only well-formed requests.
 */
struct net_backend_ops {
	const char *name;   /* the spec's prefix: "tap", "hub", "loop", "sink", "gen" */
	/* args: what follows "name:" in the spec, or "" when there is no ':'. Sets
	 * caps and poll_fd; on failure releases everything it took. */
	int (*open)(struct net_backend *be, const char *args);
	void (*close)(struct net_backend *be);
	/* Send one frame; returns its length (header included), -EAGAIN when the
	 * back-end is full (dropped), -errno (dropped). */
	ssize_t (*send)(struct net_backend *be, const struct iovec *iov, int iovcnt);
	/* Receive one frame into iov: its length (header included); -EAGAIN when
	 * none is waiting; -EMSGSIZE (frame dropped) when it does not fit. */
	ssize_t (*recv)(struct net_backend *be, const struct iovec *iov, int iovcnt);
	/* Length of the next frame (header included), 0 when none is waiting, -errno. */
	ssize_t (*peek_len)(struct net_backend *be);
	/* Optional: called after be->vnet_hdr changed (be->vnet_hdr holds the new value). */
	int (*set_vnet_hdr)(struct net_backend *be, bool on);
	/* Optional: apply offloads (already validated); be->offloads is updated after success. */
	int (*set_offloads)(struct net_backend *be, unsigned offloads);
};

/*
 * Counters every back-end keeps (read with net_backend_stats), from the NIC's
 * point of view: tx = frames the NIC sent, rx = frames the NIC received.
 * Bytes never include the virtio-net header.
 */
struct net_backend_stats {
	uint64_t tx_frames, tx_bytes;
	uint64_t tx_dropped;  /* sends that failed (full, too long, I/O error) */
	uint64_t rx_frames, rx_bytes;
	uint64_t rx_dropped;  /* frames meant for the NIC and lost: queue full, did not
			       * fit its buffers, GSO it cannot take */
	uint64_t rx_bad;      /* gen: frames the NIC sent that failed verification */
};

struct net_backend {
	const struct net_backend_ops *ops;
	void *priv;           /* the back-end's own state */
	const void *vm_id;    /* scopes hubs (from net_backend_open) */
	int poll_fd;          /* readable when a frame may be waiting; -1: never */
	unsigned caps;        /* NET_BE_CAP_* */
	bool vnet_hdr;        /* frames carry a virtio_net_hdr_v1 */
	unsigned offloads;    /* NET_BE_OFFLOAD_* the NIC accepts on receive */
	bool link_up;         /* true unless the back-end knows its link is down */
	char spec[NET_BE_SPEC_MAX];
	struct net_backend_stats stats; /* updated atomically: read with net_backend_stats */
};

/*
 * Open the back-end a spec names ("tap:NAME", "hub:ID", "loop", "sink",
 * "gen:..."). vm_id scopes hubs: NICs with the same vm_id and hub ID meet.
 * 0, -ENOENT (no such back-end type), -EINVAL (bad or over-long spec or
 * arguments) or -errno. The header starts off, offloads 0. The caller owns
 * *out and closes it with net_backend_close().
 */
int net_backend_open(const char *spec, const void *vm_id, struct net_backend **out) __must_check;

/* Close and free a back-end (NULL is a no-op); its poll_fd is closed too. */
void net_backend_close(struct net_backend *be);

/*
 * Send one frame (header first when the header is on). Returns its length,
 * -EAGAIN (back-end full), -EINVAL (empty, runt, header missing, bad iov),
 * -EMSGSIZE (longer than NET_FRAME_MAX) or -errno; every failure is counted
 * in tx_dropped and the frame is gone.
 */
ssize_t net_backend_send(struct net_backend *be, const struct iovec *iov, int iovcnt);

/*
 * Receive one frame into iov. Returns its length, -EAGAIN when none is
 * waiting, -EMSGSIZE when the next frame did not fit (it is dropped and
 * counted in rx_dropped), -EINVAL (bad iov) or -errno.
 */
ssize_t net_backend_recv(struct net_backend *be, const struct iovec *iov, int iovcnt);

/* Length of the next frame (header included), 0 when none is waiting, or -errno. */
ssize_t net_backend_peek_len(struct net_backend *be);

/*
 * Turn the virtio-net header on or off for both directions. -EOPNOTSUPP when
 * turning it on without NET_BE_CAP_VNET_HDR. Turning it off also sets the
 * offloads to 0.
 */
int net_backend_set_vnet_hdr(struct net_backend *be, bool on) __must_check;

/*
 * Set the offloads the NIC accepts on receive (NET_BE_OFFLOAD_*). -EINVAL for
 * unknown bits, for TSO/ECN without CSUM, ECN without TSO, or any bit while
 * the header is off.
 */
int net_backend_set_offloads(struct net_backend *be, unsigned offloads) __must_check;

/* Copy the counters (each read atomically; be NULL gives zeros). */
void net_backend_stats(struct net_backend *be, struct net_backend_stats *out);

/* A MAC address "xx:xx:xx:xx:xx:xx" (hex digits): 0 or -EINVAL. */
int net_mac_parse(const char *s, uint8_t mac[6]) __must_check;

/* The table of back-end types, NULL-terminated (for --help and error messages). */
extern const struct net_backend_ops *const net_backend_types[];

#endif
