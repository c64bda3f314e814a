/*
 * The split-virtqueue walker and used ring against malloc'd guest memory:
 * ring set-up checks, chains of every legal shape, and every hostile ring
 * (broken avail index, bad heads and next indices, loops, over-long chains,
 * nested or malformed indirect tables, out-of-RAM and wrapping buffers,
 * readable after writable, descriptors rewritten while the device reads
 * them). The walker writes nothing into guest RAM; the used ring is the only
 * place publishing writes.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest-mem.h"
#include "virtqueue.h"

#define RAM_GPA   0x100000ULL
#define RAM_SIZE  (2ULL << 20)
#define DESC_GPA  (RAM_GPA + 0x0000)
#define AVAIL_GPA (RAM_GPA + 0x80000)
#define USED_GPA  (RAM_GPA + 0xa0000)
#define TABLE_GPA (RAM_GPA + 0x100000)
#define BUF_GPA   (RAM_GPA + 0x140000)

struct fixture {
	struct guest_mem mem;
	uint8_t *ram;
	uint8_t *before;
	struct virtq vq;
	unsigned size;
	uint16_t avail_idx;
	struct iovec iov[VIRTQ_MAX_SIZE];
};

static uint8_t *hva(struct fixture *f, uint64_t gpa)
{
	return f->ram + (gpa - RAM_GPA);
}

static void put_desc(uint8_t *table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct virtq_desc d = { .addr = addr, .len = len, .flags = flags, .next = next };

	memcpy(table + 16 * i, &d, sizeof(d));
}

static void desc(struct fixture *f, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	put_desc(hva(f, DESC_GPA), i, addr, len, flags, next);
}

static void avail_post(struct fixture *f, uint16_t head)
{
	uint8_t *a = hva(f, AVAIL_GPA);

	memcpy(a + 4 + 2 * (f->avail_idx % f->size), &head, 2);
	f->avail_idx++;
	memcpy(a + 2, &f->avail_idx, 2);
}

static void avail_set_idx(struct fixture *f, uint16_t idx)
{
	memcpy(hva(f, AVAIL_GPA) + 2, &idx, 2);
}

static uint16_t used_idx(struct fixture *f)
{
	uint16_t v;

	memcpy(&v, hva(f, USED_GPA) + 2, 2);
	return v;
}

static void start(struct fixture *f, unsigned size, bool event_idx)
{
	f->size = size;
	f->avail_idx = 0;
	assert_int_equal(virtq_start(&f->vq, &f->mem, size, DESC_GPA, AVAIL_GPA, USED_GPA,
				     event_idx), 0);
}

static void snapshot(struct fixture *f)
{
	memcpy(f->before, f->ram, RAM_SIZE);
}

/* RAM is as snapshot() left it, except [gpa, gpa + len). */
static void assert_ram_unchanged_except(struct fixture *f, uint64_t gpa, uint64_t len)
{
	size_t skip_lo = len ? gpa - RAM_GPA : RAM_SIZE, skip_hi = skip_lo + len;

	assert_memory_equal(f->ram, f->before, MIN(skip_lo, RAM_SIZE));
	if (skip_hi < RAM_SIZE)
		assert_memory_equal(f->ram + skip_hi, f->before + skip_hi, RAM_SIZE - skip_hi);
}

static int pop(struct fixture *f, struct virtq_chain *c)
{
	return virtq_pop(&f->vq, f->iov, VIRTQ_MAX_SIZE, c);
}

