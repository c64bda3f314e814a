/*
 * The vhost-user front-end against a back-end test double in this file,
 * speaking the protocol over a socketpair (or a real socket for the client
 * and server modes). No KVM: guest RAM is a memfd, the device is unplugged
 * and driven through its PCI ops (vhost-user-drv.h).
 *
 * Covered: the negotiation and the ring hand-over message by message (with
 * and without REPLY_ACK), the call fd being the queue's MSI-X vector eventfd
 * and the kick fd its doorbell, the stop on reset (GET_VRING_BASE), and a
 * hostile back-end: replies of the wrong size, for the wrong request, with
 * bad flags, with one fd or twelve, a huge size, cut short by a close,
 * never sent, dribbled byte by byte past the timeout, a negative ack, an
 * unsolicited message, a wrong queue index. Each time the
 * device drops the back-end, the guest sees the link go down, the error
 * names the socket, and the process has exactly the fds it had before.
 * Reconnect: the new back-end resumes at the guest's used index; client
 * mode reconnects by itself, server mode accepts the next back-end.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "vhost-user-drv.h"
#include "vhost-user-msg.h"
#include "vhost-user-net.h"

#define BIT(n) (1ULL << (n))
#define SOCK_NAME "/run/test-vhost-user.sock"

static const uint8_t test_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint64_t drv_features = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) |
				     BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_RING_F_EVENT_IDX);

/* ---------------------------------------------------------------------------
 * The back-end test double: answers every request correctly unless told to
 * misbehave on one.
 * ------------------------------------------------------------------------- */

enum fault {
	F_NONE,
	F_WRONG_SIZE,    /* 4 bytes more than the reply should have */
	F_WRONG_ID,      /* the reply names another request */
	F_BAD_FLAGS,     /* the reply bit is missing */
	F_EXTRA_FD,      /* a correct reply with an fd attached */
	F_HUGE_SIZE,     /* a size larger than any message */
	F_CLOSE_MID,     /* half a header, then close */
	F_NO_REPLY,      /* nothing: the front-end times out */
	F_NACK,          /* REPLY_ACK with a non-zero status */
	F_UNSOLICITED,   /* a correct reply, then a message nobody asked for */
	F_WRONG_INDEX,   /* GET_VRING_BASE for another queue */
	F_MANY_FDS,      /* a correct reply with more fds than any message may carry */
	F_DRIBBLE,       /* a correct reply, one byte at a time, slower than the timeout in all */
};

struct dbl {
	int fd;
	pthread_t thread;
	uint64_t features, pfeatures, queue_num;
	uint32_t fault_on;
	enum fault fault;
	pthread_mutex_t lock;
	uint32_t seen[64];
	unsigned nseen, fds_in;
	uint32_t base[2];              /* SET_VRING_BASE per queue */
	int enable[8];                 /* the last SET_VRING_ENABLE per queue, -1 before any */
	struct vhost_user_vring_addr addr[2];
	struct vhost_user_mem_table mem;
	int kick[2], call[2], err[2];  /* the last fds received per queue, or -1 */
	bool ended;
};

static ssize_t dbl_recv(struct dbl *b, struct vhost_user_msg *m, int *fds, unsigned *nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
	struct iovec iov = { .iov_base = m, .iov_len = VHOST_USER_HDR_SIZE };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(b->fd, &mh, MSG_WAITALL);

	*nfds = 0;
	if (n != VHOST_USER_HDR_SIZE)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		unsigned k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		memcpy(fds, CMSG_DATA(c), k * sizeof(int));
		*nfds = k;
	}
	if (m->size > sizeof(m->payload))
		return -1;
	if (m->size && recv(b->fd, &m->payload, m->size, MSG_WAITALL) != (ssize_t)m->size)
		return -1;
	return 0;
}

static void dbl_send(struct dbl *b, const struct vhost_user_msg *m, size_t len, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)m, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(b->fd, &mh, MSG_NOSIGNAL) < 0)
		return;
}

/* Keep the kick and call fds (their effects are checked); close the rest. */
static void dbl_take_fds(struct dbl *b, const struct vhost_user_msg *m, int *fds, unsigned nfds)
{
	unsigned q = m->payload.u64 & VHOST_USER_VRING_IDX_MASK;
	int *slot = NULL;

	if (m->request == VHOST_USER_SET_VRING_KICK && q < 2)
		slot = &b->kick[q];
	if (m->request == VHOST_USER_SET_VRING_CALL && q < 2)
		slot = &b->call[q];
	if (m->request == VHOST_USER_SET_VRING_ERR && q < 2)
		slot = &b->err[q];
	for (unsigned i = 0; i < nfds; i++) {
		if (slot && !i) {
			if (*slot >= 0)
				close(*slot);
			*slot = fds[i];
		} else {
			close(fds[i]);
		}
	}
}

