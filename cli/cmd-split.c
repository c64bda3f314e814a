/* iovirt split: plan how N guests share one SR-IOV PF, and export the plan for k8s and libvirt. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "output.h"
#include "split.h"

static const char usage[] =
	"usage: iovirt split PF --guests N [--vfs-per-guest K] [--json] [--export k8s|libvirt]\n"
	"                    [--sysfs DIR]\n"
	"\n"
	"Plan how N guests share the SR-IOV PF (a PCI address such as 0000:03:00.0):\n"
	"N*K VFs, guest g taking VFs g*K to g*K+K-1, each VF a distinct locally\n"
	"administered MAC (02 followed by a hash of the PF's MAC, or of its address\n"
	"when it has no network interface, and the VF index: the same PF always gets\n"
	"the same MACs), and every guest's vCPUs and memory on the PF's NUMA node.\n"
	"The plan is printed, nothing is changed: its steps are iovirt sriov commands.\n"
	"\n"
	"Options:\n"
	"  --guests N           how many guests (1 and up)\n"
	"  --vfs-per-guest K    VFs per guest (default 1)\n"
	"  --json               the plan as JSON\n"
	"  --export k8s         the VF pool as the SR-IOV network device plugin's\n"
	"                       config.json resource list (VFs bound to vfio-pci)\n"
	"  --export libvirt     each guest's <hostdev> (or <interface type='hostdev'>\n"
	"                       with its MAC) elements; needs the VF addresses, known\n"
	"                       once the VFs exist or from the PF's SR-IOV capability\n"
	"  --sysfs DIR          read this sysfs tree instead of /sys\n"
	"  -h, --help           this text\n";

static const struct cli_command *self(void);

static void print_json(const struct split_plan *p)
{
	struct json_writer w;
	char mac[24];

	json_init(&w, stdout);
	json_begin_object(&w);
	json_kv_string(&w, "pf", p->pf);
	json_kv_string(&w, "netdev", p->netdev[0] ? p->netdev : NULL);
	json_kv_string(&w, "mac_seed", p->mac_seed);
	json_kv_int(&w, "totalvfs", p->totalvfs);
	json_kv_int(&w, "numvfs_now", p->numvfs_now);
	json_kv_int(&w, "numvfs", p->numvfs_wanted);
	json_kv_bool(&w, "disable_first", p->through_zero);
	json_kv_int(&w, "numa_node", p->numa_node);
	json_kv_string(&w, "cpus", p->cpus[0] ? p->cpus : NULL);
	json_key(&w, "guests");
	json_begin_array(&w);
	for (unsigned g = 0; g < p->guests; g++) {
		json_begin_object(&w);
		json_kv_int(&w, "guest", g);
		json_key(&w, "vfs");
		json_begin_array(&w);
		for (size_t i = 0; i < p->n_vfs; i++) {
			if (p->vfs[i].guest != g)
				continue;
			json_begin_object(&w);
			json_kv_int(&w, "index", p->vfs[i].index);
			json_kv_string(&w, "bdf", p->vfs[i].bdf[0] ? p->vfs[i].bdf : NULL);
			json_kv_string(&w, "mac", sriov_mac_format(p->vfs[i].mac, mac, sizeof(mac)));
			json_end_object(&w);
		}
		json_end_array(&w);
		json_end_object(&w);
	}
	json_end_array(&w);
	json_end_object(&w);
	json_finish(&w);
}

static void print_text(const struct split_plan *p)
{
	char mac[24];
	int step = 1;

	text_print(stdout, "Plan: %u guests x %u VFs of %s (%s%s%s), %d of %d VFs", p->guests,
		   p->vfs_per_guest, p->pf, p->pf_driver[0] ? p->pf_driver : "no driver",
		   p->netdev[0] ? ", " : "", p->netdev, p->numvfs_wanted, p->totalvfs);
	if (p->through_zero)
		printf("  %d. iovirt sriov disable %s     (%d VFs now: the count changes only through 0)\n",
		       step++, p->pf, p->numvfs_now);
	if (p->numvfs_now != p->numvfs_wanted)
		printf("  %d. iovirt sriov enable %s --vfs %d --autoprobe off\n", step++, p->pf,
		       p->numvfs_wanted);
	else
		printf("  %d. the %d VFs exist already\n", step++, p->numvfs_wanted);
	for (size_t i = 0; p->netdev[0] && i < p->n_vfs; i++)
		printf("  %d. iovirt sriov set %s --vf %u mac=%s\n", step++, p->pf, p->vfs[i].index,
		       sriov_mac_format(p->vfs[i].mac, mac, sizeof(mac)));
	printf("  %d. bind every VF to vfio-pci\n", step++);
	for (unsigned g = 0; g < p->guests; g++) {
		printf("  guest %u:", g);
		for (size_t i = 0; i < p->n_vfs; i++)
			if (p->vfs[i].guest == g)
				printf(" VF %u %s %s", p->vfs[i].index,
				       p->vfs[i].bdf[0] ? p->vfs[i].bdf : "(address once enabled)",
				       sriov_mac_format(p->vfs[i].mac, mac, sizeof(mac)));
		if (p->numa_node < 0)
			printf("; any CPU (the PF reports no NUMA node)\n");
		else
			printf("; memory on node %d, vCPUs on CPUs %s\n", p->numa_node,
			       p->cpus[0] ? p->cpus : "(node not on this host)");
	}
}

static int split_run(const char *pf, unsigned guests, unsigned per, const char *root, bool json,
		     const char *export)
{
	struct sriov_env env = { .sysfs_root = root, .proc_root = "/proc" };
	char bdf[PCI_BDF_STRLEN], msg[SRIOV_MSG_LEN] = "";
	struct split_plan plan;
	int ret;

	if (pci_bdf_parse(pf, bdf))
		return cli_usage_error(self(), "'%s' is not a PCI address", pf);
	ret = split_plan_make(&env, bdf, guests, per, NULL, &plan, msg, sizeof(msg));
	if (ret)
		return cli_fail_json(self(), json, "%s", msg[0] ? msg : strerror(-ret));
	if (!export) {
		if (json)
			print_json(&plan);
		else
			print_text(&plan);
	} else if (!strcmp(export, "k8s")) {
		ret = split_export_k8s(&plan, stdout);
	} else {
		ret = split_export_libvirt(&plan, stdout);
	}
	split_plan_free(&plan);
	if (ret == -EAGAIN)
		return cli_fail(self(), "the VF addresses of %s are not known yet: enable the VFs first "
				"(iovirt sriov enable %s --vfs %u)", bdf, bdf, guests * per);
	return ret ? cli_fail(self(), "cannot write the export: %s", strerror(-ret)) : CLI_EXIT_OK;
}

static int split_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "guests", required_argument, NULL, 'g' }, { "vfs-per-guest", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' }, { "export", required_argument, NULL, 'e' },
		{ "sysfs", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *root = "/sys", *export = NULL, *pf = NULL;
	unsigned guests = 0, per = 1;
	bool json = false;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case ':':
			return cli_usage_error(self(), "%s needs a value", argv[optind - 1]);
		case 'g':
		case 'k':
			ret = cli_arg_uint(self(), c == 'g' ? "--guests" : "--vfs-per-guest", optarg, 1,
					   65535, c == 'g' ? &guests : &per);
			if (ret >= 0)
				return ret;
			break;
		case 'j':
			json = true;
			break;
		case 'e':
			if (strcmp(optarg, "k8s") && strcmp(optarg, "libvirt"))
				return cli_usage_error(self(), "--export takes k8s or libvirt, not '%s'", optarg);
			export = optarg;
			break;
		case 's':
			root = optarg;
			break;
		case 'h':
			cli_print_usage(self());
			return CLI_EXIT_OK;
		default:
			return cli_usage_error(self(), "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		pf = argv[optind++];
	if (optind < argc)
		return cli_usage_error(self(), "unexpected argument '%s'", argv[optind]);
	if (!pf || !guests)
		return cli_usage_error(self(), "split needs a PF and --guests N");
	if (json && export)
		return cli_usage_error(self(), "--json and --export are exclusive");
	return split_run(pf, guests, per, root, json, export);
}

const struct cli_command cli_cmd_split = {
	.name = "split",
	.fn = split_main,
	.summary = "plan N guests sharing one SR-IOV PF; export it for k8s or libvirt",
	.usage = usage,
};

static const struct cli_command *self(void)
{
	return &cli_cmd_split;
}
