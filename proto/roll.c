/*
 * roll.c: the roll CSV (protocol.md section 4) and eligibility classes.
 *
 * The CSV is RFC 4180: fields separated by ',', records by CRLF or LF,
 * a field may be quoted ("...") and then holds ',', line ends and ""
 * for a quote.  A header names the columns; a UTF-8 byte order mark
 * before it is skipped.  Empty lines are skipped.  Every error names
 * the line and column (1-based, in bytes) where the bad field starts.
 */
#include "proto_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COL_VOTER_ID, COL_EMAIL, COL_NAME, COL_WEIGHT, COL_CONTESTS, NCOLS };
static const char *const colnames[NCOLS] = {"voter_id", "email", "name",
                                            "weight", "contests"};

#define EMAIL_MAX 254

/* One field of the current record: where it starts, its unquoted text. */
typedef struct {
	char *s; /* points into the record's scratch buffer */
	size_t len;
	int line, column;
} field;

typedef struct {
	const char *p, *end;
	int line;
	const char *line_start;
	/* The record being read: its fields and the bytes they point to. */
	field *f;
	size_t nf, fcap;
	char *buf;
	size_t blen, bcap;
} csv;

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if ((q = realloc(*p, c * size)) == NULL)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static int put(csv *c, char ch)
{
	if (grow((void **)&c->buf, &c->bcap, c->blen + 1, 1) != 0)
		return -1;
	c->buf[c->blen++] = ch;
	return 0;
}

static proto_status csv_fail(proto_err *err, proto_status st, int line,
                             int column, const char *fmt, ...)
    PROTO_PRINTF(5, 6);

static proto_status csv_fail(proto_err *err, proto_status st, int line,
                             int column, const char *fmt, ...)
{
	char m[200];
	va_list ap;

	if (err == NULL)
		return st;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	err->line = line;
	err->column = column;
	snprintf(err->msg, sizeof err->msg, "line %d, column %d: %s", line,
	         column, m);
	return st;
}

/*
 * Reads one record into c->f.  *eof is set at the end of the input (no
 * record then).  Field offsets are stored and turned into pointers at the
 * end, since the scratch buffer may move as it grows.
 */
static proto_status csv_record(csv *c, int *eof, proto_err *err)
{
	c->nf = 0;
	c->blen = 0;
	/* Skip empty lines. */
	while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
		if (*c->p == '\r' && (c->p + 1 >= c->end || c->p[1] != '\n'))
			return csv_fail(err, PROTO_ERR_SYNTAX, c->line,
			                (int)(c->p - c->line_start) + 1,
			                "a CR not followed by LF");
		c->p += *c->p == '\r' ? 2 : 1;
		c->line++;
		c->line_start = c->p;
	}
	if (c->p >= c->end) {
		*eof = 1;
		return PROTO_OK;
	}
	*eof = 0;
	for (;;) {
		field *f;

		if (grow((void **)&c->f, &c->fcap, c->nf + 1, sizeof *c->f))
			return proto_fail(err, PROTO_ERR_NOMEM,
			                  "out of memory");
		f = &c->f[c->nf++];
		f->line = c->line;
		f->column = (int)(c->p - c->line_start) + 1;
		f->len = c->blen; /* the start offset, for now */
		if (c->p < c->end && *c->p == '"') {
			c->p++;
			for (;;) {
				if (c->p >= c->end)
					return csv_fail(err, PROTO_ERR_SYNTAX,
					                f->line, f->column,
					                "quoted field not "
					                "closed");
				if (*c->p == '"') {
					if (c->p + 1 < c->end &&
					    c->p[1] == '"') {
						if (put(c, '"'))
							goto nomem;
						c->p += 2;
						continue;
					}
					c->p++;
					break;
				}
				if (*c->p == '\n') {
					c->line++;
					c->line_start = c->p + 1;
				}
				if (put(c, *c->p++))
					goto nomem;
			}
			if (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
			    *c->p != '\r')
				return csv_fail(err, PROTO_ERR_SYNTAX, c->line,
				                (int)(c->p - c->line_start) + 1,
				                "text after a closing quote");
		} else {
			while (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
			       *c->p != '\r') {
				if (*c->p == '"')
					return csv_fail(
					    err, PROTO_ERR_SYNTAX, c->line,
					    (int)(c->p - c->line_start) + 1,
					    "a quote inside an unquoted field");
				if (put(c, *c->p++))
					goto nomem;
			}
		}
		if (put(c, '\0'))
			goto nomem;
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '\r') {
			if (c->p + 1 >= c->end || c->p[1] != '\n')
				return csv_fail(err, PROTO_ERR_SYNTAX, c->line,
				                (int)(c->p - c->line_start) + 1,
				                "a CR not followed by LF");
			c->p++;
		}
		if (c->p < c->end) {
			c->p++; /* the LF */
			c->line++;
			c->line_start = c->p;
		}
		break;
	}
	/* Offsets to pointers; lengths from the NULs. */
	for (size_t i = 0; i < c->nf; i++) {
		c->f[i].s = c->buf + c->f[i].len;
		c->f[i].len = strlen(c->f[i].s);
	}
	return PROTO_OK;
