/*
 * Multiboot (v1) entry, for VMMs other than iovirt (QEMU's -kernel). The
 * header uses the address fields (flag bit 16), so loaders take the image as
 * one flat file from guest_image_start to guest_image_data_end and zero up to
 * guest_image_end; the ELF entry (_start, iovirt's) is not used on this path.
 *
 * The loader enters guest_mb_entry32 in 32-bit protected mode, paging off.
 * The entry zeroes .bss, identity-maps the low 4 GiB with 2 MiB user pages,
 * enters long mode, marks the host link as foreign (guest_link_foreign = 1)
 * and jumps to _start as CPU 0 of 1. The loader's multiboot information
 * pointer (ebx) is kept in guest_mb_info (host-link.h).
 */
#define MB_MAGIC      0x1badb002
#define MB_FLAGS      0x00010000	/* address fields valid */
#define MSR_EFER      0xc0000080
#define EFER_LME      0x100
#define CR4_PAE       0x20
#define CR0_PG_PE     0x80000001

	.section .text.multiboot, "ax"
	.align 4
guest_mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long guest_mb_header		/* header_addr */
	.long guest_image_start		/* load_addr */
	.long guest_image_data_end	/* load_end_addr */
	.long guest_image_end		/* bss_end_addr */
	.long guest_mb_entry32		/* entry_addr */

	.code32
	.globl guest_mb_entry32
guest_mb_entry32:
	cli
	cld
	mov $guest_image_data_end, %edi
	mov $guest_image_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov %ebx, guest_mb_info

	/* PML4[0] -> PDPT; PDPT[0..3] -> 4 PDs; 2048 PD entries of 2 MiB. */
	movl $(mb_pdpt + 7), mb_pml4
	mov $mb_pdpt, %edi
	mov $(mb_pd + 7), %eax
	xor %ecx, %ecx
1:	mov %eax, (%edi,%ecx,8)
	add $4096, %eax
	inc %ecx
	cmp $4, %ecx
	jb 1b
	mov $mb_pd, %edi
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $21, %eax
	or $0x87, %eax			/* present, writable, user, 2 MiB */
	mov %eax, (%edi,%ecx,8)
	inc %ecx
	cmp $2048, %ecx
	jb 2b

	mov $mb_pml4, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $CR0_PG_PE, %eax
	mov %eax, %cr0
	lgdt mb_gdt_ptr
	ljmp $0x08, $mb_entry64

	.code64
mb_entry64:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	movl $1, guest_link_foreign(%rip)
	xor %edi, %edi
	mov $1, %esi
	jmp _start

	.section .rodata
	.align 16
mb_gdt:
	.quad 0
	.quad 0x00af9b000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf93000000ffff	/* 0x10: data */
mb_gdt_ptr:
	.word mb_gdt_ptr - mb_gdt - 1
	.long mb_gdt

	.section .data
	.align 4
	.globl guest_mb_info
guest_mb_info:	.long 0

	.section .bss
	.align 4096
mb_pml4:	.skip 4096
mb_pdpt:	.skip 4096
mb_pd:		.skip 4 * 4096

	.section .note.GNU-stack, "", @progbits
