/*
 * Loading a Linux kernel into guest RAM for the x86-64 64-bit boot protocol.
 *
 * Two image formats are accepted and told apart by their content:
 *  - bzImage: the protected-mode part is loaded at its preferred (or
 *    relocatable default) address and entered at load address + 0x200;
 *    boot_params starts as a copy of the image's setup header;
 *  - vmlinux: an ELF64 x86-64 ET_EXEC whose PT_LOAD segments go to their
 *    p_paddr; entered at the physical address of e_entry; boot_params carries
 *    a synthesized setup header.
 * Both get boot_params at GPA_ZERO_PAGE, the command line at GPA_CMDLINE, the
 * initrd page-aligned as high as the kernel allows in low RAM, and the e820
 * map of e820.h.
 *
 * The caller then starts the boot vCPU in 64-bit mode with: paging on and an
 * identity map covering at least the first 4 GiB, a flat GDT with a 64-bit
 * code segment at selector 0x10 and data at 0x18 (CS, DS, ES, SS loaded),
 * interrupts disabled, RIP = entry.rip, RSI = entry.rsi, and the other
 * general registers 0. Give the guest CPUID leaf 1 ECX bit 31 (hypervisor
 * present) with KVM's 0x40000000 leaves: Linux then uses kvm-clock; without
 * it, TSC calibration under nested virtualization (the lab) can stall boot.
 */
#ifndef IOVIRT_BOOT_LINUX_H
#define IOVIRT_BOOT_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "guest-mem.h"

/* The input a failed load is blamed on. */
enum linux_boot_input {
	LINUX_INPUT_NONE,          /* none in particular (too little RAM for any kernel) */
	LINUX_INPUT_KERNEL,
	LINUX_INPUT_INITRD,
	LINUX_INPUT_CMDLINE,
};

struct linux_boot_cfg {
	const char *kernel_path;   /* bzImage or vmlinux */
	const char *initrd_path;   /* NULL: no initrd */
	const char *cmdline;       /* NULL: empty command line */
	uint64_t ram_size;         /* total guest RAM (low RAM + RAM from GPA_RAM_HIGH_START) */
	uint64_t acpi_rsdp_addr;   /* GPA of the ACPI RSDP stored in boot_params, or 0 (Linux scans) */
	enum linux_boot_input *fault; /* NULL, or set by a failed load to the input at fault */
};

enum linux_image_format {
	LINUX_IMAGE_BZIMAGE = 1,
	LINUX_IMAGE_VMLINUX,
};

struct linux_boot_entry {
	uint64_t rip;              /* 64-bit entry point (guest physical = virtual) */
	uint64_t rsi;              /* boot_params GPA = GPA_ZERO_PAGE */
	enum linux_image_format format;
	uint64_t kernel_start;     /* guest-physical range the kernel owns: */
	uint64_t kernel_end;       /* image plus what it needs to decompress and run (exclusive) */
	uint64_t initrd_start;     /* 0 when there is no initrd */
	uint64_t initrd_size;
	uint16_t boot_proto;       /* boot protocol version written in boot_params */
};

/*
 * Load the kernel, initrd and command line of cfg into mem (which must map
 * the guest's RAM as the VM lays it out: low RAM from 0, the rest from
 * GPA_RAM_HIGH_START) and write boot_params. Returns 0 with *entry filled, or
 * -errno: -ENOENT/-EACCES/-EIO and others from opening and reading the
 * files, -EINVAL for one that is not a regular file (refused before it is
 * opened, so a FIFO never blocks); -ENOEXEC for a file that is neither a usable bzImage nor a usable
 * vmlinux (the reason is logged); -ENOMEM when the kernel or initrd does not
 * fit in RAM; -E2BIG for a command line longer than the kernel accepts or a
 * file larger than RAM. On failure *cfg->fault (when set) names the input
 * the error is about.
 */
int linux_boot_load(struct guest_mem *mem, const struct linux_boot_cfg *cfg,
		    struct linux_boot_entry *entry) __must_check;

/*
 * The same, from images already in memory (kernel_path and initrd_path of cfg
 * are ignored; initrd may be NULL with initrd_len 0). Used by tests and fuzzers.
 */
int linux_boot_load_image(struct guest_mem *mem, const struct linux_boot_cfg *cfg,
			  const void *kernel, size_t kernel_len,
			  const void *initrd, size_t initrd_len,
			  struct linux_boot_entry *entry) __must_check;

#endif
