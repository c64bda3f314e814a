/*
 * The virtio 1.x modern PCI transport (virtio spec 4.1): a PCI device whose
 * BAR4 (64-bit memory, trapped) holds the common configuration, the ISR, the
 * device-specific configuration and one doorbell per queue, described to
 * the driver by vendor capabilities; BAR1 holds the MSI-X table and PBA
 * (one vector for configuration changes plus one per queue).
 *
 *   BAR4 0x0000  common configuration (struct virtio_pci_common_cfg)
 *        0x1000  ISR status (read clears; bit 0 queue, bit 1 config)
 *        0x2000  device configuration (the model's cfg_read/cfg_write)
 *        0x3000  doorbells: queue q at 0x3000 + 4 * q (notify_off_multiplier
 *                4, queue_notify_off q); each is an ioeventfd on a VM
 *   BAR1 0x000   MSI-X table, 0x800 PBA
 *
 * A PCI_CFG capability gives access to BAR4 through configuration space
 * (bar 4, length 1, 2 or 4, aligned). Through it the INTx line follows an
 * ISR read only at the next BAR access or data-path pass: the config path
 * runs under the PCI root's lock, which virtio_pci_intx_sync() must not be
 * called with.
 *
 * A model embeds struct virtio_pci, fills a struct virtio_pci_dev_ops and
 * builds its struct pci_device_ops from the virtio_pci_* hooks below plus its
 * own quiesce, reset and teardown. Legacy (0.9.5) is not implemented: the
 * driver must accept VIRTIO_F_VERSION_1.
 *
 * Locking: vp->lock guards the whole transport state and the queues; the
 * model's data path holds it while it touches the queues or guest memory, so
 * a reset (status 0), which runs under it, stops every guest-memory access
 * once it returns. The dev_ops hooks run with vp->lock held. INTx is raised
 * and lowered only from virtio_pci_intx_sync(), called without vp->lock
 * (pci_intx_set takes the PCI root's lock, which ranks above ours).
 */
#ifndef IOVIRT_VIRTIO_PCI_H
#define IOVIRT_VIRTIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "irq.h"
#include "pci.h"
#include "virtqueue.h"

struct guest_mem;

#define VIRTIO_PCI_VENDOR       0x1af4
#define VIRTIO_PCI_DEVICE(id)   (0x1040 + (id)) /* modern device ID of virtio device type id */
#define VIRTIO_ID_NET           1

/* Device status (virtio 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER      0x02
#define VIRTIO_STATUS_DRIVER_OK   0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED      0x80

/* Transport and ring feature bits. */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1          32

#define VIRTIO_MSI_NO_VECTOR 0xffff

/* Vendor capability cfg_type values. */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG    5

/* Layout of BAR4 and BAR1 (see above). */
#define VIRTIO_PCI_BAR          4
#define VIRTIO_PCI_BAR_SIZE     0x4000
#define VIRTIO_PCI_COMMON_OFF   0x0000
#define VIRTIO_PCI_ISR_OFF      0x1000
#define VIRTIO_PCI_DEVICE_OFF   0x2000
#define VIRTIO_PCI_NOTIFY_OFF   0x3000
#define VIRTIO_PCI_NOTIFY_MULT  4
#define VIRTIO_PCI_MSIX_BAR     1
#define VIRTIO_PCI_MSIX_PBA_OFF 0x800

/* Common configuration registers (offsets in the COMMON_CFG window). */
#define VIRTIO_PCI_COMMON_DFSELECT   0x00
#define VIRTIO_PCI_COMMON_DF         0x04
#define VIRTIO_PCI_COMMON_GFSELECT   0x08
#define VIRTIO_PCI_COMMON_GF         0x0c
#define VIRTIO_PCI_COMMON_MSIX       0x10
#define VIRTIO_PCI_COMMON_NUMQ       0x12
#define VIRTIO_PCI_COMMON_STATUS     0x14
#define VIRTIO_PCI_COMMON_CFGGEN     0x15
#define VIRTIO_PCI_COMMON_Q_SELECT   0x16
#define VIRTIO_PCI_COMMON_Q_SIZE     0x18
#define VIRTIO_PCI_COMMON_Q_MSIX     0x1a
#define VIRTIO_PCI_COMMON_Q_ENABLE   0x1c
#define VIRTIO_PCI_COMMON_Q_NOFF     0x1e
#define VIRTIO_PCI_COMMON_Q_DESC     0x20
#define VIRTIO_PCI_COMMON_Q_AVAIL    0x28
#define VIRTIO_PCI_COMMON_Q_USED     0x30
#define VIRTIO_PCI_COMMON_SIZE       0x38

#define VIRTIO_PCI_MAX_QUEUES 8

struct virtio_pci;

/* What a virtio device type adds to the transport; every hook runs under vp->lock. */
struct virtio_pci_dev_ops {
	/* Device-specific configuration, off + len within the model's cfg_len. */
	void (*cfg_read)(struct virtio_pci *vp, unsigned off, uint8_t *data, unsigned len);
	void (*cfg_write)(struct virtio_pci *vp, unsigned off, const uint8_t *data, unsigned len);
	/* Whether the driver's features (a subset of the device's, VERSION_1 in) work together. */
	bool (*features_ok)(struct virtio_pci *vp, uint64_t features);
	/* DRIVER_OK was just set: start the data path. */
	void (*driver_ok)(struct virtio_pci *vp);
	/* The device is being reset (status 0, or a PCI reset): forget the data path's state. */
	void (*reset)(struct virtio_pci *vp);
};

