/*
 * VF settings over rtnetlink without a kernel: the user's KEY=VALUE
 * settings, the requests libnl-route builds (one attribute each), a fake
 * netlink peer that refuses chosen attributes, and RTM_NEWLINK answers
 * decoded by libnl-route, well-formed and hostile (every truncation, random
 * corruption). The bytes are checked against iproute2 in tests/cli/test-sriov.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "sriov.h"
#include "sriov-priv.h"

#define assert_contains(haystack, needle)                                                   \
	do {                                                                                \
		if (!strstr((haystack), (needle)))                                          \
			fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));  \
	} while (0)

static struct sriov_vf_config parse_all(const char *const *kv, size_t n, int want)
{
	struct sriov_vf_config c = { .vf = 3 };
	char msg[SRIOV_MSG_LEN];
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++)
		ret = sriov_vf_config_parse(&c, kv[i], msg, sizeof(msg));
	if (!ret)
		ret = sriov_vf_config_check(&c, msg, sizeof(msg));
	if (ret != want)
		fail_msg("%s...: %d, want %d (%s)", kv[0], ret, want, ret ? msg : "");
	return c;
}

static void test_config_parse(void **state)
{
	static const char *const good[] = { "mac=02:AA:bb:00:00:01", "vlan=100", "qos=7",
					    "spoofchk=off", "trust=on", "min_tx_rate=10",
					    "max_tx_rate=1000", "link-state=disable" };
	struct sriov_vf_config c = parse_all(good, 8, 0);

	assert_int_equal(c.set, SRIOV_VF_MAC | SRIOV_VF_VLAN | SRIOV_VF_SPOOFCHK | SRIOV_VF_TRUST |
				    SRIOV_VF_RATE | SRIOV_VF_LINK_STATE);
	assert_memory_equal(c.mac, ((uint8_t[]){ 2, 0xaa, 0xbb, 0, 0, 1 }), 6);
	assert_int_equal(c.vlan, 100);
	assert_int_equal(c.qos, 7);
	assert_false(c.spoofchk);
	assert_true(c.trust);
	assert_int_equal(c.min_tx_rate, 10);
	assert_int_equal(c.max_tx_rate, 1000);
	assert_int_equal(c.link_state, SRIOV_LINK_DISABLE);
}

static void test_config_refusals(void **state)
{
	static const char *const bad[][2] = {
		{ "mac=01:00:5e:00:00:01", NULL }, /* multicast */
		{ "mac=02:00:00:00:00", NULL },
		{ "mac=02:00:00:00:00:0g", NULL },
		{ "mac=02-00-00-00-00-01", NULL },
		{ "mac=02:00:00:00:00:01:", NULL },
		{ "vlan=4096", NULL },
		{ "vlan=-1", NULL },
		{ "vlan= 1", NULL },
		{ "vlan=0x10", NULL },
		{ "qos=8", "vlan=1" },
		{ "qos=3", NULL },                 /* qos without a vlan */
		{ "spoofchk=yes", NULL },
		{ "trust=", NULL },
		{ "max_tx_rate=4294967296", NULL },
		{ "min_tx_rate=100", "max_tx_rate=10" },
		{ "link-state=up", NULL },
		{ "colour=red", NULL },
		{ "=1", NULL },
		{ "mac", NULL },
		{ "averyveryveryveryveryverylongkey=1", NULL },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_all(bad[i], bad[i][1] ? 2 : 1, -EINVAL);
	parse_all((const char *const[]){ "min_tx_rate=100", "max_tx_rate=0" }, 2, 0); /* 0: no limit */
}

