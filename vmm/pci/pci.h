/*
 * PCI: the host bridge (configuration mechanism #1 on ports CF8-CFF, ECAM at
 * GPA_PCI_ECAM, bus 0 only), BAR allocation and decoding, capability lists,
 * MSI and MSI-X (pci-msix.c), INTx, and the device-model interface.
 *
 * A device model is a `const struct pci_device_ops` (designated initializers)
 * plus a struct pci_device it embeds or allocates. The core emulates the
 * standard header, BAR registers, the capability list and the MSI/MSI-X
 * capabilities from the config-space image and its write mask; the ops only
 * see what is specific to the device:
 *
 *  - cfg_read / cfg_write: device-specific config registers (a passthrough
 *    device forwards them to the host device). Called after the core applied
 *    the access to the image.
 *  - bar_read / bar_write: trapped BAR accesses (KVM_EXIT_MMIO or PIO), minus
 *    the MSI-X table and PBA, which the core emulates.
 *  - bar_moved: a BAR was mapped at a new address or unmapped (decoding
 *    disabled, or an address the core refused). Devices hang ioeventfds on
 *    their doorbells here; a passthrough device may install KVM memory slots
 *    (vm_mem_map_slot) for the parts of a BAR the guest may touch directly.
 *  - quiesce: stop the device's threads and back-ends; when it returns the
 *    model makes no further notify or INTx call and touches no guest memory.
 *  - reset: back to the power-on state, ready to run again (restarting what
 *    quiesce stopped). The core has already reset the config image, BARs,
 *    command register and MSI/MSI-X state.
 *  - msix_vector_masked: vector i became masked or unmasked (for devices
 *    that route vectors themselves, such as VFIO); optional.
 *  - teardown: free the model.
 *
 * Lifecycle, driven by the core for every device in the same order:
 * create -> pci_root_add_device (plug, BARs placed, bar_moved(true)) -> run
 * -> [on guest reboot: quiesce, core reset, reset] -> at vm_destroy():
 * quiesce (every device, before anything below), bar_moved(false) for each
 * mapped BAR, the core's MSI-X/MSI/INTx state released, teardown.
 *
 * Threads and locks. Lock order, outermost first: the root's lock, then a
 * model's own lock, then the core's leaf locks (MSI-X/MSI state, the INTx
 * line counts). cfg_read, cfg_write and bar_moved run under the root's
 * lock; bar_read and bar_write run without it, on any vCPU thread, possibly
 * on several at once (the model locks its own state). quiesce, reset and
 * teardown run with no vCPU running and no core lock held. Interrupt calls
 * (pci_msix_notify, pci_msi_notify, pci_intx_set) take only leaf locks, so a
 * model may make them from any thread while holding its own lock. A model
 * never calls a pci_root_* function while holding its own lock.
 *
 * BARs are either trapped (every access reaches bar_read/bar_write) or
 * backed by host memory (hva != NULL): the core then installs that memory as
 * a KVM memory slot wherever the guest puts the BAR, so accesses never exit.
 *
 * Interrupts: pci_msix_notify() / pci_msi_notify() (through an eventfd bound
 * to a KVM irqfd while the vector is unmasked: masking and the pending bits
 * are exact), pci_msix_vector_eventfd() for device back-ends that signal
 * KVM directly (VFIO, vhost-user), pci_intx_set() for the legacy line.
 *
 * Device types are listed in one table (pci_device_types[], pci-devices.c)
 * that maps a name to a constructor.
 */
#ifndef IOVIRT_PCI_H
#define IOVIRT_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"

struct vm;
struct pci_device;
struct pci_msix;
struct pci_msi;

#define PCI_CFG_SIZE        4096
#define PCI_CFG_STD_END     256  /* the conventional space; PCIe extended capabilities above */
#define PCI_BAR_MIN_MEM     16   /* smallest memory BAR (trapped) */
#define PCI_BAR_MIN_HVA     4096 /* smallest host-memory BAR: a KVM slot is whole pages */
#define PCI_MAX_SLOTS       32
#define PCI_NUM_BARS        6

#define PCI_VENDOR_ID       0x00
#define PCI_DEVICE_ID       0x02
#define PCI_COMMAND         0x04
#define PCI_STATUS          0x06
#define PCI_REVISION_ID     0x08
#define PCI_CLASS_PROG      0x09
#define PCI_HEADER_TYPE     0x0e
#define PCI_BAR0            0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID    0x2e
#define PCI_ROM_ADDRESS     0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE  0x3c
#define PCI_INTERRUPT_PIN   0x3d
#define PCI_CFG_HEADER_END  0x40

