/*
 * test_dkg.c: the joint Feldman DKG (crypto/dkg.h) end to end.
 *
 * Needs no published vectors (there are none for a DKG): the expected
 * values are worked out independently here — the HPKE info and AAD are
 * rebuilt from the layout in docs/crypto-dkg.md with our own SHA-256 calls,
 * the rebuilt key is checked with bc_hpke_public against Y and by opening a
 * ballot sealed to Y, and every k-subset of shares must give the same key.
 */
#include "check.h"
#include "dkg.h"
#include "hpke.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define POLL "poll-2026-test"

struct ceremony {
	bc_dkg_params p;
	unsigned n, k;
	uint8_t sk[BC_DKG_MAX_N][BC_HPKE_SK_LEN];
	uint8_t pk[BC_DKG_MAX_N][BC_HPKE_PK_LEN];
	bc_dkg_dealer *d[BC_DKG_MAX_N];
	bc_dkg_commitments c[BC_DKG_MAX_N];
	const bc_dkg_commitments *cp[BC_DKG_MAX_N];
	/* s[j-1][i-1]: the share trustee j holds from dealer i. */
	uint8_t s[BC_DKG_MAX_N][BC_DKG_MAX_N][BC_DKG_SCALAR_LEN];
	uint64_t qual;
	uint8_t y[BC_DKG_POINT_LEN];
	uint8_t x[BC_DKG_MAX_N][BC_DKG_SCALAR_LEN];
	bc_dkg_release rel[BC_DKG_MAX_N];
};

static int contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static int names(const bc_error *e, const char *who, unsigned i)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s %u", who, i);
	return contains(e->msg, buf);
}

static void sha256(uint8_t out[32], const uint8_t *a, size_t alen,
                   const uint8_t *b, size_t blen, const uint8_t *c,
                   size_t clen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned len = 0;

	CHECK(md != NULL);
	CHECK(EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1);
	CHECK(EVP_DigestUpdate(md, a, alen) == 1);
	CHECK(EVP_DigestUpdate(md, b, blen) == 1);
	CHECK(EVP_DigestUpdate(md, c, clen) == 1);
	CHECK(EVP_DigestFinal_ex(md, out, &len) == 1 && len == 32);
	EVP_MD_CTX_free(md);
}

/* The HPKE info and AAD of share (i -> j), from docs/crypto-dkg.md. */
static size_t doc_info_aad(const struct ceremony *C, const uint8_t *poll,
                           size_t poll_len, const bc_dkg_commitments *c,
                           unsigned i, unsigned j, uint8_t info[64],
                           uint8_t aad[32])
{
	uint8_t pre[1 + 255 + 2], ctx[32], enc[BC_DKG_COMMIT_MAX_LEN];
	const char *dp = "ballot-dkg-v1/poll";
	const char *dc = "ballot-dkg-v1/commitments";
	const char *ds = "ballot-dkg-v1/share";
	size_t o = 0, elen = 3 + 65 * (size_t)C->k;

	pre[o++] = (uint8_t)poll_len;
	memcpy(pre + o, poll, poll_len);
	o += poll_len;
	pre[o++] = (uint8_t)C->n;
	pre[o++] = (uint8_t)C->k;
	sha256(ctx, (const uint8_t *)dp, strlen(dp), pre, o, NULL, 0);
	enc[0] = (uint8_t)c->dealer;
	enc[1] = (uint8_t)C->n;
	enc[2] = (uint8_t)C->k;
	for (unsigned t = 0; t < C->k; t++)
		memcpy(enc + 3 + 65 * t, c->c[t], 65);
	sha256(aad, (const uint8_t *)dc, strlen(dc), ctx, 32, enc, elen);
	o = strlen(ds);
	memcpy(info, ds, o);
	memcpy(info + o, ctx, 32);
	o += 32;
	info[o++] = (uint8_t)i;
	info[o++] = (uint8_t)j;
	return o;
}

static void random_scalar(uint8_t s[32])
{
	CHECK(bc_random(s, 32) == BC_OK);
	s[0] &= 0x7f; /* below q */
}

/*
 * Rounds 1 and 2.  If bad_dealer != 0, that dealer seals a random scalar
 * instead of its share to bad_to; the recipient's complaint is checked and,
 * if answer is set, answered honestly (the dealer stays in QUAL),
 * otherwise the dealer is left out of QUAL.
 */
