#include "platform.h"

#include "acpi.h"
#include "boot-linux.h"
#include "memory-map.h"
#include "mptable.h"
#include "pci.h"
#include "power.h"
#include "rtc.h"
#include "uart-8250.h"
#include "vcpu.h"
#include "vm.h"

int platform_attach(struct vm *vm, int console_fd, struct platform *out)
{
	int ret;

	vm->console_fd = console_fd;
	ret = uart_8250_attach(vm, PORT_COM1, IRQ_COM1, console_fd, &out->com1);
	if (!ret)
		ret = rtc_attach(vm);
	if (!ret)
		ret = power_attach(vm);
	if (!ret)
		ret = pci_root_create(vm, &out->pci);
	return ret;
}

/* Legacy INTx routes for every slot and pin, as PCI_INTX_GSI() wires them. */
static void platform_pci_irqs(struct acpi_pci_irq *irqs)
{
	for (unsigned slot = 0; slot < PCI_MAX_SLOTS; slot++)
		for (unsigned pin = 0; pin < 4; pin++)
			irqs[slot * 4 + pin] = (struct acpi_pci_irq){
				.slot = slot, .pin = pin, .gsi = PCI_INTX_GSI(slot, pin + 1) };
}

int platform_boot_linux(struct vm *vm, struct linux_boot_cfg *cfg)
{
	struct acpi_pci_irq irqs[PCI_MAX_SLOTS * 4];
	struct linux_boot_entry entry;
	struct acpi_cfg acpi;
	int ret;

	platform_pci_irqs(irqs);
	acpi_cfg_init_default(&acpi, vm->ncpus, vm->ram_size);
	acpi.pci_irqs = irqs;
	acpi.n_pci_irqs = PCI_MAX_SLOTS * 4;
	acpi.reset_port = PORT_RESET_CF9;
	acpi.reset_value = 0x06;
	ret = acpi_build(&vm->mem, &acpi);
	if (!ret)
		ret = mptable_build(&vm->mem, vm->ncpus, 0, irqs, PCI_MAX_SLOTS * 4);
	if (ret)
		return ret;
	cfg->ram_size = vm->ram_size;
	cfg->acpi_rsdp_addr = GPA_ACPI_RSDP;
	ret = linux_boot_load(&vm->mem, cfg, &entry);
	if (ret)
		return ret;
	return vcpu_set_long_mode(vm->vcpus[0], entry.rip, GPA_BOOT_STACK_TOP, entry.rsi, 0);
}
