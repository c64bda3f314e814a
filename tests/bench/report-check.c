/* A small JSON reader (into a tree) and the checks of report-check.h. */
#include "report-check.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JV_MAX_DEPTH 32

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	double num;
	bool b;
	char *str;          /* J_STR; also the key when in an object */
	char *key;
	struct jv *kids;    /* J_ARR, J_OBJ */
	size_t n;
};

struct jp {
	const char *p, *end;
	bool bad;
};

static void jv_free(struct jv *v)
{
	for (size_t i = 0; i < v->n; i++)
		jv_free(&v->kids[i]);
	free(v->kids);
	free(v->str);
	free(v->key);
}

static void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r'))
		j->p++;
}

static char *jstring(struct jp *j)
{
	size_t cap = 16, n = 0;
	char *s;

	if (j->p >= j->end || *j->p != '"' || !(s = malloc(cap))) {
		j->bad = true;
		return NULL;
	}
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		char c = *j->p++;

		if ((unsigned char)c < 0x20) {
			j->bad = true;
			break;
		}
		if (c == '\\') {
			if (j->p >= j->end) {
				j->bad = true;
				break;
			}
			c = *j->p++;
			if (c == 'u') {          /* kept as '?': the checks never need it */
				if (j->end - j->p < 4) {
					j->bad = true;
					break;
				}
				j->p += 4;
				c = '?';
			} else if (c == 'n') {
				c = '\n';
			} else if (c == 't') {
				c = '\t';
			} else if (!strchr("\"\\/bfr", c)) {
				j->bad = true;
				break;
			}
		}
		if (n + 1 >= cap) {
			char *t = realloc(s, cap *= 2);

			if (!t) {
				j->bad = true;
				break;
			}
			s = t;
		}
		s[n++] = c;
	}
	if (j->p >= j->end || j->bad) {
		j->bad = true;
		free(s);
		return NULL;
	}
	j->p++;
	s[n] = 0;
	return s;
}

static void jvalue(struct jp *j, struct jv *v, int depth);

/* The elements of an array or object after its opening bracket. */
static void jitems(struct jp *j, struct jv *v, int depth, char close)
{
	ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return;
	}
	for (;;) {
		struct jv *k = realloc(v->kids, (v->n + 1) * sizeof(*k)), *e;
		char *key = NULL;

		if (!k) {
			j->bad = true;
			return;
		}
		v->kids = k;
		e = &v->kids[v->n];
		memset(e, 0, sizeof(*e));
		v->n++;
		ws(j);
		if (close == '}') {
			key = jstring(j);
			ws(j);
			if (!key || j->p >= j->end || *j->p != ':') {
				free(key);
				j->bad = true;
				return;
			}
			j->p++;
		}
		jvalue(j, e, depth + 1);
		e->key = key;
		if (j->bad)
			return;
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return;
		}
		j->bad = true;
		return;
	}
}

static void jvalue(struct jp *j, struct jv *v, int depth)
{
	char *end;

	ws(j);
	if (j->p >= j->end || depth > JV_MAX_DEPTH) {
		j->bad = true;
		return;
	}
	switch (*j->p) {
	case '{':
	case '[':
		v->t = *j->p == '{' ? J_OBJ : J_ARR;
		j->p++;
		jitems(j, v, depth, v->t == J_OBJ ? '}' : ']');
		return;
	case '"':
		v->t = J_STR;
		v->str = jstring(j);
		return;
	}
	if (j->end - j->p >= 4 && !memcmp(j->p, "null", 4)) {
		v->t = J_NULL;
		j->p += 4;
	} else if (j->end - j->p >= 4 && !memcmp(j->p, "true", 4)) {
		v->t = J_BOOL;
		v->b = true;
		j->p += 4;
	} else if (j->end - j->p >= 5 && !memcmp(j->p, "false", 5)) {
		v->t = J_BOOL;
		j->p += 5;
	} else {
		char num[64];
		size_t n = 0;

		while (j->p + n < j->end && n < sizeof(num) && strchr("-+.0123456789eE", j->p[n]) &&
		       j->p[n])
			n++;
		if (n == 0 || n >= sizeof(num)) {
			j->bad = true;
			return;
		}
		memcpy(num, j->p, n);
		num[n] = 0;
		v->t = J_NUM;
		v->num = strtod(num, &end);
		if (*end)
			j->bad = true;
		j->p += n;
	}
}

