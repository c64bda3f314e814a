/*
 * Guest image for test-sandbox.sh: one broadcast frame out of every NIC, then
 * the image finishes with status 0 after printing "frames sent". Behind a NIC
 * on the sandbox-trip back-end (a test-only hook) the thread that sends the
 * frame makes a forbidden system call, and the VM never gets that far.
 */
#include "guest.h"
#include "host-link.h"
#include "io.h"
#include "nic.h"

#define TX_WAIT_MS 2000

static struct nic nics[NIC_MAX];

/* 1 once the device has finished every queued frame, 0 after TX_WAIT_MS. */
static int tx_wait(struct nic *n)
{
	uint64_t end = rdtsc() + TX_WAIT_MS * guest_tsc_per_ms();

	while (n->ops->tx_pending(n))
		if (rdtsc() > end)
			return 0;
	return 1;
}

int guest_main(unsigned cpu, unsigned ncpus)
{
	uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	int count;

	if (cpu != 0)
		return 0;
	count = nic_probe_all(nics, NIC_MAX);
	GUEST_ASSERT(count >= 1);
	for (int i = 0; i < count; i++) {
		for (int k = 0; k < 6; k++)
			frame[6 + k] = nics[i].mac[k];
		frame[12] = 0x88; /* EtherType 0x88b5: local experimental */
		frame[13] = 0xb5;
		GUEST_ASSERT_EQ(nics[i].ops->send(&nics[i], frame, sizeof(frame)), 0);
		GUEST_ASSERT(tx_wait(&nics[i]));
	}
	serial_printf("frames sent on %d NICs\n", count);
	return 0;
}
