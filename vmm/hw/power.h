/*
 * Poweroff and reset: the hardware-reduced ACPI sleep control/status
 * registers (PORT_ACPI_SLEEP_CTL/STS: SLP_TYP = ACPI_SLP_TYP_S5 with SLP_EN
 * stops the VM with VM_STOP_POWEROFF), the i8042 "pulse reset" command (0xfe
 * to port 0x64): VM_STOP_RESET. (The reset control register at 0xcf9 sits
 * inside the PCI configuration ports; pci.c handles it the same way.) The i8042 is otherwise absent: its ports read 0xff, which
 * Linux takes as "no controller".
 */
#ifndef IOVIRT_POWER_H
#define IOVIRT_POWER_H

#include "acpi.h" /* the sleep register bits the FADT describes */
#include "compiler.h"

struct vm;

#define I8042_CMD_RESET   0xfe

/* Register the power and reset ports on vm. 0 or -errno. */
int power_attach(struct vm *vm) __must_check;

#endif
