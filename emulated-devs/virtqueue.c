#include "virtqueue.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "guest-mem.h"

/* Ring field offsets (virtio 1.x 2.7.6 and 2.7.8). */
#define AVAIL_FLAGS    0
#define AVAIL_IDX      2
#define AVAIL_RING(i)  (4 + 2 * (size_t)(i))
#define USED_FLAGS     0
#define USED_IDX       2
#define USED_RING(i)   (4 + 8 * (size_t)(i))

/* Keeps the compiler from re-reading guest memory instead of using our copy. */
#define compiler_barrier() __asm__ __volatile__("" ::: "memory")

static uint16_t ring_load16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static void ring_store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELAXED);
}

static void ring_store32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, htole32(v), __ATOMIC_RELAXED);
}

static bool is_pow2(unsigned v)
{
	return v && !(v & (v - 1));
}

int virtq_start(struct virtq *vq, const struct guest_mem *mem, unsigned size, uint64_t desc,
		uint64_t avail, uint64_t used, bool event_idx)
{
	uint8_t *d, *a, *u;

	memset(vq, 0, sizeof(*vq));
	if (!is_pow2(size) || size > VIRTQ_MAX_SIZE || (desc & 15) || (avail & 1) || (used & 3))
		return -EINVAL;
	d = gpa_to_hva(mem, desc, VIRTQ_DESC_BYTES(size));
	a = gpa_to_hva(mem, avail, VIRTQ_AVAIL_BYTES(size));
	u = gpa_to_hva(mem, used, VIRTQ_USED_BYTES(size));
	if (!d || !a || !u)
		return -EFAULT;
	*vq = (struct virtq){ .mem = mem, .size = size, .event_idx = event_idx, .desc = d,
			      .avail = a, .used = u };
	return 0;
}

void virtq_stop(struct virtq *vq)
{
	memset(vq, 0, sizeof(*vq));
}

bool virtq_ready(const struct virtq *vq)
{
	return vq->size && !vq->broken;
}

static int virtq_break(struct virtq *vq)
{
	vq->broken = true;
	return -EIO;
}

/* One copy of descriptor i of table; only the copy is looked at afterwards. */
static void desc_read(const uint8_t *table, unsigned i, struct virtq_desc *d)
{
	memcpy(d, table + 16 * (size_t)i, sizeof(*d));
	compiler_barrier();
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

struct chain_walk {
	struct iovec *iov;
	unsigned iov_max;
	struct virtq_chain *c;
	bool seen_write;
};

/* Record one data buffer of the chain. 0, -EIO (guest error) or -ENOBUFS (iov full). */
static int walk_buffer(const struct virtq *vq, struct chain_walk *w, const struct virtq_desc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	unsigned n = w->c->n_out + w->c->n_in;
	void *p;

	if (!writable && w->seen_write)
		return -EIO;
	w->seen_write |= writable;
	if (!d->len)
		return 0;
	p = gpa_to_hva(vq->mem, d->addr, d->len);
	if (!p)
		return -EIO;
	if (n == w->iov_max)
		return -ENOBUFS;
	w->iov[n] = (struct iovec){ .iov_base = p, .iov_len = d->len };
	if (writable) {
		w->c->n_in++;
		w->c->in_bytes += d->len;
	} else {
		w->c->n_out++;
		w->c->out_bytes += d->len;
	}
	return 0;
}

/* Walk the chain starting at head (see the contract in virtqueue.h). 0, -EIO or -ENOBUFS. */
static int chain_walk(struct virtq *vq, uint16_t head, struct chain_walk *w)
{
	const uint8_t *table = vq->desc;
	unsigned table_size = vq->size, i = head, count = 0;
	bool indirect = false;
	struct virtq_desc d;
	int ret;

	for (;;) {
		if (++count > vq->size)
			return -EIO;
		desc_read(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect || (d.flags & VIRTQ_DESC_F_NEXT) || !d.len || d.len % 16)
				return -EIO;
			table = gpa_to_hva(vq->mem, d.addr, d.len);
			if (!table)
				return -EIO;
			table_size = d.len / 16;
			indirect = true;
			i = 0;
			continue;
		}
		ret = walk_buffer(vq, w, &d);
		if (ret)
			return ret;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
#ifndef IOVIRT_FUZZ_PLANTED_BUG /* test only: tests/fuzz proves its target catches the removal */
		if (i >= table_size)
			return -EIO;
#else
		(void)table_size;
#endif
	}
}

