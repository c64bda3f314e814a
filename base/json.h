/*
 * A streaming JSON writer: indented output, correct commas, strings escaped
 * (control characters as \u00XX, invalid UTF-8 bytes as U+FFFD), so any value
 * read from a hostile sysfs still yields valid JSON.
 *
 * Misuse (a value where a key is required, nesting deeper than JSON_MAX_DEPTH)
 * is a programming error and is caught by assert().
 */
#ifndef IOVIRT_JSON_H
#define IOVIRT_JSON_H

#include <stdbool.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
	FILE *out;
	int depth;
	bool first[JSON_MAX_DEPTH];   /* no element written yet at this depth */
	bool in_object[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json_writer *w, FILE *out);
void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_string(struct json_writer *w, const char *s);   /* NULL writes null */
void json_int(struct json_writer *w, long long v);
void json_double(struct json_writer *w, double v);        /* %.6g; NaN and infinities as null */
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

/* Key and value in one call. */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_int(struct json_writer *w, const char *key, long long v);
void json_kv_bool(struct json_writer *w, const char *key, bool v);

/* Ends the document with a newline. */
void json_finish(struct json_writer *w);

#endif
