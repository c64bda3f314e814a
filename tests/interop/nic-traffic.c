/*
 * NIC interop workload: two NICs on one segment (QEMU's hub, or iovirt's
 * network back-end), any mix of e1000 and virtio-net. For each direction and
 * each size (60, 512, 1514) NIC a sends FRAMES_PER_SIZE test frames
 * (net-frame.h) to NIC b's MAC, polled at ring 3; b checks every byte, the
 * sequence order, the flow and both MACs. Then one size each way
 * interrupt-driven at ring 0 (the CPU halts until b interrupts), interrupt
 * throttling on every e1000 (ITR: fewer interrupts than frames), and link
 * down/up on every NIC (asked of the host with GUEST_SYNC_LINK_DOWN/UP),
 * and notification suppression on every virtio-net.
 *
 * Reports (host-link.h syntax, all with ok=0|1):
 *   IOVIRT-GUEST: nic index=<i> kind=<e1000|e1000e|virtio-net> mac=<xx:..> ...
 *   IOVIRT-GUEST: frames mode=<poll|irq> from=<i> to=<i> len=<n> sent=<n> received=<n> errors=<n> irqs=<n> ok=
 *   IOVIRT-GUEST: itr nic=<i> frames=<n> irqs_off=<n> irqs_on=<n> ok=
 *   IOVIRT-GUEST: link nic=<i> down=<0|1> up=<0|1> irqs=<n> ok=
 *   IOVIRT-GUEST: notify nic=<i> event_idx=<0|1> queued=<n> kicks=<n> ok=  (virtio-net)
 *
 * When the host answers GUEST_SYNC_WORKLOAD with GUEST_WORKLOAD_BACKENDS
 * (iovirt's vmm tier; QEMU's runs answer 0), the workload is instead one NIC
 * per back-end: NIC 0 on loop sends each size to its own MAC and gets every
 * frame back (the `frames` report, from=0 to=0); NIC 1 on gen receives
 * BACKEND_FRAMES generated frames of BACKEND_GEN_LEN bytes (flow 0, sequence
 * from 0, broadcast) and sends as many back for gen to verify; NIC 2 on sink
 * sends BACKEND_FRAMES frames of each size. The host checks the back-ends'
 * counters after `done`. Reports:
 *   IOVIRT-GUEST: gen-rx nic=<i> len=<n> received=<n> errors=<n> ok=
 *   IOVIRT-GUEST: gen-tx nic=<i> len=<n> sent=<n> ok=
 *   IOVIRT-GUEST: sink nic=<i> len=<n> sent=<n> ok=
 */
#ifdef IOVIRT_GUEST
#include "guest.h"
#include "net-frame.h"
#include "nic.h"

#define FRAMES_PER_SIZE 64
#define WINDOW          16
#define ITR_FRAMES      48
#define ITR_INTERVAL    0xffff /* x 256 ns = 16.8 ms, the largest */
#define ITR_INTERVAL_US (ITR_INTERVAL * 256ull / 1000)
#define BACKEND_FRAMES  64
#define BACKEND_GEN_LEN 512

struct flow_job {
	struct nic *tx, *rx;
	uint32_t len, count;
	uint16_t flow;
	int irq_wait;           /* halt until rx interrupts (ring 0 only) */
	uint32_t received, errors;
	uint64_t timeout_ms;
	int timed_out;
};

static uint8_t txframe[NIC_BUF_SIZE];
static uint8_t rxframe[NIC_BUF_SIZE];
static struct nic nics[NIC_MAX];
static unsigned failures;

static uint64_t now_ms(void)
{
	return rdtsc() / guest_tsc_per_ms();
}

/* Check one received frame of job j; counts an error on any difference. */
static void frame_verify(struct flow_job *j, int len)
{
	uint32_t seq;
	uint16_t flow;

	if (len <= 0 || (uint32_t)len != j->len ||
	    net_frame_check(rxframe, len, &seq, &flow) != NET_FRAME_OK ||
	    seq != j->received || flow != j->flow ||
	    memcmp(rxframe, j->rx->mac, 6) || memcmp(rxframe + 6, j->tx->mac, 6)) {
		if (j->errors++ < 3)
			guest_printf("frame %u: len %d check %d\n", j->received, len,
				     len > 0 ? (int)net_frame_check(rxframe, len, 0, 0) : -1);
	}
	j->received++;
}

