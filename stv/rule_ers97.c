/*
 * rule_ers97.c: the Electoral Reform Society's 1997 STV rules (ERS97),
 * counted in hundredths exactly as OpenSTV 1.7 counts them (its ERS97STV
 * method, ties it cannot settle broken by candidate order).
 *
 * The rules in brief, with the readings OpenSTV gives them:
 *
 * - Quota (5.1.6): the valid vote divided by seats + 1, rounded up to the
 *   next hundredth.  While nobody has been deemed elected it is worked out
 *   again after every transfer from the votes still held by candidates
 *   (5.4.8), so it only falls.  A paper whose every preference is for a
 *   withdrawn candidate is an invalid paper and not part of the valid vote
 *   (OpenSTV drops it before counting).
 * - Election (5.1.7, 5.3.13, 5.4.9): a continuing candidate is deemed
 *   elected on reaching the lesser of the quota and the total active vote
 *   divided by one more than the places left (at least 0.01).  If one
 *   more candidate reaches it than there are places, the one with the
 *   fewest votes is left out.
 * - Surplus (5.3): only the last batch of papers received is examined;
 *   if its transferable papers are worth more than the surplus, each is
 *   passed on at surplus / papers, truncated to hundredths, otherwise at
 *   its present value.  The transferor keeps exactly the quota.
 * - Deferral and bulk exclusion (5.2.2, 5.2.5): the continuing candidates
 *   are grouped by equal votes from the bottom; the largest bottom group
 *   whose votes plus all surpluses do not exceed the vote of the next
 *   candidate up, and which leaves enough candidates, is excluded, and
 *   while such a group exists the surpluses wait.  At the very first
 *   exclusion, if that group holds no votes at all (and there is no
 *   surplus), the lowest other candidate goes with it.
 * - Exclusion (5.4): the excluded candidates' papers are transferred in
 *   sub-stages, one per transfer value, highest first; candidates may be
 *   elected between sub-stages and then receive no more papers.  The
 *   count stops as soon as it is over, even in the middle of an exclusion.
 * - Ties on votes are settled by the earliest round (sub-stages included)
 *   at which the tied candidates had unequal votes, looking forward from
 *   the first stage; failing that, by lot (stv_lot).
 * - End (5.5): when every place is filled the rest are excluded; when as
 *   many candidates are left as places, those with any votes are elected.
 *
 * Bookkeeping: each distinct ranking (with its weight) is one parcel of
 * papers that always travels together.  A candidate's papers form a
 * singly linked list of rankings threaded through next[]; the last batch
 * received is the tail of that list from bhead[].  A ranking's pos[] is
 * the index, within the ranking, of the candidate holding it, so the next
 * available preference is found by scanning forward from there.
 */
#include "stv_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

/* Candidate status.  OVER: elected, surplus not yet transferred; EVEN:
 * elected and transferred (the vote is frozen at the quota). */
enum { HOPE, OVER, EVEN, LOSER, GONE };

/* Pending-stage notes, written when the stage is appended. */
enum { NOTE_DEFER = 1, NOTE_QUOTA = 2, NOTE_CUT = 4, NOTE_DOOMED = 8 };

typedef struct {
	stv_count_ctx *c;
	const stv_view *v;
	int n, seats;
	int64_t total; /* valid vote, scaled */

	/* Per ranking. */
	uint32_t *next; /* the next ranking in the same pile */
	uint32_t *pos;  /* index in the ranking of its holder */
	int64_t *tv;    /* value of one paper, scaled */

	/* Per candidate. */
	uint8_t *st;
	uint32_t *head, *tail, *bhead;
	uint32_t *stamp; /* transfer id that last opened a batch */
	uint32_t xfer;
	int64_t *pile; /* value of the papers held */
	int64_t *cur;  /* vote shown at the current round */
	int nwin, ncont, first_elim;

	/* Per round (sub-stages are rounds too). */
	int64_t *cnt; /* cnt[r * n + c] */
	int64_t *exh, *quota, *thresh, *surplus;
	int R, caprounds;

	/* Elected candidates, in order, with the round of election. */
	int *el, *elr;
	int nel, nflushed;

	/* The stage being built. */
	int pending;
	stv_action sact;
	int *scand;
	int nscand;
	int snotes, ssub, snsub;

	/* Scratch. */
	int *list, *list2, *tie, *sl;
	int64_t *vals;
	uint32_t *batch;
	uint8_t *state, *doomed, *guarded;
} ers;

