/*
 * h_public.c: what everyone may read (api.md, "Everyone"): a poll with
 * its public keys, its counts, the board (signed heads, proofs,
 * entries), the issuance log and the state records.  Nothing here
 * writes; every answer comes from the loop's own reader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"
#include "bcrypto.h"
#include "encode.h"
#include "handlers.h"
#include "http.h"
#include "log.h"

#define BD_PAGE_MAX 1000 /* entries or issuance rows per request */

/*
 * Query parameter name as a whole number 0..2^53-1 into *out; absent:
 * *out = def and *given = 0.  -1 (answered) if malformed.
 */
static int bd_query_u64(struct bd_req *req, const char *name, uint64_t def,
                        uint64_t *out, int *given)
{
	const char *s = bd_req_query(req, name);
	unsigned long long v;
	char *end;

	if (given != NULL)
		*given = s != NULL;
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

/* Reads the poll (answering 404 and returning -1 if there is none). */
static int bd_public_poll(struct bd_req *req, store_poll *sp)
{
	const char *id = bd_req_param(req, "id");
	store_error err;
	store_status st;
	char what[STORE_POLL_ID_MAX + 16];

	memset(sp, 0, sizeof(*sp));
	if ((st = store_poll_get(bd_thread_of(req)->rd, id, sp, &err)) !=
	    STORE_OK) {
		snprintf(what, sizeof(what), "poll '%s'", id);
		bd_reply_store_error(req, st, &err, what);
		memset(sp, 0, sizeof(*sp));
		return -1;
	}
	return 0;
}

static json_t *bd_json_text_obj(const char *text)
{
	return json_loads(text, JSON_REJECT_DUPLICATES, NULL);
}

static json_t *bd_proof_json(const uint8_t *proof, size_t count)
{
	json_t *a = json_array();

	for (size_t i = 0; i < count; i++)
		json_array_append_new(
		    a, bd_json_hex(proof + i * STORE_HASH_LEN, STORE_HASH_LEN));
	return a;
}

/* ---------------------------------------------------------------- */
/* GET /polls/{id} */

struct bd_pub_cls {
	json_t *arr;
	int failed;
};

static int bd_pub_cls_fn(void *arg, const store_class *c)
{
	struct bd_pub_cls *pc = arg;
	json_t *key = json_null();

	if (c->pub_der != NULL) {
		uint8_t hash[STORE_HASH_LEN], n[BC_BRSA_MAX_LEN], e[8];
		bc_brsa_key *k = NULL;
		size_t elen = 0, jlen = 0, klen;
		char *jwk = NULL;

		proto_sha256(c->pub_der, c->pub_len, hash);
		if (bc_brsa_key_from_spki_der(c->pub_der, c->pub_len, &k) !=
		        BC_OK ||
		    (klen = bc_brsa_key_len(k)) > sizeof(n) ||
		    bc_brsa_key_to_raw(k, n, klen, e, sizeof(e), &elen) !=
		        BC_OK ||
		    bc_jwk_rsa(n, klen, e, elen, NULL, 0, &jlen) !=
		        BC_ERR_RANGE ||
		    (jwk = malloc(jlen + 1)) == NULL ||
		    bc_jwk_rsa(n, klen, e, elen, jwk, jlen + 1, NULL) !=
		        BC_OK) {
			bc_brsa_key_free(k);
			free(jwk);
			pc->failed = 1;
			return 1;
		}
		bc_brsa_key_free(k);
		key = json_pack("{s:o, s:o, s:o, s:i}", "spki",
		                bd_json_b64url(c->pub_der, c->pub_len), "jwk",
		                bd_json_text_obj(jwk), "hash",
		                bd_json_hex(hash, STORE_HASH_LEN), "bits",
		                (int)(klen * 8));
		free(jwk);
	}
	json_array_append_new(
	    pc->arr, json_pack("{s:s, s:I, s:o}", "id", c->class_id, "voters",
	                       (json_int_t)c->voters, "token_key", key));
	return 0;
}

void bd_h_poll_get(struct bd_req *req)
{
	struct bd_pub_cls pc;
	store_poll sp;
	store_error err;
	store_status st;
	json_t *v, *ek = json_null(), *ejwk = json_null();
	char jwk[BC_JWK_EC_P256_LEN + 1], bjwk[BC_JWK_ED25519_LEN + 1];

	if (bd_public_poll(req, &sp) == -1)
		return;
	pc.arr = json_array();
	pc.failed = 0;
	st = store_classes(bd_thread_of(req)->rd, sp.id, bd_pub_cls_fn, &pc,
	                   &err);
	if (st != STORE_OK || pc.failed) {
		json_decref(pc.arr);
		if (st != STORE_OK)
			bd_reply_store_error(req, st, &err, "classes");
		else
			bd_reply_error(req, 500, "internal",
			               "a class's token key does not encode");
		store_poll_clear(&sp);
		return;
	}
	if (sp.election_pk != NULL) {
		ek = bd_json_b64url(sp.election_pk, sp.election_pk_len);
		if (sp.election_pk_len == 65 &&
		    bc_jwk_ec_p256(sp.election_pk, jwk, sizeof(jwk), NULL) ==
		        BC_OK)
			ejwk = bd_json_text_obj(jwk);
	}
	if (bc_jwk_ed25519(sp.board_pk, bjwk, sizeof(bjwk), NULL) != BC_OK)
		bjwk[0] = '\0';
	/*
	 * "definition" is the accepted text verbatim (a string), so that
	 * anyone can hash it and compare with poll_hash.
	 */
	v = json_pack(
	    "{s:s, s:o, s:s, s:s%, s:o, s:o, s:I, s:o, s:o, s:o, "
	    "s:o, s:o}",
	    "id", sp.id, "poll_hash", bd_json_hex(sp.poll_hash, STORE_HASH_LEN),
	    "state", sp.state, "definition", (const char *)sp.definition,
	    sp.definition_len, "opens", bd_json_time(sp.opens_ms), "closes",
	    bd_json_time(sp.closes_ms), "tree_size", (json_int_t)sp.tree_size,
	    "board_key", bd_json_b64url(sp.board_pk, 32), "board_key_jwk",
	    bjwk[0] ? bd_json_text_obj(bjwk) : json_null(), "election_key", ek,
	    "election_key_jwk", ejwk, "classes", pc.arr);
	store_poll_clear(&sp);
	if (v == NULL) {
		bd_reply_error(req, 500, "internal", "cannot encode the poll");
		return;
	}
	bd_reply_json(req, 200, v);
}

/* ---------------------------------------------------------------- */
/* GET /polls/{id}/status */

struct bd_status_ctx {
	json_t *arr, *warn;
	uint32_t min;
};

static int bd_status_fn(void *arg, const store_class_counts *c)
{
	struct bd_status_ctx *sc = arg;

	json_array_append_new(
	    sc->arr, json_pack("{s:s, s:I, s:I, s:I, s:I}", "id", c->class_id,
	                       "voters", (json_int_t)c->voters, "tokens_issued",
	                       (json_int_t)c->tokens_issued, "entries",
	                       (json_int_t)c->entries, "tokens_cast",
	                       (json_int_t)c->tokens_cast));
	if (c->voters < sc->min) {
		char msg[300];

		snprintf(msg, sizeof(msg),
		         "class %.200s has %llu voters, fewer than "
		         "min_class_size %u",
		         c->class_id, (unsigned long long)c->voters,
		         (unsigned)sc->min);
		json_array_append_new(sc->warn, json_string(msg));
	}
	return 0;
}

void bd_h_poll_status(struct bd_req *req)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	const char *id = bd_req_param(req, "id");
	struct bd_status_ctx sc;
	const proto_poll *def;
	struct bd_result res;
	store_poll sp;
	store_error err;
	store_status st;

	if (bd_poll_load(tc, id, &sp, &def, &res) == -1) {
		bd_reply_result(req, &res);
		return;
	}
	sc.arr = json_array();
	sc.warn = json_array();
	sc.min = def->min_class_size;
	st = store_status_counts(tc->t.rd, id, bd_status_fn, &sc, &err);
	if (st != STORE_OK) {
		json_decref(sc.arr);
		json_decref(sc.warn);
		bd_reply_store_error(req, st, &err, "status");
		store_poll_clear(&sp);
		return;
	}
	bd_reply_json(req, 200,
	              json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:o}", "id",
	                        sp.id, "state", sp.state, "tree_size",
	                        (json_int_t)sp.tree_size, "opens",
	                        bd_json_time(sp.opens_ms), "closes",
	                        bd_json_time(sp.closes_ms), "classes", sc.arr,
	                        "warnings", sc.warn));
	store_poll_clear(&sp);
}

