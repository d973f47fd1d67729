/*
 * blindrsa.c: RSA blind signatures (RFC 9474) on OpenSSL 3.0.
 *
 * The private operation is OpenSSL's (EVP_PKEY_decrypt with no padding:
 * CRT, base blinding, constant-time exponentiation); everything else is
 * BIGNUM arithmetic written against the RFC: the public operation RSAVP1,
 * the client's blinding and unblinding (with constant-time exponentiation,
 * inversion and Montgomery multiplication, since r and inv are secrets),
 * and EMSA-PSS (emsa_pss.c).
 */
#include "blindrsa.h"
#include "emsa_pss.h"

#include <assert.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

struct bc_brsa_key {
	EVP_PKEY *pkey;      /* RSA; holds the private part iff priv */
	BIGNUM *n, *e;       /* public, copied out of pkey for RSAVP1 */
	BN_MONT_CTX *mont;   /* Montgomery context for n, read-only */
	size_t k;            /* modulus length in bytes */
	unsigned bits;       /* modulus length in bits */
	int priv;
};

/* ---- Variants (RFC 9474 section 5) ---- */

static const struct {
	const char *name;
	size_t saltlen;
	size_t prefixlen;
} variants[] = {
	[BC_BRSA_SHA384_PSS_RANDOMIZED] = {
		"RSABSSA-SHA384-PSS-Randomized", BC_BRSA_SALT_LEN,
		BC_BRSA_PREFIX_LEN},
	[BC_BRSA_SHA384_PSSZERO_RANDOMIZED] = {
		"RSABSSA-SHA384-PSSZERO-Randomized", 0, BC_BRSA_PREFIX_LEN},
	[BC_BRSA_SHA384_PSS_DETERMINISTIC] = {
		"RSABSSA-SHA384-PSS-Deterministic", BC_BRSA_SALT_LEN, 0},
	[BC_BRSA_SHA384_PSSZERO_DETERMINISTIC] = {
		"RSABSSA-SHA384-PSSZERO-Deterministic", 0, 0},
};

#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

static int variant_ok(bc_brsa_variant v)
{
	return (unsigned)v < NVARIANTS;
}

const char *bc_brsa_variant_name(bc_brsa_variant v)
{
	return variant_ok(v) ? variants[v].name : NULL;
}

bc_status bc_brsa_variant_from_name(const char *name, bc_brsa_variant *v)
{
	size_t i;

	if (name == NULL || v == NULL)
		return BC_ERR_INVALID;
	for (i = 0; i < NVARIANTS; i++) {
		if (strcmp(name, variants[i].name) == 0) {
			*v = (bc_brsa_variant)i;
			return BC_OK;
		}
	}
	return BC_ERR_INVALID;
}

size_t bc_brsa_salt_len(bc_brsa_variant v)
{
	return variant_ok(v) ? variants[v].saltlen : 0;
}

size_t bc_brsa_prefix_len(bc_brsa_variant v)
{
	return variant_ok(v) ? variants[v].prefixlen : 0;
}

/* ---- Keys ---- */

void bc_brsa_key_free(bc_brsa_key *key)
{
	if (key == NULL)
		return;
	/* EVP_PKEY_free clears the private BIGNUMs (BN_clear_free). */
	EVP_PKEY_free(key->pkey);
	BN_free(key->n);
	BN_free(key->e);
	BN_MONT_CTX_free(key->mont);
	bc_wipe(key, sizeof(*key));
	OPENSSL_free(key);
}

size_t bc_brsa_key_len(const bc_brsa_key *key)
{
	return key != NULL ? key->k : 0;
}

unsigned bc_brsa_key_bits(const bc_brsa_key *key)
{
	return key != NULL ? key->bits : 0;
}

int bc_brsa_key_is_private(const bc_brsa_key *key)
{
	return key != NULL && key->priv;
}

/*
 * Wraps pkey (whose ownership passes to this function, freed on failure)
 * in a bc_brsa_key after the checks every key gets: rsaEncryption, modulus
 * size, e odd with 3 <= e < n; a private key must have d, and when
 * `check` is set, EVP_PKEY_check (primes, d * e = 1, CRT values) vouches
 * for the consistency of an imported one.
 */
