/*
 * The network back-ends: spec parsing, the wrappers' checks and counters,
 * sink, loop, hub (fan-out, no echo, drops, concurrent senders), gen (pacing,
 * counts, verification), and with --tap the tap back-end against an
 * AF_PACKET socket in a fresh network namespace (skips, 77, without
 * /dev/net/tun or CAP_NET_ADMIN).
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "net-backend.h"
#include "net-frame.h"
#include "net-gen.h"

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };

static struct net_backend *be_open(const char *spec, const void *vm)
{
	struct net_backend *be = NULL;

	assert_int_equal(net_backend_open(spec, vm, &be), 0);
	assert_non_null(be);
	return be;
}

static ssize_t send_buf(struct net_backend *be, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return net_backend_send(be, &iov, 1);
}

static ssize_t recv_buf(struct net_backend *be, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return net_backend_recv(be, &iov, 1);
}

static bool fd_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static void test_spec_errors(void **state)
{
	static const struct { const char *spec; int err; } cases[] = {
		{ "", -EINVAL }, { "nope", -ENOENT }, { "LOOP", -ENOENT }, { ":x", -ENOENT },
		{ "loop:", -EINVAL }, { "loop:x", -EINVAL }, { "sink:1", -EINVAL },
		{ "tap", -EINVAL }, { "tap:", -EINVAL }, { "tap:0123456789abcdef", -EINVAL },
		{ "tap:a/b", -EINVAL }, { "tap:..", -EINVAL }, { "tap:a:b", -EINVAL },
		{ "tap:a%d", -EINVAL }, { "hub", -EINVAL }, { "hub:", -EINVAL },
		{ "hub:a b", -EINVAL }, { "hub:a:b", -EINVAL }, { "hub:a,b", -EINVAL },
		{ "hub:0123456789abcdef0123456789abcdef", -EINVAL },
		{ "gen:size=10", -EINVAL }, { "gen:size=59", -EINVAL }, { "gen:size=9019", -EINVAL },
		{ "gen:size=abc", -EINVAL }, { "gen:size=", -EINVAL }, { "gen:=5", -EINVAL },
		{ "gen:size", -EINVAL }, { "gen:foo=1", -EINVAL }, { "gen:size=64,,count=1", -EINVAL },
		{ "gen:size=64,", -EINVAL }, { "gen:,size=64", -EINVAL },
		{ "gen:size=64,size=64", -EINVAL }, { "gen:size=0x40", -EINVAL },
		{ "gen:size=64=1", -EINVAL }, { "gen:count=18446744073709551616", -EINVAL },
		{ "gen:count=99999999999999999999999", -EINVAL }, { "gen:count=-1", -EINVAL },
		{ "gen:rate=+5", -EINVAL }, { "gen:rate=100000001", -EINVAL },
		{ "gen:dst=ff:ff:ff:ff:ff", -EINVAL }, { "gen:dst=gg:ff:ff:ff:ff:ff", -EINVAL },
		{ "gen:dst=ff-ff-ff-ff-ff-ff", -EINVAL }, { "gen:dst=ff:ff:ff:ff:ff:ff:", -EINVAL },
		{ "gen:flow=0", -EINVAL }, { "gen:flow=65537", -EINVAL },
		{ "gen:size=0123456789012345678901234567890123", -EINVAL },
		{ "gen:size=64 ", -EINVAL }, { "gen:size=6\x01", -EINVAL }, { "sink\n", -EINVAL },
		{ "gen:size=60,count=1,rate=1,flow=1,dst=ff:ff:ff:ff:ff:ff,x=1", -EINVAL },
		{ "gen:size=60,count=10,rate=10,flow=10,dst=ff:ff:ff:ff:ff:ff,a=1", -EINVAL },
	};
	struct net_backend *be = (void *)1;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		be = (void *)1;
		if (net_backend_open(cases[i].spec, NULL, &be) != cases[i].err || be)
			fail_msg("spec \"%s\": expected %d", cases[i].spec, cases[i].err);
	}
	assert_int_equal(net_backend_open(NULL, NULL, &be), -EINVAL);
	assert_int_equal(net_backend_open("sink", NULL, NULL), -EINVAL);
	/* 64 characters: one over the limit, even though every part is valid */
	assert_int_equal(net_backend_open(
		"gen:size=60,count=1000000000,rate=1000,dst=02:00:00:00:00:01,flow=3",
		NULL, &be), -EINVAL);
	for (size_t i = 0; net_backend_types[i]; i++)
		assert_non_null(net_backend_types[i]->name);
}

static void test_spec_good(void **state)
{
	static const char *const good[] = {
		"loop", "sink", "gen", "hub:a", "hub:A-b_c.9",
		"gen:size=128,count=5,rate=0,dst=02:00:00:00:00:0A,flow=4",
		"gen:count=18446744073709551615", "gen:size=9018", "gen:flow=65536",
		"gen:rate=100000000",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct net_backend *be = be_open(good[i], NULL);

		assert_string_equal(be->spec, good[i]);
		assert_true(be->caps & NET_BE_CAP_VNET_HDR);
		assert_true(be->link_up);
		net_backend_close(be);
	}
	net_backend_close(NULL);
}

