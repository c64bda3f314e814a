#include "platform.h"

#include "memory-map.h"
#include "pci.h"
#include "power.h"
#include "rtc.h"
#include "uart-8250.h"
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
