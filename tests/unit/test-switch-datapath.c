/*
 * The switch's data path on real mbufs: forwarding, flooding, filtering,
 * reflect and sink, runts and garbage, and no mbuf lost or freed twice. The
 * ports are DPDK ring ethdevs (net_ring, which transmits into the ring it
 * receives from), driven through the uplink code path; the EAL runs without
 * hugepages.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "vswitch-priv.h"

#define NPORTS 4
#define POOL_SIZE 4095

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xb };
static const uint8_t mac_c[6] = { 0x02, 0, 0, 0, 0, 0xc };

static struct vswitch *sw;

static int eal_up(void)
{
	char *argv[] = { "test-switch-datapath", "--no-huge", "-m", "128", "--no-pci",
			 "--no-shconf", "-l", "0", "--no-telemetry", "--log-level", "4",
			 "--vdev", "net_ring0", "--vdev", "net_ring1", "--vdev", "net_ring2",
			 "--vdev", "net_ring3", NULL };

	return rte_eal_init((int)ARRAY_SIZE(argv) - 1, argv) < 0 ? -1 : 0;
}

static void port_start(struct vswitch_port *p, uint16_t id)
{
	struct rte_eth_conf conf = { 0 };

	p->kind = VSWITCH_PORT_UPLINK;
	p->index = id;
	p->eth_port = id;
	p->seen_vid = 0;
	snprintf(p->name, sizeof(p->name), "net_ring%u", id);
	assert_int_equal(rte_eth_dev_configure(id, 1, 1, &conf), 0);
	assert_int_equal(rte_eth_rx_queue_setup(id, 0, 256, 0, NULL, sw->pool), 0);
	assert_int_equal(rte_eth_tx_queue_setup(id, 0, 256, 0, NULL), 0);
	assert_int_equal(rte_eth_dev_start(id), 0);
}

static int group_setup(void **state)
{
	if (eal_up())
		return -1;
	sw = calloc(1, sizeof(*sw));
	if (!sw)
		return -1;
	sw->pool = rte_pktmbuf_pool_create("test-pool", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					   0);
	if (!sw->pool || rte_eth_dev_count_avail() != NPORTS)
		return -1;
	sw->n_ports = NPORTS;
	for (uint16_t i = 0; i < NPORTS; i++)
		port_start(&sw->ports[i], i);
	return mac_table_new(64, 0, &sw->macs);
}

static int group_teardown(void **state)
{
	for (uint16_t i = 0; i < NPORTS; i++) {
		rte_eth_dev_stop(i);
		rte_eth_dev_close(i);
	}
	mac_table_free(sw->macs);
	rte_mempool_free(sw->pool);
	free(sw);
	rte_eal_cleanup();
	return 0;
}

/* Every test starts from empty counters, an empty table, every port up, switch mode. */
static int test_setup(void **state)
{
	for (unsigned i = 0; i < NPORTS; i++) {
		memset(&sw->ports[i].stats, 0, sizeof(sw->ports[i].stats));
		sw->ports[i].seen_vid = 0;
		mac_table_flush_port(sw->macs, (uint16_t)i);
	}
	sw->mode = SWITCH_MODE_SWITCH;
	return 0;
}

/* Every mbuf is back in the pool: nothing leaked, nothing freed twice. */
static int test_teardown(void **state)
{
	unsigned avail = rte_mempool_avail_count(sw->pool);

	if (avail != POOL_SIZE)
		fprintf(stderr, "pool: %u of %u mbufs back\n", avail, POOL_SIZE);
	return avail == POOL_SIZE ? 0 : -1;
}

static struct rte_mbuf *frame(const uint8_t dst[6], const uint8_t src[6], uint16_t len, uint8_t tag)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(sw->pool);
	uint8_t *p;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, len);
	assert_non_null(p);
	memset(p, tag, len);
	if (len >= 12) {
		memcpy(p, dst, 6);
		memcpy(p + 6, src, 6);
	}
	return m;
}

static void send_from(unsigned port, struct rte_mbuf **pkts, uint16_t n)
{
	vswitch_forward(sw, &sw->ports[port], pkts, n);
}

