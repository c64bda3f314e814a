/*
 * e1000 transmit: legacy, context and data descriptors from the guest's
 * ring, checksum insertion and TCP segmentation in the model, frames out to
 * the back-end (or to our own receive path in MAC loopback).
 *
 * Bounds (hostile guests): a TDT write processes at most the descriptors
 * between TDH and TDT of a ring that lies wholly in RAM, with TDH and TDT
 * inside it; a packet is at most E1000_TX_BUF_SIZE bytes (a TSO segment at
 * most header + MSS of that); a TSO context with header length or MSS 0 is
 * refused (the packet is dropped and TSCTFC counts it), so every copy step
 * makes progress.
 */
#include "e1000-priv.h"

#include <string.h>

#include "guest-mem.h"
#include "log.h"
#include "net-csum.h"

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_PSH 0x08

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint16_t le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

void e1000_tx_reset(struct e1000 *s)
{
	memset(&s->tx, 0, sizeof(s->tx));
	memset(&s->tx_csum, 0, sizeof(s->tx_csum));
	memset(&s->tx_tso, 0, sizeof(s->tx_tso));
}

static void e1000_tx_stats(struct e1000 *s, const uint8_t *f, size_t len)
{
	static const unsigned ptc[] = { R_PTC64, R_PTC127, R_PTC255, R_PTC511, R_PTC1023, R_PTC1522 };
	size_t wire = len + 4; /* with the FCS */
	unsigned b = wire <= 64 ? 0 : wire <= 127 ? 1 : wire <= 255 ? 2 : wire <= 511 ? 3 :
		     wire <= 1023 ? 4 : 5;

	e1000_stat_inc(s, R_GPTC);
	e1000_stat_inc(s, R_TPT);
	e1000_stat_add64(s, R_GOTCL, wire);
	e1000_stat_add64(s, R_TOTL, wire);
	e1000_stat_inc(s, ptc[b]);
	if (f[0] == 0xff && f[1] == 0xff && f[2] == 0xff && f[3] == 0xff && f[4] == 0xff &&
	    f[5] == 0xff)
		e1000_stat_inc(s, R_BPTC);
	else if (f[0] & 1)
		e1000_stat_inc(s, R_MPTC);
}

