#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "memory-map.h"
#include "ucall-abi.h"
#include "vm.h"
#include "x86-boot.h"
#include "x86-cpuid.h"

#define X86_CR0_PE (1ULL << 0)
#define X86_CR0_MP (1ULL << 1)
#define X86_CR0_ET (1ULL << 4)
#define X86_CR0_NE (1ULL << 5)
#define X86_CR0_WP (1ULL << 16)
#define X86_CR0_PG (1ULL << 31)
#define X86_CR4_PAE (1ULL << 5)
#define X86_CR4_OSFXSR (1ULL << 9)
#define X86_CR4_OSXMMEXCPT (1ULL << 10)
#define X86_EFER_LME (1ULL << 8)
#define X86_EFER_LMA (1ULL << 10)

static int vcpu_set_cpuid(struct vcpu *vcpu)
{
	struct kvm_cpuid2 *c;
	int ret;

	ret = x86_cpuid_for_vcpu(vcpu->vm->cpuid, vcpu->id, vcpu->vm->ncpus, &c);
	if (ret)
		return ret;
	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	free(c);
	return ret;
}

int vcpu_create(struct vm *vm, unsigned id, struct vcpu **out)
{
	struct vcpu *v = calloc(1, sizeof(*v));
	int ret, size;

	if (!v)
		return -ENOMEM;
	*v = (struct vcpu){ .vm = vm, .id = id, .stats = { .fd = -1 } };
	pthread_mutex_init(&v->thread_lock, NULL);
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0) {
		ret = -errno;
		free(v);
		return ret;
	}
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run)) {
		ret = size < 0 ? -errno : -EINVAL;
		goto fail;
	}
	v->run_size = size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		ret = -errno;
		goto fail;
	}
	ret = vcpu_set_cpuid(v);
	if (!ret)
		ret = vcpu_poweron_save(v);
	if (ret)
		goto fail;
	if (kvm_stats_open(v->fd, &v->stats))
		v->stats.fd = -1; /* older hosts: no statistics, not an error */
	*out = v;
	return 0;
fail:
	vcpu_destroy(v);
	return ret;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (!vcpu)
		return;
	vcpu_thread_stop(vcpu);
	kvm_stats_close(&vcpu->stats);
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	pthread_mutex_destroy(&vcpu->thread_lock);
	free(vcpu->poweron);
	free(vcpu);
}

void vcpu_kick(struct vcpu *vcpu)
{
	pthread_mutex_lock(&vcpu->thread_lock);
	if (vcpu->run)
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (vcpu->thread_running)
		pthread_kill(vcpu->thread, SIGUSR1);
	pthread_mutex_unlock(&vcpu->thread_lock);
}

void vcpu_clear_kick(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
}

int vcpu_thread_start(struct vcpu *vcpu, void *(*fn)(void *))
{
	int ret;

	pthread_mutex_lock(&vcpu->thread_lock);
	ret = vcpu->thread_running ? -EBUSY : -pthread_create(&vcpu->thread, NULL, fn, vcpu);
	if (!ret)
		vcpu->thread_running = true;
	pthread_mutex_unlock(&vcpu->thread_lock);
	return ret;
}

void vcpu_thread_stop(struct vcpu *vcpu)
{
	bool join;

	pthread_mutex_lock(&vcpu->thread_lock);
	join = vcpu->thread_running;
	if (vcpu->run)
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (join)
		pthread_kill(vcpu->thread, SIGUSR1);
	vcpu->thread_running = false;
	pthread_mutex_unlock(&vcpu->thread_lock);
	if (join)
		pthread_join(vcpu->thread, NULL);
}

unsigned vcpu_tsc_khz(struct vcpu *vcpu)
{
	int khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);

	return khz > 0 ? (unsigned)khz : 0;
}

int vcpu_stat(struct vcpu *vcpu, const char *name, uint64_t *value)
{
	if (vcpu->stats.fd < 0)
		return -ENOTSUP;
	return kvm_stats_read(&vcpu->stats, name, value);
}

static void seg_flat(struct kvm_segment *s, uint16_t sel, bool code)
{
	*s = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = sel,
				   .type = code ? 11 : 3, .present = 1, .s = 1, .g = 1,
				   .db = code ? 0 : 1, .l = code ? 1 : 0 };
}

static void vcpu_sregs_long_mode(struct kvm_sregs *s)
{
	seg_flat(&s->cs, BOOT_CS, true);
	seg_flat(&s->ds, BOOT_DS, false);
	s->es = s->fs = s->gs = s->ss = s->ds;
	s->tr = (struct kvm_segment){ .limit = 0x67, .type = 11, .present = 1 };
	s->ldt = (struct kvm_segment){ .type = 2, .present = 1, .unusable = 1 };
	s->gdt.base = GPA_BOOT_GDT;
	s->gdt.limit = BOOT_GDT_ENTRIES * 8 - 1;
	s->idt.base = GPA_BOOT_IDT;
	s->idt.limit = 0;
	s->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	s->cr3 = GPA_BOOT_PML4;
	s->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	s->efer = X86_EFER_LME | X86_EFER_LMA;
}

