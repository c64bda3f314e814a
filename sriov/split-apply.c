/* Carrying out a split plan: the VF count, the VFs' MACs, vfio-pci; undone on failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "split.h"
#include "sriov-priv.h"

/* What the apply changed so far, for the rollback. */
struct undo {
	int autoprobe_before;           /* -1: unreadable, not restored */
	bool numvfs_changed;
	int ifindex;
	struct sriov_vf_config *macs;   /* per VF: its MAC before (set = SRIOV_VF_MAC) or nothing */
};

static int apply_numvfs(const struct split_apply_env *e, struct split_plan *p,
			struct split_apply_result *res, struct undo *u, char *msg, size_t msglen)
{
	struct sriov_numvfs_result r;
	int ret = 0;

	if (p->numvfs_now && p->numvfs_now != p->numvfs_wanted) {
		ret = sriov_numvfs_set(e->sriov, p->pf, 0, SRIOV_AUTOPROBE_KEEP, &r, msg, msglen);
		u->numvfs_changed = r.changed;
	}
	if (!ret) {
		ret = sriov_numvfs_set(e->sriov, p->pf, p->numvfs_wanted, SRIOV_AUTOPROBE_OFF, &r, msg,
				       msglen);
		u->numvfs_changed |= r.changed;
		if (!ret && r.partial)
			ret = -EIO;
	}
	res->numvfs_changed = u->numvfs_changed;
	if (ret)
		return ret;
	ret = split_plan_read_vfs(e->sriov, p);
	if (ret)
		sriov_msg(msg, msglen, "%s has %d VFs, but its virtfnN links do not name them all: %s",
			  p->pf, p->numvfs_now, strerror(-ret));
	return ret;
}

/* The PF netdev's ifindex from sysfs, so that fixture trees can give one. */
static int pf_ifindex(const struct split_apply_env *e, const struct split_plan *p)
{
	char attr[IF_NAMESIZE + 16];
	int ifindex;

	snprintf(attr, sizeof(attr), "net/%s/ifindex", p->netdev);
	return sriov_dev_read_int(e->sriov, p->pf, attr, 1, 1 << 30, &ifindex) ? -ENODEV : ifindex;
}

static int set_mac(const struct split_apply_env *e, int ifindex, const struct sriov_vf_config *cfg,
		   char *msg, size_t msglen)
{
	struct sriov_vf_outcome out = { .err = 0 };
	char mac[24];
	int n = sriov_vf_apply(e->nl, ifindex, cfg, NULL, &out, 1);
	int ret = n < 0 ? n : n < 1 ? -EIO : out.err;

	if (ret)
		sriov_msg(msg, msglen, "the PF's driver refused MAC %s for VF %u: %s%s%s",
			  sriov_mac_format(cfg->mac, mac, sizeof(mac)), cfg->vf, strerror(-ret),
			  out.extack[0] ? ": " : "", out.extack);
	return ret;
}

/* The VF's MAC now, when the PF's driver reports it. */
static const uint8_t *mac_now(const struct sriov_vf_config *cur, int n, unsigned vf)
{
	for (int i = 0; i < n; i++)
		if (cur[i].vf == vf && (cur[i].set & SRIOV_VF_MAC))
			return cur[i].mac;
	return NULL;
}

static int apply_macs(const struct split_apply_env *e, const struct split_plan *p,
		      struct split_apply_result *res, struct undo *u, char *msg, size_t msglen)
{
	struct sriov_vf_config *cur;
	int n, ret = 0;

	if (!p->netdev[0] || !e->nl)
		return 0;
	u->ifindex = pf_ifindex(e, p);
	if (u->ifindex < 0) {
		sriov_msg(msg, msglen, "cannot read the ifindex of %s, the interface of %s", p->netdev,
			  p->pf);
		return u->ifindex;
	}
	cur = calloc(p->n_vfs, sizeof(*cur));
	u->macs = calloc(p->n_vfs, sizeof(*u->macs));
	if (!cur || !u->macs) {
		free(cur);
		return -ENOMEM;
	}
	n = sriov_vf_list(e->nl, u->ifindex, cur, p->n_vfs);
	for (size_t i = 0; i < p->n_vfs && !ret; i++) {
		const uint8_t *old = mac_now(cur, n, p->vfs[i].index);
		struct sriov_vf_config cfg = { .vf = p->vfs[i].index, .set = SRIOV_VF_MAC };

		if (old && !memcmp(old, p->vfs[i].mac, 6)) {
			res->macs_already++;
			continue;
		}
		memcpy(cfg.mac, p->vfs[i].mac, 6);
		ret = set_mac(e, u->ifindex, &cfg, msg, msglen);
		if (!ret && old) {
			u->macs[i] = (struct sriov_vf_config){ .vf = cfg.vf, .set = SRIOV_VF_MAC };
			memcpy(u->macs[i].mac, old, 6);
		}
		res->macs_set += !ret;
	}
	free(cur);
	return ret;
}

