/* Guest image for measuring start-up: its first statement is a ucall. */
#include "guest.h"

int guest_main(unsigned cpu, unsigned ncpus)
{
	ucall(UCALL_SYNC, 0, 0, 0);
	return 0;
}
