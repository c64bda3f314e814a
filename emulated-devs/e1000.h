/*
 * e1000: the Intel 82540EM Gigabit Ethernet controller (PCI 8086:100E),
 * emulated at register level in the VMM.
 *
 * BAR0: 128 KiB of trapped registers (the table in e1000-regs.h); BAR1:
 * 64 I/O ports with the IOADDR/IODATA window onto the same registers (Linux
 * resets the 82540EM through it). Legacy INTx only: the line follows
 * (ICR & IMS) != 0, rate-limited by ITR. No MSI: the 82540EM has none.
 *
 * Threads: transmit runs on the vCPU thread that writes TDT (under the
 * model's lock); receive, the interrupt-moderation timers and link polling
 * run on the model's I/O thread (epoll over the back-end's poll_fd, a wake
 * eventfd and a timerfd). Both paths hold the model's lock while they touch
 * guest memory, registers and the back-end.
 *
 * Back-end ownership: on success e1000_create()/e1000_new() take the
 * back-end; the model closes it (net_backend_close) at teardown. On failure
 * the caller keeps it.
 */
#ifndef IOVIRT_E1000_H
#define IOVIRT_E1000_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler.h"

struct vm;
struct pci_root;
struct pci_device;
struct guest_mem;
struct net_backend;

#define E1000_VENDOR_ID 0x8086
#define E1000_DEVICE_ID 0x100e       /* 82540EM */
#define E1000_CLASS     0x020000     /* Ethernet controller */

/* The MAC address used when the caller passes none (locally administered). */
extern const uint8_t e1000_default_mac[6];

/*
 * Create an 82540EM on vm, plug it into root (next free slot) and start its
 * I/O thread. be: the back-end (taken over on success, see above). mac: the
 * address stored in the EEPROM, or NULL for e1000_default_mac. *out (may be
 * NULL) receives the device; the root tears it down at vm_destroy().
 * 0, -ENOMEM, -ENOSPC (no slot or BAR space) or -errno.
 */
int e1000_create(struct vm *vm, struct pci_root *root, struct net_backend *be,
		 const uint8_t mac[6], struct pci_device **out) __must_check;

/*
 * The same model without a VM (unit tests): DMA goes to mem (which the
 * caller keeps, and must outlive the device), dev->vm and dev->root stay
 * NULL (INTx is only recorded in dev->intx_level), and no I/O thread runs
 * until e1000_start(). Free it with e1000_destroy(). 0 or -errno.
 */
int e1000_new(const struct guest_mem *mem, struct net_backend *be, const uint8_t mac[6],
	      struct pci_device **out) __must_check;

/* Start the I/O thread of a device made by e1000_new(). 0 or -errno. */
int e1000_start(struct pci_device *dev) __must_check;

/* Quiesce and free a device made by e1000_new() (a plugged one belongs to its root). */
void e1000_destroy(struct pci_device *dev);

/*
 * One pass of the I/O thread's work, on the caller's thread: pick up a link
 * change from the back-end, fire expired timers, receive what the back-end
 * has while the guest has buffers. For tests of a device without its thread.
 */
void e1000_poll(struct pci_device *dev);

/*
 * Replace the monotonic clock (nanoseconds) the timers read, for tests; NULL
 * restores CLOCK_MONOTONIC. Only for a device without its I/O thread.
 */
void e1000_set_clock(struct pci_device *dev, uint64_t (*now)(void *opaque), void *opaque);

/* What the model absorbed from the guest (not guest-visible; for tests and logs). */
struct e1000_counters {
	uint64_t unknown_reads;    /* reads of offsets no register decodes (read 0) */
	uint64_t unknown_writes;   /* writes to them (ignored) */
	uint64_t bad_access;       /* BAR accesses of a size or alignment not decoded */
	uint64_t tx_ring_errors;   /* TDT writes refused: ring empty, outside RAM, head/tail past the end */
	uint64_t tx_dma_errors;    /* transmit buffers outside RAM (packet dropped) */
	uint64_t tx_dropped;       /* packets dropped: too long, bad TSO context, back-end refused */
	uint64_t tx_bad_desc;      /* descriptors of an unknown type (skipped) */
	uint64_t rx_ring_errors;   /* receive attempts with a ring that is empty, outside RAM or past the end */
	uint64_t rx_dma_errors;    /* receive buffers outside RAM (data dropped, RXE reported) */
	uint64_t rx_filtered;      /* frames the address/VLAN filters dropped */
	uint64_t rx_dropped;       /* frames dropped for size (runt, too long, larger than the ring) */
};
void e1000_counters(struct pci_device *dev, struct e1000_counters *out);

/*
 * Write every register (name, index, offset, value, no read side effect) to
 * out, one per line, then the PHY registers. 0 or -EIO.
 */
int e1000_regs_dump(struct pci_device *dev, FILE *out);

#endif
