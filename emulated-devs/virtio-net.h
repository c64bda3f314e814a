/*
 * virtio-net (virtio 1.x, section 5.1) over the modern PCI transport
 * (virtio-pci.h), with its data path in the VMM: up to VIRTIO_NET_MAX_PAIRS
 * receive/transmit queue pairs and a control queue, serviced by an I/O
 * thread that waits on the queues' doorbell eventfds and the network
 * back-end's poll_fd (net-backend.h). vCPU threads never move frames.
 *
 * Features offered: VERSION_1, MAC, STATUS, MRG_RXBUF, EVENT_IDX,
 * INDIRECT_DESC, CTRL_VQ, MQ and, when the back-end carries virtio-net
 * headers (NET_BE_CAP_VNET_HDR), CSUM, GUEST_CSUM, HOST_TSO4/6, GUEST_TSO4/6.
 * With one back-end there is nothing to steer: every transmit queue is
 * serviced, and received frames all go to receive queue 0 (in order). The
 * control queue answers VQ_PAIRS_SET; every other command gets VIRTIO_NET_ERR.
 *
 * Guest errors in frames (a header that does not fit, a checksum request
 * past the frame, an offload that was not negotiated) drop the frame and
 * are counted; errors in rings and chains put the device in NEEDS_RESET.
 */
#ifndef IOVIRT_VIRTIO_NET_H
#define IOVIRT_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"

struct vm;
struct pci_root;
struct pci_device;
struct guest_mem;
struct net_backend;
struct virtio_pci;
struct iovec;

/* Feature bits (virtio 5.1.3). */
#define VIRTIO_NET_F_CSUM       0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_HOST_TSO4  11
#define VIRTIO_NET_F_HOST_TSO6  12
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16
#define VIRTIO_NET_F_CTRL_VQ    17
#define VIRTIO_NET_F_MQ         22

/* Control queue commands (virtio 5.1.6.5): only multiqueue's pair count. */
#define VIRTIO_NET_CTRL_MQ              4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_OK  0
#define VIRTIO_NET_ERR 1

#define VIRTIO_NET_S_LINK_UP    1

/* Device configuration layout (virtio 5.1.4). */
#define VIRTIO_NET_CFG_MAC      0
#define VIRTIO_NET_CFG_STATUS   6
#define VIRTIO_NET_CFG_MAX_VQP  8
#define VIRTIO_NET_CFG_LEN      12

#define VIRTIO_NET_RXQ 0            /* pair p: receive 2p, transmit 2p + 1 */
#define VIRTIO_NET_TXQ 1
#define VIRTIO_NET_MAX_PAIRS 3
#define VIRTIO_NET_NUM_QUEUES (2 * VIRTIO_NET_MAX_PAIRS + 1) /* the pairs and the control queue */
#define VIRTIO_NET_QUEUE_MAX 256   /* largest queue size the device accepts */
#define VIRTIO_NET_HDR_LEN 12      /* struct virtio_net_hdr_v1 */

struct virtio_net_stats {
	uint64_t tx_frames, tx_bytes;
	uint64_t tx_dropped;    /* guest frames refused: header, length, offload request */
	uint64_t tx_be_dropped; /* the back-end refused the frame */
	uint64_t rx_frames, rx_bytes;
	uint64_t rx_dropped;    /* frames that fit no buffer the guest posted */
	uint64_t rx_no_buffers; /* times receive stopped for want of guest buffers */
	uint64_t interrupts;    /* used-buffer interrupts sent (both queues) */
	uint64_t wakeups;       /* I/O thread passes */
};

/*
 * Create a virtio-net function on root (next free slot) with the given MAC,
 * attached to back-end be, which it takes over on success (closed at
 * teardown; on failure the caller keeps it). The device's I/O thread starts
 * now and is stopped when the PCI core quiesces the device.
 * 0, -EINVAL, -ENOSPC (no slot) or -errno.
 */
int virtio_net_create(struct vm *vm, struct pci_root *root, struct net_backend *be,
		      const uint8_t mac[6], struct pci_device **out) __must_check;

/*
 * The same device, not plugged anywhere (dev->vm and dev->root NULL), over
 * guest memory mem: for unit tests, which drive it through dev->ops and
 * pci_device_cfg_write(). With io_thread false no thread runs and the test
 * calls virtio_net_run_once() instead. Free with dev->ops->teardown(dev); the
 * back-end stays the caller's.
 */
int virtio_net_new(const struct guest_mem *mem, struct net_backend *be, const uint8_t mac[6],
		   bool io_thread, struct pci_device **out) __must_check;

/*
 * One pass of the I/O thread's work: up to 256 transmit chains and 256
 * received frames (the thread repeats passes while a queue has more).
 */
void virtio_net_run_once(struct pci_device *dev);

/* The back-end's link_up changed: tell the driver (configuration change interrupt). */
void virtio_net_link_changed(struct pci_device *dev);

/* A copy of the device's counters. */
void virtio_net_stats_get(struct pci_device *dev, struct virtio_net_stats *out);

/*
 * Answer every command the driver posted on control queue q of vp (live,
 * with CTRL_VQ negotiated): MQ_VQ_PAIRS_SET goes to pairs_set, whose return
 * is the ack byte; any other command gets VIRTIO_NET_ERR. iov is scratch
 * space of iov_max entries. A chain with no writable byte marks the device
 * NEEDS_RESET. Returns whether the driver wants the queue's interrupt. The
 * caller holds whatever lock guards the queue.
 */
bool virtio_net_ctrl_process(struct virtio_pci *vp, unsigned q, struct iovec *iov,
			     unsigned iov_max, uint8_t (*pairs_set)(void *opaque, uint16_t pairs),
			     void *opaque);

#endif
