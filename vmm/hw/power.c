#include "power.h"

#include <string.h>

#include "bus.h"
#include "memory-map.h"
#include "vm.h"

static void sleep_read(void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
	memset(data, 0, len); /* never asleep: WAK_STS clear, no sleep in progress */
}

static void sleep_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
	struct vm *vm = opaque;
	uint8_t v = data[0];

	if (offset != PORT_ACPI_SLEEP_CTL - PORT_ACPI_SLEEP_CTL || !(v & ACPI_SLP_EN))
		return;
	if (((v & ACPI_SLP_TYP_MASK) >> ACPI_SLP_TYP_SHIFT) == ACPI_SLP_TYP_S5)
		vm_stop(vm, VM_STOP_POWEROFF, "guest powered off (ACPI S5)");
}

static const struct bus_ops sleep_ops = { .read = sleep_read, .write = sleep_write };

static void i8042_read(void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
	memset(data, 0xff, len);
}

static void i8042_data_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
}

static void i8042_cmd_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
	if (data[0] == I8042_CMD_RESET)
		vm_stop(opaque, VM_STOP_RESET, "guest requested a reset (i8042 command 0xfe)");
}

static const struct bus_ops i8042_ops = { .read = i8042_read, .write = i8042_data_write };
static const struct bus_ops i8042_cmd_ops = { .read = i8042_read, .write = i8042_cmd_write };

int power_attach(struct vm *vm)
{
	int ret;

	ret = bus_register(&vm->pio, PORT_ACPI_SLEEP_CTL, 2, &sleep_ops, vm, "acpi-sleep");
	/* Only 0x60 and 0x64: 0x61 (PIT gate, speaker) belongs to the in-kernel PIT. */
	if (!ret)
		ret = bus_register(&vm->pio, PORT_I8042_DATA, 1, &i8042_ops, vm, "i8042-data");
	if (!ret)
		ret = bus_register(&vm->pio, PORT_I8042_CMD, 1, &i8042_cmd_ops, vm, "i8042-cmd");
	return ret;
}
