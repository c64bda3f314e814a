/*
 * Fuzz target: the switch's configuration parsing
 * (vhost-user/switch/switch-config.c): port specifications, mode, CPU
 * list, uplink devargs, extra EAL arguments and the EAL argument vector
 * built from them, and the hugetlbfs search in a mount table.
 *
 * Input: NUL-separated strings: up to four port specs, a mode, a CPU list,
 * an uplink, extra EAL arguments, a file prefix, then the rest is a mount
 * table (written to a temporary file for switch_hugepages_check). Checked:
 * a built argument vector is NULL-terminated, within the limit and points
 * into its buffer, and a parsed port path is NUL-terminated.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzz-input.h"
#include "switch-config.h"

/* The next NUL-terminated string of the input, or NULL at its end (copied to buf). */
static const char *next_str(struct fuzz_input *in, char *buf, size_t size)
{
	const uint8_t *nul = memchr(in->data, 0, in->len);
	size_t n = nul ? (size_t)(nul - in->data) : in->len;

	if (!in->len)
		return NULL;
	if (n >= size)
		n = size - 1;
	memcpy(buf, in->data, n);
	buf[n] = 0;
	fuzz_take(in, nul ? (size_t)(nul - in->data) + 1 : in->len);
	return buf;
}

static void eal_check(const struct switch_eal_args *a)
{
	FUZZ_CHECK(a->argc >= 0 && a->argc <= SWITCH_EAL_MAX_ARGS);
	FUZZ_CHECK(a->argv[a->argc] == NULL);
	for (int i = 0; i < a->argc; i++)
		FUZZ_CHECK(a->argv[i] >= a->buf && a->argv[i] < a->buf + sizeof(a->buf) &&
			   memchr(a->argv[i], 0, a->buf + sizeof(a->buf) - a->argv[i]));
}

/* The mount table at the end of the input, through a temporary file. */
static void hugepages_try(struct fuzz_input *in)
{
	char path[] = "/tmp/iovirt-fuzz-mounts-XXXXXX", mnt[256];
	int fd = mkstemp(path), ret;

	if (fd < 0)
		abort();
	if (write(fd, in->data, in->len) != (ssize_t)in->len)
		abort();
	close(fd);
	ret = switch_hugepages_check(path, "/nonexistent", mnt, sizeof(mnt));
	unlink(path);
	FUZZ_CHECK(ret == 0 || ret == -ENOENT || ret == -EACCES || ret == -ENOMEM);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	static char s[9][1024];
	struct switch_config c;
	struct switch_eal_args *args = malloc(sizeof(*args));
	const char *str;
	int ret;

	fuzz_quiet_logs();
	if (!args)
		abort();
	switch_config_init(&c);
	for (int i = 0; i < 4 && (str = next_str(&in, s[i], sizeof(s[i]))); i++) {
		struct switch_port_spec p;

		if (switch_port_spec_parse(str, &p) == 0 && c.n_ports < SWITCH_MAX_PORTS) {
			FUZZ_CHECK(memchr(p.path, 0, sizeof(p.path)) && p.path[0]);
			c.ports[c.n_ports++] = p;
		}
	}
	if ((str = next_str(&in, s[4], sizeof(s[4]))) && switch_mode_parse(str, &c.mode) == 0)
		switch_mode_name(c.mode);
	c.cores = next_str(&in, s[5], sizeof(s[5]));
	if (c.cores)
		switch_cpu_list_valid(c.cores);
	c.uplink = next_str(&in, s[6], sizeof(s[6]));
	if (c.uplink)
		switch_uplink_is_pci(c.uplink);
	c.eal_extra = next_str(&in, s[7], sizeof(s[7]));
	if (c.eal_extra)
		switch_eal_extra_no_huge(c.eal_extra);
	c.file_prefix = next_str(&in, s[8], sizeof(s[8]));
	ret = switch_eal_args_build(&c, args);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -E2BIG);
	if (ret == 0)
		eal_check(args);
	free(args);
	hugepages_try(&in);
	return 0;
}
