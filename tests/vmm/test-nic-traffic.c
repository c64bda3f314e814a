/*
 * iovirt's own NIC models (emulated-devs/) with the project's guest drivers
 * on KVM: the nic-traffic workload (tests/interop/nic-traffic.c, the image
 * the interop tier runs under QEMU) on NICs made by nic_add().
 *
 * usage: test-nic-traffic IMAGE pair MODEL0 MODEL1
 *          two NICs on hub:0; the host answers GUEST_SYNC_LINK_DOWN/UP with
 *          nic_set_link()
 *        test-nic-traffic IMAGE backends MODEL
 *          three NICs of MODEL on loop, gen and sink; afterwards gen must have
 *          verified every frame the guest sent it and sink counted every frame
 *
 * Every frame report of the guest is followed by a line
 *   exits-per-packet tx=MODEL|gen rx=MODEL|loop|gen|sink mode=poll|irq size=N
 *                    frames=N exits=N mmio=N io=N ratio=R (nested KVM)
 * with the vCPU's KVM exit counters (vcpu_stat) over that report's run: the
 * guest's work for both ends of the run (a back-end as rx: transmit only,
 * but loop's frames also come back in), plus the one exit of the report.
 * The test fails on a guest assertion, any report with ok=0, a guest status
 * other than 0, wrong back-end counters, or when it outlives WATCHDOG_S.
 */
#ifndef IOVIRT_GUEST
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net-gen.h"
#include "nic.h"
#include "pci.h"
#include "vmm-test.h"

/* As guest/host-link.h (the guest's side of the same ABI). */
#define SYNC_LINK_DOWN    0x4c440000u
#define SYNC_LINK_UP      0x4c550000u
#define SYNC_WORKLOAD     0x574b0000u
#define WORKLOAD_BACKENDS 1
#define BACKEND_FRAMES    64 /* as nic-traffic.c */
#define BACKEND_GEN_LEN   512
#define WATCHDOG_S        50 /* below the 60 s meson timeout, so the test says why */

#define NICS_MAX 3

struct run {
	struct vm vm;
	struct platform plat;
	struct nic nics[NICS_MAX];
	const char *kinds[NICS_MAX];
	unsigned count;
	bool backends;
	uint64_t exits, mmio, io; /* at the previous report */
};

static void nic_plug(struct run *r, const char *model, const char *backend)
{
	char arg[NET_BE_SPEC_MAX + 32];
	struct nic_spec spec;
	const char *why = "", *stage = "";
	uint8_t mac[6];
	int ret;

	snprintf(arg, sizeof(arg), "%s,backend=%s", model, backend);
	ret = nic_spec_parse(arg, &spec, &why);
	TEST_ASSERT(!ret, "%s: %s", arg, why);
	nic_default_mac(r->count, mac);
	ret = nic_add(&r->vm, r->plat.pci, &spec, mac, &r->nics[r->count], &stage);
	TEST_ASSERT(!ret, "nic_add %s: %s: %s", arg, stage, strerror(-ret));
	r->kinds[r->count++] = spec.model->name;
}

static uint64_t stat_read(struct run *r, const char *name)
{
	uint64_t v = 0;

	TEST_ASSERT(!vcpu_stat(r->vm.vcpus[0], name, &v), "vcpu_stat %s", name);
	return v;
}

static void stats_print(struct run *r, const char *tx, const char *rx, const char *mode,
			unsigned len, unsigned long frames)
{
	uint64_t exits = stat_read(r, "exits"), mmio = stat_read(r, "mmio_exits");
	uint64_t io = stat_read(r, "io_exits");
	uint64_t d = exits - r->exits;

	printf("exits-per-packet tx=%s rx=%s mode=%s size=%u frames=%lu exits=%llu mmio=%llu "
	       "io=%llu ratio=%.2f (nested KVM)\n", tx, rx, mode, len, frames,
	       (unsigned long long)d, (unsigned long long)(mmio - r->mmio),
	       (unsigned long long)(io - r->io), frames ? (double)d / frames : 0.0);
}

/* One guest report line: check ok=, print exit counts for frame reports, take a snapshot. */
static void report_handle(struct run *r, const char *line)
{
	unsigned from, to, len, nic;
	unsigned long n;
	char mode[8];

	fputs(line, stdout);
	TEST_ASSERT(!strstr(line, " ok=0"), "guest reported a failure");
	if (sscanf(line, "IOVIRT-GUEST: frames mode=%7s from=%u to=%u len=%u sent=%lu", mode, &from,
		   &to, &len, &n) == 5 && from < r->count && to < r->count)
		stats_print(r, r->kinds[from], r->backends ? "loop" : r->kinds[to], mode, len, n);
	else if (sscanf(line, "IOVIRT-GUEST: gen-rx nic=%u len=%u received=%lu", &nic, &len, &n) == 3)
		stats_print(r, "gen", r->kinds[0], "poll", len, n);
	else if (sscanf(line, "IOVIRT-GUEST: gen-tx nic=%u len=%u sent=%lu", &nic, &len, &n) == 3)
		stats_print(r, r->kinds[0], "gen", "poll", len, n);
	else if (sscanf(line, "IOVIRT-GUEST: sink nic=%u len=%u sent=%lu", &nic, &len, &n) == 3)
		stats_print(r, r->kinds[0], "sink", "poll", len, n);
	r->exits = stat_read(r, "exits");
	r->mmio = stat_read(r, "mmio_exits");
	r->io = stat_read(r, "io_exits");
}

