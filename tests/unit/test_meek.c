/*
 * test_meek.c: the PRF reference Meek rule on profiles small enough to
 * count by hand.  Values are scaled by 10^9 (the rule's 9 places); the
 * comments give the arithmetic.  Names: "A" is candidate 0, and so on.
 *
 * Rule reminders used below (PRF reference Meek):
 *   quota q = (sum of all candidates' votes) / (seats + 1), truncated to
 *             9 places, + 0.000000001; recomputed at every iteration;
 *   keep weight of a paper at a candidate = w * kf, rounded up;
 *   new kf of an elected candidate = (kf * q, rounded up) / v, rounded up;
 *   iteration stops on an election, or when the total surplus < 10^-6;
 *   the lowest hopeful is defeated, candidates within the total surplus
 *   of the lowest being tied with it.
 */
#include "check.h"
#include "stv_int.h"

#include <stdlib.h>
#include <string.h>

#define G 1000000000LL /* one vote, scaled */

static stv_election *read_blt(const char *text)
{
	stv_election *e = NULL;
	stv_error err;

	if (stv_blt_read(text, strlen(text), &e, &err) != STV_OK) {
		fprintf(stderr, "blt: line %d: %s\n", err.line, err.msg);
		return NULL;
	}
	return e;
}

static stv_result *count_with(const stv_election *e, const stv_constraints *k)
{
	stv_options opt = {STV_RULE_MEEK, 0, 0, 0, k};
	stv_result *r = NULL;
	stv_error err;

	if (e == NULL)
		return NULL;
	if (stv_count(e, &opt, &r, &err) != STV_OK) {
		fprintf(stderr, "count: %s\n", err.msg);
		return NULL;
	}
	return r;
}

static stv_result *count_text(const char *text)
{
	stv_election *e = read_blt(text);
	stv_result *r = count_with(e, NULL);

	stv_election_free(e);
	return r;
}

/* Checks stage s (0-based): action, acted-on candidate (-1: none),
 * votes of the first n candidates and the non-transferable total. */
static void check_stage(const stv_result *r, int s, stv_action action, int cand,
                        const int64_t *votes, int n, int64_t nt)
{
	const stv_stage *st;

	CHECK(s < r->nstages);
	if (s >= r->nstages)
		return;
	st = &r->stages[s];
	CHECK(st->action == action);
	if (cand < 0) {
		CHECK(st->ncands == 0);
	} else {
		CHECK(st->ncands == 1);
		if (st->ncands == 1)
			CHECK(st->cands[0] == cand);
	}
	for (int i = 0; i < n; i++) {
		if (st->votes[i] != votes[i]) {
			fprintf(stderr,
			        "stage %d, candidate %d: got %lld, "
			        "want %lld\n",
			        s + 1, i, (long long)st->votes[i],
			        (long long)votes[i]);
			check_failures++;
		}
	}
	CHECK(st->nontransferable == nt);
}

static int has_note(const stv_result *r, const char *needle)
{
	for (int i = 0; i < r->nnotes; i++)
		if (strstr(r->notes[i], needle) != NULL)
			return 1;
	return 0;
}

/*
 * A surplus on first preferences, then the keep-value iteration electing
 * the second candidate at its second iteration.
 *   7 A B, 3 B, 2 C; 2 seats; 12 papers.
 *   Quota 12/3 + 0.000000001 = 4.000000001.
 *   Stage 1: A 7, B 3, C 2.
 *   Round 1: A 7 >= 4.000000001 is elected; stage 2 repeats stage 1.
 *   Round 2, iteration 1: the same votes; surplus 7 - 4.000000001 =
 *     2.999999999 >= omega, so kf(A) = 4.000000001 / 7 rounded up
 *     = 0.571428571571... -> 0.571428572.
 *   Iteration 2: each A B paper leaves 0.571428572 with A and
 *     1 - 0.571428572 = 0.428571428 with B.  A = 7 * 0.571428572
 *     = 4.000000004; B = 3 + 7 * 0.428571428 = 3 + 2.999999996
 *     = 5.999999996; C = 2.  Sum 12, quota 4.000000001: B is elected
 *     and the round ends: stage 3 (surplus), nothing lost.
 */
