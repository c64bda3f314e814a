/*
 * iovirt split: a plan that gives each of N guests K VFs of one PF, each VF
 * a distinct locally administered MAC, every guest placed on the PF's NUMA
 * node; and the plan exported for the engines that run fleets (the SR-IOV
 * network device plugin's resource list, libvirt <hostdev> elements).
 *
 * Making a plan only reads sysfs; nothing is changed.
 */
#ifndef IOVIRT_SPLIT_H
#define IOVIRT_SPLIT_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bind.h"
#include "sriov.h"

#define SPLIT_CPUS_LEN 256

struct split_vf {
	unsigned index;              /* VF index on the PF */
	char bdf[PCI_BDF_STRLEN];    /* "" when it cannot be known before the VFs exist */
	uint8_t mac[6];
	unsigned guest;
};

struct split_plan {
	char pf[PCI_BDF_STRLEN];
	char netdev[IF_NAMESIZE];    /* the PF's network interface; "" if it has none */
	char mac_seed[24];           /* what the MACs derive from: the PF's MAC, else its BDF */
	char pf_driver[PCI_DRIVER_LEN];
	int totalvfs, numvfs_now, numvfs_wanted;
	bool through_zero;           /* a different nonzero count is set: disable comes first */
	bool bdfs_from_links;        /* VF addresses read from virtfnN links, not computed */
	int numa_node;               /* -1: no affinity, any CPU */
	char cpus[SPLIT_CPUS_LEN];   /* the node's CPU list ("0-3,8-11"); "" when any */
	unsigned guests, vfs_per_guest;
	struct split_vf *vfs;        /* guests * vfs_per_guest, guest by guest */
	size_t n_vfs;
};

/*
 * The node's CPUs as a list ("0-3,8-11") from libnuma. -ENOSYS without NUMA
 * support, -EINVAL for a node this host does not have.
 */
int split_node_cpus(int node, char *buf, size_t len) __must_check;

/*
 * The MAC of VF index on a PF: 02:h1:h2:h3:i1:i2, where h1..h3 are the low 24
 * bits of the 32-bit FNV-1a hash of seed (the PF's MAC as "aa:bb:cc:dd:ee:ff",
 * or its BDF when it has no network interface) and i1:i2 the VF index, big
 * endian. 02 marks it locally administered and unicast.
 */
void split_mac(const char *seed, unsigned index, uint8_t mac[6]);

/*
 * Plan guests * vfs_per_guest VFs on pf_bdf. node_cpus resolves the PF's
 * NUMA node to CPUs (NULL: split_node_cpus). -ERANGE when the PF has too few
 * VFs, other errors as sriov_pf_read; msg says why. The caller frees with
 * split_plan_free.
 */
int split_plan_make(const struct sriov_env *env, const char *pf_bdf, unsigned guests,
		    unsigned vfs_per_guest, int (*node_cpus)(int node, char *buf, size_t len),
		    struct split_plan *plan, char *msg, size_t msglen) __must_check;
void split_plan_free(struct split_plan *plan);

/*
 * Refresh the plan from the PF once its VFs exist: the current count and
 * each VF's address from its virtfnN link. -ENOENT when the PF does not
 * have the planned count or a link is unreadable (the addresses are then
 * cleared), other errors as sriov_pf_read.
 */
int split_plan_read_vfs(const struct sriov_env *env, struct split_plan *plan) __must_check;

/*
 * Write the VF pool as the SR-IOV network device plugin's config.json
 * ({"resourceList": [...]}): one resource, selecting the plan's VFs bound to
 * vfio-pci. Returns 0 or -EIO when out cannot be written.
 */
int split_export_k8s(const struct split_plan *plan, FILE *out) __must_check;

/*
 * Write each guest's libvirt elements: <interface type='hostdev'> with the
 * planned MAC for a network PF, <hostdev mode='subsystem' type='pci'> else,
 * each guest's preceded by a comment naming it. -EAGAIN when a VF's address
 * is not known yet (enable the VFs first), -EIO when out cannot be written.
 */
int split_export_libvirt(const struct split_plan *plan, FILE *out) __must_check;

/*
 * What split_plan_apply did: for each kind of change, how many it made and
 * how many were already as planned. A second apply of the same plan changes
 * nothing.
 */
struct split_apply_result {
	int numvfs_before;          /* the PF's VF count before the apply */
	bool numvfs_changed;        /* VFs disabled and/or enabled */
	unsigned macs_set, macs_already;
	unsigned bound, bound_already;
	bool rolled_back;           /* a step failed: the changes were undone */
	unsigned rollback_failures; /* undo steps that failed themselves (the host is left changed) */
};

/* The host the apply changes. */
struct split_apply_env {
	const struct sriov_env *sriov;
	const struct bind_opts *bind;     /* sysfs root, state directory, write hooks */
	const struct sriov_nl *nl;        /* sets the MACs of a network PF's VFs; NULL: not set */
};

/*
 * Carry out a plan made by split_plan_make, idempotently: set the PF's VF
 * count (through 0 when a different count is set, refused while a process
 * holds a VF; new VFs without a host driver), give each VF of a network PF
 * its planned MAC (over e->nl; a PF without a network interface keeps its
 * VFs' identities), and bind every VF to vfio-pci (bind.h's rules and
 * refusals). The plan's VF addresses are read back from the PF once the VFs
 * exist. On any failure, what was changed is undone in reverse order (the
 * bind step undoes its own; MACs restored; the VF count and
 * sriov_drivers_autoprobe returned to what they were) and res->rolled_back
 * set. Returns 0 or -errno with msg saying what failed.
 */
int split_plan_apply(const struct split_apply_env *e, struct split_plan *plan,
		     struct split_apply_result *res, char *msg, size_t msglen) __must_check;

#endif
