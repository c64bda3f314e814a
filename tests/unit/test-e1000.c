/*
 * The e1000 (82540EM) model without a VM: registers through its BAR hooks,
 * DMA into malloc'd guest RAM, frames through a fake back-end kept in this
 * file. Register offsets and bit values are written out from the datasheet
 * here rather than taken from the model's headers, so that a misreading is
 * not shared by both sides.
 *
 * A watchdog (alarm) turns any hang into a failure.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "e1000.h"
#include "guest-mem.h"
#include "net-backend.h"
#include "pci.h"

/* Registers (datasheet offsets). */
#define CTRL     0x0000
#define STATUS   0x0008
#define EECD     0x0010
#define EERD     0x0014
#define MDIC     0x0020
#define VET      0x0038
#define ICR      0x00c0
#define ITR      0x00c4
#define ICS      0x00c8
#define IMS      0x00d0
#define IMC      0x00d8
#define RCTL     0x0100
#define TCTL     0x0400
#define LEDCTL   0x0e00
#define PBA      0x1000
#define RDBAL    0x2800
#define RDBAH    0x2804
#define RDLEN    0x2808
#define RDH      0x2810
#define RDT      0x2818
#define RDTR     0x2820
#define RADV     0x282c
#define TDBAL    0x3800
#define TDBAH    0x3804
#define TDLEN    0x3808
#define TDH      0x3810
#define TDT      0x3818
#define TIDV     0x3820
#define TADV     0x382c
#define CRCERRS  0x4000
#define MPC      0x4010
#define GPRC     0x4074
#define BPRC     0x4078
#define MPRC     0x407c
#define GPTC     0x4080
#define GORCL    0x4088
#define GOTCL    0x4090
#define GOTCH    0x4094
#define RNBC     0x40a0
#define RUC      0x40a4
#define ROC      0x40ac
#define TPR      0x40d0
#define TPT      0x40d4
#define TSCTC    0x40f8
#define TSCTFC   0x40fc
#define MTA(i)   (0x5200 + 4 * (i))
#define RAL(i)   (0x5400 + 8 * (i))
#define RAH(i)   (0x5404 + 8 * (i))
#define VFTA(i)  (0x5600 + 4 * (i))

#define ICR_TXDW   0x01u
#define ICR_TXQE   0x02u
#define ICR_LSC    0x04u
#define ICR_RXDMT0 0x10u
#define ICR_RXT0   0x80u
#define ICR_MDAC   0x200u

#define RCTL_EN    (1u << 1)
#define RCTL_UPE   (1u << 3)
#define RCTL_MPE   (1u << 4)
#define RCTL_LPE   (1u << 5)
#define RCTL_LBM_MAC (1u << 6)
#define RCTL_BAM   (1u << 15)
#define RCTL_BSIZE_256 (3u << 16)
#define RCTL_VFE   (1u << 18)
#define RCTL_SECRC (1u << 26)
#define TCTL_EN    (1u << 1)
#define TCTL_PSP   (1u << 3)
#define CTRL_RST   (1u << 26)
#define CTRL_VME   (1u << 30)

#define TXD_EOP  0x01
#define TXD_IC   0x04
#define TXD_TSE  0x04
#define TXD_RS   0x08
#define TXD_DEXT 0x20
#define TXD_VLE  0x40
#define TXD_IDE  0x80
#define POPTS_IXSM 0x01
#define POPTS_TXSM 0x02
#define TUCMD_TCP 0x01
#define TUCMD_IP  0x02
#define TUCMD_TSE 0x04

/* Guest RAM: one region; rings and buffers at fixed places. */
#define RAM_BASE  0x100000ull
#define RAM_SIZE  (1u << 20)
#define TX_RING   (RAM_BASE + 0x0000)
#define RX_RING   (RAM_BASE + 0x2000)
#define TX_BUF    (RAM_BASE + 0x10000)
#define RX_BUF    (RAM_BASE + 0x40000)
#define RX_BUFSZ  2048

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
static const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0x11, 0x22, 0x33 };

/* --- the fake back-end --- */

#define FB_FRAMES 64
#define FB_FRAME  20000

struct fake_be {
	struct net_backend be;      /* first: net_backend_close() may free(be) */
	pthread_mutex_t lock;
	uint8_t *tx;                /* FB_FRAMES frames of FB_FRAME bytes */
	size_t tx_len[FB_FRAMES];
	unsigned ntx;
	uint8_t *rx;
	size_t rx_len[FB_FRAMES];
	unsigned rx_head, rx_tail;
	unsigned recv_calls;
	bool *closed;
};

