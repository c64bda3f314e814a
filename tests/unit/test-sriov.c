/*
 * sriov_numvfs under the kernel's rules, against fixture copies and a fake
 * kernel that reacts to sriov_numvfs writes as drivers/pci/iov.c does
 * (range check, nonzero only through 0, virtfnN links made and removed, a
 * driver that may enable fewer VFs than asked); and the VF holders found in
 * a fixture /proc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sriov.h"
#include "sysfs.h"

#define PF "0000:03:00.0"

struct fake_kernel {
	char dir[256];        /* the temp dir: sys/ and proc/ under it */
	char sys[300], proc[300];
	int limit;            /* the driver enables at most this many VFs; -1: all */
	int fail;             /* errno the driver's sriov_configure returns; 0: none */
	int numvfs_writes;
	char log[256];        /* "autoprobe=0 numvfs=4 " in write order */
	struct sriov_env env;
};

#define assert_contains(haystack, needle)                                                   \
	do {                                                                                \
		if (!strstr((haystack), (needle)))                                          \
			fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));  \
	} while (0)

static void run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static long attr_long(struct fake_kernel *k, const char *bdf, const char *attr)
{
	char path[512];
	long v = -99;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", k->sys, bdf, attr);
	assert_int_equal(sysfs_read_long(path, &v), 0);
	return v;
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* drivers/pci/iov.c sriov_numvfs_store, with the driver's sriov_configure faked. */
static int fake_numvfs(struct fake_kernel *k, const char *path, const char *value)
{
	char dir[512], link[600], target[64];
	long total, cur, n = strtol(value, NULL, 10);
	int made;

	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(path, '/') - path), path);
	snprintf(link, sizeof(link), "%s/sriov_totalvfs", dir);
	assert_int_equal(sysfs_read_long(link, &total), 0);
	assert_int_equal(sysfs_read_long(path, &cur), 0);
	k->numvfs_writes++;
	if (n < 0 || n > total)
		return -ERANGE;
	if (n == cur)
		return 0;
	if (n && cur)
		return -EBUSY;
	if (k->fail)
		return -k->fail;
	for (int i = 0; i < 256; i++) {
		snprintf(link, sizeof(link), "%s/virtfn%d", dir, i);
		unlink(link);
	}
	made = k->limit >= 0 && n > k->limit ? k->limit : (int)n;
	for (int i = 0; i < made; i++) {
		snprintf(link, sizeof(link), "%s/virtfn%d", dir, i);
		snprintf(target, sizeof(target), "../0000:03:%02x.%d", 0x10 + i / 8, i % 8);
		assert_int_equal(symlink(target, link), 0);
	}
	snprintf(target, sizeof(target), "%d\n", made);
	put_file(path, target);
	return 0;
}

static int fake_write(const char *path, const char *value, void *ctx)
{
	struct fake_kernel *k = ctx;
	const char *attr = strrchr(path, '/') + 1;
	size_t used = strlen(k->log);

	snprintf(k->log + used, sizeof(k->log) - used, "%s=%s ",
		 strcmp(attr, "sriov_numvfs") ? "autoprobe" : "numvfs", value);
	if (!strcmp(attr, "sriov_numvfs"))
		return fake_numvfs(k, path, value);
	put_file(path, value);
	return 0;
}

static struct fake_kernel *kernel_new(const char *fixture)
{
	struct fake_kernel *k = calloc(1, sizeof(*k));

	assert_non_null(k);
	snprintf(k->dir, sizeof(k->dir), "/tmp/iovirt-sriov-XXXXXX");
	assert_non_null(mkdtemp(k->dir));
	snprintf(k->sys, sizeof(k->sys), "%s/sys", k->dir);
	snprintf(k->proc, sizeof(k->proc), "%s/proc", k->dir);
	run("cp -a '%s/%s' '%s' && mkdir '%s'", FIXTURES_DIR, fixture, k->sys, k->proc);
	k->limit = -1;
	k->env = (struct sriov_env){ .sysfs_root = k->sys, .proc_root = k->proc,
				     .write_attr = fake_write, .write_ctx = k };
	return k;
}

static void kernel_free(struct fake_kernel *k)
{
	run("rm -rf '%s'", k->dir);
	free(k);
}

static int setup_pf(void **state)
{
	*state = kernel_new("sriov-pf");
	return 0;
}

static int teardown(void **state)
{
	kernel_free(*state);
	return 0;
}

static int set(struct fake_kernel *k, const char *bdf, int n, enum sriov_autoprobe ap,
	       struct sriov_numvfs_result *r, char *msg)
{
	msg[0] = '\0';
	return sriov_numvfs_set(&k->env, bdf, n, ap, r, msg, SRIOV_MSG_LEN);
}

