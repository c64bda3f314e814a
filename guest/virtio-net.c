/*
 * virtio-net driver, virtio 1.x modern PCI transport: the common, notify, ISR
 * and device configuration structures found through vendor capabilities;
 * features VERSION_1, MAC, STATUS, MRG_RXBUF and EVENT_IDX (taken when
 * offered; VERSION_1 required); split rings for receiveq1 and transmitq1;
 * MSI-X vector 0 for configuration changes, 1 for RX, 2 for TX; event-index
 * suppression both ways (the driver kicks only when the device asked for
 * it, and asks for an interrupt only at the next used entry).
 */
#include "guest.h"
#include "nic.h"
#include "pci.h"
#include "virtio-regs.h"
#include "virtq.h"

#define VQ_SIZE      128
#define VQ_RX        0
#define VQ_TX        1
#define VNET_MAX     3
#define VNET_VEC     0x70 /* + 4 * instance + MSI-X vector */

struct vq {
	struct virtq_desc desc[VQ_SIZE] __attribute__((aligned(4096)));
	uint16_t avail[VIRTQ_AVAIL_BYTES(VQ_SIZE) / 2] __attribute__((aligned(4096)));
	uint8_t used[VIRTQ_USED_BYTES(VQ_SIZE)] __attribute__((aligned(4096)));
	uint8_t buf[VQ_SIZE][NIC_BUF_SIZE] __attribute__((aligned(4096)));
	struct virtq q;
	uint16_t index, notify_off;
	uint16_t free[VQ_SIZE];
	unsigned nfree;
};

struct vnet_dev {
	struct vq rx, tx;
	uint64_t common, notify, isr, device;
	uint32_t notify_mult;
	int event_idx;
	struct msix msix;
	unsigned vec_base;
};

static struct vnet_dev vnet_devs[VNET_MAX];
static unsigned vnet_count;

static inline void mb(void) { __asm__ volatile("mfence" ::: "memory"); }

static int caps_find(struct vnet_dev *d, uint16_t bdf)
{
	unsigned off = pci_find_cap(bdf, PCI_CAP_ID_VENDOR), guard = 0;

	for (; off && guard < 48; guard++) {
		if (pci_read8(bdf, off) == PCI_CAP_ID_VENDOR) {
			unsigned type = pci_read8(bdf, off + 3), bar = pci_read8(bdf, off + 4);
			uint64_t a = bar < 6 ? pci_bar_addr(bdf, bar) + pci_read32(bdf, off + 8) : 0;

			if (type == VIRTIO_CAP_COMMON && !d->common)
				d->common = a;
			else if (type == VIRTIO_CAP_NOTIFY && !d->notify) {
				d->notify = a;
				d->notify_mult = pci_read32(bdf, off + 16);
			} else if (type == VIRTIO_CAP_ISR && !d->isr)
				d->isr = a;
			else if (type == VIRTIO_CAP_DEVICE && !d->device)
				d->device = a;
		}
		off = pci_read8(bdf, off + 1) & 0xfc;
	}
	return d->common && d->notify && d->isr && d->device ? 0 : -ENODEV;
}

static uint64_t features_read(struct vnet_dev *d)
{
	uint64_t f;

	mmio_write32(d->common + VC_DFSELECT, 0);
	f = mmio_read32(d->common + VC_DF);
	mmio_write32(d->common + VC_DFSELECT, 1);
	return f | (uint64_t)mmio_read32(d->common + VC_DF) << 32;
}

static int features_negotiate(struct nic *n, struct vnet_dev *d)
{
	uint64_t want = 1ULL << F_VERSION_1 | 1ULL << F_MAC | 1ULL << F_STATUS |
			1ULL << F_MRG_RXBUF | 1ULL << F_EVENT_IDX;
	uint64_t offered = features_read(d), f = offered & want;

	if (!(f & 1ULL << F_VERSION_1))
		return -ENODEV;
	mmio_write32(d->common + VC_GFSELECT, 0);
	mmio_write32(d->common + VC_GF, (uint32_t)f);
	mmio_write32(d->common + VC_GFSELECT, 1);
	mmio_write32(d->common + VC_GF, f >> 32);
	mmio_write8(d->common + VC_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(mmio_read8(d->common + VC_STATUS) & ST_FEATURES_OK))
		return -EIO;
	n->offered_lo = (uint32_t)offered;
	n->offered_hi = offered >> 32;
	n->features_lo = (uint32_t)f;
	n->features_hi = f >> 32;
	d->event_idx = !!(f & 1ULL << F_EVENT_IDX);
	return 0;
}