/* Drain what the switch sent to port; returns how many, checks the tag of each. */
static unsigned drain(unsigned port, const uint8_t dst[6], const uint8_t src[6], int tag)
{
	struct rte_mbuf *got[64];
	uint16_t n = rte_eth_rx_burst((uint16_t)port, 0, got, 64);

	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(got[i], const uint8_t *);

		if (dst)
			assert_memory_equal(p, dst, 6);
		if (src)
			assert_memory_equal(p + 6, src, 6);
		if (tag >= 0)
			assert_int_equal(p[rte_pktmbuf_pkt_len(got[i]) - 1], tag);
		rte_pktmbuf_free(got[i]);
	}
	return n;
}

static void broadcast_floods_all_but_ingress(void **state)
{
	struct rte_mbuf *m = frame(bcast, mac_a, 60, 0x11);

	send_from(0, &m, 1);
	/* One mbuf sits in three rings, held by a reference each: not back in the pool. */
	assert_int_equal(rte_mbuf_refcnt_read(m), NPORTS - 1);
	assert_int_equal(rte_mempool_avail_count(sw->pool), POOL_SIZE - 1);
	assert_int_equal(drain(0, NULL, NULL, -1), 0);
	for (unsigned i = 1; i < NPORTS; i++) {
		assert_int_equal(drain(i, bcast, mac_a, 0x11), 1);
		assert_int_equal(sw->ports[i].stats.tx, 1);
		assert_int_equal(sw->ports[i].stats.tx_bytes, 60);
	}
	assert_int_equal(sw->ports[0].stats.rx, 1);
	assert_int_equal(sw->ports[0].stats.flooded, 1);
	assert_int_equal(sw->ports[0].stats.tx, 0);
}

static void learned_unicast_goes_to_one_port(void **state)
{
	struct rte_mbuf *m = frame(bcast, mac_a, 64, 1);

	send_from(0, &m, 1); /* A learned on port 0 */
	for (unsigned i = 1; i < NPORTS; i++)
		drain(i, NULL, NULL, -1);
	m = frame(mac_a, mac_b, 128, 2);
	send_from(2, &m, 1); /* B on port 2 answers A */
	assert_int_equal(drain(0, mac_a, mac_b, 2), 1);
	assert_int_equal(drain(1, NULL, NULL, -1), 0);
	assert_int_equal(drain(3, NULL, NULL, -1), 0);
	assert_int_equal(sw->ports[2].stats.flooded, 0);
	m = frame(mac_b, mac_a, 60, 3);
	send_from(0, &m, 1);
	assert_int_equal(drain(2, mac_b, mac_a, 3), 1);
	assert_int_equal(drain(1, NULL, NULL, -1) + drain(3, NULL, NULL, -1), 0);
}

static void destination_behind_ingress_is_dropped(void **state)
{
	struct rte_mbuf *m[2] = { frame(bcast, mac_a, 60, 1), frame(bcast, mac_c, 60, 1) };

	send_from(1, m, 2); /* A and C both behind port 1 */
	for (unsigned i = 0; i < NPORTS; i++)
		drain(i, NULL, NULL, -1);
	m[0] = frame(mac_c, mac_a, 60, 4);
	send_from(1, m, 1);
	for (unsigned i = 0; i < NPORTS; i++)
		assert_int_equal(drain(i, NULL, NULL, -1), 0);
	assert_int_equal(sw->ports[1].stats.drops, 1);
}

static void port_down_is_skipped_by_flood_and_drops_unicast(void **state)
{
	struct rte_mbuf *m = frame(bcast, mac_c, 60, 1);

	send_from(3, &m, 1); /* C learned on port 3 */
	for (unsigned i = 0; i < NPORTS; i++)
		drain(i, NULL, NULL, -1);
	sw->ports[3].seen_vid = -1;
	m = frame(bcast, mac_a, 60, 5);
	send_from(0, &m, 1);
	assert_int_equal(drain(1, NULL, NULL, 5) + drain(2, NULL, NULL, 5), 2);
	assert_int_equal(drain(3, NULL, NULL, -1), 0);
	assert_int_equal(sw->ports[3].stats.drops, 0); /* flooding past a gone port is no drop */
	m = frame(mac_c, mac_a, 60, 6);
	send_from(0, &m, 1);
	assert_int_equal(drain(3, NULL, NULL, -1), 0);
	assert_int_equal(sw->ports[3].stats.drops, 1);
}