static int64_t *cnt_at(const ers *e, int r)
{
	return e->cnt + (size_t)r * (size_t)e->n;
}

/* Python's floor division and its rounded-up counterpart (b > 0); the
 * values are never negative in a sane count, but the arithmetic must not
 * change meaning if they are. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && a < 0)
		q--;
	return q;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
	return -floor_div(-a, b);
}

static stv_status nomem(ers *e)
{
	strcpy(e->c->err->msg, "out of memory");
	return STV_ERR_NOMEM;
}

/* Opens round R + 1, carrying the quota and threshold forward. */
static stv_status new_round(ers *e)
{
	int r = e->R + 1;

	if (r >= e->caprounds) {
		int cap = e->caprounds ? 2 * e->caprounds : 64;
		size_t rowsz = (size_t)e->n * sizeof(int64_t);
		int64_t *p;

		p = realloc(e->cnt, (size_t)cap * rowsz);
		if (p == NULL)
			return nomem(e);
		e->cnt = p;
		int64_t **arr[] = {&e->exh, &e->quota, &e->thresh, &e->surplus};
		for (size_t i = 0; i < sizeof arr / sizeof arr[0]; i++) {
			p = realloc(*arr[i], (size_t)cap * sizeof(int64_t));
			if (p == NULL)
				return nomem(e);
			*arr[i] = p;
		}
		e->caprounds = cap;
	}
	e->R = r;
	e->quota[r] = r > 0 ? e->quota[r - 1] : 0;
	e->thresh[r] = r > 0 ? e->thresh[r - 1] : 0;
	e->surplus[r] = 0;
	e->exh[r] = 0;
	return STV_OK;
}

/* Appends ranking k to candidate d's pile; the first paper a candidate
 * receives in a transfer opens a new batch. */
static void give(ers *e, uint32_t k, int d)
{
	e->next[k] = NONE;
	if (e->tail[d] == NONE)
		e->head[d] = k;
	else
		e->next[e->tail[d]] = k;
	e->tail[d] = k;
	if (e->stamp[d] != e->xfer) {
		e->stamp[d] = e->xfer;
		e->bhead[d] = k;
	}
	e->pile[d] += e->v->rk[k].weight * e->tv[k];
}

/* Moves pos[k] to the next continuing candidate on ranking k; returns
 * that candidate, or -1 when the paper is non-transferable. */
static int advance(ers *e, uint32_t k)
{
	const stv_ranking *rk = &e->v->rk[k];
	uint32_t i = e->pos[k] + 1;

	for (; i < rk->len; i++) {
		int d = e->v->ranks[rk->off + i];

		if (e->st[d] == HOPE) {
			e->pos[k] = i;
			return d;
		}
	}
	e->pos[k] = rk->len;
	return -1;
}

static int holder(const ers *e, uint32_t k)
{
	return e->v->ranks[e->v->rk[k].off + e->pos[k]];
}

/* ---- the constraint hooks ---- */

/* Fills e->doomed and e->guarded for the current state; returns the
 * number of doomed hopefuls (0 without constraints). */
static int cons(ers *e)
{
	if (e->c->k == NULL)
		return 0;
	for (int i = 0; i < e->n; i++) {
		switch (e->st[i]) {
		case HOPE:
			e->state[i] = STV_HOPEFUL;
			break;
		case OVER:
		case EVEN:
			e->state[i] = STV_ELECTED;
			break;
		case LOSER:
			e->state[i] = STV_EXCLUDED;
			break;
		default:
			e->state[i] = STV_WITHDRAWN;
		}
	}
	memset(e->doomed, 0, (size_t)e->n);
	memset(e->guarded, 0, (size_t)e->n);
	int nd = stv_cons_check(e->c, e->state, e->doomed, e->guarded);
	int hd = 0;

	for (int i = 0; i < e->n; i++)
		if (e->st[i] == HOPE && e->doomed[i])
			hd++;
	return nd > 0 ? hd : 0;
}

