/*
 * The switch's optional uplink: the one DPDK ethdev the EAL probed from
 * --uplink (a vdev, or a PCI function bound to vfio-pci), with one receive and
 * one transmit queue, in promiscuous mode since it carries every guest's MAC.
 */
#include <errno.h>

#include <rte_ethdev.h>

#include "log.h"
#include "vswitch-priv.h"

#define UPLINK_RX_DESC 1024
#define UPLINK_TX_DESC 1024

/* The only ethdev the EAL found, or -ENODEV / -EEXIST (more than one: which is the uplink?). */
static int uplink_find(const char *devargs, uint16_t *port)
{
	uint16_t n = rte_eth_dev_count_avail(), id;

	if (n == 0) {
		log_err("switch: uplink %s: no DPDK ethdev came of it", devargs);
		return -ENODEV;
	}
	if (n > 1) {
		log_err("switch: uplink %s: %u ethdevs probed, expected one", devargs, n);
		return -EEXIST;
	}
	RTE_ETH_FOREACH_DEV(id)
		*port = id;
	return 0;
}

static int uplink_configure(struct vswitch *sw, struct vswitch_port *p)
{
	struct rte_eth_conf conf = { 0 };
	uint16_t nrx = UPLINK_RX_DESC, ntx = UPLINK_TX_DESC;
	int socket = rte_eth_dev_socket_id(p->eth_port);
	int ret;

	ret = rte_eth_dev_configure(p->eth_port, 1, 1, &conf);
	if (!ret)
		ret = rte_eth_dev_adjust_nb_rx_tx_desc(p->eth_port, &nrx, &ntx);
	if (!ret)
		ret = rte_eth_rx_queue_setup(p->eth_port, 0, nrx, socket < 0 ? 0 : (unsigned)socket,
					     NULL, sw->pool);
	if (!ret)
		ret = rte_eth_tx_queue_setup(p->eth_port, 0, ntx, socket < 0 ? 0 : (unsigned)socket,
					     NULL);
	if (!ret)
		ret = rte_eth_dev_start(p->eth_port);
	return ret;
}

int vswitch_uplink_start(struct vswitch *sw, struct vswitch_port *p)
{
	int ret = uplink_find(p->name, &p->eth_port);

	if (ret)
		return ret;
	ret = uplink_configure(sw, p);
	if (ret) {
		log_err("switch: uplink %s: cannot set up ethdev %u: %s", p->name, p->eth_port,
			rte_strerror(-ret));
		rte_eth_dev_close(p->eth_port);
		return -EIO;
	}
	p->registered = true;
	if (rte_eth_promiscuous_enable(p->eth_port))
		log_warn("switch: uplink %s: promiscuous mode refused; only its own MAC comes in",
			 p->name);
	atomic_store(&p->vid, 0);
	atomic_store(&p->rxq_on, true);
	atomic_store(&p->txq_on, true);
	log_info("switch: port %u: uplink %s (ethdev %u)", p->index, p->name, p->eth_port);
	return 0;
}

void vswitch_uplink_stop(struct vswitch_port *p)
{
	if (!p->registered)
		return;
	rte_eth_dev_stop(p->eth_port);
	rte_eth_dev_close(p->eth_port);
	p->registered = false;
}
