#include "json.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

void json_init(struct json_writer *w, FILE *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->first[0] = true;
}

static void indent(struct json_writer *w)
{
	fputc('\n', w->out);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->out);
}

/* Separator and indentation before a new element (a value in an array or a key in an object). */
static void before_value(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	assert(!w->in_object[w->depth]);
	if (!w->first[w->depth])
		fputc(',', w->out);
	if (w->depth > 0)
		indent(w);
	w->first[w->depth] = false;
}

static void begin(struct json_writer *w, char open, bool object)
{
	before_value(w);
	fputc(open, w->out);
	assert(w->depth + 1 < JSON_MAX_DEPTH);
	w->depth++;
	w->first[w->depth] = true;
	w->in_object[w->depth] = object;
}

static void end(struct json_writer *w, char close)
{
	bool empty = w->first[w->depth];

	assert(w->depth > 0 && !w->after_key);
	w->depth--;
	if (!empty)
		indent(w);
	fputc(close, w->out);
}

void json_begin_object(struct json_writer *w) { begin(w, '{', true); }
void json_end_object(struct json_writer *w) { end(w, '}'); }
void json_begin_array(struct json_writer *w) { begin(w, '[', false); }
void json_end_array(struct json_writer *w) { end(w, ']'); }

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void write_escaped(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	while (*s) {
		size_t n = utf8_len(s);

		if (n == 0) {
			fputs("\\ufffd", out);
			s++;
		} else if (*s == '"' || *s == '\\') {
			fprintf(out, "\\%c", *s++);
		} else if (*s < 0x20) {
			fprintf(out, "\\u%04x", *s++);
		} else {
			fwrite(s, 1, n, out);
			s += n;
		}
	}
	fputc('"', out);
}

void json_key(struct json_writer *w, const char *key)
{
	assert(w->in_object[w->depth] && !w->after_key);
	if (!w->first[w->depth])
		fputc(',', w->out);
	indent(w);
	w->first[w->depth] = false;
	write_escaped(w->out, key);
	fputs(": ", w->out);
	w->after_key = true;
}

void json_string(struct json_writer *w, const char *s)
{
	if (!s) {
		json_null(w);
		return;
	}
	before_value(w);
	write_escaped(w->out, s);
}

void json_int(struct json_writer *w, long long v)
{
	before_value(w);
	fprintf(w->out, "%lld", v);
}

void json_double(struct json_writer *w, double v)
{
	before_value(w);
	if (isfinite(v))
		fprintf(w->out, "%.6g", v);
	else
		fputs("null", w->out);
}

void json_bool(struct json_writer *w, bool v)
{
	before_value(w);
	fputs(v ? "true" : "false", w->out);
}

void json_null(struct json_writer *w)
{
	before_value(w);
	fputs("null", w->out);
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_kv_int(struct json_writer *w, const char *key, long long v)
{
	json_key(w, key);
	json_int(w, v);
}

void json_kv_bool(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

void json_finish(struct json_writer *w)
{
	assert(w->depth == 0);
	fputc('\n', w->out);
}
