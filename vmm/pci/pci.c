#include "pci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "bus.h"
#include "bytes.h"
#include "irq.h"
#include "log.h"
#include "memory-map.h"
#include "pci-msix.h"
#include "vm.h"

#define CF9_RST_CPU (1u << 2)
#define GPA_PHYS_LIMIT (1ULL << 46) /* no BAR above what a guest can address */

#define INTX_GSI_BASE 16
#define INTX_GSIS     8

struct pci_root {
	struct vm *vm;
	pthread_mutex_t lock; /* serialises config accesses and BAR (un)mapping */
	uint32_t cf8;
	uint8_t cf9;
	struct pci_device *devs[256];
	struct pci_device host_bridge;
	uint64_t io_next, mmio32_next, mmio64_start, mmio64_next, mmio64_end;
	struct pci_stats stats;
	/* A leaf lock: how many devices assert each shared INTx GSI (16-23). */
	pthread_mutex_t intx_lock;
	unsigned intx_count[INTX_GSIS];
};

int pci_device_init(struct pci_device *dev, const struct pci_device_ops *ops, void *priv,
		    uint16_t vendor, uint16_t device, uint32_t class_code, uint8_t revision)
{
	memset(dev, 0, sizeof(*dev));
	dev->ops = ops;
	dev->priv = priv;
	le_put(dev->cfg + PCI_VENDOR_ID, 2, vendor);
	le_put(dev->cfg + PCI_DEVICE_ID, 2, device);
	le_put(dev->cfg + PCI_REVISION_ID, 1, revision);
	le_put(dev->cfg + PCI_CLASS_PROG, 3, class_code);
	le_put(dev->cfg + PCI_SUBSYSTEM_VENDOR_ID, 2, vendor);
	le_put(dev->cfg + PCI_SUBSYSTEM_ID, 2, device);
	le_put(dev->cfg + PCI_INTERRUPT_PIN, 1, 1);
	le_put(dev->wmask + PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
		PCI_COMMAND_MASTER | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	le_put(dev->wmask + PCI_INTERRUPT_LINE, 1, 0xff);
	dev->intx_irqfd = -1;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		dev->bars[i] = (struct pci_bar){ .slot = -1, .dev = dev, .index = i };
	return 0;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int pci_device_add_bar(struct pci_device *dev, unsigned n, enum pci_bar_type type, uint64_t size,
		       bool prefetchable, void *hva)
{
	unsigned off = PCI_BAR0 + 4 * n;
	uint32_t flags;

	if (n >= PCI_NUM_BARS || !is_pow2(size) || (type == PCI_BAR_MEM64 && n == PCI_NUM_BARS - 1))
		return -EINVAL;
	if (type == PCI_BAR_IO ? (size < 4 || size > 256 || hva) :
	    size < (hva ? PCI_BAR_MIN_HVA : PCI_BAR_MIN_MEM))
		return -EINVAL;
	if (dev->bars[n].type != PCI_BAR_NONE || (n && dev->bars[n - 1].type == PCI_BAR_MEM64))
		return -EINVAL;
	if (type == PCI_BAR_MEM64 && dev->bars[n + 1].type != PCI_BAR_NONE)
		return -EINVAL;
	dev->bars[n].type = type;
	dev->bars[n].size = size;
	dev->bars[n].prefetchable = prefetchable;
	dev->bars[n].hva = hva;
	flags = type == PCI_BAR_IO ? 1 : (type == PCI_BAR_MEM64 ? 4 : 0) | (prefetchable ? 8 : 0);
	le_put(dev->cfg + off, 4, flags);
	le_put(dev->wmask + off, 4, (uint32_t)~(size - 1) & (type == PCI_BAR_IO ? ~3u : ~0xfu));
	if (type == PCI_BAR_MEM64)
		le_put(dev->wmask + (off + 4), 4, (uint32_t)(~(size - 1) >> 32));
	return 0;
}

static bool cfg_range_free(const struct pci_device *dev, unsigned off, unsigned len)
{
	for (unsigned i = off; i < off + len; i++)
		if (bitmap_test(dev->cfg_used, i))
			return false;
	return true;
}

static void cfg_range_take(struct pci_device *dev, unsigned off, unsigned len,
			   const uint8_t *body, unsigned body_at, const uint8_t *wmask)
{
	for (unsigned i = off; i < off + len; i++)
		dev->cfg_used[i / 8] |= 1u << (i % 8);
	if (body)
		memcpy(&dev->cfg[off + body_at], body, len - body_at);
	if (wmask)
		memcpy(&dev->wmask[off], wmask, len);
}

int pci_device_add_cap_at(struct pci_device *dev, unsigned off, uint8_t id, const uint8_t *body,
			  const uint8_t *wmask, unsigned len)
{
	unsigned prev;

	if (len < 2 || off < PCI_CFG_HEADER_END || off % 4 || off + len > PCI_CFG_STD_END ||
	    !cfg_range_free(dev, off, len))
		return -ENOSPC;
	cfg_range_take(dev, off, len, body, 2, wmask);
	dev->wmask[off] = dev->wmask[off + 1] = 0;
	dev->cfg[off] = id;
	dev->cfg[off + 1] = 0;
	if (!dev->cfg[PCI_CAPABILITY_LIST]) {
		dev->cfg[PCI_CAPABILITY_LIST] = off;
	} else {
		for (prev = dev->cfg[PCI_CAPABILITY_LIST]; dev->cfg[prev + 1]; prev = dev->cfg[prev + 1])
			;
		dev->cfg[prev + 1] = off;
	}
	le_put(dev->cfg + PCI_STATUS, 2, (uint32_t)le_get(dev->cfg + PCI_STATUS, 2) | PCI_STATUS_CAP_LIST);
	return off;
}

int pci_device_add_cap(struct pci_device *dev, uint8_t id, const uint8_t *body,
		       const uint8_t *wmask, unsigned len)
{
	for (unsigned off = PCI_CFG_HEADER_END; off + len <= PCI_CFG_STD_END; off += 4)
		if (cfg_range_free(dev, off, len))
			return pci_device_add_cap_at(dev, off, id, body, wmask, len);
	return -ENOSPC;
}

int pci_device_add_ext_cap(struct pci_device *dev, unsigned off, uint16_t id, uint8_t version,
			   const uint8_t *body, const uint8_t *wmask, unsigned len)
{
	unsigned prev = PCI_CFG_STD_END;

	if (len < 4 || off < PCI_CFG_STD_END || off % 4 || off + len > PCI_CFG_SIZE ||
	    !cfg_range_free(dev, off, len) || (off != PCI_CFG_STD_END && !(uint32_t)le_get(dev->cfg + prev, 4)))
		return -EINVAL;
	cfg_range_take(dev, off, len, body, 4, wmask);
	memset(&dev->wmask[off], 0, 4);
	if (off != PCI_CFG_STD_END) {
		while ((uint32_t)le_get(dev->cfg + prev, 4) >> 20)
			prev = (uint32_t)le_get(dev->cfg + prev, 4) >> 20;
		le_put(dev->cfg + prev, 4, ((uint32_t)le_get(dev->cfg + prev, 4) & 0xfffff) | off << 20);
	}
	le_put(dev->cfg + off, 4, id | (uint32_t)(version & 0xf) << 16);
	return off;
}

/* The address BAR n decodes at, from the config image. */
static uint64_t pci_bar_cfg_addr(const struct pci_device *dev, unsigned n)
{
	uint32_t lo = (uint32_t)le_get(dev->cfg + PCI_BAR0 + 4 * n, 4);

	if (dev->bars[n].type == PCI_BAR_IO)
		return lo & ~3u;
	if (dev->bars[n].type == PCI_BAR_MEM64)
		return ((uint64_t)(uint32_t)le_get(dev->cfg + PCI_BAR0 + 4 * n + 4, 4) << 32) | (lo & ~0xfu);
	return lo & ~0xfu;
}

static bool pci_bar_decodes(const struct pci_device *dev, unsigned n)
{
	uint16_t cmd = (uint32_t)le_get(dev->cfg + PCI_COMMAND, 2);

	if (dev->bars[n].type == PCI_BAR_NONE)
		return false;
	return cmd & (dev->bars[n].type == PCI_BAR_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY);
}

static bool range_hits_ram(const struct vm *vm, uint64_t addr, uint64_t size)
{
	for (size_t i = 0; i < vm->mem.n_regions; i++) {
		const struct guest_mem_region *r = &vm->mem.regions[i];

		if (addr <= r->gpa + (r->size - 1) && r->gpa <= addr + (size - 1))
			return true;
	}
	return false;
}

static bool in_window(uint64_t addr, uint64_t end, uint64_t start, uint64_t limit)
{
	return addr >= start && end < limit;
}

/*
 * Whether the guest may place BAR n at addr at all (before asking the bus):
 * I/O BARs above the legacy ports, memory BARs inside the PCI windows the
 * firmware tables describe (a 64-bit BAR in either), never on RAM.
 */
static bool pci_bar_addr_ok(const struct pci_device *dev, unsigned n, uint64_t addr)
{
	const struct pci_root *root = dev->root;
	const struct pci_bar *b = &dev->bars[n];
	uint64_t end = addr + b->size - 1;
	bool low;

	if (!addr || end < addr || end >= GPA_PHYS_LIMIT)
		return false;
	if (b->type == PCI_BAR_IO)
		return in_window(addr, end, 0x1000, PORT_PCI_IO_END);
	low = in_window(addr, end, GPA_PCI_MMIO32_START, GPA_PCI_MMIO32_END);
	if (!low && (b->type == PCI_BAR_MEM32 ||
		     !in_window(addr, end, root->mmio64_start, root->mmio64_end)))
		return false;
	return !range_hits_ram(dev->vm, addr, b->size);
}

static void pci_bar_trap_read(void *opaque, uint64_t off, uint8_t *data, unsigned len)
{
	struct pci_bar *b = opaque;

	memset(data, 0xff, len);
	if (b->dev->msix && pci_msix_bar_access(b->dev, b->index, off, data, len, false))
		return;
	if (b->dev->ops->bar_read)
		b->dev->ops->bar_read(b->dev, b->index, off, data, len);
}

static void pci_bar_trap_write(void *opaque, uint64_t off, const uint8_t *data, unsigned len)
{
	struct pci_bar *b = opaque;

	if (b->dev->msix && pci_msix_bar_access(b->dev, b->index, off, (uint8_t *)data, len, true))
		return;
	if (b->dev->ops->bar_write)
		b->dev->ops->bar_write(b->dev, b->index, off, data, len);
}

static const struct bus_ops pci_bar_bus_ops = {
	.read = pci_bar_trap_read,
	.write = pci_bar_trap_write,
};

static int pci_bar_map(struct pci_device *dev, unsigned n, uint64_t addr)
{
	struct pci_bar *b = &dev->bars[n];
	struct bus *bus = b->type == PCI_BAR_IO ? &dev->vm->pio : &dev->vm->mmio;
	int ret;

	if (!pci_bar_addr_ok(dev, n, addr))
		return -EINVAL;
	/* A memory slot would shadow a trapped range, and a trapped range under a slot never traps. */
	if (b->type != PCI_BAR_IO && vm_mem_slot_overlaps(dev->vm, addr, b->size))
		return -EEXIST;
	if (b->hva) {
		if (bus_overlaps(bus, addr, b->size))
			return -EEXIST;
		ret = vm_mem_map_slot(dev->vm, addr, b->size, b->hva, false);
		if (ret < 0)
			return ret;
		b->slot = ret;
	} else {
		ret = bus_register(bus, addr, b->size, &pci_bar_bus_ops, b, b->name);
		if (ret)
			return ret;
	}
	b->mapped = true;
	b->addr = addr;
	return 0;
}

static void pci_bar_unmap(struct pci_device *dev, unsigned n)
{
	struct pci_bar *b = &dev->bars[n];

	if (b->slot >= 0)
		vm_mem_unmap_slot(dev->vm, b->slot);
	else
		bus_unregister(b->type == PCI_BAR_IO ? &dev->vm->pio : &dev->vm->mmio, b->addr, b);
	b->slot = -1;
	b->mapped = false;
}

static void pci_bar_unmap_notify(struct pci_device *dev, unsigned n)
{
	if (!dev->bars[n].mapped)
		return;
	pci_bar_unmap(dev, n);
	if (dev->ops->bar_moved)
		dev->ops->bar_moved(dev, n, false, 0);
}

/*
 * Bring BAR n's decoding in line with the command register and its address.
 * Returns 0, or why the BAR does not decode where the guest put it.
 */
static int pci_bar_update(struct pci_device *dev, unsigned n)
{
	struct pci_bar *b = &dev->bars[n];
	bool want = pci_bar_decodes(dev, n);
	uint64_t addr = pci_bar_cfg_addr(dev, n);
	int ret;

	if (!dev->root || (b->mapped && want && b->addr == addr))
		return 0; /* not plugged yet: nothing decodes */
	pci_bar_unmap_notify(dev, n);
	if (!want)
		return 0;
	ret = pci_bar_map(dev, n, addr);
	if (ret) {
		dev->root->stats.bar_refused++;
		log_info("pci %s: BAR%u at 0x%llx (size 0x%llx) not decoded: %s", dev->bdf, n,
			 (unsigned long long)addr, (unsigned long long)b->size,
			 ret == -EEXIST ? "overlaps another range" : "outside the window or on RAM");
		return ret;
	}
	if (dev->ops->bar_moved)
		dev->ops->bar_moved(dev, n, true, addr);
	return 0;
}

/*
 * Recompute what dev contributes to its GSI and drive the line from the OR of
 * every device on it. Called with the leaf intx_lock held (pci.h's lock order).
 */
static void pci_intx_update_locked(struct pci_device *dev)
{
	struct pci_root *root = dev->root;
	bool assert = dev->intx_level && !dev->intx_disabled, line;
	unsigned *count;

	if (!root || !dev->intx_gsi || assert == dev->intx_asserted)
		return;
	count = &root->intx_count[dev->intx_gsi - INTX_GSI_BASE];
	*count += assert ? 1 : -1;
	dev->intx_asserted = assert;
	line = *count > 0;
	if (dev->vm && dev->vm->vm_fd >= 0 && irq_line_set(dev->vm->vm_fd, dev->intx_gsi, line))
		log_warn("pci %s: INTx GSI %u: cannot set level %d", dev->bdf, dev->intx_gsi, line);
}

static void pci_intx_change(struct pci_device *dev, int level, int disabled)
{
	pthread_mutex_t *lock = dev->root ? &dev->root->intx_lock : NULL;

	if (lock)
		pthread_mutex_lock(lock);
	if (level >= 0)
		__atomic_store_n(&dev->intx_level, level, __ATOMIC_SEQ_CST);
	if (disabled >= 0)
		dev->intx_disabled = disabled;
	pci_intx_update_locked(dev);
	if (lock)
		pthread_mutex_unlock(lock);
}

void pci_intx_set(struct pci_device *dev, int level)
{
	pci_intx_change(dev, !!level, -1);
}

/* COMMAND was written (under the root's lock): follow its INTX_DISABLE bit. */
static void pci_intx_command_written(struct pci_device *dev)
{
	pci_intx_change(dev, -1, !!((uint32_t)le_get(dev->cfg + PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE));
}

bool pci_root_intx_line(struct pci_root *root, unsigned gsi)
{
	bool line = false;

	if (gsi >= INTX_GSI_BASE && gsi < INTX_GSI_BASE + INTX_GSIS) {
		pthread_mutex_lock(&root->intx_lock);
		line = root->intx_count[gsi - INTX_GSI_BASE] > 0;
		pthread_mutex_unlock(&root->intx_lock);
	}
	return line;
}

int pci_intx_irqfd_attach(struct pci_device *dev, int trigger_fd, int resample_fd)
{
	int ret;

	if (!dev->vm || !dev->intx_gsi || dev->intx_irqfd >= 0)
		return -EINVAL;
	ret = irqfd_assign(dev->vm->vm_fd, trigger_fd, dev->intx_gsi, resample_fd);
	if (!ret)
		dev->intx_irqfd = trigger_fd;
	return ret;
}

void pci_intx_irqfd_detach(struct pci_device *dev)
{
	if (dev->intx_irqfd < 0)
		return;
	irqfd_deassign(dev->vm->vm_fd, dev->intx_irqfd, dev->intx_gsi);
	dev->intx_irqfd = -1;
}

static bool overlaps(unsigned off, unsigned len, unsigned start, unsigned end)
{
	return off < end && start < off + len;
}

uint32_t pci_device_cfg_read(struct pci_device *dev, unsigned off, unsigned len)
{
	uint32_t v = 0;

	if (off >= PCI_CFG_SIZE || len > 4 || !len)
		return 0xffffffff;
	/* Bytes past the end of the space read as all-ones, like a master abort. */
	for (unsigned i = 0; i < len; i++) {
		uint8_t b = off + i < PCI_CFG_SIZE ? dev->cfg[off + i] : 0xff;

		if (off + i == PCI_STATUS && __atomic_load_n(&dev->intx_level, __ATOMIC_SEQ_CST))
			b |= PCI_STATUS_INTERRUPT;
		v |= (uint32_t)b << (8 * i);
	}
	if (dev->ops->cfg_read)
		dev->ops->cfg_read(dev, off, MIN(len, PCI_CFG_SIZE - off), &v);
	return v;
}

void pci_device_cfg_write(struct pci_device *dev, unsigned off, unsigned len, uint32_t val)
{
	if (off >= PCI_CFG_SIZE || len > 4 || !len)
		return;
	len = MIN(len, PCI_CFG_SIZE - off);
	for (unsigned i = 0; i < len; i++) {
		uint8_t m = dev->wmask[off + i];

		dev->cfg[off + i] = (dev->cfg[off + i] & ~m) | ((val >> (8 * i)) & m);
	}
	if (overlaps(off, len, PCI_COMMAND, PCI_COMMAND + 2) || overlaps(off, len, PCI_BAR0, PCI_BAR0 + 24))
		for (unsigned n = 0; n < PCI_NUM_BARS; n++)
			pci_bar_update(dev, n);
	if (overlaps(off, len, PCI_COMMAND, PCI_COMMAND + 2))
		pci_intx_command_written(dev);
	if (dev->msix)
		pci_msix_cfg_written(dev, off, len);
	if (dev->msi)
		pci_msi_cfg_written(dev, off, len);
	if (dev->ops->cfg_write)
		dev->ops->cfg_write(dev, off, len, val);
}

/* --- the host bridge: configuration mechanisms, allocation, registration --- */

struct pci_device *pci_root_find(struct pci_root *root, uint8_t devfn)
{
	return root->devs[devfn];
}

void pci_root_stats(struct pci_root *root, struct pci_stats *out)
{
	pthread_mutex_lock(&root->lock);
	*out = root->stats;
	pthread_mutex_unlock(&root->lock);
}

static uint32_t pci_root_cfg_read(struct pci_root *root, unsigned bus, unsigned devfn,
				  unsigned reg, unsigned len)
{
	struct pci_device *dev = bus == 0 ? root->devs[devfn] : NULL;
	uint32_t v;

	pthread_mutex_lock(&root->lock);
	if (dev) {
		v = pci_device_cfg_read(dev, reg, len);
	} else {
		v = 0xffffffff;
		root->stats.bad_cfg++;
	}
	pthread_mutex_unlock(&root->lock);
	return v;
}

static void pci_root_cfg_write(struct pci_root *root, unsigned bus, unsigned devfn,
			       unsigned reg, unsigned len, uint32_t val)
{
	struct pci_device *dev = bus == 0 ? root->devs[devfn] : NULL;

	pthread_mutex_lock(&root->lock);
	if (dev)
		pci_device_cfg_write(dev, reg, len, val);
	else
		root->stats.bad_cfg++;
	pthread_mutex_unlock(&root->lock);
}

static void ecam_read(void *opaque, uint64_t off, uint8_t *data, unsigned len)
{
	unsigned reg = off & 0xfff;

	for (unsigned done = 0; done < len; done += 4) {
		unsigned n = MIN(4u, len - done);
		uint32_t v = pci_root_cfg_read(opaque, off >> 20, (off >> 12) & 0xff, reg + done, n);

		for (unsigned i = 0; i < n; i++)
			data[done + i] = v >> (8 * i);
	}
}

static void ecam_write(void *opaque, uint64_t off, const uint8_t *data, unsigned len)
{
	unsigned reg = off & 0xfff;

	for (unsigned done = 0; done < len; done += 4) {
		unsigned n = MIN(4u, len - done);
		uint32_t v = 0;

		for (unsigned i = 0; i < n; i++)
			v |= (uint32_t)data[done + i] << (8 * i);
		pci_root_cfg_write(opaque, off >> 20, (off >> 12) & 0xff, reg + done, n, v);
	}
}

static const struct bus_ops ecam_ops = { .read = ecam_read, .write = ecam_write };

/*
 * Ports CF8-CFF: the 32-bit address register at CF8 (only 4-byte accesses
 * reach it), the reset control register at CF9 (1-byte), data at CFC-CFF.
 */
static void cf8_read(void *opaque, uint64_t off, uint8_t *data, unsigned len)
{
	struct pci_root *root = opaque;
	uint32_t v = 0xffffffff;

	if (off == 0 && len == 4) {
		v = root->cf8;
	} else if (off == 1 && len == 1) {
		v = root->cf9;
	} else if (off >= 4 && (root->cf8 & 0x80000000u)) {
		unsigned reg = (root->cf8 & 0xfc) + (off - 4);

		v = pci_root_cfg_read(root, (root->cf8 >> 16) & 0xff, (root->cf8 >> 8) & 0xff, reg,
				      MIN(len, 8 - (unsigned)off));
	}
	for (unsigned i = 0; i < len; i++)
		data[i] = i < 4 ? v >> (8 * i) : 0xff;
}

static void cf8_write(void *opaque, uint64_t off, const uint8_t *data, unsigned len)
{
	struct pci_root *root = opaque;
	uint32_t v = 0;

	for (unsigned i = 0; i < len && i < 4; i++)
		v |= (uint32_t)data[i] << (8 * i);
	if (off == 0 && len == 4) {
		root->cf8 = v;
	} else if (off == 1 && len == 1) {
		root->cf9 = v & 0x0e;
		if (v & CF9_RST_CPU)
			vm_stop(root->vm, VM_STOP_RESET, "guest requested a reset (port 0xcf9)");
	} else if (off >= 4 && (root->cf8 & 0x80000000u)) {
		unsigned reg = (root->cf8 & 0xfc) + (off - 4);

		pci_root_cfg_write(root, (root->cf8 >> 16) & 0xff, (root->cf8 >> 8) & 0xff, reg,
				   MIN(len, 8 - (unsigned)off), v);
	}
}

static const struct bus_ops cf8_ops = { .read = cf8_read, .write = cf8_write };

static const struct pci_device_ops host_bridge_ops = { .name = "host-bridge" };

typedef void (*pci_device_fn)(struct pci_device *dev);

/* Apply fn to every plugged device but the host bridge, in slot order. */
static void pci_root_each(struct pci_root *root, pci_device_fn fn)
{
	for (unsigned i = 0; i < 256; i++)
		if (root->devs[i] && root->devs[i] != &root->host_bridge)
			fn(root->devs[i]);
}

static void pci_device_quiesce(struct pci_device *dev)
{
	if (dev->ops->quiesce)
		dev->ops->quiesce(dev);
}

/* Unmap every BAR, telling the model (bar_moved(false)). */
static void pci_device_unmap_bars(struct pci_device *dev)
{
	pthread_mutex_lock(&dev->root->lock);
	for (unsigned n = 0; n < PCI_NUM_BARS; n++)
		pci_bar_unmap_notify(dev, n);
	pthread_mutex_unlock(&dev->root->lock);
}

static void pci_device_release(struct pci_device *dev)
{
	pci_device_unmap_bars(dev);
	pci_msix_destroy(dev);
	pci_msi_destroy(dev);
	pci_intx_irqfd_detach(dev);
	pci_intx_set(dev, 0);
}

static void pci_device_teardown(struct pci_device *dev)
{
	if (dev->ops->teardown)
		dev->ops->teardown(dev);
}

/* The core's half of a reset: config space, BARs and interrupts to power-on state. */
static void pci_device_reset_core(struct pci_device *dev)
{
	pci_device_unmap_bars(dev);
	pci_intx_irqfd_detach(dev);
	pci_intx_set(dev, 0);
	pthread_mutex_lock(&dev->root->lock);
	memcpy(dev->cfg, dev->cfg_poweron, sizeof(dev->cfg));
	pci_msix_reset(dev);
	pci_msi_reset(dev);
	for (unsigned n = 0; n < PCI_NUM_BARS; n++)
		pci_bar_update(dev, n);
	pci_intx_command_written(dev);
	pthread_mutex_unlock(&dev->root->lock);
}

static void pci_device_reset_model(struct pci_device *dev)
{
	if (dev->ops->reset)
		dev->ops->reset(dev);
}

void pci_root_reset(struct pci_root *root)
{
	pthread_mutex_lock(&root->lock);
	root->cf8 = 0;
	root->cf9 = 0;
	pthread_mutex_unlock(&root->lock);
	pci_root_each(root, pci_device_quiesce);
	pci_root_each(root, pci_device_reset_core);
	pci_root_each(root, pci_device_reset_model);
}

static void pci_root_reset_hook(void *opaque)
{
	pci_root_reset(opaque);
}

static void pci_root_teardown(void *opaque)
{
	struct pci_root *root = opaque;

	pci_root_each(root, pci_device_quiesce);
	pci_root_each(root, pci_device_release);
	pci_root_each(root, pci_device_teardown);
	pthread_mutex_destroy(&root->intx_lock);
	pthread_mutex_destroy(&root->lock);
	free(root);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void pci_root_windows(struct pci_root *root)
{
	uint64_t high_end = GPA_RAM_HIGH_START;

	if (root->vm->ram_size > GPA_RAM_LOW_END)
		high_end += root->vm->ram_size - GPA_RAM_LOW_END;
	root->io_next = PORT_PCI_IO_START;
	root->mmio32_next = GPA_PCI_MMIO32_START;
	root->mmio64_start = root->mmio64_next = align_up(high_end, GiB);
	root->mmio64_end = root->mmio64_start + GPA_PCI_MMIO64_SIZE;
}

int pci_root_create(struct vm *vm, struct pci_root **out)
{
	struct pci_root *root = calloc(1, sizeof(*root));
	int ret;

	if (!root)
		return -ENOMEM;
	root->vm = vm;
	pthread_mutex_init(&root->lock, NULL);
	pthread_mutex_init(&root->intx_lock, NULL);
	pci_root_windows(root);
	ret = vm_add_reset(vm, pci_root_reset_hook, root);
	if (!ret) {
		ret = vm_add_teardown(vm, pci_root_teardown, root);
		if (ret)
			vm->n_resets--;
	}
	if (ret) {
		pci_root_teardown(root);
		return ret;
	}
	pci_device_init(&root->host_bridge, &host_bridge_ops, NULL, 0x8086, 0x29c0, 0x060000, 0);
	le_put(root->host_bridge.cfg + PCI_INTERRUPT_PIN, 1, 0);
	root->host_bridge.root = root;
	root->host_bridge.devfn = 0;
	root->host_bridge.vm = vm;
	snprintf(root->host_bridge.bdf, sizeof(root->host_bridge.bdf), "00:00.0");
	root->devs[0] = &root->host_bridge;
	ret = bus_register(&vm->pio, PORT_PCI_CONFIG_ADDR, 8, &cf8_ops, root, "pci-cf8");
	if (!ret)
		ret = bus_register(&vm->mmio, GPA_PCI_ECAM, GPA_PCI_ECAM_SIZE, &ecam_ops, root,
				   "pci-ecam");
	if (!ret)
		*out = root;
	return ret;
}

/* Take size bytes, aligned to size, from [*next, end). */
static int pci_alloc(uint64_t *next, uint64_t end, uint64_t size, uint64_t *addr)
{
	uint64_t a = align_up(*next, size);

	if (a + size > end || a + size < a)
		return -ENOSPC;
	*addr = a;
	*next = a + size;
	return 0;
}

static int pci_assign_bar(struct pci_root *root, struct pci_device *dev, unsigned n)
{
	struct pci_bar *b = &dev->bars[n];
	uint64_t addr;
	uint32_t flags;
	int ret;

	if (b->type == PCI_BAR_IO)
		ret = pci_alloc(&root->io_next, PORT_PCI_IO_END, b->size, &addr);
	else if (b->type == PCI_BAR_MEM64)
		ret = pci_alloc(&root->mmio64_next, root->mmio64_end, b->size, &addr);
	else
		ret = pci_alloc(&root->mmio32_next, GPA_PCI_MMIO32_END, b->size, &addr);
	if (ret)
		return ret;
	flags = le_get(dev->cfg + PCI_BAR0 + 4 * n, 4) & (b->type == PCI_BAR_IO ? 3 : 0xf);
	le_put(dev->cfg + PCI_BAR0 + 4 * n, 4, (uint32_t)addr | flags);
	if (b->type == PCI_BAR_MEM64)
		le_put(dev->cfg + PCI_BAR0 + 4 * n + 4, 4, (uint32_t)(addr >> 32));
	return 0;
}

static int pci_root_pick_slot(struct pci_root *root, int slot)
{
	if (slot >= 0)
		return slot < PCI_MAX_SLOTS && !root->devs[slot << 3] ? slot : -EBUSY;
	for (int s = 1; s < PCI_MAX_SLOTS; s++)
		if (!root->devs[s << 3])
			return s;
	return -ENOSPC;
}

/* Map the BARs where pci_assign_bar put them; 0 or -EEXIST with none left mapped. */
static int pci_device_map_initial(struct pci_device *dev)
{
	pci_device_cfg_write(dev, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
		if (dev->bars[n].type != PCI_BAR_NONE && !dev->bars[n].mapped) {
			for (unsigned k = 0; k < PCI_NUM_BARS; k++)
				pci_bar_unmap_notify(dev, k);
			return -EEXIST;
		}
	}
	return 0;
}

int pci_root_add_device(struct pci_root *root, struct pci_device *dev, int slot)
{
	int ret = 0;

	pthread_mutex_lock(&root->lock);
	slot = pci_root_pick_slot(root, slot);
	if (slot < 0) {
		ret = slot;
		goto out;
	}
	dev->root = root;
	dev->vm = root->vm;
	dev->devfn = slot << 3;
	snprintf(dev->bdf, sizeof(dev->bdf), "00:%02x.0", (unsigned)slot);
	for (unsigned n = 0; n < PCI_NUM_BARS && !ret; n++) {
		snprintf(dev->bars[n].name, sizeof(dev->bars[n].name), "%s BAR%u", dev->bdf, n);
		if (dev->bars[n].type != PCI_BAR_NONE)
			ret = pci_assign_bar(root, dev, n);
	}
	if (ret)
		goto out;
	dev->intx_gsi = PCI_INTX_GSI(slot, 1);
	le_put(dev->cfg + PCI_INTERRUPT_LINE, 1, dev->intx_gsi);
	root->devs[dev->devfn] = dev;
	ret = pci_device_map_initial(dev);
	if (ret) {
		root->devs[dev->devfn] = NULL;
		goto out;
	}
	memcpy(dev->cfg_poweron, dev->cfg, sizeof(dev->cfg));
out:
	pthread_mutex_unlock(&root->lock);
	return ret;
}
