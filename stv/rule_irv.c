/*
 * rule_irv.c: instant runoff for one seat, in whole votes.
 *
 * Each stage counts every ballot for its highest-ranked continuing
 * candidate.  A candidate with more than half of the votes held by
 * continuing candidates is elected; otherwise the candidate with fewest
 * votes is excluded and their ballots pass on.  A tie for fewest is
 * settled by the most recent earlier stage at which the tied candidates
 * differed (fewest there goes), and failing that by lot.  With two
 * continuing candidates left the larger wins; a tie between the last two
 * is decided by the same look-back and then by lot (the lot picks the one
 * to exclude).
 */
#include "stv_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t sum_active(const int64_t *votes, const uint8_t *out, int n)
{
	int64_t t = 0;

	for (int i = 0; i < n; i++)
		t += out[i] ? 0 : votes[i];
	return t;
}

stv_status stv_count_irv(stv_count_ctx *c)
{
	const stv_view *v = c->v;
	int n = v->ncand;
	int64_t *votes = calloc((size_t)n, sizeof *votes);
	uint32_t *pos = calloc(v->nrk ? v->nrk : 1, sizeof *pos);
	uint8_t *out = calloc((size_t)n, 1); /* excluded or withdrawn */
	uint8_t *state = calloc((size_t)n, 1);
	int *tied = malloc((size_t)n * sizeof *tied);
	uint8_t *doomed = calloc((size_t)n, 1);
	uint8_t *guarded = calloc((size_t)n, 1);
	int64_t *votes_before = calloc((size_t)n, sizeof *votes_before);
	stv_status st = STV_OK;
	int continuing = 0;

	if (!votes || !pos || !out || !state || !tied || !doomed || !guarded ||
	    !votes_before) {
		st = STV_ERR_NOMEM;
		goto done;
	}
	for (int i = 0; i < n; i++) {
		out[i] = c->e->withdrawn[i];
		state[i] = out[i] ? STV_WITHDRAWN : STV_HOPEFUL;
		continuing += !out[i];
	}
	for (size_t k = 0; k < v->nrk; k++)
		if (v->rk[k].len > 0)
			votes[v->ranks[v->rk[k].off]] += v->rk[k].weight;
	if ((st = stv_res_stage(c, STV_FIRST, NULL, 0, votes,
	                        v->papers - sum_active(votes, out, n))) !=
	    STV_OK)
		goto done;
	for (;;) {
		int64_t active = sum_active(votes, out, n), low = INT64_MAX;
		int top = -1, excl, ntied = 0, ndoomed = 0;

		/* Constraints first: a doomed candidate cannot win, so is
		 * excluded before anything else (docs/stv.md). */
		if (c->k != NULL)
			ndoomed = stv_cons_check(c, state, doomed, guarded);
		for (int i = 0; i < n; i++)
			if (!out[i] && (top < 0 || votes[i] > votes[top]))
				top = i;
		if (ndoomed == 0 &&
		    (continuing == 1 || 2 * votes[top] > active)) {
			c->res->quota = active / 2 + 1;
			st = stv_res_elect(c, top);
			goto done;
		}
		/* Fewest votes among the doomed if any, else among the
		 * unguarded; ties settled by looking back, then by lot. */
		for (int i = 0; i < n; i++)
			if (!out[i] && (ndoomed ? doomed[i] : !guarded[i]) &&
			    votes[i] < low)
				low = votes[i];
		for (int i = 0; i < n; i++)
			if (!out[i] && (ndoomed ? doomed[i] : !guarded[i]) &&
			    votes[i] == low)
				tied[ntied++] = i;
		for (int s = c->res->nstages - 2; s >= 0 && ntied > 1; s--) {
			const int64_t *pv = c->res->stages[s].votes;
			int64_t m = INT64_MAX;
			int k = 0;

			for (int i = 0; i < ntied; i++)
				if (pv[tied[i]] < m)
					m = pv[tied[i]];
			for (int i = 0; i < ntied; i++)
				if (pv[tied[i]] == m)
					tied[k++] = tied[i];
			if (k < ntied &&
			    (st = stv_res_note(c,
			                       "stage %d: tie for fewest votes "
			                       "settled by the votes at stage %d",
			                       c->res->nstages + 1, s + 1)) !=
			        STV_OK)
				goto done;
			ntied = k;
		}
		excl = ntied > 1 ? tied[stv_lot(c, tied, ntied, "exclusion")]
		                 : tied[0];
		out[excl] = 1;
		state[excl] = STV_EXCLUDED;
		continuing--;
		memcpy(votes_before, votes, (size_t)n * sizeof *votes);
		/* Pass the excluded candidate's ballots on. */
		for (size_t k = 0; k < v->nrk; k++) {
			const stv_ranking *r = &v->rk[k];
			const int32_t *rr = v->ranks + r->off;
			uint32_t p = pos[k];

			if (p >= r->len || rr[p] != excl)
				continue;
			while (p < r->len && out[rr[p]])
				p++;
			pos[k] = p;
			if (p < r->len)
				votes[rr[p]] += r->weight;
		}
		votes[excl] = 0;
		if ((st = stv_res_stage(c, STV_EXCLUDE, &excl, 1, votes,
		                        v->papers - sum_active(votes, out, n))) !=
		    STV_OK)
			goto done;
		if (ndoomed) {
			char why[512];

			st = stv_res_stage_note(
			    c,
			    "excluded: %s cannot be elected without breaking "
			    "a constraint: %s",
			    c->res->names[excl],
			    stv_cons_describe(c->k, excl, why, sizeof why));
		} else if (c->k != NULL && low > 0) {
			/* Say so when a guarded candidate with fewer votes
			 * was passed over. */
			for (int i = 0; i < n && st == STV_OK; i++)
				if (!out[i] && guarded[i] && votes_before[i] < low)
					st = stv_res_stage_note(
					    c,
					    "%s, with fewer votes, is kept "
					    "by a constraint",
					    c->res->names[i]);
		}
		if (st != STV_OK)
			goto done;
	}
done:
	free(votes);
	free(pos);
	free(out);
	free(state);
	free(tied);
	free(doomed);
	free(guarded);
	free(votes_before);
	if (st == STV_ERR_NOMEM)
		snprintf(c->err->msg, sizeof c->err->msg, "out of memory");
	return st;
}
