/*
 * vfio-e1000e-loopback: the VFIO host library driving a real (QEMU-emulated)
 * 82574 from user space, inside the lab.
 *
 * usage: iovirt-lab-vfio-loopback BDF
 *
 * Opens BDF (bound to vfio-pci) through vfio_kernel_open, maps one DMA
 * buffer, resets the NIC, puts it in MAC loopback (RCTL.LBM), sets up one
 * legacy TX and one legacy RX ring, sends one frame and expects it back in
 * the mapped buffer, with MSI-X vector 0 bound to an eventfd that must fire.
 * Each step prints "ok WHAT" or "FAIL WHAT: why" on its own line (the lab
 * scenario turns them into checks); exit status 1 when any step failed.
 *
 * Register offsets and bits are the 82574's (Intel 82574 GbE Controller
 * Family datasheet, chapters 10 and 7).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/vfio.h>

#include "vfio-dev.h"
#include "vfio-kernel.h"

/* 82574 registers (BAR0). */
enum {
	REG_CTRL = 0x0000, REG_STATUS = 0x0008, REG_CTRL_EXT = 0x0018,
	REG_ICR = 0x00c0, REG_ICS = 0x00c8, REG_IMS = 0x00d0, REG_IMC = 0x00d8, REG_IVAR = 0x00e4,
	REG_RCTL = 0x0100, REG_TCTL = 0x0400, REG_TIPG = 0x0410,
	REG_RDBAL = 0x2800, REG_RDBAH = 0x2804, REG_RDLEN = 0x2808, REG_RDH = 0x2810,
	REG_RDT = 0x2818,
	REG_TDBAL = 0x3800, REG_TDBAH = 0x3804, REG_TDLEN = 0x3808, REG_TDH = 0x3810,
	REG_TDT = 0x3818,
};

#define CTRL_SLU        (1u << 6)
#define CTRL_RST        (1u << 26)
#define STATUS_LU       (1u << 1)
#define CTRL_EXT_PBA    (1u << 31)       /* PBA support: required with MSI-X */
#define RCTL_EN         (1u << 1)
#define RCTL_UPE        (1u << 3)
#define RCTL_MPE        (1u << 4)
#define RCTL_LBM_MAC    (1u << 6)        /* LBM = 01b: MAC loopback */
#define RCTL_BAM        (1u << 15)
#define RCTL_SECRC      (1u << 26)
#define TCTL_EN         (1u << 1)
#define TCTL_PSP        (1u << 3)
#define TCTL_CT         (0x0fu << 4)
#define TCTL_COLD       (0x3fu << 12)
#define ICR_TXDW        (1u << 0)
#define ICR_LSC         (1u << 2)
#define ICR_RXT0        (1u << 7)
#define ICR_RXQ0        (1u << 20)
#define ICR_TXQ0        (1u << 22)
#define ICR_OTHER       (1u << 24)
/* IVAR: a 4-bit entry per cause (3-bit vector, valid bit): RxQ0, RxQ1, TxQ0, TxQ1, other. */
#define IVAR_VALID      0x8u
#define IVAR_ALL_TO_0   (IVAR_VALID << 0 | IVAR_VALID << 8 | IVAR_VALID << 16)
#define TXD_CMD_EOP     0x01u
#define TXD_CMD_IFCS    0x02u
#define TXD_CMD_RS      0x08u
#define DESC_DD         0x01u
#define RXD_EOP         0x02u

#define PCI_COMMAND     0x04
#define PCI_CMD_MEM     0x2
#define PCI_CMD_MASTER  0x4

/* The DMA buffer: TX ring, RX ring, TX frame, RX buffers. */
#define RING_N          8
#define DMA_SIZE        0x10000
#define DMA_IOVA        0x10000000ull
#define OFF_TX_RING     0x0000
#define OFF_RX_RING     0x1000
#define OFF_TX_BUF      0x2000
#define OFF_RX_BUF      0x4000
#define RX_BUF_SIZE     2048
#define FRAME_LEN       64

struct tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso, cmd, status, css;
	uint16_t special;
};

struct rx_desc {
	uint64_t addr;
	uint16_t length, csum;
	uint8_t status, errors;
	uint16_t special;
};

static int failures;

