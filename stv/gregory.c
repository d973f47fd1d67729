/*
 * gregory.c: the weighted inclusive Gregory count behind scottish-stv and
 * wigm.
 *
 * The papers are held as the view's distinct rankings.  Each ranking has a
 * current position (the preference it now counts for) and a current value
 * per paper; papers with the same ranking always travel together, so one
 * value serves them all and a candidate's vote is the sum, over the
 * rankings it holds, of value * papers.  Each candidate keeps a pile: the
 * rankings it holds.  A transfer walks only the transferring candidate's
 * pile, never every paper.
 *
 * A surplus transfer passes on every paper the candidate holds (the
 * inclusive method), each at transfer(value, surplus, vote); an exclusion
 * passes them on at their values.  A paper with no continuing candidate
 * left is non-transferable; a stage's non-transferable figure is the valid
 * total less the candidates' votes, so it also holds what truncation lost.
 *
 * The valid total is the view's: a paper that ranked only withdrawn
 * candidates is left out, and so out of the quota, as both references
 * (Droop's scotland and wigm-prf) do.
 *
 * Ties that a rule settles by looking back at earlier stages read the
 * stages already recorded in c->res; how a tie was settled is noted on the
 * stage it decided.  Ties left to lot go to stv_lot, which notes the draw.
 *
 * Constraints (c->k) use the guarded/doomed checks of constraint.c: a
 * doomed candidate is never deemed elected and is excluded, lowest first,
 * before any surplus is transferred; a guarded candidate is never excluded
 * as the lowest.  Each such step is noted on its stage.  With no
 * constraints, or constraints that never mark anyone, the count is the
 * plain rule's, step for step.
 */
#include "gregory.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	uint32_t *rk; /* ranking indices */
	size_t n, cap;
} pile;

typedef struct {
	stv_count_ctx *c;
	const stv_greg_rule *g;
	const stv_view *v;
	int n;     /* candidates */
	int seats; /* to fill */
	int64_t scale, quota, total;

	uint8_t *state;   /* STV_HOPEFUL etc., n entries */
	uint8_t *pending; /* elected with a surplus not yet transferred */
	int64_t *votes;   /* n scaled votes */
	uint32_t *pos;    /* per ranking: index of its current preference */
	int64_t *value;   /* per ranking: value of each of its papers */
	pile *piles;      /* per candidate */

	int nelected;
	int nhopeful;
	uint8_t *doomed, *guarded; /* constraint checks, n entries */
	int *tmp;                  /* n entries of scratch */
	char note[1024]; /* for the next stage: ties settled, constraints */
} greg;

static stv_status pile_push(pile *p, uint32_t k)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		uint32_t *rk = realloc(p->rk, cap * sizeof *rk);

		if (rk == NULL)
			return STV_ERR_NOMEM;
		p->rk = rk;
		p->cap = cap;
	}
	p->rk[p->n++] = k;
	return STV_OK;
}

/*
 * Moves ranking k on to its first continuing preference from its current
 * position and credits that candidate with its papers at their value.
 * With none left the papers are non-transferable and simply drop out.
 */
static stv_status place(greg *s, uint32_t k)
{
	const stv_ranking *rk = &s->v->rk[k];
	const int32_t *r = s->v->ranks + rk->off;
	uint32_t i = s->pos[k];

	while (i < rk->len && s->state[r[i]] != STV_HOPEFUL)
		i++;
	s->pos[k] = i;
	if (i == rk->len)
		return STV_OK;
	s->votes[r[i]] += s->value[k] * rk->weight;
	return pile_push(&s->piles[r[i]], k);
}