static void dbl_record(struct dbl *b, const struct vhost_user_msg *m, unsigned nfds)
{
	pthread_mutex_lock(&b->lock);
	if (b->nseen < ARRAY_SIZE(b->seen))
		b->seen[b->nseen++] = m->request;
	b->fds_in += nfds;
	if (m->request == VHOST_USER_SET_VRING_BASE && m->payload.state.index < 2)
		b->base[m->payload.state.index] = m->payload.state.num;
	if (m->request == VHOST_USER_SET_VRING_ADDR && m->payload.addr.index < 2)
		b->addr[m->payload.addr.index] = m->payload.addr;
	if (m->request == VHOST_USER_SET_MEM_TABLE)
		b->mem = m->payload.mem;
	if (m->request == VHOST_USER_SET_VRING_ENABLE && m->payload.state.index < 8)
		b->enable[m->payload.state.index] = m->payload.state.num;
	pthread_mutex_unlock(&b->lock);
}

/* The correct reply to m (size 0: none is due). */
static size_t dbl_reply(struct dbl *b, const struct vhost_user_msg *m, struct vhost_user_msg *r)
{
	*r = (struct vhost_user_msg){ .request = m->request,
				      .flags = VHOST_USER_VERSION | VHOST_USER_REPLY };
	switch (m->request) {
	case VHOST_USER_GET_FEATURES: r->payload.u64 = b->features; break;
	case VHOST_USER_GET_PROTOCOL_FEATURES: r->payload.u64 = b->pfeatures; break;
	case VHOST_USER_GET_QUEUE_NUM: r->payload.u64 = b->queue_num; break;
	case VHOST_USER_GET_VRING_BASE:
		r->payload.state = m->payload.state;
		r->size = sizeof(r->payload.state);
		return VHOST_USER_HDR_SIZE + r->size;
	default:
		if (!(m->flags & VHOST_USER_NEED_REPLY))
			return 0;
		r->payload.u64 = 0;
	}
	r->size = 8;
	return VHOST_USER_HDR_SIZE + 8;
}

/* Answer m the way the fault says; false when the double should stop. */
static bool dbl_misbehave(struct dbl *b, struct vhost_user_msg *r, size_t len)
{
	int efd;

	switch (b->fault) {
	case F_WRONG_SIZE: r->size += 4; dbl_send(b, r, len + 4, -1); return true;
	case F_WRONG_ID: r->request++; break;
	case F_BAD_FLAGS: r->flags = VHOST_USER_VERSION; break;
	case F_HUGE_SIZE: r->size = 0xffffffffu; break;
	case F_NACK: r->payload.u64 = 1; break;
	case F_WRONG_INDEX: r->payload.state.index ^= 1; break;
	case F_CLOSE_MID: dbl_send(b, r, 6, -1); return false;
	case F_NO_REPLY: return true;
	case F_EXTRA_FD:
		efd = eventfd(0, EFD_CLOEXEC);
		dbl_send(b, r, len, efd);
		close(efd);
		return true;
	case F_MANY_FDS: {
		char ctl[CMSG_SPACE(sizeof(int) * 12)] = { 0 };
		struct iovec iov = { .iov_base = r, .iov_len = len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		int fds[12];

		for (unsigned i = 0; i < 12; i++)
			fds[i] = eventfd(0, EFD_CLOEXEC);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(c), fds, sizeof(fds));
		sendmsg(b->fd, &mh, MSG_NOSIGNAL);
		for (unsigned i = 0; i < 12; i++)
			close(fds[i]);
		return true;
	}
	case F_DRIBBLE:
		for (size_t i = 0; i < len; i++) {
			if (send(b->fd, (uint8_t *)r + i, 1, MSG_NOSIGNAL) != 1)
				return false;
			usleep(200000); /* 20 bytes x 200 ms: twice the 2 s reply timeout */
		}
		return true;
	case F_UNSOLICITED:
		dbl_send(b, r, len, -1);
		usleep(50000);
		dbl_send(b, r, len, -1);
		return true;
	case F_NONE: break;
	}
	dbl_send(b, r, len, -1);
	return true;
}

static void *dbl_thread(void *arg)
{
	struct dbl *b = arg;
	struct vhost_user_msg m, r;
	int fds[VHOST_USER_MAX_FDS];
	unsigned nfds;

	while (dbl_recv(b, &m, fds, &nfds) == 0) {
		size_t len = dbl_reply(b, &m, &r);

		dbl_record(b, &m, nfds);
		dbl_take_fds(b, &m, fds, nfds);
		if (b->fault && m.request == b->fault_on) {
			if (!dbl_misbehave(b, &r, len ? len : VHOST_USER_HDR_SIZE + 8))
				break;
			continue;
		}
		if (len)
			dbl_send(b, &r, len, -1);
	}
	close(b->fd);
	pthread_mutex_lock(&b->lock);
	b->ended = true;
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

static void dbl_init(struct dbl *b, int fd)
{
	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->features = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF) |
		      BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_RING_F_INDIRECT_DESC) |
		      BIT(VHOST_USER_F_PROTOCOL_FEATURES);
	b->pfeatures = BIT(VHOST_USER_PROTOCOL_F_MQ);
	b->queue_num = 1;
	for (unsigned q = 0; q < 8; q++)
		b->enable[q] = -1;
	b->kick[0] = b->kick[1] = b->call[0] = b->call[1] = b->err[0] = b->err[1] = -1;
	pthread_mutex_init(&b->lock, NULL);
}

