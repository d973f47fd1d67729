/*
 * blt.c: the BLT ballot format, read and written.  The dialect accepted is
 * documented in docs/stv.md ("The BLT dialect").  The reader is strict: any
 * line it cannot read stops it with the line, the column and what it
 * expected, and nothing is counted.
 */
#include "rkset.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CANDIDATES 10000

typedef struct {
	const char *buf, *end;
	const char *line;  /* start of current line */
	const char *le;    /* end of current line (content, comment cut) */
	const char *next;  /* start of the next line */
	int lineno;
	stv_error *err;
} reader;

static stv_status fail(reader *rd, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static stv_status fail(reader *rd, const char *at, const char *fmt, ...)
{
	va_list ap;

	rd->err->line = rd->lineno;
	rd->err->column = at ? (int)(at - rd->line) + 1 : 0;
	va_start(ap, fmt);
	vsnprintf(rd->err->msg, sizeof rd->err->msg, fmt, ap);
	va_end(ap);
	return STV_ERR_PARSE;
}

/* Describes the text at p for an error message: "'abc'" or "end of line". */
static const char *found(const reader *rd, const char *p, char *buf,
                         size_t n)
{
	size_t k = 0;

	if (p >= rd->le)
		return "the end of the line";
	while (p + k < rd->le && !isspace((unsigned char)p[k]) && k < 20)
		k++;
	snprintf(buf, n, "'%.*s'", (int)k, p);
	return buf;
}

/*
 * Moves to the next line.  Cuts a '#' comment unless keep_hash (name
 * lines, where '#' may be part of a quoted name and is handled there), and
 * trailing white space.  Returns 0 at end of input.
 */
static int next_line(reader *rd, int keep_hash)
{
	const char *p = rd->next, *e;
	int inq = 0;

	if (p >= rd->end)
		return 0;
	rd->line = p;
	rd->lineno++;
	e = memchr(p, '\n', (size_t)(rd->end - p));
	rd->next = e ? e + 1 : rd->end;
	if (!e)
		e = rd->end;
	if (!keep_hash) {
		for (const char *q = p; q < e; q++) {
			if (*q == '"')
				inq = !inq;
			else if (*q == '#' && !inq) {
				e = q;
				break;
			}
		}
	}
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	rd->le = e;
	return 1;
}

static const char *skip_ws(const reader *rd, const char *p)
{
	while (p < rd->le && isspace((unsigned char)*p))
		p++;
	return p;
}

static int blank(const reader *rd)
{
	return skip_ws(rd, rd->line) >= rd->le;
}

/* Reads an unsigned decimal integer at *pp (no sign); -1 if none. */
static long long read_uint(const reader *rd, const char **pp, long long max)
{
	const char *p = *pp;
	long long v = 0;

	if (p >= rd->le || !isdigit((unsigned char)*p))
		return -1;
	while (p < rd->le && isdigit((unsigned char)*p)) {
		v = v * 10 + (*p - '0');
		if (v > max)
			return -2;
		p++;
	}
	*pp = p;
	return v;
}

static int at_token_end(const reader *rd, const char *p)
{
	return p >= rd->le || isspace((unsigned char)*p) || *p == '=' ||
	       *p == ']';
}

/* Reads a candidate number 1..n; returns 0-based index or a status < 0. */
static int read_cand(reader *rd, const char **pp, int n, stv_status *st)
{
	const char *p = *pp;
	char b[32];
	long long v = read_uint(rd, &p, 1000000);

	if (v < 0 || !at_token_end(rd, p)) {
		*st = fail(rd, *pp, "expected a candidate number 1..%d, found %s",
		           n, found(rd, *pp, b, sizeof b));
		return -1;
	}
	if (v < 1 || v > n) {
		*st = fail(rd, *pp,
		           "candidate number %lld is out of range: there are %d "
		           "candidates",
		           v, n);
		return -1;
	}
	*pp = p;
	return (int)(v - 1);
}

/*
 * Reads a name: a quoted field ("" is a literal quote), optionally followed
 * by further quoted fields appended in parentheses, or else the bare text of
 * the line with runs of white space made one space.  OUT: *out, malloc'd.
 */
static stv_status read_name(reader *rd, char **out, const char *what)
{
	const char *p = skip_ws(rd, rd->line);
	size_t cap = (size_t)(rd->le - p) + 8, n = 0;
	char *s = malloc(cap);
	int fields = 0;

	if (s == NULL)
		return STV_ERR_NOMEM;
	if (p < rd->le && *p == '"') {
		while (p < rd->le && *p == '"') {
			const char *q = p + 1;

			if (fields > 0) {
				s[n++] = ' ';
				s[n++] = '(';
			}
			for (;;) {
				if (q >= rd->le) {
					free(s);
					return fail(rd, q,
					            "unterminated quoted %s: "
					            "expected '\"'",
					            what);
				}
				if (*q == '"' && q + 1 < rd->le && q[1] == '"') {
					s[n++] = '"';
					q += 2;
				} else if (*q == '"') {
					q++;
					break;
				} else {
					s[n++] = *q++;
				}
			}
			if (fields > 0)
				s[n++] = ')';
			fields++;
			p = skip_ws(rd, q);
			if (p < rd->le && *p == '#') /* a comment */
				p = rd->le;
		}
		if (p < rd->le) {
			char b[32];

			free(s);
			return fail(rd, p,
			            "expected the end of the %s line after the "
			            "quoted %s, found %s",
			            what, what, found(rd, p, b, sizeof b));
		}
	} else {
		int space = 0;

		for (; p < rd->le; p++) {
			if (isspace((unsigned char)*p)) {
				space = 1;
				continue;
			}
			if (space && n > 0)
				s[n++] = ' ';
			space = 0;
			s[n++] = *p;
		}
	}
	s[n] = '\0';
	if (memchr(s, '\0', n) != NULL) {
		free(s);
		return fail(rd, rd->line, "a NUL byte in the %s", what);
	}
	*out = s;
	return STV_OK;
}

static int is_bom(const char *p, const char *end)
{
	return end - p >= 3 && (unsigned char)p[0] == 0xEF &&
	       (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF;
}

/* Reads "[tie a b c]" or "[withdrawn a b]" at the start of the line. */
static stv_status read_option(reader *rd, stv_election *e, int *seen_tie)
{
	const char *p = rd->line + 1, *w = p;
	int tie;
	stv_status st = STV_OK;

	while (p < rd->le && isalpha((unsigned char)*p))
		p++;
	if ((size_t)(p - w) == 3 && memcmp(w, "tie", 3) == 0)
		tie = 1;
	else if ((size_t)(p - w) == 9 && memcmp(w, "withdrawn", 9) == 0)
		tie = 0;
	else
		return fail(rd, w,
		            "unknown option: expected '[tie ...]' or "
		            "'[withdrawn ...]'");
	if (tie) {
		if (*seen_tie)
			return fail(rd, rd->line, "a second [tie] line");
		*seen_tie = 1;
		e->tie_order = malloc((size_t)e->ncand * sizeof *e->tie_order);
		if (e->tie_order == NULL)
			return STV_ERR_NOMEM;
		for (int i = 0; i < e->ncand; i++)
			e->tie_order[i] = -1;
	}
	int pos = 0;
	for (;;) {
		p = skip_ws(rd, p);
		if (p < rd->le && *p == ']')
			break;
		if (p >= rd->le)
			return fail(rd, p, "expected ']' to end the option");
		int c = read_cand(rd, &p, e->ncand, &st);
		if (c < 0)
			return st;
		if (tie) {
			if (e->tie_order[c] >= 0)
				return fail(rd, p, "candidate %d twice in [tie]",
				            c + 1);
			e->tie_order[c] = pos++;
		} else {
			e->withdrawn[c] = 1;
		}
	}
	p = skip_ws(rd, p + 1);
	if (p < rd->le)
		return fail(rd, p, "expected the end of the line after ']'");
	if (tie) /* candidates not listed come after, in file order */
		for (int i = 0; i < e->ncand; i++)
			if (e->tie_order[i] < 0)
				e->tie_order[i] = pos++;
	return STV_OK;
}

void stv_election_free(stv_election *e)
{
	if (e == NULL)
		return;
	if (e->names)
		for (int i = 0; i < e->ncand; i++)
			free(e->names[i]);
	free(e->names);
	free(e->title);
	free(e->withdrawn);
	free(e->tie_order);
	free(e->rk);
	free(e->ranks);
	free(e->eq);
	free(e);
}

static stv_status read_ballots(reader *rd, stv_election *e, stv_rkset *set)
{
	int32_t *r = malloc((size_t)e->ncand * sizeof *r);
	uint8_t *eq = malloc((size_t)e->ncand);
	int *seen = calloc((size_t)e->ncand, sizeof *seen);
	int seen_ballot = 0, seen_tie = 0, gen = 0;
	stv_status st = STV_OK;
	char b[32];

	if (r == NULL || eq == NULL || seen == NULL) {
		st = STV_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		const char *p;
		long long w;
		uint32_t len = 0;

		if (!next_line(rd, 0)) {
			st = fail(rd, NULL,
			          "unexpected end of file: expected a ballot line "
			          "or the '0' that ends the ballots");
			goto out;
		}
		if (blank(rd))
			continue;
		p = skip_ws(rd, rd->line);
		if (*p == '-') {
			if (seen_ballot) {
				st = fail(rd, p,
				          "a withdrawn-candidates line must come "
				          "before the first ballot");
				goto out;
			}
			while (p < rd->le) {
				const char *t = p;
				int c;

				if (*p != '-') {
					st = fail(rd, p,
					          "expected a withdrawn candidate "
					          "as '-N', found %s",
					          found(rd, p, b, sizeof b));
					goto out;
				}
				p++;
				c = read_cand(rd, &p, e->ncand, &st);
				if (c < 0)
					goto out;
				(void)t;
				e->withdrawn[c] = 1;
				p = skip_ws(rd, p);
			}
			continue;
		}
		if (*p == '[') {
			if (seen_ballot) {
				st = fail(rd, p,
				          "an option line must come before the "
				          "first ballot");
				goto out;
			}
			rd->line = p; /* read_option starts at the '[' */
			if ((st = read_option(rd, e, &seen_tie)) != STV_OK)
				goto out;
			continue;
		}
		if (*p == '(') { /* a ballot identifier: "(id) weight ..." */
			const char *q = memchr(p, ')', (size_t)(rd->le - p));

			if (q == NULL) {
				st = fail(rd, p,
				          "expected ')' to end the ballot "
				          "identifier");
				goto out;
			}
			p = skip_ws(rd, q + 1);
		}
		const char *wp = p;
		w = read_uint(rd, &p, STV_MAX_PAPERS);
		if (w == -2) {
			st = fail(rd, wp, "ballot weight is larger than %lld",
			          STV_MAX_PAPERS);
			goto out;
		}
		if (w < 0 || (p < rd->le && !isspace((unsigned char)*p))) {
			st = fail(rd, wp,
			          "expected a ballot weight (a whole number) or "
			          "'0' to end the ballots, found %s",
			          found(rd, wp, b, sizeof b));
			goto out;
		}
		if (w == 0) {
			p = skip_ws(rd, p);
			if (p < rd->le) {
				st = fail(rd, p,
				          "expected the end of the line after the "
				          "'0' that ends the ballots, found %s",
				          found(rd, p, b, sizeof b));
				goto out;
			}
			break;
		}
		seen_ballot = 1;
		gen++;
		for (;;) {
			int equal = 0, c;

			p = skip_ws(rd, p);
			if (p < rd->le && *p == '=') {
				if (len == 0) {
					st = fail(rd, p,
					          "'=' needs a candidate before it");
					goto out;
				}
				equal = 1;
				p = skip_ws(rd, p + 1);
			}
			if (p >= rd->le) {
				st = fail(rd, p,
				          "expected a candidate number or the '0' "
				          "that ends the ballot line");
				goto out;
			}
			if (*p == '0' && at_token_end(rd, p + 1)) {
				if (equal) {
					st = fail(rd, p,
					          "expected a candidate number after "
					          "'='");
					goto out;
				}
				p = skip_ws(rd, p + 1);
				if (p < rd->le) {
					st = fail(rd, p,
					          "expected the end of the line "
					          "after the '0' that ends the "
					          "ballot, found %s",
					          found(rd, p, b, sizeof b));
					goto out;
				}
				break;
			}
			const char *cp = p;
			c = read_cand(rd, &p, e->ncand, &st);
			if (c < 0)
				goto out;
			if (seen[c] == gen) {
				st = fail(rd, cp,
				          "candidate %d appears twice in this "
				          "ballot",
				          c + 1);
				goto out;
			}
			seen[c] = gen;
			r[len] = c;
			eq[len] = (uint8_t)equal;
			if (equal)
				e->has_equal = 1;
			len++;
		}
		/* The cap covers empty ballots too, so that whatever was read
		 * can be written back and read again. */
		if (e->papers + e->invalid + w > STV_MAX_PAPERS) {
			st = fail(rd, wp, "more than %lld ballots in all",
			          STV_MAX_PAPERS);
			goto out;
		}
		if (len == 0) {
			e->invalid += w; /* an empty ballot: not a valid vote */
			continue;
		}
		e->papers += w;
		if ((st = stv_rkset_add(set, r, eq, len, w)) != STV_OK)
			goto out;
	}
out:
	free(r);
	free(eq);
	free(seen);
	return st;
}

static stv_status read_names(reader *rd, stv_election *e)
{
	stv_status st;

	for (int i = 0; i < e->ncand; i++) {
		do {
			if (!next_line(rd, 1))
				return fail(rd, NULL,
				            "unexpected end of file: expected the "
				            "name of candidate %d of %d",
				            i + 1, e->ncand);
		} while (blank(rd) || *skip_ws(rd, rd->line) == '#');
		if ((st = read_name(rd, &e->names[i], "name")) != STV_OK)
			return st;
		if (e->names[i][0] == '\0')
			return fail(rd, rd->line, "candidate %d has an empty name",
			            i + 1);
		for (int j = 0; j < i; j++)
			if (strcmp(e->names[j], e->names[i]) == 0)
				return fail(rd, rd->line,
				            "candidate %d has the same name as "
				            "candidate %d ('%s')",
				            i + 1, j + 1, e->names[i]);
	}
	while (next_line(rd, 1)) {
		if (blank(rd) || *skip_ws(rd, rd->line) == '#')
			continue;
		if (e->title != NULL)
			return fail(rd, skip_ws(rd, rd->line),
			            "unexpected text after the title: expected "
			            "the end of the file");
		if ((st = read_name(rd, &e->title, "title")) != STV_OK)
			return st;
	}
	if (e->title == NULL && (e->title = strdup("")) == NULL)
		return STV_ERR_NOMEM;
	return STV_OK;
}

stv_status stv_blt_read(const char *buf, size_t len, stv_election **out,
                        stv_error *err)
{
	reader rd = {buf, buf + len, buf, buf, buf, 0, err};
	stv_election *e;
	stv_rkset set = {0};
	stv_status st;
	long long nc, ns;
	const char *p;
	char b[32];

	*out = NULL;
	memset(err, 0, sizeof *err);
	if (is_bom(buf, rd.end))
		rd.next = buf + 3;
	do {
		if (!next_line(&rd, 0))
			return fail(&rd, NULL,
			            "empty file: expected the header line "
			            "'CANDIDATES SEATS'");
	} while (blank(&rd));
	p = skip_ws(&rd, rd.line);
	const char *h = p;
	nc = read_uint(&rd, &p, MAX_CANDIDATES);
	if (nc == -2)
		return fail(&rd, h, "more than %d candidates", MAX_CANDIDATES);
	if (nc < 1 || !at_token_end(&rd, p))
		return fail(&rd, h,
		            "expected the number of candidates (1..%d), found %s",
		            MAX_CANDIDATES, found(&rd, h, b, sizeof b));
	p = skip_ws(&rd, p);
	h = p;
	ns = read_uint(&rd, &p, MAX_CANDIDATES);
	if (ns < 1 || !at_token_end(&rd, p))
		return fail(&rd, h, "expected the number of seats, found %s",
		            found(&rd, h, b, sizeof b));
	if (ns > nc)
		return fail(&rd, h, "%lld seats but only %lld candidates", ns,
		            nc);
	p = skip_ws(&rd, p);
	if (p < rd.le)
		return fail(&rd, p,
		            "expected the end of the header line, found %s",
		            found(&rd, p, b, sizeof b));

	if ((e = calloc(1, sizeof *e)) == NULL)
		return STV_ERR_NOMEM;
	e->ncand = (int)nc;
	e->seats = (int)ns;
	e->names = calloc((size_t)nc, sizeof *e->names);
	e->withdrawn = calloc((size_t)nc, 1);
	if (e->names == NULL || e->withdrawn == NULL) {
		st = STV_ERR_NOMEM;
		goto bad;
	}
	if ((st = read_ballots(&rd, e, &set)) != STV_OK)
		goto bad;
	if ((st = read_names(&rd, e)) != STV_OK)
		goto bad;
	stv_rkset_done(&set);
	e->rk = set.rk;
	e->nrk = set.nrk;
	e->ranks = set.ranks;
	e->eq = set.eq;
	e->nranks = set.nranks;
	*out = e;
	return STV_OK;
bad:
	stv_rkset_free(&set);
	stv_election_free(e);
	if (st == STV_ERR_NOMEM)
		snprintf(err->msg, sizeof err->msg, "out of memory");
	return st;
}

/* ---- accessors ---- */

int stv_election_candidates(const stv_election *e)
{
	return e->ncand;
}

int stv_election_seats(const stv_election *e)
{
	return e->seats;
}

const char *stv_election_name(const stv_election *e, int cand)
{
	return cand >= 0 && cand < e->ncand ? e->names[cand] : NULL;
}

const char *stv_election_title(const stv_election *e)
{
	return e->title;
}

int stv_election_withdrawn(const stv_election *e, int cand)
{
	return cand >= 0 && cand < e->ncand && e->withdrawn[cand];
}

size_t stv_election_rankings(const stv_election *e)
{
	return e->nrk;
}

int64_t stv_election_papers(const stv_election *e)
{
	return e->papers;
}

int64_t stv_election_invalid(const stv_election *e)
{
	return e->invalid;
}

/* ---- writer ---- */

static void sb_quoted(stv_sb *b, const char *s)
{
	stv_sb_puts(b, "\"");
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
		stv_sb_put(b, s, (size_t)(q - s));
		stv_sb_puts(b, "\"\"");
	}
	stv_sb_puts(b, s);
	stv_sb_puts(b, "\"\n");
}

stv_status stv_blt_write(const stv_election *e, char **out, size_t *outlen)
{
	stv_sb b = {0};
	int any = 0;
	stv_status st;
	stv_sb_printf(&b, "%d %d\n", e->ncand, e->seats);
	for (int i = 0; i < e->ncand; i++)
		if (e->withdrawn[i]) {
			stv_sb_printf(&b, "%s-%d", any ? " " : "", i + 1);
			any = 1;
		}
	if (any)
		stv_sb_printf(&b, "\n");
	if (e->tie_order) {
		stv_sb_printf(&b, "[tie");
		for (int pos = 0; pos < e->ncand; pos++)
			for (int i = 0; i < e->ncand; i++)
				if (e->tie_order[i] == pos)
					stv_sb_printf(&b, " %d", i + 1);
		stv_sb_printf(&b, "]\n");
	}
	for (size_t k = 0; k < e->nrk; k++) {
		const stv_ranking *r = &e->rk[k];

		stv_sb_printf(&b, "%lld", (long long)r->weight);
		for (uint32_t i = 0; i < r->len; i++)
			stv_sb_printf(&b, "%s%d", e->eq[r->off + i] ? "=" : " ",
			       e->ranks[r->off + i] + 1);
		stv_sb_printf(&b, " 0\n");
	}
	if (e->invalid > 0)
		stv_sb_printf(&b, "%lld 0\n", (long long)e->invalid);
	stv_sb_printf(&b, "0\n");
	for (int i = 0; i < e->ncand; i++)
		sb_quoted(&b, e->names[i]);
	sb_quoted(&b, e->title ? e->title : "");
	if ((st = stv_sb_finish(&b, out)) != STV_OK)
		return st;
	if (outlen)
		*outlen = b.n;
	return STV_OK;
}
