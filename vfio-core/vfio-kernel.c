/*
 * vfio-kernel: the kernel's VFIO type1v2 container, group and device as a
 * vfio_dev transport. One container per device, holding its DMA mappings.
 */
#include "vfio-kernel.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio-caps.h"
#include "vfio-kernel-sysfs.h"

/* A DMA mapping still live, to unmap at close. */
struct vfio_kernel_map {
	uint64_t iova, size;
};

struct vfio_kernel_region {
	uint64_t offset;          /* of the region in the device fd */
	uint64_t size;
	uint32_t flags;
	struct vfio_dev_region info;
};

struct vfio_kernel {
	struct vfio_dev dev;
	int container, group, device;
	unsigned group_id;
	char dev_root[PATH_MAX - 64];   /* "/dev" or a test fixture */
	uint32_t flags, num_regions, num_irqs;
	struct vfio_kernel_region regions[VFIO_PCI_NUM_REGIONS];
	struct vfio_kernel_map *maps;
	unsigned n_maps, cap_maps;
};

static struct vfio_kernel *vfio_kernel_of(struct vfio_dev *d)
{
	return d->priv;
}

static const char *vfio_kernel_root(const char *given, const char *dflt)
{
	return given && given[0] ? given : dflt;
}

/* ---- regions ---- */

/* GET_REGION_INFO with room for the capability chain; the caller frees *out. */
static int vfio_kernel_region_query(struct vfio_kernel *k, unsigned index,
				    struct vfio_region_info **out)
{
	struct vfio_region_info *info = NULL, *bigger;
	uint32_t argsz = sizeof(*info);

	for (int tries = 0; tries < 3; tries++) {
		bigger = realloc(info, argsz);
		if (!bigger) {
			free(info);
			return -ENOMEM;
		}
		info = bigger;
		memset(info, 0, argsz);
		info->argsz = argsz;
		info->index = index;
		if (ioctl(k->device, VFIO_DEVICE_GET_REGION_INFO, info)) {
			int err = -errno;

			free(info);
			return err;
		}
		if (info->argsz <= argsz) {
			*out = info;
			return 0;
		}
		argsz = info->argsz;
	}
	free(info);
	return -EIO;
}

static int vfio_kernel_region_load(struct vfio_kernel *k, unsigned index)
{
	struct vfio_kernel_region *kr = &k->regions[index];
	struct vfio_dev_region *r = &kr->info;
	struct vfio_region_info *info = NULL;
	int ret;

	memset(kr, 0, sizeof(*kr));
	r->index = index;
	ret = vfio_kernel_region_query(k, index, &info);
	if (ret == -EINVAL)
		return 0; /* the device has no such region */
	if (ret)
		return ret;
	kr->offset = info->offset;
	kr->size = r->size = info->size;
	kr->flags = info->flags;
	r->readable = info->flags & VFIO_REGION_INFO_FLAG_READ;
	r->writable = info->flags & VFIO_REGION_INFO_FLAG_WRITE;
	if ((info->flags & VFIO_REGION_INFO_FLAG_MMAP) && info->size) {
		r->mmappable = true;
		r->n_areas = 1;
		r->areas[0].size = info->size;
	}
	if (info->flags & VFIO_REGION_INFO_FLAG_CAPS)
		vfio_caps_region_apply(info, info->argsz, info->cap_offset, r);
	free(info);
	return 0;
}

static int vfio_kernel_region_info(struct vfio_dev *d, unsigned index, struct vfio_dev_region *out)
{
	struct vfio_kernel *k = vfio_kernel_of(d);

	*out = k->regions[index].info;
	out->index = index;
	return 0;
}

/* The region's [off, off + len) in the device fd, or -EINVAL past its end. */
static int vfio_kernel_region_span(struct vfio_kernel *k, unsigned index, uint64_t off,
				   uint64_t len, off_t *pos)
{
	const struct vfio_kernel_region *kr = &k->regions[index];

	if (!vfio_dev_range_within(off, len, kr->size))
		return -EINVAL;
	if (kr->offset + off > (uint64_t)INT64_MAX - len)
		return -EOVERFLOW;
	*pos = (off_t)(kr->offset + off);
	return 0;
}

