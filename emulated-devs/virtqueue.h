/*
 * Split virtqueues (virtio 1.x, section 2.7): the device side of one queue.
 * Shared by every virtio device model and by the vhost-user front-end.
 *
 * The rings live in guest RAM and the guest may rewrite them at any time.
 * Every guest address goes through gpa_to_hva(); every descriptor is copied
 * once and only the copy is validated and used. A ring or chain the device
 * cannot accept marks the queue broken: from then on it yields nothing and
 * writes nothing, and the transport puts the device in NEEDS_RESET.
 *
 * Threads: a struct virtq is not locked; the caller serialises every call on
 * one queue (the device's lock or its I/O thread).
 */
#ifndef IOVIRT_VIRTQUEUE_H
#define IOVIRT_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "compiler.h"
#include "iov.h"

struct guest_mem;

#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1
#define VIRTQ_MAX_SIZE        32768

/* Ring layouts as the guest writes them (little-endian). */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

/* Bytes each ring occupies for a queue of size n (event fields included). */
#define VIRTQ_DESC_BYTES(n)  (16ULL * (n))
#define VIRTQ_AVAIL_BYTES(n) (6ULL + 2ULL * (n))
#define VIRTQ_USED_BYTES(n)  (6ULL + 8ULL * (n))

struct virtq {
	const struct guest_mem *mem;
	uint16_t size;          /* 0 while stopped */
	bool event_idx;         /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool broken;
	/* Host views of the rings, valid while size != 0. */
	uint8_t *desc;
	uint8_t *avail;
	uint8_t *used;
	uint16_t last_avail;    /* next avail ring entry to take */
	uint16_t used_idx;      /* our used->idx, published by virtq_flush() */
	uint16_t signalled_used;
	bool signalled_valid;
};

/* One descriptor chain: readable buffers first, then writable ones. */
struct virtq_chain {
	uint16_t head;          /* what virtq_fill() gives back to the guest */
	unsigned n_out;         /* iov[0 .. n_out) are device-readable */
	unsigned n_in;          /* iov[n_out .. n_out + n_in) are device-writable */
	size_t out_bytes, in_bytes;
};

/*
 * Start the queue: size must be a power of two, 1 .. VIRTQ_MAX_SIZE; the
 * descriptor table 16-byte, the avail ring 2-byte and the used ring 4-byte
 * aligned, each wholly inside one RAM region of mem (which must outlive the
 * queue). 0, -EINVAL (size or alignment) or -EFAULT (not in RAM). The queue
 * starts with index 0 everywhere and no broken state.
 */
int virtq_start(struct virtq *vq, const struct guest_mem *mem, unsigned size, uint64_t desc,
		uint64_t avail, uint64_t used, bool event_idx) __must_check;

/* Stop the queue: it forgets the rings and touches guest memory no more. */
void virtq_stop(struct virtq *vq);

/* Whether the queue is started and not broken. */
bool virtq_ready(const struct virtq *vq);

/*
 * Take the next available chain.
 *
 * Contract (what the walker guarantees and what it treats as a broken ring):
 *  - the avail index is read once; if it is more than size entries ahead of
 *    the entries taken so far the ring is broken;
 *  - the head and every next index must be below the table's size; the walk
 *    counts every descriptor it visits (those in an indirect table too) and a
 *    chain of more than size descriptors is broken, which also ends loops;
 *  - each descriptor is copied once (the guest may rewrite it under us) and
 *    only the copy is checked and used;
 *  - INDIRECT: one level only. The descriptor must not also have NEXT, its
 *    table must be a non-zero multiple of 16 bytes wholly in RAM; a
 *    descriptor inside a table with INDIRECT is an error. The WRITE flag of
 *    the descriptor pointing to the table is ignored;
 *  - every buffer [addr, addr + len) must lie in one RAM region (no wrap);
 *    zero-length buffers are accepted and yield no iovec;
 *  - a readable buffer after a writable one is an error.
 * iov has room for iov_max entries (with iov_max >= size no legal chain
 * overflows it). Returns 1 with *c and iov filled, 0 when no chain is
 * available, -ENOBUFS when the chain has more buffers than iov_max (nothing
 * taken, the queue stays usable), -EIO when the queue is (or just became)
 * broken, or is stopped.
 */
int virtq_pop(struct virtq *vq, struct iovec *iov, unsigned iov_max, struct virtq_chain *c)
	__must_check;

/* Give back the last n chains taken by virtq_pop() and not yet filled. */
void virtq_unpop(struct virtq *vq, unsigned n);

/*
 * Write used element idx (0 = the next entry to publish) for chain head with
 * len bytes written by the device. Not visible to the guest until virtq_flush().
 */
void virtq_fill(struct virtq *vq, unsigned idx, uint16_t head, uint32_t len);

/* Publish n filled elements: the used index moves after the elements are visible. */
void virtq_flush(struct virtq *vq, unsigned n);

/* virtq_fill(vq, 0, head, len) then virtq_flush(vq, 1). */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);

/*
 * Whether the guest wants an interrupt for what was published since the
 * last call (used_event with EVENT_IDX, else the NO_INTERRUPT flag). Call
 * after virtq_flush(); false when nothing was published.
 */
bool virtq_need_notify(struct virtq *vq);

/*
 * Ask the guest for a kick on its next buffer, then look again: true when
 * buffers arrived meanwhile (the caller keeps processing instead of
 * sleeping). waiting: chains the guest has already made available that the
 * caller left there because they were not enough (a receive frame needing
 * more buffers), 0 when it took everything. With EVENT_IDX avail_event is set
 * past them (otherwise the guest's next post would not kick: its old index is
 * already past our position); without, NO_NOTIFY is cleared.
 */
bool virtq_notify_enable(struct virtq *vq, unsigned waiting);

/* Ask the guest not to kick while we are processing (without EVENT_IDX: NO_NOTIFY). */
void virtq_notify_disable(struct virtq *vq);

/* Number of available chains not yet taken (0 when stopped or broken). */
unsigned virtq_avail_count(struct virtq *vq);

#endif
