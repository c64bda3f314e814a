/* The fake PCI sysfs kernel of fake-pci-kernel.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake-pci-kernel.h"
#include "sysfs.h"

const char *fake_dev_attr(const struct fake *f, const char *bdf, const char *attr, char *buf)
{
	snprintf(buf, PATH_MAX, "%s/bus/pci/devices/%s/%s", f->sys, bdf, attr);
	return buf;
}

const char *fake_driver_of(const struct fake *f, const char *bdf)
{
	static char drv[PCI_DRIVER_LEN];
	char path[PATH_MAX];

	if (sysfs_read_link_name(fake_dev_attr(f, bdf, "driver", path), drv, sizeof(drv)))
		drv[0] = '\0';
	return drv;
}

void fake_run(const char *fmt, const char *a, const char *b)
{
	char cmd[3 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	assert_int_equal(system(cmd), 0);
}

static void link_driver(const struct fake *f, const char *bdf, const char *driver)
{
	char path[PATH_MAX], target[PATH_MAX];

	snprintf(target, sizeof(target), "../../../../bus/pci/drivers/%s", driver);
	assert_int_equal(symlink(target, fake_dev_attr(f, bdf, "driver", path)), 0);
}

/* The driver the fixture gave the device: what the kernel picks by itself. */
static bool native_driver(const struct fake *f, const char *bdf, char *drv)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", f->orig, bdf);
	return !sysfs_read_link_name(path, drv, PCI_DRIVER_LEN) && strcmp(drv, BIND_TARGET_DRIVER);
}

/* drivers_probe: driver_override decides, else the driver the fixture gave the device. */
static int fake_probe(struct fake *f, const char *bdf)
{
	char path[PATH_MAX], ovr[PCI_DRIVER_LEN], drv[PCI_DRIVER_LEN];

	if (!sysfs_read_link_name(fake_dev_attr(f, bdf, "driver", path), drv, sizeof(drv)))
		return -EINVAL; /* the kernel refuses to probe a bound device */
	if (f->probe_ignores && !strcmp(f->probe_ignores, bdf))
		return 0;
	assert_int_equal(sysfs_read_str(fake_dev_attr(f, bdf, "driver_override", path), ovr, sizeof(ovr)), 0);
	if (!strcmp(ovr, "(null)") && !native_driver(f, bdf, ovr))
		return 0;
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", f->sys, ovr);
	if (sysfs_exists(path))
		link_driver(f, bdf, ovr);
	return 0;
}

static void put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fprintf(fp, "%s\n", text);
	assert_int_equal(fclose(fp), 0);
}

/* The IOMMU group's link to the VF, made or removed with the VF. */
static void group_link(const struct fake *f, const char *vf, bool make)
{
	char path[PATH_MAX], group[16], link[PATH_MAX], target[PATH_MAX];

	assert_int_equal(sysfs_read_link_name(fake_dev_attr(f, vf, "iommu_group", path), group,
					      sizeof(group)), 0);
	snprintf(link, sizeof(link), "%s/kernel/iommu_groups/%s/devices/%s", f->sys, group, vf);
	snprintf(target, sizeof(target), "../../../../bus/pci/devices/%s", vf);
	assert_int_equal(make ? symlink(target, link) : unlink(link), 0);
}

static void vfs_disable(struct fake *f, const char *pf)
{
	char link[PATH_MAX], name[32], vf[PCI_BDF_STRLEN], from[PATH_MAX], to[PATH_MAX];

	for (int i = 0;; i++) {
		snprintf(name, sizeof(name), "virtfn%d", i);
		if (sysfs_read_link_name(fake_dev_attr(f, pf, name, link), vf, sizeof(vf)))
			return;
		group_link(f, vf, false);
		snprintf(from, sizeof(from), "%s/bus/pci/devices/%s", f->sys, vf);
		snprintf(to, sizeof(to), "%s/%s", f->stash, vf);
		assert_int_equal(rename(from, to), 0);
		assert_int_equal(unlink(link), 0);
	}
}

/* Bring back the first n of the fixture's VFs; returns how many there were. */
static int vfs_enable(struct fake *f, const char *pf, int n, bool autoprobe)
{
	char path[PATH_MAX], name[32], vf[PCI_BDF_STRLEN], to[PATH_MAX], target[64], drv[PCI_DRIVER_LEN];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "virtfn%d", i);
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", f->orig, pf, name);
		if (sysfs_read_link_name(path, vf, sizeof(vf)))
			break;
		snprintf(path, sizeof(path), "%s/%s", f->stash, vf);
		snprintf(to, sizeof(to), "%s/bus/pci/devices/%s", f->sys, vf);
		assert_int_equal(rename(path, to), 0);
		snprintf(target, sizeof(target), "../%s", vf);
		assert_int_equal(symlink(target, fake_dev_attr(f, pf, name, path)), 0);
		group_link(f, vf, true);
		unlink(fake_dev_attr(f, vf, "driver", path));
		put_file(fake_dev_attr(f, vf, "driver_override", path), "(null)");
		if (autoprobe && native_driver(f, vf, drv))
			link_driver(f, vf, drv);
	}
	return i;
}

