/*
 * h_org.c: the organiser's routes (api.md, "Organiser"): create a poll,
 * import the roll, start the ceremony (classes fixed, token keys made),
 * open, close, schedule; and the test-only route that sets an election
 * key without trustees.
 *
 * Every change of state, and every organiser action the record must
 * show, is a state record (protocol.md section 9) appended by the store
 * in the same transaction as the state change.  A refused request
 * changes nothing: every check runs before the first write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"
#include "bcrypto.h"
#include "encode.h"
#include "handlers.h"
#include "hpke.h"
#include "http.h"
#include "log.h"
#include "sign.h"

/* Appends a state record whose details are the JSON object d (stolen). */
static store_status bd_append_state(store *s, const char *poll,
                                    const char *kind, json_t *d,
                                    const char *expect, const char *to,
                                    int64_t expect_tree_size, store_error *err)
{
	store_state_new rec;
	store_status st;
	size_t len;
	char *text;

	text = d != NULL ? proto_json_text(d, &len) : NULL;
	json_decref(d);
	if (text == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return STORE_NOMEM;
	}
	memset(&rec, 0, sizeof(rec));
	rec.kind = kind;
	rec.time_ms = (uint64_t)bd_now_ms();
	rec.details = (const uint8_t *)text;
	rec.details_len = len;
	rec.expect_state = expect;
	rec.new_state = to;
	rec.expect_tree_size = expect_tree_size;
	st = store_state_append(s, poll, &rec, NULL, NULL, err);
	free(text);
	return st;
}

/* ---------------------------------------------------------------- */
/* POST /polls */

void bd_h_poll_create(struct bd_req *req)
{
	struct bd_app *app = bd_app_of(req);
	const uint8_t *body;
	store_poll_new np;
	proto_poll *p = NULL;
	proto_err perr;
	store_error err;
	store_status st;
	proto_status ps;
	size_t len;
	char what[STORE_POLL_ID_MAX + 16];

	body = bd_req_body(req, &len);
	/* Hashed and stored exactly as received (protocol.md section 3). */
	if ((ps = proto_poll_parse((const char *)body, len, &p, &perr)) !=
	    PROTO_OK) {
		bd_reply_proto_error(req, ps, &perr);
		return;
	}
	memset(&np, 0, sizeof(np));
	np.id = p->id;
	memcpy(np.poll_hash, p->poll_hash, STORE_HASH_LEN);
	np.definition = p->bytes;
	np.definition_len = p->nbytes;
	np.created_ms = (uint64_t)bd_now_ms();
	np.opens_ms = p->opens_ms;
	np.closes_ms = p->closes_ms;
	{
		uint8_t pk[BC_ED25519_PK_LEN];

		if (bc_ed25519_keygen(np.board_sk, pk) != BC_OK) {
			proto_poll_free(p);
			bd_reply_error(req, 500, "internal",
			               "cannot make the board key");
			return;
		}
	}
	st = store_poll_create(app->store, &np, &err);
	bc_wipe(np.board_sk, sizeof(np.board_sk));
	snprintf(what, sizeof(what), "poll '%s'", p->id);
	if (st == STORE_EXISTS) {
		bd_reply_error(req, 409, "exists",
		               "poll '%s' exists already (a poll id and a "
		               "definition are used once)",
		               p->id);
	} else if (st != STORE_OK) {
		bd_reply_store_error(req, st, &err, what);
	} else {
		char hex[BC_HEX_LEN(STORE_HASH_LEN) + 1];

		if (bc_hex_encode(p->poll_hash, STORE_HASH_LEN, hex,
		                  sizeof(hex), NULL) != BC_OK)
			hex[0] = '\0';
		bd_log_info("poll '%s' created (poll_hash %s)", p->id, hex);
		bd_reply_json(req, 201,
		              json_pack("{s:s, s:s, s:s}", "id", p->id,
		                        "poll_hash", hex, "state",
		                        STORE_STATE_DRAFT));
	}
	proto_poll_free(p);
}

/* ---------------------------------------------------------------- */
/* POST /polls/{id}/roll */

