/*
 * e1000 receive: the address and VLAN filters, VLAN stripping, placing a
 * frame into the guest's legacy receive descriptors, the receive interrupt
 * causes and delay timers, and draining the back-end.
 *
 * A frame is placed only when the ring (wholly in RAM, RDH and RDT inside
 * it) has enough free descriptors for all of it; otherwise it waits in
 * rx_buf and the I/O thread stops polling the back-end until RDT moves.
 */
#include "e1000-priv.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "guest-mem.h"
#include "net-csum.h"

#define ETH_HLEN 14

static uint32_t e1000_crc_table[256];
static pthread_once_t e1000_crc_once = PTHREAD_ONCE_INIT;

static void e1000_crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		e1000_crc_table[i] = c;
	}
}

/* The Ethernet FCS (CRC-32, IEEE 802.3). */
static uint32_t e1000_fcs(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffu;

	pthread_once(&e1000_crc_once, e1000_crc_init);
	for (size_t i = 0; i < len; i++)
		c = e1000_crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return ~c;
}

static bool is_broadcast(const uint8_t *a)
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	return !memcmp(a, bc, 6);
}

/* Exact match against the receive address registers that are valid (AV) and select the destination. */
static bool e1000_rx_ra_match(struct e1000 *s, const uint8_t *dst)
{
	for (unsigned i = 0; i < 16; i++) {
		uint32_t lo = s->regs[R_RAL + i], hi = s->regs[R_RAH + i];
		uint8_t a[6] = { lo, lo >> 8, lo >> 16, lo >> 24, hi, hi >> 8 };

		if ((hi & E1000_RAH_AV) && !(hi & E1000_RAH_AS_MASK) && !memcmp(a, dst, 6))
			return true;
	}
	return false;
}

/* The multicast table: 12 bits of the address chosen by RCTL.MO index 4096 bits of MTA. */
static bool e1000_rx_mta_match(struct e1000 *s, const uint8_t *dst)
{
	static const unsigned shift[4] = { 4, 3, 2, 0 };
	unsigned mo = (s->regs[R_RCTL] >> E1000_RCTL_MO_SHIFT) & 3;
	unsigned h = ((dst[4] >> shift[mo]) | (dst[5] << (8 - shift[mo]))) & 0xfff;

	return s->regs[R_MTA + (h >> 5)] & (1u << (h & 31));
}

/* The VLAN filter (RCTL.VFE: VFTA bit of the VID; CFIEN: CFI must equal RCTL.CFI). */
static bool e1000_rx_vlan_ok(struct e1000 *s, const uint8_t *f)
{
	uint32_t rctl = s->regs[R_RCTL];
	uint16_t tci = get_be16(f + 14), vid = tci & 0xfff;

	if (!(rctl & E1000_RCTL_VFE))
		return true;
	if ((rctl & E1000_RCTL_CFIEN) && !!(tci & 0x1000) != !!(rctl & E1000_RCTL_CFI))
		return false;
	return s->regs[R_VFTA + (vid >> 5)] & (1u << (vid & 31));
}

static bool e1000_rx_accept(struct e1000 *s, const uint8_t *f, bool tagged)
{
	uint32_t rctl = s->regs[R_RCTL];
	bool mc = f[0] & 1;

	if (tagged && !e1000_rx_vlan_ok(s, f))
		return false;
	if (!mc && (rctl & E1000_RCTL_UPE))
		return true;
	if (mc && (rctl & E1000_RCTL_MPE))
		return true;
	if (is_broadcast(f) && (rctl & E1000_RCTL_BAM))
		return true;
	if (e1000_rx_ra_match(s, f))
		return true;
	return mc && e1000_rx_mta_match(s, f);
}

/* Receive buffer size from RCTL.BSIZE and BSEX (BSEX with size 00 is reserved: 2048). */
static unsigned e1000_rx_bufsize(uint32_t rctl)
{
	static const unsigned base[4] = { 2048, 1024, 512, 256 };
	static const unsigned ext[4] = { 2048, 16384, 8192, 4096 };
	unsigned bs = (rctl >> E1000_RCTL_BSIZE_SHIFT) & 3;

	return (rctl & E1000_RCTL_BSEX) ? ext[bs] : base[bs];
}

bool e1000_rx_ready(struct e1000 *s)
{
	unsigned size = e1000_ring_size(s, R_RDLEN), h = s->regs[R_RDH], t = s->regs[R_RDT];

	return (s->regs[R_RCTL] & E1000_RCTL_EN) && s->link_up && s->bus_master && size &&
	       h < size && t < size && h != t;
}

static void e1000_rx_stats(struct e1000 *s, const uint8_t *f, size_t wire)
{
	static const unsigned prc[] = { R_PRC64, R_PRC127, R_PRC255, R_PRC511, R_PRC1023, R_PRC1522 };
	unsigned b = wire <= 64 ? 0 : wire <= 127 ? 1 : wire <= 255 ? 2 : wire <= 511 ? 3 :
		     wire <= 1023 ? 4 : 5;

	e1000_stat_inc(s, R_GPRC);
	e1000_stat_add64(s, R_GORCL, wire);
	e1000_stat_inc(s, prc[b]);
	if (is_broadcast(f))
		e1000_stat_inc(s, R_BPRC);
	else if (f[0] & 1)
		e1000_stat_inc(s, R_MPRC);
}

