/*
 * receipt.c: checking receipts and signed tree heads (protocol.md
 * section 8): check-receipt, board sth, board entries.
 *
 * Rules followed from protocol.md: the tree size and the root always come
 * from one signed tree head; two heads seen are always checked for
 * consistency; a receipt is honoured if its entry is included under the
 * latest head with the same leaf index and hash.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"
#include "sign.h"

#include "ctl.h"

int ctl_sth_verify(const proto_sth *s, const uint8_t board_key[32])
{
	bc_sth b;

	b.tree_size = s->tree_size;
	memcpy(b.root, s->root, 32);
	b.timestamp_ms = s->timestamp_ms;
	memcpy(b.poll_id, s->poll_hash, 32);
	return bc_sth_verify(board_key, &b, s->signature) == BC_OK ? 0 : -1;
}

static void ctl_ok(int verbose, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void ctl_ok(int verbose, const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	fputs("ok   ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

int ctl_receipt_verify(const proto_receipt *r, const uint8_t board_key[32],
                       const uint8_t *entry, size_t entry_len, int verbose)
{
	uint8_t leaf[32];
	proto_buf b = {0};
	int bad;

	if (entry != NULL) {
		if (bc_merkle_leaf_hash(entry, entry_len, leaf) != BC_OK ||
		    memcmp(leaf, r->leaf_hash, 32) != 0) {
			ctl_warnx("FAIL leaf hash: H(0x00 || entry) is not the "
			          "receipt's leaf_hash");
			return CTL_EXIT_REFUSED;
		}
		ctl_ok(verbose, "leaf hash: H(0x00 || entry) = leaf_hash");
	}
	if (ctl_sth_verify(&r->sth, board_key) == -1) {
		ctl_warnx("FAIL receipt tree head: the board key's signature "
		          "does not verify");
		return CTL_EXIT_REFUSED;
	}
	ctl_ok(verbose,
	       "receipt tree head: signed by the board key "
	       "(tree size %" PRIu64 ")",
	       r->sth.tree_size);
	proto_receipt_bytes(&b, r->poll_hash, r->leaf_index, r->leaf_hash,
	                    r->sth.tree_size, r->sth.root);
	if (b.failed) {
		proto_buf_free(&b);
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	bad = bc_ed25519_verify(board_key, b.p, b.len, r->receipt_sig) != BC_OK;
	proto_buf_free(&b);
	if (bad) {
		ctl_warnx("FAIL receipt signature: receipt_sig does not verify "
		          "under the board key");
		return CTL_EXIT_REFUSED;
	}
	ctl_ok(verbose, "receipt signature: receipt_sig verifies");
	if (bc_merkle_verify_inclusion(r->leaf_hash, r->leaf_index,
	                               r->sth.tree_size, &r->inclusion[0][0],
	                               r->ninclusion, r->sth.root) != BC_OK) {
		ctl_warnx("FAIL receipt inclusion: leaf %" PRIu64 " is not "
		          "proved in the receipt's tree of %" PRIu64 " leaves",
		          r->leaf_index, r->sth.tree_size);
		return CTL_EXIT_REFUSED;
	}
	ctl_ok(verbose,
	       "receipt inclusion: leaf %" PRIu64 " in the tree of "
	       "%" PRIu64 " leaves",
	       r->leaf_index, r->sth.tree_size);
	return CTL_EXIT_OK;
}

/*
 * A receipt file: ballotctl's own form
 *   {"format": "ballotctl-receipt/1", "server": ..., "receipt": {...},
 *    "board_key": "<base64url>", "entry": "<base64url>"}
 * or a bare receipt of api.md (as the voter's page saves it).
 */
struct ctl_rfile {
	proto_receipt r;
	int have_board_key;
	uint8_t board_key[32];
	uint8_t *entry; /* malloc'd, or NULL */
	size_t entry_len;
};

