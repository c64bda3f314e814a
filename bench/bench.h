/*
 * The benchmark harness: runs the guest image of guest/bench/ (workloads and
 * report lines: guest/bench/bench-abi.h) on each I/O path, collects what the
 * guest measured and what the host counted, and writes the reports. The
 * command line (cli/cmd-bench.c) picks what to run and prints; nothing here
 * prints for the user or exits.
 *
 * A path is one NIC model in one VMM: iovirt's own (a VM made through the vmm
 * API in this process) or QEMU's (qemu-system-x86_64 -accel kvm, a child
 * process, same image through multiboot). A case is a path, a workload and a
 * frame size, run `repeats` times; each run is a sample.
 */
#ifndef IOVIRT_BENCH_H
#define IOVIRT_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "bench-abi.h"
#include "compiler.h"

#define BENCH_SCHEMA       1
#define BENCH_MAX_CASES    128
#define BENCH_MAX_REPEATS  15
#define BENCH_REASON_MAX   160
#define BENCH_EXIT_REASONS 8

/* The KVM exit counters kept per sample (vCPU statistics by these names). */
extern const char *const bench_exit_names[BENCH_EXIT_REASONS];

/* Who runs a path: iovirt, QEMU, no VM at all (HOST), or nobody yet. */
enum bench_vmm { BENCH_VMM_IOVIRT, BENCH_VMM_QEMU, BENCH_VMM_HOST, BENCH_VMM_LATER };

struct bench_path {
	const char *name;    /* "iovirt-e1000", ... */
	enum bench_vmm vmm;
	const char *model;   /* iovirt: nic_models name; QEMU: -device string */
	const char *summary;
	const char *later;   /* BENCH_VMM_LATER: why it does not run yet */
	const char *peer;    /* the QEMU path the same device is compared with, or NULL */
	bool vhost_user;     /* the NIC's back-end is iovirt switch, a child process */
};

#define BENCH_HOST_PATH "host-virtio-user" /* the baseline every path's rate is divided by */

/* Every path, known ones first; bench_path_find by name (NULL: none). */
extern const struct bench_path bench_paths[];
extern const unsigned bench_path_count;
const struct bench_path *bench_path_find(const char *name);

/* One line the guest reported (bench-abi.h), parsed. */
struct bench_guest_report {
	bool start;          /* bench-start (else bench-result) */
	unsigned workload, size, nic, count;
	uint64_t tsc_khz;
	uint64_t packets, bytes, cycles, drops, errors, p50, p99, min, max;
	bool timeout, ok;
};

/*
 * Parse a guest line (prefix "IOVIRT-GUEST: " included, trailing "\r\n"
 * allowed). 0 for a bench-start or bench-result line with every key present
 * and in range, -ENOENT for another line, -EINVAL for a malformed one (a
 * hostile guest: any byte string is safe).
 */
int bench_guest_line_parse(const char *line, struct bench_guest_report *out) __must_check;

/*
 * CPU time of every thread of process pid (0: this one), threads that ended
 * included, in nanoseconds: the process's CPU clock (clock_getcpuclockid),
 * else /proc/PID/task/ * /schedstat or stat plus the ended threads' share of
 * /proc/PID/stat. 0 or -errno.
 */
int bench_cpu_ns(int pid, uint64_t *ns) __must_check;

/* The monotonic clock in seconds. */
double bench_now_s(void);

/*
 * utime + stime (clock ticks) from one /proc/.../stat line of len bytes (the
 * command name may hold spaces and parentheses). 0 or -EINVAL.
 */
int bench_stat_line_ticks(const char *line, size_t len, uint64_t *ticks) __must_check;

/* One run of a case. */
struct bench_sample {
	bool ok;                 /* ran to the end, guest and host counts agree */
	char error[BENCH_REASON_MAX];
	struct bench_guest_report res; /* the guest's bench-result */
	uint64_t tsc_khz;
	double guest_s;          /* res.cycles / tsc rate */
	double wall_s;           /* host clock over the same section */
	double cpu_s;            /* host CPU time of every thread over it; < 0: unknown */
	bool exits_known;
	uint64_t exits[BENCH_EXIT_REASONS];
	/* The host side's count of the same frames (-1: not counted) */
	int64_t host_sent, host_counted, host_drops;
	int pinned_threads;      /* threads pinned at the section's start (bench_pin); -1: none */
	unsigned pinned_vcpus;   /* of them, vCPU threads */
};

