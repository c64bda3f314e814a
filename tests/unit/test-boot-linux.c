/*
 * The Linux loader: synthetic bzImage and vmlinux images built here, hostile
 * variants of both, the file front end, and (with --debian) the real Debian
 * kernel named by IOVIRT_TEST_BZIMAGE / IOVIRT_TEST_VMLINUX.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot-linux.h"
#include "bzimage.h"
#include "e820.h"
#include "log.h"
#include "memory-map.h"

#define RAM_DEFAULT    (256 * MiB)
#define PAYLOAD_LEN    8192
#define SETUP_SECTS    4
#define KERNEL_VIRT    0xffffffff81000000ULL
#define KERNEL_PHYS    0x1000000ULL
#define KMAP_OFFSET    (KERNEL_VIRT - KERNEL_PHYS)

struct vm {
	struct guest_mem mem;
	uint8_t *low;
	uint8_t *high;
	uint64_t ram;
};

static void vm_init(struct vm *vm, uint64_t ram)
{
	uint64_t low = MIN(ram, GPA_RAM_LOW_END);

	memset(vm, 0, sizeof(*vm));
	vm->ram = ram;
	vm->low = calloc(1, low);
	assert_non_null(vm->low);
	assert_int_equal(guest_mem_add(&vm->mem, 0, low, vm->low, -1, 0), 0);
	if (ram > GPA_RAM_LOW_END) {
		vm->high = calloc(1, ram - GPA_RAM_LOW_END);
		assert_non_null(vm->high);
		assert_int_equal(guest_mem_add(&vm->mem, GPA_RAM_HIGH_START, ram - GPA_RAM_LOW_END,
					       vm->high, -1, 0), 0);
	}
}

static void vm_free(struct vm *vm)
{
	free(vm->low);
	free(vm->high);
}

static struct boot_params *vm_bp(struct vm *vm)
{
	return gpa_to_hva(&vm->mem, GPA_ZERO_PAGE, sizeof(struct boot_params));
}

static int load(struct vm *vm, const void *k, size_t klen, const void *initrd, size_t ilen,
		const char *cmdline, struct linux_boot_entry *e)
{
	struct linux_boot_cfg cfg = { .cmdline = cmdline, .ram_size = vm->ram,
				      .acpi_rsdp_addr = GPA_ACPI_RSDP };

	return linux_boot_load_image(&vm->mem, &cfg, k, klen, initrd, ilen, e);
}

/* ---- synthetic bzImage ---- */

struct bz {
	uint8_t *buf;
	size_t len;
	struct setup_header *h;
};

static void bz_make(struct bz *bz, unsigned int setup_sects, size_t payload)
{
	unsigned int sects = setup_sects ? setup_sects : 4;

	bz->len = (sects + 1) * 512 + payload;
	bz->buf = calloc(1, bz->len);
	assert_non_null(bz->buf);
	bz->h = (struct setup_header *)(bz->buf + BOOT_HDR_OFFSET);
	bz->h->setup_sects = (uint8_t)setup_sects;
	bz->h->boot_flag = BOOT_FLAG_MAGIC;
	bz->buf[0x200] = 0xeb;      /* jmp over the header, to 0x26c */
	bz->buf[0x201] = 0x6a;
	bz->h->header = BOOT_HDR_MAGIC;
	bz->h->version = 0x020f;
	bz->h->loadflags = LOADED_HIGH;
	bz->h->syssize = (uint32_t)((payload + 15) / 16);
	bz->h->initrd_addr_max = 0x7fffffff;
	bz->h->kernel_alignment = 0x200000;
	bz->h->relocatable_kernel = 1;
	bz->h->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	bz->h->cmdline_size = 2047;
	bz->h->pref_address = KERNEL_PHYS;
	bz->h->init_size = 4 * MiB;
	for (size_t i = 0; i < payload; i++)
		bz->buf[(sects + 1) * 512 + i] = (uint8_t)(i * 7 + 3);
}

static int bz_load(struct vm *vm, struct bz *bz, struct linux_boot_entry *e)
{
	return load(vm, bz->buf, bz->len, NULL, 0, "console=ttyS0", e);
}

