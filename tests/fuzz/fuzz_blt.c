/*
 * fuzz_blt.c: a libFuzzer target for the BLT reader and writer.
 *
 * Whatever the bytes, stv_blt_read must either refuse them with an error
 * or return an election; the sanitizers catch any bad memory access on
 * the way.  An election read must survive a round trip: the canonical
 * text stv_blt_write makes of it must read back, and writing that again
 * must give the very same bytes.  Small elections are then counted by
 * Scottish STV, to run the counting core on odd but valid input.
 */
#include "stv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Limits on what is counted, so that each input stays quick. */
#define COUNT_MAX_CANDIDATES 20
#define COUNT_MAX_PAPERS     2000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: say which, then abort so the fuzzer keeps the input. */
static void broken(const char *what, const stv_error *err)
{
	fprintf(stderr, "fuzz_blt: %s", what);
	if (err != NULL)
		fprintf(stderr, " (line %d, column %d: %s)", err->line,
		        err->column, err->msg);
	fputc('\n', stderr);
	abort();
}

/* Writes e; out of memory is not a finding, so it gives NULL quietly. */
static char *write_blt(const stv_election *e, size_t *len)
{
	char *s = NULL;

	if (stv_blt_write(e, &s, len) != STV_OK)
		return NULL;
	/* The text is documented as NUL-terminated, and names hold no NUL. */
	if (strlen(s) != *len)
		broken("stv_blt_write: outlen is not the string's length",
		       NULL);
	return s;
}

static void count(const stv_election *e)
{
	stv_options opt = {STV_RULE_SCOTTISH, 0, 0, 0, NULL};
	stv_result *r = NULL;
	stv_error err;

	if (stv_election_candidates(e) > COUNT_MAX_CANDIDATES ||
	    stv_election_papers(e) > COUNT_MAX_PAPERS)
		return;
	/* A refusal is allowed (a rule may not be written yet); a crash or
	 * a leak is not. */
	if (stv_count(e, &opt, &r, &err) == STV_OK)
		stv_result_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	stv_election *e = NULL, *e2 = NULL;
	stv_error err;
	char *t1 = NULL, *t2 = NULL;
	size_t n1 = 0, n2 = 0;

	if (stv_blt_read((const char *)data, size, &e, &err) != STV_OK) {
		if (e != NULL)
			broken("stv_blt_read failed but set *out", NULL);
		return 0;
	}
	if ((t1 = write_blt(e, &n1)) == NULL)
		goto out;
	if (stv_blt_read(t1, n1, &e2, &err) != STV_OK)
		broken("the written BLT does not read back", &err);
	if ((t2 = write_blt(e2, &n2)) == NULL)
		goto out;
	if (n1 != n2 || memcmp(t1, t2, n1) != 0)
		broken("writing the re-read BLT gives other bytes", NULL);
	count(e);
out:
	free(t1);
	free(t2);
	stv_election_free(e);
	stv_election_free(e2);
	return 0;
}