/* Take every frame b has; returns how many. */
static unsigned frames_drain(struct flow_job *j)
{
	unsigned n = 0;
	int len;

	while ((len = nic_recv(j->rx, rxframe, sizeof(rxframe))) != 0) {
		frame_verify(j, len);
		n++;
		if (len < 0)
			break; /* a broken ring stays broken: let the deadline end it */
	}
	return n;
}

/*
 * Send job j's frames (at most WINDOW in flight) and verify what arrives.
 * With irq_wait (ring 0, interrupts off), rx is drained only after one of
 * its interrupts: the CPU halts until then, so every frame is reaped because
 * of an interrupt. Returns the number sent.
 */
static uint64_t flow_run(uint64_t arg)
{
	struct flow_job *j = (struct flow_job *)arg;
	uint64_t deadline = now_ms() + j->timeout_ms, seen = j->rx->rx_irqs;
	uint32_t sent = 0;

	while (j->received < j->count && !j->timed_out) {
		if (sent < j->count && sent - j->received < WINDOW) {
			net_frame_build(txframe, j->len, j->rx->mac, j->tx->mac, j->flow, sent);
			if (nic_send(j->tx, txframe, j->len) == 0) {
				sent++;
				continue;
			}
		}
		nic_poll(j->tx);
		if (j->irq_wait) {
			if (j->rx->rx_irqs == seen) {
				safe_halt();
				irq_disable();
			}
			seen = j->rx->rx_irqs;
		}
		frames_drain(j);
		if (now_ms() > deadline)
			j->timed_out = 1;
	}
	return sent;
}

static void frames_check(struct nic *a, struct nic *b, uint32_t len, int irq)
{
	struct flow_job j = { .tx = a, .rx = b, .len = len, .count = FRAMES_PER_SIZE,
			      .flow = (uint16_t)(a->index << 8 | b->index), .irq_wait = irq,
			      .timeout_ms = 20000 };
	uint64_t irqs0 = b->rx_irqs, sent, t0 = now_ms();
	int ok;

	if (irq) {
		nic_irq_enable(b, 1);
		irq_disable();
		sent = flow_run((uint64_t)&j);
		nic_irq_enable(b, 0);
	} else {
		sent = guest_run_user(flow_run, (uint64_t)&j, 0);
	}
	ok = !j.timed_out && j.received == j.count && !j.errors && (!irq || b->rx_irqs > irqs0);
	failures += !ok;
	guest_report("frames mode=%s from=%u to=%u len=%u sent=%lu received=%u errors=%u irqs=%lu "
		     "ms=%lu ok=%d", irq ? "irq" : "poll", a->index, b->index, len,
		     (unsigned long)sent, j.received, j.errors, (unsigned long)(b->rx_irqs - irqs0),
		     (unsigned long)(now_ms() - t0), ok);
}

/* Send ITR_FRAMES one at a time from a to the e1000 b, each received before the next. */
static uint64_t itr_paced(struct nic *a, struct nic *b)
{
	uint64_t irqs0 = b->irqs, deadline = now_ms() + 20000;

	for (uint32_t i = 0; i < ITR_FRAMES; i++) {
		int len = 0;

		net_frame_build(txframe, NET_FRAME_MIN, b->mac, a->mac, 0x77, i);
		while (nic_send(a, txframe, NET_FRAME_MIN) == -EAGAIN)
			nic_poll(a);
		irq_enable();
		while (!(len = nic_recv(b, rxframe, sizeof(rxframe))) && now_ms() < deadline)
			cpu_relax();
		/* give the frame's interrupt 1 ms to arrive (a throttled one will not) */
		for (uint64_t t = now_ms() + 1, n = b->irqs; b->irqs == n && now_ms() < t; )
			cpu_relax();
		irq_disable();
		if (len != NET_FRAME_MIN)
			failures++;
	}
	/* let a throttled interrupt still due arrive */
	irq_enable();
	for (uint64_t t = now_ms() + 30; now_ms() < t; )
		cpu_relax();
	irq_disable();
	return b->irqs - irqs0;
}

