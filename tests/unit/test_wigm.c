/*
 * test_wigm.c: the wigm rule (the PR Foundation's reference WIGM, single
 * defeat) on small profiles whose every figure was worked out by hand from
 * the rule text.  The working is in the comments; values are to 4 places,
 * and every multiplication and division is truncated (D.4).
 */
#include "stvtest.h"

#include <stdlib.h>
#include <string.h>

static stv_result *count(const char *blt)
{
	return count_k(blt, STV_RULE_WIGM, 0, 0, NULL);
}

enum { A, B, C, D, E, G };

/*
 * D.1: ties go straight to the tiebreaking order; unlike Scottish STV
 * there is no looking back.  The profile is test_scottish.c's look-back
 * one: there C is excluded at stage 4 because it had fewer votes at
 * stage 1; here the lot takes B, first in the file.
 *
 *   29 papers, 2 seats: quota = 29/3 = 9.6666 (truncated) + 0.0001
 *   = 9.6667.
 *   stage 1  A 1  B 5  C 4  D 8  E 9  G 2              nt 0
 *   stage 2  defeat A: its paper goes to C (5)         nt 0
 *   stage 3  defeat G: 2 papers exhausted              nt 2
 *   stage 4  B = C = 5: by lot, B (first in the file)  nt 7
 *   stage 5  defeat C                                  nt 12
 *   D and E are the only hopefuls left: elected E (9), D (8).
 * With [tie 3 2], C comes first in the tiebreaking order and is defeated
 * at stage 4 instead.
 */
static const char tie_body[] = "1 1 3 0\n"
                               "2 6 0\n"
                               "5 2 0\n"
                               "4 3 0\n"
                               "8 4 0\n"
                               "9 5 0\n"
                               "0\n"
                               "\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"E\"\n\"G\"\n"
                               "\"lot\"\n";

static void test_lot(void)
{
	static const int want[] = {E, D};
	char blt[256];
	stv_result *r;

	snprintf(blt, sizeof blt, "6 2\n%s", tie_body);
	if ((r = count(blt)) == NULL)
		return;
	CHECK_STR(Q(r), "9.6667");
	CHECK(r->nstages == 5);
	CHECK(acted(r, 2, STV_EXCLUDE, A));
	CHECK_STR(V(r, 2, C), "5.0000");
	CHECK_STR(NT(r, 2), "0.0000");
	CHECK(acted(r, 3, STV_EXCLUDE, G));
	CHECK_STR(NT(r, 3), "2.0000");
	CHECK(acted(r, 4, STV_EXCLUDE, B));
	CHECK_STR(V(r, 4, C), "5.0000");
	CHECK_STR(NT(r, 4), "7.0000");
	CHECK(acted(r, 5, STV_EXCLUDE, C));
	CHECK_STR(NT(r, 5), "12.0000");
	CHECK(elected_are(r, want, 2));
	CHECK(r->elected_stage[0] == 5 && r->elected_stage[1] == 5);
	CHECK(r->nnotes == 1);
	CHECK(any_note_has(r, "[B, C]"));
	CHECK(any_note_has(r, ": B ("));
	stv_result_free(r);

	snprintf(blt, sizeof blt, "6 2\n[tie 3 2]\n%s", tie_body);
	if ((r = count(blt)) == NULL)
		return;
	CHECK(r->nstages == 5);
	CHECK(acted(r, 4, STV_EXCLUDE, C));
	CHECK(acted(r, 5, STV_EXCLUDE, B));
	CHECK_STR(NT(r, 5), "12.0000");
	CHECK(elected_are(r, want, 2));
	CHECK(any_note_has(r, ": C ("));
	stv_result_free(r);
}

/*
 * D.4: value * surplus is truncated to 4 places before the division,
 * which is truncated again.  Two papers "A B C", 2 seats.
 *
 *   quota = 2/3 = 0.6666 + 0.0001 = 0.6667.
 *   stage 1  A 2  B 0  C 0
 *   stage 2  A's surplus 1.3333: 1.0000 * 1.3333 = 1.3333,
 *            / 2.0000 = 0.66665 -> 0.6666; B 2 * 0.6666 = 1.3332
 *            nt 2 - 0.6667 - 1.3332 = 0.0001
 *   stage 3  B is elected and fills the last seat, but B.3 still
 *            transfers its surplus 1.3332 - 0.6667 = 0.6665:
 *            0.6666 * 0.6665 = 0.44428890 -> 0.4442,
 *            / 1.3332 = 0.33318... -> 0.3331; C gets 2 * 0.3331 = 0.6662
 *            (one rounding, 0.6666 * 0.6665 / 1.3332 = 0.33325 -> 0.3332,
 *            would give 0.6664)
 *            nt 2 - 0.6667 - 0.6667 - 0.6662 = 0.0004
 */
