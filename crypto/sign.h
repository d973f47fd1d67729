/*
 * sign.h: Ed25519 (RFC 8032, pure Ed25519, no context) for the board key:
 * signed tree heads and receipts.  docs/crypto-sign.md has the layouts.
 *
 * Keys: a private key is its 32-byte seed (RFC 8032 5.1.5 "private key"),
 * a public key the 32-byte encoded point, a signature 64 bytes (R || S).
 * The library wipes every copy of a seed it makes; the caller wipes its own.
 */
#ifndef BC_SIGN_H
#define BC_SIGN_H

#include "bcrypto.h"

#define BC_ED25519_SK_LEN  32
#define BC_ED25519_PK_LEN  32
#define BC_ED25519_SIG_LEN 64
/* RFC 8410 encodings of an Ed25519 key: PKCS#8 v1 and SPKI, in DER. */
#define BC_ED25519_PKCS8_DER_LEN 48
#define BC_ED25519_SPKI_DER_LEN  44
/* Enough for either PEM text with its NUL. */
#define BC_ED25519_PEM_MAX 128

/* A fresh key pair from the OpenSSL DRBG.  OUT: sk, pk.  Wipe sk. */
bc_status bc_ed25519_keygen(uint8_t sk[BC_ED25519_SK_LEN],
                            uint8_t pk[BC_ED25519_PK_LEN]) BC_MUST_CHECK;
/* The public key of sk.  OUT: pk. */
bc_status bc_ed25519_public(const uint8_t sk[BC_ED25519_SK_LEN],
                            uint8_t pk[BC_ED25519_PK_LEN]) BC_MUST_CHECK;
/* Signs msg[0..len) (RFC 8032 5.1.6).  OUT: sig. */
bc_status bc_ed25519_sign(const uint8_t sk[BC_ED25519_SK_LEN],
                          const uint8_t *msg, size_t len,
                          uint8_t sig[BC_ED25519_SIG_LEN]) BC_MUST_CHECK;
/*
 * A signing key made ready once, for a signer that signs often (the
 * board key signs a receipt per cast): bc_ed25519_sign rebuilds the key
 * on every call, which costs as much as the signature itself.  A signer
 * may sign from several threads at once.  Free with
 * bc_ed25519_signer_free, which clears the key.  OUT: *out.
 */
typedef struct bc_ed25519_signer bc_ed25519_signer;
bc_status bc_ed25519_signer_new(const uint8_t sk[BC_ED25519_SK_LEN],
                                bc_ed25519_signer **out) BC_MUST_CHECK;
bc_status bc_ed25519_signer_sign(const bc_ed25519_signer *s,
                                 const uint8_t *msg, size_t len,
                                 uint8_t sig[BC_ED25519_SIG_LEN]) BC_MUST_CHECK;
void bc_ed25519_signer_free(bc_ed25519_signer *s);

/*
 * RFC 8032 5.1.7 (OpenSSL's checks: S < L, R and A decodable, encodings
 * compared).  BC_OK, or BC_ERR_VERIFY for any bad signature, key or
 * message.
 */
bc_status
bc_ed25519_verify(const uint8_t pk[BC_ED25519_PK_LEN], const uint8_t *msg,
                  size_t len,
                  const uint8_t sig[BC_ED25519_SIG_LEN]) BC_MUST_CHECK;

/*
 * DER and PEM.  Export writes OpenSSL's encoding (PKCS#8 "PRIVATE KEY",
 * SubjectPublicKeyInfo "PUBLIC KEY", RFC 8410).  Import accepts what
 * OpenSSL decodes as an Ed25519 key of that kind and nothing else:
 * BC_ERR_INVALID for another key type, trailing bytes or garbage.
 * PEM text is NUL-terminated; *len (may be NULL) excludes the NUL.
 * The private outputs hold the seed: the caller wipes them.
 */
bc_status
bc_ed25519_private_to_der(const uint8_t sk[BC_ED25519_SK_LEN],
                          uint8_t der[BC_ED25519_PKCS8_DER_LEN]) BC_MUST_CHECK;
bc_status
bc_ed25519_private_from_der(const uint8_t *der, size_t len,
                            uint8_t sk[BC_ED25519_SK_LEN]) BC_MUST_CHECK;
bc_status
bc_ed25519_public_to_der(const uint8_t pk[BC_ED25519_PK_LEN],
                         uint8_t der[BC_ED25519_SPKI_DER_LEN]) BC_MUST_CHECK;
bc_status
bc_ed25519_public_from_der(const uint8_t *der, size_t len,
                           uint8_t pk[BC_ED25519_PK_LEN]) BC_MUST_CHECK;
bc_status bc_ed25519_private_to_pem(const uint8_t sk[BC_ED25519_SK_LEN],
                                    char pem[BC_ED25519_PEM_MAX],
                                    size_t *len) BC_MUST_CHECK;
bc_status
bc_ed25519_private_from_pem(const char *pem, size_t len,
                            uint8_t sk[BC_ED25519_SK_LEN]) BC_MUST_CHECK;
bc_status bc_ed25519_public_to_pem(const uint8_t pk[BC_ED25519_PK_LEN],
                                   char pem[BC_ED25519_PEM_MAX],
                                   size_t *len) BC_MUST_CHECK;
bc_status
bc_ed25519_public_from_pem(const char *pem, size_t len,
                           uint8_t pk[BC_ED25519_PK_LEN]) BC_MUST_CHECK;

/*
 * The signed tree head.  Its canonical bytes, the message Ed25519 signs:
 *   "ballot-sth/v1" (13 ASCII bytes, no NUL) || u64be(tree_size) ||
 *   root[32] || u64be(timestamp_ms) || poll_id[32]          = 93 bytes.
 * timestamp_ms is milliseconds since the Unix epoch (UTC).
 */
#define BC_STH_LEN 93

typedef struct {
	uint64_t tree_size;
	uint8_t root[32]; /* the RFC 9162 MTH of tree_size leaves */
	uint64_t timestamp_ms;
	uint8_t poll_id[32];
} bc_sth;

/* The canonical bytes of sth.  OUT: out. */
void bc_sth_encode(const bc_sth *sth, uint8_t out[BC_STH_LEN]);
/* Signs bc_sth_encode(sth) with the board key.  OUT: sig. */
bc_status bc_sth_sign(const uint8_t sk[BC_ED25519_SK_LEN], const bc_sth *sth,
                      uint8_t sig[BC_ED25519_SIG_LEN]) BC_MUST_CHECK;
/* BC_OK if sig is pk's signature of bc_sth_encode(sth), else BC_ERR_VERIFY. */
bc_status bc_sth_verify(const uint8_t pk[BC_ED25519_PK_LEN], const bc_sth *sth,
                        const uint8_t sig[BC_ED25519_SIG_LEN]) BC_MUST_CHECK;

#endif
