/*
 * Guest image entry. The VMM enters here on every vCPU in long mode with
 * rdi = CPU index and rsi = CPU count, interrupts off; rsp is not usable
 * (every CPU gets the same value), so switch to this CPU's stack first.
 */
#define KSTACK_SIZE 16384

	.section .text.start, "ax"
	.globl _start
	.code64
_start:
	cmp $64, %rdi
	jae 1f
	mov %rdi, %rax
	inc %rax
	shl $14, %rax			/* (cpu + 1) * KSTACK_SIZE */
	lea guest_kernel_stacks(%rip), %rsp
	add %rax, %rsp
	xor %ebp, %ebp
	call guest_start		/* (cpu, ncpus); never returns */
1:	cli
	hlt
	jmp 1b

/* Exception and interrupt entry: one stub per vector, then a common path. */
	.text
.macro vec_stub n
	.align 16
vec_\n:
	.if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	push $0
	.endif
	push $\n
	jmp vec_common
.endm

	.align 16
	.globl guest_vec_stubs
guest_vec_stubs:
.altmacro
.set i, 0
.rept 256
	vec_stub %i
	.set i, i + 1
.endr

vec_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	cld
	call guest_trap
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp
	iretq

/*
 * uint64_t guest_user_enter(fn, arg, user_rsp, rflags, kernel_save)
 * Save the callee-saved registers and the kernel rsp in *kernel_save, then
 * iretq to ring 3 at guest_user_trampoline with rdi = arg, rsi = fn.
 * guest_user_resume comes back to our caller with fn's return value.
 */
	.globl guest_user_enter
guest_user_enter:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%r8)
	mov %rdi, %rax			/* fn */
	mov %rsi, %rdi			/* arg */
	mov %rax, %rsi
	push $0x1b			/* GUEST_USER_DS */
	push %rdx			/* user rsp */
	push %rcx			/* rflags */
	push $0x23			/* GUEST_USER_CS */
	lea guest_user_trampoline(%rip), %rax
	push %rax
	iretq

guest_user_trampoline:
	call *%rsi
	mov %rax, %rdi
/*
 * Back to ring 0: a #UD at this address (guest_trap recognises it). An
 * exception is the one ring-3 -> ring-0 transition every KVM flavour
 * delivers; `int $n` from ring 3 is not available everywhere.
 */
	.globl guest_user_exit
guest_user_exit:
	ud2

/* void guest_user_resume(uint64_t ret, uint64_t kernel_rsp): return from guest_user_enter. */
	.globl guest_user_resume
guest_user_resume:
	mov %rdi, %rax
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

	.section .note.GNU-stack, "", @progbits
