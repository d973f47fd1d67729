/*
 * view.c: the rankings a rule counts.  Withdrawn candidates are taken out
 * of every ranking (their papers go to the next preference from the
 * start); for rules without equal rankings a ranking is cut before the
 * first rank shared by two or more candidates, since from there the next
 * preference cannot be determined.  Rankings that became identical are
 * merged again.  Papers that name only withdrawn candidates are dropped.
 */
#include "rkset.h"

#include <stdlib.h>
#include <string.h>

static stv_status copy_view(const stv_election *e, int seats, stv_view *out)
{
	size_t nr = e->nranks ? e->nranks : 1;

	out->rk = malloc((e->nrk ? e->nrk : 1) * sizeof *out->rk);
	out->ranks = malloc(nr * sizeof *out->ranks);
	out->eq = malloc(nr);
	if (out->rk == NULL || out->ranks == NULL || out->eq == NULL) {
		stv_view_free(out);
		return STV_ERR_NOMEM;
	}
	if (e->nrk)
		memcpy(out->rk, e->rk, e->nrk * sizeof *out->rk);
	if (e->nranks) {
		memcpy(out->ranks, e->ranks, e->nranks * sizeof *out->ranks);
		memcpy(out->eq, e->eq, e->nranks);
	}
	out->ncand = e->ncand;
	out->seats = seats;
	out->nrk = e->nrk;
	out->papers = e->papers;
	return STV_OK;
}

stv_status stv_view_make(const stv_election *e, int seats, int keep_equal,
                         stv_view *out)
{
	stv_rkset set = {0};
	int64_t papers = 0;
	int32_t *r = malloc(((size_t)e->ncand + 1) * sizeof *r);
	uint8_t *eq = malloc((size_t)e->ncand + 1);
	stv_status st = STV_OK;

	memset(out, 0, sizeof *out);
	int any_withdrawn = 0;
	for (int i = 0; i < e->ncand; i++)
		any_withdrawn |= e->withdrawn[i];
	if (!any_withdrawn && !e->has_equal) {
		/* Nothing to take out or cut: the election's rankings are
		 * already distinct, so copy them instead of hashing again. */
		free(r);
		free(eq);
		return copy_view(e, seats, out);
	}
	if (r == NULL || eq == NULL) {
		st = STV_ERR_NOMEM;
		goto out;
	}
	for (size_t k = 0; k < e->nrk; k++) {
		const stv_ranking *rk = &e->rk[k];
		const int32_t *src = e->ranks + rk->off;
		const uint8_t *seq = e->eq + rk->off;
		uint32_t len = 0, i = 0;
		int named = 0; /* names a candidate who has not withdrawn */

		while (i < rk->len) {
			/* One rank: src[i] and any following '=' entries. */
			uint32_t j = i + 1, start = len;

			while (j < rk->len && seq[j])
				j++;
			for (uint32_t x = i; x < j; x++) {
				if (e->withdrawn[src[x]])
					continue;
				named = 1;
				r[len] = src[x];
				eq[len] = len > start;
				len++;
			}
			if (!keep_equal && len - start > 1) {
				len = start;
				break;
			}
			i = j;
		}
		/* A paper naming only withdrawn candidates is not a vote for
		 * anyone still standing: it is left out of the total (and so
		 * of the quota), as the reference counts do. */
		if (!named)
			continue;
		papers += rk->weight;
		if ((st = stv_rkset_add(&set, r, eq, len, rk->weight)) != STV_OK)
			goto out;
	}
	stv_rkset_done(&set);
	/* Rules index v->ranks + off even for empty rankings: never NULL. */
	if (set.ranks == NULL &&
	    ((set.ranks = malloc(sizeof *set.ranks)) == NULL ||
	     (set.eq = malloc(1)) == NULL)) {
		st = STV_ERR_NOMEM;
		goto out;
	}
	out->ncand = e->ncand;
	out->seats = seats;
	out->rk = set.rk;
	out->nrk = set.nrk;
	out->ranks = set.ranks;
	out->eq = set.eq;
	out->papers = papers;
	memset(&set, 0, sizeof set);
out:
	stv_rkset_free(&set);
	free(r);
	free(eq);
	return st;
}

void stv_view_free(stv_view *v)
{
	free(v->rk);
	free(v->ranks);
	free(v->eq);
	memset(v, 0, sizeof *v);
}
