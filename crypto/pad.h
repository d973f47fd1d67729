/*
 * pad.h: fixed-size padding of ballots before they are sealed, so that
 * the length of a sealed ballot says nothing about the choices in it.
 *
 * Format (padded_len bytes):
 *   I2OSP(len, 4) (big-endian)  ||  msg (len bytes)  ||  zero bytes
 * The padded size is fixed per poll by the caller; see docs/crypto-hpke.md.
 */
#ifndef BC_PAD_H
#define BC_PAD_H

#include "bcrypto.h"

#define BC_PAD_HDR_LEN 4 /* the length field */

/*
 * Writes the padded form of msg[0..len) to out[0..padded_len).  msg may
 * be NULL when len is 0; msg and out must not overlap.  OUT: out.
 * BC_ERR_RANGE if 4 + len > padded_len or len >= 2^32 (out untouched).
 */
bc_status bc_pad(const uint8_t *msg, size_t len, uint8_t *out,
                 size_t padded_len) BC_MUST_CHECK;
/*
 * Reads a padded message in[0..padded_len).  OUT: *msg points into in
 * (no copy; valid as long as in is), *len its length.  BC_ERR_INVALID if
 * padded_len < 4, if the length field exceeds padded_len - 4, or if any
 * byte after the message is not zero; the padding is checked in time
 * independent of its contents and of where the message ends.
 */
bc_status bc_unpad(const uint8_t *in, size_t padded_len, const uint8_t **msg,
                   size_t *len) BC_MUST_CHECK;

#endif
