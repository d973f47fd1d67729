/*
 * encode.c: base64url, base64 and hex (RFC 4648), strict both ways, and
 * JWK public keys (RFC 7517, 7518, 8037) written as text by hand.
 *
 * The character mappings are branch-free arithmetic rather than table
 * look-ups, because these functions also carry private keys (PEM bodies,
 * hex seeds) and a table indexed by secret bytes leaks through the cache.
 * Each mapping relies on >> of a negative int being arithmetic, as it is
 * with gcc and clang.
 */
#include "encode.h"

#include <string.h>

#include <openssl/ec.h>
#include <openssl/obj_mac.h>

/* -1 (all ones) if lo <= c <= hi, else 0; c, lo, hi in 0..255. */
static int in_range(int c, int lo, int hi)
{
	return ((lo - 1 - c) & (c - hi - 1)) >> 8;
}

/* RFC 4648 table 1 (std) or table 2 (url): value 0..63 to its character. */
static char b64_char(unsigned v, int url)
{
	int x = (int)v, c = 'A' + x;

	c += ((25 - x) >> 8) & ('a' - 'A' - 26);
	c -= ((51 - x) >> 8) & ('a' + 26 - '0');
	c -= ((61 - x) >> 8) & ('0' + 10 - (url ? '-' : '+'));
	c += ((62 - x) >> 8) & ((url ? '_' : '/') - (url ? '-' : '+') - 1);
	return (char)c;
}

/* A character's value 0..63, or -1 if it is not in the alphabet. */
static int b64_val(unsigned char ch, int url)
{
	int c = ch, v = -1;

	v += in_range(c, 'A', 'Z') & (c - 'A' + 1);
	v += in_range(c, 'a', 'z') & (c - 'a' + 26 + 1);
	v += in_range(c, '0', '9') & (c - '0' + 52 + 1);
	v += in_range(c, url ? '-' : '+', url ? '-' : '+') & (62 + 1);
	v += in_range(c, url ? '_' : '/', url ? '_' : '/') & (63 + 1);
	return v;
}

static bc_status b64_encode(const uint8_t *in, size_t n, int url, char *out,
                            size_t cap, size_t *len)
{
	size_t need, o = 0, i;

	if (in == NULL && n > 0)
		return BC_ERR_INVALID;
	if (n > (SIZE_MAX / 4 - 1) * 3 - 3)
		return BC_ERR_RANGE;
	need = url ? BC_B64URL_LEN(n) : BC_B64_LEN(n);
	if (len)
		*len = need;
	if (out == NULL || cap < need + 1)
		return BC_ERR_RANGE;
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		             in[i + 2];

		out[o++] = b64_char(w >> 18, url);
		out[o++] = b64_char((w >> 12) & 63, url);
		out[o++] = b64_char((w >> 6) & 63, url);
		out[o++] = b64_char(w & 63, url);
	}
	if (n - i == 1) {
		out[o++] = b64_char(in[i] >> 2, url);
		out[o++] = b64_char((in[i] & 3) << 4, url);
		if (!url) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t w = (uint32_t)in[i] << 8 | in[i + 1];

		out[o++] = b64_char(w >> 10, url);
		out[o++] = b64_char((w >> 4) & 63, url);
		out[o++] = b64_char((w << 2) & 63, url);
		if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
	return BC_OK;
}

/*
 * Decodes the unpadded text in[0..t).  A final group of 2 or 3 characters
 * carries 4 or 2 unused bits that must be zero (RFC 4648 3.5), so that
 * every byte string has exactly one encoding.
 */
