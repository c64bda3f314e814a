/* sysfs helpers: parsing, trimming, links, limits, against files in a temporary directory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sysfs.h"

static char dir[] = "/tmp/iovirt-sysfs-XXXXXX";

static void put(const char *name, const char *content)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static const char *at(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_read_long(void **state)
{
	long v;

	put("hex", "0x8086\n");
	assert_int_equal(sysfs_read_long(at("hex"), &v), 0);
	assert_int_equal(v, 0x8086);
	put("neg", "-1\n");
	assert_int_equal(sysfs_read_long(at("neg"), &v), 0);
	assert_int_equal(v, -1);
	put("junk", "12abc\n");
	assert_int_equal(sysfs_read_long(at("junk"), &v), -EINVAL);
	put("empty", "");
	assert_int_equal(sysfs_read_long(at("empty"), &v), -EINVAL);
	put("huge", "999999999999999999999999\n");
	assert_int_equal(sysfs_read_long(at("huge"), &v), -EINVAL);
	assert_int_equal(sysfs_read_long(at("absent"), &v), -ENOENT);
}

static void test_read_str_trims_and_bounds(void **state)
{
	char buf[8];

	put("s", "up\n");
	assert_int_equal(sysfs_read_str(at("s"), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "up");
	put("long", "0123456789abcdef\n");
	assert_int_equal(sysfs_read_str(at("long"), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0123456"); /* truncated, still terminated */
	assert_int_equal(sysfs_read_str(at("s"), buf, 0), -EINVAL);
}

static void test_link_name(void **state)
{
	char buf[16], path[256];

	snprintf(path, sizeof(path), "%s/drv", dir);
	assert_int_equal(symlink("../../bus/pci/drivers/ixgbe", path), 0);
	assert_int_equal(sysfs_read_link_name(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "ixgbe");
	snprintf(path, sizeof(path), "%s/longlink", dir);
	assert_int_equal(symlink("x/averyveryverylongname", path), 0);
	assert_int_equal(sysfs_read_link_name(path, buf, sizeof(buf)), -ENAMETOOLONG);
	assert_int_equal(sysfs_read_link_name(at("nolink"), buf, sizeof(buf)), -ENOENT);
}

static void test_path_too_long(void **state)
{
	char buf[16];

	assert_int_equal(sysfs_path(buf, sizeof(buf), "/sys", "%s", "bus/pci"), 0);
	assert_string_equal(buf, "/sys/bus/pci");
	assert_int_equal(sysfs_path(buf, sizeof(buf), "/sys", "%s", "bus/pci/devices"), -ENAMETOOLONG);
}

static int count(const char *name, void *opaque)
{
	(*(int *)opaque)++;
	return strcmp(name, "stop") ? 0 : 42;
}

static void test_for_each_entry(void **state)
{
	char sub[256];
	int n = 0;

	snprintf(sub, sizeof(sub), "%s/d", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(sysfs_for_each_entry(sub, count, &n), 0);
	assert_int_equal(n, 0);
	put("d/a", "");
	put("d/stop", "");
	put("d/z", "");
	assert_int_equal(sysfs_for_each_entry(sub, count, &n), 42); /* sorted: a, stop: stops there */
	assert_int_equal(n, 2);
	assert_int_equal(sysfs_for_each_entry(at("nodir"), count, &n), -ENOENT);
}

/* A FIFO planted where an attribute should be reads as junk at once, never blocks. */
static void test_fifo_never_blocks(void **state)
{
	char buf[16];
	long v;

	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	assert_int_equal(sysfs_read_str(at("fifo"), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(sysfs_read_long(at("fifo"), &v), -EINVAL);
	unlink(at("fifo"));
}

static void test_write(void **state)
{
	char buf[16];

	put("w", "");
	assert_int_equal(sysfs_write_str(at("w"), "vfio-pci"), 0);
	assert_int_equal(sysfs_read_str(at("w"), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vfio-pci");
	assert_int_equal(sysfs_write_str(at("nodir/w"), "x"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_long),
		cmocka_unit_test(test_read_str_trims_and_bounds),
		cmocka_unit_test(test_link_name),
		cmocka_unit_test(test_path_too_long),
		cmocka_unit_test(test_for_each_entry),
		cmocka_unit_test(test_fifo_never_blocks),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