/* The wrappers refuse malformed requests before a back-end sees them, and count them. */
static void test_wrapper_checks(void **state)
{
	struct net_backend *be = be_open("sink", NULL);
	struct net_backend_stats st;
	static uint8_t big[NET_FRAME_MAX + 1];
	uint8_t f[64] = { 0 };
	struct iovec many[NET_BE_IOV_MAX + 1];
	struct iovec wrap[2] = { { f, SIZE_MAX / 2 + 1 }, { f, SIZE_MAX / 2 + 1 } };
	struct iovec null_base = { NULL, 60 };

	for (int i = 0; i <= NET_BE_IOV_MAX; i++)
		many[i] = (struct iovec){ f, 1 };
	assert_int_equal(net_backend_send(be, NULL, 1), -EINVAL);
	assert_int_equal(net_backend_send(be, many, 0), -EINVAL);
	assert_int_equal(net_backend_send(be, many, -1), -EINVAL);
	assert_int_equal(net_backend_send(be, many, NET_BE_IOV_MAX + 1), -EINVAL);
	assert_int_equal(net_backend_send(be, many, NET_BE_IOV_MAX), NET_BE_IOV_MAX);
	assert_int_equal(net_backend_send(be, wrap, 2), -EINVAL);
	assert_int_equal(net_backend_send(be, &null_base, 1), -EINVAL);
	assert_int_equal(send_buf(be, f, 13), -EINVAL);
	assert_int_equal(send_buf(be, f, 14), 14);
	assert_int_equal(send_buf(be, big, NET_FRAME_MAX - 12), NET_FRAME_MAX - 12);
	assert_int_equal(send_buf(be, big, NET_FRAME_MAX - 11), -EMSGSIZE);
	assert_int_equal(net_backend_recv(be, wrap, 2), -EINVAL);
	assert_int_equal(net_backend_recv(be, NULL, 1), -EINVAL);

	assert_int_equal(net_backend_set_vnet_hdr(be, true), 0);
	assert_int_equal(send_buf(be, f, 25), -EINVAL);   /* header + 13 */
	assert_int_equal(send_buf(be, f, 26), 26);
	assert_int_equal(send_buf(be, big, NET_FRAME_MAX), NET_FRAME_MAX);
	assert_int_equal(send_buf(be, big, NET_FRAME_MAX + 1), -EMSGSIZE);

	net_backend_stats(be, &st);
	assert_int_equal(st.tx_frames, 5);
	assert_int_equal(st.tx_bytes, NET_BE_IOV_MAX + 14 + (NET_FRAME_MAX - 12) * 2 + 14);
	assert_int_equal(st.tx_dropped, 10);
	assert_int_equal(st.rx_frames, 0);
	assert_int_equal(net_backend_send(NULL, many, 1), -EINVAL);
	assert_int_equal(net_backend_peek_len(NULL), -EINVAL);
	net_backend_close(be);
}

static void test_offload_rules(void **state)
{
	struct net_backend *be = be_open("loop", NULL);

	assert_int_equal(net_backend_set_offloads(be, NET_BE_OFFLOAD_CSUM), -EINVAL); /* header off */
	assert_int_equal(net_backend_set_offloads(be, 0), 0);
	assert_int_equal(net_backend_set_vnet_hdr(be, true), 0);
	assert_int_equal(net_backend_set_offloads(be, NET_BE_OFFLOAD_TSO4), -EINVAL);
	assert_int_equal(net_backend_set_offloads(be, NET_BE_OFFLOAD_CSUM | NET_BE_OFFLOAD_ECN),
			 -EINVAL);
	assert_int_equal(net_backend_set_offloads(be, 1u << 4), -EINVAL);
	assert_int_equal(net_backend_set_offloads(be, NET_BE_OFFLOAD_ALL), 0);
	assert_int_equal(be->offloads, NET_BE_OFFLOAD_ALL);
	assert_int_equal(net_backend_set_vnet_hdr(be, false), 0);
	assert_int_equal(be->offloads, 0);
	be->caps = 0;
	assert_int_equal(net_backend_set_vnet_hdr(be, true), -EOPNOTSUPP);
	assert_false(be->vnet_hdr);
	net_backend_close(be);
}

static void test_sink_counts(void **state)
{
	struct net_backend *be = be_open("sink", NULL);
	struct net_backend_stats st;
	uint8_t f[100] = { 0 };

	assert_int_equal(be->poll_fd, -1);
	for (int i = 0; i < 10; i++)
		assert_int_equal(send_buf(be, f, 60 + i), 60 + i);
	assert_int_equal(recv_buf(be, f, sizeof(f)), -EAGAIN);
	assert_int_equal(net_backend_peek_len(be), 0);
	assert_int_equal(net_backend_set_vnet_hdr(be, true), 0);
	assert_int_equal(send_buf(be, f, 72), 72);
	net_backend_stats(be, &st);
	assert_int_equal(st.tx_frames, 11);
	assert_int_equal(st.tx_bytes, 10 * 60 + 45 + 60);
	assert_int_equal(st.tx_dropped + st.rx_frames + st.rx_dropped + st.rx_bad, 0);
	net_backend_close(be);
}

