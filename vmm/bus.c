#include "bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void bus_init(struct bus *bus, const char *name)
{
	*bus = (struct bus){ .name = name };
	pthread_rwlock_init(&bus->lock, NULL);
}

void bus_destroy(struct bus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->n = bus->cap = 0;
	pthread_rwlock_destroy(&bus->lock);
}

/* Index of the first range whose last byte is >= addr (bus->n if none). */
static size_t bus_search(const struct bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];

		if (r->base + (r->len - 1) < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int bus_reserve(struct bus *bus)
{
	struct bus_range *n;
	size_t cap;

	if (bus->n < bus->cap)
		return 0;
	cap = bus->cap ? bus->cap * 2 : 16;
	n = realloc(bus->ranges, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	bus->ranges = n;
	bus->cap = cap;
	return 0;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_ops *ops,
		 void *opaque, const char *name)
{
	size_t i;
	int ret;

	if (!len || base + (len - 1) < base || !ops)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	i = bus_search(bus, base);
	if (i < bus->n && bus->ranges[i].base <= base + (len - 1)) {
		ret = -EEXIST;
		goto out;
	}
	ret = bus_reserve(bus);
	if (ret)
		goto out;
	memmove(&bus->ranges[i + 1], &bus->ranges[i], (bus->n - i) * sizeof(bus->ranges[0]));
	bus->ranges[i] = (struct bus_range){ .base = base, .len = len, .ops = ops,
					     .opaque = opaque, .name = name };
	bus->n++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

bool bus_overlaps(struct bus *bus, uint64_t base, uint64_t len)
{
	bool hit;
	size_t i;

	pthread_rwlock_rdlock(&bus->lock);
	i = bus_search(bus, base);
	hit = i < bus->n && bus->ranges[i].base <= base + (len - 1);
	pthread_rwlock_unlock(&bus->lock);
	return hit;
}

int bus_unregister(struct bus *bus, uint64_t base, void *opaque)
{
	int ret = -ENOENT;
	size_t i;

	pthread_rwlock_wrlock(&bus->lock);
	i = bus_search(bus, base);
	if (i < bus->n && bus->ranges[i].base == base && bus->ranges[i].opaque == opaque) {
		memmove(&bus->ranges[i], &bus->ranges[i + 1],
			(bus->n - i - 1) * sizeof(bus->ranges[0]));
		bus->n--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

bool bus_lookup(struct bus *bus, uint64_t addr, struct bus_range *out)
{
	bool found = false;
	size_t i;

	pthread_rwlock_rdlock(&bus->lock);
	i = bus_search(bus, addr);
	if (i < bus->n && bus->ranges[i].base <= addr) {
		*out = bus->ranges[i];
		found = true;
	}
	pthread_rwlock_unlock(&bus->lock);
	return found;
}

/* The range that wholly holds [addr, addr + len), or false (counted as unhandled). */
static bool bus_claim(struct bus *bus, uint64_t addr, unsigned len, struct bus_range *r)
{
	if (len && len <= 8 && bus_lookup(bus, addr, r) && addr - r->base <= r->len - len)
		return true;
	__atomic_add_fetch(&bus->unhandled, 1, __ATOMIC_RELAXED);
	return false;
}

bool bus_read(struct bus *bus, uint64_t addr, uint8_t *data, unsigned len)
{
	struct bus_range r;

	if (!bus_claim(bus, addr, len, &r) || !r.ops->read) {
		memset(data, 0xff, len > 8 ? 8 : len);
		return false;
	}
	r.ops->read(r.opaque, addr - r.base, data, len);
	return true;
}

bool bus_write(struct bus *bus, uint64_t addr, const uint8_t *data, unsigned len)
{
	struct bus_range r;

	if (!bus_claim(bus, addr, len, &r) || !r.ops->write)
		return false;
	r.ops->write(r.opaque, addr - r.base, data, len);
	return true;
}
