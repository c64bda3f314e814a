/*
 * The `sandbox-trip` back-end, built only with -Dtest_hooks (test builds): a
 * sink whose send opens /proc/version, a system call no device thread's
 * sandbox allows, so a guest that sends one frame proves that a forbidden call
 * on the thread that sends ends the VM with the call named (tests/vmm/test-sandbox.sh).
 * Without the sandbox the file is opened, closed, and the frame counted as sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "net-backend-impl.h"

static int net_trip_open(struct net_backend *be, const char *args)
{
	if (*args)
		return -EINVAL;
	be->caps = NET_BE_CAP_VNET_HDR;
	return 0;
}

static void net_trip_close(struct net_backend *be)
{
}

static ssize_t net_trip_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	int fd = open("/proc/version", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return (ssize_t)iov_length(iov, iovcnt);
}

static ssize_t net_trip_recv(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	return -EAGAIN;
}

static ssize_t net_trip_peek_len(struct net_backend *be)
{
	return 0;
}

const struct net_backend_ops net_sandbox_trip_ops = {
	.name = "sandbox-trip",
	.open = net_trip_open,
	.close = net_trip_close,
	.send = net_trip_send,
	.recv = net_trip_recv,
	.peek_len = net_trip_peek_len,
};
