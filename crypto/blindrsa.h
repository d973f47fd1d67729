/*
 * blindrsa.h: RSA blind signatures, RFC 9474, for the voting tokens.
 *
 * The product uses RSABSSA-SHA384-PSS-Randomized; the three other variants
 * of RFC 9474 section 5 exist for the test vectors and for completeness.
 * A key is dedicated to one poll and one variant (RFC 9474 6.2).
 *
 * Sizes: k = bc_brsa_key_len(key) is the modulus length in bytes (256 for
 * 2048-bit keys).  Every k-byte buffer is passed with a length `klen` that
 * must equal k (BC_ERR_INVALID otherwise), so a caller's sizing mistake is
 * refused rather than read past.  Integers are big-endian, left-padded to
 * k bytes (I2OSP, RFC 8017 4.1).
 *
 * Roles: the client calls prepare, blind, finalize; the signer (the
 * server, holding the private key) calls blind_sign; anyone calls verify.
 * The protocol message flow and the exact wire sizes are in
 * docs/crypto-blindrsa.md.
 */
#ifndef BC_BLINDRSA_H
#define BC_BLINDRSA_H

#include "bcrypto.h"

#define BC_BRSA_PREFIX_LEN 32   /* the Randomized variants' msg_prefix, 4.1 */
#define BC_BRSA_SALT_LEN   48   /* PSS salt of the -PSS variants, section 5 */
#define BC_BRSA_MIN_BITS   2048 /* accepted modulus sizes, on import too */
#define BC_BRSA_MAX_BITS   4096
#define BC_BRSA_MAX_LEN    512  /* k for a 4096-bit modulus */

/* RFC 9474 section 5; the numbering is ours, not on any wire. */
typedef enum {
	BC_BRSA_SHA384_PSS_RANDOMIZED = 0,   /* the product's */
	BC_BRSA_SHA384_PSSZERO_RANDOMIZED,
	BC_BRSA_SHA384_PSS_DETERMINISTIC,
	BC_BRSA_SHA384_PSSZERO_DETERMINISTIC
} bc_brsa_variant;

/* The RFC's name ("RSABSSA-SHA384-PSS-Randomized"...), NULL if unknown. */
const char *bc_brsa_variant_name(bc_brsa_variant v);
/* The variant named so; BC_ERR_INVALID if the name is none of the four. */
bc_status bc_brsa_variant_from_name(const char *name,
                                    bc_brsa_variant *v) BC_MUST_CHECK;
/* PSS salt length of v in bytes (48 or 0); 0 for an unknown variant. */
size_t bc_brsa_salt_len(bc_brsa_variant v);
/* Prefix length of v in bytes (32 or 0); 0 for an unknown variant. */
size_t bc_brsa_prefix_len(bc_brsa_variant v);

/*
 * An RSA key, public or private.  Opaque; immutable once made, so one key
 * may be used from several threads.  bc_brsa_key_free wipes and frees it
 * (NULL is allowed).
 */
typedef struct bc_brsa_key bc_brsa_key;

/*
 * A fresh key of `bits` (2048, 3072 or 4096) with e = 65537, for one poll.
 * OUT: *out, which the caller frees with bc_brsa_key_free.
 */
bc_status bc_brsa_keygen(unsigned bits, bc_brsa_key **out) BC_MUST_CHECK;
void bc_brsa_key_free(bc_brsa_key *key);
/* k, the modulus length in bytes. */
size_t bc_brsa_key_len(const bc_brsa_key *key);
/* The modulus length in bits. */
unsigned bc_brsa_key_bits(const bc_brsa_key *key);
/* 1 if the key holds the private part. */
int bc_brsa_key_is_private(const bc_brsa_key *key);
/* A public-only copy of key.  OUT: *out, freed with bc_brsa_key_free. */
bc_status bc_brsa_key_public(const bc_brsa_key *key,
                             bc_brsa_key **out) BC_MUST_CHECK;

