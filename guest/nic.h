/*
 * The guest's NIC interface: one frame in, one frame out, polled from ring 0
 * or ring 3 (rings and buffers live in the image's identity-mapped RAM), with
 * interrupts counted per NIC. Drivers: e1000 (82540EM, 8086:100E, legacy
 * descriptors, INTx), e1000e (82574, 8086:10D3, legacy descriptors, MSI-X)
 * and virtio-net (virtio 1.x modern PCI, split rings, MSI-X per queue). Frames carry no FCS in either direction.
 *
 * Probing, interrupt set-up and moderation are ring 0 only; send, recv,
 * poll, tx_pending and link_up also work at ring 3 (IOPL 3). One CPU drives a NIC.
 */
#ifndef GUEST_NIC_H
#define GUEST_NIC_H

#include <stdint.h>

#define NIC_MAX        4
#define NIC_BUF_SIZE   2048 /* per ring slot; frames up to NIC_FRAME_MAX */
#define NIC_FRAME_MAX  1514

enum nic_kind { NIC_E1000, NIC_VIRTIO_NET, NIC_E1000E };

struct nic;

struct nic_ops {
	/* Queue one frame (copied). 0, -EAGAIN when the TX ring is full, -EINVAL for a bad length. */
	int (*send)(struct nic *n, const void *frame, uint32_t len);
	/* Take one received frame into buf (at most size bytes). Its length, 0 when none, <0 on a bad one. */
	int (*recv)(struct nic *n, void *buf, uint32_t size);
	/* Reclaim finished TX slots. */
	void (*poll)(struct nic *n);
	/* Reclaim, then the number of frames queued that the device has not finished. */
	unsigned (*tx_pending)(struct nic *n);
	/* 1 when the link is up. */
	int (*link_up)(struct nic *n);
	/* Let the NIC interrupt (1) or not (0); ring 0. */
	void (*irq_enable)(struct nic *n, int on);
};

struct nic {
	const struct nic_ops *ops;
	enum nic_kind kind;
	const char *name;
	unsigned index;         /* order of discovery: 0, 1, ... */
	uint16_t bdf;
	uint8_t mac[6];
	volatile uint64_t irqs;      /* interrupts taken */
	volatile uint64_t rx_irqs;   /* ... that reported received frames */
	volatile uint64_t tx_irqs;   /* ... that reported sent frames */
	volatile uint64_t link_irqs; /* ... that reported a link or configuration change */
	uint64_t tx_frames, rx_frames, kicks;
	uint32_t features_lo, features_hi; /* virtio-net: negotiated features */
	uint32_t offered_lo, offered_hi;   /* virtio-net: features the device offered */
	const char *mac_source;            /* e1000, e1000e: "eerd", "eerd!=ral" or "ral" */
	void *priv;
};

/* Linux errno values (the guest has no libc). */
#ifndef EAGAIN
#define EIO       5
#define EAGAIN    11
#define ENODEV    19
#define EINVAL    22
#define ETIMEDOUT 110
#endif

/*
 * Find every e1000, e1000e and virtio-net on bus 0 and bring each up (reset, MAC,
 * rings, interrupts routed but disabled). Fills nics[0..max) in bus order.
 * Returns the count (0 when none), or -errno when a device fails.
 */
int nic_probe_all(struct nic *nics, unsigned max);

/* Per driver: bring up the function at bdf as nic. 0 or -errno. */
int e1000_probe(struct nic *n, uint16_t bdf);
int e1000e_probe(struct nic *n, uint16_t bdf);
int virtio_net_probe(struct nic *n, uint16_t bdf);

/* e1000 (82540EM) interrupt throttling: at most one interrupt per interval * 256 ns (0: off). Ring 0. */
void e1000_set_itr(struct nic *n, uint32_t interval);

/*
 * Add fn(nic, arg) to the handlers of IDT vector (drivers' interrupt
 * handlers; every handler of a vector runs, for shared INTx lines). Ring 0.
 * Returns 0, or -EINVAL when the vector is out of range or has NIC_MAX.
 */
int nic_irq_bind(unsigned vector, void (*fn)(struct nic *, unsigned), struct nic *n, unsigned arg);

/*
 * Make the memory BARs of bdf usable: under iovirt unassigned ones get
 * addresses from the 32-bit PCI window; under a foreign VMM firmware placed
 * them. Maps 64-bit BARs above 4 GiB, enables memory, I/O and bus
 * mastering. 0, or -ENODEV when a BAR has no address. Ring 0.
 */
int nic_pci_enable(uint16_t bdf);

static inline int nic_send(struct nic *n, const void *f, uint32_t len) { return n->ops->send(n, f, len); }
static inline int nic_recv(struct nic *n, void *b, uint32_t size) { return n->ops->recv(n, b, size); }
static inline void nic_poll(struct nic *n) { n->ops->poll(n); }
static inline unsigned nic_tx_pending(struct nic *n) { return n->ops->tx_pending(n); }
static inline int nic_link_up(struct nic *n) { return n->ops->link_up(n); }
static inline void nic_irq_enable(struct nic *n, int on) { n->ops->irq_enable(n, on); }

#endif
