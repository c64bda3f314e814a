/* The table of PCI device types `iovirt run --device` can create. One row per model. */
#include <string.h>

#include "pci-testdev.h"
#include "pci.h"

const struct pci_device_type pci_device_types[] = {
	{
		.name = "pci-testdev",
		.summary = "test device: registers, 64-bit and I/O BARs, MSI-X, MSI, INTx",
		.create = pci_testdev_create,
	},
	{ 0 },
};

const struct pci_device_type *pci_device_type_find(const char *name)
{
	for (const struct pci_device_type *t = pci_device_types; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}
