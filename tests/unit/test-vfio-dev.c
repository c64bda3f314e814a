/*
 * vfio-dev wrappers (argument checks, DMA accounting) against a minimal
 * transport defined here, and the sysfs/proc side of the kernel transport
 * (group lookup, no-IOMMU refusal, viability blockers, group holder) against
 * fixture trees.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/vfio.h>

#include "vfio-caps.h"
#include "vfio-dev.h"
#include "vfio-kernel.h"
#include "vfio-kernel-sysfs.h"

/* ---- a minimal transport that counts what reaches it ---- */

struct tiny {
	unsigned calls;           /* ops reached */
	int map_ret;              /* what dma_map returns */
	uint64_t last_off;
	size_t last_len;
	bool closed;
};

static struct tiny *tiny_of(struct vfio_dev *d)
{
	return d->priv;
}

static int tiny_region_info(struct vfio_dev *d, unsigned index, struct vfio_dev_region *out)
{
	tiny_of(d)->calls++;
	memset(out, 0, sizeof(*out));
	out->index = index;
	out->size = 4096;
	return 0;
}

static ssize_t tiny_region_read(struct vfio_dev *d, unsigned index, uint64_t off, void *buf,
				size_t len)
{
	tiny_of(d)->calls++;
	tiny_of(d)->last_off = off;
	tiny_of(d)->last_len = len;
	memset(buf, 0xab, len);
	return (ssize_t)len;
}

static ssize_t tiny_region_write(struct vfio_dev *d, unsigned index, uint64_t off,
				 const void *buf, size_t len)
{
	tiny_of(d)->calls++;
	return (ssize_t)len;
}

static int tiny_irq_set(struct vfio_dev *d, unsigned index, unsigned start, unsigned count,
			const int *fds)
{
	tiny_of(d)->calls++;
	return 0;
}

static int tiny_dma_map(struct vfio_dev *d, uint64_t iova, void *hva, uint64_t size,
			bool writable)
{
	tiny_of(d)->calls++;
	return tiny_of(d)->map_ret;
}

static int tiny_dma_unmap(struct vfio_dev *d, uint64_t iova, uint64_t size)
{
	tiny_of(d)->calls++;
	return 0;
}

static int tiny_reset(struct vfio_dev *d, enum vfio_dev_reset_kind *how)
{
	tiny_of(d)->calls++;
	*how = VFIO_DEV_RESET_HOT;
	return 0;
}

static void tiny_close(struct vfio_dev *d)
{
	tiny_of(d)->closed = true;
}

static const struct vfio_dev_ops tiny_ops = {
	.region_info = tiny_region_info,
	.region_read = tiny_region_read,
	.region_write = tiny_region_write,
	.irq_set_eventfds = tiny_irq_set,
	.dma_map = tiny_dma_map,
	.dma_unmap = tiny_dma_unmap,
	.reset = tiny_reset,
	.close = tiny_close,
};

static struct tiny tiny;
static struct vfio_dev dev;
static char page[8192];

static int tiny_setup(void **state)
{
	memset(&tiny, 0, sizeof(tiny));
	memset(&dev, 0, sizeof(dev));
	dev.ops = &tiny_ops;
	dev.priv = &tiny;
	strcpy(dev.name, "0000:00:03.0");
	return 0;
}

