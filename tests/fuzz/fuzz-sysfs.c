/*
 * Fuzz target: the sysfs inventory and IOMMU-group parsing
 * (vfio-core/pci-inventory.c, iommu-groups.c, base/sysfs.c) over a file
 * tree built from the input in a fresh temporary folder (under /dev/shm
 * when it exists), as the unit tests scan the fixture trees.
 *
 * Input: a BDF string length (1 byte) and the string (given to
 * pci_bdf_parse), then entries of a kind byte (0 file, 1 symbolic link,
 * 2 folder), a path length (1 byte), the path (relative; an entry with an
 * empty, absolute or ".." component is skipped; parents are created), a
 * content length (2 bytes) and the content (a file's bytes or a link's
 * target, which may point anywhere). The tree is scanned with
 * inventory_scan, then removed. Checked: the inventory's devices and groups
 * are sorted without duplicates; a BDF that parses is canonical.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz-input.h"
#include "fuzz-tree.h"
#include "pci-inventory.h"

/* The inventory's promises: devices sorted by BDF, groups by id, no duplicates. */
static void inventory_check(const struct inventory *inv)
{
	for (size_t i = 1; i < inv->n_devs; i++)
		FUZZ_CHECK(strcmp(inv->devs[i - 1].bdf, inv->devs[i].bdf) < 0);
	for (size_t i = 1; i < inv->n_groups; i++)
		FUZZ_CHECK(inv->groups[i - 1].id < inv->groups[i].id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	size_t blen = fuzz_uint(&in, 1);
	const uint8_t *b = fuzz_take(&in, blen);
	char root[64], bdf_in[256], bdf[PCI_BDF_STRLEN], again[PCI_BDF_STRLEN];
	struct inventory_opts opts = { .sysfs_root = root };
	struct inventory inv;
	int fd;

	fuzz_quiet_logs();
	if (!b)
		return 0;
	memcpy(bdf_in, b, blen);
	bdf_in[blen] = 0;
	/* A parsed BDF is canonical "dddd:bb:dd.f", and parses to itself. */
	if (pci_bdf_parse(bdf_in, bdf) == 0) {
		FUZZ_CHECK(strlen(bdf) == 12);
		FUZZ_CHECK(pci_bdf_parse(bdf, again) == 0 && !strcmp(bdf, again));
	}
	fd = fuzz_tree_root(root, sizeof(root));
	fuzz_tree_make(&in, fd);
	close(fd);
	if (inventory_scan(&opts, &inv) == 0) {
		inventory_check(&inv);
		inventory_free(&inv);
	}
	fuzz_tree_remove(root);
	return 0;
}
