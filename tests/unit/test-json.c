/* The JSON writer: structure, commas, and escaping of hostile strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

/* Render with fn into a string (caller frees). */
static char *render(void (*fn)(struct json_writer *))
{
	struct json_writer w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	json_init(&w, f);
	fn(&w);
	json_finish(&w);
	fclose(f);
	return buf;
}

static void doc_nested(struct json_writer *w)
{
	json_begin_object(w);
	json_kv_string(w, "a", "x");
	json_kv_int(w, "n", -3);
	json_key(w, "list");
	json_begin_array(w);
	json_bool(w, true);
	json_null(w);
	json_begin_object(w);
	json_end_object(w);
	json_end_array(w);
	json_key(w, "empty");
	json_begin_array(w);
	json_end_array(w);
	json_end_object(w);
}

static void test_structure(void **state)
{
	char *s = render(doc_nested);

	assert_string_equal(s, "{\n  \"a\": \"x\",\n  \"n\": -3,\n  \"list\": [\n    true,\n    null,\n"
			       "    {}\n  ],\n  \"empty\": []\n}\n");
	free(s);
}

static void doc_hostile(struct json_writer *w)
{
	json_begin_array(w);
	json_string(w, "q\"b\\s\n\t\x01");
	json_string(w, "caf\xc3\xa9");     /* valid UTF-8 kept */
	json_string(w, "bad\xff\xc3(");    /* invalid bytes replaced */
	json_string(w, NULL);
	json_end_array(w);
}

static void test_escaping(void **state)
{
	char *s = render(doc_hostile);

	assert_string_equal(s, "[\n  \"q\\\"b\\\\s\\u000a\\u0009\\u0001\",\n  \"caf\xc3\xa9\",\n"
			       "  \"bad\\ufffd\\ufffd(\",\n  null\n]\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_escaping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
