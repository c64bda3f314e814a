/*
 * A hostile guest against iovirt's e1000 and virtio-net models on KVM: one
 * e1000 and one virtio-net, both on the loop back-end, programmed through
 * their registers with the broken rings of TESTING.md's hostile list (items
 * 1-3), one case of a table at a time, the device reset before each.
 *
 * After every case the guest checks that the guard regions (everything of
 * the arena but the named rings and buffers, and a MiB at GUARD_HIGH_GPA)
 * still hold their pattern, that the device's own registers were not
 * written by its DMA, and asks the host to answer a SYNC (the VMM is alive).
 * At the end both NICs are reset and brought up by the project's drivers
 * (guest/nic.h) and must carry a frame to themselves through loop.
 *
 * Reports: IOVIRT-GUEST: hostile case=<name> guard=<0|1> regs=<0|1> ok=
 *          IOVIRT-GUEST: after-reset nic=<i> kind=<k> len=<n> ok=
 * The host fails on ok=0, a guest failure, or when the run outlives
 * WATCHDOG_S (SIGALRM: a hung VMM).
 */
#define SYNC_HOSTILE_CASE 0x48430000u /* value: the case's index */

#ifdef IOVIRT_GUEST
#include "e1000-regs.h"
#include "guest.h"
#include "net-frame.h"
#include "nic.h"
#include "pci.h"
#include "virtio-regs.h"

#define GUARD          (64 * 1024)
#define GUARD_HIGH_GPA (96ull << 20) /* unused RAM of the 128 MiB VM */
#define GUARD_HIGH_LEN (1ull << 20)
#define RAM_END        (128ull << 20)
#define FAR_GPA        (1ull << 40)
#define PATTERN        0x5a

#define VD_NEXT  1
#define VD_WRITE 2
#define VD_INDIRECT 4
#define VQ_N     8
#define VHDR     12

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* The arena: guards around everything a case may name. */
static struct {
	uint8_t guard_a[GUARD];
	uint8_t ring[2][4096];   /* e1000 TX, RX descriptors; virtio TX, RX descriptor tables */
	uint8_t avail[2][4096];
	uint8_t used[2][4096];
	uint8_t buf[8][2048];
	uint8_t guard_b[GUARD];
} A __attribute__((aligned(4096)));

static uint64_t e_bar, v_common, v_notify, v_device;
static uint32_t v_mult;
static uint16_t v_noff[2];
static unsigned failures;

/* ---- guards ---- */

static void guards_fill(void)
{
	memset(A.guard_a, PATTERN, GUARD);
	memset(A.guard_b, PATTERN, GUARD);
	memset((void *)GUARD_HIGH_GPA, PATTERN, GUARD_HIGH_LEN);
}

static int span_intact(const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (p[i] != PATTERN)
			return 0;
	return 1;
}

static int guards_intact(void)
{
	return span_intact(A.guard_a, GUARD) && span_intact(A.guard_b, GUARD) &&
	       span_intact((const uint8_t *)GUARD_HIGH_GPA, GUARD_HIGH_LEN);
}

static void settle(void)
{
	uint64_t t = rdtsc() + 20 * guest_tsc_per_ms();

	while (rdtsc() < t)
		cpu_relax();
}

/* ---- e1000 ---- */

static void ew(unsigned off, uint32_t v) { mmio_write32(e_bar + off, v); }
static uint32_t er(unsigned off) { return mmio_read32(e_bar + off); }

static void e_reset(void)
{
	ew(E1000_CTRL, CTRL_RST);
	for (unsigned i = 0; er(E1000_CTRL) & CTRL_RST; i++)
		GUEST_ASSERT(i < 1000000);
	ew(E1000_IMC, ~0u);
	memset(A.ring, 0, sizeof(A.ring));
}

/* One legacy TX descriptor. */
static void e_txd(unsigned i, uint64_t addr, uint32_t len, uint8_t cmd)
{
	uint8_t *d = A.ring[0] + 16 * i;

	memset(d, 0, 16);
	memcpy(d, &addr, 8);
	d[8] = len;
	d[9] = len >> 8;
	d[11] = cmd;
}

static void e_tx_ring(uint64_t base, uint32_t len, uint32_t head, uint32_t tail)
{
	ew(E1000_TDBAL, (uint32_t)base);
	ew(E1000_TDBAH, base >> 32);
	ew(E1000_TDLEN, len);
	ew(E1000_TDH, head);
	ew(E1000_TCTL, TCTL_EN | TCTL_PSP);
	ew(E1000_TDT, tail);
}