static void test_bzimage_ok(void **state)
{
	static const char cmdline[] = "console=ttyS0 panic=-1";
	uint8_t initrd[10000];
	struct linux_boot_entry e;
	struct e820_map map;
	struct boot_params *bp;
	struct vm vm;
	struct bz bz;

	vm_init(&vm, RAM_DEFAULT);
	bz_make(&bz, SETUP_SECTS, PAYLOAD_LEN);
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	assert_int_equal(load(&vm, bz.buf, bz.len, initrd, sizeof(initrd), cmdline, &e), 0);
	assert_int_equal(e.format, LINUX_IMAGE_BZIMAGE);
	assert_int_equal(e.rip, KERNEL_PHYS + 0x200);
	assert_int_equal(e.rsi, GPA_ZERO_PAGE);
	assert_int_equal(e.kernel_start, KERNEL_PHYS);
	assert_int_equal(e.kernel_end, KERNEL_PHYS + 4 * MiB);
	assert_memory_equal(vm.low + KERNEL_PHYS, bz.buf + (SETUP_SECTS + 1) * 512, PAYLOAD_LEN);

	bp = vm_bp(&vm);
	assert_int_equal(bp->hdr.header, BOOT_HDR_MAGIC);
	assert_int_equal(bp->hdr.version, 0x020f);
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_int_equal(bp->hdr.loadflags & (LOADED_HIGH | CAN_USE_HEAP), LOADED_HIGH | CAN_USE_HEAP);
	assert_int_equal(bp->hdr.cmdline_size, 2047);
	assert_int_equal(bp->hdr.cmd_line_ptr, GPA_CMDLINE);
	assert_string_equal((char *)vm.low + GPA_CMDLINE, cmdline);
	assert_int_equal(bp->sentinel, 0);
	assert_int_equal(bp->acpi_rsdp_addr, GPA_ACPI_RSDP);

	/* initrd: page-aligned, at the top of RAM, above the kernel, intact */
	assert_int_equal(bp->hdr.ramdisk_image, e.initrd_start);
	assert_int_equal(bp->hdr.ramdisk_size, sizeof(initrd));
	assert_int_equal(bp->ext_ramdisk_image, 0);
	assert_int_equal(e.initrd_start % 4096, 0);
	assert_true(e.initrd_start >= e.kernel_end);
	assert_true(e.initrd_start + sizeof(initrd) <= RAM_DEFAULT);
	assert_true(RAM_DEFAULT - (e.initrd_start + sizeof(initrd)) < 4096);
	assert_memory_equal(vm.low + e.initrd_start, initrd, sizeof(initrd));

	/* e820 as e820_map_build() makes it */
	assert_int_equal(e820_map_build(&map, RAM_DEFAULT), 0);
	assert_int_equal(bp->e820_entries, map.n);
	assert_memory_equal(bp->e820_table, map.entries, map.n * sizeof(map.entries[0]));
	free(bz.buf);
	vm_free(&vm);
}

static void test_bzimage_setup_sects_zero(void **state)
{
	struct linux_boot_entry e;
	struct vm vm;
	struct bz bz;

	vm_init(&vm, RAM_DEFAULT);
	bz_make(&bz, 0, PAYLOAD_LEN);
	assert_int_equal(bz_load(&vm, &bz, &e), 0);
	/* setup_sects 0 means 4: the payload starts at 5 * 512 */
	assert_memory_equal(vm.low + KERNEL_PHYS, bz.buf + 5 * 512, PAYLOAD_LEN);
	free(bz.buf);
	vm_free(&vm);
}

static void test_bzimage_placement(void **state)
{
	struct linux_boot_entry e;
	struct vm vm;
	struct bz bz;

	vm_init(&vm, RAM_DEFAULT);
	bz_make(&bz, SETUP_SECTS, PAYLOAD_LEN);
	/* relocatable, no usable pref_address: 16 MiB aligned up to kernel_alignment */
	bz.h->pref_address = 0;
	bz.h->kernel_alignment = 0x2000000;
	assert_int_equal(bz_load(&vm, &bz, &e), 0);
	assert_int_equal(e.rip, 0x2000000 + 0x200);
	/* not relocatable: pref_address as it is */
	bz.h->relocatable_kernel = 0;
	bz.h->pref_address = 0x300000;
	assert_int_equal(bz_load(&vm, &bz, &e), 0);
	assert_int_equal(e.rip, 0x300000 + 0x200);
	/* initrd_addr_max below the top of RAM is respected */
	bz.h->initrd_addr_max = 0x4000000 - 1;
	assert_int_equal(load(&vm, bz.buf, bz.len, "xyz", 3, NULL, &e), 0);
	assert_int_equal(e.initrd_start, 0x4000000 - 4096);
	assert_string_equal((char *)vm.low + GPA_CMDLINE, "");
	free(bz.buf);
	vm_free(&vm);
}

/* Apply one corruption to a fresh image and expect the given error. */
static void bz_expect(void (*corrupt)(struct bz *), int expected)
{
	struct linux_boot_entry e;
	struct vm vm;
	struct bz bz;

	vm_init(&vm, RAM_DEFAULT);
	bz_make(&bz, SETUP_SECTS, PAYLOAD_LEN);
	corrupt(&bz);
	assert_int_equal(bz_load(&vm, &bz, &e), expected);
	free(bz.buf);
	vm_free(&vm);
}

