/*
 * Frames through the vhost-user front-end end to end, without DPDK: two
 * devices (each its own memfd guest RAM, each driven by a test driver) on the
 * two ports of an in-test back-end that maps their RAM and services their
 * rings (vhost-user-wire.c). What one driver transmits the other receives,
 * byte for byte and in order; one back-end session dies and comes back while
 * the other device's link stays up; the fd count ends where it began.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "vhost-user-drv.h"
#include "vhost-user-net.h"
#include "vhost-user-wire.h"

#define BIT(n) (1ULL << (n))
#define QSIZE 64
#define FRAMES 500

static const uint64_t features = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) |
				 BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_MRG_RXBUF) |
				 BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_RING_F_INDIRECT_DESC);

struct side {
	struct vdrv d;
	uint16_t tx_next;       /* frames posted */
	uint16_t rx_seq;        /* next sequence number expected */
};

static bool link_up(struct side *s)
{
	struct vhost_user_net_stats st;

	vhost_user_net_stats_get(s->d.dev, &st);
	return st.running && vdrv_link_up(&s->d);
}

static void wait_link(struct side *s, bool up)
{
	for (int i = 0; i < 500 && link_up(s) != up; i++)
		usleep(10000);
	assert_int_equal(link_up(s), up);
}

static size_t frame_len(unsigned seq)
{
	return 60 + (seq * 131) % 1455;
}

static void frame_fill(uint8_t *f, unsigned seq, uint8_t from)
{
	size_t len = frame_len(seq);

	memset(f, 0xff, 6);
	memset(f + 6, from, 6);
	memcpy(f + 12, &seq, 4);
	for (size_t i = 16; i < len; i++)
		f[i] = (uint8_t)(seq + i * 3 + from);
}

static void rx_post_all(struct side *s)
{
	for (unsigned i = 0; i < QSIZE; i++)
		vdrv_post(&s->d, VIRTIO_NET_RXQ, i, VDRV_BUF_LEN, true);
	vdrv_kick(&s->d, VIRTIO_NET_RXQ);
}

/* Send count frames from a to b (a window of QSIZE / 2) and check each arrives intact, in order. */
static void exchange(struct side *a, struct side *b, uint8_t tag, unsigned first, unsigned count)
{
	unsigned sent = 0, got = 0, done = 0;
	uint8_t f[1514], want[1514];
	uint32_t id, len;

	b->rx_seq = first;
	for (int spins = 0; got < count && spins < 200000; spins++) {
		if (sent < count && sent - done < QSIZE / 2) {
			frame_fill(f, first + sent, tag);
			vdrv_tx(&a->d, a->tx_next++ % QSIZE, f, frame_len(first + sent));
			vdrv_kick(&a->d, VIRTIO_NET_TXQ);
			sent++;
		}
		while (vdrv_used(&a->d, VIRTIO_NET_TXQ, &id, &len))
			done++;
		while (vdrv_used(&b->d, VIRTIO_NET_RXQ, &id, &len)) {
			const uint8_t *buf = vdrv_gva(&b->d, VDRV_BUF(VIRTIO_NET_RXQ, id));

			frame_fill(want, b->rx_seq, tag);
			assert_int_equal(len, VDRV_HDR_LEN + frame_len(b->rx_seq));
			assert_int_equal(buf[10], 1); /* num_buffers */
			assert_memory_equal(buf + VDRV_HDR_LEN, want, frame_len(b->rx_seq));
			b->rx_seq++;
			got++;
			vdrv_post(&b->d, VIRTIO_NET_RXQ, id, VDRV_BUF_LEN, true);
			vdrv_kick(&b->d, VIRTIO_NET_RXQ);
		}
		if (got < count)
			usleep(100);
	}
	assert_int_equal(got, count);
}

static void side_new(struct side *s, int fd, uint8_t last)
{
	struct vhost_user_net_config cfg = { .socket = "wire", .fd = fd, .reply_timeout_ms = 5000,
					     .mac = { 0x02, 0, 0, 0, 0, last } };

	assert_true(fd >= 0);
	assert_int_equal(vhost_user_net_new(&s->d.mem, &cfg, &s->d.dev), 0);
	assert_int_equal(vdrv_start(&s->d, features, QSIZE), 0x0f);
	rx_post_all(s);
}

static void frames_both_ways_and_a_reconnect(void **state)
{
	struct side *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct vu_wire_stats st;
	struct vu_wire *w;
	unsigned before;

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(vdrv_ram_init(&a->d), 0);
	assert_int_equal(vdrv_ram_init(&b->d), 0);
	before = vdrv_fd_count();
	assert_int_equal(vu_wire_start(&w), 0);
	side_new(a, vu_wire_attach(w, 0), 1);
	side_new(b, vu_wire_attach(w, 1), 2);
	wait_link(a, true);
	wait_link(b, true);
	exchange(a, b, 0xa, 0, FRAMES);
	exchange(b, a, 0xb, 0, FRAMES);

	/* A's back-end session dies: A's link goes down, B's stays up. */
	vu_wire_detach(w, 0);
	wait_link(a, false);
	assert_true(link_up(b));
	assert_int_equal(vhost_user_net_attach_fd(a->d.dev, vu_wire_attach(w, 0)), 0);
	wait_link(a, true);
	exchange(a, b, 0xa, FRAMES, FRAMES);
	exchange(b, a, 0xb, FRAMES, FRAMES);

	vu_wire_stats_get(w, &st);
	assert_int_equal(st.forwarded[0], 2 * FRAMES);
	assert_int_equal(st.forwarded[1], 2 * FRAMES);
	assert_int_equal(st.sessions[0], 2);
	assert_int_equal(st.protocol_errors, 0);
	a->d.dev->ops->teardown(a->d.dev);
	b->d.dev->ops->teardown(b->d.dev);
	vu_wire_stop(w);
	assert_int_equal(vdrv_fd_count(), before);
	vdrv_ram_free(&a->d);
	vdrv_ram_free(&b->d);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frames_both_ways_and_a_reconnect),
	};

	log_set_level(LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
