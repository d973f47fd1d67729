/*
 * forge-ballot: a test tool (not a test) that seals an arbitrary ballot
 * plaintext for a poll with the real crypto, exactly as a voter's client
 * seals a ballot (protocol.md section 6): padded to the poll's
 * ballot_size (crypto/pad.h), sealed with HPKE base mode to the election
 * key with info = lp("ballot-seal/v1") || lp(poll_hash) || lp(class id)
 * and aad = token_id = H(lp("ballot-token/v1") || lp(class id) ||
 * lp(token)).
 *
 * ballotctl refuses to seal a ballot that would decode as invalid (a
 * contest the voter's class does not cover, a wrong class, ...), so the
 * integration tests use this tool to make one and prove that the tally
 * and the verifier catch it.  The caller signs the cast itself (with the
 * cast key of the token, protocol.md section 7).
 *
 *     forge-ballot POLL.json ELECTION_KEY CLASS TOKEN < PLAINTEXT
 *
 * POLL.json: the poll definition's exact bytes (poll_hash is computed
 * from them; ballot_size read from them); ELECTION_KEY: the P-256 public
 * key, uncompressed, base64url; CLASS: the class id of the board entry;
 * TOKEN: the token (prepared, 64 bytes) in base64url.  The plaintext is
 * read from standard input as is (no newline is removed).  Prints the
 * sealed ballot (ballot_size + 81 bytes) in base64url and a newline.
 *
 * Exit status: 0 written; 1 bad input (named on standard error); 2 bad
 * command line.
 */
#include "bcrypto.h"
#include "encode.h"
#include "hpke.h"
#include "pad.h"
#include "proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PT_MAX (1u << 17)

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "forge-ballot: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Reads a whole file (or stdin for NULL).  OUT: *buf (malloc'd), *len. */
static int slurp(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	FILE *f = path ? fopen(path, "rb") : stdin;
	uint8_t *b;
	size_t n = 0, r;
	int bad;

	if (f == NULL)
		return -1;
	if ((b = malloc(max + 1)) == NULL) {
		if (path)
			fclose(f);
		return -1;
	}
	while (n <= max && (r = fread(b + n, 1, max + 1 - n, f)) > 0)
		n += r;
	bad = ferror(f) || n > max;
	if (path)
		fclose(f);
	if (bad) {
		free(b);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t *def = NULL, *pt = NULL, *padded = NULL, *sealed = NULL;
	uint8_t ek[65], token[PROTO_TOKEN_LEN], tid[PROTO_HASH_LEN];
	size_t deflen, ptlen, n;
	proto_poll *poll = NULL;
	proto_err perr;
	proto_buf info = {0};
	char *out = NULL;
	int rc = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: forge-ballot POLL.json ELECTION_KEY "
		                "CLASS TOKEN < PLAINTEXT\n");
		return 2;
	}
	if (slurp(argv[1], 1u << 20, &def, &deflen) == -1)
		return fail("%s: cannot read the poll definition", argv[1]);
	if (proto_poll_parse((const char *)def, deflen, &poll, &perr) !=
	    PROTO_OK) {
		fprintf(stderr, "forge-ballot: %s: not a poll definition: %s\n",
		        argv[1], perr.msg);
		goto out;
	}
	if (bc_b64url_decode(argv[2], strlen(argv[2]), ek, sizeof(ek), &n) !=
	        BC_OK ||
	    n != sizeof(ek)) {
		fail("ELECTION_KEY: expected 65 bytes in base64url, found "
		     "\"%.20s\"",
		     argv[2]);
		goto out;
	}
	if (strlen(argv[3]) == 0 || strlen(argv[3]) > PROTO_CLASS_ID_MAX) {
		fail("CLASS: expected a class id, found \"%.40s\"", argv[3]);
		goto out;
	}
	if (bc_b64url_decode(argv[4], strlen(argv[4]), token, sizeof(token),
	                     &n) != BC_OK ||
	    n != sizeof(token)) {
		fail("TOKEN: expected 64 bytes in base64url, found \"%.20s\"",
		     argv[4]);
		goto out;
	}
	if (slurp(NULL, PT_MAX, &pt, &ptlen) == -1) {
		fail("%s: cannot read the plaintext", "standard input");
		goto out;
	}
	if ((padded = malloc(poll->ballot_size)) == NULL ||
	    (sealed = malloc(poll->ballot_size + PROTO_SEAL_OVERHEAD)) ==
	        NULL) {
		fail("%s", "out of memory");
		goto out;
	}
	if (bc_pad(pt, ptlen, padded, poll->ballot_size) != BC_OK) {
		fprintf(stderr,
		        "forge-ballot: the plaintext (%zu bytes) does not fit "
		        "ballot_size %u\n",
		        ptlen, (unsigned)poll->ballot_size);
		goto out;
	}
	if (proto_token_id(argv[3], token, sizeof(token), tid) != PROTO_OK) {
		fail("%s", "out of memory");
		goto out;
	}
	proto_seal_info(&info, poll->poll_hash, argv[3]);
	if (info.failed || bc_hpke_seal(ek, info.p, info.len, tid, sizeof(tid),
	                                padded, poll->ballot_size, sealed,
	                                sealed + BC_HPKE_ENC_LEN) != BC_OK) {
		fail("%s", "sealing failed (is ELECTION_KEY a P-256 point?)");
		goto out;
	}
	n = BC_B64_LEN(poll->ballot_size + PROTO_SEAL_OVERHEAD) + 1;
	if ((out = malloc(n)) == NULL ||
	    bc_b64url_encode(sealed, poll->ballot_size + PROTO_SEAL_OVERHEAD,
	                     out, n, &n) != BC_OK) {
		fail("%s", "out of memory");
		goto out;
	}
	printf("%.*s\n", (int)n, out);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	proto_buf_free(&info);
	proto_poll_free(poll);
	free(def);
	free(pt);
	free(padded);
	free(sealed);
	free(out);
	return rc;
}
