/* The reports of a finished plan: JSON (schema BENCH_SCHEMA), Markdown and the text table. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "iovirt-config.h"
#include "json.h"

static const char *vmm_name(enum bench_vmm v)
{
	return v == BENCH_VMM_IOVIRT ? "iovirt" : v == BENCH_VMM_QEMU ? "qemu" :
	       v == BENCH_VMM_HOST ? "host" : "later";
}

static unsigned case_good(const struct bench_case *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n; i++)
		n += c->samples[i].ok;
	return n;
}

/* "ran", "failed" (no good sample), "skipped" or "checked" (correctness only). */
static const char *case_status(const struct bench_case *c)
{
	if (c->skipped[0])
		return "skipped";
	if (!case_good(c))
		return "failed";
	return c->withheld ? "checked" : "ran";
}

static void json_sample(struct json_writer *w, const struct bench_case *c,
			const struct bench_sample *s)
{
	const struct bench_guest_report *g = &s->res;

	json_begin_object(w);
	json_kv_bool(w, "ok", s->ok);
	json_kv_string(w, "error", s->error[0] ? s->error : NULL);
	json_key(w, "guest");
	json_begin_object(w);
	json_kv_int(w, "packets", (long long)g->packets);
	json_kv_int(w, "bytes", (long long)g->bytes);
	json_kv_int(w, "cycles", (long long)g->cycles);
	json_kv_int(w, "drops", (long long)g->drops);
	json_kv_int(w, "errors", (long long)g->errors);
	json_kv_int(w, "tsc_khz", (long long)s->tsc_khz);
	if (c->workload == BENCH_WL_PINGPONG) {
		json_kv_int(w, "rtt_p50_cycles", (long long)g->p50);
		json_kv_int(w, "rtt_p99_cycles", (long long)g->p99);
		json_kv_int(w, "rtt_min_cycles", (long long)g->min);
		json_kv_int(w, "rtt_max_cycles", (long long)g->max);
	}
	json_kv_bool(w, "timeout", g->timeout);
	json_end_object(w);
	json_key(w, "host");
	json_begin_object(w);
	json_key(w, "frames_sent");
	s->host_sent >= 0 ? json_int(w, s->host_sent) : json_null(w);
	json_key(w, "frames_counted");
	s->host_counted >= 0 ? json_int(w, s->host_counted) : json_null(w);
	json_key(w, "frames_dropped");
	s->host_drops >= 0 ? json_int(w, s->host_drops) : json_null(w);
	json_key(w, "guest_s");
	json_double(w, s->guest_s);
	json_key(w, "wall_s");
	json_double(w, s->wall_s);
	json_key(w, "cpu_s");
	s->cpu_s >= 0 ? json_double(w, s->cpu_s) : json_null(w);
	json_key(w, "pinned_threads");
	s->pinned_threads >= 0 ? json_int(w, s->pinned_threads) : json_null(w);
	json_kv_int(w, "pinned_vcpus", s->pinned_vcpus);
	json_key(w, "kvm_exits");
	if (!s->exits_known) {
		json_null(w);
	} else {
		json_begin_object(w);
		for (unsigned i = 0; i < BENCH_EXIT_REASONS; i++)
			if (s->exits[i] != UINT64_MAX)
				json_kv_int(w, bench_exit_names[i], (long long)s->exits[i]);
		json_end_object(w);
	}
	json_end_object(w);
	json_end_object(w);
}

/* key: c's packets/s over other path's (same workload and size), or null. */
static void json_ratio(struct json_writer *w, const struct bench_plan *plan,
		       const struct bench_case *c, const char *key, const char *other)
{
	double r;

	json_key(w, key);
	if (bench_case_ratio(plan, c, other, &r))
		json_null(w);
	else
		json_double(w, r);
}

