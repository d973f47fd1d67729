/*
 * test_msg.c: the credential, the API messages (decode, encode, decode
 * again) and the ballot plaintext with every reason a ballot is invalid.
 */
#include "check.h"
#include "encode.h"
#include "fixture.h"
#include "proto.h"

#include <stdlib.h>

/* base64url of n bytes of value c, malloc'd. */
static char *b64(size_t n, uint8_t c)
{
	uint8_t *p = malloc(n ? n : 1);
	char *s = malloc(BC_B64URL_LEN(n) + 1);

	memset(p, c, n);
	if (bc_b64url_encode(p, n, s, BC_B64URL_LEN(n) + 1, NULL) != BC_OK)
		s[0] = '\0';
	free(p);
	return s;
}

static char *text_of(json_t *v)
{
	char *s = proto_json_text(v, NULL);

	json_decref(v);
	return s;
}

static proto_status parse(const char *s, proto_credential *c)
{
	proto_err err;

	return proto_credential_parse(s, strlen(s), c, &err);
}

static void credentials(void)
{
	uint8_t s[16];
	char out[PROTO_CREDENTIAL_MAX + 1];
	proto_credential c;
	proto_err err;

	memset(s, 0, 16);
	proto_credential_format("v1", s, out);
	CHECK_STR(out, "v1:0000-0000-0000-0000-0000-0000-00");
	/* 128 one bits then two zero bits: 25 x 'Z' (31) and 11100 = 28,
	 * which is 'W' in 0123456789ABCDEFGHJKMNPQRSTVWXYZ. */
	memset(s, 0xff, 16);
	proto_credential_format("a:b", s, out);
	CHECK_STR(out, "a:b:ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZW");
	CHECK(proto_credential_parse(out, strlen(out), &c, &err) == PROTO_OK);
	CHECK_STR(c.voter_id, "a:b");
	CHECK(c.s[0] == 0xff && c.s[15] == 0xff);
	/* Lower case, no dashes, O for 0, l for 1: symbol 24 (bits
	 * 120..124) = 00001 sets bit 124, 0x08 in s[15]. */
	CHECK(parse("v1:"
	            "oooooooooooooooooooooooo"
	            "l0",
	            &c) == PROTO_OK);
	CHECK(c.s[15] == 0x08 && c.s[14] == 0x00);
	/* The last symbol's two low bits are padding and must be zero. */
	CHECK(parse("v1:"
	            "000000000000000000000000"
	            "01",
	            &c) == PROTO_ERR_VALUE);
	/* 4 = 00100: its bit 2 is the last data bit (s[15] bit 0). */
	CHECK(parse("v1:"
	            "000000000000000000000000"
	            "04",
	            &c) == PROTO_OK);
	CHECK(c.s[15] == 0x01);
	CHECK(parse("v1:"
	            "000000000000000000000000"
	            "U4",
	            &c) == PROTO_ERR_VALUE);
	CHECK(parse("v1:"
	            "000000000000000000000000"
	            "4",
	            &c) == PROTO_ERR_VALUE);
	CHECK(parse("v1:"
	            "000000000000000000000000"
	            "040",
	            &c) == PROTO_ERR_VALUE);
	CHECK(parse(":"
	            "000000000000000000000000"
	            "04",
	            &c) == PROTO_ERR_VALUE);
	CHECK(parse("v 1:"
	            "000000000000000000000000"
	            "04",
	            &c) == PROTO_ERR_VALUE);
	(void)err;
}

