/*
 * The vhost-user front-end on KVM with the project's guest drivers: two
 * vhost-user NICs (vhost-user/frontend/) joined by the in-test back-end of
 * tests/unit/vhost-user-wire.c, running the nic-traffic workload (the image
 * the interop tier runs under QEMU) in its "pair" form: frames both ways in
 * polling and interrupt modes, checked by the guest. The guest's link tests
 * are real reconnects: for SYNC_LINK_DOWN the host kills that NIC's back-end
 * session (the guest must see the link go down), for SYNC_LINK_UP it hands
 * the device a new one (renegotiation, rings resumed from the used index,
 * link up). Doorbells are KVM ioeventfds read by the back-end, interrupts
 * the MSI-X vectors' irqfds it writes.
 *
 * usage: test-vhost-user IMAGE [--switch IOVIRT]
 * With --switch the back-end is `IOVIRT switch` (DPDK's lib/vhost), a child
 * process with one vhost-user port per NIC, the NICs its clients: the link
 * tests SIGKILL the switch (both NICs lose their back-end; the guest checks
 * the one it asked about) and start a new one, which the NICs find by
 * themselves (client mode retries every second). Before the first kill (the
 * guest's frame tests are over) the switch counted frames both ways on both
 * ports; afterwards the VMM holds as many fds as before it. The test makes the 2 MiB hugepages the switch needs (in the lab).
 * Fails on a guest assertion, a report with ok=0, a guest status other than
 * 0, a back-end protocol error, or when it outlives WATCHDOG_S.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nic.h"
#include "pci.h"
#include "vhost-user-net.h"
#include "vhost-user-wire.h"
#include "vmm-test.h"

/* As guest/host-link.h (the guest's side of the same ABI). */
#define SYNC_LINK_DOWN 0x4c440000u
#define SYNC_LINK_UP   0x4c550000u
#define SYNC_WORKLOAD  0x574b0000u
#define WATCHDOG_S     50
#define WATCHDOG_SWITCH_S 200 /* iovirt switch's start takes most of a minute under the lab's TCG */

struct run {
	struct vm vm;
	struct platform plat;
	struct vu_wire *wire;
	struct pci_device *dev[VU_WIRE_PORTS];
	/* --switch */
	const char *iovirt;
	pid_t sw;
	char dir[64], sock[VU_WIRE_PORTS][96], sw_out[96];
	int fds_before_kill;
};


static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}