nomem:
	return proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
}

void proto_roll_free(proto_roll *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nvoters; i++) {
		free(r->voters[i].voter_id);
		free(r->voters[i].email);
		free(r->voters[i].name);
	}
	free(r->voters);
	free(r->classes);
	free(r);
}

void proto_class_id(const proto_poll *p, proto_cset contests, int weight,
                    char out[PROTO_CLASS_ID_MAX + 1])
{
	size_t idx[PROTO_MAX_CONTESTS], n = 0, o = 0;

	for (size_t i = 0; i < p->ncontests; i++)
		if (contests & ((proto_cset)1 << i))
			idx[n++] = i;
	/* Insertion sort by id: at most 32 of them. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(p->contests[idx[j - 1]].id,
		                                   p->contests[idx[j]].id) > 0;
		     j--) {
			size_t t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(p->contests[idx[i]].id);

		if (i)
			out[o++] = '+';
		memcpy(out + o, p->contests[idx[i]].id, l);
		o += l;
	}
	snprintf(out + o, PROTO_CLASS_ID_MAX + 1 - o, "*%d", weight);
}

proto_status proto_class_parse(const proto_poll *p, const char *class_id,
                               proto_cset *contests, int *weight,
                               proto_err *err)
{
	size_t len = strlen(class_id);
	const char *s = class_id, *star;
	proto_cset set = 0;

	if (!proto_class_syntax(class_id, len))
		return proto_fail(
		    err, PROTO_ERR_VALUE,
		    "\"%.60s\" is not a class id (contest ids "
		    "sorted, joined by '+', then '*' and a weight "
		    "1..1000)",
		    class_id);
	star = strchr(class_id, '*');
	while (s < star) {
		const char *e = memchr(s, '+', (size_t)(star - s));
		size_t n = e ? (size_t)(e - s) : (size_t)(star - s);
		char id[PROTO_CONTEST_ID_MAX + 1];
		int i;

		memcpy(id, s, n);
		id[n] = '\0';
		if ((i = proto_poll_contest_index(p, id)) < 0)
			return proto_fail(err, PROTO_ERR_VALUE,
			                  "class \"%.60s\": no contest \"%s\"",
			                  class_id, id);
		set |= (proto_cset)1 << i;
		s += n + 1;
	}
	*contests = set;
	*weight = atoi(star + 1);
	return PROTO_OK;
}

/* Checks a header and maps each column to its kind. */
static proto_status read_header(csv *c, int *map, proto_err *err)
{
	int seen[NCOLS] = {0}, eof;
	proto_status st;

	if (c->end - c->p >= 3 && memcmp(c->p, "\xef\xbb\xbf", 3) == 0) {
		c->p += 3;
		c->line_start = c->p;
	}
	if ((st = csv_record(c, &eof, err)) != PROTO_OK)
		return st;
	if (eof)
		return csv_fail(err, PROTO_ERR_SYNTAX, 1, 1,
		                "empty roll: expected a header line naming "
		                "the columns (voter_id, ...)");
	for (size_t i = 0; i < c->nf; i++) {
		int k;

		for (k = 0; k < NCOLS; k++)
			if (strcmp(c->f[i].s, colnames[k]) == 0)
				break;
		if (k == NCOLS)
			return csv_fail(err, PROTO_ERR_VALUE, c->f[i].line,
			                c->f[i].column,
			                "unknown column \"%.40s\" (expected "
			                "voter_id, email, name, weight, "
			                "contests)",
			                c->f[i].s);
		if (seen[k])
			return csv_fail(
			    err, PROTO_ERR_VALUE, c->f[i].line, c->f[i].column,
			    "column \"%s\" appears twice", colnames[k]);
		seen[k] = 1;
		map[i] = k;
	}
	if (!seen[COL_VOTER_ID])
		return csv_fail(err, PROTO_ERR_VALUE, c->f[0].line, 1,
		                "the header has no voter_id column");
	return PROTO_OK;
}

static int printable_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* Well-formed UTF-8 without control characters (RFC 3629). */
static int text_ok(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		unsigned c = u[i], need, cp;

		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, cp = c & 0x07;
		else
			return 0;
		if (i + need >= n)
			return 0;
		for (unsigned k = 1; k <= need; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

static proto_status read_contests(const proto_poll *p, const field *f,
                                  proto_cset *out, proto_err *err)
{
	const char *s = f->s, *end = f->s + f->len;
	proto_cset set = 0;

	if (f->len == 0) {
		*out = p->ncontests >= 32
		           ? 0xffffffffu
		           : (((proto_cset)1 << p->ncontests) - 1);
		return PROTO_OK;
	}
	for (;;) {
		const char *e = memchr(s, ';', (size_t)(end - s));
		size_t n = e ? (size_t)(e - s) : (size_t)(end - s);
		char id[PROTO_CONTEST_ID_MAX + 1];
		int i = -1;

		if (n > 0 && n <= PROTO_CONTEST_ID_MAX) {
			memcpy(id, s, n);
			id[n] = '\0';
			i = proto_poll_contest_index(p, id);
		}
		if (i < 0)
			return csv_fail(err, PROTO_ERR_VALUE, f->line,
			                f->column,
			                "contests: \"%.*s\" is not a contest "
			                "of this poll",
			                (int)(n > 40 ? 40 : n), s);
		if (set & ((proto_cset)1 << i))
			return csv_fail(err, PROTO_ERR_VALUE, f->line,
			                f->column,
			                "contests: \"%s\" is listed twice", id);
		set |= (proto_cset)1 << i;
		if (e == NULL)
			break;
		s = e + 1;
	}
	*out = set;
	return PROTO_OK;
}

static proto_status read_voter(const proto_poll *p, const csv *c,
                               const int *map, proto_voter *v, proto_err *err)
{
	v->weight = 1;
	v->contests = p->ncontests >= 32
	                  ? 0xffffffffu
	                  : (((proto_cset)1 << p->ncontests) - 1);
	v->line = c->f[0].line;
	for (size_t i = 0; i < c->nf; i++) {
		const field *f = &c->f[i];
		proto_status st;

		switch (map[i]) {
		case COL_VOTER_ID:
			v->column = f->column;
			if (f->len == 0)
				return csv_fail(err, PROTO_ERR_VALUE, f->line,
				                f->column,
				                "voter_id: must not be empty");
			if (f->len > PROTO_VOTER_ID_MAX ||
			    !printable_ascii(f->s, f->len))
				return csv_fail(err, PROTO_ERR_VALUE, f->line,
				                f->column,
				                "voter_id: expected 1 to %d "
				                "printable ASCII characters "
				                "without spaces",
				                PROTO_VOTER_ID_MAX);
			break;
		case COL_EMAIL:
			if (f->len > EMAIL_MAX ||
			    (f->len && (!printable_ascii(f->s, f->len) ||
			                memchr(f->s, '@', f->len) == NULL)))
				return csv_fail(
				    err, PROTO_ERR_VALUE, f->line, f->column,
				    "email: expected an address "
				    "with '@' (at most %d printable "
				    "ASCII characters) or nothing",
				    EMAIL_MAX);
			break;
		case COL_NAME:
			if (f->len > PROTO_TEXT_MAX || !text_ok(f->s, f->len))
				return csv_fail(
				    err, PROTO_ERR_VALUE, f->line, f->column,
				    "name: expected at most %d bytes "
				    "of UTF-8 without control "
				    "characters",
				    PROTO_TEXT_MAX);
			break;
		case COL_WEIGHT: {
			int w = 0;
			size_t k;

			if (f->len == 0)
				break;
			for (k = 0; k < f->len && k < 5; k++) {
				if (f->s[k] < '0' || f->s[k] > '9')
					break;
				w = w * 10 + (f->s[k] - '0');
			}
			if (k != f->len || f->s[0] == '0' || w < 1 ||
			    w > PROTO_MAX_WEIGHT)
				return csv_fail(
				    err, PROTO_ERR_VALUE, f->line, f->column,
				    "weight: expected a whole number "
				    "from 1 to %d, found \"%.20s\"",
				    PROTO_MAX_WEIGHT, f->s);
			v->weight = w;
			break;
		}
		case COL_CONTESTS:
			if ((st = read_contests(p, f, &v->contests, err)) !=
			    PROTO_OK)
				return st;
			break;
		}
	}
	for (size_t i = 0; i < c->nf; i++) {
		char **dst = map[i] == COL_VOTER_ID ? &v->voter_id
		             : map[i] == COL_EMAIL  ? &v->email
		             : map[i] == COL_NAME   ? &v->name
		                                    : NULL;

		if (dst != NULL &&
		    (*dst = proto_strndup(c->f[i].s, c->f[i].len)) == NULL)
			return proto_fail(err, PROTO_ERR_NOMEM,
			                  "out of memory");
	}
	if ((v->email == NULL && (v->email = proto_strndup("", 0)) == NULL) ||
	    (v->name == NULL && (v->name = proto_strndup("", 0)) == NULL))
		return proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
	return PROTO_OK;
}

/* Voters by id, then line: a repeat sorts right after the first. */
static int cmp_voter(const void *a, const void *b)
{
	const proto_voter *x = *(const proto_voter *const *)a;
	const proto_voter *y = *(const proto_voter *const *)b;
	int c = strcmp(x->voter_id, y->voter_id);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Voters by class: contests, then weight. */
static int cmp_voter_class(const void *a, const void *b)
{
	const proto_voter *x = *(const proto_voter *const *)a;
	const proto_voter *y = *(const proto_voter *const *)b;

	if (x->contests != y->contests)
		return x->contests < y->contests ? -1 : 1;
	return (x->weight > y->weight) - (x->weight < y->weight);
}

static int cmp_class_ptr(const void *a, const void *b)
{
	return strcmp((*(const proto_class *const *)a)->id,
	              (*(const proto_class *const *)b)->id);
}

/* Finds repeated voter ids and builds the classes. */
static proto_status finish(const proto_poll *p, proto_roll *r, proto_err *err)
{
	proto_voter **v = NULL;
	proto_class **cp = NULL, *sorted = NULL;
	size_t *rank = NULL, n = r->nvoters, k = 0;
	proto_status st = PROTO_OK;

	if (n == 0)
		return csv_fail(err, PROTO_ERR_VALUE, 2, 1,
		                "the roll has no voters");
	if ((v = malloc(n * sizeof *v)) == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++)
		v[i] = &r->voters[i];
	qsort(v, n, sizeof *v, cmp_voter);
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i - 1]->voter_id, v[i]->voter_id) == 0) {
			st = csv_fail(err, PROTO_ERR_VALUE, v[i]->line,
			              v[i]->column,
			              "voter_id: \"%.60s\" repeats line %d",
			              v[i]->voter_id, v[i - 1]->line);
			goto out;
		}
	qsort(v, n, sizeof *v, cmp_voter_class);
	if ((r->classes = calloc(n, sizeof *r->classes)) == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || cmp_voter_class(&v[i - 1], &v[i]) != 0) {
			proto_class *c = &r->classes[k++];

			c->contests = v[i]->contests;
			c->weight = v[i]->weight;
			proto_class_id(p, c->contests, c->weight, c->id);
		}
		r->classes[k - 1].count++;
		v[i]->class_index = k - 1;
	}
	r->nclasses = k;
	/* Classes in byte order of their ids, voters renumbered to match. */
	if ((cp = malloc(k * sizeof *cp)) == NULL ||
	    (rank = malloc(k * sizeof *rank)) == NULL ||
	    (sorted = malloc(k * sizeof *sorted)) == NULL)
		goto nomem;
	for (size_t i = 0; i < k; i++)
		cp[i] = &r->classes[i];
	qsort(cp, k, sizeof *cp, cmp_class_ptr);
	for (size_t i = 0; i < k; i++) {
		sorted[i] = *cp[i];
		rank[cp[i] - r->classes] = i;
	}
	for (size_t i = 0; i < n; i++)
		r->voters[i].class_index = rank[r->voters[i].class_index];
	free(r->classes);
	r->classes = sorted;
	sorted = NULL;
	goto out;
nomem:
	st = proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
out:
	free(v);
	free(cp);
	free(rank);
	free(sorted);
	return st;
}

