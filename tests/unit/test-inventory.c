/* The host inventory against fixture sysfs trees: every test asserts the verdict and its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "host-routes.h"
#include "pci-inventory.h"

static struct inventory scan(const char *fixture, const struct host_routes *routes)
{
	struct inventory_opts opts = { .routes = routes, .lookup_names = true };
	char root[512];
	struct inventory inv;

	snprintf(root, sizeof(root), "%s/%s", FIXTURES_DIR, fixture);
	opts.sysfs_root = root;
	assert_int_equal(inventory_scan(&opts, &inv), 0);
	return inv;
}

static const struct pci_dev_info *dev(const struct inventory *inv, const char *bdf)
{
	const struct pci_dev_info *d = inventory_find(inv, bdf);

	assert_non_null(d);
	return d;
}

#define assert_contains(haystack, needle)                                                   \
	do {                                                                                \
		if (!strstr((haystack), (needle)))                                          \
			fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));  \
	} while (0)

static void test_sriov_pf_with_vfs(void **state)
{
	struct inventory inv = scan("sriov-pf", NULL);
	const struct pci_dev_info *pf = dev(&inv, "0000:03:00.0");
	const struct pci_dev_info *vf = dev(&inv, "0000:03:10.2");

	assert_true(inv.has_iommu);
	assert_true(pf->is_pf);
	assert_int_equal(pf->sriov_totalvfs, 63);
	assert_int_equal(pf->sriov_numvfs, 2);
	assert_int_equal(pf->n_vfs, 2);
	assert_string_equal(pf->vfs[0], "0000:03:10.0");
	assert_string_equal(pf->vfs[1], "0000:03:10.2");
	assert_int_equal(pf->numa_node, 1);
	assert_int_equal(pf->verdict, PT_VFS_ACTIVE);
	assert_contains(pf->reason, "2 VFs are enabled");
	assert_contains(pf->reason, "ixgbe");

	assert_false(vf->is_pf);
	assert_string_equal(vf->pf, "0000:03:00.0");
	assert_string_equal(vf->driver, "ixgbevf");
	assert_int_equal(vf->iommu_group, 41);
	assert_int_equal(vf->verdict, PT_READY);
	assert_contains(vf->reason, "group 41 is viable");
	assert_contains(vf->reason, "now: ixgbevf");
	assert_int_equal(vf->n_netifs, 1);
	assert_string_equal(vf->netifs[0].name, "enp3s16f2");
	assert_string_equal(vf->netifs[0].operstate, "down");
	inventory_free(&inv);
}

static void test_shared_group_names_the_sibling(void **state)
{
	struct inventory inv = scan("shared-group", NULL);
	const struct pci_dev_info *vfio_port = dev(&inv, "0000:04:00.1");
	const struct pci_dev_info *igb_port = dev(&inv, "0000:04:00.0");
	const struct iommu_group_info *g = inventory_find_group(&inv, 7);

	assert_int_equal(vfio_port->verdict, PT_GROUP_NOT_VIABLE);
	assert_contains(vfio_port->reason, "IOMMU group 7 is not viable");
	assert_contains(vfio_port->reason, "0000:04:00.0 (Ethernet controller) is bound to igb");
	/* The bridge in the group does not block; the port itself is not named as a blocker. */
	assert_null(strstr(vfio_port->reason, "0000:00:1c.0"));
	assert_null(strstr(vfio_port->reason, "0000:04:00.1"));

	/* Handing the igb port over would leave only allowed members. */
	assert_int_equal(igb_port->verdict, PT_READY);

	assert_non_null(g);
	assert_false(g->viable);
	assert_int_equal(g->n_members, 3);
	assert_contains(g->reason, "0000:04:00.0 (Ethernet controller) is bound to igb");
	assert_true(g->members[0].allowed);  /* 0000:00:1c.0, pcieport bridge */
	assert_false(g->members[1].allowed); /* 0000:04:00.0, igb */
	assert_true(g->members[2].allowed);  /* 0000:04:00.1, vfio-pci */
	assert_int_equal(dev(&inv, "0000:00:1c.0")->verdict, PT_BRIDGE);

	g = inventory_find_group(&inv, 8);
	assert_true(g->viable);
	assert_int_equal(dev(&inv, "0000:05:00.0")->verdict, PT_READY);
	assert_contains(dev(&inv, "0000:05:00.0")->reason, "now: no driver");
	inventory_free(&inv);
}

