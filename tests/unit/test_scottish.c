/*
 * test_scottish.c: the scottish-stv rule (SSI 2007/42 Sch. 1 rules 45-52)
 * on small profiles whose every figure was worked out by hand from the
 * rule text.  The working is in the comments; values are to 5 places.
 */
#include "stvtest.h"

#include <stdlib.h>
#include <string.h>

static stv_result *count(const char *blt)
{
	return count_k(blt, STV_RULE_SCOTTISH, 0, 0, NULL);
}

enum { A, B, C, D, E, G };

/*
 * Rule 51(2)(a): B and C tie for lowest at stage 4 and were tied at
 * stages 3 and 2 too; at stage 1 C had fewer, so C is excluded -- not B,
 * whom a lot (file order) would have picked.
 *
 *   29 papers, 2 seats: quota = floor(29/3) + 1 = 10.
 *   stage 1  A 1  B 5  C 4  D 8  E 9  G 2              nt 0
 *   stage 2  exclude A: its paper goes to C (5)        nt 0
 *   stage 3  exclude G: 2 papers exhausted             nt 2
 *   stage 4  B = C = 5; stage 1 had C 4 < B 5: exclude C; its 5 papers
 *            exhaust                                   nt 7
 *   stage 5  B 5 D 8 E 9, three continue for 2 seats: exclude B  nt 12
 *   then D and E are the only continuing candidates: elected E (9), D (8)
 *   at stage 5, with no further stage (rule 52).
 */
static void test_lookback(void)
{
	static const char blt[] = "6 2\n"
	                          "1 1 3 0\n"
	                          "2 6 0\n"
	                          "5 2 0\n"
	                          "4 3 0\n"
	                          "8 4 0\n"
	                          "9 5 0\n"
	                          "0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"E\"\n\"G\"\n"
	                          "\"look back\"\n";
	static const int want[] = {E, D};
	stv_result *r = count(blt);

	if (r == NULL)
		return;
	CHECK_STR(Q(r), "10.00000");
	CHECK(r->nstages == 5);
	CHECK(r->stages[0].action == STV_FIRST && r->stages[0].ncands == 0);
	CHECK_STR(V(r, 1, A), "1.00000");
	CHECK_STR(V(r, 1, C), "4.00000");
	CHECK_STR(NT(r, 1), "0.00000");
	CHECK(acted(r, 2, STV_EXCLUDE, A));
	CHECK_STR(V(r, 2, A), "0.00000");
	CHECK_STR(V(r, 2, C), "5.00000");
	CHECK_STR(NT(r, 2), "0.00000");
	CHECK(acted(r, 3, STV_EXCLUDE, G));
	CHECK_STR(NT(r, 3), "2.00000");
	CHECK_STR(V(r, 3, B), "5.00000");
	CHECK_STR(V(r, 3, C), "5.00000");
	CHECK(acted(r, 4, STV_EXCLUDE, C));
	CHECK_STR(NT(r, 4), "7.00000");
	CHECK(acted(r, 5, STV_EXCLUDE, B));
	CHECK_STR(NT(r, 5), "12.00000");
	CHECK_STR(V(r, 5, D), "8.00000");
	CHECK_STR(V(r, 5, E), "9.00000");
	CHECK(elected_are(r, want, 2));
	CHECK(r->elected_stage[0] == 5 && r->elected_stage[1] == 5);
	/* Settled by the rules, not by lot: no draw is recorded. */
	CHECK(!any_note_has(r, "lot"));
	CHECK(r->stages[3].note != NULL &&
	      strstr(r->stages[3].note, "stage 1") != NULL);
	stv_result_free(r);
}

/*
 * Rule 51(2)(b): B and C tie at the only stage there is, so the lot
 * decides.  Unseeded, the lot takes the candidate first in the file (B);
 * with a [tie] line, the one first in that line (C).
 *
 *   7 papers, 1 seat: quota = floor(7/2) + 1 = 4.
 *   stage 1  A 3  B 2  C 2
 *   stage 2  exclude B by lot; its 2 papers go to A: A 5  nt 0
 *   A has the quota and fills the seat.
 * With [tie 3 2 1]:
 *   stage 2  exclude C by lot; 2 papers exhausted: A 3 B 2  nt 2
 *   stage 3  exclude B: A 5  nt 2; A is the last continuing candidate.
 */
