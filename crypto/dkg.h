/*
 * dkg.h: the trustees' joint election key on P-256, by a dealerless
 * distributed key generation: joint Feldman verifiable secret sharing
 * (Pedersen 1991), with the complaint-and-answer step of Gennaro, Jarecki,
 * Krawczyk and Rabin (1999, figure 2, step 1c).  docs/crypto-dkg.md gives
 * the protocol, the byte layouts and the threat model.
 *
 * n trustees, threshold k, 1 <= k <= n <= 64; trustees are numbered 1..n.
 * Every trustee i deals a random polynomial f_i of degree k-1, publishes
 * its Feldman commitments C_it = a_it*G and seals f_i(j) to every other
 * trustee j with HPKE (hpke.h).  The election key is the sum of the
 * constant terms of the qualified dealers; nobody holds it until k of the
 * trustees' shares x_j are released and combined after the close.
 *
 * Encodings: a scalar is 32 bytes big-endian and below the group order q;
 * a point is the 65-byte uncompressed SEC1 form 0x04 || X || Y (the form of
 * HPKE public keys, RFC 9180 section 7.1.1).  QUAL, the set of qualified
 * dealers, is a bit mask: bit i-1 set for dealer i.  The commitments of all
 * dealers are passed as an array of n pointers, entry i-1 for dealer i,
 * which may be NULL for a dealer outside QUAL.
 *
 * Every function that takes a bc_error * fills it (when not NULL) with a
 * sentence naming the trustee at fault whenever it returns an error.
 */
#ifndef BC_DKG_H
#define BC_DKG_H

#include "bcrypto.h"
#include "hpke.h"

#define BC_DKG_MAX_N        64
#define BC_DKG_POLL_ID_MAX  255
#define BC_DKG_SCALAR_LEN   32
#define BC_DKG_POINT_LEN    65
#define BC_DKG_HASH_LEN     32

/* Wire sizes (docs/crypto-dkg.md, "Messages"). */
#define BC_DKG_COMMIT_LEN(k) (3 + (size_t)BC_DKG_POINT_LEN * (size_t)(k))
#define BC_DKG_COMMIT_MAX_LEN BC_DKG_COMMIT_LEN(BC_DKG_MAX_N)
#define BC_DKG_SEALED_CT_LEN (BC_DKG_SCALAR_LEN + BC_HPKE_TAG_LEN)
#define BC_DKG_SEALED_LEN   (2 + BC_HPKE_ENC_LEN + BC_DKG_SEALED_CT_LEN)
#define BC_DKG_COMPLAINT_LEN 3
#define BC_DKG_ANSWER_LEN   (2 + BC_DKG_SCALAR_LEN)
#define BC_DKG_RELEASE_LEN  (1 + BC_DKG_SCALAR_LEN)

/* Why a trustee complains about a dealer (byte 2 of a complaint). */
enum {
	BC_DKG_BAD_SEAL = 1,  /* the sealed share does not open */
	BC_DKG_BAD_SHARE = 2, /* it opens but fails the Feldman check */
};

/*
 * The ceremony's public parameters.  ctx is SHA-256 of the poll id, n and
 * k (docs, "Context"), bound into every seal and commitment hash.
 */
typedef struct {
	uint8_t poll_id[BC_DKG_POLL_ID_MAX];
	size_t poll_id_len;
	unsigned n, k;
	uint8_t ctx[BC_DKG_HASH_LEN];
} bc_dkg_params;

/* Round 1, broadcast by dealer i: C_i0..C_i(k-1). */
typedef struct {
	unsigned dealer;
	uint8_t c[BC_DKG_MAX_N][BC_DKG_POINT_LEN];
} bc_dkg_commitments;

/* Round 1, dealer i to trustee j through the server: HPKE(s_ij). */
typedef struct {
	unsigned dealer, recipient;
	uint8_t enc[BC_HPKE_ENC_LEN];
	uint8_t ct[BC_DKG_SEALED_CT_LEN];
} bc_dkg_sealed_share;

/* Round 2, broadcast by trustee j (accuser) against dealer i. */
typedef struct {
	unsigned accuser, dealer, reason;
} bc_dkg_complaint;

/* Round 3, broadcast by dealer i: s_ij in clear, answering j's complaint. */
typedef struct {
	unsigned dealer, accuser;
	uint8_t share[BC_DKG_SCALAR_LEN];
} bc_dkg_answer;

/* After the close, broadcast by trustee j: its secret share x_j. */
typedef struct {
	unsigned trustee;
	uint8_t share[BC_DKG_SCALAR_LEN];
} bc_dkg_release;

/*
 * Fills p for a poll.  poll_id: 1..255 bytes; 1 <= k <= n <= 64.
 * BC_ERR_RANGE otherwise.  OUT: p.
 */
bc_status bc_dkg_params_init(bc_dkg_params *p, const uint8_t *poll_id,
                             size_t poll_id_len, unsigned n,
                             unsigned k) BC_MUST_CHECK;

