/*
 * A fake kernel for the PCI sysfs tree, over a private copy of a fixture:
 * driver_override, driver/unbind and drivers_probe move driver links as the
 * PCI core does (bind.h's write hook), vfio-pci's module load makes its
 * driver directory, and a PF's sriov_numvfs / sriov_drivers_autoprobe behave
 * as drivers/pci/iov.c (sriov.h's write hook): the range check, a nonzero
 * count only through 0, VFs appearing with their virtfnN links, IOMMU
 * groups and (with autoprobe) drivers, and disappearing again.
 *
 * The fixture's VFs are the VFs the PF can make: sriov_numvfs=0 moves them
 * out of the tree, a later N brings the first N back (fewer when the fixture
 * has fewer: the driver enabling less than asked).
 */
#ifndef IOVIRT_TEST_FAKE_PCI_KERNEL_H
#define IOVIRT_TEST_FAKE_PCI_KERNEL_H

#include <limits.h>
#include <stdbool.h>

#include "bind.h"
#include "host-routes.h"
#include "sriov.h"

struct fake {
	char dir[256];          /* temporary directory holding sys/, state/ and stash/ */
	char sys[300];
	char state[300];
	char stash[300];        /* VF directories while their PF has them disabled */
	char proc[300];         /* an empty /proc: no process holds a VF */
	char orig[300];         /* the fixture: the drivers the kernel picks by itself */
	unsigned writes;        /* every write that reached the fake kernel */
	unsigned modprobes;
	int modprobe_ret;
	const char *probe_ignores; /* a BDF that drivers_probe leaves unbound */
	int numvfs_fail;        /* errno the PF driver's sriov_configure returns; 0: none */
	struct host_routes routes;
	struct bind_opts opts;  /* bind.h against this kernel */
	struct sriov_env env;   /* sriov.h against this kernel  */
};

/* A fake over a copy of FIXTURES_DIR/fixture; fake_free removes it. */
struct fake *fake_new(const char *fixture);
void fake_free(struct fake *f);

/* "<sys>/bus/pci/devices/<bdf>/<attr>" into buf (PATH_MAX bytes). */
const char *fake_dev_attr(const struct fake *f, const char *bdf, const char *attr, char *buf);

/* The driver bdf is bound to now; "" for none (a static buffer). */
const char *fake_driver_of(const struct fake *f, const char *bdf);

/* One sysfs write as the kernel takes it (bind_opts.write). 0 or -errno. */
int fake_write(void *opaque, const char *path, const char *value);

/* Run a shell command built from fmt with two strings; it must succeed. */
void fake_run(const char *fmt, const char *a, const char *b);

#endif