static void test_no_iommu(void **state)
{
	struct host_routes routes = { 0 };
	struct inventory inv;
	const struct pci_dev_info *nic;

	assert_int_equal(host_routes_add(&routes, "eth0", "default", true), 0);
	inv = scan("no-iommu", &routes);
	nic = dev(&inv, "0000:00:03.0");
	assert_false(inv.has_iommu);
	assert_int_equal(inv.n_groups, 0);
	for (size_t i = 0; i < inv.n_devs; i++) {
		assert_int_equal(inv.devs[i].verdict, PT_NO_IOMMU);
		assert_contains(inv.devs[i].reason, "no IOMMU");
	}
	/* virtio-net: the interface sits under the virtio child, not the PCI device. */
	assert_int_equal(nic->n_netifs, 1);
	assert_string_equal(nic->netifs[0].name, "eth0");
	assert_string_equal(nic->netifs[0].mac, "02:fc:00:00:00:01");
	assert_true(nic->netifs[0].default_route);
	assert_string_equal(nic->driver, "virtio-pci");
	assert_int_equal(nic->iommu_group, -1);
	assert_int_equal(nic->numa_node, -1);
	inventory_free(&inv);
	host_routes_free(&routes);
}

static void test_nic_carrying_default_route(void **state)
{
	struct host_routes routes = { 0 };
	struct inventory inv;

	assert_int_equal(host_routes_add(&routes, "eno1", "10.1.0.0/16", false), 0);
	assert_int_equal(host_routes_add(&routes, "eno1", "default", true), 0);
	assert_int_equal(host_routes_add(&routes, "eno2", "192.0.2.0/24", false), 0);
	inv = scan("route-nic", &routes);

	assert_int_equal(dev(&inv, "0000:05:00.0")->verdict, PT_CARRIES_ROUTE);
	assert_contains(dev(&inv, "0000:05:00.0")->reason, "eno1 carries the host's default route");
	assert_true(dev(&inv, "0000:05:00.0")->netifs[0].default_route);

	assert_int_equal(dev(&inv, "0000:06:00.0")->verdict, PT_CARRIES_ROUTE);
	assert_contains(dev(&inv, "0000:06:00.0")->reason, "eno2 carries the host route 192.0.2.0/24");
	assert_false(dev(&inv, "0000:06:00.0")->netifs[0].default_route);

	assert_int_equal(dev(&inv, "0000:07:00.0")->verdict, PT_READY);
	inventory_free(&inv);
	host_routes_free(&routes);
}

static void test_routes_unknown_are_not_guessed(void **state)
{
	struct inventory inv = scan("route-nic", NULL);

	assert_false(inv.routes_known);
	assert_int_equal(dev(&inv, "0000:05:00.0")->verdict, PT_READY);
	assert_string_equal(dev(&inv, "0000:05:00.0")->netifs[0].route, "");
	inventory_free(&inv);
}

static void test_vf_of_vfio_pf_needs_token(void **state)
{
	struct inventory inv = scan("vf-of-vfio-pf", NULL);
	const struct pci_dev_info *vf = dev(&inv, "0000:06:00.1");
	const struct pci_dev_info *pf = dev(&inv, "0000:06:00.0");

	assert_int_equal(vf->verdict, PT_NEEDS_VF_TOKEN);
	assert_contains(vf->reason, "PF 0000:06:00.0 is bound to vfio-pci");
	assert_contains(vf->reason, "VF token");
	assert_int_equal(pf->verdict, PT_VFIO_BOUND);
	assert_contains(pf->reason, "group 30 is viable");
	assert_true(pt_verdict_ok(vf->verdict));
	assert_true(pt_verdict_ok(pf->verdict));
	inventory_free(&inv);
}

