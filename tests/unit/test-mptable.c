/*
 * The MP table: found the way Linux finds it (scan of 0xf0000-0xfffff for
 * "_MP_"), checksums, entry walk against the header's count and length, one
 * processor per CPU for 1, 2, 64 and 255 CPUs, the IOAPIC and the interrupt
 * assignments, and the rejections.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"
#include "memory-map.h"
#include "mptable.h"

#define RAM (2 * MiB)

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s += p[i];
	return s;
}

struct mp_seen {
	unsigned int cpus, bps, buses, ioapics, intsrc, lintsrc, pci_intsrc;
	uint8_t isa_irq0_pin;
	int isa_irq2_seen;
};

static const uint8_t *mp_find(const uint8_t *ram)
{
	for (uint64_t a = 0xf0000; a < 0x100000; a += 16) {
		const uint8_t *f = ram + a;

		if (!memcmp(f, "_MP_", 4) && f[8] == 1 && sum(f, 16) == 0)
			return f;
	}
	return NULL;
}

static void mp_walk(const uint8_t *ram, struct mp_seen *s)
{
	const uint8_t *f = mp_find(ram), *c, *e, *end;
	unsigned int count;

	memset(s, 0, sizeof(*s));
	assert_non_null(f);
	assert_int_equal(f[9], 4);
	assert_true(le_get(f + 4, 4) + 44 <= RAM);
	c = ram + le_get(f + 4, 4);
	assert_memory_equal(c, "PCMP", 4);
	assert_int_equal(c[6], 4);
	assert_int_equal(sum(c, le_get(c + 4, 2)), 0);
	assert_int_equal(le_get(c + 36, 4), GPA_LAPIC);
	end = c + le_get(c + 4, 2);
	count = le_get(c + 34, 2);
	for (e = c + 44; e < end; count--) {
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], s->cpus);
			assert_true(e[3] & 1);
			s->bps += !!(e[3] & 2);
			if (e[3] & 2)
				assert_int_equal(e[1], 0);
			s->cpus++;
			e += 20;
			break;
		case 1:
			s->buses++;
			e += 8;
			break;
		case 2:
			assert_int_equal(le_get(e + 4, 4), GPA_IOAPIC);
			assert_true(e[3] & 1);
			s->ioapics++;
			e += 8;
			break;
		case 3:
			s->intsrc++;
			if (e[1] == 0 && e[4] == 0 && e[5] == 0)
				s->isa_irq0_pin = e[7];
			if (e[1] == 0 && e[4] == 0 && e[5] == 2)
				s->isa_irq2_seen = 1;
			if (e[4] == 1) {
				assert_int_equal(le_get(e + 2, 2), 0x000f);
				s->pci_intsrc++;
			}
			e += 8;
			break;
		case 4:
			s->lintsrc++;
			e += 8;
			break;
		default:
			fail_msg("unknown MP entry type %u", e[0]);
		}
		assert_true(e <= end);
	}
	assert_int_equal(count, 0);
	assert_true(e == end);
}

static void test_cpu_counts(void **state)
{
	static const unsigned int counts[] = { 1, 2, 64, MPTABLE_MAX_CPUS };
	struct guest_mem mem = { .n_regions = 0 };
	uint8_t *ram = calloc(1, RAM);
	struct mp_seen s;

	assert_non_null(ram);
	assert_int_equal(guest_mem_add(&mem, 0, RAM, ram, -1, 0), 0);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		memset(ram + GPA_MPTABLE, 0, GPA_MPTABLE_SIZE);
		assert_int_equal(mptable_build(&mem, counts[i], 0, NULL, 0), 0);
		mp_walk(ram, &s);
		assert_int_equal(s.cpus, counts[i]);
		assert_int_equal(s.bps, 1);
		assert_int_equal(s.buses, 1);
		assert_int_equal(s.ioapics, 1);
		assert_int_equal(s.intsrc, 15);      /* ISA IRQs but 2 */
		assert_int_equal(s.isa_irq0_pin, 2);
		assert_false(s.isa_irq2_seen);
		assert_int_equal(s.lintsrc, 2);
	}
	free(ram);
}

static void test_pci_routes(void **state)
{
	struct acpi_pci_irq irqs[] = { { 1, 0, 16 }, { 1, 1, 17 }, { 2, 0, 18 } };
	struct guest_mem mem = { .n_regions = 0 };
	uint8_t *ram = calloc(1, RAM);
	struct mp_seen s;

	assert_non_null(ram);
	assert_int_equal(guest_mem_add(&mem, 0, RAM, ram, -1, 0), 0);
	assert_int_equal(mptable_build(&mem, 2, 0, irqs, 3), 0);
	mp_walk(ram, &s);
	assert_int_equal(s.buses, 2);
	assert_int_equal(s.pci_intsrc, 3);
	free(ram);
}

static void test_rejects(void **state)
{
	struct acpi_pci_irq bad_gsi = { 1, 0, 300 }, bad_slot = { 32, 0, 16 };
	struct guest_mem mem = { .n_regions = 0 }, empty = { .n_regions = 0 };
	uint8_t *ram = calloc(1, RAM);

	assert_non_null(ram);
	assert_int_equal(guest_mem_add(&mem, 0, RAM, ram, -1, 0), 0);
	assert_int_equal(mptable_build(&mem, 0, 0, NULL, 0), -EINVAL);
	assert_int_equal(mptable_build(&mem, MPTABLE_MAX_CPUS + 1, 0, NULL, 0), -EINVAL);
	assert_int_equal(mptable_build(&mem, 1, 0, &bad_gsi, 1), -EINVAL);
	assert_int_equal(mptable_build(&mem, 1, 0, &bad_slot, 1), -EINVAL);
	assert_int_equal(mptable_build(&mem, 1, 0, NULL, 1), -EINVAL);
	assert_int_equal(mptable_build(&empty, 1, 0, NULL, 0), -EFAULT);
	assert_null(mp_find(ram));
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_counts),
		cmocka_unit_test(test_pci_routes),
		cmocka_unit_test(test_rejects),
	};

	return cmocka_run_group_tests_name("mptable", tests, NULL, NULL);
}
