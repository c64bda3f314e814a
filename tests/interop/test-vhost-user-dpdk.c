/*
 * The vhost-user front-end against DPDK's vhost back-end (dpdk-testpmd
 * --vdev net_vhost0, macswap forwarding), without a VM: this program is the
 * virtio-net driver (tests/unit/vhost-user-drv.h), the device runs on a
 * memfd guest RAM that testpmd maps, kicks go through the doorbells and
 * used-buffer notifications come back on the MSI-X vector eventfds.
 *
 * Phase 1: frames of 60..1514 bytes with a sequence number and a pattern go
 * out and come back with the MACs swapped; each is checked byte for byte
 * and must arrive exactly once. Phase 2: testpmd is SIGKILLed mid-traffic;
 * the guest side sees the link go down, keeps its rings; a new testpmd
 * starts, the device negotiates again and resumes at the used index: every
 * frame sent from then on comes back, none twice, no transmit descriptor is
 * completed twice, the frames lost are at most those the dead back-end
 * held, the second testpmd's counters equal ours, and the process's fd
 * count is what it was in phase 1. Phase 3: the driver resets the device
 * (the back-end gives the rings back: GET_VRING_BASE), sets it up again with
 * fresh rings, and the same testpmd carries another exchange.
 *
 * Usage: test-vhost-user-dpdk client|server (the front-end's socket mode).
 * Exits 77 when dpdk-testpmd or huge pages cannot be had, saying which.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "vhost-user-drv.h"
#include "vhost-user-net.h"

#define BIT(n) (1ULL << (n))
#define QSIZE 256
#define WINDOW 64            /* frames out and not yet back */
#define PHASE1_FRAMES 3000
#define PHASE2_FRAMES 3000
#define KILL_AT 1000         /* phase 2 frame at which testpmd dies */
#define PHASE3_FRAMES 1000
#define PHASE2_END (PHASE1_FRAMES + PHASE2_FRAMES)
#define MAX_SEQ (PHASE2_END + PHASE3_FRAMES)
#define ETH_TYPE 0x88b5

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

struct run {
	struct vdrv d;
	bool server;
	char sock[108], log[128], prefix[64];
	pid_t pmd;
	unsigned generation;
	uint8_t rx_count[MAX_SEQ];        /* times each frame came back */
	bool tx_busy[QSIZE];              /* descriptor posted, not yet used */
	unsigned tx_free[QSIZE], n_free;
	unsigned sent, received, out;     /* out: sent and not back (or lost) */
	uint64_t rx_irqs;
};

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "FAIL: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void skip(const char *why)
{
	printf("SKIP: %s\n", why);
	exit(77);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* --- what testpmd needs --- */

static long meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static bool hugetlbfs_mounted(void)
{
	FILE *f = fopen("/proc/mounts", "r");
	char line[512];
	bool found = false;

	while (f && fgets(line, sizeof(line), f))
		found |= strstr(line, " hugetlbfs ") != NULL;
	if (f)
		fclose(f);
	return found;
}

/* Huge pages as the README sets them up; skip when they cannot be had. */
static void hugepages_ensure(void)
{
	if (meminfo("HugePages_Free:") < 256) {
		FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");

		if (f) {
			fprintf(f, "%ld\n", meminfo("HugePages_Total:") + 512);
			fclose(f);
		}
	}
	if (meminfo("HugePages_Free:") < 256)
		skip("huge pages: fewer than 256 free 2 MiB pages, and nr_hugepages cannot be raised "
		     "(echo 512 > /proc/sys/vm/nr_hugepages as root)");
	if (!hugetlbfs_mounted()) {
		mkdir("/dev/hugepages", 0755);
		if (mount("nodev", "/dev/hugepages", "hugetlbfs", 0, NULL))
			skip("huge pages: no hugetlbfs mounted, and mounting one at /dev/hugepages "
			     "failed");
	}
}

static const char *testpmd_path(void)
{
	const char *p = getenv("IOVIRT_TESTPMD");
	static const char *const tries[] = { "/usr/bin/dpdk-testpmd", "/usr/local/bin/dpdk-testpmd" };

	if (p && !access(p, X_OK))
		return p;
	if (p)
		skip("DPDK: IOVIRT_TESTPMD names no executable");
	for (size_t i = 0; i < ARRAY_SIZE(tries); i++)
		if (!access(tries[i], X_OK))
			return tries[i];
	skip("DPDK: dpdk-testpmd not found (Debian package dpdk; or set IOVIRT_TESTPMD)");
	return NULL;
}

/* --- testpmd --- */

static void pmd_start(struct run *r)
{
	char vdev[256];
	int fd;

	snprintf(vdev, sizeof(vdev), "net_vhost0,iface=%s,client=%d", r->sock, r->server ? 1 : 0);
	snprintf(r->log, sizeof(r->log), "/tmp/iovirt-vu-dpdk-%d-%u.log", (int)getpid(),
		 ++r->generation);
	if (!r->server)
		unlink(r->sock); /* a killed testpmd leaves its socket file */
	r->pmd = fork();
	if (r->pmd < 0)
		die("fork: %s", strerror(errno));
	if (r->pmd)
		return;
	fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 1);
	dup2(fd, 2);
	fd = open("/dev/null", O_RDONLY);
	dup2(fd, 0);
	/*
	 * --no-flush-rx: the link comes up as soon as testpmd's port has rings,
	 * which may be before it forwards; its start-up flush would drop what the
	 * guest sent in between, frames this test counts on getting back.
	 */
	execl(testpmd_path(), "dpdk-testpmd", "-l", "0-1", "--no-pci", "--log-level=pmd.net.vhost:debug", "--file-prefix",
	      r->prefix, "--vdev", vdev, "--", "--forward-mode=macswap", "--nb-cores=1",
	      "--stats-period", "1", "--rxd=256", "--txd=256", "--no-flush-rx", (char *)NULL);
	_exit(127);
}