static void test_truncation(void)
{
	static const char blt[] = "3 2\n"
	                          "1 1 2 3 0\n"
	                          "1 1 2 3 0\n"
	                          "0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"truncation\"\n";
	static const int want[] = {A, B};
	stv_result *r = count(blt);

	if (r == NULL)
		return;
	CHECK_STR(Q(r), "0.6667");
	CHECK(r->nstages == 3);
	CHECK(acted(r, 2, STV_SURPLUS, A));
	CHECK_STR(V(r, 2, A), "0.6667");
	CHECK_STR(V(r, 2, B), "1.3332");
	CHECK_STR(NT(r, 2), "0.0001");
	CHECK(acted(r, 3, STV_SURPLUS, B));
	CHECK_STR(V(r, 3, B), "0.6667");
	CHECK_STR(V(r, 3, C), "0.6662");
	CHECK_STR(NT(r, 3), "0.0004");
	CHECK(elected_are(r, want, 2));
	CHECK(r->elected_stage[0] == 1 && r->elected_stage[1] == 2);
	stv_result_free(r);
}

/*
 * B.3: a paper is passed on at the value it arrived with, times the
 * surplus, over the vote (test_scottish.c's truncation profile).
 *
 *   16 papers, 3 seats: quota = 16/4 = 4.0000 + 0.0001 = 4.0001.
 *   stage 1  A 7  B 4  C 1  D 1  E 3
 *   stage 2  A's surplus 2.9999 over 7: 2.9999 / 7 = 0.42855... -> 0.4285
 *            B gets 7 * 0.4285 = 2.9995: B 6.9995      nt 0.0004
 *   stage 3  B's surplus 6.9995 - 4.0001 = 2.9994 over 6.9995:
 *              own 4 papers: 2.9994 / 6.9995 = 0.42851... -> 0.4285,
 *                            D gets 4 * 0.4285 = 1.7140 (D 2.7140)
 *              A's 7 papers: 0.4285 * 2.9994 = 1.28524... -> 1.2852,
 *                            / 6.9995 = 0.18361... -> 0.1836,
 *                            C gets 7 * 0.1836 = 1.2852 (C 2.2852)
 *            nt 16 - 4.0001 - 4.0001 - 2.2852 - 2.7140 - 3 = 0.0006
 *   stage 4  defeat C: its papers exhaust              nt 2.2858
 *   stage 5  defeat D                                  nt 4.9998
 *   E is the last hopeful: A, B, E.
 */
static void test_received_value(void)
{
	static const char blt[] = "5 3\n"
	                          "7 1 2 3 0\n"
	                          "4 2 4 0\n"
	                          "1 3 0\n"
	                          "1 4 0\n"
	                          "3 5 0\n"
	                          "0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"E\"\n"
	                          "\"received value\"\n";
	static const int want[] = {A, B, E};
	stv_result *r = count(blt);

	if (r == NULL)
		return;
	CHECK_STR(Q(r), "4.0001");
	CHECK(r->nstages == 5);
	CHECK(acted(r, 2, STV_SURPLUS, A));
	CHECK_STR(V(r, 2, B), "6.9995");
	CHECK_STR(NT(r, 2), "0.0004");
	CHECK(acted(r, 3, STV_SURPLUS, B));
	CHECK_STR(V(r, 3, C), "2.2852");
	CHECK_STR(V(r, 3, D), "2.7140");
	CHECK_STR(NT(r, 3), "0.0006");
	CHECK(acted(r, 4, STV_EXCLUDE, C));
	CHECK_STR(NT(r, 4), "2.2858");
	CHECK(acted(r, 5, STV_EXCLUDE, D));
	CHECK_STR(NT(r, 5), "4.9998");
	CHECK(elected_are(r, want, 3));
	stv_result_free(r);
}

/*
 * B.3 "possibly zero": a candidate who reaches the quota exactly has its
 * zero surplus transferred, and that is a stage.
 *
 *   14997 papers, 2 seats: quota = 14997/3 = 4999.0000 + 0.0001
 *   = 4999.0001.
 *   stage 1  A 5000  X 4999  Y 4998
 *   stage 2  A's surplus 0.9999 over 5000: 0.9999 / 5000 = 0.00019998
 *            -> 0.0001 per paper; X gets its one paper: X 4999.0001,
 *            exactly the quota; A's other 4999 papers exhaust
 *            nt 14997 - 4999.0001 - 4999.0001 - 4998 = 0.9998
 *   stage 3  X elected; its surplus of 0.0000 is transferred: nothing
 *            changes.
 * (Scottish STV counts this profile in 2 stages: test_exact_quota.)
 */
