/*
 * PCI seen from the guest: enumeration through CF8/CFC and ECAM, BAR sizing,
 * the capability list, config accesses at odd offsets and sizes, BAR moves
 * (including onto RAM and onto each other: refused, the VMM keeps running),
 * MSI-X delivery through irqfd with vector and function masking and the PBA,
 * MSI, INTx through the IOAPIC, and an ioeventfd doorbell.
 */
#ifdef IOVIRT_GUEST
#include "guest.h"
#include "memory-map.h"
#include "pci.h"
#include "pci-testdev-regs.h"

#define VEC_MSIX 0x40
#define VEC_MSI  0x41
#define VEC_INTX 0x42

static volatile unsigned irqs[256];
static volatile unsigned intx_real, intx_spurious;
static uint16_t tbdf;
static uint64_t bar0;

static void on_irq(struct guest_frame *f)
{
	irqs[f->vector]++;
	if (f->vector != VEC_INTX)
		return;
	/*
	 * A level-triggered line may be re-delivered once after the EOI even
	 * though the device dropped it (seen on nested KVM); like any OS, count
	 * only the interrupts the device actually raised.
	 */
	if (pci_read16(tbdf, PCI_STATUS) & 0x8)
		intx_real++;
	else
		intx_spurious++;
	mmio_write32(bar0 + TESTDEV_INTX, 0); /* deassert before the EOI */
}

static void wait_irq(unsigned vec, unsigned count)
{
	for (unsigned spins = 0; irqs[vec] < count; spins++) {
		GUEST_ASSERT(spins < 1000000);
		safe_halt();
		irq_disable();
	}
}

static void no_irq(unsigned vec, unsigned count)
{
	irq_enable();
	for (volatile int i = 0; i < 2000; i++)
		;
	irq_disable();
	GUEST_ASSERT_EQ(irqs[vec], count);
}

static void check_enumeration(void)
{
	uint16_t by_cf8 = PCI_NONE;

	GUEST_ASSERT_EQ(pci_cf8_read(PCI_BDF(0, 0, 0), 0, 2), 0x8086);
	for (unsigned dev = 0; dev < 32 && by_cf8 == PCI_NONE; dev++)
		if (pci_cf8_read(PCI_BDF(0, dev, 0), 0, 4) ==
		    (PCI_TESTDEV_VENDOR | (uint32_t)PCI_TESTDEV_DEVICE << 16))
			by_cf8 = PCI_BDF(0, dev, 0);
	tbdf = pci_find_device(PCI_TESTDEV_VENDOR, PCI_TESTDEV_DEVICE);
	GUEST_ASSERT(tbdf != PCI_NONE);
	GUEST_ASSERT_EQ(tbdf, by_cf8);
	GUEST_ASSERT_EQ(pci_read32(PCI_BDF(0, 31, 7), 0), 0xffffffff); /* absent */
	GUEST_ASSERT_EQ(pci_ecam_read(PCI_BDF(1, 0, 0), 0, 4), 0xffffffff); /* bus 1 */
	guest_sync(1, tbdf);
}

static void check_bars(void)
{
	uint32_t fl;

	GUEST_ASSERT_EQ(pci_bar_size(tbdf, 0, &fl), 4096);
	GUEST_ASSERT_EQ(fl, 0);
	GUEST_ASSERT_EQ(pci_bar_size(tbdf, 1, &fl), 1 << 20);
	GUEST_ASSERT_EQ(fl, 0xc);
	GUEST_ASSERT_EQ(pci_bar_size(tbdf, 3, &fl), 32);
	GUEST_ASSERT_EQ(fl, 1);
	GUEST_ASSERT_EQ(pci_bar_size(tbdf, 4, &fl), 16384);
	GUEST_ASSERT_EQ(fl, 4);
	GUEST_ASSERT_EQ(pci_bar_size(PCI_BDF(0, 0, 0), 0, &fl), 0); /* host bridge: none */
	GUEST_ASSERT(pci_bar_addr(tbdf, 1) >= 0x100000000ULL);
	guest_map(pci_bar_addr(tbdf, 1), 1 << 20);
	bar0 = pci_bar_addr(tbdf, 0);
	GUEST_ASSERT(bar0 >= GPA_PCI_MMIO32_START && bar0 < GPA_PCI_MMIO32_END);
	GUEST_ASSERT_EQ(mmio_read32(bar0 + TESTDEV_MAGIC), TESTDEV_MAGIC_VALUE);
	mmio_write32(bar0 + TESTDEV_SCRATCH, 0xcafe);
	GUEST_ASSERT_EQ(mmio_read32(bar0 + TESTDEV_SCRATCH), 0xcafe);
	GUEST_ASSERT_EQ(mmio_read32(pci_bar_addr(tbdf, 1) + 0x100), 0x100 ^ TESTDEV_BAR1_PATTERN);
	outb(pci_bar_addr(tbdf, 3), 0x5a);
	GUEST_ASSERT_EQ(inb(pci_bar_addr(tbdf, 3)), 0x5a);
	GUEST_ASSERT_EQ(inb(pci_bar_addr(tbdf, 3) + 7), 7);
}

