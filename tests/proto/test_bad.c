/*
 * test_bad.c: bad input, row by row.  Each row is a poll definition (the
 * fixture with one substring replaced), a roll CSV (against the fixture
 * poll) or an API message, with the status and the fragment of the error
 * message (path, line and column) it must give.  Message bodies use
 * placeholders: @256 is base64url of 256 bytes, @64 of 64 bytes, @337 of
 * 337 bytes, @H 64 hex digits ("aa"...) and @T the tracker of @H.
 */
#include "check.h"
#include "encode.h"
#include "fixture.h"
#include "proto.h"

#include <stdlib.h>

enum { POLL, ROLL, TREQ, TANS, CAST, STH, RECEIPT, CER, SCHED };

static const struct row {
	int what;
	const char *a, *b; /* POLL: replace a by b; else a is the input */
	proto_status st;
	const char *msg;
	int line, column; /* checked when line > 0 */
} rows[] = {
    /* The poll definition. */
    {POLL, "\"seats\":2", "\"seats\":\"x\"", PROTO_ERR_SHAPE,
     "contests[0].seats: expected a whole number from 1 to 4, found \"x\"", 0,
     0},
    {POLL, "\"seats\":2", "\"seats\":5", PROTO_ERR_VALUE,
     "contests[0].seats: expected a whole number from 1 to 4, found 5", 0, 0},
    {POLL, "\"seats\":2", "\"seats\":0", PROTO_ERR_VALUE,
     "contests[0].seats: expected a whole number from 1 to 4, found 0", 0, 0},
    {POLL, "\"id\":\"committee-2026\"", "\"id\":\"Committee\"", PROTO_ERR_VALUE,
     "id: expected [a-z0-9][a-z0-9-]{0,62}, found \"Committee\"", 0, 0},
    {POLL, "{\"id\":\"north\"", "{\"id\":\"committee\"", PROTO_ERR_VALUE,
     "contests[1].id: \"committee\" repeats contests[0].id", 0, 0},
    {POLL, "{\"id\":\"north\"", "{\"id\":\"-north\"", PROTO_ERR_VALUE,
     "contests[1].id: expected [a-z0-9][a-z0-9-]{0,31}", 0, 0},
    {POLL, "{\"name\":\"Eve\"}", "{\"name\":\"Dan\"}", PROTO_ERR_VALUE,
     "contests[1].candidates[1].name: \"Dan\" repeats candidates[0]", 0, 0},
    {POLL, "\"kind\":\"option\"", "\"kind\":\"option\",\"rule\":\"meek\"",
     PROTO_ERR_VALUE,
     "contests[1].rule: \"meek\" is not a rule for kind \"option\"", 0, 0},
    {POLL, "\"kind\":\"stv\"", "\"kind\":\"approval\"", PROTO_ERR_VALUE,
     "contests[0].kind: expected \"stv\"", 0, 0},
    {POLL, "\"kind\":\"referendum\"",
     "\"kind\":\"referendum\",\"rule\":\"irv\"", PROTO_ERR_VALUE,
     "contests[2].rule: a referendum has no rule", 0, 0},
    {POLL, "{\"category\":\"north\",\"max\":1}",
     "{\"category\":\"south\",\"max\":1}", PROTO_ERR_VALUE,
     "contests[0].constraints[1].category: no candidate has category "
     "\"south\"",
     0, 0},
    {POLL, "\"category\":\"women\",\"min\":1",
     "\"category\":\"women\",\"min\":2,\"max\":1", PROTO_ERR_VALUE,
     "contests[0].constraints[0]: min 2 is above max 1", 0, 0},
    {POLL, "\"max\":1}", "\"max\":3}", PROTO_ERR_VALUE,
     "contests[0].constraints[1].max: expected a whole number from 0 to 2, "
     "found 3",
     0, 0},
    {POLL, "{\"category\":\"north\",\"max\":1}", "{\"category\":\"north\"}",
     PROTO_ERR_SHAPE, "contests[0].constraints[1]: needs \"min\"", 0, 0},
    {POLL, "{\"category\":\"north\",\"max\":1}",
     "{\"category\":\"women\",\"max\":1}", PROTO_ERR_VALUE,
     "contests[0].constraints[1].category: \"women\" already has a "
     "constraint",
     0, 0},
    {POLL, "[\"women\",\"north\"]", "[\"women\",\"women\"]", PROTO_ERR_VALUE,
     "contests[0].candidates[0].categories[1]: \"women\" is listed twice", 0,
     0},
    {POLL, "\"k\":2", "\"k\":4", PROTO_ERR_VALUE,
     "trustees.k: expected a whole number from 1 to 3, found 4", 0, 0},
    {POLL, "\"k\":2", "\"k\":0", PROTO_ERR_VALUE,
     "trustees.k: expected a whole number from 1 to 3, found 0", 0, 0},
    {POLL, "\"opens\":\"2026-12-01T09:00:00Z\"",
     "\"opens\":\"2026-12-15T09:00:00Z\"", PROTO_ERR_VALUE,
     "closes: must be later than opens", 0, 0},
    {POLL, "\"opens\":\"2026-12-01T09:00:00Z\"",
     "\"opens\":\"2026-12-01T09:00:00+01:00\"", PROTO_ERR_VALUE,
     "opens: expected an RFC 3339 UTC time", 0, 0},
    {POLL, "\"ballot_size\":1024", "\"ballot_size\":100", PROTO_ERR_VALUE,
     "ballot_size: expected a whole number from 256 to 65536, found 100", 0, 0},
    {POLL, "\"min_class_size\":2", "\"min_class_size\":2.0", PROTO_ERR_SHAPE,
     "min_class_size: expected a whole number from 1 to 1000000, found 2.0", 0,
     0},
    {POLL, "\"revoting\":false", "\"revoting\":false,\"colour\":\"red\"",
     PROTO_ERR_SHAPE, "colour: unknown member", 0, 0},
    {POLL, "\"revoting\":false", "\"revoting\":false,\"revoting\":true",
     PROTO_ERR_SYNTAX, "duplicate object key", 1, 0},
    {POLL, "\"revoting\":false", "\"revoting\":0", PROTO_ERR_SHAPE,
     "revoting: expected true or false, found 0", 0, 0},
    {POLL, "\"title\":\"Committee election 2026\",", "", PROTO_ERR_SHAPE,
     "(top level): missing member \"title\"", 0, 0},
    {POLL, "\"title\":\"Committee election 2026\"", "\"title\":\"\"",
     PROTO_ERR_VALUE, "title: must not be empty", 0, 0},
    {POLL, "ballot-poll/1", "ballot-poll/2", PROTO_ERR_VALUE,
     "format: expected \"ballot-poll/1\"", 0, 0},
    {POLL, FIX_HPKE_A,
     "BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
     "AAAAAAAAAAAAAAAAAA",
     PROTO_ERR_VALUE,
     "trustees.members[0].hpke_key: not an uncompressed P-256 point", 0, 0},
    {POLL, FIX_SIGN_B, "AQEB", PROTO_ERR_VALUE,
     "trustees.members[1].sign_key: expected 32 bytes in base64url (43 "
     "characters), found 4 characters",
     0, 0},
    {POLL, FIX_SIGN_B, FIX_SIGN_A, PROTO_ERR_VALUE,
     "trustees.members[1].sign_key: the same key as members[0]", 0, 0},
    {POLL, "\"seats\":2,",
     "\"seats\":2,\"threshold\":{\"numerator\":1,\"denominator\":2},",
     PROTO_ERR_VALUE,
     "contests[0].threshold: only a referendum has a "
     "threshold",
     0, 0},
    {POLL, "\"numerator\":2", "\"numerator\":3", PROTO_ERR_VALUE,
     "contests[2].threshold.numerator: expected a whole number from 1 to 2, "
     "found 3",
     0, 0},
    {POLL, "\"rule\":\"meek\",", "\"rule\":\"meek\",\"seats\":2,",
     PROTO_ERR_VALUE,
     "contests[3].seats: expected a whole number from 3 to 3, found 2", 0, 0},
    {POLL, "{\"name\":\"F\"}", "\"F\"", PROTO_ERR_SHAPE,
     "contests[3].candidates[0]: expected an object, found \"F\"", 0, 0},
    {POLL, "{\"name\":\"Yes\"},", "", PROTO_ERR_VALUE,
     "contests[2].candidates: expected 2 to 1000 candidates for kind "
     "\"referendum\", found 1",
     0, 0},
    {POLL, "\"Anne SMITH\"", "\"Anne\\tSMITH\"", PROTO_ERR_VALUE,
     "contests[0].candidates[0].name: control character at byte 4", 0, 0},
    {POLL, "{\"format\"", "{\n \"format\":,", PROTO_ERR_SYNTAX,
     "line 2, column", 2, 0},

    /* The roll. */
    {ROLL, "", NULL, PROTO_ERR_SYNTAX, "line 1, column 1: empty roll", 1, 1},
    {ROLL, "email\nx@y\n", NULL, PROTO_ERR_VALUE,
     "the header has no voter_id column", 1, 1},
    {ROLL, "voter_id,age\n", NULL, PROTO_ERR_VALUE,
     "line 1, column 10: unknown column \"age\"", 1, 10},
    {ROLL, "voter_id,voter_id\n", NULL, PROTO_ERR_VALUE,
     "line 1, column 10: column \"voter_id\" appears twice", 1, 10},
    {ROLL, "voter_id,weight\nv1,0\n", NULL, PROTO_ERR_VALUE,
     "line 2, column 4: weight: expected a whole number from 1 to 1000, "
     "found \"0\"",
     2, 4},
    {ROLL, "voter_id,weight\r\nv1,2\r\nv2,1001\r\n", NULL, PROTO_ERR_VALUE,
     "line 3, column 4: weight: expected a whole number from 1 to 1000, "
     "found \"1001\"",
     3, 4},
    {ROLL, "voter_id,weight\nv1,2x\n", NULL, PROTO_ERR_VALUE, "found \"2x\"", 2,
     4},
    {ROLL, "voter_id\nv1\nv2\n\"v1\"\n", NULL, PROTO_ERR_VALUE,
     "line 4, column 1: voter_id: \"v1\" repeats line 2", 4, 1},
    {ROLL, "voter_id,contests\nv1,south\n", NULL, PROTO_ERR_VALUE,
     "line 2, column 4: contests: \"south\" is not a contest of this poll", 2,
     4},
    {ROLL, "voter_id,contests\nv1,north;north\n", NULL, PROTO_ERR_VALUE,
     "contests: \"north\" is listed twice", 2, 4},
    {ROLL, "voter_id,contests\nv1,north;\n", NULL, PROTO_ERR_VALUE,
     "contests: \"\" is not a contest", 2, 4},
    {ROLL, "voter_id,name\n,Ann\n", NULL, PROTO_ERR_VALUE,
     "line 2, column 1: voter_id: must not be empty", 2, 1},
    {ROLL, "voter_id\n\"v1\n", NULL, PROTO_ERR_SYNTAX,
     "line 2, column 1: quoted field not closed", 2, 1},
    {ROLL, "voter_id\nv\"1\n", NULL, PROTO_ERR_SYNTAX,
     "line 2, column 2: a quote inside an unquoted field", 2, 2},
    {ROLL, "voter_id\n\"v1\"x\n", NULL, PROTO_ERR_SYNTAX,
     "line 2, column 5: text after a closing quote", 2, 5},
    {ROLL, "voter_id,name\nv1\n", NULL, PROTO_ERR_SYNTAX,
     "line 2, column 1: expected 2 fields as in the header, found 1", 2, 1},
    {ROLL, "voter_id,name,weight\nv1,\"a\nb\",1\n", NULL, PROTO_ERR_VALUE,
     "line 2, column 4: name:", 2, 4},
    {ROLL, "voter_id\nv 1\n", NULL, PROTO_ERR_VALUE,
     "voter_id: expected 1 to 128 printable ASCII characters", 2, 1},
    {ROLL, "voter_id\rv1\n", NULL, PROTO_ERR_SYNTAX,
     "line 1, column 9: a CR not followed by LF", 1, 9},
    {ROLL, "voter_id,email\nv1,nobody\n", NULL, PROTO_ERR_VALUE,
     "line 2, column 4: email:", 2, 4},
    {ROLL, "voter_id\n", NULL, PROTO_ERR_VALUE, "the roll has no voters", 2, 1},
    {ROLL, "\xef\xbb\xbfvoter_id,name\nv1,\"\xc3\x28\"\n", NULL,
     PROTO_ERR_VALUE, "line 2, column 4: name:", 2, 4},

    /* Messages. */
    {TREQ, "{\"credential\":\"v1:0000-0000-0000-0000-0000-0000-04\"}", NULL,
     PROTO_ERR_SHAPE, "(top level): missing member \"blinded\"", 0, 0},
    {TREQ,
     "{\"credential\":\"v1:0000-0000-0000-0000-0000-0000-04\","
     "\"blinded\":\"AAAA\"}",
     NULL, PROTO_ERR_VALUE,
     "blinded: expected 256 bytes in base64url (342 characters), found 4 "
     "characters",
     0, 0},
    {TREQ, "{\"credential\":\"v1:0000\",\"blinded\":\"@256\"}", NULL,
     PROTO_ERR_VALUE, "credential: the secret must be 26 Crockford", 0, 0},
    {TREQ,
     "{\"credential\":\"v1:0000-0000-0000-0000-0000-0000-04\","
     "\"blinded\":\"@256\",\"extra\":1}",
     NULL, PROTO_ERR_SHAPE, "extra: unknown member", 0, 0},
    {TREQ, "[1,2]", NULL, PROTO_ERR_SHAPE, "(top level): expected an object", 0,
     0},
    {TANS, "{\"class\":\"committee*1\",\"blind_sig\":\"@256=\"}", NULL,
     PROTO_ERR_VALUE, "blind_sig: expected 256 bytes", 0, 0},
    {TANS, "{\"class\":\"committee*1\",\"blind_sig\":\"@64+/\"}", NULL,
     PROTO_ERR_VALUE, "blind_sig: not base64url", 0, 0},
    {CAST,
     "{\"class\":\"north+committee*1\",\"token\":\"@64\",\"sig\":\"@256\","
     "\"ballot\":\"@337\"}",
     NULL, PROTO_ERR_VALUE, "class: \"north+committee*1\" is not a class id", 0,
     0},
    {CAST,
     "{\"class\":\"north*0\",\"token\":\"@64\",\"sig\":\"@256\","
     "\"ballot\":\"@337\"}",
     NULL, PROTO_ERR_VALUE, "class: \"north*0\" is not a class id", 0, 0},
    {CAST,
     "{\"class\":\"north*1\",\"token\":\"@256\",\"sig\":\"@256\","
     "\"ballot\":\"@337\"}",
     NULL, PROTO_ERR_VALUE, "token: expected 64 bytes", 0, 0},
    {CAST, "{\"class\":\"north*1\",\"token\":\"@64\",\"sig\":\"@256\"}", NULL,
     PROTO_ERR_SHAPE, "(top level): missing member \"ballot\"", 0, 0},
    {STH,
     "{\"tree_size\":-1,\"root\":\"@H\",\"timestamp_ms\":1,"
     "\"poll_hash\":\"@H\",\"signature\":\"@64\"}",
     NULL, PROTO_ERR_VALUE,
     "tree_size: expected a whole number from 0 to 9007199254740991, found "
     "-1",
     0, 0},
    {STH,
     "{\"tree_size\":1,\"root\":\"AA@H\",\"timestamp_ms\":1,"
     "\"poll_hash\":\"@H\",\"signature\":\"@64\"}",
     NULL, PROTO_ERR_VALUE, "root: expected 64 lowercase hex digits", 0, 0},
    {STH,
     "{\"tree_size\":1,\"root\":\"@H\",\"timestamp_ms\":1,"
     "\"poll_hash\":\"@H\",\"signature\":\"@64\",\"signature\":\"@64\"}",
     NULL, PROTO_ERR_SYNTAX, "duplicate object key", 0, 0},
    {RECEIPT,
     "{\"poll\":\"p\",\"poll_hash\":\"@H\",\"leaf_index\":3,\"leaf_hash\":"
     "\"@H\",\"sth\":{\"tree_size\":3,\"root\":\"@H\",\"timestamp_ms\":1,"
     "\"poll_hash\":\"@H\",\"signature\":\"@64\"},\"inclusion\":[],"
     "\"receipt_sig\":\"@64\",\"tracker\":\"@T\"}",
     NULL, PROTO_ERR_VALUE, "sth.tree_size: 3 does not cover leaf_index 3", 0,
     0},
    {RECEIPT,
     "{\"poll\":\"p\",\"poll_hash\":\"@H\",\"leaf_index\":2,\"leaf_hash\":"
     "\"@H\",\"sth\":{\"tree_size\":3,\"root\":\"@H\",\"timestamp_ms\":1,"
     "\"poll_hash\":\"@H\",\"signature\":\"@64\"},\"inclusion\":[],"
     "\"receipt_sig\":\"@64\",\"tracker\":\"aaaaa-aaaab\"}",
     NULL, PROTO_ERR_VALUE,
     "tracker: expected \"aaaaa-aaaaa\" (from leaf_hash), found "
     "\"aaaaa-aaaab\"",
     0, 0},
    {RECEIPT,
     "{\"poll\":\"p\",\"poll_hash\":\"@H\",\"leaf_index\":2,\"leaf_hash\":"
     "\"@H\",\"sth\":{\"tree_size\":3,\"root\":\"@H\",\"timestamp_ms\":1,"
     "\"poll_hash\":\"@H\",\"signature\":\"@64\",\"x\":1},\"inclusion\":[],"
     "\"receipt_sig\":\"@64\",\"tracker\":\"@T\"}",
     NULL, PROTO_ERR_SHAPE, "sth.x: unknown member", 0, 0},
    {RECEIPT,
     "{\"poll\":\"p\",\"poll_hash\":\"@H\",\"leaf_index\":2,\"leaf_hash\":"
     "\"@H\",\"sth\":{\"tree_size\":3,\"root\":\"@H\",\"timestamp_ms\":1,"
     "\"poll_hash\":\"@H\",\"signature\":\"@64\"},\"inclusion\":[\"@H\","
     "7],\"receipt_sig\":\"@64\",\"tracker\":\"@T\"}",
     NULL, PROTO_ERR_SHAPE, "inclusion[1]: expected a hex string, found 7", 0,
     0},
    {CER,
     "{\"kind\":\"gossip\",\"from\":1,\"to\":0,\"body\":\"AA\","
     "\"sig\":\"@64\"}",
     NULL, PROTO_ERR_VALUE, "kind: expected commitments, shares", 0, 0},
    {CER,
     "{\"kind\":\"answer\",\"from\":2,\"to\":2,\"body\":\"AA\","
     "\"sig\":\"@64\"}",
     NULL, PROTO_ERR_VALUE, "to: a trustee does not write to itself", 0, 0},
    {CER,
     "{\"kind\":\"shares\",\"from\":2,\"to\":0,\"body\":\"AA\","
     "\"sig\":\"@64\"}",
     NULL, PROTO_ERR_VALUE, "to: shares go to one trustee", 0, 0},
    {CER,
     "{\"kind\":\"done\",\"from\":0,\"to\":0,\"body\":\"AA\","
     "\"sig\":\"@64\"}",
     NULL, PROTO_ERR_VALUE,
     "from: expected a whole number from 1 to 3, "
     "found 0",
     0, 0},
    {CER,
     "{\"kind\":\"done\",\"from\":1,\"to\":2,\"body\":\"AA\","
     "\"sig\":\"@64\"}",
     NULL, PROTO_ERR_VALUE, "to: a \"done\" message goes to all (0)", 0, 0},
    {CER,
     "{\"kind\":\"done\",\"from\":1,\"to\":0,\"body\":\"\","
     "\"sig\":\"@64\"}",
     NULL, PROTO_ERR_VALUE, "body: expected 1 to 65536 bytes", 0, 0},
    {SCHED, "{\"opens\":null}", NULL, PROTO_ERR_SHAPE,
     "(top level): missing member \"closes\"", 0, 0},
    {SCHED,
     "{\"opens\":\"2026-01-02T00:00:00Z\",\"closes\":"
     "\"2026-01-01T00:00:00Z\"}",
     NULL, PROTO_ERR_VALUE, "closes: must be later than opens", 0, 0},
};