static void test_surplus_iteration(void)
{
	static const char blt[] = "3 2\n7 1 2 0\n3 2 0\n2 3 0\n0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"surplus\"\n";
	/* The same papers written as several weighted lines. */
	static const char split[] = "3 2\n3 1 2 0\n1 2 0\n4 1 2 0\n2 2 0\n"
	                            "1 3 0\n1 3 0\n0\n"
	                            "\"A\"\n\"B\"\n\"C\"\n\"split\"\n";
	const int64_t s1[] = {7 * G, 3 * G, 2 * G};
	const int64_t s3[] = {4000000004LL, 5999999996LL, 2 * G};
	const char *texts[] = {blt, split};

	for (int t = 0; t < 2; t++) {
		stv_result *r = count_text(texts[t]);

		CHECK(r != NULL);
		if (r == NULL)
			continue;
		CHECK(r->quota == 4000000001LL);
		CHECK(r->nstages == 3);
		check_stage(r, 0, STV_FIRST, -1, s1, 3, 0);
		check_stage(r, 1, STV_SURPLUS, -1, s1, 3, 0);
		check_stage(r, 2, STV_SURPLUS, -1, s3, 3, 0);
		CHECK(r->nelected == 2);
		CHECK(r->elected[0] == 0 && r->elected_stage[0] == 2);
		CHECK(r->elected[1] == 1 && r->elected_stage[1] == 3);
		stv_result_free(r);
	}
}

/*
 * The iteration ending in a defeat, then the last hopeful elected as the
 * seats left equal the hopefuls.
 *   6 A B, 2 B, 4 C; 2 seats; quota 12/3 + 0.000000001 = 4.000000001.
 *   Round 1 elects A (6).  Round 2, iteration 1: surplus 1.999999999;
 *   kf(A) = 4.000000001 / 6 = 0.6666666668333... -> 0.666666667.
 *   Iteration 2: A = 6 * 0.666666667 = 4.000000002; B = 2 + 6 *
 *   0.333333333 = 3.999999998; C = 4.  Sum 12, quota 4.000000001; C
 *   is short by 0.000000001.  Surplus 0.000000001 < omega: defeat the
 *   lowest, B (C is not tied: 4 > 3.999999998 + 0.000000001).  Stage 3
 *   excludes B with the votes before the move; C, the one hopeful left
 *   for one seat, is elected at stage 3.
 */
static void test_defeat_after_iteration(void)
{
	static const char blt[] = "3 2\n6 1 2 0\n2 2 0\n4 3 0\n0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"defeat\"\n";
	const int64_t s1[] = {6 * G, 2 * G, 4 * G};
	const int64_t s3[] = {4000000002LL, 3999999998LL, 4 * G};
	stv_result *r = count_text(blt);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->quota == 4000000001LL);
	CHECK(r->nstages == 3);
	check_stage(r, 1, STV_SURPLUS, -1, s1, 3, 0);
	check_stage(r, 2, STV_EXCLUDE, 1, s3, 3, 0);
	CHECK(r->nelected == 2);
	CHECK(r->elected[0] == 0 && r->elected_stage[0] == 2);
	CHECK(r->elected[1] == 2 && r->elected_stage[1] == 3);
	stv_result_free(r);
}

/*
 * A paper passing through two elected candidates, where the keep weight
 * at the second one is rounded up.
 *   8 A B C, 4 B, 3 C, 1 D; 3 seats; 16 papers; quota 16/4 +
 *   0.000000001 = 4.000000001.
 *   Round 1 elects A (8); stage 2 repeats stage 1.
 *   Round 2, iteration 1: surplus 3.999999999; kf(A) = 4.000000001 / 8
 *   = 0.500000000125 -> 0.500000001.  Iteration 2: A = 8 * 0.500000001
 *   = 4.000000008; B = 4 + 8 * 0.499999999 = 7.999999992; C 3, D 1;
 *   sum 16, quota 4.000000001: B is elected (stage 3).
 *   Round 3 (C and D for one seat), iteration 1: the same votes;
 *   surplus 0.000000007 + 3.999999991 = 3.999999998.
 *     kf(A) = (0.500000001 * 4.000000001 = 2.0000000045000...01 -> up
 *     2.000000005) / 4.000000008 = 0.50000000025 -> 0.500000001;
 *     kf(B) = (1 * 4.000000001) / 7.999999992 = 0.500000000625... ->
 *     0.500000001.
 *   Iteration 2, an A B C paper: A keeps 0.500000001, leaving
 *   0.499999999; B keeps 0.499999999 * 0.500000001 =
 *   0.249999999999999999 -> rounded up 0.250000000; C gets 0.249999999.
 *     A = 8 * 0.500000001 = 4.000000008;
 *     B = 8 * 0.25 + 4 * 0.500000001 = 4.000000004 (the rest of the B
 *       papers, 4 * 0.499999999 = 1.999999996, exhausts);
 *     C = 3 + 8 * 0.249999999 = 4.999999992; D = 1.
 *   Sum 14.000000004; quota 3.500000001 + 0.000000001 = 3.500000002;
 *   C is elected (stage 4), non-transferable 1.999999996.
 */
