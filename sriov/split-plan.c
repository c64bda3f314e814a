/* The split plan: VFs per guest, their addresses and MACs, the PF's NUMA node. */
#include <errno.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "split.h"
#include "sriov-priv.h"
#include "sysfs.h"

#define PCI_EXT_CAP_START 0x100
#define PCI_EXT_CAP_ID_SRIOV 0x0010
#define SRIOV_VF_OFFSET 0x14
#define SRIOV_VF_STRIDE 0x16

static void cpus_append(char *buf, size_t len, int lo, int hi)
{
	size_t used = strlen(buf);

	if (used + 1 >= len)
		return;
	snprintf(buf + used, len - used, lo == hi ? "%s%d" : "%s%d-%d", used ? "," : "", lo, hi);
}

int split_node_cpus(int node, char *buf, size_t len)
{
	struct bitmask *mask;
	int lo = -1, ncpus;

	buf[0] = '\0';
	if (numa_available() < 0)
		return -ENOSYS;
	if (node < 0 || node > numa_max_node())
		return -EINVAL;
	mask = numa_allocate_cpumask();
	if (!mask)
		return -ENOMEM;
	if (numa_node_to_cpus(node, mask)) {
		numa_free_cpumask(mask);
		return -EINVAL;
	}
	ncpus = (int)mask->size;
	for (int c = 0; c <= ncpus; c++) {
		bool set = c < ncpus && numa_bitmask_isbitset(mask, (unsigned)c);

		if (set && lo < 0)
			lo = c;
		if (!set && lo >= 0) {
			cpus_append(buf, len, lo, c - 1);
			lo = -1;
		}
	}
	numa_free_cpumask(mask);
	return buf[0] ? 0 : -EINVAL;
}

void split_mac(const char *seed, unsigned index, uint8_t mac[6])
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)seed; *p; p++)
		h = (h ^ *p) * 16777619u;
	mac[0] = 0x02;
	mac[1] = (uint8_t)(h >> 16);
	mac[2] = (uint8_t)(h >> 8);
	mac[3] = (uint8_t)h;
	mac[4] = (uint8_t)(index >> 8);
	mac[5] = (uint8_t)index;
}

/* The SR-IOV capability's First VF Offset and VF Stride from the PF's config space. */
static int sriov_cap_read(const struct sriov_env *env, const char *bdf, unsigned *offset,
			  unsigned *stride)
{
	unsigned char cfg[4096];
	char path[SRIOV_PATH_LEN];
	unsigned pos = PCI_EXT_CAP_START;
	FILE *f;
	size_t n;

	if (sriov_dev_attr(env, bdf, "config", path, sizeof(path)))
		return -ENAMETOOLONG;
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	n = fread(cfg, 1, sizeof(cfg), f);
	fclose(f);
	for (int hops = 0; hops < 512 && pos >= PCI_EXT_CAP_START && pos + 0x18 <= n; hops++) {
		uint32_t hdr = cfg[pos] | cfg[pos + 1] << 8 | cfg[pos + 2] << 16 | (uint32_t)cfg[pos + 3] << 24;

		if ((hdr & 0xffff) == PCI_EXT_CAP_ID_SRIOV) {
			*offset = cfg[pos + SRIOV_VF_OFFSET] | cfg[pos + SRIOV_VF_OFFSET + 1] << 8;
			*stride = cfg[pos + SRIOV_VF_STRIDE] | cfg[pos + SRIOV_VF_STRIDE + 1] << 8;
			return 0;
		}
		pos = (hdr >> 20) & 0xffc;
	}
	return -ENOENT;
}

/* VF i's routing ID is the PF's plus First VF Offset plus i times VF Stride (PCIe SR-IOV). */
static int vf_bdfs_compute(const struct sriov_env *env, struct split_plan *p)
{
	unsigned dom, bus, dev, fn, offset, stride;

	if (sscanf(p->pf, "%4x:%2x:%2x.%1u", &dom, &bus, &dev, &fn) != 4 ||
	    sriov_cap_read(env, p->pf, &offset, &stride))
		return -ENOENT;
	for (size_t i = 0; i < p->n_vfs; i++) {
		unsigned rid = (bus << 8 | dev << 3 | fn) + offset + (unsigned)i * stride;

		if (rid > 0xffff)
			return -ERANGE;
		snprintf(p->vfs[i].bdf, sizeof(p->vfs[i].bdf), "%04x:%02x:%02x.%u", dom, rid >> 8,
			 (rid >> 3) & 0x1f, rid & 7);
	}
	return 0;
}

