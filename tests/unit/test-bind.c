/*
 * iovirt bind/unbind against copies of fixture sysfs trees, with a fake
 * kernel that reacts to driver_override, driver/unbind and drivers_probe by
 * moving the driver link: every refusal, idempotence, rollback on a failure
 * at each write, the state file, and unbind restoring the previous driver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bind-state.h"
#include "bind.h"
#include "host-routes.h"
#include "sysfs.h"
#include "fake-pci-kernel.h"

#define assert_contains(haystack, needle)                                                   \
	do {                                                                                \
		if (!strstr((haystack), (needle)))                                          \
			fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));  \
	} while (0)

static int fake_setup(void **state)
{
	*state = fake_new("bind-host");
	return 0;
}

static int fake_teardown(void **state)
{
	fake_free(*state);
	return 0;
}

static const char *override_of(const struct fake *f, const char *bdf)
{
	static char ovr[PCI_DRIVER_LEN];
	char path[PATH_MAX];

	assert_int_equal(sysfs_read_str(fake_dev_attr(f, bdf, "driver_override", path), ovr, sizeof(ovr)), 0);
	return ovr;
}

static bool remembered(const struct fake *f, const char *bdf, char *drv)
{
	char buf[PCI_DRIVER_LEN];

	return !bind_state_load(f->state, bdf, drv ? drv : buf, PCI_DRIVER_LEN);
}

static struct bind_plan plan_bind(struct fake *f, const char *const *bdfs, size_t n)
{
	struct bind_plan plan;

	assert_int_equal(bind_plan_make(&f->opts, bdfs, n, &plan), 0);
	return plan;
}

static struct bind_plan plan_unbind(struct fake *f, const char *const *bdfs, size_t n)
{
	struct bind_plan plan;

	assert_int_equal(unbind_plan_make(&f->opts, bdfs, n, &plan), 0);
	return plan;
}

/* Plan and apply; returns what apply returned. */
static int do_bind(struct fake *f, const char *bdf)
{
	struct bind_plan plan = plan_bind(f, &bdf, 1);
	int ret = bind_plan_apply(&f->opts, &plan);

	bind_plan_free(&plan);
	return ret;
}

static int do_unbind(struct fake *f, const char *bdf)
{
	struct bind_plan plan = plan_unbind(f, &bdf, 1);
	int ret = bind_plan_apply(&f->opts, &plan);

	bind_plan_free(&plan);
	return ret;
}

/* A refused plan names its reason and is never applied. */
static void assert_refused(struct fake *f, const char *bdf, const char *why1, const char *why2)
{
	struct bind_plan plan = plan_bind(f, &bdf, 1);
	unsigned writes = f->writes;

	assert_int_equal(plan.n_steps, 1);
	assert_int_equal(plan.steps[0].action, BIND_REFUSED);
	assert_int_equal(plan.n_refused, 1);
	assert_contains(plan.steps[0].why, why1);
	if (why2)
		assert_contains(plan.steps[0].why, why2);
	assert_int_equal(bind_plan_apply(&f->opts, &plan), -EPERM);
	assert_int_equal(f->writes, writes);
	assert_int_equal(f->modprobes, 0);
	bind_plan_free(&plan);
}

static void test_bind_then_nothing_to_do(void **state)
{
	struct fake *f = *state;
	const char *bdf = "0000:00:03.0";
	struct bind_plan plan = plan_bind(f, &bdf, 1);
	char prev[PCI_DRIVER_LEN];
	unsigned writes;

	assert_int_equal(plan.steps[0].action, BIND_CHANGE);
	assert_string_equal(plan.steps[0].from, "e1000e");
	assert_string_equal(plan.steps[0].to, "vfio-pci");
	assert_int_equal(bind_plan_apply(&f->opts, &plan), 0);
	assert_int_equal(plan.steps[0].outcome, BIND_DONE);
	bind_plan_free(&plan);
	assert_int_equal(f->modprobes, 1);
	assert_string_equal(fake_driver_of(f, bdf), "vfio-pci");
	assert_string_equal(override_of(f, bdf), "vfio-pci");
	assert_true(remembered(f, bdf, prev));
	assert_string_equal(prev, "e1000e");

	writes = f->writes;
	plan = plan_bind(f, &bdf, 1);
	assert_int_equal(plan.steps[0].action, BIND_ALREADY);
	assert_contains(plan.steps[0].why, "already bound to vfio-pci");
	assert_int_equal(plan.n_change, 0);
	assert_int_equal(bind_plan_apply(&f->opts, &plan), 0);
	assert_int_equal(f->writes, writes);
	assert_int_equal(f->modprobes, 1);
	bind_plan_free(&plan);
}

