/*
 * `iovirt bench --quick` end to end on this machine's KVM: exit 0, the three
 * report files, and a JSON report (read by tests/bench/report-check.c) in
 * which both in-VMM iovirt paths ran every workload, every other path ran or says
 * why not, and every run's counts agree (never a speed target).
 *
 * usage: test-bench IOVIRT
 *        test-bench IOVIRT --qemu-tcg PATHS WORKLOADS
 *          the interop tier's form: the QEMU peers PATHS under TCG with
 *          --qemu-tcg-check (counts only, no figures), sizes 64 and 1500;
 *          each path must be "checked"; exit 77 without qemu-system-x86_64
 *        test-bench IOVIRT --vhost-user
 *          the same, and iovirt-vhost-user (iovirt switch as its back-end, with
 *          the hugepages this test reserves) must run the three workloads too
 *        test-bench IOVIRT --host
 *          the HOST baseline (no VM: testpmd's virtio-user against iovirt switch),
 *          tx and rx at 64 and 1500 bytes: the four cases must run with figures; exit 77
 *          without DPDK in this iovirt, dpdk-testpmd or free hugepages
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report-check.h"
#include "vmm-test.h"

#define WATCHDOG_S 110 /* below the 120 s meson timeout, so the test says why */

static char *file_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	TEST_ASSERT(f, "cannot open %s: %s", path, strerror(errno));
	TEST_ASSERT(!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET),
		    "cannot size %s", path);
	buf = malloc(n + 1);
	TEST_ASSERT(buf && fread(buf, 1, n, f) == (size_t)n, "cannot read %s", path);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Run iovirt bench --quick --out dir [extra...]; its exit status. Output goes to ours. */
static int bench_run(const char *iovirt, const char *dir, char **extra, int nextra)
{
	char *argv[16] = { (char *)iovirt, "bench", "--quick", "--out", (char *)dir };
	int status, n = 5;
	pid_t pid;

	for (int i = 0; i < nextra && n < 15; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		execv(iovirt, argv);
		_exit(127);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFEXITED(status), "iovirt bench died (signal %d)",
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return WEXITSTATUS(status);
}

/* 1 when prog is on PATH. */
static int on_path(const char *prog)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

int main(int argc, char **argv)
{
	char paths_opt[128], wl_opt[64];
	char *tcg_args[] = { "--qemu-tcg-check", "--paths", paths_opt, "--workloads", wl_opt,
			     "--sizes", "64,1500", "--count", "300" };
	char *host_args[] = { "--paths", "host-virtio-user", "--workloads", "tx,rx", "--sizes", "64,1500",
			      "--count", "200000" };
	bool tcg = argc >= 5 && !strcmp(argv[2], "--qemu-tcg");
	bool host = argc >= 3 && !strcmp(argv[2], "--host");
	bool vhost_user = argc >= 3 && !strcmp(argv[2], "--vhost-user");
	static const char *const files[] = { "bench.json", "report.md", "chart.svg", "bench-guest.elf" };
	char dir[] = "/tmp/iovirt-test-bench-XXXXXX", path[128], why[256], status[32];
	unsigned ran;
	size_t len;
	char *json;
	int rc;

	TEST_ASSERT(argc >= 2, "usage: %s IOVIRT [--qemu-tcg PATHS WORKLOADS]", argv[0]);
	if (tcg) {
		if (!on_path("qemu-system-x86_64")) {
			printf("SKIP: qemu-system-x86_64 not found (install qemu-system-x86)\n");
			return TEST_SKIP;
		}
		snprintf(paths_opt, sizeof(paths_opt), "%s", argv[3]);
		snprintf(wl_opt, sizeof(wl_opt), "%s", argv[4]);
	} else if (!host) {
		test_require_kvm();
		if (vhost_user)
			test_hugepages_ensure(128); /* for iovirt-vhost-user's switch */
	}
	test_watchdog(tcg ? 290 : WATCHDOG_S);
	TEST_ASSERT(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	rc = host ? bench_run(argv[1], dir, host_args, 8) : bench_run(argv[1], dir, tcg_args, tcg ? 9 : 0);
	TEST_ASSERT(rc == 0, "iovirt bench --quick: exit status %d", rc);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		TEST_ASSERT(!stat(path, &st) && st.st_size > 0, "no %s", path);
	}
	snprintf(path, sizeof(path), "%s/bench.json", dir);
	json = file_slurp(path, &len);
	TEST_ASSERT(!report_check(json, len, &ran, why, sizeof(why)), "bench.json: %s", why);
	if (host) {
		TEST_ASSERT(!report_path_status(json, len, "host-virtio-user", status, sizeof(status)),
			    "bench.json: no path host-virtio-user");
		if (!strcmp(status, "skipped")) {
			TEST_ASSERT(!report_path_reason(json, len, "host-virtio-user", why, sizeof(why)),
				    "bench.json: host-virtio-user skipped without a reason");
			printf("SKIP: the HOST baseline cannot run here: %s\n", why);
			return TEST_SKIP;
		}
		TEST_ASSERT(!strcmp(status, "ran"), "path host-virtio-user: %s", status);
		TEST_ASSERT(ran == 4, "%u cases of the HOST baseline ran with figures, not 4", ran);
	} else if (tcg) {
		for (char *p = strtok(paths_opt, ","); p; p = strtok(NULL, ",")) {
			TEST_ASSERT(!report_path_status(json, len, p, status, sizeof(status)),
				    "bench.json: no path %s", p);
			TEST_ASSERT(!strcmp(status, "checked"), "path %s: %s", p, status);
		}
		TEST_ASSERT(ran == 0, "%u cases with figures from TCG", ran);
	} else {
		for (const char *const *p = (const char *const[]){ "iovirt-e1000", "iovirt-virtio",
								    "iovirt-vhost-user", NULL };
		     *p; p++) {
			TEST_ASSERT(!report_path_status(json, len, *p, status, sizeof(status)),
				    "bench.json: no path %s", *p);
			if (!vhost_user && !strcmp(*p, "iovirt-vhost-user"))
				continue; /* without hugepages it says why not (checked above) */
			TEST_ASSERT(!strcmp(status, "ran"), "path %s: %s", *p, status);
		}
		TEST_ASSERT(ran >= (vhost_user ? 9u : 6u), "only %u cases ran (want the 3 workloads on "
			    "iovirt-e1000 and iovirt-virtio%s)", ran, vhost_user ? " and iovirt-vhost-user" : "");
		/* the default pinning when CPUs 0 and 1 are usable: one vCPU thread per sample */
		TEST_ASSERT(strstr(json, "\"off_because\": \"") || strstr(json, "\"pinned_vcpus\": 1"),
			    "bench.json: pinning on, but no sample pinned its vCPU thread");
	}
	printf("ok: iovirt bench --quick: %u cases ran, report in %s\n", ran, dir);
	snprintf(path, sizeof(path), "%s/report.md", dir);
	free(json);
	json = file_slurp(path, &len);
	fputs(json, stdout);
	free(json);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}