static void step(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void step(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	failures += !ok;
}

static uint32_t reg_read(struct vfio_dev *d, uint32_t off)
{
	uint32_t v = 0xffffffffu;

	if (vfio_dev_region_read(d, VFIO_PCI_BAR0_REGION_INDEX, off, &v, 4) != 4)
		fprintf(stderr, "loopback: read of register 0x%x failed\n", off);
	return v;
}

static void reg_write(struct vfio_dev *d, uint32_t off, uint32_t v)
{
	if (vfio_dev_region_write(d, VFIO_PCI_BAR0_REGION_INDEX, off, &v, 4) != 4)
		fprintf(stderr, "loopback: write of register 0x%x failed\n", off);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Poll *p (DMA memory the NIC writes) for bit, up to secs seconds. */
static int wait_status(volatile uint8_t *p, uint8_t bit, double secs)
{
	double end = now_s() + secs;

	while (!(*p & bit)) {
		if (now_s() > end)
			return -ETIMEDOUT;
		usleep(1000);
	}
	return 0;
}

static int wait_reg(struct vfio_dev *d, uint32_t off, uint32_t mask, uint32_t want, double secs)
{
	double end = now_s() + secs;

	while ((reg_read(d, off) & mask) != want) {
		if (now_s() > end)
			return -ETIMEDOUT;
		usleep(10000);
	}
	return 0;
}

static void check_second_open_busy(const char *bdf)
{
	struct vfio_dev *again = NULL;
	char why[256], pid[32];
	int ret;

	ret = vfio_kernel_open(bdf, NULL, &again, why, sizeof(why));
	snprintf(pid, sizeof(pid), "PID %d", (int)getpid());
	step(ret == -EBUSY && strstr(why, pid) != NULL,
	     "a second open of the group gets -EBUSY naming this process: %d, \"%s\"", ret, why);
	vfio_dev_close(again);
}

static void check_regions(struct vfio_dev *d, struct vfio_dev_irq *msix)
{
	struct vfio_dev_region bar0, cfg;
	uint32_t via_mmap = 0, via_read;
	void *map = NULL;
	int ret;

	ret = vfio_dev_region_info(d, VFIO_PCI_BAR0_REGION_INDEX, &bar0);
	step(!ret && bar0.size >= 0x20000 && bar0.mmappable,
	     "BAR0: %llu bytes, mmappable %d, %u area(s)", (unsigned long long)bar0.size,
	     bar0.mmappable, bar0.n_areas);
	ret = vfio_dev_region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &cfg);
	step(!ret && cfg.size >= 256 && cfg.readable && cfg.writable, "config region: %llu bytes",
	     (unsigned long long)cfg.size);
	ret = vfio_dev_irq_info(d, VFIO_PCI_MSIX_IRQ_INDEX, msix);
	step(!ret && msix->count > 0 && msix->eventfd, "MSI-X: %u vectors, eventfd %d",
	     msix->count, msix->eventfd);
	if (!bar0.mmappable || !bar0.n_areas)
		return;
	ret = vfio_dev_region_mmap(d, VFIO_PCI_BAR0_REGION_INDEX, bar0.areas[0].offset,
				   0x1000, &map);
	if (!ret) {
		via_mmap = ((volatile uint32_t *)map)[REG_STATUS / 4];
		munmap(map, 0x1000);
	}
	via_read = reg_read(d, REG_STATUS);
	step(!ret && via_mmap == via_read, "BAR0 mmap reads STATUS 0x%08x as pread does (0x%08x)",
	     via_mmap, via_read);
}

static void enable_bus_master(struct vfio_dev *d)
{
	uint16_t cmd = 0;
	ssize_t n;

	n = vfio_dev_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND, &cmd, 2);
	cmd |= PCI_CMD_MEM | PCI_CMD_MASTER;
	if (n == 2)
		n = vfio_dev_region_write(d, VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND, &cmd, 2);
	step(n == 2, "memory space and bus master enabled (command 0x%04x)", cmd);
}