/* ---------------------------------------------------------------- */
/* The board. */

void bd_h_board_sth(struct bd_req *req)
{
	store_poll sp;
	store_sth sth;
	store_error err;
	store_status st;

	if (bd_public_poll(req, &sp) == -1)
		return;
	st = store_sth_latest(bd_thread_of(req)->rd, sp.id, &sth, &err);
	if (st == STORE_NOT_FOUND)
		bd_reply_error(req, 404, "not_found",
		               "poll '%s': no signed tree head yet (the board "
		               "is empty)",
		               sp.id);
	else if (st != STORE_OK)
		bd_reply_store_error(req, st, &err, "tree head");
	else
		bd_reply_json(req, 200, bd_json_sth(&sth));
	store_poll_clear(&sp);
}

struct bd_leaf {
	int found;
	uint64_t index;
	uint8_t hash[STORE_HASH_LEN];
};

static int bd_leaf_fn(void *arg, const store_entry *e)
{
	struct bd_leaf *l = arg;

	l->found = 1;
	l->index = e->leaf_index;
	memcpy(l->hash, e->leaf_hash, STORE_HASH_LEN);
	return 1;
}

void bd_h_board_inclusion(struct bd_req *req)
{
	store_reader *rd = bd_thread_of(req)->rd;
	const char *lh = bd_req_query(req, "leaf_hash");
	uint8_t hash[STORE_HASH_LEN], proof[STORE_MAX_PROOF * STORE_HASH_LEN];
	struct bd_leaf leaf;
	uint64_t index, size;
	store_poll sp;
	store_error err;
	store_status st;
	size_t count = 0, hl = 0;
	int has_index;

	if (bd_public_poll(req, &sp) == -1)
		return;
	if (bd_query_u64(req, "index", 0, &index, &has_index) == -1 ||
	    bd_query_u64(req, "tree_size", sp.tree_size, &size, NULL) == -1)
		goto out;
	if ((lh == NULL) == !has_index) {
		bd_reply_error(req, 400, "bad_request",
		               "give exactly one of leaf_hash and index");
		goto out;
	}
	memset(&leaf, 0, sizeof(leaf));
	if (lh != NULL) {
		if (bc_hex_decode(lh, strlen(lh), hash, sizeof(hash), &hl) !=
		        BC_OK ||
		    hl != STORE_HASH_LEN) {
			bd_reply_error(req, 400, "bad_request",
			               "leaf_hash: expected 64 lowercase hex "
			               "digits");
			goto out;
		}
		st = store_leaf_by_hash(rd, sp.id, hash, bd_leaf_fn, &leaf,
		                        &err);
	} else
		st = store_leaf_by_index(rd, sp.id, index, bd_leaf_fn, &leaf,
		                         &err);
	if (st == STORE_NOT_FOUND || (st == STORE_OK && !leaf.found)) {
		bd_reply_error(req, 404, "not_found",
		               "poll '%s': no such leaf on the board", sp.id);
		goto out;
	}
	if (st != STORE_OK) {
		bd_reply_store_error(req, st, &err, "leaf");
		goto out;
	}
	if (size <= leaf.index || size > sp.tree_size) {
		bd_reply_error(req, 400, "bad_request",
		               "tree_size: %llu does not cover leaf %llu or "
		               "exceeds the board's %llu leaves",
		               (unsigned long long)size,
		               (unsigned long long)leaf.index,
		               (unsigned long long)sp.tree_size);
		goto out;
	}
	st = store_inclusion_proof(rd, sp.id, leaf.index, size, proof, &count,
	                           &err);
	if (st != STORE_OK) {
		bd_reply_store_error(req, st, &err, "inclusion proof");
		goto out;
	}
	bd_reply_json(req, 200,
	              json_pack("{s:I, s:o, s:I, s:o}", "leaf_index",
	                        (json_int_t)leaf.index, "leaf_hash",
	                        bd_json_hex(leaf.hash, STORE_HASH_LEN),
	                        "tree_size", (json_int_t)size, "proof",
	                        bd_proof_json(proof, count)));
out:
	store_poll_clear(&sp);
}

