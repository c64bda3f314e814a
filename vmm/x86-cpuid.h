/*
 * CPUID for the guest: KVM's supported set with a topology that matches the
 * VM: one package, ncpus cores, one thread per core, APIC ID = vCPU index.
 */
#ifndef IOVIRT_X86_CPUID_H
#define IOVIRT_X86_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>

#include "compiler.h"

#define X86_CPUID_1_ECX_TSC_DEADLINE (1u << 24)

/*
 * KVM_GET_SUPPORTED_CPUID into a malloc'd table (caller frees), completed by
 * x86_cpuid_complete() (the TSC-deadline bit when KVM_CAP_TSC_DEADLINE_TIMER).
 * 0 or -errno.
 */
int x86_cpuid_supported(int kvm_fd, struct kvm_cpuid2 **out) __must_check;

/*
 * What KVM's supported table leaves to the VMM: leaf 1's TSC-deadline bit
 * when tsc_deadline (the in-kernel LAPIC implements it; KVM never lists it),
 * and the leaves KVM lists as all zero though the host CPU answers them: the
 * brand string (0x80000002..4) and the L1 cache and TLB descriptors
 * (0x80000005), taken from the host's CPUID. Leaves not in c are not added.
 */
void x86_cpuid_complete(struct kvm_cpuid2 *c, bool tsc_deadline);

/*
 * A copy of supported (caller frees) adjusted for vCPU apic_id of ncpus:
 * leaf 1 (initial APIC ID, logical count, HTT), leaf 4 (cores per package),
 * leaves 0xb/0x1f (x2APIC topology), 0x80000008 (core count). 0 or -ENOMEM.
 *
 * Leaf 0xd stays as KVM listed it, flags included: KVM itself rewrites EBX of
 * subleaves 0 and 1 (the XSAVE area sizes for the guest's XCR0) at
 * KVM_SET_CPUID2 and on each change of XCR0, IA32_XSS or CR4.OSXSAVE, and
 * finds subleaf 1 only by its index under KVM_CPUID_FLAG_SIGNIFCANT_INDEX.
 * Subleaf 1's EBX is 0 when its EAX has neither XSAVEC nor XSAVES (KVM then
 * leaves it alone, e.g. nested under QEMU's TCG, which implements neither);
 * guests read it only to size the compacted format those two use.
 */
int x86_cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned apic_id, unsigned ncpus,
		       struct kvm_cpuid2 **out) __must_check;

#endif
