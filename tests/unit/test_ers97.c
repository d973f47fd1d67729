/*
 * test_ers97.c: hand-worked counts under the ERS97 rules (rule_ers97.c).
 * Every expected figure below is worked out in the comment above it from
 * the rule text (and OpenSTV's reading of it, where the rules leave room);
 * votes are in hundredths, so 3334 means 33.34.
 */
#include "check.h"
#include "stv_int.h"

#include <stdlib.h>
#include <string.h>

static stv_election *load(const char *blt)
{
	stv_election *e = NULL;
	stv_error err;

	if (stv_blt_read(blt, strlen(blt), &e, &err) != STV_OK) {
		fprintf(stderr, "blt: line %d: %s\n", err.line, err.msg);
		return NULL;
	}
	return e;
}

/* Counts blt by ers97, with the category file cons if not NULL. */
static stv_result *run(const char *blt, const char *cons)
{
	stv_election *e = load(blt);
	stv_constraints *k = NULL;
	stv_options opt;
	stv_result *r = NULL;
	stv_error err;

	if (e == NULL)
		return NULL;
	if (cons != NULL &&
	    stv_constraints_read(e, cons, strlen(cons), &k, &err) != STV_OK) {
		fprintf(stderr, "constraints: %s\n", err.msg);
		stv_election_free(e);
		return NULL;
	}
	memset(&opt, 0, sizeof opt);
	opt.rule = STV_RULE_ERS97;
	opt.constraints = k;
	if (stv_count(e, &opt, &r, &err) != STV_OK) {
		fprintf(stderr, "count: %s\n", err.msg);
		r = NULL;
	}
	stv_constraints_free(k);
	stv_election_free(e);
	return r;
}

/* Checks stage s (0-based): action, votes of every candidate, and the
 * non-transferable total. */
static void check_stage(const stv_result *r, int s, stv_action act,
                        const int64_t *votes, int64_t nt, int line)
{
	if (s >= r->nstages) {
		fprintf(stderr, "line %d: no stage %d\n", line, s + 1);
		check_failures++;
		return;
	}
	const stv_stage *st = &r->stages[s];

	if (st->action != act) {
		fprintf(stderr, "line %d: stage %d action %d, want %d\n", line,
		        s + 1, (int)st->action, (int)act);
		check_failures++;
	}
	for (int i = 0; i < r->ncand; i++)
		if (st->votes[i] != votes[i]) {
			fprintf(stderr,
			        "line %d: stage %d candidate %d: %lld, want "
			        "%lld\n",
			        line, s + 1, i + 1, (long long)st->votes[i],
			        (long long)votes[i]);
			check_failures++;
		}
	if (st->nontransferable != nt) {
		fprintf(stderr,
		        "line %d: stage %d non-transferable %lld, want "
		        "%lld\n",
		        line, s + 1, (long long)st->nontransferable,
		        (long long)nt);
		check_failures++;
	}
}

#define STAGE(r, s, act, nt, ...)                                              \
	check_stage(r, s, act, (const int64_t[]){__VA_ARGS__}, nt, __LINE__)

static int has_cands(const stv_stage *st, int n, const int *want)
{
	if (st->ncands != n)
		return 0;
	for (int i = 0; i < n; i++)
		if (st->cands[i] != want[i])
			return 0;
	return 1;
}

#define CANDS(r, s, ...)                                                       \
	CHECK((r)->nstages > (s) &&                                            \
	      has_cands(&(r)->stages[s],                                       \
	                sizeof((int[]){__VA_ARGS__}) / sizeof(int),            \
	                (int[]){__VA_ARGS__}))

#define ELECTED(r, ...)                                                        \
	do {                                                                   \
		const int w_[] = {__VA_ARGS__};                                \
		int n_ = (int)(sizeof w_ / sizeof w_[0]);                      \
		CHECK((r)->nelected == n_);                                    \
		for (int i_ = 0; i_ < n_ && i_ < (r)->nelected; i_++)          \
			CHECK((r)->elected[i_] == w_[i_]);                     \
	} while (0)

