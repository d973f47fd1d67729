/*
 * test_blt.c: the BLT reader and writer.  Every accepted variant of the
 * dialect, and every error with its exact line and column.
 */
#include "check.h"
#include "stv_int.h"

#include <stdlib.h>

static stv_election *parse(const char *s, stv_error *err)
{
	stv_election *e = NULL;

	if (stv_blt_read(s, strlen(s), &e, err) != STV_OK)
		return NULL;
	return e;
}

/* Expects an error at line:col whose message contains `want`. */
static void bad(const char *s, int line, int col, const char *want)
{
	stv_error err;
	stv_election *e = parse(s, &err);

	CHECK(e == NULL);
	stv_election_free(e);
	if (err.line != line || err.column != col ||
	    strstr(err.msg, want) == NULL) {
		fprintf(stderr, "input %s\n  got %d:%d %s\n  want %d:%d ...%s...\n",
		        s, err.line, err.column, err.msg, line, col, want);
		check_failures++;
	}
}

static void test_plain(void)
{
	stv_error err;
	stv_election *e = parse("3 2\n4 1 2 0\n2 3 0\n1 1 2 0\n0\n"
	                        "\"Castor\"\n\"Pollux\"\n\"Helen\"\n\"Twins\"\n",
	                        &err);

	CHECK(e != NULL);
	if (!e)
		return;
	CHECK(stv_election_candidates(e) == 3);
	CHECK(stv_election_seats(e) == 2);
	CHECK_STR(stv_election_name(e, 2), "Helen");
	CHECK_STR(stv_election_title(e), "Twins");
	/* "4 1 2" and "1 1 2" are one ranking of weight 5. */
	CHECK(stv_election_rankings(e) == 2);
	CHECK(stv_election_papers(e) == 7);
	CHECK(e->rk[0].weight == 5 && e->rk[0].len == 2);
	CHECK(e->ranks[e->rk[0].off] == 0 && e->ranks[e->rk[0].off + 1] == 1);
	stv_election_free(e);
}

static void test_variants(void)
{
	stv_error err;
	/* BOM, comments, CRLF, ballot ids, withdrawn line, [tie], '=',
	 * an empty ballot, bare names, "" in a quoted name, two fields. */
	const char *s = "\xEF\xBB\xBF# a comment\r\n"
	                "4 2   # header\r\n"
	                "-4\r\n"
	                "[tie 3 1 2]\r\n"
	                "(b1) 2 1 2=3 0\r\n"
	                "(b2) 1 1 2 = 3 0\r\n"
	                "1 0\r\n"
	                "3 4 2 0\r\n"
	                "0\r\n"
	                "Anne SMITH\r\n"
	                "\"Bob \"\"Bobby\"\" JONES\"\r\n"
	                "\"Cat LEE\" \"Green Party\"\r\n"
	                "\"Dan # not a comment\"\r\n"
	                "\"Title\"\r\n";
	stv_election *e = parse(s, &err);

	CHECK(e != NULL);
	if (!e) {
		fprintf(stderr, "%d:%d %s\n", err.line, err.column, err.msg);
		return;
	}
	CHECK(e->withdrawn[3] == 1 && e->withdrawn[0] == 0);
	CHECK(e->tie_order != NULL);
	if (e->tie_order)
		CHECK(e->tie_order[2] == 0 && e->tie_order[0] == 1 &&
		      e->tie_order[1] == 2 && e->tie_order[3] == 3);
	CHECK(e->has_equal == 1);
	CHECK(stv_election_rankings(e) == 2); /* b1 and b2 are the same */
	CHECK(e->rk[0].weight == 3 && e->rk[0].len == 3);
	CHECK(e->eq[e->rk[0].off + 2] == 1 && e->eq[e->rk[0].off + 1] == 0);
	CHECK(stv_election_invalid(e) == 1);
	CHECK(stv_election_papers(e) == 6);
	CHECK_STR(stv_election_name(e, 0), "Anne SMITH");
	CHECK_STR(stv_election_name(e, 1), "Bob \"Bobby\" JONES");
	CHECK_STR(stv_election_name(e, 2), "Cat LEE (Green Party)");
	CHECK_STR(stv_election_name(e, 3), "Dan # not a comment");
	CHECK_STR(stv_election_title(e), "Title");

	/* The writer's output reads back to the same election, and writing
	 * that again gives the same bytes. */
	char *w1 = NULL, *w2 = NULL;
	stv_election *e2 = NULL;
	CHECK(stv_blt_write(e, &w1, NULL) == STV_OK);
	CHECK(stv_blt_read(w1, strlen(w1), &e2, &err) == STV_OK);
	if (e2) {
		CHECK(stv_blt_write(e2, &w2, NULL) == STV_OK);
		CHECK_STR(w2, w1);
		CHECK_STR(stv_election_name(e2, 1), "Bob \"Bobby\" JONES");
		CHECK(stv_election_invalid(e2) == 1);
	}
	CHECK(strstr(w1, "3 1 2=3 0\n") != NULL);
	CHECK(strstr(w1, "[tie 3 1 2 4]\n") != NULL);
	free(w1);
	free(w2);
	stv_election_free(e2);
	stv_election_free(e);
}