/* Whether the seats can still be filled within the constraints once all
 * of g[0..m) are excluded.  Guarded is a test of one candidate at a time;
 * a group excluded together needs this (always 1 without constraints). */
static int can_drop(ers *e, const int *g, int m)
{
	if (e->c->k == NULL)
		return 1;
	for (int i = 0; i < e->n; i++)
		e->state[i] = e->st[i] == HOPE ? STV_HOPEFUL
		              : e->st[i] == OVER || e->st[i] == EVEN
		                  ? STV_ELECTED
		              : e->st[i] == LOSER ? STV_EXCLUDED
		                                  : STV_WITHDRAWN;
	for (int j = 0; j < m; j++)
		e->state[g[j]] = STV_EXCLUDED;
	return stv_cons_feasible(e->c->k, e->seats, e->state);
}

/* ---- ties ---- */

/*
 * Of list[0..m), the one with the most (most != 0) or fewest votes at
 * round r.  A tie is settled by the earliest earlier round at which the
 * tied candidates' votes differ (rules 5.2.3, 5.2.5, 5.6.2, read as
 * OpenSTV's "forward" look), and failing that by lot.
 */
static int weak_tie(ers *e, int r, const int *list, int m, int most,
                    const char *what)
{
	int nt = 0;

	memcpy(e->tie, list, (size_t)m * sizeof(int));
	nt = m;
	for (int i = -1; i < r && nt > 1; i++) {
		const int64_t *row = cnt_at(e, i < 0 ? r : i);
		int64_t best = row[e->tie[0]];
		int k = 0;

		for (int j = 1; j < nt; j++) {
			int64_t x = row[e->tie[j]];

			if (most ? x > best : x < best)
				best = x;
		}
		for (int j = 0; j < nt; j++)
			if (row[e->tie[j]] == best)
				e->tie[k++] = e->tie[j];
		nt = k;
	}
	if (nt == 1)
		return e->tie[0];
	return e->tie[stv_lot(e->c, e->tie, nt, what)];
}

/* ---- a round's accounting (OpenSTV's updateRound) ---- */

static void update_thresh(ers *e)
{
	int r = e->R;
	int64_t q, active = 0;

	if (e->nwin == 0) {
		int64_t q0 = e->quota[r];

		q = ceil_div(e->total - e->exh[r], e->seats + 1);
		e->quota[r] = q;
		if (r > 0 && q != q0)
			e->snotes |= NOTE_QUOTA;
	} else {
		q = e->quota[r];
	}
	for (int i = 0; i < e->n; i++) {
		if (e->st[i] == HOPE || e->st[i] == LOSER)
			active += e->cur[i];
		else if (e->st[i] == OVER && e->cur[i] > q)
			active += e->cur[i] - q;
	}
	if (e->seats > e->nwin)
		e->thresh[r] = ceil_div(active, e->seats - e->nwin + 1);
}

static void update_surplus(ers *e)
{
	int r = e->R;
	int64_t s = 0;

	for (int i = 0; i < e->n; i++)
		if ((e->st[i] == OVER || e->st[i] == HOPE) &&
		    e->cur[i] > e->quota[r])
			s += e->cur[i] - e->quota[r];
	e->surplus[r] = s;
}

static void elect(ers *e, int d)
{
	e->st[d] = OVER;
	e->ncont--;
	e->nwin++;
	e->el[e->nel] = d;
	e->elr[e->nel] = e->R;
	e->nel++;
}

/* Deems elected every continuing candidate at the threshold, then again
 * while electing them lowers it. */
