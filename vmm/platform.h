/*
 * The standard PC platform every iovirt VM gets: COM1 (8250 UART on IRQ 4),
 * RTC/CMOS, the ACPI sleep registers and i8042 reset, and the PCI host
 * bridge (CF8/CFC with the 0xcf9 reset register, ECAM at GPA_PCI_ECAM).
 */
#ifndef IOVIRT_PLATFORM_H
#define IOVIRT_PLATFORM_H

#include "compiler.h"

struct vm;
struct uart_8250;
struct pci_root;
struct linux_boot_cfg;

struct platform {
	struct uart_8250 *com1;
	struct pci_root *pci;
};

/*
 * Attach the platform devices to vm; COM1 writes to console_fd (not owned,
 * -1 discards). vm->console_fd is set to console_fd too (UCALL_PRINT).
 * 0 or -errno.
 */
int platform_attach(struct vm *vm, int console_fd, struct platform *out) __must_check;

/*
 * Boot Linux on vm: ACPI tables (MADT for every vCPU, MCFG, FADT with the
 * sleep registers, DSDT with the PCI host bridge and its INTx routes) and an
 * MP table, then the kernel, initrd and command line (cfg->ram_size and
 * cfg->acpi_rsdp_addr are filled in here), then vCPU 0 in long mode at the
 * kernel's 64-bit entry with rsi = boot_params. The other vCPUs wait for the
 * kernel's INIT/SIPI. 0 or -errno (see linux_boot_load()).
 */
int platform_boot_linux(struct vm *vm, struct linux_boot_cfg *cfg) __must_check;

#endif