void bd_h_board_consistency(struct bd_req *req)
{
	uint8_t proof[STORE_MAX_PROOF * STORE_HASH_LEN];
	uint64_t first, second;
	store_poll sp;
	store_error err;
	store_status st;
	size_t count = 0;
	int given;

	if (bd_public_poll(req, &sp) == -1)
		return;
	if (bd_query_u64(req, "first", 0, &first, &given) == -1 ||
	    bd_query_u64(req, "second", sp.tree_size, &second, NULL) == -1)
		goto out;
	if (!given) {
		bd_reply_error(req, 400, "bad_request",
		               "first: missing (the smaller tree size)");
		goto out;
	}
	if (first > second || second > sp.tree_size) {
		bd_reply_error(req, 400, "bad_request",
		               "expected first <= second <= %llu (the board's "
		               "size), found first %llu, second %llu",
		               (unsigned long long)sp.tree_size,
		               (unsigned long long)first,
		               (unsigned long long)second);
		goto out;
	}
	st = store_consistency_proof(bd_thread_of(req)->rd, sp.id, first,
	                             second, proof, &count, &err);
	if (st != STORE_OK) {
		bd_reply_store_error(req, st, &err, "consistency proof");
		goto out;
	}
	bd_reply_json(req, 200,
	              json_pack("{s:I, s:I, s:o}", "first", (json_int_t)first,
	                        "second", (json_int_t)second, "proof",
	                        bd_proof_json(proof, count)));
out:
	store_poll_clear(&sp);
}

