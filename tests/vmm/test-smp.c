/*
 * Several vCPUs, each a host thread: every CPU reports its index, its local
 * APIC ID and the CPUID topology it sees; the host checks each one reported
 * exactly once with consistent IDs, and reads per-vCPU KVM statistics.
 */
#ifdef IOVIRT_GUEST
#include "guest.h"

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

int guest_main(unsigned cpu, unsigned ncpus)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	GUEST_ASSERT_EQ(r[1] >> 24, cpu);
	GUEST_ASSERT_EQ((r[1] >> 16) & 0xff, ncpus);
	GUEST_ASSERT_EQ(lapic_id(), cpu);
	GUEST_ASSERT_EQ(guest_cpu(), cpu);
	cpuid(0xb, 1, r);
	GUEST_ASSERT_EQ(r[1] & 0xffff, ncpus);
	GUEST_ASSERT_EQ(r[3], cpu);
	guest_sync(cpu, lapic_id());
	return 0;
}
#else
#include <string.h>

#include "vmm-test.h"

#define NCPUS 4

struct seen {
	pthread_mutex_t lock;
	unsigned count[NCPUS];
};

static void on_ucall(struct vcpu *vcpu, void *opaque)
{
	struct seen *s = opaque;
	struct ucall uc;

	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		if (uc.args[0] >= NCPUS || uc.args[0] != vcpu->id || uc.args[1] != vcpu->id) {
			vm_stop(vcpu->vm, VM_STOP_GUEST_ASSERT, "vCPU %u reported cpu %lu apic %lu",
				vcpu->id, (unsigned long)uc.args[0], (unsigned long)uc.args[1]);
			return;
		}
		pthread_mutex_lock(&s->lock);
		s->count[uc.args[0]]++;
		pthread_mutex_unlock(&s->lock);
		break;
	case UCALL_DONE:
		vm_stop(vcpu->vm, VM_STOP_GUEST_DONE, "done, status %lu", (unsigned long)uc.args[0]);
		break;
	default:
		vm_stop(vcpu->vm, VM_STOP_GUEST_ASSERT, "%s", uc.buf);
	}
}

int main(int argc, char **argv)
{
	const char *image = test_image(argc, argv);
	struct seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct platform plat;
	struct vm vm;
	int r;

	test_vm_create(&vm, &plat, image, NCPUS, 64 << 20, 1);
	vm.ucall_fn = on_ucall;
	vm.ucall_opaque = &seen;
	r = vm_run(&vm, 20000);
	TEST_ASSERT(r == VM_STOP_GUEST_DONE, "stop: %s: %s", vm_stop_reason_name(r), vm.stop_msg);
	for (unsigned i = 0; i < NCPUS; i++) {
		uint64_t exits = 0, io = 0;

		TEST_ASSERT(seen.count[i] == 1, "CPU %u reported %u times", i, seen.count[i]);
		TEST_ASSERT(!vcpu_stat(vm.vcpus[i], "exits", &exits), "no 'exits' statistic");
		TEST_ASSERT(!vcpu_stat(vm.vcpus[i], "io_exits", &io), "no 'io_exits' statistic");
		/*
		 * Every ucall leaves the guest, so exits >= 1. (On a host whose KVM
		 * emulates ring-0 guest code, port I/O of emulated code does not
		 * count in io_exits: the counter is read, not asserted.)
		 */
		TEST_ASSERT(exits >= 1, "vCPU %u: exits %lu", i, (unsigned long)exits);
		printf("vCPU %u: exits %lu io_exits %lu\n", i, (unsigned long)exits,
		       (unsigned long)io);
	}
	vm_destroy(&vm);
	printf("ok: %d vCPUs reported\n", NCPUS);
	return 0;
}
#endif
