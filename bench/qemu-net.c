/* The host ends of a QEMU peer's network back-end (qemu-net.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench-abi.h"
#include "net-frame.h"
#include "net-gen.h"
#include "qemu-net.h"

/* A socket of type bound to a free port of 127.0.0.1; the fd (port in *port) or -errno. */
static int loopback_bind(int type, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static void *udp_sink_thread(void *arg)
{
	struct qemu_udp_sink *u = arg;
	char frame[2048];
	char ctl[CMSG_SPACE(sizeof(uint32_t))];

	while (!atomic_load(&u->stop)) {
		struct pollfd p = { .fd = u->fd, .events = POLLIN };
		struct iovec iov = { frame, sizeof(frame) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				    .msg_controllen = sizeof(ctl) };
		struct cmsghdr *c;

		if (poll(&p, 1, 50) <= 0)
			continue;
		while (recvmsg(u->fd, &m, MSG_DONTWAIT) >= 0) {
			atomic_fetch_add(&u->frames, 1);
			for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
					uint32_t n;

					memcpy(&n, CMSG_DATA(c), sizeof(n));
					atomic_store(&u->dropped, n); /* the socket's running total */
				}
			m.msg_controllen = sizeof(ctl);
		}
	}
	return NULL;
}

int qemu_udp_sink_start(struct qemu_udp_sink *u)
{
	int one = 1, buf = 4 << 20, ret;

	u->fd = loopback_bind(SOCK_DGRAM, &u->port);
	if (u->fd < 0)
		return u->fd;
	(void)setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)); /* best effort */
	if (setsockopt(u->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one))) {
		ret = -errno;
		close(u->fd);
		u->fd = -1;
		return ret;
	}
	ret = -pthread_create(&u->thread, NULL, udp_sink_thread, u);
	if (ret) {
		close(u->fd);
		u->fd = -1;
	}
	return ret;
}

void qemu_udp_sink_stop(struct qemu_udp_sink *u)
{
	usleep(100000);
	atomic_store(&u->stop, true);
	pthread_join(u->thread, NULL);
	close(u->fd);
	u->fd = -1;
}

/* Write all of buf to fd, waiting while it is full; false when stopped or on an error. */
static bool tcp_write(struct qemu_tcp_gen *g, int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t n;

		if (atomic_load(&g->stop))
			return false;
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
	}
	return true;
}

static void *tcp_gen_thread(void *arg)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t src[6] = NET_GEN_SRC_MAC;
	struct qemu_tcp_gen *g = arg;
	uint8_t buf[4 + BENCH_SIZE_MAX];
	int c = -1;

	while (c < 0 && !atomic_load(&g->stop)) {
		struct pollfd p = { .fd = g->fd, .events = POLLIN };

		if (poll(&p, 1, 50) > 0)
			c = accept4(g->fd, NULL, NULL, SOCK_CLOEXEC);
	}
	while (c >= 0 && !atomic_load(&g->go) && !atomic_load(&g->stop))
		usleep(1000);
	for (uint32_t i = 0; c >= 0 && i < g->count; i++) {
		uint32_t len = net_frame_build(buf + 4, g->size, bcast, src, 0, i);

		buf[0] = len >> 24;
		buf[1] = len >> 16;
		buf[2] = len >> 8;
		buf[3] = len;
		if (!tcp_write(g, c, buf, 4 + len))
			break;
		atomic_fetch_add(&g->sent, 1);
	}
	while (c >= 0 && !atomic_load(&g->stop))
		usleep(10000); /* closing would look like a lost link to QEMU */
	if (c >= 0)
		close(c);
	return NULL;
}

int qemu_tcp_gen_start(struct qemu_tcp_gen *g, unsigned size, unsigned count)
{
	int ret;

	if (size < BENCH_SIZE_MIN || size > BENCH_SIZE_MAX)
		return -EINVAL;
	g->size = size;
	g->count = count;
	g->fd = loopback_bind(SOCK_STREAM, &g->port);
	if (g->fd < 0)
		return g->fd;
	ret = listen(g->fd, 1) ? -errno : -pthread_create(&g->thread, NULL, tcp_gen_thread, g);
	if (ret) {
		close(g->fd);
		g->fd = -1;
	}
	return ret;
}

void qemu_tcp_gen_stop(struct qemu_tcp_gen *g)
{
	atomic_store(&g->stop, true);
	pthread_join(g->thread, NULL);
	close(g->fd);
	g->fd = -1;
}