#define PCI_COMMAND_IO      0x0001
#define PCI_COMMAND_MEMORY  0x0002
#define PCI_COMMAND_MASTER  0x0004
#define PCI_COMMAND_SERR    0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010

#define PCI_CAP_ID_MSI      0x05
#define PCI_CAP_ID_VNDR     0x09
#define PCI_CAP_ID_MSIX     0x11

/* Legacy INTx: slot s, pin p (1 = INTA) reaches IOAPIC GSI 16 + (s + p - 1) % 8. */
#define PCI_INTX_GSI(slot, pin) (16 + ((slot) + (pin) - 1) % 8)

enum pci_bar_type {
	PCI_BAR_NONE = 0,
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64, /* takes this BAR and the next */
};

struct pci_bar {
	enum pci_bar_type type;
	uint64_t size;       /* a power of two; I/O >= 4, memory >= 4096 */
	bool prefetchable;
	void *hva;           /* host memory behind the BAR (a KVM slot), or NULL: trapped */
	/* Decoding state, maintained by the core. */
	bool mapped;
	uint64_t addr;       /* where it is mapped while mapped */
	int slot;            /* KVM memory slot for hva BARs while mapped, else -1 */
	char name[40];       /* "00:03.0 BAR0" for the bus and logs */
	struct pci_device *dev;
	unsigned index;
};

struct pci_device_ops {
	const char *name;
	void (*cfg_read)(struct pci_device *dev, unsigned off, unsigned len, uint32_t *val);
	void (*cfg_write)(struct pci_device *dev, unsigned off, unsigned len, uint32_t val);
	void (*bar_read)(struct pci_device *dev, unsigned bar, uint64_t off, uint8_t *data,
			 unsigned len);
	void (*bar_write)(struct pci_device *dev, unsigned bar, uint64_t off,
			  const uint8_t *data, unsigned len);
	void (*bar_moved)(struct pci_device *dev, unsigned bar, bool mapped, uint64_t addr);
	void (*quiesce)(struct pci_device *dev);
	void (*reset)(struct pci_device *dev);
	void (*msix_vector_masked)(struct pci_device *dev, unsigned i, bool masked);
	void (*teardown)(struct pci_device *dev);
};

struct pci_root;

struct pci_device {
	const struct pci_device_ops *ops;
	void *priv;                  /* the model's state */
	struct pci_root *root;
	struct vm *vm;
	uint8_t devfn;
	char bdf[8];                 /* "00:03.0" */
	uint8_t cfg[PCI_CFG_SIZE];   /* the config-space image */
	uint8_t wmask[PCI_CFG_SIZE]; /* bits the guest may change */
	uint8_t cfg_poweron[PCI_CFG_SIZE]; /* the image as plugged: what a reset restores */
	uint8_t cfg_used[PCI_CFG_SIZE / 8]; /* bytes taken by capabilities */
	struct pci_bar bars[PCI_NUM_BARS];
	struct pci_msix *msix;
	struct pci_msi *msi;
	unsigned intx_gsi;
	int intx_level;              /* what the model drives (atomic) */
	bool intx_disabled;          /* COMMAND.INTX_DISABLE, under the root's intx lock */
	bool intx_asserted;          /* counted on the GSI, under the root's intx lock */
	int intx_irqfd;              /* pci_intx_irqfd_attach()'s trigger fd, or -1 */
};

/*
 * Fill the standard header of dev: IDs, class (base << 16 | sub << 8 |
 * prog-if), revision, INTx pin A. ops and priv are the model's. Returns 0.
 */
int pci_device_init(struct pci_device *dev, const struct pci_device_ops *ops, void *priv,
		    uint16_t vendor, uint16_t device, uint32_t class_code, uint8_t revision);

/*
 * Declare BAR n (a 64-bit memory BAR also uses n + 1). size must be a power
 * of two (I/O: 4..256; trapped memory: >= 16; host memory: >= 4 KiB). hva:
 * host memory to map into the guest instead of trapping, or NULL. 0 or
 * -EINVAL.
 */
int pci_device_add_bar(struct pci_device *dev, unsigned n, enum pci_bar_type type, uint64_t size,
		       bool prefetchable, void *hva) __must_check;