static bc_status wrap_pkey(EVP_PKEY *pkey, int want_priv, int check,
                           bc_brsa_key **out)
{
	bc_brsa_key *key = NULL;
	BIGNUM *d = NULL;
	BN_CTX *bnctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	bc_status st = BC_ERR_INVALID;
	int bits;

	*out = NULL;
	ERR_set_mark();
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		goto out;
	key = OPENSSL_zalloc(sizeof(*key));
	if (key == NULL) {
		st = BC_ERR_NOMEM;
		goto out;
	}
	key->pkey = pkey;
	pkey = NULL;
	if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_N,
	                          &key->n) != 1 ||
	    EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_E,
	                          &key->e) != 1)
		goto out;
	bits = BN_num_bits(key->n);
	if (bits < BC_BRSA_MIN_BITS || bits > BC_BRSA_MAX_BITS ||
	    !BN_is_odd(key->n) || !BN_is_odd(key->e) ||
	    BN_num_bits(key->e) < 2 || BN_ucmp(key->e, key->n) >= 0)
		goto out;
	key->bits = (unsigned)bits;
	key->k = ((size_t)bits + 7) / 8;
	if (want_priv) {
		if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_D,
		                          &d) != 1 || BN_is_zero(d))
			goto out;
		key->priv = 1;
	}
	if (check) {
		pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
		if (pctx == NULL) {
			st = BC_ERR_NOMEM;
			goto out;
		}
		if ((want_priv ? EVP_PKEY_check(pctx)
		               : EVP_PKEY_public_check(pctx)) != 1)
			goto out;
	}
	bnctx = BN_CTX_new();
	key->mont = BN_MONT_CTX_new();
	if (bnctx == NULL || key->mont == NULL) {
		st = BC_ERR_NOMEM;
		goto out;
	}
	if (BN_MONT_CTX_set(key->mont, key->n, bnctx) != 1) {
		st = BC_ERR_INTERNAL;
		goto out;
	}
	*out = key;
	key = NULL;
	st = BC_OK;
out:
	/*
	 * The checks leave OpenSSL's reasons queued; we report ours, and
	 * leave the queue as we found it.
	 */
	ERR_pop_to_mark();
	BN_clear_free(d);
	BN_CTX_free(bnctx);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(pkey);
	bc_brsa_key_free(key);
	return st;
}

bc_status bc_brsa_keygen(unsigned bits, bc_brsa_key **out)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *e = NULL;
	bc_status st = BC_ERR_INTERNAL;

	if (out == NULL)
		return BC_ERR_INVALID;
	*out = NULL;
	if (bits != 2048 && bits != 3072 && bits != 4096)
		return BC_ERR_RANGE;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	e = BN_new();
	if (ctx == NULL || e == NULL) {
		st = BC_ERR_NOMEM;
		goto out;
	}
	if (BN_set_word(e, 65537) != 1 || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) <= 0 ||
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0 ||
	    EVP_PKEY_generate(ctx, &pkey) != 1)
		goto out;
	/* A key OpenSSL just made needs no consistency check. */
	st = wrap_pkey(pkey, 1, 0, out);
	pkey = NULL;
	if (st == BC_ERR_INVALID)
		st = BC_ERR_INTERNAL;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	BN_free(e);
	return st;
}

/*
 * A public key from n and e (RFC 8017 3.1); `check` runs OpenSSL's public
 * key check too (not needed for a copy of a key already checked).
 */
static bc_status key_from_ne(const BIGNUM *n, const BIGNUM *e, int check,
                             bc_brsa_key **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	bc_status st = BC_ERR_NOMEM;

	bld = OSSL_PARAM_BLD_new();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (bld == NULL || ctx == NULL)
		goto out;
	if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params == NULL)
		goto out;
	st = BC_ERR_INTERNAL;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	st = wrap_pkey(pkey, 0, check, out);
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return st;
}

bc_status bc_brsa_key_public(const bc_brsa_key *key, bc_brsa_key **out)
{
	if (key == NULL || out == NULL)
		return BC_ERR_INVALID;
	*out = NULL;
	return key_from_ne(key->n, key->e, 0, out);
}

bc_status bc_brsa_key_to_raw(const bc_brsa_key *key, uint8_t *n, size_t nlen,
                             uint8_t *e, size_t ecap, size_t *elen)
{
	size_t need;

	if (key == NULL || n == NULL || elen == NULL || nlen != key->k)
		return BC_ERR_INVALID;
	need = (size_t)BN_num_bytes(key->e);
	*elen = need;
	if (e == NULL || ecap < need)
		return BC_ERR_RANGE;
	if (BN_bn2binpad(key->n, n, (int)nlen) != (int)nlen ||
	    BN_bn2binpad(key->e, e, (int)need) != (int)need)
		return BC_ERR_INTERNAL;
	return BC_OK;
}

bc_status bc_brsa_key_from_raw(const uint8_t *n, size_t nlen,
                               const uint8_t *e, size_t elen,
                               bc_brsa_key **out)
{
	BIGNUM *bn = NULL, *be = NULL;
	bc_status st;

	if (out == NULL)
		return BC_ERR_INVALID;
	*out = NULL;
	/* Minimal encodings only, so that one key has one raw form. */
	if (n == NULL || e == NULL || nlen == 0 || elen == 0 ||
	    nlen > BC_BRSA_MAX_LEN || elen > nlen || n[0] == 0 || e[0] == 0)
		return BC_ERR_INVALID;
	bn = BN_bin2bn(n, (int)nlen, NULL);
	be = BN_bin2bn(e, (int)elen, NULL);
	if (bn == NULL || be == NULL) {
		st = BC_ERR_NOMEM;
		goto out;
	}
	st = key_from_ne(bn, be, 1, out);
out:
	BN_free(bn);
	BN_free(be);
	return st;
}

