/*
 * The passthrough device against a fake transport and a VM without KVM:
 * config-space virtualization (hidden capabilities and ROM, BAR sizing,
 * COMMAND), the MSI-X table traps and vector binding, BAR memory slots as the
 * guest moves BARs, DMA mapping and its limits, reboot, teardown, and hostile
 * config and BAR accesses.
 *
 * KVM memory slots and the INTx irqfd are replaced at link time (--wrap):
 * the wrappers keep the VM's slot table as KVM would, so overlaps are still
 * refused by the core.
 */
#include <errno.h>
#include <linux/vfio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "bitmap.h"
#include "bytes.h"
#include "fake-vfio-dev.h"
#include "fake-vm.h"
#include "log.h"
#include "memory-map.h"
#include "pci-msix.h"
#include "pci.h"
#include "vfio-pci.h"

#define RAM_SIZE (4 * MiB)

/* ---- link-time replacements for what needs KVM ---- */

static void *slot_hva[VM_MAX_SLOTS];
static int intx_trigger = -1, intx_resample = -1;

int __wrap_vm_mem_map_slot(struct vm *vm, uint64_t gpa, uint64_t size, void *hva, bool ro);
int __wrap_vm_mem_unmap_slot(struct vm *vm, int slot);
int __wrap_pci_intx_irqfd_attach(struct pci_device *dev, int trigger_fd, int resample_fd);

int __wrap_vm_mem_map_slot(struct vm *vm, uint64_t gpa, uint64_t size, void *hva, bool ro)
{
	if (!size || gpa % 4096 || size % 4096 || vm_mem_slot_overlaps(vm, gpa, size))
		return -EEXIST;
	for (int i = 0; i < VM_MAX_SLOTS; i++) {
		if (bitmap_test(vm->slot_used, i))
			continue;
		vm->slot_used[i / 8] |= 1u << (i % 8);
		vm->slot_range[i] = (struct vm_slot_range){ .gpa = gpa, .size = size };
		slot_hva[i] = hva;
		return i;
	}
	return -ENOSPC;
}

int __wrap_vm_mem_unmap_slot(struct vm *vm, int slot)
{
	if (slot < 0 || slot >= VM_MAX_SLOTS || !bitmap_test(vm->slot_used, slot))
		return -EINVAL;
	bitmap_clear(vm->slot_used, slot);
	slot_hva[slot] = NULL;
	return 0;
}

int __wrap_pci_intx_irqfd_attach(struct pci_device *dev, int trigger_fd, int resample_fd)
{
	intx_trigger = trigger_fd;
	intx_resample = resample_fd;
	return 0;
}

/* ---- fixture ---- */

struct fx {
	struct vm vm;
	struct pci_root *root;
	struct fake_vfio *f;
	struct pci_device *dev;
	char why[256];
};

static int fx_try(struct fx *x, bool rom)
{
	struct vfio_pci_opts opts = { .rom = rom };

	return vfio_pci_create(&x->vm, x->root, &x->f->dev, &opts, &x->dev, x->why, sizeof(x->why));
}

static struct fx *fx_new(void)
{
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	fake_vm_init(&x->vm, RAM_SIZE);
	assert_int_equal(pci_root_create(&x->vm, &x->root), 0);
	x->f = fake_vfio_new();
	assert_non_null(x->f);
	intx_trigger = intx_resample = -1;
	return x;
}

static struct fx *fx_plugged(bool rom)
{
	struct fx *x = fx_new();

	assert_int_equal(fx_try(x, rom), 0);
	return x;
}

static void fx_free(struct fx *x)
{
	struct fake_vfio *f = x->f;

	fake_vm_destroy(&x->vm);
	fake_vfio_free(f);
	free(x);
}

static uint32_t cfg_rd(struct fx *x, unsigned off, unsigned len)
{
	return pci_device_cfg_read(x->dev, off, len);
}

static void cfg_wr(struct fx *x, unsigned off, unsigned len, uint32_t v)
{
	pci_device_cfg_write(x->dev, off, len, v);
}

