/*
 * test_irv.c: instant runoff, and the view every rule counts (withdrawn
 * candidates, equal rankings), with values worked out by hand.
 */
#include "check.h"
#include "stv_int.h"

#include <stdlib.h>

static stv_result *count_c(const char *blt, const char *cats)
{
	stv_election *e = NULL;
	stv_constraints *k = NULL;
	stv_result *r = NULL;
	stv_error err;
	stv_options opt = {STV_RULE_IRV, 0, 0, 0, NULL};

	if (stv_blt_read(blt, strlen(blt), &e, &err) != STV_OK) {
		fprintf(stderr, "parse: %d:%d %s\n", err.line, err.column,
		        err.msg);
		return NULL;
	}
	if (cats && stv_constraints_read(e, cats, strlen(cats), &k, &err) !=
	                STV_OK)
		fprintf(stderr, "categories: %s\n", err.msg);
	opt.constraints = k;
	if (stv_count(e, &opt, &r, &err) != STV_OK)
		fprintf(stderr, "count: %s\n", err.msg);
	stv_constraints_free(k);
	stv_election_free(e);
	return r;
}

static stv_result *count(const char *blt)
{
	return count_c(blt, NULL);
}

static void votes(const stv_result *r, int stage, const int64_t *want,
                  int64_t nt)
{
	const stv_stage *s;

	CHECK(stage <= r->nstages);
	if (stage > r->nstages)
		return;
	s = &r->stages[stage - 1];
	for (int i = 0; i < r->ncand; i++)
		if (s->votes[i] != want[i]) {
			fprintf(stderr, "stage %d candidate %d: %lld, want %lld\n",
			        stage, i + 1, (long long)s->votes[i],
			        (long long)want[i]);
			check_failures++;
		}
	CHECK(s->nontransferable == nt);
}

/*
 * A 6, B 4, C 3 (C then A), D 1 (D then C); 14 papers.
 * Stage 1: A6 B4 C3 D1.  Nobody has more than 7.
 * Stage 2: D excluded, its paper to C: A6 B4 C4.
 * Stage 3: B and C tie on 4; at stage 1 C had 3 and B 4, so C goes
 *          (a lot would have taken B, the first in the file).  C's
 *          three "C A" papers go to A (9), the "D C" paper exhausts.
 *          A 9 of 13 continuing votes: more than half; elected.
 */
static void test_lookback(void)
{
	stv_result *r = count("4 1\n6 1 0\n4 2 0\n3 3 1 0\n1 4 3 0\n0\n"
	                      "\"A\"\n\"B\"\n\"C\"\n\"D\"\n");

	CHECK(r != NULL);
	if (!r)
		return;
	CHECK(r->nstages == 3);
	votes(r, 1, (int64_t[]){6, 4, 3, 1}, 0);
	votes(r, 2, (int64_t[]){6, 4, 4, 0}, 0);
	votes(r, 3, (int64_t[]){9, 4, 0, 0}, 1);
	CHECK(r->stages[2].ncands == 1 && r->stages[2].cands[0] == 2);
	CHECK(r->nelected == 1 && r->elected[0] == 0);
	CHECK(r->elected_stage[0] == 3);
	CHECK(r->quota == 7); /* 13 continuing: more than 6.5 */
	CHECK(r->nnotes == 1 && strstr(r->notes[0], "stage 1") != NULL);
	stv_result_free(r);
}

/*
 * Candidate 2 (B) withdrawn.  6 papers:
 *   2 x "B A"    -> A from the start             A 2
 *   1 x "A=C B"  -> first rank shared: exhausted  nt 1
 *   1 x "C A=B"  -> C; later "A=B" is just A, since B withdrew
 *   2 x "D"                                       D 2
 * Stage 1: A2 B0 C1 D2, nt 1.  Stage 2: C excluded, its paper to A:
 * A3 D2, nt 1; 3 of 5 continuing votes: A elected.
 */
static void test_withdrawn_equal(void)
{
	stv_result *r = count("4 1\n-2\n2 2 1 0\n1 1=3 2 0\n1 3 1=2 0\n"
	                      "2 4 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n");

	CHECK(r != NULL);
	if (!r)
		return;
	CHECK(r->papers == 6);
	votes(r, 1, (int64_t[]){2, 0, 1, 2}, 1);
	votes(r, 2, (int64_t[]){3, 0, 0, 2}, 1);
	CHECK(r->nelected == 1 && r->elected[0] == 0);
	stv_result_free(r);
}