/* Appends one CSV field, quoted when it needs to be (RFC 4180). */
static void bd_csv_field(proto_buf *b, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n") != NULL) {
		proto_buf_raw(b, "\"", 1);
		for (; *s != '\0'; s++) {
			if (*s == '"')
				proto_buf_raw(b, "\"", 1);
			proto_buf_raw(b, s, 1);
		}
		proto_buf_raw(b, "\"", 1);
	} else
		proto_buf_raw(b, s, strlen(s));
	proto_buf_raw(b, last ? "\r\n" : ",", last ? 2 : 1);
}

static json_t *bd_roll_details(const proto_roll *r)
{
	json_t *d, *cl;
	size_t i;

	d = json_object();
	cl = json_array();
	for (i = 0; i < r->nclasses; i++)
		json_array_append_new(
		    cl, json_pack("{s:s, s:I}", "id", r->classes[i].id,
		                  "voters", (json_int_t)r->classes[i].count));
	json_object_set_new(d, "voters", json_integer((json_int_t)r->nvoters));
	json_object_set_new(d, "classes", cl);
	return d;
}

void bd_h_roll_import(struct bd_req *req)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	const char *id = bd_req_param(req, "id");
	const proto_poll *def;
	struct bd_result res;
	store_voter_new *sv = NULL;
	proto_roll *roll = NULL;
	proto_buf out = {0};
	const uint8_t *body;
	store_poll sp;
	proto_err perr;
	proto_status ps;
	store_error err;
	store_status st;
	size_t len, i, nsmall, small[8];
	char what[STORE_POLL_ID_MAX + 16];

	snprintf(what, sizeof(what), "poll '%s'", id);
	if (bd_poll_load(tc, id, &sp, &def, &res) == -1) {
		bd_reply_result(req, &res);
		return;
	}
	if (strcmp(sp.state, STORE_STATE_DRAFT) != 0) {
		bd_reply_error(req, 409, "wrong_state",
		               "poll '%s' is %s: the roll can only be imported "
		               "while the poll is a draft",
		               id, sp.state);
		goto out;
	}
	body = bd_req_body(req, &len);
	if ((ps = proto_roll_parse(def, (const char *)body, len, &roll,
	                           &perr)) != PROTO_OK) {
		/* A roll is CSV: every refusal is a bad value of the file. */
		if (ps == PROTO_ERR_NOMEM)
			bd_reply_error(req, 503, "unavailable",
			               "out of memory");
		else
			bd_reply_error(req, 400, "bad_request", "roll: %s",
			               perr.msg);
		goto out;
	}
	if (roll->nvoters == 0) {
		bd_reply_error(req, 400, "bad_request",
		               "roll: no voters (only a header line)");
		goto out;
	}
	if ((sv = calloc(roll->nvoters, sizeof(*sv))) == NULL) {
		bd_reply_error(req, 503, "unavailable", "out of memory");
		goto out;
	}
	proto_buf_raw(&out, "voter_id,email,name,class,credential\r\n", 38);
	for (i = 0; i < roll->nvoters; i++) {
		const proto_voter *v = &roll->voters[i];
		char cred[PROTO_CREDENTIAL_MAX + 1];
		uint8_t s[PROTO_SECRET_LEN];

		if (bc_random(s, sizeof(s)) != BC_OK ||
		    proto_credential_hash(sp.poll_hash, v->voter_id, s,
		                          sv[i].cred_hash) != PROTO_OK) {
			bc_wipe(s, sizeof(s));
			bd_reply_error(req, 500, "internal",
			               "cannot make a credential");
			goto out;
		}
		proto_credential_format(v->voter_id, s, cred);
		bc_wipe(s, sizeof(s));
		sv[i].voter_id = v->voter_id;
		sv[i].email = v->email[0] ? v->email : NULL;
		sv[i].name = v->name[0] ? v->name : NULL;
		sv[i].class_id = roll->classes[v->class_index].id;
		bd_csv_field(&out, v->voter_id, 0);
		bd_csv_field(&out, v->email, 0);
		bd_csv_field(&out, v->name, 0);
		bd_csv_field(&out, roll->classes[v->class_index].id, 0);
		bd_csv_field(&out, cred, 1);
		bc_wipe(cred, sizeof(cred));
	}
	if (out.failed) {
		bd_reply_error(req, 503, "unavailable", "out of memory");
		goto out;
	}
	if ((st = store_roll_import(tc->t.app->store, id, sv, roll->nvoters,
	                            &err)) != STORE_OK) {
		bd_reply_store_error(req, st, &err, what);
		goto out;
	}
	/* The record shows the roll's shape, never a voter. */
	st =
	    bd_append_state(tc->t.app->store, id, "roll", bd_roll_details(roll),
	                    STORE_STATE_DRAFT, NULL, -1, &err);
	if (st != STORE_OK)
		bd_log_warn("poll '%s': the roll was imported but its state "
		            "record was not written: %s",
		            id, err.msg);
	nsmall = proto_roll_small_classes(roll, def, small, 8);
	for (i = 0; i < nsmall && i < 8; i++)
		bd_log_warn("poll '%s': class %s has %zu voters, fewer than "
		            "min_class_size %u",
		            id, roll->classes[small[i]].id,
		            roll->classes[small[i]].count,
		            (unsigned)def->min_class_size);
	bd_log_info("poll '%s': roll of %zu voters in %zu classes imported", id,
	            roll->nvoters, roll->nclasses);
	/* The reply takes the buffer: the credentials leave it once, and
	 * it is wiped after. */
	bd_req_wipe_answer(req);
	bd_reply_raw(req, 200, "text/csv; charset=utf-8", (char *)out.p,
	             out.len);
	out.p = NULL;
	out.len = out.cap = 0;
