/*
 * Serial console and ucalls: the guest prints through COM1 (polled, probing
 * the UART like Linux does) and through UCALL_PRINT, syncs, and finishes; the
 * host checks the console file and the ucall sequence.
 */
#ifdef IOVIRT_GUEST
#include "guest.h"
#include "memory-map.h"

#define VEC_COM1 0x44

static volatile unsigned com1_irqs;

/* Like Linux's 8250 interrupt handler: read IIR, feed THR while it is empty. */
static void on_com1(struct guest_frame *f)
{
	uint8_t iir = inb(0x3f8 + 2);

	com1_irqs++;
	if ((iir & 0x0f) == 0x02 && com1_irqs < 3)
		outb(0x3f8, 'A' + com1_irqs - 1);
	if (com1_irqs >= 3)
		outb(0x3f8 + 1, 0);               /* done: IER off */
}

static void ioapic_route(unsigned pin, unsigned vector)
{
	mmio_write32(GPA_IOAPIC, 0x11 + 2 * pin);
	mmio_write32(GPA_IOAPIC + 0x10, 0);
	mmio_write32(GPA_IOAPIC, 0x10 + 2 * pin);
	mmio_write32(GPA_IOAPIC + 0x10, vector); /* edge, active high, unmasked */
}

/* Interrupt-driven transmission: THRE interrupts on ISA IRQ 4 through the IOAPIC. */
static void check_thre_irq(void)
{
	guest_irq_set_handler(VEC_COM1, on_com1);
	ioapic_route(IRQ_COM1, VEC_COM1);
	outb(0x3f8 + 1, 0x02);                       /* IER = THRI: fires at once */
	for (unsigned spins = 0; com1_irqs < 3; spins++) {
		GUEST_ASSERT(spins < 100000);
		safe_halt();
		irq_disable();
	}
	outb(0x3f8, '\n');
}

int guest_main(unsigned cpu, unsigned ncpus)
{
	/* Linux's probe: scratch register, then loopback. */
	outb(0x3f8 + 7, 0xa5);
	GUEST_ASSERT_EQ(inb(0x3f8 + 7), 0xa5);
	outb(0x3f8 + 4, 0x1a); /* LOOP | RTS | OUT2 */
	GUEST_ASSERT_EQ(inb(0x3f8 + 6) & 0xf0, 0x90);
	outb(0x3f8 + 0, 'x');
	GUEST_ASSERT(inb(0x3f8 + 5) & 1);
	GUEST_ASSERT_EQ(inb(0x3f8 + 0), 'x');
	outb(0x3f8 + 4, 0x0b);
	serial_printf("hello from the serial port, cpu %u of %u\n", cpu, ncpus);
	check_thre_irq();
	guest_sync(1, 42);
	guest_printf("hello through ucall %d\n", -7);
	return 0;
}
#else
#include <string.h>
#include <unistd.h>

#include "vmm-test.h"

int main(int argc, char **argv)
{
	const char *image = test_image(argc, argv);
	char path[] = "/tmp/iovirt-serial-XXXXXX", buf[256] = { 0 };
	struct platform plat;
	struct ucall uc;
	struct vm vm;
	int fd;

	test_require_kvm();
	fd = mkstemp(path);
	TEST_ASSERT(fd >= 0, "mkstemp");
	unlink(path);
	test_vm_create(&vm, &plat, image, 1, 64 << 20, fd);

	TEST_ASSERT(test_vcpu_ucall(vm.vcpus[0], &uc) == UCALL_SYNC, "cmd %lu: %s",
		    (unsigned long)uc.cmd, uc.buf);
	TEST_ASSERT(uc.args[0] == 1 && uc.args[1] == 42, "sync args %lu %lu",
		    (unsigned long)uc.args[0], (unsigned long)uc.args[1]);
	TEST_ASSERT(test_vcpu_ucall(vm.vcpus[0], &uc) == UCALL_PRINT, "cmd %lu", (unsigned long)uc.cmd);
	TEST_ASSERT(!strcmp(uc.buf, "hello through ucall -7\n"), "print '%s'", uc.buf);
	TEST_ASSERT(test_vcpu_ucall(vm.vcpus[0], &uc) == UCALL_DONE, "cmd %lu: %s",
		    (unsigned long)uc.cmd, uc.buf);
	TEST_ASSERT(uc.args[0] == 0, "status %lu", (unsigned long)uc.args[0]);

	TEST_ASSERT(pread(fd, buf, sizeof(buf) - 1, 0) > 0, "console file empty");
	TEST_ASSERT(!strcmp(buf, "hello from the serial port, cpu 0 of 1\nAB\n"), "console '%s'", buf);
	vm_destroy(&vm);
	close(fd);
	printf("ok: serial and ucall\n");
	return 0;
}
#endif
