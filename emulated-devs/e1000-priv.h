/*
 * The e1000 model's state and the functions its files share (e1000.c:
 * lifecycle, register dispatch, interrupts, timers, I/O thread;
 * e1000-eeprom.c: EEPROM and PHY; e1000-tx.c; e1000-rx.c). Everything here
 * is called with the model's lock held unless it says otherwise.
 */
#ifndef IOVIRT_E1000_PRIV_H
#define IOVIRT_E1000_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e1000-regs.h"
#include "e1000.h"
#include "net-backend.h"
#include "pci.h"

/* Register indices: R_<name> for the first of each row, arrays follow it. */
enum e1000_reg_index {
#define E1000_REG_ENUM(name, off, cnt, stride, rst, wm, rd, wr) \
	R_##name, R_##name##_LAST = R_##name + (cnt) - 1,
	E1000_REGISTERS(E1000_REG_ENUM)
#undef E1000_REG_ENUM
	E1000_NREGS
};

struct e1000;

/* One row of the register table, as built from E1000_REGISTERS. */
struct e1000_reg_desc {
	const char *name;
	uint32_t offset;
	unsigned count, stride;
	uint32_t reset, wmask;
	uint32_t (*read)(struct e1000 *s, unsigned idx);
	void (*write)(struct e1000 *s, unsigned idx, uint32_t val);
};

#define E1000_EEPROM_WORDS 64
#define E1000_EEPROM_SUM   0xbaba
#define E1000_PHY_REGS     32
#define E1000_PHY_ADDR     1

#define E1000_TX_BUF_SIZE  (65536 + 256)  /* one packet, or one TSO segment */
#define E1000_RX_BUF_SIZE  (E1000_TX_BUF_SIZE + 128) /* >= NET_FRAME_MAX; room for a looped TX frame, padding and FCS */
#define E1000_RX_MAX_STD   1522           /* largest frame without RCTL.LPE (with a VLAN tag) */
#define E1000_RX_MAX_LPE   16384
#define E1000_ETH_MIN      60             /* shortest frame on the wire, without FCS */

/* The Microwire EEPROM's serial state (EECD bit-bang). */
struct e1000_microwire {
	uint32_t eecd;       /* last value written: SK, CS, DI, FWE, REQ */
	unsigned bits_in;    /* bits clocked in since CS rose */
	uint32_t shift_in;
	bool reading;        /* start bit, READ opcode and address received */
	unsigned addr;
	unsigned bits_out;   /* data bits clocked out since the address */
	bool dout;
};

/* A transmit context (one for TSO, one for checksum offload). */
struct e1000_tx_ctx {
	uint8_t ipcss, ipcso, tucss, tucso, tucmd, hdrlen;
	uint16_t ipcse, tucse, mss;
	uint32_t paylen;
};

/* The packet being assembled from transmit descriptors. */
struct e1000_tx_pkt {
	bool started;        /* a data descriptor has been seen since the last EOP */
	bool bad;            /* drop at EOP (DMA error, too long, bad TSO context) */
	bool tso;
	bool legacy_ic;      /* legacy descriptor: insert checksum */
	bool vle;            /* insert a VLAN tag (with CTRL.VME) */
	uint16_t vlan;
	uint8_t legacy_css, legacy_cso;
	uint8_t popts;
	struct e1000_tx_ctx ctx; /* the context in force when the packet started */
	size_t len;          /* bytes in the buffer (TSO: header + current payload) */
	unsigned segs;       /* TSO segments sent */
	uint32_t sent;       /* TSO payload bytes sent */
	uint8_t hdr[256];    /* TSO: the header template */
};

struct e1000 {
	struct pci_device dev;
	pthread_mutex_t lock;
	const struct guest_mem *mem;
	struct net_backend *be;
	uint8_t mac[6];

	uint32_t regs[E1000_NREGS];
	uint32_t ioaddr;     /* BAR1 IOADDR */
	uint16_t eeprom[E1000_EEPROM_WORDS];
	uint16_t phy[E1000_PHY_REGS];
	struct e1000_microwire mw;
	bool link_up;        /* as last taken from the back-end */
	bool bus_master;     /* the command register's Bus Master Enable: gates all DMA */
	bool line;           /* INTx level we last drove */

	struct e1000_tx_ctx tx_csum, tx_tso;
	struct e1000_tx_pkt tx;
	uint8_t *tx_buf;     /* E1000_TX_BUF_SIZE */
	uint8_t *lb_buf;     /* E1000_RX_BUF_SIZE: MAC loopback frames */
	uint8_t *rx_buf;     /* E1000_RX_BUF_SIZE: the frame from the back-end */
	size_t rx_len;
	bool rx_pending;     /* rx_buf holds a frame waiting for descriptors */
	bool rx_blocked;     /* no buffers: the thread stopped polling the back-end */

