/*
 * `iovirt switch` as a child of the harness: one vhost-user port (server) in
 * a private directory, its counters read from the 'stats:' lines it prints
 * on SIGUSR1 and at exit.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* The last port-0 counters in the output, and how many such lines there are. */
static unsigned port0_read(const struct bench_switch *sw, struct bench_switch_counts *c)
{
	FILE *f = fopen(sw->out, "re");
	char line[512];
	unsigned lines = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *rx = strstr(line, " rx="), *tx = strstr(line, " tx="),
			   *dr = strstr(line, " drops="), *rb = strstr(line, " rx_bytes="),
			   *tb = strstr(line, " tx_bytes=");

		if (strncmp(line, "stats: port=0 ", 14) || !rx || !tx || !dr || !rb || !tb)
			continue;
		c->rx = strtoull(rx + 4, NULL, 10);
		c->tx = strtoull(tx + 4, NULL, 10);
		c->drops = strtoull(dr + 7, NULL, 10);
		c->rx_bytes = strtoull(rb + 10, NULL, 10);
		c->tx_bytes = strtoull(tb + 10, NULL, 10);
		lines++;
	}
	fclose(f);
	return lines;
}

int bench_switch_start(struct bench_switch *sw, const char *iovirt, unsigned workload,
		       unsigned size, uint64_t count, int core, char *err, size_t len)
{
	static const char *const modes[] = { [BENCH_WL_TX] = "sink", [BENCH_WL_RX] = "gen",
					     [BENCH_WL_PINGPONG] = "reflect" };
	char cores[16], gen[64];
	char *argv[16] = { (char *)iovirt, "switch", "--port", sw->sock, "--mode",
			   (char *)modes[workload], "--mbufs", "4095", "--busy-poll" };
	int n = 9;
	double deadline = bench_now_s() + 60; /* the EAL is slow under nested virtualization */

	*sw = (struct bench_switch){ .pid = -1 };
	snprintf(cores, sizeof(cores), "%d", core);
	snprintf(gen, sizeof(gen), "size=%u,count=%llu", size, (unsigned long long)count);
	if (workload == BENCH_WL_RX) {
		argv[n++] = "--gen";
		argv[n++] = gen;
	}
	if (core >= 0) {
		argv[n++] = "--cores";
		argv[n++] = cores;
	}
	snprintf(sw->dir, sizeof(sw->dir), "/tmp/iovirt-bench-XXXXXX");
	if (!mkdtemp(sw->dir)) {
		snprintf(err, len, "cannot make a directory for the switch: %s", strerror(errno));
		return -errno;
	}
	snprintf(sw->sock, sizeof(sw->sock), "%s/port.sock", sw->dir);
	snprintf(sw->out, sizeof(sw->out), "%s/switch.out", sw->dir);
	sw->pid = bench_child_spawn(argv, sw->out);
	if (sw->pid < 0) {
		snprintf(err, len, "cannot start iovirt switch: %s", strerror((int)-sw->pid));
		return (int)sw->pid;
	}
	while (!bench_file_has(sw->out, "switch: ready") && bench_now_s() < deadline) {
		if (waitpid(sw->pid, NULL, WNOHANG) == sw->pid) {
			sw->pid = -1; /* it gave up: its output says why */
			break;
		}
		usleep(20000);
	}
	if (!bench_file_has(sw->out, "switch: ready")) {
		snprintf(err, len, "iovirt switch did not start (its output: %s)", sw->out);
		return -EIO;
	}
	return 0;
}

int bench_switch_counts(const struct bench_switch *sw, struct bench_switch_counts *c)
{
	const struct timespec nap = { .tv_nsec = 2000000 };
	double deadline = bench_now_s() + 1;
	unsigned before = port0_read(sw, c);

	if (kill(sw->pid, SIGUSR1))
		return -errno;
	while (bench_now_s() < deadline) {
		nanosleep(&nap, NULL);
		if (port0_read(sw, c) > before)
			return 0;
	}
	return -ETIMEDOUT;
}

int bench_switch_stop(struct bench_switch *sw, struct bench_switch_counts *c, bool keep)
{
	int status = 0;

	if (sw->pid > 0) {
		status = bench_child_stop(sw->pid, SIGTERM, 20);
		sw->pid = -1;
	}
	*c = (struct bench_switch_counts){ 0 };
	port0_read(sw, c);
	if (!keep) {
		unlink(sw->out);
		unlink(sw->sock);
		rmdir(sw->dir);
	}
	return status;
}

void bench_switch_sample_counts(const struct bench_switch *sw, unsigned workload,
				struct bench_sample *s)
{
	struct bench_switch_counts c = { 0 };
	uint64_t want = workload == BENCH_WL_TX ? s->res.packets : 0;

	for (int i = 0; i < 100 && !bench_switch_counts(sw, &c) && c.rx + c.drops < want; i++)
		usleep(20000);
	switch (workload) {
	case BENCH_WL_TX:    /* the guest sent, the switch counted and dropped */
		s->host_sent = (int64_t)s->res.packets;
		s->host_counted = (int64_t)c.rx;
		s->host_drops = (int64_t)c.drops;
		break;
	case BENCH_WL_RX:    /* the guest took what the switch generated, but for its gaps */
		s->host_sent = (int64_t)c.tx;
		s->host_counted = (int64_t)s->res.packets;
		s->host_drops = (int64_t)s->res.drops;
		break;
	default:             /* the switch reflected what it received */
		s->host_sent = (int64_t)c.rx;
		s->host_counted = (int64_t)c.tx;
		s->host_drops = (int64_t)c.drops;
		break;
	}
}
