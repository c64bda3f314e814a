/* The per-role seccomp filters, their loading on a thread and the SIGSYS report. */
#include "sandbox.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* System call numbers whose names sandbox_enable() resolves; x86-64 uses fewer than 512. */
#define SANDBOX_NR_MAX  512
#define SANDBOX_NR_NAME 28

static bool sandbox_on;
static char sandbox_names[SANDBOX_NR_MAX][SANDBOX_NR_NAME];
static uint32_t sandbox_default_action = SCMP_ACT_TRAP;
static __thread char sandbox_thread_name[SANDBOX_NAME_MAX] = "a thread";

/*
 * Every role: memory for malloc (never executable), waiting and waking
 * (futex, poll, epoll, eventfd, timerfd, sleeps), reads and writes on fds the
 * thread was given, the time, signals (the vCPU kick, SIGSYS's own report),
 * pthread_kill of a vCPU (tgkill, SIGUSR1) and the end of a thread.
 */
static const int sandbox_common[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(close),
	SCMP_SYS(futex), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl), SCMP_SYS(eventfd2), SCMP_SYS(timerfd_settime),
	SCMP_SYS(timerfd_gettime), SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(brk),
	SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(mremap), SCMP_SYS(exit),
	SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(restart_syscall), SCMP_SYS(sched_yield), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat),
#ifdef __SANITIZE_ADDRESS__
	/* ASan's per-thread set-up and teardown (the alternate signal stack, limits) */
	SCMP_SYS(sigaltstack), SCMP_SYS(prctl), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),
	SCMP_SYS(sched_getaffinity),
#endif
};

/*
 * The vCPU: exits reach the device models, the vhost-user front-end's messages included,
 * and a passed-through device's trapped registers (pread64/pwrite64 on its VFIO fd).
 */
static const int sandbox_vcpu[] = {
	SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(recvfrom), SCMP_SYS(pread64),
	SCMP_SYS(pwrite64),
};

/* The vhost-user thread: the session's messages with fds, accepting and reconnecting. */
static const int sandbox_vhost_user[] = {
	SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(recvfrom), SCMP_SYS(connect),
	SCMP_SYS(accept4),
};

/* ioctl requests by number; the irqchip's lines and MSIs for every role. */
static const unsigned long sandbox_ioctl_irq[] = { KVM_IRQ_LINE, KVM_SIGNAL_MSI };

static const unsigned long sandbox_ioctl_vcpu[] = {
	KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS, KVM_GET_TSC_KHZ,
	KVM_IRQFD, KVM_IOEVENTFD, KVM_SET_GSI_ROUTING, KVM_SET_USER_MEMORY_REGION,
	TUNSETOFFLOAD, TUNSETVNETHDRSZ, TUNSETVNETLE,
	/* a passed-through device: MSI-X/MSI/INTx set by the guest's config writes, guest RAM
	 * mapped for DMA when it sets Bus Master Enable, its reset */
	VFIO_DEVICE_SET_IRQS, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA, VFIO_DEVICE_RESET,
};

/* A NIC's I/O thread: the back-ends (tap: read, readv, writev) need no more than every role's
 * calls; the control queue's VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET reaches a tap. */
static const unsigned long sandbox_ioctl_device_io[] = { TUNSETOFFLOAD };

static const unsigned long sandbox_ioctl_vhost_user[] = {
	KVM_IRQFD, KVM_IOEVENTFD, KVM_SET_GSI_ROUTING,
};

struct sandbox_role_desc {
	const char *name;
	const int *calls;
	size_t n_calls;
	const unsigned long *ioctls;
	size_t n_ioctls;
	bool unix_socket; /* socket(AF_UNIX, ...) */
};

#define SANDBOX_LIST(a) a, ARRAY_SIZE(a)

static const struct sandbox_role_desc sandbox_roles[SANDBOX_NR_ROLES] = {
	[SANDBOX_VCPU] = { "vcpu", SANDBOX_LIST(sandbox_vcpu), SANDBOX_LIST(sandbox_ioctl_vcpu) },
	[SANDBOX_DEVICE_IO] = { "device-io", NULL, 0, SANDBOX_LIST(sandbox_ioctl_device_io) },
	[SANDBOX_VHOST_USER] = { "vhost-user", SANDBOX_LIST(sandbox_vhost_user),
				 SANDBOX_LIST(sandbox_ioctl_vhost_user), true },
	[SANDBOX_CONSOLE_IN] = { "console-in", NULL, 0, NULL, 0 },
};

const char *sandbox_role_name(enum sandbox_role role)
{
	return role < SANDBOX_NR_ROLES ? sandbox_roles[role].name : "?";
}

static int sandbox_allow_calls(scmp_filter_ctx ctx, const int *calls, size_t n)
{
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);
	return ret;
}

static int sandbox_allow_ioctls(scmp_filter_ctx ctx, const unsigned long *req, size_t n)
{
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_EQ, req[i]));
	return ret;
}

/* mmap and mprotect without PROT_EXEC; tgkill with the kick (SIGUSR1) or abort()'s SIGABRT. */
static int sandbox_allow_guarded(scmp_filter_ctx ctx)
{
	int ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				   SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));

	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				       SCMP_A2(SCMP_CMP_EQ, SIGUSR1));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				       SCMP_A2(SCMP_CMP_EQ, SIGABRT));
	return ret;
}

