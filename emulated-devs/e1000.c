/*
 * e1000 (82540EM): the register table, BAR decoding, interrupts and
 * moderation timers, the I/O thread and the device's lifecycle. The data
 * paths are in e1000-tx.c and e1000-rx.c, EEPROM and PHY in e1000-eeprom.c.
 */
#include "e1000-priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "guest-mem.h"
#include "log.h"
#include "sandbox.h"
#include "vm.h"

#define E1000_LINK_POLL_MS 200  /* how often the thread looks at the back-end's link */
#define E1000_RX_BUDGET    256  /* frames per wake-up, so that quiesce is prompt */
#define E1000_SPURIOUS_MAX 4    /* wake-ups on a readable poll_fd with no frame before backing off */

const uint8_t e1000_default_mac[6] = { 0x02, 0x69, 0x6f, 0x76, 0x00, 0x01 };

const struct e1000_reg_desc e1000_reg_table[] = {
#define E1000_REG_ROW(nm, off, cnt, strd, rst, wm, rd, wr) \
	{ .name = #nm, .offset = (off), .count = (cnt), .stride = (strd), .reset = (rst), \
	  .wmask = (wm), .read = e1000_rd_##rd, .write = e1000_wr_##wr },
	E1000_REGISTERS(E1000_REG_ROW)
#undef E1000_REG_ROW
};

#define E1000_NROWS ARRAY_SIZE(e1000_reg_table)

/* The table's contract, checked at build time: aligned rows inside BAR0, few enough to index. */
#define E1000_REG_CHECK(nm, off, cnt, strd, rst, wm, rd, wr) \
	_Static_assert((off) % 4 == 0 && (strd) % 4 == 0 && (cnt) >= 1 && \
		       (off) + ((cnt) - 1) * (strd) < E1000_BAR0_SIZE, #nm ": aligned, inside BAR0");
E1000_REGISTERS(E1000_REG_CHECK)
#undef E1000_REG_CHECK
_Static_assert(E1000_NREGS < UINT16_MAX, "register indices fit the offset map");

/* Offset (in dwords) -> register index + 1 (0: nothing decodes there); index -> row. */
static uint16_t e1000_offset_map[E1000_BAR0_SIZE / 4];
static uint8_t e1000_index_row[E1000_NREGS];
_Static_assert(E1000_NROWS <= 256, "rows fit e1000_index_row");
static pthread_once_t e1000_map_once = PTHREAD_ONCE_INIT;

static void e1000_map_build(void)
{
	unsigned idx = 0;

	for (unsigned r = 0; r < E1000_NROWS; r++) {
		const struct e1000_reg_desc *d = &e1000_reg_table[r];

		for (unsigned i = 0; i < d->count; i++, idx++) {
			e1000_offset_map[(d->offset + i * d->stride) / 4] = idx + 1;
			e1000_index_row[idx] = r;
		}
	}
}

static const struct e1000_reg_desc *e1000_row(unsigned idx)
{
	return &e1000_reg_table[e1000_index_row[idx]];
}

static struct e1000 *to_e1000(struct pci_device *dev)
{
	return dev->priv;
}

/* --- register hooks that need nothing but the table --- */

void e1000_reg_store(struct e1000 *s, unsigned idx, uint32_t val)
{
	uint32_t m = e1000_row(idx)->wmask;

	s->regs[idx] = (s->regs[idx] & ~m) | (val & m);
}

uint32_t e1000_rd_plain(struct e1000 *s, unsigned idx)
{
	return s->regs[idx];
}

uint32_t e1000_rd_clr(struct e1000 *s, unsigned idx)
{
	uint32_t v = s->regs[idx];

	s->regs[idx] = 0;
	return v;
}

uint32_t e1000_rd_wo(struct e1000 *s, unsigned idx)
{
	return 0;
}

uint32_t e1000_rd_status(struct e1000 *s, unsigned idx)
{
	uint32_t v = E1000_STATUS_FD | E1000_STATUS_SPEED_1000 | E1000_STATUS_ASDV_1000;

	return s->link_up ? v | E1000_STATUS_LU : v;
}

void e1000_wr_plain(struct e1000 *s, unsigned idx, uint32_t val)
{
	e1000_reg_store(s, idx, val);
}

void e1000_wr_ro(struct e1000 *s, unsigned idx, uint32_t val)
{
}

void e1000_stat_inc(struct e1000 *s, unsigned idx)
{
	if (s->regs[idx] != UINT32_MAX)
		s->regs[idx]++;
}

void e1000_stat_add64(struct e1000 *s, unsigned lo_idx, uint64_t n)
{
	uint64_t v = s->regs[lo_idx] | (uint64_t)s->regs[lo_idx + 1] << 32;

	v = v + n < v ? UINT64_MAX : v + n;
	s->regs[lo_idx] = (uint32_t)v;
	s->regs[lo_idx + 1] = (uint32_t)(v >> 32);
}

/* --- interrupts --- */

uint64_t e1000_now(struct e1000 *s)
{
	struct timespec ts;

	if (s->clock)
		return s->clock(s->clock_opaque);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool e1000_irq_wanted(struct e1000 *s)
{
	return (s->regs[R_ICR] & s->regs[R_IMS]) != 0;
}

/*
 * INTx follows (ICR & IMS) != 0. A rising edge is held back until ITR
 * intervals (256 ns units) have passed since the last one; the timer
 * brings it up then.
 */
void e1000_irq_update(struct e1000 *s)
{
	uint64_t now;

	if (!e1000_irq_wanted(s)) {
		if (s->line) {
			s->line = false;
			pci_intx_set(&s->dev, 0);
		}
		return;
	}
	if (s->line)
		return;
	now = e1000_now(s);
	if (s->itr_next && now < s->itr_next) {
		e1000_timer_rearm(s);
		return;
	}
	s->itr_next = s->regs[R_ITR] ? now + (uint64_t)s->regs[R_ITR] * 256 : 0;
	s->line = true;
	pci_intx_set(&s->dev, 1);
}

void e1000_irq_raise(struct e1000 *s, uint32_t causes)
{
	s->regs[R_ICR] |= causes & E1000_ICR_ALL;
	e1000_irq_update(s);
}

uint32_t e1000_rd_icr(struct e1000 *s, unsigned idx)
{
	uint32_t v = s->regs[R_ICR];

	s->regs[R_ICR] = 0;
	e1000_irq_update(s);
	return v;
}

void e1000_wr_icr(struct e1000 *s, unsigned idx, uint32_t val)
{
	s->regs[R_ICR] &= ~val;
	e1000_irq_update(s);
}

void e1000_wr_ics(struct e1000 *s, unsigned idx, uint32_t val)
{
	e1000_irq_raise(s, val);
}

void e1000_wr_ims(struct e1000 *s, unsigned idx, uint32_t val)
{
	s->regs[R_IMS] |= val & E1000_ICR_ALL;
	e1000_irq_update(s);
}

void e1000_wr_imc(struct e1000 *s, unsigned idx, uint32_t val)
{
	s->regs[R_IMS] &= ~val;
	e1000_irq_update(s);
}

/* --- timers --- */

static uint64_t earliest(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	return b && b < a ? b : a;
}

void e1000_timer_rearm(struct e1000 *s)
{
	struct itimerspec its = { 0 };
	uint64_t next = earliest(earliest(s->rdtr_at, s->radv_at), earliest(s->tidv_at, s->tadv_at));

	if (!s->line && e1000_irq_wanted(s))
		next = earliest(next, s->itr_next);
	if (next) {
		its.it_value.tv_sec = next / 1000000000ull;
		its.it_value.tv_nsec = next % 1000000000ull;
	}
	if (timerfd_settime(s->timer_fd, TFD_TIMER_ABSTIME, &its, NULL))
		log_warn("e1000 %s: timerfd: %s", s->dev.bdf, strerror(errno));
}

static bool expired(uint64_t at, uint64_t now)
{
	return at && at <= now;
}

void e1000_timers_expire(struct e1000 *s, uint64_t now)
{
	uint32_t causes = 0;

	if (expired(s->rdtr_at, now) || expired(s->radv_at, now)) {
		s->rdtr_at = s->radv_at = 0;
		causes |= E1000_ICR_RXT0;
	}
	if (expired(s->tidv_at, now) || expired(s->tadv_at, now)) {
		s->tidv_at = s->tadv_at = 0;
		causes |= E1000_ICR_TXDW;
	}
	if (!causes) {
		e1000_irq_update(s);
		return;
	}
	e1000_irq_raise(s, causes);
	e1000_timer_rearm(s);
}

void e1000_wr_rdtr(struct e1000 *s, unsigned idx, uint32_t val)
{
	e1000_reg_store(s, idx, val);
	if ((val & E1000_RDTR_FPD) && (s->rdtr_at || s->radv_at)) {
		s->rdtr_at = s->radv_at = 0;
		e1000_irq_raise(s, E1000_ICR_RXT0);
		e1000_timer_rearm(s);
	}
}

/* --- the rest of the control registers --- */

static void e1000_regs_reset(struct e1000 *s)
{
	unsigned idx = 0;

	for (unsigned r = 0; r < E1000_NROWS; r++)
		for (unsigned i = 0; i < e1000_reg_table[r].count; i++)
			s->regs[idx++] = e1000_reg_table[r].reset;
	/* The EEPROM load: station address into RAL0/RAH0, valid. */
	s->regs[R_RAL] = s->mac[0] | s->mac[1] << 8 | s->mac[2] << 16 | (uint32_t)s->mac[3] << 24;
	s->regs[R_RAH] = s->mac[4] | s->mac[5] << 8 | E1000_RAH_AV;
	s->ioaddr = 0;
	s->link_up = s->be && __atomic_load_n(&s->be->link_up, __ATOMIC_ACQUIRE);
	e1000_microwire_reset(s);
	e1000_phy_reset(s);
	e1000_tx_reset(s);
	s->rx_pending = false;
	s->rx_len = 0;
	s->itr_next = s->rdtr_at = s->radv_at = s->tidv_at = s->tadv_at = 0;
	e1000_irq_update(s);
	e1000_timer_rearm(s);
}

void e1000_wr_ctrl(struct e1000 *s, unsigned idx, uint32_t val)
{
	if (val & E1000_CTRL_RST) {
		e1000_regs_reset(s);
		e1000_thread_kick(s);
		return;
	}
	e1000_reg_store(s, idx, val);
	if (val & E1000_CTRL_PHY_RST)
		e1000_phy_reset(s);
}

void e1000_wr_rctl(struct e1000 *s, unsigned idx, uint32_t val)
{
	uint32_t old = s->regs[idx];

	e1000_reg_store(s, idx, val);
	if (!(old & E1000_RCTL_EN) && (val & E1000_RCTL_EN))
		e1000_thread_kick(s);
}

void e1000_wr_rdt(struct e1000 *s, unsigned idx, uint32_t val)
{
	e1000_reg_store(s, idx, val);
	if (s->rx_blocked || s->rx_pending)
		e1000_thread_kick(s);
}

void e1000_wr_tctl(struct e1000 *s, unsigned idx, uint32_t val)
{
	e1000_reg_store(s, idx, val);
	if (val & E1000_TCTL_EN)
		e1000_tx_run(s);
}

void e1000_wr_tdt(struct e1000 *s, unsigned idx, uint32_t val)
{
	e1000_reg_store(s, idx, val);
	e1000_tx_run(s);
}

/* --- ring helpers --- */

unsigned e1000_ring_size(struct e1000 *s, unsigned len_idx)
{
	return s->regs[len_idx] / E1000_DESC_SIZE;
}

uint64_t e1000_ring_base(struct e1000 *s, unsigned bal_idx)
{
	return (uint64_t)s->regs[bal_idx + 1] << 32 | s->regs[bal_idx];
}

/* --- BAR access --- */

static uint32_t e1000_reg_read(struct e1000 *s, uint32_t off)
{
	unsigned slot = off < E1000_BAR0_SIZE ? e1000_offset_map[off / 4] : 0;

	if (!slot) {
		s->cnt.unknown_reads++;
		return 0;
	}
	return e1000_row(slot - 1)->read(s, slot - 1);
}

static void e1000_reg_write(struct e1000 *s, uint32_t off, uint32_t val)
{
	unsigned slot = off < E1000_BAR0_SIZE ? e1000_offset_map[off / 4] : 0;

	if (!slot) {
		s->cnt.unknown_writes++;
		log_debug("e1000 %s: write 0x%08x to unknown offset 0x%05x ignored", s->dev.bdf, val,
			  off);
		return;
	}
	e1000_row(slot - 1)->write(s, slot - 1, val);
}

static uint32_t e1000_io_read(struct e1000 *s, uint64_t off)
{
	if (off == 0)
		return s->ioaddr;
	if (off == 4)
		return (s->ioaddr & 3) ? 0 : e1000_reg_read(s, s->ioaddr);
	return 0;
}

static void e1000_io_write(struct e1000 *s, uint64_t off, uint32_t val)
{
	if (off == 0)
		s->ioaddr = val & 0x1ffff;
	else if (off == 4 && !(s->ioaddr & 3))
		e1000_reg_write(s, s->ioaddr, val);
	else
		s->cnt.unknown_writes++;
}

/*
 * Reads of 1..8 bytes anywhere: every dword touched is read once (with its
 * side effects) and the requested bytes returned. Writes: whole aligned
 * dwords only (the registers are 32-bit); anything else is counted and
 * ignored.
 */
static void e1000_bar_read(struct pci_device *dev, unsigned bar, uint64_t off, uint8_t *data,
			   unsigned len)
{
	struct e1000 *s = to_e1000(dev);

	memset(data, 0, len);
	pthread_mutex_lock(&s->lock);
	if (len > 8 || (bar == 1 && (len != 4 || (off & 3)))) {
		s->cnt.bad_access++;
	} else {
		for (uint64_t pos = off & ~3ull; pos < off + len; pos += 4) {
			uint32_t v = bar == 0 ? e1000_reg_read(s, pos) : e1000_io_read(s, pos);

			for (unsigned b = 0; b < 4; b++)
				if (pos + b >= off && pos + b < off + len)
					data[pos + b - off] = v >> (8 * b);
		}
	}
	pthread_mutex_unlock(&s->lock);
}

static void e1000_bar_write(struct pci_device *dev, unsigned bar, uint64_t off,
			    const uint8_t *data, unsigned len)
{
	struct e1000 *s = to_e1000(dev);
	uint32_t v[2] = { 0, 0 };

	pthread_mutex_lock(&s->lock);
	if ((len != 4 && len != 8) || (off & 3) || (bar == 1 && len != 4)) {
		s->cnt.bad_access++;
	} else {
		memcpy(v, data, len);
		for (unsigned i = 0; i < len / 4; i++) {
			if (bar == 0)
				e1000_reg_write(s, off + 4 * i, v[i]);
			else
				e1000_io_write(s, off, v[i]);
		}
	}
	pthread_mutex_unlock(&s->lock);
}

/* --- the I/O thread --- */

void e1000_thread_kick(struct e1000 *s)
{
	uint64_t one = 1;

	if (write(s->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("e1000 %s: wake eventfd: %s", s->dev.bdf, strerror(errno));
}

static void e1000_link_update(struct e1000 *s)
{
	bool up = __atomic_load_n(&s->be->link_up, __ATOMIC_ACQUIRE);

	if (up == s->link_up)
		return;
	s->link_up = up;
	e1000_irq_raise(s, E1000_ICR_LSC);
}

/* One round of the thread's work: whether to poll the back-end's fd; *taken: frames received. */
static bool e1000_io_work(struct e1000 *s, unsigned *taken)
{
	bool want;

	e1000_link_update(s);
	e1000_timers_expire(s, e1000_now(s));
	*taken = e1000_rx_drain(s, E1000_RX_BUDGET);
	want = !s->rx_pending && e1000_rx_ready(s) && s->be->poll_fd >= 0;
	s->rx_blocked = !want;
	return want;
}

void e1000_poll(struct pci_device *dev)
{
	struct e1000 *s = to_e1000(dev);
	unsigned taken;

	pthread_mutex_lock(&s->lock);
	e1000_io_work(s, &taken);
	pthread_mutex_unlock(&s->lock);
}

static void drain_fd(int fd)
{
	uint64_t n;

	while (read(fd, &n, sizeof(n)) == sizeof(n))
		;
}

/*
 * A back-end whose poll_fd stays readable while it has no frame (a broken
 * level-triggered contract) would make this loop spin: after a few such
 * wake-ups in a row the thread naps 1 ms between them, and says so once.
 */
static void e1000_io_backoff(struct e1000 *s, bool fd_ready, unsigned taken, unsigned *streak)
{
	*streak = fd_ready && !taken ? *streak + 1 : 0;
	if (*streak < E1000_SPURIOUS_MAX)
		return;
	if (*streak == E1000_SPURIOUS_MAX)
		log_warn("e1000 %s: back-end %s: poll_fd readable with no frame; backing off",
			 s->dev.bdf, s->be->spec);
	usleep(1000);
}

static void *e1000_io_thread(void *arg)
{
	struct e1000 *s = arg;
	struct epoll_event ev = { .events = EPOLLIN }, evs[4];
	bool polling = false, want, fd_ready = false;
	unsigned taken, streak = 0;
	int n;

	sandbox_thread_enter(SANDBOX_DEVICE_IO, "e1000 %02x:%02x:%02x:%02x:%02x:%02x", s->mac[0],
			     s->mac[1], s->mac[2], s->mac[3], s->mac[4], s->mac[5]);
	for (;;) {
		pthread_mutex_lock(&s->lock);
		if (s->stop) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		want = e1000_io_work(s, &taken);
		pthread_mutex_unlock(&s->lock);
		e1000_io_backoff(s, fd_ready, taken, &streak);
		if (want != polling) {
			ev.data.fd = s->be->poll_fd;
			if (epoll_ctl(s->epoll_fd, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, s->be->poll_fd,
				      &ev) == 0)
				polling = want;
		}
		n = epoll_wait(s->epoll_fd, evs, ARRAY_SIZE(evs), E1000_LINK_POLL_MS);
		if (n < 0 && errno != EINTR)
			log_warn("e1000 %s: epoll_wait: %s", s->dev.bdf, strerror(errno));
		fd_ready = false;
		for (int i = 0; i < n; i++)
			fd_ready |= evs[i].data.fd == s->be->poll_fd;
		drain_fd(s->wake_fd);
		drain_fd(s->timer_fd);
	}
	if (polling)
		epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, s->be->poll_fd, NULL);
	return NULL;
}

int e1000_start(struct pci_device *dev)
{
	struct e1000 *s = to_e1000(dev);
	int ret;

	if (s->thread_on)
		return 0;
	s->stop = false;
	ret = -pthread_create(&s->thread, NULL, e1000_io_thread, s);
	if (ret)
		return ret;
	s->thread_on = s->thread_wanted = true;
	return 0;
}

/* --- lifecycle --- */

static void e1000_quiesce(struct pci_device *dev)
{
	struct e1000 *s = to_e1000(dev);
	struct itimerspec off = { 0 };

	if (s->thread_on) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_mutex_unlock(&s->lock);
		e1000_thread_kick(s);
		pthread_join(s->thread, NULL);
		s->thread_on = false;
	}
	timerfd_settime(s->timer_fd, 0, &off, NULL);
}

static void e1000_reset(struct pci_device *dev)
{
	struct e1000 *s = to_e1000(dev);

	pthread_mutex_lock(&s->lock);
	e1000_regs_reset(s);
	s->bus_master = le_get(dev->cfg + PCI_COMMAND, 2) & PCI_COMMAND_MASTER; /* the core reset it */
	pthread_mutex_unlock(&s->lock);
	if (s->thread_wanted && e1000_start(dev))
		log_err("e1000 %s: cannot restart the I/O thread", dev->bdf);
}

static void e1000_free(struct e1000 *s)
{
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (s->timer_fd >= 0)
		close(s->timer_fd);
	if (s->be)
		net_backend_close(s->be);
	free(s->tx_buf);
	free(s->lb_buf);
	free(s->rx_buf);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void e1000_teardown(struct pci_device *dev)
{
	e1000_quiesce(dev);
	e1000_free(to_e1000(dev));
}

void e1000_destroy(struct pci_device *dev)
{
	if (dev)
		e1000_teardown(dev);
}

/*
 * Bus Master Enable gates every DMA of the model (descriptor rings and
 * buffers, both ways), as on the 8254x: with it clear the rings wait. Setting
 * it resumes them: transmit at once, receive through the I/O thread.
 */
static void e1000_cfg_write(struct pci_device *dev, unsigned off, unsigned len, uint32_t val)
{
	struct e1000 *s = to_e1000(dev);

	if (off > PCI_COMMAND || off + len <= PCI_COMMAND)
		return;
	pthread_mutex_lock(&s->lock);
	s->bus_master = le_get(dev->cfg + PCI_COMMAND, 2) & PCI_COMMAND_MASTER;
	if (s->bus_master) {
		e1000_tx_run(s);
		e1000_thread_kick(s);
	}
	pthread_mutex_unlock(&s->lock);
}

static const struct pci_device_ops e1000_ops = {
	.name = "e1000",
	.bar_read = e1000_bar_read,
	.bar_write = e1000_bar_write,
	.cfg_write = e1000_cfg_write,
	.quiesce = e1000_quiesce,
	.reset = e1000_reset,
	.teardown = e1000_teardown,
};

static int e1000_fds_open(struct e1000 *s)
{
	struct epoll_event ev = { .events = EPOLLIN };

	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->timer_fd < 0 || s->wake_fd < 0 || s->epoll_fd < 0)
		return -errno;
	ev.data.fd = s->wake_fd;
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->wake_fd, &ev))
		return -errno;
	ev.data.fd = s->timer_fd;
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->timer_fd, &ev))
		return -errno;
	return 0;
}

