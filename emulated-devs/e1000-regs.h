/*
 * The Intel 82540EM's registers (BAR0) as ONE table, and the bit fields the
 * model uses (facts from the PCI/PCI-X Family of Gigabit Ethernet
 * Controllers Software Developer's Manual).
 *
 * E1000_REGISTERS(X) has one row per register or register array:
 *   X(name, offset, count, stride, reset, wmask, rd, wr)
 *   - count registers starting at offset, stride bytes apart (RAL/RAH are
 *     interleaved, hence the stride);
 *   - reset: the value after power-on and CTRL.RST (RAL0/RAH0 are then
 *     loaded from the EEPROM, as the hardware does);
 *   - wmask: the bits a guest write changes (0: read-only); write hooks use
 *     it too (ICR write-1-to-clear, IMS/IMC/ICS bits);
 *   - rd/wr: the side effect on read and write, e1000_rd_<rd> and
 *     e1000_wr_<wr> (plain = stored value / masked store; ro = write
 *     ignored; clr = read-to-clear statistic; wo = write-only, reads 0).
 * E1000_STAT rows are the statistics: read-only, read-to-clear, reset 0.
 * Reset, reads, writes, offset decoding and the debug dump all come from
 * this table; no other list of registers exists.
 */
#ifndef IOVIRT_E1000_REGS_H
#define IOVIRT_E1000_REGS_H

#define E1000_STAT(X, name, off) X(name, off, 1, 4, 0, 0, clr, ro)

