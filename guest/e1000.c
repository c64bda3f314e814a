/*
 * e1000 (82540EM) and e1000e (82574) driver: legacy TX and RX descriptors on
 * both, MAC from the EEPROM through EERD (RAL/RAH when EERD does not answer).
 * The 82540EM interrupts through INTx (the IOAPIC pin named by the Interrupt
 * Line register) and throttles through ITR; the 82574 through MSI-X, one
 * vector each for receive queue 0, transmit queue 0 and the other causes
 * (link), routed by IVAR, the queue causes auto-cleared (EIAC), INTx when
 * the function has no usable MSI-X.
 */
#include "e1000-regs.h"
#include "guest.h"
#include "nic.h"
#include "pci.h"

#define E1000_RING   128
#define E1000_MAX    3
#define E1000_VEC    0x50 /* + IOAPIC pin (shared by the NICs on that line) */
#define E1000E_VEC   0x70 /* + 3 * device: MSI-X vectors rx, tx, other */

enum { MSIX_RX, MSIX_TX, MSIX_OTHER, MSIX_VECS };

/* What differs between the two chips. */
struct e1000_variant {
	const char *name;
	enum nic_kind kind;
	uint32_t eerd_done;
	unsigned eerd_shift;   /* of the word address in EERD */
	int msix;              /* interrupts through MSI-X when the function has it */
};

static const struct e1000_variant e1000_82540 = {
	.name = "e1000", .kind = NIC_E1000, .eerd_done = EERD_DONE, .eerd_shift = 8,
};
static const struct e1000_variant e1000_82574 = {
	.name = "e1000e", .kind = NIC_E1000E, .eerd_done = EERD_82574_DONE,
	.eerd_shift = EERD_82574_SHIFT, .msix = 1,
};

struct e1000_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso_csum0;   /* TX: CSO; RX: checksum low byte */
	uint8_t cmd_csum1;   /* TX: CMD; RX: checksum high byte */
	uint8_t status;
	uint8_t css_errors;  /* TX: CSS; RX: errors */
	uint16_t special;
} __attribute__((packed));

struct e1000_dev {
	struct e1000_desc rx[E1000_RING] __attribute__((aligned(4096)));
	struct e1000_desc tx[E1000_RING] __attribute__((aligned(4096)));
	uint8_t rxbuf[E1000_RING][NIC_BUF_SIZE] __attribute__((aligned(4096)));
	uint8_t txbuf[E1000_RING][NIC_BUF_SIZE] __attribute__((aligned(4096)));
	uint64_t mmio;
	unsigned rx_next, tx_tail, tx_clean;
	const struct e1000_variant *v;
	struct msix msix;
	int msix_on;           /* interrupts come through msix */
};

static struct e1000_dev e1000_devs[E1000_MAX];
static unsigned e1000_count;

static uint32_t rd(struct e1000_dev *d, unsigned reg) { return mmio_read32(d->mmio + reg); }
static void wr(struct e1000_dev *d, unsigned reg, uint32_t v) { mmio_write32(d->mmio + reg, v); }

/* One EEPROM word through EERD: 0 and *word, or -ETIMEDOUT. */
static int eerd_read(struct e1000_dev *d, unsigned addr, uint16_t *word)
{
	wr(d, E1000_EERD, EERD_START | (addr << d->v->eerd_shift));
	for (unsigned i = 0; i < 100000; i++) {
		uint32_t v = rd(d, E1000_EERD);

		if (v & d->v->eerd_done) {
			*word = v >> 16;
			return 0;
		}
	}
	return -ETIMEDOUT;
}

/*
 * The MAC from EEPROM words 0-2 through EERD ("eerd"; "eerd!=ral" when a
 * valid receive address 0 disagrees), else from RAL0/RAH0 ("ral"). Then
 * receive address 0 is (re)programmed with it.
 */
static void mac_read(struct nic *n, struct e1000_dev *d)
{
	uint32_t lo = rd(d, E1000_RAL0), hi = rd(d, E1000_RAH0);
	uint8_t ral[6] = { lo, lo >> 8, lo >> 16, lo >> 24, hi, hi >> 8 };
	uint16_t w[3];

	if (!eerd_read(d, 0, &w[0]) && !eerd_read(d, 1, &w[1]) && !eerd_read(d, 2, &w[2])) {
		for (unsigned i = 0; i < 3; i++) {
			n->mac[2 * i] = w[i] & 0xff;
			n->mac[2 * i + 1] = w[i] >> 8;
		}
		n->mac_source = (hi & RAH_AV) && memcmp(ral, n->mac, 6) ? "eerd!=ral" : "eerd";
	} else {
		memcpy(n->mac, ral, 6);
		n->mac_source = "ral";
	}
	wr(d, E1000_RAL0, n->mac[0] | n->mac[1] << 8 | n->mac[2] << 16 | (uint32_t)n->mac[3] << 24);
	wr(d, E1000_RAH0, n->mac[4] | n->mac[5] << 8 | RAH_AV);
}