static void check_caps_and_odd_accesses(void)
{
	GUEST_ASSERT(pci_find_cap(tbdf, PCI_CAP_ID_MSIX));
	GUEST_ASSERT(pci_find_cap(tbdf, PCI_CAP_ID_MSI));
	GUEST_ASSERT(pci_find_cap(tbdf, 0x09));
	GUEST_ASSERT_EQ(pci_cf8_read(tbdf, 1, 1), PCI_TESTDEV_VENDOR >> 8);
	GUEST_ASSERT_EQ(pci_cf8_read(tbdf, 2, 2), PCI_TESTDEV_DEVICE);
	GUEST_ASSERT_EQ(pci_cf8_read(tbdf, 3, 1), PCI_TESTDEV_DEVICE >> 8);
	GUEST_ASSERT_EQ(pci_ecam_read(tbdf, 1, 2), 0x01ff); /* unaligned: bytes 1..2 */
	GUEST_ASSERT_EQ(pci_ecam_read(tbdf, 0xfff, 4), 0xffffff00); /* runs off the end */
	pci_ecam_write(tbdf, 0, 4, 0x12345678);                    /* read-only IDs */
	pci_ecam_write(tbdf, 0xffd, 4, 0xffffffff);
	pci_cf8_write(tbdf, 0x3f, 2, 0xffff);                      /* odd, read-only pin */
	GUEST_ASSERT_EQ(pci_read16(tbdf, 0), PCI_TESTDEV_VENDOR);
	GUEST_ASSERT_EQ(pci_read8(tbdf, PCI_INTERRUPT_PIN), 1);
	outl(0xcf8, 0x80000000u | (tbdf << 8) | 0x3c);
	GUEST_ASSERT_EQ(inb(0xcfd), 1);                              /* pin through CFD */
	GUEST_ASSERT_EQ(inw(0xcfa), 0xffff);                         /* not CF8, not data */
}

static void check_bar_moves(void)
{
	uint64_t bar1 = pci_bar_addr(tbdf, 1);

	pci_bar_set(tbdf, 0, 0xd0000000);
	GUEST_ASSERT_EQ(mmio_read32(0xd0000000 + TESTDEV_MAGIC), TESTDEV_MAGIC_VALUE);
	GUEST_ASSERT_EQ(mmio_read32(bar0 + TESTDEV_MAGIC), 0xffffffff);
	pci_bar_set(tbdf, 0, 0x400000);                             /* onto RAM: refused */
	*(volatile uint32_t *)0x400000 = 0x11223344;
	GUEST_ASSERT_EQ(mmio_read32(0x400000), 0x11223344);
	pci_bar_set(tbdf, 0, bar0);
	pci_bar_set(tbdf, 1, bar0);                                 /* onto BAR0: refused */
	GUEST_ASSERT_EQ(mmio_read32(bar0 + TESTDEV_MAGIC), TESTDEV_MAGIC_VALUE);
	pci_bar_set(tbdf, 1, 0xfffffffffff00000ULL);                /* wraps: refused */
	pci_bar_set(tbdf, 1, bar1);
	GUEST_ASSERT_EQ(mmio_read32(bar1), TESTDEV_BAR1_PATTERN);
	pci_bar_set(tbdf, 0, 0xd0080000);
	pci_bar_set(tbdf, 1, 0xd0000000);      /* over BAR0, which lies strictly inside: refused */
	GUEST_ASSERT_EQ(mmio_read32(0xd0080000 + TESTDEV_MAGIC), TESTDEV_MAGIC_VALUE);
	pci_bar_set(tbdf, 0, bar0);
	pci_bar_set(tbdf, 1, 0xd8000000);                           /* RAM-backed BAR moves */
	GUEST_ASSERT_EQ(mmio_read32(0xd8000000 + 0x40), 0x40 ^ TESTDEV_BAR1_PATTERN);
	pci_bar_set(tbdf, 0, 0xd8004000);      /* a trapped BAR inside the RAM-backed one: refused */
	GUEST_ASSERT_EQ(mmio_read32(0xd8004000 + 0x40), 0x4040 ^ TESTDEV_BAR1_PATTERN);
	pci_bar_set(tbdf, 0, bar0);
	mmio_write32(0xd8000000 + 0x80, 0xfeedf00d);                /* lands in host memory */
	pci_bar_set(tbdf, 1, bar1);
	GUEST_ASSERT_EQ(mmio_read32(bar1 + 0x80), 0xfeedf00d);
	pci_write16(tbdf, PCI_COMMAND, 0);                          /* decoding off */
	GUEST_ASSERT_EQ(mmio_read32(bar0), 0xffffffff);
	pci_write16(tbdf, PCI_COMMAND, PCI_CMD_MEM | PCI_CMD_IO | PCI_CMD_MASTER);
	GUEST_ASSERT_EQ(mmio_read32(bar0), TESTDEV_MAGIC_VALUE);
}

