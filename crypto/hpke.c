/*
 * hpke.c: HPKE base mode (RFC 9180) built from OpenSSL 3.0 primitives,
 * since OSSL_HPKE only arrives in 3.2.  One KEM, DHKEM(P-256,
 * HKDF-SHA256); one KDF, HKDF-SHA256 (EVP_KDF "HKDF" in its extract-only
 * and expand-only modes); three AEADs through EVP_CIPHER.  Byte-exact with
 * the RFC so that WebCrypto and OpenSSL 3.2's OSSL_HPKE interoperate.
 *
 * The P-256 arithmetic is done with EC_GROUP/EC_POINT: DH(sk, pk) is the
 * x coordinate of sk * pk (RFC 9180 7.1.1, as ECDH in SEC 1 and as
 * EVP_PKEY_derive would give it), which keeps the scalar in a BIGNUM we
 * control and wipe.
 */
#include "hpke.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#define NH 32 /* Nh of HKDF-SHA256 */

/* OSSL_PARAM wants non-const pointers to data it only reads. */
#define UNCONST(p) ((void *)(uintptr_t)(p))

struct bc_hpke_ctx {
	EVP_CIPHER *cipher;
	unsigned aead_id;
	size_t nk;
	int is_sender;
	uint64_t seq;
	uint8_t key[BC_HPKE_KEY_MAX];
	uint8_t base_nonce[BC_HPKE_NONCE_LEN];
	uint8_t exporter_secret[BC_HPKE_SECRET_LEN];
};

/* A suite_id (RFC 9180 4.1 for the KEM, 5.1 for the whole suite). */
struct suite {
	uint8_t id[10];
	size_t len;
};

static void kem_suite(struct suite *s)
{
	/* suite_id = concat("KEM", I2OSP(kem_id, 2)), RFC 9180 4.1 */
	memcpy(s->id, "KEM", 3);
	s->id[3] = BC_HPKE_KEM_P256_SHA256 >> 8;
	s->id[4] = BC_HPKE_KEM_P256_SHA256 & 0xff;
	s->len = 5;
}

static void hpke_suite(struct suite *s, unsigned aead_id)
{
	/* suite_id = concat("HPKE", I2OSP(kem_id, 2), I2OSP(kdf_id, 2),
	 * I2OSP(aead_id, 2)), RFC 9180 5.1 */
	memcpy(s->id, "HPKE", 4);
	s->id[4] = BC_HPKE_KEM_P256_SHA256 >> 8;
	s->id[5] = BC_HPKE_KEM_P256_SHA256 & 0xff;
	s->id[6] = BC_HPKE_KDF_HKDF_SHA256 >> 8;
	s->id[7] = BC_HPKE_KDF_HKDF_SHA256 & 0xff;
	s->id[8] = (uint8_t)(aead_id >> 8);
	s->id[9] = (uint8_t)(aead_id & 0xff);
	s->len = 10;
}

/*
 * HKDF-SHA256 (RFC 5869) in one of EVP_KDF's single-step modes: Extract
 * (out is the 32-byte PRK) or Expand (key is the PRK).
 */
static bc_status hkdf(int mode, const uint8_t *key, size_t keylen,
                      const uint8_t *salt, size_t saltlen,
                      const uint8_t *info, size_t infolen, uint8_t *out,
                      size_t outlen)
{
	/* RFC 5869 2.2: an absent salt is HashLen zero bytes.  Passing
	 * them explicitly avoids relying on how OpenSSL treats an empty
	 * HMAC key (the result is the same either way). */
	static const uint8_t zeros[NH];
	OSSL_PARAM params[6], *p = params;
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx = NULL;
	bc_status st = BC_ERR_INTERNAL;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	                                        UNCONST("SHA256"), 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	                                         UNCONST(key), keylen);
	if (mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY) {
		if (saltlen == 0) {
			salt = zeros;
			saltlen = sizeof(zeros);
		}
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		                                         UNCONST(salt),
		                                         saltlen);
	} else if (infolen > 0) {
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		                                         UNCONST(info),
		                                         infolen);
	}
	*p = OSSL_PARAM_construct_end();

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (kdf == NULL)
		return BC_ERR_INTERNAL;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (kctx == NULL)
		return BC_ERR_NOMEM;
	if (EVP_KDF_derive(kctx, out, outlen, params) == 1)
		st = BC_OK;
	EVP_KDF_CTX_free(kctx); /* clears the key it copied */
	return st;
}

/*
 * LabeledExtract(salt, label, ikm) (RFC 9180 4):
 *   labeled_ikm = concat("HPKE-v1", suite_id, label, ikm)
 *   return Extract(salt, labeled_ikm)
 * OUT: prk (32 bytes).
 */
