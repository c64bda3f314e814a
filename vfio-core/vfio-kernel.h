/*
 * vfio-kernel: the kernel's VFIO (type1v2 IOMMU, container + group + device)
 * as a vfio_dev transport.
 *
 * Each device gets a container of its own; its DMA mappings live there.
 */
#ifndef IOVIRT_VFIO_KERNEL_H
#define IOVIRT_VFIO_KERNEL_H

#include <stddef.h>

#include "compiler.h"
#include "vfio-dev.h"

struct vfio_kernel_opts {
	const char *vf_token;   /* the PF's VF token (a UUID), or NULL */
	/* Where the host is (NULL: "/sys", "/dev", "/proc"); tests point them at fixtures. */
	const char *sysfs_root;
	const char *dev_root;
	const char *proc_root;
};

/*
 * Open the device bdf ("0000:00:03.0" or "00:03.0") bound to vfio-pci: its
 * group, a type1v2 container, the device fd. On failure returns -errno and
 * writes a sentence for the user into why (why_len bytes, may be 0), e.g.:
 * -ENOENT not bound to vfio-pci (naming its driver), -EBUSY the group is
 * open in another process (naming its PID), -EPERM the group is not viable
 * (naming the members bound to host drivers), -ENODEV no IOMMU (never the
 * no-IOMMU mode), -EACCES permissions, -EINVAL a bad VF token.
 */
int vfio_kernel_open(const char *bdf, const struct vfio_kernel_opts *opts,
		     struct vfio_dev **out, char *why, size_t why_len) __must_check;

#endif
