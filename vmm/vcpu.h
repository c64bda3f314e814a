/*
 * A vCPU: its KVM fd, the shared kvm_run page, statistics, and the run loop
 * that dispatches PIO and MMIO exits to the VM's buses.
 */
#ifndef IOVIRT_VCPU_H
#define IOVIRT_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "kvm-stats.h"

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned id;             /* vCPU index = initial APIC ID */
	int fd;
	struct kvm_run *run;
	size_t run_size;
	struct kvm_stats stats;  /* fd -1 when the host has no binary stats */
	pthread_mutex_t thread_lock; /* guards thread/thread_running against kick vs join */
	pthread_t thread;
	bool thread_running;     /* started and not yet being joined */
	uint64_t ucall_gpa;      /* the struct ucall the last ucall exit pointed at */
	struct vcpu_poweron *poweron; /* the state a reset restores (vcpu-reset.c) */
};

/* What vcpu_run() returns to its caller. */
enum vcpu_exit {
	VCPU_EXIT_UCALL = 1, /* the guest wrote PORT_UCALL: see get_ucall() */
	VCPU_EXIT_STOPPED,   /* the VM stopped (poweroff, triple fault, ...): see vm->stop_reason */
};

/* Create vCPU id of vm (vm_create() does this for every vCPU). 0 or -errno. */
int vcpu_create(struct vm *vm, unsigned id, struct vcpu **out) __must_check;
void vcpu_destroy(struct vcpu *vcpu);

/*
 * Enter the guest and handle exits until one the caller must see: a ucall or
 * the VM stopping. Errors of the guest (triple fault, internal error) stop
 * the VM with a message and return VCPU_EXIT_STOPPED; a failing host ioctl
 * does too (VM_STOP_HOST_ERROR).
 */
int vcpu_run(struct vcpu *vcpu);

/*
 * Kick the vCPU out of KVM_RUN: from any thread, at any time until
 * vcpu_destroy(), whether or not its thread runs. The next KVM_RUN returns at
 * once (immediate_exit) until vcpu_clear_kick().
 */
void vcpu_kick(struct vcpu *vcpu);
void vcpu_clear_kick(struct vcpu *vcpu);

/* Run fn(vcpu) on a new thread. 0 or -errno. */
int vcpu_thread_start(struct vcpu *vcpu, void *(*fn)(void *)) __must_check;

/*
 * Kick the vCPU's thread and join it. Safe to call from several threads at
 * once and more than once: exactly one caller joins, the others return at
 * once (the thread may then still be finishing). The VM must be stopped
 * (vm_stop) first, or the thread goes back into the guest.
 */
void vcpu_thread_stop(struct vcpu *vcpu);

/*
 * Put the vCPU in 64-bit long mode on the identity page tables and flat GDT
 * that x86_boot_tables_write() placed in guest RAM, with the given rip, rsp,
 * rsi (Linux: boot_params) and rdi (guest images: CPU index), interrupts off.
 * 0 or -errno.
 */
int vcpu_set_long_mode(struct vcpu *vcpu, uint64_t rip, uint64_t rsp, uint64_t rsi,
		       uint64_t rdi) __must_check;

/*
 * Record the vCPU's current state as its power-on state (vcpu_create() does,
 * before the first run), and put it back (a guest reboot). 0 or -errno.
 */
int vcpu_poweron_save(struct vcpu *vcpu) __must_check;
int vcpu_poweron_restore(struct vcpu *vcpu) __must_check;

/* The vCPU's TSC rate in kHz (KVM_GET_TSC_KHZ), or 0 when KVM does not say. */
unsigned vcpu_tsc_khz(struct vcpu *vcpu);

/* Read one KVM statistic of this vCPU by name ("exits", "io_exits", ...). */
int vcpu_stat(struct vcpu *vcpu, const char *name, uint64_t *value) __must_check;

#endif
