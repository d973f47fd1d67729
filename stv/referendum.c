/*
 * referendum.c: yes/no questions with a threshold.  Candidate 1 of the
 * ballot file is the "yes" option, candidate 2 "no", and an optional
 * candidate 3 "abstain".  Every valid paper counts for its first
 * preference; a blank paper (an empty ballot line, which the reader sets
 * aside as invalid) is an abstention.  All arithmetic is on whole numbers:
 * the question passes when yes * den >= num * base (or >, when the
 * threshold is "more than"), so no rounding can tip a close result.
 */
#include "stv_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void stv_referendum_clear(stv_referendum *r)
{
	for (int i = 0; i < 3; i++)
		free(r->names[i]);
	free(r->title);
	memset(r, 0, sizeof *r);
}

stv_status stv_count_referendum(const stv_election *e, const stv_threshold *t,
                                stv_referendum *out, stv_error *err)
{
	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	if (e->ncand < 2 || e->ncand > 3) {
		snprintf(err->msg, sizeof err->msg,
		         "a referendum has 2 options (yes, no) or 3 (yes, no, "
		         "abstain), not %d",
		         e->ncand);
		return STV_ERR_INVALID;
	}
	for (int i = 0; i < e->ncand; i++)
		if (e->withdrawn[i]) {
			snprintf(err->msg, sizeof err->msg,
			         "a referendum option cannot be withdrawn "
			         "(option %d)",
			         i + 1);
			return STV_ERR_INVALID;
		}
	if (t->num <= 0 || t->den <= 0 || t->num >= t->den ||
	    t->den > 1000000) {
		snprintf(err->msg, sizeof err->msg,
		         "the threshold must be a fraction strictly between 0 "
		         "and 1 with a denominator up to 1000000");
		return STV_ERR_INVALID;
	}
	int64_t votes[3] = {0, 0, 0};
	for (size_t k = 0; k < e->nrk; k++) {
		const stv_ranking *r = &e->rk[k];

		/* A first rank shared by two options says nothing. */
		if (r->len > 1 && e->eq[r->off + 1])
			out->abstain += r->weight;
		else
			votes[e->ranks[r->off]] += r->weight;
	}
	out->yes = votes[0];
	out->no = votes[1];
	out->abstain += votes[2] + e->invalid;
	out->t = *t;
	out->base = out->yes + out->no + (t->abstentions_count ? out->abstain : 0);
	if (out->base == 0) {
		out->passed = 0;
	} else {
		__int128 lhs = (__int128)out->yes * t->den;
		__int128 rhs = (__int128)t->num * out->base;

		out->passed = t->strict ? lhs > rhs : lhs >= rhs;
	}
	for (int i = 0; i < 3; i++) {
		const char *n = i < e->ncand ? e->names[i] : "Abstain";

		if ((out->names[i] = strdup(n)) == NULL)
			goto nomem;
	}
	if ((out->title = strdup(e->title ? e->title : "")) == NULL)
		goto nomem;
	return STV_OK;
nomem:
	stv_referendum_clear(out);
	snprintf(err->msg, sizeof err->msg, "out of memory");
	return STV_ERR_NOMEM;
}

/* yes/base as a percentage to 2 places, truncated, e.g. "66.66". */
static void percent(char *buf, size_t n, int64_t part, int64_t whole)
{
	if (whole == 0) {
		snprintf(buf, n, "-");
		return;
	}
	int64_t bp = (int64_t)(((__int128)part * 10000) / whole);
	snprintf(buf, n, "%lld.%02lld", (long long)(bp / 100),
	         (long long)(bp % 100));
}