static void nic_reset(struct vfio_dev *d)
{
	enum vfio_dev_reset_kind how;
	int ret;

	ret = vfio_dev_reset(d, &how);
	step(!ret, "device reset through VFIO: %s (%d)", vfio_dev_reset_kind_name(how), ret);
	enable_bus_master(d);
	reg_write(d, REG_IMC, 0xffffffffu);
	reg_write(d, REG_CTRL, reg_read(d, REG_CTRL) | CTRL_RST);
	usleep(20000);
	ret = wait_reg(d, REG_CTRL, CTRL_RST, 0, 2);
	reg_write(d, REG_IMC, 0xffffffffu);
	(void)reg_read(d, REG_ICR);
	step(!ret, "82574 software reset (CTRL.RST) completes");
	reg_write(d, REG_CTRL, reg_read(d, REG_CTRL) | CTRL_SLU);
	ret = wait_reg(d, REG_STATUS, STATUS_LU, STATUS_LU, 15);
	step(!ret, "link up (STATUS 0x%08x)", reg_read(d, REG_STATUS));
}

static void rings_setup(struct vfio_dev *d, uint8_t *buf)
{
	struct rx_desc *rx = (void *)(buf + OFF_RX_RING);

	memset(buf, 0, DMA_SIZE);
	for (unsigned i = 0; i < RING_N; i++)
		rx[i].addr = DMA_IOVA + OFF_RX_BUF + i * RX_BUF_SIZE;
	reg_write(d, REG_TDBAL, (uint32_t)(DMA_IOVA + OFF_TX_RING));
	reg_write(d, REG_TDBAH, (uint32_t)((DMA_IOVA + OFF_TX_RING) >> 32));
	reg_write(d, REG_TDLEN, RING_N * sizeof(struct tx_desc));
	reg_write(d, REG_TDH, 0);
	reg_write(d, REG_TDT, 0);
	reg_write(d, REG_RDBAL, (uint32_t)(DMA_IOVA + OFF_RX_RING));
	reg_write(d, REG_RDBAH, (uint32_t)((DMA_IOVA + OFF_RX_RING) >> 32));
	reg_write(d, REG_RDLEN, RING_N * sizeof(struct rx_desc));
	reg_write(d, REG_RDH, 0);
	reg_write(d, REG_RDT, RING_N - 1);
	reg_write(d, REG_TIPG, 0x00702008);
	reg_write(d, REG_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD);
	reg_write(d, REG_RCTL, RCTL_EN | RCTL_UPE | RCTL_MPE | RCTL_BAM | RCTL_LBM_MAC | RCTL_SECRC);
	step((reg_read(d, REG_RCTL) & (3u << 6)) == RCTL_LBM_MAC,
	     "MAC loopback set (RCTL 0x%08x), rings of %u legacy descriptors", reg_read(d, REG_RCTL),
	     RING_N);
}

static int msix_setup(struct vfio_dev *d, const struct vfio_dev_irq *msix)
{
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), ret;
	uint64_t drain;

	if (efd < 0 || msix->count == 0) {
		step(0, "MSI-X vector 0 bound to an eventfd: %s", efd < 0 ? strerror(errno) : "none");
		return efd;
	}
	ret = vfio_dev_irq_set_eventfds(d, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, &efd);
	step(!ret, "MSI-X vector 0 bound to an eventfd (%d)", ret);
	reg_write(d, REG_IVAR, IVAR_ALL_TO_0);
	reg_write(d, REG_CTRL_EXT, reg_read(d, REG_CTRL_EXT) | CTRL_EXT_PBA);
	(void)reg_read(d, REG_ICR);
	while (read(efd, &drain, sizeof(drain)) == sizeof(drain))
		;
	reg_write(d, REG_IMS, ICR_RXQ0 | ICR_TXQ0 | ICR_OTHER | ICR_TXDW | ICR_RXT0);
	return efd;
}

static void frame_fill(uint8_t *f)
{
	static const uint8_t hdr[14] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,     /* broadcast */
		0x52, 0x54, 0x00, 0x1a, 0xb0, 0x01,
		0x88, 0xb5,                             /* local experimental EtherType */
	};

	memcpy(f, hdr, sizeof(hdr));
	for (unsigned i = sizeof(hdr); i < FRAME_LEN; i++)
		f[i] = (uint8_t)(i * 7 + 3);
	memcpy(f + sizeof(hdr), "iovirt vfio loopback", 20);
}

