/*
 * The SVG chart of a finished plan: one group per workload and frame size,
 * one horizontal bar per path in it (iovirt's and its QEMU peers side by
 * side), the bar's length the path's median relative to the group's
 * largest: packets/s for tx and rx, the p50 round trip for pingpong (shorter
 * is better). Cases without figures show why in place of a bar.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define ROW_H   20
#define HEAD_H  28
#define LABEL_W 150
#define BAR_W   420
#define WIDTH   (LABEL_W + BAR_W + 130)

/* Text with the XML special characters escaped, at most max bytes of it. */
static void xml_text(FILE *out, const char *s, size_t max)
{
	for (size_t i = 0; s && s[i] && i < max; i++) {
		switch (s[i]) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default:
			if ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f)
				fputc(s[i], out);
		}
	}
}

static unsigned group_metric(unsigned workload)
{
	return workload == BENCH_WL_PINGPONG ? BENCH_M_P50_US : BENCH_M_PPS;
}

/* Whether case k belongs to the group of case i (same workload and size). */
static bool same_group(const struct bench_case *a, const struct bench_case *b)
{
	return a->workload == b->workload && a->size == b->size;
}

/* Draw the group of case i (if not drawn yet) at *y. */
static void group_draw(FILE *out, const struct bench_plan *plan, unsigned i, unsigned *y)
{
	const struct bench_case *g = &plan->cases[i];
	unsigned metric = group_metric(g->workload);
	struct bench_stat st;
	double top = 0;

	for (unsigned k = 0; k < i; k++)
		if (same_group(&plan->cases[k], g))
			return;
	for (unsigned k = i; k < plan->ncases; k++)
		if (same_group(&plan->cases[k], g) && !bench_case_stat(&plan->cases[k], metric, &st) &&
		    st.med > top)
			top = st.med;
	fprintf(out, "<text x=\"4\" y=\"%u\" font-weight=\"bold\">%s, %u B: %s</text>\n",
		*y + 18, bench_workload_name(g->workload), g->size,
		metric == BENCH_M_PPS ? "thousand packets/s (longer is better)" :
		"round trip p50 in us (shorter is better)");
	*y += HEAD_H;
	for (unsigned k = i; k < plan->ncases; k++) {
		const struct bench_case *c = &plan->cases[k];

		if (!same_group(c, g))
			continue;
		fprintf(out, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">%s</text>\n", LABEL_W - 6,
			*y + 14, c->path->name);
		if (bench_case_stat(c, metric, &st) || top <= 0) {
			fprintf(out, "<text x=\"%u\" y=\"%u\" fill=\"#777\">", LABEL_W, *y + 14);
			xml_text(out, c->skipped[0] ? c->skipped : c->withheld ? "figures withheld (TCG)" :
				 c->n ? c->samples[0].error : "no figure", 90);
			fputs("</text>\n", out);
		} else {
			unsigned w = (unsigned)(st.med / top * BAR_W);

			fprintf(out, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"%s\"/>\n",
				LABEL_W, *y + 3, w ? w : 1, ROW_H - 6,
				c->path->vmm == BENCH_VMM_QEMU ? "#b0b0b0" : "#3a6ea5");
			fprintf(out, "<text x=\"%u\" y=\"%u\">%.1f</text>\n", LABEL_W + (w ? w : 1) + 4,
				*y + 14, metric == BENCH_M_PPS ? st.med / 1e3 : st.med);
		}
		*y += ROW_H;
	}
}

void bench_report_svg(FILE *out, const struct bench_plan *plan, const struct bench_machine *m)
{
	unsigned groups = 0, y = 40;

	for (unsigned i = 0; i < plan->ncases; i++) {
		bool first = true;

		for (unsigned k = 0; k < i; k++)
			first = first && !same_group(&plan->cases[k], &plan->cases[i]);
		groups += first;
	}
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		"font-family=\"sans-serif\" font-size=\"12\">\n", WIDTH,
		40 + groups * (HEAD_H + 4) + plan->ncases * ROW_H + 10);
	fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(out, "<text x=\"4\" y=\"20\" font-size=\"14\">iovirt bench, ");
	xml_text(out, m->date, sizeof(m->date));
	fputs(": medians; blue iovirt, grey QEMU</text>\n", out);
	for (unsigned i = 0; i < plan->ncases; i++) {
		unsigned before = y;

		group_draw(out, plan, i, &y);
		if (y != before)
			y += 4;
	}
	fputs("</svg>\n", out);
}