#define E1000_REGISTERS(X) \
	X(CTRL,     0x00000, 1,   4, E1000_CTRL_RESET, 0xdffc1be9,    plain,  ctrl)  \
	X(STATUS,   0x00008, 1,   4, 0,                0,             status, ro)    \
	X(EECD,     0x00010, 1,   4, E1000_EECD_RESET, 0x00000077,    eecd,   eecd)  \
	X(EERD,     0x00014, 1,   4, 0,                0x0000ff01,    plain,  eerd)  \
	X(CTRL_EXT, 0x00018, 1,   4, 0,                0x00e29fef,    plain,  plain) \
	X(MDIC,     0x00020, 1,   4, E1000_MDIC_READY, 0x2fffffff,    plain,  mdic)  \
	X(FCAL,     0x00028, 1,   4, 0,                0xffffffff,    plain,  plain) \
	X(FCAH,     0x0002c, 1,   4, 0,                0x0000ffff,    plain,  plain) \
	X(FCT,      0x00030, 1,   4, 0,                0x0000ffff,    plain,  plain) \
	X(VET,      0x00038, 1,   4, 0x8100,           0x0000ffff,    plain,  plain) \
	X(ICR,      0x000c0, 1,   4, 0,                E1000_ICR_ALL, icr,    icr)   \
	X(ITR,      0x000c4, 1,   4, 0,                0x0000ffff,    plain,  plain) \
	X(ICS,      0x000c8, 1,   4, 0,                E1000_ICR_ALL, wo,     ics)   \
	X(IMS,      0x000d0, 1,   4, 0,                E1000_ICR_ALL, plain,  ims)   \
	X(IMC,      0x000d8, 1,   4, 0,                E1000_ICR_ALL, wo,     imc)   \
	X(RCTL,     0x00100, 1,   4, 0,                0x06dfb3fe,    plain,  rctl)  \
	X(FCTTV,    0x00170, 1,   4, 0,                0x0000ffff,    plain,  plain) \
	X(TXCW,     0x00178, 1,   4, 0,                0xc000ffff,    plain,  plain) \
	X(RXCW,     0x00180, 1,   4, 0,                0,             plain,  ro)    \
	X(TCTL,     0x00400, 1,   4, 0,                0x03fffffa,    plain,  tctl)  \
	X(TIPG,     0x00410, 1,   4, 0,                0x3fffffff,    plain,  plain) \
	X(AIT,      0x00458, 1,   4, 0,                0x0000ffff,    plain,  plain) \
	X(LEDCTL,   0x00e00, 1,   4, 0x07068302,       0xcfcfcfcf,    plain,  plain) \
	X(PBA,      0x01000, 1,   4, 0x00100030,       0x0000003f,    plain,  plain) \
	X(FCRTL,    0x02160, 1,   4, 0,                0x8000fff8,    plain,  plain) \
	X(FCRTH,    0x02168, 1,   4, 0,                0x0000fff8,    plain,  plain) \
	X(RDBAL,    0x02800, 1,   4, 0,                0xfffffff0,    plain,  plain) \
	X(RDBAH,    0x02804, 1,   4, 0,                0xffffffff,    plain,  plain) \
	X(RDLEN,    0x02808, 1,   4, 0,                0x000fff80,    plain,  plain) \
	X(RDH,      0x02810, 1,   4, 0,                0x0000ffff,    plain,  plain) \
	X(RDT,      0x02818, 1,   4, 0,                0x0000ffff,    plain,  rdt)   \
	X(RDTR,     0x02820, 1,   4, 0,                0x0000ffff,    plain,  rdtr)  \
	X(RXDCTL,   0x02828, 1,   4, 0x00010000,       0x013f3f3f,    plain,  plain) \
	X(RADV,     0x0282c, 1,   4, 0,                0x0000ffff,    plain,  plain) \
	X(RSRPD,    0x02c00, 1,   4, 0,                0x00000fff,    plain,  plain) \
	X(TDBAL,    0x03800, 1,   4, 0,                0xfffffff0,    plain,  plain) \
	X(TDBAH,    0x03804, 1,   4, 0,                0xffffffff,    plain,  plain) \
	X(TDLEN,    0x03808, 1,   4, 0,                0x000fff80,    plain,  plain) \
	X(TDH,      0x03810, 1,   4, 0,                0x0000ffff,    plain,  plain) \
	X(TDT,      0x03818, 1,   4, 0,                0x0000ffff,    plain,  tdt)   \
	X(TIDV,     0x03820, 1,   4, 0,                0x0000ffff,    plain,  plain) \
	X(TXDCTL,   0x03828, 1,   4, 0,                0x013f3f3f,    plain,  plain) \
	X(TADV,     0x0382c, 1,   4, 0,                0x0000ffff,    plain,  plain) \
	E1000_STAT(X, CRCERRS,  0x04000) \
	E1000_STAT(X, ALGNERRC, 0x04004) \
	E1000_STAT(X, SYMERRS,  0x04008) \
	E1000_STAT(X, RXERRC,   0x0400c) \
	E1000_STAT(X, MPC,      0x04010) \
	E1000_STAT(X, SCC,      0x04014) \
	E1000_STAT(X, ECOL,     0x04018) \
	E1000_STAT(X, MCC,      0x0401c) \
	E1000_STAT(X, LATECOL,  0x04020) \
	E1000_STAT(X, COLC,     0x04028) \
	E1000_STAT(X, DC,       0x04030) \
	E1000_STAT(X, TNCRS,    0x04034) \
	E1000_STAT(X, SEC,      0x04038) \
	E1000_STAT(X, CEXTERR,  0x0403c) \
	E1000_STAT(X, RLEC,     0x04040) \
	E1000_STAT(X, XONRXC,   0x04048) \
	E1000_STAT(X, XONTXC,   0x0404c) \
	E1000_STAT(X, XOFFRXC,  0x04050) \
	E1000_STAT(X, XOFFTXC,  0x04054) \
	E1000_STAT(X, FCRUC,    0x04058) \
	E1000_STAT(X, PRC64,    0x0405c) \
	E1000_STAT(X, PRC127,   0x04060) \
	E1000_STAT(X, PRC255,   0x04064) \
	E1000_STAT(X, PRC511,   0x04068) \
	E1000_STAT(X, PRC1023,  0x0406c) \
	E1000_STAT(X, PRC1522,  0x04070) \
	E1000_STAT(X, GPRC,     0x04074) \
	E1000_STAT(X, BPRC,     0x04078) \
	E1000_STAT(X, MPRC,     0x0407c) \
	E1000_STAT(X, GPTC,     0x04080) \
	E1000_STAT(X, GORCL,    0x04088) \
	E1000_STAT(X, GORCH,    0x0408c) \
	E1000_STAT(X, GOTCL,    0x04090) \
	E1000_STAT(X, GOTCH,    0x04094) \
	E1000_STAT(X, RNBC,     0x040a0) \
	E1000_STAT(X, RUC,      0x040a4) \
	E1000_STAT(X, RFC,      0x040a8) \
	E1000_STAT(X, ROC,      0x040ac) \
	E1000_STAT(X, RJC,      0x040b0) \
	E1000_STAT(X, MGTPRC,   0x040b4) \
	E1000_STAT(X, MGTPDC,   0x040b8) \
	E1000_STAT(X, MGTPTC,   0x040bc) \
	E1000_STAT(X, TORL,     0x040c0) \
	E1000_STAT(X, TORH,     0x040c4) \
	E1000_STAT(X, TOTL,     0x040c8) \
	E1000_STAT(X, TOTH,     0x040cc) \
	E1000_STAT(X, TPR,      0x040d0) \
	E1000_STAT(X, TPT,      0x040d4) \
	E1000_STAT(X, PTC64,    0x040d8) \
	E1000_STAT(X, PTC127,   0x040dc) \
	E1000_STAT(X, PTC255,   0x040e0) \
	E1000_STAT(X, PTC511,   0x040e4) \
	E1000_STAT(X, PTC1023,  0x040e8) \
	E1000_STAT(X, PTC1522,  0x040ec) \
	E1000_STAT(X, MPTC,     0x040f0) \
	E1000_STAT(X, BPTC,     0x040f4) \
	E1000_STAT(X, TSCTC,    0x040f8) \
	E1000_STAT(X, TSCTFC,   0x040fc) \
	X(RXCSUM,   0x05000, 1,   4, 0,                0x000003ff,    plain,  plain) \
	X(MTA,      0x05200, 128, 4, 0,                0xffffffff,    plain,  plain) \
	X(RAL,      0x05400, 16,  8, 0,                0xffffffff,    plain,  plain) \
	X(RAH,      0x05404, 16,  8, 0,                0x8003ffff,    plain,  plain) \
	X(VFTA,     0x05600, 128, 4, 0,                0xffffffff,    plain,  plain) \
	X(WUC,      0x05800, 1,   4, 0,                0x0000000f,    plain,  plain) \
	X(WUFC,     0x05808, 1,   4, 0,                0x000f00ff,    plain,  plain) \
	X(WUS,      0x05810, 1,   4, 0,                0,             plain,  ro)    \
	X(MANC,     0x05820, 1,   4, 0,                0x00ffffff,    plain,  plain)

