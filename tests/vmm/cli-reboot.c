/*
 * Guest image for test-run-cli.sh: counts its boots in a CMOS byte (CMOS
 * survives a reset, RAM does not), prints the count, and reboots through the
 * i8042 until it has booted three times; then it finishes with status 0.
 */
#include "guest.h"
#include "memory-map.h"

#define CMOS_BOOTS 0x40 /* a byte of general-purpose CMOS RAM */

int guest_main(unsigned cpu, unsigned ncpus)
{
	uint8_t boots;

	if (cpu != 0)
		return 0;
	outb(PORT_RTC_INDEX, CMOS_BOOTS);
	boots = inb(PORT_RTC_INDEX + 1);
	serial_printf("boot %u\n", boots);
	if (boots >= 2)
		return 0;
	outb(PORT_RTC_INDEX, CMOS_BOOTS);
	outb(PORT_RTC_INDEX + 1, boots + 1);
	outb(PORT_I8042_CMD, 0xfe);
	for (;;)
		__asm__ volatile("cli; hlt");
}
