/*
 * A vfio_dev transport for unit tests: a config-space array, BARs backed by
 * memfds (so region_mmap hands out real mappings the caller may munmap), a
 * recorded list of interrupt, DMA and reset calls, and injectable limits (the
 * transport's mapping limit, a byte budget standing in for RLIMIT_MEMLOCK).
 *
 * Config writes land in cfg[] as they are; everything is single-threaded.
 */
#ifndef IOVIRT_TEST_FAKE_VFIO_DEV_H
#define IOVIRT_TEST_FAKE_VFIO_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "vfio-dev.h"

#define FAKE_VFIO_REGIONS 9   /* BAR0-5, ROM, config, VGA */
#define FAKE_VFIO_IRQS    5
#define FAKE_VFIO_MAX_CALLS 8192
#define FAKE_VFIO_MAX_FDS 8

enum fake_vfio_call_kind {
	FAKE_IRQ_SET,     /* index, start, count, fds[] (the first FAKE_VFIO_MAX_FDS) */
	FAKE_IRQ_UNMASK,  /* index, fds[0] */
	FAKE_DMA_MAP,     /* iova, size */
	FAKE_DMA_UNMAP,   /* iova, size */
	FAKE_RESET,
	FAKE_CFG_WRITE,   /* iova = offset, size = length, value */
};

struct fake_vfio_call {
	enum fake_vfio_call_kind kind;
	unsigned index, start, count;
	int fds[FAKE_VFIO_MAX_FDS];
	uint64_t iova, size;
	uint32_t value;
};

struct fake_vfio {
	struct vfio_dev dev;
	uint8_t cfg[4096];
	struct vfio_dev_region regions[FAKE_VFIO_REGIONS];
	int region_fd[FAKE_VFIO_REGIONS];   /* memfd behind a BAR or ROM, or -1 */
	uint8_t *region_mem[FAKE_VFIO_REGIONS]; /* the fake's own view of it */
	struct vfio_dev_irq irqs[FAKE_VFIO_IRQS];
	struct fake_vfio_call calls[FAKE_VFIO_MAX_CALLS];
	unsigned n_calls;
	unsigned fail_irq_set;   /* fail the next n irq_set_eventfds() binding fds (-ENOSPC) */
	uint64_t pin_budget;     /* bytes dma_map may still pin; UINT64_MAX: no limit */
	unsigned live_mmaps;     /* region_mmap()s handed out (the caller munmaps them) */
	bool closed;
};

/*
 * A fake 82574-like function: BAR0 128 KiB memory (mmappable), BAR2 I/O 32
 * bytes, BAR3 16 KiB memory holding the MSI-X table (5 vectors, offset 0) and
 * PBA (offset 0x2000), sparse-mmap areas around them; capabilities PM (0xc8),
 * MSI (0xd0), PCIe v2 (0xe0), MSI-X (0xa0), a vendor one (0x40) and an
 * unsupported one (0x60); INTx pin A; a 64 KiB ROM. Returns NULL on
 * allocation failure.
 */
struct fake_vfio *fake_vfio_new(void);

/* The vfio_dev's close hook marks it closed; free it afterwards. */
void fake_vfio_free(struct fake_vfio *f);

/* Replace BAR n (a memory BAR of size bytes, one area of all of it when mmappable). */
void fake_vfio_set_bar(struct fake_vfio *f, unsigned n, uint32_t reg, uint64_t size,
		       bool mmappable);

/* The i-th recorded call of kind (from the start), or NULL. */
const struct fake_vfio_call *fake_vfio_find(const struct fake_vfio *f,
					    enum fake_vfio_call_kind kind, unsigned i);
unsigned fake_vfio_count(const struct fake_vfio *f, enum fake_vfio_call_kind kind);

/* The last call of kind, or NULL. */
const struct fake_vfio_call *fake_vfio_last(const struct fake_vfio *f,
					    enum fake_vfio_call_kind kind);

#endif
