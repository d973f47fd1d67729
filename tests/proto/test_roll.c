/*
 * test_roll.c: the roll CSV: RFC 4180 quoting, CRLF and LF, a byte order
 * mark, columns in any order, defaults, classes and their counts, and
 * the small-class check.  Expected class ids worked out by hand from
 * protocol.md section 4 (sorted contest ids, '+', '*', weight).
 */
#include "check.h"
#include "fixture.h"
#include "proto.h"

int main(void)
{
	const char *pt = FIX_POLL;
	static const char csv[] =
	    "\xef\xbb\xbfname,voter_id,weight,contests,email\r\n"
	    "\"Smith, Anne\",v1,,,a@example.org\r\n"
	    "\"Bob \"\"B\"\" Jones\",v2,3,committee;north,\r\n"
	    "\"x,y\",\"v3\",1,north;committee,\r\n"
	    "Dan,v4,,list,\r\n"
	    "\r\n"
	    "Eve,v5,1,committee;north,\n";
	proto_poll *p = NULL;
	proto_roll *r = NULL;
	proto_err err;
	size_t idx[8];

	if (proto_poll_parse(pt, strlen(pt), &p, &err) != PROTO_OK) {
		fprintf(stderr, "fixture: %s\n", err.msg);
		return 1;
	}
	CHECK(proto_roll_parse(p, csv, sizeof csv - 1, &r, &err) == PROTO_OK);
	if (r == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		proto_poll_free(p);
		CHECK_DONE();
	}
	CHECK(r->nvoters == 5);
	CHECK_STR(r->voters[0].voter_id, "v1");
	CHECK_STR(r->voters[0].name, "Smith, Anne");
	CHECK_STR(r->voters[0].email, "a@example.org");
	CHECK(r->voters[0].weight == 1);
	CHECK(r->voters[0].contests == 0xf); /* all four */
	CHECK_STR(r->voters[1].name, "Bob \"B\" Jones");
	CHECK(r->voters[1].weight == 3);
	CHECK(r->voters[1].contests == 0x3); /* committee, north */
	CHECK_STR(r->voters[2].name, "x,y");
	CHECK(r->voters[2].line == 4);
	CHECK(r->voters[3].line == 5);
	CHECK(r->voters[4].line == 7);
	CHECK(r->voters[3].contests == 0x8);
	CHECK_STR(r->voters[3].email, "");
	/* Byte order: "committee+l..." < "committee+n...*1" < "...*3" <
	 * "list*1". */
	CHECK(r->nclasses == 4);
	if (r->nclasses == 4) {
		CHECK_STR(r->classes[0].id, "committee+list+motion-1+north*1");
		CHECK_STR(r->classes[1].id, "committee+north*1");
		CHECK_STR(r->classes[2].id, "committee+north*3");
		CHECK_STR(r->classes[3].id, "list*1");
		CHECK(r->classes[0].count == 1);
		CHECK(r->classes[1].count == 2); /* v3 and v5 */
		CHECK(r->classes[2].count == 1);
		CHECK(r->classes[3].count == 1);
		CHECK(r->classes[2].weight == 3);
		CHECK(r->voters[0].class_index == 0);
		CHECK(r->voters[1].class_index == 2);
		CHECK(r->voters[2].class_index == 1);
		CHECK(r->voters[3].class_index == 3);
		CHECK(r->voters[4].class_index == 1);
	}
	/* min_class_size is 2: three classes of one voter are too small. */
	CHECK(proto_roll_small_classes(r, p, idx, 8) == 3);
	CHECK(idx[0] == 0 && idx[1] == 2 && idx[2] == 3);
	CHECK(proto_roll_small_classes(r, p, idx, 1) == 3);
	proto_roll_free(r);

	/* Class ids both ways. */
	{
		char id[PROTO_CLASS_ID_MAX + 1];
		proto_cset set;
		int w;

		proto_class_id(p, 0xf, 1000, id);
		CHECK_STR(id, "committee+list+motion-1+north*1000");
		CHECK(proto_class_parse(p, id, &set, &w, &err) == PROTO_OK);
		CHECK(set == 0xf && w == 1000);
		CHECK(proto_class_parse(p, "north+committee*1", &set, &w,
		                        &err) == PROTO_ERR_VALUE);
		CHECK(proto_class_parse(p, "committee*0", &set, &w, &err) ==
		      PROTO_ERR_VALUE);
		CHECK(proto_class_parse(p, "committee*1001", &set, &w, &err) ==
		      PROTO_ERR_VALUE);
		CHECK(proto_class_parse(p, "committee+committee*1", &set, &w,
		                        &err) == PROTO_ERR_VALUE);
		CHECK(proto_class_parse(p, "zz*1", &set, &w, &err) ==
		      PROTO_ERR_VALUE);
		CHECK(strstr(err.msg, "no contest \"zz\"") != NULL);
	}

	/* A header alone, LF only, no final line end. */
	{
		static const char one[] = "voter_id\nx1";

		CHECK(proto_roll_parse(p, one, sizeof one - 1, &r, &err) ==
		      PROTO_OK);
		if (r != NULL) {
			CHECK(r->nvoters == 1 && r->nclasses == 1);
			CHECK_STR(r->classes[0].id,
			          "committee+list+motion-1+north*1");
		}
		proto_roll_free(r);
	}
	proto_poll_free(p);
	CHECK_DONE();
}