static void update_winners(ers *e)
{
	int r = e->R;

	while (e->nwin < e->seats) {
		int64_t t = e->thresh[r] > 1 ? e->thresh[r] : 1;
		int m = 0;

		for (int i = 0; i < e->n; i++)
			if (e->st[i] == HOPE && e->cur[i] >= t)
				e->list[m++] = i;
		/* One more than there are places: leave out the lowest. */
		while (m > 0 && m + e->nwin > e->seats) {
			int d = weak_tie(e, r, e->list, m, 0,
			                 "a candidate over the threshold "
			                 "to leave out");
			int k = 0;

			for (int j = 0; j < m; j++)
				if (e->list[j] != d)
					e->list[k++] = e->list[j];
			m = k;
		}
		if (m == 0)
			return;
		/* Highest first (stable), as rules 5.1.7 etc. consider them. */
		for (int j = 1; j < m; j++) {
			int x = e->list[j], k = j;

			while (k > 0 && e->cur[e->list[k - 1]] < e->cur[x]) {
				e->list[k] = e->list[k - 1];
				k--;
			}
			e->list[k] = x;
		}
		int nel0 = e->nel;

		for (int j = 0; j < m; j++) {
			/* A doomed candidate at the threshold is not elected;
			 * the next decision excludes it. */
			if (e->c->k != NULL && cons(e) > 0 &&
			    e->doomed[e->list[j]])
				continue;
			elect(e, e->list[j]);
		}
		if (e->nel == nel0)
			return;
		update_thresh(e);
		update_surplus(e);
	}
}

/* The votes at round R: piles, except elected-and-transferred candidates,
 * whose vote stays at the quota they kept. */
static void update_round(ers *e, int transferor)
{
	int r = e->R;
	int64_t sum = 0;

	for (int i = 0; i < e->n; i++) {
		if (e->st[i] == EVEN) {
			if (i == transferor)
				e->cur[i] = e->quota[r - 1];
		} else if (e->st[i] == GONE) {
			e->cur[i] = 0;
		} else {
			e->cur[i] = e->pile[i];
		}
		sum += e->cur[i];
	}
	memcpy(cnt_at(e, r), e->cur, (size_t)e->n * sizeof(int64_t));
	e->exh[r] = e->total - sum;
	update_thresh(e);
	update_surplus(e);
	update_winners(e);
}

static int over(const ers *e)
{
	return e->nwin >= e->seats || e->ncont + e->nwin <= e->seats;
}

/* ---- choosing whom to exclude ---- */

/*
 * The candidates who can be excluded together (rule 5.2.5) and whose
 * exclusion defers the surpluses (rule 5.2.2), judged on round r: the
 * largest bottom group, cut only between unequal votes, whose votes plus
 * every surplus do not exceed the vote of the next candidate up and which
 * leaves enough candidates.  With constraints the group may not hold a
 * guarded candidate, nor make the constraints unmeetable as a whole.  Writes
 * them to out[]; returns how many.
 */
static int sure_losers(ers *e, int r, int *out)
{
	const int64_t *row = cnt_at(e, r);
	int maxl = e->ncont + e->nwin - e->seats;
	int m = 0, best = 0;
	int64_t tc = 0, s;

	for (int i = 0; i < e->n; i++)
		if (e->st[i] == HOPE) {
			e->sl[m++] = i;
			tc += row[i];
		}
	if (tc == 0 && e->surplus[r] == 0) {
		/*
		 * Every continuing candidate holds nothing.  OpenSTV
		 * excludes them all and leaves places unfilled; rule 5.2.5(a)
		 * keeps enough of them to fill the places (rule 5.5.1 then
		 * elects them), so exclude only as many as may go, the
		 * lowest at earlier rounds first.
		 */
		int k = 0, nb = 0;

		for (int j = 0; j < m; j++)
			if (!(e->c->k != NULL && e->guarded[e->sl[j]]))
				e->sl[nb++] = e->sl[j];
		while (k < maxl && nb > 0) {
			int d = weak_tie(e, r, e->sl, nb, 0,
			                 "the candidate to exclude");
			int j = 0;

			out[k] = d;
			if (can_drop(e, out, k + 1))
				k++;
			for (int i = 0; i < nb; i++)
				if (e->sl[i] != d)
					e->sl[j++] = e->sl[i];
			nb = j;
		}
		return k;
	}
	/* Fewest first, candidate order among equals. */
	for (int j = 1; j < m; j++) {
		int x = e->sl[j], k = j;

		while (k > 0 && row[e->sl[k - 1]] > row[x]) {
			e->sl[k] = e->sl[k - 1];
			k--;
		}
		e->sl[k] = x;
	}
	s = e->surplus[r];
	for (int j = 0; j < m;) {
		int64_t v = row[e->sl[j]];
		int k = j;
		int guard = 0;

		while (k < m && row[e->sl[k]] == v) {
			if (e->c->k != NULL && e->guarded[e->sl[k]])
				guard = 1;
			s += v;
			k++;
		}
		if (k >= m || guard)
			break;
		if (s <= row[e->sl[k]] && k <= maxl) {
			if (!can_drop(e, e->sl, k))
				break; /* and so would any larger group */
			best = k;
		}
		j = k;
	}
	memcpy(out, e->sl, (size_t)best * sizeof(int));
	return best;
}

