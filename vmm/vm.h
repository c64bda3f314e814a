/*
 * A KVM virtual machine: guest RAM (memfd, optionally hugetlb, split around
 * the 32-bit PCI hole), the in-kernel irqchip and PIT, the PIO and MMIO buses,
 * the vCPUs and the reason the VM stopped.
 *
 * Ownership: struct vm owns every fd and mapping it creates; vm_destroy()
 * releases them after the vCPU threads have ended. Devices register on
 * vm->pio / vm->mmio and must be torn down (vm_destroy calls the teardown
 * hooks registered with vm_add_teardown) before the buses.
 */
#ifndef IOVIRT_VM_H
#define IOVIRT_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "compiler.h"
#include "bitmap.h"
#include "guest-mem.h"
#include "irq.h"

struct vcpu;
struct pci_root;

#define VM_MAX_VCPUS     64
#define VM_MIN_RAM       (2ULL << 20) /* the low boot structures and a small image */
#define VM_MAX_TEARDOWNS 32
#define VM_MAX_SLOTS     512

struct vm_config {
	uint64_t ram_size;  /* bytes, a multiple of 2 MiB */
	unsigned ncpus;     /* 1 .. VM_MAX_VCPUS */
	bool hugetlb;       /* back RAM with MFD_HUGETLB (2 MiB pages) */
};

/* Why the VM stopped; the first reason recorded wins. */
enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_POWEROFF,       /* ACPI S5 from the guest: a clean end */
	VM_STOP_RESET,          /* i8042 0xfe, CF9, or a reboot request */
	VM_STOP_GUEST_DONE,     /* UCALL_DONE from a guest image; status in stop_status */
	VM_STOP_GUEST_ASSERT,   /* UCALL_ASSERT; message in stop_msg */
	VM_STOP_TRIPLE_FAULT,   /* KVM_EXIT_SHUTDOWN */
	VM_STOP_INTERNAL_ERROR, /* KVM_EXIT_INTERNAL_ERROR, FAIL_ENTRY, unknown exit */
	VM_STOP_HOST_ERROR,     /* an ioctl failed on the host */
	VM_STOP_TIMEOUT,        /* vm_run()'s timeout ran out */
	VM_STOP_REQUESTED,      /* vm_stop() from the host side */
};

/* Called on a vCPU thread for each ucall vm_run() does not handle itself. */
typedef void (*vm_ucall_fn)(struct vcpu *vcpu, void *opaque);

struct vm_teardown {
	void (*fn)(void *opaque);
	void *opaque;
};

struct vm {
	int kvm_fd;
	int vm_fd;
	int mem_fd;            /* memfd behind all RAM: share it with vhost-user, map it for VFIO */
	void *ram;             /* host mapping of the whole memfd */
	uint64_t ram_size;
	struct guest_mem mem;
	uint8_t slot_used[BITMAP_BYTES(VM_MAX_SLOTS)]; /* KVM memory slots: RAM, then device BARs */
	struct vm_slot_range { uint64_t gpa, size; } slot_range[VM_MAX_SLOTS];
	pthread_mutex_t slot_lock;
	struct bus pio;
	struct bus mmio;
	struct gsi_router gsi;
	struct vcpu *vcpus[VM_MAX_VCPUS];
	unsigned ncpus;
	struct kvm_cpuid2 *cpuid; /* supported set, adjusted per vCPU */
	struct pci_root *pci;
	int console_fd;        /* where guest text goes (UART, UCALL_PRINT); -1: discarded. Not owned */
	vm_ucall_fn ucall_fn;
	void *ucall_opaque;
	struct vm_teardown teardowns[VM_MAX_TEARDOWNS];
	unsigned n_teardowns;
	struct vm_teardown resets[VM_MAX_TEARDOWNS]; /* device resets, in registration order */
	unsigned n_resets;
	struct vm_irqchip_poweron *irqchip_poweron;

	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	enum vm_stop_reason stop_reason;
	int stop_status;       /* UCALL_DONE's status */
	char stop_msg[512];
};

