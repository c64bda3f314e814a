/*
 * The L2 learning table of `iovirt switch`: source MAC -> port, with aging.
 * Plain C (no DPDK) so that its decisions are unit tested on their own.
 *
 * A fixed-size open-addressing hash table allocated once by mac_table_new();
 * learning and lookups never allocate. Keys are hashed with a per-table random
 * seed so that a peer choosing source MACs cannot aim them at one probe chain.
 * Not thread-safe: one thread (the data path) owns a table.
 *
 * Time is whatever monotonic unit the caller likes (the data path uses TSC
 * cycles); the aging time given to mac_table_new() is in the same unit.
 */
#ifndef IOVIRT_MAC_TABLE_H
#define IOVIRT_MAC_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"

#define MAC_TABLE_MAX_ENTRIES (1u << 20)

struct mac_table;

/* What to do with a frame. */
enum mac_fwd_kind {
	MAC_FWD_PORT,  /* send to .port only */
	MAC_FWD_FLOOD, /* send to every port but the ingress port */
	MAC_FWD_DROP,  /* the destination sits behind the ingress port: filter */
};

struct mac_fwd {
	enum mac_fwd_kind kind;
	uint16_t port; /* MAC_FWD_PORT only */
};

/* Counters of the table's own events, for the switch's statistics. */
struct mac_table_stats {
	uint64_t learned; /* new entries */
	uint64_t moved;   /* a known MAC seen on another port */
	uint64_t aged;    /* entries removed for age */
	uint64_t full;    /* a new MAC not learned because the table was full */
};

/*
 * A table of at most max_entries (1 to MAC_TABLE_MAX_ENTRIES) entries that
 * age out age_time units after their MAC was last seen as a source (0: never).
 * Returns 0 with *out set (free with mac_table_free()), -EINVAL or -ENOMEM.
 */
int mac_table_new(uint32_t max_entries, uint64_t age_time, struct mac_table **out) __must_check;
void mac_table_free(struct mac_table *t);

/* A MAC address as an integer (first octet in bits 47..40), and back. */
uint64_t mac_table_key(const uint8_t mac[6]);

/* True for group (multicast or broadcast) addresses: bit 0 of the first octet. */
bool mac_is_group(const uint8_t mac[6]);

/*
 * Learn that src was seen on port at time now: a new entry, a refreshed one or
 * a move to another port. Group or all-zero source addresses are not learned.
 * Returns 0, -EINVAL for a source not to learn, or -ENOSPC when the table is full.
 */
int mac_table_learn(struct mac_table *t, const uint8_t src[6], uint16_t port, uint64_t now);

/* The port behind dst at time now, or -ENOENT (unknown, aged out, or group). */
int mac_table_lookup(struct mac_table *t, const uint8_t dst[6], uint64_t now);

/*
 * The whole per-frame decision for a frame that came in on in_port: learn its
 * source, then forward to the known port of its destination, flood it (group
 * or unknown destination) or drop it (destination behind in_port).
 */
struct mac_fwd mac_table_forward(struct mac_table *t, const uint8_t dst[6], const uint8_t src[6],
				 uint16_t in_port, uint64_t now);

/* Remove every entry older than the aging time; returns how many went. */
uint32_t mac_table_age(struct mac_table *t, uint64_t now);

/* Remove every entry that points at port (its peer went away); returns how many went. */
uint32_t mac_table_flush_port(struct mac_table *t, uint16_t port);

/* How many entries the table holds now. */
uint32_t mac_table_count(const struct mac_table *t);

void mac_table_get_stats(const struct mac_table *t, struct mac_table_stats *out);

#endif
