/*
 * Interrupts and doorbells on a KVM VM: ISA/IOAPIC lines, the GSI routing
 * table (the irqchip pins KVM sets up by default plus one MSI route per
 * vector in use), irqfd and ioeventfd.
 *
 * GSIs 0-15 reach the PIC and the IOAPIC pin of the same number, 16-23 the
 * IOAPIC only, except that GSI 0 (PIT) goes to IOAPIC pin 2 as on a PC (the
 * MADT's interrupt source override 0 -> 2). MSI routes are allocated from
 * GSI_MSI_BASE upwards.
 */
#ifndef IOVIRT_IRQ_H
#define IOVIRT_IRQ_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bitmap.h"
#include "compiler.h"

#define GSI_IOAPIC_PINS 24
#define GSI_MSI_BASE    24
#define GSI_MAX         1024

struct gsi_router {
	pthread_mutex_t lock;
	int vm_fd;
	struct kvm_irq_routing *table; /* irqchip entries, then MSI entries */
	uint8_t msi_used[BITMAP_BYTES(GSI_MAX - GSI_MSI_BASE)]; /* GSI_MSI_BASE + i in use */
};

/* Build the default irqchip routes and push them to KVM. 0 or -errno. */
int gsi_router_init(struct gsi_router *r, int vm_fd) __must_check;
void gsi_router_destroy(struct gsi_router *r);

/* Reserve an MSI GSI (no route yet: masked). Returns the GSI or -ENOSPC. */
int gsi_msi_alloc(struct gsi_router *r) __must_check;

/*
 * Point an allocated MSI GSI at (addr, data), as the guest wrote them to a
 * MSI capability or MSI-X table entry, and commit the table. 0 or -errno
 * (-EINVAL for a GSI not allocated).
 */
int gsi_msi_set(struct gsi_router *r, int gsi, uint64_t addr, uint32_t data) __must_check;

/* Drop an MSI GSI's route and release it. */
void gsi_msi_free(struct gsi_router *r, int gsi);

/* Drive an irqchip GSI: level 1 then 0 is an edge. 0 or -errno. */
int irq_line_set(int vm_fd, unsigned gsi, int level) __must_check;

/* Inject one MSI directly (no route, no irqfd). 0 or -errno. */
int irq_msi_signal(int vm_fd, uint64_t addr, uint32_t data) __must_check;

/*
 * Have KVM inject gsi whenever eventfd fd is signalled. With resample_fd >= 0
 * the GSI is level-triggered (INTx): KVM deasserts it on EOI and signals
 * resample_fd. 0 or -errno.
 */
int irqfd_assign(int vm_fd, int fd, unsigned gsi, int resample_fd) __must_check;
int irqfd_deassign(int vm_fd, int fd, unsigned gsi);

/*
 * Have KVM signal eventfd fd on a guest write to addr (len 0: any length;
 * 1/2/4/8 exactly). pio selects the I/O-port space; with match, only a write
 * of datamatch signals. 0 or -errno.
 */
struct ioeventfd_cfg {
	int fd;
	uint64_t addr;
	unsigned len;
	bool pio;
	bool match;
	uint64_t datamatch;
};
int ioeventfd_assign(int vm_fd, const struct ioeventfd_cfg *cfg) __must_check;
int ioeventfd_deassign(int vm_fd, const struct ioeventfd_cfg *cfg);

#endif
