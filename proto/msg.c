/*
 * msg.c: the JSON messages of the API (api.md): the voter credential,
 * token request and answer, cast, signed tree head, receipt, ceremony
 * message and schedule.  Decoders refuse duplicate keys, unknown
 * members, wrong types and missing members, and decode every byte
 * string to the size the protocol fixes.
 */
#include "proto_int.h"

#include "bcrypto.h"

#include <stdlib.h>
#include <string.h>

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#define CRED_SYMBOLS 26 /* ceil(128 / 5) */

void proto_credential_format(const char *voter_id,
                             const uint8_t s[PROTO_SECRET_LEN],
                             char out[PROTO_CREDENTIAL_MAX + 1])
{
	size_t o, n = strlen(voter_id);
	unsigned acc = 0, bits = 0, sym = 0;
	size_t i = 0;

	if (n > PROTO_VOTER_ID_MAX)
		n = PROTO_VOTER_ID_MAX;
	memcpy(out, voter_id, n);
	o = n;
	out[o++] = ':';
	/* 128 bits, most significant first, padded with 2 zero bits. */
	while (sym < CRED_SYMBOLS) {
		if (bits < 5) {
			acc = (acc << 8) | (i < PROTO_SECRET_LEN ? s[i] : 0);
			i++;
			bits += 8;
		}
		if (sym > 0 && sym % 4 == 0)
			out[o++] = '-';
		out[o++] = crockford[(acc >> (bits - 5)) & 31];
		bits -= 5;
		sym++;
	}
	out[o] = '\0';
	bc_wipe(&acc, sizeof acc);
}

static int crockford_value(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'O')
		return 0;
	if (c == 'I' || c == 'L')
		return 1;
	for (int i = 0; i < 32; i++)
		if (crockford[i] == c)
			return i;
	return -1;
}

proto_status proto_credential_parse(const char *text, size_t len,
                                    proto_credential *out, proto_err *err)
{
	const char *colon = NULL;
	uint8_t s[PROTO_SECRET_LEN + 1] = {0};
	unsigned acc = 0, bits = 0, nsym = 0;
	size_t idlen, o = 0;

	for (size_t i = len; i > 0; i--)
		if (text[i - 1] == ':') {
			colon = text + i - 1;
			break;
		}
	if (colon == NULL)
		return proto_fail(
		    err, PROTO_ERR_VALUE,
		    "credential: expected \"<voter_id>:<secret>\"");
	idlen = (size_t)(colon - text);
	if (idlen == 0 || idlen > PROTO_VOTER_ID_MAX)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "credential: the voter id must have 1 to %d "
		                  "characters",
		                  PROTO_VOTER_ID_MAX);
	for (size_t i = 0; i < idlen; i++)
		if ((unsigned char)text[i] < 0x21 ||
		    (unsigned char)text[i] > 0x7e)
			return proto_fail(err, PROTO_ERR_VALUE,
			                  "credential: the voter id must be "
			                  "printable ASCII without spaces");
	for (const char *c = colon + 1; c < text + len; c++) {
		int v;

		if (*c == '-')
			continue;
		if ((v = crockford_value(*c)) < 0 || nsym == CRED_SYMBOLS) {
			bc_wipe(s, sizeof s);
			return proto_fail(err, PROTO_ERR_VALUE,
			                  "credential: the secret must be %d "
			                  "Crockford base32 characters",
			                  CRED_SYMBOLS);
		}
		nsym++;
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			s[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	/* 26 symbols = 16 bytes and 2 bits that must be zero. */
	if (nsym != CRED_SYMBOLS || (acc & ((1u << bits) - 1)) != 0) {
		bc_wipe(s, sizeof s);
		bc_wipe(&acc, sizeof acc);
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "credential: the secret must be %d Crockford "
		                  "base32 characters",
		                  CRED_SYMBOLS);
	}
	memcpy(out->voter_id, text, idlen);
	out->voter_id[idlen] = '\0';
	memcpy(out->s, s, PROTO_SECRET_LEN);
	bc_wipe(s, sizeof s);
	bc_wipe(&acc, sizeof acc);
	return PROTO_OK;
}

static void clear_err(proto_err *err)
{
	if (err != NULL) {
		err->msg[0] = '\0';
		err->line = err->column = 0;
	}
}

static proto_status check_klen(size_t klen, proto_err *err)
{
	if (klen == 0 || klen > PROTO_KEY_MAX)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "token key size %zu is not supported", klen);
	return PROTO_OK;
}