static void switch_start(struct run *r)
{
	char *argv[] = { (char *)r->iovirt, "switch", "--port", r->sock[0], "--port", r->sock[1],
			 "--mbufs", "2047", NULL };
	int out = open(r->sw_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	TEST_ASSERT(out >= 0, "%s: %s", r->sw_out, strerror(errno));
	r->sw = fork();
	TEST_ASSERT(r->sw >= 0, "fork: %s", strerror(errno));
	if (r->sw == 0) {
		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out);
	double t0 = now_s();

	for (int i = 0; i < 900 && !test_file_has(r->sw_out, "switch: ready"); i++) {
		if (waitpid(r->sw, NULL, WNOHANG) == r->sw)
			break; /* it gave up: its output says why */
		usleep(100000);
	}
	printf("host: iovirt switch %s after %.1f s\n",
	       test_file_has(r->sw_out, "switch: ready") ? "ready" : "not ready", now_s() - t0);
	fflush(stdout);
	if (!test_file_has(r->sw_out, "switch: ready")) {
		char text[4096] = "";
		int fd = open(r->sw_out, O_RDONLY | O_CLOEXEC);

		if (fd >= 0 && read(fd, text, sizeof(text) - 1) < 0)
			text[0] = 0;
		if (fd >= 0)
			close(fd);
		TEST_ASSERT(0, "iovirt switch did not start; its output:\n%s", text);
	}
}

/* SIGKILL: the back-end dies with no goodbye. */
static void switch_kill(struct run *r)
{
	kill(r->sw, SIGKILL);
	TEST_ASSERT(waitpid(r->sw, NULL, 0) == r->sw, "waitpid switch");
	r->sw = -1;
}

/* Both NICs have their queues with a back-end again (at most 15 s). */
static void nics_running_wait(struct run *r)
{
	struct vhost_user_net_stats st[VU_WIRE_PORTS];

	for (int i = 0; i < 150; i++) {
		vhost_user_net_stats_get(r->dev[0], &st[0]);
		vhost_user_net_stats_get(r->dev[1], &st[1]);
		if (st[0].running && st[1].running)
			return;
		usleep(100000);
	}
	TEST_ASSERT(0, "the NICs did not get back to the new switch in 15 s (%s; %s)",
		    st[0].last_error, st[1].last_error);
}

/* Ports of the switch's output whose last counters show frames both ways (printed). */
static unsigned switch_ports_busy(struct run *r)
{
	char line[512];
	unsigned ports = 0;
	FILE *f = fopen(r->sw_out, "re");

	TEST_ASSERT(f, "%s: %s", r->sw_out, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		const char *rx = strstr(line, " rx="), *tx = strstr(line, " tx=");

		if (strncmp(line, "stats: port=", 12) || !rx || !tx)
			continue;
		printf("host: %s", line);
		ports += strtoull(rx + 4, NULL, 10) > 0 && strtoull(tx + 4, NULL, 10) > 0;
	}
	fclose(f);
	return ports;
}

/*
 * Before the first kill (the guest's frame tests are over): the switch
 * carried frames both ways on both ports (its counters on SIGUSR1).
 */
static void switch_traffic_check(struct run *r)
{
	kill(r->sw, SIGUSR1);
	for (int i = 0; i < 100 && !test_file_has(r->sw_out, "stats: mac "); i++)
		usleep(50000);
	TEST_ASSERT(switch_ports_busy(r) >= 2, "the switch did not carry frames both ways on both "
		    "ports");
}

/*
 * Both switch ports have their front-end's rings (DPDK's new_device ran, at
 * most 15 s): until then the switch drops frames for a port, which a guest
 * that starts sending at link up would count as lost.
 */
static void switch_ports_wait(struct run *r)
{
	char want[VU_WIRE_PORTS][160];
	int i = 0;

	for (unsigned p = 0; p < VU_WIRE_PORTS; p++)
		snprintf(want[p], sizeof(want[p]), "switch: port %u %s: front-end connected", p,
			 r->sock[p]);
	while (i++ < 150 && !(test_file_has(r->sw_out, want[0]) && test_file_has(r->sw_out, want[1])))
		usleep(100000);
	TEST_ASSERT(test_file_has(r->sw_out, want[0]) && test_file_has(r->sw_out, want[1]),
		    "the switch did not get both front-ends' rings in 15 s");
}

static void nic_plug_switch(struct run *r, unsigned i)
{
	struct vhost_user_net_config cfg = { .socket = r->sock[i], .fd = -1 };
	int ret;

	nic_default_mac(i, cfg.mac);
	ret = vhost_user_net_create(&r->vm, r->plat.pci, &cfg, &r->dev[i]);
	TEST_ASSERT(!ret, "vhost_user_net_create %s: %s", r->sock[i], strerror(-ret));
}

static void nic_plug(struct run *r, unsigned i)
{
	struct vhost_user_net_config cfg = { .socket = i ? "wire-port-1" : "wire-port-0",
					     .fd = vu_wire_attach(r->wire, i) };
	int ret;

	TEST_ASSERT(cfg.fd >= 0, "wire attach: %s", strerror(-cfg.fd));
	nic_default_mac(i, cfg.mac);
	ret = vhost_user_net_create(&r->vm, r->plat.pci, &cfg, &r->dev[i]);
	TEST_ASSERT(!ret, "vhost_user_net_create: %s", strerror(-ret));
}

static void sync_handle(struct run *r, struct ucall *uc)
{
	uint64_t stage = uc->args[0], i = uc->args[1];
	int ret;

	if (test_sync_tsc_answer(r->vm.vcpus[0], uc))
		return;
	if (stage == SYNC_WORKLOAD) {
		TEST_ASSERT(!ucall_reply(r->vm.vcpus[0], 0), "ucall reply");
		return;
	}
	if (stage != SYNC_LINK_DOWN && stage != SYNC_LINK_UP)
		return;
	TEST_ASSERT(i < VU_WIRE_PORTS, "link sync for NIC %llu", (unsigned long long)i);
	printf("host: back-end of nic=%llu %s\n", (unsigned long long)i,
	       stage == SYNC_LINK_UP ? "comes back" : "dies");
	if (r->iovirt && stage == SYNC_LINK_DOWN) {
		nics_running_wait(r);
		if (!r->fds_before_kill) {
			switch_traffic_check(r);
			r->fds_before_kill = test_fd_count();
		}
		switch_kill(r);
		return;
	}
	if (r->iovirt) {
		switch_start(r);
		nics_running_wait(r);
		switch_ports_wait(r);
		return;
	}
	if (stage == SYNC_LINK_DOWN) {
		vu_wire_detach(r->wire, i);
		return;
	}
	ret = vhost_user_net_attach_fd(r->dev[i], vu_wire_attach(r->wire, i));
	TEST_ASSERT(!ret, "reattach nic %llu: %s", (unsigned long long)i, strerror(-ret));
}

/* The switch's counters at its exit (SIGTERM): both ports took and delivered frames. */
/* On a failure: the switch's counters and everything it said. */
static void switch_dump(struct run *r)
{
	char text[8192] = "";
	int fd;
	ssize_t n;

	kill(r->sw, SIGUSR1);
	usleep(500000);
	fd = open(r->sw_out, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
	if (fd >= 0)
		close(fd);
	printf("host: iovirt switch's output:\n%s\n", n > 0 ? text : "(none)");
	fflush(stdout);
}

/* The last switch stops cleanly on SIGTERM. */
static void switch_finish(struct run *r)
{
	int status;

	kill(r->sw, SIGTERM);
	TEST_ASSERT(waitpid(r->sw, &status, 0) == r->sw && WIFEXITED(status) &&
		    !WEXITSTATUS(status), "iovirt switch did not exit 0 on SIGTERM");
	switch_ports_busy(r);
	unlink(r->sw_out);
	rmdir(r->dir);
}

static void switch_setup(struct run *r)
{
	snprintf(r->dir, sizeof(r->dir), "/tmp/iovirt-test-vu-XXXXXX");
	TEST_ASSERT(mkdtemp(r->dir), "mkdtemp: %s", strerror(errno));
	for (unsigned i = 0; i < VU_WIRE_PORTS; i++)
		snprintf(r->sock[i], sizeof(r->sock[i]), "%s/port%u.sock", r->dir, i);
	snprintf(r->sw_out, sizeof(r->sw_out), "%s/switch.out", r->dir);
	test_hugepages_ensure(128);
	switch_start(r);
	nic_plug_switch(r, 0);
	nic_plug_switch(r, 1);
}

int main(int argc, char **argv)
{
	const char *image = test_image(argc, argv);
	struct run *r = calloc(1, sizeof(*r));
	struct vu_wire_stats st;
	struct ucall uc;

	TEST_ASSERT(r, "no memory");
	r->iovirt = argc >= 4 && !strcmp(argv[2], "--switch") ? argv[3] : NULL;
	test_watchdog(r->iovirt ? WATCHDOG_SWITCH_S : WATCHDOG_S);
	test_vm_create(&r->vm, &r->plat, image, 1, 128 << 20, 1);
	if (r->iovirt) {
		switch_setup(r);
	} else {
		TEST_ASSERT(!vu_wire_start(&r->wire), "wire");
		nic_plug(r, 0);
		nic_plug(r, 1);
	}
	for (;;) {
		uint64_t cmd = test_vcpu_ucall(r->vm.vcpus[0], &uc);

		if (cmd == UCALL_DONE)
			break;
		TEST_ASSERT(cmd == UCALL_SYNC || cmd == UCALL_PRINT, "guest: %s", uc.buf);
		if (cmd == UCALL_PRINT) {
			fputs(uc.buf, stdout);
			if (r->iovirt && strstr(uc.buf, "nic index=1 "))
				switch_ports_wait(r); /* both NICs probed: traffic starts next */
			if (strstr(uc.buf, " ok=0") && r->iovirt)
				switch_dump(r);
			TEST_ASSERT(!strstr(uc.buf, " ok=0"), "guest reported a failure");
		} else {
			sync_handle(r, &uc);
		}
	}
	TEST_ASSERT(uc.args[0] == 0, "guest status %llu", (unsigned long long)uc.args[0]);
	if (r->iovirt) {
		struct vhost_user_net_stats ns;
		int fds = test_fd_count();

		printf("host: fds before the first kill %d, at the end %d\n", r->fds_before_kill, fds);
		TEST_ASSERT(r->fds_before_kill, "the guest never asked for a link test");
		TEST_ASSERT(fds == r->fds_before_kill, "the VMM holds %d fds, %d before the kills",
			    fds, r->fds_before_kill);
		vhost_user_net_stats_get(r->dev[0], &ns);
		TEST_ASSERT(ns.connects >= 3, "nic 0 negotiated %llu sessions, want 3 (two restarts)",
			    (unsigned long long)ns.connects);
		switch_finish(r);
		vm_destroy(&r->vm);
		free(r);
		printf("ok: nic-traffic over vhost-user through iovirt switch, killed and restarted\n");
		return 0;
	}
	vu_wire_stats_get(r->wire, &st);
	printf("host: wire forwarded %llu + %llu frames, dropped %llu + %llu, sessions %llu + %llu\n",
	       (unsigned long long)st.forwarded[0], (unsigned long long)st.forwarded[1],
	       (unsigned long long)st.dropped[0], (unsigned long long)st.dropped[1],
	       (unsigned long long)st.sessions[0], (unsigned long long)st.sessions[1]);
	TEST_ASSERT(!st.protocol_errors, "the back-end saw %llu protocol errors",
		    (unsigned long long)st.protocol_errors);
	TEST_ASSERT(st.forwarded[0] && st.forwarded[1], "no frames went through the back-end");
	TEST_ASSERT(st.sessions[0] >= 2 && st.sessions[1] >= 2, "the link tests did not reconnect");
	vm_destroy(&r->vm);
	vu_wire_stop(r->wire);
	free(r);
	printf("ok: nic-traffic over vhost-user\n");
	return 0;
}
