/*
 * A virtio split ring, driver side, without any device access: descriptor
 * table, available and used rings in memory the caller owns (guest RAM,
 * physical = virtual), the used-ring reader that trusts nothing the device
 * wrote, and the event-index rules. Freestanding (stdint only): the guest
 * drivers and the host unit tests compile it alike. Little-endian host.
 */
#ifndef GUEST_VIRTQ_H
#define GUEST_VIRTQ_H

#include <stdint.h>

#define VIRTQ_DESC_F_NEXT  1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_USED_F_NO_NOTIFY 1

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Bytes of each part for a ring of size entries (with the event-index fields). */
#define VIRTQ_DESC_BYTES(size)  (16u * (size))
#define VIRTQ_AVAIL_BYTES(size) (6u + 2u * (size))
#define VIRTQ_USED_BYTES(size)  (6u + 8u * (size))

struct virtq {
	struct virtq_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[size], used_event */
	volatile uint8_t *used;   /* flags, idx, ring[size] of {id, len}, avail_event */
	uint16_t size;            /* a power of two, 1..32768 */
	uint16_t avail_idx;       /* next free slot of the available ring (driver's copy) */
	uint16_t last_used;       /* next used entry to read */
	int event_idx;            /* VIRTIO_F_EVENT_IDX negotiated */
};

/*
 * Set up q over zeroed parts desc, avail and used for size entries. Returns
 * 0, or -22 (EINVAL) when size is 0, above 32768 or not a power of two.
 */
int virtq_init(struct virtq *q, void *desc, void *avail, void *used, uint32_t size,
	       int event_idx);

/* Put descriptor id (< size) in the available ring and publish the new index. */
void virtq_publish(struct virtq *q, uint16_t id);

/*
 * After publishing from old_idx to q->avail_idx (and a full barrier): 1 when
 * the device asked to be notified of this (avail_event, or the used ring's
 * NO_NOTIFY flag without event index), else 0.
 */
int virtq_kick_needed(const struct virtq *q, uint16_t old_idx);

/*
 * Take the next used entry: 1 and *id, *len; 0 when there is none; -5 (EIO)
 * when the device wrote an id >= size or moved the used index more than size
 * entries ahead (the entry is not consumed, so the error repeats).
 */
int virtq_take(struct virtq *q, uint16_t *id, uint32_t *len);

/*
 * With event index: ask for an interrupt at the next used entry (used_event
 * = last_used). Without: clear or set the avail ring's NO_INTERRUPT flag.
 */
void virtq_irq_want(struct virtq *q, int want);

/* 1 when moving an index from old to new_idx passes event (the virtio rule). */
static inline int virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

#endif
