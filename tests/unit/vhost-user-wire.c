#include "vhost-user-wire.h"

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest-mem.h"
#include "iov.h"
#include "vhost-user-msg.h"
#include "virtqueue.h"

#define BIT(n) (1ULL << (n))
#define HDR_LEN 12
#define FRAME_MAX 9018
#define IOV_MAX_W 512
#define WIRE_FEATURES (BIT(32) /* VERSION_1 */ | BIT(15) /* MRG_RXBUF */ | \
		       BIT(29) /* EVENT_IDX */ | BIT(28) /* INDIRECT_DESC */ | \
		       BIT(VHOST_USER_F_PROTOCOL_FEATURES))

struct wire_ring {
	struct virtq vq;
	unsigned num;
	uint16_t base;
	struct vhost_user_vring_addr addr;
	int kick, call;
	bool enabled;
};

struct wire_frame {
	uint16_t len;
	uint8_t data[FRAME_MAX];
};

struct wire_port {
	int fd;                       /* the session's socket, -1 when none */
	uint64_t features;
	struct guest_mem mem;         /* the guest's regions, mapped here */
	struct vhost_user_mem_region regions[VHOST_USER_MAX_REGIONS];
	unsigned nregions;
	struct wire_ring ring[2];     /* 0 receive, 1 transmit */
	struct wire_frame *backlog;   /* frames for this port's guest */
	unsigned head, count;
};

struct vu_wire {
	pthread_t thread;
	pthread_mutex_t lock;         /* pending and stats */
	int wake;
	bool stop;
	int pending[VU_WIRE_PORTS];   /* sockets attach handed over, not yet adopted */
	struct wire_port port[VU_WIRE_PORTS];
	struct vu_wire_stats stats;
	struct iovec iov[IOV_MAX_W];
	uint8_t frame[FRAME_MAX + HDR_LEN];
};

/* --- the rings --- */

static void ring_stop(struct wire_ring *r)
{
	virtq_stop(&r->vq);
	if (r->kick >= 0)
		close(r->kick);
	if (r->call >= 0)
		close(r->call);
	r->kick = r->call = -1;
	r->enabled = false;
}

static void mem_unmap(struct wire_port *p)
{
	for (size_t i = 0; i < p->mem.n_regions; i++)
		munmap(p->mem.regions[i].hva, p->mem.regions[i].size);
	memset(&p->mem, 0, sizeof(p->mem));
	p->nregions = 0;
}

/* End a session (the thread's; the fd changes under the lock: vu_wire_detach() reads it). */
static void port_end(struct vu_wire *w, struct wire_port *p)
{
	for (unsigned q = 0; q < 2; q++)
		ring_stop(&p->ring[q]);
	mem_unmap(p);
	pthread_mutex_lock(&w->lock);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	pthread_mutex_unlock(&w->lock);
	p->count = p->head = 0;
}

/* A front-end virtual address as a guest-physical one (0 when outside every region). */
static uint64_t va_to_gpa(struct wire_port *p, uint64_t va)
{
	for (unsigned i = 0; i < p->nregions; i++) {
		struct vhost_user_mem_region *r = &p->regions[i];

		if (va >= r->userspace_addr && va - r->userspace_addr < r->memory_size)
			return r->guest_phys_addr + (va - r->userspace_addr);
	}
	return 0;
}

static bool ring_live(struct wire_ring *r)
{
	return r->enabled && virtq_ready(&r->vq) && r->kick >= 0;
}

static void ring_notify(struct wire_ring *r)
{
	uint64_t one = 1;

	if (virtq_need_notify(&r->vq) && r->call >= 0 && write(r->call, &one, 8) != 8)
		return;
}

/* Deliver port p's backlog into its receive ring while it has buffers. */
static void rx_flush(struct vu_wire *w, struct wire_port *p)
{
	struct wire_ring *r = &p->ring[0];
	struct virtq_chain c;
	bool mrg = p->features & BIT(15);

	if (!ring_live(r))
		return;
	for (;;) {
		virtq_notify_disable(&r->vq);
		while (p->count && virtq_pop(&r->vq, w->iov, IOV_MAX_W, &c) == 1) {
			struct wire_frame *f = &p->backlog[p->head];
			uint8_t hdr[HDR_LEN] = { 0 };

			if (mrg)
				hdr[10] = 1; /* num_buffers, little-endian */
			if (c.n_out || c.in_bytes < (size_t)HDR_LEN + f->len) {
				virtq_push(&r->vq, c.head, 0);
			} else {
				iov_from_buf(w->iov, c.n_in, 0, hdr, HDR_LEN);
				iov_from_buf(w->iov, c.n_in, HDR_LEN, f->data, f->len);
				virtq_push(&r->vq, c.head, HDR_LEN + f->len);
			}
			p->head = (p->head + 1) % VU_WIRE_BACKLOG;
			p->count--;
		}
		if (!p->count || !virtq_notify_enable(&r->vq, 0))
			break;
	}
	ring_notify(r);
}

