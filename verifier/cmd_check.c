/*
 * cmd_check.c: `verifier check`, the scrutineer's independent check of a
 * published election record (docs/record.md, "What verifier check
 * checks").  Every check runs even after another has failed, and every
 * failure is reported as  FAIL <file>:<line or member> <check>: <what>.
 */
#include "check.h"
#include "encode.h"
#include "hpke.h"
#include "merkle.h"
#include "sign.h"
#include "stv.h"
#include "verifier.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- reporting ---------------------------------------------------- */

static void vfail(struct vc *c, const char *file, const char *where,
                  const char *check, const char *fmt, va_list ap)
{
	char what[1024];
	struct vc_failure *f;

	vsnprintf(what, sizeof(what), fmt, ap);
	if (c->nf == c->capf) {
		size_t nc = c->capf ? c->capf * 2 : 64;
		struct vc_failure *nf = realloc(c->f, nc * sizeof(*nf));

		if (nf == NULL)
			return; /* reported as "out of memory" at the end */
		c->f = nf;
		c->capf = nc;
	}
	f = &c->f[c->nf];
	f->file = strdup(file);
	f->where = strdup(where);
	f->check = strdup(check);
	f->what = strdup(what);
	c->nf++;
}

void vc_fail(struct vc *c, const char *file, const char *where,
             const char *check, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(c, file, where, check, fmt, ap);
	va_end(ap);
}

void vc_fail_line(struct vc *c, const char *file, size_t line,
                  const char *check, const char *fmt, ...)
{
	char where[32];
	va_list ap;

	if (line)
		snprintf(where, sizeof(where), "%zu", line);
	else
		snprintf(where, sizeof(where), "-");
	va_start(ap, fmt);
	vfail(c, file, where, check, fmt, ap);
	va_end(ap);
}

/* ---- JSON helpers ------------------------------------------------- */

