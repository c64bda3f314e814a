/*
 * The runtime of iovirt guest images. The VMM enters _start (start.S) on
 * every vCPU in 64-bit long mode with identity-mapped low 4 GiB (user
 * accessible), rdi = CPU index, rsi = CPU count. The runtime gives each CPU a
 * stack, its own GDT and TSS, an IDT with handlers for every vector, enables
 * the local APIC, then calls guest_main(cpu, ncpus) on every CPU. When CPU 0's
 * guest_main returns, the runtime waits for the other CPUs to return and
 * reports UCALL_DONE with CPU 0's return value.
 *
 * A test file defines guest_main() inside #ifdef IOVIRT_GUEST.
 *
 * Entered through multiboot instead (multiboot.S, another VMM such as QEMU),
 * the runtime builds its own identity map, runs CPU 0 only and talks to the
 * host over COM1 and isa-debug-exit (host-link.h); the same calls below work
 * on both links.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "host-link.h"
#include "io.h"
#include "ucall-abi.h"

#define GUEST_MAX_CPUS 64

/* Selectors of the runtime's GDT. */
#define GUEST_KERNEL_CS 0x08
#define GUEST_KERNEL_DS 0x10
#define GUEST_USER_DS   (0x18 | 3)
#define GUEST_USER_CS   (0x20 | 3)
#define GUEST_TSS_SEL   0x28

/* Defined by the test: runs on every CPU. */
int guest_main(unsigned cpu, unsigned ncpus);

/* This CPU's index (0 .. ncpus-1). Works at ring 0 and ring 3. */
unsigned guest_cpu(void);

/* The state an interrupt or exception saved. */
struct guest_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/*
 * Handle vector (32..255) with fn on every CPU; the runtime sends the local
 * APIC EOI after fn returns. An exception (0..31) or a vector without a
 * handler ends the guest with UCALL_ASSERT naming the vector and rip.
 */
typedef void (*guest_irq_fn)(struct guest_frame *f);
void guest_irq_set_handler(unsigned vector, guest_irq_fn fn);

/*
 * Run fn(arg) at ring 3 on this CPU's user stack with port I/O allowed (IOPL
 * 3, and an all-open TSS I/O bitmap for hypervisors that force IOPL to 0),
 * interrupts enabled if irqs is set (some hypervisors force IF on at ring 3).
 * Returns fn's return value (fn returns through a #UD at guest_user_exit,
 * the one ring-3 -> ring-0 transition every KVM flavour delivers). Ring-3
 * code runs natively even where the host emulates ring 0.
 */
uint64_t guest_run_user(uint64_t (*fn)(uint64_t), uint64_t arg, int irqs);

/*
 * ucalls (guest/abi/ucall-abi.h): each is one exit to the host. ucall() and
 * guest_sync() return what the host left in args[UCALL_REPLY_ARG].
 */
uint64_t ucall(uint64_t cmd, uint64_t a0, uint64_t a1, const char *buf);
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t guest_sync(uint64_t stage, uint64_t value);
void guest_done(int status) __attribute__((noreturn));
void guest_assert_fail(const char *file, unsigned line, const char *expr, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

#define GUEST_ASSERT(expr) \
	do { if (!(expr)) guest_assert_fail(__FILE__, __LINE__, #expr, " "); } while (0)
#define GUEST_ASSERT_EQ(a, b) \
	do { uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b); \
	     if (__a != __b) guest_assert_fail(__FILE__, __LINE__, #a " == " #b, \
			"0x%lx != 0x%lx", (unsigned long)__a, (unsigned long)__b); } while (0)

/* Formatting (%d %i %u %x %X %p %s %c %%, l/ll/z, width, 0 and - flags). */
int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int guest_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Polled output on COM1 (one exit per byte). */
void serial_putc(char c);
void serial_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Identity-map [gpa, gpa + size) (2 MiB pages, user-accessible). The VMM
 * maps only the low 4 GiB; 64-bit BARs live above. Ring 0 only.
 */
void guest_map(uint64_t gpa, uint64_t size);

/* Local APIC (xAPIC MMIO). */
uint32_t lapic_id(void);
void lapic_eoi(void);

/*
 * Route IOAPIC pin to vector on APIC ID 0, active high, level- or
 * edge-triggered, masked or not. Ring 0 only.
 */
void guest_ioapic_route(unsigned pin, unsigned vector, int level, int masked);

/* The C library subset the compiler may call on its own. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
