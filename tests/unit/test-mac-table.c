/* The switch's MAC learning table: learning, moves, aging, a full table, forwarding decisions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mac-table.h"

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t zero[6];
static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xb };
static const uint8_t mac_c[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

static struct mac_table *table(uint32_t max, uint64_t age)
{
	struct mac_table *t = NULL;

	assert_int_equal(mac_table_new(max, age, &t), 0);
	assert_non_null(t);
	return t;
}

static void mac_of(uint32_t n, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static void new_refuses_bad_sizes(void **state)
{
	struct mac_table *t = NULL;

	assert_int_equal(mac_table_new(0, 0, &t), -EINVAL);
	assert_int_equal(mac_table_new(MAC_TABLE_MAX_ENTRIES + 1, 0, &t), -EINVAL);
	assert_null(t);
	t = table(1, 0);
	mac_table_free(t);
	mac_table_free(NULL);
}

static void key_and_group_bits(void **state)
{
	assert_true(mac_table_key(mac_c) == 0x525400123456ULL);
	assert_true(mac_is_group(bcast));
	assert_true(mac_is_group(mcast));
	assert_false(mac_is_group(mac_a));
}

static void learn_then_lookup(void **state)
{
	struct mac_table *t = table(16, 0);
	struct mac_table_stats st;

	assert_int_equal(mac_table_lookup(t, mac_a, 0), -ENOENT);
	assert_int_equal(mac_table_learn(t, mac_a, 3, 0), 0);
	assert_int_equal(mac_table_learn(t, mac_b, 7, 0), 0);
	assert_int_equal(mac_table_lookup(t, mac_a, 1), 3);
	assert_int_equal(mac_table_lookup(t, mac_b, 1), 7);
	assert_int_equal(mac_table_lookup(t, mac_c, 1), -ENOENT);
	assert_int_equal(mac_table_learn(t, mac_a, 3, 5), 0); /* refresh, not new */
	assert_int_equal(mac_table_count(t), 2);
	mac_table_get_stats(t, &st);
	assert_int_equal(st.learned, 2);
	assert_int_equal(st.moved, 0);
	mac_table_free(t);
}

static void group_and_zero_sources_not_learned(void **state)
{
	struct mac_table *t = table(16, 0);

	assert_int_equal(mac_table_learn(t, bcast, 1, 0), -EINVAL);
	assert_int_equal(mac_table_learn(t, mcast, 1, 0), -EINVAL);
	assert_int_equal(mac_table_learn(t, zero, 1, 0), -EINVAL);
	assert_int_equal(mac_table_count(t), 0);
	assert_int_equal(mac_table_lookup(t, bcast, 0), -ENOENT);
	mac_table_free(t);
}

static void station_moves(void **state)
{
	struct mac_table *t = table(16, 0);
	struct mac_table_stats st;

	assert_int_equal(mac_table_learn(t, mac_a, 1, 0), 0);
	assert_int_equal(mac_table_learn(t, mac_a, 2, 1), 0);
	assert_int_equal(mac_table_lookup(t, mac_a, 2), 2);
	assert_int_equal(mac_table_count(t), 1);
	mac_table_get_stats(t, &st);
	assert_int_equal(st.moved, 1);
	mac_table_free(t);
}

static void entries_age_out(void **state)
{
	struct mac_table *t = table(16, 100);
	struct mac_table_stats st;

	assert_int_equal(mac_table_learn(t, mac_a, 1, 1000), 0);
	assert_int_equal(mac_table_learn(t, mac_b, 2, 1050), 0);
	assert_int_equal(mac_table_lookup(t, mac_a, 1100), 1); /* exactly the aging time: kept */
	assert_int_equal(mac_table_lookup(t, mac_a, 1101), -ENOENT);
	assert_int_equal(mac_table_count(t), 1);
	assert_int_equal(mac_table_lookup(t, mac_b, 1101), 2);
	assert_int_equal(mac_table_learn(t, mac_b, 2, 1140), 0); /* seen again: refreshed */
	assert_int_equal(mac_table_age(t, 1200), 0);
	assert_int_equal(mac_table_age(t, 1241), 1);
	assert_int_equal(mac_table_count(t), 0);
	mac_table_get_stats(t, &st);
	assert_int_equal(st.aged, 2);
	/* A clock behind an entry's time does not expire it. */
	assert_int_equal(mac_table_learn(t, mac_c, 3, 5000), 0);
	assert_int_equal(mac_table_lookup(t, mac_c, 10), 3);
	mac_table_free(t);
}

