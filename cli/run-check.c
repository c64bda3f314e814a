/* iovirt run: every input is checked before /dev/kvm is opened and before any output is opened. */
#include "run-check.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "compiler.h"
#include "file.h"
#include "guest-image.h"
#include "memory-map.h"

struct run_input {
	const char *opt;  /* "--kernel" */
	const char *path; /* NULL when not given */
	struct stat st;
};

/* Guest RAM laid out as the VM lays it out, but anonymous and never backed until touched. */
struct scratch_ram {
	struct guest_mem mem;
	void *map;
	uint64_t size;
};

static int input_check(struct run_input *in)
{
	int fd = file_open_regular(in->path, &in->st);

	if (fd == -EISDIR || fd == -EINVAL)
		return cli_fail(&cli_cmd_run, "%s %s: %s, not a regular file", in->opt, in->path,
				file_type_name(in->st.st_mode));
	if (fd < 0)
		return cli_fail(&cli_cmd_run, "%s %s: %s", in->opt, in->path, strerror(-fd));
	close(fd);
	if (in->st.st_size == 0)
		return cli_fail(&cli_cmd_run, "%s %s: the file is empty", in->opt, in->path);
	return -1;
}

/* The console may be a new file, a terminal or a pipe, but never one of the inputs. */
static int console_check(const char *console, const struct run_input *in, size_t n)
{
	char copy[PATH_MAX];
	struct stat st;

	if (stat(console, &st) == 0) {
		for (size_t i = 0; i < n; i++)
			if (in[i].path && file_same(&st, &in[i].st))
				return cli_usage_error(&cli_cmd_run, "--console %s is the same file as %s "
						       "%s: refusing to overwrite an input", console,
						       in[i].opt, in[i].path);
		if (S_ISDIR(st.st_mode))
			return cli_fail(&cli_cmd_run, "--console %s: a directory", console);
		if (access(console, W_OK))
			return cli_fail(&cli_cmd_run, "--console %s: %s", console, strerror(errno));
		return -1;
	}
	if (errno != ENOENT)
		return cli_fail(&cli_cmd_run, "--console %s: %s", console, strerror(errno));
	if (snprintf(copy, sizeof(copy), "%s", console) >= (int)sizeof(copy))
		return cli_fail(&cli_cmd_run, "--console %s: %s", console, strerror(ENAMETOOLONG));
	if (stat(dirname(copy), &st) || !S_ISDIR(st.st_mode) || access(copy, W_OK | X_OK))
		return cli_fail(&cli_cmd_run, "--console %s: cannot create it in %s", console, copy);
	return -1;
}

/* Without --console the guest writes to standard output: that may not be an input either. */
static int stdout_check(const struct run_input *in, size_t n)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (in[i].path && file_same(&st, &in[i].st))
			return cli_usage_error(&cli_cmd_run, "standard output is the same file as %s %s: "
					       "refusing to write the console into an input", in[i].opt,
					       in[i].path);
	return -1;
}

static int scratch_ram_map(struct scratch_ram *r, uint64_t size)
{
	uint64_t low = MIN(size, GPA_RAM_LOW_END);
	int ret;

	*r = (struct scratch_ram){ .size = size };
	r->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
	if (r->map == MAP_FAILED)
		return -errno;
	ret = guest_mem_add(&r->mem, 0, low, r->map, -1, 0);
	if (!ret && size > low)
		ret = guest_mem_add(&r->mem, GPA_RAM_HIGH_START, size - low, (uint8_t *)r->map + low,
				    -1, 0);
	if (ret)
		munmap(r->map, size);
	return ret;
}

