/*
 * KVM binary statistics (KVM_GET_STATS_FD) of a VM or a vCPU: exits,
 * io_exits, mmio_exits, irq_injections, halt_exits, ... by name.
 */
#ifndef IOVIRT_KVM_STATS_H
#define IOVIRT_KVM_STATS_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

struct kvm_stats {
	int fd;
	struct kvm_stats_header hdr;
	void *descs;      /* hdr.num_desc descriptors of desc_size bytes each */
	size_t desc_size; /* sizeof(struct kvm_stats_desc) + hdr.name_size */
};

/* Open the statistics of a VM or vCPU fd. 0 or -errno (-ENOTTY: no support). */
int kvm_stats_open(int kvm_obj_fd, struct kvm_stats *st) __must_check;
void kvm_stats_close(struct kvm_stats *st);

/* Number of statistics and the name of the i-th. */
size_t kvm_stats_count(const struct kvm_stats *st);
const char *kvm_stats_name(const struct kvm_stats *st, size_t i);

/*
 * Read the current value of a statistic by name (the first element of an
 * array statistic). 0, -ENOENT (no such name) or -errno from pread.
 */
int kvm_stats_read(const struct kvm_stats *st, const char *name, uint64_t *value) __must_check;

#endif
