/*
 * vfio-caps: the capability chains of VFIO info structs (private to
 * vfio-core). The chain is read as untrusted: every offset and count is
 * checked against the buffer, loops and backward links end the walk, and
 * fields are copied out (no unaligned access).
 */
#ifndef IOVIRT_VFIO_CAPS_H
#define IOVIRT_VFIO_CAPS_H

#include <stddef.h>
#include <stdint.h>

#include "vfio-dev.h"

/*
 * Apply the capabilities of a VFIO_DEVICE_GET_REGION_INFO answer (info, len
 * bytes, first capability at cap_offset) to r, whose size is already set:
 * sparse-mmap areas (kept only when inside the region and non-empty, at most
 * VFIO_DEV_MAX_SPARSE; a sparse-mmap capability with no valid area leaves the
 * region not mmappable) and the MSI-X-mappable flag.
 */
void vfio_caps_region_apply(const void *info, size_t len, uint32_t cap_offset,
			    struct vfio_dev_region *r);

/*
 * The "avail" of a VFIO_IOMMU_GET_INFO answer's DMA_AVAIL capability (info,
 * len bytes, first capability at cap_offset), or 0 when there is none.
 */
unsigned vfio_caps_dma_avail(const void *info, size_t len, uint32_t cap_offset);

#endif
