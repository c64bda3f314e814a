/* The `sink` back-end: takes every frame (the wrappers count it) and never delivers one. */
#include <errno.h>

#include "net-backend-impl.h"

static int net_sink_open(struct net_backend *be, const char *args)
{
	if (*args)
		return -EINVAL;
	be->caps = NET_BE_CAP_VNET_HDR;
	return 0;
}

static void net_sink_close(struct net_backend *be)
{
}

static ssize_t net_sink_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	return (ssize_t)iov_length(iov, iovcnt);
}

static ssize_t net_sink_recv(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	return -EAGAIN;
}

static ssize_t net_sink_peek_len(struct net_backend *be)
{
	return 0;
}

const struct net_backend_ops net_sink_ops = {
	.name = "sink",
	.open = net_sink_open,
	.close = net_sink_close,
	.send = net_sink_send,
	.recv = net_sink_recv,
	.peek_len = net_sink_peek_len,
};