/* The ring is broken: pop fails now and afterwards, and wrote nothing. */
static void expect_broken(struct fixture *f)
{
	struct virtq_chain c;

	snapshot(f);
	assert_int_equal(pop(f, &c), -EIO);
	assert_true(f->vq.broken);
	assert_false(virtq_ready(&f->vq));
	assert_int_equal(pop(f, &c), -EIO);
	virtq_push(&f->vq, 0, 0);
	assert_false(virtq_need_notify(&f->vq));
	assert_ram_unchanged_except(f, 0, 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ram = calloc(1, RAM_SIZE);
	f->before = malloc(RAM_SIZE);
	assert_non_null(f->ram);
	assert_non_null(f->before);
	assert_int_equal(guest_mem_add(&f->mem, RAM_GPA, RAM_SIZE, f->ram, -1, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->ram);
	free(f->before);
	free(f);
	return 0;
}

static void test_start_checks(void **state)
{
	struct fixture *f = *state;
	struct virtq *vq = &f->vq;

	assert_int_equal(virtq_start(vq, &f->mem, 0, DESC_GPA, AVAIL_GPA, USED_GPA, false),
			 -EINVAL);
	assert_int_equal(virtq_start(vq, &f->mem, 3, DESC_GPA, AVAIL_GPA, USED_GPA, false),
			 -EINVAL);
	assert_int_equal(virtq_start(vq, &f->mem, 65536, DESC_GPA, AVAIL_GPA, USED_GPA, false),
			 -EINVAL);
	assert_int_equal(virtq_start(vq, &f->mem, 6, DESC_GPA, AVAIL_GPA, USED_GPA, false),
			 -EINVAL);
	assert_int_equal(virtq_start(vq, &f->mem, 4, DESC_GPA + 8, AVAIL_GPA, USED_GPA, false),
			 -EINVAL);
	assert_int_equal(virtq_start(vq, &f->mem, 4, DESC_GPA, AVAIL_GPA + 1, USED_GPA, false),
			 -EINVAL);
	assert_int_equal(virtq_start(vq, &f->mem, 4, DESC_GPA, AVAIL_GPA, USED_GPA + 2, false),
			 -EINVAL);
	/* Outside RAM, straddling its end, at 0 and wrapping. */
	assert_int_equal(virtq_start(vq, &f->mem, 4, 0, AVAIL_GPA, USED_GPA, false), -EFAULT);
	assert_int_equal(virtq_start(vq, &f->mem, 4, DESC_GPA, RAM_GPA + RAM_SIZE - 8, USED_GPA,
				     false), -EFAULT);
	assert_int_equal(virtq_start(vq, &f->mem, 4, DESC_GPA, AVAIL_GPA, 0xfffffffffffffff0ULL,
				     false), -EFAULT);
	assert_false(virtq_ready(vq));
	/* Size 1 and the largest size both work (the large one fills most of RAM). */
	assert_int_equal(virtq_start(vq, &f->mem, 1, DESC_GPA, AVAIL_GPA, USED_GPA, false), 0);
	assert_int_equal(virtq_start(vq, &f->mem, VIRTQ_MAX_SIZE, RAM_GPA, RAM_GPA + 0x80000,
				     RAM_GPA + 0x92000, true), 0);
	assert_true(virtq_ready(vq));
	virtq_stop(vq);
	assert_false(virtq_ready(vq));
}

static void test_simple_chain(void **state)
{
	struct fixture *f = *state;
	struct virtq_chain c;

	start(f, 8, false);
	assert_int_equal(pop(f, &c), 0);
	desc(f, 5, BUF_GPA, 10, VIRTQ_DESC_F_NEXT, 2);
	desc(f, 2, BUF_GPA + 100, 20, VIRTQ_DESC_F_NEXT, 7);
	desc(f, 7, BUF_GPA + 200, 30, VIRTQ_DESC_F_WRITE, 0);
	avail_post(f, 5);
	snapshot(f);
	assert_int_equal(virtq_avail_count(&f->vq), 1);
	assert_int_equal(pop(f, &c), 1);
	assert_ram_unchanged_except(f, 0, 0);
	assert_int_equal(c.head, 5);
	assert_int_equal(c.n_out, 2);
	assert_int_equal(c.n_in, 1);
	assert_int_equal(c.out_bytes, 30);
	assert_int_equal(c.in_bytes, 30);
	assert_ptr_equal(f->iov[0].iov_base, hva(f, BUF_GPA));
	assert_int_equal(f->iov[1].iov_len, 20);
	assert_ptr_equal(f->iov[2].iov_base, hva(f, BUF_GPA + 200));
	assert_int_equal(pop(f, &c), 0);
	virtq_push(&f->vq, 5, 30);
	assert_int_equal(used_idx(f), 1);
	assert_ram_unchanged_except(f, USED_GPA, VIRTQ_USED_BYTES(8));
	assert_true(virtq_need_notify(&f->vq));
	assert_false(virtq_need_notify(&f->vq));
}

static void test_used_ring_and_wrap(void **state)
{
	struct fixture *f = *state;
	struct virtq_chain c;
	uint32_t elem[2];

	start(f, 4, false);
	for (unsigned i = 0; i < 70000; i++) {
		desc(f, i % 4, BUF_GPA, 64, 0, 0);
		avail_post(f, i % 4);
		assert_int_equal(pop(f, &c), 1);
		assert_int_equal(c.head, i % 4);
		virtq_push(&f->vq, c.head, i);
	}
	assert_int_equal(used_idx(f), (uint16_t)70000);
	memcpy(elem, hva(f, USED_GPA) + 4 + 8 * ((70000 - 1) % 4), 8);
	assert_int_equal(elem[0], (70000 - 1) % 4);
	assert_int_equal(elem[1], 70000 - 1);
	/* Batched: nothing visible until the flush. */
	desc(f, 0, BUF_GPA, 64, 0, 0);
	desc(f, 1, BUF_GPA, 64, 0, 0);
	avail_post(f, 0);
	avail_post(f, 1);
	assert_int_equal(pop(f, &c), 1);
	assert_int_equal(pop(f, &c), 1);
	virtq_fill(&f->vq, 0, 0, 1);
	virtq_fill(&f->vq, 1, 1, 2);
	assert_int_equal(used_idx(f), (uint16_t)70000);
	virtq_flush(&f->vq, 2);
	assert_int_equal(used_idx(f), (uint16_t)70002);
}

static void test_unpop_and_enobufs(void **state)
{
	struct fixture *f = *state;
	struct virtq_chain c;

	start(f, 8, false);
	desc(f, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(f, 1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
	desc(f, 2, BUF_GPA, 8, 0, 0);
	avail_post(f, 0);
	assert_int_equal(virtq_pop(&f->vq, f->iov, 2, &c), -ENOBUFS);
	assert_true(virtq_ready(&f->vq));
	assert_int_equal(pop(f, &c), 1);
	virtq_unpop(&f->vq, 1);
	assert_int_equal(virtq_avail_count(&f->vq), 1);
	assert_int_equal(pop(f, &c), 1);
	assert_int_equal(c.n_out, 3);
}

static void test_avail_idx_too_far(void **state)
{
	struct fixture *f = *state;
	struct virtq_chain c;

	start(f, 8, false);
	avail_set_idx(f, 8);
	desc(f, 0, BUF_GPA, 8, 0, 0);
	assert_int_equal(virtq_avail_count(&f->vq), 8);
	avail_set_idx(f, 9);
	assert_int_equal(virtq_avail_count(&f->vq), 0);
	expect_broken(f);
	start(f, 8, false);
	avail_set_idx(f, 0xffff);
	expect_broken(f);
	(void)c;
}

static void test_bad_head_and_next(void **state)
{
	struct fixture *f = *state;

	start(f, 8, false);
	avail_post(f, 8);
	expect_broken(f);
	start(f, 8, false);
	desc(f, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 8);
	avail_post(f, 0);
	expect_broken(f);
	start(f, 8, false);
	desc(f, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0xffff);
	avail_post(f, 0);
	expect_broken(f);
}

static void test_loops_and_long_chains(void **state)
{
	struct fixture *f = *state;
	struct virtq_chain c;

	start(f, 4, false);
	desc(f, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
	avail_post(f, 0);
	expect_broken(f);

	start(f, 4, false);
	desc(f, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(f, 1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
	avail_post(f, 0);
	expect_broken(f);

	/* A chain of exactly size descriptors is fine. */
	start(f, 4, false);
	for (unsigned i = 0; i < 4; i++)
		desc(f, i, BUF_GPA + i, 1, i < 3 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	avail_post(f, 0);
	assert_int_equal(pop(f, &c), 1);
	assert_int_equal(c.n_out, 4);

	/* Longer than the queue through an indirect table. */
	start(f, 4, false);
	for (unsigned i = 0; i < 8; i++)
		put_desc(hva(f, TABLE_GPA), i, BUF_GPA, 1, i < 7 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	desc(f, 0, TABLE_GPA, 8 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_post(f, 0);
	expect_broken(f);

	/* A loop inside an indirect table. */
	start(f, 16, false);
	put_desc(hva(f, TABLE_GPA), 0, BUF_GPA, 1, VIRTQ_DESC_F_NEXT, 1);
	put_desc(hva(f, TABLE_GPA), 1, BUF_GPA, 1, VIRTQ_DESC_F_NEXT, 0);
	desc(f, 0, TABLE_GPA, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_post(f, 0);
	expect_broken(f);
}

static void test_indirect(void **state)
{
	struct fixture *f = *state;
	uint8_t *t = hva(f, TABLE_GPA);
	struct virtq_chain c;

	start(f, 8, false);
	put_desc(t, 0, BUF_GPA, 12, VIRTQ_DESC_F_NEXT, 2);
	put_desc(t, 2, BUF_GPA + 12, 100, VIRTQ_DESC_F_NEXT, 1);
	put_desc(t, 1, BUF_GPA + 512, 1500, VIRTQ_DESC_F_WRITE, 0);
	/* The WRITE flag of the descriptor naming the table is ignored. */
	desc(f, 3, TABLE_GPA, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	avail_post(f, 3);
	snapshot(f);
	assert_int_equal(pop(f, &c), 1);
	assert_ram_unchanged_except(f, 0, 0);
	assert_int_equal(c.head, 3);
	assert_int_equal(c.n_out, 2);
	assert_int_equal(c.n_in, 1);
	assert_int_equal(c.out_bytes, 112);
	assert_int_equal(c.in_bytes, 1500);

	/* Direct descriptors, then a table as the last one. */
	desc(f, 4, BUF_GPA, 12, VIRTQ_DESC_F_NEXT, 3);
	avail_post(f, 4);
	assert_int_equal(pop(f, &c), 1);
	assert_int_equal(c.n_out, 3);
}

static void test_indirect_hostile(void **state)
{
	struct fixture *f = *state;
	uint8_t *t = hva(f, TABLE_GPA);
	static const struct { uint64_t addr; uint32_t len; uint16_t flags; } bad[] = {
		{ TABLE_GPA, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT }, /* with NEXT */
		{ TABLE_GPA, 0, VIRTQ_DESC_F_INDIRECT },                     /* empty */
		{ TABLE_GPA, 17, VIRTQ_DESC_F_INDIRECT },                    /* not 16 * n */
		{ 0x1000, 32, VIRTQ_DESC_F_INDIRECT },                       /* outside RAM */
		{ RAM_GPA + RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT },      /* past the end */
		{ 0xfffffffffffffff0ULL, 32, VIRTQ_DESC_F_INDIRECT },        /* wraps */
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		start(f, 8, false);
		put_desc(t, 0, BUF_GPA, 8, 0, 0);
		put_desc(t, 1, BUF_GPA, 8, 0, 0);
		desc(f, 0, bad[i].addr, bad[i].len, bad[i].flags, 1);
		desc(f, 1, BUF_GPA, 8, 0, 0);
		avail_post(f, 0);
		expect_broken(f);
	}
	/* A table inside a table. */
	start(f, 8, false);
	put_desc(t, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	put_desc(t, 1, TABLE_GPA + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(t + 0x100, 0, BUF_GPA, 8, 0, 0);
	desc(f, 0, TABLE_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	avail_post(f, 0);
	expect_broken(f);
	/* next past the table's own size (but below the queue's). */
	start(f, 8, false);
	put_desc(t, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
	desc(f, 0, TABLE_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	avail_post(f, 0);
	expect_broken(f);
}

static void test_buffers_hostile(void **state)
{
	struct fixture *f = *state;
	struct virtq_chain c;
	static const struct { uint64_t addr; uint32_t len; } bad[] = {
		{ 0, 64 },                                /* address 0: below RAM */
		{ 0x1000, 64 },                           /* a hole */
		{ RAM_GPA + RAM_SIZE - 32, 64 },          /* straddles the end */
		{ RAM_GPA + RAM_SIZE, 1 },                /* just past */
		{ 0xffffffffffffffc0ULL, 0x80 },          /* addr + len wraps */
		{ RAM_GPA, 0xffffffff },                  /* longer than RAM */
		{ 0xfee00000, 4 },                        /* MMIO (LAPIC) */
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		start(f, 8, false);
		desc(f, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
		desc(f, 1, bad[i].addr, bad[i].len, VIRTQ_DESC_F_WRITE, 0);
		avail_post(f, 0);
		expect_broken(f);
	}
	/* Zero-length buffers (even at address 0) are accepted and yield no iovec. */
	start(f, 8, false);
	desc(f, 0, 0, 0, VIRTQ_DESC_F_NEXT, 1);
	desc(f, 1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
	desc(f, 2, 0xffffffffffffffffULL, 0, VIRTQ_DESC_F_WRITE, 0);
	avail_post(f, 0);
	assert_int_equal(pop(f, &c), 1);
	assert_int_equal(c.n_out, 1);
	assert_int_equal(c.n_in, 0);
	assert_int_equal(c.out_bytes, 8);
}

static void test_readable_after_writable(void **state)
{
	struct fixture *f = *state;

	start(f, 8, false);
	desc(f, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc(f, 1, BUF_GPA, 8, 0, 0);
	avail_post(f, 0);
	expect_broken(f);
	/* A zero-length writable buffer still orders the chain. */
	start(f, 8, false);
	desc(f, 0, BUF_GPA, 0, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc(f, 1, BUF_GPA, 8, 0, 0);
	avail_post(f, 0);
	expect_broken(f);
}

struct racer {
	struct fixture *f;
	volatile bool stop;
};

/* Flip descriptor 0 between two legal shapes as fast as possible. */
static void *racer_main(void *arg)
{
	struct racer *r = arg;
	uint8_t *d = hva(r->f, DESC_GPA);

	for (uint32_t i = 0; !r->stop; i++) {
		uint32_t len = i & 1 ? 16 : 0x10000;

		__atomic_store_n((uint32_t *)(d + 8), len, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* What the walker checked is what it hands out, however the guest rewrites the descriptor. */
static void test_descriptor_rewritten(void **state)
{
	struct fixture *f = *state;
	struct racer r = { .f = f };
	struct virtq_chain c;
	pthread_t t;

	start(f, 8, false);
	desc(f, 0, RAM_GPA + RAM_SIZE - 0x10000, 16, 0, 0);
	avail_post(f, 0);
	assert_int_equal(pthread_create(&t, NULL, racer_main, &r), 0);
	for (unsigned i = 0; i < 200000; i++) {
		assert_int_equal(pop(f, &c), 1);
		assert_int_equal(c.n_out, 1);
		assert_int_equal(f->iov[0].iov_len, c.out_bytes);
		assert_true(c.out_bytes == 16 || c.out_bytes == 0x10000);
		virtq_unpop(&f->vq, 1);
	}
	r.stop = true;
	pthread_join(t, NULL);
}

static uint16_t used_event_get(struct fixture *f)
{
	uint16_t v;

	memcpy(&v, hva(f, USED_GPA) + 4 + 8 * f->size, 2);
	return v;
}

static void used_event_set(struct fixture *f, uint16_t v)
{
	memcpy(hva(f, AVAIL_GPA) + 4 + 2 * f->size, &v, 2);
}

static void test_event_idx(void **state)
{
	struct fixture *f = *state;
	struct virtq_chain c;
	unsigned notifies = 0;

	start(f, 16, true);
	used_event_set(f, 4);
	for (unsigned i = 0; i < 10; i++) {
		desc(f, i, BUF_GPA, 8, 0, 0);
		avail_post(f, i);
		assert_int_equal(pop(f, &c), 1);
		virtq_push(&f->vq, c.head, 0);
		notifies += virtq_need_notify(&f->vq);
	}
	/* Only the push that moved the used index past used_event (4 -> 5). */
	assert_int_equal(notifies, 1);
	/* A batch that crosses used_event notifies once. */
	used_event_set(f, 11);
	for (unsigned i = 0; i < 4; i++) {
		desc(f, i, BUF_GPA, 8, 0, 0);
		avail_post(f, i);
		assert_int_equal(pop(f, &c), 1);
		virtq_fill(&f->vq, i, c.head, 0);
	}
	virtq_flush(&f->vq, 4);
	assert_true(virtq_need_notify(&f->vq));
	/* avail_event: our position once we ask for kicks; true when more arrived meanwhile. */
	assert_false(virtq_notify_enable(&f->vq, 0));
	assert_int_equal(used_event_get(f), 14);
	avail_post(f, 0);
	assert_true(virtq_notify_enable(&f->vq, 0));
	/* One chain left waiting (not enough for the caller): the kick comes on the next post. */
	assert_false(virtq_notify_enable(&f->vq, 1));
	assert_int_equal(used_event_get(f), 15);
	avail_post(f, 1);
	assert_true(virtq_notify_enable(&f->vq, 1));
}

static void test_no_event_idx_flags(void **state)
{
	struct fixture *f = *state;
	struct virtq_chain c;
	uint16_t flags = VIRTQ_AVAIL_F_NO_INTERRUPT, uflags;

	start(f, 8, false);
	desc(f, 0, BUF_GPA, 8, 0, 0);
	avail_post(f, 0);
	assert_int_equal(pop(f, &c), 1);
	virtq_push(&f->vq, 0, 0);
	memcpy(hva(f, AVAIL_GPA), &flags, 2);
	assert_false(virtq_need_notify(&f->vq));
	flags = 0;
	memcpy(hva(f, AVAIL_GPA), &flags, 2);
	avail_post(f, 0);
	assert_int_equal(pop(f, &c), 1);
	virtq_push(&f->vq, 0, 0);
	assert_true(virtq_need_notify(&f->vq));
	virtq_notify_disable(&f->vq);
	memcpy(&uflags, hva(f, USED_GPA), 2);
	assert_int_equal(uflags, VIRTQ_USED_F_NO_NOTIFY);
	assert_false(virtq_notify_enable(&f->vq, 0));
	memcpy(&uflags, hva(f, USED_GPA), 2);
	assert_int_equal(uflags, 0);
}

static uint64_t rnd(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return *seed >> 1 ^ *seed << 17;
}

/* Random rings: whatever the guest writes, every buffer handed out lies in RAM. */
static void test_random_rings(void **state)
{
	struct fixture *f = *state;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	unsigned chains = 0, broken = 0;
	struct virtq_chain c;

	for (unsigned round = 0; round < 2000; round++) {
		unsigned size = 1u << (round % 6);
		uint8_t *d = hva(f, DESC_GPA), *t = hva(f, TABLE_GPA);

		start(f, size, round & 1);
		for (unsigned i = 0; i < 64; i++) {
			uint64_t r = rnd(&seed), addr = RAM_GPA - 0x1000 + r % (RAM_SIZE + 0x2000);
			uint32_t len = (r >> 8) & (round & 2 ? 0x1ff : 0xfffff);
			uint16_t flags = (r >> 32) & 3, next = (r >> 40) % (size + 1);

			/* Now and then: a table, INDIRECT with NEXT, a bogus table length. */
			if ((r >> 48) % 10 == 0) {
				flags = VIRTQ_DESC_F_INDIRECT | ((r >> 52) & 1);
				addr = TABLE_GPA;
				len = 16 * ((r >> 53) % 10) + ((r >> 57) % 8 == 0);
			}
			put_desc(d, i, addr, len, flags, next);
			put_desc(t, i, addr, len, (r >> 58) % 16 ? flags : VIRTQ_DESC_F_INDIRECT,
				 (r >> 40) % 10);
		}
		for (unsigned i = 0; i < 2 * size + 2; i++) {
			uint16_t head = rnd(&seed) % (size + (i == 0));

			memcpy(hva(f, AVAIL_GPA) + 4 + 2 * (i % size), &head, 2);
		}
		avail_set_idx(f, rnd(&seed) % (size + 2));
		for (int n = 0; n < 8; n++) {
			int ret = pop(f, &c);

			if (ret <= 0)
				break;
			for (unsigned i = 0; i < c.n_out + c.n_in; i++) {
				uint8_t *p = f->iov[i].iov_base;

				assert_true(p >= f->ram);
				assert_true(p + f->iov[i].iov_len <= f->ram + RAM_SIZE);
			}
			virtq_push(&f->vq, c.head, c.in_bytes);
			chains++;
		}
		broken += f->vq.broken;
	}
	/* Both outcomes happen, so the run exercised the checks and the success path. */
	assert_true(chains > 200);
	assert_true(broken > 200);
}

static void test_iov_helpers(void **state)
{
	uint8_t a[5] = "abcde", b[3] = "fgh", out[8] = { 0 };
	struct iovec iov[2] = { { a, 5 }, { b, 3 } }, dst[2];

	(void)state;
	assert_int_equal(iov_to_buf(iov, 2, 3, out, 8), 5);
	assert_memory_equal(out, "defgh", 5);
	assert_int_equal(iov_from_buf(iov, 2, 4, "XYZ", 3), 3);
	assert_memory_equal(a, "abcdX", 5);
	assert_memory_equal(b, "YZh", 3);
	assert_int_equal(iov_skip(iov, 2, 5, dst, 2), 1);
	assert_ptr_equal(dst[0].iov_base, b);
	assert_int_equal(iov_skip(iov, 2, 8, dst, 2), 0);
	assert_int_equal(iov_skip(iov, 2, 2, dst, 2), 2);
	assert_int_equal(dst[0].iov_len, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_simple_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_used_ring_and_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpop_and_enobufs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_avail_idx_too_far, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_head_and_next, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loops_and_long_chains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffers_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readable_after_writable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_rewritten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_idx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_event_idx_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_rings, setup, teardown),
		cmocka_unit_test(test_iov_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
