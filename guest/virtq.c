/* Split virtqueue, driver side (virtq.h). */
#include "virtq.h"

#define EINVAL_ 22
#define EIO_    5

static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

int virtq_init(struct virtq *q, void *desc, void *avail, void *used, uint32_t size,
	       int event_idx)
{
	if (size == 0 || size > 32768 || (size & (size - 1)))
		return -EINVAL_;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->size = (uint16_t)size;
	q->avail_idx = 0;
	q->last_used = 0;
	q->event_idx = !!event_idx;
	return 0;
}

void virtq_publish(struct virtq *q, uint16_t id)
{
	q->avail[2 + (q->avail_idx & (q->size - 1))] = id;
	q->avail_idx++;
	barrier(); /* x86: stores are not reordered with older stores */
	q->avail[1] = q->avail_idx;
}

/*
 * One load each (the used ring is 4-byte aligned, x86 little-endian): the device moves the
 * index while the driver reads it, and an index read as two bytes can pair the old low byte
 * with the new high byte (0x01ff between 0x00ff and 0x0100), 256 entries ahead.
 */
static uint16_t used_u16(const struct virtq *q, uint32_t off)
{
	return __atomic_load_n((const volatile uint16_t *)(q->used + off), __ATOMIC_ACQUIRE);
}

static uint32_t used_u32(const struct virtq *q, uint32_t off)
{
	return __atomic_load_n((const volatile uint32_t *)(q->used + off), __ATOMIC_ACQUIRE);
}

int virtq_kick_needed(const struct virtq *q, uint16_t old_idx)
{
	if (q->event_idx)
		return virtq_need_event(used_u16(q, 4 + 8u * q->size), q->avail_idx, old_idx);
	return !(used_u16(q, 0) & VIRTQ_USED_F_NO_NOTIFY);
}

int virtq_take(struct virtq *q, uint16_t *id, uint32_t *len)
{
	uint16_t idx = used_u16(q, 2);
	uint32_t slot, i;

	if (idx == q->last_used)
		return 0;
	if ((uint16_t)(idx - q->last_used) > q->size)
		return -EIO_;
	barrier(); /* x86: loads are not reordered with older loads */
	slot = 4 + 8u * (q->last_used & (q->size - 1));
	i = used_u32(q, slot);
	if (i >= q->size)
		return -EIO_;
	*id = (uint16_t)i;
	*len = used_u32(q, slot + 4);
	q->last_used++;
	return 1;
}

void virtq_irq_want(struct virtq *q, int want)
{
	if (q->event_idx)
		q->avail[2 + q->size] = want ? q->last_used : (uint16_t)(q->last_used - 1);
	else
		q->avail[0] = want ? 0 : 1;
}
