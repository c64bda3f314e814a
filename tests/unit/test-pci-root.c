/*
 * The PCI root without KVM (tests/unit/fake-vm.h): the device lifecycle order
 * at teardown and reset, the lock rules under concurrent config accesses and
 * device threads, INTx lines shared by several devices, BAR placement checks,
 * capabilities at given offsets and PCIe extended capabilities, and the
 * sealed guest-RAM memfd.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake-vm.h"
#include "memory-map.h"
#include "pci-msix.h"
#include "pci.h"

/* --- a probe device: records every hook, and may run a thread that raises interrupts --- */

enum ev { EV_QUIESCE = 1, EV_UNMAP, EV_MAP, EV_RESET, EV_TEARDOWN };

#define MAX_EVENTS 4096
static struct { int dev; enum ev ev; } events[MAX_EVENTS];
static unsigned n_events;
static pthread_mutex_t events_lock = PTHREAD_MUTEX_INITIALIZER;

static void record(int id, enum ev ev)
{
	pthread_mutex_lock(&events_lock);
	if (n_events < MAX_EVENTS)
		events[n_events++] = (typeof(events[0])){ id, ev };
	pthread_mutex_unlock(&events_lock);
}

struct probe {
	struct pci_device dev;
	int id;
	pthread_mutex_t lock;   /* the model's own lock */
	pthread_t thread;
	bool thread_on;
	bool stop;              /* under lock */
	unsigned long raised;   /* interrupts raised by the thread, under lock */
	unsigned cfg_writes;
	bool torn_down;
};

static void *probe_thread(void *arg)
{
	struct probe *p = arg;

	for (unsigned long i = 0;; i++) {
		pthread_mutex_lock(&p->lock);
		if (p->stop) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		/* Holding our own lock while raising interrupts is allowed (pci.h). */
		pci_intx_set(&p->dev, i & 1);
		pci_msix_notify(&p->dev, 0);
		p->raised++;
		pthread_mutex_unlock(&p->lock);
	}
}

static void probe_quiesce(struct pci_device *dev)
{
	struct probe *p = dev->priv;

	record(p->id, EV_QUIESCE);
	if (!p->thread_on)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	p->thread_on = false;
}

static void probe_cfg_write(struct pci_device *dev, unsigned off, unsigned len, uint32_t val)
{
	struct probe *p = dev->priv;

	pthread_mutex_lock(&p->lock);
	p->cfg_writes++;
	pthread_mutex_unlock(&p->lock);
}

static void probe_bar_moved(struct pci_device *dev, unsigned bar, bool mapped, uint64_t addr)
{
	record(((struct probe *)dev->priv)->id, mapped ? EV_MAP : EV_UNMAP);
}

static void probe_reset(struct pci_device *dev)
{
	record(((struct probe *)dev->priv)->id, EV_RESET);
}

