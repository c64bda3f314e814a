/*
 * e1000: the 64-word Microwire EEPROM (read through EERD or bit-banged
 * through EECD) and the internal M88E1011-style PHY behind MDIC.
 */
#include "e1000-priv.h"

#include <string.h>

/* EEPROM word offsets (82540EM image layout). */
#define EE_MAC0          0x00
#define EE_ID_LED        0x04
#define EE_INIT_CTRL1    0x0a
#define EE_SUBSYS_ID     0x0b
#define EE_SUBSYS_VENDOR 0x0c
#define EE_DEVICE_ID     0x0d
#define EE_VENDOR_ID     0x0e
#define EE_INIT_CTRL2    0x0f
#define EE_CHECKSUM      0x3f

#define MW_OPCODE_READ   0x6  /* start bit, then 10 */
#define MW_ADDR_BITS     6
#define MW_CMD_BITS      (3 + MW_ADDR_BITS)

void e1000_eeprom_init(struct e1000 *s)
{
	uint16_t *w = s->eeprom;
	uint16_t sum = 0;

	memset(w, 0, sizeof(s->eeprom));
	for (unsigned i = 0; i < 3; i++)
		w[EE_MAC0 + i] = s->mac[2 * i] | s->mac[2 * i + 1] << 8;
	w[EE_ID_LED] = 0xffff;             /* "use the default LED settings" */
	w[EE_INIT_CTRL1] = 0x4408;         /* signature 01b: the image is valid */
	w[EE_SUBSYS_ID] = E1000_DEVICE_ID;
	w[EE_SUBSYS_VENDOR] = E1000_VENDOR_ID;
	w[EE_DEVICE_ID] = E1000_DEVICE_ID;
	w[EE_VENDOR_ID] = E1000_VENDOR_ID;
	w[EE_INIT_CTRL2] = 0x3000;         /* symmetric and asymmetric PAUSE */
	for (unsigned i = 0; i < EE_CHECKSUM; i++)
		sum += w[i];
	w[EE_CHECKSUM] = (uint16_t)(E1000_EEPROM_SUM - sum);
}

/* --- Microwire through EECD --- */

void e1000_microwire_reset(struct e1000 *s)
{
	memset(&s->mw, 0, sizeof(s->mw));
}

uint32_t e1000_rd_eecd(struct e1000 *s, unsigned idx)
{
	uint32_t v = s->regs[idx] | E1000_EECD_PRES;

	if (v & E1000_EECD_REQ)
		v |= E1000_EECD_GNT;
	if (s->mw.dout)
		v |= E1000_EECD_DO;
	return v;
}

/*
 * One rising edge of SK with CS high. The command (start bit, 2-bit opcode,
 * 6-bit address) is clocked in MSB first, leading zeros ignored; after a
 * READ's last address bit DO carries a dummy 0, then each edge presents the
 * next data bit, D15 first, running on into the following words. Other
 * commands (write, erase, enable) are accepted and ignored: the image is
 * read-only.
 */
static void e1000_microwire_clock(struct e1000 *s, bool di)
{
	struct e1000_microwire *mw = &s->mw;

	if (mw->reading) {
		unsigned word = (mw->addr + mw->bits_out / 16) % E1000_EEPROM_WORDS;

		mw->dout = (s->eeprom[word] >> (15 - mw->bits_out % 16)) & 1;
		mw->bits_out++;
		return;
	}
	if (mw->bits_in == MW_CMD_BITS || (mw->bits_in == 0 && !di))
		return;
	mw->shift_in = mw->shift_in << 1 | di;
	if (++mw->bits_in < MW_CMD_BITS)
		return;
	if ((mw->shift_in >> MW_ADDR_BITS) == MW_OPCODE_READ) {
		mw->reading = true;
		mw->addr = mw->shift_in & (E1000_EEPROM_WORDS - 1);
		mw->bits_out = 0;
		mw->dout = false;
	}
}

void e1000_wr_eecd(struct e1000 *s, unsigned idx, uint32_t val)
{
	uint32_t old = s->regs[idx];

	e1000_reg_store(s, idx, val);
	if (!(val & E1000_EECD_CS)) {
		e1000_microwire_reset(s);
		return;
	}
	if (!(old & E1000_EECD_SK) && (val & E1000_EECD_SK))
		e1000_microwire_clock(s, val & E1000_EECD_DI);
}

/* EERD: a whole-word read; addresses past the 64 words read as 0xffff (no device answers). */
void e1000_wr_eerd(struct e1000 *s, unsigned idx, uint32_t val)
{
	unsigned addr = (val >> E1000_EERD_ADDR_SHIFT) & 0xff;
	uint16_t data = addr < E1000_EEPROM_WORDS ? s->eeprom[addr] : 0xffff;

	if (!(val & E1000_EERD_START)) {
		e1000_reg_store(s, idx, val & ~E1000_EERD_START);
		return;
	}
	s->regs[idx] = addr << E1000_EERD_ADDR_SHIFT | E1000_EERD_DONE |
		       (uint32_t)data << E1000_EERD_DATA_SHIFT;
}

