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

#endif
