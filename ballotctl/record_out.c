/*
 * record_out.c: the election record's files (docs/record.md): held in
 * memory in the layout's order, then written as a directory and as a
 * POSIX ustar tarball; and report.html, assembled from the STV core's
 * HTML pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto.h"
#include "record.h"

int rec_add(struct rec_out *o, const char *name, uint8_t *data, size_t len)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 32;
		struct rec_file *f = realloc(o->f, cap * sizeof(*f));

		if (f == NULL)
			goto nomem;
		o->f = f;
		o->cap = cap;
	}
	if ((o->f[o->n].name = strdup(name)) == NULL)
		goto nomem;
	o->f[o->n].data = data;
	o->f[o->n].len = len;
	o->n++;
	return 0;
nomem:
	free(data);
	ctl_warnx("out of memory");
	return -1;
}

int rec_add_copy(struct rec_out *o, const char *name, const void *text,
                 size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (p == NULL) {
		ctl_warnx("out of memory");
		return -1;
	}
	memcpy(p, text, len);
	return rec_add(o, name, p, len);
}

int rec_add_json(struct rec_out *o, const char *name, const json_t *v)
{
	size_t len;
	char *s = proto_json_text(v, &len), *t;

	if (s == NULL || (t = realloc(s, len + 1)) == NULL) {
		free(s);
		ctl_warnx("out of memory");
		return -1;
	}
	t[len] = '\n';
	return rec_add(o, name, (uint8_t *)t, len + 1);
}

static int rec_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rec_file *)a)->name,
	              ((const struct rec_file *)b)->name);
}

void rec_sort_from(struct rec_out *o, size_t from)
{
	if (from < o->n)
		qsort(o->f + from, o->n - from, sizeof(*o->f), rec_cmp);
}

void rec_out_free(struct rec_out *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->f[i].name);
		free(o->f[i].data);
	}
	free(o->f);
	memset(o, 0, sizeof(*o));
}

int rec_write_new(const char *path, const void *data, size_t len)
{
	const uint8_t *p = data;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) ==
	    -1) {
		ctl_warnx("%s: %s%s", path, strerror(errno),
		          errno == EEXIST ? " (never overwritten)" : "");
		return CTL_EXIT_IO;
	}
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ctl_warnx("%s: %s", path, strerror(errno));
			close(fd);
			return CTL_EXIT_IO;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		ctl_warnx("%s: %s", path, strerror(errno));
		return CTL_EXIT_IO;
	}
	return CTL_EXIT_OK;
}

int rec_write_dir(const struct rec_out *o, const char *dir)
{
	char path[4096];
	size_t i;
	int rc;

	if (mkdir(dir, 0755) == -1) {
		ctl_warnx("%s: %s%s", dir, strerror(errno),
		          errno == EEXIST ? " (never overwritten)" : "");
		return CTL_EXIT_IO;
	}
	for (i = 0; i < o->n; i++) {
		const char *slash = strchr(o->f[i].name, '/');

		if (slash != NULL) {
			snprintf(path, sizeof(path), "%s/%.*s", dir,
			         (int)(slash - o->f[i].name), o->f[i].name);
			if (mkdir(path, 0755) == -1 && errno != EEXIST) {
				ctl_warnx("%s: %s", path, strerror(errno));
				return CTL_EXIT_IO;
			}
		}
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		                     o->f[i].name) >= sizeof(path)) {
			ctl_warnx("%s: path too long", dir);
			return CTL_EXIT_IO;
		}
		if ((rc = rec_write_new(path, o->f[i].data, o->f[i].len)))
			return rc;
	}
	return CTL_EXIT_OK;
}

/* ---------------------------------------------------------------- */
/* ustar (POSIX.1-2001 pax's ustar format, IEEE Std 1003.1, "ustar
 * Interchange Format"). */

#define TAR_BLOCK 512

/* An octal field of w bytes: w - 1 digits, then NUL. */
static int tar_octal(uint8_t *f, size_t w, uint64_t v)
{
	size_t i = w - 1;

	f[i] = '\0';
	while (i-- > 0) {
		f[i] = (uint8_t)('0' + (v & 7));
		v >>= 3;
	}
	return v == 0 ? 0 : -1;
}

