/*
 * A virtio-net PCI function (the same transport and configuration layout as
 * emulated-devs/virtio-net.h) whose receive and transmit queues are serviced
 * by an external vhost-user back-end over a UNIX socket. The VMM keeps the
 * PCI function, the device configuration (MAC, link status) and the
 * session with the back-end; the back-end maps guest RAM (SET_MEM_TABLE:
 * the memfd regions), reads the doorbell eventfds (kick) and signals the
 * queues' MSI-X vector eventfds (call) itself, so no frame and no
 * interrupt passes through the VMM. A masked vector accumulates the
 * back-end's signals as its pending bit (pci-msix.h).
 *
 * Features offered to the driver: VERSION_1, MAC, STATUS, MRG_RXBUF,
 * EVENT_IDX, INDIRECT_DESC, and with more than one queue pair CTRL_VQ and
 * MQ. MAC, STATUS and the control queue are the VMM's (the control thread
 * answers VQ_PAIRS_SET and turns it into SET_VRING_ENABLE; every other
 * command gets VIRTIO_NET_ERR); the ring features, and as many queue pairs
 * as the device has (GET_QUEUE_NUM), must come from the back-end, or the
 * device keeps the link down and says why.
 *
 * Reconnect: when the back-end goes away (EOF, a bad reply, a timeout) the
 * guest keeps running and sees the link go down (configuration change
 * interrupt). When a back-end comes back (client mode: the device retries
 * connecting every second, with no give-up; server mode: the next back-end
 * to connect) the device negotiates again, restarts each queue at the used
 * index the guest's ring holds (the guest's rings are the truth: a
 * descriptor the old back-end took but never completed is offered again, one
 * it completed is not) and raises link up.
 *
 * Threads: every conversation with the back-end happens under the
 * transport's lock (vp->lock): from the vCPU that sets DRIVER_OK or resets
 * the device, or from the device's control thread, which accepts or
 * reconnects back-ends and notices when one goes away. Replies wait at most
 * reply_timeout_ms; a back-end that does not answer is dropped.
 */
#ifndef IOVIRT_VHOST_USER_NET_H
#define IOVIRT_VHOST_USER_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"

struct vm;
struct pci_root;
struct pci_device;
struct guest_mem;

#define VHOST_USER_NET_ERR_MAX 200

struct vhost_user_net_config {
	const char *socket;        /* the socket path (copied); names the device in logs */
	bool server;               /* listen at socket instead of connecting to it */
	int fd;                    /* >= 0: an already connected back-end (taken over); socket
				    * is then only a name, and later back-ends come through
				    * vhost_user_net_attach_fd() */
	uint8_t mac[6];
	int reply_timeout_ms;      /* 0: 5000 */
	int reconnect_ms;          /* client mode: delay between attempts; 0: 1000 */
	unsigned queue_pairs;      /* 1 .. VIRTIO_NET_MAX_PAIRS (0: 1) */
};

struct vhost_user_net_stats {
	uint64_t connects;         /* sessions negotiated */
	uint64_t disconnects;      /* sessions dropped (back-end gone or misbehaving) */
	uint64_t starts;           /* times the queues were handed to a back-end */
	bool connected, running;   /* a session is up; the queues are with the back-end */
	uint64_t backend_features; /* what the current (or last) back-end offered */
	unsigned queue_pairs;      /* the back-end's GET_QUEUE_NUM answer, 1 without MQ */
	char last_error[VHOST_USER_NET_ERR_MAX]; /* why the last session was dropped */
};

/*
 * Create the device on root (next free slot). Client mode connects now and
 * fails if it cannot (a wrong path is better said at once); server mode
 * listens and does not wait. The control thread starts; it is stopped when
 * the PCI core quiesces the device. 0, -EINVAL, -ENOSPC or -errno; on error
 * nothing is left open.
 */
int vhost_user_net_create(struct vm *vm, struct pci_root *root,
			  const struct vhost_user_net_config *cfg, struct pci_device **out)
	__must_check;

/*
 * The same device, not plugged (dev->vm and dev->root NULL), over guest
 * memory mem: for tests, which drive it through dev->ops. Free with
 * dev->ops->teardown(dev).
 */
int vhost_user_net_new(const struct guest_mem *mem, const struct vhost_user_net_config *cfg,
		       struct pci_device **out) __must_check;

/*
 * Hand the device a connected back-end (it takes fd over, also on error) and
 * negotiate with it now, replacing any current session. 0, or the error
 * that made the device drop it (stats.last_error says more).
 */
int vhost_user_net_attach_fd(struct pci_device *dev, int fd) __must_check;

/* A copy of the counters and state. */
void vhost_user_net_stats_get(struct pci_device *dev, struct vhost_user_net_stats *out);

#endif