struct virtio_pci_queue {
	uint16_t size;          /* as the driver set it (validated at enable) */
	uint16_t msix_vector;
	bool enabled;
	uint64_t desc, avail, used;
	int kick_fd;            /* the doorbell: an ioeventfd, or written on a trapped write */
	struct ioeventfd_cfg ioev;
	bool ioev_on;
	struct virtq vq;
};

/* Guest mistakes the transport absorbed. */
struct virtio_pci_stats {
	uint64_t bad_access;    /* accesses outside a register or crossing two */
	uint64_t bad_notify;    /* doorbells of queues that do not exist */
	uint64_t bad_status;    /* status writes that clear bits or skip FEATURES_OK */
	uint64_t needs_reset;   /* times the device entered NEEDS_RESET */
};

struct virtio_pci {
	struct pci_device dev;
	const struct virtio_pci_dev_ops *ops;
	void *opaque;                   /* the model's */
	const struct guest_mem *mem;
	pthread_mutex_t lock;
	pthread_mutex_t intx_lock;      /* serialises virtio_pci_intx_sync() */
	uint64_t device_features, driver_features;
	uint32_t device_feature_select, driver_feature_select;
	uint8_t status;
	uint8_t config_generation;
	uint8_t isr;                    /* atomic */
	bool intx_dirty;                /* atomic: isr changed since the last intx sync */
	bool msix_enabled;              /* atomic: mirrors the MSI-X capability's enable bit */
	bool bus_master;                /* the command register's Bus Master Enable */
	unsigned msix_cap;
	unsigned pcicfg_cap;            /* the PCI_CFG capability's offset */
	uint16_t config_vector;
	uint16_t queue_select;
	unsigned num_queues;
	uint16_t queue_max;
	unsigned cfg_len;
	struct virtio_pci_queue queues[VIRTIO_PCI_MAX_QUEUES];
	struct virtio_pci_stats stats;
};

/* What virtio_pci_init() needs to know about the device. */
struct virtio_pci_config {
	const struct pci_device_ops *pci_ops;
	const struct virtio_pci_dev_ops *ops;
	void *opaque;
	const struct guest_mem *mem;    /* guest RAM the queues live in; outlives vp */
	unsigned device_id;             /* VIRTIO_ID_* */
	uint32_t class_code;
	uint64_t features;              /* offered; VERSION_1 is added */
	unsigned num_queues;            /* 1 .. VIRTIO_PCI_MAX_QUEUES */
	uint16_t queue_max;             /* largest queue size, a power of two <= VIRTQ_MAX_SIZE */
	unsigned cfg_len;               /* bytes of device configuration, <= 0x1000 */
};

/*
 * Set up vp as a virtio PCI function (header, BARs, capabilities, MSI-X,
 * one eventfd per queue), not yet plugged. 0, -EINVAL or -errno; on error
 * nothing is left allocated.
 */
int virtio_pci_init(struct virtio_pci *vp, const struct virtio_pci_config *cfg) __must_check;

/* Release what virtio_pci_init() took (ioeventfds, eventfds, MSI-X if still there). */
void virtio_pci_destroy(struct virtio_pci *vp);

/* pci_device_ops hooks for the model's ops struct. */
void virtio_pci_bar_read(struct pci_device *dev, unsigned bar, uint64_t off, uint8_t *data,
			 unsigned len);
void virtio_pci_bar_write(struct pci_device *dev, unsigned bar, uint64_t off,
			  const uint8_t *data, unsigned len);
void virtio_pci_bar_moved(struct pci_device *dev, unsigned bar, bool mapped, uint64_t addr);
void virtio_pci_cfg_read(struct pci_device *dev, unsigned off, unsigned len, uint32_t *val);
void virtio_pci_cfg_write(struct pci_device *dev, unsigned off, unsigned len, uint32_t val);

/* Reset the virtio device as a status write of 0 does. Takes vp->lock. */
void virtio_pci_reset(struct virtio_pci *vp);

/*
 * Whether queue q may be serviced now: Bus Master Enable and DRIVER_OK set,
 * NEEDS_RESET clear, the queue enabled and not broken. Caller holds vp->lock.
 */
bool virtio_pci_queue_live(struct virtio_pci *vp, unsigned q);

/* Queue q's ring state, or NULL for q >= num_queues. Caller holds vp->lock. */
struct virtq *virtio_pci_vq(struct virtio_pci *vp, unsigned q);

/* Queue q's doorbell eventfd (the I/O thread polls it), or -1. */
int virtio_pci_kick_fd(struct virtio_pci *vp, unsigned q);

/*
 * Tell the driver queue q has used buffers: its MSI-X vector, or the ISR
 * queue bit and INTx when MSI-X is off. Caller holds vp->lock and calls
 * virtio_pci_intx_sync() after dropping it.
 */
void virtio_pci_queue_interrupt(struct virtio_pci *vp, unsigned q);

/*
 * A queue or the device is broken: set NEEDS_RESET, raise a configuration
 * change interrupt; the data path stops (virtio_pci_queue_live() is false)
 * until the driver resets the device. Caller holds vp->lock.
 */
void virtio_pci_set_needs_reset(struct virtio_pci *vp);

/*
 * The device configuration changed (a virtio-net link, say): raise a
 * configuration change interrupt once the driver is running. Caller holds
 * vp->lock and calls virtio_pci_intx_sync() after dropping it.
 */
void virtio_pci_config_changed(struct virtio_pci *vp);

/* Bring the INTx line in line with the ISR (no-op unless it changed). Without vp->lock. */
void virtio_pci_intx_sync(struct virtio_pci *vp);

/* A copy of the counters. */
void virtio_pci_stats_get(struct virtio_pci *vp, struct virtio_pci_stats *out);

#endif
