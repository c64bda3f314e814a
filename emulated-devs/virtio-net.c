#include "virtio-net.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "guest-mem.h"
#include "log.h"
#include "sandbox.h"
#include "net-backend.h"
#include "pci.h"
#include "virtio-pci.h"
#include "vm.h"

#define BIT(n) (1ULL << (n))

#define RX_IOV_MAX    (2 * VIRTIO_NET_QUEUE_MAX)
#define RX_CHAINS_MAX 64  /* buffers one received frame may take (num_buffers) */
#define PASS_BUDGET   256 /* frames per queue per pass: the lock is released between passes */
#define PCI_CLASS_ETHERNET 0x020000

/* What an RX pass found. */
enum rx_result { RX_DONE = 1, RX_NO_FRAME = 0, RX_NO_BUFFERS = 2, RX_BROKEN = -1 };

struct virtio_net {
	struct virtio_pci vp;
	struct net_backend *be;
	bool owns_be;              /* virtio_net_create() took it: closed at teardown */
	uint8_t mac[6];
	bool hdr_on;               /* the back-end carries virtio_net_hdr_v1 */
	unsigned pairs;            /* queue pairs the driver set (VQ_PAIRS_SET), 1 by default */
	bool io_thread;
	bool thread_running;
	bool stop;                 /* atomic: the I/O thread ends */
	pthread_t thread;
	int epfd, wake_fd;
	bool be_polled;            /* poll_fd in the epoll set (under vp.lock) */
	struct iovec *iov;         /* one chain (VIRTIO_NET_QUEUE_MAX) */
	struct iovec *iov2;        /* iov minus the header, plus one (TX) or RX_IOV_MAX (RX) */
	struct iovec *rx_iov;      /* the chains of one received frame (RX_IOV_MAX) */
	struct virtq_chain rx_chains[RX_CHAINS_MAX];
	uint8_t *scratch;          /* NET_FRAME_MAX: where dropped frames go */
	struct virtio_net_stats stats;
};

static struct virtio_net *to_net(struct pci_device *dev)
{
	return ((struct virtio_pci *)dev->priv)->opaque;
}

static bool net_has(struct virtio_net *n, unsigned feature)
{
	return n->vp.driver_features & BIT(feature);
}

/* --- the back-end's place in the epoll set --- */

static void net_be_poll(struct virtio_net *n, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = n->be->poll_fd };

	if (n->be->poll_fd < 0 || n->be_polled == on || n->epfd < 0)
		return;
	if (epoll_ctl(n->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, n->be->poll_fd, &ev))
		log_warn("virtio-net %s: cannot %s polling the back-end", n->vp.dev.bdf,
			 on ? "start" : "stop");
	else
		n->be_polled = on;
}

/* --- transmit --- */

/* Whether a transmit header asks only for what was negotiated and fits the frame. */
static bool net_tx_hdr_ok(struct virtio_net *n, struct virtio_net_hdr_v1 *h, size_t frame_len)
{
	uint8_t gso = h->gso_type;

	h->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->num_buffers = 0;
	if (h->flags) {
		uint32_t end = (uint32_t)le16toh(h->csum_start) + le16toh(h->csum_offset) + 2;

		if (!net_has(n, VIRTIO_NET_F_CSUM) || end > frame_len)
			return false;
	}
	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return true;
	if (!h->flags || !le16toh(h->gso_size) || le16toh(h->hdr_len) > frame_len)
		return false;
	if (gso == VIRTIO_NET_HDR_GSO_TCPV4)
		return net_has(n, VIRTIO_NET_F_HOST_TSO4);
	if (gso == VIRTIO_NET_HDR_GSO_TCPV6)
		return net_has(n, VIRTIO_NET_F_HOST_TSO6);
	return false;
}

