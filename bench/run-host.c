/*
 * One sample of the HOST baseline: no VM. DPDK's virtio-user front-end
 * (dpdk-testpmd) against `iovirt switch` over vhost-user: for tx, testpmd
 * (txonly) sends frames of the case's size and the switch (sink) counts them;
 * for rx, the switch (gen) sends test frames as fast as testpmd (rxonly) takes
 * them. The timed section opens once the switch has moved a warm-up and
 * closes when it has moved plan->count more and at least HOST_MIN_S has
 * passed; its rate is what a vhost-user front-end with no VM and no guest
 * around it gets from the same back-end (the seed's HOST).
 *
 * Cores (plan->pin): testpmd's lcores on the vCPU CPU, the switch on the I/O
 * CPU; unpinned, both float. The CPU time is both processes' over the section.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define HOST_WARMUP    2000u
#define HOST_MIN_S     1.0   /* the section lasts at least this long: the counters are polled */
#define HOST_IN_FLIGHT 1024u /* a ring plus a burst sent but not taken when the run stopped */

struct host_run {
	struct bench_switch sw;
	char pmd_out[128];
	pid_t pmd;
	unsigned workload;
};

/* The frames the switch moved in this workload: counted (tx) or delivered (rx). */
static uint64_t moved(const struct host_run *h, const struct bench_switch_counts *c)
{
	return h->workload == BENCH_WL_RX ? c->tx : c->rx;
}

static uint64_t moved_bytes(const struct host_run *h, const struct bench_switch_counts *c)
{
	return h->workload == BENCH_WL_RX ? c->tx_bytes : c->rx_bytes;
}

static int cpu_both(const struct host_run *h, uint64_t *ns)
{
	uint64_t a, b;
	int ret = bench_cpu_ns(h->sw.pid, &a) ?: bench_cpu_ns(h->pmd, &b);

	*ns = a + b;
	return ret;
}

static int host_start(struct host_run *h, const struct bench_plan *plan,
		      const struct bench_case *c, char *err, size_t len)
{
	bool rx = c->workload == BENCH_WL_RX;
	char size[16], prefix[48], vdev[160], lcores[64];
	/* rxonly: --no-flush-rx, or testpmd drops what the generator queued before it started */
	char *pmd_argv[] = { "dpdk-testpmd", "--no-pci", "--in-memory", "--single-file-segments",
			     "-m", "128", "--file-prefix", prefix, "--vdev", vdev,
			     "--lcores", lcores, "--", "--no-lsc-interrupt", "--total-num-mbufs=16384",
			     "--stats-period", "1", rx ? "--forward-mode=rxonly" : "--forward-mode=txonly",
			     rx ? "--no-flush-rx" : size, NULL };
	long last = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	int ret = bench_switch_start(&h->sw, plan->iovirt, c->workload, c->size, 0, plan->pin.io,
				     err, len);

	h->workload = c->workload;
	if (ret)
		return ret;
	snprintf(size, sizeof(size), "--txpkts=%u", c->size);
	if (plan->pin.vcpu >= 0)
		snprintf(lcores, sizeof(lcores), "0@%d,1@%d", plan->pin.vcpu, plan->pin.vcpu);
	else
		snprintf(lcores, sizeof(lcores), "0@(0-%ld),1@(0-%ld)", last, last);
	snprintf(prefix, sizeof(prefix), "iovirt-bench-pmd-%d", (int)getpid());
	snprintf(vdev, sizeof(vdev), "net_virtio_user0,path=%s,queues=1", h->sw.sock);
	snprintf(h->pmd_out, sizeof(h->pmd_out), "%s/testpmd.out", h->sw.dir);
	h->pmd = bench_child_spawn(pmd_argv, h->pmd_out);
	if (h->pmd < 0) {
		snprintf(err, len, "cannot start dpdk-testpmd: %s", strerror((int)-h->pmd));
		return (int)h->pmd;
	}
	return 0;
}

/* testpmd's accumulated TX-packets or RX-packets (key) from its exit summary; -1 when absent. */
static int64_t testpmd_total(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	char line[512];
	int64_t total = -1;
	bool summary = false;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *t = strstr(line, key);

		summary |= strstr(line, "Accumulated forward statistics") != NULL;
		if (summary && t && total < 0)
			total = strtoll(t + strlen(key), NULL, 10);
	}
	fclose(f);
	return total;
}