/*
 * Encoders write exactly the stated length (BC_DKG_COMMIT_LEN(p->k) for
 * commitments; outlen must equal it).  Decoders check the length, that
 * indices are in 1..n and distinct where they must be, that points are
 * uncompressed and on the curve, scalars below q and reasons known:
 * BC_ERR_INVALID otherwise, with err naming the trustee.  OUT: out.
 */
bc_status bc_dkg_commitments_encode(const bc_dkg_params *p,
                                    const bc_dkg_commitments *c, uint8_t *out,
                                    size_t outlen) BC_MUST_CHECK;
bc_status bc_dkg_commitments_decode(const bc_dkg_params *p, const uint8_t *in,
                                    size_t inlen, bc_dkg_commitments *out,
                                    bc_error *err) BC_MUST_CHECK;
bc_status bc_dkg_sealed_encode(const bc_dkg_params *p,
                               const bc_dkg_sealed_share *s,
                               uint8_t out[BC_DKG_SEALED_LEN]) BC_MUST_CHECK;
bc_status bc_dkg_sealed_decode(const bc_dkg_params *p,
                               const uint8_t in[BC_DKG_SEALED_LEN],
                               bc_dkg_sealed_share *out,
                               bc_error *err) BC_MUST_CHECK;
bc_status bc_dkg_complaint_encode(const bc_dkg_params *p,
                                  const bc_dkg_complaint *c,
                                  uint8_t out[BC_DKG_COMPLAINT_LEN])
	BC_MUST_CHECK;
bc_status bc_dkg_complaint_decode(const bc_dkg_params *p,
                                  const uint8_t in[BC_DKG_COMPLAINT_LEN],
                                  bc_dkg_complaint *out,
                                  bc_error *err) BC_MUST_CHECK;
bc_status bc_dkg_answer_encode(const bc_dkg_params *p, const bc_dkg_answer *a,
                               uint8_t out[BC_DKG_ANSWER_LEN]) BC_MUST_CHECK;
bc_status bc_dkg_answer_decode(const bc_dkg_params *p,
                               const uint8_t in[BC_DKG_ANSWER_LEN],
                               bc_dkg_answer *out,
                               bc_error *err) BC_MUST_CHECK;
bc_status bc_dkg_release_encode(const bc_dkg_params *p,
                                const bc_dkg_release *r,
                                uint8_t out[BC_DKG_RELEASE_LEN]) BC_MUST_CHECK;
bc_status bc_dkg_release_decode(const bc_dkg_params *p,
                                const uint8_t in[BC_DKG_RELEASE_LEN],
                                bc_dkg_release *out,
                                bc_error *err) BC_MUST_CHECK;

/*
 * H_i = SHA-256("ballot-dkg-v1/commitments" || ctx || encoded commitments),
 * the AAD of every share dealer i seals; published before the commitments
 * themselves if the ceremony runs the optional round 0.  OUT: h.
 */
bc_status bc_dkg_commitments_hash(const bc_dkg_params *p,
                                  const bc_dkg_commitments *c,
                                  uint8_t h[BC_DKG_HASH_LEN]) BC_MUST_CHECK;

/* ---- Dealer i (secret state: the polynomial f_i) ---- */

typedef struct bc_dkg_dealer bc_dkg_dealer;

/*
 * Draws f_i with k coefficients from [1, q-1] and computes its commitments.
 * OUT: *out, freed (and wiped) by bc_dkg_dealer_free.  The dealer must be
 * kept until the complaints are answered (round 3).
 */
bc_status bc_dkg_dealer_new(const bc_dkg_params *p, unsigned i,
                            bc_dkg_dealer **out) BC_MUST_CHECK;
void bc_dkg_dealer_free(bc_dkg_dealer *d);
/* The dealer's public commitments.  OUT: c. */
bc_status bc_dkg_dealer_commitments(const bc_dkg_dealer *d,
                                    bc_dkg_commitments *c) BC_MUST_CHECK;
/*
 * Seals s_ij = f_i(j) to trustee j's HPKE public key pk_j (j != i), with
 * info and aad as in docs/crypto-dkg.md, "Sealing a share".  OUT: out.
 */
bc_status bc_dkg_dealer_seal(const bc_dkg_dealer *d, unsigned j,
                             const uint8_t pk_j[BC_HPKE_PK_LEN],
                             bc_dkg_sealed_share *out) BC_MUST_CHECK;
/* The dealer's share for itself, s_ii.  OUT: s, the caller wipes it. */
bc_status bc_dkg_dealer_own_share(const bc_dkg_dealer *d,
                                  uint8_t s[BC_DKG_SCALAR_LEN]) BC_MUST_CHECK;
/*
 * The public answer to a complaint against this dealer: s_ij in clear.
 * BC_ERR_INVALID if the complaint is not against this dealer.  OUT: out.
 */
