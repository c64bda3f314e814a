#include "boot-linux.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bzimage.h"
#include "e820.h"
#include "elf-load.h"
#include "file.h"
#include "log.h"
#include "memory-map.h"

#define PAGE_SIZE            4096ULL
#define VMLINUX_CMDLINE_MAX  2047     /* x86 COMMAND_LINE_SIZE - 1 */
#define VMLINUX_ALIGN        0x200000 /* CONFIG_PHYSICAL_ALIGN's x86-64 minimum */
#define HEAP_END_PTR         0xde00   /* boot.rst: heap_end 0xe000 - 0x200 */

/* What a format loader hands to the common part. */
struct kernel_layout {
	uint64_t start;            /* guest-physical range the kernel owns */
	uint64_t end;
	uint64_t initrd_addr_max;  /* inclusive */
	uint64_t cmdline_max;      /* without the NUL */
};

/* An initrd in memory (buf) or in a file (fd), len bytes. */
struct initrd_src {
	const void *buf;
	int fd;
	uint64_t len;
};

static bool kernel_range_check(const struct e820_map *map, uint64_t start, uint64_t size,
			       uint64_t ram_size)
{
	if (start < GPA_LEGACY_HOLE_END) {
		log_err("kernel: loads at 0x%llx, below 1 MiB where the boot data lives",
			(unsigned long long)start);
		return false;
	}
	if (!e820_map_is_ram(map, start, size)) {
		log_err("kernel: needs [0x%llx, +0x%llx) of RAM; the guest has %llu MiB",
			(unsigned long long)start, (unsigned long long)size,
			(unsigned long long)(ram_size / MiB));
		return false;
	}
	return true;
}

/* ---- bzImage ---- */

static int bzimage_load(struct guest_mem *mem, const struct e820_map *map, uint64_t ram_size,
			const uint8_t *k, size_t len, struct boot_params *bp,
			struct kernel_layout *l, struct linux_boot_entry *entry)
{
	struct bzimage_info info;
	struct setup_header *h = &bp->hdr;
	int ret;

	ret = bzimage_parse(k, len, &info);
	if (ret)
		return ret;
	if (!kernel_range_check(map, info.load_addr, info.init_size, ram_size))
		return -ENOMEM;
	ret = guest_mem_write(mem, info.load_addr, k + info.payload_offset, info.payload_size);
	if (ret)
		return ret;
	memcpy((uint8_t *)bp + BOOT_HDR_OFFSET, k + BOOT_HDR_OFFSET, info.hdr_len);
	h->type_of_loader = BOOT_LOADER_UNDEFINED;
	h->loadflags = (h->loadflags & ~KEEP_SEGMENTS) | CAN_USE_HEAP;
	h->heap_end_ptr = HEAP_END_PTR;
	h->code32_start = (uint32_t)info.load_addr;
	*l = (struct kernel_layout){ .start = info.load_addr, .end = info.load_addr + info.init_size,
				     .initrd_addr_max = info.initrd_addr_max,
				     .cmdline_max = info.cmdline_max };
	entry->format = LINUX_IMAGE_BZIMAGE;
	entry->rip = info.load_addr + BOOT_ENTRY64_OFFSET;
	entry->boot_proto = info.version;
	log_debug("bzImage: protocol %u.%02u, setup_sects %u, %zu bytes at 0x%llx, init_size 0x%llx",
		  info.version >> 8, info.version & 0xff, info.setup_sects, info.payload_size,
		  (unsigned long long)info.load_addr, (unsigned long long)info.init_size);
	return 0;
}

/* ---- vmlinux (ELF) ---- */

/* A PT_LOAD segment must be consistent, inside the file, and land in RAM above 1 MiB. */
static int vmlinux_segment_check(const Elf64_Phdr *ph, size_t len, const struct e820_map *map,
				 uint64_t ram_size)
{
	int ret = elf_segment_check("vmlinux", ph, len);

	if (ret)
		return ret;
	if (ph->p_paddr < GPA_LEGACY_HOLE_END) {
		log_err("vmlinux: segment at 0x%llx is below 1 MiB, where the boot data lives",
			(unsigned long long)ph->p_paddr);
		return -ENOEXEC;
	}
	return kernel_range_check(map, ph->p_paddr, ph->p_memsz, ram_size) ? 0 : -ENOMEM;
}