static void test_lot(void)
{
	static const char body[] = "3 1 0\n"
	                           "2 2 1 0\n"
	                           "2 3 0\n"
	                           "0\n"
	                           "\"A\"\n\"B\"\n\"C\"\n\"lot\"\n";
	static const int want[] = {A};
	char blt[256];
	stv_result *r, *r2;

	snprintf(blt, sizeof blt, "3 1\n%s", body);
	if ((r = count(blt)) == NULL)
		return;
	CHECK_STR(Q(r), "4.00000");
	CHECK(r->nstages == 2);
	CHECK(acted(r, 2, STV_EXCLUDE, B));
	CHECK_STR(V(r, 2, A), "5.00000");
	CHECK_STR(V(r, 2, C), "2.00000");
	CHECK_STR(NT(r, 2), "0.00000");
	CHECK(elected_are(r, want, 1));
	CHECK(r->nnotes == 1);
	CHECK(any_note_has(r, "[B, C]"));
	CHECK(any_note_has(r, ": B ("));
	stv_result_free(r);

	snprintf(blt, sizeof blt, "3 1\n[tie 3 2 1]\n%s", body);
	if ((r = count(blt)) == NULL)
		return;
	CHECK(r->nstages == 3);
	CHECK(acted(r, 2, STV_EXCLUDE, C));
	CHECK_STR(NT(r, 2), "2.00000");
	CHECK(acted(r, 3, STV_EXCLUDE, B));
	CHECK_STR(V(r, 3, A), "5.00000");
	CHECK_STR(NT(r, 3), "2.00000");
	CHECK(elected_are(r, want, 1));
	CHECK(any_note_has(r, ": C ("));
	stv_result_free(r);

	/* A seeded draw is reproducible: the same seed, the same count. */
	snprintf(blt, sizeof blt, "3 1\n%s", body);
	r = count_k(blt, STV_RULE_SCOTTISH, 1, 12345, NULL);
	r2 = count_k(blt, STV_RULE_SCOTTISH, 1, 12345, NULL);
	if (r && r2) {
		CHECK(r->nstages == r2->nstages);
		CHECK(r->stages[1].cands[0] == r2->stages[1].cands[0]);
		CHECK(r->stages[1].cands[0] == B || r->stages[1].cands[0] == C);
		CHECK(any_note_has(r, "seed"));
	}
	stv_result_free(r);
	stv_result_free(r2);
}

/*
 * A withdrawn candidate (B, "-2") is skipped on every paper from the
 * start; the one paper that named only B is not a valid vote for anyone
 * standing and is left out of the total.  B is never "excluded", though it
 * has the fewest votes.
 *
 *   valid papers 3 + 2 + 2 + 2 = 9, 1 seat: quota = floor(9/2) + 1 = 5.
 *   stage 1  A 3  B 0  C 2 + 2 = 4  D 2                 nt 0
 *   stage 2  exclude D (not B): 2 papers exhausted      nt 2
 *   stage 3  exclude A: 3 papers exhausted; C 4         nt 5
 *   C, the last continuing candidate, is elected below the quota.
 */
static void test_withdrawn(void)
{
	static const char blt[] = "4 1\n"
	                          "-2\n"
	                          "3 1 0\n"
	                          "2 2 3 0\n"
	                          "1 2 0\n"
	                          "2 3 4 0\n"
	                          "2 4 0\n"
	                          "0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"withdrawn\"\n";
	static const int want[] = {C};
	stv_result *r = count(blt);

	if (r == NULL)
		return;
	CHECK(r->papers == 9);
	CHECK_STR(Q(r), "5.00000");
	CHECK(r->nstages == 3);
	CHECK_STR(V(r, 1, B), "0.00000");
	CHECK_STR(V(r, 1, C), "4.00000");
	CHECK_STR(NT(r, 1), "0.00000");
	CHECK(acted(r, 2, STV_EXCLUDE, D));
	CHECK_STR(NT(r, 2), "2.00000");
	CHECK(acted(r, 3, STV_EXCLUDE, A));
	CHECK_STR(V(r, 3, C), "4.00000");
	CHECK_STR(NT(r, 3), "5.00000");
	CHECK(elected_are(r, want, 1));
	stv_result_free(r);
}