static void rings_init(struct e1000_dev *d)
{
	for (unsigned i = 0; i < E1000_RING; i++) {
		d->rx[i] = (struct e1000_desc){ .addr = (uint64_t)d->rxbuf[i] };
		d->tx[i] = (struct e1000_desc){ .addr = (uint64_t)d->txbuf[i], .status = DESC_DD };
	}
	wr(d, E1000_RDBAL, (uint32_t)(uint64_t)d->rx);
	wr(d, E1000_RDBAH, (uint64_t)d->rx >> 32);
	wr(d, E1000_RDLEN, sizeof(d->rx));
	wr(d, E1000_RDH, 0);
	wr(d, E1000_RDT, E1000_RING - 1);
	wr(d, E1000_TDBAL, (uint32_t)(uint64_t)d->tx);
	wr(d, E1000_TDBAH, (uint64_t)d->tx >> 32);
	wr(d, E1000_TDLEN, sizeof(d->tx));
	wr(d, E1000_TDH, 0);
	wr(d, E1000_TDT, 0);
	d->rx_next = d->tx_tail = d->tx_clean = 0;
	wr(d, E1000_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC); /* BSIZE 00: 2048-byte buffers */
	wr(d, E1000_TIPG, 10 | 8 << 10 | 6 << 20);
	wr(d, E1000_TCTL, TCTL_EN | TCTL_PSP | 0x10 << 4 | 0x40 << 12);
}

static void e1000_poll(struct nic *n)
{
	struct e1000_dev *d = n->priv;

	while (d->tx_clean != d->tx_tail && (((volatile struct e1000_desc *)&d->tx[d->tx_clean])->status & DESC_DD))
		d->tx_clean = (d->tx_clean + 1) % E1000_RING;
}

static unsigned e1000_tx_pending(struct nic *n)
{
	struct e1000_dev *d = n->priv;

	e1000_poll(n);
	return (d->tx_tail + E1000_RING - d->tx_clean) % E1000_RING;
}

static int e1000_send(struct nic *n, const void *frame, uint32_t len)
{
	struct e1000_dev *d = n->priv;
	unsigned t = d->tx_tail, next = (t + 1) % E1000_RING;

	if (len < 14 || len > NIC_FRAME_MAX)
		return -EINVAL;
	e1000_poll(n);
	if (next == d->tx_clean)
		return -EAGAIN;
	memcpy(d->txbuf[t], frame, len);
	d->tx[t].length = len;
	d->tx[t].cmd_csum1 = TXD_EOP | TXD_IFCS | TXD_RS;
	d->tx[t].status = 0;
	__asm__ volatile("" ::: "memory");
	d->tx_tail = next;
	wr(d, E1000_TDT, next);
	n->tx_frames++;
	return 0;
}

static int e1000_recv(struct nic *n, void *buf, uint32_t size)
{
	struct e1000_dev *d = n->priv;
	volatile struct e1000_desc *r = &d->rx[d->rx_next];
	uint32_t len;
	int ret;

	if (!(r->status & DESC_DD))
		return 0;
	__asm__ volatile("" ::: "memory");
	len = r->length;
	if (!(r->status & RXD_EOP) || r->css_errors || len > size || len > NIC_BUF_SIZE)
		ret = -EIO;
	else {
		memcpy(buf, d->rxbuf[d->rx_next], len);
		ret = (int)len;
		n->rx_frames++;
	}
	r->status = 0;
	wr(d, E1000_RDT, d->rx_next);
	d->rx_next = (d->rx_next + 1) % E1000_RING;
	return ret;
}

static int e1000_link_up(struct nic *n)
{
	return !!(rd(n->priv, E1000_STATUS) & STATUS_LU);
}

static void e1000_irq(struct nic *n, unsigned arg)
{
	uint32_t icr = rd(n->priv, E1000_ICR); /* read-to-clear: deasserts INTx */

	if (!icr)
		return; /* shared line, not ours */
	n->irqs++;
	if (icr & (ICR_RXT0 | ICR_RXO | ICR_RXDMT0))
		n->rx_irqs++;
	if (icr & ICR_TXDW)
		n->tx_irqs++;
	if (icr & ICR_LSC)
		n->link_irqs++;
}

/*
 * 82574 MSI-X: one vector per cause group (arg: MSIX_RX, MSIX_TX,
 * MSIX_OTHER). A queue cause's message may also clear its IMS bit (auto-mask
 * without CTRL_EXT.IAME), so each handler sets its causes again.
 */
static void e1000e_msix_irq(struct nic *n, unsigned arg)
{
	struct e1000_dev *d = n->priv;
	uint32_t icr;

	n->irqs++;
	if (arg == MSIX_RX) {
		n->rx_irqs++;
		wr(d, E1000_IMS, ICR_RXQ0);
	} else if (arg == MSIX_TX) {
		n->tx_irqs++;
		wr(d, E1000_IMS, ICR_TXQ0);
	} else {
		/* in MSI-X mode a read leaves ICR alone: the other causes are cleared by writing them */
		icr = rd(d, E1000_ICR) & ~(ICR_RXQ0 | ICR_TXQ0);
		wr(d, E1000_ICR, icr);
		if (icr & ICR_LSC)
			n->link_irqs++;
		wr(d, E1000_IMS, ICR_OTHER | ICR_LSC);
	}
}