out:
	proto_buf_free(&out); /* wipes what was not sent */
	free(sv);
	proto_roll_free(roll);
	store_poll_clear(&sp);
}

/* ---------------------------------------------------------------- */
/* POST /polls/{id}/ceremony */

struct bd_cls {
	char *id;
	uint64_t voters;
	int has_key;
	uint8_t pub_hash[STORE_HASH_LEN];
};

struct bd_cls_list {
	struct bd_cls *v;
	size_t n, cap;
	int failed;
};

static int bd_cls_fn(void *arg, const store_class *c)
{
	struct bd_cls_list *l = arg;
	struct bd_cls *e;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct bd_cls *nv = realloc(l->v, cap * sizeof(*nv));

		if (nv == NULL) {
			l->failed = 1;
			return 1;
		}
		l->v = nv;
		l->cap = cap;
	}
	e = &l->v[l->n];
	memset(e, 0, sizeof(*e));
	if ((e->id = strdup(c->class_id)) == NULL) {
		l->failed = 1;
		return 1;
	}
	e->voters = c->voters;
	if (c->pub_der != NULL) {
		e->has_key = 1;
		proto_sha256(c->pub_der, c->pub_len, e->pub_hash);
	}
	l->n++;
	return 0;
}

static void bd_cls_free(struct bd_cls_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].id);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static store_status bd_cls_read(store_reader *rd, const char *id,
                                struct bd_cls_list *l, store_error *err)
{
	store_status st;

	memset(l, 0, sizeof(*l));
	st = store_classes(rd, id, bd_cls_fn, l, err);
	if (st == STORE_OK && l->failed) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		st = STORE_NOMEM;
	}
	return st;
}

/* Makes and stores one class's token key.  OUT: pub_hash. */
static int bd_make_class_key(store *s, const char *poll, const char *cls,
                             uint8_t pub_hash[STORE_HASH_LEN],
                             struct bd_result *res)
{
	uint8_t der[4096], pub[1024];
	size_t dlen = 0, plen = 0;
	bc_brsa_key *k = NULL;
	store_error err;
	store_status st;
	int rc = -1;