/* The lowest continuing candidate at round r (not a guarded one). */
static int lowest(ers *e, int r, const int *skip, int nskip)
{
	int m = 0;

	for (int pass = 0; pass < 2 && m == 0; pass++)
		for (int i = 0; i < e->n; i++) {
			int skipped = 0;

			if (e->st[i] != HOPE)
				continue;
			for (int j = 0; j < nskip; j++)
				if (skip[j] == i)
					skipped = 1;
			if (skipped ||
			    (pass == 0 && e->c->k != NULL && e->guarded[i]))
				continue;
			e->list[m++] = i;
		}
	if (m == 0)
		return -1;
	return weak_tie(e, r, e->list, m, 0, "the candidate to exclude");
}

/* Whom to exclude at the new round R, judged on round R - 1. */
static int select_losers(ers *e, int *out)
{
	int r = e->R - 1;
	int m = sure_losers(e, r, out);

	if (e->first_elim && m > 0 && e->surplus[r] == 0 &&
	    e->ncont - m + e->nwin > e->seats) {
		int64_t sum = 0;

		for (int j = 0; j < m; j++)
			sum += cnt_at(e, r)[out[j]];
		if (sum == 0) {
			/* OpenSTV's first exclusion: a group with no votes
			 * at all takes the next lowest with it. */
			int d = lowest(e, r, out, m);

			out[m] = d;
			if (d >= 0 && can_drop(e, out, m + 1))
				m++;
		}
	}
	e->first_elim = 0;
	if (m == 0) {
		int d = lowest(e, r, NULL, 0);

		if (d >= 0)
			out[m++] = d;
	}
	return m;
}

/* ---- the two kinds of stage ---- */

static void sort_ints(int *a, int m)
{
	for (int j = 1; j < m; j++) {
		int x = a[j], k = j;

		while (k > 0 && a[k - 1] > x) {
			a[k] = a[k - 1];
			k--;
		}
		a[k] = x;
	}
}

/* Excludes out[0..m) at round R and transfers their papers, one
 * sub-stage (round) per transfer value, highest first. */
static stv_status exclude(ers *e, const int *out, int m)
{
	size_t nb = 0;
	int nv = 0;
	stv_status s;

	memcpy(e->scand, out, (size_t)m * sizeof(int));
	sort_ints(e->scand, m);
	e->nscand = m;
	e->sact = STV_EXCLUDE;
	for (int j = 0; j < m; j++) {
		int d = out[j];

		e->st[d] = LOSER;
		e->ncont--;
		for (uint32_t k = e->head[d]; k != NONE; k = e->next[k])
			e->batch[nb++] = k;
		e->head[d] = e->tail[d] = e->bhead[d] = NONE;
	}
	/* The distinct transfer values, highest first.  A value is set only
	 * by a surplus transfer, so there are at most n + 1 of them. */
	for (size_t i = 0; i < nb; i++) {
		int64_t x = e->tv[e->batch[i]];
		int j = 0;

		while (j < nv && e->vals[j] > x)
			j++;
		if (j < nv && e->vals[j] == x)
			continue;
		memmove(e->vals + j + 1, e->vals + j,
		        (size_t)(nv - j) * sizeof(int64_t));
		e->vals[j] = x;
		nv++;
	}
	e->snsub = nv;
	e->ssub = 0;
	if (nv == 0) {
		update_round(e, -1);
		update_winners(e);
		return STV_OK;
	}
	for (int j = 0; j < nv; j++) {
		if (j > 0 && (s = new_round(e)) != STV_OK)
			return s;
		e->xfer++;
		for (size_t i = 0; i < nb; i++) {
			uint32_t k = e->batch[i];
			int d;

			if (e->tv[k] != e->vals[j])
				continue;
			e->pile[holder(e, k)] -= e->v->rk[k].weight * e->tv[k];
			d = advance(e, k);
			if (d >= 0)
				give(e, k, d);
		}
		e->ssub = j + 1;
		update_round(e, -1);
		if (over(e))
			break;
	}
	if (e->ssub < nv)
		e->snotes |= NOTE_CUT;
	return STV_OK;
}

