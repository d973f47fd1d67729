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

/*
 * The general interface: the KEM, the key schedule and an encryption
 * context for any of the three AEADs of RFC 9180, base mode only.  The
 * product uses the single-shot functions above; the rest exists for the
 * RFC's test vectors, for several messages under one encapsulation, and
 * for the secret export.
 */

/* Algorithm identifiers, RFC 9180 section 7. */
#define BC_HPKE_KEM_P256_SHA256   0x0010
#define BC_HPKE_KDF_HKDF_SHA256   0x0001
#define BC_HPKE_AEAD_AES128GCM    0x0001
#define BC_HPKE_AEAD_AES256GCM    0x0002
#define BC_HPKE_AEAD_CHACHA20POLY1305 0x0003

#define BC_HPKE_SECRET_LEN 32 /* Nsecret of the KEM, Nh of the KDF */
#define BC_HPKE_NONCE_LEN  12 /* Nn of all three AEADs */
#define BC_HPKE_KEY_MAX    32 /* the largest Nk */
/* Export(): largest L (255 * Nh) and longest exporter_context. */
#define BC_HPKE_EXPORT_MAX     (255 * 32)
#define BC_HPKE_EXPORT_CTX_MAX 512

/* A base-mode encryption context (RFC 9180 5.1): key, base nonce,
 * exporter secret, sequence number.  Opaque; wiped when freed. */
typedef struct bc_hpke_ctx bc_hpke_ctx;

/*
 * DeriveKeyPair (RFC 9180 7.1.3) for DHKEM(P-256, HKDF-SHA256): the key
 * pair determined by ikm (ikmlen bytes; at least 32 of them should be
 * secret and random).  OUT: sk, pk; the caller wipes sk (and ikm).
 * BC_ERR_INTERNAL if all 256 candidates are rejected (probability about
 * 2^-8192).
 */
bc_status bc_hpke_derive_keypair(const uint8_t *ikm, size_t ikmlen,
                                 uint8_t sk[BC_HPKE_SK_LEN],
                                 uint8_t pk[BC_HPKE_PK_LEN]) BC_MUST_CHECK;

/*
 * Encap (RFC 9180 4.1) to pkR with a fresh ephemeral key.  OUT:
 * shared_secret (the caller wipes it), enc.  BC_ERR_INVALID if pkR is not
 * an uncompressed point on P-256.
 */
bc_status bc_hpke_encap(const uint8_t pkR[BC_HPKE_PK_LEN],
                        uint8_t shared_secret[BC_HPKE_SECRET_LEN],
                        uint8_t enc[BC_HPKE_ENC_LEN]) BC_MUST_CHECK;
/*
 * Encap with the ephemeral key pair DeriveKeyPair(ikmE): deterministic,
 * for known-answer tests only (reusing ikmE reuses the ephemeral key).
 */
bc_status bc_hpke_encap_derand(const uint8_t pkR[BC_HPKE_PK_LEN],
                               const uint8_t *ikmE, size_t ikmElen,
                               uint8_t shared_secret[BC_HPKE_SECRET_LEN],
                               uint8_t enc[BC_HPKE_ENC_LEN]) BC_MUST_CHECK;
/*
 * Decap (RFC 9180 4.1) of enc with skR.  OUT: shared_secret (the caller
 * wipes it).  BC_ERR_INVALID if enc is not an uncompressed point on
 * P-256, if skR is 0 or >= the group order, or if the DH output is zero.
 */
bc_status bc_hpke_decap(const uint8_t enc[BC_HPKE_ENC_LEN],
                        const uint8_t skR[BC_HPKE_SK_LEN],
                        uint8_t shared_secret[BC_HPKE_SECRET_LEN])
	BC_MUST_CHECK;

/*
 * The intermediate values of KeySchedule (RFC 9180 5.1), for checking
 * the RFC's test vectors.  Every field is secret except
 * key_schedule_context; whoever asks for a trace wipes it (bc_wipe).
 */
typedef struct {
	uint8_t key_schedule_context[1 + 2 * BC_HPKE_SECRET_LEN];
	uint8_t secret[BC_HPKE_SECRET_LEN];
	uint8_t key[BC_HPKE_KEY_MAX];
	size_t keylen; /* Nk: 16 or 32 bytes */
	uint8_t base_nonce[BC_HPKE_NONCE_LEN];
	uint8_t exporter_secret[BC_HPKE_SECRET_LEN];
} bc_hpke_trace;

