/*
 * vfio-kernel-sysfs: what vfio-kernel.c reads from sysfs and /proc before and
 * around opening a VFIO group (private to vfio-core; the roots are parameters
 * so that tests use fixture trees).
 *
 * Every "why" is a sentence for the user; names read from the host are
 * written with non-printable bytes replaced by '?'.
 */
#ifndef IOVIRT_VFIO_KERNEL_SYSFS_H
#define IOVIRT_VFIO_KERNEL_SYSFS_H

#include <stddef.h>
#include <sys/types.h>

#include "compiler.h"

/* Write a formatted sentence into why (len may be 0: nothing written). */
void vfio_kernel_why(char *why, size_t len, const char *fmt, ...) __printf(3, 4);

/*
 * Canonical "dddd:bb:dd.f" (lowercase) of "dddd:bb:dd.f" or "bb:dd.f" into out
 * (at least 13 bytes). -EINVAL for anything else.
 */
int vfio_kernel_bdf_normalize(const char *in, char *out, size_t len) __must_check;

/*
 * The IOMMU group of PCI device bdf (canonical) under sysfs_root, checked for
 * VFIO use: the device exists (-ENODEV), is bound to a VFIO driver (-ENOENT,
 * naming its driver), has an IOMMU group (-ENODEV) that is not a VFIO
 * no-IOMMU group (-ENODEV: that mode is never used). dev_root ("/dev") is
 * where the no-IOMMU node "vfio/noiommu-N" would be. 0 with *group set.
 */
int vfio_kernel_group_find(const char *sysfs_root, const char *dev_root, const char *bdf,
			   unsigned *group, char *why, size_t why_len) __must_check;

/*
 * The first process under proc_root ("/proc") with an fd open on node (a
 * path such as "/dev/vfio/7"): its PID, its command name in comm. 0 when
 * none is found (or none is visible to us).
 */
pid_t vfio_kernel_group_holder(const char *proc_root, const char *node, char *comm,
			       size_t comm_len);

/*
 * Describe the members of group that keep it from being viable (bound to a
 * driver other than a VFIO one or pci-stub), except bdf, as
 * "0000:05:00.1 bound to igb, ...". Returns how many there are.
 */
unsigned vfio_kernel_group_blockers(const char *sysfs_root, unsigned group, const char *bdf,
				    char *buf, size_t len);

#endif