static bc_status b64_decode_body(const char *in, size_t t, int url,
                                 uint8_t *out, size_t cap, size_t *outlen)
{
	size_t need, o = 0, i;
	int bad = 0;

	if (t % 4 == 1)
		return BC_ERR_INVALID;
	need = t / 4 * 3 + (t % 4 ? t % 4 - 1 : 0);
	if (outlen)
		*outlen = need;
	if (cap < need || (out == NULL && need > 0))
		return BC_ERR_RANGE;
	for (i = 0; i + 4 <= t; i += 4) {
		int a = b64_val((unsigned char)in[i], url);
		int b = b64_val((unsigned char)in[i + 1], url);
		int c = b64_val((unsigned char)in[i + 2], url);
		int d = b64_val((unsigned char)in[i + 3], url);
		uint32_t w;

		bad |= a | b | c | d;
		w = (uint32_t)(a & 63) << 18 | (uint32_t)(b & 63) << 12 |
		    (uint32_t)(c & 63) << 6 | (uint32_t)(d & 63);
		out[o++] = (uint8_t)(w >> 16);
		out[o++] = (uint8_t)(w >> 8);
		out[o++] = (uint8_t)w;
	}
	if (t - i == 2) {
		int a = b64_val((unsigned char)in[i], url);
		int b = b64_val((unsigned char)in[i + 1], url);

		bad |= a | b | -((b & 15) != 0);
		out[o++] = (uint8_t)((a & 63) << 2 | (b & 63) >> 4);
	} else if (t - i == 3) {
		int a = b64_val((unsigned char)in[i], url);
		int b = b64_val((unsigned char)in[i + 1], url);
		int c = b64_val((unsigned char)in[i + 2], url);

		bad |= a | b | c | -((c & 3) != 0);
		out[o++] = (uint8_t)((a & 63) << 2 | (b & 63) >> 4);
		out[o++] = (uint8_t)(((b & 15) << 4) | (c & 63) >> 2);
	}
	if (bad < 0) {
		bc_wipe(out, need);
		return BC_ERR_INVALID;
	}
	return BC_OK;
}

bc_status bc_b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap,
                           size_t *len)
{
	return b64_encode(in, n, 1, out, cap, len);
}

bc_status bc_b64url_decode(const char *in, size_t textlen, uint8_t *out,
                           size_t cap, size_t *outlen)
{
	if (in == NULL && textlen > 0)
		return BC_ERR_INVALID;
	/* '=' is not in the url alphabet, so padding is refused here too. */
	return b64_decode_body(in, textlen, 1, out, cap, outlen);
}

bc_status bc_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap,
                        size_t *len)
{
	return b64_encode(in, n, 0, out, cap, len);
}

bc_status bc_b64_decode(const char *in, size_t textlen, uint8_t *out,
                        size_t cap, size_t *outlen)
{
	size_t pad = 0;

	if (in == NULL && textlen > 0)
		return BC_ERR_INVALID;
	/* RFC 4648 section 4: whole quanta, "=" only to fill the last. */
	if (textlen % 4 != 0)
		return BC_ERR_INVALID;
	while (pad < 2 && pad < textlen && in[textlen - 1 - pad] == '=')
		pad++;
	/*
	 * One '=' leaves 3 characters in the last quantum, two leave 2; any
	 * other '=' is not in the alphabet and fails in the body.
	 */
	return b64_decode_body(in, textlen - pad, 0, out, cap, outlen);
}

bc_status bc_hex_encode(const uint8_t *in, size_t n, char *out, size_t cap,
                        size_t *len)
{
	if (in == NULL && n > 0)
		return BC_ERR_INVALID;
	if (n > SIZE_MAX / 2 - 1)
		return BC_ERR_RANGE;
	if (len)
		*len = 2 * n;
	if (out == NULL || cap < 2 * n + 1)
		return BC_ERR_RANGE;
	for (size_t i = 0; i < n; i++) {
		int hi = in[i] >> 4, lo = in[i] & 15;

		out[2 * i] = (char)('0' + hi + (((9 - hi) >> 8) & 39));
		out[2 * i + 1] = (char)('0' + lo + (((9 - lo) >> 8) & 39));
	}
	out[2 * n] = '\0';
	return BC_OK;
}

static int hex_val(unsigned char ch)
{
	int c = ch, v = -1;

	v += in_range(c, '0', '9') & (c - '0' + 1);
	v += in_range(c, 'a', 'f') & (c - 'a' + 10 + 1);
	return v;
}

bc_status bc_hex_decode(const char *in, size_t textlen, uint8_t *out,
                        size_t cap, size_t *outlen)
{
	int bad = 0;

	if (in == NULL && textlen > 0)
		return BC_ERR_INVALID;
	if (textlen % 2 != 0)
		return BC_ERR_INVALID;
	if (outlen)
		*outlen = textlen / 2;
	if (cap < textlen / 2 || (out == NULL && textlen > 0))
		return BC_ERR_RANGE;
	for (size_t i = 0; i < textlen / 2; i++) {
		int hi = hex_val((unsigned char)in[2 * i]);
		int lo = hex_val((unsigned char)in[2 * i + 1]);

		bad |= hi | lo;
		out[i] = (uint8_t)((hi & 15) << 4 | (lo & 15));
	}
	if (bad < 0) {
		bc_wipe(out, textlen / 2);
		return BC_ERR_INVALID;
	}
	return BC_OK;
}

