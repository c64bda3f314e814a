#include "virtio-pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bytes.h"
#include "log.h"
#include "pci-msix.h"
#include "vm.h"

static struct virtio_pci *to_vp(struct pci_device *dev)
{
	return dev->priv;
}

/* --- interrupts --- */

static void isr_raise(struct virtio_pci *vp, uint8_t bits)
{
	__atomic_or_fetch(&vp->isr, bits, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vp->intx_dirty, true, __ATOMIC_SEQ_CST);
}

static void vp_vector_or_isr(struct virtio_pci *vp, uint16_t vector, uint8_t isr_bit)
{
	if (__atomic_load_n(&vp->msix_enabled, __ATOMIC_ACQUIRE)) {
		if (vector != VIRTIO_MSI_NO_VECTOR)
			pci_msix_notify(&vp->dev, vector);
		return;
	}
	isr_raise(vp, isr_bit);
}

void virtio_pci_queue_interrupt(struct virtio_pci *vp, unsigned q)
{
	if (q < vp->num_queues)
		vp_vector_or_isr(vp, vp->queues[q].msix_vector, 1);
}

static void vp_config_interrupt(struct virtio_pci *vp)
{
	vp_vector_or_isr(vp, vp->config_vector, 2);
}

void virtio_pci_intx_sync(struct virtio_pci *vp)
{
	if (!__atomic_exchange_n(&vp->intx_dirty, false, __ATOMIC_SEQ_CST))
		return;
	pthread_mutex_lock(&vp->intx_lock);
	pci_intx_set(&vp->dev, __atomic_load_n(&vp->isr, __ATOMIC_SEQ_CST) != 0);
	pthread_mutex_unlock(&vp->intx_lock);
}

void virtio_pci_set_needs_reset(struct virtio_pci *vp)
{
	if (vp->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	/* The guest decides how often this happens: one warning per device, then debug. */
	log_msg(vp->stats.needs_reset++ ? LOG_DEBUG : LOG_WARN,
		"virtio %s: the driver broke a queue; device needs reset", vp->dev.bdf);
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		vp_config_interrupt(vp);
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		vp_config_interrupt(vp);
}

/* --- state --- */

/* The transport's power-on state. */
static void vp_state_clear(struct virtio_pci *vp)
{
	for (unsigned q = 0; q < vp->num_queues; q++) {
		struct virtio_pci_queue *vq = &vp->queues[q];

		virtq_stop(&vq->vq);
		vq->enabled = false;
		vq->size = vp->queue_max;
		vq->msix_vector = VIRTIO_MSI_NO_VECTOR;
		vq->desc = vq->avail = vq->used = 0;
	}
	vp->driver_features = 0;
	vp->device_feature_select = vp->driver_feature_select = 0;
	vp->status = 0;
	vp->config_vector = VIRTIO_MSI_NO_VECTOR;
	vp->queue_select = 0;
	if (__atomic_exchange_n(&vp->isr, 0, __ATOMIC_SEQ_CST))
		__atomic_store_n(&vp->intx_dirty, true, __ATOMIC_SEQ_CST);
}

/* Status 0: the model forgets its data path, then the transport its state. Under vp->lock. */
static void vp_reset_locked(struct virtio_pci *vp)
{
	if (vp->ops->reset)
		vp->ops->reset(vp);
	vp_state_clear(vp);
}

static bool vp_msix_cfg_enabled(struct virtio_pci *vp)
{
	return vp->msix_cap && ((vp->dev.cfg[vp->msix_cap + 3] << 8) & PCI_MSIX_CTRL_ENABLE);
}

static bool vp_cfg_bus_master(struct virtio_pci *vp)
{
	return vp->dev.cfg[PCI_COMMAND] & PCI_COMMAND_MASTER;
}

void virtio_pci_reset(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	vp_reset_locked(vp);
	__atomic_store_n(&vp->msix_enabled, vp_msix_cfg_enabled(vp), __ATOMIC_RELEASE);
	vp->bus_master = vp_cfg_bus_master(vp);
	pthread_mutex_unlock(&vp->lock);
	virtio_pci_intx_sync(vp);
}

bool virtio_pci_queue_live(struct virtio_pci *vp, unsigned q)
{
	if (q >= vp->num_queues || !vp->queues[q].enabled || !vp->bus_master)
		return false;
	if ((vp->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET)) !=
	    VIRTIO_STATUS_DRIVER_OK)
		return false;
	return virtq_ready(&vp->queues[q].vq);
}