static bc_status labeled_extract(const struct suite *s, const uint8_t *salt,
                                 size_t saltlen, const char *label,
                                 const uint8_t *ikm, size_t ikmlen,
                                 uint8_t prk[NH])
{
	size_t llen = strlen(label);
	size_t n = 7 + s->len + llen;
	uint8_t *buf;
	bc_status st;

	if (ikmlen > SIZE_MAX - n)
		return BC_ERR_RANGE;
	buf = OPENSSL_malloc(n + ikmlen);
	if (buf == NULL)
		return BC_ERR_NOMEM;
	memcpy(buf, "HPKE-v1", 7);
	memcpy(buf + 7, s->id, s->len);
	memcpy(buf + 7 + s->len, label, llen);
	if (ikmlen > 0)
		memcpy(buf + n, ikm, ikmlen);
	st = hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, buf, n + ikmlen, salt,
	          saltlen, NULL, 0, prk, NH);
	OPENSSL_clear_free(buf, n + ikmlen); /* ikm may be a DH output */
	return st;
}

/*
 * LabeledExpand(prk, label, info, L) (RFC 9180 4):
 *   labeled_info = concat(I2OSP(L, 2), "HPKE-v1", suite_id, label, info)
 *   return Expand(prk, labeled_info, L)
 * OUT: out (L bytes, 1 <= L <= 255 * Nh).
 */
static bc_status labeled_expand(const struct suite *s, const uint8_t prk[NH],
                                const char *label, const uint8_t *info,
                                size_t infolen, uint8_t *out, size_t L)
{
	size_t llen = strlen(label);
	size_t n = 2 + 7 + s->len + llen;
	uint8_t *buf;
	bc_status st;

	if (L == 0 || L > 255 * NH || infolen > SIZE_MAX - n)
		return BC_ERR_RANGE;
	buf = OPENSSL_malloc(n + infolen);
	if (buf == NULL)
		return BC_ERR_NOMEM;
	buf[0] = (uint8_t)(L >> 8);
	buf[1] = (uint8_t)(L & 0xff);
	memcpy(buf + 2, "HPKE-v1", 7);
	memcpy(buf + 9, s->id, s->len);
	memcpy(buf + 9 + s->len, label, llen);
	if (infolen > 0)
		memcpy(buf + n, info, infolen);
	st = hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, NH, NULL, 0, buf,
	          n + infolen, out, L);
	OPENSSL_clear_free(buf, n + infolen);
	return st;
}

/* ---- P-256 (RFC 9180 7.1) ---- */

struct p256 {
	EC_GROUP *g;
	BN_CTX *bn;
};

static bc_status p256_open(struct p256 *c)
{
	c->g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	c->bn = BN_CTX_secure_new();
	if (c->g == NULL || c->bn == NULL) {
		EC_GROUP_free(c->g);
		BN_CTX_free(c->bn);
		return BC_ERR_NOMEM;
	}
	return BC_OK;
}

static void p256_close(struct p256 *c)
{
	EC_GROUP_free(c->g);
	BN_CTX_free(c->bn);
}

/*
 * DeserializePrivateKey (RFC 9180 7.1.2): 32 bytes, big-endian, and the
 * scalar must lie in [1, n-1].  OUT: *sk, a secure BIGNUM the caller
 * frees with BN_clear_free.  BC_ERR_INVALID if out of range.
 */
static bc_status sk_decode(const struct p256 *c,
                           const uint8_t in[BC_HPKE_SK_LEN], BIGNUM **sk)
{
	BIGNUM *k = BN_secure_new();

	*sk = NULL;
	if (k == NULL)
		return BC_ERR_NOMEM;
	BN_set_flags(k, BN_FLG_CONSTTIME);
	if (BN_bin2bn(in, BC_HPKE_SK_LEN, k) == NULL) {
		BN_clear_free(k);
		return BC_ERR_INTERNAL;
	}
	if (BN_is_zero(k) || BN_cmp(k, EC_GROUP_get0_order(c->g)) >= 0) {
		BN_clear_free(k);
		return BC_ERR_INVALID;
	}
	*sk = k;
	return BC_OK;
}

/* SerializePublicKey (RFC 9180 7.1.1): the uncompressed point. */
static bc_status pk_encode(const struct p256 *c, const EC_POINT *pt,
                           uint8_t out[BC_HPKE_PK_LEN])
{
	if (EC_POINT_point2oct(c->g, pt, POINT_CONVERSION_UNCOMPRESSED, out,
	                       BC_HPKE_PK_LEN, c->bn) != BC_HPKE_PK_LEN)
		return BC_ERR_INTERNAL;
	return BC_OK;
}

/*
 * DeserializePublicKey (RFC 9180 7.1.1) with the validation 7.1.4 asks
 * of a recipient: uncompressed form only, coordinates below p, the point
 * on the curve and not the point at infinity.  OUT: *pt, freed by the
 * caller.  BC_ERR_INVALID for any failure of these.
 */
