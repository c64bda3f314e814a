/*
 * Starting the guests of an applied split plan: one `iovirt run` per guest
 * with the caller's run options and --vfio for each of its VFs, detached
 * (a session of its own, standard input from /dev/null, its output in
 * LOG_DIR/split-guest-G.log), its CPUs and memory bound to the PF's NUMA
 * node with libnuma.
 */
#ifndef IOVIRT_CLI_SPLIT_LAUNCH_H
#define IOVIRT_CLI_SPLIT_LAUNCH_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "split.h"

/* How long a guest must keep running, or have exited 0, to count as started. */
#define SPLIT_LAUNCH_SETTLE_MS 2000

struct split_guest {
	pid_t pid;
	int exit_status;        /* -1: still running after the settle time */
	char log[PATH_MAX];
};

/*
 * Start plan->guests guests (guests[] has that many entries) with
 * run_args[0..n_args) given to each `iovirt run`, and wait
 * SPLIT_LAUNCH_SETTLE_MS. When one fails to start or exits nonzero in that
 * time, every other is stopped (SIGTERM) and -ECHILD returned with msg
 * naming the guest, its status and its log. Returns 0 or -errno.
 */
int split_launch(const struct split_plan *plan, char *const *run_args, size_t n_args,
		 const char *log_dir, struct split_guest *guests, char *msg, size_t msglen);

#endif