static void deal(struct ceremony *C, unsigned n, unsigned k,
                 unsigned bad_dealer, unsigned bad_to, int answer)
{
	bc_error err;

	memset(C, 0, sizeof(*C));
	C->n = n;
	C->k = k;
	CHECK(bc_dkg_params_init(&C->p, (const uint8_t *)POLL,
	                         strlen(POLL), n, k) == BC_OK);
	C->qual = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
	for (unsigned i = 0; i < n; i++) {
		uint8_t wire[BC_DKG_COMMIT_MAX_LEN];

		CHECK(bc_hpke_keygen(C->sk[i], C->pk[i]) == BC_OK);
		CHECK(bc_dkg_dealer_new(&C->p, i + 1, &C->d[i]) == BC_OK);
		CHECK(bc_dkg_dealer_commitments(C->d[i], &C->c[i]) == BC_OK);
		/* Through the wire format and back. */
		CHECK(bc_dkg_commitments_encode(&C->p, &C->c[i], wire,
		                                BC_DKG_COMMIT_LEN(k)) == BC_OK);
		memset(&C->c[i], 0xee, sizeof(C->c[i]));
		CHECK(bc_dkg_commitments_decode(&C->p, wire,
		                                BC_DKG_COMMIT_LEN(k), &C->c[i],
		                                &err) == BC_OK);
		CHECK(C->c[i].dealer == i + 1);
		C->cp[i] = &C->c[i];
		CHECK(bc_dkg_dealer_own_share(C->d[i], C->s[i][i]) == BC_OK);
	}
	for (unsigned i = 1; i <= n; i++) {
		for (unsigned j = 1; j <= n; j++) {
			bc_dkg_sealed_share ss;
			bc_dkg_complaint cpl;
			uint8_t wire[BC_DKG_SEALED_LEN];

			if (i == j)
				continue;
			CHECK(bc_dkg_dealer_seal(C->d[i - 1], j, C->pk[j - 1],
			                         &ss) == BC_OK);
			if (i == bad_dealer && j == bad_to) {
				uint8_t info[64], aad[32], bogus[32];
				size_t il;

				il = doc_info_aad(C, (const uint8_t *)POLL,
				                  strlen(POLL), &C->c[i - 1], i,
				                  j, info, aad);
				random_scalar(bogus);
				CHECK(bc_hpke_seal(C->pk[j - 1], info, il, aad,
				                   32, bogus, 32, ss.enc,
				                   ss.ct) == BC_OK);
			}
			CHECK(bc_dkg_sealed_encode(&C->p, &ss, wire) == BC_OK);
			CHECK(wire[0] == i && wire[1] == j);
			CHECK(bc_dkg_sealed_decode(&C->p, wire, &ss, &err) ==
			      BC_OK);
			bc_status st = bc_dkg_open_share(
				&C->p, j, C->sk[j - 1], &C->c[i - 1], &ss,
				C->s[j - 1][i - 1], &cpl, &err);
			if (!(i == bad_dealer && j == bad_to)) {
				bc_dkg_answer a;

				CHECK(st == BC_OK);
				/* The honest share is f_i(j): compare. */
				cpl.accuser = j;
				cpl.dealer = i;
				cpl.reason = BC_DKG_BAD_SHARE;
				CHECK(bc_dkg_dealer_answer(C->d[i - 1], &cpl,
				                           &a) == BC_OK);
				CHECK(memcmp(a.share, C->s[j - 1][i - 1], 32) ==
				      0);
				continue;
			}
			/* The recipient catches the bad dealer. */
			CHECK(st == BC_ERR_VERIFY);
			CHECK(names(&err, "dealer", i));
			CHECK(cpl.accuser == j && cpl.dealer == i &&
			      cpl.reason == BC_DKG_BAD_SHARE);
			uint8_t cw[BC_DKG_COMPLAINT_LEN];
			bc_dkg_complaint cpl2;
			CHECK(bc_dkg_complaint_encode(&C->p, &cpl, cw) ==
			      BC_OK);
			CHECK(cw[0] == j && cw[1] == i && cw[2] == 2);
			CHECK(bc_dkg_complaint_decode(&C->p, cw, &cpl2,
			                              &err) == BC_OK);
			CHECK(cpl2.dealer == i && cpl2.accuser == j);
			if (answer) {
				bc_dkg_answer a, bad;
				uint8_t aw[BC_DKG_ANSWER_LEN];

				CHECK(bc_dkg_dealer_answer(C->d[i - 1], &cpl2,
				                           &a) == BC_OK);
				CHECK(bc_dkg_answer_encode(&C->p, &a, aw) ==
				      BC_OK);
				CHECK(bc_dkg_answer_decode(&C->p, aw, &a,
				                           &err) == BC_OK);
				CHECK(bc_dkg_check_answer(&C->p, &C->c[i - 1],
				                          &cpl2, &a, &err) ==
				      BC_OK);
				/* A forged answer fails, naming the dealer. */
				for (unsigned b = 0; b < 256; b += 7) {
					bad = a;
					bad.share[b / 8] ^= 1u << (b % 8);
					CHECK(bc_dkg_check_answer(
						      &C->p, &C->c[i - 1],
						      &cpl2, &bad, &err) !=
					      BC_OK);
					CHECK(names(&err, "dealer", i));
				}
				memcpy(C->s[j - 1][i - 1], a.share, 32);
			} else {
				/* No answer: left out of QUAL. */
				C->qual &= ~((uint64_t)1 << (i - 1));
				C->cp[i - 1] = NULL;
			}
		}
	}
	CHECK(bc_dkg_public_key(&C->p, C->cp, C->qual, C->y, &err) ==
	      BC_OK);
	for (unsigned j = 1; j <= n; j++) {
		uint8_t X[65], w[BC_DKG_RELEASE_LEN];

		CHECK(bc_dkg_combine(&C->p, C->cp, C->qual, j,
		                     (const uint8_t(*)[32])C->s[j - 1],
		                     C->x[j - 1], &err) == BC_OK);
		CHECK(bc_dkg_verification_key(&C->p, C->cp, C->qual, j, X,
		                              &err) == BC_OK);
		/* X_j = x_j * G, independently through HPKE's public(). */
		uint8_t pub[65];
		CHECK(bc_hpke_public(C->x[j - 1], pub) == BC_OK);
		CHECK(memcmp(pub, X, 65) == 0);
		C->rel[j - 1].trustee = j;
		memcpy(C->rel[j - 1].share, C->x[j - 1], 32);
		CHECK(bc_dkg_release_encode(&C->p, &C->rel[j - 1], w) ==
		      BC_OK);
		CHECK(bc_dkg_release_decode(&C->p, w, &C->rel[j - 1], &err) ==
		      BC_OK);
		CHECK(bc_dkg_check_release(&C->p, C->cp, C->qual,
		                           &C->rel[j - 1], &err) == BC_OK);
	}
}

