/* iovirt sriov: list PFs and VFs, enable and disable VFs, set a VF's netlink settings. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compiler.h"
#include "json.h"
#include "output.h"
#include "sriov.h"
#include "sysfs.h"

#define MAX_LIST_VFS 256

static const char usage[] =
	"usage: iovirt sriov list [PF] [--json] [--sysfs DIR]\n"
	"       iovirt sriov enable PF --vfs N [--autoprobe on|off] [--json] [--sysfs DIR] [--proc DIR]\n"
	"       iovirt sriov disable PF [--json] [--sysfs DIR] [--proc DIR]\n"
	"       iovirt sriov set PF --vf K SETTING=VALUE... [--json]\n"
	"\n"
	"SR-IOV physical functions (PFs) and their virtual functions (VFs).\n"
	"\n"
	"list      every PF (or one) with TotalVFs and NumVFs, its VFs with IOMMU group,\n"
	"          driver and NUMA node, and, for a network PF, each VF's settings as the\n"
	"          kernel reports them over rtnetlink (read only when --sysfs is /sys)\n"
	"enable    create N VFs. The kernel's rules: N at most TotalVFs; a nonzero count\n"
	"          changes only through 0; the PF needs a driver; a PF bound to vfio-pci\n"
	"          needs vfio-pci's enable_sriov=1, and its VFs then open only with the\n"
	"          VF token its owner set. The count is read back and a partial enable\n"
	"          reported. Enabling the count already set changes nothing.\n"
	"disable   remove every VF; refused while a process holds a VF open through\n"
	"          /dev/vfio (its PID is named)\n"
	"set       change VF K's settings on a network PF, one netlink request per\n"
	"          setting so that a refusal names its setting:\n"
	"            mac=02:00:00:00:00:01  vlan=0..4095  qos=0..7  spoofchk=on|off\n"
	"            trust=on|off  min_tx_rate=MBPS  max_tx_rate=MBPS\n"
	"            link-state=auto|enable|disable\n"
	"\n"
	"PF is a PCI address (0000:03:00.0 or 03:00.0); for set also a network interface.\n"
	"\n"
	"Options:\n"
	"  --vfs N              the VF count for enable\n"
	"  --autoprobe on|off   write sriov_drivers_autoprobe before creating VFs: whether\n"
	"                       host drivers bind the new VFs (default: leave it)\n"
	"  --vf K               the VF index for set\n"
	"  --json               machine-readable output\n"
	"  --sysfs DIR          read this sysfs tree instead of /sys\n"
	"  --proc DIR           look for VF holders in this proc tree instead of /proc\n"
	"  -h, --help           this text\n";

struct sriov_args {
	const char *sub, *pf;
	const char *root, *proc;
	bool json;
	int vfs, vf;
	enum sriov_autoprobe autoprobe;
	char **settings;
	int n_settings;
};

static const struct cli_command *self(void);

static void json_vf_config(struct json_writer *w, const struct sriov_vf_config *c)
{
	char mac[24];

	json_key(w, "settings");
	json_begin_object(w);
	if (c->set & SRIOV_VF_MAC)
		json_kv_string(w, "mac", sriov_mac_format(c->mac, mac, sizeof(mac)));
	if (c->set & SRIOV_VF_VLAN) {
		json_kv_int(w, "vlan", c->vlan);
		json_kv_int(w, "qos", c->qos);
	}
	if (c->set & SRIOV_VF_SPOOFCHK)
		json_kv_bool(w, "spoofchk", c->spoofchk);
	if (c->set & SRIOV_VF_TRUST)
		json_kv_bool(w, "trust", c->trust);
	if (c->set & SRIOV_VF_RATE) {
		json_kv_int(w, "min_tx_rate", c->min_tx_rate);
		json_kv_int(w, "max_tx_rate", c->max_tx_rate);
	}
	if (c->set & SRIOV_VF_LINK_STATE)
		json_kv_string(w, "link_state", sriov_link_state_name(c->link_state));
	json_end_object(w);
}

static void text_vf_config(const struct sriov_vf_config *c, char *buf, size_t len)
{
	char mac[24];
	int n = 0;

	buf[0] = '\0';
#define ADD(...) n += snprintf(buf + n, n < (int)len ? len - (size_t)n : 0, __VA_ARGS__)
	if (c->set & SRIOV_VF_MAC)
		ADD("mac %s ", sriov_mac_format(c->mac, mac, sizeof(mac)));
	if (c->set & SRIOV_VF_VLAN)
		ADD("vlan %u qos %u ", c->vlan, c->qos);
	if (c->set & SRIOV_VF_SPOOFCHK)
		ADD("spoofchk %s ", c->spoofchk ? "on" : "off");
	if (c->set & SRIOV_VF_TRUST)
		ADD("trust %s ", c->trust ? "on" : "off");
	if (c->set & SRIOV_VF_RATE)
		ADD("tx_rate %u-%u ", c->min_tx_rate, c->max_tx_rate);
	if (c->set & SRIOV_VF_LINK_STATE)
		ADD("link-state %s", sriov_link_state_name(c->link_state));
#undef ADD
}

/* The VF settings of a network PF on this host; how many, or -errno. */
static int pf_vf_configs(const struct pci_dev_info *pf, const char *root,
			 struct sriov_vf_config *cfg, size_t max)
{
	struct sriov_nl nl;
	unsigned idx;
	int n;