/*
 * Weighted lines: "5 1 2 0" is five papers (or one delegate with five
 * votes).  The count must equal the one of the same papers one per line.
 *
 *   11 papers, 2 seats: quota = floor(11/3) + 1 = 4.
 *   stage 1  A 5  B 1  C 3  D 2
 *   stage 2  A's surplus 1: each of A's 5 papers goes on at
 *            1.00000 * 1.00000 / 5.00000 = 0.20000, so B gets 1.00000:
 *            A 4  B 2  C 3  D 2                         nt 0
 *   stage 3  B = D = 2; stage 1 had B 1 < D 2: exclude B; its own paper
 *            (1.00000) and A's five (5 * 0.20000) exhaust  nt 2
 *   stage 4  C 3 D 2 continue for 1 seat: exclude D      nt 4
 *   C is elected as the last continuing candidate.
 */
static void test_weighted(void)
{
	static const char weighted[] = "4 2\n"
	                               "5 1 2 0\n"
	                               "1 2 0\n"
	                               "3 3 0\n"
	                               "2 4 0\n"
	                               "0\n"
	                               "\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"w\"\n";
	static const char single[] = "4 2\n"
	                             "1 1 2 0\n1 1 2 0\n1 1 2 0\n1 1 2 0\n"
	                             "1 3 0\n"
	                             "1 1 2 0\n"
	                             "1 2 0\n"
	                             "1 3 0\n1 4 0\n1 3 0\n1 4 0\n"
	                             "0\n"
	                             "\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"w\"\n";
	static const int want[] = {A, C};
	stv_result *r = count(weighted), *s = count(single);

	if (r == NULL || s == NULL)
		goto out;
	CHECK(r->papers == 11);
	CHECK_STR(Q(r), "4.00000");
	CHECK(r->nstages == 4);
	CHECK_STR(V(r, 1, A), "5.00000");
	CHECK(acted(r, 2, STV_SURPLUS, A));
	CHECK_STR(V(r, 2, A), "4.00000");
	CHECK_STR(V(r, 2, B), "2.00000");
	CHECK_STR(NT(r, 2), "0.00000");
	CHECK(acted(r, 3, STV_EXCLUDE, B));
	CHECK_STR(NT(r, 3), "2.00000");
	CHECK(acted(r, 4, STV_EXCLUDE, D));
	CHECK_STR(NT(r, 4), "4.00000");
	CHECK(elected_are(r, want, 2));

	CHECK(s->nstages == r->nstages && s->quota == r->quota);
	for (int i = 0; i < r->nstages && i < s->nstages; i++) {
		CHECK(s->stages[i].action == r->stages[i].action);
		CHECK(s->stages[i].nontransferable ==
		      r->stages[i].nontransferable);
		CHECK(memcmp(s->stages[i].votes, r->stages[i].votes,
		             4 * sizeof(int64_t)) == 0);
	}
	CHECK(elected_are(s, want, 2));
out:
	stv_result_free(r);
	stv_result_free(s);
}

/*
 * Rule 48(3)-(4): transfer value = surplus * value of the paper / votes,
 * to 5 places with the remainder ignored, and a paper keeps the value it
 * arrived with.
 *
 *   16 papers, 3 seats: quota = floor(16/4) + 1 = 5.
 *   stage 1  A 7  B 4  C 1  D 1  E 3
 *   stage 2  A's surplus 2.00000 over 7.00000 votes:
 *              1.00000 * 2.00000 / 7.00000 = 0.285714... -> 0.28571
 *            B gets 7 * 0.28571 = 1.99997: B 5.99997, A 5
 *            nt = 16 - 15.99997 = 0.00003 (lost to truncation)
 *   stage 3  B's surplus 0.99997 over 5.99997 votes:
 *              own 4 papers:  1.00000 * 0.99997 / 5.99997 = 0.166662...
 *                             -> 0.16666, D gets 4 * 0.16666 = 0.66664
 *              A's 7 papers:  0.28571 * 0.99997 / 5.99997 = 0.047617...
 *                             -> 0.04761, C gets 7 * 0.04761 = 0.33327
 *            B 5  C 1.33327  D 1.66664  E 3
 *            nt = 16 - 15.99991 = 0.00009
 *   stage 4  exclude C: all its papers exhaust  nt 0.00009 + 1.33327
 *   stage 5  exclude D (D 1.66664 < E 3)       nt 3.00000
 *   E is elected as the last continuing candidate: A, B, E.
 */