static void test_pf_read(void **state)
{
	struct fake_kernel *k = *state;
	struct sriov_pf_state st;
	char msg[SRIOV_MSG_LEN];

	assert_int_equal(sriov_pf_read(&k->env, PF, &st, msg, sizeof(msg)), 0);
	assert_int_equal(st.totalvfs, 63);
	assert_int_equal(st.numvfs, 2);
	assert_int_equal(st.n_vf_links, 2);
	assert_string_equal(st.driver, "ixgbe");
	assert_int_equal(st.autoprobe, -1);
	assert_int_equal(sriov_pf_read(&k->env, "0000:03:10.0", &st, msg, sizeof(msg)), -ENOTSUP);
	assert_contains(msg, "not a PF");
	assert_int_equal(sriov_pf_read(&k->env, "0000:77:00.0", &st, msg, sizeof(msg)), -ENODEV);
	assert_contains(msg, "no PCI device 0000:77:00.0");
}

static void test_above_totalvfs_refused(void **state)
{
	struct fake_kernel *k = *state;
	struct sriov_numvfs_result r;
	char msg[SRIOV_MSG_LEN];

	assert_int_equal(set(k, PF, 0, SRIOV_AUTOPROBE_KEEP, &r, msg), 0);
	assert_int_equal(set(k, PF, 64, SRIOV_AUTOPROBE_KEEP, &r, msg), -ERANGE);
	assert_contains(msg, "at most 63 VFs");
	assert_int_equal(k->numvfs_writes, 1); /* only the disable reached the kernel */
}

static void test_nonzero_only_through_zero(void **state)
{
	struct fake_kernel *k = *state;
	struct sriov_numvfs_result r;
	char msg[SRIOV_MSG_LEN];

	assert_int_equal(set(k, PF, 4, SRIOV_AUTOPROBE_KEEP, &r, msg), -EBUSY);
	assert_contains(msg, "only through 0");
	assert_int_equal(k->numvfs_writes, 0);
	assert_int_equal(attr_long(k, PF, "sriov_numvfs"), 2);
}

static void test_same_count_changes_nothing(void **state)
{
	struct fake_kernel *k = *state;
	struct sriov_numvfs_result r;
	char msg[SRIOV_MSG_LEN];

	assert_int_equal(set(k, PF, 2, SRIOV_AUTOPROBE_OFF, &r, msg), 0);
	assert_false(r.changed);
	assert_int_equal(r.after, 2);
	assert_int_equal(set(k, PF, 0, SRIOV_AUTOPROBE_KEEP, &r, msg), 0);
	assert_true(r.changed);
	assert_int_equal(set(k, PF, 0, SRIOV_AUTOPROBE_KEEP, &r, msg), 0);
	assert_false(r.changed);
	assert_string_equal(k->log, "numvfs=0 ");
}

static void test_enable_reads_back(void **state)
{
	struct fake_kernel *k = *state;
	struct sriov_numvfs_result r;
	struct sriov_pf_state st;
	char msg[SRIOV_MSG_LEN];

	assert_int_equal(set(k, PF, 0, SRIOV_AUTOPROBE_KEEP, &r, msg), 0);
	assert_int_equal(set(k, PF, 5, SRIOV_AUTOPROBE_OFF, &r, msg), 0);
	assert_true(r.changed);
	assert_false(r.partial);
	assert_int_equal(r.before, 0);
	assert_int_equal(r.after, 5);
	assert_false(r.vf_token);
	/* autoprobe is set before the VFs appear, and only when creating them */
	assert_string_equal(k->log, "numvfs=0 autoprobe=0 numvfs=5 ");
	assert_int_equal(attr_long(k, PF, "sriov_drivers_autoprobe"), 0);
	assert_int_equal(sriov_pf_read(&k->env, PF, &st, msg, sizeof(msg)), 0);
	assert_int_equal(st.n_vf_links, 5);
	assert_int_equal(st.autoprobe, 0);
}

static void test_partial_enable_reported(void **state)
{
	struct fake_kernel *k = *state;
	struct sriov_numvfs_result r;
	char msg[SRIOV_MSG_LEN];

	k->limit = 3;
	assert_int_equal(set(k, PF, 0, SRIOV_AUTOPROBE_KEEP, &r, msg), 0);
	assert_int_equal(set(k, PF, 6, SRIOV_AUTOPROBE_ON, &r, msg), 0);
	assert_string_equal(k->log, "numvfs=0 autoprobe=1 numvfs=6 ");
	assert_true(r.partial);
	assert_int_equal(r.after, 3);
	assert_contains(msg, "6 VFs asked, the driver enabled 3");
}

