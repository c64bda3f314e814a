/*
 * virtio-net over the modern PCI transport without a VM: the device is
 * created unplugged over malloc'd guest RAM and driven the way a driver
 * does, through BAR4 and the MSI-X table (a delivered interrupt stays in the
 * vector's eventfd). A fake network back-end in this file records what the
 * device sends and feeds it frames.
 *
 * Covered: PCI identity and capabilities, feature negotiation, the status
 * machine, hostile register accesses (queue index past the last queue,
 * CVE-2011-2512's kind), transmit and receive byte-exact with and without
 * back-end headers, mergeable receive buffers, hostile headers, event-index
 * suppression, NEEDS_RESET on broken chains, INTx and the ISR, and a reset
 * (status 0, and the PCI quiesce/reset hooks) while the I/O thread runs.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus.h"
#include "guest-mem.h"
#include "net-backend.h"
#include "pci-msix.h"
#include "pci.h"
#include "virtio-net.h"
#include "virtio-pci.h"
#include "vm.h"

#define BIT(n) (1ULL << (n))

/* ---------------------------------------------------------------------------
 * A fake back-end behind the real dispatch of net-backend.c (its checks and
 * counters apply).
 * ------------------------------------------------------------------------- */

#define FAKE_QLEN 64

struct fake_frame {
	uint8_t *data;
	size_t len;
};

struct fake_be {
	struct net_backend be;
	pthread_mutex_t lock;
	struct fake_frame rx[FAKE_QLEN];   /* frames waiting for the guest */
	unsigned rx_head, rx_count;
	struct fake_frame tx[FAKE_QLEN];   /* frames the guest sent, in order */
	unsigned tx_count;
	uint64_t tx_total;
	size_t endless_rx;                 /* > 0: an endless stream of frames this long */
	unsigned offloads;
};

static struct fake_be *to_fake(struct net_backend *be)
{
	return be->priv;
}

