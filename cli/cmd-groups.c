/* iovirt groups: every IOMMU group, its members, and whether VFIO can take it. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compiler.h"
#include "iommu-groups.h"
#include "json.h"
#include "output.h"

static const char usage[] =
	"usage: iovirt groups [--group N]... [--json] [--sysfs DIR]\n"
	"\n"
	"List every IOMMU group with its devices and their drivers, and explain whether\n"
	"the group is viable for VFIO. The kernel's rule: every member has no driver,\n"
	"is bound to a VFIO driver or to pci-stub, or is a PCI bridge. A device can only\n"
	"be handed to a guest when its whole group is viable.\n"
	"\n"
	"Options:\n"
	"  --group N     only group N; may be repeated\n"
	"  --json        machine-readable output\n"
	"  --sysfs DIR   read this sysfs tree instead of /sys\n"
	"  -h, --help    this text\n";

#define MAX_GROUP_FILTERS 32

struct groups_filter {
	int ids[MAX_GROUP_FILTERS];
	size_t n;
};

static bool group_wanted(const struct groups_filter *f, int id)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->ids[i] == id)
			return true;
	return f->n == 0;
}

/* Why a member does or does not satisfy the rule, in a word or two. */
static const char *member_state(const struct iommu_member *m)
{
	if (!strcmp(m->driver, "(absent)"))
		return "absent from sysfs: blocks";
	if (!m->driver[0])
		return "no driver";
	if (driver_is_vfio(m->driver))
		return "VFIO driver";
	if (!strcmp(m->driver, "pci-stub"))
		return "pci-stub";
	if (m->allowed)
		return "bridge";
	return "host driver: blocks";
}

static void print_group(const struct inventory *inv, const struct iommu_group_info *g)
{
	static const char *const headers[] = { "  DEVICE", "CLASS", "DRIVER", "STATE" };
	struct table *t = table_new(ARRAY_SIZE(headers), headers);
	char name[80];

	printf("group %d: %s\n", g->id, g->noiommu ? "VFIO no-IOMMU group, isolates nothing" :
	       g->viable ? "viable" : "not viable");
	if (!t)
		return;
	for (size_t i = 0; i < g->n_members; i++) {
		const struct iommu_member *m = &g->members[i];
		const struct pci_dev_info *d = inventory_find(inv, m->name);

		snprintf(name, sizeof(name), "  %s", m->name);
		table_add_row(t, (const char *const[]){ name, d ? d->class_name : "(not PCI)", m->driver,
							member_state(m) });
	}
	table_print(t, stdout);
	table_free(t);
	text_print(stdout, "  why: %s", g->reason);
	putchar('\n');
}

static void print_json(const struct inventory *inv, const struct groups_filter *f)
{
	struct json_writer w;

	json_init(&w, stdout);
	json_begin_object(&w);
	json_kv_bool(&w, "iommu", inv->has_iommu);
	json_kv_string(&w, "sysfs_anomalies", inv->anomalies[0] ? inv->anomalies : NULL);
	json_key(&w, "groups");
	json_begin_array(&w);
	for (size_t i = 0; i < inv->n_groups; i++) {
		const struct iommu_group_info *g = &inv->groups[i];

		if (!group_wanted(f, g->id))
			continue;
		json_begin_object(&w);
		json_kv_int(&w, "id", g->id);
		json_kv_bool(&w, "viable", g->viable);
		json_kv_string(&w, "reason", g->reason);
		json_key(&w, "members");
		json_begin_array(&w);
		for (size_t m = 0; m < g->n_members; m++) {
			json_begin_object(&w);
			json_kv_string(&w, "name", g->members[m].name);
			json_kv_string(&w, "driver", g->members[m].driver[0] ? g->members[m].driver : NULL);
			json_kv_bool(&w, "allowed", g->members[m].allowed);
			json_end_object(&w);
		}
		json_end_array(&w);
		json_end_object(&w);
	}
	json_end_array(&w);
	json_end_object(&w);
	json_finish(&w);
}

static void print_text(const struct inventory *inv, const struct groups_filter *f)
{
	if (!inv->has_iommu) {
		printf("%s: this host has no IOMMU. Enable VT-d or AMD-Vi in the firmware\n"
		       "and boot with intel_iommu=on or amd_iommu=on; without it no device can be\n"
		       "handed to a guest safely.\n", inv->n_groups ? "Only VFIO no-IOMMU groups" : "No IOMMU groups");
		if (!inv->n_groups)
			return;
		printf("The groups below are VFIO's unsafe no-IOMMU mode (vfio-noiommu), which iovirt never uses.\n");
	}
	for (size_t i = 0; i < inv->n_groups; i++)
		if (group_wanted(f, inv->groups[i].id))
			print_group(inv, &inv->groups[i]);
	if (inv->anomalies[0])
		text_print(stdout, "sysfs inconsistencies (groups assume the worst): %s", inv->anomalies);
}

/* Every --group must name a group of the tree; -1 when they all do, else an exit code. */
static int groups_check_present(const struct inventory *inv, const struct groups_filter *f,
				const char *root, bool json)
{
	char missing[512] = "";
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		if (!inventory_find_group(inv, f->ids[i])) {
			inventory_note(missing, sizeof(missing), "%d", f->ids[i]);
			n++;
		}
	if (!n)
		return -1;
	return cli_fail_json(&cli_cmd_groups, json, "no IOMMU group %s under %s/kernel/iommu_groups%s",
			     missing, root, inv->has_iommu ? "" : " (this host has no IOMMU)");
}

static int groups_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' }, { "json", no_argument, NULL, 'j' },
		{ "sysfs", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct groups_filter filter = { 0 };
	const char *root = "/sys";
	struct inventory inv;
	bool json = false;
	unsigned id;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case ':':
			return cli_usage_error(&cli_cmd_groups, "%s needs a value", argv[optind - 1]);
		case 'g':
			if (filter.n == MAX_GROUP_FILTERS)
				return cli_usage_error(&cli_cmd_groups, "at most %d --group filters", MAX_GROUP_FILTERS);
			ret = cli_arg_uint(&cli_cmd_groups, "--group", optarg, 0, INT_MAX, &id);
			if (ret >= 0)
				return ret;
			filter.ids[filter.n++] = (int)id;
			break;
		case 'j':
			json = true;
			break;
		case 's':
			root = optarg;
			break;
		case 'h':
			cli_print_usage(&cli_cmd_groups);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error(&cli_cmd_groups, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(&cli_cmd_groups, "unexpected argument '%s'", argv[optind]);
	ret = cli_inventory_scan(root, &inv);
	if (ret)
		return cli_fail_json(&cli_cmd_groups, json, "cannot read %s: %s", root, strerror(-ret));
	ret = groups_check_present(&inv, &filter, root, json);
	if (ret >= 0) {
		inventory_free(&inv);
		return ret;
	}
	if (json)
		print_json(&inv, &filter);
	else
		print_text(&inv, &filter);
	inventory_free(&inv);
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_groups = {
	.name = "groups",
	.fn = groups_main,
	.summary = "list IOMMU groups and explain whether VFIO can take each",
	.usage = usage,
};