static void test_loop_basic(void **state)
{
	struct net_backend *be = be_open("loop", NULL);
	struct net_backend_stats st;
	uint8_t f[200], r[200], split[3][100];
	struct iovec riov[3] = { { split[0], 7 }, { split[1], 0 }, { split[2], 100 } };

	net_frame_build(f, 100, bcast, mac_a, 0, 1);
	assert_false(fd_readable(be->poll_fd, 0));
	assert_int_equal(recv_buf(be, r, sizeof(r)), -EAGAIN);
	assert_int_equal(send_buf(be, f, 100), 100);
	assert_true(fd_readable(be->poll_fd, 0));
	assert_int_equal(net_backend_peek_len(be), 100);
	assert_int_equal(net_backend_recv(be, riov, 3), 100);
	assert_memory_equal(split[0], f, 7);
	assert_memory_equal(split[2], f + 7, 93);
	assert_false(fd_readable(be->poll_fd, 0));
	assert_int_equal(net_backend_peek_len(be), 0);

	/* a frame larger than the buffers is dropped, the next one still arrives */
	assert_int_equal(send_buf(be, f, 100), 100);
	assert_int_equal(send_buf(be, f, 60), 60);
	assert_int_equal(recv_buf(be, r, 99), -EMSGSIZE);
	assert_int_equal(recv_buf(be, r, 99), 60);

	/* bounded: 256 queued, the next is refused */
	for (int i = 0; i < 256; i++)
		assert_int_equal(send_buf(be, f, 60), 60);
	assert_int_equal(send_buf(be, f, 60), -EAGAIN);
	for (int i = 0; i < 256; i++)
		assert_int_equal(recv_buf(be, r, sizeof(r)), 60);
	assert_int_equal(recv_buf(be, r, sizeof(r)), -EAGAIN);
	assert_false(fd_readable(be->poll_fd, 0));

	net_backend_stats(be, &st);
	assert_int_equal(st.tx_frames, 2 + 256 + 1);
	assert_int_equal(st.tx_dropped, 1);
	assert_int_equal(st.rx_frames, 1 + 1 + 256);
	assert_int_equal(st.rx_dropped, 1);
	net_backend_close(be);
}

/* A UDP/IPv4 frame whose checksum field holds the pseudo-header sum, with its header. */
static size_t build_csum_frame(uint8_t *buf, struct virtio_net_hdr_v1 *h)
{
	uint8_t *f = buf + 12;

	memset(buf, 0, 12 + 80);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac_a, 6);
	f[12] = 0x08;
	f[14] = 0x45;          /* IPv4, 20-byte header; UDP at 34, checksum at 40 */
	for (int i = 42; i < 80; i++)
		f[i] = (uint8_t)(i * 7);
	f[40] = 0x12;
	f[41] = 0x34;
	memset(h, 0, sizeof(*h));
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = htole16(34);
	h->csum_offset = htole16(6);
	memcpy(buf, h, 12);
	return 12 + 80;
}

