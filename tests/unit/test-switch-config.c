/* `iovirt switch`'s configuration: port specs, EAL arguments, socket paths and hugepage checks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "switch-config.h"

static void port_specs(void **state)
{
	struct switch_port_spec p;
	char longpath[200];

	assert_int_equal(switch_port_spec_parse("/tmp/a.sock", &p), 0);
	assert_string_equal(p.path, "/tmp/a.sock");
	assert_false(p.client);
	assert_int_equal(switch_port_spec_parse("/tmp/b.sock,client", &p), 0);
	assert_string_equal(p.path, "/tmp/b.sock");
	assert_true(p.client);
	assert_int_equal(switch_port_spec_parse("/tmp/a,b.sock,server", &p), 0);
	assert_string_equal(p.path, "/tmp/a,b.sock");
	assert_false(p.client);
	assert_int_equal(switch_port_spec_parse("", &p), -EINVAL);
	assert_int_equal(switch_port_spec_parse(",client", &p), -EINVAL);
	assert_int_equal(switch_port_spec_parse("/tmp/a.sock,listen", &p), -EINVAL);
	assert_int_equal(switch_port_spec_parse("/tmp/a.sock,", &p), -EINVAL);
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(switch_port_spec_parse(longpath, &p), -ENAMETOOLONG);
	longpath[SWITCH_SOCKET_PATH_MAX - 1] = '\0';
	assert_int_equal(switch_port_spec_parse(longpath, &p), 0);
}

static void modes_and_cpu_lists(void **state)
{
	enum switch_mode m;

	assert_int_equal(switch_mode_parse("reflect", &m), 0);
	assert_int_equal(m, SWITCH_MODE_REFLECT);
	assert_int_equal(switch_mode_parse("sink", &m), 0);
	assert_int_equal(switch_mode_parse("switch", &m), 0);
	assert_int_equal(m, SWITCH_MODE_SWITCH);
	assert_int_equal(switch_mode_parse("Switch", &m), -EINVAL);
	assert_string_equal(switch_mode_name(SWITCH_MODE_SINK), "sink");
	assert_true(switch_cpu_list_valid("1"));
	assert_true(switch_cpu_list_valid("0-1"));
	assert_true(switch_cpu_list_valid("0,2-3,12"));
	assert_false(switch_cpu_list_valid(""));
	assert_false(switch_cpu_list_valid("-1"));
	assert_false(switch_cpu_list_valid("1-"));
	assert_false(switch_cpu_list_valid("1,,2"));
	assert_false(switch_cpu_list_valid("0) --vdev x (1"));
}

static void gen_specs(void **state)
{
	static const char *const bad[] = { "", "size", "size=", "size=59", "size=1515", "count=5",
					   "size=64,size=64", "size=64,count=1,count=2", "size=64,rate=1",
					   "size=64,count=-1", "size=0x40", "size=64,", ",size=64x" };
	struct switch_config c;
	enum switch_mode m;

	switch_config_init(&c);
	assert_int_equal(switch_mode_parse("gen", &m), 0);
	assert_int_equal(m, SWITCH_MODE_GEN);
	assert_string_equal(switch_mode_name(SWITCH_MODE_GEN), "gen");
	assert_int_equal(switch_gen_parse("size=64", &c), 0);
	assert_int_equal(c.gen_size, 64);
	assert_int_equal(c.gen_count, 0);
	assert_int_equal(switch_gen_parse("count=18446744073709551615,size=1514", &c), 0);
	assert_int_equal(c.gen_size, 1514);
	assert_true(c.gen_count == UINT64_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (switch_gen_parse(bad[i], &c) != -EINVAL)
			fail_msg("--gen '%s' was taken", bad[i]);
}

static void uplink_kinds(void **state)
{
	assert_true(switch_uplink_is_pci("0000:03:00.0"));
	assert_true(switch_uplink_is_pci("03:00.1"));
	assert_true(switch_uplink_is_pci("0000:af:1f.7,txq_inline=128"));
	assert_false(switch_uplink_is_pci("net_tap0,iface=up0"));
	assert_false(switch_uplink_is_pci("0000:03:00.8"));
	assert_false(switch_uplink_is_pci("03:00"));
	assert_false(switch_uplink_is_pci(""));
}

static int argv_find(const struct switch_eal_args *a, const char *s)
{
	for (int i = 0; i < a->argc; i++)
		if (!strcmp(a->argv[i], s))
			return i;
	return -1;
}

static void eal_args(void **state)
{
	struct switch_config c;
	struct switch_eal_args a;
	char cpus[256];
	int i;

	switch_config_init(&c);
	assert_int_equal(switch_eal_args_build(&c, &a), 0);
	assert_null(a.argv[a.argc]);
	i = argv_find(&a, "--file-prefix");
	assert_true(i > 0);
	assert_true(!strncmp(a.argv[i + 1], "iovirt-switch-", 14));
	assert_true(argv_find(&a, "--no-pci") > 0);
	assert_int_equal(argv_find(&a, "--vdev"), -1);
	assert_true(argv_find(&a, "--in-memory") > 0);
	i = argv_find(&a, "--lcores"); /* unpinned: every CPU the process may use */
	assert_true(i > 0);
	assert_true(!strncmp(a.argv[i + 1], "0@(", 3));
	snprintf(cpus, sizeof(cpus), "%s", a.argv[i + 1] + 3);
	assert_true(strlen(cpus) > 1 && cpus[strlen(cpus) - 1] == ')');
	cpus[strlen(cpus) - 1] = '\0';
	assert_true(switch_cpu_list_valid(cpus));

	c.cores = "1";
	c.file_prefix = "sw1";
	c.uplink = "net_tap0,iface=up0";
	c.eal_extra = "  --log-level=lib.eal:debug\t--no-huge  -m 64 ";
	assert_int_equal(switch_eal_args_build(&c, &a), 0);
	assert_string_equal(a.argv[argv_find(&a, "--file-prefix") + 1], "sw1");
	assert_string_equal(a.argv[argv_find(&a, "--lcores") + 1], "0@(1)");
	assert_string_equal(a.argv[argv_find(&a, "--vdev") + 1], "net_tap0,iface=up0");
	assert_true(argv_find(&a, "--no-pci") > 0);
	assert_string_equal(a.argv[a.argc - 4], "--log-level=lib.eal:debug");
	assert_string_equal(a.argv[a.argc - 1], "64");
	assert_true(switch_eal_extra_no_huge(c.eal_extra));
	assert_int_equal(argv_find(&a, "--in-memory"), -1);
	assert_true(argv_find(&a, "--no-shconf") > 0);

	c.uplink = "0000:03:00.0";
	c.eal_extra = NULL;
	assert_int_equal(switch_eal_args_build(&c, &a), 0);
	assert_int_equal(argv_find(&a, "--no-pci"), -1);
	assert_string_equal(a.argv[argv_find(&a, "-a") + 1], "0000:03:00.0");
	assert_false(switch_eal_extra_no_huge(NULL));

	c.cores = "1) --in-memory (";
	assert_int_equal(switch_eal_args_build(&c, &a), -EINVAL);
}