int rec_tar(const struct rec_out *o, const char *poll_id, uint64_t mtime,
            uint8_t **out, size_t *len)
{
	size_t total = 2 * TAR_BLOCK, i, off = 0;
	uint8_t *t;

	for (i = 0; i < o->n; i++)
		total += TAR_BLOCK +
		         (o->f[i].len + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
	if ((t = calloc(1, total)) == NULL) {
		ctl_warnx("out of memory");
		return -1;
	}
	for (i = 0; i < o->n; i++) {
		uint8_t *h = t + off;
		unsigned sum = 0;
		size_t k;
		int n =
		    snprintf((char *)h, 100, "%s/%s", poll_id, o->f[i].name);

		/* Poll ids (63) and contest ids (32) keep every name far
		 * below the 100 bytes of the name field. */
		if (n < 0 || n >= 100) {
			ctl_warnx("%s/%s: name too long for ustar", poll_id,
			          o->f[i].name);
			free(t);
			return -1;
		}
		tar_octal(h + 100, 8, 0644);
		tar_octal(h + 108, 8, 0);
		tar_octal(h + 116, 8, 0);
		if (tar_octal(h + 124, 12, o->f[i].len) == -1 ||
		    tar_octal(h + 136, 12, mtime) == -1) {
			ctl_warnx("%s: too large for ustar", o->f[i].name);
			free(t);
			return -1;
		}
		memset(h + 148, ' ', 8);
		h[156] = '0';
		memcpy(h + 257, "ustar", 6); /* magic with its NUL */
		memcpy(h + 263, "00", 2);
		for (k = 0; k < TAR_BLOCK; k++)
			sum += h[k];
		/* The checksum: six octal digits, NUL, space. */
		tar_octal(h + 148, 7, sum);
		h[155] = ' ';
		off += TAR_BLOCK;
		memcpy(t + off, o->f[i].data, o->f[i].len);
		off += (o->f[i].len + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
	}
	*out = t;
	*len = total;
	return 0;
}

/* ---------------------------------------------------------------- */
/* report.html */

static void html_text(proto_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			proto_buf_raw(b, "&lt;", 4);
			break;
		case '>':
			proto_buf_raw(b, "&gt;", 4);
			break;
		case '&':
			proto_buf_raw(b, "&amp;", 5);
			break;
		case '"':
			proto_buf_raw(b, "&quot;", 6);
			break;
		default:
			proto_buf_raw(b, s, 1);
		}
	}
}

static void html_puts(proto_buf *b, const char *s)
{
	proto_buf_raw(b, s, strlen(s));
}

static void html_int(proto_buf *b, json_int_t v)
{
	char n[32];

	snprintf(n, sizeof(n), "%lld", (long long)v);
	html_puts(b, n);
}

/* The text between open and close in page, or NULL. */
static const char *html_between(const char *page, const char *open,
                                const char *close, size_t *len)
{
	const char *a = strstr(page, open), *z;

	if (a == NULL)
		return NULL;
	a += strlen(open);
	if ((z = strstr(a, close)) == NULL)
		return NULL;
	*len = (size_t)(z - a);
	return a;
}