static void test_zero_surplus(void)
{
	static const char blt[] = "3 2\n"
	                          "1 1 2 0\n"
	                          "4999 1 0\n"
	                          "4999 2 0\n"
	                          "4998 3 0\n"
	                          "0\n"
	                          "\"A\"\n\"X\"\n\"Y\"\n\"zero surplus\"\n";
	static const int want[] = {0, 1};
	stv_result *r = count(blt);

	if (r == NULL)
		return;
	CHECK_STR(Q(r), "4999.0001");
	CHECK(r->nstages == 3);
	CHECK(acted(r, 2, STV_SURPLUS, 0));
	CHECK_STR(V(r, 2, 0), "4999.0001");
	CHECK_STR(V(r, 2, 1), "4999.0001");
	CHECK_STR(V(r, 2, 2), "4998.0000");
	CHECK_STR(NT(r, 2), "0.9998");
	CHECK(acted(r, 3, STV_SURPLUS, 1));
	CHECK(memcmp(r->stages[1].votes, r->stages[2].votes,
	             3 * sizeof(int64_t)) == 0);
	CHECK_STR(NT(r, 3), "0.9998");
	CHECK(elected_are(r, want, 2));
	stv_result_free(r);
}

/*
 * A withdrawn candidate (B) is skipped from the start and never defeated;
 * a paper naming only B is not in the total.
 *
 *   valid papers 9, 1 seat: quota = 9/2 = 4.5 + 0.0001 = 4.5001.
 *   stage 1  A 3  B 0  C 4  D 2                         nt 0
 *   stage 2  defeat D (not B): 2 papers exhaust         nt 2
 *   stage 3  defeat A                                   nt 5
 *   C, the last hopeful, is elected below the quota (C).
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
	CHECK_STR(Q(r), "4.5001");
	CHECK(r->nstages == 3);
	CHECK_STR(V(r, 1, B), "0.0000");
	CHECK_STR(V(r, 1, C), "4.0000");
	CHECK(acted(r, 2, STV_EXCLUDE, D));
	CHECK_STR(NT(r, 2), "2.0000");
	CHECK(acted(r, 3, STV_EXCLUDE, A));
	CHECK_STR(NT(r, 3), "5.0000");
	CHECK(elected_are(r, want, 1));
	stv_result_free(r);
}

/*
 * Weighted lines ("5 1 2 0" is five papers) count as the same papers
 * written one per line.
 *
 *   11 papers, 2 seats: quota = 11/3 = 3.6666 + 0.0001 = 3.6667.
 *   stage 1  A 5  B 1  C 3  D 2
 *   stage 2  A's surplus 1.3333 over 5: 0.26666 -> 0.2666 per paper;
 *            B gets 5 * 0.2666 = 1.3330: B 2.3330      nt 0.0003
 *   stage 3  defeat D (2): its papers exhaust          nt 2.0003
 *   stage 4  defeat B (2.3330 < C 3)                   nt 4.3333
 *   C is the last hopeful: A, C.
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
	CHECK_STR(Q(r), "3.6667");
	CHECK(r->nstages == 4);
	CHECK(acted(r, 2, STV_SURPLUS, A));
	CHECK_STR(V(r, 2, A), "3.6667");
	CHECK_STR(V(r, 2, B), "2.3330");
	CHECK_STR(NT(r, 2), "0.0003");
	CHECK(acted(r, 3, STV_EXCLUDE, D));
	CHECK_STR(NT(r, 3), "2.0003");
	CHECK(acted(r, 4, STV_EXCLUDE, B));
	CHECK_STR(NT(r, 4), "4.3333");
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
 * D.3: the count is complete when no more hopefuls remain than seats; it
 * is tested before each round, so a profile that starts that way has only
 * its first stage, and the hopefuls are elected by vote.
 *
 *   C withdrawn, its paper not valid: 7 papers, 2 seats,
 *   quota = 7/3 = 2.3333 + 0.0001 = 2.3334.
 *   stage 1  A 2  B 5: two hopefuls for two seats -> B, A.
 *
 * But the test is not made between B.1 and B.3: the seat filled in B.1
 * still has its surplus transferred.  One seat, A 5 of 8 papers:
 *   quota = 8/2 = 4 + 0.0001 = 4.0001.
 *   stage 1  A 5  B 2  C 1
 *   stage 2  A elected, surplus 0.9999 over 5 -> 0.1999 per paper;
 *            B gets 5 * 0.1999 = 0.9995: B 2.9995     nt 0.0004
 *   and only then is the count complete.
 */
