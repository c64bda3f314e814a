/* iovirt bind / iovirt unbind: hand PCI devices to vfio-pci and back, safely. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "cli.h"
#include "compiler.h"
#include "json.h"
#include "output.h"
#include "parse.h"

#define MAX_BDFS 64
#define FAULT_ENV "IOVIRT_FAULT_BIND_STEP"

static const char bind_usage[] =
	"usage: iovirt bind BDF... [--group] [--force] [--dry-run] [--json]\n"
	"                          [--sysfs DIR] [--state-dir DIR]\n"
	"\n"
	"Bind PCI devices to vfio-pci so that a VMM can pass them through: for each\n"
	"device, write driver_override, unbind it from its driver, ask the kernel to\n"
	"probe it, and read the driver back. The previous driver is remembered in\n"
	"the state directory for 'iovirt unbind'. If any step fails, every device\n"
	"already changed goes back to its previous driver. A device already bound to\n"
	"vfio-pci is left alone: running the command twice changes nothing.\n"
	"\n"
	"Refused, naming what is at stake (nothing is changed when any device is):\n"
	"  - a host without an IOMMU, or a device in a VFIO no-IOMMU group (the unsafe\n"
	"    no-IOMMU mode is never enabled)\n"
	"  - a bridge, or a device in no IOMMU group\n"
	"  - a device whose network interface carries a host route, the default route\n"
	"    above all\n"
	"  - an SR-IOV PF with active VFs\n"
	"  - a device whose IOMMU group has other members held by host drivers\n"
	"    (named with their drivers), unless --group\n"
	"\n"
	"Options:\n"
	"  --group          also bind every other member of each device's IOMMU group\n"
	"                   that a host driver holds (each is checked the same way)\n"
	"  --force          bind a device even though its interface carries a host\n"
	"                   route (the default route included): the host loses that\n"
	"                   network. It overrides only this refusal, none of the others.\n"
	"  --dry-run        show what would change and what is refused; change nothing\n"
	"  --json           machine-readable output\n"
	"  --sysfs DIR      operate on this sysfs tree instead of /sys (routes are then\n"
	"                   not read)\n"
	"  --state-dir DIR  remember previous drivers here (default " BIND_STATE_DIR ")\n"
	"  -h, --help       this text\n"
	"\n"
	"Exit codes: 0 done or nothing to do, 1 refused or failed (after rollback),\n"
	"2 usage error.\n"
	"Test only: " FAULT_ENV "=N makes the Nth sysfs write fail, to exercise\n"
	"the rollback.\n";

static const char unbind_usage[] =
	"usage: iovirt unbind BDF... [--dry-run] [--json] [--sysfs DIR] [--state-dir DIR]\n"
	"\n"
	"Give devices bound to vfio-pci back to the driver they had before\n"
	"'iovirt bind' (remembered in the state directory), clearing driver_override.\n"
	"Without a remembered driver, driver_override is cleared and the kernel picks\n"
	"the driver. Refused while a process holds the device's /dev/vfio/<group> open\n"
	"(the kernel would hold the unbind until it lets go). A device not bound to\n"
	"vfio-pci is left alone: running the command twice changes nothing. If any\n"
	"step fails, every device already changed goes back to vfio-pci.\n"
	"\n"
	"Options:\n"
	"  --dry-run        show what would change; change nothing\n"
	"  --json           machine-readable output\n"
	"  --sysfs DIR      operate on this sysfs tree instead of /sys\n"
	"  --state-dir DIR  where 'iovirt bind' remembered the drivers (default\n"
	"                   " BIND_STATE_DIR ")\n"
	"  -h, --help       this text\n"
	"\n"
	"Exit codes: 0 done or nothing to do, 1 refused or failed (after rollback),\n"
	"2 usage error.\n";

struct bind_args {
	const struct cli_command *cmd;
	struct bind_opts opts;
	bool dry_run, json;
	char bdf[MAX_BDFS][PCI_BDF_STRLEN];
	const char *bdfs[MAX_BDFS];
	size_t n;
};

static int bind_parse_fault(struct bind_args *b)
{
	const char *env = getenv(FAULT_ENV);

	if (!env || !env[0])
		return -1;
	if (parse_uint(env, 1, 1000000, &b->opts.fault_write))
		return cli_usage_error(b->cmd, "%s='%s': not a write number from 1", FAULT_ENV, env);
	return -1;
}

static int bind_add_bdf(struct bind_args *b, const char *arg)
{
	if (b->n == MAX_BDFS)
		return cli_usage_error(b->cmd, "at most %d devices at once", MAX_BDFS);
	if (pci_bdf_parse(arg, b->bdf[b->n])) {
		char safe[64];

		return cli_usage_error(b->cmd, "'%s' is not a PCI address (dddd:bb:dd.f or bb:dd.f)",
				       text_escape(arg, safe, sizeof(safe)));
	}
	b->bdfs[b->n] = b->bdf[b->n];
	b->n++;
	return -1;
}

/* Parse argv into b; -1 to go on, or an exit code. */
static int bind_parse(struct bind_args *b, int argc, char **argv, bool is_bind)
{
	static const struct option opts[] = {
		{ "group", no_argument, NULL, 'g' },   { "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' },
		{ "sysfs", required_argument, NULL, 's' }, { "state-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },    { 0 },
	};
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case ':':
			return cli_usage_error(b->cmd, "%s needs a value", argv[optind - 1]);
		case 'g':
		case 'f':
			if (!is_bind)
				return cli_usage_error(b->cmd, "unknown option '%s'", argv[optind - 1]);
			*(c == 'g' ? &b->opts.group : &b->opts.force) = true;
			break;
		case 'n':
			b->dry_run = true;
			break;
		case 'j':
			b->json = true;
			break;
		case 's':
			b->opts.sysfs_root = optarg;
			break;
		case 'd':
			b->opts.state_dir = optarg;
			break;
		case 'h':
			cli_print_usage(b->cmd);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error(b->cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++)
		if ((ret = bind_add_bdf(b, argv[i])) >= 0)
			return ret;
	if (!b->n)
		return cli_usage_error(b->cmd, "which device? give at least one BDF");
	if (!b->opts.sysfs_root[0] || !b->opts.state_dir[0])
		return cli_usage_error(b->cmd, "--sysfs and --state-dir need a directory");
	return bind_parse_fault(b);
}

/* What happened to one step, in a few words. */
static const char *step_verb(const struct bind_plan *plan, const struct bind_step *s, bool dry_run)
{
	if (s->action == BIND_ALREADY)
		return "nothing to do";
	if (s->action == BIND_REFUSED)
		return "refused";
	switch (s->outcome) {
	case BIND_DONE:
		return plan->unbind ? "unbound" : "bound";
	case BIND_ROLLED_BACK:
		return "rolled back";
	case BIND_FAILED:
		return "failed";
	default:
		return dry_run ? (plan->unbind ? "would unbind" : "would bind") : "not changed";
	}
}

static void print_step(const struct bind_plan *plan, const struct bind_step *s, bool dry_run)
{
	const char *member = s->requested ? "" : " (same IOMMU group)";
	const char *to = s->to[0] ? s->to : s->to_known ? "no driver" : "the driver the kernel picks";

	if (s->action != BIND_CHANGE) {
		text_print(stdout, "  %s%s  %s: %s", s->bdf, member, step_verb(plan, s, dry_run), s->why);
		return;
	}
	text_print(stdout, "  %s%s  %s: %s -> %s", s->bdf, member, step_verb(plan, s, dry_run),
		   s->from[0] ? s->from : "no driver", to);
	if (s->why[0])
		text_print(stdout, "      %s", s->why);
}

static const char *plan_result(const struct bind_plan *plan, int ret, bool dry_run)
{
	if (plan->n_refused)
		return "refused";
	if (ret)
		return "failed";
	if (!plan->n_change)
		return "nothing-to-do";
	return dry_run ? "planned" : "done";
}

static void print_text(const struct bind_args *b, const struct bind_plan *plan, int ret)
{
	const char *result = plan_result(plan, ret, b->dry_run);

	printf("%s%s:\n", b->cmd->name, b->dry_run ? " (dry run, nothing is changed)" : "");
	for (size_t i = 0; i < plan->n_steps; i++)
		print_step(plan, &plan->steps[i], b->dry_run);
	if (!strcmp(result, "nothing-to-do"))
		printf("Nothing to do: every device is already as asked.\n");
	else if (!strcmp(result, "done"))
		printf("Done: %zu device%s changed.\n", plan->n_change, plan->n_change == 1 ? "" : "s");
	else if (!strcmp(result, "planned"))
		printf("Would change %zu device%s.\n", plan->n_change, plan->n_change == 1 ? "" : "s");
}

static void print_json(const struct bind_args *b, const struct bind_plan *plan, int ret)
{
	struct json_writer w;

	json_init(&w, stdout);
	json_begin_object(&w);
	json_kv_string(&w, "command", b->cmd->name);
	json_kv_bool(&w, "dry_run", b->dry_run);
	json_kv_string(&w, "result", plan_result(plan, ret, b->dry_run));
	json_key(&w, "devices");
	json_begin_array(&w);
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct bind_step *s = &plan->steps[i];

		json_begin_object(&w);
		json_kv_string(&w, "bdf", s->bdf);
		json_kv_bool(&w, "requested", s->requested);
		json_kv_string(&w, "action", bind_action_name(s->action));
		json_kv_string(&w, "outcome", bind_outcome_name(s->outcome));
		json_kv_string(&w, "from", s->from[0] ? s->from : NULL);
		json_kv_string(&w, "to", s->to[0] ? s->to : NULL);
		json_kv_string(&w, "reason", s->why[0] ? s->why : NULL);
		json_end_object(&w);
	}
	json_end_array(&w);
	json_kv_string(&w, "error", plan->error[0] ? plan->error : NULL);
	json_kv_int(&w, "exit_code", plan->n_refused || ret ? CLI_EXIT_FAILURE : CLI_EXIT_OK);
	json_end_object(&w);
	json_finish(&w);
}

static int bind_report(const struct bind_args *b, const struct bind_plan *plan, int ret)
{
	if (b->json)
		print_json(b, plan, ret);
	else
		print_text(b, plan, ret);
	if (plan->n_refused)
		return cli_fail(b->cmd, "refused (%zu device%s): nothing was changed", plan->n_refused,
				plan->n_refused == 1 ? "" : "s");
	if (ret)
		return cli_fail(b->cmd, "%s; every device already changed was returned to its previous "
				"driver unless said otherwise above", plan->error);
	return CLI_EXIT_OK;
}

/* A tree that is not /sys is not this kernel's: never load a module for it. */
static int bind_no_module(void *opaque, const char *name)
{
	return -EOPNOTSUPP;
}

static int bind_run(const struct cli_command *cmd, int argc, char **argv, bool is_bind)
{
	struct bind_args b = { .cmd = cmd };
	struct host_routes routes = { 0 };
	struct bind_plan plan;
	int ret;

	b.opts.sysfs_root = "/sys";
	b.opts.state_dir = BIND_STATE_DIR;
	ret = bind_parse(&b, argc, argv, is_bind);
	if (ret >= 0)
		return ret;
	if (is_bind && !strcmp(b.opts.sysfs_root, "/sys") && (ret = host_routes_read(&routes)))
		return cli_fail_json(cmd, b.json, "cannot read the host's routes, so no device is known "
				     "to be safe to take: %s", strerror(-ret));
	if (is_bind && !strcmp(b.opts.sysfs_root, "/sys"))
		b.opts.routes = &routes;
	if (strcmp(b.opts.sysfs_root, "/sys"))
		b.opts.load_module = bind_no_module;
	else
		b.opts.proc_root = "/proc";
	ret = is_bind ? bind_plan_make(&b.opts, b.bdfs, b.n, &plan)
		      : unbind_plan_make(&b.opts, b.bdfs, b.n, &plan);
	if (ret) {
		host_routes_free(&routes);
		return cli_fail_json(cmd, b.json, "cannot read PCI devices under %s: %s",
				     b.opts.sysfs_root, strerror(-ret));
	}
	if (!b.dry_run && !plan.n_refused)
		ret = bind_plan_apply(&b.opts, &plan);
	ret = bind_report(&b, &plan, ret);
	bind_plan_free(&plan);
	host_routes_free(&routes);
	return ret;
}

static int bind_main(int argc, char **argv)
{
	return bind_run(&cli_cmd_bind, argc, argv, true);
}

static int unbind_main(int argc, char **argv)
{
	return bind_run(&cli_cmd_unbind, argc, argv, false);
}

const struct cli_command cli_cmd_bind = {
	.name = "bind",
	.fn = bind_main,
	.summary = "bind PCI devices to vfio-pci safely (checked, idempotent, rolled back on failure)",
	.usage = bind_usage,
};

const struct cli_command cli_cmd_unbind = {
	.name = "unbind",
	.fn = unbind_main,
	.summary = "give vfio-pci devices back to the driver they had before 'iovirt bind'",
	.usage = unbind_usage,
};
