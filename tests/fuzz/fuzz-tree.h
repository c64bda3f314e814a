/*
 * A file tree built from a fuzz input in a fresh temporary folder (under
 * /dev/shm when it exists), for the targets that read sysfs-like trees.
 * Shared by the targets in this folder; nothing here is part of iovirt.
 *
 * Input: entries of a kind byte (0 file, 1 symbolic link, 2 folder), a path
 * length (1 byte), the path (relative; an entry with an empty, absolute or
 * ".." component is skipped; parents are created), a content length
 * (2 bytes) and the content (a file's bytes or a link's target, which may
 * point anywhere), up to FUZZ_TREE_MAX_ENTRIES or the end of the input.
 */
#ifndef IOVIRT_FUZZ_TREE_H
#define IOVIRT_FUZZ_TREE_H

#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "fuzz-input.h"

#define FUZZ_TREE_MAX_ENTRIES 256

/* Whether path is relative with no empty, "." or ".." component (so it stays in the tree). */
static inline bool fuzz_tree_path_ok(const char *path)
{
	const char *p = path;

	if (!*p || *p == '/')
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (!n || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		p += *p == '/';
		if (!*p && p[-1] == '/')
			return false;
	}
	return true;
}

/* Create the parent folders of path under root (errors are left to the entry's creation). */
static inline void fuzz_tree_parents_make(int root, char *path)
{
	for (char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		mkdirat(root, path, 0755);
		*s = '/';
	}
}

/* Create one entry of the tree; false when the input is used up. */
static inline bool fuzz_tree_entry_make(struct fuzz_input *in, int root)
{
	unsigned kind = fuzz_uint(in, 1) % 3;
	size_t plen = fuzz_uint(in, 1), clen;
	const uint8_t *p = fuzz_take(in, plen), *c;
	char path[256], content[65536];
	int fd;

	clen = fuzz_uint(in, 2);
	clen = clen < fuzz_left(in) ? clen : fuzz_left(in);
	c = fuzz_take(in, clen);
	if (!p || !c)
		return false;
	memcpy(path, p, plen);
	path[plen] = 0;
	memcpy(content, c, clen);
	content[clen] = 0;
	if (strlen(path) != plen || !fuzz_tree_path_ok(path))
		return true;
	fuzz_tree_parents_make(root, path);
	if (kind == 2) {
		mkdirat(root, path, 0755);
	} else if (kind == 1) {
		symlinkat(content, root, path);
	} else if ((fd = openat(root, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) >= 0) {
		if (write(fd, content, clen) != (ssize_t)clen)
			abort();
		close(fd);
	}
	return true;
}

/* A fresh empty folder; its path (root, at least 64 bytes) and an open descriptor of it. */
static inline int fuzz_tree_root(char *root, size_t len)
{
	int fd;

	snprintf(root, len, "%s/iovirt-fuzz-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	FUZZ_CHECK(mkdtemp(root) != NULL);
	fd = open(root, O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	return fd;
}

/* Build the rest of the input as a tree under the folder root_fd. */
static inline void fuzz_tree_make(struct fuzz_input *in, int root_fd)
{
	for (int i = 0; i < FUZZ_TREE_MAX_ENTRIES && fuzz_tree_entry_make(in, root_fd); i++)
		;
}

static inline int fuzz_tree_entry_remove(const char *path, const struct stat *st, int flag,
					 struct FTW *ftw)
{
	return remove(path) ? -1 : 0;
}

/* Remove root and everything under it (links are removed, not followed). */
static inline void fuzz_tree_remove(const char *root)
{
	FUZZ_CHECK(nftw(root, fuzz_tree_entry_remove, 16, FTW_DEPTH | FTW_PHYS) == 0);
}

#endif