static void sync_handle(struct run *r, struct ucall *uc)
{
	uint64_t stage = uc->args[0], i = uc->args[1];

	if (test_sync_tsc_answer(r->vm.vcpus[0], uc))
		return;
	if (stage == SYNC_WORKLOAD) {
		TEST_ASSERT(!ucall_reply(r->vm.vcpus[0], r->backends ? WORKLOAD_BACKENDS : 0),
			    "ucall reply");
	} else if (stage == SYNC_LINK_DOWN || stage == SYNC_LINK_UP) {
		TEST_ASSERT(i < r->count, "link sync for NIC %llu", (unsigned long long)i);
		printf("host: link %s nic=%llu\n", stage == SYNC_LINK_UP ? "up" : "down",
		       (unsigned long long)i);
		nic_set_link(&r->nics[i], stage == SYNC_LINK_UP);
	}
}

/* Poll until the back-end counters reach want (the models send from their own threads). */
static void backends_check(struct run *r)
{
	struct net_backend_stats sink, loop;
	struct net_gen_stats gen;
	uint64_t want_bytes = BACKEND_FRAMES * (60 + 512 + 1514);

	for (int tries = 0; tries < 500; tries++) {
		net_backend_stats(r->nics[2].be, &sink);
		TEST_ASSERT(!net_gen_stats_read(r->nics[1].be, &gen), "gen stats");
		if (sink.tx_frames >= 3 * BACKEND_FRAMES && gen.verified >= BACKEND_FRAMES)
			break;
		usleep(10000);
	}
	net_backend_stats(r->nics[0].be, &loop);
	printf("host: loop tx=%llu rx=%llu; gen generated=%llu verified=%llu gaps=%llu "
	       "reordered=%llu; sink tx=%llu bytes=%llu dropped=%llu\n",
	       (unsigned long long)loop.tx_frames, (unsigned long long)loop.rx_frames,
	       (unsigned long long)gen.generated, (unsigned long long)gen.verified,
	       (unsigned long long)gen.gaps, (unsigned long long)gen.reordered,
	       (unsigned long long)sink.tx_frames, (unsigned long long)sink.tx_bytes,
	       (unsigned long long)sink.tx_dropped);
	TEST_ASSERT(loop.tx_frames == 3 * BACKEND_FRAMES && loop.rx_frames == 3 * BACKEND_FRAMES,
		    "loop counters");
	TEST_ASSERT(gen.generated == BACKEND_FRAMES && gen.done, "gen generated");
	TEST_ASSERT(gen.verified == BACKEND_FRAMES && !gen.gaps && !gen.reordered && !gen.lost,
		    "gen verification");
	for (unsigned k = 1; k < sizeof(gen.bad) / sizeof(gen.bad[0]); k++)
		TEST_ASSERT(!gen.bad[k], "gen: %llu bad frames of kind %u",
			    (unsigned long long)gen.bad[k], k);
	TEST_ASSERT(sink.tx_frames == 3 * BACKEND_FRAMES && sink.tx_bytes == want_bytes &&
		    !sink.tx_dropped, "sink counters");
}

int main(int argc, char **argv)
{
	const char *image = test_image(argc, argv);
	struct run *r = calloc(1, sizeof(*r));
	char gen[64];
	struct ucall uc;
	struct timespec t0, t1;

	TEST_ASSERT(r, "no memory");
	TEST_ASSERT(argc >= 4, "usage: %s IMAGE pair MODEL0 MODEL1 | IMAGE backends MODEL", argv[0]);
	test_watchdog(WATCHDOG_S);
	test_vm_create(&r->vm, &r->plat, image, 1, 128 << 20, 1);
	r->backends = !strcmp(argv[2], "backends");
	if (r->backends) {
		snprintf(gen, sizeof(gen), "gen:size=%u,count=%u", BACKEND_GEN_LEN, BACKEND_FRAMES);
		nic_plug(r, argv[3], "loop");
		nic_plug(r, argv[3], gen);
		nic_plug(r, argv[3], "sink");
	} else {
		TEST_ASSERT(argc >= 5 && !strcmp(argv[2], "pair"), "unknown workload %s", argv[2]);
		nic_plug(r, argv[3], "hub:0");
		nic_plug(r, argv[4], "hub:0");
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		uint64_t cmd = test_vcpu_ucall(r->vm.vcpus[0], &uc);

		if (cmd == UCALL_DONE)
			break;
		TEST_ASSERT(cmd == UCALL_SYNC || cmd == UCALL_PRINT, "guest: %s", uc.buf);
		if (cmd == UCALL_PRINT)
			report_handle(r, uc.buf);
		else
			sync_handle(r, &uc);
	}
	TEST_ASSERT(uc.args[0] == 0, "guest status %llu", (unsigned long long)uc.args[0]);
	if (r->backends)
		backends_check(r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("ok: nic-traffic %s %s%s%s in %.1f s\n", argv[2], argv[3], argc > 4 ? "+" : "",
	       argc > 4 ? argv[4] : "", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	vm_destroy(&r->vm);
	free(r);
	return 0;
}
#endif