/* Stop testpmd with sig; for SIGINT, its counters from the log: 0 or -1. */
static int pmd_stop(struct run *r, int sig, unsigned long *rx, unsigned long *tx)
{
	char line[256];
	bool acc = false;
	FILE *f;

	kill(r->pmd, sig);
	waitpid(r->pmd, NULL, 0);
	r->pmd = 0;
	if (sig == SIGKILL)
		return 0;
	f = fopen(r->log, "r");
	while (f && fgets(line, sizeof(line), f)) {
		acc |= strstr(line, "Accumulated forward statistics") != NULL;
		if (acc && strstr(line, "RX-packets:"))
			*rx = strtoul(strstr(line, "RX-packets:") + 11, NULL, 10);
		if (acc && strstr(line, "TX-packets:"))
			*tx = strtoul(strstr(line, "TX-packets:") + 11, NULL, 10);
	}
	if (f)
		fclose(f);
	return acc ? 0 : -1;
}

static void cleanup(struct run *r)
{
	if (r->pmd > 0) {
		kill(r->pmd, SIGKILL);
		waitpid(r->pmd, NULL, 0);
	}
}

/* --- the device --- */

static struct vhost_user_net_stats dev_stats(struct run *r)
{
	struct vhost_user_net_stats s;

	vhost_user_net_stats_get(r->d.dev, &s);
	return s;
}

static void wait_running(struct run *r, bool want, double timeout)
{
	double end = now_s() + timeout;

	while (dev_stats(r).running != want) {
		if (r->pmd && waitpid(r->pmd, NULL, WNOHANG) == r->pmd)
			die("testpmd exited; see %s", r->log);
		if (now_s() > end)
			die("the link did not go %s in %.0f s (testpmd log %s; last error: %s)",
			    want ? "up" : "down", timeout, r->log, dev_stats(r).last_error);
		usleep(20000);
	}
}

/* Client mode: the first connection needs testpmd's socket, which appears when its EAL is up. */
static void device_create(struct run *r)
{
	struct vhost_user_net_config cfg = { .socket = r->sock, .server = r->server, .fd = -1,
					     .reply_timeout_ms = 10000, .reconnect_ms = 200 };
	double end = now_s() + 120;
	int ret;

	memcpy(cfg.mac, our_mac, 6);
	while ((ret = vhost_user_net_new(&r->d.mem, &cfg, &r->d.dev)) && !r->server &&
	       now_s() < end)
		usleep(200000);
	if (ret)
		die("vhost_user_net_new(%s): %s", r->sock, strerror(-ret));
}

/* --- frames --- */

static size_t frame_len(unsigned seq)
{
	return 60 + (seq * 97) % (1514 - 60 + 1);
}

static uint8_t frame_byte(unsigned seq, size_t i)
{
	return (uint8_t)(seq * 31 + i * 7);
}

static void frame_build(unsigned seq, uint8_t *f, size_t len)
{
	memcpy(f, peer_mac, 6);
	memcpy(f + 6, our_mac, 6);
	f[12] = ETH_TYPE >> 8;
	f[13] = ETH_TYPE & 0xff;
	memcpy(f + 14, &seq, 4);
	for (size_t i = 18; i < len; i++)
		f[i] = frame_byte(seq, i);
}