static int ctl_rfile_read(const char *path, struct ctl_rfile *f)
{
	json_error_t je;
	json_t *v = NULL, *m;
	char *text = NULL, *rtext = NULL;
	size_t len;
	const char *k;
	proto_err perr;
	int rc = CTL_EXIT_REFUSED;

	memset(f, 0, sizeof(*f));
	if (ctl_read_file(path, 64u * 1024u * 1024u, &text, &len) == -1)
		return CTL_EXIT_IO;
	v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL) {
		ctl_warnx("%s: line %d, column %d: %s", path, je.line,
		          je.column, je.text);
		goto out;
	}
	if (!json_is_object(v)) {
		ctl_warnx("%s: (top level): expected an object", path);
		goto out;
	}
	if (json_object_get(v, "format") == NULL) {
		/* A bare receipt. */
		if (proto_receipt_decode(text, len, &f->r, &perr) != PROTO_OK) {
			ctl_warnx("%s: %s", path, perr.msg);
			goto out;
		}
		rc = CTL_EXIT_OK;
		goto out;
	}
	json_object_foreach(v, k, m)
	{
		if (strcmp(k, "format") && strcmp(k, "server") &&
		    strcmp(k, "receipt") && strcmp(k, "board_key") &&
		    strcmp(k, "entry")) {
			ctl_warnx("%s: %s: unknown member", path, k);
			goto out;
		}
	}
	m = json_object_get(v, "format");
	if (!json_is_string(m) ||
	    strcmp(json_string_value(m), "ballotctl-receipt/1") != 0) {
		ctl_warnx("%s: format: expected \"ballotctl-receipt/1\"", path);
		goto out;
	}
	m = json_object_get(v, "receipt");
	if (!json_is_object(m)) {
		ctl_warnx("%s: receipt: %s", path,
		          m ? "expected an object" : "missing member");
		goto out;
	}
	if ((rtext = proto_json_text(m, &len)) == NULL) {
		ctl_warnx("out of memory");
		rc = CTL_EXIT_IO;
		goto out;
	}
	if (proto_receipt_decode(rtext, len, &f->r, &perr) != PROTO_OK) {
		ctl_warnx("%s: receipt.%s", path, perr.msg);
		goto out;
	}
	m = json_object_get(v, "board_key");
	if (m != NULL) {
		if (!json_is_string(m) ||
		    ctl_unb64url(json_string_value(m), f->board_key, 32, 32,
		                 NULL) == -1) {
			ctl_warnx("%s: board_key: expected 32 bytes in "
			          "base64url (43 characters)",
			          path);
			goto out;
		}
		f->have_board_key = 1;
	}
	m = json_object_get(v, "entry");
	if (m != NULL) {
		const char *s = json_string_value(m);
		size_t sl = s ? strlen(s) : 0;

		if (s == NULL || (f->entry = malloc(sl * 3 / 4 + 1)) == NULL ||
		    ctl_unb64url(s, f->entry, sl * 3 / 4 + 1, 0,
		                 &f->entry_len) == -1) {
			ctl_warnx("%s: entry: expected the board entry in "
			          "base64url",
			          path);
			goto out;
		}
	}
	rc = CTL_EXIT_OK;
out:
	if (rc != CTL_EXIT_OK) {
		free(f->entry);
		f->entry = NULL;
	}
	free(rtext);
	free(text);
	json_decref(v);
	return rc;
}

/* A proof array of hex hashes into out (cap hashes).  0 or -1. */
static int ctl_proof(json_t *a, uint8_t (*out)[32], size_t cap, size_t *count)
{
	json_t *e;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > cap)
		return -1;
	json_array_foreach(a, i, e)
	{
		if (!json_is_string(e) ||
		    ctl_unhex(json_string_value(e), out[i], 32) == -1)
			return -1;
	}
	*count = json_array_size(a);
	return 0;
}

/* GET board/sth, decoded and its signature checked.  An exit code. */
static int ctl_fetch_sth(struct ctl *c, struct ctl_http *h, const char *poll,
                         const uint8_t poll_hash[32],
                         const uint8_t board_key[32], proto_sth *s,
                         json_t **raw)
{
	char path[128];
	struct ctl_resp r;
	proto_err perr;
	int rc;

	snprintf(path, sizeof(path), "/polls/%s/board/sth", poll);
	rc =
	    ctl_call(c, h, "GET", path, NULL, NULL, 0, CTL_CALL_RETRY, raw, &r);
	if (rc != CTL_EXIT_OK) {
		ctl_resp_free(&r);
		return rc;
	}
	if (proto_sth_decode(r.body, r.len, s, &perr) != PROTO_OK) {
		ctl_warnx("FAIL latest tree head: GET %s: %s", path, perr.msg);
		ctl_resp_free(&r);
		return CTL_EXIT_REFUSED;
	}
	ctl_resp_free(&r);
	if (memcmp(s->poll_hash, poll_hash, 32) != 0) {
		ctl_warnx("FAIL latest tree head: it names another poll_hash");
		return CTL_EXIT_REFUSED;
	}
	if (ctl_sth_verify(s, board_key) == -1) {
		ctl_warnx("FAIL latest tree head: the board key's signature "
		          "does not verify");
		return CTL_EXIT_REFUSED;
	}
	return CTL_EXIT_OK;
}

