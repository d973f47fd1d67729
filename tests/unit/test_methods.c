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
	test_referendum();
	CHECK_DONE();
}
