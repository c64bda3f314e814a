/*
 * The switch's data path: one poll receives a burst from each port and sends
 * each frame on, by the MAC table (switch mode), back where it came from
 * (reflect) or nowhere (sink, gen); in gen mode it also offers each connected
 * vhost-user port a burst of test frames. No allocation and no system call per frame:
 * lib/vhost copies frames into the guests' rings, so one mbuf can go to many
 * vhost-user ports and is freed once; the uplink's driver takes a reference
 * of its own.
 */
#include <rte_ethdev.h>
#include <rte_ether.h>

#include "net-frame.h"
#include "vswitch-priv.h"

/* The generator's source MAC (locally administered); its frames go to broadcast. */
static const uint8_t gen_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe };
static const uint8_t gen_dst[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void out_add(struct vswitch_port *p, struct rte_mbuf *m)
{
	if (p->kind == VSWITCH_PORT_UPLINK)
		rte_pktmbuf_refcnt_update(m, 1);
	p->out[p->n_out++] = m;
}

static uint16_t port_rx(struct vswitch *sw, struct vswitch_port *p, struct rte_mbuf **pkts)
{
	if (p->kind == VSWITCH_PORT_VHOST)
		return vswitch_vhost_rx(sw, p, pkts);
	return rte_eth_rx_burst(p->eth_port, 0, pkts, VSWITCH_BURST);
}

/* Send the frames gathered for p; the ones it does not take are drops. */
static void port_flush(struct vswitch_port *p)
{
	uint16_t n = p->n_out, sent;

	if (!n)
		return;
	if (p->kind == VSWITCH_PORT_VHOST) {
		sent = vswitch_vhost_tx(p, p->out, n);
	} else {
		sent = rte_eth_tx_burst(p->eth_port, 0, p->out, n);
		for (uint16_t i = sent; i < n; i++)
			rte_pktmbuf_free(p->out[i]);
	}
	/* Every frame is still held by the input burst's reference here. */
	for (uint16_t i = 0; i < sent; i++)
		p->stats.tx_bytes += rte_pktmbuf_pkt_len(p->out[i]);
	p->stats.tx += sent;
	p->stats.drops += n - sent;
	p->n_out = 0;
}

static void forward_switch(struct vswitch *sw, struct vswitch_port *in, struct rte_mbuf *m,
			   uint64_t now)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct mac_fwd f = mac_table_forward(sw->macs, eth->dst_addr.addr_bytes,
					     eth->src_addr.addr_bytes, in->index, now);

	switch (f.kind) {
	case MAC_FWD_PORT:
		if (sw->ports[f.port].seen_vid < 0)
			sw->ports[f.port].stats.drops++;
		else
			out_add(&sw->ports[f.port], m);
		break;
	case MAC_FWD_FLOOD:
		in->stats.flooded++;
		for (unsigned i = 0; i < sw->n_ports; i++)
			if (&sw->ports[i] != in && sw->ports[i].seen_vid >= 0)
				out_add(&sw->ports[i], m);
		break;
	case MAC_FWD_DROP:
		in->stats.drops++;
		break;
	}
}

static void forward_reflect(struct vswitch_port *in, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ether_addr tmp = eth->dst_addr;

	eth->dst_addr = eth->src_addr;
	eth->src_addr = tmp;
	out_add(in, m);
}

void vswitch_forward(struct vswitch *sw, struct vswitch_port *in, struct rte_mbuf **pkts,
		     uint16_t n)
{
	uint64_t now = rte_rdtsc();

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		in->stats.rx++;
		in->stats.rx_bytes += rte_pktmbuf_pkt_len(m);
		if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN) {
			in->stats.drops++; /* a runt, or a header split over segments */
			continue;
		}
		if (sw->mode == SWITCH_MODE_SWITCH)
			forward_switch(sw, in, m, now);
		else if (sw->mode == SWITCH_MODE_REFLECT)
			forward_reflect(in, m);
	}
	for (unsigned i = 0; i < sw->n_ports; i++)
		port_flush(&sw->ports[i]);
	rte_pktmbuf_free_bulk(pkts, n);
}

/*
 * Gen mode: offer port p a burst of test frames (flow 0, sequence numbers from 0, one
 * mbuf each), no more than its guest has buffers posted for, and count what it took.
 * Lossless: a frame the ring did not take is built again, with the same sequence number,
 * at a later poll. Returns how many were taken.
 */
static uint16_t gen_offer(struct vswitch *sw, struct vswitch_port *p)
{
	struct rte_mbuf *m[VSWITCH_BURST];
	uint64_t left = sw->gen_count ? sw->gen_count - p->gen_next : VSWITCH_BURST;
	uint16_t n = left < VSWITCH_BURST ? (uint16_t)left : VSWITCH_BURST, sent;

	if (p->kind != VSWITCH_PORT_VHOST)
		return 0;
	n = RTE_MIN(n, vswitch_vhost_room(p)); /* a full ring costs no frame building */
	if (!n || rte_pktmbuf_alloc_bulk(sw->pool, m, n))
		return 0;
	for (uint16_t i = 0; i < n; i++) {
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(m[i], (uint16_t)sw->gen_size);

		net_frame_build(d, sw->gen_size, gen_dst, gen_src, 0, (uint32_t)(p->gen_next + i));
	}
	sent = vswitch_vhost_tx(p, m, n);
	p->gen_next += sent;
	p->stats.tx += sent;
	p->stats.tx_bytes += (uint64_t)sent * sw->gen_size;
	rte_pktmbuf_free_bulk(m, n); /* lib/vhost copied what it took */
	return sent;
}

/* Take this poll's view of every port; a port whose front-end changed forgets its MACs. */
static void poll_snapshot(struct vswitch *sw)
{
	for (unsigned i = 0; i < sw->n_ports; i++) {
		struct vswitch_port *p = &sw->ports[i];
		int vid = atomic_load(&p->vid);

		if (vid != p->seen_vid) {
			mac_table_flush_port(sw->macs, p->index);
			p->seen_vid = vid;
		}
	}
}

unsigned vswitch_poll(struct vswitch *sw)
{
	struct rte_mbuf *pkts[VSWITCH_BURST];
	unsigned total = 0;
	uint64_t now;

	atomic_store(&sw->in_poll, true);
	poll_snapshot(sw);
	for (unsigned i = 0; i < sw->n_ports; i++) {
		uint16_t n = port_rx(sw, &sw->ports[i], pkts);

		if (n)
			vswitch_forward(sw, &sw->ports[i], pkts, n);
		total += n;
		if (sw->mode == SWITCH_MODE_GEN)
			total += gen_offer(sw, &sw->ports[i]);
	}
	now = rte_rdtsc();
	if (now - sw->last_sweep > sw->tsc_hz) {
		mac_table_age(sw->macs, now);
		sw->last_sweep = now;
	}
	atomic_fetch_add(&sw->epoch, 1);
	atomic_store(&sw->in_poll, false);
	return total;
}
