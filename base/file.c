#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int file_open_regular(const char *path, struct stat *st)
{
	struct stat before;
	int fd, err;

	if (stat(path, &before))
		return -errno;
	*st = before;
	if (S_ISDIR(before.st_mode))
		return -EISDIR;
	if (!S_ISREG(before.st_mode))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = fstat(fd, st) ? -errno : 0;
	if (!err && (!S_ISREG(st->st_mode) || !file_same(st, &before)))
		err = -ESTALE;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int file_read_full(int fd, void *buf, uint64_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len < (1u << 30) ? len : (1u << 30));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		p += n;
		len -= (uint64_t)n;
	}
	return 0;
}

int file_read_regular(const char *path, uint64_t max, uint8_t **buf, size_t *len)
{
	struct stat st;
	int fd, ret;

	fd = file_open_regular(path, &st);
	if (fd < 0)
		return fd;
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return -E2BIG;
	}
	*buf = malloc(st.st_size ? st.st_size : 1);
	ret = *buf ? file_read_full(fd, *buf, st.st_size) : -ENOMEM;
	close(fd);
	if (ret) {
		free(*buf);
		*buf = NULL;
		return ret;
	}
	*len = st.st_size;
	return 0;
}

const char *file_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFIFO: return "a FIFO";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFSOCK: return "a socket";
	case S_IFLNK: return "a symbolic link";
	default: return "not a regular file";
	}
}

bool file_same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}