/* Reads ?start=&end= against a length: at most BD_PAGE_MAX, end clamped
 * to len.  -1 (answered) if malformed. */
static int bd_range(struct bd_req *req, uint64_t len, uint64_t *start,
                    uint64_t *end)
{
	uint64_t s, e;
	int given;

	if (bd_query_u64(req, "start", 0, &s, NULL) == -1 ||
	    bd_query_u64(req, "end", 0, &e, &given) == -1)
		return -1;
	if (!given)
		e = s + BD_PAGE_MAX;
	if (e < s) {
		bd_reply_error(req, 400, "bad_request",
		               "end: %llu is before start %llu",
		               (unsigned long long)e, (unsigned long long)s);
		return -1;
	}
	if (e - s > BD_PAGE_MAX) {
		bd_reply_error(req, 400, "bad_request",
		               "end: at most %d rows per request (start %llu, "
		               "end %llu)",
		               BD_PAGE_MAX, (unsigned long long)s,
		               (unsigned long long)e);
		return -1;
	}
	if (e > len)
		e = len;
	if (s > e)
		s = e;
	*start = s;
	*end = e;
	return 0;
}

static int bd_entry_fn(void *arg, const store_entry *e)
{
	json_t *arr = arg;

	json_array_append_new(
	    arr, json_pack("{s:I, s:o, s:s, s:o, s:o}", "leaf_index",
	                   (json_int_t)e->leaf_index, "leaf_hash",
	                   bd_json_hex(e->leaf_hash, STORE_HASH_LEN), "class",
	                   e->class_id, "token_id",
	                   bd_json_hex(e->token_id, STORE_HASH_LEN), "entry",
	                   bd_json_b64url(e->entry, e->entry_len)));
	return 0;
}

