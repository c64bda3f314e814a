#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char units[] = "KMGTPE"; /* 2^10, 2^20, ... */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parse the leading decimal digits of s; *end points after them. */
static int parse_digits(const char *s, uint64_t *v, const char **end)
{
	uint64_t acc = 0;
	bool overflow = false;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (acc > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			acc = acc * 10 + d;
	}
	*end = s;
	*v = acc;
	return overflow ? -ERANGE : 0;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int ret;

	ret = parse_digits(s, &v, &end);
	if (ret == -ERANGE && *end)
		return -EINVAL;
	if (ret)
		return ret;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	uint64_t v;
	int ret = parse_u64(s, min, max, &v);

	if (!ret)
		*out = (unsigned)v;
	return ret;
}

/*
 * The shift of the unit at u ("" = 0, "K" = 10, ... with an optional "iB");
 * *end points after it. -EDOM for a letter that is not a unit, -EINVAL for
 * anything else.
 */
static int unit_shift(const char *u, const char **end)
{
	const char *p;

	*end = u;
	if (!*u)
		return 0;
	if (!isalpha((unsigned char)*u))
		return -EINVAL;
	p = strchr(units, toupper((unsigned char)*u));
	if (!p)
		return -EDOM;
	*end = u + 1;
	if (!strcmp(*end, "iB"))
		*end += 2;
	return 10 * (int)(p - units + 1);
}

int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *num_end, *end;
	uint64_t v;
	int ret, shift;

	ret = parse_digits(s, &v, &num_end);
	if (ret == -EINVAL)
		return ret;
	shift = unit_shift(num_end, &end);
	if (shift < 0)
		return shift;
	if (*end)
		return -EINVAL;
	if (ret)
		return ret;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	v <<= shift;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

const char *parse_size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned i = 0;

	while (bytes && i + 1 < sizeof(names) / sizeof(names[0]) && !(bytes & 1023)) {
		bytes >>= 10;
		i++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)bytes, names[i]);
	return buf;
}
