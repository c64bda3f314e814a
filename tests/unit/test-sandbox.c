/*
 * The seccomp sandbox (vmm/sandbox.c): every role's filter builds, and in a
 * child process a thread under its filter makes its allowed calls and ends
 * cleanly, while a forbidden call ends the process with SANDBOX_EXIT_STATUS
 * and the message naming the thread and the call.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox.h"

/* What the child's sandboxed thread does after sandbox_thread_enter(). */
enum child_act {
	ACT_ALLOWED,   /* clock_gettime, gmtime_r, malloc, write, eventfd: all allowed */
	ACT_OPEN,      /* open a file: forbidden to a device thread */
	ACT_UNKNOWN,   /* a system call number no kernel has */
	ACT_SOCKET,    /* socket(AF_INET): forbidden even to the vhost-user thread */
};

struct child_run {
	int status;    /* waitpid()'s */
	char err[512]; /* what the child wrote to standard error */
};

struct child_arg {
	enum sandbox_role role;
	enum child_act act;
};

static int seccomp_usable(void)
{
	return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
}

static void child_allowed(void)
{
	struct timespec t;
	struct tm tm;
	time_t now = time(NULL);
	char *p = malloc(1 << 20); /* above the mmap threshold: mmap and munmap */
	int fd = eventfd(0, EFD_CLOEXEC);

	if (fd >= 0)
		close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t);
	gmtime_r(&now, &tm); /* the RTC's: glibc reads the time zone file on its first call */
	if (p)
		memset(p, 1, 1 << 20);
	free(p);
	if (write(STDERR_FILENO, "allowed calls done\n", 19) < 0)
		_exit(3);
}

static void *child_thread(void *opaque)
{
	struct child_arg *a = opaque;

	sandbox_thread_enter(a->role, "test %s %d", sandbox_role_name(a->role), 7);
	child_allowed();
	switch (a->act) {
	case ACT_ALLOWED:
		break;
	case ACT_OPEN:
		close(open("/proc/version", O_RDONLY | O_CLOEXEC));
		break;
	case ACT_UNKNOWN:
		syscall(511);
		break;
	case ACT_SOCKET:
		syscall(SYS_socket, 2 /* AF_INET */, 1, 0);
		break;
	}
	return NULL;
}

/* The child: sandbox on (unless mode < 0), one thread doing act, exit 0 once it ended. */
static _Noreturn void child_main(int mode, struct child_arg *a)
{
	pthread_t t;

	if (mode >= 0 && sandbox_enable((enum sandbox_mode)mode))
		_exit(2);
	if (pthread_create(&t, NULL, child_thread, a) || pthread_join(t, NULL))
		_exit(4);
	_exit(0);
}

static void run_child(int mode, enum sandbox_role role, enum child_act act, struct child_run *r)
{
	struct child_arg a = { role, act };
	int pipefd[2];
	ssize_t n, len = 0;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		child_main(mode, &a);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], r->err + len, sizeof(r->err) - 1 - len)) > 0)
		len += n;
	r->err[len] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &r->status, 0), pid);
}

static void assert_exit(const struct child_run *r, int code)
{
	if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != code)
		fail_msg("child status 0x%x, expected exit %d; stderr:\n%s", r->status, code, r->err);
}

static int setup(void **state)
{
	if (!seccomp_usable()) {
		print_message("SKIP: this kernel has no seccomp filters (prctl PR_GET_SECCOMP)\n");
		skip();
	}
	return 0;
}

static void test_filters_build(void **state)
{
	for (int role = 0; role < SANDBOX_NR_ROLES; role++) {
		scmp_filter_ctx ctx = NULL;
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		assert_true(null >= 0);
		assert_int_equal(sandbox_filter_build(role, SCMP_ACT_TRAP, &ctx), 0);
		assert_non_null(ctx);
		/* the rules are resolved into a program: it exports */
		assert_int_equal(seccomp_export_bpf(ctx, null), 0);
		seccomp_release(ctx);
		close(null);
		assert_string_not_equal(sandbox_role_name(role), "?");
	}
	assert_int_equal(sandbox_filter_build(SANDBOX_NR_ROLES, SCMP_ACT_TRAP, &(scmp_filter_ctx){ 0 }),
			 -EINVAL);
	assert_string_equal(sandbox_role_name(SANDBOX_NR_ROLES), "?");
}

/* Each role's thread makes its ordinary calls (malloc, time, eventfd, write) and ends: exit 0. */
static void test_allowed_calls_run(void **state)
{
	for (int role = 0; role < SANDBOX_NR_ROLES; role++) {
		struct child_run r;

		run_child(SANDBOX_TRAP, role, ACT_ALLOWED, &r);
		assert_exit(&r, 0);
		assert_non_null(strstr(r.err, "allowed calls done"));
		assert_null(strstr(r.err, "sandbox:"));
	}
}

static void test_forbidden_call_ends_process(void **state)
{
	char want[128];
	struct child_run r;

	run_child(SANDBOX_TRAP, SANDBOX_DEVICE_IO, ACT_OPEN, &r);
	assert_exit(&r, SANDBOX_EXIT_STATUS);
	snprintf(want, sizeof(want), "sandbox: test device-io 7 made a forbidden system call "
		 "openat (%d)\n", SCMP_SYS(openat));
	assert_non_null(strstr(r.err, "allowed calls done"));
	assert_non_null(strstr(r.err, want));
}

/* The vhost-user thread may open AF_UNIX sockets only. */
static void test_socket_family_checked(void **state)
{
	char want[128];
	struct child_run r;

	run_child(SANDBOX_TRAP, SANDBOX_VHOST_USER, ACT_SOCKET, &r);
	assert_exit(&r, SANDBOX_EXIT_STATUS);
	snprintf(want, sizeof(want), "sandbox: test vhost-user 7 made a forbidden system call "
		 "socket (%d)\n", SCMP_SYS(socket));
	assert_non_null(strstr(r.err, want));
}

/* A number with no name (hostile or newer than libseccomp) is still reported, as "?". */
static void test_unknown_call_named_by_number(void **state)
{
	struct child_run r;

	run_child(SANDBOX_TRAP, SANDBOX_VCPU, ACT_UNKNOWN, &r);
	assert_exit(&r, SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(r.err, "sandbox: test vcpu 7 made a forbidden system call ? (511)\n"));
}

/* Without sandbox_enable() (--no-sandbox), and in log mode, the same call goes through. */
static void test_off_and_log_mode_allow(void **state)
{
	struct child_run r;

	run_child(-1, SANDBOX_DEVICE_IO, ACT_OPEN, &r);
	assert_exit(&r, 0);
	run_child(SANDBOX_LOG, SANDBOX_DEVICE_IO, ACT_OPEN, &r);
	assert_exit(&r, 0);
	assert_null(strstr(r.err, "sandbox:"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_filters_build, setup),
		cmocka_unit_test_setup(test_allowed_calls_run, setup),
		cmocka_unit_test_setup(test_forbidden_call_ends_process, setup),
		cmocka_unit_test_setup(test_socket_family_checked, setup),
		cmocka_unit_test_setup(test_unknown_call_named_by_number, setup),
		cmocka_unit_test_setup(test_off_and_log_mode_allow, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
