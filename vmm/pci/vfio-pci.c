#include "vfio-pci.h"

#include <errno.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bitmap.h"
#include "bus.h"
#include "bytes.h"
#include "log.h"
#include "memory-map.h"
#include "pci-msix.h"
#include "pci.h"
#include "vfio-dev.h"
#include "vm.h"

#define VFIO_PCI_PAGE       4096ULL
#define VFIO_PCI_MAX_PIECES (3 * VFIO_DEV_MAX_SPARSE)
#define VFIO_PCI_MAX_CAPS   48   /* more links than fit in 192 bytes: a loop */

#define PCI_CAP_ID_PM       0x01
#define PCI_CAP_ID_EXP      0x10
#define PCI_PM_CAP_LEN      8
#define PCI_PM_CTRL         4
#define PCI_PM_CTRL_STATE   0x03
#define PCI_EXP_FLAGS       2
#define PCI_EXP_DEVCTL      8
/* Device Control bits a guest may change on the device: error reporting, relaxed ordering. */
#define PCI_EXP_DEVCTL_FWD  0x1f
#define PCI_MSIX_CAP_LEN    12
#define PCI_MSI_CAP_LEN     24   /* the core's MSI capability: 64-bit, per-vector mask */
#define PCI_ROM_ENABLE      0x1
#define PCI_ROM_ADDR_MASK   0xfffff800u
#define PCI_HEADER_TYPE_MASK 0x7f

struct vfio_pci_bar {
	struct vfio_dev_region info;
	void *maps[VFIO_DEV_MAX_SPARSE];  /* one mmap per area, or NULL */
	uint64_t map_len[VFIO_DEV_MAX_SPARSE];
	struct vfio_pci_slot pieces[VFIO_PCI_MAX_PIECES];
	void *piece_hva[VFIO_PCI_MAX_PIECES];
	unsigned n_pieces;
};

struct vfio_pci {
	struct pci_device dev;
	struct vfio_dev *vdev;
	struct vm *vm;
	bool rom_wanted;
	struct vfio_pci_bar bars[PCI_NUM_BARS];
	uint16_t host_decode;         /* IO/MEMORY: kept on in the device's COMMAND */
	/* Config bytes read from the device, and the bits of a write forwarded to it. */
	uint8_t live[PCI_CFG_STD_END];
	uint8_t fwd[PCI_CFG_STD_END];
	unsigned msix_cap, msi_cap;   /* offsets in the image, 0: none */
	unsigned msix_nvec;           /* vectors bound on the host side */
	/* Interrupt state, under lock (vCPU threads reach it through the MSI-X hook). */
	pthread_mutex_t lock;
	bool msix_on, msi_on, intx_on;
	uint8_t *msix_bound;          /* bitmap of vectors bound to their eventfd */
	int intx_fd, intx_resample;   /* eventfds, or -1 */
	/* Under the root's lock or with no vCPU running. */
	bool dma_mapped;
	struct vfio_dev_region rom;
	bool rom_mapped;
	uint64_t rom_addr;
	char rom_name[40];
};

static struct vfio_pci *to_vfio_pci(struct pci_device *dev)
{
	return dev->priv;
}

static uint32_t cfg_get(const struct pci_device *dev, unsigned off, unsigned len)
{
	return (uint32_t)le_get(dev->cfg + off, len);
}

static bool overlaps(unsigned off, unsigned len, unsigned start, unsigned end)
{
	return off < end && start < off + len;
}

