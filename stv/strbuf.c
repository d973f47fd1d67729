/*
 * strbuf.c: a growing string for the reports and the BLT writer.  An
 * allocation failure is remembered and reported once, by stv_sb_finish,
 * so that the writers need not check every append.
 */
#include "stv_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void stv_sb_put(stv_sb *b, const char *s, size_t n)
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

void stv_sb_puts(stv_sb *b, const char *s)
{
	stv_sb_put(b, s, strlen(s));
}

void stv_sb_printf(stv_sb *b, const char *fmt, ...)
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
		stv_sb_put(b, tmp, (size_t)k);
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
	stv_sb_put(b, big, (size_t)k);
	free(big);
}

stv_status stv_sb_finish(stv_sb *b, char **out)
{
	if (b->oom) {
		free(b->s);
		*out = NULL;
		return STV_ERR_NOMEM;
	}
	if (b->s == NULL)
		stv_sb_puts(b, "");
	*out = b->s;
	return b->oom ? STV_ERR_NOMEM : STV_OK;
}

/* A JSON string, escaped per RFC 8259; bytes >= 0x80 pass through (the
 * names are UTF-8 from the ballot file). */
void stv_sb_json_str(stv_sb *b, const char *s)
{
	stv_sb_puts(b, "\"");
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"')
			stv_sb_puts(b, "\\\"");
		else if (ch == '\\')
			stv_sb_puts(b, "\\\\");
		else if (ch == '\n')
			stv_sb_puts(b, "\\n");
		else if (ch == '\t')
			stv_sb_puts(b, "\\t");
		else if (ch < 0x20)
			stv_sb_printf(b, "\\u%04x", ch);
		else
			stv_sb_put(b, (const char *)&ch, 1);
	}
	stv_sb_puts(b, "\"");
}


void stv_sb_html(stv_sb *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			stv_sb_puts(b, "&lt;");
			break;
		case '>':
			stv_sb_puts(b, "&gt;");
			break;
		case '&':
			stv_sb_puts(b, "&amp;");
			break;
		case '"':
			stv_sb_puts(b, "&quot;");
			break;
		case '\'':
			stv_sb_puts(b, "&#39;");
			break;
		default:
			stv_sb_put(b, s, 1);
		}
	}
}

