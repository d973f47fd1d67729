/*
 * count.c: stv_count, the one entry point that runs a rule.  It prepares
 * the view the rule counts and the empty result, and checks afterwards
 * that the rule kept its promises (seats filled, stages recorded).
 */
#include "stv_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compares a name with a RON name, ignoring case, '-', '.' and spaces. */
static int same_loose(const char *name, const char *ron)
{
	for (;;) {
		while (*name == ' ' || *name == '-' || *name == '.' ||
		       *name == '(' || *name == ')')
			name++;
		while (*ron == ' ')
			ron++;
		if (*name == '\0' || *ron == '\0')
			return *name == '\0' && *ron == '\0';
		if (tolower((unsigned char)*name) != *ron)
			return 0;
		name++;
		ron++;
	}
}

int stv_find_ron(const stv_election *e)
{
	static const char *const names[] = {
	    "reopen nominations", "reopen nominations ron", "ron",
	    "none of these",
	    "none of the above", "none of these candidates",
	};

	for (int i = 0; i < e->ncand; i++)
		for (size_t j = 0; j < sizeof names / sizeof names[0]; j++)
			if (same_loose(e->names[i], names[j]))
				return i;
	return -1;
}

static stv_result *result_new(const stv_election *e, const stv_options *opt,
                              int seats)
{
	stv_result *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	r->rule = opt->rule;
	r->seats = seats;
	r->places = stv_rule_places(opt->rule);
	r->ncand = e->ncand;
	r->papers = e->papers;
	r->invalid = e->invalid;
	r->seeded = opt->seeded;
	r->seed = opt->seed;
	r->constrained = opt->constraints != NULL;
	r->ron = stv_find_ron(e);
	r->names = calloc((size_t)e->ncand, sizeof *r->names);
	r->withdrawn = malloc((size_t)e->ncand);
	r->elected = malloc((size_t)e->ncand * sizeof *r->elected);
	r->elected_stage = malloc((size_t)e->ncand * sizeof *r->elected_stage);
	r->title = strdup(e->title ? e->title : "");
	if (r->names == NULL || r->withdrawn == NULL || r->elected == NULL ||
	    r->elected_stage == NULL || r->title == NULL)
		goto bad;
	memcpy(r->withdrawn, e->withdrawn, (size_t)e->ncand);
	for (int i = 0; i < e->ncand; i++)
		if ((r->names[i] = strdup(e->names[i])) == NULL)
			goto bad;
	return r;
bad:
	stv_result_free(r);
	return NULL;
}

stv_status stv_count(const stv_election *e, const stv_options *opt,
                     stv_result **out, stv_error *err)
{
	static stv_status (*const rules[])(stv_count_ctx *) = {
	    [STV_RULE_SCOTTISH] = stv_count_scottish,
	    [STV_RULE_MEEK] = stv_count_meek,
	    [STV_RULE_WIGM] = stv_count_wigm,
	    [STV_RULE_ERS97] = stv_count_ers97,
	    [STV_RULE_IRV] = stv_count_irv,
	};
	int seats = opt->seats > 0 ? opt->seats : e->seats;
	int eligible = 0;
	stv_view v;
	stv_count_ctx c;
	stv_status st;

	*out = NULL;
	memset(err, 0, sizeof *err);
	if ((unsigned)opt->rule >= sizeof rules / sizeof rules[0]) {
		snprintf(err->msg, sizeof err->msg, "unknown rule");
		return STV_ERR_INVALID;
	}
	for (int i = 0; i < e->ncand; i++)
		eligible += !e->withdrawn[i];
	if (opt->rule == STV_RULE_IRV && seats != 1) {
		snprintf(err->msg, sizeof err->msg,
		         "irv fills one seat; %d were asked for", seats);
		return STV_ERR_INVALID;
	}
	if (seats > eligible) {
		snprintf(err->msg, sizeof err->msg,
		         "%d seats but only %d candidates who have not "
		         "withdrawn",
		         seats, eligible);
		return STV_ERR_INVALID;
	}
	if (e->papers == 0) {
		snprintf(err->msg, sizeof err->msg, "no valid ballots to count");
		return STV_ERR_INVALID;
	}
	if (opt->constraints != NULL) {
		uint8_t *state = malloc((size_t)e->ncand);

		if (state == NULL) {
			snprintf(err->msg, sizeof err->msg, "out of memory");
			return STV_ERR_NOMEM;
		}
		for (int i = 0; i < e->ncand; i++)
			state[i] = e->withdrawn[i] ? STV_WITHDRAWN : STV_HOPEFUL;
		int ok = stv_cons_feasible(opt->constraints, seats, state);
		free(state);
		if (!ok) {
			snprintf(err->msg, sizeof err->msg,
			         "the constraints cannot be met: no set of %d "
			         "candidates who have not withdrawn satisfies "
			         "every minimum and maximum",
			         seats);
			return STV_ERR_INVALID;
		}
	}
	/* No rule here takes equal rankings yet: see docs/stv.md. */
	if ((st = stv_view_make(e, seats, 0, &v)) != STV_OK) {
		snprintf(err->msg, sizeof err->msg, "out of memory");
		return st;
	}
	memset(&c, 0, sizeof c);
	c.e = e;
	c.opt = opt;
	c.v = &v;
	c.err = err;
	c.rng = opt->seed;
	c.k = opt->constraints;
	if ((c.res = result_new(e, opt, seats)) == NULL) {
		stv_view_free(&v);
		snprintf(err->msg, sizeof err->msg, "out of memory");
		return STV_ERR_NOMEM;
	}
	c.res->papers = v.papers;
	if (v.papers == 0) {
		stv_view_free(&v);
		stv_result_free(c.res);
		snprintf(err->msg, sizeof err->msg,
		         "no valid ballots to count: every ballot names only "
		         "withdrawn candidates");
		return STV_ERR_INVALID;
	}
	if (v.papers < e->papers &&
	    stv_res_note(&c,
	                 "%lld ballots named only withdrawn candidates and "
	                 "are not counted",
	                 (long long)(e->papers - v.papers)) != STV_OK)
		st = STV_ERR_NOMEM;
	else if (opt->seeded && stv_res_note(&c, "ties by lot drawn with seed %llu",
	                                (unsigned long long)opt->seed) != STV_OK)
		st = STV_ERR_NOMEM;
	else
		st = rules[opt->rule](&c);
	stv_view_free(&v);
	if (st == STV_OK && c.res->nelected != seats) {
		snprintf(err->msg, sizeof err->msg,
		         "internal error: %d of %d seats filled",
		         c.res->nelected, seats);
		st = STV_ERR_INVALID;
	}
	for (int i = 0; st == STV_OK && i < c.res->nelected; i++)
		if (c.res->elected[i] == c.res->ron)
			st = stv_res_note(&c,
			                  "%s is elected: under the usual rules "
			                  "the seat it fills is left vacant and "
			                  "nominations re-open for it",
			                  c.res->names[c.res->ron]);
	if (st != STV_OK) {
		stv_result_free(c.res);
		return st;
	}
	*out = c.res;
	return STV_OK;
}
