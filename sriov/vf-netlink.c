/*
 * VF settings over rtnetlink: requests built by libnl-route (one attribute
 * each), answers decoded by libnl-route's link parser, and the transport
 * behind struct sriov_nl.
 */
#include <errno.h>
#include <stdbool.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/sriov.h>

#include "sriov-priv.h"

/* libnl's error codes are not errno values. */
static int nl_to_errno(int err)
{
	switch (-err) {
	case 0: return 0;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_INVAL: return -EINVAL;
	case NLE_RANGE: return -ERANGE;
	case NLE_MSGSIZE: return -EMSGSIZE;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	default: return -EBADMSG;
	}
}

static int vf_set_mac(struct rtnl_link_vf *vf, const struct sriov_vf_config *cfg)
{
	struct nl_addr *addr = nl_addr_build(AF_LLC, cfg->mac, 6);

	if (!addr)
		return -ENOMEM;
	rtnl_link_vf_set_addr(vf, addr);
	nl_addr_put(addr);
	return 0;
}

static int vf_set_vlan(struct rtnl_link_vf *vf, const struct sriov_vf_config *cfg)
{
	nl_vf_vlans_t *vlans;

	if (rtnl_link_vf_vlan_alloc(&vlans, 1))
		return -ENOMEM;
	vlans->vlans[0].vf_vlan = cfg->vlan;
	vlans->vlans[0].vf_vlan_qos = cfg->qos;
	vlans->vlans[0].vf_vlan_proto = ETH_P_8021Q;
	rtnl_link_vf_set_vlans(vf, vlans);
	rtnl_link_vf_vlan_put(vlans);
	return 0;
}

/* Put attribute a of cfg on vf (cur: the VF's current rates for a rate given alone). */
static int vf_set_one(struct rtnl_link_vf *vf, const struct sriov_vf_config *cfg,
		      enum sriov_vf_attr a)
{
	struct nl_vf_rate rate = { .api = RTNL_LINK_VF_RATE_API_NEW };

	switch (a) {
	case SRIOV_VF_MAC:
		return vf_set_mac(vf, cfg);
	case SRIOV_VF_VLAN:
		return vf_set_vlan(vf, cfg);
	case SRIOV_VF_SPOOFCHK:
		rtnl_link_vf_set_spoofchk(vf, cfg->spoofchk);
		return 0;
	case SRIOV_VF_TRUST:
		rtnl_link_vf_set_trust(vf, cfg->trust);
		return 0;
	case SRIOV_VF_RATE:
		rate.min_tx_rate = cfg->min_tx_rate;
		rate.max_tx_rate = cfg->max_tx_rate;
		rtnl_link_vf_set_rate(vf, &rate);
		return 0;
	case SRIOV_VF_LINK_STATE:
		rtnl_link_vf_set_linkstate(vf, (uint32_t)cfg->link_state);
		return 0;
	}
	return -EINVAL;
}

static int request_from_links(struct rtnl_link *orig, struct rtnl_link *chg, void **req,
			      size_t *len)
{
	struct nl_msg *msg = NULL;
	struct nlmsghdr *h;
	int ret = nl_to_errno(rtnl_link_build_change_request(orig, chg, 0, &msg));

	if (ret)
		return ret;
	h = nlmsg_hdr(msg);
	*req = malloc(h->nlmsg_len);
	if (*req) {
		memcpy(*req, h, h->nlmsg_len);
		((struct nlmsghdr *)*req)->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
		*len = h->nlmsg_len;
	}
	nlmsg_free(msg);
	return *req ? 0 : -ENOMEM;
}

int sriov_vf_request_build(int ifindex, const struct sriov_vf_config *cfg, enum sriov_vf_attr a,
			   void **req, size_t *len)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *chg = rtnl_link_alloc();
	struct rtnl_link_vf *vf = rtnl_link_vf_alloc();
	int ret = -ENOMEM;

	*req = NULL;
	if (!orig || !chg || !vf)
		goto out;
	rtnl_link_set_ifindex(orig, ifindex);
	rtnl_link_vf_set_index(vf, cfg->vf);
	ret = vf_set_one(vf, cfg, a);
	if (!ret)
		ret = nl_to_errno(rtnl_link_vf_add(chg, vf));
	if (!ret)
		ret = request_from_links(orig, chg, req, len);
out:
	if (vf)
		rtnl_link_vf_put(vf);
	rtnl_link_put(chg);
	rtnl_link_put(orig);
	return ret;
}