int ctl_cmd_check_receipt(struct ctl *c)
{
	const char *poll = c->args[0], *path = c->args[1];
	struct ctl_rfile f;
	struct ctl_poll p;
	struct ctl_http *h = NULL;
	proto_sth latest;
	json_t *v = NULL;
	char q[256], lh[65];
	uint8_t(*proof)[32] = NULL;
	size_t count;
	int rc, have_poll = 0;

	rc = ctl_rfile_read(path, &f);
	if (rc != CTL_EXIT_OK)
		return rc;
	rc = CTL_EXIT_REFUSED;
	if (strcmp(f.r.poll, poll) != 0) {
		ctl_warnx("FAIL poll: the receipt is for poll \"%s\", not "
		          "\"%s\"",
		          f.r.poll, poll);
		goto out;
	}
	if ((h = ctl_http_new(c)) == NULL ||
	    (proof = calloc(BC_MERKLE_MAX_PROOF, 32)) == NULL) {
		ctl_warnx("out of memory");
		rc = CTL_EXIT_IO;
		goto out;
	}
	if ((rc = ctl_poll_fetch(c, h, poll, &p)) != CTL_EXIT_OK)
		goto out;
	have_poll = 1;
	rc = CTL_EXIT_REFUSED;
	if (memcmp(p.poll_hash, f.r.poll_hash, 32) != 0) {
		ctl_warnx("FAIL poll hash: the receipt's poll_hash is not the "
		          "poll's");
		goto out;
	}
	ctl_ok(1,
	       "poll hash: the receipt names poll %s as the server "
	       "publishes it",
	       poll);
	if (!p.have_board_key) {
		ctl_warnx("FAIL board key: the server publishes none for %s",
		          poll);
		goto out;
	}
	if (f.have_board_key) {
		if (memcmp(f.board_key, p.board_key, 32) != 0) {
			ctl_warnx("FAIL board key: the server's board key is "
			          "not the one the receipt was signed with");
			goto out;
		}
		ctl_ok(1, "board key: unchanged since the vote");
	}
	if ((rc = ctl_receipt_verify(&f.r, p.board_key, f.entry, f.entry_len,
	                             1)) != CTL_EXIT_OK)
		goto out;
	rc = ctl_fetch_sth(c, h, poll, p.poll_hash, p.board_key, &latest, NULL);
	if (rc != CTL_EXIT_OK)
		goto out;
	rc = CTL_EXIT_REFUSED;
	if (latest.tree_size < f.r.sth.tree_size) {
		ctl_warnx("FAIL latest tree head: size %" PRIu64 " is smaller "
		          "than the receipt's %" PRIu64 ": the board shrank",
		          latest.tree_size, f.r.sth.tree_size);
		goto out;
	}
	ctl_ok(1,
	       "latest tree head: signed by the board key (tree size %" PRIu64
	       ")",
	       latest.tree_size);

	/* Inclusion under the latest head, by leaf hash. */
	ctl_hex(f.r.leaf_hash, 32, lh);
	snprintf(q, sizeof(q),
	         "/polls/%s/board/inclusion?leaf_hash=%s&"
	         "tree_size=%" PRIu64,
	         poll, lh, latest.tree_size);
	if ((rc = ctl_call(c, h, "GET", q, NULL, NULL, 0, CTL_CALL_RETRY, &v,
	                   NULL)) != CTL_EXIT_OK)
		goto out;
	rc = CTL_EXIT_REFUSED;
	{
		json_t *li = json_object_get(v, "leaf_index");
		json_t *ts = json_object_get(v, "tree_size");

		if (!json_is_integer(li) ||
		    (uint64_t)json_integer_value(li) != f.r.leaf_index) {
			ctl_warnx("FAIL latest inclusion: the server places "
			          "the leaf at another index than the "
			          "receipt's %" PRIu64,
			          f.r.leaf_index);
			goto out;
		}
		if (ts != NULL &&
		    (!json_is_integer(ts) ||
		     (uint64_t)json_integer_value(ts) != latest.tree_size)) {
			ctl_warnx("FAIL latest inclusion: the proof is for "
			          "another tree size");
			goto out;
		}
	}
	if (ctl_proof(json_object_get(v, "proof"), proof, BC_MERKLE_MAX_PROOF,
	              &count) == -1) {
		ctl_warnx("FAIL latest inclusion: GET %s: proof: expected an "
		          "array of hex hashes",
		          q);
		goto out;
	}
	if (bc_merkle_verify_inclusion(f.r.leaf_hash, f.r.leaf_index,
	                               latest.tree_size, &proof[0][0], count,
	                               latest.root) != BC_OK) {
		ctl_warnx("FAIL latest inclusion: leaf %" PRIu64 " is not "
		          "proved in the latest tree of %" PRIu64 " leaves",
		          f.r.leaf_index, latest.tree_size);
		goto out;
	}
	ctl_ok(1,
	       "latest inclusion: leaf %" PRIu64 " in the tree of %" PRIu64
	       " leaves",
	       f.r.leaf_index, latest.tree_size);
	json_decref(v);
	v = NULL;

	/* The receipt's head is a prefix of the latest. */
	if (latest.tree_size == f.r.sth.tree_size) {
		if (memcmp(latest.root, f.r.sth.root, 32) != 0) {
			ctl_warnx("FAIL consistency: two signed heads of size "
			          "%" PRIu64 " with different roots",
			          latest.tree_size);
			goto out;
		}
		count = 0;
	} else {
		snprintf(q, sizeof(q),
		         "/polls/%s/board/consistency?first=%" PRIu64
		         "&second=%" PRIu64,
		         poll, f.r.sth.tree_size, latest.tree_size);
		if ((rc = ctl_call(c, h, "GET", q, NULL, NULL, 0,
		                   CTL_CALL_RETRY, &v, NULL)) != CTL_EXIT_OK)
			goto out;
		rc = CTL_EXIT_REFUSED;
		if (ctl_proof(json_object_get(v, "proof"), proof,
		              BC_MERKLE_MAX_PROOF, &count) == -1) {
			ctl_warnx("FAIL consistency: GET %s: proof: expected "
			          "an array of hex hashes",
			          q);
			goto out;
		}
		if (bc_merkle_verify_consistency(
		        f.r.sth.tree_size, latest.tree_size, f.r.sth.root,
		        latest.root, &proof[0][0], count) != BC_OK) {
			ctl_warnx(
			    "FAIL consistency: the receipt's tree of %" PRIu64
			    " leaves is not a prefix of the latest "
			    "of %" PRIu64,
			    f.r.sth.tree_size, latest.tree_size);
			goto out;
		}
	}
	ctl_ok(1,
	       "consistency: the receipt's tree (%" PRIu64 ") is a prefix "
	       "of the latest (%" PRIu64 ")",
	       f.r.sth.tree_size, latest.tree_size);
	printf("receipt %s: honoured: leaf %" PRIu64 " under the tree head of "
	       "%" PRIu64 " leaves\n",
	       f.r.tracker, f.r.leaf_index, latest.tree_size);
	rc = CTL_EXIT_OK;
out:
	json_decref(v);
	free(proof);
	free(f.entry);
	if (have_poll)
		ctl_poll_clear(&p);
	ctl_http_free(h);
	return rc;
}

