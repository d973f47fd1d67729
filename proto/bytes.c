/*
 * bytes.c: the byte records of protocol.md section 2, the exact bytes
 * that are hashed or signed.  Each record is lp(label) followed by its
 * fields, every one inside its own lp, numbers included.
 */
#include "proto_int.h"

#include "bcrypto.h"
#include "sign.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

void proto_buf_free(proto_buf *b)
{
	if (b->p != NULL) {
		bc_wipe(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof *b);
}

static int reserve(proto_buf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (b->failed)
		return -1;
	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX / 2 - b->len) {
		b->failed = 1;
		return -1;
	}
	cap = b->cap ? b->cap : 64;
	while (cap - b->len < n)
		cap *= 2;
	/* Not realloc: the old block is wiped before it is given back. */
	if ((p = malloc(cap)) == NULL) {
		b->failed = 1;
		return -1;
	}
	if (b->len)
		memcpy(p, b->p, b->len);
	if (b->p != NULL) {
		bc_wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void proto_buf_raw(proto_buf *b, const void *p, size_t n)
{
	if (reserve(b, n) != 0)
		return;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

void proto_buf_u64(proto_buf *b, uint64_t n)
{
	uint8_t x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(n >> (56 - 8 * i));
	proto_buf_raw(b, x, 8);
}

void proto_buf_lp(proto_buf *b, const void *p, size_t n)
{
	uint8_t x[4];

	if ((uint64_t)n > 0xffffffffu) {
		b->failed = 1;
		return;
	}
	x[0] = (uint8_t)(n >> 24);
	x[1] = (uint8_t)(n >> 16);
	x[2] = (uint8_t)(n >> 8);
	x[3] = (uint8_t)n;
	if (reserve(b, 4 + n) != 0)
		return;
	proto_buf_raw(b, x, 4);
	proto_buf_raw(b, p, n);
}

void proto_buf_lp_str(proto_buf *b, const char *s)
{
	proto_buf_lp(b, s, strlen(s));
}

void proto_buf_lp_u64(proto_buf *b, uint64_t n)
{
	static const uint8_t len8[4] = {0, 0, 0, 8};

	proto_buf_raw(b, len8, 4);
	proto_buf_u64(b, n);
}

void proto_sha256(const void *p, size_t n, uint8_t out[PROTO_HASH_LEN])
{
	SHA256(p, n, out);
}

/* H(b), then b wiped and freed. */
static proto_status hash_and_free(proto_buf *b, uint8_t out[PROTO_HASH_LEN])
{
	if (b->failed) {
		proto_buf_free(b);
		return PROTO_ERR_NOMEM;
	}
	proto_sha256(b->p, b->len, out);
	proto_buf_free(b);
	return PROTO_OK;
}

proto_status proto_poll_hash(const void *def, size_t len,
                             uint8_t out[PROTO_HASH_LEN])
{
	proto_buf b = {0};

	proto_buf_lp_str(&b, "ballot-poll/v1");
	proto_buf_lp(&b, def, len);
	return hash_and_free(&b, out);
}

proto_status proto_credential_hash(const uint8_t poll_hash[PROTO_HASH_LEN],
                                   const char *voter_id,
                                   const uint8_t s[PROTO_SECRET_LEN],
                                   uint8_t out[PROTO_HASH_LEN])
{
	proto_buf b = {0};

	proto_buf_lp_str(&b, "ballot-credential/v1");
	proto_buf_lp(&b, poll_hash, PROTO_HASH_LEN);
	proto_buf_lp_str(&b, voter_id);
	proto_buf_lp(&b, s, PROTO_SECRET_LEN);
	return hash_and_free(&b, out);
}

proto_status proto_pseudonym(const uint8_t poll_hash[PROTO_HASH_LEN],
                             const uint8_t s[PROTO_SECRET_LEN],
                             uint8_t out[PROTO_HASH_LEN])
{
	proto_buf b = {0};

	proto_buf_lp_str(&b, "ballot-pseudonym/v1");
	proto_buf_lp(&b, poll_hash, PROTO_HASH_LEN);
	proto_buf_lp(&b, s, PROTO_SECRET_LEN);
	return hash_and_free(&b, out);
}

proto_status proto_token_id(const char *class_id, const uint8_t *prepared,
                            size_t preplen, uint8_t out[PROTO_HASH_LEN])
{
	proto_buf b = {0};

	proto_buf_lp_str(&b, "ballot-token/v1");
	proto_buf_lp_str(&b, class_id);
	proto_buf_lp(&b, prepared, preplen);
	return hash_and_free(&b, out);
}

void proto_seal_info(proto_buf *b, const uint8_t poll_hash[PROTO_HASH_LEN],
                     const char *class_id)
{
	proto_buf_lp_str(b, "ballot-seal/v1");
	proto_buf_lp(b, poll_hash, PROTO_HASH_LEN);
	proto_buf_lp_str(b, class_id);
}

void proto_board_entry(proto_buf *b, const uint8_t poll_hash[PROTO_HASH_LEN],
                       const char *class_id, const uint8_t *token,
                       size_t toklen, const uint8_t *sig, size_t siglen,
                       const uint8_t *ballot, size_t ballot_len,
                       const uint8_t *cast_sig, size_t cast_sig_len)
{
	/* v2: v1 had no cast_sig, so anyone could revote with a token
	 * copied from the board (threat-model.md, "Revoting"). */
	proto_buf_lp_str(b, "ballot-entry/v2");
	proto_buf_lp(b, poll_hash, PROTO_HASH_LEN);
	proto_buf_lp_str(b, class_id);
	proto_buf_lp(b, token, toklen);
	proto_buf_lp(b, sig, siglen);
	proto_buf_lp(b, ballot, ballot_len);
	proto_buf_lp(b, cast_sig, cast_sig_len);
}

void proto_cast_bytes(proto_buf *b, const uint8_t poll_hash[PROTO_HASH_LEN],
                      const char *class_id, const uint8_t *token, size_t toklen,
                      const uint8_t *ballot, size_t ballot_len)
{
	proto_buf_lp_str(b, "ballot-cast/v1");
	proto_buf_lp(b, poll_hash, PROTO_HASH_LEN);
	proto_buf_lp_str(b, class_id);
	proto_buf_lp(b, token, toklen);
	proto_buf_lp(b, ballot, ballot_len);
}

proto_status proto_cast_sign(const uint8_t sk[32],
                             const uint8_t poll_hash[PROTO_HASH_LEN],
                             const char *class_id, const uint8_t *token,
                             size_t toklen, const uint8_t *ballot,
                             size_t ballot_len, uint8_t sig[PROTO_SIG_LEN])
{
	proto_buf b = {0};
	bc_status st;

	if (toklen != PROTO_TOKEN_LEN)
		return PROTO_ERR_VALUE;
	proto_cast_bytes(&b, poll_hash, class_id, token, toklen, ballot,
	                 ballot_len);
	if (b.failed) {
		proto_buf_free(&b);
		return PROTO_ERR_NOMEM;
	}
	st = bc_ed25519_sign(sk, b.p, b.len, sig);
	proto_buf_free(&b);
	return st == BC_OK          ? PROTO_OK
	       : st == BC_ERR_NOMEM ? PROTO_ERR_NOMEM
	                            : PROTO_ERR_VALUE;
}

proto_status proto_cast_verify(const uint8_t poll_hash[PROTO_HASH_LEN],
                               const char *class_id, const uint8_t *token,
                               size_t toklen, const uint8_t *ballot,
                               size_t ballot_len, const uint8_t *cast_sig,
                               size_t cast_sig_len)
{
	proto_buf b = {0};
	bc_status st;

	if (toklen != PROTO_TOKEN_LEN || cast_sig_len != PROTO_SIG_LEN)
		return PROTO_ERR_VALUE;
	proto_cast_bytes(&b, poll_hash, class_id, token, toklen, ballot,
	                 ballot_len);
	if (b.failed) {
		proto_buf_free(&b);
		return PROTO_ERR_NOMEM;
	}
	st = bc_ed25519_verify(token + PROTO_TOKEN_MSG_OFF, b.p, b.len,
	                       cast_sig);
	proto_buf_free(&b);
	return st == BC_OK ? PROTO_OK : PROTO_ERR_VALUE;
}

void proto_receipt_bytes(proto_buf *b, const uint8_t poll_hash[PROTO_HASH_LEN],
                         uint64_t leaf_index,
                         const uint8_t leaf_hash[PROTO_HASH_LEN],
                         uint64_t tree_size, const uint8_t root[PROTO_HASH_LEN])
{
	proto_buf_lp_str(b, "ballot-receipt/v1");
	proto_buf_lp(b, poll_hash, PROTO_HASH_LEN);
	proto_buf_lp_u64(b, leaf_index);
	proto_buf_lp(b, leaf_hash, PROTO_HASH_LEN);
	proto_buf_lp_u64(b, tree_size);
	proto_buf_lp(b, root, PROTO_HASH_LEN);
}

void proto_state_record(proto_buf *b, const uint8_t poll_hash[PROTO_HASH_LEN],
                        uint64_t n, const char *kind, uint64_t time_ms,
                        const char *details, size_t details_len,
                        const uint8_t prev[PROTO_HASH_LEN])
{
	static const uint8_t zero[PROTO_HASH_LEN];

	proto_buf_lp_str(b, "ballot-state/v1");
	proto_buf_lp(b, poll_hash, PROTO_HASH_LEN);
	proto_buf_lp_u64(b, n);
	proto_buf_lp_str(b, kind);
	proto_buf_lp_u64(b, time_ms);
	proto_buf_lp(b, details, details_len);
	proto_buf_lp(b, prev != NULL ? prev : zero, PROTO_HASH_LEN);
}

proto_status proto_state_hash(const uint8_t poll_hash[PROTO_HASH_LEN],
                              uint64_t n, const char *kind, uint64_t time_ms,
                              const char *details, size_t details_len,
                              const uint8_t prev[PROTO_HASH_LEN],
                              uint8_t out[PROTO_HASH_LEN])
{
	proto_buf b = {0};

	proto_state_record(&b, poll_hash, n, kind, time_ms, details,
	                   details_len, prev);
	return hash_and_free(&b, out);
}

void proto_ceremony_bytes(proto_buf *b, const uint8_t poll_hash[PROTO_HASH_LEN],
                          const char *kind, uint64_t from, uint64_t to,
                          const uint8_t *body, size_t body_len)
{
	proto_buf_lp_str(b, "ballot-ceremony/v1");
	proto_buf_lp(b, poll_hash, PROTO_HASH_LEN);
	proto_buf_lp_str(b, kind);
	proto_buf_lp_u64(b, from);
	proto_buf_lp_u64(b, to);
	proto_buf_lp(b, body, body_len);
}

void proto_tracker(const uint8_t leaf_hash[PROTO_HASH_LEN],
                   char out[PROTO_TRACKER_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	/* Ten hex digits, a '-' after the fifth. */
	for (int i = 0; i < 5; i++) {
		out[o++] = hex[leaf_hash[i] >> 4];
		if (o == 5)
			out[o++] = '-';
		out[o++] = hex[leaf_hash[i] & 15];
		if (o == 5)
			out[o++] = '-';
	}
	out[o] = '\0';
}