/* Load everything into scratch RAM: what fails here would fail in the VM. */
static int dry_run_load(const struct run_opts *o)
{
	enum linux_boot_input fault = LINUX_INPUT_NONE;
	struct linux_boot_cfg cfg = { .kernel_path = o->kernel, .initrd_path = o->initrd,
				      .cmdline = o->cmdline, .ram_size = o->mem, .fault = &fault };
	struct linux_boot_entry entry;
	struct scratch_ram ram;
	uint64_t rip;
	int ret;

	if (scratch_ram_map(&ram, o->mem))
		return -1; /* no address space for a rehearsal: the real load still checks */
	if (o->guest)
		ret = guest_image_load(&ram.mem, o->guest, &rip);
	else
		ret = linux_boot_load(&ram.mem, &cfg, &entry);
	munmap(ram.map, ram.size);
	return ret ? run_load_error(ret, fault, o) : -1;
}

int run_check_inputs(const struct run_opts *o)
{
	struct run_input in[] = {
		{ .opt = "--kernel", .path = o->kernel }, { .opt = "--initrd", .path = o->initrd },
		{ .opt = "--guest", .path = o->guest },
	};
	int ret;

	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		if (in[i].path && (ret = input_check(&in[i])) >= 0)
			return ret;
	if (o->console && (ret = console_check(o->console, in, ARRAY_SIZE(in))) >= 0)
		return ret;
	if (!o->console && (ret = stdout_check(in, ARRAY_SIZE(in))) >= 0)
		return ret;
	return dry_run_load(o);
}

static int linux_load_error(int err, enum linux_boot_input fault, const struct run_opts *o)
{
	const char *opt = fault == LINUX_INPUT_INITRD ? "--initrd" : "--kernel";
	const char *path = fault == LINUX_INPUT_INITRD ? o->initrd : o->kernel;

	if (fault == LINUX_INPUT_CMDLINE)
		return cli_fail(&cli_cmd_run, "--cmdline: %zu bytes, longer than the kernel %s accepts",
				strlen(o->cmdline), o->kernel);
	switch (err) {
	case -ENOEXEC:
		return cli_fail(&cli_cmd_run, "--kernel %s: not a Linux kernel (bzImage with the 64-bit "
				"boot protocol, or vmlinux ELF)", o->kernel);
	case -ENOMEM:
	case -EFAULT:
		if (fault == LINUX_INPUT_NONE)
			break;
		return cli_fail(&cli_cmd_run, "%s %s does not fit in %llu MiB of guest RAM: use a "
				"larger --mem", opt, path, (unsigned long long)(o->mem >> 20));
	case -E2BIG:
		return cli_fail(&cli_cmd_run, "%s %s: larger than the %llu MiB of guest RAM", opt, path,
				(unsigned long long)(o->mem >> 20));
	case -EINVAL:
		return cli_fail(&cli_cmd_run, "%s %s: not a regular file", opt, path);
	}
	if (fault == LINUX_INPUT_NONE)
		return cli_fail(&cli_cmd_run, "cannot load the kernel %s: %s", o->kernel, strerror(-err));
	return cli_fail(&cli_cmd_run, "cannot load %s %s: %s", opt, path, strerror(-err));
}

int run_load_error(int err, enum linux_boot_input fault, const struct run_opts *o)
{
	if (o->kernel)
		return linux_load_error(err, fault, o);
	switch (err) {
	case -ENOEXEC:
		return cli_fail(&cli_cmd_run, "--guest %s: not a guest image (static x86-64 ELF "
				"executable loaded at or above 1 MiB, at most %llu MiB)", o->guest,
				(unsigned long long)(GUEST_IMAGE_MAX_FILE >> 20));
	case -EFAULT:
	case -ENOMEM:
		return cli_fail(&cli_cmd_run, "--guest %s does not fit in %llu MiB of guest RAM: use a "
				"larger --mem", o->guest, (unsigned long long)(o->mem >> 20));
	case -EINVAL:
		return cli_fail(&cli_cmd_run, "--guest %s: not a regular file", o->guest);
	default:
		return cli_fail(&cli_cmd_run, "cannot load --guest %s: %s", o->guest, strerror(-err));
	}
}
