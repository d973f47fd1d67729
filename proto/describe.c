/*
 * describe.c: a contest's rule in plain words, for the people who read
 * the report (the voter's page says the same in web/app/rules.js).  The
 * words follow how the count is really done: docs/stv.md for the rules,
 * the ordered-list method and the referendum thresholds.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

struct desc {
	char *p;
	size_t left;
	int cut;
};

static void d_put(struct desc *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void d_put(struct desc *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->cut)
		return;
	va_start(ap, fmt);
	n = vsnprintf(d->p, d->left, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= d->left) {
		d->cut = 1;
		return;
	}
	d->p += n;
	d->left -= (size_t)n;
}

static const char *rule_words(const char *rule)
{
	if (strcmp(rule, "scottish-stv") == 0)
		return "the Scottish STV rules (2007)";
	if (strcmp(rule, "meek") == 0)
		return "Meek's method";
	if (strcmp(rule, "wigm") == 0)
		return "the weighted inclusive Gregory method";
	if (strcmp(rule, "ers97") == 0)
		return "the ERS97 rules";
	return rule;
}

static void d_constraints(struct desc *d, const proto_contest *c)
{
	size_t i;

	for (i = 0; i < c->nconstraints; i++) {
		const proto_constraint *k = &c->constraints[i];

		if (k->min > 0 && k->max < c->seats)
			d_put(d,
			      " Between %d and %d of those elected must be %s.",
			      k->min, k->max, k->category);
		else if (k->min > 0)
			d_put(d, " At least %d of those elected must be %s.",
			      k->min, k->category);
		else
			d_put(d, " At most %d of those elected may be %s.",
			      k->max, k->category);
	}
}

proto_status proto_contest_describe(const proto_contest *c, char *out,
                                    size_t outlen)
{
	struct desc d = {out, outlen, 0};

	if (outlen == 0)
		return PROTO_ERR_VALUE;
	out[0] = '\0';
	switch (c->kind) {
	case PROTO_KIND_STV:
		d_put(&d,
		      "%d seat%s, by the single transferable vote (%s). Rank "
		      "as many candidates as you wish, best first: if your "
		      "choice is elected with votes to spare, or cannot be "
		      "elected, your vote moves on to your next choice.",
		      c->seats, c->seats == 1 ? "" : "s", rule_words(c->rule));
		d_constraints(&d, c);
		break;
	case PROTO_KIND_ORDERED_LIST:
		d_put(&d,
		      "An ordered list of all %zu candidates. Place 1 is "
		      "filled by an STV count for one seat, then each next "
		      "place by a count for one more seat in which everyone "
		      "already placed keeps their place (%s). Rank as many "
		      "candidates as you wish, best first.",
		      c->ncandidates, rule_words(c->rule));
		break;
	case PROTO_KIND_OPTION:
		d_put(&d,
		      "One choice among %zu options, by instant runoff: rank "
		      "the options you wish, best first. The option with the "
		      "fewest votes is dropped and its votes move to their "
		      "next choice, until one option has more than half of "
		      "the votes still in the count.",
		      c->ncandidates);
		break;
	case PROTO_KIND_REFERENDUM:
		if (c->threshold_num * 2 == c->threshold_den)
			d_put(&d, "Passes with more than half");
		else if (c->threshold_num * 3 == c->threshold_den * 2)
			d_put(&d, "Passes with at least two thirds");
		else
			d_put(&d, "Passes with at least %d/%d",
			      c->threshold_num, c->threshold_den);
		d_put(&d,
		      " of the votes for \"%s\" and \"%s\"%s. Choose one "
		      "answer.",
		      c->candidates[0].name, c->candidates[1].name,
		      c->abstentions_included
		          ? " and the abstentions (blank votes), which count "
		            "as not in favour"
		          : "; abstentions (blank votes) are shown but not "
		            "counted");
		break;
	}
	return d.cut ? PROTO_ERR_VALUE : PROTO_OK;
}
