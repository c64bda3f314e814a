/*
 * MSI-X table logic without KVM: table reads and writes of every size,
 * vector and function masking, pending bits, delivery of held signals on
 * unmask (a "delivered" signal stays in the vector's eventfd here), and the
 * config-space side (capability, control word, BAR sizing through the
 * write mask).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pci-msix.h"
#include "pci.h"

static const struct pci_device_ops dummy_ops = { .name = "dummy" };

static struct pci_device *new_dev(void)
{
	struct pci_device *d = calloc(1, sizeof(*d));

	pci_device_init(d, &dummy_ops, NULL, 0x1234, 0x5678, 0x020000, 1);
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_MEM32, 4096, false, NULL), 0);
	assert_int_equal(pci_device_add_bar(d, 2, PCI_BAR_MEM64, 16384, false, NULL), 0);
	assert_int_equal(pci_msix_init(d, 4, 2, 0, 2, 0x2000), 0);
	return d;
}

static void free_dev(struct pci_device *d)
{
	pci_msix_destroy(d);
	pci_msi_destroy(d);
	free(d);
}

static uint64_t efd_take(struct pci_device *d, unsigned i)
{
	uint64_t n = 0;

	if (read(pci_msix_vector_eventfd(d, i), &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static void table_write32(struct pci_device *d, unsigned i, unsigned field, uint32_t v)
{
	assert_true(pci_msix_bar_access(d, 2, 16 * i + field, (uint8_t *)&v, 4, true));
}

static uint32_t table_read32(struct pci_device *d, unsigned i, unsigned field)
{
	uint32_t v = 0;

	assert_true(pci_msix_bar_access(d, 2, 16 * i + field, (uint8_t *)&v, 4, false));
	return v;
}

static uint64_t pba(struct pci_device *d)
{
	uint64_t v = 0;

	assert_true(pci_msix_bar_access(d, 2, 0x2000, (uint8_t *)&v, 8, false));
	return v;
}

static unsigned msix_cap(struct pci_device *d)
{
	for (unsigned off = d->cfg[PCI_CAPABILITY_LIST]; off; off = d->cfg[off + 1])
		if (d->cfg[off] == PCI_CAP_ID_MSIX)
			return off;
	fail();
	return 0;
}

static void set_ctrl(struct pci_device *d, uint16_t ctrl)
{
	pci_device_cfg_write(d, msix_cap(d) + 2, 2, ctrl);
}

static void test_capability(void **state)
{
	struct pci_device *d = new_dev();
	unsigned cap = msix_cap(d);

	assert_true(pci_device_cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	assert_int_equal(pci_device_cfg_read(d, cap + 2, 2) & 0x7ff, 3);
	assert_int_equal(pci_device_cfg_read(d, cap + 4, 4), 2);         /* table: BAR2 + 0 */
	assert_int_equal(pci_device_cfg_read(d, cap + 8, 4), 0x2002);    /* PBA: BAR2 + 0x2000 */
	pci_device_cfg_write(d, cap + 4, 4, 0xffffffff);                 /* read-only */
	assert_int_equal(pci_device_cfg_read(d, cap + 4, 4), 2);
	set_ctrl(d, 0xffff);
	assert_int_equal(pci_device_cfg_read(d, cap + 2, 2), 0xc003);    /* only enable+mask */
	free_dev(d);
}

static void test_bad_init(void **state)
{
	struct pci_device d;

	pci_device_init(&d, &dummy_ops, NULL, 1, 2, 0, 0);
	assert_int_equal(pci_device_add_bar(&d, 0, PCI_BAR_MEM32, 4096, false, NULL), 0);
	assert_int_equal(pci_msix_init(&d, 0, 0, 0, 0, 0x800), -EINVAL);      /* no vectors */
	assert_int_equal(pci_msix_init(&d, 300, 0, 0, 0, 0xf00), -EINVAL);    /* past the BAR */
	assert_int_equal(pci_msix_init(&d, 4, 0, 0, 0, 0x20), -EINVAL);       /* PBA inside table */
	assert_int_equal(pci_msix_init(&d, 4, 0, 4, 0, 0x800), -EINVAL);      /* misaligned */
	assert_int_equal(pci_msix_init(&d, 4, 1, 0, 0, 0x800), -EINVAL);      /* no BAR1 */
	assert_int_equal(pci_device_add_bar(&d, 1, PCI_BAR_MEM32, 3000, false, NULL), -EINVAL);
	assert_int_equal(pci_device_add_bar(&d, 5, PCI_BAR_MEM64, 4096, false, NULL), -EINVAL);
	assert_int_equal(pci_device_add_bar(&d, 1, PCI_BAR_IO, 512, false, NULL), -EINVAL);
	assert_null(d.msix);
}

