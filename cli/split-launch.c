/* iovirt split --launch: one detached `iovirt run` per guest, on the PF's NUMA node. */
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "split-launch.h"

#define POLL_MS 50

/* CPUs and memory of the calling process on node (MPOL_BIND); the policy survives exec. */
static int numa_place(int node)
{
	struct bitmask *nodes;
	int ret = 0;

	if (node < 0 || numa_available() < 0)
		return 0;
	if (numa_run_on_node(node))
		return -errno;
	nodes = numa_allocate_nodemask();
	if (!nodes)
		return -ENOMEM;
	numa_bitmask_setbit(nodes, (unsigned)node);
	if (set_mempolicy(MPOL_BIND, nodes->maskp, nodes->size + 1))
		ret = -errno;
	numa_free_nodemask(nodes);
	return ret;
}

/* The argument vector of guest g: iovirt run RUN-ARGS --vfio VF... */
static char **guest_argv(const struct split_plan *p, unsigned g, char *const *run_args,
			 size_t n_args)
{
	char **argv = calloc(2 + n_args + 2 * p->vfs_per_guest + 1, sizeof(*argv));
	size_t n = 0;

	if (!argv)
		return NULL;
	argv[n++] = (char *)"iovirt";
	argv[n++] = (char *)"run";
	for (size_t i = 0; i < n_args; i++)
		argv[n++] = run_args[i];
	for (size_t i = 0; i < p->n_vfs; i++) {
		if (p->vfs[i].guest != g)
			continue;
		argv[n++] = (char *)"--vfio";
		argv[n++] = (char *)p->vfs[i].bdf;
	}
	return argv;
}

/* In the child: detach, redirect, place, exec this iovirt. Never returns. */
static void guest_exec(const struct split_plan *p, const char *self_path, char **argv,
		       const char *log)
{
	int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int ret;

	if (out < 0 || in < 0 || setsid() < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(126);
	ret = numa_place(p->numa_node);
	if (ret) {
		dprintf(2, "iovirt split: cannot place the guest on NUMA node %d: %s\n", p->numa_node,
			strerror(-ret));
		_exit(126);
	}
	execv(self_path, argv);
	dprintf(2, "iovirt split: cannot run %s: %s\n", self_path, strerror(errno));
	_exit(127);
}

static void stop_all(struct split_guest *guests, unsigned n)
{
	for (unsigned g = 0; g < n; g++)
		if (guests[g].pid > 0 && guests[g].exit_status < 0) {
			kill(guests[g].pid, SIGTERM);
			waitpid(guests[g].pid, NULL, 0);
		}
}

/* Reap what exited; the first guest that failed, or -1. */
static int reap(struct split_guest *guests, unsigned n)
{
	int status;

	for (unsigned g = 0; g < n; g++) {
		if (guests[g].exit_status >= 0 || waitpid(guests[g].pid, &status, WNOHANG) != guests[g].pid)
			continue;
		guests[g].exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (guests[g].exit_status)
			return (int)g;
	}
	return -1;
}

static int settle(struct split_guest *guests, unsigned n, char *msg, size_t msglen)
{
	const struct timespec tick = { 0, POLL_MS * 1000000L };
	int failed = -1;

	for (int waited = 0; failed < 0 && waited < SPLIT_LAUNCH_SETTLE_MS; waited += POLL_MS) {
		nanosleep(&tick, NULL);
		failed = reap(guests, n);
	}
	if (failed < 0)
		return 0;
	snprintf(msg, msglen, "guest %d (PID %d) ended with status %d at once; its output: %s", failed,
		 (int)guests[failed].pid, guests[failed].exit_status, guests[failed].log);
	stop_all(guests, n);
	return -ECHILD;
}

int split_launch_check_log_dir(const char *log_dir, char *msg, size_t msglen)
{
	struct stat st;
	int err = 0;

	if (mkdir(log_dir, 0755) && errno != EEXIST)
		err = errno;
	else if (stat(log_dir, &st))
		err = errno;
	else if (!S_ISDIR(st.st_mode))
		err = ENOTDIR;
	else if (faccessat(AT_FDCWD, log_dir, W_OK | X_OK, AT_EACCESS))
		err = errno;
	if (err)
		snprintf(msg, msglen, "cannot write the guests' logs in %s: %s", log_dir, strerror(err));
	return -err;
}

int split_launch(const struct split_plan *plan, char *const *run_args, size_t n_args,
		 const char *log_dir, struct split_guest *guests, char *msg, size_t msglen)
{
	char self_path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);

	/* by its path, not /proc/self/exe: the guests' process name is then "iovirt" */
	if (n <= 0 || n >= (ssize_t)sizeof(self_path) - 1) {
		snprintf(msg, msglen, "cannot find this iovirt's path: %s", strerror(n < 0 ? errno : ENAMETOOLONG));
		return -ENOENT;
	}
	self_path[n] = '\0';
	for (unsigned g = 0; g < plan->guests; g++) {
		char **argv = guest_argv(plan, g, run_args, n_args);
		int err = ENOMEM;

		guests[g] = (struct split_guest){ .pid = -1, .exit_status = -1 };
		snprintf(guests[g].log, sizeof(guests[g].log), "%s/split-guest-%u.log", log_dir, g);
		if (argv) {
			guests[g].pid = fork();
			err = errno;
		}
		if (guests[g].pid == 0)
			guest_exec(plan, self_path, argv, guests[g].log);
		free(argv);
		if (guests[g].pid < 0) {
			snprintf(msg, msglen, "cannot start guest %u: %s", g, strerror(err));
			stop_all(guests, g);
			return -ECHILD;
		}
	}
	return settle(guests, plan->guests, msg, msglen);
}
