/*
 * report.c: a count's result as JSON, as a text report and as a
 * self-contained HTML report with a chart of every stage.
 */
#include "stv_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char *s;
	size_t n, cap;
	int oom;
} buf;

static void put(buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *ns;

		while (cap < b->n + n + 1)
			cap *= 2;
		if ((ns = realloc(b->s, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void puts_(buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void pf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void pf(buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if ((size_t)k < sizeof tmp) {
		put(b, tmp, (size_t)k);
		return;
	}
	char *big = malloc((size_t)k + 1);
	if (big == NULL) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)k + 1, fmt, ap);
	va_end(ap);
	put(b, big, (size_t)k);
	free(big);
}

static stv_status finish(buf *b, char **out)
{
	if (b->oom) {
		free(b->s);
		*out = NULL;
		return STV_ERR_NOMEM;
	}
	if (b->s == NULL)
		puts_(b, "");
	*out = b->s;
	return b->oom ? STV_ERR_NOMEM : STV_OK;
}

/* A JSON string, escaped per RFC 8259; bytes >= 0x80 pass through (the
 * names are UTF-8 from the ballot file). */
static void json_str(buf *b, const char *s)
{
	puts_(b, "\"");
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"')
			puts_(b, "\\\"");
		else if (ch == '\\')
			puts_(b, "\\\\");
		else if (ch == '\n')
			puts_(b, "\\n");
		else if (ch == '\t')
			puts_(b, "\\t");
		else if (ch < 0x20)
			pf(b, "\\u%04x", ch);
		else
			put(b, (const char *)&ch, 1);
	}
	puts_(b, "\"");
}

static void json_num(buf *b, int64_t v, int places)
{
	char tmp[64];

	stv_fmt(tmp, sizeof tmp, v, places);
	json_str(b, tmp);
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
	buf b = {0};

	puts_(&b, "{\n  \"format\": \"stv-result/1\",\n  \"rule\": ");
	json_str(&b, stv_rule_name(r->rule));
	pf(&b, ",\n  \"seats\": %d,\n  \"title\": ", r->seats);
	json_str(&b, r->title);
	puts_(&b, ",\n  \"candidates\": [");
	for (int i = 0; i < r->ncand; i++) {
		puts_(&b, i ? ", " : "");
		json_str(&b, r->names[i]);
	}
	puts_(&b, "],\n  \"withdrawn\": [");
	for (int i = 0, k = 0; i < r->ncand; i++)
		if (r->withdrawn[i]) {
			puts_(&b, k++ ? ", " : "");
			json_str(&b, r->names[i]);
		}
	puts_(&b, "],\n  \"reopen_nominations\": ");
	if (r->ron >= 0)
		json_str(&b, r->names[r->ron]);
	else
		puts_(&b, "null");
	pf(&b, ",\n  \"valid_ballots\": %lld,\n  \"invalid_ballots\": %lld,\n",
	   (long long)r->papers, (long long)r->invalid);
	puts_(&b, "  \"quota\": ");
	json_num(&b, r->quota, r->places);
	puts_(&b, ",\n  \"elected\": [");
	for (int i = 0; i < r->nelected; i++) {
		puts_(&b, i ? ", " : "");
		json_str(&b, r->names[r->elected[i]]);
	}
	puts_(&b, "],\n  \"stages\": [");
	for (int s = 0; s < r->nstages; s++) {
		const stv_stage *st = &r->stages[s];

		pf(&b, "%s\n    {\"stage\": %d, \"action\": \"%s\", \"candidate\": ",
		   s ? "," : "", s + 1, action_name(st->action));
		if (st->ncands == 0)
			puts_(&b, "null");
		else if (st->ncands == 1)
			json_str(&b, r->names[st->cands[0]]);
		else {
			puts_(&b, "[");
			for (int i = 0; i < st->ncands; i++) {
				puts_(&b, i ? ", " : "");
				json_str(&b, r->names[st->cands[i]]);
			}
			puts_(&b, "]");
		}
		puts_(&b, ",\n     \"votes\": {");
		for (int i = 0; i < r->ncand; i++) {
			puts_(&b, i ? ", " : "");
			json_str(&b, r->names[i]);
			puts_(&b, ": ");
			json_num(&b, st->votes[i], r->places);
		}
		puts_(&b, "},\n     \"non_transferable\": ");
		json_num(&b, st->nontransferable, r->places);
		puts_(&b, ",\n     \"elected\": [");
		for (int i = 0, k = 0; i < r->nelected; i++)
			if (r->elected_stage[i] == s + 1) {
				puts_(&b, k++ ? ", " : "");
				json_str(&b, r->names[r->elected[i]]);
			}
		puts_(&b, "]");
		if (st->note) {
			puts_(&b, ", \"note\": ");
			json_str(&b, st->note);
		}
		puts_(&b, "}");
	}
	puts_(&b, "\n  ],\n  \"seed\": ");
	if (r->seeded)
		pf(&b, "%llu", (unsigned long long)r->seed);
	else
		puts_(&b, "null");
	puts_(&b, ",\n  \"notes\": [");
	for (int i = 0; i < r->nnotes; i++) {
		puts_(&b, i ? ",\n    " : "\n    ");
		json_str(&b, r->notes[i]);
	}
	puts_(&b, r->nnotes ? "\n  ]\n}\n" : "]\n}\n");
	return finish(&b, out);
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

static void stage_title(buf *b, const stv_result *r, const stv_stage *st)
{
	if (st->action == STV_FIRST) {
		puts_(b, "first preferences");
		return;
	}
	if (st->ncands == 0) {
		puts_(b, st->action == STV_SURPLUS ? "surpluses transferred"
		                                   : "exclusion");
		return;
	}
	puts_(b, st->action == STV_SURPLUS ? "surplus of " : "exclusion of ");
	for (int i = 0; i < st->ncands; i++) {
		puts_(b, i == 0 ? "" : i + 1 == st->ncands ? " and " : ", ");
		puts_(b, r->names[st->cands[i]]);
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
	buf b = {0};
	char num[64], chg[64];
	int w = 16;

	for (int i = 0; i < r->ncand; i++)
		if ((int)strlen(r->names[i]) > w)
			w = (int)strlen(r->names[i]);
	if (w > 40)
		w = 40;
	if (r->title[0])
		pf(&b, "%s\n\n", r->title);
	pf(&b, "Rule:           %s\n", rule_title(r->rule));
	pf(&b, "Seats:          %d\n", r->seats);
	pf(&b, "Valid ballots:  %lld\n", (long long)r->papers);
	if (r->invalid)
		pf(&b, "Invalid:        %lld (empty ballots, not counted)\n",
		   (long long)r->invalid);
	stv_fmt(num, sizeof num, r->quota, r->places);
	pf(&b, "Quota:          %s%s\n", num,
	   r->rule == STV_RULE_IRV ? " (more than half of the votes held by continuing candidates at the last stage)"
	   : r->rule == STV_RULE_MEEK
	       ? " (at stage 1; it falls as votes become non-transferable)"
	   : r->rule == STV_RULE_ERS97 ? " (in force at the end of the count)"
	                               : "");
	if (r->seeded)
		pf(&b, "Seed for lots:  %llu\n", (unsigned long long)r->seed);
	puts_(&b, "\nElected, in order:\n");
	for (int i = 0; i < r->nelected; i++)
		pf(&b, "  %2d. %s (stage %d)\n", i + 1, r->names[r->elected[i]],
		   r->elected_stage[i]);
	for (int s = 0; s < r->nstages; s++) {
		const stv_stage *st = &r->stages[s];

		pf(&b, "\nStage %d: ", s + 1);
		stage_title(&b, r, st);
		pf(&b, "\n  %-*s %18s %18s\n", w, "Candidate", "Votes",
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
			pf(&b, "  %-*.*s %18s %18s%s%s\n", w, w, r->names[i], num,
			   chg, mark,
			   i == r->ron ? "  (re-open nominations)" : "");
		}
		stv_fmt(num, sizeof num, st->nontransferable, r->places);
		pf(&b, "  %-*s %18s\n", w, "Non-transferable", num);
		for (int i = 0, k = 0; i < r->nelected; i++)
			if (r->elected_stage[i] == s + 1)
				pf(&b, "%s%s", k++ ? ", " : "  Elected: ",
				   r->names[r->elected[i]]);
		if (nelected_at(r, s + 1))
			puts_(&b, "\n");
		if (st->note)
			pf(&b, "  Note: %s\n", st->note);
	}
	if (r->nnotes) {
		puts_(&b, "\nNotes:\n");
		for (int i = 0; i < r->nnotes; i++)
			pf(&b, "  - %s\n", r->notes[i]);
	}
	return finish(&b, out);
}

static void html_esc(buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			puts_(b, "&lt;");
			break;
		case '>':
			puts_(b, "&gt;");
			break;
		case '&':
			puts_(b, "&amp;");
			break;
		case '"':
			puts_(b, "&quot;");
			break;
		case '\'':
			puts_(b, "&#39;");
			break;
		default:
			put(b, s, 1);
		}
	}
}

/* Bar length in chart units (0..1000) of v against top; integer only. */
static int bar(int64_t v, int64_t top)
{
	if (top <= 0 || v <= 0)
		return 0;
	return (int)(((__int128)v * 1000) / top);
}

static void html_chart(buf *b, const stv_result *r, const stv_stage *st,
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
	pf(b,
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
		pf(b, "<rect class=\"%s\" x=\"0\" y=\"%d\" width=\"%d\" height=\"18\"><title>",
		   cls, y + 2, bar(st->votes[i], top) * 6 / 10);
		html_esc(b, r->names[i]);
		pf(b, ": %s</title></rect><text x=\"%d\" y=\"%d\">", num,
		   bar(st->votes[i], top) * 6 / 10 + 6, y + 15);
		html_esc(b, r->names[i]);
		pf(b, " %s</text>\n", num);
		y += 22;
	}
	if (r->rule != STV_RULE_IRV) {
		int qx = bar(r->quota, top) * 6 / 10;

		pf(b,
		   "<line class=\"quota\" x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%d\"/>"
		   "\n",
		   qx, qx, rows * 22 + 6);
	}
	puts_(b, "</svg>\n");
}

stv_status stv_result_html(const stv_result *r, char **out)
{
	buf b = {0};
	char num[64];

	puts_(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	          "<meta charset=\"utf-8\">\n"
	          "<meta name=\"viewport\" content=\"width=device-width, "
	          "initial-scale=1\">\n<title>");
	html_esc(&b, r->title[0] ? r->title : "STV count");
	puts_(&b,
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
	html_esc(&b, r->title[0] ? r->title : "STV count");
	puts_(&b, "</h1>\n<dl>\n<dt>Rule</dt><dd>");
	html_esc(&b, rule_title(r->rule));
	pf(&b, "</dd>\n<dt>Seats</dt><dd>%d</dd>\n", r->seats);
	pf(&b, "<dt>Valid ballots</dt><dd>%lld</dd>\n", (long long)r->papers);
	if (r->invalid)
		pf(&b, "<dt>Invalid ballots</dt><dd>%lld</dd>\n",
		   (long long)r->invalid);
	stv_fmt(num, sizeof num, r->quota, r->places);
	pf(&b, "<dt>Quota</dt><dd>%s</dd>\n", num);
	if (r->seeded)
		pf(&b, "<dt>Seed for ties by lot</dt><dd>%llu</dd>\n",
		   (unsigned long long)r->seed);
	puts_(&b, "</dl>\n<h2>Elected</h2>\n<ol>\n");
	for (int i = 0; i < r->nelected; i++) {
		puts_(&b, "<li>");
		html_esc(&b, r->names[r->elected[i]]);
		pf(&b, " (stage %d)</li>\n", r->elected_stage[i]);
	}
	puts_(&b, "</ol>\n<h2>Result sheet</h2>\n<div class=\"scroll\">"
	          "<table>\n<thead><tr><th scope=\"col\">Candidate</th>");
	for (int s = 0; s < r->nstages; s++)
		pf(&b, "<th scope=\"col\">Stage %d</th>", s + 1);
	puts_(&b, "</tr></thead>\n<tbody>\n");
	for (int i = 0; i < r->ncand; i++) {
		pf(&b, "<tr%s><th scope=\"row\">",
		   elected_stage(r, i) ? " class=\"el-row\"" : "");
		html_esc(&b, r->names[i]);
		if (r->withdrawn[i])
			puts_(&b, " (withdrawn)");
		if (i == r->ron)
			puts_(&b, " (re-open nominations)");
		puts_(&b, "</th>");
		for (int s = 0; s < r->nstages; s++) {
			stv_fmt(num, sizeof num, r->stages[s].votes[i],
			        r->places);
			pf(&b, "<td>%s</td>", num);
		}
		puts_(&b, "</tr>\n");
	}
	puts_(&b, "<tr><th scope=\"row\">Non-transferable</th>");
	for (int s = 0; s < r->nstages; s++) {
		stv_fmt(num, sizeof num, r->stages[s].nontransferable,
		        r->places);
		pf(&b, "<td>%s</td>", num);
	}
	puts_(&b, "</tr>\n</tbody></table></div>\n<h2>Stages</h2>\n");
	for (int s = 0; s < r->nstages; s++) {
		const stv_stage *st = &r->stages[s];

		pf(&b, "<section>\n<h3>Stage %d: ", s + 1);
		{
			buf t = {0};

			stage_title(&t, r, st);
			if (t.s)
				html_esc(&b, t.s);
			free(t.s);
		}
		puts_(&b, "</h3>\n");
		html_chart(&b, r, st, s + 1);
		for (int i = 0, k = 0; i < r->nelected; i++)
			if (r->elected_stage[i] == s + 1) {
				puts_(&b, k++ ? ", " : "<p>Elected: ");
				html_esc(&b, r->names[r->elected[i]]);
			}
		if (nelected_at(r, s + 1))
			puts_(&b, "</p>\n");
		if (st->note) {
			puts_(&b, "<p class=\"note\">");
			html_esc(&b, st->note);
			puts_(&b, "</p>\n");
		}
		puts_(&b, "</section>\n");
	}
	if (r->nnotes) {
		puts_(&b, "<h2>Notes</h2>\n<ul>\n");
		for (int i = 0; i < r->nnotes; i++) {
			puts_(&b, "<li>");
			html_esc(&b, r->notes[i]);
			puts_(&b, "</li>\n");
		}
		puts_(&b, "</ul>\n");
	}
	puts_(&b, "<p>Bars: green elected, blue continuing, grey excluded; "
	          "the dashed line is the quota.</p>\n</body>\n</html>\n");
	return finish(&b, out);
}