/* RXT0 now (RDTR 0) or after the packet timer RDTR / absolute timer RADV (1.024 us units). */
static void e1000_rx_interrupts(struct e1000 *s, unsigned size)
{
	unsigned free = (s->regs[R_RDT] + size - s->regs[R_RDH]) % size;
	unsigned rdmts = (s->regs[R_RCTL] >> E1000_RCTL_RDMTS_SHIFT) & 3;
	uint32_t causes = 0;
	uint64_t now;

	if (free <= size >> (MIN(rdmts, 2u) + 1))
		causes |= E1000_ICR_RXDMT0;
	if (!s->regs[R_RDTR]) {
		causes |= E1000_ICR_RXT0;
	} else {
		now = e1000_now(s);
		s->rdtr_at = now + (uint64_t)s->regs[R_RDTR] * 1024;
		if (s->regs[R_RADV] && !s->radv_at)
			s->radv_at = now + (uint64_t)s->regs[R_RADV] * 1024;
		e1000_timer_rearm(s);
	}
	if (causes)
		e1000_irq_raise(s, causes);
}

/* What the last descriptor of a frame reports beyond DD and EOP. */
struct e1000_rx_status {
	uint8_t status;      /* VP, IPCS, TCPCS, or IXSM */
	uint8_t errors;      /* IPE, TCPE */
	uint16_t special;    /* the stripped VLAN tag */
};

#define ETH_P_IPV4 0x0800
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

/* TCP or UDP over unfragmented IPv4: status and error bits of its checksum (TUOFL). */
static void e1000_rx_csum_l4(const uint8_t *ip, unsigned ihl, unsigned tot, struct e1000_rx_status *st)
{
	unsigned proto = ip[9], l4len = tot - ihl;
	uint64_t sum;

	if (get_be16(ip + 6) & 0x3fff)
		return;
	if (proto == IPPROTO_TCP_ ? l4len < 20 :
	    proto != IPPROTO_UDP_ || l4len < 8 || !get_be16(ip + ihl + 6))
		return;
	sum = net_csum_add(proto + l4len, ip + 12, 8);
	sum = net_csum_add(sum, ip + ihl, l4len);
	st->status |= E1000_RXD_STAT_TCPCS;
	if (net_csum_fold(sum) != 0xffff)
		st->errors |= E1000_RXD_ERR_TCPE;
}

/*
 * Receive checksum offload over the frame as placed (tag stripped or not):
 * with RXCSUM.IPOFL the IPv4 header checksum (IPCS, IPE), with TUOFL the
 * TCP/UDP one. Without either, IXSM tells the driver to check itself.
 */
static void e1000_rx_csum(struct e1000 *s, const uint8_t *f, size_t len, struct e1000_rx_status *st)
{
	uint32_t rxcsum = s->regs[R_RXCSUM];
	size_t l3 = ETH_HLEN;
	uint16_t type = get_be16(f + 12);
	unsigned ihl, tot;
	const uint8_t *ip;

	if (!(rxcsum & (E1000_RXCSUM_IPOFL | E1000_RXCSUM_TUOFL))) {
		st->status |= E1000_RXD_STAT_IXSM;
		return;
	}
	if (type == (s->regs[R_VET] & 0xffff) && len >= ETH_HLEN + 4) {
		l3 += 4;
		type = get_be16(f + 16);
	}
	if (type != ETH_P_IPV4 || len < l3 + 20)
		return;
	ip = f + l3;
	ihl = (ip[0] & 0xf) * 4;
	tot = get_be16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl || l3 + tot > len)
		return;
	if (rxcsum & E1000_RXCSUM_IPOFL) {
		st->status |= E1000_RXD_STAT_IPCS;
		if (net_csum_fold(net_csum_add(0, ip, ihl)) != 0xffff)
			st->errors |= E1000_RXD_ERR_IPE;
	}
	if (rxcsum & E1000_RXCSUM_TUOFL)
		e1000_rx_csum_l4(ip, ihl, tot, st);
}

/*
 * Write the frame into consecutive descriptors from RDH (the caller checked
 * there are enough). Data first, then length/errors/special, the status
 * byte (DD) last, so a guest polling DD sees a complete descriptor. A
 * buffer outside RAM gets no data and reports RXE.
 */
