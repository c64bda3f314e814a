/*
 * `iovirt switch`'s data plane on DPDK: vhost-user ports served by lib/vhost,
 * an optional ethdev uplink, and the forwarding between them (an L2 learning
 * switch, a reflector or a sink).
 *
 * One switch per process (the EAL is per process). One thread, the caller of
 * vswitch_poll(), owns the data path, the MAC table and the counters;
 * lib/vhost's own thread runs the connection callbacks and waits for that
 * thread to finish a poll before a device it used goes away.
 */
#ifndef IOVIRT_VSWITCH_H
#define IOVIRT_VSWITCH_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "mac-table.h"
#include "switch-config.h"

struct vswitch;

/* A port's counters. */
struct vswitch_port_stats {
	uint64_t rx;       /* frames received from the port */
	uint64_t tx;       /* frames delivered to the port */
	uint64_t drops;    /* frames for it that it did not take (ring full, gone), and frames
			      from it discarded (runt, destination behind itself) */
	uint64_t flooded;  /* frames from it sent to every other port (group or unknown dst) */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
};

/*
 * Initialise the EAL (switch_eal_args_build()), the packet pool, the MAC
 * table, the uplink, and register and start every vhost-user port. The port
 * paths must have passed switch_port_check_path(). Returns 0 with *out set,
 * or -errno with everything undone: -EALREADY (a switch exists in this
 * process), -ENOMEM (no pool: too few hugepages), -ENODEV (the uplink was not
 * found or its vdev not made), -EEXIST (more than one ethdev), -EIO (the EAL
 * or lib/vhost refused, and logged why).
 */
int vswitch_create(const struct switch_config *c, struct vswitch **out) __must_check;

/*
 * Stop every port (lib/vhost removes the server sockets), release the uplink,
 * the pool and the EAL. Not while another thread polls.
 */
void vswitch_destroy(struct vswitch *sw);

/*
 * One round over every port: receive a burst, forward it (gen mode: and offer test
 * frames). Returns how many frames came in or went out: 0 means an idle round.
 */
unsigned vswitch_poll(struct vswitch *sw);

/* Ports: the vhost-user ports in the order given, then the uplink if any. */
unsigned vswitch_port_count(const struct vswitch *sw);
const char *vswitch_port_name(const struct vswitch *sw, unsigned port);
bool vswitch_port_is_uplink(const struct vswitch *sw, unsigned port);
bool vswitch_port_connected(const struct vswitch *sw, unsigned port);

/* A port's counters. Call from the polling thread. */
void vswitch_port_get_stats(const struct vswitch *sw, unsigned port,
			    struct vswitch_port_stats *out);

/* The MAC table's counters and current size. Call from the polling thread. */
void vswitch_mac_get_stats(const struct vswitch *sw, struct mac_table_stats *out,
			   uint32_t *entries);

#endif
