/*
 * fuzz_poll.c: a libFuzzer target for the poll definition parser.
 *
 * Bad input must be refused with a message and no poll.  An accepted
 * poll must keep its invariants: the bytes and poll_hash are the input's,
 * the longest ballot fits in ballot_size, and that longest ballot (every
 * contest, full rankings, weight 1000) encodes to exactly the computed
 * length and decodes as valid.  A breach aborts so the input is kept.
 */
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_poll: %s\n", what);
	abort();
}

static void longest_ballot(const proto_poll *p)
{
	char cls[PROTO_CLASS_ID_MAX + 1], *text = NULL;
	proto_ballot b = {0}, d;
	proto_cset all = p->ncontests >= 32
	                     ? 0xffffffffu
	                     : (((proto_cset)1 << p->ncontests) - 1);
	proto_err err;
	size_t len = 0;
	proto_status st;

	proto_class_id(p, all, 1000, cls);
	for (size_t i = 0; i < p->ncontests; i++) {
		const proto_contest *c = &p->contests[i];
		size_t n =
		    c->kind == PROTO_KIND_REFERENDUM ? 1 : c->ncandidates;

		b.choices[i].contest = (int)i;
		b.choices[i].nranks = n;
		b.choices[i].ranks = malloc(n * sizeof(uint16_t));
		if (b.choices[i].ranks == NULL)
			goto out;
		b.nchoices++;
		/* The n highest numbers, the longest text. */
		for (size_t j = 0; j < n; j++)
			b.choices[i].ranks[j] = (uint16_t)(c->ncandidates - j);
	}
	st = proto_ballot_encode(p, cls, &b, &text, &len, &err);
	if (st == PROTO_ERR_NOMEM)
		goto out;
	if (st != PROTO_OK)
		broken("the longest ballot does not encode");
	if (len != proto_poll_max_ballot_len(p))
		broken("the longest ballot's length is not the computed one");
	if (proto_ballot_decode(p, cls, text, len, &d, &err) !=
	    PROTO_BALLOT_VALID)
		broken("the longest ballot does not decode as valid");
	proto_ballot_clear(&d);
out:
	free(text);
	for (size_t i = 0; i < b.nchoices; i++)
		free(b.choices[i].ranks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	proto_poll *p = (proto_poll *)1;
	proto_err err;
	uint8_t h[PROTO_HASH_LEN];

	if (proto_poll_parse((const char *)data, size, &p, &err) != PROTO_OK) {
		if (p != NULL)
			broken("refused but *out is set");
		if (err.msg[0] == '\0')
			broken("refused without a message");
		return 0;
	}
	if (p->nbytes != size || memcmp(p->bytes, data, size) != 0)
		broken("the kept bytes are not the input");
	if (proto_poll_hash(data, size, h) == PROTO_OK &&
	    memcmp(h, p->poll_hash, sizeof h) != 0)
		broken("poll_hash is not the input's");
	if (4 + proto_poll_max_ballot_len(p) > p->ballot_size)
		broken("the longest ballot does not fit ballot_size");
	if (p->k < 1 || (size_t)p->k > p->ntrustees)
		broken("k out of range");
	for (size_t i = 0; i < p->ncontests; i++)
		if (p->contests[i].seats < 1 ||
		    (size_t)p->contests[i].seats > p->contests[i].ncandidates)
			broken("seats out of range");
	longest_ballot(p);
	proto_poll_free(p);
	return 0;
}