static void messages(void)
{
	char body[4096], *b256 = b64(256, 0x5a), *b64b = b64(64, 0x33);
	char *bsig = b64(64, 0x44), *ballot = b64(256 + 81, 0x66), *t;
	proto_token_req tr;
	proto_token_ans ta;
	proto_cast cast;
	proto_sth sth;
	proto_receipt rc;
	proto_ceremony_msg cm;
	proto_err err;
	int64_t o, c;

	snprintf(body, sizeof body,
	         "{\"credential\":\"v1:0000-0000-0000-0000-0000-0000-04\","
	         "\"blinded\":\"%s\"}",
	         b256);
	CHECK(proto_token_req_decode(body, strlen(body), 256, &tr, &err) ==
	      PROTO_OK);
	CHECK_STR(tr.cred.voter_id, "v1");
	CHECK(tr.cred.s[15] == 1 && tr.blinded_len == 256);
	CHECK(tr.blinded[0] == 0x5a && tr.blinded[255] == 0x5a);
	t = text_of(proto_token_req_encode(&tr));
	CHECK_STR(t, body);
	free(t);
	CHECK_STR(tr.class_id, "");
	/* The optional class the client blinded for, kept in order. */
	snprintf(body, sizeof body,
	         "{\"credential\":\"v1:0000-0000-0000-0000-0000-0000-04\","
	         "\"blinded\":\"%s\",\"class\":\"a+b*2\"}",
	         b256);
	CHECK(proto_token_req_decode(body, strlen(body), 256, &tr, &err) ==
	      PROTO_OK);
	CHECK_STR(tr.class_id, "a+b*2");
	t = text_of(proto_token_req_encode(&tr));
	CHECK_STR(t, body);
	free(t);
	snprintf(body, sizeof body,
	         "{\"credential\":\"v1:0000-0000-0000-0000-0000-0000-04\","
	         "\"blinded\":\"%s\",\"class\":\"b+a*2\"}",
	         b256);
	CHECK(proto_token_req_decode(body, strlen(body), 256, &tr, &err) ==
	      PROTO_ERR_VALUE);
	CHECK(strstr(err.msg, "class: \"b+a*2\" is not a class id") != NULL);
	snprintf(body, sizeof body,
	         "{\"credential\":\"v1:0000-0000-0000-0000-0000-0000-04\","
	         "\"blinded\":\"%s\"}",
	         b256);
	CHECK(proto_token_req_decode(body, strlen(body), 256, &tr, &err) ==
	      PROTO_OK);
	/* The same body for a 384-byte key is the wrong size. */
	CHECK(proto_token_req_decode(body, strlen(body), 384, &tr, &err) ==
	      PROTO_ERR_VALUE);

	snprintf(body, sizeof body,
	         "{\"class\":\"committee+north*3\",\"blind_sig\":\"%s\"}",
	         b256);
	CHECK(proto_token_ans_decode(body, strlen(body), 256, &ta, &err) ==
	      PROTO_OK);
	CHECK_STR(ta.class_id, "committee+north*3");
	t = text_of(proto_token_ans_encode(&ta));
	CHECK_STR(t, body);
	free(t);

	snprintf(body, sizeof body,
	         "{\"class\":\"list*1\",\"token\":\"%s\",\"sig\":\"%s\","
	         "\"ballot\":\"%s\",\"cast_sig\":\"%s\"}",
	         b64b, b256, ballot, bsig);
	CHECK(proto_cast_decode(body, strlen(body), 256, 256, &cast, &err) ==
	      PROTO_OK);
	CHECK(cast.ballot_len == 337 && cast.ballot[336] == 0x66);
	CHECK(cast.token[63] == 0x33 && cast.sig_len == 256);
	CHECK(cast.cast_sig[0] == 0x44 && cast.cast_sig[63] == 0x44);
	t = text_of(proto_cast_encode(&cast));
	CHECK_STR(t, body);
	free(t);
	free(cast.ballot);
	/* cast_sig is required, and 64 bytes. */
	{
		char body2[4096];

		snprintf(body2, sizeof body2,
		         "{\"class\":\"list*1\",\"token\":\"%s\","
		         "\"sig\":\"%s\",\"ballot\":\"%s\"}",
		         b64b, b256, ballot);
		CHECK(proto_cast_decode(body2, strlen(body2), 256, 256, &cast,
		                        &err) == PROTO_ERR_SHAPE);
		CHECK(cast.ballot == NULL);
		CHECK(strstr(err.msg, "cast_sig") != NULL);
		/* 33 bytes (44 characters) are not a cast_sig */
		snprintf(body2, sizeof body2,
		         "{\"class\":\"list*1\",\"token\":\"%s\","
		         "\"sig\":\"%s\",\"ballot\":\"%s\","
		         "\"cast_sig\":\"%.44s\"}",
		         b64b, b256, ballot, bsig);
		CHECK(proto_cast_decode(body2, strlen(body2), 256, 256, &cast,
		                        &err) == PROTO_ERR_VALUE);
		CHECK(cast.ballot == NULL);
		CHECK(strstr(err.msg, "cast_sig: expected 64 bytes") != NULL);
	}
	/* ballot_size 257 wants 338 bytes. */
	CHECK(proto_cast_decode(body, strlen(body), 256, 257, &cast, &err) ==
	      PROTO_ERR_VALUE);
	CHECK(cast.ballot == NULL);
	CHECK(strstr(err.msg, "ballot: expected 338 bytes") != NULL);

	snprintf(
	    body, sizeof body,
	    "{\"tree_size\":1204,\"root\":\"%s\",\"timestamp_ms\":"
	    "1796000000000,\"poll_hash\":\"%s\",\"signature\":\"%s\"}",
	    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    bsig);
	CHECK(proto_sth_decode(body, strlen(body), &sth, &err) == PROTO_OK);
	CHECK(sth.tree_size == 1204 && sth.timestamp_ms == 1796000000000ULL);
	CHECK(sth.root[31] == 0xcc && sth.poll_hash[0] == 0xaa);
	t = text_of(proto_sth_encode(&sth));
	CHECK_STR(t, body);
	free(t);

	{
		char *sthtext = strdup(body);
		int n;

		CHECK(sthtext != NULL);
		n = snprintf(body, sizeof body,
		         "{\"poll\":\"committee-2026\",\"poll_hash\":\"%s\","
		         "\"leaf_index\":41,\"leaf_hash\":\"%s\",\"sth\":%s,"
		         "\"inclusion\":[\"%s\"],\"receipt_sig\":\"%s\","
		         "\"tracker\":\"01234-56789\"}",
		         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		         "aaaaaaaaaaa",
		         "0123456789bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		         "bbbbbbbbbbb",
		         sthtext ? sthtext : "",
		         "ddddddddddddddddddddddddddddddddddddddddddddddddddddd"
		         "ddddddddddd",
		         bsig);
		CHECK(n > 0 && (size_t)n < sizeof body);
		free(sthtext);
	}
	CHECK(proto_receipt_decode(body, strlen(body), &rc, &err) == PROTO_OK);
	if (err.msg[0])
		fprintf(stderr, "%s\n", err.msg);
	CHECK(rc.leaf_index == 41 && rc.ninclusion == 1);
	CHECK_STR(rc.tracker, "01234-56789");
	CHECK(rc.sth.tree_size == 1204);
	t = text_of(proto_receipt_encode(&rc));
	CHECK_STR(t, body);
	free(t);

	snprintf(body, sizeof body,
	         "{\"kind\":\"shares\",\"from\":1,\"to\":3,\"body\":\"AAEC\","
	         "\"sig\":\"%s\"}",
	         bsig);
	CHECK(proto_ceremony_decode(body, strlen(body), 3, &cm, &err) ==
	      PROTO_OK);
	CHECK(cm.kind == PROTO_CER_SHARES && cm.from == 1 && cm.to == 3);
	CHECK(cm.body_len == 3 && cm.body[2] == 2);
	t = text_of(proto_ceremony_encode(&cm));
	CHECK_STR(t, body);
	free(t);
	free(cm.body);

	t = "{\"opens\":null,\"closes\":\"1970-01-01T00:00:01Z\"}";
	CHECK(proto_schedule_decode(t, strlen(t), &o, &c, &err) == PROTO_OK);
	CHECK(o == -1 && c == 1000);

	free(b256);
	free(b64b);
	free(bsig);
	free(ballot);
}

