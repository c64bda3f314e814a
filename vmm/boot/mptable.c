#include "mptable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "log.h"

#define MPF_LEN            16
#define MPC_HDR_LEN        44
#define MP_SPEC_REV        4         /* 1.4 */
#define MP_PROCESSOR       0
#define MP_BUS             1
#define MP_IOAPIC          2
#define MP_INTSRC          3
#define MP_LINTSRC         4
#define MP_PROCESSOR_LEN   20
#define MP_ENTRY_LEN       8
#define MP_CPU_EN          0x01
#define MP_CPU_BP          0x02
#define MP_APIC_VERSION    0x14
#define MP_IOAPIC_VERSION  0x11
#define MP_IOAPIC_EN       0x01
#define MP_INT             0
#define MP_NMI             1
#define MP_EXTINT          3
#define MP_IRQ_CONFORM     0x0000
#define MP_IRQ_LEVEL_LOW   0x000f    /* polarity 11 (low), trigger 11 (level): PCI INTx */
#define MP_BUS_ISA         0
#define MP_BUS_PCI         1
#define MP_ALL_LAPICS      0xff
#define MP_ISA_IRQS        16
#define MP_CPU_SIGNATURE   0x600     /* family 6 */
#define MP_CPU_FEATURES    0x201     /* FPU, APIC */

/* The table as it is written, entry by entry. */
struct mp_writer {
	uint8_t *t;
	size_t len;
	size_t cap;
	unsigned int count;
};

static uint8_t *mp_entry(struct mp_writer *w, size_t len)
{
	uint8_t *e;

	if (len > w->cap - w->len)
		return NULL;
	e = w->t + w->len;
	w->len += len;
	w->count++;
	return e;
}

static int mp_processor(struct mp_writer *w, unsigned int id)
{
	uint8_t *e = mp_entry(w, MP_PROCESSOR_LEN);
	uint32_t sig = MP_CPU_SIGNATURE, feat = MP_CPU_FEATURES;

	if (!e)
		return -ENOSPC;
	e[0] = MP_PROCESSOR;
	e[1] = (uint8_t)id;
	e[2] = MP_APIC_VERSION;
	e[3] = MP_CPU_EN | (id == 0 ? MP_CPU_BP : 0);
	memcpy(e + 4, &sig, 4);
	memcpy(e + 8, &feat, 4);
	return 0;
}

static int mp_bus(struct mp_writer *w, uint8_t id, const char *type)
{
	uint8_t *e = mp_entry(w, MP_ENTRY_LEN);

	if (!e)
		return -ENOSPC;
	e[0] = MP_BUS;
	e[1] = id;
	memcpy(e + 2, type, 6);
	return 0;
}

static int mp_ioapic(struct mp_writer *w, uint8_t id)
{
	uint8_t *e = mp_entry(w, MP_ENTRY_LEN);
	uint32_t addr = (uint32_t)GPA_IOAPIC;

	if (!e)
		return -ENOSPC;
	e[0] = MP_IOAPIC;
	e[1] = id;
	e[2] = MP_IOAPIC_VERSION;
	e[3] = MP_IOAPIC_EN;
	memcpy(e + 4, &addr, 4);
	return 0;
}

/* An I/O (MP_INTSRC) or local (MP_LINTSRC) interrupt assignment. */
static int mp_irq(struct mp_writer *w, uint8_t kind, uint8_t type, uint16_t flags, uint8_t bus,
		  uint8_t bus_irq, uint8_t dst, uint8_t dst_pin)
{
	uint8_t *e = mp_entry(w, MP_ENTRY_LEN);

	if (!e)
		return -ENOSPC;
	e[0] = kind;
	e[1] = type;
	memcpy(e + 2, &flags, 2);
	e[4] = bus;
	e[5] = bus_irq;
	e[6] = dst;
	e[7] = dst_pin;
	return 0;
}

/*
 * ISA IRQs on the IOAPIC. No ExtINT entry for INTIN0: nothing programs that
 * pin before Linux runs, and Linux reaches the 8259 through LINT0 instead.
 */
static int mp_isa_irqs(struct mp_writer *w, uint8_t ioapic)
{
	int ret = 0;

	for (uint8_t irq = 0; !ret && irq < MP_ISA_IRQS; irq++) {
		if (irq == 2)
			continue;   /* the cascade: IRQ0 (PIT) takes INTIN2 */
		ret = mp_irq(w, MP_INTSRC, MP_INT, MP_IRQ_CONFORM, MP_BUS_ISA, irq, ioapic,
			     irq == 0 ? 2 : irq);
	}
	return ret;
}