static bc_status pk_decode(const struct p256 *c,
                           const uint8_t in[BC_HPKE_PK_LEN], EC_POINT **pt)
{
	EC_POINT *q;
	int ok;

	*pt = NULL;
	if (in[0] != 0x04)
		return BC_ERR_INVALID;
	q = EC_POINT_new(c->g);
	if (q == NULL)
		return BC_ERR_NOMEM;
	/* Bad input is the caller's business, not the error queue's. */
	ERR_set_mark();
	ok = EC_POINT_oct2point(c->g, q, in, BC_HPKE_PK_LEN, c->bn) == 1 &&
	     EC_POINT_is_at_infinity(c->g, q) == 0 &&
	     EC_POINT_is_on_curve(c->g, q, c->bn) == 1;
	ERR_pop_to_mark();
	if (!ok) {
		EC_POINT_free(q);
		return BC_ERR_INVALID;
	}
	*pt = q;
	return BC_OK;
}

/* pk(sk) = sk * G, serialised.  OUT: pk. */
static bc_status sk_to_pk(const struct p256 *c, const BIGNUM *sk,
                          uint8_t pk[BC_HPKE_PK_LEN])
{
	EC_POINT *q = EC_POINT_new(c->g);
	bc_status st = BC_ERR_INTERNAL;

	if (q == NULL)
		return BC_ERR_NOMEM;
	if (EC_POINT_mul(c->g, q, sk, NULL, NULL, c->bn) == 1)
		st = pk_encode(c, q, pk);
	EC_POINT_clear_free(q);
	return st;
}

/*
 * DH(sk, pk) (RFC 9180 7.1.1): the 32-byte x coordinate of sk * pk.  A
 * result at infinity or all zero is refused (RFC 9180 7.1.4); with a
 * validated point and a scalar in [1, n-1] neither can happen on P-256,
 * so reaching it means something upstream is broken.  OUT: dh (secret).
 */
static bc_status dh(const struct p256 *c, const BIGNUM *sk,
                    const EC_POINT *pk, uint8_t out[NH])
{
	EC_POINT *z = EC_POINT_new(c->g);
	BIGNUM *x = BN_secure_new();
	bc_status st = BC_ERR_INTERNAL;
	uint8_t acc = 0;
	size_t i;

	if (z == NULL || x == NULL) {
		st = BC_ERR_NOMEM;
		goto out;
	}
	if (EC_POINT_mul(c->g, z, NULL, pk, sk, c->bn) != 1)
		goto out;
	if (EC_POINT_is_at_infinity(c->g, z)) {
		st = BC_ERR_INVALID;
		goto out;
	}
	if (EC_POINT_get_affine_coordinates(c->g, z, x, NULL, c->bn) != 1 ||
	    BN_bn2binpad(x, out, NH) != NH)
		goto out;
	for (i = 0; i < NH; i++)
		acc |= out[i];
	st = acc != 0 ? BC_OK : BC_ERR_INVALID;
out:
	if (st != BC_OK)
		bc_wipe(out, NH);
	EC_POINT_clear_free(z);
	BN_clear_free(x);
	return st;
}

/*
 * DeriveKeyPair(ikm) for P-256 (RFC 9180 7.1.3):
 *   dkp_prk = LabeledExtract("", "dkp_prk", ikm)
 *   for counter in 0..255:
 *     bytes = LabeledExpand(dkp_prk, "candidate", I2OSP(counter, 1), 32)
 *     bytes[0] &= 0xff                       (the P-256 bitmask)
 *     sk = OS2IP(bytes); stop if 0 < sk < n
 * OUT: *sk (secure BIGNUM, caller frees with BN_clear_free), pk.
 */
static bc_status derive_keypair(const struct p256 *c, const uint8_t *ikm,
                                size_t ikmlen, BIGNUM **sk,
                                uint8_t pk[BC_HPKE_PK_LEN])
{
	struct suite s;
	uint8_t dkp_prk[NH], bytes[BC_HPKE_SK_LEN];
	unsigned counter;
	bc_status st;

	*sk = NULL;
	kem_suite(&s);
	st = labeled_extract(&s, NULL, 0, "dkp_prk", ikm, ikmlen, dkp_prk);
	if (st != BC_OK)
		goto out;
	st = BC_ERR_INTERNAL; /* DeriveKeyPairError if no candidate fits */
	for (counter = 0; counter <= 255; counter++) {
		uint8_t ctr = (uint8_t)counter;

		st = labeled_expand(&s, dkp_prk, "candidate", &ctr, 1, bytes,
		                    sizeof(bytes));
		if (st != BC_OK)
			goto out;
		bytes[0] &= 0xff; /* bitmask: P-256's order fills 256 bits */
		st = sk_decode(c, bytes, sk);
		if (st != BC_ERR_INVALID)
			break;
		st = BC_ERR_INTERNAL;
	}
	if (st == BC_OK) {
		st = sk_to_pk(c, *sk, pk);
		if (st != BC_OK) {
			BN_clear_free(*sk);
			*sk = NULL;
		}
	}
out:
	bc_wipe(dkp_prk, sizeof(dkp_prk));
	bc_wipe(bytes, sizeof(bytes));
	return st;
}

