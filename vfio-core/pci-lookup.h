/* Name and module lookups for PCI IDs: libpci's pci.ids and libkmod's module index. */
#ifndef IOVIRT_PCI_LOOKUP_H
#define IOVIRT_PCI_LOOKUP_H

#include "pci-inventory.h"

struct pci_lookup;

/* Open the lookups that opts asks for; never fails (a missing database just yields no names). */
struct pci_lookup *pci_lookup_open(const struct inventory_opts *opts);
void pci_lookup_close(struct pci_lookup *lk);

/* Fill vendor_name, device_name and class_name of d from its IDs. */
void pci_lookup_names(struct pci_lookup *lk, struct pci_dev_info *d);

/* Fill modules/modules_known of d from a modalias string ("pci:v00008086d..."). */
void pci_lookup_modules(struct pci_lookup *lk, struct pci_dev_info *d, const char *modalias);

#endif
