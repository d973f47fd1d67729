/*
 * hpke.h: HPKE base mode (RFC 9180) for sealing ballots and trustee
 * shares.  The product's suite is DHKEM(P-256, HKDF-SHA256), HKDF-SHA256,
 * AES-256-GCM; the other AEADs of RFC 9180 exist for the test vectors.
 *
 * Keys: a P-256 private key is its 32-byte big-endian scalar; a public key
 * is the 65-byte uncompressed point (SerializePublicKey, RFC 9180 7.1.1).
 */
#ifndef BC_HPKE_H
#define BC_HPKE_H

#include "bcrypto.h"

#define BC_HPKE_SK_LEN  32
#define BC_HPKE_PK_LEN  65
#define BC_HPKE_ENC_LEN 65
#define BC_HPKE_TAG_LEN 16

/* A fresh key pair.  OUT: sk, pk.  The caller wipes sk after use. */
bc_status bc_hpke_keygen(uint8_t sk[BC_HPKE_SK_LEN],
                         uint8_t pk[BC_HPKE_PK_LEN]) BC_MUST_CHECK;
/* The public key of sk; BC_ERR_INVALID if sk is 0 or >= the group order. */
bc_status bc_hpke_public(const uint8_t sk[BC_HPKE_SK_LEN],
                         uint8_t pk[BC_HPKE_PK_LEN]) BC_MUST_CHECK;

/*
 * Single-shot seal to pkR with the product suite (AES-256-GCM), base mode:
 * SetupBaseS then one Seal with sequence number 0.  ct must hold
 * ptlen + BC_HPKE_TAG_LEN bytes.  OUT: enc, ct.
 */
bc_status bc_hpke_seal(const uint8_t pkR[BC_HPKE_PK_LEN], const uint8_t *info,
                       size_t infolen, const uint8_t *aad, size_t aadlen,
                       const uint8_t *pt, size_t ptlen,
                       uint8_t enc[BC_HPKE_ENC_LEN],
                       uint8_t *ct) BC_MUST_CHECK;
/*
 * Single-shot open with skR.  pt must hold ctlen - BC_HPKE_TAG_LEN bytes.
 * BC_ERR_VERIFY if the tag does not check (nothing is written to pt then).
 */
bc_status bc_hpke_open(const uint8_t skR[BC_HPKE_SK_LEN],
                       const uint8_t enc[BC_HPKE_ENC_LEN],
                       const uint8_t *info, size_t infolen,
                       const uint8_t *aad, size_t aadlen, const uint8_t *ct,
                       size_t ctlen, uint8_t *pt) BC_MUST_CHECK;

#endif