static void test_truncation(void)
{
	static const char blt[] = "5 3\n"
	                          "7 1 2 3 0\n"
	                          "4 2 4 0\n"
	                          "1 3 0\n"
	                          "1 4 0\n"
	                          "3 5 0\n"
	                          "0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"E\"\n"
	                          "\"truncation\"\n";
	static const int want[] = {A, B, E};
	stv_result *r = count(blt);

	if (r == NULL)
		return;
	CHECK_STR(Q(r), "5.00000");
	CHECK(r->nstages == 5);
	CHECK(acted(r, 2, STV_SURPLUS, A));
	CHECK_STR(V(r, 2, A), "5.00000");
	CHECK_STR(V(r, 2, B), "5.99997");
	CHECK_STR(NT(r, 2), "0.00003");
	CHECK(acted(r, 3, STV_SURPLUS, B));
	CHECK_STR(V(r, 3, B), "5.00000");
	CHECK_STR(V(r, 3, C), "1.33327");
	CHECK_STR(V(r, 3, D), "1.66664");
	CHECK_STR(V(r, 3, E), "3.00000");
	CHECK_STR(NT(r, 3), "0.00009");
	CHECK(acted(r, 4, STV_EXCLUDE, C));
	CHECK_STR(NT(r, 4), "1.33336");
	CHECK(acted(r, 5, STV_EXCLUDE, D));
	CHECK_STR(NT(r, 5), "3.00000");
	CHECK(elected_are(r, want, 3));
	CHECK(r->elected_stage[0] == 1 && r->elected_stage[1] == 2 &&
	      r->elected_stage[2] == 5);
	stv_result_free(r);
}

/*
 * An exact quota has no surplus (rule 48(1): "exceeds the quota"), so it
 * makes no stage.  This is WIGM's zero-surplus profile (test_wigm.c).
 *
 *   14997 papers, 2 seats: quota = floor(14997/3) + 1 = 5000.
 *   stage 1  A 5000 (exactly the quota: elected, nothing to transfer)
 *            X 4999  Y 4998
 *   stage 2  X and Y continue for 1 seat: exclude Y      nt 4998
 *   X is the last continuing candidate.
 */
static void test_exact_quota(void)
{
	static const char blt[] = "3 2\n"
	                          "1 1 2 0\n"
	                          "4999 1 0\n"
	                          "4999 2 0\n"
	                          "4998 3 0\n"
	                          "0\n"
	                          "\"A\"\n\"X\"\n\"Y\"\n\"exact quota\"\n";
	static const int want[] = {0, 1};
	stv_result *r = count(blt);

	if (r == NULL)
		return;
	CHECK_STR(Q(r), "5000.00000");
	CHECK(r->nstages == 2);
	CHECK(acted(r, 2, STV_EXCLUDE, 2));
	CHECK_STR(V(r, 2, 0), "5000.00000");
	CHECK_STR(V(r, 2, 1), "4999.00000");
	CHECK_STR(NT(r, 2), "4998.00000");
	CHECK(elected_are(r, want, 2));
	stv_result_free(r);
}

/*
 * Rule 52: as soon as no more candidates continue than seats remain, they
 * are deemed elected, ordered by votes, and no transfer follows -- not
 * even of a surplus.
 *
 *   C is withdrawn, so its paper is not valid: 7 papers, 2 seats,
 *   quota = floor(7/3) + 1 = 3.
 *   stage 1  A 2  B 5: B has the quota (surplus 2, never transferred);
 *            A is the only other continuing candidate for the 1 seat left.
 */
static void test_last_vacancies(void)
{
	static const char blt[] = "3 2\n"
	                          "-3\n"
	                          "2 1 0\n"
	                          "5 2 1 0\n"
	                          "1 3 0\n"
	                          "0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"last\"\n";
	static const int want[] = {B, A};
	stv_result *r = count(blt);

	if (r == NULL)
		return;
	CHECK_STR(Q(r), "3.00000");
	CHECK(r->nstages == 1);
	CHECK_STR(V(r, 1, A), "2.00000");
	CHECK_STR(V(r, 1, B), "5.00000");
	CHECK(elected_are(r, want, 2));
	CHECK(r->elected_stage[0] == 1 && r->elected_stage[1] == 1);
	stv_result_free(r);
}

/*
 * Constraints (the guarded/doomed method of constraint.c).  A and B are in
 * category f, C, D and E in m.
 *
 * Binding: at least 1 f among the 2 elected.  Plain Scottish STV
 * (quota floor(20/3) + 1 = 7) elects D at stage 1, transfers D's surplus
 * to E (6.99998), then excludes A, B and C in turn and elects E: D, E, no
 * f.  With the constraint, once D (m) is elected the last seat must go to
 * an f, so C and E are doomed and excluded at once, lowest first, before
 * D's surplus is transferred:
 *
 *   stage 1  A 1  B 2  C 3  D 9  E 5; D elected       nt 0
 *   stage 2  exclude C (doomed): 3 papers exhaust      nt 3
 *   stage 3  exclude E (doomed): 5 papers exhaust      nt 8
 *   stage 4  D's surplus 2 over 9: its 9 papers (next preference E, now
 *            excluded) are worth 0.22222 each and exhaust; D 7
 *            nt 20 - (7 + 1 + 2) = 10
 *   stage 5  exclude A (lowest; not guarded while B continues)  nt 11
 *   B is the last continuing candidate: D, B.
 */
