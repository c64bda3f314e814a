/* The `gen` back-end (contract in net-gen.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "net-backend-impl.h"
#include "net-gen.h"

#define NET_GEN_FLOWS      65536
#define NET_GEN_RATE_MAX   100000000ull
#define NET_GEN_TICK_MIN   100000ull    /* ns: the pacing timer's shortest period */
#define NET_GEN_BURST_NS   10000000ull  /* ns: how far pacing may lag before it resets */
#define NS_PER_S           1000000000ull

struct net_gen {
	/* arguments */
	uint64_t size, count, rate, flows;
	uint8_t dst[6];
	unsigned seen;            /* NET_GEN_ARG_* bits already given */
	/* source side (the NIC's receive) */
	int fd;                   /* timerfd when rate > 0, else eventfd */
	uint64_t t0, paced;       /* pacing: frame t0 + paced / rate is due */
	uint8_t tx[NET_FRAME_MAX_LEN];
	/* sink side (the NIC's send) */
	uint32_t *expect;         /* next sequence per flow */
	uint8_t rx[NET_FRAME_MAX_LEN];
	struct net_gen_stats st;  /* atomic counters */
};

enum { NET_GEN_ARG_SIZE = 1, NET_GEN_ARG_COUNT = 2, NET_GEN_ARG_RATE = 4, NET_GEN_ARG_DST = 8,
       NET_GEN_ARG_FLOW = 16 };

static int net_gen_arg(void *ctx, const char *key, const char *val)
{
	static const char *const keys[] = { "size", "count", "rate", "dst", "flow" };
	struct net_gen *g = ctx;
	unsigned bit = 0;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(key, keys[i]))
			bit = 1u << i;
	if (!bit || (g->seen & bit))
		return -EINVAL;
	g->seen |= bit;
	switch (bit) {
	case NET_GEN_ARG_SIZE:
		return net_arg_u64(val, NET_FRAME_MIN, NET_FRAME_MAX_LEN, &g->size);
	case NET_GEN_ARG_COUNT:
		return net_arg_u64(val, 0, UINT64_MAX, &g->count);
	case NET_GEN_ARG_RATE:
		return net_arg_u64(val, 0, NET_GEN_RATE_MAX, &g->rate);
	case NET_GEN_ARG_DST:
		return net_mac_parse(val, g->dst);
	default:
		return net_arg_u64(val, 1, NET_GEN_FLOWS, &g->flows);
	}
}

static uint64_t net_gen_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* The poll fd: a timerfd ticking while frames are due, or an eventfd kept readable. */
static int net_gen_fd_open(struct net_gen *g)
{
	uint64_t one = 1, period;
	struct itimerspec its;
	int fd;

	if (g->rate == 0) {
		fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fd < 0)
			return -errno;
		(void)!write(fd, &one, sizeof(one));
		return fd;
	}
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	period = MAX(NS_PER_S / g->rate, NET_GEN_TICK_MIN);
	its.it_interval = (struct timespec){ .tv_sec = (time_t)(period / NS_PER_S),
					     .tv_nsec = (long)(period % NS_PER_S) };
	its.it_value = (struct timespec){ .tv_nsec = 1 };
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

static int net_gen_open(struct net_backend *be, const char *args)
{
	struct net_gen *g = calloc(1, sizeof(*g));
	int ret;

	if (!g)
		return -ENOMEM;
	g->size = NET_FRAME_MIN;
	g->flows = 1;
	memset(g->dst, 0xff, sizeof(g->dst));
	ret = net_args_parse(args, net_gen_arg, g);
	g->t0 = net_gen_now();   /* before the timer starts: a tick never precedes its frame */
	if (ret == 0) {
		g->expect = calloc(NET_GEN_FLOWS, sizeof(*g->expect));
		ret = g->expect ? net_gen_fd_open(g) : -ENOMEM;
	}
	if (ret < 0) {
		free(g->expect);
		free(g);
		return ret;
	}
	g->fd = ret;
	be->priv = g;
	be->poll_fd = g->fd;
	be->caps = NET_BE_CAP_VNET_HDR;
	return 0;
}

static void net_gen_close(struct net_backend *be)
{
	struct net_gen *g = be->priv;

	close(g->fd);
	free(g->expect);
	free(g);
}

static bool net_gen_done(const struct net_gen *g)
{
	return g->count && g->st.generated >= g->count;
}