/*
 * Encodes key with OpenSSL's encoder (format "DER" or "PEM", structure
 * "PrivateKeyInfo" or "SubjectPublicKeyInfo") into the caller's buffer;
 * see blindrsa.h for the out/cap/outlen convention.  pem adds the NUL.
 */
static bc_status encode_key(const bc_brsa_key *key, int priv,
                            const char *format, uint8_t *out, size_t cap,
                            size_t *outlen)
{
	OSSL_ENCODER_CTX *ectx = NULL;
	unsigned char *data = NULL;
	size_t len = 0, extra = strcmp(format, "PEM") == 0;
	bc_status st = BC_ERR_INTERNAL;

	if (key == NULL || outlen == NULL || (priv && !key->priv))
		return BC_ERR_INVALID;
	*outlen = 0;
	ectx = OSSL_ENCODER_CTX_new_for_pkey(key->pkey,
	        priv ? OSSL_KEYMGMT_SELECT_KEYPAIR
	             : OSSL_KEYMGMT_SELECT_PUBLIC_KEY,
	        format, priv ? "PrivateKeyInfo" : "SubjectPublicKeyInfo",
	        NULL);
	if (ectx == NULL) {
		st = BC_ERR_NOMEM;
		goto out;
	}
	if (OSSL_ENCODER_CTX_get_num_encoders(ectx) == 0 ||
	    OSSL_ENCODER_to_data(ectx, &data, &len) != 1 || data == NULL)
		goto out;
	*outlen = len;
	if (out == NULL || cap < len + extra) {
		st = BC_ERR_RANGE;
		goto out;
	}
	memcpy(out, data, len);
	if (extra)
		out[len] = 0;
	st = BC_OK;
out:
	if (data != NULL)
		OPENSSL_clear_free(data, len);
	OSSL_ENCODER_CTX_free(ectx);
	return st;
}

bc_status bc_brsa_key_to_pkcs8_der(const bc_brsa_key *key, uint8_t *out,
                                   size_t cap, size_t *outlen)
{
	return encode_key(key, 1, "DER", out, cap, outlen);
}

bc_status bc_brsa_key_to_pkcs8_pem(const bc_brsa_key *key, char *out,
                                   size_t cap, size_t *outlen)
{
	return encode_key(key, 1, "PEM", (uint8_t *)out, cap, outlen);
}

bc_status bc_brsa_key_to_spki_der(const bc_brsa_key *key, uint8_t *out,
                                  size_t cap, size_t *outlen)
{
	return encode_key(key, 0, "DER", out, cap, outlen);
}

bc_status bc_brsa_key_to_spki_pem(const bc_brsa_key *key, char *out,
                                  size_t cap, size_t *outlen)
{
	return encode_key(key, 0, "PEM", (uint8_t *)out, cap, outlen);
}

/*
 * The DER inside a PEM block labelled `label`, which must be the whole
 * input but for trailing whitespace; no encryption headers.
 * OUT: *der, *derlen, freed by the caller with
 * OPENSSL_secure_clear_free(*der, *derlen).
 */
static bc_status pem_unwrap(const char *in, size_t len, const char *label,
                            unsigned char **der, size_t *derlen)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL, *rest = NULL;
	unsigned char *data = NULL;
	long datalen = 0, restlen, i;
	bc_status st = BC_ERR_INVALID;

	*der = NULL;
	*derlen = 0;
	if (in == NULL || len == 0 || len > 65536)
		return BC_ERR_INVALID;
	ERR_set_mark();
	bio = BIO_new_mem_buf(in, (int)len);
	if (bio == NULL) {
		st = BC_ERR_NOMEM;
		goto out;
	}
	/* PEM_FLAG_SECURE: the private key's DER lives in the secure heap. */
	if (PEM_read_bio_ex(bio, &name, &header, &data, &datalen,
	                    PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE) != 1)
		goto out;
	if (strcmp(name, label) != 0 || header[0] != 0 || datalen <= 0)
		goto out;
	restlen = BIO_get_mem_data(bio, &rest);
	for (i = 0; i < restlen; i++)
		if (strchr(" \t\r\n", rest[i]) == NULL || rest[i] == 0)
			goto out;
	*der = data;
	*derlen = (size_t)datalen;
	data = NULL;
	st = BC_OK;
out:
	ERR_pop_to_mark();
	OPENSSL_secure_free(name);
	OPENSSL_secure_free(header);
	if (data != NULL)
		OPENSSL_secure_clear_free(data, (size_t)datalen);
	BIO_free(bio);
	return st;
}

