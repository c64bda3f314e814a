#include "x86-cpuid.h"

#include <cpuid.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == function && !c->entries[i].index)
			return &c->entries[i];
	return NULL;
}

void x86_cpuid_complete(struct kvm_cpuid2 *c, bool tsc_deadline)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, 1);
	unsigned host_max = __get_cpuid_max(0x80000000, NULL);

	if (e && tsc_deadline)
		e->ecx |= X86_CPUID_1_ECX_TSC_DEADLINE;
	for (uint32_t leaf = 0x80000002; leaf <= 0x80000005 && leaf <= host_max; leaf++) {
		e = cpuid_find(c, leaf);
		if (e && !(e->eax | e->ebx | e->ecx | e->edx))
			__cpuid(leaf, e->eax, e->ebx, e->ecx, e->edx);
	}
}

int x86_cpuid_supported(int kvm_fd, struct kvm_cpuid2 **out)
{
	for (unsigned nent = 64; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

		if (!c)
			return -ENOMEM;
		c->nent = nent;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c)) {
			x86_cpuid_complete(c, ioctl(kvm_fd, KVM_CHECK_EXTENSION,
						    KVM_CAP_TSC_DEADLINE_TIMER) > 0);
			*out = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return -errno;
	}
	return -E2BIG;
}

/* Bits needed to number n items (the x2APIC ID shift for a level of n). */
static unsigned cpuid_order(unsigned n)
{
	unsigned s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

static void cpuid_topology_leaf(struct kvm_cpuid_entry2 *e, unsigned apic_id, unsigned ncpus)
{
	e->edx = apic_id;
	switch (e->index) {
	case 0: /* SMT level: one thread per core */
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (1u << 8) | 0;
		break;
	case 1: /* core level: every vCPU in one package */
		e->eax = cpuid_order(ncpus);
		e->ebx = ncpus;
		e->ecx = (2u << 8) | 1;
		break;
	default:
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index;
		break;
	}
}

static void cpuid_adjust(struct kvm_cpuid_entry2 *e, unsigned apic_id, unsigned ncpus)
{
	switch (e->function) {
	case 1:
		e->ebx = (e->ebx & 0x0000ffff) | (apic_id << 24) | ((ncpus & 0xff) << 16);
		e->ecx |= 1u << 31; /* running under a hypervisor: guests then read leaf 0x40000000 */
		if (ncpus > 1)
			e->edx |= 1u << 28;
		else
			e->edx &= ~(1u << 28);
		break;
	case 4:
		if (!(e->eax & 0x1f))
			break; /* the terminating "no more caches" subleaf */
		e->eax = (e->eax & 0x3fff) | ((ncpus - 1) << 26);
		/* threads sharing: 1 for private caches (level < 3), all for L3 */
		if (((e->eax >> 5) & 7) >= 3)
			e->eax |= (ncpus - 1) << 14;
		break;
	case 0x1f:
		cpuid_topology_leaf(e, apic_id, ncpus);
		break;
	case 0x80000008:
		e->ecx = (e->ecx & ~0xf0ffu) | (ncpus - 1) | (cpuid_order(ncpus) << 12);
		break;
	}
}

/* Replace whatever KVM listed for leaf 0xb with the three subleaves of our topology. */
static void cpuid_set_topology(struct kvm_cpuid2 *c, unsigned apic_id, unsigned ncpus)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function != 0xb)
			c->entries[n++] = c->entries[i];
	for (unsigned sub = 0; sub < 3; sub++) {
		struct kvm_cpuid_entry2 *e = &c->entries[n++];

		*e = (struct kvm_cpuid_entry2){ .function = 0xb, .index = sub,
						.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
		cpuid_topology_leaf(e, apic_id, ncpus);
	}
	c->nent = n;
}

int x86_cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned apic_id, unsigned ncpus,
		       struct kvm_cpuid2 **out)
{
	size_t sz = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz + 3 * sizeof(supported->entries[0]));

	if (!c)
		return -ENOMEM;
	memcpy(c, supported, sz);
	for (unsigned i = 0; i < c->nent; i++)
		cpuid_adjust(&c->entries[i], apic_id, ncpus);
	cpuid_set_topology(c, apic_id, ncpus);
	*out = c;
	return 0;
}
