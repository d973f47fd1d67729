/*
 * pad.c: ballot padding (pad.h).  The unpadding check runs over every
 * byte after the length field with a mask instead of a branch, so that
 * its timing does not tell where the message ends or which padding byte
 * was wrong.
 */
#include "pad.h"

#include <string.h>

bc_status bc_pad(const uint8_t *msg, size_t len, uint8_t *out,
                 size_t padded_len)
{
	if (out == NULL || (msg == NULL && len > 0))
		return BC_ERR_INVALID;
	if (padded_len < BC_PAD_HDR_LEN ||
	    len > padded_len - BC_PAD_HDR_LEN || len > UINT32_MAX)
		return BC_ERR_RANGE;
	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	if (len > 0)
		memcpy(out + BC_PAD_HDR_LEN, msg, len);
	memset(out + BC_PAD_HDR_LEN + len, 0,
	       padded_len - BC_PAD_HDR_LEN - len);
	return BC_OK;
}

/* All ones if a < b, else 0, without a branch (a, b < 2^63). */
static uint8_t ct_lt_mask(uint64_t a, uint64_t b)
{
	return (uint8_t)(0 - ((a - b) >> 63));
}

bc_status bc_unpad(const uint8_t *in, size_t padded_len, const uint8_t **msg,
                   size_t *len)
{
	uint64_t l, end, i;
	uint8_t acc = 0;

	if (in == NULL || msg == NULL || len == NULL)
		return BC_ERR_INVALID;
	*msg = NULL;
	*len = 0;
	if (padded_len < BC_PAD_HDR_LEN || (uint64_t)padded_len >= 1ULL << 62)
		return BC_ERR_INVALID;
	l = (uint64_t)in[0] << 24 | (uint64_t)in[1] << 16 |
	    (uint64_t)in[2] << 8 | in[3];
	if (l > padded_len - BC_PAD_HDR_LEN)
		return BC_ERR_INVALID;
	/* Every byte at or after end must be zero; bytes before it are the
	 * message and are masked out. */
	end = BC_PAD_HDR_LEN + l;
	for (i = BC_PAD_HDR_LEN; i < padded_len; i++)
		acc |= in[i] & (uint8_t)~ct_lt_mask(i, end);
	if (acc != 0)
		return BC_ERR_INVALID;
	*msg = in + BC_PAD_HDR_LEN;
	*len = (size_t)l;
	return BC_OK;
}
