/*
 * rule_meek.c: Meek's method as in the Proportional Representation
 * Foundation's reference Meek rule (the arithmetic of the New Zealand
 * rules): 9 decimal places, omega = 10^-6, keep values rounded up where
 * the rule says so and the quota recomputed at every iteration.
 *
 * Step letters in the comments (A, B.1, B.2.a ... C.2) are those of the
 * PRF rule text.  The stage conventions are those of the conformance
 * cases: one stage per round, holding the votes at the round's first
 * decision (an election, or the defeat of the lowest hopeful, whose votes
 * are shown before they move in the next round).
 *
 * Speed: within one round no candidate changes state, so a ranking can be
 * cut after its first hopeful candidate (who keeps everything that reaches
 * her, her keep value being 1) and stripped of defeated candidates (keep
 * value 0) without changing any total.  Each round therefore merges the
 * rankings into their distinct cut forms once, and every iteration of the
 * round walks only those, which early in a count are a few dozen.  Merging
 * is exact because the rule rounds the keep weight of one paper and then
 * multiplies it by the number of papers.
 *
 * Constraints (guarded/doomed): a doomed hopeful is excluded at the start
 * of a round, in a stage of its own; a hopeful doomed by an election in
 * the same iteration is not elected and goes the same way next round; the
 * lowest to defeat is chosen among unguarded hopefuls.  Without
 * constraints none of this runs.
 */
#include "rkset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Iteration ends once the total surplus is below omega = 10^-6. */
#define MEEK_OMEGA_PLACES 6

typedef struct {
	stv_count_ctx *c;
	int n; /* candidates */
	int seats;
	int64_t scale;  /* 10^places: the value 1 */
	int64_t total;  /* valid papers, scaled */
	uint8_t *state; /* STV_HOPEFUL, ... */
	int64_t *kf;    /* keep values, scaled */
	int64_t *vote;  /* current votes, scaled */
	int *cand;      /* scratch, n */
	int32_t *seq;   /* scratch, n */
	uint8_t *doomed, *guarded;
	stv_rkset cut; /* this round's cut rankings */
	int nhopeful, nelected;
} meek;

/* Keep weight w * kf, rounded up (B.2.a).  w <= 1 and, normally, kf <= 1,
 * so the product of the scaled values fits in 64 bits. */
static inline int64_t keep_weight(int64_t w, int64_t kf, int64_t scale)
{
	uint64_t p, u = (uint64_t)scale;

	if (kf > scale)
		return stv_mul_up(w, kf, scale);
	p = (uint64_t)w * (uint64_t)kf;
	return (int64_t)((p + u - 1) / u);
}

/*
 * Builds this round's cut rankings: each ranking without its defeated
 * candidates and ending at its first hopeful.  A ranking left empty sends
 * nothing to anyone and is dropped.
 */
static stv_status cut_rankings(meek *m)
{
	const stv_view *v = m->c->v;

	stv_rkset_free(&m->cut);
	memset(&m->cut, 0, sizeof m->cut);
	for (size_t k = 0; k < v->nrk; k++) {
		const stv_ranking *rk = &v->rk[k];
		const int32_t *r = v->ranks + rk->off;
		uint32_t len = 0;

		for (uint32_t i = 0; i < rk->len; i++) {
			uint8_t st = m->state[r[i]];

			if (st != STV_HOPEFUL && st != STV_ELECTED)
				continue;
			m->seq[len++] = r[i];
			if (st == STV_HOPEFUL)
				break;
		}
		if (len == 0)
			continue;
		if (stv_rkset_add(&m->cut, m->seq, NULL, len, rk->weight) !=
		    STV_OK)
			return STV_ERR_NOMEM;
	}
	stv_rkset_done(&m->cut);
	return STV_OK;
}

/*
 * B.2.a: every paper starts with weight 1 and leaves with each candidate
 * in turn w * kf (rounded up), until nothing is left or the ranking ends.
 * Returns the sum of all candidates' votes.
 */