static bool elf_segment_holds(uint64_t base, uint64_t size, uint64_t addr)
{
	return addr >= base && addr - base < size;
}

/*
 * The physical entry point: e_entry itself when it lies in an executable
 * segment's physical range (x86 vmlinux links ENTRY(phys_startup_64)),
 * otherwise e_entry translated from the virtual range of the segment holding it.
 */
static int elf_entry_find(const uint8_t *k, const Elf64_Ehdr *eh, uint64_t *rip)
{
	Elf64_Phdr ph;

	for (int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < eh->e_phnum; i++) {
			elf_phdr_get(k, eh, i, &ph);
			if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
				continue;
			if (pass == 0 && elf_segment_holds(ph.p_paddr, ph.p_memsz, eh->e_entry)) {
				*rip = eh->e_entry;
				return 0;
			}
			if (pass == 1 && elf_segment_holds(ph.p_vaddr, ph.p_memsz, eh->e_entry)) {
				*rip = eh->e_entry - ph.p_vaddr + ph.p_paddr;
				return 0;
			}
		}
	}
	log_err("vmlinux: entry point 0x%llx is in no executable segment",
		(unsigned long long)eh->e_entry);
	return -ENOEXEC;
}

/* Check every PT_LOAD segment and compute the range they cover; loads nothing. */
static int elf_segments_check(const uint8_t *k, size_t len, const Elf64_Ehdr *eh,
			      const struct e820_map *map, uint64_t ram_size,
			      struct kernel_layout *l)
{
	Elf64_Phdr ph;
	unsigned int nload = 0;
	int ret;

	l->start = UINT64_MAX;
	l->end = 0;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		elf_phdr_get(k, eh, i, &ph);
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		ret = vmlinux_segment_check(&ph, len, map, ram_size);
		if (ret)
			return ret;
		l->start = MIN(l->start, ph.p_paddr);
		l->end = MAX(l->end, ph.p_paddr + ph.p_memsz);
		nload++;
	}
	if (!nload) {
		log_err("vmlinux: no loadable segment");
		return -ENOEXEC;
	}
	return 0;
}

/* The setup header Linux reads on the 64-bit entry path of the kernel proper. */
static void vmlinux_hdr_fill(struct setup_header *h, const struct kernel_layout *l)
{
	h->boot_flag = BOOT_FLAG_MAGIC;
	h->header = BOOT_HDR_MAGIC;
	h->version = BOOT_PROTO_VMLINUX;
	h->type_of_loader = BOOT_LOADER_UNDEFINED;
	h->loadflags = LOADED_HIGH;
	h->code32_start = (uint32_t)l->start;
	h->kernel_alignment = VMLINUX_ALIGN;
	h->xloadflags = XLF_KERNEL_64;
	h->cmdline_size = VMLINUX_CMDLINE_MAX;
	h->initrd_addr_max = (uint32_t)l->initrd_addr_max;
	h->pref_address = l->start;
	h->init_size = (uint32_t)MIN(l->end - l->start, (uint64_t)UINT32_MAX);
}

static int vmlinux_load(struct guest_mem *mem, const struct e820_map *map, uint64_t ram_size,
			const uint8_t *k, size_t len, struct boot_params *bp,
			struct kernel_layout *l, struct linux_boot_entry *entry)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int ret;

	ret = elf_exec_check("vmlinux", k, len, &eh);
	if (!ret)
		ret = elf_segments_check(k, len, &eh, map, ram_size, l);
	if (!ret)
		ret = elf_entry_find(k, &eh, &entry->rip);
	for (unsigned int i = 0; !ret && i < eh.e_phnum; i++) {
		elf_phdr_get(k, &eh, i, &ph);
		if (ph.p_type == PT_LOAD && ph.p_memsz)
			ret = elf_segment_load("vmlinux", mem, k, &ph);
	}
	if (ret)
		return ret;
	l->initrd_addr_max = UINT32_MAX;
	l->cmdline_max = VMLINUX_CMDLINE_MAX;
	vmlinux_hdr_fill(&bp->hdr, l);
	entry->format = LINUX_IMAGE_VMLINUX;
	entry->boot_proto = BOOT_PROTO_VMLINUX;
	log_debug("vmlinux: [0x%llx, 0x%llx), entry 0x%llx", (unsigned long long)l->start,
		  (unsigned long long)l->end, (unsigned long long)entry->rip);
	return 0;
}

/* ---- common part: command line, initrd, e820, boot_params ---- */