/*
 * Paced frames into e1000 b without and with ITR: with it, fewer interrupts
 * than frames and than without, and at most about one per interval over
 * the time the run took (twice that plus two allowed: the guest measures
 * time with a TSC calibrated against the PIT, off by up to 25% on a loaded
 * host). Without moderation the bound is far below the frame count.
 */
static void itr_check(struct nic *a, struct nic *b)
{
	uint64_t off, on, t0, ms, bound;
	int ok;

	nic_irq_enable(b, 1);
	e1000_set_itr(b, 0);
	off = itr_paced(a, b);
	e1000_set_itr(b, ITR_INTERVAL);
	t0 = now_ms();
	on = itr_paced(a, b);
	ms = now_ms() - t0;
	e1000_set_itr(b, 0);
	nic_irq_enable(b, 0);
	bound = ms * 2000 / ITR_INTERVAL_US + 2; /* twice: the guest's clock is rough */
	ok = on < ITR_FRAMES && on < off && on <= bound;
	failures += !ok;
	guest_report("itr nic=%u frames=%u irqs_off=%lu irqs_on=%lu ms_on=%lu bound=%lu ok=%d",
		     b->index, ITR_FRAMES, (unsigned long)off, (unsigned long)on, (unsigned long)ms,
		     (unsigned long)bound, ok);
}

/* Wait up to ms for n's link to reach state; 1 when it did. */
static int link_wait(struct nic *n, int state, uint64_t ms)
{
	uint64_t deadline = now_ms() + ms;

	irq_enable();
	while (nic_link_up(n) != state && now_ms() < deadline)
		cpu_relax();
	irq_disable();
	return nic_link_up(n) == state;
}

static void link_check(struct nic *n)
{
	uint64_t irqs0 = n->link_irqs;
	int down, up, ok;

	nic_irq_enable(n, 1);
	guest_sync(GUEST_SYNC_LINK_DOWN, n->index);
	down = link_wait(n, 0, 10000);
	guest_sync(GUEST_SYNC_LINK_UP, n->index);
	up = link_wait(n, 1, 10000);
	nic_irq_enable(n, 0);
	ok = down && up && n->link_irqs - irqs0 >= 2;
	failures += !ok;
	guest_report("link nic=%u down=%d up=%d irqs=%lu ok=%d", n->index, down, up,
		     (unsigned long)(n->link_irqs - irqs0), ok);
}

/*
 * virtio-net with EVENT_IDX: the driver kicked fewer times than it queued
 * buffers (every sent frame and every reposted receive buffer).
 */
static void notify_check(struct nic *n)
{
	uint64_t queued = n->tx_frames + n->rx_frames;
	int event_idx = !!(n->features_lo & 1u << 29);
	int ok = event_idx && n->kicks < queued;

	failures += !ok;
	guest_report("notify nic=%u event_idx=%d queued=%lu kicks=%lu ok=%d", n->index, event_idx,
		     (unsigned long)queued, (unsigned long)n->kicks, ok);
}

static void nic_describe(struct nic *n)
{
	const uint8_t *m = n->mac;

	guest_report("nic index=%u kind=%s bdf=%02x:%02x.%x mac=%02x:%02x:%02x:%02x:%02x:%02x "
		     "link=%d mac_source=%s features=0x%x%08x offered=0x%x%08x",
		     n->index, n->name, n->bdf >> 8, (n->bdf >> 3) & 31, n->bdf & 7, m[0], m[1], m[2],
		     m[3], m[4], m[5], nic_link_up(n), n->mac_source ? n->mac_source : "config",
		     n->features_hi, n->features_lo, n->offered_hi, n->offered_lo);
}

/* Send count frames of len from n to dst (flow 0, sequence from 0); returns how many went. */
static uint32_t frames_send(struct nic *n, const uint8_t *dst, uint32_t len, uint32_t count)
{
	uint64_t deadline = now_ms() + 20000;
	uint32_t sent = 0;

	while (sent < count && now_ms() < deadline) {
		net_frame_build(txframe, len, dst, n->mac, 0, sent);
		if (nic_send(n, txframe, len) == 0)
			sent++;
		else
			nic_poll(n);
	}
	nic_poll(n);
	return sent;
}

