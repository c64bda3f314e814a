#include "bind-state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAX 128 /* longer than any driver name: a longer file is not ours */

/* mkdir -p for an absolute or relative path; existing directories are fine. */
static int mkdir_parents(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		path[i] = dir[i];
	}
	return 0;
}

static int state_path(char *buf, size_t len, const char *dir, const char *bdf, const char *suffix)
{
	int n = snprintf(buf, len, "%s/%s%s", dir, bdf, suffix);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int bind_state_save(const char *dir, const char *bdf, const char *driver)
{
	char path[PATH_MAX], tmp[PATH_MAX], line[STATE_MAX + 2];
	int fd, ret, n;

	n = snprintf(line, sizeof(line), "%s\n", driver);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENAMETOOLONG;
	ret = mkdir_parents(dir);
	if (!ret)
		ret = state_path(path, sizeof(path), dir, bdf, "");
	if (!ret)
		ret = state_path(tmp, sizeof(tmp), dir, bdf, ".new");
	if (ret)
		return ret;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ret = write_all(fd, line, (size_t)n);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

/* Whether the n bytes of s (NUL-terminated after them) are a driver name: a NUL inside is not. */
static bool driver_name_valid(const char *s, size_t n)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
	       n && strcmp(s, ".") && strcmp(s, "..");
}

int bind_state_load(const char *dir, const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], raw[STATE_MAX + 1];
	struct stat st;
	ssize_t got;
	size_t n;
	int fd, ret;

	ret = state_path(path, sizeof(path), dir, bdf, "");
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	got = read(fd, raw, sizeof(raw));
	ret = got < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	n = (size_t)got;
	if (n >= sizeof(raw))
		return -EINVAL;
	raw[n] = '\0';
	if (n > 0 && raw[n - 1] == '\n')
		raw[--n] = '\0';
	if (!driver_name_valid(raw, n) || n >= len)
		return -EINVAL;
	memcpy(buf, raw, n + 1);
	return 0;
}

int bind_state_remove(const char *dir, const char *bdf)
{
	char path[PATH_MAX];
	int ret = state_path(path, sizeof(path), dir, bdf, "");

	if (ret)
		return ret;
	return unlink(path) && errno != ENOENT ? -errno : 0;
}