/*
 * KeySchedule (RFC 9180 5.1), mode_base, for the suite DHKEM(P-256,
 * HKDF-SHA256), HKDF-SHA256, aead_id.  is_sender chooses which way the
 * context may be used (seal or open; both may export).  OUT: *ctx, newly
 * allocated, freed by the caller with bc_hpke_ctx_free; trace may be
 * NULL.  BC_ERR_INVALID for an unknown aead_id.
 */
bc_status bc_hpke_key_schedule(bc_hpke_ctx **ctx, int is_sender,
                               unsigned aead_id,
                               const uint8_t shared_secret[BC_HPKE_SECRET_LEN],
                               const uint8_t *info, size_t infolen,
                               bc_hpke_trace *trace) BC_MUST_CHECK;

/*
 * SetupBaseS (RFC 9180 5.1.1): Encap to pkR then KeySchedule.  OUT: *ctx
 * (freed by the caller with bc_hpke_ctx_free), enc.
 */
bc_status bc_hpke_setup_sender(bc_hpke_ctx **ctx, unsigned aead_id,
                               const uint8_t pkR[BC_HPKE_PK_LEN],
                               const uint8_t *info, size_t infolen,
                               uint8_t enc[BC_HPKE_ENC_LEN]) BC_MUST_CHECK;
/* SetupBaseS with the ephemeral key DeriveKeyPair(ikmE): for tests only. */
bc_status bc_hpke_setup_sender_derand(bc_hpke_ctx **ctx, unsigned aead_id,
                                      const uint8_t pkR[BC_HPKE_PK_LEN],
                                      const uint8_t *info, size_t infolen,
                                      const uint8_t *ikmE, size_t ikmElen,
                                      uint8_t enc[BC_HPKE_ENC_LEN])
	BC_MUST_CHECK;
/* SetupBaseR (RFC 9180 5.1.1): Decap then KeySchedule.  OUT: *ctx. */
bc_status bc_hpke_setup_recipient(bc_hpke_ctx **ctx, unsigned aead_id,
                                  const uint8_t enc[BC_HPKE_ENC_LEN],
                                  const uint8_t skR[BC_HPKE_SK_LEN],
                                  const uint8_t *info, size_t infolen)
	BC_MUST_CHECK;

/*
 * ContextS.Seal (RFC 9180 5.2) with the next sequence number, which then
 * goes up by one.  ct must hold ptlen + BC_HPKE_TAG_LEN bytes.  OUT: ct.
 * BC_ERR_INVALID on a recipient context; BC_ERR_RANGE once the sequence
 * number has reached 2^64 - 1 (the context is then used up) or if ptlen
 * is too large.
 */
bc_status bc_hpke_ctx_seal(bc_hpke_ctx *ctx, const uint8_t *aad,
                           size_t aadlen, const uint8_t *pt, size_t ptlen,
                           uint8_t *ct) BC_MUST_CHECK;
/*
 * ContextR.Open (RFC 9180 5.2) with the next sequence number, which goes
 * up by one only if the tag checks.  pt must hold ctlen - BC_HPKE_TAG_LEN
 * bytes.  OUT: pt.  BC_ERR_VERIFY if the tag does not check (pt is left
 * untouched); BC_ERR_INVALID if ctlen < BC_HPKE_TAG_LEN or on a sender
 * context; BC_ERR_RANGE as for seal.
 */
bc_status bc_hpke_ctx_open(bc_hpke_ctx *ctx, const uint8_t *aad,
                           size_t aadlen, const uint8_t *ct, size_t ctlen,
                           uint8_t *pt) BC_MUST_CHECK;
/*
 * Context.Export (RFC 9180 5.3): L bytes (1 .. BC_HPKE_EXPORT_MAX)
 * derived from the exporter secret and exporter_context (at most
 * BC_HPKE_EXPORT_CTX_MAX bytes).  OUT: out.  BC_ERR_RANGE otherwise.
 */
bc_status bc_hpke_ctx_export(const bc_hpke_ctx *ctx,
                             const uint8_t *exporter_context, size_t ctxlen,
                             uint8_t *out, size_t L) BC_MUST_CHECK;
/* The sequence number the next seal or open will use. */
uint64_t bc_hpke_ctx_seq(const bc_hpke_ctx *ctx);
/*
 * Sets the sequence number: a recipient may go anywhere (to open messages
 * out of order); a sender only forward, since going back would reuse a
 * nonce (BC_ERR_RANGE then, nothing changed).
 */
bc_status bc_hpke_ctx_set_seq(bc_hpke_ctx *ctx, uint64_t seq) BC_MUST_CHECK;
/* Wipes and frees ctx; NULL is allowed. */
void bc_hpke_ctx_free(bc_hpke_ctx *ctx);

#endif