struct virtq *virtio_pci_vq(struct virtio_pci *vp, unsigned q)
{
	return q < vp->num_queues ? &vp->queues[q].vq : NULL;
}

int virtio_pci_kick_fd(struct virtio_pci *vp, unsigned q)
{
	return q < vp->num_queues ? vp->queues[q].kick_fd : -1;
}

void virtio_pci_stats_get(struct virtio_pci *vp, struct virtio_pci_stats *out)
{
	pthread_mutex_lock(&vp->lock);
	*out = vp->stats;
	pthread_mutex_unlock(&vp->lock);
}

static uint16_t vp_vector_check(struct virtio_pci *vp, uint16_t v)
{
	return v < pci_msix_nvec(&vp->dev) ? v : VIRTIO_MSI_NO_VECTOR;
}

static bool vp_features_acceptable(struct virtio_pci *vp)
{
	uint64_t f = vp->driver_features;

	if (f & ~vp->device_features)
		return false;
	if (!(f & (1ULL << VIRTIO_F_VERSION_1)))
		return false;
	return !vp->ops->features_ok || vp->ops->features_ok(vp, f);
}

static void vp_status_write(struct virtio_pci *vp, uint8_t val)
{
	const uint8_t sticky = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			       VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
	uint8_t old = vp->status;
	uint8_t new = (val & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET);

	if (!val) {
		vp_reset_locked(vp);
		return;
	}
	if (old & sticky & ~new) {
		vp->stats.bad_status++;
		return;
	}
	if ((new & ~old & VIRTIO_STATUS_FEATURES_OK) && !vp_features_acceptable(vp))
		new &= ~VIRTIO_STATUS_FEATURES_OK;
	if ((new & VIRTIO_STATUS_DRIVER_OK) && !(new & VIRTIO_STATUS_FEATURES_OK)) {
		vp->stats.bad_status++;
		new &= ~VIRTIO_STATUS_DRIVER_OK;
	}
	vp->status = new;
	if ((new & ~old & VIRTIO_STATUS_DRIVER_OK) && vp->ops->driver_ok)
		vp->ops->driver_ok(vp);
}

static void vp_queue_enable(struct virtio_pci *vp, struct virtio_pci_queue *q)
{
	bool event_idx = vp->driver_features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	int ret;

	if (q->enabled)
		return;
	ret = q->size <= vp->queue_max ?
		virtq_start(&q->vq, vp->mem, q->size, q->desc, q->avail, q->used, event_idx) :
		-EINVAL;
	if (ret) {
		log_debug("virtio %s: queue %u: size %u or ring addresses refused: %s", vp->dev.bdf,
			 (unsigned)(q - vp->queues), q->size, strerror(-ret));
		virtio_pci_set_needs_reset(vp);
		return;
	}
	q->enabled = true;
}

/* --- common configuration --- */

struct cc_field {
	uint8_t off, size;
};

static const struct cc_field cc_fields[] = {
	{ VIRTIO_PCI_COMMON_DFSELECT, 4 }, { VIRTIO_PCI_COMMON_DF, 4 },
	{ VIRTIO_PCI_COMMON_GFSELECT, 4 }, { VIRTIO_PCI_COMMON_GF, 4 },
	{ VIRTIO_PCI_COMMON_MSIX, 2 },     { VIRTIO_PCI_COMMON_NUMQ, 2 },
	{ VIRTIO_PCI_COMMON_STATUS, 1 },   { VIRTIO_PCI_COMMON_CFGGEN, 1 },
	{ VIRTIO_PCI_COMMON_Q_SELECT, 2 }, { VIRTIO_PCI_COMMON_Q_SIZE, 2 },
	{ VIRTIO_PCI_COMMON_Q_MSIX, 2 },   { VIRTIO_PCI_COMMON_Q_ENABLE, 2 },
	{ VIRTIO_PCI_COMMON_Q_NOFF, 2 },   { VIRTIO_PCI_COMMON_Q_DESC, 8 },
	{ VIRTIO_PCI_COMMON_Q_AVAIL, 8 },  { VIRTIO_PCI_COMMON_Q_USED, 8 },
};