static void frame_queue(struct vu_wire *w, unsigned from, const uint8_t *data, size_t len)
{
	struct wire_port *to = &w->port[from ^ 1];

	pthread_mutex_lock(&w->lock);
	if (to->fd < 0 || to->count == VU_WIRE_BACKLOG || len > FRAME_MAX) {
		w->stats.dropped[from]++;
	} else {
		struct wire_frame *f = &to->backlog[(to->head + to->count++) % VU_WIRE_BACKLOG];

		f->len = len;
		memcpy(f->data, data, len);
		w->stats.forwarded[from]++;
	}
	pthread_mutex_unlock(&w->lock);
}

/* Take what port p's guest transmitted. */
static void tx_drain(struct vu_wire *w, unsigned pi)
{
	struct wire_ring *r = &w->port[pi].ring[1];
	struct virtq_chain c;

	if (!ring_live(r))
		return;
	for (;;) {
		virtq_notify_disable(&r->vq);
		while (virtq_pop(&r->vq, w->iov, IOV_MAX_W, &c) == 1) {
			size_t len = c.out_bytes > HDR_LEN ? c.out_bytes - HDR_LEN : 0;

			if (len && len <= FRAME_MAX) {
				iov_to_buf(w->iov, c.n_out, HDR_LEN, w->frame, len);
				frame_queue(w, pi, w->frame, len);
			}
			virtq_push(&r->vq, c.head, 0);
		}
		if (!virtq_notify_enable(&r->vq, 0))
			break;
	}
	ring_notify(r);
}

/* --- the protocol --- */

static int msg_recv(int fd, struct vhost_user_msg *m, int *fds, unsigned *nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
	struct iovec iov = { .iov_base = m, .iov_len = VHOST_USER_HDR_SIZE };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };

	*nfds = 0;
	if (recvmsg(fd, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC) != VHOST_USER_HDR_SIZE)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		unsigned k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		memcpy(fds + *nfds, CMSG_DATA(c), k * sizeof(int));
		*nfds += k;
	}
	if (m->size > sizeof(m->payload) ||
	    (m->size && recv(fd, &m->payload, m->size, MSG_WAITALL) != (ssize_t)m->size))
		return -1;
	return 0;
}

static void reply_send(int fd, struct vhost_user_msg *m, size_t size)
{
	m->flags = VHOST_USER_VERSION | VHOST_USER_REPLY;
	m->size = size;
	if (send(fd, m, VHOST_USER_HDR_SIZE + size, MSG_NOSIGNAL) < 0)
		return;
}

static int mem_table_set(struct wire_port *p, const struct vhost_user_mem_table *t, int *fds,
			 unsigned nfds)
{
	mem_unmap(p);
	if (t->nregions > VHOST_USER_MAX_REGIONS || nfds != t->nregions)
		return -EINVAL;
	for (unsigned i = 0; i < t->nregions; i++) {
		const struct vhost_user_mem_region *r = &t->regions[i];
		void *hva = mmap(NULL, r->memory_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i],
				 r->mmap_offset);

		if (hva == MAP_FAILED || guest_mem_add(&p->mem, r->guest_phys_addr, r->memory_size,
						       hva, -1, 0))
			return -EINVAL;
		p->regions[p->nregions++] = *r;
	}
	return 0;
}

static int ring_start(struct wire_port *p, struct wire_ring *r)
{
	int ret = virtq_start(&r->vq, &p->mem, r->num, va_to_gpa(p, r->addr.desc),
			      va_to_gpa(p, r->addr.avail), va_to_gpa(p, r->addr.used),
			      p->features & BIT(29));

	if (ret)
		return ret;
	r->vq.last_avail = r->vq.used_idx = r->base;
	if (!(p->features & BIT(VHOST_USER_F_PROTOCOL_FEATURES)))
		r->enabled = true;
	return 0;
}

