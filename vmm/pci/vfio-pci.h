/*
 * vfio-pci: a host PCI function assigned to the guest (`iovirt run --vfio`).
 *
 * The device model sits over a struct vfio_dev (vfio-core/vfio-dev.h) and
 * stays out of the data path:
 *
 *  - config space is virtualized: IDs, class, revision and subsystem come from
 *    the device; the BAR registers are emulated over the real BARs (the
 *    guest's writes move the guest mapping, never the host BAR); COMMAND's
 *    MEMORY/IO drive the guest mappings while MASTER and INTX_DISABLE reach
 *    the device; MSI-X (or MSI when there is no MSI-X) is emulated by the core
 *    at the host's offset; of the other capabilities only power management
 *    (emulated), PCI Express (read live, Device Control's error-reporting and
 *    relaxed-ordering enables forwarded, every other write dropped, Link
 *    Control and the FLR bit included) and vendor-specific ones (read-only)
 *    stay in the list; extended capabilities are hidden. The ROM BAR reads 0
 *    unless opts->rom, when it is emulated and its reads trapped.
 *  - BARs: the mmappable areas are KVM memory slots wherever the guest puts
 *    the BAR, except the pages holding the MSI-X table and PBA, which trap
 *    with every other access (bar_read/bar_write reach region_read/write).
 *  - interrupts: MSI-X vectors are bound to pci_msix_vector_eventfd(), so the
 *    device signals KVM's irqfd without the VMM; masking and pending bits are
 *    the core's. INTx is a KVM irqfd with a resample eventfd VFIO unmasks on.
 *  - DMA: every RAM region is mapped at IOVA = guest physical address.
 *  - the device is reset at creation, on guest reboot and at teardown. A
 *    reboot empties guest RAM under the pinned pages: the mappings are made
 *    again when the guest next sets Bus Master Enable.
 */
#ifndef IOVIRT_VFIO_PCI_H
#define IOVIRT_VFIO_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

struct vm;
struct pci_root;
struct pci_device;
struct vfio_dev;

struct vfio_pci_opts {
	bool rom;          /* show the device's option ROM to the guest */
};

/*
 * Plug a passthrough device for vdev into root (next free slot): reset the
 * device, build the virtual config space, mmap its BARs, DMA-map guest RAM.
 * On success the device owns vdev (closed at teardown) and *out (may be NULL)
 * is the plugged device. On failure returns -errno, vdev is still the
 * caller's, and why (why_len bytes, may be 0) holds a sentence for the user:
 * -ENOSPC VFIO's mapping limit (dma_entry_limit) reached, -ENOMEM the memlock
 * limit (RLIMIT_MEMLOCK) reached, -ENOTSUP a BAR or capability the VMM
 * cannot present, or what plugging returned.
 */
int vfio_pci_create(struct vm *vm, struct pci_root *root, struct vfio_dev *vdev,
		    const struct vfio_pci_opts *opts, struct pci_device **out, char *why,
		    size_t why_len) __must_check;

/* One guest-visible piece of a BAR mapped as a KVM memory slot. */
struct vfio_pci_slot {
	uint64_t bar_off;  /* from the start of the BAR */
	uint64_t size;
	uint64_t gpa;      /* where the guest sees it while mapped */
	int slot;          /* KVM memory slot, or -1 while the BAR is not mapped */
};

/*
 * The slot pieces of BAR bar (the mmappable areas minus the MSI-X table and
 * PBA pages): copies up to max of them to out and returns how many exist,
 * or -EINVAL when dev is not a passthrough device. For tests and logs.
 */
int vfio_pci_bar_slots(struct pci_device *dev, unsigned bar, struct vfio_pci_slot *out,
		       unsigned max);

#endif