static void json_case(struct json_writer *w, const struct bench_plan *plan,
		      const struct bench_case *c)
{
	char be[64];
	struct bench_stat st;

	json_begin_object(w);
	json_kv_string(w, "path", c->path->name);
	json_kv_string(w, "vmm", vmm_name(c->path->vmm));
	json_kv_string(w, "workload", bench_workload_name(c->workload));
	json_kv_int(w, "size", c->size);
	if (c->path->vmm == BENCH_VMM_IOVIRT &&
	    !bench_backend_spec(c->workload, c->size, plan->count, be, sizeof(be)))
		json_kv_string(w, "backend", be);
	json_kv_string(w, "status", case_status(c));
	json_kv_string(w, "reason", c->skipped[0] ? c->skipped :
		       c->withheld ? "QEMU under TCG: counts checked, figures withheld" : NULL);
	json_ratio(w, plan, c, "ratio_to_host", BENCH_HOST_PATH);
	json_ratio(w, plan, c, "ratio_to_peer", c->path->peer);
	json_key(w, "figures");
	json_begin_object(w);
	for (unsigned m = 0; m < BENCH_M_COUNT; m++) {
		if (bench_case_stat(c, m, &st))
			continue;
		json_key(w, bench_metric_names[m]);
		json_begin_object(w);
		json_key(w, "median");
		json_double(w, st.med);
		json_key(w, "min");
		json_double(w, st.min);
		json_key(w, "max");
		json_double(w, st.max);
		json_kv_int(w, "samples", st.n);
		json_end_object(w);
	}
	json_end_object(w);
	json_key(w, "samples");
	json_begin_array(w);
	for (unsigned i = 0; i < c->n; i++)
		json_sample(w, c, &c->samples[i]);
	json_end_array(w);
	json_end_object(w);
}

/* A path's status over its cases: ran when any case ran, else the first reason. */
static const char *path_status(const struct bench_plan *plan, const struct bench_path *p,
			       const char **reason)
{
	const char *st = "not planned";

	*reason = p->later;
	if (p->later)
		return "skipped";
	for (unsigned i = 0; i < plan->ncases; i++) {
		const struct bench_case *c = &plan->cases[i];

		if (c->path != p)
			continue;
		if (!c->skipped[0] && case_good(c))
			return c->withheld ? "checked" : "ran";
		if (!*reason || !strcmp(st, "not planned")) {
			st = c->skipped[0] ? "skipped" : "failed";
			*reason = c->skipped[0] ? c->skipped : c->n ? c->samples[0].error : NULL;
		}
	}
	if (!strcmp(st, "not planned"))
		*reason = "not asked for (--paths or --workloads)";
	return st;
}

void bench_report_json(FILE *out, const struct bench_plan *plan, const struct bench_machine *m)
{
	struct json_writer w;
	const char *reason;

	json_init(&w, out);
	json_begin_object(&w);
	json_kv_int(&w, "schema", BENCH_SCHEMA);
	json_kv_string(&w, "tool", "iovirt bench " IOVIRT_VERSION);
	json_kv_string(&w, "date", m->date);
	json_key(&w, "machine");
	json_begin_object(&w);
	json_kv_string(&w, "cpu_model", m->cpu_model);
	json_kv_int(&w, "cpus", m->cpus);
	json_kv_string(&w, "kernel", m->kernel);
	json_kv_string(&w, "kvm", m->kvm);
	json_kv_string(&w, "qemu", m->qemu);
	json_end_object(&w);
	json_key(&w, "plan");
	json_begin_object(&w);
	json_kv_int(&w, "count", plan->count);
	json_kv_int(&w, "repeats", plan->repeats);
	json_kv_int(&w, "timeout_s", plan->timeout_s);
	json_key(&w, "pin");
	json_begin_object(&w);
	json_key(&w, "vcpu");
	plan->pin.vcpu >= 0 ? json_int(&w, plan->pin.vcpu) : json_null(&w);
	json_key(&w, "io");
	plan->pin.vcpu >= 0 ? json_int(&w, plan->pin.io) : json_null(&w);
	json_kv_string(&w, "off_because", plan->pin.vcpu >= 0 ? NULL : plan->pin.why);
	json_end_object(&w);
	json_end_object(&w);
	json_key(&w, "paths");
	json_begin_array(&w);
	for (unsigned i = 0; i < bench_path_count; i++) {
		const char *st = path_status(plan, &bench_paths[i], &reason);

		json_begin_object(&w);
		json_kv_string(&w, "name", bench_paths[i].name);
		json_kv_string(&w, "vmm", vmm_name(bench_paths[i].vmm));
		json_kv_string(&w, "summary", bench_paths[i].summary);
		json_kv_string(&w, "status", st);
		json_kv_string(&w, "reason", reason);
		json_end_object(&w);
	}
	json_end_array(&w);
	json_key(&w, "cases");
	json_begin_array(&w);
	for (unsigned i = 0; i < plan->ncases; i++)
		json_case(&w, plan, &plan->cases[i]);
	json_end_array(&w);
	json_end_object(&w);
	json_finish(&w);
}

