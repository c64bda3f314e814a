/*
 * The bounded frame queue of the in-process back-ends, and the header
 * conversion a frame goes through on its way out (net-backend.h "Offloads").
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "net-backend-impl.h"
#include "net-queue.h"

#define NET_QUEUE_DEPTH_MAX 4096

struct net_queue_slot {
	uint32_t len;                 /* header + frame */
	uint8_t data[NET_FRAME_MAX];  /* virtio_net_hdr_v1, then the frame */
};

struct net_queue {
	pthread_mutex_t lock;
	unsigned depth, head, count;  /* under lock */
	int efd;                      /* readable iff count > 0 (kept under lock) */
	struct net_queue_slot *slots;
};

int net_queue_create(unsigned depth, struct net_queue **out)
{
	struct net_queue *q;

	*out = NULL;
	if (depth == 0 || depth > NET_QUEUE_DEPTH_MAX)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	/* Not zeroed: a slot is written before it is read, and untouched pages cost nothing. */
	q->slots = malloc(depth * sizeof(*q->slots));
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!q->slots || q->efd < 0) {
		int ret = q->efd < 0 ? -errno : -ENOMEM;

		if (q->efd >= 0)
			close(q->efd);
		free(q->slots);
		free(q);
		return ret;
	}
	pthread_mutex_init(&q->lock, NULL);
	q->depth = depth;
	*out = q;
	return 0;
}

void net_queue_destroy(struct net_queue *q)
{
	if (!q)
		return;
	close(q->efd);
	pthread_mutex_destroy(&q->lock);
	free(q->slots);
	free(q);
}

int net_queue_fd(const struct net_queue *q)
{
	return q->efd;
}

/* Keep the eventfd's readability equal to "a frame is queued" (lock held). */
static void net_queue_signal(struct net_queue *q, bool nonempty)
{
	uint64_t v = 1;

	if (nonempty)
		(void)!write(q->efd, &v, sizeof(v));
	else
		(void)!read(q->efd, &v, sizeof(v));
}

int net_queue_push(struct net_queue *q, const struct iovec *iov, int iovcnt, bool has_hdr)
{
	size_t len = iov_length(iov, iovcnt), hdr = has_hdr ? 0 : NET_VNET_HDR_LEN;
	struct net_queue_slot *s;

	if (len + hdr > NET_FRAME_MAX || len + hdr < NET_VNET_HDR_LEN)
		return -EMSGSIZE;
	pthread_mutex_lock(&q->lock);
	if (q->count == q->depth) {
		pthread_mutex_unlock(&q->lock);
		return -EAGAIN;
	}
	s = &q->slots[(q->head + q->count) % q->depth];
	memset(s->data, 0, hdr);
	iov_to_buf(iov, iovcnt, 0, s->data + hdr, len);
	s->len = (uint32_t)(len + hdr);
	if (q->count++ == 0)
		net_queue_signal(q, true);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

/* Drop the head slot (lock held). */
static void net_queue_drop_head(struct net_queue *q)
{
	q->head = (q->head + 1) % q->depth;
	if (--q->count == 0)
		net_queue_signal(q, false);
}

/* The ones' complement sum of p[0..len), as big-endian 16-bit words. */
static uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * Fill the checksum a NEEDS_CSUM header asks for: the sum from csum_start
 * to the end of the frame (whose checksum field holds the pseudo-header sum),
 * stored at csum_start + csum_offset. -EINVAL when those point outside.
 */
static int net_csum_complete(struct virtio_net_hdr_v1 *h, uint8_t *frame, size_t len)
{
	size_t start = le16toh(h->csum_start), off = start + le16toh(h->csum_offset);
	uint16_t c;

	if (start >= len || off + 2 > len)
		return -EINVAL;
	c = (uint16_t)~net_csum_add(0, frame + start, len - start);
	if (c == 0)
		c = 0xffff;
	frame[off] = (uint8_t)(c >> 8);
	frame[off + 1] = (uint8_t)c;
	h->flags = (uint8_t)((h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM) | VIRTIO_NET_HDR_F_DATA_VALID);
	return 0;
}

/* Whether the NIC accepts the header's GSO kind. */
static bool net_gso_accepted(const struct virtio_net_hdr_v1 *h, const struct net_backend *be)
{
	unsigned want, gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return true;
	if (gso == VIRTIO_NET_HDR_GSO_TCPV4)
		want = NET_BE_OFFLOAD_TSO4;
	else if (gso == VIRTIO_NET_HDR_GSO_TCPV6)
		want = NET_BE_OFFLOAD_TSO6;
	else
		return false;
	if (h->gso_type & VIRTIO_NET_HDR_GSO_ECN)
		want |= NET_BE_OFFLOAD_ECN;
	return be->vnet_hdr && (be->offloads & want) == want;
}

/*
 * Make the head slot fit for be, dropping heads it cannot take (lock held).
 * Returns the head slot, or NULL when the queue is empty.
 */
static struct net_queue_slot *net_queue_head_for(struct net_queue *q, struct net_backend *be)
{
	while (q->count) {
		struct net_queue_slot *s = &q->slots[q->head];
		struct virtio_net_hdr_v1 *h = (struct virtio_net_hdr_v1 *)s->data;
		bool csum_ok = be->vnet_hdr && (be->offloads & NET_BE_OFFLOAD_CSUM);

		h->num_buffers = 0;
		if (net_gso_accepted(h, be) &&
		    (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || csum_ok ||
		     net_csum_complete(h, s->data + NET_VNET_HDR_LEN,
				       s->len - NET_VNET_HDR_LEN) == 0))
			return s;
		net_queue_drop_head(q);
		net_stat_add(&be->stats.rx_dropped, 1);
	}
	return NULL;
}

ssize_t net_queue_pop(struct net_queue *q, struct net_backend *be, const struct iovec *iov,
		      int iovcnt)
{
	size_t skip = be->vnet_hdr ? 0 : NET_VNET_HDR_LEN;
	struct net_queue_slot *s;
	ssize_t ret;

	pthread_mutex_lock(&q->lock);
	s = net_queue_head_for(q, be);
	if (!s) {
		ret = -EAGAIN;
	} else if (s->len - skip > iov_length(iov, iovcnt)) {
		ret = -EMSGSIZE;
	} else {
		ret = (ssize_t)iov_from_buf(iov, iovcnt, 0, s->data + skip, s->len - skip);
	}
	if (s)
		net_queue_drop_head(q);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

ssize_t net_queue_peek_len(struct net_queue *q, struct net_backend *be)
{
	size_t skip = be->vnet_hdr ? 0 : NET_VNET_HDR_LEN;
	struct net_queue_slot *s;
	ssize_t ret;

	pthread_mutex_lock(&q->lock);
	s = net_queue_head_for(q, be);
	ret = s ? (ssize_t)(s->len - skip) : 0;
	pthread_mutex_unlock(&q->lock);
	return ret;
}