/*
 * A surplus deferred under rule 5.2.2(b), and the bulk exclusion of rule
 * 5.2.5 that takes its place.
 *
 * 100 papers, 2 seats: quota 100 / 3 = 33.333.. -> 33.34 (5.1.6).
 * Stage 1: A 36 (elected, surplus 2.66), B 30, C 20, D 8, E 6.
 * The two lowest differ by 8 - 6 = 2 < 2.66, so (a) does not defer; but
 * D + E = 14, and 14 + 2.66 = 16.66 <= 20 (C, the next above), so (b)
 * defers the surplus and D and E go together.  Adding C as well would
 * give 36.66 > 30 (B).
 * Stage 2: D's 8 papers go to C (28), E's 6 to B (36), each at 1.00.
 * Total active vote (6.20) = 36 + 28 + A's surplus 2.66 = 66.66; with one
 * place left B needs 66.66 / 2 = 33.33, and has 36: elected.  Both places
 * are filled; A's surplus is never transferred.
 */
static void test_deferred_bulk(void)
{
	stv_result *r = run("5 2\n"
	                    "36 1 2 0\n"
	                    "30 2 0\n"
	                    "20 3 0\n"
	                    "8 4 3 0\n"
	                    "6 5 2 0\n"
	                    "0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"E\"\n\"t\"\n",
	                    NULL);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->quota == 3334);
	CHECK(r->nstages == 2);
	STAGE(r, 0, STV_FIRST, 0, 3600, 3000, 2000, 800, 600);
	STAGE(r, 1, STV_EXCLUDE, 0, 3600, 3600, 2800, 0, 0);
	CANDS(r, 1, 3, 4);
	ELECTED(r, 0, 1);
	CHECK(r->elected_stage[0] == 1 && r->elected_stage[1] == 2);
	CHECK(r->stages[1].note != NULL &&
	      strstr(r->stages[1].note, "deferred") != NULL);
	stv_result_free(r);
}

/*
 * Rule 5.2.2(a), twice: a surplus no larger than the gap between the two
 * lowest is deferred, and one candidate is excluded each time.
 *
 * 100 papers, 2 seats, quota 33.34.  Stage 1: A 40 (surplus 6.66), B 26,
 * C 20, D 11, E 3.  E + 6.66 = 9.66 <= 11 (D): defer, exclude E; with D
 * too, 20.66 > 20 (C).
 * Stage 2: E's 3 papers to C: C 23.  Needed: (26 + 23 + 11 + 6.66) / 2 =
 * 33.33; nobody.  D + 6.66 = 17.66 <= 23 (C): defer again, exclude D;
 * with C too 40.66 > 26.
 * Stage 3: D's 11 papers to B: B 37 >= (37 + 23 + 6.66) / 2 = 33.33:
 * elected.
 */
static void test_deferred_gap(void)
{
	stv_result *r = run("5 2\n"
	                    "40 1 3 0\n"
	                    "26 2 0\n"
	                    "20 3 0\n"
	                    "11 4 2 0\n"
	                    "3 5 3 0\n"
	                    "0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"E\"\n\"t\"\n",
	                    NULL);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->nstages == 3);
	STAGE(r, 1, STV_EXCLUDE, 0, 4000, 2600, 2300, 1100, 0);
	CANDS(r, 1, 4);
	STAGE(r, 2, STV_EXCLUDE, 0, 4000, 3700, 2300, 0, 0);
	CANDS(r, 2, 3);
	ELECTED(r, 0, 1);
	stv_result_free(r);
}