/* drivers/pci/iov.c sriov_numvfs_store, with the PF driver's sriov_configure faked. */
static int fake_numvfs(struct fake *f, const char *pf, const char *value)
{
	char path[PATH_MAX], num[16];
	long total, cur, autoprobe = 1, n = strtol(value, NULL, 10);

	assert_int_equal(sysfs_read_long(fake_dev_attr(f, pf, "sriov_totalvfs", path), &total), 0);
	assert_int_equal(sysfs_read_long(fake_dev_attr(f, pf, "sriov_numvfs", path), &cur), 0);
	if (sysfs_read_long(fake_dev_attr(f, pf, "sriov_drivers_autoprobe", path), &autoprobe))
		autoprobe = 1; /* the kernel's default */
	if (n < 0 || n > total)
		return -ERANGE;
	if (n == cur)
		return 0;
	if (n && cur)
		return -EBUSY;
	if (n && f->numvfs_fail)
		return -f->numvfs_fail;
	if (n)
		n = vfs_enable(f, pf, (int)n, autoprobe);
	else
		vfs_disable(f, pf);
	snprintf(num, sizeof(num), "%ld", n);
	put_file(fake_dev_attr(f, pf, "sriov_numvfs", path), num);
	return 0;
}

int fake_write(void *opaque, const char *path, const char *value)
{
	struct fake *f = opaque;
	size_t len = strlen(f->sys);
	char bdf[PCI_BDF_STRLEN], attr[64], p[PATH_MAX], v[PCI_DRIVER_LEN];

	f->writes++;
	assert_memory_equal(path, f->sys, len);
	path += len;
	if (!strcmp(path, "/bus/pci/drivers_probe"))
		return fake_probe(f, value);
	assert_int_equal(sscanf(path, "/bus/pci/devices/%12[0-9a-f:.]/%63s", bdf, attr), 2);
	snprintf(v, sizeof(v), "%s", value);
	v[strcspn(v, "\n")] = '\0';
	if (!strcmp(attr, "sriov_numvfs"))
		return fake_numvfs(f, bdf, v);
	if (!strcmp(attr, "sriov_drivers_autoprobe") || !strcmp(attr, "driver_override")) {
		put_file(fake_dev_attr(f, bdf, attr, p), v[0] ? v : "(null)");
		return 0;
	}
	assert_string_equal(attr, "driver/unbind");
	assert_string_equal(value, bdf);
	return unlink(fake_dev_attr(f, bdf, "driver", p)) ? -ENODEV : 0;
}

static int fake_write_attr(const char *path, const char *value, void *ctx)
{
	return fake_write(ctx, path, value);
}

static int fake_load_module(void *opaque, const char *name)
{
	struct fake *f = opaque;
	char path[PATH_MAX];

	f->modprobes++;
	assert_string_equal(name, "vfio-pci");
	if (f->modprobe_ret)
		return f->modprobe_ret;
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/vfio-pci", f->sys);
	return mkdir(path, 0755) ? -errno : 0;
}

struct fake *fake_new(const char *fixture)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/iovirt-fake-pci.XXXXXX", getenv("TMPDIR") ?: "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sys, sizeof(f->sys), "%s/sys", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	snprintf(f->stash, sizeof(f->stash), "%s/stash", f->dir);
	snprintf(f->proc, sizeof(f->proc), "%s/proc", f->dir);
	snprintf(f->orig, sizeof(f->orig), "%s/%s", FIXTURES_DIR, fixture);
	fake_run("cp -a '%s' '%s'", f->orig, f->sys);
	fake_run("mkdir '%s' '%s'", f->stash, f->proc);
	f->opts = (struct bind_opts){
		.sysfs_root = f->sys, .state_dir = f->state, .routes = &f->routes,
		.write = fake_write, .load_module = fake_load_module, .opaque = f,
	};
	f->env = (struct sriov_env){ .sysfs_root = f->sys, .proc_root = f->proc,
				     .write_attr = fake_write_attr, .write_ctx = f };
	return f;
}

void fake_free(struct fake *f)
{
	fake_run("rm -rf '%s'%s", f->dir, "");
	host_routes_free(&f->routes);
	free(f);
}
