/*
 * encode.h: text encodings of bytes (base64url, base64, hex) and JWK
 * public keys for the browser.  All decoders are strict: exactly one
 * text decodes to a given byte string, anything else is BC_ERR_INVALID.
 * docs/crypto-sign.md ("Encodings") gives the rules.
 *
 * Text outputs are NUL-terminated; `cap` counts the NUL; *len (may be
 * NULL) excludes it.  If cap is too small the result is BC_ERR_RANGE,
 * *len is set to the length needed (without the NUL) and nothing is
 * written to out.
 * Decoders take (text, textlen) and need no NUL.
 */
#ifndef BC_ENCODE_H
#define BC_ENCODE_H

#include "bcrypto.h"

/* Text lengths (without NUL) for n input bytes. */
#define BC_B64URL_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))
#define BC_B64_LEN(n)    ((((n) + 2) / 3) * 4)
#define BC_HEX_LEN(n)    ((n)*2)

/*
 * base64url without padding, RFC 4648 section 5 (alphabet A-Z a-z 0-9 - _),
 * padding omitted as RFC 7515 section 2 does.  OUT: out, *len.
 */
bc_status bc_b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap,
                           size_t *len) BC_MUST_CHECK;
/*
 * Rejects '=', white space, characters outside the alphabet, a length
 * of 1 mod 4 and non-zero unused trailing bits (RFC 4648 3.5: canonical
 * encoding).  out holds cap bytes (textlen * 3 / 4 always suffices).
 * OUT: out, *outlen.
 */
bc_status bc_b64url_decode(const char *in, size_t textlen, uint8_t *out,
                           size_t cap, size_t *outlen) BC_MUST_CHECK;

/* Standard base64 with '=' padding, RFC 4648 section 4.  OUT: out, *len. */
bc_status bc_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap,
                        size_t *len) BC_MUST_CHECK;
/*
 * Rejects a length not a multiple of 4, missing, misplaced or excess '=',
 * white space, other characters and non-zero trailing bits.
 * OUT: out, *outlen.
 */
bc_status bc_b64_decode(const char *in, size_t textlen, uint8_t *out,
                        size_t cap, size_t *outlen) BC_MUST_CHECK;

/* Lowercase hex (RFC 4648 section 8 alphabet, lowercased).  OUT: out. */
bc_status bc_hex_encode(const uint8_t *in, size_t n, char *out, size_t cap,
                        size_t *len) BC_MUST_CHECK;
/* Lowercase only; rejects odd length, upper case and anything else. */
bc_status bc_hex_decode(const char *in, size_t textlen, uint8_t *out,
                        size_t cap, size_t *outlen) BC_MUST_CHECK;

/*
 * JWK public keys (RFC 7517), members in the fixed order shown, no white
 * space, values base64url without padding.  OUT: out, *len.
 */
/* Lengths of the fixed-size JWKs, without NUL. */
#define BC_JWK_EC_P256_LEN 126
#define BC_JWK_ED25519_LEN 79

/*
 * {"kty":"EC","crv":"P-256","x":"...","y":"..."} (RFC 7518 6.2.1) from
 * the uncompressed point 0x04 || x[32] || y[32].  BC_ERR_INVALID unless
 * the point is on P-256 (and not the point at infinity).
 */
bc_status bc_jwk_ec_p256(const uint8_t point[65], char *out, size_t cap,
                         size_t *len) BC_MUST_CHECK;
/* {"kty":"OKP","crv":"Ed25519","x":"..."} (RFC 8037 section 2). */
bc_status bc_jwk_ed25519(const uint8_t pk[32], char *out, size_t cap,
                         size_t *len) BC_MUST_CHECK;
/*
 * {"kty":"RSA","n":"...","e":"..."} (RFC 7518 6.3.1) from big-endian n
 * and e; leading zero bytes are dropped (base64urlUInt is minimal).
 * BC_ERR_INVALID if n or e is zero or e is even.  RSA JWKs vary in size:
 * call with cap 0 to learn it.
 */
bc_status bc_jwk_rsa(const uint8_t *n, size_t nlen, const uint8_t *e,
                     size_t elen, char *out, size_t cap,
                     size_t *len) BC_MUST_CHECK;

#endif
