/* Guest image for test-run-cli.sh: never finishes (for --timeout). */
#include "guest.h"

int guest_main(unsigned cpu, unsigned ncpus)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}
