/*
 * A network back-end for the NIC targets: frames to receive come from the
 * fuzz input (queued by fuzz_be_push), frames sent are read byte by byte
 * (so a buffer the NIC got wrong is a sanitizer report) and dropped.
 * Behind the real dispatch of net-backend.c. Header-only: shared by the
 * e1000 and virtio-net targets.
 */
#ifndef IOVIRT_FUZZ_NETBE_H
#define IOVIRT_FUZZ_NETBE_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fuzz-input.h"
#include "net-backend.h"

#define FUZZ_BE_FRAMES 16

struct fuzz_be {
	struct net_backend be;       /* first: net_backend_close() frees the whole */
	const uint8_t *rx[FUZZ_BE_FRAMES];
	size_t rx_len[FUZZ_BE_FRAMES];
	unsigned rx_head, rx_tail;
	uint64_t tx_frames;
	uint8_t tx_sum;
};

static inline ssize_t fuzz_be_send(struct net_backend *be, const struct iovec *iov, int n)
{
	struct fuzz_be *f = (struct fuzz_be *)be;
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		for (size_t j = 0; j < iov[i].iov_len; j++)
			f->tx_sum ^= ((const uint8_t *)iov[i].iov_base)[j];
		len += iov[i].iov_len;
	}
	f->tx_frames++;
	return (ssize_t)len;
}

static inline ssize_t fuzz_be_recv(struct net_backend *be, const struct iovec *iov, int n)
{
	struct fuzz_be *f = (struct fuzz_be *)be;
	const uint8_t *src;
	size_t len, room = 0, off = 0;
	uint64_t v;

	if (f->rx_head == f->rx_tail)
		return -EAGAIN;
	src = f->rx[f->rx_head % FUZZ_BE_FRAMES];
	len = f->rx_len[f->rx_head++ % FUZZ_BE_FRAMES];
	if (f->rx_head == f->rx_tail && read(be->poll_fd, &v, sizeof(v)) < 0)
		v = 0;
	for (int i = 0; i < n; i++)
		room += iov[i].iov_len;
	if (len > room)
		return -EMSGSIZE;
	for (int i = 0; i < n && off < len; i++) {
		size_t take = len - off < iov[i].iov_len ? len - off : iov[i].iov_len;

		memcpy(iov[i].iov_base, src + off, take);
		off += take;
	}
	return (ssize_t)len;
}

static inline ssize_t fuzz_be_peek_len(struct net_backend *be)
{
	struct fuzz_be *f = (struct fuzz_be *)be;

	return f->rx_head == f->rx_tail ? 0 : (ssize_t)f->rx_len[f->rx_head % FUZZ_BE_FRAMES];
}

static inline void fuzz_be_close(struct net_backend *be)
{
	close(be->poll_fd);
}

static const struct net_backend_ops fuzz_be_ops = {
	.name = "fuzz", .send = fuzz_be_send, .recv = fuzz_be_recv,
	.peek_len = fuzz_be_peek_len, .close = fuzz_be_close,
};

/* A back-end with caps (NET_BE_CAP_*); free with net_backend_close(). */
static inline struct fuzz_be *fuzz_be_new(unsigned caps)
{
	struct fuzz_be *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	f->be.ops = &fuzz_be_ops;
	f->be.caps = caps;
	f->be.link_up = true;
	f->be.poll_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->be.poll_fd < 0)
		abort();
	return f;
}

/* Queue a frame of len bytes at p (borrowed: the input outlives the run); dropped when full. */
static inline void fuzz_be_push(struct fuzz_be *f, const uint8_t *p, size_t len)
{
	uint64_t one = 1;

	if (!p || f->rx_tail - f->rx_head == FUZZ_BE_FRAMES)
		return;
	f->rx[f->rx_tail % FUZZ_BE_FRAMES] = p;
	f->rx_len[f->rx_tail++ % FUZZ_BE_FRAMES] = len;
	if (write(f->be.poll_fd, &one, sizeof(one)) < 0)
		abort();
}

#endif