int sriov_vf_apply(const struct sriov_nl *nl, int ifindex, const struct sriov_vf_config *cfg,
		   const struct sriov_vf_config *cur, struct sriov_vf_outcome *out, size_t max)
{
	struct sriov_vf_config c = *cfg;
	size_t n = 0;

	if (cur && (cur->set & SRIOV_VF_RATE)) {
		if (!c.min_rate_given)
			c.min_tx_rate = cur->min_tx_rate;
		if (!c.max_rate_given)
			c.max_tx_rate = cur->max_tx_rate;
	}
	for (unsigned bit = 1; bit <= SRIOV_VF_LINK_STATE && n < max; bit <<= 1) {
		struct sriov_vf_outcome *o = &out[n];
		void *req, *reply = NULL;
		size_t len, rlen = 0;

		if (!(c.set & bit))
			continue;
		memset(o, 0, sizeof(*o));
		o->attr = (enum sriov_vf_attr)bit;
		o->err = sriov_vf_request_build(ifindex, &c, o->attr, &req, &len);
		if (o->err && !n)
			return o->err;
		if (!o->err) {
			o->err = nl->exchange(nl->ctx, req, len, &reply, &rlen, o->extack,
					      sizeof(o->extack));
			free(req);
			free(reply);
		}
		n++;
	}
	return (int)n;
}

static void vf_read_one(struct rtnl_link_vf *vf, struct sriov_vf_config *c)
{
	struct nl_vf_rate rate = { .api = RTNL_LINK_VF_RATE_API_NEW };
	struct nl_addr *addr = NULL;
	nl_vf_vlans_t *vlans = NULL;
	uint32_t v;

	/* libnl-route lends the address (no reference taken) but gives a reference on the VLANs. */
	if (!rtnl_link_vf_get_addr(vf, &addr) && addr && nl_addr_get_len(addr) >= 6) {
		memcpy(c->mac, nl_addr_get_binary_addr(addr), 6);
		c->set |= SRIOV_VF_MAC;
	}
	if (!rtnl_link_vf_get_vlans(vf, &vlans) && vlans) {
		if (vlans->size > 0) {
			c->vlan = vlans->vlans[0].vf_vlan;
			c->qos = vlans->vlans[0].vf_vlan_qos;
		}
		c->set |= SRIOV_VF_VLAN;
		rtnl_link_vf_vlan_put(vlans);
	}
	if (!rtnl_link_vf_get_spoofchk(vf, &v)) {
		c->spoofchk = v == 1;
		c->set |= SRIOV_VF_SPOOFCHK;
	}
	if (!rtnl_link_vf_get_trust(vf, &v)) {
		c->trust = v == 1;
		c->set |= SRIOV_VF_TRUST;
	}
	if (!rtnl_link_vf_get_rate(vf, &rate)) {
		c->min_tx_rate = rate.min_tx_rate;
		c->max_tx_rate = rate.max_tx_rate ? rate.max_tx_rate : rate.rate;
		c->set |= SRIOV_VF_RATE;
	}
	if (!rtnl_link_vf_get_linkstate(vf, &v) && v <= SRIOV_LINK_DISABLE) {
		c->link_state = (enum sriov_link_state)v;
		c->set |= SRIOV_VF_LINK_STATE;
	}
}

/* The IFLA_VF_* attributes read here, with the payload size the kernel sends for each. */
static const uint16_t vf_attr_size[IFLA_VF_MAX + 1] = {
	[IFLA_VF_MAC] = sizeof(struct ifla_vf_mac),
	[IFLA_VF_VLAN] = sizeof(struct ifla_vf_vlan),
	[IFLA_VF_TX_RATE] = sizeof(struct ifla_vf_tx_rate),
	[IFLA_VF_SPOOFCHK] = sizeof(struct ifla_vf_spoofchk),
	[IFLA_VF_LINK_STATE] = sizeof(struct ifla_vf_link_state),
	[IFLA_VF_RATE] = sizeof(struct ifla_vf_rate),
	[IFLA_VF_TRUST] = sizeof(struct ifla_vf_trust),
};

/* Copy one IFLA_VF_INFO entry, its known attributes only. -EBADMSG when malformed or without a MAC. */
static int vf_info_copy(struct nl_msg *out, struct nlattr *info)
{
	struct nlattr *a, *nest;
	bool mac = false;
	int rem;

	if (nla_type(info) != IFLA_VF_INFO || !(nest = nla_nest_start(out, IFLA_VF_INFO)))
		return -EBADMSG;
	nla_for_each_nested(a, info, rem) {
		int t = nla_type(a);

		if (t > IFLA_VF_MAX || !vf_attr_size[t])
			continue;
		if (nla_len(a) < vf_attr_size[t] || nla_put(out, t, vf_attr_size[t], nla_data(a)))
			return -EBADMSG;
		mac |= t == IFLA_VF_MAC;
	}
	nla_nest_end(out, nest);
	return rem == 0 && mac ? 0 : -EBADMSG;
}

/*
 * libnl-route 3.7 cannot be handed a kernel's RTM_NEWLINK as it is: it
 * refuses an IFLA_VF_RSS_QUERY_EN of the kernel's size (failing the whole
 * parse), trusts IFLA_NUM_VF (dereferencing a VF list it never made when
 * IFLA_VFINFO_LIST is absent) and leaks the VFs parsed before a bad entry.
 * So it gets a copy holding what is read here: the interface header, its
 * name, IFLA_NUM_VF and the known attributes of each well-formed VF entry.
 * *n is the number of VF entries. -EBADMSG when the message is malformed.
 */
