/*
 * fuzz_roll.c: a libFuzzer target for the roll CSV, read against the
 * fixed poll of tests/proto/fixture.h (four contests).
 *
 * A refusal must come with a message, a line and a column.  An accepted
 * roll must be consistent: every voter's class is the class of its
 * contests and weight, the classes are in strict byte order, their
 * counts add up to the voters, and each class id parses back.
 */
#include "../proto/fixture.h"
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_roll: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char fix[] = FIX_POLL;
	proto_poll *p;
	proto_roll *r = (proto_roll *)1;
	proto_err err;
	size_t total = 0;

	if (proto_poll_parse(fix, sizeof fix - 1, &p, &err) != PROTO_OK)
		broken("the fixture poll does not parse");
	if (proto_roll_parse(p, (const char *)data, size, &r, &err) !=
	    PROTO_OK) {
		if (r != NULL)
			broken("refused but *out is set");
		if (err.msg[0] == '\0' ||
		    (strcmp(err.msg, "out of memory") != 0 &&
		     (err.line < 1 || err.column < 1)))
			broken("refused without a message, line and column");
		proto_poll_free(p);
		return 0;
	}
	for (size_t i = 0; i < r->nclasses; i++) {
		proto_cset set;
		int w;

		total += r->classes[i].count;
		if (i > 0 &&
		    strcmp(r->classes[i - 1].id, r->classes[i].id) >= 0)
			broken("classes not in strict byte order");
		if (proto_class_parse(p, r->classes[i].id, &set, &w, &err) !=
		        PROTO_OK ||
		    set != r->classes[i].contests || w != r->classes[i].weight)
			broken("a class id does not parse back");
	}
	if (total != r->nvoters || r->nvoters == 0)
		broken("class counts do not add up to the voters");
	for (size_t i = 0; i < r->nvoters; i++) {
		const proto_voter *v = &r->voters[i];
		const proto_class *c;

		if (v->class_index >= r->nclasses)
			broken("class index out of range");
		c = &r->classes[v->class_index];
		if (c->contests != v->contests || c->weight != v->weight ||
		    v->contests == 0)
			broken("a voter is in the wrong class");
		if (v->voter_id[0] == '\0' ||
		    strlen(v->voter_id) > PROTO_VOTER_ID_MAX)
			broken("a bad voter id was accepted");
	}
	proto_roll_free(r);
	proto_poll_free(p);
	return 0;
}
