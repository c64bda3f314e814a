#include "passthrough-verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "iommu-groups.h"

static const char *const verdict_names[] = {
	[PT_READY] = "ready",
	[PT_VFIO_BOUND] = "vfio-bound",
	[PT_NEEDS_VF_TOKEN] = "needs-vf-token",
	[PT_NO_IOMMU] = "no-iommu",
	[PT_NO_GROUP] = "no-iommu-group",
	[PT_BRIDGE] = "bridge",
	[PT_CARRIES_ROUTE] = "carries-route",
	[PT_VFS_ACTIVE] = "vfs-active",
	[PT_GROUP_NOT_VIABLE] = "group-not-viable",
};

const char *pt_verdict_name(enum pt_verdict v)
{
	return (size_t)v < sizeof(verdict_names) / sizeof(verdict_names[0]) ? verdict_names[v] : "?";
}

bool pt_verdict_ok(enum pt_verdict v)
{
	return v == PT_READY || v == PT_VFIO_BOUND || v == PT_NEEDS_VF_TOKEN;
}

static void __printf(3, 4) set(struct pci_dev_info *d, enum pt_verdict v, const char *fmt, ...)
{
	va_list ap;

	d->verdict = v;
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
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

static const char *driver_or_none(const struct pci_dev_info *d)
{
	return d->driver[0] ? d->driver : "no driver";
}

void passthrough_verdict(const struct inventory *inv, struct pci_dev_info *d)
{
	const struct iommu_group_info *g = inventory_find_group(inv, d->iommu_group);
	const struct pci_dev_info *pf = d->pf[0] ? inventory_find(inv, d->pf) : NULL;
	const struct netif_info *nif = routed_netif(d);
	char blockers[REASON_LEN];

	if (!inv->has_iommu)
		set(d, PT_NO_IOMMU, "this host has no IOMMU (no IOMMU groups in sysfs, or only VFIO no-IOMMU "
		    "ones): enable VT-d or AMD-Vi in the firmware and boot with intel_iommu=on or "
		    "amd_iommu=on");
	else if (PCI_BASE_CLASS(d->class) == PCI_CLASS_BASE_BRIDGE)
		set(d, PT_BRIDGE, "bridges are part of the host's PCI topology and are not assignable");
	else if (g && g->noiommu)
		set(d, PT_NO_IOMMU, "IOMMU group %d is a VFIO no-IOMMU group: nothing isolates the device's "
		    "DMA, so it is not assignable safely", g->id);
	else if (!g)
		set(d, PT_NO_GROUP, "the device is in no IOMMU group, so its DMA is not isolated");
	else if (nif && nif->default_route)
		set(d, PT_CARRIES_ROUTE, "%s carries the host's default route; handing it over would cut the "
		    "host off", nif->name);
	else if (nif)
		set(d, PT_CARRIES_ROUTE, "%s carries the host route %s; handing it over would break it",
		    nif->name, nif->route);
	else if (d->group_conflict)
		set(d, PT_GROUP_NOT_VIABLE, "sysfs places it in more than one IOMMU group (%s), so no "
		    "group can be trusted to isolate it", d->anomalies);
	else if (g->members_unreadable)
		set(d, PT_GROUP_NOT_VIABLE, "IOMMU group %d is not viable: %s", g->id, g->reason);
	else if (iommu_group_blockers(inv, g, d->bdf, blockers, sizeof(blockers)))
		set(d, PT_GROUP_NOT_VIABLE, "IOMMU group %d is not viable: %s; unbind it or assign the whole "
		    "group", g->id, blockers);
	else if (d->is_pf && d->sriov_unsure && !d->sriov_numvfs && !driver_is_vfio(d->driver))
		set(d, PT_VFS_ACTIVE, "sysfs does not say how many VFs are enabled (%s); taking the PF "
		    "from %s may destroy them", d->anomalies, driver_or_none(d));
	else if (d->is_pf && d->sriov_numvfs > 0 && !driver_is_vfio(d->driver))
		set(d, PT_VFS_ACTIVE, "%d VFs are enabled; taking the PF from %s destroys them (set "
		    "sriov_numvfs to 0 first, or assign the VFs)", d->sriov_numvfs, driver_or_none(d));
	else if (pf && driver_is_vfio(pf->driver))
		set(d, PT_NEEDS_VF_TOKEN, "its PF %s is bound to %s: this VF opens only with the VF token "
		    "set by the PF's owner", pf->bdf, pf->driver);
	else if (driver_is_vfio(d->driver))
		set(d, PT_VFIO_BOUND, "bound to %s and IOMMU group %d is viable: a VMM can open it", d->driver,
		    g->id);
	else
		set(d, PT_READY, "IOMMU group %d is viable once the device is bound to vfio-pci (now: %s)",
		    g->id, driver_or_none(d));
}
