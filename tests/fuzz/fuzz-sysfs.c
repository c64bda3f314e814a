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
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz-input.h"
#include "pci-inventory.h"

#define MAX_ENTRIES 256

/* Whether path is relative with no empty, "." or ".." component (so it stays in the tree). */
static bool path_ok(const char *path)
{
	const char *p = path;

	if (!*p || *p == '/')
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (!n || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		p += *p == '/';
		if (!*p && p[-1] == '/')
			return false;
	}
	return true;
}

/* Create the parent folders of path under root (errors are left to the entry's creation). */
static void parents_make(int root, char *path)
{
	for (char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		mkdirat(root, path, 0755);
		*s = '/';
	}
}

/* Create one entry of the tree; false when the input is used up. */
static bool entry_make(struct fuzz_input *in, int root)
{
	unsigned kind = fuzz_uint(in, 1) % 3;
	size_t plen = fuzz_uint(in, 1), clen;
	const uint8_t *p = fuzz_take(in, plen), *c;
	char path[256], content[65536];
	int fd;

	clen = fuzz_uint(in, 2);
	clen = clen < fuzz_left(in) ? clen : fuzz_left(in);
	c = fuzz_take(in, clen);
	if (!p || !c)
		return false;
	memcpy(path, p, plen);
	path[plen] = 0;
	memcpy(content, c, clen);
	content[clen] = 0;
	if (strlen(path) != plen || !path_ok(path))
		return true;
	parents_make(root, path);
	if (kind == 2) {
		mkdirat(root, path, 0755);
	} else if (kind == 1) {
		symlinkat(content, root, path);
	} else if ((fd = openat(root, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) >= 0) {
		if (write(fd, content, clen) != (ssize_t)clen)
			abort();
		close(fd);
	}
	return true;
}

static int entry_remove(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) ? -1 : 0;
}

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
	snprintf(root, sizeof(root), "%s/iovirt-fuzz-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	FUZZ_CHECK(mkdtemp(root) != NULL);
	fd = open(root, O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	for (int i = 0; i < MAX_ENTRIES && entry_make(&in, fd); i++)
		;
	close(fd);
	if (inventory_scan(&opts, &inv) == 0) {
		inventory_check(&inv);
		inventory_free(&inv);
	}
	FUZZ_CHECK(nftw(root, entry_remove, 16, FTW_DEPTH | FTW_PHYS) == 0);
	return 0;
}
