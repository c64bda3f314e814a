/*
 * What PCI functions a VM was given: every function on bus 0, one line each
 * on the serial console ("pci 00:03.0 1b36:0010 class 010802"), followed for
 * each memory BAR of a type-0 function by its address, size and first four
 * dwords ("  bar0 0xe0000000 size 0x4000: 20ff 0 10400 0"; the function's
 * memory decoding is turned on, so these reads are the device's own), then
 * "pci-list: N functions", and the guest idles (interrupts off, halted) until
 * the VMM is stopped. For checking what a split or a passthrough hands a
 * guest: `iovirt run --guest pci-list.elf --vfio 0000:01:00.1`.
 */
#include "guest.h"
#include "nic.h"
#include "pci.h"

static void list_bars(uint16_t bdf)
{
	if ((pci_read8(bdf, PCI_HEADER_TYPE) & 0x7f) != 0 || nic_pci_enable(bdf))
		return;
	for (unsigned i = 0; i < 6; i++) {
		uint32_t flags;
		uint64_t size = pci_bar_size(bdf, i, &flags), addr;
		volatile uint32_t *regs;

		if (!size || (flags & 1))
			continue;
		addr = pci_bar_addr(bdf, i);
		regs = (volatile uint32_t *)addr;
		serial_printf("  bar%u 0x%lx size 0x%lx: %x %x %x %x\n", i, addr, size, regs[0],
			      size > 4 ? regs[1] : 0, size > 8 ? regs[2] : 0, size > 12 ? regs[3] : 0);
		if (((flags >> 1) & 3) == 2)
			i++;
	}
}

static unsigned list_function(uint16_t bdf)
{
	uint32_t id = pci_read32(bdf, PCI_VENDOR_ID);

	if ((id & 0xffff) == 0xffff)
		return 0;
	serial_printf("pci 00:%02x.%x %04x:%04x class %06x\n", (bdf >> 3) & 0x1f, bdf & 7,
		      id & 0xffff, id >> 16, pci_read32(bdf, PCI_CLASS_REV) >> 8);
	list_bars(bdf);
	return 1;
}

int guest_main(unsigned cpu, unsigned ncpus)
{
	unsigned n = 0;

	if (cpu != 0)
		return 0;
	for (unsigned dev = 0; dev < 32; dev++) {
		uint16_t fn0 = PCI_BDF(0, dev, 0);

		if (!list_function(fn0))
			continue;
		n++;
		if (!(pci_read8(fn0, PCI_HEADER_TYPE) & 0x80))
			continue;
		for (unsigned fn = 1; fn < 8; fn++)
			n += list_function(PCI_BDF(0, dev, fn));
	}
	serial_printf("pci-list: %u functions\n", n);
	for (;;)
		__asm__ volatile("cli; hlt");
}