static void first_refusal(const struct bind_plan *bp, char *msg, size_t msglen)
{
	for (size_t i = 0; i < bp->n_steps; i++)
		if (bp->steps[i].action == BIND_REFUSED) {
			sriov_msg(msg, msglen, "VF %s cannot be handed to vfio-pci: %s", bp->steps[i].bdf,
				  bp->steps[i].why);
			return;
		}
}

static int apply_bind(const struct split_apply_env *e, const struct split_plan *p,
		      struct split_apply_result *res, char *msg, size_t msglen)
{
	const char **bdfs = calloc(p->n_vfs, sizeof(*bdfs));
	struct bind_plan bp;
	int ret;

	if (!bdfs)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_vfs; i++)
		bdfs[i] = p->vfs[i].bdf;
	ret = bind_plan_make(e->bind, bdfs, p->n_vfs, &bp);
	free(bdfs);
	if (ret) {
		sriov_msg(msg, msglen, "cannot read the PCI devices to bind the VFs: %s", strerror(-ret));
		return ret;
	}
	if (bp.n_refused) {
		first_refusal(&bp, msg, msglen);
		ret = -EPERM;
	} else {
		ret = bind_plan_apply(e->bind, &bp);
		if (ret)
			sriov_msg(msg, msglen, "binding the VFs to vfio-pci failed: %s", bp.error);
	}
	for (size_t i = 0; !ret && i < bp.n_steps; i++) {
		res->bound += bp.steps[i].action == BIND_CHANGE;
		res->bound_already += bp.steps[i].action == BIND_ALREADY;
	}
	bind_plan_free(&bp);
	return ret;
}

/* Undo in reverse order, every step whatever the others do. Returns how many failed. */
static unsigned rollback(const struct split_apply_env *e, const struct split_plan *p,
			 const struct split_apply_result *res, const struct undo *u)
{
	struct sriov_numvfs_result r;
	unsigned failed = 0;

	for (size_t i = 0; u->macs && i < p->n_vfs; i++)
		if (u->macs[i].set)
			failed += set_mac(e, u->ifindex, &u->macs[i], NULL, 0) != 0;
	if (!u->numvfs_changed)
		return failed;
	failed += sriov_numvfs_set(e->sriov, p->pf, 0, SRIOV_AUTOPROBE_KEEP, &r, NULL, 0) != 0;
	if (res->numvfs_before > 0)
		failed += sriov_numvfs_set(e->sriov, p->pf, res->numvfs_before, SRIOV_AUTOPROBE_KEEP,
					   &r, NULL, 0) != 0;
	if (u->autoprobe_before >= 0)
		failed += sriov_autoprobe_set(e->sriov, p->pf, u->autoprobe_before) != 0;
	return failed;
}

int split_plan_apply(const struct split_apply_env *e, struct split_plan *plan,
		     struct split_apply_result *res, char *msg, size_t msglen)
{
	struct undo u = { .autoprobe_before = -1 };
	struct sriov_pf_state st;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = sriov_pf_read(e->sriov, plan->pf, &st, msg, msglen);
	if (ret)
		return ret;
	res->numvfs_before = plan->numvfs_now = st.numvfs;
	u.autoprobe_before = st.autoprobe;
	ret = apply_numvfs(e, plan, res, &u, msg, msglen);
	if (!ret)
		ret = apply_macs(e, plan, res, &u, msg, msglen);
	if (!ret)
		ret = apply_bind(e, plan, res, msg, msglen);
	if (ret) {
		res->rollback_failures = rollback(e, plan, res, &u);
		res->rolled_back = true;
	}
	free(u.macs);
	return ret;
}