/* ---- JWK ---- */

/* A JWK member list: literal text and base64url values, in order. */
typedef struct {
	const char *lit;    /* text copied as is, or NULL */
	const uint8_t *b64; /* bytes written base64url */
	size_t n;
} jwk_part;

static bc_status jwk_write(const jwk_part *parts, size_t np, char *out,
                           size_t cap, size_t *len)
{
	size_t need = 0, o = 0, w;
	bc_status st;

	for (size_t i = 0; i < np; i++)
		need += parts[i].lit ? strlen(parts[i].lit)
		                     : BC_B64URL_LEN(parts[i].n);
	if (len)
		*len = need;
	if (out == NULL || cap < need + 1)
		return BC_ERR_RANGE;
	for (size_t i = 0; i < np; i++) {
		if (parts[i].lit) {
			w = strlen(parts[i].lit);
			memcpy(out + o, parts[i].lit, w);
		} else {
			st = bc_b64url_encode(parts[i].b64, parts[i].n, out + o,
			                      cap - o, &w);
			if (st != BC_OK)
				return st;
		}
		o += w;
	}
	out[o] = '\0';
	return BC_OK;
}

/* SEC 1 2.3.4: an uncompressed point that OpenSSL finds on P-256. */
static bc_status check_p256(const uint8_t point[65])
{
	EC_GROUP *g;
	EC_POINT *p = NULL;
	bc_status st = BC_ERR_INVALID;

	if (point[0] != 0x04)
		return BC_ERR_INVALID;
	g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	if (g == NULL)
		return BC_ERR_INTERNAL;
	p = EC_POINT_new(g);
	if (p == NULL) {
		st = BC_ERR_NOMEM;
	} else if (EC_POINT_oct2point(g, p, point, 65, NULL) == 1 &&
	           EC_POINT_is_on_curve(g, p, NULL) == 1 &&
	           EC_POINT_is_at_infinity(g, p) == 0) {
		st = BC_OK;
	}
	EC_POINT_free(p);
	EC_GROUP_free(g);
	return st;
}

bc_status bc_jwk_ec_p256(const uint8_t point[65], char *out, size_t cap,
                         size_t *len)
{
	bc_status st;
	const jwk_part parts[] = {
	    {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"", NULL, 0},
	    {NULL, point + 1, 32},
	    {"\",\"y\":\"", NULL, 0},
	    {NULL, point + 33, 32},
	    {"\"}", NULL, 0},
	};

	if (point == NULL)
		return BC_ERR_INVALID;
	if ((st = check_p256(point)) != BC_OK)
		return st;
	return jwk_write(parts, sizeof parts / sizeof parts[0], out, cap, len);
}

bc_status bc_jwk_ed25519(const uint8_t pk[32], char *out, size_t cap,
                         size_t *len)
{
	const jwk_part parts[] = {
	    {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"", NULL, 0},
	    {NULL, pk, 32},
	    {"\"}", NULL, 0},
	};

	if (pk == NULL)
		return BC_ERR_INVALID;
	return jwk_write(parts, sizeof parts / sizeof parts[0], out, cap, len);
}

bc_status bc_jwk_rsa(const uint8_t *n, size_t nlen, const uint8_t *e,
                     size_t elen, char *out, size_t cap, size_t *len)
{
	if (n == NULL || e == NULL)
		return BC_ERR_INVALID;
	/* RFC 7518 6.3.1.1: base64urlUInt uses the fewest octets. */
	while (nlen > 0 && n[0] == 0) {
		n++;
		nlen--;
	}
	while (elen > 0 && e[0] == 0) {
		e++;
		elen--;
	}
	if (nlen == 0 || elen == 0 || !(e[elen - 1] & 1))
		return BC_ERR_INVALID;

	const jwk_part parts[] = {
	    {"{\"kty\":\"RSA\",\"n\":\"", NULL, 0},
	    {NULL, n, nlen},
	    {"\",\"e\":\"", NULL, 0},
	    {NULL, e, elen},
	    {"\"}", NULL, 0},
	};
	return jwk_write(parts, sizeof parts / sizeof parts[0], out, cap, len);
}