static unsigned guest_cap(struct fx *x, uint8_t id)
{
	unsigned off = cfg_rd(x, PCI_CAPABILITY_LIST, 1);

	for (unsigned n = 0; off && n < 64; n++, off = cfg_rd(x, off + 1, 1))
		if (cfg_rd(x, off, 1) == id)
			return off;
	return 0;
}

static uint64_t bar_addr(struct fx *x, unsigned n)
{
	assert_true(x->dev->bars[n].mapped);
	return x->dev->bars[n].addr;
}

/* The KVM slot covering gpa exactly from its start, or -1. */
static int slot_at(struct vm *vm, uint64_t gpa, uint64_t size)
{
	for (int i = 0; i < VM_MAX_SLOTS; i++)
		if (bitmap_test(vm->slot_used, i) && vm->slot_range[i].gpa == gpa &&
		    vm->slot_range[i].size == size)
			return i;
	return -1;
}

static void mmio_wr32(struct fx *x, uint64_t addr, uint32_t v)
{
	uint8_t b[4];

	le_put(b, 4, v);
	assert_true(bus_write(&x->vm.mmio, addr, b, 4));
}

static uint64_t mmio_rd(struct fx *x, uint64_t addr, unsigned len)
{
	uint8_t b[8] = { 0 };

	assert_true(bus_read(&x->vm.mmio, addr, b, len));
	return le_get(b, len);
}

/* ---- config space ---- */

static void test_identity_and_hidden_caps(void **state)
{
	struct fx *x = fx_plugged(false);

	assert_int_equal(cfg_rd(x, PCI_VENDOR_ID, 4), 0x10d38086);
	assert_int_equal(cfg_rd(x, PCI_REVISION_ID, 4), 0x02000003);
	assert_int_equal(cfg_rd(x, PCI_SUBSYSTEM_VENDOR_ID, 4), 0xa01f8086);
	assert_int_equal(cfg_rd(x, PCI_HEADER_TYPE, 1), 0);        /* one function */
	assert_int_equal(cfg_rd(x, PCI_INTERRUPT_PIN, 1), 1);
	/* kept at the host's offsets, in the host's order: PM, PCIe, MSI-X, vendor */
	assert_int_equal(cfg_rd(x, PCI_CAPABILITY_LIST, 1), 0xc8);
	assert_int_equal(cfg_rd(x, 0xc8 + 1, 1), 0xe0);
	assert_int_equal(cfg_rd(x, 0xe0 + 1, 1), 0xa0);
	assert_int_equal(cfg_rd(x, 0xa0 + 1, 1), 0x40);
	assert_int_equal(cfg_rd(x, 0x40 + 1, 1), 0);
	assert_int_equal(guest_cap(x, PCI_CAP_ID_MSI), 0);         /* MSI-X wins */
	assert_int_equal(guest_cap(x, 0x03), 0);                    /* VPD hidden */
	assert_int_equal(cfg_rd(x, 0x60, 4), 0);
	assert_int_equal(cfg_rd(x, 0x100, 4), 0);                   /* no extended caps */
	/* MSI-X as the host has it: 5 vectors, table BAR3+0, PBA BAR3+0x2000 */
	assert_int_equal(cfg_rd(x, 0xa2, 2) & 0x7ff, 4);
	assert_int_equal(cfg_rd(x, 0xa4, 4), 3);
	assert_int_equal(cfg_rd(x, 0xa8, 4), 0x2003);
	/* ROM hidden: reads 0, sizing finds nothing */
	cfg_wr(x, PCI_ROM_ADDRESS, 4, 0xffffffff);
	assert_int_equal(cfg_rd(x, PCI_ROM_ADDRESS, 4), 0);
	/* vendor capability read-only */
	cfg_wr(x, 0x44, 4, 0);
	assert_int_equal(cfg_rd(x, 0x44, 1), 'n');
	fx_free(x);
}