static int cmdline_load(struct guest_mem *mem, const char *cmdline, const struct kernel_layout *l,
			struct boot_params *bp)
{
	size_t n = cmdline ? strnlen(cmdline, GPA_CMDLINE_MAX) : 0;

	if (n > l->cmdline_max) {
		log_err("kernel: command line of %s%zu bytes exceeds the kernel's limit of %llu",
			n == GPA_CMDLINE_MAX ? "at least " : "", n,
			(unsigned long long)l->cmdline_max);
		return -E2BIG;
	}
	bp->hdr.cmd_line_ptr = (uint32_t)GPA_CMDLINE;
	bp->ext_cmd_line_ptr = (uint32_t)(GPA_CMDLINE >> 32);
	if (guest_mem_write(mem, GPA_CMDLINE, cmdline ? cmdline : "", n) ||
	    guest_mem_write(mem, GPA_CMDLINE + n, "", 1))
		return -EFAULT;
	return 0;
}

/* Page-aligned, as high as the kernel allows in low RAM, above the kernel. */
static int initrd_place(uint64_t ram_size, const struct kernel_layout *l, uint64_t len,
			uint64_t *gpa)
{
	uint64_t top = MIN(MIN(ram_size, GPA_RAM_LOW_END), l->initrd_addr_max + 1);
	uint64_t addr;

	if (len > top || (addr = (top - len) & ~(PAGE_SIZE - 1)) < l->end) {
		log_err("initrd: %llu bytes do not fit between the kernel's end (0x%llx) and 0x%llx",
			(unsigned long long)len, (unsigned long long)l->end,
			(unsigned long long)top);
		return -ENOMEM;
	}
	*gpa = addr;
	return 0;
}

static int initrd_load(struct guest_mem *mem, uint64_t ram_size, const struct kernel_layout *l,
		       const struct initrd_src *src, struct boot_params *bp,
		       struct linux_boot_entry *entry)
{
	uint64_t gpa;
	void *dst;
	int ret;

	if (!src->len)
		return 0;
	ret = initrd_place(ram_size, l, src->len, &gpa);
	if (ret)
		return ret;
	dst = gpa_to_hva(mem, gpa, src->len);
	if (!dst)
		return -EFAULT;
	if (src->buf)
		memcpy(dst, src->buf, src->len);
	else if ((ret = file_read_full(src->fd, dst, src->len))) {
		log_err("initrd: read failed: %s", strerror(-ret));
		return ret;
	}
	bp->hdr.ramdisk_image = (uint32_t)gpa;
	bp->ext_ramdisk_image = (uint32_t)(gpa >> 32);
	bp->hdr.ramdisk_size = (uint32_t)src->len;
	bp->ext_ramdisk_size = (uint32_t)(src->len >> 32);
	entry->initrd_start = gpa;
	entry->initrd_size = src->len;
	return 0;
}

static bool is_elf(const uint8_t *k, size_t len)
{
	return len >= SELFMAG && !memcmp(k, ELFMAG, SELFMAG);
}

static bool is_bzimage(const uint8_t *k, size_t len)
{
	static const uint8_t magic[4] = { 'H', 'd', 'r', 'S' };

	return len >= 0x206 && !memcmp(k + 0x202, magic, sizeof(magic));
}

static int kernel_load(struct guest_mem *mem, const struct e820_map *map, uint64_t ram_size,
		       const uint8_t *k, size_t len, struct boot_params *bp,
		       struct kernel_layout *l, struct linux_boot_entry *entry)
{
	if (is_elf(k, len))
		return vmlinux_load(mem, map, ram_size, k, len, bp, l, entry);
	if (is_bzimage(k, len))
		return bzimage_load(mem, map, ram_size, k, len, bp, l, entry);
	log_err("kernel: neither a bzImage (no \"HdrS\" at 0x202) nor an ELF vmlinux");
	return -ENOEXEC;
}

static void fault_set(const struct linux_boot_cfg *cfg, enum linux_boot_input input)
{
	if (cfg->fault)
		*cfg->fault = input;
}

static int linux_load(struct guest_mem *mem, const struct linux_boot_cfg *cfg,
		      const uint8_t *kernel, size_t kernel_len, const struct initrd_src *initrd,
		      struct linux_boot_entry *entry)
{
	struct boot_params *bp;
	struct kernel_layout l;
	struct e820_map map;
	int ret;

