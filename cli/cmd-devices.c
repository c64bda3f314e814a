/* iovirt devices: the host's PCI devices and whether each can be passed through. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compiler.h"
#include "json.h"
#include "output.h"
#include "pci-inventory.h"

#define MAX_BDF_FILTERS 32

static const char usage[] =
	"usage: iovirt devices [--net] [--class CLASS] [--bdf BDF]... [--json] [--sysfs DIR]\n"
	"\n"
	"List the host's PCI devices: address, class, vendor and device names (pci.ids),\n"
	"driver and kernel modules, IOMMU group, NUMA node, SR-IOV relations, network\n"
	"interfaces (link state, MAC, routes read through netlink) and a passthrough\n"
	"verdict with its reason.\n"
	"\n"
	"Verdicts: ready, vfio-bound, needs-vf-token (can be assigned); no-iommu,\n"
	"no-iommu-group, bridge, carries-route, vfs-active, group-not-viable (cannot).\n"
	"\n"
	"Options:\n"
	"  --net           only network controllers (class 02)\n"
	"  --class CLASS   only this class: base class (02), base+sub (0200) or full (020000), hex\n"
	"  --bdf BDF       only this device (dddd:bb:dd.f or bb:dd.f); may be repeated\n"
	"  --json          machine-readable output\n"
	"  --sysfs DIR     read this sysfs tree instead of /sys (routes are then not read)\n"
	"  -h, --help      this text\n";

struct devices_filter {
	int class_digits;      /* 0: no class filter; 2, 4 or 6 hex digits */
	unsigned long class;
	char bdf[MAX_BDF_FILTERS][PCI_BDF_STRLEN];
	size_t n_bdf;
};

static bool filter_match(const struct devices_filter *f, const struct pci_dev_info *d)
{
	bool bdf_ok = f->n_bdf == 0;

	for (size_t i = 0; i < f->n_bdf; i++)
		bdf_ok |= !strcmp(f->bdf[i], d->bdf);
	if (!bdf_ok)
		return false;
	if (f->class_digits)
		return (d->class >> (4 * (6 - f->class_digits))) == f->class;
	return true;
}

static int parse_class(const char *s, struct devices_filter *f)
{
	size_t len = strlen(s);
	char *end;

	if ((len != 2 && len != 4 && len != 6) || strspn(s, "0123456789abcdefABCDEF") != len)
		return -EINVAL;
	f->class = strtoul(s, &end, 16);
	if (*end)
		return -EINVAL;
	f->class_digits = (int)len;
	return 0;
}

static void describe_sriov(const struct pci_dev_info *d, char *buf, size_t len)
{
	if (d->is_pf && d->sriov_totalvfs < 0)
		snprintf(buf, len, "PF %d%s/? VFs", d->sriov_numvfs, d->sriov_unsure ? "?" : "");
	else if (d->is_pf)
		snprintf(buf, len, "PF %d%s/%d VFs", d->sriov_numvfs, d->sriov_unsure ? "?" : "",
			 d->sriov_totalvfs);
	else if (d->pf[0])
		snprintf(buf, len, "VF of %s", d->pf);
	else
		buf[0] = '\0';
}

static void describe_net(const struct pci_dev_info *d, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->n_netifs; i++) {
		const struct netif_info *n = &d->netifs[i];
		int w = snprintf(buf + used, len - used, "%s%s %s%s", used ? ", " : "", n->name,
				 n->operstate[0] ? n->operstate : "?",
				 n->default_route ? " default-route" : n->route[0] ? " routed" : "");

		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
}

/* A group or node number; "" (printed as "-") when negative, i.e. absent. */
static void format_id(char *buf, size_t len, int id)
{
	if (id >= 0)
		snprintf(buf, len, "%d", id);
	else
		buf[0] = '\0';
}

/* What sysfs said that does not add up; verdicts already took the cautious reading. */
static void print_anomalies(const struct inventory *inv, const struct devices_filter *f)
{
	bool any = inv->anomalies[0];

	for (size_t i = 0; i < inv->n_devs; i++)
		any |= filter_match(f, &inv->devs[i]) && inv->devs[i].anomalies[0];
	if (!any)
		return;
	printf("\nsysfs inconsistencies (verdicts assume the worst):\n");
	for (size_t i = 0; i < inv->n_devs; i++)
		if (filter_match(f, &inv->devs[i]) && inv->devs[i].anomalies[0])
			text_print(stdout, "  %s  %s", inv->devs[i].bdf, inv->devs[i].anomalies);
	if (inv->anomalies[0])
		text_print(stdout, "  tree  %s", inv->anomalies);
}