static void test_region_checks(void **state)
{
	struct vfio_dev_region r;
	uint8_t buf[8];
	void *p;

	assert_int_equal(vfio_dev_region_info(NULL, 0, &r), -EINVAL);
	assert_int_equal(vfio_dev_region_info(&dev, VFIO_PCI_NUM_REGIONS, &r), -EINVAL);
	assert_int_equal(vfio_dev_region_info(&dev, UINT32_MAX, &r), -EINVAL);
	assert_int_equal(vfio_dev_region_info(&dev, 0, NULL), -EINVAL);
	assert_int_equal(vfio_dev_region_read(&dev, 0, 0, NULL, 4), -EINVAL);
	assert_int_equal(vfio_dev_region_read(&dev, 0, 0, buf, 0), -EINVAL);
	assert_int_equal(vfio_dev_region_read(&dev, 0, UINT64_MAX - 2, buf, 4), -EOVERFLOW);
	assert_int_equal(vfio_dev_region_write(&dev, 0, UINT64_MAX, buf, 1), -EOVERFLOW);
	assert_int_equal(vfio_dev_region_write(&dev, 10, 0, buf, 1), -EINVAL);
	assert_int_equal(vfio_dev_region_mmap(&dev, 0, 0, 4096, NULL), -EINVAL);
	assert_int_equal(tiny.calls, 0);

	/* The edge that does fit reaches the transport. */
	assert_int_equal(vfio_dev_region_read(&dev, VFIO_PCI_CONFIG_REGION_INDEX,
					      UINT64_MAX - 4, buf, 4), 4);
	assert_int_equal(tiny.last_off, UINT64_MAX - 4);
	assert_int_equal(vfio_dev_region_info(&dev, 2, &r), 0);
	assert_int_equal(r.index, 2);
	assert_int_equal(tiny.calls, 2);
	/* An op the transport lacks. */
	assert_int_equal(vfio_dev_region_mmap(&dev, 0, 0, 4096, &p), -EOPNOTSUPP);
	assert_int_equal(vfio_dev_irq_mask(&dev, VFIO_PCI_INTX_IRQ_INDEX), -EOPNOTSUPP);
}

/* The range check the transports and the passthrough device share, at its edges. */
static void test_range_within(void **state)
{
	assert_true(vfio_dev_range_within(0, 4096, 4096));
	assert_true(vfio_dev_range_within(4092, 4, 4096));
	assert_true(vfio_dev_range_within(4096, 0, 4096));
	assert_false(vfio_dev_range_within(4093, 4, 4096));
	assert_false(vfio_dev_range_within(4097, 0, 4096));
	assert_false(vfio_dev_range_within(0, 4097, 4096));
	/* off + size wraps to a small number: still outside */
	assert_false(vfio_dev_range_within(8, UINT64_MAX - 4, 4096));
	assert_false(vfio_dev_range_within(UINT64_MAX, 2, 4096));
	assert_true(vfio_dev_range_within(UINT64_MAX - 1, 1, UINT64_MAX));
	assert_false(vfio_dev_range_within(UINT64_MAX - 1, 2, UINT64_MAX));
}

static void test_irq_checks(void **state)
{
	int fds[2] = { 3, 4 };

	assert_int_equal(vfio_dev_irq_set_eventfds(&dev, VFIO_PCI_NUM_IRQS, 0, 1, fds), -EINVAL);
	assert_int_equal(vfio_dev_irq_set_eventfds(&dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, NULL),
			 -EINVAL);
	assert_int_equal(vfio_dev_irq_set_eventfds(&dev, VFIO_PCI_MSIX_IRQ_INDEX, UINT32_MAX, 2,
						   fds), -EINVAL);
	assert_int_equal(tiny.calls, 0);
	assert_int_equal(vfio_dev_irq_set_eventfds(&dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL), 0);
	assert_int_equal(vfio_dev_irq_set_eventfds(&dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, fds), 0);
	assert_int_equal(tiny.calls, 2);
	assert_int_equal(vfio_dev_irq_info(&dev, 0, NULL), -EINVAL);
}

