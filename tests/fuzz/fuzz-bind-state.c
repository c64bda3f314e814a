/*
 * Fuzz target: the state file of `iovirt bind` (vfio-core/bind-state.c:
 * bind_state_load) and the bind and unbind plans (vfio-core/bind.c) over a
 * sysfs tree and a state folder built from the input in a fresh temporary
 * folder, as tests/unit/test-bind.c plans over copies of the fixture trees.
 * Nothing is applied.
 *
 * Input: a flags byte (bits 0-1: no plan, a bind plan, an unbind plan, both;
 * bit 2: the bind plan takes whole groups; bits 3-4: the state entry is a
 * file, a symbolic link to its content, a folder, or absent), the size of
 * the buffer given to bind_state_load (1 byte), a BDF string length (1 byte)
 * and the string (a device named by pci_bdf_parse's canonical form, or
 * 0000:03:00.0 when it does not parse), the state entry's content length
 * (2 bytes) and content, then the sysfs tree in the format of fuzz-tree.h.
 * Checked: a loaded driver is exactly the file's content without its final
 * newline, a plain driver name that fits the buffer, read from a regular
 * file only; a plan's counts match its steps, the requested device comes
 * first, every step is only planned and its strings are terminated; an unbind
 * goes to a remembered driver that is a name and not VFIO's, or to none.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bind-state.h"
#include "bind.h"
#include "fuzz-input.h"
#include "fuzz-tree.h"
#include "pci-inventory.h"

enum { STATE_FILE, STATE_LINK, STATE_DIR, STATE_NONE };

/* A new folder name under the folder fd; an open descriptor of it. */
static int subfolder_make(int fd, const char *name)
{
	int dir_fd;

	FUZZ_CHECK(mkdirat(fd, name, 0755) == 0);
	dir_fd = openat(fd, name, O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(dir_fd >= 0);
	return dir_fd;
}

/* Make the state entry for bdf under the folder dir_fd. */
static void state_make(int dir_fd, const char *bdf, unsigned kind, const uint8_t *c, size_t clen)
{
	char target[65536 + 1];
	int fd;

	if (kind == STATE_DIR) {
		FUZZ_CHECK(mkdirat(dir_fd, bdf, 0755) == 0);
	} else if (kind == STATE_LINK) {
		memcpy(target, c, clen);
		target[clen] = 0;
		symlinkat(target[0] ? target : "x", dir_fd, bdf);
	} else if (kind == STATE_FILE) {
		fd = openat(dir_fd, bdf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		FUZZ_CHECK(fd >= 0);
		FUZZ_CHECK(write(fd, c, clen) == (ssize_t)clen);
		close(fd);
	}
}

static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.' || ch == '-';
}

/* bind_state_load's contract for an entry of kind with content c. */
static void load_check(const char *dir, const char *bdf, size_t room, unsigned kind,
		       const uint8_t *c, size_t clen)
{
	char *buf = malloc(room ? room : 1);
	size_t n;
	int ret;

	FUZZ_CHECK(buf);
	ret = bind_state_load(dir, bdf, buf, room);
	FUZZ_CHECK(ret <= 0);
	if (kind == STATE_NONE)
		FUZZ_CHECK(ret == -ENOENT);
	if (ret) {
		free(buf);
		return;
	}
	FUZZ_CHECK(kind == STATE_FILE);
	n = strnlen(buf, room);
	FUZZ_CHECK(n < room);
	FUZZ_CHECK(clen == n || (clen == n + 1 && c[n] == '\n'));
	FUZZ_CHECK(!memcmp(buf, c, n));
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(name_char(buf[i]));
	FUZZ_CHECK(strcmp(buf, ".") && strcmp(buf, ".."));
	free(buf);
}

/* An unbind's target: a remembered driver is a name that is not VFIO's, else none. */
static void unbind_to_check(const struct bind_step *s)
{
	if (!s->to_known) {
		FUZZ_CHECK(!s->to[0]);
		return;
	}
	for (const char *p = s->to; *p; p++)
		FUZZ_CHECK(name_char(*p));
	FUZZ_CHECK(strncmp(s->to, "vfio", 4) && !strstr(s->to, "_vfio_pci"));
}

static void plan_check(const struct bind_plan *plan, const char *bdf)
{
	size_t refused = 0, change = 0;

	FUZZ_CHECK(plan->n_steps >= 1 && !strcmp(plan->steps[0].bdf, bdf) &&
		   plan->steps[0].requested);
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct bind_step *s = &plan->steps[i];

		FUZZ_CHECK(strnlen(s->bdf, sizeof(s->bdf)) == 12); /* "dddd:bb:dd.f" */
		FUZZ_CHECK(strnlen(s->from, sizeof(s->from)) < sizeof(s->from));
		FUZZ_CHECK(strnlen(s->to, sizeof(s->to)) < sizeof(s->to));
		FUZZ_CHECK(strnlen(s->why, sizeof(s->why)) < sizeof(s->why));
		FUZZ_CHECK(s->outcome == BIND_PLANNED);
		if (plan->unbind && s->action == BIND_CHANGE)
			unbind_to_check(s);
		refused += s->action == BIND_REFUSED;
		change += s->action == BIND_CHANGE;
	}
	FUZZ_CHECK(plan->n_refused == refused && plan->n_change == change);
}

static void plans_check(const char *root, const char *bdf, unsigned flags)
{
	char sys[96], state[96];
	struct bind_opts opts = { .sysfs_root = sys, .state_dir = state, .group = flags & 4 };
	const char *bdfs[] = { bdf };
	struct bind_plan plan;

	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(state, sizeof(state), "%s/state", root);
	if ((flags & 1) && bind_plan_make(&opts, bdfs, 1, &plan) == 0) {
		plan_check(&plan, bdf);
		bind_plan_free(&plan);
	}
	if ((flags & 2) && unbind_plan_make(&opts, bdfs, 1, &plan) == 0) {
		plan_check(&plan, bdf);
		bind_plan_free(&plan);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	unsigned flags = (unsigned)fuzz_uint(&in, 1), kind = (flags >> 3) & 3;
	size_t room = fuzz_uint(&in, 1), blen = fuzz_uint(&in, 1), clen;
	const uint8_t *b = fuzz_take(&in, blen), *c;
	char root[64], state[96], bdf_in[256], parsed[PCI_BDF_STRLEN];
	char bdf[PCI_BDF_STRLEN] = "0000:03:00.0";
	int fd, dir_fd;

	fuzz_quiet_logs();
	clen = fuzz_uint(&in, 2);
	c = fuzz_take(&in, clen);
	if (!b || !c)
		return 0;
	memcpy(bdf_in, b, blen);
	bdf_in[blen] = 0;
	if (pci_bdf_parse(bdf_in, parsed) == 0)
		memcpy(bdf, parsed, sizeof(bdf));
	fd = fuzz_tree_root(root, sizeof(root));
	dir_fd = subfolder_make(fd, "state");
	state_make(dir_fd, bdf, kind, c, clen);
	close(dir_fd);
	dir_fd = subfolder_make(fd, "sys");
	fuzz_tree_make(&in, dir_fd);
	close(dir_fd);
	close(fd);
	snprintf(state, sizeof(state), "%s/state", root);
	load_check(state, bdf, room, kind, c, clen);
	plans_check(root, bdf, flags);
	fuzz_tree_remove(root);
	return 0;
}
