/*
 * The split plan against fixture trees: VFs per guest, addresses from the
 * virtfn links or the PF's SR-IOV capability (hostile config space too),
 * the documented MACs, NUMA placement, and the k8s and libvirt exports.
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

#include "split.h"

#define PF "0000:03:00.0"

#define assert_contains(haystack, needle)                                                   \
	do {                                                                                \
		if (!strstr((haystack), (needle)))                                          \
			fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));  \
	} while (0)

static int cpus_calls;

/* This host's NUMA layout for the tests: node 1 has CPUs 4-7, other nodes do not exist. */
static int fake_node_cpus(int node, char *buf, size_t len)
{
	cpus_calls++;
	if (node != 1)
		return -EINVAL;
	snprintf(buf, len, "4-7");
	return 0;
}

struct tree {
	char dir[64], sys[128];
};

static void tree_copy(struct tree *t, const char *fixture)
{
	char cmd[512];

	snprintf(t->dir, sizeof(t->dir), "/tmp/iovirt-split-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->sys, sizeof(t->sys), "%s/sys", t->dir);
	snprintf(cmd, sizeof(cmd), "cp -a '%s/%s' '%s'", FIXTURES_DIR, fixture, t->sys);
	assert_int_equal(system(cmd), 0);
}

static void tree_rm(struct tree *t)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

static void sh(struct tree *t, const char *fmt, const char *arg)
{
	char cmd[1024], inner[768];

	snprintf(inner, sizeof(inner), fmt, arg);
	snprintf(cmd, sizeof(cmd), "cd '%s/bus/pci/devices/" PF "' && %s", t->sys, inner);
	assert_int_equal(system(cmd), 0);
}

static int plan_of(const char *root, unsigned guests, unsigned per, struct split_plan *p, char *msg)
{
	struct sriov_env env = { .sysfs_root = root, .proc_root = "/nonexistent" };

	return split_plan_make(&env, PF, guests, per, fake_node_cpus, p, msg, SRIOV_MSG_LEN);
}

static void test_mac_documented(void **state)
{
	uint8_t mac[6], other[6];
	char s[24];

	/* FNV-1a("a0:36:9f:00:00:01") = 0x8f8f87e1: its low 24 bits, then the index */
	split_mac("a0:36:9f:00:00:01", 0x0102, mac);
	assert_string_equal(sriov_mac_format(mac, s, sizeof(s)), "02:8f:87:e1:01:02");
	split_mac("0000:03:00.0", 0, mac); /* FNV-1a = 0xffa19b6c */
	assert_string_equal(sriov_mac_format(mac, s, sizeof(s)), "02:a1:9b:6c:00:00");
	for (unsigned i = 0; i < 300; i++) {
		split_mac("a0:36:9f:00:00:01", i, mac);
		split_mac("a0:36:9f:00:00:01", i + 1, other);
		assert_int_equal(mac[0] & 3, 2); /* locally administered, unicast */
		assert_memory_not_equal(mac, other, 6);
	}
}

static void test_plan_existing_vfs(void **state)
{
	char root[512], msg[SRIOV_MSG_LEN], s[24];
	struct split_plan p;

	snprintf(root, sizeof(root), "%s/sriov-pf", FIXTURES_DIR);
	assert_int_equal(plan_of(root, 2, 1, &p, msg), 0);
	assert_int_equal(p.n_vfs, 2);
	assert_true(p.bdfs_from_links);
	assert_false(p.through_zero);
	assert_string_equal(p.netdev, "enp3s0f0");
	assert_string_equal(p.mac_seed, "a0:36:9f:00:00:01");
	assert_string_equal(p.vfs[0].bdf, "0000:03:10.0");
	assert_string_equal(p.vfs[1].bdf, "0000:03:10.2");
	assert_int_equal(p.vfs[1].guest, 1);
	assert_string_equal(sriov_mac_format(p.vfs[1].mac, s, sizeof(s)), "02:8f:87:e1:00:01");
	assert_int_equal(p.numa_node, 1);
	assert_string_equal(p.cpus, "4-7");
	split_plan_free(&p);
}

static void test_plan_refusals(void **state)
{
	char root[512], msg[SRIOV_MSG_LEN];
	struct split_plan p;

	snprintf(root, sizeof(root), "%s/sriov-pf", FIXTURES_DIR);
	assert_int_equal(plan_of(root, 8, 8, &p, msg), -ERANGE);
	assert_contains(msg, "need 64 VFs; 0000:03:00.0 has at most 63");
	assert_int_equal(plan_of(root, 0, 1, &p, msg), -ERANGE);
	assert_int_equal(plan_of(root, 65535, 65535, &p, msg), -ERANGE); /* no overflow */
	snprintf(root, sizeof(root), "%s/shared-group", FIXTURES_DIR);
	assert_int_equal(plan_of(root, 1, 1, &p, msg), -ENODEV);
}

/* A config space with the SR-IOV capability after a chain of others; First VF Offset 0x80, stride 2. */
static void write_config(struct tree *t, int loop)
{
	char path[256];
	uint8_t cfg[4096] = { 0 };
	FILE *f;

	cfg[0x100] = 0x01; /* AER, next at 0x140 */
	cfg[0x102] = 0x01;
	cfg[0x103] = 0x14;
	cfg[0x140] = 0x10; /* SR-IOV */
	cfg[0x142] = 0x01;
	cfg[0x143] = loop ? 0x14 : 0x00; /* loop: its next is itself, with another ID */
	if (loop)
		cfg[0x140] = 0x0b;
	cfg[0x140 + 0x14] = 0x80;
	cfg[0x140 + 0x16] = 0x02;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/" PF "/config", t->sys);
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(cfg, 1, sizeof(cfg), f);
	fclose(f);
}

static void test_plan_addresses_from_capability(void **state)
{
	char msg[SRIOV_MSG_LEN];
	struct split_plan p;
	struct tree t;

	tree_copy(&t, "sriov-pf");
	write_config(&t, 0);
	assert_int_equal(plan_of(t.sys, 3, 2, &p, msg), 0);
	assert_true(p.through_zero);
	assert_false(p.bdfs_from_links);
	/* PF routing ID 0x0300 + 0x80 + 2i */
	assert_string_equal(p.vfs[0].bdf, "0000:03:10.0");
	assert_string_equal(p.vfs[1].bdf, "0000:03:10.2");
	assert_string_equal(p.vfs[4].bdf, "0000:03:11.0");
	assert_string_equal(p.vfs[5].bdf, "0000:03:11.2");
	assert_int_equal(p.vfs[5].guest, 2);
	split_plan_free(&p);

	write_config(&t, 1); /* a capability list that loops: no addresses, no hang */
	assert_int_equal(plan_of(t.sys, 3, 2, &p, msg), 0);
	assert_string_equal(p.vfs[0].bdf, "");
	split_plan_free(&p);
	sh(&t, "head -c 300 /dev/zero > config%s", ""); /* truncated config space */
	assert_int_equal(plan_of(t.sys, 3, 2, &p, msg), 0);
	assert_string_equal(p.vfs[5].bdf, "");
	split_plan_free(&p);
	tree_rm(&t);
}

static void test_plan_numa_any(void **state)
{
	char msg[SRIOV_MSG_LEN];
	struct split_plan p;
	struct tree t;

	tree_copy(&t, "sriov-pf");
	sh(&t, "echo -1 > numa_node%s", "");
	cpus_calls = 0;
	assert_int_equal(plan_of(t.sys, 2, 1, &p, msg), 0);
	assert_int_equal(p.numa_node, -1);
	assert_string_equal(p.cpus, "");
	assert_int_equal(cpus_calls, 0);
	split_plan_free(&p);
	sh(&t, "echo 3 > numa_node%s", ""); /* a node this host does not have */
	assert_int_equal(plan_of(t.sys, 2, 1, &p, msg), 0);
	assert_int_equal(p.numa_node, 3);
	assert_string_equal(p.cpus, "");
	split_plan_free(&p);
	sh(&t, "echo junk > numa_node%s", "");
	assert_int_equal(plan_of(t.sys, 2, 1, &p, msg), 0);
	assert_int_equal(p.numa_node, -1);
	split_plan_free(&p);
	tree_rm(&t);
}

static char *export(const struct split_plan *p, int (*fn)(const struct split_plan *, FILE *),
		    int want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(p, f), want);
	fclose(f);
	return buf;
}

