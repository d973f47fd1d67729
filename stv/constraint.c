/*
 * constraint.c: candidates' categories and the constraints on them
 * ("at least 4 women among the 9 elected", "at most 1 per branch"), applied
 * by the guarded/doomed method:
 *
 *   - a hopeful is doomed when electing them would leave no way to fill
 *     the remaining seats within every minimum and maximum; the count
 *     excludes a doomed hopeful at once;
 *   - a hopeful is guarded when excluding them would leave no way to meet
 *     every minimum; the count never picks a guarded hopeful as the
 *     lowest to exclude.
 *
 * When no constraint ever binds, no hopeful is ever doomed or guarded, and
 * the count is exactly the plain rule's.  Feasibility is decided exactly:
 * hopefuls with the same set of categories are interchangeable, so the
 * search runs over those classes (a handful in practice), not over
 * candidates.
 */
#include "stv_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CATEGORIES 64

struct stv_constraints {
	int ncand;
	int ncat;
	char *name[MAX_CATEGORIES];
	int min[MAX_CATEGORIES];
	int max[MAX_CATEGORIES];
	uint64_t *sig; /* per candidate: bit g set if in category g */
};

void stv_constraints_free(stv_constraints *k)
{
	if (k == NULL)
		return;
	for (int g = 0; g < k->ncat; g++)
		free(k->name[g]);
	free(k->sig);
	free(k);
}

