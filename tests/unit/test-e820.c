/* The e820 map: layout for several RAM sizes, ordering, non-overlap, and the append rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "e820.h"
#include "memory-map.h"

static uint64_t ram_total(const struct e820_map *m)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < m->n; i++)
		if (m->entries[i].type == E820_TYPE_RAM)
			sum += m->entries[i].size;
	return sum;
}

/* Independent of e820_map_is_valid(): strictly ascending, no overlap, no wrap. */
static void check_sorted(const struct e820_map *m)
{
	for (unsigned int i = 0; i < m->n; i++) {
		const struct e820_entry *e = &m->entries[i];

		assert_true(e->size > 0);
		assert_true(e->addr + e->size - 1 >= e->addr);
		if (i)
			assert_true(m->entries[i - 1].addr + m->entries[i - 1].size <= e->addr);
	}
	assert_true(e820_map_is_valid(m));
}

static bool has_entry(const struct e820_map *m, uint64_t addr, uint64_t size, uint32_t type)
{
	for (unsigned int i = 0; i < m->n; i++)
		if (m->entries[i].addr == addr && m->entries[i].size == size &&
		    m->entries[i].type == type)
			return true;
	return false;
}

static void check_common(const struct e820_map *m)
{
	check_sorted(m);
	assert_true(has_entry(m, 0, 0x9fc00, E820_TYPE_RAM));
	assert_true(has_entry(m, GPA_PCI_ECAM, GPA_PCI_ECAM_SIZE, E820_TYPE_RESERVED));
	/* nothing between 640 KiB and 1 MiB is RAM; the BIOS table area is reserved */
	assert_false(e820_map_is_ram(m, 0x9fc00, 1));
	assert_false(e820_map_is_ram(m, GPA_BIOS_TABLES, 16));
	assert_false(e820_map_is_ram(m, GPA_LEGACY_HOLE_END - 1, 1));
	assert_true(e820_map_is_ram(m, GPA_LEGACY_HOLE_END, 4096));
	assert_false(e820_map_is_ram(m, GPA_PCI_ECAM, 1));
	assert_false(e820_map_is_ram(m, GPA_IOAPIC, 1));
}

static void test_small_guest(void **state)
{
	struct e820_map m;
	uint64_t ram = 256 * MiB;

	assert_int_equal(e820_map_build(&m, ram), 0);
	check_common(&m);
	assert_true(has_entry(&m, MiB, ram - MiB, E820_TYPE_RAM));
	assert_int_equal(ram_total(&m), ram - (GPA_LEGACY_HOLE_END - 0x9fc00));
	assert_true(e820_map_is_ram(&m, ram - 4096, 4096));
	assert_false(e820_map_is_ram(&m, ram - 4096, 4097));
	assert_false(e820_map_is_ram(&m, ram, 1));
	assert_false(e820_map_is_ram(&m, GPA_RAM_HIGH_START, 1));
}

static void test_low_end_exact(void **state)
{
	struct e820_map m;

	assert_int_equal(e820_map_build(&m, GPA_RAM_LOW_END), 0);
	check_common(&m);
	assert_true(has_entry(&m, MiB, GPA_RAM_LOW_END - MiB, E820_TYPE_RAM));
	assert_false(e820_map_is_ram(&m, GPA_RAM_HIGH_START, 1));
}

static void test_high_ram(void **state)
{
	struct e820_map m;
	uint64_t ram = 8 * GiB;

	assert_int_equal(e820_map_build(&m, ram), 0);
	check_common(&m);
	assert_true(has_entry(&m, MiB, GPA_RAM_LOW_END - MiB, E820_TYPE_RAM));
	assert_true(has_entry(&m, GPA_RAM_HIGH_START, ram - GPA_RAM_LOW_END, E820_TYPE_RAM));
	assert_int_equal(m.entries[m.n - 1].addr, GPA_RAM_HIGH_START);
	assert_int_equal(ram_total(&m), ram - (GPA_LEGACY_HOLE_END - 0x9fc00));
	assert_false(e820_map_is_ram(&m, GPA_RAM_LOW_END, 1));
	/* a range spanning low and high RAM is not one RAM range */
	assert_false(e820_map_is_ram(&m, GPA_RAM_LOW_END - 4096, GPA_RAM_HIGH_START));
}

static void test_bad_sizes(void **state)
{
	struct e820_map m;

	assert_int_equal(e820_map_build(&m, 0), -ENOMEM);
	assert_int_equal(e820_map_build(&m, MiB), -ENOMEM);
	assert_int_equal(e820_map_build(&m, E820_RAM_MIN - 1), -ENOMEM);
	assert_int_equal(e820_map_build(&m, E820_RAM_MIN), 0);
	check_common(&m);
	/* so large that high RAM would wrap past 2^64 */
	assert_int_equal(e820_map_build(&m, UINT64_MAX), -ENOMEM);
}

static void test_add_rules(void **state)
{
	struct e820_map m = { .n = 0 };

	assert_int_equal(e820_map_add(&m, 0x1000, 0, E820_TYPE_RAM), -EINVAL);
	assert_int_equal(e820_map_add(&m, UINT64_MAX - 10, 100, E820_TYPE_RAM), -EINVAL);
	assert_int_equal(e820_map_add(&m, 0x10000, 0x1000, E820_TYPE_RAM), 0);
	assert_int_equal(e820_map_add(&m, 0x10800, 0x1000, E820_TYPE_RAM), -EINVAL); /* overlap */
	assert_int_equal(e820_map_add(&m, 0x1000, 0x1000, E820_TYPE_RAM), -EINVAL);  /* order */
	assert_int_equal(e820_map_add(&m, 0x11000, 0x1000, E820_TYPE_RESERVED), 0); /* adjacent */
	assert_int_equal(m.n, 2);
	for (uint64_t a = 0x100000; m.n < E820_MAX_ENTRIES; a += 0x1000)
		assert_int_equal(e820_map_add(&m, a, 0x1000, E820_TYPE_RAM), 0);
	assert_int_equal(e820_map_add(&m, 0x10000000, 0x1000, E820_TYPE_RAM), -ENOSPC);
	check_sorted(&m);
}

static void test_is_valid_rejects(void **state)
{
	struct e820_map m = { .n = 2 };

	m.entries[0] = (struct e820_entry){ .addr = 0x2000, .size = 0x1000, .type = 1 };
	m.entries[1] = (struct e820_entry){ .addr = 0x1000, .size = 0x1000, .type = 1 };
	assert_false(e820_map_is_valid(&m));
	m.entries[1] = (struct e820_entry){ .addr = 0x2800, .size = 0x1000, .type = 1 };
	assert_false(e820_map_is_valid(&m));
	m.entries[1] = (struct e820_entry){ .addr = 0x3000, .size = 0, .type = 1 };
	assert_false(e820_map_is_valid(&m));
	m.entries[1] = (struct e820_entry){ .addr = 0x3000, .size = 0x1000, .type = 1 };
	assert_true(e820_map_is_valid(&m));
	m.n = E820_MAX_ENTRIES + 1;
	assert_false(e820_map_is_valid(&m));
	assert_int_equal(sizeof(struct e820_entry), 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_guest),
		cmocka_unit_test(test_low_end_exact),
		cmocka_unit_test(test_high_ram),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_add_rules),
		cmocka_unit_test(test_is_valid_rejects),
	};

	return cmocka_run_group_tests_name("e820", tests, NULL, NULL);
}
