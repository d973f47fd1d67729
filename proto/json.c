/*
 * json.c: reading JSON members with errors that name the member by its
 * path, and the small shared helpers of proto/.
 */
#include "proto_int.h"

#include "encode.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *proto_status_name(proto_status st)
{
	switch (st) {
	case PROTO_OK:
		return "ok";
	case PROTO_ERR_SYNTAX:
		return "syntax";
	case PROTO_ERR_SHAPE:
		return "shape";
	case PROTO_ERR_VALUE:
		return "value";
	case PROTO_ERR_NOMEM:
		return "nomem";
	}
	return "unknown";
}

proto_status proto_fail(proto_err *err, proto_status st, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return st;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return st;
}

char *proto_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

int proto_id_valid(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

int proto_class_syntax(const char *s, size_t len)
{
	const char *star = memchr(s, '*', len);
	const char *p = s, *prev = NULL;
	size_t prevlen = 0, wlen;
	long w = 0;

	if (star == NULL)
		return 0;
	for (;;) {
		const char *end = memchr(p, '+', (size_t)(star - p));
		size_t n = end ? (size_t)(end - p) : (size_t)(star - p);

		if (!proto_id_valid(p, n, PROTO_CONTEST_ID_MAX))
			return 0;
		if (prev != NULL) {
			/* Strictly increasing in byte order. */
			size_t m = n < prevlen ? n : prevlen;
			int c = memcmp(prev, p, m);

			if (c > 0 || (c == 0 && prevlen >= n))
				return 0;
		}
		prev = p;
		prevlen = n;
		if (end == NULL)
			break;
		p = end + 1;
	}
	wlen = len - (size_t)(star + 1 - s);
	if (wlen == 0 || wlen > 4 || star[1] == '0')
		return 0;
	for (size_t i = 0; i < wlen; i++) {
		if (star[1 + i] < '0' || star[1 + i] > '9')
			return 0;
		w = w * 10 + (star[1 + i] - '0');
	}
	return w >= 1 && w <= PROTO_MAX_WEIGHT;
}

/* Appends s to out->s, truncating (paths are for people to read). */
static void path_cat(pj_path *out, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof out->s - 1 - *o)
		n = sizeof out->s - 1 - *o;
	memcpy(out->s + *o, s, n);
	*o += n;
	out->s[*o] = '\0';
}

void pj_member(pj_path *out, const pj_path *path, const char *name)
{
	size_t o = 0;

	out->s[0] = '\0';
	if (path != NULL && path->s[0] != '\0') {
		path_cat(out, &o, path->s);
		path_cat(out, &o, ".");
	}
	path_cat(out, &o, name);
}

void pj_index(pj_path *out, const pj_path *path, size_t i)
{
	char ix[32];
	size_t o = 0;

	snprintf(ix, sizeof ix, "[%zu]", i);
	out->s[0] = '\0';
	if (path != NULL)
		path_cat(out, &o, path->s);
	path_cat(out, &o, ix);
}

/* The path for a message: "(top level)" for the document itself. */
static const char *where(const pj_path *path)
{
	return path == NULL || path->s[0] == '\0' ? "(top level)" : path->s;
}

proto_status pj_load(const char *text, size_t len, json_t **root,
                     proto_err *err)
{
	json_error_t je;
	json_t *v;

	*root = NULL;
	if (err != NULL)
		err->line = err->column = 0;
	v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL) {
		if (err != NULL) {
			err->line = je.line > 0 ? je.line : 0;
			err->column = je.column > 0 ? je.column : 0;
		}
		if (json_error_code(&je) == json_error_out_of_memory)
			return proto_fail(err, PROTO_ERR_NOMEM,
			                  "out of memory");
		return proto_fail(err, PROTO_ERR_SYNTAX,
		                  "line %d, column %d: %s", je.line, je.column,
		                  je.text);
	}
	if (!json_is_object(v)) {
		json_decref(v);
		return proto_fail(err, PROTO_ERR_SHAPE,
		                  "(top level): expected an object");
	}
	*root = v;
	return PROTO_OK;
}