static void no_aging_when_zero(void **state)
{
	struct mac_table *t = table(4, 0);

	assert_int_equal(mac_table_learn(t, mac_a, 1, 0), 0);
	assert_int_equal(mac_table_lookup(t, mac_a, UINT64_MAX), 1);
	assert_int_equal(mac_table_age(t, UINT64_MAX), 0);
	mac_table_free(t);
}

static void full_table_refuses_then_recovers(void **state)
{
	struct mac_table *t = table(8, 10);
	struct mac_table_stats st;
	uint8_t mac[6];
	struct mac_fwd f;

	for (uint32_t i = 0; i < 8; i++) {
		mac_of(i, mac);
		assert_int_equal(mac_table_learn(t, mac, (uint16_t)i, 0), 0);
	}
	mac_of(8, mac);
	assert_int_equal(mac_table_learn(t, mac, 1, 0), -ENOSPC);
	assert_int_equal(mac_table_lookup(t, mac, 0), -ENOENT);
	/* A known MAC still refreshes and moves in a full table. */
	mac_of(3, mac);
	assert_int_equal(mac_table_learn(t, mac, 5, 1), 0);
	assert_int_equal(mac_table_lookup(t, mac, 1), 5);
	/* A frame to an unlearnable source still forwards: the table only loses the entry. */
	mac_of(9, mac);
	f = mac_table_forward(t, mac_a, mac, 2, 1);
	assert_int_equal(f.kind, MAC_FWD_FLOOD);
	mac_table_get_stats(t, &st);
	assert_int_equal(st.full, 2);
	/* Aging makes room. */
	assert_int_equal(mac_table_age(t, 11), 7);
	assert_int_equal(mac_table_learn(t, mac, 2, 11), 0);
	assert_int_equal(mac_table_count(t), 2);
	mac_table_free(t);
}

static void forwarding_decisions(void **state)
{
	struct mac_table *t = table(16, 0);
	struct mac_fwd f;

	/* Unknown destination: flood, and the source is learned on the way. */
	f = mac_table_forward(t, mac_b, mac_a, 0, 0);
	assert_int_equal(f.kind, MAC_FWD_FLOOD);
	assert_int_equal(mac_table_lookup(t, mac_a, 0), 0);
	/* The answer goes to the port the first frame came from. */
	f = mac_table_forward(t, mac_a, mac_b, 1, 0);
	assert_int_equal(f.kind, MAC_FWD_PORT);
	assert_int_equal(f.port, 0);
	f = mac_table_forward(t, mac_b, mac_a, 0, 0);
	assert_int_equal(f.kind, MAC_FWD_PORT);
	assert_int_equal(f.port, 1);
	/* Broadcast and multicast flood even from known sources. */
	assert_int_equal(mac_table_forward(t, bcast, mac_a, 0, 0).kind, MAC_FWD_FLOOD);
	assert_int_equal(mac_table_forward(t, mcast, mac_b, 1, 0).kind, MAC_FWD_FLOOD);
	/* A destination behind the ingress port is filtered, never sent back. */
	assert_int_equal(mac_table_learn(t, mac_c, 1, 0), 0);
	assert_int_equal(mac_table_forward(t, mac_c, mac_b, 1, 0).kind, MAC_FWD_DROP);
	/* A frame from a MAC to itself: learned on the ingress port, so dropped. */
	assert_int_equal(mac_table_forward(t, mac_a, mac_a, 0, 0).kind, MAC_FWD_DROP);
	/* A group source is not learned, the frame still floods. */
	assert_int_equal(mac_table_forward(t, mac_c, bcast, 2, 0).kind, MAC_FWD_PORT);
	assert_int_equal(mac_table_lookup(t, bcast, 0), -ENOENT);
	mac_table_free(t);
}