static stv_status cfail(stv_error *err, int line, int col, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

static stv_status cfail(stv_error *err, int line, int col, const char *fmt,
                        ...)
{
	va_list ap;

	err->line = line;
	err->column = col;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return STV_ERR_PARSE;
}

/* Splits a line into at most 64 words; '#' starts a comment. */
static int words(char *s, char **w, int *col, const char *line0)
{
	int n = 0;

	for (;;) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (*s == '\0' || *s == '#' || n == 64)
			return n;
		w[n] = s;
		col[n] = (int)(s - line0) + 1;
		n++;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
}

static int find_cat(const stv_constraints *k, const char *name)
{
	for (int g = 0; g < k->ncat; g++)
		if (strcmp(k->name[g], name) == 0)
			return g;
	return -1;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

stv_status stv_constraints_read(const stv_election *e, const char *buf,
                                size_t len, stv_constraints **out,
                                stv_error *err)
{
	stv_constraints *k = calloc(1, sizeof *k);
	char *copy = malloc(len + 1), *line, *next;
	stv_status st = STV_OK;
	int lineno = 0;

	*out = NULL;
	memset(err, 0, sizeof *err);
	if (k == NULL || copy == NULL ||
	    (k->sig = calloc((size_t)e->ncand, sizeof *k->sig)) == NULL) {
		free(copy);
		stv_constraints_free(k);
		snprintf(err->msg, sizeof err->msg, "out of memory");
		return STV_ERR_NOMEM;
	}
	k->ncand = e->ncand;
	memcpy(copy, buf, len);
	copy[len] = '\0';
	if (memchr(copy, '\0', len) != NULL) {
		st = cfail(err, 0, 0, "a NUL byte in the category file");
		goto out;
	}
	for (line = copy; line != NULL; line = next) {
		char *w[64];
		int col[64], n;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		n = words(line, w, col, line);
		if (n == 0)
			continue;
		if (strcmp(w[0], "category") == 0) {
			int g;

			if (n < 2) {
				st = cfail(err, lineno, col[0] + 8,
				           "expected a category name after "
				           "'category'");
				goto out;
			}
			if (find_cat(k, w[1]) >= 0) {
				st = cfail(err, lineno, col[1],
				           "category '%s' is defined twice",
				           w[1]);
				goto out;
			}
			if (k->ncat == MAX_CATEGORIES) {
				st = cfail(err, lineno, col[1],
				           "more than %d categories",
				           MAX_CATEGORIES);
				goto out;
			}
			g = k->ncat++;
			if ((k->name[g] = strdup(w[1])) == NULL) {
				st = STV_ERR_NOMEM;
				goto out;
			}
			k->min[g] = 0;
			k->max[g] = e->ncand;
			if (n % 2 != 0) {
				st = cfail(err, lineno, col[n - 1],
				           "expected 'min N' and/or 'max N' "
				           "after the category name");
				goto out;
			}
			for (int i = 2; i < n; i += 2) {
				int *dst = strcmp(w[i], "min") == 0   ? &k->min[g]
				           : strcmp(w[i], "max") == 0 ? &k->max[g]
				                                      : NULL;
				if (dst == NULL) {
					st = cfail(err, lineno, col[i],
					           "expected 'min' or 'max', found "
					           "'%s'",
					           w[i]);
					goto out;
				}
				if (parse_int(w[i + 1], 0, e->ncand, dst) != 0) {
					st = cfail(err, lineno, col[i + 1],
					           "expected a whole number from 0 "
					           "to %d, found '%s'",
					           e->ncand, w[i + 1]);
					goto out;
				}
			}
			if (k->min[g] > k->max[g]) {
				st = cfail(err, lineno, col[1],
				           "category '%s': min %d is more than "
				           "max %d",
				           w[1], k->min[g], k->max[g]);
				goto out;
			}
		} else if (strcmp(w[0], "candidate") == 0) {
			int cand;

			if (n < 3 ||
			    parse_int(w[1], 1, e->ncand, &cand) != 0) {
				st = cfail(err, lineno, n < 2 ? 0 : col[1],
				           "expected 'candidate N CATEGORY...' "
				           "with N from 1 to %d",
				           e->ncand);
				goto out;
			}
			for (int i = 2; i < n; i++) {
				int g = find_cat(k, w[i]);

				if (g < 0) {
					st = cfail(err, lineno, col[i],
					           "unknown category '%s' (define "
					           "it with a 'category' line "
					           "first)",
					           w[i]);
					goto out;
				}
				k->sig[cand - 1] |= (uint64_t)1 << g;
			}
		} else {
			st = cfail(err, lineno, col[0],
			           "expected 'category' or 'candidate', found "
			           "'%s'",
			           w[0]);
			goto out;
		}
	}
out:
	free(copy);
	if (st != STV_OK) {
		if (st == STV_ERR_NOMEM)
			snprintf(err->msg, sizeof err->msg, "out of memory");
		stv_constraints_free(k);
		return st;
	}
	*out = k;
	return STV_OK;
}

/* ---- feasibility ---- */

typedef struct {
	const stv_constraints *k;
	int ncls;
	uint64_t sig[256];
	int avail[256];
	int cur[MAX_CATEGORIES];
	long budget;
} search;

/* Can s more seats be taken from classes i.. within every bound? */
static int feasible_from(search *x, int i, int s)
{
	const stv_constraints *k = x->k;

	if (--x->budget < 0)
		return 1; /* give up: act as if feasible, i.e. do nothing */
	for (int g = 0; g < k->ncat; g++) {
		int more = 0;

		for (int j = i; j < x->ncls; j++)
			if (x->sig[j] >> g & 1)
				more += x->avail[j];
		if (x->cur[g] + (more < s ? more : s) < k->min[g])
			return 0;
	}
	if (i == x->ncls)
		return s == 0;
	int rest = 0;
	for (int j = i; j < x->ncls; j++)
		rest += x->avail[j];
	if (rest < s)
		return 0;
	for (int take = x->avail[i] < s ? x->avail[i] : s; take >= 0;
	     take--) {
		int ok = 1, r;

		for (int g = 0; g < k->ncat; g++)
			if ((x->sig[i] >> g & 1) && x->cur[g] + take > k->max[g])
				ok = 0;
		if (!ok)
			continue;
		for (int g = 0; g < k->ncat; g++)
			if (x->sig[i] >> g & 1)
				x->cur[g] += take;
		r = feasible_from(x, i + 1, s - take);
		for (int g = 0; g < k->ncat; g++)
			if (x->sig[i] >> g & 1)
				x->cur[g] -= take;
		if (r)
			return 1;
	}
	return 0;
}

/*
 * Is there a way to fill the seats left, given state[] with candidate
 * `plus` counted as elected and `minus` as gone (either may be -1)?
 */
static int feasible(const stv_constraints *k, int seats,
                    const uint8_t *state, int plus, int minus)
{
	search x;
	int elected = 0;

	memset(&x, 0, sizeof x);
	x.k = k;
	x.budget = 1000000;
	for (int i = 0; i < k->ncand; i++) {
		int st = i == plus    ? STV_ELECTED
		         : i == minus ? STV_EXCLUDED
		                      : state[i];

		if (st == STV_ELECTED) {
			elected++;
			for (int g = 0; g < k->ncat; g++)
				x.cur[g] += (int)(k->sig[i] >> g & 1);
		} else if (st == STV_HOPEFUL) {
			int j = 0;

			while (j < x.ncls && x.sig[j] != k->sig[i])
				j++;
			if (j == x.ncls) {
				if (x.ncls == 256)
					return 1; /* too varied to decide */
				x.sig[x.ncls++] = k->sig[i];
			}
			x.avail[j]++;
		}
	}
	for (int g = 0; g < k->ncat; g++)
		if (x.cur[g] > k->max[g])
			return 0;
	if (elected > seats)
		return 0;
	return feasible_from(&x, 0, seats - elected);
}

int stv_cons_feasible(const stv_constraints *k, int seats,
                      const uint8_t *state)
{
	return feasible(k, seats, state, -1, -1);
}

int stv_cons_check(const stv_count_ctx *c, const uint8_t *state,
                   uint8_t *doomed, uint8_t *guarded)
{
	const stv_constraints *k = c->k;
	int n = c->v->ncand, seats = c->v->seats, ndoomed = 0, elected = 0;

	memset(doomed, 0, (size_t)n);
	memset(guarded, 0, (size_t)n);
	if (k == NULL)
		return 0;
	for (int i = 0; i < n; i++)
		elected += state[i] == STV_ELECTED;
	for (int i = 0; i < n; i++) {
		if (state[i] != STV_HOPEFUL)
			continue;
		if (elected >= seats || !feasible(k, seats, state, i, -1)) {
			doomed[i] = 1;
			ndoomed++;
		} else if (!feasible(k, seats, state, -1, i)) {
			guarded[i] = 1;
		}
	}
	return ndoomed;
}

const char *stv_cons_describe(const stv_constraints *k, int cand, char *buf,
                              size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int g = 0; g < k->ncat && off < n; g++) {
		if (!(k->sig[cand] >> g & 1))
			continue;
		int w = snprintf(buf + off, n - off, "%s%s (min %d, max %d)",
		                 off ? ", " : "", k->name[g], k->min[g],
		                 k->max[g]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (off == 0) {
		/* In no category: what binds is the minimums of others. */
		int w = snprintf(buf, n, "the seats left are needed for the "
		                         "minimums of");
		for (int g = 0; w > 0 && (size_t)w < n && g < k->ncat; g++)
			if (k->min[g] > 0) {
				int x = snprintf(buf + w, n - (size_t)w,
				                 " %s (min %d)", k->name[g],
				                 k->min[g]);
				if (x < 0)
					break;
				w += x;
			}
	}
	return buf;
}

stv_status stv_constraints_kept(const stv_election *e, const uint8_t *kept,
                                stv_constraints **out)
{
	stv_constraints *k = calloc(1, sizeof *k);
	int n = 0;

	*out = NULL;
	if (k == NULL ||
	    (k->sig = calloc((size_t)e->ncand, sizeof *k->sig)) == NULL ||
	    (k->name[0] = strdup("earlier-places")) == NULL) {
		stv_constraints_free(k);
		return STV_ERR_NOMEM;
	}
	k->ncand = e->ncand;
	k->ncat = 1;
	for (int i = 0; i < e->ncand; i++)
		if (kept[i]) {
			k->sig[i] = 1;
			n++;
		}
	k->min[0] = n;
	k->max[0] = e->ncand;
	*out = k;
	return STV_OK;
}