static void test_hostile_sysfs(void **state)
{
	struct inventory inv = scan("hostile", NULL);
	const struct pci_dev_info *a = dev(&inv, "0000:09:00.0");
	const struct pci_dev_info *b = dev(&inv, "0000:09:00.1");
	const struct iommu_group_info *g = inventory_find_group(&inv, 50);

	assert_int_equal(a->class, 0);            /* "not-a-number" */
	assert_int_equal(a->vendor, 0xffff);      /* missing file */
	assert_int_equal(a->numa_node, -1);       /* out of range */
	assert_int_equal(a->sriov_numvfs, 0);     /* -5 is not trusted */
	/* A driver link whose name cannot be read still counts as a driver. */
	assert_string_equal(b->driver, "(unreadable)");
	assert_int_equal(b->iommu_group, -1);     /* link to a non-numeric group */
	assert_int_equal(b->verdict, PT_NO_GROUP);
	/* virtfn7 lies past sriov_numvfs but exists: kept, and the mismatch noted; virtfnX is no index. */
	assert_int_equal(b->n_vfs, 2);
	assert_string_equal(b->vfs[0], "0000:09:10.0");
	assert_string_equal(b->vfs[1], "0000:09:10.7");
	assert_contains(b->anomalies, "virtfnX is not a VF link");
	assert_contains(b->anomalies, "iommu_group links to 'notanumber'");
	assert_true(a->sriov_unsure);             /* so its VFs may be enabled */
	assert_contains(a->anomalies, "sriov_numvfs '-5'");
	assert_contains(a->anomalies, "class 'not-a-number'");
	/* A non-PCI group member with a host driver blocks the group. */
	assert_non_null(g);
	assert_false(g->viable);
	assert_contains(g->reason, "platform-dev0 (device) is bound to dw_dmac");
	assert_int_equal(a->verdict, PT_GROUP_NOT_VIABLE);
	assert_null(inventory_find_group(&inv, -1));
	inventory_free(&inv);
}

/* Malformed SR-IOV counts never make a PF with enabled VFs look free. */
static void test_hostile_sriov(void **state)
{
	struct inventory inv = scan("hostile-sriov", NULL);
	const struct pci_dev_info *minus_one = dev(&inv, "0000:0a:00.0");
	const struct pci_dev_info *twenty_digits = dev(&inv, "0000:0b:00.0");
	const struct pci_dev_info *links_only = dev(&inv, "0000:0b:00.1");
	const struct iommu_group_info *g70 = inventory_find_group(&inv, 70);

	assert_int_equal(minus_one->verdict, PT_VFS_ACTIVE);
	assert_int_equal(minus_one->sriov_totalvfs, -1);
	assert_int_equal(minus_one->sriov_numvfs, 2);
	assert_int_equal(minus_one->n_vfs, 2);
	assert_contains(minus_one->anomalies, "sriov_totalvfs '-1'");
	assert_int_equal(twenty_digits->verdict, PT_VFS_ACTIVE);
	assert_contains(twenty_digits->anomalies, "sriov_totalvfs '18446744073709551616'");
	assert_contains(twenty_digits->anomalies, "VF link to 0000:0b:10.0, which is not a PCI device");
	/* sriov_numvfs says 0, a virtfn link says 1: the larger count wins */
	assert_int_equal(links_only->sriov_numvfs, 1);
	assert_int_equal(links_only->verdict, PT_VFS_ACTIVE);
	assert_contains(links_only->anomalies, "sriov_numvfs is 0 but 1 virtfn links exist");
	/* a link to a group the tree lacks, a member that does not exist, an unreadable member list */
	assert_int_equal(dev(&inv, "0000:0c:00.0")->verdict, PT_NO_GROUP);
	assert_contains(dev(&inv, "0000:0c:00.0")->anomalies, "group 99");
	assert_non_null(g70);
	assert_false(g70->viable);
	assert_int_equal(dev(&inv, "0000:0e:00.1")->verdict, PT_GROUP_NOT_VIABLE);
	assert_int_equal(dev(&inv, "0000:0f:00.0")->verdict, PT_GROUP_NOT_VIABLE);
	assert_true(inventory_find_group(&inv, 71)->members_unreadable);
	/* entries that are not device or group directories are skipped, and said so */
	assert_null(inventory_find(&inv, "0000:0d:00.0"));
	assert_contains(inv.anomalies, "bus/pci/devices/junk skipped");
	assert_contains(inv.anomalies, "bus/pci/devices/0000:0d:00.0 skipped: not a device directory");
	assert_contains(inv.anomalies, "kernel/iommu_groups/notagroup skipped");
	/* two groups list the same device: neither is trusted */
	assert_true(dev(&inv, "0000:11:00.0")->group_conflict);
	assert_int_equal(dev(&inv, "0000:11:00.0")->verdict, PT_GROUP_NOT_VIABLE);
	assert_int_equal(inv.n_devs, 10);
	inventory_free(&inv);
}

