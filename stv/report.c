/*
 * report.c: a count's result as JSON, as a text report and as a
 * self-contained HTML report with a chart of every stage.
 */
#include "stv_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_num(stv_sb *b, int64_t v, int places)
{
	char tmp[64];

	stv_fmt(tmp, sizeof tmp, v, places);
	stv_sb_json_str(b, tmp);
}

static const char *action_name(stv_action a)
{
	return a == STV_FIRST ? "first" : a == STV_SURPLUS ? "surplus" : "exclude";
}

static int nelected_at(const stv_result *r, int stage)
{
	int n = 0;

	for (int i = 0; i < r->nelected; i++)
		n += r->elected_stage[i] == stage;
	return n;
}

stv_status stv_result_json(const stv_result *r, char **out)
{
	stv_sb b = {0};

	stv_sb_puts(&b, "{\n  \"format\": \"stv-result/1\",\n  \"rule\": ");
	stv_sb_json_str(&b, stv_rule_name(r->rule));
	stv_sb_printf(&b, ",\n  \"seats\": %d,\n  \"title\": ", r->seats);
	stv_sb_json_str(&b, r->title);
	stv_sb_puts(&b, ",\n  \"candidates\": [");
	for (int i = 0; i < r->ncand; i++) {
		stv_sb_puts(&b, i ? ", " : "");
		stv_sb_json_str(&b, r->names[i]);
	}
	stv_sb_puts(&b, "],\n  \"withdrawn\": [");
	for (int i = 0, k = 0; i < r->ncand; i++)
		if (r->withdrawn[i]) {
			stv_sb_puts(&b, k++ ? ", " : "");
			stv_sb_json_str(&b, r->names[i]);
		}
	stv_sb_puts(&b, "],\n  \"reopen_nominations\": ");
	if (r->ron >= 0)
		stv_sb_json_str(&b, r->names[r->ron]);
	else
		stv_sb_puts(&b, "null");
	stv_sb_printf(&b, ",\n  \"valid_ballots\": %lld,\n  \"invalid_ballots\": %lld,\n",
	   (long long)r->papers, (long long)r->invalid);
	stv_sb_puts(&b, "  \"quota\": ");
	json_num(&b, r->quota, r->places);
	stv_sb_puts(&b, ",\n  \"elected\": [");
	for (int i = 0; i < r->nelected; i++) {
		stv_sb_puts(&b, i ? ", " : "");
		stv_sb_json_str(&b, r->names[r->elected[i]]);
	}
	stv_sb_puts(&b, "],\n  \"stages\": [");
	for (int s = 0; s < r->nstages; s++) {
		const stv_stage *st = &r->stages[s];

		stv_sb_printf(&b, "%s\n    {\"stage\": %d, \"action\": \"%s\", \"candidate\": ",
		   s ? "," : "", s + 1, action_name(st->action));
		if (st->ncands == 0)
			stv_sb_puts(&b, "null");
		else if (st->ncands == 1)
			stv_sb_json_str(&b, r->names[st->cands[0]]);
		else {
			stv_sb_puts(&b, "[");
			for (int i = 0; i < st->ncands; i++) {
				stv_sb_puts(&b, i ? ", " : "");
				stv_sb_json_str(&b, r->names[st->cands[i]]);
			}
			stv_sb_puts(&b, "]");
		}
		stv_sb_puts(&b, ",\n     \"votes\": {");
		for (int i = 0; i < r->ncand; i++) {
			stv_sb_puts(&b, i ? ", " : "");
			stv_sb_json_str(&b, r->names[i]);
			stv_sb_puts(&b, ": ");
			json_num(&b, st->votes[i], r->places);
		}
		stv_sb_puts(&b, "},\n     \"non_transferable\": ");
		json_num(&b, st->nontransferable, r->places);
		stv_sb_puts(&b, ",\n     \"elected\": [");
		for (int i = 0, k = 0; i < r->nelected; i++)
			if (r->elected_stage[i] == s + 1) {
				stv_sb_puts(&b, k++ ? ", " : "");
				stv_sb_json_str(&b, r->names[r->elected[i]]);
			}
		stv_sb_puts(&b, "]");
		if (st->note) {
			stv_sb_puts(&b, ", \"note\": ");
			stv_sb_json_str(&b, st->note);
		}
		stv_sb_puts(&b, "}");
	}
	stv_sb_puts(&b, "\n  ],\n  \"seed\": ");
	if (r->seeded)
		stv_sb_printf(&b, "%llu", (unsigned long long)r->seed);
	else
		stv_sb_puts(&b, "null");
	stv_sb_puts(&b, ",\n  \"notes\": [");
	for (int i = 0; i < r->nnotes; i++) {
		stv_sb_puts(&b, i ? ",\n    " : "\n    ");
		stv_sb_json_str(&b, r->notes[i]);
	}
	stv_sb_puts(&b, r->nnotes ? "\n  ]\n}\n" : "]\n}\n");
	return stv_sb_finish(&b, out);
}