static void print_table(const struct inventory *inv, const struct devices_filter *f)
{
	static const char *const headers[] = { "BDF", "CLASS", "VENDOR", "DEVICE", "DRIVER", "MODULES",
					       "GROUP", "NUMA", "SR-IOV", "NET", "PASSTHROUGH" };
	struct table *t = table_new(ARRAY_SIZE(headers), headers);
	char group[16], numa[16], sriov[64], net[256];

	if (!t)
		return;
	for (size_t i = 0; i < inv->n_devs; i++) {
		const struct pci_dev_info *d = &inv->devs[i];

		if (!filter_match(f, d))
			continue;
		format_id(group, sizeof(group), d->iommu_group);
		format_id(numa, sizeof(numa), d->numa_node);
		describe_sriov(d, sriov, sizeof(sriov));
		describe_net(d, net, sizeof(net));
		table_add_row(t, (const char *const[]){ d->bdf, d->class_name, d->vendor_name,
							d->device_name, d->driver,
							d->modules_known ? d->modules : "?", group, numa,
							sriov, net, pt_verdict_name(d->verdict) });
	}
	table_print(t, stdout);
	table_free(t);
	printf("\nWhy:\n");
	for (size_t i = 0; inv->has_iommu && i < inv->n_devs; i++)
		if (filter_match(f, &inv->devs[i]))
			text_print(stdout, "  %s  %s: %s", inv->devs[i].bdf,
				   pt_verdict_name(inv->devs[i].verdict), inv->devs[i].reason);
	if (!inv->has_iommu && inv->n_devs)
		printf("  every device: %s\n", inv->devs[0].reason);
	print_anomalies(inv, f);
	printf("\nIOMMU: %s. Routes: %s.\n",
	       inv->has_iommu ? "present" : "none on this host",
	       inv->routes_known ? "read through netlink" : "not read");
}

static void json_opt_string(struct json_writer *w, const char *key, const char *s)
{
	json_kv_string(w, key, s[0] ? s : NULL);
}

static void json_opt_int(struct json_writer *w, const char *key, int v)
{
	json_key(w, key);
	if (v >= 0)
		json_int(w, v);
	else
		json_null(w);
}

static void json_hex(struct json_writer *w, const char *key, unsigned int v, int digits)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%0*x", digits, v);
	json_kv_string(w, key, buf);
}

