/*
 * A bounded queue of frames for the in-process back-ends (hub, loop): a
 * fixed number of preallocated slots, each holding a virtio_net_hdr_v1 and a
 * frame of up to NET_FRAME_MAX - 12 bytes, and an eventfd that is readable
 * exactly while the queue holds a frame. Any number of threads may push; one
 * thread at a time pops. All functions lock internally.
 */
#ifndef IOVIRT_NET_QUEUE_H
#define IOVIRT_NET_QUEUE_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "net-backend.h"

struct net_queue;

/* A queue of depth slots (1..4096). 0 or -errno; the caller destroys *out. */
int net_queue_create(unsigned depth, struct net_queue **out) __must_check;

/* Free the queue, its frames and its eventfd (NULL is a no-op). */
void net_queue_destroy(struct net_queue *q);

/* The eventfd to poll: readable while a frame is queued. */
int net_queue_fd(const struct net_queue *q);

/*
 * Queue a copy of one frame as a sender with the header on (has_hdr: iov
 * starts with a virtio_net_hdr_v1) or off (a zero header is stored). Returns
 * 0, -EAGAIN (full: not queued) or -EMSGSIZE.
 */
int net_queue_push(struct net_queue *q, const struct iovec *iov, int iovcnt, bool has_hdr);

/*
 * Hand the first frame to the NIC behind be, as its be->vnet_hdr and
 * be->offloads ask (see net-backend.h "Offloads"): frames it cannot take are
 * dropped first, counted in be's rx_dropped. Returns the length written,
 * -EAGAIN (empty) or -EMSGSIZE (did not fit: dropped).
 */
ssize_t net_queue_pop(struct net_queue *q, struct net_backend *be, const struct iovec *iov,
		      int iovcnt);

/* What net_queue_pop would return as a length for be, or 0 when empty. */
ssize_t net_queue_peek_len(struct net_queue *q, struct net_backend *be);

#endif