/* --- the PHY --- */

#define PHY_CTRL         0
#define PHY_STATUS       1
#define PHY_ID1          2
#define PHY_ID2          3
#define PHY_AN_ADV       4
#define PHY_LP_ABILITY   5
#define PHY_AN_EXP       6
#define PHY_1000T_CTRL   9
#define PHY_1000T_STATUS 10
#define PHY_EXT_STATUS   15
#define PHY_M88_SPEC_CTRL   16
#define PHY_M88_SPEC_STATUS 17
#define PHY_M88_INT_EN      18
#define PHY_M88_EXT_CTRL    20
#define PHY_M88_PAGE        29
#define PHY_M88_GEN_CTRL    30

#define PHY_CTRL_RESET      0x8000
#define PHY_CTRL_AN_RESTART 0x0200
#define PHY_STATUS_BASE     0x7949  /* 10/100 abilities, extended status, AN able */
#define PHY_STATUS_LINK     0x0004
#define PHY_STATUS_AN_DONE  0x0020

/* Stored PHY registers: reset value and writable bits (the rest read 0 or are computed). */
static const struct { uint16_t reset, wmask; } e1000_phy_table[E1000_PHY_REGS] = {
	[PHY_CTRL]            = { 0x1140, 0x7dff },
	[PHY_ID1]             = { 0x0141, 0 },
	[PHY_ID2]             = { 0x0c20, 0 },
	[PHY_AN_ADV]          = { 0x0de1, 0xffff },
	[PHY_1000T_CTRL]      = { 0x0e00, 0xffff },
	[PHY_EXT_STATUS]      = { 0x3000, 0 },
	[PHY_M88_SPEC_CTRL]   = { 0x0068, 0xffff },
	[PHY_M88_INT_EN]      = { 0x0000, 0xffff },
	[PHY_M88_EXT_CTRL]    = { 0x0d60, 0xffff },
	[PHY_M88_PAGE]        = { 0x0000, 0xffff },
	[PHY_M88_GEN_CTRL]    = { 0x0000, 0xffff },
};

void e1000_phy_reset(struct e1000 *s)
{
	for (unsigned i = 0; i < E1000_PHY_REGS; i++)
		s->phy[i] = e1000_phy_table[i].reset;
}

/* Link-dependent registers are computed: auto-negotiation completes at once against 1000/full. */
uint16_t e1000_phy_read(struct e1000 *s, unsigned reg)
{
	bool up = s->link_up;

	switch (reg) {
	case PHY_STATUS:
		return PHY_STATUS_BASE | (up ? PHY_STATUS_LINK | PHY_STATUS_AN_DONE : 0);
	case PHY_LP_ABILITY:
		return up ? 0x45e1 : 0;     /* ack, pause, 10/100 half/full */
	case PHY_AN_EXP:
		return up ? 0x0001 : 0;     /* partner can auto-negotiate */
	case PHY_1000T_STATUS:
		return up ? 0x3c00 : 0;     /* receivers OK, partner 1000 half/full */
	case PHY_M88_SPEC_STATUS:
		return up ? 0xac00 : 0;     /* 1000, full duplex, resolved, link */
	default:
		return reg < E1000_PHY_REGS ? s->phy[reg] : 0;
	}
}

static void e1000_phy_write(struct e1000 *s, unsigned reg, uint16_t val)
{
	if (reg == PHY_CTRL && (val & PHY_CTRL_RESET))
		e1000_phy_reset(s);
	s->phy[reg] = (s->phy[reg] & ~e1000_phy_table[reg].wmask) | (val & e1000_phy_table[reg].wmask);
}

/* MDIC: one PHY access, complete at once (READY); only PHY address 1 answers. */
void e1000_wr_mdic(struct e1000 *s, unsigned idx, uint32_t val)
{
	unsigned reg = (val >> E1000_MDIC_REG_SHIFT) & 0x1f;
	unsigned phy = (val >> E1000_MDIC_PHY_SHIFT) & 0x1f;
	uint32_t op = val & (3u << 26);
	uint32_t out = val & ~(E1000_MDIC_READY | E1000_MDIC_ERROR);

	if (phy != E1000_PHY_ADDR || (op != E1000_MDIC_OP_READ && op != E1000_MDIC_OP_WRITE))
		out |= E1000_MDIC_ERROR;
	else if (op == E1000_MDIC_OP_READ)
		out = (out & ~E1000_MDIC_DATA_MASK) | e1000_phy_read(s, reg);
	else
		e1000_phy_write(s, reg, val & E1000_MDIC_DATA_MASK);
	s->regs[idx] = out | E1000_MDIC_READY;
	if (val & E1000_MDIC_INT_EN)
		e1000_irq_raise(s, E1000_ICR_MDAC);
}
