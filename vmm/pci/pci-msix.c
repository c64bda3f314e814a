#include "pci-msix.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "irq.h"
#include "log.h"
#include "pci.h"
#include "vm.h"

struct msi_vec {
	uint64_t addr;
	uint32_t data;
	bool masked;   /* the vector's own mask bit */
	bool pending;
	bool routed;   /* irqfd attached to gsi */
	int gsi;       /* -1 until first unmasked */
	int efd;
};

struct pci_msix {
	pthread_mutex_t lock;
	unsigned nvec, cap;
	unsigned table_bar, pba_bar;
	uint32_t table_off, pba_off;
	bool enabled, fmask;
	struct msi_vec *v;
};

struct pci_msi {
	pthread_mutex_t lock;
	unsigned cap;
	bool enabled;
	struct msi_vec v;
};

static int vec_init(struct msi_vec *v)
{
	*v = (struct msi_vec){ .masked = true, .gsi = -1 };
	v->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return v->efd < 0 ? -errno : 0;
}

static void vec_destroy(struct pci_device *dev, struct msi_vec *v)
{
	if (v->routed && dev->vm)
		irqfd_deassign(dev->vm->vm_fd, v->efd, v->gsi);
	if (v->gsi >= 0 && dev->vm)
		gsi_msi_free(&dev->vm->gsi, v->gsi);
	if (v->efd >= 0)
		close(v->efd);
	v->efd = -1;
}

/* Move signals that arrived while masked into the pending bit. */
static void vec_drain(struct msi_vec *v)
{
	uint64_t n;

	if (!v->routed && read(v->efd, &n, sizeof(n)) == sizeof(n) && n)
		v->pending = true;
}

static void vec_signal(struct msi_vec *v)
{
	uint64_t one = 1;

	if (write(v->efd, &one, sizeof(one)) != sizeof(one))
		log_warn("pci: MSI eventfd write failed");
}

static int vec_route(struct pci_device *dev, struct msi_vec *v)
{
	int ret;

	if (!dev->vm)
		return 0;
	if (v->gsi < 0) {
		v->gsi = gsi_msi_alloc(&dev->vm->gsi);
		if (v->gsi < 0)
			return v->gsi;
	}
	ret = gsi_msi_set(&dev->vm->gsi, v->gsi, v->addr, v->data);
	if (!ret && !v->routed)
		ret = irqfd_assign(dev->vm->vm_fd, v->efd, v->gsi, -1);
	return ret;
}

/* Apply the effective mask (function-level and vector-level) to one vector. */
static void vec_sync(struct pci_device *dev, struct msi_vec *v, bool masked)
{
	int ret;

	if (masked) {
		if (v->routed && dev->vm)
			irqfd_deassign(dev->vm->vm_fd, v->efd, v->gsi);
		v->routed = false;
		return;
	}
	vec_drain(v);
	ret = vec_route(dev, v);
	if (ret) {
		log_warn("pci %s: cannot route MSI to GSI %d: %s", dev->bdf, v->gsi, strerror(-ret));
		return;
	}
	v->routed = true;
	if (v->pending) {
		v->pending = false;
		vec_signal(v);
	}
}

static bool msix_vec_masked(const struct pci_msix *m, unsigned i)
{
	return !m->enabled || m->fmask || m->v[i].masked;
}

/* Tell the model that vector i's effective mask may have changed (no MSI-X lock held). */
static void msix_mask_notify(struct pci_device *dev, unsigned i, bool masked)
{
	if (dev->ops->msix_vector_masked)
		dev->ops->msix_vector_masked(dev, i, masked);
}

