/*
 * The benchmark harness without a VM: the guest's report lines (hostile
 * input), /proc stat lines, medians, the JSON report read back by an
 * independent reader (tests/bench/report-check.c) and that reader against
 * hostile documents.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench.h"
#include "report-check.h"

#define START "IOVIRT-GUEST: bench-start workload=tx size=64 count=1000 nic=0 kind=e1000 " \
	      "tsc_khz=2000000 tsc=host"
#define RESULT "IOVIRT-GUEST: bench-result workload=pingpong size=512 nic=1 packets=999 " \
	       "bytes=511488 cycles=123456 drops=1 errors=0 p50=4000 p99=9000 min=3000 " \
	       "max=20000 timeout=1 ok=0"

static void test_line_good(void **state)
{
	struct bench_guest_report r;

	assert_int_equal(bench_guest_line_parse(START, &r), 0);
	assert_true(r.start);
	assert_int_equal(r.workload, BENCH_WL_TX);
	assert_int_equal(r.size, 64);
	assert_int_equal(r.count, 1000);
	assert_int_equal(r.tsc_khz, 2000000);
	assert_int_equal(bench_guest_line_parse(RESULT "\r\n", &r), 0);
	assert_false(r.start);
	assert_int_equal(r.workload, BENCH_WL_PINGPONG);
	assert_int_equal(r.nic, 1);
	assert_int_equal(r.packets, 999);
	assert_int_equal(r.drops, 1);
	assert_int_equal(r.p99, 9000);
	assert_true(r.timeout);
	assert_false(r.ok);
}

static void test_line_not_ours(void **state)
{
	struct bench_guest_report r;

	assert_int_equal(bench_guest_line_parse("hello", &r), -ENOENT);
	assert_int_equal(bench_guest_line_parse("", &r), -ENOENT);
	assert_int_equal(bench_guest_line_parse("IOVIRT-GUEST: done status=0", &r), -ENOENT);
	assert_int_equal(bench_guest_line_parse("IOVIRT-GUEST: bench-startx", &r), -ENOENT);
}

/* Each variant of a good line must be refused. */
static void test_line_hostile(void **state)
{
	static const char *const bad[] = {
		"IOVIRT-GUEST: bench-start ",
		"IOVIRT-GUEST: bench-start workload=tx size=64 count=1000 nic=0 kind=e1000 tsc_khz=1",
		START " tsc=pit",                           /* duplicate key */
		START " packets=1",                         /* a result key in a start line */
		START " extra=1",
		START "  ",
		START " =",
		START " x",
		"IOVIRT-GUEST: bench-start workload=udp size=64 count=1 nic=0 kind=e1000 tsc_khz=1 tsc=h",
		"IOVIRT-GUEST: bench-start workload=tx size=59 count=1 nic=0 kind=e1000 tsc_khz=1 tsc=h",
		"IOVIRT-GUEST: bench-start workload=tx size=1515 count=1 nic=0 kind=e1000 tsc_khz=1 tsc=h",
		"IOVIRT-GUEST: bench-start workload=tx size=64 count=1 nic=4 kind=e1000 tsc_khz=1 tsc=h",
		"IOVIRT-GUEST: bench-start workload=tx size=64 count=-1 nic=0 kind=e1000 tsc_khz=1 tsc=h",
		"IOVIRT-GUEST: bench-start workload=tx size=064x count=1 nic=0 kind=e1000 tsc_khz=1 tsc=h",
		"IOVIRT-GUEST: bench-start workload=tx size=64 count=1 nic=0 kind= tsc_khz=1 tsc=h",
		"IOVIRT-GUEST: bench-result workload=tx size=64 nic=0 packets=18446744073709551616 "
		"bytes=0 cycles=0 drops=0 errors=0 p50=0 p99=0 min=0 max=0 timeout=0 ok=1",
		"IOVIRT-GUEST: bench-result workload=tx size=64 nic=0 packets=1 bytes=0 cycles=0 "
		"drops=0 errors=0 p50=0 p99=0 min=0 max=0 timeout=2 ok=1",
		"IOVIRT-GUEST: bench-result workload=tx size=64 nic=0 packets=1 bytes=0 cycles=0 "
		"drops=0 errors=0 p50=0 p99=0 min=0 max=0 timeout=0",
		START "\rjunk",
	};
	struct bench_guest_report r;
	char big[2048];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bench_guest_line_parse(bad[i], &r) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
	}
	snprintf(big, sizeof(big), "%s", START);
	memset(big + strlen(START), 'a', sizeof(big) - strlen(START) - 1);
	big[sizeof(big) - 1] = 0;
	big[strlen(START)] = ' ';
	assert_int_equal(bench_guest_line_parse(big, &r), -EINVAL);
}

