/* Scanning PCI devices from sysfs into struct pci_dev_info. */
#include "pci-inventory.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu-groups.h"
#include "log.h"
#include "passthrough-verdict.h"
#include "pci-lookup.h"
#include "sysfs.h"

#define SRIOV_MAX_VFS 0xffff /* TotalVFs is a 16-bit field of the SR-IOV capability */

struct scan_ctx {
	const struct inventory_opts *opts;
	struct inventory *inv;
	struct pci_lookup *lookup;
	const char *dev_dir;     /* "<root>/bus/pci/devices/<bdf>" of the device being read */
	const char *net_dir;     /* the net/ directory being listed */
	struct pci_dev_info *dev;
	unsigned long *vf_idx;   /* index of each entry of dev->vfs while they are collected */
	int err;
};

void inventory_note(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used && used + 2 < len) {
		memcpy(buf + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

int pci_bdf_parse(const char *in, char out[PCI_BDF_STRLEN])
{
	unsigned int dom = 0, bus, slot, fn;
	char tail;

	/* sscanf's %x would also take "0x" prefixes and signs: allow only hex digits and separators. */
	if (!in[0] || strspn(in, "0123456789abcdefABCDEF:.") != strlen(in))
		return -EINVAL;
	if (sscanf(in, "%x:%x:%x.%x%c", &dom, &bus, &slot, &fn, &tail) != 4) {
		dom = 0;
		if (sscanf(in, "%x:%x.%x%c", &bus, &slot, &fn, &tail) != 3)
			return -EINVAL;
	}
	if (dom > 0xffff || bus > 0xff || slot > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, PCI_BDF_STRLEN, "%04x:%02x:%02x.%x", dom, bus, slot, fn);
	return 0;
}

/*
 * An integer attribute that must lie in [min, max]: fallback when the file is
 * absent; fallback and an anomaly when it is junk or out of range.
 */
static long read_ranged(struct scan_ctx *ctx, const char *attr, long min, long max, long fallback)
{
	char path[PATH_MAX], raw[40];
	long v;
	int ret;

	if (sysfs_path(path, sizeof(path), ctx->dev_dir, "%s", attr))
		return fallback;
	ret = sysfs_read_long(path, &v);
	if (ret == -ENOENT)
		return fallback;
	if (!ret && v >= min && v <= max)
		return v;
	if (sysfs_read_str(path, raw, sizeof(raw)))
		snprintf(raw, sizeof(raw), "(unreadable)");
	inventory_note(ctx->dev->anomalies, sizeof(ctx->dev->anomalies),
		       "%s '%s' is not a value from %ld to %ld", attr, raw, min, max);
	return fallback;
}

static void read_str_or_empty(const char *dir, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];

	if (sysfs_path(path, sizeof(path), dir, "%s", attr) || sysfs_read_str(path, buf, len))
		buf[0] = '\0';
}

static void read_link_or_empty(const char *dir, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];

	if (sysfs_path(path, sizeof(path), dir, "%s", attr) || sysfs_read_link_name(path, buf, len))
		buf[0] = '\0';
}