static size_t iov_total(const struct iovec *iov, int n)
{
	size_t t = 0;

	for (int i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

static void fake_signal(struct fake_be *f, bool readable)
{
	uint64_t v = 1;

	if (readable)
		assert_int_equal(write(f->be.poll_fd, &v, 8), 8);
	else if (read(f->be.poll_fd, &v, 8) < 0)
		v = 0;
}

static ssize_t fake_send(struct net_backend *be, const struct iovec *iov, int n)
{
	struct fake_be *f = to_fake(be);
	size_t len = iov_total(iov, n), off = 0;

	pthread_mutex_lock(&f->lock);
	f->tx_total++;
	if (f->tx_count < FAKE_QLEN) {
		struct fake_frame *fr = &f->tx[f->tx_count++];

		fr->data = malloc(len ? len : 1);
		fr->len = len;
		for (int i = 0; i < n; i++) {
			memcpy(fr->data + off, iov[i].iov_base, iov[i].iov_len);
			off += iov[i].iov_len;
		}
	}
	pthread_mutex_unlock(&f->lock);
	return len;
}

static void copy_to_iov(const struct iovec *iov, int n, const uint8_t *src, size_t len)
{
	for (int i = 0; i < n && len; i++) {
		size_t take = MIN(len, iov[i].iov_len);

		memcpy(iov[i].iov_base, src, take);
		src += take;
		len -= take;
	}
}

static ssize_t fake_recv(struct net_backend *be, const struct iovec *iov, int n)
{
	struct fake_be *f = to_fake(be);
	struct fake_frame *fr;
	ssize_t ret;

	pthread_mutex_lock(&f->lock);
	if (f->endless_rx) {
		uint8_t buf[2048];

		memset(buf, 0x5a, sizeof(buf));
		memset(buf, 0, VIRTIO_NET_HDR_LEN);
		ret = f->endless_rx <= iov_total(iov, n) ? (ssize_t)f->endless_rx : -EMSGSIZE;
		if (ret > 0)
			copy_to_iov(iov, n, buf, ret);
		pthread_mutex_unlock(&f->lock);
		return ret;
	}
	if (!f->rx_count) {
		pthread_mutex_unlock(&f->lock);
		return -EAGAIN;
	}
	fr = &f->rx[f->rx_head];
	ret = fr->len <= iov_total(iov, n) ? (ssize_t)fr->len : -EMSGSIZE;
	if (ret > 0)
		copy_to_iov(iov, n, fr->data, fr->len);
	free(fr->data);
	f->rx_head = (f->rx_head + 1) % FAKE_QLEN;
	if (!--f->rx_count)
		fake_signal(f, false);
	pthread_mutex_unlock(&f->lock);
	return ret;
}

static ssize_t fake_peek_len(struct net_backend *be)
{
	struct fake_be *f = to_fake(be);
	ssize_t len;

	pthread_mutex_lock(&f->lock);
	len = f->endless_rx ? (ssize_t)f->endless_rx :
	      f->rx_count ? (ssize_t)f->rx[f->rx_head].len : 0;
	pthread_mutex_unlock(&f->lock);
	return len;
}

static int fake_set_vnet_hdr(struct net_backend *be, bool on)
{
	if (on && !(be->caps & NET_BE_CAP_VNET_HDR))
		return -EOPNOTSUPP;
	be->vnet_hdr = on;
	return 0;
}

static int fake_set_offloads(struct net_backend *be, unsigned offloads)
{
	to_fake(be)->offloads = offloads;
	return 0;
}

/* The back-end's close op: everything but the struct, which net_backend_close() frees. */
static void fake_close(struct net_backend *be)
{
	struct fake_be *f = to_fake(be);

	for (unsigned i = 0; i < f->tx_count; i++)
		free(f->tx[i].data);
	for (unsigned i = 0; i < f->rx_count; i++)
		free(f->rx[(f->rx_head + i) % FAKE_QLEN].data);
	close(f->be.poll_fd);
	pthread_mutex_destroy(&f->lock);
}

static const struct net_backend_ops fake_ops = {
	.name = "fake",
	.close = fake_close,
	.send = fake_send,
	.recv = fake_recv,
	.peek_len = fake_peek_len,
	.set_vnet_hdr = fake_set_vnet_hdr,
	.set_offloads = fake_set_offloads,
};

static struct fake_be *fake_new(bool vnet_hdr)
{
	struct fake_be *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	pthread_mutex_init(&f->lock, NULL);
	f->be.ops = &fake_ops;
	f->be.priv = f;
	f->be.caps = vnet_hdr ? NET_BE_CAP_VNET_HDR : 0;
	f->be.link_up = true;
	f->be.poll_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(f->be.poll_fd >= 0);
	return f;
}

static void fake_free(struct fake_be *f)
{
	net_backend_close(&f->be);
}

static void fake_queue_rx(struct fake_be *f, const void *data, size_t len)
{
	struct fake_frame *fr;

	pthread_mutex_lock(&f->lock);
	assert_true(f->rx_count < FAKE_QLEN);
	fr = &f->rx[(f->rx_head + f->rx_count++) % FAKE_QLEN];
	fr->data = malloc(len);
	fr->len = len;
	memcpy(fr->data, data, len);
	fake_signal(f, true);
	pthread_mutex_unlock(&f->lock);
}

/* ---------------------------------------------------------------------------
 * The driver side: guest RAM, register access, queue set-up.
 * ------------------------------------------------------------------------- */

#define RAM_GPA  0x100000ULL
#define RAM_SIZE (4ULL << 20)
#define RING_GPA(q, part) (RAM_GPA + 0x4000 * (q) + 0x1000 * (part))
#define TABLE_GPA (RAM_GPA + 0x80000)
#define RXBUF_GPA (RAM_GPA + 0x100000)
#define TXBUF_GPA (RAM_GPA + 0x200000)
#define BUF_STRIDE 0x1000

static const uint8_t test_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct drv_queue {
	unsigned size;
	uint16_t avail_idx;
	uint16_t used_seen;
};

struct drv {
	struct guest_mem mem;
	uint8_t *ram;
	uint8_t *snap;
	struct fake_be *fake;
	struct pci_device *dev;
	struct drv_queue q[VIRTIO_NET_NUM_QUEUES];
	struct vm *vm;          /* set: the device is plugged and reached through the MMIO bus */
	struct pci_root *root;
};

static uint8_t *gva(struct drv *d, uint64_t gpa)
{
	return d->ram + (gpa - RAM_GPA);
}

static uint64_t bar4(struct drv *d)
{
	return d->dev->bars[VIRTIO_PCI_BAR].addr;
}

static uint64_t rd(struct drv *d, uint64_t off, unsigned len)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;

	if (d->vm)
		assert_true(bus_read(&d->vm->mmio, bar4(d) + off, b, len));
	else
		d->dev->ops->bar_read(d->dev, VIRTIO_PCI_BAR, off, b, len);
	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static void wr(struct drv *d, uint64_t off, unsigned len, uint64_t v)
{
	uint8_t b[8];

	for (unsigned i = 0; i < len; i++)
		b[i] = v >> (8 * i);
	if (d->vm)
		assert_true(bus_write(&d->vm->mmio, bar4(d) + off, b, len));
	else
		d->dev->ops->bar_write(d->dev, VIRTIO_PCI_BAR, off, b, len);
}

static uint8_t status(struct drv *d)
{
	return rd(d, VIRTIO_PCI_COMMON_STATUS, 1);
}

static unsigned find_cap(struct pci_device *dev, uint8_t id, unsigned from)
{
	unsigned off = from ? dev->cfg[from + 1] : dev->cfg[PCI_CAPABILITY_LIST];

	for (; off; off = dev->cfg[off + 1])
		if (dev->cfg[off] == id)
			return off;
	return 0;
}

static void msix_enable(struct drv *d)
{
	unsigned cap = find_cap(d->dev, PCI_CAP_ID_MSIX, 0);

	assert_true(cap);
	pci_device_cfg_write(d->dev, cap + 2, 2, PCI_MSIX_CTRL_ENABLE);
	for (unsigned i = 0; i < pci_msix_nvec(d->dev); i++) {
		uint32_t zero = 0;

		assert_true(pci_msix_bar_access(d->dev, VIRTIO_PCI_MSIX_BAR, 16 * i + 12,
						(uint8_t *)&zero, 4, true));
	}
}

/* Interrupts delivered on vector i since the last call. */
static uint64_t irqs(struct drv *d, unsigned i)
{
	uint64_t n = 0;

	if (read(pci_msix_vector_eventfd(d->dev, i), &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static uint64_t device_features(struct drv *d)
{
	uint64_t f;

	wr(d, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	f = rd(d, VIRTIO_PCI_COMMON_DF, 4);
	wr(d, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	return f | rd(d, VIRTIO_PCI_COMMON_DF, 4) << 32;
}

/* Reset, acknowledge, offer features; whether the device kept FEATURES_OK. */
static bool negotiate(struct drv *d, uint64_t features)
{
	wr(d, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	wr(d, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(d, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(d, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	wr(d, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)features);
	wr(d, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	wr(d, VIRTIO_PCI_COMMON_GF, 4, features >> 32);
	wr(d, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	   VIRTIO_STATUS_FEATURES_OK);
	return status(d) & VIRTIO_STATUS_FEATURES_OK;
}

static void queue_setup(struct drv *d, unsigned q, unsigned size)
{
	memset(gva(d, RING_GPA(q, 0)), 0, 0x3000);
	d->q[q] = (struct drv_queue){ .size = size };
	wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_SIZE, 2), VIRTIO_NET_QUEUE_MAX);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_NOFF, 2), q);
	wr(d, VIRTIO_PCI_COMMON_Q_SIZE, 2, size);
	/* 64-bit addresses in two halves, as Linux writes them. */
	wr(d, VIRTIO_PCI_COMMON_Q_DESC, 4, (uint32_t)RING_GPA(q, 0));
	wr(d, VIRTIO_PCI_COMMON_Q_DESC + 4, 4, RING_GPA(q, 0) >> 32);
	wr(d, VIRTIO_PCI_COMMON_Q_AVAIL, 8, RING_GPA(q, 1));
	wr(d, VIRTIO_PCI_COMMON_Q_USED, 8, RING_GPA(q, 2));
	wr(d, VIRTIO_PCI_COMMON_Q_MSIX, 2, q + 1);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_MSIX, 2), q + 1);
	wr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

static const uint64_t base_features = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) |
				      BIT(VIRTIO_NET_F_STATUS);

/* The whole driver start-up; returns with DRIVER_OK set. */
/* Bus Master Enable as the guest sets it (unplugged: the image and the hook, no BAR decoding). */
static void bus_master(struct drv *d, bool on)
{
	uint16_t cmd = PCI_COMMAND_MEMORY | (on ? PCI_COMMAND_MASTER : 0);

	if (d->vm) {
		pci_device_cfg_write(d->dev, PCI_COMMAND, 2, cmd);
		return;
	}
	memcpy(&d->dev->cfg[PCI_COMMAND], &cmd, 2);
	d->dev->ops->cfg_write(d->dev, PCI_COMMAND, 2, cmd);
}

static void drv_start(struct drv *d, uint64_t features, unsigned qsize)
{
	bus_master(d, true);
	msix_enable(d);
	assert_true(negotiate(d, features));
	wr(d, VIRTIO_PCI_COMMON_MSIX, 2, 0);
	queue_setup(d, VIRTIO_NET_RXQ, qsize);
	queue_setup(d, VIRTIO_NET_TXQ, qsize);
	wr(d, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(status(d), 0x0f);
	for (unsigned i = 0; i < 3; i++)
		irqs(d, i);
}

static void put_desc(uint8_t *table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct virtq_desc desc = { .addr = addr, .len = len, .flags = flags, .next = next };

	memcpy(table + 16 * i, &desc, sizeof(desc));
}

static void desc(struct drv *d, unsigned q, unsigned i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	put_desc(gva(d, RING_GPA(q, 0)), i, addr, len, flags, next);
}

static uint16_t load16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
}

static void avail_post(struct drv *d, unsigned q, uint16_t head)
{
	struct drv_queue *dq = &d->q[q];
	uint8_t *a = gva(d, RING_GPA(q, 1));
	uint16_t h = htole16(head);

	memcpy(a + 4 + 2 * (dq->avail_idx % dq->size), &h, 2);
	dq->avail_idx++;
	__atomic_store_n((uint16_t *)(a + 2), htole16(dq->avail_idx), __ATOMIC_RELEASE);
}

static void used_event_set(struct drv *d, unsigned q, uint16_t v)
{
	memcpy(gva(d, RING_GPA(q, 1)) + 4 + 2 * d->q[q].size, &v, 2);
}

static uint16_t avail_event(struct drv *d, unsigned q)
{
	return load16(gva(d, RING_GPA(q, 2)) + 4 + 8 * d->q[q].size);
}

static uint16_t used_idx(struct drv *d, unsigned q)
{
	return load16(gva(d, RING_GPA(q, 2)) + 2);
}

static void used_elem(struct drv *d, unsigned q, uint16_t i, uint32_t *id, uint32_t *len)
{
	uint32_t e[2];

	memcpy(e, gva(d, RING_GPA(q, 2)) + 4 + 8 * (i % d->q[q].size), 8);
	*id = e[0];
	*len = e[1];
}

static void kick(struct drv *d, unsigned q)
{
	wr(d, VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * q, 2, q);
}

/* Post on queue q a chain of the given buffers (readable) at descriptors 4k..4k+3. */
static void tx_post_on(struct drv *d, unsigned q, const uint64_t *addr, const uint32_t *len,
		       unsigned n)
{
	unsigned head = (d->q[q].avail_idx * 4) % d->q[q].size;

	for (unsigned i = 0; i < n; i++)
		desc(d, q, head + i, addr[i], len[i], i + 1 < n ? VIRTQ_DESC_F_NEXT : 0,
		     head + i + 1);
	avail_post(d, q, head);
}

static void tx_post(struct drv *d, const uint64_t *addr, const uint32_t *len, unsigned n)
{
	tx_post_on(d, 1, addr, len, n);
}

static void rx_post(struct drv *d, uint64_t addr, uint32_t len)
{
	unsigned i = d->q[0].avail_idx % d->q[0].size;

	desc(d, 0, i, addr, len, VIRTQ_DESC_F_WRITE, 0);
	avail_post(d, 0, i);
}

static void fill_pattern(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = seed + i * 7;
}

static struct drv *drv_new(bool vnet_hdr, bool io_thread)
{
	struct drv *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	d->ram = calloc(1, RAM_SIZE);
	d->snap = malloc(RAM_SIZE);
	assert_non_null(d->ram);
	assert_non_null(d->snap);
	assert_int_equal(guest_mem_add(&d->mem, RAM_GPA, RAM_SIZE, d->ram, -1, 0), 0);
	d->fake = fake_new(vnet_hdr);
	assert_int_equal(virtio_net_new(&d->mem, &d->fake->be, test_mac, io_thread, &d->dev), 0);
	return d;
}

static void drv_free(struct drv *d)
{
	d->dev->ops->quiesce(d->dev);
	d->dev->ops->teardown(d->dev);
	fake_free(d->fake);
	free(d->ram);
	free(d->snap);
	free(d);
}

static struct virtio_net_stats stats(struct drv *d)
{
	struct virtio_net_stats s;

	virtio_net_stats_get(d->dev, &s);
	return s;
}

static struct virtio_pci_stats tstats(struct drv *d)
{
	struct virtio_pci_stats s;

	virtio_pci_stats_get(d->dev->priv, &s);
	return s;
}

/* ---------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------- */

static void test_identity(void **state)
{
	struct drv *d = drv_new(false, false);
	struct pci_device *dev = d->dev;
	unsigned seen = 0, off = 0;
	uint32_t v;

	(void)state;
	assert_int_equal(pci_device_cfg_read(dev, PCI_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(pci_device_cfg_read(dev, PCI_DEVICE_ID, 2), 0x1041);
	assert_int_equal(pci_device_cfg_read(dev, PCI_REVISION_ID, 1), 1);
	assert_int_equal(pci_device_cfg_read(dev, PCI_CLASS_PROG, 4) & 0xffffff, 0x020000);
	assert_int_equal(pci_msix_nvec(dev), VIRTIO_NET_NUM_QUEUES + 1);
	while ((off = find_cap(dev, PCI_CAP_ID_VNDR, off))) {
		uint8_t type = dev->cfg[off + 3];

		memcpy(&v, &dev->cfg[off + 8], 4);
		seen |= 1u << type;
		if (type == VIRTIO_PCI_CAP_PCI_CFG)
			assert_int_equal(dev->cfg[off + 2], 20);
		else
			assert_int_equal(dev->cfg[off + 4], VIRTIO_PCI_BAR);
		if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
			assert_int_equal(dev->cfg[off + 2], 20);
			assert_int_equal(v, VIRTIO_PCI_NOTIFY_OFF);
			memcpy(&v, &dev->cfg[off + 16], 4);
			assert_int_equal(v, 4);
		} else if (type == VIRTIO_PCI_CAP_COMMON_CFG) {
			assert_int_equal(v, VIRTIO_PCI_COMMON_OFF);
			memcpy(&v, &dev->cfg[off + 12], 4);
			assert_int_equal(v, VIRTIO_PCI_COMMON_SIZE);
		}
	}
	assert_int_equal(seen, 0x3e);
	/* Device configuration: MAC, link up, one queue pair. */
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(rd(d, VIRTIO_PCI_DEVICE_OFF + i, 1), test_mac[i]);
	assert_int_equal(rd(d, VIRTIO_PCI_DEVICE_OFF + VIRTIO_NET_CFG_STATUS, 2),
			 VIRTIO_NET_S_LINK_UP);
	d->fake->be.link_up = false;
	assert_int_equal(rd(d, VIRTIO_PCI_DEVICE_OFF + VIRTIO_NET_CFG_STATUS, 2), 0);
	assert_int_equal(rd(d, VIRTIO_PCI_DEVICE_OFF + VIRTIO_NET_CFG_MAX_VQP, 2),
			 VIRTIO_NET_MAX_PAIRS);
	assert_int_equal(rd(d, VIRTIO_PCI_DEVICE_OFF + 0x100, 4), 0);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_NUMQ, 2), VIRTIO_NET_NUM_QUEUES);
	drv_free(d);
}

/* BAR4 through the PCI_CFG capability, and what it refuses. */
static void test_pci_cfg_window(void **state)
{
	struct drv *d = drv_new(false, false);
	struct pci_device *dev = d->dev;
	unsigned cap = 0, data;
	uint64_t bad;

	(void)state;
	do
		cap = find_cap(dev, PCI_CAP_ID_VNDR, cap);
	while (cap && dev->cfg[cap + 3] != VIRTIO_PCI_CAP_PCI_CFG);
	assert_true(cap);
	data = cap + 16;
	pci_device_cfg_write(dev, cap + 4, 1, VIRTIO_PCI_BAR);
	pci_device_cfg_write(dev, cap + 8, 4, VIRTIO_PCI_COMMON_NUMQ);
	pci_device_cfg_write(dev, cap + 12, 4, 2);
	assert_int_equal(pci_device_cfg_read(dev, data, 4) & 0xffff, VIRTIO_NET_NUM_QUEUES);
	pci_device_cfg_write(dev, cap + 8, 4, VIRTIO_PCI_COMMON_STATUS);
	pci_device_cfg_write(dev, cap + 12, 4, 1);
	pci_device_cfg_write(dev, data, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(status(d), VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(pci_device_cfg_read(dev, data, 1), VIRTIO_STATUS_ACKNOWLEDGE);
	/* Illegal lengths, misaligned or out-of-BAR offsets, another BAR: no access. */
	bad = tstats(d).bad_access;
	pci_device_cfg_write(dev, cap + 12, 4, 3);
	pci_device_cfg_write(dev, data, 1, 0);
	pci_device_cfg_write(dev, cap + 12, 4, 2);
	pci_device_cfg_write(dev, cap + 8, 4, VIRTIO_PCI_COMMON_STATUS + 1);
	pci_device_cfg_write(dev, data, 2, 0);
	pci_device_cfg_write(dev, cap + 8, 4, 0xfffffffe);
	pci_device_cfg_write(dev, data, 2, 0);
	pci_device_cfg_write(dev, cap + 8, 4, VIRTIO_PCI_COMMON_STATUS);
	pci_device_cfg_write(dev, cap + 12, 4, 1);
	pci_device_cfg_write(dev, cap + 4, 1, 1);
	pci_device_cfg_write(dev, data, 1, 0);
	assert_int_equal(tstats(d).bad_access, bad + 4);
	assert_int_equal(status(d), VIRTIO_STATUS_ACKNOWLEDGE);
	drv_free(d);
}

static void test_features(void **state)
{
	const uint64_t offloads = BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
				  BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |
				  BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6);
	const uint64_t always = base_features | BIT(VIRTIO_NET_F_MRG_RXBUF) |
				BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_RING_F_INDIRECT_DESC) |
				BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_MQ);
	struct drv *d = drv_new(false, false), *h = drv_new(true, false);

	(void)state;
	assert_int_equal(device_features(d), always);
	assert_int_equal(device_features(h), always | offloads);
	assert_true(h->fake->be.vnet_hdr);
	assert_false(d->fake->be.vnet_hdr);
	/* Refused: something not offered, no VERSION_1, TSO without its checksum feature. */
	assert_false(negotiate(d, base_features | BIT(VIRTIO_NET_F_CSUM)));
	assert_false(negotiate(d, base_features | BIT(40)));
	assert_false(negotiate(d, BIT(VIRTIO_NET_F_MAC)));
	assert_false(negotiate(h, base_features | BIT(VIRTIO_NET_F_HOST_TSO4)));
	assert_false(negotiate(h, base_features | BIT(VIRTIO_NET_F_GUEST_TSO6)));
	assert_false(negotiate(h, base_features | BIT(VIRTIO_NET_F_MQ)));
	assert_true(negotiate(h, always | offloads));
	/* Once FEATURES_OK is set the driver's features are frozen. */
	wr(h, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	wr(h, VIRTIO_PCI_COMMON_GF, 4, 0);
	assert_int_equal(rd(h, VIRTIO_PCI_COMMON_GF, 4), (uint32_t)(always | offloads));
	/* Feature words past the second read as 0. */
	wr(h, VIRTIO_PCI_COMMON_DFSELECT, 4, 7);
	assert_int_equal(rd(h, VIRTIO_PCI_COMMON_DF, 4), 0);
	/* DRIVER_OK hands the guest's receive offloads to the back-end. */
	wr(h, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
	assert_int_equal(h->fake->offloads,
			 NET_BE_OFFLOAD_CSUM | NET_BE_OFFLOAD_TSO4 | NET_BE_OFFLOAD_TSO6);
	drv_free(d);
	drv_free(h);
}

static void test_status_machine(void **state)
{
	struct drv *d = drv_new(false, false);

	(void)state;
	/* DRIVER_OK without FEATURES_OK is refused. */
	wr(d, VIRTIO_PCI_COMMON_STATUS, 1, 0x07);
	assert_int_equal(status(d), 0x03);
	assert_true(tstats(d).bad_status >= 1);
	assert_true(negotiate(d, base_features));
	/* Bits cannot be cleared except by writing 0; NEEDS_RESET is the device's. */
	wr(d, VIRTIO_PCI_COMMON_STATUS, 1, 0x01);
	assert_int_equal(status(d), 0x0b);
	wr(d, VIRTIO_PCI_COMMON_STATUS, 1, 0x4b);
	assert_int_equal(status(d), 0x0b);
	queue_setup(d, 0, 16);
	wr(d, VIRTIO_PCI_COMMON_MSIX, 2, 0);
	wr(d, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
	assert_int_equal(status(d), 0x0f);
	/* Reset: everything back to power-on values. */
	wr(d, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	assert_int_equal(status(d), 0);
	wr(d, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_GF, 4), 0);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_SIZE, 2), VIRTIO_NET_QUEUE_MAX);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_DESC, 8), 0);
	drv_free(d);
}

static void test_registers_hostile(void **state)
{
	struct drv *d = drv_new(false, false);
	uint64_t v;

	(void)state;
	assert_true(negotiate(d, base_features));
	/* A queue index past the last queue: reads 0, writes and enables go nowhere. */
	wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, VIRTIO_NET_NUM_QUEUES);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	wr(d, VIRTIO_PCI_COMMON_Q_DESC, 8, RING_GPA(0, 0));
	wr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0xffff);
	wr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_DESC, 8), 0);
	/* Doorbells of queues that do not exist, and unaligned ones. */
	v = tstats(d).bad_notify;
	kick(d, VIRTIO_NET_NUM_QUEUES);
	kick(d, 1000);
	wr(d, VIRTIO_PCI_NOTIFY_OFF + 1, 1, 0);
	assert_int_equal(tstats(d).bad_notify, v + 3);
	assert_int_equal(read(virtio_pci_kick_fd(d->dev->priv, 1), &v, 8), -1);
	/* Accesses across two registers, past the common window, into the gap. */
	v = tstats(d).bad_access;
	wr(d, VIRTIO_PCI_COMMON_STATUS, 4, 0);
	assert_int_equal(status(d), 0x0b);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_SELECT - 1, 4), 0);
	wr(d, VIRTIO_PCI_COMMON_SIZE, 4, 0xffffffff);
	wr(d, 0x800, 4, 0xffffffff);
	assert_int_equal(tstats(d).bad_access, v + 4);
	/* MSI-X vectors past the table read back as NO_VECTOR. */
	wr(d, VIRTIO_PCI_COMMON_MSIX, 2, VIRTIO_NET_NUM_QUEUES + 1);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	wr(d, VIRTIO_PCI_COMMON_MSIX, 2, VIRTIO_NET_NUM_QUEUES);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_NET_NUM_QUEUES);
	wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	wr(d, VIRTIO_PCI_COMMON_Q_MSIX, 2, 0x8000);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	/* Other BARs and a write to the ISR do nothing. */
	wr(d, VIRTIO_PCI_ISR_OFF, 1, 0xff);
	d->dev->ops->bar_write(d->dev, 0, 0, (const uint8_t *)"\xff", 1);
	assert_int_equal(status(d), 0x0b);
	drv_free(d);
}