/* One figure as "median (min-max)" or "-". */
static void fig(char *buf, size_t len, const struct bench_case *c, unsigned metric,
		double scale, const char *fmt)
{
	struct bench_stat st;

	if (bench_case_stat(c, metric, &st)) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, fmt, st.med * scale);
	if (st.n > 1) {
		size_t n = strlen(buf);

		snprintf(buf + n, len - n, " (");
		n = strlen(buf);
		snprintf(buf + n, len - n, fmt, st.min * scale);
		n = strlen(buf);
		snprintf(buf + n, len - n, "-");
		n = strlen(buf);
		snprintf(buf + n, len - n, fmt, st.max * scale);
		n = strlen(buf);
		snprintf(buf + n, len - n, ")");
	}
}

struct row { char pps[64], mbps[64], p50[64], p99[64], exits[64], cpu[64], host[16], peer[16]; };

static void ratio_fill(char *buf, size_t len, const struct bench_plan *plan,
		       const struct bench_case *c, const char *other)
{
	double r;

	if (bench_case_ratio(plan, c, other, &r))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f", r);
}

static void row_fill(struct row *r, const struct bench_plan *plan, const struct bench_case *c)
{
	ratio_fill(r->host, sizeof(r->host), plan, c, BENCH_HOST_PATH);
	ratio_fill(r->peer, sizeof(r->peer), plan, c, c->path->peer);
	fig(r->pps, sizeof(r->pps), c, BENCH_M_PPS, 1e-3, "%.1f");
	fig(r->mbps, sizeof(r->mbps), c, BENCH_M_BPS, 1e-6, "%.1f");
	fig(r->p50, sizeof(r->p50), c, BENCH_M_P50_US, 1, "%.1f");
	fig(r->p99, sizeof(r->p99), c, BENCH_M_P99_US, 1, "%.1f");
	fig(r->exits, sizeof(r->exits), c, BENCH_M_EXITS_PER_PKT, 1, "%.3g");
	fig(r->cpu, sizeof(r->cpu), c, BENCH_M_CPU_S_PER_MPKT, 1, "%.3g");
}

/*
 * What a case says beside its figures: why it has none, or the frames lost
 * in its runs, into buf.
 */
static const char *case_note(const struct bench_case *c, char *buf, size_t len)
{
	uint64_t drops = 0, frames = 0;

	if (c->skipped[0])
		return c->skipped;
	if (c->withheld && case_good(c))
		return "counts checked under TCG; figures withheld";
	if (!case_good(c))
		return c->n ? c->samples[0].error : "";
	for (unsigned i = 0; i < c->n; i++) {
		drops += c->samples[i].res.drops;
		frames += c->samples[i].res.packets + c->samples[i].res.drops;
	}
	if (!drops)
		return "";
	snprintf(buf, len, "%llu of %llu frames lost (%.2f%%)", (unsigned long long)drops,
		 (unsigned long long)frames, frames ? 100.0 * drops / frames : 0);
	return buf;
}

/*
 * When every case of the path of case i was skipped for the same reason, the
 * number of those cases (consecutive in a plan), else 0.
 */
static unsigned path_skipped_run(const struct bench_plan *plan, unsigned i)
{
	const struct bench_case *c = &plan->cases[i];
	unsigned n = 0;

	for (unsigned k = i; k < plan->ncases && plan->cases[k].path == c->path; k++, n++)
		if (!plan->cases[k].skipped[0] || strcmp(plan->cases[k].skipped, c->skipped))
			return 0;
	return n > 1 ? n : 0;
}

