/* NIC discovery, BAR set-up and interrupt dispatch shared by the drivers. */
#include "guest.h"
#include "memory-map.h"
#include "nic.h"
#include "pci.h"

#define E1000_VENDOR  0x8086
#define E1000_DEVICE  0x100e
#define E1000E_DEVICE 0x10d3
#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_NET_MODERN 0x1041

/* Handlers per IDT vector; several when NICs share an INTx line. */
struct nic_vec {
	void (*fn)(struct nic *, unsigned);
	struct nic *n;
	unsigned arg;
};

static struct nic_vec nic_vecs[256][NIC_MAX];
static uint64_t mmio32_next = GPA_PCI_MMIO32_START;

static void nic_irq_dispatch(struct guest_frame *f)
{
	struct nic_vec *v = nic_vecs[f->vector & 0xff];

	for (unsigned i = 0; i < NIC_MAX && v[i].fn; i++)
		v[i].fn(v[i].n, v[i].arg);
}

int nic_irq_bind(unsigned vector, void (*fn)(struct nic *, unsigned), struct nic *n, unsigned arg)
{
	unsigned i = 0;

	if (vector < 32 || vector >= 255)
		return -EINVAL;
	while (i < NIC_MAX && nic_vecs[vector][i].fn)
		i++;
	if (i == NIC_MAX)
		return -EINVAL;
	nic_vecs[vector][i] = (struct nic_vec){ fn, n, arg };
	guest_irq_set_handler(vector, nic_irq_dispatch);
	return 0;
}

static int bar_assign(uint16_t bdf, unsigned i, uint64_t size)
{
	uint64_t a = (mmio32_next + size - 1) & ~(size - 1);

	if (guest_link_foreign || a + size > GPA_PCI_MMIO32_END)
		return -ENODEV;
	pci_bar_set(bdf, i, a);
	mmio32_next = a + size;
	return 0;
}

int nic_pci_enable(uint16_t bdf)
{
	for (unsigned i = 0; i < 6; i++) {
		uint32_t flags;
		uint64_t size = pci_bar_size(bdf, i, &flags);
		int is64 = !(flags & 1) && ((flags >> 1) & 3) == 2;

		if (size && !(flags & 1)) {
			if (!pci_bar_addr(bdf, i) && bar_assign(bdf, i, size))
				return -ENODEV;
			if (pci_bar_addr(bdf, i) + size > (4ULL << 30))
				guest_map(pci_bar_addr(bdf, i), size);
		}
		if (is64)
			i++;
	}
	pci_write16(bdf, PCI_COMMAND, pci_read16(bdf, PCI_COMMAND) | PCI_CMD_MEM | PCI_CMD_IO |
		    PCI_CMD_MASTER);
	return 0;
}

int nic_probe_all(struct nic *nics, unsigned max)
{
	unsigned count = 0;

	for (unsigned dev = 0; dev < 32 && count < max; dev++) {
		uint16_t bdf = PCI_BDF(0, dev, 0);
		uint32_t id = pci_read32(bdf, PCI_VENDOR_ID);
		int ret;

		if ((id & 0xffff) == E1000_VENDOR && (id >> 16) == E1000_DEVICE)
			ret = e1000_probe(&nics[count], bdf);
		else if ((id & 0xffff) == E1000_VENDOR && (id >> 16) == E1000E_DEVICE)
			ret = e1000e_probe(&nics[count], bdf);
		else if ((id & 0xffff) == VIRTIO_VENDOR && (id >> 16) == VIRTIO_NET_MODERN)
			ret = virtio_net_probe(&nics[count], bdf);
		else
			continue;
		if (ret)
			return ret;
		nics[count].index = count;
		count++;
	}
	return count;
}