/* Whether the next frame is due now (resetting the pacing after a long stall). */
static bool net_gen_due(struct net_gen *g)
{
	uint64_t now, due;

	if (net_gen_done(g))
		return false;
	if (g->rate == 0)
		return true;
	now = net_gen_now();
	due = g->t0 + (uint64_t)((unsigned __int128)g->paced * NS_PER_S / g->rate);
	if (now < due)
		return false;
	if (now - due > NET_GEN_BURST_NS) {
		g->t0 = now - NET_GEN_BURST_NS;
		g->paced = 0;
	}
	return true;
}

/* Nothing is due: consume the fd's readiness (and stop the timer when done). */
static void net_gen_idle(struct net_gen *g)
{
	static const struct itimerspec stop;
	uint64_t v;

	if (g->rate == 0 && !net_gen_done(g))
		return;
	(void)!read(g->fd, &v, sizeof(v));
	if (g->rate && net_gen_done(g))
		timerfd_settime(g->fd, 0, &stop, NULL);
}

static ssize_t net_gen_recv(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	static const uint8_t src[6] = NET_GEN_SRC_MAC;
	static const uint8_t zero_hdr[NET_VNET_HDR_LEN];
	struct net_gen *g = be->priv;
	size_t hdr = be->vnet_hdr ? NET_VNET_HDR_LEN : 0;
	uint64_t n = g->st.generated;

	if (!net_gen_due(g)) {
		net_gen_idle(g);
		return -EAGAIN;
	}
	__atomic_store_n(&g->st.generated, n + 1, __ATOMIC_RELAXED);
	g->paced++;
	if (net_gen_done(g))
		net_gen_idle(g);
	if (hdr + g->size > iov_length(iov, iovcnt))
		return -EMSGSIZE;
	net_frame_build(g->tx, (uint32_t)g->size, g->dst, src, (uint16_t)(n % g->flows),
			(uint32_t)(n / g->flows));
	iov_from_buf(iov, iovcnt, 0, zero_hdr, hdr);
	iov_from_buf(iov, iovcnt, hdr, g->tx, g->size);
	return (ssize_t)(hdr + g->size);
}

static ssize_t net_gen_peek_len(struct net_backend *be)
{
	struct net_gen *g = be->priv;

	if (!net_gen_due(g)) {
		net_gen_idle(g);
		return 0;
	}
	return (ssize_t)((be->vnet_hdr ? NET_VNET_HDR_LEN : 0) + g->size);
}

/* Account a good frame against its flow's expected sequence. */
static void net_gen_track(struct net_gen *g, uint16_t flow, uint32_t seq)
{
	int32_t d = (int32_t)(seq - g->expect[flow]);

	net_stat_add(&g->st.verified, 1);
	if (d < 0) {
		net_stat_add(&g->st.reordered, 1);
		return;
	}
	if (d > 0) {
		net_stat_add(&g->st.gaps, 1);
		net_stat_add(&g->st.lost, (uint64_t)d);
	}
	g->expect[flow] = seq + 1;
}

static ssize_t net_gen_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	struct net_gen *g = be->priv;
	size_t total = iov_length(iov, iovcnt), hdr = be->vnet_hdr ? NET_VNET_HDR_LEN : 0;
	size_t len = total - hdr;
	enum net_frame_error err = NET_FRAME_BAD_LEN;
	uint32_t seq;
	uint16_t flow;

	if (len <= sizeof(g->rx)) {
		iov_to_buf(iov, iovcnt, hdr, g->rx, len);
		err = net_frame_check(g->rx, (uint32_t)len, &seq, &flow);
	}
	if (err == NET_FRAME_OK) {
		net_gen_track(g, flow, seq);
	} else {
		net_stat_add(&g->st.bad[err], 1);
		net_stat_add(&be->stats.rx_bad, 1);
	}
	return (ssize_t)total;
}

int net_gen_stats_read(struct net_backend *be, struct net_gen_stats *out)
{
	const struct net_gen_stats *s;
	const struct net_gen *g;

	if (!be || !out || be->ops != &net_gen_ops)
		return -EINVAL;
	g = be->priv;
	s = &g->st;
	out->generated = net_stat_read(&s->generated);
	out->done = g->count && out->generated >= g->count;
	out->verified = net_stat_read(&s->verified);
	for (size_t i = 0; i < ARRAY_SIZE(s->bad); i++)
		out->bad[i] = net_stat_read(&s->bad[i]);
	out->gaps = net_stat_read(&s->gaps);
	out->lost = net_stat_read(&s->lost);
	out->reordered = net_stat_read(&s->reordered);
	return 0;
}

const struct net_backend_ops net_gen_ops = {
	.name = "gen",
	.open = net_gen_open,
	.close = net_gen_close,
	.send = net_gen_send,
	.recv = net_gen_recv,
	.peek_len = net_gen_peek_len,
};
