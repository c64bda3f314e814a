/*
 * Host side of the ucall port (the ABI is guest/ucall-abi.h): after
 * vcpu_run() returned VCPU_EXIT_UCALL, get_ucall() copies the guest's struct
 * ucall out of guest RAM. KVM selftests style:
 *
 *	for (;;) {
 *		if (vcpu_run(vcpu) != VCPU_EXIT_UCALL) ...;
 *		switch (get_ucall(vcpu, &uc)) { case UCALL_SYNC: ...; case UCALL_DONE: ... }
 *	}
 */
#ifndef IOVIRT_UCALL_H
#define IOVIRT_UCALL_H

#include "compiler.h"
#include "ucall-abi.h"

struct vcpu;

/*
 * Copy the ucall the vCPU last pointed at into *uc (buf always NUL-terminated)
 * and return its cmd. A pointer outside RAM or an unknown cmd yields
 * UCALL_NONE with uc zeroed: a hostile guest cannot make the host read
 * outside guest memory.
 */
uint64_t get_ucall(struct vcpu *vcpu, struct ucall *uc);

/*
 * Answer the ucall the vCPU is stopped on: write value to its
 * args[UCALL_REPLY_ARG], which the guest reads when it resumes. 0 or -EFAULT.
 */
int ucall_reply(struct vcpu *vcpu, uint64_t value) __must_check;

#endif