static void bz_bad_magic(struct bz *bz) { bz->h->header = 0x53726449; }
static void bz_bad_boot_flag(struct bz *bz) { bz->h->boot_flag = 0x55aa; }
static void bz_old_proto(struct bz *bz) { bz->h->version = 0x0205; }
static void bz_no_kernel64(struct bz *bz) { bz->h->xloadflags = 0; }
static void bz_zimage(struct bz *bz) { bz->h->loadflags = 0; }
static void bz_huge_setup_sects(struct bz *bz) { bz->h->setup_sects = 200; }
static void bz_bad_align(struct bz *bz) { bz->h->kernel_alignment = 0x300000; bz->h->pref_address = 0; }
static void bz_zero_align(struct bz *bz) { bz->h->kernel_alignment = 0; }
static void bz_truncated_payload(struct bz *bz) { bz->len -= 64; }
static void bz_truncated_header(struct bz *bz) { bz->len = 0x220; }
static void bz_truncated_setup(struct bz *bz) { bz->len = (SETUP_SECTS + 1) * 512; }
static void bz_tiny(struct bz *bz) { bz->len = 0x204; }
static void bz_header_past_eof(struct bz *bz) { bz->buf[0x201] = 0xff; bz->len = 0x250; }
static void bz_short_header(struct bz *bz) { bz->buf[0x201] = 0x20; }
static void bz_zero_syssize(struct bz *bz) { bz->h->syssize = 0; }
static void bz_huge_syssize(struct bz *bz) { bz->h->syssize = UINT32_MAX; }
static void bz_init_size_too_big(struct bz *bz) { bz->h->init_size = UINT32_MAX; }
static void bz_pref_wraps(struct bz *bz)
{
	bz->h->pref_address = 0xffffffffffe00000ULL;
}

static void test_bzimage_hostile(void **state)
{
	bz_expect(bz_bad_magic, -ENOEXEC);
	bz_expect(bz_bad_boot_flag, -ENOEXEC);
	bz_expect(bz_old_proto, -ENOEXEC);
	bz_expect(bz_no_kernel64, -ENOEXEC);
	bz_expect(bz_zimage, -ENOEXEC);
	bz_expect(bz_huge_setup_sects, -ENOEXEC);
	bz_expect(bz_bad_align, -ENOEXEC);
	bz_expect(bz_zero_align, -ENOEXEC);
	bz_expect(bz_truncated_payload, -ENOEXEC);
	bz_expect(bz_truncated_header, -ENOEXEC);
	bz_expect(bz_truncated_setup, -ENOEXEC);
	bz_expect(bz_tiny, -ENOEXEC);
	bz_expect(bz_header_past_eof, -ENOEXEC);
	bz_expect(bz_short_header, -ENOEXEC);
	bz_expect(bz_zero_syssize, -ENOEXEC);
	bz_expect(bz_huge_syssize, -ENOEXEC);
	bz_expect(bz_init_size_too_big, -ENOMEM);
	bz_expect(bz_pref_wraps, -ENOMEM);
}

static void test_bzimage_cmdline_limit(void **state)
{
	struct linux_boot_entry e;
	struct vm vm;
	struct bz bz;
	char *cmd;

	vm_init(&vm, RAM_DEFAULT);
	bz_make(&bz, SETUP_SECTS, PAYLOAD_LEN);
	bz.h->cmdline_size = 100;
	cmd = malloc(GPA_CMDLINE_MAX + 10);
	assert_non_null(cmd);
	memset(cmd, 'a', 100);
	cmd[100] = 0;
	assert_int_equal(load(&vm, bz.buf, bz.len, NULL, 0, cmd, &e), 0);
	assert_int_equal(strlen((char *)vm.low + GPA_CMDLINE), 100);
	cmd[100] = 'a';
	cmd[101] = 0;
	assert_int_equal(load(&vm, bz.buf, bz.len, NULL, 0, cmd, &e), -E2BIG);
	/* a header that allows more than the command-line buffer is clamped to the buffer */
	bz.h->cmdline_size = UINT32_MAX;
	memset(cmd, 'b', GPA_CMDLINE_MAX + 9);
	cmd[GPA_CMDLINE_MAX + 9] = 0;
	assert_int_equal(load(&vm, bz.buf, bz.len, NULL, 0, cmd, &e), -E2BIG);
	cmd[GPA_CMDLINE_MAX - 1] = 0;
	assert_int_equal(load(&vm, bz.buf, bz.len, NULL, 0, cmd, &e), 0);
	free(cmd);
	free(bz.buf);
	vm_free(&vm);
}

static void test_initrd_does_not_fit(void **state)
{
	struct linux_boot_entry e;
	struct vm vm;
	struct bz bz;
	uint8_t *initrd;
	size_t big = 40 * MiB;

	vm_init(&vm, 64 * MiB);
	bz_make(&bz, SETUP_SECTS, PAYLOAD_LEN);
	initrd = calloc(1, big);
	assert_non_null(initrd);
	/* larger than the RAM between the kernel's end (28 MiB) and the top (64 MiB) */
	bz.h->init_size = 12 * MiB;
	assert_int_equal(load(&vm, bz.buf, bz.len, initrd, big, NULL, &e), -ENOMEM);
	/* larger than RAM itself */
	assert_int_equal(load(&vm, bz.buf, bz.len, initrd, 128 * MiB, NULL, &e), -ENOMEM);
	/* fits */
	bz.h->init_size = 4 * MiB;
	assert_int_equal(load(&vm, bz.buf, bz.len, initrd, big, NULL, &e), 0);
	assert_true(e.initrd_start >= e.kernel_end);
	free(initrd);
	free(bz.buf);
	vm_free(&vm);
}