static void test_keep_rounding(void)
{
	static const char blt[] = "4 3\n8 1 2 3 0\n4 2 0\n3 3 0\n1 4 0\n0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"round\"\n";
	const int64_t s3[] = {4000000008LL, 7999999992LL, 3 * G, 1 * G};
	const int64_t s4[] = {4000000008LL, 4000000004LL, 4999999992LL, 1 * G};
	stv_result *r = count_text(blt);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->nstages == 4);
	check_stage(r, 2, STV_SURPLUS, -1, s3, 4, 0);
	check_stage(r, 3, STV_SURPLUS, -1, s4, 4, 1999999996LL);
	CHECK(r->nelected == 3);
	CHECK(r->elected[0] == 0 && r->elected[1] == 1 && r->elected[2] == 2);
	stv_result_free(r);
}

/*
 * Exhausted papers lower the quota.
 *   8 A, 5 B, 2 C; 2 seats; quota 15/3 + 0.000000001 = 5.000000001, so
 *   B (5) is one billionth short at first.
 *   Round 1 elects A.  Round 2, iteration 1: surplus 2.999999999;
 *   kf(A) = 5.000000001 / 8 = 0.625000000125 -> 0.625000001.
 *   Iteration 2: A = 8 * 0.625000001 = 5.000000008; the rest of the A
 *   papers, 8 * 0.374999999 = 2.999999992, has nowhere to go.  Sum
 *   5.000000008 + 5 + 2 = 12.000000008; quota 12.000000008 / 3 =
 *   4.000000002(67) -> 4.000000002 + 0.000000001 = 4.000000003.  B (5)
 *   is elected: stage 3, non-transferable 15 - 12.000000008.
 *   The reported quota stays the first one.
 */
static void test_exhausted_quota(void)
{
	static const char blt[] = "3 2\n8 1 0\n5 2 0\n2 3 0\n0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"exhaust\"\n";
	const int64_t s1[] = {8 * G, 5 * G, 2 * G};
	const int64_t s3[] = {5000000008LL, 5 * G, 2 * G};
	stv_result *r = count_text(blt);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->quota == 5000000001LL);
	CHECK(r->nstages == 3);
	check_stage(r, 0, STV_FIRST, -1, s1, 3, 0);
	check_stage(r, 1, STV_SURPLUS, -1, s1, 3, 0);
	check_stage(r, 2, STV_SURPLUS, -1, s3, 3, 2999999992LL);
	CHECK(r->nelected == 2);
	CHECK(r->elected[0] == 0);
	CHECK(r->elected[1] == 1);
	stv_result_free(r);
}

/*
 * Exclusion of the lowest with a tie broken by lot.
 *   4 A, 2 B A, 2 C; 1 seat; quota 8/2 + 0.000000001 = 4.000000001.
 *   Round 1: nobody reaches the quota, the surplus is 0 < omega; B and
 *   C have 2 each, tied.  Unseeded lot takes the first in the file, B:
 *   stage 2 excludes B (votes 4, 2, 2).  Round 2: A 4 + 2 = 6 >=
 *   4.000000001 is elected, stage 3.
 * With "[tie 3 2 1]" the order is C, B, A: C is excluded instead, its
 * papers exhaust, and in round 2 the quota is 6/2 + 0.000000001 =
 * 3.000000001: A (4) is elected; non-transferable 2.
 */