static int link_msg_sanitize(const void *msg, struct nl_msg **out, uint32_t *n)
{
	struct nlattr *tb[IFLA_MAX + 1], *a, *list = NULL;
	const struct nlmsghdr *h = msg;
	char name[IF_NAMESIZE] = "";
	struct nl_msg *m;
	int rem = 0, ret = 0;

	*n = 0;
	if (nlmsg_parse((struct nlmsghdr *)h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) ||
	    (tb[IFLA_NUM_VF] && nla_len(tb[IFLA_NUM_VF]) != sizeof(uint32_t)) ||
	    !tb[IFLA_NUM_VF] != !tb[IFLA_VFINFO_LIST])
		return -EBADMSG;
	if (tb[IFLA_IFNAME])
		nla_strlcpy(name, tb[IFLA_IFNAME], sizeof(name));
	m = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	if (!m)
		return -ENOMEM;
	if (nlmsg_append(m, nlmsg_data(h), sizeof(struct ifinfomsg), NLMSG_ALIGNTO) ||
	    nla_put_string(m, IFLA_IFNAME, name[0] ? name : "?"))
		ret = -ENOMEM;
	if (!ret && tb[IFLA_VFINFO_LIST]) {
		list = nla_nest_start(m, IFLA_VFINFO_LIST);
		ret = list ? 0 : -ENOMEM;
		nla_for_each_nested(a, tb[IFLA_VFINFO_LIST], rem) {
			if (ret || (ret = vf_info_copy(m, a)))
				break;
			(*n)++;
		}
		if (!ret && (rem || *n != nla_get_u32(tb[IFLA_NUM_VF]) || *n > SRIOV_MAX_VFS))
			ret = -EBADMSG;
		if (!ret && (nla_nest_end(m, list) || nla_put_u32(m, IFLA_NUM_VF, *n)))
			ret = -ENOMEM;
	}
	if (ret)
		nlmsg_free(m);
	else
		*out = m;
	return ret;
}

static void link_parsed(struct nl_object *obj, void *arg)
{
	struct rtnl_link **out = arg;

	if (!*out) {
		nl_object_get(obj);
		*out = (struct rtnl_link *)obj;
	}
}

/* The link object libnl-route parses from one RTM_NEWLINK message; NULL when it refuses. */
static bool link_header_ok(const void *buf, size_t len)
{
	const struct nlmsghdr *h = buf;

	return len >= NLMSG_LENGTH(sizeof(struct ifinfomsg)) && h->nlmsg_len == len &&
	       h->nlmsg_type == RTM_NEWLINK;
}

/* The link object libnl-route parses from a sanitized message; NULL when it refuses. */
static struct rtnl_link *link_parse(struct nl_msg *msg)
{
	struct rtnl_link *link = NULL;

	nlmsg_set_proto(msg, NETLINK_ROUTE);
	if (nl_msg_parse(msg, link_parsed, &link) < 0 && link) {
		rtnl_link_put(link);
		link = NULL;
	}
	return link;
}

int sriov_vf_list_decode(const void *msg, size_t len, struct sriov_vf_config *out, size_t max)
{
	struct rtnl_link *link;
	struct nl_msg *clean;
	uint32_t num = 0, n;
	int ret;

	if (!link_header_ok(msg, len))
		return -EBADMSG;
	ret = link_msg_sanitize(msg, &clean, &n);
	if (ret)
		return ret;
	link = link_parse(clean);
	nlmsg_free(clean);
	if (!link)
		return -EBADMSG;
	if (n == 0 || rtnl_link_get_num_vf(link, &num) || num != n)
		num = 0;
	for (uint32_t i = 0; i < num && i < max; i++) {
		struct rtnl_link_vf *vf = rtnl_link_vf_get(link, i);

		memset(&out[i], 0, sizeof(out[i]));
		out[i].vf = i;
		if (vf) {
			vf_read_one(vf, &out[i]);
			rtnl_link_vf_put(vf);
		}
	}
	rtnl_link_put(link);
	return (int)num;
}

/* RTM_GETLINK for one interface, VF information included. */
struct getlink_req {
	struct nlmsghdr h;
	struct ifinfomsg ifi;
	struct rtattr ext_mask;
	uint32_t ext_mask_val;
};

int sriov_vf_list(const struct sriov_nl *nl, int ifindex, struct sriov_vf_config *out, size_t max)
{
	struct getlink_req req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK, .nlmsg_flags = NLM_F_REQUEST },
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex },
		.ext_mask = { .rta_len = RTA_LENGTH(sizeof(uint32_t)), .rta_type = IFLA_EXT_MASK },
		.ext_mask_val = RTEXT_FILTER_VF,
	};
	void *reply = NULL;
	size_t rlen = 0;
	char err[128];
	int ret = nl->exchange(nl->ctx, &req, sizeof(req), &reply, &rlen, err, sizeof(err));

	if (!ret && !reply)
		ret = -EBADMSG;
	if (!ret)
		ret = sriov_vf_list_decode(reply, rlen, out, max);
	free(reply);
	return ret;
}
