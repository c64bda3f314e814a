/* vfio-caps: walking VFIO capability chains without trusting them. */
#include "vfio-caps.h"

#include <linux/vfio.h>
#include <stdbool.h>
#include <string.h>

#define VFIO_CAPS_MAX 64  /* more links than any real chain has */

/* Called with each capability's id, offset and the bytes left from there. */
typedef void (*vfio_caps_fn)(const uint8_t *buf, uint16_t id, size_t off, size_t room,
			     void *opaque);

static void vfio_caps_walk(const void *info, size_t len, uint32_t first, vfio_caps_fn fn,
			   void *opaque)
{
	const uint8_t *buf = info;
	struct vfio_info_cap_header h;
	size_t off = first;

	for (unsigned n = 0; n < VFIO_CAPS_MAX; n++) {
		/* A capability never overlaps the fixed part: argsz, flags... come first. */
		if (off < 2 * sizeof(uint32_t) || !vfio_dev_range_within(off, sizeof(h), len))
			return;
		memcpy(&h, buf + off, sizeof(h));
		fn(buf, h.id, off, len - off, opaque);
		if (h.next <= off)
			return;
		off = h.next;
	}
}

static void vfio_caps_sparse(const uint8_t *buf, size_t off, size_t room,
			     struct vfio_dev_region *r)
{
	struct vfio_region_info_cap_sparse_mmap s;
	struct vfio_region_sparse_mmap_area a;
	size_t fit;

	if (room < sizeof(s))
		return;
	memcpy(&s, buf + off, sizeof(s));
	fit = (room - sizeof(s)) / sizeof(a);
	r->n_areas = 0;
	for (size_t i = 0; i < s.nr_areas && i < fit && r->n_areas < VFIO_DEV_MAX_SPARSE; i++) {
		memcpy(&a, buf + off + sizeof(s) + i * sizeof(a), sizeof(a));
		if (!a.size || !vfio_dev_range_within(a.offset, a.size, r->size))
			continue;
		r->areas[r->n_areas].offset = a.offset;
		r->areas[r->n_areas].size = a.size;
		r->n_areas++;
	}
	r->mmappable = r->n_areas > 0;
}

static void vfio_caps_region_one(const uint8_t *buf, uint16_t id, size_t off, size_t room,
				 void *opaque)
{
	struct vfio_dev_region *r = opaque;

	if (id == VFIO_REGION_INFO_CAP_MSIX_MAPPABLE)
		r->msix_mappable = true;
	else if (id == VFIO_REGION_INFO_CAP_SPARSE_MMAP && r->mmappable)
		vfio_caps_sparse(buf, off, room, r);
}

void vfio_caps_region_apply(const void *info, size_t len, uint32_t cap_offset,
			    struct vfio_dev_region *r)
{
	vfio_caps_walk(info, len, cap_offset, vfio_caps_region_one, r);
}

static void vfio_caps_avail_one(const uint8_t *buf, uint16_t id, size_t off, size_t room,
				void *opaque)
{
	struct vfio_iommu_type1_info_dma_avail a;

	if (id != VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL || room < sizeof(a))
		return;
	memcpy(&a, buf + off, sizeof(a));
	*(unsigned *)opaque = a.avail;
}

unsigned vfio_caps_dma_avail(const void *info, size_t len, uint32_t cap_offset)
{
	unsigned avail = 0;

	vfio_caps_walk(info, len, cap_offset, vfio_caps_avail_one, &avail);
	return avail;
}
