/*
 * A vCPU's power-on state: captured once after creation, restored on a guest
 * reboot. KVM has no "reset vCPU" ioctl, so the state KVM gave a new vCPU
 * (registers at the reset vector, the LAPIC with its ID, no pending events,
 * the AP's wait-for-SIPI state) is read back and written again. MSRs: the
 * ones a guest changes that outlive a reboot and matter to it, above all
 * the kvmclock and paravirtual MSRs, which would otherwise keep KVM writing
 * into the old kernel's memory after the new one is loaded. The TSC keeps
 * running, as on hardware.
 */
#include "vcpu.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "compiler.h"

static const uint32_t reset_msrs[] = {
	0x00000011, 0x00000012,             /* MSR_KVM_WALL_CLOCK, MSR_KVM_SYSTEM_TIME */
	0x4b564d00, 0x4b564d01, 0x4b564d02, /* ..._WALL_CLOCK_NEW, _SYSTEM_TIME_NEW, ASYNC_PF_EN */
	0x4b564d03, 0x4b564d04, 0x4b564d05, /* STEAL_TIME, PV_EOI_EN, POLL_CONTROL */
	0x4b564d06, 0x4b564d07,             /* ASYNC_PF_INT, ASYNC_PF_ACK */
	0x00000174, 0x00000175, 0x00000176, /* SYSENTER_CS/ESP/EIP */
	0x00000277,                         /* PAT */
	0x000006e0,                         /* TSC_DEADLINE */
	0xc0000081, 0xc0000082, 0xc0000083, /* STAR, LSTAR, CSTAR */
	0xc0000084, 0xc0000102,             /* SYSCALL_MASK, KERNEL_GS_BASE */
};

struct vcpu_poweron {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	struct kvm_debugregs dregs;
	unsigned n_msrs;
	struct kvm_msr_entry msrs[ARRAY_SIZE(reset_msrs)];
};

static int vcpu_msr_get(struct vcpu *vcpu, uint32_t index, uint64_t *value)
{
	struct { struct kvm_msrs hdr; struct kvm_msr_entry e; } m = {
		.hdr = { .nmsrs = 1 }, .e = { .index = index } };

	if (ioctl(vcpu->fd, KVM_GET_MSRS, &m) != 1)
		return -EINVAL;
	*value = m.e.data;
	return 0;
}

static void vcpu_msr_set(struct vcpu *vcpu, const struct kvm_msr_entry *e)
{
	struct { struct kvm_msrs hdr; struct kvm_msr_entry e; } m = { .hdr = { .nmsrs = 1 }, .e = *e };

	(void)ioctl(vcpu->fd, KVM_SET_MSRS, &m); /* an MSR this host lacks stays as it is */
}

int vcpu_poweron_save(struct vcpu *vcpu)
{
	struct vcpu_poweron *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	if (ioctl(vcpu->fd, KVM_GET_REGS, &p->regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &p->sregs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_FPU, &p->fpu) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_LAPIC, &p->lapic) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &p->events) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_MP_STATE, &p->mp) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &p->dregs) < 0) {
		int ret = -errno;

		free(p);
		return ret;
	}
	for (size_t i = 0; i < ARRAY_SIZE(reset_msrs); i++) {
		uint64_t v;

		if (!vcpu_msr_get(vcpu, reset_msrs[i], &v))
			p->msrs[p->n_msrs++] = (struct kvm_msr_entry){ .index = reset_msrs[i], .data = v };
	}
	free(vcpu->poweron);
	vcpu->poweron = p;
	return 0;
}

int vcpu_poweron_restore(struct vcpu *vcpu)
{
	struct vcpu_poweron *p = vcpu->poweron;

	if (!p)
		return -EINVAL;
	for (unsigned i = 0; i < p->n_msrs; i++)
		vcpu_msr_set(vcpu, &p->msrs[i]);
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &p->sregs) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_REGS, &p->regs) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_FPU, &p->fpu) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_LAPIC, &p->lapic) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &p->events) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &p->dregs) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_MP_STATE, &p->mp) < 0)
		return -errno;
	return 0;
}
