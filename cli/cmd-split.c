/* iovirt split: plan how N guests share one SR-IOV PF; apply it, launch the guests, export it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "output.h"
#include "parse.h"
#include "split-launch.h"
#include "split.h"

#define FAULT_ENV "IOVIRT_FAULT_BIND_STEP"

static const char usage[] =
	"usage: iovirt split PF --guests N [--vfs-per-guest K] [--json] [--export k8s|libvirt]\n"
	"                    [--apply [--launch [--log-dir DIR] -- RUN-OPTIONS...]]\n"
	"                    [--sysfs DIR] [--state-dir DIR]\n"
	"\n"
	"Plan how N guests share the SR-IOV PF (a PCI address such as 0000:03:00.0):\n"
	"N*K VFs, guest g taking VFs g*K to g*K+K-1, each VF a distinct locally\n"
	"administered MAC (02 followed by a hash of the PF's MAC, or of its address\n"
	"when it has no network interface, and the VF index: the same PF always gets\n"
	"the same MACs), and every guest's vCPUs and memory on the PF's NUMA node.\n"
	"Without --apply the plan is printed and nothing is changed.\n"
	"\n"
	"Options:\n"
	"  --guests N           how many guests (1 and up)\n"
	"  --vfs-per-guest K    VFs per guest (default 1)\n"
	"  --json               the plan (and what --apply and --launch did) as JSON\n"
	"  --apply              carry the plan out: the VF count (through 0 when another\n"
	"                       count is set, refused while a process holds a VF; new\n"
	"                       VFs get no host driver), each VF's MAC (a PF with a\n"
	"                       network interface), every VF bound to vfio-pci (the\n"
	"                       rules of iovirt bind). Idempotent: a second --apply\n"
	"                       changes nothing. On a failure every change is undone\n"
	"  --launch -- RUN-OPTIONS...\n"
	"                       with --apply: start one `iovirt run RUN-OPTIONS --vfio\n"
	"                       VF...` per guest, detached, its CPUs and memory bound\n"
	"                       to the PF's NUMA node, and print the PIDs. A guest that\n"
	"                       fails within 2 s stops the others\n"
	"  --log-dir DIR        the guests' output: DIR/split-guest-G.log (default .;\n"
	"                       created when missing, checked before anything changes)\n"
	"  --export k8s         the VF pool as the SR-IOV network device plugin's\n"
	"                       config.json resource list (VFs bound to vfio-pci)\n"
	"  --export libvirt     each guest's <hostdev> (or <interface type='hostdev'>\n"
	"                       with its MAC) elements; needs the VF addresses, known\n"
	"                       once the VFs exist or from the PF's SR-IOV capability\n"
	"  --sysfs DIR          read this sysfs tree instead of /sys\n"
	"  --state-dir DIR      where vfio-pci bindings remember the previous driver\n"
	"                       (default " BIND_STATE_DIR "; iovirt unbind restores it)\n"
	"  -h, --help           this text\n"
	"\n"
	"Example: iovirt split 0000:03:00.0 --guests 2 --apply --launch --\n"
	"             --kernel bzImage --initrd initrd.img --mem 1G --cpus 2\n"
	"Test only: " FAULT_ENV "=N makes the Nth sysfs write of the bind step fail.\n";

struct split_args {
	const char *pf, *root, *state_dir, *export, *log_dir;
	unsigned guests, per;
	bool json, apply, launch;
	char **run_args;         /* after "--": the options of each guest's iovirt run */
	size_t n_run_args;
};

static const struct cli_command *self(void);

static void print_apply_json(struct json_writer *w, const struct split_apply_result *r)
{
	json_key(w, "applied");
	json_begin_object(w);
	json_kv_int(w, "numvfs_before", r->numvfs_before);
	json_kv_bool(w, "numvfs_changed", r->numvfs_changed);
	json_kv_int(w, "macs_set", r->macs_set);
	json_kv_int(w, "macs_already", r->macs_already);
	json_kv_int(w, "bound", r->bound);
	json_kv_int(w, "bound_already", r->bound_already);
	json_end_object(w);
}

static void print_launch_json(struct json_writer *w, const struct split_guest *g, unsigned n)
{
	json_key(w, "launched");
	json_begin_array(w);
	for (unsigned i = 0; i < n; i++) {
		json_begin_object(w);
		json_kv_int(w, "guest", i);
		json_kv_int(w, "pid", g[i].pid);
		json_kv_bool(w, "running", g[i].exit_status < 0);
		json_kv_string(w, "log", g[i].log);
		json_end_object(w);
	}
	json_end_array(w);
}