static ssize_t vfio_kernel_region_read(struct vfio_dev *d, unsigned index, uint64_t off,
				       void *buf, size_t len)
{
	struct vfio_kernel *k = vfio_kernel_of(d);
	ssize_t n;
	off_t pos;
	int ret;

	if (!(k->regions[index].flags & VFIO_REGION_INFO_FLAG_READ))
		return -EACCES;
	ret = vfio_kernel_region_span(k, index, off, len, &pos);
	if (ret)
		return ret;
	n = pread(k->device, buf, len, pos);
	return n < 0 ? -errno : n;
}

static ssize_t vfio_kernel_region_write(struct vfio_dev *d, unsigned index, uint64_t off,
					const void *buf, size_t len)
{
	struct vfio_kernel *k = vfio_kernel_of(d);
	ssize_t n;
	off_t pos;
	int ret;

	if (!(k->regions[index].flags & VFIO_REGION_INFO_FLAG_WRITE))
		return -EACCES;
	ret = vfio_kernel_region_span(k, index, off, len, &pos);
	if (ret)
		return ret;
	n = pwrite(k->device, buf, len, pos);
	return n < 0 ? -errno : n;
}

static bool vfio_kernel_in_area(const struct vfio_dev_region *r, uint64_t off, uint64_t len)
{
	for (unsigned i = 0; i < r->n_areas; i++)
		if (off >= r->areas[i].offset &&
		    vfio_dev_range_within(off - r->areas[i].offset, len, r->areas[i].size))
			return true;
	return false;
}

static int vfio_kernel_region_mmap(struct vfio_dev *d, unsigned index, uint64_t off, size_t len,
				   void **out)
{
	struct vfio_kernel *k = vfio_kernel_of(d);
	const struct vfio_kernel_region *kr = &k->regions[index];
	long page = sysconf(_SC_PAGESIZE);
	int prot = 0, ret;
	off_t pos;
	void *p;

	if (!kr->info.mmappable || !vfio_kernel_in_area(&kr->info, off, len))
		return -EACCES;
	if (page <= 0 || off % (uint64_t)page || len % (size_t)page)
		return -EINVAL;
	ret = vfio_kernel_region_span(k, index, off, len, &pos);
	if (ret)
		return ret;
	if (kr->flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (kr->flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	p = mmap(NULL, len, prot, MAP_SHARED, k->device, pos);
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

/* ---- interrupts ---- */

static int vfio_kernel_irq_info(struct vfio_dev *d, unsigned index, struct vfio_dev_irq *out)
{
	struct vfio_kernel *k = vfio_kernel_of(d);
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = index };

	memset(out, 0, sizeof(*out));
	out->index = index;
	if (index >= k->num_irqs)
		return 0;
	if (ioctl(k->device, VFIO_DEVICE_GET_IRQ_INFO, &info))
		return errno == EINVAL ? 0 : -errno;
	out->count = info.count;
	out->eventfd = info.flags & VFIO_IRQ_INFO_EVENTFD;
	out->maskable = info.flags & VFIO_IRQ_INFO_MASKABLE;
	out->automasked = info.flags & VFIO_IRQ_INFO_AUTOMASKED;
	out->noresize = info.flags & VFIO_IRQ_INFO_NORESIZE;
	return 0;
}

/* VFIO_DEVICE_SET_IRQS with count eventfds (fds may be NULL when count is 0). */
static int vfio_kernel_set_irqs(struct vfio_kernel *k, uint32_t flags, unsigned index,
				unsigned start, unsigned count, const int *fds)
{
	size_t argsz = sizeof(struct vfio_irq_set) + (fds ? count * sizeof(int32_t) : 0);
	struct vfio_irq_set *set;
	int ret = 0;

	if (fds && count > 4096)
		return -EINVAL;
	set = calloc(1, argsz);
	if (!set)
		return -ENOMEM;
	set->argsz = (uint32_t)argsz;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (fds)
		memcpy(set->data, fds, count * sizeof(int32_t));
	if (ioctl(k->device, VFIO_DEVICE_SET_IRQS, set))
		ret = -errno;
	free(set);
	return ret;
}

static int vfio_kernel_irq_set_eventfds(struct vfio_dev *d, unsigned index, unsigned start,
					unsigned count, const int *fds)
{
	struct vfio_kernel *k = vfio_kernel_of(d);

	if (count == 0)
		return vfio_kernel_set_irqs(k, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
					    index, 0, 0, NULL);
	return vfio_kernel_set_irqs(k, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
				    index, start, count, fds);
}

static int vfio_kernel_irq_unmask(struct vfio_dev *d, unsigned index, int fd)
{
	struct vfio_kernel *k = vfio_kernel_of(d);

	if (fd < 0)
		return vfio_kernel_set_irqs(k, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
					    index, 0, 1, NULL);
	return vfio_kernel_set_irqs(k, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
				    index, 0, 1, &fd);
}

static int vfio_kernel_irq_mask(struct vfio_dev *d, unsigned index)
{
	return vfio_kernel_set_irqs(vfio_kernel_of(d),
				    VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, index, 0, 1,
				    NULL);
}

/* ---- DMA ---- */

static int vfio_kernel_map_note(struct vfio_kernel *k, uint64_t iova, uint64_t size)
{
	if (k->n_maps == k->cap_maps) {
		unsigned cap = k->cap_maps ? k->cap_maps * 2 : 16;
		struct vfio_kernel_map *m = reallocarray(k->maps, cap, sizeof(*m));

		if (!m)
			return -ENOMEM;
		k->maps = m;
		k->cap_maps = cap;
	}
	k->maps[k->n_maps++] = (struct vfio_kernel_map){ .iova = iova, .size = size };
	return 0;
}

static int vfio_kernel_map_find(const struct vfio_kernel *k, uint64_t iova, uint64_t size)
{
	for (unsigned i = 0; i < k->n_maps; i++)
		if (k->maps[i].iova == iova && k->maps[i].size == size)
			return (int)i;
	return -1;
}

static int vfio_kernel_unmap_raw(struct vfio_kernel *k, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = size,
	};

	if (ioctl(k->container, VFIO_IOMMU_UNMAP_DMA, &u))
		return -errno;
	return u.size ? 0 : -ENOENT;
}

static int vfio_kernel_dma_map(struct vfio_dev *d, uint64_t iova, void *hva, uint64_t size,
			       bool writable)
{
	struct vfio_kernel *k = vfio_kernel_of(d);
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | (writable ? VFIO_DMA_MAP_FLAG_WRITE : 0),
		.vaddr = (uintptr_t)hva, .iova = iova, .size = size,
	};
	int ret;

	ret = vfio_kernel_map_note(k, iova, size);
	if (ret)
		return ret;
	if (ioctl(k->container, VFIO_IOMMU_MAP_DMA, &m)) {
		ret = -errno; /* ENOMEM: pinning beyond RLIMIT_MEMLOCK; ENOSPC: dma_entry_limit */
		k->n_maps--;
		return ret;
	}
	return 0;
}