static const struct cc_field *cc_field_find(uint64_t off)
{
	for (size_t i = 0; i < ARRAY_SIZE(cc_fields); i++)
		if (off >= cc_fields[i].off && off < cc_fields[i].off + cc_fields[i].size)
			return &cc_fields[i];
	return NULL;
}

static struct virtio_pci_queue *vp_selected(struct virtio_pci *vp)
{
	return vp->queue_select < vp->num_queues ? &vp->queues[vp->queue_select] : NULL;
}

static uint32_t vp_features_word(uint64_t features, uint32_t select)
{
	return select < 2 ? (uint32_t)(features >> (32 * select)) : 0;
}

static uint64_t cc_queue_get(struct virtio_pci *vp, unsigned off)
{
	struct virtio_pci_queue *q = vp_selected(vp);

	if (!q)
		return 0;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE: return q->size;
	case VIRTIO_PCI_COMMON_Q_MSIX: return q->msix_vector;
	case VIRTIO_PCI_COMMON_Q_ENABLE: return q->enabled;
	case VIRTIO_PCI_COMMON_Q_NOFF: return vp->queue_select;
	case VIRTIO_PCI_COMMON_Q_DESC: return q->desc;
	case VIRTIO_PCI_COMMON_Q_AVAIL: return q->avail;
	case VIRTIO_PCI_COMMON_Q_USED: return q->used;
	}
	return 0;
}

static uint64_t cc_get(struct virtio_pci *vp, unsigned off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: return vp->device_feature_select;
	case VIRTIO_PCI_COMMON_DF:
		return vp_features_word(vp->device_features, vp->device_feature_select);
	case VIRTIO_PCI_COMMON_GFSELECT: return vp->driver_feature_select;
	case VIRTIO_PCI_COMMON_GF:
		return vp_features_word(vp->driver_features, vp->driver_feature_select);
	case VIRTIO_PCI_COMMON_MSIX: return vp->config_vector;
	case VIRTIO_PCI_COMMON_NUMQ: return vp->num_queues;
	case VIRTIO_PCI_COMMON_STATUS: return vp->status;
	case VIRTIO_PCI_COMMON_CFGGEN: return vp->config_generation;
	case VIRTIO_PCI_COMMON_Q_SELECT: return vp->queue_select;
	}
	return cc_queue_get(vp, off);
}

static void cc_driver_features_set(struct virtio_pci *vp, uint32_t v)
{
	unsigned shift = 32 * vp->driver_feature_select;

	if (vp->driver_feature_select >= 2 || (vp->status & VIRTIO_STATUS_FEATURES_OK))
		return;
	vp->driver_features &= ~(0xffffffffULL << shift);
	vp->driver_features |= (uint64_t)v << shift;
}

static void cc_queue_set(struct virtio_pci *vp, unsigned off, uint64_t v)
{
	struct virtio_pci_queue *q = vp_selected(vp);

	if (!q) {
		vp->stats.bad_access++;
		return;
	}
	if (off == VIRTIO_PCI_COMMON_Q_MSIX) {
		q->msix_vector = vp_vector_check(vp, v);
		return;
	}
	if (off == VIRTIO_PCI_COMMON_Q_ENABLE) {
		if (v == 1)
			vp_queue_enable(vp, q);
		return;
	}
	if (q->enabled)
		return;
	if (off == VIRTIO_PCI_COMMON_Q_SIZE)
		q->size = v;
	else if (off == VIRTIO_PCI_COMMON_Q_DESC)
		q->desc = v;
	else if (off == VIRTIO_PCI_COMMON_Q_AVAIL)
		q->avail = v;
	else if (off == VIRTIO_PCI_COMMON_Q_USED)
		q->used = v;
}