	if (bc_brsa_keygen(BD_TOKEN_KEY_BITS, &k) != BC_OK ||
	    bc_brsa_key_to_pkcs8_der(k, der, sizeof(der), &dlen) != BC_OK ||
	    bc_brsa_key_to_spki_der(k, pub, sizeof(pub), &plen) != BC_OK) {
		bd_result_set(res, 500, "internal",
		              "cannot make the token key of class %s", cls);
		goto out;
	}
	st = store_class_set_key(s, poll, cls, der, dlen, pub, plen, &err);
	if (st != STORE_OK) {
		char what[256];

		snprintf(what, sizeof(what), "class %.200s", cls);
		bd_result_store(res, st, &err, what);
		goto out;
	}
	proto_sha256(pub, plen, pub_hash);
	rc = 0;
out:
	bc_wipe(der, sizeof(der));
	bc_brsa_key_free(k);
	return rc;
}

void bd_h_poll_ceremony(struct bd_req *req)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	store *s = tc->t.app->store;
	const char *id = bd_req_param(req, "id");
	json_t *body = bd_req_json(req), *m, *cl, *d;
	const char *key;
	const proto_poll *def;
	struct bd_cls_list l = {0};
	struct bd_result res;
	store_poll sp;
	store_error err;
	store_status st;
	int allow_small = 0;
	size_t i, nsmall = 0;
	char what[STORE_POLL_ID_MAX + 16];

	/* The body: {} or {"allow_small_classes": bool}. */
	json_object_foreach(body, key, m)
	{
		if (strcmp(key, "allow_small_classes") != 0) {
			bd_reply_error(req, 400, "bad_json",
			               "%.64s: unknown member (expected only "
			               "allow_small_classes)",
			               key);
			return;
		}
		if (!json_is_boolean(m)) {
			bd_reply_error(req, 400, "bad_json",
			               "allow_small_classes: expected true or "
			               "false");
			return;
		}
		allow_small = json_is_true(m);
	}
	snprintf(what, sizeof(what), "poll '%s'", id);
	if (bd_poll_load(tc, id, &sp, &def, &res) == -1) {
		bd_reply_result(req, &res);
		return;
	}
	if (strcmp(sp.state, STORE_STATE_DRAFT) != 0) {
		bd_reply_error(req, 409, "wrong_state",
		               "poll '%s' is %s: the ceremony starts from a "
		               "draft",
		               id, sp.state);
		goto out;
	}
	if ((st = bd_cls_read(tc->t.rd, id, &l, &err)) != STORE_OK) {
		bd_reply_store_error(req, st, &err, what);
		goto out;
	}
	if (l.n == 0) {
		bd_reply_error(req, 409, "wrong_state",
		               "poll '%s' has no roll: import the roll first",
		               id);
		goto out;
	}
	for (i = 0; i < l.n; i++)
		if (l.v[i].voters < def->min_class_size)
			nsmall++;
	if (nsmall > 0 && !allow_small) {
		char list[300];
		size_t n = 0;

		list[0] = '\0';
		for (i = 0; i < l.n && n < sizeof(list); i++) {
			if (l.v[i].voters >= def->min_class_size)
				continue;
			n += (size_t)snprintf(
			    list + n, sizeof(list) - n, "%s%.60s (%llu)",
			    n ? ", " : "", l.v[i].id,
			    (unsigned long long)l.v[i].voters);
		}
		bd_reply_error(req, 409, "small_classes",
		               "poll '%s': %zu classes have fewer than "
		               "min_class_size %u voters: %s; send "
		               "{\"allow_small_classes\": true} to go ahead",
		               id, nsmall, (unsigned)def->min_class_size, list);
		goto out;
	}
	/*
	 * Keys made by an earlier attempt that failed later are kept (a
	 * key is never replaced); the rest are made now.  RSA key
	 * generation takes a fraction of a second per class, on this loop:
	 * an organiser action, once per poll.
	 */
	for (i = 0; i < l.n; i++) {
		if (l.v[i].has_key)
			continue;
		if (bd_make_class_key(s, id, l.v[i].id, l.v[i].pub_hash,
		                      &res) == -1) {
			bd_reply_result(req, &res);
			goto out;
		}
		l.v[i].has_key = 1;
	}
	cl = json_array();
	for (i = 0; i < l.n; i++)
		json_array_append_new(
		    cl,
		    json_pack("{s:s, s:I, s:o}", "id", l.v[i].id, "voters",
		              (json_int_t)l.v[i].voters, "token_key_hash",
		              bd_json_hex(l.v[i].pub_hash, STORE_HASH_LEN)));
	d = json_pack("{s:O, s:b}", "classes", cl, "allow_small_classes",
	              allow_small);
	st = bd_append_state(s, id, "ceremony", d, STORE_STATE_DRAFT,
	                     STORE_STATE_CEREMONY, -1, &err);
	if (st == STORE_CONFLICT) {
		json_decref(cl);
		bd_reply_error(req, 409, "wrong_state",
		               "poll '%s' changed state meanwhile: %s", id,
		               err.msg);
		goto out;
	} else if (st != STORE_OK) {
		json_decref(cl);
		bd_reply_store_error(req, st, &err, what);
		goto out;
	}
	bd_log_info("poll '%s': ceremony state, %zu classes%s", id, l.n,
	            nsmall ? " (small classes allowed)" : "");
	bd_reply_json(req, 200,
	              json_pack("{s:s, s:o}", "state", STORE_STATE_CEREMONY,
	                        "classes", cl));
