/* The COM1 + isa-debug-exit host link, the report line, and a TSC time base. */
#include "guest.h"
#include "memory-map.h"

volatile uint32_t guest_link_foreign __attribute__((section(".data")));

static void com1_puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			serial_putc('\r');
		serial_putc(*s);
	}
}

static void com1_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void com1_line(const char *fmt, ...)
{
	char buf[UCALL_BUF_SIZE + 64];
	va_list ap;

	va_start(ap, fmt);
	guest_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	com1_puts(GUEST_REPORT_PREFIX);
	com1_puts(buf);
	com1_puts("\n");
}

static void __attribute__((noreturn)) com1_exit(int status)
{
	for (;;) {
		outb(GUEST_DEBUG_EXIT_PORT, (uint8_t)status);
		__asm__ volatile("cli; hlt");
	}
}

uint64_t guest_link_com1_ucall(uint64_t cmd, uint64_t a0, uint64_t a1, const char *buf)
{
	static int booted;

	if (!booted) {
		booted = 1;
		com1_line("boot link=com1");
	}
	switch (cmd) {
	case UCALL_PRINT:
		com1_puts(buf ? buf : "");
		break;
	case UCALL_SYNC:
		com1_line("sync stage=%lu value=%lu", (unsigned long)a0, (unsigned long)a1);
		break;
	case UCALL_ASSERT:
		com1_line("assert line=%lu msg=%s", (unsigned long)a0, buf ? buf : "");
		com1_line("done status=1");
		com1_exit(1);
	case UCALL_DONE:
		com1_line("done status=%d", (int)(int64_t)a0);
		com1_exit((int)(int64_t)a0);
	default:
		com1_line("ucall cmd=%lu a0=%lu a1=%lu", (unsigned long)cmd, (unsigned long)a0,
			  (unsigned long)a1);
		break;
	}
	return 0;
}

void guest_report(const char *fmt, ...)
{
	char buf[UCALL_BUF_SIZE];
	size_t n = sizeof(GUEST_REPORT_PREFIX) - 1;
	va_list ap;

	memcpy(buf, GUEST_REPORT_PREFIX, n);
	va_start(ap, fmt);
	guest_vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	n = strlen(buf);
	buf[n] = '\n';
	buf[n + 1] = 0;
	guest_printf("%s", buf);
}

#define PIT_HZ      1193182u
#define PIT_CH2     0x42
#define PIT_CMD     0x43
#define PORT_SYS_B  0x61

/* 10 ms of PIT channel 2 (mode 0, gate through port 0x61) against the TSC. */
static uint64_t tsc_calibrate_once(void)
{
	uint16_t count = PIT_HZ / 100;
	uint64_t t0, t1, spins = 0;

	outb(PORT_SYS_B, (inb(PORT_SYS_B) & ~0x02) | 0x01);
	outb(PIT_CMD, 0xb0);			/* channel 2, lobyte/hibyte, mode 0 */
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	t0 = rdtsc();
	while (!(inb(PORT_SYS_B) & 0x20))
		if (++spins > 100000000ULL)
			return 1000000; /* no PIT: assume 1 GHz */
	t1 = rdtsc();
	return (t1 - t0) / 10 ? (t1 - t0) / 10 : 1;
}

/* The median of 5 runs: a run the host delayed (preempted vCPU) is an outlier. */
static uint64_t tsc_calibrate(void)
{
	uint64_t v[5];

	for (unsigned i = 0; i < 5; i++) {
		v[i] = tsc_calibrate_once();
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	}
	return v[2];
}

uint64_t guest_tsc_per_ms(void)
{
	static uint64_t per_ms;

	if (!per_ms && !guest_link_foreign)
		per_ms = guest_sync(GUEST_SYNC_TSC_KHZ, 0);
	if (!per_ms)
		per_ms = tsc_calibrate();
	return per_ms;
}
