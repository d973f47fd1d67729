/*
 * h_record.c: the published election record (docs/record.md) and the
 * list of signed tree heads it needs (api.md, "The record"):
 *
 *   GET  /polls/{id}/board/sths?start=&end=  every signed head, by size
 *   POST /polls/{id}/record                  the organiser's tarball;
 *                                            the poll becomes published
 *   GET  /polls/{id}/record.tar              the tarball, byte for byte
 *
 * The server does not check the record's contents: anyone can, with
 * `verifier check`, and a wrong record is the organiser's, signed into
 * the chain by the "published" state record's hash of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"
#include "handlers.h"
#include "http.h"
#include "ustar.h"

#define BD_STH_PAGE 1000 /* heads per request */

/* ?name= as a whole number 0..2^53-1 (def if absent); -1 answered. */
static int rec_query(struct bd_req *req, const char *name, uint64_t def,
                     uint64_t *out)
{
	const char *s = bd_req_query(req, name);
	unsigned long long v;
	char *end;

	if (s == NULL) {
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 ||
	    (s[0] == '0' && s[1] != '\0') ||
	    v > (unsigned long long)PROTO_JSON_INT_MAX) {
		bd_reply_error(req, 400, "bad_request",
		               "%s: expected a whole number from 0 to 2^53-1, "
		               "found \"%.20s\"",
		               name, s);
		return -1;
	}
	*out = v;
	return 0;
}

struct rec_sths {
	json_t *a;
	size_t n;
};

static int rec_sth_fn(void *arg, const store_sth *sth)
{
	struct rec_sths *r = arg;

	json_array_append_new(r->a, bd_json_sth(sth));
	return ++r->n == BD_STH_PAGE;
}

void bd_h_board_sths(struct bd_req *req)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	struct rec_sths r = {NULL, 0};
	struct bd_result res;
	const proto_poll *def;
	uint64_t start, end;
	store_poll sp;
	store_error err;
	store_status st;

	if (rec_query(req, "start", 0, &start) == -1 ||
	    rec_query(req, "end", (uint64_t)PROTO_JSON_INT_MAX + 1, &end) == -1)
		return;
	if (end < start) {
		bd_reply_error(
		    req, 400, "bad_request", "end: %llu is before start %llu",
		    (unsigned long long)end, (unsigned long long)start);
		return;
	}
	if (bd_poll_load(tc, bd_req_param(req, "id"), &sp, &def, &res) == -1) {
		bd_reply_result(req, &res);
		return;
	}
	if ((r.a = json_array()) == NULL) {
		bd_reply_error(req, 503, "unavailable", "out of memory");
		goto out;
	}
	st = store_sths(tc->t.rd, sp.id, start, end, rec_sth_fn, &r, &err);
	if (st != STORE_OK) {
		json_decref(r.a);
		bd_reply_store_error(req, st, &err, "tree heads");
		goto out;
	}
	bd_reply_json(req, 200, json_pack("{s:o}", "sths", r.a));
out:
	store_poll_clear(&sp);
}

void bd_h_record_post(struct bd_req *req)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	const char *id = bd_req_param(req, "id");
	const uint8_t *tar;
	uint8_t hash[STORE_HASH_LEN];
	char hex[2 * STORE_HASH_LEN + 1], state[16] = "", what[96];
	struct bd_result res;
	const proto_poll *def;
	store_state_new rec;
	store_poll sp;
	store_error err;
	store_status st;
	json_t *d;
	char *text;
	size_t len, tlen, idlen = strlen(id);

	tar = bd_req_body(req, &len);
	snprintf(what, sizeof(what), "poll '%s'", id);
	if (bd_poll_load(tc, id, &sp, &def, &res) == -1) {
		bd_reply_result(req, &res);
		return;
	}
	store_poll_clear(&sp);
	/* Only the shape: a ustar archive whose first member is in the
	 * poll's folder (the contents are for verifier check). */
	if (len < 1024 || len % 512 != 0 ||
	    memcmp(tar + 257, "ustar", 6) != 0 || idlen >= 100 ||
	    memcmp(tar, id, idlen) != 0 || tar[idlen] != '/') {
		bd_reply_error(req, 400, "bad_request",
		               "body: not the record tarball of poll '%s' (a "
		               "ustar archive of %s/...)",
		               id, id);
		return;
	}
	st = store_record_put(tc->t.app->store, id, tar, len, state, &err);
	if (st != STORE_OK) {
		bd_reply_store_error(req, st, &err, what);
		return;
	}
	proto_sha256(tar, len, hash);
	for (size_t i = 0; i < STORE_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", hash[i]);
	d = json_pack("{s:s, s:I}", "record_sha256", hex, "size",
	              (json_int_t)len);
	text = d != NULL ? proto_json_text(d, &tlen) : NULL;
	json_decref(d);
	if (text == NULL) {
		bd_reply_error(req, 503, "unavailable", "out of memory");
		return;
	}
	memset(&rec, 0, sizeof(rec));
	rec.kind = "published";
	rec.time_ms = (uint64_t)bd_now_ms();
	rec.details = (const uint8_t *)text;
	rec.details_len = tlen;
	rec.expect_state = state;
	rec.new_state = STORE_STATE_PUBLISHED;
	rec.expect_tree_size = -1;
	st = store_state_append(tc->t.app->store, id, &rec, NULL, NULL, &err);
	free(text);
	if (st != STORE_OK) {
		bd_reply_store_error(req, st, &err, what);
		return;
	}
	bd_reply_json(req, 200,
	              json_pack("{s:s, s:s, s:I}", "state",
	                        STORE_STATE_PUBLISHED, "record_sha256", hex,
	                        "size", (json_int_t)len));
}

