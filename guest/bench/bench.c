/*
 * The benchmark's guest workloads (parameters and reports: bench-abi.h). One
 * NIC, polled at ring 3, timed with the TSC:
 *
 *   tx        send count frames of size bytes to BENCH_TX_DST as fast as the
 *             TX ring takes them (one prebuilt test frame, sent again and
 *             again; the driver copies it into its ring). Timed from the first
 *             send until the device has finished the last frame.
 *   rx        receive count generated test frames (the host's gen back-end:
 *             flow 0, sequences from 0, any destination) and verify each byte;
 *             a sequence gap counts as drops, and so do the frames still
 *             missing when no frame came for BENCH_IDLE_MS after the first
 *             (the host checks that it sent them). Timed from the first frame
 *             to the last (the host may start sending only when it sees
 *             bench-start).
 *   pingpong  count round trips: one frame to the NIC's own MAC (peer=1:
 *             to BENCH_PEER_MAC), wait for it to come back (a loop back-end,
 *             a reflecting switch or a guest running reflect), check its
 *             sequence; TSC ticks per round trip into a histogram; the frame
 *             is verified byte by byte outside the timed part.
 *   reflect   the far end of a pingpong between two guests: receive count
 *             test frames of size bytes, verify each byte, and send each back
 *             to its source, built anew with this NIC's MAC as the source and
 *             the same flow and sequence (so the checksum covers the new MACs).
 *
 * Each stops after BENCH_IDLE_MS without progress (timeout=1): tx when the
 * ring stays full, rx, pingpong and reflect without a frame (reflect waits
 * BENCH_REFLECT_WAIT_MS for the first one, as its peer may start later).
 * With gaps=1 (bench-abi.h), pingpong and reflect ride out a back-end that
 * dies and comes back.
 */
#ifdef IOVIRT_GUEST
#include "bench-abi.h"
#include "guest.h"
#include "net-frame.h"
#include "nic.h"

#define HIST_LINEAR 64
#define HIST_SUB    32 /* buckets per power of two above HIST_LINEAR */
#define HIST_EXP    40 /* values up to 2^HIST_EXP ticks */
#define HIST_SIZE   (HIST_LINEAR + (HIST_EXP - 6) * HIST_SUB)
#define GAPS_LATE_MAX 64

struct bench_job {
	struct nic *nic;
	unsigned workload;
	uint32_t size, count;
	int peer, gaps;
	uint32_t missed[GAPS_LATE_MAX]; /* timed-out sequences + 1 (0: free), for late_reply() */
	uint64_t idle_ticks;
	uint64_t packets, bytes, cycles, drops, errors, min, max;
	int timeout;
};

static struct nic nics[NIC_MAX];
static uint8_t txframe[NIC_BUF_SIZE];
static uint8_t rxframe[NIC_BUF_SIZE];
static uint32_t hist[HIST_SIZE];

static unsigned hist_bucket(uint64_t v)
{
	unsigned e = 63 - __builtin_clzll(v | 1);

	if (v < HIST_LINEAR)
		return v;
	if (e >= HIST_EXP)
		return HIST_SIZE - 1;
	return HIST_LINEAR + (e - 6) * HIST_SUB + ((v >> (e - 5)) & (HIST_SUB - 1));
}

/* The smallest value that falls in bucket b. */
static uint64_t hist_value(unsigned b)
{
	unsigned e;

	if (b < HIST_LINEAR)
		return b;
	e = (b - HIST_LINEAR) / HIST_SUB + 6;
	return (uint64_t)(HIST_SUB + (b - HIST_LINEAR) % HIST_SUB) << (e - 5);
}

/*
 * The value below which a fraction pct/100 of job j's samples lie: its
 * bucket's lower bound, kept within [min, max].
 */
static uint64_t hist_percentile(const struct bench_job *j, unsigned pct)
{
	uint64_t want = (j->packets * pct + 99) / 100, seen = 0, v;

	if (j->workload != BENCH_WL_PINGPONG || !j->packets)
		return 0;
	for (unsigned b = 0; b < HIST_SIZE; b++) {
		seen += hist[b];
		if (seen >= want && seen) {
			v = hist_value(b);
			return v < j->min ? j->min : v > j->max ? j->max : v;
		}
	}
	return j->max;
}

