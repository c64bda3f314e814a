/* iovirt bench: the guest workloads on every I/O path this machine supports, and the reports. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "compiler.h"
#include "parse.h"

#define BENCH_LIST_MAX 8
#define QUICK_COUNT    1000

static const char usage[] =
	"usage: iovirt bench [--quick] [--out DIR] [OPTIONS]\n"
	"\n"
	"Run the benchmark's guest workloads (transmit flood, receive sink, ping-pong\n"
	"latency; frames of 64, 512 and 1500 bytes) on every I/O path this machine\n"
	"supports: iovirt's e1000 and in-VMM virtio-net, and the same guest image under\n"
	"QEMU (-accel kvm) with QEMU's e1000 and virtio-net-pci, and the HOST baseline\n"
	"(no VM: dpdk-testpmd's virtio-user into iovirt switch); each rate also as a\n"
	"ratio to HOST and to the QEMU peer. Paths that cannot run here are listed\n"
	"with the reason. A progress line goes to standard error, a table to standard\n"
	"output, and bench.json (schema 1), report.md, chart.svg and the guest image\n"
	"that ran (bench-guest.elf) to the output directory. Method and metrics:\n"
	"docs/bench.md.\n"
	"\n"
	"Options:\n"
	"  --quick             64-byte frames only, " "1000 frames per run, one run per case\n"
	"  --out DIR           output directory (default ./iovirt-bench-DATE-TIME)\n"
	"  --paths LIST        comma-separated paths (default: all): iovirt-e1000,\n"
	"                      iovirt-virtio, qemu-e1000, qemu-virtio, iovirt-vhost-user,\n"
	"                      qemu-vhost-user, host-virtio-user\n"
	"  --workloads LIST    tx, rx, pingpong (default: all)\n"
	"  --sizes LIST        frame sizes in bytes, 60 to 1514 (default 64,512,1500)\n"
	"  --count N           frames or round trips per run (default 100000)\n"
	"  --repeats N         runs per case, 1-15 (default 3); median, min and max\n"
	"  --timeout SEC       limit per run (default 120)\n"
	"  --pin vcpu=N,io=N   the VMM's vCPU threads on CPU N, its other threads and the\n"
	"                      back-end's on the other (default vcpu=0,io=1 when both are\n"
	"                      usable; the same for iovirt, QEMU and HOST); --pin off: none\n"
	"  --qemu PROGRAM      the QEMU to run the peers with (default qemu-system-x86_64)\n"
	"  --qemu-data DIR     the directory that QEMU loads its firmware from (its -L;\n"
	"                      default: QEMU's own)\n"
	"  --qemu-tcg-check    run the QEMU peers under TCG to check their counts only:\n"
	"                      no figures are reported for them\n"
	"  --image FILE        a guest image to run instead of the built-in one\n"
	"  --json              print the JSON report instead of the table\n"
	"  -h, --help          this text\n"
	"\n"
	"Exit status: 0 every case that could run ran and its counts agree (skipped\n"
	"paths included, with their reasons); 1 a run failed or the output cannot be\n"
	"written; 2 a usage error.\n";

struct bench_opts {
	bool quick, json, tcg, pin_given;
	struct bench_pin pin;
	const char *out, *image, *qemu, *qemu_data;
	const struct bench_path *paths[BENCH_LIST_MAX + 8];
	unsigned npaths;
	unsigned workloads[BENCH_WL_MAX], nworkloads;
	unsigned sizes[BENCH_LIST_MAX], nsizes;
	unsigned count, repeats, timeout_s;
	bool count_given, repeats_given, sizes_given;
};

/* Split a comma-separated list into at most max items of at most 31 bytes; -1 or an exit code. */
static int list_split(const char *opt, const char *arg, char items[][32], unsigned max,
		      unsigned *n)
{
	*n = 0;
	for (const char *p = arg;;) {
		size_t len = strcspn(p, ",");

		if (!len || len >= 32 || *n == max)
			return cli_usage_error(&cli_cmd_bench, "%s %s: expected a comma-separated list "
					       "of at most %u items", opt, arg, max);
		memcpy(items[*n], p, len);
		items[(*n)++][len] = 0;
		if (!p[len])
			return -1;
		p += len + 1;
	}
}

static int set_paths(struct bench_opts *o, const char *arg)
{
	char items[BENCH_LIST_MAX][32];
	int ret = list_split("--paths", arg, items, BENCH_LIST_MAX, &o->npaths);

	for (unsigned i = 0; ret < 0 && i < o->npaths; i++)
		if (!(o->paths[i] = bench_path_find(items[i])))
			ret = cli_usage_error(&cli_cmd_bench, "--paths: unknown path '%s'", items[i]);
	return ret;
}

