/*
 * app.c: what the request handlers share: store errors as API errors,
 * the per-thread caches of parsed definitions and class keys, and JSON
 * helpers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app_int.h"
#include "bcrypto.h"
#include "encode.h"
#include "http.h"
#include "log.h"

void bd_result_set(struct bd_result *res, int status, const char *code,
                   const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	res->code = code;
	va_start(ap, fmt);
	vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
	va_end(ap);
}

void bd_reply_result(struct bd_req *req, const struct bd_result *res)
{
	bd_reply_error(req, res->status ? res->status : 500,
	               res->code ? res->code : "internal", "%s", res->msg);
}

void bd_result_store(struct bd_result *res, store_status st,
                     const store_error *err, const char *what)
{
	const char *m = err != NULL && err->msg[0] ? err->msg : "";

	switch (st) {
	case STORE_OK:
		res->status = 0;
		res->code = NULL;
		res->msg[0] = '\0';
		return;
	case STORE_NOT_FOUND:
		bd_result_set(res, 404, "not_found", "%s: not found", what);
		return;
	case STORE_WRONG_STATE:
		bd_result_set(res, 409, "wrong_state", "%s: %s", what, m);
		return;
	case STORE_EXISTS:
		bd_result_set(res, 409, "exists", "%s: %s", what, m);
		return;
	case STORE_CONFLICT:
		bd_result_set(res, 409, "conflict", "%s: %s", what, m);
		return;
	case STORE_TOKEN_USED:
		bd_result_set(res, 409, "token_used",
		              "%s: this token has a ballot and the poll does "
		              "not allow revoting",
		              what);
		return;
	case STORE_TOKEN_ISSUED:
		bd_result_set(res, 409, "token_already_issued",
		              "%s: a token was already issued to this voter "
		              "for a different blinded message",
		              what);
		return;
	case STORE_INVALID:
		bd_result_set(res, 400, "bad_request", "%s: %s", what, m);
		return;
	case STORE_UNAVAILABLE:
		bd_result_set(res, 503, "unavailable",
		              "the server is shutting down or busy; try again");
		return;
	default:
		/* A fault of ours or of the disk: the details go to the log
		 * only (they may name files). */
		bd_log_err("store: %s: %s: %s", what, store_status_name(st), m);
		bd_result_set(res, 500, "internal",
		              "the store failed (%s); the error is logged",
		              store_status_name(st));
		return;
	}
}

void bd_reply_store_error(struct bd_req *req, store_status st,
                          const store_error *err, const char *what)
{
	struct bd_result res;

	bd_result_store(&res, st, err, what);
	bd_reply_result(req, &res);
}

void bd_reply_proto_error(struct bd_req *req, proto_status st,
                          const proto_err *err)
{
	switch (st) {
	case PROTO_ERR_SYNTAX:
	case PROTO_ERR_SHAPE:
		bd_reply_error(req, 400, "bad_json", "%s", err->msg);
		break;
	case PROTO_ERR_VALUE:
		bd_reply_error(req, 400, "bad_request", "%s", err->msg);
		break;
	default:
		bd_reply_error(req, 503, "unavailable", "out of memory");
		break;
	}
}

int64_t bd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct bd_tctx *bd_tctx_new(struct bd_app *app)
{
	struct bd_tctx *tc;
	store_error err;
	store_status st;

	if ((tc = calloc(1, sizeof(*tc))) == NULL) {
		bd_log_err("out of memory for a thread context");
		return NULL;
	}
	tc->t.app = app;
	if ((st = store_reader_open(app->store, &tc->t.rd, &err)) != STORE_OK) {
		bd_log_err("store reader: %s", err.msg);
		free(tc);
		return NULL;
	}
	return tc;
}

static void bd_key_ent_clear(struct bd_key_ent *e)
{
	free(e->class_id);
	bc_brsa_key_free(e->sk); /* wipes */
	bc_brsa_key_free(e->pk);
	memset(e, 0, sizeof(*e));
}

