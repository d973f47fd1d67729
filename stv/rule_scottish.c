/*
 * rule_scottish.c: Scottish STV, the Scottish Local Government Elections
 * Order 2007 (SSI 2007/42), Schedule 1 rules 45 to 52, in fixed-point
 * arithmetic to 5 decimal places, truncated.
 *
 *   46  quota = floor(valid papers / (seats + 1)) + 1;
 *   47  a candidate with at least the quota is deemed elected;
 *   48  the largest surplus is transferred: every paper the candidate holds
 *       goes on at (surplus * value of the paper) / (candidate's votes),
 *       to 5 places, any remainder ignored;
 *   49  equal surpluses: the candidate higher at the most recent stage at
 *       which they differed goes first, else by lot;
 *   50  with no surplus to transfer the lowest candidate is excluded and
 *       its papers go on at their values;
 *   51  equal lowest: the one lower at the most recent stage at which they
 *       differed is excluded, else by lot;
 *   52  when no more candidates continue than seats remain they are deemed
 *       elected, and no further transfer is made.
 *
 * A candidate who reaches the quota exactly has no surplus (rule 48(1):
 * "exceeds the quota"), so no stage is recorded for it.  The reference is
 * Droop's `scotland` rule; docs/stv.md gives the stage conventions.
 */
#include "gregory.h"

/* Rule 46, scaled. */
static int64_t scottish_quota(int64_t papers, int seats, int64_t scale)
{
	return (papers / (seats + 1) + 1) * scale;
}

/* Rule 48(3): A / B with A = surplus * value, truncated to 5 places. */
static int64_t scottish_transfer(int64_t value, int64_t surplus, int64_t vote,
                                 int64_t scale)
{
	(void)scale;
	return stv_muldiv_down(value, surplus, vote);
}

static const stv_greg_rule scottish = {
    .quota = scottish_quota,
    .transfer = scottish_transfer,
    .lookback = 1,
    .zero_surplus_stage = 0,
    .complete_after_elect = 1,
};

stv_status stv_count_scottish(stv_count_ctx *c)
{
	return stv_gregory_count(c, &scottish);
}