static void check_msix(void)
{
	struct msix m;

	GUEST_ASSERT_EQ(msix_init(&m, tbdf), 0);
	GUEST_ASSERT_EQ(m.nvec, PCI_TESTDEV_NVEC);
	msix_vector_set(&m, 0, 0, VEC_MSIX, 0);
	msix_vector_set(&m, 1, 0, VEC_MSIX, 0);
	msix_enable(&m, 1);
	mmio_write32(bar0 + TESTDEV_FIRE_MSIX, 0);
	wait_irq(VEC_MSIX, 1);
	msix_vector_mask(&m, 0, 1);                        /* vector mask: held pending */
	mmio_write32(bar0 + TESTDEV_FIRE_MSIX, 0);
	no_irq(VEC_MSIX, 1);
	GUEST_ASSERT(msix_pending(&m, 0));
	msix_vector_mask(&m, 0, 0);                        /* unmask: delivered once */
	wait_irq(VEC_MSIX, 2);
	GUEST_ASSERT(!msix_pending(&m, 0));
	msix_function_mask(&m, 1);                         /* function mask */
	mmio_write32(bar0 + TESTDEV_FIRE_MSIX, 1);
	no_irq(VEC_MSIX, 2);
	GUEST_ASSERT(msix_pending(&m, 1));
	msix_function_mask(&m, 0);
	wait_irq(VEC_MSIX, 3);
	mmio_write32(bar0 + TESTDEV_FIRE_MSIX, 7);         /* never unmasked */
	no_irq(VEC_MSIX, 3);
	GUEST_ASSERT(msix_pending(&m, 7));
	mmio_write32(bar0 + TESTDEV_FIRE_MSIX, 1000);      /* no such vector */
	mmio_write32(m.table + 16 * 8, 0xdead);            /* past the table: ignored */
	mmio_write64(m.table, 0xfee00000);                 /* 8-byte write to an entry */
	GUEST_ASSERT_EQ(mmio_read32(m.table), 0xfee00000);
	msix_enable(&m, 0);
}

static void check_msi(void)
{
	unsigned cap = pci_find_cap(tbdf, PCI_CAP_ID_MSI);

	pci_write32(tbdf, cap + 4, GPA_LAPIC);
	pci_write32(tbdf, cap + 8, 0);
	pci_write16(tbdf, cap + 12, VEC_MSI);
	pci_write16(tbdf, cap + 2, pci_read16(tbdf, cap + 2) | 1);
	mmio_write32(bar0 + TESTDEV_FIRE_MSI, 1);
	wait_irq(VEC_MSI, 1);
	pci_write32(tbdf, cap + 16, 1);                    /* mask */
	mmio_write32(bar0 + TESTDEV_FIRE_MSI, 1);
	no_irq(VEC_MSI, 1);
	pci_write32(tbdf, cap + 16, 0);
	wait_irq(VEC_MSI, 2);
}

static void ioapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(GPA_IOAPIC, reg);
	mmio_write32(GPA_IOAPIC + 0x10, v);
}