static ssize_t fb_send(struct net_backend *be, const struct iovec *iov, int n)
{
	struct fake_be *fb = (struct fake_be *)be;
	size_t len = 0;
	uint8_t *dst;

	pthread_mutex_lock(&fb->lock);
	if (fb->ntx == FB_FRAMES) {
		pthread_mutex_unlock(&fb->lock);
		return -EAGAIN;
	}
	dst = fb->tx + (size_t)fb->ntx * FB_FRAME;
	for (int i = 0; i < n; i++) {
		assert_true(len + iov[i].iov_len <= FB_FRAME);
		memcpy(dst + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	fb->tx_len[fb->ntx++] = len;
	pthread_mutex_unlock(&fb->lock);
	return len;
}

static ssize_t fb_recv(struct net_backend *be, const struct iovec *iov, int n)
{
	struct fake_be *fb = (struct fake_be *)be;
	ssize_t ret;
	uint64_t v;

	pthread_mutex_lock(&fb->lock);
	fb->recv_calls++;
	if (fb->rx_head == fb->rx_tail) {
		ret = -EAGAIN;
	} else {
		unsigned i = fb->rx_head++ % FB_FRAMES;

		ret = fb->rx_len[i];
		if ((size_t)ret > iov[0].iov_len)
			ret = -EMSGSIZE;
		else
			memcpy(iov[0].iov_base, fb->rx + (size_t)i * FB_FRAME, ret);
		if (fb->rx_head == fb->rx_tail && read(be->poll_fd, &v, sizeof(v)) < 0)
			ret = -EIO;
	}
	pthread_mutex_unlock(&fb->lock);
	return ret;
}

static ssize_t fb_peek_len(struct net_backend *be)
{
	struct fake_be *fb = (struct fake_be *)be;
	ssize_t ret;

	pthread_mutex_lock(&fb->lock);
	ret = fb->rx_head == fb->rx_tail ? 0 : (ssize_t)fb->rx_len[fb->rx_head % FB_FRAMES];
	pthread_mutex_unlock(&fb->lock);
	return ret;
}

static void fb_close(struct net_backend *be)
{
	struct fake_be *fb = (struct fake_be *)be;

	if (fb->closed)
		*fb->closed = true;
	close(be->poll_fd);
	free(fb->tx);
	free(fb->rx);
	pthread_mutex_destroy(&fb->lock);
}

static const struct net_backend_ops fb_ops = {
	.name = "fake", .send = fb_send, .recv = fb_recv, .peek_len = fb_peek_len, .close = fb_close,
};

static struct fake_be *fb_new(void)
{
	struct fake_be *fb = calloc(1, sizeof(*fb));

	assert_non_null(fb);
	fb->be.ops = &fb_ops;
	fb->be.link_up = true;
	fb->be.poll_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	fb->tx = malloc((size_t)FB_FRAMES * FB_FRAME);
	fb->rx = malloc((size_t)FB_FRAMES * FB_FRAME);
	assert_true(fb->be.poll_fd >= 0 && fb->tx && fb->rx);
	pthread_mutex_init(&fb->lock, NULL);
	return fb;
}

static void fb_push(struct fake_be *fb, const void *frame, size_t len)
{
	uint64_t one = 1;
	unsigned i;

	pthread_mutex_lock(&fb->lock);
	assert_true(fb->rx_tail - fb->rx_head < FB_FRAMES && len <= FB_FRAME);
	i = fb->rx_tail++ % FB_FRAMES;
	memcpy(fb->rx + (size_t)i * FB_FRAME, frame, len);
	fb->rx_len[i] = len;
	pthread_mutex_unlock(&fb->lock);
	assert_int_equal(write(fb->be.poll_fd, &one, sizeof(one)), sizeof(one));
}

static unsigned fb_waiting(struct fake_be *fb)
{
	unsigned n;

	pthread_mutex_lock(&fb->lock);
	n = fb->rx_tail - fb->rx_head;
	pthread_mutex_unlock(&fb->lock);
	return n;
}

static const uint8_t *fb_tx(struct fake_be *fb, unsigned i)
{
	return fb->tx + (size_t)i * FB_FRAME;
}

/* --- the test environment --- */

struct env {
	struct guest_mem mem;
	uint8_t *ram;
	uint8_t *shadow;     /* RAM as it should be outside the areas a test names */
	struct fake_be *fb;
	struct pci_device *dev;
	bool be_closed;
};

static uint64_t fake_now;

static uint64_t fake_clock(void *opaque)
{
	return fake_now;
}

/* The command register as a driver writes it: memory decoding, and Bus Master Enable when on. */
static void bus_master(struct env *e, bool on)
{
	pci_device_cfg_write(e->dev, PCI_COMMAND, 2,
			     PCI_COMMAND_MEMORY | (on ? PCI_COMMAND_MASTER : 0));
}

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->ram = calloc(1, RAM_SIZE);
	e->shadow = malloc(RAM_SIZE);
	assert_non_null(e->ram);
	for (size_t i = 0; i < RAM_SIZE; i++)
		e->ram[i] = (uint8_t)(i * 7 + 3);
	memcpy(e->shadow, e->ram, RAM_SIZE);
	assert_int_equal(guest_mem_add(&e->mem, RAM_BASE, RAM_SIZE, e->ram, -1, 0), 0);
	e->fb = fb_new();
	e->fb->closed = &e->be_closed;
	assert_int_equal(e1000_new(&e->mem, &e->fb->be, our_mac, &e->dev), 0);
	fake_now = 1000000000ull;
	e1000_set_clock(e->dev, fake_clock, NULL);
	bus_master(e, true);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	e1000_destroy(e->dev);
	assert_true(e->be_closed);
	free(e->ram);
	free(e->shadow);
	free(e);
	return 0;
}

static void wr(struct env *e, uint32_t off, uint32_t v)
{
	e->dev->ops->bar_write(e->dev, 0, off, (const uint8_t *)&v, 4);
}

static uint32_t rd(struct env *e, uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	e->dev->ops->bar_read(e->dev, 0, off, (uint8_t *)&v, 4);
	return v;
}

static uint8_t *gpa(struct env *e, uint64_t a)
{
	return e->ram + (a - RAM_BASE);
}

/* Declare [a, a + len) as written by the device: the shadow follows RAM there. */
static void allow(struct env *e, uint64_t a, size_t len)
{
	memcpy(e->shadow + (a - RAM_BASE), gpa(e, a), len);
}

static void assert_ram_untouched(struct env *e)
{
	for (size_t i = 0; i < RAM_SIZE; i++)
		if (e->ram[i] != e->shadow[i])
			fail_msg("guest RAM changed at 0x%llx", (unsigned long long)(RAM_BASE + i));
}

static void put16le(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32le(uint8_t *p, uint32_t v)
{
	put16le(p, v);
	put16le(p + 2, v >> 16);
}

static void put64le(uint8_t *p, uint64_t v)
{
	put32le(p, v);
	put32le(p + 4, v >> 32);
}

static void put16be(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static uint16_t get16be(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static uint32_t get32be(const uint8_t *p)
{
	return (uint32_t)get16be(p) << 16 | get16be(p + 2);
}

/* RFC 1071, written independently of the model's. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i < len; i++)
		sum += i & 1 ? p[i] : p[i] << 8;
	return sum;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* --- descriptors --- */

static uint8_t *txd(struct env *e, unsigned i)
{
	return gpa(e, TX_RING + 16 * i);
}

static void txd_legacy(struct env *e, unsigned i, uint64_t addr, uint16_t len, uint8_t cmd,
		       uint8_t cso, uint8_t css, uint16_t special)
{
	uint8_t *d = txd(e, i);

	put64le(d, addr);
	put16le(d + 8, len);
	d[10] = cso;
	d[11] = cmd;
	d[12] = 0;
	d[13] = css;
	put16le(d + 14, special);
}

static void txd_ctx(struct env *e, unsigned i, const uint8_t css[4], uint16_t ipcse, uint16_t tucse,
		    uint32_t paylen, uint8_t tucmd, uint8_t hdrlen, uint16_t mss)
{
	uint8_t *d = txd(e, i);

	d[0] = css[0];  /* ipcss */
	d[1] = css[1];  /* ipcso */
	put16le(d + 2, ipcse);
	d[4] = css[2];  /* tucss */
	d[5] = css[3];  /* tucso */
	put16le(d + 6, tucse);
	put32le(d + 8, paylen | 0u << 20 | (uint32_t)(tucmd | TXD_DEXT) << 24);
	put32le(d + 12, (uint32_t)hdrlen << 8 | (uint32_t)mss << 16);
}

static void txd_data(struct env *e, unsigned i, uint64_t addr, uint32_t len, uint8_t dcmd,
		     uint8_t popts, uint16_t special)
{
	uint8_t *d = txd(e, i);

	put64le(d, addr);
	put32le(d + 8, len | 1u << 20 | (uint32_t)(dcmd | TXD_DEXT) << 24);
	put32le(d + 12, (uint32_t)popts << 8 | (uint32_t)special << 16);
}

static void tx_setup(struct env *e, unsigned ndesc)
{
	wr(e, TDBAL, (uint32_t)TX_RING);
	wr(e, TDBAH, 0);
	wr(e, TDLEN, ndesc * 16);
	wr(e, TDH, 0);
	wr(e, TDT, 0);
	wr(e, TCTL, TCTL_EN | TCTL_PSP);
}

static void rx_setup(struct env *e, unsigned ndesc, uint32_t rctl)
{
	for (unsigned i = 0; i < ndesc; i++) {
		uint8_t *d = gpa(e, RX_RING + 16 * i);

		memset(d, 0, 16);
		put64le(d, RX_BUF + (uint64_t)i * RX_BUFSZ);
	}
	wr(e, RDBAL, (uint32_t)RX_RING);
	wr(e, RDBAH, 0);
	wr(e, RDLEN, ndesc * 16);
	wr(e, RDH, 0);
	wr(e, RDT, ndesc - 1);
	/* The snapshot comes before receive is enabled: a running I/O thread may DMA at once. */
	memcpy(e->shadow, e->ram, RAM_SIZE);
	wr(e, RCTL, RCTL_EN | RCTL_SECRC | rctl);
}

static const uint8_t *rxd(struct env *e, unsigned i)
{
	return gpa(e, RX_RING + 16 * i);
}

static size_t make_frame(uint8_t *f, const uint8_t dst[6], uint16_t type, size_t len)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, peer_mac, 6);
	put16be(f + 12, type);
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(i ^ 0x5a);
	return len;
}

/* --- registers --- */

static void test_reset_values(void **state)
{
	struct env *e = *state;

	assert_int_equal(rd(e, STATUS), 0x283);          /* FD, LU, 1000 Mb/s, ASDV 1000 */
	assert_int_equal(rd(e, EECD) & 0x300, 0x100);    /* present, 64-word Microwire */
	assert_int_equal(rd(e, VET), 0x8100);
	assert_int_equal(rd(e, LEDCTL), 0x07068302);
	assert_int_equal(rd(e, PBA), 0x00100030);
	assert_int_equal(rd(e, MDIC) & 0x10000000, 0x10000000);
	assert_int_equal(rd(e, RAL(0)), 0xaa005452);
	assert_int_equal(rd(e, RAH(0)), 0x8000ccbb);     /* AV */
	assert_int_equal(rd(e, RAH(1)), 0);
	assert_int_equal(rd(e, RCTL), 0);
	assert_int_equal(rd(e, IMS), 0);

	wr(e, RDLEN, 0x1000);
	wr(e, IMS, 0xffffffff);
	wr(e, MTA(5), 0x1234);
	wr(e, RAH(0), 0);
	wr(e, CTRL, CTRL_RST);
	assert_int_equal(rd(e, RDLEN), 0);
	assert_int_equal(rd(e, IMS), 0);
	assert_int_equal(rd(e, MTA(5)), 0);
	assert_int_equal(rd(e, RAH(0)), 0x8000ccbb);
	assert_int_equal(rd(e, CTRL) & CTRL_RST, 0);     /* self-clearing */

	/* The core's reset path does the same. */
	wr(e, RDLEN, 0x1000);
	e->dev->ops->quiesce(e->dev);
	e->dev->ops->reset(e->dev);
	assert_int_equal(rd(e, RDLEN), 0);
}

static void test_write_masks(void **state)
{
	struct env *e = *state;

	wr(e, RDLEN, 0xffffffff);
	assert_int_equal(rd(e, RDLEN), 0x000fff80);      /* 128-byte multiples */
	wr(e, RDLEN, 0x13);                               /* not a multiple of 16 */
	assert_int_equal(rd(e, RDLEN), 0);
	wr(e, RDBAL, 0xffffffff);
	assert_int_equal(rd(e, RDBAL), 0xfffffff0);
	wr(e, TDH, 0xffffffff);
	assert_int_equal(rd(e, TDH), 0xffff);
	wr(e, RAH(3), 0xffffffff);
	assert_int_equal(rd(e, RAH(3)), 0x8003ffff);
	wr(e, STATUS, 0);
	assert_int_equal(rd(e, STATUS), 0x283);          /* read-only */
	wr(e, GPRC, 55);
	assert_int_equal(rd(e, GPRC), 0);                /* statistics are read-only */
	wr(e, ICS, 0);
	assert_int_equal(rd(e, ICS), 0);                 /* write-only */
}

static void test_unknown_and_partial_access(void **state)
{
	struct env *e = *state;
	struct e1000_counters c;
	uint8_t b[8];
	uint16_t h;

	assert_int_equal(rd(e, 0x0004), 0);              /* nothing decodes there */
	wr(e, 0x0004, 0x12345678);
	assert_int_equal(rd(e, 0x0004), 0);
	assert_int_equal(rd(e, 0x1fffc), 0);
	e1000_counters(e->dev, &c);
	assert_int_equal(c.unknown_reads, 3);
	assert_int_equal(c.unknown_writes, 1);

	e->dev->ops->bar_read(e->dev, 0, STATUS + 1, (uint8_t *)&h, 2);
	assert_int_equal(h, 0x0283 >> 8);
	e->dev->ops->bar_read(e->dev, 0, RAL(0), b, 8);  /* RAL0 and RAH0 at once */
	assert_memory_equal(b, our_mac, 6);
	e->dev->ops->bar_write(e->dev, 0, RDLEN, b, 2);  /* registers are 32-bit: ignored */
	e->dev->ops->bar_write(e->dev, 0, RDLEN + 1, b, 4);
	assert_int_equal(rd(e, RDLEN), 0);
	e1000_counters(e->dev, &c);
	assert_int_equal(c.bad_access, 2);
}

static void test_io_window(void **state)
{
	struct env *e = *state;
	uint32_t v = STATUS;

	e->dev->ops->bar_write(e->dev, 1, 0, (uint8_t *)&v, 4);
	v = 0;
	e->dev->ops->bar_read(e->dev, 1, 4, (uint8_t *)&v, 4);
	assert_int_equal(v, 0x283);
	wr(e, RDLEN, 0x400);
	v = CTRL;
	e->dev->ops->bar_write(e->dev, 1, 0, (uint8_t *)&v, 4);
	v = CTRL_RST;                                     /* how Linux resets an 82540EM */
	e->dev->ops->bar_write(e->dev, 1, 4, (uint8_t *)&v, 4);
	assert_int_equal(rd(e, RDLEN), 0);
}

static void test_dump(void **state)
{
	struct env *e = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	wr(e, ICS, ICR_TXDW);
	assert_int_equal(e1000_regs_dump(e->dev, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "CTRL"));
	assert_non_null(strstr(buf, "RAH     [  0] 0x05404 0x8000ccbb"));
	assert_non_null(strstr(buf, "TSCTFC"));
	assert_int_equal(rd(e, ICR), ICR_TXDW);           /* the dump had no read side effect */
	/* Every register the table holds has an offset of its own. */
	{
		static uint8_t seen[0x20000 / 4];
		unsigned n = 0;

		memset(seen, 0, sizeof(seen));
		for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
			char *hex = strstr(line, " 0x");
			unsigned long off;

			if (!strncmp(line, "PHY", 3))
				continue;
			assert_non_null(hex);
			off = strtoul(hex + 1, NULL, 16);
			assert_true(off < 0x20000 && off % 4 == 0);
			assert_false(seen[off / 4]);
			seen[off / 4] = 1;
			n++;
		}
		assert_true(n > 128 + 128 + 32 + 62);     /* MTA, VFTA, RA, statistics, the rest */
	}
	free(buf);
}

/* --- EEPROM and PHY --- */

static uint16_t eerd_read(struct env *e, unsigned addr)
{
	uint32_t v;

	wr(e, EERD, addr << 8 | 1);
	v = rd(e, EERD);
	assert_true(v & 0x10);                            /* DONE */
	assert_int_equal((v >> 8) & 0xff, addr);
	return v >> 16;
}

static void test_eeprom_eerd(void **state)
{
	struct env *e = *state;
	uint16_t sum = 0;

	for (unsigned i = 0; i < 64; i++)
		sum += eerd_read(e, i);
	assert_int_equal(sum, 0xbaba);
	assert_int_equal(eerd_read(e, 0), 0x5452);
	assert_int_equal(eerd_read(e, 1), 0xaa00);
	assert_int_equal(eerd_read(e, 2), 0xccbb);
	assert_int_equal(eerd_read(e, 200), 0xffff);      /* past the part */
}

/* The Microwire bit-bang the way Linux's e1000 driver does it. */
static void ee_write(struct env *e, uint32_t *eecd)
{
	wr(e, EECD, *eecd);
}

static void ee_clock(struct env *e, uint32_t *eecd)
{
	*eecd |= 1;                                       /* SK */
	ee_write(e, eecd);
	*eecd &= ~1u;
	ee_write(e, eecd);
}

static void ee_shift_out(struct env *e, uint32_t *eecd, uint16_t data, unsigned count)
{
	for (int bit = count - 1; bit >= 0; bit--) {
		*eecd = (*eecd & ~4u) | ((data >> bit) & 1 ? 4u : 0);   /* DI */
		ee_write(e, eecd);
		ee_clock(e, eecd);
	}
	*eecd &= ~4u;
	ee_write(e, eecd);
}

static uint16_t ee_shift_in(struct env *e, uint32_t *eecd)
{
	uint16_t data = 0;

	for (int i = 0; i < 16; i++) {
		*eecd |= 1;
		ee_write(e, eecd);
		data = data << 1 | ((rd(e, EECD) >> 3) & 1);  /* DO */
		*eecd &= ~1u;
		ee_write(e, eecd);
	}
	return data;
}

static void test_eeprom_bitbang(void **state)
{
	struct env *e = *state;
	uint32_t eecd = rd(e, EECD);
	uint16_t sum = 0;

	eecd |= 0x40;                                     /* REQ */
	ee_write(e, &eecd);
	assert_true(rd(e, EECD) & 0x80);                  /* GNT */
	for (unsigned i = 0; i < 64; i++) {
		eecd &= ~5u;
		ee_write(e, &eecd);
		eecd |= 2;                                /* CS */
		ee_write(e, &eecd);
		ee_shift_out(e, &eecd, 0x6, 3);           /* READ */
		ee_shift_out(e, &eecd, i, 6);
		uint16_t w = ee_shift_in(e, &eecd);
		assert_int_equal(w, eerd_read(e, i));
		sum += w;
		eecd &= ~3u;                              /* standby: CS low */
		ee_write(e, &eecd);
	}
	assert_int_equal(sum, 0xbaba);
	eecd &= ~0x40u;
	ee_write(e, &eecd);
	assert_false(rd(e, EECD) & 0x80);
}

static uint32_t mdic(struct env *e, unsigned phy, unsigned reg, unsigned op, uint16_t data)
{
	wr(e, MDIC, data | reg << 16 | phy << 21 | op << 26);
	return rd(e, MDIC);
}

static void test_mdic_phy(void **state)
{
	struct env *e = *state;
	uint32_t v;

	v = mdic(e, 1, 2, 2, 0);
	assert_true(v & (1u << 28));                      /* ready */
	assert_false(v & (1u << 30));
	assert_int_equal(v & 0xffff, 0x0141);
	assert_int_equal(mdic(e, 1, 3, 2, 0) & 0xfff0, 0x0c20);   /* M88E1011 */
	assert_int_equal(mdic(e, 1, 1, 2, 0) & 0xffff, 0x796d);   /* link, AN complete */
	assert_int_equal(mdic(e, 1, 17, 2, 0) & 0xffff, 0xac00);  /* 1000 full, resolved, link */
	mdic(e, 1, 4, 1, 0x01e1);
	assert_int_equal(mdic(e, 1, 4, 2, 0) & 0xffff, 0x01e1);
	mdic(e, 1, 0, 1, 0x1340);                         /* restart AN: self-clearing */
	assert_int_equal(mdic(e, 1, 0, 2, 0) & 0xffff, 0x1140);
	mdic(e, 1, 2, 1, 0xffff);                         /* ID is read-only */
	assert_int_equal(mdic(e, 1, 2, 2, 0) & 0xffff, 0x0141);
	v = mdic(e, 2, 1, 2, 0);                          /* no PHY at address 2 */
	assert_true(v & (1u << 30));
	wr(e, MDIC, 1u << 29 | 1 << 21 | 1 << 16 | 2u << 26);
	assert_int_equal(rd(e, ICR) & ICR_MDAC, ICR_MDAC);
}

static void test_link_change(void **state)
{
	struct env *e = *state;

	wr(e, IMS, ICR_LSC);
	e->fb->be.link_up = false;
	e1000_poll(e->dev);
	assert_int_equal(e->dev->intx_level, 1);
	assert_int_equal(rd(e, ICR), ICR_LSC);
	assert_int_equal(e->dev->intx_level, 0);
	assert_int_equal(rd(e, STATUS) & 2, 0);
	assert_int_equal(mdic(e, 1, 1, 2, 0) & 0x24, 0);
	e->fb->be.link_up = true;
	e1000_poll(e->dev);
	assert_int_equal(rd(e, ICR), ICR_LSC);
	assert_int_equal(rd(e, STATUS) & 2, 2);
}

/* --- interrupts --- */

static void test_icr_ims(void **state)
{
	struct env *e = *state;

	wr(e, ICS, ICR_TXDW | ICR_RXT0);
	assert_int_equal(e->dev->intx_level, 0);          /* masked */
	wr(e, IMS, ICR_RXT0);
	assert_int_equal(rd(e, IMS), ICR_RXT0);
	assert_int_equal(e->dev->intx_level, 1);
	wr(e, IMC, ICR_RXT0);
	assert_int_equal(e->dev->intx_level, 0);
	wr(e, IMS, ICR_RXT0 | ICR_TXDW);
	assert_int_equal(e->dev->intx_level, 1);
	wr(e, ICR, ICR_TXDW);                             /* write 1 to clear */
	assert_int_equal(e->dev->intx_level, 1);
	assert_int_equal(rd(e, ICR), ICR_RXT0);           /* read clears */
	assert_int_equal(e->dev->intx_level, 0);
	assert_int_equal(rd(e, ICR), 0);
	wr(e, ICS, 0xffffffff);
	assert_int_equal(rd(e, ICR), 0x0001fedf);         /* only defined causes */
}

static void test_itr(void **state)
{
	struct env *e = *state;

	wr(e, ITR, 1000);                                 /* 256 us */
	wr(e, IMS, ICR_TXDW);
	wr(e, ICS, ICR_TXDW);
	assert_int_equal(e->dev->intx_level, 1);
	rd(e, ICR);
	wr(e, ICS, ICR_TXDW);
	assert_int_equal(e->dev->intx_level, 0);          /* too soon */
	fake_now += 255999;
	e1000_poll(e->dev);
	assert_int_equal(e->dev->intx_level, 0);
	fake_now += 1;
	e1000_poll(e->dev);
	assert_int_equal(e->dev->intx_level, 1);
}

/* --- transmit --- */

/* Bus Master Enable clear: the rings wait, nothing in RAM changes; setting it sends. */
static void test_bus_master_gates_dma(void **state)
{
	struct env *e = *state;
	uint8_t frame[60];

	make_frame(frame, peer_mac, 0x0800, sizeof(frame));
	memcpy(gpa(e, TX_BUF), frame, sizeof(frame));
	tx_setup(e, 8);
	txd_legacy(e, 0, TX_BUF, sizeof(frame), TXD_EOP | TXD_RS, 0, 0, 0);
	memcpy(e->shadow, e->ram, RAM_SIZE);
	bus_master(e, false);
	wr(e, TDT, 1);
	assert_int_equal(e->fb->ntx, 0);
	assert_int_equal(rd(e, TDH), 0);
	assert_ram_untouched(e);
	bus_master(e, true);
	assert_int_equal(e->fb->ntx, 1);
	assert_memory_equal(fb_tx(e->fb, 0), frame, sizeof(frame));
	assert_int_equal(rd(e, TDH), 1);
	assert_int_equal(txd(e, 0)[12], 1);               /* DD written back once allowed */
}

static void test_tx_legacy(void **state)
{
	struct env *e = *state;
	uint8_t frame[100];

	make_frame(frame, peer_mac, 0x0800, sizeof(frame));
	memcpy(gpa(e, TX_BUF), frame, 40);
	memcpy(gpa(e, TX_BUF + 0x1000), frame + 40, 60);
	tx_setup(e, 8);
	wr(e, IMS, ICR_TXDW);
	txd_legacy(e, 0, TX_BUF, 40, 0, 0, 0, 0);
	txd_legacy(e, 1, TX_BUF + 0x1000, 60, TXD_EOP | TXD_RS, 0, 0, 0);
	memcpy(e->shadow, e->ram, RAM_SIZE);
	wr(e, TDT, 2);
	assert_int_equal(e->fb->ntx, 1);
	assert_int_equal(e->fb->tx_len[0], 100);
	assert_memory_equal(fb_tx(e->fb, 0), frame, 100);
	assert_int_equal(txd(e, 0)[12], 0);               /* no RS: no write-back */
	assert_int_equal(txd(e, 1)[12], 1);               /* DD */
	allow(e, TX_RING + 16 + 12, 1);
	assert_ram_untouched(e);
	assert_int_equal(rd(e, TDH), 2);
	assert_int_equal(e->dev->intx_level, 1);
	assert_int_equal(rd(e, ICR), ICR_TXDW | ICR_TXQE);
	assert_int_equal(rd(e, GPTC), 1);
	assert_int_equal(rd(e, TPT), 1);
	assert_int_equal(rd(e, GOTCL), 104);              /* with the FCS */
	assert_int_equal(rd(e, GPTC), 0);                 /* read-to-clear */
	assert_int_equal(rd(e, GOTCL), 0);
	assert_int_equal(rd(e, GOTCH), 0);

	/* A short frame is padded to 60 bytes (TCTL.PSP); IC inserts a checksum. */
	memset(gpa(e, TX_BUF), 0, 40);
	memcpy(gpa(e, TX_BUF), frame, 30);
	gpa(e, TX_BUF)[28] = gpa(e, TX_BUF)[29] = 0;
	txd_legacy(e, 2, TX_BUF, 30, TXD_EOP | TXD_IC, 28, 14, 0);
	wr(e, TDT, 3);
	assert_int_equal(e->fb->ntx, 2);
	assert_int_equal(e->fb->tx_len[1], 60);
	assert_int_equal(fold(sum16(fb_tx(e->fb, 1) + 14, 16, 0)), 0xffff);
	assert_memory_equal(fb_tx(e->fb, 1), frame, 28);
	assert_memory_equal(fb_tx(e->fb, 1) + 30, (uint8_t[30]){ 0 }, 30);
}

static void test_tx_vlan_insert(void **state)
{
	struct env *e = *state;
	uint8_t frame[64];

	make_frame(frame, peer_mac, 0x0800, sizeof(frame));
	memcpy(gpa(e, TX_BUF), frame, sizeof(frame));
	tx_setup(e, 8);
	wr(e, CTRL, rd(e, CTRL) | CTRL_VME);
	txd_legacy(e, 0, TX_BUF, sizeof(frame), TXD_EOP | TXD_VLE, 0, 0, 0x2005);
	wr(e, TDT, 1);
	assert_int_equal(e->fb->tx_len[0], 68);
	assert_memory_equal(fb_tx(e->fb, 0), frame, 12);
	assert_int_equal(get16be(fb_tx(e->fb, 0) + 12), 0x8100);
	assert_int_equal(get16be(fb_tx(e->fb, 0) + 14), 0x2005);
	assert_memory_equal(fb_tx(e->fb, 0) + 16, frame + 12, sizeof(frame) - 12);
}

/* An Ethernet/IPv4 header and a UDP or TCP header, as Linux leaves them for offload. */
static size_t make_ip_frame(uint8_t *f, bool tcp, size_t payload, bool tso)
{
	size_t l4 = tcp ? 20 : 8, len = 14 + 20 + l4 + payload;
	uint32_t pseudo;

	memset(f, 0, 14 + 20 + l4);
	memcpy(f, peer_mac, 6);
	memcpy(f + 6, our_mac, 6);
	put16be(f + 12, 0x0800);
	f[14] = 0x45;
	put16be(f + 16, tso ? 0 : 20 + l4 + payload);
	put16be(f + 18, 0x1234);
	put16be(f + 20, 0x4000);
	f[22] = 64;
	f[23] = tcp ? 6 : 17;
	put16be(f + 24, 0xdead);                          /* the device computes it */
	memcpy(f + 26, (uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
	put16be(f + 34, 1000);
	put16be(f + 36, 2000);
	if (tcp) {
		put16be(f + 38, 0x0102);
		put16be(f + 40, 0x0304);
		f[46] = 5 << 4;
		f[47] = 0x19;                             /* FIN, PSH, ACK */
		put16be(f + 48, 0xffff);
	} else {
		put16be(f + 38, 8 + payload);
	}
	for (size_t i = 14 + 20 + l4; i < len; i++)
		f[i] = (uint8_t)(i * 13);
	pseudo = sum16(f + 26, 8, 0) + (tcp ? 6 : 17) + (tso ? 0 : l4 + payload);
	put16be(f + 34 + (tcp ? 16 : 6), fold(pseudo));  /* pseudo-header sum, not inverted */
	return len;
}

static bool ip_csum_ok(const uint8_t *f)
{
	return fold(sum16(f + 14, 20, 0)) == 0xffff;
}

static bool l4_csum_ok(const uint8_t *f, size_t len)
{
	uint32_t s = sum16(f + 26, 8, 0) + f[23] + (len - 34);

	return fold(sum16(f + 34, len - 34, s)) == 0xffff;
}

static void test_tx_csum_offload(void **state)
{
	struct env *e = *state;
	uint8_t f[200];
	size_t len = make_ip_frame(f, false, 101, false);

	memcpy(gpa(e, TX_BUF), f, len);
	tx_setup(e, 8);
	txd_ctx(e, 0, (uint8_t[]){ 14, 24, 34, 40 }, 33, 0, 0, TUCMD_IP, 0, 0);
	txd_data(e, 1, TX_BUF, 50, 0, POPTS_IXSM | POPTS_TXSM, 0);
	txd_data(e, 2, TX_BUF + 50, len - 50, TXD_EOP | TXD_RS, 0, 0);
	wr(e, TDT, 3);
	assert_int_equal(e->fb->ntx, 1);
	assert_int_equal(e->fb->tx_len[0], len);
	assert_true(ip_csum_ok(fb_tx(e->fb, 0)));
	assert_true(l4_csum_ok(fb_tx(e->fb, 0), len));
	assert_memory_equal(fb_tx(e->fb, 0) + 42, f + 42, len - 42);
	assert_int_equal(txd(e, 2)[12] & 1, 1);
}

static void test_tx_tso(void **state)
{
	struct env *e = *state;
	static uint8_t f[54 + 2500];
	size_t len = make_ip_frame(f, true, 2500, true);
	size_t off = 0;

	memcpy(gpa(e, TX_BUF), f, len);
	tx_setup(e, 8);
	txd_ctx(e, 0, (uint8_t[]){ 14, 24, 34, 50 }, 33, 0, 2500, TUCMD_IP | TUCMD_TCP | TUCMD_TSE,
		54, 1000);
	txd_data(e, 1, TX_BUF, 54, TXD_TSE, POPTS_IXSM | POPTS_TXSM, 0);
	txd_data(e, 2, TX_BUF + 54, 1200, TXD_TSE, 0, 0);
	txd_data(e, 3, TX_BUF + 54 + 1200, 1300, TXD_TSE | TXD_EOP | TXD_RS, 0, 0);
	wr(e, TDT, 4);
	assert_int_equal(e->fb->ntx, 3);
	for (unsigned k = 0; k < 3; k++) {
		const uint8_t *s = fb_tx(e->fb, k);
		size_t plen = k < 2 ? 1000 : 500;

		assert_int_equal(e->fb->tx_len[k], 54 + plen);
		assert_memory_equal(s, f, 14);
		assert_int_equal(get16be(s + 16), 40 + plen);                 /* total length */
		assert_int_equal(get16be(s + 18), 0x1234 + k);                /* IP ID */
		assert_int_equal(get32be(s + 38), 0x01020304 + 1000 * k);     /* sequence */
		assert_int_equal(s[47], k < 2 ? 0x10 : 0x19);                 /* FIN/PSH last only */
		assert_true(ip_csum_ok(s));
		assert_true(l4_csum_ok(s, 54 + plen));
		assert_memory_equal(s + 54, f + 54 + off, plen);
		off += plen;
	}
	assert_int_equal(rd(e, TSCTC), 1);
	assert_int_equal(rd(e, GPTC), 3);
	assert_int_equal(txd(e, 3)[12] & 1, 1);
}

/* --- receive --- */

static void test_rx_basic(void **state)
{
	struct env *e = *state;
	uint8_t f[100];

	rx_setup(e, 8, RCTL_BAM);
	wr(e, IMS, ICR_RXT0);
	fb_push(e->fb, f, make_frame(f, our_mac, 0x0800, sizeof(f)));
	e1000_poll(e->dev);
	assert_memory_equal(gpa(e, RX_BUF), f, sizeof(f));
	assert_int_equal(rxd(e, 0)[8] | rxd(e, 0)[9] << 8, 100);
	assert_int_equal(rxd(e, 0)[12] & 0x03, 0x03);     /* DD, EOP */
	assert_int_equal(rxd(e, 0)[13], 0);
	assert_int_equal(rd(e, RDH), 1);
	assert_int_equal(e->dev->intx_level, 1);
	assert_true(rd(e, ICR) & ICR_RXT0);
	allow(e, RX_BUF, sizeof(f));
	allow(e, RX_RING + 8, 8);
	assert_ram_untouched(e);
	assert_int_equal(rd(e, GPRC), 1);
	assert_int_equal(rd(e, TPR), 1);
	assert_int_equal(rd(e, GORCL), 104);

	/* A runt from a software peer is padded as the wire would; FCS appended without SECRC. */
	wr(e, RCTL, RCTL_EN | RCTL_BAM);
	fb_push(e->fb, f, 42);
	e1000_poll(e->dev);
	assert_int_equal(rxd(e, 1)[8], 64);
	assert_memory_equal(gpa(e, RX_BUF + RX_BUFSZ), f, 42);
	assert_memory_equal(gpa(e, RX_BUF + RX_BUFSZ + 42), (uint8_t[18]){ 0 }, 18);
}

static uint32_t crc32_ieee(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffff;

	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

static void test_rx_multi_descriptor_fcs(void **state)
{
	struct env *e = *state;
	uint8_t f[600];
	uint8_t got[604];
	uint32_t crc;

	rx_setup(e, 8, RCTL_BSIZE_256);
	wr(e, RCTL, RCTL_EN | RCTL_BSIZE_256);             /* FCS kept */
	fb_push(e->fb, f, make_frame(f, our_mac, 0x0800, sizeof(f)));
	e1000_poll(e->dev);
	assert_int_equal(rd(e, RDH), 3);
	for (unsigned i = 0; i < 3; i++) {
		unsigned n = i < 2 ? 256 : 604 - 512;

		assert_int_equal(rxd(e, i)[8] | rxd(e, i)[9] << 8, n);
		assert_int_equal(rxd(e, i)[12] & 3, i < 2 ? 1 : 3);
		memcpy(got + 256 * i, gpa(e, RX_BUF + (uint64_t)i * RX_BUFSZ), n);
		allow(e, RX_BUF + (uint64_t)i * RX_BUFSZ, n);
		allow(e, RX_RING + 16 * i + 8, 8);
	}
	assert_memory_equal(got, f, 600);
	crc = crc32_ieee(f, 600);
	assert_int_equal(got[600] | got[601] << 8 | got[602] << 16 | (uint32_t)got[603] << 24, crc);
	assert_ram_untouched(e);
}

static unsigned rx_count(struct env *e, const uint8_t *f, size_t len)
{
	unsigned before = rd(e, RDH);

	fb_push(e->fb, f, len);
	e1000_poll(e->dev);
	return rd(e, RDH) - before;
}

/* The MTA bit for dst under filter type mo, computed the way Linux's driver does. */
static void mta_set(struct env *e, const uint8_t *dst, unsigned mo)
{
	unsigned h;

	switch (mo) {
	case 0: h = (dst[4] >> 4) | ((uint16_t)dst[5] << 4); break;
	case 1: h = (dst[4] >> 3) | ((uint16_t)dst[5] << 5); break;
	case 2: h = (dst[4] >> 2) | ((uint16_t)dst[5] << 6); break;
	default: h = dst[4] | ((uint16_t)dst[5] << 8); break;
	}
	h &= 0xfff;
	wr(e, MTA(h >> 5), rd(e, MTA(h >> 5)) | 1u << (h & 31));
}

static void test_rx_filters(void **state)
{
	struct env *e = *state;
	static const uint8_t other[6] = { 0x52, 0x54, 0, 1, 2, 3 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x12, 0x34 };
	struct e1000_counters c;
	uint8_t f[80];

	rx_setup(e, 64, 0);
	assert_int_equal(rx_count(e, f, make_frame(f, other, 0x0800, 80)), 0);
	assert_int_equal(rx_count(e, f, make_frame(f, our_mac, 0x0800, 80)), 1);
	assert_int_equal(rx_count(e, f, make_frame(f, bcast, 0x0806, 80)), 0);
	assert_int_equal(rx_count(e, f, make_frame(f, mcast, 0x0800, 80)), 0);
	e1000_counters(e->dev, &c);
	assert_int_equal(c.rx_filtered, 3);

	wr(e, RCTL, RCTL_EN | RCTL_SECRC | RCTL_BAM);
	assert_int_equal(rx_count(e, f, make_frame(f, bcast, 0x0806, 80)), 1);
	assert_int_equal(rd(e, BPRC), 1);
	for (unsigned mo = 0; mo < 4; mo++) {
		for (unsigned i = 0; i < 128; i++)
			wr(e, MTA(i), 0);
		wr(e, RCTL, RCTL_EN | RCTL_SECRC | mo << 12);
		assert_int_equal(rx_count(e, f, make_frame(f, mcast, 0x0800, 80)), 0);
		mta_set(e, mcast, mo);
		assert_int_equal(rx_count(e, f, make_frame(f, mcast, 0x0800, 80)), 1);
	}
	assert_int_equal(rd(e, MPRC), 4);

	/* A second station address counts only while AV is set. */
	wr(e, RAL(1), other[0] | other[1] << 8 | other[2] << 16 | (uint32_t)other[3] << 24);
	wr(e, RAH(1), other[4] | other[5] << 8);
	assert_int_equal(rx_count(e, f, make_frame(f, other, 0x0800, 80)), 0);
	wr(e, RAH(1), other[4] | other[5] << 8 | 1u << 31);
	assert_int_equal(rx_count(e, f, make_frame(f, other, 0x0800, 80)), 1);
	wr(e, RAH(1), 0);

	wr(e, RCTL, RCTL_EN | RCTL_SECRC | RCTL_UPE);
	assert_int_equal(rx_count(e, f, make_frame(f, other, 0x0800, 80)), 1);
	assert_int_equal(rx_count(e, f, make_frame(f, mcast, 0x0800, 80)), 0);
	wr(e, RCTL, RCTL_EN | RCTL_SECRC | RCTL_MPE);
	assert_int_equal(rx_count(e, f, make_frame(f, mcast, 0x0800, 80)), 1);
	assert_int_equal(rx_count(e, f, make_frame(f, other, 0x0800, 80)), 0);
}

static void test_rx_vlan(void **state)
{
	struct env *e = *state;
	uint8_t f[80];
	unsigned h;

	rx_setup(e, 16, RCTL_VFE);
	make_frame(f, our_mac, 0x8100, 80);
	put16be(f + 14, 0x6064);                          /* PCP 3, VID 100 */
	put16be(f + 16, 0x0800);
	assert_int_equal(rx_count(e, f, 80), 0);          /* VID 100 not in VFTA */
	wr(e, VFTA(100 >> 5), 1u << (100 & 31));
	assert_int_equal(rx_count(e, f, 80), 1);
	h = rd(e, RDH) - 1;
	assert_int_equal(rxd(e, h)[12] & 0x08, 0);        /* VME off: tag kept, no VP */
	assert_memory_equal(gpa(e, RX_BUF + (uint64_t)h * RX_BUFSZ), f, 80);

	wr(e, CTRL, rd(e, CTRL) | CTRL_VME);
	assert_int_equal(rx_count(e, f, 80), 1);
	h = rd(e, RDH) - 1;
	assert_int_equal(rxd(e, h)[12] & 0x08, 0x08);     /* VP */
	assert_int_equal(rxd(e, h)[14] | rxd(e, h)[15] << 8, 0x6064);
	assert_int_equal(rxd(e, h)[8], 76);
	assert_memory_equal(gpa(e, RX_BUF + (uint64_t)h * RX_BUFSZ), f, 12);
	assert_memory_equal(gpa(e, RX_BUF + (uint64_t)h * RX_BUFSZ) + 12, f + 16, 64);
}

/* Make the IPv4 and TCP/UDP checksums of a frame from make_ip_frame() complete and valid. */
static void finish_csums(uint8_t *f, size_t len)
{
	unsigned l4 = f[23] == 6 ? 16 : 6;
	uint32_t pseudo = sum16(f + 26, 8, 0) + f[23] + (len - 34);

	put16be(f + 24, 0);
	put16be(f + 24, ~fold(sum16(f + 14, 20, 0)));
	put16be(f + 34 + l4, 0);
	put16be(f + 34 + l4, ~fold(sum16(f + 34, len - 34, pseudo)));
}

static uint8_t rx_one(struct env *e, const uint8_t *f, size_t len, uint8_t *errors)
{
	unsigned h = rd(e, RDH);

	fb_push(e->fb, f, len);
	e1000_poll(e->dev);
	assert_int_equal(rd(e, RDH), (h + 1) % 16);
	*errors = rxd(e, h)[13];
	return rxd(e, h)[12];
}

static void test_rx_csum_offload(void **state)
{
	struct env *e = *state;
	uint8_t f[200], g[200], err;
	size_t len = make_ip_frame(f, true, 100, false);

	memcpy(f, our_mac, 6);
	finish_csums(f, len);
	assert_true(ip_csum_ok(f) && l4_csum_ok(f, len));
	rx_setup(e, 16, 0);
	assert_int_equal(rx_one(e, f, len, &err), 0x07);               /* RXCSUM off: IXSM */
	wr(e, 0x5000, 0x300);                                           /* IPOFL, TUOFL */
	assert_int_equal(rx_one(e, f, len, &err), 0x63);               /* IPCS, TCPCS */
	assert_int_equal(err, 0);
	memcpy(g, f, len);
	g[len - 1] ^= 1;
	assert_int_equal(rx_one(e, g, len, &err), 0x63);
	assert_int_equal(err, 0x20);                                    /* TCPE */
	memcpy(g, f, len);
	g[22] ^= 1;                                                     /* TTL: header checksum off */
	assert_int_equal(rx_one(e, g, len, &err), 0x63);
	assert_int_equal(err, 0x40);                                    /* IPE */
	memcpy(g, f, len);
	put16be(g + 20, 0x2000);                                        /* a fragment: no L4 check */
	finish_csums(g, len);
	assert_int_equal(rx_one(e, g, len, &err), 0x43);
	assert_int_equal(err, 0);
	assert_int_equal(rx_one(e, g, make_frame(g, our_mac, 0x0806, 60), &err), 0x03);
	len = make_ip_frame(g, false, 50, false);                       /* UDP without checksum */
	memcpy(g, our_mac, 6);
	finish_csums(g, len);
	put16be(g + 40, 0);
	assert_int_equal(rx_one(e, g, len, &err), 0x43);
	assert_int_equal(err, 0);
}

static void test_rx_no_buffers(void **state)
{
	struct env *e = *state;
	uint8_t f[1000];

	rx_setup(e, 8, RCTL_BSIZE_256);
	wr(e, RDT, 0);                                     /* RDH == RDT: no buffers */
	fb_push(e->fb, f, make_frame(f, our_mac, 0x0800, 1000));
	e1000_poll(e->dev);
	assert_int_equal(fb_waiting(e->fb), 1);            /* left in the back-end */
	assert_int_equal(rd(e, RDH), 0);
	wr(e, RDT, 2);                                     /* 2 buffers; the frame needs 4 */
	e1000_poll(e->dev);
	assert_int_equal(fb_waiting(e->fb), 0);            /* taken, waiting for buffers */
	assert_int_equal(rd(e, RDH), 0);
	assert_int_equal(rd(e, RNBC), 1);
	e1000_poll(e->dev);
	assert_int_equal(rd(e, RDH), 0);
	wr(e, RDT, 7);
	e1000_poll(e->dev);
	assert_int_equal(rd(e, RDH), 4);
	assert_memory_equal(gpa(e, RX_BUF), f, 256);
	assert_int_equal(rd(e, GPRC), 1);
	assert_int_equal(rd(e, RNBC), 0);
}

static void test_rx_timers(void **state)
{
	struct env *e = *state;
	uint8_t f[64];

	rx_setup(e, 8, 0);
	wr(e, IMS, ICR_RXT0 | ICR_TXDW);
	wr(e, RDTR, 100);                                  /* 102.4 us after the last frame */
	wr(e, RADV, 150);                                  /* 153.6 us after the first */
	fb_push(e->fb, f, make_frame(f, our_mac, 0x0800, 64));
	e1000_poll(e->dev);
	assert_int_equal(rd(e, RDH), 1);
	assert_int_equal(e->dev->intx_level, 0);
	fake_now += 100 * 1024 - 1;
	fb_push(e->fb, f, 64);                             /* restarts the packet timer */
	e1000_poll(e->dev);
	assert_int_equal(e->dev->intx_level, 0);
	fake_now += 51 * 1024;                             /* RADV expires first */
	e1000_poll(e->dev);
	assert_int_equal(e->dev->intx_level, 1);
	assert_int_equal(rd(e, ICR) & ICR_RXT0, ICR_RXT0);

	fb_push(e->fb, f, 64);
	e1000_poll(e->dev);
	assert_int_equal(e->dev->intx_level, 0);
	wr(e, RDTR, 1u << 31);                             /* flush partial descriptor block */
	assert_int_equal(e->dev->intx_level, 1);
	rd(e, ICR);

	/* Transmit: IDE delays TXDW by TIDV. */
	memcpy(gpa(e, TX_BUF), f, 64);
	tx_setup(e, 8);
	wr(e, TIDV, 10);
	txd_legacy(e, 0, TX_BUF, 64, TXD_EOP | TXD_RS | TXD_IDE, 0, 0, 0);
	wr(e, TDT, 1);
	assert_int_equal(e->dev->intx_level, 0);
	fake_now += 10 * 1024;
	e1000_poll(e->dev);
	assert_int_equal(e->dev->intx_level, 1);
	assert_int_equal(rd(e, ICR) & ICR_TXDW, ICR_TXDW);
}

static void test_rx_thread(void **state)
{
	struct env *e = *state;
	uint8_t f[64];
	unsigned i;

	e1000_set_clock(e->dev, NULL, NULL);
	rx_setup(e, 8, 0);
	wr(e, RDT, 2);
	assert_int_equal(e1000_start(e->dev), 0);
	for (unsigned n = 0; n < 4; n++)
		fb_push(e->fb, f, make_frame(f, our_mac, 0x0800, 64));
	for (i = 0; i < 2000 && rd(e, RDH) != 2; i++)
		usleep(1000);
	assert_int_equal(rd(e, RDH), 2);                   /* the ring is full */
	usleep(20000);
	assert_int_equal(fb_waiting(e->fb), 2);            /* left in the back-end */
	wr(e, RDT, 7);                                     /* wakes the thread */
	for (i = 0; i < 2000 && rd(e, RDH) != 4; i++)
		usleep(1000);
	assert_int_equal(rd(e, RDH), 4);
	assert_int_equal(fb_waiting(e->fb), 0);
	e->dev->ops->quiesce(e->dev);
	fb_push(e->fb, f, 64);
	usleep(20000);
	assert_int_equal(rd(e, RDH), 4);                   /* quiesced: nothing moves */
	e->dev->ops->reset(e->dev);                        /* restarts the thread */
	rx_setup(e, 8, 0);
	for (i = 0; i < 2000 && rd(e, RDH) != 1; i++)
		usleep(1000);
	assert_int_equal(rd(e, RDH), 1);
}

/* A back-end whose poll_fd stays readable with nothing to receive does not make the thread spin. */
static void test_rx_thread_spurious_wakeups(void **state)
{
	struct env *e = *state;
	uint64_t one = 1;
	unsigned calls, i;
	uint8_t f[64];

	e1000_set_clock(e->dev, NULL, NULL);
	rx_setup(e, 8, 0);
	assert_int_equal(e1000_start(e->dev), 0);
	assert_int_equal(write(e->fb->be.poll_fd, &one, sizeof(one)), sizeof(one)); /* no frame */
	usleep(300000);
	pthread_mutex_lock(&e->fb->lock);
	calls = e->fb->recv_calls;
	pthread_mutex_unlock(&e->fb->lock);
	assert_true(calls < 2000);                          /* about one per millisecond */
	fb_push(e->fb, f, make_frame(f, our_mac, 0x0800, 64));
	for (i = 0; i < 2000 && rd(e, RDH) != 1; i++)
		usleep(1000);
	assert_int_equal(rd(e, RDH), 1);                    /* frames still get through */
}

/*
 * Two "vCPU" threads (one transmitting, one hammering the interrupt
 * registers) and the test thread (feeding and recycling the receive ring)
 * against the I/O thread: every frame arrives, nothing deadlocks.
 */
#define STRESS_FRAMES 3000

struct stress {
	struct env *e;
	bool stop;
};

static void *stress_tx(void *arg)
{
	struct stress *st = arg;
	struct env *e = st->e;

	for (unsigned i = 0; i < STRESS_FRAMES; i++) {
		unsigned t = rd(e, TDT);

		txd_legacy(e, t, TX_BUF + 64 * t, 64, TXD_EOP | TXD_RS, 0, 0, 0);
		wr(e, TDT, (t + 1) % 8);
	}
	return NULL;
}

static void *stress_irq(void *arg)
{
	struct stress *st = arg;

	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		wr(st->e, IMS, ICR_RXT0 | ICR_TXDW);
		rd(st->e, ICR);
		wr(st->e, IMC, ICR_TXDW);
		rd(st->e, STATUS);
	}
	return NULL;
}

static void test_concurrent_stress(void **state)
{
	struct env *e = *state;
	struct stress st = { .e = e };
	pthread_t tx, irq;
	unsigned got = 0, sent = 0, spins = 0;
	uint8_t f[64];

	e1000_set_clock(e->dev, NULL, NULL);
	make_frame(f, our_mac, 0x0800, 64);
	for (unsigned i = 0; i < 8; i++)
		memcpy(gpa(e, TX_BUF + 64 * i), f, 64);
	rx_setup(e, 32, 0);
	tx_setup(e, 8);
	assert_int_equal(e1000_start(e->dev), 0);
	assert_int_equal(pthread_create(&tx, NULL, stress_tx, &st), 0);
	assert_int_equal(pthread_create(&irq, NULL, stress_irq, &st), 0);
	while (got < STRESS_FRAMES && spins++ < 300000) {      /* 30 s at most */
		unsigned n;

		if (sent < STRESS_FRAMES && fb_waiting(e->fb) < 16) {
			fb_push(e->fb, f, 64);
			sent++;
		}
		n = rd(e, GPRC);
		got += n;
		wr(e, RDT, (rd(e, RDH) + 31) % 32);      /* give every used buffer back */
		if (!n)
			usleep(100);                     /* let the I/O thread run on a busy host */
	}
	pthread_join(tx, NULL);
	__atomic_store_n(&st.stop, true, __ATOMIC_RELEASE);
	pthread_join(irq, NULL);
	assert_int_equal(got, STRESS_FRAMES);
	assert_int_equal(rd(e, GPTC), STRESS_FRAMES);
	assert_int_equal(rd(e, TDH), rd(e, TDT));
}

/* --- hostile guests --- */

static void test_hostile_tx_rings(void **state)
{
	struct env *e = *state;
	struct e1000_counters c;

	memcpy(e->shadow, e->ram, RAM_SIZE);
	wr(e, TCTL, TCTL_EN);
	wr(e, TDBAL, (uint32_t)TX_RING);
	wr(e, TDLEN, 0);                                   /* no ring */
	wr(e, TDT, 5);
	wr(e, TDLEN, 128);                                 /* 8 descriptors, TDH past the end */
	wr(e, TDH, 100);
	wr(e, TDT, 3);
	wr(e, TDH, 0);
	wr(e, TDT, 9);                                     /* TDT past the end */
	wr(e, TDBAL, 0xfffff000);                          /* ring outside RAM */
	wr(e, TDT, 1);
	wr(e, TDBAL, (uint32_t)(RAM_BASE + RAM_SIZE - 64)); /* ring runs off the end of RAM */
	wr(e, TDT, 1);
	wr(e, TDBAH, 0xffffffff);                          /* base + length wraps */
	wr(e, TDBAL, 0xfffffff0);
	wr(e, TDT, 1);
	e1000_counters(e->dev, &c);
	assert_int_equal(c.tx_ring_errors, 6);
	assert_int_equal(e->fb->ntx, 0);
	assert_ram_untouched(e);
}

static void test_hostile_tx_buffers(void **state)
{
	struct env *e = *state;
	struct e1000_counters c;
	uint8_t f[64];

	make_frame(f, peer_mac, 0x0800, 64);
	memcpy(gpa(e, TX_BUF), f, 64);
	tx_setup(e, 16);
	txd_legacy(e, 0, 0, 64, TXD_EOP | TXD_RS, 0, 0, 0);                   /* address 0: no RAM */
	txd_legacy(e, 1, 0xfebf0000, 64, TXD_EOP | TXD_RS, 0, 0, 0);          /* an MMIO BAR */
	txd_legacy(e, 2, 0xfffffffffffffff0ull, 64, TXD_EOP | TXD_RS, 0, 0, 0); /* wraps */
	txd_legacy(e, 3, RAM_BASE + RAM_SIZE - 10, 64, TXD_EOP | TXD_RS, 0, 0, 0); /* runs off RAM */
	txd_legacy(e, 4, TX_BUF, 0, 0, 0, 0, 0);                              /* zero length */
	txd_legacy(e, 5, TX_BUF, 64, TXD_EOP | TXD_RS, 0, 0, 0);
	txd_legacy(e, 6, TX_BUF, 64, TXD_EOP | TXD_IC, 250, 200, 0);          /* checksum past the end */
	put32le(txd(e, 7) + 8, 64 | 7u << 20 | (uint32_t)(TXD_DEXT | TXD_EOP) << 24); /* bad DTYP */
	memcpy(e->shadow, e->ram, RAM_SIZE);
	wr(e, TDT, 8);
	assert_int_equal(rd(e, TDH), 8);
	assert_int_equal(e->fb->ntx, 2);
	assert_memory_equal(fb_tx(e->fb, 0), f, 64);
	assert_memory_equal(fb_tx(e->fb, 1), f, 64);
	for (unsigned i = 0; i < 6; i++) {
		if (i == 4)
			continue;
		assert_int_equal(txd(e, i)[12], 1);
		allow(e, TX_RING + 16 * i + 12, 1);
	}
	assert_ram_untouched(e);
	e1000_counters(e->dev, &c);
	assert_int_equal(c.tx_dma_errors, 4);
	assert_int_equal(c.tx_dropped, 4);
	assert_int_equal(c.tx_bad_desc, 1);
}

static void test_hostile_tso(void **state)
{
	struct env *e = *state;
	struct e1000_counters c;
	static uint8_t f[54 + 3000];
	size_t len = make_ip_frame(f, true, 3000, true);

	memcpy(gpa(e, TX_BUF), f, len);
	tx_setup(e, 16);
	/* CVE-2015-6815: header length 0 and MSS 0 must not loop. */
	txd_ctx(e, 0, (uint8_t[]){ 14, 24, 34, 50 }, 33, 0, 3000, TUCMD_IP | TUCMD_TCP | TUCMD_TSE, 0, 0);
	txd_data(e, 1, TX_BUF, len, TXD_TSE | TXD_EOP | TXD_RS, POPTS_IXSM | POPTS_TXSM, 0);
	/* MSS 0 with a header. */
	txd_ctx(e, 2, (uint8_t[]){ 14, 24, 34, 50 }, 33, 0, 3000, TUCMD_IP | TUCMD_TCP | TUCMD_TSE, 54, 0);
	txd_data(e, 3, TX_BUF, len, TXD_TSE | TXD_EOP, POPTS_IXSM | POPTS_TXSM, 0);
	/* Header offsets past the header: segments go out, nothing written outside them. */
	txd_ctx(e, 4, (uint8_t[]){ 250, 255, 240, 255 }, 0xffff, 0xffff, 3000,
		TUCMD_IP | TUCMD_TCP | TUCMD_TSE, 20, 1000);
	txd_data(e, 5, TX_BUF, len, TXD_TSE | TXD_EOP, POPTS_IXSM | POPTS_TXSM, 0);
	/* MSS 1: many segments, bounded by the data. */
	txd_ctx(e, 6, (uint8_t[]){ 14, 24, 34, 50 }, 33, 0, 8, TUCMD_IP | TUCMD_TCP | TUCMD_TSE, 54, 1);
	txd_data(e, 7, TX_BUF, 54 + 8, TXD_TSE | TXD_EOP, POPTS_IXSM | POPTS_TXSM, 0);
	/* A context descriptor in the middle of a TSO packet does not change it. */
	txd_ctx(e, 8, (uint8_t[]){ 14, 24, 34, 50 }, 33, 0, 3000, TUCMD_IP | TUCMD_TCP | TUCMD_TSE, 54, 2000);
	txd_data(e, 9, TX_BUF, 54 + 100, TXD_TSE, POPTS_IXSM | POPTS_TXSM, 0);
	txd_ctx(e, 10, (uint8_t[]){ 14, 24, 34, 50 }, 33, 0, 3000, TUCMD_IP | TUCMD_TCP | TUCMD_TSE, 10, 5);
	txd_data(e, 11, TX_BUF + 154, 100, TXD_TSE | TXD_EOP, 0, 0);
	wr(e, TDT, 12);
	assert_int_equal(rd(e, TDH), 12);
	e1000_counters(e->dev, &c);
	assert_int_equal(c.tx_dropped, 2);
	assert_int_equal(rd(e, TSCTFC), 2);
	assert_int_equal(e->fb->ntx, 4 + 8 + 1);
	for (unsigned k = 0; k < 4; k++)
		assert_int_equal(e->fb->tx_len[k], k < 3 ? 1020 : 60);  /* 54, padded */
	for (unsigned k = 4; k < 12; k++)
		assert_int_equal(e->fb->tx_len[k], 60);  /* 55, padded */
	assert_int_equal(e->fb->tx_len[12], 254);
	assert_true(ip_csum_ok(fb_tx(e->fb, 12)));
	assert_true(l4_csum_ok(fb_tx(e->fb, 12), 254));
}

static void test_hostile_endless_chain(void **state)
{
	struct env *e = *state;
	struct e1000_counters c;

	tx_setup(e, 256);
	for (unsigned i = 0; i < 256; i++)               /* 64 KiB each, never EOP */
		txd_legacy(e, i, TX_BUF, 0xffff, 0, 0, 0, 0);
	wr(e, TDT, 255);
	assert_int_equal(rd(e, TDH), 255);
	wr(e, TDH, 0);                                     /* (TDH is guest-writable) */
	wr(e, TDT, 255);
	txd_legacy(e, 0, TX_BUF, 10, TXD_EOP, 0, 0, 0);
	wr(e, TDH, 0);
	wr(e, TDT, 1);
	assert_int_equal(e->fb->ntx, 0);                   /* the oversized packet was dropped */
	e1000_counters(e->dev, &c);
	assert_int_equal(c.tx_dropped, 1);
}

static void test_hostile_rx(void **state)
{
	struct env *e = *state;
	struct e1000_counters c;
	uint8_t f[300];

	make_frame(f, our_mac, 0x0800, 300);
	rx_setup(e, 8, 0);
	put64le(gpa(e, RX_RING), 0xfebf0000);              /* buffer in MMIO */
	put64le(gpa(e, RX_RING + 16), RAM_BASE + RAM_SIZE - 100); /* runs off RAM */
	put64le(gpa(e, RX_RING + 32), 0xfffffffffffffff0ull);     /* wraps */
	memcpy(e->shadow, e->ram, RAM_SIZE);
	for (unsigned i = 0; i < 3; i++)
		fb_push(e->fb, f, 300);
	e1000_poll(e->dev);
	assert_int_equal(rd(e, RDH), 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(rxd(e, i)[13], 0x80);    /* RXE */
		allow(e, RX_RING + 16 * i + 8, 8);
	}
	assert_ram_untouched(e);

	/* Rings that are not there: frames stay in the back-end. */
	wr(e, RDH, 100);                                   /* past the end */
	fb_push(e->fb, f, 300);
	e1000_poll(e->dev);
	wr(e, RDH, 0);
	wr(e, RDLEN, 0);
	e1000_poll(e->dev);
	wr(e, RDLEN, 128);
	wr(e, RDBAL, 0xfffff000);                          /* outside RAM */
	e1000_poll(e->dev);
	assert_int_equal(fb_waiting(e->fb), 0);
	wr(e, RDBAL, (uint32_t)RX_RING);
	e1000_poll(e->dev);
	assert_int_equal(rd(e, RDH), 1);                   /* the held frame lands at last */
	e1000_counters(e->dev, &c);
	assert_int_equal(c.rx_dma_errors, 4);              /* descriptor 0 still points at MMIO */
	assert_int_equal(c.rx_ring_errors, 1);

	/* Too long without LPE; a ring too small for a frame that needs 8 descriptors. */
	rx_setup(e, 8, 0);
	{
		static uint8_t big[9000];

		fb_push(e->fb, big, make_frame(big, our_mac, 0x0800, 2000));
		e1000_poll(e->dev);
		assert_int_equal(rd(e, ROC), 1);
		wr(e, RCTL, RCTL_EN | RCTL_SECRC | RCTL_LPE | RCTL_BSIZE_256);
		fb_push(e->fb, big, make_frame(big, our_mac, 0x0800, 9000));
		e1000_poll(e->dev);
		assert_int_equal(rd(e, RDH), 0);
		assert_int_equal(fb_waiting(e->fb), 0);
	}
}

static void test_hostile_loopback_runts(void **state)
{
	struct env *e = *state;
	struct e1000_counters c;
	uint8_t f[64];

	make_frame(f, our_mac, 0x0800, 64);
	memcpy(gpa(e, TX_BUF), f, 64);
	rx_setup(e, 8, RCTL_LBM_MAC);
	tx_setup(e, 8);
	wr(e, TCTL, TCTL_EN);                              /* no padding */
	txd_legacy(e, 0, TX_BUF, 1, TXD_EOP, 0, 0, 0);
	txd_legacy(e, 1, TX_BUF, 0, TXD_EOP, 0, 0, 0);
	txd_legacy(e, 2, TX_BUF, 13, TXD_EOP, 0, 0, 0);
	txd_legacy(e, 3, TX_BUF, 20, TXD_EOP, 0, 0, 0);
	wr(e, TDT, 4);
	assert_int_equal(e->fb->ntx, 0);                   /* looped, not sent */
	assert_int_equal(rd(e, RUC), 2);                   /* 1 and 13 bytes: runts */
	assert_int_equal(rd(e, RDH), 1);                   /* 20 bytes: padded to 60 */
	assert_int_equal(rxd(e, 0)[8], 60);
	assert_memory_equal(gpa(e, RX_BUF), f, 20);
	e1000_counters(e->dev, &c);
	assert_int_equal(c.tx_dropped, 1);                 /* the empty packet */
	assert_int_equal(rd(e, GPRC), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset_values, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_write_masks, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_partial_access, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_io_window, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_dump, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_eeprom_eerd, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_eeprom_bitbang, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_mdic_phy, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_link_change, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_icr_ims, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_itr, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_bus_master_gates_dma, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_tx_legacy, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_tx_vlan_insert, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_tx_csum_offload, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_tx_tso, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_rx_basic, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_rx_multi_descriptor_fcs, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_rx_filters, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_rx_vlan, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_rx_csum_offload, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_rx_no_buffers, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_rx_timers, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_rx_thread, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_rx_thread_spurious_wakeups, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_stress, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_hostile_tx_rings, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_hostile_tx_buffers, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_hostile_tso, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_hostile_endless_chain, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_hostile_rx, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_hostile_loopback_runts, env_setup, env_teardown),
	};

	alarm(120); /* a hang is a failure */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