void bd_h_record_get(struct bd_req *req)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	struct bd_result res;
	const proto_poll *def;
	store_poll sp;
	store_error err;
	store_status st;
	uint8_t *tar;
	size_t len;

	if (bd_poll_load(tc, bd_req_param(req, "id"), &sp, &def, &res) == -1) {
		bd_reply_result(req, &res);
		return;
	}
	if (strcmp(sp.state, STORE_STATE_PUBLISHED) != 0) {
		bd_reply_error(req, 404, "not_found",
		               "poll '%s' is %s: its record is not published",
		               sp.id, sp.state);
		store_poll_clear(&sp);
		return;
	}
	st = store_record_get(tc->t.rd, sp.id, &tar, &len, &err);
	if (st != STORE_OK)
		bd_reply_store_error(req, st, &err, "record");
	else
		bd_reply_raw(req, 200, "application/x-tar", (char *)tar, len);
	store_poll_clear(&sp);
}

/* The Content-Type of a record member the server shows, or NULL. */
static const char *rec_member_type(const char *name, const char **csp)
{
	static const struct {
		const char *ext, *ctype;
	} types[] = {
	    {".json", "application/json"},
	    {".txt", "text/plain; charset=utf-8"},
	    {".blt", "text/plain; charset=utf-8"},
	    {".categories", "text/plain; charset=utf-8"},
	    {".html", "text/html; charset=utf-8"},
	};
	size_t n = strlen(name), i;

	*csp = NULL;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);

		if (n > e && strcmp(name + n - e, types[i].ext) == 0) {
			/* report.html is self-contained: its own styles and
			 * nothing else. */
			if (strcmp(types[i].ext, ".html") == 0)
				*csp = "default-src 'none'; style-src "
				       "'unsafe-inline'; img-src data:; "
				       "base-uri 'none'; form-action 'none'; "
				       "frame-ancestors 'none'";
			return types[i].ctype;
		}
	}
	return NULL;
}

/* Answers with the member name of the poll's published record. */
static void rec_member(struct bd_req *req, const char *name)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	struct bd_result res;
	const proto_poll *def;
	const char *ctype, *csp;
	store_poll sp;
	store_error err;
	store_status st;
	uint8_t *tar;
	size_t len, off, size;
	char *out;

	if (bd_poll_load(tc, bd_req_param(req, "id"), &sp, &def, &res) == -1) {
		bd_reply_result(req, &res);
		return;
	}
	if (strcmp(sp.state, STORE_STATE_PUBLISHED) != 0) {
		bd_reply_error(req, 404, "not_found",
		               "poll '%s' is %s: its record is not published",
		               sp.id, sp.state);
		store_poll_clear(&sp);
		return;
	}
	if ((ctype = rec_member_type(name, &csp)) == NULL) {
		bd_reply_error(req, 404, "not_found",
		               "record of poll '%s': %s is not a file the "
		               "server shows (GET record.tar has them all)",
		               sp.id, name);
		store_poll_clear(&sp);
		return;
	}
	st = store_record_get(tc->t.rd, sp.id, &tar, &len, &err);
	if (st != STORE_OK) {
		bd_reply_store_error(req, st, &err, "record");
	} else if (bd_ustar_find(tar, len, sp.id, name, &off, &size) == -1) {
		bd_reply_error(req, 404, "not_found",
		               "record of poll '%s': no file %s", sp.id, name);
		free(tar);
	} else {
		/* The member's bytes, moved to the front of the buffer. */
		memmove(tar, tar + off, size);
		out = (char *)tar;
		if (csp != NULL)
			bd_req_set_page(req, csp);
		bd_reply_raw(req, 200, ctype, out, size);
	}
	store_poll_clear(&sp);
}

void bd_h_results(struct bd_req *req)
{
	rec_member(req, "results.json");
}

void bd_h_record_member(struct bd_req *req)
{
	const char *name = bd_req_param(req, "name");
	char path[160];

	/* The two routes: record/{name} and record/contests/{name}. */
	if (strstr(bd_req_route(req)->pattern, "/contests/") != NULL) {
		snprintf(path, sizeof(path), "contests/%s", name);
		rec_member(req, path);
	} else
		rec_member(req, name);
}