static void test_dma_accounting(void **state)
{
	dev.dma.limit = 2;
	assert_int_equal(vfio_dev_dma_map(&dev, 0x1000, NULL, 4096, true), -EINVAL);
	assert_int_equal(vfio_dev_dma_map(&dev, 0x1000, page, 0, true), -EINVAL);
	assert_int_equal(vfio_dev_dma_map(&dev, UINT64_MAX - 4095, page, 8192, true), -EOVERFLOW);
	assert_int_equal(tiny.calls, 0);

	assert_int_equal(vfio_dev_dma_map(&dev, 0x1000, page, 4096, true), 0);
	assert_int_equal(vfio_dev_dma_map(&dev, 0x2000, page + 4096, 4096, false), 0);
	assert_int_equal(dev.dma.mappings, 2);
	assert_int_equal(dev.dma.bytes, 8192);
	/* At the limit: refused before the transport is asked. */
	assert_int_equal(vfio_dev_dma_map(&dev, 0x3000, page, 4096, true), -ENOSPC);
	assert_int_equal(tiny.calls, 2);
	assert_int_equal(dev.dma.mappings, 2);

	assert_int_equal(vfio_dev_dma_unmap(&dev, 0x1000, 4096), 0);
	assert_int_equal(dev.dma.mappings, 1);
	assert_int_equal(dev.dma.bytes, 4096);
	assert_int_equal(vfio_dev_dma_map(&dev, 0x3000, page, 4096, true), 0);
	assert_int_equal(dev.dma.mappings, 2);

	assert_int_equal(vfio_dev_dma_unmap(&dev, 0x2000, 4096), 0);
	assert_int_equal(vfio_dev_dma_unmap(&dev, 0x3000, 4096), 0);
	assert_int_equal(dev.dma.mappings, 0);
	assert_int_equal(dev.dma.bytes, 0);
	assert_int_equal(vfio_dev_dma_unmap(&dev, 0x3000, 4096), -ENOENT);
}

static void test_dma_transport_errors_not_counted(void **state)
{
	tiny.map_ret = -ENOMEM; /* the host refused to pin (RLIMIT_MEMLOCK) */
	assert_int_equal(vfio_dev_dma_map(&dev, 0x1000, page, 4096, true), -ENOMEM);
	assert_int_equal(dev.dma.mappings, 0);
	assert_int_equal(dev.dma.bytes, 0);
	tiny.map_ret = -ENOSPC; /* the kernel's own limit, when it was not known */
	assert_int_equal(vfio_dev_dma_map(&dev, 0x1000, page, 4096, true), -ENOSPC);
	assert_int_equal(dev.dma.mappings, 0);
	/* Without a known limit, nothing is refused up front. */
	tiny.map_ret = 0;
	for (int i = 0; i < 100; i++)
		assert_int_equal(vfio_dev_dma_map(&dev, 0x1000 * (uint64_t)(i + 1), page, 4096,
						  true), 0);
	assert_int_equal(dev.dma.mappings, 100);
	assert_int_equal(dev.dma.bytes, 100 * 4096);
}

static void test_reset_and_close(void **state)
{
	enum vfio_dev_reset_kind how = VFIO_DEV_RESET_NONE;

	assert_int_equal(vfio_dev_reset(&dev, &how), 0);
	assert_int_equal(how, VFIO_DEV_RESET_HOT);
	assert_int_equal(vfio_dev_reset(&dev, NULL), 0);
	assert_int_equal(vfio_dev_reset(NULL, &how), -EINVAL);
	assert_string_equal(vfio_dev_reset_kind_name(VFIO_DEV_RESET_NONE), "none");
	assert_string_equal(vfio_dev_reset_kind_name(VFIO_DEV_RESET_FLR), "function reset");
	assert_string_equal(vfio_dev_reset_kind_name(VFIO_DEV_RESET_HOT), "bus hot reset");
	assert_string_equal(vfio_dev_reset_kind_name((enum vfio_dev_reset_kind)77), "unknown");
	vfio_dev_close(NULL);
	vfio_dev_close(&dev);
	assert_true(tiny.closed);
}

/* ---- capability chains, read as untrusted ---- */

static uint8_t capbuf[512];