static void test_table_access(void **state)
{
	struct pci_device *d = new_dev();
	uint64_t q = 0x00000001fee01000ULL;
	uint8_t b;

	assert_int_equal(table_read32(d, 0, 12), 1);                  /* starts masked */
	table_write32(d, 1, 0, 0xfee00000);
	table_write32(d, 1, 8, 0x4041);
	assert_int_equal(table_read32(d, 1, 0), 0xfee00000);
	assert_int_equal(table_read32(d, 1, 8), 0x4041);
	assert_true(pci_msix_bar_access(d, 2, 16 * 2, (uint8_t *)&q, 8, true)); /* 8-byte */
	assert_int_equal(table_read32(d, 2, 4), 1);
	assert_true(pci_msix_bar_access(d, 2, 16 * 1 + 9, &b, 1, false)); /* odd byte */
	assert_int_equal(b, 0x40);
	b = 0x77;
	assert_true(pci_msix_bar_access(d, 2, 16 * 1 + 12, &b, 1, true)); /* ctrl byte */
	assert_int_equal(table_read32(d, 1, 12), 1);                       /* only bit 0 kept */
	/* outside the table and PBA: left to the device model */
	assert_false(pci_msix_bar_access(d, 2, 16 * 4, &b, 1, false));
	assert_false(pci_msix_bar_access(d, 0, 0, &b, 1, false));
	/* PBA is read-only */
	q = ~0ULL;
	assert_true(pci_msix_bar_access(d, 2, 0x2000, (uint8_t *)&q, 8, true));
	assert_int_equal(pba(d), 0);
	free_dev(d);
}

static void test_masking_and_pending(void **state)
{
	struct pci_device *d = new_dev();

	table_write32(d, 0, 0, 0xfee00000);
	table_write32(d, 0, 8, 0x40);
	table_write32(d, 0, 12, 0);
	/* MSI-X disabled: a signal is held, not delivered */
	pci_msix_notify(d, 0);
	assert_int_equal(pba(d), 1);
	assert_int_equal(efd_take(d, 0), 0);
	set_ctrl(d, PCI_MSIX_CTRL_ENABLE);                     /* held signal goes out once */
	assert_int_equal(efd_take(d, 0), 1);
	assert_int_equal(pba(d), 0);
	pci_msix_notify(d, 0);                                 /* unmasked: delivered */
	assert_int_equal(efd_take(d, 0), 1);
	table_write32(d, 0, 12, 1);                            /* vector mask */
	pci_msix_notify(d, 0);
	pci_msix_notify(d, 0);
	assert_true(pci_msix_pending(d, 0));
	assert_int_equal(pba(d), 1);
	table_write32(d, 0, 12, 0);
	assert_int_equal(efd_take(d, 0), 1);                   /* two signals, one message */
	assert_false(pci_msix_pending(d, 0));
	set_ctrl(d, PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_FMASK); /* function mask */
	pci_msix_notify(d, 0);
	pci_msix_notify(d, 3);                                 /* masked vector too */
	assert_int_equal(pba(d), 0x9);
	set_ctrl(d, PCI_MSIX_CTRL_ENABLE);
	assert_int_equal(efd_take(d, 0), 1);
	assert_int_equal(efd_take(d, 3), 0);                   /* still vector-masked */
	assert_int_equal(pba(d), 0x8);
	pci_msix_notify(d, 4);                                 /* no such vector: ignored */
	assert_int_equal(pci_msix_vector_eventfd(d, 4), -1);
	free_dev(d);
}

static void test_bar_sizing(void **state)
{
	struct pci_device *d = new_dev();

	pci_device_cfg_write(d, PCI_BAR0, 4, 0xffffffff);
	assert_int_equal(pci_device_cfg_read(d, PCI_BAR0, 4), 0xfffff000);
	pci_device_cfg_write(d, PCI_BAR0 + 8, 4, 0xffffffff);
	pci_device_cfg_write(d, PCI_BAR0 + 12, 4, 0xffffffff);
	assert_int_equal(pci_device_cfg_read(d, PCI_BAR0 + 8, 4), 0xffffc004);
	assert_int_equal(pci_device_cfg_read(d, PCI_BAR0 + 12, 4), 0xffffffff);
	assert_int_equal(pci_device_cfg_read(d, PCI_BAR0 + 4, 4), 0);    /* unused BAR1 */
	pci_device_cfg_write(d, PCI_VENDOR_ID, 4, 0);                  /* read-only IDs */
	assert_int_equal(pci_device_cfg_read(d, PCI_VENDOR_ID, 4), 0x56781234);
	assert_int_equal(pci_device_cfg_read(d, 0xffe, 4), 0xffff0000); /* clipped at the end */
	assert_int_equal(pci_device_cfg_read(d, 0x1000, 4), 0xffffffff);
	assert_int_equal(pci_device_cfg_read(d, 1, 2), 0x7812);          /* unaligned */
	free_dev(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capability),
		cmocka_unit_test(test_bad_init),
		cmocka_unit_test(test_table_access),
		cmocka_unit_test(test_masking_and_pending),
		cmocka_unit_test(test_bar_sizing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
