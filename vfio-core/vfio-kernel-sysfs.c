/* vfio-kernel-sysfs: group lookup, no-IOMMU refusal, group holder and blockers. */
#include "vfio-kernel-sysfs.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysfs.h"

void vfio_kernel_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* Host-provided names go into sentences for a terminal: no control bytes. */
static void vfio_kernel_name_clean(char *s)
{
	for (; *s; s++)
		if (!isprint((unsigned char)*s))
			*s = '?';
}

static bool vfio_kernel_hex_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

int vfio_kernel_bdf_normalize(const char *in, char *out, size_t len)
{
	const char *p = in;
	char dom[5] = "0000";
	int i;

	if (!in || len < 13)
		return -EINVAL;
	if (strlen(in) == 12) {
		if (!vfio_kernel_hex_run(in, 4) || in[4] != ':')
			return -EINVAL;
		memcpy(dom, in, 4);
		p = in + 5;
	}
	if (strlen(p) != 7 || !vfio_kernel_hex_run(p, 2) || p[2] != ':' ||
	    !vfio_kernel_hex_run(p + 3, 2) || p[5] != '.' || p[6] < '0' || p[6] > '7')
		return -EINVAL;
	snprintf(out, len, "%s:%s", dom, p);
	for (i = 0; out[i]; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return 0;
}

static bool vfio_kernel_driver_ok(const char *driver)
{
	return !strncmp(driver, "vfio", 4) || strstr(driver, "_vfio_pci") != NULL;
}

static int vfio_kernel_driver_check(const char *sysfs_root, const char *bdf, char *why,
				    size_t why_len)
{
	char path[PATH_MAX], driver[NAME_MAX + 1];
	int ret;

	ret = sysfs_path(path, sizeof(path), sysfs_root, "bus/pci/devices/%s", bdf);
	if (ret)
		return ret;
	if (!sysfs_exists(path)) {
		vfio_kernel_why(why, why_len, "there is no PCI device %s", bdf);
		return -ENODEV;
	}
	ret = sysfs_path(path, sizeof(path), sysfs_root, "bus/pci/devices/%s/driver", bdf);
	if (!ret)
		ret = sysfs_read_link_name(path, driver, sizeof(driver));
	if (ret == -ENOENT) {
		vfio_kernel_why(why, why_len, "%s is bound to no driver, not vfio-pci (iovirt bind %s)",
				bdf, bdf);
		return -ENOENT;
	}
	if (ret)
		return ret;
	if (!vfio_kernel_driver_ok(driver)) {
		vfio_kernel_name_clean(driver);
		vfio_kernel_why(why, why_len, "%s is bound to %s, not vfio-pci (iovirt bind %s)", bdf,
				driver, bdf);
		return -ENOENT;
	}
	return 0;
}

static int vfio_kernel_group_id(const char *sysfs_root, const char *bdf, unsigned *group)
{
	char path[PATH_MAX], name[NAME_MAX + 1], *end;
	unsigned long id;
	int ret;

	ret = sysfs_path(path, sizeof(path), sysfs_root, "bus/pci/devices/%s/iommu_group", bdf);
	if (!ret)
		ret = sysfs_read_link_name(path, name, sizeof(name));
	if (ret)
		return ret;
	errno = 0;
	id = strtoul(name, &end, 10);
	if (errno || end == name || *end || !isdigit((unsigned char)name[0]) || id > INT_MAX)
		return -EINVAL;
	*group = (unsigned)id;
	return 0;
}

/* The kernel names a no-IOMMU group "vfio-noiommu" and its node /dev/vfio/noiommu-N. */
static bool vfio_kernel_group_is_noiommu(const char *sysfs_root, const char *dev_root,
					 unsigned group)
{
	char path[PATH_MAX], name[128];

	if (!sysfs_path(path, sizeof(path), dev_root, "vfio/noiommu-%u", group) &&
	    sysfs_exists(path))
		return true;
	if (sysfs_path(path, sizeof(path), sysfs_root, "kernel/iommu_groups/%u/name", group) ||
	    sysfs_read_str(path, name, sizeof(name)))
		return false;
	return strstr(name, "noiommu") != NULL;
}

int vfio_kernel_group_find(const char *sysfs_root, const char *dev_root, const char *bdf,
			   unsigned *group, char *why, size_t why_len)
{
	int ret;

	ret = vfio_kernel_driver_check(sysfs_root, bdf, why, why_len);
	if (ret)
		return ret;
	ret = vfio_kernel_group_id(sysfs_root, bdf, group);
	if (ret == -ENOENT) {
		vfio_kernel_why(why, why_len,
				"%s has no IOMMU group: the host runs without an IOMMU (enable VT-d or "
				"AMD-Vi in the firmware and intel_iommu=on or amd_iommu=on)", bdf);
		return -ENODEV;
	}
	if (ret) {
		vfio_kernel_why(why, why_len, "cannot read the IOMMU group of %s: %s", bdf,
				strerror(-ret));
		return ret;
	}
	if (vfio_kernel_group_is_noiommu(sysfs_root, dev_root, *group)) {
		vfio_kernel_why(why, why_len,
				"IOMMU group %u of %s is a VFIO no-IOMMU group: without an IOMMU the "
				"device could DMA anywhere in host memory; iovirt never uses that mode",
				*group, bdf);
		return -ENODEV;
	}
	return 0;
}

struct vfio_kernel_holder_ctx {
	const char *proc_root;
	const char *node;
	const char *pid_name;
	char dir[PATH_MAX];
};

static int vfio_kernel_fd_matches(const char *name, void *opaque)
{
	struct vfio_kernel_holder_ctx *c = opaque;
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/%s", c->dir, name) >= (int)sizeof(path))
		return 0;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return strcmp(target, c->node) == 0;
}

static int vfio_kernel_pid_holds(const char *name, void *opaque)
{
	struct vfio_kernel_holder_ctx *c = opaque;
	char *end;
	long pid;

	errno = 0;
	pid = strtol(name, &end, 10);
	if (errno || end == name || *end || pid <= 0 || pid > INT_MAX)
		return 0;
	if (sysfs_path(c->dir, sizeof(c->dir), c->proc_root, "%s/fd", name))
		return 0;
	if (sysfs_for_each_entry(c->dir, vfio_kernel_fd_matches, c) != 1)
		return 0;
	return (int)pid;
}

pid_t vfio_kernel_group_holder(const char *proc_root, const char *node, char *comm,
			       size_t comm_len)
{
	struct vfio_kernel_holder_ctx c = { .proc_root = proc_root, .node = node };
	char path[PATH_MAX];
	int pid;

	if (comm && comm_len)
		comm[0] = '\0';
	pid = sysfs_for_each_entry(proc_root, vfio_kernel_pid_holds, &c);
	if (pid <= 0)
		return 0;
	if (comm && comm_len &&
	    !sysfs_path(path, sizeof(path), proc_root, "%d/comm", pid) &&
	    !sysfs_read_str(path, comm, comm_len))
		vfio_kernel_name_clean(comm);
	return pid;
}

/* PCI bridges do not break viability (the kernel's rule). */
static bool vfio_kernel_is_bridge(const char *sysfs_root, const char *name)
{
	char path[PATH_MAX];
	long class;

	if (sysfs_path(path, sizeof(path), sysfs_root, "bus/pci/devices/%s/class", name) ||
	    sysfs_read_long(path, &class))
		return false;
	return ((unsigned long)class >> 8) == 0x0604;
}

struct vfio_kernel_blockers_ctx {
	const char *sysfs_root;
	const char *bdf;
	char *buf;
	size_t len, used;
	unsigned count;
};

static int vfio_kernel_member_check(const char *name, void *opaque)
{
	struct vfio_kernel_blockers_ctx *c = opaque;
	char path[PATH_MAX], driver[NAME_MAX + 1], member[NAME_MAX + 1];
	int n;

	if (!strcmp(name, c->bdf))
		return 0;
	if (sysfs_path(path, sizeof(path), c->sysfs_root, "bus/pci/devices/%s/driver", name) ||
	    sysfs_read_link_name(path, driver, sizeof(driver)))
		return 0;
	if (vfio_kernel_driver_ok(driver) || !strcmp(driver, "pci-stub") ||
	    vfio_kernel_is_bridge(c->sysfs_root, name))
		return 0;
	snprintf(member, sizeof(member), "%s", name);
	vfio_kernel_name_clean(member);
	vfio_kernel_name_clean(driver);
	c->count++;
	if (c->used < c->len) {
		n = snprintf(c->buf + c->used, c->len - c->used, "%s%s bound to %s",
			     c->count > 1 ? ", " : "", member, driver);
		if (n > 0)
			c->used = MIN(c->len, c->used + (size_t)n);
	}
	return 0;
}

unsigned vfio_kernel_group_blockers(const char *sysfs_root, unsigned group, const char *bdf,
				    char *buf, size_t len)
{
	struct vfio_kernel_blockers_ctx c = {
		.sysfs_root = sysfs_root, .bdf = bdf, .buf = buf, .len = buf ? len : 0,
	};
	char dir[PATH_MAX];

	if (buf && len)
		buf[0] = '\0';
	if (sysfs_path(dir, sizeof(dir), sysfs_root, "kernel/iommu_groups/%u/devices", group))
		return 0;
	sysfs_for_each_entry(dir, vfio_kernel_member_check, &c);
	return c.count;
}