static void cap_put(size_t off, uint16_t id, uint16_t version, uint32_t next)
{
	struct vfio_info_cap_header h = { .id = id, .version = version, .next = next };

	memcpy(capbuf + off, &h, sizeof(h));
}

/* A sparse-mmap capability at off with n areas given as offset/size pairs. */
static size_t sparse_put(size_t off, uint32_t next, uint32_t nr, const uint64_t *pairs,
			 unsigned n)
{
	struct vfio_region_info_cap_sparse_mmap s = { .nr_areas = nr };

	s.header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	s.header.version = 1;
	s.header.next = next;
	memcpy(capbuf + off, &s, sizeof(s));
	for (unsigned i = 0; i < n; i++) {
		struct vfio_region_sparse_mmap_area a = { .offset = pairs[2 * i],
							  .size = pairs[2 * i + 1] };

		memcpy(capbuf + off + sizeof(s) + i * sizeof(a), &a, sizeof(a));
	}
	return off + sizeof(s) + n * sizeof(struct vfio_region_sparse_mmap_area);
}

static struct vfio_dev_region region_mmappable(uint64_t size)
{
	struct vfio_dev_region r = { .size = size, .mmappable = true, .n_areas = 1 };

	r.areas[0].size = size;
	return r;
}

static void test_caps_sparse_and_msix(void **state)
{
	/* An 0x4000 BAR with the MSI-X table in its middle page. */
	const uint64_t areas[] = { 0, 0x1000, 0x2000, 0x2000, 0x3000, 0x2000, UINT64_MAX, 2,
				   0x1000, 0 };
	struct vfio_dev_region r = region_mmappable(0x4000);
	size_t end;

	memset(capbuf, 0, sizeof(capbuf));
	end = sparse_put(32, 0, 5, areas, 5);
	sparse_put(32, (uint32_t)end, 5, areas, 5); /* linked to the MSI-X capability after it */
	cap_put(end, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, 0);
	vfio_caps_region_apply(capbuf, end + 8, 32, &r);
	/* Past the end, overflowing and empty areas are dropped. */
	assert_int_equal(r.n_areas, 2);
	assert_int_equal(r.areas[0].offset, 0);
	assert_int_equal(r.areas[0].size, 0x1000);
	assert_int_equal(r.areas[1].offset, 0x2000);
	assert_int_equal(r.areas[1].size, 0x2000);
	assert_true(r.mmappable);
	assert_true(r.msix_mappable);
}

static void test_caps_hostile_chains(void **state)
{
	const uint64_t one[] = { 0, 0x1000 };
	const uint64_t bad[] = { 0x1000, 0x1000 };
	struct vfio_dev_region r;
	size_t end;

	/* nr_areas far beyond the buffer: only what fits is read. */
	memset(capbuf, 0, sizeof(capbuf));
	end = sparse_put(40, 0, UINT32_MAX, one, 1);
	r = region_mmappable(0x1000);
	vfio_caps_region_apply(capbuf, end, 40, &r);
	assert_int_equal(r.n_areas, 1);
	/* A capability linking to itself, or backwards, ends the walk. */
	end = sparse_put(40, 40, 1, one, 1);
	r = region_mmappable(0x1000);
	vfio_caps_region_apply(capbuf, end, 40, &r);
	assert_int_equal(r.n_areas, 1);
	cap_put(200, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, 40);
	r = region_mmappable(0x1000);
	vfio_caps_region_apply(capbuf, 300, 200, &r);
	assert_true(r.msix_mappable);
	/* Offsets inside the fixed part, past the end, or with a cut-off header. */
	r = region_mmappable(0x1000);
	vfio_caps_region_apply(capbuf, 300, 4, &r);
	vfio_caps_region_apply(capbuf, 300, 299, &r);
	vfio_caps_region_apply(capbuf, 300, 4000, &r);
	vfio_caps_region_apply(capbuf, 300, UINT32_MAX, &r);
	assert_int_equal(r.n_areas, 1);
	assert_false(r.msix_mappable);
	/* A misaligned capability is read without unaligned access (UBSan watches). */
	memset(capbuf, 0, sizeof(capbuf));
	end = sparse_put(41, 0, 1, one, 1);
	r = region_mmappable(0x1000);
	vfio_caps_region_apply(capbuf, end, 41, &r);
	assert_int_equal(r.n_areas, 1);
	/* A sparse capability cut short: its areas are not read. */
	r = region_mmappable(0x1000);
	vfio_caps_region_apply(capbuf, 41 + 12, 41, &r);
	assert_int_equal(r.n_areas, 1);
	assert_int_equal(r.areas[0].size, 0x1000);
	/* No valid area at all: nothing of the region may be mmapped. */
	memset(capbuf, 0, sizeof(capbuf));
	end = sparse_put(32, 0, 1, bad, 1);
	r = region_mmappable(0x1000);
	vfio_caps_region_apply(capbuf, end, 32, &r);
	assert_int_equal(r.n_areas, 0);
	assert_false(r.mmappable);
}