static int set_workloads(struct bench_opts *o, const char *arg)
{
	char items[BENCH_LIST_MAX][32];
	int ret = list_split("--workloads", arg, items, BENCH_WL_MAX - 1, &o->nworkloads);

	for (unsigned i = 0; ret < 0 && i < o->nworkloads; i++) {
		o->workloads[i] = 0;
		for (unsigned w = 1; w < BENCH_WL_MAX; w++)
			if (!strcmp(items[i], bench_workload_name(w)))
				o->workloads[i] = w;
		if (!o->workloads[i])
			ret = cli_usage_error(&cli_cmd_bench, "--workloads: unknown workload '%s' "
					      "(tx, rx or pingpong)", items[i]);
	}
	return ret;
}

static int set_sizes(struct bench_opts *o, const char *arg)
{
	char items[BENCH_LIST_MAX][32];
	int ret = list_split("--sizes", arg, items, BENCH_LIST_MAX, &o->nsizes);

	for (unsigned i = 0; ret < 0 && i < o->nsizes; i++)
		ret = cli_arg_uint(&cli_cmd_bench, "--sizes", items[i], BENCH_SIZE_MIN, BENCH_SIZE_MAX,
				   &o->sizes[i]);
	o->sizes_given = true;
	return ret;
}

enum { OPT_QUICK = 256, OPT_OUT, OPT_PATHS, OPT_WORKLOADS, OPT_SIZES, OPT_COUNT, OPT_REPEATS,
       OPT_TIMEOUT, OPT_QEMU, OPT_QEMU_DATA, OPT_TCG, OPT_IMAGE, OPT_JSON, OPT_PIN, OPT_HELP };

static const struct option longopts[] = {
	{ "quick", no_argument, NULL, OPT_QUICK },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "paths", required_argument, NULL, OPT_PATHS },
	{ "workloads", required_argument, NULL, OPT_WORKLOADS },
	{ "sizes", required_argument, NULL, OPT_SIZES },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "repeats", required_argument, NULL, OPT_REPEATS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "qemu", required_argument, NULL, OPT_QEMU },
	{ "qemu-data", required_argument, NULL, OPT_QEMU_DATA },
	{ "qemu-tcg-check", no_argument, NULL, OPT_TCG },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "help", no_argument, NULL, OPT_HELP },
	{ 0 },
};

/* One option; -1 to go on, or an exit code. */
static int opt_set(struct bench_opts *o, int c, const char *a)
{
	switch (c) {
	case OPT_QUICK: o->quick = true; return -1;
	case OPT_OUT: o->out = a; return -1;
	case OPT_PATHS: return set_paths(o, a);
	case OPT_WORKLOADS: return set_workloads(o, a);
	case OPT_SIZES: return set_sizes(o, a);
	case OPT_COUNT:
		o->count_given = true;
		return cli_arg_uint(&cli_cmd_bench, "--count", a, 1, BENCH_COUNT_MAX, &o->count);
	case OPT_REPEATS:
		o->repeats_given = true;
		return cli_arg_uint(&cli_cmd_bench, "--repeats", a, 1, BENCH_MAX_REPEATS, &o->repeats);
	case OPT_TIMEOUT: return cli_arg_uint(&cli_cmd_bench, "--timeout", a, 1, 86400, &o->timeout_s);
	case OPT_QEMU: o->qemu = a; return -1;
	case OPT_QEMU_DATA: o->qemu_data = a; return -1;
	case OPT_TCG: o->tcg = true; return -1;
	case OPT_IMAGE: o->image = a; return -1;
	case OPT_JSON: o->json = true; return -1;
	case OPT_PIN:
		o->pin_given = true;
		if (bench_pin_parse(a, &o->pin))
			return cli_usage_error(&cli_cmd_bench, "--pin '%s': expected vcpu=N,io=N or off", a);
		return -1;
	case 'h':
	case OPT_HELP: cli_print_usage(&cli_cmd_bench); return CLI_EXIT_OK;
	default: return -2;
	}
}