/* Send the frame of one chain (header + frame, readable buffers only). */
static void net_tx_frame(struct virtio_net *n, const struct virtq_chain *c)
{
	struct virtio_net_hdr_v1 hdr;
	size_t frame_len;
	unsigned cnt;
	ssize_t ret;

	if (c->out_bytes < VIRTIO_NET_HDR_LEN || c->out_bytes > NET_FRAME_MAX) {
		n->stats.tx_dropped++;
		return;
	}
	frame_len = c->out_bytes - VIRTIO_NET_HDR_LEN;
	iov_to_buf(n->iov, c->n_out, 0, &hdr, sizeof(hdr));
	if (!net_tx_hdr_ok(n, &hdr, frame_len)) {
		n->stats.tx_dropped++;
		return;
	}
	/* Our checked copy of the header goes out, not the guest's buffer. */
	n->iov2[0] = (struct iovec){ .iov_base = &hdr, .iov_len = sizeof(hdr) };
	cnt = iov_skip(n->iov, c->n_out, VIRTIO_NET_HDR_LEN, n->iov2 + 1, VIRTIO_NET_QUEUE_MAX);
	ret = n->hdr_on ? net_backend_send(n->be, n->iov2, cnt + 1) :
			  net_backend_send(n->be, n->iov2 + 1, cnt);
	if (ret < 0) {
		n->stats.tx_be_dropped++;
		return;
	}
	n->stats.tx_frames++;
	n->stats.tx_bytes += frame_len;
}

/* One chain: 1 sent (or dropped), 0 none waiting, -EIO broken. */
static int net_tx_one(struct virtio_net *n, struct virtq *vq)
{
	struct virtq_chain c;
	int ret = virtq_pop(vq, n->iov, VIRTIO_NET_QUEUE_MAX, &c);

	if (ret <= 0)
		return ret == -ENOBUFS ? -EIO : ret;
	if (c.n_in)
		return -EIO;
	net_tx_frame(n, &c);
	virtq_push(vq, c.head, 0);
	return 1;
}

static void net_queue_interrupt(struct virtio_net *n, struct virtq *vq, unsigned q)
{
	if (virtq_need_notify(vq)) {
		n->stats.interrupts++;
		virtio_pci_queue_interrupt(&n->vp, q);
	}
}

/* Send what the guest posted on transmit queue q, up to the budget; true if more may wait. */
static bool net_tx_process(struct virtio_net *n, unsigned q)
{
	struct virtq *vq = virtio_pci_vq(&n->vp, q);
	unsigned budget = PASS_BUDGET;
	int ret = 0;

	if (!virtio_pci_queue_live(&n->vp, q))
		return false;
	for (;;) {
		virtq_notify_disable(vq);
		while (budget && (ret = net_tx_one(n, vq)) > 0)
			budget--;
		if (ret < 0) {
			virtio_pci_set_needs_reset(&n->vp);
			return false;
		}
		/* Sleep only once the guest is asked to kick and has posted nothing since. */
		if (!budget || !virtq_notify_enable(vq, 0))
			break;
	}
	net_queue_interrupt(n, vq, q);
	return !budget;
}

/* --- the control queue: only VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET is understood --- */

static uint8_t net_pairs_set(void *opaque, uint16_t pairs)
{
	struct virtio_net *n = opaque;

	if (!net_has(n, VIRTIO_NET_F_MQ) || pairs < 1 || pairs > VIRTIO_NET_MAX_PAIRS)
		return VIRTIO_NET_ERR;
	n->pairs = pairs;
	return VIRTIO_NET_OK;
}

static void net_ctrl_process(struct virtio_net *n)
{
	unsigned q = net_has(n, VIRTIO_NET_F_MQ) ? 2 * VIRTIO_NET_MAX_PAIRS : 2;

	if (!net_has(n, VIRTIO_NET_F_CTRL_VQ) || !virtio_pci_queue_live(&n->vp, q))
		return;
	if (virtio_net_ctrl_process(&n->vp, q, n->iov, VIRTIO_NET_QUEUE_MAX, net_pairs_set, n)) {
		n->stats.interrupts++;
		virtio_pci_queue_interrupt(&n->vp, q);
	}
}

/* --- receive --- */

/*
 * Take chains until they hold need bytes (one chain without MRG_RXBUF).
 * Returns the chain count (>= 1; fewer bytes than need when no more chains
 * may be taken), 0 when the guest has too few buffers (nothing kept; *niov
 * is then the number of chains left waiting), or RX_BROKEN.
 */