static void reflect_swaps_and_returns(void **state)
{
	struct rte_mbuf *m[3] = { frame(mac_b, mac_a, 60, 7), frame(mac_b, mac_a, 1514, 7),
				  frame(bcast, mac_a, 60, 7) };

	sw->mode = SWITCH_MODE_REFLECT;
	send_from(2, m, 3);
	assert_int_equal(rte_mempool_avail_count(sw->pool), POOL_SIZE - 3);
	assert_int_equal(drain(2, mac_a, NULL, 7), 3);
	for (unsigned i = 0; i < NPORTS; i++)
		if (i != 2)
			assert_int_equal(drain(i, NULL, NULL, -1), 0);
	assert_int_equal(sw->ports[2].stats.rx, 3);
	assert_int_equal(sw->ports[2].stats.tx, 3);
	assert_int_equal(sw->ports[2].stats.tx_bytes, 60 + 1514 + 60);
}

static void sink_counts_and_frees(void **state)
{
	struct rte_mbuf *m[2] = { frame(bcast, mac_a, 60, 8), frame(mac_b, mac_a, 60, 8) };

	sw->mode = SWITCH_MODE_SINK;
	send_from(0, m, 2);
	for (unsigned i = 0; i < NPORTS; i++)
		assert_int_equal(drain(i, NULL, NULL, -1), 0);
	assert_int_equal(sw->ports[0].stats.rx, 2);
	assert_int_equal(sw->ports[0].stats.rx_bytes, 120);
}

/* Runts and random bytes in a full burst: no crash, every frame accounted for. */
static void runts_and_garbage(void **state)
{
	struct rte_mbuf *m[VSWITCH_BURST];
	uint64_t out = 0, runts = 0, tx = 0;
	uint8_t junk[6];

	srand(11);
	for (unsigned i = 0; i < VSWITCH_BURST; i++) {
		uint16_t len = (uint16_t)(rand() % 80);

		for (int b = 0; b < 6; b++)
			junk[b] = (uint8_t)rand();
		m[i] = frame(junk, junk, len, 9);
		runts += len < 14;
	}
	send_from(1, m, VSWITCH_BURST);
	for (unsigned i = 0; i < NPORTS; i++)
		out += drain(i, NULL, NULL, -1);
	assert_int_equal(drain(1, NULL, NULL, -1), 0);
	assert_int_equal(sw->ports[1].stats.rx, VSWITCH_BURST);
	assert_true(sw->ports[1].stats.drops >= runts);
	for (unsigned i = 0; i < NPORTS; i++)
		tx += sw->ports[i].stats.tx;
	assert_int_equal(tx, out);
	assert_int_equal(sw->ports[1].stats.tx, 0);
	assert_true(out <= (uint64_t)(VSWITCH_BURST - runts) * (NPORTS - 1));
	assert_true(runts > 0);
}

/* A port whose ring is full: the rest become drops, and their mbufs go back to the pool. */
static void full_ring_counts_drops(void **state)
{
	struct rte_mbuf *m[VSWITCH_BURST];
	unsigned sent = 0, n, drained = 0;

	for (int round = 0; round < 40; round++) {
		for (unsigned i = 0; i < VSWITCH_BURST; i++)
			m[i] = frame(mac_b, mac_a, 60, 10);
		sw->ports[2].seen_vid = 0;
		send_from(0, m, VSWITCH_BURST); /* mac_b unknown: flood to 1, 2, 3 */
		sent += VSWITCH_BURST;
		drain(1, NULL, NULL, -1);
		drain(3, NULL, NULL, -1);
	}
	/* net_ring's ring holds 1023 frames, fewer than 40 bursts: port 2 overflowed. */
	assert_true(sw->ports[2].stats.drops > 0);
	assert_int_equal(sw->ports[2].stats.tx + sw->ports[2].stats.drops, sent);
	while ((n = drain(2, NULL, NULL, 10)))
		drained += n;
	assert_int_equal(drained, sw->ports[2].stats.tx);
}

#define DATAPATH_TEST(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		DATAPATH_TEST(broadcast_floods_all_but_ingress),
		DATAPATH_TEST(learned_unicast_goes_to_one_port),
		DATAPATH_TEST(destination_behind_ingress_is_dropped),
		DATAPATH_TEST(port_down_is_skipped_by_flood_and_drops_unicast),
		DATAPATH_TEST(reflect_swaps_and_returns),
		DATAPATH_TEST(sink_counts_and_frees),
		DATAPATH_TEST(runts_and_garbage),
		DATAPATH_TEST(full_ring_counts_drops),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
