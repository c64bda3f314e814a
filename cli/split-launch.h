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
 * Before anything is started or changed: log_dir is created when missing
 * (its parent must exist) and must be a directory this process can create
 * files in. Returns 0, or -errno with msg naming log_dir and the reason.
 */
int split_launch_check_log_dir(const char *log_dir, char *msg, size_t msglen);

/*
 * Start plan->guests guests (guests[] has that many entries) with
 * run_args[0..n_args) given to each `iovirt run`, and wait
 * SPLIT_LAUNCH_SETTLE_MS. When one fails to start or exits nonzero in that
 * time, every other is stopped (SIGTERM) and -ECHILD returned with msg
 * naming the guest, its status and its log. Returns 0 or -errno.
 * log_dir has passed split_launch_check_log_dir().
 */
int split_launch(const struct split_plan *plan, char *const *run_args, size_t n_args,
		 const char *log_dir, struct split_guest *guests, char *msg, size_t msglen);

#endif