/*
 * Rule 5.3.2: a surplus arising from a transfer is passed on from the
 * last batch only, at a transfer value worked out from that batch alone.
 *
 * 90 papers, 2 seats: quota 90 / 3 = 30.00.  Stage 1: A 20, B 29, C 29,
 * X 12; nobody elected.  X alone is excluded (12 <= 20; with A, 32 > 29).
 * Stage 2: X's 12 papers "X A B" go to A: A 32, elected (surplus 2.00).
 * B and C, tied at 29, form one group, so nothing can be excluded with
 * the surplus deferred: it is transferred.
 * Stage 3: the last batch is X's 12 papers, all next for B, worth 12.00 >
 * 2.00, so each goes at 2.00 / 12 = 0.1666.. -> 0.16: B gets 12 * 0.16 =
 * 1.92 -> 30.92, and 2.00 - 1.92 = 0.08 is non-transferable.  A's own 20
 * papers (next preference C) are not looked at: from all 32 papers C
 * would have had 20 * 0.06 = 1.20.  B needs (30.92 + 29) / 2 = 29.96:
 * elected.
 */
static void test_last_parcel(void)
{
	stv_result *r = run("4 2\n"
	                    "20 1 3 0\n"
	                    "29 2 0\n"
	                    "29 3 0\n"
	                    "12 4 1 2 0\n"
	                    "0\n\"A\"\n\"B\"\n\"C\"\n\"X\"\n\"t\"\n",
	                    NULL);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->quota == 3000);
	CHECK(r->nstages == 3);
	STAGE(r, 1, STV_EXCLUDE, 0, 3200, 2900, 2900, 0);
	STAGE(r, 2, STV_SURPLUS, 8, 3000, 3092, 2900, 0);
	CANDS(r, 2, 0);
	ELECTED(r, 0, 1);
	CHECK(r->elected_stage[0] == 2 && r->elected_stage[1] == 3);
	stv_result_free(r);
}

/*
 * Rule 5.4.8: papers that become non-transferable before anyone is
 * elected lower the quota.  And two candidates elected at one stage are
 * listed highest first.
 *
 * 100 papers, 2 seats: quota 33.34.  Stage 1: A 32, B 31, C 27, D 10.
 * D is excluded (10 <= 27; with C, 37 > 31); his 10 papers have no other
 * preference.  Stage 2: the quota is recalculated on 100 - 10 = 90 valid
 * votes: 90 / 3 = 30.00.  A 32 and B 31 both reach it: A, then B.
 */
static void test_quota_lowered(void)
{
	stv_result *r = run("4 2\n"
	                    "32 1 0\n"
	                    "31 2 0\n"
	                    "27 3 0\n"
	                    "10 4 0\n"
	                    "0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"t\"\n",
	                    NULL);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->quota == 3000);
	CHECK(r->nstages == 2);
	STAGE(r, 0, STV_FIRST, 0, 3200, 3100, 2700, 1000);
	STAGE(r, 1, STV_EXCLUDE, 1000, 3200, 3100, 2700, 0);
	ELECTED(r, 0, 1);
	CHECK(r->elected_stage[0] == 2 && r->elected_stage[1] == 2);
	CHECK(r->stages[1].note != NULL &&
	      strstr(r->stages[1].note, "30.00") != NULL);
	stv_result_free(r);
}

/*
 * Rule 5.2.5: candidates tied for fewest votes are separated by the
 * earliest stage at which their votes differed, not by lot.
 *
 * 57 papers, 1 seat: quota 57 / 2 = 28.50.  Stage 1: A 19, B 17, C 10,
 * D 9, E 2.  E goes alone (2 <= 9; with D, 11 > 10).
 * Stage 2: E's papers: one to D (10), one exhausted (nt 1).  Quota now
 * 56 / 2 = 28.00.  C and D tie at 10; together 20 > 17 (B), so one goes.
 * At stage 1 D had 9 and C 10: D is excluded, although lot (file order)
 * would have taken C.
 * Stage 3: D's 10 papers exhaust: nt 11, quota 46 / 2 = 23.00.
 * Stage 4: C (10 <= 17) goes; nt 21, quota 36 / 2 = 18.00; A 19 elected.
 */