static void probe_teardown(struct pci_device *dev)
{
	struct probe *p = dev->priv;

	record(p->id, EV_TEARDOWN);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static const struct pci_device_ops probe_ops = {
	.name = "probe",
	.cfg_write = probe_cfg_write,
	.bar_moved = probe_bar_moved,
	.quiesce = probe_quiesce,
	.reset = probe_reset,
	.teardown = probe_teardown,
};

static struct probe *probe_new(int id)
{
	struct probe *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->id = id;
	pthread_mutex_init(&p->lock, NULL);
	pci_device_init(&p->dev, &probe_ops, p, 0x1234, 0x0100 + id, 0xff0000, 0);
	assert_int_equal(pci_device_add_bar(&p->dev, 0, PCI_BAR_MEM32, 0x1000, false, NULL), 0);
	assert_int_equal(pci_device_add_bar(&p->dev, 2, PCI_BAR_MEM64, 0x4000, false, NULL), 0);
	assert_int_equal(pci_msix_init(&p->dev, 2, 2, 0, 2, 0x2000), 0);
	return p;
}

static void probe_start(struct probe *p)
{
	assert_int_equal(pthread_create(&p->thread, NULL, probe_thread, p), 0);
	p->thread_on = true;
}

static struct pci_root *plug(struct vm *vm, struct probe **probes, unsigned n, const int *slots)
{
	struct pci_root *root;

	assert_int_equal(pci_root_create(vm, &root), 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(pci_root_add_device(root, &probes[i]->dev, slots ? slots[i] : -1), 0);
	return root;
}

/* Index of the first event ev of device id at or after from, or -1. */
static int find_event(int id, enum ev ev, unsigned from)
{
	for (unsigned i = from; i < n_events; i++)
		if (events[i].dev == id && events[i].ev == ev)
			return (int)i;
	return -1;
}

static void watchdog(int sig)
{
	(void)sig;
	static const char msg[] = "watchdog: the test hung (deadlock?)\n";

	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

static int setup(void **state)
{
	n_events = 0;
	signal(SIGALRM, watchdog);
	alarm(60);
	return 0;
}

static int teardown(void **state)
{
	alarm(0);
	return 0;
}

/* --- tests --- */

/*
 * vm_destroy while two device threads raise INTx and MSI-X in a loop: every
 * device is quiesced before any BAR is unmapped or MSI-X state is freed, and
 * teardown comes last (ASan catches a notify on freed state).
 */
static void test_teardown_order(void **state)
{
	struct probe *p[2] = { probe_new(1), probe_new(2) };
	struct vm vm;

	fake_vm_init(&vm, 64 * MiB);
	plug(&vm, p, 2, NULL);
	probe_start(p[0]);
	probe_start(p[1]);
	usleep(20000);
	n_events = 0;
	fake_vm_destroy(&vm);

	int last_quiesce = -1, first_release = (int)n_events;

	for (int id = 1; id <= 2; id++) {
		int q = find_event(id, EV_QUIESCE, 0), u = find_event(id, EV_UNMAP, 0);
		int t = find_event(id, EV_TEARDOWN, 0);

		assert_true(q >= 0 && u >= 0 && t >= 0);
		last_quiesce = q > last_quiesce ? q : last_quiesce;
		first_release = u < first_release ? u : first_release;
		assert_true(u < t);
		/* Both BARs were unmapped, and nothing was mapped again. */
		assert_true(find_event(id, EV_UNMAP, u + 1) >= 0);
		assert_int_equal(find_event(id, EV_MAP, 0), -1);
	}
	assert_true(last_quiesce < first_release);
}

/* Device A and B on one GSI: one deasserting does not clear the other's assertion. */
static void test_shared_intx(void **state)
{
	struct probe *p[2] = { probe_new(1), probe_new(2) };
	const int slots[2] = { 3, 11 }; /* 16 + 3 % 8 == 16 + 11 % 8 */
	struct pci_root *root;
	unsigned gsi = PCI_INTX_GSI(3, 1);
	struct vm vm;

	fake_vm_init(&vm, 64 * MiB);
	root = plug(&vm, p, 2, slots);
	assert_int_equal(p[0]->dev.intx_gsi, p[1]->dev.intx_gsi);
	assert_false(pci_root_intx_line(root, gsi));
	pci_intx_set(&p[0]->dev, 1);
	pci_intx_set(&p[1]->dev, 1);
	assert_true(pci_root_intx_line(root, gsi));
	pci_intx_set(&p[0]->dev, 0);
	assert_true(pci_root_intx_line(root, gsi));
	pci_intx_set(&p[0]->dev, 0); /* a repeated deassert changes nothing */
	assert_true(pci_root_intx_line(root, gsi));
	/* INTX_DISABLE on B takes its assertion off the line while it stays asserted inside B. */
	pci_device_cfg_write(&p[1]->dev, PCI_COMMAND, 2,
			     PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_INTX_DISABLE);
	assert_false(pci_root_intx_line(root, gsi));
	assert_true(pci_device_cfg_read(&p[1]->dev, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	pci_device_cfg_write(&p[1]->dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	assert_true(pci_root_intx_line(root, gsi));
	pci_intx_set(&p[1]->dev, 0);
	assert_false(pci_root_intx_line(root, gsi));
	assert_false(pci_device_cfg_read(&p[1]->dev, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	fake_vm_destroy(&vm);
}

struct hammer {
	struct vm *vm;
	struct probe *p;
	uint8_t devfn;
	unsigned iterations;
	unsigned long raised_from; /* go on until the model thread raised 100 more than this */
};

static unsigned long probe_raised(struct probe *p)
{
	unsigned long n;

	pthread_mutex_lock(&p->lock);
	n = p->raised;
	pthread_mutex_unlock(&p->lock);
	return n;
}

static void ecam_write32(struct vm *vm, uint8_t devfn, unsigned reg, uint32_t v)
{
	assert_true(bus_write(&vm->mmio, GPA_PCI_ECAM + ((uint64_t)devfn << 12) + reg,
			      (uint8_t *)&v, 4));
}

static uint32_t ecam_read32(struct vm *vm, uint8_t devfn, unsigned reg)
{
	uint32_t v = 0;

	assert_true(bus_read(&vm->mmio, GPA_PCI_ECAM + ((uint64_t)devfn << 12) + reg,
			     (uint8_t *)&v, 4));
	return v;
}

/*
 * A vCPU's view: toggle INTX_DISABLE and decoding, move BAR0, read things back; at least
 * h->iterations times, and until the model's thread has run alongside (a loaded machine
 * may not schedule it at all during a fixed number of rounds).
 */
static void *hammer_cfg(void *arg)
{
	struct hammer *h = arg;

	for (unsigned i = 0; i < h->iterations || probe_raised(h->p) < h->raised_from + 100; i++) {
		uint32_t cmd = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | (i & 1 ? PCI_COMMAND_INTX_DISABLE : 0);

		ecam_write32(h->vm, h->devfn, PCI_COMMAND, i % 7 ? cmd : 0);
		ecam_write32(h->vm, h->devfn, PCI_BAR0, GPA_PCI_MMIO32_START + 0x100000 +
			     (i % 4) * 0x1000);
		(void)ecam_read32(h->vm, h->devfn, PCI_STATUS);
	}
	ecam_write32(h->vm, h->devfn, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	return NULL;
}

/*
 * Two "vCPUs" hammer the config space of a device whose cfg_write hook takes
 * the model's lock, while the model's thread holds that lock and raises INTx
 * and MSI-X. With the lock order of pci.h this cannot deadlock (the watchdog
 * fails the test if it does); the line ends consistent with the device.
 */
static void test_lock_order_under_load(void **state)
{
	struct probe *p = probe_new(1);
	struct hammer h[2];
	pthread_t t[2];
	struct pci_root *root;
	struct vm vm;

	fake_vm_init(&vm, 64 * MiB);
	root = plug(&vm, &p, 1, NULL);
	probe_start(p);
	for (int i = 0; i < 2; i++) {
		h[i] = (struct hammer){ .vm = &vm, .p = p, .devfn = p->dev.devfn, .iterations = 20000,
					.raised_from = probe_raised(p) };
		assert_int_equal(pthread_create(&t[i], NULL, hammer_cfg, &h[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	probe_quiesce(&p->dev);
	assert_true(p->raised >= h[0].raised_from + 100);
	assert_true(p->cfg_writes >= 2 * 2 * 20000);
	pci_intx_set(&p->dev, 1);
	assert_true(pci_root_intx_line(root, p->dev.intx_gsi));
	pci_intx_set(&p->dev, 0);
	assert_false(pci_root_intx_line(root, p->dev.intx_gsi));
	fake_vm_destroy(&vm);
}

/* A guest reboot: quiesce, the core's state back to power-on, then the model's reset hook. */
static void test_reset(void **state)
{
	struct probe *p = probe_new(1);
	uint8_t poweron[PCI_CFG_SIZE];
	struct pci_root *root;
	uint64_t bar0;
	struct vm vm;

	fake_vm_init(&vm, 64 * MiB);
	root = plug(&vm, &p, 1, NULL);
	memcpy(poweron, p->dev.cfg, sizeof(poweron));
	bar0 = p->dev.bars[0].addr;
	/* The guest moves BAR0, enables MSI-X with vector 0 unmasked, and asserts INTx. */
	ecam_write32(&vm, p->dev.devfn, PCI_BAR0, GPA_PCI_MMIO32_START + 0x800000);
	assert_int_equal(p->dev.bars[0].addr, GPA_PCI_MMIO32_START + 0x800000);
	pci_device_cfg_write(&p->dev, 0x40 + 2, 2, PCI_MSIX_CTRL_ENABLE);
	assert_true(pci_msix_bar_access(&p->dev, 2, 12, (uint8_t *)&(uint32_t){ 0 }, 4, true));
	assert_false(pci_msix_vector_masked(&p->dev, 0));
	pci_intx_set(&p->dev, 1);
	probe_start(p);
	usleep(10000);
	n_events = 0;

	pci_root_reset(root);
	int q = find_event(1, EV_QUIESCE, 0), r = find_event(1, EV_RESET, 0);

	assert_true(q >= 0 && r > q);
	assert_memory_equal(p->dev.cfg, poweron, sizeof(poweron));
	assert_true(p->dev.bars[0].mapped);
	assert_int_equal(p->dev.bars[0].addr, bar0);
	assert_true(pci_msix_vector_masked(&p->dev, 0));
	assert_false(pci_msix_pending(&p->dev, 0));
	assert_false(pci_root_intx_line(root, p->dev.intx_gsi));
	/* A reset device runs again: a second reset is the same. */
	pci_root_reset(root);
	assert_memory_equal(p->dev.cfg, poweron, sizeof(poweron));
	fake_vm_destroy(&vm);
}

static void null_read(void *o, uint64_t off, uint8_t *d, unsigned len)
{
	memset(d, 0, len);
}

static void null_write(void *o, uint64_t off, const uint8_t *d, unsigned len)
{
}

static const struct bus_ops null_ops = { .read = null_read, .write = null_write };

/* BAR placement: windows, KVM slots under trapped BARs, an initial mapping that fails. */
static void test_bar_placement(void **state)
{
	struct probe *p = probe_new(1), *q = probe_new(2);
	struct pci_root *root;
	struct pci_stats st;
	struct vm vm;

	fake_vm_init(&vm, 64 * MiB);
	root = plug(&vm, &p, 1, NULL);
	/* A 32-bit BAR outside the 32-bit window, and one over the ECAM: not decoded. */
	ecam_write32(&vm, p->dev.devfn, PCI_BAR0, 0xf0000000);
	assert_false(p->dev.bars[0].mapped);
	ecam_write32(&vm, p->dev.devfn, PCI_BAR0, GPA_PCI_ECAM);
	assert_false(p->dev.bars[0].mapped);
	/* Over a KVM memory slot (a passthrough BAR, here faked): refused too. */
	vm.slot_used[0] |= 1u << 7;
	vm.slot_range[7] = (struct vm_slot_range){ .gpa = GPA_PCI_MMIO32_START + 0x3000000,
						   .size = 0x10000 };
	ecam_write32(&vm, p->dev.devfn, PCI_BAR0, GPA_PCI_MMIO32_START + 0x3008000);
	assert_false(p->dev.bars[0].mapped);
	ecam_write32(&vm, p->dev.devfn, PCI_BAR0, GPA_PCI_MMIO32_START + 0x3010000);
	assert_true(p->dev.bars[0].mapped);
	pci_root_stats(root, &st);
	assert_int_equal(st.bar_refused, 3);
	/* A 64-bit BAR may sit in either window, but not in between. */
	ecam_write32(&vm, p->dev.devfn, PCI_BAR0 + 8, (GPA_PCI_MMIO32_START + 0x4000000) | 4);
	ecam_write32(&vm, p->dev.devfn, PCI_BAR0 + 12, 0);
	assert_true(p->dev.bars[2].mapped);
	ecam_write32(&vm, p->dev.devfn, PCI_BAR0 + 12, 2); /* 8 GiB + 0xc4000000: the 64-bit window */
	assert_true(p->dev.bars[2].mapped);
	ecam_write32(&vm, p->dev.devfn, PCI_BAR0 + 12, 0x20); /* 128 GiB: past it */
	assert_false(p->dev.bars[2].mapped);
	/* The next device's BAR0 lands where something else already decodes: plugging fails. */
	assert_int_equal(bus_register(&vm.mmio, GPA_PCI_MMIO32_START + 0x1000, 0x1000, &null_ops,
				      NULL, "squatter"), 0);
	assert_int_equal(pci_root_add_device(root, &q->dev, -1), -EEXIST);
	assert_null(pci_root_find(root, q->dev.devfn));
	pci_msix_destroy(&q->dev);
	probe_teardown(&q->dev);
	fake_vm_destroy(&vm);
}

/* Capabilities at given offsets (a passthrough device keeps the host's layout), and PCIe ones. */
static void test_caps_at_offsets(void **state)
{
	struct pci_device d;
	uint8_t body[6] = { 1, 2, 3, 4, 5, 6 };

	pci_device_init(&d, &probe_ops, NULL, 0x1234, 0x5678, 0x020000, 1);
	assert_int_equal(pci_device_add_cap_at(&d, 0x60, 0x10, body, NULL, 8), 0x60);
	assert_int_equal(pci_device_add_cap_at(&d, 0x64, 0x05, NULL, NULL, 8), -ENOSPC); /* overlap */
	assert_int_equal(pci_device_add_cap_at(&d, 0x62, 0x05, NULL, NULL, 4), -ENOSPC); /* unaligned */
	assert_int_equal(pci_device_add_cap_at(&d, 0xfc, 0x05, NULL, NULL, 8), -ENOSPC); /* past 0xff */
	/* The first free space for an appended capability is below the fixed one. */
	assert_int_equal(pci_device_add_cap(&d, PCI_CAP_ID_VNDR, NULL, NULL, 16), 0x40);
	assert_int_equal(pci_device_add_cap(&d, PCI_CAP_ID_VNDR, NULL, NULL, 16), 0x50);
	assert_int_equal(pci_device_add_cap(&d, PCI_CAP_ID_VNDR, NULL, NULL, 16), 0x68);
	/* The list: 0x60 (added first), then 0x40, 0x50, 0x68. */
	assert_int_equal(d.cfg[PCI_CAPABILITY_LIST], 0x60);
	assert_int_equal(d.cfg[0x61], 0x40);
	assert_int_equal(d.cfg[0x41], 0x50);
	assert_int_equal(d.cfg[0x51], 0x68);
	assert_int_equal(d.cfg[0x69], 0);
	assert_memory_equal(&d.cfg[0x62], body, sizeof(body));
	/* Extended capabilities: the first at 0x100, chained by the next-pointer field. */
	assert_int_equal(pci_device_add_ext_cap(&d, 0x140, 0x10, 1, NULL, NULL, 16), -EINVAL);
	assert_int_equal(pci_device_add_ext_cap(&d, 0x100, 0x0b, 1, NULL, NULL, 8), 0x100);
	assert_int_equal(pci_device_add_ext_cap(&d, 0x200, 0x10, 1, NULL, NULL, 64), 0x200);
	assert_int_equal(pci_device_add_ext_cap(&d, 0x150, 0x0e, 1, NULL, NULL, 8), 0x150);
	assert_int_equal(pci_device_add_ext_cap(&d, 0x204, 0x0e, 1, NULL, NULL, 8), -EINVAL);
	assert_int_equal(pci_device_cfg_read(&d, 0x100, 4), 0x0b | 1 << 16 | 0x200u << 20);
	assert_int_equal(pci_device_cfg_read(&d, 0x200, 4), 0x10 | 1 << 16 | 0x150u << 20);
	assert_int_equal(pci_device_cfg_read(&d, 0x150, 4), 0x0e | 1 << 16);
	/* Small trapped memory BARs are fine; host-memory BARs are whole pages. */
	assert_int_equal(pci_device_add_bar(&d, 0, PCI_BAR_MEM32, 16, false, NULL), 0);
	assert_int_equal(pci_device_add_bar(&d, 1, PCI_BAR_MEM32, 8, false, NULL), -EINVAL);
	assert_int_equal(pci_device_add_bar(&d, 1, PCI_BAR_MEM32, 2048, false, &d), -EINVAL);
}

/* Guest RAM is a sealed memfd: a peer it is shared with cannot shrink or grow it. */
static void test_ram_sealed(void **state)
{
	void *hva;
	int fd;

	assert_int_equal(guest_ram_create(4 * MiB, false, &fd, &hva), 0);
	((volatile uint8_t *)hva)[4 * MiB - 1] = 1;
	assert_int_equal(ftruncate(fd, 2 * MiB), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(fd, 8 * MiB), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(((volatile uint8_t *)hva)[4 * MiB - 1], 1);
	munmap(hva, 4 * MiB);
	close(fd);
}

struct stopper {
	struct vm *vm;
	volatile bool *done;
	unsigned long calls;
};

static void *stop_loop(void *arg)
{
	struct stopper *s = arg;

	while (!__atomic_load_n(s->done, __ATOMIC_SEQ_CST)) {
		vm_stop(s->vm, VM_STOP_REQUESTED, "stop %lu", s->calls);
		s->calls++;
	}
	return NULL;
}

static volatile bool stoppers_done;

static void quiesce_stoppers(void *opaque)
{
	pthread_t *t = opaque;

	__atomic_store_n(&stoppers_done, true, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
}

/*
 * vm_stop from several threads while vm_destroy runs (the threads' owner is
 * torn down, and stops them, as part of it): no crash, no hang; the first
 * reason wins.
 */
static void test_stop_during_destroy(void **state)
{
	struct probe *p = probe_new(1);
	struct stopper s[3];
	pthread_t t[3];
	struct vm vm;

	fake_vm_init(&vm, 64 * MiB);
	stoppers_done = false;
	assert_int_equal(vm_add_teardown(&vm, quiesce_stoppers, t), 0);
	plug(&vm, &p, 1, NULL);
	probe_start(p);
	for (int i = 0; i < 3; i++) {
		s[i] = (struct stopper){ .vm = &vm, .done = &stoppers_done };
		assert_int_equal(pthread_create(&t[i], NULL, stop_loop, &s[i]), 0);
	}
	usleep(20000);
	assert_int_equal(vm.stop_reason, VM_STOP_REQUESTED);
	fake_vm_destroy(&vm);
	assert_true(s[0].calls + s[1].calls + s[2].calls > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_teardown_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_intx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_order_under_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps_at_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ram_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_during_destroy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
