/*
 * Handing PCI devices to vfio-pci and back, as a plan that is checked first
 * and then applied with rollback.
 *
 * A plan lists, per device, what changes (current driver -> vfio-pci, or
 * vfio-pci -> the driver remembered at bind time), what is already done, and
 * what is refused and why. A plan with any refusal is never applied. Applying
 * goes through driver_override, driver/unbind and bus/pci/drivers_probe, reads
 * the driver link back, and on any failed step returns every device already
 * changed to its previous driver with driver_override cleared.
 *
 * The previous driver of each bound device is kept in a state file
 * <state_dir>/<BDF> (one line: the driver name, empty for none) so that an
 * unbind in a later run restores it (a device that had no driver is left
 * with none). Without one, unbind clears driver_override and reprobes, and
 * the kernel picks the driver.
 *
 * VFIO's unsafe no-IOMMU mode is never enabled: a host without an IOMMU, or a
 * device in a no-IOMMU group, is refused.
 */
#ifndef IOVIRT_BIND_H
#define IOVIRT_BIND_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"
#include "host-routes.h"
#include "pci-inventory.h"

#define BIND_TARGET_DRIVER "vfio-pci"
#define BIND_STATE_DIR "/run/iovirt/bind"

struct bind_opts {
	const char *sysfs_root;           /* "/sys" on a live host */
	const char *state_dir;            /* BIND_STATE_DIR on a live host; created when missing */
	const struct host_routes *routes; /* NULL: routes unknown, not checked */
	const char *proc_root;            /* unbind: "/proc" to refuse a group a process holds open;
					   * NULL: not checked */
	bool group;                       /* bind: take every member of each device's IOMMU group */
	bool force;                       /* bind: hand over an interface that carries a host route */

	/*
	 * Write one sysfs attribute; NULL: sysfs_write_str. Tests pass a fake
	 * kernel that moves driver links. Returns 0 or -errno.
	 */
	int (*write)(void *opaque, const char *path, const char *value);
	/* Load a kernel module; NULL: libkmod. Returns 0 or -errno. */
	int (*load_module)(void *opaque, const char *name);
	void *opaque;

	/*
	 * TEST ONLY: when non-zero, the fault_write-th sysfs write of the
	 * forward path (rollback writes are not counted) fails with -EIO
	 * without being made. The CLI sets it from IOVIRT_FAULT_BIND_STEP.
	 */
	unsigned fault_write;
};

enum bind_action {
	BIND_CHANGE,  /* the driver changes */
	BIND_ALREADY, /* already as asked: nothing to do */
	BIND_REFUSED, /* not done, and the plan is not applied */
};

enum bind_outcome {
	BIND_PLANNED,     /* not applied (a dry run, a refused plan, or before apply) */
	BIND_DONE,        /* changed and read back */
	BIND_ROLLED_BACK, /* changed, then returned to its previous driver */
	BIND_FAILED,      /* the step that failed, or a rollback that did not restore it */
};

struct bind_step {
	char bdf[PCI_BDF_STRLEN];
	char from[PCI_DRIVER_LEN];  /* driver now; "" none */
	char to[PCI_DRIVER_LEN];    /* driver wanted; "" on unbind without a remembered driver */
	bool to_known;              /* unbind: `to` comes from the state file */
	bool requested;             /* named by the caller (false: pulled in by --group) */
	enum bind_action action;
	enum bind_outcome outcome;
	char why[REASON_LEN];       /* refusal, note (forced route, state file problem) or failure */
};

struct bind_plan {
	bool unbind;
	struct bind_step *steps;    /* requested devices in order, group members after theirs */
	size_t n_steps;
	size_t n_refused, n_change;
	char error[REASON_LEN];     /* why apply failed ("" when it did not), for the user */
};

/*
 * Plan binding bdfs (canonical "dddd:bb:dd.f") to vfio-pci, reading the
 * inventory under opts->sysfs_root. Refusals: no such device, no IOMMU or a
 * no-IOMMU group, a bridge, no group, an interface with a host route (unless
 * opts->force), a PF with enabled VFs, a group that sysfs describes
 * inconsistently, and a group whose other members a host driver holds
 * (unless opts->group, which adds them to the plan). Returns 0 or -errno
 * (the inventory cannot be read, -ENOMEM); *plan is the caller's
 * (bind_plan_free) on 0.
 */
int bind_plan_make(const struct bind_opts *opts, const char *const *bdfs, size_t n,
		   struct bind_plan *plan) __must_check;

/*
 * Plan returning bdfs from vfio-pci to their remembered drivers. A device not
 * bound to a VFIO driver is already done; a missing device is refused, and
 * so is one whose /dev/vfio/<group> a process holds open (opts->proc_root),
 * since the kernel would block the unbind until that process lets go.
 * Returns 0 or -errno; *plan is the caller's on 0.
 */
int unbind_plan_make(const struct bind_opts *opts, const char *const *bdfs, size_t n,
		     struct bind_plan *plan) __must_check;

/*
 * Apply a plan without refusals: load vfio-pci if needed (bind), then change
 * each BIND_CHANGE step in order, remembering or forgetting its previous
 * driver in the state directory. On a failed step, roll back every step
 * already changed, in reverse order, and set plan->error. Returns 0, -EPERM
 * for a plan with refusals (nothing done), or the failed step's -errno.
 */
int bind_plan_apply(const struct bind_opts *opts, struct bind_plan *plan) __must_check;

void bind_plan_free(struct bind_plan *plan);

/* Stable names for output: "change", "already", "refused"; "planned", "done", ... */
const char *bind_action_name(enum bind_action a);
const char *bind_outcome_name(enum bind_outcome o);

#endif
