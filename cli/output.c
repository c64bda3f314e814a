#include "output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"

#include "host-routes.h"

struct table {
	size_t ncols, nrows;
	size_t width[TABLE_MAX_COLS];
	char **cells; /* nrows * ncols, row 0 holds the headers */
};

const char *text_escape(const char *in, char *out, size_t len)
{
	size_t used = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && used + 5 <= len; p++) {
		if (*p == '\\')
			used += (size_t)snprintf(out + used, len - used, "\\\\");
		else if (*p < 0x20 || *p == 0x7f)
			used += (size_t)snprintf(out + used, len - used, "\\x%02x", *p);
		else
			out[used++] = (char)*p;
	}
	out[used] = '\0';
	return out;
}

void text_print(FILE *out, const char *fmt, ...)
{
	char raw[4 * REASON_LEN], esc[16 * REASON_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	fputs(text_escape(raw, esc, sizeof(esc)), out);
	fputc('\n', out);
}

int cli_fail_json(const struct cli_command *cmd, bool json, const char *fmt, ...)
{
	char msg[1024];
	struct json_writer w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json) {
		json_init(&w, stdout);
		json_begin_object(&w);
		json_kv_string(&w, "error", msg);
		json_kv_int(&w, "exit_code", CLI_EXIT_FAILURE);
		json_end_object(&w);
		json_finish(&w);
	}
	return cli_fail(cmd, "%s", msg);
}

struct table *table_new(size_t ncols, const char *const *headers)
{
	struct table *t;

	if (ncols == 0 || ncols > TABLE_MAX_COLS)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ncols = ncols;
	if (table_add_row(t, headers)) {
		free(t);
		return NULL;
	}
	return t;
}

int table_add_row(struct table *t, const char *const *cells)
{
	char **v = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*v));

	if (!v)
		return -ENOMEM;
	t->cells = v;
	v += t->nrows * t->ncols;
	for (size_t c = 0; c < t->ncols; c++) {
		const char *raw = cells[c] && cells[c][0] ? cells[c] : "-";
		char s[TABLE_CELL_MAX];

		text_escape(raw, s, sizeof(s));
		v[c] = strdup(s);
		if (!v[c]) {
			while (c--)
				free(v[c]);
			return -ENOMEM;
		}
		if (strlen(s) > t->width[c])
			t->width[c] = strlen(s);
	}
	t->nrows++;
	return 0;
}

void table_print(const struct table *t, FILE *out)
{
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c + 1 < t->ncols)
				fprintf(out, "%-*s  ", (int)t->width[c], s);
			else
				fprintf(out, "%s\n", s);
		}
	}
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

int cli_inventory_scan(const char *sysfs_root, struct inventory *inv)
{
	struct inventory_opts opts = {
		.sysfs_root = sysfs_root,
		.lookup_names = true,
		.lookup_modules = !strcmp(sysfs_root, "/sys"),
	};
	struct host_routes routes = { 0 };
	bool have_routes = false;
	int ret;

	if (!strcmp(sysfs_root, "/sys"))
		have_routes = host_routes_read(&routes) == 0;
	opts.routes = have_routes ? &routes : NULL;
	ret = inventory_scan(&opts, inv);
	host_routes_free(&routes);
	return ret;
}