/* Transfers the largest surplus at round R (rule 5.3): the last batch
 * only, at surplus / transferable papers when they are worth more. */
static void transfer_surplus(ers *e, int d)
{
	int r = e->R;
	int64_t surplus = cnt_at(e, r - 1)[d] - e->quota[r - 1];
	int64_t value = 0, papers = 0, ntv = 0;
	int reduce;

	e->st[d] = EVEN;
	e->scand[0] = d;
	e->nscand = 1;
	e->sact = STV_SURPLUS;
	for (uint32_t k = e->bhead[d]; k != NONE; k = e->next[k])
		if (advance(e, k) >= 0) {
			value += e->v->rk[k].weight * e->tv[k];
			papers += e->v->rk[k].weight;
		}
	reduce = value > surplus && papers > 0;
	if (reduce)
		ntv = floor_div(surplus, papers);
	e->xfer++;
	for (uint32_t k = e->bhead[d], nx; k != NONE; k = nx) {
		const stv_ranking *rk = &e->v->rk[k];

		nx = e->next[k];
		if (reduce)
			e->tv[k] = ntv;
		if (e->pos[k] < rk->len)
			give(e, k, e->v->ranks[rk->off + e->pos[k]]);
	}
	e->head[d] = e->tail[d] = e->bhead[d] = NONE;
	e->pile[d] = 0;
	update_round(e, d);
}

/* ---- results ---- */

/* Appends the stage being built, then the candidates deemed elected in
 * it, by round, then votes (highest first), then candidate order. */
static stv_status flush(ers *e)
{
	stv_count_ctx *c = e->c;
	int r = e->R;
	stv_status s;
	char buf[64];

	if (!e->pending)
		return STV_OK;
	e->pending = 0;
	s = stv_res_stage(c, e->sact, e->nscand ? e->scand : NULL, e->nscand,
	                  cnt_at(e, r), e->exh[r]);
	for (int j = 0;
	     s == STV_OK && (e->snotes & NOTE_DOOMED) && j < e->nscand; j++) {
		char cats[256];

		stv_cons_describe(c->k, e->scand[j], cats, sizeof cats);
		s = stv_res_stage_note(c,
		                       "excluded: %s cannot be elected without "
		                       "breaking a constraint%s%s%s",
		                       c->e->names[e->scand[j]],
		                       cats[0] ? " (" : "", cats,
		                       cats[0] ? ")" : "");
	}
	if (s == STV_OK && (e->snotes & NOTE_DEFER))
		s = stv_res_stage_note(c, "surpluses deferred (rule 5.2.2)");
	if (s == STV_OK && (e->snotes & NOTE_QUOTA)) {
		stv_fmt(buf, sizeof buf, e->quota[r], 2);
		s = stv_res_stage_note(c, "quota lowered to %s (rule 5.4.8)",
		                       buf);
	}
	if (s == STV_OK && (e->snotes & NOTE_CUT))
		s = stv_res_stage_note(c,
		                       "count complete after sub-stage %d of "
		                       "%d; the rest of the papers stay put",
		                       e->ssub, e->snsub);
	e->snotes = 0;
	if (s != STV_OK)
		return s;
	int *el = e->el + e->nflushed, *elr = e->elr + e->nflushed;
	int m = e->nel - e->nflushed;

	for (int j = 1; j < m; j++) {
		int x = el[j], xr = elr[j], k = j;

		for (; k > 0; k--) {
			int y = el[k - 1], yr = elr[k - 1];
			int64_t vx = cnt_at(e, xr)[x], vy = cnt_at(e, yr)[y];

			if (yr < xr ||
			    (yr == xr && (vy > vx || (vy == vx && y < x))))
				break;
			el[k] = y;
			elr[k] = yr;
		}
		el[k] = x;
		elr[k] = xr;
	}
	for (int j = 0; j < m; j++)
		if ((s = stv_res_elect(c, el[j])) != STV_OK)
			return s;
	e->nflushed = e->nel;
	return STV_OK;
}

