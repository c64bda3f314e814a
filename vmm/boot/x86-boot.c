#include "x86-boot.h"

#include <errno.h>

#include "memory-map.h"

#define PTE_P  (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_US (1ULL << 2)
#define PTE_PS (1ULL << 7)

static int boot_gdt_write(struct guest_mem *mem)
{
	static const uint64_t gdt[BOOT_GDT_ENTRIES] = {
		[0] = 0,
		[1] = 0,
		[BOOT_CS / 8] = 0x00af9b000000ffffULL, /* 64-bit code, DPL 0, accessed */
		[BOOT_DS / 8] = 0x00cf93000000ffffULL, /* flat data, DPL 0, accessed */
	};

	return guest_mem_write(mem, GPA_BOOT_GDT, gdt, sizeof(gdt));
}

static int boot_page_tables_write(struct guest_mem *mem)
{
	const uint64_t flags = PTE_P | PTE_RW | PTE_US;
	uint64_t pml4e = GPA_BOOT_PDPT | flags;
	uint64_t pdpt[4], pd[512];
	int ret;

	ret = guest_mem_write(mem, GPA_BOOT_PML4, &pml4e, sizeof(pml4e));
	for (unsigned i = 0; i < 4 && !ret; i++)
		pdpt[i] = (GPA_BOOT_PD + i * 0x1000) | flags;
	if (!ret)
		ret = guest_mem_write(mem, GPA_BOOT_PDPT, pdpt, sizeof(pdpt));
	for (unsigned g = 0; g < 4 && !ret; g++) {
		for (unsigned i = 0; i < 512; i++)
			pd[i] = ((uint64_t)g * GiB + (uint64_t)i * 2 * MiB) | flags | PTE_PS;
		ret = guest_mem_write(mem, GPA_BOOT_PD + g * 0x1000, pd, sizeof(pd));
	}
	return ret;
}

int x86_boot_tables_write(struct guest_mem *mem)
{
	uint8_t zero[0x1000] = { 0 };
	int ret;

	/* The PML4 and PDPT pages must hold nothing but the entries above. */
	ret = guest_mem_write(mem, GPA_BOOT_PML4, zero, sizeof(zero));
	if (!ret)
		ret = guest_mem_write(mem, GPA_BOOT_PDPT, zero, sizeof(zero));
	if (!ret)
		ret = boot_gdt_write(mem);
	if (!ret)
		ret = boot_page_tables_write(mem);
	return ret;
}