static void eal_args_overflow(void **state)
{
	struct switch_config c;
	struct switch_eal_args a;
	char *many = malloc(SWITCH_EAL_MAX_ARGS * 3 + 1), *big = malloc(8192);

	assert_non_null(many);
	assert_non_null(big);
	switch_config_init(&c);
	for (int i = 0; i < SWITCH_EAL_MAX_ARGS; i++)
		memcpy(many + 3 * i, "-x ", 3);
	many[SWITCH_EAL_MAX_ARGS * 3] = '\0';
	c.eal_extra = many;
	assert_int_equal(switch_eal_args_build(&c, &a), -E2BIG);
	memset(big, 'y', 8191);
	big[8191] = '\0';
	c.eal_extra = big;
	assert_int_equal(switch_eal_args_build(&c, &a), -E2BIG);
	free(many);
	free(big);
}

static char tmpdir[64];

static int tmp_setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/iovirt-swcfg-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int tmp_teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int check_path(const char *fmt, bool client)
{
	struct switch_port_spec p = { .client = client };

	snprintf(p.path, sizeof(p.path), fmt, tmpdir);
	return switch_port_check_path(&p);
}

static int listen_at(const char *name, bool keep)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", tmpdir, name);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	if (keep)
		return fd;
	close(fd);
	return -1;
}

