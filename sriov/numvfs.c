/* sriov_numvfs under the kernel's rules, with the checks the kernel leaves to its user. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iommu-groups.h"
#include "sriov-priv.h"
#include "sysfs.h"

static int env_write(const struct sriov_env *env, const char *path, const char *value)
{
	if (env->write_attr)
		return env->write_attr(path, value, env->write_ctx);
	return sysfs_write_str(path, value);
}

static int write_dev_attr(const struct sriov_env *env, const char *bdf, const char *attr,
			  const char *value)
{
	char path[SRIOV_PATH_LEN];
	int ret = sriov_dev_attr(env, bdf, attr, path, sizeof(path));

	return ret ? ret : env_write(env, path, value);
}

/* vfio-pci creates VFs only when loaded with enable_sriov=1. */
static int check_vfio_pf(const struct sriov_env *env, const struct sriov_pf_state *st, char *msg,
			 size_t msglen)
{
	char path[SRIOV_PATH_LEN], val[8] = "";

	if (strcmp(st->driver, "vfio-pci"))
		return 0;
	if (sysfs_path(path, sizeof(path), env->sysfs_root, "module/vfio_pci/parameters/enable_sriov") ||
	    sysfs_read_str(path, val, sizeof(val)) || (strcmp(val, "Y") && strcmp(val, "1"))) {
		sriov_msg(msg, msglen, "%s is bound to vfio-pci, which creates VFs only when loaded with "
			  "enable_sriov=1 (modprobe vfio-pci enable_sriov=1, or echo 1 > "
			  "/sys/module/vfio_pci/parameters/enable_sriov)", st->bdf);
		return -EPERM;
	}
	return 0;
}

static int check_holders(const struct sriov_env *env, const char *bdf, char *msg, size_t msglen)
{
	struct sriov_holder h[4];
	int n = sriov_holders_find(env, bdf, h, ARRAY_SIZE(h));

	if (n < 0) {
		sriov_msg(msg, msglen, "cannot tell whether a process holds a VF of %s: %s", bdf,
			  strerror(-n));
		return n;
	}
	if (n == 0)
		return 0;
	sriov_msg(msg, msglen, "refusing to disable the VFs of %s: VF %s is open by PID %d (%s) "
		  "through %s%s; stop that process first", bdf, h[0].vf, h[0].pid,
		  h[0].comm[0] ? h[0].comm : "?", h[0].path, n > 1 ? ", and other processes hold VFs too" : "");
	return -EBUSY;
}

static int check_rules(const struct sriov_env *env, const struct sriov_pf_state *st, int wanted,
		       char *msg, size_t msglen)
{
	if (wanted < 0 || wanted > st->totalvfs) {
		sriov_msg(msg, msglen, "%s supports at most %d VFs (sriov_totalvfs); %d asked", st->bdf,
			  st->totalvfs, wanted);
		return -ERANGE;
	}
	if (st->numvfs && wanted) {
		sriov_msg(msg, msglen, "%s has %d VFs: the kernel changes a nonzero count only through 0; "
			  "disable first, then enable %d", st->bdf, st->numvfs, wanted);
		return -EBUSY;
	}
	if (!wanted)
		return check_holders(env, st->bdf, msg, msglen);
	if (!st->driver[0]) {
		sriov_msg(msg, msglen, "%s has no driver: the kernel creates VFs only through the PF's "
			  "driver; bind one first", st->bdf);
		return -ENOENT;
	}
	return check_vfio_pf(env, st, msg, msglen);
}

int sriov_autoprobe_set(const struct sriov_env *env, const char *bdf, bool on)
{
	return write_dev_attr(env, bdf, "sriov_drivers_autoprobe", on ? "1" : "0");
}

int sriov_numvfs_set(const struct sriov_env *env, const char *bdf, int wanted,
		     enum sriov_autoprobe autoprobe, struct sriov_numvfs_result *res, char *msg,
		     size_t msglen)
{
	struct sriov_pf_state st;
	char value[16];
	int ret = sriov_pf_read(env, bdf, &st, msg, msglen);

	memset(res, 0, sizeof(*res));
	if (ret)
		return ret;
	res->before = res->after = st.numvfs;
	res->wanted = wanted;
	res->vf_token = driver_is_vfio(st.driver);
	if (wanted == st.numvfs && wanted <= st.totalvfs)
		return 0;
	ret = check_rules(env, &st, wanted, msg, msglen);
	if (ret)
		return ret;
	if (wanted && autoprobe != SRIOV_AUTOPROBE_KEEP) {
		ret = sriov_autoprobe_set(env, bdf, autoprobe == SRIOV_AUTOPROBE_ON);
		if (ret) {
			sriov_msg(msg, msglen, "%s: cannot write sriov_drivers_autoprobe: %s", bdf,
				  strerror(-ret));
			return ret;
		}
	}
	snprintf(value, sizeof(value), "%d", wanted);
	ret = write_dev_attr(env, bdf, "sriov_numvfs", value);
	res->changed = true;
	if (sriov_dev_read_int(env, bdf, "sriov_numvfs", 0, SRIOV_MAX_VFS, &res->after))
		res->after = -1;
	if (ret) {
		sriov_msg(msg, msglen, "the kernel refused sriov_numvfs=%d on %s: %s (now %d VFs)", wanted,
			  bdf, strerror(-ret), res->after);
		return ret;
	}
	if (res->after != wanted) {
		res->partial = true;
		sriov_msg(msg, msglen, "%s: %d VFs asked, the driver enabled %d", bdf, wanted, res->after);
	}
	return 0;
}