out:
	bd_cls_free(&l);
	store_poll_clear(&sp);
}

/* ---------------------------------------------------------------- */
/* Open and close, shared with the scheduler. */

int bd_poll_open(store *s, store_reader *rd, const char *id,
                 struct bd_result *res)
{
	struct bd_cls_list l = {0};
	json_t *d, *cl;
	store_poll sp;
	store_error err;
	store_status st;
	size_t i;
	int rc = -1;
	char what[STORE_POLL_ID_MAX + 16];

	snprintf(what, sizeof(what), "poll '%s'", id);
	memset(&sp, 0, sizeof(sp));
	if ((st = store_poll_get(rd, id, &sp, &err)) != STORE_OK) {
		bd_result_store(res, st, &err, what);
		return -1;
	}
	if (strcmp(sp.state, STORE_STATE_CEREMONY) != 0) {
		if (strcmp(sp.state, STORE_STATE_DRAFT) == 0)
			bd_result_set(
			    res, 409, "wrong_state",
			    "poll '%s' is a draft: start the ceremony "
			    "first",
			    id);
		else
			bd_result_set(res, 409, "wrong_state",
			              "poll '%s' is %s already", id, sp.state);
		goto out;
	}
	if (sp.election_pk == NULL) {
		bd_result_set(res, 409, "wrong_state",
		              "poll '%s': the trustees' key ceremony is not "
		              "finished (no election key)",
		              id);
		goto out;
	}
	if ((st = bd_cls_read(rd, id, &l, &err)) != STORE_OK) {
		bd_result_store(res, st, &err, what);
		goto out;
	}
	/* protocol.md section 9: Y, the board key, each class's key hash
	 * and voters. */
	cl = json_array();
	for (i = 0; i < l.n; i++) {
		if (!l.v[i].has_key) {
			json_decref(cl);
			bd_result_set(res, 409, "wrong_state",
			              "poll '%s': class %.80s has no token key",
			              id, l.v[i].id);
			goto out;
		}
		json_array_append_new(
		    cl, json_pack("{s:s, s:o, s:I}", "id", l.v[i].id,
		                  "token_key_hash",
		                  bd_json_hex(l.v[i].pub_hash, STORE_HASH_LEN),
		                  "voters", (json_int_t)l.v[i].voters));
	}
	d = json_pack("{s:o, s:o, s:o}", "election_key",
	              bd_json_b64url(sp.election_pk, sp.election_pk_len),
	              "board_key", bd_json_b64url(sp.board_pk, 32), "classes",
	              cl);
	st = bd_append_state(s, id, "open", d, STORE_STATE_CEREMONY,
	                     STORE_STATE_OPEN, -1, &err);
	if (st == STORE_CONFLICT) {
		bd_result_set(res, 409, "wrong_state",
		              "poll '%s' changed state meanwhile: %s", id,
		              err.msg);
		goto out;
	}
	if (st != STORE_OK) {
		bd_result_store(res, st, &err, what);
		goto out;
	}
	bd_log_info("poll '%s' is open", id);
	rc = 0;
out:
	bd_cls_free(&l);
	store_poll_clear(&sp);
	return rc;
}

