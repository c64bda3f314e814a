#include "iommu-groups.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfs.h"

bool driver_is_vfio(const char *driver)
{
	return !strncmp(driver, "vfio", 4) || strstr(driver, "_vfio_pci") != NULL;
}

static bool class_is_bridge(uint32_t class)
{
	uint32_t base_sub = class >> 8;

	return base_sub == 0x0604 || base_sub == 0x0609 || base_sub == 0x0607; /* PCI-PCI, semi-transparent, CardBus */
}

bool iommu_member_allowed(const char *driver, uint32_t class)
{
	return !driver[0] || driver_is_vfio(driver) || !strcmp(driver, "pci-stub") ||
	       class_is_bridge(class);
}

struct group_ctx {
	const char *root;
	struct inventory *inv;
	struct iommu_group_info *group;
	char dir[PATH_MAX]; /* "<root>/kernel/iommu_groups/<id>/devices" */
};

static int add_member(const char *name, void *opaque)
{
	struct group_ctx *ctx = opaque;
	struct iommu_group_info *g = ctx->group;
	const struct pci_dev_info *pci = inventory_find(ctx->inv, name);
	struct iommu_member *v, *m;
	char path[PATH_MAX];

	v = realloc(g->members, (g->n_members + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	g->members = v;
	m = &v[g->n_members++];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	if (!pci && (sysfs_path(path, sizeof(path), ctx->dir, "%s", name) || !sysfs_exists(path))) {
		/* a link to a device the tree does not hold: nothing says it is free */
		snprintf(m->driver, sizeof(m->driver), "(absent)");
		inventory_note(ctx->inv->anomalies, sizeof(ctx->inv->anomalies),
			       "iommu_groups/%d lists %s, which does not exist", g->id, name);
		m->allowed = false;
		return 0;
	}
	if (pci) {
		snprintf(m->driver, sizeof(m->driver), "%s", pci->driver);
		m->class = pci->class;
	} else if (!sysfs_path(path, sizeof(path), ctx->dir, "%s/driver", name)) {
		int ret = sysfs_read_link_name(path, m->driver, sizeof(m->driver));

		if (ret == -ENOENT)
			m->driver[0] = '\0';
		else if (ret) /* a driver we cannot name still holds the device */
			snprintf(m->driver, sizeof(m->driver), "(unreadable)");
	}
	m->allowed = iommu_member_allowed(m->driver, m->class);
	return 0;
}

/* VFIO's unsafe no-IOMMU mode names its fake groups "vfio-noiommu". */
static bool group_is_noiommu(const char *root, const char *id)
{
	char path[PATH_MAX], name[64];

	return !sysfs_path(path, sizeof(path), root, "kernel/iommu_groups/%s/name", id) &&
	       !sysfs_read_str(path, name, sizeof(name)) && !strcmp(name, "vfio-noiommu");
}

static int add_group(const char *name, void *opaque)
{
	struct group_ctx *ctx = opaque;
	struct inventory *inv = ctx->inv;
	struct iommu_group_info *v, *g;
	char *end;
	long id = strtol(name, &end, 10);
	int ret;

	if (*end || end == name || name[0] < '0' || name[0] > '9' || id > INT_MAX) {
		inventory_note(inv->anomalies, sizeof(inv->anomalies),
			       "kernel/iommu_groups/%s skipped: not a group number", name);
		return 0;
	}
	v = realloc(inv->groups, (inv->n_groups + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	inv->groups = v;
	g = &v[inv->n_groups++];
	memset(g, 0, sizeof(*g));
	g->id = (int)id;
	g->noiommu = group_is_noiommu(ctx->root, name);
	ctx->group = g;
	ret = sysfs_path(ctx->dir, sizeof(ctx->dir), ctx->root, "kernel/iommu_groups/%s/devices", name);
	if (!ret)
		ret = sysfs_for_each_entry(ctx->dir, add_member, ctx);
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		g->members_unreadable = true;
		snprintf(g->reason, sizeof(g->reason), "its member list cannot be read (%s), so "
			 "nothing shows that every member is free", strerror(-ret));
		inventory_note(inv->anomalies, sizeof(inv->anomalies),
			       "kernel/iommu_groups/%s/devices: %s", name, strerror(-ret));
		return 0;
	}
	g->viable = iommu_group_blockers(inv, g, NULL, g->reason, sizeof(g->reason)) == 0;
	if (g->viable)
		snprintf(g->reason, sizeof(g->reason),
			 "every member is unbound, bound to a VFIO driver or pci-stub, or a bridge");
	return 0;
}

static int group_cmp(const void *a, const void *b)
{
	const struct iommu_group_info *ga = a, *gb = b;

	return (ga->id > gb->id) - (ga->id < gb->id);
}

int iommu_groups_scan(const char *root, struct inventory *inv)
{
	struct group_ctx ctx = { .root = root, .inv = inv };
	char dir[PATH_MAX];
	int ret;

	if (sysfs_path(dir, sizeof(dir), root, "kernel/iommu_groups"))
		return -ENAMETOOLONG;
	ret = sysfs_for_each_entry(dir, add_group, &ctx);
	if (ret == -ENOMEM)
		return ret;
	if (ret && ret != -ENOENT) /* no group can be trusted: every device is then not assignable */
		inventory_note(inv->anomalies, sizeof(inv->anomalies), "kernel/iommu_groups: %s",
			       strerror(-ret));
	if (inv->n_groups) /* groups is NULL when there are none, and qsort wants a valid pointer */
		qsort(inv->groups, inv->n_groups, sizeof(*inv->groups), group_cmp);
	inv->has_iommu = false;
	for (size_t i = 0; i < inv->n_groups; i++)
		inv->has_iommu |= !inv->groups[i].noiommu;
	return 0;
}

size_t iommu_group_blockers(const struct inventory *inv, const struct iommu_group_info *g,
			    const char *except, char *buf, size_t len)
{
	size_t count = 0, used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < g->n_members; i++) {
		const struct iommu_member *m = &g->members[i];
		const struct pci_dev_info *pci = inventory_find(inv, m->name);
		const char *what = pci && pci->class_name[0] ? pci->class_name : "device";
		int n;

		if (m->allowed || (except && !strcmp(m->name, except)))
			continue;
		count++;
		if (!strcmp(m->driver, "(absent)"))
			n = snprintf(buf + used, len - used, "%s%s is listed but absent from sysfs",
				     used ? "; " : "", m->name);
		else
			n = snprintf(buf + used, len - used, "%s%s (%s) is bound to %s, a host driver",
				     used ? "; " : "", m->name, what, m->driver);
		if (n > 0 && (size_t)n < len - used)
			used += (size_t)n;
	}
	return count;
}
