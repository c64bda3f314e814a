/*
 * What the back-end files share and nothing else includes: their ops, the
 * counters' atomic update and the strict "k=v,k=v" parser.
 */
#ifndef IOVIRT_NET_BACKEND_IMPL_H
#define IOVIRT_NET_BACKEND_IMPL_H

#include <stdint.h>
#include <sys/uio.h>

#include "iov.h"
#include "net-backend.h"

extern const struct net_backend_ops net_tap_ops;
extern const struct net_backend_ops net_hub_ops;
extern const struct net_backend_ops net_loop_ops;
extern const struct net_backend_ops net_sink_ops;
extern const struct net_backend_ops net_gen_ops;
extern const struct net_backend_ops net_sandbox_trip_ops; /* -Dtest_hooks only */

/* Add to a counter that another thread may read (or, for rx_dropped, add to). */
static inline void net_stat_add(uint64_t *counter, uint64_t v)
{
	__atomic_fetch_add(counter, v, __ATOMIC_RELAXED);
}

static inline uint64_t net_stat_read(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/*
 * Split args ("k=v,k=v", may be "") and call fn(ctx, key, value) for each
 * pair. Keys and values are non-empty, at most 31 characters, printable and
 * free of ',' and '='. 0, -EINVAL (malformed) or what fn returned (stops).
 */
int net_args_parse(const char *args, int (*fn)(void *ctx, const char *key, const char *val),
		   void *ctx);

/* A decimal number in min..max (no sign, no spaces, no trailing junk): 0 or -EINVAL. */
int net_arg_u64(const char *val, uint64_t min, uint64_t max, uint64_t *out);

#endif