/* gen's frames in order on n, then as many sent back to gen. */
static void gen_check(struct nic *n)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint64_t deadline = now_ms() + 20000;
	uint32_t received = 0, errors = 0, sent, seq;
	uint16_t flow;
	int len, ok;

	while (received < BACKEND_FRAMES && now_ms() < deadline) {
		len = nic_recv(n, rxframe, sizeof(rxframe));
		if (len == 0)
			continue;
		if (len != BACKEND_GEN_LEN || memcmp(rxframe, bcast, 6) ||
		    net_frame_check(rxframe, len, &seq, &flow) != NET_FRAME_OK ||
		    seq != received || flow != 0)
			errors++;
		received++;
		if (len < 0)
			break;
	}
	ok = received == BACKEND_FRAMES && !errors;
	failures += !ok;
	guest_report("gen-rx nic=%u len=%u received=%u errors=%u ok=%d", n->index, BACKEND_GEN_LEN,
		     received, errors, ok);
	sent = frames_send(n, bcast, BACKEND_GEN_LEN, BACKEND_FRAMES);
	ok = sent == BACKEND_FRAMES;
	failures += !ok;
	guest_report("gen-tx nic=%u len=%u sent=%u ok=%d", n->index, BACKEND_GEN_LEN, sent, ok);
}

static void sink_check(struct nic *n, uint32_t len)
{
	static const uint8_t peer[6] = { 0x02, 0, 0, 0, 0, 0x5e };
	uint32_t sent = frames_send(n, peer, len, BACKEND_FRAMES);
	int ok = sent == BACKEND_FRAMES;

	failures += !ok;
	guest_report("sink nic=%u len=%u sent=%u ok=%d", n->index, len, sent, ok);
}

/* The GUEST_WORKLOAD_BACKENDS workload (see the top of the file). */
static int backends_main(const uint32_t *sizes, unsigned nsizes)
{
	GUEST_ASSERT(nic_probe_all(nics, NIC_MAX) == 3);
	for (int i = 0; i < 3; i++) {
		nic_describe(&nics[i]);
		GUEST_ASSERT(link_wait(&nics[i], 1, 5000));
	}
	for (unsigned s = 0; s < nsizes; s++)
		frames_check(&nics[0], &nics[0], sizes[s], 0);
	gen_check(&nics[1]);
	for (unsigned s = 0; s < nsizes; s++)
		sink_check(&nics[2], sizes[s]);
	guest_report("summary failures=%u ok=%d", failures, failures == 0);
	return failures ? 1 : 0;
}

int guest_main(unsigned cpu, unsigned ncpus)
{
	static const uint32_t sizes[] = { 60, 512, 1514 };
	int count;

	if (cpu != 0)
		return 0;
	if (guest_sync(GUEST_SYNC_WORKLOAD, 0) == GUEST_WORKLOAD_BACKENDS)
		return backends_main(sizes, 3);
	count = nic_probe_all(nics, NIC_MAX);
	guest_report("probe nics=%d tsc_per_ms=%lu", count, (unsigned long)guest_tsc_per_ms());
	GUEST_ASSERT(count >= 2);
	for (int i = 0; i < 2; i++) {
		nic_describe(&nics[i]);
		GUEST_ASSERT(link_wait(&nics[i], 1, 5000));
	}
	for (unsigned s = 0; s < 3; s++) {
		frames_check(&nics[0], &nics[1], sizes[s], 0);
		frames_check(&nics[1], &nics[0], sizes[s], 0);
	}
	frames_check(&nics[0], &nics[1], 1514, 1);
	frames_check(&nics[1], &nics[0], 60, 1);
	for (int i = 0; i < 2; i++)
		if (nics[i].kind == NIC_E1000)
			itr_check(&nics[1 - i], &nics[i]);
	for (int i = 0; i < 2; i++)
		link_check(&nics[i]);
	for (int i = 0; i < 2; i++)
		guest_report("stats nic=%u tx=%lu rx=%lu kicks=%lu irqs=%lu", i,
			     (unsigned long)nics[i].tx_frames, (unsigned long)nics[i].rx_frames,
			     (unsigned long)nics[i].kicks, (unsigned long)nics[i].irqs);
	for (int i = 0; i < 2; i++)
		if (nics[i].kind == NIC_VIRTIO_NET)
			notify_check(&nics[i]);
	guest_report("summary failures=%u ok=%d", failures, failures == 0);
	return failures ? 1 : 0;
}
#endif
