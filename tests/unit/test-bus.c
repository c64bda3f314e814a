/* The PIO/MMIO bus: ordering, overlap rejection, dispatch, unclaimed accesses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bus.h"

struct fake_dev {
	uint64_t last_off;
	unsigned last_len;
	uint8_t last_data[8];
	unsigned reads, writes;
	struct bus *bus;      /* for the re-entrant case */
	uint64_t move_to;
};

static void fake_read(void *opaque, uint64_t off, uint8_t *data, unsigned len)
{
	struct fake_dev *d = opaque;

	d->reads++;
	d->last_off = off;
	d->last_len = len;
	for (unsigned i = 0; i < len; i++)
		data[i] = (uint8_t)(off + i);
}

static void fake_write(void *opaque, uint64_t off, const uint8_t *data, unsigned len)
{
	struct fake_dev *d = opaque;

	d->writes++;
	d->last_off = off;
	d->last_len = len;
	memcpy(d->last_data, data, len);
}

/* A device that moves itself on write (what a BAR reprogrammed through ECAM does). */
static void moving_write(void *opaque, uint64_t off, const uint8_t *data, unsigned len);

static const struct bus_ops fake_ops = { .read = fake_read, .write = fake_write };
static const struct bus_ops moving_ops = { .read = fake_read, .write = moving_write };

static void moving_write(void *opaque, uint64_t off, const uint8_t *data, unsigned len)
{
	struct fake_dev *d = opaque;
	struct bus_range r;

	d->writes++;
	assert_true(bus_lookup(d->bus, d->move_to - 0x1000, &r));
	assert_int_equal(bus_unregister(d->bus, r.base, d), 0);
	assert_int_equal(bus_register(d->bus, d->move_to, 0x100, &moving_ops, d, "moving"), 0);
}

static void test_register_overlap(void **state)
{
	struct fake_dev a = { 0 }, b = { 0 };
	struct bus bus;

	bus_init(&bus, "test");
	assert_int_equal(bus_register(&bus, 0x1000, 0x100, &fake_ops, &a, "a"), 0);
	assert_int_equal(bus_register(&bus, 0x1100, 0x100, &fake_ops, &b, "b"), 0);
	assert_int_equal(bus_register(&bus, 0x10ff, 2, &fake_ops, &b, "x"), -EEXIST);
	assert_int_equal(bus_register(&bus, 0x0f00, 0x101, &fake_ops, &b, "x"), -EEXIST);
	assert_int_equal(bus_register(&bus, 0x0000, 0x10000, &fake_ops, &b, "x"), -EEXIST);
	assert_int_equal(bus_register(&bus, 0x1050, 0x10, &fake_ops, &b, "x"), -EEXIST);
	assert_int_equal(bus_register(&bus, 0x0f00, 0x100, &fake_ops, &b, "c"), 0);
	assert_int_equal(bus_register(&bus, 0x2000, 0, &fake_ops, &b, "x"), -EINVAL);
	assert_int_equal(bus_register(&bus, UINT64_MAX - 1, 4, &fake_ops, &b, "x"), -EINVAL);
	assert_int_equal(bus_register(&bus, UINT64_MAX - 3, 4, &fake_ops, &b, "top"), 0);
	assert_int_equal(bus_register(&bus, 0x3000, 4, NULL, &b, "x"), -EINVAL);
	assert_int_equal(bus.n, 4);
	for (size_t i = 1; i < bus.n; i++)
		assert_true(bus.ranges[i - 1].base + bus.ranges[i - 1].len <= bus.ranges[i].base);
	bus_destroy(&bus);
}

