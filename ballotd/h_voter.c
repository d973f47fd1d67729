/*
 * h_voter.c: the voters' routes (protocol.md sections 5 and 7): a blind
 * signature on a token for a voter who shows their credential, and the
 * anonymous cast of a sealed ballot with a token, answered with a
 * receipt once the entry and a signed head covering it are on disk.
 *
 * Neither route logs anything that could link a token to a voter: the
 * token route logs no blinded message or signature, the cast route no
 * client address (its row in routes.c says so) and no token.
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

/* ---------------------------------------------------------------- */
/* POST /polls/{id}/tokens */

static void bd_token_answer(struct bd_req *req, const char *class_id,
                            const uint8_t *sig, size_t len)
{
	proto_token_ans a;

	memset(&a, 0, sizeof(a));
	snprintf(a.class_id, sizeof(a.class_id), "%s", class_id);
	memcpy(a.blind_sig, sig, len);
	a.blind_sig_len = len;
	bd_reply_json(req, 200, proto_token_ans_encode(&a));
}

/* What the writer's callback needs to answer a token request. */
struct bd_token_ctx {
	struct bd_req *req;
	char poll[STORE_POLL_ID_MAX + 1];
};

/*
 * On the writer thread, after the commit that stored the token (or
 * found the one stored before): answers, as bd_cast_done does.
 */
static void bd_token_done(void *arg, store_status st, const store_token_ans *t,
                          const store_error *err)
{
	struct bd_token_ctx *tk = arg;
	struct bd_req *req = tk->req;
	struct bd_result res;
	char what[STORE_POLL_ID_MAX + 16];

	snprintf(what, sizeof(what), "poll '%s'", tk->poll);
	free(tk);
	if (st == STORE_TOKEN_ISSUED) {
		bd_reply_error(req, 409, "token_already_issued",
		               "a token was already issued to this voter for a "
		               "different blinded message");
	} else if (st != STORE_OK) {
		bd_result_store(&res, st, err, what);
		bd_reply_result(req, &res);
	} else if (t->blind_sig_len > PROTO_KEY_MAX) {
		bd_reply_error(req, 500, "internal",
		               "the stored blind signature has %zu bytes",
		               t->blind_sig_len);
	} else
		bd_token_answer(req, t->class_id, t->blind_sig,
		                t->blind_sig_len);
}

/*
 * Loads the poll and the voter whose credential cred is, and checks the
 * credential in constant time.  An unknown voter id gets the same
 * answer, after the same comparison, as a wrong secret: voter ids cannot
 * be probed.  0 with OUT: *sp and *v filled (the caller clears both), or
 * -1 once answered.
 */
static int bd_voter_auth(struct bd_tctx *tc, struct bd_req *req, const char *id,
                         const proto_credential *cred, store_poll *sp,
                         store_voter *v)
{
	static const uint8_t zero[STORE_HASH_LEN];
	const proto_poll *def;
	struct bd_result res;
	store_error err;
	store_status st;
	uint8_t h[STORE_HASH_LEN];
	char what[STORE_POLL_ID_MAX + 16];
	int known, match;

	snprintf(what, sizeof(what), "poll '%s'", id);
	if (bd_poll_load(tc, id, sp, &def, &res) == -1) {
		bd_reply_result(req, &res);
		return -1;
	}
	st = store_voter_get(tc->t.rd, id, cred->voter_id, v, &err);
	if (st != STORE_OK && st != STORE_NOT_FOUND && st != STORE_INVALID) {
		bd_reply_store_error(req, st, &err, what);
		return -1;
	}
	known = st == STORE_OK;
	if (proto_credential_hash(sp->poll_hash, cred->voter_id, cred->s, h) !=
	    PROTO_OK) {
		bd_reply_error(req, 503, "unavailable", "out of memory");
		return -1;
	}
	match = bc_ct_equal(h, known ? v->cred_hash : zero, STORE_HASH_LEN);
	bc_wipe(h, sizeof(h));
	if (!known || !match) {
		bd_reply_error(req, 403, "bad_credential",
		               "credential: does not match a voter of poll "
		               "'%s'",
		               id);
		return -1;
	}
	return 0;
}

