/*
 * How a guest ends, and what a hostile one cannot do. One guest image; the
 * host picks the scenario by answering the first SYNC:
 *   poweroff   ACPI S5 through the sleep control register -> VM_STOP_POWEROFF
 *   reset      i8042 command 0xfe -> VM_STOP_RESET
 *   triple     empty IDT then #UD -> VM_STOP_TRIPLE_FAULT with a message
 *   exception  #UD with the runtime's IDT -> UCALL_ASSERT naming vector 6
 *   hostile    unmapped ports and MMIO, reads past RAM, a ucall pointer outside
 *              RAM, a non-S5 sleep request: the VM keeps running and finishes
 *   user       the work loop at ring 3 with IOPL 3: port I/O, ucalls, timing
 * It also reports the time from the start of the test to guest_main's first
 * ucall.
 */
#ifdef IOVIRT_GUEST
#include "guest.h"
#include "memory-map.h"

enum { M_POWEROFF = 1, M_RESET, M_TRIPLE, M_EXCEPTION, M_HOSTILE, M_USER };

static void hostile(void)
{
	GUEST_ASSERT_EQ(inb(0x1234), 0xff);
	GUEST_ASSERT_EQ(inl(0x4320), 0xffffffff);
	outb(0x4321, 0x55);
	outw(0x600, (3 << 2) | (1 << 5)); /* S3: not supported, ignored */
	GUEST_ASSERT_EQ(mmio_read32(0xd0000000), 0xffffffff);
	mmio_write32(0xd0000000, 0x12345678);
	GUEST_ASSERT_EQ(mmio_read64(0x3f000000), 0xffffffffffffffffULL); /* past 64 MiB of RAM */
	mmio_write8(0xfed00000, 1);
	outl(UCALL_PORT, 0xfffff000); /* a ucall pointer outside RAM */
	outl(UCALL_PORT, 64 << 20);   /* one just past the end of RAM */
}

static uint64_t spin(uint64_t n)
{
	volatile uint64_t x = 0;

	for (uint64_t i = 0; i < n; i++)
		x += i;
	return x;
}

static uint64_t user_work(uint64_t n)
{
	uint16_t cs;
	uint64_t t0, t1;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	GUEST_ASSERT_EQ(cs & 3, 3);
	GUEST_ASSERT(inb(PORT_COM1 + 5) & 0x20); /* IOPL 3: port I/O without a fault */
	guest_printf("ring %u on cpu %u\n", cs & 3, guest_cpu());
	t0 = rdtsc();
	spin(n);
	t1 = rdtsc();
	return t1 - t0;
}

