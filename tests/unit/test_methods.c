/*
 * test_methods.c: ordered lists and referendums, with every expected
 * value worked out by hand from the method as docs/stv.md states it.
 */
#include "check.h"
#include "stv_int.h"

#include <stdlib.h>

static stv_election *read_blt(const char *s)
{
	stv_election *e = NULL;
	stv_error err;

	if (stv_blt_read(s, strlen(s), &e, &err) != STV_OK)
		fprintf(stderr, "blt %d:%d %s\n", err.line, err.column, err.msg);
	return e;
}

/*
 * 35 A; 30 B C; 25 C B; 10 D B (100 papers), Scottish STV.
 * 1 seat, quota 51: A35 B30 C25 D10; D out, B40; C out, B65: B first.
 * 2 seats, B kept, quota 34: A35 elected at stage 1; A's surplus of 1
 *   is exhausted; D out, B40 elected: A second.
 * 3 seats, A and B kept, quota 26: A35 and B30 elected at stage 1; A's
 *   9 exhaust; B's surplus 4 goes to C at 4/30 = 0.13333 a paper, 30
 *   papers: 3.99990; C 28.99990 >= 26: C third.
 * D, last standing, fourth.  (First preferences alone would put A first.)
 */
static void test_ordered_list(void)
{
	stv_election *e = read_blt("4 1\n35 1 0\n30 2 3 0\n25 3 2 0\n"
	                           "10 4 2 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n");
	stv_options opt = {STV_RULE_SCOTTISH, 0, 0, 0, NULL};
	stv_list *l = NULL;
	stv_error err;

	CHECK(e != NULL);
	if (!e)
		return;
	CHECK(stv_count_list(e, &opt, &l, &err) == STV_OK);
	if (l) {
		CHECK(stv_list_length(l) == 4);
		CHECK(stv_list_at(l, 0) == 1 && stv_list_at(l, 1) == 0 &&
		      stv_list_at(l, 2) == 2 && stv_list_at(l, 3) == 3);
		/* The 3-seat count's stage 3 gives C 28.99990. */
		const stv_result *r3 = stv_list_count(l, 2);
		CHECK(r3 != NULL && r3->nstages >= 3 &&
		      r3->stages[2].votes[2] == 2899990);
		CHECK(stv_list_count(l, 3) == NULL);
		char *json = NULL;
		CHECK(stv_list_json(l, &json) == STV_OK);
		CHECK(json && strstr(json, "\"order\": [\"B\", \"A\", \"C\", "
		                           "\"D\"]") != NULL);
		free(json);
	}
	stv_list_free(l);

	/* Constraints of its own and irv are refused with a reason. */
	opt.rule = STV_RULE_IRV;
	CHECK(stv_count_list(e, &opt, &l, &err) == STV_ERR_INVALID);
	CHECK(strstr(err.msg, "irv") != NULL);
	stv_election_free(e);
}

/*
 * Five candidates, Scottish STV, 100 papers:
 *   30 A C E;  28 B C E;  17 C;  15 D C;  10 E C.
 * First preferences rank A B C D E; one count for 4 seats elects A and
 * B (stage 1), C (stage 2), E (last): A B C E, D left out.  Repeated
 * STV gives C A B E D:
 *
 * 1 seat, quota floor(100/2)+1 = 51: A30 B28 C17 D15 E10.  E out, his
 *   10 to C: 27.  D out, 15 to C: 42.  B (28) out, 28 to C: 70 >= 51.
 *   Place 1: C, whom everyone ranks second.
 * 2 seats, C kept, quota floor(100/3)+1 = 34: E out (C 27), D out (C
 *   42 >= 34, elected; every paper C holds ends at C, so the surplus of
 *   8 is lost); A30 and B28 for the last seat: B out, and B's papers
 *   go B C E, both gone: exhausted.  A, the last continuing: place 2.
 * 3 seats, C and A kept, quota floor(100/4)+1 = 26: A30 and B28 both
 *   reach it at stage 1.  The last seat must go to C (kept), so D and E
 *   are doomed; E (10, the fewer) is excluded first, C 27 >= 26.  The
 *   new winner is B: place 3.
 * 4 seats, quota floor(100/5)+1 = 21: A30 and B28 elected at stage 1.
 *   A's surplus 9 (the larger) at 9/30 = 0.30000 a paper: 30 x 0.3 = 9
 *   to C: 26.00000, elected.  B's surplus 7 at 7/28 = 0.25000: C is
 *   elected, so 28 x 0.25 = 7 to E: 17.00000.  C's surplus 5 of 26:
 *   5/26 = 0.19230...; C's own 17 papers have no next preference; A's
 *   30 papers (now worth 0.30000) are worth trunc5(0.3 x 5/26) =
 *   0.05769 each and go on to E: 30 x 0.05769 = 1.73070, E 18.73070.
 *   D (15) is excluded, E is elected: place 4.  D is last.
 */