void bd_h_token(struct bd_req *req)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	const char *id = bd_req_param(req, "id");
	const struct bd_key_ent *key;
	struct bd_result res;
	proto_token_req tr;
	struct bd_token_ctx *tk;
	store_voter v;
	store_poll sp;
	proto_err perr;
	proto_status ps;
	store_error err;
	store_status st;
	const uint8_t *body;
	uint8_t bh[STORE_HASH_LEN], pseud[STORE_HASH_LEN];
	uint8_t sig[BD_TOKEN_KEY_LEN];
	size_t len;
	bc_status bs;
	char what[STORE_POLL_ID_MAX + 16];

	/*
	 * This connection has shown a credential: it is closed after the
	 * answer, so that the voter's cast cannot arrive on it
	 * (protocol.md section 7).
	 */
	bd_req_close_after(req);
	memset(&v, 0, sizeof(v));
	memset(&sp, 0, sizeof(sp));
	body = bd_req_body(req, &len);
	/* Every class key is RSA-2048 (bd_make_class_key): k = 256. */
	if ((ps = proto_token_req_decode((const char *)body, len,
	                                 BD_TOKEN_KEY_LEN, &tr, &perr)) !=
	    PROTO_OK) {
		bc_wipe(&tr, sizeof(tr));
		bd_reply_proto_error(req, ps, &perr);
		return;
	}
	snprintf(what, sizeof(what), "poll '%s'", id);
	if (bd_voter_auth(tc, req, id, &tr.cred, &sp, &v) == -1)
		goto out;
	if (strcmp(sp.state, STORE_STATE_CEREMONY) &&
	    strcmp(sp.state, STORE_STATE_OPEN)) {
		bd_reply_error(req, 409, "wrong_state",
		               "poll '%s' is %s: tokens are issued from the "
		               "ceremony until the close",
		               id, sp.state);
		goto out;
	}
	/*
	 * A client that blinded with another class's key would get a
	 * signature it cannot use, and its voter no second token: refused
	 * before anything is signed or stored.
	 */
	if (tr.class_id[0] != '\0' && strcmp(tr.class_id, v.class_id) != 0) {
		bd_reply_error(req, 409, "wrong_class",
		               "class: this credential's voter is in class %s, "
		               "not %s: blind with the token key of class %s",
		               v.class_id, tr.class_id, v.class_id);
		goto out;
	}
	proto_sha256(tr.blinded, tr.blinded_len, bh);
	if (v.has_token) {
		/* Checked again by the store, atomically; this spares a
		 * signature (and a commit) on the common retry. */
		if (bc_ct_equal(bh, v.blinded_hash, STORE_HASH_LEN) &&
		    v.blind_sig_len == tr.blinded_len) {
			bd_token_answer(req, v.class_id, v.blind_sig,
			                v.blind_sig_len);
		} else
			bd_reply_error(req, 409, "token_already_issued",
			               "a token was already issued to this "
			               "voter for a different blinded message");
		goto out;
	}
	if (bd_class_key(tc, &sp, v.class_id, 1, &key, &res) == -1) {
		bd_reply_result(req, &res);
		goto out;
	}
	if (bc_brsa_key_len(key->sk) != tr.blinded_len) {
		bd_reply_error(req, 500, "internal",
		               "class %.80s: the token key is not RSA-%d",
		               v.class_id, BD_TOKEN_KEY_BITS);
		goto out;
	}
	/* BlindSign re-checks its own result (RFC 9474 4.3). */
	bs = bc_brsa_blind_sign(key->sk, tr.blinded, sig, tr.blinded_len);
	if (bs == BC_ERR_INVALID) {
		bd_reply_error(req, 400, "bad_request",
		               "blinded: not less than the modulus of the "
		               "class's token key");
		goto out;
	} else if (bs != BC_OK) {
		bd_reply_error(req, 500, "internal",
		               "the blind signature failed its check (%s)",
		               bc_status_name(bs));
		goto out;
	}
	if (proto_pseudonym(sp.poll_hash, tr.cred.s, pseud) != PROTO_OK) {
		bd_reply_error(req, 503, "unavailable", "out of memory");
		goto out;
	}
	/*
	 * The store decides atomically, in a group commit shared with
	 * other tokens and casts (a concurrent request may have stored a
	 * token since the read above), and bd_token_done answers on the
	 * writer thread; this loop goes on meanwhile.
	 */
	if ((tk = malloc(sizeof(*tk))) == NULL) {
		bd_reply_error(req, 503, "unavailable", "out of memory");
		goto out;
	}
	tk->req = req;
	snprintf(tk->poll, sizeof(tk->poll), "%s", sp.id);
	st = store_token_submit(tc->t.app->store, id, tr.cred.voter_id, bh, sig,
	                        tr.blinded_len, pseud, bd_token_done, tk, &err);
	if (st != STORE_OK) {
		free(tk);
		bd_reply_store_error(req, st, &err, what);
	}