/* Until the device has finished every frame sent, or the ring stopped draining. */
static void tx_drain(struct bench_job *j)
{
	for (uint64_t t0 = rdtsc(); nic_tx_pending(j->nic) && !j->timeout; )
		if (rdtsc() - t0 > j->idle_ticks)
			j->timeout = 1;
}

/* Send frame f of len bytes, polling while the ring is full; 0, or -1 once it stayed full. */
static int send_wait(struct bench_job *j, const uint8_t *f, uint32_t len)
{
	uint64_t t0 = rdtsc();

	while (nic_send(j->nic, f, len) != 0) {
		nic_poll(j->nic);
		if (rdtsc() - t0 > j->idle_ticks)
			return -1;
	}
	return 0;
}

static uint64_t tx_run(uint64_t arg)
{
	static const uint8_t dst[6] = BENCH_TX_DST;
	struct bench_job *j = (struct bench_job *)arg;
	uint64_t t0, stall = 0;

	net_frame_build(txframe, j->size, dst, j->nic->mac, 0, 0);
	t0 = rdtsc();
	while (j->packets < j->count) {
		if (nic_send(j->nic, txframe, j->size) == 0) {
			j->packets++;
			stall = 0;
			continue;
		}
		nic_poll(j->nic);
		if (!stall) {
			stall = rdtsc();
		} else if (rdtsc() - stall > j->idle_ticks) {
			j->timeout = 1; /* the ring stopped draining */
			break;
		}
	}
	tx_drain(j); /* nothing left in flight when the VM ends */
	j->cycles = rdtsc() - t0;
	j->bytes = j->packets * j->size;
	return 0;
}

/* Verify one generated frame; returns its sequence number's distance ahead of expected. */
static void rx_frame(struct bench_job *j, int len, uint32_t *expect)
{
	uint32_t seq;
	uint16_t flow;

	if (len != (int)j->size || net_frame_check(rxframe, len, &seq, &flow) != NET_FRAME_OK ||
	    flow != 0 || seq < *expect) {
		j->errors++;
		return;
	}
	j->drops += seq - *expect;
	*expect = seq + 1;
	j->packets++;
	j->bytes += len;
}

static uint64_t rx_run(uint64_t arg)
{
	struct bench_job *j = (struct bench_job *)arg;
	uint64_t t0 = 0, last = rdtsc();
	uint32_t expect = 0;
	int len;

	while (expect < j->count && j->packets + j->errors < j->count) {
		len = nic_recv(j->nic, rxframe, sizeof(rxframe));
		if (len == 0) {
			if (rdtsc() - last > j->idle_ticks) {
				j->timeout = 1;
				break;
			}
			continue;
		}
		last = rdtsc();
		if (!t0)
			t0 = last;
		rx_frame(j, len, &expect);
	}
	if (j->timeout && j->packets)
		j->drops += j->count - expect; /* the tail never came: lost on the way */
	j->cycles = t0 ? last - t0 : 0;
	return 0;
}

/*
 * With gaps=1, a reply to a round trip that timed out may still come (its
 * frame waited in a ring while the back-end was away): once, for one of the
 * last GAPS_LATE_MAX timed-out sequences, it is no error; any other stray
 * frame (a reply twice, an unknown sequence) is.
 */
static int late_reply(struct bench_job *j, uint32_t seq)
{
	for (unsigned i = 0; j->gaps && i < GAPS_LATE_MAX; i++)
		if (j->missed[i] == seq + 1) {
			j->missed[i] = 0;
			return 1;
		}
	return 0;
}

/* One round trip of frame seq; its TSC ticks, or 0 on a timeout. */
static uint64_t pingpong_once(struct bench_job *j, uint32_t seq)
{
	uint64_t t0, t1;
	static const uint8_t peer[6] = BENCH_PEER_MAC;
	uint32_t got;
	int len;

	net_frame_build(txframe, j->size, j->peer ? peer : j->nic->mac, j->nic->mac, 1, seq);
	t0 = rdtsc();
	if (send_wait(j, txframe, j->size))
		return 0;
	for (;;) {
		len = nic_recv(j->nic, rxframe, sizeof(rxframe));
		t1 = rdtsc();
		if (len > 0 && len >= 22 && net_frame_get32(rxframe + 18) == seq)
			break;
		if (len >= 22 && late_reply(j, net_frame_get32(rxframe + 18)))
			continue;
		if (len != 0)
			j->errors++; /* a stray or broken frame */
		else if (t1 - t0 > j->idle_ticks) {
			j->missed[seq % GAPS_LATE_MAX] = seq + 1;
			return 0;
		}
	}
	if (net_frame_check(rxframe, len, &got, 0) != NET_FRAME_OK || (uint32_t)len != j->size)
		j->errors++;
	nic_poll(j->nic);
	return t1 - t0 ? t1 - t0 : 1;
}