static void flush_port_removes_only_that_port(void **state)
{
	struct mac_table *t = table(64, 0);
	uint8_t mac[6];

	for (uint32_t i = 0; i < 60; i++) {
		mac_of(i, mac);
		assert_int_equal(mac_table_learn(t, mac, (uint16_t)(i % 3), 0), 0);
	}
	assert_int_equal(mac_table_flush_port(t, 1), 20);
	assert_int_equal(mac_table_count(t), 40);
	for (uint32_t i = 0; i < 60; i++) {
		mac_of(i, mac);
		assert_int_equal(mac_table_lookup(t, mac, 0), i % 3 == 1 ? -ENOENT : (int)(i % 3));
	}
	mac_table_free(t);
}

/*
 * Many random MACs learned, moved, aged and flushed against a plain array: the
 * table's backward-shift deletion must never lose an entry behind a removed one.
 */
#define MODEL_N 3000

struct model_entry {
	uint8_t mac[6];
	int port; /* -1: absent */
	uint64_t seen;
};

static void model_check(struct mac_table *t, const struct model_entry *m, uint64_t now)
{
	uint32_t n = 0;

	for (int i = 0; i < MODEL_N; i++) {
		int want = m[i].port >= 0 && now - m[i].seen <= 50 ? m[i].port : -ENOENT;

		if (m[i].port >= 0)
			n++;
		if (want == -ENOENT && m[i].port >= 0)
			continue; /* expired: a lookup would remove it; the sweep does that */
		assert_int_equal(mac_table_lookup(t, m[i].mac, now), want);
	}
	assert_int_equal(mac_table_count(t), n);
}

static void random_against_model(void **state)
{
	struct mac_table *t = table(MODEL_N, 50);
	struct model_entry *m = calloc(MODEL_N, sizeof(*m));
	uint64_t now = 100;

	assert_non_null(m);
	srand(7);
	for (int i = 0; i < MODEL_N; i++) {
		m[i].port = -1;
		m[i].mac[0] = (uint8_t)(rand() & 0xfe);
		for (int b = 1; b < 6; b++)
			m[i].mac[b] = (uint8_t)rand();
		m[i].mac[5] = (uint8_t)i; /* distinct, never all zero */
		m[i].mac[4] = (uint8_t)(i >> 8);
	}
	for (int round = 0; round < 20; round++, now += 10) {
		for (int k = 0; k < MODEL_N / 2; k++) {
			int i = rand() % MODEL_N;
			uint16_t port = (uint16_t)(rand() % 8);

			assert_int_equal(mac_table_learn(t, m[i].mac, port, now), 0);
			m[i].port = port;
			m[i].seen = now;
		}
		for (int i = 0; i < MODEL_N; i++)
			if (m[i].port >= 0 && now - m[i].seen > 50)
				m[i].port = -1;
		mac_table_age(t, now);
		if (round % 5 == 4) {
			uint16_t gone = (uint16_t)(round % 8);

			mac_table_flush_port(t, gone);
			for (int i = 0; i < MODEL_N; i++)
				if (m[i].port == gone)
					m[i].port = -1;
		}
		model_check(t, m, now);
	}
	free(m);
	mac_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_refuses_bad_sizes),
		cmocka_unit_test(key_and_group_bits),
		cmocka_unit_test(learn_then_lookup),
		cmocka_unit_test(group_and_zero_sources_not_learned),
		cmocka_unit_test(station_moves),
		cmocka_unit_test(entries_age_out),
		cmocka_unit_test(no_aging_when_zero),
		cmocka_unit_test(full_table_refuses_then_recovers),
		cmocka_unit_test(forwarding_decisions),
		cmocka_unit_test(flush_port_removes_only_that_port),
		cmocka_unit_test(random_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
