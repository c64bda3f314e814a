#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bitmap.h"
#include "log.h"
#include "memory-map.h"
#include "vcpu.h"
#include "x86-boot.h"
#include "x86-cpuid.h"

#define KVM_TSS_ADDR         0xfffbd000ULL
#define KVM_IDENTITY_MAP     0xfffbc000ULL

static void vm_kick_signal(int sig)
{
	(void)sig; /* only there to interrupt KVM_RUN */
}

static int vm_install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = vm_kick_signal };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL) < 0 ? -errno : 0;
}

static int vm_open_kvm(struct vm *vm)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return -errno;
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return -ENOTSUP;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return -errno;
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0)
		return -errno;
	{
		uint64_t ident = KVM_IDENTITY_MAP;

		if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
			return -errno;
	}
	return 0;
}

static int vm_set_slot(struct vm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *hva,
		       uint32_t flags)
{
	struct kvm_userspace_memory_region r = { .slot = slot, .flags = flags,
						 .guest_phys_addr = gpa, .memory_size = size,
						 .userspace_addr = (uintptr_t)hva };

	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

/* Add one RAM part: a guest_mem region and a KVM slot over the same memfd range. */
static int vm_add_ram(struct vm *vm, uint64_t gpa, uint64_t size, uint64_t fd_offset)
{
	void *hva = (uint8_t *)vm->ram + fd_offset;
	int ret;

	ret = guest_mem_add(&vm->mem, gpa, size, hva, vm->mem_fd, fd_offset);
	if (!ret) {
		ret = vm_mem_map_slot(vm, gpa, size, hva, false);
		ret = ret < 0 ? ret : 0;
	}
	return ret;
}

static int vm_create_ram(struct vm *vm, const struct vm_config *cfg)
{
	uint64_t low = MIN(cfg->ram_size, GPA_RAM_LOW_END);
	int ret;

	ret = guest_ram_create(cfg->ram_size, cfg->hugetlb, &vm->mem_fd, &vm->ram);
	if (ret)
		return ret;
	vm->ram_size = cfg->ram_size;
	ret = vm_add_ram(vm, 0, low, 0);
	if (!ret && cfg->ram_size > low)
		ret = vm_add_ram(vm, GPA_RAM_HIGH_START, cfg->ram_size - low, low);
	return ret;
}

struct vm_irqchip_poweron {
	struct kvm_irqchip chips[3]; /* PIC master, PIC slave, IOAPIC */
	struct kvm_pit_state2 pit;
};

/* The in-kernel irqchip and PIT as KVM created them: what vm_reset() restores. */
static int vm_irqchip_save(struct vm *vm)
{
	struct vm_irqchip_poweron *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	vm->irqchip_poweron = p;
	for (unsigned i = 0; i < ARRAY_SIZE(p->chips); i++) {
		p->chips[i].chip_id = i;
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &p->chips[i]) < 0)
			return -errno;
	}
	return ioctl(vm->vm_fd, KVM_GET_PIT2, &p->pit) < 0 ? -errno : 0;
}

static int vm_irqchip_restore(struct vm *vm)
{
	struct vm_irqchip_poweron *p = vm->irqchip_poweron;

	for (unsigned i = 0; i < ARRAY_SIZE(p->chips); i++)
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &p->chips[i]) < 0)
			return -errno;
	return ioctl(vm->vm_fd, KVM_SET_PIT2, &p->pit) < 0 ? -errno : 0;
}

static int vm_create_irqchip(struct vm *vm)
{
	/* No KVM_PIT_SPEAKER_DUMMY: KVM also emulates port 0x61, which Linux's PIT calibration reads. */
	struct kvm_pit_config pit = { .flags = 0 };
	int ret;

	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return -errno;
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return -errno;
	ret = gsi_router_init(&vm->gsi, vm->vm_fd);
	return ret ? ret : vm_irqchip_save(vm);
}

static int vm_create_vcpus(struct vm *vm)
{
	int ret = x86_cpuid_supported(vm->kvm_fd, &vm->cpuid);

	for (unsigned i = 0; !ret && i < vm->ncpus; i++)
		ret = vcpu_create(vm, i, &vm->vcpus[i]);
	return ret;
}

