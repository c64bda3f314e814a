/* Per-CPU start-up: GDT, TSS, IDT, local APIC, traps, ring-3 entry, the join at the end. */
#include <stddef.h>

#include "guest.h"
#include "memory-map.h"

#define KSTACK_SIZE 16384
#define TSTACK_SIZE 8192
#define USTACK_SIZE 16384

#define MSR_GS_BASE 0xc0000101
#define LAPIC_ID    0x020
#define LAPIC_EOI   0x0b0
#define LAPIC_SVR   0x0f0

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp0, rsp1, rsp2;
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
	uint8_t iomap[8192 + 1]; /* all ports allowed at ring 3; the last byte ends the map */
} __attribute__((packed));

struct idt_gate {
	uint16_t off0;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off1;
	uint32_t off2;
	uint32_t reserved;
} __attribute__((packed));

struct percpu {
	uint64_t cpu;
	uint64_t kernel_save; /* rsp of guest_user_enter (start.S reads offset 8) */
};

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

uint8_t guest_kernel_stacks[GUEST_MAX_CPUS][KSTACK_SIZE] __attribute__((aligned(4096)));
static uint8_t trap_stacks[GUEST_MAX_CPUS][TSTACK_SIZE] __attribute__((aligned(4096)));
static uint8_t user_stacks[GUEST_MAX_CPUS][USTACK_SIZE] __attribute__((aligned(4096)));
static uint64_t gdts[GUEST_MAX_CPUS][8] __attribute__((aligned(16)));
static struct tss64 tsss[GUEST_MAX_CPUS] __attribute__((aligned(16)));
static struct percpu percpus[GUEST_MAX_CPUS];
static struct idt_gate idt[256] __attribute__((aligned(16)));
static guest_irq_fn irq_handlers[256];
static volatile unsigned cpus_finished;
static volatile unsigned idt_ready;

extern uint8_t guest_vec_stubs[];
extern uint8_t guest_user_exit[];
extern void guest_user_resume(uint64_t ret, uint64_t kernel_rsp) __attribute__((noreturn));
extern uint64_t guest_user_enter(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t user_rsp,
				 uint64_t rflags, uint64_t *kernel_save);
void guest_start(unsigned cpu, unsigned ncpus) __attribute__((noreturn));
void guest_trap(struct guest_frame *f);

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

unsigned guest_cpu(void)
{
	uint64_t cpu;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(cpu));
	return (unsigned)cpu;
}

uint32_t lapic_id(void)
{
	return mmio_read32(GPA_LAPIC + LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	mmio_write32(GPA_LAPIC + LAPIC_EOI, 0);
}

static void idt_set(unsigned vector, void *handler, unsigned dpl)
{
	uint64_t a = (uint64_t)handler;

	idt[vector] = (struct idt_gate){ .off0 = a & 0xffff, .sel = GUEST_KERNEL_CS,
					 .type = 0x8e | (dpl << 5), .off1 = (a >> 16) & 0xffff,
					 .off2 = a >> 32 };
}

static void idt_build(void)
{
	for (unsigned v = 0; v < 256; v++)
		idt_set(v, guest_vec_stubs + 16 * v, 0);
}

static void gdt_load(unsigned cpu)
{
	uint64_t *g = gdts[cpu];
	uint64_t t = (uint64_t)&tsss[cpu];
	struct desc_ptr p = { .limit = sizeof(gdts[0]) - 1, .base = (uint64_t)g };
	uint8_t *ttop = trap_stacks[cpu] + TSTACK_SIZE;

	g[0] = 0;
	g[1] = 0x00af9b000000ffffULL; /* kernel code, 64-bit */
	g[2] = 0x00cf93000000ffffULL; /* kernel data */
	g[3] = 0x00cff3000000ffffULL; /* user data, DPL 3 */
	g[4] = 0x00affb000000ffffULL; /* user code, 64-bit, DPL 3 */
	g[5] = (sizeof(struct tss64) - 1) | ((t & 0xffffff) << 16) | (0x89ULL << 40) |
	       ((t >> 24) & 0xff) << 56;
	g[6] = t >> 32;
	tsss[cpu].rsp0 = (uint64_t)ttop;
	tsss[cpu].iomap_base = offsetof(struct tss64, iomap);
	tsss[cpu].iomap[8192] = 0xff;
	__asm__ volatile("lgdt %0" :: "m"(p));
	__asm__ volatile("pushq $0x08; lea 1f(%%rip), %%rax; pushq %%rax; lretq; 1:" ::: "rax", "memory");
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss; mov %0, %%fs"
			 :: "r"((uint16_t)GUEST_KERNEL_DS));
	/*
	 * GS holds a DPL-3 selector so that iretq to ring 3 leaves it alone; its
	 * base (set after the load) points at this CPU's percpu at every ring.
	 */
	__asm__ volatile("mov %0, %%gs" :: "r"((uint16_t)GUEST_USER_DS));
	wrmsr(MSR_GS_BASE, (uint64_t)&percpus[cpu]);
	__asm__ volatile("ltr %w0" :: "r"((uint16_t)GUEST_TSS_SEL));
}