/* The ones' complement sum of f[start..len) folds to 0xffff when the checksum is right. */
static uint16_t fold_sum(const uint8_t *f, size_t start, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = start; i + 1 < len; i += 2)
		sum += (uint32_t)(f[i] << 8 | f[i + 1]);
	if ((len - start) & 1)
		sum += (uint32_t)f[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void test_loop_vnet_hdr(void **state)
{
	struct net_backend *be = be_open("loop", NULL);
	struct net_backend_stats st;
	struct virtio_net_hdr_v1 h, rh;
	uint8_t buf[200], r[200], pseudo_fixed[2];
	size_t len;

	assert_int_equal(net_backend_set_vnet_hdr(be, true), 0);

	/* NIC with CSUM offload: the request comes back as it went */
	assert_int_equal(net_backend_set_offloads(be, NET_BE_OFFLOAD_CSUM), 0);
	len = build_csum_frame(buf, &h);
	assert_int_equal(send_buf(be, buf, len), (ssize_t)len);
	assert_int_equal(recv_buf(be, r, sizeof(r)), (ssize_t)len);
	assert_memory_equal(r, buf, len);

	/* NIC without it: the checksum is completed, DATA_VALID set */
	assert_int_equal(net_backend_set_offloads(be, 0), 0);
	assert_int_equal(send_buf(be, buf, len), (ssize_t)len);
	assert_int_equal(recv_buf(be, r, sizeof(r)), (ssize_t)len);
	memcpy(&rh, r, 12);
	assert_int_equal(rh.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	memcpy(pseudo_fixed, buf + 12 + 40, 2);
	/* checksum + the sum with the field back at the pseudo-header sum: all ones */
	{
		uint8_t tmp[80];
		uint32_t s;

		memcpy(tmp, r + 12, 80);
		s = (uint32_t)(tmp[40] << 8 | tmp[41]);
		tmp[40] = pseudo_fixed[0];
		tmp[41] = pseudo_fixed[1];
		s += fold_sum(tmp, 34, 80);
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		assert_int_equal(s, 0xffff);
	}

	/* csum_offset pointing past the frame: dropped, not written out of bounds */
	h.csum_offset = htole16(200);
	memcpy(buf, &h, 12);
	assert_int_equal(send_buf(be, buf, len), (ssize_t)len);
	assert_int_equal(net_backend_peek_len(be), 0);
	assert_int_equal(recv_buf(be, r, sizeof(r)), -EAGAIN);

	/* GSO the NIC did not enable: dropped; enabled: delivered */
	memset(&h, 0, sizeof(h));
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h.gso_size = htole16(1448);
	memcpy(buf, &h, 12);
	assert_int_equal(send_buf(be, buf, len), (ssize_t)len);
	assert_int_equal(recv_buf(be, r, sizeof(r)), -EAGAIN);
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	memcpy(buf, &h, 12);
	assert_int_equal(net_backend_set_offloads(be, NET_BE_OFFLOAD_ALL), 0);
	assert_int_equal(send_buf(be, buf, len), (ssize_t)len);
	assert_int_equal(recv_buf(be, r, sizeof(r)), -EAGAIN);  /* UFO: never */
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN;
	memcpy(buf, &h, 12);
	assert_int_equal(send_buf(be, buf, len), (ssize_t)len);
	assert_int_equal(recv_buf(be, r, sizeof(r)), (ssize_t)len);
	assert_memory_equal(r, buf, len);

	/* sent without the header, received with it: a zero header */
	assert_int_equal(net_backend_set_vnet_hdr(be, false), 0);
	assert_int_equal(send_buf(be, buf + 12, 80), 80);
	assert_int_equal(net_backend_set_vnet_hdr(be, true), 0);
	memset(r, 0xaa, sizeof(r));
	assert_int_equal(recv_buf(be, r, sizeof(r)), 92);
	assert_memory_equal(r + 12, buf + 12, 80);
	for (int i = 0; i < 12; i++)
		assert_int_equal(r[i], 0);

	net_backend_stats(be, &st);
	assert_int_equal(st.rx_dropped, 3);
	assert_int_equal(st.rx_bytes, 80 * 4);
	net_backend_close(be);
}

static void test_hub_two_ports(void **state)
{
	static int vm;
	struct net_backend *a = be_open("hub:h2", &vm), *b = be_open("hub:h2", &vm);
	struct net_backend *other_id = be_open("hub:h2x", &vm), *other_vm = be_open("hub:h2", NULL);
	struct net_backend_stats st;
	uint8_t f[100], r[100];

	net_frame_build(f, 64, bcast, mac_a, 0, 7);
	assert_int_equal(send_buf(a, f, 64), 64);
	assert_false(fd_readable(a->poll_fd, 0));          /* no echo */
	assert_false(fd_readable(other_id->poll_fd, 0));
	assert_false(fd_readable(other_vm->poll_fd, 0));
	assert_true(fd_readable(b->poll_fd, 0));
	assert_int_equal(recv_buf(b, r, sizeof(r)), 64);
	assert_memory_equal(r, f, 64);
	assert_int_equal(recv_buf(a, r, sizeof(r)), -EAGAIN);
	assert_int_equal(recv_buf(other_id, r, sizeof(r)), -EAGAIN);

	/* b is not drained: past 256 frames a's sends still succeed, b counts drops */
	for (int i = 0; i < 300; i++)
		assert_int_equal(send_buf(a, f, 64), 64);
	net_backend_stats(b, &st);
	assert_int_equal(st.rx_dropped, 300 - 256);
	net_backend_stats(a, &st);
	assert_int_equal(st.tx_frames, 301);
	assert_int_equal(st.tx_dropped, 0);
	for (int i = 0; i < 256; i++)
		assert_int_equal(recv_buf(b, r, sizeof(r)), 64);
	assert_int_equal(recv_buf(b, r, sizeof(r)), -EAGAIN);

	/* b sends with its header on, a receives without: the header is stripped */
	assert_int_equal(net_backend_set_vnet_hdr(b, true), 0);
	memset(r, 0, 12);
	memcpy(r + 12, f, 64);
	assert_int_equal(send_buf(b, r, 76), 76);
	assert_int_equal(net_backend_peek_len(a), 64);
	assert_int_equal(recv_buf(a, r, sizeof(r)), 64);
	assert_memory_equal(r, f, 64);

	/* frames still queued when a port closes are freed with it (ASan checks) */
	assert_int_equal(send_buf(a, f, 64), 64);
	net_backend_close(b);
	assert_int_equal(send_buf(a, f, 64), 64);   /* nobody left: goes nowhere */
	assert_false(fd_readable(a->poll_fd, 0));
	net_backend_close(a);
	net_backend_close(other_id);
	net_backend_close(other_vm);

	/* the hub is gone: a new port of the same ID starts empty */
	a = be_open("hub:h2", &vm);
	assert_int_equal(recv_buf(a, r, sizeof(r)), -EAGAIN);
	net_backend_close(a);
}

static void test_hub_three_ports(void **state)
{
	static int vm;
	struct net_backend *p[3];
	uint8_t f[100], r[100];

	for (int i = 0; i < 3; i++)
		p[i] = be_open("hub:h3", &vm);
	for (int s = 0; s < 3; s++) {
		net_frame_build(f, 80, bcast, mac_a, (uint16_t)s, 0);
		assert_int_equal(send_buf(p[s], f, 80), 80);
		for (int d = 0; d < 3; d++) {
			uint16_t flow = 0xffff;

			if (d == s) {
				assert_int_equal(recv_buf(p[d], r, sizeof(r)), -EAGAIN);
				continue;
			}
			assert_int_equal(recv_buf(p[d], r, sizeof(r)), 80);
			assert_int_equal(net_frame_check(r, 80, NULL, &flow), NET_FRAME_OK);
			assert_int_equal(flow, s);
			assert_int_equal(recv_buf(p[d], r, sizeof(r)), -EAGAIN);
		}
	}
	/* a port leaving mid-life: the other two still talk */
	net_backend_close(p[1]);
	assert_int_equal(send_buf(p[0], f, 80), 80);
	assert_int_equal(recv_buf(p[2], r, sizeof(r)), 80);
	assert_int_equal(recv_buf(p[0], r, sizeof(r)), -EAGAIN);
	net_backend_close(p[0]);
	net_backend_close(p[2]);
}

#define HUB_SENDERS 4
#define HUB_FRAMES  100000

struct hub_thread {
	struct net_backend *be;
	int id;                        /* flow of the frames it sends; -1: only listens */
	volatile int *stop;
	uint32_t next[HUB_SENDERS];    /* per sending flow: the lowest sequence still acceptable */
	uint64_t received, bad, out_of_order;
};

/* Receive all that is waiting; every frame must be valid, from another port, in order. */
static void hub_drain(struct hub_thread *t)
{
	uint8_t r[128];
	ssize_t n;

	while ((n = recv_buf(t->be, r, sizeof(r))) > 0) {
		uint32_t seq;
		uint16_t flow;

		t->received++;
		if (net_frame_check(r, (uint32_t)n, &seq, &flow) != NET_FRAME_OK ||
		    flow >= HUB_SENDERS || flow == t->id) {
			t->bad++;
			continue;
		}
		if (seq < t->next[flow])
			t->out_of_order++;
		t->next[flow] = seq + 1;
	}
}

static void *hub_thread_run(void *arg)
{
	struct hub_thread *t = arg;
	uint8_t f[128];

	if (t->id < 0) {
		while (!__atomic_load_n(t->stop, __ATOMIC_ACQUIRE)) {
			fd_readable(t->be->poll_fd, 10);
			hub_drain(t);
		}
		hub_drain(t);
		return NULL;
	}
	for (uint32_t i = 0; i < HUB_FRAMES; i++) {
		net_frame_build(f, 64 + (i & 63), bcast, mac_a, (uint16_t)t->id, i);
		if (send_buf(t->be, f, 64 + (i & 63)) != 64 + (i & 63))
			t->bad++;
		if ((i & 7) == 0)
			hub_drain(t);
	}
	return NULL;
}

static void test_hub_concurrent(void **state)
{
	static int vm;
	int stop = 0;
	struct hub_thread t[HUB_SENDERS + 1];
	pthread_t tid[HUB_SENDERS + 1];

	memset(t, 0, sizeof(t));
	for (int i = 0; i <= HUB_SENDERS; i++) {
		t[i].be = be_open("hub:mt", &vm);
		t[i].id = i < HUB_SENDERS ? i : -1;
		t[i].stop = &stop;
	}
	for (int i = 0; i <= HUB_SENDERS; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, hub_thread_run, &t[i]), 0);
	for (int i = 0; i < HUB_SENDERS; i++)
		assert_int_equal(pthread_join(tid[i], NULL), 0);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(tid[HUB_SENDERS], NULL), 0);

	for (int i = 0; i <= HUB_SENDERS; i++) {
		struct net_backend_stats st;
		uint64_t expected = (uint64_t)(i < HUB_SENDERS ? HUB_SENDERS - 1 : HUB_SENDERS) *
				    HUB_FRAMES;

		hub_drain(&t[i]);
		net_backend_stats(t[i].be, &st);
		assert_int_equal(t[i].bad, 0);
		assert_int_equal(t[i].out_of_order, 0);
		assert_int_equal(st.rx_frames, t[i].received);
		assert_int_equal(st.rx_frames + st.rx_dropped, expected);
		assert_int_equal(st.tx_frames, i < HUB_SENDERS ? HUB_FRAMES : 0);
		assert_int_equal(st.tx_dropped, 0);
		print_message("port %d: %llu received, %llu dropped\n", i,
			      (unsigned long long)st.rx_frames, (unsigned long long)st.rx_dropped);
	}
	for (int i = 0; i <= HUB_SENDERS; i++)
		net_backend_close(t[i].be);
}

