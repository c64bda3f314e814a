#include "vhost-user-net.h"

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "guest-mem.h"
#include "log.h"
#include "pci-msix.h"
#include "pci.h"
#include "sandbox.h"
#include "vhost-user-msg.h"
#include "vhost-user-sock.h"
#include "virtio-net.h"
#include "virtio-pci.h"
#include "vm.h"

#define BIT(n) (1ULL << (n))
#define PCI_CLASS_ETHERNET 0x020000
#define VU_QUEUES (2 * VIRTIO_NET_MAX_PAIRS)  /* data queues: pair p is 2p (rx), 2p + 1 (tx) */
#define VU_ALL_QUEUES (VU_QUEUES + 1)         /* and the control queue, serviced here */
#define VU_QUEUE_MAX 256
#define VU_DEFAULT_TIMEOUT_MS 5000
#define VU_DEFAULT_RECONNECT_MS 1000

/* Features the VMM provides itself (configuration space), not the back-end. */
#define VU_FEATURES_OWN (BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS))
/* With more than one queue pair: the control queue and multiqueue, also the VMM's. */
#define VU_FEATURES_MQ (BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_MQ))
/* Features of the rings and frames: the back-end must offer them. */
#define VU_FEATURES_RING (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF) | \
			  BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_RING_F_INDIRECT_DESC))
#define VU_PROTOCOL_FEATURES (BIT(VHOST_USER_PROTOCOL_F_MQ) | BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK))

struct vu_net {
	struct virtio_pci vp;
	char *name;                 /* the socket path */
	bool server;                /* listens at name */
	bool client;                /* connects to name, again after a drop */
	struct vhost_user_chan chan;
	int listen_fd;              /* server mode */
	int reconnect_ms;
	uint8_t mac[6];
	uint64_t be_features;       /* the back-end's GET_FEATURES */
	uint64_t protocol_features; /* what both sides agreed */
	bool running;               /* the queues are with the back-end */
	bool started[VU_QUEUES];
	unsigned queue_pairs;       /* the device's (max_virtqueue_pairs); back-ends must serve them */
	unsigned pairs;             /* the driver's VQ_PAIRS_SET (1 until it sends one) */
	struct iovec ctrl_iov[VU_QUEUE_MAX];
	bool thread_running;        /* written under vp.lock */
	bool stop;                  /* under vp.lock */
	pthread_t thread;
	int wake_fd;
	int err_fd[VU_QUEUES];      /* SET_VRING_ERR: the back-end signals a broken ring */
	struct vhost_user_net_stats stats;
};

static struct vu_net *to_vu(struct pci_device *dev)
{
	return ((struct virtio_pci *)dev->priv)->opaque;
}

static void vu_wake(struct vu_net *n);

/* --- sessions --- */

/* The link the guest sees; a change raises a configuration interrupt. Under vp.lock. */
static void vu_link_update(struct vu_net *n, bool up)
{
	bool was = n->running;

	n->running = up;
	if (was != up)
		virtio_pci_config_changed(&n->vp);
}

/* End the session: close the socket, forget the queues, link down, say why. */
static void vu_drop(struct vu_net *n, const char *fmt, ...) __printf(2, 3);
static void vu_drop(struct vu_net *n, const char *fmt, ...)
{
	char why[VHOST_USER_NET_ERR_MAX - 40];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(n->stats.last_error, sizeof(n->stats.last_error), "vhost-user %s: %s", n->name,
		 why);
	log_warn("%s; dropping the back-end", n->stats.last_error);
	if (n->chan.fd >= 0) {
		close(n->chan.fd);
		n->stats.disconnects++;
	}
	n->chan.fd = -1;
	n->chan.reply_ack = false;
	memset(n->started, 0, sizeof(n->started));
	vu_link_update(n, false);
	if (n->thread_running)
		vu_wake(n);
}

/* One request; on failure the session is dropped, naming the request and what was wrong. */
static int vu_call(struct vu_net *n, uint32_t id, const union vhost_user_payload_buf *p,
		   const int *fds, unsigned nfds, union vhost_user_payload_buf *reply)
{
	const char *why = NULL;
	int ret = vhost_user_chan_call(&n->chan, id, p, fds, nfds, reply, &why);

	if (ret)
		vu_drop(n, "%s: %s (%s)", vhost_user_msg_find(id) ? vhost_user_msg_find(id)->name :
			"?", why, strerror(-ret));
	return ret;
}