static void send_and_receive(struct vfio_dev *d, uint8_t *buf, int efd)
{
	volatile struct tx_desc *tx = (void *)(buf + OFF_TX_RING);
	volatile struct rx_desc *rx = (void *)(buf + OFF_RX_RING);
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint8_t *frame = buf + OFF_TX_BUF;
	uint64_t count = 0;
	int ret;

	frame_fill(frame);
	tx[0].addr = DMA_IOVA + OFF_TX_BUF;
	tx[0].length = FRAME_LEN;
	tx[0].cmd = TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS;
	__sync_synchronize();
	reg_write(d, REG_TDT, 1);
	ret = wait_status(&tx[0].status, DESC_DD, 10);
	step(!ret, "TX descriptor written back by the NIC (TDH %u)", reg_read(d, REG_TDH));
	ret = wait_status(&rx[0].status, DESC_DD, 10);
	step(!ret && (rx[0].status & RXD_EOP) && rx[0].length >= FRAME_LEN,
	     "RX descriptor written back: length %u, status 0x%02x, errors 0x%02x", rx[0].length,
	     rx[0].status, rx[0].errors);
	step(!ret && !memcmp(buf + OFF_RX_BUF, frame, FRAME_LEN),
	     "the %u-byte frame arrived in the mapped RX buffer unchanged", FRAME_LEN);
	if (efd < 0)
		return;
	ret = poll(&pfd, 1, 5000);
	if (ret == 1 && read(efd, &count, sizeof(count)) != sizeof(count))
		count = 0;
	step(ret == 1 && count > 0, "MSI-X vector 0 fired on its eventfd (count %llu, ICR 0x%08x)",
	     (unsigned long long)count, reg_read(d, REG_ICR));
}

/* Wait up to ms for efd; its count, 0 on timeout. */
static uint64_t efd_wait(int efd, int ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t count = 0;

	if (poll(&pfd, 1, ms) == 1 && read(efd, &count, sizeof(count)) != sizeof(count))
		count = 0;
	return count;
}

/* Raise a link-status-change cause from software (ICS): a level interrupt while unacked. */
static void intx_raise(struct vfio_dev *d)
{
	reg_write(d, REG_ICS, ICR_LSC);
}

/*
 * INTx through VFIO, with MSI-X off: each interrupt arrives on the trigger
 * eventfd and leaves the line masked; an unmask (direct, then through an
 * unmask eventfd) lets the next one through.
 */
static void check_intx(struct vfio_dev *d)
{
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int ufd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	struct vfio_dev_irq intx = { 0 };
	uint64_t one = 1, n1, n2, masked, n3;
	int ret;

	ret = vfio_dev_irq_info(d, VFIO_PCI_INTX_IRQ_INDEX, &intx);
	step(!ret && intx.count == 1 && intx.eventfd && intx.maskable,
	     "INTx: %u line, eventfd %d, maskable %d, automasked %d", intx.count, intx.eventfd,
	     intx.maskable, intx.automasked);
	reg_write(d, REG_IMC, 0xffffffffu);
	(void)reg_read(d, REG_ICR);
	ret = vfio_dev_irq_set_eventfds(d, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &efd);
	step(!ret, "INTx bound to an eventfd (%d)", ret);
	reg_write(d, REG_IMS, ICR_LSC);
	intx_raise(d);
	n1 = efd_wait(efd, 5000);
	(void)reg_read(d, REG_ICR);
	ret = vfio_dev_irq_unmask(d, VFIO_PCI_INTX_IRQ_INDEX, -1);
	intx_raise(d);
	n2 = efd_wait(efd, 5000);
	step(n1 && !ret && n2, "INTx fires on its eventfd, and again after an unmask (%d)", ret);
	(void)reg_read(d, REG_ICR);
	ret = vfio_dev_irq_unmask(d, VFIO_PCI_INTX_IRQ_INDEX, ufd);
	intx_raise(d);
	masked = efd_wait(efd, 300);
	if (write(ufd, &one, sizeof(one)) != sizeof(one))
		ret = -errno;
	n3 = efd_wait(efd, 5000);
	step(!ret && !masked && n3,
	     "INTx stays masked until its unmask eventfd is signalled (%d; %llu, %llu)", ret,
	     (unsigned long long)masked, (unsigned long long)n3);
	(void)reg_read(d, REG_ICR);
	reg_write(d, REG_IMC, 0xffffffffu);
	ret = vfio_dev_irq_mask(d, VFIO_PCI_INTX_IRQ_INDEX);
	if (!ret)
		ret = vfio_dev_irq_set_eventfds(d, VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NULL);
	step(!ret, "INTx masked and disabled (%d)", ret);
	close(ufd);
	close(efd);
}

