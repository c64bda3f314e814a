#include "fake-vfio-dev.h"

#include <errno.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bytes.h"

static struct fake_vfio *to_fake(struct vfio_dev *d)
{
	return d->priv;
}

static void fake_record(struct fake_vfio *f, const struct fake_vfio_call *c)
{
	if (f->n_calls < FAKE_VFIO_MAX_CALLS)
		f->calls[f->n_calls++] = *c;
}

static int fake_region_info(struct vfio_dev *d, unsigned index, struct vfio_dev_region *out)
{
	if (index >= FAKE_VFIO_REGIONS)
		return -EINVAL;
	*out = to_fake(d)->regions[index];
	return 0;
}

/* The bytes behind [off, off + len) of a region, or NULL when out of range. */
static uint8_t *fake_region_ptr(struct fake_vfio *f, unsigned index, uint64_t off, size_t len)
{
	uint8_t *base = index == VFIO_PCI_CONFIG_REGION_INDEX ? f->cfg :
			index < FAKE_VFIO_REGIONS ? f->region_mem[index] : NULL;

	/* the wrappers refuse len 0, so an in-range access starts before the end */
	if (!base || !vfio_dev_range_within(off, len, f->regions[index].size))
		return NULL;
	return base + off;
}

static ssize_t fake_region_read(struct vfio_dev *d, unsigned index, uint64_t off, void *buf,
				size_t len)
{
	uint8_t *p = fake_region_ptr(to_fake(d), index, off, len);

	if (!p)
		return -EINVAL;
	memcpy(buf, p, len);
	return (ssize_t)len;
}

static ssize_t fake_region_write(struct vfio_dev *d, unsigned index, uint64_t off,
				 const void *buf, size_t len)
{
	struct fake_vfio *f = to_fake(d);
	uint8_t *p = fake_region_ptr(f, index, off, len);
	struct fake_vfio_call c = { .kind = FAKE_CFG_WRITE, .iova = off, .size = len };

	if (!p)
		return -EINVAL;
	memcpy(p, buf, len);
	if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
		c.value = (uint32_t)le_get(buf, len < 4 ? len : 4);
		fake_record(f, &c);
	}
	return (ssize_t)len;
}

static int fake_region_mmap(struct vfio_dev *d, unsigned index, uint64_t off, size_t len,
			    void **out)
{
	struct fake_vfio *f = to_fake(d);
	void *p;

	if (index >= FAKE_VFIO_REGIONS || f->region_fd[index] < 0 || !f->regions[index].mmappable ||
	    off >= f->regions[index].size || len > f->regions[index].size - off)
		return -EINVAL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, f->region_fd[index], (off_t)off);
	if (p == MAP_FAILED)
		return -errno;
	f->live_mmaps++;
	*out = p;
	return 0;
}

static int fake_irq_info(struct vfio_dev *d, unsigned index, struct vfio_dev_irq *out)
{
	if (index >= FAKE_VFIO_IRQS)
		return -EINVAL;
	*out = to_fake(d)->irqs[index];
	return 0;
}

static int fake_irq_set(struct vfio_dev *d, unsigned index, unsigned start, unsigned count,
			const int *fds)
{
	struct fake_vfio *f = to_fake(d);
	struct fake_vfio_call c = { .kind = FAKE_IRQ_SET, .index = index, .start = start,
				    .count = count };

	for (unsigned i = 0; i < count && i < FAKE_VFIO_MAX_FDS; i++)
		c.fds[i] = fds[i];
	fake_record(f, &c);
	if (index >= FAKE_VFIO_IRQS || start + count > f->irqs[index].count)
		return -EINVAL;
	if (f->fail_irq_set && count) {
		f->fail_irq_set--;
		return -ENOSPC;
	}
	return 0;
}

static int fake_irq_unmask(struct vfio_dev *d, unsigned index, int fd)
{
	struct fake_vfio_call c = { .kind = FAKE_IRQ_UNMASK, .index = index, .fds = { fd } };

	fake_record(to_fake(d), &c);
	return 0;
}

static int fake_irq_mask(struct vfio_dev *d, unsigned index)
{
	return 0;
}

static int fake_dma_map(struct vfio_dev *d, uint64_t iova, void *hva, uint64_t size,
			bool writable)
{
	struct fake_vfio *f = to_fake(d);
	struct fake_vfio_call c = { .kind = FAKE_DMA_MAP, .iova = iova, .size = size };

	if (size > f->pin_budget)
		return -ENOMEM;
	f->pin_budget -= size;
	fake_record(f, &c);
	return 0;
}

