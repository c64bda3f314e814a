/*
 * The seccomp sandbox of iovirt run's vCPU and device I/O threads
 * (docs/security.md, "Sandbox").
 *
 * sandbox_enable() is called once, by the main thread, before any of those
 * threads starts. From then on each of them calls sandbox_thread_enter() first
 * thing: it names the thread and loads a filter (this thread only, inherited
 * by nothing: these threads start no threads) that allows the system calls
 * of its role and traps every other one. A trapped call writes
 *   sandbox: <thread> made a forbidden system call <name> (<nr>)
 * to standard error and ends the process with SANDBOX_EXIT_STATUS. Without
 * sandbox_enable() (iovirt run --no-sandbox, the vmm tests' own VMs),
 * sandbox_thread_enter() only names the thread.
 */
#ifndef IOVIRT_SANDBOX_H
#define IOVIRT_SANDBOX_H

#include <seccomp.h>
#include <stdbool.h>

#include "compiler.h"

/* The exit status after a forbidden system call: 128 + SIGSYS, as a shell shows a SIGSYS death. */
#define SANDBOX_EXIT_STATUS 159

/* The longest thread name in the message, NUL included. */
#define SANDBOX_NAME_MAX 48

/* What a thread does, hence what its filter allows (the lists: sandbox.c, docs/security.md). */
enum sandbox_role {
	SANDBOX_VCPU,       /* KVM_RUN and the device emulation done on its exits */
	SANDBOX_DEVICE_IO,  /* an emulated NIC's I/O thread and its net back-end */
	SANDBOX_VHOST_USER, /* the vhost-user front-end's thread: its socket, reconnecting */
	SANDBOX_CONSOLE_IN, /* standard input to the serial port */
	SANDBOX_NR_ROLES
};

/* What a filter does with a call outside its allow list. */
enum sandbox_mode {
	SANDBOX_TRAP, /* SIGSYS: the message, then the process ends */
	SANDBOX_LOG,  /* allowed, but the kernel logs it (audit, type=1326): finding a list */
};

/*
 * Turn the sandbox on for every thread that calls sandbox_thread_enter()
 * from now on: resolve the name of every system call number (the SIGSYS
 * handler allocates nothing), initialise the libc state that is read from
 * files on first use (the time zone, for the RTC's gmtime_r) and install
 * that handler. Call it once, before
 * those threads start. 0 or -errno (-ENOSYS: the kernel has no seccomp
 * filters; -EINVAL: a second call).
 */
int sandbox_enable(enum sandbox_mode mode) __must_check;

/* Whether sandbox_enable() succeeded. */
bool sandbox_enabled(void);

/* The role's name: "vcpu", "device-io", "vhost-user", "console-in". */
const char *sandbox_role_name(enum sandbox_role role);

/*
 * Build (not load) the filter of a role with the given default action
 * (SCMP_ACT_TRAP or SCMP_ACT_LOG, for example). 0 and *out, which the caller
 * releases with seccomp_release(), or -errno.
 */
int sandbox_filter_build(enum sandbox_role role, uint32_t default_action, scmp_filter_ctx *out)
	__must_check;

/*
 * The calling thread's entry: name it (printf format, for the message and,
 * cut to 15 characters, for the kernel) and, once the sandbox is enabled,
 * load the filter of role on it. Loading cannot be refused silently: when it
 * fails the process ends with a message and SANDBOX_EXIT_STATUS, as on a
 * forbidden call (a thread must not run unconfined when the user asked for
 * the sandbox).
 */
void sandbox_thread_enter(enum sandbox_role role, const char *fmt, ...) __printf(2, 3);

#endif