static void cc_set(struct virtio_pci *vp, unsigned off, uint64_t v)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: vp->device_feature_select = v; return;
	case VIRTIO_PCI_COMMON_GFSELECT: vp->driver_feature_select = v; return;
	case VIRTIO_PCI_COMMON_GF: cc_driver_features_set(vp, v); return;
	case VIRTIO_PCI_COMMON_MSIX: vp->config_vector = vp_vector_check(vp, v); return;
	case VIRTIO_PCI_COMMON_STATUS: vp_status_write(vp, v); return;
	case VIRTIO_PCI_COMMON_Q_SELECT: vp->queue_select = v; return;
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_CFGGEN:
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return;
	}
	cc_queue_set(vp, off, v);
}

static void common_read(struct virtio_pci *vp, uint64_t off, uint8_t *data, unsigned len)
{
	const struct cc_field *f = cc_field_find(off);

	if (!f || off + len > (uint64_t)f->off + f->size) {
		vp->stats.bad_access++;
		memset(data, 0, len);
		return;
	}
	le_put(data, len, cc_get(vp, f->off) >> (8 * (off - f->off)));
}

/* A write replaces len bytes of one field; 64-bit fields take two 32-bit halves. */
static void common_write(struct virtio_pci *vp, uint64_t off, const uint8_t *data, unsigned len)
{
	const struct cc_field *f = cc_field_find(off);
	unsigned shift;
	uint64_t v, mask;

	if (!f || off + len > (uint64_t)f->off + f->size) {
		vp->stats.bad_access++;
		return;
	}
	shift = 8 * (off - f->off);
	mask = (len >= 8 ? ~0ULL : (1ULL << (8 * len)) - 1) << shift;
	v = f->size == len ? 0 : cc_get(vp, f->off);
	v = (v & ~mask) | ((le_get(data, len) << shift) & mask);
	cc_set(vp, f->off, v);
}

/* --- BAR accesses --- */

static void isr_read(struct virtio_pci *vp, uint8_t *data, unsigned len)
{
	uint8_t isr = __atomic_exchange_n(&vp->isr, 0, __ATOMIC_SEQ_CST);

	memset(data, 0, len);
	data[0] = isr;
	if (isr)
		__atomic_store_n(&vp->intx_dirty, true, __ATOMIC_SEQ_CST);
}

static void device_cfg_access(struct virtio_pci *vp, uint64_t off, uint8_t *data, unsigned len,
			      bool write)
{
	if (off >= vp->cfg_len || len > vp->cfg_len - off) {
		vp->stats.bad_access++;
		if (!write)
			memset(data, 0, len);
		return;
	}
	if (write && vp->ops->cfg_write)
		vp->ops->cfg_write(vp, off, data, len);
	else if (!write && vp->ops->cfg_read)
		vp->ops->cfg_read(vp, off, data, len);
	else if (!write)
		memset(data, 0, len);
}