int rec_report_html(const json_t *results, const json_t *ballots,
                    const struct rec_html_part *parts, size_t nparts,
                    char **out)
{
	const json_t *t = json_object_get(results, "turnout"), *v;
	const char *style = NULL, *body;
	proto_buf b = {0};
	size_t i, slen = 0, blen, ninvalid = 0;

	for (i = 0; i < nparts && style == NULL; i++)
		style =
		    html_between(parts[i].page, "<style>", "</style>", &slen);
	html_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	              "<meta charset=\"utf-8\">\n<title>");
	html_text(&b, json_string_value(json_object_get(results, "title")));
	html_puts(&b, ": election record</title>\n<style>");
	if (style != NULL)
		proto_buf_raw(&b, style, slen);
	else
		html_puts(&b, "body{font-family:system-ui,sans-serif;"
		              "max-width:60rem;margin:1rem auto;padding:0 "
		              "1rem}\n");
	html_puts(&b, "section.contest{border-top:2px solid #444;margin-top:"
	              "2rem}\n</style>\n</head>\n<body>\n<h1>");
	html_text(&b, json_string_value(json_object_get(results, "title")));
	html_puts(&b, "</h1>\n<p>Poll <code>");
	html_text(&b, json_string_value(json_object_get(results, "poll")));
	html_puts(&b, "</code>, poll hash <code>");
	html_text(&b, json_string_value(json_object_get(results, "poll_hash")));
	html_puts(&b, "</code>.</p>\n<h2>Turnout</h2>\n<table>\n");
	{
		static const char *const rows[][2] = {
		    {"voters", "Voters on the roll"},
		    {"tokens_issued", "Tokens issued"},
		    {"ballots_cast", "Ballots on the board"},
		    {"counted", "Ballots counted"},
		    {"invalid", "Invalid ballots"}};

		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			html_puts(&b, "<tr><th>");
			html_puts(&b, rows[i][1]);
			html_puts(&b, "</th><td>");
			html_int(&b, json_integer_value(
			                 json_object_get(t, rows[i][0])));
			html_puts(&b, "</td></tr>\n");
		}
	}
	html_puts(&b, "</table>\n<table>\n<thead><tr><th>Class</th><th>Weight"
	              "</th><th>Voters</th><th>Tokens issued</th><th>Ballots "
	              "cast</th><th>Counted</th></tr></thead>\n<tbody>\n");
	json_array_foreach(json_object_get(t, "by_class"), i, v)
	{
		html_puts(&b, "<tr><td>");
		html_text(&b, json_string_value(json_object_get(v, "id")));
		html_puts(&b, "</td><td>");
		html_int(&b, json_integer_value(json_object_get(v, "weight")));
		html_puts(&b, "</td><td>");
		html_int(&b, json_integer_value(json_object_get(v, "voters")));
		html_puts(&b, "</td><td>");
		html_int(&b, json_integer_value(
		                 json_object_get(v, "tokens_issued")));
		html_puts(&b, "</td><td>");
		html_int(&b, json_integer_value(json_object_get(v, "cast")));
		html_puts(&b, "</td><td>");
		html_int(&b, json_integer_value(json_object_get(v, "counted")));
		html_puts(&b, "</td></tr>\n");
	}
	html_puts(&b, "</tbody></table>\n");
	for (i = 0; i < nparts; i++) {
		html_puts(&b, "<section class=\"contest\" id=\"contest-");
		html_text(&b, parts[i].id);
		html_puts(&b, "\">\n<p>Contest <code>");
		html_text(&b, parts[i].id);
		html_puts(&b, "</code> (<code>contests/");
		html_text(&b, parts[i].id);
		html_puts(&b, ".json</code>)</p>\n");
		if (parts[i].rules[0] != '\0') {
			html_puts(&b, "<p class=\"rules\"><strong>The rule:"
			              "</strong> ");
			html_text(&b, parts[i].rules);
			html_puts(&b, "</p>\n");
		}
		body = html_between(parts[i].page, "<body>", "</body>", &blen);
		if (body != NULL)
			proto_buf_raw(&b, body, blen);
		html_puts(&b, "</section>\n");
	}
	html_puts(&b, "<h2>Invalid ballots</h2>\n");
	json_array_foreach(ballots, i, v)
	{
		if (json_is_true(json_object_get(v, "valid")))
			continue;
		if (ninvalid++ == 0)
			html_puts(&b, "<table>\n<thead><tr><th>Leaf</th><th>"
			              "Class</th><th>Reason</th></tr></thead>\n"
			              "<tbody>\n");
		html_puts(&b, "<tr><td>");
		html_int(&b,
		         json_integer_value(json_object_get(v, "leaf_index")));
		html_puts(&b, "</td><td>");
		html_text(&b, json_string_value(json_object_get(v, "class")));
		html_puts(&b, "</td><td>");
		html_text(&b, json_string_value(json_object_get(v, "reason")));
		html_puts(&b, "</td></tr>\n");
	}
	html_puts(&b, ninvalid ? "</tbody></table>\n" : "<p>None.</p>\n");
	html_puts(&b,
	          "<h2>Checking this record</h2>\n<p>Everything here can be "
	          "checked without trusting the server or the organiser: "
	          "<code>verifier check .</code> in the record's directory "
	          "(or on its tarball) checks every signature, the board's "
	          "tree heads and their consistency, the released shares "
	          "and the rebuilt election key, every decryption and "
	          "verdict, and recounts every contest from "
	          "<code>contests/*.blt</code>. A voter checks their "
	          "receipt with <code>verifier check . --receipt "
	          "RECEIPT.json</code>. Each count alone: <code>verifier "
	          "count</code> with the options in <code>README.txt</code>."
	          "</p>\n</body>\n</html>\n");
	proto_buf_raw(&b, "", 1);
	if (b.failed) {
		proto_buf_free(&b);
		return -1;
	}
	/* Not a secret: hand the buffer over instead of copying. */
	*out = (char *)b.p;
	return 0;
}
