/*
 * ACPI tables for the guest: RSDP, RSDT, XSDT, FADT (hardware-reduced ACPI
 * with sleep control/status registers in I/O space, so no FACS), a DSDT in
 * AML (\_S5 for poweroff, the PCI host bridge PNP0A08 with its resources,
 * legacy INTx routing and an _OSC granting native PME, AER and PCIe
 * capability control, the ECAM range as a PNP0C02 motherboard resource),
 * MADT and MCFG.
 *
 * Everything is written inside [GPA_ACPI_TABLES, + GPA_ACPI_TABLES_SIZE), a
 * part of the BIOS area the e820 map reserves; the RSDP comes first, 16-byte
 * aligned, where Linux's scan of 0xe0000-0xfffff finds it.
 *
 * Poweroff: Linux writes (ACPI_SLP_TYP_S5 << 2) | ACPI_SLP_EN, i.e.
 * ACPI_SLEEP_CTL_S5, as one byte to sleep_ctl_port; the VMM's device at that
 * port ends the VM. Just before, it writes ACPI_WAK_STS to sleep_sts_port
 * (a write the device may ignore).
 *
 * Linux accepts the ECAM window of MCFG once it is reserved either in e820
 * (checked early, only when port CF8/CFC config access works) or by the
 * PNP0C02 device here (checked when ACPI is up).
 */
#ifndef IOVIRT_ACPI_H
#define IOVIRT_ACPI_H

#include <stdint.h>

#include "compiler.h"
#include "guest-mem.h"
#include "memory-map.h"

#define ACPI_MAX_CPUS     255   /* xAPIC ids 0-254 (0xff is broadcast) */
#define ACPI_SLP_EN       0x20  /* sleep control register: sleep enable */
#define ACPI_SLP_TYP_SHIFT 2
#define ACPI_SLP_TYP_MASK 0x1c
#define ACPI_WAK_STS      0x80  /* sleep status register: wake status */
#define ACPI_SLEEP_CTL_S5 ((ACPI_SLP_TYP_S5 << ACPI_SLP_TYP_SHIFT) | ACPI_SLP_EN) /* 0x34 */

/* One legacy PCI interrupt route on bus 0: device `slot`, pin INTA..INTD (0..3) -> IOAPIC input gsi. */
struct acpi_pci_irq {
	uint8_t slot;   /* 0-31 */
	uint8_t pin;    /* 0 = INTA ... 3 = INTD */
	uint32_t gsi;
};

struct acpi_cfg {
	unsigned int ncpus;          /* 1..ACPI_MAX_CPUS; APIC ids 0..ncpus-1 */
	uint64_t ioapic_addr;        /* GPA_IOAPIC */
	uint8_t ioapic_id;           /* the in-kernel IOAPIC's id (KVM: 0) */
	uint32_t ioapic_gsi_base;    /* 0 */
	uint16_t sci_irq;            /* ISA IRQ of the SCI (ACPI_SCI_IRQ); described level, active high */
	uint64_t ecam_base;          /* GPA_PCI_ECAM; 0 = no PCI (no MCFG, no host bridge) */
	uint8_t pci_bus_start;       /* 0 */
	uint8_t pci_bus_end;         /* the last bus that exists (0); MCFG, _CRS and the
	                              * ECAM reservation cover start..end only */
	uint64_t pci_mmio32_base;    /* 32-bit BAR window, e.g. GPA_PCI_MMIO32_START */
	uint64_t pci_mmio32_size;
	uint64_t pci_mmio64_base;    /* 64-bit BAR window; size 0 = none */
	uint64_t pci_mmio64_size;
	uint16_t sleep_ctl_port;     /* PORT_ACPI_SLEEP_CTL */
	uint16_t sleep_sts_port;     /* PORT_ACPI_SLEEP_STS */
	uint16_t reset_port;         /* FADT reset register (write reset_value), 0 = none */
	uint8_t reset_value;
	const struct acpi_pci_irq *pci_irqs; /* legacy INTx routes for _PRT, or NULL */
	unsigned int n_pci_irqs;
};

/*
 * cfg for this project's memory map: ncpus CPUs, IOAPIC id 0 at GPA_IOAPIC,
 * SCI on ACPI_SCI_IRQ, ECAM at GPA_PCI_ECAM with buses 0-255, the 32-bit
 * window of memory-map.h and a 64-bit window of GPA_PCI_MMIO64_SIZE after
 * high RAM, the sleep registers at PORT_ACPI_SLEEP_CTL/STS, no reset
 * register (reboot goes through the i8042 or 0xcf9) and no PCI routes.
 */
void acpi_cfg_init_default(struct acpi_cfg *cfg, unsigned int ncpus, uint64_t ram_size);

/*
 * Write all tables into guest RAM, the RSDP at GPA_ACPI_RSDP (the value for
 * boot_params.acpi_rsdp_addr). Returns 0, or -EINVAL for a
 * bad cfg (ncpus 0 or too many, a PCI route out of range, a bus range or
 * ECAM base that does not fit), -ENOSPC if the tables outgrow the area, or
 * -EFAULT when the area is not in guest RAM.
 */
int acpi_build(struct guest_mem *mem, const struct acpi_cfg *cfg) __must_check;

#endif
