/* Planning `iovirt bind` and `iovirt unbind`: what changes, what is done, what is refused and why. */
#include "bind.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bind-state.h"
#include "iommu-groups.h"
#include "sysfs.h"

static const char *const action_names[] = {
	[BIND_CHANGE] = "change",
	[BIND_ALREADY] = "already",
	[BIND_REFUSED] = "refused",
};

static const char *const outcome_names[] = {
	[BIND_PLANNED] = "planned",
	[BIND_DONE] = "done",
	[BIND_ROLLED_BACK] = "rolled-back",
	[BIND_FAILED] = "failed",
};

const char *bind_action_name(enum bind_action a)
{
	return (size_t)a < ARRAY_SIZE(action_names) ? action_names[a] : "?";
}

const char *bind_outcome_name(enum bind_outcome o)
{
	return (size_t)o < ARRAY_SIZE(outcome_names) ? outcome_names[o] : "?";
}

void bind_plan_free(struct bind_plan *plan)
{
	free(plan->steps);
	memset(plan, 0, sizeof(*plan));
}

static void __printf(3, 4) step_set(struct bind_step *s, enum bind_action a, const char *fmt, ...)
{
	va_list ap;

	s->action = a;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

static struct bind_step *plan_find(struct bind_plan *plan, const char *bdf)
{
	for (size_t i = 0; i < plan->n_steps; i++)
		if (!strcmp(plan->steps[i].bdf, bdf))
			return &plan->steps[i];
	return NULL;
}

/* A new step for bdf, or NULL (*dup set) when the plan already holds it, or NULL on ENOMEM. */
static struct bind_step *plan_add(struct bind_plan *plan, const char *bdf, bool requested, bool *dup)
{
	struct bind_step *v, *s = plan_find(plan, bdf);

	*dup = s != NULL;
	if (s) {
		s->requested |= requested;
		return NULL;
	}
	v = realloc(plan->steps, (plan->n_steps + 1) * sizeof(*v));
	if (!v)
		return NULL;
	plan->steps = v;
	s = &v[plan->n_steps++];
	memset(s, 0, sizeof(*s));
	snprintf(s->bdf, sizeof(s->bdf), "%s", bdf);
	s->requested = requested;
	s->outcome = BIND_PLANNED;
	return s;
}

static void plan_count(struct bind_plan *plan)
{
	plan->n_refused = plan->n_change = 0;
	for (size_t i = 0; i < plan->n_steps; i++) {
		plan->n_refused += plan->steps[i].action == BIND_REFUSED;
		plan->n_change += plan->steps[i].action == BIND_CHANGE;
	}
}

static const struct netif_info *routed_netif(const struct pci_dev_info *d)
{
	const struct netif_info *found = NULL;

	for (size_t i = 0; i < d->n_netifs; i++) {
		if (d->netifs[i].default_route)
			return &d->netifs[i];
		if (d->netifs[i].route[0] && !found)
			found = &d->netifs[i];
	}
	return found;
}

/* The route check: refuse, or note what --force hands over. True when refused. */
static bool check_route(const struct bind_opts *opts, const struct pci_dev_info *d, struct bind_step *s)
{
	const struct netif_info *nif = routed_netif(d);
	const char *what = nif && nif->default_route ? "the host's default route" : "the host route";

	if (!nif)
		return false;
	if (opts->force) {
		snprintf(s->why, sizeof(s->why), "--force: %s carries %s (%s); the host loses it", nif->name,
			 what, nif->route);
		return false;
	}
	step_set(s, BIND_REFUSED, "its interface %s carries %s (%s); binding it would %s "
		 "(--force overrides this refusal)", nif->name, what, nif->route,
		 nif->default_route ? "cut the host off its network" : "break that route");
	return true;
}

/* The refusals that concern the device itself, in order; true when refused. */
static bool check_device(const struct bind_opts *opts, const struct inventory *inv,
			 const struct pci_dev_info *d, const struct iommu_group_info *g, struct bind_step *s)
{
	if (!inv->has_iommu)
		step_set(s, BIND_REFUSED, "this host has no IOMMU, so nothing isolates the device's DMA; "
			 "iovirt never enables VFIO's unsafe no-IOMMU mode (enable VT-d or AMD-Vi and "
			 "boot with intel_iommu=on or amd_iommu=on)");
	else if (g && g->noiommu)
		step_set(s, BIND_REFUSED, "IOMMU group %d is a VFIO no-IOMMU group: nothing isolates the "
			 "device's DMA, and iovirt does not use the unsafe no-IOMMU mode", g->id);
	else if (PCI_BASE_CLASS(d->class) == PCI_CLASS_BASE_BRIDGE)
		step_set(s, BIND_REFUSED, "it is a bridge (driver %s), part of the host's PCI topology",
			 d->driver[0] ? d->driver : "none");
	else if (!g)
		step_set(s, BIND_REFUSED, "it is in no IOMMU group, so its DMA is not isolated");
	else if (check_route(opts, d, s))
		return true;
	else if (d->group_conflict || g->members_unreadable)
		step_set(s, BIND_REFUSED, "sysfs describes IOMMU group %d inconsistently (%s), so it cannot "
			 "be trusted to isolate the device", g->id, d->anomalies[0] ? d->anomalies : g->reason);
	else if (d->is_pf && d->sriov_unsure)
		step_set(s, BIND_REFUSED, "it is an SR-IOV PF and sysfs does not say how many VFs are "
			 "enabled; taking it from %s may destroy them", d->driver[0] ? d->driver : "its driver");
	else if (d->is_pf && d->sriov_numvfs > 0)
		step_set(s, BIND_REFUSED, "it is an SR-IOV PF with %d active VFs; taking it from %s destroys "
			 "them (set sriov_numvfs to 0 first, or bind the VFs)", d->sriov_numvfs,
			 d->driver[0] ? d->driver : "its driver");
	else
		return false;
	return true;
}

/*
 * Without --group, the other members a host driver holds refuse the device;
 * with it, members that are not PCI devices (which bind cannot move) do.
 */
static bool check_group(const struct bind_opts *opts, const struct inventory *inv,
			const struct iommu_group_info *g, struct bind_step *s)
{
	char blockers[REASON_LEN];
	size_t used = 0;

	if (!opts->group) {
		if (!iommu_group_blockers(inv, g, s->bdf, blockers, sizeof(blockers)))
			return false;
		step_set(s, BIND_REFUSED, "IOMMU group %d is not viable: %s; bind the whole group with "
			 "--group, or unbind those first", g->id, blockers);
		return true;
	}
	blockers[0] = '\0';
	for (size_t i = 0; i < g->n_members; i++) {
		const struct iommu_member *m = &g->members[i];
		int n;

		if (m->allowed || inventory_find(inv, m->name))
			continue;
		n = snprintf(blockers + used, sizeof(blockers) - used, "%s%s (not a PCI device) is held "
			     "by %s", used ? "; " : "", m->name, m->driver[0] ? m->driver : "?");
		if (n > 0 && (size_t)n < sizeof(blockers) - used)
			used += (size_t)n;
	}
	if (!blockers[0])
		return false;
	step_set(s, BIND_REFUSED, "IOMMU group %d cannot be made viable: %s", g->id, blockers);
	return true;
}

static void plan_bind_step(const struct bind_opts *opts, const struct inventory *inv, struct bind_step *s)
{
	const struct pci_dev_info *d = inventory_find(inv, s->bdf);
	const struct iommu_group_info *g;

	if (!d) {
		step_set(s, BIND_REFUSED, "no such PCI device under %s/bus/pci/devices", opts->sysfs_root);
		return;
	}
	snprintf(s->from, sizeof(s->from), "%s", d->driver);
	snprintf(s->to, sizeof(s->to), "%s", BIND_TARGET_DRIVER);
	if (driver_is_vfio(d->driver)) {
		step_set(s, BIND_ALREADY, "already bound to %s", d->driver);
		return;
	}
	g = d->iommu_group >= 0 ? inventory_find_group(inv, d->iommu_group) : NULL;
	if (check_device(opts, inv, d, g, s) || check_group(opts, inv, g, s))
		return;
	s->action = BIND_CHANGE;
}

/* Add the PCI members of bdf's group that a host driver holds (the others need nothing). */
static int plan_add_group(const struct bind_opts *opts, const struct inventory *inv,
			  struct bind_plan *plan, const char *bdf)
{
	const struct pci_dev_info *d = inventory_find(inv, bdf);
	const struct iommu_group_info *g = d ? inventory_find_group(inv, d->iommu_group) : NULL;

	for (size_t i = 0; g && i < g->n_members; i++) {
		const struct iommu_member *m = &g->members[i];
		struct bind_step *s;
		bool dup;

		if (m->allowed || !inventory_find(inv, m->name))
			continue;
		s = plan_add(plan, m->name, false, &dup);
		if (!s && !dup)
			return -ENOMEM;
		if (s)
			plan_bind_step(opts, inv, s);
	}
	return 0;
}

static int plan_scan(const struct bind_opts *opts, struct inventory *inv)
{
	struct inventory_opts io = {
		.sysfs_root = opts->sysfs_root, .routes = opts->routes, .lookup_names = true,
	};

	return inventory_scan(&io, inv);
}

int bind_plan_make(const struct bind_opts *opts, const char *const *bdfs, size_t n,
		   struct bind_plan *plan)
{
	struct inventory inv;
	int ret;

	memset(plan, 0, sizeof(*plan));
	ret = plan_scan(opts, &inv);
	if (ret)
		return ret;
	for (size_t i = 0; i < n && !ret; i++) {
		bool dup;
		struct bind_step *s = plan_add(plan, bdfs[i], true, &dup);

		if (!s && !dup)
			ret = -ENOMEM;
		if (s)
			plan_bind_step(opts, &inv, s);
		if (!ret && opts->group)
			ret = plan_add_group(opts, &inv, plan, bdfs[i]);
	}
	inventory_free(&inv);
	if (ret) {
		bind_plan_free(plan);
		return ret;
	}
	plan_count(plan);
	return 0;
}

struct holder_ctx {
	const char *proc_root;
	char want[32];   /* "/dev/vfio/<group>" */
	long pid;        /* the process found, 0 if none */
	char fd_dir[PATH_MAX];
};

static int holder_fd(const char *name, void *opaque)
{
	struct holder_ctx *h = opaque;
	char path[PATH_MAX], target[64];
	ssize_t n;

	if (sysfs_path(path, sizeof(path), h->fd_dir, "%s", name))
		return 0;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return !strcmp(target, h->want);
}

static int holder_pid(const char *name, void *opaque)
{
	struct holder_ctx *h = opaque;
	char *end;
	long pid = strtol(name, &end, 10);

	if (*end || end == name || name[0] < '1' || name[0] > '9')
		return 0;
	if (sysfs_path(h->fd_dir, sizeof(h->fd_dir), h->proc_root, "%s/fd", name) ||
	    sysfs_for_each_entry(h->fd_dir, holder_fd, h) != 1)
		return 0; /* gone, or not ours to read */
	h->pid = pid;
	return 1;
}

/* The first process (by /proc order) holding /dev/vfio/<group> open, 0 if none seen. */
static long vfio_group_holder(const char *proc_root, int group, char *comm, size_t len)
{
	struct holder_ctx h = { .proc_root = proc_root };
	char path[PATH_MAX];

	snprintf(h.want, sizeof(h.want), "/dev/vfio/%d", group);
	comm[0] = '\0';
	if (sysfs_for_each_entry(proc_root, holder_pid, &h) != 1)
		return 0;
	if (!sysfs_path(path, sizeof(path), proc_root, "%ld/comm", h.pid) &&
	    sysfs_read_str(path, comm, len))
		comm[0] = '\0';
	return h.pid;
}

static void plan_unbind_step(const struct bind_opts *opts, const struct inventory *inv, struct bind_step *s)
{
	const struct pci_dev_info *d = inventory_find(inv, s->bdf);
	int ret;

	if (!d) {
		step_set(s, BIND_REFUSED, "no such PCI device under %s/bus/pci/devices", opts->sysfs_root);
		return;
	}
	snprintf(s->from, sizeof(s->from), "%s", d->driver);
	if (!driver_is_vfio(d->driver)) {
		snprintf(s->to, sizeof(s->to), "%s", d->driver);
		step_set(s, BIND_ALREADY, "not bound to a VFIO driver (driver: %s)",
			 d->driver[0] ? d->driver : "none");
		return;
	}
	if (opts->proc_root && d->iommu_group >= 0) {
		char comm[64];
		long pid = vfio_group_holder(opts->proc_root, d->iommu_group, comm, sizeof(comm));

		if (pid) {
			step_set(s, BIND_REFUSED, "/dev/vfio/%d is in use by PID %ld (%s): stop it first; the "
				 "kernel would hold the unbind until it lets go", d->iommu_group, pid,
				 comm[0] ? comm : "?");
			return;
		}
	}
	s->action = BIND_CHANGE;
	ret = bind_state_load(opts->state_dir, s->bdf, s->to, sizeof(s->to));
	if (!ret && driver_is_vfio(s->to))
		ret = -EINVAL;
	s->to_known = !ret;
	if (ret)
		s->to[0] = '\0';
	if (ret == -ENOENT)
		snprintf(s->why, sizeof(s->why), "no driver remembered in %s: driver_override is cleared "
			 "and the kernel picks the driver", opts->state_dir);
	else if (ret)
		snprintf(s->why, sizeof(s->why), "%s/%s is unusable (%s): driver_override is cleared and "
			 "the kernel picks the driver", opts->state_dir, s->bdf,
			 ret == -EINVAL ? "not a driver name" : strerror(-ret));
}

int unbind_plan_make(const struct bind_opts *opts, const char *const *bdfs, size_t n,
		     struct bind_plan *plan)
{
	struct inventory inv;
	int ret;

	memset(plan, 0, sizeof(*plan));
	plan->unbind = true;
	ret = plan_scan(opts, &inv);
	if (ret)
		return ret;
	for (size_t i = 0; i < n && !ret; i++) {
		bool dup;
		struct bind_step *s = plan_add(plan, bdfs[i], true, &dup);

		if (!s && !dup)
			ret = -ENOMEM;
		if (s)
			plan_unbind_step(opts, &inv, s);
	}
	inventory_free(&inv);
	if (ret) {
		bind_plan_free(plan);
		return ret;
	}
	plan_count(plan);
	return 0;
}