/* VFIO's no-IOMMU groups are not an IOMMU: the host has none, and no device is assignable. */
static void test_noiommu_groups_are_no_iommu(void **state)
{
	struct inventory inv = scan("bind-noiommu", NULL);

	(void)state;
	assert_int_equal(inv.n_groups, 1);
	assert_true(inv.groups[0].noiommu);
	assert_false(inv.has_iommu);
	assert_int_equal(dev(&inv, "0000:00:03.0")->verdict, PT_NO_IOMMU);
	assert_int_equal(dev(&inv, "0000:00:04.0")->verdict, PT_NO_IOMMU);
	assert_contains(dev(&inv, "0000:00:03.0")->reason, "no IOMMU");
	inventory_free(&inv);
}

static void test_missing_tree(void **state)
{
	struct inventory_opts opts = { .sysfs_root = "/nonexistent/iovirt" };
	struct inventory inv;

	assert_int_equal(inventory_scan(&opts, &inv), -ENOENT);
}

static void test_bdf_parse(void **state)
{
	char out[PCI_BDF_STRLEN];

	assert_int_equal(pci_bdf_parse("3:00.0", out), 0);
	assert_string_equal(out, "0000:03:00.0");
	assert_int_equal(pci_bdf_parse("0001:af:1f.7", out), 0);
	assert_string_equal(out, "0001:af:1f.7");
	assert_int_equal(pci_bdf_parse("00:20.0", out), -EINVAL);   /* slot > 31 */
	assert_int_equal(pci_bdf_parse("00:03.8", out), -EINVAL);   /* function > 7 */
	assert_int_equal(pci_bdf_parse("00:03.0x", out), -EINVAL);
	assert_int_equal(pci_bdf_parse("", out), -EINVAL);
	assert_int_equal(pci_bdf_parse("10000:00:00.0", out), -EINVAL);
}

static void test_verdict_names_are_distinct(void **state)
{
	for (int a = PT_READY; a <= PT_GROUP_NOT_VIABLE; a++)
		for (int b = a + 1; b <= PT_GROUP_NOT_VIABLE; b++)
			assert_string_not_equal(pt_verdict_name(a), pt_verdict_name(b));
	assert_string_equal(pt_verdict_name(PT_NO_IOMMU), "no-iommu");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sriov_pf_with_vfs),
		cmocka_unit_test(test_shared_group_names_the_sibling),
		cmocka_unit_test(test_no_iommu),
		cmocka_unit_test(test_nic_carrying_default_route),
		cmocka_unit_test(test_routes_unknown_are_not_guessed),
		cmocka_unit_test(test_vf_of_vfio_pf_needs_token),
		cmocka_unit_test(test_hostile_sysfs),
		cmocka_unit_test(test_hostile_sriov),
		cmocka_unit_test(test_noiommu_groups_are_no_iommu),
		cmocka_unit_test(test_missing_tree),
		cmocka_unit_test(test_bdf_parse),
		cmocka_unit_test(test_verdict_names_are_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
