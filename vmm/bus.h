/*
 * A PIO or MMIO bus: guest accesses dispatched by address range.
 *
 * Ranges are kept sorted; a range that overlaps one already registered is
 * refused, so every address has at most one owner. Handlers run without the
 * bus lock held, so a handler may itself (un)register ranges (a BAR move from
 * an ECAM write). Ranges stay valid until bus_unregister() returns; a device
 * must only be freed after its ranges are gone and no vCPU runs.
 */
#ifndef IOVIRT_BUS_H
#define IOVIRT_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

/*
 * One device's handlers. offset is relative to the registered base; len is
 * 1, 2, 4 or 8 (the access size the vCPU used). A read handler fills all len
 * bytes of data (little-endian).
 */
struct bus_ops {
	void (*read)(void *opaque, uint64_t offset, uint8_t *data, unsigned len);
	void (*write)(void *opaque, uint64_t offset, const uint8_t *data, unsigned len);
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	const struct bus_ops *ops;
	void *opaque;
	const char *name; /* for logs: "com1", "00:02.0 BAR0" */
};

struct bus {
	const char *name; /* "pio" or "mmio" */
	pthread_rwlock_t lock;
	struct bus_range *ranges; /* sorted by base, no overlaps */
	size_t n;
	size_t cap;
	uint64_t unhandled; /* accesses no range claimed (guest errors, counted) */
};

void bus_init(struct bus *bus, const char *name);
void bus_destroy(struct bus *bus);

/*
 * Claim [base, base + len) for ops/opaque. Returns 0, -EINVAL (len 0 or the
 * range wraps past 2^64), -EEXIST (overlaps another range) or -ENOMEM. name
 * must outlive the registration.
 */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_ops *ops,
		 void *opaque, const char *name) __must_check;

/* Remove the range that starts at base and belongs to opaque. 0 or -ENOENT. */
int bus_unregister(struct bus *bus, uint64_t base, void *opaque);

/* Whether any registered range overlaps [base, base + len) (len > 0, no wrap). */
bool bus_overlaps(struct bus *bus, uint64_t base, uint64_t len);

/* The range holding addr copied to *out, or false. */
bool bus_lookup(struct bus *bus, uint64_t addr, struct bus_range *out);

/*
 * Dispatch one guest access. An access no range claims, or one that runs past
 * the end of its range, is counted in bus->unhandled, reads return all-ones
 * (what real hardware returns for a master abort) and the function returns
 * false; the caller decides whether to log it.
 */
bool bus_read(struct bus *bus, uint64_t addr, uint8_t *data, unsigned len);
bool bus_write(struct bus *bus, uint64_t addr, const uint8_t *data, unsigned len);

#endif