/* Wait until the switch moved want frames and the clock reached from; 0 or -ETIMEDOUT. */
static int counted_wait(const struct host_run *h, uint64_t want, double from, double deadline,
			struct bench_switch_counts *c)
{
	while (bench_now_s() < deadline) {
		if (!bench_switch_counts(&h->sw, c) && moved(h, c) >= want && bench_now_s() >= from)
			return 0;
		usleep(20000);
	}
	return -ETIMEDOUT;
}

static void host_measure(struct host_run *h, const struct bench_plan *plan,
			 struct bench_sample *s)
{
	double deadline = bench_now_s() + plan->timeout_s, t0, t1;
	struct bench_switch_counts c0, c1;
	uint64_t cpu0 = 0, cpu1 = 0;
	bool cpu_ok;

	if (counted_wait(h, HOST_WARMUP, 0, deadline, &c0)) {
		snprintf(s->error, sizeof(s->error), "the switch moved under %u frames %s "
			 "testpmd in %u s (outputs in %s)", HOST_WARMUP,
			 h->workload == BENCH_WL_RX ? "to" : "from", plan->timeout_s, h->sw.dir);
		return;
	}
	t0 = bench_now_s();
	cpu_ok = !cpu_both(h, &cpu0);
	if (counted_wait(h, moved(h, &c0) + plan->count, t0 + HOST_MIN_S, deadline, &c1)) {
		snprintf(s->error, sizeof(s->error), "the switch moved %llu of %u frames in "
			 "%u s (outputs in %s)", (unsigned long long)(moved(h, &c1) - moved(h, &c0)),
			 plan->count, plan->timeout_s, h->sw.dir);
		return;
	}
	t1 = bench_now_s();
	cpu_ok = cpu_ok && !cpu_both(h, &cpu1);
	s->res.packets = moved(h, &c1) - moved(h, &c0);
	s->res.bytes = moved_bytes(h, &c1) - moved_bytes(h, &c0);
	s->res.drops = c1.drops - c0.drops;
	s->guest_s = s->wall_s = t1 - t0;
	s->cpu_s = cpu_ok ? (cpu1 - cpu0) / 1e9 : -1;
	s->ok = true;
}

/*
 * Stop both; the whole run's counts must agree, less what was in flight: tx, testpmd's
 * TX-packets against the switch's count and drops; rx, the switch's delivered frames
 * against testpmd's RX-packets.
 */
static void host_stop(struct host_run *h, struct bench_sample *s)
{
	struct bench_switch_counts c;
	bool pmd_stopped = h->pmd <= 0 || bench_child_stop(h->pmd, SIGINT, 20) >= 0;

	if (!pmd_stopped && s->ok) {
		snprintf(s->error, sizeof(s->error), "dpdk-testpmd did not stop on SIGINT");
		s->ok = false;
	}
	bench_switch_stop(&h->sw, &c, true);
	if (s->ok) {
		bool rx = h->workload == BENCH_WL_RX;

		s->host_sent = rx ? (int64_t)c.tx : testpmd_total(h->pmd_out, "TX-packets:");
		s->host_counted = rx ? testpmd_total(h->pmd_out, "RX-packets:") : (int64_t)c.rx;
		s->host_drops = (int64_t)c.drops;
		if (s->host_sent < 0 || s->host_counted < 0 ||
		    s->host_counted + s->host_drops > s->host_sent ||
		    s->host_sent - s->host_counted - s->host_drops > HOST_IN_FLIGHT) {
			snprintf(s->error, sizeof(s->error), "%s sent %lld frames, %s counted %lld "
				 "and the switch dropped %lld", rx ? "the switch" : "testpmd",
				 (long long)s->host_sent, rx ? "testpmd" : "the switch",
				 (long long)s->host_counted, (long long)s->host_drops);
			s->ok = false;
		}
	}
	if (!s->ok)
		return; /* the outputs stay for the error message's reader */
	unlink(h->pmd_out);
	bench_switch_stop(&h->sw, &c, false);
}

int bench_host_run(const struct bench_plan *plan, const struct bench_case *c,
		   struct bench_sample *s)
{
	struct host_run h = { .pmd = -1 };
	int ret;

	*s = (struct bench_sample){ .cpu_s = -1, .host_sent = -1, .host_counted = -1,
				    .host_drops = -1, .pinned_threads = -1 };
	if (c->workload == BENCH_WL_PINGPONG)
		return -EOPNOTSUPP;
	ret = host_start(&h, plan, c, s->error, sizeof(s->error));
	if (!ret)
		host_measure(&h, plan, s);
	host_stop(&h, s);
	return ret;
}