/* Take an fd message's fd (or none) for ring q's slot. */
static void ring_fd_take(int *slot, const struct vhost_user_msg *m, int *fds, unsigned nfds)
{
	if (*slot >= 0)
		close(*slot);
	*slot = (m->payload.u64 & VHOST_USER_VRING_NOFD) || !nfds ? -1 : fds[0];
}

/* One request; the payload size of its reply, 0 for none, -1 for a protocol error. */
static int request_handle(struct vu_wire *w, unsigned pi, struct vhost_user_msg *m, int *fds,
			  unsigned nfds, bool *used_fds)
{
	struct wire_port *p = &w->port[pi];
	unsigned q = m->payload.state.index;
	struct wire_ring *r = q < 2 ? &p->ring[q] : NULL;
	int err = 0;

	switch (m->request) {
	case VHOST_USER_GET_FEATURES: m->payload.u64 = WIRE_FEATURES; return 8;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		m->payload.u64 = BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);
		return 8;
	case VHOST_USER_SET_FEATURES: p->features = m->payload.u64; break;
	case VHOST_USER_SET_OWNER:
		pthread_mutex_lock(&w->lock);
		w->stats.sessions[pi]++;
		pthread_mutex_unlock(&w->lock);
		break;
	case VHOST_USER_SET_PROTOCOL_FEATURES: break;
	case VHOST_USER_SET_MEM_TABLE: {
		struct vhost_user_mem_table t;

		memcpy(&t, &m->payload.mem, sizeof(t));
		err = mem_table_set(p, &t, fds, nfds);
		break;
	}
	case VHOST_USER_SET_VRING_NUM: if (r) r->num = m->payload.state.num; break;
	case VHOST_USER_SET_VRING_BASE: if (r) r->base = m->payload.state.num; break;
	case VHOST_USER_SET_VRING_ADDR: if (r) r->addr = m->payload.addr; break;
	case VHOST_USER_SET_VRING_ENABLE: if (r) r->enabled = m->payload.state.num; break;
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_ERR:
		q = m->payload.u64 & VHOST_USER_VRING_IDX_MASK;
		if (q >= 2)
			return -1;
		r = &p->ring[q];
		*used_fds = true;
		if (m->request == VHOST_USER_SET_VRING_ERR) {
			for (unsigned i = 0; i < nfds; i++)
				close(fds[i]);
		} else {
			ring_fd_take(m->request == VHOST_USER_SET_VRING_CALL ? &r->call : &r->kick, m,
				     fds, nfds);
		}
		if (m->request == VHOST_USER_SET_VRING_KICK)
			err = ring_start(p, r);
		break;
	case VHOST_USER_GET_VRING_BASE:
		if (!r)
			return -1;
		m->payload.state.num = r->vq.last_avail;
		ring_stop(r);
		return sizeof(m->payload.state);
	default:
		return -1;
	}
	if (err)
		return -1;
	if (m->flags & VHOST_USER_NEED_REPLY) {
		m->payload.u64 = 0;
		return 8;
	}
	return 0;
}

/* One message on port p's socket; false when the session ends. */
static bool session_round(struct vu_wire *w, unsigned pi)
{
	struct wire_port *p = &w->port[pi];
	struct vhost_user_msg m;
	int fds[VHOST_USER_MAX_FDS];
	unsigned nfds;
	bool used_fds = false;
	int size;

	if (msg_recv(p->fd, &m, fds, &nfds))
		return false;
	size = request_handle(w, pi, &m, fds, nfds, &used_fds);
	for (unsigned i = 0; !used_fds && i < nfds; i++)
		close(fds[i]); /* mapped (SET_MEM_TABLE), or not wanted */
	if (size < 0) {
		pthread_mutex_lock(&w->lock);
		w->stats.protocol_errors++;
		pthread_mutex_unlock(&w->lock);
		return false;
	}
	if (size > 0)
		reply_send(p->fd, &m, size);
	return true;
}

/* --- the thread --- */