/* A required member decoded as base64url of exactly want bytes. */
static proto_status get_b64(json_t *obj, const pj_path *path, const char *name,
                            size_t want, uint8_t *out, size_t cap,
                            proto_err *err)
{
	json_t *v;
	pj_path p;
	proto_status st;

	if ((st = pj_get(obj, path, name, 1, 0, &v, err)) != PROTO_OK)
		return st;
	pj_member(&p, path, name);
	return pj_b64(v, &p, want, 0, out, cap, NULL, err);
}

static proto_status get_hex(json_t *obj, const pj_path *path, const char *name,
                            uint8_t out[PROTO_HASH_LEN], proto_err *err)
{
	json_t *v;
	pj_path p;
	proto_status st;

	if ((st = pj_get(obj, path, name, 1, 0, &v, err)) != PROTO_OK)
		return st;
	pj_member(&p, path, name);
	return pj_hex(v, &p, out, PROTO_HASH_LEN, err);
}

static proto_status get_u53(json_t *obj, const pj_path *path, const char *name,
                            int64_t lo, int64_t hi, uint64_t *out,
                            proto_err *err)
{
	json_t *v;
	pj_path p;
	int64_t x;
	proto_status st;

	if ((st = pj_get(obj, path, name, 1, 0, &v, err)) != PROTO_OK)
		return st;
	pj_member(&p, path, name);
	if ((st = pj_int(v, &p, lo, hi, &x, err)) != PROTO_OK)
		return st;
	*out = (uint64_t)x;
	return PROTO_OK;
}

/* "class", required or not: out is "" when an optional one is absent. */
static proto_status get_class_opt(json_t *obj, int required,
                                  char out[PROTO_CLASS_ID_MAX + 1],
                                  proto_err *err)
{
	json_t *v;
	pj_path p;
	const char *s;
	size_t n;
	proto_status st;

	out[0] = '\0';
	pj_member(&p, NULL, "class");
	if ((st = pj_get(obj, NULL, "class", required, 0, &v, err)) !=
	    PROTO_OK)
		return st;
	if (v == NULL)
		return PROTO_OK;
	if ((st = pj_string(v, &p, 1, PROTO_CLASS_ID_MAX, &s, &n, err)) !=
	    PROTO_OK)
		return st;
	if (!proto_class_syntax(s, n))
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "class: \"%.60s\" is not a class id (contest "
		                  "ids sorted, joined by '+', then '*' and a "
		                  "weight 1..1000)",
		                  s);
	memcpy(out, s, n);
	out[n] = '\0';
	return PROTO_OK;
}

static proto_status get_class(json_t *obj, char out[PROTO_CLASS_ID_MAX + 1],
                              proto_err *err)
{
	return get_class_opt(obj, 1, out, err);
}

proto_status proto_token_req_decode(const char *text, size_t len, size_t klen,
                                    proto_token_req *out, proto_err *err)
{
	static const char *const names[] = {"credential", "blinded", "class",
	                                    NULL};
	json_t *root, *v;
	const char *s;
	size_t n;
	pj_path p;
	proto_status st;

	clear_err(err);
	if ((st = check_klen(klen, err)) != PROTO_OK ||
	    (st = pj_load(text, len, &root, err)) != PROTO_OK)
		return st;
	pj_member(&p, NULL, "credential");
	if ((st = pj_object(root, NULL, names, err)) != PROTO_OK ||
	    (st = pj_get(root, NULL, "credential", 1, 0, &v, err)) !=
	        PROTO_OK ||
	    (st = pj_string(v, &p, 1, PROTO_CREDENTIAL_MAX + 16, &s, &n,
	                    err)) != PROTO_OK ||
	    (st = proto_credential_parse(s, n, &out->cred, err)) != PROTO_OK ||
	    (st = get_b64(root, NULL, "blinded", klen, out->blinded,
	                  sizeof out->blinded, err)) != PROTO_OK ||
	    (st = get_class_opt(root, 0, out->class_id, err)) != PROTO_OK)
		goto out;
	out->blinded_len = klen;
out:
	json_decref(root);
	if (st != PROTO_OK)
		bc_wipe(&out->cred, sizeof out->cred);
	return st;
}