static bool vm_config_valid(const struct vm_config *cfg)
{
	return cfg->ncpus >= 1 && cfg->ncpus <= VM_MAX_VCPUS && cfg->ram_size >= VM_MIN_RAM &&
	       !(cfg->ram_size % (2 * MiB)) && cfg->ram_size <= (1ULL << 46);
}

/* vm_run()'s timeout waits on stop_cond: measure it on the monotonic clock. */
static void vm_init_stop_cond(struct vm *vm)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&vm->stop_cond, &attr);
	pthread_condattr_destroy(&attr);
}

int vm_create(struct vm *vm, const struct vm_config *cfg)
{
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->mem_fd = -1;
	vm->console_fd = -1;
	pthread_mutex_init(&vm->stop_lock, NULL);
	pthread_mutex_init(&vm->slot_lock, NULL);
	vm_init_stop_cond(vm);
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	if (!vm_config_valid(cfg)) {
		ret = -EINVAL;
		goto fail;
	}
	vm->ncpus = cfg->ncpus;
	ret = vm_install_kick_handler();
	if (!ret)
		ret = vm_open_kvm(vm);
	if (!ret)
		ret = vm_create_ram(vm, cfg);
	if (!ret)
		ret = vm_create_irqchip(vm);
	if (!ret)
		ret = vm_create_vcpus(vm);
	if (!ret)
		ret = x86_boot_tables_write(&vm->mem);
	if (!ret)
		return 0;
fail:
	vm_destroy(vm);
	return ret;
}

int vm_add_teardown(struct vm *vm, void (*fn)(void *), void *opaque)
{
	if (vm->n_teardowns == VM_MAX_TEARDOWNS)
		return -ENOSPC;
	vm->teardowns[vm->n_teardowns++] = (struct vm_teardown){ .fn = fn, .opaque = opaque };
	return 0;
}

int vm_add_reset(struct vm *vm, void (*fn)(void *), void *opaque)
{
	if (vm->n_resets == VM_MAX_TEARDOWNS)
		return -ENOSPC;
	vm->resets[vm->n_resets++] = (struct vm_teardown){ .fn = fn, .opaque = opaque };
	return 0;
}

/* Give every page of RAM back: the guest finds zeros, as after power-on. */
static int vm_ram_clear(struct vm *vm)
{
	if (fallocate(vm->mem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, vm->ram_size) < 0)
		return -errno;
	return x86_boot_tables_write(&vm->mem);
}

int vm_reset(struct vm *vm)
{
	int ret;

	for (unsigned i = 0; i < vm->n_resets; i++)
		vm->resets[i].fn(vm->resets[i].opaque);
	ret = vm_ram_clear(vm);
	if (!ret)
		ret = vm_irqchip_restore(vm);
	for (unsigned i = 0; !ret && i < vm->ncpus; i++)
		ret = vcpu_poweron_restore(vm->vcpus[i]);
	if (ret)
		return ret;
	pthread_mutex_lock(&vm->stop_lock);
	vm->stop_reason = VM_RUNNING;
	vm->stop_status = 0;
	vm->stop_msg[0] = '\0';
	pthread_mutex_unlock(&vm->stop_lock);
	return 0;
}