static void bit_assign(uint8_t *map, unsigned bit, bool on)
{
	if (on)
		map[bit / 8] |= 1u << (bit % 8);
	else
		bitmap_clear(map, bit);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* ---- the device's COMMAND register and DMA ---- */

static int host_cfg_read(struct vfio_pci *v, unsigned off, void *buf, size_t len)
{
	ssize_t n = vfio_dev_region_read(v->vdev, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len);

	return n == (ssize_t)len ? 0 : n < 0 ? (int)n : -EIO;
}

static int host_cfg_write(struct vfio_pci *v, unsigned off, const void *buf, size_t len)
{
	ssize_t n = vfio_dev_region_write(v->vdev, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len);

	return n == (ssize_t)len ? 0 : n < 0 ? (int)n : -EIO;
}

/* Set the device's COMMAND: decode on, MASTER and INTX_DISABLE as in guest. */
static void host_command_set(struct vfio_pci *v, uint16_t guest)
{
	const uint16_t passed = PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE;
	uint8_t b[2];
	uint16_t cmd;

	if (host_cfg_read(v, PCI_COMMAND, b, 2)) {
		log_warn("vfio %s: cannot read the device's COMMAND register", v->vdev->name);
		return;
	}
	cmd = (uint16_t)((b[0] | b[1] << 8) & ~passed) | (guest & passed) | v->host_decode;
	le_put(b, 2, cmd);
	if (host_cfg_write(v, PCI_COMMAND, b, 2))
		log_warn("vfio %s: cannot write the device's COMMAND register", v->vdev->name);
}

/* Write the sentence for a failed DMA map of size bytes into why. */
static void dma_error(struct vfio_pci *v, int err, uint64_t size, char *why, size_t why_len)
{
	if (!why_len)
		return;
	if (err == -ENOSPC)
		snprintf(why, why_len, "%s: VFIO's DMA mapping limit is reached (%u mappings; the "
			 "vfio_iommu_type1 module's dma_entry_limit parameter sets it)", v->vdev->name,
			 v->vdev->dma.limit);
	else if (err == -ENOMEM)
		snprintf(why, why_len, "%s: cannot pin %llu MiB more of guest RAM for the device's DMA: "
			 "the locked-memory limit is too low (raise RLIMIT_MEMLOCK, ulimit -l, to at "
			 "least the guest's RAM size)", v->vdev->name,
			 (unsigned long long)(size >> 20));
	else
		snprintf(why, why_len, "%s: cannot map guest RAM for the device's DMA: %s",
			 v->vdev->name, strerror(-err));
}

static void dma_unmap_all(struct vfio_pci *v)
{
	const struct guest_mem *mem = &v->vm->mem;

	if (!v->dma_mapped)
		return;
	for (size_t i = 0; i < mem->n_regions; i++)
		if (vfio_dev_dma_unmap(v->vdev, mem->regions[i].gpa, mem->regions[i].size))
			log_warn("vfio %s: cannot unmap guest RAM at 0x%llx from DMA", v->vdev->name,
				 (unsigned long long)mem->regions[i].gpa);
	v->dma_mapped = false;
}

/* Map every RAM region at IOVA = GPA. 0 or -errno with why written and nothing mapped. */
static int dma_map_all(struct vfio_pci *v, char *why, size_t why_len)
{
	const struct guest_mem *mem = &v->vm->mem;
	int ret;

	for (size_t i = 0; i < mem->n_regions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];

		ret = vfio_dev_dma_map(v->vdev, r->gpa, r->hva, r->size, true);
		if (ret) {
			dma_error(v, ret, r->size, why, why_len);
			for (size_t k = 0; k < i; k++)
				if (vfio_dev_dma_unmap(v->vdev, mem->regions[k].gpa, mem->regions[k].size))
					log_warn("vfio %s: cannot unmap guest RAM from DMA", v->vdev->name);
			return ret;
		}
	}
	v->dma_mapped = true;
	return 0;
}

/* COMMAND was written: MASTER (mapping RAM again first if a reboot dropped it) and INTX_DISABLE. */
static void command_sync(struct vfio_pci *v)
{
	uint16_t guest = cfg_get(&v->dev, PCI_COMMAND, 2);
	char why[256];

	if ((guest & PCI_COMMAND_MASTER) && !v->dma_mapped && dma_map_all(v, why, sizeof(why))) {
		log_warn("%s; the device's bus mastering stays off", why);
		guest &= ~PCI_COMMAND_MASTER;
	}
	host_command_set(v, guest);
}

/* ---- interrupts ---- */

static void intx_host_off_locked(struct vfio_pci *v)
{
	if (v->intx_on && vfio_dev_irq_set_eventfds(v->vdev, VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NULL))
		log_warn("vfio %s: cannot disable INTx", v->vdev->name);
	v->intx_on = false;
}

/* Route the device's INTx to intx_fd, unmasked whenever KVM signals the resample fd. */
static void intx_host_on_locked(struct vfio_pci *v)
{
	int ret;

	if (v->intx_on || v->intx_fd < 0)
		return;
	ret = vfio_dev_irq_set_eventfds(v->vdev, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &v->intx_fd);
	if (!ret)
		ret = vfio_dev_irq_unmask(v->vdev, VFIO_PCI_INTX_IRQ_INDEX, v->intx_resample);
	if (ret)
		log_warn("vfio %s: cannot route INTx: %s", v->vdev->name, strerror(-ret));
	v->intx_on = !ret;
}

static int msix_bind_all_locked(struct vfio_pci *v)
{
	int *fds = calloc(v->msix_nvec, sizeof(*fds));
	int ret;

	if (!fds)
		return -ENOMEM;
	for (unsigned i = 0; i < v->msix_nvec; i++)
		fds[i] = pci_msix_vector_eventfd(&v->dev, i);
	ret = vfio_dev_irq_set_eventfds(v->vdev, VFIO_PCI_MSIX_IRQ_INDEX, 0, v->msix_nvec, fds);
	free(fds);
	for (unsigned i = 0; i < v->msix_nvec; i++)
		bit_assign(v->msix_bound, i, !ret);
	return ret;
}

/* The guest enabled or disabled MSI-X: bind every vector, or hand the device back to INTx. */
static void msix_sync(struct vfio_pci *v)
{
	bool want = cfg_get(&v->dev, v->msix_cap + 2, 2) & PCI_MSIX_CTRL_ENABLE;
	int ret;

	pthread_mutex_lock(&v->lock);
	if (want && !v->msix_on) {
		intx_host_off_locked(v);
		ret = msix_bind_all_locked(v);
		if (ret)
			log_warn("vfio %s: cannot bind the MSI-X vectors (%s); each is tried again "
				 "when unmasked", v->vdev->name, strerror(-ret));
		v->msix_on = true;
	} else if (!want && v->msix_on) {
		if (vfio_dev_irq_set_eventfds(v->vdev, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL))
			log_warn("vfio %s: cannot disable MSI-X", v->vdev->name);
		memset(v->msix_bound, 0, BITMAP_BYTES(v->msix_nvec));
		v->msix_on = false;
		intx_host_on_locked(v);
	}
	pthread_mutex_unlock(&v->lock);
}