static uint64_t reflect_run(uint64_t arg)
{
	struct bench_job *j = (struct bench_job *)arg;
	uint64_t t0 = 0, last = rdtsc(), wait = BENCH_REFLECT_WAIT_MS * guest_tsc_per_ms();
	uint32_t seq;
	uint16_t flow;
	int len;

	while (j->packets + j->errors < j->count && !j->timeout) {
		len = nic_recv(j->nic, rxframe, sizeof(rxframe));
		if (len == 0) {
			if (rdtsc() - last > (t0 && !j->gaps ? j->idle_ticks : wait))
				j->timeout = 1;
			continue;
		}
		last = rdtsc();
		if (!t0)
			t0 = last;
		if (len != (int)j->size || net_frame_check(rxframe, len, &seq, &flow) != NET_FRAME_OK) {
			j->errors++;
			continue;
		}
		net_frame_build(txframe, len, rxframe + 6, j->nic->mac, flow, seq);
		if (send_wait(j, txframe, len)) {
			j->timeout = 1;
			break;
		}
		j->packets++;
		j->bytes += len;
	}
	tx_drain(j);
	j->cycles = t0 ? rdtsc() - t0 : 0;
	return 0;
}

static uint64_t pingpong_run(uint64_t arg)
{
	struct bench_job *j = (struct bench_job *)arg;
	uint64_t t0 = rdtsc(), d, gap_max = BENCH_GAP_MAX_MS / BENCH_IDLE_MS, lost = 0;

	j->min = ~0ull;
	for (uint32_t seq = 0; j->packets < j->count && (j->gaps || seq < j->count); seq++) {
		d = pingpong_once(j, seq);
		if (!d) {
			j->drops++;
			if (j->gaps && ++lost < gap_max)
				continue; /* the back-end may come back: the next round trip */
			j->timeout = 1;
			break;
		}
		lost = 0;
		hist[hist_bucket(d)]++;
		j->min = d < j->min ? d : j->min;
		j->max = d > j->max ? d : j->max;
		j->packets++;
		j->bytes += j->size;
	}
	j->cycles = rdtsc() - t0;
	if (!j->packets)
		j->min = 0;
	return 0;
}

/* ---- parameters ---- */

static int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int word_value(const char *w, const char *key, uint64_t *out)
{
	size_t n = strlen(key);
	uint64_t v = 0;

	if (memcmp(w, key, n) || w[n] != '=')
		return 0;
	w += n + 1;
	if (str_eq(key, "workload")) {
		for (unsigned k = 1; k < BENCH_WL_ALL; k++)
			if (str_eq(w, bench_workload_name(k))) {
				*out = k;
				return 1;
			}
		guest_assert_fail(__FILE__, __LINE__, "workload", "unknown workload '%s'", w);
	}
	if (!*w)
		guest_assert_fail(__FILE__, __LINE__, key, "empty value");
	for (; *w; w++) {
		if (*w < '0' || *w > '9' || v > BENCH_COUNT_MAX)
			guest_assert_fail(__FILE__, __LINE__, key, "bad number");
		v = v * 10 + (*w - '0');
	}
	*out = v;
	return 1;
}

/* Parameters from the multiboot command line (see bench-abi.h). */
static void params_cmdline(uint64_t p[BENCH_KEY_MAX])
{
	static const char *const keys[BENCH_KEY_MAX] = { "workload", "size", "count", "nic", "peer",
							 "gaps" };
	const volatile uint32_t *mbi = (const volatile uint32_t *)(uintptr_t)guest_mb_info;
	const char *s;
	char w[64];

	if (!mbi || !(mbi[0] & 4) || !mbi[4])
		return;
	s = (const char *)(uintptr_t)mbi[4];
	for (int first = 1; *s; first = 0) {
		size_t n = 0;

		while (*s == ' ')
			s++;
		while (*s && *s != ' ')
			if (n < sizeof(w) - 1)
				w[n++] = *s++;
			else
				s++;
		w[n] = 0;
		if (first || !n)
			continue;
		for (unsigned k = 0; k < BENCH_KEY_MAX; k++)
			word_value(w, keys[k], &p[k]);
	}
}