static int vu_call_u64(struct vu_net *n, uint32_t id, uint64_t v)
{
	union vhost_user_payload_buf p = { .u64 = v };

	return vu_call(n, id, &p, NULL, 0, NULL);
}

static int vu_get_u64(struct vu_net *n, uint32_t id, uint64_t *out)
{
	union vhost_user_payload_buf r;
	int ret = vu_call(n, id, NULL, NULL, 0, &r);

	if (!ret)
		*out = r.u64;
	return ret;
}

/* The driver may use every pair the device has: a back-end must serve them all. */
static int vu_queue_pairs_check(struct vu_net *n)
{
	if (n->stats.queue_pairs >= n->queue_pairs)
		return 0;
	vu_drop(n, "the back-end serves %u queue pairs, the device has %u", n->stats.queue_pairs,
		n->queue_pairs);
	return -EPROTO;
}

static int vu_protocol_negotiate(struct vu_net *n)
{
	uint64_t pf, qn = 1;
	int ret = vu_get_u64(n, VHOST_USER_GET_PROTOCOL_FEATURES, &pf);

	if (ret)
		return ret;
	n->protocol_features = pf & VU_PROTOCOL_FEATURES;
	ret = vu_call_u64(n, VHOST_USER_SET_PROTOCOL_FEATURES, n->protocol_features);
	if (ret)
		return ret;
	n->chan.reply_ack = n->protocol_features & BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);
	if ((n->protocol_features & BIT(VHOST_USER_PROTOCOL_F_MQ)) &&
	    (ret = vu_get_u64(n, VHOST_USER_GET_QUEUE_NUM, &qn)))
		return ret;
	if (qn < 1 || qn > 0x8000) {
		vu_drop(n, "GET_QUEUE_NUM: %llu queue pairs is not a queue count",
			(unsigned long long)qn);
		return -EPROTO;
	}
	n->stats.queue_pairs = qn;
	return vu_queue_pairs_check(n);
}

/* The first messages of a session: features, protocol features, queue count, owner. */
static int vu_handshake(struct vu_net *n)
{
	int ret = vu_get_u64(n, VHOST_USER_GET_FEATURES, &n->be_features);

	if (ret)
		return ret;
	n->stats.backend_features = n->be_features;
	if (!(n->be_features & BIT(VIRTIO_F_VERSION_1))) {
		vu_drop(n, "the back-end does not offer VIRTIO_F_VERSION_1");
		return -EPROTO;
	}
	n->protocol_features = 0;
	n->stats.queue_pairs = 1;
	ret = n->be_features & BIT(VHOST_USER_F_PROTOCOL_FEATURES) ? vu_protocol_negotiate(n) :
								     vu_queue_pairs_check(n);
	if (ret)
		return ret;
	ret = vu_call(n, VHOST_USER_SET_OWNER, NULL, NULL, 0, NULL);
	if (!ret)
		n->stats.connects++;
	return ret;
}

/* --- handing the queues over --- */

static int vu_mem_table_send(struct vu_net *n)
{
	const struct guest_mem *mem = n->vp.mem;
	union vhost_user_payload_buf p = { 0 };
	int fds[VHOST_USER_MAX_FDS];

	for (size_t i = 0; i < mem->n_regions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];

		if (r->fd < 0) {
			vu_drop(n, "guest RAM at 0x%llx is not backed by a memfd",
				(unsigned long long)r->gpa);
			return -EINVAL;
		}
		p.mem.regions[i] = (struct vhost_user_mem_region){
			.guest_phys_addr = r->gpa, .memory_size = r->size,
			.userspace_addr = (uintptr_t)r->hva, .mmap_offset = r->fd_offset };
		fds[i] = r->fd;
	}
	p.mem.nregions = mem->n_regions;
	return vu_call(n, VHOST_USER_SET_MEM_TABLE, &p, fds, mem->n_regions, NULL);
}

/* Where queue q resumes: the used index in the guest's ring. */
static uint16_t vu_used_idx(const struct virtq *vq)
{
	return le16toh(__atomic_load_n((const uint16_t *)(vq->used + 2), __ATOMIC_ACQUIRE));
}

