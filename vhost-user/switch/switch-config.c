/* `iovirt switch`'s configuration: parsing, the EAL's arguments, and host checks. */
#include <ctype.h>
#include <sched.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "switch-config.h"

void switch_config_init(struct switch_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = SWITCH_MODE_SWITCH;
	c->mbufs = 16383;
	c->mac_entries = 4096;
	c->age_seconds = 300;
}

int switch_port_spec_parse(const char *arg, struct switch_port_spec *out)
{
	const char *comma = strrchr(arg, ',');
	size_t len = comma ? (size_t)(comma - arg) : strlen(arg);
	bool client = false;

	if (comma && !strcmp(comma + 1, "client"))
		client = true;
	else if (comma && strcmp(comma + 1, "server"))
		return -EINVAL;
	if (!len)
		return -EINVAL;
	if (len >= sizeof(out->path))
		return -ENAMETOOLONG;
	memcpy(out->path, arg, len);
	out->path[len] = '\0';
	out->client = client;
	return 0;
}

static const char *const mode_names[] = {
	[SWITCH_MODE_SWITCH] = "switch",
	[SWITCH_MODE_REFLECT] = "reflect",
	[SWITCH_MODE_SINK] = "sink",
	[SWITCH_MODE_GEN] = "gen",
};

int switch_gen_parse(const char *arg, struct switch_config *c)
{
	char buf[128], *rest = buf, *kv;
	bool have_size = false, have_count = false;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", arg);
	c->gen_count = 0;
	while ((kv = strsep(&rest, ","))) { /* an empty element has no '=': refused */
		char *val = strchr(kv, '=');
		bool *seen;
		int ret;

		if (!val)
			return -EINVAL;
		*val++ = '\0';
		if (!strcmp(kv, "size")) {
			seen = &have_size;
			ret = parse_uint(val, SWITCH_GEN_MIN, SWITCH_GEN_MAX, &c->gen_size);
		} else if (!strcmp(kv, "count")) {
			seen = &have_count;
			ret = parse_u64(val, 0, UINT64_MAX, &c->gen_count);
		} else {
			return -EINVAL;
		}
		if (ret || *seen)
			return -EINVAL;
		*seen = true;
	}
	return have_size ? 0 : -EINVAL;
}

int switch_mode_parse(const char *s, enum switch_mode *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++)
		if (!strcmp(s, mode_names[i])) {
			*out = (enum switch_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *switch_mode_name(enum switch_mode m)
{
	return (size_t)m < ARRAY_SIZE(mode_names) ? mode_names[m] : "?";
}

bool switch_cpu_list_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (isdigit((unsigned char)s[i]))
			continue;
		if ((s[i] != ',' && s[i] != '-') || !isdigit((unsigned char)s[i + 1]))
			return false;
	}
	return true;
}

static bool hex_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool switch_uplink_is_pci(const char *devargs)
{
	size_t len = strcspn(devargs, ",");
	const char *s = devargs;

	if (len == 12 && hex_run(s, 4) && s[4] == ':') { /* domain */
		s += 5;
		len -= 5;
	}
	return len == 7 && hex_run(s, 2) && s[2] == ':' && hex_run(s + 3, 2) && s[5] == '.' &&
	       s[6] >= '0' && s[6] <= '7';
}

/* Append one argument (printf-style) to out; -E2BIG when buf or argv is full. */
static int __printf(2, 3) eal_arg_add(struct switch_eal_args *out, const char *fmt, ...)
{
	size_t used = 0;
	va_list ap;
	int n;

	if (out->argc > 0) {
		char *last = out->argv[out->argc - 1];

		used = (size_t)(last - out->buf) + strlen(last) + 1;
	}
	if (out->argc == SWITCH_EAL_MAX_ARGS)
		return -E2BIG;
	va_start(ap, fmt);
	n = vsnprintf(out->buf + used, sizeof(out->buf) - used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(out->buf) - used)
		return -E2BIG;
	out->argv[out->argc++] = out->buf + used;
	out->argv[out->argc] = NULL;
	return 0;
}

static int eal_args_extra(const char *extra, struct switch_eal_args *out)
{
	while (extra && *extra) {
		size_t skip = strspn(extra, " \t\n"), len;
		int ret;

		extra += skip;
		len = strcspn(extra, " \t\n");
		if (!len)
			break;
		ret = eal_arg_add(out, "%.*s", (int)len, extra);
		if (ret)
			return ret;
		extra += len;
	}
	return 0;
}

static int eal_args_uplink(const char *uplink, struct switch_eal_args *out)
{
	int ret;

	if (!uplink)
		return eal_arg_add(out, "--no-pci");
	if (!switch_uplink_is_pci(uplink))
		return eal_arg_add(out, "--no-pci") ?: eal_arg_add(out, "--vdev") ?:
			eal_arg_add(out, "%s", uplink);
	ret = eal_arg_add(out, "-a");
	return ret ?: eal_arg_add(out, "%s", uplink);
}

