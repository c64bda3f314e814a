/* vm_run(): one thread per vCPU, the default ucall handling, the timeout. */
#include "vm.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "ucall.h"
#include "vcpu.h"

static void vm_console_write(struct vm *vm, const char *s)
{
	size_t len = strlen(s);

	while (vm->console_fd >= 0 && len) {
		ssize_t n = write(vm->console_fd, s, len);

		if (n <= 0)
			return;
		s += n;
		len -= n;
	}
}

void vm_ucall_default(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct ucall uc;

	switch (get_ucall(vcpu, &uc)) {
	case UCALL_PRINT:
		vm_console_write(vm, uc.buf);
		break;
	case UCALL_DONE:
		pthread_mutex_lock(&vm->stop_lock);
		if (!vm_stopped(vm))
			vm->stop_status = (int)uc.args[0];
		pthread_mutex_unlock(&vm->stop_lock);
		vm_stop(vm, VM_STOP_GUEST_DONE, "vCPU %u: guest done, status %d", vcpu->id,
			(int)uc.args[0]);
		break;
	case UCALL_ASSERT:
		vm_stop(vm, VM_STOP_GUEST_ASSERT, "vCPU %u: %s (line %llu)", vcpu->id, uc.buf,
			(unsigned long long)uc.args[0]);
		break;
	case UCALL_SYNC:
		if (uc.args[0] == UCALL_SYNC_TSC_KHZ && ucall_reply(vcpu, vcpu_tsc_khz(vcpu)))
			vm_stop(vm, VM_STOP_INTERNAL_ERROR, "vCPU %u: cannot answer a ucall", vcpu->id);
		break;
	default:
		vm_stop(vm, VM_STOP_INTERNAL_ERROR, "vCPU %u: bad ucall at GPA 0x%llx", vcpu->id,
			(unsigned long long)vcpu->ucall_gpa);
	}
}

static void *vm_vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;

	sandbox_thread_enter(SANDBOX_VCPU, "vCPU %u", vcpu->id);
	while (vcpu_run(vcpu) == VCPU_EXIT_UCALL) {
		if (vcpu->vm->ucall_fn)
			vcpu->vm->ucall_fn(vcpu, vcpu->vm->ucall_opaque);
		else
			vm_ucall_default(vcpu);
	}
	return NULL;
}

static void vm_wait(struct vm *vm, unsigned timeout_ms)
{
	struct timespec deadline;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&vm->stop_lock);
	while (vm->stop_reason == VM_RUNNING && ret != ETIMEDOUT)
		ret = timeout_ms ? pthread_cond_timedwait(&vm->stop_cond, &vm->stop_lock, &deadline) :
			pthread_cond_wait(&vm->stop_cond, &vm->stop_lock);
	pthread_mutex_unlock(&vm->stop_lock);
	if (ret == ETIMEDOUT)
		vm_stop(vm, VM_STOP_TIMEOUT, "no result after %u ms", timeout_ms);
}

int vm_run(struct vm *vm, unsigned timeout_ms)
{
	int ret = 0;

	for (unsigned i = 0; i < vm->ncpus && !ret; i++) {
		vcpu_clear_kick(vm->vcpus[i]);
		ret = vcpu_thread_start(vm->vcpus[i], vm_vcpu_thread);
		if (ret)
			vm_stop(vm, VM_STOP_HOST_ERROR, "cannot start vCPU %u thread: %s", i,
				strerror(-ret));
	}
	if (!ret)
		vm_wait(vm, timeout_ms);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_thread_stop(vm->vcpus[i]);
	return ret ? ret : (int)vm->stop_reason;
}
