/*
 * Fuzz target: PCI config space, BAR decoding and the MSI-X table and PBA
 * (vmm/pci/pci.c, pci-msix.c) through the buses a vCPU's exits reach, on a
 * VM without KVM (tests/unit/fake-vm.h).
 *
 * One device is plugged: BAR0 32-bit memory (trapped), BAR2 64-bit memory
 * holding an MSI-X table of 8 vectors and its PBA, MSI and a vendor
 * capability, a PCIe extended capability. The input is a script of
 * accesses; each is an op byte (bits 0-2: length - 1, so 1 to 8 bytes;
 * bit 3: write; bits 4-5: where; 0xff: reset the root), a 4-byte address
 * and, for writes, 8 value bytes. Where: 0 the whole ECAM window (any bus,
 * function, register), 1 the device's own function in ECAM (register =
 * address & 0xfff), 2 the 0xcf8/0xcfc ports, 3 a BAR of the device at its
 * current address (BAR = address >> 24 modulo 6, offset = address & 0xffff).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fake-vm.h"
#include "fuzz-input.h"
#include "memory-map.h"
#include "pci-msix.h"
#include "pci.h"

#define VENDOR 0x1af4
#define MAX_OPS 4096

static const struct pci_device_ops fuzz_dev_ops = { .name = "fuzz" };

/* The device under test; 0 or -errno. The caller frees it after the VM. */
static int dev_build(struct pci_device *d)
{
	static const uint8_t vndr[6] = { 6, 1, 2, 3 }, vndr_wmask[6] = { 0, 0, 0xff, 0xff };
	static const uint8_t ext[8] = { 1, 2, 3, 4 }, ext_wmask[8] = { 0xff };
	int ret;

	pci_device_init(d, &fuzz_dev_ops, NULL, VENDOR, 0x1000, 0x020000, 1);
	ret = pci_device_add_bar(d, 0, PCI_BAR_MEM32, 0x1000, false, NULL);
	if (!ret)
		ret = pci_device_add_bar(d, 2, PCI_BAR_MEM64, 0x4000, true, NULL);
	if (!ret)
		ret = pci_msix_init(d, 8, 2, 0, 2, 0x2000);
	if (!ret)
		ret = pci_msi_init(d);
	if (ret)
		return ret;
	/* These two return the capability's offset. */
	ret = pci_device_add_cap(d, PCI_CAP_ID_VNDR, vndr, vndr_wmask, sizeof(vndr));
	if (ret >= 0)
		ret = pci_device_add_ext_cap(d, 0x100, 0x000b, 1, ext, ext_wmask, sizeof(ext));
	return ret < 0 ? ret : 0;
}

/* One access of the script; false when the input is used up. */
static bool access_one(struct fuzz_input *in, struct vm *vm, struct pci_root *root,
		       struct pci_device *d)
{
	unsigned op = fuzz_uint(in, 1), len = 1 + (op & 7);
	uint64_t a = fuzz_uint(in, 4), val = 0, addr;
	struct bus *bus = &vm->mmio;
	uint8_t buf[8];

	if (!fuzz_left(in))
		return false;
	if (op == 0xff) {
		pci_root_reset(root);
		return true;
	}
	switch ((op >> 4) & 3) {
	case 0: addr = GPA_PCI_ECAM + (a & (GPA_PCI_ECAM_SIZE - 1)); break;
	case 1: addr = GPA_PCI_ECAM + ((uint64_t)d->devfn << 12) + (a & 0xfff); break;
	case 2: addr = PORT_PCI_CONFIG_ADDR + (a & 7); bus = &vm->pio; break;
	default: addr = d->bars[(a >> 24) % PCI_NUM_BARS].addr + (a & 0xffff); break;
	}
	if (op & 8) {
		val = fuzz_uint(in, 8);
		memcpy(buf, &val, sizeof(buf));
		bus_write(bus, addr, buf, len);
	} else {
		bus_read(bus, addr, buf, len);
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	struct pci_device *d = calloc(1, sizeof(*d));
	struct pci_root *root;
	struct vm vm;

	if (!d)
		abort();
	fuzz_quiet_logs();
	fake_vm_init(&vm, 4096); /* no guest RAM is touched here */
	FUZZ_CHECK(dev_build(d) == 0);
	FUZZ_CHECK(pci_root_create(&vm, &root) == 0);
	FUZZ_CHECK(pci_root_add_device(root, d, -1) == 0);
	for (int i = 0; i < MAX_OPS && access_one(&in, &vm, root, d); i++)
		;
	/* Read-only identity survives every script. */
	FUZZ_CHECK(pci_device_cfg_read(d, PCI_VENDOR_ID, 2) == VENDOR);
	fake_vm_destroy(&vm);
	pci_msix_destroy(d);
	pci_msi_destroy(d);
	free(d);
	return 0;
}
