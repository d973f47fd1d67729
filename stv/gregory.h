/*
 * gregory.h: the weighted inclusive Gregory count shared by the
 * scottish-stv and wigm rules (private to rule_scottish.c and
 * rule_wigm.c).
 *
 * Both rules have the same shape: elect every continuing candidate with a
 * quota, transfer the largest pending surplus (every paper the candidate
 * holds, at a reduced value), or else exclude the lowest candidate and
 * pass on its papers at their values; stop when the seats are filled or
 * no more candidates continue than seats remain.  What differs is held in
 * stv_greg_rule.
 */
#ifndef STV_GREGORY_H
#define STV_GREGORY_H

#include "stv_int.h"

typedef struct {
	/*
	 * The quota, scaled by `scale`, for `papers` valid papers (the total
	 * weight of the rankings that name a continuing candidate).
	 */
	int64_t (*quota)(int64_t papers, int seats, int64_t scale);
	/*
	 * The new value of a paper worth `value` when its holder, with `vote`
	 * votes, passes on `surplus`.  All scaled by `scale`.
	 */
	int64_t (*transfer)(int64_t value, int64_t surplus, int64_t vote,
	                    int64_t scale);
	/*
	 * 1: ties for the largest surplus and for the lowest vote are settled
	 * by the most recent earlier stage at which the tied candidates had
	 * unequal votes (SSI 2007/42 rules 49(2), 51(2)), and only then by
	 * lot.  0: straight to lot (PRF WIGM D.1).
	 */
	int lookback;
	/*
	 * 1: a candidate who reaches the quota exactly has a surplus of zero
	 * that is "transferred" as a stage of its own (PRF WIGM B.3).  0: such
	 * a candidate has no surplus and no stage.
	 */
	int zero_surplus_stage;
	/*
	 * 1: the count may end right after the candidates who reached the
	 * quota are deemed elected, and after an exclusion (SSI 2007/42 rules
	 * 48(1), 50(1), 52).  0: the count is tested for completion only
	 * before each round's elections (PRF WIGM A.3, B.1-B.4: a surplus is
	 * still transferred when the last seat has just been filled).
	 */
	int complete_after_elect;
} stv_greg_rule;

/* Counts c->v by g and fills c->res.  Returns STV_OK or an error. */
stv_status stv_gregory_count(stv_count_ctx *c,
                             const stv_greg_rule *g) STV_MUST_CHECK;

#endif