static void ballots(const proto_poll *p)
{
	uint16_t r1[] = {3, 1}, r2[4] = {1, 2, 3, 4}, r3[] = {1, 2, 3},
	         r4[] = {2};
	proto_ballot b = {0}, d;
	proto_err err;
	char *t = NULL;
	size_t len = 0;

	b.choices[0] = (proto_choice){0, r1, 2};
	b.choices[1] = (proto_choice){1, NULL, 0};
	b.nchoices = 2;
	CHECK(proto_ballot_encode(p, "committee+north*3", &b, &t, &len, &err) ==
	      PROTO_OK);
	CHECK_STR(t, "{\"v\":1,\"poll\":\"committee-2026\",\"class\":"
	             "\"committee+north*3\",\"contests\":{\"committee\":[3,1],"
	             "\"north\":[]}}");
	CHECK(t != NULL && len == strlen(t));
	CHECK(proto_ballot_decode(p, "committee+north*3", t, len, &d, &err) ==
	      PROTO_BALLOT_VALID);
	CHECK(d.nchoices == 2 && d.choices[0].contest == 0);
	CHECK(d.choices[0].nranks == 2 && d.choices[0].ranks[0] == 3);
	CHECK(d.choices[1].contest == 1 && d.choices[1].nranks == 0);
	proto_ballot_clear(&d);
	/* Under another class the same bytes are a wrong-class ballot. */
	CHECK(proto_ballot_decode(p, "committee+north*1", t, len, &d, &err) ==
	      PROTO_BALLOT_WRONG_CLASS);
	free(t);
	/* Missing a contest of the class: refused by the encoder too. */
	b.nchoices = 1;
	CHECK(proto_ballot_encode(p, "committee+north*3", &b, &t, &len, &err) ==
	      PROTO_ERR_VALUE);
	/* The longest ballot is exactly proto_poll_max_ballot_len. */
	b.choices[0] = (proto_choice){0, r2, 4};
	b.choices[1] = (proto_choice){1, r3, 3};
	b.choices[2] = (proto_choice){2, r4, 1};
	b.choices[3] = (proto_choice){3, r3, 3};
	b.nchoices = 4;
	CHECK(proto_ballot_encode(p, "committee+list+motion-1+north*1000", &b,
	                          &t, &len, &err) == PROTO_OK);
	CHECK(len == proto_poll_max_ballot_len(p));
	free(t);
	/* A repeat refused by the encoder. */
	r2[1] = 1;
	CHECK(proto_ballot_encode(p, "committee+list+motion-1+north*1000", &b,
	                          &t, &len, &err) == PROTO_ERR_VALUE);

	{
		static const struct {
			const char *text;
			proto_ballot_reason why;
			const char *msg;
		} bad[] = {
		    {"{\"v\":1,\"poll\":\"other\",\"class\":\"list*1\","
		     "\"contests\":{\"list\":[]}}",
		     PROTO_BALLOT_WRONG_POLL, "poll: \"other\""},
		    {"{\"v\":1,\"poll\":\"committee-2026\",\"class\":\"list*"
		     "2\","
		     "\"contests\":{\"list\":[]}}",
		     PROTO_BALLOT_WRONG_CLASS, "class: \"list*2\""},
		    {"{\"v\":1,\"poll\":\"committee-2026\",\"class\":\"list*"
		     "1\","
		     "\"contests\":{\"list\":[],\"north\":[1]}}",
		     PROTO_BALLOT_UNKNOWN_CONTEST,
		     "\"north\" is not a contest"},
		    {"{\"v\":1,\"poll\":\"committee-2026\",\"class\":\"list*"
		     "1\","
		     "\"contests\":{}}",
		     PROTO_BALLOT_MISSING_CONTEST, "no member \"list\""},
		    {"{\"v\":1,\"poll\":\"committee-2026\",\"class\":\"list*"
		     "1\","
		     "\"contests\":{\"list\":[2,3,2]}}",
		     PROTO_BALLOT_REPEATED_CANDIDATE, "contests.list[2]"},
		    {"{\"v\":1,\"poll\":\"committee-2026\",\"class\":\"list*"
		     "1\","
		     "\"contests\":{\"list\":[1,4]}}",
		     PROTO_BALLOT_CANDIDATE_OUT_OF_RANGE, "contests.list[1]"},
		    {"{\"v\":1,\"poll\":\"committee-2026\",\"class\":\"list*"
		     "1\","
		     "\"contests\":{\"list\":[0]}}",
		     PROTO_BALLOT_CANDIDATE_OUT_OF_RANGE, "no such candidate"},
		    {"{\"v\":1,\"poll\":\"committee-2026\",\"class\":\"list*"
		     "1\","
		     "\"contests\":{\"list\":[1,2,3,1,2,3,1]}}",
		     PROTO_BALLOT_REPEATED_CANDIDATE, "contests.list[3]"},
		    {"{\"v\":2,\"poll\":\"committee-2026\",\"class\":\"list*"
		     "1\","
		     "\"contests\":{\"list\":[]}}",
		     PROTO_BALLOT_MALFORMED,
		     "v: expected a whole number from 1 "
		     "to 1, found 2"},
		    {"{\"v\":1,\"poll\":\"committee-2026\",\"class\":\"list*"
		     "1\","
		     "\"contests\":{\"list\":[\"1\"]}}",
		     PROTO_BALLOT_MALFORMED,
		     "contests.list[0]: expected a "
		     "candidate number"},
		    {"{\"v\":1,\"v\":1}", PROTO_BALLOT_MALFORMED, "duplicate"},
		    {"{\"v\":1,\"poll\":\"committee-2026\",\"class\":"
		     "\"motion-1*1\",\"contests\":{\"motion-1\":[1,2]}}",
		     PROTO_BALLOT_TOO_MANY_CHOICES, "one answer"},
		    {"{\"v\":1,\"poll\":\"committee-2026\",\"class\":\"list*"
		     "1\","
		     "\"contests\":{\"list\":[]},\"x\":0}",
		     PROTO_BALLOT_MALFORMED, "x: unknown member"},
		};

		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			const char *cls = strstr(bad[i].text, "motion-1*1")
			                      ? "motion-1*1"
			                      : "list*1";
			proto_ballot_reason why = proto_ballot_decode(
			    p, cls, bad[i].text, strlen(bad[i].text), &d, &err);

			if (why != bad[i].why ||
			    strstr(err.msg, bad[i].msg) == NULL) {
				fprintf(stderr,
				        "ballot %zu: got %s \"%s\", want %s "
				        "\"%s\"\n",
				        i, proto_ballot_reason_name(why),
				        err.msg,
				        proto_ballot_reason_name(bad[i].why),
				        bad[i].msg);
				check_failures++;
			}
			CHECK(d.nchoices == 0);
		}
	}
}

int main(void)
{
	const char *pt = FIX_POLL;
	proto_poll *p;
	proto_err err;

	credentials();
	messages();
	if (proto_poll_parse(pt, strlen(pt), &p, &err) != PROTO_OK) {
		fprintf(stderr, "fixture: %s\n", err.msg);
		return 1;
	}
	ballots(p);
	proto_poll_free(p);
	CHECK_DONE();
}
