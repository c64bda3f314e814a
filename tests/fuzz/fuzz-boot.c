/*
 * Fuzz target: the kernel loaders (vmm/boot/): bzImage header parsing, the
 * vmlinux and test-guest ELF loaders, command line and initrd placement.
 *
 * Input: a flags byte (bit 0: load as a test-guest image with
 * guest_image_load_buf instead of a Linux kernel), RAM size (2 bytes, in
 * 64 KiB units, at most RAM_MAX), command-line length (1 byte), initrd
 * length (2 bytes), then the command line, the initrd and the kernel (the
 * rest). Guest RAM is one region from 0 whose end is the end of its
 * allocation, so a write past the last byte is a sanitizer report.
 * Checked on success: the kernel lies above 1 MiB inside RAM, the initrd is
 * page-aligned, above the kernel and inside low RAM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot-linux.h"
#include "fuzz-input.h"
#include "guest-image.h"
#include "guest-mem.h"
#include "memory-map.h"

#define RAM_MAX (96 * MiB)
#define PAGE 4096ULL

/* One allocation for all runs; each run's RAM is its last ram_size bytes. */
static uint8_t *ram_buf;

static void linux_check(const struct linux_boot_entry *e, uint64_t ram_size, size_t initrd_len)
{
	FUZZ_CHECK(e->kernel_start >= GPA_LEGACY_HOLE_END);
	FUZZ_CHECK(e->kernel_start <= e->kernel_end && e->kernel_end <= ram_size);
	FUZZ_CHECK(e->initrd_size == initrd_len);
	if (!initrd_len)
		return;
	FUZZ_CHECK(e->initrd_start % PAGE == 0);
	FUZZ_CHECK(e->initrd_start >= e->kernel_end);
	FUZZ_CHECK(e->initrd_start + e->initrd_size <= ram_size);
	FUZZ_CHECK(e->initrd_start + e->initrd_size <= GPA_RAM_LOW_END);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	unsigned flags = fuzz_uint(&in, 1);
	uint64_t ram_size = (fuzz_uint(&in, 2) << 16) % (RAM_MAX + 1);
	size_t cmd_len = fuzz_uint(&in, 1), initrd_len = fuzz_uint(&in, 2), klen;
	const uint8_t *cmd = fuzz_take(&in, cmd_len), *initrd = fuzz_take(&in, initrd_len);
	struct guest_mem mem = { 0 };
	char cmdline[256];
	uint8_t *kernel;

	fuzz_quiet_logs();
	if (!ram_buf && !(ram_buf = malloc(RAM_MAX)))
		abort();
	if (!cmd || !initrd || !ram_size)
		return 0;
	memcpy(cmdline, cmd, cmd_len);
	cmdline[cmd_len] = 0;
	kernel = fuzz_rest_dup(&in, &klen);
	FUZZ_CHECK(guest_mem_add(&mem, 0, ram_size, ram_buf + RAM_MAX - ram_size, -1, 0) == 0);
	if (flags & 1) {
		uint64_t entry;
		int ret = guest_image_load_buf(&mem, kernel, klen, &entry);

		FUZZ_CHECK(ret <= 0);
	} else {
		struct linux_boot_cfg cfg = { .cmdline = cmdline, .ram_size = ram_size };
		struct linux_boot_entry e;

		if (linux_boot_load_image(&mem, &cfg, kernel, klen, initrd, initrd_len, &e) == 0)
			linux_check(&e, ram_size, initrd_len);
	}
	free(kernel);
	return 0;
}