static void finish(struct ceremony *C)
{
	for (unsigned i = 0; i < C->n; i++)
		bc_dkg_dealer_free(C->d[i]);
	bc_wipe(C, sizeof(*C));
}

/* The rebuilt key opens a ballot sealed to Y with HPKE. */
static void check_ballot(const uint8_t y[65], const uint8_t sk[32])
{
	const uint8_t info[] = "ballot test", aad[] = "entry 7";
	const uint8_t msg[] = "1 3 2 0";
	uint8_t enc[65], ct[sizeof(msg) + 16], pt[sizeof(msg)];

	CHECK(bc_hpke_seal(y, info, sizeof(info), aad, sizeof(aad), msg,
	                   sizeof(msg), enc, ct) == BC_OK);
	CHECK(bc_hpke_open(sk, enc, info, sizeof(info), aad, sizeof(aad), ct,
	                   sizeof(ct), pt) == BC_OK);
	CHECK(memcmp(pt, msg, sizeof(msg)) == 0);
}

/* Every k-subset of the trustees in `among` rebuilds; every (k-1) fails. */
static void check_subsets(struct ceremony *C, uint64_t among)
{
	unsigned n = C->n, k = C->k;
	bc_error err;

	for (uint64_t m = 0; m < ((uint64_t)1 << n); m++) {
		bc_dkg_release set[BC_DKG_MAX_N];
		unsigned cnt = 0, pc = (unsigned)__builtin_popcountll(m);
		uint8_t sk[32], pub[65];
		uint64_t bad = 1;
		char want[64];

		if ((m & ~among) != 0 || (pc != k && pc + 1 != k))
			continue;
		/* In reverse order, to show the order does not matter. */
		for (unsigned j = n; j >= 1; j--)
			if (m >> (j - 1) & 1)
				set[cnt++] = C->rel[j - 1];
		bc_status st = bc_dkg_rebuild(&C->p, C->cp, C->qual, set, cnt,
		                              sk, &bad, &err);
		if (pc == k) {
			CHECK(st == BC_OK);
			CHECK(bad == 0);
			CHECK(bc_hpke_public(sk, pub) == BC_OK);
			CHECK(memcmp(pub, C->y, 65) == 0);
			check_ballot(C->y, sk);
		} else {
			CHECK(st == BC_ERR_VERIFY);
			snprintf(want, sizeof(want),
			         "%u valid shares, %u needed", cnt, k);
			CHECK(contains(err.msg, want));
		}
		bc_wipe(sk, sizeof(sk));
	}
}

