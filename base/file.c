#include "file.h"

#include <errno.h>
#include <fcntl.h>
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