out:
	bc_wipe(&tr, sizeof(tr));
	bc_wipe(pseud, sizeof(pseud));
	store_voter_clear(&v);
	store_poll_clear(&sp);
}

/* ---------------------------------------------------------------- */
/* POST /polls/{id}/voter */

/*
 * The voter's class, for a client that has only the credential: the
 * token must be blinded with the class's key, so the class is needed
 * before the token request.  It tells the holder of the credential
 * nothing the token answer would not.
 */
void bd_h_voter(struct bd_req *req)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	const char *id = bd_req_param(req, "id");
	json_t *c = json_object_get(bd_req_json(req), "credential");
	proto_credential cred;
	store_voter v;
	store_poll sp;
	proto_err perr;
	proto_status ps;

	memset(&v, 0, sizeof(v));
	memset(&sp, 0, sizeof(sp));
	if (!json_is_string(c)) {
		bd_reply_error(req, 400, "bad_json",
		               "credential: expected a string");
		return;
	}
	if ((ps = proto_credential_parse(json_string_value(c),
	                                 json_string_length(c), &cred,
	                                 &perr)) != PROTO_OK) {
		bc_wipe(&cred, sizeof(cred));
		bd_reply_proto_error(req, ps, &perr);
		return;
	}
	if (bd_voter_auth(tc, req, id, &cred, &sp, &v) == 0)
		bd_reply_json(req, 200,
		              json_pack("{s:s, s:s, s:b, s:s}", "voter_id",
		                        cred.voter_id, "class", v.class_id,
		                        "token_issued", v.has_token, "state",
		                        sp.state));
	bc_wipe(&cred, sizeof(cred));
	store_voter_clear(&v);
	store_poll_clear(&sp);
}

/* ---------------------------------------------------------------- */
/* POST /polls/{id}/casts */

/* What the writer's callback needs to answer. */
struct bd_cast_ctx {
	struct bd_req *req;
	char poll[STORE_POLL_ID_MAX + 1];
	uint8_t poll_hash[STORE_HASH_LEN];
};

/*
 * On the writer thread, after the commit: builds the receipt and
 * answers (bd_reply_json may be called from any thread and only queues
 * the answer to the request's loop).
 */
static void bd_cast_done(void *arg, store_status st, const store_receipt *r,
                         const store_error *err)
{
	struct bd_cast_ctx *cc = arg;
	struct bd_req *req = cc->req;
	struct bd_result res;
	proto_receipt pr;
	size_t i;
	char what[STORE_POLL_ID_MAX + 16];

	if (st != STORE_OK) {
		snprintf(what, sizeof(what), "poll '%s'", cc->poll);
		if (st == STORE_WRONG_STATE)
			bd_result_set(&res, 409, "wrong_state",
			              "poll '%s' is not open (closed before "
			              "this cast was written)",
			              cc->poll);
		else
			bd_result_store(&res, st, err, what);
		free(cc);
		bd_reply_result(req, &res);
		return;
	}
	memset(&pr, 0, sizeof(pr));
	snprintf(pr.poll, sizeof(pr.poll), "%s", cc->poll);
	memcpy(pr.poll_hash, cc->poll_hash, STORE_HASH_LEN);
	pr.leaf_index = r->leaf_index;
	memcpy(pr.leaf_hash, r->leaf_hash, STORE_HASH_LEN);
	pr.sth.tree_size = r->sth.tree_size;
	memcpy(pr.sth.root, r->sth.root, STORE_HASH_LEN);
	pr.sth.timestamp_ms = r->sth.timestamp_ms;
	memcpy(pr.sth.poll_hash, r->sth.poll_hash, STORE_HASH_LEN);
	memcpy(pr.sth.signature, r->sth.signature, STORE_SIG_LEN);
	free(cc);
	if (r->proof_count > PROTO_PROOF_MAX) {
		bd_reply_error(req, 500, "internal",
		               "inclusion proof of %zu hashes", r->proof_count);
		return;
	}
	for (i = 0; i < r->proof_count; i++)
		memcpy(pr.inclusion[i], r->proof + i * STORE_HASH_LEN,
		       STORE_HASH_LEN);
	pr.ninclusion = r->proof_count;
	memcpy(pr.receipt_sig, r->receipt_sig, STORE_SIG_LEN);
	proto_tracker(r->leaf_hash, pr.tracker);
	bd_reply_json(req, 200, proto_receipt_encode(&pr));
}