/* The innermost attribute of a VF request: IFLA_VFINFO_LIST / IFLA_VF_INFO / it. */
static const struct nlattr *vf_attr(const void *req, size_t len)
{
	const struct nlmsghdr *h = req;
	struct nlattr *tb[IFLA_MAX + 1], *info, *inner;
	int rem;

	assert_int_equal(h->nlmsg_len, len);
	assert_int_equal(h->nlmsg_type, RTM_NEWLINK);
	assert_int_equal(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(nlmsg_parse((struct nlmsghdr *)h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL), 0);
	assert_int_equal(((struct ifinfomsg *)nlmsg_data(h))->ifi_index, 7);
	assert_non_null(tb[IFLA_VFINFO_LIST]);
	info = nla_data(tb[IFLA_VFINFO_LIST]);
	assert_int_equal(nla_type(info), IFLA_VF_INFO);
	assert_int_equal(nla_len(tb[IFLA_VFINFO_LIST]), nla_total_size(nla_len(info)));
	inner = nla_data(info);
	rem = nla_len(info);
	assert_true(nla_ok(inner, rem));
	assert_int_equal(nla_total_size(nla_len(inner)), rem); /* exactly one attribute */
	return inner;
}

static void test_requests_one_attribute_each(void **state)
{
	struct sriov_vf_config c = { .vf = 3, .mac = { 2, 0, 0, 0, 0, 9 }, .vlan = 10, .qos = 3,
				     .spoofchk = true, .trust = false, .min_tx_rate = 5,
				     .max_tx_rate = 50, .link_state = SRIOV_LINK_ENABLE };
	const struct nlattr *a;
	void *req;
	size_t len;

	assert_int_equal(sriov_vf_request_build(7, &c, SRIOV_VF_MAC, &req, &len), 0);
	a = vf_attr(req, len);
	assert_int_equal(nla_type(a), IFLA_VF_MAC);
	assert_int_equal(((struct ifla_vf_mac *)nla_data(a))->vf, 3);
	assert_memory_equal(((struct ifla_vf_mac *)nla_data(a))->mac, c.mac, 6);
	free(req);
	assert_int_equal(sriov_vf_request_build(7, &c, SRIOV_VF_VLAN, &req, &len), 0);
	a = vf_attr(req, len);
	assert_int_equal(nla_type(a), IFLA_VF_VLAN);
	assert_int_equal(((struct ifla_vf_vlan *)nla_data(a))->vlan, 10);
	assert_int_equal(((struct ifla_vf_vlan *)nla_data(a))->qos, 3);
	free(req);
	assert_int_equal(sriov_vf_request_build(7, &c, SRIOV_VF_SPOOFCHK, &req, &len), 0);
	a = vf_attr(req, len);
	assert_int_equal(nla_type(a), IFLA_VF_SPOOFCHK);
	assert_int_equal(((struct ifla_vf_spoofchk *)nla_data(a))->setting, 1);
	free(req);
	assert_int_equal(sriov_vf_request_build(7, &c, SRIOV_VF_TRUST, &req, &len), 0);
	a = vf_attr(req, len);
	assert_int_equal(nla_type(a), IFLA_VF_TRUST);
	assert_int_equal(((struct ifla_vf_trust *)nla_data(a))->setting, 0);
	free(req);
	assert_int_equal(sriov_vf_request_build(7, &c, SRIOV_VF_RATE, &req, &len), 0);
	a = vf_attr(req, len);
	assert_int_equal(nla_type(a), IFLA_VF_RATE);
	assert_int_equal(((struct ifla_vf_rate *)nla_data(a))->min_tx_rate, 5);
	assert_int_equal(((struct ifla_vf_rate *)nla_data(a))->max_tx_rate, 50);
	free(req);
	assert_int_equal(sriov_vf_request_build(7, &c, SRIOV_VF_LINK_STATE, &req, &len), 0);
	a = vf_attr(req, len);
	assert_int_equal(nla_type(a), IFLA_VF_LINK_STATE);
	assert_int_equal(((struct ifla_vf_link_state *)nla_data(a))->link_state, IFLA_VF_LINK_STATE_ENABLE);
	free(req);
}

/* A peer that answers every request, refusing the attributes it is told to. */
struct fake_peer {
	int refuse_type, refuse_err;
	const char *extack;
	int requests;
	int types[16];
	struct ifla_vf_rate last_rate;
	void *getlink_reply;        /* answer to RTM_GETLINK (copied out) */
	size_t getlink_len;
	uint32_t getlink_ext_mask;
};

static int peer_exchange(void *ctx, const void *req, size_t len, void **reply, size_t *reply_len,
			 char *err, size_t errlen)
{
	struct fake_peer *p = ctx;
	const struct nlmsghdr *h = req;
	const struct nlattr *a;

	*reply = NULL;
	if (h->nlmsg_type == RTM_GETLINK) {
		struct nlattr *tb[IFLA_MAX + 1];

		assert_int_equal(nlmsg_parse((struct nlmsghdr *)h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL), 0);
		p->getlink_ext_mask = tb[IFLA_EXT_MASK] ? nla_get_u32(tb[IFLA_EXT_MASK]) : 0;
		if (!p->getlink_reply)
			return -ENODEV;
		*reply = malloc(p->getlink_len);
		memcpy(*reply, p->getlink_reply, p->getlink_len);
		*reply_len = p->getlink_len;
		return 0;
	}
	a = vf_attr(req, len);
	p->types[p->requests++ % 16] = nla_type(a);
	if (nla_type(a) == IFLA_VF_RATE)
		memcpy(&p->last_rate, nla_data(a), sizeof(p->last_rate));
	if (nla_type(a) != p->refuse_type)
		return 0;
	snprintf(err, errlen, "%s", p->extack ? p->extack : "");
	return p->refuse_err;
}

static void test_apply_names_the_refused_setting(void **state)
{
	struct fake_peer p = { .refuse_type = IFLA_VF_TRUST, .refuse_err = -EOPNOTSUPP,
			       .extack = "trust is not supported by this driver" };
	struct sriov_nl nl = { peer_exchange, &p };
	static const char *const kv[] = { "mac=02:00:00:00:00:01", "vlan=5", "trust=on",
					  "link-state=auto" };
	struct sriov_vf_config c = parse_all(kv, 4, 0);
	struct sriov_vf_outcome out[8];
	int n = sriov_vf_apply(&nl, 7, &c, NULL, out, 8);

	assert_int_equal(n, 4);
	assert_int_equal(p.requests, 4);
	assert_int_equal(p.types[0], IFLA_VF_MAC);
	assert_int_equal(p.types[1], IFLA_VF_VLAN);
	assert_int_equal(p.types[2], IFLA_VF_TRUST);
	assert_int_equal(p.types[3], IFLA_VF_LINK_STATE);
	for (int i = 0; i < n; i++) {
		if (out[i].attr == SRIOV_VF_TRUST) {
			assert_int_equal(out[i].err, -EOPNOTSUPP);
			assert_string_equal(out[i].extack, "trust is not supported by this driver");
			assert_string_equal(sriov_vf_attr_name(out[i].attr), "trust");
		} else {
			assert_int_equal(out[i].err, 0);
		}
	}
}

static void test_rate_alone_keeps_the_other(void **state)
{
	struct fake_peer p = { 0 };
	struct sriov_nl nl = { peer_exchange, &p };
	struct sriov_vf_config cur = { .vf = 3, .set = SRIOV_VF_RATE, .min_tx_rate = 20,
				       .max_tx_rate = 900 };
	struct sriov_vf_config c = parse_all((const char *const[]){ "max_tx_rate=500" }, 1, 0);
	struct sriov_vf_outcome out[8];

	assert_int_equal(sriov_vf_apply(&nl, 7, &c, &cur, out, 8), 1);
	assert_int_equal(p.last_rate.min_tx_rate, 20);
	assert_int_equal(p.last_rate.max_tx_rate, 500);
	assert_int_equal(sriov_vf_apply(&nl, 7, &c, NULL, out, 8), 1);
	assert_int_equal(p.last_rate.min_tx_rate, 0);
}

/* An RTM_NEWLINK answer as the kernel sends it for a PF with two VFs. */
static struct nl_msg *newlink_two_vfs(void)
{
	struct nl_msg *m = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 7 };
	struct nlattr *list, *info;

	assert_non_null(m);
	assert_int_equal(nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
	nla_put_string(m, IFLA_IFNAME, "enp3s0f0");
	nla_put_u32(m, IFLA_NUM_VF, 2);
	list = nla_nest_start(m, IFLA_VFINFO_LIST);
	for (uint32_t vf = 0; vf < 2; vf++) {
		struct ifla_vf_mac mac = { .vf = vf, .mac = { 2, 0, 0, 0, 0, (uint8_t)(0x10 + vf) } };
		struct ifla_vf_vlan vlan = { .vf = vf, .vlan = vf ? 100 : 0, .qos = vf ? 5 : 0 };
		struct ifla_vf_tx_rate tx = { .vf = vf, .rate = vf ? 300 : 0 };
		struct ifla_vf_rate rate = { .vf = vf, .min_tx_rate = vf ? 10 : 0, .max_tx_rate = vf ? 300 : 0 };
		struct ifla_vf_spoofchk sp = { .vf = vf, .setting = vf };
		struct ifla_vf_link_state ls = { .vf = vf, .link_state = vf ? IFLA_VF_LINK_STATE_DISABLE : 0 };
		struct ifla_vf_trust tr = { .vf = vf, .setting = !vf };
		struct ifla_vf_rss_query_en rss = { .vf = vf, .setting = 0 };
		struct nlattr *stats;

		info = nla_nest_start(m, IFLA_VF_INFO);
		nla_put(m, IFLA_VF_MAC, sizeof(mac), &mac);
		nla_put(m, IFLA_VF_VLAN, sizeof(vlan), &vlan);
		nla_put(m, IFLA_VF_TX_RATE, sizeof(tx), &tx);
		nla_put(m, IFLA_VF_RATE, sizeof(rate), &rate);
		nla_put(m, IFLA_VF_SPOOFCHK, sizeof(sp), &sp);
		nla_put(m, IFLA_VF_LINK_STATE, sizeof(ls), &ls);
		nla_put(m, IFLA_VF_TRUST, sizeof(tr), &tr);
		/* the kernel always sends these two; libnl-route 3.7 alone fails on the first */
		nla_put(m, IFLA_VF_RSS_QUERY_EN, sizeof(rss), &rss);
		stats = nla_nest_start(m, IFLA_VF_STATS);
		nla_put_u64(m, IFLA_VF_STATS_RX_PACKETS, 12345);
		nla_nest_end(m, stats);
		nla_nest_end(m, info);
	}
	nla_nest_end(m, list);
	return m;
}

static void test_list_decodes_the_kernel_answer(void **state)
{
	struct nl_msg *m = newlink_two_vfs();
	struct fake_peer p = { .getlink_reply = nlmsg_hdr(m), .getlink_len = nlmsg_hdr(m)->nlmsg_len };
	struct sriov_nl nl = { peer_exchange, &p };
	struct sriov_vf_config c[4];

	assert_int_equal(sriov_vf_list(&nl, 7, c, 4), 2);
	assert_int_equal(p.getlink_ext_mask & RTEXT_FILTER_VF, RTEXT_FILTER_VF);
	assert_int_equal(c[0].vf, 0);
	assert_memory_equal(c[0].mac, ((uint8_t[]){ 2, 0, 0, 0, 0, 0x10 }), 6);
	assert_int_equal(c[0].vlan, 0);
	assert_false(c[0].spoofchk);
	assert_true(c[0].trust);
	assert_int_equal(c[0].link_state, SRIOV_LINK_AUTO);
	assert_memory_equal(c[1].mac, ((uint8_t[]){ 2, 0, 0, 0, 0, 0x11 }), 6);
	assert_int_equal(c[1].vlan, 100);
	assert_int_equal(c[1].qos, 5);
	assert_true(c[1].spoofchk);
	assert_false(c[1].trust);
	assert_int_equal(c[1].min_tx_rate, 10);
	assert_int_equal(c[1].max_tx_rate, 300);
	assert_int_equal(c[1].link_state, SRIOV_LINK_DISABLE);
	assert_true(c[1].set & SRIOV_VF_MAC);
	assert_int_equal(sriov_vf_list(&nl, 7, c, 1), 2); /* more VFs than room: counted */
	p.getlink_reply = NULL;
	assert_int_equal(sriov_vf_list(&nl, 7, c, 4), -ENODEV);
	nlmsg_free(m);
}

/* Hostile answers: each must decode to something or be refused, under ASan, never read out of bounds. */
static void decode_copy(const void *bytes, size_t len, uint32_t claimed)
{
	unsigned char *copy = malloc(len ? len : 1);
	struct sriov_vf_config c[4];
	int ret;

	memcpy(copy, bytes, len);
	if (len >= sizeof(struct nlmsghdr))
		((struct nlmsghdr *)copy)->nlmsg_len = claimed;
	ret = sriov_vf_list_decode(copy, len, c, 4);
	if (ret < 0 && ret != -EBADMSG)
		fail_msg("decode of %zu bytes: %d", len, ret);
	free(copy);
}

static void test_decode_hostile(void **state)
{
	struct nl_msg *m = newlink_two_vfs();
	const unsigned char *good = (const void *)nlmsg_hdr(m);
	size_t len = nlmsg_hdr(m)->nlmsg_len;
	unsigned char *buf = malloc(len);
	struct sriov_vf_config c[4];
	unsigned seed = 12345;

	for (size_t cut = 0; cut < len; cut++) {
		decode_copy(good, cut, (uint32_t)cut);       /* truncated, header agrees */
		decode_copy(good, cut, (uint32_t)len);       /* truncated, header claims more */
	}
	assert_int_equal(sriov_vf_list_decode(good, len + 0, c, 4), 2);
	for (int round = 0; round < 3000; round++) {
		memcpy(buf, good, len);
		for (int flips = 1 + round % 8; flips; flips--) {
			seed = seed * 1103515245u + 12345u;
			size_t at = sizeof(struct nlmsghdr) + (seed >> 8) % (len - sizeof(struct nlmsghdr));

			seed = seed * 1103515245u + 12345u;
			buf[at] = (unsigned char)(seed >> 16);
		}
		decode_copy(buf, len, (uint32_t)len);
	}
	{	/* IFLA_NUM_VF without IFLA_VFINFO_LIST: libnl-route 3.7 alone would crash */
		struct nl_msg *bare = nlmsg_alloc_simple(RTM_NEWLINK, 0);
		struct ifinfomsg ifi = { .ifi_index = 7 };

		nlmsg_append(bare, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
		nla_put_string(bare, IFLA_IFNAME, "x");
		nla_put_u32(bare, IFLA_NUM_VF, 2);
		assert_int_equal(sriov_vf_list_decode(nlmsg_hdr(bare), nlmsg_hdr(bare)->nlmsg_len, c, 4),
				 -EBADMSG);
		nlmsg_free(bare);
	}
	((struct nlmsghdr *)buf)->nlmsg_type = RTM_DELLINK;
	assert_int_equal(sriov_vf_list_decode(buf, len, c, 4), -EBADMSG);
	free(buf);
	nlmsg_free(m);
}

/* A datagram holding an error answer to seq 9 with a capped extended ack. */
static size_t error_datagram(unsigned char *buf, int code, const char *text, uint16_t flags)
{
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct nlmsgerr *e = NLMSG_DATA(h);
	struct nlattr *a = (struct nlattr *)((unsigned char *)e + NLMSG_ALIGN(sizeof(*e)));
	size_t tlen = strlen(text) + 1;

	memset(buf, 0, 256);
	e->error = code;
	a->nla_type = NLMSGERR_ATTR_MSG;
	a->nla_len = (uint16_t)(NLA_HDRLEN + tlen);
	memcpy(a + 1, text, tlen);
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = 9;
	h->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*e)) + NLA_ALIGN(a->nla_len));
	return h->nlmsg_len;
}

