/*
 * test_blindrsa.c: RSA blind signatures (RFC 9474).
 *
 * Known answers: the four variants of RFC 9474 Appendix A from
 * rfc9474_test_vectors.json (in the directory given as argv[1]), every
 * intermediate value.  Independent checks: OpenSSL's own RSASSA-PSS
 * (EVP_DigestVerify/EVP_DigestSign, SHA-384, MGF1-SHA-384) must accept
 * our signatures and we must accept its.  Forgeries: single-bit flips of
 * signatures, messages and blind signatures.  Faults: BlindSign's own
 * check refuses a wrong s; an inconsistent private key is not imported.
 */
#include "blindrsa.h"
#include "emsa_pss.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "check.h"

#define K_MAX BC_BRSA_MAX_LEN

/* ---- helpers ---- */

/* Hex (optionally "0x"-prefixed, even length) to bytes; malloc'd. */
static uint8_t *unhex(const char *s, size_t *len)
{
	size_t n, i;
	uint8_t *out;

	if (s == NULL)
		return NULL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n % 2 != 0)
		return NULL;
	out = malloc(n / 2 + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			free(out);
			return NULL;
		}
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return out;
}

/* A "0x..." hex number as a BIGNUM. */
static BIGNUM *unhex_bn(const char *s)
{
	BIGNUM *bn = NULL;

	if (s == NULL)
		return NULL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (BN_hex2bn(&bn, s) == 0)
		return NULL;
	return bn;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void flip(uint8_t *p, size_t bit)
{
	p[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
}

/*
 * The bit positions a tamper test flips in a buffer of n bytes: every bit
 * of the first and last bytes, and 256 positions spread over the whole
 * buffer (all bits if there are no more than 512).  Returns the count.
 */
static size_t tamper_positions(size_t n, size_t *pos, size_t cap)
{
	size_t bits = 8 * n, c = 0, i;

	if (bits <= 512) {
		for (i = 0; i < bits && c < cap; i++)
			pos[c++] = i;
		return c;
	}
	for (i = 0; i < 8; i++)
		pos[c++] = i;
	for (i = 0; i < 8; i++)
		pos[c++] = bits - 8 + i;
	/* 256 positions evenly spread, at every bit offset within a byte. */
	for (i = 0; i < 256 && c < cap; i++)
		pos[c++] = (i * (bits / 256) + i % 8 + 3) % bits;
	return c;
}

/* OpenSSL's RSASSA-PSS verification: 1 if it accepts. */
static int ossl_pss_verify(EVP_PKEY *pkey, int saltlen, const uint8_t *msg,
                           size_t msglen, const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if (md != NULL &&
	    EVP_DigestVerifyInit_ex(md, &pctx, "SHA384", NULL, NULL, pkey,
	                            NULL) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA384", NULL) > 0 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) > 0)
		ok = EVP_DigestVerify(md, sig, siglen, msg, msglen) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

/* OpenSSL's RSASSA-PSS signature into sig (k bytes); 1 on success. */
static int ossl_pss_sign(EVP_PKEY *pkey, int saltlen, const uint8_t *msg,
                         size_t msglen, uint8_t *sig, size_t k)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t len = k;
	int ok = 0;

	if (md != NULL &&
	    EVP_DigestSignInit_ex(md, &pctx, "SHA384", NULL, NULL, pkey,
	                          NULL) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA384", NULL) > 0 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) > 0)
		ok = EVP_DigestSign(md, sig, &len, msg, msglen) == 1 &&
		     len == k;
	EVP_MD_CTX_free(md);
	return ok;
}

/*
 * An OpenSSL RSA key from its parts; CRT values derived here.  When
 * `fault` is set, dP and d are both wrong, so that neither OpenSSL's CRT
 * nor its fallback exponentiation gives the right answer.
 */
static EVP_PKEY *pkey_from_parts(const BIGNUM *n, const BIGNUM *e,
                                 const BIGNUM *d, const BIGNUM *p,
                                 const BIGNUM *q, int fault)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *dp = BN_new(), *dq = BN_new(), *qi = BN_new(), *t = BN_new();
	BIGNUM *d2 = BN_dup(d);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pkey = NULL;

	if (ctx == NULL || dp == NULL || dq == NULL || qi == NULL ||
	    t == NULL || d2 == NULL || bld == NULL || pctx == NULL)
		goto out;
	if (!BN_sub(t, p, BN_value_one()) || !BN_mod(dp, d, t, ctx) ||
	    !BN_sub(t, q, BN_value_one()) || !BN_mod(dq, d, t, ctx) ||
	    BN_mod_inverse(qi, q, p, ctx) == NULL)
		goto out;
	if (fault && (!BN_add_word(dp, 2) || !BN_add_word(d2, 2)))
		goto out;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d2) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1)
		pkey = NULL;
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(pctx);
	BN_CTX_free(ctx);
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(qi);
	BN_clear_free(t);
	BN_clear_free(d2);
	return pkey;
}

/* OpenSSL's own encoding of pkey (malloc'd), for import tests. */
static uint8_t *ossl_encode(EVP_PKEY *pkey, int selection, const char *fmt,
                            const char *structure, size_t *len)
{
	OSSL_ENCODER_CTX *ectx = OSSL_ENCODER_CTX_new_for_pkey(pkey, selection,
	                                fmt, structure, NULL);
	unsigned char *data = NULL;
	uint8_t *out = NULL;

	*len = 0;
	if (ectx != NULL && OSSL_ENCODER_to_data(ectx, &data, len) == 1) {
		out = malloc(*len + 1);
		if (out != NULL)
			memcpy(out, data, *len);
	}
	OPENSSL_clear_free(data, *len);
	OSSL_ENCODER_CTX_free(ectx);
	return out;
}

/* Our key as an OpenSSL key (through our PKCS#8 export), for cross-checks. */
static EVP_PKEY *to_ossl(const bc_brsa_key *key)
{
	uint8_t der[4096];
	const unsigned char *p = der;
	size_t len = 0;
	EVP_PKEY *pkey;

	if (bc_brsa_key_to_pkcs8_der(key, der, sizeof(der), &len) != BC_OK)
		return NULL;
	pkey = d2i_AutoPrivateKey(NULL, &p, (long)len);
	bc_wipe(der, sizeof(der));
	return pkey;
}

/* ---- the whole protocol, with random messages ---- */

/* Prepare, Blind, BlindSign, Finalize, Verify; checks each step. */
static void one_round(const bc_brsa_key *sk, const bc_brsa_key *pk,
                      bc_brsa_variant v, const uint8_t *msg, size_t msglen,
                      uint8_t *prepared, size_t *preparedlen, uint8_t *sig)
{
	uint8_t blinded[K_MAX], inv[K_MAX], bsig[K_MAX], bsig2[K_MAX];
	size_t k = bc_brsa_key_len(pk);

	*preparedlen = bc_brsa_prepared_len(v, msglen);
	CHECK(*preparedlen == msglen + bc_brsa_prefix_len(v));
	CHECK(bc_brsa_prepare(v, msg, msglen, prepared) == BC_OK);
	CHECK(msglen == 0 ||
	      memcmp(prepared + bc_brsa_prefix_len(v), msg, msglen) == 0);
	CHECK(bc_brsa_blind(pk, v, prepared, *preparedlen, blinded, inv, k) ==
	      BC_OK);
	CHECK(bc_brsa_blind_sign(sk, blinded, bsig, k) == BC_OK);
	/* Deterministic: asking again gives the same blind signature. */
	CHECK(bc_brsa_blind_sign(sk, blinded, bsig2, k) == BC_OK);
	CHECK(memcmp(bsig, bsig2, k) == 0);
	CHECK(bc_brsa_check_blind_sig(pk, blinded, bsig, k) == BC_OK);
	CHECK(bc_brsa_finalize(pk, v, prepared, *preparedlen, bsig, inv, sig,
	                       k) == BC_OK);
	CHECK(bc_brsa_verify(pk, v, prepared, *preparedlen, sig, k) == BC_OK);
	bc_wipe(inv, sizeof(inv));
}

/*
 * Every tamper test on one signature: flips of sig (Verify), of the
 * prepared message (Verify), of the blind signature (Finalize).
 */
static void tamper(const bc_brsa_key *pk, bc_brsa_variant v,
                   const uint8_t *prepared, size_t preparedlen,
                   const uint8_t *sig, const uint8_t *bsig,
                   const uint8_t *inv)
{
	uint8_t buf[K_MAX], out[K_MAX], zero[K_MAX] = {0};
	uint8_t *msg = malloc(preparedlen + 1);
	size_t pos[600], np, i, k = bc_brsa_key_len(pk);
	int rejected;

	CHECK(msg != NULL);
	if (msg == NULL)
		return;
	/* The untampered values pass, so that a rejection below means
	 * something. */
	CHECK(bc_brsa_verify(pk, v, prepared, preparedlen, sig, k) == BC_OK);
	CHECK(bc_brsa_finalize(pk, v, prepared, preparedlen, bsig, inv, out,
	                       k) == BC_OK);
	CHECK(memcmp(out, sig, k) == 0);

	np = tamper_positions(k, pos, 600);
	CHECK(np >= 256 + 16 || np == 8 * k);
	rejected = 0;
	for (i = 0; i < np; i++) {
		memcpy(buf, sig, k);
		flip(buf, pos[i]);
		rejected += bc_brsa_verify(pk, v, prepared, preparedlen, buf,
		                           k) == BC_ERR_VERIFY;
	}
	CHECK(rejected == (int)np);

	np = tamper_positions(preparedlen, pos, 600);
	rejected = 0;
	for (i = 0; i < np; i++) {
		memcpy(msg, prepared, preparedlen);
		flip(msg, pos[i]);
		rejected += bc_brsa_verify(pk, v, msg, preparedlen, sig, k) ==
		            BC_ERR_VERIFY;
	}
	CHECK(rejected == (int)np);
	/* Shorter and longer messages too. */
	if (preparedlen > 0)
		CHECK(bc_brsa_verify(pk, v, prepared, preparedlen - 1, sig,
		                     k) == BC_ERR_VERIFY);
	memcpy(msg, prepared, preparedlen);
	msg[preparedlen] = 0;
	CHECK(bc_brsa_verify(pk, v, msg, preparedlen + 1, sig, k) ==
	      BC_ERR_VERIFY);

	np = tamper_positions(k, pos, 600);
	rejected = 0;
	for (i = 0; i < np; i++) {
		bc_status st;

		memcpy(buf, bsig, k);
		flip(buf, pos[i]);
		memset(out, 0, k);
		st = bc_brsa_finalize(pk, v, prepared, preparedlen, buf, inv,
		                      out, k);
		/* >= n is BC_ERR_INVALID, anything else BC_ERR_VERIFY; and
		 * nothing is written either way. */
		rejected += (st == BC_ERR_VERIFY || st == BC_ERR_INVALID) &&
		            memcmp(out, zero, k) == 0;
	}
	CHECK(rejected == (int)np);

	/* Wrong lengths, out-of-range values, the other salt length. */
	CHECK(bc_brsa_verify(pk, v, prepared, preparedlen, sig, k - 1) ==
	      BC_ERR_INVALID);
	CHECK(bc_brsa_verify(pk, v, prepared, preparedlen, sig, k + 1) ==
	      BC_ERR_INVALID);
	memset(buf, 0xff, k);
	CHECK(bc_brsa_verify(pk, v, prepared, preparedlen, buf, k) ==
	      BC_ERR_VERIFY);
	CHECK(bc_brsa_verify(pk, v, prepared, preparedlen, zero, k) ==
	      BC_ERR_VERIFY);
	CHECK(bc_brsa_verify(pk, (bc_brsa_variant)(v ^ 1), prepared,
	                     preparedlen, sig, k) == BC_ERR_VERIFY);
	CHECK(bc_brsa_verify(pk, (bc_brsa_variant)17, prepared, preparedlen,
	                     sig, k) == BC_ERR_INVALID);
	CHECK(bc_brsa_finalize(pk, v, prepared, preparedlen, buf, inv, out,
	                       k) == BC_ERR_INVALID);
	CHECK(bc_brsa_finalize(pk, v, prepared, preparedlen, bsig, zero, out,
	                       k) == BC_ERR_INVALID);
	CHECK(bc_brsa_finalize(pk, v, prepared, preparedlen, bsig, inv, out,
	                       k - 1) == BC_ERR_INVALID);
	free(msg);
}

/* The fault check of BlindSign (RFC 9474 4.3 steps 3-4). */
static void fault_checks(const bc_brsa_key *sk, const uint8_t *blinded,
                         const uint8_t *bsig)
{
	uint8_t s[K_MAX], out[K_MAX], zero[K_MAX] = {0};
	size_t k = bc_brsa_key_len(sk), i;
	int refused = 0;

	CHECK(bc_brsa_check_blind_sig(sk, blinded, bsig, k) == BC_OK);
	for (i = 0; i < 8 * k; i += 37) {
		bc_status st;

		memcpy(s, bsig, k);
		flip(s, i);
		st = bc_brsa_check_blind_sig(sk, blinded, s, k);
		refused += st == BC_ERR_VERIFY || st == BC_ERR_INVALID;
	}
	CHECK(refused == (int)((8 * k + 36) / 37));
	CHECK(bc_brsa_check_blind_sig(sk, blinded, zero, k) == BC_ERR_VERIFY);
	CHECK(bc_brsa_check_blind_sig(sk, blinded, blinded, k) ==
	      BC_ERR_VERIFY);
	memset(s, 0xff, k);
	CHECK(bc_brsa_check_blind_sig(sk, blinded, s, k) == BC_ERR_INVALID);
	CHECK(bc_brsa_check_blind_sig(sk, s, bsig, k) == BC_ERR_INVALID);
	/* BlindSign refuses a blinded message >= n and wrong sizes. */
	memset(out, 0, k);
	CHECK(bc_brsa_blind_sign(sk, s, out, k) == BC_ERR_INVALID);
	CHECK(memcmp(out, zero, k) == 0);
	CHECK(bc_brsa_blind_sign(sk, blinded, out, k - 1) == BC_ERR_INVALID);
	CHECK(bc_brsa_blind_sign(sk, blinded, out, k + 1) == BC_ERR_INVALID);
}

/* ---- key encodings ---- */

static void encodings(const bc_brsa_key *sk)
{
	uint8_t der[4096], der2[4096], pub[1024], pub2[1024], n[K_MAX], e[8];
	char pem[8192], pem2[8192];
	size_t dlen = 0, dlen2 = 0, plen = 0, plen2 = 0, pemlen = 0, pemlen2;
	size_t need = 0, elen = 0, k = bc_brsa_key_len(sk);
	bc_brsa_key *a = NULL, *b = NULL;

	/* Size queries. */
	CHECK(bc_brsa_key_to_pkcs8_der(sk, NULL, 0, &need) == BC_ERR_RANGE);
	CHECK(bc_brsa_key_to_pkcs8_der(sk, der, sizeof(der), &dlen) == BC_OK);
	CHECK(need == dlen && dlen > k);
	CHECK(bc_brsa_key_to_pkcs8_der(sk, der, dlen - 1, &need) ==
	      BC_ERR_RANGE);
	CHECK(bc_brsa_key_to_pkcs8_pem(sk, pem, sizeof(pem), &pemlen) ==
	      BC_OK);
	CHECK(strlen(pem) == pemlen);
	CHECK(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	CHECK(bc_brsa_key_to_pkcs8_pem(sk, pem2, pemlen, &need) ==
	      BC_ERR_RANGE);

	/* Private key round trips, DER and PEM. */
	CHECK(bc_brsa_key_from_pkcs8_der(der, dlen, &a) == BC_OK);
	CHECK(bc_brsa_key_is_private(a));
	CHECK(bc_brsa_key_to_pkcs8_der(a, der2, sizeof(der2), &dlen2) ==
	      BC_OK);
	CHECK(dlen2 == dlen && memcmp(der, der2, dlen) == 0);
	bc_brsa_key_free(a);
	a = NULL;
	CHECK(bc_brsa_key_from_pkcs8_pem(pem, pemlen, &a) == BC_OK);
	CHECK(bc_brsa_key_to_pkcs8_pem(a, pem2, sizeof(pem2), &pemlen2) ==
	      BC_OK);
	CHECK(pemlen2 == pemlen && memcmp(pem, pem2, pemlen) == 0);
	bc_brsa_key_free(a);
	a = NULL;

	/* Malformed private keys. */
	CHECK(bc_brsa_key_from_pkcs8_der(der, dlen - 1, &a) ==
	      BC_ERR_INVALID && a == NULL);
	der[dlen] = 0;
	CHECK(bc_brsa_key_from_pkcs8_der(der, dlen + 1, &a) ==
	      BC_ERR_INVALID && a == NULL);
	CHECK(bc_brsa_key_from_pkcs8_der(der, 0, &a) == BC_ERR_INVALID);
	CHECK(bc_brsa_key_from_pkcs8_pem(pem, pemlen - 20, &a) ==
	      BC_ERR_INVALID && a == NULL);
	/* Trailing whitespace is fine, anything else is not. */
	memcpy(pem2, pem, pemlen);
	memcpy(pem2 + pemlen, "\n \n", 3);
	CHECK(bc_brsa_key_from_pkcs8_pem(pem2, pemlen + 3, &a) == BC_OK);
	bc_brsa_key_free(a);
	a = NULL;
	memcpy(pem2 + pemlen, "\nx\n", 3);
	CHECK(bc_brsa_key_from_pkcs8_pem(pem2, pemlen + 3, &a) ==
	      BC_ERR_INVALID && a == NULL);
	/* The PKCS#1 label, with the PKCS#8 body: refused. */
	CHECK(snprintf(pem2, sizeof(pem2), "-----BEGIN RSA PRIVATE KEY-----\n"
	               "%.*s-----END RSA PRIVATE KEY-----\n", (int)pemlen - 54,
	               pem + 28) > 0);
	CHECK(bc_brsa_key_from_pkcs8_pem(pem2, strlen(pem2), &a) ==
	      BC_ERR_INVALID && a == NULL);
	CHECK(bc_brsa_key_from_spki_pem(pem, pemlen, &b) == BC_ERR_INVALID &&
	      b == NULL);

	/* Public key: SPKI DER and PEM, raw. */
	CHECK(bc_brsa_key_to_spki_der(sk, pub, sizeof(pub), &plen) == BC_OK);
	CHECK(bc_brsa_key_from_spki_der(pub, plen, &b) == BC_OK);
	CHECK(!bc_brsa_key_is_private(b));
	CHECK(bc_brsa_key_bits(b) == bc_brsa_key_bits(sk));
	CHECK(bc_brsa_key_to_spki_der(b, pub2, sizeof(pub2), &plen2) == BC_OK);
	CHECK(plen2 == plen && memcmp(pub, pub2, plen) == 0);
	CHECK(bc_brsa_key_to_pkcs8_der(b, der2, sizeof(der2), &dlen2) ==
	      BC_ERR_INVALID);
	bc_brsa_key_free(b);
	b = NULL;
	CHECK(bc_brsa_key_public(sk, &b) == BC_OK);
	CHECK(bc_brsa_key_to_spki_der(b, pub2, sizeof(pub2), &plen2) == BC_OK);
	CHECK(plen2 == plen && memcmp(pub, pub2, plen) == 0);
	bc_brsa_key_free(b);
	b = NULL;
	CHECK(bc_brsa_key_to_spki_pem(sk, pem, sizeof(pem), &pemlen) == BC_OK);
	CHECK(strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);
	CHECK(bc_brsa_key_from_spki_pem(pem, pemlen, &b) == BC_OK);
	CHECK(bc_brsa_key_from_pkcs8_pem(pem, pemlen, &a) == BC_ERR_INVALID &&
	      a == NULL);
	CHECK(bc_brsa_key_to_spki_der(b, pub2, sizeof(pub2), &plen2) == BC_OK);
	CHECK(plen2 == plen && memcmp(pub, pub2, plen) == 0);
	bc_brsa_key_free(b);
	b = NULL;
	/* A public key is not a private key, nor the reverse. */
	CHECK(bc_brsa_key_from_pkcs8_der(pub, plen, &b) == BC_ERR_INVALID);
	CHECK(bc_brsa_key_from_spki_der(der, dlen, &b) == BC_ERR_INVALID);
	/* Trailing bytes, truncation, non-canonical length form. */
	pub[plen] = 0;
	CHECK(bc_brsa_key_from_spki_der(pub, plen + 1, &b) == BC_ERR_INVALID);
	CHECK(bc_brsa_key_from_spki_der(pub, plen - 1, &b) == BC_ERR_INVALID);
	if (pub[1] == 0x82) {
		/* 30 82 LL LL -> 30 83 00 LL LL: valid BER, not DER. */
		pub2[0] = 0x30;
		pub2[1] = 0x83;
		pub2[2] = 0;
		memcpy(pub2 + 3, pub + 2, plen - 2);
		CHECK(bc_brsa_key_from_spki_der(pub2, plen + 1, &b) ==
		      BC_ERR_INVALID && b == NULL);
	}

	CHECK(bc_brsa_key_to_raw(sk, n, k, e, 1, &elen) == BC_ERR_RANGE);
	CHECK(elen == 3);
	CHECK(bc_brsa_key_to_raw(sk, n, k, e, sizeof(e), &elen) == BC_OK);
	CHECK(elen == 3 && e[0] == 1 && e[1] == 0 && e[2] == 1);
	CHECK(bc_brsa_key_from_raw(n, k, e, elen, &b) == BC_OK);
	CHECK(bc_brsa_key_to_spki_der(b, pub2, sizeof(pub2), &plen2) == BC_OK);
	CHECK(plen2 == plen && memcmp(pub, pub2, plen) == 0);
	bc_brsa_key_free(b);
	b = NULL;
	/* Leading zero, even n, even e, e = 1, 1024-bit n. */
	{
		uint8_t n2[K_MAX + 1], e2[3] = {1, 0, 0}, one = 1;

		n2[0] = 0;
		memcpy(n2 + 1, n, k);
		CHECK(bc_brsa_key_from_raw(n2, k + 1, e, elen, &b) ==
		      BC_ERR_INVALID);
		memcpy(n2, n, k);
		n2[k - 1] ^= 1;
		CHECK(bc_brsa_key_from_raw(n2, k, e, elen, &b) ==
		      BC_ERR_INVALID);
		CHECK(bc_brsa_key_from_raw(n, k, e2, 3, &b) == BC_ERR_INVALID);
		CHECK(bc_brsa_key_from_raw(n, k, &one, 1, &b) ==
		      BC_ERR_INVALID);
		CHECK(bc_brsa_key_from_raw(n, 128, e, elen, &b) ==
		      BC_ERR_INVALID);
		CHECK(b == NULL);
	}
}

/* Import refuses an inconsistent private key and a PKCS#1 encoding. */
static void bad_private_keys(EVP_PKEY *good)
{
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *p = NULL, *q = NULL;
	EVP_PKEY *bad = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	bc_brsa_key *key = NULL;

	CHECK(EVP_PKEY_get_bn_param(good, OSSL_PKEY_PARAM_RSA_N, &n) == 1);
	CHECK(EVP_PKEY_get_bn_param(good, OSSL_PKEY_PARAM_RSA_E, &e) == 1);
	CHECK(EVP_PKEY_get_bn_param(good, OSSL_PKEY_PARAM_RSA_D, &d) == 1);
	CHECK(EVP_PKEY_get_bn_param(good, OSSL_PKEY_PARAM_RSA_FACTOR1, &p) ==
	      1);
	CHECK(EVP_PKEY_get_bn_param(good, OSSL_PKEY_PARAM_RSA_FACTOR2, &q) ==
	      1);
	if (n == NULL || e == NULL || d == NULL || p == NULL || q == NULL)
		goto out;
	/* A key whose private operation gives wrong results. */
	bad = pkey_from_parts(n, e, d, p, q, 1);
	CHECK(bad != NULL);
	der = ossl_encode(bad, OSSL_KEYMGMT_SELECT_KEYPAIR, "DER",
	                  "PrivateKeyInfo", &len);
	CHECK(der != NULL);
	if (der != NULL)
		CHECK(bc_brsa_key_from_pkcs8_der(der, len, &key) ==
		      BC_ERR_INVALID && key == NULL);
	free(der);
	/* PKCS#1 RSAPrivateKey, not PKCS#8. */
	der = ossl_encode(good, OSSL_KEYMGMT_SELECT_KEYPAIR, "DER",
	                  "type-specific", &len);
	CHECK(der != NULL);
	if (der != NULL)
		CHECK(bc_brsa_key_from_pkcs8_der(der, len, &key) ==
		      BC_ERR_INVALID && key == NULL);
	free(der);
	/* OpenSSL's own PKCS#8 of the good key is accepted. */
	der = ossl_encode(good, OSSL_KEYMGMT_SELECT_KEYPAIR, "DER",
	                  "PrivateKeyInfo", &len);
	CHECK(der != NULL);
	if (der != NULL)
		CHECK(bc_brsa_key_from_pkcs8_der(der, len, &key) == BC_OK);
	bc_brsa_key_free(key);
	free(der);
out:
	EVP_PKEY_free(bad);
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(p);
	BN_clear_free(q);
}

/* ---- no vectors needed ---- */

static void generated_keys(void)
{
	bc_brsa_key *sk = NULL, *pk = NULL, *other = NULL, *dummy = NULL;
	EVP_PKEY *osk = NULL, *oother = NULL;
	const bc_brsa_variant v = BC_BRSA_SHA384_PSS_RANDOMIZED;
	uint8_t msg[128], prepared[160], prepared2[160], sig[K_MAX];
	uint8_t blinded[K_MAX], blinded2[K_MAX], inv[K_MAX], inv2[K_MAX];
	uint8_t bsig[K_MAX], r[K_MAX], zero[K_MAX] = {0};
	size_t msglen, plen, k, i;
	int vv;

	CHECK(bc_brsa_keygen(1024, &dummy) == BC_ERR_RANGE && dummy == NULL);
	CHECK(bc_brsa_keygen(2047, &dummy) == BC_ERR_RANGE && dummy == NULL);
	CHECK(bc_brsa_keygen(2048, &sk) == BC_OK);
	CHECK(bc_brsa_keygen(2048, &other) == BC_OK);
	if (sk == NULL || other == NULL)
		goto out;
	k = bc_brsa_key_len(sk);
	CHECK(k == 256 && bc_brsa_key_bits(sk) == 2048);
	CHECK(bc_brsa_key_is_private(sk));
	CHECK(bc_brsa_key_public(sk, &pk) == BC_OK);
	osk = to_ossl(sk);
	oother = to_ossl(other);
	CHECK(osk != NULL && oother != NULL);
	if (pk == NULL || osk == NULL || oother == NULL)
		goto out;
	CHECK(EVP_PKEY_get_bits(osk) == 2048);

	/* Twenty random messages through the whole protocol. */
	for (i = 0; i < 20; i++) {
		CHECK(bc_random(msg, sizeof(msg)) == BC_OK);
		msglen = i == 0 ? 0 : msg[0] % sizeof(msg);
		one_round(sk, pk, v, msg, msglen, prepared, &plen, sig);
		/* OpenSSL's RSASSA-PSS agrees. */
		CHECK(ossl_pss_verify(osk, 48, prepared, plen, sig, k));
		/* A different key does not. */
		CHECK(bc_brsa_verify(other, v, prepared, plen, sig, k) ==
		      BC_ERR_VERIFY);
		CHECK(!ossl_pss_verify(oother, 48, prepared, plen, sig, k));
	}
	/* Prepare draws a fresh prefix each time. */
	CHECK(bc_brsa_prepare(v, msg, 16, prepared) == BC_OK);
	CHECK(bc_brsa_prepare(v, msg, 16, prepared2) == BC_OK);
	CHECK(memcmp(prepared, prepared2, BC_BRSA_PREFIX_LEN) != 0);
	CHECK(memcmp(prepared + 32, prepared2 + 32, 16) == 0);
	/* Blind draws a fresh r (and salt) each time. */
	CHECK(bc_brsa_blind(pk, v, prepared, 48, blinded, inv, k) == BC_OK);
	CHECK(bc_brsa_blind(pk, v, prepared, 48, blinded2, inv2, k) == BC_OK);
	CHECK(memcmp(blinded, blinded2, k) != 0 && memcmp(inv, inv2, k) != 0);

	/* The other variants, once each (a real key serves one variant). */
	for (vv = 1; vv < 4; vv++) {
		int salt = bc_brsa_salt_len((bc_brsa_variant)vv) ? 48 : 0;

		one_round(sk, pk, (bc_brsa_variant)vv, msg, 40, prepared,
		          &plen, sig);
		CHECK(ossl_pss_verify(osk, salt, prepared, plen, sig, k));
	}
	/* OpenSSL's PSS signatures verify with ours, both salt lengths. */
	CHECK(ossl_pss_sign(osk, 48, msg, 64, sig, k));
	CHECK(bc_brsa_verify(pk, BC_BRSA_SHA384_PSS_DETERMINISTIC, msg, 64,
	                     sig, k) == BC_OK);
	CHECK(bc_brsa_verify(pk, BC_BRSA_SHA384_PSSZERO_DETERMINISTIC, msg,
	                     64, sig, k) == BC_ERR_VERIFY);
	CHECK(ossl_pss_sign(osk, 0, msg, 64, sig, k));
	CHECK(bc_brsa_verify(pk, BC_BRSA_SHA384_PSSZERO_DETERMINISTIC, msg,
	                     64, sig, k) == BC_OK);
	CHECK(bc_brsa_verify(pk, BC_BRSA_SHA384_PSS_DETERMINISTIC, msg, 64,
	                     sig, k) == BC_ERR_VERIFY);

	/* Tamper tests on a fresh signature (every bit: 2048 of them). */
	CHECK(bc_brsa_prepare(v, msg, 32, prepared) == BC_OK);
	CHECK(bc_brsa_blind(pk, v, prepared, 64, blinded, inv, k) == BC_OK);
	CHECK(bc_brsa_blind_sign(sk, blinded, bsig, k) == BC_OK);
	CHECK(bc_brsa_finalize(pk, v, prepared, 64, bsig, inv, sig, k) ==
	      BC_OK);
	tamper(pk, v, prepared, 64, sig, bsig, inv);
	{
		size_t bit, bad = 0;

		for (bit = 0; bit < 8 * k; bit++) {
			uint8_t s2[K_MAX];

			memcpy(s2, sig, k);
			flip(s2, bit);
			bad += bc_brsa_verify(pk, v, prepared, 64, s2, k) ==
			       BC_ERR_VERIFY;
		}
		CHECK(bad == 8 * k);
	}
	fault_checks(sk, blinded, bsig);
	/* BlindSign needs the private key. */
	CHECK(bc_brsa_blind_sign(pk, blinded, bsig, k) == BC_ERR_INVALID);

	/* Blind's input checks: r = 0, r = n, r = p, salt, sizes. */
	CHECK(bc_brsa_key_to_raw(pk, r, k, sig, sizeof(sig), &plen) == BC_OK);
	CHECK(bc_brsa_blind_with(pk, v, prepared, 64, msg, r, blinded, inv,
	                         k) == BC_ERR_INVALID);
	CHECK(bc_brsa_blind_with(pk, v, prepared, 64, msg, zero, blinded, inv,
	                         k) == BC_ERR_INVALID);
	{
		BIGNUM *p = NULL;

		CHECK(EVP_PKEY_get_bn_param(osk, OSSL_PKEY_PARAM_RSA_FACTOR1,
		                            &p) == 1);
		if (p != NULL) {
			CHECK(BN_bn2binpad(p, r, (int)k) == (int)k);
			CHECK(bc_brsa_blind_with(pk, v, prepared, 64, msg, r,
			                         blinded, inv, k) ==
			      BC_ERR_INVALID);
			/* r = 1 is allowed (and gives inv = 1). */
			memset(r, 0, k);
			r[k - 1] = 1;
			CHECK(bc_brsa_blind_with(pk, v, prepared, 64, msg, r,
			                         blinded, inv, k) == BC_OK);
			CHECK(memcmp(inv, r, k) == 0);
		}
		BN_clear_free(p);
	}
	CHECK(bc_brsa_blind_with(pk, v, prepared, 64, NULL, r, blinded, inv,
	                         k) == BC_ERR_INVALID);
	CHECK(bc_brsa_blind_with(pk, BC_BRSA_SHA384_PSSZERO_RANDOMIZED,
	                         prepared, 64, msg, r, blinded, inv, k) ==
	      BC_ERR_INVALID);
	CHECK(bc_brsa_blind(pk, v, prepared, 64, blinded, inv, k - 1) ==
	      BC_ERR_INVALID);
	CHECK(bc_brsa_prepare_with_prefix(v, NULL, msg, 4, prepared) ==
	      BC_ERR_INVALID);
	CHECK(bc_brsa_prepare_with_prefix(BC_BRSA_SHA384_PSS_DETERMINISTIC,
	                                  msg, msg, 4, prepared) ==
	      BC_ERR_INVALID);
	CHECK(bc_brsa_prepared_len((bc_brsa_variant)4, 10) == 0);

	encodings(sk);
	bad_private_keys(osk);
out:
	EVP_PKEY_free(osk);
	EVP_PKEY_free(oother);
	bc_brsa_key_free(sk);
	bc_brsa_key_free(pk);
	bc_brsa_key_free(other);
}

/* EMSA-PSS on its own: the RFC 8017 step 3 bound. */
static void emsa_bounds(void)
{
	uint8_t em[100], salt[48] = {0};

	/* emLen = 98 = hLen + sLen + 2 is the smallest that fits. */
	CHECK(bc_emsa_pss_encode(NULL, 0, salt, 48, 8 * 98 - 1, em, 98) ==
	      BC_OK);
	CHECK(em[97] == 0xbc && (em[0] & 0x80) == 0);
	CHECK(bc_emsa_pss_verify(NULL, 0, em, 98, 8 * 98 - 1, 48) == BC_OK);
	CHECK(bc_emsa_pss_verify(NULL, 0, em, 98, 8 * 98 - 1, 0) ==
	      BC_ERR_VERIFY);
	CHECK(bc_emsa_pss_encode(NULL, 0, salt, 48, 8 * 97 - 1, em, 97) ==
	      BC_ERR_INVALID);

	/*
	 * Each check of EMSA-PSS-VERIFY on its own: flipping a bit of
	 * maskedDB flips the same bit of DB and leaves H and the salt
	 * alone, so only the step under test can notice.
	 */
	{
		uint8_t msg[5] = "token", good[100], bad[100];
		const size_t emlen = 100, embits = 8 * 100 - 1;
		size_t sl;

		for (sl = 0; sl <= 48; sl += 48) {
			size_t pslen = emlen - 48 - 1 - sl - 1;

			CHECK(bc_emsa_pss_encode(msg, 5, sl ? salt : NULL, sl,
			                         embits, good, emlen) == BC_OK);
			CHECK(bc_emsa_pss_verify(msg, 5, good, emlen, embits,
			                         sl) == BC_OK);
			/* Step 4: the trailer 0xbc. */
			memcpy(bad, good, emlen);
			bad[emlen - 1] ^= 1;
			CHECK(bc_emsa_pss_verify(msg, 5, bad, emlen, embits,
			                         sl) == BC_ERR_VERIFY);
			/* Step 6: the bit above emBits. */
			memcpy(bad, good, emlen);
			bad[0] |= 0x80;
			CHECK(bc_emsa_pss_verify(msg, 5, bad, emlen, embits,
			                         sl) == BC_ERR_VERIFY);
			/* Step 10: a PS byte, then the 0x01 separator. */
			memcpy(bad, good, emlen);
			bad[1] ^= 0x10;
			CHECK(bc_emsa_pss_verify(msg, 5, bad, emlen, embits,
			                         sl) == BC_ERR_VERIFY);
			memcpy(bad, good, emlen);
			bad[pslen] ^= 0x01;
			CHECK(bc_emsa_pss_verify(msg, 5, bad, emlen, embits,
			                         sl) == BC_ERR_VERIFY);
			memcpy(bad, good, emlen);
			bad[pslen] ^= 0x03;
			CHECK(bc_emsa_pss_verify(msg, 5, bad, emlen, embits,
			                         sl) == BC_ERR_VERIFY);
			/* Step 14: H, and the other salt length. */
			memcpy(bad, good, emlen);
			bad[emlen - 2] ^= 0x40;
			CHECK(bc_emsa_pss_verify(msg, 5, bad, emlen, embits,
			                         sl) == BC_ERR_VERIFY);
			CHECK(bc_emsa_pss_verify(msg, 5, good, emlen, embits,
			                         48 - sl) == BC_ERR_VERIFY);
			CHECK(bc_emsa_pss_verify(msg, 4, good, emlen, embits,
			                         sl) == BC_ERR_VERIFY);
		}
	}
	CHECK(bc_emsa_pss_encode(NULL, 0, salt, 48, 8 * 98, em, 97) ==
	      BC_ERR_INVALID);
}

/* ---- vectors ---- */

static int vector(json_t *tv)
{
	const char *name = jstr(tv, "name");
	const char *fields[] = {"p", "q", "n", "e", "d", "msg", "input_msg",
	                        "salt", "inv", "blinded_msg", "blind_sig",
	                        "sig", "sLen", "is_randomized", "msg_prefix"};
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *p = NULL, *q = NULL;
	BIGNUM *inv = NULL, *r = NULL;
	BN_CTX *ctx = BN_CTX_new();
	EVP_PKEY *opk = NULL;
	bc_brsa_key *sk = NULL, *pk = NULL;
	bc_brsa_variant v;
	uint8_t *msg = NULL, *input = NULL, *salt = NULL, *blinded = NULL;
	uint8_t *bsig = NULL, *sig = NULL, *prefix = NULL, *em = NULL;
	uint8_t *der = NULL, *vn = NULL, *ve = NULL;
	uint8_t rb[K_MAX], invb[K_MAX], out[K_MAX], out2[K_MAX];
	uint8_t prepared[1024], n2[K_MAX], e2[16], emb[K_MAX];
	size_t msglen = 0, inlen = 0, saltlen = 0, blen = 0, bslen = 0;
	size_t siglen = 0, prelen = 0, emlen = 0, derlen = 0, vnlen = 0;
	size_t velen = 0, elen = 0, k, i;
	int before = check_failures;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (jstr(tv, fields[i]) == NULL) {
			fprintf(stderr, "vector %s: no field %s\n",
			        name ? name : "?", fields[i]);
			check_failures++;
			return 0;
		}
	CHECK(bc_brsa_variant_from_name(name, &v) == BC_OK);
	if (check_failures != before)
		return 0;
	CHECK(strcmp(bc_brsa_variant_name(v), name) == 0);
	CHECK(strtoul(jstr(tv, "sLen"), NULL, 16) == bc_brsa_salt_len(v));
	CHECK((strtoul(jstr(tv, "is_randomized"), NULL, 16) != 0) ==
	      (bc_brsa_prefix_len(v) != 0));

	n = unhex_bn(jstr(tv, "n"));
	e = unhex_bn(jstr(tv, "e"));
	d = unhex_bn(jstr(tv, "d"));
	p = unhex_bn(jstr(tv, "p"));
	q = unhex_bn(jstr(tv, "q"));
	inv = unhex_bn(jstr(tv, "inv"));
	msg = unhex(jstr(tv, "msg"), &msglen);
	input = unhex(jstr(tv, "input_msg"), &inlen);
	salt = unhex(jstr(tv, "salt"), &saltlen);
	prefix = unhex(jstr(tv, "msg_prefix"), &prelen);
	blinded = unhex(jstr(tv, "blinded_msg"), &blen);
	bsig = unhex(jstr(tv, "blind_sig"), &bslen);
	sig = unhex(jstr(tv, "sig"), &siglen);
	vn = unhex(jstr(tv, "n"), &vnlen);
	ve = unhex(jstr(tv, "e"), &velen);
	if (jstr(tv, "encoded_msg") != NULL)
		em = unhex(jstr(tv, "encoded_msg"), &emlen);
	CHECK(ctx && n && e && d && p && q && inv && msg && input && salt &&
	      prefix && blinded && bsig && sig && vn && ve);
	if (check_failures != before)
		goto out;

	/* The key: OpenSSL's from the parts, imported as PKCS#8. */
	opk = pkey_from_parts(n, e, d, p, q, 0);
	CHECK(opk != NULL);
	if (opk == NULL)
		goto out;
	der = ossl_encode(opk, OSSL_KEYMGMT_SELECT_KEYPAIR, "DER",
	                  "PrivateKeyInfo", &derlen);
	CHECK(der != NULL);
	if (der == NULL)
		goto out;
	CHECK(bc_brsa_key_from_pkcs8_der(der, derlen, &sk) == BC_OK);
	if (sk == NULL)
		goto out;
	k = bc_brsa_key_len(sk);
	CHECK(k == (size_t)BN_num_bytes(n) && k == blen && k == bslen &&
	      k == siglen);
	CHECK(bc_brsa_key_public(sk, &pk) == BC_OK);
	if (pk == NULL || check_failures != before)
		goto out;
	/* Raw n and e as in the vector. */
	CHECK(bc_brsa_key_to_raw(pk, n2, k, e2, sizeof(e2), &elen) == BC_OK);
	CHECK(vnlen == k && memcmp(n2, vn, k) == 0);
	CHECK(elen == velen && memcmp(e2, ve, elen) == 0);

	/* 4.1 Prepare: input_msg = msg_prefix || msg, or msg. */
	CHECK(prelen == bc_brsa_prefix_len(v));
	CHECK(bc_brsa_prepared_len(v, msglen) == inlen &&
	      inlen <= sizeof(prepared));
	CHECK(bc_brsa_prepare_with_prefix(v, prelen ? prefix : NULL, msg,
	                                  msglen, prepared) == BC_OK);
	CHECK(memcmp(prepared, input, inlen) == 0);

	/* EMSA-PSS-ENCODE with the vector's salt. */
	CHECK(saltlen == bc_brsa_salt_len(v));
	CHECK(bc_emsa_pss_encode(input, inlen, saltlen ? salt : NULL, saltlen,
	                         8 * k - 1, emb, k) == BC_OK);
	if (em != NULL)
		CHECK(emlen == k && memcmp(emb, em, k) == 0);
	CHECK(bc_emsa_pss_verify(input, inlen, emb, k, 8 * k - 1, saltlen) ==
	      BC_OK);

	/* 4.2 Blind, with r = inv^-1 mod n (the vector gives inv). */
	r = BN_mod_inverse(NULL, inv, n, ctx);
	CHECK(r != NULL);
	if (r == NULL)
		goto out;
	CHECK(BN_bn2binpad(r, rb, (int)k) == (int)k);
	CHECK(bc_brsa_blind_with(pk, v, input, inlen, saltlen ? salt : NULL,
	                         rb, out, invb, k) == BC_OK);
	CHECK(memcmp(out, blinded, k) == 0);
	CHECK(BN_bn2binpad(inv, out2, (int)k) == (int)k);
	CHECK(memcmp(invb, out2, k) == 0);

	/* 4.3 BlindSign. */
	CHECK(bc_brsa_blind_sign(sk, blinded, out, k) == BC_OK);
	CHECK(memcmp(out, bsig, k) == 0);
	CHECK(bc_brsa_check_blind_sig(pk, blinded, bsig, k) == BC_OK);

	/* 4.4 Finalize. */
	CHECK(bc_brsa_finalize(pk, v, input, inlen, bsig, invb, out, k) ==
	      BC_OK);
	CHECK(memcmp(out, sig, k) == 0);

	/* 4.5 Verify, ours and OpenSSL's. */
	CHECK(bc_brsa_verify(pk, v, input, inlen, sig, k) == BC_OK);
	CHECK(ossl_pss_verify(opk, (int)saltlen, input, inlen, sig, k));

	/*
	 * With a random r and salt the whole protocol still ends in a
	 * valid signature; for PSSZERO-Deterministic it is the vector's
	 * signature, since nothing random remains in it.
	 */
	{
		uint8_t bl[K_MAX], iv[K_MAX], bs[K_MAX], s[K_MAX];

		CHECK(bc_brsa_blind(pk, v, input, inlen, bl, iv, k) == BC_OK);
		CHECK(bc_brsa_blind_sign(sk, bl, bs, k) == BC_OK);
		CHECK(bc_brsa_finalize(pk, v, input, inlen, bs, iv, s, k) ==
		      BC_OK);
		CHECK(bc_brsa_verify(pk, v, input, inlen, s, k) == BC_OK);
		if (v == BC_BRSA_SHA384_PSSZERO_DETERMINISTIC)
			CHECK(memcmp(s, sig, k) == 0);
	}

	tamper(pk, v, input, inlen, sig, bsig, invb);
	fault_checks(sk, blinded, bsig);
out:
	free(msg);
	free(input);
	free(salt);
	free(prefix);
	free(blinded);
	free(bsig);
	free(sig);
	free(em);
	free(der);
	free(vn);
	free(ve);
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_clear_free(inv);
	BN_clear_free(r);
	BN_CTX_free(ctx);
	EVP_PKEY_free(opk);
	bc_brsa_key_free(sk);
	bc_brsa_key_free(pk);
	return check_failures == before;
}

/* Returns the number of vectors passed, or -1 if the file is absent. */
static int vectors(const char *dir)
{
	char path[4096];
	json_error_t err;
	json_t *root;
	FILE *f;
	size_t i, seen[4] = {0};
	int passed = 0;

	if (dir == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/rfc9474_test_vectors.json", dir);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	fclose(f);
	root = json_load_file(path, 0, &err);
	if (root == NULL) {
		fprintf(stderr, "%s: %s\n", path, err.text);
		check_failures++;
		return 0;
	}
	CHECK(json_is_array(root) && json_array_size(root) == 4);
	for (i = 0; i < json_array_size(root); i++) {
		json_t *tv = json_array_get(root, i);
		bc_brsa_variant v;

		if (bc_brsa_variant_from_name(jstr(tv, "name"), &v) == BC_OK)
			seen[v]++;
		passed += vector(tv);
	}
	for (i = 0; i < 4; i++)
		CHECK(seen[i] == 1);
	json_decref(root);
	return passed;
}

int main(int argc, char **argv)
{
	int passed;

	emsa_bounds();
	generated_keys();
	passed = vectors(argc > 1 ? argv[1] : NULL);
	if (passed < 0) {
		printf("SKIPPED: rfc9474_test_vectors.json not found in %s "
		       "(the tests without vectors ran: %d failures)\n",
		       argc > 1 ? argv[1] : "(no directory given)",
		       check_failures);
		if (check_failures == 0)
			return 77;
		CHECK_DONE();
	}
	printf("RFC 9474 vectors passed: %d of 4\n", passed);
	CHECK(passed == 4);
	CHECK_DONE();
}