struct bench_case {
	const struct bench_path *path;
	unsigned workload, size;
	char skipped[BENCH_REASON_MAX]; /* non-empty: did not run, and why */
	bool withheld;                  /* ran for correctness only (QEMU under TCG): no figures */
	unsigned n;
	struct bench_sample samples[BENCH_MAX_REPEATS];
};

/*
 * Where a run's threads go (the same for every path): the VMM's vCPU threads on
 * CPU vcpu; every other thread of the VMM, the back-end (iovirt switch, the
 * harness's socket ends) and the HOST baseline's switch on CPU io; the HOST
 * baseline's testpmd on CPU vcpu. vcpu < 0: nothing is pinned, why says why.
 */
struct bench_pin {
	int vcpu, io;
	char why[96];
};

/* vCPUs on CPU 0, the rest on CPU 1, when this process may use both; else off with why. */
void bench_pin_default(struct bench_pin *p);

/* "vcpu=N,io=N" or "off". 0 or -EINVAL. */
int bench_pin_parse(const char *arg, struct bench_pin *p) __must_check;

/*
 * Pin every thread of process pid: those whose name starts with vcpu_prefix
 * ("vCPU" for iovirt, "CPU " for QEMU) to p->vcpu, the others to p->io.
 * Returns how many were pinned (0 when p is off; *vcpus: of them vCPU
 * threads), or -errno (a CPU not allowed: -EINVAL).
 */
int bench_pin_process(pid_t pid, const char *vcpu_prefix, const struct bench_pin *p,
		      unsigned *vcpus);

struct bench_plan;

/*
 * Pin process pid's threads by plan->pin at a section's start and record it in
 * s (NULL: not recorded); a failure fails the sample (s->ok false, s->error).
 */
void bench_pin_sample(const struct bench_plan *plan, pid_t pid, const char *vcpu_prefix,
		      struct bench_sample *s);

/* What to run, and the machine's facts. */
struct bench_plan {
	unsigned count;         /* frames or round trips per run */
	unsigned repeats;       /* 1..BENCH_MAX_REPEATS */
	unsigned timeout_s;     /* per run */
	const char *image;      /* the guest image (ELF) */
	const char *qemu;       /* qemu-system-x86_64 to use for the peers */
	const char *qemu_data;  /* its firmware directory (-L), or NULL: QEMU's own */
	const char *iovirt;     /* this program, for `iovirt switch` children */
	bool switch_built;      /* it has `iovirt switch` (built with DPDK) */
	bool qemu_tcg_check;    /* QEMU under TCG: correctness only, figures withheld */
	struct bench_pin pin;
	unsigned ncases;
	struct bench_case cases[BENCH_MAX_CASES];
};

/*
 * Why path cannot run on this machine (/dev/kvm missing or not usable, QEMU
 * missing, not built yet), written to why; 0 when it can, -errno otherwise.
 */
int bench_path_check(const struct bench_path *path, const struct bench_plan *plan, char *why,
		     size_t len);

/* Why path cannot run workload (the HOST baseline has no ping-pong); 0 when it can. */
int bench_workload_check(const struct bench_path *path, unsigned workload, char *why, size_t len);

/*
 * The back-end spec a workload runs on in iovirt (tx: sink, rx: gen of
 * count frames of size, pingpong: loop), into buf. 0 or -EINVAL.
 */
int bench_backend_spec(unsigned workload, unsigned size, unsigned count, char *buf, size_t len);

/*
 * Run one sample of case c (path, workload, size) with plan's count and
 * timeout. Fills *s (s->ok false and s->error set when the run failed or
 * the counts disagree); returns 0, or -errno when it could not run at all.
 */
int bench_iovirt_run(const struct bench_plan *plan, const struct bench_case *c,
		     struct bench_sample *s);
int bench_qemu_run(const struct bench_plan *plan, const struct bench_case *c,
		   struct bench_sample *s);
int bench_host_run(const struct bench_plan *plan, const struct bench_case *c,
		   struct bench_sample *s);

/*
 * A child process with stdin from /dev/null and stdout and stderr into
 * out_path (created or truncated): its pid or -errno.
 */
pid_t bench_child_spawn(char *const argv[], const char *out_path);

/* Send sig, wait up to timeout_s, then SIGKILL. The wait status, or -ETIMEDOUT (killed). */
int bench_child_stop(pid_t pid, int sig, double timeout_s);