/* Rule 5.5: all places filled, or only as many candidates as places. */
static void finish(ers *e)
{
	int r = e->R;
	int m = 0;

	if (e->nwin >= e->seats)
		return;
	/*
	 * OpenSTV would now drop candidates with no votes and leave their
	 * places unfilled; rule 5.5.1 deems every remaining candidate
	 * elected, so they are kept.
	 */
	if (e->ncont + e->nwin > e->seats) {
		for (int i = 0; i < e->n; i++)
			if (e->st[i] == HOPE)
				e->list[m++] = i;
		int d = weak_tie(e, r, e->list, m, 0, "the winners");

		e->st[d] = LOSER;
		e->ncont--;
	}
	m = 0;
	for (int i = 0; i < e->n; i++)
		if (e->st[i] == HOPE)
			e->list[m++] = i;
	/* Highest first, so that with constraints a doomed one is the one
	 * left out. */
	for (int j = 1; j < m; j++) {
		int x = e->list[j], k = j;

		while (k > 0 &&
		       cnt_at(e, r)[e->list[k - 1]] < cnt_at(e, r)[x]) {
			e->list[k] = e->list[k - 1];
			k--;
		}
		e->list[k] = x;
	}
	for (int j = 0; j < m; j++) {
		if (e->c->k != NULL && cons(e) > 0 && e->doomed[e->list[j]])
			continue;
		elect(e, e->list[j]);
	}
}

static stv_status count(ers *e)
{
	stv_count_ctx *c = e->c;
	const stv_view *v = e->v;
	stv_status s;

	/* First stage: every non-empty ranking to its first preference. */
	e->R = -1;
	if ((s = new_round(e)) != STV_OK)
		return s;
	e->xfer = 1;
	for (size_t k = 0; k < v->nrk; k++) {
		e->tv[k] = 100;
		e->pos[k] = 0;
		if (v->rk[k].len > 0)
			give(e, (uint32_t)k, v->ranks[v->rk[k].off]);
	}
	e->pending = 1;
	e->sact = STV_FIRST;
	e->nscand = 0;
	update_round(e, -1);

	for (;;) {
		int nd = e->nwin < e->seats ? cons(e) : 0;
		int m;

		if (nd == 0 && over(e))
			break;
		if ((s = flush(e)) != STV_OK)
			return s;
		if ((s = new_round(e)) != STV_OK)
			return s;
		e->pending = 1;
		if (nd > 0) {
			m = 0;
			for (int i = 0; i < e->n; i++)
				if (e->st[i] == HOPE && e->doomed[i])
					e->list[m++] = i;
			memcpy(e->list2, e->list, (size_t)m * sizeof(int));
			e->snotes |= NOTE_DOOMED;
			if ((s = exclude(e, e->list2, m)) != STV_OK)
				return s;
			continue;
		}
		int r = e->R - 1;
		int nover = 0;

		for (int i = 0; i < e->n; i++)
			if (e->st[i] == OVER)
				e->list[nover++] = i;
		m = 0;
		if (e->surplus[r] > 0)
			m = sure_losers(e, r, e->list2);
		if (e->surplus[r] > 0 && m == 0 && nover > 0) {
			int d = weak_tie(e, r, e->list, nover, 1,
			                 "the surplus to transfer");

			transfer_surplus(e, d);
			continue;
		}
		if (e->surplus[r] > 0)
			e->snotes |= NOTE_DEFER;
		m = select_losers(e, e->list2);
		if (m == 0) {
			/* Not reached: a count that is not over has a
			 * continuing candidate, and lowest() falls back to a
			 * guarded one rather than to nobody. */
			snprintf(c->err->msg, sizeof c->err->msg,
			         "ers97: no candidate to exclude");
			return STV_ERR_INVALID;
		}
		if ((s = exclude(e, e->list2, m)) != STV_OK)
			return s;
	}
	finish(e);
	c->res->quota = e->quota[e->R];
	return flush(e);
}

