/*
 * kvm-smoke: the smallest proof that /dev/kvm runs guest code.
 *
 * Creates a VM with one page of RAM, puts a few bytes of real-mode code in it
 * that write two values to an I/O port and halt, runs the vCPU and checks that
 * exactly these exits arrive in this order: OUT 0x2a, OUT 0x2b, HLT. Runs inside
 * the lab (nested KVM) and stands alone: it uses no project library.
 *
 * Exit status: 0 when every exit matched, 1 on a mismatch or a KVM error,
 * 77 when /dev/kvm does not exist.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_CODE_GPA 0x1000u
#define GUEST_PAGE 0x1000u
#define SMOKE_PORT 0x10u
#define MAX_RUNS 16

/* mov al,0x2a; out 0x10,al; inc al; out 0x10,al; hlt */
static const uint8_t guest_code[] = { 0xb0, 0x2a, 0xe6, SMOKE_PORT, 0xfe, 0xc0, 0xe6, SMOKE_PORT, 0xf4 };

struct smoke_vm {
	int kvm, vm, vcpu;
	void *ram;
	struct kvm_run *run;
	size_t run_size;
};

struct smoke_exit {
	uint32_t reason;
	uint16_t port;
	uint8_t value;
};

static const struct smoke_exit expected[] = {
	{ KVM_EXIT_IO, SMOKE_PORT, 0x2a },
	{ KVM_EXIT_IO, SMOKE_PORT, 0x2b },
	{ KVM_EXIT_HLT, 0, 0 },
};

static int smoke_fail(const char *what)
{
	fprintf(stderr, "kvm-smoke: %s: %s\n", what, strerror(errno));
	return -1;
}

static int smoke_vm_memory(struct smoke_vm *s)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = GUEST_CODE_GPA,
		.memory_size = GUEST_PAGE,
	};

	s->ram = mmap(NULL, GUEST_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->ram == MAP_FAILED)
		return smoke_fail("mmap guest RAM");
	memcpy(s->ram, guest_code, sizeof(guest_code));
	region.userspace_addr = (uintptr_t)s->ram;
	if (ioctl(s->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return smoke_fail("KVM_SET_USER_MEMORY_REGION");
	return 0;
}

/* Real mode, CS base 0, IP at the code page. */
static int smoke_vcpu_regs(struct smoke_vm *s)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = GUEST_CODE_GPA, .rflags = 0x2 };

	if (ioctl(s->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return smoke_fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(s->vcpu, KVM_SET_SREGS, &sregs) < 0)
		return smoke_fail("KVM_SET_SREGS");
	if (ioctl(s->vcpu, KVM_SET_REGS, &regs) < 0)
		return smoke_fail("KVM_SET_REGS");
	return 0;
}

static int smoke_vm_create(struct smoke_vm *s)
{
	int version = ioctl(s->kvm, KVM_GET_API_VERSION, 0);
	long mmap_size;

	if (version != KVM_API_VERSION) {
		fprintf(stderr, "kvm-smoke: KVM API version %d, expected %d\n", version, KVM_API_VERSION);
		return -1;
	}
	s->vm = ioctl(s->kvm, KVM_CREATE_VM, 0);
	if (s->vm < 0)
		return smoke_fail("KVM_CREATE_VM");
	if (smoke_vm_memory(s))
		return -1;
	s->vcpu = ioctl(s->vm, KVM_CREATE_VCPU, 0);
	if (s->vcpu < 0)
		return smoke_fail("KVM_CREATE_VCPU");
	mmap_size = ioctl(s->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (long)sizeof(struct kvm_run))
		return smoke_fail("KVM_GET_VCPU_MMAP_SIZE");
	s->run_size = (size_t)mmap_size;
	s->run = mmap(NULL, s->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, s->vcpu, 0);
	if (s->run == MAP_FAILED)
		return smoke_fail("mmap kvm_run");
	return smoke_vcpu_regs(s);
}

/* Runs the vCPU once and describes the exit; -1 when KVM_RUN itself fails. */
static int smoke_vcpu_step(struct smoke_vm *s, struct smoke_exit *out)
{
	const struct kvm_run *run = s->run;

	if (ioctl(s->vcpu, KVM_RUN, 0) < 0)
		return smoke_fail("KVM_RUN");
	memset(out, 0, sizeof(*out));
	out->reason = run->exit_reason;
	if (run->exit_reason == KVM_EXIT_IO) {
		out->port = run->io.port;
		if (run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 1 && run->io.count == 1)
			out->value = *((const uint8_t *)run + run->io.data_offset);
	}
	return 0;
}

static int smoke_vm_check_exits(struct smoke_vm *s)
{
	struct smoke_exit got;
	size_t i;

	for (i = 0; i < sizeof(expected) / sizeof(expected[0]) && i < MAX_RUNS; i++) {
		if (smoke_vcpu_step(s, &got))
			return -1;
		printf("kvm-smoke: exit %zu: reason %u port 0x%x value 0x%02x\n", i, got.reason, got.port,
		       got.value);
		if (got.reason != expected[i].reason || got.port != expected[i].port ||
		    got.value != expected[i].value) {
			fprintf(stderr,
				"kvm-smoke: exit %zu: expected reason %u port 0x%x value 0x%02x\n", i,
				expected[i].reason, expected[i].port, expected[i].value);
			return -1;
		}
	}
	return 0;
}

static void smoke_vm_destroy(struct smoke_vm *s)
{
	if (s->run && s->run != MAP_FAILED)
		munmap(s->run, s->run_size);
	if (s->ram && s->ram != MAP_FAILED)
		munmap(s->ram, GUEST_PAGE);
	if (s->vcpu >= 0)
		close(s->vcpu);
	if (s->vm >= 0)
		close(s->vm);
	close(s->kvm);
}

int main(void)
{
	struct smoke_vm s = { .vm = -1, .vcpu = -1 };
	int ret;

	s.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (s.kvm < 0) {
		fprintf(stderr, "kvm-smoke: cannot open /dev/kvm: %s\n", strerror(errno));
		return errno == ENOENT ? 77 : 1;
	}
	ret = smoke_vm_create(&s) || smoke_vm_check_exits(&s);
	smoke_vm_destroy(&s);
	if (ret)
		return 1;
	printf("kvm-smoke: guest ran: OUT 0x2a, OUT 0x2b, HLT as expected\n");
	return 0;
}
