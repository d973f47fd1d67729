/*
 * test_encode.c: base64url, base64 and hex against RFC 4648 section 10,
 * every kind of malformed input refused, random round trips, and JWKs
 * against published examples (RFC 7517 A.1 EC key, RFC 8037 A.2).
 */
#include "check.h"
#include "encode.h"

#include <stdlib.h>

static const struct {
	const char *in, *b64, *b64url, *hex;
} rfc4648[] = {
    /* Section 10; base64url is the same with '=' removed, hex lowercased. */
    {"", "", "", ""},
    {"f", "Zg==", "Zg", "66"},
    {"fo", "Zm8=", "Zm8", "666f"},
    {"foo", "Zm9v", "Zm9v", "666f6f"},
    {"foob", "Zm9vYg==", "Zm9vYg", "666f6f62"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE", "666f6f6261"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy", "666f6f626172"},
};

typedef bc_status (*enc_fn)(const uint8_t *, size_t, char *, size_t, size_t *);
typedef bc_status (*dec_fn)(const char *, size_t, uint8_t *, size_t, size_t *);

static void expect_enc(enc_fn f, const uint8_t *in, size_t n, const char *want)
{
	char out[256];
	size_t len = 999;

	CHECK(f(in, n, out, sizeof out, &len) == BC_OK);
	CHECK_STR(out, want);
	CHECK(len == strlen(want));
	/* One byte short of room (the NUL): refused, size reported. */
	len = 0;
	CHECK(f(in, n, out, strlen(want), &len) == BC_ERR_RANGE);
	CHECK(len == strlen(want));
}

static void expect_dec(dec_fn f, const char *in, const uint8_t *want, size_t n)
{
	uint8_t out[256];
	size_t len = 999;

	CHECK(f(in, strlen(in), out, sizeof out, &len) == BC_OK);
	CHECK(len == n && memcmp(out, want, n) == 0);
	if (n > 0)
		CHECK(f(in, strlen(in), out, n - 1, &len) == BC_ERR_RANGE);
}

static void bad(dec_fn f, const char *in)
{
	uint8_t out[256];
	size_t len;

	if (f(in, strlen(in), out, sizeof out, &len) != BC_ERR_INVALID) {
		fprintf(stderr, "accepted \"%s\"\n", in);
		check_failures++;
	}
}

static void test_rfc4648(void)
{
	for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
		const uint8_t *in = (const uint8_t *)rfc4648[i].in;
		size_t n = strlen(rfc4648[i].in);

		expect_enc(bc_b64_encode, in, n, rfc4648[i].b64);
		expect_enc(bc_b64url_encode, in, n, rfc4648[i].b64url);
		expect_enc(bc_hex_encode, in, n, rfc4648[i].hex);
		expect_dec(bc_b64_decode, rfc4648[i].b64, in, n);
		expect_dec(bc_b64url_decode, rfc4648[i].b64url, in, n);
		expect_dec(bc_hex_decode, rfc4648[i].hex, in, n);
		CHECK(BC_B64URL_LEN(n) == strlen(rfc4648[i].b64url));
		CHECK(BC_B64_LEN(n) == strlen(rfc4648[i].b64));
	}
	/* The two alphabets differ in values 62 and 63 (RFC 4648 5). */
	{
		static const uint8_t a[] = {0xfb, 0xff},
		                     b[] = {0xfb, 0xef, 0xbe},
		                     c[] = {0xff, 0xff, 0xff};

		expect_enc(bc_b64url_encode, a, 2, "-_8");
		expect_enc(bc_b64_encode, a, 2, "+/8=");
		expect_enc(bc_b64url_encode, b, 3, "----");
		expect_enc(bc_b64_encode, b, 3, "++++");
		expect_enc(bc_b64url_encode, c, 3, "____");
		expect_enc(bc_b64_encode, c, 3, "////");
		expect_dec(bc_b64url_decode, "-_8", a, 2);
		expect_dec(bc_b64_decode, "+/8=", a, 2);
		expect_enc(bc_hex_encode, c, 3, "ffffff");
		expect_dec(bc_hex_decode, "fbefbe", b, 3);
	}
}