static void test_full(unsigned n, unsigned k)
{
	struct ceremony *C = calloc(1, sizeof(*C));

	CHECK(C != NULL);
	deal(C, n, k, 0, 0, 0);
	CHECK(C->qual == ((uint64_t)1 << n) - 1);
	check_subsets(C, C->qual);
	finish(C);
	free(C);
}

/* Dealer 2 sends trustee 4 a bad share. */
static void test_bad_dealer(int answer)
{
	struct ceremony *C = calloc(1, sizeof(*C));
	bc_error err;
	uint8_t y[65];

	CHECK(C != NULL);
	deal(C, 5, 3, 2, 4, answer);
	if (answer) {
		CHECK(C->qual == 0x1f);
	} else {
		CHECK(C->qual == 0x1d);
		/* Y is the sum over QUAL only: not with dealer 2. */
		const bc_dkg_commitments *all[5] = {
			&C->c[0], &C->c[1], &C->c[2], &C->c[3], &C->c[4]
		};
		CHECK(bc_dkg_public_key(&C->p, all, 0x1f, y, &err) == BC_OK);
		CHECK(memcmp(y, C->y, 65) != 0);
		/* QUAL naming a dealer with no commitments is refused. */
		CHECK(bc_dkg_public_key(&C->p, C->cp, 0x1f, y, &err) ==
		      BC_ERR_INVALID);
		CHECK(names(&err, "dealer", 2));
	}
	/* Trustee 2 still holds a share even when not a dealer in QUAL. */
	check_subsets(C, 0x1f);
	finish(C);
	free(C);
}

/* Every single-bit change of a released share is refused, naming whom. */
static void test_release_flips(void)
{
	struct ceremony *C = calloc(1, sizeof(*C));
	bc_error err;

	CHECK(C != NULL);
	deal(C, 5, 3, 0, 0, 0);
	for (unsigned j = 1; j <= 5; j++) {
		uint8_t w[BC_DKG_RELEASE_LEN];

		CHECK(bc_dkg_release_encode(&C->p, &C->rel[j - 1], w) ==
		      BC_OK);
		for (unsigned b = 0; b < 8 * BC_DKG_RELEASE_LEN; b++) {
			bc_dkg_release r;
			bc_status st;

			w[b / 8] ^= 1u << (b % 8);
			err.msg[0] = 0;
			st = bc_dkg_release_decode(&C->p, w, &r, &err);
			if (st == BC_OK)
				st = bc_dkg_check_release(&C->p, C->cp,
				                          C->qual, &r, &err);
			CHECK(st != BC_OK);
			CHECK(names(&err, "trustee", w[0]));
			/* Also straight into the check, bypassing decode. */
			r.trustee = w[0];
			memcpy(r.share, w + 1, 32);
			CHECK(bc_dkg_check_release(&C->p, C->cp, C->qual, &r,
			                           &err) != BC_OK);
			CHECK(names(&err, "trustee", w[0]));
			w[b / 8] ^= 1u << (b % 8);
		}
	}
	/* A flipped share among k others is set aside; among k it fails. */
	{
		bc_dkg_release set[4];
		uint8_t sk[32], pub[65];
		uint64_t bad = 0;

		memcpy(set, C->rel, sizeof(set));
		set[1].share[31] ^= 1;
		CHECK(bc_dkg_rebuild(&C->p, C->cp, C->qual, set, 4, sk, &bad,
		                     &err) == BC_OK);
		CHECK(bad == 0x2);
		CHECK(bc_hpke_public(sk, pub) == BC_OK);
		CHECK(memcmp(pub, C->y, 65) == 0);
		CHECK(bc_dkg_rebuild(&C->p, C->cp, C->qual, set, 3, sk, &bad,
		                     &err) == BC_ERR_VERIFY);
		CHECK(contains(err.msg, "2 valid shares, 3 needed"));
		CHECK(names(&err, "trustee", 2));
		/* Duplicates and strangers are refused outright. */
		set[1] = set[0];
		CHECK(bc_dkg_rebuild(&C->p, C->cp, C->qual, set, 4, sk, &bad,
		                     &err) == BC_ERR_INVALID);
		CHECK(contains(err.msg, "trustee 1's share is given twice"));
		set[1].trustee = 6;
		CHECK(bc_dkg_rebuild(&C->p, C->cp, C->qual, set, 4, sk, &bad,
		                     &err) == BC_ERR_INVALID);
		CHECK(names(&err, "trustee", 6));
		bc_wipe(sk, sizeof(sk));
	}
	finish(C);
	free(C);
}