proto_status proto_roll_parse(const proto_poll *p, const char *text, size_t len,
                              proto_roll **out, proto_err *err)
{
	csv c = {0};
	int map[NCOLS] = {0}, eof = 0;
	size_t ncols, vcap = 0;
	proto_roll *r;
	proto_status st;

	*out = NULL;
	if (err != NULL) {
		err->msg[0] = '\0';
		err->line = err->column = 0;
	}
	if ((r = calloc(1, sizeof *r)) == NULL)
		return proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
	c.p = text;
	c.end = text + len;
	c.line = 1;
	c.line_start = text;
	if (memchr(text, '\0', len) != NULL) {
		const char *z = memchr(text, '\0', len);
		int line = 1;
		const char *ls = text;

		for (const char *q = text; q < z; q++)
			if (*q == '\n') {
				line++;
				ls = q + 1;
			}
		st = csv_fail(err, PROTO_ERR_SYNTAX, line, (int)(z - ls) + 1,
		              "a NUL byte");
		goto out;
	}
	/* A header names each column at most once, so it has at most
	 * NCOLS fields and map is large enough. */
	if ((st = read_header(&c, map, err)) != PROTO_OK)
		goto out;
	ncols = c.nf;
	for (;;) {
		proto_voter *v;

		if ((st = csv_record(&c, &eof, err)) != PROTO_OK)
			goto out;
		if (eof)
			break;
		if (c.nf != ncols) {
			st = csv_fail(err, PROTO_ERR_SYNTAX, c.f[0].line, 1,
			              "expected %zu fields as in the header, "
			              "found %zu",
			              ncols, c.nf);
			goto out;
		}
		if (grow((void **)&r->voters, &vcap, r->nvoters + 1,
		         sizeof *r->voters) != 0) {
			st = proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
			goto out;
		}
		v = &r->voters[r->nvoters++];
		memset(v, 0, sizeof *v);
		if ((st = read_voter(p, &c, map, v, err)) != PROTO_OK)
			goto out;
	}
	st = finish(p, r, err);
out:
	free(c.f);
	free(c.buf);
	if (st != PROTO_OK) {
		proto_roll_free(r);
		return st;
	}
	*out = r;
	return PROTO_OK;
}

size_t proto_roll_small_classes(const proto_roll *r, const proto_poll *p,
                                size_t *idx, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nclasses; i++)
		if (r->classes[i].count < p->min_class_size) {
			if (n < cap)
				idx[n] = i;
			n++;
		}
	return n;
}
