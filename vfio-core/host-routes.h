/*
 * The host's IP routes, reduced to what the inventory needs: which interface
 * carries which route, and which carries the default route. Read through
 * rtnetlink (libnl-route), never by parsing `ip` output.
 */
#ifndef IOVIRT_HOST_ROUTES_H
#define IOVIRT_HOST_ROUTES_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"

struct host_route {
	char ifname[IF_NAMESIZE]; /* output interface */
	char dst[64];             /* "default" or "192.0.2.0/24" */
	bool is_default;
};

struct host_routes {
	struct host_route *v;
	size_t n;
};

/*
 * Read the unicast routes of the main table (IPv4 and IPv6) of the current
 * network namespace. IPv6 link-local and multicast routes, which every up
 * interface has, are left out. Returns 0 or -errno; *out is owned by the
 * caller (host_routes_free).
 */
int host_routes_read(struct host_routes *out) __must_check;

/* Append one route; -ENOMEM. Used by host_routes_read and by tests. */
int host_routes_add(struct host_routes *routes, const char *ifname, const char *dst,
		    bool is_default) __must_check;

/* The first route that leaves through ifname, preferring the default route; NULL if none. */
const struct host_route *host_routes_find(const struct host_routes *routes, const char *ifname);

void host_routes_free(struct host_routes *routes);

#endif