/* Queue sizes 0, 3 and past the maximum, and rings outside RAM: NEEDS_RESET at enable. */
static void test_queue_setup_hostile(void **state)
{
	static const struct { unsigned size; uint64_t desc; } bad[] = {
		{ 0, RING_GPA(0, 0) }, { 3, RING_GPA(0, 0) }, { 512, RING_GPA(0, 0) },
		{ 16, 0 }, { 16, RAM_GPA + RAM_SIZE - 16 }, { 16, RING_GPA(0, 0) + 8 },
	};
	struct drv *d = drv_new(false, false);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		msix_enable(d);
		assert_true(negotiate(d, base_features));
		wr(d, VIRTIO_PCI_COMMON_MSIX, 2, 0);
		wr(d, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
		irqs(d, 0);
		wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
		wr(d, VIRTIO_PCI_COMMON_Q_SIZE, 2, bad[i].size);
		wr(d, VIRTIO_PCI_COMMON_Q_DESC, 8, bad[i].desc);
		wr(d, VIRTIO_PCI_COMMON_Q_AVAIL, 8, RING_GPA(0, 1));
		wr(d, VIRTIO_PCI_COMMON_Q_USED, 8, RING_GPA(0, 2));
		wr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
		assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
		assert_true(status(d) & VIRTIO_STATUS_NEEDS_RESET);
		assert_int_equal(irqs(d, 0), 1);
	}
	/* Size 1 is a legal ring. */
	assert_true(negotiate(d, base_features));
	wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	wr(d, VIRTIO_PCI_COMMON_Q_SIZE, 2, 1);
	wr(d, VIRTIO_PCI_COMMON_Q_DESC, 8, RING_GPA(0, 0));
	wr(d, VIRTIO_PCI_COMMON_Q_AVAIL, 8, RING_GPA(0, 1));
	wr(d, VIRTIO_PCI_COMMON_Q_USED, 8, RING_GPA(0, 2));
	wr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	assert_false(status(d) & VIRTIO_STATUS_NEEDS_RESET);
	/* Ring addresses are frozen while the queue is enabled. */
	wr(d, VIRTIO_PCI_COMMON_Q_DESC, 8, 0);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_Q_DESC, 8), RING_GPA(0, 0));
	drv_free(d);
}

