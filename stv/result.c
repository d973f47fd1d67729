/*
 * result.c: building a count's result, stage by stage, and the draws by
 * lot.  The reports (JSON, text, HTML) are in report.c.
 */
#include "stv_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static stv_status nomem(stv_count_ctx *c)
{
	snprintf(c->err->msg, sizeof c->err->msg, "out of memory");
	return STV_ERR_NOMEM;
}

stv_status stv_res_stage(stv_count_ctx *c, stv_action action,
                         const int *cands, int ncands, const int64_t *votes,
                         int64_t nontransferable)
{
	stv_result *r = c->res;
	stv_stage *s;

	if (r->nstages == r->capstages) {
		int cap = r->capstages ? r->capstages * 2 : 16;
		stv_stage *ns = realloc(r->stages, (size_t)cap * sizeof *ns);

		if (ns == NULL)
			return nomem(c);
		r->stages = ns;
		r->capstages = cap;
	}
	s = &r->stages[r->nstages];
	memset(s, 0, sizeof *s);
	s->action = action;
	s->nontransferable = nontransferable;
	s->votes = malloc((size_t)r->ncand * sizeof *s->votes);
	if (s->votes == NULL)
		return nomem(c);
	memcpy(s->votes, votes, (size_t)r->ncand * sizeof *s->votes);
	if (ncands > 0) {
		s->cands = malloc((size_t)ncands * sizeof *s->cands);
		if (s->cands == NULL) {
			free(s->votes);
			return nomem(c);
		}
		memcpy(s->cands, cands, (size_t)ncands * sizeof *s->cands);
		s->ncands = ncands;
	}
	r->nstages++;
	return STV_OK;
}

stv_status stv_res_elect(stv_count_ctx *c, int cand)
{
	stv_result *r = c->res;
	int twice = 0;

	for (int i = 0; i < r->nelected; i++)
		twice |= r->elected[i] == cand;
	/* A rule electing a candidate twice or out of range is our bug, but
	 * the library reports it rather than aborting. */
	if (cand < 0 || cand >= r->ncand || r->nelected >= r->ncand || twice) {
		snprintf(c->err->msg, sizeof c->err->msg,
		         "internal error: bad election of candidate %d", cand);
		return STV_ERR_INVALID;
	}
	r->elected[r->nelected] = cand;
	r->elected_stage[r->nelected] = r->nstages;
	r->nelected++;
	return STV_OK;
}

static stv_status vnote(stv_count_ctx *c, char **dst, const char *fmt,
                        va_list ap) __attribute__((format(printf, 3, 0)));

static stv_status vnote(stv_count_ctx *c, char **dst, const char *fmt,
                        va_list ap)
{
	char buf[1024], *s;
	size_t old = *dst ? strlen(*dst) : 0;
	int k = vsnprintf(buf, sizeof buf, fmt, ap);

	if (k < 0)
		return nomem(c);
	s = realloc(*dst, old + (old ? 2 : 0) + strlen(buf) + 1);
	if (s == NULL)
		return nomem(c);
	if (old) {
		strcpy(s + old, "; ");
		old += 2;
	}
	strcpy(s + old, buf);
	*dst = s;
	return STV_OK;
}

stv_status stv_res_note(stv_count_ctx *c, const char *fmt, ...)
{
	stv_result *r = c->res;
	char **n = realloc(r->notes, (size_t)(r->nnotes + 1) * sizeof *n);
	va_list ap;
	stv_status st;

	if (n == NULL)
		return nomem(c);
	r->notes = n;
	n[r->nnotes] = NULL;
	va_start(ap, fmt);
	st = vnote(c, &n[r->nnotes], fmt, ap);
	va_end(ap);
	if (st == STV_OK)
		r->nnotes++;
	return st;
}

stv_status stv_res_stage_note(stv_count_ctx *c, const char *fmt, ...)
{
	stv_result *r = c->res;
	va_list ap;
	stv_status st;

	if (r->nstages == 0)
		return STV_OK;
	va_start(ap, fmt);
	st = vnote(c, &r->stages[r->nstages - 1].note, fmt, ap);
	va_end(ap);
	return st;
}

/*
 * SplitMix64 (Steele, Lea, Flood 2014): a tiny, well-known generator whose
 * every output is reproducible from the seed alone, so a recount with the
 * same --seed makes the same draws.
 */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

int stv_lot(stv_count_ctx *c, const int *tied, int n, const char *what)
{
	const stv_result *r = c->res;
	int pick = 0;
	char list[768];
	size_t off = 0;

	if (c->opt->seeded) {
		/* Unbiased draw of an index in [0, n): reject the top
		 * values that would make some indices likelier. */
		uint64_t lim = UINT64_MAX - UINT64_MAX % (uint64_t)n, x;

		do
			x = splitmix64(&c->rng);
		while (x >= lim);
		pick = (int)(x % (uint64_t)n);
	} else {
		const int *order = c->e->tie_order;

		for (int i = 1; i < n; i++) {
			int a = order ? order[tied[i]] : tied[i];
			int b = order ? order[tied[pick]] : tied[pick];

			if (a < b)
				pick = i;
		}
	}
	list[0] = '\0';
	for (int i = 0; i < n && off + 4 < sizeof list; i++) {
		int k = snprintf(list + off, sizeof list - off, "%s%s",
		                 i ? ", " : "", r->names[tied[i]]);
		if (k < 0)
			break;
		off += (size_t)k;
		if (off >= sizeof list)
			off = sizeof list - 1;
	}
	if (stv_res_note(c, "tie by lot (%s) at stage %d among [%s]: %s (%s)",
	                 what, r->nstages + 1, list, r->names[tied[pick]],
	                 c->opt->seeded ? "seeded draw"
	                                : "first in ballot-file order") !=
	    STV_OK) {
		/* The draw itself stands; only its note was lost. */
	}
	return pick;
}

void stv_result_free(stv_result *r)
{
	if (r == NULL)
		return;
	for (int i = 0; i < r->nstages; i++) {
		free(r->stages[i].votes);
		free(r->stages[i].cands);
		free(r->stages[i].note);
	}
	free(r->stages);
	for (int i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->notes);
	if (r->names)
		for (int i = 0; i < r->ncand; i++)
			free(r->names[i]);
	free(r->names);
	free(r->title);
	free(r->withdrawn);
	free(r->elected);
	free(r->elected_stage);
	free(r);
}

int stv_result_elected_count(const stv_result *r)
{
	return r->nelected;
}

int stv_result_elected(const stv_result *r, int i)
{
	return i >= 0 && i < r->nelected ? r->elected[i] : -1;
}

int stv_result_stages(const stv_result *r)
{
	return r->nstages;
}