static void e1000_irq_enable(struct nic *n, int on)
{
	struct e1000_dev *d = n->priv;
	uint32_t causes = ICR_TXDW | ICR_LSC | ICR_RXDMT0 | ICR_RXO | ICR_RXT0;

	if (d->msix_on)
		causes = ICR_RXQ0 | ICR_TXQ0 | ICR_OTHER | ICR_LSC;
	if (on) {
		wr(d, E1000_IMS, causes);
	} else {
		wr(d, E1000_IMC, ~0u);
		rd(d, E1000_ICR);
	}
	for (unsigned v = 0; d->msix_on && v < MSIX_VECS; v++)
		msix_vector_mask(&d->msix, v, !on);
}

/*
 * 82574: route receive queue 0, transmit queue 0 and the other causes to
 * MSI-X vectors 0, 1, 2 (all masked until irq_enable). 0, or -ENODEV
 * without enough vectors or IDT room.
 */
static int e1000e_msix_setup(struct nic *n, struct e1000_dev *d, unsigned index)
{
	unsigned base = E1000E_VEC + MSIX_VECS * index;

	if (msix_init(&d->msix, n->bdf) || d->msix.nvec < MSIX_VECS)
		return -ENODEV;
	for (unsigned v = 0; v < MSIX_VECS; v++) {
		if (nic_irq_bind(base + v, e1000e_msix_irq, n, v))
			return -ENODEV;
		msix_vector_set(&d->msix, v, 0, base + v, 1);
	}
	wr(d, E1000_IVAR, (IVAR_VALID | MSIX_RX) << IVAR_RXQ0_SHIFT |
	   (IVAR_VALID | MSIX_TX) << IVAR_TXQ0_SHIFT | (IVAR_VALID | MSIX_OTHER) << IVAR_OTHER_SHIFT);
	wr(d, E1000_CTRL_EXT, rd(d, E1000_CTRL_EXT) | CTRL_EXT_PBA_CLR);
	wr(d, E1000_EIAC, ICR_RXQ0 | ICR_TXQ0);
	msix_enable(&d->msix, 1);
	d->msix_on = 1;
	return 0;
}

void e1000_set_itr(struct nic *n, uint32_t interval)
{
	wr(n->priv, E1000_ITR, interval & 0xffff);
}

static const struct nic_ops e1000_ops = {
	.send = e1000_send,
	.recv = e1000_recv,
	.poll = e1000_poll,
	.tx_pending = e1000_tx_pending,
	.link_up = e1000_link_up,
	.irq_enable = e1000_irq_enable,
};

static int e1000_chip_probe(struct nic *n, uint16_t bdf, const struct e1000_variant *v)
{
	struct e1000_dev *d;
	unsigned line;
	int ret;

	if (e1000_count >= E1000_MAX)
		return -ENODEV;
	ret = nic_pci_enable(bdf);
	if (ret)
		return ret;
	d = &e1000_devs[e1000_count];
	memset(n, 0, sizeof(*n));
	n->ops = &e1000_ops;
	n->kind = v->kind;
	n->name = v->name;
	n->bdf = bdf;
	n->priv = d;
	d->v = v;
	d->msix_on = 0;
	d->mmio = pci_bar_addr(bdf, 0);
	if (!d->mmio)
		return -ENODEV;
	wr(d, E1000_IMC, ~0u);
	wr(d, E1000_CTRL, rd(d, E1000_CTRL) | CTRL_RST);
	for (unsigned i = 0; rd(d, E1000_CTRL) & CTRL_RST; i++)
		if (i > 1000000)
			return -ETIMEDOUT;
	wr(d, E1000_IMC, ~0u);
	rd(d, E1000_ICR);
	wr(d, E1000_CTRL, rd(d, E1000_CTRL) | CTRL_SLU | CTRL_ASDE);
	mac_read(n, d);
	for (unsigned i = 0; i < 128; i++)
		wr(d, E1000_MTA + 4 * i, 0);
	rings_init(d);
	if (!v->msix || e1000e_msix_setup(n, d, e1000_count)) {
		line = pci_read8(bdf, PCI_INTERRUPT_LINE);
		if (line < 24 && !nic_irq_bind(E1000_VEC + line, e1000_irq, n, 0))
			guest_ioapic_route(line, E1000_VEC + line, 1, 0);
	}
	e1000_count++;
	return 0;
}

int e1000_probe(struct nic *n, uint16_t bdf)
{
	return e1000_chip_probe(n, bdf, &e1000_82540);
}

int e1000e_probe(struct nic *n, uint16_t bdf)
{
	return e1000_chip_probe(n, bdf, &e1000_82574);
}
