/*
 * common.c: constant-time comparison, wiping and randomness, all through
 * OpenSSL so that one audited implementation serves the whole library.
 */
#include "bcrypto.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

int bc_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void bc_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

bc_status bc_random(uint8_t *out, size_t n)
{
	if (n > (size_t)INT32_MAX)
		return BC_ERR_RANGE;
	return RAND_bytes(out, (int)n) == 1 ? BC_OK : BC_ERR_INTERNAL;
}

const char *bc_status_name(bc_status st)
{
	switch (st) {
	case BC_OK:
		return "ok";
	case BC_ERR_INVALID:
		return "invalid input";
	case BC_ERR_VERIFY:
		return "verification failed";
	case BC_ERR_NOMEM:
		return "out of memory";
	case BC_ERR_INTERNAL:
		return "internal error";
	case BC_ERR_RANGE:
		return "out of range";
	}
	return "unknown";
}
