/*
 * The back-end type table, spec parsing, and the wrappers that validate every
 * request and keep the counters before the back-end's ops see it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "net-backend-impl.h"

const struct net_backend_ops *const net_backend_types[] = {
	&net_tap_ops, &net_hub_ops, &net_loop_ops, &net_sink_ops, &net_gen_ops,
#ifdef IOVIRT_TEST_HOOKS
	&net_sandbox_trip_ops,
#endif
	NULL,
};

#define NET_ARG_MAX 32 /* a key's or value's size with its NUL */

static const struct net_backend_ops *net_backend_type_find(const char *name, size_t len)
{
	for (size_t i = 0; net_backend_types[i]; i++) {
		const char *n = net_backend_types[i]->name;

		if (strlen(n) == len && !memcmp(n, name, len))
			return net_backend_types[i];
	}
	return NULL;
}

/* Printable ASCII only: a spec ends up in logs and error messages. */
static bool net_spec_printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

int net_backend_open(const char *spec, const void *vm_id, struct net_backend **out)
{
	const struct net_backend_ops *ops;
	struct net_backend *be;
	const char *colon, *args;
	size_t len;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!spec)
		return -EINVAL;
	len = strnlen(spec, NET_BE_SPEC_MAX);
	if (len == 0 || len >= NET_BE_SPEC_MAX || !net_spec_printable(spec))
		return -EINVAL;
	colon = strchr(spec, ':');
	if (colon && colon[1] == '\0')
		return -EINVAL;
	ops = net_backend_type_find(spec, colon ? (size_t)(colon - spec) : len);
	if (!ops)
		return -ENOENT;
	args = colon ? colon + 1 : "";

	be = calloc(1, sizeof(*be));
	if (!be)
		return -ENOMEM;
	be->ops = ops;
	be->vm_id = vm_id;
	be->poll_fd = -1;
	be->link_up = true;
	memcpy(be->spec, spec, len + 1);
	ret = ops->open(be, args);
	if (ret < 0) {
		free(be);
		return ret;
	}
	*out = be;
	return 0;
}

void net_backend_close(struct net_backend *be)
{
	if (!be)
		return;
	be->ops->close(be);
	free(be);
}

/*
 * Check an iovec from a NIC: 1..NET_BE_IOV_MAX elements, no NULL base with a
 * length, a total that does not overflow. Returns the total or -EINVAL.
 */
static ssize_t net_iov_check(const struct iovec *iov, int iovcnt)
{
	size_t total = 0;

	if (!iov || iovcnt <= 0 || iovcnt > NET_BE_IOV_MAX)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len && !iov[i].iov_base)
			return -EINVAL;
		if (iov[i].iov_len > (size_t)SSIZE_MAX - total)
			return -EINVAL;
		total += iov[i].iov_len;
	}
	return (ssize_t)total;
}

static size_t net_hdr_len(const struct net_backend *be)
{
	return be->vnet_hdr ? NET_VNET_HDR_LEN : 0;
}

static ssize_t net_backend_send_checked(struct net_backend *be, const struct iovec *iov,
					int iovcnt)
{
	ssize_t total = net_iov_check(iov, iovcnt);

	if (total < 0)
		return total;
	if ((size_t)total < net_hdr_len(be) + NET_ETH_HLEN)
		return -EINVAL;
	if ((size_t)total > NET_FRAME_MAX - NET_VNET_HDR_LEN + net_hdr_len(be))
		return -EMSGSIZE;
	return be->ops->send(be, iov, iovcnt);
}

ssize_t net_backend_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	ssize_t ret;

	if (!be)
		return -EINVAL;
	ret = net_backend_send_checked(be, iov, iovcnt);
	if (ret < 0) {
		net_stat_add(&be->stats.tx_dropped, 1);
		return ret;
	}
	net_stat_add(&be->stats.tx_frames, 1);
	net_stat_add(&be->stats.tx_bytes, (uint64_t)ret - net_hdr_len(be));
	return ret;
}

ssize_t net_backend_recv(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	ssize_t ret;

	if (!be)
		return -EINVAL;
	ret = net_iov_check(iov, iovcnt);
	if (ret < 0)
		return ret;
	ret = be->ops->recv(be, iov, iovcnt);
	if (ret == -EMSGSIZE)
		net_stat_add(&be->stats.rx_dropped, 1);
	if (ret < 0)
		return ret;
	net_stat_add(&be->stats.rx_frames, 1);
	net_stat_add(&be->stats.rx_bytes, (uint64_t)ret - net_hdr_len(be));
	return ret;
}

