/*
 * The project's own guest images: static x86-64 ELF executables (built from
 * guest/) loaded at their physical addresses and entered in 64-bit long mode
 * on every vCPU at once, with rdi = the CPU index and rsi = the number of
 * CPUs. The image sets up its own stacks, GDT, IDT and TSS (guest/start.S).
 */
#ifndef IOVIRT_GUEST_IMAGE_H
#define IOVIRT_GUEST_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "guest-mem.h"

struct vm;

#define GUEST_IMAGE_MIN_GPA 0x100000ULL /* segments below 1 MiB would hit the boot tables */
#define GUEST_IMAGE_MAX_FILE (256ULL << 20)

/*
 * Load the ELF image held in buf[0..len) into guest memory. Every PT_LOAD
 * segment must lie in RAM at or above GUEST_IMAGE_MIN_GPA and inside the file;
 * the entry point must lie in a loaded executable segment. Returns 0 with
 * *entry set, or -ENOEXEC (not an x86-64 ELF executable, or a malformed or
 * hostile one) or -EFAULT (a segment outside RAM).
 */
int guest_image_load_buf(struct guest_mem *mem, const void *buf, size_t len, uint64_t *entry)
	__must_check;

/*
 * Read path (at most GUEST_IMAGE_MAX_FILE bytes) and load it as above; also
 * -errno of I/O, -EINVAL for a file that is not a regular file (refused before
 * it is opened, so a FIFO never blocks) and -ENOEXEC for an empty or too large one.
 */
int guest_image_load(struct guest_mem *mem, const char *path, uint64_t *entry) __must_check;

/* Load path and put every vCPU of vm at its entry in long mode. 0 or -errno. */
int guest_image_boot(struct vm *vm, const char *path) __must_check;

#endif