static void test_ordered_list_5(void)
{
	stv_election *e = read_blt("5 4\n30 1 3 5 0\n28 2 3 5 0\n17 3 0\n"
	                           "15 4 3 0\n10 5 3 0\n0\n\"A\"\n\"B\"\n"
	                           "\"C\"\n\"D\"\n\"E\"\n\"five\"\n");
	stv_options opt = {STV_RULE_SCOTTISH, 0, 0, 0, NULL};
	stv_list *l = NULL;
	stv_result *one = NULL;
	stv_error err;

	CHECK(e != NULL);
	if (!e)
		return;
	CHECK(stv_count_list(e, &opt, &l, &err) == STV_OK);
	if (l) {
		/* C A B E D = 2 0 1 4 3. */
		CHECK(stv_list_length(l) == 5);
		CHECK(stv_list_at(l, 0) == 2 && stv_list_at(l, 1) == 0 &&
		      stv_list_at(l, 2) == 1 && stv_list_at(l, 3) == 4 &&
		      stv_list_at(l, 4) == 3);
		/* The 4-seat count: E 17.00000 after B's surplus, 18.73070
		 * after C's. */
		const stv_result *r4 = stv_list_count(l, 3);
		CHECK(r4 != NULL && r4->nstages == 5 &&
		      r4->stages[2].votes[4] == 1700000 &&
		      r4->stages[3].votes[4] == 1873070 &&
		      r4->stages[1].votes[2] == 2600000);
		/* The 1-seat count: C 70 at its last stage. */
		const stv_result *r1 = stv_list_count(l, 0);
		CHECK(r1 != NULL && r1->nstages == 4 &&
		      r1->stages[3].votes[2] == 7000000);
	}
	stv_list_free(l);
	/* One count for 4 seats, ranked by order of election: A B C E. */
	CHECK(stv_count(e, &opt, &one, &err) == STV_OK);
	if (one) {
		CHECK(stv_result_elected_count(one) == 4 &&
		      stv_result_elected(one, 0) == 0 &&
		      stv_result_elected(one, 1) == 1 &&
		      stv_result_elected(one, 2) == 2 &&
		      stv_result_elected(one, 3) == 4);
	}
	stv_result_free(one);
	stv_election_free(e);
}

static int ref(const char *blt, stv_threshold t, stv_referendum *r)
{
	stv_election *e = read_blt(blt);
	stv_error err;
	int ok;

	if (!e)
		return 0;
	ok = stv_count_referendum(e, &t, r, &err) == STV_OK;
	if (!ok)
		fprintf(stderr, "referendum: %s\n", err.msg);
	stv_election_free(e);
	return ok;
}

