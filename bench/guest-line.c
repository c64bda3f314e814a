/* The guest's bench-start and bench-result lines (guest/bench/bench-abi.h), parsed strictly. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "bench.h"
#include "parse.h"

#define PREFIX      "IOVIRT-GUEST: "
#define LINE_MAX_LEN 512
#define WORD_MAX    64

struct key {
	const char *name;
	size_t off;        /* of a uint64_t, an unsigned or a bool in the report */
	char type;         /* 'q' uint64, 'u' unsigned, 'b' 0|1, 'w' workload name, 'k' skipped word */
	bool in_start, in_result;
	uint64_t max;
};

#define F(field) offsetof(struct bench_guest_report, field)
static const struct key keys[] = {
	{ "workload", F(workload), 'w', true, true, 0 },
	{ "size", F(size), 'u', true, true, BENCH_SIZE_MAX },
	{ "count", F(count), 'u', true, false, BENCH_COUNT_MAX },
	{ "nic", F(nic), 'u', true, true, 3 },
	{ "kind", 0, 'k', true, false, 0 },
	{ "tsc_khz", F(tsc_khz), 'q', true, false, 100000000 },
	{ "tsc", 0, 'k', true, false, 0 },
	{ "packets", F(packets), 'q', false, true, UINT64_MAX },
	{ "bytes", F(bytes), 'q', false, true, UINT64_MAX },
	{ "cycles", F(cycles), 'q', false, true, UINT64_MAX },
	{ "drops", F(drops), 'q', false, true, UINT64_MAX },
	{ "errors", F(errors), 'q', false, true, UINT64_MAX },
	{ "p50", F(p50), 'q', false, true, UINT64_MAX },
	{ "p99", F(p99), 'q', false, true, UINT64_MAX },
	{ "min", F(min), 'q', false, true, UINT64_MAX },
	{ "max", F(max), 'q', false, true, UINT64_MAX },
	{ "timeout", F(timeout), 'b', false, true, 1 },
	{ "ok", F(ok), 'b', false, true, 1 },
};
#undef F
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int value_set(const struct key *k, const char *v, struct bench_guest_report *out)
{
	char *p = (char *)out + k->off;
	uint64_t x;

	if (k->type == 'k')
		return *v ? 0 : -EINVAL;
	if (k->type == 'w') {
		for (unsigned w = 1; w < BENCH_WL_MAX; w++)
			if (!strcmp(v, bench_workload_name(w))) {
				out->workload = w;
				return 0;
			}
		return -EINVAL;
	}
	if (parse_u64(v, 0, k->max, &x))
		return -EINVAL;
	if (k->type == 'q')
		memcpy(p, &x, sizeof(x));
	else if (k->type == 'u')
		*(unsigned *)(void *)p = (unsigned)x;
	else
		*(bool *)(void *)p = x != 0;
	return 0;
}

/* One word "key=value" of the line; seen marks the keys found. */
static int word_parse(const char *word, bool start, bool *seen, struct bench_guest_report *out)
{
	const char *eq = strchr(word, '=');

	if (!eq || eq == word)
		return -EINVAL;
	for (size_t i = 0; i < NKEYS; i++) {
		if (strlen(keys[i].name) != (size_t)(eq - word) || memcmp(word, keys[i].name, eq - word))
			continue;
		if (seen[i] || !(start ? keys[i].in_start : keys[i].in_result))
			return -EINVAL;
		seen[i] = true;
		return value_set(&keys[i], eq + 1, out);
	}
	return -EINVAL;
}

int bench_guest_line_parse(const char *line, struct bench_guest_report *out)
{
	bool seen[NKEYS] = { false }, start;
	size_t len = strnlen(line, LINE_MAX_LEN + 1), i;
	const char *p;

	if (strncmp(line, PREFIX, strlen(PREFIX)))
		return -ENOENT;
	p = line + strlen(PREFIX);
	if (!strncmp(p, "bench-start ", 12))
		start = true;
	else if (!strncmp(p, "bench-result ", 13))
		start = false;
	else
		return -ENOENT;
	if (len > LINE_MAX_LEN)
		return -EINVAL;
	*out = (struct bench_guest_report){ .start = start };
	p = strchr(p, ' ') + 1;
	while (*p && *p != '\r' && *p != '\n') {
		char word[WORD_MAX];
		size_t n = strcspn(p, " \r\n");

		if (n == 0 || n >= WORD_MAX)
			return -EINVAL;
		memcpy(word, p, n);
		word[n] = 0;
		if (word_parse(word, start, seen, out))
			return -EINVAL;
		p += n;
		if (*p == ' ')
			p++;
	}
	if (*p && strspn(p, "\r\n") != strlen(p))
		return -EINVAL;
	for (i = 0; i < NKEYS; i++)
		if (!seen[i] && (start ? keys[i].in_start : keys[i].in_result))
			return -EINVAL;
	if (out->size < BENCH_SIZE_MIN)
		return -EINVAL;
	return 0;
}
