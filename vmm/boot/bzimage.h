/*
 * The x86 Linux boot protocol (Documentation/arch/x86/boot.rst): the setup
 * header of a bzImage, the boot_params "zero page", and a parser that checks
 * a bzImage can be started through the 64-bit entry point.
 *
 * The parser treats the image as hostile: every field is range-checked
 * against the file before use, and nothing is trusted that boot.rst does not
 * guarantee for the announced protocol version.
 */
#ifndef IOVIRT_BZIMAGE_H
#define IOVIRT_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "e820.h"

#define BOOT_HDR_OFFSET        0x1f1   /* setup header offset in the file and in boot_params */
#define BOOT_HDR_MAGIC         0x53726448 /* "HdrS" */
#define BOOT_FLAG_MAGIC        0xaa55
#define BOOT_PROTO_MIN_64BIT   0x0206  /* oldest protocol this loader starts through the 64-bit entry */
#define BOOT_PROTO_VMLINUX     0x020f  /* the version announced in a synthesized header (vmlinux) */
#define BOOT_LOADER_UNDEFINED  0xff    /* type_of_loader of a loader without an assigned id */
#define BOOT_SETUP_SECTS_MAX   64      /* the real-mode setup is at most 32 KiB */
#define BOOT_HDR_END_MAX       0x290   /* boot_params.hdr ends before edd_mbr_sig_buffer */
#define BOOT_ENTRY64_OFFSET    0x200   /* 64-bit entry: protected-mode load address + 0x200 */
#define BOOT_CMDLINE_SIZE_OLD  255     /* command line limit before protocol 2.06 */
#define BOOT_INITRD_MAX_OLD    0x37ffffff /* initrd_addr_max before protocol 2.03 */

/* loadflags */
#define LOADED_HIGH     (1 << 0)
#define KASLR_FLAG      (1 << 1)
#define QUIET_FLAG      (1 << 5)
#define KEEP_SEGMENTS   (1 << 6)
#define CAN_USE_HEAP    (1 << 7)

/* xloadflags */
#define XLF_KERNEL_64              (1 << 0)
#define XLF_CAN_BE_LOADED_ABOVE_4G (1 << 1)

struct setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;
	uint16_t jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
} __attribute__((packed));

/* The zero page. Only the fields a loader writes are named; the rest is padding. */
struct boot_params {
	uint8_t _pad0[0x070];
	uint64_t acpi_rsdp_addr;               /* 0x070 */
	uint8_t _pad1[0x0c0 - 0x078];
	uint32_t ext_ramdisk_image;            /* 0x0c0 */
	uint32_t ext_ramdisk_size;             /* 0x0c4 */
	uint32_t ext_cmd_line_ptr;             /* 0x0c8 */
	uint8_t _pad2[0x1e8 - 0x0cc];
	uint8_t e820_entries;                  /* 0x1e8 */
	uint8_t _pad3[0x1ef - 0x1e9];
	uint8_t sentinel;                      /* 0x1ef */
	uint8_t _pad4[BOOT_HDR_OFFSET - 0x1f0];
	struct setup_header hdr;               /* 0x1f1 */
	uint8_t _pad5[0x2d0 - BOOT_HDR_OFFSET - sizeof(struct setup_header)];
	struct e820_entry e820_table[E820_MAX_ENTRIES]; /* 0x2d0 */
	uint8_t _pad6[0x1000 - 0x2d0 - E820_MAX_ENTRIES * sizeof(struct e820_entry)];
} __attribute__((packed));

/* What bzimage_parse() found: everything the loader needs, already validated. */
struct bzimage_info {
	uint16_t version;          /* boot protocol version, e.g. 0x020f */
	unsigned int setup_sects;  /* real-mode setup sectors (0 in the file means 4) */
	size_t hdr_len;            /* bytes of setup header to copy from offset 0x1f1 */
	size_t payload_offset;     /* protected-mode kernel: offset in the file ... */
	size_t payload_size;       /* ... and length */
	uint64_t load_addr;        /* where the protected-mode kernel goes */
	uint64_t init_size;        /* bytes the kernel needs from load_addr while it decompresses and runs */
	uint64_t initrd_addr_max;  /* highest address the initrd may occupy (inclusive) */
	uint64_t cmdline_max;      /* longest command line in bytes, without the NUL */
	uint16_t xloadflags;
	bool relocatable;
	struct setup_header hdr;   /* copy of the image's header; zero past hdr_len */
};

/*
 * Parse a bzImage held in [image, image + len). Returns 0 with *info filled,
 * or -ENOEXEC (not a bzImage, or one that cannot use the 64-bit entry point)
 * with the reason logged.
 */
int bzimage_parse(const void *image, size_t len, struct bzimage_info *info) __must_check;

#endif