int vcpu_set_long_mode(struct vcpu *vcpu, uint64_t rip, uint64_t rsp, uint64_t rsi, uint64_t rdi)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_regs regs = { .rip = rip, .rsp = rsp, .rsi = rsi, .rdi = rdi, .rflags = 2 };
	struct kvm_sregs sregs;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	vcpu_sregs_long_mode(&sregs);
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0 ? -errno : 0;
}

static uint64_t vcpu_rip(struct vcpu *vcpu)
{
	struct kvm_regs regs;

	return ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ? 0 : regs.rip;
}

/* Returns true when the exit was a ucall. */
static bool vcpu_handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;

	if (run->io.port == UCALL_PORT && run->io.direction == KVM_EXIT_IO_OUT && size == 4 &&
	    run->io.count == 1) {
		uint32_t gpa;

		memcpy(&gpa, data, sizeof(gpa));
		vcpu->ucall_gpa = gpa;
		return true;
	}
	if ((uint64_t)run->io.count * size > vcpu->run_size - run->io.data_offset)
		return false; /* never trust the sizes to fit the run page */
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		bool ok = run->io.direction == KVM_EXIT_IO_OUT ?
			bus_write(&vcpu->vm->pio, run->io.port, data, size) :
			bus_read(&vcpu->vm->pio, run->io.port, data, size);

		if (!ok)
			log_debug("vcpu%u: unclaimed port %s 0x%x size %u", vcpu->id,
				  run->io.direction == KVM_EXIT_IO_OUT ? "write" : "read",
				  run->io.port, size);
	}
	return false;
}

static void vcpu_handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	bool ok;

	if (run->mmio.len > sizeof(run->mmio.data))
		return;
	ok = run->mmio.is_write ?
		bus_write(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len) :
		bus_read(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len);
	if (!ok)
		log_debug("vcpu%u: unclaimed MMIO %s 0x%llx len %u", vcpu->id,
			  run->mmio.is_write ? "write" : "read",
			  (unsigned long long)run->mmio.phys_addr, run->mmio.len);
}

static void vcpu_handle_system_event(struct vcpu *vcpu)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_stop(vcpu->vm, VM_STOP_POWEROFF, "vCPU %u: system event shutdown", vcpu->id);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vm_stop(vcpu->vm, VM_STOP_RESET, "vCPU %u: system event reset", vcpu->id);
		break;
	default:
		vm_stop(vcpu->vm, VM_STOP_INTERNAL_ERROR, "vCPU %u: system event %u", vcpu->id,
			vcpu->run->system_event.type);
	}
}

/* Handle one exit; returns true to go back into the guest. */
static bool vcpu_handle_exit(struct vcpu *vcpu, bool *ucall)
{
	struct kvm_run *run = vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		*ucall = vcpu_handle_io(vcpu);
		return !*ucall;
	case KVM_EXIT_MMIO:
		vcpu_handle_mmio(vcpu);
		return true;
	case KVM_EXIT_HLT:
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return true;
	case KVM_EXIT_SHUTDOWN:
		vm_stop(vcpu->vm, VM_STOP_TRIPLE_FAULT,
			"vCPU %u: triple fault (KVM_EXIT_SHUTDOWN), rip 0x%llx", vcpu->id,
			(unsigned long long)vcpu_rip(vcpu));
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vcpu_handle_system_event(vcpu);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vm_stop(vcpu->vm, VM_STOP_INTERNAL_ERROR,
			"vCPU %u: KVM internal error, suberror %u, rip 0x%llx", vcpu->id,
			run->internal.suberror, (unsigned long long)vcpu_rip(vcpu));
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vm_stop(vcpu->vm, VM_STOP_INTERNAL_ERROR,
			"vCPU %u: VM entry failed, hardware reason 0x%llx", vcpu->id,
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	default:
		vm_stop(vcpu->vm, VM_STOP_INTERNAL_ERROR, "vCPU %u: unexpected KVM exit %u, rip 0x%llx",
			vcpu->id, run->exit_reason, (unsigned long long)vcpu_rip(vcpu));
		return false;
	}
}

int vcpu_run(struct vcpu *vcpu)
{
	for (;;) {
		bool ucall = false;

		if (vm_stopped(vcpu->vm))
			return VCPU_EXIT_STOPPED;
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vm_stop(vcpu->vm, VM_STOP_HOST_ERROR, "vCPU %u: KVM_RUN: %s", vcpu->id,
				strerror(errno));
			return VCPU_EXIT_STOPPED;
		}
		if (!vcpu_handle_exit(vcpu, &ucall))
			return ucall ? VCPU_EXIT_UCALL : VCPU_EXIT_STOPPED;
	}
}