static void vm_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void vm_destroy(struct vm *vm)
{
	struct vcpu *vcpus[VM_MAX_VCPUS];

	if (!vm_stopped(vm))
		vm_stop(vm, VM_STOP_REQUESTED, "the VM is being destroyed");
	for (unsigned i = 0; i < VM_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			vcpu_thread_stop(vm->vcpus[i]);
	while (vm->n_teardowns) {
		struct vm_teardown *t = &vm->teardowns[--vm->n_teardowns];

		t->fn(t->opaque);
	}
	/* Off the list first, so a late vm_stop() kicks no freed vCPU. */
	pthread_mutex_lock(&vm->stop_lock);
	memcpy(vcpus, vm->vcpus, sizeof(vcpus));
	memset(vm->vcpus, 0, sizeof(vm->vcpus));
	pthread_mutex_unlock(&vm->stop_lock);
	for (unsigned i = 0; i < VM_MAX_VCPUS; i++)
		vcpu_destroy(vcpus[i]);
	free(vm->cpuid);
	vm->cpuid = NULL;
	free(vm->irqchip_poweron);
	vm->irqchip_poweron = NULL;
	gsi_router_destroy(&vm->gsi);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	vm->ram = NULL;
	vm_close_fd(&vm->mem_fd);
	vm_close_fd(&vm->vm_fd);
	vm_close_fd(&vm->kvm_fd);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	pthread_mutex_destroy(&vm->stop_lock);
	pthread_mutex_destroy(&vm->slot_lock);
	pthread_cond_destroy(&vm->stop_cond);
}

static int vm_slot_alloc(struct vm *vm, uint64_t gpa, uint64_t size)
{
	int slot;

	pthread_mutex_lock(&vm->slot_lock);
	slot = bitmap_alloc(vm->slot_used, VM_MAX_SLOTS);
	if (slot >= 0)
		vm->slot_range[slot] = (struct vm_slot_range){ .gpa = gpa, .size = size };
	pthread_mutex_unlock(&vm->slot_lock);
	return slot < 0 ? -ENOSPC : slot;
}

static void vm_slot_free(struct vm *vm, int slot)
{
	pthread_mutex_lock(&vm->slot_lock);
	bitmap_clear(vm->slot_used, slot);
	vm->slot_range[slot] = (struct vm_slot_range){ 0 };
	pthread_mutex_unlock(&vm->slot_lock);
}

bool vm_mem_slot_overlaps(struct vm *vm, uint64_t gpa, uint64_t size)
{
	bool hit = false;

	pthread_mutex_lock(&vm->slot_lock);
	for (unsigned i = 0; i < VM_MAX_SLOTS && !hit; i++) {
		const struct vm_slot_range *r = &vm->slot_range[i];

		hit = bitmap_test(vm->slot_used, i) && gpa <= r->gpa + (r->size - 1) &&
		      r->gpa <= gpa + (size - 1);
	}
	pthread_mutex_unlock(&vm->slot_lock);
	return hit;
}

int vm_mem_map_slot(struct vm *vm, uint64_t gpa, uint64_t size, void *hva, bool readonly)
{
	int slot, ret;

	if (!size || gpa + (size - 1) < gpa)
		return -EINVAL;
	slot = vm_slot_alloc(vm, gpa, size);
	if (slot < 0)
		return slot;
	ret = vm_set_slot(vm, slot, gpa, size, hva, readonly ? KVM_MEM_READONLY : 0);
	if (ret) {
		vm_slot_free(vm, slot);
		return ret;
	}
	return slot;
}

int vm_mem_unmap_slot(struct vm *vm, int slot)
{
	int ret;

	if (slot < 0 || slot >= VM_MAX_SLOTS)
		return -EINVAL;
	ret = vm_set_slot(vm, slot, 0, 0, NULL, 0);
	if (!ret)
		vm_slot_free(vm, slot);
	return ret;
}

void vm_stop(struct vm *vm, enum vm_stop_reason reason, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&vm->stop_lock);
	if (vm->stop_reason == VM_RUNNING) {
		va_start(ap, fmt);
		vsnprintf(vm->stop_msg, sizeof(vm->stop_msg), fmt, ap);
		va_end(ap);
		__atomic_store_n(&vm->stop_reason, reason, __ATOMIC_SEQ_CST);
		log_info("vmm: stopping: %s: %s", vm_stop_reason_name(reason), vm->stop_msg);
	}
	pthread_cond_broadcast(&vm->stop_cond);
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i])
			vcpu_kick(vm->vcpus[i]);
	pthread_mutex_unlock(&vm->stop_lock);
}

bool vm_stopped(struct vm *vm)
{
	return __atomic_load_n(&vm->stop_reason, __ATOMIC_SEQ_CST) != VM_RUNNING;
}

const char *vm_stop_reason_name(enum vm_stop_reason reason)
{
	static const char *const names[] = {
		[VM_RUNNING] = "running",
		[VM_STOP_POWEROFF] = "poweroff",
		[VM_STOP_RESET] = "reset",
		[VM_STOP_GUEST_DONE] = "guest done",
		[VM_STOP_GUEST_ASSERT] = "guest assertion failed",
		[VM_STOP_TRIPLE_FAULT] = "triple fault",
		[VM_STOP_INTERNAL_ERROR] = "internal error",
		[VM_STOP_HOST_ERROR] = "host error",
		[VM_STOP_TIMEOUT] = "timeout",
		[VM_STOP_REQUESTED] = "stopped by the host",
	};

	if ((unsigned)reason >= ARRAY_SIZE(names) || !names[reason])
		return "unknown";
	return names[reason];
}