static void print_json(const struct split_plan *p, const struct split_apply_result *applied,
		       const struct split_guest *launched)
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
	if (applied)
		print_apply_json(&w, applied);
	if (launched)
		print_launch_json(&w, launched, p->guests);
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

static void print_apply_text(const struct split_plan *p, const struct split_apply_result *r)
{
	if (!r->numvfs_changed && !r->macs_set && !r->bound) {
		printf("Applied: nothing changed (the %d VFs exist%s and are bound to vfio-pci)\n",
		       p->numvfs_wanted, r->macs_already ? ", carry their MACs" : "");
		return;
	}
	printf("Applied: VFs %d -> %d%s; ", r->numvfs_before, p->numvfs_wanted,
	       r->numvfs_changed ? " (autoprobe off)" : " (kept)");
	if (p->netdev[0])
		printf("MACs set %u (already %u); ", r->macs_set, r->macs_already);
	printf("bound to vfio-pci %u (already %u)\n", r->bound, r->bound_already);
}

static void print_launch_text(const struct split_plan *p, const struct split_guest *g)
{
	for (unsigned i = 0; i < p->guests; i++) {
		text_print(stdout, "guest %u: PID %d%s, output in %s", i, (int)g[i].pid,
			   g[i].exit_status < 0 ? "" : " (already ended, status 0)", g[i].log);
	}
}

static int apply_fail(const struct split_args *a, const struct split_apply_result *r, const char *msg,
		      int ret)
{
	return cli_fail_json(self(), a->json, "%s%s", msg[0] ? msg : strerror(-ret),
			     !r->rolled_back ? "" : r->rollback_failures ?
			     "; undoing the changes failed in part: check the PF and its VFs" :
			     "; every change was undone");
}

/* --launch after a successful apply, then the report. */
static int split_launch_report(const struct split_args *a, const struct split_plan *plan,
			       const struct split_apply_result *res)
{
	struct split_guest *guests = NULL;
	char msg[SRIOV_MSG_LEN] = "";

	if (a->launch) {
		guests = calloc(plan->guests, sizeof(*guests));
		if (!guests)
			return cli_fail_json(self(), a->json, "out of memory");
		if (split_launch(plan, a->run_args, a->n_run_args, a->log_dir, guests, msg, sizeof(msg))) {
			free(guests);
			return cli_fail_json(self(), a->json, "%s; the VFs stay bound to vfio-pci", msg);
		}
	}
	if (a->json) {
		print_json(plan, res, guests);
	} else {
		print_apply_text(plan, res);
		if (guests)
			print_launch_text(plan, guests);
	}
	free(guests);
	return CLI_EXIT_OK;
}

/* --apply (and --launch): change the host as planned. */
static int split_apply(const struct split_args *a, struct split_plan *plan)
{
	struct sriov_env env = { .sysfs_root = a->root, .proc_root = "/proc" };
	struct bind_opts bopts = { .sysfs_root = a->root, .state_dir = a->state_dir, .proc_root = "/proc" };
	struct split_apply_env e = { .sriov = &env, .bind = &bopts };
	struct split_apply_result res;
	struct host_routes routes = { 0 };
	char msg[SRIOV_MSG_LEN] = "";
	const char *fault = getenv(FAULT_ENV);
	bool live = !strcmp(a->root, "/sys");
	struct sriov_nl nl;
	int ret;

	if (fault && fault[0] && parse_uint(fault, 1, 1000000, &bopts.fault_write))
		return cli_usage_error(self(), "%s='%s': not a write number from 1", FAULT_ENV, fault);
	if (a->launch && split_launch_check_log_dir(a->log_dir, msg, sizeof(msg)))
		return cli_fail_json(self(), a->json, "%s; nothing was changed", msg);
	if (live && host_routes_read(&routes))
		return cli_fail_json(self(), a->json, "cannot read the host's routes, so no VF is known "
				     "to be safe to hand over");
	bopts.routes = live ? &routes : NULL;
	if (plan->netdev[0] && (ret = sriov_nl_open(&nl))) {
		host_routes_free(&routes);
		return cli_fail_json(self(), a->json, "cannot open a netlink socket to set the VFs' "
				     "MACs: %s; nothing was changed", strerror(-ret));
	}
	e.nl = plan->netdev[0] ? &nl : NULL;
	if (!a->json)
		print_text(plan);
	ret = split_plan_apply(&e, plan, &res, msg, sizeof(msg));
	if (e.nl)
		sriov_nl_close(&nl);
	host_routes_free(&routes);
	return ret ? apply_fail(a, &res, msg, ret) : split_launch_report(a, plan, &res);
}

