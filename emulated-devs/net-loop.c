/* The `loop` back-end: every frame a NIC sends comes back to it. */
#include <errno.h>

#include "net-backend-impl.h"
#include "net-queue.h"

#define NET_LOOP_DEPTH 256

static int net_loop_open(struct net_backend *be, const char *args)
{
	struct net_queue *q;
	int ret;

	if (*args)
		return -EINVAL;
	ret = net_queue_create(NET_LOOP_DEPTH, &q);
	if (ret < 0)
		return ret;
	be->priv = q;
	be->poll_fd = net_queue_fd(q);
	be->caps = NET_BE_CAP_VNET_HDR;
	return 0;
}

static void net_loop_close(struct net_backend *be)
{
	net_queue_destroy(be->priv);
}

static ssize_t net_loop_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	int ret = net_queue_push(be->priv, iov, iovcnt, be->vnet_hdr);

	return ret < 0 ? ret : (ssize_t)iov_length(iov, iovcnt);
}

static ssize_t net_loop_recv(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	return net_queue_pop(be->priv, be, iov, iovcnt);
}

static ssize_t net_loop_peek_len(struct net_backend *be)
{
	return net_queue_peek_len(be->priv, be);
}

const struct net_backend_ops net_loop_ops = {
	.name = "loop",
	.open = net_loop_open,
	.close = net_loop_close,
	.send = net_loop_send,
	.recv = net_loop_recv,
	.peek_len = net_loop_peek_len,
};
