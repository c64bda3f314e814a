/*
 * The Intel MultiProcessor Specification 1.4 table, for guests booted with
 * acpi=off (Linux then finds CPUs and the IOAPIC here): the floating pointer
 * and the configuration table go in [GPA_MPTABLE, + GPA_MPTABLE_SIZE), inside
 * the 0xf0000-0xfffff range Linux scans.
 *
 * Content: one processor entry per CPU (APIC id = index, CPU 0 the BSP), an
 * ISA bus (id 0) and, when PCI routes are given, a PCI bus (id 1), one IOAPIC,
 * ISA IRQs 0-15 (IRQ0 to INTIN2, the rest identity, IRQ2 omitted), the PCI
 * routes (level, active low), and LINT0 ExtINT (the 8259) / LINT1 NMI.
 */
#ifndef IOVIRT_MPTABLE_H
#define IOVIRT_MPTABLE_H

#include <stdint.h>

#include "acpi.h"
#include "compiler.h"
#include "guest-mem.h"
#include "memory-map.h"

#define MPTABLE_MAX_CPUS 255

/*
 * Write the MP floating pointer and configuration table for ncpus CPUs (APIC
 * ids 0..ncpus-1), the IOAPIC ioapic_id at GPA_IOAPIC and the given bus-0
 * INTx routes (pci_irqs may be NULL with n_pci_irqs 0). Returns 0, -EINVAL
 * (ncpus 0 or too many, a bad PCI route), -ENOSPC (the table outgrows the
 * area) or -EFAULT (the area is not in guest RAM).
 */
int mptable_build(struct guest_mem *mem, unsigned int ncpus, uint8_t ioapic_id,
		  const struct acpi_pci_irq *pci_irqs, unsigned int n_pci_irqs) __must_check;

#endif