/*
 * ExtractAndExpand(dh, kem_context) (RFC 9180 4.1):
 *   eae_prk = LabeledExtract("", "eae_prk", dh)
 *   shared_secret = LabeledExpand(eae_prk, "shared_secret", kem_context,
 *                                 Nsecret)
 * with kem_context = concat(enc, pkRm).  OUT: ss (secret).
 */
static bc_status extract_and_expand(const uint8_t dhv[NH],
                                    const uint8_t enc[BC_HPKE_ENC_LEN],
                                    const uint8_t pkRm[BC_HPKE_PK_LEN],
                                    uint8_t ss[BC_HPKE_SECRET_LEN])
{
	struct suite s;
	uint8_t eae_prk[NH], kem_context[BC_HPKE_ENC_LEN + BC_HPKE_PK_LEN];
	bc_status st;

	kem_suite(&s);
	memcpy(kem_context, enc, BC_HPKE_ENC_LEN);
	memcpy(kem_context + BC_HPKE_ENC_LEN, pkRm, BC_HPKE_PK_LEN);
	st = labeled_extract(&s, NULL, 0, "eae_prk", dhv, NH, eae_prk);
	if (st == BC_OK)
		st = labeled_expand(&s, eae_prk, "shared_secret", kem_context,
		                    sizeof(kem_context), ss,
		                    BC_HPKE_SECRET_LEN);
	bc_wipe(eae_prk, sizeof(eae_prk));
	if (st != BC_OK)
		bc_wipe(ss, BC_HPKE_SECRET_LEN);
	return st;
}

/*
 * Encap(pkR) (RFC 9180 4.1) with the ephemeral key pair derived from
 * ikmE, or a fresh one if ikmE is NULL (GenerateKeyPair as
 * DeriveKeyPair(random(Nsk)), which 7.1.3 allows).
 *   dh = DH(skE, pkR); enc = SerializePublicKey(pkE)
 *   shared_secret = ExtractAndExpand(dh, concat(enc, pkRm))
 */
static bc_status encap(const uint8_t pkR[BC_HPKE_PK_LEN], const uint8_t *ikmE,
                       size_t ikmElen, uint8_t ss[BC_HPKE_SECRET_LEN],
                       uint8_t enc[BC_HPKE_ENC_LEN])
{
	struct p256 c;
	EC_POINT *pkRp = NULL;
	BIGNUM *skE = NULL;
	uint8_t rnd[BC_HPKE_SK_LEN], dhv[NH];
	bc_status st;

	st = p256_open(&c);
	if (st != BC_OK)
		return st;
	st = pk_decode(&c, pkR, &pkRp);
	if (st != BC_OK)
		goto out;
	if (ikmE == NULL) {
		st = bc_random(rnd, sizeof(rnd));
		if (st != BC_OK)
			goto out;
		ikmE = rnd;
		ikmElen = sizeof(rnd);
	}
	st = derive_keypair(&c, ikmE, ikmElen, &skE, enc);
	if (st != BC_OK)
		goto out;
	st = dh(&c, skE, pkRp, dhv);
	BN_clear_free(skE); /* the ephemeral key has done its work */
	skE = NULL;
	if (st != BC_OK)
		goto out;
	st = extract_and_expand(dhv, enc, pkR, ss);
out:
	bc_wipe(rnd, sizeof(rnd));
	bc_wipe(dhv, sizeof(dhv));
	EC_POINT_free(pkRp);
	p256_close(&c);
	return st;
}

/* ---- public key functions ---- */

bc_status bc_hpke_derive_keypair(const uint8_t *ikm, size_t ikmlen,
                                 uint8_t sk[BC_HPKE_SK_LEN],
                                 uint8_t pk[BC_HPKE_PK_LEN])
{
	struct p256 c;
	BIGNUM *k = NULL;
	bc_status st;

	if (ikm == NULL && ikmlen > 0)
		return BC_ERR_INVALID;
	st = p256_open(&c);
	if (st != BC_OK)
		return st;
	st = derive_keypair(&c, ikm, ikmlen, &k, pk);
	/* SerializePrivateKey (7.1.2): 32 bytes big-endian. */
	if (st == BC_OK && BN_bn2binpad(k, sk, BC_HPKE_SK_LEN) !=
	                   BC_HPKE_SK_LEN)
		st = BC_ERR_INTERNAL;
	BN_clear_free(k);
	p256_close(&c);
	return st;
}

bc_status bc_hpke_keygen(uint8_t sk[BC_HPKE_SK_LEN],
                         uint8_t pk[BC_HPKE_PK_LEN])
{
	uint8_t ikm[BC_HPKE_SK_LEN];
	bc_status st;

	st = bc_random(ikm, sizeof(ikm));
	if (st == BC_OK)
		st = bc_hpke_derive_keypair(ikm, sizeof(ikm), sk, pk);
	bc_wipe(ikm, sizeof(ikm));
	return st;
}

