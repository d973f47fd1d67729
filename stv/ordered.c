/*
 * ordered.c: ordered lists.  A contest whose result is a full ranking of
 * its candidates ("our fifteen candidates in the order the members
 * prefer") is counted by repeated STV: a count for one seat gives first
 * place; then a count for two seats, in which the first-placed candidate
 * is kept elected, gives second place to the other candidate it elects;
 * and so on, one more seat each time, every earlier winner kept.  The
 * last candidate standing takes last place.
 *
 * "Kept" is a constraint: the earlier winners form one category whose
 * minimum is all of them, so the guarded/doomed method (constraint.c)
 * never excludes one of them and every count elects them all.  When the
 * plain count would elect them anyway, as it does unless STV's lack of
 * monotonicity bites, the constraint never binds and each count is the
 * plain rule's count.
 */
#include "stv_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stv_list {
	int ncand;
	int n;           /* places filled */
	int *order;      /* order[place] = candidate */
	stv_result **counts; /* counts[place], NULL for the last place */
	char **names;
	char *title;
	stv_rule rule;
};

void stv_list_free(stv_list *l)
{
	if (l == NULL)
		return;
	for (int i = 0; i < l->n; i++)
		stv_result_free(l->counts[i]);
	if (l->names)
		for (int i = 0; i < l->ncand; i++)
			free(l->names[i]);
	free(l->names);
	free(l->title);
	free(l->order);
	free(l->counts);
	free(l);
}

int stv_list_length(const stv_list *l)
{
	return l->n;
}

int stv_list_at(const stv_list *l, int place)
{
	return place >= 0 && place < l->n ? l->order[place] : -1;
}

const stv_result *stv_list_count(const stv_list *l, int place)
{
	return place >= 0 && place < l->n ? l->counts[place] : NULL;
}

static stv_status list_new(const stv_election *e, stv_rule rule,
                           stv_list **out)
{
	stv_list *l = calloc(1, sizeof *l);

	*out = NULL;
	if (l == NULL)
		return STV_ERR_NOMEM;
	l->ncand = e->ncand;
	l->rule = rule;
	l->order = malloc((size_t)e->ncand * sizeof *l->order);
	l->counts = calloc((size_t)e->ncand, sizeof *l->counts);
	l->names = calloc((size_t)e->ncand, sizeof *l->names);
	l->title = strdup(e->title ? e->title : "");
	if (!l->order || !l->counts || !l->names || !l->title) {
		stv_list_free(l);
		return STV_ERR_NOMEM;
	}
	for (int i = 0; i < e->ncand; i++)
		if ((l->names[i] = strdup(e->names[i])) == NULL) {
			stv_list_free(l);
			return STV_ERR_NOMEM;
		}
	*out = l;
	return STV_OK;
}

stv_status stv_count_list(const stv_election *e, const stv_options *opt,
                          stv_list **out, stv_error *err)
{
	stv_list *l;
	uint8_t *kept;
	int standing = 0;
	stv_status st;

	*out = NULL;
	memset(err, 0, sizeof *err);
	if (opt->constraints != NULL) {
		snprintf(err->msg, sizeof err->msg,
		         "an ordered list takes no constraints of its own");
		return STV_ERR_INVALID;
	}
	if (opt->rule == STV_RULE_IRV) {
		snprintf(err->msg, sizeof err->msg,
		         "an ordered list needs an STV rule, not irv");
		return STV_ERR_INVALID;
	}
	for (int i = 0; i < e->ncand; i++)
		standing += !e->withdrawn[i];
	if ((st = list_new(e, opt->rule, &l)) != STV_OK) {
		snprintf(err->msg, sizeof err->msg, "out of memory");
		return st;
	}
	if ((kept = calloc((size_t)e->ncand, 1)) == NULL) {
		stv_list_free(l);
		snprintf(err->msg, sizeof err->msg, "out of memory");
		return STV_ERR_NOMEM;
	}
	for (int seats = 1; seats <= standing; seats++) {
		stv_options o = *opt;
		stv_constraints *k = NULL;
		stv_result *r = NULL;
		int newcomer = -1;

		if (seats == standing) {
			/* The last candidate standing takes last place; no
			 * count is needed (or possible: seats = candidates). */
			for (int i = 0; i < e->ncand; i++)
				if (!e->withdrawn[i] && !kept[i])
					newcomer = i;
		} else {
			if (seats > 1 &&
			    (st = stv_constraints_kept(e, kept, &k)) != STV_OK)
				break;
			o.seats = seats;
			o.constraints = k;
			st = stv_count(e, &o, &r, err);
			stv_constraints_free(k);
			if (st != STV_OK)
				break;
			for (int j = 0; j < r->nelected; j++)
				if (!kept[r->elected[j]])
					newcomer = r->elected[j];
		}
		if (newcomer < 0) { /* kept candidates must all be elected */
			stv_result_free(r);
			snprintf(err->msg, sizeof err->msg,
			         "internal error: the count for %d seats "
			         "placed nobody new",
			         seats);
			st = STV_ERR_INVALID;
			break;
		}
		kept[newcomer] = 1;
		l->order[l->n] = newcomer;
		l->counts[l->n] = r;
		l->n++;
	}
	free(kept);
	if (st != STV_OK) {
		stv_list_free(l);
		return st;
	}
	*out = l;
	return STV_OK;
}