static void check_intx(void)
{
	unsigned gsi = pci_read8(tbdf, PCI_INTERRUPT_LINE), base;

	GUEST_ASSERT(gsi >= 16 && gsi < 24);
	ioapic_write(0x11 + 2 * gsi, 0);                   /* destination APIC 0 */
	ioapic_write(0x10 + 2 * gsi, VEC_INTX | (1 << 15)); /* level, active high, unmasked */
	mmio_write32(bar0 + TESTDEV_INTX, 1);
	wait_irq(VEC_INTX, 1);
	irq_enable();
	for (volatile int i = 0; i < 2000; i++)
		;
	irq_disable();
	GUEST_ASSERT_EQ(intx_real, 1);
	base = irqs[VEC_INTX];
	GUEST_ASSERT(!(pci_read16(tbdf, PCI_STATUS) & 0x8));
	pci_write16(tbdf, PCI_COMMAND, pci_read16(tbdf, PCI_COMMAND) | PCI_CMD_INTX_DISABLE);
	mmio_write32(bar0 + TESTDEV_INTX, 1);              /* disabled: only the status bit */
	no_irq(VEC_INTX, base);
	GUEST_ASSERT(pci_read16(tbdf, PCI_STATUS) & 0x8);
	mmio_write32(bar0 + TESTDEV_INTX, 0);
}

int guest_main(unsigned cpu, unsigned ncpus)
{
	guest_irq_set_handler(VEC_MSIX, on_irq);
	guest_irq_set_handler(VEC_MSI, on_irq);
	guest_irq_set_handler(VEC_INTX, on_irq);
	check_enumeration();
	check_bars();
	check_caps_and_odd_accesses();
	check_bar_moves();
	check_msix();
	check_msi();
	check_intx();
	for (int i = 0; i < 3; i++)
		mmio_write32(bar0 + TESTDEV_DOORBELL, i);
	guest_sync(2, irqs[VEC_MSIX]);
	guest_sync(3, intx_spurious);
	return 0;
}
#else
#include <string.h>
#include <unistd.h>

#include "pci-testdev.h"
#include "pci.h"
#include "vmm-test.h"

int main(int argc, char **argv)
{
	const char *image = test_image(argc, argv);
	struct pci_device *dev;
	struct platform plat;
	struct pci_stats st;
	uint64_t doorbells = 0;
	struct ucall uc;
	struct vm vm;
	int ret;

	test_vm_create(&vm, &plat, image, 1, 64 << 20, 1);
	ret = pci_testdev_create(&vm, plat.pci, NULL, &dev);
	TEST_ASSERT(!ret, "pci_testdev_create: %s", strerror(-ret));
	for (;;) {
		uint64_t cmd = test_vcpu_ucall(vm.vcpus[0], &uc);

		if (cmd == UCALL_DONE)
			break;
		TEST_ASSERT(cmd == UCALL_SYNC || cmd == UCALL_PRINT, "guest: %s", uc.buf);
		if (cmd == UCALL_PRINT)
			fputs(uc.buf, stdout);
		if (cmd == UCALL_SYNC && uc.args[0] == 1)
			TEST_ASSERT(uc.args[1] == dev->devfn, "guest found %lx, device at %x",
				    (unsigned long)uc.args[1], dev->devfn);
		if (cmd == UCALL_SYNC && uc.args[0] == 3)
			printf("INTx re-deliveries after EOI with the line low: %lu\n",
			       (unsigned long)uc.args[1]);
		if (cmd == UCALL_SYNC && uc.args[0] == 2)
			TEST_ASSERT(uc.args[1] == 3, "MSI-X interrupts: %lu", (unsigned long)uc.args[1]);
	}
	TEST_ASSERT(uc.args[0] == 0, "guest status %lu", (unsigned long)uc.args[0]);
	{
		uint32_t *shm;
		size_t size;

		TEST_ASSERT(!pci_testdev_shm(dev, (void **)&shm, &size), "no BAR1 memory");
		TEST_ASSERT(shm[0x80 / 4] == 0xfeedf00d, "guest write to BAR1 not in host memory");
	}
	TEST_ASSERT(read(pci_testdev_doorbell_fd(dev), &doorbells, 8) == 8 && doorbells == 3,
		    "doorbell ioeventfd count %lu", (unsigned long)doorbells);
	pci_root_stats(plat.pci, &st);
	TEST_ASSERT(st.bar_refused >= 5 && st.bad_cfg >= 2, "refused %lu bad_cfg %lu",
		    (unsigned long)st.bar_refused, (unsigned long)st.bad_cfg);
	printf("ok: pci (BAR placements refused %lu, config accesses to absent functions %lu)\n",
	       (unsigned long)st.bar_refused, (unsigned long)st.bad_cfg);
	vm_destroy(&vm);
	return 0;
}
#endif
