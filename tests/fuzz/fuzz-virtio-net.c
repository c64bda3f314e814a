/*
 * Fuzz target: virtio-net over the modern PCI transport
 * (emulated-devs/virtio-net.c, virtio-pci.c, virtqueue.c) without a VM, as
 * tests/unit/test-virtio-net.c runs it: the device unplugged over guest RAM,
 * no I/O thread (the target calls virtio_net_run_once), a fake back-end
 * (fuzz-netbe.h). Split rings, indirect tables, transmit headers, receive
 * (mergeable) buffers and the control queue all live in the RAM the input
 * fills.
 *
 * Input: a flags byte (bit 0: the back-end carries virtio-net headers), RAM
 * contents length (2 bytes) and bytes (RAM is RAM_SIZE at RAM_GPA, its own
 * exact-size allocation), then a script of ops. Op byte bits 0-2 select:
 *   0 write BAR4: offset (2 bytes, mod 16 KiB), length 1 + (op >> 3) % 8, value (8 bytes)
 *   1 read BAR4: offset, length as above
 *   2 write / 3 read BAR1 (MSI-X table and PBA): offset (2 bytes, mod 4 KiB), length, value
 *   4 the I/O thread's pass (virtio_net_run_once); with bit 7 set, a RAM
 *     write instead: offset (2 bytes), length (1 byte), bytes
 *   5 config-space read: offset (2 bytes), length 1 + (op >> 3) % 4
 *   6 config-space write: offset (2 bytes), length 1 + (op >> 3) % 4, value (4 bytes)
 *   7 queue a received frame: length (2 bytes) and bytes
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "fuzz-netbe.h"
#include "guest-mem.h"
#include "pci.h"
#include "virtio-net.h"
#include "virtio-pci.h"

#define RAM_GPA  0x100000ULL
#define RAM_SIZE 0x10000ULL
#define MSIX_BAR_SIZE 0x1000
#define MAX_OPS 512

/* A BAR access of the script: bar, offset modulo size, clipped to the BAR. */
static void bar_op(struct fuzz_input *in, struct pci_device *dev, unsigned bar, uint64_t size,
		   unsigned len, bool write)
{
	uint64_t off = fuzz_uint(in, 2) % size, v;
	uint8_t buf[8] = { 0 };

	len = len > size - off ? size - off : len;
	if (!write) {
		dev->ops->bar_read(dev, bar, off, buf, len);
		return;
	}
	v = fuzz_uint(in, 8);
	memcpy(buf, &v, sizeof(buf));
	dev->ops->bar_write(dev, bar, off, buf, len);
}

/* The guest rewrites RAM between accesses: offset (2 bytes), length (1 byte), bytes. */
static void ram_write(struct fuzz_input *in, uint8_t *ram)
{
	size_t off = fuzz_uint(in, 2) % RAM_SIZE, n = fuzz_uint(in, 1);
	const uint8_t *p;

	n = n < fuzz_left(in) ? n : fuzz_left(in);
	n = n < RAM_SIZE - off ? n : RAM_SIZE - off;
	p = fuzz_take(in, n);
	if (p)
		memcpy(ram + off, p, n);
}

/* One op of the script; false when the input is used up. */
static bool op_run(struct fuzz_input *in, struct pci_device *dev, struct fuzz_be *be,
		   uint8_t *ram)
{
	unsigned op = fuzz_uint(in, 1), len = 1 + (op >> 3) % 8, clen = 1 + (op >> 3) % 4;
	uint64_t off, v;

	if (!fuzz_left(in))
		return false;
	switch (op & 7) {
	case 0:
	case 1:
		bar_op(in, dev, VIRTIO_PCI_BAR, VIRTIO_PCI_BAR_SIZE, len, !(op & 1));
		break;
	case 2:
	case 3:
		bar_op(in, dev, VIRTIO_PCI_MSIX_BAR, MSIX_BAR_SIZE, len, !(op & 1));
		break;
	case 4:
		if (op & 0x80)
			ram_write(in, ram);
		else
			virtio_net_run_once(dev);
		break;
	case 5:
	case 6:
		off = fuzz_uint(in, 2) % PCI_CFG_SIZE;
		v = (op & 7) == 6 ? fuzz_uint(in, 4) : 0;
		if (off + clen > PCI_CFG_SIZE)
			break;
		if ((op & 7) == 6)
			pci_device_cfg_write(dev, off, clen, (uint32_t)v);
		else
			pci_device_cfg_read(dev, off, clen);
		break;
	default:
		v = fuzz_uint(in, 2);
		v = v < fuzz_left(in) ? v : fuzz_left(in);
		fuzz_be_push(be, fuzz_take(in, v), v);
		break;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct fuzz_input in = { data, len };
	unsigned flags = fuzz_uint(&in, 1);
	size_t ram_init = fuzz_uint(&in, 2);
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct fuzz_be *be = fuzz_be_new(flags & 1 ? NET_BE_CAP_VNET_HDR : 0);
	struct guest_mem mem = { 0 };
	struct pci_device *dev;

	fuzz_quiet_logs();
	if (!ram)
		abort();
	ram_init = ram_init < fuzz_left(&in) ? ram_init : fuzz_left(&in);
	memcpy(ram, fuzz_take(&in, ram_init), ram_init);
	FUZZ_CHECK(guest_mem_add(&mem, RAM_GPA, RAM_SIZE, ram, -1, 0) == 0);
	FUZZ_CHECK(virtio_net_new(&mem, &be->be, mac, false, &dev) == 0);
	for (int i = 0; i < MAX_OPS && op_run(&in, dev, be, ram); i++)
		;
	dev->ops->quiesce(dev);
	dev->ops->teardown(dev);
	net_backend_close(&be->be);
	free(ram);
	return 0;
}