static int vfio_kernel_dma_unmap(struct vfio_dev *d, uint64_t iova, uint64_t size)
{
	struct vfio_kernel *k = vfio_kernel_of(d);
	int i = vfio_kernel_map_find(k, iova, size), ret;

	if (i < 0)
		return -ENOENT;
	ret = vfio_kernel_unmap_raw(k, iova, size);
	if (ret)
		return ret;
	k->maps[i] = k->maps[--k->n_maps];
	return 0;
}

/* The dma_avail capability of VFIO_IOMMU_GET_INFO: mappings the container may still make. */
static unsigned vfio_kernel_dma_avail(struct vfio_kernel *k)
{
	struct vfio_iommu_type1_info probe = { .argsz = sizeof(probe) }, *info;
	unsigned avail = 0;

	if (ioctl(k->container, VFIO_IOMMU_GET_INFO, &probe) || probe.argsz <= sizeof(probe) ||
	    probe.argsz > 65536)
		return 0;
	info = calloc(1, probe.argsz);
	if (!info)
		return 0;
	info->argsz = probe.argsz;
	if (!ioctl(k->container, VFIO_IOMMU_GET_INFO, info) &&
	    (info->flags & VFIO_IOMMU_INFO_CAPS) && info->argsz <= probe.argsz)
		avail = vfio_caps_dma_avail(info, info->argsz, info->cap_offset);
	free(info);
	return avail;
}

/* ---- reset ---- */