static void test_kernel_refusal_reported(void **state)
{
	struct fake_kernel *k = *state;
	struct sriov_numvfs_result r;
	char msg[SRIOV_MSG_LEN];

	assert_int_equal(set(k, PF, 0, SRIOV_AUTOPROBE_KEEP, &r, msg), 0);
	k->fail = ENOMEM;
	assert_int_equal(set(k, PF, 2, SRIOV_AUTOPROBE_KEEP, &r, msg), -ENOMEM);
	assert_contains(msg, "the kernel refused sriov_numvfs=2");
	assert_contains(msg, "now 0 VFs");
}

static void test_no_driver_refused(void **state)
{
	struct fake_kernel *k = *state;
	struct sriov_numvfs_result r;
	char msg[SRIOV_MSG_LEN], path[512];

	assert_int_equal(set(k, PF, 0, SRIOV_AUTOPROBE_KEEP, &r, msg), 0);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", k->sys, PF);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(set(k, PF, 2, SRIOV_AUTOPROBE_KEEP, &r, msg), -ENOENT);
	assert_contains(msg, "has no driver");
	assert_int_equal(k->numvfs_writes, 1);
}

static void hold(struct fake_kernel *k, int pid, const char *comm, int fd, const char *target)
{
	run("mkdir -p '%s/%d/fd' && echo '%s' > '%s/%d/comm' && ln -sf '%s' '%s/%d/fd/%d'", k->proc,
	    pid, comm, k->proc, pid, target, k->proc, pid, fd);
}

static void test_disable_refused_while_group_open(void **state)
{
	struct fake_kernel *k = *state;
	struct sriov_numvfs_result r;
	struct sriov_holder h[4];
	char msg[SRIOV_MSG_LEN];

	hold(k, 100, "bash", 0, "/dev/pts/0");
	hold(k, 4242, "iovirt", 3, "/dev/vfio/vfio");
	hold(k, 4242, "iovirt", 9, "/dev/vfio/41");
	hold(k, 4242, "iovirt", 10, "/dev/vfio/40");
	assert_int_equal(sriov_holders_find(&k->env, PF, h, 4), 1); /* one process, counted once */
	assert_int_equal(h[0].pid, 4242);
	assert_string_equal(h[0].comm, "iovirt");
	assert_int_equal(set(k, PF, 0, SRIOV_AUTOPROBE_KEEP, &r, msg), -EBUSY);
	assert_contains(msg, "is open by PID 4242 (iovirt)");
	assert_int_equal(k->numvfs_writes, 0);
	run("rm -r '%s/4242'", k->proc);
	assert_int_equal(set(k, PF, 0, SRIOV_AUTOPROBE_KEEP, &r, msg), 0);
}

static void test_disable_refused_while_cdev_open(void **state)
{
	struct fake_kernel *k = *state;
	struct sriov_numvfs_result r;
	char msg[SRIOV_MSG_LEN];

	run("mkdir -p '%s/bus/pci/devices/0000:03:10.2/vfio-dev/vfio7'", k->sys);
	hold(k, 77, "qemu", 5, "/dev/vfio/devices/vfio7");
	hold(k, 78, "other", 5, "/dev/vfio/devices/vfio8");
	assert_int_equal(set(k, PF, 0, SRIOV_AUTOPROBE_KEEP, &r, msg), -EBUSY);
	assert_contains(msg, "VF 0000:03:10.2 is open by PID 77 (qemu) through /dev/vfio/devices/vfio7");
}

static void test_holders_hostile_proc(void **state)
{
	struct fake_kernel *k = *state;
	struct sriov_holder h[2];

	run("cd '%s' && mkdir -p -- self 0041/fd -1/fd 12x/fd 55 56/fd/sub && ln -s /dev/vfio/41 0041/fd/1 "
	    "&& ln -s /dev/vfio/41 -- -1/fd/1 && ln -s /dev/vfio/41 12x/fd/1 && touch 55/fd "
	    "&& ln -s /dev/vfio/410 56/fd/2 && ln -s /dev/vfio/4 56/fd/3 && mkfifo 56/comm",
	    k->proc);
	assert_int_equal(sriov_holders_find(&k->env, PF, h, 2), 0);
	hold(k, 9, "a", 1, "/dev/vfio/40");
	hold(k, 10, "b", 1, "/dev/vfio/41");
	hold(k, 11, "c", 1, "/dev/vfio/41");
	assert_int_equal(sriov_holders_find(&k->env, PF, h, 2), 3); /* more than fit: counted */
	assert_int_equal(h[0].pid, 10); /* /proc's name order */
	assert_int_equal(h[1].pid, 11);
}

