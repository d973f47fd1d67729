/*
 * sign.c: Ed25519 through EVP (EVP_PKEY_ED25519, one-shot EVP_DigestSign
 * with no digest, as RFC 8032 pure Ed25519 hashes internally), the key
 * encodings of RFC 8410, and the signed tree head.
 *
 * The seed lives only in the caller's buffer and inside an EVP_PKEY, which
 * OpenSSL wipes when it is freed; DER/PEM copies made here are wiped too.
 * Functions that parse untrusted input drop the OpenSSL errors they cause
 * (ERR_set_mark / ERR_pop_to_mark) so that a bad signature or key leaves no
 * trace in the thread's error queue.
 */
#include "sign.h"

#include "encode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

static EVP_PKEY *private_key(const uint8_t sk[BC_ED25519_SK_LEN])
{
	return EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, sk,
	                                       BC_ED25519_SK_LEN);
}

static EVP_PKEY *public_key(const uint8_t pk[BC_ED25519_PK_LEN])
{
	return EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, pk,
	                                      BC_ED25519_PK_LEN);
}

static bc_status raw_public(const EVP_PKEY *pkey, uint8_t pk[BC_ED25519_PK_LEN])
{
	size_t n = BC_ED25519_PK_LEN;

	if (EVP_PKEY_get_raw_public_key(pkey, pk, &n) != 1 ||
	    n != BC_ED25519_PK_LEN)
		return BC_ERR_INTERNAL;
	return BC_OK;
}

static bc_status raw_private(const EVP_PKEY *pkey,
                             uint8_t sk[BC_ED25519_SK_LEN])
{
	size_t n = BC_ED25519_SK_LEN;

	if (EVP_PKEY_get_raw_private_key(pkey, sk, &n) != 1 ||
	    n != BC_ED25519_SK_LEN) {
		bc_wipe(sk, BC_ED25519_SK_LEN);
		return BC_ERR_INTERNAL;
	}
	return BC_OK;
}

bc_status bc_ed25519_keygen(uint8_t sk[BC_ED25519_SK_LEN],
                            uint8_t pk[BC_ED25519_PK_LEN])
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	bc_status st;

	if (pkey == NULL)
		return BC_ERR_INTERNAL;
	st = raw_private(pkey, sk);
	if (st == BC_OK)
		st = raw_public(pkey, pk);
	if (st != BC_OK)
		bc_wipe(sk, BC_ED25519_SK_LEN);
	EVP_PKEY_free(pkey);
	return st;
}

bc_status bc_ed25519_public(const uint8_t sk[BC_ED25519_SK_LEN],
                            uint8_t pk[BC_ED25519_PK_LEN])
{
	EVP_PKEY *pkey = private_key(sk);
	bc_status st;

	if (pkey == NULL)
		return BC_ERR_INTERNAL;
	st = raw_public(pkey, pk);
	EVP_PKEY_free(pkey);
	return st;
}

/* Signs with a ready key; the one place Ed25519 signing happens. */
static bc_status sign_with(EVP_PKEY *pkey, const uint8_t *msg, size_t len,
                           uint8_t sig[BC_ED25519_SIG_LEN])
{
	static const uint8_t empty[1];
	EVP_MD_CTX *ctx;
	size_t n = BC_ED25519_SIG_LEN;
	bc_status st = BC_ERR_INTERNAL;

	if (msg == NULL && len > 0)
		return BC_ERR_INVALID;
	if (msg == NULL)
		msg = empty;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return BC_ERR_NOMEM;
	/* No digest: Ed25519 is one-shot only (RFC 8032 5.1.6). */
	if (EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, pkey, NULL) ==
	        1 &&
	    EVP_DigestSign(ctx, sig, &n, msg, len) == 1 &&
	    n == BC_ED25519_SIG_LEN)
		st = BC_OK;
	EVP_MD_CTX_free(ctx);
	return st;
}

bc_status bc_ed25519_sign(const uint8_t sk[BC_ED25519_SK_LEN],
                          const uint8_t *msg, size_t len,
                          uint8_t sig[BC_ED25519_SIG_LEN])
{
	EVP_PKEY *pkey;
	bc_status st;

	if (msg == NULL && len > 0)
		return BC_ERR_INVALID;
	if ((pkey = private_key(sk)) == NULL)
		return BC_ERR_INTERNAL;
	st = sign_with(pkey, msg, len, sig);
	EVP_PKEY_free(pkey);
	return st;
}