int pci_msix_init(struct pci_device *dev, unsigned nvec, unsigned table_bar, uint32_t table_off,
		  unsigned pba_bar, uint32_t pba_off)
{
	uint8_t body[10] = { 0 }, wmask[12] = { 0 };
	uint32_t pba_size = (nvec + 63) / 64 * 8;
	struct pci_msix *m;
	int ret = 0;

	if (!nvec || nvec > PCI_MSIX_MAX_VECTORS || table_bar >= PCI_NUM_BARS ||
	    pba_bar >= PCI_NUM_BARS || (table_off | pba_off) & 7 || dev->msix)
		return -EINVAL;
	if (!dev->bars[table_bar].size || dev->bars[table_bar].hva || !dev->bars[pba_bar].size ||
	    dev->bars[pba_bar].hva ||
	    (uint64_t)table_off + nvec * PCI_MSIX_ENTRY_SIZE > dev->bars[table_bar].size ||
	    (uint64_t)pba_off + pba_size > dev->bars[pba_bar].size)
		return -EINVAL;
	if (table_bar == pba_bar && pba_off < table_off + nvec * PCI_MSIX_ENTRY_SIZE &&
	    table_off < pba_off + pba_size)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m || !(m->v = calloc(nvec, sizeof(*m->v)))) {
		free(m);
		return -ENOMEM;
	}
	*m = (struct pci_msix){ .nvec = nvec, .table_bar = table_bar, .table_off = table_off,
				.pba_bar = pba_bar, .pba_off = pba_off, .v = m->v };
	pthread_mutex_init(&m->lock, NULL);
	for (unsigned i = 0; i < nvec; i++)
		m->v[i].efd = -1;
	for (unsigned i = 0; i < nvec && !ret; i++)
		ret = vec_init(&m->v[i]);
	body[0] = (nvec - 1) & 0xff;
	body[1] = (nvec - 1) >> 8;
	memcpy(&body[2], &(uint32_t){ table_off | table_bar }, 4);
	memcpy(&body[6], &(uint32_t){ pba_off | pba_bar }, 4);
	wmask[3] = (PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_FMASK) >> 8;
	dev->msix = m;
	if (!ret)
		ret = pci_device_add_cap(dev, PCI_CAP_ID_MSIX, body, wmask, sizeof(wmask));
	if (ret < 0) {
		pci_msix_destroy(dev);
		return ret;
	}
	m->cap = ret;
	return 0;
}

void pci_msix_destroy(struct pci_device *dev)
{
	struct pci_msix *m = dev->msix;

	if (!m)
		return;
	for (unsigned i = 0; i < m->nvec; i++)
		if (m->v[i].efd >= 0)
			vec_destroy(dev, &m->v[i]);
	pthread_mutex_destroy(&m->lock);
	free(m->v);
	free(m);
	dev->msix = NULL;
}

void pci_msix_notify(struct pci_device *dev, unsigned i)
{
	if (dev->msix && i < dev->msix->nvec)
		vec_signal(&dev->msix->v[i]);
}

int pci_msix_vector_eventfd(struct pci_device *dev, unsigned i)
{
	return dev->msix && i < dev->msix->nvec ? dev->msix->v[i].efd : -1;
}

unsigned pci_msix_nvec(struct pci_device *dev)
{
	return dev->msix ? dev->msix->nvec : 0;
}

bool pci_msix_pending(struct pci_device *dev, unsigned i)
{
	struct pci_msix *m = dev->msix;
	bool p;

	if (!m || i >= m->nvec)
		return false;
	pthread_mutex_lock(&m->lock);
	vec_drain(&m->v[i]);
	p = m->v[i].pending;
	pthread_mutex_unlock(&m->lock);
	return p;
}

void pci_msix_cfg_written(struct pci_device *dev, unsigned off, unsigned len)
{
	struct pci_msix *m = dev->msix;
	bool was_enabled, now_enabled;
	uint16_t ctrl;

	if (off >= m->cap + 4 || off + len <= m->cap + 2)
		return;
	ctrl = dev->cfg[m->cap + 2] | dev->cfg[m->cap + 3] << 8;
	pthread_mutex_lock(&m->lock);
	was_enabled = m->enabled && !m->fmask;
	m->enabled = ctrl & PCI_MSIX_CTRL_ENABLE;
	m->fmask = ctrl & PCI_MSIX_CTRL_FMASK;
	for (unsigned i = 0; i < m->nvec; i++)
		vec_sync(dev, &m->v[i], msix_vec_masked(m, i));
	now_enabled = m->enabled && !m->fmask;
	pthread_mutex_unlock(&m->lock);
	/* Under the root's lock, which orders these calls against each other. */
	for (unsigned i = 0; i < m->nvec && was_enabled != now_enabled; i++)
		if (!m->v[i].masked)
			msix_mask_notify(dev, i, !now_enabled);
}