bc_status bc_brsa_key_from_pkcs8_der(const uint8_t *der, size_t len,
                                     bc_brsa_key **out)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pkey = NULL;
	const unsigned char *p = der;
	bc_status st = BC_ERR_INVALID;

	if (out == NULL)
		return BC_ERR_INVALID;
	*out = NULL;
	if (der == NULL || len == 0 || len > 65536)
		return BC_ERR_INVALID;
	ERR_set_mark();
	/*
	 * PrivateKeyInfo exactly (RFC 5208 5), the whole input: parsed as
	 * such first, since OpenSSL's generic decoder also takes PKCS#1.
	 * The structure's free callback clears the key octets.
	 */
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
	if (p8 == NULL || p != der + len)
		goto out;
	pkey = EVP_PKCS82PKEY_ex(p8, NULL, NULL);
	if (pkey == NULL)
		goto out;
	st = wrap_pkey(pkey, 1, 1, out);
	pkey = NULL;
out:
	ERR_pop_to_mark();
	EVP_PKEY_free(pkey);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return st;
}

bc_status bc_brsa_key_from_pkcs8_pem(const char *pem, size_t len,
                                     bc_brsa_key **out)
{
	unsigned char *der = NULL;
	size_t derlen = 0;
	bc_status st;

	if (out == NULL)
		return BC_ERR_INVALID;
	*out = NULL;
	st = pem_unwrap(pem, len, "PRIVATE KEY", &der, &derlen);
	if (st != BC_OK)
		return st;
	st = bc_brsa_key_from_pkcs8_der(der, derlen, out);
	OPENSSL_secure_clear_free(der, derlen);
	return st;
}

bc_status bc_brsa_key_from_spki_der(const uint8_t *der, size_t len,
                                    bc_brsa_key **out)
{
	EVP_PKEY *pkey = NULL;
	const unsigned char *p = der;
	uint8_t *again = NULL;
	size_t againlen = 0;
	bc_status st = BC_ERR_INVALID;

	if (out == NULL)
		return BC_ERR_INVALID;
	*out = NULL;
	if (der == NULL || len == 0 || len > 65536)
		return BC_ERR_INVALID;
	ERR_set_mark();
	pkey = d2i_PUBKEY(NULL, &p, (long)len);
	if (pkey == NULL || p != der + len)
		goto out;
	st = wrap_pkey(pkey, 0, 1, out);
	pkey = NULL;
	if (st != BC_OK)
		goto out;
	/*
	 * Canonical form only: re-encode and compare, so that BER variants
	 * (long length forms, absent NULL parameters...) of the published
	 * key are refused rather than treated as the same key.
	 */
	st = bc_brsa_key_to_spki_der(*out, NULL, 0, &againlen);
	if (st == BC_ERR_RANGE) {
		again = OPENSSL_malloc(againlen > 0 ? againlen : 1);
		st = again == NULL ? BC_ERR_NOMEM
		                   : bc_brsa_key_to_spki_der(*out, again,
		                                             againlen,
		                                             &againlen);
	}
	if (st == BC_OK && (againlen != len || memcmp(again, der, len) != 0))
		st = BC_ERR_INVALID;
	if (st != BC_OK) {
		bc_brsa_key_free(*out);
		*out = NULL;
	}
out:
	ERR_pop_to_mark();
	EVP_PKEY_free(pkey);
	OPENSSL_free(again);
	return st;
}

bc_status bc_brsa_key_from_spki_pem(const char *pem, size_t len,
                                    bc_brsa_key **out)
{
	unsigned char *der = NULL;
	size_t derlen = 0;
	bc_status st;

	if (out == NULL)
		return BC_ERR_INVALID;
	*out = NULL;
	st = pem_unwrap(pem, len, "PUBLIC KEY", &der, &derlen);
	if (st != BC_OK)
		return st;
	st = bc_brsa_key_from_spki_der(der, derlen, out);
	OPENSSL_secure_clear_free(der, derlen);
	return st;
}

/* ---- Prepare (RFC 9474 4.1) ---- */

size_t bc_brsa_prepared_len(bc_brsa_variant v, size_t msglen)
{
	size_t pre;

	if (!variant_ok(v))
		return 0;
	pre = variants[v].prefixlen;
	if (msglen > SIZE_MAX - pre)
		return 0;
	return pre + msglen;
}