static void e_frame(unsigned buf, unsigned len)
{
	static const uint8_t dst[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

	net_frame_build(A.buf[buf], len, dst, dst, 1, 0);
}

static void e_tdlen0(void) { e_frame(0, 60); e_txd(0, (uint64_t)A.buf[0], 60, TXD_EOP); e_tx_ring((uint64_t)A.ring[0], 0, 0, 1); }
static void e_tdlen_odd(void) { e_frame(0, 60); e_txd(0, (uint64_t)A.buf[0], 60, TXD_EOP); e_tx_ring((uint64_t)A.ring[0], 136, 0, 3); }
static void e_tdh_past_end(void) { e_tx_ring((uint64_t)A.ring[0], 128, 200, 3); }
static void e_tdt_past_end(void) { e_tx_ring((uint64_t)A.ring[0], 128, 0, 0xffff); }
static void e_tx_len0(void) { e_txd(0, (uint64_t)A.buf[0], 0, TXD_EOP | TXD_RS); e_tx_ring((uint64_t)A.ring[0], 128, 0, 1); }
static void e_tx_far(void) { e_txd(0, FAR_GPA, 1000, TXD_EOP); e_tx_ring((uint64_t)A.ring[0], 128, 0, 1); }
static void e_tx_ram_end(void) { e_txd(0, RAM_END - 100, 1000, TXD_EOP); e_tx_ring((uint64_t)A.ring[0], 128, 0, 1); }
static void e_tx_wrap(void) { e_txd(0, ~0ull - 63, 1000, TXD_EOP); e_tx_ring((uint64_t)A.ring[0], 128, 0, 1); }
static void e_tx_own_bar(void) { e_txd(0, e_bar, 1514, TXD_EOP); e_tx_ring((uint64_t)A.ring[0], 128, 0, 1); }
static void e_ring_far(void) { e_tx_ring(FAR_GPA, 128, 0, 1); }
static void e_ring_own_bar(void) { e_tx_ring(e_bar + E1000_TDT, 128, 0, 1); }

/* 255 descriptors of 16 KiB without EOP: a chain far over any frame. */
static void e_tx_long_chain(void)
{
	for (unsigned i = 0; i < 256; i++)
		e_txd(i, (uint64_t)A.buf[0], 16383, 0);
	e_tx_ring((uint64_t)A.ring[0], 4096, 0, 255);
}

/* A TSO context with header length hdr and MSS mss, then one data descriptor. */
static void e_tso(unsigned hdr, unsigned mss, unsigned paylen)
{
	uint8_t *c = A.ring[0], *d = A.ring[0] + 16;
	uint32_t w = paylen | (uint32_t)(TXD_DEXT | TXD_TSE | 0x02 | 0x01) << 24; /* IP, TCP */
	uint64_t a = (uint64_t)A.buf[0];

	memset(A.ring[0], 0, 32);
	c[0] = 14;      /* IPCSS */
	c[1] = 24;      /* IPCSO */
	c[4] = 34;      /* TUCSS */
	c[5] = 50;      /* TUCSO */
	memcpy(c + 8, &w, 4);
	c[13] = hdr;
	c[14] = mss;
	c[15] = mss >> 8;
	w = (paylen + hdr) | 1u << 20 | (uint32_t)(TXD_DEXT | TXD_TSE | TXD_EOP | TXD_IFCS) << 24;
	memcpy(d, &a, 8);
	memcpy(d + 8, &w, 4);
	d[13] = 0x03;   /* IXSM, TXSM */
	memset(A.buf[0], 0x45, 2048);
	e_tx_ring((uint64_t)A.ring[0], 128, 0, 2);
}

static void e_tso_zero(void) { e_tso(0, 0, 1000); }
static void e_tso_mss1(void) { e_tso(54, 1, 300); }
static void e_tso_hdr_over(void) { e_tso(255, 100, 1000); }

/* RX ring of 8 over addr (every descriptor), then one good frame sent to be looped back. */
static void e_rx_into(uint64_t addr, uint32_t rdlen, uint32_t rdh)
{
	for (unsigned i = 0; i < 8; i++) {
		memset(A.ring[1] + 16 * i, 0, 16);
		memcpy(A.ring[1] + 16 * i, &addr, 8);
	}
	ew(E1000_RDBAL, (uint32_t)(uint64_t)A.ring[1]);
	ew(E1000_RDBAH, 0);
	ew(E1000_RDLEN, rdlen);
	ew(E1000_RDH, rdh);
	ew(E1000_RDT, 7);
	ew(E1000_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);
	e_frame(0, 1514);
	e_txd(0, (uint64_t)A.buf[0], 1514, TXD_EOP | TXD_IFCS);
	e_tx_ring((uint64_t)A.ring[0], 128, 0, 1);
}

static void e_rx_far(void) { e_rx_into(FAR_GPA, 128, 0); }
static void e_rx_ram_end(void) { e_rx_into(RAM_END - 100, 128, 0); }
static void e_rx_wrap(void) { e_rx_into(~0ull - 63, 128, 0); }
static void e_rx_own_bar(void) { e_rx_into(e_bar, 128, 0); }
static void e_rx_rdlen0(void) { e_rx_into((uint64_t)A.buf[1], 0, 0); }
static void e_rx_rdh_past_end(void) { e_rx_into((uint64_t)A.buf[1], 128, 100); }

/* A loopback runt: 20 bytes with PSP off. */
static void e_runt(void)
{
	e_rx_into((uint64_t)A.buf[1], 128, 0);
	e_txd(1, (uint64_t)A.buf[0], 20, TXD_EOP);
	ew(E1000_TCTL, TCTL_EN);
	ew(E1000_TDT, 2);
}

/* Registers in the first 2 KiB of the BAR (where DMA aimed at it lands) still as set: E1000_IMS 0, link up. */
static int e_regs_sane(void)
{
	return (er(E1000_STATUS) & 3) == 3 && er(E1000_IMS) == 0;
}

/* ---- virtio-net ---- */

static void vc8(unsigned off, uint8_t v) { mmio_write8(v_common + off, v); }
static void vc16(unsigned off, uint16_t v) { mmio_write16(v_common + off, v); }
static void vc32(unsigned off, uint32_t v) { mmio_write32(v_common + off, v); }
static void vc64(unsigned off, uint64_t v) { mmio_write64(v_common + off, v); }

static struct vdesc *vd(unsigned q) { return (struct vdesc *)A.ring[q]; }
static volatile uint16_t *va(unsigned q) { return (volatile uint16_t *)A.avail[q]; }

static void v_notify_q(unsigned noff, uint16_t q)
{
	mmio_write16(v_notify + (uint64_t)noff * v_mult, q);
}

/* Reset, negotiate VERSION_1 only, both queues of VQ_N entries over the arena, DRIVER_OK. */
static void v_reset(void)
{
	vc8(VC_STATUS, 0);
	for (unsigned i = 0; mmio_read8(v_common + VC_STATUS); i++)
		GUEST_ASSERT(i < 1000000);
	memset(A.ring, 0, sizeof(A.ring));
	memset(A.avail, 0, sizeof(A.avail));
	memset(A.used, 0, sizeof(A.used));
	vc8(VC_STATUS, ST_ACK | ST_DRIVER);
	vc32(VC_GFSELECT, 0);
	vc32(VC_GF, 0);
	vc32(VC_GFSELECT, 1);
	vc32(VC_GF, 1);
	vc8(VC_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	for (uint16_t q = 0; q < 2; q++) {
		vc16(VC_Q_SELECT, q);
		vc16(VC_Q_SIZE, VQ_N);
		vc16(VC_Q_MSIX, 0xffff);
		vc64(VC_Q_DESC, (uint64_t)A.ring[q]);
		vc64(VC_Q_AVAIL, (uint64_t)A.avail[q]);
		vc64(VC_Q_USED, (uint64_t)A.used[q]);
		v_noff[q] = mmio_read16(v_common + VC_Q_NOFF);
		vc16(VC_Q_ENABLE, 1);
	}
	vc8(VC_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
}

/* Publish head on queue q (avail index += step) and notify. */
static void v_kick(unsigned q, uint16_t head, uint16_t step)
{
	va(q)[2] = head;
	__asm__ volatile("mfence" ::: "memory");
	va(q)[1] = va(q)[1] + step;
	__asm__ volatile("mfence" ::: "memory");
	v_notify_q(v_noff[q], q);
}

static void v_tx1(uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	vd(1)[0] = (struct vdesc){ addr, len, flags, next };
	v_kick(1, 0, 1);
}

/* A good frame with its header in A.buf[0], VHDR + len bytes. */
static uint32_t v_frame(unsigned len)
{
	static const uint8_t dst[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };

	memset(A.buf[0], 0, VHDR);
	net_frame_build(A.buf[0] + VHDR, len, dst, dst, 2, 0);
	return VHDR + len;
}

/* Queue indexes at and past num_queues: size 0, set-up ignored, doorbells harmless. */
static void v_queue_index(void)
{
	uint16_t n = mmio_read16(v_common + VC_NUMQ);
	const uint16_t qs[] = { n, n + 1, 0x100, 0x7fff, 0xffff };

	for (unsigned i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		vc16(VC_Q_SELECT, qs[i]);
		if (mmio_read16(v_common + VC_Q_SIZE) != 0) {
			guest_printf("queue %u: size %u, want 0\n", qs[i], mmio_read16(v_common + VC_Q_SIZE));
			failures++;
		}
		vc16(VC_Q_SIZE, 8);
		vc64(VC_Q_DESC, FAR_GPA);
		vc16(VC_Q_ENABLE, 1);
		v_notify_q(v_noff[1], qs[i]);
		v_notify_q(0xffff, qs[i]);
	}
}

/* Bring the device up with transmit queue size and descriptor table desc, then send a frame. */
static void v_txq(uint16_t size, uint64_t desc)
{
	vc8(VC_STATUS, 0);
	vc8(VC_STATUS, ST_ACK | ST_DRIVER);
	vc32(VC_GFSELECT, 1);
	vc32(VC_GF, 1);
	vc8(VC_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	vc16(VC_Q_SELECT, 1);
	vc16(VC_Q_SIZE, size);
	vc64(VC_Q_DESC, desc);
	vc64(VC_Q_AVAIL, (uint64_t)A.avail[1]);
	vc64(VC_Q_USED, (uint64_t)A.used[1]);
	vc16(VC_Q_ENABLE, 1);
	vc8(VC_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	vd(1)[0] = (struct vdesc){ (uint64_t)A.buf[0], v_frame(60), 0, 0 };
	v_kick(1, 0, 1);
}

static void v_qsize0(void) { v_txq(0, (uint64_t)A.ring[1]); }
static void v_qsize3(void) { v_txq(3, (uint64_t)A.ring[1]); }
static void v_qsize_huge(void) { v_txq(0x8000, (uint64_t)A.ring[1]); }
static void v_ring_far(void) { v_txq(VQ_N, FAR_GPA); }
static void v_ring_own_bar(void) { v_txq(VQ_N, v_common); }
static void v_tx_len0(void) { v_tx1((uint64_t)A.buf[0], 0, 0, 0); }
static void v_tx_short_hdr(void) { v_tx1((uint64_t)A.buf[0], 5, 0, 0); }
static void v_tx_far(void) { v_tx1(FAR_GPA, 1000, 0, 0); }
static void v_tx_ram_end(void) { v_tx1(RAM_END - 100, 1000, 0, 0); }
static void v_tx_wrap(void) { v_tx1(~0ull - 63, 1000, 0, 0); }
static void v_tx_own_bar(void) { v_tx1(v_common, 1000, 0, 0); }
static void v_tx_self_loop(void) { v_frame(60); v_tx1((uint64_t)A.buf[0], 72, VD_NEXT, 0); }
static void v_tx_next_oob(void) { v_frame(60); v_tx1((uint64_t)A.buf[0], 72, VD_NEXT, 200); }
static void v_tx_indirect(void) { v_tx1((uint64_t)A.ring[0], 64, VD_INDIRECT, 0); }
static void v_avail_head_oob(void) { v_frame(60); vd(1)[0] = (struct vdesc){ (uint64_t)A.buf[0], 72, 0, 0 }; v_kick(1, 100, 1); }
static void v_avail_idx_jump(void) { v_frame(60); vd(1)[0] = (struct vdesc){ (uint64_t)A.buf[0], 72, 0, 0 }; v_kick(1, 0, 1000); }

/* Every descriptor chained to the next, the last back to the first: longer than the queue. */
static void v_tx_cycle(void)
{
	v_frame(60);
	for (unsigned i = 0; i < VQ_N; i++)
		vd(1)[i] = (struct vdesc){ (uint64_t)A.buf[0], 72, VD_NEXT, (i + 1) % VQ_N };
	v_kick(1, 0, 1);
}

/* The header over three descriptors (4 + 8 bytes, then the frame): legal; the guards still hold. */
static void v_tx_hdr_split(void)
{
	uint32_t len = v_frame(60);

	vd(1)[0] = (struct vdesc){ (uint64_t)A.buf[0], 4, VD_NEXT, 1 };
	vd(1)[1] = (struct vdesc){ (uint64_t)A.buf[0] + 4, 8, VD_NEXT, 2 };
	vd(1)[2] = (struct vdesc){ (uint64_t)A.buf[0] + VHDR, len - VHDR, 0, 0 };
	v_kick(1, 0, 1);
}

/* csum_start/csum_offset far past the frame with NEEDS_CSUM (not negotiated). */
static void v_tx_csum_past(void)
{
	v_frame(60);
	A.buf[0][0] = 1;                    /* NEEDS_CSUM */
	A.buf[0][6] = 0x88; A.buf[0][7] = 0x13;  /* csum_start 5000 */
	A.buf[0][8] = 0xff; A.buf[0][9] = 0xff;  /* csum_offset 65535 */
	v_tx1((uint64_t)A.buf[0], 72, 0, 0);
}

/* RX buffers described by d (all VQ_N posted), then a good frame sent to be looped back. */
static void v_rx_into(uint64_t addr, uint32_t len, uint16_t flags)
{
	for (unsigned i = 0; i < VQ_N; i++) {
		vd(0)[i] = (struct vdesc){ addr, len, flags, (i + 1) % VQ_N };
		va(0)[2 + i] = i;
	}
	va(0)[1] = VQ_N;
	__asm__ volatile("mfence" ::: "memory");
	v_notify_q(v_noff[0], 0);
	vd(1)[0] = (struct vdesc){ (uint64_t)A.buf[0], v_frame(1514), 0, 0 };
	v_kick(1, 0, 1);
}

static void v_rx_len1(void) { v_rx_into((uint64_t)A.buf[1], 1, VD_WRITE); }
static void v_rx_read_only(void) { v_rx_into((uint64_t)A.buf[1], 2048, 0); }
static void v_rx_far(void) { v_rx_into(FAR_GPA, 2048, VD_WRITE); }
static void v_rx_ram_end(void) { v_rx_into(RAM_END - 100, 2048, VD_WRITE); }
static void v_rx_wrap(void) { v_rx_into(~0ull - 63, 2048, VD_WRITE); }
static void v_rx_own_bar(void) { v_rx_into(v_common, 2048, VD_WRITE); }
static void v_rx_cycle(void) { v_rx_into((uint64_t)A.buf[1], 16, VD_WRITE | VD_NEXT); }

/* The common configuration still reads back what the case set up (no DMA landed on it). */
static int v_regs_sane(void)
{
	uint8_t st = mmio_read8(v_common + VC_STATUS);

	return mmio_read32(v_common + VC_GFSELECT) == 1 && mmio_read8(v_device) == 0x52 &&
	       (st & (ST_ACK | ST_DRIVER)) == (ST_ACK | ST_DRIVER);
}

struct hcase {
	const char *name;
	int virtio;
	void (*run)(void);
};

static const struct hcase cases[] = {
	{ "e1000-tdlen-0", 0, e_tdlen0 },
	{ "e1000-tdlen-odd", 0, e_tdlen_odd },
	{ "e1000-tdh-past-end", 0, e_tdh_past_end },
	{ "e1000-tdt-past-end", 0, e_tdt_past_end },
	{ "e1000-tx-len-0", 0, e_tx_len0 },
	{ "e1000-tx-out-of-ram", 0, e_tx_far },
	{ "e1000-tx-ram-end", 0, e_tx_ram_end },
	{ "e1000-tx-addr-wrap", 0, e_tx_wrap },
	{ "e1000-tx-own-bar", 0, e_tx_own_bar },
	{ "e1000-ring-out-of-ram", 0, e_ring_far },
	{ "e1000-ring-own-bar", 0, e_ring_own_bar },
	{ "e1000-tx-long-chain", 0, e_tx_long_chain },
	{ "e1000-tso-hdr0-mss0", 0, e_tso_zero },
	{ "e1000-tso-mss1", 0, e_tso_mss1 },
	{ "e1000-tso-hdr-over", 0, e_tso_hdr_over },
	{ "e1000-rx-out-of-ram", 0, e_rx_far },
	{ "e1000-rx-ram-end", 0, e_rx_ram_end },
	{ "e1000-rx-addr-wrap", 0, e_rx_wrap },
	{ "e1000-rx-own-bar", 0, e_rx_own_bar },
	{ "e1000-rx-rdlen-0", 0, e_rx_rdlen0 },
	{ "e1000-rx-rdh-past-end", 0, e_rx_rdh_past_end },
	{ "e1000-loopback-runt", 0, e_runt },
	{ "virtio-queue-index-oob", 1, v_queue_index },
	{ "virtio-qsize-0", 1, v_qsize0 },
	{ "virtio-qsize-3", 1, v_qsize3 },
	{ "virtio-qsize-32768", 1, v_qsize_huge },
	{ "virtio-tx-len-0", 1, v_tx_len0 },
	{ "virtio-tx-short-header", 1, v_tx_short_hdr },
	{ "virtio-tx-out-of-ram", 1, v_tx_far },
	{ "virtio-tx-ram-end", 1, v_tx_ram_end },
	{ "virtio-tx-addr-wrap", 1, v_tx_wrap },
	{ "virtio-tx-own-bar", 1, v_tx_own_bar },
	{ "virtio-tx-self-loop", 1, v_tx_self_loop },
	{ "virtio-tx-chain-cycle", 1, v_tx_cycle },
	{ "virtio-tx-next-oob", 1, v_tx_next_oob },
	{ "virtio-tx-indirect-not-negotiated", 1, v_tx_indirect },
	{ "virtio-avail-head-oob", 1, v_avail_head_oob },
	{ "virtio-avail-idx-jump", 1, v_avail_idx_jump },
	{ "virtio-ring-out-of-ram", 1, v_ring_far },
	{ "virtio-ring-own-bar", 1, v_ring_own_bar },
	{ "virtio-tx-header-split", 1, v_tx_hdr_split },
	{ "virtio-tx-csum-past-frame", 1, v_tx_csum_past },
	{ "virtio-rx-len-1", 1, v_rx_len1 },
	{ "virtio-rx-read-only", 1, v_rx_read_only },
	{ "virtio-rx-out-of-ram", 1, v_rx_far },
	{ "virtio-rx-ram-end", 1, v_rx_ram_end },
	{ "virtio-rx-addr-wrap", 1, v_rx_wrap },
	{ "virtio-rx-own-bar", 1, v_rx_own_bar },
	{ "virtio-rx-chain-cycle", 1, v_rx_cycle },
};

static void case_run(unsigned i)
{
	const struct hcase *c = &cases[i];
	int guard, regs, ok;

	if (c->virtio)
		v_reset();
	else
		e_reset();
	c->run();
	settle();
	guard = guards_intact();
	regs = c->virtio ? v_regs_sane() : e_regs_sane();
	guest_sync(SYNC_HOSTILE_CASE, i);
	ok = guard && regs;
	failures += !ok;
	guest_report("hostile case=%s guard=%d regs=%d ok=%d", c->name, guard, regs, ok);
	if (!guard)
		guards_fill();
}

static int virtio_caps(uint16_t bdf)
{
	for (unsigned off = pci_find_cap(bdf, 0x09), n = 0; off && n < 48; n++) {
		if (pci_read8(bdf, off) == 0x09) {
			unsigned type = pci_read8(bdf, off + 3), bar = pci_read8(bdf, off + 4);
			uint64_t a = bar < 6 ? pci_bar_addr(bdf, bar) + pci_read32(bdf, off + 8) : 0;

			if (type == 1)
				v_common = a;
			else if (type == 2) {
				v_notify = a;
				v_mult = pci_read32(bdf, off + 16);
			} else if (type == 4)
				v_device = a;
		}
		off = pci_read8(bdf, off + 1) & 0xfc;
	}
	return v_common && v_notify && v_device;
}

/* The project's drivers after all that: each NIC sends a frame to itself through loop. */
static void after_reset(void)
{
	static struct nic nics[NIC_MAX];
	static uint8_t tx[NIC_BUF_SIZE], rx[NIC_BUF_SIZE];
	int count = nic_probe_all(nics, NIC_MAX), len = 0, ok;

	GUEST_ASSERT_EQ(count, 2);
	for (int i = 0; i < count; i++) {
		uint64_t deadline = rdtsc() + 5000 * guest_tsc_per_ms();

		unsigned stale = 0;

		net_frame_build(tx, 1514, nics[i].mac, nics[i].mac, 9, 7);
		GUEST_ASSERT_EQ(nic_send(&nics[i], tx, 1514), 0);
		/* frames the cases got through may still wait in loop: skip them */
		for (ok = 0; !ok && rdtsc() < deadline; ) {
			len = nic_recv(&nics[i], rx, sizeof(rx));
			nic_poll(&nics[i]);
			if (len == 1514 && !memcmp(rx, tx, 1514))
				ok = 1;
			else if (len != 0)
				stale++;
		}
		failures += !ok;
		guest_report("after-reset nic=%d kind=%s len=%d stale=%u ok=%d", i, nics[i].name, len,
			     stale, ok);
	}
}

int guest_main(unsigned cpu, unsigned ncpus)
{
	uint16_t e = pci_find_device(0x8086, 0x100e), v = pci_find_device(0x1af4, 0x1041);

	if (cpu != 0)
		return 0;
	GUEST_ASSERT(e != PCI_NONE && v != PCI_NONE);
	GUEST_ASSERT_EQ(nic_pci_enable(e), 0);
	GUEST_ASSERT_EQ(nic_pci_enable(v), 0);
	e_bar = pci_bar_addr(e, 0);
	GUEST_ASSERT(virtio_caps(v));
	guards_fill();
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		case_run(i);
	after_reset();
	guest_report("summary cases=%u failures=%u ok=%d", (unsigned)(sizeof(cases) / sizeof(cases[0])),
		     failures, failures == 0);
	return failures ? 1 : 0;
}
#else
#include <string.h>

#include "nic.h"
#include "vmm-test.h"

#define WATCHDOG_S 50 /* below the 60 s meson timeout */

static void nic_plug(struct vm *vm, struct platform *plat, const char *arg, unsigned index,
		     struct nic *out)
{
	const char *why = "", *stage = "";
	struct nic_spec spec;
	uint8_t mac[6];
	int ret = nic_spec_parse(arg, &spec, &why);

	TEST_ASSERT(!ret, "%s: %s", arg, why);
	nic_default_mac(index, mac);
	ret = nic_add(vm, plat->pci, &spec, mac, out, &stage);
	TEST_ASSERT(!ret, "nic_add %s: %s: %s", arg, stage, strerror(-ret));
}

int main(int argc, char **argv)
{
	const char *image = test_image(argc, argv);
	struct nic nics[2];
	struct platform plat;
	struct ucall uc;
	struct vm vm;
	unsigned cases = 0;

	test_watchdog(WATCHDOG_S); /* a VMM stuck on a hostile ring fails the test */
	test_vm_create(&vm, &plat, image, 1, 128 << 20, 1);
	nic_plug(&vm, &plat, "e1000,backend=loop", 0, &nics[0]);
	nic_plug(&vm, &plat, "virtio,backend=loop", 1, &nics[1]);
	for (;;) {
		uint64_t cmd = test_vcpu_ucall(vm.vcpus[0], &uc);

		if (cmd == UCALL_DONE)
			break;
		TEST_ASSERT(cmd == UCALL_SYNC || cmd == UCALL_PRINT, "guest: %s", uc.buf);
		if (cmd == UCALL_PRINT) {
			fputs(uc.buf, stdout);
			TEST_ASSERT(!strstr(uc.buf, " ok=0"), "guest reported a failure");
		} else if (test_sync_tsc_answer(vm.vcpus[0], &uc)) {
			continue;
		} else if (uc.args[0] == SYNC_HOSTILE_CASE) {
			TEST_ASSERT(uc.args[1] == cases, "case %llu after %u",
				    (unsigned long long)uc.args[1], cases);
			cases++;
		}
	}
	TEST_ASSERT(uc.args[0] == 0, "guest status %llu", (unsigned long long)uc.args[0]);
	TEST_ASSERT(cases >= 40, "only %u cases ran", cases);
	for (int i = 0; i < 2; i++) {
		struct net_backend_stats s;

		net_backend_stats(nics[i].be, &s);
		printf("host: nic %d loop tx=%llu dropped=%llu rx=%llu rx_dropped=%llu\n", i,
		       (unsigned long long)s.tx_frames, (unsigned long long)s.tx_dropped,
		       (unsigned long long)s.rx_frames, (unsigned long long)s.rx_dropped);
	}
	printf("ok: %u hostile cases on e1000 and virtio-net, both NICs work after a reset\n", cases);
	vm_destroy(&vm);
	return 0;
}
#endif