bc_status bc_hpke_public(const uint8_t sk[BC_HPKE_SK_LEN],
                         uint8_t pk[BC_HPKE_PK_LEN])
{
	struct p256 c;
	BIGNUM *k = NULL;
	bc_status st;

	st = p256_open(&c);
	if (st != BC_OK)
		return st;
	st = sk_decode(&c, sk, &k);
	if (st == BC_OK)
		st = sk_to_pk(&c, k, pk);
	BN_clear_free(k);
	p256_close(&c);
	return st;
}

bc_status bc_hpke_encap(const uint8_t pkR[BC_HPKE_PK_LEN],
                        uint8_t shared_secret[BC_HPKE_SECRET_LEN],
                        uint8_t enc[BC_HPKE_ENC_LEN])
{
	return encap(pkR, NULL, 0, shared_secret, enc);
}

bc_status bc_hpke_encap_derand(const uint8_t pkR[BC_HPKE_PK_LEN],
                               const uint8_t *ikmE, size_t ikmElen,
                               uint8_t shared_secret[BC_HPKE_SECRET_LEN],
                               uint8_t enc[BC_HPKE_ENC_LEN])
{
	static const uint8_t none[1];

	/* An empty ikmE is legal (if useless); NULL means "random" inside. */
	if (ikmE == NULL && ikmElen > 0)
		return BC_ERR_INVALID;
	return encap(pkR, ikmE != NULL ? ikmE : none, ikmElen, shared_secret,
	             enc);
}

/*
 * Decap(enc, skR) (RFC 9180 4.1):
 *   pkE = DeserializePublicKey(enc); dh = DH(skR, pkE)
 *   pkRm = SerializePublicKey(pk(skR))
 *   shared_secret = ExtractAndExpand(dh, concat(enc, pkRm))
 */
bc_status bc_hpke_decap(const uint8_t enc[BC_HPKE_ENC_LEN],
                        const uint8_t skR[BC_HPKE_SK_LEN],
                        uint8_t shared_secret[BC_HPKE_SECRET_LEN])
{
	struct p256 c;
	EC_POINT *pkE = NULL;
	BIGNUM *k = NULL;
	uint8_t dhv[NH], pkRm[BC_HPKE_PK_LEN];
	bc_status st;

	st = p256_open(&c);
	if (st != BC_OK)
		return st;
	st = pk_decode(&c, enc, &pkE);
	if (st == BC_OK)
		st = sk_decode(&c, skR, &k);
	if (st == BC_OK)
		st = dh(&c, k, pkE, dhv);
	if (st == BC_OK)
		st = sk_to_pk(&c, k, pkRm);
	BN_clear_free(k);
	if (st == BC_OK)
		st = extract_and_expand(dhv, enc, pkRm, shared_secret);
	bc_wipe(dhv, sizeof(dhv));
	EC_POINT_free(pkE);
	p256_close(&c);
	return st;
}

/* ---- key schedule and context (RFC 9180 5) ---- */

/* The EVP name and Nk of an AEAD id (RFC 9180 7.3); NULL if unknown. */
static const char *aead_name(unsigned aead_id, size_t *nk)
{
	switch (aead_id) {
	case BC_HPKE_AEAD_AES128GCM:
		*nk = 16;
		return "AES-128-GCM";
	case BC_HPKE_AEAD_AES256GCM:
		*nk = 32;
		return "AES-256-GCM";
	case BC_HPKE_AEAD_CHACHA20POLY1305:
		*nk = 32;
		return "ChaCha20-Poly1305";
	}
	return NULL;
}

void bc_hpke_ctx_free(bc_hpke_ctx *ctx)
{
	if (ctx == NULL)
		return;
	EVP_CIPHER_free(ctx->cipher);
	OPENSSL_clear_free(ctx, sizeof(*ctx));
}

/*
 * KeySchedule<ROLE>(mode_base, shared_secret, info, "", "")
 * (RFC 9180 5.1):
 *   psk_id_hash = LabeledExtract("", "psk_id_hash", psk_id = "")
 *   info_hash = LabeledExtract("", "info_hash", info)
 *   key_schedule_context = concat(mode = 0x00, psk_id_hash, info_hash)
 *   secret = LabeledExtract(shared_secret, "secret", psk = "")
 *   key = LabeledExpand(secret, "key", key_schedule_context, Nk)
 *   base_nonce = LabeledExpand(secret, "base_nonce", ..., Nn)
 *   exporter_secret = LabeledExpand(secret, "exp", ..., Nh)
 * VerifyPSKInputs passes trivially: base mode, no PSK.
 */