static void test_dispatch(void **state)
{
	struct fake_dev a = { 0 }, b = { 0 };
	uint8_t data[8];
	struct bus bus;

	bus_init(&bus, "test");
	assert_int_equal(bus_register(&bus, 0x1000, 0x100, &fake_ops, &a, "a"), 0);
	assert_int_equal(bus_register(&bus, 0x2000, 0x10, &fake_ops, &b, "b"), 0);
	assert_true(bus_read(&bus, 0x1010, data, 4));
	assert_int_equal(a.last_off, 0x10);
	assert_int_equal(a.last_len, 4);
	assert_int_equal(data[0], 0x10);
	assert_int_equal(data[3], 0x13);
	memcpy(data, "\x11\x22", 2);
	assert_true(bus_write(&bus, 0x200e, data, 2));
	assert_int_equal(b.last_off, 0xe);
	assert_memory_equal(b.last_data, "\x11\x22", 2);
	assert_int_equal(a.writes, 0);
	bus_destroy(&bus);
}

static void test_unclaimed(void **state)
{
	struct fake_dev a = { 0 };
	uint8_t data[8];
	struct bus bus;

	bus_init(&bus, "test");
	assert_int_equal(bus_register(&bus, 0x1000, 0x10, &fake_ops, &a, "a"), 0);
	memset(data, 0, sizeof(data));
	assert_false(bus_read(&bus, 0x0fff, data, 4));   /* starts before the range */
	assert_int_equal(data[0], 0xff);
	assert_int_equal(data[3], 0xff);
	assert_false(bus_read(&bus, 0x100e, data, 4));   /* runs past its end */
	assert_false(bus_write(&bus, 0x1010, data, 1));  /* just past */
	assert_false(bus_read(&bus, 0x1000, data, 0));   /* zero length */
	assert_false(bus_read(&bus, UINT64_MAX, data, 8));
	assert_int_equal(a.reads + a.writes, 0);
	assert_int_equal(bus.unhandled, 5);
	assert_true(bus_read(&bus, 0x100c, data, 4));    /* exactly the last 4 bytes */
	bus_destroy(&bus);
}

static void test_unregister(void **state)
{
	struct fake_dev a = { 0 }, b = { 0 };
	uint8_t data[4] = { 0 };
	struct bus bus;

	bus_init(&bus, "test");
	assert_int_equal(bus_register(&bus, 0x1000, 0x10, &fake_ops, &a, "a"), 0);
	assert_int_equal(bus_unregister(&bus, 0x1000, &b), -ENOENT); /* not the owner */
	assert_int_equal(bus_unregister(&bus, 0x1004, &a), -ENOENT); /* not the base */
	assert_int_equal(bus_unregister(&bus, 0x1000, &a), 0);
	assert_false(bus_write(&bus, 0x1000, data, 1));
	assert_int_equal(bus_register(&bus, 0x1000, 0x10, &fake_ops, &b, "b"), 0);
	assert_true(bus_write(&bus, 0x1000, data, 1));
	assert_int_equal(b.writes, 1);
	bus_destroy(&bus);
}

static void test_many_sorted(void **state)
{
	struct fake_dev d = { 0 };
	uint8_t data[1];
	struct bus bus;

	bus_init(&bus, "test");
	for (unsigned i = 0; i < 200; i++) {
		uint64_t base = ((i * 7919) % 200) * 0x100;

		assert_int_equal(bus_register(&bus, base, 0x80, &fake_ops, &d, "d"), 0);
	}
	for (unsigned i = 0; i < 200; i++) {
		assert_true(bus_read(&bus, i * 0x100 + 0x7f, data, 1));
		assert_false(bus_read(&bus, i * 0x100 + 0x80, data, 1));
	}
	bus_destroy(&bus);
}

static void test_handler_moves_itself(void **state)
{
	struct bus bus;
	struct fake_dev d = { .bus = &bus, .move_to = 0x2000 };
	uint8_t data[1] = { 0 };

	bus_init(&bus, "test");
	assert_int_equal(bus_register(&bus, 0x1000, 0x100, &moving_ops, &d, "moving"), 0);
	assert_true(bus_write(&bus, 0x1000, data, 1));
	assert_false(bus_read(&bus, 0x1000, data, 1));
	assert_true(bus_read(&bus, 0x2000, data, 1));
	bus_destroy(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_overlap),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_unclaimed),
		cmocka_unit_test(test_unregister),
		cmocka_unit_test(test_many_sorted),
		cmocka_unit_test(test_handler_moves_itself),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
