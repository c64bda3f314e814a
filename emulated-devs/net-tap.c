/*
 * The `tap:NAME` back-end: a Linux tap interface opened with IFF_VNET_HDR
 * (12-byte header), non-blocking. The fd always carries the header; when the
 * NIC has it off, send prepends a zero header and recv reads it into a
 * scratch buffer, and the offloads stay 0 so the kernel completes checksums
 * and segments before handing a frame over.
 *
 * A tap fd cannot be peeked at: peek_len reads the next frame into a
 * preallocated staging buffer, and recv hands that one out first.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "net-backend-impl.h"

struct net_tap {
	int fd;
	size_t staged;                 /* bytes in stage (header included), 0: none */
	uint8_t hdr[NET_VNET_HDR_LEN]; /* scratch for a header the NIC does not want */
	uint8_t over;                  /* one byte past the NIC's buffers: truncation shows */
	uint8_t stage[NET_FRAME_MAX + 1]; /* + 1: a longer frame shows as one */
};

/* What the kernel accepts as an interface name (dev_valid_name), and short enough. */
static int net_tap_name_check(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > IFNAMSIZ - 1 || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' || name[i] == '%' || name[i] <= ' ')
			return -EINVAL;
	return 0;
}

static int net_tap_fd_open(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int fd, hdr_len = NET_VNET_HDR_LEN, le = 1;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	/* The header is little-endian; a big-endian host must say so (harmless otherwise). */
	(void)ioctl(fd, TUNSETVNETLE, &le);
	return fd;
}

static int net_tap_open(struct net_backend *be, const char *args)
{
	struct net_tap *t;
	int ret;

	ret = net_tap_name_check(args);
	if (ret < 0)
		return ret;
	t = malloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->staged = 0;
	t->fd = net_tap_fd_open(args);
	if (t->fd < 0) {
		ret = t->fd;
		free(t);
		return ret;
	}
	be->priv = t;
	be->poll_fd = t->fd;
	be->caps = NET_BE_CAP_VNET_HDR;
	return 0;
}

static void net_tap_close(struct net_backend *be)
{
	struct net_tap *t = be->priv;

	close(t->fd);
	free(t);
}

static ssize_t net_tap_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	static const uint8_t zero_hdr[NET_VNET_HDR_LEN];
	struct net_tap *t = be->priv;
	struct iovec v[NET_BE_IOV_MAX + 1];
	ssize_t n;

	if (be->vnet_hdr) {
		n = writev(t->fd, iov, iovcnt);
	} else {
		v[0] = (struct iovec){ .iov_base = (void *)zero_hdr, .iov_len = sizeof(zero_hdr) };
		memcpy(&v[1], iov, sizeof(*iov) * (size_t)iovcnt);
		n = writev(t->fd, v, iovcnt + 1);
	}
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return be->vnet_hdr ? n : n - NET_VNET_HDR_LEN;
}

/* Hand the staged frame out (as the NIC wants the header) and forget it. */
static ssize_t net_tap_recv_staged(struct net_backend *be, struct net_tap *t,
				   const struct iovec *iov, int iovcnt)
{
	size_t skip = be->vnet_hdr ? 0 : NET_VNET_HDR_LEN, len = t->staged - skip;

	t->staged = 0;
	if (len > iov_length(iov, iovcnt))
		return -EMSGSIZE;
	return (ssize_t)iov_from_buf(iov, iovcnt, 0, t->stage + skip, len);
}

static ssize_t net_tap_peek_len(struct net_backend *be);

static ssize_t net_tap_recv(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	struct net_tap *t = be->priv;
	struct iovec v[NET_BE_IOV_MAX + 2];
	size_t cap = iov_length(iov, iovcnt), skip = be->vnet_hdr ? 0 : NET_VNET_HDR_LEN;
	int n_v = 0;
	ssize_t n;

	if (t->staged)
		return net_tap_recv_staged(be, t, iov, iovcnt);
	if (be->vnet_hdr && cap < NET_VNET_HDR_LEN) {
		n = net_tap_peek_len(be);
		return n <= 0 ? (n ? n : -EAGAIN) : net_tap_recv_staged(be, t, iov, iovcnt);
	}
	if (skip)
		v[n_v++] = (struct iovec){ .iov_base = t->hdr, .iov_len = sizeof(t->hdr) };
	memcpy(&v[n_v], iov, sizeof(*iov) * (size_t)iovcnt);
	n_v += iovcnt;
	/* The kernel truncates silently: a frame that reaches this byte did not fit. */
	v[n_v++] = (struct iovec){ .iov_base = &t->over, .iov_len = 1 };
	n = readv(t->fd, v, n_v);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if ((size_t)n < skip)
		return -EAGAIN;
	if ((size_t)n - skip > cap)
		return -EMSGSIZE;
	return n - (ssize_t)skip;
}

static ssize_t net_tap_peek_len(struct net_backend *be)
{
	struct net_tap *t = be->priv;
	ssize_t n;

	if (!t->staged) {
		n = read(t->fd, t->stage, sizeof(t->stage));
		if (n < 0)
			return errno == EWOULDBLOCK ? 0 : -errno;
		if (n <= NET_VNET_HDR_LEN || n > NET_FRAME_MAX) {
			net_stat_add(&be->stats.rx_dropped, 1);
			return 0;
		}
		t->staged = (size_t)n;
	}
	return (ssize_t)(t->staged - (be->vnet_hdr ? 0 : NET_VNET_HDR_LEN));
}

static int net_tap_set_offloads(struct net_backend *be, unsigned offloads)
{
	struct net_tap *t = be->priv;
	unsigned long f = 0;

	if (offloads & NET_BE_OFFLOAD_CSUM)
		f |= TUN_F_CSUM;
	if (offloads & NET_BE_OFFLOAD_TSO4)
		f |= TUN_F_TSO4;
	if (offloads & NET_BE_OFFLOAD_TSO6)
		f |= TUN_F_TSO6;
	if (offloads & NET_BE_OFFLOAD_ECN)
		f |= TUN_F_TSO_ECN;
	return ioctl(t->fd, TUNSETOFFLOAD, f) < 0 ? -errno : 0;
}

const struct net_backend_ops net_tap_ops = {
	.name = "tap",
	.open = net_tap_open,
	.close = net_tap_close,
	.send = net_tap_send,
	.recv = net_tap_recv,
	.peek_len = net_tap_peek_len,
	.set_offloads = net_tap_set_offloads,
};