struct bc_ed25519_signer {
	EVP_PKEY *pkey;
};

bc_status bc_ed25519_signer_new(const uint8_t sk[BC_ED25519_SK_LEN],
                                bc_ed25519_signer **out)
{
	bc_ed25519_signer *s;

	*out = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return BC_ERR_NOMEM;
	if ((s->pkey = private_key(sk)) == NULL) {
		free(s);
		return BC_ERR_INTERNAL;
	}
	*out = s;
	return BC_OK;
}

bc_status bc_ed25519_signer_sign(const bc_ed25519_signer *s,
                                 const uint8_t *msg, size_t len,
                                 uint8_t sig[BC_ED25519_SIG_LEN])
{
	return sign_with(s->pkey, msg, len, sig);
}

void bc_ed25519_signer_free(bc_ed25519_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->pkey); /* OpenSSL clears the private key */
	free(s);
}

bc_status bc_ed25519_verify(const uint8_t pk[BC_ED25519_PK_LEN],
                            const uint8_t *msg, size_t len,
                            const uint8_t sig[BC_ED25519_SIG_LEN])
{
	static const uint8_t empty[1];
	EVP_PKEY *pkey;
	EVP_MD_CTX *ctx;
	bc_status st = BC_ERR_VERIFY;

	if (pk == NULL || sig == NULL || (msg == NULL && len > 0))
		return BC_ERR_INVALID;
	if (msg == NULL)
		msg = empty;
	ERR_set_mark();
	/*
	 * Any 32 bytes make an EVP_PKEY; a key that is not a point fails in
	 * EVP_DigestVerify, as RFC 8032 5.1.7 step 1 says it must.
	 */
	if ((pkey = public_key(pk)) == NULL) {
		ERR_pop_to_mark();
		return BC_ERR_VERIFY;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		st = BC_ERR_NOMEM;
	} else if (EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, pkey,
	                                   NULL) != 1) {
		st = BC_ERR_INTERNAL;
	} else if (EVP_DigestVerify(ctx, sig, BC_ED25519_SIG_LEN, msg, len) ==
	           1) {
		st = BC_OK;
	}
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	ERR_pop_to_mark();
	return st;
}

/* ---- DER ---- */

bc_status bc_ed25519_private_to_der(const uint8_t sk[BC_ED25519_SK_LEN],
                                    uint8_t der[BC_ED25519_PKCS8_DER_LEN])
{
	EVP_PKEY *pkey = private_key(sk);
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	bc_status st = BC_ERR_INTERNAL;
	uint8_t *p = der;

	if (pkey == NULL)
		return BC_ERR_INTERNAL;
	p8 = EVP_PKEY2PKCS8(pkey);
	/* RFC 8410 section 7: PKCS#8 v1 with the seed as a CurvePrivateKey. */
	if (p8 != NULL &&
	    i2d_PKCS8_PRIV_KEY_INFO(p8, NULL) == BC_ED25519_PKCS8_DER_LEN &&
	    i2d_PKCS8_PRIV_KEY_INFO(p8, &p) == BC_ED25519_PKCS8_DER_LEN)
		st = BC_OK;
	else
		bc_wipe(der, BC_ED25519_PKCS8_DER_LEN);
	PKCS8_PRIV_KEY_INFO_free(p8); /* wipes its key octets */
	EVP_PKEY_free(pkey);
	return st;
}

bc_status bc_ed25519_private_from_der(const uint8_t *der, size_t len,
                                      uint8_t sk[BC_ED25519_SK_LEN])
{
	const uint8_t *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pkey = NULL;
	bc_status st = BC_ERR_INVALID;

	if (der == NULL || len == 0 || len > 4096)
		return BC_ERR_INVALID;
	ERR_set_mark();
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
	if (p8 != NULL && p == der + len)
		pkey = EVP_PKCS82PKEY_ex(p8, NULL, NULL);
	if (pkey != NULL && EVP_PKEY_is_a(pkey, "ED25519"))
		st = raw_private(pkey, sk);
	EVP_PKEY_free(pkey);
	PKCS8_PRIV_KEY_INFO_free(p8);
	ERR_pop_to_mark();
	return st;
}