bc_status bc_brsa_prepare_with_prefix(bc_brsa_variant v,
                                      const uint8_t *prefix,
                                      const uint8_t *msg, size_t msglen,
                                      uint8_t *prepared)
{
	size_t pre;

	if (!variant_ok(v) || prepared == NULL ||
	    (msg == NULL && msglen > 0))
		return BC_ERR_INVALID;
	pre = variants[v].prefixlen;
	if ((pre > 0) != (prefix != NULL))
		return BC_ERR_INVALID;
	if (msglen > SIZE_MAX - pre)
		return BC_ERR_RANGE;
	/* PrepareRandomize: input_msg = msg_prefix || msg; else identity. */
	if (pre > 0 && prefix != NULL) /* both or neither, checked above */
		memcpy(prepared, prefix, pre);
	if (msglen > 0)
		memmove(prepared + pre, msg, msglen);
	return BC_OK;
}

bc_status bc_brsa_prepare(bc_brsa_variant v, const uint8_t *msg,
                          size_t msglen, uint8_t *prepared)
{
	uint8_t prefix[BC_BRSA_PREFIX_LEN];
	bc_status st;

	if (!variant_ok(v))
		return BC_ERR_INVALID;
	if (variants[v].prefixlen == 0)
		return bc_brsa_prepare_with_prefix(v, NULL, msg, msglen,
		                                   prepared);
	/* 4.1: msg_prefix = random(32). */
	st = bc_random(prefix, sizeof(prefix));
	if (st == BC_OK)
		st = bc_brsa_prepare_with_prefix(v, prefix, msg, msglen,
		                                 prepared);
	bc_wipe(prefix, sizeof(prefix));
	return st;
}

/* ---- Arithmetic helpers ---- */

/* OS2IP of k bytes; BC_ERR_INVALID unless 0 <= x < n (or 1 <= x if pos). */
static bc_status os2ip_mod(const bc_brsa_key *key, const uint8_t *in,
                           int pos, BIGNUM *x)
{
	if (BN_bin2bn(in, (int)key->k, x) == NULL)
		return BC_ERR_NOMEM;
	if (BN_ucmp(x, key->n) >= 0 || (pos && BN_is_zero(x)))
		return BC_ERR_INVALID;
	return BC_OK;
}

/* I2OSP(x, k); x < n is our invariant. */
static bc_status i2osp(const bc_brsa_key *key, const BIGNUM *x, uint8_t *out)
{
	assert(BN_ucmp(x, key->n) < 0);
	return BN_bn2binpad(x, out, (int)key->k) == (int)key->k
	       ? BC_OK : BC_ERR_INTERNAL;
}

/* RSAVP1 (RFC 8017 5.2.2): m = s^e mod n, for s < n.  Public data. */
static bc_status rsavp1(const bc_brsa_key *key, const BIGNUM *s, BIGNUM *m,
                        BN_CTX *ctx)
{
	return BN_mod_exp_mont(m, s, key->e, key->n, ctx, key->mont) == 1
	       ? BC_OK : BC_ERR_INTERNAL;
}

/*
 * a * b mod n for a, b < n, via two Montgomery multiplications
 * (a*R * b * R^-1 = a*b): unlike BN_mod_mul, whose division takes time
 * depending on the operands, this runs in time independent of secret
 * operands (r^e in blind, inv in finalize).
 */
static bc_status mul_mod_n(const bc_brsa_key *key, BIGNUM *out,
                           const BIGNUM *a, const BIGNUM *b, BN_CTX *ctx)
{
	BIGNUM *am;
	bc_status st = BC_ERR_INTERNAL;

	BN_CTX_start(ctx);
	am = BN_CTX_get(ctx);
	if (am != NULL && BN_to_montgomery(am, a, key->mont, ctx) == 1 &&
	    BN_mod_mul_montgomery(out, am, b, key->mont, ctx) == 1)
		st = BC_OK;
	BN_CTX_end(ctx);
	return st;
}

/*
 * The blinding factor r, uniform in [1, n), by rejection sampling on
 * bc_random output cut to n's bit length (at most two draws expected).
 */
static bc_status draw_r(const bc_brsa_key *key, uint8_t *r)
{
	unsigned topbits = key->bits % 8;
	BIGNUM *x = BN_new();
	bc_status st = BC_ERR_INTERNAL;
	int tries;

	if (x == NULL)
		return BC_ERR_NOMEM;
	BN_set_flags(x, BN_FLG_CONSTTIME);
	for (tries = 0; tries < 128; tries++) {
		st = bc_random(r, key->k);
		if (st != BC_OK)
			break;
		if (topbits != 0)
			r[0] &= (uint8_t)((1u << topbits) - 1);
		st = os2ip_mod(key, r, 1, x);
		if (st != BC_ERR_INVALID)
			break;
	}
	/* 128 rejections in a row: the DRBG is broken, not unlucky. */
	if (st == BC_ERR_INVALID)
		st = BC_ERR_INTERNAL;
	BN_clear_free(x);
	return st;
}

/*
 * RSASSA-PSS-VERIFY (RFC 8017 8.1.2) of sig, k bytes, on msg, after the
 * length check: s < n, m = RSAVP1(s), EM = I2OSP(m, emLen), then
 * EMSA-PSS-VERIFY with emBits = modBits - 1.
 */