/* B and C tie with no earlier stage: unseeded, B (first in the file) is
 * excluded; a [tie 3 2 1] line puts C first, so C is excluded. */
static void test_lot(void)
{
	stv_result *r = count("3 1\n2 1 0\n1 2 0\n1 3 0\n0\n\"A\"\n\"B\"\n"
	                      "\"C\"\n");

	CHECK(r && r->nstages >= 2 && r->stages[1].cands[0] == 1);
	CHECK(r && r->nnotes == 1 &&
	      strstr(r->notes[0], "among [B, C]: B") != NULL);
	stv_result_free(r);
	r = count("3 1\n[tie 3 2 1]\n2 1 0\n1 2 0\n1 3 0\n0\n\"A\"\n\"B\"\n"
	          "\"C\"\n");
	CHECK(r && r->nstages >= 2 && r->stages[1].cands[0] == 2);
	stv_result_free(r);
}

static const char *lookback_blt = "4 1\n6 1 0\n4 2 0\n3 3 1 0\n1 4 3 0\n0\n"
                                  "\"A\"\n\"B\"\n\"C\"\n\"D\"\n";

/*
 * The look-back profile with "at least one woman", B and D women.  With
 * one seat, A and C are doomed from the start; the lower, C, goes first.
 * Stage 2: C excluded, its three "C A" papers to A: A9 B4 C0 D1.
 * Stage 3: A excluded; its six "A" papers and the three "C A" papers
 *          have nobody left: nt 9.  A0 B4 C0 D1; B has 4 of 5: elected.
 */
static void test_constraint_binds(void)
{
	stv_result *r = count_c(lookback_blt, "category women min 1\n"
	                                      "candidate 2 women\n"
	                                      "candidate 4 women\n");

	CHECK(r != NULL);
	if (!r)
		return;
	CHECK(r->nstages == 3);
	votes(r, 2, (int64_t[]){9, 4, 0, 1}, 0);
	votes(r, 3, (int64_t[]){0, 4, 0, 1}, 9);
	CHECK(r->stages[1].cands[0] == 2 && r->stages[2].cands[0] == 0);
	CHECK(r->stages[1].note &&
	      strstr(r->stages[1].note, "cannot be elected") != NULL);
	CHECK(r->nelected == 1 && r->elected[0] == 1);
	stv_result_free(r);
}

/* A maximum of one northerner can never bind with one seat: the count is
 * the plain one, stage for stage. */
static void test_constraint_idle(void)
{
	stv_result *a = count_c(lookback_blt, NULL);
	stv_result *b = count_c(lookback_blt, "category north max 1\n"
	                                      "candidate 1 north\n"
	                                      "candidate 3 north\n");

	CHECK(a && b && a->nstages == b->nstages);
	for (int s = 0; a && b && s < a->nstages && s < b->nstages; s++) {
		CHECK(memcmp(a->stages[s].votes, b->stages[s].votes,
		             4 * sizeof(int64_t)) == 0);
		CHECK(a->stages[s].ncands == b->stages[s].ncands);
		CHECK(b->stages[s].note == NULL);
	}
	CHECK(a && b && a->elected[0] == b->elected[0]);
	stv_result_free(a);
	stv_result_free(b);
}

/* "Re-open nominations" is counted like anyone, and reported as such;
 * "Ronald" is not it.  RON 5, A 2, B 2: RON has a majority at stage 1. */
static void test_ron(void)
{
	stv_result *r = count("3 1\n5 3 0\n2 1 0\n2 2 0\n0\n\"Ronald\"\n"
	                      "\"B\"\n\"Re-open Nominations (RON)\"\n");

	CHECK(r != NULL);
	if (!r)
		return;
	CHECK(r->ron == 2);
	CHECK(r->nelected == 1 && r->elected[0] == 2);
	CHECK(r->nnotes == 1 && strstr(r->notes[0], "nominations re-open"));
	stv_result_free(r);
	r = count("2 1\n1 1 0\n0\n\"Ronald\"\n\"None of these\"\n");
	CHECK(r && r->ron == 1 && r->nnotes == 0);
	stv_result_free(r);
}

int main(void)
{
	test_ron();
	test_constraint_binds();
	test_constraint_idle();
	test_lookback();
	test_withdrawn_equal();
	test_lot();
	CHECK_DONE();
}
