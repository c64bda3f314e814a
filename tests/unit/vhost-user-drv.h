/*
 * A virtio-net driver in a test, for the vhost-user front-end without a VM:
 * guest RAM is a real memfd (what SET_MEM_TABLE passes on), the device is
 * unplugged and reached through its PCI ops, a delivered interrupt stays in
 * the vector's eventfd. Queue q's rings and buffers sit at fixed addresses;
 * one descriptor per buffer, buffer i of a queue is descriptor i.
 * Shared by tests/unit/test-vhost-user-net.c and tests/interop.
 */
#ifndef IOVIRT_TEST_VHOST_USER_DRV_H
#define IOVIRT_TEST_VHOST_USER_DRV_H

#include <dirent.h>
#include <endian.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest-mem.h"
#include "pci-msix.h"
#include "pci.h"
#include "virtio-net.h"
#include "virtio-pci.h"
#include "virtqueue.h"

#define VDRV_RAM_SIZE   (4ULL << 20)
#define VDRV_RING(q)    (0x10000ULL + 0x4000ULL * (q))
#define VDRV_BUF(q, i)  (0x100000ULL + 0x100000ULL * (q) + 2048ULL * (i))
#define VDRV_BUF_LEN    2048
#define VDRV_HDR_LEN    12

/* Open file descriptors of this process (entries of /proc/self/fd); aborts when unreadable. */
static inline unsigned vdrv_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!d) {
		perror("/proc/self/fd");
		abort();
	}
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

struct vdrv_queue {
	unsigned size;
	uint16_t avail_idx;   /* what the driver published */
	uint16_t used_seen;   /* used entries consumed */
};

struct vdrv {
	struct guest_mem mem;
	int memfd;
	uint8_t *ram;
	struct pci_device *dev;
	struct vdrv_queue q[VIRTIO_NET_NUM_QUEUES];
};

/* Guest RAM at GPA 0: a memfd like the VMM's (-errno on failure). */
static inline int vdrv_ram_init(struct vdrv *d)
{
	void *hva;
	int ret;

	memset(d, 0, sizeof(*d));
	ret = guest_ram_create(VDRV_RAM_SIZE, false, &d->memfd, &hva);
	if (ret)
		return ret;
	d->ram = hva;
	return guest_mem_add(&d->mem, 0, VDRV_RAM_SIZE, hva, d->memfd, 0);
}

static inline void vdrv_ram_free(struct vdrv *d)
{
	munmap(d->ram, VDRV_RAM_SIZE);
	close(d->memfd);
}

static inline uint8_t *vdrv_gva(struct vdrv *d, uint64_t gpa)
{
	return d->ram + gpa;
}

static inline uint64_t vdrv_rd(struct vdrv *d, uint64_t off, unsigned len)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;

	d->dev->ops->bar_read(d->dev, VIRTIO_PCI_BAR, off, b, len);
	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static inline void vdrv_wr(struct vdrv *d, uint64_t off, unsigned len, uint64_t v)
{
	uint8_t b[8];

	for (unsigned i = 0; i < len; i++)
		b[i] = v >> (8 * i);
	d->dev->ops->bar_write(d->dev, VIRTIO_PCI_BAR, off, b, len);
}

static inline unsigned vdrv_cap(struct pci_device *dev, uint8_t id)
{
	for (unsigned off = dev->cfg[PCI_CAPABILITY_LIST]; off; off = dev->cfg[off + 1])
		if (dev->cfg[off] == id)
			return off;
	return 0;
}

/* Bus mastering on, MSI-X on with every vector unmasked (no VM: signals stay in the eventfds). */
static inline void vdrv_pci_enable(struct vdrv *d)
{
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	unsigned cap = vdrv_cap(d->dev, PCI_CAP_ID_MSIX);

	memcpy(&d->dev->cfg[PCI_COMMAND], &cmd, 2);
	d->dev->ops->cfg_write(d->dev, PCI_COMMAND, 2, cmd);
	pci_device_cfg_write(d->dev, cap + 2, 2, PCI_MSIX_CTRL_ENABLE);
	for (unsigned i = 0; i < pci_msix_nvec(d->dev); i++) {
		uint32_t zero = 0;

		pci_msix_bar_access(d->dev, VIRTIO_PCI_MSIX_BAR, 16 * i + 12, (uint8_t *)&zero, 4,
				    true);
	}
}

