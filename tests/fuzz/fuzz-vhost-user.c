/*
 * Fuzz target: the vhost-user front-end's reply validation
 * (vhost-user/frontend/vhost-user-msg.c) against a back-end whose every
 * byte and fd comes from the input.
 *
 * The channel is one end of a UNIX socket pair; the fake back-end holds the
 * other. Input: a flags byte (bit 0: REPLY_ACK negotiated), then records of
 * a request selector byte, a byte giving the fds to attach (low 2 bits) and,
 * for GET_CONFIG, the config size asked, a 2-byte length and that many reply
 * bytes. All reply bytes are queued on the socket first (each record's with
 * its fds), then the back-end stops writing (EOF), and the front-end makes
 * the records' requests in order until one fails. Checked: the result is
 * one the contract allows, a valid reply has the table's size, and no fd
 * the back-end sent survives (the count of open fds does not grow).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-input.h"
#include "vhost-user-msg.h"

#define MAX_CALLS 64

static const uint32_t requests[] = {
#define VU_ID(name, id, req, fds, reply) id,
	VHOST_USER_MESSAGES(VU_ID)
#undef VU_ID
};

struct call {
	uint32_t id;
	unsigned cfg_size;
};

/* Open file descriptors of this process. */
static unsigned fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Queue bytes on the back-end's end with nfds fresh eventfds attached (closed here after). */
static void backend_send(int fd, const uint8_t *buf, size_t len, unsigned nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * 3)] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[3];

	if (!len)
		return;
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
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
	FUZZ_CHECK(sendmsg(fd, &mh, MSG_DONTWAIT) == (ssize_t)len);
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
}

/* Read and discard what the front-end sent, closing the fds it passed. */
static void backend_drain(int fd)
{
	for (;;) {
		char buf[4096], ctl[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		struct cmsghdr *c;

		if (recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fds[VHOST_USER_MAX_FDS];

			memcpy(fds, CMSG_DATA(c), n * sizeof(int));
			for (size_t i = 0; i < n; i++)
				close(fds[i]);
		}
	}
}

/* A well-formed request payload for id; the fds it attaches in *nfds. */
static void request_build(const struct call *c, union vhost_user_payload_buf *p, unsigned *nfds)
{
	const struct vhost_user_msg_desc *d = vhost_user_msg_find(c->id);

	memset(p, 0, sizeof(*p));
	*nfds = d->max_fds ? 1 : 0;
	p->u64 = 1;
	if (d->request == VU_P_MEM)
		p->mem = (struct vhost_user_mem_table){ .nregions = 1, .regions[0] = {
			.guest_phys_addr = 0, .memory_size = 4096, .userspace_addr = 0x10000 } };
	if (d->request == VU_P_CONFIG)
		p->config.size = c->cfg_size;
}

/* One call: the result must be one the contract names, a valid reply the table's size. */
static int call_one(struct vhost_user_chan *ch, int be, const struct call *c, int efd)
{
	const struct vhost_user_msg_desc *d = vhost_user_msg_find(c->id);
	union vhost_user_payload_buf p, reply;
	const char *why = NULL;
	int fds[1] = { efd };
	unsigned nfds;
	int ret;

	request_build(c, &p, &nfds);
	memset(&reply, 0xa5, sizeof(reply));
	ret = vhost_user_chan_call(ch, c->id, &p, fds, nfds, &reply, &why);
	backend_drain(be);
	if (d->request == VU_P_CONFIG && c->cfg_size > VHOST_USER_CONFIG_MAX) {
		FUZZ_CHECK(ret == -EINVAL);
		return ret;
	}
	FUZZ_CHECK(ret == 0 || ret == -EPROTO || ret == -ECONNRESET || ret == -ETIMEDOUT);
	FUZZ_CHECK(why != NULL);
	if (ret == 0 && d->reply == VU_P_CONFIG)
		FUZZ_CHECK(vhost_user_payload_size(VU_P_CONFIG, &reply) <= sizeof(reply));
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	struct vhost_user_chan ch = { .name = "fuzz", .timeout_ms = 2000 };
	struct call calls[MAX_CALLS];
	unsigned n = 0, fds_before;
	int sv[2], efd;
	const char *why;

	fuzz_quiet_logs();
	fds_before = fd_count();
	ch.reply_ack = fuzz_uint(&in, 1) & 1;
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	efd = eventfd(0, EFD_CLOEXEC);
	ch.fd = sv[0];
	while (n < MAX_CALLS && fuzz_left(&in)) {
		uint32_t id = requests[fuzz_uint(&in, 1) % ARRAY_SIZE(requests)];
		unsigned b = fuzz_uint(&in, 1), blen = fuzz_uint(&in, 2);
		const uint8_t *bytes;

		blen = blen < fuzz_left(&in) ? blen : fuzz_left(&in);
		bytes = fuzz_take(&in, blen);
		backend_send(sv[1], bytes, blen, b & 3);
		calls[n++] = (struct call){ .id = id, .cfg_size = (b >> 2) * 5 };
	}
	shutdown(sv[1], SHUT_WR);
	for (unsigned i = 0; i < n && call_one(&ch, sv[1], &calls[i], efd) == 0; i++)
		;
	vhost_user_chan_idle_broken(&ch, &why);
	close(sv[0]);
	close(sv[1]);
	close(efd);
	FUZZ_CHECK(fd_count() == fds_before);
	return 0;
}