static void test_caps_dma_avail(void **state)
{
	struct vfio_iommu_type1_info_dma_avail a = { .avail = 65000 };

	memset(capbuf, 0, sizeof(capbuf));
	a.header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	a.header.version = 1;
	cap_put(24, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1, 64);
	memcpy(capbuf + 64, &a, sizeof(a));
	assert_int_equal(vfio_caps_dma_avail(capbuf, 64 + sizeof(a), 24), 65000);
	assert_int_equal(vfio_caps_dma_avail(capbuf, 64 + sizeof(a) - 1, 24), 0);
	assert_int_equal(vfio_caps_dma_avail(capbuf, 64 + sizeof(a), 0), 0);
	cap_put(24, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1, 0);
	assert_int_equal(vfio_caps_dma_avail(capbuf, sizeof(capbuf), 24), 0);
}

/* ---- the kernel transport's host side, against fixture trees ---- */

static char tmp[] = "/tmp/iovirt-vfio-dev-XXXXXX";

static const char *at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *at(const char *fmt, ...)
{
	static char path[3][PATH_MAX];
	static unsigned turn;
	char *p = path[turn++ % 3];
	va_list ap;
	int n;

	n = snprintf(p, PATH_MAX, "%s/", tmp);
	va_start(ap, fmt);
	vsnprintf(p + n, PATH_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	return p;
}

static void mkdirs(const char *path)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static void put(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

/*
 * sys/: 0000:00:03.0 bound to vfio-pci in group 5, whose name says
 * vfio-noiommu; 0000:00:04.0 bound to vfio-pci in group 6 (a real one).
 * proc/: PID 4242 ("qemu-x") holds dev/vfio/6, PID 17 holds something else.
 */
static int tree_setup(void **state)
{
	if (!mkdtemp(tmp))
		return -1;
	mkdirs(at("sys/bus/pci/drivers/vfio-pci"));
	mkdirs(at("sys/bus/pci/devices/0000:00:03.0"));
	mkdirs(at("sys/bus/pci/devices/0000:00:04.0"));
	mkdirs(at("sys/kernel/iommu_groups/5/devices"));
	mkdirs(at("sys/kernel/iommu_groups/6/devices"));
	if (symlink("../../../../bus/pci/drivers/vfio-pci",
		    at("sys/bus/pci/devices/0000:00:03.0/driver")) ||
	    symlink("../../../../bus/pci/drivers/vfio-pci",
		    at("sys/bus/pci/devices/0000:00:04.0/driver")) ||
	    symlink("../../../../kernel/iommu_groups/5",
		    at("sys/bus/pci/devices/0000:00:03.0/iommu_group")) ||
	    symlink("../../../../kernel/iommu_groups/6",
		    at("sys/bus/pci/devices/0000:00:04.0/iommu_group")))
		return -1;
	put(at("sys/kernel/iommu_groups/5/name"), "vfio-noiommu\n");
	mkdirs(at("dev/vfio"));
	mkdirs(at("proc/17/fd"));
	mkdirs(at("proc/4242/fd"));
	mkdirs(at("proc/self/fd"));
	put(at("proc/4242/comm"), "qemu-x\n");
	if (symlink("/dev/null", at("proc/17/fd/0")) ||
	    symlink("socket:[1234]", at("proc/17/fd/1")) ||
	    symlink(at("dev/vfio/6"), at("proc/self/fd/9")) ||
	    symlink(at("dev/vfio/6"), at("proc/4242/fd/7")))
		return -1;
	return 0;
}

static int tree_teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd);
}