/* Parse a whole document; 0 or -1. */
static int jparse(const char *s, size_t len, struct jv *root)
{
	struct jp j = { s, s + len, false };

	memset(root, 0, sizeof(*root));
	jvalue(&j, root, 0);
	ws(&j);
	if (j.bad || j.p != j.end) {
		jv_free(root);
		memset(root, 0, sizeof(*root));
		return -1;
	}
	return 0;
}

static const struct jv *get(const struct jv *o, const char *key, enum jtype t)
{
	if (!o || o->t != J_OBJ)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (o->kids[i].key && !strcmp(o->kids[i].key, key))
			return o->kids[i].t == t ? &o->kids[i] : NULL;
	return NULL;
}

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

static bool status_is(const struct jv *s, const char *a)
{
	return s && !strcmp(s->str, a);
}

/*
 * A HOST baseline sample: the switch counted at least count frames in the
 * timed section, and over the whole run it counted or dropped what testpmd
 * sent, less at most HOST_IN_FLIGHT frames still in testpmd's ring at its stop.
 */
#define HOST_IN_FLIGHT 1024
static int host_sample_check(const struct jv *pk, const struct jv *sent, const struct jv *cnt,
			     const struct jv *hd, double count, const char *name, char *why,
			     size_t len)
{
	if (pk->num < count)
		return fail(why, len, "%s: %.0f frames in the section, not at least %.0f", name,
			    pk->num, count);
	if (!sent || !cnt || !hd || cnt->num + hd->num > sent->num ||
	    sent->num - cnt->num - hd->num > HOST_IN_FLIGHT)
		return fail(why, len, "%s: testpmd sent %.0f, the switch counted %.0f and dropped "
			    "%.0f", name, sent ? sent->num : -1, cnt ? cnt->num : -1,
			    hd ? hd->num : -1);
	return 0;
}

static int sample_check(const struct jv *s, double count, const char *name, char *why,
			size_t len)
{
	const struct jv *ok = get(s, "ok", J_BOOL), *g = get(s, "guest", J_OBJ);
	const struct jv *h = get(s, "host", J_OBJ), *pk = get(g, "packets", J_NUM);
	const struct jv *dr = get(g, "drops", J_NUM), *sent = get(h, "frames_sent", J_NUM);
	const struct jv *cnt = get(h, "frames_counted", J_NUM), *hd = get(h, "frames_dropped", J_NUM);

	if (!ok || !g || !h || !pk || !dr)
		return fail(why, len, "%s: a sample lacks ok, guest or host figures", name);
	if (!ok->b)
		return fail(why, len, "%s: a run failed: %s", name,
			    get(s, "error", J_STR) ? get(s, "error", J_STR)->str : "?");
	if (!strncmp(name, "host-", 5)) /* HOST: a section of at least count frames in a stream */
		return host_sample_check(pk, sent, cnt, hd, count, name, why, len);
	if (pk->num + dr->num != count)
		return fail(why, len, "%s: the guest counted %.0f + %.0f dropped, not %.0f", name,
			    pk->num, dr->num, count);
	if (sent && (!cnt || !hd || cnt->num != sent->num - hd->num))
		return fail(why, len, "%s: the host counted %.0f, sent %.0f minus %.0f dropped", name,
			    cnt ? cnt->num : -1, sent->num, hd ? hd->num : -1);
	return 0;
}

