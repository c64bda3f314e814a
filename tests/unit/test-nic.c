/*
 * `--net MODEL,backend=SPEC[,mac=MAC]` and `--net vhost-user,socket=PATH[,server][,mac=MAC]`:
 * what parses, what is refused and why.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nic.h"

static void test_good_specs(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0x01 };
	struct nic_spec s;
	const char *why = NULL;

	assert_int_equal(nic_spec_parse("virtio,backend=loop", &s, &why), 0);
	assert_string_equal(s.model->name, "virtio");
	assert_string_equal(s.backend, "loop");
	assert_false(s.mac_given);
	assert_int_equal(nic_spec_parse("virtio,backend=gen:size=60,count=10,mac=02:00:00:aa:bb:01",
					&s, &why), 0);
	assert_string_equal(s.backend, "gen:size=60,count=10");
	assert_true(s.mac_given);
	assert_memory_equal(s.mac, mac, 6);
	assert_int_equal(nic_spec_parse("virtio,mac=02:00:00:AA:BB:01,backend=hub:0", &s, &why), 0);
	assert_string_equal(s.backend, "hub:0");
	assert_memory_equal(s.mac, mac, 6);
}

static void test_vhost_user_specs(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0x01 };
	struct nic_spec s;
	const char *why = NULL;

	assert_int_equal(nic_spec_parse("vhost-user,socket=/run/vu.sock", &s, &why), 0);
	assert_true(s.model->own_backend);
	assert_string_equal(s.socket, "/run/vu.sock");
	assert_false(s.server);
	assert_false(s.mac_given);
	assert_int_equal(nic_spec_parse("vhost-user,socket=/run/vu.sock,server,mac=02:00:00:aa:bb:01",
					&s, &why), 0);
	assert_true(s.server);
	assert_memory_equal(s.mac, mac, 6);
	assert_int_equal(nic_spec_parse("vhost-user,mac=02:00:00:aa:bb:01,socket=a,server", &s, &why),
			 0);
	assert_string_equal(s.socket, "a");
	assert_true(s.server && s.mac_given);
	assert_int_equal(nic_spec_parse("vhost-user,socket=a,mac=02:00:00:aa:bb:01,server", &s, &why),
			 0);
	assert_true(s.server && s.mac_given);
	assert_int_equal(s.queue_pairs, 0);
	assert_int_equal(nic_spec_parse("vhost-user,socket=a,queues=3,server", &s, &why), 0);
	assert_int_equal(s.queue_pairs, 3);
	assert_true(s.server);
}

static void test_bad_specs(void **state)
{
	static const struct { const char *arg; int err; const char *why; } bad[] = {
		{ "", -ENOENT, "unknown NIC model" },
		{ "rtl8139,backend=loop", -ENOENT, "unknown NIC model" },
		{ "virtio", -EINVAL, "backend=SPEC is missing" },
		{ "virtio,backend=", -EINVAL, "backend=SPEC is missing" },
		{ "virtio,loop", -EINVAL, "backend=SPEC is missing" },
		{ "virtio,backend=loop,mac=01:00:00:00:00:01", -EINVAL, "unicast" },
		{ "virtio,backend=loop,mac=00:00:00:00:00:00", -EINVAL, "unicast" },
		{ "virtio,backend=loop,mac=02:00:00:00:00", -EINVAL, "six hex bytes" },
		{ "virtio,backend=loop,mac=02:00:00:00:00:0g", -EINVAL, "six hex bytes" },
		{ "virtio,backend=loop,mac=02:00:00:00:00:011", -EINVAL, "six hex bytes" },
		{ "virtio,mac=zz,backend=loop", -EINVAL, "six hex bytes" },
		{ "e1000,mac=52-54-00-ab-cd-ef,backend=loop", -EINVAL, "six hex bytes" },
		{ "e1000,mac= 2:54:00:ab:cd:ef,backend=loop", -EINVAL, "six hex bytes" },
		{ "virtio,backend=tap:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  -EINVAL, "too long" },
		{ "vhost-user", -EINVAL, "socket=PATH is missing" },
		{ "vhost-user,socket=", -EINVAL, "socket=PATH is missing" },
		{ "vhost-user,socket=,server", -EINVAL, "socket=PATH is missing" },
		{ "vhost-user,backend=loop", -EINVAL, "socket=PATH is missing" },
		{ "vhost-user,socket=a,servers", -EINVAL, "only server, queues=N and mac" },
		{ "vhost-user,socket=a,backend=loop", -EINVAL, "only server, queues=N and mac" },
		{ "vhost-user,socket=a,queues=0", -EINVAL, "from 1 to 3" },
		{ "vhost-user,socket=a,queues=4", -EINVAL, "from 1 to 3" },
		{ "vhost-user,socket=a,queues=", -EINVAL, "from 1 to 3" },
		{ "vhost-user,socket=a,queues=12", -EINVAL, "from 1 to 3" },
		{ "vhost-user,socket=a,queues=2,queues=2", -EINVAL, "once" },
		{ "vhost-user,socket=a,mac=01:00:00:00:00:01", -EINVAL, "unicast" },
		{ "vhost-user,socket=a,mac=02:00:00:00:00:01,mac=02:00:00:00:00:02", -EINVAL,
		  "only server, queues=N and mac" },
		{ "vhost-user,socket=a,mac=02:00:00:00:00:0", -EINVAL, "six hex bytes" },
		{ "vhost-user,socket=a,mac=02:00:00:00:00:011,server", -EINVAL, "six hex bytes" },
		{ "vhost-user,socket=/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", -EINVAL, "too long" },
	};
	struct nic_spec s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		assert_int_equal(nic_spec_parse(bad[i].arg, &s, &why), bad[i].err);
		assert_non_null(why);
		assert_non_null(strstr(why, bad[i].why));
	}
}

static void test_default_macs(void **state)
{
	uint8_t a[6], b[6];

	nic_default_mac(0, a);
	nic_default_mac(1, b);
	assert_memory_equal(a, ((uint8_t[]){ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }), 6);
	assert_memory_equal(b, ((uint8_t[]){ 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 }), 6);
	nic_default_mac(0xaa, a);
	assert_int_equal(a[4], 0x35); /* 0x56 + 0xaa carries into the next byte */
	assert_int_equal(a[5], 0x00);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_specs),
		cmocka_unit_test(test_vhost_user_specs),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_default_macs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