static int mp_entries(struct mp_writer *w, unsigned int ncpus, uint8_t ioapic,
		      const struct acpi_pci_irq *pci, unsigned int npci)
{
	int ret = 0;

	for (unsigned int i = 0; !ret && i < ncpus; i++)
		ret = mp_processor(w, i);
	if (!ret)
		ret = mp_bus(w, MP_BUS_ISA, "ISA   ");
	if (!ret && npci)
		ret = mp_bus(w, MP_BUS_PCI, "PCI   ");
	if (!ret)
		ret = mp_ioapic(w, ioapic);
	if (!ret)
		ret = mp_isa_irqs(w, ioapic);
	for (unsigned int i = 0; !ret && i < npci; i++)
		ret = mp_irq(w, MP_INTSRC, MP_INT, MP_IRQ_LEVEL_LOW, MP_BUS_PCI,
			     (uint8_t)((pci[i].slot << 2) | pci[i].pin), ioapic, (uint8_t)pci[i].gsi);
	if (!ret)
		ret = mp_irq(w, MP_LINTSRC, MP_EXTINT, MP_IRQ_CONFORM, MP_BUS_ISA, 0,
			     MP_ALL_LAPICS, 0);
	if (!ret)
		ret = mp_irq(w, MP_LINTSRC, MP_NMI, MP_IRQ_CONFORM, MP_BUS_ISA, 0, MP_ALL_LAPICS, 1);
	return ret;
}

static void mp_headers(uint8_t *area, size_t len, unsigned int count)
{
	uint8_t *mpf = area, *mpc = area + MPF_LEN;
	uint32_t mpc_gpa = (uint32_t)(GPA_MPTABLE + MPF_LEN), lapic = (uint32_t)GPA_LAPIC;
	uint16_t len16 = (uint16_t)len, count16 = (uint16_t)count;

	memcpy(mpc, "PCMP", 4);
	memcpy(mpc + 4, &len16, 2);
	mpc[6] = MP_SPEC_REV;
	memcpy(mpc + 8, "IOVIRT  ", 8);
	memcpy(mpc + 16, "IOVIRT VM   ", 12);
	memcpy(mpc + 34, &count16, 2);
	memcpy(mpc + 36, &lapic, 4);
	mpc[7] = checksum8(mpc, len);

	memcpy(mpf, "_MP_", 4);
	memcpy(mpf + 4, &mpc_gpa, 4);
	mpf[8] = 1;                         /* length in 16-byte units */
	mpf[9] = MP_SPEC_REV;
	mpf[10] = checksum8(mpf, MPF_LEN);
}

static int args_check(unsigned int ncpus, const struct acpi_pci_irq *pci, unsigned int npci)
{
	if (!ncpus || ncpus > MPTABLE_MAX_CPUS) {
		log_err("mptable: %u CPUs: must be 1..%u", ncpus, MPTABLE_MAX_CPUS);
		return -EINVAL;
	}
	if (npci && !pci)
		return -EINVAL;
	for (unsigned int i = 0; i < npci; i++) {
		if (pci[i].slot > 31 || pci[i].pin > 3 || pci[i].gsi > UINT8_MAX) {
			log_err("mptable: PCI route %u (slot %u pin %u gsi %u) out of range", i,
				pci[i].slot, pci[i].pin, pci[i].gsi);
			return -EINVAL;
		}
	}
	return 0;
}

int mptable_build(struct guest_mem *mem, unsigned int ncpus, uint8_t ioapic_id,
		  const struct acpi_pci_irq *pci_irqs, unsigned int n_pci_irqs)
{
	/* The base table length is a 16-bit field. */
	size_t cap = MIN((size_t)GPA_MPTABLE_SIZE - MPF_LEN, (size_t)UINT16_MAX);
	struct mp_writer w;
	uint8_t *area;
	int ret;

	ret = args_check(ncpus, pci_irqs, n_pci_irqs);
	if (ret)
		return ret;
	area = calloc(1, GPA_MPTABLE_SIZE);
	if (!area)
		return -ENOMEM;
	w = (struct mp_writer){ .t = area + MPF_LEN, .len = MPC_HDR_LEN, .cap = cap };
	ret = mp_entries(&w, ncpus, ioapic_id, pci_irqs, n_pci_irqs);
	if (!ret) {
		mp_headers(area, w.len, w.count);
		ret = guest_mem_write(mem, GPA_MPTABLE, area, MPF_LEN + w.len);
		if (ret)
			log_err("mptable: area at 0x%llx is not in guest RAM",
				(unsigned long long)GPA_MPTABLE);
	}
	free(area);
	return ret;
}
