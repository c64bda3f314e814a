/*
 * Host side of the vmm test tier: guest programs live in the test file under
 * #ifdef IOVIRT_GUEST and are built into an ELF image that meson passes as
 * argv[1]. Every test skips (exit 77, with the reason) when /dev/kvm is not
 * usable; lab-vmm-tier runs them all inside the lab, where exit 77 is a failure
 * unless the test printed a line "SKIP-IN-LAB: <why>" (docs/lab.md).
 */
#ifndef IOVIRT_VMM_TEST_H
#define IOVIRT_VMM_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "platform.h"
#include "ucall.h"
#include "vcpu.h"
#include "vm.h"

#define TEST_SKIP 77

#define TEST_ASSERT(cond, ...)                                                        \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                 \
			fputc('\n', stderr);                                          \
			exit(1);                                                      \
		}                                                                     \
	} while (0)

/* Exit 77 with a reason unless /dev/kvm can be opened and a VM created. */
void test_require_kvm(void);

/* The guest image path from argv, or exit 1 with usage. */
const char *test_image(int argc, char **argv);

/*
 * Create a VM with ncpus vCPUs and mem bytes of RAM, the standard platform
 * (console to console_fd), and the guest image loaded on every vCPU, with
 * the seccomp sandbox on (vmm/sandbox.h: every vCPU and device thread started
 * from then on runs under its filter, as in iovirt run). Any failure ends the
 * test.
 */
void test_vm_create(struct vm *vm, struct platform *plat, const char *image, unsigned ncpus,
		    uint64_t mem, int console_fd);

/* After seconds, print that the run hung and exit 1 (SIGALRM; a VMM stuck in a device fails). */
void test_watchdog(unsigned seconds);

/*
 * When uc is the guest's GUEST_SYNC_TSC_KHZ (guest/host-link.h), answer it
 * with the vCPU's TSC rate (KVM_GET_TSC_KHZ) and return 1; else 0.
 */
int test_sync_tsc_answer(struct vcpu *vcpu, const struct ucall *uc);

/*
 * At least pages free 2 MiB hugepages (reserving more when root) and a
 * mounted hugetlbfs (mounting one at /dev/hugepages when none is), for
 * tests that start iovirt switch; says on stdout what it could not do.
 */
void test_hugepages_ensure(unsigned pages);

/* The number of open fds of this process (/proc/self/fd, its own listing fd included). */
int test_fd_count(void);
/* Whether the first 64 KiB of the file at path contain needle (false when unreadable). */
bool test_file_has(const char *path, const char *needle);
/* Run vcpu until its next ucall; fails the test if the VM stops instead. */
uint64_t test_vcpu_ucall(struct vcpu *vcpu, struct ucall *uc);

#endif