static int vq_setup(struct vnet_dev *d, struct vq *q, uint16_t index, uint16_t vector)
{
	uint16_t max, size;

	mmio_write16(d->common + VC_Q_SELECT, index);
	max = mmio_read16(d->common + VC_Q_SIZE);
	size = max < VQ_SIZE ? max : VQ_SIZE;
	memset(q->desc, 0, sizeof(q->desc));
	memset(q->avail, 0, sizeof(q->avail));
	memset(q->used, 0, sizeof(q->used));
	if (virtq_init(&q->q, q->desc, q->avail, q->used, size, d->event_idx))
		return -ENODEV;
	q->index = index;
	q->nfree = size;
	for (unsigned i = 0; i < size; i++)
		q->free[i] = size - 1 - i;
	mmio_write16(d->common + VC_Q_SIZE, size);
	mmio_write64(d->common + VC_Q_DESC, (uint64_t)q->desc);
	mmio_write64(d->common + VC_Q_AVAIL, (uint64_t)q->avail);
	mmio_write64(d->common + VC_Q_USED, (uint64_t)q->used);
	mmio_write16(d->common + VC_Q_MSIX, vector);
	if (mmio_read16(d->common + VC_Q_MSIX) != vector)
		return -EIO;
	q->notify_off = mmio_read16(d->common + VC_Q_NOFF);
	mmio_write16(d->common + VC_Q_ENABLE, 1);
	return 0;
}

static void vq_notify(struct nic *n, struct vq *q)
{
	struct vnet_dev *d = n->priv;

	mmio_write16(d->notify + (uint64_t)q->notify_off * d->notify_mult, q->index);
	n->kicks++;
}

static void vq_kick(struct nic *n, struct vq *q, uint16_t old_idx)
{
	mb(); /* the new avail index before reading avail_event */
	if (virtq_kick_needed(&q->q, old_idx))
		vq_notify(n, q);
}

static void rx_post(struct vq *q, uint16_t id)
{
	q->desc[id] = (struct virtq_desc){ .addr = (uint64_t)q->buf[id], .len = NIC_BUF_SIZE,
					   .flags = VIRTQ_DESC_F_WRITE };
	virtq_publish(&q->q, id);
}

static void vnet_poll(struct nic *n)
{
	struct vnet_dev *d = n->priv;
	struct vq *q = &d->tx;
	uint16_t id;
	uint32_t len;

	while (virtq_take(&q->q, &id, &len) == 1)
		if (q->nfree < q->q.size)
			q->free[q->nfree++] = id;
	virtq_irq_want(&q->q, 1);
}

static unsigned vnet_tx_pending(struct nic *n)
{
	struct vnet_dev *d = n->priv;

	vnet_poll(n);
	return d->tx.q.size - d->tx.nfree;
}

static int vnet_send(struct nic *n, const void *frame, uint32_t len)
{
	struct vnet_dev *d = n->priv;
	struct vq *q = &d->tx;
	uint16_t id, old = q->q.avail_idx;

	if (len < 14 || len > NIC_FRAME_MAX)
		return -EINVAL;
	vnet_poll(n);
	if (!q->nfree)
		return -EAGAIN;
	id = q->free[--q->nfree];
	memset(q->buf[id], 0, NET_HDR_LEN);
	memcpy(q->buf[id] + NET_HDR_LEN, frame, len);
	q->desc[id] = (struct virtq_desc){ .addr = (uint64_t)q->buf[id], .len = NET_HDR_LEN + len };
	virtq_publish(&q->q, id);
	vq_kick(n, q, old);
	n->tx_frames++;
	return 0;
}