void bd_h_board_entries(struct bd_req *req)
{
	uint64_t start, end;
	store_poll sp;
	store_error err;
	store_status st;
	json_t *arr;

	if (bd_public_poll(req, &sp) == -1)
		return;
	if (bd_range(req, sp.tree_size, &start, &end) == -1)
		goto out;
	arr = json_array();
	st = store_entries(bd_thread_of(req)->rd, sp.id, start, end,
	                   bd_entry_fn, arr, &err);
	if (st != STORE_OK) {
		json_decref(arr);
		bd_reply_store_error(req, st, &err, "entries");
		goto out;
	}
	bd_reply_json(req, 200,
	              json_pack("{s:I, s:I, s:I, s:o}", "start",
	                        (json_int_t)start, "end", (json_int_t)end,
	                        "tree_size", (json_int_t)sp.tree_size,
	                        "entries", arr));
out:
	store_poll_clear(&sp);
}

/* ---------------------------------------------------------------- */
/* GET /polls/{id}/issuance */

static int bd_issuance_fn(void *arg, uint64_t seq, const uint8_t pseud[32],
                          const char *class_id)
{
	json_array_append_new(
	    (json_t *)arg,
	    json_pack("{s:I, s:o, s:s}", "seq", (json_int_t)seq, "pseudonym",
	              bd_json_hex(pseud, 32), "class", class_id));
	return 0;
}

void bd_h_issuance(struct bd_req *req)
{
	uint64_t start, end;
	store_poll sp;
	store_error err;
	store_status st;
	json_t *arr;

	if (bd_public_poll(req, &sp) == -1)
		return;
	/* The log's length is not at hand: the store stops at its end. */
	if (bd_range(req, UINT64_MAX, &start, &end) == -1)
		goto out;
	arr = json_array();
	st = store_issuance(bd_thread_of(req)->rd, sp.id, start, end,
	                    bd_issuance_fn, arr, &err);
	if (st != STORE_OK) {
		json_decref(arr);
		bd_reply_store_error(req, st, &err, "issuance");
		goto out;
	}
	bd_reply_json(req, 200,
	              json_pack("{s:I, s:o}", "start", (json_int_t)start,
	                        "issuance", arr));
out:
	store_poll_clear(&sp);
}

/* ---------------------------------------------------------------- */
/* GET /polls/{id}/states */

struct bd_states_ctx {
	json_t *arr;
	uint8_t poll_hash[STORE_HASH_LEN];
	uint8_t prev[STORE_HASH_LEN];
	int failed;
};

static int bd_states_fn(void *arg, const store_state_rec *r)
{
	struct bd_states_ctx *sc = arg;
	proto_buf b = {0};

	/* rec_n, byte for byte, so a reader can check hash and signature. */
	proto_state_record(&b, sc->poll_hash, r->n, r->kind, r->time_ms,
	                   (const char *)r->details, r->details_len,
	                   r->n == 0 ? NULL : sc->prev);
	if (b.failed) {
		sc->failed = 1;
		proto_buf_free(&b);
		return 1;
	}
	json_array_append_new(
	    sc->arr,
	    json_pack("{s:I, s:s, s:I, s:s%, s:o, s:o, s:o}", "n",
	              (json_int_t)r->n, "kind", r->kind, "time_ms",
	              (json_int_t)r->time_ms, "details",
	              (const char *)r->details, r->details_len, "hash",
	              bd_json_hex(r->hash, STORE_HASH_LEN), "signature",
	              bd_json_b64url(r->signature, STORE_SIG_LEN), "record",
	              bd_json_b64url(b.p, b.len)));
	memcpy(sc->prev, r->hash, STORE_HASH_LEN);
	proto_buf_free(&b);
	return 0;
}