static void e1000_tx_loopback(struct e1000 *s, const struct iovec *iov, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		memcpy(s->lb_buf + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	if (!e1000_rx_frame(s, s->lb_buf, len)) {
		e1000_stat_inc(s, R_RNBC); /* no receive buffers: the looped frame is lost */
		s->cnt.rx_dropped++;
	}
}

/*
 * Put one frame on the wire: the VLAN tag (VLE with CTRL.VME), padding to
 * 60 bytes (TCTL.PSP), statistics; then the back-end, or our own receive
 * path when RCTL.LBM selects MAC loopback.
 */
static void e1000_tx_send(struct e1000 *s, uint8_t *f, size_t len)
{
	static const uint8_t zeros[E1000_ETH_MIN];
	struct iovec iov[4];
	uint8_t tag[4];
	size_t total = len;
	int n = 0;

	if (s->tx.vle && (s->regs[R_CTRL] & E1000_CTRL_VME) && len >= 12) {
		put_be16(tag, s->regs[R_VET]);
		put_be16(tag + 2, s->tx.vlan);
		iov[n++] = (struct iovec){ f, 12 };
		iov[n++] = (struct iovec){ tag, 4 };
		iov[n++] = (struct iovec){ f + 12, len - 12 };
		total += 4;
	} else {
		iov[n++] = (struct iovec){ f, len };
	}
	if ((s->regs[R_TCTL] & E1000_TCTL_PSP) && total < E1000_ETH_MIN) {
		iov[n++] = (struct iovec){ (void *)zeros, E1000_ETH_MIN - total };
		total = E1000_ETH_MIN;
	}
	if (total >= 6)
		e1000_tx_stats(s, f, total);
	if (((s->regs[R_RCTL] >> E1000_RCTL_LBM_SHIFT) & 3) == E1000_RCTL_LBM_MAC)
		e1000_tx_loopback(s, iov, n);
	else if (!s->link_up || net_backend_send(s->be, iov, n) < 0)
		s->cnt.tx_dropped++;
}

/* Insert the checksum of f[css..cse] (cse 0: to the end) plus add at cso, when all lie inside f. */
static void e1000_csum_insert(uint8_t *f, size_t len, unsigned css, unsigned cso, unsigned cse,
			      uint32_t add)
{
	size_t end = cse ? MIN((size_t)cse + 1, len) : len;

	if (css >= end || (size_t)cso + 2 > len)
		return;
	put_be16(f + cso, (uint16_t)~net_csum_fold(net_csum_add(add, f + css, end - css)));
}

static void e1000_ip_csum_insert(uint8_t *f, size_t len, const struct e1000_tx_ctx *c)
{
	if ((size_t)c->ipcso + 2 > len)
		return;
	put_be16(f + c->ipcso, 0);
	e1000_csum_insert(f, len, c->ipcss, c->ipcso, c->ipcse, 0);
}

/* A plain packet: the checksums its first descriptor asked for, then out. */
static void e1000_tx_plain(struct e1000 *s)
{
	struct e1000_tx_pkt *p = &s->tx;
	uint8_t *f = s->tx_buf;

	if (p->legacy_ic)
		e1000_csum_insert(f, p->len, p->legacy_css, p->legacy_cso, 0, 0);
	if (p->popts & E1000_TXD_POPTS_IXSM)
		e1000_ip_csum_insert(f, p->len, &p->ctx);
	if (p->popts & E1000_TXD_POPTS_TXSM)
		e1000_csum_insert(f, p->len, p->ctx.tucss, p->ctx.tucso, p->ctx.tucse, 0);
	e1000_tx_send(s, f, p->len);
}

/* 16/32-bit big-endian fields of the TSO header, only where they fit in it. */
static void hdr_put16(uint8_t *h, unsigned hlen, unsigned off, uint16_t v)
{
	if (off + 2 <= hlen)
		put_be16(h + off, v);
}

static uint32_t hdr_get32(const uint8_t *h, unsigned hlen, unsigned off)
{
	return off + 4 <= hlen ? (uint32_t)get_be16(h + off) << 16 | get_be16(h + off + 2) : 0;
}

/*
 * Send the TSO segment in the buffer (header template + up to MSS bytes):
 * IPv4 total length and identification (+1 per segment) or IPv6 payload
 * length; TCP sequence number (+ payload already sent), FIN and PSH only on
 * the last segment, or the UDP length; then the checksums POPTS asks for,
 * the TCP/UDP one over a pseudo-header sum the driver left without length.
 */
static void e1000_tso_segment(struct e1000 *s, bool last)
{
	struct e1000_tx_pkt *p = &s->tx;
	const struct e1000_tx_ctx *c = &p->ctx;
	unsigned hl = c->hdrlen;
	uint8_t *f = s->tx_buf;
	size_t len = p->len;

	memcpy(f, p->hdr, hl);
	if (c->tucmd & E1000_TXD_TUCMD_IP) {
		hdr_put16(f, hl, c->ipcss + 2, len - c->ipcss);
		if (c->ipcss + 6u <= hl)
			put_be16(f + c->ipcss + 4, get_be16(p->hdr + c->ipcss + 4) + p->segs);
	} else {
		hdr_put16(f, hl, c->ipcss + 4, len - c->ipcss - 40);
	}
	if (c->tucmd & E1000_TXD_TUCMD_TCP) {
		uint32_t seq = hdr_get32(p->hdr, hl, c->tucss + 4) + p->sent;

		hdr_put16(f, hl, c->tucss + 4, seq >> 16);
		hdr_put16(f, hl, c->tucss + 6, seq);
		if (!last && c->tucss + 14u <= hl)
			f[c->tucss + 13] &= ~(TCP_FLAG_FIN | TCP_FLAG_PSH);
	} else {
		hdr_put16(f, hl, c->tucss + 4, len - c->tucss);
	}
	if (p->popts & E1000_TXD_POPTS_IXSM)
		e1000_ip_csum_insert(f, len, c);
	if ((p->popts & E1000_TXD_POPTS_TXSM) && c->tucss < len)
		e1000_csum_insert(f, len, c->tucss, c->tucso, c->tucse, (uint32_t)(len - c->tucss));
	e1000_tx_send(s, f, len);
	p->segs++;
	p->sent += len - hl;
	p->len = hl;
}

/* Start a packet at its first data descriptor; a TSO one needs a usable context. */
static void e1000_tx_start(struct e1000 *s, bool tso, uint8_t popts, bool vle, uint16_t vlan)
{
	struct e1000_tx_pkt *p = &s->tx;
	const struct e1000_tx_ctx *c = tso ? &s->tx_tso : &s->tx_csum;

	memset(p, 0, offsetof(struct e1000_tx_pkt, hdr));
	p->ctx = *c;
	p->started = true;
	p->tso = tso;
	p->popts = popts;
	p->vle = vle;
	p->vlan = vlan;
	if (tso && (!c->hdrlen || !c->mss || (size_t)c->hdrlen + c->mss > E1000_TX_BUF_SIZE)) {
		p->bad = true;
		e1000_stat_inc(s, R_TSCTFC);
	}
}

/* Append len bytes from guest address addr to the packet (TSO: sending full segments). */
static void e1000_tx_data(struct e1000 *s, uint64_t addr, uint32_t len)
{
	struct e1000_tx_pkt *p = &s->tx;
	unsigned hl = p->ctx.hdrlen, mss = p->ctx.mss;
	const uint8_t *src;

	if (!len || p->bad)
		return;
	src = gpa_to_hva(s->mem, addr, len);
	if (!src) {
		s->cnt.tx_dma_errors++;
		p->bad = true;
		return;
	}
	if (!p->tso) {
		if (p->len + len > E1000_TX_BUF_SIZE) {
			p->bad = true;
			return;
		}
		memcpy(s->tx_buf + p->len, src, len);
		p->len += len;
		return;
	}
	while (len) {
		size_t n;

		if (p->len < hl) {
			n = MIN(len, hl - p->len);
		} else {
			if (p->len == (size_t)hl + mss)
				e1000_tso_segment(s, false);
			n = MIN(len, hl + mss - p->len);
		}
		memcpy(s->tx_buf + p->len, src, n);
		p->len += n;
		if (p->len == hl && n)
			memcpy(p->hdr, s->tx_buf, hl);
		src += n;
		len -= n;
	}
}

static void e1000_tx_end(struct e1000 *s)
{
	struct e1000_tx_pkt *p = &s->tx;

	if (!p->bad && (p->tso ? p->len < p->ctx.hdrlen : !p->len))
		p->bad = true; /* no data, or the TSO header never completed */
	if (p->bad)
		s->cnt.tx_dropped++;
	else if (p->tso)
		e1000_tso_segment(s, true);
	else
		e1000_tx_plain(s);
	p->started = false;
}

static void e1000_tx_context(struct e1000 *s, const uint8_t *d)
{
	uint32_t dw2 = le32(d + 8), dw3 = le32(d + 12);
	uint8_t tucmd = dw2 >> 24;
	struct e1000_tx_ctx *c = (tucmd & E1000_TXD_TUCMD_TSE) ? &s->tx_tso : &s->tx_csum;

	c->ipcss = d[0];
	c->ipcso = d[1];
	c->ipcse = le16(d + 2);
	c->tucss = d[4];
	c->tucso = d[5];
	c->tucse = le16(d + 6);
	c->paylen = dw2 & 0xfffff;
	c->tucmd = tucmd;
	c->hdrlen = dw3 >> 8;
	c->mss = dw3 >> 16;
	if (tucmd & E1000_TXD_TUCMD_TSE)
		e1000_stat_inc(s, R_TSCTC);
}

/* One descriptor (a private copy: the guest may rewrite the ring meanwhile). */
static void e1000_tx_desc(struct e1000 *s, const uint8_t *d)
{
	uint32_t dw2 = le32(d + 8), dw3 = le32(d + 12);
	uint8_t cmd = dw2 >> 24;

	if (!(cmd & E1000_TXD_CMD_DEXT)) {
		if (!s->tx.started) {
			e1000_tx_start(s, false, 0, cmd & E1000_TXD_CMD_VLE, dw3 >> 16);
			s->tx.legacy_ic = cmd & E1000_TXD_CMD_IC;
			s->tx.legacy_cso = dw2 >> 16;
			s->tx.legacy_css = dw3 >> 8;
		}
		e1000_tx_data(s, le64(d), dw2 & 0xffff);
	} else if (((dw2 >> 20) & 0xf) == E1000_TXD_DTYP_CTX) {
		e1000_tx_context(s, d);
		return;
	} else if (((dw2 >> 20) & 0xf) == E1000_TXD_DTYP_DATA) {
		if (!s->tx.started)
			e1000_tx_start(s, cmd & E1000_TXD_CMD_TSE, dw3 >> 8, cmd & E1000_TXD_CMD_VLE,
				       dw3 >> 16);
		e1000_tx_data(s, le64(d), dw2 & 0xfffff);
	} else {
		s->cnt.tx_bad_desc++;
		return;
	}
	if (cmd & E1000_TXD_CMD_EOP)
		e1000_tx_end(s);
}

/* TXDW now, or after TIDV/TADV (1.024 us units) for descriptors with IDE. */
static void e1000_tx_written_back(struct e1000 *s, bool ide, uint32_t *causes)
{
	uint64_t now;

	if (!ide || !s->regs[R_TIDV]) {
		*causes |= E1000_ICR_TXDW;
		return;
	}
	now = e1000_now(s);
	s->tidv_at = now + (uint64_t)s->regs[R_TIDV] * 1024;
	if (s->regs[R_TADV] && !s->tadv_at)
		s->tadv_at = now + (uint64_t)s->regs[R_TADV] * 1024;
}

void e1000_tx_run(struct e1000 *s)
{
	unsigned size = e1000_ring_size(s, R_TDLEN);
	unsigned head = s->regs[R_TDH], tail = s->regs[R_TDT];
	uint32_t causes = E1000_ICR_TXQE;
	uint64_t tidv_was = s->tidv_at;
	uint8_t *ring;

	if (!(s->regs[R_TCTL] & E1000_TCTL_EN) || !s->bus_master || head == tail)
		return;
	ring = size ? gpa_to_hva(s->mem, e1000_ring_base(s, R_TDBAL), (uint64_t)size * E1000_DESC_SIZE)
		    : NULL;
	if (!ring || head >= size || tail >= size) {
		s->cnt.tx_ring_errors++;
		return;
	}
	while (head != tail) {
		uint8_t d[E1000_DESC_SIZE], cmd;

		memcpy(d, ring + head * E1000_DESC_SIZE, sizeof(d));
		e1000_tx_desc(s, d);
		cmd = d[11];
		if ((cmd & E1000_TXD_CMD_RS) || (!(cmd & E1000_TXD_CMD_DEXT) && (cmd & E1000_TXD_CMD_RPS))) {
			__atomic_store_n(&ring[head * E1000_DESC_SIZE + 12], d[12] | E1000_TXD_STA_DD,
					 __ATOMIC_RELEASE);
			e1000_tx_written_back(s, cmd & E1000_TXD_CMD_IDE, &causes);
		}
		head = (head + 1) % size;
	}
	s->regs[R_TDH] = head;
	e1000_irq_raise(s, causes);
	if (s->tidv_at != tidv_was)
		e1000_timer_rearm(s);
}