/* Give up CAP_IPC_LOCK, which lets root pin without limit. */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	data[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/*
 * Without CAP_IPC_LOCK and with RLIMIT_MEMLOCK below what a second buffer
 * needs, the kernel refuses to pin it: -ENOMEM, and nothing is counted.
 */
static void check_memlock_refusal(struct vfio_dev *d)
{
	const size_t size = 1u << 20;
	struct rlimit lim = { .rlim_cur = 2 * DMA_SIZE, .rlim_max = 2 * DMA_SIZE };
	unsigned before = d->dma.mappings;
	void *big;
	int ret;

	big = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED || drop_ipc_lock() || setrlimit(RLIMIT_MEMLOCK, &lim)) {
		step(0, "RLIMIT_MEMLOCK set to %u bytes without CAP_IPC_LOCK: %s", 2 * DMA_SIZE,
		     strerror(errno));
		return;
	}
	memset(big, 1, size);
	ret = vfio_dev_dma_map(d, DMA_IOVA + 0x1000000, big, size, true);
	step(ret == -ENOMEM && d->dma.mappings == before,
	     "mapping 1 MiB beyond RLIMIT_MEMLOCK (%u bytes) fails with -ENOMEM (%d), not counted",
	     2 * DMA_SIZE, ret);
	if (!ret && vfio_dev_dma_unmap(d, DMA_IOVA + 0x1000000, size))
		step(0, "unmapping the 1 MiB buffer mapped in spite of the limit");
	munmap(big, size);
}

static void teardown(struct vfio_dev *d, uint8_t *buf, int efd)
{
	int ret;

	reg_write(d, REG_IMC, 0xffffffffu);
	reg_write(d, REG_RCTL, 0);
	reg_write(d, REG_TCTL, 0);
	if (efd >= 0) {
		ret = vfio_dev_irq_set_eventfds(d, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL);
		step(!ret, "MSI-X disabled (%d)", ret);
		close(efd);
	}
	check_intx(d);
	ret = vfio_dev_dma_unmap(d, DMA_IOVA, DMA_SIZE);
	step(!ret && d->dma.mappings == 0 && d->dma.bytes == 0,
	     "DMA buffer unmapped (%d; %u mappings, %llu bytes left)", ret, d->dma.mappings,
	     (unsigned long long)d->dma.bytes);
	vfio_dev_close(d);
	munmap(buf, DMA_SIZE);
}

int main(int argc, char **argv)
{
	struct vfio_dev_irq msix = { 0 };
	struct vfio_dev *d = NULL;
	char why[256];
	uint8_t *buf;
	int ret, efd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BDF\n", argv[0]);
		return 2;
	}
	ret = vfio_kernel_open(argv[1], NULL, &d, why, sizeof(why));
	step(!ret, "vfio_kernel_open %s: %d %s", argv[1], ret, why);
	if (ret)
		return 1;
	step(d->dma.limit > 0, "dma_avail read from VFIO_IOMMU_GET_INFO: limit %u mappings",
	     d->dma.limit);
	check_second_open_busy(argv[1]);
	check_regions(d, &msix);
	buf = mmap(NULL, DMA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	ret = vfio_dev_dma_map(d, DMA_IOVA, buf, DMA_SIZE, true);
	step(!ret && d->dma.mappings == 1 && d->dma.bytes == DMA_SIZE,
	     "DMA buffer of %u bytes mapped at IOVA 0x%llx (%d)", DMA_SIZE,
	     (unsigned long long)DMA_IOVA, ret);
	nic_reset(d);
	rings_setup(d, buf);
	efd = msix_setup(d, &msix);
	send_and_receive(d, buf, efd);
	check_memlock_refusal(d);
	teardown(d, buf, efd);
	return failures ? 1 : 0;
}