static void test_ram_too_small(void **state)
{
	struct linux_boot_entry e;
	struct vm vm;
	struct bz bz;

	vm_init(&vm, MiB);
	bz_make(&bz, SETUP_SECTS, PAYLOAD_LEN);
	assert_int_equal(bz_load(&vm, &bz, &e), -ENOMEM);
	vm_free(&vm);
	/* 18 MiB holds the 16 MiB load address but not init_size (4 MiB) */
	vm_init(&vm, 18 * MiB);
	assert_int_equal(bz_load(&vm, &bz, &e), -ENOMEM);
	free(bz.buf);
	vm_free(&vm);
}

/* ---- synthetic vmlinux ---- */

#define ELF_TEXT_LEN  0x3000
#define ELF_DATA_LEN  0x1000
#define ELF_BSS_LEN   0x5000

struct elf {
	uint8_t *buf;
	size_t len;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;   /* [0] text, [1] data + bss, [2] note */
};

static void elf_make(struct elf *f)
{
	size_t text_off = 0x1000, data_off = text_off + ELF_TEXT_LEN;

	f->len = data_off + ELF_DATA_LEN;
	f->buf = calloc(1, f->len);
	assert_non_null(f->buf);
	f->eh = (Elf64_Ehdr *)f->buf;
	f->ph = (Elf64_Phdr *)(f->buf + sizeof(Elf64_Ehdr));
	memcpy(f->eh->e_ident, ELFMAG, SELFMAG);
	f->eh->e_ident[EI_CLASS] = ELFCLASS64;
	f->eh->e_ident[EI_DATA] = ELFDATA2LSB;
	f->eh->e_ident[EI_VERSION] = EV_CURRENT;
	f->eh->e_type = ET_EXEC;
	f->eh->e_machine = EM_X86_64;
	f->eh->e_version = EV_CURRENT;
	f->eh->e_entry = KERNEL_PHYS + 0x40;
	f->eh->e_phoff = sizeof(Elf64_Ehdr);
	f->eh->e_ehsize = sizeof(Elf64_Ehdr);
	f->eh->e_phentsize = sizeof(Elf64_Phdr);
	f->eh->e_phnum = 3;
	f->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = text_off,
				 .p_vaddr = KERNEL_VIRT, .p_paddr = KERNEL_PHYS,
				 .p_filesz = ELF_TEXT_LEN, .p_memsz = ELF_TEXT_LEN };
	f->ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = data_off,
				 .p_vaddr = KERNEL_VIRT + 0x200000, .p_paddr = KERNEL_PHYS + 0x200000,
				 .p_filesz = ELF_DATA_LEN, .p_memsz = ELF_DATA_LEN + ELF_BSS_LEN };
	f->ph[2] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = UINT64_MAX, .p_filesz = UINT64_MAX };
	for (size_t i = text_off; i < f->len; i++)
		f->buf[i] = (uint8_t)(i * 13 + 1);
}

static void test_vmlinux_ok(void **state)
{
	struct linux_boot_entry e;
	struct boot_params *bp;
	struct vm vm;
	struct elf f;
	uint8_t zeros[ELF_BSS_LEN] = { 0 };

	vm_init(&vm, RAM_DEFAULT);
	memset(vm.low + KERNEL_PHYS, 0xaa, 4 * MiB);   /* the bss must come out zeroed */
	elf_make(&f);
	assert_int_equal(load(&vm, f.buf, f.len, "init", 4, "root=/dev/ram0", &e), 0);
	assert_int_equal(e.format, LINUX_IMAGE_VMLINUX);
	assert_int_equal(e.rip, KERNEL_PHYS + 0x40);
	assert_int_equal(e.rsi, GPA_ZERO_PAGE);
	assert_int_equal(e.kernel_start, KERNEL_PHYS);
	assert_int_equal(e.kernel_end, KERNEL_PHYS + 0x200000 + ELF_DATA_LEN + ELF_BSS_LEN);
	assert_memory_equal(vm.low + KERNEL_PHYS, f.buf + 0x1000, ELF_TEXT_LEN);
	assert_memory_equal(vm.low + KERNEL_PHYS + 0x200000, f.buf + 0x1000 + ELF_TEXT_LEN,
			    ELF_DATA_LEN);
	assert_memory_equal(vm.low + KERNEL_PHYS + 0x200000 + ELF_DATA_LEN, zeros, ELF_BSS_LEN);

	bp = vm_bp(&vm);
	assert_int_equal(bp->hdr.header, BOOT_HDR_MAGIC);
	assert_int_equal(bp->hdr.boot_flag, BOOT_FLAG_MAGIC);
	assert_true(bp->hdr.version >= 0x020c);
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_true(bp->hdr.loadflags & LOADED_HIGH);
	assert_int_equal(bp->hdr.cmd_line_ptr, GPA_CMDLINE);
	assert_int_equal(bp->hdr.cmdline_size, 2047);
	assert_true(bp->hdr.kernel_alignment >= 0x200000);
	assert_string_equal((char *)vm.low + GPA_CMDLINE, "root=/dev/ram0");
	assert_int_equal(bp->hdr.ramdisk_image, e.initrd_start);
	assert_int_equal(bp->hdr.ramdisk_size, 4);
	assert_memory_equal(vm.low + e.initrd_start, "init", 4);
	assert_true(bp->e820_entries >= 5);
	free(f.buf);
	vm_free(&vm);
}

