/*
 * The e1000 model driven by a guest on KVM: enumeration and BARs, the
 * EEPROM through EERD (checksum, MAC), the PHY through MDIC, the I/O window,
 * a frame through MAC loopback into the receive ring, RXT0 through INTx and
 * the IOAPIC, and a frame out to the back-end. Register offsets and bits come
 * from the guest side's transcription of the datasheet (guest/e1000-regs.h),
 * independent of the model's register table.
 */
#define E1000_TEST_MAC { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }

#ifdef IOVIRT_GUEST
#include "e1000-regs.h"
#include "guest.h"
#include "memory-map.h"
#include "pci.h"

#define VEC_INTX     0x43
#define NDESC        8

static uint8_t tx_ring[16 * NDESC] __attribute__((aligned(128)));
static uint8_t rx_ring[16 * NDESC] __attribute__((aligned(128)));
static uint8_t tx_buf[256] __attribute__((aligned(16)));
static uint8_t rx_bufs[NDESC][2048] __attribute__((aligned(16)));
static uint8_t mac[6];
static uint64_t bar0;
static uint16_t bdf;
static volatile unsigned intx_count;
static volatile uint32_t intx_icr;

static void wr(unsigned off, uint32_t v)
{
	mmio_write32(bar0 + off, v);
}

static uint32_t rd(unsigned off)
{
	return mmio_read32(bar0 + off);
}

static void on_intx(struct guest_frame *f)
{
	intx_icr |= rd(E1000_ICR); /* read-to-clear: the line drops before the EOI */
	intx_count++;
}

static void check_pci(void)
{
	uint32_t fl;

	bdf = pci_find_device(0x8086, 0x100e);
	GUEST_ASSERT(bdf != PCI_NONE);
	GUEST_ASSERT_EQ(pci_read32(bdf, 0x08) >> 8, 0x020000);          /* Ethernet */
	GUEST_ASSERT_EQ(pci_bar_size(bdf, 0, &fl), 0x20000);
	GUEST_ASSERT_EQ(fl, 0);
	GUEST_ASSERT_EQ(pci_bar_size(bdf, 1, &fl), 64);
	GUEST_ASSERT_EQ(fl, 1);
	bar0 = pci_bar_addr(bdf, 0);
	pci_write16(bdf, PCI_COMMAND, PCI_CMD_MEM | PCI_CMD_IO | PCI_CMD_MASTER);
	GUEST_ASSERT_EQ(rd(E1000_STATUS) & 3, 3);                             /* full duplex, link up */
}

static uint16_t eeprom_word(unsigned i)
{
	uint32_t v;

	wr(E1000_EERD, i << 8 | 1);
	for (unsigned spins = 0; !((v = rd(E1000_EERD)) & 0x10); spins++)
		GUEST_ASSERT(spins < 1000);
	return v >> 16;
}