static void dbl_run(struct dbl *b)
{
	assert_int_equal(pthread_create(&b->thread, NULL, dbl_thread, b), 0);
}

/* Wait for the double to end (the front-end closed its end), then free what it kept. */
static void dbl_release(struct dbl *b);
static void dbl_join(struct dbl *b)
{
	pthread_join(b->thread, NULL);
	dbl_release(b);
}

static unsigned dbl_count(struct dbl *b, uint32_t req)
{
	unsigned n = 0;

	pthread_mutex_lock(&b->lock);
	for (unsigned i = 0; i < b->nseen; i++)
		n += b->seen[i] == req;
	pthread_mutex_unlock(&b->lock);
	return n;
}

static unsigned dbl_seen(struct dbl *b)
{
	unsigned n;

	pthread_mutex_lock(&b->lock);
	n = b->nseen;
	pthread_mutex_unlock(&b->lock);
	return n;
}

/* ---------------------------------------------------------------------------
 * Fixture: RAM, a socketpair, the double on one end, the device on the other.
 * ------------------------------------------------------------------------- */

struct fx {
	struct vdrv d;
	struct dbl b;
	unsigned fds_before;
};

static void assert_seq(struct dbl *b, unsigned from, const uint32_t *seq, unsigned n);
static const uint32_t handshake_seq[5];
static struct vhost_user_net_stats fx_stats(struct fx *f);

static unsigned fx_queue_pairs = 1;

static void fx_device(struct fx *f, int fd)
{
	struct vhost_user_net_config cfg = { .socket = SOCK_NAME, .fd = fd,
					     .reply_timeout_ms = 2000, .reconnect_ms = 50,
					     .queue_pairs = fx_queue_pairs };

	memcpy(cfg.mac, test_mac, 6);
	assert_int_equal(vhost_user_net_new(&f->d.mem, &cfg, &f->d.dev), 0);
}

/* The double (configured by the caller through *setup) joined to a new device. */
static struct fx *fx_new(void (*setup)(struct dbl *b))
{
	struct fx *f = calloc(1, sizeof(*f));
	int sv[2];

	assert_non_null(f);
	assert_int_equal(vdrv_ram_init(&f->d), 0);
	f->fds_before = vdrv_fd_count();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	dbl_init(&f->b, sv[1]);
	if (setup)
		setup(&f->b);
	dbl_run(&f->b);
	fx_device(f, sv[0]);
	if (fx_stats(f).connected) /* the last handshake message has no reply: wait for it */
		assert_seq(&f->b, 0, handshake_seq, ARRAY_SIZE(handshake_seq));
	return f;
}

static void fx_free(struct fx *f)
{
	f->d.dev->ops->teardown(f->d.dev);
	dbl_join(&f->b);
	assert_int_equal(vdrv_fd_count(), f->fds_before);
	vdrv_ram_free(&f->d);
	free(f);
}

static struct vhost_user_net_stats fx_stats(struct fx *f)
{
	struct vhost_user_net_stats s;

	vhost_user_net_stats_get(f->d.dev, &s);
	return s;
}

/* Wait up to 3 s for the device's connected state to become want. */
static void wait_connected(struct pci_device *dev, bool want)
{
	struct vhost_user_net_stats s;

	for (int i = 0; i < 300; i++) {
		vhost_user_net_stats_get(dev, &s);
		if (s.connected == want)
			return;
		usleep(10000);
	}
	fail_msg("the device did not become %s", want ? "connected" : "disconnected");
}

/* ---------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------- */

static const uint32_t handshake_seq[5] = {
	VHOST_USER_GET_FEATURES, VHOST_USER_GET_PROTOCOL_FEATURES,
	VHOST_USER_SET_PROTOCOL_FEATURES, VHOST_USER_GET_QUEUE_NUM, VHOST_USER_SET_OWNER,
};

static const uint32_t start_seq[] = {
	VHOST_USER_SET_FEATURES, VHOST_USER_SET_MEM_TABLE,
	VHOST_USER_SET_VRING_NUM, VHOST_USER_SET_VRING_BASE, VHOST_USER_SET_VRING_ADDR,
	VHOST_USER_SET_VRING_CALL, VHOST_USER_SET_VRING_ERR, VHOST_USER_SET_VRING_KICK,
	VHOST_USER_SET_VRING_NUM, VHOST_USER_SET_VRING_BASE, VHOST_USER_SET_VRING_ADDR,
	VHOST_USER_SET_VRING_CALL, VHOST_USER_SET_VRING_ERR, VHOST_USER_SET_VRING_KICK,
	VHOST_USER_SET_VRING_ENABLE, VHOST_USER_SET_VRING_ENABLE,
};