static int case_check(const struct jv *c, double count, unsigned *ran, char *why, size_t len)
{
	const struct jv *path = get(c, "path", J_STR), *st = get(c, "status", J_STR);
	const struct jv *smp = get(c, "samples", J_ARR), *wl = get(c, "workload", J_STR);
	const struct jv *figs = get(c, "figures", J_OBJ);
	char name[160];

	if (!path || !st || !smp || !wl || !get(c, "size", J_NUM) || !figs)
		return fail(why, len, "a case lacks path, workload, size, status, figures or samples");
	snprintf(name, sizeof(name), "%s %s %.0f", path->str, wl->str, get(c, "size", J_NUM)->num);
	if (status_is(st, "skipped")) {
		if (!get(c, "reason", J_STR) || !get(c, "reason", J_STR)->str[0] || smp->n)
			return fail(why, len, "%s: skipped without a reason, or with samples", name);
		return 0;
	}
	if (!status_is(st, "ran") && !status_is(st, "checked"))
		return fail(why, len, "%s: status %s", name, st->str);
	if (!smp->n)
		return fail(why, len, "%s: ran without samples", name);
	for (size_t i = 0; i < smp->n; i++)
		if (sample_check(&smp->kids[i], count, name, why, len))
			return -1;
	if (status_is(st, "ran")) {
		if (!get(figs, "packets_per_s", J_OBJ))
			return fail(why, len, "%s: ran without packets_per_s", name);
		(*ran)++;
	} else if (figs->n) {
		return fail(why, len, "%s: figures of a correctness-only run", name);
	}
	return 0;
}

static int paths_check(const struct jv *paths, char *why, size_t len)
{
	if (!paths || !paths->n)
		return fail(why, len, "no paths");
	for (size_t i = 0; i < paths->n; i++) {
		const struct jv *p = &paths->kids[i], *n = get(p, "name", J_STR);
		const struct jv *st = get(p, "status", J_STR), *r = get(p, "reason", J_STR);

		if (!n || !st)
			return fail(why, len, "a path lacks name or status");
		if (status_is(st, "ran") || status_is(st, "checked"))
			continue;
		if ((!status_is(st, "skipped") && !status_is(st, "not planned")) || !r || !r->str[0])
			return fail(why, len, "path %s: %s without a reason (%s)", n->str, st->str,
				    r ? r->str : "none");
	}
	return 0;
}

int report_check(const char *json, size_t len, unsigned *ran, char *why, size_t why_len)
{
	const struct jv *schema, *plan, *count, *cases, *m;
	struct jv root;
	int ret = -1;

	*ran = 0;
	if (jparse(json, len, &root))
		return fail(why, why_len, "not JSON");
	schema = get(&root, "schema", J_NUM);
	plan = get(&root, "plan", J_OBJ);
	count = get(plan, "count", J_NUM);
	cases = get(&root, "cases", J_ARR);
	m = get(&root, "machine", J_OBJ);
	if (!schema || schema->num != 1)
		fail(why, why_len, "no \"schema\": 1");
	else if (!m || !get(m, "cpus", J_NUM) || !get(m, "kvm", J_STR) || !get(m, "kernel", J_STR))
		fail(why, why_len, "no machine description");
	else if (!count || !cases)
		fail(why, why_len, "no plan count or cases");
	else if (!paths_check(get(&root, "paths", J_ARR), why, why_len))
		ret = 0;
	for (size_t i = 0; !ret && i < cases->n; i++)
		ret = case_check(&cases->kids[i], count->num, ran, why, why_len);
	jv_free(&root);
	return ret;
}

/* Path name's string member key into out; 0 or -1. */
static int path_member(const char *json, size_t len, const char *name, const char *key, char *out,
		       size_t out_len)
{
	const struct jv *paths;
	struct jv root;
	int ret = -1;

	if (jparse(json, len, &root))
		return -1;
	paths = get(&root, "paths", J_ARR);
	for (size_t i = 0; paths && i < paths->n; i++) {
		const struct jv *n = get(&paths->kids[i], "name", J_STR);
		const struct jv *v = get(&paths->kids[i], key, J_STR);

		if (n && v && !strcmp(n->str, name)) {
			snprintf(out, out_len, "%s", v->str);
			ret = 0;
		}
	}
	jv_free(&root);
	return ret;
}

int report_path_status(const char *json, size_t len, const char *name, char *out, size_t out_len)
{
	return path_member(json, len, name, "status", out, out_len);
}

int report_path_reason(const char *json, size_t len, const char *name, char *out, size_t out_len)
{
	return path_member(json, len, name, "reason", out, out_len);
}
