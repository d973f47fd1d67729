/*
 * bcrypto.h: what every part of the crypto library shares: status codes,
 * the must-check marker, constant-time comparison and wiping.
 *
 * The library is built on OpenSSL 3.0 alone.  It never prints, exits or
 * aborts on bad input; every fallible function returns a bc_status.
 * Sizes are written into prototypes; buffers are the caller's; nothing is
 * allocated behind the caller's back except where a comment says so.
 */
#ifndef BCRYPTO_H
#define BCRYPTO_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define BC_MUST_CHECK __attribute__((warn_unused_result))
#else
#define BC_MUST_CHECK
#endif

typedef enum {
	BC_OK = 0,
	BC_ERR_INVALID,  /* malformed input: wrong length, bad encoding, off curve */
	BC_ERR_VERIFY,   /* a check failed: signature, tag, proof, share */
	BC_ERR_NOMEM,
	BC_ERR_INTERNAL, /* OpenSSL failed where it should not */
	BC_ERR_RANGE     /* a size or count out of the supported range */
} bc_status;

/* A short reason for the last failure, for functions that take one. */
typedef struct {
	char msg[256];
} bc_error;

/* 1 if a[0..n) == b[0..n), in time independent of the contents. */
int bc_ct_equal(const void *a, const void *b, size_t n) BC_MUST_CHECK;
/* Overwrites p[0..n) in a way the compiler cannot remove. */
void bc_wipe(void *p, size_t n);
/* n bytes from the OpenSSL DRBG. */
bc_status bc_random(uint8_t *out, size_t n) BC_MUST_CHECK;
/* A name for a status, for messages. */
const char *bc_status_name(bc_status st);

#endif
