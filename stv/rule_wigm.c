/*
 * rule_wigm.c: the Proportional Representation Foundation's reference
 * rule for the weighted inclusive Gregory method (WIGM), single defeat,
 * in fixed-point arithmetic to 4 decimal places.
 *
 *   A.1  quota = valid papers / (seats + 1), truncated to 4 places,
 *        plus 0.0001;
 *   B.1  every hopeful candidate with at least the quota is elected with
 *        its surplus (possibly zero) pending;
 *   B.3  the largest pending surplus, even a zero one, is transferred:
 *        each paper's new value is value * surplus (truncated), divided
 *        by the candidate's vote (truncated);
 *   B.4  otherwise the lowest hopeful candidate is defeated;
 *   D.1  ties are broken by the tiebreaking order (the [tie] line, else
 *        ballot-file order, or a seeded draw);
 *   D.3  the count is complete, tested before each round, when the seats
 *        are filled or no more hopefuls remain than seats; C then elects
 *        the remaining hopefuls.
 *   D.4  each multiplication and division is truncated to 4 places.
 *
 * The reference is Droop's `wigm-prf` rule.
 */
#include "gregory.h"

/* A.1, scaled: V(papers) / V(seats + 1) + epsilon. */
static int64_t wigm_quota(int64_t papers, int seats, int64_t scale)
{
	return stv_div_down(papers * scale, (int64_t)(seats + 1) * scale,
	                    scale) +
	       1;
}

/* B.3 with D.4: (value * surplus) / vote, each step truncated. */
static int64_t wigm_transfer(int64_t value, int64_t surplus, int64_t vote,
                             int64_t scale)
{
	return stv_div_down(stv_mul_down(value, surplus, scale), vote, scale);
}

static const stv_greg_rule wigm = {
    .quota = wigm_quota,
    .transfer = wigm_transfer,
    .lookback = 0,
    .zero_surplus_stage = 1,
    .complete_after_elect = 0,
};

stv_status stv_count_wigm(stv_count_ctx *c)
{
	return stv_gregory_count(c, &wigm);
}