static inline uint64_t vdrv_device_features(struct vdrv *d)
{
	uint64_t f;

	vdrv_wr(d, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	f = vdrv_rd(d, VIRTIO_PCI_COMMON_DF, 4);
	vdrv_wr(d, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	return f | vdrv_rd(d, VIRTIO_PCI_COMMON_DF, 4) << 32;
}

static inline void vdrv_status(struct vdrv *d, uint8_t s)
{
	vdrv_wr(d, VIRTIO_PCI_COMMON_STATUS, 1, s);
}

/* Queue q: rings zeroed, size entries, vector q + 1, enabled. */
static inline void vdrv_queue_setup(struct vdrv *d, unsigned q, unsigned size)
{
	memset(vdrv_gva(d, VDRV_RING(q)), 0, 0x3000);
	d->q[q] = (struct vdrv_queue){ .size = size };
	vdrv_wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	vdrv_wr(d, VIRTIO_PCI_COMMON_Q_SIZE, 2, size);
	vdrv_wr(d, VIRTIO_PCI_COMMON_Q_DESC, 8, VDRV_RING(q));
	vdrv_wr(d, VIRTIO_PCI_COMMON_Q_AVAIL, 8, VDRV_RING(q) + 0x1000);
	vdrv_wr(d, VIRTIO_PCI_COMMON_Q_USED, 8, VDRV_RING(q) + 0x2000);
	vdrv_wr(d, VIRTIO_PCI_COMMON_Q_MSIX, 2, q + 1);
	vdrv_wr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

/* The driver's start-up with the given features; the final status. */
static inline uint8_t vdrv_start(struct vdrv *d, uint64_t features, unsigned qsize)
{
	const uint8_t ad = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	vdrv_pci_enable(d);
	vdrv_status(d, 0);
	vdrv_status(d, ad);
	vdrv_wr(d, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	vdrv_wr(d, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)features);
	vdrv_wr(d, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	vdrv_wr(d, VIRTIO_PCI_COMMON_GF, 4, features >> 32);
	vdrv_status(d, ad | VIRTIO_STATUS_FEATURES_OK);
	vdrv_wr(d, VIRTIO_PCI_COMMON_MSIX, 2, 0);
	vdrv_queue_setup(d, VIRTIO_NET_RXQ, qsize);
	vdrv_queue_setup(d, VIRTIO_NET_TXQ, qsize);
	vdrv_status(d, ad | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	return vdrv_rd(d, VIRTIO_PCI_COMMON_STATUS, 1);
}

/* The link bit of the device configuration. */
static inline bool vdrv_link_up(struct vdrv *d)
{
	return vdrv_rd(d, VIRTIO_PCI_DEVICE_OFF + VIRTIO_NET_CFG_STATUS, 2) & VIRTIO_NET_S_LINK_UP;
}

/* Interrupts delivered on vector v since the last call. */
static inline uint64_t vdrv_irqs(struct vdrv *d, unsigned v)
{
	uint64_t n = 0;

	if (read(pci_msix_vector_eventfd(d->dev, v), &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static inline void vdrv_kick(struct vdrv *d, unsigned q)
{
	vdrv_wr(d, VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * q, 2, q);
}

/* Post descriptor i of queue q (buffer i, len bytes, device-writable or not). */
static inline void vdrv_post(struct vdrv *d, unsigned q, unsigned i, uint32_t len, bool writable)
{
	struct vdrv_queue *vq = &d->q[q];
	uint8_t *ring = vdrv_gva(d, VDRV_RING(q));
	struct virtq_desc desc = { .addr = htole64(VDRV_BUF(q, i)), .len = htole32(len),
				   .flags = htole16(writable ? VIRTQ_DESC_F_WRITE : 0) };
	uint16_t head = htole16(i), idx;

	memcpy(ring + 16 * i, &desc, sizeof(desc));
	memcpy(ring + 0x1000 + 4 + 2 * (vq->avail_idx % vq->size), &head, 2);
	idx = htole16(++vq->avail_idx);
	__atomic_store_n((uint16_t *)(ring + 0x1000 + 2), idx, __ATOMIC_RELEASE);
}

/* Take the next used entry of queue q: 1 with *id and *len, or 0 when none. */
static inline int vdrv_used(struct vdrv *d, unsigned q, uint32_t *id, uint32_t *len)
{
	struct vdrv_queue *vq = &d->q[q];
	uint8_t *used = vdrv_gva(d, VDRV_RING(q) + 0x2000);
	uint16_t idx = le16toh(__atomic_load_n((uint16_t *)(used + 2), __ATOMIC_ACQUIRE));
	struct virtq_used_elem e;

	if (idx == vq->used_seen)
		return 0;
	memcpy(&e, used + 4 + 8 * (vq->used_seen % vq->size), sizeof(e));
	vq->used_seen++;
	*id = le32toh(e.id);
	*len = le32toh(e.len);
	return 1;
}

/* The used index the device published for queue q. */
static inline uint16_t vdrv_used_idx(struct vdrv *d, unsigned q)
{
	uint8_t *used = vdrv_gva(d, VDRV_RING(q) + 0x2000);

	return le16toh(__atomic_load_n((uint16_t *)(used + 2), __ATOMIC_ACQUIRE));
}

/* Fill transmit buffer i with a zero header and the frame; post it. */
static inline void vdrv_tx(struct vdrv *d, unsigned i, const void *frame, size_t len)
{
	uint8_t *buf = vdrv_gva(d, VDRV_BUF(VIRTIO_NET_TXQ, i));

	memset(buf, 0, VDRV_HDR_LEN);
	memcpy(buf + VDRV_HDR_LEN, frame, len);
	vdrv_post(d, VIRTIO_NET_TXQ, i, VDRV_HDR_LEN + len, false);
}

#endif