	memset(entry, 0, sizeof(*entry));
	fault_set(cfg, LINUX_INPUT_NONE);
	if (e820_map_build(&map, cfg->ram_size)) {
		log_err("kernel: %llu bytes of RAM is too little to boot Linux",
			(unsigned long long)cfg->ram_size);
		return -ENOMEM;
	}
	bp = calloc(1, sizeof(*bp));
	if (!bp)
		return -ENOMEM;
	ret = kernel_load(mem, &map, cfg->ram_size, kernel, kernel_len, bp, &l, entry);
	if (ret)
		fault_set(cfg, LINUX_INPUT_KERNEL);
	if (!ret && (ret = cmdline_load(mem, cfg->cmdline, &l, bp)))
		fault_set(cfg, LINUX_INPUT_CMDLINE);
	if (!ret && (ret = initrd_load(mem, cfg->ram_size, &l, initrd, bp, entry)))
		fault_set(cfg, LINUX_INPUT_INITRD);
	if (!ret) {
		memcpy(bp->e820_table, map.entries, map.n * sizeof(map.entries[0]));
		bp->e820_entries = (uint8_t)map.n;
		bp->acpi_rsdp_addr = cfg->acpi_rsdp_addr;
		ret = guest_mem_write(mem, GPA_ZERO_PAGE, bp, sizeof(*bp));
	}
	free(bp);
	if (ret)
		return ret;
	entry->rsi = GPA_ZERO_PAGE;
	entry->kernel_start = l.start;
	entry->kernel_end = l.end;
	return 0;
}

int linux_boot_load_image(struct guest_mem *mem, const struct linux_boot_cfg *cfg,
			  const void *kernel, size_t kernel_len, const void *initrd,
			  size_t initrd_len, struct linux_boot_entry *entry)
{
	struct initrd_src src = { .buf = initrd, .fd = -1, .len = initrd ? initrd_len : 0 };

	return linux_load(mem, cfg, kernel, kernel_len, &src, entry);
}

/* Open a regular file (never blocking on another kind) no larger than max; -E2BIG when larger. */
static int file_open_bounded(const char *what, const char *path, uint64_t max, uint64_t *size)
{
	struct stat st;
	int fd;

	fd = file_open_regular(path, &st);
	if (fd == -EISDIR || fd == -EINVAL) {
		log_err("%s %s: %s, not a regular file", what, path, file_type_name(st.st_mode));
		return -EINVAL;
	}
	if (fd < 0) {
		log_err("%s %s: %s", what, path, strerror(-fd));
		return fd;
	}
	if ((uint64_t)st.st_size > max) {
		log_err("%s %s: %lld bytes is larger than guest RAM", what, path,
			(long long)st.st_size);
		close(fd);
		return -E2BIG;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

static int kernel_read(const char *path, uint64_t max, uint8_t **buf, size_t *len)
{
	uint64_t size;
	int fd, ret;

	fd = file_open_bounded("kernel", path, max, &size);
	if (fd < 0)
		return fd;
	*buf = malloc(size ? size : 1);
	ret = *buf ? file_read_full(fd, *buf, size) : -ENOMEM;
	close(fd);
	if (ret) {
		log_err("kernel %s: read failed: %s", path, strerror(-ret));
		free(*buf);
		*buf = NULL;
		return ret;
	}
	*len = size;
	return 0;
}

int linux_boot_load(struct guest_mem *mem, const struct linux_boot_cfg *cfg,
		    struct linux_boot_entry *entry)
{
	struct initrd_src src = { .fd = -1 };
	uint8_t *kernel;
	size_t kernel_len;
	int ret;

	fault_set(cfg, LINUX_INPUT_NONE);
	ret = kernel_read(cfg->kernel_path, cfg->ram_size, &kernel, &kernel_len);
	if (ret) {
		fault_set(cfg, LINUX_INPUT_KERNEL);
		return ret;
	}
	if (cfg->initrd_path) {
		src.fd = file_open_bounded("initrd", cfg->initrd_path, cfg->ram_size, &src.len);
		if (src.fd < 0) {
			fault_set(cfg, LINUX_INPUT_INITRD);
			free(kernel);
			return src.fd;
		}
	}
	ret = linux_load(mem, cfg, kernel, kernel_len, &src, entry);
	if (src.fd >= 0)
		close(src.fd);
	free(kernel);
	return ret;
}
