#include "irq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "bitmap.h"
#include "log.h"

#define GSI_TABLE_MAX (GSI_IOAPIC_PINS + 16 + GSI_MAX)

static void gsi_add_irqchip(struct kvm_irq_routing *t, unsigned gsi, unsigned chip, unsigned pin)
{
	struct kvm_irq_routing_entry *e = &t->entries[t->nr++];

	*e = (struct kvm_irq_routing_entry){ .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP };
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

static int gsi_commit(struct gsi_router *r)
{
	if (ioctl(r->vm_fd, KVM_SET_GSI_ROUTING, r->table) < 0) {
		int err = -errno;

		log_err("vmm: KVM_SET_GSI_ROUTING (%u routes): %s", r->table->nr, strerror(-err));
		return err;
	}
	return 0;
}

int gsi_router_init(struct gsi_router *r, int vm_fd)
{
	r->vm_fd = vm_fd;
	memset(r->msi_used, 0, sizeof(r->msi_used));
	r->table = calloc(1, sizeof(*r->table) + GSI_TABLE_MAX * sizeof(r->table->entries[0]));
	if (!r->table)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	/*
	 * As on a PC: ISA IRQ 0 (the PIT) reaches IOAPIC pin 2, so the MADT
	 * carries an interrupt source override 0 -> 2; pin 0 and PIC line 2
	 * (the cascade) have no GSI.
	 */
	for (unsigned gsi = 0; gsi < 16; gsi++)
		if (gsi != 2)
			gsi_add_irqchip(r->table, gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
					KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
	gsi_add_irqchip(r->table, 0, KVM_IRQCHIP_IOAPIC, 2);
	for (unsigned gsi = 1; gsi < GSI_IOAPIC_PINS; gsi++)
		if (gsi != 2)
			gsi_add_irqchip(r->table, gsi, KVM_IRQCHIP_IOAPIC, gsi);
	return gsi_commit(r);
}

void gsi_router_destroy(struct gsi_router *r)
{
	if (!r->table)
		return;
	free(r->table);
	r->table = NULL;
	pthread_mutex_destroy(&r->lock);
}

static bool gsi_msi_is_used(const struct gsi_router *r, int gsi)
{
	int i = gsi - GSI_MSI_BASE;

	return gsi >= GSI_MSI_BASE && gsi < GSI_MAX && bitmap_test(r->msi_used, i);
}

int gsi_msi_alloc(struct gsi_router *r)
{
	int i;

	pthread_mutex_lock(&r->lock);
	i = bitmap_alloc(r->msi_used, GSI_MAX - GSI_MSI_BASE);
	pthread_mutex_unlock(&r->lock);
	return i < 0 ? -ENOSPC : GSI_MSI_BASE + i;
}

/* Remove the MSI entry for gsi from the table; true if there was one. */
static bool gsi_msi_remove(struct kvm_irq_routing *t, int gsi)
{
	for (unsigned i = 0; i < t->nr; i++) {
		if (t->entries[i].gsi == (unsigned)gsi && t->entries[i].type == KVM_IRQ_ROUTING_MSI) {
			t->entries[i] = t->entries[--t->nr];
			return true;
		}
	}
	return false;
}

int gsi_msi_set(struct gsi_router *r, int gsi, uint64_t addr, uint32_t data)
{
	struct kvm_irq_routing_entry *e;
	int ret;

	pthread_mutex_lock(&r->lock);
	if (!gsi_msi_is_used(r, gsi)) {
		pthread_mutex_unlock(&r->lock);
		return -EINVAL;
	}
	gsi_msi_remove(r->table, gsi);
	e = &r->table->entries[r->table->nr++];
	*e = (struct kvm_irq_routing_entry){ .gsi = gsi, .type = KVM_IRQ_ROUTING_MSI };
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
	ret = gsi_commit(r);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void gsi_msi_free(struct gsi_router *r, int gsi)
{
	pthread_mutex_lock(&r->lock);
	if (gsi_msi_is_used(r, gsi)) {
		int i = gsi - GSI_MSI_BASE;

		if (gsi_msi_remove(r->table, gsi) && gsi_commit(r))
			log_warn("vmm: could not drop MSI route for GSI %d", gsi);
		bitmap_clear(r->msi_used, i);
	}
	pthread_mutex_unlock(&r->lock);
}

int irq_line_set(int vm_fd, unsigned gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	return ioctl(vm_fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}

int irq_msi_signal(int vm_fd, uint64_t addr, uint32_t data)
{
	struct kvm_msi m = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32),
			     .data = data };

	return ioctl(vm_fd, KVM_SIGNAL_MSI, &m) < 0 ? -errno : 0;
}

int irqfd_assign(int vm_fd, int fd, unsigned gsi, int resample_fd)
{
	struct kvm_irqfd f = { .fd = fd, .gsi = gsi };

	if (resample_fd >= 0) {
		f.flags = KVM_IRQFD_FLAG_RESAMPLE;
		f.resamplefd = resample_fd;
	}
	return ioctl(vm_fd, KVM_IRQFD, &f) < 0 ? -errno : 0;
}

int irqfd_deassign(int vm_fd, int fd, unsigned gsi)
{
	struct kvm_irqfd f = { .fd = fd, .gsi = gsi, .flags = KVM_IRQFD_FLAG_DEASSIGN };

	return ioctl(vm_fd, KVM_IRQFD, &f) < 0 ? -errno : 0;
}

static int ioeventfd_ioctl(int vm_fd, const struct ioeventfd_cfg *cfg, uint32_t extra)
{
	struct kvm_ioeventfd e = { .addr = cfg->addr, .len = cfg->len, .fd = cfg->fd,
				   .datamatch = cfg->datamatch, .flags = extra };

	if (cfg->pio)
		e.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (cfg->match)
		e.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
	return ioctl(vm_fd, KVM_IOEVENTFD, &e) < 0 ? -errno : 0;
}

int ioeventfd_assign(int vm_fd, const struct ioeventfd_cfg *cfg)
{
	return ioeventfd_ioctl(vm_fd, cfg, 0);
}

int ioeventfd_deassign(int vm_fd, const struct ioeventfd_cfg *cfg)
{
	return ioeventfd_ioctl(vm_fd, cfg, KVM_IOEVENTFD_FLAG_DEASSIGN);
}