static void test_tie_backward(void)
{
	stv_result *r = run("5 1\n"
	                    "19 1 0\n"
	                    "17 2 0\n"
	                    "10 3 0\n"
	                    "9 4 0\n"
	                    "1 5 4 0\n"
	                    "1 5 0\n"
	                    "0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"E\"\n\"t\"\n",
	                    NULL);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->nstages == 4);
	STAGE(r, 1, STV_EXCLUDE, 100, 1900, 1700, 1000, 1000, 0);
	CANDS(r, 2, 3);
	STAGE(r, 2, STV_EXCLUDE, 1100, 1900, 1700, 1000, 0, 0);
	STAGE(r, 3, STV_EXCLUDE, 2100, 1900, 1700, 0, 0, 0);
	CHECK(r->quota == 1800);
	ELECTED(r, 0);
	CHECK(r->nnotes == 0); /* no draw by lot */
	stv_result_free(r);
}

/*
 * A tie at every stage goes to lot: unseeded, the candidate first in the
 * ballot file, or first in the [tie] line.
 *
 * 11 papers, 1 seat: quota 11 / 2 = 5.50.  Stage 1: A 5, B 3, C 3.  B and
 * C together (6) exceed A (5), so one of them goes, by lot.
 * Stage 2: the loser's 3 papers go to A: 8 >= 5.50, elected.
 */
static void test_tie_lot(void)
{
	static const char body[] = "5 1 0\n"
	                           "3 2 1 0\n"
	                           "3 3 1 0\n"
	                           "0\n\"A\"\n\"B\"\n\"C\"\n\"t\"\n";
	char buf[256];
	stv_result *r;

	snprintf(buf, sizeof buf, "3 1\n%s", body);
	r = run(buf, NULL);
	CHECK(r != NULL);
	if (r != NULL) {
		CANDS(r, 1, 1);
		STAGE(r, 1, STV_EXCLUDE, 0, 800, 0, 300);
		ELECTED(r, 0);
		CHECK(r->nnotes == 1);
		stv_result_free(r);
	}
	snprintf(buf, sizeof buf, "3 1\n[tie 3 2 1]\n%s", body);
	r = run(buf, NULL);
	CHECK(r != NULL);
	if (r != NULL) {
		CANDS(r, 1, 2);
		STAGE(r, 1, STV_EXCLUDE, 0, 800, 300, 0);
		stv_result_free(r);
	}
}

/*
 * Exhausted papers in a surplus, and election on the total active vote
 * (rule 5.3.13(b)) below the quota.
 *
 * 120 papers, 2 seats: quota 40.00.  Stage 1: A 60 (10 "A B", 50 "A"),
 * B 20, C 25, D 15.  Surplus 20.00; 15 + 20 = 35 > 20 (B): no deferral.
 * Stage 2: of A's 60 papers only the 10 for B can move, worth 10.00 <=
 * 20.00, so they go at their value 1.00: B 30.  A keeps 40; the other
 * 10.00 of the surplus is non-transferable.  B needs (30 + 25 + 15) / 2 =
 * 35: no.
 * Stage 3: D (15 <= 25) goes, papers exhausted: nt 25.  B needs
 * (30 + 25) / 2 = 27.50 and has 30: elected, below the quota.
 */
static void test_exhausted(void)
{
	stv_result *r = run("4 2\n"
	                    "10 1 2 0\n"
	                    "50 1 0\n"
	                    "20 2 0\n"
	                    "25 3 0\n"
	                    "15 4 0\n"
	                    "0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"t\"\n",
	                    NULL);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->nstages == 3);
	STAGE(r, 1, STV_SURPLUS, 1000, 4000, 3000, 2500, 1500);
	STAGE(r, 2, STV_EXCLUDE, 2500, 4000, 3000, 2500, 0);
	CHECK(r->quota == 4000);
	ELECTED(r, 0, 1);
	stv_result_free(r);
}

/*
 * A withdrawn candidate: preferences for W are passed over; papers with
 * no other preference are invalid, as OpenSTV counts them.
 *
 * 4 "W A" count for A; 3 "W" are invalid.  Valid: 4 + 5 + 3 = 12, 1
 * seat: quota 6.00.  Stage 1: A 4, B 5, C 3, W 0.  C goes (3 <= 4).
 * Stage 2: C's 3 papers "C A" to A: 7 >= 6, elected.
 */