static void json_modules(struct json_writer *w, const struct pci_dev_info *d)
{
	char mods[sizeof(d->modules)], *save, *tok;

	json_key(w, "modules");
	if (!d->modules_known) {
		json_null(w);
		return;
	}
	snprintf(mods, sizeof(mods), "%s", d->modules);
	json_begin_array(w);
	for (tok = strtok_r(mods, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		json_string(w, tok);
	json_end_array(w);
}

static void json_sriov(struct json_writer *w, const struct pci_dev_info *d)
{
	json_key(w, "sriov");
	if (!d->is_pf && !d->pf[0]) {
		json_null(w);
		return;
	}
	json_begin_object(w);
	json_kv_string(w, "role", d->is_pf ? "pf" : "vf");
	if (d->is_pf) {
		json_opt_int(w, "total_vfs", d->sriov_totalvfs);
		json_kv_int(w, "num_vfs", d->sriov_numvfs);
		json_kv_bool(w, "num_vfs_unsure", d->sriov_unsure);
		json_key(w, "vfs");
		json_begin_array(w);
		for (size_t i = 0; i < d->n_vfs; i++)
			json_string(w, d->vfs[i]);
		json_end_array(w);
	} else {
		json_kv_string(w, "pf", d->pf);
	}
	json_end_object(w);
}

static void json_net(struct json_writer *w, const struct pci_dev_info *d)
{
	json_key(w, "net");
	json_begin_array(w);
	for (size_t i = 0; i < d->n_netifs; i++) {
		const struct netif_info *n = &d->netifs[i];

		json_begin_object(w);
		json_kv_string(w, "name", n->name);
		json_opt_string(w, "mac", n->mac);
		json_opt_string(w, "operstate", n->operstate);
		json_opt_string(w, "route", n->route);
		json_kv_bool(w, "default_route", n->default_route);
		json_end_object(w);
	}
	json_end_array(w);
}

static void json_group_members(struct json_writer *w, const struct inventory *inv,
			       const struct pci_dev_info *d)
{
	const struct iommu_group_info *g = inventory_find_group(inv, d->iommu_group);

	json_key(w, "iommu_group_members");
	json_begin_array(w);
	for (size_t i = 0; g && i < g->n_members; i++)
		json_string(w, g->members[i].name);
	json_end_array(w);
}

static void json_device(struct json_writer *w, const struct inventory *inv, const struct pci_dev_info *d)
{
	json_begin_object(w);
	json_kv_string(w, "bdf", d->bdf);
	json_hex(w, "vendor_id", d->vendor, 4);
	json_hex(w, "device_id", d->device, 4);
	json_hex(w, "class", d->class, 6);
	json_opt_string(w, "vendor_name", d->vendor_name);
	json_opt_string(w, "device_name", d->device_name);
	json_opt_string(w, "class_name", d->class_name);
	json_opt_string(w, "driver", d->driver);
	json_opt_string(w, "driver_override", d->driver_override);
	json_modules(w, d);
	json_opt_int(w, "iommu_group", d->iommu_group);
	json_group_members(w, inv, d);
	json_opt_int(w, "numa_node", d->numa_node);
	json_sriov(w, d);
	json_net(w, d);
	json_key(w, "passthrough");
	json_begin_object(w);
	json_kv_string(w, "verdict", pt_verdict_name(d->verdict));
	json_kv_bool(w, "ok", pt_verdict_ok(d->verdict));
	json_kv_string(w, "reason", d->reason);
	json_end_object(w);
	json_opt_string(w, "sysfs_anomalies", d->anomalies);
	json_end_object(w);
}

static void print_json(const struct inventory *inv, const struct devices_filter *f, const char *root)
{
	struct json_writer w;

	json_init(&w, stdout);
	json_begin_object(&w);
	json_kv_string(&w, "sysfs_root", root);
	json_kv_bool(&w, "iommu", inv->has_iommu);
	json_kv_bool(&w, "routes_known", inv->routes_known);
	json_opt_string(&w, "sysfs_anomalies", inv->anomalies);
	json_key(&w, "devices");
	json_begin_array(&w);
	for (size_t i = 0; i < inv->n_devs; i++)
		if (filter_match(f, &inv->devs[i]))
			json_device(&w, inv, &inv->devs[i]);
	json_end_array(&w);
	json_end_object(&w);
	json_finish(&w);
}

/* Every --bdf must name a device of the tree; -1 when they all do, else an exit code. */
static int devices_check_present(const struct inventory *inv, const struct devices_filter *f,
				 const char *root, bool json)
{
	char missing[512] = "";
	size_t n = 0;

	for (size_t i = 0; i < f->n_bdf; i++)
		if (!inventory_find(inv, f->bdf[i])) {
			inventory_note(missing, sizeof(missing), "%s", f->bdf[i]);
			n++;
		}
	if (!n)
		return -1;
	return cli_fail_json(&cli_cmd_devices, json, "no PCI device %s under %s/bus/pci/devices",
			     missing, root);
}

static int devices_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "net", no_argument, NULL, 'n' },   { "class", required_argument, NULL, 'c' },
		{ "bdf", required_argument, NULL, 'b' }, { "json", no_argument, NULL, 'j' },
		{ "sysfs", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct devices_filter filter = { 0 };
	const char *root = "/sys";
	struct inventory inv;
	bool json = false;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case ':':
			return cli_usage_error(&cli_cmd_devices, "%s needs a value", argv[optind - 1]);
		case 'n':
			parse_class("02", &filter);
			break;
		case 'c':
			if (parse_class(optarg, &filter))
				return cli_usage_error(&cli_cmd_devices, "bad class '%s' (hex: 02, 0200 or 020000)", optarg);
			break;
		case 'b':
			if (filter.n_bdf == MAX_BDF_FILTERS)
				return cli_usage_error(&cli_cmd_devices, "at most %d --bdf filters", MAX_BDF_FILTERS);
			if (pci_bdf_parse(optarg, filter.bdf[filter.n_bdf++]))
				return cli_usage_error(&cli_cmd_devices, "bad PCI address '%s'", optarg);
			break;
		case 'j':
			json = true;
			break;
		case 's':
			root = optarg;
			break;
		case 'h':
			cli_print_usage(&cli_cmd_devices);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error(&cli_cmd_devices, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(&cli_cmd_devices, "unexpected argument '%s'", argv[optind]);
	ret = cli_inventory_scan(root, &inv);
	if (ret)
		return cli_fail_json(&cli_cmd_devices, json, "cannot read PCI devices under %s: %s", root,
				     strerror(-ret));
	ret = devices_check_present(&inv, &filter, root, json);
	if (ret >= 0) {
		inventory_free(&inv);
		return ret;
	}
	if (json)
		print_json(&inv, &filter, root);
	else
		print_table(&inv, &filter);
	inventory_free(&inv);
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_devices = {
	.name = "devices",
	.fn = devices_main,
	.summary = "list PCI devices and whether each can be passed through, and why not",
	.usage = usage,
};