/* The fd the back-end signals for queue q's used buffers, or -1 (no vector). */
static int vu_call_fd(struct vu_net *n, unsigned q)
{
	uint16_t v = n->vp.queues[q].msix_vector;

	if (!__atomic_load_n(&n->vp.msix_enabled, __ATOMIC_ACQUIRE) || v == VIRTIO_MSI_NO_VECTOR)
		return -1;
	return pci_msix_vector_eventfd(&n->vp.dev, v);
}

static int vu_vring_fd(struct vu_net *n, uint32_t id, unsigned q, int fd)
{
	union vhost_user_payload_buf p = { .u64 = q | (fd < 0 ? VHOST_USER_VRING_NOFD : 0) };

	return vu_call(n, id, &p, &fd, fd < 0 ? 0 : 1, NULL);
}

static int vu_queue_start(struct vu_net *n, unsigned q)
{
	struct virtq *vq = virtio_pci_vq(&n->vp, q);
	union vhost_user_payload_buf p = { .state = { q, vq->size } };
	int ret = vu_call(n, VHOST_USER_SET_VRING_NUM, &p, NULL, 0, NULL);

	p.state.num = vu_used_idx(vq);
	if (!ret)
		ret = vu_call(n, VHOST_USER_SET_VRING_BASE, &p, NULL, 0, NULL);
	p.addr = (struct vhost_user_vring_addr){ .index = q, .desc = (uintptr_t)vq->desc,
		.used = (uintptr_t)vq->used, .avail = (uintptr_t)vq->avail };
	if (!ret)
		ret = vu_call(n, VHOST_USER_SET_VRING_ADDR, &p, NULL, 0, NULL);
	if (!ret)
		ret = vu_vring_fd(n, VHOST_USER_SET_VRING_CALL, q, vu_call_fd(n, q));
	if (!ret)
		ret = vu_vring_fd(n, VHOST_USER_SET_VRING_ERR, q, n->err_fd[q]);
	if (!ret)
		ret = vu_vring_fd(n, VHOST_USER_SET_VRING_KICK, q, virtio_pci_kick_fd(&n->vp, q));
	if (ret)
		return ret;
	n->started[q] = true;
	return 0;
}

/*
 * With protocol features rings start disabled: once all are set up, enable
 * those of the pairs the driver uses and disable the others.
 */
static int vu_queues_enable(struct vu_net *n)
{
	if (!(n->be_features & BIT(VHOST_USER_F_PROTOCOL_FEATURES)))
		return 0;
	for (unsigned q = 0; q < VU_QUEUES; q++) {
		union vhost_user_payload_buf p = { .state = { q, q / 2 < n->pairs } };

		if (n->started[q] && vu_call(n, VHOST_USER_SET_VRING_ENABLE, &p, NULL, 0, NULL))
			return -ECONNRESET;
	}
	return 0;
}

/* Whether the driver's features can be carried by this back-end; if not, drop it. */
static bool vu_features_carried(struct vu_net *n)
{
	uint64_t missing = n->vp.driver_features & VU_FEATURES_RING & ~n->be_features;

	if (!missing)
		return true;
	vu_drop(n, "the driver uses features 0x%llx the back-end does not offer",
		(unsigned long long)missing);
	return false;
}

/* Nudge both sides once: a kick the back-end missed, an interrupt the guest missed. */
static void vu_nudge(struct vu_net *n, unsigned q)
{
	uint64_t one = 1;

	if (write(virtio_pci_kick_fd(&n->vp, q), &one, sizeof(one)) != sizeof(one))
		log_debug("vhost-user %s: queue %u: kick failed", n->name, q);
	virtio_pci_queue_interrupt(&n->vp, q);
}

/*
 * Hand the enabled queues to the back-end, when there is one and the driver
 * is running. Under vp.lock; a failure drops the session.
 */
static void vu_start(struct vu_net *n)
{
	uint64_t f = (n->vp.driver_features & VU_FEATURES_RING) |
		     (n->be_features & BIT(VHOST_USER_F_PROTOCOL_FEATURES));

	if (n->chan.fd < 0 || n->running || !(n->vp.status & VIRTIO_STATUS_DRIVER_OK) ||
	    (n->vp.status & VIRTIO_STATUS_NEEDS_RESET) || !vu_features_carried(n))
		return;
	if (!__atomic_load_n(&n->vp.msix_enabled, __ATOMIC_ACQUIRE))
		log_warn("vhost-user %s: MSI-X is off: the back-end cannot interrupt the guest",
			 n->name);
	if (vu_call_u64(n, VHOST_USER_SET_FEATURES, f) || vu_mem_table_send(n))
		return;
	for (unsigned q = 0; q < 2 * n->queue_pairs; q++)
		if (virtio_pci_queue_live(&n->vp, q) && vu_queue_start(n, q))
			return;
	if (vu_queues_enable(n))
		return;
	n->stats.starts++;
	vu_link_update(n, true);
	for (unsigned q = 0; q < VU_QUEUES; q++)
		if (n->started[q])
			vu_nudge(n, q);
}

