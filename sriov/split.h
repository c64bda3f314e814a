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

#endif