/* Every single-bit change of a dealer's commitments breaks its shares. */
static void test_commitment_flips(void)
{
	struct ceremony *C = calloc(1, sizeof(*C));
	uint8_t w[BC_DKG_COMMIT_MAX_LEN];
	size_t len = BC_DKG_COMMIT_LEN(2);
	bc_dkg_sealed_share ss[2];
	bc_error err;

	CHECK(C != NULL);
	deal(C, 3, 2, 0, 0, 0);
	CHECK(bc_dkg_commitments_encode(&C->p, &C->c[0], w, len) == BC_OK);
	CHECK(w[0] == 1 && w[1] == 3 && w[2] == 2 && w[3] == 0x04);
	for (unsigned j = 2; j <= 3; j++)
		CHECK(bc_dkg_dealer_seal(C->d[0], j, C->pk[j - 1],
		                         &ss[j - 2]) == BC_OK);
	for (size_t b = 0; b < 8 * len; b++) {
		bc_dkg_commitments c;
		uint8_t share[32];
		bc_dkg_complaint cpl;

		w[b / 8] ^= 1u << (b % 8);
		/* Bypassing decode: the raw point bytes as commitments. */
		memset(&c, 0, sizeof(c));
		c.dealer = 1;
		memcpy(c.c[0], w + 3, 65);
		memcpy(c.c[1], w + 68, 65);
		if (b >= 24) {
			for (unsigned j = 1; j <= 3; j++)
				CHECK(bc_dkg_check_share(&C->p, &c, j,
				                         C->s[j - 1][0],
				                         &err) != BC_OK);
		}
		/*
		 * Through the wire: the header (dealer, n, k) is caught by
		 * decode or by the AAD; a point by decode or the check.
		 */
		if (bc_dkg_commitments_decode(&C->p, w, len, &c, &err) ==
		    BC_OK) {
			for (unsigned j = 2; j <= 3; j++) {
				bc_dkg_sealed_share s2 = ss[j - 2];

				s2.dealer = c.dealer;
				if (c.dealer == j)
					continue;
				CHECK(bc_dkg_open_share(&C->p, j, C->sk[j - 1],
				                        &c, &s2, share, &cpl,
				                        &err) == BC_ERR_VERIFY);
				CHECK(names(&err, "dealer", c.dealer));
			}
		}
		w[b / 8] ^= 1u << (b % 8);
	}
	/* A valid point in the wrong place: the check names the dealer. */
	{
		bc_dkg_commitments c = C->c[0];

		memcpy(c.c[1], C->c[1].c[1], 65);
		for (unsigned j = 1; j <= 3; j++) {
			CHECK(bc_dkg_check_share(&C->p, &c, j, C->s[j - 1][0],
			                         &err) == BC_ERR_VERIFY);
			CHECK(names(&err, "dealer", 1));
		}
	}
	finish(C);
	free(C);
}

/*
 * Sealed shares: only the named recipient opens them, under the dealer's
 * own commitments and this poll; every bit flip is a complaint.
 */