/* Take the queues back: after this the back-end touches no ring. Under vp.lock. */
static void vu_stop(struct vu_net *n)
{
	for (unsigned q = 0; q < VU_QUEUES && n->chan.fd >= 0; q++) {
		union vhost_user_payload_buf p = { .state = { q, 0 } }, r;

		if (!n->started[q])
			continue;
		if (vu_call(n, VHOST_USER_GET_VRING_BASE, &p, NULL, 0, &r))
			return;
		n->started[q] = false;
		if (r.state.index != q) {
			vu_drop(n, "GET_VRING_BASE: the reply is for queue %u, not %u",
				r.state.index, q);
			return;
		}
	}
}

/* A new back-end on fd: negotiate, and give it the queues if the driver runs. Under vp.lock. */
static int vu_session_begin(struct vu_net *n, int fd)
{
	int ret;

	if (n->chan.fd >= 0 && n->chan.fd != fd)
		vu_drop(n, "replaced by a new back-end");
	n->chan.fd = fd;
	if (n->thread_running)
		vu_wake(n);
	ret = vu_handshake(n);
	if (ret)
		return ret;
	log_info("vhost-user %s: back-end connected (features 0x%llx)", n->name,
		 (unsigned long long)n->be_features);
	vu_start(n);
	return n->chan.fd < 0 ? -ECONNRESET : 0;
}

/* --- the control queue: only VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET is understood --- */

static unsigned vu_ctrl_queue(struct vu_net *n)
{
	return (n->vp.driver_features & BIT(VIRTIO_NET_F_MQ)) ? VU_QUEUES : 2;
}

/*
 * The driver asks for pairs queue pairs, 1 up to the device's. The
 * back-end's rings follow now if it runs (a back-end that comes later gets
 * the count with the queues). The ack byte.
 */
static uint8_t vu_pairs_set(void *opaque, uint16_t pairs)
{
	struct vu_net *n = opaque;

	if (!(n->vp.driver_features & BIT(VIRTIO_NET_F_MQ)) || pairs < 1 || pairs > n->queue_pairs)
		return VIRTIO_NET_ERR;
	n->pairs = pairs;
	if (n->running && vu_queues_enable(n))
		return VIRTIO_NET_ERR;
	return VIRTIO_NET_OK;
}

/* Answer every command the driver posted. Under vp.lock. */
static void vu_ctrl_process(struct vu_net *n)
{
	unsigned q = vu_ctrl_queue(n);

	if (!(n->vp.driver_features & BIT(VIRTIO_NET_F_CTRL_VQ)) ||
	    !virtio_pci_queue_live(&n->vp, q))
		return;
	if (virtio_net_ctrl_process(&n->vp, q, n->ctrl_iov, VU_QUEUE_MAX, vu_pairs_set, n))
		virtio_pci_queue_interrupt(&n->vp, q);
}

/* --- virtio device hooks (under vp.lock) --- */

static void vu_cfg_read(struct virtio_pci *vp, unsigned off, uint8_t *data, unsigned len)
{
	struct vu_net *n = vp->opaque;
	uint8_t cfg[VIRTIO_NET_CFG_LEN] = { 0 };
	uint16_t status = htole16(n->running ? VIRTIO_NET_S_LINK_UP : 0);
	uint16_t pairs = htole16(n->queue_pairs);

	memcpy(&cfg[VIRTIO_NET_CFG_MAC], n->mac, 6);
	memcpy(&cfg[VIRTIO_NET_CFG_STATUS], &status, 2);
	memcpy(&cfg[VIRTIO_NET_CFG_MAX_VQP], &pairs, 2);
	memcpy(data, &cfg[off], len);
}