json_t *proto_token_req_encode(const proto_token_req *m)
{
	char cred[PROTO_CREDENTIAL_MAX + 1];
	json_t *o = json_object();
	int ok = 1;

	proto_credential_format(m->cred.voter_id, m->cred.s, cred);
	pj_set(o, "credential", json_string(cred), &ok);
	pj_set(o, "blinded", pj_b64_new(m->blinded, m->blinded_len), &ok);
	if (m->class_id[0] != '\0')
		pj_set(o, "class", json_string(m->class_id), &ok);
	bc_wipe(cred, sizeof cred);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

proto_status proto_token_ans_decode(const char *text, size_t len, size_t klen,
                                    proto_token_ans *out, proto_err *err)
{
	static const char *const names[] = {"class", "blind_sig", NULL};
	json_t *root;
	proto_status st;

	clear_err(err);
	if ((st = check_klen(klen, err)) != PROTO_OK ||
	    (st = pj_load(text, len, &root, err)) != PROTO_OK)
		return st;
	if ((st = pj_object(root, NULL, names, err)) == PROTO_OK &&
	    (st = get_class(root, out->class_id, err)) == PROTO_OK &&
	    (st = get_b64(root, NULL, "blind_sig", klen, out->blind_sig,
	                  sizeof out->blind_sig, err)) == PROTO_OK)
		out->blind_sig_len = klen;
	json_decref(root);
	return st;
}

json_t *proto_token_ans_encode(const proto_token_ans *m)
{
	json_t *o = json_object();
	int ok = 1;

	pj_set(o, "class", json_string(m->class_id), &ok);
	pj_set(o, "blind_sig", pj_b64_new(m->blind_sig, m->blind_sig_len), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

proto_status proto_cast_decode(const char *text, size_t len, size_t klen,
                               uint32_t ballot_size, proto_cast *out,
                               proto_err *err)
{
	static const char *const names[] = {"class",  "token",    "sig",
	                                    "ballot", "cast_sig", NULL};
	json_t *root;
	size_t blen = (size_t)ballot_size + PROTO_SEAL_OVERHEAD;
	proto_status st;

	out->ballot = NULL;
	out->ballot_len = 0;
	clear_err(err);
	if ((st = check_klen(klen, err)) != PROTO_OK ||
	    (st = pj_load(text, len, &root, err)) != PROTO_OK)
		return st;
	if ((st = pj_object(root, NULL, names, err)) != PROTO_OK ||
	    (st = get_class(root, out->class_id, err)) != PROTO_OK ||
	    (st = get_b64(root, NULL, "token", PROTO_TOKEN_LEN, out->token,
	                  sizeof out->token, err)) != PROTO_OK ||
	    (st = get_b64(root, NULL, "sig", klen, out->sig, sizeof out->sig,
	                  err)) != PROTO_OK)
		goto out;
	out->sig_len = klen;
	if ((out->ballot = malloc(blen)) == NULL) {
		st = proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((st = get_b64(root, NULL, "ballot", blen, out->ballot, blen,
	                  err)) != PROTO_OK ||
	    (st = get_b64(root, NULL, "cast_sig", PROTO_SIG_LEN, out->cast_sig,
	                  sizeof out->cast_sig, err)) != PROTO_OK)
		goto out;
	out->ballot_len = blen;
out:
	json_decref(root);
	if (st != PROTO_OK) {
		free(out->ballot);
		out->ballot = NULL;
	}
	return st;
}

json_t *proto_cast_encode(const proto_cast *m)
{
	json_t *o = json_object();
	int ok = 1;

	pj_set(o, "class", json_string(m->class_id), &ok);
	pj_set(o, "token", pj_b64_new(m->token, PROTO_TOKEN_LEN), &ok);
	pj_set(o, "sig", pj_b64_new(m->sig, m->sig_len), &ok);
	pj_set(o, "ballot", pj_b64_new(m->ballot, m->ballot_len), &ok);
	pj_set(o, "cast_sig", pj_b64_new(m->cast_sig, PROTO_SIG_LEN), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static proto_status sth_from_json(json_t *v, const pj_path *path,
                                  proto_sth *out, proto_err *err)
{
	static const char *const names[] = {"tree_size",    "root",
	                                    "timestamp_ms", "poll_hash",
	                                    "signature",    NULL};
	proto_status st;

	if ((st = pj_object(v, path, names, err)) != PROTO_OK ||
	    (st = get_u53(v, path, "tree_size", 0, PROTO_JSON_INT_MAX,
	                  &out->tree_size, err)) != PROTO_OK ||
	    (st = get_hex(v, path, "root", out->root, err)) != PROTO_OK ||
	    (st = get_u53(v, path, "timestamp_ms", 0, PROTO_JSON_INT_MAX,
	                  &out->timestamp_ms, err)) != PROTO_OK ||
	    (st = get_hex(v, path, "poll_hash", out->poll_hash, err)) !=
	        PROTO_OK)
		return st;
	return get_b64(v, path, "signature", PROTO_SIG_LEN, out->signature,
	               sizeof out->signature, err);
}

proto_status proto_sth_decode(const char *text, size_t len, proto_sth *out,
                              proto_err *err)
{
	json_t *root;
	proto_status st;

	clear_err(err);
	if ((st = pj_load(text, len, &root, err)) != PROTO_OK)
		return st;
	st = sth_from_json(root, NULL, out, err);
	json_decref(root);
	return st;
}

json_t *proto_sth_encode(const proto_sth *m)
{
	json_t *o = json_object();
	int ok = 1;

	pj_set(o, "tree_size", json_integer((json_int_t)m->tree_size), &ok);
	pj_set(o, "root", pj_hex_new(m->root, PROTO_HASH_LEN), &ok);
	pj_set(o, "timestamp_ms", json_integer((json_int_t)m->timestamp_ms),
	       &ok);
	pj_set(o, "poll_hash", pj_hex_new(m->poll_hash, PROTO_HASH_LEN), &ok);
	pj_set(o, "signature", pj_b64_new(m->signature, PROTO_SIG_LEN), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static proto_status receipt_from_json(json_t *root, proto_receipt *out,
                                      proto_err *err)
{
	static const char *const names[] = {
	    "poll",      "poll_hash",   "leaf_index", "leaf_hash", "sth",
	    "inclusion", "receipt_sig", "tracker",    NULL};
	json_t *v;
	pj_path p;
	const char *s;
	size_t n;
	char tracker[PROTO_TRACKER_LEN + 1];
	proto_status st;

	if ((st = pj_object(root, NULL, names, err)) != PROTO_OK ||
	    (st = pj_get(root, NULL, "poll", 1, 0, &v, err)) != PROTO_OK)
		return st;
	pj_member(&p, NULL, "poll");
	if ((st = pj_string(v, &p, 1, PROTO_ID_MAX, &s, &n, err)) != PROTO_OK)
		return st;
	if (!proto_id_valid(s, n, PROTO_ID_MAX))
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "poll: expected [a-z0-9][a-z0-9-]{0,62}, "
		                  "found \"%.40s\"",
		                  s);
	memcpy(out->poll, s, n);
	out->poll[n] = '\0';
	if ((st = get_hex(root, NULL, "poll_hash", out->poll_hash, err)) !=
	        PROTO_OK ||
	    (st = get_u53(root, NULL, "leaf_index", 0, PROTO_JSON_INT_MAX - 1,
	                  &out->leaf_index, err)) != PROTO_OK ||
	    (st = get_hex(root, NULL, "leaf_hash", out->leaf_hash, err)) !=
	        PROTO_OK ||
	    (st = pj_get(root, NULL, "sth", 1, 0, &v, err)) != PROTO_OK)
		return st;
	pj_member(&p, NULL, "sth");
	if ((st = sth_from_json(v, &p, &out->sth, err)) != PROTO_OK)
		return st;
	if (memcmp(out->sth.poll_hash, out->poll_hash, PROTO_HASH_LEN) != 0)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "sth.poll_hash: not the receipt's poll_hash");
	if (out->leaf_index >= out->sth.tree_size)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "sth.tree_size: %llu does not cover "
		                  "leaf_index %llu",
		                  (unsigned long long)out->sth.tree_size,
		                  (unsigned long long)out->leaf_index);
	if ((st = pj_get(root, NULL, "inclusion", 1, 0, &v, err)) != PROTO_OK)
		return st;
	pj_member(&p, NULL, "inclusion");
	if (!json_is_array(v))
		return proto_fail(err, PROTO_ERR_SHAPE,
		                  "inclusion: expected an array");
	if (json_array_size(v) > PROTO_PROOF_MAX)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "inclusion: at most %d hashes, found %zu",
		                  PROTO_PROOF_MAX, json_array_size(v));
	out->ninclusion = json_array_size(v);
	for (size_t i = 0; i < out->ninclusion; i++) {
		pj_path q;

		pj_index(&q, &p, i);
		if ((st = pj_hex(json_array_get(v, i), &q, out->inclusion[i],
		                 PROTO_HASH_LEN, err)) != PROTO_OK)
			return st;
	}
	if ((st = get_b64(root, NULL, "receipt_sig", PROTO_SIG_LEN,
	                  out->receipt_sig, sizeof out->receipt_sig, err)) !=
	        PROTO_OK ||
	    (st = pj_get(root, NULL, "tracker", 1, 0, &v, err)) != PROTO_OK)
		return st;
	pj_member(&p, NULL, "tracker");
	if ((st = pj_string(v, &p, 0, 64, &s, &n, err)) != PROTO_OK)
		return st;
	proto_tracker(out->leaf_hash, tracker);
	if (n != PROTO_TRACKER_LEN || memcmp(s, tracker, n) != 0)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "tracker: expected \"%s\" (from leaf_hash), "
		                  "found \"%.20s\"",
		                  tracker, s);
	memcpy(out->tracker, tracker, sizeof tracker);
	return PROTO_OK;
}

proto_status proto_receipt_decode(const char *text, size_t len,
                                  proto_receipt *out, proto_err *err)
{
	json_t *root;
	proto_status st;

	clear_err(err);
	if ((st = pj_load(text, len, &root, err)) != PROTO_OK)
		return st;
	st = receipt_from_json(root, out, err);
	json_decref(root);
	return st;
}

json_t *proto_receipt_encode(const proto_receipt *m)
{
	json_t *o = json_object(), *inc = json_array();
	char tracker[PROTO_TRACKER_LEN + 1];
	int ok = inc != NULL;

	proto_tracker(m->leaf_hash, tracker);
	pj_set(o, "poll", json_string(m->poll), &ok);
	pj_set(o, "poll_hash", pj_hex_new(m->poll_hash, PROTO_HASH_LEN), &ok);
	pj_set(o, "leaf_index", json_integer((json_int_t)m->leaf_index), &ok);
	pj_set(o, "leaf_hash", pj_hex_new(m->leaf_hash, PROTO_HASH_LEN), &ok);
	pj_set(o, "sth", proto_sth_encode(&m->sth), &ok);
	for (size_t i = 0; ok && i < m->ninclusion; i++)
		if (json_array_append_new(
		        inc, pj_hex_new(m->inclusion[i], PROTO_HASH_LEN)) != 0)
			ok = 0;
	pj_set(o, "inclusion", inc, &ok);
	pj_set(o, "receipt_sig", pj_b64_new(m->receipt_sig, PROTO_SIG_LEN),
	       &ok);
	pj_set(o, "tracker", json_string(tracker), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char *const cer_names[] = {"commitments", "shares", "complaint",
                                        "answer",      "done",   "release"};

const char *proto_ceremony_kind_name(proto_ceremony_kind k)
{
	if ((unsigned)k < sizeof cer_names / sizeof cer_names[0])
		return cer_names[k];
	return NULL;
}

proto_status proto_ceremony_decode(const char *text, size_t len, size_t n,
                                   proto_ceremony_msg *out, proto_err *err)
{
	static const char *const names[] = {"kind", "from", "to",
	                                    "body", "sig",  NULL};
	json_t *root, *v;
	pj_path p;
	const char *s;
	uint64_t from, to;
	size_t k;
	proto_status st;

	out->body = NULL;
	out->body_len = 0;
	clear_err(err);
	if (n < 1 || n > PROTO_MAX_TRUSTEES)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "%zu trustees is not supported", n);
	if ((st = pj_load(text, len, &root, err)) != PROTO_OK)
		return st;
	pj_member(&p, NULL, "kind");
	if ((st = pj_object(root, NULL, names, err)) != PROTO_OK ||
	    (st = pj_get(root, NULL, "kind", 1, 0, &v, err)) != PROTO_OK ||
	    (st = pj_string(v, &p, 0, 64, &s, NULL, err)) != PROTO_OK)
		goto out;
	for (k = 0; k < sizeof cer_names / sizeof cer_names[0]; k++)
		if (strcmp(s, cer_names[k]) == 0)
			break;
	if (k == sizeof cer_names / sizeof cer_names[0]) {
		st = proto_fail(err, PROTO_ERR_VALUE,
		                "kind: expected commitments, shares, "
		                "complaint, answer, done or release, found "
		                "\"%.40s\"",
		                s);
		goto out;
	}
	out->kind = (proto_ceremony_kind)k;
	if ((st = get_u53(root, NULL, "from", 1, (int64_t)n, &from, err)) !=
	        PROTO_OK ||
	    (st = get_u53(root, NULL, "to", 0, (int64_t)n, &to, err)) !=
	        PROTO_OK)
		goto out;
	out->from = (uint32_t)from;
	out->to = (uint32_t)to;
	if (to == from) {
		st = proto_fail(err, PROTO_ERR_VALUE,
		                "to: a trustee does not write to itself");
		goto out;
	}
	if (out->kind == PROTO_CER_SHARES && to == 0) {
		st = proto_fail(err, PROTO_ERR_VALUE,
		                "to: shares go to one trustee (1 to %zu), not "
		                "to all",
		                n);
		goto out;
	}
	if ((out->kind == PROTO_CER_COMMITMENTS ||
	     out->kind == PROTO_CER_DONE || out->kind == PROTO_CER_RELEASE) &&
	    to != 0) {
		st = proto_fail(err, PROTO_ERR_VALUE,
		                "to: a \"%s\" message goes to all (0)",
		                cer_names[k]);
		goto out;
	}
	if ((st = pj_get(root, NULL, "body", 1, 0, &v, err)) != PROTO_OK)
		goto out;
	if ((out->body = malloc(PROTO_BODY_MAX)) == NULL) {
		st = proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
		goto out;
	}
	pj_member(&p, NULL, "body");
	if ((st = pj_b64(v, &p, 0, PROTO_BODY_MAX, out->body, PROTO_BODY_MAX,
	                 &out->body_len, err)) != PROTO_OK ||
	    (st = get_b64(root, NULL, "sig", PROTO_SIG_LEN, out->sig,
	                  sizeof out->sig, err)) != PROTO_OK)
		goto out;
out:
	json_decref(root);
	if (st != PROTO_OK) {
		free(out->body);
		out->body = NULL;
		out->body_len = 0;
	}
	return st;
}

json_t *proto_ceremony_encode(const proto_ceremony_msg *m)
{
	const char *kind = proto_ceremony_kind_name(m->kind);
	json_t *o;
	int ok = 1;

	if (kind == NULL)
		return NULL;
	o = json_object();
	pj_set(o, "kind", json_string(kind), &ok);
	pj_set(o, "from", json_integer(m->from), &ok);
	pj_set(o, "to", json_integer(m->to), &ok);
	pj_set(o, "body", pj_b64_new(m->body, m->body_len), &ok);
	pj_set(o, "sig", pj_b64_new(m->sig, PROTO_SIG_LEN), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

proto_status proto_schedule_decode(const char *text, size_t len,
                                   int64_t *opens_ms, int64_t *closes_ms,
                                   proto_err *err)
{
	static const char *const names[] = {"opens", "closes", NULL};
	static const char *const which[] = {"opens", "closes"};
	int64_t t[2];
	json_t *root;
	proto_status st;

	clear_err(err);
	if ((st = pj_load(text, len, &root, err)) != PROTO_OK)
		return st;
	if ((st = pj_object(root, NULL, names, err)) != PROTO_OK)
		goto out;
	for (int i = 0; i < 2; i++) {
		json_t *v = json_object_get(root, which[i]);
		const char *s;
		size_t n;
		pj_path p;

		t[i] = -1;
		if (v == NULL) {
			st = proto_fail(err, PROTO_ERR_SHAPE,
			                "(top level): missing member \"%s\"",
			                which[i]);
			goto out;
		}
		if (json_is_null(v))
			continue;
		pj_member(&p, NULL, which[i]);
		if ((st = pj_string(v, &p, 0, 64, &s, &n, err)) != PROTO_OK)
			goto out;
		if ((t[i] = proto_time_parse(s, n)) < 0) {
			st =
			    proto_fail(err, PROTO_ERR_VALUE,
			               "%s: expected an RFC 3339 UTC time such "
			               "as \"2026-12-01T09:00:00Z\", found "
			               "\"%.40s\"",
			               which[i], s);
			goto out;
		}
	}
	if (t[0] >= 0 && t[1] >= 0 && t[0] >= t[1]) {
		st = proto_fail(err, PROTO_ERR_VALUE,
		                "closes: must be later than opens");
		goto out;
	}
	*opens_ms = t[0];
	*closes_ms = t[1];
out:
	json_decref(root);
	return st;
}