bc_status bc_hpke_key_schedule(bc_hpke_ctx **ctxp, int is_sender,
                               unsigned aead_id,
                               const uint8_t shared_secret[BC_HPKE_SECRET_LEN],
                               const uint8_t *info, size_t infolen,
                               bc_hpke_trace *trace)
{
	struct suite s;
	uint8_t ksc[1 + 2 * NH], secret[NH];
	const char *name;
	bc_hpke_ctx *ctx;
	size_t nk;
	bc_status st;

	*ctxp = NULL;
	name = aead_name(aead_id, &nk);
	if (name == NULL || (info == NULL && infolen > 0))
		return BC_ERR_INVALID;
	ctx = OPENSSL_zalloc(sizeof(*ctx));
	if (ctx == NULL)
		return BC_ERR_NOMEM;
	ctx->is_sender = is_sender != 0;
	ctx->aead_id = aead_id;
	ctx->nk = nk;
	ctx->cipher = EVP_CIPHER_fetch(NULL, name, NULL);
	if (ctx->cipher == NULL) {
		st = BC_ERR_INTERNAL;
		goto out;
	}
	hpke_suite(&s, aead_id);
	ksc[0] = 0x00; /* mode_base */
	st = labeled_extract(&s, NULL, 0, "psk_id_hash", NULL, 0, ksc + 1);
	if (st == BC_OK)
		st = labeled_extract(&s, NULL, 0, "info_hash", info, infolen,
		                     ksc + 1 + NH);
	if (st == BC_OK)
		st = labeled_extract(&s, shared_secret, BC_HPKE_SECRET_LEN,
		                     "secret", NULL, 0, secret);
	if (st == BC_OK)
		st = labeled_expand(&s, secret, "key", ksc, sizeof(ksc),
		                    ctx->key, nk);
	if (st == BC_OK)
		st = labeled_expand(&s, secret, "base_nonce", ksc, sizeof(ksc),
		                    ctx->base_nonce, BC_HPKE_NONCE_LEN);
	if (st == BC_OK)
		st = labeled_expand(&s, secret, "exp", ksc, sizeof(ksc),
		                    ctx->exporter_secret, NH);
	if (st == BC_OK && trace != NULL) {
		memset(trace, 0, sizeof(*trace));
		memcpy(trace->key_schedule_context, ksc, sizeof(ksc));
		memcpy(trace->secret, secret, NH);
		memcpy(trace->key, ctx->key, nk);
		trace->keylen = nk;
		memcpy(trace->base_nonce, ctx->base_nonce, BC_HPKE_NONCE_LEN);
		memcpy(trace->exporter_secret, ctx->exporter_secret, NH);
	}
out:
	bc_wipe(secret, sizeof(secret));
	if (st != BC_OK) {
		bc_hpke_ctx_free(ctx);
		return st;
	}
	*ctxp = ctx;
	return BC_OK;
}

static bc_status setup_sender(bc_hpke_ctx **ctx, unsigned aead_id,
                              const uint8_t pkR[BC_HPKE_PK_LEN],
                              const uint8_t *info, size_t infolen,
                              const uint8_t *ikmE, size_t ikmElen,
                              uint8_t enc[BC_HPKE_ENC_LEN])
{
	uint8_t ss[BC_HPKE_SECRET_LEN];
	size_t nk;
	bc_status st;

	*ctx = NULL;
	if (aead_name(aead_id, &nk) == NULL || (info == NULL && infolen > 0))
		return BC_ERR_INVALID;
	st = encap(pkR, ikmE, ikmElen, ss, enc);
	if (st == BC_OK)
		st = bc_hpke_key_schedule(ctx, 1, aead_id, ss, info, infolen,
		                          NULL);
	bc_wipe(ss, sizeof(ss));
	return st;
}

/* SetupBaseS(pkR, info) (RFC 9180 5.1.1). */
bc_status bc_hpke_setup_sender(bc_hpke_ctx **ctx, unsigned aead_id,
                               const uint8_t pkR[BC_HPKE_PK_LEN],
                               const uint8_t *info, size_t infolen,
                               uint8_t enc[BC_HPKE_ENC_LEN])
{
	return setup_sender(ctx, aead_id, pkR, info, infolen, NULL, 0, enc);
}

bc_status bc_hpke_setup_sender_derand(bc_hpke_ctx **ctx, unsigned aead_id,
                                      const uint8_t pkR[BC_HPKE_PK_LEN],
                                      const uint8_t *info, size_t infolen,
                                      const uint8_t *ikmE, size_t ikmElen,
                                      uint8_t enc[BC_HPKE_ENC_LEN])
{
	static const uint8_t none[1];

	if (ikmE == NULL && ikmElen > 0) {
		*ctx = NULL;
		return BC_ERR_INVALID;
	}
	return setup_sender(ctx, aead_id, pkR, info, infolen,
	                    ikmE != NULL ? ikmE : none, ikmElen, enc);
}

