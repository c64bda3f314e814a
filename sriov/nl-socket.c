/* The kernel as an sriov_nl: a NETLINK_ROUTE socket with extended acks. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "sriov-priv.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* The extack message after an error header (acks are capped: no echoed request). */
static void extack_read(const struct nlmsghdr *h, char *err, size_t errlen)
{
	size_t off = NLMSG_ALIGN(sizeof(struct nlmsgerr));
	const unsigned char *p = NLMSG_DATA(h);
	size_t len = h->nlmsg_len - NLMSG_HDRLEN;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || !(h->nlmsg_flags & NLM_F_CAPPED))
		return;
	while (off + sizeof(struct nlattr) <= len) {
		const struct nlattr *a = (const void *)(p + off);

		if (a->nla_len < sizeof(*a) || off + a->nla_len > len)
			return;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			size_t n = a->nla_len - sizeof(*a);

			n = strnlen((const char *)(a + 1), n);
			sriov_msg(err, errlen, "%.*s", (int)n, (const char *)(a + 1));
			return;
		}
		off += NLA_ALIGN(a->nla_len);
	}
}

int sriov_nl_answer_read(const unsigned char *buf, int n, uint32_t seq, void **reply,
			 size_t *reply_len, int *code, char *err, size_t errlen)
{
	const struct nlmsghdr *h = (const void *)buf;

	/* n goes negative past a last message whose length is not aligned. */
	for (; n >= 0 && NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_seq != seq)
			continue;
		if (h->nlmsg_type == NLMSG_ERROR) {
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return -EBADMSG;
			*code = ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
			extack_read(h, err, errlen);
			return 1;
		}
		if (h->nlmsg_type == RTM_NEWLINK) {
			*reply = malloc(h->nlmsg_len);
			if (!*reply)
				return -ENOMEM;
			memcpy(*reply, h, h->nlmsg_len);
			*reply_len = h->nlmsg_len;
			*code = 0;
			return 1;
		}
	}
	return 0;
}

static int sock_exchange(void *ctx, const void *req, size_t len, void **reply, size_t *reply_len,
			 char *err, size_t errlen)
{
	struct nl_sock *sk = ctx;
	struct sockaddr_nl peer;
	struct nlmsghdr *copy = malloc(len);
	unsigned char *buf = NULL;
	int ret, code = 0;

	if (err && errlen)
		err[0] = '\0';
	*reply = NULL;
	if (!copy)
		return -ENOMEM;
	memcpy(copy, req, len);
	copy->nlmsg_seq = nl_socket_use_seq(sk);
	ret = nl_sendto(sk, copy, len);
	if (ret < 0) {
		free(copy);
		return -EIO;
	}
	do {
		int n = nl_recv(sk, &peer, &buf, NULL);

		if (n <= 0) {
			ret = n == 0 ? -EBADMSG : -EIO;
			break;
		}
		ret = sriov_nl_answer_read(buf, n, copy->nlmsg_seq, reply, reply_len, &code, err, errlen);
		free(buf);
		buf = NULL;
	} while (!ret);
	free(copy);
	if (ret < 0)
		return ret;
	return code;
}

int sriov_nl_open(struct sriov_nl *nl)
{
	struct nl_sock *sk = nl_socket_alloc();
	int one = 1;

	if (!sk)
		return -ENOMEM;
	if (nl_connect(sk, NETLINK_ROUTE)) {
		nl_socket_free(sk);
		return -EPROTONOSUPPORT;
	}
	nl_socket_enable_msg_peek(sk);
	(void)setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->exchange = sock_exchange;
	nl->ctx = sk;
	return 0;
}

void sriov_nl_close(struct sriov_nl *nl)
{
	if (nl->ctx)
		nl_socket_free(nl->ctx);
	nl->ctx = NULL;
}