/*
 * A vector was (un)masked. The core holds a masked vector's signals in its
 * eventfd (the pending bit), so the host vector stays bound; a vector whose
 * binding failed is bound again when the guest unmasks it.
 */
static void vfio_pci_msix_vector_masked(struct pci_device *dev, unsigned i, bool masked)
{
	struct vfio_pci *v = to_vfio_pci(dev);
	int fd;

	if (masked || i >= v->msix_nvec)
		return;
	pthread_mutex_lock(&v->lock);
	if (v->msix_on && !bitmap_test(v->msix_bound, i)) {
		fd = pci_msix_vector_eventfd(dev, i);
		if (!vfio_dev_irq_set_eventfds(v->vdev, VFIO_PCI_MSIX_IRQ_INDEX, i, 1, &fd))
			bit_assign(v->msix_bound, i, true);
	}
	pthread_mutex_unlock(&v->lock);
}

/* MSI (only when the device has no MSI-X): vector 0 to the core's eventfd. */
static void msi_sync(struct vfio_pci *v)
{
	bool want = cfg_get(&v->dev, v->msi_cap + 2, 2) & PCI_MSI_CTRL_ENABLE;
	int fd = pci_msi_eventfd(&v->dev), ret;

	pthread_mutex_lock(&v->lock);
	if (want && !v->msi_on) {
		intx_host_off_locked(v);
		ret = vfio_dev_irq_set_eventfds(v->vdev, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &fd);
		if (ret)
			log_warn("vfio %s: cannot enable MSI: %s", v->vdev->name, strerror(-ret));
		v->msi_on = !ret;
	} else if (!want && v->msi_on) {
		if (vfio_dev_irq_set_eventfds(v->vdev, VFIO_PCI_MSI_IRQ_INDEX, 0, 0, NULL))
			log_warn("vfio %s: cannot disable MSI", v->vdev->name);
		v->msi_on = false;
		intx_host_on_locked(v);
	}
	pthread_mutex_unlock(&v->lock);
}

/* Every interrupt off on the device (quiesce, teardown). */
static void irqs_host_off(struct vfio_pci *v)
{
	pthread_mutex_lock(&v->lock);
	if ((v->msix_on && vfio_dev_irq_set_eventfds(v->vdev, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL)) ||
	    (v->msi_on && vfio_dev_irq_set_eventfds(v->vdev, VFIO_PCI_MSI_IRQ_INDEX, 0, 0, NULL)))
		log_warn("vfio %s: cannot disable MSI-X or MSI", v->vdev->name);
	if (v->msix_bound)
		memset(v->msix_bound, 0, BITMAP_BYTES(v->msix_nvec));
	v->msix_on = v->msi_on = false;
	intx_host_off_locked(v);
	pthread_mutex_unlock(&v->lock);
}

static void intx_attach(struct vfio_pci *v)
{
	int ret;

	if (v->intx_fd < 0)
		return;
	pthread_mutex_lock(&v->lock);
	intx_host_on_locked(v);
	pthread_mutex_unlock(&v->lock);
	ret = pci_intx_irqfd_attach(&v->dev, v->intx_fd, v->intx_resample);
	if (ret)
		log_warn("vfio %s: INTx not connected to the guest: %s", v->vdev->name, strerror(-ret));
}

/* ---- the option ROM (opts->rom) ---- */

static void rom_read(void *opaque, uint64_t off, uint8_t *data, unsigned len)
{
	struct vfio_pci *v = opaque;

	if (vfio_dev_region_read(v->vdev, VFIO_PCI_ROM_REGION_INDEX, off, data, len) != (ssize_t)len)
		memset(data, 0xff, len);
}

static void rom_write(void *opaque, uint64_t off, const uint8_t *data, unsigned len)
{
}

static const struct bus_ops rom_ops = { .read = rom_read, .write = rom_write };