stv_status stv_count_ers97(stv_count_ctx *c)
{
	const stv_view *v = c->v;
	ers e;
	stv_status s = STV_ERR_NOMEM;
	int n = v->ncand;
	size_t nrk = v->nrk ? v->nrk : 1;

	memset(&e, 0, sizeof e);
	e.c = c;
	e.v = v;
	e.n = n;
	e.seats = v->seats;
	e.first_elim = 1;
	for (size_t k = 0; k < v->nrk; k++)
		if (v->rk[k].len > 0)
			e.total += v->rk[k].weight * 100;

	e.next = malloc(nrk * sizeof *e.next);
	e.pos = malloc(nrk * sizeof *e.pos);
	e.tv = malloc(nrk * sizeof *e.tv);
	e.batch = malloc(nrk * sizeof *e.batch);
	e.st = calloc((size_t)n + 1, 1);
	e.head = malloc(((size_t)n + 1) * sizeof *e.head);
	e.tail = malloc(((size_t)n + 1) * sizeof *e.tail);
	e.bhead = malloc(((size_t)n + 1) * sizeof *e.bhead);
	e.stamp = calloc((size_t)n + 1, sizeof *e.stamp);
	e.pile = calloc((size_t)n + 1, sizeof *e.pile);
	e.cur = calloc((size_t)n + 1, sizeof *e.cur);
	e.el = malloc(((size_t)n + 1) * sizeof *e.el);
	e.elr = malloc(((size_t)n + 1) * sizeof *e.elr);
	e.scand = malloc(((size_t)n + 1) * sizeof *e.scand);
	e.list = malloc(((size_t)n + 1) * sizeof *e.list);
	e.list2 = malloc(((size_t)n + 1) * sizeof *e.list2);
	e.tie = malloc(((size_t)n + 1) * sizeof *e.tie);
	e.sl = malloc(((size_t)n + 1) * sizeof *e.sl);
	e.vals = malloc(((size_t)n + 2) * sizeof *e.vals);
	e.state = calloc((size_t)n + 1, 1);
	e.doomed = calloc((size_t)n + 1, 1);
	e.guarded = calloc((size_t)n + 1, 1);
	if (!e.next || !e.pos || !e.tv || !e.batch || !e.st || !e.head ||
	    !e.tail || !e.bhead || !e.stamp || !e.pile || !e.cur || !e.el ||
	    !e.elr || !e.scand || !e.list || !e.list2 || !e.tie || !e.sl ||
	    !e.vals || !e.state || !e.doomed || !e.guarded) {
		nomem(&e);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		e.head[i] = e.tail[i] = e.bhead[i] = NONE;
		if (c->e->withdrawn[i]) {
			e.st[i] = GONE;
		} else {
			e.st[i] = HOPE;
			e.ncont++;
		}
	}
	s = count(&e);
out:
	free(e.next);
	free(e.pos);
	free(e.tv);
	free(e.batch);
	free(e.st);
	free(e.head);
	free(e.tail);
	free(e.bhead);
	free(e.stamp);
	free(e.pile);
	free(e.cur);
	free(e.el);
	free(e.elr);
	free(e.scand);
	free(e.list);
	free(e.list2);
	free(e.tie);
	free(e.sl);
	free(e.vals);
	free(e.state);
	free(e.doomed);
	free(e.guarded);
	free(e.cnt);
	free(e.exh);
	free(e.quota);
	free(e.thresh);
	free(e.surplus);
	return s;
}