static void frame_check(struct run *r, const uint8_t *buf, uint32_t len)
{
	const uint8_t *f = buf + VDRV_HDR_LEN;
	unsigned seq;

	if (len < VDRV_HDR_LEN + 18)
		die("received %u bytes", len);
	memcpy(&seq, f + 14, 4);
	if (seq >= MAX_SEQ || len != VDRV_HDR_LEN + frame_len(seq))
		die("frame seq %u: length %u", seq, len);
	if (memcmp(f, our_mac, 6) || memcmp(f + 6, peer_mac, 6))
		die("frame seq %u: MACs not swapped", seq);
	for (size_t i = 18; i < frame_len(seq); i++)
		if (f[i] != frame_byte(seq, i))
			die("frame seq %u: byte %zu is 0x%02x, not 0x%02x", seq, i, f[i],
			    frame_byte(seq, i));
	if (r->rx_count[seq]++)
		die("frame seq %u received twice", seq);
	r->received++;
	if (r->out)
		r->out--; /* not when a frame the dead back-end held comes back */
}

static void rx_poll(struct run *r)
{
	uint32_t id, len;

	r->rx_irqs += vdrv_irqs(&r->d, 1 + VIRTIO_NET_RXQ);
	while (vdrv_used(&r->d, VIRTIO_NET_RXQ, &id, &len)) {
		if (id >= QSIZE)
			die("receive used id %u", id);
		frame_check(r, vdrv_gva(&r->d, VDRV_BUF(VIRTIO_NET_RXQ, id)), len);
		vdrv_post(&r->d, VIRTIO_NET_RXQ, id, VDRV_BUF_LEN, true);
		vdrv_kick(&r->d, VIRTIO_NET_RXQ);
	}
}

static void tx_reclaim(struct run *r)
{
	uint32_t id, len;

	vdrv_irqs(&r->d, 1 + VIRTIO_NET_TXQ);
	while (vdrv_used(&r->d, VIRTIO_NET_TXQ, &id, &len)) {
		if (id >= QSIZE || !r->tx_busy[id])
			die("transmit descriptor %u completed twice (or never posted)", id);
		r->tx_busy[id] = false;
		r->tx_free[r->n_free++] = id;
	}
}

static void tx_one(struct run *r, unsigned seq)
{
	uint8_t f[1514];
	unsigned id = r->tx_free[--r->n_free];

	frame_build(seq, f, frame_len(seq));
	r->tx_busy[id] = true;
	vdrv_tx(&r->d, id, f, frame_len(seq));
	vdrv_kick(&r->d, VIRTIO_NET_TXQ);
	r->sent++;
	r->out++;
}

/*
 * Send frames first..last-1 with at most WINDOW out; stop early (returning
 * the next seq) from stop_at on, as soon as at least WINDOW / 4 frames are out.
 */
static unsigned traffic(struct run *r, unsigned first, unsigned last, unsigned stop_at)
{
	double end = now_s() + 120;
	unsigned seq = first;

	while (seq < last || r->out) {
		rx_poll(r);
		tx_reclaim(r);
		if (seq >= stop_at && r->out >= WINDOW / 4)
			return seq;
		if (seq < last && r->out < WINDOW && r->n_free)
			tx_one(r, seq++);
		else
			usleep(100);
		if (now_s() > end)
			die("traffic: %u sent, %u back, %u out after 120 s", r->sent, r->received, r->out);
	}
	return seq;
}

static void rx_post_all(struct run *r)
{
	for (unsigned i = 0; i < QSIZE; i++)
		vdrv_post(&r->d, VIRTIO_NET_RXQ, i, VDRV_BUF_LEN, true);
	vdrv_kick(&r->d, VIRTIO_NET_RXQ);
	for (unsigned i = 0; i < QSIZE; i++)
		r->tx_free[r->n_free++] = i;
}

static struct run run;

static void on_exit_cleanup(void)
{
	cleanup(&run);
}