static void test_unbind_restores_then_nothing_to_do(void **state)
{
	struct fake *f = *state;
	const char *bdf = "0000:00:03.0";
	struct bind_plan plan;
	unsigned writes;

	assert_int_equal(do_bind(f, bdf), 0);
	plan = plan_unbind(f, &bdf, 1);
	assert_int_equal(plan.steps[0].action, BIND_CHANGE);
	assert_true(plan.steps[0].to_known);
	assert_string_equal(plan.steps[0].to, "e1000e");
	assert_int_equal(bind_plan_apply(&f->opts, &plan), 0);
	bind_plan_free(&plan);
	assert_string_equal(fake_driver_of(f, bdf), "e1000e");
	assert_string_equal(override_of(f, bdf), "(null)");
	assert_false(remembered(f, bdf, NULL));

	writes = f->writes;
	plan = plan_unbind(f, &bdf, 1);
	assert_int_equal(plan.steps[0].action, BIND_ALREADY);
	assert_contains(plan.steps[0].why, "not bound to a VFIO driver (driver: e1000e)");
	assert_int_equal(bind_plan_apply(&f->opts, &plan), 0);
	assert_int_equal(f->writes, writes);
	bind_plan_free(&plan);
}

/* A process holding /dev/vfio/<group> open keeps the device from being unbound, named by PID. */
static void test_unbind_refused_while_group_open(void **state)
{
	struct fake *f = *state;
	const char *bdf = "0000:00:03.0";
	char proc[320], path[PATH_MAX];
	struct bind_plan plan;

	assert_int_equal(do_bind(f, bdf), 0);
	snprintf(proc, sizeof(proc), "%s/proc", f->dir);
	fake_run("mkdir -p '%s/4242/fd' '%s/self/fd'", proc, proc);
	fake_run("echo junk > '%s/junk'%s", proc, "");
	snprintf(path, sizeof(path), "%s/4242/comm", proc);
	fake_run("echo qemu-kvm > '%s'%s", path, "");
	snprintf(path, sizeof(path), "%s/4242/fd/0", proc);
	assert_int_equal(symlink("/dev/null", path), 0);
	snprintf(path, sizeof(path), "%s/4242/fd/7", proc);
	assert_int_equal(symlink("/dev/vfio/4", path), 0); /* another group */
	f->opts.proc_root = proc;
	plan = plan_unbind(f, &bdf, 1);
	assert_int_equal(plan.steps[0].action, BIND_CHANGE);
	bind_plan_free(&plan);

	snprintf(path, sizeof(path), "%s/4242/fd/8", proc);
	assert_int_equal(symlink("/dev/vfio/3", path), 0);
	plan = plan_unbind(f, &bdf, 1);
	assert_int_equal(plan.steps[0].action, BIND_REFUSED);
	assert_contains(plan.steps[0].why, "/dev/vfio/3 is in use by PID 4242 (qemu-kvm)");
	assert_int_equal(bind_plan_apply(&f->opts, &plan), -EPERM);
	bind_plan_free(&plan);
	assert_string_equal(fake_driver_of(f, bdf), "vfio-pci");
}

/* A device that had no driver before bind has none after unbind. */
static void test_unbind_restores_no_driver(void **state)
{
	struct fake *f = *state;
	const char *bdf = "0000:00:05.0";
	char prev[PCI_DRIVER_LEN];

	assert_int_equal(do_bind(f, bdf), 0);
	assert_string_equal(fake_driver_of(f, bdf), "vfio-pci");
	assert_true(remembered(f, bdf, prev));
	assert_string_equal(prev, "");
	assert_int_equal(do_unbind(f, bdf), 0);
	assert_string_equal(fake_driver_of(f, bdf), "");
	assert_string_equal(override_of(f, bdf), "(null)");
	assert_false(remembered(f, bdf, NULL));
}

