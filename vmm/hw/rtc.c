#include "rtc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "memory-map.h"
#include "vm.h"

enum {
	RTC_SEC = 0, RTC_MIN = 2, RTC_HOUR = 4, RTC_WDAY = 6, RTC_MDAY = 7, RTC_MON = 8,
	RTC_YEAR = 9, RTC_REG_A = 0x0a, RTC_REG_B = 0x0b, RTC_REG_C = 0x0c, RTC_REG_D = 0x0d,
	RTC_CENTURY = 0x32,
};

#define RTC_B_SET   0x80
#define RTC_B_DM    0x04 /* binary, not BCD */
#define RTC_B_24H   0x02
#define RTC_D_VRT   0x80

static void cmos_set16(uint8_t *cmos, unsigned idx, uint64_t v)
{
	v = MIN(v, 0xffffu);
	cmos[idx] = v & 0xff;
	cmos[idx + 1] = v >> 8;
}

void rtc_init(struct rtc *rtc, uint64_t ram_size)
{
	uint64_t above_1m = ram_size > MiB ? MIN(ram_size, GPA_RAM_LOW_END) - MiB : 0;
	uint64_t above_16m = ram_size > 16 * MiB ? MIN(ram_size, GPA_RAM_LOW_END) - 16 * MiB : 0;
	uint64_t above_4g = ram_size > GPA_RAM_LOW_END ? ram_size - GPA_RAM_LOW_END : 0;

	memset(rtc, 0, sizeof(*rtc));
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->cmos[RTC_REG_A] = 0x26;
	rtc->cmos[RTC_REG_B] = RTC_B_24H;
	rtc->cmos[RTC_REG_D] = RTC_D_VRT;
	cmos_set16(rtc->cmos, 0x15, 640);              /* base memory, KiB */
	cmos_set16(rtc->cmos, 0x17, above_1m / 1024);  /* extended memory, KiB */
	cmos_set16(rtc->cmos, 0x30, above_1m / 1024);
	cmos_set16(rtc->cmos, 0x34, above_16m >> 16);  /* above 16 MiB, 64 KiB units */
	rtc->cmos[0x5b] = (above_4g >> 16) & 0xff;    /* above 4 GiB, 64 KiB units */
	rtc->cmos[0x5c] = (above_4g >> 24) & 0xff;
	rtc->cmos[0x5d] = (above_4g >> 32) & 0xff;
}

static uint8_t rtc_encode(const struct rtc *rtc, unsigned v)
{
	if (rtc->cmos[RTC_REG_B] & RTC_B_DM)
		return v;
	return ((v / 10) << 4) | (v % 10);
}

static unsigned rtc_decode(const struct rtc *rtc, uint8_t v)
{
	if (rtc->cmos[RTC_REG_B] & RTC_B_DM)
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t rtc_hour(const struct rtc *rtc, unsigned h)
{
	if (rtc->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_encode(rtc, h);
	return rtc_encode(rtc, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0);
}

static uint8_t rtc_time_reg(struct rtc *rtc, uint8_t index)
{
	time_t now = time(NULL) + rtc->offset;
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (index) {
	case RTC_SEC: return rtc_encode(rtc, tm.tm_sec);
	case RTC_MIN: return rtc_encode(rtc, tm.tm_min);
	case RTC_HOUR: return rtc_hour(rtc, tm.tm_hour);
	case RTC_WDAY: return rtc_encode(rtc, tm.tm_wday + 1);
	case RTC_MDAY: return rtc_encode(rtc, tm.tm_mday);
	case RTC_MON: return rtc_encode(rtc, tm.tm_mon + 1);
	case RTC_YEAR: return rtc_encode(rtc, tm.tm_year % 100);
	case RTC_CENTURY: return rtc_encode(rtc, 19 + tm.tm_year / 100);
	default: return rtc->cmos[index];
	}
}

uint8_t rtc_read(struct rtc *rtc, uint8_t index)
{
	uint8_t v;

	index &= 0x7f;
	pthread_mutex_lock(&rtc->lock);
	if (index <= RTC_YEAR || index == RTC_CENTURY) {
		v = (rtc->cmos[RTC_REG_B] & RTC_B_SET) && index != RTC_CENTURY ?
			rtc->cmos[index] : rtc_time_reg(rtc, index);
	} else {
		v = rtc->cmos[index];
		if (index == RTC_REG_C)
			rtc->cmos[RTC_REG_C] = 0; /* read clears the flags */
	}
	pthread_mutex_unlock(&rtc->lock);
	return v;
}

/* Leaving SET mode: the time registers the guest wrote become the new offset. */
static void rtc_commit_time(struct rtc *rtc)
{
	struct tm tm = {
		.tm_sec = rtc_decode(rtc, rtc->cmos[RTC_SEC]),
		.tm_min = rtc_decode(rtc, rtc->cmos[RTC_MIN]),
		.tm_hour = rtc_decode(rtc, rtc->cmos[RTC_HOUR] & 0x7f),
		.tm_mday = rtc_decode(rtc, rtc->cmos[RTC_MDAY]),
		.tm_mon = rtc_decode(rtc, rtc->cmos[RTC_MON]) - 1,
		.tm_year = rtc_decode(rtc, rtc->cmos[RTC_YEAR]) + 100,
	};
	time_t t = timegm(&tm);

	if (t != (time_t)-1)
		rtc->offset = t - time(NULL);
}

void rtc_write(struct rtc *rtc, uint8_t index, uint8_t val)
{
	index &= 0x7f;
	pthread_mutex_lock(&rtc->lock);
	if (index == RTC_REG_B) {
		bool was_set = rtc->cmos[RTC_REG_B] & RTC_B_SET;

		if (!was_set && (val & RTC_B_SET))
			for (unsigned i = 0; i <= RTC_YEAR; i++)
				rtc->cmos[i] = rtc_time_reg(rtc, i);
		rtc->cmos[RTC_REG_B] = val;
		if (was_set && !(val & RTC_B_SET))
			rtc_commit_time(rtc);
	} else if (index == RTC_REG_A) {
		rtc->cmos[index] = val & 0x7f; /* UIP is read-only */
	} else if (index != RTC_REG_C && index != RTC_REG_D) {
		rtc->cmos[index] = val;
	}
	pthread_mutex_unlock(&rtc->lock);
}

static void rtc_bus_read(void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
	struct rtc *rtc = opaque;

	memset(data, 0xff, len);
	if (offset == 1)
		data[0] = rtc_read(rtc, rtc->index);
	else if (offset == 0)
		data[0] = rtc->index;
}

static void rtc_bus_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
	struct rtc *rtc = opaque;

	if (offset == 0)
		rtc->index = data[0] & 0x7f; /* bit 7 masks NMIs: nothing to mask here */
	else
		rtc_write(rtc, rtc->index, data[0]);
}

static const struct bus_ops rtc_bus_ops = { .read = rtc_bus_read, .write = rtc_bus_write };

static void rtc_teardown(void *opaque)
{
	struct rtc *rtc = opaque;

	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}

int rtc_attach(struct vm *vm)
{
	struct rtc *rtc = malloc(sizeof(*rtc));
	int ret;

	if (!rtc)
		return -ENOMEM;
	rtc_init(rtc, vm->ram_size);
	ret = vm_add_teardown(vm, rtc_teardown, rtc);
	if (ret) {
		rtc_teardown(rtc);
		return ret;
	}
	return bus_register(&vm->pio, PORT_RTC_INDEX, 2, &rtc_bus_ops, rtc, "rtc-cmos");
}