/* Random bytes after the prefix: never accepted by chance, never a crash. */
static void test_line_random(void **state)
{
	struct bench_guest_report r;
	char line[300];

	srand(7);
	for (int i = 0; i < 20000; i++) {
		size_t n = strlen("IOVIRT-GUEST: bench-result "), len = n + rand() % 200;

		memcpy(line, "IOVIRT-GUEST: bench-result ", n);
		for (size_t k = n; k < len; k++)
			line[k] = (char)(1 + rand() % 255);
		line[len] = 0;
		assert_int_not_equal(bench_guest_line_parse(line, &r), 0);
	}
}

static void test_stat_line(void **state)
{
	static const char good[] = "1234 (vcpu 0) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 1 0 5";
	static const char paren[] = "9 (a) (b) c) R 1 2 3 4 5 6 7 8 9 10 7 8 0 0";
	static const char *const bad[] = {
		"", "1234", "1234 (x", "1234 (x) S 1 2 3", "1 (x) S 1 2 3 4 5 6 7 8 9 10 a 1",
		"1 (x) S 1 2 3 4 5 6 7 8 9 10 99999999999999999999999 1", "1 (x)S 1 2 3 4 5 6 7 8 9 10 1 1",
	};
	uint64_t t;

	assert_int_equal(bench_stat_line_ticks(good, strlen(good), &t), 0);
	assert_int_equal(t, 175);
	assert_int_equal(bench_stat_line_ticks(paren, strlen(paren), &t), 0);
	assert_int_equal(t, 15);
	/* the length bounds the read: a good line cut short is refused */
	assert_int_not_equal(bench_stat_line_ticks(good, 40, &t), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bench_stat_line_ticks(bad[i], strlen(bad[i]), &t) == 0)
			fail_msg("accepted: %s", bad[i]);
}

static void test_cpu_ns(void **state)
{
	uint64_t a, b;
	volatile unsigned long x = 0;

	assert_int_equal(bench_cpu_ns(0, &a), 0);
	for (unsigned long i = 0; i < 20000000; i++)
		x += i;
	assert_int_equal(bench_cpu_ns(0, &b), 0);
	assert_true(b > a);
	assert_int_not_equal(bench_cpu_ns(999999999, &a), 0);
}

