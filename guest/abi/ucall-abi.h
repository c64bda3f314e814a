/*
 * The ucall ABI between a guest image and the VMM. The guest fills a struct
 * ucall in its RAM (below 4 GiB) and writes its guest-physical address with a
 * 32-bit OUT to PORT_UCALL (vmm/memory-map.h); the vCPU exits to the host,
 * which reads the struct through the bounds-checked guest memory API. The
 * layout is fixed: both sides compile this header.
 */
#ifndef IOVIRT_UCALL_ABI_H
#define IOVIRT_UCALL_ABI_H

#include <stdint.h>

#define UCALL_PORT      0x510
#define UCALL_MAX_ARGS  6
#define UCALL_BUF_SIZE  256
#define UCALL_REPLY_ARG 5 /* the host may answer a SYNC by writing args[5] before resuming */
/*
 * A SYNC stage every iovirt host answers (vm_ucall_default()): the vCPU's TSC
 * rate in kHz (KVM_GET_TSC_KHZ), 0 when unknown. Guests that calibrate
 * against the PIT get it wrong by tens of times under nested KVM.
 */
#define UCALL_SYNC_TSC_KHZ 0x54530000u

enum ucall_cmd {
	UCALL_NONE = 0,
	UCALL_PRINT,  /* buf: text to show */
	UCALL_DONE,   /* args[0]: status (0 = success) */
	UCALL_ASSERT, /* args[0]: line; buf: "file: expression: message" */
	UCALL_SYNC,   /* args[0..]: a stage the host checks; the guest continues after it */
	UCALL_MAX,
};

struct ucall {
	uint64_t cmd;
	uint64_t args[UCALL_MAX_ARGS];
	char buf[UCALL_BUF_SIZE]; /* NUL-terminated by the guest; the host never trusts that */
};

#endif