static void test_bdf_normalize(void **state)
{
	char out[16];

	assert_int_equal(vfio_kernel_bdf_normalize("00:03.0", out, sizeof(out)), 0);
	assert_string_equal(out, "0000:00:03.0");
	assert_int_equal(vfio_kernel_bdf_normalize("0001:AB:1f.7", out, sizeof(out)), 0);
	assert_string_equal(out, "0001:ab:1f.7");
	assert_int_equal(vfio_kernel_bdf_normalize("00:03.8", out, sizeof(out)), -EINVAL);
	assert_int_equal(vfio_kernel_bdf_normalize("../../../x", out, sizeof(out)), -EINVAL);
	assert_int_equal(vfio_kernel_bdf_normalize("0000:00:03.0/..", out, sizeof(out)), -EINVAL);
	assert_int_equal(vfio_kernel_bdf_normalize("", out, sizeof(out)), -EINVAL);
	assert_int_equal(vfio_kernel_bdf_normalize(NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(vfio_kernel_bdf_normalize("00:03.0", out, 12), -EINVAL);
}

static void test_group_find_shared_group(void **state)
{
	const char *root = FIXTURES_DIR "/shared-group";
	char why[256];
	unsigned group = 0;

	assert_int_equal(vfio_kernel_group_find(root, "/nonexistent", "0000:04:00.1", &group, why,
						sizeof(why)), 0);
	assert_int_equal(group, 7);
	assert_int_equal(vfio_kernel_group_find(root, "/nonexistent", "0000:04:00.0", &group, why,
						sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "bound to igb, not vfio-pci"));
	assert_int_equal(vfio_kernel_group_find(root, "/nonexistent", "0000:09:00.0", &group, why,
						sizeof(why)), -ENODEV);
	assert_non_null(strstr(why, "no PCI device 0000:09:00.0"));
}

static void test_group_blockers_named(void **state)
{
	const char *root = FIXTURES_DIR "/shared-group";
	char buf[256];

	/* The bridge (pcieport) does not count; igb does; the device itself is skipped. */
	assert_int_equal(vfio_kernel_group_blockers(root, 7, "0000:04:00.1", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "0000:04:00.0 bound to igb");
	assert_int_equal(vfio_kernel_group_blockers(root, 7, "0000:04:00.1", buf, 10), 1);
	assert_int_equal(strlen(buf), 9);
	assert_int_equal(vfio_kernel_group_blockers(root, 99, "0000:04:00.1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void test_hostile_driver_name_cleaned(void **state)
{
	const char *root = FIXTURES_DIR "/hostile-sriov";
	char why[256], buf[256];
	unsigned group;

	assert_int_equal(vfio_kernel_group_find(root, "/nonexistent", "0000:10:00.0", &group, why,
						sizeof(why)), -ENOENT);
	assert_null(strchr(why, '\x1b'));
	assert_non_null(strstr(why, "evil?[31mred"));
	assert_int_equal(vfio_kernel_group_blockers(root, 72, "0000:ff:00.0", buf, sizeof(buf)), 1);
	assert_null(strchr(buf, '\x1b'));
}

static void test_no_iommu_refused(void **state)
{
	const char *root = FIXTURES_DIR "/no-iommu";
	char sys[PATH_MAX], devr[PATH_MAX], why[256];
	unsigned group;

	/* A host without an IOMMU: virtio-pci here, and no group at all. */
	assert_int_equal(vfio_kernel_group_find(root, "/nonexistent", "0000:00:03.0", &group, why,
						sizeof(why)), -ENOENT);
	snprintf(sys, sizeof(sys), "%s", at("sys"));
	snprintf(devr, sizeof(devr), "%s", at("dev"));
	/* A VFIO no-IOMMU group, known by its name. */
	assert_int_equal(vfio_kernel_group_find(sys, devr, "0000:00:03.0", &group, why, sizeof(why)),
			 -ENODEV);
	assert_non_null(strstr(why, "no-IOMMU"));
	/* ... or by its /dev/vfio/noiommu-N node. */
	put(at("dev/vfio/noiommu-6"), "");
	assert_int_equal(vfio_kernel_group_find(sys, devr, "0000:00:04.0", &group, why, sizeof(why)),
			 -ENODEV);
	assert_non_null(strstr(why, "group 6"));
	unlink(at("dev/vfio/noiommu-6"));
	assert_int_equal(vfio_kernel_group_find(sys, devr, "0000:00:04.0", &group, why, sizeof(why)),
			 0);
	assert_int_equal(group, 6);
	/* A device without an iommu_group link. */
	unlink(at("sys/bus/pci/devices/0000:00:04.0/iommu_group"));
	assert_int_equal(vfio_kernel_group_find(sys, devr, "0000:00:04.0", &group, why, sizeof(why)),
			 -ENODEV);
	assert_non_null(strstr(why, "no IOMMU group"));
	assert_int_equal(symlink("../../../../kernel/iommu_groups/6",
				 at("sys/bus/pci/devices/0000:00:04.0/iommu_group")), 0);
}

static void test_hostile_group_links(void **state)
{
	char sys[PATH_MAX], devr[PATH_MAX], why[256];
	const char *link = at("sys/bus/pci/devices/0000:00:04.0/iommu_group");
	static const char *const bad[] = {
		"../../../../kernel/iommu_groups/notagroup",
		"../../../../kernel/iommu_groups/-1",
		"../../../../kernel/iommu_groups/99999999999999999999",
		"../../../../kernel/iommu_groups/7x",
		"../../../../kernel/iommu_groups/",
	};
	unsigned group;

	snprintf(sys, sizeof(sys), "%s", at("sys"));
	snprintf(devr, sizeof(devr), "%s", at("dev"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unlink(link);
		assert_int_equal(symlink(bad[i], link), 0);
		assert_int_equal(vfio_kernel_group_find(sys, devr, "0000:00:04.0", &group, why,
							sizeof(why)), -EINVAL);
		assert_non_null(strstr(why, "cannot read the IOMMU group"));
	}
	unlink(link);
	assert_int_equal(symlink("../../../../kernel/iommu_groups/6", link), 0);
	/* A FIFO where the group's name is read must not block the lookup. */
	assert_int_equal(mkfifo(at("sys/kernel/iommu_groups/6/name"), 0600), 0);
	assert_int_equal(vfio_kernel_group_find(sys, devr, "0000:00:04.0", &group, why, sizeof(why)),
			 0);
	assert_int_equal(group, 6);
	unlink(at("sys/kernel/iommu_groups/6/name"));
}

static void test_group_holder(void **state)
{
	char proc[PATH_MAX], node[PATH_MAX], comm[32];

	snprintf(proc, sizeof(proc), "%s", at("proc"));
	snprintf(node, sizeof(node), "%s", at("dev/vfio/6"));
	assert_int_equal(vfio_kernel_group_holder(proc, node, comm, sizeof(comm)), 4242);
	assert_string_equal(comm, "qemu-x");
	snprintf(node, sizeof(node), "%s", at("dev/vfio/5"));
	assert_int_equal(vfio_kernel_group_holder(proc, node, comm, sizeof(comm)), 0);
	assert_int_equal(vfio_kernel_group_holder(at("nothing-here"), node, comm, sizeof(comm)), 0);
}

static void test_group_holder_real_proc(void **state)
{
	char comm[32];
	int fd;

	/* This process holds a file open: the real /proc names this PID. */
	put(at("held"), "x");
	fd = open(at("held"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(vfio_kernel_group_holder("/proc", at("held"), comm, sizeof(comm)),
			 getpid());
	assert_true(comm[0] != '\0');
	close(fd);
	assert_int_equal(vfio_kernel_group_holder("/proc", at("held"), comm, sizeof(comm)), 0);
}

static void test_open_refusals(void **state)
{
	struct vfio_kernel_opts opts = { .proc_root = "/nonexistent" };
	struct vfio_dev *d = (void *)1;
	char sys[PATH_MAX], devr[PATH_MAX], why[256];

	snprintf(sys, sizeof(sys), "%s", at("sys"));
	snprintf(devr, sizeof(devr), "%s", at("dev"));
	opts.sysfs_root = sys;
	opts.dev_root = devr;
	assert_int_equal(vfio_kernel_open("not-a-bdf", &opts, &d, why, sizeof(why)), -EINVAL);
	assert_null(d);
	assert_int_equal(vfio_kernel_open("00:03.0", &opts, &d, why, sizeof(why)), -ENODEV);
	assert_non_null(strstr(why, "no-IOMMU"));
	/* Group 6 passes the sysfs checks; the container node is missing. */
	assert_int_equal(vfio_kernel_open("00:04.0", &opts, &d, why, sizeof(why)), -ENODEV);
	assert_non_null(strstr(why, "vfio/vfio"));
	/* A regular file where the container node should be: not VFIO. */
	put(at("dev/vfio/vfio"), "");
	assert_int_equal(vfio_kernel_open("00:04.0", &opts, &d, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "API version"));
	unlink(at("dev/vfio/vfio"));
	opts.vf_token = "not-a-uuid";
	assert_int_equal(vfio_kernel_open("00:04.0", &opts, &d, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "UUID"));
	assert_int_equal(vfio_kernel_open("00:04.0", &opts, NULL, NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest wrappers[] = {
		cmocka_unit_test_setup(test_region_checks, tiny_setup),
		cmocka_unit_test(test_range_within),
		cmocka_unit_test_setup(test_irq_checks, tiny_setup),
		cmocka_unit_test_setup(test_dma_accounting, tiny_setup),
		cmocka_unit_test_setup(test_dma_transport_errors_not_counted, tiny_setup),
		cmocka_unit_test_setup(test_reset_and_close, tiny_setup),
		cmocka_unit_test(test_caps_sparse_and_msix),
		cmocka_unit_test(test_caps_hostile_chains),
		cmocka_unit_test(test_caps_dma_avail),
	};
	const struct CMUnitTest kernel_host[] = {
		cmocka_unit_test(test_bdf_normalize),
		cmocka_unit_test(test_group_find_shared_group),
		cmocka_unit_test(test_group_blockers_named),
		cmocka_unit_test(test_hostile_driver_name_cleaned),
		cmocka_unit_test(test_no_iommu_refused),
		cmocka_unit_test(test_hostile_group_links),
		cmocka_unit_test(test_group_holder),
		cmocka_unit_test(test_group_holder_real_proc),
		cmocka_unit_test(test_open_refusals),
	};
	int failed;

	failed = cmocka_run_group_tests_name("vfio-dev wrappers", wrappers, NULL, NULL);
	failed += cmocka_run_group_tests_name("vfio-kernel host side", kernel_host, tree_setup,
					      tree_teardown);
	return failed ? 1 : 0;
}
