/*
 * What PCI functions a VM was given: every function on bus 0, one line each
 * on the serial console ("pci 00:03.0 1b36:0010 class 010802"), then
 * "pci-list: N functions", and the guest idles (interrupts off, halted)
 * until the VMM is stopped. For checking what a split or a passthrough
 * hands a guest: `iovirt run --guest pci-list.elf --vfio 0000:01:00.1`.
 */
#include "guest.h"
#include "pci.h"

static unsigned list_function(uint16_t bdf)
{
	uint32_t id = pci_read32(bdf, PCI_VENDOR_ID);

	if ((id & 0xffff) == 0xffff)
		return 0;
	serial_printf("pci 00:%02x.%x %04x:%04x class %06x\n", (bdf >> 3) & 0x1f, bdf & 7,
		      id & 0xffff, id >> 16, pci_read32(bdf, PCI_CLASS_REV) >> 8);
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
