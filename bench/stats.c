/* A case's figures: per sample, then median, min and max over the good samples. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

const char *const bench_metric_names[BENCH_M_COUNT] = {
	"packets_per_s", "bits_per_s", "latency_p50_us", "latency_p99_us",
	"host_cpu_s_per_mpkt", "exits_per_packet", "io_exits_per_packet",
	"mmio_exits_per_packet", "halt_exits_per_packet", "irq_exits_per_packet",
	"irq_window_exits_per_packet", "signal_exits_per_packet", "irq_injections_per_packet",
};

bool bench_sample_metric(const struct bench_case *c, const struct bench_sample *s,
			 unsigned metric, double *v)
{
	const struct bench_guest_report *g = &s->res;
	bool pingpong = c->workload == BENCH_WL_PINGPONG;

	if (c->withheld || !s->ok || !g->packets || s->guest_s <= 0)
		return false;
	switch (metric) {
	case BENCH_M_PPS:
		*v = g->packets / s->guest_s;
		return true;
	case BENCH_M_BPS:
		*v = g->bytes * 8.0 / s->guest_s;
		return !pingpong;
	case BENCH_M_P50_US:
		*v = s->tsc_khz ? g->p50 * 1e3 / s->tsc_khz : 0;
		return pingpong && s->tsc_khz;
	case BENCH_M_P99_US:
		*v = s->tsc_khz ? g->p99 * 1e3 / s->tsc_khz : 0;
		return pingpong && s->tsc_khz;
	case BENCH_M_CPU_S_PER_MPKT:
		*v = s->cpu_s / g->packets * 1e6;
		return s->cpu_s >= 0;
	default:
		if (metric >= BENCH_M_COUNT || !s->exits_known ||
		    s->exits[metric - BENCH_M_EXITS_PER_PKT] == UINT64_MAX)
			return false;
		*v = (double)s->exits[metric - BENCH_M_EXITS_PER_PKT] / g->packets;
		return true;
	}
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int bench_case_stat(const struct bench_case *c, unsigned metric, struct bench_stat *out)
{
	double v[BENCH_MAX_REPEATS];
	unsigned n = 0;

	for (unsigned i = 0; i < c->n && i < BENCH_MAX_REPEATS; i++)
		if (bench_sample_metric(c, &c->samples[i], metric, &v[n]))
			n++;
	if (!n)
		return -ENOENT;
	qsort(v, n, sizeof(v[0]), dbl_cmp);
	out->n = n;
	out->min = v[0];
	out->max = v[n - 1];
	out->med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return 0;
}

int bench_case_ratio(const struct bench_plan *plan, const struct bench_case *c, const char *other,
		     double *out)
{
	struct bench_stat a, b;

	if (!other || !strcmp(other, c->path->name) || bench_case_stat(c, BENCH_M_PPS, &a))
		return -ENOENT;
	for (unsigned i = 0; i < plan->ncases; i++) {
		const struct bench_case *o = &plan->cases[i];

		if (o == c || strcmp(o->path->name, other) || o->workload != c->workload ||
		    o->size != c->size || bench_case_stat(o, BENCH_M_PPS, &b) || b.med <= 0)
			continue;
		*out = a.med / b.med;
		return 0;
	}
	return -ENOENT;
}