ssize_t net_backend_peek_len(struct net_backend *be)
{
	if (!be)
		return -EINVAL;
	return be->ops->peek_len(be);
}

int net_backend_set_offloads(struct net_backend *be, unsigned offloads)
{
	int ret = 0;

	if (!be || (offloads & ~NET_BE_OFFLOAD_ALL))
		return -EINVAL;
	if (offloads && !be->vnet_hdr)
		return -EINVAL;
	if ((offloads & (NET_BE_OFFLOAD_TSO4 | NET_BE_OFFLOAD_TSO6 | NET_BE_OFFLOAD_ECN)) &&
	    !(offloads & NET_BE_OFFLOAD_CSUM))
		return -EINVAL;
	if ((offloads & NET_BE_OFFLOAD_ECN) &&
	    !(offloads & (NET_BE_OFFLOAD_TSO4 | NET_BE_OFFLOAD_TSO6)))
		return -EINVAL;
	if (be->ops->set_offloads)
		ret = be->ops->set_offloads(be, offloads);
	if (ret == 0)
		be->offloads = offloads;
	return ret;
}

int net_backend_set_vnet_hdr(struct net_backend *be, bool on)
{
	int ret;

	if (!be)
		return -EINVAL;
	if (on && !(be->caps & NET_BE_CAP_VNET_HDR))
		return -EOPNOTSUPP;
	if (!on && be->offloads) {
		ret = net_backend_set_offloads(be, 0);
		if (ret < 0)
			return ret;
	}
	be->vnet_hdr = on;
	if (be->ops->set_vnet_hdr) {
		ret = be->ops->set_vnet_hdr(be, on);
		if (ret < 0) {
			be->vnet_hdr = !on;
			return ret;
		}
	}
	return 0;
}

void net_backend_stats(struct net_backend *be, struct net_backend_stats *out)
{
	const struct net_backend_stats *s;

	if (!out)
		return;
	if (!be) {
		*out = (struct net_backend_stats){ 0 };
		return;
	}
	s = &be->stats;
	out->tx_frames = net_stat_read(&s->tx_frames);
	out->tx_bytes = net_stat_read(&s->tx_bytes);
	out->tx_dropped = net_stat_read(&s->tx_dropped);
	out->rx_frames = net_stat_read(&s->rx_frames);
	out->rx_bytes = net_stat_read(&s->rx_bytes);
	out->rx_dropped = net_stat_read(&s->rx_dropped);
	out->rx_bad = net_stat_read(&s->rx_bad);
}

/* Copy the token s[0..len) into dst (NET_ARG_MAX bytes) if it is a valid key or value. */
static int net_arg_token(const char *s, size_t len, char *dst)
{
	if (len == 0 || len >= NET_ARG_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!isgraph((unsigned char)s[i]) || s[i] == '=' || s[i] == ',')
			return -EINVAL;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

int net_args_parse(const char *args, int (*fn)(void *ctx, const char *key, const char *val),
		   void *ctx)
{
	char key[NET_ARG_MAX], val[NET_ARG_MAX];
	const char *p = args;

	if (*p == '\0')
		return 0;
	for (;;) {
		const char *end = strchr(p, ',');
		const char *eq = strchr(p, '=');
		int ret;

		if (!end)
			end = p + strlen(p);
		if (!eq || eq > end)
			return -EINVAL;
		if (net_arg_token(p, (size_t)(eq - p), key) < 0 ||
		    net_arg_token(eq + 1, (size_t)(end - eq - 1), val) < 0)
			return -EINVAL;
		ret = fn(ctx, key, val);
		if (ret < 0)
			return ret;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

int net_arg_u64(const char *val, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*val || strlen(val) > 20)
		return -EINVAL;
	for (const char *p = val; *p; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int net_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int net_mac_parse(const char *val, uint8_t mac[6])
{
	uint8_t m[6];

	if (strlen(val) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = net_hex_digit(val[3 * i]), lo = net_hex_digit(val[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && val[3 * i + 2] != ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, 6);
	return 0;
}
