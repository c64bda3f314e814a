/*
 * split_plan_apply against the fake PCI kernel (fake-pci-kernel.h) over the
 * bind-host fixture, whose NVMe PF 0000:01:00.0 can make the two VFs
 * 0000:01:00.1 and 0000:01:00.2: from no VFs to VFs on vfio-pci, a second
 * apply changing nothing, a different count through 0, a partial enable and
 * a failure at each write of the bind step undone completely, a refused VF,
 * and the MACs of a network PF set over a fake netlink peer (a refusal
 * undoes the rest).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "fake-pci-kernel.h"
#include "split.h"
#include "sysfs.h"

#define PF "0000:01:00.0"
#define VF0 "0000:01:00.1"
#define VF1 "0000:01:00.2"

#define assert_contains(haystack, needle)                                                   \
	do {                                                                                \
		if (!strstr((haystack), (needle)))                                          \
			fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));  \
	} while (0)

static long pf_attr(const struct fake *f, const char *attr)
{
	char path[PATH_MAX];
	long v;

	return sysfs_read_long(fake_dev_attr(f, PF, attr, path), &v) ? -1 : v;
}

/* The PF with no VFs and autoprobe on, as a host boots. */
static int setup(void **state)
{
	struct fake *f = fake_new("bind-host");
	struct sriov_numvfs_result r;

	assert_int_equal(sriov_numvfs_set(&f->env, PF, 0, SRIOV_AUTOPROBE_KEEP, &r, NULL, 0), 0);
	assert_int_equal(sriov_autoprobe_set(&f->env, PF, true), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fake_free(*state);
	return 0;
}

static int apply(struct fake *f, unsigned guests, const struct sriov_nl *nl,
		 struct split_apply_result *res, char *msg)
{
	struct split_apply_env e = { .sriov = &f->env, .bind = &f->opts, .nl = nl };
	struct split_plan plan;
	int ret;

	msg[0] = '\0';
	assert_int_equal(split_plan_make(&f->env, PF, guests, 1, NULL, &plan, msg, SRIOV_MSG_LEN), 0);
	ret = split_plan_apply(&e, &plan, res, msg, SRIOV_MSG_LEN);
	if (!ret) {
		assert_true(plan.bdfs_from_links);
		assert_string_equal(plan.vfs[0].bdf, VF0);
	}
	split_plan_free(&plan);
	return ret;
}

/* Nothing of the apply is left: no VFs, autoprobe back on, nothing remembered. */
static void assert_untouched(const struct fake *f)
{
	char path[PATH_MAX];

	assert_int_equal(pf_attr(f, "sriov_numvfs"), 0);
	assert_int_equal(pf_attr(f, "sriov_drivers_autoprobe"), 1);
	assert_false(sysfs_exists(fake_dev_attr(f, PF, "virtfn0", path)));
	snprintf(path, sizeof(path), "%s/%s", f->state, VF0);
	assert_false(sysfs_exists(path));
}

static void test_apply_then_nothing_changes(void **state)
{
	struct fake *f = *state;
	struct split_apply_result r;
	char msg[SRIOV_MSG_LEN];
	unsigned writes;

	assert_int_equal(apply(f, 2, NULL, &r, msg), 0);
	assert_true(r.numvfs_changed);
	assert_int_equal(r.numvfs_before, 0);
	assert_int_equal(r.bound, 2);
	assert_int_equal(pf_attr(f, "sriov_numvfs"), 2);
	assert_int_equal(pf_attr(f, "sriov_drivers_autoprobe"), 0);
	assert_string_equal(fake_driver_of(f, VF0), "vfio-pci");
	assert_string_equal(fake_driver_of(f, VF1), "vfio-pci");
	writes = f->writes;
	assert_int_equal(apply(f, 2, NULL, &r, msg), 0);
	assert_false(r.numvfs_changed);
	assert_int_equal(r.bound, 0);
	assert_int_equal(r.bound_already, 2);
	assert_int_equal(f->writes, writes);
}

/* One VF on its host driver, then a split in two: through 0, both on vfio-pci. */
static void test_other_count_goes_through_zero(void **state)
{
	struct fake *f = *state;
	struct sriov_numvfs_result n;
	struct split_apply_result r;
	char msg[SRIOV_MSG_LEN];

	assert_int_equal(sriov_numvfs_set(&f->env, PF, 1, SRIOV_AUTOPROBE_KEEP, &n, NULL, 0), 0);
	assert_string_equal(fake_driver_of(f, VF0), "nvme");
	assert_int_equal(apply(f, 2, NULL, &r, msg), 0);
	assert_int_equal(r.numvfs_before, 1);
	assert_true(r.numvfs_changed);
	assert_int_equal(pf_attr(f, "sriov_numvfs"), 2);
	assert_string_equal(fake_driver_of(f, VF0), "vfio-pci");
	assert_string_equal(fake_driver_of(f, VF1), "vfio-pci");
}

/* Three asked, the driver makes two (the fixture has two): undone, with the reason. */
static void test_partial_enable_is_undone(void **state)
{
	struct fake *f = *state;
	struct split_apply_result r;
	char msg[SRIOV_MSG_LEN];

	assert_int_equal(apply(f, 3, NULL, &r, msg), -EIO);
	assert_contains(msg, "3 VFs asked, the driver enabled 2");
	assert_true(r.rolled_back);
	assert_int_equal(r.rollback_failures, 0);
	assert_untouched(f);
}

static void test_driver_refusal_is_undone(void **state)
{
	struct fake *f = *state;
	struct split_apply_result r;
	char msg[SRIOV_MSG_LEN];

	f->numvfs_fail = ENOMEM;
	assert_int_equal(apply(f, 2, NULL, &r, msg), -ENOMEM);
	assert_contains(msg, "refused sriov_numvfs=2");
	assert_untouched(f);
}

/* A failure at each write of the bind step, until the apply passes: each undone. */
static void test_bind_failure_at_each_write_is_undone(void **state)
{
	struct fake *f = *state;
	struct split_apply_result r;
	char msg[SRIOV_MSG_LEN];
	unsigned k;
	int ret = -1;

	for (k = 1; k < 64 && ret; k++) {
		f->opts.fault_write = k;
		ret = apply(f, 2, NULL, &r, msg);
		if (!ret)
			break;
		assert_int_equal(ret, -EIO);
		assert_contains(msg, "binding the VFs to vfio-pci failed");
		assert_true(r.rolled_back);
		assert_int_equal(r.rollback_failures, 0);
		assert_untouched(f);
		assert_string_equal(fake_driver_of(f, VF0), "");
	}
	assert_int_equal(ret, 0);
	assert_true(k > 4); /* at least driver_override and drivers_probe for each VF */
}

/* A VF that may not be handed over refuses the whole apply, before any bind. */
static void test_refused_vf_is_undone(void **state)
{
	struct fake *f = *state;
	struct split_apply_result r;
	char msg[SRIOV_MSG_LEN];

	/* 00:04.0, on its host driver e1000e, joins VF 1's IOMMU group 9 */
	fake_run("cd '%s/bus/pci/devices/0000:00:04.0' && rm -f \"../../../../kernel/iommu_groups/"
		 "$(basename \"$(readlink iommu_group)\")/devices/0000:00:04.0\" && "
		 "ln -sfn ../../../../kernel/iommu_groups/9 iommu_group && "
		 "ln -s ../../../../bus/pci/devices/0000:00:04.0 ../../../../kernel/iommu_groups/9/devices/%s",
		 f->sys, "0000:00:04.0");
	assert_int_equal(apply(f, 2, NULL, &r, msg), -EPERM);
	assert_contains(msg, "VF " VF1 " cannot be handed to vfio-pci");
	assert_contains(msg, "0000:00:04.0");
	assert_true(r.rolled_back);
	assert_untouched(f);
	assert_string_equal(fake_driver_of(f, "0000:00:04.0"), "e1000e");
}

/* A netlink peer for a network PF: records each VF's MAC, refuses one VF when told. */
struct mac_peer {
	uint8_t macs[4][6];
	int sets;
	int refuse_vf;      /* -1: none */
};

static int mac_exchange(void *ctx, const void *req, size_t len, void **reply, size_t *reply_len,
			char *err, size_t errlen)
{
	struct mac_peer *p = ctx;
	const struct nlmsghdr *h = req;
	struct nlattr *tb[IFLA_MAX + 1], *info, *inner;
	const struct ifla_vf_mac *m;

	*reply = NULL;
	if (h->nlmsg_type == RTM_GETLINK)
		return -EOPNOTSUPP; /* the VFs' MACs unknown: each is set */
	assert_int_equal(nlmsg_parse((struct nlmsghdr *)h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL), 0);
	assert_int_equal(((struct ifinfomsg *)nlmsg_data(h))->ifi_index, 9);
	info = nla_data(tb[IFLA_VFINFO_LIST]);
	inner = nla_data(info);
	assert_int_equal(nla_type(inner), IFLA_VF_MAC);
	m = nla_data(inner);
	assert_true(m->vf < 4);
	if ((int)m->vf == p->refuse_vf) {
		snprintf(err, errlen, "MAC changes are not allowed");
		return -EPERM;
	}
	memcpy(p->macs[m->vf], m->mac, 6);
	p->sets++;
	return 0;
}

/* The PF gets a network interface enp1s0 (ifindex 9) in the tree. */
static void give_netdev(struct fake *f)
{
	char dir[PATH_MAX];

	fake_dev_attr(f, PF, "net/enp1s0", dir);
	fake_run("mkdir -p '%s' && echo 9 > '%s/ifindex'", dir, dir);
	fake_run("echo 52:54:00:aa:bb:cc > '%s/address'%s", dir, "");
}

static void test_macs_set_on_network_pf(void **state)
{
	struct fake *f = *state;
	struct mac_peer p = { .refuse_vf = -1 };
	struct sriov_nl nl = { mac_exchange, &p };
	struct split_apply_result r;
	char msg[SRIOV_MSG_LEN];
	uint8_t want[6];

	give_netdev(f);
	assert_int_equal(apply(f, 2, &nl, &r, msg), 0);
	assert_int_equal(r.macs_set, 2);
	assert_int_equal(p.sets, 2);
	split_mac("52:54:00:aa:bb:cc", 1, want);
	assert_memory_equal(p.macs[1], want, 6);
	assert_int_equal(want[0], 0x02);
}

static void test_mac_refusal_is_undone(void **state)
{
	struct fake *f = *state;
	struct mac_peer p = { .refuse_vf = 1 };
	struct sriov_nl nl = { mac_exchange, &p };
	struct split_apply_result r;
	char msg[SRIOV_MSG_LEN];

	give_netdev(f);
	assert_int_equal(apply(f, 2, &nl, &r, msg), -EPERM);
	assert_contains(msg, "refused MAC 02:");
	assert_contains(msg, "for VF 1");
	assert_contains(msg, "MAC changes are not allowed");
	assert_untouched(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_then_nothing_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_count_goes_through_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_enable_is_undone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_driver_refusal_is_undone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_failure_at_each_write_is_undone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_vf_is_undone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_macs_set_on_network_pf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mac_refusal_is_undone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