int bd_poll_close(store *s, store_reader *rd, const char *id, json_t **sth_out,
                  struct bd_result *res)
{
	char what[STORE_POLL_ID_MAX + 16];
	store_error err;
	store_status st;
	int attempt;

	*sth_out = NULL;
	snprintf(what, sizeof(what), "poll '%s'", id);
	/*
	 * The record names the final head: read it, then append with its
	 * size expected; a cast landing in between makes the store refuse
	 * (STORE_CONFLICT) and we read again.  Casts come in groups, so a
	 * few rounds suffice even under load.
	 */
	for (attempt = 0; attempt < 50; attempt++) {
		store_poll sp;
		store_sth sth;
		json_t *js, *d;
		int have = 0;

		memset(&sp, 0, sizeof(sp));
		if ((st = store_poll_get(rd, id, &sp, &err)) != STORE_OK) {
			bd_result_store(res, st, &err, what);
			return -1;
		}
		if (strcmp(sp.state, STORE_STATE_OPEN) != 0) {
			bd_result_set(res, 409, "wrong_state",
			              "poll '%s' is %s: only an open poll can "
			              "be closed",
			              id, sp.state);
			store_poll_clear(&sp);
			return -1;
		}
		store_poll_clear(&sp);
		st = store_sth_latest(rd, id, &sth, &err);
		if (st == STORE_OK)
			have = 1;
		else if (st != STORE_NOT_FOUND) {
			bd_result_store(res, st, &err, what);
			return -1;
		}
		js = have ? bd_json_sth(&sth) : json_null();
		d = json_pack("{s:I, s:O}", "tree_size",
		              (json_int_t)(have ? sth.tree_size : 0), "sth",
		              js);
		st = bd_append_state(s, id, "closed", d, STORE_STATE_OPEN,
		                     STORE_STATE_CLOSED,
		                     (int64_t)(have ? sth.tree_size : 0), &err);
		if (st == STORE_OK) {
			bd_log_info(
			    "poll '%s' is closed at tree size %llu", id,
			    (unsigned long long)(have ? sth.tree_size : 0));
			*sth_out = js;
			return 0;
		}
		json_decref(js);
		if (st != STORE_CONFLICT) {
			bd_result_store(res, st, &err, what);
			return -1;
		}
		/* State or size moved: look again. */
	}
	bd_result_set(res, 503, "unavailable",
	              "poll '%s': casts kept arriving while closing; try "
	              "again",
	              id);
	return -1;
}

void bd_h_poll_open(struct bd_req *req)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	struct bd_result res;

	if (bd_poll_open(tc->t.app->store, tc->t.rd, bd_req_param(req, "id"),
	                 &res) == -1) {
		bd_reply_result(req, &res);
		return;
	}
	bd_reply_json(req, 200, json_pack("{s:s}", "state", STORE_STATE_OPEN));
}

void bd_h_poll_close(struct bd_req *req)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	struct bd_result res;
	json_t *sth;

	if (bd_poll_close(tc->t.app->store, tc->t.rd, bd_req_param(req, "id"),
	                  &sth, &res) == -1) {
		bd_reply_result(req, &res);
		return;
	}
	bd_reply_json(
	    req, 200,
	    json_pack("{s:s, s:o}", "state", STORE_STATE_CLOSED, "sth", sth));
}

/* ---------------------------------------------------------------- */
/* PUT /polls/{id}/schedule */

