/*
 * The switch's vhost-user ports: registration with lib/vhost and its device
 * callbacks, which run on lib/vhost's thread. A device leaves the data path
 * in destroy_device() only after the polling thread can no longer use it.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include <linux/virtio_net.h>
#include <rte_vhost.h>

#include "log.h"
#include "vswitch-priv.h"

/*
 * Offloads stay off: frames cross the switch as whole Ethernet frames, the
 * same on every port and on the uplink. One queue pair per port.
 */
#define VSWITCH_FEATURES_OFF                                                                      \
	((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |                         \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |                   \
	 (1ULL << VIRTIO_NET_F_GUEST_ECN) | (1ULL << VIRTIO_NET_F_GUEST_UFO) |                     \
	 (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |                     \
	 (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_HOST_UFO) |                       \
	 (1ULL << VIRTIO_NET_F_MQ))

static struct vswitch *vhost_sw; /* the process's one switch, for the callbacks */

static struct vswitch_port *port_of_vid(int vid, char *path, size_t len)
{
	if (rte_vhost_get_ifname(vid, path, len))
		return NULL;
	for (unsigned i = 0; i < vhost_sw->n_ports; i++) {
		struct vswitch_port *p = &vhost_sw->ports[i];

		if (p->kind == VSWITCH_PORT_VHOST && !strcmp(p->name, path))
			return p;
	}
	return NULL;
}

/*
 * Wait until the polling thread cannot hold an old view of a port's vid: it
 * is outside vswitch_poll() (the next poll reads the new vid), or it finished
 * the poll it was in. The seq_cst write of vid before the load of in_poll
 * pairs with vswitch_poll()'s store of in_poll before its load of every vid
 * (into seen_vid, the only vid the data path uses).
 */
static void vhost_quiesce(struct vswitch *sw)
{
	unsigned long epoch = atomic_load(&sw->epoch);

	while (atomic_load(&sw->in_poll) && atomic_load(&sw->epoch) == epoch)
		sched_yield();
}

static int vhost_new_device(int vid)
{
	char path[PATH_MAX];
	struct vswitch_port *p = port_of_vid(vid, path, sizeof(path));
	int expect = -1;

	if (!p) {
		log_warn("switch: vhost device %d on an unknown socket %s", vid, path);
		return -1;
	}
	if (!atomic_compare_exchange_strong(&p->vid, &expect, vid)) {
		log_warn("switch: port %u %s: a second front-end (device %d) refused; device %d is in "
			 "use", p->index, p->name, vid, expect);
		return -1;
	}
	rte_vhost_enable_guest_notification(vid, VSWITCH_GUEST_RXQ, 0);
	rte_vhost_enable_guest_notification(vid, VSWITCH_GUEST_TXQ, 0);
	/*
	 * The queue flags only spare the data path calls into rings that are off;
	 * lib/vhost itself neither dequeues from nor enqueues to a disabled ring.
	 */
	atomic_store(&p->rxq_on, true);
	atomic_store(&p->txq_on, true);
	log_info("switch: port %u %s: front-end connected (device %d)", p->index, p->name, vid);
	return 0;
}

static void vhost_destroy_device(int vid)
{
	char path[PATH_MAX];
	struct vswitch_port *p = port_of_vid(vid, path, sizeof(path));
	int expect = vid;

	if (!p || !atomic_compare_exchange_strong(&p->vid, &expect, -1))
		return;
	vhost_quiesce(vhost_sw);
	atomic_store(&p->rxq_on, false);
	atomic_store(&p->txq_on, false);
	log_info("switch: port %u %s: front-end gone (device %d)", p->index, p->name, vid);
}

static int vhost_vring_state_changed(int vid, uint16_t queue, int enable)
{
	char path[PATH_MAX];
	struct vswitch_port *p = port_of_vid(vid, path, sizeof(path));
	int vid_now;

	if (!p)
		return 0;
	/* A second front-end refused on this socket does not touch the served one's queues. */
	vid_now = atomic_load(&p->vid);
	if (vid_now >= 0 && vid_now != vid)
		return 0;
	if (queue == VSWITCH_GUEST_RXQ)
		atomic_store(&p->rxq_on, enable != 0);
	else if (queue == VSWITCH_GUEST_TXQ)
		atomic_store(&p->txq_on, enable != 0);
	log_debug("switch: port %u %s: queue %u %s", p->index, p->name, queue,
		  enable ? "enabled" : "disabled");
	return 0;
}

static const struct rte_vhost_device_ops vhost_ops = {
	.new_device = vhost_new_device,
	.destroy_device = vhost_destroy_device,
	.vring_state_changed = vhost_vring_state_changed,
};

int vswitch_vhost_start(struct vswitch *sw, struct vswitch_port *p)
{
	uint64_t flags = p->client ? RTE_VHOST_USER_CLIENT : 0;

	vhost_sw = sw;
	if (rte_vhost_driver_register(p->name, flags)) {
		log_err("switch: port %u %s: lib/vhost refused the socket", p->index, p->name);
		return -EIO;
	}
	p->registered = true;
	if (rte_vhost_driver_disable_features(p->name, VSWITCH_FEATURES_OFF) ||
	    rte_vhost_driver_callback_register(p->name, &vhost_ops) ||
	    rte_vhost_driver_start(p->name)) {
		log_err("switch: port %u %s: lib/vhost cannot start the %s socket", p->index, p->name,
			p->client ? "client" : "server");
		return -EIO;
	}
	log_info("switch: port %u %s: %s", p->index, p->name,
		 p->client ? "connecting (client)" : "listening (server)");
	return 0;
}

/* Unregister the socket; lib/vhost says -EBUSY while one of its callbacks runs. */
void vswitch_vhost_stop(struct vswitch_port *p)
{
	int ret, tries = 0;

	if (!p->registered)
		return;
	while ((ret = rte_vhost_driver_unregister(p->name)) == -EBUSY && tries++ < 1000)
		sched_yield();
	if (ret)
		log_warn("switch: port %u %s: lib/vhost did not unregister it (%d)", p->index, p->name,
			 ret);
	p->registered = false;
}

uint16_t vswitch_vhost_rx(struct vswitch *sw, struct vswitch_port *p, struct rte_mbuf **pkts)
{
	if (p->seen_vid < 0 || !atomic_load_explicit(&p->txq_on, memory_order_relaxed))
		return 0;
	return rte_vhost_dequeue_burst(p->seen_vid, VSWITCH_GUEST_TXQ, sw->pool, pkts, VSWITCH_BURST);
}

uint16_t vswitch_vhost_room(const struct vswitch_port *p)
{
	if (p->seen_vid < 0 || !atomic_load_explicit(&p->rxq_on, memory_order_relaxed))
		return 0;
	return rte_vhost_avail_entries(p->seen_vid, VSWITCH_GUEST_RXQ);
}

uint16_t vswitch_vhost_tx(struct vswitch_port *p, struct rte_mbuf **pkts, uint16_t n)
{
	if (p->seen_vid < 0)
		return 0;
	return rte_vhost_enqueue_burst(p->seen_vid, VSWITCH_GUEST_RXQ, pkts, n);
}