static void tx_check(bool vnet_hdr)
{
	struct drv *d = drv_new(vnet_hdr, false);
	uint64_t f = base_features | (vnet_hdr ? BIT(VIRTIO_NET_F_CSUM) : 0);
	struct virtio_net_hdr_v1 hdr = { 0 };
	uint8_t *buf = gva(d, TXBUF_GPA), frame[1000];
	/* The header split 5 + 7, the frame over two more buffers. */
	uint64_t addr[4] = { TXBUF_GPA, TXBUF_GPA + 0x100, TXBUF_GPA + 0x200, TXBUF_GPA + 0x800 };
	uint32_t len[4] = { 5, 7, 600, 400 }, id, ulen;
	size_t hl = vnet_hdr ? VIRTIO_NET_HDR_LEN : 0;

	drv_start(d, f, 16);
	fill_pattern(frame, sizeof(frame), 3);
	if (vnet_hdr) {
		hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		hdr.csum_start = htole16(34);
		hdr.csum_offset = htole16(16);
	}
	memcpy(buf, &hdr, 5);
	memcpy(buf + 0x100, (uint8_t *)&hdr + 5, 7);
	memcpy(buf + 0x200, frame, 600);
	memcpy(buf + 0x800, frame + 600, 400);
	tx_post(d, addr, len, 4);
	kick(d, 1);
	virtio_net_run_once(d->dev);
	assert_int_equal(used_idx(d, 1), 1);
	used_elem(d, 1, 0, &id, &ulen);
	assert_int_equal(id, 0);
	assert_int_equal(ulen, 0);
	assert_int_equal(d->fake->tx_count, 1);
	assert_int_equal(d->fake->tx[0].len, hl + sizeof(frame));
	if (vnet_hdr)
		assert_memory_equal(d->fake->tx[0].data, &hdr, hl);
	assert_memory_equal(d->fake->tx[0].data + hl, frame, sizeof(frame));
	assert_int_equal(irqs(d, 2), 1);
	assert_int_equal(stats(d).tx_frames, 1);
	drv_free(d);
}

static void test_tx(void **state)
{
	(void)state;
	tx_check(false);
	tx_check(true);
}

