#include "guest.h"
#include "memory-map.h"
#include "pci.h"

#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_FMASK  0x4000

static uint32_t cf8_addr(uint16_t bdf, unsigned off)
{
	return 0x80000000u | ((uint32_t)bdf << 8) | (off & 0xfc);
}

uint32_t pci_cf8_read(uint16_t bdf, unsigned off, unsigned size)
{
	uint16_t port = PORT_PCI_CONFIG_DATA + (off & 3);

	outl(PORT_PCI_CONFIG_ADDR, cf8_addr(bdf, off));
	if (size == 1)
		return inb(port);
	if (size == 2)
		return inw(port);
	return inl(port);
}

void pci_cf8_write(uint16_t bdf, unsigned off, unsigned size, uint32_t val)
{
	uint16_t port = PORT_PCI_CONFIG_DATA + (off & 3);

	outl(PORT_PCI_CONFIG_ADDR, cf8_addr(bdf, off));
	if (size == 1)
		outb(port, val);
	else if (size == 2)
		outw(port, val);
	else
		outl(port, val);
}

static uint64_t ecam_addr(uint16_t bdf, unsigned off)
{
	return GPA_PCI_ECAM + ((uint64_t)bdf << 12) + (off & 0xfff);
}

uint32_t pci_ecam_read(uint16_t bdf, unsigned off, unsigned size)
{
	uint64_t a = ecam_addr(bdf, off);

	if (size == 1)
		return mmio_read8(a);
	if (size == 2)
		return mmio_read16(a);
	return mmio_read32(a);
}

void pci_ecam_write(uint16_t bdf, unsigned off, unsigned size, uint32_t val)
{
	uint64_t a = ecam_addr(bdf, off);

	if (size == 1)
		mmio_write8(a, val);
	else if (size == 2)
		mmio_write16(a, val);
	else
		mmio_write32(a, val);
}

uint16_t pci_find_device(uint16_t vendor, uint16_t device)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		for (unsigned fn = 0; fn < 8; fn++) {
			uint16_t bdf = PCI_BDF(0, dev, fn);
			uint32_t id = pci_read32(bdf, PCI_VENDOR_ID);

			if ((id & 0xffff) == 0xffff) {
				if (fn == 0)
					break;
				continue;
			}
			if ((id & 0xffff) == vendor && (id >> 16) == device)
				return bdf;
			if (fn == 0 && !(pci_read8(bdf, PCI_HEADER_TYPE) & 0x80))
				break;
		}
	}
	return PCI_NONE;
}

uint64_t pci_bar_size(uint16_t bdf, unsigned n, uint32_t *flags)
{
	unsigned off = PCI_BAR0 + 4 * n;
	uint32_t lo = pci_read32(bdf, off), hi = 0, slo, shi = 0xffffffff;
	uint16_t cmd = pci_read16(bdf, PCI_COMMAND);
	int is64 = !(lo & 1) && ((lo >> 1) & 3) == 2;
	uint64_t mask;

	pci_write16(bdf, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
	pci_write32(bdf, off, 0xffffffff);
	slo = pci_read32(bdf, off);
	pci_write32(bdf, off, lo);
	if (is64) {
		hi = pci_read32(bdf, off + 4);
		pci_write32(bdf, off + 4, 0xffffffff);
		shi = pci_read32(bdf, off + 4);
		pci_write32(bdf, off + 4, hi);
	}
	pci_write16(bdf, PCI_COMMAND, cmd);
	*flags = lo & (lo & 1 ? 0x3 : 0xf);
	mask = ((uint64_t)shi << 32) | (slo & (lo & 1 ? ~3u : ~0xfu));
	if (!is64)
		mask |= 0xffffffff00000000ULL;
	if (lo & 1)
		mask |= 0xffffffffffff0000ULL;
	if (!(slo & (lo & 1 ? ~3u : ~0xfu)) && !(is64 && shi))
		return 0;
	return ~mask + 1;
}

uint64_t pci_bar_addr(uint16_t bdf, unsigned n)
{
	uint32_t lo = pci_read32(bdf, PCI_BAR0 + 4 * n);

	if (lo & 1)
		return lo & ~3u;
	if (((lo >> 1) & 3) == 2)
		return ((uint64_t)pci_read32(bdf, PCI_BAR0 + 4 * n + 4) << 32) | (lo & ~0xfu);
	return lo & ~0xfu;
}

void pci_bar_set(uint16_t bdf, unsigned n, uint64_t addr)
{
	uint32_t lo = pci_read32(bdf, PCI_BAR0 + 4 * n);

	pci_write32(bdf, PCI_BAR0 + 4 * n, (uint32_t)addr);
	if (!(lo & 1) && ((lo >> 1) & 3) == 2)
		pci_write32(bdf, PCI_BAR0 + 4 * n + 4, (uint32_t)(addr >> 32));
}

unsigned pci_find_cap(uint16_t bdf, unsigned id)
{
	unsigned off, guard = 0;

	if (!(pci_read16(bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	for (off = pci_read8(bdf, PCI_CAP_PTR) & 0xfc; off && guard < 48; guard++) {
		if (pci_read8(bdf, off) == id)
			return off;
		off = pci_read8(bdf, off + 1) & 0xfc;
	}
	return 0;
}

int msix_init(struct msix *m, uint16_t bdf)
{
	uint32_t table, pba;

	m->bdf = bdf;
	m->cap = pci_find_cap(bdf, PCI_CAP_ID_MSIX);
	if (!m->cap)
		return -1;
	m->nvec = (pci_read16(bdf, m->cap + 2) & 0x7ff) + 1;
	table = pci_read32(bdf, m->cap + 4);
	pba = pci_read32(bdf, m->cap + 8);
	m->table = pci_bar_addr(bdf, table & 7) + (table & ~7u);
	m->pba = pci_bar_addr(bdf, pba & 7) + (pba & ~7u);
	guest_map(m->table, m->nvec * 16);
	guest_map(m->pba, (m->nvec + 63) / 64 * 8);
	return 0;
}

void msix_vector_set(const struct msix *m, unsigned i, unsigned dest_apic, unsigned vector,
		     int masked)
{
	uint64_t e = m->table + 16 * i;

	mmio_write32(e + 12, 1);
	mmio_write32(e + 0, GPA_LAPIC | (dest_apic << 12));
	mmio_write32(e + 4, 0);
	mmio_write32(e + 8, vector);
	mmio_write32(e + 12, masked ? 1 : 0);
}

void msix_vector_mask(const struct msix *m, unsigned i, int masked)
{
	mmio_write32(m->table + 16 * i + 12, masked ? 1 : 0);
}

int msix_pending(const struct msix *m, unsigned i)
{
	return (mmio_read64(m->pba + 8 * (i / 64)) >> (i % 64)) & 1;
}

static void msix_ctrl_update(const struct msix *m, uint16_t bit, int set)
{
	uint16_t c = pci_read16(m->bdf, m->cap + 2);

	pci_write16(m->bdf, m->cap + 2, set ? c | bit : c & ~bit);
}

void msix_enable(const struct msix *m, int enable)
{
	msix_ctrl_update(m, MSIX_CTRL_ENABLE, enable);
}

void msix_function_mask(const struct msix *m, int masked)
{
	msix_ctrl_update(m, MSIX_CTRL_FMASK, masked);
}
