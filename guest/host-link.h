/*
 * How a guest image talks to its host. Chosen once at entry:
 *
 * - entered at _start (iovirt's loader): ucalls (ucall-abi.h), PCI
 *   configuration through ECAM at GPA_PCI_ECAM.
 * - entered through multiboot (multiboot.S; any other VMM, e.g. QEMU
 *   -kernel): lines on COM1 and an exit through QEMU's isa-debug-exit at
 *   port GUEST_DEBUG_EXIT_PORT (QEMU exits with status (v << 1) | 1 for a
 *   written v); PCI configuration through CF8/CFC.
 *
 * On the COM1 link every ucall becomes one line. Text printed with
 * guest_printf() goes out as it is; everything else is a line
 *
 *   IOVIRT-GUEST: <event> key=value ...\n
 *
 * with these events (numbers in decimal, no spaces inside a value except in
 * the last key, `msg`, which runs to the end of the line):
 *
 *   IOVIRT-GUEST: boot link=com1
 *   IOVIRT-GUEST: sync stage=<u64> value=<u64>
 *   IOVIRT-GUEST: assert line=<u> msg=<file:line: expression: message>
 *   IOVIRT-GUEST: done status=<int>
 *
 * and whatever a workload reports with guest_report() (event and keys of its
 * choosing, same syntax). A SYNC gets no answer on COM1 (it returns 0): the
 * workload polls for the effect it asked the host for, with a timeout.
 * After `done` (and after `assert`, which ends the run with status 1) the
 * image writes status & 0xff to the exit port; a host without the device
 * sees the CPU halt.
 */
#ifndef GUEST_HOST_LINK_H
#define GUEST_HOST_LINK_H

#include <stdint.h>

#include "ucall-abi.h"

#define GUEST_REPORT_PREFIX   "IOVIRT-GUEST: "
#define GUEST_DEBUG_EXIT_PORT 0xf4

/* SYNC stages the host acts on (value: the NIC index, see nic.h). */
#define GUEST_SYNC_LINK_DOWN  0x4c440000u /* take the NIC's link down */
#define GUEST_SYNC_LINK_UP    0x4c550000u /* bring it back up */
/*
 * Which workload to run (value 0): the host's reply picks it, 0 being the
 * default (COM1 always answers 0). nic-traffic.c: GUEST_WORKLOAD_BACKENDS.
 */
#define GUEST_SYNC_WORKLOAD   0x574b0000u
/*
 * Asked once by guest_tsc_per_ms() under iovirt (value 0): a host may answer
 * with the vCPU's TSC rate in kHz (KVM_GET_TSC_KHZ); 0, the default, makes
 * the guest calibrate against the PIT, which nested KVM in the lab gets
 * tens of times too low.
 */
#define GUEST_SYNC_TSC_KHZ    UCALL_SYNC_TSC_KHZ
#define GUEST_WORKLOAD_BACKENDS 1 /* NIC 0 on loop, 1 on gen, 2 on sink (nic-traffic.c) */

/* Nonzero when entered through multiboot (set by multiboot.S before _start). */
extern volatile uint32_t guest_link_foreign;

/*
 * Under multiboot: the physical address of the loader's multiboot
 * information (flags at +0; bit 2 set: the command line's address at +16,
 * a NUL-terminated string below 4 GiB); 0 under iovirt.
 */
extern volatile uint32_t guest_mb_info;

/*
 * COM1 side of the ucalls (host-link.c): print buf (UCALL_PRINT) or the line
 * for cmd; DONE and ASSERT end the run and do not return. Returns 0.
 */
uint64_t guest_link_com1_ucall(uint64_t cmd, uint64_t a0, uint64_t a1, const char *buf);

/*
 * Report one machine-readable line: GUEST_REPORT_PREFIX, then fmt, then a
 * newline, through the host link (a UCALL_PRINT under iovirt).
 */
void guest_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A rough time base: TSC ticks per millisecond, from the host's answer to
 * GUEST_SYNC_TSC_KHZ or else measured against the PIT, at first use.
 */
uint64_t guest_tsc_per_ms(void);

#endif