static void test_exports_net_pf(void **state)
{
	char root[512], msg[SRIOV_MSG_LEN], *out;
	struct split_plan p;

	snprintf(root, sizeof(root), "%s/sriov-pf", FIXTURES_DIR);
	assert_int_equal(plan_of(root, 2, 1, &p, msg), 0);
	out = export(&p, split_export_k8s, 0);
	assert_contains(out, "\"resourceName\": \"iovirt_split_0000_03_00_0\"");
	assert_contains(out, "\"deviceType\": \"netDevice\"");
	assert_contains(out, "\"enp3s0f0#0-1\"");
	assert_contains(out, "\"vfio-pci\"");
	free(out);
	out = export(&p, split_export_libvirt, 0);
	assert_contains(out, "guest 1 of 2");
	assert_contains(out, "<interface type='hostdev' managed='yes'>\n    <mac address='02:8f:87:e1:00:01'/>");
	assert_contains(out, "<address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x2'/>");
	assert_contains(out, "nodeset='1'");
	assert_contains(out, "<vcpu cpuset='4-7'>");
	free(out);
	split_plan_free(&p);
}

static void test_exports_other_pf(void **state)
{
	char msg[SRIOV_MSG_LEN], *out;
	struct split_plan p;
	struct tree t;

	tree_copy(&t, "sriov-pf");
	sh(&t, "rm -r net%s", "");
	assert_int_equal(plan_of(t.sys, 1, 2, &p, msg), 0);
	assert_string_equal(p.mac_seed, PF);
	out = export(&p, split_export_k8s, 0);
	assert_contains(out, "\"deviceType\": \"accelerator\"");
	assert_contains(out, "\"rootDevices\": [\n          \"0000:03:00.0\"");
	free(out);
	out = export(&p, split_export_libvirt, 0);
	assert_contains(out, "<hostdev mode='subsystem' type='pci' managed='yes'>");
	assert_contains(out, "<address domain='0x0000' bus='0x03' slot='0x10' function='0x0'/>");
	free(out);
	split_plan_free(&p);
	assert_int_equal(plan_of(t.sys, 2, 2, &p, msg), 0); /* 4 VFs, none exist, no config space */
	free(export(&p, split_export_libvirt, -EAGAIN));
	split_plan_free(&p);
	tree_rm(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_documented),
		cmocka_unit_test(test_plan_existing_vfs),
		cmocka_unit_test(test_plan_refusals),
		cmocka_unit_test(test_plan_addresses_from_capability),
		cmocka_unit_test(test_plan_numa_any),
		cmocka_unit_test(test_exports_net_pf),
		cmocka_unit_test(test_exports_other_pf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