/* SetupBaseR(enc, skR, info) (RFC 9180 5.1.1). */
bc_status bc_hpke_setup_recipient(bc_hpke_ctx **ctx, unsigned aead_id,
                                  const uint8_t enc[BC_HPKE_ENC_LEN],
                                  const uint8_t skR[BC_HPKE_SK_LEN],
                                  const uint8_t *info, size_t infolen)
{
	uint8_t ss[BC_HPKE_SECRET_LEN];
	size_t nk;
	bc_status st;

	*ctx = NULL;
	if (aead_name(aead_id, &nk) == NULL || (info == NULL && infolen > 0))
		return BC_ERR_INVALID;
	st = bc_hpke_decap(enc, skR, ss);
	if (st == BC_OK)
		st = bc_hpke_key_schedule(ctx, 0, aead_id, ss, info, infolen,
		                          NULL);
	bc_wipe(ss, sizeof(ss));
	return st;
}

/*
 * ComputeNonce(seq) (RFC 9180 5.2): base_nonce XOR I2OSP(seq, Nn).  Our
 * seq is 64 bits, so only the last 8 of the 12 bytes change.
 */
static void compute_nonce(const bc_hpke_ctx *ctx,
                          uint8_t nonce[BC_HPKE_NONCE_LEN])
{
	int i;

	memcpy(nonce, ctx->base_nonce, BC_HPKE_NONCE_LEN);
	for (i = 0; i < 8; i++)
		nonce[BC_HPKE_NONCE_LEN - 1 - i] ^=
			(uint8_t)(ctx->seq >> (8 * i));
}

/*
 * The RFC's IncrementSeq refuses to pass 2^(8*Nn) - 1; our counter is 64
 * bits wide, so we stop at 2^64 - 1: that value is never used as a
 * sequence number and the counter never wraps (which would reuse nonces).
 */
static bc_status seq_check(const bc_hpke_ctx *ctx)
{
	return ctx->seq == UINT64_MAX ? BC_ERR_RANGE : BC_OK;
}

/* ContextS.Seal(aad, pt) (RFC 9180 5.2). */
bc_status bc_hpke_ctx_seal(bc_hpke_ctx *ctx, const uint8_t *aad,
                           size_t aadlen, const uint8_t *pt, size_t ptlen,
                           uint8_t *ct)
{
	uint8_t nonce[BC_HPKE_NONCE_LEN];
	EVP_CIPHER_CTX *cctx;
	int outl, finl;
	bc_status st = BC_ERR_INTERNAL;

	if (ctx == NULL || !ctx->is_sender || ct == NULL ||
	    (aad == NULL && aadlen > 0) || (pt == NULL && ptlen > 0))
		return BC_ERR_INVALID;
	if (seq_check(ctx) != BC_OK || aadlen > INT_MAX ||
	    ptlen > (size_t)INT_MAX - BC_HPKE_TAG_LEN)
		return BC_ERR_RANGE;
	cctx = EVP_CIPHER_CTX_new();
	if (cctx == NULL)
		return BC_ERR_NOMEM;
	compute_nonce(ctx, nonce);
	/* The default IV length of all three AEADs is Nn = 12. */
	if (EVP_EncryptInit_ex2(cctx, ctx->cipher, ctx->key, nonce, NULL) != 1)
		goto out;
	if (aadlen > 0 &&
	    EVP_EncryptUpdate(cctx, NULL, &outl, aad, (int)aadlen) != 1)
		goto out;
	outl = 0;
	if (ptlen > 0 &&
	    EVP_EncryptUpdate(cctx, ct, &outl, pt, (int)ptlen) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(cctx, ct + outl, &finl) != 1 ||
	    (size_t)outl + (size_t)finl != ptlen)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_AEAD_GET_TAG, BC_HPKE_TAG_LEN,
	                        ct + ptlen) != 1)
		goto out;
	ctx->seq++; /* IncrementSeq */
	st = BC_OK;
out:
	EVP_CIPHER_CTX_free(cctx); /* the provider clears the key schedule */
	bc_wipe(nonce, sizeof(nonce));
	return st;
}