bc_status bc_ed25519_public_to_der(const uint8_t pk[BC_ED25519_PK_LEN],
                                   uint8_t der[BC_ED25519_SPKI_DER_LEN])
{
	EVP_PKEY *pkey = public_key(pk);
	bc_status st = BC_ERR_INTERNAL;
	uint8_t *p = der;

	if (pkey == NULL)
		return BC_ERR_INTERNAL;
	/* RFC 8410 section 4: SubjectPublicKeyInfo, id-Ed25519. */
	if (i2d_PUBKEY(pkey, NULL) == BC_ED25519_SPKI_DER_LEN &&
	    i2d_PUBKEY(pkey, &p) == BC_ED25519_SPKI_DER_LEN)
		st = BC_OK;
	EVP_PKEY_free(pkey);
	return st;
}

bc_status bc_ed25519_public_from_der(const uint8_t *der, size_t len,
                                     uint8_t pk[BC_ED25519_PK_LEN])
{
	const uint8_t *p = der;
	EVP_PKEY *pkey;
	bc_status st = BC_ERR_INVALID;

	if (der == NULL || len == 0 || len > 4096)
		return BC_ERR_INVALID;
	ERR_set_mark();
	pkey = d2i_PUBKEY_ex(NULL, &p, (long)len, NULL, NULL);
	if (pkey != NULL && p == der + len && EVP_PKEY_is_a(pkey, "ED25519"))
		st = raw_public(pkey, pk);
	EVP_PKEY_free(pkey);
	ERR_pop_to_mark();
	return st;
}

/* ---- PEM (RFC 7468, strict form) ---- */

#define PEM_LINE 64

/*
 * "-----BEGIN <label>-----\n", the base64 of der in lines of 64, then
 * "-----END <label>-----\n", as RFC 7468 section 2 and OpenSSL write it.
 */
static bc_status pem_write(const char *label, const uint8_t *der, size_t n,
                           char pem[BC_ED25519_PEM_MAX], size_t *len)
{
	char b64[BC_B64_LEN(BC_ED25519_PKCS8_DER_LEN) + 1];
	size_t b64len, o = 0, need;
	bc_status st;

	st = bc_b64_encode(der, n, b64, sizeof b64, &b64len);
	if (st != BC_OK)
		return st;
	need = 2 * strlen(label) + 32 + b64len + (b64len + 63) / 64;
	if (need + 1 > BC_ED25519_PEM_MAX) {
		bc_wipe(b64, sizeof b64);
		return BC_ERR_INTERNAL;
	}
	o += (size_t)snprintf(pem + o, BC_ED25519_PEM_MAX - o,
	                      "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < b64len; i += PEM_LINE) {
		size_t k = b64len - i < PEM_LINE ? b64len - i : PEM_LINE;

		memcpy(pem + o, b64 + i, k);
		o += k;
		pem[o++] = '\n';
	}
	o += (size_t)snprintf(pem + o, BC_ED25519_PEM_MAX - o,
	                      "-----END %s-----\n", label);
	bc_wipe(b64, sizeof b64);
	if (len)
		*len = o;
	return BC_OK;
}

/* Matches a line "text" ending in "\n" or "\r\n" at *p; advances. */
static int pem_line(const char **p, const char *end, const char *text,
                    size_t tlen)
{
	const char *q = *p;

	if ((size_t)(end - q) < tlen || memcmp(q, text, tlen) != 0)
		return 0;
	q += tlen;
	if (q < end && *q == '\r')
		q++;
	if (q >= end || *q != '\n')
		return 0;
	*p = q + 1;
	return 1;
}

/* The END line, with or without a final LF or CRLF, ends the input. */
static int end_line(const char *p, const char *end, const char *text,
                    size_t tlen)
{
	size_t rest = (size_t)(end - p);

	if (rest < tlen || memcmp(p, text, tlen) != 0)
		return 0;
	rest -= tlen;
	p += tlen;
	return rest == 0 || (rest == 1 && p[0] == '\n') ||
	       (rest == 2 && p[0] == '\r' && p[1] == '\n');
}

/*
 * Accepts exactly: the BEGIN line, base64 lines of 1..64 characters (all
 * but the last exactly 64), each ended by LF or CRLF, the END line with or
 * without a line end, and nothing before or after.
 * OUT: der (holds cap bytes), *n.
 */