/*
 * Encodings.  Each to_* function writes into the caller's buffer out of
 * cap bytes and sets *outlen to the encoding's length; if out is NULL or
 * cap is too small nothing is written, *outlen is the length needed and
 * the result is BC_ERR_RANGE.  PEM output is followed by a NUL which
 * *outlen does not count (so cap must be *outlen + 1).
 *
 * Private keys: unencrypted PKCS#8 PrivateKeyInfo (RFC 5208) with
 * rsaEncryption, DER or PEM ("-----BEGIN PRIVATE KEY-----").  The caller
 * wipes the buffer (bc_wipe) when done.  BC_ERR_INVALID from a public key.
 * Public keys: SubjectPublicKeyInfo (RFC 5280 4.1, rsaEncryption), DER or
 * PEM ("-----BEGIN PUBLIC KEY-----"); also from a private key.
 *
 * Each from_* function reads the whole input (trailing bytes are refused),
 * checks the key (rsaEncryption, modulus of BC_BRSA_MIN_BITS to
 * BC_BRSA_MAX_BITS bits, e odd and 3 <= e < n; for a private key the
 * consistency of its parts) and sets *out, which the caller frees.
 * A public DER key must moreover be the canonical encoding (what to_spki
 * writes), so that one key has one published form.  BC_ERR_INVALID for
 * anything malformed or out of range.
 */
bc_status bc_brsa_key_to_pkcs8_der(const bc_brsa_key *key, uint8_t *out,
                                   size_t cap, size_t *outlen) BC_MUST_CHECK;
bc_status bc_brsa_key_to_pkcs8_pem(const bc_brsa_key *key, char *out,
                                   size_t cap, size_t *outlen) BC_MUST_CHECK;
bc_status bc_brsa_key_from_pkcs8_der(const uint8_t *der, size_t len,
                                     bc_brsa_key **out) BC_MUST_CHECK;
bc_status bc_brsa_key_from_pkcs8_pem(const char *pem, size_t len,
                                     bc_brsa_key **out) BC_MUST_CHECK;
bc_status bc_brsa_key_to_spki_der(const bc_brsa_key *key, uint8_t *out,
                                  size_t cap, size_t *outlen) BC_MUST_CHECK;
bc_status bc_brsa_key_to_spki_pem(const bc_brsa_key *key, char *out,
                                  size_t cap, size_t *outlen) BC_MUST_CHECK;
bc_status bc_brsa_key_from_spki_der(const uint8_t *der, size_t len,
                                    bc_brsa_key **out) BC_MUST_CHECK;
bc_status bc_brsa_key_from_spki_pem(const char *pem, size_t len,
                                    bc_brsa_key **out) BC_MUST_CHECK;

/*
 * The public key as raw integers: n as exactly k bytes (nlen must be k),
 * e as its minimal big-endian bytes in e[0..*elen) (ecap >= *elen; 3 for
 * 65537).  OUT: n, e, *elen.  BC_ERR_RANGE if ecap is too small.
 */
bc_status bc_brsa_key_to_raw(const bc_brsa_key *key, uint8_t *n, size_t nlen,
                             uint8_t *e, size_t ecap,
                             size_t *elen) BC_MUST_CHECK;
/*
 * A public key from raw n (nlen bytes, first byte non-zero) and e (elen
 * bytes, first byte non-zero), with the checks of from_spki.
 * OUT: *out, freed with bc_brsa_key_free.
 */
bc_status bc_brsa_key_from_raw(const uint8_t *n, size_t nlen,
                               const uint8_t *e, size_t elen,
                               bc_brsa_key **out) BC_MUST_CHECK;

/*
 * Prepare (RFC 9474 4.1).  The prepared message is what blind, finalize
 * and verify take as "msg", and what the verifier must be given: for the
 * Randomized variants msg_prefix (32 random bytes) || msg, for the
 * Deterministic ones msg unchanged.  bc_brsa_prepared_len is its length
 * (0 if v is unknown or the length overflows).
 * OUT: prepared[0..bc_brsa_prepared_len(v, msglen)).
 */
size_t bc_brsa_prepared_len(bc_brsa_variant v, size_t msglen);
bc_status bc_brsa_prepare(bc_brsa_variant v, const uint8_t *msg,
                          size_t msglen, uint8_t *prepared) BC_MUST_CHECK;
/*
 * Prepare with a given prefix: for known-answer tests only.  prefix must
 * be NULL for the Deterministic variants and 32 bytes for the others.
 */
bc_status bc_brsa_prepare_with_prefix(bc_brsa_variant v,
                                      const uint8_t *prefix,
                                      const uint8_t *msg, size_t msglen,
                                      uint8_t *prepared) BC_MUST_CHECK;

