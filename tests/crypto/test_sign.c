/*
 * test_sign.c: Ed25519 against RFC 8032 section 7.1 (TEST 1, 2 and 3,
 * published text copied below), forgeries (every bit of a signature, a
 * message and a public key), the RFC 8410 key encodings, and the signed
 * tree head bytes worked out by hand.
 */
#include "check.h"
#include "sign.h"

#include <openssl/evp.h>
#include <stdlib.h>

static void unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			abort();
		out[i] = (uint8_t)v;
	}
}

/* RFC 8032 section 7.1. */
static const struct {
	const char *sk, *pk, *msg, *sig;
} rfc8032[] = {
    {/* TEST 1 */
     "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {/* TEST 2 */
     "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {/* TEST 3 */
     "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

static void flip(uint8_t *p, size_t bit)
{
	p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

static void test_rfc8032(void)
{
	for (size_t t = 0; t < sizeof rfc8032 / sizeof rfc8032[0]; t++) {
		uint8_t sk[32], pk[32], want_pk[32], sig[64], want_sig[64];
		uint8_t msg[2];
		size_t mlen = strlen(rfc8032[t].msg) / 2;

		unhex(rfc8032[t].sk, sk, 32);
		unhex(rfc8032[t].pk, want_pk, 32);
		unhex(rfc8032[t].msg, msg, mlen);
		unhex(rfc8032[t].sig, want_sig, 64);
		CHECK(bc_ed25519_public(sk, pk) == BC_OK);
		CHECK(memcmp(pk, want_pk, 32) == 0);
		CHECK(bc_ed25519_sign(sk, mlen ? msg : NULL, mlen, sig) ==
		      BC_OK);
		CHECK(memcmp(sig, want_sig, 64) == 0);
		CHECK(bc_ed25519_verify(pk, msg, mlen, want_sig) == BC_OK);

		/* The ready-made signer gives the same (deterministic)
		 * signature as the RFC. */
		bc_ed25519_signer *signer = NULL;
		uint8_t sig2[64] = {0};
		CHECK(bc_ed25519_signer_new(sk, &signer) == BC_OK);
		if (signer != NULL)
			CHECK(bc_ed25519_signer_sign(signer, mlen ? msg : NULL,
			                             mlen, sig2) == BC_OK);
		CHECK(memcmp(sig2, want_sig, 64) == 0);
		bc_ed25519_signer_free(signer);

		/* Every single-bit forgery of the signature and the key. */
		for (size_t b = 0; b < 512; b++) {
			flip(sig, b);
			CHECK(bc_ed25519_verify(pk, msg, mlen, sig) ==
			      BC_ERR_VERIFY);
			flip(sig, b);
		}
		for (size_t b = 0; b < 256; b++) {
			flip(pk, b);
			CHECK(bc_ed25519_verify(pk, msg, mlen, sig) ==
			      BC_ERR_VERIFY);
			flip(pk, b);
		}
		for (size_t b = 0; b < mlen * 8; b++) {
			flip(msg, b);
			CHECK(bc_ed25519_verify(pk, msg, mlen, sig) ==
			      BC_ERR_VERIFY);
			flip(msg, b);
		}
		/* A byte more or less of message. */
		if (mlen > 0)
			CHECK(bc_ed25519_verify(pk, msg, mlen - 1, sig) ==
			      BC_ERR_VERIFY);
		bc_wipe(sk, sizeof sk);
	}
}

static void test_random_keys(void)
{
	uint8_t sk[32], pk[32], pk2[32], sig[64], msg[200];

	CHECK(bc_ed25519_keygen(sk, pk) == BC_OK);
	CHECK(bc_ed25519_public(sk, pk2) == BC_OK);
	CHECK(memcmp(pk, pk2, 32) == 0);
	CHECK(bc_random(msg, sizeof msg) == BC_OK);
	CHECK(bc_ed25519_sign(sk, msg, sizeof msg, sig) == BC_OK);
	CHECK(bc_ed25519_verify(pk, msg, sizeof msg, sig) == BC_OK);
	for (size_t b = 0; b < sizeof msg * 8; b++) {
		flip(msg, b);
		CHECK(bc_ed25519_verify(pk, msg, sizeof msg, sig) ==
		      BC_ERR_VERIFY);
		flip(msg, b);
	}
	/* S >= L: S = L itself (RFC 8032 5.1.7 step 1 refuses it). */
	{
		static const char *L = "edd3f55c1a631258d69cf7a2def9de14"
		                       "00000000000000000000000000000010";
		uint8_t bad[64];

		memcpy(bad, sig, 32);
		unhex(L, bad + 32, 32);
		CHECK(bc_ed25519_verify(pk, msg, sizeof msg, bad) ==
		      BC_ERR_VERIFY);
	}
	/* Another key's signature. */
	CHECK(bc_ed25519_keygen(sk, pk2) == BC_OK);
	CHECK(bc_ed25519_verify(pk2, msg, sizeof msg, sig) == BC_ERR_VERIFY);
	bc_wipe(sk, sizeof sk);
}

/* RFC 8410 section 10.1 and 10.3, the published example key (PEM text). */
static const char rfc8410_public_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
    "-----END PUBLIC KEY-----\n";
static const char rfc8410_private_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
    "-----END PRIVATE KEY-----\n";

static void test_encodings(void)
{
	/* RFC 8410: the fixed DER around a raw key. */
	static const char *p8_prefix = "302e020100300506032b657004220420";
	static const char *spki_prefix = "302a300506032b6570032100";
	uint8_t sk[32], pk[32], sk2[32], pk2[32], want[48];
	uint8_t der[BC_ED25519_PKCS8_DER_LEN], pder[BC_ED25519_SPKI_DER_LEN];
	uint8_t big[64];
	char pem[BC_ED25519_PEM_MAX], bad[256];
	size_t len;

	CHECK(bc_ed25519_keygen(sk, pk) == BC_OK);
	CHECK(bc_ed25519_private_to_der(sk, der) == BC_OK);
	unhex(p8_prefix, want, 16);
	memcpy(want + 16, sk, 32);
	CHECK(memcmp(der, want, 48) == 0);
	CHECK(bc_ed25519_private_from_der(der, sizeof der, sk2) == BC_OK);
	CHECK(memcmp(sk, sk2, 32) == 0);
	CHECK(bc_ed25519_public_to_der(pk, pder) == BC_OK);
	unhex(spki_prefix, want, 12);
	memcpy(want + 12, pk, 32);
	CHECK(memcmp(pder, want, 44) == 0);
	CHECK(bc_ed25519_public_from_der(pder, sizeof pder, pk2) == BC_OK);
	CHECK(memcmp(pk, pk2, 32) == 0);

	/* Truncated, extended, or the other kind: refused. */
	for (size_t l = 0; l < sizeof der; l++)
		CHECK(bc_ed25519_private_from_der(der, l, sk2) ==
		      BC_ERR_INVALID);
	memcpy(big, der, sizeof der);
	big[sizeof der] = 0;
	CHECK(bc_ed25519_private_from_der(big, sizeof der + 1, sk2) ==
	      BC_ERR_INVALID);
	for (size_t l = 0; l < sizeof pder; l++)
		CHECK(bc_ed25519_public_from_der(pder, l, pk2) ==
		      BC_ERR_INVALID);
	memcpy(big, pder, sizeof pder);
	big[sizeof pder] = 0;
	CHECK(bc_ed25519_public_from_der(big, sizeof pder + 1, pk2) ==
	      BC_ERR_INVALID);
	CHECK(bc_ed25519_public_from_der(der, sizeof der, pk2) ==
	      BC_ERR_INVALID);
	CHECK(bc_ed25519_private_from_der(pder, sizeof pder, sk2) ==
	      BC_ERR_INVALID);
	/* An X25519 key (OID 1.3.101.110) is not an Ed25519 key. */
	memcpy(big, der, sizeof der);
	big[11] = 0x6e;
	CHECK(bc_ed25519_private_from_der(big, sizeof der, sk2) ==
	      BC_ERR_INVALID);
	memcpy(big, pder, sizeof pder);
	big[8] = 0x6e;
	CHECK(bc_ed25519_public_from_der(big, sizeof pder, pk2) ==
	      BC_ERR_INVALID);

	/* PEM round trips. */
	CHECK(bc_ed25519_private_to_pem(sk, pem, &len) == BC_OK);
	CHECK(len == strlen(pem) && len == 119);
	CHECK(strncmp(pem, "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI",
	              48) == 0);
	CHECK(bc_ed25519_private_from_pem(pem, len, sk2) == BC_OK);
	CHECK(memcmp(sk, sk2, 32) == 0);
	CHECK(bc_ed25519_private_from_pem(pem, len - 1, sk2) == BC_OK);
	CHECK(bc_ed25519_public_from_pem(pem, len, pk2) == BC_ERR_INVALID);
	snprintf(bad, sizeof bad, "x%s", pem);
	CHECK(bc_ed25519_private_from_pem(bad, len + 1, sk2) == BC_ERR_INVALID);
	snprintf(bad, sizeof bad, "%s\n", pem);
	CHECK(bc_ed25519_private_from_pem(bad, len + 1, sk2) == BC_ERR_INVALID);
	memcpy(bad, pem, len);
	bad[40] = ' ';
	CHECK(bc_ed25519_private_from_pem(bad, len, sk2) == BC_ERR_INVALID);
	CHECK(bc_ed25519_public_to_pem(pk, pem, &len) == BC_OK);
	CHECK(len == strlen(pem) && len == 113);
	CHECK(bc_ed25519_public_from_pem(pem, len, pk2) == BC_OK);
	CHECK(memcmp(pk, pk2, 32) == 0);
	CHECK(bc_ed25519_private_from_pem(pem, len, sk2) == BC_ERR_INVALID);

	/* The RFC 8410 example: one key pair, and our output matches. */
	CHECK(bc_ed25519_private_from_pem(rfc8410_private_pem,
	                                  strlen(rfc8410_private_pem),
	                                  sk) == BC_OK);
	CHECK(bc_ed25519_public_from_pem(
	          rfc8410_public_pem, strlen(rfc8410_public_pem), pk) == BC_OK);
	CHECK(bc_ed25519_public(sk, pk2) == BC_OK);
	CHECK(memcmp(pk, pk2, 32) == 0);
	CHECK(bc_ed25519_private_to_pem(sk, pem, &len) == BC_OK);
	CHECK_STR(pem, rfc8410_private_pem);
	CHECK(bc_ed25519_public_to_pem(pk, pem, &len) == BC_OK);
	CHECK_STR(pem, rfc8410_public_pem);
	bc_wipe(sk, sizeof sk);
	bc_wipe(sk2, sizeof sk2);
	bc_wipe(der, sizeof der);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void test_sth(void)
{
	uint8_t sk[32], pk[32], sig[64], enc[BC_STH_LEN], want[BC_STH_LEN];
	bc_sth sth, t;

	sth.tree_size = 0x0102030405060708ull;
	sth.timestamp_ms = 1700000000123ull;
	for (int i = 0; i < 32; i++) {
		sth.root[i] = (uint8_t)(0xa0 + i);
		sth.poll_id[i] = (uint8_t)i;
	}
	/* "ballot-sth/v1" || u64be || root || u64be || poll_id. */
	memcpy(want, "ballot-sth/v1", 13);
	put64(want + 13, sth.tree_size);
	memcpy(want + 21, sth.root, 32);
	put64(want + 53, sth.timestamp_ms);
	memcpy(want + 61, sth.poll_id, 32);
	bc_sth_encode(&sth, enc);
	CHECK(memcmp(enc, want, BC_STH_LEN) == 0);
	CHECK(enc[13] == 0x01 && enc[20] == 0x08);

	CHECK(bc_ed25519_keygen(sk, pk) == BC_OK);
	CHECK(bc_sth_sign(sk, &sth, sig) == BC_OK);
	CHECK(bc_sth_verify(pk, &sth, sig) == BC_OK);
	/* It is a plain Ed25519 signature of the canonical bytes. */
	CHECK(bc_ed25519_verify(pk, want, sizeof want, sig) == BC_OK);
	for (unsigned b = 0; b < 64; b++) {
		t = sth;
		t.tree_size ^= (uint64_t)1 << b;
		CHECK(bc_sth_verify(pk, &t, sig) == BC_ERR_VERIFY);
		t = sth;
		t.timestamp_ms ^= (uint64_t)1 << b;
		CHECK(bc_sth_verify(pk, &t, sig) == BC_ERR_VERIFY);
	}
	for (unsigned b = 0; b < 256; b++) {
		t = sth;
		flip(t.root, b);
		CHECK(bc_sth_verify(pk, &t, sig) == BC_ERR_VERIFY);
		t = sth;
		flip(t.poll_id, b);
		CHECK(bc_sth_verify(pk, &t, sig) == BC_ERR_VERIFY);
	}
	for (unsigned b = 0; b < 512; b++) {
		flip(sig, b);
		CHECK(bc_sth_verify(pk, &sth, sig) == BC_ERR_VERIFY);
		flip(sig, b);
	}
	bc_wipe(sk, sizeof sk);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_rfc8032();
	test_random_keys();
	test_encodings();
	test_sth();
	CHECK_DONE();
}