/* A remembered driver other than the one the kernel would pick is the one restored. */
static void test_unbind_restores_remembered_driver(void **state)
{
	struct fake *f = *state;
	const char *bdf = "0000:00:03.0";
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/pci/drivers/pci-stub", f->sys);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(do_bind(f, bdf), 0);
	assert_int_equal(bind_state_save(f->state, bdf, "pci-stub"), 0);
	assert_int_equal(do_unbind(f, bdf), 0);
	assert_string_equal(fake_driver_of(f, bdf), "pci-stub");
	assert_string_equal(override_of(f, bdf), "(null)");
}

static void test_unbind_without_state_lets_kernel_pick(void **state)
{
	struct fake *f = *state;
	const char *bdf = "0000:00:03.0";
	struct bind_plan plan;

	assert_int_equal(do_bind(f, bdf), 0);
	assert_int_equal(bind_state_remove(f->state, bdf), 0);
	plan = plan_unbind(f, &bdf, 1);
	assert_int_equal(plan.steps[0].action, BIND_CHANGE);
	assert_false(plan.steps[0].to_known);
	assert_string_equal(plan.steps[0].to, "");
	assert_contains(plan.steps[0].why, "the kernel picks the driver");
	assert_int_equal(bind_plan_apply(&f->opts, &plan), 0);
	bind_plan_free(&plan);
	assert_string_equal(fake_driver_of(f, bdf), "e1000e");
	assert_string_equal(override_of(f, bdf), "(null)");
}

/* State files that are not a driver name are not trusted: the kernel picks instead. */
static void test_unbind_hostile_state(void **state)
{
	static const char *const bad[] = { "../../../etc/passwd\n", "vfio-pci\n", "e1000e\nigb\n",
					   "e1000e x\n", "\x1b[2J\n" };
	struct fake *f = *state;
	const char *bdf = "0000:00:03.0";
	char path[PATH_MAX], big[300];

	assert_int_equal(do_bind(f, bdf), 0);
	snprintf(path, sizeof(path), "%s/%s", f->state, bdf);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]) + 2; i++) {
		struct bind_plan plan;
		FILE *fp;

		unlink(path);
		if (i == sizeof(bad) / sizeof(bad[0])) {
			assert_int_equal(symlink("/etc/hostname", path), 0);
		} else {
			memset(big, 'a', sizeof(big) - 1);
			big[sizeof(big) - 1] = '\0';
			fp = fopen(path, "w");
			assert_non_null(fp);
			fputs(i < sizeof(bad) / sizeof(bad[0]) ? bad[i] : big, fp);
			fclose(fp);
		}
		plan = plan_unbind(f, &bdf, 1);
		assert_int_equal(plan.steps[0].action, BIND_CHANGE);
		assert_false(plan.steps[0].to_known);
		assert_string_equal(plan.steps[0].to, "");
		assert_contains(plan.steps[0].why, "is unusable");
		bind_plan_free(&plan);
	}
}

static void test_state_round_trip(void **state)
{
	struct fake *f = *state;
	char drv[PCI_DRIVER_LEN], nested[PATH_MAX];

	snprintf(nested, sizeof(nested), "%s/a/b", f->state);
	assert_int_equal(bind_state_load(nested, "0000:00:03.0", drv, sizeof(drv)), -ENOENT);
	assert_int_equal(bind_state_save(nested, "0000:00:03.0", "e1000e"), 0);
	assert_int_equal(bind_state_load(nested, "0000:00:03.0", drv, sizeof(drv)), 0);
	assert_string_equal(drv, "e1000e");
	assert_int_equal(bind_state_save(nested, "0000:00:03.0", ""), 0);
	assert_int_equal(bind_state_load(nested, "0000:00:03.0", drv, sizeof(drv)), 0);
	assert_string_equal(drv, "");
	assert_int_equal(bind_state_load(nested, "0000:00:03.0", drv, 1), 0);
	assert_int_equal(bind_state_save(nested, "0000:00:03.0", "mlx5_core"), 0);
	assert_int_equal(bind_state_load(nested, "0000:00:03.0", drv, 4), -EINVAL);
	assert_int_equal(bind_state_remove(nested, "0000:00:03.0"), 0);
	assert_int_equal(bind_state_remove(nested, "0000:00:03.0"), 0);
	assert_int_equal(bind_state_load(nested, "0000:00:03.0", drv, sizeof(drv)), -ENOENT);
}

