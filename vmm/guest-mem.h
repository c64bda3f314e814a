/*
 * Guest RAM: a list of regions, each a host mapping of (part of) a memfd, and
 * the one bounds-checked guest-physical -> host translation every device,
 * virtqueue and loader uses.
 *
 * Contract of gpa_to_hva(): the range [gpa, gpa + len) must lie wholly inside
 * one RAM region; anything else (MMIO, a hole, a range spanning two regions,
 * gpa + len wrapping past 2^64, len 0 at an address outside RAM) yields NULL.
 * Callers that copy guest data must treat NULL as a guest error, never crash.
 */
#ifndef IOVIRT_GUEST_MEM_H
#define IOVIRT_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

#define GUEST_MEM_MAX_REGIONS 8

struct guest_mem_region {
	uint64_t gpa;        /* first guest-physical address */
	uint64_t size;       /* bytes */
	void *hva;           /* host mapping of the whole region */
	int fd;              /* backing memfd, or -1 (tests back regions with malloc'd memory) */
	uint64_t fd_offset;  /* where the region starts in fd: what vhost-user and VFIO need */
};

struct guest_mem {
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	size_t n_regions;
};

/*
 * Add a region. Regions must not overlap and size must be > 0 with gpa + size
 * not wrapping. Returns 0, -EINVAL or -ENOSPC. The caller keeps ownership of
 * hva and fd.
 */
int guest_mem_add(struct guest_mem *mem, uint64_t gpa, uint64_t size, void *hva, int fd,
		  uint64_t fd_offset) __must_check;

/* Host pointer for [gpa, gpa + len), or NULL (see the contract above). */
void *gpa_to_hva(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Copy out of / into guest RAM with the same checks; 0 or -EFAULT. */
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *buf, size_t len) __must_check;
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *buf, size_t len) __must_check;

/*
 * Create the memfd behind guest RAM (size bytes, 2 MiB huge pages when
 * hugetlb) and map it shared. The memfd is sealed against shrinking and
 * growing, so a peer it is passed to (a vhost-user back-end) cannot truncate
 * it under the VMM (which would turn guest accesses into SIGBUS). Huge pages
 * are reserved at mmap time: a shortage is -ENOMEM here, not a later SIGBUS.
 * Without hugetlb the mapping is marked MADV_HUGEPAGE: where the host's
 * /sys/kernel/mm/transparent_hugepage/shmem_enabled is "advise" (or
 * "within_size", "always") the kernel backs it with 2 MiB pages.
 * 0 or -errno; on success the caller owns *fd and the size-byte mapping *hva.
 */
int guest_ram_create(uint64_t size, bool hugetlb, int *fd, void **hva) __must_check;

/* The region holding gpa, or NULL. */
const struct guest_mem_region *guest_mem_find(const struct guest_mem *mem, uint64_t gpa);

#endif