static int e1000_setup(struct e1000 *s)
{
	int ret;

	s->tx_buf = malloc(E1000_TX_BUF_SIZE);
	s->lb_buf = malloc(E1000_RX_BUF_SIZE);
	s->rx_buf = malloc(E1000_RX_BUF_SIZE);
	if (!s->tx_buf || !s->lb_buf || !s->rx_buf)
		return -ENOMEM;
	ret = e1000_fds_open(s);
	if (ret)
		return ret;
	pci_device_init(&s->dev, &e1000_ops, s, E1000_VENDOR_ID, E1000_DEVICE_ID, E1000_CLASS, 2);
	ret = pci_device_add_bar(&s->dev, 0, PCI_BAR_MEM32, E1000_BAR0_SIZE, false, NULL);
	if (!ret)
		ret = pci_device_add_bar(&s->dev, 1, PCI_BAR_IO, E1000_BAR1_SIZE, false, NULL);
	if (ret)
		return ret;
	e1000_eeprom_init(s);
	e1000_regs_reset(s);
	return 0;
}

int e1000_new(const struct guest_mem *mem, struct net_backend *be, const uint8_t mac[6],
	      struct pci_device **out)
{
	struct e1000 *s;
	int ret;

	if (!mem || !be || !out)
		return -EINVAL;
	pthread_once(&e1000_map_once, e1000_map_build);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->timer_fd = s->wake_fd = s->epoll_fd = -1;
	s->mem = mem;
	memcpy(s->mac, mac ? mac : e1000_default_mac, 6);
	ret = e1000_setup(s);
	if (ret) {
		e1000_free(s);
		return ret;
	}
	s->be = be;
	s->link_up = __atomic_load_n(&be->link_up, __ATOMIC_ACQUIRE);
	*out = &s->dev;
	return 0;
}