static int64_t distribute(meek *m)
{
	const int64_t scale = m->scale;
	const int64_t *kf = m->kf;
	int64_t *vote = m->vote;
	const stv_rkset *s = &m->cut;
	int64_t sum = 0;

	memset(vote, 0, (size_t)m->n * sizeof *vote);
	for (size_t u = 0; u < s->nrk; u++) {
		const int32_t *r = s->ranks + s->rk[u].off;
		uint32_t len = s->rk[u].len;
		int64_t wt = s->rk[u].weight;
		int64_t w = scale;

		for (uint32_t i = 0; i < len; i++) {
			int64_t kw = keep_weight(w, kf[r[i]], scale);

			vote[r[i]] += kw * wt;
			w -= kw;
			if (w <= 0)
				break;
		}
	}
	for (int i = 0; i < m->n; i++)
		sum += vote[i];
	return sum;
}

static stv_status add_stage(meek *m, stv_action action, int cand)
{
	int64_t sum = 0;

	for (int i = 0; i < m->n; i++)
		sum += m->vote[i];
	return stv_res_stage(m->c, action, cand >= 0 ? &cand : NULL,
	                     cand >= 0 ? 1 : 0, m->vote, m->total - sum);
}

/* Sorts cand[0..k) by vote, highest first, then in ballot order: the order
 * in which candidates deemed elected at one stage are recorded. */
static void sort_by_vote(const meek *m, int *cand, int k)
{
	for (int i = 1; i < k; i++) {
		int x = cand[i], j = i;

		while (j > 0 && (m->vote[cand[j - 1]] < m->vote[x] ||
		                 (m->vote[cand[j - 1]] == m->vote[x] &&
		                  cand[j - 1] > x))) {
			cand[j] = cand[j - 1];
			j--;
		}
		cand[j] = x;
	}
}

static void cons_check(meek *m)
{
	memset(m->doomed, 0, (size_t)m->n);
	memset(m->guarded, 0, (size_t)m->n);
	if (m->c->k != NULL)
		(void)stv_cons_check(m->c, m->state, m->doomed, m->guarded);
}

static void defeat(meek *m, int x)
{
	m->state[x] = STV_EXCLUDED;
	m->kf[x] = 0;
	m->vote[x] = 0;
	m->nhopeful--;
}

/*
 * Picks the candidate to defeat among the hopefuls with mark[i] == want
 * (or all hopefuls when mark is NULL): the lowest vote, with every
 * candidate within `slack` of it tied (B.3), ties broken by lot (T).
 * Returns -1 if there is none.
 */
static int lowest(meek *m, const uint8_t *mark, uint8_t want, int64_t slack)
{
	int64_t low = 0;
	int any = 0, k = 0;

	for (int i = 0; i < m->n; i++) {
		if (m->state[i] != STV_HOPEFUL || (mark && mark[i] != want))
			continue;
		if (!any || m->vote[i] < low)
			low = m->vote[i];
		any = 1;
	}
	if (!any)
		return -1;
	for (int i = 0; i < m->n; i++) {
		if (m->state[i] != STV_HOPEFUL || (mark && mark[i] != want))
			continue;
		if (m->vote[i] <= low + slack)
			m->cand[k++] = i;
	}
	if (k == 1)
		return m->cand[0];
	return m->cand[stv_lot(m->c, m->cand, k, "defeat of the lowest")];
}

static int any_marked(const meek *m, const uint8_t *mark)
{
	for (int i = 0; i < m->n; i++)
		if (m->state[i] == STV_HOPEFUL && mark[i])
			return 1;
	return 0;
}

/*
 * With constraints, a doomed hopeful is excluded before anything else, in
 * a stage of its own that shows the votes as they stand.  Returns 1 if it
 * excluded someone (*st says how that went), else 0.
 */