static void socket_paths(void **state)
{
	char path[128];
	int fd;

	assert_int_equal(check_path("%s/a.sock", false), 0);
	assert_int_equal(check_path("%s/none/a.sock", false), -ENOENT);
	assert_int_equal(check_path("%s/none/a.sock", true), -ENOENT);
	snprintf(path, sizeof(path), "%s/file", tmpdir);
	fclose(fopen(path, "w"));
	assert_int_equal(check_path("%s/file/a.sock", false), -ENOTDIR);
	assert_int_equal(check_path("%s/file", false), -EEXIST);
	/* A socket nobody listens on is stale and goes; a live one stays. */
	listen_at("stale.sock", false);
	assert_int_equal(check_path("%s/stale.sock", false), 0);
	snprintf(path, sizeof(path), "%s/stale.sock", tmpdir);
	assert_int_equal(access(path, F_OK), -1);
	fd = listen_at("live.sock", true);
	assert_int_equal(check_path("%s/live.sock", false), -EADDRINUSE);
	assert_int_equal(check_path("%s/live.sock", true), 0);
	close(fd);
	if (geteuid() != 0) { /* root passes any permission check */
		snprintf(path, sizeof(path), "%s/ro", tmpdir);
		assert_int_equal(mkdir(path, 0555), 0);
		assert_int_equal(check_path("%s/ro/a.sock", false), -EACCES);
	}
}

static void write_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void hugepages(void **state)
{
	char mounts[128], sysfs[128], mnt[512], line[256];

	snprintf(mounts, sizeof(mounts), "%s/mounts", tmpdir);
	snprintf(sysfs, sizeof(sysfs), "%s/hp", tmpdir);
	assert_int_equal(mkdir(sysfs, 0755), 0);
	snprintf(line, sizeof(line), "%s/hp/hugepages-2048kB", tmpdir);
	assert_int_equal(mkdir(line, 0755), 0);
	write_file("hp/hugepages-2048kB/free_hugepages", "0\n");
	write_file("mounts", "proc /proc proc rw 0 0\n");
	assert_int_equal(switch_hugepages_check(mounts, sysfs, mnt, sizeof(mnt)), -ENOENT);
	snprintf(line, sizeof(line), "proc /proc proc rw 0 0\nnodev %s hugetlbfs rw 0 0\n", tmpdir);
	write_file("mounts", line);
	assert_int_equal(switch_hugepages_check(mounts, sysfs, mnt, sizeof(mnt)), -ENOMEM);
	assert_string_equal(mnt, tmpdir);
	write_file("hp/hugepages-2048kB/free_hugepages", "12\n");
	assert_int_equal(switch_hugepages_check(mounts, sysfs, mnt, sizeof(mnt)), 0);
	snprintf(line, sizeof(line), "nodev %s/missing hugetlbfs rw 0 0\n", tmpdir);
	write_file("mounts", line);
	assert_int_equal(switch_hugepages_check(mounts, sysfs, mnt, sizeof(mnt)), -EACCES);
	/* Hostile mount lines: too long, too few fields. */
	write_file("mounts", "x\n\n a b\nnodev\n");
	assert_int_equal(switch_hugepages_check(mounts, sysfs, mnt, sizeof(mnt)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(port_specs),
		cmocka_unit_test(modes_and_cpu_lists),
		cmocka_unit_test(gen_specs),
		cmocka_unit_test(uplink_kinds),
		cmocka_unit_test(eal_args),
		cmocka_unit_test(eal_args_overflow),
		cmocka_unit_test_setup_teardown(socket_paths, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(hugepages, tmp_setup, tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