static void test_tie_by_lot(void)
{
	static const char blt[] = "3 1\n4 1 0\n2 2 1 0\n2 3 0\n0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"tie\"\n";
	static const char tie[] = "3 1\n[tie 3 2 1]\n4 1 0\n2 2 1 0\n2 3 0\n0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"tie line\"\n";
	const int64_t s1[] = {4 * G, 2 * G, 2 * G};
	const int64_t s3[] = {6 * G, 0, 2 * G};
	const int64_t t3[] = {4 * G, 2 * G, 0};
	stv_result *r = count_text(blt);

	CHECK(r != NULL);
	if (r != NULL) {
		CHECK(r->nstages == 3);
		check_stage(r, 1, STV_EXCLUDE, 1, s1, 3, 0);
		check_stage(r, 2, STV_SURPLUS, -1, s3, 3, 0);
		CHECK(r->nelected == 1 && r->elected[0] == 0);
		CHECK(has_note(r, "tie"));
		stv_result_free(r);
	}
	r = count_text(tie);
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK(r->nstages == 3);
		check_stage(r, 1, STV_EXCLUDE, 2, s1, 3, 0);
		check_stage(r, 2, STV_SURPLUS, -1, t3, 3, 2 * G);
		CHECK(r->nelected == 1 && r->elected[0] == 0);
		stv_result_free(r);
	}
}

/*
 * A withdrawn candidate (D): papers pass over D, and papers naming only D
 * are not counted at all (as in the reference implementation).
 *   5 D A, 3 B, 2 C, 2 D; 2 seats.  Counted papers 5 + 3 + 2 = 10;
 *   quota 10/3 = 3.333333333 + 0.000000001 = 3.333333334.
 *   Stage 1: A 5, B 3, C 2, D 0.  Round 1 elects A.
 *   Round 2, iteration 1: surplus 5 - 3.333333334 = 1.666666666;
 *   kf(A) = 3.333333334 / 5 = 0.6666666668 -> 0.666666667.
 *   Iteration 2: A = 5 * 0.666666667 = 3.333333335, the rest
 *   (5 * 0.333333333 = 1.666666665) exhausts.  Sum 8.333333335; quota
 *   8.333333335 / 3 = 2.777777778(33) -> 2.777777779.  B (3) is
 *   elected at stage 3; non-transferable 10 - 8.333333335 = 1.666666665.
 */
static void test_withdrawn(void)
{
	static const char blt[] = "4 2\n-4\n5 4 1 0\n3 2 0\n2 3 0\n2 4 0\n0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"withdrawn\"\n";
	const int64_t s1[] = {5 * G, 3 * G, 2 * G, 0};
	const int64_t s3[] = {3333333335LL, 3 * G, 2 * G, 0};
	stv_result *r = count_text(blt);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->quota == 3333333334LL);
	CHECK(r->nstages == 3);
	check_stage(r, 0, STV_FIRST, -1, s1, 4, 0);
	check_stage(r, 1, STV_SURPLUS, -1, s1, 4, 0);
	check_stage(r, 2, STV_SURPLUS, -1, s3, 4, 1666666665LL);
	CHECK(r->nelected == 2);
	CHECK(r->elected[0] == 0);
	CHECK(r->elected[1] == 1);
	stv_result_free(r);
}

/*
 * As many candidates as seats: no round at all, everyone is elected at
 * stage 1, highest vote first (B 3, C 2, A 1).
 */
static void test_no_contest(void)
{
	static const char blt[] = "3 3\n1 1 0\n3 2 0\n2 3 0\n0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"all in\"\n";
	const int64_t s1[] = {1 * G, 3 * G, 2 * G};
	stv_result *r = count_text(blt);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->nstages == 1);
	check_stage(r, 0, STV_FIRST, -1, s1, 3, 0);
	CHECK(r->nelected == 3);
	CHECK(r->elected[0] == 1 && r->elected[1] == 2 && r->elected[2] == 0);
	stv_result_free(r);
}

static stv_constraints *read_cons(const stv_election *e, const char *text)
{
	stv_constraints *k = NULL;
	stv_error err;

	if (e == NULL)
		return NULL;
	if (stv_constraints_read(e, text, strlen(text), &k, &err) != STV_OK) {
		fprintf(stderr, "constraints: line %d: %s\n", err.line,
		        err.msg);
		return NULL;
	}
	return k;
}