static void test_refuse_default_route(void **state)
{
	struct fake *f = *state;
	const char *bdf = "0000:00:04.0";
	struct bind_plan plan;

	assert_int_equal(host_routes_add(&f->routes, "enp0s4", "default", true), 0);
	assert_refused(f, bdf, "enp0s4 carries the host's default route", "--force overrides");
	f->opts.force = true;
	plan = plan_bind(f, &bdf, 1);
	assert_int_equal(plan.steps[0].action, BIND_CHANGE);
	assert_contains(plan.steps[0].why, "--force: enp0s4 carries the host's default route");
	assert_int_equal(bind_plan_apply(&f->opts, &plan), 0);
	bind_plan_free(&plan);
	assert_string_equal(fake_driver_of(f, bdf), "vfio-pci");
}

static void test_refuse_other_route(void **state)
{
	struct fake *f = *state;

	assert_int_equal(host_routes_add(&f->routes, "enp0s4", "192.0.2.0/24", false), 0);
	assert_refused(f, "0000:00:04.0", "enp0s4 carries the host route (192.0.2.0/24)", NULL);
}

/* --force overrides the route refusal and no other. */
static void test_force_overrides_only_routes(void **state)
{
	struct fake *f = *state;

	f->opts.force = true;
	assert_refused(f, "0000:00:1f.2", "IOMMU group 10 is not viable", "lpc_ich");
	assert_refused(f, "0000:01:00.0", "2 active VFs", NULL);
	assert_refused(f, "0000:00:1c.0", "bridge", NULL);
}

static void test_refuse_group_names_members(void **state)
{
	struct fake *f = *state;

	assert_refused(f, "0000:00:1f.2", "0000:00:1f.0 (ISA bridge) is bound to lpc_ich",
		       "0000:00:1f.3 (SMBus) is bound to i801_smbus");
	assert_refused(f, "0000:06:00.0", "0000:06:00.1", "--group");
}

static void test_refuse_pf_bridge_missing(void **state)
{
	struct fake *f = *state;

	assert_refused(f, "0000:01:00.0", "SR-IOV PF with 2 active VFs", "nvme");
	assert_refused(f, "0000:00:1c.0", "it is a bridge (driver pcieport)", NULL);
	assert_refused(f, "0000:00:00.0", "it is a bridge", NULL);
	assert_refused(f, "0000:09:00.0", "no such PCI device", NULL);
}

static void test_refuse_no_iommu(void **state)
{
	struct fake *f = fake_new("bind-noiommu");
	const char *bdfs[] = { "0000:00:04.0", "0000:00:03.0" };
	struct bind_plan plan = plan_bind(f, bdfs, 2);

	(void)state;
	assert_int_equal(plan.steps[0].action, BIND_REFUSED);
	assert_contains(plan.steps[0].why, "no IOMMU");
	assert_contains(plan.steps[0].why, "never enables VFIO's unsafe no-IOMMU mode");
	assert_int_equal(plan.steps[1].action, BIND_ALREADY);
	assert_int_equal(bind_plan_apply(&f->opts, &plan), -EPERM);
	assert_int_equal(f->writes, 0);
	bind_plan_free(&plan);
	fake_teardown((void **)&f);
}

/* A no-IOMMU group next to real ones: its device is refused, the others are not. */
static void test_refuse_noiommu_group(void **state)
{
	struct fake *f = *state;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/5/name", f->sys);
	fake_run("printf 'vfio-noiommu\\n' > '%s'%s", path, "");
	assert_refused(f, "0000:00:05.0", "IOMMU group 5 is a VFIO no-IOMMU group", NULL);
	assert_int_equal(do_bind(f, "0000:00:03.0"), 0);
}

/* Any refusal keeps the whole plan from being applied. */
static void test_one_refusal_stops_all(void **state)
{
	struct fake *f = *state;
	const char *bdfs[] = { "0000:00:03.0", "0000:01:00.0" };
	struct bind_plan plan = plan_bind(f, bdfs, 2);

	assert_int_equal(plan.n_change, 1);
	assert_int_equal(plan.n_refused, 1);
	assert_int_equal(bind_plan_apply(&f->opts, &plan), -EPERM);
	assert_int_equal(f->writes, 0);
	assert_string_equal(fake_driver_of(f, "0000:00:03.0"), "e1000e");
	bind_plan_free(&plan);
}