static int vfio_kernel_hot_reset_info(struct vfio_kernel *k, struct vfio_pci_hot_reset_info **out)
{
	struct vfio_pci_hot_reset_info probe = { .argsz = sizeof(probe) }, *info;
	size_t argsz;

	if (ioctl(k->device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &probe) == 0)
		return -ENODEV; /* no device to list: nothing a hot reset could reset */
	if (errno != ENOSPC)
		return -errno;
	if (probe.count == 0 || probe.count > 256)
		return -EIO;
	argsz = sizeof(*info) + probe.count * sizeof(info->devices[0]);
	info = calloc(1, argsz);
	if (!info)
		return -ENOMEM;
	info->argsz = (uint32_t)argsz;
	if (ioctl(k->device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info)) {
		int err = -errno;

		free(info);
		return err;
	}
	*out = info;
	return 0;
}

/*
 * The group fds a hot reset needs, one per affected group: ours, and each
 * other group opened for the call (opened[i] >= 0; the kernel wants proof
 * that we own every group the reset touches).
 */
static int vfio_kernel_hot_reset_groups(struct vfio_kernel *k,
					const struct vfio_pci_hot_reset_info *info,
					struct vfio_pci_hot_reset *hr, int *opened,
					uint32_t *ids)
{
	char path[PATH_MAX];
	int fd;

	for (uint32_t i = 0; i < info->count; i++) {
		uint32_t g = info->devices[i].group_id, j;

		for (j = 0; j < hr->count && ids[j] != g; j++)
			;
		if (j < hr->count)
			continue;
		fd = k->group;
		if (g != k->group_id) {
			snprintf(path, sizeof(path), "%s/vfio/%u", k->dev_root, g);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				return -errno;
		}
		ids[hr->count] = g;
		opened[hr->count] = g != k->group_id ? fd : -1;
		hr->group_fds[hr->count++] = fd;
	}
	return 0;
}

static int vfio_kernel_hot_reset(struct vfio_kernel *k)
{
	struct vfio_pci_hot_reset_info *info = NULL;
	struct vfio_pci_hot_reset *hr;
	uint32_t *ids;
	int *opened, ret;

	ret = vfio_kernel_hot_reset_info(k, &info);
	if (ret)
		return ret;
	hr = calloc(1, sizeof(*hr) + info->count * sizeof(int32_t));
	opened = calloc(info->count, sizeof(int));
	ids = calloc(info->count, sizeof(uint32_t));
	if (!hr || !opened || !ids) {
		ret = -ENOMEM;
		goto out;
	}
	ret = vfio_kernel_hot_reset_groups(k, info, hr, opened, ids);
	hr->argsz = (uint32_t)(sizeof(*hr) + hr->count * sizeof(int32_t));
	if (!ret && ioctl(k->device, VFIO_DEVICE_PCI_HOT_RESET, hr))
		ret = -errno;
	for (uint32_t i = 0; hr && i < hr->count; i++)
		if (opened[i] >= 0)
			close(opened[i]);
out:
	free(ids);
	free(opened);
	free(hr);
	free(info);
	return ret;
}

static int vfio_kernel_reset(struct vfio_dev *d, enum vfio_dev_reset_kind *how)
{
	struct vfio_kernel *k = vfio_kernel_of(d);
	int ret;

	*how = VFIO_DEV_RESET_NONE;
	if (k->flags & VFIO_DEVICE_FLAGS_RESET) {
		if (ioctl(k->device, VFIO_DEVICE_RESET))
			return -errno;
		*how = VFIO_DEV_RESET_FLR;
		return 0;
	}
	ret = vfio_kernel_hot_reset(k);
	if (ret == -ENODEV || ret == -ENOTTY)
		return 0; /* no reset offered: NONE */
	if (ret)
		return ret;
	*how = VFIO_DEV_RESET_HOT;
	return 0;
}

/* ---- open and close ---- */

static void vfio_kernel_free(struct vfio_kernel *k)
{
	for (unsigned i = 0; i < k->n_maps && k->container >= 0; i++)
		(void)vfio_kernel_unmap_raw(k, k->maps[i].iova, k->maps[i].size);
	if (k->device >= 0)
		close(k->device);
	if (k->group >= 0)
		close(k->group);
	if (k->container >= 0)
		close(k->container);
	free(k->maps);
	free(k);
}

static void vfio_kernel_close(struct vfio_dev *d)
{
	vfio_kernel_free(vfio_kernel_of(d));
}

