/*
 * Fuzz target: the VFIO capability-chain readers (vfio-core/vfio-caps.c) on
 * the info structs the kernel hands back: a VFIO_DEVICE_GET_REGION_INFO
 * answer (sparse-mmap and MSI-X-mappable capabilities) and a
 * VFIO_IOMMU_GET_INFO answer (the DMA_AVAIL capability).
 *
 * Input: a mode byte (bit 0: the IOMMU info, else the region info; bit 1:
 * the region is mmappable before its capabilities are read, as
 * vfio-kernel.c sets it from VFIO_REGION_INFO_FLAG_MMAP), the region size
 * (8 bytes), the offset of the first capability (4 bytes), then the info
 * struct itself, in a buffer of exactly its size. Checked: the region keeps
 * its index and size; at most VFIO_DEV_MAX_SPARSE areas, each non-empty and
 * inside the region; a region not mmappable before stays so; a mmappable
 * one has an area.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "vfio-caps.h"

static void region_check(const uint8_t *info, size_t len, uint32_t first, uint64_t size,
			 bool mmap)
{
	struct vfio_dev_region r = { .index = 2, .size = size, .readable = true };

	if (mmap && size) {
		r.mmappable = true;
		r.n_areas = 1;
		r.areas[0].size = size;
	}
	vfio_caps_region_apply(info, len, first, &r);
	FUZZ_CHECK(r.index == 2 && r.size == size && r.readable && !r.writable);
	FUZZ_CHECK(r.n_areas <= VFIO_DEV_MAX_SPARSE);
	FUZZ_CHECK(r.mmappable == (r.n_areas > 0));
	if (!(mmap && size))
		FUZZ_CHECK(!r.mmappable);
	for (unsigned i = 0; i < r.n_areas; i++) {
		FUZZ_CHECK(r.areas[i].size > 0);
		FUZZ_CHECK(r.areas[i].offset <= size && r.areas[i].size <= size - r.areas[i].offset);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	unsigned mode = (unsigned)fuzz_uint(&in, 1);
	uint64_t size = fuzz_uint(&in, 8);
	uint32_t first = (uint32_t)fuzz_uint(&in, 4);
	size_t n;
	uint8_t *info;

	fuzz_quiet_logs();
	info = fuzz_rest_dup(&in, &n);
	if (mode & 1)
		(void)vfio_caps_dma_avail(info, n, first);
	else
		region_check(info, n, first, size, mode & 2);
	free(info);
	return 0;
}