bc_status bc_dkg_dealer_answer(const bc_dkg_dealer *d,
                               const bc_dkg_complaint *c,
                               bc_dkg_answer *out) BC_MUST_CHECK;

/* ---- Trustee j, round 2 ---- */

/*
 * Opens dealer c->dealer's share for trustee j with j's HPKE private key
 * sk_j and checks it against the commitments c.
 * BC_OK: share holds s_ij (the caller wipes it).
 * BC_ERR_VERIFY: the dealer is at fault; *complaint is filled (to be
 *   broadcast) and share is zeroed; err names the dealer.
 * BC_ERR_INVALID: the message is not from c->dealer to j, or c is
 *   malformed; no complaint is made (a malformed c is public and
 *   disqualifies the dealer for everyone).
 */
bc_status bc_dkg_open_share(const bc_dkg_params *p, unsigned j,
                            const uint8_t sk_j[BC_HPKE_SK_LEN],
                            const bc_dkg_commitments *c,
                            const bc_dkg_sealed_share *s,
                            uint8_t share[BC_DKG_SCALAR_LEN],
                            bc_dkg_complaint *complaint,
                            bc_error *err) BC_MUST_CHECK;

/*
 * Public Feldman check: share*G == sum_t C_t * j^t.  BC_ERR_VERIFY naming
 * the dealer if not.
 */
bc_status bc_dkg_check_share(const bc_dkg_params *p,
                             const bc_dkg_commitments *c, unsigned j,
                             const uint8_t share[BC_DKG_SCALAR_LEN],
                             bc_error *err) BC_MUST_CHECK;

/*
 * Public check of a dealer's answer to a complaint: same dealer and accuser,
 * and the revealed share passes bc_dkg_check_share.  BC_ERR_VERIFY naming
 * the dealer if not: the dealer is then left out of QUAL.  The accuser uses
 * a->share as its s_ij.
 */
bc_status bc_dkg_check_answer(const bc_dkg_params *p,
                              const bc_dkg_commitments *c,
                              const bc_dkg_complaint *complaint,
                              const bc_dkg_answer *a,
                              bc_error *err) BC_MUST_CHECK;

/*
 * Trustee j's secret share x_j = sum over i in QUAL of shares[i-1] mod q,
 * checked against X_j before it is returned.  shares: n entries, entry i-1
 * the share from dealer i (s_jj for i == j); entries outside QUAL are not
 * read.  OUT: x (the caller wipes it).
 */
bc_status bc_dkg_combine(const bc_dkg_params *p,
                         const bc_dkg_commitments *const commits[],
                         uint64_t qual, unsigned j,
                         const uint8_t shares[][BC_DKG_SCALAR_LEN],
                         uint8_t x[BC_DKG_SCALAR_LEN],
                         bc_error *err) BC_MUST_CHECK;

/* ---- Public values, computable by anyone from the transcript ---- */

/* Y = sum over i in QUAL of C_i0.  OUT: y. */
bc_status bc_dkg_public_key(const bc_dkg_params *p,
                            const bc_dkg_commitments *const commits[],
                            uint64_t qual, uint8_t y[BC_DKG_POINT_LEN],
                            bc_error *err) BC_MUST_CHECK;
/* X_j = sum over i in QUAL, t < k of C_it * j^t.  OUT: x_pub. */
bc_status bc_dkg_verification_key(const bc_dkg_params *p,
                                  const bc_dkg_commitments *const commits[],
                                  uint64_t qual, unsigned j,
                                  uint8_t x_pub[BC_DKG_POINT_LEN],
                                  bc_error *err) BC_MUST_CHECK;

/* ---- After the close ---- */

/*
 * Checks a released share: x_j below q and x_j*G == X_j.  BC_ERR_VERIFY
 * (BC_ERR_INVALID for a malformed one) naming trustee j otherwise.
 */
bc_status bc_dkg_check_release(const bc_dkg_params *p,
                               const bc_dkg_commitments *const commits[],
                               uint64_t qual, const bc_dkg_release *r,
                               bc_error *err) BC_MUST_CHECK;

/*
 * Rebuilds the election private key from released shares: every release
 * is checked, invalid ones are set aside (their trustees' bits set in
 * *bad when bad is not NULL), the key is interpolated at 0 (Lagrange) from
 * the first k valid ones and checked against Y.
 * BC_ERR_INVALID: an index out of range or given twice (named).
 * BC_ERR_VERIFY: fewer than k valid shares; err says how many there are,
 *   how many are needed, and names the first trustee whose share failed.
 * OUT: sk (the HPKE private key for Y; the caller wipes it), *bad.
 */
bc_status bc_dkg_rebuild(const bc_dkg_params *p,
                         const bc_dkg_commitments *const commits[],
                         uint64_t qual, const bc_dkg_release *releases,
                         size_t count, uint8_t sk[BC_DKG_SCALAR_LEN],
                         uint64_t *bad, bc_error *err) BC_MUST_CHECK;

#endif