int main(int argc, char **argv)
{
	struct run *r = &run;
	uint64_t features = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) |
			    BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_MRG_RXBUF);
	unsigned fds_before, fds_session, seq, lost;
	uint16_t tx_u0, rx_u0;
	unsigned long pmd_rx = 0, pmd_tx = 0, ring_rx, ring_tx;

	r->server = argc > 1 && !strcmp(argv[1], "server");
	testpmd_path();
	hugepages_ensure();
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(r->sock, sizeof(r->sock), "/tmp/iovirt-vu-dpdk-%d.sock", (int)getpid());
	snprintf(r->prefix, sizeof(r->prefix), "iovirt-vu-%d", (int)getpid());
	atexit(on_exit_cleanup);
	if (vdrv_ram_init(&r->d))
		die("guest RAM");
	fds_before = vdrv_fd_count();

	if (r->server)
		device_create(r);
	pmd_start(r);
	if (!r->server)
		device_create(r);
	if (vdrv_start(&r->d, features, QSIZE) != 0x0f)
		die("the driver did not reach DRIVER_OK");
	rx_post_all(r);
	wait_running(r, true, 120);
	fds_session = vdrv_fd_count();

	/* Phase 1: a clean exchange. */
	traffic(r, 0, PHASE1_FRAMES, ~0u);
	if (r->received != PHASE1_FRAMES || !r->rx_irqs)
		die("phase 1: %u of %u frames back, %llu receive interrupts", r->received,
		    PHASE1_FRAMES, (unsigned long long)r->rx_irqs);
	printf("phase 1: %u frames out and back, byte-exact; %llu receive interrupts\n",
	       r->received, (unsigned long long)r->rx_irqs);

	/* Phase 2: testpmd dies mid-traffic. */
	seq = traffic(r, PHASE1_FRAMES, PHASE2_END, PHASE1_FRAMES + KILL_AT);
	pmd_stop(r, SIGKILL, NULL, NULL);
	wait_running(r, false, 30);
	usleep(100000);
	rx_poll(r);
	tx_reclaim(r);
	tx_u0 = vdrv_used_idx(&r->d, VIRTIO_NET_TXQ);
	rx_u0 = vdrv_used_idx(&r->d, VIRTIO_NET_RXQ);
	lost = r->out;
	printf("phase 2: testpmd killed with %u frames out; link down\n", lost);
	pmd_start(r);
	wait_running(r, true, 120);
	if (vdrv_fd_count() != fds_session)
		die("fd count %u after reconnecting, %u before", vdrv_fd_count(), fds_session);
	r->out = 0;                           /* those the dead back-end held */
	traffic(r, seq, PHASE2_END, ~0u);
	/* Descriptors the dead back-end took without completing were sent again. */
	for (int i = 0; i < 200 && r->n_free < QSIZE; i++) {
		usleep(10000);
		rx_poll(r);
		tx_reclaim(r);
	}
	if (r->n_free != QSIZE)
		die("%u transmit descriptors never completed", QSIZE - r->n_free);
	for (unsigned s = seq; s < PHASE2_END; s++)
		if (r->rx_count[s] != 1)
			die("frame seq %u sent after the reconnect came back %u times", s,
			    r->rx_count[s]);
	lost = PHASE2_END - r->received;
	if (lost > WINDOW)
		die("%u frames lost, more than the %u the dead back-end could hold", lost, WINDOW);
	/* What the second testpmd moved so far, by the rings. */
	ring_rx = (uint16_t)(vdrv_used_idx(&r->d, VIRTIO_NET_TXQ) - tx_u0);
	ring_tx = (uint16_t)(vdrv_used_idx(&r->d, VIRTIO_NET_RXQ) - rx_u0);
	printf("phase 2: reconnected (sessions %llu), %u frames after it all back once; "
	       "%u lost with the killed testpmd; fds %u\n",
	       (unsigned long long)dev_stats(r).connects, PHASE2_END - seq, lost, vdrv_fd_count());

	/* Phase 3: a device reset takes the rings back; a new set-up gets them going again. */
	vdrv_status(&r->d, 0);
	if (dev_stats(r).running || !dev_stats(r).connected)
		die("after the reset: running %d connected %d", dev_stats(r).running,
		    dev_stats(r).connected);
	r->n_free = 0;
	memset(r->tx_busy, 0, sizeof(r->tx_busy));
	r->out = 0;
	if (vdrv_start(&r->d, features, QSIZE) != 0x0f)
		die("the driver did not reach DRIVER_OK again");
	rx_post_all(r);
	wait_running(r, true, 30);
	r->received = 0;
	traffic(r, PHASE2_END, MAX_SEQ, ~0u);
	if (r->received != PHASE3_FRAMES)
		die("phase 3: %u of %u frames back", r->received, PHASE3_FRAMES);
	ring_rx += vdrv_used_idx(&r->d, VIRTIO_NET_TXQ);
	ring_tx += vdrv_used_idx(&r->d, VIRTIO_NET_RXQ);
	if (pmd_stop(r, SIGINT, &pmd_rx, &pmd_tx))
		die("no counters in %s", r->log);
	if (pmd_rx != ring_rx || pmd_tx != ring_tx)
		die("testpmd counted rx %lu tx %lu; the rings say %lu and %lu", pmd_rx, pmd_tx,
		    ring_rx, ring_tx);
	printf("phase 3: after a device reset %u frames out and back; testpmd rx %lu tx %lu = "
	       "the rings; GET_VRING_BASE answered; fds %u\n", PHASE3_FRAMES, pmd_rx, pmd_tx,
	       vdrv_fd_count());
	r->d.dev->ops->teardown(r->d.dev);
	if (vdrv_fd_count() != fds_before)
		die("fd count %u after the device went, %u before it came", vdrv_fd_count(), fds_before);
	vdrv_ram_free(&r->d);
	unlink(r->sock);
	printf("ok\n");
	return 0;
}