/* Adds to the note the next stage will carry. */
static void add_note(greg *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_note(greg *s, const char *fmt, ...)
{
	size_t off = strlen(s->note);
	va_list ap;

	if (off > 0 && off + 2 < sizeof s->note) {
		memcpy(s->note + off, "; ", 3);
		off += 2;
	}
	va_start(ap, fmt);
	vsnprintf(s->note + off, sizeof s->note - off, fmt, ap);
	va_end(ap);
}

/* Records the votes as a new stage (c->res keeps them for looking back). */
static stv_status add_stage(greg *s, stv_action action, int cand)
{
	int64_t sum = 0;
	stv_status st;

	for (int i = 0; i < s->n; i++)
		sum += s->votes[i];
	st = stv_res_stage(s->c, action, cand >= 0 ? &cand : NULL,
	                   cand >= 0 ? 1 : 0, s->votes, s->total - sum);
	if (st == STV_OK && s->note[0] != '\0')
		st = stv_res_stage_note(s->c, "%s", s->note);
	s->note[0] = '\0';
	return st;
}

static int seats_left(const greg *s)
{
	return s->seats - s->nelected;
}

static int complete(const greg *s)
{
	return seats_left(s) <= 0 || s->nhopeful <= seats_left(s);
}

/*
 * Chooses one of tied[0..n) (equal votes now): the one with the highest
 * (highest != 0) or lowest vote at the most recent stage at which they
 * differ, when the rule looks back, else by lot.  Looking back narrows the
 * set stage by stage to those still sharing the extreme vote, as Droop
 * does; the lot is drawn among those tied at every stage.
 */
static int pick(greg *s, int *tied, int n, int highest, const char *what)
{
	char list[400];
	size_t off = 0;

	if (n == 1)
		return tied[0];
	if (!s->g->lookback)
		return tied[stv_lot(s->c, tied, n, what)];
	list[0] = '\0';
	for (int i = 0; i < n && off < sizeof list; i++) {
		int w = snprintf(list + off, sizeof list - off, "%s%s",
		                 i ? ", " : "", s->c->res->names[tied[i]]);

		if (w < 0)
			break;
		off += (size_t)w;
	}
	for (int k = s->c->res->nstages - 1; k >= 0; k--) {
		const int64_t *h = s->c->res->stages[k].votes;
		int64_t best = h[tied[0]];
		int m = 0;

		for (int i = 1; i < n; i++)
			if (highest ? h[tied[i]] > best : h[tied[i]] < best)
				best = h[tied[i]];
		for (int i = 0; i < n; i++)
			if (h[tied[i]] == best)
				tied[m++] = tied[i];
		n = m;
		if (n == 1) {
			add_note(s,
			         "tie (%s) among [%s] settled by the votes at "
			         "stage %d: %s",
			         what, list, k + 1, s->c->res->names[tied[0]]);
			return tied[0];
		}
	}
	return tied[stv_lot(s->c, tied, n, what)];
}

/* Runs the constraint checks on the current state (no-op without any). */
static int cons_check(greg *s)
{
	if (s->c->k == NULL)
		return 0;
	memset(s->doomed, 0, (size_t)s->n);
	memset(s->guarded, 0, (size_t)s->n);
	return stv_cons_check(s->c, s->state, s->doomed, s->guarded);
}

/* Deems cand elected at the latest stage. */
static stv_status elect(greg *s, int cand)
{
	s->state[cand] = STV_ELECTED;
	s->nhopeful--;
	s->nelected++;
	return stv_res_elect(s->c, cand);
}

/*
 * Orders cands[0..n) by vote, highest first.  Equal votes: the one later
 * in the ballot file first if later_first, else the earlier one first.
 * These are the orders Droop deems candidates elected in (later first
 * when they reach the quota, file order when rule 52 elects the rest), and
 * the references' elected order follows them.  Insertion sort: n is at
 * most the number of candidates.
 */
static void sort_by_vote(const greg *s, int *cands, int n, int later_first)
{
	for (int i = 1; i < n; i++) {
		int x = cands[i], j = i;

		while (j > 0) {
			int y = cands[j - 1];

			if (s->votes[y] > s->votes[x] ||
			    (s->votes[y] == s->votes[x] &&
			     (later_first ? y > x : y < x)))
				break;
			cands[j] = y;
			j--;
		}
		cands[j] = x;
	}
}

/*
 * Deems elected every continuing candidate with a quota, highest vote
 * first.  With constraints a candidate doomed by those already elected is
 * passed over (it will be excluded).
 */
static stv_status elect_quota(greg *s)
{
	int n = 0;
	stv_status st;

	for (int i = 0; i < s->n; i++)
		if (s->state[i] == STV_HOPEFUL && s->votes[i] >= s->quota)
			s->tmp[n++] = i;
	sort_by_vote(s, s->tmp, n, 1);
	for (int j = 0; j < n; j++) {
		int x = s->tmp[j];

		if (seats_left(s) <= 0)
			break;
		if (cons_check(s) > 0 && s->doomed[x])
			continue;
		if ((st = elect(s, x)) != STV_OK)
			return st;
		if (s->votes[x] > s->quota ||
		    (s->g->zero_surplus_stage && s->votes[x] == s->quota))
			s->pending[x] = 1;
	}
	return STV_OK;
}

/* Transfers the surplus of cand: one stage. */
static stv_status transfer_surplus(greg *s, int cand)
{
	pile p = s->piles[cand];
	int64_t vote = s->votes[cand];
	int64_t surplus = vote - s->quota;
	stv_status st;

	memset(&s->piles[cand], 0, sizeof s->piles[cand]);
	s->pending[cand] = 0;
	for (size_t i = 0; i < p.n; i++) {
		uint32_t k = p.rk[i];

		s->value[k] =
		    s->g->transfer(s->value[k], surplus, vote, s->scale);
		if ((st = place(s, k)) != STV_OK) {
			free(p.rk);
			return st;
		}
	}
	free(p.rk);
	s->votes[cand] = s->quota;
	return add_stage(s, STV_SURPLUS, cand);
}

/* Excludes cand and passes its papers on at their values: one stage. */
static stv_status exclude(greg *s, int cand)
{
	pile p = s->piles[cand];
	stv_status st;

	memset(&s->piles[cand], 0, sizeof s->piles[cand]);
	s->state[cand] = STV_EXCLUDED;
	s->nhopeful--;
	for (size_t i = 0; i < p.n; i++) {
		if ((st = place(s, p.rk[i])) != STV_OK) {
			free(p.rk);
			return st;
		}
	}
	free(p.rk);
	s->votes[cand] = 0;
	return add_stage(s, STV_EXCLUDE, cand);
}

/* The pending candidate with the largest surplus, or -1. */
static int high_surplus(greg *s)
{
	int64_t best = -1;
	int n = 0;

	for (int i = 0; i < s->n; i++) {
		if (!s->pending[i])
			continue;
		if (s->votes[i] > best) {
			best = s->votes[i];
			n = 0;
		}
		if (s->votes[i] == best)
			s->tmp[n++] = i;
	}
	if (n == 0)
		return -1;
	return pick(s, s->tmp, n, 1, "surplus to transfer first");
}

/*
 * The continuing candidate to exclude: the lowest, among those a
 * constraint does not guard.  only_doomed: the lowest doomed one instead.
 * -1 if there is none.
 */
static int low_candidate(greg *s, int only_doomed)
{
	int64_t best = INT64_MAX;
	int n = 0, x;

	for (int i = 0; i < s->n; i++) {
		if (s->state[i] != STV_HOPEFUL)
			continue;
		if (s->c->k != NULL &&
		    (only_doomed ? !s->doomed[i] : s->guarded[i]))
			continue;
		if (s->votes[i] < best) {
			best = s->votes[i];
			n = 0;
		}
		if (s->votes[i] == best)
			s->tmp[n++] = i;
	}
	if (n == 0)
		return -1;
	x = pick(s, s->tmp, n, 0, "candidate to exclude");
	for (int i = 0; !only_doomed && s->c->k != NULL && i < s->n; i++) {
		char cats[256];

		if (s->state[i] == STV_HOPEFUL && s->guarded[i] &&
		    s->votes[i] <= s->votes[x])
			add_note(
			    s,
			    "%s not excluded: guarded by the constraints "
			    "(%s)",
			    s->c->res->names[i],
			    stv_cons_describe(s->c->k, i, cats, sizeof cats));
	}
	return x;
}

/* Deems elected the continuing candidates left to fill the last seats,
 * highest vote first (rule 52; WIGM C). */
static stv_status elect_rest(greg *s)
{
	int n = 0;
	stv_status st;

	for (int i = 0; i < s->n; i++)
		if (s->state[i] == STV_HOPEFUL)
			s->tmp[n++] = i;
	if (n > seats_left(s))
		return STV_OK;
	sort_by_vote(s, s->tmp, n, 0);
	for (int j = 0; j < n; j++)
		if ((st = elect(s, s->tmp[j])) != STV_OK)
			return st;
	return STV_OK;
}

static stv_status run(greg *s)
{
	stv_status st;

	for (;;) {
		int x;

		if (!s->g->complete_after_elect && complete(s))
			break;
		if ((st = elect_quota(s)) != STV_OK)
			return st;
		if (s->g->complete_after_elect && complete(s))
			break;

		/*
		 * A candidate no longer electable under the constraints goes
		 * first: nothing else may be decided while it continues.
		 * (Once every seat is filled, as WIGM B.3 may find it, every
		 * hopeful counts as doomed, which is no constraint's doing.)
		 */
		if (cons_check(s) > 0 && seats_left(s) > 0 &&
		    (x = low_candidate(s, 1)) >= 0) {
			char cats[256];

			stv_cons_describe(s->c->k, x, cats, sizeof cats);
			add_note(s,
			         "%s excluded: electing them could no longer "
			         "meet the constraints%s%s%s",
			         s->c->res->names[x], cats[0] ? " (" : "", cats,
			         cats[0] ? ")" : "");
			if ((st = exclude(s, x)) != STV_OK)
				return st;
			if (s->g->complete_after_elect && complete(s))
				break;
			continue;
		}
		if ((x = high_surplus(s)) >= 0) {
			if ((st = transfer_surplus(s, x)) != STV_OK)
				return st;
			continue;
		}
		if ((x = low_candidate(s, 0)) < 0) {
			/* Every continuing candidate is guarded: more are
			 * needed than seats remain, which the constraint
			 * checks rule out. */
			snprintf(s->c->err->msg, sizeof s->c->err->msg,
			         "constraints leave no candidate to exclude");
			return STV_ERR_INVALID;
		}
		if ((st = exclude(s, x)) != STV_OK)
			return st;
		if (s->g->complete_after_elect && complete(s))
			break;
	}
	return elect_rest(s);
}

stv_status stv_gregory_count(stv_count_ctx *c, const stv_greg_rule *g)
{
	const stv_view *v = c->v;
	greg s;
	stv_status st = STV_ERR_NOMEM;

	memset(&s, 0, sizeof s);
	s.c = c;
	s.g = g;
	s.v = v;
	s.n = v->ncand;
	s.seats = v->seats;
	s.scale = stv_pow10(stv_rule_places(c->opt->rule));
	s.state = calloc((size_t)s.n, 1);
	s.pending = calloc((size_t)s.n, 1);
	s.doomed = calloc((size_t)s.n, 1);
	s.guarded = calloc((size_t)s.n, 1);
	s.votes = calloc((size_t)s.n, sizeof *s.votes);
	s.tmp = calloc((size_t)s.n, sizeof *s.tmp);
	s.piles = calloc((size_t)s.n, sizeof *s.piles);
	s.pos = calloc(v->nrk ? v->nrk : 1, sizeof *s.pos);
	s.value = calloc(v->nrk ? v->nrk : 1, sizeof *s.value);
	if (!s.state || !s.pending || !s.doomed || !s.guarded || !s.votes ||
	    !s.tmp || !s.piles || !s.pos || !s.value)
		goto out;

	for (int i = 0; i < s.n; i++) {
		s.state[i] = c->e->withdrawn[i] ? STV_WITHDRAWN : STV_HOPEFUL;
		s.nhopeful += !c->e->withdrawn[i];
	}

	/* The valid total (the view has already left out papers that
	 * ranked only withdrawn candidates). */
	s.total = v->papers;
	s.quota = g->quota(s.total, s.seats, s.scale);
	s.total *= s.scale;
	c->res->quota = s.quota;

	/* Stage 1: first preferences, each paper worth one. */
	for (size_t k = 0; k < v->nrk; k++) {
		s.value[k] = s.scale;
		if ((st = place(&s, (uint32_t)k)) != STV_OK)
			goto out;
	}
	if ((st = add_stage(&s, STV_FIRST, -1)) != STV_OK)
		goto out;
	st = run(&s);
out:
	for (int i = 0; s.piles && i < s.n; i++)
		free(s.piles[i].rk);
	free(s.piles);
	free(s.state);
	free(s.pending);
	free(s.doomed);
	free(s.guarded);
	free(s.votes);
	free(s.tmp);
	free(s.pos);
	free(s.value);
	if (st == STV_ERR_NOMEM)
		snprintf(c->err->msg, sizeof c->err->msg, "out of memory");
	return st;
}