int ctl_cmd_board_sth(struct ctl *c)
{
	const char *poll = c->args[0];
	struct ctl_http *h = ctl_http_new(c);
	struct ctl_poll p;
	proto_sth s;
	json_t *raw = NULL;
	char root[65], ts[25];
	int rc;

	if (h == NULL) {
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	if ((rc = ctl_poll_fetch(c, h, poll, &p)) != CTL_EXIT_OK) {
		ctl_http_free(h);
		return rc;
	}
	if (!p.have_board_key) {
		ctl_warnx("the server publishes no board key for %s (state %s)",
		          poll, p.state);
		rc = CTL_EXIT_REFUSED;
	} else {
		rc = ctl_fetch_sth(c, h, poll, p.poll_hash, p.board_key, &s,
		                   &raw);
	}
	if (rc == CTL_EXIT_OK) {
		if (c->json) {
			ctl_print_json(raw);
		} else {
			ctl_hex(s.root, 32, root);
			proto_time_format((int64_t)s.timestamp_ms, ts);
			printf("tree_size %" PRIu64 "\nroot %s\ntime %s\n"
			       "signature: verified with the board key\n",
			       s.tree_size, root, ts);
		}
	}
	json_decref(raw);
	ctl_poll_clear(&p);
	ctl_http_free(h);
	return rc;
}

/* Whole number option value; -1 if not one. */
static long long ctl_count_opt(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < 0 || v > PROTO_JSON_INT_MAX)
		return -1;
	return v;
}

