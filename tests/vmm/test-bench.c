/*
 * `iovirt bench --quick` end to end on this machine's KVM: exit 0, the three
 * report files, and a JSON report (read by tests/bench/report-check.c) in
 * which both iovirt paths ran every workload, every other path ran or says
 * why not, and every run's counts agree (never a speed target).
 *
 * usage: test-bench IOVIRT
 */
#include <errno.h>
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

/* Run iovirt bench --quick --out dir; its exit status. Output goes to ours. */
static int bench_run(const char *iovirt, const char *dir)
{
	int status;
	pid_t pid = fork();

	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		execl(iovirt, iovirt, "bench", "--quick", "--out", dir, (char *)NULL);
		_exit(127);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFEXITED(status), "iovirt bench died (signal %d)",
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	static const char *const files[] = { "bench.json", "report.md", "bench-guest.elf" };
	char dir[] = "/tmp/iovirt-test-bench-XXXXXX", path[128], why[256], status[32];
	unsigned ran;
	size_t len;
	char *json;
	int rc;

	TEST_ASSERT(argc >= 2, "usage: %s IOVIRT", argv[0]);
	test_require_kvm();
	test_watchdog(WATCHDOG_S);
	TEST_ASSERT(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	rc = bench_run(argv[1], dir);
	TEST_ASSERT(rc == 0, "iovirt bench --quick: exit status %d", rc);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		TEST_ASSERT(!stat(path, &st) && st.st_size > 0, "no %s", path);
	}
	snprintf(path, sizeof(path), "%s/bench.json", dir);
	json = file_slurp(path, &len);
	TEST_ASSERT(!report_check(json, len, &ran, why, sizeof(why)), "bench.json: %s", why);
	for (const char *const *p = (const char *const[]){ "iovirt-e1000", "iovirt-virtio", NULL };
	     *p; p++) {
		TEST_ASSERT(!report_path_status(json, len, *p, status, sizeof(status)),
			    "bench.json: no path %s", *p);
		TEST_ASSERT(!strcmp(status, "ran"), "path %s: %s", *p, status);
	}
	TEST_ASSERT(ran >= 6, "only %u cases ran (want the 3 workloads on both iovirt paths)", ran);
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
