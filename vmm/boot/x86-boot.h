/*
 * The x86 long-mode entry every boot path shares: identity page tables for
 * the low 4 GiB (2 MiB pages, user-accessible so guest images can run their
 * work loop at ring 3) and a flat GDT (0x10 = 64-bit code, 0x18 = data, the
 * selectors Linux's 64-bit boot protocol expects), at the GPA_BOOT_*
 * addresses of memory-map.h.
 */
#ifndef IOVIRT_X86_BOOT_H
#define IOVIRT_X86_BOOT_H

#include <stdint.h>

#include "compiler.h"
#include "guest-mem.h"

#define BOOT_CS 0x10
#define BOOT_DS 0x18
#define BOOT_GDT_ENTRIES 4

/* Write the GDT and the page tables into guest RAM. 0 or -EFAULT (RAM too small). */
int x86_boot_tables_write(struct guest_mem *mem) __must_check;

#endif