static void test_sealing(void)
{
	struct ceremony *C = calloc(1, sizeof(*C));
	bc_dkg_sealed_share ss, s2;
	bc_dkg_complaint cpl;
	bc_dkg_dealer *other = NULL;
	bc_dkg_commitments oc;
	uint8_t share[32], w[BC_DKG_SEALED_LEN], info[64], aad[32];
	bc_error err;
	size_t il;

	CHECK(C != NULL);
	deal(C, 4, 2, 0, 0, 0);
	CHECK(bc_dkg_dealer_seal(C->d[0], 2, C->pk[1], &ss) == BC_OK);
	CHECK(bc_dkg_open_share(&C->p, 2, C->sk[1], &C->c[0], &ss, share,
	                        &cpl, &err) == BC_OK);
	CHECK(memcmp(share, C->s[1][0], 32) == 0);
	/* Our own info/aad layout opens it too: the doc is right. */
	il = doc_info_aad(C, (const uint8_t *)POLL, strlen(POLL), &C->c[0], 1,
	                  2, info, aad);
	CHECK(il == 53);
	CHECK(bc_hpke_open(C->sk[1], ss.enc, info, il, aad, 32, ss.ct, 48,
	                   share) == BC_OK);
	CHECK(memcmp(share, C->s[1][0], 32) == 0);
	/* Trustees 3 and 4 cannot open a share sealed to trustee 2. */
	for (unsigned m = 3; m <= 4; m++) {
		CHECK(bc_hpke_open(C->sk[m - 1], ss.enc, info, il, aad, 32,
		                   ss.ct, 48, share) != BC_OK);
		s2 = ss;
		s2.recipient = m;
		CHECK(bc_dkg_open_share(&C->p, m, C->sk[m - 1], &C->c[0], &s2,
		                        share, &cpl, &err) == BC_ERR_VERIFY);
		CHECK(cpl.reason == BC_DKG_BAD_SEAL && cpl.dealer == 1);
		/* Misrouted (recipient 2) is not a complaint. */
		CHECK(bc_dkg_open_share(&C->p, m, C->sk[m - 1], &C->c[0], &ss,
		                        share, &cpl, &err) == BC_ERR_INVALID);
	}
	/* Relabelled as to trustee 2 from dealer 3: aad and info differ. */
	s2 = ss;
	s2.dealer = 3;
	CHECK(bc_dkg_open_share(&C->p, 2, C->sk[1], &C->c[2], &s2, share,
	                        &cpl, &err) == BC_ERR_VERIFY);
	CHECK(cpl.dealer == 3 && names(&err, "dealer", 3));
	/* Replayed under other commitments of the same dealer index. */
	CHECK(bc_dkg_dealer_new(&C->p, 1, &other) == BC_OK);
	CHECK(bc_dkg_dealer_commitments(other, &oc) == BC_OK);
	CHECK(bc_dkg_open_share(&C->p, 2, C->sk[1], &oc, &ss, share, &cpl,
	                        &err) == BC_ERR_VERIFY);
	CHECK(cpl.reason == BC_DKG_BAD_SEAL);
	bc_dkg_dealer_free(other);
	/* Under another poll id. */
	{
		bc_dkg_params q;

		CHECK(bc_dkg_params_init(&q, (const uint8_t *)"poll-other",
		                         10, 4, 2) == BC_OK);
		CHECK(memcmp(q.ctx, C->p.ctx, 32) != 0);
		CHECK(bc_dkg_open_share(&q, 2, C->sk[1], &C->c[0], &ss, share,
		                        &cpl, &err) == BC_ERR_VERIFY);
	}
	/* Every single-bit flip of the wire form. */
	CHECK(bc_dkg_sealed_encode(&C->p, &ss, w) == BC_OK);
	for (unsigned b = 0; b < 8 * BC_DKG_SEALED_LEN; b++) {
		bc_status st;

		w[b / 8] ^= 1u << (b % 8);
		st = bc_dkg_sealed_decode(&C->p, w, &s2, &err);
		if (st == BC_OK) {
			unsigned i = s2.dealer, j = s2.recipient;

			st = bc_dkg_open_share(&C->p, j, C->sk[j - 1],
			                       &C->c[i - 1], &s2, share, &cpl,
			                       &err);
			CHECK(st == BC_ERR_VERIFY);
			CHECK(cpl.reason == BC_DKG_BAD_SEAL &&
			      cpl.dealer == i && cpl.accuser == j);
			CHECK(names(&err, "dealer", i));
		}
		CHECK(st != BC_OK);
		w[b / 8] ^= 1u << (b % 8);
	}
	bc_wipe(share, sizeof(share));
	finish(C);
	free(C);
}