/* Map or unmap the ROM as its BAR register and COMMAND.MEMORY now say. */
static void rom_update(struct vfio_pci *v)
{
	uint32_t reg = cfg_get(&v->dev, PCI_ROM_ADDRESS, 4);
	uint64_t addr = reg & PCI_ROM_ADDR_MASK, size = v->rom.size;
	bool want = (reg & PCI_ROM_ENABLE) && (cfg_get(&v->dev, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);

	if (!v->rom_wanted || !v->vm)
		return;
	if (v->rom_mapped && (!want || addr != v->rom_addr)) {
		bus_unregister(&v->vm->mmio, v->rom_addr, v);
		v->rom_mapped = false;
	}
	if (!want || v->rom_mapped)
		return;
	if (addr < GPA_PCI_MMIO32_START || addr + size > GPA_PCI_MMIO32_END ||
	    vm_mem_slot_overlaps(v->vm, addr, size) ||
	    bus_register(&v->vm->mmio, addr, size, &rom_ops, v, v->rom_name)) {
		log_info("pci %s: ROM at 0x%llx not decoded", v->dev.bdf, (unsigned long long)addr);
		return;
	}
	v->rom_mapped = true;
	v->rom_addr = addr;
}

static int rom_setup(struct vfio_pci *v)
{
	int ret = vfio_dev_region_info(v->vdev, VFIO_PCI_ROM_REGION_INDEX, &v->rom);

	if (ret || !v->rom.size || !v->rom.readable) {
		v->rom_wanted = false;
		return 0; /* no ROM: the register reads 0 */
	}
	if (!is_pow2(v->rom.size) || v->rom.size < 2048 || v->rom.size > 16 * MiB)
		return -ENOTSUP;
	le_put(v->dev.wmask + PCI_ROM_ADDRESS, 4,
	       ((uint32_t)~(v->rom.size - 1) & PCI_ROM_ADDR_MASK) | PCI_ROM_ENABLE);
	return 0;
}

/* ---- config space ---- */

static void vfio_pci_cfg_read(struct pci_device *dev, unsigned off, unsigned len, uint32_t *val)
{
	struct vfio_pci *v = to_vfio_pci(dev);
	uint8_t buf[4];
	bool any = false;

	if (off >= PCI_CFG_STD_END)
		return;
	len = MIN(len, PCI_CFG_STD_END - off);
	for (unsigned i = 0; i < len; i++)
		any |= v->live[off + i];
	if (!any || host_cfg_read(v, off, buf, len))
		return;
	for (unsigned i = 0; i < len; i++)
		if (v->live[off + i])
			*val = (*val & ~(0xffu << (8 * i))) | (uint32_t)buf[i] << (8 * i);
}

/* Forward the allowed bits of a write to the device, byte by byte. */
static void cfg_forward(struct vfio_pci *v, unsigned off, unsigned len, uint32_t val)
{
	for (unsigned i = 0; i < len && off + i < PCI_CFG_STD_END; i++) {
		uint8_t m = v->fwd[off + i], b;

		if (!m || host_cfg_read(v, off + i, &b, 1))
			continue;
		b = (b & ~m) | ((val >> (8 * i)) & m);
		if (host_cfg_write(v, off + i, &b, 1))
			log_warn("vfio %s: config write at 0x%x failed", v->vdev->name, off + i);
	}
}

static void vfio_pci_cfg_write(struct pci_device *dev, unsigned off, unsigned len, uint32_t val)
{
	struct vfio_pci *v = to_vfio_pci(dev);

	if (overlaps(off, len, PCI_COMMAND, PCI_COMMAND + 2))
		command_sync(v);
	if (v->msix_cap && overlaps(off, len, v->msix_cap + 2, v->msix_cap + 4))
		msix_sync(v);
	if (v->msi_cap && overlaps(off, len, v->msi_cap + 2, v->msi_cap + 4))
		msi_sync(v);
	if (overlaps(off, len, PCI_COMMAND, PCI_COMMAND + 2) ||
	    overlaps(off, len, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS + 4))
		rom_update(v);
	cfg_forward(v, off, len, val);
}

static bool cap_space_free(const struct pci_device *dev, unsigned off, unsigned len)
{
	if (off < PCI_CFG_HEADER_END || off % 4 || off + len > PCI_CFG_STD_END)
		return false;
	for (unsigned i = off; i < off + len; i++)
		if (bitmap_test(dev->cfg_used, i))
			return false;
	return true;
}

/*
 * Run a core capability constructor (which takes the first free space) with
 * only [off, off + len) free, so that it lands at the host's offset.
 */
static int cap_place_at(struct pci_device *dev, unsigned off, unsigned len,
			int (*init)(struct vfio_pci *v, const uint8_t *host, unsigned off),
			struct vfio_pci *v, const uint8_t *host, unsigned host_off)
{
	uint8_t saved[sizeof(dev->cfg_used)];
	int ret;

	if (!cap_space_free(dev, off, len))
		return -ENOSPC;
	memcpy(saved, dev->cfg_used, sizeof(saved));
	for (unsigned i = PCI_CFG_HEADER_END; i < PCI_CFG_STD_END; i++)
		if (i < off || i >= off + len)
			bit_assign(dev->cfg_used, i, true);
	ret = init(v, host, host_off);
	for (unsigned i = PCI_CFG_HEADER_END; i < PCI_CFG_STD_END; i++)
		if (i < off || i >= off + len)
			bit_assign(dev->cfg_used, i, bitmap_test(saved, i));
	return ret;
}

static int msix_init_from_host(struct vfio_pci *v, const uint8_t *host, unsigned off)
{
	unsigned nvec = (le_get(host + off + 2, 2) & 0x7ff) + 1;
	uint32_t table = le_get(host + off + 4, 4), pba = le_get(host + off + 8, 4);
	struct vfio_dev_irq irq;
	int ret;

	if (vfio_dev_irq_info(v->vdev, VFIO_PCI_MSIX_IRQ_INDEX, &irq) || !irq.count || !irq.eventfd)
		return -ENOTSUP;
	ret = pci_msix_init(&v->dev, nvec, table & 7, table & ~7u, pba & 7, pba & ~7u);
	if (ret)
		return ret;
	v->msix_nvec = MIN(nvec, irq.count);
	v->msix_bound = calloc(1, BITMAP_BYTES(v->msix_nvec));
	return v->msix_bound ? 0 : -ENOMEM;
}

static int msi_init_from_host(struct vfio_pci *v, const uint8_t *host, unsigned off)
{
	struct vfio_dev_irq irq;

	if (vfio_dev_irq_info(v->vdev, VFIO_PCI_MSI_IRQ_INDEX, &irq) || !irq.count || !irq.eventfd)
		return -ENOTSUP;
	return pci_msi_init(&v->dev);
}

/* Copy a capability as it is on the host; live bytes read from the device. */
static int cap_copy(struct vfio_pci *v, const uint8_t *host, unsigned off, unsigned len,
		    const uint8_t *wmask, bool live)
{
	int ret;

	len = MIN(len, PCI_CFG_STD_END - off);
	if (len < 4)
		return -ENOSPC;
	ret = pci_device_add_cap_at(&v->dev, off, host[off], host + off + 2, wmask, len);
	if (ret < 0)
		return ret;
	for (unsigned i = 2; live && i < len; i++)
		v->live[off + i] = 1;
	return 0;
}

/* Find the core's capability id in the image; 0 if absent. */
static unsigned image_cap_find(const struct pci_device *dev, uint8_t id)
{
	unsigned off = dev->cfg[PCI_CAPABILITY_LIST];

	for (unsigned n = 0; off && n < VFIO_PCI_MAX_CAPS; n++, off = dev->cfg[off + 1])
		if (dev->cfg[off] == id)
			return off;
	return 0;
}

static int cap_keep_pm(struct vfio_pci *v, const uint8_t *host, unsigned off)
{
	uint8_t wmask[PCI_PM_CAP_LEN] = { 0 };

	wmask[PCI_PM_CTRL] = PCI_PM_CTRL_STATE; /* the power state, emulated */
	return cap_copy(v, host, off, PCI_PM_CAP_LEN, wmask, false);
}

static int cap_keep_exp(struct vfio_pci *v, const uint8_t *host, unsigned off)
{
	unsigned len = (host[off + PCI_EXP_FLAGS] & 0xf) >= 2 ? 0x3c : 0x24;
	int ret = cap_copy(v, host, off, len, NULL, true);

	if (!ret && off + PCI_EXP_DEVCTL < PCI_CFG_STD_END)
		v->fwd[off + PCI_EXP_DEVCTL] = PCI_EXP_DEVCTL_FWD;
	return ret;
}

static int cap_keep_vndr(struct vfio_pci *v, const uint8_t *host, unsigned off)
{
	return cap_copy(v, host, off, MAX(host[off + 2], 4), NULL, false);
}

/* Present one host capability (or not). 0 kept or dropped on purpose; -errno a failure. */
static int cap_keep(struct vfio_pci *v, const uint8_t *host, unsigned off, bool has_msix)
{
	int ret;

	switch (host[off]) {
	case PCI_CAP_ID_PM:
		ret = cap_keep_pm(v, host, off);
		break;
	case PCI_CAP_ID_EXP:
		ret = cap_keep_exp(v, host, off);
		break;
	case PCI_CAP_ID_VNDR:
		ret = cap_keep_vndr(v, host, off);
		break;
	case PCI_CAP_ID_MSIX:
		ret = cap_place_at(&v->dev, off, PCI_MSIX_CAP_LEN, msix_init_from_host, v, host, off);
		break;
	case PCI_CAP_ID_MSI:
		if (has_msix)
			return 0;
		ret = cap_place_at(&v->dev, off, PCI_MSI_CAP_LEN, msi_init_from_host, v, host, off);
		if (ret == -ENOSPC) /* the core's MSI is larger than the host's */
			ret = msi_init_from_host(v, host, off);
		break;
	default:
		return 0;
	}
	if (ret == -ENOSPC || ret == -ENOTSUP) {
		log_info("vfio %s: capability 0x%02x at 0x%02x hidden", v->vdev->name, host[off], off);
		return 0;
	}
	return ret;
}

static bool host_has_cap(const uint8_t *host, uint8_t id)
{
	unsigned off = host[PCI_CAPABILITY_LIST] & ~3u;

	for (unsigned n = 0; off >= PCI_CFG_HEADER_END && n < VFIO_PCI_MAX_CAPS; n++) {
		if (host[off] == id)
			return true;
		off = host[off + 1] & ~3u;
	}
	return false;
}

/* Walk the host's list (bounded: a looping or wild list ends the walk). */
static int caps_build(struct vfio_pci *v, const uint8_t *host)
{
	bool has_msix = host_has_cap(host, PCI_CAP_ID_MSIX);
	unsigned off = host[PCI_CAPABILITY_LIST] & ~3u;
	int ret;

	if (!(le_get(host + PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	for (unsigned n = 0; off >= PCI_CFG_HEADER_END && n < VFIO_PCI_MAX_CAPS; n++) {
		ret = cap_keep(v, host, off, has_msix);
		if (ret)
			return ret;
		off = host[off + 1] & ~3u;
	}
	v->msix_cap = v->dev.msix ? image_cap_find(&v->dev, PCI_CAP_ID_MSIX) : 0;
	v->msi_cap = v->dev.msi ? image_cap_find(&v->dev, PCI_CAP_ID_MSI) : 0;
	return 0;
}

/* The BAR's type from the host's BAR register; PCI_BAR_NONE for an absent one. */
static enum pci_bar_type bar_type(const uint8_t *host, unsigned n, uint64_t size)
{
	uint32_t reg = le_get(host + PCI_BAR0 + 4 * n, 4);

	if (!size)
		return PCI_BAR_NONE;
	if (reg & 1)
		return PCI_BAR_IO;
	return (reg & 6) == 4 ? PCI_BAR_MEM64 : PCI_BAR_MEM32;
}

static int bars_declare(struct vfio_pci *v, const uint8_t *host)
{
	for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
		struct vfio_pci_bar *b = &v->bars[n];
		enum pci_bar_type type;
		int ret = vfio_dev_region_info(v->vdev, VFIO_PCI_BAR0_REGION_INDEX + n, &b->info);

		if (ret)
			return ret;
		type = bar_type(host, n, b->info.size);
		if (type == PCI_BAR_NONE)
			continue;
		if (type == PCI_BAR_MEM64 && n == PCI_NUM_BARS - 1)
			return -ENOTSUP;
		ret = pci_device_add_bar(&v->dev, n, type, b->info.size,
					 le_get(host + PCI_BAR0 + 4 * n, 4) & 8, NULL);
		if (ret)
			return -ENOTSUP;
		v->host_decode |= type == PCI_BAR_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
		if (type == PCI_BAR_MEM64)
			n++;
	}
	return 0;
}

static int cfg_build(struct vfio_pci *v, const uint8_t *host)
{
	struct vfio_dev_irq intx;
	int ret;

	if (host[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK)
		return -ENOTSUP; /* a bridge or CardBus header */
	pci_device_init(&v->dev, v->dev.ops, v, le_get(host + PCI_VENDOR_ID, 2),
			le_get(host + PCI_DEVICE_ID, 2), le_get(host + PCI_CLASS_PROG, 3),
			host[PCI_REVISION_ID]);
	memcpy(v->dev.cfg + PCI_SUBSYSTEM_VENDOR_ID, host + PCI_SUBSYSTEM_VENDOR_ID, 4);
	if (vfio_dev_irq_info(v->vdev, VFIO_PCI_INTX_IRQ_INDEX, &intx) || !intx.count ||
	    !host[PCI_INTERRUPT_PIN])
		v->dev.cfg[PCI_INTERRUPT_PIN] = 0;
	ret = bars_declare(v, host);
	if (!ret)
		ret = caps_build(v, host);
	if (!ret && v->rom_wanted)
		ret = rom_setup(v);
	return ret;
}

/* ---- BAR mappings ---- */

struct piece {
	uint64_t start, end;   /* BAR offsets */
	uint8_t *hva;          /* the host address of start */
};

/* Remove [hs, he) from the pieces in p (n of them, room for max); returns the new count. */
static unsigned pieces_cut(struct piece *p, unsigned n, unsigned max, uint64_t hs, uint64_t he)
{
	unsigned count = n;

	for (unsigned i = 0; i < n; i++) {
		struct piece c = p[i];

		if (he <= c.start || c.end <= hs)
			continue;
		p[i].end = p[i].start; /* emptied; the parts outside the hole come back below */
		if (c.start < hs)
			p[i].end = hs;
		if (he < c.end) {
			struct piece right = { he, c.end, c.hva + (he - c.start) };

			if (p[i].end == p[i].start)
				p[i] = right;
			else if (count < max)
				p[count++] = right;
		}
	}
	return count;
}

/* The pages [off, off + len) covers, aligned out to whole pages. */
static void page_span(uint64_t off, uint64_t len, uint64_t *start, uint64_t *end)
{
	*start = off & ~(VFIO_PCI_PAGE - 1);
	*end = (off + len + VFIO_PCI_PAGE - 1) & ~(VFIO_PCI_PAGE - 1);
}

/* Cut the MSI-X table and PBA pages out of BAR n's pieces. */
static unsigned pieces_cut_msix(struct vfio_pci *v, unsigned n, struct piece *p, unsigned count)
{
	const uint8_t *cap = v->dev.cfg + v->msix_cap;
	unsigned nvec = (le_get(cap + 2, 2) & 0x7ff) + 1;
	uint32_t table = le_get(cap + 4, 4), pba = le_get(cap + 8, 4);
	uint64_t s, e;

	if (!v->msix_cap)
		return count;
	if ((table & 7) == n) {
		page_span(table & ~7u, (uint64_t)nvec * PCI_MSIX_ENTRY_SIZE, &s, &e);
		count = pieces_cut(p, count, VFIO_PCI_MAX_PIECES, s, e);
	}
	if ((pba & 7) == n) {
		page_span(pba & ~7u, (nvec + 63) / 64 * 8, &s, &e);
		count = pieces_cut(p, count, VFIO_PCI_MAX_PIECES, s, e);
	}
	return count;
}

/* mmap BAR n's areas and work out the pieces that become memory slots. */
static void bar_mmap(struct vfio_pci *v, unsigned n)
{
	struct vfio_pci_bar *b = &v->bars[n];
	struct piece p[VFIO_PCI_MAX_PIECES];
	unsigned count = 0;

	if (v->dev.bars[n].type == PCI_BAR_NONE || v->dev.bars[n].type == PCI_BAR_IO ||
	    !b->info.mmappable)
		return;
	for (unsigned k = 0; k < MIN(b->info.n_areas, VFIO_DEV_MAX_SPARSE); k++) {
		const struct vfio_dev_area *a = &b->info.areas[k];
		void *hva;

		if (!a->size || (a->offset | a->size) & (VFIO_PCI_PAGE - 1) ||
		    !vfio_dev_range_within(a->offset, a->size, b->info.size))
			continue;
		if (vfio_dev_region_mmap(v->vdev, VFIO_PCI_BAR0_REGION_INDEX + n, a->offset,
					 a->size, &hva)) {
			log_info("vfio %s: BAR%u area at 0x%llx not mmapped; it traps", v->vdev->name,
				 n, (unsigned long long)a->offset);
			continue;
		}
		b->maps[k] = hva;
		b->map_len[k] = a->size;
		p[count++] = (struct piece){ a->offset, a->offset + a->size, hva };
	}
	count = pieces_cut_msix(v, n, p, count);
	for (unsigned i = 0; i < count; i++) {
		if (p[i].end == p[i].start)
			continue;
		b->pieces[b->n_pieces] = (struct vfio_pci_slot){ .bar_off = p[i].start,
			.size = p[i].end - p[i].start, .slot = -1 };
		b->piece_hva[b->n_pieces++] = p[i].hva;
	}
}

static void bar_munmap(struct vfio_pci_bar *b)
{
	for (unsigned k = 0; k < VFIO_DEV_MAX_SPARSE; k++)
		if (b->maps[k])
			munmap(b->maps[k], b->map_len[k]);
	memset(b->maps, 0, sizeof(b->maps));
	b->n_pieces = 0;
}

static void bar_slots_unmap(struct vfio_pci *v, struct vfio_pci_bar *b)
{
	for (unsigned i = 0; i < b->n_pieces; i++) {
		if (b->pieces[i].slot >= 0 && vm_mem_unmap_slot(v->vm, b->pieces[i].slot))
			log_warn("vfio %s: cannot remove a BAR memory slot", v->vdev->name);
		b->pieces[i].slot = -1;
	}
}

static void vfio_pci_bar_moved(struct pci_device *dev, unsigned bar, bool mapped, uint64_t addr)
{
	struct vfio_pci *v = to_vfio_pci(dev);
	struct vfio_pci_bar *b = &v->bars[bar];
	int ret;

	bar_slots_unmap(v, b);
	for (unsigned i = 0; mapped && i < b->n_pieces; i++) {
		struct vfio_pci_slot *s = &b->pieces[i];

		s->gpa = addr + s->bar_off;
		ret = vm_mem_map_slot(v->vm, s->gpa, s->size, b->piece_hva[i], false);
		if (ret < 0)
			log_info("vfio %s: BAR%u+0x%llx not mapped as a memory slot (%s); it traps",
				 v->vdev->name, bar, (unsigned long long)s->bar_off, strerror(-ret));
		s->slot = ret < 0 ? -1 : ret;
	}
}

static bool bar_access_ok(struct vfio_pci *v, unsigned bar, uint64_t off, unsigned len)
{
	return bar < PCI_NUM_BARS && len && len <= 8 &&
	       vfio_dev_range_within(off, len, v->dev.bars[bar].size);
}

static void vfio_pci_bar_read(struct pci_device *dev, unsigned bar, uint64_t off, uint8_t *data,
			      unsigned len)
{
	struct vfio_pci *v = to_vfio_pci(dev);

	if (!bar_access_ok(v, bar, off, len) ||
	    vfio_dev_region_read(v->vdev, VFIO_PCI_BAR0_REGION_INDEX + bar, off, data, len) !=
	    (ssize_t)len)
		memset(data, 0xff, len);
}

static void vfio_pci_bar_write(struct pci_device *dev, unsigned bar, uint64_t off,
			       const uint8_t *data, unsigned len)
{
	struct vfio_pci *v = to_vfio_pci(dev);

	if (bar_access_ok(v, bar, off, len))
		(void)vfio_dev_region_write(v->vdev, VFIO_PCI_BAR0_REGION_INDEX + bar, off, data, len);
}

/* ---- lifecycle ---- */

static void device_reset(struct vfio_pci *v)
{
	enum vfio_dev_reset_kind how = VFIO_DEV_RESET_NONE;
	int ret = vfio_dev_reset(v->vdev, &how);

	if (ret)
		log_info("vfio %s: no reset (%s)", v->vdev->name, strerror(-ret));
	else
		log_debug("vfio %s: reset (%s)", v->vdev->name, vfio_dev_reset_kind_name(how));
}

/* Stop the device: no interrupt, no DMA. */
static void vfio_pci_quiesce(struct pci_device *dev)
{
	struct vfio_pci *v = to_vfio_pci(dev);

	irqs_host_off(v);
	host_command_set(v, 0);
}

/*
 * Guest reboot (the core already reset the image and unmapped the BARs):
 * reset the device, drop the DMA mappings (RAM is emptied next, so the pinned
 * pages go stale; Bus Master Enable maps it again), reconnect INTx.
 */
static void vfio_pci_reset(struct pci_device *dev)
{
	struct vfio_pci *v = to_vfio_pci(dev);

	device_reset(v);
	dma_unmap_all(v);
	host_command_set(v, 0);
	rom_update(v);
	intx_attach(v);
}

/* Free everything v holds; vdev too when close_vdev. Safe on a half-built v. */
static void vfio_pci_free(struct vfio_pci *v, bool close_vdev)
{
	if (v->rom_mapped)
		bus_unregister(&v->vm->mmio, v->rom_addr, v);
	for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
		bar_slots_unmap(v, &v->bars[n]);
		bar_munmap(&v->bars[n]);
	}
	dma_unmap_all(v);
	pci_msix_destroy(&v->dev);
	pci_msi_destroy(&v->dev);
	if (v->intx_fd >= 0)
		close(v->intx_fd);
	if (v->intx_resample >= 0)
		close(v->intx_resample);
	free(v->msix_bound);
	pthread_mutex_destroy(&v->lock);
	if (close_vdev)
		vfio_dev_close(v->vdev);
	free(v);
}

static void vfio_pci_teardown(struct pci_device *dev)
{
	struct vfio_pci *v = to_vfio_pci(dev);

	irqs_host_off(v);
	device_reset(v);
	vfio_pci_free(v, true);
}

static const struct pci_device_ops vfio_pci_ops = {
	.name = "vfio-pci",
	.cfg_read = vfio_pci_cfg_read,
	.cfg_write = vfio_pci_cfg_write,
	.bar_read = vfio_pci_bar_read,
	.bar_write = vfio_pci_bar_write,
	.bar_moved = vfio_pci_bar_moved,
	.quiesce = vfio_pci_quiesce,
	.reset = vfio_pci_reset,
	.msix_vector_masked = vfio_pci_msix_vector_masked,
	.teardown = vfio_pci_teardown,
};

static int intx_setup(struct vfio_pci *v)
{
	if (!v->dev.cfg[PCI_INTERRUPT_PIN])
		return 0;
	v->intx_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	v->intx_resample = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return v->intx_fd < 0 || v->intx_resample < 0 ? -errno : 0;
}

static void create_error(struct vfio_pci *v, int err, char *why, size_t why_len)
{
	if (!why_len || why[0])
		return;
	if (err == -ENOTSUP)
		snprintf(why, why_len, "%s: the device has a BAR, ROM or header this VMM cannot "
			 "present to a guest", v->vdev->name);
	else if (err == -ENOSPC)
		snprintf(why, why_len, "%s: no free PCI slot or BAR space left", v->vdev->name);
	else
		snprintf(why, why_len, "%s: cannot set up the passthrough device: %s", v->vdev->name,
			 strerror(-err));
}

/* Everything before plugging: config image, mmaps, DMA, INTx eventfds. */
static int vfio_pci_build(struct vfio_pci *v, char *why, size_t why_len)
{
	uint8_t host[PCI_CFG_STD_END];
	int ret;

	device_reset(v);
	ret = host_cfg_read(v, 0, host, sizeof(host));
	if (!ret)
		ret = cfg_build(v, host);
	for (unsigned n = 0; !ret && n < PCI_NUM_BARS; n++)
		bar_mmap(v, n);
	if (!ret)
		ret = intx_setup(v);
	if (!ret)
		ret = dma_map_all(v, why, why_len);
	if (!ret)
		host_command_set(v, 0);
	return ret;
}

int vfio_pci_create(struct vm *vm, struct pci_root *root, struct vfio_dev *vdev,
		    const struct vfio_pci_opts *opts, struct pci_device **out, char *why,
		    size_t why_len)
{
	struct vfio_pci *v = calloc(1, sizeof(*v));
	int ret;

	if (why_len)
		why[0] = '\0';
	if (!v)
		return -ENOMEM;
	v->vdev = vdev;
	v->vm = vm;
	v->rom_wanted = opts && opts->rom;
	v->intx_fd = v->intx_resample = -1;
	v->dev.ops = &vfio_pci_ops;
	pthread_mutex_init(&v->lock, NULL);
	snprintf(v->rom_name, sizeof(v->rom_name), "%s ROM", vdev->name);
	ret = vfio_pci_build(v, why, why_len);
	if (!ret)
		ret = pci_root_add_device(root, &v->dev, -1);
	if (ret) {
		create_error(v, ret, why, why_len);
		host_command_set(v, 0);
		vfio_pci_free(v, false);
		return ret;
	}
	intx_attach(v);
	if (out)
		*out = &v->dev;
	return 0;
}

int vfio_pci_bar_slots(struct pci_device *dev, unsigned bar, struct vfio_pci_slot *out,
		       unsigned max)
{
	struct vfio_pci_bar *b;

	if (!dev || dev->ops != &vfio_pci_ops || bar >= PCI_NUM_BARS)
		return -EINVAL;
	b = &to_vfio_pci(dev)->bars[bar];
	for (unsigned i = 0; i < MIN(max, b->n_pieces); i++)
		out[i] = b->pieces[i];
	return (int)b->n_pieces;
}
