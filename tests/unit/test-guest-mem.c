/* The gpa -> host translation that every device uses: bounds, holes, wrap-around. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest-mem.h"

static uint8_t low[4096], high[4096];

static struct guest_mem two_regions(void)
{
	struct guest_mem m = { 0 };

	assert_int_equal(guest_mem_add(&m, 0x0, sizeof(low), low, -1, 0), 0);
	assert_int_equal(guest_mem_add(&m, 0x10000, sizeof(high), high, -1, 0), 0);
	return m;
}

static void test_inside(void **state)
{
	struct guest_mem m = two_regions();

	assert_ptr_equal(gpa_to_hva(&m, 0, 4096), low);
	assert_ptr_equal(gpa_to_hva(&m, 0x10ff0, 16), high + 0xff0);
	assert_ptr_equal(gpa_to_hva(&m, 0x10fff, 1), high + 0xfff);
}

static void test_outside_and_straddling(void **state)
{
	struct guest_mem m = two_regions();

	assert_null(gpa_to_hva(&m, 0x1000, 1));       /* the hole */
	assert_null(gpa_to_hva(&m, 0xfff, 2));        /* runs off the end of low */
	assert_null(gpa_to_hva(&m, 0xffff, 2));       /* starts in the hole */
	assert_null(gpa_to_hva(&m, 0x10000, 4097));   /* longer than the region */
	assert_null(gpa_to_hva(&m, 0x11000, 0));      /* zero length outside RAM */
	assert_non_null(gpa_to_hva(&m, 0x10000, 0));  /* zero length inside RAM */
}

static void test_wrap_around(void **state)
{
	struct guest_mem m = two_regions();
	uint8_t big[16];

	assert_null(gpa_to_hva(&m, 0x10, UINT64_MAX));
	assert_null(gpa_to_hva(&m, UINT64_MAX, 2));
	assert_int_equal(guest_mem_add(&m, UINT64_MAX - 7, 16, big, -1, 0), -EINVAL);
}

static void test_add_rejects_overlap_and_empty(void **state)
{
	struct guest_mem m = two_regions();
	uint8_t other[16];

	assert_int_equal(guest_mem_add(&m, 0xff0, 32, other, -1, 0), -EINVAL);
	assert_int_equal(guest_mem_add(&m, 0x10ff0, 16, other, -1, 0), -EINVAL);
	assert_int_equal(guest_mem_add(&m, 0x20000, 0, other, -1, 0), -EINVAL);
	assert_int_equal(guest_mem_add(&m, 0x20000, 16, NULL, -1, 0), -EINVAL);
	assert_int_equal(guest_mem_add(&m, 0x1000, 16, other, -1, 0), 0); /* touching low is fine */
	for (int i = 3; i < GUEST_MEM_MAX_REGIONS; i++)
		assert_int_equal(guest_mem_add(&m, 0x100000ULL * (uint64_t)i, 16, other, -1, 0), 0);
	assert_int_equal(guest_mem_add(&m, 0x10000000, 16, other, -1, 0), -ENOSPC);
}

static void test_copy(void **state)
{
	struct guest_mem m = two_regions();
	char buf[8];

	assert_int_equal(guest_mem_write(&m, 0x10004, "iovirt", 7), 0);
	assert_int_equal(guest_mem_read(&m, 0x10004, buf, 7), 0);
	assert_string_equal(buf, "iovirt");
	assert_int_equal(guest_mem_read(&m, 0x0ffc, buf, 8), -EFAULT);
	assert_int_equal(guest_mem_write(&m, 0x5000, "x", 1), -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inside),
		cmocka_unit_test(test_outside_and_straddling),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_add_rejects_overlap_and_empty),
		cmocka_unit_test(test_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