static void test_withdrawn(void)
{
	stv_result *r = run("4 1\n"
	                    "-2\n"
	                    "4 2 1 0\n"
	                    "3 2 0\n"
	                    "5 3 0\n"
	                    "3 4 1 0\n"
	                    "0\n\"A\"\n\"W\"\n\"B\"\n\"C\"\n\"t\"\n",
	                    NULL);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->quota == 600);
	CHECK(r->nstages == 2);
	STAGE(r, 0, STV_FIRST, 0, 400, 0, 500, 300);
	STAGE(r, 1, STV_EXCLUDE, 0, 700, 0, 500, 0);
	ELECTED(r, 0);
	stv_result_free(r);
}

/*
 * Weighted ballot lines (two lines with one ranking count as one parcel)
 * and truncated transfer values.
 *
 * 24 papers, 2 seats: quota 8.00.  Stage 1: A 12 (7 + 2 "A B", 3 "A C"),
 * B 5, C 4, D 3.  Surplus 4.00: 3 + 4 = 7 > 4 (C): transferred.
 * Stage 2: 12 transferable papers worth 12 > 4: value 4 / 12 = 0.333.. ->
 * 0.33.  B + 9 * 0.33 = 2.97 -> 7.97; C + 3 * 0.33 = 0.99 -> 4.99; lost
 * 4.00 - 3.96 = 0.04.  B needs (7.97 + 4.99 + 3) / 2 = 7.98: short by
 * 0.01.
 * Stage 3: D (3 <= 4.99) goes, papers exhausted: nt 3.04.  B needs
 * (7.97 + 4.99) / 2 = 6.48: elected.
 */
static void test_weighted(void)
{
	stv_result *r = run("4 2\n"
	                    "7 1 2 0\n"
	                    "3 1 3 0\n"
	                    "2 1 2 0\n"
	                    "5 2 0\n"
	                    "4 3 0\n"
	                    "3 4 0\n"
	                    "0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"t\"\n",
	                    NULL);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->quota == 800);
	CHECK(r->nstages == 3);
	STAGE(r, 0, STV_FIRST, 0, 1200, 500, 400, 300);
	STAGE(r, 1, STV_SURPLUS, 4, 800, 797, 499, 300);
	STAGE(r, 2, STV_EXCLUDE, 304, 800, 797, 499, 0);
	ELECTED(r, 0, 1);
	CHECK(r->elected_stage[1] == 3);
	stv_result_free(r);
}

/*
 * An exclusion in sub-stages, one per transfer value, highest first, and
 * a count that ends between them (rules 5.4.10, 5.5.2): the excluded
 * candidate keeps the papers not yet transferred.
 *
 * 100 papers, 2 seats: quota 33.34.  Stage 1: A 40 ("A X"), B 20, C 20,
 * X 10 ("X B"), Z 10.  A's surplus 6.66: X and Z tie at the bottom, and
 * 6.66 + 10 + 10 = 26.66 > 20, so it is not deferred.
 * Stage 2: A's 40 papers to X, worth 40 > 6.66: 6.66 / 40 = 0.1665 ->
 * 0.16: X + 6.40 = 16.40, nt 0.26.  Needed (20 + 20 + 16.40 + 10) / 2 =
 * 33.20: nobody.
 * Stage 3: Z (10 <= 16.40; with X 26.40 > 20) goes; 10 papers exhaust:
 * nt 10.26.  Needed (20 + 20 + 16.40) / 2 = 28.20: nobody.
 * Stage 4: X (16.40 <= 20) goes.  First his 10 papers at 1.00 go to B:
 * 30.  Needed (30 + 20 + X's remaining 6.40) / 2 = 28.20: B is elected
 * and the count is over, so the 40 papers at 0.16 stay with X: X 6.40.
 * (Lower values first, B would have had 20 and nobody would be elected.)
 */