/*
 * Blind (RFC 9474 4.2), client side.  Encodes the prepared message with
 * EMSA-PSS (a fresh salt of bc_brsa_salt_len(v) bytes), draws the blinding
 * factor r uniformly from [1, n) and outputs blinded_msg = m * r^e mod n
 * (sent to the signer) and inv = r^-1 mod n (kept by the client for
 * finalize: a secret, which the caller wipes after finalize).
 * OUT: blinded[0..k), inv[0..k); klen must be k.
 * BC_ERR_INVALID if m is not invertible mod n (RFC: "invalid input").
 */
bc_status bc_brsa_blind(const bc_brsa_key *pk, bc_brsa_variant v,
                        const uint8_t *prepared, size_t preparedlen,
                        uint8_t *blinded, uint8_t *inv,
                        size_t klen) BC_MUST_CHECK;
/*
 * Blind with the salt (bc_brsa_salt_len(v) bytes; NULL when 0) and the
 * blinding factor r (k bytes, 1 <= r < n, gcd(r, n) = 1) given: for
 * known-answer tests only.  BC_ERR_INVALID if r is out of range or not
 * invertible (RFC: "blinding error").
 */
bc_status bc_brsa_blind_with(const bc_brsa_key *pk, bc_brsa_variant v,
                             const uint8_t *prepared, size_t preparedlen,
                             const uint8_t *salt, const uint8_t *r,
                             uint8_t *blinded, uint8_t *inv,
                             size_t klen) BC_MUST_CHECK;

/*
 * BlindSign (RFC 9474 4.3), signer side: blind_sig = blinded^d mod n,
 * computed by OpenSSL's RSA private operation (CRT, base blinding,
 * constant-time exponentiation), then re-checked with
 * bc_brsa_check_blind_sig before it is released (4.3 steps 3-4: a faulty
 * CRT result would leak the factors of n).  Deterministic: the same
 * blinded message always gives the same blind signature.
 * OUT: blind_sig[0..k); klen must be k.  BC_ERR_INVALID if blinded is
 * not < n (RSASP1's "message representative out of range"), BC_ERR_VERIFY
 * if the re-check fails ("signing failure"; nothing is written then).
 */
bc_status bc_brsa_blind_sign(const bc_brsa_key *sk, const uint8_t *blinded,
                             uint8_t *blind_sig, size_t klen) BC_MUST_CHECK;
/*
 * The check BlindSign makes of its own result: RSAVP1(blind_sig) ==
 * blinded (both k bytes and < n).  BC_OK if it holds, BC_ERR_VERIFY if
 * not, BC_ERR_INVALID if either is >= n.
 */
bc_status bc_brsa_check_blind_sig(const bc_brsa_key *pk,
                                  const uint8_t *blinded,
                                  const uint8_t *blind_sig,
                                  size_t klen) BC_MUST_CHECK;

/*
 * Finalize (RFC 9474 4.4), client side: sig = blind_sig * inv mod n, then
 * verified as bc_brsa_verify would; only a valid signature is written.
 * OUT: sig[0..k); klen must be k.  BC_ERR_INVALID if blind_sig or inv is
 * not in range (blind_sig < n, 1 <= inv < n), BC_ERR_VERIFY if the
 * result does not verify (RFC: "invalid signature").
 */
bc_status bc_brsa_finalize(const bc_brsa_key *pk, bc_brsa_variant v,
                           const uint8_t *prepared, size_t preparedlen,
                           const uint8_t *blind_sig, const uint8_t *inv,
                           uint8_t *sig, size_t klen) BC_MUST_CHECK;

/*
 * Verify (RFC 9474 4.5): RSASSA-PSS-VERIFY (RFC 8017 8.1.2) of sig on the
 * prepared message, SHA-384, MGF1-SHA-384, salt length of v.  BC_OK if
 * valid; BC_ERR_VERIFY if not (including sig >= n); BC_ERR_INVALID if
 * siglen is not k or v is unknown.
 */
bc_status bc_brsa_verify(const bc_brsa_key *pk, bc_brsa_variant v,
                         const uint8_t *prepared, size_t preparedlen,
                         const uint8_t *sig, size_t siglen) BC_MUST_CHECK;

#endif
