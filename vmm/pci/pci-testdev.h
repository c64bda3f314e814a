/*
 * pci-testdev: a PCI device for the vmm tests and for checking a guest's PCI
 * code. It is not a model of real hardware. Vendor PCI_TESTDEV_VENDOR is not
 * a PCI-SIG assigned ID; nothing outside iovirt binds to it.
 *
 *   BAR0  32-bit memory, 4 KiB, trapped registers (TESTDEV_*)
 *   BAR1  64-bit prefetchable memory, 1 MiB of host memory mapped into the guest
 *         as a KVM memory slot (the way a passthrough BAR is): word i initially
 *         holds (4 * i) ^ TESTDEV_BAR1_PATTERN; accesses never exit
 *   BAR3  I/O, 32 ports: port 0 is a scratch byte, the others read their offset
 *   BAR4  64-bit memory, 16 KiB: MSI-X table (8 vectors) at 0, PBA at 0x2000
 *   capabilities: MSI-X, MSI (one vector, maskable), a vendor capability
 */
#ifndef IOVIRT_PCI_TESTDEV_H
#define IOVIRT_PCI_TESTDEV_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "pci-testdev-regs.h"

struct vm;
struct pci_root;
struct pci_device;

/* Create a pci-testdev and plug it into root (the next free slot). args unused. */
int pci_testdev_create(struct vm *vm, struct pci_root *root, const char *args,
		       struct pci_device **out) __must_check;

/* BAR1's host memory (what the guest writes there shows up here). 0 or -EINVAL. */
int pci_testdev_shm(struct pci_device *dev, void **mem, size_t *size);

/* The doorbell's eventfd (count of guest doorbell writes), or -1. */
int pci_testdev_doorbell_fd(struct pci_device *dev);

#endif