static bc_status pss_verify(const bc_brsa_key *pk, bc_brsa_variant v,
                            const uint8_t *msg, size_t msglen,
                            const uint8_t *sig, BN_CTX *ctx)
{
	uint8_t em[BC_BRSA_MAX_LEN];
	size_t embits = pk->bits - 1, emlen = (embits + 7) / 8;
	BIGNUM *s, *m;
	bc_status st = BC_ERR_NOMEM;

	BN_CTX_start(ctx);
	s = BN_CTX_get(ctx);
	m = BN_CTX_get(ctx);
	if (m == NULL)
		goto out;
	/* 8.1.2 step 2b / RSAVP1 step 1: out of range is "invalid". */
	st = os2ip_mod(pk, sig, 0, s);
	if (st == BC_ERR_INVALID)
		st = BC_ERR_VERIFY;
	if (st != BC_OK)
		goto out;
	st = rsavp1(pk, s, m, ctx);
	if (st != BC_OK)
		goto out;
	/* Step 2c: I2OSP(m, emLen) fails ("invalid") if m is too long. */
	if (BN_bn2binpad(m, em, (int)emlen) != (int)emlen) {
		st = BC_ERR_VERIFY;
		goto out;
	}
	st = bc_emsa_pss_verify(msg, msglen, em, emlen, embits,
	                        variants[v].saltlen);
	if (st == BC_ERR_INVALID)
		st = BC_ERR_INTERNAL; /* emlen is ours */
out:
	BN_CTX_end(ctx);
	return st;
}

/* ---- Blind (RFC 9474 4.2) ---- */

bc_status bc_brsa_blind_with(const bc_brsa_key *pk, bc_brsa_variant v,
                             const uint8_t *prepared, size_t preparedlen,
                             const uint8_t *salt, const uint8_t *r,
                             uint8_t *blinded, uint8_t *inv, size_t klen)
{
	uint8_t em[BC_BRSA_MAX_LEN];
	size_t embits, emlen;
	BN_CTX *ctx = NULL;
	BIGNUM *m, *g, *x, *z, *br = NULL, *binv = NULL;
	bc_status st;

	if (pk == NULL || !variant_ok(v) || r == NULL || blinded == NULL ||
	    inv == NULL || klen != pk->k || (prepared == NULL && preparedlen)
	    || ((variants[v].saltlen > 0) != (salt != NULL)))
		return BC_ERR_INVALID;
	embits = pk->bits - 1;
	emlen = (embits + 7) / 8;

	ctx = BN_CTX_secure_new();
	br = BN_secure_new();
	binv = BN_secure_new();
	if (ctx == NULL || br == NULL || binv == NULL) {
		st = BC_ERR_NOMEM;
		goto out;
	}
	BN_set_flags(br, BN_FLG_CONSTTIME);
	BN_CTX_start(ctx);
	m = BN_CTX_get(ctx);
	g = BN_CTX_get(ctx);
	x = BN_CTX_get(ctx);
	z = BN_CTX_get(ctx);
	if (z == NULL) {
		st = BC_ERR_NOMEM;
		goto end;
	}

	/* Steps 1-2: encoded_msg = EMSA-PSS-ENCODE(msg, modBits - 1). */
	st = bc_emsa_pss_encode(prepared, preparedlen, salt,
	                        variants[v].saltlen, embits, em, emlen);
	if (st != BC_OK)
		goto end;
	/* Step 3: m = bytes_to_int(encoded_msg); m < n by construction. */
	if (BN_bin2bn(em, (int)emlen, m) == NULL) {
		st = BC_ERR_NOMEM;
		goto end;
	}
	st = BC_ERR_INVALID;
	if (BN_ucmp(m, pk->n) >= 0)
		goto end;
	/* Step 6: r in [1, n), given. */
	st = os2ip_mod(pk, r, 1, br);
	if (st != BC_OK)
		goto end;
	/*
	 * Steps 4-5 and 7-8: m must be invertible mod n ("invalid input")
	 * and so must r ("blinding error"); inv = r^-1 mod n.  One inverse
	 * answers all three: m*r is invertible exactly when both are, and
	 * then r^-1 = m * (m*r)^-1.  This replaces two constant-time gcds
	 * and an inverse, which cost four times the rest of Blind.
	 */
	st = mul_mod_n(pk, g, m, br, ctx);
	if (st != BC_OK)
		goto end;
	BN_set_flags(g, BN_FLG_CONSTTIME);
	ERR_set_mark();
	if (BN_mod_inverse(x, g, pk->n, ctx) == NULL) {
		unsigned long e = ERR_peek_last_error();

		st = ERR_GET_LIB(e) == ERR_LIB_BN &&
		             ERR_GET_REASON(e) == BN_R_NO_INVERSE
		         ? BC_ERR_INVALID
		         : BC_ERR_INTERNAL;
		ERR_pop_to_mark();
		goto end;
	}
	ERR_pop_to_mark();
	st = mul_mod_n(pk, binv, m, x, ctx);
	if (st != BC_OK)
		goto end;
	/* Step 9: x = RSAVP1(pk, r) = r^e mod n, r secret. */
	if (BN_mod_exp_mont_consttime(x, br, pk->e, pk->n, ctx,
	                              pk->mont) != 1) {
		st = BC_ERR_INTERNAL;
		goto end;
	}
	/* Step 10: z = m * x mod n. */
	st = mul_mod_n(pk, z, m, x, ctx);
	if (st != BC_OK)
		goto end;
	/* Steps 11-12: blinded_msg = int_to_bytes(z, k); inv out too. */
	st = i2osp(pk, z, blinded);
	if (st == BC_OK)
		st = i2osp(pk, binv, inv);
	if (st != BC_OK) {
		bc_wipe(blinded, klen);
		bc_wipe(inv, klen);
	}
end:
	BN_CTX_end(ctx);
out:
	bc_wipe(em, sizeof(em));
	BN_clear_free(br);
	BN_clear_free(binv);
	BN_CTX_free(ctx); /* secure: cleared on free */
	return st;
}