/*
 * Append a capability (id, then len - 2 bytes of body after the id/next
 * pair; body may be NULL for zeros) to the list. wmask (may be NULL) gives
 * the guest-writable bits of the whole capability, len bytes. Returns the
 * capability's offset, or -ENOSPC when the 256-byte space is full.
 */
int pci_device_add_cap(struct pci_device *dev, uint8_t id, const uint8_t *body,
		       const uint8_t *wmask, unsigned len) __must_check;

/*
 * The same at a given offset (DWORD-aligned, inside 0x40..0xff, not over
 * another capability): a passthrough device keeps the host's layout. Returns
 * off or -ENOSPC.
 */
int pci_device_add_cap_at(struct pci_device *dev, unsigned off, uint8_t id, const uint8_t *body,
			  const uint8_t *wmask, unsigned len) __must_check;

/*
 * A PCIe extended capability (id, version, then len - 4 bytes of body) at
 * off (DWORD-aligned, 0x100..0xfff, the first one at 0x100), chained after
 * the others. wmask as above. Returns off or -EINVAL.
 */
int pci_device_add_ext_cap(struct pci_device *dev, unsigned off, uint16_t id, uint8_t version,
			   const uint8_t *body, const uint8_t *wmask, unsigned len) __must_check;

/* Config-space access as the guest sees it (any offset, len 1, 2 or 4). */
uint32_t pci_device_cfg_read(struct pci_device *dev, unsigned off, unsigned len);
void pci_device_cfg_write(struct pci_device *dev, unsigned off, unsigned len, uint32_t val);

/*
 * Assert or deassert INTx, from any thread (ignored while the guest set
 * INTX_DISABLE). Devices share GSIs: the line is the OR of every device on it.
 */
void pci_intx_set(struct pci_device *dev, int level);

/* Whether INTx GSI gsi is asserted by any device (for tests and logs). */
bool pci_root_intx_line(struct pci_root *root, unsigned gsi);

/*
 * Let KVM drive the device's INTx from an eventfd (VFIO's INTx): trigger_fd
 * asserts the GSI, and KVM deasserts it on EOI and signals resample_fd, where
 * the owner re-checks its device and re-triggers if it still asserts. The core
 * detaches it at reset and teardown. 0, -EINVAL (no VM or already attached)
 * or -errno.
 */
int pci_intx_irqfd_attach(struct pci_device *dev, int trigger_fd, int resample_fd) __must_check;
void pci_intx_irqfd_detach(struct pci_device *dev);

/* Create the host bridge on vm (00:00.0, CF8/CFC, ECAM, 0xcf9 reset). 0 or -errno. */
int pci_root_create(struct vm *vm, struct pci_root **out) __must_check;

/*
 * Plug dev into the next free slot (or slot >= 0), assign its BARs
 * addresses in the I/O, 32-bit and 64-bit windows the way firmware does,
 * and let it decode (COMMAND.IO/MEMORY set). From then on the root owns the
 * lifecycle (quiesce, reset, teardown at vm_destroy()). 0, -ENOSPC (no
 * slot, or a window is full), -EBUSY (slot taken), -EEXIST (a BAR cannot be
 * mapped); on error the device is not plugged and the caller tears it down.
 */
int pci_root_add_device(struct pci_root *root, struct pci_device *dev, int slot) __must_check;

/*
 * Reset every device as a guest reboot does, with no vCPU running: quiesce
 * all of them, restore the core's state (config image, BARs, command
 * register, MSI-X/MSI, INTx) to what pci_root_add_device left, then call each
 * model's reset hook.
 */
void pci_root_reset(struct pci_root *root);

/* The device in slot/function devfn, or NULL. */
struct pci_device *pci_root_find(struct pci_root *root, uint8_t devfn);

/* Counters of guest mistakes the core absorbed (for tests and logs). */
struct pci_stats {
	uint64_t bad_cfg;      /* accesses to absent functions or past the space */
	uint64_t bar_refused;  /* BAR placements refused (overlap, RAM, wrap) */
};
void pci_root_stats(struct pci_root *root, struct pci_stats *out);

/* The table of device types that `iovirt run --device NAME` can create. */
struct pci_device_type {
	const char *name;
	const char *summary;
	int (*create)(struct vm *vm, struct pci_root *root, const char *args,
		      struct pci_device **out);
};
extern const struct pci_device_type pci_device_types[];
const struct pci_device_type *pci_device_type_find(const char *name);

#endif
