#include "host-routes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "log.h"

int host_routes_add(struct host_routes *routes, const char *ifname, const char *dst,
		    bool is_default)
{
	struct host_route *v, *r;

	v = realloc(routes->v, (routes->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	routes->v = v;
	r = &v[routes->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
	snprintf(r->dst, sizeof(r->dst), "%s", dst);
	r->is_default = is_default;
	return 0;
}

const struct host_route *host_routes_find(const struct host_routes *routes, const char *ifname)
{
	const struct host_route *found = NULL;

	for (size_t i = 0; routes && i < routes->n; i++) {
		if (strcmp(routes->v[i].ifname, ifname))
			continue;
		if (routes->v[i].is_default)
			return &routes->v[i];
		if (!found)
			found = &routes->v[i];
	}
	return found;
}

void host_routes_free(struct host_routes *routes)
{
	free(routes->v);
	routes->v = NULL;
	routes->n = 0;
}

/* Routes every interface has by itself, which say nothing about its use by the host. */
static bool route_is_incidental(struct rtnl_route *route)
{
	struct nl_addr *dst = rtnl_route_get_dst(route);
	char buf[64];

	if (rtnl_route_get_type(route) != RTN_UNICAST)
		return true;
	if (rtnl_route_get_family(route) != AF_INET6 || !dst)
		return false;
	nl_addr2str(dst, buf, sizeof(buf));
	return !strncmp(buf, "fe80:", 5) || !strncmp(buf, "ff", 2);
}

struct collect_ctx {
	struct host_routes *routes;
	struct nl_cache *links;
	struct rtnl_route *route; /* the route whose next hops are being walked */
	int err;
};

static void collect_nexthop(struct rtnl_nexthop *nh, void *opaque)
{
	struct collect_ctx *ctx = opaque;
	struct nl_addr *dst = rtnl_route_get_dst(ctx->route);
	bool is_default = !dst || nl_addr_get_prefixlen(dst) == 0;
	char ifname[IF_NAMESIZE], dstbuf[64];

	if (ctx->err)
		return;
	if (!rtnl_link_i2name(ctx->links, rtnl_route_nh_get_ifindex(nh), ifname, sizeof(ifname)))
		return;
	if (is_default)
		snprintf(dstbuf, sizeof(dstbuf), "default");
	else
		nl_addr2str(dst, dstbuf, sizeof(dstbuf));
	ctx->err = host_routes_add(ctx->routes, ifname, dstbuf, is_default);
}

static void collect_route(struct nl_object *obj, void *opaque)
{
	struct rtnl_route *route = (struct rtnl_route *)obj;
	struct collect_ctx *ctx = opaque;

	if (rtnl_route_get_table(route) != RT_TABLE_MAIN || route_is_incidental(route))
		return;
	ctx->route = route;
	rtnl_route_foreach_nexthop(route, collect_nexthop, ctx);
}

int host_routes_read(struct host_routes *out)
{
	struct nl_cache *links = NULL, *routes = NULL;
	struct nl_sock *sk;
	struct collect_ctx ctx = { .routes = out };
	int err;

	memset(out, 0, sizeof(*out));
	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links);
	if (!err)
		err = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &routes);
	if (err) {
		log_warn("netlink: cannot read routes: %s", nl_geterror(err));
		err = -EIO;
	} else {
		ctx.links = links;
		nl_cache_foreach(routes, collect_route, &ctx);
		err = ctx.err;
	}
	if (routes)
		nl_cache_free(routes);
	if (links)
		nl_cache_free(links);
	nl_socket_free(sk);
	if (err)
		host_routes_free(out);
	return err;
}