#define E1000_BAR0_SIZE 0x20000
#define E1000_BAR1_SIZE 0x40     /* I/O: IOADDR at 0, IODATA at 4 */

/* CTRL */
#define E1000_CTRL_FD       (1u << 0)
#define E1000_CTRL_ASDE     (1u << 5)
#define E1000_CTRL_SLU      (1u << 6)
#define E1000_CTRL_SPD_1000 (2u << 8)
#define E1000_CTRL_RST      (1u << 26)
#define E1000_CTRL_VME      (1u << 30)
#define E1000_CTRL_PHY_RST  (1u << 31)
#define E1000_CTRL_RESET    (E1000_CTRL_FD | E1000_CTRL_ASDE | E1000_CTRL_SLU | E1000_CTRL_SPD_1000)

/* STATUS (computed on read) */
#define E1000_STATUS_FD        (1u << 0)
#define E1000_STATUS_LU        (1u << 1)
#define E1000_STATUS_SPEED_1000 (2u << 6)
#define E1000_STATUS_ASDV_1000 (2u << 8)

/* EECD: the Microwire bit-bang interface */
#define E1000_EECD_SK   (1u << 0)
#define E1000_EECD_CS   (1u << 1)
#define E1000_EECD_DI   (1u << 2)
#define E1000_EECD_DO   (1u << 3)
#define E1000_EECD_FWE_DIS (1u << 4)
#define E1000_EECD_REQ  (1u << 6)
#define E1000_EECD_GNT  (1u << 7)
#define E1000_EECD_PRES (1u << 8)
#define E1000_EECD_RESET (E1000_EECD_PRES | E1000_EECD_FWE_DIS)

/* EERD (82540EM layout) */
#define E1000_EERD_START      (1u << 0)
#define E1000_EERD_DONE       (1u << 4)
#define E1000_EERD_ADDR_SHIFT 8
#define E1000_EERD_DATA_SHIFT 16

