/* Scanning PCI devices from sysfs into struct pci_dev_info. */
#include "pci-inventory.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu-groups.h"
#include "log.h"
#include "passthrough-verdict.h"
#include "pci-lookup.h"
#include "sysfs.h"

struct scan_ctx {
	const struct inventory_opts *opts;
	struct inventory *inv;
	struct pci_lookup *lookup;
	const char *dev_dir;     /* "<root>/bus/pci/devices/<bdf>" of the device being read */
	const char *net_dir;     /* the net/ directory being listed */
	struct pci_dev_info *dev;
	int err;
};

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

static long read_long_or(const char *dir, const char *attr, long fallback)
{
	char path[PATH_MAX];
	long v;

	if (sysfs_path(path, sizeof(path), dir, "%s", attr) || sysfs_read_long(path, &v))
		return fallback;
	return v;
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

static int add_vf(const char *name, void *opaque)
{
	struct scan_ctx *ctx = opaque;
	struct pci_dev_info *d = ctx->dev;
	char *end;
	unsigned long idx;

	if (strncmp(name, "virtfn", 6))
		return 0;
	idx = strtoul(name + 6, &end, 10);
	if (*end || end == name + 6 || idx >= d->n_vfs)
		return 0; /* a link the kernel would not make; ignore it */
	read_link_or_empty(ctx->dev_dir, name, d->vfs[idx], PCI_BDF_STRLEN);
	return 0;
}

/* SR-IOV: a PF has sriov_totalvfs and virtfnN links, a VF has a physfn link. */
static int scan_sriov(struct scan_ctx *ctx)
{
	struct pci_dev_info *d = ctx->dev;
	size_t kept = 0;

	read_link_or_empty(ctx->dev_dir, "physfn", d->pf, sizeof(d->pf));
	d->sriov_totalvfs = (int)read_long_or(ctx->dev_dir, "sriov_totalvfs", -1);
	if (d->sriov_totalvfs < 0)
		return 0;
	d->is_pf = true;
	d->sriov_numvfs = (int)read_long_or(ctx->dev_dir, "sriov_numvfs", 0);
	if (d->sriov_totalvfs > 0xffff || d->sriov_numvfs < 0 || d->sriov_numvfs > d->sriov_totalvfs)
		d->sriov_numvfs = 0; /* the kernel never reports this; do not trust it */
	if (d->sriov_numvfs == 0)
		return 0;
	d->n_vfs = (size_t)d->sriov_numvfs;
	d->vfs = calloc(d->n_vfs, PCI_BDF_STRLEN);
	if (!d->vfs)
		return -ENOMEM;
	sysfs_for_each_entry(ctx->dev_dir, add_vf, ctx);
	for (size_t i = 0; i < d->n_vfs; i++) /* drop indices whose link is missing */
		if (d->vfs[i][0])
			memmove(d->vfs[kept++], d->vfs[i], PCI_BDF_STRLEN);
	d->n_vfs = kept;
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

static int read_group_id(const char *dev_dir)
{
	char name[32], *end;
	long id;

	read_link_or_empty(dev_dir, "iommu_group", name, sizeof(name));
	id = strtol(name, &end, 10);
	if (!name[0] || *end || id < 0 || id > INT_MAX)
		return -1;
	return (int)id;
}

static void read_identity(struct scan_ctx *ctx)
{
	struct pci_dev_info *d = ctx->dev;
	const char *dir = ctx->dev_dir;
	char modalias[256];

	d->vendor = (uint16_t)read_long_or(dir, "vendor", 0xffff);
	d->device = (uint16_t)read_long_or(dir, "device", 0xffff);
	d->subsys_vendor = (uint16_t)read_long_or(dir, "subsystem_vendor", 0);
	d->subsys_device = (uint16_t)read_long_or(dir, "subsystem_device", 0);
	d->class = (uint32_t)read_long_or(dir, "class", 0) & 0xffffff;
	d->numa_node = (int)read_long_or(dir, "numa_node", -1);
	d->iommu_group = read_group_id(dir);
	read_driver(dir, d->driver, sizeof(d->driver));
	read_str_or_empty(dir, "driver_override", d->driver_override, sizeof(d->driver_override));
	if (!strcmp(d->driver_override, "(null)"))
		d->driver_override[0] = '\0';
	read_str_or_empty(dir, "modalias", modalias, sizeof(modalias));
	pci_lookup_names(ctx->lookup, d);
	pci_lookup_modules(ctx->lookup, d, modalias);
}

static int scan_device(const char *bdf, void *opaque)
{
	struct scan_ctx *ctx = opaque;
	struct inventory *inv = ctx->inv;
	struct pci_dev_info *v, *d;
	char dir[PATH_MAX];
	int ret;

	if (sysfs_path(dir, sizeof(dir), ctx->opts->sysfs_root, "bus/pci/devices/%s", bdf)) {
		log_warn("%s: sysfs path too long; skipped", bdf);
		return 0;
	}
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
	return ret;
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