/*
 * Interrupts arrive through the IOAPIC and MSI; the 8259 PICs are
 * initialised (vectors 0x20-0x2f, away from the exceptions) and masked.
 */
static void pic_disable(void)
{
	static const uint8_t icw[2][4] = { { 0x11, 0x20, 0x04, 0x01 }, { 0x11, 0x28, 0x02, 0x01 } };

	for (unsigned p = 0; p < 2; p++) {
		uint16_t base = p ? 0xa0 : 0x20;

		outb(base, icw[p][0]);
		for (unsigned i = 1; i < 4; i++)
			outb(base + 1, icw[p][i]);
		outb(base + 1, 0xff);
	}
}

static void cpu_init(unsigned cpu)
{
	struct desc_ptr p = { .limit = sizeof(idt) - 1, .base = (uint64_t)idt };

	percpus[cpu].cpu = cpu;
	gdt_load(cpu);
	if (cpu == 0) {
		pic_disable();
		idt_build();
		__atomic_store_n(&idt_ready, 1, __ATOMIC_RELEASE);
	}
	while (!__atomic_load_n(&idt_ready, __ATOMIC_ACQUIRE))
		cpu_relax();
	__asm__ volatile("lidt %0" :: "m"(p));
	mmio_write32(GPA_LAPIC + LAPIC_SVR, 0x1ff); /* software-enable, spurious vector 0xff */
}

/* Page-table pages for guest_map(): enough for a few windows above 4 GiB. */
static uint64_t pt_pool[32][512] __attribute__((aligned(4096)));
static unsigned pt_used;

static uint64_t *pt_next(uint64_t *entry)
{
	if (!(*entry & 1)) {
		GUEST_ASSERT(pt_used < sizeof(pt_pool) / sizeof(pt_pool[0]));
		memset(pt_pool[pt_used], 0, sizeof(pt_pool[0]));
		*entry = (uint64_t)pt_pool[pt_used++] | 7;
	}
	return (uint64_t *)(*entry & 0x000ffffffffff000ULL);
}

void guest_map(uint64_t gpa, uint64_t size)
{
	const uint64_t huge = 2ULL << 20;
	uint64_t cr3, *pml4;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	pml4 = (uint64_t *)(cr3 & 0x000ffffffffff000ULL);
	for (uint64_t a = gpa & ~(huge - 1); a < gpa + size; a += huge) {
		uint64_t *pdpt = pt_next(&pml4[(a >> 39) & 511]);
		uint64_t *pd = pt_next(&pdpt[(a >> 30) & 511]);

		if (!(pd[(a >> 21) & 511] & 1))
			pd[(a >> 21) & 511] = a | 0x87; /* present, writable, user, 2 MiB */
	}
	__asm__ volatile("mov %0, %%cr3" :: "r"(cr3) : "memory");
}

void guest_irq_set_handler(unsigned vector, guest_irq_fn fn)
{
	if (vector >= 32 && vector < 256)
		__atomic_store_n(&irq_handlers[vector], fn, __ATOMIC_RELEASE);
}

void guest_trap(struct guest_frame *f)
{
	guest_irq_fn fn = f->vector < 256 ? __atomic_load_n(&irq_handlers[f->vector],
							    __ATOMIC_ACQUIRE) : 0;

	if (f->vector == 0xff)
		return; /* spurious: no EOI */
	if (f->vector == 6 && (f->cs & 3) == 3 && f->rip == (uint64_t)guest_user_exit)
		guest_user_resume(f->rdi, percpus[guest_cpu()].kernel_save);
	if (!fn)
		guest_assert_fail(__FILE__, __LINE__, "unexpected trap",
				  "vector %lu error 0x%lx rip 0x%lx cpu %u", (unsigned long)f->vector,
				  (unsigned long)f->error, (unsigned long)f->rip, guest_cpu());
	fn(f);
	lapic_eoi();
}

uint64_t guest_run_user(uint64_t (*fn)(uint64_t), uint64_t arg, int irqs)
{
	unsigned cpu = guest_cpu();
	uint64_t rflags = (3ULL << 12) | 2 | (irqs ? 1ULL << 9 : 0);
	uint64_t rsp = (uint64_t)(user_stacks[cpu] + USTACK_SIZE - 8);

	return guest_user_enter(fn, arg, rsp, rflags, &percpus[cpu].kernel_save);
}

void guest_start(unsigned cpu, unsigned ncpus)
{
	int ret;

	cpu_init(cpu);
	ret = guest_main(cpu, ncpus);
	if (cpu != 0) {
		__atomic_add_fetch(&cpus_finished, 1, __ATOMIC_SEQ_CST);
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	while (__atomic_load_n(&cpus_finished, __ATOMIC_SEQ_CST) < ncpus - 1)
		cpu_relax();
	guest_done(ret);
}
