/*
 * test_poll.c: the poll definition: a valid one read field by field,
 * defaults, times, the worst-case ballot size (worked out with python3
 * from the ballot's form), and the poll_hash of the accepted bytes.
 */
#include "check.h"
#include "fixture.h"
#include "proto.h"

#include <stdlib.h>

/* A poll with one STV contest of n candidates and the given size. */
static char *big_poll(int n, int ballot_size)
{
	size_t cap = 4096 + (size_t)n * 32, o = 0;
	char *s = malloc(cap);

	o += (size_t)snprintf(s + o, cap - o,
	                      "{\"format\":\"ballot-poll/1\",\"id\":\"p\","
	                      "\"title\":\"T\",\"ballot_size\":%d,"
	                      "\"contests\":[{\"id\":\"c\",\"title\":\"C\","
	                      "\"seats\":1,\"candidates\":[",
	                      ballot_size);
	for (int i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s{\"name\":\"n%d\"}",
		                      i ? "," : "", i);
	snprintf(s + o, cap - o,
	         "]}],\"trustees\":{\"k\":1,\"members\":[{\"name\":\"A\","
	         "\"sign_key\":\"" FIX_SIGN_A "\",\"hpke_key\":\"" FIX_HPKE_A
	         "\"}]}}");
	return s;
}

int main(void)
{
	const char *text = FIX_POLL;
	proto_poll *p = NULL;
	proto_err err;
	uint8_t h[32];
	char t[25];

	CHECK(proto_poll_parse(text, strlen(text), &p, &err) == PROTO_OK);
	if (p == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		CHECK_DONE();
	}
	CHECK_STR(p->id, "committee-2026");
	CHECK_STR(p->title, "Committee election 2026");
	/* date -u -d 2026-12-01T09:00:00Z +%s -> 1796115600 */
	CHECK(p->opens_ms == 1796115600000LL);
	/* date -u -d 2026-12-14T17:00:00Z +%s -> 1797267600 */
	CHECK(p->closes_ms == 1797267600000LL);
	CHECK(p->revoting == 0);
	CHECK(p->ballot_size == 1024);
	CHECK(p->min_class_size == 2);
	CHECK(p->ncontests == 4);
	CHECK_STR(p->contests[0].id, "committee");
	CHECK(p->contests[0].kind == PROTO_KIND_STV);
	CHECK_STR(p->contests[0].rule, "scottish-stv");
	CHECK(p->contests[0].seats == 2);
	CHECK(p->contests[0].ncandidates == 4);
	CHECK_STR(p->contests[0].candidates[0].name, "Anne SMITH");
	CHECK(p->contests[0].candidates[0].ncategories == 2);
	CHECK_STR(p->contests[0].candidates[0].categories[1], "north");
	CHECK(p->contests[0].candidates[3].ncategories == 0);
	CHECK(p->contests[0].nconstraints == 2);
	CHECK_STR(p->contests[0].constraints[0].category, "women");
	CHECK(p->contests[0].constraints[0].min == 1);
	CHECK(p->contests[0].constraints[0].max == 2); /* = seats */
	CHECK(p->contests[0].constraints[1].min == 0);
	CHECK(p->contests[0].constraints[1].max == 1);
	CHECK(p->contests[1].kind == PROTO_KIND_OPTION);
	CHECK_STR(p->contests[1].rule, "irv"); /* the default */
	CHECK(p->contests[1].seats == 1);
	CHECK(p->contests[2].kind == PROTO_KIND_REFERENDUM);
	CHECK(p->contests[2].threshold_num == 2);
	CHECK(p->contests[2].threshold_den == 3);
	CHECK(p->contests[2].abstentions_included == 1);
	CHECK(p->contests[3].kind == PROTO_KIND_ORDERED_LIST);
	CHECK(p->contests[3].seats == 3); /* implied */
	CHECK_STR(p->contests[3].rule, "meek");
	CHECK(p->k == 2 && p->ntrustees == 3);
	CHECK_STR(p->trustees[1].name, "Trustee B");
	CHECK(p->trustees[1].sign_key[0] == 2 &&
	      p->trustees[1].sign_key[31] == 2);
	CHECK(p->trustees[0].hpke_key[0] == 0x04);
	CHECK(proto_poll_contest_index(p, "list") == 3);
	CHECK(proto_poll_contest_index(p, "nope") == -1);
	/* python3: len('{"v":1,"poll":"committee-2026","class":'
	 * '"committee+list+motion-1+north*1000","contests":{"committee":'
	 * '[1,2,3,4],"north":[1,2,3],"motion-1":[2],"list":[1,2,3]}}') */
	CHECK(proto_poll_max_ballot_len(p) == 157);
	/* The accepted bytes are kept verbatim and hashed. */
	CHECK(p->nbytes == strlen(text) &&
	      memcmp(p->bytes, text, p->nbytes) == 0);
	CHECK(proto_poll_hash(text, strlen(text), h) == PROTO_OK);
	CHECK(memcmp(h, p->poll_hash, 32) == 0);
	proto_poll_free(p);

	/* Defaults: no times, no revoting, ballot_size 1024, min 10. */
	{
		const char *d =
		    "{\"format\":\"ballot-poll/"
		    "1\",\"id\":\"x\",\"title\":\"X\","
		    "\"opens\":null,\"contests\":[{\"id\":\"a\",\"title\":"
		    "\"A\","
		    "\"seats\":1,\"candidates\":[{\"name\":\"N\"}]}],"
		    "\"trustees\":{\"k\":1,\"members\":[{\"name\":\"A\","
		    "\"sign_key\":\"" FIX_SIGN_A "\",\"hpke_key\":\"" FIX_HPKE_A
		    "\"}]}}";

		CHECK(proto_poll_parse(d, strlen(d), &p, &err) == PROTO_OK);
		if (p != NULL) {
			CHECK(p->opens_ms == -1 && p->closes_ms == -1);
			CHECK(p->revoting == 0 && p->ballot_size == 1024);
			CHECK(p->min_class_size == 10);
			CHECK_STR(p->contests[0].rule, "scottish-stv");
			proto_poll_free(p);
		} else
			fprintf(stderr, "%s\n", err.msg);
	}

	/* ballot_size against the largest ballot: python3 gives 346 bytes
	 * for 100 candidates, so 4 + 346 = 350 is the least accepted. */
	{
		char *s = big_poll(100, 350);

		CHECK(proto_poll_parse(s, strlen(s), &p, &err) == PROTO_OK);
		if (p != NULL)
			CHECK(proto_poll_max_ballot_len(p) == 346);
		proto_poll_free(p);
		free(s);
		s = big_poll(100, 349);
		CHECK(proto_poll_parse(s, strlen(s), &p, &err) ==
		      PROTO_ERR_VALUE);
		CHECK(p == NULL);
		CHECK(strstr(err.msg, "ballot_size: 349 is too small") != NULL);
		CHECK(strstr(err.msg, "350") != NULL);
		free(s);
	}

	/* Times. */
	CHECK(proto_time_parse("1970-01-01T00:00:00Z", 20) == 0);
	CHECK(proto_time_parse("1970-01-01T00:00:01.5Z", 22) == 1500);
	CHECK(proto_time_parse("1970-01-01T00:00:01.25Z", 23) == 1250);
	CHECK(proto_time_parse("1970-01-01T00:00:01.125Z", 24) == 1125);
	/* date -u -d 2024-02-29T12:00:00Z +%s -> 1709208000 */
	CHECK(proto_time_parse("2024-02-29T12:00:00Z", 20) == 1709208000000LL);
	CHECK(proto_time_parse("2023-02-29T12:00:00Z", 20) == -1);
	CHECK(proto_time_parse("2100-02-29T12:00:00Z", 20) == -1);
	CHECK(proto_time_parse("2000-02-29T12:00:00Z", 20) > 0);
	CHECK(proto_time_parse("2026-12-01T09:00:00+01:00", 25) == -1);
	CHECK(proto_time_parse("2026-12-01 09:00:00Z", 20) == -1);
	CHECK(proto_time_parse("2026-12-01T24:00:00Z", 20) == -1);
	CHECK(proto_time_parse("2026-12-01T23:59:60Z", 20) == -1);
	CHECK(proto_time_parse("2026-12-01T09:00:00.Z", 21) == -1);
	CHECK(proto_time_parse("2026-12-01T09:00:00z", 20) == -1);
	CHECK(proto_time_parse("1969-12-31T23:59:59Z", 20) == -1);
	CHECK(proto_time_parse("2026-13-01T09:00:00Z", 20) == -1);
	proto_time_format(1796115600000LL, t);
	CHECK_STR(t, "2026-12-01T09:00:00Z");
	proto_time_format(1709208000123LL, t);
	CHECK_STR(t, "2024-02-29T12:00:00.123Z");
	CHECK_DONE();
}