static const char *rule_title(stv_rule r)
{
	switch (r) {
	case STV_RULE_SCOTTISH:
		return "Scottish STV (SSI 2007/42, Schedule 1, rules 45-52)";
	case STV_RULE_MEEK:
		return "Meek STV (Proportional Representation Foundation "
		       "reference rule)";
	case STV_RULE_WIGM:
		return "Weighted inclusive Gregory (Proportional "
		       "Representation Foundation reference rule)";
	case STV_RULE_ERS97:
		return "ERS97 STV (Electoral Reform Society 1997 rules)";
	case STV_RULE_IRV:
		return "Instant runoff (one seat)";
	}
	return "unknown rule";
}

static void stage_title(stv_sb *b, const stv_result *r, const stv_stage *st)
{
	if (st->action == STV_FIRST) {
		stv_sb_puts(b, "first preferences");
		return;
	}
	if (st->ncands == 0) {
		stv_sb_puts(b, st->action == STV_SURPLUS ? "surpluses transferred"
		                                   : "exclusion");
		return;
	}
	stv_sb_puts(b, st->action == STV_SURPLUS ? "surplus of " : "exclusion of ");
	for (int i = 0; i < st->ncands; i++) {
		stv_sb_puts(b, i == 0 ? "" : i + 1 == st->ncands ? " and " : ", ");
		stv_sb_puts(b, r->names[st->cands[i]]);
	}
}

/* Stage at which cand was elected (1-based), or 0. */
static int elected_stage(const stv_result *r, int cand)
{
	for (int i = 0; i < r->nelected; i++)
		if (r->elected[i] == cand)
			return r->elected_stage[i];
	return 0;
}

/* Stage at which cand was excluded (1-based), or 0. */
static int excluded_stage(const stv_result *r, int cand)
{
	for (int s = 0; s < r->nstages; s++)
		if (r->stages[s].action == STV_EXCLUDE)
			for (int i = 0; i < r->stages[s].ncands; i++)
				if (r->stages[s].cands[i] == cand)
					return s + 1;
	return 0;
}

stv_status stv_result_text(const stv_result *r, char **out)
{
	stv_sb b = {0};
	char num[64], chg[64];
	int w = 16;

	for (int i = 0; i < r->ncand; i++)
		if ((int)strlen(r->names[i]) > w)
			w = (int)strlen(r->names[i]);
	if (w > 40)
		w = 40;
	if (r->title[0])
		stv_sb_printf(&b, "%s\n\n", r->title);
	stv_sb_printf(&b, "Rule:           %s\n", rule_title(r->rule));
	stv_sb_printf(&b, "Seats:          %d\n", r->seats);
	stv_sb_printf(&b, "Valid ballots:  %lld\n", (long long)r->papers);
	if (r->invalid)
		stv_sb_printf(&b, "Invalid:        %lld (empty ballots, not counted)\n",
		   (long long)r->invalid);
	stv_fmt(num, sizeof num, r->quota, r->places);
	stv_sb_printf(&b, "Quota:          %s%s\n", num,
	   r->rule == STV_RULE_IRV ? " (more than half of the votes held by continuing candidates at the last stage)"
	   : r->rule == STV_RULE_MEEK
	       ? " (at stage 1; it falls as votes become non-transferable)"
	   : r->rule == STV_RULE_ERS97 ? " (in force at the end of the count)"
	                               : "");
	if (r->seeded)
		stv_sb_printf(&b, "Seed for lots:  %llu\n", (unsigned long long)r->seed);
	stv_sb_puts(&b, "\nElected, in order:\n");
	for (int i = 0; i < r->nelected; i++)
		stv_sb_printf(&b, "  %2d. %s (stage %d)\n", i + 1, r->names[r->elected[i]],
		   r->elected_stage[i]);
	for (int s = 0; s < r->nstages; s++) {
		const stv_stage *st = &r->stages[s];

		stv_sb_printf(&b, "\nStage %d: ", s + 1);
		stage_title(&b, r, st);
		stv_sb_printf(&b, "\n  %-*s %18s %18s\n", w, "Candidate", "Votes",
		   s ? "Change" : "");
		for (int i = 0; i < r->ncand; i++) {
			int es = elected_stage(r, i), xs = excluded_stage(r, i);
			const char *mark = r->withdrawn[i]    ? "  withdrawn"
			                   : es && es <= s + 1 ? "  elected"
			                   : xs && xs <= s + 1 ? "  excluded"
			                                       : "";

			stv_fmt(num, sizeof num, st->votes[i], r->places);
			chg[0] = '\0';
			if (s > 0) {
				int64_t d = st->votes[i] - r->stages[s - 1].votes[i];

				if (d != 0) {
					stv_fmt(chg + 1, sizeof chg - 1,
					        d < 0 ? -d : d, r->places);
					chg[0] = d < 0 ? '-' : '+';
				}
			}
			stv_sb_printf(&b, "  %-*.*s %18s %18s%s%s\n", w, w, r->names[i], num,
			   chg, mark,
			   i == r->ron ? "  (re-open nominations)" : "");
		}
		stv_fmt(num, sizeof num, st->nontransferable, r->places);
		stv_sb_printf(&b, "  %-*s %18s\n", w, "Non-transferable", num);
		for (int i = 0, k = 0; i < r->nelected; i++)
			if (r->elected_stage[i] == s + 1)
				stv_sb_printf(&b, "%s%s", k++ ? ", " : "  Elected: ",
				   r->names[r->elected[i]]);
		if (nelected_at(r, s + 1))
			stv_sb_puts(&b, "\n");
		if (st->note)
			stv_sb_printf(&b, "  Note: %s\n", st->note);
	}
	if (r->nnotes) {
		stv_sb_puts(&b, "\nNotes:\n");
		for (int i = 0; i < r->nnotes; i++)
			stv_sb_printf(&b, "  - %s\n", r->notes[i]);
	}
	return stv_sb_finish(&b, out);
}