static void test_vmlinux_virtual_entry(void **state)
{
	struct linux_boot_entry e;
	struct vm vm;
	struct elf f;

	vm_init(&vm, RAM_DEFAULT);
	elf_make(&f);
	f.eh->e_entry = KERNEL_VIRT + 0x123;
	assert_int_equal(load(&vm, f.buf, f.len, NULL, 0, NULL, &e), 0);
	assert_int_equal(e.rip, KERNEL_PHYS + 0x123);
	/* an entry in a segment that is not executable is refused */
	f.eh->e_entry = KERNEL_VIRT + 0x200010;
	assert_int_equal(load(&vm, f.buf, f.len, NULL, 0, NULL, &e), -ENOEXEC);
	free(f.buf);
	vm_free(&vm);
}

static void elf_expect(void (*corrupt)(struct elf *), int expected)
{
	struct linux_boot_entry e;
	struct vm vm;
	struct elf f;

	vm_init(&vm, RAM_DEFAULT);
	elf_make(&f);
	corrupt(&f);
	assert_int_equal(load(&vm, f.buf, f.len, NULL, 0, NULL, &e), expected);
	free(f.buf);
	vm_free(&vm);
}

static void elf_seg_past_ram(struct elf *f) { f->ph[1].p_paddr = RAM_DEFAULT - 0x1000; }
static void elf_seg_in_hole(struct elf *f) { f->ph[1].p_paddr = GPA_PCI_ECAM; }
static void elf_seg_low(struct elf *f) { f->ph[1].p_paddr = GPA_ZERO_PAGE; }
static void elf_seg_wraps(struct elf *f) { f->ph[1].p_paddr = UINT64_MAX - 0x1000; }
static void elf_memsz_huge(struct elf *f) { f->ph[1].p_memsz = UINT64_MAX; }
static void elf_past_eof(struct elf *f) { f->ph[1].p_filesz = ELF_DATA_LEN + 1; f->ph[1].p_memsz = 0x10000; }
static void elf_offset_huge(struct elf *f) { f->ph[1].p_offset = UINT64_MAX - 10; }
static void elf_filesz_gt_memsz(struct elf *f) { f->ph[1].p_memsz = 10; }
static void elf_phoff_past_eof(struct elf *f) { f->eh->e_phoff = f->len - 8; }
static void elf_phoff_huge(struct elf *f) { f->eh->e_phoff = UINT64_MAX - 8; }
static void elf_phnum_huge(struct elf *f) { f->eh->e_phnum = 0xffff; }
static void elf_phnum_zero(struct elf *f) { f->eh->e_phnum = 0; }
static void elf_phentsize(struct elf *f) { f->eh->e_phentsize = 32; }
static void elf_class32(struct elf *f) { f->eh->e_ident[EI_CLASS] = ELFCLASS32; }
static void elf_big_endian(struct elf *f) { f->eh->e_ident[EI_DATA] = ELFDATA2MSB; }
static void elf_arm(struct elf *f) { f->eh->e_machine = EM_AARCH64; }
static void elf_dyn(struct elf *f) { f->eh->e_type = ET_DYN; }
static void elf_entry_outside(struct elf *f) { f->eh->e_entry = 0x5000000; }
static void elf_no_load(struct elf *f) { f->ph[0].p_type = PT_NULL; f->ph[1].p_type = PT_NULL; }
static void elf_truncated(struct elf *f) { f->len = 40; }
static void elf_truncated_phdrs(struct elf *f) { f->len = sizeof(Elf64_Ehdr) + 10; }

static void test_vmlinux_hostile(void **state)
{
	elf_expect(elf_seg_past_ram, -ENOMEM);
	elf_expect(elf_seg_in_hole, -ENOMEM);
	elf_expect(elf_seg_low, -ENOEXEC);
	elf_expect(elf_seg_wraps, -ENOEXEC);
	elf_expect(elf_memsz_huge, -ENOEXEC);
	elf_expect(elf_past_eof, -ENOEXEC);
	elf_expect(elf_offset_huge, -ENOEXEC);
	elf_expect(elf_filesz_gt_memsz, -ENOEXEC);
	elf_expect(elf_phoff_past_eof, -ENOEXEC);
	elf_expect(elf_phoff_huge, -ENOEXEC);
	elf_expect(elf_phnum_huge, -ENOEXEC);
	elf_expect(elf_phnum_zero, -ENOEXEC);
	elf_expect(elf_phentsize, -ENOEXEC);
	elf_expect(elf_class32, -ENOEXEC);
	elf_expect(elf_big_endian, -ENOEXEC);
	elf_expect(elf_arm, -ENOEXEC);
	elf_expect(elf_dyn, -ENOEXEC);
	elf_expect(elf_entry_outside, -ENOEXEC);
	elf_expect(elf_no_load, -ENOEXEC);
	elf_expect(elf_truncated, -ENOEXEC);
	elf_expect(elf_truncated_phdrs, -ENOEXEC);
}