static void test_invalid(void)
{
	static const char *url_bad[] = {
	    "Zg==",
	    "Zg=",
	    "Zm8=",
	    "=",
	    "Z",
	    "Zm9vY",
	    " Zm9v",
	    "Zm9v ",
	    "Zm9v\n",
	    "Zm\n9v",
	    "Zm9v\r",
	    "Zm\t9v",
	    "Zm+v",
	    "Zm/v",
	    "+/8",
	    /* non-canonical: unused trailing bits set */
	    "Zh",
	    "Zm9",
	    "-_9",
	    "Zm9vYh",
	    "Zm9vYmF",
	};
	static const char *std_bad[] = {
	    "Zg",   "Zg=",   "Zg===",    "Z===",   "Zm9v=",  "=Zm9",
	    "Zg=A", "Zm8",   "Zm9v====", "====",   "Zh==",   "Zm9=",
	    "-_8=", "Zm9v ", " Zm9v",    "Zm9v\n", "Zm9\nv", "Zm 9v",
	};
	static const char *hex_bad[] = {
	    "0",    "abc", "AB",  "aB",  "Ab",   "0g", "g0",
	    "0x12", " 12", "12 ", "1 2", "12\n", "-1",
	};
	char buf[5];

	for (size_t i = 0; i < sizeof url_bad / sizeof url_bad[0]; i++)
		bad(bc_b64url_decode, url_bad[i]);
	for (size_t i = 0; i < sizeof std_bad / sizeof std_bad[0]; i++)
		bad(bc_b64_decode, std_bad[i]);
	for (size_t i = 0; i < sizeof hex_bad / sizeof hex_bad[0]; i++)
		bad(bc_hex_decode, hex_bad[i]);

	/* Every byte value in every position: accepted iff in the alphabet. */
	for (int c = 0; c < 256; c++) {
		int url_ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		             (c >= '0' && c <= '9') || c == '-' || c == '_';
		int std_ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		             (c >= '0' && c <= '9') || c == '+' || c == '/';
		int hex_ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
		uint8_t out[4];
		size_t len;

		for (int pos = 0; pos < 4; pos++) {
			memcpy(buf, "AAAA", 4);
			buf[pos] = (char)c;
			CHECK((bc_b64url_decode(buf, 4, out, sizeof out,
			                        &len) == BC_OK) == url_ok);
			CHECK((bc_b64_decode(buf, 4, out, sizeof out, &len) ==
			       BC_OK) == (std_ok || (c == '=' && pos == 3)));
		}
		for (int pos = 0; pos < 2; pos++) {
			memcpy(buf, "00", 2);
			buf[pos] = (char)c;
			CHECK((bc_hex_decode(buf, 2, out, sizeof out, &len) ==
			       BC_OK) == hex_ok);
		}
	}
	/* Every trailing-bit pattern of a short last group. */
	for (int v = 0; v < 64; v++) {
		static const char al[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_";
		uint8_t out[4];
		size_t len;

		buf[0] = 'A';
		buf[1] = al[v];
		CHECK((bc_b64url_decode(buf, 2, out, sizeof out, &len) ==
		       BC_OK) == ((v & 15) == 0));
		buf[2] = al[v];
		CHECK((bc_b64url_decode(buf, 3, out, sizeof out, &len) ==
		       BC_OK) == ((v & 3) == 0));
	}
}

static void test_round_trips(void)
{
	uint8_t in[100], out[100];
	char text[256];
	size_t len, olen;

	for (unsigned k = 0; k < 2000; k++) {
		size_t n = k % 101;

		CHECK(bc_random(in, n) == BC_OK);
		CHECK(bc_b64url_encode(in, n, text, sizeof text, &len) ==
		      BC_OK);
		CHECK(len == BC_B64URL_LEN(n) && strlen(text) == len);
		CHECK(strchr(text, '=') == NULL);
		CHECK(bc_b64url_decode(text, len, out, n, &olen) == BC_OK);
		CHECK(olen == n && memcmp(in, out, n) == 0);
		CHECK(bc_b64_encode(in, n, text, sizeof text, &len) == BC_OK);
		CHECK(len == BC_B64_LEN(n) && len % 4 == 0);
		CHECK(bc_b64_decode(text, len, out, n, &olen) == BC_OK);
		CHECK(olen == n && memcmp(in, out, n) == 0);
		CHECK(bc_hex_encode(in, n, text, sizeof text, &len) == BC_OK);
		CHECK(len == 2 * n);
		CHECK(bc_hex_decode(text, len, out, n, &olen) == BC_OK);
		CHECK(olen == n && memcmp(in, out, n) == 0);
	}
}

static void test_jwk(void)
{
	/* RFC 7517 Appendix A.1, the EC public key's published coordinates. */
	static const char *x = "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4";
	static const char *y = "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM";
	/* RFC 8037 A.2: the public key of RFC 8032 TEST 1 as a JWK. */
	static const char *ed_jwk =
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
	static const uint8_t ed_pk[32] = {
	    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
	    0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
	    0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
	uint8_t pt[65];
	char want[256], out[256];
	size_t len, n;

	pt[0] = 0x04;
	CHECK(bc_b64url_decode(x, strlen(x), pt + 1, 32, &n) == BC_OK &&
	      n == 32);
	CHECK(bc_b64url_decode(y, strlen(y), pt + 33, 32, &n) == BC_OK &&
	      n == 32);
	snprintf(want, sizeof want,
	         "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}",
	         x, y);
	CHECK(bc_jwk_ec_p256(pt, out, sizeof out, &len) == BC_OK);
	CHECK_STR(out, want);
	CHECK(len == strlen(want) && len == BC_JWK_EC_P256_LEN);
	CHECK(bc_jwk_ec_p256(pt, out, len, &n) == BC_ERR_RANGE && n == len);
	/* Off the curve, or not uncompressed: refused. */
	for (unsigned b = 0; b < 8 * 65; b += 7) {
		pt[b / 8] ^= (uint8_t)(1u << (b % 8));
		CHECK(bc_jwk_ec_p256(pt, out, sizeof out, &len) ==
		      BC_ERR_INVALID);
		pt[b / 8] ^= (uint8_t)(1u << (b % 8));
	}

	CHECK(bc_jwk_ed25519(ed_pk, out, sizeof out, &len) == BC_OK);
	CHECK_STR(out, ed_jwk);
	CHECK(len == BC_JWK_ED25519_LEN);

	/* RSA: minimal big-endian integers, worked by hand (65537 = AQAB). */
	{
		static const uint8_t n1[] = {0x00, 0x00, 0xff, 0xff};
		static const uint8_t e1[] = {0x00, 0x01, 0x00, 0x01};
		static const uint8_t z[] = {0x00, 0x00}, even[] = {0x02};

		CHECK(bc_jwk_rsa(n1, sizeof n1, e1, sizeof e1, NULL, 0, &len) ==
		      BC_ERR_RANGE);
		CHECK(len == strlen("{\"kty\":\"RSA\",\"n\":\"__8\",\"e\":"
		                    "\"AQAB\"}"));
		CHECK(bc_jwk_rsa(n1, sizeof n1, e1, sizeof e1, out, sizeof out,
		                 &len) == BC_OK);
		CHECK_STR(out,
		          "{\"kty\":\"RSA\",\"n\":\"__8\",\"e\":\"AQAB\"}");
		CHECK(bc_jwk_rsa(z, sizeof z, e1, sizeof e1, out, sizeof out,
		                 &len) == BC_ERR_INVALID);
		CHECK(bc_jwk_rsa(n1, sizeof n1, z, sizeof z, out, sizeof out,
		                 &len) == BC_ERR_INVALID);
		CHECK(bc_jwk_rsa(n1, sizeof n1, even, 1, out, sizeof out,
		                 &len) == BC_ERR_INVALID);
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_rfc4648();
	test_invalid();
	test_round_trips();
	test_jwk();
	CHECK_DONE();
}
