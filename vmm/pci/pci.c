#include "pci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "irq.h"
#include "log.h"
#include "memory-map.h"
#include "pci-msix.h"
#include "vm.h"

#define CF9_RST_CPU (1u << 2)
#define GPA_PHYS_LIMIT (1ULL << 46) /* no BAR above what a guest can address */

struct pci_root {
	struct vm *vm;
	pthread_mutex_t lock; /* serialises config accesses and BAR (un)mapping */
	uint32_t cf8;
	uint8_t cf9;
	struct pci_device *devs[256];
	struct pci_device host_bridge;
	uint64_t io_next, mmio32_next, mmio64_next, mmio64_end;
	struct pci_stats stats;
};

static void cfg_set(uint8_t *b, unsigned off, unsigned len, uint32_t v)
{
	for (unsigned i = 0; i < len; i++)
		b[off + i] = v >> (8 * i);
}

static uint32_t cfg_get(const uint8_t *b, unsigned off, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)b[off + i] << (8 * i);
	return v;
}

int pci_device_init(struct pci_device *dev, const struct pci_device_ops *ops, void *priv,
		    uint16_t vendor, uint16_t device, uint32_t class_code, uint8_t revision)
{
	memset(dev, 0, sizeof(*dev));
	dev->ops = ops;
	dev->priv = priv;
	cfg_set(dev->cfg, PCI_VENDOR_ID, 2, vendor);
	cfg_set(dev->cfg, PCI_DEVICE_ID, 2, device);
	cfg_set(dev->cfg, PCI_REVISION_ID, 1, revision);
	cfg_set(dev->cfg, PCI_CLASS_PROG, 3, class_code);
	cfg_set(dev->cfg, PCI_SUBSYSTEM_VENDOR_ID, 2, vendor);
	cfg_set(dev->cfg, PCI_SUBSYSTEM_ID, 2, device);
	cfg_set(dev->cfg, PCI_INTERRUPT_PIN, 1, 1);
	cfg_set(dev->wmask, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
		PCI_COMMAND_MASTER | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	cfg_set(dev->wmask, PCI_INTERRUPT_LINE, 1, 0xff);
	dev->cap_next = PCI_CFG_HEADER_END;
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
	if (type == PCI_BAR_IO ? (size < 4 || size > 256 || hva) : size < 4096)
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
	cfg_set(dev->cfg, off, 4, flags);
	cfg_set(dev->wmask, off, 4, (uint32_t)~(size - 1) & (type == PCI_BAR_IO ? ~3u : ~0xfu));
	if (type == PCI_BAR_MEM64)
		cfg_set(dev->wmask, off + 4, 4, (uint32_t)(~(size - 1) >> 32));
	return 0;
}

int pci_device_add_cap(struct pci_device *dev, uint8_t id, const uint8_t *body,
		       const uint8_t *wmask, unsigned len)
{
	unsigned off = dev->cap_next, prev;

	if (len < 2 || off + len > 256)
		return -ENOSPC;
	if (body)
		memcpy(&dev->cfg[off + 2], body, len - 2);
	if (wmask)
		memcpy(&dev->wmask[off], wmask, len);
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
	cfg_set(dev->cfg, PCI_STATUS, 2, cfg_get(dev->cfg, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST);
	dev->cap_next = (off + len + 3) & ~3u;
	return off;
}

/* The address BAR n decodes at, from the config image. */
static uint64_t pci_bar_cfg_addr(const struct pci_device *dev, unsigned n)
{
	uint32_t lo = cfg_get(dev->cfg, PCI_BAR0 + 4 * n, 4);

	if (dev->bars[n].type == PCI_BAR_IO)
		return lo & ~3u;
	if (dev->bars[n].type == PCI_BAR_MEM64)
		return ((uint64_t)cfg_get(dev->cfg, PCI_BAR0 + 4 * n + 4, 4) << 32) | (lo & ~0xfu);
	return lo & ~0xfu;
}

static bool pci_bar_decodes(const struct pci_device *dev, unsigned n)
{
	uint16_t cmd = cfg_get(dev->cfg, PCI_COMMAND, 2);

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

/* Whether the guest may place BAR n at addr at all (before asking the bus). */
static bool pci_bar_addr_ok(const struct pci_device *dev, unsigned n, uint64_t addr)
{
	const struct pci_bar *b = &dev->bars[n];
	uint64_t end = addr + b->size - 1;

	if (!addr || end < addr || end >= GPA_PHYS_LIMIT)
		return false;
	if (b->type == PCI_BAR_IO)
		return end < PORT_PCI_IO_END && addr >= 0x1000;
	if (b->type == PCI_BAR_MEM32 && end > 0xffffffffULL)
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
	if (b->hva) {
		struct bus_range other;

		/* A RAM-backed BAR must not shadow a trapped range either. */
		if (bus_lookup(bus, addr, &other) || bus_lookup(bus, addr + b->size - 1, &other))
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

/* Bring BAR n's decoding in line with the command register and its address. */
static void pci_bar_update(struct pci_device *dev, unsigned n)
{
	struct pci_bar *b = &dev->bars[n];
	bool want = pci_bar_decodes(dev, n);
	uint64_t addr = pci_bar_cfg_addr(dev, n);
	int ret;

	if (b->mapped && want && b->addr == addr)
		return;
	if (b->mapped) {
		pci_bar_unmap(dev, n);
		if (dev->ops->bar_moved)
			dev->ops->bar_moved(dev, n, false, 0);
	}
	if (!want)
		return;
	ret = pci_bar_map(dev, n, addr);
	if (ret) {
		dev->root->stats.bar_refused++;
		log_info("pci %s: BAR%u at 0x%llx (size 0x%llx) not decoded: %s", dev->bdf, n,
			 (unsigned long long)addr, (unsigned long long)b->size,
			 ret == -EEXIST ? "overlaps another range" : "outside the window or on RAM");
		return;
	}
	if (dev->ops->bar_moved)
		dev->ops->bar_moved(dev, n, true, addr);
}

static void pci_intx_update(struct pci_device *dev)
{
	uint16_t cmd = cfg_get(dev->cfg, PCI_COMMAND, 2);
	uint16_t st = cfg_get(dev->cfg, PCI_STATUS, 2);
	int line = dev->intx_level && !(cmd & PCI_COMMAND_INTX_DISABLE);

	st = dev->intx_level ? st | PCI_STATUS_INTERRUPT : st & ~PCI_STATUS_INTERRUPT;
	cfg_set(dev->cfg, PCI_STATUS, 2, st);
	if (dev->vm && dev->intx_gsi && irq_line_set(dev->vm->vm_fd, dev->intx_gsi, line))
		log_warn("pci %s: INTx GSI %u: cannot set level %d", dev->bdf, dev->intx_gsi, line);
}

void pci_intx_set(struct pci_device *dev, int level)
{
	pthread_mutex_t *lock = dev->root ? &dev->root->lock : NULL;

	if (lock)
		pthread_mutex_lock(lock);
	dev->intx_level = !!level;
	pci_intx_update(dev);
	if (lock)
		pthread_mutex_unlock(lock);
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
	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)(off + i < PCI_CFG_SIZE ? dev->cfg[off + i] : 0xff) << (8 * i);
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
		pci_intx_update(dev);
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

static void pci_root_teardown(void *opaque)
{
	struct pci_root *root = opaque;

	for (unsigned i = 0; i < 256; i++) {
		struct pci_device *dev = root->devs[i];

		if (!dev || dev == &root->host_bridge)
			continue;
		for (unsigned n = 0; n < PCI_NUM_BARS; n++)
			if (dev->bars[n].mapped)
				pci_bar_unmap(dev, n);
		if (dev->msix)
			pci_msix_destroy(dev);
		if (dev->msi)
			pci_msi_destroy(dev);
		if (dev->ops->teardown)
			dev->ops->teardown(dev);
	}
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
	root->mmio64_next = align_up(high_end, GiB);
	root->mmio64_end = root->mmio64_next + GPA_PCI_MMIO64_SIZE;
}

int pci_root_create(struct vm *vm, struct pci_root **out)
{
	struct pci_root *root = calloc(1, sizeof(*root));
	pthread_mutexattr_t attr;
	int ret;

	if (!root)
		return -ENOMEM;
	root->vm = vm;
	/* Recursive: a model may raise INTx from its cfg_write hook, under this lock. */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&root->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pci_root_windows(root);
	ret = vm_add_teardown(vm, pci_root_teardown, root);
	if (ret) {
		pci_root_teardown(root);
		return ret;
	}
	pci_device_init(&root->host_bridge, &host_bridge_ops, NULL, 0x8086, 0x29c0, 0x060000, 0);
	cfg_set(root->host_bridge.cfg, PCI_INTERRUPT_PIN, 1, 0);
	root->host_bridge.root = root;
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
	int ret;

	if (b->type == PCI_BAR_IO)
		ret = pci_alloc(&root->io_next, PORT_PCI_IO_END, b->size, &addr);
	else if (b->type == PCI_BAR_MEM64)
		ret = pci_alloc(&root->mmio64_next, root->mmio64_end, b->size, &addr);
	else
		ret = pci_alloc(&root->mmio32_next, GPA_PCI_MMIO32_END, b->size, &addr);
	if (ret)
		return ret;
	cfg_set(dev->cfg, PCI_BAR0 + 4 * n, 4,
		(uint32_t)addr | (cfg_get(dev->cfg, PCI_BAR0 + 4 * n, 4) & (b->type == PCI_BAR_IO ? 3 : 0xf)));
	if (b->type == PCI_BAR_MEM64)
		cfg_set(dev->cfg, PCI_BAR0 + 4 * n + 4, 4, (uint32_t)(addr >> 32));
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
	cfg_set(dev->cfg, PCI_INTERRUPT_LINE, 1, dev->intx_gsi);
	root->devs[dev->devfn] = dev;
	pci_device_cfg_write(dev, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
out:
	pthread_mutex_unlock(&root->lock);
	return ret;
}
