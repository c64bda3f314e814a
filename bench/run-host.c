/*
 * One sample of the HOST baseline: no VM. DPDK's virtio-user front-end
 * (dpdk-testpmd, txonly) sends frames of the case's size over vhost-user to
 * `iovirt switch --mode sink`, which counts them. The timed section opens
 * once the switch has counted a warm-up and closes when it has counted
 * plan->count more and at least HOST_MIN_S has passed; its rate is what a vhost-user front-end with no VM and no
 * guest around it gets from the same back-end (the seed's HOST).
 *
 * Cores: with two or more CPUs the switch polls on CPU 1 and testpmd's
 * lcores run on CPU 0; the CPU time is both processes' over the section.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define HOST_WARMUP    2000u
#define HOST_MIN_S     1.0   /* the section lasts at least this long: the counters are polled */
#define HOST_IN_FLIGHT 1024u /* testpmd's ring plus a burst the switch may not have taken */

struct host_run {
	char dir[64], sock[96], sw_out[96], pmd_out[96];
	pid_t sw, pmd;
};

/* The switch's last counters of port 0 in its output file. 0, or -ENOENT when none yet. */
static int switch_port0(const struct host_run *h, uint64_t *rx, uint64_t *rx_bytes,
			uint64_t *drops)
{
	FILE *f = fopen(h->sw_out, "re");
	char line[512];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *a = strstr(line, " rx="), *b = strstr(line, " drops="),
			   *c = strstr(line, " rx_bytes=");

		if (strncmp(line, "stats: port=0 ", 14) || !a || !b || !c)
			continue;
		*rx = strtoull(a + 4, NULL, 10);
		*drops = strtoull(b + 7, NULL, 10);
		*rx_bytes = strtoull(c + 10, NULL, 10);
		ret = 0;
	}
	fclose(f);
	return ret;
}

/* Ask the switch for its counters and wait (up to 1 s) for a new line with them. */
static int switch_poll(const struct host_run *h, uint64_t *rx, uint64_t *rx_bytes,
		       uint64_t *drops)
{
	const struct timespec nap = { .tv_nsec = 2000000 };
	uint64_t old_rx = UINT64_MAX, b, d;
	double deadline = bench_now_s() + 1;

	switch_port0(h, &old_rx, &b, &d);
	if (kill(h->sw, SIGUSR1))
		return -errno;
	while (bench_now_s() < deadline) {
		nanosleep(&nap, NULL);
		/* A line after the signal: the count moved, or a second identical line appeared. */
		if (!switch_port0(h, rx, rx_bytes, drops) && *rx != old_rx)
			return 0;
	}
	return switch_port0(h, rx, rx_bytes, drops);
}

static int cpu_both(const struct host_run *h, uint64_t *ns)
{
	uint64_t a, b;
	int ret = bench_cpu_ns(h->sw, &a) ?: bench_cpu_ns(h->pmd, &b);

	*ns = a + b;
	return ret;
}

static int host_start(struct host_run *h, const struct bench_plan *plan,
		      const struct bench_case *c, char *err, size_t len)
{
	bool two = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	char size[16], prefix[48], vdev[160];
	char *sw_argv[] = { (char *)plan->iovirt, "switch", "--port", h->sock, "--mode", "sink",
			    "--mbufs", "4095", "--busy-poll", two ? "--cores" : NULL, "1", NULL };
	char *pmd_argv[] = { "dpdk-testpmd", "--no-pci", "--in-memory", "--single-file-segments",
			     "-m", "128", "--file-prefix", prefix, "--vdev", vdev,
			     "--lcores", "0@0,1@0", "--", "--no-lsc-interrupt",
			     "--forward-mode=txonly", size, "--stats-period", "1", NULL };
	double deadline = bench_now_s() + 20;

	snprintf(size, sizeof(size), "--txpkts=%u", c->size);
	snprintf(prefix, sizeof(prefix), "iovirt-bench-pmd-%d", (int)getpid());
	snprintf(vdev, sizeof(vdev), "net_virtio_user0,path=%s,queues=1", h->sock);
	h->sw = bench_child_spawn(sw_argv, h->sw_out);
	if (h->sw < 0) {
		snprintf(err, len, "cannot start iovirt switch: %s", strerror((int)-h->sw));
		return (int)h->sw;
	}
	while (!bench_file_has(h->sw_out, "switch: ready") && bench_now_s() < deadline)
		usleep(20000);
	if (!bench_file_has(h->sw_out, "switch: ready")) {
		snprintf(err, len, "iovirt switch did not start (its output: %s)", h->sw_out);
		return -EIO;
	}
	h->pmd = bench_child_spawn(pmd_argv, h->pmd_out);
	if (h->pmd < 0) {
		snprintf(err, len, "cannot start dpdk-testpmd: %s", strerror((int)-h->pmd));
		return (int)h->pmd;
	}
	return 0;
}