static int fake_dma_unmap(struct vfio_dev *d, uint64_t iova, uint64_t size)
{
	struct fake_vfio *f = to_fake(d);
	struct fake_vfio_call c = { .kind = FAKE_DMA_UNMAP, .iova = iova, .size = size };

	if (f->pin_budget != UINT64_MAX)
		f->pin_budget += size;
	fake_record(f, &c);
	return 0;
}

/* A function-level reset: COMMAND back to 0, as on the device. */
static int fake_reset(struct vfio_dev *d, enum vfio_dev_reset_kind *how)
{
	struct fake_vfio *f = to_fake(d);
	struct fake_vfio_call c = { .kind = FAKE_RESET };

	le_put(f->cfg + 4, 2, 0);
	fake_record(f, &c);
	*how = VFIO_DEV_RESET_FLR;
	return 0;
}

static void fake_close(struct vfio_dev *d)
{
	to_fake(d)->closed = true;
}

static const struct vfio_dev_ops fake_ops = {
	.region_info = fake_region_info,
	.region_read = fake_region_read,
	.region_write = fake_region_write,
	.region_mmap = fake_region_mmap,
	.irq_info = fake_irq_info,
	.irq_set_eventfds = fake_irq_set,
	.irq_unmask = fake_irq_unmask,
	.irq_mask = fake_irq_mask,
	.dma_map = fake_dma_map,
	.dma_unmap = fake_dma_unmap,
	.reset = fake_reset,
	.close = fake_close,
};

/* Give region index size bytes of memfd-backed memory. */
static int fake_region_alloc(struct fake_vfio *f, unsigned index, uint64_t size, bool mmappable)
{
	struct vfio_dev_region *r = &f->regions[index];
	void *p;

	if (f->region_fd[index] >= 0) {
		munmap(f->region_mem[index], r->size);
		close(f->region_fd[index]);
	}
	f->region_fd[index] = memfd_create("fake-vfio-region", MFD_CLOEXEC);
	if (f->region_fd[index] < 0 || ftruncate(f->region_fd[index], (off_t)size))
		return -1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f->region_fd[index], 0);
	if (p == MAP_FAILED)
		return -1;
	f->region_mem[index] = p;
	*r = (struct vfio_dev_region){ .index = index, .size = size, .readable = true,
				       .writable = true, .mmappable = mmappable,
				       .n_areas = mmappable ? 1 : 0,
				       .areas = { { 0, size } } };
	return 0;
}

void fake_vfio_set_bar(struct fake_vfio *f, unsigned n, uint32_t reg, uint64_t size,
		       bool mmappable)
{
	le_put(f->cfg + 0x10 + 4 * n, 4, reg);
	if (fake_region_alloc(f, n, size, mmappable))
		abort();
}

/* Append a capability: id, next, then body. */
static void fake_cap(struct fake_vfio *f, unsigned off, uint8_t id, uint8_t next,
		     const uint8_t *body, unsigned body_len)
{
	f->cfg[off] = id;
	f->cfg[off + 1] = next;
	memcpy(f->cfg + off + 2, body, body_len);
}

static void fake_caps(struct fake_vfio *f)
{
	static const uint8_t pm[6] = { 0x22, 0x00, 0x00, 0x00 };
	static const uint8_t msi[2] = { 0x80, 0x00 };
	static const uint8_t exp[30] = { [0] = 0x02, [6] = 0x10, [7] = 0x28, [14] = 0x40,
					 [16] = 0x11, [17] = 0x10 };
	static const uint8_t msix[10] = { 4, 0, 3, 0, 0, 0, 0x03, 0x20, 0, 0 };
	static const uint8_t vndr[6] = { 8, 'v', 'n', 'd', 'r', 0 };
	static const uint8_t vpd[6] = { 0 };

	f->cfg[0x34] = 0xc8;
	fake_cap(f, 0xc8, 0x01, 0xd0, pm, sizeof(pm));
	fake_cap(f, 0xd0, 0x05, 0xe0, msi, sizeof(msi));
	fake_cap(f, 0xe0, 0x10, 0xa0, exp, sizeof(exp));
	fake_cap(f, 0xa0, 0x11, 0x40, msix, sizeof(msix));
	fake_cap(f, 0x40, 0x09, 0x60, vndr, sizeof(vndr));
	fake_cap(f, 0x60, 0x03, 0x00, vpd, sizeof(vpd));
	le_put(f->cfg + 0x100, 4, 0x14010001); /* AER, next at 0x140: hidden from the guest */
}

