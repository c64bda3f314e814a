/*
 * The guest's CPUID table: what x86_cpuid_complete() adds to KVM's supported
 * set (TSC-deadline bit, brand string and L1 cache leaves from the host CPU),
 * and the per-vCPU topology of x86_cpuid_for_vcpu(), on hand-made tables.
 */
#include <cpuid.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "x86-cpuid.h"

#define MAX_ENT 16

static struct kvm_cpuid2 *table_new(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + MAX_ENT * sizeof(c->entries[0]));

	assert_non_null(c);
	return c;
}

static struct kvm_cpuid_entry2 *table_add(struct kvm_cpuid2 *c, uint32_t function, uint32_t index)
{
	struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];

	assert_true(c->nent <= MAX_ENT);
	e->function = function;
	e->index = index;
	return e;
}

static const struct kvm_cpuid_entry2 *table_get(const struct kvm_cpuid2 *c, uint32_t function,
						uint32_t index)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == function && c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

/* The brand string as 48 bytes from table entries 0x80000002..4. */
static void brand_of(const struct kvm_cpuid2 *c, char out[49])
{
	for (unsigned i = 0; i < 3; i++) {
		const struct kvm_cpuid_entry2 *e = table_get(c, 0x80000002 + i, 0);
		uint32_t r[4] = { e->eax, e->ebx, e->ecx, e->edx };

		memcpy(out + 16 * i, r, 16);
	}
	out[48] = 0;
}

static void host_brand(char out[49])
{
	for (unsigned i = 0; i < 3; i++) {
		uint32_t r[4];

		__cpuid(0x80000002 + i, r[0], r[1], r[2], r[3]);
		memcpy(out + 16 * i, r, 16);
	}
	out[48] = 0;
}

static void test_complete_fills_zeroed_host_leaves(void **state)
{
	struct kvm_cpuid2 *c = table_new();
	char want[49], got[49];

	(void)state;
	if (__get_cpuid_max(0x80000000, NULL) < 0x80000004)
		skip();
	table_add(c, 1, 0)->ecx = 0x1;
	for (uint32_t leaf = 0x80000002; leaf <= 0x80000004; leaf++)
		table_add(c, leaf, 0);
	x86_cpuid_complete(c, false);
	host_brand(want);
	brand_of(c, got);
	assert_string_equal(got, want);
	assert_true(got[0] != 0); /* this host's CPU has a brand string */
	assert_int_equal(table_get(c, 1, 0)->ecx, 0x1);
	assert_null(table_get(c, 0x80000005, 0)); /* not listed: not added */
	free(c);
}

static void test_complete_keeps_what_kvm_gave(void **state)
{
	struct kvm_cpuid2 *c = table_new();
	struct kvm_cpuid_entry2 *e;

	(void)state;
	e = table_add(c, 0x80000002, 0);
	e->eax = 0x41414141;
	x86_cpuid_complete(c, false);
	assert_int_equal(e->eax, 0x41414141);
	assert_int_equal(e->ebx, 0);
	free(c);
}

static void test_complete_tsc_deadline(void **state)
{
	struct kvm_cpuid2 *c = table_new();

	(void)state;
	table_add(c, 1, 0);
	x86_cpuid_complete(c, false);
	assert_false(table_get(c, 1, 0)->ecx & X86_CPUID_1_ECX_TSC_DEADLINE);
	x86_cpuid_complete(c, true);
	assert_true(table_get(c, 1, 0)->ecx & X86_CPUID_1_ECX_TSC_DEADLINE);
	free(c);
}

static void test_for_vcpu_topology(void **state)
{
	struct kvm_cpuid2 *c = table_new(), *v;
	const struct kvm_cpuid_entry2 *e;

	(void)state;
	table_add(c, 1, 0)->edx = 1u << 28;
	table_add(c, 0xb, 0); /* KVM's own leaf 0xb is replaced */
	table_add(c, 0x80000008, 0)->ecx = 0xff;
	assert_int_equal(x86_cpuid_for_vcpu(c, 2, 3, &v), 0);
	e = table_get(v, 1, 0);
	assert_int_equal(e->ebx >> 24, 2);          /* initial APIC ID */
	assert_int_equal((e->ebx >> 16) & 0xff, 3); /* logical processors */
	assert_true(e->edx & (1u << 28));           /* HTT with more than one */
	assert_int_equal(table_get(v, 0xb, 0)->ebx, 1);     /* SMT: one thread per core */
	assert_int_equal(table_get(v, 0xb, 1)->ebx, 3);     /* cores in the package */
	assert_int_equal(table_get(v, 0xb, 1)->eax, 2);     /* x2APIC ID shift for 3 */
	assert_int_equal(table_get(v, 0xb, 1)->edx, 2);     /* this vCPU's x2APIC ID */
	assert_int_equal(table_get(v, 0x80000008, 0)->ecx & 0xff, 2); /* cores - 1 */
	free(v);
	assert_int_equal(x86_cpuid_for_vcpu(c, 0, 1, &v), 0);
	assert_false(table_get(v, 1, 0)->edx & (1u << 28)); /* no HTT alone */
	free(v);
	free(c);
}

/*
 * Leaf 0xd is KVM's: it rewrites EBX of subleaves 0 and 1 (the XSAVE area
 * sizes for the guest's XCR0) at KVM_SET_CPUID2 and whenever the guest changes
 * XCR0, and finds subleaf 1 only through its index and the significant-index
 * flag. The per-vCPU table keeps every subleaf as KVM reported it.
 */
static void test_for_vcpu_keeps_xsave_leaf(void **state)
{
	static const struct kvm_cpuid_entry2 xsave[] = {
		{ .function = 0xd, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		  .eax = 0x7, .ebx = 0x340, .ecx = 0x340 },
		/* XSAVEOPT, XSAVEC, XGETBV1; EBX the compacted size */
		{ .function = 0xd, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		  .eax = 0x7, .ebx = 0x340 },
		{ .function = 0xd, .index = 2, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		  .eax = 0x100, .ebx = 0x240 },
	};
	struct kvm_cpuid2 *c = table_new(), *v;

	(void)state;
	table_add(c, 1, 0);
	for (unsigned i = 0; i < 3; i++)
		*table_add(c, 0xd, i) = xsave[i];
	x86_cpuid_complete(c, true);
	assert_int_equal(x86_cpuid_for_vcpu(c, 1, 2, &v), 0);
	for (unsigned i = 0; i < 3; i++)
		assert_memory_equal(table_get(v, 0xd, i), &xsave[i], sizeof(xsave[i]));
	free(v);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete_fills_zeroed_host_leaves),
		cmocka_unit_test(test_complete_keeps_what_kvm_gave),
		cmocka_unit_test(test_complete_tsc_deadline),
		cmocka_unit_test(test_for_vcpu_topology),
		cmocka_unit_test(test_for_vcpu_keeps_xsave_leaf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