static void vu_driver_ok(struct virtio_pci *vp)
{
	struct vu_net *n = vp->opaque;

	vu_start(n);
	if (n->thread_running)
		vu_wake(n); /* the control queue's doorbell joins its poll set */
}

static void vu_dev_reset(struct virtio_pci *vp)
{
	struct vu_net *n = vp->opaque;

	vu_stop(n);
	n->running = false;
	n->pairs = 1;
}

/* MQ needs the control queue that sets the pair count (virtio 5.1.3.1). */
static bool vu_features_ok(struct virtio_pci *vp, uint64_t f)
{
	return !(f & BIT(VIRTIO_NET_F_MQ)) || (f & BIT(VIRTIO_NET_F_CTRL_VQ));
}

static const struct virtio_pci_dev_ops vu_virtio_ops = {
	.cfg_read = vu_cfg_read,
	.features_ok = vu_features_ok,
	.driver_ok = vu_driver_ok,
	.reset = vu_dev_reset,
};

/* --- the control thread: accept, reconnect, notice a back-end going away --- */

/* Client mode: try the socket once. Under vp.lock. */
static void vu_reconnect(struct vu_net *n)
{
	int fd = vhost_user_sock_connect(n->name);

	if (fd >= 0) {
		(void)vu_session_begin(n, fd);
		return;
	}
	log_debug("vhost-user %s: connect: %s", n->name, strerror(-fd));
}

static void vu_accept(struct vu_net *n)
{
	int fd = vhost_user_sock_accept(n->listen_fd);

	if (fd >= 0)
		(void)vu_session_begin(n, fd);
	else if (fd != -EAGAIN)
		log_warn("vhost-user %s: accept: %s", n->name, strerror(-fd));
}

/*
 * The back-end signalled queue q's error fd: it found the ring broken. The
 * device needs a reset, as when the VMM finds a broken ring itself.
 */
static void vu_ring_errors_check(struct vu_net *n)
{
	for (unsigned q = 0; q < VU_QUEUES; q++) {
		uint64_t v;

		if (read(n->err_fd[q], &v, sizeof(v)) != sizeof(v))
			continue;
		log_warn("vhost-user %s: the back-end reports queue %u broken", n->name, q);
		virtio_pci_set_needs_reset(&n->vp);
	}
}