static const char cons_blt[] = "5 2\n"
                               "1 1 0\n"
                               "2 2 0\n"
                               "3 3 0\n"
                               "9 4 5 0\n"
                               "5 5 0\n"
                               "0\n"
                               "\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"E\"\n"
                               "\"constraints\"\n";

static void test_constraint_binds(void)
{
	static const char cats[] = "category f min 1 max 2\n"
	                           "category m min 0 max 2\n"
	                           "candidate 1 f\n"
	                           "candidate 2 f\n"
	                           "candidate 3 m\n"
	                           "candidate 4 m\n"
	                           "candidate 5 m\n";
	static const int plain_want[] = {D, E}, want[] = {D, B};
	stv_result *plain = count(cons_blt);
	stv_result *r = count_k(cons_blt, STV_RULE_SCOTTISH, 0, 0, cats);

	if (plain == NULL || r == NULL)
		goto out;
	CHECK(plain->nstages == 5);
	CHECK(acted(plain, 2, STV_SURPLUS, D));
	CHECK_STR(V(plain, 2, E), "6.99998");
	CHECK_STR(NT(plain, 2), "0.00002");
	CHECK(elected_are(plain, plain_want, 2));

	CHECK(r->nstages == 5);
	CHECK(acted(r, 2, STV_EXCLUDE, C));
	CHECK_STR(NT(r, 2), "3.00000");
	CHECK(acted(r, 3, STV_EXCLUDE, E));
	CHECK_STR(NT(r, 3), "8.00000");
	CHECK(acted(r, 4, STV_SURPLUS, D));
	CHECK_STR(V(r, 4, D), "7.00000");
	CHECK_STR(NT(r, 4), "10.00000");
	CHECK(acted(r, 5, STV_EXCLUDE, A));
	CHECK_STR(V(r, 5, B), "2.00000");
	CHECK_STR(NT(r, 5), "11.00000");
	CHECK(elected_are(r, want, 2));
out:
	stv_result_free(plain);
	stv_result_free(r);
}

/*
 * Never binding: at most 5 of either category -- nobody is ever guarded
 * or doomed, and the count is the plain one, stage for stage.
 */
static void test_constraint_idle(void)
{
	static const char cats[] = "category f min 0 max 5\n"
	                           "category m min 0 max 5\n"
	                           "candidate 1 f\n"
	                           "candidate 2 f\n"
	                           "candidate 3 m\n"
	                           "candidate 4 m\n"
	                           "candidate 5 m\n";
	stv_result *plain = count(cons_blt);
	stv_result *r = count_k(cons_blt, STV_RULE_SCOTTISH, 0, 0, cats);

	if (plain == NULL || r == NULL)
		goto out;
	CHECK(r->nstages == plain->nstages);
	CHECK(r->quota == plain->quota);
	for (int i = 0; i < r->nstages && i < plain->nstages; i++) {
		CHECK(r->stages[i].action == plain->stages[i].action);
		CHECK(r->stages[i].ncands == plain->stages[i].ncands);
		CHECK(r->stages[i].ncands == 0 ||
		      r->stages[i].cands[0] == plain->stages[i].cands[0]);
		CHECK(r->stages[i].nontransferable ==
		      plain->stages[i].nontransferable);
		CHECK(memcmp(r->stages[i].votes, plain->stages[i].votes,
		             5 * sizeof(int64_t)) == 0);
	}
	CHECK(stv_result_elected_count(r) == stv_result_elected_count(plain));
	for (int i = 0; i < stv_result_elected_count(r); i++)
		CHECK(stv_result_elected(r, i) == stv_result_elected(plain, i));
out:
	stv_result_free(plain);
	stv_result_free(r);
}

int main(void)
{
	test_lookback();
	test_lot();
	test_withdrawn();
	test_weighted();
	test_truncation();
	test_exact_quota();
	test_last_vacancies();
	test_constraint_binds();
	test_constraint_idle();
	CHECK_DONE();
}