stv_status stv_list_json(const stv_list *l, char **out)
{
	stv_sb b = {0};

	stv_sb_puts(&b, "{\n  \"format\": \"stv-ordered-list/1\",\n"
	                "  \"method\": \"repeated STV, one more seat each "
	                "count, earlier places kept\",\n  \"rule\": ");
	stv_sb_json_str(&b, stv_rule_name(l->rule));
	stv_sb_puts(&b, ",\n  \"title\": ");
	stv_sb_json_str(&b, l->title);
	stv_sb_puts(&b, ",\n  \"order\": [");
	for (int i = 0; i < l->n; i++) {
		stv_sb_puts(&b, i ? ", " : "");
		stv_sb_json_str(&b, l->names[l->order[i]]);
	}
	stv_sb_puts(&b, "],\n  \"counts\": [");
	for (int i = 0; i < l->n; i++) {
		char *one = NULL;

		stv_sb_printf(&b, "%s\n    {\"place\": %d, \"seats\": %d, "
		                  "\"candidate\": ",
		              i ? "," : "", i + 1, i + 1);
		stv_sb_json_str(&b, l->names[l->order[i]]);
		stv_sb_puts(&b, ", \"count\": ");
		if (l->counts[i] == NULL) {
			stv_sb_puts(&b, "null}");
			continue;
		}
		if (stv_result_json(l->counts[i], &one) != STV_OK) {
			b.oom = 1;
			break;
		}
		stv_sb_puts(&b, one);
		while (b.n > 0 && b.s[b.n - 1] == '\n')
			b.s[--b.n] = '\0';
		stv_sb_puts(&b, "}");
		free(one);
	}
	stv_sb_puts(&b, "\n  ]\n}\n");
	return stv_sb_finish(&b, out);
}

stv_status stv_list_text(const stv_list *l, char **out)
{
	stv_sb b = {0};

	if (l->title[0])
		stv_sb_printf(&b, "%s\n\n", l->title);
	stv_sb_printf(&b,
	              "Ordered list by repeated %s counts: the count for N "
	              "seats, with\nthe first N-1 places kept elected, gives "
	              "place N.\n\n",
	              stv_rule_name(l->rule));
	for (int i = 0; i < l->n; i++) {
		const stv_result *r = l->counts[i];
		int notes = 0;

		stv_sb_printf(&b, "  %2d. %s", i + 1, l->names[l->order[i]]);
		if (r == NULL) {
			stv_sb_puts(&b, " (the last candidate standing)\n");
			continue;
		}
		for (int s = 0; s < r->nstages; s++)
			notes += r->stages[s].note != NULL;
		stv_sb_printf(&b, " (count for %d seat%s, %d stage%s%s)\n",
		              i + 1, i ? "s" : "", r->nstages,
		              r->nstages == 1 ? "" : "s",
		              notes ? ", an earlier place was kept by the "
		                      "constraint"
		                    : "");
	}
	return stv_sb_finish(&b, out);
}

stv_status stv_list_html(const stv_list *l, char **out)
{
	stv_sb b = {0};

	stv_sb_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	                "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	                "content=\"width=device-width, initial-scale=1\">\n"
	                "<title>");
	stv_sb_html(&b, l->title[0] ? l->title : "Ordered list");
	stv_sb_puts(&b, "</title>\n<style>body{font-family:system-ui,"
	                "sans-serif;max-width:50rem;margin:1rem auto;"
	                "padding:0 1rem}</style>\n</head>\n<body>\n<h1>");
	stv_sb_html(&b, l->title[0] ? l->title : "Ordered list");
	stv_sb_printf(&b,
	              "</h1>\n<p>Ordered by repeated %s counts: the count "
	              "for N seats, with the first N&minus;1 places kept "
	              "elected, gives place N.</p>\n<ol>\n",
	              stv_rule_name(l->rule));
	for (int i = 0; i < l->n; i++) {
		stv_sb_puts(&b, "<li>");
		stv_sb_html(&b, l->names[l->order[i]]);
		if (l->counts[i])
			stv_sb_printf(&b, " <small>(count for %d seat%s, %d "
			                  "stages)</small>",
			              i + 1, i ? "s" : "",
			              l->counts[i]->nstages);
		stv_sb_puts(&b, "</li>\n");
	}
	stv_sb_puts(&b, "</ol>\n</body>\n</html>\n");
	return stv_sb_finish(&b, out);
}
