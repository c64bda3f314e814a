/*
 * Fuzz target: the e1000 (82540EM) model (emulated-devs/e1000*.c) without a
 * VM, as tests/unit/test-e1000.c runs it: registers through its BAR hooks,
 * TX/RX descriptor rings and buffers in guest RAM, frames through a fake
 * back-end (fuzz-netbe.h).
 *
 * Input: RAM contents length (2 bytes) and bytes (RAM is RAM_SIZE at
 * RAM_GPA, its own exact-size allocation; the rest of it is zero), then a
 * script of ops. Op byte bits 0-2 select:
 *   0 write BAR0: offset (4 bytes, mod 128 KiB), length 1 + (op >> 3) % 8, value (8 bytes)
 *   1 read BAR0: offset, length as above
 *   2 write / 3 read BAR1 (the I/O window): offset (1 byte, mod 64), length, value
 *   4 poll (the I/O thread's pass); with bit 7 set, a RAM write instead:
 *     offset (2 bytes), length (1 byte), bytes
 *   5 advance the clock by a 4-byte number of microseconds, then poll
 *   6 config-space write: offset (2 bytes), length 1 + (op >> 3) % 4, value (4 bytes)
 *   7 queue a received frame: length (2 bytes) and bytes
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e1000.h"
#include "fuzz-input.h"
#include "fuzz-netbe.h"
#include "guest-mem.h"
#include "pci.h"

#define RAM_GPA  0x100000ULL
#define RAM_SIZE 0x10000ULL
#define BAR0_SIZE 0x20000
#define BAR1_SIZE 0x40
#define MAX_OPS 512

static uint64_t fake_ns;

static uint64_t fake_clock(void *opaque)
{
	return fake_ns;
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
	unsigned op = fuzz_uint(in, 1), len = 1 + (op >> 3) % 8;
	uint8_t buf[8] = { 0 };
	uint64_t off, v;

	if (!fuzz_left(in))
		return false;
	switch (op & 7) {
	case 0:
	case 1:
		off = fuzz_uint(in, 4) % BAR0_SIZE;
		len = len > BAR0_SIZE - off ? BAR0_SIZE - off : len;
		if (op & 1) {
			dev->ops->bar_read(dev, 0, off, buf, len);
			break;
		}
		v = fuzz_uint(in, 8);
		memcpy(buf, &v, sizeof(buf));
		dev->ops->bar_write(dev, 0, off, buf, len);
		break;
	case 2:
	case 3:
		off = fuzz_uint(in, 1) % BAR1_SIZE;
		len = len > BAR1_SIZE - off ? BAR1_SIZE - off : len;
		if (op & 1) {
			dev->ops->bar_read(dev, 1, off, buf, len);
			break;
		}
		v = fuzz_uint(in, 8);
		memcpy(buf, &v, sizeof(buf));
		dev->ops->bar_write(dev, 1, off, buf, len);
		break;
	case 4:
		if (op & 0x80) {
			ram_write(in, ram);
			break;
		}
		e1000_poll(dev);
		break;
	case 5:
		fake_ns += fuzz_uint(in, 4) * 1000ULL;
		e1000_poll(dev);
		break;
	case 6:
		off = fuzz_uint(in, 2) % PCI_CFG_SIZE;
		len = 1 + (op >> 3) % 4;
		v = fuzz_uint(in, 4);
		if (off + len <= PCI_CFG_SIZE)
			pci_device_cfg_write(dev, off, len, (uint32_t)v);
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
	size_t ram_init = fuzz_uint(&in, 2);
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct fuzz_be *be = fuzz_be_new(0);
	struct guest_mem mem = { 0 };
	struct pci_device *dev;

	fuzz_quiet_logs();
	if (!ram)
		abort();
	ram_init = ram_init < fuzz_left(&in) ? ram_init : fuzz_left(&in);
	memcpy(ram, fuzz_take(&in, ram_init), ram_init);
	FUZZ_CHECK(guest_mem_add(&mem, RAM_GPA, RAM_SIZE, ram, -1, 0) == 0);
	FUZZ_CHECK(e1000_new(&mem, &be->be, mac, &dev) == 0);
	fake_ns = 1000000000ULL;
	e1000_set_clock(dev, fake_clock, NULL);
	pci_device_cfg_write(dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	for (int i = 0; i < MAX_OPS && op_run(&in, dev, be, ram); i++)
		;
	e1000_destroy(dev);
	free(ram);
	return 0;
}