int guest_main(unsigned cpu, unsigned ncpus)
{
	static const struct { uint16_t limit; uint64_t base; } __attribute__((packed)) noidt;
	uint64_t mode = guest_sync(100, 0);
	uint64_t t0, ring0, ring3;

	switch (mode) {
	case M_POWEROFF:
		outw(0x600, (5 << 2) | (1 << 5));
		break;
	case M_RESET:
		outb(0x64, 0xfe);
		break;
	case M_TRIPLE:
		__asm__ volatile("lidt %0; ud2" :: "m"(noidt));
		break;
	case M_EXCEPTION:
		__asm__ volatile("ud2");
		break;
	case M_HOSTILE:
		hostile();
		return 0;
	case M_USER:
		ring3 = guest_run_user(user_work, 1000000, 0);
		t0 = rdtsc();
		spin(10000);
		ring0 = rdtsc() - t0;
		guest_sync(101, ring3);
		guest_sync(102, ring0);
		return 0;
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}
#else
#include <string.h>
#include <time.h>

#include "vmm-test.h"

enum { M_POWEROFF = 1, M_RESET, M_TRIPLE, M_EXCEPTION, M_HOSTILE, M_USER };

struct outcome {
	int reason;
	unsigned bad_ucalls;
	char assert_msg[UCALL_BUF_SIZE];
	uint64_t ring3_cycles, ring0_cycles;
	double first_ucall_ms;
};

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void handle_sync(struct vcpu *vcpu, const struct ucall *uc, uint64_t mode,
			struct outcome *o)
{
	if (uc->args[0] == 100)
		TEST_ASSERT(!ucall_reply(vcpu, mode), "reply");
	else if (uc->args[0] == 101)
		o->ring3_cycles = uc->args[1];
	else if (uc->args[0] == 102)
		o->ring0_cycles = uc->args[1];
}

static void run_mode(const char *image, uint64_t mode, struct outcome *o)
{
	struct platform plat;
	struct timespec t0;
	struct ucall uc;
	struct vm vm;
	bool first = true;

	memset(o, 0, sizeof(*o));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	test_vm_create(&vm, &plat, image, 1, 64 << 20, 1);
	while (vcpu_run(vm.vcpus[0]) == VCPU_EXIT_UCALL) {
		if (first)
			o->first_ucall_ms = ms_since(&t0);
		first = false;
		switch (get_ucall(vm.vcpus[0], &uc)) {
		case UCALL_SYNC:
			handle_sync(vm.vcpus[0], &uc, mode, o);
			break;
		case UCALL_PRINT:
			fputs(uc.buf, stdout);
			break;
		case UCALL_ASSERT:
			snprintf(o->assert_msg, sizeof(o->assert_msg), "%s", uc.buf);
			vm_stop(&vm, VM_STOP_GUEST_ASSERT, "%s", uc.buf);
			break;
		case UCALL_DONE:
			vm_stop(&vm, VM_STOP_GUEST_DONE, "done %lu", (unsigned long)uc.args[0]);
			break;
		default:
			o->bad_ucalls++;
		}
	}
	o->reason = vm.stop_reason;
	printf("mode %lu: %s: %s (first ucall after %.2f ms; unclaimed pio %lu mmio %lu)\n",
	       (unsigned long)mode, vm_stop_reason_name(vm.stop_reason), vm.stop_msg,
	       o->first_ucall_ms, (unsigned long)vm.pio.unhandled,
	       (unsigned long)vm.mmio.unhandled);
	if (mode == M_HOSTILE)
		TEST_ASSERT(vm.pio.unhandled >= 3 && vm.mmio.unhandled >= 4,
			    "unclaimed accesses not counted");
	vm_destroy(&vm);
}

int main(int argc, char **argv)
{
	const char *image = test_image(argc, argv);
	struct outcome o;

	test_require_kvm();
	run_mode(image, M_POWEROFF, &o);
	TEST_ASSERT(o.reason == VM_STOP_POWEROFF, "poweroff: %d", o.reason);
	run_mode(image, M_RESET, &o);
	TEST_ASSERT(o.reason == VM_STOP_RESET, "reset: %d", o.reason);
	run_mode(image, M_TRIPLE, &o);
	TEST_ASSERT(o.reason == VM_STOP_TRIPLE_FAULT, "triple fault: %d", o.reason);
	run_mode(image, M_EXCEPTION, &o);
	TEST_ASSERT(o.reason == VM_STOP_GUEST_ASSERT && strstr(o.assert_msg, "vector 6"),
		    "exception: %d '%s'", o.reason, o.assert_msg);
	run_mode(image, M_HOSTILE, &o);
	TEST_ASSERT(o.reason == VM_STOP_GUEST_DONE && o.bad_ucalls == 2,
		    "hostile: %d, bad ucalls %u", o.reason, o.bad_ucalls);
	run_mode(image, M_USER, &o);
	TEST_ASSERT(o.reason == VM_STOP_GUEST_DONE && o.ring3_cycles && o.ring0_cycles,
		    "user: %d", o.reason);
	printf("spin loop: ring 3 %.2f cycles/iteration, ring 0 %.2f cycles/iteration\n",
	       o.ring3_cycles / 1e6, o.ring0_cycles / 1e4);
	printf("ok: lifecycle\n");
	return 0;
}
#endif