/*
 * A binding constraint: at least one of category w, whose only member is
 * C.  The profile is that of test_surplus_iteration (7 A B, 3 B, 2 C;
 * 2 seats; quota 4.000000001).
 *   At the start nobody is doomed (any one of A, B, C can be elected and
 *   C still take the other seat); C is guarded.  Round 1 elects A (7).
 *   Before round 2, electing B would fill the last seat without C: B is
 *   doomed and excluded at once, in stage 3, with the votes as they then
 *   stand (kf(A) is still 1, so 7, 3, 2).  C, the one hopeful left for
 *   one seat, is elected at stage 3.
 */
static void test_constraint_binds(void)
{
	static const char blt[] = "3 2\n7 1 2 0\n3 2 0\n2 3 0\n0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"binds\"\n";
	static const char cons[] = "category w min 1\ncandidate 3 w\n";
	const int64_t s1[] = {7 * G, 3 * G, 2 * G};
	stv_election *e = read_blt(blt);
	stv_constraints *k = read_cons(e, cons);
	stv_result *r = k ? count_with(e, k) : NULL;

	CHECK(r != NULL);
	if (r != NULL) {
		CHECK(r->nstages == 3);
		check_stage(r, 0, STV_FIRST, -1, s1, 3, 0);
		check_stage(r, 1, STV_SURPLUS, -1, s1, 3, 0);
		check_stage(r, 2, STV_EXCLUDE, 1, s1, 3, 0);
		if (r->nstages == 3)
			CHECK(r->stages[2].note != NULL &&
			      strstr(r->stages[2].note, "constraint") != NULL);
		CHECK(r->nelected == 2);
		CHECK(r->elected[0] == 0 && r->elected_stage[0] == 2);
		CHECK(r->elected[1] == 2 && r->elected_stage[1] == 3);
		stv_result_free(r);
	}
	stv_constraints_free(k);
	stv_election_free(e);
}

/*
 * Constraints that never bind change nothing: the profile of
 * test_defeat_after_iteration (A, then B defeated, then C) with "at
 * least one of A, C" (met once A is elected) and "at most two of B, C"
 * (never in question with two seats).  Nobody is ever doomed, and B, the
 * one defeated, is not guarded since A already meets the minimum, so the
 * count must equal the plain one stage for stage.
 */
static void test_constraint_idle(void)
{
	static const char blt[] = "3 2\n6 1 2 0\n2 2 0\n4 3 0\n0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"idle\"\n";
	static const char cons[] = "category y min 1\ncategory x max 2\n"
	                           "candidate 1 y\ncandidate 2 x\n"
	                           "candidate 3 x y\n";
	stv_election *e = read_blt(blt);
	stv_constraints *k = read_cons(e, cons);
	stv_result *a = count_with(e, NULL);
	stv_result *b = k ? count_with(e, k) : NULL;

	CHECK(a != NULL && b != NULL);
	if (a != NULL && b != NULL) {
		CHECK(a->nstages == 3 && b->nstages == a->nstages);
		for (int s = 0; s < a->nstages && s < b->nstages; s++) {
			const stv_stage *x = &a->stages[s], *y = &b->stages[s];

			CHECK(x->action == y->action);
			CHECK(x->ncands == y->ncands);
			CHECK(x->ncands == 0 || x->cands[0] == y->cands[0]);
			CHECK(memcmp(x->votes, y->votes,
			             3 * sizeof *x->votes) == 0);
			CHECK(x->nontransferable == y->nontransferable);
			CHECK(y->note == NULL);
		}
		CHECK(a->quota == b->quota);
		CHECK(a->nelected == 2 && b->nelected == 2);
		CHECK(memcmp(a->elected, b->elected, 2 * sizeof(int)) == 0);
		CHECK(a->elected[0] == 0 && a->elected[1] == 2);
	}
	stv_result_free(a);
	stv_result_free(b);
	stv_constraints_free(k);
	stv_election_free(e);
}

int main(void)
{
	test_surplus_iteration();
	test_defeat_after_iteration();
	test_keep_rounding();
	test_exhausted_quota();
	test_tie_by_lot();
	test_withdrawn();
	test_no_contest();
	test_constraint_binds();
	test_constraint_idle();
	CHECK_DONE();
}
