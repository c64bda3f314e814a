#include "kvm-stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const struct kvm_stats_desc *stats_desc(const struct kvm_stats *st, size_t i)
{
	return (const struct kvm_stats_desc *)((const char *)st->descs + i * st->desc_size);
}

int kvm_stats_open(int kvm_obj_fd, struct kvm_stats *st)
{
	size_t total;
	int err;

	*st = (struct kvm_stats){ .fd = ioctl(kvm_obj_fd, KVM_GET_STATS_FD, NULL) };
	if (st->fd < 0)
		return -errno;
	if (pread(st->fd, &st->hdr, sizeof(st->hdr), 0) != sizeof(st->hdr))
		goto bad;
	if (st->hdr.num_desc > 4096 || st->hdr.name_size > 4096)
		goto bad;
	st->desc_size = sizeof(struct kvm_stats_desc) + st->hdr.name_size;
	total = st->desc_size * st->hdr.num_desc;
	st->descs = calloc(1, total ? total : 1);
	if (!st->descs) {
		err = -ENOMEM;
		goto fail;
	}
	if (pread(st->fd, st->descs, total, st->hdr.desc_offset) != (ssize_t)total)
		goto bad;
	return 0;
bad:
	err = -EIO;
fail:
	kvm_stats_close(st);
	return err;
}

void kvm_stats_close(struct kvm_stats *st)
{
	if (st->fd >= 0)
		close(st->fd);
	free(st->descs);
	*st = (struct kvm_stats){ .fd = -1 };
}

size_t kvm_stats_count(const struct kvm_stats *st)
{
	return st->descs ? st->hdr.num_desc : 0;
}

const char *kvm_stats_name(const struct kvm_stats *st, size_t i)
{
	if (i >= kvm_stats_count(st))
		return NULL;
	return stats_desc(st, i)->name;
}

int kvm_stats_read(const struct kvm_stats *st, const char *name, uint64_t *value)
{
	for (size_t i = 0; i < kvm_stats_count(st); i++) {
		const struct kvm_stats_desc *d = stats_desc(st, i);

		if (strncmp(d->name, name, st->hdr.name_size))
			continue;
		if (pread(st->fd, value, sizeof(*value), st->hdr.data_offset + d->offset) !=
		    sizeof(*value))
			return -EIO;
		return 0;
	}
	return -ENOENT;
}
