/*
 * The register interface of pci-testdev (see pci-testdev.h): shared by the
 * device model and the guest code that drives it, so it holds constants only.
 */
#ifndef IOVIRT_PCI_TESTDEV_REGS_H
#define IOVIRT_PCI_TESTDEV_REGS_H

#define PCI_TESTDEV_VENDOR 0xfffd
#define PCI_TESTDEV_DEVICE 0x0001
#define PCI_TESTDEV_CLASS  0xff0000 /* unclassified */
#define PCI_TESTDEV_NVEC   8

#define TESTDEV_MAGIC      0x00 /* RO: TESTDEV_MAGIC_VALUE */
#define TESTDEV_SCRATCH    0x04 /* RW */
#define TESTDEV_FIRE_MSIX  0x08 /* W: signal this MSI-X vector */
#define TESTDEV_INTX       0x0c /* W: INTx level */
#define TESTDEV_FIRE_MSI   0x10 /* W: signal the MSI vector */
#define TESTDEV_WRITES     0x14 /* RO: trapped BAR0 writes so far */
#define TESTDEV_DOORBELL   0x20 /* W: an ioeventfd; never exits to userspace */
#define TESTDEV_MAGIC_VALUE 0x7e57de71u
#define TESTDEV_BAR1_PATTERN 0xa5a5a5a5u

#endif