int virtq_pop(struct virtq *vq, struct iovec *iov, unsigned iov_max, struct virtq_chain *c)
{
	struct chain_walk w = { .iov = iov, .iov_max = iov_max, .c = c };
	uint16_t avail_idx, pending, head;
	int ret;

	if (!virtq_ready(vq))
		return -EIO;
	/* Acquire: the ring entry and descriptors were written before the index. */
	avail_idx = le16toh(__atomic_load_n((const uint16_t *)(vq->avail + AVAIL_IDX),
					    __ATOMIC_ACQUIRE));
	pending = avail_idx - vq->last_avail;
	if (pending > vq->size)
		return virtq_break(vq);
	if (!pending)
		return 0;
	head = ring_load16(vq->avail + AVAIL_RING(vq->last_avail & (vq->size - 1)));
	if (head >= vq->size)
		return virtq_break(vq);
	*c = (struct virtq_chain){ .head = head };
	ret = chain_walk(vq, head, &w);
	if (ret == -ENOBUFS)
		return ret;
	if (ret)
		return virtq_break(vq);
	vq->last_avail++;
	return 1;
}

void virtq_unpop(struct virtq *vq, unsigned n)
{
	vq->last_avail -= n;
}

void virtq_fill(struct virtq *vq, unsigned idx, uint16_t head, uint32_t len)
{
	uint8_t *e;

	if (!virtq_ready(vq))
		return;
	e = vq->used + USED_RING((uint16_t)(vq->used_idx + idx) & (vq->size - 1));
	ring_store32(e, head);
	ring_store32(e + 4, len);
}

void virtq_flush(struct virtq *vq, unsigned n)
{
	if (!virtq_ready(vq))
		return;
	/* Release: the elements are visible before the index that publishes them. */
	vq->used_idx += n;
	__atomic_store_n((uint16_t *)(vq->used + USED_IDX), htole16(vq->used_idx), __ATOMIC_RELEASE);
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	virtq_fill(vq, 0, head, len);
	virtq_flush(vq, 1);
}

bool virtq_need_notify(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, new = vq->used_idx, event;

	if (!virtq_ready(vq) || old == new)
		return false;
	vq->signalled_used = new;
	/* Our used index store must be ordered before reading the guest's request. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(ring_load16(vq->avail + AVAIL_FLAGS) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	event = ring_load16(vq->avail + AVAIL_RING(vq->size));
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

bool virtq_notify_enable(struct virtq *vq, unsigned waiting)
{
	uint16_t seen = vq->last_avail + waiting;

	if (!virtq_ready(vq))
		return false;
	if (vq->event_idx)
		ring_store16(vq->used + USED_RING(vq->size), seen);
	else
		ring_store16(vq->used + USED_FLAGS, 0);
	/* Publish the request before looking at the avail index again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ring_load16(vq->avail + AVAIL_IDX) != seen;
}

void virtq_notify_disable(struct virtq *vq)
{
	if (virtq_ready(vq) && !vq->event_idx)
		ring_store16(vq->used + USED_FLAGS, VIRTQ_USED_F_NO_NOTIFY);
}

unsigned virtq_avail_count(struct virtq *vq)
{
	uint16_t pending;

	if (!virtq_ready(vq))
		return 0;
	pending = ring_load16(vq->avail + AVAIL_IDX) - vq->last_avail;
	return pending > vq->size ? 0 : pending;
}
