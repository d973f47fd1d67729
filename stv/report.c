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
	pf(&b, "],\n  \"valid_ballots\": %lld,\n  \"invalid_ballots\": %lld,\n",
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
	(void)nelected_at;
	return finish(&b, out);
}

stv_status stv_result_text(const stv_result *r, char **out)
{
	return stv_result_json(r, out);
}

stv_status stv_result_html(const stv_result *r, char **out)
{
	return stv_result_json(r, out);
}