proto_status pj_object(json_t *v, const pj_path *path, const char *const *names,
                       proto_err *err)
{
	const char *key;
	json_t *val;
	char found[64];

	if (!json_is_object(v)) {
		pj_describe(v, found, sizeof found);
		return proto_fail(err, PROTO_ERR_SHAPE,
		                  "%s: expected an object, found %s",
		                  where(path), found);
	}
	json_object_foreach(v, key, val)
	{
		size_t i;

		for (i = 0; names[i] != NULL; i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (names[i] == NULL) {
			pj_path p;
			char k[48];

			/* Keys are text from a stranger: show a safe prefix. */
			snprintf(k, sizeof k, "%s", key);
			for (char *c = k; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					*c = '?';
			pj_member(&p, path, k);
			return proto_fail(err, PROTO_ERR_SHAPE,
			                  "%s: unknown member", p.s);
		}
	}
	return PROTO_OK;
}

proto_status pj_get(json_t *obj, const pj_path *path, const char *name,
                    int required, int null_ok, json_t **out, proto_err *err)
{
	json_t *v = json_object_get(obj, name);

	if (v != NULL && null_ok && json_is_null(v))
		v = NULL;
	*out = v;
	if (v == NULL && required)
		return proto_fail(err, PROTO_ERR_SHAPE,
		                  "%s: missing member \"%s\"", where(path),
		                  name);
	return PROTO_OK;
}

void pj_describe(const json_t *v, char *buf, size_t cap)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		snprintf(buf, cap, "an object");
		break;
	case JSON_ARRAY:
		snprintf(buf, cap, "an array");
		break;
	case JSON_STRING: {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v), o = 0;

		if (cap < 8) {
			snprintf(buf, cap, "\"\"");
			break;
		}
		buf[o++] = '"';
		for (size_t i = 0; i < n && o + 5 < cap; i++) {
			unsigned char c = (unsigned char)s[i];

			buf[o++] =
			    (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			        ? '?'
			        : (char)c;
			if (i + 1 < n && o + 5 >= cap) {
				buf[o++] = '.';
				buf[o++] = '.';
				buf[o++] = '.';
			}
		}
		buf[o++] = '"';
		buf[o] = '\0';
		break;
	}
	case JSON_INTEGER:
		snprintf(buf, cap, "%" JSON_INTEGER_FORMAT,
		         json_integer_value(v));
		break;
	case JSON_REAL:
		/* 2.0 must not read as the whole number 2 in a message. */
		snprintf(buf, cap, "%.17g", json_real_value(v));
		if (strpbrk(buf, ".eEn") == NULL && strlen(buf) + 3 <= cap)
			strcat(buf, ".0");
		break;
	case JSON_TRUE:
		snprintf(buf, cap, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, cap, "false");
		break;
	case JSON_NULL:
	default:
		snprintf(buf, cap, "null");
		break;
	}
}

proto_status pj_string(json_t *v, const pj_path *path, size_t minlen,
                       size_t maxlen, const char **out, size_t *outlen,
                       proto_err *err)
{
	char found[64];
	const char *s;
	size_t n;

	pj_describe(v, found, sizeof found);
	if (!json_is_string(v))
		return proto_fail(err, PROTO_ERR_SHAPE,
		                  "%s: expected a string, found %s",
		                  where(path), found);
	s = json_string_value(v);
	n = json_string_length(v);
	if (n < minlen || n > maxlen) {
		if (minlen > 0 && n == 0)
			return proto_fail(err, PROTO_ERR_VALUE,
			                  "%s: must not be empty", where(path));
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "%s: expected %zu to %zu bytes, found %zu",
		                  where(path), minlen, maxlen, n);
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return proto_fail(err, PROTO_ERR_VALUE,
			                  "%s: control character at byte %zu",
			                  where(path), i);
	*out = s;
	if (outlen != NULL)
		*outlen = n;
	return PROTO_OK;
}

proto_status pj_int(json_t *v, const pj_path *path, int64_t lo, int64_t hi,
                    int64_t *out, proto_err *err)
{
	char found[64];
	json_int_t x;

	if (!json_is_integer(v) || (x = json_integer_value(v)) < lo || x > hi) {
		pj_describe(v, found, sizeof found);
		return proto_fail(
		    err, json_is_integer(v) ? PROTO_ERR_VALUE : PROTO_ERR_SHAPE,
		    "%s: expected a whole number from %" PRId64 " to %" PRId64
		    ", found %s",
		    where(path), lo, hi, found);
	}
	*out = x;
	return PROTO_OK;
}

proto_status pj_bool(json_t *v, const pj_path *path, int *out, proto_err *err)
{
	char found[64];

	if (!json_is_boolean(v)) {
		pj_describe(v, found, sizeof found);
		return proto_fail(err, PROTO_ERR_SHAPE,
		                  "%s: expected true or false, found %s",
		                  where(path), found);
	}
	*out = json_is_true(v);
	return PROTO_OK;
}

