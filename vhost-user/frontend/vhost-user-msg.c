#include "vhost-user-msg.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const struct vhost_user_msg_desc vu_msgs[] = {
#define VU_ROW(n, i, req, fds, rep) \
	{ .name = #n, .id = i, .request = req, .max_fds = fds, .reply = rep },
	VHOST_USER_MESSAGES(VU_ROW)
#undef VU_ROW
};

/* The fixed part of the header is what the wire says it is. */
_Static_assert(offsetof(struct vhost_user_msg, payload) == VHOST_USER_HDR_SIZE, "header");
_Static_assert(sizeof(struct vhost_user_vring_addr) == 40, "vring addr");
_Static_assert(sizeof(struct vhost_user_mem_table) == 8 + 32 * VHOST_USER_MAX_REGIONS, "mem");

const struct vhost_user_msg_desc *vhost_user_msg_find(uint32_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(vu_msgs); i++)
		if (vu_msgs[i].id == id)
			return &vu_msgs[i];
	return NULL;
}

size_t vhost_user_payload_size(enum vhost_user_payload k, const union vhost_user_payload_buf *p)
{
	switch (k) {
	case VU_P_NONE: return 0;
	case VU_P_U64: return sizeof(p->u64);
	case VU_P_STATE: return sizeof(p->state);
	case VU_P_ADDR: return sizeof(p->addr);
	case VU_P_MEM:
		return offsetof(struct vhost_user_mem_table, regions) +
		       sizeof(p->mem.regions[0]) * MIN(p->mem.nregions, VHOST_USER_MAX_REGIONS);
	case VU_P_CONFIG:
		return offsetof(struct vhost_user_config, data) +
		       MIN(p->config.size, VHOST_USER_CONFIG_MAX);
	}
	return 0;
}

/* --- sending --- */

static int vu_send(struct vhost_user_chan *ch, const struct vhost_user_msg *m, const int *fds,
		   unsigned nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)] = { 0 };
	struct iovec iov = { .iov_base = (void *)m, .iov_len = VHOST_USER_HDR_SIZE + m->size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds) {
		struct cmsghdr *c;

		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(ch->fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)iov.iov_len ? 0 : -ECONNRESET;
}

/* --- receiving --- */

/* Close every fd a received control message carried; how many there were. */
static unsigned vu_fds_close(struct msghdr *mh)
{
	unsigned count = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t nfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(fd);
			count++;
		}
	}
	return count;
}

static int64_t vu_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wait until the socket is readable or the reply's deadline passes. */
static int vu_wait_readable(struct vhost_user_chan *ch, int64_t deadline)
{
	struct pollfd p = { .fd = ch->fd, .events = POLLIN };
	int ret;

	do {
		int64_t left = deadline - vu_now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		ret = poll(&p, 1, (int)MIN(left, 60000));
	} while ((ret < 0 && errno == EINTR) || (!ret && vu_now_ms() < deadline));
	if (ret < 0)
		return -ECONNRESET;
	return ret ? 0 : -ETIMEDOUT;
}

/*
 * Read exactly len bytes by deadline, however the back-end splits them (any
 * read may bring fds, which are closed and counted in *nfds). 0, -ECONNRESET
 * (EOF, error), -ETIMEDOUT, or -EPROTO when the fds were cut short
 * (MSG_CTRUNC).
 */
static int vu_recv_exact(struct vhost_user_chan *ch, void *buf, size_t len, unsigned *nfds,
			 int64_t deadline)
{
	size_t got = 0;

	while (got < len) {
		char ctl[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
		struct iovec iov = { .iov_base = (char *)buf + got, .iov_len = len - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		ssize_t n;
		int ret = vu_wait_readable(ch, deadline);

		if (ret)
			return ret;
		n = recvmsg(ch->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -ECONNRESET;
		*nfds += vu_fds_close(&mh);
		if (mh.msg_flags & MSG_CTRUNC)
			return -EPROTO;
		got += n;
	}
	return 0;
}

/* Read one reply and check it against the request it answers. */
static int vu_reply_read(struct vhost_user_chan *ch, const struct vhost_user_msg_desc *d,
			 enum vhost_user_payload kind, const union vhost_user_payload_buf *sent,
			 struct vhost_user_msg *r, const char **why)
{
	int64_t deadline = vu_now_ms() + ch->timeout_ms; /* for the whole reply */
	unsigned nfds = 0;
	size_t want;
	int ret = vu_recv_exact(ch, r, VHOST_USER_HDR_SIZE, &nfds, deadline);

	*why = "no reply header (back-end closed or timed out)";
	if (ret)
		return ret;
	want = vhost_user_payload_size(kind, sent);
	*why = "reply too large";
	if (r->size > sizeof(r->payload))
		return -EPROTO;
	*why = "reply payload cut short";
	ret = vu_recv_exact(ch, &r->payload, r->size, &nfds, deadline);
	if (ret)
		return ret;
	*why = "reply carries fds";
	if (nfds)
		return -EPROTO;
	*why = "reply header flags are not version 1 + reply";
	if ((r->flags & ~VHOST_USER_NEED_REPLY) != (VHOST_USER_VERSION | VHOST_USER_REPLY))
		return -EPROTO;
	*why = "reply answers another request";
	if (r->request != d->id)
		return -EPROTO;
	*why = "reply has the wrong size";
	return r->size == want ? 0 : -EPROTO;
}

static bool vu_request_ok(const struct vhost_user_msg_desc *d, const union vhost_user_payload_buf *p,
			  unsigned nfds)
{
	if (!d || nfds > d->max_fds || (d->request != VU_P_NONE && !p))
		return false;
	if (d->request == VU_P_MEM && p->mem.nregions > VHOST_USER_MAX_REGIONS)
		return false;
	return d->request != VU_P_CONFIG || p->config.size <= VHOST_USER_CONFIG_MAX;
}

int vhost_user_chan_call(struct vhost_user_chan *ch, uint32_t id,
			 const union vhost_user_payload_buf *p, const int *fds, unsigned nfds,
			 union vhost_user_payload_buf *reply, const char **why)
{
	const struct vhost_user_msg_desc *d = vhost_user_msg_find(id);
	struct vhost_user_msg m = { .request = id, .flags = VHOST_USER_VERSION };
	bool ack;
	const char *dummy;
	int ret;

	why = why ? why : &dummy;
	*why = "request refused before sending";
	if (ch->fd < 0 || !vu_request_ok(d, p, nfds))
		return -EINVAL;
	ack = ch->reply_ack && d->reply == VU_P_NONE;
	if (ack)
		m.flags |= VHOST_USER_NEED_REPLY;
	m.size = vhost_user_payload_size(d->request, p);
	if (m.size)
		memcpy(&m.payload, p, m.size);
	*why = "send failed";
	ret = vu_send(ch, &m, fds, nfds);
	if (ret || (!ack && d->reply == VU_P_NONE))
		return ret;
	ret = vu_reply_read(ch, d, ack ? VU_P_U64 : d->reply, p, &m, why);
	if (ret)
		return ret;
	if (ack) {
		*why = "back-end acked with an error";
		return m.payload.u64 ? -EPROTO : 0;
	}
	if (reply)
		memcpy(reply, &m.payload, m.size);
	return 0;
}

bool vhost_user_chan_idle_broken(struct vhost_user_chan *ch, const char **why)
{
	char c;
	ssize_t n;

	if (ch->fd < 0)
		return false;
	n = recv(ch->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0) {
		*why = "unsolicited message from the back-end";
		return true;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		*why = "back-end closed the connection";
		return true;
	}
	return false;
}