static void test_group_binds_every_member(void **state)
{
	struct fake *f = *state;
	const char *bdf = "0000:06:00.0";
	struct bind_plan plan;

	f->opts.group = true;
	plan = plan_bind(f, &bdf, 1);
	assert_int_equal(plan.n_steps, 2);
	assert_true(plan.steps[0].requested);
	assert_false(plan.steps[1].requested);
	assert_string_equal(plan.steps[1].bdf, "0000:06:00.1");
	assert_int_equal(plan.n_change, 2);
	assert_int_equal(bind_plan_apply(&f->opts, &plan), 0);
	bind_plan_free(&plan);
	assert_string_equal(fake_driver_of(f, "0000:06:00.0"), "vfio-pci");
	assert_string_equal(fake_driver_of(f, "0000:06:00.1"), "vfio-pci");
	assert_true(remembered(f, "0000:06:00.1", NULL));

	/* the ICH9-like group holds an ISA bridge, which stays refused */
	bdf = "0000:00:1f.2";
	plan = plan_bind(f, &bdf, 1);
	assert_int_equal(plan.n_refused, 1);
	for (size_t i = 0; i < plan.n_steps; i++)
		if (!strcmp(plan.steps[i].bdf, "0000:00:1f.0"))
			assert_contains(plan.steps[i].why, "bridge");
	bind_plan_free(&plan);
}

static void assert_untouched(const struct fake *f, const char *const *bdfs, const char *const *drivers,
			     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(fake_driver_of(f, bdfs[i]), drivers[i]);
		assert_string_equal(override_of(f, bdfs[i]), "(null)");
		assert_false(remembered(f, bdfs[i], NULL));
	}
}

/*
 * Three devices (a driver, none, a VF) take 8 writes: a failure injected at
 * each one returns every device to where it was; the 9th never comes.
 */
static void test_bind_rollback_at_each_write(void **state)
{
	static const char *const bdfs[] = { "0000:00:03.0", "0000:00:05.0", "0000:01:00.1" };
	static const char *const drivers[] = { "e1000e", "", "nvme" };
	unsigned n;

	(void)state;
	for (n = 1; n <= 9; n++) {
		struct fake *f = fake_new("bind-host");
		struct bind_plan plan = plan_bind(f, bdfs, 3);
		int ret;

		f->opts.fault_write = n;
		ret = bind_plan_apply(&f->opts, &plan);
		if (n == 9) {
			assert_int_equal(ret, 0);
			for (size_t i = 0; i < 3; i++)
				assert_string_equal(fake_driver_of(f, bdfs[i]), "vfio-pci");
		} else {
			bool failed_seen = false;

			assert_int_equal(ret, -EIO);
			assert_contains(plan.error, "failed");
			assert_untouched(f, bdfs, drivers, 3);
			for (size_t i = 0; i < 3; i++) {
				const struct bind_step *s = &plan.steps[i];

				if (s->outcome == BIND_FAILED) {
					assert_false(failed_seen);
					failed_seen = true;
					/* a failure at a device's first write leaves it untouched */
					assert_contains(s->why, n == 1 || n == 4 || n == 6 ?
						"nothing was changed on it" : "returned to");
				} else if (!failed_seen) {
					assert_int_equal(s->outcome, BIND_ROLLED_BACK);
				} else {
					assert_int_equal(s->outcome, BIND_PLANNED);
				}
			}
			assert_true(failed_seen);
		}
		bind_plan_free(&plan);
		fake_teardown((void **)&f);
	}
}