/* s with the first a replaced by b, malloc'd; NULL if a is not in s. */
static char *replace(const char *s, const char *a, const char *b)
{
	const char *at = strstr(s, a);
	size_t n;
	char *r;

	if (at == NULL)
		return NULL;
	n = strlen(s) - strlen(a) + strlen(b);
	r = malloc(n + 1);
	memcpy(r, s, (size_t)(at - s));
	strcpy(r + (at - s), b);
	strcat(r, at + strlen(a));
	return r;
}

static char *b64(size_t n)
{
	uint8_t *p = calloc(1, n);
	char *s = malloc(BC_B64URL_LEN(n) + 1);

	memset(p, 0x5a, n);
	if (bc_b64url_encode(p, n, s, BC_B64URL_LEN(n) + 1, NULL) != BC_OK)
		s[0] = '\0';
	free(p);
	return s;
}

/* The placeholders filled in. */
static char *expand(const char *t)
{
	static const char *const keys[] = {"@256", "@337", "@64", "@H", "@T"};
	char *s = strdup(t), *vals[5];

	vals[0] = b64(256);
	vals[1] = b64(337);
	vals[2] = b64(64);
	vals[3] = strdup(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	vals[4] = strdup("aaaaa-aaaaa");
	for (int k = 0; k < 5; k++) {
		char *r;

		while ((r = replace(s, keys[k], vals[k])) != NULL) {
			free(s);
			s = r;
		}
	}
	for (int k = 0; k < 5; k++)
		free(vals[k]);
	return s;
}

int main(void)
{
	const char *fix = FIX_POLL;
	proto_poll *p;
	proto_err err;
	size_t npoll = 0, nroll = 0, nmsg = 0;

	if (proto_poll_parse(fix, strlen(fix), &p, &err) != PROTO_OK) {
		fprintf(stderr, "fixture: %s\n", err.msg);
		return 1;
	}
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		char *in =
		    r->what == POLL ? replace(fix, r->a, r->b) : expand(r->a);
		proto_status st = PROTO_OK;
		size_t len;

		if (in == NULL) {
			fprintf(stderr, "row %zu: \"%s\" not in the fixture\n",
			        i, r->a);
			check_failures++;
			continue;
		}
		len = strlen(in);
		memset(&err, 0, sizeof err);
		switch (r->what) {
		case POLL: {
			proto_poll *q = NULL;

			st = proto_poll_parse(in, len, &q, &err);
			if (q != NULL || st == PROTO_OK)
				check_failures++;
			proto_poll_free(q);
			npoll++;
			break;
		}
		case ROLL: {
			proto_roll *q = NULL;

			st = proto_roll_parse(p, in, len, &q, &err);
			if (q != NULL || st == PROTO_OK)
				check_failures++;
			proto_roll_free(q);
			nroll++;
			break;
		}
		case TREQ: {
			proto_token_req m;

			st = proto_token_req_decode(in, len, 256, &m, &err);
			nmsg++;
			break;
		}
		case TANS: {
			proto_token_ans m;

			st = proto_token_ans_decode(in, len, 256, &m, &err);
			nmsg++;
			break;
		}
		case CAST: {
			proto_cast m;

			st = proto_cast_decode(in, len, 256, 256, &m, &err);
			if (m.ballot != NULL)
				check_failures++;
			nmsg++;
			break;
		}
		case STH: {
			proto_sth m;

			st = proto_sth_decode(in, len, &m, &err);
			nmsg++;
			break;
		}
		case RECEIPT: {
			proto_receipt m;

			st = proto_receipt_decode(in, len, &m, &err);
			nmsg++;
			break;
		}
		case CER: {
			proto_ceremony_msg m;

			st = proto_ceremony_decode(in, len, 3, &m, &err);
			if (m.body != NULL)
				check_failures++;
			nmsg++;
			break;
		}
		case SCHED: {
			int64_t o, c;

			st = proto_schedule_decode(in, len, &o, &c, &err);
			nmsg++;
			break;
		}
		}
		if (st != r->st || strstr(err.msg, r->msg) == NULL ||
		    (r->line > 0 && err.line != r->line) ||
		    (r->column > 0 && err.column != r->column)) {
			fprintf(stderr,
			        "row %zu: got %s \"%s\" (line %d, column %d)\n"
			        "  want %s \"%s\" (line %d, column %d)\n",
			        i, proto_status_name(st), err.msg, err.line,
			        err.column, proto_status_name(r->st), r->msg,
			        r->line, r->column);
			check_failures++;
		}
		free(in);
	}
	/* The fixture itself passes: every row above fails because of its
	 * own change. */
	CHECK(npoll >= 30 && nroll >= 20 && nmsg >= 20);
	proto_poll_free(p);
	CHECK_DONE();
}