static void test_referendum(void)
{
	stv_referendum r;
	const stv_threshold majority = {1, 2, 1, 0};  /* more than 1/2 */
	const stv_threshold two3 = {2, 3, 0, 0};      /* at least 2/3 */
	const stv_threshold two3_abst = {2, 3, 0, 1}; /* abstentions in */

	/* 50 : 50 is not more than half (100 > 100 fails); 51 : 49 is. */
	CHECK(ref("2 1\n50 1 0\n50 2 0\n0\n\"Yes\"\n\"No\"\n", majority, &r));
	CHECK(r.yes == 50 && r.no == 50 && r.base == 100 && !r.passed);
	stv_referendum_clear(&r);
	CHECK(ref("2 1\n51 1 0\n49 2 0\n0\n\"Yes\"\n\"No\"\n", majority, &r));
	CHECK(r.passed);
	stv_referendum_clear(&r);

	/* Exactly two thirds passes "at least": 400 * 3 = 1200 >= 2 * 600;
	 * 399 of 600 does not: 1197 < 1200. */
	CHECK(ref("2 1\n400 1 0\n200 2 0\n0\n\"Yes\"\n\"No\"\n", two3, &r));
	CHECK(r.passed);
	stv_referendum_clear(&r);
	CHECK(ref("2 1\n399 1 0\n201 2 0\n0\n\"Yes\"\n\"No\"\n", two3, &r));
	CHECK(!r.passed);
	stv_referendum_clear(&r);

	/* Abstentions: 4 blank papers, 6 for "Abstain", 2 with yes=no
	 * ranked equal first: 12.  Excluded: 400 of 600 passes; counted:
	 * base 612, 1200 < 1224, fails. */
	const char *abst = "3 1\n400 1 0\n200 2 0\n4 0\n6 3 0\n2 1=2 0\n0\n"
	                   "\"Yes\"\n\"No\"\n\"Abstain\"\n";
	CHECK(ref(abst, two3, &r));
	CHECK(r.abstain == 12 && r.base == 600 && r.passed);
	stv_referendum_clear(&r);
	CHECK(ref(abst, two3_abst, &r));
	CHECK(r.base == 612 && !r.passed);
	char *text = NULL;
	CHECK(stv_referendum_text(&r, &text) == STV_OK);
	CHECK(text && strstr(text, "400 x 3 = 1200 < 2 x 612 = 1224"));
	free(text);
	stv_referendum_clear(&r);

	/* Weighted delegate lines: 3 delegates of weight 5 for, 7 of weight
	 * 2 against: 15 : 14, more than half. */
	CHECK(ref("2 1\n5 1 0\n5 1 0\n5 1 0\n14 2 0\n0\n\"Yes\"\n\"No\"\n",
	          majority, &r));
	CHECK(r.yes == 15 && r.no == 14 && r.passed);
	stv_referendum_clear(&r);

	/*
	 * "At least" against "more than" on the same boundary.  Simple
	 * majority of 50 : 50: at least 1/2, 50 x 2 = 100 >= 1 x 100 = 100,
	 * passes; more than 1/2, 100 > 100 fails.  Two thirds of 400 : 200:
	 * at least, 1200 >= 1200, passes (above); more than, 1200 > 1200
	 * fails.
	 */
	const stv_threshold half_atleast = {1, 2, 0, 0};
	const stv_threshold two3_strict = {2, 3, 1, 0};
	CHECK(
	    ref("2 1\n50 1 0\n50 2 0\n0\n\"Yes\"\n\"No\"\n", half_atleast, &r));
	CHECK(r.base == 100 && r.passed);
	CHECK(stv_referendum_text(&r, &text) == STV_OK);
	CHECK(text && strstr(text, "50 x 2 = 100 >= 1 x 100 = 100") &&
	      strstr(text, "at least 1/2"));
	free(text);
	stv_referendum_clear(&r);
	CHECK(ref("2 1\n50 1 0\n50 2 0\n0\n\"Yes\"\n\"No\"\n", majority, &r));
	CHECK(stv_referendum_text(&r, &text) == STV_OK);
	CHECK(!r.passed && text &&
	      strstr(text, "50 x 2 = 100 <= 1 x 100 = 100") &&
	      strstr(text, "more than 1/2"));
	free(text);
	stv_referendum_clear(&r);
	CHECK(ref("2 1\n400 1 0\n200 2 0\n0\n\"Yes\"\n\"No\"\n", two3_strict,
	          &r));
	CHECK(r.base == 600 && !r.passed);
	stv_referendum_clear(&r);

	/*
	 * A simple majority with abstentions excluded and counted: 51 yes,
	 * 49 no, 3 blank.  Excluded: base 100, 51 x 2 = 102 > 100, passes.
	 * Counted: base 103, 102 > 103 fails -- the same ballots, the other
	 * result, which is why the definition states which it is.
	 */
	const stv_threshold half_abst = {1, 2, 1, 1};
	const char *maj = "2 1\n51 1 0\n49 2 0\n3 0\n0\n\"Yes\"\n\"No\"\n";
	CHECK(ref(maj, majority, &r));
	CHECK(r.yes == 51 && r.no == 49 && r.abstain == 3 && r.base == 100 &&
	      r.passed);
	stv_referendum_clear(&r);
	CHECK(ref(maj, half_abst, &r));
	CHECK(r.base == 103 && !r.passed);
	CHECK(stv_referendum_text(&r, &text) == STV_OK);
	CHECK(text && strstr(text, "51 x 2 = 102 <= 1 x 103 = 103"));
	free(text);
	stv_referendum_clear(&r);

	/*
	 * A stated fraction, 3/5 at least, with weighted delegates: 4
	 * delegates of weight 5 (20) and 4 members (4) for, 16 against:
	 * 24 x 5 = 120 >= 3 x 40 = 120, passes exactly; one member fewer
	 * for: 23 x 5 = 115 < 3 x 39 = 117, fails.
	 */
	const stv_threshold three5 = {3, 5, 0, 0};
	CHECK(ref("2 1\n5 1 0\n5 1 0\n5 1 0\n5 1 0\n4 1 0\n16 2 0\n0\n"
	          "\"Yes\"\n\"No\"\n",
	          three5, &r));
	CHECK(r.yes == 24 && r.base == 40 && r.passed);
	stv_referendum_clear(&r);
	CHECK(ref("2 1\n5 1 0\n5 1 0\n5 1 0\n5 1 0\n3 1 0\n16 2 0\n0\n"
	          "\"Yes\"\n\"No\"\n",
	          three5, &r));
	CHECK(r.yes == 23 && r.base == 39 && !r.passed);
	stv_referendum_clear(&r);

	/* Errors. */
	stv_election *e = read_blt("4 1\n1 1 0\n0\n\"a\"\n\"b\"\n\"c\"\n\"d\"\n");
	stv_error err;
	CHECK(e && stv_count_referendum(e, &two3, &r, &err) == STV_ERR_INVALID);
	CHECK(strstr(err.msg, "2 options") != NULL);
	stv_election_free(e);
	e = read_blt("2 1\n1 1 0\n0\n\"Yes\"\n\"No\"\n");
	const stv_threshold bad = {3, 3, 0, 0};
	CHECK(e && stv_count_referendum(e, &bad, &r, &err) == STV_ERR_INVALID);
	stv_election_free(e);
}

int main(void)
{
	test_ordered_list();
	test_ordered_list_5();
	test_referendum();
	CHECK_DONE();
}