/* The kernel accepts every write but leaves the device unbound: the read-back catches it. */
static void test_bind_rollback_on_wrong_driver(void **state)
{
	static const char *const bdfs[] = { "0000:00:03.0", "0000:00:04.0" };
	static const char *const drivers[] = { "e1000e", "e1000e" };
	struct fake *f = *state;
	struct bind_plan plan = plan_bind(f, bdfs, 2);
	char path[PATH_MAX], prev[PCI_DRIVER_LEN];

	f->probe_ignores = "0000:00:04.0";
	assert_int_equal(bind_plan_apply(&f->opts, &plan), -EIO);
	assert_contains(plan.error, "0000:00:04.0: after drivers_probe it is bound to no driver, not vfio-pci");
	assert_int_equal(plan.steps[0].outcome, BIND_ROLLED_BACK);
	assert_int_equal(plan.steps[1].outcome, BIND_FAILED);
	assert_contains(plan.steps[1].why, "returning it to e1000e failed");
	bind_plan_free(&plan);
	/* 00:04.0's own rollback probed while the fake kernel still ignored it: left unbound, said so */
	assert_string_equal(fake_driver_of(f, bdfs[1]), "");
	assert_string_equal(override_of(f, bdfs[1]), "(null)");
	f->probe_ignores = NULL;
	snprintf(path, sizeof(path), "%s/bus/pci/drivers_probe", f->sys);
	assert_int_equal(fake_write(f, path, bdfs[1]), 0);
	assert_untouched(f, bdfs, drivers, 1);
	assert_string_equal(fake_driver_of(f, bdfs[1]), "e1000e");
	assert_true(remembered(f, bdfs[1], prev)); /* kept: the device never got back by itself */
	assert_string_equal(prev, "e1000e");
}

static void test_unbind_rollback_at_each_write(void **state)
{
	static const char *const bdfs[] = { "0000:00:03.0", "0000:06:00.0", "0000:06:00.1" };
	unsigned n;

	(void)state;
	for (n = 1; n <= 13; n++) {
		struct fake *f = fake_new("bind-host");
		struct bind_plan plan;
		int ret;

		f->opts.group = true;
		assert_int_equal(do_bind(f, bdfs[0]), 0);
		assert_int_equal(do_bind(f, bdfs[1]), 0);
		plan = plan_unbind(f, bdfs, 3);
		assert_int_equal(plan.n_change, 3);
		f->opts.fault_write = n;
		ret = bind_plan_apply(&f->opts, &plan);
		for (size_t i = 0; i < 3; i++) {
			char prev[PCI_DRIVER_LEN];

			assert_string_equal(fake_driver_of(f, bdfs[i]), ret ? "vfio-pci" : i ? "igb" : "e1000e");
			assert_string_equal(override_of(f, bdfs[i]), ret ? "vfio-pci" : "(null)");
			assert_int_equal(remembered(f, bdfs[i], prev), ret != 0);
			if (ret)
				assert_string_equal(prev, i ? "igb" : "e1000e");
		}
		assert_int_equal(ret, n <= 12 ? -EIO : 0);
		bind_plan_free(&plan);
		fake_teardown((void **)&f);
	}
}

static void test_modprobe(void **state)
{
	struct fake *f = *state;
	const char *bdf = "0000:00:03.0";
	struct bind_plan plan = plan_bind(f, &bdf, 1);

	f->modprobe_ret = -ENOENT;
	assert_int_equal(bind_plan_apply(&f->opts, &plan), -ENOENT);
	assert_contains(plan.error, "vfio-pci driver is not loaded");
	assert_int_equal(f->writes, 0);
	assert_string_equal(fake_driver_of(f, bdf), "e1000e");
	f->modprobe_ret = 0;
	assert_int_equal(bind_plan_apply(&f->opts, &plan), 0);
	assert_int_equal(f->modprobes, 2);
	bind_plan_free(&plan);
	assert_int_equal(do_bind(f, "0000:00:04.0"), 0);
	assert_int_equal(f->modprobes, 2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fake_setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bind_then_nothing_to_do),
		T(test_unbind_restores_then_nothing_to_do),
		T(test_unbind_refused_while_group_open),
		T(test_unbind_restores_no_driver),
		T(test_unbind_restores_remembered_driver),
		T(test_unbind_without_state_lets_kernel_pick),
		T(test_unbind_hostile_state),
		T(test_state_round_trip),
		T(test_refuse_default_route),
		T(test_refuse_other_route),
		T(test_force_overrides_only_routes),
		T(test_refuse_group_names_members),
		T(test_refuse_pf_bridge_missing),
		cmocka_unit_test(test_refuse_no_iommu),
		T(test_refuse_noiommu_group),
		T(test_one_refusal_stops_all),
		T(test_group_binds_every_member),
		cmocka_unit_test(test_bind_rollback_at_each_write),
		T(test_bind_rollback_on_wrong_driver),
		cmocka_unit_test(test_unbind_rollback_at_each_write),
		T(test_modprobe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