static int vnet_recv(struct nic *n, void *buf, uint32_t size)
{
	struct vnet_dev *d = n->priv;
	struct vq *q = &d->rx;
	uint16_t id, old = q->q.avail_idx, nbufs;
	uint32_t len, got = 0;
	int ret = virtq_take(&q->q, &id, &len);

	if (ret <= 0)
		return ret ? -EIO : 0;
	ret = 0;
	nbufs = q->buf[id][10] | q->buf[id][11] << 8;
	if (len < NET_HDR_LEN || len > NIC_BUF_SIZE || nbufs == 0)
		ret = -EIO;
	for (unsigned b = 0; ; b++) {
		uint32_t skip = b ? 0 : NET_HDR_LEN, part = len > skip ? len - skip : 0;

		if (!ret && got + part <= size)
			memcpy((uint8_t *)buf + got, q->buf[id] + skip, part);
		else if (!ret)
			ret = -EIO;
		got += part;
		rx_post(q, id);
		if (b + 1 >= nbufs || ret)
			break;
		if (virtq_take(&q->q, &id, &len) != 1 || len > NIC_BUF_SIZE) {
			ret = -EIO;
			break;
		}
	}
	virtq_irq_want(&q->q, 1);
	vq_kick(n, q, old);
	if (ret)
		return ret;
	n->rx_frames++;
	return (int)got;
}

static int vnet_link_up(struct nic *n)
{
	struct vnet_dev *d = n->priv;

	if (!(n->features_lo & 1u << F_STATUS))
		return 1; /* no status field: always up */
	return mmio_read16(d->device + 6) & NET_S_LINK_UP;
}

static void vnet_irq(struct nic *n, unsigned vector)
{
	n->irqs++;
	if (vector == 0)
		n->link_irqs++;
	else if (vector == 1)
		n->rx_irqs++;
	else
		n->tx_irqs++;
}

static void vnet_irq_enable(struct nic *n, int on)
{
	struct vnet_dev *d = n->priv;

	for (unsigned v = 0; v < 3; v++)
		msix_vector_mask(&d->msix, v, !on);
}

static const struct nic_ops vnet_ops = {
	.send = vnet_send,
	.recv = vnet_recv,
	.poll = vnet_poll,
	.tx_pending = vnet_tx_pending,
	.link_up = vnet_link_up,
	.irq_enable = vnet_irq_enable,
};

static int vnet_msix_setup(struct nic *n, struct vnet_dev *d)
{
	if (msix_init(&d->msix, n->bdf) || d->msix.nvec < 3)
		return -ENODEV;
	for (unsigned v = 0; v < 3; v++) {
		if (nic_irq_bind(d->vec_base + v, vnet_irq, n, v))
			return -EINVAL;
		msix_vector_set(&d->msix, v, 0, d->vec_base + v, 1);
	}
	msix_enable(&d->msix, 1);
	return 0;
}

static int vnet_start(struct nic *n, struct vnet_dev *d)
{
	int ret;

	mmio_write8(d->common + VC_STATUS, 0);
	for (unsigned i = 0; mmio_read8(d->common + VC_STATUS); i++)
		if (i > 1000000)
			return -ETIMEDOUT;
	mmio_write8(d->common + VC_STATUS, ST_ACK);
	mmio_write8(d->common + VC_STATUS, ST_ACK | ST_DRIVER);
	ret = features_negotiate(n, d);
	if (ret)
		return ret;
	if (mmio_read16(d->common + VC_NUMQ) < 2)
		return -ENODEV;
	mmio_write16(d->common + VC_MSIX, 0);
	if (mmio_read16(d->common + VC_MSIX) != 0)
		return -EIO;
	ret = vq_setup(d, &d->rx, VQ_RX, 1);
	if (!ret)
		ret = vq_setup(d, &d->tx, VQ_TX, 2);
	if (ret)
		return ret;
	for (unsigned i = 0; i < 6; i++)
		n->mac[i] = mmio_read8(d->device + i);
	for (uint16_t id = 0; id < d->rx.q.size; id++)
		rx_post(&d->rx, id);
	d->rx.nfree = 0;
	mmio_write8(d->common + VC_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	vq_notify(n, &d->rx);
	return 0;
}

int virtio_net_probe(struct nic *n, uint16_t bdf)
{
	struct vnet_dev *d;
	int ret;

	if (vnet_count >= VNET_MAX)
		return -ENODEV;
	ret = nic_pci_enable(bdf);
	if (ret)
		return ret;
	d = &vnet_devs[vnet_count];
	memset(n, 0, sizeof(*n));
	n->ops = &vnet_ops;
	n->kind = NIC_VIRTIO_NET;
	n->name = "virtio-net";
	n->bdf = bdf;
	n->priv = d;
	d->vec_base = VNET_VEC + 4 * vnet_count;
	ret = caps_find(d, bdf);
	if (!ret)
		ret = vnet_msix_setup(n, d);
	if (!ret)
		ret = vnet_start(n, d);
	if (ret)
		return ret;
	vnet_count++;
	return 0;
}