static void test_backend_spec(void **state)
{
	char buf[64];

	assert_int_equal(bench_backend_spec(BENCH_WL_TX, 64, 10, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sink");
	assert_int_equal(bench_backend_spec(BENCH_WL_RX, 512, 1000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "gen:size=512,count=1000");
	assert_int_equal(bench_backend_spec(BENCH_WL_PINGPONG, 64, 10, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "loop");
	assert_int_equal(bench_backend_spec(0, 64, 10, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(bench_backend_spec(BENCH_WL_RX, 512, 1000, buf, 8), -EINVAL);
}

/* A good sample of case c: count frames in secs of a 1 GHz TSC. */
static void sample_make(struct bench_case *c, unsigned count, double secs, double cpu)
{
	struct bench_sample *s = &c->samples[c->n++];

	*s = (struct bench_sample){ .ok = true, .tsc_khz = 1000000, .guest_s = secs,
				    .wall_s = secs, .cpu_s = cpu, .exits_known = true,
				    .host_sent = count, .host_counted = count - 2, .host_drops = 2 };
	s->res = (struct bench_guest_report){ .workload = c->workload, .size = c->size,
					      .packets = count, .bytes = (uint64_t)count * c->size,
					      .cycles = (uint64_t)(secs * 1e9), .ok = true,
					      .p50 = 5000, .p99 = 9000 };
	for (unsigned i = 0; i < BENCH_EXIT_REASONS; i++)
		s->exits[i] = count * i;
	s->exits[BENCH_EXIT_REASONS - 1] = UINT64_MAX;
}

static const struct bench_machine machine = {
	.cpu_model = "Test CPU \"quoted\" \x01", .cpus = 2, .kernel = "Linux test",
	.kvm = "cannot open /dev/kvm", .qemu = "none", .date = "2026-01-01T00:00:00Z",
};

static struct bench_plan *plan_make(void)
{
	struct bench_plan *p = calloc(1, sizeof(*p));
	struct bench_case *c;

	assert_non_null(p);
	p->count = 1000;
	p->repeats = 3;
	p->timeout_s = 10;
	c = &p->cases[p->ncases++];
	*c = (struct bench_case){ .path = bench_path_find("iovirt-virtio"), .workload = BENCH_WL_TX,
				  .size = 64 };
	sample_make(c, 1000, 0.002, 0.004);
	sample_make(c, 1000, 0.001, 0.002);
	sample_make(c, 1000, 0.004, 0.004);
	c = &p->cases[p->ncases++];
	*c = (struct bench_case){ .path = bench_path_find("iovirt-e1000"),
				  .workload = BENCH_WL_PINGPONG, .size = 512 };
	sample_make(c, 1000, 0.5, 0.5);
	c = &p->cases[p->ncases++];
	*c = (struct bench_case){ .path = bench_path_find("qemu-e1000"), .workload = BENCH_WL_RX,
				  .size = 64 };
	snprintf(c->skipped, sizeof(c->skipped), "no | generator \"here\"");
	c = &p->cases[p->ncases++];
	*c = (struct bench_case){ .path = bench_path_find("qemu-virtio"), .workload = BENCH_WL_TX,
				  .size = 64, .withheld = true };
	sample_make(c, 1000, 0.5, 0.5);
	return p;
}

/* noinline: GCC 12 at -O2 takes the open_memstream buffer for a pointer to the local that receives it */
static __attribute__((noinline)) char *render(const struct bench_plan *p, size_t *len,
		    void (*fn)(FILE *, const struct bench_plan *, const struct bench_machine *))
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	fn(f, p, &machine);
	fclose(f);
	return buf;
}

static void test_stats(void **state)
{
	struct bench_plan *p = plan_make();
	struct bench_stat st;

	assert_int_equal(bench_case_stat(&p->cases[0], BENCH_M_PPS, &st), 0);
	assert_int_equal(st.n, 3);
	assert_true(st.med > 499999 && st.med < 500001);   /* 1000 frames in 2 ms */
	assert_true(st.min > 249999 && st.min < 250001);
	assert_true(st.max > 999999 && st.max < 1000001);
	assert_int_equal(bench_case_stat(&p->cases[0], BENCH_M_P50_US, &st), -ENOENT);
	assert_int_equal(bench_case_stat(&p->cases[1], BENCH_M_P50_US, &st), 0);
	assert_true(st.med > 4.99 && st.med < 5.01);          /* 5000 ticks at 1 GHz */
	assert_int_equal(bench_case_stat(&p->cases[0], BENCH_M_EXITS_PER_PKT + 2, &st), 0);
	assert_true(st.med > 1.99 && st.med < 2.01);
	assert_int_equal(bench_case_stat(&p->cases[0], BENCH_M_COUNT - 1, &st), -ENOENT);
	assert_int_equal(bench_case_stat(&p->cases[3], BENCH_M_PPS, &st), -ENOENT); /* withheld */
	p->cases[0].samples[1].ok = false;
	assert_int_equal(bench_case_stat(&p->cases[0], BENCH_M_PPS, &st), 0);
	assert_int_equal(st.n, 2);
	free(p);
}

static void test_report_json(void **state)
{
	struct bench_plan *p = plan_make();
	char why[256], status[32];
	unsigned ran;
	size_t len;
	char *json = render(p, &len, bench_report_json);

	if (report_check(json, len, &ran, why, sizeof(why)))
		fail_msg("%s\n%s", why, json);
	assert_int_equal(ran, 2);
	assert_int_equal(report_path_status(json, len, "iovirt-e1000", status, sizeof(status)), 0);
	assert_string_equal(status, "ran");
	assert_int_equal(report_path_status(json, len, "qemu-virtio", status, sizeof(status)), 0);
	assert_string_equal(status, "checked");
	assert_int_equal(report_path_status(json, len, "vfio", status, sizeof(status)), 0);
	assert_string_equal(status, "skipped");
	free(json);

	/* counts that disagree, a failed run, a skip without a reason: each refused */
	p->cases[0].samples[2].host_counted = 997;
	json = render(p, &len, bench_report_json);
	assert_int_equal(report_check(json, len, &ran, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "the host counted"));
	free(json);
	p->cases[0].samples[2].host_counted = 998;
	p->cases[1].samples[0].ok = false;
	json = render(p, &len, bench_report_json);
	assert_int_equal(report_check(json, len, &ran, why, sizeof(why)), -1);
	free(json);
	p->cases[1].samples[0].ok = true;
	p->cases[1].samples[0].res.packets = 999;
	json = render(p, &len, bench_report_json);
	assert_int_equal(report_check(json, len, &ran, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "the guest counted"));
	free(json);
	free(p);
}

/* Each row of the Markdown table that starts at header has `bars` unescaped '|'. */
static void assert_table_bars(const char *md, const char *header, unsigned bars)
{
	const char *line = strstr(md, header);

	assert_non_null(line);
	while (*line == '|') {
		unsigned n = 0;
		const char *c;

		for (c = line; *c && *c != '\n'; c++)
			n += *c == '|' && (c == line || c[-1] != '\\');
		assert_int_equal(n, bars);
		line = *c ? c + 1 : c;
	}
}

static void test_report_text(void **state)
{
	struct bench_plan *p = plan_make();
	size_t len;
	char *md = render(p, &len, bench_report_markdown);

	assert_non_null(strstr(md, "| iovirt-virtio | tx | 64 | 500.0 (250.0-1000.0) |"));
	assert_non_null(strstr(md, "| vfio |"));
	free(md);
	p->cases[1].samples[0].res.packets = 990;
	p->cases[1].samples[0].res.drops = 10;
	md = render(p, &len, bench_report_markdown);
	assert_non_null(strstr(md, "| 10 of 1000 frames lost (1.00%) |"));
	/* every table row has the same number of cells: a '|' in a reason is escaped */
	assert_table_bars(md, "| path | workload", 13);
	free(md);
	free(p);
}

/* Ratios: a path's median rate over the HOST baseline's and its QEMU peer's, same workload and size. */
static void test_ratios(void **state)
{
	struct bench_plan *p = plan_make();
	struct bench_case *host = &p->cases[p->ncases++], *qemu = &p->cases[3];
	double r;
	size_t len;
	char *md;

	*host = (struct bench_case){ .path = bench_path_find(BENCH_HOST_PATH),
				     .workload = BENCH_WL_TX, .size = 64 };
	sample_make(host, 1000, 0.0005, 0.001);   /* 2000 kpps; iovirt-virtio tx 64: 500 kpps */
	assert_int_equal(bench_case_ratio(p, &p->cases[0], BENCH_HOST_PATH, &r), 0);
	assert_true(r > 0.2499 && r < 0.2501);
	assert_int_equal(bench_case_ratio(p, host, BENCH_HOST_PATH, &r), -ENOENT); /* itself */
	assert_int_equal(bench_case_ratio(p, &p->cases[1], BENCH_HOST_PATH, &r), -ENOENT);
	/* the QEMU peer ran under TCG (figures withheld): no ratio; with figures, one */
	assert_int_equal(bench_case_ratio(p, &p->cases[0], p->cases[0].path->peer, &r), -ENOENT);
	qemu->withheld = false;
	assert_int_equal(bench_case_ratio(p, &p->cases[0], p->cases[0].path->peer, &r), 0);
	assert_true(r > 249.99 && r < 250.01);      /* 500 kpps over QEMU's 2 kpps */
	md = render(p, &len, bench_report_markdown);
	assert_non_null(strstr(md, "| 0.25 | 250.00 |"));
	free(md);
	md = render(p, &len, bench_report_json);
	assert_non_null(strstr(md, "\"ratio_to_host\": 0.25"));
	free(md);
	free(p);
}

static void test_report_svg(void **state)
{
	struct bench_plan *p = plan_make();
	size_t len, rects = 0;
	char *svg = render(p, &len, bench_report_svg), *c;

	assert_true(!strncmp(svg, "<svg ", 5));
	assert_non_null(strstr(svg, "</svg>\n"));
	for (c = svg; (c = strstr(c, "<rect x=")); c++)
		rects++;
	assert_int_equal(rects, 2);                     /* the two cases with figures */
	assert_non_null(strstr(svg, "no | generator &quot;here&quot;"));
	assert_non_null(strstr(svg, "figures withheld (TCG)"));
	assert_null(strstr(svg, "\x01"));
	free(svg);
	free(p);
}

/* Every prefix of a good report, and random bytes: refused, never a crash. */
static void test_report_hostile(void **state)
{
	struct bench_plan *p = plan_make();
	char why[256], status[32], junk[512];
	unsigned ran;
	size_t len;
	char *json = render(p, &len, bench_report_json);

	for (size_t n = 0; n + 1 < len; n += 7)
		assert_int_equal(report_check(json, n, &ran, why, sizeof(why)), -1);
	srand(3);
	for (int i = 0; i < 5000; i++) {
		size_t n = rand() % sizeof(junk);

		static const char alphabet[] = "{}[]\",:0-e.ntfalsu\\ \x01\xff";

		for (size_t k = 0; k < n; k++)
			junk[k] = alphabet[rand() % (sizeof(alphabet) - 1)];
		assert_int_equal(report_check(junk, n, &ran, why, sizeof(why)), -1);
		(void)report_path_status(junk, n, "x", status, sizeof(status));
	}
	memset(junk, '[', sizeof(junk));
	assert_int_equal(report_check(junk, sizeof(junk), &ran, why, sizeof(why)), -1);
	free(json);
	free(p);
}

static void test_pin_parse(void **state)
{
	static const char *const bad[] = { "", "vcpu=0", "io=1,vcpu=0", "vcpu=0,io=1,x", "vcpu=-1,io=1",
					   "vcpu=0,io=99999", "on" };
	struct bench_pin p;

	assert_int_equal(bench_pin_parse("vcpu=2,io=3", &p), 0);
	assert_int_equal(p.vcpu, 2);
	assert_int_equal(p.io, 3);
	assert_int_equal(bench_pin_parse("off", &p), 0);
	assert_true(p.vcpu < 0 && p.why[0]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bench_pin_parse(bad[i], &p) != -EINVAL)
			fail_msg("--pin '%s' was taken", bad[i]);
}

struct named_thread {
	const char *name;
	pid_t tid;
	int go;
};

static void *named_thread_main(void *arg)
{
	struct named_thread *t = arg;

	pthread_setname_np(pthread_self(), t->name);
	__atomic_store_n(&t->tid, gettid(), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&t->go, __ATOMIC_ACQUIRE))
		usleep(1000);
	return NULL;
}

/* The CPU a thread may run on, when exactly one; -1 otherwise. */
static int only_cpu(pid_t tid)
{
	cpu_set_t set;
	int cpu = -1;

	assert_int_equal(sched_getaffinity(tid, sizeof(set), &set), 0);
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpu = cpu < 0 ? i : -2;
	return cpu < 0 ? -1 : cpu;
}

/* Threads named like iovirt's go where their names say: vCPUs to one CPU, the rest to the other. */
static void test_pin_threads(void **state)
{
	struct named_thread t[2] = { { .name = "vCPU 0" }, { .name = "virtio-net 52:5" } };
	struct bench_pin p;
	pthread_t th[2];
	cpu_set_t saved;
	unsigned vcpus;
	int n;

	bench_pin_default(&p);
	if (p.vcpu < 0)
		skip(); /* one CPU here: the default says why, nothing to pin */
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, named_thread_main, &t[i]), 0);
	for (int i = 0; i < 2; i++)
		while (!__atomic_load_n(&t[i].tid, __ATOMIC_ACQUIRE))
			usleep(1000);
	n = bench_pin_process(getpid(), "vCPU", &p, &vcpus);
	assert_true(n >= 3); /* the two threads and this one */
	assert_int_equal(vcpus, 1);
	assert_int_equal(only_cpu(t[0].tid), p.vcpu);
	assert_int_equal(only_cpu(t[1].tid), p.io);
	assert_int_equal(only_cpu(gettid()), p.io);
	for (int i = 0; i < 2; i++) {
		__atomic_store_n(&t[i].go, 1, __ATOMIC_RELEASE);
		pthread_join(th[i], NULL);
	}
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
	assert_int_equal(bench_pin_parse("vcpu=0,io=1023", &p), 0);
	assert_int_equal(bench_pin_process(getpid(), "vCPU", &p, &vcpus), -EINVAL);
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_good),
		cmocka_unit_test(test_line_not_ours),
		cmocka_unit_test(test_line_hostile),
		cmocka_unit_test(test_line_random),
		cmocka_unit_test(test_stat_line),
		cmocka_unit_test(test_cpu_ns),
		cmocka_unit_test(test_backend_spec),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_report_text),
		cmocka_unit_test(test_ratios),
		cmocka_unit_test(test_report_svg),
		cmocka_unit_test(test_report_hostile),
		cmocka_unit_test(test_pin_parse),
		cmocka_unit_test(test_pin_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