static const struct vfio_dev_ops vfio_kernel_ops = {
	.region_info = vfio_kernel_region_info,
	.region_read = vfio_kernel_region_read,
	.region_write = vfio_kernel_region_write,
	.region_mmap = vfio_kernel_region_mmap,
	.irq_info = vfio_kernel_irq_info,
	.irq_set_eventfds = vfio_kernel_irq_set_eventfds,
	.irq_unmask = vfio_kernel_irq_unmask,
	.irq_mask = vfio_kernel_irq_mask,
	.dma_map = vfio_kernel_dma_map,
	.dma_unmap = vfio_kernel_dma_unmap,
	.reset = vfio_kernel_reset,
	.close = vfio_kernel_close,
};

static int vfio_kernel_container_open(struct vfio_kernel *k, char *why, size_t why_len)
{
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/vfio/vfio", k->dev_root);
	k->container = open(path, O_RDWR | O_CLOEXEC);
	if (k->container < 0) {
		err = errno;
		vfio_kernel_why(why, why_len, "cannot open %s: %s%s", path, strerror(err),
				err == ENOENT ? " (is the vfio module loaded?)" : "");
		return err == ENOENT ? -ENODEV : -err;
	}
	if (ioctl(k->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		vfio_kernel_why(why, why_len, "%s speaks another VFIO API version than %d", path,
				VFIO_API_VERSION);
		return -EINVAL;
	}
	if (ioctl(k->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0) {
		vfio_kernel_why(why, why_len, "the kernel's VFIO has no type1v2 IOMMU "
				"(is vfio_iommu_type1 loaded?)");
		return -ENODEV;
	}
	return 0;
}

static int vfio_kernel_group_busy(struct vfio_kernel *k, const char *node, const char *proc_root,
				  char *why, size_t why_len)
{
	char comm[64];
	pid_t pid = vfio_kernel_group_holder(proc_root, node, comm, sizeof(comm));

	if (pid)
		vfio_kernel_why(why, why_len, "IOMMU group %u is in use by PID %d (%s): %s is open there",
				k->group_id, (int)pid, comm[0] ? comm : "?", node);
	else
		vfio_kernel_why(why, why_len, "IOMMU group %u is in use by another process "
				"(%s is open elsewhere)", k->group_id, node);
	return -EBUSY;
}

static int vfio_kernel_group_open(struct vfio_kernel *k, const char *bdf, const char *sysfs_root,
				  const char *proc_root, char *why, size_t why_len)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char node[PATH_MAX], blockers[512];
	int err;

	snprintf(node, sizeof(node), "%s/vfio/%u", k->dev_root, k->group_id);
	k->group = open(node, O_RDWR | O_CLOEXEC);
	if (k->group < 0) {
		err = errno;
		if (err == EBUSY)
			return vfio_kernel_group_busy(k, node, proc_root, why, why_len);
		vfio_kernel_why(why, why_len, "cannot open %s: %s", node, strerror(err));
		return err == ENOENT ? -ENODEV : -err;
	}
	if (ioctl(k->group, VFIO_GROUP_GET_STATUS, &st)) {
		err = errno;
		vfio_kernel_why(why, why_len, "cannot read the status of %s: %s", node, strerror(err));
		return -err;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		vfio_kernel_group_blockers(sysfs_root, k->group_id, bdf, blockers, sizeof(blockers));
		vfio_kernel_why(why, why_len, "IOMMU group %u of %s is not viable: %s", k->group_id,
				bdf, blockers[0] ? blockers :
				"a member is bound to a host driver");
		return -EPERM;
	}
	return 0;
}

static int vfio_kernel_iommu_set(struct vfio_kernel *k, char *why, size_t why_len)
{
	int err;

	if (ioctl(k->group, VFIO_GROUP_SET_CONTAINER, &k->container)) {
		err = errno;
		vfio_kernel_why(why, why_len, "cannot attach IOMMU group %u to a container: %s",
				k->group_id, strerror(err));
		return -err;
	}
	if (ioctl(k->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		err = errno;
		vfio_kernel_why(why, why_len, "cannot set the type1v2 IOMMU: %s", strerror(err));
		return -err;
	}
	k->dev.dma.limit = vfio_kernel_dma_avail(k);
	return 0;
}

/* A VF token is a UUID: 8-4-4-4-12 hex digits. */
static bool vfio_kernel_token_valid(const char *t)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(t) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == '-' ? t[i] != '-' : !isxdigit((unsigned char)t[i]))
			return false;
	return true;
}