/* Headers asking for what was not negotiated, or pointing past the frame: dropped, counted. */
static void test_tx_hostile_header(void **state)
{
	struct drv *d = drv_new(true, false);
	struct virtio_net_hdr_v1 bad[] = {
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 90, .csum_offset = 9 },
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 0xffff,
		  .csum_offset = 0xffff },
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = VIRTIO_NET_HDR_GSO_TCPV6,
		  .gso_size = 1400, .hdr_len = 54 },           /* TSO6 not negotiated */
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = VIRTIO_NET_HDR_GSO_UDP,
		  .gso_size = 1400 },
		{ .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1400 }, /* GSO without csum */
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
		  .gso_size = 0 },
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4 |
		  VIRTIO_NET_HDR_GSO_ECN, .gso_size = 1400 },
	};
	uint64_t addr[2] = { TXBUF_GPA, TXBUF_GPA + 0x100 };
	uint32_t len[2] = { VIRTIO_NET_HDR_LEN, 100 };

	(void)state;
	drv_start(d, base_features | BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4), 64);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		addr[0] = TXBUF_GPA + (i + 1) * BUF_STRIDE;
		memcpy(gva(d, addr[0]), &bad[i], sizeof(bad[i]));
		tx_post(d, addr, len, 2);
	}
	addr[0] = TXBUF_GPA;
	/* Shorter than a header, and a zero-length chain. */
	len[0] = 11;
	tx_post(d, addr, len, 1);
	len[0] = 0;
	tx_post(d, addr, len, 1);
	/* num_buffers from the guest on transmit is ignored (not passed on). */
	memcpy(gva(d, TXBUF_GPA), &(struct virtio_net_hdr_v1){ .num_buffers = 0x7777 }, 12);
	len[0] = VIRTIO_NET_HDR_LEN;
	tx_post(d, addr, len, 2);
	kick(d, 1);
	virtio_net_run_once(d->dev);
	assert_int_equal(used_idx(d, 1), ARRAY_SIZE(bad) + 3);
	assert_int_equal(stats(d).tx_dropped, ARRAY_SIZE(bad) + 2);
	assert_int_equal(d->fake->tx_count, 1);
	assert_int_equal(((struct virtio_net_hdr_v1 *)d->fake->tx[0].data)->num_buffers, 0);
	assert_false(status(d) & VIRTIO_STATUS_NEEDS_RESET);
	drv_free(d);
}