static void check_eeprom_phy_io(void)
{
	uint16_t sum = 0, io = pci_bar_addr(bdf, 1);
	uint64_t m = 0;

	for (unsigned i = 0; i < 64; i++)
		sum += eeprom_word(i);
	GUEST_ASSERT_EQ(sum, 0xbaba);
	for (unsigned i = 0; i < 3; i++) {
		uint16_t w = eeprom_word(i);

		mac[2 * i] = w;
		mac[2 * i + 1] = w >> 8;
	}
	for (int i = 5; i >= 0; i--)
		m = m << 8 | mac[i];
	guest_sync(1, m);
	wr(E1000_MDIC, 2u << 26 | 1 << 21 | 2 << 16);                         /* read PHY ID1 */
	GUEST_ASSERT_EQ(rd(E1000_MDIC) & (1u << 28 | 0xffff), 1u << 28 | 0x0141);
	outl(io, E1000_STATUS);                                                /* IOADDR */
	GUEST_ASSERT_EQ(inl(io + 4), rd(E1000_STATUS));                        /* IODATA */
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static void rings_setup(void)
{
	for (unsigned i = 0; i < NDESC; i++) {
		memset(rx_ring + 16 * i, 0, 16);
		put64(rx_ring + 16 * i, (uint64_t)rx_bufs[i]);
	}
	wr(E1000_RDBAL, (uint32_t)(uint64_t)rx_ring);
	wr(E1000_RDBAH, 0);
	wr(E1000_RDLEN, sizeof(rx_ring));
	wr(E1000_RDH, 0);
	wr(E1000_RDT, NDESC - 1);
	wr(E1000_TDBAL, (uint32_t)(uint64_t)tx_ring);
	wr(E1000_TDBAH, 0);
	wr(E1000_TDLEN, sizeof(tx_ring));
	wr(E1000_TDH, 0);
	wr(E1000_TDT, 0);
	wr(E1000_TCTL, TCTL_EN | TCTL_PSP);
}

/* Queue one legacy descriptor for tx_buf (len bytes) and ring the doorbell. */
static void transmit(unsigned len)
{
	unsigned t = rd(E1000_TDT);
	uint8_t *d = tx_ring + 16 * t;

	memset(d, 0, 16);
	put64(d, (uint64_t)tx_buf);
	d[8] = len;
	d[9] = len >> 8;
	d[11] = 0x01 | 0x02 | 0x08;                                      /* EOP, IFCS, RS */
	wr(E1000_TDT, (t + 1) % NDESC);
	for (unsigned spins = 0; !(*(volatile uint8_t *)&d[12] & 1); spins++)
		GUEST_ASSERT(spins < 1000000);
}

static void wait_rx(unsigned i)
{
	for (unsigned spins = 0; !(*(volatile uint8_t *)&rx_ring[16 * i + 12] & 1); spins++)
		GUEST_ASSERT(spins < 10000000);
}

static void check_loopback(void)
{
	const uint8_t *d = rx_ring;

	memcpy(tx_buf, mac, 6);
	memcpy(tx_buf + 6, mac, 6);
	tx_buf[12] = 0x08;
	tx_buf[13] = 0x00;
	for (unsigned i = 14; i < 100; i++)
		tx_buf[i] = i ^ 0xa5;
	wr(E1000_RCTL, RCTL_EN | RCTL_SECRC | RCTL_LBM_MAC);
	transmit(100);
	wait_rx(0);
	GUEST_ASSERT_EQ(d[12] & 3, 3);                                   /* DD, EOP */
	GUEST_ASSERT_EQ(d[8] | d[9] << 8, 100);
	GUEST_ASSERT_EQ(d[13], 0);
	GUEST_ASSERT_EQ(memcmp(rx_bufs[0], tx_buf, 100), 0);
	GUEST_ASSERT_EQ(rd(E1000_RDH), 1);
	GUEST_ASSERT_EQ(rd(E1000_GPRC), 1);
	GUEST_ASSERT_EQ(rd(E1000_GPTC), 1);
}

static void ioapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(GPA_IOAPIC, reg);
	mmio_write32(GPA_IOAPIC + 0x10, v);
}

static void check_intx(void)
{
	unsigned gsi = pci_read8(bdf, PCI_INTERRUPT_LINE);

	GUEST_ASSERT(gsi >= 16 && gsi < 24);
	rd(E1000_ICR);
	ioapic_write(0x11 + 2 * gsi, 0);
	ioapic_write(0x10 + 2 * gsi, VEC_INTX | (1 << 15));              /* level, unmasked */
	wr(E1000_IMS, ICR_RXT0);
	transmit(100);                                                    /* looped back */
	for (unsigned spins = 0; intx_count == 0; spins++) {
		GUEST_ASSERT(spins < 1000000);
		safe_halt();
		irq_disable();
	}
	GUEST_ASSERT(intx_icr & ICR_RXT0);
	GUEST_ASSERT_EQ(rx_ring[16 + 12] & 3, 3);
	wr(E1000_IMC, ~0u);
	rd(E1000_GPTC);                                                        /* read-to-clear */
}

