#include "ucall.h"

#include <stddef.h>
#include <string.h>

#include "vcpu.h"
#include "vm.h"

uint64_t get_ucall(struct vcpu *vcpu, struct ucall *uc)
{
	memset(uc, 0, sizeof(*uc));
	if (guest_mem_read(&vcpu->vm->mem, vcpu->ucall_gpa, uc, sizeof(*uc)) ||
	    uc->cmd == UCALL_NONE || uc->cmd >= UCALL_MAX) {
		memset(uc, 0, sizeof(*uc));
		return UCALL_NONE;
	}
	uc->buf[UCALL_BUF_SIZE - 1] = '\0';
	return uc->cmd;
}

int ucall_reply(struct vcpu *vcpu, uint64_t value)
{
	return guest_mem_write(&vcpu->vm->mem, vcpu->ucall_gpa + offsetof(struct ucall, args) +
			       UCALL_REPLY_ARG * sizeof(uint64_t), &value, sizeof(value));
}

#include "memory-map.h"
_Static_assert(UCALL_PORT == PORT_UCALL, "guest/ucall-abi.h and memory-map.h disagree");
