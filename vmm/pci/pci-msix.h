/*
 * MSI-X and MSI for emulated PCI devices.
 *
 * Every vector owns an eventfd. While the vector is unmasked (MSI-X enabled,
 * function not masked, vector not masked) the eventfd is a KVM irqfd on an
 * MSI route (GSI) carrying the guest's address/data, so a signal from any
 * thread or process (a device model, a VFIO interrupt, a vhost-user
 * back-end) reaches the guest without a userspace exit. While it is masked
 * the irqfd is detached and signals accumulate in the eventfd: they are the
 * vector's pending bit (PBA), delivered once on unmask, exactly as the spec
 * asks.
 *
 * Without a VM (dev->vm NULL: unit tests) the same state machine runs and a
 * "delivered" signal is left in the eventfd for the test to read.
 */
#ifndef IOVIRT_PCI_MSIX_H
#define IOVIRT_PCI_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"

struct pci_device;

#define PCI_MSIX_MAX_VECTORS 2048
#define PCI_MSIX_ENTRY_SIZE  16
#define PCI_MSIX_CTRL_ENABLE 0x8000
#define PCI_MSIX_CTRL_FMASK  0x4000
#define PCI_MSIX_VEC_MASKED  0x1
#define PCI_MSI_CTRL_ENABLE  0x0001

/*
 * Give dev an MSI-X capability with nvec vectors whose table and PBA live in
 * trapped BARs table_bar/pba_bar at the given offsets (8-byte aligned, inside
 * the BAR, not overlapping each other). All vectors start masked. 0, -EINVAL
 * or -errno (eventfd, no capability space).
 */
int pci_msix_init(struct pci_device *dev, unsigned nvec, unsigned table_bar, uint32_t table_off,
		  unsigned pba_bar, uint32_t pba_off) __must_check;

/* Signal vector i (from any thread). Out-of-range vectors are ignored. */
void pci_msix_notify(struct pci_device *dev, unsigned i);

/* The eventfd behind vector i, for back-ends that signal it themselves; -1 if none. */
int pci_msix_vector_eventfd(struct pci_device *dev, unsigned i);

/*
 * Whether vector i is masked in effect (MSI-X disabled, function masked or
 * the vector masked). The authoritative answer for a model whose
 * msix_vector_masked hook ran: that hook is a prompt to look, and two vCPUs
 * changing masks at once may deliver its calls in either order.
 */
bool pci_msix_vector_masked(struct pci_device *dev, unsigned i);

/* Number of vectors, and whether vector i is pending (masked with a signal waiting). */
unsigned pci_msix_nvec(struct pci_device *dev);
bool pci_msix_pending(struct pci_device *dev, unsigned i);

/* A single-vector, 64-bit, per-vector-maskable MSI capability. 0 or -errno. */
int pci_msi_init(struct pci_device *dev) __must_check;
void pci_msi_notify(struct pci_device *dev);
int pci_msi_eventfd(struct pci_device *dev);

/* Core hooks (pci.c): table/PBA accesses (true if handled) and config writes. */
bool pci_msix_bar_access(struct pci_device *dev, unsigned bar, uint64_t off, uint8_t *data,
			 unsigned len, bool write);
void pci_msix_cfg_written(struct pci_device *dev, unsigned off, unsigned len);
void pci_msi_cfg_written(struct pci_device *dev, unsigned off, unsigned len);
void pci_msix_destroy(struct pci_device *dev);
void pci_msi_destroy(struct pci_device *dev);
/* Back to power-on state (disabled, vectors masked and cleared, nothing pending). */
void pci_msix_reset(struct pci_device *dev);
void pci_msi_reset(struct pci_device *dev);

#endif