/* MDIC */
#define E1000_MDIC_DATA_MASK  0xffffu
#define E1000_MDIC_REG_SHIFT  16
#define E1000_MDIC_PHY_SHIFT  21
#define E1000_MDIC_OP_WRITE   (1u << 26)
#define E1000_MDIC_OP_READ    (2u << 26)
#define E1000_MDIC_READY      (1u << 28)
#define E1000_MDIC_INT_EN     (1u << 29)
#define E1000_MDIC_ERROR      (1u << 30)

/* ICR / ICS / IMS / IMC cause bits */
#define E1000_ICR_TXDW    (1u << 0)
#define E1000_ICR_TXQE    (1u << 1)
#define E1000_ICR_LSC     (1u << 2)
#define E1000_ICR_RXSEQ   (1u << 3)
#define E1000_ICR_RXDMT0  (1u << 4)
#define E1000_ICR_RXO     (1u << 6)
#define E1000_ICR_RXT0    (1u << 7)
#define E1000_ICR_MDAC    (1u << 9)
#define E1000_ICR_RXCFG   (1u << 10)
#define E1000_ICR_TXD_LOW (1u << 15)
#define E1000_ICR_SRPD    (1u << 16)
#define E1000_ICR_ALL     0x0001fedfu

/* RCTL */
#define E1000_RCTL_EN     (1u << 1)
#define E1000_RCTL_SBP    (1u << 2)
#define E1000_RCTL_UPE    (1u << 3)
#define E1000_RCTL_MPE    (1u << 4)
#define E1000_RCTL_LPE    (1u << 5)
#define E1000_RCTL_LBM_SHIFT 6
#define E1000_RCTL_LBM_MAC 1u
#define E1000_RCTL_RDMTS_SHIFT 8
#define E1000_RCTL_MO_SHIFT 12
#define E1000_RCTL_BAM    (1u << 15)
#define E1000_RCTL_BSIZE_SHIFT 16
#define E1000_RCTL_VFE    (1u << 18)
#define E1000_RCTL_CFIEN  (1u << 19)
#define E1000_RCTL_CFI    (1u << 20)
#define E1000_RCTL_BSEX   (1u << 25)
#define E1000_RCTL_SECRC  (1u << 26)

/* RDTR */
#define E1000_RDTR_FPD    (1u << 31)

/* TCTL */
#define E1000_TCTL_EN     (1u << 1)
#define E1000_TCTL_PSP    (1u << 3)

/* RAH */
#define E1000_RAH_AV      (1u << 31)
#define E1000_RAH_AS_MASK (3u << 16)

/* Transmit descriptors (16 bytes; dword 2 and 3 little-endian) */
#define E1000_TXD_CMD_EOP  0x01u
#define E1000_TXD_CMD_IFCS 0x02u
#define E1000_TXD_CMD_IC   0x04u  /* legacy: insert checksum */
#define E1000_TXD_CMD_TSE  0x04u  /* extended: TCP segmentation */
#define E1000_TXD_CMD_RS   0x08u
#define E1000_TXD_CMD_RPS  0x10u  /* legacy only */
#define E1000_TXD_CMD_DEXT 0x20u
#define E1000_TXD_CMD_VLE  0x40u
#define E1000_TXD_CMD_IDE  0x80u
#define E1000_TXD_STA_DD   0x01u
#define E1000_TXD_DTYP_CTX 0x0u
#define E1000_TXD_DTYP_DATA 0x1u
#define E1000_TXD_POPTS_IXSM 0x01u
#define E1000_TXD_POPTS_TXSM 0x02u
#define E1000_TXD_TUCMD_TCP 0x01u
#define E1000_TXD_TUCMD_IP  0x02u  /* IPv4 (else IPv6) */
#define E1000_TXD_TUCMD_TSE 0x04u

/* Receive descriptors (legacy format) */
#define E1000_RXD_STAT_DD   0x01u
#define E1000_RXD_STAT_EOP  0x02u
#define E1000_RXD_STAT_IXSM 0x04u
#define E1000_RXD_STAT_VP   0x08u
#define E1000_RXD_STAT_TCPCS 0x20u
#define E1000_RXD_STAT_IPCS 0x40u
#define E1000_RXD_ERR_TCPE  0x20u
#define E1000_RXD_ERR_IPE   0x40u
#define E1000_RXD_ERR_RXE   0x80u

/* RXCSUM */
#define E1000_RXCSUM_IPOFL  (1u << 8)
#define E1000_RXCSUM_TUOFL  (1u << 9)

#define E1000_DESC_SIZE 16

#endif