/* The CPUs this process may run on as a list ("0-1" style ranges), or "0" when unknown. */
static void cpu_list_allowed(char *buf, size_t len)
{
	cpu_set_t set;
	size_t used = 0;
	int first = -1;

	buf[0] = '\0';
	if (sched_getaffinity(0, sizeof(set), &set)) {
		snprintf(buf, len, "0");
		return;
	}
	for (int cpu = 0; cpu <= CPU_SETSIZE; cpu++) {
		bool in = cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set);

		if (in && first < 0)
			first = cpu;
		if (in || first < 0)
			continue;
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used,
						 first == cpu - 1 ? "%s%d" : "%s%d-%d", used ? "," : "",
						 first, cpu - 1);
		first = -1;
	}
	if (!buf[0] || used >= len)
		snprintf(buf, len, "0");
}

int switch_eal_args_build(const struct switch_config *c, struct switch_eal_args *out)
{
	char allowed[256];
	int ret;

	memset(out, 0, sizeof(*out));
	if (c->cores && !switch_cpu_list_valid(c->cores))
		return -EINVAL;
	ret = eal_arg_add(out, "iovirt-switch") ?: eal_arg_add(out, "--file-prefix");
	if (!ret && c->file_prefix)
		ret = eal_arg_add(out, "%s", c->file_prefix);
	else if (!ret)
		ret = eal_arg_add(out, "iovirt-switch-%ld", (long)getpid());
	if (!c->cores)
		cpu_list_allowed(allowed, sizeof(allowed));
	if (!ret)
		ret = eal_arg_add(out, "--lcores") ?:
		      eal_arg_add(out, "0@(%s)", c->cores ? c->cores : allowed);
	if (!ret)
		ret = eal_args_uplink(c->uplink, out);
	if (!ret)
		ret = eal_arg_add(out, "--no-telemetry");
	/*
	 * --no-huge means legacy memory, which the EAL refuses with --in-memory;
	 * --no-shconf then keeps its files out of the runtime directory.
	 */
	if (!ret)
		ret = eal_arg_add(out, switch_eal_extra_no_huge(c->eal_extra) ? "--no-shconf" :
										 "--in-memory");
	return ret ?: eal_args_extra(c->eal_extra, out);
}

bool switch_eal_extra_no_huge(const char *eal_extra)
{
	return eal_extra && strstr(eal_extra, "--no-huge");
}

/* The directory part of path (".", "/" or the text before the last '/'). */
static void path_dir(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* -ECONNREFUSED when nobody listens on the socket at path, 0 when someone does, or -errno. */
static int socket_probe(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		ret = -errno;
	close(fd);
	return ret;
}

static int socket_remove_stale(const char *path)
{
	struct stat st;
	int ret;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	ret = socket_probe(path);
	if (!ret)
		return -EADDRINUSE;
	if (ret != -ECONNREFUSED)
		return ret;
	if (unlink(path))
		return -errno;
	log_info("switch: %s: removed a stale socket nobody listened on", path);
	return 0;
}

int switch_port_check_path(const struct switch_port_spec *p)
{
	char dir[SWITCH_SOCKET_PATH_MAX];
	struct stat st;

	path_dir(p->path, dir, sizeof(dir));
	if (stat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (access(dir, p->client ? X_OK : W_OK | X_OK))
		return -errno;
	return p->client ? 0 : socket_remove_stale(p->path);
}

static bool hugetlbfs_mounted(const char *proc_mounts, char *where, size_t len)
{
	char line[1024], dev[256], mnt[512], type[64];
	FILE *f = fopen(proc_mounts, "re");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%255s %511s %63s", dev, mnt, type) == 3 &&
			!strcmp(type, "hugetlbfs");
	fclose(f);
	if (found)
		snprintf(where, len, "%s", mnt);
	return found;
}

static unsigned long read_ulong_at(int dirfd, const char *path)
{
	char buf[32] = "";
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtoul(buf, NULL, 10) : 0;
}

static unsigned long hugepages_free(const char *sysfs_hugepages)
{
	unsigned long total = 0;
	DIR *d = opendir(sysfs_hugepages);
	struct dirent *e;
	char path[300];

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "hugepages-", 10))
			continue;
		snprintf(path, sizeof(path), "%s/free_hugepages", e->d_name);
		total += read_ulong_at(dirfd(d), path);
	}
	closedir(d);
	return total;
}

int switch_hugepages_check(const char *proc_mounts, const char *sysfs_hugepages, char *mnt,
			   size_t mnt_len)
{
	if (!hugetlbfs_mounted(proc_mounts, mnt, mnt_len))
		return -ENOENT;
	if (access(mnt, W_OK | X_OK))
		return -EACCES;
	return hugepages_free(sysfs_hugepages) ? 0 : -ENOMEM;
}