int ctl_cmd_board_entries(struct ctl *c)
{
	const char *poll = c->args[0];
	const char *sa = ctl_opt(c, "start"), *sb = ctl_opt(c, "end");
	long long a = sa ? ctl_count_opt(sa) : 0;
	long long b = sb ? ctl_count_opt(sb) : 0;
	struct ctl_http *h;
	json_t *v = NULL, *list, *e;
	char q[160];
	size_t i;
	int rc;

	if (a < 0 || b < 0 || (sb != NULL && b < a)) {
		ctl_warnx("board entries: --start and --end must be whole "
		          "numbers with start <= end");
		return CTL_EXIT_USAGE;
	}
	if ((h = ctl_http_new(c)) == NULL) {
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	if (sb != NULL)
		snprintf(q, sizeof(q),
		         "/polls/%s/board/entries?start=%lld&end=%lld", poll, a,
		         b);
	else
		snprintf(q, sizeof(q), "/polls/%s/board/entries?start=%lld",
		         poll, a);
	rc = ctl_call(c, h, "GET", q, NULL, NULL, 0, CTL_CALL_RETRY, &v, NULL);
	ctl_http_free(h);
	if (rc != CTL_EXIT_OK)
		return rc;
	list = json_is_array(v) ? v : json_object_get(v, "entries");
	if (c->json || !json_is_array(list)) {
		ctl_print_json(v);
		json_decref(v);
		return CTL_EXIT_OK;
	}
	/* One line per entry: its index and leaf hash, computed here from
	 * the entry's bytes when the server sends them. */
	json_array_foreach(list, i, e)
	{
		const char *s = json_string_value(e);
		json_t *idx = json_object_get(e, "index");
		uint8_t *buf, leaf[32];
		const char *lhs, *cls;
		char hex[65];
		size_t sl, got;

		if (s == NULL)
			s = json_string_value(json_object_get(e, "entry"));
		if (idx == NULL)
			idx = json_object_get(e, "leaf_index");
		printf("%lld ", json_is_integer(idx)
		                    ? (long long)json_integer_value(idx)
		                    : a + (long long)i);
		if (s == NULL) {
			char *t = json_dumps(e, JSON_COMPACT);

			printf("%s\n", t ? t : "?");
			free(t);
			continue;
		}
		sl = strlen(s);
		if ((buf = malloc(sl * 3 / 4 + 1)) == NULL ||
		    ctl_unb64url(s, buf, sl * 3 / 4 + 1, 0, &got) == -1 ||
		    bc_merkle_leaf_hash(buf, got, leaf) != BC_OK) {
			free(buf);
			json_decref(v);
			ctl_warnx("entry %zu: not base64url", i);
			return CTL_EXIT_REFUSED;
		}
		free(buf);
		ctl_hex(leaf, 32, hex);
		lhs = json_string_value(json_object_get(e, "leaf_hash"));
		if (lhs != NULL && strcmp(lhs, hex) != 0) {
			printf("%s\n", hex);
			ctl_warnx(
			    "FAIL entry %lld: the server's leaf_hash %.64s "
			    "is not H(0x00 || entry)",
			    a + (long long)i, lhs);
			json_decref(v);
			return CTL_EXIT_REFUSED;
		}
		cls = json_string_value(json_object_get(e, "class"));
		printf("%s%s%s\n", hex, cls ? " " : "", cls ? cls : "");
	}
	json_decref(v);
	return CTL_EXIT_OK;
}
