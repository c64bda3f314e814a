/*
 * The host's PCI devices as a VMM sees them: identity and names, driver and
 * modules, IOMMU group, NUMA node, SR-IOV relations, network interfaces, and a
 * passthrough verdict with its reason.
 *
 * Everything is read from a sysfs tree whose root is a parameter (tests use
 * fixture trees), names come from libpci's pci.ids, modules from libkmod, and
 * routes from a host_routes table the caller supplies.
 */
#ifndef IOVIRT_PCI_INVENTORY_H
#define IOVIRT_PCI_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "host-routes.h"

#define PCI_BDF_STRLEN 16 /* "dddd:bb:dd.f" and NUL, with room to spare */
#define PCI_NAME_LEN 128
#define PCI_DRIVER_LEN 64
#define REASON_LEN 512

/* Class codes (24-bit: base, sub, prog-if) the inventory cares about. */
#define PCI_BASE_CLASS(c) (((c) >> 16) & 0xff)
#define PCI_CLASS_BASE_NETWORK 0x02
#define PCI_CLASS_BASE_BRIDGE 0x06

struct netif_info {
	char name[IF_NAMESIZE];
	char mac[24];
	char operstate[16];     /* "up", "down", "unknown", ... as the kernel says */
	char route[64];         /* a route through it ("default", "192.0.2.0/24"), "" if none */
	bool default_route;
};

enum pt_verdict {
	PT_READY,            /* can be bound to vfio-pci and handed to a guest */
	PT_VFIO_BOUND,       /* already bound to a VFIO driver and its group is viable */
	PT_NEEDS_VF_TOKEN,   /* a VF whose PF is bound to vfio-pci: open it with the PF owner's VF token */
	PT_NO_IOMMU,         /* the host has no IOMMU: nothing can be assigned safely */
	PT_NO_GROUP,         /* the host has an IOMMU but this device is in no group */
	PT_BRIDGE,           /* bridges are infrastructure, not assignable */
	PT_CARRIES_ROUTE,    /* one of its interfaces carries a route the host uses */
	PT_VFS_ACTIVE,       /* a PF with enabled VFs: taking it from its driver destroys them */
	PT_GROUP_NOT_VIABLE, /* another member of its IOMMU group is held by a host driver */
};

/* Stable machine-readable name of a verdict ("ready", "no-iommu", ...). */
const char *pt_verdict_name(enum pt_verdict v);

/* True for the verdicts under which the device can be given to a guest. */
bool pt_verdict_ok(enum pt_verdict v);

struct pci_dev_info {
	char bdf[PCI_BDF_STRLEN];
	uint16_t vendor, device, subsys_vendor, subsys_device;
	uint32_t class;                   /* 24-bit class code */
	char vendor_name[PCI_NAME_LEN];   /* from pci.ids; "" if unknown */
	char device_name[PCI_NAME_LEN];
	char class_name[PCI_NAME_LEN];
	char driver[PCI_DRIVER_LEN];      /* bound driver; "" if none */
	char driver_override[PCI_DRIVER_LEN];
	char modules[PCI_NAME_LEN];       /* modules matching its modalias, comma separated */
	bool modules_known;               /* false when no module index could be read */
	int iommu_group;                  /* -1 when in none */
	bool group_conflict;              /* another group also lists it: never assignable */
	int numa_node;                    /* -1 when unknown */

	/* SR-IOV: the most cautious reading of sriov_totalvfs, sriov_numvfs and the virtfnN links */
	bool is_pf;
	int sriov_totalvfs;               /* -1 when sysfs gives no usable value */
	int sriov_numvfs;                 /* enabled VFs: the larger of sriov_numvfs and the links */
	bool sriov_unsure;                /* sriov_numvfs unusable: VFs may be enabled */
	char (*vfs)[PCI_BDF_STRLEN];      /* a PF's VFs (its virtfnN links), in VF index order */
	size_t n_vfs;
	char pf[PCI_BDF_STRLEN];          /* a VF's PF; "" if not a VF */

	struct netif_info *netifs;
	size_t n_netifs;

	enum pt_verdict verdict;
	char reason[REASON_LEN];
	char anomalies[REASON_LEN];       /* inconsistent or malformed sysfs facts, "; "-joined; "" if none */
};

struct iommu_member {
	char name[64];               /* a PCI BDF, or another bus's device name */
	char driver[PCI_DRIVER_LEN]; /* "" if none */
	uint32_t class;              /* PCI class code; 0 for a non-PCI device */
	bool allowed;                /* meets the kernel's rule for a group handed to VFIO */
};

struct iommu_group_info {
	int id;
	struct iommu_member *members;    /* in name order */
	bool members_unreadable;         /* the member list could not be read: never viable */
	bool noiommu;                    /* VFIO's no-IOMMU group ("vfio-noiommu"): no isolation at all */
	size_t n_members;
	bool viable;
	char reason[REASON_LEN];         /* why it is or is not viable */
};

struct inventory_opts {
	const char *sysfs_root;           /* "/sys" on a live host */
	const struct host_routes *routes; /* NULL: routes unknown, not checked */
	bool lookup_names;                /* pci.ids via libpci */
	bool lookup_modules;              /* modalias via libkmod */
};

struct inventory {
	bool has_iommu;                   /* some group is a real IOMMU's (no-IOMMU groups do not count) */
	bool routes_known;
	struct pci_dev_info *devs;        /* sorted by BDF */
	size_t n_devs;
	struct iommu_group_info *groups;  /* sorted by id */
	size_t n_groups;
	char anomalies[REASON_LEN];       /* entries of the tree that were skipped, and why; "" if none */
};

/*
 * Scan every PCI device and IOMMU group under opts->sysfs_root and compute
 * verdicts. sysfs is treated as hostile: a device whose attributes cannot be
 * read is still listed with what could be read, malformed or inconsistent
 * values are noted in its anomalies and read the way that makes its verdict
 * the most cautious, and entries that are not device or group directories
 * are skipped and noted in inv->anomalies; none of these aborts the scan. Returns 0 or -errno (-ENOENT: no PCI bus in that tree);
 * the caller frees *inv with inventory_free.
 */
int inventory_scan(const struct inventory_opts *opts, struct inventory *inv) __must_check;
void inventory_free(struct inventory *inv);

const struct pci_dev_info *inventory_find(const struct inventory *inv, const char *bdf);
const struct iommu_group_info *inventory_find_group(const struct inventory *inv, int id);

/*
 * Canonicalize a user's BDF ("3:00.0", "03:00.0", "0000:03:00.0") into
 * "dddd:bb:dd.f". -EINVAL when it is not one.
 */
int pci_bdf_parse(const char *in, char out[PCI_BDF_STRLEN]) __must_check;

/* Append a note to the "; "-joined list in buf[0..len), truncating when full. */
void inventory_note(char *buf, size_t len, const char *fmt, ...) __printf(3, 4);

#endif
