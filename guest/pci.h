/*
 * PCI from inside a guest: configuration space through CF8/CFC (mechanism #1)
 * and through ECAM, enumeration, BAR sizing, capability lists, MSI-X set-up.
 */
#ifndef GUEST_PCI_H
#define GUEST_PCI_H

#include <stdint.h>

#include "host-link.h"

#define PCI_BDF(b, d, f) ((uint16_t)(((b) << 8) | ((d) << 3) | (f)))
#define PCI_NONE 0xffff

#define PCI_VENDOR_ID     0x00
#define PCI_DEVICE_ID     0x02
#define PCI_COMMAND       0x04
#define PCI_STATUS        0x06
#define PCI_CLASS_REV     0x08
#define PCI_HEADER_TYPE   0x0e
#define PCI_BAR0          0x10
#define PCI_CAP_PTR       0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_CMD_IO        0x1
#define PCI_CMD_MEM       0x2
#define PCI_CMD_MASTER    0x4
#define PCI_CMD_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_ID_MSI    0x05
#define PCI_CAP_ID_MSIX   0x11

/* Mechanism #1 (ports CF8/CFC): any size at any offset 0..255. */
uint32_t pci_cf8_read(uint16_t bdf, unsigned off, unsigned size);
void pci_cf8_write(uint16_t bdf, unsigned off, unsigned size, uint32_t val);

/* ECAM (MMIO at GPA_PCI_ECAM): offsets 0..4095. */
uint32_t pci_ecam_read(uint16_t bdf, unsigned off, unsigned size);
void pci_ecam_write(uint16_t bdf, unsigned off, unsigned size, uint32_t val);

/*
 * The runtime's default accessors: ECAM under iovirt, CF8/CFC (offsets
 * 0..255) on the foreign host link (host-link.h), where no ECAM is assumed.
 */
static inline uint32_t pci_cfg_read(uint16_t bdf, unsigned off, unsigned size)
{
	return guest_link_foreign ? pci_cf8_read(bdf, off, size) : pci_ecam_read(bdf, off, size);
}
static inline void pci_cfg_write(uint16_t bdf, unsigned off, unsigned size, uint32_t v)
{
	if (guest_link_foreign)
		pci_cf8_write(bdf, off, size, v);
	else
		pci_ecam_write(bdf, off, size, v);
}
static inline uint32_t pci_read32(uint16_t bdf, unsigned off) { return pci_cfg_read(bdf, off, 4); }
static inline uint16_t pci_read16(uint16_t bdf, unsigned off) { return pci_cfg_read(bdf, off, 2); }
static inline uint8_t pci_read8(uint16_t bdf, unsigned off) { return pci_cfg_read(bdf, off, 1); }
static inline void pci_write32(uint16_t bdf, unsigned off, uint32_t v) { pci_cfg_write(bdf, off, 4, v); }
static inline void pci_write16(uint16_t bdf, unsigned off, uint16_t v) { pci_cfg_write(bdf, off, 2, v); }
static inline void pci_write8(uint16_t bdf, unsigned off, uint8_t v) { pci_cfg_write(bdf, off, 1, v); }

/* Scan bus 0; the first function with vendor:device, or PCI_NONE. */
uint16_t pci_find_device(uint16_t vendor, uint16_t device);

/*
 * Size BAR n the standard way (all ones, read back, restore). Returns the
 * size in bytes (0 for an unimplemented BAR); *flags gets the low type bits
 * (bit 0 I/O, bits 2:1 = 2 for 64-bit, bit 3 prefetchable).
 */
uint64_t pci_bar_size(uint16_t bdf, unsigned n, uint32_t *flags);

/* Current address of BAR n (64-bit BARs combine n and n+1). */
uint64_t pci_bar_addr(uint16_t bdf, unsigned n);

/* Program BAR n (and n+1 for a 64-bit memory BAR). */
void pci_bar_set(uint16_t bdf, unsigned n, uint64_t addr);

/* Offset of the first capability with id, or 0. */
unsigned pci_find_cap(uint16_t bdf, unsigned id);

struct msix {
	uint16_t bdf;
	unsigned cap;      /* offset of the MSI-X capability */
	unsigned nvec;
	uint64_t table;    /* guest-physical address of the vector table */
	uint64_t pba;
};

/* Locate the MSI-X table and PBA (their BARs must be programmed). 0 or -1. */
int msix_init(struct msix *m, uint16_t bdf);
/* Point vector i at local APIC dest with the given IDT vector, masked or not. */
void msix_vector_set(const struct msix *m, unsigned i, unsigned dest_apic, unsigned vector,
		     int masked);
void msix_vector_mask(const struct msix *m, unsigned i, int masked);
int msix_pending(const struct msix *m, unsigned i);
void msix_enable(const struct msix *m, int enable);
void msix_function_mask(const struct msix *m, int masked);

#endif
