/*
 * The x86-64 ELF executables both loaders take (a Linux vmlinux, the
 * project's guest images): header and program-header checks, and loading one
 * PT_LOAD segment into guest RAM at its physical address. The file is
 * untrusted: every offset and size is checked against the file's length and
 * every destination goes through gpa_to_hva(). Errors are logged with what
 * ("vmlinux", "guest image") in front.
 */
#ifndef IOVIRT_ELF_LOAD_H
#define IOVIRT_ELF_LOAD_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "guest-mem.h"

#define ELF_PHNUM_MAX 64

/*
 * A little-endian ELF64 x86-64 ET_EXEC file of len bytes whose 1..64
 * program headers lie inside it: the header is copied to *eh. 0 or -ENOEXEC.
 */
int elf_exec_check(const char *what, const uint8_t *buf, size_t len, Elf64_Ehdr *eh) __must_check;

/* Program header i (i < eh->e_phnum of a checked file), copied out. */
void elf_phdr_get(const uint8_t *buf, const Elf64_Ehdr *eh, unsigned i, Elf64_Phdr *ph);

/* A PT_LOAD segment whose data lies inside the file and whose range does not wrap. 0 or -ENOEXEC. */
int elf_segment_check(const char *what, const Elf64_Phdr *ph, size_t len) __must_check;

/*
 * Copy a checked segment's file data to guest-physical p_paddr and zero the
 * rest of p_memsz. 0, or -EFAULT when that range is not wholly in RAM.
 */
int elf_segment_load(const char *what, struct guest_mem *mem, const uint8_t *buf,
		     const Elf64_Phdr *ph) __must_check;

#endif