/* ContextR.Open(aad, ct) (RFC 9180 5.2). */
bc_status bc_hpke_ctx_open(bc_hpke_ctx *ctx, const uint8_t *aad,
                           size_t aadlen, const uint8_t *ct, size_t ctlen,
                           uint8_t *pt)
{
	uint8_t nonce[BC_HPKE_NONCE_LEN];
	EVP_CIPHER_CTX *cctx = NULL;
	uint8_t *tmp = NULL;
	size_t ptlen;
	int outl = 0, finl;
	bc_status st = BC_ERR_INTERNAL;

	if (ctx == NULL || ctx->is_sender || ct == NULL ||
	    ctlen < BC_HPKE_TAG_LEN || (aad == NULL && aadlen > 0))
		return BC_ERR_INVALID;
	ptlen = ctlen - BC_HPKE_TAG_LEN;
	if (pt == NULL && ptlen > 0)
		return BC_ERR_INVALID;
	if (seq_check(ctx) != BC_OK || aadlen > INT_MAX ||
	    ctlen > (size_t)INT_MAX)
		return BC_ERR_RANGE;
	/* Decrypt aside: the caller's pt sees nothing unless the tag
	 * checks. */
	tmp = OPENSSL_malloc(ptlen > 0 ? ptlen : 1);
	cctx = EVP_CIPHER_CTX_new();
	if (tmp == NULL || cctx == NULL) {
		st = BC_ERR_NOMEM;
		goto out;
	}
	compute_nonce(ctx, nonce);
	if (EVP_DecryptInit_ex2(cctx, ctx->cipher, ctx->key, nonce, NULL) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_AEAD_SET_TAG, BC_HPKE_TAG_LEN,
	                        UNCONST(ct + ptlen)) != 1)
		goto out;
	if (aadlen > 0 &&
	    EVP_DecryptUpdate(cctx, NULL, &outl, aad, (int)aadlen) != 1)
		goto out;
	outl = 0;
	if (ptlen > 0 &&
	    EVP_DecryptUpdate(cctx, tmp, &outl, ct, (int)ptlen) != 1)
		goto out;
	if (EVP_DecryptFinal_ex(cctx, tmp + outl, &finl) != 1) {
		st = BC_ERR_VERIFY;
		goto out;
	}
	if ((size_t)outl + (size_t)finl != ptlen)
		goto out;
	if (ptlen > 0)
		memcpy(pt, tmp, ptlen);
	ctx->seq++; /* IncrementSeq */
	st = BC_OK;
out:
	EVP_CIPHER_CTX_free(cctx);
	OPENSSL_clear_free(tmp, ptlen > 0 ? ptlen : 1);
	bc_wipe(nonce, sizeof(nonce));
	return st;
}

/* Context.Export(exporter_context, L) (RFC 9180 5.3):
 *   LabeledExpand(exporter_secret, "sec", exporter_context, L) */
bc_status bc_hpke_ctx_export(const bc_hpke_ctx *ctx,
                             const uint8_t *exporter_context, size_t ctxlen,
                             uint8_t *out, size_t L)
{
	struct suite s;

	if (ctx == NULL || out == NULL ||
	    (exporter_context == NULL && ctxlen > 0))
		return BC_ERR_INVALID;
	/* OpenSSL 3.0's HKDF bounds its info: 1024 bytes in the first
	 * releases, 32 KiB in later ones; 512 stays clear of both. */
	if (L == 0 || L > BC_HPKE_EXPORT_MAX ||
	    ctxlen > BC_HPKE_EXPORT_CTX_MAX)
		return BC_ERR_RANGE;
	hpke_suite(&s, ctx->aead_id);
	return labeled_expand(&s, ctx->exporter_secret, "sec",
	                      exporter_context, ctxlen, out, L);
}

uint64_t bc_hpke_ctx_seq(const bc_hpke_ctx *ctx)
{
	return ctx->seq;
}

bc_status bc_hpke_ctx_set_seq(bc_hpke_ctx *ctx, uint64_t seq)
{
	if (ctx == NULL)
		return BC_ERR_INVALID;
	if (ctx->is_sender && seq < ctx->seq)
		return BC_ERR_RANGE;
	ctx->seq = seq;
	return BC_OK;
}

/* ---- the product's single-shot functions ---- */

bc_status bc_hpke_seal(const uint8_t pkR[BC_HPKE_PK_LEN], const uint8_t *info,
                       size_t infolen, const uint8_t *aad, size_t aadlen,
                       const uint8_t *pt, size_t ptlen,
                       uint8_t enc[BC_HPKE_ENC_LEN], uint8_t *ct)
{
	bc_hpke_ctx *ctx;
	bc_status st;

	st = bc_hpke_setup_sender(&ctx, BC_HPKE_AEAD_AES256GCM, pkR, info,
	                          infolen, enc);
	if (st != BC_OK)
		return st;
	st = bc_hpke_ctx_seal(ctx, aad, aadlen, pt, ptlen, ct);
	bc_hpke_ctx_free(ctx);
	return st;
}

bc_status bc_hpke_open(const uint8_t skR[BC_HPKE_SK_LEN],
                       const uint8_t enc[BC_HPKE_ENC_LEN],
                       const uint8_t *info, size_t infolen,
                       const uint8_t *aad, size_t aadlen, const uint8_t *ct,
                       size_t ctlen, uint8_t *pt)
{
	bc_hpke_ctx *ctx;
	bc_status st;

	if (ctlen < BC_HPKE_TAG_LEN)
		return BC_ERR_INVALID;
	st = bc_hpke_setup_recipient(&ctx, BC_HPKE_AEAD_AES256GCM, enc, skR,
	                             info, infolen);
	if (st != BC_OK)
		return st;
	st = bc_hpke_ctx_open(ctx, aad, aadlen, ct, ctlen, pt);
	bc_hpke_ctx_free(ctx);
	return st;
}