static int exclude_doomed(meek *m, stv_status *st)
{
	int x;

	*st = STV_OK;
	if (m->c->k == NULL)
		return 0;
	cons_check(m);
	if (!any_marked(m, m->doomed))
		return 0;
	/* The votes as they stand, after the last round's defeat. */
	if ((*st = cut_rankings(m)) != STV_OK)
		return 1;
	(void)distribute(m);
	x = lowest(m, m->doomed, 1, 0);
	if ((*st = add_stage(m, STV_EXCLUDE, x)) != STV_OK)
		return 1;
	*st = stv_res_stage_note(m->c,
	                         "excluded: %s cannot be elected without "
	                         "breaking a constraint",
	                         m->c->e->names[x]);
	defeat(m, x);
	return 1;
}

/*
 * B.2.c with constraints: the hopefuls who reached the quota are elected
 * highest first, and one whom an earlier election of the same iteration
 * has doomed stays hopeful, to be excluded at the start of the next round.
 * Returns the number elected; their indices are in m->cand.
 */
static int elect_reached(meek *m, int64_t quota)
{
	int k = 0, out = 0;

	for (int i = 0; i < m->n; i++)
		if (m->state[i] == STV_HOPEFUL && m->vote[i] >= quota)
			m->cand[k++] = i;
	sort_by_vote(m, m->cand, k);
	for (int j = 0; j < k; j++) {
		int x = m->cand[j];

		if (m->c->k != NULL) {
			cons_check(m);
			if (m->doomed[x])
				continue;
		}
		m->state[x] = STV_ELECTED;
		m->nhopeful--;
		m->nelected++;
		m->cand[out++] = x;
	}
	return out;
}

/*
 * One round (B.2 and B.3).  Returns STV_OK and adds the round's stage.
 */
static stv_status round_(meek *m)
{
	const int64_t scale = m->scale;
	const int64_t omega = scale / stv_pow10(MEEK_OMEGA_PLACES);
	int64_t last = m->total, surplus = 0;
	int nnew = 0, x;
	stv_status st;

	if ((st = cut_rankings(m)) != STV_OK)
		return st;
	for (;;) {
		/* B.2.a and B.2.b: the quota follows the votes still held. */
		int64_t sum = distribute(m);
		int64_t quota = sum / (m->seats + 1) + 1;

		/* B.2.c */
		nnew = elect_reached(m, quota);

		/* B.2.d */
		surplus = 0;
		for (int i = 0; i < m->n; i++)
			if (m->state[i] == STV_ELECTED)
				surplus += m->vote[i] - quota;
		if (surplus < 0)
			surplus = 0;

		/* B.2.e: an election ends the round; otherwise stop when the
		 * surplus is below omega or no longer falls. */
		if (nnew > 0 || surplus < omega || surplus >= last)
			break;
		last = surplus;

		/* B.2.f: kf = (kf * q, rounded up) / v, rounded up. */
		for (int i = 0; i < m->n; i++) {
			if (m->state[i] != STV_ELECTED || m->vote[i] <= 0)
				continue;
			m->kf[i] =
			    stv_div_up(stv_mul_up(m->kf[i], quota, scale),
			               m->vote[i], scale);
		}
	}
	if (nnew > 0) {
		if ((st = add_stage(m, STV_SURPLUS, -1)) != STV_OK)
			return st;
		for (int j = 0; j < nnew; j++)
			if ((st = stv_res_elect(m->c, m->cand[j])) != STV_OK)
				return st;
		return STV_OK;
	}

	/* B.3: defeat the lowest hopeful; with constraints, never a guarded
	 * one while an unguarded one remains. */
	cons_check(m);
	x = lowest(m, m->c->k ? m->guarded : NULL, 0, surplus);
	if (x < 0)
		x = lowest(m, NULL, 0, surplus);
	if ((st = add_stage(m, STV_EXCLUDE, x)) != STV_OK)
		return st;
	defeat(m, x);
	return STV_OK;
}

