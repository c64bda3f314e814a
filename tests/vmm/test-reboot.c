/*
 * Guest reboots and a VM that runs again: the guest reboots through the
 * i8042 (0xfe) and then through CF9, and each time the host resets the VM
 * (vm_reset: devices quiesced and reset, RAM emptied, irqchip and vCPUs at
 * power-on state) and loads the image again. After each reset the guest
 * checks what power-on means: the test device's scratch register back to 0
 * (its reset hook ran), MSI-X disabled, BAR0 where it was plugged, and a
 * marker it left in RAM gone. Then the same VM is stopped from several host
 * threads at once while its vCPUs spin, which must neither crash nor hang.
 */
#ifdef IOVIRT_GUEST
#include "guest.h"
#include "memory-map.h"
#include "pci.h"
#include "pci-testdev-regs.h"

#define MARKER_GPA 0x00300000ULL
#define MARKER     0xfeedfacecafef00dULL

enum { HOW_I8042 = 1, HOW_CF9, HOW_SPIN, HOW_DONE };

static uint64_t spin_forever(uint64_t unused)
{
	for (;;)
		__asm__ volatile("pause");
	return 0;
}

int guest_main(unsigned cpu, unsigned ncpus)
{
	volatile uint64_t *marker = (volatile uint64_t *)MARKER_GPA;
	uint16_t bdf;
	uint64_t bar0, how;
	unsigned msix;

	if (cpu != 0)
		return 0; /* the runtime parks it; it must run again after each reset */
	bdf = pci_find_device(PCI_TESTDEV_VENDOR, PCI_TESTDEV_DEVICE);
	GUEST_ASSERT(bdf != PCI_NONE);
	bar0 = pci_bar_addr(bdf, 0);
	msix = pci_find_cap(bdf, 0x11);
	GUEST_ASSERT(msix);
	GUEST_ASSERT_EQ(*marker, 0);
	GUEST_ASSERT_EQ(mmio_read32(bar0 + TESTDEV_SCRATCH), 0);
	GUEST_ASSERT_EQ(pci_read16(bdf, msix + 2) & 0xc000, 0);
	/* Leave state behind that a reset must clear, then ask how to reboot. */
	*marker = MARKER;
	mmio_write32(bar0 + TESTDEV_SCRATCH, 0xb007);
	pci_write16(bdf, msix + 2, 0x8000);
	how = guest_sync(1, bar0);
	switch (how) {
	case HOW_I8042:
		outb(0x64, 0xfe);
		break;
	case HOW_CF9:
		outb(0xcf9, 0x06);
		break;
	case HOW_SPIN:
		guest_run_user(spin_forever, 0, 0);
		break;
	default:
		return 0;
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}
#else
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "guest-image.h"
#include "pci-testdev.h"
#include "vmm-test.h"

enum { HOW_I8042 = 1, HOW_CF9, HOW_SPIN, HOW_DONE };

struct boot {
	uint64_t how;
	uint64_t bar0;
	unsigned syncs;
};

static void on_ucall(struct vcpu *vcpu, void *opaque)
{
	struct boot *b = opaque;
	struct ucall uc;

	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		b->syncs++;
		b->bar0 = uc.args[1];
		TEST_ASSERT(!ucall_reply(vcpu, b->how), "reply");
		break;
	case UCALL_ASSERT:
		fprintf(stderr, "guest: %s (line %lu)\n", uc.buf, (unsigned long)uc.args[0]);
		vm_ucall_default(vcpu);
		break;
	default:
		vm_ucall_default(vcpu);
	}
}

struct stopper {
	struct vm *vm;
	volatile bool *done;
	unsigned long n;
};

static void *stop_loop(void *arg)
{
	struct stopper *s = arg;

	while (!__atomic_load_n(s->done, __ATOMIC_SEQ_CST)) {
		vm_stop(s->vm, VM_STOP_REQUESTED, "stopper");
		for (unsigned i = 0; i < s->vm->ncpus; i++)
			vcpu_kick(s->vm->vcpus[i]);
		s->n++;
	}
	return NULL;
}

struct runner {
	struct vm *vm;
	int reason;
};

static void *run_vm(void *arg)
{
	struct runner *r = arg;

	r->reason = vm_run(r->vm, 30000);
	return NULL;
}

/* Run the VM while three threads stop and kick it, until vm_run() has joined every vCPU. */
static void stop_from_many_threads(struct vm *vm, struct boot *b)
{
	volatile bool done = false;
	struct runner r = { .vm = vm };
	struct stopper s[3];
	pthread_t t[3], rt;

	b->how = HOW_SPIN;
	b->syncs = 0;
	TEST_ASSERT(!pthread_create(&rt, NULL, run_vm, &r), "runner");
	while (!__atomic_load_n(&b->syncs, __ATOMIC_SEQ_CST))
		usleep(1000);
	usleep(20000);
	for (int i = 0; i < 3; i++) {
		s[i] = (struct stopper){ .vm = vm, .done = &done };
		TEST_ASSERT(!pthread_create(&t[i], NULL, stop_loop, &s[i]), "stopper");
	}
	pthread_join(rt, NULL);
	usleep(10000); /* kicks land on vCPUs whose threads are gone */
	done = true;
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	TEST_ASSERT(r.reason == VM_STOP_REQUESTED, "stopped: %s", vm_stop_reason_name(r.reason));
	printf("stopped while spinning: %lu vm_stop calls from 3 threads\n", s[0].n + s[1].n + s[2].n);
}

int main(int argc, char **argv)
{
	const char *image = test_image(argc, argv);
	static const uint64_t order[] = { HOW_I8042, HOW_CF9, HOW_DONE };
	struct pci_device *testdev;
	struct platform plat;
	struct boot b = { 0 };
	uint64_t first_bar0 = 0;
	struct vm vm;
	int reason;

	test_require_kvm();
	test_vm_create(&vm, &plat, image, 2, 64 << 20, 1);
	TEST_ASSERT(!pci_testdev_create(&vm, plat.pci, NULL, &testdev), "pci-testdev");
	vm.ucall_fn = on_ucall;
	vm.ucall_opaque = &b;
	for (unsigned boot = 0; boot < 3; boot++) {
		b.how = order[boot];
		reason = vm_run(&vm, 30000);
		printf("boot %u: %s: %s\n", boot + 1, vm_stop_reason_name(reason), vm.stop_msg);
		TEST_ASSERT(b.syncs == boot + 1, "boot %u: the guest did not get to its sync", boot + 1);
		if (!first_bar0)
			first_bar0 = b.bar0;
		TEST_ASSERT(b.bar0 == first_bar0, "BAR0 moved across a reset");
		if (order[boot] == HOW_DONE) {
			TEST_ASSERT(reason == VM_STOP_GUEST_DONE && vm.stop_status == 0, "last boot");
			break;
		}
		TEST_ASSERT(reason == VM_STOP_RESET, "boot %u: expected a reset", boot + 1);
		TEST_ASSERT(!vm_reset(&vm), "vm_reset");
		TEST_ASSERT(!vm_stopped(&vm), "the stop reason survived the reset");
		TEST_ASSERT(!guest_image_boot(&vm, image), "reload");
	}
	TEST_ASSERT(!vm_reset(&vm), "vm_reset");
	TEST_ASSERT(!guest_image_boot(&vm, image), "reload");
	stop_from_many_threads(&vm, &b);
	vm_destroy(&vm);
	printf("ok: reboot\n");
	return 0;
}
#endif