void bench_report_table(FILE *out, const struct bench_plan *plan)
{
	char note[96];
	struct row r;

	fprintf(out, "%-18s %-9s %5s %-24s %-24s %-11s %-11s %-10s %-10s %-7s %-7s %s\n", "path",
		"workload", "size", "kpps", "Mbit/s", "p50 us", "p99 us", "exits/pkt", "cpu s/Mp",
		"/HOST", "/QEMU", "note");
	for (unsigned i = 0; i < plan->ncases; i++) {
		const struct bench_case *c = &plan->cases[i];
		unsigned all = path_skipped_run(plan, i);

		if (all) {
			fprintf(out, "%-18s %-9s %5s %s\n", c->path->name, "all", "-", c->skipped);
			i += all - 1;
			continue;
		}
		row_fill(&r, plan, c);
		fprintf(out, "%-18s %-9s %5u %-24s %-24s %-11s %-11s %-10s %-10s %-7s %-7s %s\n",
			c->path->name, bench_workload_name(c->workload), c->size, r.pps, r.mbps, r.p50,
			r.p99, r.exits, r.cpu, r.host, r.peer, case_note(c, note, sizeof(note)));
	}
}

/* Text inside a Markdown table cell: '|' escaped, line breaks as spaces, then " |". */
static void md_cell(FILE *out, const char *s)
{
	fputc(' ', out);
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else
			fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
	}
	fputs(" |", out);
}

void bench_report_markdown(FILE *out, const struct bench_plan *plan,
			   const struct bench_machine *m)
{
	const char *reason;
	char note[96];
	struct row r;

	fprintf(out, "# iovirt bench, %s\n\n", m->date);
	fprintf(out, "- machine: %s, %u CPUs, %s\n- KVM: %s\n- QEMU: %s\n", m->cpu_model, m->cpus,
		m->kernel, m->kvm, m->qemu);
	fprintf(out, "- plan: %u frames or round trips per run, %u run(s) per case, median "
		"(min-max) over good runs\n\n", plan->count, plan->repeats);
	fprintf(out, "## Paths\n\n| path | what | status | why |\n| --- | --- | --- | --- |\n");
	for (unsigned i = 0; i < bench_path_count; i++) {
		const char *st = path_status(plan, &bench_paths[i], &reason);

		fprintf(out, "| %s | %s | %s |", bench_paths[i].name, bench_paths[i].summary, st);
		md_cell(out, reason);
		fputc('\n', out);
	}
	fprintf(out, "\n## Results\n\nkpps: thousands of frames (tx, rx) or round trips (pingpong) "
		"per second of guest TSC time (HOST: of the host's clock); Mbit/s: frame bytes without FCS; p50/p99: round-trip "
		"latency; exits/pkt: KVM exits of the vCPU(s) per frame; cpu s/Mp: host CPU seconds "
		"of every VMM thread (HOST: testpmd's and the switch's) per million frames; /HOST and /QEMU: the path's kpps over that of the "
		"HOST baseline (no VM: DPDK's virtio-user into iovirt switch) and of the same device "
		"in QEMU, same workload and size.\n\n");
	fprintf(out, "| path | workload | size | kpps | Mbit/s | p50 us | p99 us | exits/pkt | "
		"cpu s/Mp | /HOST | /QEMU | note |\n"
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (unsigned i = 0; i < plan->ncases; i++) {
		const struct bench_case *c = &plan->cases[i];
		unsigned all = path_skipped_run(plan, i);

		if (all) {
			fprintf(out, "| %s | all | - | - | - | - | - | - | - | - | - |", c->path->name);
			md_cell(out, c->skipped);
			fputc('\n', out);
			i += all - 1;
			continue;
		}
		row_fill(&r, plan, c);
		fprintf(out, "| %s | %s | %u | %s | %s | %s | %s | %s | %s | %s | %s |", c->path->name,
			bench_workload_name(c->workload), c->size, r.pps, r.mbps, r.p50, r.p99, r.exits,
			r.cpu, r.host, r.peer);
		md_cell(out, case_note(c, note, sizeof(note)));
		fputc('\n', out);
	}
	fprintf(out, "\nFull samples, exits by reason and the host's frame counts: bench.json.\n");
}