void bd_h_cast(struct bd_req *req)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	const char *id = bd_req_param(req, "id");
	const struct bd_key_ent *key;
	const proto_poll *def;
	struct bd_cast_ctx *cc;
	struct bd_result res;
	proto_buf entry = {0};
	store_cast sc;
	store_poll sp;
	proto_cast c;
	proto_err perr;
	proto_status ps;
	store_error err;
	store_status st;
	const uint8_t *body;
	char jwk[BC_JWK_EC_P256_LEN + 1], what[STORE_POLL_ID_MAX + 16];
	size_t len;

	memset(&c, 0, sizeof(c));
	snprintf(what, sizeof(what), "poll '%s'", id);
	/* protocol.md section 7, in its order: the poll is open, ... */
	if (bd_poll_load(tc, id, &sp, &def, &res) == -1) {
		bd_reply_result(req, &res);
		return;
	}
	if (strcmp(sp.state, STORE_STATE_OPEN) != 0) {
		bd_reply_error(req, 409, "wrong_state",
		               "poll '%s' is %s: ballots are accepted only "
		               "while it is open",
		               id, sp.state);
		goto out;
	}
	body = bd_req_body(req, &len);
	if ((ps = proto_cast_decode((const char *)body, len, BD_TOKEN_KEY_LEN,
	                            def->ballot_size, &c, &perr)) != PROTO_OK) {
		bd_reply_proto_error(req, ps, &perr);
		goto out;
	}
	/* ... the class exists and sig is a token signature under its key,
	 * ... */
	if (bd_class_key(tc, &sp, c.class_id, 0, &key, &res) == -1) {
		bd_reply_result(req, &res);
		goto out;
	}
	if (bc_brsa_verify(key->pk, BC_BRSA_SHA384_PSS_RANDOMIZED, c.token,
	                   PROTO_TOKEN_LEN, c.sig, c.sig_len) != BC_OK) {
		bd_reply_error(req, 422, "bad_signature",
		               "sig: not a valid token signature under the key "
		               "of class %.80s",
		               c.class_id);
		goto out;
	}
	/* ... cast_sig is the signature of the cast by the key whose public
	 * half is the token's msg: a token copied from the board cannot
	 * be used again without the voter's private key (threat-model.md,
	 * "Revoting"), ... */
	ps = proto_cast_verify(sp.poll_hash, c.class_id, c.token,
	                       PROTO_TOKEN_LEN, c.ballot, c.ballot_len,
	                       c.cast_sig, PROTO_SIG_LEN);
	if (ps == PROTO_ERR_NOMEM) {
		bd_reply_error(req, 503, "unavailable", "out of memory");
		goto out;
	} else if (ps != PROTO_OK) {
		bd_reply_error(req, 422, "bad_signature",
		               "cast_sig: not a valid signature of the cast by "
		               "the key in the token");
		goto out;
	}
	/* ... the ballot's enc is a point of P-256 (its length was checked
	 * by the decoder; the JWK encoder checks the curve equation). */
	if (bc_jwk_ec_p256(c.ballot, jwk, sizeof(jwk), NULL) != BC_OK) {
		bd_reply_error(req, 400, "bad_request",
		               "ballot: its first 65 bytes (enc) are not an "
		               "uncompressed P-256 point on the curve");
		goto out;
	}
	/* ... and the token is unused unless revoting: the writer checks
	 * that inside the transaction that appends. */
	memset(&sc, 0, sizeof(sc));
	sc.class_id = c.class_id;
	if (proto_token_id(c.class_id, c.token, PROTO_TOKEN_LEN, sc.token_id) !=
	    PROTO_OK) {
		bd_reply_error(req, 503, "unavailable", "out of memory");
		goto out;
	}
	proto_board_entry(&entry, sp.poll_hash, c.class_id, c.token,
	                  PROTO_TOKEN_LEN, c.sig, c.sig_len, c.ballot,
	                  c.ballot_len, c.cast_sig, PROTO_SIG_LEN);
	if (entry.failed || (cc = malloc(sizeof(*cc))) == NULL) {
		bd_reply_error(req, 503, "unavailable", "out of memory");
		goto out;
	}
	cc->req = req;
	snprintf(cc->poll, sizeof(cc->poll), "%s", sp.id);
	memcpy(cc->poll_hash, sp.poll_hash, STORE_HASH_LEN);
	sc.entry = entry.p;
	sc.entry_len = entry.len;
	sc.revoting = def->revoting;
	st = store_cast_submit(tc->t.app->store, id, &sc, bd_cast_done, cc,
	                       &err);
	if (st != STORE_OK) {
		free(cc);
		bd_reply_store_error(req, st, &err, what);
	}
	/* Else bd_cast_done answers, on the writer thread. */
out:
	proto_buf_free(&entry);
	free(c.ballot);
	store_poll_clear(&sp);
}