bool pci_msix_vector_masked(struct pci_device *dev, unsigned i)
{
	struct pci_msix *m = dev->msix;
	bool masked = true;

	if (m && i < m->nvec) {
		pthread_mutex_lock(&m->lock);
		masked = msix_vec_masked(m, i);
		pthread_mutex_unlock(&m->lock);
	}
	return masked;
}

void pci_msix_reset(struct pci_device *dev)
{
	struct pci_msix *m = dev->msix;
	uint64_t drop;

	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->enabled = m->fmask = false;
	for (unsigned i = 0; i < m->nvec; i++) {
		struct msi_vec *v = &m->v[i];

		vec_sync(dev, v, true);
		v->addr = v->data = 0;
		v->masked = true;
		v->pending = false;
		if (read(v->efd, &drop, sizeof(drop)) < 0 && errno != EAGAIN)
			log_warn("pci %s: MSI-X vector %u: eventfd read failed", dev->bdf, i);
	}
	pthread_mutex_unlock(&m->lock);
}

static void msix_entry_image(const struct msi_vec *v, uint8_t e[PCI_MSIX_ENTRY_SIZE])
{
	uint32_t w[4] = { (uint32_t)v->addr, (uint32_t)(v->addr >> 32), v->data,
			  v->masked ? PCI_MSIX_VEC_MASKED : 0 };

	memcpy(e, w, sizeof(w));
}

static void msix_entry_store(struct msi_vec *v, const uint8_t e[PCI_MSIX_ENTRY_SIZE])
{
	uint32_t w[4];

	memcpy(w, e, sizeof(w));
	v->addr = w[0] | (uint64_t)w[1] << 32;
	v->data = w[2];
	v->masked = w[3] & PCI_MSIX_VEC_MASKED;
}

/*
 * An access of len bytes at table offset off, possibly spanning two entries.
 * Returns through *changed (up to two entries) the vectors whose effective
 * mask changed.
 */
static unsigned msix_table_access(struct pci_device *dev, uint64_t off, uint8_t *data, unsigned len,
				  bool write, unsigned changed[2])
{
	struct pci_msix *m = dev->msix;
	unsigned n_changed = 0;

	for (unsigned done = 0; done < len;) {
		unsigned i = (off + done) / PCI_MSIX_ENTRY_SIZE;
		unsigned at = (off + done) % PCI_MSIX_ENTRY_SIZE;
		unsigned n = MIN(len - done, PCI_MSIX_ENTRY_SIZE - at);
		uint8_t e[PCI_MSIX_ENTRY_SIZE];

		if (i >= m->nvec)
			break;
		msix_entry_image(&m->v[i], e);
		if (write) {
			bool was = msix_vec_masked(m, i);

			memcpy(e + at, data + done, n);
			msix_entry_store(&m->v[i], e);
			vec_sync(dev, &m->v[i], msix_vec_masked(m, i));
			if (was != msix_vec_masked(m, i) && n_changed < 2)
				changed[n_changed++] = i;
		} else {
			memcpy(data + done, e + at, n);
		}
		done += n;
	}
	return n_changed;
}

static void msix_pba_read(struct pci_device *dev, uint64_t off, uint8_t *data, unsigned len)
{
	struct pci_msix *m = dev->msix;

	memset(data, 0, len);
	for (unsigned b = 0; b < len * 8; b++) {
		uint64_t i = off * 8 + b;

		if (i >= m->nvec)
			break;
		vec_drain(&m->v[i]);
		if (m->v[i].pending)
			data[b / 8] |= 1u << (b % 8);
	}
}

bool pci_msix_bar_access(struct pci_device *dev, unsigned bar, uint64_t off, uint8_t *data,
			 unsigned len, bool write)
{
	struct pci_msix *m = dev->msix;
	uint64_t table_end = m->table_off + (uint64_t)m->nvec * PCI_MSIX_ENTRY_SIZE;
	uint64_t pba_end = m->pba_off + (uint64_t)(m->nvec + 63) / 64 * 8;
	unsigned changed[2], n_changed = 0;
	bool handled = false;

	pthread_mutex_lock(&m->lock);
	if (bar == m->table_bar && off >= m->table_off && off < table_end) {
		n_changed = msix_table_access(dev, off - m->table_off, data,
					      MIN(len, table_end - off), write, changed);
		handled = true;
	} else if (bar == m->pba_bar && off >= m->pba_off && off < pba_end) {
		if (!write)
			msix_pba_read(dev, off - m->pba_off, data, MIN(len, pba_end - off));
		handled = true;
	}
	pthread_mutex_unlock(&m->lock);
	for (unsigned k = 0; k < n_changed; k++)
		msix_mask_notify(dev, changed[k], pci_msix_vector_masked(dev, changed[k]));
	return handled;
}

