#include "bzimage.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "log.h"
#include "memory-map.h"

static_assert(sizeof(struct boot_params) == 0x1000, "boot_params is one page");
static_assert(offsetof(struct boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
static_assert(offsetof(struct boot_params, ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
static_assert(offsetof(struct boot_params, e820_entries) == 0x1e8, "e820_entries");
static_assert(offsetof(struct boot_params, sentinel) == 0x1ef, "sentinel");
static_assert(offsetof(struct boot_params, hdr) == BOOT_HDR_OFFSET, "hdr");
static_assert(offsetof(struct boot_params, hdr.header) == 0x202, "hdr.header");
static_assert(offsetof(struct boot_params, hdr.cmd_line_ptr) == 0x228, "cmd_line_ptr");
static_assert(offsetof(struct boot_params, hdr.xloadflags) == 0x236, "xloadflags");
static_assert(offsetof(struct boot_params, hdr.pref_address) == 0x258, "pref_address");
static_assert(offsetof(struct boot_params, hdr.kernel_info_offset) == 0x268, "kernel_info_offset");
static_assert(offsetof(struct boot_params, e820_table) == 0x2d0, "e820_table");

#define SECTOR 512
#define HDR_FIELD_END(f) (offsetof(struct setup_header, f) + sizeof(((struct setup_header *)0)->f))

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* The header bytes the image announces (its jump at 0x200 skips them), bounded by file and boot_params. */
static int hdr_copy(const uint8_t *p, size_t len, struct bzimage_info *info)
{
	size_t end;

	if (len < HDR_FIELD_END(version) + BOOT_HDR_OFFSET) {
		log_err("bzImage: %zu bytes is too small for a setup header", len);
		return -ENOEXEC;
	}
	end = MIN(0x202 + (size_t)p[0x201], (size_t)BOOT_HDR_END_MAX);
	if (end > len) {
		log_err("bzImage: setup header (to 0x%zx) runs past the end of the file", end);
		return -ENOEXEC;
	}
	info->hdr_len = end - BOOT_HDR_OFFSET;
	memset(&info->hdr, 0, sizeof(info->hdr));
	memcpy(&info->hdr, p + BOOT_HDR_OFFSET, MIN(info->hdr_len, sizeof(info->hdr)));
	return 0;
}

/* Which header fields a protocol version promises, so that they must lie inside hdr_len. */
static size_t hdr_len_needed(uint16_t version)
{
	if (version >= 0x020a)
		return HDR_FIELD_END(init_size);
	return HDR_FIELD_END(cmdline_size);
}

static int hdr_check(const struct bzimage_info *info)
{
	const struct setup_header *h = &info->hdr;

	if (h->header != BOOT_HDR_MAGIC) {
		log_err("bzImage: no \"HdrS\" magic at 0x202");
		return -ENOEXEC;
	}
	if (h->boot_flag != BOOT_FLAG_MAGIC) {
		log_err("bzImage: boot_flag is 0x%04x, not 0xaa55", h->boot_flag);
		return -ENOEXEC;
	}
	if (h->version < BOOT_PROTO_MIN_64BIT) {
		log_err("bzImage: boot protocol %u.%02u is older than 2.06", h->version >> 8,
			h->version & 0xff);
		return -ENOEXEC;
	}
	if (info->hdr_len < hdr_len_needed(h->version)) {
		log_err("bzImage: setup header of %zu bytes is too short for protocol %u.%02u",
			info->hdr_len, h->version >> 8, h->version & 0xff);
		return -ENOEXEC;
	}
	if (!(h->loadflags & LOADED_HIGH)) {
		log_err("bzImage: not loaded high (a zImage); no 64-bit entry");
		return -ENOEXEC;
	}
	if (h->version >= 0x020c && !(h->xloadflags & XLF_KERNEL_64)) {
		log_err("bzImage: xloadflags lacks XLF_KERNEL_64: not a 64-bit kernel");
		return -ENOEXEC;
	}
	return 0;
}

static int payload_locate(size_t len, struct bzimage_info *info)
{
	const struct setup_header *h = &info->hdr;
	uint64_t sys_bytes = (uint64_t)h->syssize * 16;

	info->setup_sects = h->setup_sects ? h->setup_sects : 4;
	if (info->setup_sects > BOOT_SETUP_SECTS_MAX) {
		log_err("bzImage: setup_sects %u is implausible (max %u)", info->setup_sects,
			BOOT_SETUP_SECTS_MAX);
		return -ENOEXEC;
	}
	info->payload_offset = (size_t)(info->setup_sects + 1) * SECTOR;
	if (info->payload_offset >= len) {
		log_err("bzImage: file ends (%zu bytes) before the protected-mode kernel at 0x%zx", len,
			info->payload_offset);
		return -ENOEXEC;
	}
	info->payload_size = len - info->payload_offset;
	/* syssize counts 16-byte paragraphs, rounded up: a file shorter than that is truncated. */
	if (!sys_bytes || sys_bytes > info->payload_size + 15) {
		log_err("bzImage: syssize says %llu bytes of kernel, the file has %zu (truncated?)",
			(unsigned long long)sys_bytes, info->payload_size);
		return -ENOEXEC;
	}
	return 0;
}

static int placement_compute(struct bzimage_info *info)
{
	const struct setup_header *h = &info->hdr;
	uint64_t align = h->kernel_alignment;

	info->relocatable = h->relocatable_kernel;
	if (info->relocatable && (!is_pow2(align) || align < 4096 || align > GiB)) {
		log_err("bzImage: kernel_alignment 0x%x is not a power of two in [4 KiB, 1 GiB]",
			h->kernel_alignment);
		return -ENOEXEC;
	}
	if (h->version >= 0x020a && h->pref_address >= GPA_LEGACY_HOLE_END &&
	    (!info->relocatable || !(h->pref_address & (align - 1))))
		info->load_addr = h->pref_address;
	else if (info->relocatable)
		info->load_addr = (GPA_KERNEL_DEFAULT + align - 1) & ~(align - 1);
	else
		info->load_addr = GPA_LEGACY_HOLE_END;
	/* Before 2.10 the image does not say what it needs to decompress: assume 4 times its size. */
	info->init_size = h->version >= 0x020a ? h->init_size : (uint64_t)info->payload_size * 4;
	info->init_size = MAX(info->init_size, (uint64_t)info->payload_size);
	return 0;
}

int bzimage_parse(const void *image, size_t len, struct bzimage_info *info)
{
	const struct setup_header *h = &info->hdr;
	int ret;

	memset(info, 0, sizeof(*info));
	ret = hdr_copy(image, len, info);
	if (!ret)
		ret = hdr_check(info);
	if (!ret)
		ret = payload_locate(len, info);
	if (!ret)
		ret = placement_compute(info);
	if (ret)
		return ret;
	info->version = h->version;
	info->xloadflags = h->version >= 0x020c ? h->xloadflags : 0;
	info->initrd_addr_max = h->initrd_addr_max;
	info->cmdline_max = MIN((uint64_t)h->cmdline_size, GPA_CMDLINE_MAX - 1);
	return 0;
}