static int add_netif(const char *name, void *opaque)
{
	struct scan_ctx *ctx = opaque;
	struct pci_dev_info *d = ctx->dev;
	const struct host_route *route;
	struct netif_info *v, *nif;
	char dir[PATH_MAX];

	if (sysfs_path(dir, sizeof(dir), ctx->net_dir, "%s", name))
		return 0;
	v = realloc(d->netifs, (d->n_netifs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->netifs = v;
	nif = &v[d->n_netifs++];
	memset(nif, 0, sizeof(*nif));
	snprintf(nif->name, sizeof(nif->name), "%s", name);
	read_str_or_empty(dir, "address", nif->mac, sizeof(nif->mac));
	read_str_or_empty(dir, "operstate", nif->operstate, sizeof(nif->operstate));
	route = host_routes_find(ctx->opts->routes, name);
	if (route) {
		snprintf(nif->route, sizeof(nif->route), "%s", route->dst);
		nif->default_route = route->is_default;
	}
	return 0;
}

/* Add every interface listed in <parent>/net/. */
static int scan_net_dir(struct scan_ctx *ctx, const char *parent)
{
	char net[PATH_MAX];
	int ret;

	if (sysfs_path(net, sizeof(net), parent, "net"))
		return 0;
	ctx->net_dir = net;
	ret = sysfs_for_each_entry(net, add_netif, ctx);
	return ret == -ENOENT ? 0 : ret;
}

/* A virtio-pci device's interface sits under its virtio child: "virtio2/net/eth0". */
static int scan_virtio_child(const char *name, void *opaque)
{
	struct scan_ctx *ctx = opaque;
	char child[PATH_MAX];

	if (strncmp(name, "virtio", 6) || sysfs_path(child, sizeof(child), ctx->dev_dir, "%s", name))
		return 0;
	return scan_net_dir(ctx, child);
}

static int scan_netifs(struct scan_ctx *ctx)
{
	int ret = scan_net_dir(ctx, ctx->dev_dir);

	return ret ? ret : sysfs_for_each_entry(ctx->dev_dir, scan_virtio_child, ctx);
}

/* Collect every virtfnN link, whatever sriov_numvfs says. */
static int add_vf(const char *name, void *opaque)
{
	struct scan_ctx *ctx = opaque;
	struct pci_dev_info *d = ctx->dev;
	char (*v)[PCI_BDF_STRLEN], bdf[PCI_BDF_STRLEN];
	unsigned long *idx;
	unsigned long i;
	char *end;

	if (strncmp(name, "virtfn", 6))
		return 0;
	i = strtoul(name + 6, &end, 10);
	if (*end || end == name + 6 || name[6] < '0' || name[6] > '9' || i >= SRIOV_MAX_VFS) {
		inventory_note(d->anomalies, sizeof(d->anomalies), "%s is not a VF link", name);
		return 0;
	}
	read_link_or_empty(ctx->dev_dir, name, bdf, sizeof(bdf));
	if (!bdf[0]) {
		inventory_note(d->anomalies, sizeof(d->anomalies), "%s cannot be read", name);
		snprintf(bdf, sizeof(bdf), "(unreadable)");
	}
	v = realloc(d->vfs, (d->n_vfs + 1) * sizeof(*v));
	if (v)
		d->vfs = v;
	idx = realloc(ctx->vf_idx, (d->n_vfs + 1) * sizeof(*idx));
	if (idx)
		ctx->vf_idx = idx;
	if (!v || !idx)
		return -ENOMEM;
	ctx->vf_idx[d->n_vfs] = i;
	memcpy(d->vfs[d->n_vfs++], bdf, PCI_BDF_STRLEN);
	return 0;
}

/* Order d->vfs by VF index (scandir sorts virtfn10 before virtfn2). */
static void vfs_sort(struct scan_ctx *ctx)
{
	struct pci_dev_info *d = ctx->dev;

	for (size_t i = 1; i < d->n_vfs; i++)
		for (size_t j = i; j > 0 && ctx->vf_idx[j - 1] > ctx->vf_idx[j]; j--) {
			char tmp[PCI_BDF_STRLEN];
			unsigned long t = ctx->vf_idx[j];

			ctx->vf_idx[j] = ctx->vf_idx[j - 1];
			ctx->vf_idx[j - 1] = t;
			memcpy(tmp, d->vfs[j], PCI_BDF_STRLEN);
			memcpy(d->vfs[j], d->vfs[j - 1], PCI_BDF_STRLEN);
			memcpy(d->vfs[j - 1], tmp, PCI_BDF_STRLEN);
		}
}

static bool dev_has(const struct scan_ctx *ctx, const char *attr)
{
	char path[PATH_MAX];

	return !sysfs_path(path, sizeof(path), ctx->dev_dir, "%s", attr) && sysfs_exists(path);
}

/*
 * Reconcile sriov_numvfs with the virtfnN links: the larger count wins, and
 * an unusable sriov_numvfs leaves the VFs possibly enabled (sriov_unsure).
 */
static void sriov_reconcile(struct pci_dev_info *d, long total, long num)
{
	d->sriov_totalvfs = (int)total;
	if (num < 0) {
		d->sriov_unsure = true;
		num = 0;
	}
	if (total >= 0 && num > total)
		inventory_note(d->anomalies, sizeof(d->anomalies),
			       "sriov_numvfs %ld exceeds sriov_totalvfs %ld", num, total);
	if ((size_t)num != d->n_vfs && !d->sriov_unsure)
		inventory_note(d->anomalies, sizeof(d->anomalies),
			       "sriov_numvfs is %ld but %zu virtfn links exist", num, d->n_vfs);
	d->sriov_numvfs = (int)MAX((size_t)num, d->n_vfs);
}

/* SR-IOV: a PF has sriov_totalvfs, sriov_numvfs and virtfnN links, a VF has a physfn link. */
static int scan_sriov(struct scan_ctx *ctx)
{
	struct pci_dev_info *d = ctx->dev;
	bool has_total = dev_has(ctx, "sriov_totalvfs"), has_num = dev_has(ctx, "sriov_numvfs");
	long total, num;
	int ret;

	read_link_or_empty(ctx->dev_dir, "physfn", d->pf, sizeof(d->pf));
	ret = sysfs_for_each_entry(ctx->dev_dir, add_vf, ctx);
	if (!ret)
		vfs_sort(ctx);
	free(ctx->vf_idx);
	ctx->vf_idx = NULL;
	if (ret == -ENOMEM)
		return ret;
	if (!has_total && !has_num && !d->n_vfs)
		return 0;
	d->is_pf = true;
	total = read_ranged(ctx, "sriov_totalvfs", 0, SRIOV_MAX_VFS, -1);
	num = read_ranged(ctx, "sriov_numvfs", 0, SRIOV_MAX_VFS, -1);
	if (!has_total)
		inventory_note(d->anomalies, sizeof(d->anomalies), "SR-IOV files without sriov_totalvfs");
	if (!has_num)
		inventory_note(d->anomalies, sizeof(d->anomalies), "SR-IOV files without sriov_numvfs");
	sriov_reconcile(d, total, num);
	return 0;
}

/*
 * A driver link that exists but cannot be read (a name too long, say) still
 * means a driver holds the device: name it "(unreadable)" so that it counts
 * as a host driver and never makes a group look viable.
 */
static void read_driver(const char *dev_dir, char *buf, size_t len)
{
	char path[PATH_MAX];
	int ret;

	buf[0] = '\0';
	if (sysfs_path(path, sizeof(path), dev_dir, "driver"))
		return;
	ret = sysfs_read_link_name(path, buf, len);
	if (ret && ret != -ENOENT)
		snprintf(buf, len, "(unreadable)");
}

static int read_group_id(struct scan_ctx *ctx)
{
	char name[32], *end;
	long id;

	read_link_or_empty(ctx->dev_dir, "iommu_group", name, sizeof(name));
	if (!name[0])
		return -1;
	errno = 0;
	id = strtol(name, &end, 10);
	if (errno || *end || name[0] < '0' || name[0] > '9' || id > INT_MAX) {
		inventory_note(ctx->dev->anomalies, sizeof(ctx->dev->anomalies),
			       "iommu_group links to '%s', not a group number", name);
		return -1;
	}
	return (int)id;
}

static void read_identity(struct scan_ctx *ctx)
{
	struct pci_dev_info *d = ctx->dev;
	const char *dir = ctx->dev_dir;
	char modalias[256];

	d->vendor = (uint16_t)read_ranged(ctx, "vendor", 0, 0xffff, 0xffff);
	d->device = (uint16_t)read_ranged(ctx, "device", 0, 0xffff, 0xffff);
	d->subsys_vendor = (uint16_t)read_ranged(ctx, "subsystem_vendor", 0, 0xffff, 0);
	d->subsys_device = (uint16_t)read_ranged(ctx, "subsystem_device", 0, 0xffff, 0);
	d->class = (uint32_t)read_ranged(ctx, "class", 0, 0xffffff, 0);
	d->numa_node = (int)read_ranged(ctx, "numa_node", -1, 4095, -1);
	d->iommu_group = read_group_id(ctx);
	read_driver(dir, d->driver, sizeof(d->driver));
	read_str_or_empty(dir, "driver_override", d->driver_override, sizeof(d->driver_override));
	if (!strcmp(d->driver_override, "(null)"))
		d->driver_override[0] = '\0';
	read_str_or_empty(dir, "modalias", modalias, sizeof(modalias));
	pci_lookup_names(ctx->lookup, d);
	pci_lookup_modules(ctx->lookup, d, modalias);
}

/* A device entry is a directory (or a link to one) named by its canonical BDF. */
static bool scan_entry_is_device(struct scan_ctx *ctx, const char *name, char *dir, size_t len)
{
	char canon[PCI_BDF_STRLEN];
	struct stat st;
	const char *why = NULL;

	if (pci_bdf_parse(name, canon) || strcmp(canon, name))
		why = "not a PCI address";
	else if (sysfs_path(dir, len, ctx->opts->sysfs_root, "bus/pci/devices/%s", name))
		why = "path too long";
	else if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		why = "not a device directory";
	if (!why)
		return true;
	log_warn("sysfs: bus/pci/devices/%s: %s; skipped", name, why);
	inventory_note(ctx->inv->anomalies, sizeof(ctx->inv->anomalies),
		       "bus/pci/devices/%s skipped: %s", name, why);
	return false;
}

static int scan_device(const char *bdf, void *opaque)
{
	struct scan_ctx *ctx = opaque;
	struct inventory *inv = ctx->inv;
	struct pci_dev_info *v, *d;
	char dir[PATH_MAX];
	int ret;

	if (!scan_entry_is_device(ctx, bdf, dir, sizeof(dir)))
		return 0;
	v = realloc(inv->devs, (inv->n_devs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	inv->devs = v;
	d = &v[inv->n_devs++];
	memset(d, 0, sizeof(*d));
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	ctx->dev = d;
	ctx->dev_dir = dir;
	read_identity(ctx);
	ret = scan_sriov(ctx);
	if (!ret)
		ret = scan_netifs(ctx);
	return ret == -ENOMEM ? ret : 0; /* an unreadable part of one device never ends the listing */
}

/* A device listed by a group other than the one its iommu_group link names. */
static void scan_group_conflicts(struct inventory *inv)
{
	for (size_t i = 0; i < inv->n_groups; i++) {
		const struct iommu_group_info *g = &inv->groups[i];

		for (size_t m = 0; m < g->n_members; m++) {
			struct pci_dev_info *d = (struct pci_dev_info *)inventory_find(inv, g->members[m].name);

			if (!d || d->iommu_group == g->id)
				continue;
			d->group_conflict = true;
			inventory_note(d->anomalies, sizeof(d->anomalies), "iommu_groups/%d lists it, but "
				       "its iommu_group link names %d", g->id, d->iommu_group);
		}
	}
}

/* Links that name what the tree does not hold, and groups that disagree with their members. */
static void scan_cross_check(struct inventory *inv)
{
	scan_group_conflicts(inv);
	for (size_t i = 0; i < inv->n_devs; i++) {
		struct pci_dev_info *d = &inv->devs[i];

		if (d->iommu_group >= 0 && inv->has_iommu && !inventory_find_group(inv, d->iommu_group))
			inventory_note(d->anomalies, sizeof(d->anomalies), "iommu_group links to group "
				       "%d, which kernel/iommu_groups does not hold", d->iommu_group);
		if (d->pf[0] && !inventory_find(inv, d->pf))
			inventory_note(d->anomalies, sizeof(d->anomalies), "physfn links to %s, which "
				       "is not a PCI device here", d->pf);
		for (size_t v = 0; v < d->n_vfs; v++)
			if (!inventory_find(inv, d->vfs[v]))
				inventory_note(d->anomalies, sizeof(d->anomalies), "VF link to %s, which "
					       "is not a PCI device here", d->vfs[v]);
	}
}

int inventory_scan(const struct inventory_opts *opts, struct inventory *inv)
{
	struct scan_ctx ctx = { .opts = opts, .inv = inv };
	char dir[PATH_MAX];
	int ret;

	memset(inv, 0, sizeof(*inv));
	inv->routes_known = opts->routes != NULL;
	ret = sysfs_path(dir, sizeof(dir), opts->sysfs_root, "bus/pci/devices");
	if (ret)
		return ret;
	ctx.lookup = pci_lookup_open(opts);
	ret = sysfs_for_each_entry(dir, scan_device, &ctx);
	pci_lookup_close(ctx.lookup);
	if (!ret)
		ret = iommu_groups_scan(opts->sysfs_root, inv);
	if (ret) {
		inventory_free(inv);
		return ret;
	}
	scan_cross_check(inv);
	for (size_t i = 0; i < inv->n_devs; i++)
		passthrough_verdict(inv, &inv->devs[i]);
	return 0;
}

void inventory_free(struct inventory *inv)
{
	for (size_t i = 0; i < inv->n_devs; i++) {
		free(inv->devs[i].vfs);
		free(inv->devs[i].netifs);
	}
	for (size_t i = 0; i < inv->n_groups; i++)
		free(inv->groups[i].members);
	free(inv->devs);
	free(inv->groups);
	memset(inv, 0, sizeof(*inv));
}

const struct pci_dev_info *inventory_find(const struct inventory *inv, const char *bdf)
{
	for (size_t i = 0; i < inv->n_devs; i++)
		if (!strcmp(inv->devs[i].bdf, bdf))
			return &inv->devs[i];
	return NULL;
}

const struct iommu_group_info *inventory_find_group(const struct inventory *inv, int id)
{
	for (size_t i = 0; i < inv->n_groups; i++)
		if (inv->groups[i].id == id)
			return &inv->groups[i];
	return NULL;
}
