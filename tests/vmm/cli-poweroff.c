/* Guest image for test-run-cli.sh: prints on the serial port, then ACPI S5 poweroff. */
#include "guest.h"
#include "memory-map.h"

int guest_main(unsigned cpu, unsigned ncpus)
{
	if (cpu != 0)
		return 0;
	serial_printf("powering off from cpu %u of %u\n", cpu, ncpus);
	outb(PORT_ACPI_SLEEP_CTL, (ACPI_SLP_TYP_S5 << 2) | 0x20);
	for (;;)
		__asm__ volatile("cli; hlt");
}
