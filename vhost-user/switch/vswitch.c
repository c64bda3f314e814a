/* The switch's life: the EAL, the packet pool, the MAC table, the ports, and their teardown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "log.h"
#include "vswitch-priv.h"

#define VSWITCH_POOL_CACHE 256

static bool vswitch_exists; /* the EAL initialises once per process */

/*
 * Remove the EAL's runtime directory, which it makes and leaves behind even
 * --in-memory (empty then); a directory that still holds files stays.
 */
static void vswitch_eal_rmdir(const char *dir)
{
	if (dir && dir[0] && rmdir(dir) && errno != ENOENT)
		log_debug("switch: EAL runtime directory %s stays: %s", dir, strerror(errno));
}

static void vswitch_eal_cleanup(void)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	vswitch_eal_rmdir(dir);
}

static int vswitch_eal_init(const struct switch_config *c)
{
	struct switch_eal_args args;
	int ret = switch_eal_args_build(c, &args);

	if (ret)
		return ret;
	if (rte_eal_init(args.argc, args.argv) < 0) {
		int err = rte_errno;

		log_err("switch: the EAL refused to start: %s", rte_strerror(err));
		vswitch_eal_rmdir(rte_eal_get_runtime_dir());
		return err == ENODEV && c->uplink ? -ENODEV : -EIO; /* a vdev it cannot make */
	}
	return 0;
}

static int vswitch_pool_create(struct vswitch *sw, unsigned mbufs)
{
	sw->pool = rte_pktmbuf_pool_create("iovirt-switch", mbufs, VSWITCH_POOL_CACHE, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!sw->pool) {
		log_err("switch: no pool of %u packet buffers: %s", mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

/*
 * Every port is described before the first one starts: lib/vhost's thread,
 * created by the first start, then sees them all and never a half-written one.
 */
static void vswitch_ports_describe(struct vswitch *sw, const struct switch_config *c)
{
	for (unsigned i = 0; i < c->n_ports; i++) {
		struct vswitch_port *p = &sw->ports[i];

		p->kind = VSWITCH_PORT_VHOST;
		p->index = (uint16_t)i;
		snprintf(p->name, sizeof(p->name), "%s", c->ports[i].path);
		p->client = c->ports[i].client;
		atomic_init(&p->vid, -1);
		p->seen_vid = -1;
	}
	sw->n_ports = c->n_ports;
	if (!c->uplink)
		return;
	sw->ports[sw->n_ports].kind = VSWITCH_PORT_UPLINK;
	sw->ports[sw->n_ports].index = (uint16_t)sw->n_ports;
	snprintf(sw->ports[sw->n_ports].name, sizeof(sw->ports[0].name), "%s", c->uplink);
	atomic_init(&sw->ports[sw->n_ports].vid, -1);
	sw->ports[sw->n_ports].seen_vid = -1;
	sw->n_ports++;
}

static int vswitch_ports_start(struct vswitch *sw, const struct switch_config *c)
{
	int ret = 0;

	vswitch_ports_describe(sw, c);
	for (unsigned i = 0; i < sw->n_ports && !ret; i++) {
		if (sw->ports[i].kind == VSWITCH_PORT_VHOST)
			ret = vswitch_vhost_start(sw, &sw->ports[i]);
		else
			ret = vswitch_uplink_start(sw, &sw->ports[i]);
	}
	return ret;
}

int vswitch_create(const struct switch_config *c, struct vswitch **out)
{
	struct vswitch *sw;
	int ret;

	if (vswitch_exists)
		return -EALREADY;
	if (!c->n_ports && !c->uplink)
		return -EINVAL;
	sw = calloc(1, sizeof(*sw));
	if (!sw)
		return -ENOMEM;
	sw->mode = c->mode;
	sw->gen_size = c->gen_size;
	sw->gen_count = c->gen_count;
	ret = vswitch_eal_init(c);
	if (ret) {
		free(sw);
		return ret;
	}
	vswitch_exists = true;
	sw->eal_up = true;
	sw->tsc_hz = rte_get_tsc_hz();
	sw->last_sweep = rte_rdtsc();
	ret = mac_table_new(c->mac_entries, (uint64_t)c->age_seconds * sw->tsc_hz, &sw->macs);
	if (!ret)
		ret = vswitch_pool_create(sw, c->mbufs);
	if (!ret)
		ret = vswitch_ports_start(sw, c);
	if (ret) {
		vswitch_destroy(sw);
		return ret;
	}
	*out = sw;
	return 0;
}

void vswitch_destroy(struct vswitch *sw)
{
	if (!sw)
		return;
	for (unsigned i = 0; i < sw->n_ports; i++) {
		if (sw->ports[i].kind == VSWITCH_PORT_VHOST)
			vswitch_vhost_stop(&sw->ports[i]);
		else
			vswitch_uplink_stop(&sw->ports[i]);
	}
	if (sw->pool)
		rte_mempool_free(sw->pool);
	mac_table_free(sw->macs);
	if (sw->eal_up)
		vswitch_eal_cleanup();
	free(sw);
}

unsigned vswitch_port_count(const struct vswitch *sw)
{
	return sw->n_ports;
}

const char *vswitch_port_name(const struct vswitch *sw, unsigned port)
{
	return sw->ports[port].name;
}

bool vswitch_port_is_uplink(const struct vswitch *sw, unsigned port)
{
	return sw->ports[port].kind == VSWITCH_PORT_UPLINK;
}

bool vswitch_port_connected(const struct vswitch *sw, unsigned port)
{
	return atomic_load(&sw->ports[port].vid) >= 0;
}

void vswitch_port_get_stats(const struct vswitch *sw, unsigned port,
			    struct vswitch_port_stats *out)
{
	*out = sw->ports[port].stats;
}

void vswitch_mac_get_stats(const struct vswitch *sw, struct mac_table_stats *out,
			   uint32_t *entries)
{
	mac_table_get_stats(sw->macs, out);
	*entries = mac_table_count(sw->macs);
}