static int net_rx_gather(struct virtio_net *n, struct virtq *vq, size_t need, unsigned *niov,
			 size_t *bytes)
{
	bool mrg = net_has(n, VIRTIO_NET_F_MRG_RXBUF);
	unsigned k = 0;

	*niov = 0;
	*bytes = 0;
	while (*bytes < need && k < RX_CHAINS_MAX && (mrg || !k)) {
		struct virtq_chain *c = &n->rx_chains[k];
		int ret = virtq_pop(vq, n->rx_iov + *niov, RX_IOV_MAX - *niov, c);

		if (ret == -ENOBUFS && k)
			break;
		if (ret < 0)
			return RX_BROKEN;
		if (!ret) {
			virtq_unpop(vq, k);
			*niov = k;
			return 0;
		}
		if (c->n_out || c->in_bytes < (k ? 1 : VIRTIO_NET_HDR_LEN)) {
			virtq_unpop(vq, k + 1);
			return RX_BROKEN;
		}
		*niov += c->n_in;
		*bytes += c->in_bytes;
		k++;
	}
	return k;
}

/* Receive into the gathered buffers; the frame's length with the header, or -errno. */
static ssize_t net_rx_recv(struct virtio_net *n, unsigned niov)
{
	static const struct virtio_net_hdr_v1 zero_hdr;
	unsigned cnt;
	ssize_t ret;

	if (n->hdr_on) {
		ret = net_backend_recv(n->be, n->rx_iov, niov);
		return ret >= 0 && ret < VIRTIO_NET_HDR_LEN ? -EBADMSG : ret;
	}
	cnt = iov_skip(n->rx_iov, niov, VIRTIO_NET_HDR_LEN, n->iov2, RX_IOV_MAX);
	ret = net_backend_recv(n->be, n->iov2, cnt);
	if (ret < 0)
		return ret;
	iov_from_buf(n->rx_iov, niov, 0, &zero_hdr, sizeof(zero_hdr));
	return ret + VIRTIO_NET_HDR_LEN;
}

/* Hand len bytes spread over the first chains to the guest; num_buffers says how many. */
static void net_rx_publish(struct virtio_net *n, struct virtq *vq, unsigned k, unsigned niov,
			   size_t len)
{
	uint16_t nbuf;
	unsigned used = 0;

	for (size_t left = len; used < k && (left || !used); used++) {
		uint32_t take = MIN(left, n->rx_chains[used].in_bytes);

		virtq_fill(vq, used, n->rx_chains[used].head, take);
		left -= take;
	}
	virtq_unpop(vq, k - used);
	nbuf = htole16(used);
	iov_from_buf(n->rx_iov, niov, offsetof(struct virtio_net_hdr_v1, num_buffers), &nbuf,
		     sizeof(nbuf));
	virtq_flush(vq, used);
	n->stats.rx_frames++;
	n->stats.rx_bytes += len - VIRTIO_NET_HDR_LEN;
}

static void net_rx_drop(struct virtio_net *n)
{
	struct iovec iov = { .iov_base = n->scratch, .iov_len = NET_FRAME_MAX };

	if (net_backend_recv(n->be, &iov, 1) != -EAGAIN)
		n->stats.rx_dropped++;
}

/* One frame from the back-end into the guest; *waiting: chains too few for it. */
static enum rx_result net_rx_one(struct virtio_net *n, struct virtq *vq, unsigned *waiting)
{
	ssize_t plen = net_backend_peek_len(n->be), got;
	size_t need, bytes;
	unsigned niov;
	int k;

	if (plen <= 0)
		return RX_NO_FRAME;
	need = n->hdr_on ? (size_t)plen : (size_t)plen + VIRTIO_NET_HDR_LEN;
	k = net_rx_gather(n, vq, MAX(need, (size_t)VIRTIO_NET_HDR_LEN), &niov, &bytes);
	*waiting = niov;
	if (k <= 0)
		return k ? RX_BROKEN : RX_NO_BUFFERS;
	if (bytes < need) {
		virtq_unpop(vq, k);
		net_rx_drop(n);
		return RX_DONE;
	}
	got = net_rx_recv(n, niov);
	if (got < 0) {
		virtq_unpop(vq, k);
		if (got == -EAGAIN)
			return RX_NO_FRAME;
		n->stats.rx_dropped++;
		return RX_DONE;
	}
	net_rx_publish(n, vq, k, niov, got);
	return RX_DONE;
}

