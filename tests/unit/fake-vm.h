/*
 * A struct vm without KVM, for unit tests of the PCI root and device models:
 * buses, locks and a malloc'd RAM region are real; vm_fd is -1, so anything
 * that would reach KVM fails (and is logged) instead. Free with
 * fake_vm_destroy(), which runs the teardowns like vm_destroy() does.
 */
#ifndef IOVIRT_TEST_FAKE_VM_H
#define IOVIRT_TEST_FAKE_VM_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

static inline void fake_vm_init(struct vm *vm, uint64_t ram_size)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->mem_fd = vm->console_fd = -1;
	pthread_mutex_init(&vm->stop_lock, NULL);
	pthread_mutex_init(&vm->slot_lock, NULL);
	pthread_cond_init(&vm->stop_cond, NULL);
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	if (gsi_router_init(&vm->gsi, -1) != -EBADF) /* the table exists; committing it fails */
		abort();
	vm->ram = calloc(1, ram_size);
	vm->ram_size = ram_size;
	if (!vm->ram || guest_mem_add(&vm->mem, 0, ram_size, vm->ram, -1, 0))
		abort();
}

static inline void fake_vm_destroy(struct vm *vm)
{
	void *ram = vm->ram;

	vm->ram = NULL; /* malloc'd, not mmap'd: vm_destroy must not munmap it */
	vm_destroy(vm);
	free(ram);
}

#endif