static int bench_parse(int argc, char **argv, struct bench_opts *o)
{
	int c, ret;

	*o = (struct bench_opts){ .qemu = "qemu-system-x86_64", .count = BENCH_DEFAULT_COUNT,
				  .repeats = 3, .timeout_s = 120 };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == ':')
			return cli_usage_error(&cli_cmd_bench, "%s needs a value", argv[optind - 1]);
		ret = opt_set(o, c, optarg);
		if (ret == -2)
			return cli_usage_error(&cli_cmd_bench, "bad option '%s'", argv[optind - 1]);
		if (ret >= 0)
			return ret;
	}
	if (optind < argc)
		return cli_usage_error(&cli_cmd_bench, "unexpected argument '%s'", argv[optind]);
	if (o->quick) {
		o->count = o->count_given ? o->count : QUICK_COUNT;
		o->repeats = o->repeats_given ? o->repeats : 1;
	}
	if (!o->nsizes) {
		static const unsigned full[] = { 64, 512, 1500 };

		o->nsizes = o->quick ? 1 : 3;
		memcpy(o->sizes, full, sizeof(full));
	}
	if (!o->nworkloads)
		for (unsigned w = 1; w < BENCH_WL_MAX; w++)
			o->workloads[o->nworkloads++] = w;
	if (!o->npaths)
		for (unsigned i = 0; i < bench_path_count; i++)
			o->paths[o->npaths++] = &bench_paths[i];
	return -1;
}

/* Create dir (one level) unless it is already a directory; -1 or an exit code. */
static int out_dir_make(struct bench_opts *o, char *buf, size_t len)
{
	struct stat st;

	if (!o->out) {
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(buf, len, "iovirt-bench-%Y%m%d-%H%M%S", &tm);
		o->out = buf;
	}
	if (mkdir(o->out, 0755) && (errno != EEXIST || stat(o->out, &st) || !S_ISDIR(st.st_mode)))
		return cli_fail(&cli_cmd_bench, "--out %s: cannot create the directory: %s", o->out,
				errno == EEXIST ? "exists and is not a directory" : strerror(errno));
	return -1;
}

/* The cases of the plan; paths that cannot run get their reason on every case. */
static int plan_build(struct bench_plan *plan, const struct bench_opts *o)
{
	for (unsigned p = 0; p < o->npaths; p++) {
		const struct bench_path *path = o->paths[p];
		char why[BENCH_REASON_MAX] = "";
		bool cannot = bench_path_check(path, plan, why, sizeof(why)) != 0;

		if (path->vmm == BENCH_VMM_LATER)
			continue; /* reported as a path with its reason, no cases */
		for (unsigned w = 0; w < o->nworkloads; w++) {
			for (unsigned s = 0; s < o->nsizes; s++) {
				struct bench_case *c = &plan->cases[plan->ncases];

				if (plan->ncases == BENCH_MAX_CASES)
					return cli_usage_error(&cli_cmd_bench, "more than %d cases: give "
							       "fewer paths, workloads or sizes",
							       BENCH_MAX_CASES);
				*c = (struct bench_case){ .path = path, .workload = o->workloads[w],
							  .size = o->sizes[s] };
				c->withheld = path->vmm == BENCH_VMM_QEMU && o->tcg;
				if (cannot)
					snprintf(c->skipped, sizeof(c->skipped), "%s", why);
				else
					bench_workload_check(path, c->workload, c->skipped,
							     sizeof(c->skipped));
				plan->ncases++;
			}
		}
	}
	return -1;
}

static void progress(unsigned i, unsigned n, const struct bench_case *c, unsigned r,
		     unsigned repeats)
{
	bool tty = isatty(STDERR_FILENO);

	fprintf(stderr, "%siovirt bench: [%u/%u] %s %s %u B, run %u of %u%s", tty ? "\r\033[K" : "",
		i + 1, n, c->path->name, bench_workload_name(c->workload), c->size, r + 1, repeats,
		tty ? "" : "\n");
	fflush(stderr);
}

/* Run every case; returns the number of failed runs. */
static unsigned plan_run(struct bench_plan *plan)
{
	unsigned failed = 0;

	for (unsigned i = 0; i < plan->ncases; i++) {
		struct bench_case *c = &plan->cases[i];

		for (unsigned r = 0; r < plan->repeats && !c->skipped[0]; r++) {
			struct bench_sample *s = &c->samples[c->n++];
			int ret;

			progress(i, plan->ncases, c, r, plan->repeats);
			ret = c->path->vmm == BENCH_VMM_IOVIRT ? bench_iovirt_run(plan, c, s) :
			      c->path->vmm == BENCH_VMM_HOST ? bench_host_run(plan, c, s) :
							       bench_qemu_run(plan, c, s);
			if (ret && !s->error[0])
				snprintf(s->error, sizeof(s->error), "cannot run: %s", strerror(-ret));
			failed += !s->ok;
			if (ret)
				break;
		}
	}
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	return failed;
}