static void test_exclusion_cut(void)
{
	stv_result *r = run("5 2\n"
	                    "40 1 4 0\n"
	                    "20 2 0\n"
	                    "20 3 0\n"
	                    "10 4 2 0\n"
	                    "10 5 0\n"
	                    "0\n\"A\"\n\"B\"\n\"C\"\n\"X\"\n\"Z\"\n\"t\"\n",
	                    NULL);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->nstages == 4);
	STAGE(r, 0, STV_FIRST, 0, 4000, 2000, 2000, 1000, 1000);
	STAGE(r, 1, STV_SURPLUS, 26, 3334, 2000, 2000, 1640, 1000);
	STAGE(r, 2, STV_EXCLUDE, 1026, 3334, 2000, 2000, 1640, 0);
	CANDS(r, 2, 4);
	STAGE(r, 3, STV_EXCLUDE, 1026, 3334, 3000, 2000, 640, 0);
	CANDS(r, 3, 3);
	CHECK(r->stages[3].note != NULL &&
	      strstr(r->stages[3].note, "sub-stage 1 of 2") != NULL);
	ELECTED(r, 0, 1);
	CHECK(r->elected_stage[1] == 4);
	stv_result_free(r);
}

/*
 * A surplus deferred, then transferred once it can change the order.
 *
 * 100 papers, 2 seats: quota 33.34.  Stage 1: A 40 (40 "A C D"), B 30,
 * C 20, D 10.  Surplus 6.66 + D 10 = 16.66 <= 20: deferred, D goes; D's
 * 10 papers "D C" to C: 30.  Needed: (30 + 30 + 6.66) / 2 = 33.33: no.
 * Stage 3: B and C tie at 30, one group and the only one, so nothing can
 * be excluded and A's surplus 6.66 goes: 40 papers to C, worth 40 > 6.66: 6.66
 * / 40 = 0.1665 -> 0.16: C + 6.40 = 36.40, nt 0.26; C needs (30 + 36.40) / 2
 * = 33.20: elected.  Both places filled.
 */
static void test_defer_then_transfer(void)
{
	stv_result *r = run("4 2\n"
	                    "40 1 3 4 0\n"
	                    "30 2 0\n"
	                    "20 3 0\n"
	                    "10 4 3 0\n"
	                    "0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"t\"\n",
	                    NULL);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->nstages == 3);
	STAGE(r, 1, STV_EXCLUDE, 0, 4000, 3000, 3000, 0);
	STAGE(r, 2, STV_SURPLUS, 26, 3334, 3000, 3640, 0);
	ELECTED(r, 0, 2);
	stv_result_free(r);
}

/*
 * A last batch with no transferable paper: a surplus arising from an
 * exclusion is lost, whatever the candidate's earlier papers say.
 *
 * 100 papers, 3 seats: quota 100 / 4 = 25.00.  Stage 1: A 35 ("A D B"),
 * B 24, C 22, D 11, E 8 ("E D").  Surplus 10; E 8 + 10 = 18 > 11 (D):
 * transferred.
 * Stage 2: 35 papers to D, worth 35 > 10: 10 / 35 = 0.2857.. -> 0.28:
 * D + 9.80 = 20.80; nt 0.20.  Needed: (24 + 22 + 20.80 + 8) / 3 = 24.94;
 * nobody.
 * Stage 3: E (8 <= 20.80; with D 28.80 > 22) goes: 8 papers at 1.00 to
 * D: 28.80, elected (surplus 3.80).  Needed now (24 + 22 + 3.80) / 2 =
 * 24.90: B 24 is short.
 * Stage 4: C 22 + 3.80 = 25.80 > 24 (B): no deferral.  D's last batch is
 * E's 8 papers, with no preference after D: nothing moves, D keeps 25.00
 * and 3.80 is non-transferable: nt 4.00.  (D's earlier batch from A,
 * next for B, is not looked at.)  Needed (24 + 22) / 2 = 23.00: B 24 is
 * elected, and the 3 places are filled.
 */
