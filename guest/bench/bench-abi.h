/*
 * The contract between the benchmark's guest image (guest/bench/bench.c) and
 * the hosts that run it (bench/ under iovirt, QEMU under the harness or the
 * interop tier). Freestanding: compiled by the guest and the host alike.
 *
 * Parameters. Under iovirt the guest asks for each with a SYNC ucall,
 * stage BENCH_SYNC_PARAM | key, value 0; the host's reply is the value (0:
 * the default). Under multiboot (QEMU -kernel ... -append) the same keys come
 * from the command line as words "workload=tx size=64 count=1000 nic=0" (the
 * loader's first word, the image's name, is skipped; unknown words are
 * ignored; a malformed value ends the run with a guest assertion).
 *
 *   workload  tx (1): transmit flood; rx (2): receive sink; pingpong (3);
 *             reflect (4): not a benchmark workload, the other end of a
 *             pingpong between two guests (bench.c)
 *   size      frame length in bytes handed to the NIC, without FCS (60..1514)
 *   count     frames (tx, rx, reflect) or round trips (pingpong), 1..BENCH_COUNT_MAX
 *   nic       the NIC's index in bus order (0..3)
 *   peer      pingpong: 0 sends to the NIC's own MAC (a loop or reflecting
 *             back-end returns it), 1 to BENCH_PEER_MAC (a guest running
 *             reflect on a NIC with that MAC, on the same switch)
 *   gaps      pingpong and reflect, for a back-end that dies and comes back
 *             mid-run: 1 counts a round trip that times out in drops and goes
 *             on with the next sequence number until count round trips
 *             completed (ok needs packets = count), giving up only after
 *             BENCH_GAP_MAX_MS without one; the reply to a timed-out round trip
 *             may still come once, late (its frame waited in a ring), and is no
 *             error, but a reply twice is; reflect waits BENCH_REFLECT_WAIT_MS
 *             for every frame, not only the first (its host stops it)
 *
 * Reports (host-link.h syntax; decimal numbers; lines under 256 bytes):
 *
 *   IOVIRT-GUEST: bench-start workload=W size=N count=N nic=N kind=K tsc_khz=N tsc=host|pit
 *   IOVIRT-GUEST: bench-result workload=W size=N nic=N packets=N bytes=N cycles=N drops=N
 *                 errors=N p50=N p99=N min=N max=N timeout=0|1 ok=0|1
 *
 * bench-start comes right before the timed section, bench-result right after
 * it (the host samples its counters at both). packets: frames the guest sent
 * (tx), received and verified (rx), round trips completed (pingpong), or
 * frames received, verified and sent back (reflect);
 * bytes: their frame bytes (one direction); cycles: TSC ticks of the timed
 * section; drops: frames the guest knows are lost (rx: sequence gaps, and the
 * frames still missing when the stream stopped; pingpong: round trips that
 * timed out; tx: 0, the host counts its own);
 * errors: frames that failed verification; p50/p99/min/max: round-trip TSC
 * ticks (pingpong; 0 otherwise), p50 and p99 from a histogram with 1/32
 * resolution (the lower bound of the bucket); ok: packets + drops = count, no
 * errors, and no timeout (rx: a timeout after the first frame is the end of
 * the stream, its missing tail counted in drops). Then the usual `done` line.
 */
#ifndef IOVIRT_BENCH_ABI_H
#define IOVIRT_BENCH_ABI_H

#define BENCH_SYNC_PARAM 0x42500000u /* | key */

enum bench_key {
	BENCH_KEY_WORKLOAD = 0,
	BENCH_KEY_SIZE,
	BENCH_KEY_COUNT,
	BENCH_KEY_NIC,
	BENCH_KEY_PEER,
	BENCH_KEY_GAPS,
	BENCH_KEY_MAX,
};

enum bench_workload {
	BENCH_WL_NONE = 0,
	BENCH_WL_TX = 1,
	BENCH_WL_RX = 2,
	BENCH_WL_PINGPONG = 3,
	BENCH_WL_MAX,                  /* the end of the benchmark's workloads */
	BENCH_WL_REFLECT = BENCH_WL_MAX,
	BENCH_WL_ALL,
};

#define BENCH_DEFAULT_SIZE  64
#define BENCH_DEFAULT_COUNT 100000
#define BENCH_SIZE_MIN      60
#define BENCH_SIZE_MAX      1514
#define BENCH_COUNT_MAX     100000000u
#define BENCH_IDLE_MS       2000 /* a workload gives up after this long without progress */
#define BENCH_REFLECT_WAIT_MS 120000 /* reflect waits this long for its peer's first frame */
#define BENCH_GAP_MAX_MS    120000 /* pingpong with gaps=1 gives up after this long without a reply */
/* The source MAC of every frame the guest builds is its NIC's; tx and pingpong send to: */
#define BENCH_TX_DST { 0x02, 0x69, 0x6f, 0x76, 0x00, 0x02 }
/* pingpong with peer=1 sends to (the MAC a reflecting guest's NIC is given): */
#define BENCH_PEER_MAC BENCH_TX_DST

static inline const char *bench_workload_name(unsigned w)
{
	static const char *const names[BENCH_WL_ALL] = { "none", "tx", "rx", "pingpong", "reflect" };

	return w < BENCH_WL_ALL ? names[w] : "none";
}

#endif