int e1000_create(struct vm *vm, struct pci_root *root, struct net_backend *be,
		 const uint8_t mac[6], struct pci_device **out)
{
	struct pci_device *dev;
	int ret;

	if (!vm || !root)
		return -EINVAL;
	ret = e1000_new(&vm->mem, be, mac, &dev);
	if (ret)
		return ret;
	/* The thread first: with IMS 0 after reset it raises no interrupt before the guest runs. */
	ret = e1000_start(dev);
	if (!ret)
		ret = pci_root_add_device(root, dev, -1);
	if (ret) {
		e1000_quiesce(dev);
		to_e1000(dev)->be = NULL;
		e1000_destroy(dev);
		return ret;
	}
	if (out)
		*out = dev;
	return 0;
}

/* --- tests and debugging --- */

void e1000_set_clock(struct pci_device *dev, uint64_t (*now)(void *opaque), void *opaque)
{
	struct e1000 *s = to_e1000(dev);

	pthread_mutex_lock(&s->lock);
	s->clock = now;
	s->clock_opaque = opaque;
	pthread_mutex_unlock(&s->lock);
}

void e1000_counters(struct pci_device *dev, struct e1000_counters *out)
{
	struct e1000 *s = to_e1000(dev);

	pthread_mutex_lock(&s->lock);
	*out = s->cnt;
	pthread_mutex_unlock(&s->lock);
}

int e1000_regs_dump(struct pci_device *dev, FILE *out)
{
	struct e1000 *s = to_e1000(dev);
	unsigned idx = 0;
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	for (unsigned r = 0; r < E1000_NROWS && ret >= 0; r++) {
		const struct e1000_reg_desc *d = &e1000_reg_table[r];

		for (unsigned i = 0; i < d->count && ret >= 0; i++, idx++)
			ret = fprintf(out, d->count > 1 ? "%-8s[%3u] 0x%05x 0x%08x\n" :
				      "%-8s%.0u      0x%05x 0x%08x\n", d->name, i,
				      d->offset + i * d->stride, s->regs[idx]);
	}
	for (unsigned i = 0; i < E1000_PHY_REGS && ret >= 0; i++)
		ret = fprintf(out, "PHY     [%3u]         0x%04x\n", i, e1000_phy_read(s, i));
	pthread_mutex_unlock(&s->lock);
	return ret < 0 ? -EIO : 0;
}
