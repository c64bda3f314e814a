/* IOAPIC redirection entries (the IOAPIC at GPA_IOAPIC, as on PCs and under iovirt). */
#include "guest.h"
#include "memory-map.h"

#define IOAPIC_REDTBL    0x10
#define IOAPIC_LEVEL     (1u << 15)
#define IOAPIC_MASKED    (1u << 16)

void guest_ioapic_route(unsigned pin, unsigned vector, int level, int masked)
{
	uint32_t lo = vector | (level ? IOAPIC_LEVEL : 0) | (masked ? IOAPIC_MASKED : 0);

	mmio_write32(GPA_IOAPIC, IOAPIC_REDTBL + 2 * pin + 1);
	mmio_write32(GPA_IOAPIC + 0x10, 0); /* destination: APIC ID 0 */
	mmio_write32(GPA_IOAPIC, IOAPIC_REDTBL + 2 * pin);
	mmio_write32(GPA_IOAPIC + 0x10, lo);
}