static int sandbox_filter_rules(scmp_filter_ctx ctx, const struct sandbox_role_desc *d)
{
	int ret = sandbox_allow_calls(ctx, sandbox_common, ARRAY_SIZE(sandbox_common));

	if (!ret)
		ret = sandbox_allow_guarded(ctx);
	if (!ret)
		ret = sandbox_allow_calls(ctx, d->calls, d->n_calls);
	if (!ret)
		ret = sandbox_allow_ioctls(ctx, sandbox_ioctl_irq, ARRAY_SIZE(sandbox_ioctl_irq));
	if (!ret)
		ret = sandbox_allow_ioctls(ctx, d->ioctls, d->n_ioctls);
	if (!ret && d->unix_socket)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				       SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	return ret;
}

int sandbox_filter_build(enum sandbox_role role, uint32_t default_action, scmp_filter_ctx *out)
{
	scmp_filter_ctx ctx;
	int ret;

	if (role >= SANDBOX_NR_ROLES)
		return -EINVAL;
	ctx = seccomp_init(default_action);
	if (!ctx)
		return -ENOMEM;
	ret = sandbox_filter_rules(ctx, &sandbox_roles[role]);
	if (ret) {
		seccomp_release(ctx);
		return ret;
	}
	*out = ctx;
	return 0;
}

/* ---- the report of a forbidden call: async-signal-safe, no allocation ---- */

static size_t sandbox_append(char *buf, size_t len, size_t cap, const char *s)
{
	while (*s && len + 1 < cap)
		buf[len++] = *s++;
	return len;
}

static size_t sandbox_append_uint(char *buf, size_t len, size_t cap, unsigned long v)
{
	char digits[24];
	size_t n = sizeof(digits);

	digits[--n] = '\0';
	do
		digits[--n] = (char)('0' + v % 10);
	while ((v /= 10) && n);
	return sandbox_append(buf, len, cap, digits + n);
}

static void sandbox_sigsys(int sig, siginfo_t *si, void *uctx)
{
	unsigned nr = (unsigned)si->si_syscall;
	const char *name = nr < SANDBOX_NR_MAX && sandbox_names[nr][0] ? sandbox_names[nr] : "?";
	char msg[160];
	size_t len = 0;

	len = sandbox_append(msg, len, sizeof(msg), "sandbox: ");
	len = sandbox_append(msg, len, sizeof(msg), sandbox_thread_name);
	len = sandbox_append(msg, len, sizeof(msg), " made a forbidden system call ");
	len = sandbox_append(msg, len, sizeof(msg), name);
	len = sandbox_append(msg, len, sizeof(msg), " (");
	len = sandbox_append_uint(msg, len, sizeof(msg), nr);
	len = sandbox_append(msg, len, sizeof(msg), ")\n");
	if (write(STDERR_FILENO, msg, len) < 0)
		len = 0; /* nothing more can be said */
	_exit(SANDBOX_EXIT_STATUS);
}

/* ---- enabling, and each thread's entry ---- */

static void sandbox_names_resolve(void)
{
	for (int nr = 0; nr < SANDBOX_NR_MAX; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (name)
			snprintf(sandbox_names[nr], SANDBOX_NR_NAME, "%s", name);
		free(name);
	}
}

int sandbox_enable(enum sandbox_mode mode)
{
	struct sigaction sa = { .sa_sigaction = sandbox_sigsys, .sa_flags = SA_SIGINFO };

	if (sandbox_on)
		return -EINVAL;
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
		return errno == EINVAL ? -ENOSYS : -errno;
	sandbox_names_resolve();
	tzset(); /* glibc reads the time zone file on the first gmtime_r (the RTC's): now, not under a filter */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	sandbox_default_action = mode == SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP;
	sandbox_on = true;
	return 0;
}

bool sandbox_enabled(void)
{
	return sandbox_on;
}

/* A failed load: the message of a forbidden call, with the reason, and the same exit. */
static _Noreturn void sandbox_load_failed(const char *what, int err)
{
	fprintf(stderr, "sandbox: %s: cannot %s the seccomp filter: %s\n", sandbox_thread_name,
		what, strerror(-err));
	_exit(SANDBOX_EXIT_STATUS);
}

/* The name in the report, and its first 15 characters for the kernel (ps, top, gdb). */
static void sandbox_thread_name_set(const char *fmt, va_list ap)
{
	char comm[16];

	vsnprintf(sandbox_thread_name, sizeof(sandbox_thread_name), fmt, ap);
	memcpy(comm, sandbox_thread_name, sizeof(comm) - 1);
	comm[sizeof(comm) - 1] = '\0';
	pthread_setname_np(pthread_self(), comm);
}

void sandbox_thread_enter(enum sandbox_role role, const char *fmt, ...)
{
	scmp_filter_ctx ctx;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	sandbox_thread_name_set(fmt, ap);
	va_end(ap);
	if (!sandbox_on)
		return;
	ret = sandbox_filter_build(role, sandbox_default_action, &ctx);
	if (ret)
		sandbox_load_failed("build", ret);
	ret = seccomp_load(ctx);
	seccomp_release(ctx);
	if (ret)
		sandbox_load_failed("load", ret);
}