void bd_h_poll_schedule(struct bd_req *req)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	const char *id = bd_req_param(req, "id");
	const uint8_t *body;
	int64_t opens, closes;
	store_poll sp;
	proto_err perr;
	proto_status ps;
	store_error err;
	store_status st;
	size_t len;
	char what[STORE_POLL_ID_MAX + 16];

	body = bd_req_body(req, &len);
	if ((ps = proto_schedule_decode((const char *)body, len, &opens,
	                                &closes, &perr)) != PROTO_OK) {
		bd_reply_proto_error(req, ps, &perr);
		return;
	}
	snprintf(what, sizeof(what), "poll '%s'", id);
	memset(&sp, 0, sizeof(sp));
	if ((st = store_poll_get(tc->t.rd, id, &sp, &err)) != STORE_OK) {
		bd_reply_store_error(req, st, &err, what);
		return;
	}
	if (strcmp(sp.state, STORE_STATE_DRAFT) &&
	    strcmp(sp.state, STORE_STATE_CEREMONY) &&
	    strcmp(sp.state, STORE_STATE_OPEN)) {
		bd_reply_error(req, 409, "wrong_state",
		               "poll '%s' is %s: the schedule is fixed", id,
		               sp.state);
		store_poll_clear(&sp);
		return;
	}
	if (strcmp(sp.state, STORE_STATE_OPEN) == 0 && opens >= 0 &&
	    opens != sp.opens_ms) {
		bd_reply_error(req, 409, "wrong_state",
		               "poll '%s' is open already: only closes may "
		               "change",
		               id);
		store_poll_clear(&sp);
		return;
	}
	store_poll_clear(&sp);
	if ((st = store_poll_set_schedule(tc->t.app->store, id, opens, closes,
	                                  &err)) != STORE_OK) {
		bd_reply_store_error(req, st, &err, what);
		return;
	}
	st = bd_append_state(tc->t.app->store, id, "schedule",
	                     json_pack("{s:o, s:o}", "opens",
	                               bd_json_time(opens), "closes",
	                               bd_json_time(closes)),
	                     NULL, NULL, -1, &err);
	if (st != STORE_OK)
		bd_log_warn("poll '%s': schedule set but its state record was "
		            "not written: %s",
		            id, err.msg);
	bd_reply_json(req, 200,
	              json_pack("{s:o, s:o}", "opens", bd_json_time(opens),
	                        "closes", bd_json_time(closes)));
}

/* ---------------------------------------------------------------- */
/* POST /polls/{id}/_test/election-key: TESTS AND DEMOS ONLY. */

void bd_h_test_election_key(struct bd_req *req)
{
	struct bd_app *app = bd_app_of(req);
	const char *id = bd_req_param(req, "id");
	json_t *m = json_object_get(bd_req_json(req), "election_key");
	uint8_t pk[BC_HPKE_PK_LEN + 3];
	char jwk[BC_JWK_EC_P256_LEN + 1], what[STORE_POLL_ID_MAX + 16];
	const char *txt;
	store_error err;
	store_status st;
	size_t len = 0;

	/* Off (the default): the route does not exist. */
	if (!app->cfg->test_election_key) {
		bd_reply_error(req, 404, "not_found",
		               "no route for POST /polls/%s/_test/election-key",
		               id);
		return;
	}
	if (!json_is_string(m)) {
		bd_reply_error(req, 400, "bad_json",
		               "election_key: expected a string");
		return;
	}
	txt = json_string_value(m);
	/* An uncompressed point on P-256: the JWK encoder checks it. */
	if (bc_b64url_decode(txt, json_string_length(m), pk, sizeof(pk),
	                     &len) != BC_OK ||
	    len != BC_HPKE_PK_LEN ||
	    bc_jwk_ec_p256(pk, jwk, sizeof(jwk), NULL) != BC_OK) {
		bd_reply_error(req, 400, "bad_request",
		               "election_key: expected an uncompressed P-256 "
		               "point on the curve, 65 bytes in base64url (87 "
		               "characters)");
		return;
	}
	snprintf(what, sizeof(what), "poll '%s'", id);
	st = store_poll_set_election_key(app->store, id, pk, len, &err);
	if (st != STORE_OK) {
		bd_reply_store_error(req, st, &err, what);
		return;
	}
	bd_log_warn("poll '%s': election key set through the TEST route "
	            "(test_election_key = true): not for a real poll",
	            id);
	bd_reply_json(req, 200, json_pack("{s:s}", "election_key", txt));
}