static void test_vfio_pf_needs_enable_sriov(void **state)
{
	struct fake_kernel *k = kernel_new("vf-of-vfio-pf");
	struct sriov_numvfs_result r;
	char msg[SRIOV_MSG_LEN], path[512];

	assert_int_equal(set(k, "0000:06:00.0", 0, SRIOV_AUTOPROBE_KEEP, &r, msg), 0);
	assert_int_equal(set(k, "0000:06:00.0", 2, SRIOV_AUTOPROBE_KEEP, &r, msg), -EPERM);
	assert_contains(msg, "enable_sriov=1");
	run("mkdir -p '%s/module/vfio_pci/parameters'", k->sys);
	snprintf(path, sizeof(path), "%s/module/vfio_pci/parameters/enable_sriov", k->sys);
	put_file(path, "N\n");
	assert_int_equal(set(k, "0000:06:00.0", 2, SRIOV_AUTOPROBE_KEEP, &r, msg), -EPERM);
	put_file(path, "Y\n");
	assert_int_equal(set(k, "0000:06:00.0", 2, SRIOV_AUTOPROBE_KEEP, &r, msg), 0);
	assert_true(r.vf_token);
	assert_int_equal(r.after, 2);
	kernel_free(k);
}

/* Every PF of the hostile tree: refused or handled, never a crash, never a write on junk counts. */
static void test_hostile_tree(void **state)
{
	static const struct { const char *bdf; int read, disable; } cases[] = {
		{ "0000:0a:00.0", -EINVAL, -EINVAL },   /* sriov_totalvfs -1 */
		{ "0000:0b:00.0", -EINVAL, -EINVAL },   /* sriov_totalvfs 2^64 */
		{ "0000:0b:00.1", 0, 0 },               /* numvfs 0 but a virtfn0 link: assumed enabled */
		{ "0000:0c:00.0", -ENOTSUP, -ENOTSUP },
		{ "0000:0d:00.0", -ENOTSUP, -ENOTSUP }, /* a file, not a directory */
		{ "junk", -ENOTSUP, -ENOTSUP },
		{ "../../..", -ENOTSUP, -ENOTSUP },
	};
	struct fake_kernel *k = kernel_new("hostile-sriov");
	struct sriov_numvfs_result r;
	struct sriov_pf_state st;
	char msg[SRIOV_MSG_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = sriov_pf_read(&k->env, cases[i].bdf, &st, msg, sizeof(msg));

		if (ret != cases[i].read && !(cases[i].read == -ENOTSUP && ret == -ENODEV))
			fail_msg("%s: read %d, want %d", cases[i].bdf, ret, cases[i].read);
		ret = set(k, cases[i].bdf, 0, SRIOV_AUTOPROBE_KEEP, &r, msg);
		if (ret != cases[i].disable && !(cases[i].disable == -ENOTSUP && ret == -ENODEV))
			fail_msg("%s: disable %d, want %d", cases[i].bdf, ret, cases[i].disable);
	}
	assert_int_equal(sriov_pf_read(&k->env, "0000:0b:00.1", &st, msg, sizeof(msg)), 0);
	/* the kernel had nothing to disable: the stray link stays and still counts */
	assert_int_equal(st.numvfs, 1);
	assert_int_equal(k->numvfs_writes, 1);
	kernel_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pf_read, setup_pf, teardown),
		cmocka_unit_test_setup_teardown(test_above_totalvfs_refused, setup_pf, teardown),
		cmocka_unit_test_setup_teardown(test_nonzero_only_through_zero, setup_pf, teardown),
		cmocka_unit_test_setup_teardown(test_same_count_changes_nothing, setup_pf, teardown),
		cmocka_unit_test_setup_teardown(test_enable_reads_back, setup_pf, teardown),
		cmocka_unit_test_setup_teardown(test_partial_enable_reported, setup_pf, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_refusal_reported, setup_pf, teardown),
		cmocka_unit_test_setup_teardown(test_no_driver_refused, setup_pf, teardown),
		cmocka_unit_test_setup_teardown(test_disable_refused_while_group_open, setup_pf, teardown),
		cmocka_unit_test_setup_teardown(test_disable_refused_while_cdev_open, setup_pf, teardown),
		cmocka_unit_test_setup_teardown(test_holders_hostile_proc, setup_pf, teardown),
		cmocka_unit_test(test_vfio_pf_needs_enable_sriov),
		cmocka_unit_test(test_hostile_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
