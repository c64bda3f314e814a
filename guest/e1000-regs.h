/*
 * 82540EM registers and bits as the project's guest code uses them (the
 * driver in e1000.c and the vmm tests' guest images), written from the
 * datasheet independently of the host model's register table.
 */
#ifndef IOVIRT_GUEST_E1000_REGS_H
#define IOVIRT_GUEST_E1000_REGS_H

#define E1000_CTRL   0x0000
#define E1000_STATUS 0x0008
#define E1000_EERD   0x0014
#define E1000_ICR    0x00c0
#define E1000_ITR    0x00c4
#define E1000_IMS    0x00d0
#define E1000_IMC    0x00d8
#define E1000_RCTL   0x0100
#define E1000_TCTL   0x0400
#define E1000_TIPG   0x0410
#define E1000_RDBAL  0x2800
#define E1000_RDBAH  0x2804
#define E1000_RDLEN  0x2808
#define E1000_RDH    0x2810
#define E1000_RDT    0x2818
#define E1000_TDBAL  0x3800
#define E1000_TDBAH  0x3804
#define E1000_TDLEN  0x3808
#define E1000_TDH    0x3810
#define E1000_TDT    0x3818
#define E1000_MTA    0x5200
#define E1000_RAL0   0x5400
#define E1000_RAH0   0x5404

#define CTRL_ASDE    (1u << 5)
#define CTRL_SLU     (1u << 6)
#define CTRL_RST     (1u << 26)
#define STATUS_LU    (1u << 1)
#define EERD_START   (1u << 0)
#define EERD_DONE    (1u << 4)
#define ICR_TXDW     (1u << 0)
#define ICR_LSC      (1u << 2)
#define ICR_RXDMT0   (1u << 4)
#define ICR_RXO      (1u << 6)
#define ICR_RXT0     (1u << 7)
#define RCTL_EN      (1u << 1)
#define RCTL_BAM     (1u << 15)
#define RCTL_SECRC   (1u << 26)
#define TCTL_EN      (1u << 1)
#define TCTL_PSP     (1u << 3)
#define RAH_AV       (1u << 31)
#define TXD_EOP      0x01
#define TXD_IFCS     0x02
#define TXD_RS       0x08
#define DESC_DD      0x01
#define RXD_EOP      0x02
#define E1000_EECD   0x0010
#define E1000_MDIC   0x0020
#define E1000_GPRC   0x4074
#define E1000_GPTC   0x4080
#define RCTL_LBM_MAC (1u << 6)
#define TXD_TSE      0x04
#define TXD_DEXT     0x20

/* 82574 (e1000e): its EERD layout, extended control and MSI-X cause routing. */
#define E1000_CTRL_EXT   0x0018
#define E1000_EIAC       0x00dc
#define E1000_IVAR       0x00e4
#define EERD_82574_DONE  (1u << 1)
#define EERD_82574_SHIFT 2
#define CTRL_EXT_PBA_CLR (1u << 31)
#define ICR_RXQ0         (1u << 20)
#define ICR_TXQ0         (1u << 22)
#define ICR_OTHER        (1u << 24)
#define IVAR_VALID       0x8u
#define IVAR_RXQ0_SHIFT  0
#define IVAR_TXQ0_SHIFT  8
#define IVAR_OTHER_SHIFT 16

#endif