bc_status bc_brsa_blind(const bc_brsa_key *pk, bc_brsa_variant v,
                        const uint8_t *prepared, size_t preparedlen,
                        uint8_t *blinded, uint8_t *inv, size_t klen)
{
	uint8_t salt[BC_BRSA_SALT_LEN], r[BC_BRSA_MAX_LEN];
	size_t saltlen;
	bc_status st;
	int tries;

	if (pk == NULL || !variant_ok(v) || klen != pk->k)
		return BC_ERR_INVALID;
	saltlen = variants[v].saltlen;
	assert(saltlen <= sizeof(salt));
	/* RFC 8017 9.1.1 step 4: a fresh random salt. */
	st = bc_random(salt, sizeof(salt));
	if (st != BC_OK)
		goto out;
	/*
	 * Step 6: r = random_integer_uniform(1, n).  A blinding error (an r
	 * sharing a factor with n) is astronomically unlikely for a real
	 * key; we draw again a few times rather than fail the client.
	 * "invalid input" (m not invertible) repeats with any r, so after
	 * the retries it is returned as such.
	 */
	for (tries = 0; tries < 4; tries++) {
		st = draw_r(pk, r);
		if (st != BC_OK)
			break;
		st = bc_brsa_blind_with(pk, v, prepared, preparedlen,
		                        saltlen > 0 ? salt : NULL, r, blinded,
		                        inv, klen);
		if (st != BC_ERR_INVALID)
			break;
	}
out:
	bc_wipe(salt, sizeof(salt));
	bc_wipe(r, sizeof(r));
	return st;
}

/* ---- BlindSign (RFC 9474 4.3) ---- */

bc_status bc_brsa_check_blind_sig(const bc_brsa_key *pk,
                                  const uint8_t *blinded,
                                  const uint8_t *blind_sig, size_t klen)
{
	uint8_t mp[BC_BRSA_MAX_LEN];
	BN_CTX *ctx;
	BIGNUM *m, *s, *m2;
	bc_status st = BC_ERR_NOMEM;

	if (pk == NULL || blinded == NULL || blind_sig == NULL ||
	    klen != pk->k)
		return BC_ERR_INVALID;
	ctx = BN_CTX_new();
	if (ctx == NULL)
		return BC_ERR_NOMEM;
	BN_CTX_start(ctx);
	m = BN_CTX_get(ctx);
	s = BN_CTX_get(ctx);
	m2 = BN_CTX_get(ctx);
	if (m2 == NULL)
		goto out;
	st = os2ip_mod(pk, blinded, 0, m);
	if (st == BC_OK)
		st = os2ip_mod(pk, blind_sig, 0, s);
	if (st != BC_OK)
		goto out;
	/* Step 3: m' = RSAVP1(pk, s); step 4: m == m' or "signing failure". */
	st = rsavp1(pk, s, m2, ctx);
	if (st == BC_OK)
		st = i2osp(pk, m2, mp);
	if (st == BC_OK && !bc_ct_equal(mp, blinded, klen))
		st = BC_ERR_VERIFY;
out:
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	return st;
}

