/* Inside the switch: the port and switch structures shared by its files. */
#ifndef IOVIRT_VSWITCH_PRIV_H
#define IOVIRT_VSWITCH_PRIV_H

#include <limits.h>
#include <stdatomic.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vswitch.h"

#define VSWITCH_BURST 32
#define VSWITCH_MAX_PORTS (SWITCH_MAX_PORTS + 1) /* the vhost-user ports and an uplink */

/* virtio-net queue numbers as lib/vhost sees them: the guest's receive and transmit queues. */
#define VSWITCH_GUEST_RXQ 0
#define VSWITCH_GUEST_TXQ 1

enum vswitch_port_kind { VSWITCH_PORT_VHOST, VSWITCH_PORT_UPLINK };

struct vswitch_port {
	enum vswitch_port_kind kind;
	uint16_t index;
	char name[PATH_MAX]; /* socket path, or the uplink's devargs */
	bool client;
	bool registered;     /* rte_vhost_driver_register() succeeded */
	uint16_t eth_port;   /* uplink only */
	/* Set by lib/vhost's thread, read by the data path: the device id, -1 when none. */
	atomic_int vid;
	atomic_bool rxq_on, txq_on;
	int seen_vid;        /* vid as read when the current poll began: the data path's only vid */
	struct vswitch_port_stats stats;
	struct rte_mbuf *out[VSWITCH_BURST]; /* frames to send at the end of the burst */
	uint16_t n_out;
	uint64_t gen_next;   /* gen mode: the sequence number of the next frame, = frames taken */
};

struct vswitch {
	struct vswitch_port ports[VSWITCH_MAX_PORTS];
	unsigned n_ports;
	enum switch_mode mode;
	unsigned gen_size;   /* gen mode (switch_config) */
	uint64_t gen_count;
	struct rte_mempool *pool;
	struct mac_table *macs;
	uint64_t tsc_hz, last_sweep;
	bool eal_up;
	/* Quiescence: in_poll while vswitch_poll() runs, epoch counts finished polls. */
	atomic_bool in_poll;
	atomic_ulong epoch;
};

/* vswitch-port.c: the vhost-user ports and lib/vhost's callbacks. */
int vswitch_vhost_start(struct vswitch *sw, struct vswitch_port *p) __must_check;
void vswitch_vhost_stop(struct vswitch_port *p);
uint16_t vswitch_vhost_rx(struct vswitch *sw, struct vswitch_port *p, struct rte_mbuf **pkts);
uint16_t vswitch_vhost_tx(struct vswitch_port *p, struct rte_mbuf **pkts, uint16_t n);
/* Buffers the guest has posted on its receive queue and the port has not filled yet. */
uint16_t vswitch_vhost_room(const struct vswitch_port *p);

/* vswitch-uplink.c: the DPDK ethdev uplink. */
int vswitch_uplink_start(struct vswitch *sw, struct vswitch_port *p) __must_check;
void vswitch_uplink_stop(struct vswitch_port *p);

/* vswitch-datapath.c */
void vswitch_forward(struct vswitch *sw, struct vswitch_port *in, struct rte_mbuf **pkts,
		     uint16_t n);

#endif
