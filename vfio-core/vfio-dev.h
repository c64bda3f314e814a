/*
 * vfio-dev: one assigned device, behind a transport.
 *
 * A struct vfio_dev is what a passthrough PCI device model (or a host-side
 * user such as the benchmark's e1000e path) sees of a device the host handed
 * over: its regions (BARs, config space, ROM), its interrupts, DMA mapping
 * into its I/O address space, and reset. The kernel's VFIO type1v2
 * container/group/device (vfio-kernel.c) is one transport; iommufd or
 * vfio-user can be others, and the unit tests use a fake one. Users call the
 * vfio_dev_* wrappers, never the ops directly.
 *
 * Regions and interrupts are numbered as in <linux/vfio.h>
 * (VFIO_PCI_BAR0_REGION_INDEX.., VFIO_PCI_CONFIG_REGION_INDEX,
 * VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX).
 *
 * Every function returns 0 (or a count) on success and -errno on failure; none
 * prints for the user or exits. A vfio_dev is used from one thread at a time
 * except region_read/region_write, which are safe from several vCPU threads.
 */
#ifndef IOVIRT_VFIO_DEV_H
#define IOVIRT_VFIO_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "compiler.h"

#define VFIO_DEV_MAX_SPARSE 8

/* A part of a region that may be mmapped (sparse-mmap capability). */
struct vfio_dev_area {
	uint64_t offset; /* from the start of the region */
	uint64_t size;
};

struct vfio_dev_region {
	unsigned index;
	uint64_t size;            /* 0: the region does not exist */
	bool readable, writable;
	bool mmappable;           /* some or all of it may be mmapped */
	/*
	 * The mmappable areas. Without a sparse-mmap capability a mmappable
	 * region has one area covering it all.
	 */
	unsigned n_areas;
	struct vfio_dev_area areas[VFIO_DEV_MAX_SPARSE];
	bool msix_mappable;       /* the MSI-X table/PBA may be mmapped too */
};

struct vfio_dev_irq {
	unsigned index;
	unsigned count;           /* vectors; 0: this kind does not exist */
	bool eventfd, maskable, automasked, noresize;
};

enum vfio_dev_reset_kind {
	VFIO_DEV_RESET_NONE = 0,  /* the device offers no reset */
	VFIO_DEV_RESET_FLR,       /* function-level (VFIO_DEVICE_RESET) */
	VFIO_DEV_RESET_HOT,       /* secondary bus reset of the whole slot/bus */
};

struct vfio_dev;

struct vfio_dev_ops {
	int (*region_info)(struct vfio_dev *d, unsigned index, struct vfio_dev_region *out);
	ssize_t (*region_read)(struct vfio_dev *d, unsigned index, uint64_t off, void *buf,
			       size_t len);
	ssize_t (*region_write)(struct vfio_dev *d, unsigned index, uint64_t off,
				const void *buf, size_t len);
	/* mmap [off, off + len) of the region (page-aligned); *out or -errno. */
	int (*region_mmap)(struct vfio_dev *d, unsigned index, uint64_t off, size_t len,
			   void **out);
	int (*irq_info)(struct vfio_dev *d, unsigned index, struct vfio_dev_irq *out);
	/*
	 * Bind vectors [start, start + count) of irq index to fds[] (-1 unbinds
	 * one). count 0 disables the whole index.
	 */
	int (*irq_set_eventfds)(struct vfio_dev *d, unsigned index, unsigned start,
				unsigned count, const int *fds);
	/* INTx: unmask now (fd < 0) or unmask whenever fd is signalled. */
	int (*irq_unmask)(struct vfio_dev *d, unsigned index, int fd);
	int (*irq_mask)(struct vfio_dev *d, unsigned index);
	/* Map host memory [hva, hva + size) at iova for the device's DMA. */
	int (*dma_map)(struct vfio_dev *d, uint64_t iova, void *hva, uint64_t size,
		       bool writable);
	int (*dma_unmap)(struct vfio_dev *d, uint64_t iova, uint64_t size);
	/* Reset the device the best way it offers; says which in *how. */
	int (*reset)(struct vfio_dev *d, enum vfio_dev_reset_kind *how);
	/* Close and free (unmaps every DMA mapping; mmaps must be gone). */
	void (*close)(struct vfio_dev *d);
};

/* DMA mapping accounting, kept by the wrappers for every transport. */
struct vfio_dev_dma_stats {
	unsigned mappings;        /* live dma_map()s */
	unsigned limit;           /* the transport's mapping limit (0: unknown) */
	uint64_t bytes;           /* bytes mapped */
};

struct vfio_dev {
	const struct vfio_dev_ops *ops;
	void *priv;               /* the transport's state */
	char name[32];            /* "0000:00:03.0" */
	struct vfio_dev_dma_stats dma;
};

/*
 * Whether the range [off, off + size) lies within [0, len): true when
 * off <= len and size <= len - off. off + size is never computed, so no
 * value of the three can overflow into a false yes. An empty range
 * (size 0) is within when off <= len; callers that refuse one say so.
 */
static inline bool vfio_dev_range_within(uint64_t off, uint64_t size, uint64_t len)
{
	return off <= len && size <= len - off;
}

/* Wrappers: argument checks and accounting, then the transport. */
int vfio_dev_region_info(struct vfio_dev *d, unsigned index, struct vfio_dev_region *out)
	__must_check;
ssize_t vfio_dev_region_read(struct vfio_dev *d, unsigned index, uint64_t off, void *buf,
			     size_t len);
ssize_t vfio_dev_region_write(struct vfio_dev *d, unsigned index, uint64_t off,
			      const void *buf, size_t len);
int vfio_dev_region_mmap(struct vfio_dev *d, unsigned index, uint64_t off, size_t len,
			 void **out) __must_check;
int vfio_dev_irq_info(struct vfio_dev *d, unsigned index, struct vfio_dev_irq *out)
	__must_check;
int vfio_dev_irq_set_eventfds(struct vfio_dev *d, unsigned index, unsigned start,
			      unsigned count, const int *fds) __must_check;
int vfio_dev_irq_unmask(struct vfio_dev *d, unsigned index, int fd) __must_check;
int vfio_dev_irq_mask(struct vfio_dev *d, unsigned index) __must_check;
/*
 * Map for DMA. -ENOSPC when the transport's mapping limit (VFIO's
 * dma_entry_limit) is reached, -ENOMEM when the host refuses to pin more
 * (RLIMIT_MEMLOCK): the caller says which to the user.
 */
int vfio_dev_dma_map(struct vfio_dev *d, uint64_t iova, void *hva, uint64_t size,
		     bool writable) __must_check;
int vfio_dev_dma_unmap(struct vfio_dev *d, uint64_t iova, uint64_t size) __must_check;
int vfio_dev_reset(struct vfio_dev *d, enum vfio_dev_reset_kind *how) __must_check;
const char *vfio_dev_reset_kind_name(enum vfio_dev_reset_kind how);
/* Close d (NULL is fine). */
void vfio_dev_close(struct vfio_dev *d);

#endif