/* Deliver waiting frames, up to the budget; true when frames may be left. */
static bool net_rx_process(struct virtio_net *n)
{
	struct virtq *vq = virtio_pci_vq(&n->vp, VIRTIO_NET_RXQ);
	unsigned waiting = 0, budget = PASS_BUDGET;
	enum rx_result r = RX_DONE;

	if (!virtio_pci_queue_live(&n->vp, VIRTIO_NET_RXQ)) {
		net_be_poll(n, false);
		return false;
	}
	virtq_notify_disable(vq);
	while (budget) {
		r = net_rx_one(n, vq, &waiting);
		if (r == RX_DONE) {
			budget--;
			continue;
		}
		if (r != RX_NO_BUFFERS || !virtq_notify_enable(vq, waiting))
			break;
		virtq_notify_disable(vq);
	}
	if (r == RX_BROKEN)
		virtio_pci_set_needs_reset(&n->vp);
	if (r == RX_NO_BUFFERS)
		n->stats.rx_no_buffers++;
	/* Without buffers the guest's next post kicks us; until then the back-end waits. */
	net_be_poll(n, r == RX_NO_FRAME || r == RX_DONE);
	net_queue_interrupt(n, vq, VIRTIO_NET_RXQ);
	return r == RX_DONE;
}

/* One pass over both queues under the lock; true when a queue ran out of budget. */
static bool net_pass(struct virtio_net *n)
{
	bool more;

	pthread_mutex_lock(&n->vp.lock);
	n->stats.wakeups++;
	net_ctrl_process(n);
	more = net_rx_process(n);
	for (unsigned p = 0; p < VIRTIO_NET_MAX_PAIRS; p++)
		more |= net_tx_process(n, 2 * p + 1);
	pthread_mutex_unlock(&n->vp.lock);
	virtio_pci_intx_sync(&n->vp);
	return more;
}

void virtio_net_run_once(struct pci_device *dev)
{
	net_pass(to_net(dev));
}

/* --- the I/O thread --- */

static void net_eventfd_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("virtio-net: eventfd read: %s", strerror(errno));
}

