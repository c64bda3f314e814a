/*
 * MC146818 RTC/CMOS at ports 0x70/0x71 as Linux reads it: the host's wall
 * clock (UTC) in BCD or binary and 12/24-hour format per status register B,
 * UIP never set, the valid-RAM bit, and 114 bytes of CMOS memory holding the
 * PC memory-size fields. Guest writes to the time registers are kept as an
 * offset from the host clock.
 */
#ifndef IOVIRT_RTC_H
#define IOVIRT_RTC_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "compiler.h"

struct vm;

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[128];
	time_t offset; /* guest time - host time, seconds */
};

void rtc_init(struct rtc *rtc, uint64_t ram_size);
uint8_t rtc_read(struct rtc *rtc, uint8_t index);
void rtc_write(struct rtc *rtc, uint8_t index, uint8_t val);

/* Create the RTC on vm (ports 0x70-0x71); freed at vm_destroy(). 0 or -errno. */
int rtc_attach(struct vm *vm) __must_check;

#endif