static int vfio_kernel_device_get(struct vfio_kernel *k, const char *bdf, const char *token,
				  char *why, size_t why_len)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	char name[96];
	int err;

	if (token)
		snprintf(name, sizeof(name), "%s vf_token=%s", bdf, token);
	else
		snprintf(name, sizeof(name), "%s", bdf);
	k->device = ioctl(k->group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (k->device < 0) {
		err = errno;
		if (token && (err == EACCES || err == EINVAL)) {
			vfio_kernel_why(why, why_len, "the kernel refused the VF token for %s", bdf);
			return -EINVAL;
		}
		vfio_kernel_why(why, why_len, "cannot get the VFIO device %s: %s%s", bdf,
				strerror(err), err == EACCES ? " (a VF of a vfio-pci PF needs its "
				"VF token)" : "");
		return -err;
	}
	if (ioctl(k->device, VFIO_DEVICE_GET_INFO, &info)) {
		err = errno;
		vfio_kernel_why(why, why_len, "cannot read the VFIO device info of %s: %s", bdf,
				strerror(err));
		return -err;
	}
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI)) {
		vfio_kernel_why(why, why_len, "%s is not a VFIO PCI device", bdf);
		return -ENODEV;
	}
	k->flags = info.flags;
	k->num_regions = info.num_regions;
	k->num_irqs = info.num_irqs;
	return 0;
}

static int vfio_kernel_regions_load(struct vfio_kernel *k, char *why, size_t why_len)
{
	for (unsigned i = 0; i < MIN(k->num_regions, (uint32_t)VFIO_PCI_NUM_REGIONS); i++) {
		int ret = vfio_kernel_region_load(k, i);

		if (ret) {
			vfio_kernel_why(why, why_len, "cannot read VFIO region %u of %s: %s", i,
					k->dev.name, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int vfio_kernel_open_steps(struct vfio_kernel *k, const char *bdf,
				  const struct vfio_kernel_opts *opts, char *why, size_t why_len)
{
	const char *sysfs_root = vfio_kernel_root(opts ? opts->sysfs_root : NULL, "/sys");
	const char *proc_root = vfio_kernel_root(opts ? opts->proc_root : NULL, "/proc");
	const char *token = opts ? opts->vf_token : NULL;
	int ret;

	if (token && !vfio_kernel_token_valid(token)) {
		vfio_kernel_why(why, why_len, "a VF token is a UUID (8-4-4-4-12 hex digits)");
		return -EINVAL;
	}
	ret = vfio_kernel_group_find(sysfs_root, k->dev_root, bdf, &k->group_id, why, why_len);
	if (!ret)
		ret = vfio_kernel_container_open(k, why, why_len);
	if (!ret)
		ret = vfio_kernel_group_open(k, bdf, sysfs_root, proc_root, why, why_len);
	if (!ret)
		ret = vfio_kernel_iommu_set(k, why, why_len);
	if (!ret)
		ret = vfio_kernel_device_get(k, bdf, token, why, why_len);
	if (!ret)
		ret = vfio_kernel_regions_load(k, why, why_len);
	return ret;
}

int vfio_kernel_open(const char *bdf, const struct vfio_kernel_opts *opts,
		     struct vfio_dev **out, char *why, size_t why_len)
{
	const char *dev_root = vfio_kernel_root(opts ? opts->dev_root : NULL, "/dev");
	struct vfio_kernel *k;
	int ret;

	vfio_kernel_why(why, why_len, "%s", "");
	if (!out)
		return -EINVAL;
	*out = NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->container = k->group = k->device = -1;
	k->dev.ops = &vfio_kernel_ops;
	k->dev.priv = k;
	if (vfio_kernel_bdf_normalize(bdf, k->dev.name, sizeof(k->dev.name)) ||
	    strlen(dev_root) >= sizeof(k->dev_root) - 32) {
		vfio_kernel_why(why, why_len, "not a PCI address: use 0000:00:03.0 or 00:03.0");
		free(k);
		return -EINVAL;
	}
	strcpy(k->dev_root, dev_root);
	ret = vfio_kernel_open_steps(k, k->dev.name, opts, why, why_len);
	if (ret) {
		vfio_kernel_free(k);
		return ret;
	}
	*out = &k->dev;
	return 0;
}