void bd_tctx_free(struct bd_tctx *tc)
{
	size_t i;

	if (tc == NULL)
		return;
	for (i = 0; i < tc->npolls; i++)
		proto_poll_free(tc->polls[i].def);
	for (i = 0; i < tc->nkeys; i++)
		bd_key_ent_clear(&tc->keys[i]);
	store_reader_close(tc->t.rd);
	free(tc);
}

int bd_poll_load(struct bd_tctx *tc, const char *id, store_poll *sp,
                 const proto_poll **def, struct bd_result *res)
{
	struct bd_poll_ent *e;
	proto_poll *p;
	proto_err perr;
	store_error err;
	store_status st;
	size_t i;

	memset(sp, 0, sizeof(*sp));
	if ((st = store_poll_get(tc->t.rd, id, sp, &err)) != STORE_OK) {
		char what[STORE_POLL_ID_MAX + 16];

		snprintf(what, sizeof(what), "poll '%s'", id);
		bd_result_store(res, st, &err, what);
		memset(sp, 0, sizeof(*sp));
		return -1;
	}
	for (i = 0; i < tc->npolls; i++) {
		e = &tc->polls[i];
		if (strcmp(e->id, sp->id) == 0 &&
		    memcmp(e->poll_hash, sp->poll_hash, STORE_HASH_LEN) == 0) {
			*def = e->def;
			return 0;
		}
	}
	if (proto_poll_parse((const char *)sp->definition, sp->definition_len,
	                     &p, &perr) != PROTO_OK) {
		/* We accepted these bytes once: the file or proto changed. */
		bd_log_err("poll '%s': the stored definition does not parse: "
		           "%s",
		           id, perr.msg);
		bd_result_set(res, 500, "internal",
		              "poll '%s': the stored definition does not parse",
		              id);
		store_poll_clear(sp);
		return -1;
	}
	if (tc->npolls < BD_CACHE_POLLS)
		e = &tc->polls[tc->npolls++];
	else {
		e = &tc->polls[tc->poll_next];
		tc->poll_next = (tc->poll_next + 1) % BD_CACHE_POLLS;
		proto_poll_free(e->def);
	}
	snprintf(e->id, sizeof(e->id), "%s", sp->id);
	memcpy(e->poll_hash, sp->poll_hash, STORE_HASH_LEN);
	e->def = p;
	*def = p;
	return 0;
}

struct bd_class_read {
	int want_private;
	int found, has_key;
	bc_brsa_key *sk, *pk;
	uint8_t pub_hash[STORE_HASH_LEN];
	bc_status bst;
};

static int bd_class_read_fn(void *arg, const store_class *c)
{
	struct bd_class_read *cr = arg;

	cr->found = 1;
	if (c->pub_der == NULL || c->key_der == NULL)
		return 1;
	cr->has_key = 1;
	proto_sha256(c->pub_der, c->pub_len, cr->pub_hash);
	cr->bst = bc_brsa_key_from_spki_der(c->pub_der, c->pub_len, &cr->pk);
	if (cr->bst == BC_OK && cr->want_private)
		cr->bst =
		    bc_brsa_key_from_pkcs8_der(c->key_der, c->key_len, &cr->sk);
	return 1;
}

int bd_class_key(struct bd_tctx *tc, const store_poll *sp, const char *class_id,
                 int want_private, const struct bd_key_ent **out,
                 struct bd_result *res)
{
	struct bd_class_read cr;
	struct bd_key_ent *e;
	store_error err;
	store_status st;
	char *copy;
	size_t i;