static void pending_adopt(struct vu_wire *w)
{
	for (unsigned pi = 0; pi < VU_WIRE_PORTS; pi++) {
		int fd;

		pthread_mutex_lock(&w->lock);
		fd = w->pending[pi];
		w->pending[pi] = -1;
		pthread_mutex_unlock(&w->lock);
		if (fd < 0)
			continue;
		port_end(w, &w->port[pi]);
		pthread_mutex_lock(&w->lock);
		w->port[pi].fd = fd;
		pthread_mutex_unlock(&w->lock);
	}
}

static void drain(int fd)
{
	uint64_t v;

	if (fd >= 0 && read(fd, &v, 8) < 0)
		return;
}

static void *wire_thread(void *arg)
{
	struct vu_wire *w = arg;

	for (;;) {
		struct pollfd pf[1 + 3 * VU_WIRE_PORTS];
		unsigned n = 0;

		pthread_mutex_lock(&w->lock);
		if (w->stop) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		pthread_mutex_unlock(&w->lock);
		pending_adopt(w);
		pf[n++] = (struct pollfd){ .fd = w->wake, .events = POLLIN };
		for (unsigned pi = 0; pi < VU_WIRE_PORTS; pi++) {
			struct wire_port *p = &w->port[pi];

			pf[n++] = (struct pollfd){ .fd = p->fd, .events = POLLIN };
			pf[n++] = (struct pollfd){ .fd = p->ring[0].kick, .events = POLLIN };
			pf[n++] = (struct pollfd){ .fd = p->ring[1].kick, .events = POLLIN };
		}
		if (poll(pf, n, 100) < 0 && errno != EINTR)
			break;
		drain(w->wake);
		for (unsigned pi = 0; pi < VU_WIRE_PORTS; pi++) {
			struct wire_port *p = &w->port[pi];

			if (p->fd >= 0 && (pf[1 + 3 * pi].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    !session_round(w, pi))
				port_end(w, p);
			drain(p->ring[0].kick);
			drain(p->ring[1].kick);
		}
		for (unsigned pi = 0; pi < VU_WIRE_PORTS; pi++)
			tx_drain(w, pi);
		for (unsigned pi = 0; pi < VU_WIRE_PORTS; pi++)
			rx_flush(w, &w->port[pi]);
	}
	return NULL;
}

static void wire_wake(struct vu_wire *w)
{
	uint64_t one = 1;

	if (write(w->wake, &one, 8) != 8)
		return;
}

int vu_wire_start(struct vu_wire **out)
{
	struct vu_wire *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	w->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	for (unsigned pi = 0; pi < VU_WIRE_PORTS; pi++) {
		struct wire_port *p = &w->port[pi];

		w->pending[pi] = p->fd = -1;
		p->ring[0].kick = p->ring[0].call = p->ring[1].kick = p->ring[1].call = -1;
		p->backlog = calloc(VU_WIRE_BACKLOG, sizeof(*p->backlog));
		if (!p->backlog)
			return -ENOMEM;
	}
	if (w->wake < 0 || pthread_create(&w->thread, NULL, wire_thread, w))
		return -EAGAIN;
	*out = w;
	return 0;
}

int vu_wire_attach(struct vu_wire *w, unsigned p)
{
	int sv[2];

	if (p >= VU_WIRE_PORTS || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -EINVAL;
	pthread_mutex_lock(&w->lock);
	if (w->pending[p] >= 0)
		close(w->pending[p]);
	w->pending[p] = sv[1];
	pthread_mutex_unlock(&w->lock);
	wire_wake(w);
	return sv[0];
}

void vu_wire_detach(struct vu_wire *w, unsigned p)
{
	/* The thread owns the fd; a shutdown from here is its EOF. */
	pthread_mutex_lock(&w->lock);
	if (p < VU_WIRE_PORTS && w->port[p].fd >= 0)
		shutdown(w->port[p].fd, SHUT_RDWR);
	pthread_mutex_unlock(&w->lock);
	wire_wake(w);
}

void vu_wire_stats_get(struct vu_wire *w, struct vu_wire_stats *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->stats;
	pthread_mutex_unlock(&w->lock);
}

void vu_wire_stop(struct vu_wire *w)
{
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_mutex_unlock(&w->lock);
	wire_wake(w);
	pthread_join(w->thread, NULL);
	for (unsigned pi = 0; pi < VU_WIRE_PORTS; pi++) {
		port_end(w, &w->port[pi]);
		if (w->pending[pi] >= 0)
			close(w->pending[pi]);
		free(w->port[pi].backlog);
	}
	close(w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