static void test_bar_sizing(void **state)
{
	struct fx *x = fx_plugged(false);
	uint32_t host_bar0 = le_get(x->f->cfg + PCI_BAR0, 4);

	cfg_wr(x, PCI_COMMAND, 2, 0);
	cfg_wr(x, PCI_BAR0, 4, 0xffffffff);
	assert_int_equal(cfg_rd(x, PCI_BAR0, 4), 0xfffe0000);        /* 128 KiB memory */
	cfg_wr(x, PCI_BAR0 + 4, 4, 0xffffffff);
	assert_int_equal(cfg_rd(x, PCI_BAR0 + 4, 4), 0);             /* no BAR1 */
	cfg_wr(x, PCI_BAR0 + 8, 4, 0xffffffff);
	assert_int_equal(cfg_rd(x, PCI_BAR0 + 8, 4), 0xffffffe1);    /* 32 bytes of I/O */
	cfg_wr(x, PCI_BAR0 + 12, 4, 0xffffffff);
	assert_int_equal(cfg_rd(x, PCI_BAR0 + 12, 4), 0xffffc000);   /* 16 KiB */
	/* the host's BARs never see the guest's writes */
	assert_int_equal(le_get(x->f->cfg + PCI_BAR0, 4), host_bar0);
	for (unsigned i = 0; i < x->f->n_calls; i++)
		if (x->f->calls[i].kind == FAKE_CFG_WRITE)
			assert_false(x->f->calls[i].iova >= PCI_BAR0 && x->f->calls[i].iova < 0x28);
	fx_free(x);
}

