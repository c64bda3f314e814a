/* A PF's SR-IOV attributes in sysfs: counts, autoprobe, driver and virtfnN links. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sriov-priv.h"
#include "sysfs.h"

void sriov_msg(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
}

int sriov_dev_attr(const struct sriov_env *env, const char *bdf, const char *attr, char *path,
		   size_t len)
{
	return sysfs_path(path, len, env->sysfs_root, "bus/pci/devices/%s/%s", bdf, attr);
}

/* Read an attribute as an integer within [min, max]; -EINVAL outside. */
int sriov_dev_read_int(const struct sriov_env *env, const char *bdf, const char *attr, long min,
		       long max, int *out)
{
	char path[SRIOV_PATH_LEN];
	long v;
	int ret = sriov_dev_attr(env, bdf, attr, path, sizeof(path));

	if (!ret)
		ret = sysfs_read_long(path, &v);
	if (ret)
		return ret;
	if (v < min || v > max)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int count_vf_link(const char *name, void *opaque)
{
	size_t *n = opaque;

	if (!strncmp(name, "virtfn", 6) && name[6] >= '0' && name[6] <= '9')
		(*n)++;
	return 0;
}

size_t sriov_vf_links_count(const struct sriov_env *env, const char *bdf)
{
	char dir[SRIOV_PATH_LEN];
	size_t n = 0;

	if (!sriov_dev_attr(env, bdf, "", dir, sizeof(dir)))
		(void)sysfs_for_each_entry(dir, count_vf_link, &n);
	return n;
}

int sriov_pf_read(const struct sriov_env *env, const char *bdf, struct sriov_pf_state *st,
		  char *msg, size_t msglen)
{
	char path[SRIOV_PATH_LEN];
	int ret;

	memset(st, 0, sizeof(*st));
	snprintf(st->bdf, sizeof(st->bdf), "%s", bdf);
	ret = sriov_dev_attr(env, bdf, "", path, sizeof(path));
	if (ret)
		return ret;
	if (!sysfs_exists(path)) {
		sriov_msg(msg, msglen, "no PCI device %s under %s/bus/pci/devices", bdf, env->sysfs_root);
		return -ENODEV;
	}
	ret = sriov_dev_attr(env, bdf, "sriov_totalvfs", path, sizeof(path));
	if (ret)
		return ret;
	if (!sysfs_exists(path)) {
		sriov_msg(msg, msglen, "%s has no SR-IOV capability (no sriov_totalvfs): it is not a PF", bdf);
		return -ENOTSUP;
	}
	if (sriov_dev_read_int(env, bdf, "sriov_totalvfs", 0, SRIOV_MAX_VFS, &st->totalvfs) ||
	    sriov_dev_read_int(env, bdf, "sriov_numvfs", 0, SRIOV_MAX_VFS, &st->numvfs)) {
		sriov_msg(msg, msglen, "%s: sriov_totalvfs or sriov_numvfs cannot be read as a count "
			  "from 0 to %d", bdf, SRIOV_MAX_VFS);
		return -EINVAL;
	}
	if (sriov_dev_read_int(env, bdf, "sriov_drivers_autoprobe", 0, 1, &st->autoprobe))
		st->autoprobe = -1;
	if (!sriov_dev_attr(env, bdf, "driver", path, sizeof(path)) &&
	    sysfs_read_link_name(path, st->driver, sizeof(st->driver)))
		st->driver[0] = '\0';
	st->n_vf_links = sriov_vf_links_count(env, bdf);
	if (st->n_vf_links > (size_t)st->numvfs) /* VFs exist whatever the count says: assume enabled */
		st->numvfs = (int)MIN(st->n_vf_links, (size_t)SRIOV_MAX_VFS);
	return 0;
}