/* --- MSI: one vector, 64-bit address, per-vector mask --- */

enum { MSI_CTRL = 2, MSI_ADDR_LO = 4, MSI_ADDR_HI = 8, MSI_DATA = 12, MSI_MASK = 16,
       MSI_PENDING = 20, MSI_CAP_LEN = 24 };

int pci_msi_init(struct pci_device *dev)
{
	uint8_t body[MSI_CAP_LEN - 2] = { 0 }, wmask[MSI_CAP_LEN] = { 0 };
	struct pci_msi *m;
	int ret;

	if (dev->msi)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	ret = vec_init(&m->v);
	if (ret) {
		free(m);
		return ret;
	}
	body[0] = 0x80;          /* 64-bit capable, one vector */
	body[1] = 0x01;          /* per-vector masking */
	wmask[MSI_CTRL] = PCI_MSI_CTRL_ENABLE;
	memset(&wmask[MSI_ADDR_LO], 0xff, 4);
	wmask[MSI_ADDR_LO] = 0xfc;
	memset(&wmask[MSI_ADDR_HI], 0xff, 4);
	memset(&wmask[MSI_DATA], 0xff, 2);
	wmask[MSI_MASK] = 0x01;
	dev->msi = m;
	ret = pci_device_add_cap(dev, PCI_CAP_ID_MSI, body, wmask, MSI_CAP_LEN);
	if (ret < 0) {
		pci_msi_destroy(dev);
		return ret;
	}
	m->cap = ret;
	return 0;
}

void pci_msi_destroy(struct pci_device *dev)
{
	if (!dev->msi)
		return;
	vec_destroy(dev, &dev->msi->v);
	pthread_mutex_destroy(&dev->msi->lock);
	free(dev->msi);
	dev->msi = NULL;
}

static uint32_t cfg32(const struct pci_device *dev, unsigned off)
{
	uint32_t v;

	memcpy(&v, &dev->cfg[off], sizeof(v));
	return v;
}

void pci_msi_cfg_written(struct pci_device *dev, unsigned off, unsigned len)
{
	struct pci_msi *m = dev->msi;

	if (off >= m->cap + MSI_CAP_LEN || off + len <= m->cap)
		return;
	pthread_mutex_lock(&m->lock);
	m->enabled = dev->cfg[m->cap + MSI_CTRL] & PCI_MSI_CTRL_ENABLE;
	m->v.addr = cfg32(dev, m->cap + MSI_ADDR_LO) |
		    (uint64_t)cfg32(dev, m->cap + MSI_ADDR_HI) << 32;
	m->v.data = cfg32(dev, m->cap + MSI_DATA) & 0xffff;
	m->v.masked = dev->cfg[m->cap + MSI_MASK] & 1;
	vec_sync(dev, &m->v, !m->enabled || m->v.masked);
	dev->cfg[m->cap + MSI_PENDING] = m->v.pending;
	pthread_mutex_unlock(&m->lock);
}

void pci_msi_reset(struct pci_device *dev)
{
	struct pci_msi *m = dev->msi;
	uint64_t drop;

	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	vec_sync(dev, &m->v, true);
	m->enabled = false;
	m->v.addr = m->v.data = 0;
	m->v.masked = m->v.pending = false;
	if (read(m->v.efd, &drop, sizeof(drop)) < 0 && errno != EAGAIN)
		log_warn("pci %s: MSI eventfd read failed", dev->bdf);
	pthread_mutex_unlock(&m->lock);
}

void pci_msi_notify(struct pci_device *dev)
{
	if (dev->msi)
		vec_signal(&dev->msi->v);
}

int pci_msi_eventfd(struct pci_device *dev)
{
	return dev->msi ? dev->msi->v.efd : -1;
}
