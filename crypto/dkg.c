/*
 * dkg.c: joint Feldman DKG on P-256 (Pedersen 1991; the complaint step of
 * Gennaro, Jarecki, Krawczyk, Rabin 1999, figure 2).  docs/crypto-dkg.md
 * is the specification; the section names in comments refer to it.
 *
 * Scalar multiplications by secrets (coefficients, shares, the rebuilt key)
 * go through EC_POINT_mul with the scalar as the generator multiplier,
 * which OpenSSL 3.0 computes in constant time for P-256 (a fixed-window
 * table walk in ecp_nistz256, or the Montgomery ladder of ec_mult.c);
 * secret BIGNUMs are allocated in the secure heap, marked BN_FLG_CONSTTIME
 * and cleared on free.
 */
#include "dkg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#define DOMAIN_POLL   "ballot-dkg-v1/poll"
#define DOMAIN_COMMIT "ballot-dkg-v1/commitments"
#define DOMAIN_SHARE  "ballot-dkg-v1/share"
#define SHARE_INFO_LEN (sizeof(DOMAIN_SHARE) - 1 + BC_DKG_HASH_LEN + 2)

/* The order q of the P-256 group (SEC 2, section 2.4.2). */
static const uint8_t p256_order[BC_DKG_SCALAR_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
	0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

struct bc_dkg_dealer {
	bc_dkg_params p;
	unsigned i;
	BIGNUM *a[BC_DKG_MAX_N]; /* secret: the coefficients of f_i */
	bc_dkg_commitments c;
};

/* The group and a BN_CTX, for the length of one call. */
struct grp {
	EC_GROUP *g;
	BN_CTX *bn;
	const BIGNUM *q;
};

__attribute__((format(printf, 2, 3))) static void
seterr(bc_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static bc_status grp_init(struct grp *G)
{
	G->g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	G->bn = BN_CTX_secure_new();
	if (G->g == NULL || G->bn == NULL) {
		EC_GROUP_free(G->g);
		BN_CTX_free(G->bn);
		G->g = NULL;
		G->bn = NULL;
		return BC_ERR_NOMEM;
	}
	G->q = EC_GROUP_get0_order(G->g);
	return BC_OK;
}

static void grp_free(struct grp *G)
{
	EC_GROUP_free(G->g);
	BN_CTX_free(G->bn);
}

static void points_free(EC_POINT **pts, unsigned count)
{
	for (unsigned t = 0; t < count; t++) {
		EC_POINT_free(pts[t]);
		pts[t] = NULL;
	}
}

static int params_ok(const bc_dkg_params *p)
{
	return p != NULL && p->k >= 1 && p->k <= p->n &&
	       p->n <= BC_DKG_MAX_N && p->poll_id_len >= 1 &&
	       p->poll_id_len <= BC_DKG_POLL_ID_MAX;
}

static int index_ok(const bc_dkg_params *p, unsigned i)
{
	return i >= 1 && i <= p->n;
}

static uint64_t all_mask(unsigned n)
{
	return n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
}

/* 1 if the big-endian s is below q; time independent of s. */
static int scalar_below_q(const uint8_t s[BC_DKG_SCALAR_LEN])
{
	unsigned borrow = 0;

	for (int b = BC_DKG_SCALAR_LEN - 1; b >= 0; b--) {
		unsigned d = (unsigned)s[b] - p256_order[b] - borrow;
		borrow = (d >> 8) & 1;
	}
	return (int)borrow;
}

static bc_status sha256_parts(uint8_t out[BC_DKG_HASH_LEN],
                              const void *const part[],
                              const size_t len[], size_t count)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned outlen = 0;
	bc_status st = BC_ERR_INTERNAL;

	if (md == NULL)
		return BC_ERR_NOMEM;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	for (size_t n = 0; n < count; n++)
		if (EVP_DigestUpdate(md, part[n], len[n]) != 1)
			goto out;
	if (EVP_DigestFinal_ex(md, out, &outlen) != 1 ||
	    outlen != BC_DKG_HASH_LEN)
		goto out;
	st = BC_OK;
out:
	EVP_MD_CTX_free(md);
	return st;
}

/* A point from its 65-byte uncompressed form; on the curve, not infinity. */
static bc_status point_load(struct grp *G, const uint8_t in[BC_DKG_POINT_LEN],
                            EC_POINT **out)
{
	EC_POINT *P;

	*out = NULL;
	/* Only the uncompressed form: oct2point would take hybrid 0x06/07. */
	if (in[0] != 0x04)
		return BC_ERR_INVALID;
	P = EC_POINT_new(G->g);
	if (P == NULL)
		return BC_ERR_NOMEM;
	/* oct2point checks that the point is on the curve; cofactor 1. */
	if (EC_POINT_oct2point(G->g, P, in, BC_DKG_POINT_LEN, G->bn) != 1) {
		EC_POINT_free(P);
		return BC_ERR_INVALID;
	}
	*out = P;
	return BC_OK;
}

/* BC_ERR_VERIFY for the point at infinity, which has no 65-byte form. */
static bc_status point_store(struct grp *G, const EC_POINT *P,
                             uint8_t out[BC_DKG_POINT_LEN])
{
	if (EC_POINT_is_at_infinity(G->g, P))
		return BC_ERR_VERIFY;
	if (EC_POINT_point2oct(G->g, P, POINT_CONVERSION_UNCOMPRESSED, out,
	                       BC_DKG_POINT_LEN, G->bn) != BC_DKG_POINT_LEN)
		return BC_ERR_INTERNAL;
	return BC_OK;
}

/* A secret scalar in the secure heap; BC_ERR_INVALID if not below q. */
static bc_status scalar_load(const uint8_t in[BC_DKG_SCALAR_LEN], BIGNUM **out)
{
	BIGNUM *s;

	*out = NULL;
	if (!scalar_below_q(in))
		return BC_ERR_INVALID;
	s = BN_secure_new();
	if (s == NULL)
		return BC_ERR_NOMEM;
	BN_set_flags(s, BN_FLG_CONSTTIME);
	if (BN_bin2bn(in, BC_DKG_SCALAR_LEN, s) == NULL) {
		BN_clear_free(s);
		return BC_ERR_INTERNAL;
	}
	*out = s;
	return BC_OK;
}

static bc_status scalar_store(const BIGNUM *s, uint8_t out[BC_DKG_SCALAR_LEN])
{
	return BN_bn2binpad(s, out, BC_DKG_SCALAR_LEN) == BC_DKG_SCALAR_LEN ?
	               BC_OK :
	               BC_ERR_INTERNAL;
}

/* s*G, s secret: the generator path of EC_POINT_mul (see the top). */
static bc_status mul_g(struct grp *G, const BIGNUM *s, EC_POINT **out)
{
	EC_POINT *P = EC_POINT_new(G->g);

	*out = NULL;
	if (P == NULL)
		return BC_ERR_NOMEM;
	if (EC_POINT_mul(G->g, P, s, NULL, NULL, G->bn) != 1) {
		EC_POINT_free(P);
		return BC_ERR_INTERNAL;
	}
	*out = P;
	return BC_OK;
}

/*
 * The k points of one dealer's commitments, checked: dealer index in range
 * and every point valid.  OUT: pts[0..k), freed by the caller.
 */
static bc_status commit_load(struct grp *G, const bc_dkg_params *p,
                             const bc_dkg_commitments *c, EC_POINT **pts,
                             bc_error *err)
{
	bc_status st;

	if (c == NULL || !index_ok(p, c->dealer)) {
		seterr(err, "commitments name no dealer in 1..%u", p->n);
		return BC_ERR_INVALID;
	}
	for (unsigned t = 0; t < p->k; t++) {
		st = point_load(G, c->c[t], &pts[t]);
		if (st != BC_OK) {
			points_free(pts, t);
			seterr(err, "dealer %u's commitment %u is not an "
			       "uncompressed point on P-256", c->dealer, t);
			return st;
		}
	}
	return BC_OK;
}

/*
 * A[t] = sum over i in QUAL of C_it, so that X_j = sum_t A[t] * j^t and
 * Y = A[0].  OUT: A[0..k), freed by the caller.
 */
static bc_status aggregate_load(struct grp *G, const bc_dkg_params *p,
                                const bc_dkg_commitments *const commits[],
                                uint64_t qual, EC_POINT **A, bc_error *err)
{
	EC_POINT *C[BC_DKG_MAX_N] = { 0 };
	bc_status st;
	unsigned t;

	if (qual == 0 || (qual & ~all_mask(p->n)) != 0) {
		seterr(err, "QUAL must be a non-empty subset of 1..%u", p->n);
		return BC_ERR_INVALID;
	}
	for (t = 0; t < p->k; t++) {
		A[t] = EC_POINT_new(G->g);
		if (A[t] == NULL || EC_POINT_set_to_infinity(G->g, A[t]) != 1) {
			points_free(A, t + 1);
			return BC_ERR_NOMEM;
		}
	}
	for (unsigned i = 1; i <= p->n; i++) {
		if (!(qual >> (i - 1) & 1))
			continue;
		if (commits[i - 1] == NULL || commits[i - 1]->dealer != i) {
			seterr(err, "no commitments from dealer %u, who is in "
			       "QUAL", i);
			st = BC_ERR_INVALID;
			goto fail;
		}
		st = commit_load(G, p, commits[i - 1], C, err);
		if (st != BC_OK)
			goto fail;
		for (t = 0; t < p->k; t++)
			if (EC_POINT_add(G->g, A[t], A[t], C[t], G->bn) != 1)
				break;
		points_free(C, p->k);
		if (t < p->k) {
			st = BC_ERR_INTERNAL;
			goto fail;
		}
	}
	return BC_OK;
fail:
	points_free(A, p->k);
	return st;
}

/* out = sum_t C[t] * j^t, by Horner's rule in the exponent; public. */
static bc_status commit_eval(struct grp *G, unsigned k, EC_POINT *const *C,
                             unsigned j, EC_POINT **out)
{
	EC_POINT *R = EC_POINT_dup(C[k - 1], G->g);
	EC_POINT *T = EC_POINT_new(G->g);
	BIGNUM *jb = BN_new();
	bc_status st = BC_ERR_INTERNAL;

	*out = NULL;
	if (R == NULL || T == NULL || jb == NULL) {
		st = BC_ERR_NOMEM;
		goto out;
	}
	if (BN_set_word(jb, j) != 1)
		goto out;
	for (unsigned t = k - 1; t-- > 0;) {
		if (EC_POINT_mul(G->g, T, NULL, R, jb, G->bn) != 1 ||
		    EC_POINT_add(G->g, R, T, C[t], G->bn) != 1)
			goto out;
	}
	*out = R;
	R = NULL;
	st = BC_OK;
out:
	EC_POINT_free(R);
	EC_POINT_free(T);
	BN_free(jb);
	return st;
}

/* 1 if s*G == E (s a scalar below q), 0 if not, -1 on an internal error. */
static int scalar_matches(struct grp *G, const BIGNUM *s, const EC_POINT *E)
{
	EC_POINT *S;
	int r;

	if (mul_g(G, s, &S) != BC_OK)
		return -1;
	r = EC_POINT_cmp(G->g, S, E, G->bn);
	EC_POINT_free(S);
	return r == 0 ? 1 : r == 1 ? 0 : -1;
}

/* ---- Parameters and hashes ---- */

bc_status bc_dkg_params_init(bc_dkg_params *p, const uint8_t *poll_id,
                             size_t poll_id_len, unsigned n, unsigned k)
{
	uint8_t lens[3];
	const void *part[5];
	size_t len[5];

	if (p == NULL || poll_id == NULL || poll_id_len < 1 ||
	    poll_id_len > BC_DKG_POLL_ID_MAX || k < 1 || k > n ||
	    n > BC_DKG_MAX_N)
		return BC_ERR_RANGE;
	memset(p, 0, sizeof(*p));
	memcpy(p->poll_id, poll_id, poll_id_len);
	p->poll_id_len = poll_id_len;
	p->n = n;
	p->k = k;
	/* ctx = SHA-256(DOMAIN_POLL || len || poll_id || n || k). */
	lens[0] = (uint8_t)poll_id_len;
	lens[1] = (uint8_t)n;
	lens[2] = (uint8_t)k;
	part[0] = DOMAIN_POLL;
	len[0] = sizeof(DOMAIN_POLL) - 1;
	part[1] = &lens[0];
	len[1] = 1;
	part[2] = poll_id;
	len[2] = poll_id_len;
	part[3] = &lens[1];
	len[3] = 2;
	return sha256_parts(p->ctx, part, len, 4);
}

bc_status bc_dkg_commitments_hash(const bc_dkg_params *p,
                                  const bc_dkg_commitments *c,
                                  uint8_t h[BC_DKG_HASH_LEN])
{
	uint8_t enc[BC_DKG_COMMIT_MAX_LEN];
	const void *part[3];
	size_t len[3];
	bc_status st;

	if (!params_ok(p) || c == NULL)
		return BC_ERR_INVALID;
	st = bc_dkg_commitments_encode(p, c, enc, BC_DKG_COMMIT_LEN(p->k));
	if (st != BC_OK)
		return st;
	part[0] = DOMAIN_COMMIT;
	len[0] = sizeof(DOMAIN_COMMIT) - 1;
	part[1] = p->ctx;
	len[1] = BC_DKG_HASH_LEN;
	part[2] = enc;
	len[2] = BC_DKG_COMMIT_LEN(p->k);
	return sha256_parts(h, part, len, 3);
}

/* info = DOMAIN_SHARE || ctx || i || j ("Sealing a share"). */
static void share_info(const bc_dkg_params *p, unsigned i, unsigned j,
                       uint8_t info[SHARE_INFO_LEN])
{
	size_t o = sizeof(DOMAIN_SHARE) - 1;

	memcpy(info, DOMAIN_SHARE, o);
	memcpy(info + o, p->ctx, BC_DKG_HASH_LEN);
	o += BC_DKG_HASH_LEN;
	info[o++] = (uint8_t)i;
	info[o++] = (uint8_t)j;
}

/* ---- Encodings ("Messages") ---- */

bc_status bc_dkg_commitments_encode(const bc_dkg_params *p,
                                    const bc_dkg_commitments *c, uint8_t *out,
                                    size_t outlen)
{
	if (!params_ok(p) || c == NULL || out == NULL ||
	    !index_ok(p, c->dealer))
		return BC_ERR_INVALID;
	if (outlen != BC_DKG_COMMIT_LEN(p->k))
		return BC_ERR_RANGE;
	out[0] = (uint8_t)c->dealer;
	out[1] = (uint8_t)p->n;
	out[2] = (uint8_t)p->k;
	for (unsigned t = 0; t < p->k; t++)
		memcpy(out + 3 + (size_t)t * BC_DKG_POINT_LEN, c->c[t],
		       BC_DKG_POINT_LEN);
	return BC_OK;
}

bc_status bc_dkg_commitments_decode(const bc_dkg_params *p, const uint8_t *in,
                                    size_t inlen, bc_dkg_commitments *out,
                                    bc_error *err)
{
	EC_POINT *pts[BC_DKG_MAX_N] = { 0 };
	struct grp G;
	bc_status st;

	if (!params_ok(p) || in == NULL || out == NULL)
		return BC_ERR_INVALID;
	if (inlen != BC_DKG_COMMIT_LEN(p->k) || inlen < 3) {
		seterr(err, "commitments are %zu bytes, not %zu", inlen,
		       BC_DKG_COMMIT_LEN(p->k));
		return BC_ERR_INVALID;
	}
	if (!index_ok(p, in[0])) {
		seterr(err, "commitments name dealer %u, outside 1..%u",
		       in[0], p->n);
		return BC_ERR_INVALID;
	}
	if (in[1] != p->n || in[2] != p->k) {
		seterr(err, "dealer %u's commitments are for n=%u, k=%u, "
		       "not n=%u, k=%u", in[0], in[1], in[2], p->n, p->k);
		return BC_ERR_INVALID;
	}
	memset(out, 0, sizeof(*out));
	out->dealer = in[0];
	for (unsigned t = 0; t < p->k; t++)
		memcpy(out->c[t], in + 3 + (size_t)t * BC_DKG_POINT_LEN,
		       BC_DKG_POINT_LEN);
	st = grp_init(&G);
	if (st != BC_OK)
		return st;
	st = commit_load(&G, p, out, pts, err);
	if (st == BC_OK)
		points_free(pts, p->k);
	grp_free(&G);
	return st;
}

static int pair_ok(const bc_dkg_params *p, unsigned a, unsigned b)
{
	return index_ok(p, a) && index_ok(p, b) && a != b;
}

bc_status bc_dkg_sealed_encode(const bc_dkg_params *p,
                               const bc_dkg_sealed_share *s,
                               uint8_t out[BC_DKG_SEALED_LEN])
{
	if (!params_ok(p) || s == NULL || out == NULL ||
	    !pair_ok(p, s->dealer, s->recipient))
		return BC_ERR_INVALID;
	out[0] = (uint8_t)s->dealer;
	out[1] = (uint8_t)s->recipient;
	memcpy(out + 2, s->enc, BC_HPKE_ENC_LEN);
	memcpy(out + 2 + BC_HPKE_ENC_LEN, s->ct, BC_DKG_SEALED_CT_LEN);
	return BC_OK;
}

bc_status bc_dkg_sealed_decode(const bc_dkg_params *p,
                               const uint8_t in[BC_DKG_SEALED_LEN],
                               bc_dkg_sealed_share *out, bc_error *err)
{
	if (!params_ok(p) || in == NULL || out == NULL)
		return BC_ERR_INVALID;
	if (!pair_ok(p, in[0], in[1])) {
		seterr(err, "sealed share from dealer %u to trustee %u: not "
		       "two distinct trustees in 1..%u", in[0], in[1], p->n);
		return BC_ERR_INVALID;
	}
	out->dealer = in[0];
	out->recipient = in[1];
	memcpy(out->enc, in + 2, BC_HPKE_ENC_LEN);
	memcpy(out->ct, in + 2 + BC_HPKE_ENC_LEN, BC_DKG_SEALED_CT_LEN);
	return BC_OK;
}

bc_status bc_dkg_complaint_encode(const bc_dkg_params *p,
                                  const bc_dkg_complaint *c,
                                  uint8_t out[BC_DKG_COMPLAINT_LEN])
{
	if (!params_ok(p) || c == NULL || out == NULL ||
	    !pair_ok(p, c->accuser, c->dealer) ||
	    (c->reason != BC_DKG_BAD_SEAL && c->reason != BC_DKG_BAD_SHARE))
		return BC_ERR_INVALID;
	out[0] = (uint8_t)c->accuser;
	out[1] = (uint8_t)c->dealer;
	out[2] = (uint8_t)c->reason;
	return BC_OK;
}

bc_status bc_dkg_complaint_decode(const bc_dkg_params *p,
                                  const uint8_t in[BC_DKG_COMPLAINT_LEN],
                                  bc_dkg_complaint *out, bc_error *err)
{
	if (!params_ok(p) || in == NULL || out == NULL)
		return BC_ERR_INVALID;
	if (!pair_ok(p, in[0], in[1])) {
		seterr(err, "complaint by trustee %u against dealer %u: not "
		       "two distinct trustees in 1..%u", in[0], in[1], p->n);
		return BC_ERR_INVALID;
	}
	if (in[2] != BC_DKG_BAD_SEAL && in[2] != BC_DKG_BAD_SHARE) {
		seterr(err, "complaint by trustee %u against dealer %u gives "
		       "unknown reason %u", in[0], in[1], in[2]);
		return BC_ERR_INVALID;
	}
	out->accuser = in[0];
	out->dealer = in[1];
	out->reason = in[2];
	return BC_OK;
}

bc_status bc_dkg_answer_encode(const bc_dkg_params *p, const bc_dkg_answer *a,
                               uint8_t out[BC_DKG_ANSWER_LEN])
{
	if (!params_ok(p) || a == NULL || out == NULL ||
	    !pair_ok(p, a->dealer, a->accuser))
		return BC_ERR_INVALID;
	out[0] = (uint8_t)a->dealer;
	out[1] = (uint8_t)a->accuser;
	memcpy(out + 2, a->share, BC_DKG_SCALAR_LEN);
	return BC_OK;
}

bc_status bc_dkg_answer_decode(const bc_dkg_params *p,
                               const uint8_t in[BC_DKG_ANSWER_LEN],
                               bc_dkg_answer *out, bc_error *err)
{
	if (!params_ok(p) || in == NULL || out == NULL)
		return BC_ERR_INVALID;
	if (!pair_ok(p, in[0], in[1])) {
		seterr(err, "answer by dealer %u to trustee %u: not two "
		       "distinct trustees in 1..%u", in[0], in[1], p->n);
		return BC_ERR_INVALID;
	}
	if (!scalar_below_q(in + 2)) {
		seterr(err, "dealer %u's answer to trustee %u is not a "
		       "scalar below the group order", in[0], in[1]);
		return BC_ERR_INVALID;
	}
	out->dealer = in[0];
	out->accuser = in[1];
	memcpy(out->share, in + 2, BC_DKG_SCALAR_LEN);
	return BC_OK;
}

bc_status bc_dkg_release_encode(const bc_dkg_params *p,
                                const bc_dkg_release *r,
                                uint8_t out[BC_DKG_RELEASE_LEN])
{
	if (!params_ok(p) || r == NULL || out == NULL ||
	    !index_ok(p, r->trustee))
		return BC_ERR_INVALID;
	out[0] = (uint8_t)r->trustee;
	memcpy(out + 1, r->share, BC_DKG_SCALAR_LEN);
	return BC_OK;
}

bc_status bc_dkg_release_decode(const bc_dkg_params *p,
                                const uint8_t in[BC_DKG_RELEASE_LEN],
                                bc_dkg_release *out, bc_error *err)
{
	if (!params_ok(p) || in == NULL || out == NULL)
		return BC_ERR_INVALID;
	if (!index_ok(p, in[0])) {
		seterr(err, "released share names trustee %u, outside 1..%u",
		       in[0], p->n);
		return BC_ERR_INVALID;
	}
	if (!scalar_below_q(in + 1)) {
		seterr(err, "trustee %u's released share is not a scalar "
		       "below the group order", in[0]);
		return BC_ERR_INVALID;
	}
	out->trustee = in[0];
	memcpy(out->share, in + 1, BC_DKG_SCALAR_LEN);
	return BC_OK;
}

/* ---- Dealer ("Round 1") ---- */

void bc_dkg_dealer_free(bc_dkg_dealer *d)
{
	if (d == NULL)
		return;
	for (unsigned t = 0; t < BC_DKG_MAX_N; t++)
		BN_clear_free(d->a[t]);
	OPENSSL_clear_free(d, sizeof(*d));
}

bc_status bc_dkg_dealer_new(const bc_dkg_params *p, unsigned i,
                            bc_dkg_dealer **out)
{
	bc_dkg_dealer *d;
	EC_POINT *C = NULL;
	struct grp G;
	bc_status st;

	if (out == NULL)
		return BC_ERR_INVALID;
	*out = NULL;
	if (!params_ok(p) || !index_ok(p, i))
		return BC_ERR_INVALID;
	st = grp_init(&G);
	if (st != BC_OK)
		return st;
	d = OPENSSL_zalloc(sizeof(*d));
	if (d == NULL) {
		st = BC_ERR_NOMEM;
		goto out;
	}
	d->p = *p;
	d->i = i;
	d->c.dealer = i;
	for (unsigned t = 0; t < p->k; t++) {
		d->a[t] = BN_secure_new();
		if (d->a[t] == NULL) {
			st = BC_ERR_NOMEM;
			goto out;
		}
		BN_set_flags(d->a[t], BN_FLG_CONSTTIME);
		/*
		 * Uniform in [1, q-1]: a_i0 must not be 0, and a nonzero
		 * a_it keeps every C_it finite so that it has a 65-byte
		 * form (the odds of redrawing are 2^-256 per coefficient).
		 */
		do {
			if (BN_priv_rand_range_ex(d->a[t], G.q, 0, G.bn) != 1) {
				st = BC_ERR_INTERNAL;
				goto out;
			}
		} while (BN_is_zero(d->a[t]));
		st = mul_g(&G, d->a[t], &C);
		if (st != BC_OK)
			goto out;
		st = point_store(&G, C, d->c.c[t]);
		EC_POINT_free(C);
		C = NULL;
		if (st != BC_OK) {
			st = BC_ERR_INTERNAL;
			goto out;
		}
	}
	*out = d;
	d = NULL;
out:
	bc_dkg_dealer_free(d);
	grp_free(&G);
	return st;
}

bc_status bc_dkg_dealer_commitments(const bc_dkg_dealer *d,
                                    bc_dkg_commitments *c)
{
	if (d == NULL || c == NULL)
		return BC_ERR_INVALID;
	*c = d->c;
	return BC_OK;
}

/* s = f_i(j) mod q by Horner's rule.  OUT: s (secret, 32 bytes). */
static bc_status dealer_eval(const bc_dkg_dealer *d, unsigned j,
                             uint8_t s[BC_DKG_SCALAR_LEN])
{
	struct grp G;
	BIGNUM *acc, *jb;
	bc_status st;

	st = grp_init(&G);
	if (st != BC_OK)
		return st;
	BN_CTX_start(G.bn);
	acc = BN_CTX_get(G.bn);
	jb = BN_CTX_get(G.bn);
	st = BC_ERR_INTERNAL;
	if (jb == NULL)
		goto out;
	BN_set_flags(acc, BN_FLG_CONSTTIME);
	if (BN_copy(acc, d->a[d->p.k - 1]) == NULL || BN_set_word(jb, j) != 1)
		goto out;
	for (unsigned t = d->p.k - 1; t-- > 0;)
		if (BN_mod_mul(acc, acc, jb, G.q, G.bn) != 1 ||
		    BN_mod_add(acc, acc, d->a[t], G.q, G.bn) != 1)
			goto out;
	st = scalar_store(acc, s);
out:
	if (acc != NULL)
		BN_clear(acc);
	BN_CTX_end(G.bn);
	grp_free(&G);
	return st;
}

bc_status bc_dkg_dealer_seal(const bc_dkg_dealer *d, unsigned j,
                             const uint8_t pk_j[BC_HPKE_PK_LEN],
                             bc_dkg_sealed_share *out)
{
	uint8_t info[SHARE_INFO_LEN], aad[BC_DKG_HASH_LEN];
	uint8_t s[BC_DKG_SCALAR_LEN];
	bc_status st;

	if (d == NULL || pk_j == NULL || out == NULL ||
	    !pair_ok(&d->p, d->i, j))
		return BC_ERR_INVALID;
	st = bc_dkg_commitments_hash(&d->p, &d->c, aad);
	if (st != BC_OK)
		return st;
	share_info(&d->p, d->i, j, info);
	st = dealer_eval(d, j, s);
	if (st != BC_OK)
		return st;
	out->dealer = d->i;
	out->recipient = j;
	st = bc_hpke_seal(pk_j, info, sizeof(info), aad, sizeof(aad), s,
	                  sizeof(s), out->enc, out->ct);
	bc_wipe(s, sizeof(s));
	return st;
}

bc_status bc_dkg_dealer_own_share(const bc_dkg_dealer *d,
                                  uint8_t s[BC_DKG_SCALAR_LEN])
{
	if (d == NULL || s == NULL)
		return BC_ERR_INVALID;
	return dealer_eval(d, d->i, s);
}

bc_status bc_dkg_dealer_answer(const bc_dkg_dealer *d,
                               const bc_dkg_complaint *c, bc_dkg_answer *out)
{
	if (d == NULL || c == NULL || out == NULL || c->dealer != d->i ||
	    !pair_ok(&d->p, c->accuser, d->i))
		return BC_ERR_INVALID;
	out->dealer = d->i;
	out->accuser = c->accuser;
	/* Public from now on: see "Complaints" for why this is safe. */
	return dealer_eval(d, c->accuser, out->share);
}

/* ---- Checks ("Round 2", "Round 3") ---- */

/* Feldman check of share for trustee j against c (already loaded). */
static bc_status share_check(struct grp *G, const bc_dkg_params *p,
                             EC_POINT *const *C, unsigned dealer, unsigned j,
                             const uint8_t share[BC_DKG_SCALAR_LEN],
                             bc_error *err)
{
	EC_POINT *E = NULL;
	BIGNUM *s = NULL;
	bc_status st;
	int r;

	st = scalar_load(share, &s);
	if (st == BC_ERR_INVALID) {
		seterr(err, "dealer %u's share for trustee %u is not below "
		       "the group order", dealer, j);
		return BC_ERR_VERIFY;
	}
	if (st != BC_OK)
		return st;
	st = commit_eval(G, p->k, C, j, &E);
	if (st != BC_OK)
		goto out;
	r = scalar_matches(G, s, E);
	if (r < 0) {
		st = BC_ERR_INTERNAL;
	} else if (r == 0) {
		seterr(err, "dealer %u's share for trustee %u does not match "
		       "dealer %u's commitments", dealer, j, dealer);
		st = BC_ERR_VERIFY;
	}
out:
	EC_POINT_free(E);
	BN_clear_free(s);
	return st;
}

bc_status bc_dkg_check_share(const bc_dkg_params *p,
                             const bc_dkg_commitments *c, unsigned j,
                             const uint8_t share[BC_DKG_SCALAR_LEN],
                             bc_error *err)
{
	EC_POINT *C[BC_DKG_MAX_N] = { 0 };
	struct grp G;
	bc_status st;

	if (!params_ok(p) || c == NULL || share == NULL || !index_ok(p, j))
		return BC_ERR_INVALID;
	st = grp_init(&G);
	if (st != BC_OK)
		return st;
	st = commit_load(&G, p, c, C, err);
	if (st == BC_OK) {
		st = share_check(&G, p, C, c->dealer, j, share, err);
		points_free(C, p->k);
	}
	grp_free(&G);
	return st;
}

bc_status bc_dkg_open_share(const bc_dkg_params *p, unsigned j,
                            const uint8_t sk_j[BC_HPKE_SK_LEN],
                            const bc_dkg_commitments *c,
                            const bc_dkg_sealed_share *s,
                            uint8_t share[BC_DKG_SCALAR_LEN],
                            bc_dkg_complaint *complaint, bc_error *err)
{
	uint8_t info[SHARE_INFO_LEN], aad[BC_DKG_HASH_LEN];
	uint8_t pk[BC_HPKE_PK_LEN];
	EC_POINT *C[BC_DKG_MAX_N] = { 0 };
	struct grp G;
	unsigned i;
	bc_status st;

	if (!params_ok(p) || sk_j == NULL || c == NULL || s == NULL ||
	    share == NULL || complaint == NULL)
		return BC_ERR_INVALID;
	memset(share, 0, BC_DKG_SCALAR_LEN);
	i = s->dealer;
	if (!pair_ok(p, i, j) || s->recipient != j || c->dealer != i) {
		seterr(err, "sealed share from dealer %u to trustee %u does "
		       "not go with dealer %u's commitments for trustee %u",
		       s->dealer, s->recipient, c->dealer, j);
		return BC_ERR_INVALID;
	}
	/* A bad sk_j is our own fault, not the dealer's: no complaint. */
	st = bc_hpke_public(sk_j, pk);
	if (st != BC_OK)
		return st;
	st = grp_init(&G);
	if (st != BC_OK)
		return st;
	st = commit_load(&G, p, c, C, err);
	if (st != BC_OK)
		goto out;
	st = bc_dkg_commitments_hash(p, c, aad);
	if (st != BC_OK)
		goto out;
	share_info(p, i, j, info);
	complaint->accuser = j;
	complaint->dealer = i;
	st = bc_hpke_open(sk_j, s->enc, info, sizeof(info), aad, sizeof(aad),
	                  s->ct, sizeof(s->ct), share);
	if (st == BC_ERR_VERIFY || st == BC_ERR_INVALID) {
		/* Tag, enc or ciphertext bad: the dealer sent garbage. */
		bc_wipe(share, BC_DKG_SCALAR_LEN);
		complaint->reason = BC_DKG_BAD_SEAL;
		seterr(err, "dealer %u's share for trustee %u does not open "
		       "(%s)", i, j, bc_status_name(st));
		st = BC_ERR_VERIFY;
		goto out;
	}
	if (st != BC_OK)
		goto out;
	st = share_check(&G, p, C, i, j, share, err);
	if (st == BC_ERR_VERIFY)
		complaint->reason = BC_DKG_BAD_SHARE;
out:
	if (st != BC_OK)
		bc_wipe(share, BC_DKG_SCALAR_LEN);
	points_free(C, p->k);
	grp_free(&G);
	return st;
}

bc_status bc_dkg_check_answer(const bc_dkg_params *p,
                              const bc_dkg_commitments *c,
                              const bc_dkg_complaint *complaint,
                              const bc_dkg_answer *a, bc_error *err)
{
	if (!params_ok(p) || c == NULL || complaint == NULL || a == NULL)
		return BC_ERR_INVALID;
	if (a->dealer != complaint->dealer || a->dealer != c->dealer ||
	    a->accuser != complaint->accuser ||
	    !pair_ok(p, a->dealer, a->accuser)) {
		seterr(err, "answer by dealer %u to trustee %u does not answer "
		       "trustee %u's complaint against dealer %u",
		       a->dealer, a->accuser, complaint->accuser,
		       complaint->dealer);
		return BC_ERR_VERIFY;
	}
	return bc_dkg_check_share(p, c, a->accuser, a->share, err);
}

bc_status bc_dkg_combine(const bc_dkg_params *p,
                         const bc_dkg_commitments *const commits[],
                         uint64_t qual, unsigned j,
                         const uint8_t shares[][BC_DKG_SCALAR_LEN],
                         uint8_t x[BC_DKG_SCALAR_LEN], bc_error *err)
{
	EC_POINT *A[BC_DKG_MAX_N] = { 0 }, *X = NULL;
	BIGNUM *sum = NULL, *s = NULL;
	struct grp G;
	bc_status st;
	int r;

	if (!params_ok(p) || commits == NULL || shares == NULL || x == NULL ||
	    !index_ok(p, j))
		return BC_ERR_INVALID;
	memset(x, 0, BC_DKG_SCALAR_LEN);
	st = grp_init(&G);
	if (st != BC_OK)
		return st;
	st = aggregate_load(&G, p, commits, qual, A, err);
	if (st != BC_OK)
		goto out;
	sum = BN_secure_new();
	if (sum == NULL) {
		st = BC_ERR_NOMEM;
		goto out;
	}
	BN_set_flags(sum, BN_FLG_CONSTTIME);
	BN_zero(sum);
	for (unsigned i = 1; i <= p->n; i++) {
		if (!(qual >> (i - 1) & 1))
			continue;
		/* Each share again, so that a bad one names its dealer. */
		st = bc_dkg_check_share(p, commits[i - 1], j, shares[i - 1],
		                        err);
		if (st != BC_OK)
			goto out;
		st = scalar_load(shares[i - 1], &s);
		if (st != BC_OK)
			goto out;
		if (BN_mod_add(sum, sum, s, G.q, G.bn) != 1) {
			st = BC_ERR_INTERNAL;
			goto out;
		}
		BN_clear_free(s);
		s = NULL;
	}
	st = commit_eval(&G, p->k, A, j, &X);
	if (st != BC_OK)
		goto out;
	r = scalar_matches(&G, sum, X);
	if (r != 1) {
		seterr(err, "trustee %u's share x_%u does not match X_%u", j,
		       j, j);
		st = r < 0 ? BC_ERR_INTERNAL : BC_ERR_VERIFY;
		goto out;
	}
	st = scalar_store(sum, x);
out:
	if (st != BC_OK)
		bc_wipe(x, BC_DKG_SCALAR_LEN);
	BN_clear_free(sum);
	BN_clear_free(s);
	EC_POINT_free(X);
	points_free(A, p->k);
	grp_free(&G);
	return st;
}

/* ---- Public values ---- */

bc_status bc_dkg_public_key(const bc_dkg_params *p,
                            const bc_dkg_commitments *const commits[],
                            uint64_t qual, uint8_t y[BC_DKG_POINT_LEN],
                            bc_error *err)
{
	EC_POINT *A[BC_DKG_MAX_N] = { 0 };
	struct grp G;
	bc_status st;

	if (!params_ok(p) || commits == NULL || y == NULL)
		return BC_ERR_INVALID;
	st = grp_init(&G);
	if (st != BC_OK)
		return st;
	st = aggregate_load(&G, p, commits, qual, A, err);
	if (st == BC_OK) {
		st = point_store(&G, A[0], y);
		if (st == BC_ERR_VERIFY)
			seterr(err, "the joint public key is the point at "
			       "infinity");
		points_free(A, p->k);
	}
	grp_free(&G);
	return st;
}

bc_status bc_dkg_verification_key(const bc_dkg_params *p,
                                  const bc_dkg_commitments *const commits[],
                                  uint64_t qual, unsigned j,
                                  uint8_t x_pub[BC_DKG_POINT_LEN],
                                  bc_error *err)
{
	EC_POINT *A[BC_DKG_MAX_N] = { 0 }, *X = NULL;
	struct grp G;
	bc_status st;

	if (!params_ok(p) || commits == NULL || x_pub == NULL ||
	    !index_ok(p, j))
		return BC_ERR_INVALID;
	st = grp_init(&G);
	if (st != BC_OK)
		return st;
	st = aggregate_load(&G, p, commits, qual, A, err);
	if (st != BC_OK)
		goto out;
	st = commit_eval(&G, p->k, A, j, &X);
	if (st != BC_OK)
		goto out;
	st = point_store(&G, X, x_pub);
	if (st == BC_ERR_VERIFY)
		seterr(err, "trustee %u's verification key is the point at "
		       "infinity", j);
out:
	EC_POINT_free(X);
	points_free(A, p->k);
	grp_free(&G);
	return st;
}

/* ---- After the close ---- */

/* Checks r against the aggregate A; err names the trustee. */
static bc_status release_check(struct grp *G, const bc_dkg_params *p,
                               EC_POINT *const *A, const bc_dkg_release *r,
                               bc_error *err)
{
	EC_POINT *X = NULL;
	BIGNUM *x = NULL;
	bc_status st;
	int m;

	if (!index_ok(p, r->trustee)) {
		seterr(err, "released share names trustee %u, outside 1..%u",
		       r->trustee, p->n);
		return BC_ERR_INVALID;
	}
	st = scalar_load(r->share, &x);
	if (st == BC_ERR_INVALID)
		seterr(err, "trustee %u's released share is not a scalar "
		       "below the group order", r->trustee);
	if (st != BC_OK)
		return st;
	st = commit_eval(G, p->k, A, r->trustee, &X);
	if (st != BC_OK)
		goto out;
	m = scalar_matches(G, x, X);
	if (m < 0) {
		st = BC_ERR_INTERNAL;
	} else if (m == 0) {
		seterr(err, "trustee %u's released share does not match its "
		       "verification key X_%u", r->trustee, r->trustee);
		st = BC_ERR_VERIFY;
	}
out:
	EC_POINT_free(X);
	BN_clear_free(x);
	return st;
}

bc_status bc_dkg_check_release(const bc_dkg_params *p,
                               const bc_dkg_commitments *const commits[],
                               uint64_t qual, const bc_dkg_release *r,
                               bc_error *err)
{
	EC_POINT *A[BC_DKG_MAX_N] = { 0 };
	struct grp G;
	bc_status st;

	if (!params_ok(p) || commits == NULL || r == NULL)
		return BC_ERR_INVALID;
	st = grp_init(&G);
	if (st != BC_OK)
		return st;
	st = aggregate_load(&G, p, commits, qual, A, err);
	if (st == BC_OK) {
		st = release_check(&G, p, A, r, err);
		points_free(A, p->k);
	}
	grp_free(&G);
	return st;
}

/*
 * sk = sum over j in S of lambda_j * x_j mod q, with the Lagrange
 * coefficient at 0: lambda_j = prod over m in S, m != j of m / (m - j).
 */
static bc_status interpolate(struct grp *G, const unsigned *idx,
                             BIGNUM *const *xs, unsigned k, BIGNUM *sk)
{
	BIGNUM *num, *den, *tmp, *term;
	bc_status st = BC_ERR_INTERNAL;

	BN_CTX_start(G->bn);
	num = BN_CTX_get(G->bn);
	den = BN_CTX_get(G->bn);
	tmp = BN_CTX_get(G->bn);
	term = BN_CTX_get(G->bn);
	if (term == NULL)
		goto out;
	BN_set_flags(term, BN_FLG_CONSTTIME);
	BN_zero(sk);
	for (unsigned a = 0; a < k; a++) {
		if (BN_one(num) != 1 || BN_one(den) != 1)
			goto out;
		for (unsigned b = 0; b < k; b++) {
			if (b == a)
				continue;
			/* den *= (m - j) mod q; indices are distinct. */
			if (BN_set_word(tmp, idx[b]) != 1 ||
			    BN_mul_word(num, idx[b]) != 1 ||
			    BN_sub_word(tmp, idx[a]) != 1 ||
			    BN_mod_mul(den, den, tmp, G->q, G->bn) != 1)
				goto out;
		}
		if (BN_mod_inverse(tmp, den, G->q, G->bn) == NULL ||
		    BN_mod_mul(term, num, tmp, G->q, G->bn) != 1 ||
		    BN_mod_mul(term, term, xs[a], G->q, G->bn) != 1 ||
		    BN_mod_add(sk, sk, term, G->q, G->bn) != 1)
			goto out;
	}
	st = BC_OK;
out:
	if (term != NULL)
		BN_clear(term);
	BN_CTX_end(G->bn);
	return st;
}

bc_status bc_dkg_rebuild(const bc_dkg_params *p,
                         const bc_dkg_commitments *const commits[],
                         uint64_t qual, const bc_dkg_release *releases,
                         size_t count, uint8_t sk[BC_DKG_SCALAR_LEN],
                         uint64_t *bad, bc_error *err)
{
	EC_POINT *A[BC_DKG_MAX_N] = { 0 };
	BIGNUM *xs[BC_DKG_MAX_N] = { 0 }, *key = NULL;
	unsigned idx[BC_DKG_MAX_N];
	unsigned valid = 0, first_bad = 0;
	uint64_t seen = 0, badmask = 0;
	bc_error why = { { 0 } }, one;
	struct grp G;
	bc_status st;
	int m;

	if (!params_ok(p) || commits == NULL ||
	    (releases == NULL && count > 0) || sk == NULL)
		return BC_ERR_INVALID;
	memset(sk, 0, BC_DKG_SCALAR_LEN);
	if (bad != NULL)
		*bad = 0;
	/* Indices first: out of range or repeated is a malformed set. */
	for (size_t r = 0; r < count; r++) {
		unsigned j = releases[r].trustee;

		if (!index_ok(p, j)) {
			seterr(err, "released share names trustee %u, outside "
			       "1..%u", j, p->n);
			return BC_ERR_INVALID;
		}
		if (seen >> (j - 1) & 1) {
			seterr(err, "trustee %u's share is given twice", j);
			return BC_ERR_INVALID;
		}
		seen |= (uint64_t)1 << (j - 1);
	}
	st = grp_init(&G);
	if (st != BC_OK)
		return st;
	st = aggregate_load(&G, p, commits, qual, A, err);
	if (st != BC_OK)
		goto out;
	for (size_t r = 0; r < count; r++) {
		const bc_dkg_release *rel = &releases[r];

		st = release_check(&G, p, A, rel, &one);
		if (st == BC_ERR_VERIFY || st == BC_ERR_INVALID) {
			badmask |= (uint64_t)1 << (rel->trustee - 1);
			if (first_bad == 0) {
				first_bad = (unsigned)r + 1;
				why = one;
			}
			continue;
		}
		if (st != BC_OK)
			goto out;
		if (valid < p->k) {
			st = scalar_load(rel->share, &xs[valid]);
			if (st != BC_OK)
				goto out;
			idx[valid] = rel->trustee;
		}
		valid++;
	}
	if (bad != NULL)
		*bad = badmask;
	if (valid < p->k) {
		if (first_bad != 0)
			seterr(err, "%u valid shares, %u needed (%s)", valid,
			       p->k, why.msg);
		else
			seterr(err, "%u valid shares, %u needed", valid,
			       p->k);
		st = BC_ERR_VERIFY;
		goto out;
	}
	key = BN_secure_new();
	if (key == NULL) {
		st = BC_ERR_NOMEM;
		goto out;
	}
	BN_set_flags(key, BN_FLG_CONSTTIME);
	st = interpolate(&G, idx, xs, p->k, key);
	if (st != BC_OK)
		goto out;
	/* The interpolated key must be the one behind Y = A[0]. */
	m = scalar_matches(&G, key, A[0]);
	if (m != 1 || BN_is_zero(key)) {
		seterr(err, "the rebuilt key does not match the joint public "
		       "key");
		st = m < 0 ? BC_ERR_INTERNAL : BC_ERR_VERIFY;
		goto out;
	}
	st = scalar_store(key, sk);
out:
	if (st != BC_OK)
		bc_wipe(sk, BC_DKG_SCALAR_LEN);
	bc_wipe(&why, sizeof(why));
	BN_clear_free(key);
	for (unsigned t = 0; t < p->k; t++)
		BN_clear_free(xs[t]);
	points_free(A, p->k);
	grp_free(&G);
	return st;
}