/* The double saw seq from its from-th message on (requests without a reply may still be in flight). */
static void assert_seq(struct dbl *b, unsigned from, const uint32_t *seq, unsigned n)
{
	for (int i = 0; i < 300 && dbl_seen(b) < from + n; i++)
		usleep(10000);
	pthread_mutex_lock(&b->lock);
	assert_true(b->nseen >= from + n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(b->seen[from + i], seq[i]);
	pthread_mutex_unlock(&b->lock);
}

static void identity_and_features(void **state)
{
	struct fx *f = fx_new(NULL);
	uint64_t df = vdrv_device_features(&f->d);
	struct vhost_user_net_stats s = fx_stats(f);

	assert_int_equal(pci_device_cfg_read(f->d.dev, PCI_VENDOR_ID, 2), VIRTIO_PCI_VENDOR);
	assert_int_equal(pci_device_cfg_read(f->d.dev, PCI_DEVICE_ID, 2),
			 VIRTIO_PCI_DEVICE(VIRTIO_ID_NET));
	assert_true(df & BIT(VIRTIO_F_VERSION_1));
	assert_true(df & BIT(VIRTIO_NET_F_MAC));
	assert_false(df & BIT(VHOST_USER_F_PROTOCOL_FEATURES));
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(vdrv_rd(&f->d, VIRTIO_PCI_DEVICE_OFF + i, 1), test_mac[i]);
	assert_true(s.connected);
	assert_false(s.running);
	assert_false(vdrv_link_up(&f->d));
	assert_int_equal(s.connects, 1);
	assert_seq(&f->b, 0, handshake_seq, ARRAY_SIZE(handshake_seq));
	fx_free(f);
}

/* The whole hand-over; then kicks reach the back-end and its calls reach the vectors. */
static void start_and_stop(struct fx *f, bool acks)
{
	unsigned n0 = dbl_seen(&f->b);
	uint64_t one = 1, v;

	assert_int_equal(vdrv_start(&f->d, drv_features, 64), 0x0f);
	assert_seq(&f->b, n0, start_seq, ARRAY_SIZE(start_seq));
	assert_true(vdrv_link_up(&f->d));
	assert_true(fx_stats(f).running);
	assert_int_equal(f->b.mem.nregions, 1);
	assert_int_equal(f->b.mem.regions[0].guest_phys_addr, 0);
	assert_int_equal(f->b.mem.regions[0].memory_size, VDRV_RAM_SIZE);
	assert_ptr_equal((void *)(uintptr_t)f->b.mem.regions[0].userspace_addr, f->d.ram);
	assert_ptr_equal((void *)(uintptr_t)f->b.addr[1].desc, vdrv_gva(&f->d, VDRV_RING(1)));
	assert_ptr_equal((void *)(uintptr_t)f->b.addr[1].used,
			 vdrv_gva(&f->d, VDRV_RING(1) + 0x2000));
	/* Start-up nudges: one kick per queue, one interrupt per vector. */
	for (unsigned q = 0; q < 2; q++) {
		assert_int_equal(read(f->b.kick[q], &v, 8), 8);
		assert_int_equal(vdrv_irqs(&f->d, q + 1), 1);
	}
	vdrv_kick(&f->d, VIRTIO_NET_TXQ);
	assert_int_equal(read(f->b.kick[VIRTIO_NET_TXQ], &v, 8), 8);
	assert_int_equal(write(f->b.call[VIRTIO_NET_RXQ], &one, 8), 8);
	assert_int_equal(vdrv_irqs(&f->d, 1), 1);
	assert_int_equal(vdrv_irqs(&f->d, 2), 0);
	if (acks)
		assert_true(dbl_count(&f->b, VHOST_USER_SET_VRING_ENABLE) == 2);
	vdrv_status(&f->d, 0);
	assert_int_equal(dbl_count(&f->b, VHOST_USER_GET_VRING_BASE), 2);
	assert_false(vdrv_link_up(&f->d));
	assert_true(fx_stats(f).connected);
}

/* Vector q + 1's mask bit, as the driver writes it in the MSI-X table. */
static void vector_mask(struct vdrv *d, unsigned v, bool masked)
{
	uint32_t ctrl = masked ? PCI_MSIX_VEC_MASKED : 0;

	assert_true(pci_msix_bar_access(d->dev, VIRTIO_PCI_MSIX_BAR, 16 * v + 12, (uint8_t *)&ctrl,
					4, true));
}

/* The back-end signals a masked vector: the pending bit holds it, unmasking delivers it once. */
static void masked_vector_pends(void **state)
{
	struct fx *f = fx_new(NULL);
	uint64_t one = 1;

	assert_int_equal(vdrv_start(&f->d, drv_features, 64), 0x0f);
	assert_seq(&f->b, ARRAY_SIZE(handshake_seq), start_seq, ARRAY_SIZE(start_seq));
	vdrv_irqs(&f->d, 1);
	vector_mask(&f->d, 1, true);
	assert_int_equal(write(f->b.call[VIRTIO_NET_RXQ], &one, 8), 8);
	assert_int_equal(write(f->b.call[VIRTIO_NET_RXQ], &one, 8), 8);
	assert_true(pci_msix_pending(f->d.dev, 1));
	assert_int_equal(vdrv_irqs(&f->d, 1), 0);
	vector_mask(&f->d, 1, false);
	assert_false(pci_msix_pending(f->d.dev, 1));
	assert_int_equal(vdrv_irqs(&f->d, 1), 1);
	assert_int_equal(vdrv_irqs(&f->d, 1), 0);
	fx_free(f);
}

static void handover(void **state)
{
	struct fx *f = fx_new(NULL);

	start_and_stop(f, false);
	/* A second start with the same back-end. */
	assert_int_equal(vdrv_start(&f->d, drv_features, 64), 0x0f);
	assert_true(vdrv_link_up(&f->d));
	assert_int_equal(fx_stats(f).starts, 2);
	fx_free(f);
}

static void with_reply_ack(struct dbl *b)
{
	b->pfeatures |= BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);
}

