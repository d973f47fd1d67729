/*
 * test_bytes.c: the byte records of protocol.md section 2.  Expected
 * bytes are written out by hand from the spec (label hex from
 * `printf LABEL | xxd -p`); the SHA-256 values were computed with
 * sha256sum or python3 hashlib, the command in a comment beside each.
 */
#include "check.h"
#include "proto.h"
#include "sign.h"

#include <stdlib.h>
#include <string.h>

#define H11 "1111111111111111111111111111111111111111111111111111111111111111"
#define HAA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HBB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HCC "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define L32 "00000020" /* lp length of a 32-byte hash */

static char *hex(const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	char *s = malloc(2 * n + 1);

	for (size_t i = 0; i < n; i++) {
		s[2 * i] = d[p[i] >> 4];
		s[2 * i + 1] = d[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

static void check_buf(proto_buf *b, const char *want, int line)
{
	char *h;

	if (b->failed) {
		fprintf(stderr, "line %d: buffer failed\n", line);
		check_failures++;
		return;
	}
	h = hex(b->p, b->len);
	if (strcmp(h, want) != 0) {
		fprintf(stderr, "line %d:\n got  %s\n want %s\n", line, h,
		        want);
		check_failures++;
	}
	free(h);
	proto_buf_free(b);
}

static void check_hash(const uint8_t h[32], const char *want, int line)
{
	char *s = hex(h, 32);

	if (strcmp(s, want) != 0) {
		fprintf(stderr, "line %d: got %s want %s\n", line, s, want);
		check_failures++;
	}
	free(s);
}

/*
 * cast_sig with the key of RFC 8032 7.1 TEST 1 (secret 9d61b19d...,
 * public d75a9801...) as the token's msg: the signature proto makes
 * verifies with bc_ed25519_verify over the bytes written out by hand,
 * and proto_cast_verify refuses any change.
 */
static void cast_sig(void)
{
	static const uint8_t sk[32] = {
	    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
	    0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
	    0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
	static const uint8_t pk[32] = {
	    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
	    0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
	    0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
	uint8_t haa[32], token[64], ballot[3] = {1, 2, 3}, sig[64], msg[200];
	size_t n = 0;

	memset(haa, 0xaa, 32);
	memset(token, 0x11, 32); /* the random prefix */
	memcpy(token + 32, pk, 32);
	/* lp("ballot-cast/v1") lp(poll_hash) lp("a*1") lp(token) lp(ballot) */
	memcpy(msg + n,
	       "\0\0\0\x0e"
	       "ballot-cast/v1",
	       18),
	    n += 18;
	memcpy(msg + n, "\0\0\0\x20", 4), n += 4;
	memcpy(msg + n, haa, 32), n += 32;
	memcpy(msg + n,
	       "\0\0\0\x03"
	       "a*1",
	       7),
	    n += 7;
	memcpy(msg + n, "\0\0\0\x40", 4), n += 4;
	memcpy(msg + n, token, 64), n += 64;
	memcpy(msg + n, "\0\0\0\x03", 4), n += 4;
	memcpy(msg + n, ballot, 3), n += 3;

	CHECK(proto_cast_sign(sk, haa, "a*1", token, 64, ballot, 3, sig) ==
	      PROTO_OK);
	CHECK(bc_ed25519_verify(pk, msg, n, sig) == BC_OK);
	CHECK(proto_cast_verify(haa, "a*1", token, 64, ballot, 3, sig, 64) ==
	      PROTO_OK);
	/* Another class, ballot, prefix, key or poll: refused. */
	CHECK(proto_cast_verify(haa, "b*1", token, 64, ballot, 3, sig, 64) ==
	      PROTO_ERR_VALUE);
	ballot[2] ^= 1;
	CHECK(proto_cast_verify(haa, "a*1", token, 64, ballot, 3, sig, 64) ==
	      PROTO_ERR_VALUE);
	ballot[2] ^= 1;
	token[0] ^= 1;
	CHECK(proto_cast_verify(haa, "a*1", token, 64, ballot, 3, sig, 64) ==
	      PROTO_ERR_VALUE);
	token[0] ^= 1;
	token[63] ^= 1;
	CHECK(proto_cast_verify(haa, "a*1", token, 64, ballot, 3, sig, 64) ==
	      PROTO_ERR_VALUE);
	token[63] ^= 1;
	haa[0] = 0;
	CHECK(proto_cast_verify(haa, "a*1", token, 64, ballot, 3, sig, 64) ==
	      PROTO_ERR_VALUE);
	haa[0] = 0xaa;
	/* Wrong sizes. */
	CHECK(proto_cast_verify(haa, "a*1", token, 63, ballot, 3, sig, 64) ==
	      PROTO_ERR_VALUE);
	CHECK(proto_cast_verify(haa, "a*1", token, 64, ballot, 3, sig, 63) ==
	      PROTO_ERR_VALUE);
	CHECK(proto_cast_sign(sk, haa, "a*1", token, 32, ballot, 3, sig) ==
	      PROTO_ERR_VALUE);
}

int main(void)
{
	uint8_t h11[32], haa[32], hbb[32], hcc[32], s22[16], p33[64];
	uint8_t out[32], h0[32];
	char tracker[12];
	proto_buf b = {0};

	memset(h11, 0x11, 32);
	memset(haa, 0xaa, 32);
	memset(hbb, 0xbb, 32);
	memset(hcc, 0xcc, 32);
	memset(s22, 0x22, 16);
	memset(p33, 0x33, 64);

	/* The primitives. */
	proto_buf_lp(&b, "abc", 3);
	check_buf(&b, "00000003616263", __LINE__);
	proto_buf_u64(&b, 0x0102030405060708ULL);
	check_buf(&b, "0102030405060708", __LINE__);
	proto_buf_lp_u64(&b, 5);
	check_buf(&b,
	          "00000008"
	          "0000000000000005",
	          __LINE__);
	proto_buf_lp(&b, "", 0);
	check_buf(&b, "00000000", __LINE__);

	/* printf '\x00\x00\x00\x0eballot-poll/v1\x00\x00\x00\x02{}' |
	 *   sha256sum */
	CHECK(proto_poll_hash("{}", 2, out) == PROTO_OK);
	check_hash(
	    out,
	    "981927a24cb59f34cfcfec54169db03379238d68c9090ed8cc1d78242daf6d68",
	    __LINE__);

	/* python3: sha256(lp(b'ballot-credential/v1') + lp(b'\x11'*32)
	 *   + lp(b'v1') + lp(b'\x22'*16)) */
	CHECK(proto_credential_hash(h11, "v1", s22, out) == PROTO_OK);
	check_hash(
	    out,
	    "41eceb71003a7a0c0460d96fc2713a2437a083a685e9e5f46ab2a38857c6dbf3",
	    __LINE__);
	/* python3: sha256(lp(b'ballot-pseudonym/v1') + lp(b'\x11'*32)
	 *   + lp(b'\x22'*16)) */
	CHECK(proto_pseudonym(h11, s22, out) == PROTO_OK);
	check_hash(
	    out,
	    "7b77b7c6bb8197e1a263202b42079c9bf95f55ca4944818fb1bdc9feb04224a6",
	    __LINE__);
	/* python3: sha256(lp(b'ballot-token/v1') + lp(b'committee*1')
	 *   + lp(b'\x33'*64)) */
	CHECK(proto_token_id("committee*1", p33, 64, out) == PROTO_OK);
	check_hash(
	    out,
	    "a1681912a01a5beedadaa2f33add383e1fe0fbeb2a25a66054c744bf926e5c62",
	    __LINE__);

	/* info = lp("ballot-seal/v1") || lp(poll_hash) || lp("a*1") */
	proto_seal_info(&b, haa, "a*1");
	check_buf(&b,
	          "0000000e"
	          "62616c6c6f742d7365616c2f7631" L32 HAA "00000003"
	          "612a31",
	          __LINE__);

	/* entry with token "T", sig "SS", ballot "", cast_sig "CC" */
	proto_board_entry(&b, haa, "a*1", (const uint8_t *)"T", 1,
	                  (const uint8_t *)"SS", 2, NULL, 0,
	                  (const uint8_t *)"CC", 2);
	check_buf(&b,
	          "0000000f"
	          "62616c6c6f742d656e7472792f7632" L32 HAA "00000003"
	          "612a31"
	          "00000001"
	          "54"
	          "00000002"
	          "5353"
	          "00000000"
	          "00000002"
	          "4343",
	          __LINE__);

	/* the cast-signing bytes, token "T", ballot "B" */
	proto_cast_bytes(&b, haa, "a*1", (const uint8_t *)"T", 1,
	                 (const uint8_t *)"B", 1);
	check_buf(&b,
	          "0000000e"
	          "62616c6c6f742d636173742f7631" L32 HAA "00000003"
	          "612a31"
	          "00000001"
	          "54"
	          "00000001"
	          "42",
	          __LINE__);
	cast_sig();

	/* receipt: leaf 41 (0x29), tree size 1204 (0x4b4) */
	proto_receipt_bytes(&b, haa, 41, hbb, 1204, hcc);
	check_buf(&b,
	          "00000011"
	          "62616c6c6f742d726563656970742f7631" L32 HAA "00000008"
	          "0000000000000029" L32 HBB "00000008"
	          "00000000000004b4" L32 HCC,
	          __LINE__);

	/* state record 0: kind "created", time 1796000000000 ms
	 * (0x1a229f12800), details "{}", prev 32 zero bytes */
	proto_state_record(&b, h11, 0, "created", 1796000000000ULL, "{}", 2,
	                   NULL);
	check_buf(
	    &b,
	    "0000000f"
	    "62616c6c6f742d73746174652f7631" L32 H11 "00000008"
	    "0000000000000000"
	    "00000007"
	    "63726561746564"
	    "00000008"
	    "000001a229f12800"
	    "00000002"
	    "7b7d" L32
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    __LINE__);
	/* python3: h0 = sha256(lp(b'ballot-state/v1') + lp(b'\x11'*32)
	 *   + lp(u64(0)) + lp(b'created') + lp(u64(1796000000000))
	 *   + lp(b'{}') + lp(b'\0'*32)); h1 the same with n = 1, "open",
	 *   1796000000001, '{"a":1}', prev = h0 */
	CHECK(proto_state_hash(h11, 0, "created", 1796000000000ULL, "{}", 2,
	                       NULL, h0) == PROTO_OK);
	check_hash(
	    h0,
	    "51e7efb331efa54181d2ef3a56dd6b7e71ead7a0b668c9ccc5ea2b0548c169c6",
	    __LINE__);
	CHECK(proto_state_hash(h11, 1, "open", 1796000000001ULL, "{\"a\":1}", 7,
	                       h0, out) == PROTO_OK);
	check_hash(
	    out,
	    "8fc7c8a2315f283da1092750ad63629d0ca14c0000ce9b457c89e76dc0ae83ef",
	    __LINE__);
	/* A different previous hash gives a different chain. */
	CHECK(proto_state_hash(h11, 1, "open", 1796000000001ULL, "{\"a\":1}", 7,
	                       haa, h0) == PROTO_OK);
	CHECK(memcmp(h0, out, 32) != 0);

	/* ceremony: "done" from 1 to 0, body "xy" */
	proto_ceremony_bytes(&b, haa, "done", 1, 0, (const uint8_t *)"xy", 2);
	check_buf(&b,
	          "00000012"
	          "62616c6c6f742d636572656d6f6e792f7631" L32 HAA "00000004"
	          "646f6e65"
	          "00000008"
	          "0000000000000001"
	          "00000008"
	          "0000000000000000"
	          "00000002"
	          "7879",
	          __LINE__);

	/* Records append: two fields in a row. */
	proto_buf_lp_str(&b, "a");
	proto_buf_lp_str(&b, "bc");
	check_buf(&b,
	          "0000000161"
	          "000000026263",
	          __LINE__);

	{
		uint8_t lh[32] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab};

		proto_tracker(lh, tracker);
		CHECK_STR(tracker, "01234-56789");
	}
	CHECK_DONE();
}