/* The addresses of the VFs that exist, when they are the ones the plan wants. */
static int vf_bdfs_from_links(const struct sriov_env *env, struct split_plan *p)
{
	char path[SRIOV_PATH_LEN], name[32];

	if (p->numvfs_now != p->numvfs_wanted)
		return -ENOENT;
	for (size_t i = 0; i < p->n_vfs; i++) {
		snprintf(name, sizeof(name), "virtfn%zu", i);
		if (sriov_dev_attr(env, p->pf, name, path, sizeof(path)) ||
		    sysfs_read_link_name(path, p->vfs[i].bdf, sizeof(p->vfs[i].bdf)) ||
		    pci_bdf_parse(p->vfs[i].bdf, p->vfs[i].bdf)) {
			for (size_t j = 0; j < p->n_vfs; j++)
				p->vfs[j].bdf[0] = '\0';
			return -ENOENT;
		}
	}
	p->bdfs_from_links = true;
	return 0;
}

int split_plan_read_vfs(const struct sriov_env *env, struct split_plan *plan)
{
	struct sriov_pf_state st;
	int ret = sriov_pf_read(env, plan->pf, &st, NULL, 0);

	if (ret)
		return ret;
	plan->numvfs_now = st.numvfs;
	plan->through_zero = false;
	return vf_bdfs_from_links(env, plan);
}

static int take_first(const char *name, void *opaque)
{
	snprintf(opaque, IF_NAMESIZE, "%s", name);
	return 1;
}

/* The PF's netdev and the seed of its VFs' MACs. */
static void pf_identity(const struct sriov_env *env, struct split_plan *p)
{
	char path[SRIOV_PATH_LEN], mac[32] = "";
	uint8_t bin[6];

	if (!sriov_dev_attr(env, p->pf, "net", path, sizeof(path)))
		(void)sysfs_for_each_entry(path, take_first, p->netdev);
	if (p->netdev[0] && strlen(p->netdev) < 64 &&
	    !sysfs_path(path, sizeof(path), env->sysfs_root, "bus/pci/devices/%s/net/%s/address",
			p->pf, p->netdev) &&
	    !sysfs_read_str(path, mac, sizeof(mac)) && !sriov_mac_parse(mac, bin)) {
		sriov_mac_format(bin, p->mac_seed, sizeof(p->mac_seed));
		return;
	}
	snprintf(p->mac_seed, sizeof(p->mac_seed), "%s", p->pf);
}

static void plan_numa(const struct sriov_env *env, struct split_plan *p,
		      int (*node_cpus)(int, char *, size_t))
{
	if (sriov_dev_read_int(env, p->pf, "numa_node", -1, 1 << 20, &p->numa_node))
		p->numa_node = -1;
	if (p->numa_node >= 0 && (node_cpus ? node_cpus : split_node_cpus)(p->numa_node, p->cpus,
									     sizeof(p->cpus)))
		p->cpus[0] = '\0';
}

int split_plan_make(const struct sriov_env *env, const char *pf_bdf, unsigned guests,
		    unsigned vfs_per_guest, int (*node_cpus)(int node, char *buf, size_t len),
		    struct split_plan *plan, char *msg, size_t msglen)
{
	struct sriov_pf_state st;
	unsigned long total = (unsigned long)guests * vfs_per_guest;
	int ret;

	memset(plan, 0, sizeof(*plan));
	ret = sriov_pf_read(env, pf_bdf, &st, msg, msglen);
	if (ret)
		return ret;
	if (!guests || !vfs_per_guest || total > (unsigned long)st.totalvfs) {
		sriov_msg(msg, msglen, "%u guests with %u VFs each need %lu VFs; %s has at most %d",
			  guests, vfs_per_guest, total, pf_bdf, st.totalvfs);
		return -ERANGE;
	}
	snprintf(plan->pf, sizeof(plan->pf), "%s", pf_bdf);
	snprintf(plan->pf_driver, sizeof(plan->pf_driver), "%s", st.driver);
	plan->totalvfs = st.totalvfs;
	plan->numvfs_now = st.numvfs;
	plan->numvfs_wanted = (int)total;
	plan->through_zero = st.numvfs && st.numvfs != (int)total;
	plan->guests = guests;
	plan->vfs_per_guest = vfs_per_guest;
	plan->vfs = calloc(total, sizeof(*plan->vfs));
	if (!plan->vfs)
		return -ENOMEM;
	plan->n_vfs = total;
	pf_identity(env, plan);
	for (size_t i = 0; i < total; i++) {
		plan->vfs[i].index = (unsigned)i;
		plan->vfs[i].guest = (unsigned)(i / vfs_per_guest);
		split_mac(plan->mac_seed, (unsigned)i, plan->vfs[i].mac);
	}
	if (vf_bdfs_from_links(env, plan) && vf_bdfs_compute(env, plan))
		for (size_t i = 0; i < total; i++)
			plan->vfs[i].bdf[0] = '\0';
	plan_numa(env, plan, node_cpus);
	return 0;
}

void split_plan_free(struct split_plan *plan)
{
	free(plan->vfs);
	plan->vfs = NULL;
	plan->n_vfs = 0;
}