static void test_complete(void)
{
	static const char blt[] = "3 2\n"
	                          "-3\n"
	                          "2 1 0\n"
	                          "5 2 1 0\n"
	                          "1 3 0\n"
	                          "0\n"
	                          "\"A\"\n\"B\"\n\"C\"\n\"last\"\n";
	static const char blt2[] = "3 1\n"
	                           "5 1 2 0\n"
	                           "2 2 0\n"
	                           "1 3 0\n"
	                           "0\n"
	                           "\"A\"\n\"B\"\n\"C\"\n\"trailing\"\n";
	static const int want[] = {B, A}, want2[] = {A};
	stv_result *r = count(blt), *r2 = count(blt2);

	if (r != NULL) {
		CHECK_STR(Q(r), "2.3334");
		CHECK(r->nstages == 1);
		CHECK(elected_are(r, want, 2));
	}
	if (r2 != NULL) {
		CHECK_STR(Q(r2), "4.0001");
		CHECK(r2->nstages == 2);
		CHECK(acted(r2, 2, STV_SURPLUS, A));
		CHECK_STR(V(r2, 2, A), "4.0001");
		CHECK_STR(V(r2, 2, B), "2.9995");
		CHECK_STR(NT(r2, 2), "0.0004");
		CHECK(elected_are(r2, want2, 1));
	}
	stv_result_free(r);
	stv_result_free(r2);
}

/*
 * Constraints (the guarded/doomed method of constraint.c): A and B are f,
 * C, D and E m; at least 1 f among the 2 elected.
 *
 * Plain WIGM (quota 20/3 = 6.6666 + 0.0001 = 6.6667):
 *   stage 1  A 1  B 2  C 3  D 9  E 5; D elected
 *   stage 2  D's surplus 2.3333 over 9 -> 0.2592 per paper; E gets
 *            9 * 0.2592 = 2.3328: E 7.3328             nt 0.0005
 *   stage 3  E elected (the last seat); its surplus goes: E 6.6667
 *            nt 20 - 6.6667 - 6.6667 - 1 - 2 - 3 = 0.6666
 *   D, E: no f.
 * With the constraint, once D (m) is elected C and E are doomed and
 * excluded at once, lowest first:
 *   stage 2  exclude C                                 nt 3
 *   stage 3  exclude E                                 nt 8
 *   stage 4  D's surplus: its papers' next preference E is gone, so
 *            9 * 0.2592 exhaust; D 6.6667              nt 10.3333
 *   stage 5  defeat A                                  nt 11.3333
 *   B is the last hopeful: D, B.
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
	stv_result *r = count_k(cons_blt, STV_RULE_WIGM, 0, 0, cats);

	if (plain == NULL || r == NULL)
		goto out;
	CHECK(plain->nstages == 3);
	CHECK(acted(plain, 2, STV_SURPLUS, D));
	CHECK_STR(V(plain, 2, E), "7.3328");
	CHECK_STR(NT(plain, 2), "0.0005");
	CHECK(acted(plain, 3, STV_SURPLUS, E));
	CHECK_STR(NT(plain, 3), "0.6666");
	CHECK(elected_are(plain, plain_want, 2));

	CHECK(r->nstages == 5);
	CHECK(acted(r, 2, STV_EXCLUDE, C));
	CHECK_STR(NT(r, 2), "3.0000");
	CHECK(acted(r, 3, STV_EXCLUDE, E));
	CHECK_STR(NT(r, 3), "8.0000");
	CHECK(acted(r, 4, STV_SURPLUS, D));
	CHECK_STR(V(r, 4, D), "6.6667");
	CHECK_STR(NT(r, 4), "10.3333");
	CHECK(acted(r, 5, STV_EXCLUDE, A));
	CHECK_STR(NT(r, 5), "11.3333");
	CHECK(elected_are(r, want, 2));
	CHECK(r->stages[1].note != NULL &&
	      strstr(r->stages[1].note, "constraints") != NULL);
out:
	stv_result_free(plain);
	stv_result_free(r);
}

/* Never binding (at most 5 of either): the plain count, stage for stage. */
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
	stv_result *r = count_k(cons_blt, STV_RULE_WIGM, 0, 0, cats);

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
		CHECK(r->stages[i].note == NULL);
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
	test_lot();
	test_truncation();
	test_received_value();
	test_zero_surplus();
	test_withdrawn();
	test_weighted();
	test_complete();
	test_constraint_binds();
	test_constraint_idle();
	CHECK_DONE();
}
