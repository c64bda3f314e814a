/* Guest image for test-run-cli.sh: a triple fault (no IDT, then #UD). */
#include "guest.h"

int guest_main(unsigned cpu, unsigned ncpus)
{
	static const struct { uint16_t limit; uint64_t base; } __attribute__((packed)) noidt;

	if (cpu == 0)
		__asm__ volatile("lidt %0; ud2" :: "m"(noidt));
	return 0;
}