static int split_run(const struct split_args *a)
{
	struct sriov_env env = { .sysfs_root = a->root, .proc_root = "/proc" };
	char bdf[PCI_BDF_STRLEN], msg[SRIOV_MSG_LEN] = "";
	struct split_plan plan;
	int ret;

	if (pci_bdf_parse(a->pf, bdf))
		return cli_usage_error(self(), "'%s' is not a PCI address", a->pf);
	ret = split_plan_make(&env, bdf, a->guests, a->per, NULL, &plan, msg, sizeof(msg));
	if (ret)
		return cli_fail_json(self(), a->json, "%s", msg[0] ? msg : strerror(-ret));
	if (a->apply) {
		ret = split_apply(a, &plan);
		split_plan_free(&plan);
		return ret;
	}
	if (!a->export) {
		if (a->json)
			print_json(&plan, NULL, NULL);
		else
			print_text(&plan);
	} else if (!strcmp(a->export, "k8s")) {
		ret = split_export_k8s(&plan, stdout);
	} else {
		ret = split_export_libvirt(&plan, stdout);
	}
	split_plan_free(&plan);
	if (ret == -EAGAIN)
		return cli_fail(self(), "the VF addresses of %s are not known yet: enable the VFs first "
				"(iovirt sriov enable %s --vfs %u)", bdf, bdf, a->guests * a->per);
	return ret ? cli_fail(self(), "cannot write the export: %s", strerror(-ret)) : CLI_EXIT_OK;
}

/* Everything after a "--" goes to each guest's iovirt run; argc shrinks to what comes before. */
static void split_take_run_args(int *argc, char **argv, struct split_args *a)
{
	for (int i = 1; i < *argc; i++)
		if (!strcmp(argv[i], "--")) {
			a->run_args = argv + i + 1;
			a->n_run_args = (size_t)(*argc - i - 1);
			*argc = i;
			return;
		}
}

static int split_check_args(const struct split_args *a)
{
	if (!a->pf || !a->guests)
		return cli_usage_error(self(), "split needs a PF and --guests N");
	if (a->json && a->export)
		return cli_usage_error(self(), "--json and --export are exclusive");
	if (a->export && a->apply)
		return cli_usage_error(self(), "--export and --apply are exclusive: apply, then export");
	if (a->launch && !a->apply)
		return cli_usage_error(self(), "--launch needs --apply (the VFs must be bound first)");
	if (a->launch && !a->n_run_args)
		return cli_usage_error(self(), "--launch needs the guests' run options after '--' "
				       "(--kernel FILE ... or --guest IMAGE ...)");
	if (!a->launch && a->run_args)
		return cli_usage_error(self(), "options after '--' are for --launch");
	return -1;
}

static int split_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "guests", required_argument, NULL, 'g' }, { "vfs-per-guest", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' }, { "export", required_argument, NULL, 'e' },
		{ "apply", no_argument, NULL, 'a' }, { "launch", no_argument, NULL, 'L' },
		{ "log-dir", required_argument, NULL, 'l' }, { "state-dir", required_argument, NULL, 'S' },
		{ "sysfs", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct split_args a = { .root = "/sys", .state_dir = BIND_STATE_DIR, .log_dir = ".", .per = 1 };
	int c, ret;

	split_take_run_args(&argc, argv, &a);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case ':':
			return cli_usage_error(self(), "%s needs a value", argv[optind - 1]);
		case 'g':
		case 'k':
			ret = cli_arg_uint(self(), c == 'g' ? "--guests" : "--vfs-per-guest", optarg, 1,
					   65535, c == 'g' ? &a.guests : &a.per);
			if (ret >= 0)
				return ret;
			break;
		case 'j':
			a.json = true;
			break;
		case 'e':
			if (strcmp(optarg, "k8s") && strcmp(optarg, "libvirt"))
				return cli_usage_error(self(), "--export takes k8s or libvirt, not '%s'", optarg);
			a.export = optarg;
			break;
		case 'a':
			a.apply = true;
			break;
		case 'L':
			a.launch = true;
			break;
		case 'l':
			a.log_dir = optarg;
			break;
		case 'S':
			a.state_dir = optarg;
			break;
		case 's':
			a.root = optarg;
			break;
		case 'h':
			cli_print_usage(self());
			return CLI_EXIT_OK;
		default:
			return cli_usage_error(self(), "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		a.pf = argv[optind++];
	if (optind < argc)
		return cli_usage_error(self(), "unexpected argument '%s'", argv[optind]);
	ret = split_check_args(&a);
	return ret >= 0 ? ret : split_run(&a);
}

const struct cli_command cli_cmd_split = {
	.name = "split",
	.fn = split_main,
	.summary = "plan N guests sharing one SR-IOV PF; apply it, launch them, export it",
	.usage = usage,
};

static const struct cli_command *self(void)
{
	return &cli_cmd_split;
}