struct churn_sender {
	struct net_backend *be;
	uint64_t sent;
};

static void *churn_send(void *arg)
{
	struct churn_sender *c = arg;
	uint8_t f[64], r[64];

	net_frame_build(f, 64, bcast, mac_a, 0, 0);
	for (int i = 0; i < 10000; i++) {
		if (send_buf(c->be, f, 64) == 64)
			c->sent++;
		while (recv_buf(c->be, r, sizeof(r)) > 0)
			;
	}
	return NULL;
}

/* Ports join and leave while others send: no frame to a freed port, nothing leaks. */
static void test_hub_churn(void **state)
{
	static int vm;
	struct churn_sender c[2] = { { .be = be_open("hub:churn", &vm) },
				     { .be = be_open("hub:churn", &vm) } };
	pthread_t tid[2];
	uint8_t r[64];

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, churn_send, &c[i]), 0);
	for (int i = 0; i < 100; i++) {
		struct net_backend *p = be_open("hub:churn", &vm);

		if (i & 1)
			fd_readable(p->poll_fd, 1);
		while (recv_buf(p, r, sizeof(r)) > 0)
			;
		net_backend_close(p);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		assert_int_equal(c[i].sent, 10000);
	}
	net_backend_close(c[0].be);
	net_backend_close(c[1].be);
}

