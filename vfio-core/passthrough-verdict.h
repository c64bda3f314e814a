/* Whether a PCI device can be handed to a guest through VFIO, and why not. */
#ifndef IOVIRT_PASSTHROUGH_VERDICT_H
#define IOVIRT_PASSTHROUGH_VERDICT_H

#include "pci-inventory.h"

/*
 * Set d->verdict and d->reason from the scanned inventory. The first
 * applicable verdict wins, in this order: no IOMMU on the host, bridge, no
 * group, carries a host route, group not viable, PF with active VFs, VF that
 * needs a VF token, already bound to VFIO, ready.
 */
void passthrough_verdict(const struct inventory *inv, struct pci_dev_info *d);

#endif