static void fake_header(struct fake_vfio *f)
{
	le_put(f->cfg + 0x00, 2, 0x8086);
	le_put(f->cfg + 0x02, 2, 0x10d3);
	le_put(f->cfg + 0x06, 2, 0x0010);
	f->cfg[0x08] = 0x03;
	le_put(f->cfg + 0x09, 3, 0x020000);
	f->cfg[0x0e] = 0x80; /* multi-function on the host; one function in the guest */
	le_put(f->cfg + 0x2c, 2, 0x8086);
	le_put(f->cfg + 0x2e, 2, 0xa01f);
	f->cfg[0x3d] = 1;
}

struct fake_vfio *fake_vfio_new(void)
{
	struct fake_vfio *f = calloc(1, sizeof(*f));
	struct vfio_dev_region *bar3;

	if (!f)
		return NULL;
	f->dev = (struct vfio_dev){ .ops = &fake_ops, .priv = f };
	snprintf(f->dev.name, sizeof(f->dev.name), "0000:00:03.0");
	f->pin_budget = UINT64_MAX;
	for (unsigned i = 0; i < FAKE_VFIO_REGIONS; i++)
		f->region_fd[i] = -1;
	fake_header(f);
	fake_caps(f);
	fake_vfio_set_bar(f, 0, 0x0, 128 * 1024, true);
	fake_vfio_set_bar(f, 2, 0x1, 32, false);
	fake_vfio_set_bar(f, 3, 0x0, 16 * 1024, true);
	bar3 = &f->regions[3];
	bar3->msix_mappable = true; /* one area over it all: the device cuts the MSI-X pages out */
	if (fake_region_alloc(f, VFIO_PCI_ROM_REGION_INDEX, 64 * 1024, false))
		abort();
	f->regions[VFIO_PCI_ROM_REGION_INDEX].writable = false;
	f->region_mem[VFIO_PCI_ROM_REGION_INDEX][0] = 0x55;
	f->region_mem[VFIO_PCI_ROM_REGION_INDEX][1] = 0xaa;
	f->regions[VFIO_PCI_CONFIG_REGION_INDEX] = (struct vfio_dev_region){
		.index = VFIO_PCI_CONFIG_REGION_INDEX, .size = 4096, .readable = true,
		.writable = true };
	f->irqs[VFIO_PCI_INTX_IRQ_INDEX] = (struct vfio_dev_irq){ .index = 0, .count = 1,
		.eventfd = true, .maskable = true, .automasked = true };
	f->irqs[VFIO_PCI_MSI_IRQ_INDEX] = (struct vfio_dev_irq){ .index = 1, .count = 1,
		.eventfd = true, .noresize = true };
	f->irqs[VFIO_PCI_MSIX_IRQ_INDEX] = (struct vfio_dev_irq){ .index = 2, .count = 5,
		.eventfd = true, .noresize = true };
	return f;
}

void fake_vfio_free(struct fake_vfio *f)
{
	for (unsigned i = 0; i < FAKE_VFIO_REGIONS; i++) {
		if (f->region_fd[i] < 0)
			continue;
		munmap(f->region_mem[i], f->regions[i].size);
		close(f->region_fd[i]);
	}
	free(f);
}

const struct fake_vfio_call *fake_vfio_find(const struct fake_vfio *f,
					    enum fake_vfio_call_kind kind, unsigned i)
{
	for (unsigned k = 0; k < f->n_calls; k++)
		if (f->calls[k].kind == kind && i-- == 0)
			return &f->calls[k];
	return NULL;
}

unsigned fake_vfio_count(const struct fake_vfio *f, enum fake_vfio_call_kind kind)
{
	unsigned n = 0;

	for (unsigned k = 0; k < f->n_calls; k++)
		n += f->calls[k].kind == kind;
	return n;
}

const struct fake_vfio_call *fake_vfio_last(const struct fake_vfio *f,
					    enum fake_vfio_call_kind kind)
{
	unsigned n = fake_vfio_count(f, kind);

	return n ? fake_vfio_find(f, kind, n - 1) : NULL;
}