/*
 * Open /dev/kvm, create the VM, its RAM, irqchip, PIT and vCPUs. Returns 0 or
 * -errno: -ENOENT/-EACCES when /dev/kvm cannot be opened, -EINVAL for a bad
 * config (RAM not a multiple of 2 MiB or below VM_MIN_RAM, no vCPU or too
 * many), -ENOMEM when RAM cannot be allocated. On error nothing is left open.
 */
int vm_create(struct vm *vm, const struct vm_config *cfg) __must_check;

/*
 * Stop the VM (VM_STOP_REQUESTED when it still runs), join every vCPU thread,
 * run the teardowns in reverse order (the PCI root quiesces every device
 * before it releases anything: pci.h), then release the vCPUs, RAM and fds.
 * vm_stop() from other threads is safe while this runs, up to the teardown of
 * whatever owns those threads; nothing may touch vm once it returns.
 */
void vm_destroy(struct vm *vm);

/*
 * Install host memory (a BAR of a passed-through device, for example) as a
 * KVM memory slot at gpa. Returns the slot number or -errno (-ENOSPC: all
 * VM_MAX_SLOTS in use; -EEXIST from KVM: overlaps another slot). The caller
 * keeps the mapping until vm_mem_unmap_slot(), which frees the slot number.
 */
int vm_mem_map_slot(struct vm *vm, uint64_t gpa, uint64_t size, void *hva, bool readonly)
	__must_check;
int vm_mem_unmap_slot(struct vm *vm, int slot);

/* Whether a KVM memory slot (RAM or a device's) overlaps [gpa, gpa + size), size > 0. */
bool vm_mem_slot_overlaps(struct vm *vm, uint64_t gpa, uint64_t size);

/* Run fn(opaque) at vm_destroy(), in reverse registration order. 0 or -ENOSPC. */
int vm_add_teardown(struct vm *vm, void (*fn)(void *), void *opaque) __must_check;

/* Run fn(opaque) at vm_reset(), in registration order. 0 or -ENOSPC. */
int vm_add_reset(struct vm *vm, void (*fn)(void *), void *opaque) __must_check;

/*
 * Put a stopped VM (vm_run() returned) back to its power-on state, as a
 * guest reboot does: the reset hooks (devices quiesce and reset), RAM
 * emptied and the boot page tables written again, the irqchip, PIT and every
 * vCPU restored to their state at creation, the stop reason cleared. The
 * caller then loads the guest again and calls vm_run(). 0 or -errno (the VM
 * is then unusable and only vm_destroy() remains).
 */
int vm_reset(struct vm *vm) __must_check;

/*
 * Record why the VM stops (the first reason wins) and kick every vCPU out of
 * KVM_RUN. Safe from any thread, including a vCPU's own.
 */
void vm_stop(struct vm *vm, enum vm_stop_reason reason, const char *fmt, ...) __printf(3, 4);

/*
 * What vm_run() does with a ucall when the caller installed no handler: PRINT
 * goes to the console, DONE stops the VM with the guest's status, ASSERT and a
 * malformed ucall stop it with an error, SYNC is ignored but for
 * UCALL_SYNC_TSC_KHZ, answered with the vCPU's TSC rate. Handlers that only
 * observe ucalls call it to keep that behaviour.
 */
void vm_ucall_default(struct vcpu *vcpu);
bool vm_stopped(struct vm *vm);

/*
 * Run every vCPU on its own thread until the VM stops or timeout_ms passes
 * (0: no timeout), then join them. Each ucall goes to vm->ucall_fn when set;
 * otherwise PRINT is written to vm->console_fd, SYNC as vm_ucall_default() does, DONE and
 * ASSERT stop the VM. Returns the stop reason (> 0), or -errno if a thread
 * could not start (the VM is then stopped too).
 */
int vm_run(struct vm *vm, unsigned timeout_ms) __must_check;

/* A human-readable name for a stop reason. */
const char *vm_stop_reason_name(enum vm_stop_reason reason);

#endif