/* The arithmetic in words: "412 * 3 = 1236 >= 2 * 600 = 1200". */
static void arithmetic(stv_sb *b, const stv_referendum *r)
{
	__int128 lhs = (__int128)r->yes * r->t.den;
	__int128 rhs = (__int128)r->t.num * r->base;

	stv_sb_printf(b, "%lld x %lld = %lld %s %lld x %lld = %lld",
	              (long long)r->yes, (long long)r->t.den, (long long)lhs,
	              r->t.strict ? (lhs > rhs ? ">" : "<=")
	                          : (lhs >= rhs ? ">=" : "<"),
	              (long long)r->t.num, (long long)r->base,
	              (long long)rhs);
}

stv_status stv_referendum_json(const stv_referendum *r, char **out)
{
	stv_sb b = {0};
	char pct[32];

	stv_sb_puts(&b, "{\n  \"format\": \"stv-referendum/1\",\n  \"title\": ");
	stv_sb_json_str(&b, r->title);
	stv_sb_puts(&b, ",\n  \"options\": [");
	for (int i = 0; i < 3; i++) {
		stv_sb_puts(&b, i ? ", " : "");
		stv_sb_json_str(&b, r->names[i]);
	}
	stv_sb_printf(&b,
	              "],\n  \"yes\": %lld,\n  \"no\": %lld,\n  \"abstain\": "
	              "%lld,\n  \"threshold\": {\"numerator\": %lld, "
	              "\"denominator\": %lld, \"comparison\": \"%s\", "
	              "\"abstentions\": \"%s\"},\n  \"base\": %lld,\n",
	              (long long)r->yes, (long long)r->no,
	              (long long)r->abstain, (long long)r->t.num,
	              (long long)r->t.den, r->t.strict ? "more-than" : "at-least",
	              r->t.abstentions_count ? "counted" : "excluded",
	              (long long)r->base);
	percent(pct, sizeof pct, r->yes, r->base);
	stv_sb_printf(&b, "  \"yes_percent\": \"%s\",\n  \"arithmetic\": \"",
	              pct);
	arithmetic(&b, r);
	stv_sb_printf(&b, "\",\n  \"passed\": %s\n}\n",
	              r->passed ? "true" : "false");
	return stv_sb_finish(&b, out);
}

stv_status stv_referendum_text(const stv_referendum *r, char **out)
{
	stv_sb b = {0};
	char pct[32];

	if (r->title[0])
		stv_sb_printf(&b, "%s\n\n", r->title);
	stv_sb_printf(&b, "  %-20s %12lld\n  %-20s %12lld\n  %-20s %12lld\n\n",
	              r->names[0], (long long)r->yes, r->names[1],
	              (long long)r->no, "Abstentions", (long long)r->abstain);
	percent(pct, sizeof pct, r->yes, r->base);
	stv_sb_printf(&b,
	              "Threshold: %s %lld/%lld of %s (%lld votes).\n"
	              "%s: %lld of %lld = %s%%.\nArithmetic: ",
	              r->t.strict ? "more than" : "at least",
	              (long long)r->t.num, (long long)r->t.den,
	              r->t.abstentions_count
	                  ? "all ballots, abstentions included"
	                  : "the votes for and against",
	              (long long)r->base, r->names[0], (long long)r->yes,
	              (long long)r->base, pct);
	arithmetic(&b, r);
	stv_sb_printf(&b, "\nResult: %s.\n",
	              r->passed ? "PASSED" : "NOT PASSED");
	return stv_sb_finish(&b, out);
}

stv_status stv_referendum_html(const stv_referendum *r, char **out)
{
	char *text = NULL;
	stv_sb b = {0};
	stv_status st;

	if ((st = stv_referendum_text(r, &text)) != STV_OK)
		return st;
	stv_sb_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	                "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	                "content=\"width=device-width, initial-scale=1\">\n"
	                "<title>");
	stv_sb_html(&b, r->title[0] ? r->title : "Referendum");
	stv_sb_puts(&b, "</title>\n</head>\n<body>\n<pre>");
	stv_sb_html(&b, text);
	stv_sb_puts(&b, "</pre>\n</body>\n</html>\n");
	free(text);
	return stv_sb_finish(&b, out);
}