static void test_command_register(void **state)
{
	struct fx *x = fx_plugged(false);
	struct vfio_pci_slot s[4];

	/* plugged: decode on at the host, no bus master yet */
	assert_int_equal(le_get(x->f->cfg + PCI_COMMAND, 2), PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	cfg_wr(x, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
	       PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(le_get(x->f->cfg + PCI_COMMAND, 2), PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
			 PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	/* memory decode off: the guest mappings go, the host keeps decoding */
	assert_int_equal(vfio_pci_bar_slots(x->dev, 0, s, 4), 1);
	assert_true(s[0].slot >= 0);
	cfg_wr(x, PCI_COMMAND, 2, PCI_COMMAND_IO);
	assert_int_equal(vfio_pci_bar_slots(x->dev, 0, s, 4), 1);
	assert_int_equal(s[0].slot, -1);
	assert_false(x->dev->bars[0].mapped);
	assert_true(x->dev->bars[2].mapped);
	assert_int_equal(le_get(x->f->cfg + PCI_COMMAND, 2), PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	fx_free(x);
}

static void test_pcie_and_pm(void **state)
{
	struct fx *x = fx_plugged(false);

	/* Link Control: dropped */
	cfg_wr(x, 0xf0, 2, 0x0013);
	assert_int_equal(le_get(x->f->cfg + 0xf0, 2), 0x0040);
	/* Device Control: FLR and payload sizes stay, error reporting goes through */
	cfg_wr(x, 0xe8, 2, 0x800f);
	assert_int_equal(le_get(x->f->cfg + 0xe8, 2), 0x280f);
	assert_int_equal(fake_vfio_count(x->f, FAKE_RESET), 1);     /* the one at creation */
	/* read live from the device */
	le_put(x->f->cfg + 0xf2, 2, 0x2011);
	assert_int_equal(cfg_rd(x, 0xf0, 4), 0x20110040);
	assert_int_equal(cfg_rd(x, 0xe0, 2), 0xa010);               /* id/next: the guest's list */
	/* PM: the power state is emulated, never sent */
	cfg_wr(x, 0xcc, 2, 3);
	assert_int_equal(cfg_rd(x, 0xcc, 2) & 3, 3);
	assert_int_equal(x->f->cfg[0xcc], 0);
	fx_free(x);
}

static void test_rom_on(void **state)
{
	struct fx *x = fx_plugged(true);
	uint64_t addr = GPA_PCI_MMIO32_START + 0x1000000;

	cfg_wr(x, PCI_ROM_ADDRESS, 4, 0xfffff800);
	assert_int_equal(cfg_rd(x, PCI_ROM_ADDRESS, 4), 0xffff0000); /* 64 KiB */
	cfg_wr(x, PCI_ROM_ADDRESS, 4, (uint32_t)addr | 1);
	assert_int_equal(mmio_rd(x, addr, 2), 0xaa55);
	cfg_wr(x, PCI_ROM_ADDRESS, 4, (uint32_t)addr);               /* disabled: gone */
	assert_false(bus_overlaps(&x->vm.mmio, addr, 2));
	cfg_wr(x, PCI_ROM_ADDRESS, 4, (uint32_t)addr | 1);
	fx_free(x);                                                   /* mapped at teardown */
}

/* ---- BARs ---- */

static void test_bar_slots_and_msix_pages(void **state)
{
	struct fx *x = fx_plugged(false);
	struct vfio_pci_slot s[4];
	uint64_t b0 = bar_addr(x, 0), b3 = bar_addr(x, 3);

	assert_int_equal(vfio_pci_bar_slots(x->dev, 0, s, 4), 1);
	assert_int_equal(s[0].size, 128 * 1024);
	assert_true(slot_at(&x->vm, b0, 128 * 1024) >= 0);
	/* BAR3: the table page (0) and PBA page (0x2000) trap; 0x1000 and 0x3000 are slots */
	assert_int_equal(vfio_pci_bar_slots(x->dev, 3, s, 4), 2);
	assert_true(slot_at(&x->vm, b3 + 0x1000, 0x1000) >= 0);
	assert_true(slot_at(&x->vm, b3 + 0x3000, 0x1000) >= 0);
	assert_false(vm_mem_slot_overlaps(&x->vm, b3, 0x1000));
	assert_false(vm_mem_slot_overlaps(&x->vm, b3 + 0x2000, 0x1000));
	/* the slot maps the device's memory */
	x->f->region_mem[3][0x1004] = 0x5a;
	assert_int_equal(((uint8_t *)slot_hva[slot_at(&x->vm, b3 + 0x1000, 0x1000)])[4], 0x5a);
	/* the rest of the table page reaches the device */
	x->f->region_mem[3][0x800] = 0x77;
	assert_int_equal(mmio_rd(x, b3 + 0x800, 1), 0x77);
	/* I/O BAR: trapped through to the device */
	x->f->region_mem[2][4] = 0x42;
	{
		uint8_t b = 0;

		assert_true(bus_read(&x->vm.pio, bar_addr(x, 2) + 4, &b, 1));
		assert_int_equal(b, 0x42);
		b = 0x24;
		assert_true(bus_write(&x->vm.pio, bar_addr(x, 2) + 5, &b, 1));
		assert_int_equal(x->f->region_mem[2][5], 0x24);
	}
	fx_free(x);
}

static void test_bar_remap(void **state)
{
	struct fx *x = fx_plugged(false);
	uint64_t old0 = bar_addr(x, 0), old3 = bar_addr(x, 3);
	uint64_t new0 = GPA_PCI_MMIO32_START + 0x8000000, new3 = GPA_PCI_MMIO32_START + 0x9000000;
	struct vfio_pci_slot s[4];

	cfg_wr(x, PCI_COMMAND, 2, PCI_COMMAND_IO);
	cfg_wr(x, PCI_BAR0, 4, (uint32_t)new0);
	cfg_wr(x, PCI_BAR0 + 12, 4, (uint32_t)new3);
	cfg_wr(x, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_int_equal(bar_addr(x, 0), new0);
	assert_int_equal(bar_addr(x, 3), new3);
	assert_false(vm_mem_slot_overlaps(&x->vm, old0, 128 * 1024));
	assert_false(vm_mem_slot_overlaps(&x->vm, old3, 0x4000));
	assert_true(slot_at(&x->vm, new0, 128 * 1024) >= 0);
	assert_true(slot_at(&x->vm, new3 + 0x1000, 0x1000) >= 0);
	assert_true(slot_at(&x->vm, new3 + 0x3000, 0x1000) >= 0);
	assert_false(vm_mem_slot_overlaps(&x->vm, new3, 0x1000));       /* table still traps */
	assert_false(vm_mem_slot_overlaps(&x->vm, new3 + 0x2000, 0x1000));
	assert_int_equal(mmio_rd(x, new3 + 12, 4), 1);                  /* vector 0 masked */
	/* moved with decoding on, straight over BAR0's new place: refused, nothing moves */
	cfg_wr(x, PCI_BAR0 + 12, 4, (uint32_t)new0);
	assert_false(x->dev->bars[3].mapped);
	assert_int_equal(vfio_pci_bar_slots(x->dev, 3, s, 4), 2);
	assert_int_equal(s[0].slot, -1);
	assert_true(slot_at(&x->vm, new0, 128 * 1024) >= 0);
	/* back to a free place */
	cfg_wr(x, PCI_BAR0 + 12, 4, (uint32_t)old3);
	assert_true(slot_at(&x->vm, old3 + 0x1000, 0x1000) >= 0);
	fx_free(x);
}

/* ---- interrupts ---- */

static const struct fake_vfio_call *last_irq(struct fx *x)
{
	const struct fake_vfio_call *c = fake_vfio_last(x->f, FAKE_IRQ_SET);

	assert_non_null(c);
	return c;
}

static void test_intx(void **state)
{
	struct fx *x = fx_plugged(false);
	const struct fake_vfio_call *c = last_irq(x);

	assert_int_equal(c->index, VFIO_PCI_INTX_IRQ_INDEX);
	assert_int_equal(c->count, 1);
	assert_int_equal(c->fds[0], intx_trigger);
	c = fake_vfio_last(x->f, FAKE_IRQ_UNMASK);
	assert_non_null(c);
	assert_int_equal(c->fds[0], intx_resample);
	assert_true(intx_trigger >= 0 && intx_resample >= 0 && intx_trigger != intx_resample);
	fx_free(x);
}

static void test_msix_binding_and_masking(void **state)
{
	struct fx *x = fx_plugged(false);
	uint64_t b3 = bar_addr(x, 3);
	const struct fake_vfio_call *c;
	unsigned n;

	cfg_wr(x, 0xa2, 2, PCI_MSIX_CTRL_ENABLE);
	c = fake_vfio_find(x->f, FAKE_IRQ_SET, fake_vfio_count(x->f, FAKE_IRQ_SET) - 2);
	assert_int_equal(c->index, VFIO_PCI_INTX_IRQ_INDEX);            /* INTx off first */
	assert_int_equal(c->count, 0);
	c = last_irq(x);
	assert_int_equal(c->index, VFIO_PCI_MSIX_IRQ_INDEX);
	assert_int_equal(c->start, 0);
	assert_int_equal(c->count, 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(c->fds[i], pci_msix_vector_eventfd(x->dev, i));
	/* the device signals a masked vector: held as the pending bit, exactly */
	assert_int_equal(eventfd_write(pci_msix_vector_eventfd(x->dev, 1), 1), 0);
	assert_int_equal(mmio_rd(x, b3 + 0x2000, 8), 0x2);
	/* unmasking through the trapped table: the binding stays, nothing is rebound */
	n = fake_vfio_count(x->f, FAKE_IRQ_SET);
	mmio_wr32(x, b3 + 16 * 1 + 12, 0);
	assert_int_equal(mmio_rd(x, b3 + 16 * 1 + 12, 4), 0);
	assert_int_equal(fake_vfio_count(x->f, FAKE_IRQ_SET), n);
	/* disable: MSI-X unbound, INTx back */
	cfg_wr(x, 0xa2, 2, 0);
	c = fake_vfio_find(x->f, FAKE_IRQ_SET, n);
	assert_int_equal(c->index, VFIO_PCI_MSIX_IRQ_INDEX);
	assert_int_equal(c->count, 0);
	c = last_irq(x);
	assert_int_equal(c->index, VFIO_PCI_INTX_IRQ_INDEX);
	assert_int_equal(c->count, 1);
	assert_int_equal(fake_vfio_last(x->f, FAKE_IRQ_UNMASK)->fds[0], intx_resample);
	fx_free(x);
}

static void test_msix_bind_retry_on_unmask(void **state)
{
	struct fx *x = fx_plugged(false);
	uint64_t b3 = bar_addr(x, 3);
	const struct fake_vfio_call *c;

	x->f->fail_irq_set = 1;                                        /* the first bind fails */
	cfg_wr(x, 0xa2, 2, PCI_MSIX_CTRL_ENABLE);
	mmio_wr32(x, b3 + 16 * 2 + 12, 0);                             /* unmask vector 2 */
	c = last_irq(x);
	assert_int_equal(c->index, VFIO_PCI_MSIX_IRQ_INDEX);
	assert_int_equal(c->start, 2);
	assert_int_equal(c->count, 1);
	assert_int_equal(c->fds[0], pci_msix_vector_eventfd(x->dev, 2));
	fx_free(x);
}

/* ---- DMA, reset, teardown ---- */

static void test_dma_map(void **state)
{
	struct fx *x = fx_plugged(false);
	const struct fake_vfio_call *c = fake_vfio_find(x->f, FAKE_DMA_MAP, 0);

	assert_non_null(c);
	assert_int_equal(c->iova, 0);
	assert_int_equal(c->size, RAM_SIZE);
	assert_int_equal(x->f->dev.dma.mappings, 1);
	fake_vm_destroy(&x->vm);
	assert_int_equal(x->f->dev.dma.mappings, 0);
	assert_true(x->f->closed);
	assert_int_equal(fake_vfio_count(x->f, FAKE_RESET), 2);       /* at creation and at stop */
	fake_vfio_free(x->f);
	free(x);
}

static void test_dma_limits(void **state)
{
	struct fx *x = fx_new();
	static uint8_t high[2 * 4096];

	/* two RAM regions, a limit of one mapping */
	assert_int_equal(guest_mem_add(&x->vm.mem, GPA_RAM_HIGH_START, sizeof(high), high, -1, 0), 0);
	x->f->dev.dma.limit = 1;
	assert_int_equal(fx_try(x, false), -ENOSPC);
	assert_non_null(strstr(x->why, "dma_entry_limit"));
	assert_int_equal(x->f->dev.dma.mappings, 0);                  /* the first one undone */
	assert_false(x->f->closed);                                   /* still the caller's */
	assert_int_equal(x->vm.n_teardowns, 1);                       /* only the root's */
	/* a pin budget below guest RAM */
	x->f->dev.dma.limit = 0;
	x->f->pin_budget = RAM_SIZE / 2;
	assert_int_equal(fx_try(x, false), -ENOMEM);
	assert_non_null(strstr(x->why, "RLIMIT_MEMLOCK"));
	assert_int_equal(x->f->dev.dma.mappings, 0);
	x->f->pin_budget = UINT64_MAX;
	assert_int_equal(fx_try(x, false), 0);
	assert_int_equal(x->f->dev.dma.mappings, 2);
	fx_free(x);
}

static void test_reboot(void **state)
{
	struct fx *x = fx_plugged(false);

	cfg_wr(x, 0xa2, 2, PCI_MSIX_CTRL_ENABLE);
	cfg_wr(x, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pci_root_reset(x->root);
	assert_int_equal(fake_vfio_count(x->f, FAKE_RESET), 2);
	assert_int_equal(x->f->dev.dma.mappings, 0);                  /* RAM goes stale */
	assert_int_equal(last_irq(x)->index, VFIO_PCI_INTX_IRQ_INDEX); /* back on INTx */
	assert_int_equal(last_irq(x)->count, 1);
	assert_int_equal(le_get(x->f->cfg + PCI_COMMAND, 2) & PCI_COMMAND_MASTER, 0);
	assert_true(slot_at(&x->vm, bar_addr(x, 0), 128 * 1024) >= 0); /* BARs back in place */
	cfg_wr(x, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(x->f->dev.dma.mappings, 1);                  /* mapped again */
	assert_true(le_get(x->f->cfg + PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
	/* a remap that fails keeps bus mastering off */
	pci_root_reset(x->root);
	x->f->pin_budget = 0;
	cfg_wr(x, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(le_get(x->f->cfg + PCI_COMMAND, 2) & PCI_COMMAND_MASTER, 0);
	x->f->pin_budget = UINT64_MAX;
	fx_free(x);
}

static void test_unsupported_device(void **state)
{
	struct fx *x = fx_new();

	fake_vfio_set_bar(x->f, 0, 0x0, 3 * 4096, true);               /* not a power of two */
	assert_int_equal(fx_try(x, false), -ENOTSUP);
	assert_non_null(strstr(x->why, "0000:00:03.0"));
	assert_int_equal(x->f->dev.dma.mappings, 0);
	fake_vfio_set_bar(x->f, 0, 0x0, 128 * 1024, true);
	x->f->cfg[PCI_HEADER_TYPE] = 0x01;                            /* a bridge */
	assert_int_equal(fx_try(x, false), -ENOTSUP);
	fx_free(x);
}

/* ---- hostile guests ---- */

static void test_hostile_cfg(void **state)
{
	struct fx *x = fx_plugged(true);
	uint32_t seed = 12345;

	for (unsigned off = 0; off < PCI_CFG_SIZE + 8; off++) {
		for (unsigned len = 0; len <= 8; len++) {
			seed = seed * 1103515245 + 12345;
			(void)pci_device_cfg_read(x->dev, off, len);
			pci_device_cfg_write(x->dev, off, len, seed);
			pci_device_cfg_write(x->dev, off, len, 0xffffffff);
		}
	}
	/* what reached the device: COMMAND and Device Control only, never an FLR */
	for (unsigned i = 0; i < x->f->n_calls; i++) {
		const struct fake_vfio_call *c = &x->f->calls[i];

		if (c->kind == FAKE_CFG_WRITE)
			assert_true(c->iova == PCI_COMMAND || c->iova == 0xe8);
	}
	assert_int_equal(x->f->cfg[0xe9], 0x28);
	assert_int_equal(cfg_rd(x, PCI_VENDOR_ID, 4), 0x10d38086);
	assert_int_equal(le_get(x->f->cfg + 0xf0, 2), 0x0040);
	fx_free(x);
}

static void test_hostile_bar(void **state)
{
	struct fx *x = fx_plugged(false);
	uint8_t buf[8];

	for (unsigned bar = 0; bar < 8; bar++) {
		for (uint64_t off = 0; off < 0x40000; off += 0x3ffd) {
			for (unsigned len = 0; len <= 8; len++) {
				memset(buf, 0x11, sizeof(buf));
				x->dev->ops->bar_read(x->dev, bar, off, buf, len);
				x->dev->ops->bar_write(x->dev, bar, off, buf, len);
			}
		}
		x->dev->ops->bar_read(x->dev, bar, UINT64_MAX - 2, buf, 8);
		x->dev->ops->bar_write(x->dev, bar, UINT64_MAX - 2, buf, 8);
	}
	memset(buf, 0, sizeof(buf));
	x->dev->ops->bar_read(x->dev, 0, 128 * 1024 - 4, buf, 8);     /* runs past the end */
	assert_int_equal(buf[0], 0xff);
	/* MSI-X table: every size and offset through the bus */
	for (uint64_t off = 0; off < 0x60; off++)
		for (unsigned len = 1; len <= 8; len *= 2) {
			memset(buf, 0xff, sizeof(buf));
			bus_write(&x->vm.mmio, bar_addr(x, 3) + off, buf, len);
			bus_read(&x->vm.mmio, bar_addr(x, 3) + off, buf, len);
		}
	x->dev->ops->msix_vector_masked(x->dev, 5000, false);
	assert_false(vfio_pci_bar_slots(x->dev, 9, NULL, 0) >= 0);
	fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_and_hidden_caps),
		cmocka_unit_test(test_bar_sizing),
		cmocka_unit_test(test_command_register),
		cmocka_unit_test(test_pcie_and_pm),
		cmocka_unit_test(test_rom_on),
		cmocka_unit_test(test_bar_slots_and_msix_pages),
		cmocka_unit_test(test_bar_remap),
		cmocka_unit_test(test_intx),
		cmocka_unit_test(test_msix_binding_and_masking),
		cmocka_unit_test(test_msix_bind_retry_on_unmask),
		cmocka_unit_test(test_dma_map),
		cmocka_unit_test(test_dma_limits),
		cmocka_unit_test(test_reboot),
		cmocka_unit_test(test_unsupported_device),
		cmocka_unit_test(test_hostile_cfg),
		cmocka_unit_test(test_hostile_bar),
	};

	if (!getenv("IOVIRT_LOG"))
		log_set_level(LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