static void handover_reply_ack(void **state)
{
	struct fx *f = fx_new(with_reply_ack);

	start_and_stop(f, true);
	fx_free(f);
}

/* The back-end signals a queue's error fd: the device needs a reset; the session stays. */
static void backend_reports_broken_ring(void **state)
{
	struct fx *f = fx_new(NULL);
	uint64_t one = 1;

	assert_int_equal(vdrv_start(&f->d, drv_features, 64), 0x0f);
	assert_seq(&f->b, ARRAY_SIZE(handshake_seq), start_seq, ARRAY_SIZE(start_seq));
	vdrv_irqs(&f->d, 0);
	assert_int_equal(write(f->b.err[VIRTIO_NET_TXQ], &one, 8), 8);
	for (int i = 0; i < 300 && !(vdrv_rd(&f->d, VIRTIO_PCI_COMMON_STATUS, 1) &
				     VIRTIO_STATUS_NEEDS_RESET); i++)
		usleep(10000);
	assert_true(vdrv_rd(&f->d, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(vdrv_irqs(&f->d, 0), 1);
	assert_true(fx_stats(f).connected);
	vdrv_status(&f->d, 0);
	assert_int_equal(dbl_count(&f->b, VHOST_USER_GET_VRING_BASE), 2);
	fx_free(f);
}

/* --- multiqueue: the control queue is the VMM's, the pairs the back-end's --- */

#define CTRL_Q   (2 * VIRTIO_NET_MAX_PAIRS)
#define CTRL_BUF 0x90000ULL

static void two_pairs(struct dbl *b)
{
	b->pfeatures |= BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);
	b->queue_num = 2;
}

static int dbl_enable(struct dbl *b, unsigned q)
{
	int v;

	pthread_mutex_lock(&b->lock);
	v = b->enable[q];
	pthread_mutex_unlock(&b->lock);
	return v;
}

/* Post one control command (class, command, data) with an ack byte; the ack the device wrote. */
static uint8_t ctrl_command(struct vdrv *d, uint8_t class, uint8_t cmd, uint16_t data)
{
	uint8_t *ring = vdrv_gva(d, VDRV_RING(CTRL_Q));
	uint8_t out[4] = { class, cmd, data & 0xff, data >> 8 };
	struct virtq_desc desc[2] = {
		{ .addr = htole64(CTRL_BUF), .len = htole32(4), .flags = htole16(VIRTQ_DESC_F_NEXT),
		  .next = htole16(1) },
		{ .addr = htole64(CTRL_BUF + 16), .len = htole32(1),
		  .flags = htole16(VIRTQ_DESC_F_WRITE) },
	};
	struct vdrv_queue *vq = &d->q[CTRL_Q];
	uint16_t head = 0, idx, used_before = vdrv_used_idx(d, CTRL_Q);

	memcpy(vdrv_gva(d, CTRL_BUF), out, sizeof(out));
	*vdrv_gva(d, CTRL_BUF + 16) = 0xee;
	memcpy(ring, desc, sizeof(desc));
	memcpy(ring + 0x1000 + 4 + 2 * (vq->avail_idx % vq->size), &head, 2);
	idx = htole16(++vq->avail_idx);
	__atomic_store_n((uint16_t *)(ring + 0x1000 + 2), idx, __ATOMIC_RELEASE);
	vdrv_kick(d, CTRL_Q);
	for (int i = 0; i < 300 && vdrv_used_idx(d, CTRL_Q) == used_before; i++)
		usleep(10000);
	assert_int_equal(vdrv_used_idx(d, CTRL_Q), (uint16_t)(used_before + 1));
	return *vdrv_gva(d, CTRL_BUF + 16);
}

static void multiqueue_run(struct fx *f);

static void three_pairs(struct dbl *b)
{
	two_pairs(b);
	b->queue_num = 3;
}

static void multiqueue(void **state)
{
	struct fx *f;

	/* A back-end with fewer pairs than the device is refused. */
	fx_queue_pairs = 2;
	f = fx_new(NULL);
	assert_false(fx_stats(f).connected);
	assert_non_null(strstr(fx_stats(f).last_error, "serves 1 queue pairs, the device has 2"));
	fx_free(f);
	/* One pair: no control queue, no MQ. */
	fx_queue_pairs = 1;
	f = fx_new(NULL);
	assert_false(vdrv_device_features(&f->d) & BIT(VIRTIO_NET_F_MQ));
	assert_false(vdrv_device_features(&f->d) & BIT(VIRTIO_NET_F_CTRL_VQ));
	fx_free(f);
	fx_queue_pairs = 2;
	multiqueue_run(fx_new(three_pairs));
	fx_queue_pairs = 1;
}

static void multiqueue_run(struct fx *f)
{
	uint64_t features = drv_features | BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_MQ);
	const uint8_t ad = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	assert_int_equal(fx_stats(f).queue_pairs, 3);
	assert_int_equal(vdrv_rd(&f->d, VIRTIO_PCI_DEVICE_OFF + VIRTIO_NET_CFG_MAX_VQP, 2), 2);
	/* MQ without CTRL_VQ is refused. */
	vdrv_pci_enable(&f->d);
	vdrv_status(&f->d, 0);
	vdrv_status(&f->d, ad);
	vdrv_wr(&f->d, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	vdrv_wr(&f->d, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(features & ~BIT(VIRTIO_NET_F_CTRL_VQ)));
	vdrv_wr(&f->d, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	vdrv_wr(&f->d, VIRTIO_PCI_COMMON_GF, 4, features >> 32);
	vdrv_status(&f->d, ad | VIRTIO_STATUS_FEATURES_OK);
	assert_false(vdrv_rd(&f->d, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK);

	/* Four data queues and the control queue: the device has two pairs. */
	vdrv_status(&f->d, 0);
	vdrv_status(&f->d, ad);
	vdrv_wr(&f->d, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	vdrv_wr(&f->d, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)features);
	vdrv_wr(&f->d, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	vdrv_wr(&f->d, VIRTIO_PCI_COMMON_GF, 4, features >> 32);
	vdrv_status(&f->d, ad | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < 4; q++)
		vdrv_queue_setup(&f->d, q, 64);
	vdrv_queue_setup(&f->d, CTRL_Q, 16);
	vdrv_status(&f->d, ad | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	assert_true(vdrv_link_up(&f->d));
	assert_int_equal(dbl_count(&f->b, VHOST_USER_SET_VRING_KICK), 4);
	assert_int_equal(dbl_enable(&f->b, 0), 1);
	assert_int_equal(dbl_enable(&f->b, 1), 1);
	assert_int_equal(dbl_enable(&f->b, 2), 0);
	assert_int_equal(dbl_enable(&f->b, 3), 0);
	assert_int_equal(dbl_enable(&f->b, CTRL_Q), -1);

	assert_int_equal(ctrl_command(&f->d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2),
			 VIRTIO_NET_OK);
	assert_int_equal(dbl_enable(&f->b, 2), 1);
	assert_int_equal(dbl_enable(&f->b, 3), 1);
	assert_int_equal(ctrl_command(&f->d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 3),
			 VIRTIO_NET_ERR);
	assert_int_equal(ctrl_command(&f->d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 0),
			 VIRTIO_NET_ERR);
	assert_int_equal(ctrl_command(&f->d, 0 /* RX mode */, 0, 1), VIRTIO_NET_ERR);
	assert_int_equal(ctrl_command(&f->d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 1),
			 VIRTIO_NET_OK);
	assert_int_equal(dbl_enable(&f->b, 2), 0);
	assert_true(vdrv_irqs(&f->d, CTRL_Q + 1) >= 1);
	vdrv_status(&f->d, 0);
	assert_int_equal(dbl_count(&f->b, VHOST_USER_GET_VRING_BASE), 4);
	fx_free(f);
}

/* --- a hostile back-end --- */

struct hostile_case {
	const char *name;
	uint32_t on;
	enum fault fault;
	bool reply_ack;
	bool after_start;   /* the fault comes once the driver runs */
};

static const struct hostile_case hostile_cases[] = {
	{ "wrong size", VHOST_USER_GET_FEATURES, F_WRONG_SIZE, false, false },
	{ "wrong request id", VHOST_USER_GET_FEATURES, F_WRONG_ID, false, false },
	{ "bad flags", VHOST_USER_GET_PROTOCOL_FEATURES, F_BAD_FLAGS, false, false },
	{ "extra fd", VHOST_USER_GET_FEATURES, F_EXTRA_FD, false, false },
	{ "huge size", VHOST_USER_GET_QUEUE_NUM, F_HUGE_SIZE, false, false },
	{ "close mid-message", VHOST_USER_GET_FEATURES, F_CLOSE_MID, false, false },
	{ "no reply", VHOST_USER_GET_PROTOCOL_FEATURES, F_NO_REPLY, false, false },
	{ "negative ack", VHOST_USER_SET_MEM_TABLE, F_NACK, true, true },
	{ "ack with fd", VHOST_USER_SET_VRING_CALL, F_EXTRA_FD, true, true },
	{ "ack cut short", VHOST_USER_SET_VRING_KICK, F_CLOSE_MID, true, true },
	{ "unsolicited", VHOST_USER_SET_OWNER, F_UNSOLICITED, false, false },
	{ "wrong queue index", VHOST_USER_GET_VRING_BASE, F_WRONG_INDEX, false, true },
	{ "wrong size on stop", VHOST_USER_GET_VRING_BASE, F_WRONG_SIZE, false, true },
	{ "twelve fds", VHOST_USER_GET_FEATURES, F_MANY_FDS, false, false },
	{ "dribbled reply", VHOST_USER_GET_FEATURES, F_DRIBBLE, false, false },
};

static const struct hostile_case *cur_case;

static void hostile_setup(struct dbl *b)
{
	b->fault = cur_case->fault;
	b->fault_on = cur_case->on;
	if (cur_case->reply_ack)
		b->pfeatures |= BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);
}

static void hostile_one(const struct hostile_case *c)
{
	struct vhost_user_net_stats s;
	const struct vhost_user_msg_desc *d = vhost_user_msg_find(c->on);
	struct fx *f;

	cur_case = c;
	f = fx_new(hostile_setup);
	if (c->after_start) {
		vdrv_start(&f->d, drv_features, 64);
		if (c->on == VHOST_USER_GET_VRING_BASE)
			vdrv_status(&f->d, 0);
	}
	wait_connected(f->d.dev, false);
	s = fx_stats(f);
	assert_false(s.running);
	assert_false(vdrv_link_up(&f->d));
	assert_int_equal(s.disconnects, 1);
	if (!strstr(s.last_error, SOCK_NAME))
		fail_msg("%s: the error does not name the socket: %s", c->name, s.last_error);
	if (c->fault != F_UNSOLICITED && !strstr(s.last_error, d->name))
		fail_msg("%s: the error does not name %s: %s", c->name, d->name, s.last_error);
	/* The guest keeps going: the registers still answer. */
	assert_int_equal(vdrv_rd(&f->d, VIRTIO_PCI_COMMON_NUMQ, 2), VIRTIO_NET_NUM_QUEUES);
	fx_free(f);
}

static void hostile(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(hostile_cases); i++)
		hostile_one(&hostile_cases[i]);
}

static void no_version_1(struct dbl *b)
{
	b->features &= ~BIT(VIRTIO_F_VERSION_1);
}

static void no_event_idx(struct dbl *b)
{
	b->features &= ~BIT(VIRTIO_RING_F_EVENT_IDX);
}

static void bad_queue_num(struct dbl *b)
{
	b->queue_num = 0;
}

/* Answers that are well-formed but unacceptable. */
static void refused_backends(void **state)
{
	void (*setups[])(struct dbl *) = { no_version_1, bad_queue_num, no_event_idx };

	for (size_t i = 0; i < ARRAY_SIZE(setups); i++) {
		struct fx *f = fx_new(setups[i]);

		if (setups[i] == no_event_idx) {
			assert_int_equal(vdrv_start(&f->d, drv_features, 64), 0x0f);
			assert_non_null(strstr(fx_stats(f).last_error, "does not offer"));
		}
		wait_connected(f->d.dev, false);
		assert_false(vdrv_link_up(&f->d));
		assert_non_null(strstr(fx_stats(f).last_error, SOCK_NAME));
		fx_free(f);
	}
}

/* --- reconnect --- */

static void reconnect_resumes_at_used_index(void **state)
{
	struct fx *f = fx_new(NULL);
	uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint16_t used2 = htole16(2);
	int sv[2];

	assert_int_equal(vdrv_start(&f->d, drv_features, 64), 0x0f);
	vdrv_irqs(&f->d, 0);
	for (unsigned i = 0; i < 3; i++)
		vdrv_tx(&f->d, i, frame, sizeof(frame));
	/* The back-end completes two of three, then dies. */
	memcpy(vdrv_gva(&f->d, VDRV_RING(1) + 0x2000 + 2), &used2, 2);
	shutdown(f->b.fd, SHUT_RDWR);
	wait_connected(f->d.dev, false);
	assert_false(vdrv_link_up(&f->d));
	assert_int_equal(vdrv_irqs(&f->d, 0), 1); /* configuration change */
	assert_int_equal(vdrv_rd(&f->d, VIRTIO_PCI_COMMON_STATUS, 1), 0x0f);
	dbl_join(&f->b);

	/* A new back-end: negotiated again, queues resumed where the used ring says. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	dbl_init(&f->b, sv[1]);
	dbl_run(&f->b);
	assert_int_equal(vhost_user_net_attach_fd(f->d.dev, sv[0]), 0);
	assert_seq(&f->b, 0, handshake_seq, ARRAY_SIZE(handshake_seq));
	assert_seq(&f->b, ARRAY_SIZE(handshake_seq), start_seq, ARRAY_SIZE(start_seq));
	assert_int_equal(f->b.base[VIRTIO_NET_RXQ], 0);
	assert_int_equal(f->b.base[VIRTIO_NET_TXQ], 2);
	assert_true(vdrv_link_up(&f->d));
	assert_int_equal(vdrv_irqs(&f->d, 0), 1);
	assert_int_equal(fx_stats(f).connects, 2);
	assert_int_equal(fx_stats(f).disconnects, 1);
	fx_free(f);
}

/* --- client and server modes over a real socket --- */

struct acceptor {
	int lfd;
	struct dbl b[2];
	pthread_t thread;
};

/* Serve two back-end sessions in a row on the listening socket. */
static void *acceptor_thread(void *arg)
{
	struct acceptor *a = arg;

	for (unsigned k = 0; k < 2; k++) {
		int fd = accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			break;
		a->b[k].fd = fd;
		dbl_thread(&a->b[k]);
	}
	return NULL;
}

static void dbl_release(struct dbl *b)
{
	for (unsigned q = 0; q < 2; q++) {
		if (b->kick[q] >= 0)
			close(b->kick[q]);
		if (b->call[q] >= 0)
			close(b->call[q]);
		if (b->err[q] >= 0)
			close(b->err[q]);
	}
	pthread_mutex_destroy(&b->lock);
}

static void sock_path(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/tmp/iovirt-test-vu-%s-%d.sock", tag, (int)getpid());
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 2), 0);
	return fd;
}

static void wait_connects(struct pci_device *dev, uint64_t want)
{
	struct vhost_user_net_stats s;

	for (int i = 0; i < 500; i++) {
		vhost_user_net_stats_get(dev, &s);
		if (s.connects >= want && s.connected)
			return;
		usleep(10000);
	}
	fail_msg("no session %llu", (unsigned long long)want);
}

static void client_mode_reconnects(void **state)
{
	struct vhost_user_net_config cfg = { .fd = -1, .reply_timeout_ms = 1000,
					     .reconnect_ms = 50 };
	struct acceptor a;
	struct vdrv d;
	char path[108];
	unsigned before;

	assert_int_equal(vdrv_ram_init(&d), 0);
	before = vdrv_fd_count();
	sock_path(path, sizeof(path), "client");
	cfg.socket = path;
	memcpy(cfg.mac, test_mac, 6);
	a.lfd = listen_at(path);
	dbl_init(&a.b[0], -1);
	dbl_init(&a.b[1], -1);
	assert_int_equal(pthread_create(&a.thread, NULL, acceptor_thread, &a), 0);
	assert_int_equal(vhost_user_net_new(&d.mem, &cfg, &d.dev), 0);
	assert_int_equal(vdrv_start(&d, drv_features, 64), 0x0f);
	assert_true(vdrv_link_up(&d));
	shutdown(a.b[0].fd, SHUT_RDWR);
	wait_connects(d.dev, 2);
	for (int i = 0; i < 300 && !vdrv_link_up(&d); i++)
		usleep(10000);
	assert_true(vdrv_link_up(&d));
	d.dev->ops->teardown(d.dev);
	pthread_join(a.thread, NULL);
	dbl_release(&a.b[0]);
	dbl_release(&a.b[1]);
	close(a.lfd);
	unlink(path);
	assert_int_equal(vdrv_fd_count(), before);
	vdrv_ram_free(&d);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void server_mode_accepts(void **state)
{
	struct vhost_user_net_config cfg = { .fd = -1, .server = true, .reply_timeout_ms = 1000 };
	struct dbl b;
	struct vdrv d;
	char path[108];
	unsigned before;

	assert_int_equal(vdrv_ram_init(&d), 0);
	before = vdrv_fd_count();
	sock_path(path, sizeof(path), "server");
	cfg.socket = path;
	memcpy(cfg.mac, test_mac, 6);
	assert_int_equal(vhost_user_net_new(&d.mem, &cfg, &d.dev), 0);
	assert_int_equal(vdrv_start(&d, drv_features, 64), 0x0f);
	assert_false(vdrv_link_up(&d));
	for (unsigned k = 1; k <= 2; k++) {
		dbl_init(&b, connect_to(path));
		dbl_run(&b);
		wait_connects(d.dev, k);
		for (int i = 0; i < 300 && !vdrv_link_up(&d); i++)
			usleep(10000);
		assert_true(vdrv_link_up(&d));
		shutdown(b.fd, SHUT_RDWR);
		dbl_join(&b);
		wait_connected(d.dev, false);
		assert_false(vdrv_link_up(&d));
	}
	d.dev->ops->teardown(d.dev);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(vdrv_fd_count(), before);
	vdrv_ram_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(identity_and_features),
		cmocka_unit_test(handover),
		cmocka_unit_test(handover_reply_ack),
		cmocka_unit_test(backend_reports_broken_ring),
		cmocka_unit_test(masked_vector_pends),
		cmocka_unit_test(multiqueue),
		cmocka_unit_test(hostile),
		cmocka_unit_test(refused_backends),
		cmocka_unit_test(reconnect_resumes_at_used_index),
		cmocka_unit_test(client_mode_reconnects),
		cmocka_unit_test(server_mode_accepts),
	};

	/* Dropped back-ends are the point of most tests: their warnings are checked through
	 * stats.last_error instead. Set once: the device threads read the level. */
	log_set_level(LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