static void test_answers_from_the_socket(void **state)
{
	unsigned char buf[256], copy[256];
	char err[64];
	void *reply = NULL;
	size_t rlen, len = error_datagram(buf, -EOPNOTSUPP, "VF trust unsupported",
					  NLM_F_CAPPED | NLM_F_ACK_TLVS);
	int code = 1;
	unsigned seed = 7;

	assert_int_equal(sriov_nl_answer_read(buf, (int)len, 9, &reply, &rlen, &code, err, sizeof(err)), 1);
	assert_int_equal(code, -EOPNOTSUPP);
	assert_string_equal(err, "VF trust unsupported");
	assert_int_equal(sriov_nl_answer_read(buf, (int)len, 8, &reply, &rlen, &code, err, sizeof(err)), 0);
	err[0] = '\0';
	len = error_datagram(buf, 0, "ignored", NLM_F_ACK_TLVS); /* not capped: no message read */
	assert_int_equal(sriov_nl_answer_read(buf, (int)len, 9, &reply, &rlen, &code, err, sizeof(err)), 1);
	assert_int_equal(code, 0);
	assert_string_equal(err, "");
	/* a message attribute longer than its message, a header shorter than an error */
	len = error_datagram(buf, -EINVAL, "x", NLM_F_CAPPED | NLM_F_ACK_TLVS);
	((struct nlattr *)(buf + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nlmsgerr))))->nla_len = 200;
	assert_int_equal(sriov_nl_answer_read(buf, (int)len, 9, &reply, &rlen, &code, err, sizeof(err)), 1);
	assert_string_equal(err, "");
	((struct nlmsghdr *)buf)->nlmsg_len = NLMSG_HDRLEN + 4;
	assert_int_equal(sriov_nl_answer_read(buf, (int)len, 9, &reply, &rlen, &code, err, sizeof(err)), -EBADMSG);
	/* corrupted datagrams: every outcome but a crash or an over-read is fine */
	len = error_datagram(buf, -EPERM, "refused by the driver", NLM_F_CAPPED | NLM_F_ACK_TLVS);
	for (int round = 0; round < 5000; round++) {
		int n = (int)(len - (size_t)round % 8);

		memcpy(copy, buf, len);
		seed = seed * 1103515245u + 12345u;
		copy[(seed >> 8) % len] = (unsigned char)(seed >> 20);
		seed = seed * 1103515245u + 12345u;
		copy[(seed >> 8) % len] ^= (unsigned char)(seed >> 24);
		reply = NULL;
		if (sriov_nl_answer_read(copy, n, 9, &reply, &rlen, &code, err, sizeof(err)) == 1)
			assert_true(strlen(err) < sizeof(err));
		free(reply);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_parse),
		cmocka_unit_test(test_config_refusals),
		cmocka_unit_test(test_requests_one_attribute_each),
		cmocka_unit_test(test_apply_names_the_refused_setting),
		cmocka_unit_test(test_rate_alone_keeps_the_other),
		cmocka_unit_test(test_list_decodes_the_kernel_answer),
		cmocka_unit_test(test_decode_hostile),
		cmocka_unit_test(test_answers_from_the_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
