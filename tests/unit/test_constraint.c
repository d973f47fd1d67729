/*
 * test_constraint.c: the category file reader and the guarded/doomed
 * decisions, worked out by hand.
 *
 * Four candidates, two seats.  women = {1, 2} with min 1; north = {1, 3}
 * with max 1.  (Numbers are 1-based as in the file; the code is 0-based.)
 */
#include "check.h"
#include "stv_int.h"

#include <stdlib.h>

static const char *blt = "4 2\n1 1 0\n1 2 0\n1 3 0\n1 4 0\n0\n"
                         "\"W1 north\"\n\"W2\"\n\"M3 north\"\n\"M4\"\n";
static const char *cats = "# women and regions\n"
                          "category women min 1\n"
                          "category north max 1\n"
                          "candidate 1 women north\n"
                          "candidate 2 women\n"
                          "candidate 3 north\n";

static void decide(stv_count_ctx *c, const uint8_t *state, const char *want_doomed,
                   const char *want_guarded)
{
	uint8_t d[4], g[4];
	char got_d[5] = "", got_g[5] = "";

	stv_cons_check(c, state, d, g);
	for (int i = 0; i < 4; i++) {
		got_d[i] = d[i] ? 'D' : '.';
		got_g[i] = g[i] ? 'G' : '.';
	}
	CHECK_STR(got_d, want_doomed);
	CHECK_STR(got_g, want_guarded);
}

int main(void)
{
	stv_election *e = NULL;
	stv_constraints *k = NULL;
	stv_error err;
	stv_view v = {0};
	stv_options opt = {STV_RULE_SCOTTISH, 0, 0, 0, NULL};
	stv_count_ctx c = {0};

	CHECK(stv_blt_read(blt, strlen(blt), &e, &err) == STV_OK);
	CHECK(stv_constraints_read(e, cats, strlen(cats), &k, &err) == STV_OK);
	if (!e || !k)
		CHECK_DONE();
	v.ncand = 4;
	v.seats = 2;
	c.e = e;
	c.opt = &opt;
	c.v = &v;
	c.k = k;

	/* Nobody decided yet: any pair but {1,3} works and a woman is
	 * available either way, so nothing binds. */
	decide(&c, (uint8_t[]){0, 0, 0, 0}, "....", "....");
	/* 1 excluded: 2 is the last woman, so 2 is guarded. */
	decide(&c, (uint8_t[]){STV_EXCLUDED, 0, 0, 0}, "....", ".G..");
	/* 3 elected (north): 1 would be a second northerner, so doomed; the
	 * one seat left must go to a woman, and only 2 remains, so 4 is
	 * doomed too and 2 guarded. */
	decide(&c, (uint8_t[]){0, 0, STV_ELECTED, 0}, "D..D", ".G..");
	/* 2 elected (a woman): the minimum is met; only north binds, and
	 * it binds nobody yet. */
	decide(&c, (uint8_t[]){0, STV_ELECTED, 0, 0}, "....", "....");

	/* Without constraints nothing is ever doomed or guarded. */
	c.k = NULL;
	decide(&c, (uint8_t[]){0, 0, STV_ELECTED, 0}, "....", "....");
	c.k = k;

	/* Feasibility from the start. */
	CHECK(stv_cons_feasible(k, 2, (uint8_t[]){0, 0, 0, 0}) == 1);
	CHECK(stv_cons_feasible(k, 2, (uint8_t[]){STV_EXCLUDED,
	                                          STV_EXCLUDED, 0, 0}) == 0);

	/* Reader errors name line and column. */
	stv_constraints *bad = NULL;
	const char *t1 = "category women min 1\ncandidate 2 men\n";
	CHECK(stv_constraints_read(e, t1, strlen(t1), &bad, &err) != STV_OK);
	CHECK(err.line == 2 && err.column == 13);
	CHECK(strstr(err.msg, "unknown category 'men'") != NULL);
	const char *t2 = "category a min 3 max 1\n";
	CHECK(stv_constraints_read(e, t2, strlen(t2), &bad, &err) != STV_OK);
	CHECK(strstr(err.msg, "min 3 is more than max 1") != NULL);
	const char *t3 = "candidate 5 a\n";
	CHECK(stv_constraints_read(e, t3, strlen(t3), &bad, &err) != STV_OK);
	CHECK(err.line == 1 && err.column == 11);
	const char *t4 = "category a minimum 1\n";
	CHECK(stv_constraints_read(e, t4, strlen(t4), &bad, &err) != STV_OK);
	CHECK(strstr(err.msg, "expected 'min' or 'max'") != NULL);
	CHECK(bad == NULL);

	stv_constraints_free(k);
	stv_election_free(e);
	CHECK_DONE();
}
