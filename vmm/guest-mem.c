#include "guest-mem.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static bool range_wraps(uint64_t start, uint64_t len)
{
	return len && start + len - 1 < start;
}

int guest_mem_add(struct guest_mem *mem, uint64_t gpa, uint64_t size, void *hva, int fd,
		  uint64_t fd_offset)
{
	struct guest_mem_region *r;

	if (!size || !hva || range_wraps(gpa, size))
		return -EINVAL;
	if (mem->n_regions == GUEST_MEM_MAX_REGIONS)
		return -ENOSPC;
	for (size_t i = 0; i < mem->n_regions; i++) {
		const struct guest_mem_region *o = &mem->regions[i];

		if (gpa <= o->gpa + (o->size - 1) && o->gpa <= gpa + (size - 1))
			return -EINVAL;
	}
	r = &mem->regions[mem->n_regions++];
	*r = (struct guest_mem_region){ .gpa = gpa, .size = size, .hva = hva, .fd = fd,
					.fd_offset = fd_offset };
	return 0;
}

const struct guest_mem_region *guest_mem_find(const struct guest_mem *mem, uint64_t gpa)
{
	for (size_t i = 0; i < mem->n_regions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

void *gpa_to_hva(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	const struct guest_mem_region *r = guest_mem_find(mem, gpa);
	uint64_t off;

	if (!r || range_wraps(gpa, len))
		return NULL;
	off = gpa - r->gpa;
	if (len > r->size - off)
		return NULL;
	return (uint8_t *)r->hva + off;
}

int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *buf, size_t len)
{
	const void *src = gpa_to_hva(mem, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(buf, src, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *buf, size_t len)
{
	void *dst = gpa_to_hva(mem, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, buf, len);
	return 0;
}

int guest_ram_create(uint64_t size, bool hugetlb, int *fd, void **hva)
{
	unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING | (hugetlb ? MFD_HUGETLB | MFD_HUGE_2MB : 0);
	int ret, mfd;
	void *map;

	mfd = memfd_create("iovirt-guest-ram", flags);
	if (mfd < 0)
		return -errno;
	if (ftruncate(mfd, size) < 0 || fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0)
		goto fail;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | (hugetlb ? 0 : MAP_NORESERVE),
		   mfd, 0);
	if (map == MAP_FAILED)
		goto fail;
	if (!hugetlb)
		(void)madvise(map, size, MADV_HUGEPAGE); /* a hint; kernels without THP refuse it */
	*fd = mfd;
	*hva = map;
	return 0;
fail:
	ret = -errno;
	close(mfd);
	return ret;
}