static stv_status count(meek *m)
{
	stv_count_ctx *c = m->c;
	const stv_view *v = c->v;
	stv_status st;
	int k = 0;

	/* A. */
	for (int i = 0; i < m->n; i++) {
		if (c->e->withdrawn[i]) {
			m->state[i] = STV_WITHDRAWN;
			continue;
		}
		m->state[i] = STV_HOPEFUL;
		m->kf[i] = m->scale;
		m->nhopeful++;
	}

	/* The quota reported is the one at the first stage, from all valid
	 * papers. */
	c->res->quota = m->total / (m->seats + 1) + 1;
	for (size_t r = 0; r < v->nrk; r++)
		if (v->rk[r].len > 0)
			m->vote[v->ranks[v->rk[r].off]] +=
			    v->rk[r].weight * m->scale;
	if ((st = add_stage(m, STV_FIRST, -1)) != STV_OK)
		return st;

	/* B.1: the rounds go on while seats are unfilled and there are more
	 * hopefuls than seats to fill. */
	while (m->seats - m->nelected > 0) {
		if (exclude_doomed(m, &st)) {
			if (st != STV_OK)
				return st;
			continue;
		}
		if (m->nhopeful <= m->seats - m->nelected)
			break;
		if ((st = round_(m)) != STV_OK)
			return st;
	}

	/* C.1: elect the remaining hopefuls if seats are unfilled, at the
	 * last stage, highest vote first.  C.2: otherwise they are
	 * defeated, which changes nothing recorded. */
	if (m->nelected < m->seats) {
		for (int i = 0; i < m->n; i++)
			if (m->state[i] == STV_HOPEFUL)
				m->cand[k++] = i;
		sort_by_vote(m, m->cand, k);
		for (int j = 0; j < k; j++) {
			m->state[m->cand[j]] = STV_ELECTED;
			m->nelected++;
			if ((st = stv_res_elect(c, m->cand[j])) != STV_OK)
				return st;
		}
	}
	return STV_OK;
}

/*
 * The papers the count is about: those that name at least one candidate
 * who has not withdrawn.  A paper naming only withdrawn candidates is
 * left out of the total, and so of the quota, as in the reference rule's
 * implementation (Droop drops such ballots before counting).
 */
static int64_t counted_papers(const stv_election *e)
{
	int64_t sum = 0;

	for (size_t k = 0; k < e->nrk; k++) {
		const int32_t *r = e->ranks + e->rk[k].off;

		for (uint32_t i = 0; i < e->rk[k].len; i++) {
			if (!e->withdrawn[r[i]]) {
				sum += e->rk[k].weight;
				break;
			}
		}
	}
	return sum;
}

stv_status stv_count_meek(stv_count_ctx *c)
{
	meek m = {0};
	size_t n = (size_t)c->v->ncand;
	stv_status st = STV_ERR_NOMEM;

	m.c = c;
	m.n = c->v->ncand;
	m.seats = c->res->seats;
	m.scale = stv_pow10(c->res->places);
	/* Every keep weight and every total must stay inside int64. */
	if (c->v->papers > STV_MAX_PAPERS ||
	    c->v->papers > INT64_MAX / m.scale) {
		snprintf(c->err->msg, sizeof c->err->msg,
		         "too many papers for the arithmetic");
		return STV_ERR_LIMIT;
	}
	if (m.seats < 1) {
		snprintf(c->err->msg, sizeof c->err->msg,
		         "the number of seats must be at least 1");
		return STV_ERR_INVALID;
	}
	m.total = counted_papers(c->e) * m.scale;
	m.state = calloc(n + 1, 1);
	m.kf = calloc(n + 1, sizeof *m.kf);
	m.vote = calloc(n + 1, sizeof *m.vote);
	m.cand = calloc(n + 1, sizeof *m.cand);
	m.seq = calloc(n + 1, sizeof *m.seq);
	m.doomed = calloc(n + 1, 1);
	m.guarded = calloc(n + 1, 1);
	if (m.state && m.kf && m.vote && m.cand && m.seq && m.doomed &&
	    m.guarded)
		st = count(&m);
	if (st == STV_ERR_NOMEM)
		snprintf(c->err->msg, sizeof c->err->msg, "out of memory");
	stv_rkset_free(&m.cut);
	free(m.state);
	free(m.kf);
	free(m.vote);
	free(m.cand);
	free(m.seq);
	free(m.doomed);
	free(m.guarded);
	return st;
}
