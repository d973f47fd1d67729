/*
 * emsa_pss.c: EMSA-PSS-ENCODE and EMSA-PSS-VERIFY (RFC 8017 9.1.1 and
 * 9.1.2), Hash = SHA-384, MGF = MGF1-SHA-384 (RFC 8017 B.2.1), the only
 * parameters RFC 9474 section 5 uses.
 */
#include "emsa_pss.h"

#include <string.h>

#include <openssl/evp.h>

/* Encoded messages of moduli up to 8192 bits; blindrsa.c allows 4096. */
#define EM_MAX 1024

/* Hash(a || b || c) with SHA-384; any part may be empty. */
static bc_status sha384(const uint8_t *a, size_t alen, const uint8_t *b,
                        size_t blen, const uint8_t *c, size_t clen,
                        uint8_t out[BC_EMSA_PSS_HLEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int outlen = 0;
	bc_status st = BC_ERR_INTERNAL;

	if (md == NULL)
		return BC_ERR_NOMEM;
	if (EVP_DigestInit_ex(md, EVP_sha384(), NULL) == 1 &&
	    (alen == 0 || EVP_DigestUpdate(md, a, alen) == 1) &&
	    (blen == 0 || EVP_DigestUpdate(md, b, blen) == 1) &&
	    (clen == 0 || EVP_DigestUpdate(md, c, clen) == 1) &&
	    EVP_DigestFinal_ex(md, out, &outlen) == 1 &&
	    outlen == BC_EMSA_PSS_HLEN)
		st = BC_OK;
	EVP_MD_CTX_free(md);
	return st;
}

/*
 * MGF1(seed, masklen) with SHA-384 (RFC 8017 B.2.1), XORed into buf:
 * T = Hash(seed || C) for C = 0, 1, ... as 4-byte big-endian counters.
 */
static bc_status mgf1_xor(const uint8_t seed[BC_EMSA_PSS_HLEN], uint8_t *buf,
                          size_t masklen)
{
	uint8_t t[BC_EMSA_PSS_HLEN], c[4];
	size_t done = 0, i, n;
	uint32_t counter = 0;
	bc_status st = BC_OK;

	while (done < masklen) {
		c[0] = (uint8_t)(counter >> 24);
		c[1] = (uint8_t)(counter >> 16);
		c[2] = (uint8_t)(counter >> 8);
		c[3] = (uint8_t)counter;
		st = sha384(seed, BC_EMSA_PSS_HLEN, c, sizeof(c), NULL, 0, t);
		if (st != BC_OK)
			break;
		n = masklen - done < sizeof(t) ? masklen - done : sizeof(t);
		for (i = 0; i < n; i++)
			buf[done + i] ^= t[i];
		done += n;
		counter++;
	}
	bc_wipe(t, sizeof(t));
	return st;
}

/* emLen = ceil(emBits / 8), and the bound on what we handle. */
static int emlen_ok(size_t embits, size_t emlen)
{
	return embits > 0 && emlen == (embits + 7) / 8 && emlen <= EM_MAX;
}

bc_status bc_emsa_pss_encode(const uint8_t *msg, size_t msglen,
                             const uint8_t *salt, size_t saltlen,
                             size_t embits, uint8_t *em, size_t emlen)
{
	static const uint8_t zeros[8];
	uint8_t mhash[BC_EMSA_PSS_HLEN], h[BC_EMSA_PSS_HLEN];
	size_t dblen;
	bc_status st;

	if (!emlen_ok(embits, emlen) || em == NULL ||
	    (msg == NULL && msglen > 0) || (salt == NULL && saltlen > 0))
		return BC_ERR_INVALID;
	/* 9.1.1 step 3: "encoding error" if emLen < hLen + sLen + 2. */
	if (saltlen > emlen || emlen - saltlen < BC_EMSA_PSS_HLEN + 2)
		return BC_ERR_INVALID;
	dblen = emlen - BC_EMSA_PSS_HLEN - 1;

	/* Step 2: mHash = Hash(M). */
	st = sha384(msg, msglen, NULL, 0, NULL, 0, mhash);
	if (st != BC_OK)
		goto out;
	/* Steps 5-6: H = Hash(0x00 * 8 || mHash || salt). */
	st = sha384(zeros, sizeof(zeros), mhash, sizeof(mhash), salt, saltlen,
	            h);
	if (st != BC_OK)
		goto out;
	/* Steps 7-8: DB = PS || 0x01 || salt, built in place in em. */
	memset(em, 0, dblen - saltlen - 1);
	em[dblen - saltlen - 1] = 0x01;
	if (saltlen > 0)
		memcpy(em + dblen - saltlen, salt, saltlen);
	/* Steps 9-10: maskedDB = DB xor MGF(H, emLen - hLen - 1). */
	st = mgf1_xor(h, em, dblen);
	if (st != BC_OK)
		goto out;
	/* Step 11: clear the leftmost 8emLen - emBits bits. */
	em[0] &= (uint8_t)(0xff >> (8 * emlen - embits));
	/* Step 12: EM = maskedDB || H || 0xbc. */
	memcpy(em + dblen, h, sizeof(h));
	em[emlen - 1] = 0xbc;
out:
	if (st != BC_OK)
		bc_wipe(em, emlen);
	bc_wipe(mhash, sizeof(mhash));
	bc_wipe(h, sizeof(h));
	return st;
}

bc_status bc_emsa_pss_verify(const uint8_t *msg, size_t msglen,
                             const uint8_t *em, size_t emlen, size_t embits,
                             size_t saltlen)
{
	static const uint8_t zeros[8];
	uint8_t db[EM_MAX], mhash[BC_EMSA_PSS_HLEN], h2[BC_EMSA_PSS_HLEN];
	uint8_t topmask, bad;
	size_t dblen, pslen, i;
	bc_status st;

	if (!emlen_ok(embits, emlen) || em == NULL ||
	    (msg == NULL && msglen > 0))
		return BC_ERR_INVALID;
	/* 9.1.2 step 3: emLen < hLen + sLen + 2 is "inconsistent". */
	if (saltlen > emlen || emlen - saltlen < BC_EMSA_PSS_HLEN + 2)
		return BC_ERR_VERIFY;
	dblen = emlen - BC_EMSA_PSS_HLEN - 1;
	pslen = dblen - saltlen - 1;
	topmask = (uint8_t)(0xff >> (8 * emlen - embits));

	/* Step 2: mHash = Hash(M). */
	st = sha384(msg, msglen, NULL, 0, NULL, 0, mhash);
	if (st != BC_OK)
		return st;

	/*
	 * The checks of steps 4, 6 and 10 are accumulated in `bad` rather
	 * than returned one by one: the data is public, but a single exit
	 * keeps the function simple to read against the RFC.
	 */
	/* Step 4: the rightmost octet must be 0xbc. */
	bad = em[emlen - 1] ^ 0xbc;
	/* Step 6: the leftmost 8emLen - emBits bits of maskedDB are 0. */
	bad |= em[0] & (uint8_t)~topmask;
	/* Steps 5, 7-8: DB = maskedDB xor MGF(H, emLen - hLen - 1). */
	memcpy(db, em, dblen);
	st = mgf1_xor(em + dblen, db, dblen);
	if (st != BC_OK)
		goto out;
	/* Step 9: clear the leftmost 8emLen - emBits bits of DB. */
	db[0] &= topmask;
	/* Step 10: PS must be zero and followed by 0x01. */
	for (i = 0; i < pslen; i++)
		bad |= db[i];
	bad |= db[pslen] ^ 0x01;
	/* Steps 11-13: H' = Hash(0x00 * 8 || mHash || salt). */
	st = sha384(zeros, sizeof(zeros), mhash, sizeof(mhash),
	            db + dblen - saltlen, saltlen, h2);
	if (st != BC_OK)
		goto out;
	/* Step 14: H == H'. */
	if (!bc_ct_equal(em + dblen, h2, sizeof(h2)))
		bad |= 1;
	st = bad == 0 ? BC_OK : BC_ERR_VERIFY;
out:
	bc_wipe(db, dblen);
	return st;
}
