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
 * usage: test-vhost-user IMAGE
 * Fails on a guest assertion, a report with ok=0, a guest status other than
 * 0, a back-end protocol error, or when it outlives WATCHDOG_S.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nic.h"
#include "pci.h"
#include "sandbox.h"
#include "vhost-user-net.h"
#include "vhost-user-wire.h"
#include "vmm-test.h"

/* As guest/host-link.h (the guest's side of the same ABI). */
#define SYNC_LINK_DOWN 0x4c440000u
#define SYNC_LINK_UP   0x4c550000u
#define SYNC_WORKLOAD  0x574b0000u
#define WATCHDOG_S     50

struct run {
	struct vm vm;
	struct platform plat;
	struct vu_wire *wire;
	struct pci_device *dev[VU_WIRE_PORTS];
};

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
	if (stage == SYNC_LINK_DOWN) {
		vu_wire_detach(r->wire, i);
		return;
	}
	ret = vhost_user_net_attach_fd(r->dev[i], vu_wire_attach(r->wire, i));
	TEST_ASSERT(!ret, "reattach nic %llu: %s", (unsigned long long)i, strerror(-ret));
}

int main(int argc, char **argv)
{
	const char *image = test_image(argc, argv);
	struct run *r = calloc(1, sizeof(*r));
	struct vu_wire_stats st;
	struct ucall uc;

	TEST_ASSERT(r, "no memory");
	test_watchdog(WATCHDOG_S);
	/* the NICs' threads under their seccomp filters, as in iovirt run */
	TEST_ASSERT(!sandbox_enable(SANDBOX_TRAP), "cannot turn the sandbox on");
	test_vm_create(&r->vm, &r->plat, image, 1, 128 << 20, 1);
	TEST_ASSERT(!vu_wire_start(&r->wire), "wire");
	nic_plug(r, 0);
	nic_plug(r, 1);
	for (;;) {
		uint64_t cmd = test_vcpu_ucall(r->vm.vcpus[0], &uc);

		if (cmd == UCALL_DONE)
			break;
		TEST_ASSERT(cmd == UCALL_SYNC || cmd == UCALL_PRINT, "guest: %s", uc.buf);
		if (cmd == UCALL_PRINT) {
			fputs(uc.buf, stdout);
			TEST_ASSERT(!strstr(uc.buf, " ok=0"), "guest reported a failure");
		} else {
			sync_handle(r, &uc);
		}
	}
	TEST_ASSERT(uc.args[0] == 0, "guest status %llu", (unsigned long long)uc.args[0]);
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
