/*
 * emsa_pss.h: EMSA-PSS encoding and verification (RFC 8017 section 9.1)
 * with SHA-384 and MGF1-SHA-384, for the RSA blind signatures of
 * blindrsa.c.  Private to the library; the tests include it to check the
 * encoded message against the RFC 9474 vectors.
 *
 * Written here rather than taken from OpenSSL because OpenSSL 3.0's
 * RSA_padding_add_PKCS1_PSS_mgf1 is deprecated and draws the salt itself,
 * so a known-answer test could not inject the vector's salt.
 */
#ifndef BC_EMSA_PSS_H
#define BC_EMSA_PSS_H

#include "bcrypto.h"

#define BC_EMSA_PSS_HLEN 48 /* SHA-384 output, RFC 8017 hLen */

/*
 * EMSA-PSS-ENCODE(M, emBits) of RFC 8017 9.1.1 with the given salt.
 * embits: the RFC's emBits (modBits - 1 for RSASSA-PSS); emlen must be
 * ceil(embits / 8).  salt may be NULL only when saltlen is 0.
 * OUT: em[0..emlen).  BC_ERR_INVALID if emlen < hLen + saltlen + 2 (the
 * RFC's "encoding error") or emlen does not match embits.
 */
bc_status bc_emsa_pss_encode(const uint8_t *msg, size_t msglen,
                             const uint8_t *salt, size_t saltlen,
                             size_t embits, uint8_t *em,
                             size_t emlen) BC_MUST_CHECK;

/*
 * EMSA-PSS-VERIFY(M, EM, emBits) of RFC 8017 9.1.2, requiring a salt of
 * exactly saltlen bytes.  BC_OK if "consistent", BC_ERR_VERIFY if
 * "inconsistent", BC_ERR_INVALID if emlen does not match embits.
 */
bc_status bc_emsa_pss_verify(const uint8_t *msg, size_t msglen,
                             const uint8_t *em, size_t emlen, size_t embits,
                             size_t saltlen) BC_MUST_CHECK;

#endif
