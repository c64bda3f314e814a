/* The switch's MAC learning table: open addressing, linear probing, backward-shift deletion. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "mac-table.h"

#define SLOT_USED (1ULL << 63)

struct mac_slot {
	uint64_t key; /* mac_table_key() | SLOT_USED, or 0 when free */
	uint64_t seen;
	uint16_t port;
};

struct mac_table {
	struct mac_slot *slots;
	uint32_t mask;  /* slots - 1; slots is a power of two, at least twice max */
	uint32_t max;
	uint32_t count;
	uint64_t age_time;
	uint64_t seed;
	struct mac_table_stats stats;
};

static uint64_t mac_table_seed(void)
{
	uint64_t seed;
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)ts.tv_sec;
}

int mac_table_new(uint32_t max_entries, uint64_t age_time, struct mac_table **out)
{
	struct mac_table *t;
	uint32_t slots = 2;

	if (!max_entries || max_entries > MAC_TABLE_MAX_ENTRIES)
		return -EINVAL;
	while (slots < 2 * max_entries)
		slots <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->slots = calloc(slots, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return -ENOMEM;
	}
	t->mask = slots - 1;
	t->max = max_entries;
	t->age_time = age_time;
	t->seed = mac_table_seed();
	*out = t;
	return 0;
}

void mac_table_free(struct mac_table *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t);
}

uint64_t mac_table_key(const uint8_t mac[6])
{
	uint64_t k = 0;

	for (int i = 0; i < 6; i++)
		k = k << 8 | mac[i];
	return k;
}

bool mac_is_group(const uint8_t mac[6])
{
	return mac[0] & 1;
}

static uint32_t mac_table_home(const struct mac_table *t, uint64_t key)
{
	uint64_t h = (key & ~SLOT_USED) ^ t->seed;

	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)(h ^ (h >> 31)) & t->mask;
}

static bool mac_table_expired(const struct mac_table *t, const struct mac_slot *s, uint64_t now)
{
	return t->age_time && now > s->seen && now - s->seen > t->age_time;
}

/* The slot holding key, or the free slot that ends its probe chain. */
static uint32_t mac_table_probe(const struct mac_table *t, uint64_t key)
{
	uint32_t i = mac_table_home(t, key);

	while (t->slots[i].key && t->slots[i].key != key)
		i = (i + 1) & t->mask;
	return i;
}

/* True when home lies cyclically in (hole, j]: the entry at j may not move to hole. */
static bool mac_table_stays(uint32_t home, uint32_t hole, uint32_t j)
{
	if (hole <= j)
		return hole < home && home <= j;
	return hole < home || home <= j;
}

/* Empty slot i and shift the rest of its cluster back so that no probe chain breaks. */
static void mac_table_remove_at(struct mac_table *t, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		j = (j + 1) & t->mask;
		if (!t->slots[j].key)
			break;
		if (mac_table_stays(mac_table_home(t, t->slots[j].key), i, j))
			continue;
		t->slots[i] = t->slots[j];
		i = j;
	}
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
	t->count--;
}

int mac_table_learn(struct mac_table *t, const uint8_t src[6], uint16_t port, uint64_t now)
{
	uint64_t key = mac_table_key(src);
	struct mac_slot *s;

	if (mac_is_group(src) || !key)
		return -EINVAL;
	key |= SLOT_USED;
	s = &t->slots[mac_table_probe(t, key)];
	if (s->key) {
		if (s->port != port) {
			s->port = port;
			t->stats.moved++;
		}
		s->seen = now;
		return 0;
	}
	if (t->count == t->max) {
		t->stats.full++;
		return -ENOSPC;
	}
	*s = (struct mac_slot){ .key = key, .seen = now, .port = port };
	t->count++;
	t->stats.learned++;
	return 0;
}

int mac_table_lookup(struct mac_table *t, const uint8_t dst[6], uint64_t now)
{
	uint64_t key = mac_table_key(dst) | SLOT_USED;
	uint32_t i;

	if (mac_is_group(dst))
		return -ENOENT;
	i = mac_table_probe(t, key);
	if (!t->slots[i].key)
		return -ENOENT;
	if (mac_table_expired(t, &t->slots[i], now)) {
		mac_table_remove_at(t, i);
		t->stats.aged++;
		return -ENOENT;
	}
	return t->slots[i].port;
}

struct mac_fwd mac_table_forward(struct mac_table *t, const uint8_t dst[6], const uint8_t src[6],
				 uint16_t in_port, uint64_t now)
{
	int port;

	mac_table_learn(t, src, in_port, now);
	port = mac_table_lookup(t, dst, now);
	if (port < 0)
		return (struct mac_fwd){ .kind = MAC_FWD_FLOOD };
	if (port == in_port)
		return (struct mac_fwd){ .kind = MAC_FWD_DROP };
	return (struct mac_fwd){ .kind = MAC_FWD_PORT, .port = (uint16_t)port };
}

/*
 * Remove the entries that match; a removal may shift a later entry into slot
 * i, so i is looked at again before moving on.
 */
typedef bool mac_slot_match(const struct mac_table *t, const struct mac_slot *s, uint64_t arg);

static uint32_t mac_table_remove_if(struct mac_table *t, mac_slot_match *match, uint64_t arg)
{
	uint32_t removed = 0;

	for (uint32_t i = 0; i <= t->mask;) {
		if (t->slots[i].key && match(t, &t->slots[i], arg)) {
			mac_table_remove_at(t, i);
			removed++;
			continue;
		}
		i++;
	}
	return removed;
}

static bool match_expired(const struct mac_table *t, const struct mac_slot *s, uint64_t now)
{
	return mac_table_expired(t, s, now);
}

static bool match_port(const struct mac_table *t, const struct mac_slot *s, uint64_t port)
{
	return s->port == port;
}

uint32_t mac_table_age(struct mac_table *t, uint64_t now)
{
	uint32_t n = mac_table_remove_if(t, match_expired, now);

	t->stats.aged += n;
	return n;
}

uint32_t mac_table_flush_port(struct mac_table *t, uint16_t port)
{
	return mac_table_remove_if(t, match_port, port);
}

uint32_t mac_table_count(const struct mac_table *t)
{
	return t->count;
}

void mac_table_get_stats(const struct mac_table *t, struct mac_table_stats *out)
{
	*out = t->stats;
}