void bd_h_states(struct bd_req *req)
{
	struct bd_states_ctx sc;
	store_poll sp;
	store_error err;
	store_status st;

	if (bd_public_poll(req, &sp) == -1)
		return;
	memset(&sc, 0, sizeof(sc));
	sc.arr = json_array();
	memcpy(sc.poll_hash, sp.poll_hash, STORE_HASH_LEN);
	st =
	    store_states(bd_thread_of(req)->rd, sp.id, bd_states_fn, &sc, &err);
	if (st != STORE_OK || sc.failed) {
		json_decref(sc.arr);
		if (st != STORE_OK)
			bd_reply_store_error(req, st, &err, "state records");
		else
			bd_reply_error(req, 503, "unavailable",
			               "out of memory");
	} else
		bd_reply_json(req, 200,
		              json_pack("{s:o, s:o}", "board_key",
		                        bd_json_b64url(sp.board_pk, 32),
		                        "states", sc.arr));
	store_poll_clear(&sp);
}

/* ---------------------------------------------------------------- */
/* GET /polls/{id}/board/find?tracker=abcde-fghij */

#define BD_FIND_MAX 20 /* two leaves share 40 bits once in 10^12 pairs */

static int bd_find_fn(void *arg, const store_entry *e)
{
	json_t *a = arg;
	char hex[2 * STORE_HASH_LEN + 1];
	size_t i;

	for (i = 0; i < STORE_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", e->leaf_hash[i]);
	json_array_append_new(a, json_pack("{s:I, s:s}", "leaf_index",
	                                   (json_int_t)e->leaf_index,
	                                   "leaf_hash", hex));
	return 0;
}

/*
 * The leaves whose tracker code (the first 10 hex digits of the leaf
 * hash, protocol.md section 8) is the one given: how the board page
 * finds a voter's ballot without the whole receipt.
 */
void bd_h_board_find(struct bd_req *req)
{
	store_reader *rd = bd_thread_of(req)->rd;
	const char *t = bd_req_query(req, "tracker");
	char digits[11];
	uint8_t prefix[5];
	size_t n = 0, got = 0;
	store_poll sp;
	store_error err;
	store_status st;
	json_t *a;

	if (bd_public_poll(req, &sp) == -1)
		return;
	for (; t != NULL && *t != '\0' && n <= 10; t++) {
		if (*t == '-' && n == 5)
			continue;
		if (!((*t >= '0' && *t <= '9') || (*t >= 'a' && *t <= 'f') ||
		      (*t >= 'A' && *t <= 'F')) ||
		    n == 10) {
			n = 11;
			break;
		}
		digits[n++] = (char)(*t | 0x20);
	}
	if (n != 10 ||
	    bc_hex_decode(digits, 10, prefix, sizeof(prefix), &got) != BC_OK ||
	    got != sizeof(prefix)) {
		bd_reply_error(req, 400, "bad_request",
		               "tracker: expected a tracker code of 10 hex "
		               "digits, as abcde-fghij");
		goto out;
	}
	if ((a = json_array()) == NULL) {
		bd_reply_error(req, 503, "unavailable", "out of memory");
		goto out;
	}
	st = store_leaves_by_prefix(rd, sp.id, prefix, sizeof(prefix),
	                            BD_FIND_MAX, bd_find_fn, a, &err);
	if (st != STORE_OK) {
		json_decref(a);
		bd_reply_store_error(req, st, &err, "board");
		goto out;
	}
	bd_reply_json(req, 200, json_pack("{s:o}", "matches", a));
out:
	store_poll_clear(&sp);
}