static void notify_write(struct virtio_pci *vp, uint64_t off)
{
	uint64_t q = off / VIRTIO_PCI_NOTIFY_MULT, one = 1;

	if (q >= vp->num_queues || off % VIRTIO_PCI_NOTIFY_MULT) {
		vp->stats.bad_notify++;
		return;
	}
	if (write(vp->queues[q].kick_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("virtio %s: queue %u: doorbell eventfd write failed", vp->dev.bdf,
			 (unsigned)q);
}

/* A BAR4 access, without the INTx update (callers under the root's lock must not take it). */
static void vp_bar4_read(struct virtio_pci *vp, uint64_t off, uint8_t *data, unsigned len)
{
	memset(data, 0, len);
	pthread_mutex_lock(&vp->lock);
	if (off < VIRTIO_PCI_COMMON_SIZE)
		common_read(vp, off, data, len);
	else if (off == VIRTIO_PCI_ISR_OFF)
		isr_read(vp, data, len);
	else if (off >= VIRTIO_PCI_DEVICE_OFF && off < VIRTIO_PCI_NOTIFY_OFF)
		device_cfg_access(vp, off - VIRTIO_PCI_DEVICE_OFF, data, len, false);
	pthread_mutex_unlock(&vp->lock);
}

static void vp_bar4_write(struct virtio_pci *vp, uint64_t off, const uint8_t *data, unsigned len)
{
	if (off >= VIRTIO_PCI_NOTIFY_OFF) {
		notify_write(vp, off - VIRTIO_PCI_NOTIFY_OFF);
		return;
	}
	pthread_mutex_lock(&vp->lock);
	if (off < VIRTIO_PCI_COMMON_SIZE)
		common_write(vp, off, data, len);
	else if (off >= VIRTIO_PCI_DEVICE_OFF)
		device_cfg_access(vp, off - VIRTIO_PCI_DEVICE_OFF, (uint8_t *)data, len, true);
	else
		vp->stats.bad_access++;
	pthread_mutex_unlock(&vp->lock);
}

void virtio_pci_bar_read(struct pci_device *dev, unsigned bar, uint64_t off, uint8_t *data,
			 unsigned len)
{
	struct virtio_pci *vp = to_vp(dev);

	if (bar != VIRTIO_PCI_BAR) {
		memset(data, 0, len);
		return;
	}
	vp_bar4_read(vp, off, data, len);
	virtio_pci_intx_sync(vp);
}

void virtio_pci_bar_write(struct pci_device *dev, unsigned bar, uint64_t off,
			  const uint8_t *data, unsigned len)
{
	struct virtio_pci *vp = to_vp(dev);

	if (bar != VIRTIO_PCI_BAR)
		return;
	vp_bar4_write(vp, off, data, len);
	virtio_pci_intx_sync(vp);
}

/* --- the PCI configuration access capability (VIRTIO_PCI_CAP_PCI_CFG) --- */

#define PCICFG_BAR    4
#define PCICFG_OFFSET 8
#define PCICFG_LENGTH 12
#define PCICFG_DATA   16
#define PCICFG_SIZE   20

/* The BAR4 window the capability names, if it is a legal access (length 1, 2, 4, aligned). */
static bool pcicfg_target(struct virtio_pci *vp, uint32_t *off, uint32_t *len)
{
	const uint8_t *cap = &vp->dev.cfg[vp->pcicfg_cap];

	memcpy(off, cap + PCICFG_OFFSET, 4);
	memcpy(len, cap + PCICFG_LENGTH, 4);
	if (cap[PCICFG_BAR] != VIRTIO_PCI_BAR || (*len != 1 && *len != 2 && *len != 4) ||
	    *off % *len || *off > VIRTIO_PCI_BAR_SIZE - *len) {
		vp->stats.bad_access++;
		return false;
	}
	return true;
}

static bool pcicfg_data_hit(struct virtio_pci *vp, unsigned off, unsigned len)
{
	unsigned data = vp->pcicfg_cap + PCICFG_DATA;

	return vp->pcicfg_cap && off < data + 4 && data < off + len;
}

void virtio_pci_cfg_read(struct pci_device *dev, unsigned off, unsigned len, uint32_t *val)
{
	struct virtio_pci *vp = to_vp(dev);
	unsigned data = vp->pcicfg_cap + PCICFG_DATA;
	uint8_t buf[4] = { 0 };
	uint32_t toff, tlen;

	if (!pcicfg_data_hit(vp, off, len) || !pcicfg_target(vp, &toff, &tlen))
		return;
	vp_bar4_read(vp, toff, buf, tlen);
	for (unsigned i = 0; i < len; i++) {
		if (off + i < data || off + i >= data + 4)
			continue;
		*val &= ~(0xffu << (8 * i));
		*val |= (uint32_t)buf[off + i - data] << (8 * i);
	}
}

static void vp_msix_cfg_written(struct virtio_pci *vp, unsigned off, unsigned len)
{
	unsigned ctrl = vp->msix_cap + 2;

	if (!vp->msix_cap || off >= ctrl + 2 || off + len <= ctrl)
		return;
	__atomic_store_n(&vp->msix_enabled, vp_msix_cfg_enabled(vp), __ATOMIC_RELEASE);
}

/* Bus Master Enable gates every guest-memory access; once cleared, no pass is still running. */
static void vp_command_written(struct virtio_pci *vp, unsigned off, unsigned len)
{
	if (off > PCI_COMMAND || off + len <= PCI_COMMAND)
		return;
	pthread_mutex_lock(&vp->lock);
	vp->bus_master = vp_cfg_bus_master(vp);
	pthread_mutex_unlock(&vp->lock);
}

void virtio_pci_cfg_write(struct pci_device *dev, unsigned off, unsigned len, uint32_t val)
{
	struct virtio_pci *vp = to_vp(dev);
	uint32_t toff, tlen;

	vp_command_written(vp, off, len);
	vp_msix_cfg_written(vp, off, len);
	if (pcicfg_data_hit(vp, off, len) && pcicfg_target(vp, &toff, &tlen))
		vp_bar4_write(vp, toff, &dev->cfg[vp->pcicfg_cap + PCICFG_DATA], tlen);
}

static void vp_ioeventfds_off(struct virtio_pci *vp)
{
	for (unsigned q = 0; q < vp->num_queues; q++) {
		if (vp->queues[q].ioev_on && vp->dev.vm)
			ioeventfd_deassign(vp->dev.vm->vm_fd, &vp->queues[q].ioev);
		vp->queues[q].ioev_on = false;
	}
}

/* Doorbells as ioeventfds: any write length first, else the 16-bit writes drivers do. */
static void vp_ioeventfd_on(struct virtio_pci *vp, unsigned q, uint64_t addr)
{
	struct virtio_pci_queue *vq = &vp->queues[q];

	vq->ioev = (struct ioeventfd_cfg){ .fd = vq->kick_fd, .addr = addr, .len = 0 };
	if (ioeventfd_assign(vp->dev.vm->vm_fd, &vq->ioev)) {
		vq->ioev.len = 2;
		if (ioeventfd_assign(vp->dev.vm->vm_fd, &vq->ioev)) {
			log_warn("virtio %s: queue %u: no doorbell ioeventfd; doorbells will trap",
				 vp->dev.bdf, q);
			return;
		}
	}
	vq->ioev_on = true;
}

void virtio_pci_bar_moved(struct pci_device *dev, unsigned bar, bool mapped, uint64_t addr)
{
	struct virtio_pci *vp = to_vp(dev);

	if (bar != VIRTIO_PCI_BAR || !dev->vm)
		return;
	pthread_mutex_lock(&vp->lock);
	vp_ioeventfds_off(vp);
	for (unsigned q = 0; mapped && q < vp->num_queues; q++)
		vp_ioeventfd_on(vp, q, addr + VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * q);
	pthread_mutex_unlock(&vp->lock);
}

/* --- set-up --- */

static int vp_add_vndr_cap(struct pci_device *dev, uint8_t type, uint32_t off, uint32_t len,
			   bool notify)
{
	uint8_t body[18] = { 0 };
	unsigned cap_len = notify ? 20 : 16;
	uint32_t mult = VIRTIO_PCI_NOTIFY_MULT;

	body[0] = cap_len;
	body[1] = type;
	body[2] = VIRTIO_PCI_BAR;
	memcpy(&body[6], &off, 4);
	memcpy(&body[10], &len, 4);
	if (notify)
		memcpy(&body[14], &mult, 4);
	return pci_device_add_cap(dev, PCI_CAP_ID_VNDR, body, NULL, cap_len);
}

/* The PCI_CFG capability: bar, offset, length and the data window are the driver's. */
static int vp_add_pcicfg_cap(struct pci_device *dev)
{
	uint8_t body[PCICFG_SIZE - 2] = { PCICFG_SIZE, VIRTIO_PCI_CAP_PCI_CFG };
	uint8_t wmask[PCICFG_SIZE] = { 0 };

	wmask[PCICFG_BAR] = 0xff;
	memset(&wmask[PCICFG_OFFSET], 0xff, 12);
	return pci_device_add_cap(dev, PCI_CAP_ID_VNDR, body, wmask, PCICFG_SIZE);
}

static unsigned vp_find_cap(struct pci_device *dev, uint8_t id)
{
	for (unsigned off = dev->cfg[PCI_CAPABILITY_LIST]; off; off = dev->cfg[off + 1])
		if (dev->cfg[off] == id)
			return off;
	return 0;
}

static int vp_setup_pci(struct virtio_pci *vp, const struct virtio_pci_config *cfg)
{
	struct pci_device *dev = &vp->dev;
	int ret;

	pci_device_init(dev, cfg->pci_ops, vp, VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE(cfg->device_id),
			cfg->class_code, 1);
	ret = pci_device_add_bar(dev, VIRTIO_PCI_MSIX_BAR, PCI_BAR_MEM32, 4096, false, NULL);
	if (!ret)
		ret = pci_device_add_bar(dev, VIRTIO_PCI_BAR, PCI_BAR_MEM64, VIRTIO_PCI_BAR_SIZE,
					 false, NULL);
	if (!ret)
		ret = pci_msix_init(dev, cfg->num_queues + 1, VIRTIO_PCI_MSIX_BAR, 0,
				    VIRTIO_PCI_MSIX_BAR, VIRTIO_PCI_MSIX_PBA_OFF);
	if (!ret)
		ret = vp_add_vndr_cap(dev, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
				      VIRTIO_PCI_COMMON_SIZE, false);
	if (ret >= 0)
		ret = vp_add_vndr_cap(dev, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
				      VIRTIO_PCI_NOTIFY_MULT * cfg->num_queues, true);
	if (ret >= 0)
		ret = vp_add_vndr_cap(dev, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1, false);
	if (ret >= 0)
		ret = vp_add_vndr_cap(dev, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
				      cfg->cfg_len, false);
	if (ret >= 0)
		ret = vp_add_pcicfg_cap(dev);
	if (ret >= 0)
		vp->pcicfg_cap = ret;
	vp->msix_cap = vp_find_cap(dev, PCI_CAP_ID_MSIX);
	return ret < 0 ? ret : 0;
}

static bool vp_config_ok(const struct virtio_pci_config *cfg)
{
	unsigned qmax = cfg->queue_max;

	return cfg->pci_ops && cfg->ops && cfg->mem && cfg->num_queues &&
	       cfg->num_queues <= VIRTIO_PCI_MAX_QUEUES && qmax && !(qmax & (qmax - 1)) &&
	       qmax <= VIRTQ_MAX_SIZE && cfg->cfg_len <= 0x1000;
}

int virtio_pci_init(struct virtio_pci *vp, const struct virtio_pci_config *cfg)
{
	int ret;

	if (!vp_config_ok(cfg))
		return -EINVAL;
	memset(vp, 0, sizeof(*vp));
	pthread_mutex_init(&vp->lock, NULL);
	pthread_mutex_init(&vp->intx_lock, NULL);
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		vp->queues[q].kick_fd = -1;
	vp->ops = cfg->ops;
	vp->opaque = cfg->opaque;
	vp->mem = cfg->mem;
	vp->device_features = cfg->features | (1ULL << VIRTIO_F_VERSION_1);
	vp->num_queues = cfg->num_queues;
	vp->queue_max = cfg->queue_max;
	vp->cfg_len = cfg->cfg_len;
	ret = vp_setup_pci(vp, cfg);
	for (unsigned q = 0; !ret && q < vp->num_queues; q++) {
		vp->queues[q].kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vp->queues[q].kick_fd < 0)
			ret = -errno;
	}
	if (ret) {
		virtio_pci_destroy(vp);
		return ret;
	}
	vp_state_clear(vp);
	return 0;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	vp_ioeventfds_off(vp);
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++) {
		if (vp->queues[q].kick_fd >= 0)
			close(vp->queues[q].kick_fd);
		vp->queues[q].kick_fd = -1;
	}
	pci_msix_destroy(&vp->dev);
	pthread_mutex_destroy(&vp->intx_lock);
	pthread_mutex_destroy(&vp->lock);
}