static int fd_count(void)
{
	char path[64];
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/* Opening and closing every back-end, and every refused spec, leaves no fd behind. */
static void test_no_fd_leak(void **state)
{
	static const char *const specs[] = {
		"loop", "sink", "gen", "gen:rate=10", "gen:count=1", "hub:leak", "hub:leak",
		"gen:size=1", "hub:", "loop:x", "nope", "tap:a/b",
	};
	struct net_backend *be[sizeof(specs) / sizeof(specs[0])];
	int before = fd_count();

	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
			be[i] = NULL;
			(void)!net_backend_open(specs[i], NULL, &be[i]);
		}
		for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
			net_backend_close(be[i]);
	}
	assert_int_equal(fd_count(), before);
}

static void test_gen_count_size_flows(void **state)
{
	struct net_backend *be = be_open("gen:size=100,count=6,flow=3,dst=02:00:00:00:00:0b", NULL);
	static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 0x0b };
	struct net_gen_stats gs;
	struct net_backend_stats st;
	uint8_t r[200];
	uint32_t seq;
	uint16_t flow;

	assert_true(fd_readable(be->poll_fd, 0));
	assert_int_equal(net_backend_peek_len(be), 100);
	for (uint32_t i = 0; i < 6; i++) {
		assert_int_equal(recv_buf(be, r, sizeof(r)), 100);
		assert_int_equal(net_frame_check(r, 100, &seq, &flow), NET_FRAME_OK);
		assert_memory_equal(r, dst, 6);
		assert_int_equal(flow, i % 3);
		assert_int_equal(seq, i / 3);
	}
	assert_int_equal(recv_buf(be, r, sizeof(r)), -EAGAIN);
	assert_int_equal(net_backend_peek_len(be), 0);
	assert_false(fd_readable(be->poll_fd, 0));
	assert_int_equal(net_gen_stats_read(be, &gs), 0);
	assert_int_equal(gs.generated, 6);
	assert_true(gs.done);
	net_backend_stats(be, &st);
	assert_int_equal(st.rx_frames, 6);
	assert_int_equal(st.rx_bytes, 600);
	net_backend_close(be);

	/* with the header, and into buffers too small */
	be = be_open("gen:count=2", NULL);
	assert_int_equal(net_backend_set_vnet_hdr(be, true), 0);
	assert_int_equal(net_backend_peek_len(be), 72);
	assert_int_equal(recv_buf(be, r, 71), -EMSGSIZE);
	memset(r, 0xaa, sizeof(r));
	assert_int_equal(recv_buf(be, r, sizeof(r)), 72);
	for (int i = 0; i < 12; i++)
		assert_int_equal(r[i], 0);
	assert_int_equal(net_frame_check(r + 12, 60, &seq, NULL), NET_FRAME_OK);
	assert_int_equal(seq, 1);   /* 0 was lost in the small buffer */
	assert_int_equal(recv_buf(be, r, sizeof(r)), -EAGAIN);
	net_backend_stats(be, &st);
	assert_int_equal(st.rx_dropped, 1);
	assert_int_equal(net_gen_stats_read(be, &gs), 0);
	assert_int_equal(gs.generated, 2);
	net_backend_close(be);

	be = be_open("sink", NULL);
	assert_int_equal(net_gen_stats_read(be, &gs), -EINVAL);
	net_backend_close(be);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_gen_rate(void **state)
{
	uint64_t t0 = now_ms(), elapsed, polls = 0;   /* before open: pacing starts there */
	struct net_backend *be = be_open("gen:rate=200,count=21", NULL);
	struct net_gen_stats gs;
	uint8_t r[100];
	int got = 0;

	while (got < 21 && now_ms() - t0 < 10000) {
		ssize_t n;

		fd_readable(be->poll_fd, 100);
		polls++;
		while ((n = recv_buf(be, r, sizeof(r))) > 0) {
			assert_int_equal(n, 60);
			got++;
		}
		assert_int_equal(n, -EAGAIN);
	}
	elapsed = now_ms() - t0;
	assert_int_equal(got, 21);
	/* 20 intervals of 5 ms (a catch-up burst after a stall never runs ahead of
	 * that schedule); generous above for a loaded machine */
	print_message("21 frames at 200/s in %llu ms, %llu polls\n", (unsigned long long)elapsed,
		      (unsigned long long)polls);
	assert_true(elapsed >= 95);
	assert_true(elapsed < 3000);
	assert_int_equal(net_gen_stats_read(be, &gs), 0);
	assert_true(gs.done);
	assert_false(fd_readable(be->poll_fd, 20));   /* timer stopped */
	net_backend_close(be);
}