int vc_get_str(struct vc *c, const char *file, size_t line, json_t *o,
               const char *key, const char **out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v)) {
		vc_fail_line(c, file, line, "format", "%s: %s", key,
		             v ? "expected a string" : "missing");
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int vc_get_int(struct vc *c, const char *file, size_t line, json_t *o,
               const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		vc_fail_line(c, file, line, "format", "%s: %s", key,
		             v ? "expected a whole number" : "missing");
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

int vc_get_hex(struct vc *c, const char *file, size_t line, json_t *o,
               const char *key, uint8_t *out, size_t n)
{
	const char *s;
	size_t got;

	if (vc_get_str(c, file, line, o, key, &s))
		return -1;
	if (bc_hex_decode(s, strlen(s), out, n, &got) != BC_OK || got != n) {
		vc_fail_line(c, file, line, "format",
		             "%s: expected %zu bytes in lowercase hex", key, n);
		return -1;
	}
	return 0;
}

int vc_get_b64(struct vc *c, const char *file, size_t line, json_t *o,
               const char *key, size_t cap, uint8_t **out, size_t *len)
{
	const char *s;
	size_t sl;

	*out = NULL;
	if (vc_get_str(c, file, line, o, key, &s))
		return -1;
	sl = strlen(s);
	if (sl / 4 * 3 + 3 > cap + 3 ||
	    (*out = malloc(sl / 4 * 3 + 3)) == NULL) {
		vc_fail_line(c, file, line, "format", "%s: too long", key);
		return -1;
	}
	if (bc_b64url_decode(s, sl, *out, sl / 4 * 3 + 3, len) != BC_OK ||
	    *len > cap) {
		free(*out);
		*out = NULL;
		vc_fail_line(c, file, line, "format",
		             "%s: not base64url (no padding)", key);
		return -1;
	}
	return 0;
}

/* The fixed-size base64url member key into out[n]. */
static int get_b64n(struct vc *c, const char *file, size_t line, json_t *o,
                    const char *key, uint8_t *out, size_t n)
{
	uint8_t *b;
	size_t len;

	if (vc_get_b64(c, file, line, o, key, n, &b, &len))
		return -1;
	if (len != n) {
		free(b);
		vc_fail_line(c, file, line, "format", "%s: expected %zu bytes",
		             key, n);
		return -1;
	}
	memcpy(out, b, n);
	free(b);
	return 0;
}

/* The file, or NULL after a "missing" failure. */
static const vr_file *need(struct vc *c, const char *name)
{
	const vr_file *f = vr_record_find(c->rec, name);

	if (f == NULL)
		vc_fail(c, name, "-", "missing", "the record has no %s", name);
	return f;
}

/* A JSON object from text[0..len), duplicate keys refused; NULL after a
 * "format" failure. */
static json_t *load_obj(struct vc *c, const char *file, size_t line,
                        const char *text, size_t len)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);

	if (o == NULL || !json_is_object(o)) {
		if (line == 0 && o == NULL)
			vc_fail(c, file, "-", "format",
			        "line %d, column %d: %s", je.line, je.column,
			        je.text);
		else
			vc_fail_line(c, file, line, "format", "%s",
			             o ? "expected a JSON object" : je.text);
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Every line of a .jsonl file as a JSON object (NULL where it does not
 * read; reported). */
struct lines {
	struct vc *c;
	const char *file;
	json_t **o;
	size_t n, cap;
};

static void line_cb(void *ctx, size_t lineno, const char *text, size_t len)
{
	struct lines *l = ctx;

	while (l->n < lineno) {
		if (l->n == l->cap) {
			size_t nc = l->cap ? l->cap * 2 : 64;
			json_t **no = realloc(l->o, nc * sizeof(*no));

			if (no == NULL)
				return;
			l->o = no;
			l->cap = nc;
		}
		l->o[l->n++] = NULL;
	}
	l->o[lineno - 1] = load_obj(l->c, l->file, lineno, text, len);
}

static void line_bad(void *ctx, size_t lineno, const char *msg)
{
	struct lines *l = ctx;

	vc_fail_line(l->c, l->file, lineno, "format", "%s", msg);
}

static int read_lines(struct vc *c, const char *file, struct lines *l)
{
	const vr_file *f = need(c, file);

	memset(l, 0, sizeof(*l));
	l->c = c;
	l->file = file;
	if (f == NULL)
		return -1;
	vr_jsonl_lines(f, line_cb, l, line_bad);
	return 0;
}

static void free_lines(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		json_decref(l->o[i]);
	free(l->o);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	size_t len;

	if (bc_hex_encode(b, n, out, 2 * n + 1, &len) != BC_OK)
		out[0] = '\0';
	else
		out[len] = '\0';
}

/* ---- 1. the poll, its hash, keys.json ----------------------------- */

static void check_poll(struct vc *c)
{
	const vr_file *f = need(c, "poll.json");
	proto_err pe;

	if (f == NULL)
		return;
	if (proto_poll_parse((const char *)f->data, f->len, &c->poll, &pe) !=
	    PROTO_OK) {
		vc_fail(c, "poll.json", "-", "poll",
		        "not a valid poll definition: %s", pe.msg);
		c->poll = NULL;
		/* The hash is still the hash of these bytes. */
		if (proto_poll_hash(f->data, f->len, c->poll_hash) == PROTO_OK)
			c->have_hash = 1;
		return;
	}
	memcpy(c->poll_hash, c->poll->poll_hash, 32);
	c->have_hash = 1;
}

/* Compares a named poll_hash (hex) with poll.json's. */
static void names_hash(struct vc *c, const char *file, size_t line, json_t *o,
                       const char *where)
{
	uint8_t h[32];

	if (vc_get_hex(c, file, line, o, "poll_hash", h, 32) == 0 &&
	    c->have_hash && memcmp(h, c->poll_hash, 32) != 0) {
		char a[65], b[65];

		hex(h, 32, a);
		hex(c->poll_hash, 32, b);
		vc_fail(c, file, where, "poll-hash",
		        "poll_hash %s is not the hash of poll.json (%s)", a, b);
	}
}

static void check_keys(struct vc *c)
{
	const vr_file *f = need(c, "keys.json");
	json_t *o, *classes, *v;
	const char *id;
	size_t i;

	if (f == NULL || (o = load_obj(c, "keys.json", 0, (const char *)f->data,
	                               f->len)) == NULL)
		return;
	if (vc_get_str(c, "keys.json", 0, o, "poll", &id) == 0 && c->poll &&
	    strcmp(id, c->poll->id) != 0)
		vc_fail(c, "keys.json", "poll", "poll-hash",
		        "poll '%s' is not poll.json's '%s'", id, c->poll->id);
	names_hash(c, "keys.json", 0, o, "poll_hash");
	if (get_b64n(c, "keys.json", 0, o, "board_key", c->board_key, 32) == 0)
		c->have_board = 1;
	if (get_b64n(c, "keys.json", 0, o, "election_key", c->ekey, 65) == 0)
		c->have_ekey = 1;
	classes = json_object_get(o, "classes");
	if (!json_is_array(classes)) {
		vc_fail(c, "keys.json", "classes", "format",
		        "expected an array");
		json_decref(o);
		return;
	}
	c->ncls = json_array_size(classes);
	c->cls = calloc(c->ncls ? c->ncls : 1, sizeof(*c->cls));
	if (c->cls == NULL)
		c->ncls = 0;
	json_array_foreach(classes, i, v)
	{
		struct vc_class *k = &c->cls[i];
		char where[48];
		const char *cid;
		uint8_t *der;
		size_t len;
		proto_err pe;

		if (i >= c->ncls)
			break;
		snprintf(where, sizeof(where), "classes[%zu]", i);
		if (!json_is_object(v) ||
		    vc_get_str(c, "keys.json", 0, v, "id", &cid) ||
		    strlen(cid) > PROTO_CLASS_ID_MAX) {
			vc_fail(c, "keys.json", where, "format",
			        "expected {\"id\", \"token_key\", \"voters\"}");
			continue;
		}
		strcpy(k->id, cid);
		if (c->poll && proto_class_parse(c->poll, cid, &k->contests,
		                                 &k->weight, &pe) != PROTO_OK)
			vc_fail(c, "keys.json", where, "keys",
			        "'%s' is not a class of the poll: %s", cid,
			        pe.msg);
		vc_get_int(c, "keys.json", 0, v, "voters", &k->voters);
		if (vc_get_b64(c, "keys.json", 0, v, "token_key", 4096, &der,
		               &len) == 0) {
			proto_sha256(der, len, k->key_hash);
			if (bc_brsa_key_from_spki_der(der, len, &k->key) !=
			    BC_OK) {
				k->key = NULL;
				vc_fail(c, "keys.json", where, "keys",
				        "token_key is not an RSA public key");
			}
			free(der);
		}
	}
	json_decref(o);
}

/* ---- 2. the state records ----------------------------------------- */

static struct vc_class *class_by_id(struct vc *c, const char *id)
{
	for (size_t i = 0; i < c->ncls; i++)
		if (strcmp(c->cls[i].id, id) == 0)
			return &c->cls[i];
	return NULL;
}

/* The open record's keys against keys.json. */
static void state_open(struct vc *c, size_t line, json_t *d)
{
	json_t *classes = json_object_get(d, "classes"), *v;
	uint8_t k[65];
	size_t i;
	const char *F = "states.jsonl";

	if (get_b64n(c, F, line, d, "board_key", k, 32) == 0 &&
	    (!c->have_board || memcmp(k, c->board_key, 32) != 0))
		vc_fail_line(c, F, line, "keys",
		             "the open record's board_key is not keys.json's");
	if (get_b64n(c, F, line, d, "election_key", k, 65) == 0 &&
	    (!c->have_ekey || memcmp(k, c->ekey, 65) != 0))
		vc_fail_line(c, F, line, "keys",
		             "the open record's election_key is not "
		             "keys.json's");
	if (!json_is_array(classes)) {
		vc_fail_line(c, F, line, "format",
		             "classes: expected an array");
		return;
	}
	if (json_array_size(classes) != c->ncls)
		vc_fail_line(c, F, line, "keys",
		             "the open record names %zu classes, keys.json %zu",
		             json_array_size(classes), c->ncls);
	json_array_foreach(classes, i, v)
	{
		const char *id;
		int64_t voters;
		struct vc_class *kc;

		if (vc_get_str(c, F, line, v, "id", &id) ||
		    vc_get_hex(c, F, line, v, "token_key_hash", k, 32) ||
		    vc_get_int(c, F, line, v, "voters", &voters))
			continue;
		if ((kc = class_by_id(c, id)) == NULL) {
			vc_fail_line(c, F, line, "keys",
			             "class '%s' is not in keys.json", id);
			continue;
		}
		if (memcmp(k, kc->key_hash, 32) != 0)
			vc_fail_line(c, F, line, "keys",
			             "class '%s': token_key_hash is not the "
			             "hash of keys.json's token_key",
			             id);
		if (voters != kc->voters)
			vc_fail_line(c, F, line, "keys",
			             "class '%s': %lld voters, keys.json says "
			             "%lld",
			             id, (long long)voters,
			             (long long)kc->voters);
	}
}

static void state_closed(struct vc *c, size_t line, json_t *d)
{
	json_t *sth = json_object_get(d, "sth");
	const char *F = "states.jsonl";
	int64_t v;

	c->have_closed = 1;
	if (json_is_null(sth)) {
		c->closed_empty = 1;
		return;
	}
	if (!json_is_object(sth)) {
		vc_fail_line(c, F, line, "format", "sth: expected an object");
		c->have_closed = 0;
		return;
	}
	c->closed.line = line;
	if (vc_get_int(c, F, line, sth, "tree_size", &v) == 0)
		c->closed.size = (uint64_t)v;
	if (vc_get_int(c, F, line, sth, "timestamp_ms", &v) == 0)
		c->closed.ts = (uint64_t)v;
	if (vc_get_hex(c, F, line, sth, "root", c->closed.root, 32) ||
	    get_b64n(c, F, line, sth, "signature", c->closed.sig, 64))
		c->have_closed = 0;
	names_hash(c, F, line, sth, "sth.poll_hash");
}

static void check_states(struct vc *c)
{
	struct lines l;
	uint8_t prev[32] = {0};
	int opened = 0;
	const char *F = "states.jsonl";

	if (read_lines(c, F, &l))
		return;
	for (size_t i = 0; i < l.n; i++) {
		json_t *o = l.o[i], *det, *parsed;
		int64_t n, t;
		const char *kind;
		uint8_t *db = NULL, h[32], rh[32], rp[32], sig[64];
		size_t dl;
		proto_buf rec = {0};
		json_error_t je;

		if (o == NULL)
			continue;
		if (vc_get_int(c, F, i + 1, o, "n", &n) ||
		    vc_get_str(c, F, i + 1, o, "kind", &kind) ||
		    vc_get_int(c, F, i + 1, o, "time_ms", &t) ||
		    vc_get_b64(c, F, i + 1, o, "details_bytes", 1 << 24, &db,
		               &dl) ||
		    vc_get_hex(c, F, i + 1, o, "prev", rp, 32) ||
		    vc_get_hex(c, F, i + 1, o, "hash", rh, 32) ||
		    get_b64n(c, F, i + 1, o, "signature", sig, 64)) {
			free(db);
			continue;
		}
		if ((uint64_t)n != i)
			vc_fail_line(c, F, i + 1, "state-chain",
			             "n is %lld, expected %zu", (long long)n,
			             i);
		if (memcmp(rp, prev, 32) != 0)
			vc_fail_line(c, F, i + 1, "state-chain",
			             "prev is not the hash of record %zu",
			             i ? i - 1 : 0);
		/* Chain on: the record names its own prev; a break is
		 * reported once, where it is. */
		proto_state_record(&rec, c->poll_hash, (uint64_t)n, kind,
		                   (uint64_t)t, (const char *)db, dl, rp);
		if (rec.failed) {
			proto_buf_free(&rec);
			free(db);
			continue;
		}
		proto_sha256(rec.p, rec.len, h);
		if (memcmp(h, rh, 32) != 0)
			vc_fail_line(c, F, i + 1, "state-chain",
			             "hash is not H(rec_%lld)", (long long)n);
		if (!c->have_board || bc_ed25519_verify(c->board_key, rec.p,
		                                        rec.len, sig) != BC_OK)
			vc_fail_line(c, F, i + 1, "state-signature",
			             "the board key's signature of record %lld "
			             "does not verify",
			             (long long)n);
		proto_buf_free(&rec);
		memcpy(prev, h, 32);
		det = json_object_get(o, "details");
		parsed = json_loadb((const char *)db, dl,
		                    JSON_REJECT_DUPLICATES, &je);
		free(db);
		if (parsed == NULL || !json_is_object(parsed)) {
			vc_fail_line(c, F, i + 1, "format",
			             "details_bytes is not a JSON object");
			json_decref(parsed);
			continue;
		}
		if (det == NULL || !json_equal(det, parsed))
			vc_fail_line(c, F, i + 1, "state-details",
			             "details is not what details_bytes says");
		if (strcmp(kind, "open") == 0) {
			state_open(c, i + 1, parsed);
			opened = 1;
		} else if (strcmp(kind, "closed") == 0)
			state_closed(c, i + 1, parsed);
		json_decref(parsed);
	}
	if (!opened)
		vc_fail(c, F, "-", "keys", "no open record names the keys");
	if (!c->have_closed)
		vc_fail(c, F, "-", "final-head",
		        "no closed record names the final tree head");
	free_lines(&l);
}

/* ---- 3. the key ceremony, 4. election-key.json --------------------- */

static int kind_of(const char *s)
{
	for (int k = PROTO_CER_COMMITMENTS; k <= PROTO_CER_RELEASE; k++)
		if (strcmp(s, proto_ceremony_kind_name(k)) == 0)
			return k;
	return -1;
}

static void check_ceremony(struct vc *c)
{
	struct lines l;
	const char *F = "ceremony.jsonl";
	int have_qual = 0;
	size_t n;

	if (read_lines(c, F, &l))
		return;
	if (c->poll == NULL) {
		free_lines(&l);
		return;
	}
	n = c->poll->ntrustees;
	c->have_dkg = bc_dkg_params_init(&c->dkg, (const uint8_t *)c->poll->id,
	                                 strlen(c->poll->id), (unsigned)n,
	                                 (unsigned)c->poll->k) == BC_OK;
	for (size_t i = 0; i < l.n; i++) {
		json_t *o = l.o[i];
		const char *ks;
		int64_t seq, from, to;
		uint8_t *body = NULL, sig[64];
		size_t bl;
		int kind;
		proto_buf b = {0};
		bc_error be;

		if (o == NULL)
			continue;
		if (vc_get_int(c, F, i + 1, o, "seq", &seq) ||
		    vc_get_str(c, F, i + 1, o, "kind", &ks) ||
		    vc_get_int(c, F, i + 1, o, "from", &from) ||
		    vc_get_int(c, F, i + 1, o, "to", &to) ||
		    vc_get_b64(c, F, i + 1, o, "body", PROTO_BODY_MAX, &body,
		               &bl) ||
		    get_b64n(c, F, i + 1, o, "sig", sig, 64)) {
			free(body);
			continue;
		}
		if ((kind = kind_of(ks)) < 0 || from < 1 || (size_t)from > n ||
		    (size_t)to > n) {
			vc_fail_line(c, F, i + 1, "format",
			             "kind '%s' from %lld to %lld: not a "
			             "ceremony message of this poll",
			             ks, (long long)from, (long long)to);
			free(body);
			continue;
		}
		proto_ceremony_bytes(&b, c->poll_hash, ks, (uint64_t)from,
		                     (uint64_t)to, body, bl);
		if (b.failed ||
		    bc_ed25519_verify(c->poll->trustees[from - 1].sign_key, b.p,
		                      b.len, sig) != BC_OK) {
			vc_fail_line(c, F, i + 1, "ceremony-signature",
			             "%s from trustee %lld: the trustee's "
			             "signature does not verify",
			             ks, (long long)from);
			proto_buf_free(&b);
			free(body);
			continue;
		}
		proto_buf_free(&b);
		if (!c->have_dkg) {
			free(body);
			continue;
		}
		if (kind == PROTO_CER_COMMITMENTS) {
			bc_dkg_commitments cm;

			if (bc_dkg_commitments_decode(&c->dkg, body, bl, &cm,
			                              &be) != BC_OK ||
			    cm.dealer != (unsigned)from)
				vc_fail_line(c, F, i + 1, "format",
				             "commitments: %s", be.msg);
			else {
				c->commits[from - 1] = cm;
				c->have_commit[from - 1] = 1;
			}
		} else if (kind == PROTO_CER_DONE) {
			uint64_t q = 0;

			if (bl != 65 + 8) {
				vc_fail_line(c, F, i + 1, "format",
				             "done: expected Y and QUAL");
			} else {
				for (int j = 0; j < 8; j++)
					q = q << 8 | body[65 + j];
				if (have_qual && q != c->qual)
					vc_fail_line(
					    c, F, i + 1, "joint-key",
					    "trustee %lld's QUAL differs "
					    "from the first done's",
					    (long long)from);
				if (c->have_ekey &&
				    memcmp(body, c->ekey, 65) != 0)
					vc_fail_line(c, F, i + 1, "joint-key",
					             "trustee %lld's Y is not "
					             "the election key",
					             (long long)from);
				if (!have_qual)
					c->qual = q;
				have_qual = 1;
			}
		} else if (kind == PROTO_CER_RELEASE) {
			bc_dkg_release r;

			if (bl != BC_DKG_RELEASE_LEN ||
			    bc_dkg_release_decode(&c->dkg, body, &r, &be) !=
			        BC_OK ||
			    r.trustee != (unsigned)from)
				vc_fail_line(c, F, i + 1, "release",
				             "trustee %lld's release is "
				             "malformed",
				             (long long)from);
			else if (c->release_ok[from - 1] == 0) {
				/* Only a trustee's first release counts
				 * (record.md, "Details fixed by the first
				 * writer"). */
				c->releases[from - 1] = r;
				c->release_ok[from - 1] = 2; /* checked below */
			}
		}
		free(body);
	}
	if (c->have_dkg) {
		const bc_dkg_commitments *ptrs[BC_DKG_MAX_N] = {0};
		uint8_t y[65];
		bc_error be;
		int complete = have_qual;

		for (size_t i = 0; i < n; i++) {
			if (c->have_commit[i])
				ptrs[i] = &c->commits[i];
			else if (c->qual & (1ull << i))
				complete = 0;
		}
		if (!complete)
			vc_fail(c, F, "-", "joint-key",
			        "no done message, or a trustee of QUAL has no "
			        "commitments");
		else if (bc_dkg_public_key(&c->dkg, ptrs, c->qual, y, &be) !=
		             BC_OK ||
		         !c->have_ekey || memcmp(y, c->ekey, 65) != 0)
			vc_fail(c, F, "-", "joint-key",
			        "the sum of QUAL's commitments is not the "
			        "election key of keys.json");
		for (size_t i = 0; complete && i < n; i++) {
			if (c->release_ok[i] != 2)
				continue;
			if (bc_dkg_check_release(&c->dkg, ptrs, c->qual,
			                         &c->releases[i], &be) == BC_OK)
				c->release_ok[i] = 1;
			else {
				c->release_ok[i] = 0;
				vc_fail(c, F, "-", "release",
				        "trustee %zu's released share does not "
				        "check against the commitments: %s",
				        i + 1, be.msg);
			}
		}
	}
	free_lines(&l);
}

static void check_election_key(struct vc *c)
{
	const vr_file *f = need(c, "election-key.json");
	const char *F = "election-key.json";
	json_t *o, *used, *v;
	uint8_t pk[65], y[65];
	size_t i;

	if (f == NULL ||
	    (o = load_obj(c, F, 0, (const char *)f->data, f->len)) == NULL)
		return;
	if (vc_get_hex(c, F, 0, o, "private_key", c->sk, 32) == 0) {
		c->have_sk = 1;
		if (bc_hpke_public(c->sk, y) != BC_OK || !c->have_ekey ||
		    memcmp(y, c->ekey, 65) != 0) {
			vc_fail(c, F, "private_key", "election-key",
			        "the private key times G is not the election "
			        "key");
			/* Decrypting with it would only add noise. */
			c->have_sk = 0;
		}
	}
	if (get_b64n(c, F, 0, o, "public_key", pk, 65) == 0 &&
	    (!c->have_ekey || memcmp(pk, c->ekey, 65) != 0))
		vc_fail(c, F, "public_key", "election-key",
		        "public_key is not keys.json's election_key");
	used = json_object_get(o, "shares_used");
	if (!json_is_array(used)) {
		vc_fail(c, F, "shares_used", "format", "expected an array");
	} else if (c->have_dkg && c->poll) {
		bc_dkg_release rel[BC_DKG_MAX_N];
		const bc_dkg_commitments *ptrs[BC_DKG_MAX_N] = {0};
		size_t nr = 0;
		uint8_t sk[32];
		bc_error be;
		int ok = 1;

		for (size_t j = 0; j < c->poll->ntrustees; j++)
			if (c->have_commit[j])
				ptrs[j] = &c->commits[j];
		json_array_foreach(used, i, v)
		{
			json_int_t t = json_integer_value(v);

			if (!json_is_integer(v) || t < 1 ||
			    (size_t)t > c->poll->ntrustees ||
			    nr == BC_DKG_MAX_N || c->release_ok[t - 1] != 1) {
				vc_fail(c, F, "shares_used",
				        "key-interpolation",
				        "shares_used[%zu] is not a trustee "
				        "with a valid release in "
				        "ceremony.jsonl",
				        i);
				ok = 0;
				continue;
			}
			rel[nr++] = c->releases[t - 1];
		}
		if (ok && (nr != (size_t)c->poll->k ||
		           bc_dkg_rebuild(&c->dkg, ptrs, c->qual, rel, nr, sk,
		                          NULL, &be) != BC_OK ||
		           !c->have_sk || !bc_ct_equal(sk, c->sk, 32)))
			vc_fail(c, F, "private_key", "key-interpolation",
			        "the private key is not the interpolation of "
			        "the %zu shares used (k = %d)",
			        nr, c->poll->k);
		bc_wipe(sk, sizeof(sk));
	}
	json_decref(o);
}

/* ---- 5. the board ------------------------------------------------- */

static bc_status leaf_get(void *ctx, unsigned level, uint64_t index,
                          uint8_t out[32])
{
	const uint8_t *leaves = ctx;

	if (level > 0)
		return BC_ERR_RANGE;
	memcpy(out, leaves + index * 32, 32);
	return BC_OK;
}

/* Nodes of the rebuilt tree: from the memtree, O(log n) per root or
 * proof, else from the leaves. */
static bc_status node_get(void *ctx, unsigned level, uint64_t index,
                          uint8_t out[32])
{
	struct vc *c = ctx;

	if (c->tree)
		return bc_merkle_memtree_get_node(c->tree, level, index, out);
	return leaf_get(c->leaves, level, index, out);
}

static void read_entries(struct vc *c)
{
	struct lines l;
	const char *F = "board/entries.jsonl";

	if (read_lines(c, F, &l))
		return;
	c->ent = calloc(l.n ? l.n : 1, sizeof(*c->ent));
	c->leaves = calloc(l.n ? l.n : 1, 32);
	if (c->ent == NULL || c->leaves == NULL) {
		free_lines(&l);
		return;
	}
	c->nent = l.n;
	for (size_t i = 0; i < l.n; i++) {
		struct vc_entry *en = &c->ent[i];
		int64_t li;

		en->line = i + 1;
		en->cls = -1;
		en->superseded_by = -1;
		if (l.o[i] == NULL)
			continue;
		if (vc_get_int(c, F, i + 1, l.o[i], "leaf_index", &li) == 0 &&
		    (uint64_t)li != i)
			vc_fail_line(c, F, i + 1, "leaf-index",
			             "leaf_index %lld on line %zu (expected "
			             "%zu)",
			             (long long)li, i + 1, i);
		vc_get_hex(c, F, i + 1, l.o[i], "leaf_hash", en->leaf_hash, 32);
		vc_get_b64(c, F, i + 1, l.o[i], "entry", 1 << 20, &en->bytes,
		           &en->len);
	}
	free_lines(&l);
}

static void check_entries(struct vc *c)
{
	const char *F = "board/entries.jsonl";

	vc_entries_work(c);
	for (size_t i = 0; i < c->nent; i++) {
		struct vc_entry *en = &c->ent[i];

		memcpy(c->leaves + 32 * i, en->computed_leaf, 32);
		if (en->bytes == NULL)
			continue;
		if (memcmp(en->computed_leaf, en->leaf_hash, 32) != 0)
			vc_fail_line(c, F, en->line, "leaf-hash",
			             "leaf %zu: leaf_hash is not H(0x00 || "
			             "entry)",
			             i);
		if (!en->parsed) {
			vc_fail_line(c, F, en->line, "entry",
			             "leaf %zu: the entry does not parse: %s",
			             i, en->why);
			continue;
		}
		if (!en->poll_ok)
			vc_fail_line(c, F, en->line, "poll-hash",
			             "leaf %zu: the entry names another "
			             "poll_hash",
			             i);
		if (en->cls < 0)
			vc_fail_line(c, F, en->line, "token-signature",
			             "leaf %zu: class '%s' is not in keys.json",
			             i, en->class_id);
		else if (!en->sig_ok)
			vc_fail_line(c, F, en->line, "token-signature",
			             "leaf %zu: the token signature does not "
			             "verify under class %s's token key",
			             i, en->class_id);
		if (!en->cast_ok)
			vc_fail_line(c, F, en->line, "cast-signature",
			             "leaf %zu: cast_sig does not verify under "
			             "the key in the token",
			             i);
	}
	if ((c->tree = bc_merkle_memtree_new()) != NULL)
		for (size_t i = 0; i < c->nent; i++)
			if (bc_merkle_memtree_append(
			        c->tree, c->leaves + 32 * i) != BC_OK) {
				bc_merkle_memtree_free(c->tree);
				c->tree = NULL;
				break;
			}
}

static void check_sths(struct vc *c)
{
	struct lines l;
	const char *F = "board/sths.jsonl";
	size_t m = 0;

	if (read_lines(c, F, &l))
		return;
	c->sths = calloc(l.n ? l.n : 1, sizeof(*c->sths));
	if (c->sths == NULL) {
		free_lines(&l);
		return;
	}
	for (size_t i = 0; i < l.n; i++) {
		struct vc_sth *s = &c->sths[m];
		int64_t v1, v2;
		bc_sth b;
		uint8_t root[32];

		if (l.o[i] == NULL ||
		    vc_get_int(c, F, i + 1, l.o[i], "tree_size", &v1) ||
		    vc_get_int(c, F, i + 1, l.o[i], "timestamp_ms", &v2) ||
		    vc_get_hex(c, F, i + 1, l.o[i], "root", s->root, 32) ||
		    get_b64n(c, F, i + 1, l.o[i], "signature", s->sig, 64))
			continue;
		s->line = i + 1;
		s->size = (uint64_t)v1;
		s->ts = (uint64_t)v2;
		m++;
		b.tree_size = s->size;
		b.timestamp_ms = s->ts;
		memcpy(b.root, s->root, 32);
		memcpy(b.poll_id, c->poll_hash, 32);
		if (!c->have_board ||
		    bc_sth_verify(c->board_key, &b, s->sig) != BC_OK)
			vc_fail_line(c, F, s->line, "sth-signature",
			             "the board key's signature of the head of "
			             "size %llu does not verify",
			             (unsigned long long)s->size);
		if (s->size > c->nent)
			vc_fail_line(c, F, s->line, "sth-root",
			             "tree size %llu, but the board has %zu "
			             "entries",
			             (unsigned long long)s->size, c->nent);
		else if (bc_merkle_tree_root(s->size, node_get, c, root) !=
		             BC_OK ||
		         memcmp(root, s->root, 32) != 0)
			vc_fail_line(c, F, s->line, "sth-root",
			             "the tree rebuilt from the first %llu "
			             "entries has another root",
			             (unsigned long long)s->size);
	}
	c->nsths = m;
	/*
	 * Heads next to each other must be consistent (RFC 9162 2.1.4,
	 * proofs made from the rebuilt tree), and the same size must mean
	 * the same root.  Neighbours suffice: consistency is transitive,
	 * and every head is also checked against the one rebuilt tree
	 * above; it keeps the check O(m log n) for m heads.
	 */
	for (size_t i = 0; i + 1 < m; i++) {
		struct vc_sth *a = &c->sths[i], *b = &c->sths[i + 1];
		uint8_t proof[BC_MERKLE_MAX_PROOF * 32];
		size_t cnt;
		int ok;

		if (a->size > b->size) {
			vc_fail_line(c, F, b->line, "sth-order",
			             "tree size %llu after %llu",
			             (unsigned long long)b->size,
			             (unsigned long long)a->size);
			continue;
		}
		if (a->size == b->size)
			ok = memcmp(a->root, b->root, 32) == 0;
		else if (b->size > c->nent)
			ok = 1; /* already reported: sth-root */
		else
			ok = bc_merkle_consistency_proof(
			         a->size, b->size, node_get, c, proof,
			         BC_MERKLE_MAX_PROOF, &cnt) == BC_OK &&
			     bc_merkle_verify_consistency(a->size, b->size,
			                                  a->root, b->root,
			                                  proof, cnt) == BC_OK;
		if (!ok)
			vc_fail_line(c, F, b->line, "sth-consistency",
			             "the heads on lines %zu and %zu (sizes "
			             "%llu, %llu) are not consistent",
			             a->line, b->line,
			             (unsigned long long)a->size,
			             (unsigned long long)b->size);
	}
	if (c->have_closed) {
		struct vc_sth *last = m ? &c->sths[m - 1] : NULL;

		if (c->closed_empty) {
			if (m || c->nent)
				vc_fail(c, F, "-", "final-head",
				        "the closed record names an empty "
				        "board");
		} else if (last == NULL || last->size != c->closed.size ||
		           last->ts != c->closed.ts ||
		           memcmp(last->root, c->closed.root, 32) != 0 ||
		           memcmp(last->sig, c->closed.sig, 64) != 0)
			vc_fail_line(c, F, last ? last->line : 0, "final-head",
			             "the last head is not the one the closed "
			             "record (states.jsonl:%zu) names",
			             c->closed.line);
		if (!c->closed_empty && c->closed.size != c->nent)
			vc_fail(c, "board/entries.jsonl", "-", "final-head",
			        "%zu entries, but the final head covers %llu",
			        c->nent, (unsigned long long)c->closed.size);
	}
	free_lines(&l);
}

/* ---- 6. tokens and the issuance log ------------------------------- */

/* A 32-byte key and the position it came from, for sorting. */
struct keyed {
	uint8_t key[32];
	size_t at;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int d = memcmp(x->key, y->key, 32);

	if (d != 0)
		return d;
	return x->at < y->at ? -1 : x->at > y->at;
}

static void check_issuance(struct vc *c)
{
	struct lines l;
	const char *F = "issuance.jsonl";
	struct keyed *ks;
	size_t *first, nk = 0;

	if (read_lines(c, F, &l))
		return;
	/*
	 * A pseudonym issued twice: sort the decoded pseudonyms once, so the
	 * check costs n log n, not a pass over every earlier line per line
	 * (which took minutes at 100,000 voters).  first[i] is the earliest
	 * line with line i's pseudonym, reported as before.
	 */
	ks = calloc(l.n ? l.n : 1, sizeof *ks);
	first = malloc((l.n ? l.n : 1) * sizeof *first);
	if (ks == NULL || first == NULL) {
		free(ks);
		free(first);
		free_lines(&l);
		vc_fail(c, F, "-", "issuance", "out of memory");
		return;
	}
	for (size_t i = 0; i < l.n; i++) {
		const char *s;

		first[i] = i;
		if (l.o[i] &&
		    (s = json_string_value(json_object_get(l.o[i], "pseudonym"))) &&
		    bc_hex_decode(s, strlen(s), ks[nk].key, 32, &(size_t){0}) ==
		        BC_OK) {
			ks[nk].at = i;
			nk++;
		}
	}
	qsort(ks, nk, sizeof *ks, keyed_cmp);
	for (size_t a = 1; a < nk; a++)
		if (memcmp(ks[a].key, ks[a - 1].key, 32) == 0)
			first[ks[a].at] = first[ks[a - 1].at];
	free(ks);
	for (size_t i = 0; i < l.n; i++) {
		int64_t seq;
		uint8_t ps[32];
		const char *cid;
		struct vc_class *k;

		if (l.o[i] == NULL ||
		    vc_get_int(c, F, i + 1, l.o[i], "seq", &seq) ||
		    vc_get_hex(c, F, i + 1, l.o[i], "pseudonym", ps, 32) ||
		    vc_get_str(c, F, i + 1, l.o[i], "class", &cid))
			continue;
		if ((k = class_by_id(c, cid)) == NULL)
			vc_fail_line(c, F, i + 1, "issuance",
			             "class '%s' is not in keys.json", cid);
		else
			k->issued++;
		if (first[i] != i)
			vc_fail_line(c, F, i + 1, "issuance",
			             "pseudonym issued twice (line %zu)",
			             first[i] + 1);
	}
	free(first);
	for (size_t i = 0; i < c->ncls; i++)
		if (c->cls[i].issued > c->cls[i].voters)
			vc_fail(c, F, "-", "issuance",
			        "class %s: %lld tokens issued, but the state "
			        "records give it %lld voters",
			        c->cls[i].id, (long long)c->cls[i].issued,
			        (long long)c->cls[i].voters);
	free_lines(&l);
}

/* The verdicts, recomputed: who supersedes whom, what counts. */
static void verdicts(struct vc *c)
{
	const char *F = "board/entries.jsonl";

	for (size_t i = 0; i < c->nent; i++) {
		struct vc_entry *en = &c->ent[i];
		proto_err pe;

		en->reason = PROTO_BALLOT_MALFORMED;
		if (en->decrypted && c->poll)
			en->reason = proto_ballot_decode(
			    c->poll, en->class_id, (const char *)en->plain,
			    en->plainlen, &en->ballot, &pe);
		en->valid = en->decrypted && en->reason == PROTO_BALLOT_VALID;
	}
	/*
	 * The last entry of each token (with a valid signature) is the one
	 * that counts; the earlier ones are superseded by it.  The entries
	 * are grouped by token id with one sort (n log n), not by scanning
	 * the later entries for each one.
	 */
	{
		struct keyed *ks = calloc(c->nent ? c->nent : 1, sizeof *ks);
		size_t nk = 0;

		if (ks == NULL) {
			vc_fail(c, F, "-", "token-reused", "out of memory");
			return;
		}
		for (size_t i = 0; i < c->nent; i++)
			if (c->ent[i].sig_ok && c->ent[i].cast_ok) {
				memcpy(ks[nk].key, c->ent[i].token_id, 32);
				ks[nk++].at = i;
			}
		qsort(ks, nk, sizeof *ks, keyed_cmp);
		for (size_t a = 0; a < nk;) {
			size_t b = a;

			while (b + 1 < nk &&
			       memcmp(ks[b + 1].key, ks[a].key, 32) == 0)
				b++;
			for (size_t x = a; x < b; x++)
				c->ent[ks[x].at].superseded_by =
				    (int64_t)ks[b].at;
			a = b + 1;
		}
		free(ks);
	}
	for (size_t i = 0; i < c->nent; i++) {
		struct vc_entry *en = &c->ent[i];

		if (!en->sig_ok || !en->cast_ok)
			continue;
		if (en->superseded_by >= 0 && c->poll && !c->poll->revoting)
			vc_fail_line(
			    c, F, c->ent[en->superseded_by].line,
			    "token-reused",
			    "leaf %lld uses the token of leaf %zu, and "
			    "the poll does not allow revoting",
			    (long long)en->superseded_by, i);
	}
	for (size_t i = 0; i < c->nent; i++) {
		struct vc_entry *en = &c->ent[i];

		en->counted = en->valid && en->sig_ok && en->cast_ok &&
		              en->poll_ok && en->superseded_by < 0;
		if (en->counted && en->cls >= 0)
			c->cls[en->cls].counted++;
		if (en->parsed && en->cls >= 0)
			c->cls[en->cls].cast++;
	}
	for (size_t i = 0; i < c->ncls; i++)
		if (c->cls[i].counted > c->cls[i].issued)
			vc_fail(c, "issuance.jsonl", "-", "class-count",
			        "class %s: %lld ballots counted, but only %lld "
			        "tokens issued",
			        c->cls[i].id, (long long)c->cls[i].counted,
			        (long long)c->cls[i].issued);
	/* Without revoting each token casts once: a class cannot have
	 * more entries than tokens.  (With revoting it can; its counted
	 * ballots, never more than its entries, are checked above.) */
	for (size_t i = 0; c->poll && !c->poll->revoting && i < c->ncls; i++)
		if (c->cls[i].cast > c->cls[i].issued)
			vc_fail(c, "issuance.jsonl", "-", "class-count",
			        "class %s: %lld ballots cast, but only %lld "
			        "tokens issued and the poll does not allow "
			        "revoting",
			        c->cls[i].id, (long long)c->cls[i].cast,
			        (long long)c->cls[i].issued);
}

/* ---- 7. ballots.jsonl --------------------------------------------- */

static void check_ballots(struct vc *c)
{
	struct lines l;
	const char *F = "ballots.jsonl";

	if (read_lines(c, F, &l))
		return;
	if (l.n != c->nent)
		vc_fail(c, F, "-", "ballots", "%zu lines for %zu board entries",
		        l.n, c->nent);
	for (size_t i = 0; i < l.n && i < c->nent; i++) {
		json_t *o = l.o[i], *v;
		struct vc_entry *en = &c->ent[i];
		int64_t li;
		uint8_t tid[32];
		const char *cid;
		uint8_t *pt = NULL;
		size_t ptl = 0;
		int valid, counted;
		const char *reason, *want_reason;
		int64_t sup;

		if (o == NULL)
			continue;
		if (vc_get_int(c, F, i + 1, o, "leaf_index", &li) ||
		    vc_get_hex(c, F, i + 1, o, "token_id", tid, 32) ||
		    vc_get_str(c, F, i + 1, o, "class", &cid))
			continue;
		if ((uint64_t)li != i)
			vc_fail_line(c, F, i + 1, "leaf-index",
			             "leaf_index %lld on line %zu",
			             (long long)li, i + 1);
		if (!en->parsed)
			continue; /* reported with the entry */
		if (memcmp(tid, en->token_id, 32) != 0 ||
		    strcmp(cid, en->class_id) != 0)
			vc_fail_line(c, F, i + 1, "ballots",
			             "leaf %zu: token_id or class is not the "
			             "board entry's",
			             i);
		v = json_object_get(o, "plaintext");
		if (json_is_string(v)) {
			if (vc_get_b64(c, F, i + 1, o, "plaintext", 1 << 20,
			               &pt, &ptl))
				continue;
		} else if (!json_is_null(v)) {
			vc_fail_line(c, F, i + 1, "format",
			             "plaintext: expected a string or null");
			continue;
		}
		if (c->have_sk) {
			if (!en->decrypted && v && !json_is_null(v))
				vc_fail_line(c, F, i + 1, "decryption",
				             "leaf %zu does not decrypt, but a "
				             "plaintext is given",
				             i);
			else if (en->decrypted && json_is_null(v))
				vc_fail_line(c, F, i + 1, "decryption",
				             "leaf %zu decrypts, but the "
				             "plaintext is null",
				             i);
			else if (en->decrypted &&
			         (ptl != en->plainlen ||
			          memcmp(pt, en->plain, ptl) != 0))
				vc_fail_line(c, F, i + 1, "decryption",
				             "leaf %zu decrypts to another "
				             "plaintext",
				             i);
		}
		free(pt);
		v = json_object_get(o, "valid");
		valid = json_is_true(v);
		if (!json_is_boolean(v)) {
			vc_fail_line(c, F, i + 1, "format",
			             "valid: expected true or false");
			continue;
		}
		v = json_object_get(o, "reason");
		reason = json_is_string(v) ? json_string_value(v) : NULL;
		v = json_object_get(o, "counted");
		counted = json_is_true(v);
		v = json_object_get(o, "superseded_by");
		sup = json_is_integer(v) ? json_integer_value(v) : -1;
		if (!c->have_sk)
			continue; /* no verdict can be recomputed */
		want_reason = !en->decrypted ? "does not decrypt"
		              : en->valid
		                  ? NULL
		                  : proto_ballot_reason_name(en->reason);
		if (valid != en->valid ||
		    (want_reason == NULL) != (reason == NULL) ||
		    (want_reason && strcmp(want_reason, reason) != 0))
			vc_fail_line(c, F, i + 1, "verdict",
			             "leaf %zu: recorded %s (%s), recomputed "
			             "%s (%s)",
			             i, valid ? "valid" : "invalid",
			             reason ? reason : "null",
			             en->valid ? "valid" : "invalid",
			             want_reason ? want_reason : "null");
		if (counted != en->counted || sup != en->superseded_by)
			vc_fail_line(
			    c, F, i + 1, "verdict",
			    "leaf %zu: recorded counted %s, superseded "
			    "by %lld; recomputed counted %s, "
			    "superseded by %lld",
			    i, counted ? "true" : "false", (long long)sup,
			    en->counted ? "true" : "false",
			    (long long)en->superseded_by);
	}
	c->ballots_ok = 1;
	free_lines(&l);
}

/* ---- 8. the contests ---------------------------------------------- */

struct sbuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void sb_add(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
		              b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if (b->p && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t nc = (b->cap + (size_t)n + 1) * 2;
		char *np = realloc(b->p, nc);
		if (np == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
}

/* A BLT quoted string: "" for a quote. */
static void sb_quoted(struct sbuf *b, const char *s)
{
	sb_add(b, "\"");
	for (; *s; s++)
		sb_add(b, *s == '"' ? "\"\"" : "%c", *s);
	sb_add(b, "\"\n");
}

/* The BLT of contest ci, as record.md says the writer makes it. */
static char *build_blt(struct vc *c, size_t ci, size_t *len)
{
	const proto_contest *k = &c->poll->contests[ci];
	struct sbuf b = {0};
	/* An ordered list ranks every candidate. */
	int seats = k->kind == PROTO_KIND_STV            ? k->seats
	            : k->kind == PROTO_KIND_ORDERED_LIST ? (int)k->ncandidates
	                                                 : 1;

	sb_add(&b, "%zu %d\n", k->ncandidates, seats);
	for (size_t i = 0; i < c->nent; i++) {
		struct vc_entry *en = &c->ent[i];

		if (!en->counted || en->cls < 0)
			continue;
		for (size_t j = 0; j < en->ballot.nchoices; j++) {
			const proto_choice *ch = &en->ballot.choices[j];

			if ((size_t)ch->contest != ci)
				continue;
			sb_add(&b, "(L%zu) %d", i, c->cls[en->cls].weight);
			for (size_t r = 0; r < ch->nranks; r++)
				sb_add(&b, " %u", ch->ranks[r]);
			sb_add(&b, " 0\n");
		}
	}
	sb_add(&b, "0\n");
	for (size_t i = 0; i < k->ncandidates; i++)
		sb_quoted(&b, k->candidates[i].name);
	sb_quoted(&b, k->title);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* A category's name in the categories file: bytes outside
 * [A-Za-z0-9._-] written '_'. */
static void sb_cat(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		int ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		         (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		         *s == '-';

		sb_add(b, "%c", ok ? *s : '_');
	}
}

/* contests/<id>.categories as record.md fixes it: the constraints, then
 * each candidate's constrained categories in the constraints' order. */
static char *build_categories(const proto_contest *k, size_t *len)
{
	struct sbuf b = {0};

	for (size_t i = 0; i < k->nconstraints; i++) {
		sb_add(&b, "category ");
		sb_cat(&b, k->constraints[i].category);
		sb_add(&b, " min %d max %d\n", k->constraints[i].min,
		       k->constraints[i].max);
	}
	for (size_t j = 0; j < k->ncandidates; j++) {
		int any = 0;

		for (size_t i = 0; i < k->nconstraints; i++)
			for (size_t q = 0; q < k->candidates[j].ncategories;
			     q++) {
				if (strcmp(k->candidates[j].categories[q],
				           k->constraints[i].category) != 0)
					continue;
				if (!any++)
					sb_add(&b, "candidate %zu", j + 1);
				sb_add(&b, " ");
				sb_cat(&b, k->constraints[i].category);
			}
		if (any)
			sb_add(&b, "\n");
	}
	if (b.failed || b.p == NULL) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* The count of contest ci from blt (and the categories text cat, may be
 * NULL), as the contest's method gives it.  OUT: *elected (names),
 * *passed (referendums). */
static char *recount(struct vc *c, size_t ci, const char *blt, size_t len,
                     const char *cat, size_t catlen, char *why, size_t whylen,
                     json_t **elected, int *passed)
{
	const proto_contest *k = &c->poll->contests[ci];
	stv_election *e = NULL;
	stv_constraints *cons = NULL;
	stv_options opt = {STV_RULE_SCOTTISH, 0, 0, 0, NULL};
	stv_error err;
	char *text = NULL;

	*elected = json_array();
	*passed = -1;
	if (stv_blt_read(blt, len, &e, &err) != STV_OK) {
		snprintf(why, whylen, "the rebuilt BLT does not read: %s",
		         err.msg);
		return NULL;
	}
	if (cat &&
	    stv_constraints_read(e, cat, catlen, &cons, &err) != STV_OK) {
		snprintf(why, whylen, "the categories do not read: %s",
		         err.msg);
		stv_election_free(e);
		return NULL;
	}
	opt.constraints = cons;
	if (k->kind == PROTO_KIND_REFERENDUM) {
		stv_referendum ref;
		stv_threshold t = {k->threshold_num, k->threshold_den, 0,
		                   k->abstentions_included};

		/* The default, a simple majority, is "more than a half". */
		t.strict = k->threshold_num * 2 == k->threshold_den;
		if (stv_count_referendum(e, &t, &ref, &err) == STV_OK) {
			*passed = ref.passed;
			if (stv_referendum_json(&ref, &text) != STV_OK)
				text = NULL;
			stv_referendum_clear(&ref);
		}
	} else if (k->kind == PROTO_KIND_ORDERED_LIST) {
		stv_list *lst = NULL;

		if (stv_rule_from_name(k->rule, &opt.rule) == 0 &&
		    stv_count_list(e, &opt, &lst, &err) == STV_OK) {
			for (int i = 0; i < stv_list_length(lst); i++)
				json_array_append_new(
				    *elected, json_string(stv_election_name(
				                  e, stv_list_at(lst, i))));
			if (stv_list_json(lst, &text) != STV_OK)
				text = NULL;
			stv_list_free(lst);
		}
	} else {
		stv_result *r = NULL;

		if (stv_rule_from_name(k->rule, &opt.rule) == 0 &&
		    stv_count(e, &opt, &r, &err) == STV_OK) {
			for (int i = 0; i < stv_result_elected_count(r); i++)
				json_array_append_new(
				    *elected,
				    json_string(stv_election_name(
				        e, stv_result_elected(r, i))));
			if (stv_result_json(r, &text) != STV_OK)
				text = NULL;
			stv_result_free(r);
		}
	}
	if (text == NULL)
		snprintf(why, whylen, "cannot be counted: %s", err.msg);
	stv_constraints_free(cons);
	stv_election_free(e);
	return text;
}

/* Where two results first differ: a stage and a candidate if it can
 * say, else the first differing top-level member. */
static void result_diff(const char *a, const char *b, char *out, size_t n)
{
	json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
	json_t *sa, *sb;
	const char *key;
	json_t *v;

	snprintf(out, n, "the bytes differ");
	if (ja == NULL || jb == NULL) {
		if (jb == NULL)
			snprintf(out, n, "the recorded result is not JSON");
		goto out;
	}
	sa = json_object_get(ja, "stages");
	sb = json_object_get(jb, "stages");
	for (size_t i = 0; json_is_array(sa) && json_is_array(sb) &&
	                   i < json_array_size(sa) && i < json_array_size(sb);
	     i++) {
		json_t *x = json_array_get(sa, i), *y = json_array_get(sb, i);
		json_t *vx = json_object_get(x, "votes"),
		       *vy = json_object_get(y, "votes");

		if (json_equal(x, y))
			continue;
		json_object_foreach(vx, key, v)
		{
			json_t *w = json_object_get(vy, key);

			if (w == NULL || !json_equal(v, w)) {
				snprintf(out, n,
				         "stage %zu, candidate %s: recounted "
				         "%s, recorded %s",
				         i + 1, key, json_string_value(v),
				         w && json_string_value(w)
				             ? json_string_value(w)
				             : "(none)");
				goto out;
			}
		}
		json_object_foreach(
		    x, key, v) if (!json_equal(v, json_object_get(y, key)))
		{
			snprintf(out, n, "stage %zu: %s differs", i + 1, key);
			goto out;
		}
		snprintf(out, n, "stage %zu differs", i + 1);
		goto out;
	}
	json_object_foreach(ja, key,
	                    v) if (!json_equal(v, json_object_get(jb, key)))
	{
		snprintf(out, n, "member \"%s\" differs", key);
		goto out;
	}
	json_object_foreach(jb, key, v) if (!json_object_get(ja, key))
	{
		snprintf(out, n, "member \"%s\" is extra", key);
		goto out;
	}
	snprintf(out, n, "the same JSON, other bytes (layout)");
out:
	json_decref(ja);
	json_decref(jb);
}

static size_t first_diff_line(const char *a, size_t al, const char *b,
                              size_t bl)
{
	size_t line = 1;

	for (size_t i = 0; i < al && i < bl; i++) {
		if (a[i] != b[i])
			return line;
		if (a[i] == '\n')
			line++;
	}
	return line;
}

static void check_results(struct vc *c, json_t **elected, int *passed);

/*
 * The recorded BLT of contest ci read line by line for what a wrong
 * tally could hide in it even where the rebuilt BLT says only "the first
 * difference is on line N": a line whose leaf's class does not cover the
 * contest (class-contest), a line written with another weight than its
 * class's, and, per class, more weight than the class's tokens carry
 * (weights cast <= weight x tokens issued; class-weight).  Lines that do
 * not start "(L<leaf>) <weight>" or name no leaf on the board are left
 * to the "blt" check.
 */
static void check_blt_classes(struct vc *c, size_t ci, const vr_file *f,
                              const char *bname)
{
	const proto_contest *k = &c->poll->contests[ci];
	const char *p = (const char *)f->data, *end = p + f->len;
	int64_t *wsum = calloc(c->ncls ? c->ncls : 1, sizeof(*wsum));
	size_t line = 0;

	if (wsum == NULL)
		return;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end, *q = p;
		uint64_t leaf = 0, w = 0;
		int dl = 0, dw = 0;

		line++;
		if (line > 1 && e - p == 1 && *p == '0')
			break; /* the end of the ballots */
		if (line == 1 || e - q < 3 || q[0] != '(' || q[1] != 'L')
			goto next;
		for (q += 2; q < e && *q >= '0' && *q <= '9' && dl < 18;
		     q++, dl++)
			leaf = leaf * 10 + (uint64_t)(*q - '0');
		if (dl == 0 || q + 1 >= e || q[0] != ')' || q[1] != ' ')
			goto next;
		for (q += 2; q < e && *q >= '0' && *q <= '9' && dw < 12;
		     q++, dw++)
			w = w * 10 + (uint64_t)(*q - '0');
		if (dw == 0 || leaf >= c->nent || c->ent[leaf].cls < 0)
			goto next;
		{
			struct vc_class *cl = &c->cls[c->ent[leaf].cls];

			if (!(cl->contests & ((proto_cset)1 << ci)))
				vc_fail_line(c, bname, line, "class-contest",
				             "leaf %llu is of class %s, which "
				             "does not cover contest %s",
				             (unsigned long long)leaf, cl->id,
				             k->id);
			if (w != (uint64_t)cl->weight)
				vc_fail_line(
				    c, bname, line, "class-weight",
				    "leaf %llu is written with weight "
				    "%llu, but its class %s has weight %d",
				    (unsigned long long)leaf,
				    (unsigned long long)w, cl->id, cl->weight);
			wsum[c->ent[leaf].cls] += (int64_t)w;
		}
	next:
		p = nl ? nl + 1 : end;
	}
	for (size_t i = 0; i < c->ncls; i++)
		if (wsum[i] > c->cls[i].issued * c->cls[i].weight)
			vc_fail(
			    c, bname, "-", "class-weight",
			    "class %s: weighted ballots %lld exceed %lld, "
			    "the weight of its %lld tokens issued (weight "
			    "%d each)",
			    c->cls[i].id, (long long)wsum[i],
			    (long long)(c->cls[i].issued * c->cls[i].weight),
			    (long long)c->cls[i].issued, c->cls[i].weight);
	free(wsum);
}

static void check_contests(struct vc *c)
{
	json_t **elected;
	int *passed;

	if (c->poll == NULL || !c->have_sk || !c->ballots_ok)
		return;
	elected = calloc(c->poll->ncontests, sizeof(*elected));
	passed = calloc(c->poll->ncontests, sizeof(*passed));
	if (elected == NULL || passed == NULL) {
		free(elected);
		free(passed);
		return;
	}
	for (size_t ci = 0; ci < c->poll->ncontests; ci++) {
		const char *id = c->poll->contests[ci].id;
		char bname[64], jname[64], cname[80], why[512];
		size_t bl, cl = 0;
		char *blt = build_blt(c, ci, &bl), *res, *cat = NULL;
		const vr_file *f;

		snprintf(cname, sizeof(cname), "contests/%s.categories", id);
		f = vr_record_find(c->rec, cname);
		if (c->poll->contests[ci].nconstraints) {
			cat = build_categories(&c->poll->contests[ci], &cl);
			if (f == NULL)
				need(c, cname);
			else if (cat && (f->len != cl ||
			                 memcmp(f->data, cat, cl) != 0))
				vc_fail_line(
				    c, cname,
				    first_diff_line(
				        cat, cl, (const char *)f->data, f->len),
				    "categories",
				    "not the categories rebuilt from "
				    "poll.json's constraints");
		} else if (f != NULL)
			vc_fail(c, cname, "-", "categories",
			        "the contest has no constraints");

		snprintf(bname, sizeof(bname), "contests/%s.blt", id);
		snprintf(jname, sizeof(jname), "contests/%s.json", id);
		if (blt == NULL)
			continue;
		if ((f = need(c, bname)) != NULL &&
		    (f->len != bl || memcmp(f->data, blt, bl) != 0)) {
			size_t line = first_diff_line(
			    blt, bl, (const char *)f->data, f->len);
			vc_fail_line(c, bname, line, "blt",
			             "not the BLT rebuilt from ballots.jsonl "
			             "(first difference on line %zu)",
			             line);
		}
		if (f != NULL)
			check_blt_classes(c, ci, f, bname);
		res = recount(c, ci, blt, bl, cat, cl, why, sizeof(why),
		              &elected[ci], &passed[ci]);
		free(cat);
		if (res == NULL)
			vc_fail(c, jname, "-", "recount", "%s", why);
		else if ((f = need(c, jname)) != NULL &&
		         (f->len != strlen(res) ||
		          memcmp(f->data, res, f->len) != 0)) {
			result_diff(res, (const char *)f->data, why,
			            sizeof(why));
			vc_fail(c, jname, "-", "recount",
			        "not the recount's result: %s", why);
		}
		free(res);
		free(blt);
	}
	check_results(c, elected, passed);
	for (size_t ci = 0; ci < c->poll->ncontests; ci++)
		json_decref(elected[ci]);
	free(elected);
	free(passed);
}

/* results.json: its numbers recomputed; elected names from the recount. */
static void want_cls_int(struct vc *c, json_t *o, const char *path,
                         const char *key, int64_t want, const char *cls)
{
	json_t *v = json_object_get(o, key);
	char where[128];

	snprintf(where, sizeof(where), "%s%s", path, key);
	if (!json_is_integer(v) || json_integer_value(v) != want)
		vc_fail(c, "results.json", where, "results",
		        "%s%s%srecorded %s, recomputed %lld",
		        cls ? "class " : "", cls ? cls : "", cls ? ": " : "",
		        json_is_integer(v) ? "another number" : "no number",
		        (long long)want);
}

static void want_int(struct vc *c, json_t *o, const char *path, const char *key,
                     int64_t want)
{
	want_cls_int(c, o, path, key, want, NULL);
}

static void check_results(struct vc *c, json_t **elected, int *passed)
{
	const vr_file *f = need(c, "results.json");
	const char *F = "results.json";
	json_t *o, *t, *bc, *cs, *v;
	int64_t voters = 0, issued = 0, counted = 0, invalid = 0;
	size_t i;

	if (f == NULL ||
	    (o = load_obj(c, F, 0, (const char *)f->data, f->len)) == NULL)
		return;
	names_hash(c, F, 0, o, "poll_hash");
	for (i = 0; i < c->ncls; i++) {
		voters += c->cls[i].voters;
		issued += c->cls[i].issued;
		counted += c->cls[i].counted;
	}
	for (i = 0; i < c->nent; i++)
		invalid += !c->ent[i].valid;
	t = json_object_get(o, "turnout");
	if (!json_is_object(t))
		vc_fail(c, F, "turnout", "format", "expected an object");
	else {
		want_int(c, t, "turnout.", "voters", voters);
		want_int(c, t, "turnout.", "tokens_issued", issued);
		want_int(c, t, "turnout.", "ballots_cast", (int64_t)c->nent);
		want_int(c, t, "turnout.", "counted", counted);
		want_int(c, t, "turnout.", "invalid", invalid);
		bc = json_object_get(t, "by_class");
		if (!json_is_array(bc) || json_array_size(bc) != c->ncls)
			vc_fail(c, F, "turnout.by_class", "results",
			        "expected one object per class of keys.json");
		else
			json_array_foreach(bc, i, v)
			{
				char p[64];
				const char *id =
				    json_string_value(json_object_get(v, "id"));
				struct vc_class *k =
				    id ? class_by_id(c, id) : NULL;

				snprintf(p, sizeof(p), "turnout.by_class[%zu].",
				         i);
				if (k == NULL) {
					vc_fail(c, F, p, "results",
					        "not a class of keys.json");
					continue;
				}
				want_cls_int(c, v, p, "voters", k->voters,
				             k->id);
				want_cls_int(c, v, p, "tokens_issued",
				             k->issued, k->id);
				want_cls_int(c, v, p, "cast", k->cast, k->id);
				want_cls_int(c, v, p, "counted", k->counted,
				             k->id);
				want_cls_int(c, v, p, "weight", k->weight,
				             k->id);
			}
	}
	cs = json_object_get(o, "contests");
	if (!json_is_array(cs) || json_array_size(cs) != c->poll->ncontests)
		vc_fail(c, F, "contests", "results",
		        "expected one object per contest of poll.json");
	else
		json_array_foreach(cs, i, v)
		{
			const proto_contest *k = &c->poll->contests[i];
			char p[64], rp[80];
			json_t *el = json_object_get(v, "elected");
			const char *s;

			snprintf(p, sizeof(p), "contests[%zu]", i);
			snprintf(rp, sizeof(rp), "contests/%s.json", k->id);
			if (!(s = json_string_value(
			          json_object_get(v, "id"))) ||
			    strcmp(s, k->id) != 0 ||
			    !(s = json_string_value(
			          json_object_get(v, "result"))) ||
			    strcmp(s, rp) != 0)
				vc_fail(c, F, p, "results",
				        "not contest '%s' of poll.json, or its "
				        "result is not %s",
				        k->id, rp);
			if (k->kind == PROTO_KIND_REFERENDUM) {
				json_t *pv = json_object_get(v, "passed");

				if (!json_is_boolean(pv) ||
				    (passed[i] >= 0 &&
				     json_is_true(pv) != passed[i]))
					vc_fail(c, F, p, "results",
					        "passed is not the recount's "
					        "%s",
					        passed[i] ? "true" : "false");
			} else if (el == NULL || !json_equal(el, elected[i])) {
				char *want =
				    json_dumps(elected[i], JSON_COMPACT);

				vc_fail(c, F, p, "results",
				        "elected is not the recount's %s",
				        want ? want : "");
				free(want);
			}
		}
	json_decref(o);
}

/* ---- 9. receipts -------------------------------------------------- */

static void check_receipt(struct vc *c, const char *path)
{
	char *text, *inner = NULL;
	size_t len;
	json_t *o, *r;
	proto_receipt rc;
	proto_err pe;
	proto_buf b = {0};
	const struct vc_sth *fin = c->nsths ? &c->sths[c->nsths - 1] : NULL;
	int found = 0;

	if (read_file(path, &text, &len) != 0) {
		vc_fail(c, path, "-", "receipt", "cannot be read: %s",
		        strerror(errno));
		return;
	}
	/* ballotctl wraps the receipt: {"format", "receipt", ...}. */
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	r = json_object_get(o, "receipt");
	if (json_is_object(r))
		inner = json_dumps(r, JSON_COMPACT);
	if (proto_receipt_decode(inner ? inner : text,
	                         inner ? strlen(inner) : len, &rc,
	                         &pe) != PROTO_OK) {
		vc_fail(c, path, "-", "receipt", "not a receipt: %s", pe.msg);
		goto out;
	}
	if (!c->have_hash || memcmp(rc.poll_hash, c->poll_hash, 32) != 0)
		vc_fail(c, path, "poll_hash", "receipt",
		        "the receipt is for another poll");
	proto_receipt_bytes(&b, rc.poll_hash, rc.leaf_index, rc.leaf_hash,
	                    rc.sth.tree_size, rc.sth.root);
	if (b.failed || !c->have_board ||
	    bc_ed25519_verify(c->board_key, b.p, b.len, rc.receipt_sig) !=
	        BC_OK)
		vc_fail(c, path, "receipt_sig", "receipt",
		        "the board key's receipt signature does not verify");
	proto_buf_free(&b);
	if (bc_merkle_verify_inclusion(rc.leaf_hash, rc.leaf_index,
	                               rc.sth.tree_size, rc.inclusion[0],
	                               rc.ninclusion, rc.sth.root) != BC_OK)
		vc_fail(c, path, "inclusion", "receipt",
		        "the inclusion proof does not prove leaf %llu under "
		        "the receipt's head",
		        (unsigned long long)rc.leaf_index);
	for (size_t i = 0; i < c->nsths; i++)
		if (c->sths[i].size == rc.sth.tree_size &&
		    c->sths[i].ts == rc.sth.timestamp_ms &&
		    memcmp(c->sths[i].root, rc.sth.root, 32) == 0 &&
		    memcmp(c->sths[i].sig, rc.sth.signature, 64) == 0)
			found = 1;
	if (!found)
		vc_fail(c, path, "sth", "receipt",
		        "the receipt's tree head (size %llu) is not in "
		        "board/sths.jsonl",
		        (unsigned long long)rc.sth.tree_size);
	if (rc.leaf_index >= c->nent ||
	    memcmp(c->ent[rc.leaf_index].computed_leaf, rc.leaf_hash, 32) != 0)
		vc_fail(c, path, "leaf_index", "receipt",
		        "leaf %llu (tracker %s) is not in board/entries.jsonl "
		        "with this hash",
		        (unsigned long long)rc.leaf_index, rc.tracker);
	else if (fin == NULL || rc.leaf_index >= fin->size)
		vc_fail(c, path, "leaf_index", "receipt",
		        "leaf %llu is not under the final tree head",
		        (unsigned long long)rc.leaf_index);
	else {
		/* Included under the final head: a proof from the rebuilt
		 * tree, checked against the final head's root. */
		uint8_t proof[BC_MERKLE_MAX_PROOF * 32];
		size_t cnt;

		if (fin->size > c->nent ||
		    bc_merkle_inclusion_proof(
		        rc.leaf_index, fin->size, node_get, c, proof,
		        BC_MERKLE_MAX_PROOF, &cnt) != BC_OK ||
		    bc_merkle_verify_inclusion(rc.leaf_hash, rc.leaf_index,
		                               fin->size, proof, cnt,
		                               fin->root) != BC_OK)
			vc_fail(c, path, "leaf_index", "receipt",
			        "leaf %llu is not included under the final "
			        "tree head",
			        (unsigned long long)rc.leaf_index);
	}
out:
	free(inner);
	json_decref(o);
	free(text);
}

/* ---- the command -------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("usage: verifier check [--receipt FILE ...] [--format "
	      "text|json] [--jobs N]\n"
	      "                      RECORD_DIR_OR_TARBALL\n"
	      "\n"
	      "Checks a published election record (docs/record.md): every "
	      "hash, signature,\n"
	      "decryption and verdict, the board's tree heads, the key "
	      "ceremony, and a recount\n"
	      "of every contest.  Every failure is reported:\n"
	      "  FAIL <file>:<line or member> <check>: <what>\n"
	      "\n"
	      "  --receipt FILE   also check a voter's receipt (repeatable)\n"
	      "  --format FMT     text (default) or json (a list of "
	      "failures)\n"
	      "  --jobs N         threads for the per-entry checks (default: "
	      "the cores)\n"
	      "  --help           this text\n"
	      "\n"
	      "Exit status: 0 everything checks, 1 a check failed, 2 bad "
	      "command line,\n"
	      "3 the record cannot be read.\n",
	      f);
}

static void print_json_str(FILE *out, const char *s)
{
	json_t *v = json_string(s);
	char *t = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;

	fputs(t ? t : "\"\"", out);
	free(t);
	json_decref(v);
}

static void free_vc(struct vc *c)
{
	for (size_t i = 0; i < c->nf; i++) {
		free(c->f[i].file);
		free(c->f[i].where);
		free(c->f[i].check);
		free(c->f[i].what);
	}
	free(c->f);
	for (size_t i = 0; i < c->ncls; i++)
		bc_brsa_key_free(c->cls[i].key);
	free(c->cls);
	for (size_t i = 0; i < c->nent; i++) {
		free(c->ent[i].bytes);
		if (c->ent[i].plain)
			bc_wipe(c->ent[i].plain, c->ent[i].plainlen);
		free(c->ent[i].plain);
		proto_ballot_clear(&c->ent[i].ballot);
	}
	free(c->ent);
	free(c->leaves);
	bc_merkle_memtree_free(c->tree);
	free(c->sths);
	proto_poll_free(c->poll);
	bc_wipe(c->sk, sizeof(c->sk));
	bc_wipe(c->releases, sizeof(c->releases));
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"receipt", required_argument, NULL, 'r'},
	    {"format", required_argument, NULL, 'f'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char **receipts = NULL;
	size_t nrec = 0;
	int json = 0, ch, rc;
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);
	struct vc c;
	vr_record *rec;
	char err[512];

	memset(&c, 0, sizeof(c));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "r:f:j:h", longopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'r': {
			const char **nr =
			    realloc(receipts, (nrec + 1) * sizeof(*nr));

			if (nr == NULL) {
				free(receipts);
				fprintf(stderr, "verifier check: out of "
				                "memory\n");
				return VX_FAIL;
			}
			receipts = nr;
			receipts[nrec++] = optarg;
			break;
		}
		case 'f':
			if (strcmp(optarg, "text") == 0)
				json = 0;
			else if (strcmp(optarg, "json") == 0)
				json = 1;
			else {
				fprintf(stderr,
				        "verifier check: unknown format '%s' "
				        "(text, json)\n",
				        optarg);
				free(receipts);
				return VX_USAGE;
			}
			break;
		case 'j': {
			char *end;

			errno = 0;
			jobs = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || jobs < 1 ||
			    jobs > 1024) {
				fprintf(stderr,
				        "verifier check: --jobs needs a whole "
				        "number from 1 to 1024, not '%s'\n",
				        optarg);
				free(receipts);
				return VX_USAGE;
			}
			break;
		}
		case 'h':
			usage(stdout);
			free(receipts);
			return VX_OK;
		default:
			usage(stderr);
			free(receipts);
			return VX_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "verifier check: expected one record (a "
		                "directory or a tarball)\n");
		usage(stderr);
		free(receipts);
		return VX_USAGE;
	}
	if (vr_record_load(argv[optind], &rec, err, sizeof(err)) != 0) {
		fprintf(stderr, "verifier check: %s\n", err);
		free(receipts);
		return VX_INPUT;
	}
	c.rec = rec;
	c.jobs = jobs < 1 ? 1 : (int)jobs;
	c.progress = isatty(2);

	need(&c, "README.txt");
	need(&c, "report.html");
	check_poll(&c);
	check_keys(&c);
	check_states(&c);
	check_ceremony(&c);
	check_election_key(&c);
	read_entries(&c);
	check_entries(&c);
	check_sths(&c);
	check_issuance(&c);
	verdicts(&c);
	check_ballots(&c);
	check_contests(&c);
	for (size_t i = 0; i < nrec; i++)
		check_receipt(&c, receipts[i]);

	if (json) {
		fputs("[", stdout);
		for (size_t i = 0; i < c.nf; i++) {
			fputs(i ? ",\n {\"file\": " : "{\"file\": ", stdout);
			print_json_str(stdout, c.f[i].file);
			fputs(", \"where\": ", stdout);
			print_json_str(stdout, c.f[i].where);
			fputs(", \"check\": ", stdout);
			print_json_str(stdout, c.f[i].check);
			fputs(", \"what\": ", stdout);
			print_json_str(stdout, c.f[i].what);
			fputs("}", stdout);
		}
		fputs("]\n", stdout);
	} else {
		for (size_t i = 0; i < c.nf; i++)
			printf("FAIL %s:%s %s: %s\n", c.f[i].file, c.f[i].where,
			       c.f[i].check, c.f[i].what);
		if (c.nf == 0)
			printf("OK %s: poll %s, %zu entries, %zu tree heads, "
			       "%zu contests recounted, %zu receipts\n",
			       argv[optind], c.poll ? c.poll->id : "?", c.nent,
			       c.nsths, c.poll ? c.poll->ncontests : 0, nrec);
		else
			printf("%zu check%s failed\n", c.nf,
			       c.nf == 1 ? "" : "s");
	}
	rc = c.nf ? VX_FAIL : VX_OK;
	if (fflush(stdout) != 0)
		rc = VX_FAIL;
	free_vc(&c);
	vr_record_free(rec);
	free(receipts);
	return rc;
}