bc_status bc_brsa_blind_sign(const bc_brsa_key *sk, const uint8_t *blinded,
                             uint8_t *blind_sig, size_t klen)
{
	uint8_t s[BC_BRSA_MAX_LEN];
	EVP_PKEY_CTX *pctx = NULL;
	BIGNUM *m = NULL;
	size_t slen = sizeof(s);
	bc_status st;

	/* Step 1 (the length check of RSASP1's input). */
	if (sk == NULL || !sk->priv || blinded == NULL || blind_sig == NULL ||
	    klen != sk->k)
		return BC_ERR_INVALID;
	/* Step 2 / RSASP1 step 1: m < n, else "message representative
	 * out of range".  Checked here so that it is our error, not
	 * OpenSSL's. */
	m = BN_new();
	if (m == NULL)
		return BC_ERR_NOMEM;
	st = os2ip_mod(sk, blinded, 0, m);
	BN_free(m);
	if (st != BC_OK)
		return st;

	/* Step 2: s = RSASP1(sk, m) = m^d mod n, by OpenSSL. */
	pctx = EVP_PKEY_CTX_new_from_pkey(NULL, sk->pkey, NULL);
	if (pctx == NULL)
		return BC_ERR_NOMEM;
	if (EVP_PKEY_decrypt_init(pctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_NO_PADDING) <= 0 ||
	    EVP_PKEY_decrypt(pctx, s, &slen, blinded, klen) != 1 ||
	    slen != klen) {
		st = BC_ERR_INTERNAL;
		goto out;
	}
	/* Steps 3-4: never release an s that does not verify. */
	st = bc_brsa_check_blind_sig(sk, blinded, s, klen);
	if (st == BC_ERR_INVALID)
		st = BC_ERR_VERIFY; /* s >= n: a fault too */
	if (st != BC_OK)
		goto out;
	/* Steps 5-6: blind_sig = int_to_bytes(s, k). */
	memcpy(blind_sig, s, klen);
out:
	bc_wipe(s, sizeof(s));
	EVP_PKEY_CTX_free(pctx);
	return st;
}

/* ---- Finalize (RFC 9474 4.4) and Verify (4.5) ---- */

bc_status bc_brsa_finalize(const bc_brsa_key *pk, bc_brsa_variant v,
                           const uint8_t *prepared, size_t preparedlen,
                           const uint8_t *blind_sig, const uint8_t *inv,
                           uint8_t *sig, size_t klen)
{
	uint8_t out[BC_BRSA_MAX_LEN];
	BN_CTX *ctx = NULL;
	BIGNUM *z, *s, *binv = NULL;
	bc_status st;

	/* Step 1: len(blind_sig) == modulus_len, "unexpected input size". */
	if (pk == NULL || !variant_ok(v) || blind_sig == NULL || inv == NULL
	    || sig == NULL || klen != pk->k ||
	    (prepared == NULL && preparedlen > 0))
		return BC_ERR_INVALID;
	ctx = BN_CTX_secure_new();
	binv = BN_secure_new();
	if (ctx == NULL || binv == NULL) {
		st = BC_ERR_NOMEM;
		goto out;
	}
	BN_set_flags(binv, BN_FLG_CONSTTIME);
	BN_CTX_start(ctx);
	z = BN_CTX_get(ctx);
	s = BN_CTX_get(ctx);
	if (s == NULL) {
		st = BC_ERR_NOMEM;
		goto end;
	}
	/* Step 2: z = bytes_to_int(blind_sig), z < n; 1 <= inv < n. */
	st = os2ip_mod(pk, blind_sig, 0, z);
	if (st == BC_OK)
		st = os2ip_mod(pk, inv, 1, binv);
	if (st != BC_OK)
		goto end;
	/* Steps 3-4: s = z * inv mod n; sig = int_to_bytes(s, k). */
	st = mul_mod_n(pk, s, z, binv, ctx);
	if (st == BC_OK)
		st = i2osp(pk, s, out);
	if (st != BC_OK)
		goto end;
	/* Steps 5-6: RSASSA-PSS-VERIFY, and output sig only if valid. */
	st = pss_verify(pk, v, prepared, preparedlen, out, ctx);
	if (st == BC_OK)
		memcpy(sig, out, klen);
end:
	BN_CTX_end(ctx);
out:
	bc_wipe(out, sizeof(out));
	BN_clear_free(binv);
	BN_CTX_free(ctx);
	return st;
}

bc_status bc_brsa_verify(const bc_brsa_key *pk, bc_brsa_variant v,
                         const uint8_t *prepared, size_t preparedlen,
                         const uint8_t *sig, size_t siglen)
{
	BN_CTX *ctx;
	bc_status st;

	/* RFC 8017 8.1.2 step 1: length(S) == k. */
	if (pk == NULL || !variant_ok(v) || sig == NULL || siglen != pk->k ||
	    (prepared == NULL && preparedlen > 0))
		return BC_ERR_INVALID;
	ctx = BN_CTX_new();
	if (ctx == NULL)
		return BC_ERR_NOMEM;
	st = pss_verify(pk, v, prepared, preparedlen, sig, ctx);
	BN_CTX_free(ctx);
	return st;
}