/* testpmd's accumulated TX-packets from its exit summary; -1 when absent. */
static int64_t testpmd_tx_total(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512];
	int64_t total = -1;
	bool summary = false;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *t = strstr(line, "TX-packets:");

		summary |= strstr(line, "Accumulated forward statistics") != NULL;
		if (summary && t && total < 0)
			total = strtoll(t + 11, NULL, 10);
	}
	fclose(f);
	return total;
}

/* Wait until the switch counted want frames and the clock reached from; 0 or -ETIMEDOUT. */
static int counted_wait(const struct host_run *h, uint64_t want, double from, double deadline,
			uint64_t *rx, uint64_t *bytes, uint64_t *drops)
{
	while (bench_now_s() < deadline) {
		if (!switch_poll(h, rx, bytes, drops) && *rx >= want && bench_now_s() >= from)
			return 0;
		usleep(20000);
	}
	return -ETIMEDOUT;
}

static void host_measure(struct host_run *h, const struct bench_plan *plan,
			 struct bench_sample *s)
{
	double deadline = bench_now_s() + plan->timeout_s, t0, t1;
	uint64_t rx0, rx1, b0, b1, d0, d1, cpu0 = 0, cpu1 = 0;
	bool cpu_ok;

	if (counted_wait(h, HOST_WARMUP, 0, deadline, &rx0, &b0, &d0)) {
		snprintf(s->error, sizeof(s->error), "the switch counted under %u frames from "
			 "testpmd in %u s (outputs in %s)", HOST_WARMUP, plan->timeout_s, h->dir);
		return;
	}
	t0 = bench_now_s();
	cpu_ok = !cpu_both(h, &cpu0);
	if (counted_wait(h, rx0 + plan->count, t0 + HOST_MIN_S, deadline, &rx1, &b1, &d1)) {
		snprintf(s->error, sizeof(s->error), "the switch counted %llu of %u frames in "
			 "%u s (outputs in %s)", (unsigned long long)(rx1 - rx0), plan->count,
			 plan->timeout_s, h->dir);
		return;
	}
	t1 = bench_now_s();
	cpu_ok = cpu_ok && !cpu_both(h, &cpu1);
	s->res.packets = rx1 - rx0;
	s->res.bytes = b1 - b0;
	s->res.drops = d1 - d0;
	s->guest_s = s->wall_s = t1 - t0;
	s->cpu_s = cpu_ok ? (cpu1 - cpu0) / 1e9 : -1;
	s->ok = true;
}

/* Stop both; the whole run's counts must agree (testpmd's total, less what was in flight). */
static void host_stop(struct host_run *h, struct bench_sample *s)
{
	uint64_t rx = 0, bytes, drops = 0;

	if (h->pmd > 0 && bench_child_stop(h->pmd, SIGINT, 20) < 0 && s->ok) {
		snprintf(s->error, sizeof(s->error), "dpdk-testpmd did not stop on SIGINT");
		s->ok = false;
	}
	if (h->sw > 0) {
		bench_child_stop(h->sw, SIGTERM, 20);
		switch_port0(h, &rx, &bytes, &drops);
	}
	if (s->ok) {
		s->host_sent = testpmd_tx_total(h->pmd_out);
		s->host_counted = (int64_t)rx;
		s->host_drops = (int64_t)drops;
		if (s->host_sent < 0 || s->host_counted + s->host_drops > s->host_sent ||
		    s->host_sent - s->host_counted - s->host_drops > HOST_IN_FLIGHT) {
			snprintf(s->error, sizeof(s->error), "testpmd sent %lld frames, the switch "
				 "counted %lld and dropped %lld", (long long)s->host_sent,
				 (long long)s->host_counted, (long long)s->host_drops);
			s->ok = false;
		}
	}
	if (!s->ok)
		return; /* the outputs stay for the error message's reader */
	unlink(h->sw_out);
	unlink(h->pmd_out);
	unlink(h->sock);
	rmdir(h->dir);
}

int bench_host_run(const struct bench_plan *plan, const struct bench_case *c,
		   struct bench_sample *s)
{
	struct host_run h = { .sw = -1, .pmd = -1 };
	int ret;

	*s = (struct bench_sample){ .cpu_s = -1, .host_sent = -1, .host_counted = -1,
				    .host_drops = -1 };
	if (c->workload != BENCH_WL_TX)
		return -EOPNOTSUPP;
	snprintf(h.dir, sizeof(h.dir), "/tmp/iovirt-bench-host-XXXXXX");
	if (!mkdtemp(h.dir))
		return -errno;
	snprintf(h.sock, sizeof(h.sock), "%s/port.sock", h.dir);
	snprintf(h.sw_out, sizeof(h.sw_out), "%s/switch.out", h.dir);
	snprintf(h.pmd_out, sizeof(h.pmd_out), "%s/testpmd.out", h.dir);
	ret = host_start(&h, plan, c, s->error, sizeof(s->error));
	if (!ret)
		host_measure(&h, plan, s);
	host_stop(&h, s);
	return ret;
}