static void test_encodings(void)
{
	bc_dkg_params p;
	bc_dkg_complaint c;
	bc_dkg_answer a;
	bc_dkg_release r;
	bc_error err;
	uint8_t w[40];
	uint8_t big[300] = { 0 };

	CHECK(bc_dkg_params_init(&p, (const uint8_t *)"x", 1, 0, 0) ==
	      BC_ERR_RANGE);
	CHECK(bc_dkg_params_init(&p, (const uint8_t *)"x", 1, 3, 4) ==
	      BC_ERR_RANGE);
	CHECK(bc_dkg_params_init(&p, (const uint8_t *)"x", 1, 65, 2) ==
	      BC_ERR_RANGE);
	CHECK(bc_dkg_params_init(&p, big, 256, 3, 2) == BC_ERR_RANGE);
	CHECK(bc_dkg_params_init(&p, big, 0, 3, 2) == BC_ERR_RANGE);
	CHECK(bc_dkg_params_init(&p, big, 255, 64, 64) == BC_OK);
	CHECK(bc_dkg_params_init(&p, (const uint8_t *)"x", 1, 3, 2) == BC_OK);
	CHECK(BC_DKG_SEALED_LEN == 115 && BC_DKG_COMMIT_LEN(2) == 133);
	/* Complaints: unknown reason, self-accusation, out of range. */
	w[0] = 1, w[1] = 2, w[2] = 3;
	CHECK(bc_dkg_complaint_decode(&p, w, &c, &err) == BC_ERR_INVALID);
	w[2] = 1, w[1] = 1;
	CHECK(bc_dkg_complaint_decode(&p, w, &c, &err) == BC_ERR_INVALID);
	w[1] = 4;
	CHECK(bc_dkg_complaint_decode(&p, w, &c, &err) == BC_ERR_INVALID);
	/* Scalars at and above q are refused; q - 1 is taken. */
	static const uint8_t q[32] = {
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
		0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
	};
	w[0] = 2;
	memcpy(w + 1, q, 32);
	CHECK(bc_dkg_release_decode(&p, w, &r, &err) == BC_ERR_INVALID);
	CHECK(names(&err, "trustee", 2));
	w[32] = 0x50;
	CHECK(bc_dkg_release_decode(&p, w, &r, &err) == BC_OK);
	w[32] = 0x52;
	CHECK(bc_dkg_release_decode(&p, w, &r, &err) == BC_ERR_INVALID);
	w[0] = 1, w[1] = 3;
	memcpy(w + 2, q, 32);
	CHECK(bc_dkg_answer_decode(&p, w, &a, &err) == BC_ERR_INVALID);
	CHECK(names(&err, "dealer", 1));
	/* Commitments of the wrong size or for other parameters. */
	{
		bc_dkg_commitments cm;
		uint8_t cw[BC_DKG_COMMIT_MAX_LEN] = { 1, 3, 2 };

		CHECK(bc_dkg_commitments_decode(&p, cw, 132, &cm, &err) ==
		      BC_ERR_INVALID);
		cw[2] = 3;
		CHECK(bc_dkg_commitments_decode(&p, cw, 133, &cm, &err) ==
		      BC_ERR_INVALID);
		cw[2] = 2;
		/* Not points (all zero after the header). */
		CHECK(bc_dkg_commitments_decode(&p, cw, 133, &cm, &err) ==
		      BC_ERR_INVALID);
		CHECK(names(&err, "dealer", 1));
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv; /* no published vectors for a DKG */
	test_encodings();
	test_full(1, 1);
	test_full(3, 2);
	test_full(5, 3);
	test_full(7, 4);
	test_full(4, 4);
	test_bad_dealer(0);
	test_bad_dealer(1);
	test_release_flips();
	test_commitment_flips();
	test_sealing();
	CHECK_DONE();
}
