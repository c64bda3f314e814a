/*
 * CPUID for the guest: KVM's supported set with a topology that matches the
 * VM: one package, ncpus cores, one thread per core, APIC ID = vCPU index.
 */
#ifndef IOVIRT_X86_CPUID_H
#define IOVIRT_X86_CPUID_H

#include <linux/kvm.h>

#include "compiler.h"

/* KVM_GET_SUPPORTED_CPUID into a malloc'd table (caller frees). 0 or -errno. */
int x86_cpuid_supported(int kvm_fd, struct kvm_cpuid2 **out) __must_check;

/*
 * A copy of supported (caller frees) adjusted for vCPU apic_id of ncpus:
 * leaf 1 (initial APIC ID, logical count, HTT), leaf 4 (cores per package),
 * leaves 0xb/0x1f (x2APIC topology), 0x80000008 (core count). 0 or -ENOMEM.
 */
int x86_cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned apic_id, unsigned ncpus,
		       struct kvm_cpuid2 **out) __must_check;

#endif