static void check_backend(void)
{
	wr(E1000_RCTL, RCTL_EN | RCTL_SECRC);                                   /* no loopback */
	transmit(60);
	guest_sync(2, rd(E1000_GPTC));
}

int guest_main(unsigned cpu, unsigned ncpus)
{
	guest_irq_set_handler(VEC_INTX, on_intx);
	check_pci();
	check_eeprom_phy_io();
	rings_setup();
	check_loopback();
	check_intx();
	check_backend();
	return 0;
}
#else
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "e1000.h"
#include "net-backend.h"
#include "pci.h"
#include "vmm-test.h"

/* A back-end that counts what the NIC sends and never has anything to receive. */
struct count_be {
	struct net_backend be;       /* first: net_backend_close() frees it */
	unsigned sent;
	size_t last_len;
};

static ssize_t count_send(struct net_backend *be, const struct iovec *iov, int n)
{
	struct count_be *c = (struct count_be *)be;
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	__atomic_store_n(&c->last_len, len, __ATOMIC_RELEASE);
	__atomic_add_fetch(&c->sent, 1, __ATOMIC_ACQ_REL);
	return len;
}

static ssize_t count_recv(struct net_backend *be, const struct iovec *iov, int n)
{
	return -EAGAIN;
}

static ssize_t count_peek_len(struct net_backend *be)
{
	return 0;
}

static void count_close(struct net_backend *be)
{
}

static const struct net_backend_ops count_ops = {
	.name = "count", .send = count_send, .recv = count_recv, .peek_len = count_peek_len,
	.close = count_close,
};

int main(int argc, char **argv)
{
	static const uint8_t mac[6] = E1000_TEST_MAC;
	const char *image = test_image(argc, argv);
	struct count_be *c = calloc(1, sizeof(*c));
	struct pci_device *dev;
	struct platform plat;
	struct ucall uc;
	struct vm vm;
	uint64_t want = 0;
	int ret;

	TEST_ASSERT(c, "no memory");
	c->be.ops = &count_ops;
	c->be.poll_fd = -1;
	c->be.link_up = true;
	test_vm_create(&vm, &plat, image, 1, 64 << 20, 1);
	ret = e1000_create(&vm, plat.pci, &c->be, mac, &dev);
	TEST_ASSERT(!ret, "e1000_create: %s", strerror(-ret));
	for (int i = 5; i >= 0; i--)
		want = want << 8 | mac[i];
	for (;;) {
		uint64_t cmd = test_vcpu_ucall(vm.vcpus[0], &uc);

		if (cmd == UCALL_DONE)
			break;
		TEST_ASSERT(cmd == UCALL_SYNC || cmd == UCALL_PRINT, "guest: %s", uc.buf);
		if (cmd == UCALL_PRINT)
			fputs(uc.buf, stdout);
		if (cmd == UCALL_SYNC && uc.args[0] == 1)
			TEST_ASSERT(uc.args[1] == want, "EEPROM MAC %llx, want %llx",
				    (unsigned long long)uc.args[1], (unsigned long long)want);
		if (cmd == UCALL_SYNC && uc.args[0] == 2) {
			TEST_ASSERT(uc.args[1] == 1, "GPTC %lu", (unsigned long)uc.args[1]);
			TEST_ASSERT(__atomic_load_n(&c->sent, __ATOMIC_ACQUIRE) == 1 &&
				    c->last_len == 60, "back-end got %u frames, last %zu bytes",
				    c->sent, c->last_len);
		}
	}
	TEST_ASSERT(uc.args[0] == 0, "guest status %lu", (unsigned long)uc.args[0]);
	printf("ok: e1000 (EEPROM, PHY, loopback, INTx, back-end)\n");
	vm_destroy(&vm);
	return 0;
}
#endif
