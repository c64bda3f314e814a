/*
 * Fuzz target: the split-virtqueue chain walker and used ring
 * (emulated-devs/virtqueue.c) over guest RAM made of the input.
 *
 * Input: size (log2, 1 byte), flags (bit 0 EVENT_IDX), iov_max (2 bytes),
 * descriptor/avail/used ring offsets (2 bytes each, in units of their
 * alignment), a split point, then guest RAM: the rest, in two regions (each
 * its own exact-size allocation, so a read past either is a sanitizer
 * report). The device takes chains until none is left or the ring breaks,
 * checking the walker's contract on every chain it gets.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "guest-mem.h"
#include "virtqueue.h"

#define RAM_GPA 0x10000ULL
#define MAX_POPS 512

/* [base, base + len) is inside one region of mem. */
static bool in_ram(const struct guest_mem *mem, const void *base, size_t len)
{
	for (size_t i = 0; i < mem->n_regions; i++) {
		const uint8_t *lo = mem->regions[i].hva, *p = base;

		if (p >= lo && len <= mem->regions[i].size &&
		    (size_t)(p - lo) <= mem->regions[i].size - len)
			return true;
	}
	return false;
}

/* The walker's promises for a chain it returned. */
static void chain_check(const struct virtq *vq, const struct iovec *iov, unsigned iov_max,
			const struct virtq_chain *c)
{
	size_t out = 0, in = 0;

	FUZZ_CHECK(c->head < vq->size);
	FUZZ_CHECK(c->n_out + c->n_in <= iov_max);
	for (unsigned i = 0; i < c->n_out + c->n_in; i++) {
		FUZZ_CHECK(iov[i].iov_len > 0);
		FUZZ_CHECK(in_ram(vq->mem, iov[i].iov_base, iov[i].iov_len));
		if (i < c->n_out)
			out += iov[i].iov_len;
		else
			in += iov[i].iov_len;
	}
	FUZZ_CHECK(out == c->out_bytes && in == c->in_bytes);
}

/* Take chains until the ring is empty or broken, giving each back. */
static void device_run(struct virtq *vq, struct iovec *iov, unsigned iov_max)
{
	struct virtq_chain c;

	for (int n = 0; n < MAX_POPS; n++) {
		int ret = virtq_pop(vq, iov, iov_max, &c);

		if (ret == 1) {
			chain_check(vq, iov, iov_max, &c);
			virtq_push(vq, c.head, (uint32_t)c.in_bytes);
			virtq_need_notify(vq);
			continue;
		}
		FUZZ_CHECK(ret == 0 || ret == -EIO || ret == -ENOBUFS);
		FUZZ_CHECK(ret != -EIO || !virtq_ready(vq));
		if (ret == 0 && virtq_notify_enable(vq, 0))
			continue;
		break;
	}
	virtq_notify_disable(vq);
	virtq_avail_count(vq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	unsigned size = 1u << (fuzz_uint(&in, 1) % 9);
	bool event_idx = fuzz_uint(&in, 1) & 1;
	unsigned iov_max = 1 + fuzz_uint(&in, 2) % 300;
	uint64_t desc = RAM_GPA + 16 * fuzz_uint(&in, 2);
	uint64_t avail = RAM_GPA + 2 * fuzz_uint(&in, 2);
	uint64_t used = RAM_GPA + 4 * fuzz_uint(&in, 2);
	size_t split = fuzz_uint(&in, 2), ram_len;
	struct guest_mem mem = { 0 };
	struct iovec *iov = calloc(iov_max, sizeof(*iov));
	uint8_t *ram = fuzz_rest_dup(&in, &ram_len), *hi = NULL;
	struct virtq vq;

	if (!iov)
		abort();
	split = ram_len ? split % ram_len : 0;
	if (split) {
		uint8_t *lo = malloc(split);

		hi = malloc(ram_len - split);
		if (!lo || !hi)
			abort();
		memcpy(lo, ram, split);
		memcpy(hi, ram + split, ram_len - split);
		free(ram);
		ram = lo;
	}
	/* Two adjacent regions: a buffer spanning both must be refused. */
	if (ram_len && guest_mem_add(&mem, RAM_GPA, split ? split : ram_len, ram, -1, 0) == 0 &&
	    (!split || guest_mem_add(&mem, RAM_GPA + split, ram_len - split, hi, -1, 0) == 0) &&
	    virtq_start(&vq, &mem, size, desc, avail, used, event_idx) == 0)
		device_run(&vq, iov, iov_max);
	free(hi);
	free(ram);
	free(iov);
	return 0;
}