	for (i = 0; i < tc->nkeys; i++) {
		e = &tc->keys[i];
		if (memcmp(e->poll_hash, sp->poll_hash, STORE_HASH_LEN) == 0 &&
		    strcmp(e->class_id, class_id) == 0 &&
		    (!want_private || e->sk != NULL)) {
			*out = e;
			return 0;
		}
	}
	memset(&cr, 0, sizeof(cr));
	cr.want_private = want_private;
	st = store_class_get(tc->t.rd, sp->id, class_id, bd_class_read_fn, &cr,
	                     &err);
	if (st == STORE_NOT_FOUND || (st == STORE_OK && !cr.found)) {
		bd_result_set(res, 400, "bad_request",
		              "class: \"%.80s\" is not a class of poll '%s'",
		              class_id, sp->id);
		return -1;
	}
	if (st != STORE_OK) {
		bd_result_store(res, st, &err, "class");
		return -1;
	}
	if (!cr.has_key) {
		bd_result_set(res, 409, "wrong_state",
		              "class \"%.80s\" has no token key yet: the "
		              "organiser has not started the ceremony",
		              class_id);
		return -1;
	}
	if (cr.bst != BC_OK) {
		bc_brsa_key_free(cr.sk);
		bc_brsa_key_free(cr.pk);
		bd_log_err("poll '%s' class '%s': the stored token key does "
		           "not load (%s)",
		           sp->id, class_id, bc_status_name(cr.bst));
		bd_result_set(res, 500, "internal",
		              "the token key of class \"%.80s\" does not load",
		              class_id);
		return -1;
	}
	if ((copy = strdup(class_id)) == NULL) {
		bc_brsa_key_free(cr.sk);
		bc_brsa_key_free(cr.pk);
		bd_result_set(res, 503, "unavailable", "out of memory");
		return -1;
	}
	/* Replace a public-only entry of the same class, else the oldest. */
	e = NULL;
	for (i = 0; i < tc->nkeys; i++)
		if (memcmp(tc->keys[i].poll_hash, sp->poll_hash,
		           STORE_HASH_LEN) == 0 &&
		    strcmp(tc->keys[i].class_id, class_id) == 0)
			e = &tc->keys[i];
	if (e == NULL && tc->nkeys < BD_CACHE_KEYS)
		e = &tc->keys[tc->nkeys++];
	else if (e == NULL) {
		e = &tc->keys[tc->key_next];
		tc->key_next = (tc->key_next + 1) % BD_CACHE_KEYS;
	}
	if (e->class_id != NULL)
		bd_key_ent_clear(e);
	e->class_id = copy;
	memcpy(e->poll_hash, sp->poll_hash, STORE_HASH_LEN);
	memcpy(e->pub_hash, cr.pub_hash, STORE_HASH_LEN);
	e->sk = cr.sk;
	e->pk = cr.pk;
	*out = e;
	return 0;
}

json_t *bd_json_hex(const uint8_t *p, size_t n)
{
	char *s;
	json_t *v;

	if ((s = malloc(BC_HEX_LEN(n) + 1)) == NULL)
		return NULL;
	if (bc_hex_encode(p, n, s, BC_HEX_LEN(n) + 1, NULL) != BC_OK) {
		free(s);
		return NULL;
	}
	v = json_string(s);
	free(s);
	return v;
}

json_t *bd_json_b64url(const uint8_t *p, size_t n)
{
	char *s;
	json_t *v;

	if ((s = malloc(BC_B64URL_LEN(n) + 1)) == NULL)
		return NULL;
	if (bc_b64url_encode(p, n, s, BC_B64URL_LEN(n) + 1, NULL) != BC_OK) {
		free(s);
		return NULL;
	}
	v = json_string(s);
	free(s);
	return v;
}

json_t *bd_json_sth(const store_sth *sth)
{
	proto_sth ps;

	ps.tree_size = sth->tree_size;
	memcpy(ps.root, sth->root, sizeof(ps.root));
	ps.timestamp_ms = sth->timestamp_ms;
	memcpy(ps.poll_hash, sth->poll_hash, sizeof(ps.poll_hash));
	memcpy(ps.signature, sth->signature, sizeof(ps.signature));
	return proto_sth_encode(&ps);
}

json_t *bd_json_time(int64_t ms)
{
	char buf[25];

	if (ms < 0)
		return json_null();
	proto_time_format(ms, buf);
	return json_string(buf);
}