static bc_status pem_read(const char *label, const char *pem, size_t len,
                          uint8_t *der, size_t cap, size_t *n)
{
	char begin[64], endl[64], b64[256];
	const char *p = pem, *end = pem + len;
	size_t bl, el, b = 0;
	int last = 0;
	bc_status st;

	if (pem == NULL)
		return BC_ERR_INVALID;
	bl = (size_t)snprintf(begin, sizeof begin, "-----BEGIN %s-----", label);
	el = (size_t)snprintf(endl, sizeof endl, "-----END %s-----", label);
	if (!pem_line(&p, end, begin, bl))
		return BC_ERR_INVALID;
	for (;;) {
		const char *q = p;
		size_t k;

		if (end_line(p, end, endl, el))
			break;
		while (q < end && *q != '\n' && *q != '\r')
			q++;
		k = (size_t)(q - p);
		if (last || k == 0 || k > PEM_LINE || b + k > sizeof b64) {
			bc_wipe(b64, sizeof b64);
			return BC_ERR_INVALID;
		}
		last = k < PEM_LINE;
		memcpy(b64 + b, p, k);
		b += k;
		if (q < end && *q == '\r')
			q++;
		if (q >= end || *q != '\n') {
			bc_wipe(b64, sizeof b64);
			return BC_ERR_INVALID;
		}
		p = q + 1;
	}
	st = bc_b64_decode(b64, b, der, cap, n);
	bc_wipe(b64, sizeof b64);
	return st == BC_ERR_RANGE ? BC_ERR_INVALID : st;
}

bc_status bc_ed25519_private_to_pem(const uint8_t sk[BC_ED25519_SK_LEN],
                                    char pem[BC_ED25519_PEM_MAX], size_t *len)
{
	uint8_t der[BC_ED25519_PKCS8_DER_LEN];
	bc_status st;

	st = bc_ed25519_private_to_der(sk, der);
	if (st == BC_OK)
		st = pem_write("PRIVATE KEY", der, sizeof der, pem, len);
	bc_wipe(der, sizeof der);
	return st;
}

bc_status bc_ed25519_private_from_pem(const char *pem, size_t len,
                                      uint8_t sk[BC_ED25519_SK_LEN])
{
	uint8_t der[192];
	size_t n = 0;
	bc_status st;

	st = pem_read("PRIVATE KEY", pem, len, der, sizeof der, &n);
	if (st == BC_OK)
		st = bc_ed25519_private_from_der(der, n, sk);
	bc_wipe(der, sizeof der);
	return st;
}

bc_status bc_ed25519_public_to_pem(const uint8_t pk[BC_ED25519_PK_LEN],
                                   char pem[BC_ED25519_PEM_MAX], size_t *len)
{
	uint8_t der[BC_ED25519_SPKI_DER_LEN];
	bc_status st;

	st = bc_ed25519_public_to_der(pk, der);
	if (st == BC_OK)
		st = pem_write("PUBLIC KEY", der, sizeof der, pem, len);
	return st;
}

bc_status bc_ed25519_public_from_pem(const char *pem, size_t len,
                                     uint8_t pk[BC_ED25519_PK_LEN])
{
	uint8_t der[192];
	size_t n = 0;
	bc_status st;

	st = pem_read("PUBLIC KEY", pem, len, der, sizeof der, &n);
	if (st == BC_OK)
		st = bc_ed25519_public_from_der(der, n, pk);
	return st;
}

/* ---- signed tree heads ---- */

static void put_u64be(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

void bc_sth_encode(const bc_sth *sth, uint8_t out[BC_STH_LEN])
{
	static const char label[13] = "ballot-sth/v1"; /* no NUL */

	memcpy(out, label, 13);
	put_u64be(out + 13, sth->tree_size);
	memcpy(out + 21, sth->root, 32);
	put_u64be(out + 53, sth->timestamp_ms);
	memcpy(out + 61, sth->poll_id, 32);
}

bc_status bc_sth_sign(const uint8_t sk[BC_ED25519_SK_LEN], const bc_sth *sth,
                      uint8_t sig[BC_ED25519_SIG_LEN])
{
	uint8_t m[BC_STH_LEN];

	if (sth == NULL)
		return BC_ERR_INVALID;
	bc_sth_encode(sth, m);
	return bc_ed25519_sign(sk, m, sizeof m, sig);
}

bc_status bc_sth_verify(const uint8_t pk[BC_ED25519_PK_LEN], const bc_sth *sth,
                        const uint8_t sig[BC_ED25519_SIG_LEN])
{
	uint8_t m[BC_STH_LEN];

	if (sth == NULL)
		return BC_ERR_INVALID;
	bc_sth_encode(sth, m);
	return bc_ed25519_verify(pk, m, sizeof m, sig);
}