static void test_gen_verify(void **state)
{
	struct net_backend *be = be_open("gen", NULL);
	struct net_gen_stats gs;
	struct net_backend_stats st;
	static uint8_t big[NET_FRAME_MAX_LEN + 100];
	uint8_t f[200];
	uint32_t seqs[] = { 0, 1, 2, 5, 4, 6 };

	for (size_t i = 0; i < 6; i++) {
		net_frame_build(f, 90, bcast, mac_a, 3, seqs[i]);
		assert_int_equal(send_buf(be, f, 90), 90);
	}
	net_frame_build(f, 90, bcast, mac_a, 4, 0);       /* another flow, its own sequence */
	assert_int_equal(send_buf(be, f, 90), 90);

	f[50] ^= 1;                                         /* payload */
	assert_int_equal(send_buf(be, f, 90), 90);
	f[50] ^= 1;
	f[88] ^= 1;                                         /* checksum */
	assert_int_equal(send_buf(be, f, 90), 90);
	f[88] ^= 1;
	assert_int_equal(send_buf(be, f, 89), 89);          /* shorter than its length field */
	assert_int_equal(send_buf(be, f, 40), 40);          /* runt */
	f[12] = 0x08;                                       /* not ours */
	assert_int_equal(send_buf(be, f, 90), 90);
	f[12] = 0x88;
	assert_int_equal(send_buf(be, big, sizeof(big)), (ssize_t)sizeof(big)); /* too long */

	/* with the header on, the header is skipped before verification */
	assert_int_equal(net_backend_set_vnet_hdr(be, true), 0);
	memset(big, 0, 12);
	net_frame_build(big + 12, 60, bcast, mac_a, 4, 1);
	assert_int_equal(send_buf(be, big, 72), 72);

	assert_int_equal(net_gen_stats_read(be, &gs), 0);
	assert_int_equal(gs.verified, 8);
	assert_int_equal(gs.gaps, 1);
	assert_int_equal(gs.lost, 2);
	assert_int_equal(gs.reordered, 1);
	assert_int_equal(gs.bad[NET_FRAME_BAD_PAYLOAD], 1);
	assert_int_equal(gs.bad[NET_FRAME_BAD_CSUM], 1);
	assert_int_equal(gs.bad[NET_FRAME_SHORT], 2);
	assert_int_equal(gs.bad[NET_FRAME_NOT_OURS], 1);
	assert_int_equal(gs.bad[NET_FRAME_BAD_LEN], 1);
	net_backend_stats(be, &st);
	assert_int_equal(st.rx_bad, 6);
	assert_int_equal(st.tx_frames, 14);
	net_backend_close(be);
}

/* Every frame gen generates passes its own verification, over many sizes and flows. */
static void test_gen_roundtrip(void **state)
{
	struct net_backend *be = be_open("gen:count=2000,flow=7,size=1514", NULL);
	struct net_gen_stats gs;
	static uint8_t r[NET_FRAME_MAX];
	ssize_t n;

	while ((n = recv_buf(be, r, sizeof(r))) > 0)
		assert_int_equal(send_buf(be, r, (size_t)n), n);
	assert_int_equal(net_gen_stats_read(be, &gs), 0);
	assert_int_equal(gs.generated, 2000);
	assert_int_equal(gs.verified, 2000);
	assert_int_equal(gs.gaps + gs.lost + gs.reordered, 0);
	net_backend_close(be);
}

/* ---- tap, in a network namespace of its own ---- */

static int ifup(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = -1;

	strcpy(ifr.ifr_name, name);
	if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	if (s >= 0)
		close(s);
	return ret;
}

/* No IPv6 chatter (router solicitations, MLD) on the interface, where IPv6 exists. */
static void ipv6_off(const char *name)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "1", 1);
		close(fd);
	}
}

static int packet_socket(const char *name)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));

	assert_true(s >= 0);
	sll.sll_ifindex = (int)if_nametoindex(name);
	assert_true(sll.sll_ifindex > 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return s;
}

/* Wait up to 2 s for a frame of our ethertype on the packet socket (not our own output). */
static ssize_t packet_recv_ours(int s, uint8_t *buf, size_t len)
{
	uint64_t t0 = now_ms();

	while (now_ms() - t0 < 2000) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		fd_readable(s, 100);
		n = recvfrom(s, buf, len, 0, (struct sockaddr *)&from, &fl);
		if (n >= 14 && from.sll_pkttype != PACKET_OUTGOING && buf[12] == 0x88 &&
		    buf[13] == 0xb5)
			return n;
	}
	return -ETIMEDOUT;
}

/* Wait up to 2 s for a frame of our ethertype from the back-end (skipping IPv6 chatter). */
static ssize_t be_recv_ours(struct net_backend *be, uint8_t *buf, size_t len, bool peek)
{
	size_t hdr = be->vnet_hdr ? 12 : 0;
	uint64_t t0 = now_ms();

	while (now_ms() - t0 < 2000) {
		ssize_t n;

		fd_readable(be->poll_fd, 100);
		if (peek) {
			n = net_backend_peek_len(be);
			if (n <= 0)
				continue;
			assert_int_equal(recv_buf(be, buf, len), n);
		} else {
			n = recv_buf(be, buf, len);
			if (n == -EAGAIN)
				continue;
		}
		if ((size_t)n >= hdr + 14 && buf[hdr + 12] == 0x88 && buf[hdr + 13] == 0xb5)
			return n;
	}
	return -ETIMEDOUT;
}

static void tap_both_ways(struct net_backend *be, int ps, uint32_t seq)
{
	size_t hdr = be->vnet_hdr ? 12 : 0;
	uint8_t f[12 + 300], r[2048];
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_halen = 6 };
	ssize_t n;

	/* NIC -> interface */
	memset(f, 0, 12);
	net_frame_build(f + hdr, 300, bcast, mac_a, 1, seq);
	assert_int_equal(send_buf(be, f, hdr + 300), (ssize_t)(hdr + 300));
	n = packet_recv_ours(ps, r, sizeof(r));
	assert_int_equal(n, 300);
	assert_memory_equal(r, f + hdr, 300);

	/* interface -> NIC */
	net_frame_build(f, 200, bcast, mac_a, 2, seq);
	to.sll_ifindex = (int)if_nametoindex("iovt0");
	memcpy(to.sll_addr, bcast, 6);
	assert_int_equal(sendto(ps, f, 200, 0, (struct sockaddr *)&to, sizeof(to)), 200);
	n = be_recv_ours(be, r, hdr + 200, seq & 1);   /* exactly the frame's size */
	assert_int_equal(n, (ssize_t)(hdr + 200));
	assert_memory_equal(r + hdr, f, 200);
	if (hdr) {
		struct virtio_net_hdr_v1 h;

		memcpy(&h, r, 12);
		assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		assert_false(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
	}
}