static void test_last_parcel_lost(void)
{
	stv_result *r = run("5 3\n"
	                    "35 1 4 2 0\n"
	                    "24 2 0\n"
	                    "22 3 0\n"
	                    "11 4 0\n"
	                    "8 5 4 0\n"
	                    "0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"E\"\n\"t\"\n",
	                    NULL);

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->quota == 2500);
	CHECK(r->nstages == 4);
	STAGE(r, 1, STV_SURPLUS, 20, 2500, 2400, 2200, 2080, 800);
	STAGE(r, 2, STV_EXCLUDE, 20, 2500, 2400, 2200, 2880, 0);
	STAGE(r, 3, STV_SURPLUS, 400, 2500, 2400, 2200, 2500, 0);
	ELECTED(r, 0, 3, 1);
	stv_result_free(r);
}

/*
 * Constraints.  The ballots: 100 papers, 2 seats, quota 33.34; stage 1:
 * A 40, B 35, C 15 ("C D"), D 10 ("D C").
 *
 * Not binding ("men max 2" for A and B): the plain count, A and B
 * elected at stage 1, and nothing else.
 *
 * Binding ("women min 1" for C and D): A (highest) is elected; then
 * electing B would leave no place for a woman, so B is doomed: not
 * elected though over the quota.  Stage 2 excludes B (doomed first); his
 * 35 papers exhaust: nt 35.  Needed: (15 + 10 + A's surplus 6.66) / 2 =
 * 15.83; C has 15.  Stage 3: A's surplus 6.66 (D 10 + 6.66 > 15: not
 * deferred): A's 40 papers have no next preference, so nothing moves; A
 * keeps 33.34, nt 100 - 33.34 - 25 = 41.66.  Needed now 25 / 2 = 12.50:
 * C (15) elected.
 */
static const char cons_blt[] = "4 2\n"
                               "40 1 0\n"
                               "35 2 0\n"
                               "15 3 4 0\n"
                               "10 4 3 0\n"
                               "0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"t\"\n";

static void test_constraint_nonbinding(void)
{
	stv_result *r = run(cons_blt, "category men max 2\n"
	                              "candidate 1 men\n"
	                              "candidate 2 men\n");
	stv_result *p = run(cons_blt, NULL);

	CHECK(r != NULL && p != NULL);
	if (r != NULL && p != NULL) {
		CHECK(r->nstages == 1 && p->nstages == 1);
		STAGE(r, 0, STV_FIRST, 0, 4000, 3500, 1500, 1000);
		ELECTED(r, 0, 1);
		ELECTED(p, 0, 1);
		CHECK(r->quota == p->quota && r->quota == 3334);
	}
	stv_result_free(r);
	stv_result_free(p);
}

static void test_constraint_binding(void)
{
	stv_result *r = run(cons_blt, "category women min 1\n"
	                              "candidate 3 women\n"
	                              "candidate 4 women\n");

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->nstages == 3);
	STAGE(r, 0, STV_FIRST, 0, 4000, 3500, 1500, 1000);
	STAGE(r, 1, STV_EXCLUDE, 3500, 4000, 0, 1500, 1000);
	CANDS(r, 1, 1);
	CHECK(r->stages[1].note != NULL &&
	      strstr(r->stages[1].note, "constraint") != NULL);
	STAGE(r, 2, STV_SURPLUS, 4166, 3334, 0, 1500, 1000);
	ELECTED(r, 0, 2);
	CHECK(r->elected_stage[0] == 1 && r->elected_stage[1] == 3);
	stv_result_free(r);
}

int main(void)
{
	test_deferred_bulk();
	test_deferred_gap();
	test_last_parcel();
	test_quota_lowered();
	test_tie_backward();
	test_tie_lot();
	test_exhausted();
	test_withdrawn();
	test_weighted();
	test_exclusion_cut();
	test_defer_then_transfer();
	test_last_parcel_lost();
	test_constraint_nonbinding();
	test_constraint_binding();
	CHECK_DONE();
}
