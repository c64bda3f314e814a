/* Processes holding a PF's VFs open through VFIO, found in /proc/PID/fd. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sriov-priv.h"
#include "sysfs.h"

#define MAX_TARGETS 512

struct vfio_target {
	char path[64];
	char vf[PCI_BDF_STRLEN];
};

struct holders_ctx {
	const struct sriov_env *env;
	const char *pf;
	struct vfio_target *targets;
	size_t n_targets;
	struct sriov_holder *out;
	size_t max, found;
	int pid;                 /* the process being scanned */
	bool pid_counted;
	char comm[32];
};

static void target_add(struct holders_ctx *c, const char *vf, const char *fmt, const char *name)
{
	struct vfio_target *t;

	if (c->n_targets == MAX_TARGETS)
		return;
	t = &c->targets[c->n_targets++];
	snprintf(t->path, sizeof(t->path), fmt, name);
	snprintf(t->vf, sizeof(t->vf), "%s", vf);
}

static int add_vfio_dev(const char *name, void *opaque)
{
	struct holders_ctx *c = opaque;
	char vf[PCI_BDF_STRLEN];

	memcpy(vf, c->targets[c->n_targets - 1].vf, sizeof(vf));
	if (!strncmp(name, "vfio", 4))
		target_add(c, vf, "/dev/vfio/devices/%s", name);
	return 0;
}

/* The group file and the device file of each VF of the PF. */
static int add_vf_targets(const char *name, void *opaque)
{
	struct holders_ctx *c = opaque;
	char path[SRIOV_PATH_LEN], vf[PCI_BDF_STRLEN], group[32];

	if (strncmp(name, "virtfn", 6) || name[6] < '0' || name[6] > '9')
		return 0;
	if (sriov_dev_attr(c->env, c->pf, name, path, sizeof(path)) ||
	    sysfs_read_link_name(path, vf, sizeof(vf)))
		return 0;
	if (!sriov_dev_attr(c->env, vf, "iommu_group", path, sizeof(path)) &&
	    !sysfs_read_link_name(path, group, sizeof(group)))
		target_add(c, vf, "/dev/vfio/%s", group);
	else
		target_add(c, vf, "%s", "");
	if (!sriov_dev_attr(c->env, vf, "vfio-dev", path, sizeof(path)))
		(void)sysfs_for_each_entry(path, add_vfio_dev, c);
	return 0;
}

static const struct vfio_target *target_match(const struct holders_ctx *c, const char *link)
{
	for (size_t i = 0; i < c->n_targets; i++)
		if (c->targets[i].path[0] && !strcmp(c->targets[i].path, link))
			return &c->targets[i];
	return NULL;
}

static int scan_fd(const char *name, void *opaque)
{
	struct holders_ctx *c = opaque;
	const struct vfio_target *t;
	char path[SRIOV_PATH_LEN], link[128];
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/%d/fd/%s", c->env->proc_root, c->pid, name) >=
	    (int)sizeof(path))
		return 0;
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	t = target_match(c, link);
	if (!t || c->pid_counted)
		return 0;
	c->pid_counted = true; /* one entry per process: the first VF it holds */
	if (c->found < c->max) {
		struct sriov_holder *h = &c->out[c->found];

		h->pid = c->pid;
		snprintf(h->comm, sizeof(h->comm), "%s", c->comm);
		snprintf(h->vf, sizeof(h->vf), "%s", t->vf);
		snprintf(h->path, sizeof(h->path), "%s", t->path);
	}
	c->found++;
	return 0;
}

static int scan_pid(const char *name, void *opaque)
{
	struct holders_ctx *c = opaque;
	char path[SRIOV_PATH_LEN], *end;
	long pid = strtol(name, &end, 10);

	if (*end || end == name || pid <= 0 || pid > 0x7fffffff || name[0] < '1' || name[0] > '9')
		return 0;
	c->pid = (int)pid;
	c->pid_counted = false;
	c->comm[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%ld/comm", c->env->proc_root, pid) < (int)sizeof(path) &&
	    sysfs_read_str(path, c->comm, sizeof(c->comm)))
		c->comm[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%ld/fd", c->env->proc_root, pid) < (int)sizeof(path))
		(void)sysfs_for_each_entry(path, scan_fd, c);
	return 0;
}

int sriov_holders_find(const struct sriov_env *env, const char *pf_bdf, struct sriov_holder *out,
		       size_t max)
{
	struct holders_ctx c = { .env = env, .pf = pf_bdf, .out = out, .max = max };
	char dir[SRIOV_PATH_LEN];
	int ret = sriov_dev_attr(env, pf_bdf, "", dir, sizeof(dir));

	if (ret)
		return ret;
	c.targets = calloc(MAX_TARGETS, sizeof(*c.targets));
	if (!c.targets)
		return -ENOMEM;
	ret = sysfs_for_each_entry(dir, add_vf_targets, &c);
	if (!ret && c.n_targets)
		ret = sysfs_for_each_entry(env->proc_root, scan_pid, &c);
	free(c.targets);
	if (ret)
		return ret;
	return c.found > 0x7fffffff ? 0x7fffffff : (int)c.found;
}