/* Write one report file into the output directory; -1 or an exit code. */
static int report_write(const char *dir, const char *name, const struct bench_plan *plan,
			const struct bench_machine *m,
			void (*fn)(FILE *, const struct bench_plan *, const struct bench_machine *))
{
	char path[4200];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return cli_fail(&cli_cmd_bench, "cannot write %s: %s", path, strerror(errno));
	fn(f, plan, m);
	bad = ferror(f);
	if (fclose(f) || bad)
		return cli_fail(&cli_cmd_bench, "cannot write %s", path);
	return -1;
}

/* One line per skipped path; a path that runs some workloads names the ones it skips. */
static void skipped_print(const struct bench_plan *plan, const struct bench_opts *o)
{
	for (unsigned p = 0; p < o->npaths; p++) {
		const struct bench_path *path = o->paths[p];
		unsigned ran = 0, printed_wl = 0;

		if (path->later) {
			fprintf(stderr, "iovirt bench: skipped %s: %s\n", path->name, path->later);
			continue;
		}
		for (unsigned i = 0; i < plan->ncases; i++)
			ran += plan->cases[i].path == path && !plan->cases[i].skipped[0];
		for (unsigned i = 0; i < plan->ncases; i++) {
			const struct bench_case *c = &plan->cases[i];

			if (c->path != path || !c->skipped[0] || (printed_wl & 1u << c->workload))
				continue;
			printed_wl |= 1u << c->workload;
			if (!ran) {
				fprintf(stderr, "iovirt bench: skipped %s: %s\n", path->name, c->skipped);
				break;
			}
			fprintf(stderr, "iovirt bench: skipped %s %s: %s\n", path->name,
				bench_workload_name(c->workload), c->skipped);
		}
	}
}

static int bench_go(struct bench_plan *plan, struct bench_opts *o)
{
	char dirbuf[64], image[4200];
	struct bench_machine m;
	struct stat st;
	unsigned failed;
	int ret;

	if (o->image && stat(o->image, &st))
		return cli_fail(&cli_cmd_bench, "--image %s: %s", o->image, strerror(errno));
	if (o->image && !S_ISREG(st.st_mode))
		return cli_fail(&cli_cmd_bench, "--image %s: not a regular file", o->image);
	ret = out_dir_make(o, dirbuf, sizeof(dirbuf));
	if (ret >= 0)
		return ret;
	if (!o->image) {
		snprintf(image, sizeof(image), "%s/bench-guest.elf", o->out);
		ret = bench_image_write(image);
		if (ret)
			return cli_fail(&cli_cmd_bench, "cannot write %s: %s", image, strerror(-ret));
		o->image = image;
	}
	*plan = (struct bench_plan){ .count = o->count, .repeats = o->repeats,
				     .timeout_s = o->timeout_s, .image = o->image, .qemu = o->qemu,
				     .qemu_data = o->qemu_data,
				     .qemu_tcg_check = o->tcg, .iovirt = "/proc/self/exe", .pin = o->pin,
#ifdef IOVIRT_HAVE_DPDK
				     .switch_built = true,
#endif
	};
	if (!o->pin_given)
		bench_pin_default(&plan->pin);
	bench_machine_probe(&m, o->qemu);
	ret = plan_build(plan, o);
	if (ret >= 0)
		return ret;
	skipped_print(plan, o);
	failed = plan_run(plan);
	if (o->json)
		bench_report_json(stdout, plan, &m);
	else
		bench_report_table(stdout, plan);
	ret = report_write(o->out, "bench.json", plan, &m, bench_report_json);
	if (ret < 0)
		ret = report_write(o->out, "report.md", plan, &m, bench_report_markdown);
	if (ret < 0)
		ret = report_write(o->out, "chart.svg", plan, &m, bench_report_svg);
	if (ret >= 0)
		return ret;
	fprintf(stderr, "iovirt bench: reports in %s/ (bench.json, report.md, chart.svg)\n", o->out);
	if (failed)
		return cli_fail(&cli_cmd_bench, "%u run(s) failed (see the notes)", failed);
	return CLI_EXIT_OK;
}

static int bench_main(int argc, char **argv)
{
	struct bench_plan *plan;
	struct bench_opts o;
	int ret = bench_parse(argc, argv, &o);

	if (ret >= 0)
		return ret;
	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return cli_fail(&cli_cmd_bench, "out of memory");
	ret = bench_go(plan, &o);
	free(plan);
	return ret;
}

const struct cli_command cli_cmd_bench = {
	.name = "bench",
	.fn = bench_main,
	.summary = "benchmark the guest's network I/O on each path and its QEMU peer",
	.usage = usage,
};
