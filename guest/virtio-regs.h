/*
 * The virtio 1.x modern PCI transport and virtio-net as the project's guest
 * code uses them (the driver in virtio-net.c and the vmm tests' guest
 * images), written from the virtio specification independently of the host
 * model.
 */
#ifndef IOVIRT_GUEST_VIRTIO_REGS_H
#define IOVIRT_GUEST_VIRTIO_REGS_H

#define PCI_CAP_ID_VENDOR   0x09
#define VIRTIO_CAP_COMMON   1
#define VIRTIO_CAP_NOTIFY   2
#define VIRTIO_CAP_ISR      3
#define VIRTIO_CAP_DEVICE   4

/* Common configuration structure offsets. */
#define VC_DFSELECT   0x00
#define VC_DF         0x04
#define VC_GFSELECT   0x08
#define VC_GF         0x0c
#define VC_MSIX       0x10
#define VC_NUMQ       0x12
#define VC_STATUS     0x14
#define VC_Q_SELECT   0x16
#define VC_Q_SIZE     0x18
#define VC_Q_MSIX     0x1a
#define VC_Q_ENABLE   0x1c
#define VC_Q_NOFF     0x1e
#define VC_Q_DESC     0x20
#define VC_Q_AVAIL    0x28
#define VC_Q_USED     0x30

#define ST_ACK         1
#define ST_DRIVER      2
#define ST_DRIVER_OK   4
#define ST_FEATURES_OK 8

#define F_MAC        5
#define F_MRG_RXBUF  15
#define F_STATUS     16
#define F_EVENT_IDX  29
#define F_VERSION_1  32

#define NET_S_LINK_UP 1
#define NET_HDR_LEN  12 /* virtio_net_hdr with num_buffers (VERSION_1) */
#define VIRTIO_NO_VECTOR 0xffff

#endif
