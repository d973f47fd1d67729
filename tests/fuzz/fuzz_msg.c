/*
 * fuzz_msg.c: a libFuzzer target for the API message decoders, the
 * credential and the ballot plaintext.  The first byte picks the decoder
 * (modulo 9), the rest is its input:
 *   0 token request   1 token answer   2 cast   3 signed tree head
 *   4 receipt         5 ceremony       6 schedule
 *   7 ballot plaintext (fixture poll; class from the second byte)
 *   8 credential
 * A refusal must come with a message.  Whatever decodes must encode to
 * text that decodes to the same thing (for the ballot: re-encoding its
 * choices gives text that decodes as valid again).
 */
#include "../proto/fixture.h"
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KLEN  256 /* an RSA-2048 token key */
#define BSIZE 256 /* ballot_size: sealed ballots of 337 bytes */

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_msg: %s\n", what);
	abort();
}

/* Compact text of a new object (consumed), or NULL when out of memory. */
static char *text_of(json_t *v, size_t *len)
{
	char *s;

	if (v == NULL)
		return NULL;
	s = proto_json_text(v, len);
	json_decref(v);
	return s;
}

static void refused(const proto_err *err)
{
	if (err->msg[0] == '\0')
		broken("refused without a message");
}

static void ballot(const uint8_t *d, size_t n)
{
	static const char fix[] = FIX_POLL;
	static const char *const classes[] = {"committee+list+motion-1+north*1",
	                                      "committee+north*3", "list*1",
	                                      "motion-1*1000", "north*0"};
	proto_poll *p;
	proto_ballot b, b2;
	proto_err err;
	const char *cls;
	char *t = NULL;
	size_t len;

	if (n == 0)
		return;
	cls = classes[d[0] % 5];
	if (proto_poll_parse(fix, sizeof fix - 1, &p, &err) != PROTO_OK)
		broken("the fixture poll does not parse");
	if (proto_ballot_decode(p, cls, (const char *)d + 1, n - 1, &b, &err) !=
	    PROTO_BALLOT_VALID) {
		refused(&err);
		if (b.nchoices != 0)
			broken("an invalid ballot kept choices");
		proto_poll_free(p);
		return;
	}
	if (proto_ballot_encode(p, cls, &b, &t, &len, &err) == PROTO_OK) {
		if (len > proto_poll_max_ballot_len(p))
			broken("a valid ballot is longer than the maximum");
		if (proto_ballot_decode(p, cls, t, len, &b2, &err) !=
		    PROTO_BALLOT_VALID)
			broken("a re-encoded ballot is not valid");
		if (b2.nchoices != b.nchoices)
			broken("a re-encoded ballot has other choices");
		for (size_t i = 0; i < b.nchoices; i++)
			if (b.choices[i].contest != b2.choices[i].contest ||
			    b.choices[i].nranks != b2.choices[i].nranks ||
			    (b.choices[i].nranks &&
			     memcmp(b.choices[i].ranks, b2.choices[i].ranks,
			            b.choices[i].nranks * sizeof(uint16_t))))
				broken("a re-encoded ballot has other ranks");
		proto_ballot_clear(&b2);
	} else if (strcmp(err.msg, "out of memory") != 0)
		broken("a valid ballot does not encode");
	free(t);
	proto_ballot_clear(&b);
	proto_poll_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;
	proto_err err;
	char *t = NULL;
	size_t len = 0;

	if (size == 0)
		return 0;
	switch (data[0] % 9) {
	case 0: {
		proto_token_req a, b;

		if (proto_token_req_decode(in, n, KLEN, &a, &err) != PROTO_OK) {
			refused(&err);
			break;
		}
		if ((t = text_of(proto_token_req_encode(&a), &len)) == NULL)
			break;
		if (proto_token_req_decode(t, len, KLEN, &b, &err) !=
		        PROTO_OK ||
		    strcmp(a.cred.voter_id, b.cred.voter_id) != 0 ||
		    memcmp(a.cred.s, b.cred.s, sizeof a.cred.s) != 0 ||
		    memcmp(a.blinded, b.blinded, KLEN) != 0)
			broken("token request round trip");
		break;
	}
	case 1: {
		proto_token_ans a, b;

		if (proto_token_ans_decode(in, n, KLEN, &a, &err) != PROTO_OK) {
			refused(&err);
			break;
		}
		if ((t = text_of(proto_token_ans_encode(&a), &len)) == NULL)
			break;
		if (proto_token_ans_decode(t, len, KLEN, &b, &err) !=
		        PROTO_OK ||
		    strcmp(a.class_id, b.class_id) != 0 ||
		    memcmp(a.blind_sig, b.blind_sig, KLEN) != 0)
			broken("token answer round trip");
		break;
	}
	case 2: {
		proto_cast a, b;

		if (proto_cast_decode(in, n, KLEN, BSIZE, &a, &err) !=
		    PROTO_OK) {
			refused(&err);
			if (a.ballot != NULL)
				broken("a refused cast kept its ballot");
			break;
		}
		t = text_of(proto_cast_encode(&a), &len);
		if (t != NULL) {
			if (proto_cast_decode(t, len, KLEN, BSIZE, &b, &err) !=
			        PROTO_OK ||
			    strcmp(a.class_id, b.class_id) != 0 ||
			    memcmp(a.token, b.token, sizeof a.token) != 0 ||
			    memcmp(a.sig, b.sig, KLEN) != 0 ||
			    a.ballot_len != b.ballot_len ||
			    memcmp(a.ballot, b.ballot, a.ballot_len) != 0 ||
			    memcmp(a.cast_sig, b.cast_sig, sizeof a.cast_sig) !=
			        0)
				broken("cast round trip");
			free(b.ballot);
		}
		free(a.ballot);
		break;
	}
	case 3: {
		proto_sth a, b;

		if (proto_sth_decode(in, n, &a, &err) != PROTO_OK) {
			refused(&err);
			break;
		}
		if ((t = text_of(proto_sth_encode(&a), &len)) == NULL)
			break;
		if (proto_sth_decode(t, len, &b, &err) != PROTO_OK ||
		    memcmp(&a, &b, sizeof a) != 0)
			broken("signed tree head round trip");
		break;
	}
	case 4: {
		proto_receipt *a = calloc(1, sizeof *a);
		proto_receipt *b = calloc(1, sizeof *b);

		/* Zeroed, so that memcmp sees no stale padding. */
		if (a == NULL || b == NULL) {
			free(a);
			free(b);
			break;
		}
		if (proto_receipt_decode(in, n, a, &err) != PROTO_OK)
			refused(&err);
		else if ((t = text_of(proto_receipt_encode(a), &len)) != NULL &&
		         (proto_receipt_decode(t, len, b, &err) != PROTO_OK ||
		          memcmp(a, b, sizeof *a) != 0))
			broken("receipt round trip");
		free(a);
		free(b);
		break;
	}
	case 5: {
		proto_ceremony_msg a, b;

		if (proto_ceremony_decode(in, n, 3, &a, &err) != PROTO_OK) {
			refused(&err);
			if (a.body != NULL)
				broken("a refused message kept its body");
			break;
		}
		t = text_of(proto_ceremony_encode(&a), &len);
		if (t != NULL) {
			if (proto_ceremony_decode(t, len, 3, &b, &err) !=
			        PROTO_OK ||
			    a.kind != b.kind || a.from != b.from ||
			    a.to != b.to || a.body_len != b.body_len ||
			    memcmp(a.body, b.body, a.body_len) != 0 ||
			    memcmp(a.sig, b.sig, sizeof a.sig) != 0)
				broken("ceremony message round trip");
			free(b.body);
		}
		free(a.body);
		break;
	}
	case 6: {
		int64_t o, c;

		if (proto_schedule_decode(in, n, &o, &c, &err) != PROTO_OK)
			refused(&err);
		else if (o >= 0 && c >= 0 && o >= c)
			broken("a schedule closing before it opens");
		break;
	}
	case 7:
		ballot((const uint8_t *)in, n);
		break;
	case 8: {
		proto_credential a, b;
		char s[PROTO_CREDENTIAL_MAX + 1];

		if (proto_credential_parse(in, n, &a, &err) != PROTO_OK) {
			refused(&err);
			break;
		}
		proto_credential_format(a.voter_id, a.s, s);
		if (proto_credential_parse(s, strlen(s), &b, &err) !=
		        PROTO_OK ||
		    strcmp(a.voter_id, b.voter_id) != 0 ||
		    memcmp(a.s, b.s, sizeof a.s) != 0)
			broken("credential round trip");
		break;
	}
	}
	free(t);
	return 0;
}