static void vu_ctrl_kick_drain(struct vu_net *n)
{
	uint64_t v;

	if ((n->vp.driver_features & BIT(VIRTIO_NET_F_CTRL_VQ)) &&
	    read(virtio_pci_kick_fd(&n->vp, vu_ctrl_queue(n)), &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("vhost-user %s: control queue kick: %s", n->name, strerror(errno));
}

/* What the thread waits for next; the poll timeout. Under vp.lock. */
static int vu_poll_setup(struct vu_net *n, struct pollfd *p, nfds_t *np)
{
	*np = 0;
	p[(*np)++] = (struct pollfd){ .fd = n->wake_fd, .events = POLLIN };
	for (unsigned q = 0; q < VU_QUEUES; q++)
		p[(*np)++] = (struct pollfd){ .fd = n->err_fd[q], .events = POLLIN };
	if (n->vp.driver_features & BIT(VIRTIO_NET_F_CTRL_VQ))
		p[(*np)++] = (struct pollfd){ .fd = virtio_pci_kick_fd(&n->vp, vu_ctrl_queue(n)),
					      .events = POLLIN };
	if (n->chan.fd >= 0)
		p[(*np)++] = (struct pollfd){ .fd = n->chan.fd, .events = POLLIN };
	else if (n->server)
		p[(*np)++] = (struct pollfd){ .fd = n->listen_fd, .events = POLLIN };
	else if (n->client)
		return n->reconnect_ms;
	return -1;
}

/* One round after poll() returned. Under vp.lock. */
static void vu_thread_round(struct vu_net *n)
{
	const char *why;

	vu_ring_errors_check(n);
	vu_ctrl_kick_drain(n);
	vu_ctrl_process(n);
	if (n->chan.fd >= 0) {
		if (vhost_user_chan_idle_broken(&n->chan, &why))
			vu_drop(n, "%s", why);
	} else if (n->server) {
		vu_accept(n);
	} else if (n->client) {
		vu_reconnect(n);
	}
}

static void vu_wake_drain(struct vu_net *n)
{
	uint64_t v;

	if (read(n->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("vhost-user %s: wake-up read: %s", n->name, strerror(errno));
}

static void *vu_thread(void *arg)
{
	struct vu_net *n = arg;

	sandbox_thread_enter(SANDBOX_VHOST_USER, "vhost-user %s", n->name);
	for (;;) {
		struct pollfd p[3 + VU_QUEUES];
		nfds_t np;
		int timeout;

		pthread_mutex_lock(&n->vp.lock);
		if (n->stop) {
			pthread_mutex_unlock(&n->vp.lock);
			break;
		}
		timeout = vu_poll_setup(n, p, &np);
		pthread_mutex_unlock(&n->vp.lock);
		if (poll(p, np, timeout) < 0 && errno != EINTR)
			log_warn("vhost-user %s: poll: %s", n->name, strerror(errno));
		vu_wake_drain(n);
		pthread_mutex_lock(&n->vp.lock);
		if (!n->stop)
			vu_thread_round(n);
		pthread_mutex_unlock(&n->vp.lock);
		virtio_pci_intx_sync(&n->vp);
	}
	return NULL;
}

static void vu_wake(struct vu_net *n)
{
	uint64_t one = 1;

	if (write(n->wake_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("vhost-user %s: wake-up write failed", n->name);
}

static int vu_thread_start(struct vu_net *n)
{
	int ret;

	if (n->thread_running)
		return 0;
	/* Under the lock: the thread's first round reads thread_running (vu_drop). */
	pthread_mutex_lock(&n->vp.lock);
	n->stop = false;
	ret = -pthread_create(&n->thread, NULL, vu_thread, n);
	n->thread_running = !ret;
	pthread_mutex_unlock(&n->vp.lock);
	return ret;
}

static void vu_thread_stop(struct vu_net *n)
{
	if (!n->thread_running)
		return;
	pthread_mutex_lock(&n->vp.lock);
	n->stop = true;
	pthread_mutex_unlock(&n->vp.lock);
	vu_wake(n);
	pthread_join(n->thread, NULL);
	pthread_mutex_lock(&n->vp.lock);
	n->thread_running = false;
	pthread_mutex_unlock(&n->vp.lock);
}

/* --- PCI hooks --- */

/* Stop the thread and take the queues back: the back-end touches guest memory no more. */
static void vu_quiesce(struct pci_device *dev)
{
	struct vu_net *n = to_vu(dev);

	vu_thread_stop(n);
	pthread_mutex_lock(&n->vp.lock);
	vu_stop(n);
	n->running = false;
	pthread_mutex_unlock(&n->vp.lock);
}

static void vu_reset(struct pci_device *dev)
{
	struct vu_net *n = to_vu(dev);

	virtio_pci_reset(&n->vp);
	if (vu_thread_start(n))
		log_err("vhost-user %s: cannot restart the control thread", n->name);
}

static void vu_free(struct vu_net *n)
{
	if (n->chan.fd >= 0)
		close(n->chan.fd);
	if (n->listen_fd >= 0) {
		close(n->listen_fd);
		unlink(n->name);
	}
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	for (unsigned q = 0; q < VU_QUEUES; q++)
		if (n->err_fd[q] >= 0)
			close(n->err_fd[q]);
	free(n->name);
	free(n);
}

static void vu_teardown(struct pci_device *dev)
{
	struct vu_net *n = to_vu(dev);

	vu_quiesce(dev);
	virtio_pci_destroy(&n->vp);
	vu_free(n);
}

static const struct pci_device_ops vu_pci_ops = {
	.name = "vhost-user-net",
	.cfg_read = virtio_pci_cfg_read,
	.cfg_write = virtio_pci_cfg_write,
	.bar_read = virtio_pci_bar_read,
	.bar_write = virtio_pci_bar_write,
	.bar_moved = virtio_pci_bar_moved,
	.quiesce = vu_quiesce,
	.reset = vu_reset,
	.teardown = vu_teardown,
};

/* --- creation --- */

/* The socket: the given fd, a listening socket, or a first connection. */
static int vu_socket_open(struct vu_net *n, const struct vhost_user_net_config *cfg)
{
	int fd;

	if (cfg->fd >= 0)
		return 0;
	fd = cfg->server ? vhost_user_sock_listen(cfg->socket) : vhost_user_sock_connect(cfg->socket);
	if (fd < 0)
		return fd;
	if (cfg->server) {
		n->listen_fd = fd;
	} else {
		n->chan.fd = fd;
	}
	return 0;
}

static int vu_setup(struct vu_net *n, const struct guest_mem *mem,
		    const struct vhost_user_net_config *cfg)
{
	struct virtio_pci_config vcfg = {
		.pci_ops = &vu_pci_ops, .ops = &vu_virtio_ops, .opaque = n, .mem = mem,
		.device_id = VIRTIO_ID_NET, .class_code = PCI_CLASS_ETHERNET,
		.features = VU_FEATURES_OWN | VU_FEATURES_RING |
			    (n->queue_pairs > 1 ? VU_FEATURES_MQ : 0),
		.num_queues = VU_ALL_QUEUES,
		.queue_max = VU_QUEUE_MAX, .cfg_len = VIRTIO_NET_CFG_LEN,
	};
	int ret;

	n->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->wake_fd < 0)
		return -errno;
	for (unsigned q = 0; q < VU_QUEUES; q++) {
		n->err_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (n->err_fd[q] < 0)
			return -errno;
	}
	ret = virtio_pci_init(&n->vp, &vcfg);
	if (ret)
		return ret;
	ret = vu_socket_open(n, cfg);
	if (!ret && n->chan.fd >= 0) {
		/* A first back-end that misbehaves is dropped; the device stays. */
		pthread_mutex_lock(&n->vp.lock);
		(void)vu_session_begin(n, n->chan.fd);
		pthread_mutex_unlock(&n->vp.lock);
	}
	if (!ret)
		ret = vu_thread_start(n);
	if (ret)
		virtio_pci_destroy(&n->vp);
	return ret;
}

int vhost_user_net_new(const struct guest_mem *mem, const struct vhost_user_net_config *cfg,
		       struct pci_device **out)
{
	struct vu_net *n;
	int ret;

	if (!mem || !cfg || !cfg->socket || !out || cfg->queue_pairs > VIRTIO_NET_MAX_PAIRS)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n || !(n->name = strdup(cfg->socket))) {
		free(n);
		if (cfg->fd >= 0)
			close(cfg->fd);
		return -ENOMEM;
	}
	n->server = cfg->server && cfg->fd < 0;
	n->client = !cfg->server && cfg->fd < 0;
	n->chan = (struct vhost_user_chan){ .fd = cfg->fd, .name = n->name,
		.timeout_ms = cfg->reply_timeout_ms ? cfg->reply_timeout_ms : VU_DEFAULT_TIMEOUT_MS };
	n->listen_fd = -1;
	n->wake_fd = -1;
	for (unsigned q = 0; q < VU_QUEUES; q++)
		n->err_fd[q] = -1;
	n->reconnect_ms = cfg->reconnect_ms ? cfg->reconnect_ms : VU_DEFAULT_RECONNECT_MS;
	n->pairs = 1;
	n->queue_pairs = cfg->queue_pairs ? cfg->queue_pairs : 1;
	memcpy(n->mac, cfg->mac, 6);
	ret = vu_setup(n, mem, cfg);
	if (ret) {
		vu_free(n);
		return ret;
	}
	*out = &n->vp.dev;
	return 0;
}

int vhost_user_net_create(struct vm *vm, struct pci_root *root,
			  const struct vhost_user_net_config *cfg, struct pci_device **out)
{
	struct pci_device *dev;
	int ret = vhost_user_net_new(&vm->mem, cfg, &dev);

	if (ret)
		return ret;
	ret = pci_root_add_device(root, dev, -1);
	if (ret) {
		vu_teardown(dev);
		return ret;
	}
	if (out)
		*out = dev;
	return 0;
}

int vhost_user_net_attach_fd(struct pci_device *dev, int fd)
{
	struct vu_net *n = to_vu(dev);
	int ret;

	pthread_mutex_lock(&n->vp.lock);
	ret = vu_session_begin(n, fd);
	pthread_mutex_unlock(&n->vp.lock);
	virtio_pci_intx_sync(&n->vp);
	return ret;
}

void vhost_user_net_stats_get(struct pci_device *dev, struct vhost_user_net_stats *out)
{
	struct vu_net *n = to_vu(dev);

	pthread_mutex_lock(&n->vp.lock);
	*out = n->stats;
	out->connected = n->chan.fd >= 0;
	out->running = n->running;
	pthread_mutex_unlock(&n->vp.lock);
}