static void *net_io_thread(void *arg)
{
	struct virtio_net *n = arg;
	struct epoll_event ev[4];

	/* named by its MAC: the thread starts before the device is plugged and has an address */
	sandbox_thread_enter(SANDBOX_DEVICE_IO, "virtio-net %02x:%02x:%02x:%02x:%02x:%02x",
			     n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
	while (!__atomic_load_n(&n->stop, __ATOMIC_ACQUIRE)) {
		int nev = epoll_wait(n->epfd, ev, ARRAY_SIZE(ev), -1);

		for (int i = 0; i < nev; i++)
			if (ev[i].data.fd != n->be->poll_fd)
				net_eventfd_drain(ev[i].data.fd);
		if (nev < 0 && errno != EINTR) {
			log_err("virtio-net %s: epoll_wait: %s", n->vp.dev.bdf, strerror(errno));
			break;
		}
		while (!__atomic_load_n(&n->stop, __ATOMIC_ACQUIRE) && net_pass(n))
			;
	}
	return NULL;
}

static void net_wake(struct virtio_net *n)
{
	uint64_t one = 1;

	if (write(n->wake_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("virtio-net %s: wake-up eventfd write failed", n->vp.dev.bdf);
}

static int net_thread_start(struct virtio_net *n)
{
	int ret;

	if (!n->io_thread || n->thread_running)
		return 0;
	__atomic_store_n(&n->stop, false, __ATOMIC_RELEASE);
	ret = -pthread_create(&n->thread, NULL, net_io_thread, n);
	n->thread_running = !ret;
	return ret;
}

/* After this no thread of ours touches the queues, guest memory or interrupts. */
static void net_thread_stop(struct virtio_net *n)
{
	if (!n->thread_running)
		return;
	__atomic_store_n(&n->stop, true, __ATOMIC_RELEASE);
	net_wake(n);
	pthread_join(n->thread, NULL);
	n->thread_running = false;
}

/* --- virtio device hooks (under vp.lock) --- */

static void net_cfg_read(struct virtio_pci *vp, unsigned off, uint8_t *data, unsigned len)
{
	struct virtio_net *n = vp->opaque;
	uint8_t cfg[VIRTIO_NET_CFG_LEN] = { 0 };
	uint16_t status = htole16(n->be->link_up ? VIRTIO_NET_S_LINK_UP : 0);
	uint16_t pairs = htole16(VIRTIO_NET_MAX_PAIRS);

	memcpy(&cfg[VIRTIO_NET_CFG_MAC], n->mac, 6);
	memcpy(&cfg[VIRTIO_NET_CFG_STATUS], &status, 2);
	memcpy(&cfg[VIRTIO_NET_CFG_MAX_VQP], &pairs, 2);
	memcpy(data, &cfg[off], len);
}

/* Offloads need the checksum feature they build on (virtio 5.1.3.1). */
static bool net_features_ok(struct virtio_pci *vp, uint64_t f)
{
	if ((f & (BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6))) &&
	    !(f & BIT(VIRTIO_NET_F_CSUM)))
		return false;
	if ((f & (BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6))) &&
	    !(f & BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return false;
	return !(f & BIT(VIRTIO_NET_F_MQ)) || (f & BIT(VIRTIO_NET_F_CTRL_VQ));
}

static void net_driver_ok(struct virtio_pci *vp)
{
	struct virtio_net *n = vp->opaque;
	unsigned off = 0;

	if (n->hdr_on) {
		if (net_has(n, VIRTIO_NET_F_GUEST_CSUM))
			off |= NET_BE_OFFLOAD_CSUM;
		if (net_has(n, VIRTIO_NET_F_GUEST_TSO4))
			off |= NET_BE_OFFLOAD_TSO4;
		if (net_has(n, VIRTIO_NET_F_GUEST_TSO6))
			off |= NET_BE_OFFLOAD_TSO6;
		if (net_backend_set_offloads(n->be, off))
			log_warn("virtio-net %s: back-end refused offloads 0x%x", vp->dev.bdf, off);
	}
	if (n->thread_running)
		net_wake(n);
}

static void net_dev_reset(struct virtio_pci *vp)
{
	struct virtio_net *n = vp->opaque;

	net_be_poll(n, false);
	n->pairs = 1;
}

static const struct virtio_pci_dev_ops net_virtio_ops = {
	.cfg_read = net_cfg_read,
	.features_ok = net_features_ok,
	.driver_ok = net_driver_ok,
	.reset = net_dev_reset,
};

/* --- PCI hooks --- */

static void net_quiesce(struct pci_device *dev)
{
	net_thread_stop(to_net(dev));
}

static void net_reset(struct pci_device *dev)
{
	struct virtio_net *n = to_net(dev);

	virtio_pci_reset(&n->vp);
	if (net_thread_start(n))
		log_err("virtio-net %s: cannot restart the I/O thread", dev->bdf);
}

static void net_free(struct virtio_net *n)
{
	if (n->epfd >= 0)
		close(n->epfd);
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	free(n->iov);
	free(n->iov2);
	free(n->rx_iov);
	free(n->scratch);
	free(n);
}

static void net_teardown(struct pci_device *dev)
{
	struct virtio_net *n = to_net(dev);

	net_thread_stop(n);
	virtio_pci_destroy(&n->vp);
	if (n->owns_be)
		net_backend_close(n->be);
	net_free(n);
}

static const struct pci_device_ops virtio_net_pci_ops = {
	.name = "virtio-net",
	.cfg_read = virtio_pci_cfg_read,
	.cfg_write = virtio_pci_cfg_write,
	.bar_read = virtio_pci_bar_read,
	.bar_write = virtio_pci_bar_write,
	.bar_moved = virtio_pci_bar_moved,
	.quiesce = net_quiesce,
	.reset = net_reset,
	.teardown = net_teardown,
};

/* --- creation --- */

static uint64_t net_features(const struct net_backend *be)
{
	uint64_t f = BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |
		     BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_RING_F_EVENT_IDX) |
		     BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VIRTIO_NET_F_CTRL_VQ) |
		     BIT(VIRTIO_NET_F_MQ);

	if (be->caps & NET_BE_CAP_VNET_HDR)
		f |= BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
		     BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |
		     BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6);
	return f;
}