static void test_vmlinux_cmdline_limit(void **state)
{
	struct linux_boot_entry e;
	char cmd[2049];
	struct vm vm;
	struct elf f;

	vm_init(&vm, RAM_DEFAULT);
	elf_make(&f);
	memset(cmd, 'c', sizeof(cmd) - 1);
	cmd[2047] = 0;
	assert_int_equal(load(&vm, f.buf, f.len, NULL, 0, cmd, &e), 0);
	cmd[2047] = 'c';
	cmd[2048] = 0;
	assert_int_equal(load(&vm, f.buf, f.len, NULL, 0, cmd, &e), -E2BIG);
	free(f.buf);
	vm_free(&vm);
}

static void test_not_a_kernel(void **state)
{
	static const char text[] = "#!/bin/sh\necho this is not a kernel\n";
	struct linux_boot_entry e;
	struct vm vm;

	vm_init(&vm, RAM_DEFAULT);
	assert_int_equal(load(&vm, text, sizeof(text), NULL, 0, NULL, &e), -ENOEXEC);
	assert_int_equal(load(&vm, text, 0, NULL, 0, NULL, &e), -ENOEXEC);
	vm_free(&vm);
}

/* Deterministic mutations of valid images: every result is 0 or a documented error, never a crash. */
static void fuzz_one(struct vm *vm, uint8_t *img, size_t len, uint64_t *seed)
{
	struct linux_boot_entry e;
	size_t n, cut;
	int ret;

	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	n = 1 + (*seed >> 60);
	for (size_t i = 0; i < n; i++) {
		*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
		/* bias the mutations to the headers, where the parsers look */
		img[(*seed >> 33) % MIN(len, (size_t)0x300)] = (uint8_t)(*seed >> 20);
	}
	cut = (*seed >> 8) % 4 == 0 ? (*seed >> 12) % len : len;
	ret = load(vm, img, cut, "x", 1, "console=ttyS0", &e);
	assert_true(ret == 0 || ret == -ENOEXEC || ret == -ENOMEM || ret == -E2BIG);
	if (!ret) {
		assert_true(gpa_to_hva(&vm->mem, e.kernel_start, e.kernel_end - e.kernel_start));
		assert_true(e.initrd_start >= e.kernel_end);
	}
}

static void stderr_mute(bool mute)
{
	static int saved = -1;
	int null;

	fflush(stderr);
	if (mute) {
		saved = dup(STDERR_FILENO);
		null = open("/dev/null", O_WRONLY);
		assert_true(saved >= 0 && null >= 0);
		dup2(null, STDERR_FILENO);
		close(null);
	} else if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
		saved = -1;
	}
}

static void test_mutations(void **state)
{
	uint64_t seed = 42;
	struct vm vm;
	struct elf f;
	struct bz bz;
	uint8_t *copy;

	vm_init(&vm, 64 * MiB);
	bz_make(&bz, SETUP_SECTS, PAYLOAD_LEN);
	elf_make(&f);
	copy = malloc(MAX(bz.len, f.len));
	assert_non_null(copy);
	stderr_mute(true);    /* thousands of rejections, each logged */
	for (int i = 0; i < 3000; i++) {
		bool use_elf = i & 1;

		memcpy(copy, use_elf ? f.buf : bz.buf, use_elf ? f.len : bz.len);
		fuzz_one(&vm, copy, use_elf ? f.len : bz.len, &seed);
	}
	stderr_mute(false);
	free(copy);
	free(bz.buf);
	free(f.buf);
	vm_free(&vm);
}

/* ---- the file front end ---- */

