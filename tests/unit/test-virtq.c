/*
 * The guest's split-ring logic (guest/virtq.c) on the host: publishing and
 * wrap-around, the event-index rule both ways, and a used ring written by a
 * hostile device (ids past the ring, the used index far ahead, random
 * bytes): every entry handed out is inside the ring, nothing is read outside
 * the exactly-sized ring parts (ASan), a bad entry is never consumed; and a
 * device thread publishing used entries while the driver takes them, the used
 * index crossing byte boundaries thousands of times (a torn read of it looks
 * 256 entries ahead: the driver's error, seen in a benchmark run).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "virtq.h"

struct ring {
	struct virtq q;
	void *desc, *avail;
	uint8_t *used;
};

static struct ring *ring_new(uint32_t size, int event_idx)
{
	struct ring *r = calloc(1, sizeof(*r));

	r->desc = calloc(1, VIRTQ_DESC_BYTES(size));
	r->avail = calloc(1, VIRTQ_AVAIL_BYTES(size));
	r->used = calloc(1, VIRTQ_USED_BYTES(size));
	assert_int_equal(virtq_init(&r->q, r->desc, r->avail, r->used, size, event_idx), 0);
	return r;
}

static void ring_free(struct ring *r)
{
	free(r->desc);
	free(r->avail);
	free(r->used);
	free(r);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }

/* The device side: append used entry (id, len) at used index slot idx, publish idx + 1. */
static void dev_use(struct ring *r, uint16_t idx, uint32_t id, uint32_t len)
{
	uint32_t slot = 4 + 8 * (idx & (r->q.size - 1));

	put32(r->used + slot, id);
	put32(r->used + slot + 4, len);
	put16(r->used + 2, idx + 1);
}

static void test_init_sizes(void **state)
{
	struct virtq q;
	uint8_t mem[16];

	assert_int_equal(virtq_init(&q, mem, mem, mem, 0, 1), -22);
	assert_int_equal(virtq_init(&q, mem, mem, mem, 3, 1), -22);
	assert_int_equal(virtq_init(&q, mem, mem, mem, 100, 1), -22);
	assert_int_equal(virtq_init(&q, mem, mem, mem, 65536, 1), -22);
	assert_int_equal(virtq_init(&q, mem, mem, mem, 1, 1), 0);
	assert_int_equal(virtq_init(&q, mem, mem, mem, 32768, 0), 0);
}

static void test_publish_wraps(void **state)
{
	struct ring *r = ring_new(4, 1);
	uint16_t *avail = r->avail;

	for (unsigned i = 0; i < 10; i++) {
		virtq_publish(&r->q, (uint16_t)(i % 4));
		assert_int_equal(avail[1], i + 1);
		assert_int_equal(avail[2 + i % 4], i % 4);
	}
	ring_free(r);
}

static void test_need_event_rule(void **state)
{
	/* event inside [old, new) notifies, outside does not, across the 16-bit wrap */
	assert_true(virtq_need_event(5, 6, 5));
	assert_false(virtq_need_event(6, 6, 5));
	assert_false(virtq_need_event(4, 6, 5));
	assert_true(virtq_need_event(0xffff, 1, 0xfffe));
	assert_true(virtq_need_event(0, 1, 0xfffe));
	assert_false(virtq_need_event(1, 1, 0xfffe));
	assert_false(virtq_need_event(7, 7, 7)); /* nothing published */
}

static void test_kick_needed(void **state)
{
	struct ring *r = ring_new(8, 1), *plain = ring_new(8, 0);
	uint16_t old = r->q.avail_idx;

	virtq_publish(&r->q, 0);
	put16(r->used + 4 + 8 * 8, 0);    /* avail_event: notify at entry 0 */
	assert_true(virtq_kick_needed(&r->q, old));
	old = r->q.avail_idx;
	virtq_publish(&r->q, 1);
	virtq_publish(&r->q, 2);
	put16(r->used + 4 + 8 * 8, 5);    /* the device wants to hear only at entry 5 */
	assert_false(virtq_kick_needed(&r->q, old));
	put16(r->used + 4 + 8 * 8, 2);
	assert_true(virtq_kick_needed(&r->q, old));

	old = plain->q.avail_idx;
	virtq_publish(&plain->q, 0);
	assert_true(virtq_kick_needed(&plain->q, old));
	put16(plain->used, VIRTQ_USED_F_NO_NOTIFY);
	assert_false(virtq_kick_needed(&plain->q, old));
	ring_free(r);
	ring_free(plain);
}

static void test_take_in_order_and_wrap(void **state)
{
	struct ring *r = ring_new(4, 1);
	uint16_t id;
	uint32_t len;

	/* start near the 16-bit wrap of the used index */
	r->q.last_used = 0xfffe;
	put16(r->used + 2, 0xfffe);
	assert_int_equal(virtq_take(&r->q, &id, &len), 0);
	for (uint16_t i = 0; i < 6; i++) {
		dev_use(r, (uint16_t)(0xfffe + i), (i + 1) % 4, 100 + i);
		assert_int_equal(virtq_take(&r->q, &id, &len), 1);
		assert_int_equal(id, (i + 1) % 4);
		assert_int_equal(len, 100 + i);
		assert_int_equal(virtq_take(&r->q, &id, &len), 0);
	}
	assert_int_equal(r->q.last_used, 4);
	ring_free(r);
}

