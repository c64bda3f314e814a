/*
 * The smallest guest image: every CPU says hello through a ucall, CPU 0 also
 * on the serial console, then the image finishes with status 0.
 * `iovirt run --guest hello.elf --cpus 2`
 */
#include "guest.h"

int guest_main(unsigned cpu, unsigned ncpus)
{
	guest_printf("hello from cpu %u of %u (ucall)\n", cpu, ncpus);
	if (cpu == 0)
		serial_printf("hello from cpu 0 (serial)\n");
	return 0;
}