static char *tmp_write(const void *data, size_t len)
{
	char *path = strdup("/tmp/iovirt-test-boot-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_files(void **state)
{
	struct linux_boot_cfg cfg = { .ram_size = RAM_DEFAULT, .cmdline = "quiet" };
	struct linux_boot_entry e;
	char *kpath, *ipath;
	struct vm vm;
	struct bz bz;

	vm_init(&vm, RAM_DEFAULT);
	bz_make(&bz, SETUP_SECTS, PAYLOAD_LEN);
	kpath = tmp_write(bz.buf, bz.len);
	ipath = tmp_write("initramfs-bytes", 15);
	cfg.kernel_path = kpath;
	cfg.initrd_path = ipath;
	assert_int_equal(linux_boot_load(&vm.mem, &cfg, &e), 0);
	assert_int_equal(e.rip, KERNEL_PHYS + 0x200);
	assert_int_equal(e.initrd_size, 15);
	assert_memory_equal(vm.low + e.initrd_start, "initramfs-bytes", 15);
	assert_memory_equal(vm.low + KERNEL_PHYS, bz.buf + (SETUP_SECTS + 1) * 512, PAYLOAD_LEN);

	cfg.initrd_path = "/nonexistent/initrd";
	assert_int_equal(linux_boot_load(&vm.mem, &cfg, &e), -ENOENT);
	cfg.initrd_path = NULL;
	cfg.kernel_path = "/nonexistent/kernel";
	assert_int_equal(linux_boot_load(&vm.mem, &cfg, &e), -ENOENT);
	cfg.kernel_path = "/tmp";
	assert_int_equal(linux_boot_load(&vm.mem, &cfg, &e), -EINVAL);
	/* an initrd file larger than RAM is refused before it is read (sparse files) */
	cfg.kernel_path = kpath;
	cfg.initrd_path = ipath;
	assert_int_equal(truncate(ipath, RAM_DEFAULT + 1), 0);
	assert_int_equal(linux_boot_load(&vm.mem, &cfg, &e), -E2BIG);
	/* smaller than RAM, but not between the kernel's end and the top of RAM */
	assert_int_equal(truncate(ipath, RAM_DEFAULT - 8 * MiB), 0);
	assert_int_equal(linux_boot_load(&vm.mem, &cfg, &e), -ENOMEM);
	/* a large initrd that fits is read whole into guest RAM */
	assert_int_equal(truncate(ipath, 64 * MiB), 0);
	memset(vm.low + RAM_DEFAULT - 64 * MiB, 0xee, 64 * MiB);
	assert_int_equal(linux_boot_load(&vm.mem, &cfg, &e), 0);
	assert_int_equal(e.initrd_start, RAM_DEFAULT - 64 * MiB);
	assert_memory_equal(vm.low + e.initrd_start, "initramfs-bytes", 15);
	assert_int_equal(vm.low[RAM_DEFAULT - 1], 0);
	cfg.initrd_path = NULL;
	/* a kernel file larger than RAM is refused before it is read */
	cfg.ram_size = bz.len - 1;
	assert_int_equal(linux_boot_load(&vm.mem, &cfg, &e), -E2BIG);
	unlink(kpath);
	unlink(ipath);
	free(kpath);
	free(ipath);
	free(bz.buf);
	vm_free(&vm);
}

/* A failed load names the input at fault: kernel, initrd or command line. */
static void test_fault_names_the_input(void **state)
{
	enum linux_boot_input fault = LINUX_INPUT_NONE;
	struct linux_boot_cfg cfg = { .ram_size = 64 * MiB, .fault = &fault };
	struct linux_boot_entry e;
	char cmd[200], *kpath, *ipath;
	struct vm vm;
	struct bz bz;

	vm_init(&vm, 64 * MiB);
	bz_make(&bz, SETUP_SECTS, PAYLOAD_LEN);
	bz.h->cmdline_size = 100;
	memset(cmd, 'a', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = 0;
	cfg.cmdline = cmd;
	assert_int_equal(linux_boot_load_image(&vm.mem, &cfg, bz.buf, bz.len, NULL, 0, &e), -E2BIG);
	assert_int_equal(fault, LINUX_INPUT_CMDLINE);
	cfg.cmdline = NULL;
	assert_int_equal(linux_boot_load_image(&vm.mem, &cfg, "junk", 4, NULL, 0, &e), -ENOEXEC);
	assert_int_equal(fault, LINUX_INPUT_KERNEL);
	bz.h->init_size = 12 * MiB;
	assert_int_equal(linux_boot_load_image(&vm.mem, &cfg, bz.buf, bz.len, vm.low, 40 * MiB, &e),
			 -ENOMEM);
	assert_int_equal(fault, LINUX_INPUT_INITRD);
	assert_int_equal(linux_boot_load_image(&vm.mem, &cfg, bz.buf, bz.len, NULL, 0, &e), 0);
	assert_int_equal(fault, LINUX_INPUT_NONE);
	/* files: a directory as initrd is the initrd's fault, never the kernel's */
	kpath = tmp_write(bz.buf, bz.len);
	ipath = tmp_write("x", 1);
	cfg.kernel_path = kpath;
	cfg.initrd_path = "/tmp";
	assert_int_equal(linux_boot_load(&vm.mem, &cfg, &e), -EINVAL);
	assert_int_equal(fault, LINUX_INPUT_INITRD);
	cfg.initrd_path = ipath;
	cfg.kernel_path = "/nonexistent/kernel";
	assert_int_equal(linux_boot_load(&vm.mem, &cfg, &e), -ENOENT);
	assert_int_equal(fault, LINUX_INPUT_KERNEL);
	/* a FIFO is refused without being opened: this would block otherwise */
	unlink(ipath);
	assert_int_equal(mkfifo(ipath, 0600), 0);
	cfg.kernel_path = kpath;
	assert_int_equal(linux_boot_load(&vm.mem, &cfg, &e), -EINVAL);
	assert_int_equal(fault, LINUX_INPUT_INITRD);
	unlink(kpath);
	unlink(ipath);
	free(kpath);
	free(ipath);
	free(bz.buf);
	vm_free(&vm);
}

/* ---- the real Debian kernel (--debian) ---- */

static uint8_t *file_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void test_debian_bzimage(void **state)
{
	const char *path = getenv("IOVIRT_TEST_BZIMAGE");
	struct linux_boot_entry e;
	struct bzimage_info info;
	struct boot_params *bp;
	struct vm vm;
	uint8_t *k;
	size_t len;

	if (!path)
		skip();
	k = file_slurp(path, &len);
	assert_int_equal(bzimage_parse(k, len, &info), 0);
	print_message("bzImage %s: protocol %u.%02u, setup_sects %u, payload %zu bytes at file "
		      "offset 0x%zx, load 0x%llx, init_size 0x%llx, xloadflags 0x%x, cmdline max %llu\n",
		      path, info.version >> 8, info.version & 0xff, info.setup_sects,
		      info.payload_size, info.payload_offset, (unsigned long long)info.load_addr,
		      (unsigned long long)info.init_size, info.xloadflags,
		      (unsigned long long)info.cmdline_max);
	assert_true(info.version >= 0x020c);
	assert_true(info.xloadflags & XLF_KERNEL_64);
	assert_true(info.relocatable);

	vm_init(&vm, 512 * MiB);
	assert_int_equal(load(&vm, k, len, "initrd", 6, "console=ttyS0", &e), 0);
	assert_int_equal(e.rip, info.load_addr + 0x200);
	assert_memory_equal(vm.low + info.load_addr, k + info.payload_offset, info.payload_size);
	bp = vm_bp(&vm);
	assert_memory_equal(&bp->hdr.version, k + 0x206, 2);
	assert_int_equal(bp->hdr.init_size, info.init_size);
	assert_true(e.initrd_start >= info.load_addr + info.init_size);
	assert_true(e.initrd_start + 6 <= (uint64_t)info.initrd_addr_max + 1);
	free(k);
	vm_free(&vm);
}

/* startup_64's address from System.map (a virtual address in the kernel map), or 0. */
static uint64_t system_map_startup_64(void)
{
	const char *path = getenv("IOVIRT_TEST_SYSTEM_MAP");
	unsigned long long addr, found = 0;
	char type, name[256];
	FILE *f;

	if (!path || !(f = fopen(path, "r")))
		return 0;
	while (fscanf(f, "%llx %c %255s", &addr, &type, name) == 3) {
		if (!strcmp(name, "startup_64")) {
			found = addr;
			break;
		}
	}
	fclose(f);
	return found;
}

static void test_debian_vmlinux(void **state)
{
	const char *path = getenv("IOVIRT_TEST_VMLINUX");
	const uint64_t kernel_map = 0xffffffff80000000ULL; /* __START_KERNEL_map */
	struct linux_boot_entry e;
	uint64_t startup_64;
	struct vm vm;
	uint8_t *k;
	size_t len;

	if (!path)
		skip();
	k = file_slurp(path, &len);
	vm_init(&vm, 512 * MiB);
	assert_int_equal(load(&vm, k, len, "initrd", 6, "console=ttyS0", &e), 0);
	print_message("vmlinux %s: [0x%llx, 0x%llx), entry 0x%llx, initrd at 0x%llx\n", path,
		      (unsigned long long)e.kernel_start, (unsigned long long)e.kernel_end,
		      (unsigned long long)e.rip, (unsigned long long)e.initrd_start);
	assert_int_equal(e.format, LINUX_IMAGE_VMLINUX);
	startup_64 = system_map_startup_64();
	if (startup_64)
		assert_int_equal(e.rip, startup_64 - kernel_map);
	assert_true(e.rip >= e.kernel_start && e.rip < e.kernel_end);
	/* 64 MiB is too little for this kernel's image */
	vm_free(&vm);
	vm_init(&vm, 64 * MiB);
	assert_int_equal(load(&vm, k, len, NULL, 0, NULL, &e), -ENOMEM);
	free(k);
	vm_free(&vm);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bzimage_ok),
		cmocka_unit_test(test_bzimage_setup_sects_zero),
		cmocka_unit_test(test_bzimage_placement),
		cmocka_unit_test(test_bzimage_hostile),
		cmocka_unit_test(test_bzimage_cmdline_limit),
		cmocka_unit_test(test_initrd_does_not_fit),
		cmocka_unit_test(test_ram_too_small),
		cmocka_unit_test(test_vmlinux_ok),
		cmocka_unit_test(test_vmlinux_virtual_entry),
		cmocka_unit_test(test_vmlinux_hostile),
		cmocka_unit_test(test_vmlinux_cmdline_limit),
		cmocka_unit_test(test_not_a_kernel),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_fault_names_the_input),
	};
	const struct CMUnitTest debian[] = {
		cmocka_unit_test(test_debian_bzimage),
		cmocka_unit_test(test_debian_vmlinux),
	};

	if (argc > 1 && !strcmp(argv[1], "--debian")) {
		if (!getenv("IOVIRT_TEST_BZIMAGE") && !getenv("IOVIRT_TEST_VMLINUX")) {
			printf("skip: set IOVIRT_TEST_BZIMAGE (boot/vmlinuz-* of linux-image-amd64) "
			       "and/or IOVIRT_TEST_VMLINUX (the ELF unpacked from it), and "
			       "IOVIRT_TEST_SYSTEM_MAP, to check the loader against a real kernel\n");
			return 77;
		}
		return cmocka_run_group_tests_name("boot-linux-debian", debian, NULL, NULL);
	}
	return cmocka_run_group_tests_name("boot-linux", tests, NULL, NULL);
}