/* Whether the first 64 KiB of the file at path contain needle. */
bool bench_file_has(const char *path, const char *needle);

/* `iovirt switch` as a child: one vhost-user server port, sock, in its own directory. */
struct bench_switch {
	char dir[64], sock[96], out[96];
	pid_t pid;
};

/* Port 0's counters (the 'stats:' line). */
struct bench_switch_counts {
	uint64_t rx, tx, drops, rx_bytes, tx_bytes;
};

/*
 * Start `iovirt switch --mode MODE --busy-poll` (iovirt: the program; on CPU
 * core, or anywhere when core < 0) and wait until it is ready. The mode is the
 * workload's: tx "sink", rx "gen" (frames of size bytes, count of them, 0: no
 * end), pingpong "reflect". 0, or -errno with err set; call bench_switch_stop()
 * either way.
 */
int bench_switch_start(struct bench_switch *sw, const char *iovirt, unsigned workload,
		       unsigned size, uint64_t count, int core,
		       char *err, size_t len);

/* Port 0's counters now (asked with SIGUSR1, at most 1 s). 0 or -errno. */
int bench_switch_counts(const struct bench_switch *sw, struct bench_switch_counts *c);

/*
 * The host's side of sample s (a VM's NIC on the switch's port 0) from the
 * switch's counters, once it has seen every frame the guest reported (at most
 * 2 s: its thread may lag the guest): tx, the guest sent and the switch
 * counted and dropped; rx, the switch generated and the guest counted, its
 * gaps the drops; pingpong, the switch reflected what it received.
 */
void bench_switch_sample_counts(const struct bench_switch *sw, unsigned workload,
				struct bench_sample *s);

/*
 * Stop the switch (SIGTERM) and read its final counters into c; keep leaves
 * its directory (output, socket) for a reader of an error. The wait status
 * or -ETIMEDOUT.
 */
int bench_switch_stop(struct bench_switch *sw, struct bench_switch_counts *c, bool keep);

/* A case's figures over its good samples: median, min and max. */
struct bench_stat { double med, min, max; unsigned n; };
enum bench_metric {
	BENCH_M_PPS, BENCH_M_BPS, BENCH_M_P50_US, BENCH_M_P99_US, BENCH_M_CPU_S_PER_MPKT,
	BENCH_M_EXITS_PER_PKT, /* + exit reason index */
	BENCH_M_COUNT = BENCH_M_EXITS_PER_PKT + BENCH_EXIT_REASONS,
};
extern const char *const bench_metric_names[BENCH_M_COUNT];

/* 0 with *out, or -ENOENT when no good sample has the metric. */
int bench_case_stat(const struct bench_case *c, unsigned metric, struct bench_stat *out);

/*
 * Case c's median packets/s divided by that of the same workload and size
 * on the path named other (BENCH_HOST_PATH, c's peer). 0, or -ENOENT when
 * either has no figure.
 */
int bench_case_ratio(const struct bench_plan *plan, const struct bench_case *c, const char *other,
		     double *out);

/* One sample's value of a metric; false when it has none. */
bool bench_sample_metric(const struct bench_case *c, const struct bench_sample *s,
			 unsigned metric, double *v);

/* The machine the run is on, for the reports. */
struct bench_machine {
	char cpu_model[128];
	unsigned cpus;
	char kernel[200];
	char kvm[256];   /* "/dev/kvm usable (kvm_intel)" or why not */
	char qemu[128];  /* QEMU's version line, or why none */
	char date[32];   /* UTC, ISO 8601 */
};
void bench_machine_probe(struct bench_machine *m, const char *qemu);

/* Write the guest image built into this binary to path (created or truncated). 0 or -errno. */
int bench_image_write(const char *path) __must_check;

/*
 * Reports of a finished plan: JSON ("schema": BENCH_SCHEMA), Markdown, an SVG
 * chart (one group per workload and size, a bar per path), the text table.
 */
void bench_report_json(FILE *out, const struct bench_plan *plan, const struct bench_machine *m);
void bench_report_markdown(FILE *out, const struct bench_plan *plan, const struct bench_machine *m);
void bench_report_svg(FILE *out, const struct bench_plan *plan, const struct bench_machine *m);
void bench_report_table(FILE *out, const struct bench_plan *plan);

#endif
