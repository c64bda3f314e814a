/* Strict number parsing: sizes and counts parse exactly or are refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "parse.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

static uint64_t size_ok(const char *s)
{
	uint64_t v = 0;

	assert_int_equal(parse_size(s, 0, UINT64_MAX, &v), 0);
	return v;
}

static int size_err(const char *s)
{
	uint64_t v = 12345;
	int ret = parse_size(s, 1, 8 * TiB, &v);

	assert_int_equal(v, 12345); /* untouched on failure */
	return ret;
}

static void sizes_with_units(void **state)
{
	assert_int_equal(size_ok("0"), 0);
	assert_int_equal(size_ok("4096"), 4096);
	assert_int_equal(size_ok("512M"), 512 * MiB);
	assert_int_equal(size_ok("512m"), 512 * MiB);
	assert_int_equal(size_ok("2G"), 2 * GiB);
	assert_int_equal(size_ok("2GiB"), 2 * GiB);
	assert_int_equal(size_ok("3k"), 3 * KiB);
	assert_int_equal(size_ok("1T"), TiB);
	assert_int_equal(size_ok("1P"), 1024 * TiB);
	assert_int_equal(size_ok("15E"), 15ULL << 60);
	assert_int_equal(size_ok("01000M"), 1000 * MiB); /* decimal, not octal */
	assert_int_equal(size_ok("18446744073709551615"), UINT64_MAX);
}

static void sizes_refused(void **state)
{
	assert_int_equal(size_err(""), -EINVAL);
	assert_int_equal(size_err("M"), -EINVAL);
	assert_int_equal(size_err("-1G"), -EINVAL);
	assert_int_equal(size_err("-17179803648G"), -EINVAL);
	assert_int_equal(size_err("+1G"), -EINVAL);
	assert_int_equal(size_err(" 1G"), -EINVAL);
	assert_int_equal(size_err("1G "), -EINVAL);
	assert_int_equal(size_err("0x100M"), -EDOM);
	assert_int_equal(size_err("1.5G"), -EINVAL);
	assert_int_equal(size_err("1GB"), -EINVAL);
	assert_int_equal(size_err("1Gi"), -EINVAL);
	assert_int_equal(size_err("1GG"), -EINVAL);
	assert_int_equal(size_err("1X"), -EDOM);
	assert_int_equal(size_err("1Z"), -EDOM);
	assert_int_equal(size_err("1X2"), -EDOM);
}

static void sizes_out_of_range(void **state)
{
	assert_int_equal(size_err("17179869185G"), -ERANGE); /* 2^64 + 2^30: would wrap to 1 GiB */
	assert_int_equal(size_err("16E"), -ERANGE);
	assert_int_equal(size_err("18446744073709551616"), -ERANGE);
	assert_int_equal(size_err("99999999999999999999999M"), -ERANGE);
	assert_int_equal(size_err("0"), -ERANGE);
	assert_int_equal(size_err("9T"), -ERANGE);
	assert_int_equal(size_err("8193G"), -ERANGE);
	assert_int_equal(parse_size("8T", 1, 8 * TiB, &(uint64_t){ 0 }), 0);
	/* junk after an overflowing number is a syntax error, not a range error */
	assert_int_equal(size_err("99999999999999999999999-"), -EINVAL);
}

static void counts(void **state)
{
	unsigned u = 7;
	uint64_t v = 7;

	assert_int_equal(parse_uint("1", 1, 64, &u), 0);
	assert_int_equal(u, 1);
	assert_int_equal(parse_uint("064", 1, 64, &u), 0);
	assert_int_equal(u, 64);
	assert_int_equal(parse_uint("65", 1, 64, &u), -ERANGE);
	assert_int_equal(parse_uint("0", 1, 64, &u), -ERANGE);
	assert_int_equal(parse_uint("4294967297", 1, 64, &u), -ERANGE); /* 2^32 + 1 */
	assert_int_equal(parse_uint("-1", 0, 64, &u), -EINVAL);
	assert_int_equal(parse_uint("2x", 0, 64, &u), -EINVAL);
	assert_int_equal(parse_uint("0x10", 0, 64, &u), -EINVAL);
	assert_int_equal(parse_uint("", 0, 64, &u), -EINVAL);
	assert_int_equal(parse_uint("1e3", 0, 5000, &u), -EINVAL);
	assert_int_equal(u, 64);
	assert_int_equal(parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
}

static void formatting(void **state)
{
	char buf[32];

	assert_string_equal(parse_size_format(8 * TiB, buf, sizeof(buf)), "8 TiB");
	assert_string_equal(parse_size_format(2 * MiB, buf, sizeof(buf)), "2 MiB");
	assert_string_equal(parse_size_format(1536 * KiB, buf, sizeof(buf)), "1536 KiB");
	assert_string_equal(parse_size_format(7, buf, sizeof(buf)), "7 bytes");
	assert_string_equal(parse_size_format(0, buf, sizeof(buf)), "0 bytes");
	assert_string_equal(parse_size_format(UINT64_MAX, buf, sizeof(buf)),
			    "18446744073709551615 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes_with_units),
		cmocka_unit_test(sizes_refused),
		cmocka_unit_test(sizes_out_of_range),
		cmocka_unit_test(counts),
		cmocka_unit_test(formatting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