static void test_no_title(void)
{
	stv_error err;
	stv_election *e = parse("2 1\n1 1 0\n0\n\"A\"\n\"B\"\n", &err);

	CHECK(e != NULL);
	if (e)
		CHECK_STR(stv_election_title(e), "");
	stv_election_free(e);
}

static void test_errors(void)
{
	bad("", 0, 0, "empty file");
	bad("x 2\n", 1, 1, "expected the number of candidates");
	bad("3\n", 1, 2, "expected the number of seats");
	bad("2 3\n", 1, 3, "3 seats but only 2 candidates");
	bad("2 1 7\n", 1, 5, "expected the end of the header line");
	bad("2 1\n1 1 3 0\n0\n\"A\"\n\"B\"\n", 2, 5,
	    "candidate number 3 is out of range");
	bad("2 1\n1 1 1 0\n0\n\"A\"\n\"B\"\n", 2, 5, "appears twice");
	bad("2 1\n1.5 1 0\n0\n\"A\"\n\"B\"\n", 2, 1, "ballot weight");
	bad("2 1\n1 1 2\n0\n\"A\"\n\"B\"\n", 2, 6,
	    "expected a candidate number or the '0'");
	bad("2 1\n1 1 0 2\n0\n\"A\"\n\"B\"\n", 2, 7, "after the '0'");
	bad("2 1\n1 = 1 0\n0\n\"A\"\n\"B\"\n", 2, 3, "'=' needs a candidate");
	bad("2 1\n1 1 0\n", 2, 0, "expected a ballot line");
	bad("2 1\n1 1 0\n0\n\"A\"\n", 4, 0, "name of candidate 2 of 2");
	bad("2 1\n1 1 0\n0\n\"A\"\n\"A\"\n", 5, 1, "same name as candidate 1");
	bad("2 1\n1 1 0\n0\n\"A\"\n\"B\n", 5, 3, "unterminated quoted name");
	bad("2 1\n1 1 0\n0\n\"A\" x\n\"B\"\n", 4, 5, "after the quoted name");
	bad("2 1\n1 1 0\n0\n\"A\"\n\"B\"\n\"T\"\nmore\n", 7, 1,
	    "after the title");
	bad("2 1\n1 1 0\n-2\n0\n\"A\"\n\"B\"\n", 3, 1, "before the first");
	bad("2 1\n[foo 1]\n1 1 0\n0\n\"A\"\n\"B\"\n", 2, 2, "unknown option");
	bad("2 1\n(x 1 1 0\n0\n\"A\"\n\"B\"\n", 2, 1, "expected ')'");
	bad("2 1\n1 1 0\n0 0\n\"A\"\n\"B\"\n", 3, 3, "after the '0'");
	bad("2 1\n1000000001 1 0\n0\n\"A\"\n\"B\"\n", 2, 1, "larger than");
}

int main(void)
{
	test_plain();
	test_variants();
	test_no_title();
	test_errors();
	CHECK_DONE();
}