/* Bar length in chart units (0..1000) of v against top; integer only. */
static int bar(int64_t v, int64_t top)
{
	if (top <= 0 || v <= 0)
		return 0;
	return (int)(((__int128)v * 1000) / top);
}

static void html_chart(stv_sb *b, const stv_result *r, const stv_stage *st,
                       int stage)
{
	int64_t top = r->quota;
	int rows = 0, y = 0;
	char num[64];

	for (int i = 0; i < r->ncand; i++) {
		if (st->votes[i] > top)
			top = st->votes[i];
		rows += !r->withdrawn[i];
	}
	stv_sb_printf(b,
	   "<svg class=\"chart\" viewBox=\"0 0 1000 %d\" role=\"img\" "
	   "aria-label=\"Votes at stage %d\">\n",
	   rows * 22 + 6, stage);
	for (int i = 0; i < r->ncand; i++) {
		int es = elected_stage(r, i), xs = excluded_stage(r, i);
		const char *cls = es && es <= stage   ? "el"
		                  : xs && xs <= stage ? "ex"
		                                      : "ho";

		if (r->withdrawn[i])
			continue;
		stv_fmt(num, sizeof num, st->votes[i], r->places);
		stv_sb_printf(b, "<rect class=\"%s\" x=\"0\" y=\"%d\" width=\"%d\" height=\"18\"><title>",
		   cls, y + 2, bar(st->votes[i], top) * 6 / 10);
		stv_sb_html(b, r->names[i]);
		stv_sb_printf(b, ": %s</title></rect><text x=\"%d\" y=\"%d\">", num,
		   bar(st->votes[i], top) * 6 / 10 + 6, y + 15);
		stv_sb_html(b, r->names[i]);
		stv_sb_printf(b, " %s</text>\n", num);
		y += 22;
	}
	if (r->rule != STV_RULE_IRV) {
		int qx = bar(r->quota, top) * 6 / 10;

		stv_sb_printf(b,
		   "<line class=\"quota\" x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%d\"/>"
		   "\n",
		   qx, qx, rows * 22 + 6);
	}
	stv_sb_puts(b, "</svg>\n");
}