static void params_get(uint64_t p[BENCH_KEY_MAX])
{
	for (unsigned k = 0; k < BENCH_KEY_MAX; k++)
		p[k] = 0;
	if (guest_link_foreign)
		params_cmdline(p);
	else
		for (unsigned k = 0; k < BENCH_KEY_MAX; k++)
			p[k] = guest_sync(BENCH_SYNC_PARAM | k, 0);
	if (!p[BENCH_KEY_WORKLOAD])
		p[BENCH_KEY_WORKLOAD] = BENCH_WL_TX;
	if (!p[BENCH_KEY_SIZE])
		p[BENCH_KEY_SIZE] = BENCH_DEFAULT_SIZE;
	if (!p[BENCH_KEY_COUNT])
		p[BENCH_KEY_COUNT] = BENCH_DEFAULT_COUNT;
}

static int link_wait(struct nic *n, uint64_t ms)
{
	uint64_t t0 = rdtsc(), ticks = ms * guest_tsc_per_ms();

	while (!nic_link_up(n) && rdtsc() - t0 < ticks)
		cpu_relax();
	return nic_link_up(n);
}

int guest_main(unsigned cpu, unsigned ncpus)
{
	static uint64_t (*const run[BENCH_WL_ALL])(uint64_t) = {
		[BENCH_WL_TX] = tx_run, [BENCH_WL_RX] = rx_run, [BENCH_WL_PINGPONG] = pingpong_run,
		[BENCH_WL_REFLECT] = reflect_run,
	};
	uint64_t p[BENCH_KEY_MAX], khz;
	struct bench_job j = { 0 };
	int count, ok;

	if (cpu != 0)
		return 0;
	params_get(p);
	GUEST_ASSERT(p[BENCH_KEY_WORKLOAD] < BENCH_WL_ALL);
	GUEST_ASSERT(p[BENCH_KEY_PEER] <= 1 && p[BENCH_KEY_GAPS] <= 1);
	GUEST_ASSERT(p[BENCH_KEY_SIZE] >= BENCH_SIZE_MIN && p[BENCH_KEY_SIZE] <= BENCH_SIZE_MAX);
	GUEST_ASSERT(p[BENCH_KEY_COUNT] >= 1 && p[BENCH_KEY_COUNT] <= BENCH_COUNT_MAX);
	count = nic_probe_all(nics, NIC_MAX);
	GUEST_ASSERT(count > 0 && p[BENCH_KEY_NIC] < (uint64_t)count);
	j.nic = &nics[p[BENCH_KEY_NIC]];
	j.workload = p[BENCH_KEY_WORKLOAD];
	j.size = p[BENCH_KEY_SIZE];
	j.count = p[BENCH_KEY_COUNT];
	j.peer = (int)p[BENCH_KEY_PEER];
	j.gaps = (int)p[BENCH_KEY_GAPS];
	khz = guest_tsc_per_ms();
	j.idle_ticks = BENCH_IDLE_MS * khz;
	GUEST_ASSERT(link_wait(j.nic, 5000));
	guest_report("bench-start workload=%s size=%u count=%u nic=%u kind=%s tsc_khz=%lu tsc=%s",
		     bench_workload_name(j.workload), j.size, j.count, j.nic->index, j.nic->name,
		     (unsigned long)khz, guest_link_foreign ? "pit" : "host");
	guest_run_user(run[j.workload], (uint64_t)&j, 0);
	/* rx: frames lost at the end are drops like those in between (the host checks them) */
	ok = (!j.timeout || (j.workload == BENCH_WL_RX && j.packets)) && !j.errors &&
	     (j.gaps ? j.packets : j.packets + j.drops) == j.count;
	guest_report("bench-result workload=%s size=%u nic=%u packets=%lu bytes=%lu cycles=%lu "
		     "drops=%lu errors=%lu p50=%lu p99=%lu min=%lu max=%lu timeout=%d ok=%d",
		     bench_workload_name(j.workload), j.size, j.nic->index,
		     (unsigned long)j.packets, (unsigned long)j.bytes, (unsigned long)j.cycles,
		     (unsigned long)j.drops, (unsigned long)j.errors,
		     (unsigned long)hist_percentile(&j, 50),
		     (unsigned long)hist_percentile(&j, 99), (unsigned long)j.min,
		     (unsigned long)j.max, j.timeout, ok);
	return ok ? 0 : 1;
}
#endif
