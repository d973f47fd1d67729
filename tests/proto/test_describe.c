/*
 * test_describe.c: proto_contest_describe, the rule in plain words that
 * the report shows.  The expected sentences are written out here by hand
 * from docs/stv.md (strict "more than" for one half, "at least" for
 * every other fraction; abstentions in the base or not).
 */
#include <string.h>

#include "check.h"
#include "proto.h"

static proto_candidate cands[3] = {
    {"Yes", NULL, 0}, {"No", NULL, 0}, {"Abstain", NULL, 0}};

static const char *describe(const proto_contest *c)
{
	static char buf[1024];

	if (proto_contest_describe(c, buf, sizeof(buf)) != PROTO_OK)
		return "(error)";
	return buf;
}

int main(void)
{
	proto_constraint k[3] = {
	    {"women", 2, 5}, {"north", 0, 1}, {"youth", 1, 2}};
	proto_contest c;
	char small[40];

	memset(&c, 0, sizeof(c));
	c.kind = PROTO_KIND_STV;
	c.rule = "scottish-stv";
	c.seats = 5;
	c.candidates = cands;
	c.ncandidates = 3;
	CHECK_STR(describe(&c),
	          "5 seats, by the single transferable vote (the Scottish STV "
	          "rules (2007)). Rank as many candidates as you wish, best "
	          "first: if your choice is elected with votes to spare, or "
	          "cannot be elected, your vote moves on to your next choice.");
	c.seats = 1;
	c.rule = "meek";
	c.constraints = k;
	c.nconstraints = 1;
	k[0].max = 1;
	CHECK(strstr(describe(&c), "1 seat, by the single transferable vote "
	                           "(Meek's method).") == describe(&c));
	/* min only (max = seats), max only, both. */
	c.seats = 5;
	k[0].max = 5;
	c.nconstraints = 3;
	CHECK(strstr(describe(&c),
	             "next choice. At least 2 of those elected must be women. "
	             "At most 1 of those elected may be north. Between 1 and 2 "
	             "of those elected must be youth.") != NULL);

	c.kind = PROTO_KIND_ORDERED_LIST;
	c.rule = "wigm";
	c.nconstraints = 0;
	c.ncandidates = 15;
	CHECK_STR(describe(&c),
	          "An ordered list of all 15 candidates. Place 1 is filled by "
	          "an STV count for one seat, then each next place by a count "
	          "for one more seat in which everyone already placed keeps "
	          "their place (the weighted inclusive Gregory method). Rank "
	          "as many candidates as you wish, best first.");

	c.kind = PROTO_KIND_OPTION;
	c.rule = "irv";
	c.ncandidates = 3;
	CHECK(strncmp(describe(&c),
	              "One choice among 3 options, by instant runoff",
	              45) == 0);

	c.kind = PROTO_KIND_REFERENDUM;
	c.rule = "";
	c.threshold_num = 1;
	c.threshold_den = 2;
	CHECK_STR(describe(&c),
	          "Passes with more than half of the votes for \"Yes\" and "
	          "\"No\"; abstentions (blank votes) are shown but not "
	          "counted. Choose one answer.");
	c.threshold_num = 2;
	c.threshold_den = 3;
	c.abstentions_included = 1;
	CHECK_STR(describe(&c),
	          "Passes with at least two thirds of the votes for \"Yes\" "
	          "and \"No\" and the abstentions (blank votes), which count "
	          "as not in favour. Choose one answer.");
	c.threshold_num = 3;
	c.threshold_den = 5;
	CHECK(strncmp(describe(&c), "Passes with at least 3/5 of the votes",
	              37) == 0);
	/* Too small a buffer is an error, never a cut sentence. */
	CHECK(proto_contest_describe(&c, small, sizeof(small)) ==
	      PROTO_ERR_VALUE);
	CHECK_DONE();
}