static void e1000_rx_write(struct e1000 *s, uint8_t *ring, unsigned size, const uint8_t *f,
			   size_t len, const struct e1000_rx_status *st)
{
	unsigned bsize = e1000_rx_bufsize(s->regs[R_RCTL]), h = s->regs[R_RDH];
	uint8_t ixsm = st->status & E1000_RXD_STAT_IXSM;

	for (size_t off = 0; off < len; h = (h + 1) % size) {
		uint8_t *d = ring + h * E1000_DESC_SIZE;
		uint64_t addr;
		size_t chunk = MIN((size_t)bsize, len - off);
		bool last = off + chunk == len;
		uint8_t *dst, err = last ? st->errors : 0;

		memcpy(&addr, d, 8);
		addr = le64toh(addr);
		dst = gpa_to_hva(s->mem, addr, chunk);
		if (dst) {
			memcpy(dst, f + off, chunk);
		} else {
			err |= E1000_RXD_ERR_RXE;
			s->cnt.rx_dma_errors++;
		}
		d[8] = chunk & 0xff;
		d[9] = chunk >> 8;
		d[10] = d[11] = 0;
		d[13] = err;
		d[14] = last ? st->special & 0xff : 0;
		d[15] = last ? st->special >> 8 : 0;
		__atomic_store_n(&d[12], (uint8_t)(E1000_RXD_STAT_DD | (last ? E1000_RXD_STAT_EOP |
				 st->status : ixsm)), __ATOMIC_RELEASE);
		off += chunk;
	}
	s->regs[R_RDH] = h;
}

/* Total packets/octets received: every frame the model takes, placed or dropped. */
static void e1000_rx_count(struct e1000 *s, size_t len)
{
	e1000_stat_inc(s, R_TPR);
	e1000_stat_add64(s, R_TORL, MAX(len, (size_t)E1000_ETH_MIN) + 4);
}

/* Size checks and filters; true when the frame is to be placed. */
static bool e1000_rx_wanted(struct e1000 *s, const uint8_t *f, size_t len, bool *tagged)
{
	size_t max = (s->regs[R_RCTL] & E1000_RCTL_LPE) ? E1000_RX_MAX_LPE : E1000_RX_MAX_STD;

	if (len < ETH_HLEN) {
		e1000_stat_inc(s, R_RUC);
		s->cnt.rx_dropped++;
		return false;
	}
	if (len > max) {
		e1000_stat_inc(s, R_ROC);
		s->cnt.rx_dropped++;
		return false;
	}
	*tagged = len >= ETH_HLEN + 4 && get_be16(f + 12) == (s->regs[R_VET] & 0xffff);
	if (!e1000_rx_accept(s, f, *tagged)) {
		s->cnt.rx_filtered++;
		return false;
	}
	return true;
}

bool e1000_rx_frame(struct e1000 *s, uint8_t *f, size_t len)
{
	unsigned size = e1000_ring_size(s, R_RDLEN), bsize = e1000_rx_bufsize(s->regs[R_RCTL]);
	bool tagged, strip, fcs = !(s->regs[R_RCTL] & E1000_RCTL_SECRC);
	size_t wire = MAX(len, (size_t)E1000_ETH_MIN), out, need, free;
	struct e1000_rx_status st = { 0 };
	uint8_t *ring;

	if (!e1000_rx_ready(s))
		return false;
	if (!e1000_rx_wanted(s, f, len, &tagged)) {
		e1000_rx_count(s, len);
		return true;
	}
	strip = tagged && (s->regs[R_CTRL] & E1000_CTRL_VME);
	out = wire - (strip ? 4 : 0) + (fcs ? 4 : 0);
	need = (out + bsize - 1) / bsize;
	if (need > size - 1) {
		e1000_rx_count(s, len);
		s->cnt.rx_dropped++;
		return true;
	}
	free = (s->regs[R_RDT] + size - s->regs[R_RDH]) % size;
	ring = gpa_to_hva(s->mem, e1000_ring_base(s, R_RDBAL), (uint64_t)size * E1000_DESC_SIZE);
	if (!ring)
		s->cnt.rx_ring_errors++;
	if (need > free || !ring)
		return false;
	e1000_rx_count(s, len);
	/* Committed: pad as the wire would, strip the tag, append the FCS, in place. */
	memset(f + len, 0, wire - len);
	if (strip) {
		st.special = get_be16(f + 14);
		st.status = E1000_RXD_STAT_VP;
		memmove(f + 4, f, 12);
		f += 4;
		wire -= 4;
	}
	e1000_rx_csum(s, f, wire, &st);
	if (fcs) {
		uint32_t c = e1000_fcs(f, wire);

		for (unsigned i = 0; i < 4; i++)
			f[wire + i] = c >> (8 * i);
	}
	e1000_rx_stats(s, f, wire + 4);
	e1000_rx_write(s, ring, size, f, out, &st);
	e1000_rx_interrupts(s, size);
	return true;
}

unsigned e1000_rx_drain(struct e1000 *s, unsigned budget)
{
	unsigned taken = 0;

	while (budget-- && e1000_rx_ready(s)) {
		struct iovec iov = { s->rx_buf, NET_FRAME_MAX };
		ssize_t n;

		if (!s->rx_pending) {
			n = net_backend_recv(s->be, &iov, 1);
			if (n == -EMSGSIZE)
				continue;
			if (n < 0)
				break;
			taken++;
			s->rx_len = n;
			s->rx_pending = true;
			if (!e1000_rx_frame(s, s->rx_buf, s->rx_len)) {
				e1000_stat_inc(s, R_RNBC);
				break;
			}
		} else if (!e1000_rx_frame(s, s->rx_buf, s->rx_len)) {
			break;
		}
		s->rx_pending = false;
	}
	return taken;
}