	/* Deadlines in ns of the model's clock, 0 = off. */
	uint64_t itr_next, rdtr_at, radv_at, tidv_at, tadv_at;
	uint64_t (*clock)(void *opaque);
	void *clock_opaque;

	int timer_fd, wake_fd, epoll_fd;
	pthread_t thread;
	bool thread_on;      /* the I/O thread runs */
	bool thread_wanted;  /* restart it at reset */
	bool stop;

	struct e1000_counters cnt;
};

extern const struct e1000_reg_desc e1000_reg_table[];

/* Register hooks (see E1000_REGISTERS). */
uint32_t e1000_rd_plain(struct e1000 *s, unsigned idx);
uint32_t e1000_rd_clr(struct e1000 *s, unsigned idx);
uint32_t e1000_rd_wo(struct e1000 *s, unsigned idx);
uint32_t e1000_rd_status(struct e1000 *s, unsigned idx);
uint32_t e1000_rd_icr(struct e1000 *s, unsigned idx);
uint32_t e1000_rd_eecd(struct e1000 *s, unsigned idx);
void e1000_wr_plain(struct e1000 *s, unsigned idx, uint32_t val);
void e1000_wr_ro(struct e1000 *s, unsigned idx, uint32_t val);
void e1000_wr_ctrl(struct e1000 *s, unsigned idx, uint32_t val);
void e1000_wr_eecd(struct e1000 *s, unsigned idx, uint32_t val);
void e1000_wr_eerd(struct e1000 *s, unsigned idx, uint32_t val);
void e1000_wr_mdic(struct e1000 *s, unsigned idx, uint32_t val);
void e1000_wr_icr(struct e1000 *s, unsigned idx, uint32_t val);
void e1000_wr_ics(struct e1000 *s, unsigned idx, uint32_t val);
void e1000_wr_ims(struct e1000 *s, unsigned idx, uint32_t val);
void e1000_wr_imc(struct e1000 *s, unsigned idx, uint32_t val);
void e1000_wr_rctl(struct e1000 *s, unsigned idx, uint32_t val);
void e1000_wr_rdt(struct e1000 *s, unsigned idx, uint32_t val);
void e1000_wr_rdtr(struct e1000 *s, unsigned idx, uint32_t val);
void e1000_wr_tctl(struct e1000 *s, unsigned idx, uint32_t val);
void e1000_wr_tdt(struct e1000 *s, unsigned idx, uint32_t val);

/* Store val under the row's write mask. */
void e1000_reg_store(struct e1000 *s, unsigned idx, uint32_t val);

/* Interrupts: add causes to ICR; recompute the INTx line (ITR-limited). */
void e1000_irq_raise(struct e1000 *s, uint32_t causes);
void e1000_irq_update(struct e1000 *s);

/* The model's clock, and re-arming the timerfd after a deadline changed. */
uint64_t e1000_now(struct e1000 *s);
void e1000_timer_rearm(struct e1000 *s);
/* Wake the I/O thread (receive buffers appeared, or it must stop). */
void e1000_thread_kick(struct e1000 *s);

/* Statistics: saturating 32-bit, and 64-bit low/high pairs. */
void e1000_stat_inc(struct e1000 *s, unsigned idx);
void e1000_stat_add64(struct e1000 *s, unsigned lo_idx, uint64_t n);

/* EEPROM and PHY (e1000-eeprom.c). */
void e1000_eeprom_init(struct e1000 *s);
void e1000_microwire_reset(struct e1000 *s);
void e1000_phy_reset(struct e1000 *s);
uint16_t e1000_phy_read(struct e1000 *s, unsigned reg);

/* Transmit (e1000-tx.c): process descriptors from TDH to TDT; forget the packet in progress. */
void e1000_tx_run(struct e1000 *s);
void e1000_tx_reset(struct e1000 *s);

/*
 * Receive (e1000-rx.c). e1000_rx_frame: filter and place one frame into the
 * guest's ring; frame has E1000_RX_BUF_SIZE bytes of room (padding, FCS and
 * VLAN stripping happen in place). Returns true when the frame is done with
 * (delivered or dropped), false when the ring lacks descriptors for it.
 */
bool e1000_rx_frame(struct e1000 *s, uint8_t *frame, size_t len);
/* Whether the guest has given at least one receive buffer and RX is on. */
bool e1000_rx_ready(struct e1000 *s);
/* Receive from the back-end while buffers last (at most budget frames); returns how many it took. */
unsigned e1000_rx_drain(struct e1000 *s, unsigned budget);
/* The receive and transmit delay timers expired at now: raise RXT0/TXDW. */
void e1000_timers_expire(struct e1000 *s, uint64_t now);

/* Ring helpers shared by TX and RX: number of descriptors, or 0 when unusable. */
unsigned e1000_ring_size(struct e1000 *s, unsigned len_idx);
uint64_t e1000_ring_base(struct e1000 *s, unsigned bal_idx);

#endif
