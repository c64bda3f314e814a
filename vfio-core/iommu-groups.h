/* IOMMU groups and the kernel's viability rule for handing a group to VFIO. */
#ifndef IOVIRT_IOMMU_GROUPS_H
#define IOVIRT_IOMMU_GROUPS_H

#include "pci-inventory.h"

/* A VFIO driver: "vfio-pci" and its variants ("vfio-pci-core" users, "mlx5_vfio_pci", ...). */
bool driver_is_vfio(const char *driver);

/*
 * The kernel's rule (drivers/vfio): a group is viable when every member has no
 * driver, is bound to a VFIO driver or to pci-stub, or is a PCI bridge.
 */
bool iommu_member_allowed(const char *driver, uint32_t class);

/*
 * Read <root>/kernel/iommu_groups into inv->groups, sorted by id, and set
 * inv->has_iommu (true when a group that is not a VFIO no-IOMMU group
 * exists). Members take their driver and class from inv->devs when they are
 * PCI devices already scanned. Returns 0 or -ENOMEM; what cannot be
 * read (a group list that is not a directory, a member that does not exist)
 * is noted in inv->anomalies and read the way that keeps verdicts safe.
 */
int iommu_groups_scan(const char *root, struct inventory *inv) __must_check;

/*
 * Describe the members of g other than `except` (NULL: none excepted) that
 * break viability, as "0000:04:00.0 (Ethernet controller) is bound to igb; ...".
 * Returns how many there are.
 */
size_t iommu_group_blockers(const struct inventory *inv, const struct iommu_group_info *g,
			    const char *except, char *buf, size_t len);

#endif