static void rx_check(bool vnet_hdr)
{
	struct drv *d = drv_new(vnet_hdr, false);
	uint8_t frame[1514 + VIRTIO_NET_HDR_LEN], *buf = gva(d, RXBUF_GPA);
	size_t hl = vnet_hdr ? VIRTIO_NET_HDR_LEN : 0, flen = 1514;
	struct virtio_net_hdr_v1 hdr;
	uint32_t id, len;

	drv_start(d, base_features | BIT(VIRTIO_NET_F_MRG_RXBUF), 16);
	memset(frame, 0, hl);
	if (vnet_hdr)
		frame[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	fill_pattern(frame + hl, flen, 9);
	fake_queue_rx(d->fake, frame, hl + flen);
	rx_post(d, RXBUF_GPA, 2048);
	rx_post(d, RXBUF_GPA + BUF_STRIDE, 2048);
	memset(buf + 2048, 0xee, BUF_STRIDE - 2048);
	memcpy(d->snap, d->ram, RAM_SIZE);
	kick(d, 0);
	virtio_net_run_once(d->dev);
	assert_int_equal(used_idx(d, 0), 1);
	used_elem(d, 0, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, VIRTIO_NET_HDR_LEN + flen);
	memcpy(&hdr, buf, sizeof(hdr));
	assert_int_equal(le16toh(hdr.num_buffers), 1);
	assert_int_equal(hdr.flags, vnet_hdr ? VIRTIO_NET_HDR_F_DATA_VALID : 0);
	assert_memory_equal(buf + VIRTIO_NET_HDR_LEN, frame + hl, flen);
	/* Nothing written past the frame, in the second buffer, or anywhere but the used ring. */
	assert_memory_equal(buf + VIRTIO_NET_HDR_LEN + flen,
			    d->snap + (RXBUF_GPA - RAM_GPA) + VIRTIO_NET_HDR_LEN + flen,
			    0x10000 - VIRTIO_NET_HDR_LEN - flen);
	assert_memory_equal(d->ram + 0x3000, d->snap + 0x3000, RXBUF_GPA - RAM_GPA - 0x3000);
	assert_int_equal(irqs(d, 1), 1);
	assert_int_equal(stats(d).rx_frames, 1);
	drv_free(d);
}

static void test_rx(void **state)
{
	(void)state;
	rx_check(false);
	rx_check(true);
}

/* A receive chain whose header is split 5 + 7 and whose frame spans an indirect table. */
static void test_rx_split_header(void **state)
{
	struct drv *d = drv_new(false, false);
	uint8_t frame[1500], *t = gva(d, TABLE_GPA), got[1500];
	struct virtio_net_hdr_v1 hdr;
	uint32_t id, len;

	(void)state;
	drv_start(d, base_features | BIT(VIRTIO_RING_F_INDIRECT_DESC), 16);
	put_desc(t, 0, RXBUF_GPA, 5, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	put_desc(t, 1, RXBUF_GPA + 0x100, 7, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	put_desc(t, 2, RXBUF_GPA + 0x1000, 1000, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
	put_desc(t, 3, RXBUF_GPA + 0x2000, 1000, VIRTQ_DESC_F_WRITE, 0);
	desc(d, 0, 7, TABLE_GPA, 4 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_post(d, 0, 7);
	fill_pattern(frame, sizeof(frame), 11);
	fake_queue_rx(d->fake, frame, sizeof(frame));
	virtio_net_run_once(d->dev);
	assert_int_equal(used_idx(d, 0), 1);
	used_elem(d, 0, 0, &id, &len);
	assert_int_equal(id, 7);
	assert_int_equal(len, VIRTIO_NET_HDR_LEN + sizeof(frame));
	memcpy(&hdr, gva(d, RXBUF_GPA), 5);
	memcpy((uint8_t *)&hdr + 5, gva(d, RXBUF_GPA + 0x100), 7);
	assert_int_equal(le16toh(hdr.num_buffers), 1);
	memcpy(got, gva(d, RXBUF_GPA + 0x1000), 1000);
	memcpy(got + 1000, gva(d, RXBUF_GPA + 0x2000), 500);
	assert_memory_equal(got, frame, sizeof(frame));
	drv_free(d);
}

/* A 3000-byte frame over 1024-byte buffers: three buffers, num_buffers 3, bytes in order. */
static void test_rx_mergeable(void **state)
{
	struct drv *d = drv_new(false, false);
	uint8_t frame[3000], got[3000 + VIRTIO_NET_HDR_LEN];
	struct virtio_net_hdr_v1 hdr;
	size_t off = 0;
	uint32_t id, len;

	(void)state;
	drv_start(d, base_features | BIT(VIRTIO_NET_F_MRG_RXBUF), 16);
	for (unsigned i = 0; i < 8; i++)
		rx_post(d, RXBUF_GPA + i * BUF_STRIDE, 1024);
	fill_pattern(frame, sizeof(frame), 1);
	fake_queue_rx(d->fake, frame, sizeof(frame));
	fake_queue_rx(d->fake, frame, 60);
	virtio_net_run_once(d->dev);
	assert_int_equal(used_idx(d, 0), 4);
	for (unsigned i = 0; i < 3; i++) {
		used_elem(d, 0, i, &id, &len);
		assert_int_equal(id, i);
		assert_int_equal(len, i < 2 ? 1024 : 3012 - 2048);
		memcpy(got + off, gva(d, RXBUF_GPA + i * BUF_STRIDE), len);
		off += len;
	}
	memcpy(&hdr, got, sizeof(hdr));
	assert_int_equal(le16toh(hdr.num_buffers), 3);
	assert_memory_equal(got + VIRTIO_NET_HDR_LEN, frame, sizeof(frame));
	/* The next frame starts in the next buffer. */
	used_elem(d, 0, 3, &id, &len);
	assert_int_equal(id, 3);
	assert_int_equal(len, 72);
	memcpy(&hdr, gva(d, RXBUF_GPA + 3 * BUF_STRIDE), sizeof(hdr));
	assert_int_equal(le16toh(hdr.num_buffers), 1);
	/* One interrupt for the whole pass. */
	assert_int_equal(irqs(d, 1), 1);
	drv_free(d);
}

/* Without MRG_RXBUF a frame larger than the buffer is dropped and the buffer kept. */
static void test_rx_too_small(void **state)
{
	struct drv *d = drv_new(false, false);
	uint8_t frame[600] = { 1 };

	(void)state;
	drv_start(d, base_features, 16);
	rx_post(d, RXBUF_GPA, 512);
	fake_queue_rx(d->fake, frame, sizeof(frame));
	fake_queue_rx(d->fake, frame, 100);
	virtio_net_run_once(d->dev);
	assert_int_equal(stats(d).rx_dropped, 1);
	assert_int_equal(used_idx(d, 0), 1);
	assert_int_equal(stats(d).rx_frames, 1);
	drv_free(d);
}

/* No buffers: receive stops and waits for the guest's kick; the avail event asks for it. */
static void test_rx_no_buffers(void **state)
{
	struct drv *d = drv_new(false, false);
	uint8_t frame[64] = { 2 };

	(void)state;
	drv_start(d, base_features | BIT(VIRTIO_RING_F_EVENT_IDX), 16);
	fake_queue_rx(d->fake, frame, sizeof(frame));
	virtio_net_run_once(d->dev);
	assert_int_equal(stats(d).rx_no_buffers, 1);
	assert_int_equal(used_idx(d, 0), 0);
	assert_int_equal(avail_event(d, 0), 0);
	rx_post(d, RXBUF_GPA, 2048);
	virtio_net_run_once(d->dev);
	assert_int_equal(used_idx(d, 0), 1);
	assert_int_equal(stats(d).rx_frames, 1);
	drv_free(d);
}

/* The driver's side of event-index suppression (virtio 2.7.7.2). */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

static void test_event_idx(void **state)
{
	struct drv *d = drv_new(false, false);
	uint64_t addr[1] = { TXBUF_GPA };
	uint32_t len[1] = { 100 };
	unsigned kicks = 0;

	(void)state;
	drv_start(d, base_features | BIT(VIRTIO_RING_F_EVENT_IDX), 256);
	/* The guest wants an interrupt only once 10 frames are done. */
	used_event_set(d, 1, 9);
	for (unsigned burst = 0; burst < 5; burst++) {
		for (unsigned i = 0; i < 20; i++) {
			uint16_t old = d->q[1].avail_idx;

			tx_post(d, addr, len, 1);
			kicks += need_event(avail_event(d, 1), d->q[1].avail_idx, old);
		}
		virtio_net_run_once(d->dev);
	}
	/* One kick per burst (the first post after the device went idle), not per frame. */
	assert_int_equal(kicks, 5);
	assert_int_equal(used_idx(d, 1), 100);
	assert_int_equal(d->fake->tx_total, 100);
	/* One interrupt: only the pass that crossed used_event. */
	assert_int_equal(irqs(d, 2), 1);
	assert_int_equal(stats(d).interrupts, 1);
	drv_free(d);
}

/* Buffers posted but too few for the frame: no spinning, a kick asked for on the next post. */
static void test_rx_partial_buffers(void **state)
{
	struct drv *d = drv_new(false, false);
	uint8_t frame[3000];

	(void)state;
	drv_start(d, base_features | BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_RING_F_EVENT_IDX),
		  16);
	fill_pattern(frame, sizeof(frame), 5);
	fake_queue_rx(d->fake, frame, sizeof(frame));
	rx_post(d, RXBUF_GPA, 1024);
	rx_post(d, RXBUF_GPA + BUF_STRIDE, 1024);
	virtio_net_run_once(d->dev);
	assert_int_equal(used_idx(d, 0), 0);
	assert_int_equal(stats(d).rx_no_buffers, 1);
	/* The guest's next post (index 2) must kick. */
	assert_int_equal(avail_event(d, 0), 2);
	assert_true(need_event(avail_event(d, 0), 3, 2));
	rx_post(d, RXBUF_GPA + 2 * BUF_STRIDE, 1024);
	virtio_net_run_once(d->dev);
	assert_int_equal(used_idx(d, 0), 3);
	assert_int_equal(stats(d).rx_frames, 1);
	drv_free(d);
}

/* Without EVENT_IDX the flags rule: NO_INTERRUPT suppresses, NO_NOTIFY is set while busy. */
static void test_no_event_idx(void **state)
{
	struct drv *d = drv_new(false, false);
	uint64_t addr[1] = { TXBUF_GPA };
	uint32_t len[1] = { 100 };
	uint16_t no_irq = VIRTQ_AVAIL_F_NO_INTERRUPT;

	(void)state;
	drv_start(d, base_features, 16);
	memcpy(gva(d, RING_GPA(1, 1)), &no_irq, 2);
	tx_post(d, addr, len, 1);
	virtio_net_run_once(d->dev);
	assert_int_equal(used_idx(d, 1), 1);
	assert_int_equal(irqs(d, 2), 0);
	memset(gva(d, RING_GPA(1, 1)), 0, 2);
	tx_post(d, addr, len, 1);
	tx_post(d, addr, len, 1);
	virtio_net_run_once(d->dev);
	assert_int_equal(irqs(d, 2), 1);
	drv_free(d);
}

static void expect_needs_reset(struct drv *d, unsigned q)
{
	uint64_t addr[1] = { TXBUF_GPA };
	uint32_t len[1] = { 100 };
	uint16_t before;

	kick(d, q);
	virtio_net_run_once(d->dev);
	assert_true(status(d) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(irqs(d, 0), 1);
	/* The queue has stopped: later chains stay where they are. */
	before = used_idx(d, 1);
	tx_post(d, addr, len, 1);
	virtio_net_run_once(d->dev);
	assert_int_equal(used_idx(d, 1), before);
	/* A reset and a new start-up bring it back. */
	drv_start(d, base_features, 16);
	tx_post(d, addr, len, 1);
	virtio_net_run_once(d->dev);
	assert_int_equal(used_idx(d, 1), 1);
}

static void test_needs_reset(void **state)
{
	struct drv *d = drv_new(false, false);

	(void)state;
	/* A descriptor loop on transmit. */
	drv_start(d, base_features, 16);
	desc(d, 1, 0, TXBUF_GPA, 100, VIRTQ_DESC_F_NEXT, 1);
	desc(d, 1, 1, TXBUF_GPA, 100, VIRTQ_DESC_F_NEXT, 0);
	avail_post(d, 1, 0);
	expect_needs_reset(d, 1);
	/* A transmit chain with a writable buffer. */
	desc(d, 1, 4, TXBUF_GPA, 100, VIRTQ_DESC_F_WRITE, 0);
	avail_post(d, 1, 4);
	expect_needs_reset(d, 1);
	/* A receive buffer out of RAM. */
	drv_start(d, base_features, 16);
	fake_queue_rx(d->fake, "frame", 5);
	desc(d, 0, 0, 0xfee00000, 2048, VIRTQ_DESC_F_WRITE, 0);
	avail_post(d, 0, 0);
	expect_needs_reset(d, 0);
	/* A readable receive buffer, and one too small for a header. */
	fake_queue_rx(d->fake, "frame", 5);
	desc(d, 0, 0, RXBUF_GPA, 2048, 0, 0);
	avail_post(d, 0, 0);
	expect_needs_reset(d, 0);
	fake_queue_rx(d->fake, "frame", 5);
	desc(d, 0, 0, RXBUF_GPA, 11, VIRTQ_DESC_F_WRITE, 0);
	avail_post(d, 0, 0);
	expect_needs_reset(d, 0);
	/* The avail index far ahead. */
	d->q[0].avail_idx = 100;
	avail_post(d, 0, 0);
	expect_needs_reset(d, 0);
	drv_free(d);
}

#define CMD_GPA (TXBUF_GPA + 0x10000)
#define ACK_GPA (TXBUF_GPA + 0x10100)

/* Send a control command on queue cq; the ack byte the device wrote (0xee: none). */
static uint8_t ctrl_cmd(struct drv *d, unsigned cq, const void *cmd, uint32_t len, bool ack)
{
	uint64_t addr[2] = { CMD_GPA, ACK_GPA };
	uint32_t lens[2] = { len, 1 };
	unsigned head = (d->q[cq].avail_idx * 4) % d->q[cq].size;

	memcpy(gva(d, CMD_GPA), cmd, len);
	*gva(d, ACK_GPA) = 0xee;
	tx_post_on(d, cq, addr, lens, ack ? 2 : 1);
	if (ack)
		desc(d, cq, head + 1, ACK_GPA, 1, VIRTQ_DESC_F_WRITE, 0);
	kick(d, cq);
	virtio_net_run_once(d->dev);
	return *gva(d, ACK_GPA);
}

/* The control queue (hostile commands included) and a second queue pair. */
static void test_control_queue(void **state)
{
	const unsigned cq = 2 * VIRTIO_NET_MAX_PAIRS;
	const uint8_t set2[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0 };
	const uint8_t set0[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 0, 0 };
	const uint8_t set4[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 4, 0 };
	const uint8_t promisc[3] = { 0, 0, 1 };
	struct drv *d = drv_new(false, false);
	uint64_t addr[1] = { TXBUF_GPA };
	uint32_t len[1] = { 100 };

	(void)state;
	drv_start(d, base_features | BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_MQ), 16);
	queue_setup(d, 3, 16);
	queue_setup(d, cq, 16);
	assert_int_equal(ctrl_cmd(d, cq, set2, 4, true), VIRTIO_NET_OK);
	assert_int_equal(ctrl_cmd(d, cq, set0, 4, true), VIRTIO_NET_ERR);
	assert_int_equal(ctrl_cmd(d, cq, set4, 4, true), VIRTIO_NET_ERR);
	assert_int_equal(ctrl_cmd(d, cq, set2, 3, true), VIRTIO_NET_ERR);
	assert_int_equal(ctrl_cmd(d, cq, set2, 1, true), VIRTIO_NET_ERR);
	assert_int_equal(ctrl_cmd(d, cq, promisc, 3, true), VIRTIO_NET_ERR);
	assert_int_equal(used_idx(d, cq), 6);
	assert_int_equal(irqs(d, cq + 1), 6);
	/* The second pair's transmit queue carries frames. */
	tx_post_on(d, 3, addr, len, 1);
	kick(d, 3);
	virtio_net_run_once(d->dev);
	assert_int_equal(used_idx(d, 3), 1);
	assert_int_equal(d->fake->tx_count, 1);
	/* A command without room for the ack breaks the device. */
	assert_int_equal(ctrl_cmd(d, cq, set2, 4, false), 0xee);
	assert_true(status(d) & VIRTIO_STATUS_NEEDS_RESET);
	/* Without MQ the control queue is queue 2 and VQ_PAIRS_SET is refused. */
	drv_start(d, base_features | BIT(VIRTIO_NET_F_CTRL_VQ), 16);
	queue_setup(d, 2, 16);
	assert_int_equal(ctrl_cmd(d, 2, set2, 4, true), VIRTIO_NET_ERR);
	assert_int_equal(used_idx(d, 2), 1);
	drv_free(d);
}

/* The I/O thread sleeps when idle and ignores a readable back-end while the guest has no buffers. */
static void test_thread_idle(void **state)
{
	struct drv *d = drv_new(false, true);
	uint8_t frame[64] = { 4 };
	uint64_t w;

	(void)state;
	drv_start(d, base_features | BIT(VIRTIO_RING_F_EVENT_IDX), 16);
	fake_queue_rx(d->fake, frame, sizeof(frame));
	usleep(20000);
	w = stats(d).wakeups;
	usleep(50000);
	assert_true(stats(d).wakeups - w <= 1);
	assert_true(stats(d).rx_no_buffers >= 1);
	rx_post(d, RXBUF_GPA, 2048);
	rx_post(d, RXBUF_GPA + BUF_STRIDE, 2048);
	kick(d, 0);
	for (int i = 0; i < 5000 && used_idx(d, 0) != 1; i++)
		usleep(1000);
	assert_int_equal(used_idx(d, 0), 1);
	assert_int_equal(irqs(d, 1), 1);
	usleep(20000);
	w = stats(d).wakeups;
	usleep(50000);
	assert_true(stats(d).wakeups - w <= 1);
	/* A frame arriving later is picked up through the back-end's poll_fd alone. */
	fake_queue_rx(d->fake, frame, sizeof(frame));
	for (int i = 0; i < 5000 && used_idx(d, 0) != 2; i++)
		usleep(1000);
	assert_int_equal(used_idx(d, 0), 2);
	drv_free(d);
}

/* Bus Master Enable off: the device leaves guest memory alone until it is back on. */
static void test_bus_master(void **state)
{
	struct drv *d = drv_new(false, false);
	uint64_t addr[1] = { TXBUF_GPA };
	uint32_t len[1] = { 100 };
	uint8_t frame[64] = { 3 };

	(void)state;
	drv_start(d, base_features, 16);
	bus_master(d, false);
	tx_post(d, addr, len, 1);
	rx_post(d, RXBUF_GPA, 2048);
	fake_queue_rx(d->fake, frame, sizeof(frame));
	memcpy(d->snap, d->ram, RAM_SIZE);
	kick(d, 1);
	virtio_net_run_once(d->dev);
	assert_memory_equal(d->ram, d->snap, RAM_SIZE);
	bus_master(d, true);
	virtio_net_run_once(d->dev);
	assert_int_equal(used_idx(d, 1), 1);
	assert_int_equal(used_idx(d, 0), 1);
	drv_free(d);
}

/* Without MSI-X: the ISR says why, reading it clears it. */
static void test_isr(void **state)
{
	struct drv *d = drv_new(false, false);
	uint64_t addr[1] = { TXBUF_GPA };
	uint32_t len[1] = { 100 };

	(void)state;
	bus_master(d, true);
	assert_true(negotiate(d, base_features));
	queue_setup(d, 0, 16);
	queue_setup(d, 1, 16);
	wr(d, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
	tx_post(d, addr, len, 1);
	virtio_net_run_once(d->dev);
	assert_int_equal(d->dev->intx_level, 1);
	assert_int_equal(rd(d, VIRTIO_PCI_ISR_OFF, 1), 1);
	assert_int_equal(d->dev->intx_level, 0);
	assert_int_equal(rd(d, VIRTIO_PCI_ISR_OFF, 1), 0);
	desc(d, 1, 4, TXBUF_GPA, 100, VIRTQ_DESC_F_WRITE, 0);
	avail_post(d, 1, 4);
	virtio_net_run_once(d->dev);
	assert_int_equal(rd(d, VIRTIO_PCI_ISR_OFF, 1), 2);
	drv_free(d);
}

static uint64_t rnd(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (*seed >> 1) ^ (*seed << 17);
}

/* Garbage rings in both queues: the device survives, resets and works again. */
static void test_random_rings(void **state)
{
	static const uint8_t frame[1600] = { 0x42 };
	struct drv *d = drv_new(true, false);
	uint64_t seed = 12345, f, addr[1] = { TXBUF_GPA };
	uint32_t len[1] = { 100 };
	unsigned resets = 0;

	(void)state;
	for (unsigned round = 0; round < 300; round++) {
		uint64_t r = rnd(&seed);

		const unsigned queues[3] = { 0, 1, 2 * VIRTIO_NET_MAX_PAIRS };
		unsigned nq = r & 8 ? 3 : 2;

		f = base_features | (r & 1 ? BIT(VIRTIO_NET_F_MRG_RXBUF) : 0) |
		    (r & 2 ? BIT(VIRTIO_RING_F_EVENT_IDX) : 0) |
		    (r & 4 ? BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) : 0) |
		    (r & 8 ? BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_MQ) : 0);
		drv_start(d, f, 1u << (r >> 4) % 9);
		if (nq == 3)
			queue_setup(d, queues[2], d->q[0].size);
		for (unsigned qi = 0; qi < nq; qi++) {
			unsigned q = queues[qi];

			for (unsigned i = 0; i < d->q[q].size; i++) {
				uint64_t x = rnd(&seed), a = RAM_GPA + 0x100000 + x % 0x200000;

				/* One descriptor in eight is garbage, the others are plausible. */
				if ((x >> 60) % 8)
					desc(d, q, i, a, 12 + (x >> 24) % 2000,
					     q == 0 ? VIRTQ_DESC_F_WRITE : 0, 0);
				else
					desc(d, q, i, a - 0x100, (x >> 24) & 0xfff, (x >> 40) & 7,
					     (x >> 48) % (d->q[q].size + 1));
				avail_post(d, q, (x >> 32) % (d->q[q].size + (i == 0)));
			}
		}
		fake_queue_rx(d->fake, frame, 14 + r % (sizeof(frame) - 14));
		virtio_net_run_once(d->dev);
		resets += !!(status(d) & VIRTIO_STATUS_NEEDS_RESET);
		pthread_mutex_lock(&d->fake->lock);
		for (; d->fake->rx_count; d->fake->rx_count--) {
			free(d->fake->rx[d->fake->rx_head].data);
			d->fake->rx_head = (d->fake->rx_head + 1) % FAKE_QLEN;
		}
		pthread_mutex_unlock(&d->fake->lock);
	}
	assert_true(resets > 0 && resets < 300);
	drv_start(d, base_features, 16);
	tx_post(d, addr, len, 1);
	virtio_net_run_once(d->dev);
	assert_int_equal(used_idx(d, 1), 1);
	drv_free(d);
}

/*
 * Plugged into a PCI root of a VM that has no KVM behind it (vm_fd -1): BARs
 * placed and decoded on the MMIO bus, ioeventfds refused (doorbells trap
 * and still reach the I/O thread), then the VM's teardown order with the
 * thread running.
 */
static void test_plugged(void **state)
{
	struct drv *d = calloc(1, sizeof(*d));
	struct vm *vm = calloc(1, sizeof(*vm));
	uint64_t addr[1] = { TXBUF_GPA };
	uint32_t len[1] = { 100 };

	(void)state;
	assert_non_null(d);
	assert_non_null(vm);
	d->ram = calloc(1, RAM_SIZE);
	assert_non_null(d->ram);
	vm->kvm_fd = vm->vm_fd = vm->mem_fd = vm->console_fd = -1;
	vm->ram_size = RAM_SIZE;
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	assert_int_equal(guest_mem_add(&vm->mem, RAM_GPA, RAM_SIZE, d->ram, -1, 0), 0);
	assert_int_equal(pci_root_create(vm, &d->root), 0);
	d->fake = fake_new(false);
	assert_int_equal(virtio_net_create(vm, d->root, &d->fake->be, test_mac, &d->dev), 0);
	d->vm = vm;
	assert_ptr_equal(pci_root_find(d->root, d->dev->devfn), d->dev);
	assert_true(d->dev->bars[VIRTIO_PCI_BAR].mapped);
	assert_true(d->dev->bars[VIRTIO_PCI_MSIX_BAR].mapped);
	assert_int_equal(rd(d, VIRTIO_PCI_COMMON_NUMQ, 2), VIRTIO_NET_NUM_QUEUES);
	/* INTx (MSI-X needs KVM's GSI routing): a frame sent through the trapped doorbell. */
	bus_master(d, true);
	assert_true(negotiate(d, base_features | BIT(VIRTIO_RING_F_EVENT_IDX)));
	queue_setup(d, 0, 16);
	queue_setup(d, 1, 16);
	wr(d, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
	tx_post(d, addr, len, 1);
	kick(d, 1);
	for (int i = 0; i < 5000 && used_idx(d, 1) != 1; i++)
		usleep(1000);
	assert_int_equal(used_idx(d, 1), 1);
	assert_int_equal(d->fake->tx_count, 1);
	assert_int_equal(rd(d, VIRTIO_PCI_ISR_OFF, 1), 1);
	/* vm_destroy()'s order: teardown hooks in reverse, the root's last. */
	tx_post(d, addr, len, 1);
	kick(d, 1);
	while (vm->n_teardowns) {
		struct vm_teardown *t = &vm->teardowns[--vm->n_teardowns];

		t->fn(t->opaque);
	}
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	free(d->ram); /* the plugged device closed its back-end, the fake, at teardown */
	free(vm);
	free(d);
}

/* --- reset while the I/O thread moves frames --- */

struct feeder {
	struct drv *d;
	bool stop; /* atomic */
	uint64_t posted;
};

/* A guest that keeps both queues full and rings the doorbells. */
static void *feeder_main(void *arg)
{
	struct feeder *fd = arg;
	struct drv *d = fd->d;
	uint64_t addr[1];
	uint32_t len[1] = { 200 };

	while (!__atomic_load_n(&fd->stop, __ATOMIC_SEQ_CST)) {
		struct drv_queue *tq = &d->q[1], *rq = &d->q[0];

		while ((uint16_t)(tq->avail_idx - used_idx(d, 1)) < tq->size / 4) {
			addr[0] = TXBUF_GPA + (tq->avail_idx % 16) * BUF_STRIDE;
			tx_post(d, addr, len, 1);
			fd->posted++;
		}
		while ((uint16_t)(rq->avail_idx - used_idx(d, 0)) < rq->size)
			rx_post(d, RXBUF_GPA + (rq->avail_idx % rq->size) * BUF_STRIDE, 2048);
		kick(d, 1);
		kick(d, 0);
		sched_yield();
	}
	return NULL;
}

static void wait_used(struct drv *d, unsigned q, uint16_t at_least)
{
	for (int i = 0; i < 5000 && (uint16_t)(used_idx(d, q) - at_least) > 0x8000; i++)
		usleep(1000);
}

static void run_and_reset(struct drv *d, unsigned round, bool pci_reset)
{
	struct feeder fd = { .d = d };
	pthread_t t;

	drv_start(d, base_features | BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_NET_F_MRG_RXBUF),
		  64);
	assert_int_equal(pthread_create(&t, NULL, feeder_main, &fd), 0);
	wait_used(d, 1, 1);
	wait_used(d, 0, 1);
	usleep(round % 7 * 300);
	if (pci_reset) {
		d->dev->ops->quiesce(d->dev);
		d->dev->ops->reset(d->dev);
	} else {
		wr(d, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	}
	assert_int_equal(status(d), 0);
	__atomic_store_n(&fd.stop, true, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
	/* From here on the device writes nothing into guest RAM. */
	memcpy(d->snap, d->ram, RAM_SIZE);
	kick(d, 0);
	kick(d, 1);
	usleep(5000);
	assert_memory_equal(d->ram, d->snap, RAM_SIZE);
}

static void test_reset_while_running(void **state)
{
	struct drv *d = drv_new(false, true);
	uint64_t rx_before;

	(void)state;
	d->fake->endless_rx = 60;
	for (unsigned round = 0; round < 50; round++) {
		rx_before = stats(d).rx_frames;
		run_and_reset(d, round, round % 4 == 3);
		assert_true(stats(d).rx_frames > rx_before);
	}
	assert_true(d->fake->tx_total > 0);
	assert_false(status(d) & VIRTIO_STATUS_NEEDS_RESET);
	/* Tear down with the thread running and traffic queued. */
	drv_start(d, base_features, 64);
	drv_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_pci_cfg_window),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_status_machine),
		cmocka_unit_test(test_registers_hostile),
		cmocka_unit_test(test_queue_setup_hostile),
		cmocka_unit_test(test_tx),
		cmocka_unit_test(test_tx_hostile_header),
		cmocka_unit_test(test_rx),
		cmocka_unit_test(test_rx_split_header),
		cmocka_unit_test(test_rx_mergeable),
		cmocka_unit_test(test_rx_too_small),
		cmocka_unit_test(test_rx_no_buffers),
		cmocka_unit_test(test_event_idx),
		cmocka_unit_test(test_rx_partial_buffers),
		cmocka_unit_test(test_no_event_idx),
		cmocka_unit_test(test_needs_reset),
		cmocka_unit_test(test_control_queue),
		cmocka_unit_test(test_thread_idle),
		cmocka_unit_test(test_bus_master),
		cmocka_unit_test(test_isr),
		cmocka_unit_test(test_random_rings),
		cmocka_unit_test(test_plugged),
		cmocka_unit_test(test_reset_while_running),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
