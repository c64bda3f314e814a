/*
 * vfio-dev: argument checks and DMA accounting in front of a transport.
 * The transport only sees calls whose indexes and ranges are sane.
 */
#include "vfio-dev.h"

#include <errno.h>
#include <linux/vfio.h>

/* Region and IRQ indexes a PCI device may have (linux/vfio.h numbering). */
#define VFIO_DEV_MAX_REGIONS VFIO_PCI_NUM_REGIONS
#define VFIO_DEV_MAX_IRQS    VFIO_PCI_NUM_IRQS

static bool vfio_dev_ok(const struct vfio_dev *d)
{
	return d && d->ops;
}

/* off + len must not wrap; len 0 is refused (nothing to do is a caller bug). */
static int vfio_dev_range_check(uint64_t off, uint64_t len)
{
	if (len == 0)
		return -EINVAL;
	if (off + len < off)
		return -EOVERFLOW;
	return 0;
}

static int vfio_dev_region_check(const struct vfio_dev *d, unsigned index)
{
	if (!vfio_dev_ok(d))
		return -EINVAL;
	return index < VFIO_DEV_MAX_REGIONS ? 0 : -EINVAL;
}

static int vfio_dev_irq_check(const struct vfio_dev *d, unsigned index)
{
	if (!vfio_dev_ok(d))
		return -EINVAL;
	return index < VFIO_DEV_MAX_IRQS ? 0 : -EINVAL;
}

int vfio_dev_region_info(struct vfio_dev *d, unsigned index, struct vfio_dev_region *out)
{
	int ret = vfio_dev_region_check(d, index);

	if (ret)
		return ret;
	if (!out || !d->ops->region_info)
		return out ? -EOPNOTSUPP : -EINVAL;
	return d->ops->region_info(d, index, out);
}

ssize_t vfio_dev_region_read(struct vfio_dev *d, unsigned index, uint64_t off, void *buf,
			     size_t len)
{
	int ret = vfio_dev_region_check(d, index);

	if (!ret)
		ret = vfio_dev_range_check(off, len);
	if (ret)
		return ret;
	if (!buf)
		return -EINVAL;
	if (!d->ops->region_read)
		return -EOPNOTSUPP;
	return d->ops->region_read(d, index, off, buf, len);
}

ssize_t vfio_dev_region_write(struct vfio_dev *d, unsigned index, uint64_t off,
			      const void *buf, size_t len)
{
	int ret = vfio_dev_region_check(d, index);

	if (!ret)
		ret = vfio_dev_range_check(off, len);
	if (ret)
		return ret;
	if (!buf)
		return -EINVAL;
	if (!d->ops->region_write)
		return -EOPNOTSUPP;
	return d->ops->region_write(d, index, off, buf, len);
}

int vfio_dev_region_mmap(struct vfio_dev *d, unsigned index, uint64_t off, size_t len,
			 void **out)
{
	int ret = vfio_dev_region_check(d, index);

	if (!ret)
		ret = vfio_dev_range_check(off, len);
	if (ret)
		return ret;
	if (!out)
		return -EINVAL;
	if (!d->ops->region_mmap)
		return -EOPNOTSUPP;
	return d->ops->region_mmap(d, index, off, len, out);
}

int vfio_dev_irq_info(struct vfio_dev *d, unsigned index, struct vfio_dev_irq *out)
{
	int ret = vfio_dev_irq_check(d, index);

	if (ret)
		return ret;
	if (!out)
		return -EINVAL;
	if (!d->ops->irq_info)
		return -EOPNOTSUPP;
	return d->ops->irq_info(d, index, out);
}

int vfio_dev_irq_set_eventfds(struct vfio_dev *d, unsigned index, unsigned start,
			      unsigned count, const int *fds)
{
	int ret = vfio_dev_irq_check(d, index);

	if (ret)
		return ret;
	if (count > 0 && (!fds || start + count < start))
		return -EINVAL;
	if (!d->ops->irq_set_eventfds)
		return -EOPNOTSUPP;
	return d->ops->irq_set_eventfds(d, index, start, count, fds);
}

int vfio_dev_irq_unmask(struct vfio_dev *d, unsigned index, int fd)
{
	int ret = vfio_dev_irq_check(d, index);

	if (ret)
		return ret;
	if (!d->ops->irq_unmask)
		return -EOPNOTSUPP;
	return d->ops->irq_unmask(d, index, fd);
}

int vfio_dev_irq_mask(struct vfio_dev *d, unsigned index)
{
	int ret = vfio_dev_irq_check(d, index);

	if (ret)
		return ret;
	if (!d->ops->irq_mask)
		return -EOPNOTSUPP;
	return d->ops->irq_mask(d, index);
}

int vfio_dev_dma_map(struct vfio_dev *d, uint64_t iova, void *hva, uint64_t size,
		     bool writable)
{
	int ret;

	if (!vfio_dev_ok(d) || !hva)
		return -EINVAL;
	ret = vfio_dev_range_check(iova, size);
	if (!ret)
		ret = vfio_dev_range_check((uintptr_t)hva, size);
	if (ret)
		return ret;
	if (!d->ops->dma_map)
		return -EOPNOTSUPP;
	if (d->dma.limit && d->dma.mappings >= d->dma.limit)
		return -ENOSPC;
	ret = d->ops->dma_map(d, iova, hva, size, writable);
	if (ret)
		return ret;
	d->dma.mappings++;
	d->dma.bytes += size;
	return 0;
}

/*
 * Accounting assumes unmaps name whole mappings, as VFIO type1 requires:
 * one unmap takes one mapping and its bytes away.
 */
int vfio_dev_dma_unmap(struct vfio_dev *d, uint64_t iova, uint64_t size)
{
	int ret;

	if (!vfio_dev_ok(d))
		return -EINVAL;
	ret = vfio_dev_range_check(iova, size);
	if (ret)
		return ret;
	if (!d->ops->dma_unmap)
		return -EOPNOTSUPP;
	if (d->dma.mappings == 0)
		return -ENOENT;
	ret = d->ops->dma_unmap(d, iova, size);
	if (ret)
		return ret;
	d->dma.mappings--;
	d->dma.bytes = d->dma.bytes >= size ? d->dma.bytes - size : 0;
	return 0;
}

int vfio_dev_reset(struct vfio_dev *d, enum vfio_dev_reset_kind *how)
{
	enum vfio_dev_reset_kind unused;

	if (!vfio_dev_ok(d))
		return -EINVAL;
	if (!d->ops->reset)
		return -EOPNOTSUPP;
	return d->ops->reset(d, how ? how : &unused);
}

const char *vfio_dev_reset_kind_name(enum vfio_dev_reset_kind how)
{
	switch (how) {
	case VFIO_DEV_RESET_NONE:
		return "none";
	case VFIO_DEV_RESET_FLR:
		return "function reset";
	case VFIO_DEV_RESET_HOT:
		return "bus hot reset";
	}
	return "unknown";
}

void vfio_dev_close(struct vfio_dev *d)
{
	if (!d || !d->ops || !d->ops->close)
		return;
	d->ops->close(d);
}