stv_status stv_result_html(const stv_result *r, char **out)
{
	stv_sb b = {0};
	char num[64];

	stv_sb_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	          "<meta charset=\"utf-8\">\n"
	          "<meta name=\"viewport\" content=\"width=device-width, "
	          "initial-scale=1\">\n<title>");
	stv_sb_html(&b, r->title[0] ? r->title : "STV count");
	stv_sb_puts(&b,
	      "</title>\n<style>\n"
	      "body{font-family:system-ui,sans-serif;max-width:60rem;margin:"
	      "1rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.4}\n"
	      "table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}"
	      "\n"
	      "th,td{border:1px solid #ccc;padding:.2rem .5rem;text-align:"
	      "right}\nth:first-child,td:first-child{text-align:left}\n"
	      ".scroll{overflow-x:auto}\n"
	      ".chart{width:100%;max-width:60rem;height:auto}\n"
	      ".chart text{font-size:13px;fill:#1a1a1a}\n"
	      ".chart .el{fill:#2e7d32}.chart .ho{fill:#1565c0}"
	      ".chart .ex{fill:#bbb}\n"
	      ".chart .quota{stroke:#c62828;stroke-width:2;"
	      "stroke-dasharray:6 4}\n"
	      ".el-row td:first-child{font-weight:bold}\n"
	      ".note{background:#fff8e1;padding:.3rem .6rem}\n"
	      "</style>\n</head>\n<body>\n<h1>");
	stv_sb_html(&b, r->title[0] ? r->title : "STV count");
	stv_sb_puts(&b, "</h1>\n<dl>\n<dt>Rule</dt><dd>");
	stv_sb_html(&b, rule_title(r->rule));
	stv_sb_printf(&b, "</dd>\n<dt>Seats</dt><dd>%d</dd>\n", r->seats);
	stv_sb_printf(&b, "<dt>Valid ballots</dt><dd>%lld</dd>\n", (long long)r->papers);
	if (r->invalid)
		stv_sb_printf(&b, "<dt>Invalid ballots</dt><dd>%lld</dd>\n",
		   (long long)r->invalid);
	stv_fmt(num, sizeof num, r->quota, r->places);
	stv_sb_printf(&b, "<dt>Quota</dt><dd>%s</dd>\n", num);
	if (r->seeded)
		stv_sb_printf(&b, "<dt>Seed for ties by lot</dt><dd>%llu</dd>\n",
		   (unsigned long long)r->seed);
	stv_sb_puts(&b, "</dl>\n<h2>Elected</h2>\n<ol>\n");
	for (int i = 0; i < r->nelected; i++) {
		stv_sb_puts(&b, "<li>");
		stv_sb_html(&b, r->names[r->elected[i]]);
		stv_sb_printf(&b, " (stage %d)</li>\n", r->elected_stage[i]);
	}
	stv_sb_puts(&b, "</ol>\n<h2>Result sheet</h2>\n<div class=\"scroll\">"
	          "<table>\n<thead><tr><th scope=\"col\">Candidate</th>");
	for (int s = 0; s < r->nstages; s++)
		stv_sb_printf(&b, "<th scope=\"col\">Stage %d</th>", s + 1);
	stv_sb_puts(&b, "</tr></thead>\n<tbody>\n");
	for (int i = 0; i < r->ncand; i++) {
		stv_sb_printf(&b, "<tr%s><th scope=\"row\">",
		   elected_stage(r, i) ? " class=\"el-row\"" : "");
		stv_sb_html(&b, r->names[i]);
		if (r->withdrawn[i])
			stv_sb_puts(&b, " (withdrawn)");
		if (i == r->ron)
			stv_sb_puts(&b, " (re-open nominations)");
		stv_sb_puts(&b, "</th>");
		for (int s = 0; s < r->nstages; s++) {
			stv_fmt(num, sizeof num, r->stages[s].votes[i],
			        r->places);
			stv_sb_printf(&b, "<td>%s</td>", num);
		}
		stv_sb_puts(&b, "</tr>\n");
	}
	stv_sb_puts(&b, "<tr><th scope=\"row\">Non-transferable</th>");
	for (int s = 0; s < r->nstages; s++) {
		stv_fmt(num, sizeof num, r->stages[s].nontransferable,
		        r->places);
		stv_sb_printf(&b, "<td>%s</td>", num);
	}
	stv_sb_puts(&b, "</tr>\n</tbody></table></div>\n<h2>Stages</h2>\n");
	for (int s = 0; s < r->nstages; s++) {
		const stv_stage *st = &r->stages[s];

		stv_sb_printf(&b, "<section>\n<h3>Stage %d: ", s + 1);
		{
			stv_sb t = {0};

			stage_title(&t, r, st);
			if (t.s)
				stv_sb_html(&b, t.s);
			free(t.s);
		}
		stv_sb_puts(&b, "</h3>\n");
		html_chart(&b, r, st, s + 1);
		for (int i = 0, k = 0; i < r->nelected; i++)
			if (r->elected_stage[i] == s + 1) {
				stv_sb_puts(&b, k++ ? ", " : "<p>Elected: ");
				stv_sb_html(&b, r->names[r->elected[i]]);
			}
		if (nelected_at(r, s + 1))
			stv_sb_puts(&b, "</p>\n");
		if (st->note) {
			stv_sb_puts(&b, "<p class=\"note\">");
			stv_sb_html(&b, st->note);
			stv_sb_puts(&b, "</p>\n");
		}
		stv_sb_puts(&b, "</section>\n");
	}
	if (r->nnotes) {
		stv_sb_puts(&b, "<h2>Notes</h2>\n<ul>\n");
		for (int i = 0; i < r->nnotes; i++) {
			stv_sb_puts(&b, "<li>");
			stv_sb_html(&b, r->notes[i]);
			stv_sb_puts(&b, "</li>\n");
		}
		stv_sb_puts(&b, "</ul>\n");
	}
	stv_sb_puts(&b, "<p>Bars: green elected, blue continuing, grey excluded; "
	          "the dashed line is the quota.</p>\n</body>\n</html>\n");
	return stv_sb_finish(&b, out);
}