static void test_tap_frames(void **state)
{
	struct net_backend *be = be_open("tap:iovt0", NULL), *busy = NULL, *down;
	struct net_backend_stats st;
	uint8_t f[100], r[64];
	int ps;

	assert_true(be->poll_fd >= 0);
	ipv6_off("iovt0");
	assert_int_equal(ifup("iovt0"), 0);
	ps = packet_socket("iovt0");

	tap_both_ways(be, ps, 1);
	assert_int_equal(net_backend_set_vnet_hdr(be, true), 0);
	assert_int_equal(net_backend_set_offloads(be, NET_BE_OFFLOAD_CSUM | NET_BE_OFFLOAD_TSO4 |
						      NET_BE_OFFLOAD_TSO6 | NET_BE_OFFLOAD_ECN), 0);
	tap_both_ways(be, ps, 2);
	assert_int_equal(net_backend_set_offloads(be, 0), 0);
	tap_both_ways(be, ps, 3);
	assert_int_equal(net_backend_set_vnet_hdr(be, false), 0);
	tap_both_ways(be, ps, 4);

	/* a frame larger than the NIC's buffers is dropped, not truncated */
	{
		struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_halen = 6,
					  .sll_ifindex = (int)if_nametoindex("iovt0") };
		uint64_t t0 = now_ms();
		ssize_t n = -EAGAIN;

		net_frame_build(f, 100, bcast, mac_a, 5, 0);
		assert_int_equal(sendto(ps, f, 100, 0, (struct sockaddr *)&to, sizeof(to)), 100);
		/* IPv6 chatter may come first; ours is the one of length 100 */
		while (now_ms() - t0 < 2000 && n != -EMSGSIZE) {
			fd_readable(be->poll_fd, 100);
			n = recv_buf(be, r, sizeof(r));
		}
		assert_int_equal(n, -EMSGSIZE);
	}
	net_backend_stats(be, &st);
	assert_int_equal(st.tx_frames, 4);
	assert_true(st.rx_frames >= 4);
	assert_true(st.rx_dropped >= 1);

	/* the interface is taken */
	assert_true(net_backend_open("tap:iovt0", NULL, &busy) < 0);
	assert_null(busy);

	/* a tap whose interface is down refuses frames: counted as dropped */
	down = be_open("tap:abcdefghijklmno", NULL);   /* IFNAMSIZ - 1 characters */
	net_frame_build(f, 60, bcast, mac_a, 0, 0);
	assert_true(send_buf(down, f, 60) < 0);
	net_backend_stats(down, &st);
	assert_int_equal(st.tx_dropped, 1);
	net_backend_close(down);

	close(ps);
	net_backend_close(be);
	assert_int_equal(if_nametoindex("iovt0"), 0);  /* not persistent: gone */
}

/* Fork, enter a new network namespace, run the tap tests there; 77 when that is impossible. */
static int run_tap_tests(void)
{
	const struct CMUnitTest tap_tests[] = {
		cmocka_unit_test(test_tap_frames),
	};
	int status, fd;
	pid_t pid;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("%s: cannot open /dev/net/tun: %s\n",
		       errno == ENOENT || errno == ENODEV || errno == EACCES || errno == EPERM ?
		       "skip" : "error", strerror(errno));
		return errno == ENOENT || errno == ENODEV || errno == EACCES || errno == EPERM ?
		       77 : 1;
	}
	close(fd);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0) {
			int e = errno;

			printf("%s: cannot make a network namespace (needs CAP_NET_ADMIN): %s\n",
			       e == EPERM ? "skip" : "error", strerror(e));
			fflush(stdout);
			_exit(e == EPERM ? 77 : 1);
		}
		status = cmocka_run_group_tests_name("net-backend-tap", tap_tests, NULL, NULL);
		fflush(stdout);
		_exit(status);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_errors),
		cmocka_unit_test(test_spec_good),
		cmocka_unit_test(test_wrapper_checks),
		cmocka_unit_test(test_offload_rules),
		cmocka_unit_test(test_sink_counts),
		cmocka_unit_test(test_loop_basic),
		cmocka_unit_test(test_loop_vnet_hdr),
		cmocka_unit_test(test_hub_two_ports),
		cmocka_unit_test(test_hub_three_ports),
		cmocka_unit_test(test_hub_concurrent),
		cmocka_unit_test(test_hub_churn),
		cmocka_unit_test(test_no_fd_leak),
		cmocka_unit_test(test_gen_count_size_flows),
		cmocka_unit_test(test_gen_rate),
		cmocka_unit_test(test_gen_verify),
		cmocka_unit_test(test_gen_roundtrip),
	};

	if (argc > 1 && !strcmp(argv[1], "--tap"))
		return run_tap_tests();
	return cmocka_run_group_tests_name("net-backend", tests, NULL, NULL);
}