static void test_take_hostile_ids_and_index(void **state)
{
	struct ring *r = ring_new(8, 1);
	uint16_t id = 0xaaaa;
	uint32_t len = 0xbbbb;

	dev_use(r, 0, 8, 64);                 /* id == size */
	assert_int_equal(virtq_take(&r->q, &id, &len), -5);
	assert_int_equal(virtq_take(&r->q, &id, &len), -5); /* not consumed: stays bad */
	assert_int_equal(r->q.last_used, 0);
	assert_int_equal(id, 0xaaaa);
	dev_use(r, 0, 0xffffffff, 64);
	assert_int_equal(virtq_take(&r->q, &id, &len), -5);
	dev_use(r, 0, 7, 0xffffffff);         /* a huge length is the caller's to check */
	assert_int_equal(virtq_take(&r->q, &id, &len), 1);
	assert_int_equal(id, 7);
	assert_int_equal(len, 0xffffffff);
	put16(r->used + 2, 1 + 9);            /* 9 new entries in a ring of 8 */
	assert_int_equal(virtq_take(&r->q, &id, &len), -5);
	put16(r->used + 2, 0);                /* the index moved backwards */
	assert_int_equal(virtq_take(&r->q, &id, &len), -5);
	assert_int_equal(r->q.last_used, 1);
	ring_free(r);
}

static void test_take_random_used_ring(void **state)
{
	srand(1234);
	for (unsigned round = 0; round < 2000; round++) {
		uint32_t size = 1u << (rand() % 9);
		struct ring *r = ring_new(size, rand() & 1);
		uint16_t id;
		uint32_t len;

		for (uint32_t i = 0; i < VIRTQ_USED_BYTES(size); i++)
			r->used[i] = (uint8_t)rand();
		r->q.last_used = (uint16_t)rand();
		for (unsigned n = 0; n < 2 * size + 2; n++) {
			uint16_t before = r->q.last_used;
			int ret = virtq_take(&r->q, &id, &len);

			assert_true(ret >= -5 && ret <= 1);
			if (ret == 1) {
				assert_true(id < size);
				assert_int_equal((uint16_t)(r->q.last_used - before), 1);
			} else {
				assert_int_equal(r->q.last_used, before);
				break;
			}
		}
		virtq_irq_want(&r->q, 1);
		virtq_irq_want(&r->q, 0);
		ring_free(r);
	}
}

static void test_irq_want(void **state)
{
	struct ring *r = ring_new(8, 1), *plain = ring_new(8, 0);
	uint16_t *avail = r->avail, *pavail = plain->avail;

	r->q.last_used = 42;
	virtq_irq_want(&r->q, 1);
	assert_int_equal(avail[2 + 8], 42);
	virtq_irq_want(&r->q, 0);
	assert_int_equal(avail[2 + 8], 41);
	virtq_irq_want(&plain->q, 0);
	assert_int_equal(pavail[0], 1);
	virtq_irq_want(&plain->q, 1);
	assert_int_equal(pavail[0], 0);
	ring_free(r);
	ring_free(plain);
}

/* Enough boundary crossings to catch a torn index read most runs; fewer under TSan, which is slow. */
#ifdef __SANITIZE_THREAD__
#define RACE_ENTRIES 300000u
#else
#define RACE_ENTRIES 5000000u
#endif

struct race {
	struct ring *r;
	_Atomic unsigned taken;   /* entries the driver has consumed */
};

/* The device: entry n gets id n % size and len n; the index is one 16-bit release store. */
static void *race_device(void *arg)
{
	struct race *x = arg;
	struct ring *r = x->r;

	for (unsigned n = 0; n < RACE_ENTRIES; n++) {
		uint32_t slot = 4 + 8 * (n & (r->q.size - 1));

		while (n - x->taken >= r->q.size)
			; /* the ring is full: wait for the driver */
		__atomic_store_n((uint32_t *)(r->used + slot), n & (r->q.size - 1), __ATOMIC_RELAXED);
		__atomic_store_n((uint32_t *)(r->used + slot + 4), n, __ATOMIC_RELAXED);
		__atomic_store_n((uint16_t *)(r->used + 2), (uint16_t)(n + 1), __ATOMIC_RELEASE);
	}
	return NULL;
}

static void test_take_while_device_publishes(void **state)
{
	struct race x = { .r = ring_new(256, 0) };
	pthread_t dev;
	uint16_t id;
	uint32_t len;

	assert_int_equal(pthread_create(&dev, NULL, race_device, &x), 0);
	for (unsigned n = 0; n < RACE_ENTRIES;) {
		int ret = virtq_take(&x.r->q, &id, &len);

		if (ret < 0)
			fail_msg("entry %u: the driver read the used index as %u", n, x.r->q.last_used);
		if (!ret)
			continue;
		assert_int_equal(id, n & 255);
		assert_int_equal(len, n);
		x.taken = ++n;
	}
	pthread_join(dev, NULL);
	ring_free(x.r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_sizes),
		cmocka_unit_test(test_publish_wraps),
		cmocka_unit_test(test_need_event_rule),
		cmocka_unit_test(test_kick_needed),
		cmocka_unit_test(test_take_in_order_and_wrap),
		cmocka_unit_test(test_take_hostile_ids_and_index),
		cmocka_unit_test(test_take_random_used_ring),
		cmocka_unit_test(test_irq_want),
		cmocka_unit_test(test_take_while_device_publishes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