	if (strcmp(root, "/sys") || !pf->n_netifs)
		return -ENOENT;
	idx = if_nametoindex(pf->netifs[0].name);
	if (!idx)
		return -ENODEV;
	n = sriov_nl_open(&nl);
	if (n)
		return n;
	n = sriov_vf_list(&nl, (int)idx, cfg, max);
	sriov_nl_close(&nl);
	return n;
}

static void list_json_pf(struct json_writer *w, const struct inventory *inv,
			 const struct pci_dev_info *pf, const char *root)
{
	struct sriov_vf_config *cfg = calloc(MAX_LIST_VFS, sizeof(*cfg));
	int ncfg = cfg ? pf_vf_configs(pf, root, cfg, MAX_LIST_VFS) : -ENOMEM;

	json_begin_object(w);
	json_kv_string(w, "pf", pf->bdf);
	json_kv_string(w, "driver", pf->driver[0] ? pf->driver : NULL);
	json_kv_string(w, "netdev", pf->n_netifs ? pf->netifs[0].name : NULL);
	json_kv_int(w, "numa_node", pf->numa_node);
	json_kv_int(w, "totalvfs", pf->sriov_totalvfs);
	json_kv_int(w, "numvfs", pf->sriov_numvfs);
	json_kv_bool(w, "vf_settings_read", ncfg >= 0);
	json_key(w, "vfs");
	json_begin_array(w);
	for (size_t i = 0; i < pf->n_vfs; i++) {
		const struct pci_dev_info *vf = inventory_find(inv, pf->vfs[i]);

		json_begin_object(w);
		json_kv_int(w, "index", (long long)i);
		json_kv_string(w, "bdf", pf->vfs[i]);
		json_kv_int(w, "iommu_group", vf ? vf->iommu_group : -1);
		json_kv_string(w, "driver", vf && vf->driver[0] ? vf->driver : NULL);
		json_kv_int(w, "numa_node", vf ? vf->numa_node : -1);
		if ((int)i < ncfg && i < MAX_LIST_VFS)
			json_vf_config(w, &cfg[i]);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
	free(cfg);
}

static void list_text_pf(const struct inventory *inv, const struct pci_dev_info *pf,
			 const char *root)
{
	static const char *const headers[] = { "  VF", "BDF", "GROUP", "DRIVER", "NUMA", "SETTINGS" };
	struct sriov_vf_config *cfg = calloc(MAX_LIST_VFS, sizeof(*cfg));
	int ncfg = cfg ? pf_vf_configs(pf, root, cfg, MAX_LIST_VFS) : -ENOMEM;
	struct table *t = table_new(ARRAY_SIZE(headers), headers);
	char idx[32], grp[16], numa[16], set[256];

	text_print(stdout, "PF %s  driver %s  netdev %s  NUMA node %d  VFs %d of %d", pf->bdf,
		   pf->driver[0] ? pf->driver : "-", pf->n_netifs ? pf->netifs[0].name : "-",
		   pf->numa_node, pf->sriov_numvfs, pf->sriov_totalvfs);
	for (size_t i = 0; t && i < pf->n_vfs; i++) {
		const struct pci_dev_info *vf = inventory_find(inv, pf->vfs[i]);

		snprintf(idx, sizeof(idx), "  %zu", i);
		snprintf(grp, sizeof(grp), "%d", vf ? vf->iommu_group : -1);
		snprintf(numa, sizeof(numa), "%d", vf ? vf->numa_node : -1);
		set[0] = '\0';
		if ((int)i < ncfg && i < MAX_LIST_VFS)
			text_vf_config(&cfg[i], set, sizeof(set));
		table_add_row(t, (const char *const[]){ idx, pf->vfs[i], grp,
							vf ? vf->driver : "", numa, set });
	}
	if (t && pf->n_vfs)
		table_print(t, stdout);
	table_free(t);
	free(cfg);
}

static int sriov_list(const struct sriov_args *a)
{
	char bdf[PCI_BDF_STRLEN] = "";
	struct inventory inv;
	struct json_writer w;
	size_t shown = 0;
	int ret;

	if (a->pf && pci_bdf_parse(a->pf, bdf))
		return cli_usage_error(self(), "'%s' is not a PCI address", a->pf);
	ret = cli_inventory_scan(a->root, &inv);
	if (ret)
		return cli_fail_json(self(), a->json, "cannot read %s: %s", a->root, strerror(-ret));
	if (bdf[0] && (!inventory_find(&inv, bdf) || !inventory_find(&inv, bdf)->is_pf)) {
		inventory_free(&inv);
		return cli_fail_json(self(), a->json, "%s is not an SR-IOV PF under %s", bdf, a->root);
	}
	if (a->json) {
		json_init(&w, stdout);
		json_begin_object(&w);
		json_key(&w, "pfs");
		json_begin_array(&w);
	}
	for (size_t i = 0; i < inv.n_devs; i++) {
		const struct pci_dev_info *d = &inv.devs[i];

		if (!d->is_pf || (bdf[0] && strcmp(bdf, d->bdf)))
			continue;
		if (a->json)
			list_json_pf(&w, &inv, d, a->root);
		else
			list_text_pf(&inv, d, a->root);
		shown++;
	}
	if (a->json) {
		json_end_array(&w);
		json_end_object(&w);
		json_finish(&w);
	} else if (!shown) {
		printf("No SR-IOV PFs under %s.\n", a->root);
	}
	inventory_free(&inv);
	return CLI_EXIT_OK;
}

static void numvfs_report(const struct sriov_args *a, const char *bdf,
			  const struct sriov_numvfs_result *r, const char *msg)
{
	struct json_writer w;

	if (a->json) {
		json_init(&w, stdout);
		json_begin_object(&w);
		json_kv_string(&w, "pf", bdf);
		json_kv_int(&w, "before", r->before);
		json_kv_int(&w, "wanted", r->wanted);
		json_kv_int(&w, "numvfs", r->after);
		json_kv_bool(&w, "changed", r->changed);
		json_kv_bool(&w, "partial", r->partial);
		json_kv_bool(&w, "vf_token_needed", r->vf_token && r->after > 0);
		json_kv_string(&w, "message", msg[0] ? msg : NULL);
		json_end_object(&w);
		json_finish(&w);
		return;
	}
	if (!r->changed)
		printf("%s already has %d VFs: nothing changed\n", bdf, r->after);
	else if (r->partial)
		text_print(stdout, "warning: %s", msg);
	else
		printf("%s: %d VFs (was %d)\n", bdf, r->after, r->before);
	if (r->vf_token && r->after > 0)
		printf("%s is bound to vfio-pci: its VFs open only with the VF token its owner set\n", bdf);
}

static int sriov_numvfs(const struct sriov_args *a, int wanted)
{
	struct sriov_env env = { .sysfs_root = a->root, .proc_root = a->proc };
	struct sriov_numvfs_result r;
	char bdf[PCI_BDF_STRLEN], msg[SRIOV_MSG_LEN] = "";
	int ret;

	if (!a->pf)
		return cli_usage_error(self(), "%s needs a PF", a->sub);
	if (pci_bdf_parse(a->pf, bdf))
		return cli_usage_error(self(), "'%s' is not a PCI address", a->pf);
	ret = sriov_numvfs_set(&env, bdf, wanted, a->autoprobe, &r, msg, sizeof(msg));
	if (ret)
		return cli_fail_json(self(), a->json, "%s", msg[0] ? msg : strerror(-ret));
	numvfs_report(a, bdf, &r, msg);
	return r.partial ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

struct first_name {
	char *buf;
	size_t len;
};

static int take_first(const char *name, void *opaque)
{
	struct first_name *f = opaque;

	snprintf(f->buf, f->len, "%s", name);
	return 1;
}

/* PF as a network interface index: a BDF's first netdev, or an interface name. */
static int set_ifindex(const struct sriov_args *a, char *name, size_t len)
{
	struct first_name f = { name, len };
	char bdf[PCI_BDF_STRLEN], path[512];
	unsigned idx;

	snprintf(name, len, "%s", a->pf);
	if (!pci_bdf_parse(a->pf, bdf)) {
		name[0] = '\0';
		if (!sysfs_path(path, sizeof(path), a->root, "bus/pci/devices/%s/net", bdf))
			(void)sysfs_for_each_entry(path, take_first, &f);
	}
	idx = name[0] ? if_nametoindex(name) : 0;
	return idx ? (int)idx : -ENODEV;
}

static void set_report(const struct sriov_args *a, const struct sriov_vf_outcome *o, int n)
{
	struct json_writer w;

	if (a->json) {
		json_init(&w, stdout);
		json_begin_object(&w);
		json_kv_string(&w, "pf", a->pf);
		json_kv_int(&w, "vf", a->vf);
		json_key(&w, "results");
		json_begin_array(&w);
	}
	for (int i = 0; i < n; i++) {
		const char *name = sriov_vf_attr_name(o[i].attr);

		if (a->json) {
			json_begin_object(&w);
			json_kv_string(&w, "setting", name);
			json_kv_bool(&w, "ok", !o[i].err);
			json_kv_string(&w, "error", o[i].err ? strerror(-o[i].err) : NULL);
			json_kv_string(&w, "kernel_message", o[i].extack[0] ? o[i].extack : NULL);
			json_end_object(&w);
		} else if (o[i].err) {
			text_print(stderr, "iovirt sriov: %s on VF %d refused: %s%s%s", name, a->vf,
				   strerror(-o[i].err), o[i].extack[0] ? ": " : "", o[i].extack);
		} else {
			printf("%s on VF %d: set\n", name, a->vf);
		}
	}
	if (a->json) {
		json_end_array(&w);
		json_end_object(&w);
		json_finish(&w);
	}
}

static int sriov_set(const struct sriov_args *a)
{
	struct sriov_vf_config cfg = { 0 }, cur[MAX_LIST_VFS];
	struct sriov_vf_outcome out[8];
	char msg[SRIOV_MSG_LEN], ifname[IF_NAMESIZE + 8];
	struct sriov_nl nl;
	int ifindex, ncur, n, failed = 0;

	if (!a->pf || a->vf < 0)
		return cli_usage_error(self(), "set needs a PF and --vf K");
	cfg.vf = (uint32_t)a->vf;
	for (int i = 0; i < a->n_settings; i++)
		if (sriov_vf_config_parse(&cfg, a->settings[i], msg, sizeof(msg)))
			return cli_usage_error(self(), "%s", msg);
	if (sriov_vf_config_check(&cfg, msg, sizeof(msg)))
		return cli_usage_error(self(), "%s", msg);
	ifindex = set_ifindex(a, ifname, sizeof(ifname));
	if (ifindex < 0)
		return cli_fail_json(self(), a->json, "%s is not a network interface on this host (VF "
				     "settings live on a network PF's netdev)", a->pf);
	if (sriov_nl_open(&nl))
		return cli_fail_json(self(), a->json, "cannot open a NETLINK_ROUTE socket");
	ncur = sriov_vf_list(&nl, ifindex, cur, MAX_LIST_VFS);
	n = sriov_vf_apply(&nl, ifindex, &cfg, ncur > a->vf ? &cur[a->vf] : NULL, out, ARRAY_SIZE(out));
	sriov_nl_close(&nl);
	if (n < 0)
		return cli_fail_json(self(), a->json, "cannot build the request: %s", strerror(-n));
	set_report(a, out, n);
	for (int i = 0; i < n; i++)
		failed += out[i].err != 0;
	return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static int parse_autoprobe(const char *v, enum sriov_autoprobe *out)
{
	if (!strcmp(v, "on"))
		*out = SRIOV_AUTOPROBE_ON;
	else if (!strcmp(v, "off"))
		*out = SRIOV_AUTOPROBE_OFF;
	else
		return -1;
	return 0;
}

static int parse_opts(int argc, char **argv, struct sriov_args *a)
{
	static const struct option opts[] = {
		{ "vfs", required_argument, NULL, 'n' }, { "vf", required_argument, NULL, 'k' },
		{ "autoprobe", required_argument, NULL, 'a' }, { "json", no_argument, NULL, 'j' },
		{ "sysfs", required_argument, NULL, 's' }, { "proc", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	unsigned v;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case ':':
			return cli_usage_error(self(), "%s needs a value", argv[optind - 1]);
		case 'n':
		case 'k':
			ret = cli_arg_uint(self(), c == 'n' ? "--vfs" : "--vf", optarg, 0, 65535, &v);
			if (ret >= 0)
				return ret;
			*(c == 'n' ? &a->vfs : &a->vf) = (int)v;
			break;
		case 'a':
			if (parse_autoprobe(optarg, &a->autoprobe))
				return cli_usage_error(self(), "--autoprobe takes on or off, not '%s'", optarg);
			break;
		case 'j':
			a->json = true;
			break;
		case 's':
			a->root = optarg;
			break;
		case 'p':
			a->proc = optarg;
			break;
		case 'h':
			cli_print_usage(self());
			return CLI_EXIT_OK;
		default:
			return cli_usage_error(self(), "unknown option '%s'", argv[optind - 1]);
		}
	}
	return -1;
}

/* Options may come before or after the positional words. */
static int parse_args(int argc, char **argv, struct sriov_args *a, char **pos, int *npos)
{
	int ret;

	*npos = 0;
	while (optind < argc || *npos == 0) {
		ret = parse_opts(argc, argv, a);
		if (ret >= 0)
			return ret;
		if (optind >= argc)
			break;
		pos[(*npos)++] = argv[optind++];
	}
	return -1;
}

static int sriov_main(int argc, char **argv)
{
	struct sriov_args a = { .root = "/sys", .proc = "/proc", .vfs = -1, .vf = -1 };
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	int npos, ret;

	if (!pos)
		return cli_fail(self(), "out of memory");
	ret = parse_args(argc, argv, &a, pos, &npos);
	if (ret >= 0)
		goto out;
	if (!npos) {
		ret = cli_usage_error(self(), "missing subcommand: list, enable, disable or set");
		goto out;
	}
	a.sub = pos[0];
	a.pf = npos > 1 ? pos[1] : NULL;
	a.settings = pos + 2;
	a.n_settings = npos > 2 ? npos - 2 : 0;
	if (strcmp(a.sub, "set") && npos > 2) {
		ret = cli_usage_error(self(), "unexpected argument '%s'", pos[2]);
		goto out;
	}
	if (!strcmp(a.sub, "list"))
		ret = sriov_list(&a);
	else if (!strcmp(a.sub, "enable") && a.vfs < 0)
		ret = cli_usage_error(self(), "enable needs --vfs N");
	else if (!strcmp(a.sub, "enable"))
		ret = sriov_numvfs(&a, a.vfs);
	else if (!strcmp(a.sub, "disable"))
		ret = sriov_numvfs(&a, 0);
	else if (!strcmp(a.sub, "set"))
		ret = sriov_set(&a);
	else
		ret = cli_usage_error(self(), "unknown subcommand '%s'", a.sub);
out:
	free(pos);
	return ret;
}

const struct cli_command cli_cmd_sriov = {
	.name = "sriov",
	.fn = sriov_main,
	.summary = "list SR-IOV PFs and VFs, enable or disable VFs, set VF settings",
	.usage = usage,
};

static const struct cli_command *self(void)
{
	return &cli_cmd_sriov;
}