proto_status pj_b64(json_t *v, const pj_path *path, size_t want, size_t max,
                    uint8_t *out, size_t cap, size_t *outlen, proto_err *err)
{
	const char *s;
	size_t n, got = 0, limit = want ? want : max;
	char found[64];
	proto_status st;

	if (!json_is_string(v)) {
		pj_describe(v, found, sizeof found);
		return proto_fail(err, PROTO_ERR_SHAPE,
		                  "%s: expected a base64url string, found %s",
		                  where(path), found);
	}
	s = json_string_value(v);
	n = json_string_length(v);
	/* Refuse by length before decoding, so the buffer always fits. */
	if (n > BC_B64URL_LEN(limit) || limit > cap) {
		st = PROTO_ERR_VALUE;
		goto size;
	}
	if (bc_b64url_decode(s, n, out, cap, &got) != BC_OK)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "%s: not base64url (RFC 4648 section 5, no "
		                  "padding, canonical)",
		                  where(path));
	if ((want && got != want) || (!want && got == 0)) {
		st = PROTO_ERR_VALUE;
		goto size;
	}
	if (outlen != NULL)
		*outlen = got;
	return PROTO_OK;
size:
	if (want)
		return proto_fail(err, st,
		                  "%s: expected %zu bytes in base64url (%zu "
		                  "characters), found %zu characters",
		                  where(path), want,
		                  (size_t)BC_B64URL_LEN(want), n);
	return proto_fail(err, st,
	                  "%s: expected 1 to %zu bytes in base64url, found "
	                  "%zu characters",
	                  where(path), max, n);
}

proto_status pj_hex(json_t *v, const pj_path *path, uint8_t *out, size_t n,
                    proto_err *err)
{
	char found[64];
	size_t got;

	if (!json_is_string(v)) {
		pj_describe(v, found, sizeof found);
		return proto_fail(err, PROTO_ERR_SHAPE,
		                  "%s: expected a hex string, found %s",
		                  where(path), found);
	}
	if (json_string_length(v) != 2 * n ||
	    bc_hex_decode(json_string_value(v), 2 * n, out, n, &got) != BC_OK ||
	    got != n)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "%s: expected %zu lowercase hex digits",
		                  where(path), 2 * n);
	return PROTO_OK;
}

json_t *pj_b64_new(const uint8_t *p, size_t n)
{
	size_t len = BC_B64URL_LEN(n);
	char *s = malloc(len + 1);
	json_t *v;

	if (s == NULL)
		return NULL;
	if (bc_b64url_encode(p, n, s, len + 1, NULL) != BC_OK) {
		free(s);
		return NULL;
	}
	v = json_stringn(s, len);
	free(s);
	return v;
}

json_t *pj_hex_new(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	json_t *v;

	if (s == NULL)
		return NULL;
	if (bc_hex_encode(p, n, s, 2 * n + 1, NULL) != BC_OK) {
		free(s);
		return NULL;
	}
	v = json_stringn(s, 2 * n);
	free(s);
	return v;
}

void pj_set(json_t *obj, const char *name, json_t *v, int *ok)
{
	/* json_object_set_new steals v even when it fails. */
	if (v == NULL || obj == NULL || json_object_set_new(obj, name, v) != 0)
		*ok = 0;
}

char *proto_json_text(const json_t *v, size_t *len)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (s != NULL && len != NULL)
		*len = strlen(s);
	return s;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int64_t proto_time_parse(const char *s, size_t len)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, se, ms = 0, leap;
	size_t frac;

	/* YYYY-MM-DDTHH:MM:SSZ is 20 characters; .f to .fff add 2..4. */
	if (len < 20 || len > 24 || len == 21)
		return -1;
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[len - 1] != 'Z')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &se))
		return -1;
	frac = len - 20;
	if (frac > 0) {
		int f;

		if (s[19] != '.' || digits(s + 20, (int)frac - 1, &f))
			return -1;
		ms = f * (frac == 2 ? 100 : frac == 3 ? 10 : 1);
	}
	if (y < 1970 || mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59)
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d < 1 || d > mdays[mo - 1] + (mo == 2 && leap))
		return -1;
	return ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 +
	       (int64_t)se * 1000 + ms;
}

void proto_time_format(int64_t ms, char out[25])
{
	int64_t z, era, doe, yoe, y, doy, mp, d, m, secs;
	char tmp[96]; /* the compiler cannot see the fields' bounds */

	if (ms < 0)
		ms = 0;
	secs = ms / 1000;
	z = secs / 86400 + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	y += m <= 2;
	secs %= 86400;
	if (ms % 1000)
		snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		         (int)(y % 10000), (int)m, (int)d, (int)(secs / 3600),
		         (int)(secs / 60 % 60), (int)(secs % 60),
		         (int)(ms % 1000));
	else
		snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		         (int)(y % 10000), (int)m, (int)d, (int)(secs / 3600),
		         (int)(secs / 60 % 60), (int)(secs % 60));
	tmp[24] = '\0';
	memcpy(out, tmp, strlen(tmp) + 1);
}