static int net_epoll_setup(struct virtio_net *n)
{
	int fds[VIRTIO_PCI_MAX_QUEUES + 1], nfd = 0;

	n->epfd = epoll_create1(EPOLL_CLOEXEC);
	n->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->epfd < 0 || n->wake_fd < 0)
		return -errno;
	fds[nfd++] = n->wake_fd;
	for (unsigned q = 0; q < VIRTIO_NET_NUM_QUEUES; q++)
		fds[nfd++] = virtio_pci_kick_fd(&n->vp, q);
	for (int i = 0; i < nfd; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };

		if (epoll_ctl(n->epfd, EPOLL_CTL_ADD, fds[i], &ev))
			return -errno;
	}
	return 0;
}

static int net_setup(struct virtio_net *n, const struct guest_mem *mem)
{
	struct virtio_pci_config cfg = {
		.pci_ops = &virtio_net_pci_ops, .ops = &net_virtio_ops, .opaque = n, .mem = mem,
		.device_id = VIRTIO_ID_NET, .class_code = PCI_CLASS_ETHERNET,
		.features = net_features(n->be), .num_queues = VIRTIO_NET_NUM_QUEUES,
		.queue_max = VIRTIO_NET_QUEUE_MAX, .cfg_len = VIRTIO_NET_CFG_LEN,
	};
	int ret;

	n->iov = calloc(VIRTIO_NET_QUEUE_MAX, sizeof(*n->iov));
	n->iov2 = calloc(RX_IOV_MAX + 1, sizeof(*n->iov2));
	n->rx_iov = calloc(RX_IOV_MAX, sizeof(*n->rx_iov));
	n->scratch = malloc(NET_FRAME_MAX);
	if (!n->iov || !n->iov2 || !n->rx_iov || !n->scratch)
		return -ENOMEM;
	if (n->be->caps & NET_BE_CAP_VNET_HDR) {
		ret = net_backend_set_vnet_hdr(n->be, true);
		if (ret)
			return ret;
		n->hdr_on = true;
	}
	ret = virtio_pci_init(&n->vp, &cfg);
	if (ret)
		return ret;
	ret = net_epoll_setup(n);
	if (!ret)
		ret = net_thread_start(n);
	if (ret)
		virtio_pci_destroy(&n->vp);
	return ret;
}

int virtio_net_new(const struct guest_mem *mem, struct net_backend *be, const uint8_t mac[6],
		   bool io_thread, struct pci_device **out)
{
	struct virtio_net *n;
	int ret;

	if (!mem || !be || !mac || !out)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->be = be;
	n->pairs = 1;
	n->io_thread = io_thread;
	n->epfd = n->wake_fd = -1;
	memcpy(n->mac, mac, 6);
	ret = net_setup(n, mem);
	if (ret) {
		net_free(n);
		return ret;
	}
	*out = &n->vp.dev;
	return 0;
}

int virtio_net_create(struct vm *vm, struct pci_root *root, struct net_backend *be,
		      const uint8_t mac[6], struct pci_device **out)
{
	struct pci_device *dev;
	int ret;

	ret = virtio_net_new(&vm->mem, be, mac, true, &dev);
	if (ret)
		return ret;
	ret = pci_root_add_device(root, dev, -1);
	if (ret) {
		net_teardown(dev);
		return ret;
	}
	to_net(dev)->owns_be = true;
	if (out)
		*out = dev;
	return 0;
}

void virtio_net_link_changed(struct pci_device *dev)
{
	struct virtio_net *n = to_net(dev);

	pthread_mutex_lock(&n->vp.lock);
	virtio_pci_config_changed(&n->vp);
	pthread_mutex_unlock(&n->vp.lock);
	virtio_pci_intx_sync(&n->vp);
}

void virtio_net_stats_get(struct pci_device *dev, struct virtio_net_stats *out)
{
	struct virtio_net *n = to_net(dev);

	pthread_mutex_lock(&n->vp.lock);
	*out = n->stats;
	pthread_mutex_unlock(&n->vp.lock);
}
