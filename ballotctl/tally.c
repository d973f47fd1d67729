/*
 * tally.c: `ballotctl tally POLL --out DIR` (docs/ballotctl.md, "tally";
 * the record it writes is docs/record.md, byte for byte).
 *
 * In order: fetch everything public about the closed poll (the poll and
 * its keys, the state records, the ceremony transcript, the issuance
 * log, the board and every signed tree head); check the trustees'
 * releases against the commitments and rebuild the election private key
 * from k valid ones, checked against the election key; open every board
 * entry, unpad, decode and validate it, verify its token signature and
 * find the last entry of each token; write each contest's BLT and count
 * it with the STV core exactly as `verifier count` does (same functions,
 * same bytes); then results.json, report.html, README.txt, the directory
 * and the tarball.
 */
#define _GNU_SOURCE /* asprintf */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bcrypto.h"
#include "dkg.h"
#include "hpke.h"
#include "merkle.h"
#include "pad.h"
#include "sign.h"
#include "stv.h"

#include "record.h"

#define TL_PAGE 1000 /* rows per request (api.md) */

/* One board entry, parsed, opened and judged. */
struct tl_ent {
	uint64_t leaf;
	uint8_t leaf_hash[32];
	uint8_t *entry; /* owned */
	size_t len;
	char class_id[PROTO_CLASS_ID_MAX + 1];
	const uint8_t *token, *sig, *sealed, *cast_sig; /* into entry */
	size_t token_len, sig_len, sealed_len, cast_sig_len;
	uint8_t token_id[32];
	int weight;  /* the class's, 0 if the class is not the poll's */
	int sig_ok;  /* the token signature and cast_sig verify */
	int opened;  /* decrypted and unpadded */
	char *plain; /* the unpadded plaintext, NUL appended; owned */
	size_t plainlen;
	proto_ballot_reason reason;
	proto_ballot ballot; /* when valid */
	int counted;
	int64_t superseded_by; /* -1: none */
};

struct tl {
	struct ctl *c;
	struct ctl_http *h;
	const char *id;
	struct ctl_poll p;
	const proto_poll *def;
	json_t *pollj;    /* GET /polls/{id} */
	json_t *states;   /* array */
	json_t *ceremony; /* array */
	json_t *issuance; /* array */
	json_t *sths;     /* array */
	struct tl_ent *ents;
	size_t nents;
	int progress; /* stderr is a terminal */
	uint8_t sk[32];
	json_t *ekey; /* election-key.json */
	uint64_t closed_ms;
};

/* ---------------------------------------------------------------- */
/* Fetching */

/* GET path; the answer's array member `member` appended to *acc.  *got:
 * how many were added. */
static int tl_get_array(struct tl *t, const char *path, const char *member,
                        json_t *acc, size_t *got)
{
	json_t *v, *a;
	int rc;

	if ((rc = ctl_call(t->c, t->h, "GET", path, NULL, NULL, 0,
	                   CTL_CALL_RETRY, &v, NULL)) != CTL_EXIT_OK)
		return rc;
	a = json_object_get(v, member);
	if (!json_is_array(a)) {
		ctl_warnx("GET %s: the answer has no array \"%s\"", path,
		          member);
		json_decref(v);
		return CTL_EXIT_REFUSED;
	}
	*got = json_array_size(a);
	json_array_extend(acc, a);
	json_decref(v);
	return CTL_EXIT_OK;
}

static void tl_progress(const struct tl *t, const char *what, uint64_t i,
                        uint64_t n)
{
	if (t->progress)
		fprintf(stderr, "\r%s %" PRIu64 "/%" PRIu64 "%s", what, i, n,
		        i == n ? "\n" : "");
}

static int tl_fetch(struct tl *t)
{
	char path[256];
	uint64_t start, size;
	size_t got;
	json_t *v;
	int rc;

	snprintf(path, sizeof(path), "/polls/%s", t->id);
	if ((rc = ctl_call(t->c, t->h, "GET", path, NULL, NULL, 0,
	                   CTL_CALL_RETRY, &t->pollj, NULL)))
		return rc;
	/* States. */
	snprintf(path, sizeof(path), "/polls/%s/states", t->id);
	if ((rc = tl_get_array(t, path, "states", t->states, &got)))
		return rc;
	/* The ceremony transcript, paged by seq. */
	for (start = 0;;) {
		size_t before = json_array_size(t->ceremony);

		snprintf(path, sizeof(path),
		         "/polls/%s/ceremony/messages?after=%" PRIu64, t->id,
		         start);
		if ((rc = tl_get_array(t, path, "messages", t->ceremony, &got)))
			return rc;
		if (got == 0)
			break;
		v = json_array_get(t->ceremony, before + got - 1);
		start = (uint64_t)json_integer_value(json_object_get(v, "seq"));
	}
	/* The issuance log. */
	for (start = 0;; start += TL_PAGE) {
		snprintf(path, sizeof(path),
		         "/polls/%s/issuance?start=%" PRIu64 "&end=%" PRIu64,
		         t->id, start, start + TL_PAGE);
		if ((rc = tl_get_array(t, path, "issuance", t->issuance, &got)))
			return rc;
		if (got < TL_PAGE)
			break;
	}
	/* Every signed tree head, by size. */
	for (start = 0;;) {
		size_t before = json_array_size(t->sths);

		snprintf(path, sizeof(path),
		         "/polls/%s/board/sths?start=%" PRIu64, t->id, start);
		if ((rc = tl_get_array(t, path, "sths", t->sths, &got)))
			return rc;
		if (got == 0)
			break;
		v = json_array_get(t->sths, before + got - 1);
		start = (uint64_t)json_integer_value(
		            json_object_get(v, "tree_size")) +
		        1;
	}
	/* The board. */
	size = (uint64_t)json_integer_value(
	    json_object_get(t->pollj, "tree_size"));
	if ((t->ents = calloc(size ? size : 1, sizeof(*t->ents))) == NULL) {
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	for (start = 0; start < size; start += TL_PAGE) {
		json_t *a = json_array(), *e;
		size_t i;

		snprintf(path, sizeof(path),
		         "/polls/%s/board/entries?start=%" PRIu64
		         "&end=%" PRIu64,
		         t->id, start,
		         start + TL_PAGE < size ? start + TL_PAGE : size);
		if (a == NULL ||
		    (rc = tl_get_array(t, path, "entries", a, &got))) {
			json_decref(a);
			return a == NULL ? CTL_EXIT_IO : rc;
		}
		json_array_foreach(a, i, e)
		{
			struct tl_ent *x;
			const char *hash =
			    json_string_value(json_object_get(e, "leaf_hash"));
			const char *b64 =
			    json_string_value(json_object_get(e, "entry"));
			json_int_t li = json_integer_value(
			    json_object_get(e, "leaf_index"));
			size_t blen = b64 ? strlen(b64) : 0;

			if ((uint64_t)li != t->nents || t->nents >= size ||
			    hash == NULL || b64 == NULL) {
				ctl_warnx("board entries: leaf %zu: missing "
				          "or out of order",
				          t->nents);
				json_decref(a);
				return CTL_EXIT_REFUSED;
			}
			x = &t->ents[t->nents];
			x->leaf = (uint64_t)li;
			x->superseded_by = -1;
			if ((x->entry = malloc(blen)) == NULL ||
			    ctl_unb64url(b64, x->entry, blen, 0, &x->len) ||
			    ctl_unhex(hash, x->leaf_hash, 32)) {
				ctl_warnx("board entries: leaf %zu: bad "
				          "encoding",
				          t->nents);
				json_decref(a);
				return CTL_EXIT_REFUSED;
			}
			t->nents++;
		}
		json_decref(a);
		tl_progress(t, "fetching the board", t->nents, size);
		if (got == 0)
			break;
	}
	if (t->nents != size) {
		ctl_warnx("board entries: %zu of %" PRIu64 " leaves received",
		          t->nents, size);
		return CTL_EXIT_REFUSED;
	}
	return CTL_EXIT_OK;
}

/* ---------------------------------------------------------------- */
/* The election key */

/* The verdict on one release message: NULL if valid, else why not. */
static const char *tl_check_release(const struct tl *t, const bc_dkg_params *pp,
                                    const bc_dkg_commitments *const *ptrs,
                                    uint64_t qual, unsigned from,
                                    const uint8_t *body, size_t blen,
                                    const uint8_t sig[64], bc_dkg_release *r,
                                    bc_error *e)
{
	proto_buf m = {0};
	int ok;

	if (from < 1 || from > t->def->ntrustees)
		return "not a trustee of this poll";
	proto_ceremony_bytes(&m, t->p.poll_hash, "release", from, 0, body,
	                     blen);
	ok = !m.failed && bc_ed25519_verify(t->def->trustees[from - 1].sign_key,
	                                    m.p, m.len, sig) == BC_OK;
	proto_buf_free(&m);
	if (!ok)
		return "the message's signature does not verify";
	if (blen != BC_DKG_RELEASE_LEN ||
	    bc_dkg_release_decode(pp, body, r, e) != BC_OK)
		return "the body is not a release";
	if (r->trustee != from)
		return "the release names another trustee";
	if (bc_dkg_check_release(pp, ptrs, qual, r, e) != BC_OK)
		return e->msg;
	return NULL;
}

static int tl_msg_bytes(const json_t *m, const char *member, uint8_t *out,
                        size_t cap, size_t want, size_t *len)
{
	const char *s = json_string_value(json_object_get(m, member));

	return s == NULL || ctl_unb64url(s, out, cap, want, len) ? -1 : 0;
}

static int tl_rebuild_key(struct tl *t)
{
	bc_dkg_params pp;
	bc_dkg_commitments *cs = NULL;
	const bc_dkg_commitments *ptrs[BC_DKG_MAX_N] = {0};
	bc_dkg_release *rels = NULL;
	uint64_t qual = 0, bad = 0;
	unsigned n = (unsigned)t->def->ntrustees, k = (unsigned)t->def->k;
	uint8_t *body = NULL, sig[64], y[65], pk[65];
	size_t i, blen, nvalid = 0;
	json_t *m, *used = json_array(), *rejected = json_array();
	char seen[BC_DKG_MAX_N + 1] = {0};
	char why[2048] = "";
	bc_error e;
	int rc = CTL_EXIT_REFUSED, have_qual = 0;

	if (used == NULL || rejected == NULL ||
	    (cs = calloc(n, sizeof(*cs))) == NULL ||
	    (rels = calloc(n, sizeof(*rels))) == NULL ||
	    (body = malloc(PROTO_BODY_MAX)) == NULL) {
		ctl_warnx("out of memory");
		rc = CTL_EXIT_IO;
		goto out;
	}
	if (bc_dkg_params_init(&pp, (const uint8_t *)t->def->id,
	                       strlen(t->def->id), n, k) != BC_OK) {
		ctl_warnx("poll %s: no key ceremony for these trustees", t->id);
		goto out;
	}
	/* QUAL: from a done message naming the poll's election key. */
	json_array_foreach(t->ceremony, i, m)
	{
		const char *kind =
		    json_string_value(json_object_get(m, "kind"));

		if (kind == NULL || strcmp(kind, "done") != 0 ||
		    tl_msg_bytes(m, "body", body, PROTO_BODY_MAX, 73, &blen))
			continue;
		if (memcmp(body, t->p.election_key, 65) == 0) {
			qual = 0;
			for (int b = 0; b < 8; b++)
				qual = qual << 8 | body[65 + b];
			have_qual = 1;
			break;
		}
	}
	/* The commitments of QUAL's dealers, signatures checked. */
	json_array_foreach(t->ceremony, i, m)
	{
		const char *kind =
		    json_string_value(json_object_get(m, "kind"));
		json_int_t from =
		    json_integer_value(json_object_get(m, "from"));
		proto_buf mb = {0};
		int ok;

		if (kind == NULL || strcmp(kind, "commitments") != 0 ||
		    from < 1 || from > (json_int_t)n || ptrs[from - 1] ||
		    tl_msg_bytes(m, "body", body, PROTO_BODY_MAX, 0, &blen) ||
		    tl_msg_bytes(m, "sig", sig, 64, 64, NULL))
			continue;
		proto_ceremony_bytes(&mb, t->p.poll_hash, "commitments",
		                     (uint64_t)from, 0, body, blen);
		ok = !mb.failed &&
		     bc_ed25519_verify(t->def->trustees[from - 1].sign_key,
		                       mb.p, mb.len, sig) == BC_OK &&
		     bc_dkg_commitments_decode(&pp, body, blen, &cs[from - 1],
		                               &e) == BC_OK &&
		     cs[from - 1].dealer == (unsigned)from;
		proto_buf_free(&mb);
		if (ok)
			ptrs[from - 1] = &cs[from - 1];
	}
	if (!have_qual || !t->p.have_election_key ||
	    bc_dkg_public_key(&pp, ptrs, qual, y, &e) != BC_OK ||
	    memcmp(y, t->p.election_key, 65) != 0) {
		ctl_warnx("poll %s: the ceremony transcript does not give the "
		          "poll's election key",
		          t->id);
		goto out;
	}
	/* The releases, by trustee number; the first of each trustee. */
	for (unsigned j = 1; j <= n; j++) {
		json_array_foreach(t->ceremony, i, m)
		{
			const char *kind =
			    json_string_value(json_object_get(m, "kind"));
			const char *bad_why;
			size_t wl = strlen(why);

			if (kind == NULL || strcmp(kind, "release") != 0 ||
			    json_integer_value(json_object_get(m, "from")) !=
			        (json_int_t)j ||
			    seen[j])
				continue;
			seen[j] = 1;
			if (tl_msg_bytes(m, "body", body, PROTO_BODY_MAX, 0,
			                 &blen) ||
			    tl_msg_bytes(m, "sig", sig, 64, 64, NULL))
				bad_why = "not base64url";
			else
				bad_why = tl_check_release(t, &pp, ptrs, qual,
				                           j, body, blen, sig,
				                           &rels[nvalid], &e);
			if (bad_why == NULL) {
				snprintf(why + wl, sizeof(why) - wl,
				         "%strustee %u: valid", wl ? "; " : "",
				         j);
				if (nvalid < k)
					json_array_append_new(used,
					                      json_integer(j));
				nvalid++;
			} else {
				snprintf(why + wl, sizeof(why) - wl,
				         "%strustee %u: %s", wl ? "; " : "", j,
				         bad_why);
				bc_wipe(&rels[nvalid], sizeof(rels[nvalid]));
				json_array_append_new(
				    rejected,
				    json_pack("{s:i, s:s}", "trustee", (int)j,
				              "reason", bad_why));
			}
		}
	}
	if (nvalid < k) {
		ctl_warnx("poll %s: %zu valid release%s of the %u needed to "
		          "rebuild the election key (%s)",
		          t->id, nvalid, nvalid == 1 ? "" : "s", k,
		          why[0] ? why : "no trustee has released a share");
		goto out;
	}
	if (bc_dkg_rebuild(&pp, ptrs, qual, rels, k, t->sk, &bad, &e) !=
	        BC_OK ||
	    bc_hpke_public(t->sk, pk) != BC_OK ||
	    memcmp(pk, t->p.election_key, 65) != 0) {
		ctl_warnx("poll %s: the election key cannot be rebuilt: %s",
		          t->id, e.msg);
		goto out;
	}
	{
		char hex[65], *b64 = ctl_b64url(pk, 65);

		ctl_hex(t->sk, 32, hex);
		t->ekey = json_pack("{s:s, s:s?, s:O, s:O}", "private_key", hex,
		                    "public_key", b64, "shares_used", used,
		                    "shares_rejected", rejected);
		free(b64);
		bc_wipe(hex, sizeof(hex));
	}
	rc = t->ekey != NULL ? CTL_EXIT_OK : CTL_EXIT_IO;
out:
	if (rels != NULL)
		bc_wipe(rels, n * sizeof(*rels));
	free(rels);
	free(cs);
	free(body);
	json_decref(used);
	json_decref(rejected);
	return rc;
}

/* ---------------------------------------------------------------- */
/* Opening the board */

/* The next lp field of [*p, *p + *left).  0 or -1. */
static int tl_lp(const uint8_t **p, size_t *left, const uint8_t **f,
                 size_t *flen)
{
	size_t n;

	if (*left < 4)
		return -1;
	n = (size_t)(*p)[0] << 24 | (size_t)(*p)[1] << 16 |
	    (size_t)(*p)[2] << 8 | (*p)[3];
	if (n > *left - 4)
		return -1;
	*f = *p + 4;
	*flen = n;
	*p += 4 + n;
	*left -= 4 + n;
	return 0;
}

/* Parses entry x (protocol.md section 7).  0, or -1 after a message. */
static int tl_parse_entry(const struct tl *t, struct tl_ent *x)
{
	const uint8_t *p = x->entry, *f;
	size_t left = x->len, flen;
	uint8_t lh[32];

	if (bc_merkle_leaf_hash(x->entry, x->len, lh) != BC_OK ||
	    memcmp(lh, x->leaf_hash, 32) != 0) {
		ctl_warnx("board leaf %" PRIu64 ": leaf_hash is not "
		          "H(0x00 || entry)",
		          x->leaf);
		return -1;
	}
	if (tl_lp(&p, &left, &f, &flen) || flen != 15 ||
	    memcmp(f, "ballot-entry/v2", 15) != 0 ||
	    tl_lp(&p, &left, &f, &flen) || flen != 32 ||
	    memcmp(f, t->p.poll_hash, 32) != 0 || tl_lp(&p, &left, &f, &flen) ||
	    flen == 0 || flen > PROTO_CLASS_ID_MAX ||
	    memchr(f, 0, flen) != NULL)
		goto bad;
	memcpy(x->class_id, f, flen);
	x->class_id[flen] = '\0';
	if (tl_lp(&p, &left, &x->token, &x->token_len) ||
	    tl_lp(&p, &left, &x->sig, &x->sig_len) ||
	    tl_lp(&p, &left, &x->sealed, &x->sealed_len) ||
	    tl_lp(&p, &left, &x->cast_sig, &x->cast_sig_len) || left != 0)
		goto bad;
	if (proto_token_id(x->class_id, x->token, x->token_len, x->token_id) !=
	    PROTO_OK)
		goto bad;
	return 0;
bad:
	ctl_warnx("board leaf %" PRIu64 ": not a board entry of this poll",
	          x->leaf);
	return -1;
}

static void tl_open_entry(const struct tl *t, struct tl_ent *x, uint8_t *pt)
{
	const bc_brsa_key *key = ctl_poll_class_key(&t->p, x->class_id);
	proto_buf info = {0};
	proto_cset cs;
	proto_err pe;
	const uint8_t *msg;
	size_t mlen, ptlen;

	if (proto_class_parse(t->def, x->class_id, &cs, &x->weight, &pe) !=
	    PROTO_OK)
		x->weight = 0;
	/* An entry whose cast_sig fails cannot come from an honest server
	 * (it checks cast_sig before appending): it counts no more than
	 * one whose token signature fails, and supersedes nothing. */
	x->sig_ok = key != NULL && x->token_len == PROTO_TOKEN_LEN &&
	            bc_brsa_verify(key, BC_BRSA_SHA384_PSS_RANDOMIZED, x->token,
	                           x->token_len, x->sig, x->sig_len) == BC_OK &&
	            proto_cast_verify(t->p.poll_hash, x->class_id, x->token,
	                              x->token_len, x->sealed, x->sealed_len,
	                              x->cast_sig, x->cast_sig_len) == PROTO_OK;
	x->reason = PROTO_BALLOT_MALFORMED;
	if (x->sealed_len != t->def->ballot_size + PROTO_SEAL_OVERHEAD)
		return;
	ptlen = t->def->ballot_size;
	proto_seal_info(&info, t->p.poll_hash, x->class_id);
	if (info.failed ||
	    bc_hpke_open(t->sk, x->sealed, info.p, info.len, x->token_id, 32,
	                 x->sealed + BC_HPKE_ENC_LEN,
	                 x->sealed_len - BC_HPKE_ENC_LEN, pt) != BC_OK ||
	    bc_unpad(pt, ptlen, &msg, &mlen) != BC_OK ||
	    (x->plain = malloc(mlen + 1)) == NULL) {
		proto_buf_free(&info);
		return;
	}
	proto_buf_free(&info);
	memcpy(x->plain, msg, mlen);
	x->plain[mlen] = '\0';
	x->plainlen = mlen;
	x->opened = 1;
	x->reason = proto_ballot_decode(t->def, x->class_id, x->plain, mlen,
	                                &x->ballot, &pe);
}

static int tl_cmp_token(const void *a, const void *b)
{
	const struct tl_ent *x = *(struct tl_ent *const *)a;
	const struct tl_ent *y = *(struct tl_ent *const *)b;
	int c = memcmp(x->token_id, y->token_id, 32);

	if (c != 0)
		return c;
	return x->leaf < y->leaf ? -1 : x->leaf > y->leaf;
}

static int tl_open_board(struct tl *t)
{
	struct tl_ent **by = NULL;
	uint8_t *pt = malloc(t->def->ballot_size);
	size_t i, n = 0;

	if (pt == NULL ||
	    (by = calloc(t->nents ? t->nents : 1, sizeof(*by))) == NULL) {
		free(pt);
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	for (i = 0; i < t->nents; i++) {
		if (tl_parse_entry(t, &t->ents[i]) == -1) {
			free(pt);
			free(by);
			return CTL_EXIT_REFUSED;
		}
		tl_open_entry(t, &t->ents[i], pt);
		if (t->ents[i].sig_ok)
			by[n++] = &t->ents[i];
		if ((i + 1) % 100 == 0 || i + 1 == t->nents)
			tl_progress(t, "decrypting", i + 1, t->nents);
	}
	bc_wipe(pt, t->def->ballot_size);
	free(pt);
	/* The last entry of each token (with a valid signature) counts;
	 * the earlier ones are superseded by it. */
	qsort(by, n, sizeof(*by), tl_cmp_token);
	for (i = 0; i < n;) {
		size_t j = i;

		while (j + 1 < n &&
		       memcmp(by[j + 1]->token_id, by[i]->token_id, 32) == 0)
			j++;
		for (size_t q = i; q < j; q++)
			by[q]->superseded_by = (int64_t)by[j]->leaf;
		by[j]->counted = by[j]->reason == PROTO_BALLOT_VALID;
		i = j + 1;
	}
	free(by);
	return CTL_EXIT_OK;
}

static json_t *tl_ballot_json(const struct tl_ent *x)
{
	char tid[65];
	char *plain = x->opened
	                  ? ctl_b64url((const uint8_t *)x->plain, x->plainlen)
	                  : NULL;
	int valid = x->opened && x->reason == PROTO_BALLOT_VALID;
	json_t *v;

	ctl_hex(x->token_id, 32, tid);
	v = json_pack("{s:I, s:s, s:s, s:s?, s:b, s:s?, s:b, s:o}",
	              "leaf_index", (json_int_t)x->leaf, "token_id", tid,
	              "class", x->class_id, "plaintext", plain, "valid", valid,
	              "reason",
	              valid       ? NULL
	              : x->opened ? proto_ballot_reason_name(x->reason)
	                          : "does not decrypt",
	              "counted", x->counted, "superseded_by",
	              x->superseded_by < 0 ? json_null()
	                                   : json_integer(x->superseded_by));
	free(plain);
	return v;
}

/* ---------------------------------------------------------------- */
/* Counting */

static void blt_quoted(proto_buf *b, const char *s)
{
	proto_buf_raw(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			proto_buf_raw(b, "\"\"", 2);
		else
			proto_buf_raw(b, s, 1);
	}
	proto_buf_raw(b, "\"\n", 2);
}

static void buf_printf(proto_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void buf_printf(proto_buf *b, const char *fmt, ...)
{
	char s[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s))
		b->failed = 1;
	else
		proto_buf_raw(b, s, (size_t)n);
}

/* The contest's BLT (record.md, "contests/<id>.blt"). */
static void tl_blt(const struct tl *t, int ci, proto_buf *b)
{
	const proto_contest *k = &t->def->contests[ci];
	size_t i, j, r;

	buf_printf(b, "%zu %d\n", k->ncandidates, k->seats);
	for (i = 0; i < t->nents; i++) {
		const struct tl_ent *x = &t->ents[i];

		if (!x->counted)
			continue;
		for (j = 0; j < x->ballot.nchoices; j++) {
			const proto_choice *ch = &x->ballot.choices[j];

			if (ch->contest != ci)
				continue;
			buf_printf(b, "(L%" PRIu64 ") %d", x->leaf, x->weight);
			for (r = 0; r < ch->nranks; r++)
				buf_printf(b, " %u", (unsigned)ch->ranks[r]);
			proto_buf_raw(b, " 0\n", 3);
		}
	}
	proto_buf_raw(b, "0\n", 2);
	for (i = 0; i < k->ncandidates; i++)
		blt_quoted(b, k->candidates[i].name);
	blt_quoted(b, k->title);
}

/* A category's name in the categories file: bytes outside
 * [A-Za-z0-9._-] become '_' (the file's names have no spaces). */
static void tl_cat_name(proto_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		char ch = *s;
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		         (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		         ch == '-';

		proto_buf_raw(b, ok ? &ch : "_", 1);
	}
}

/* contests/<id>.categories for a contest with constraints. */
static void tl_categories(const proto_contest *k, proto_buf *b)
{
	size_t i, j, q;

	for (i = 0; i < k->nconstraints; i++) {
		proto_buf_raw(b, "category ", 9);
		tl_cat_name(b, k->constraints[i].category);
		buf_printf(b, " min %d max %d\n", k->constraints[i].min,
		           k->constraints[i].max);
	}
	for (j = 0; j < k->ncandidates; j++) {
		int any = 0;

		for (i = 0; i < k->nconstraints; i++)
			for (q = 0; q < k->candidates[j].ncategories; q++) {
				if (strcmp(k->candidates[j].categories[q],
				           k->constraints[i].category) != 0)
					continue;
				if (!any++)
					buf_printf(b, "candidate %zu", j + 1);
				proto_buf_raw(b, " ", 1);
				tl_cat_name(b, k->constraints[i].category);
			}
		if (any)
			proto_buf_raw(b, "\n", 1);
	}
}

/*
 * Counts contest ci from its BLT as `verifier count` would; adds the
 * files and the contest's entry of results.json.  *page: its HTML.
 */
static int tl_count(struct tl *t, int ci, struct rec_out *o, json_t *list,
                    char **page)
{
	const proto_contest *k = &t->def->contests[ci];
	proto_buf blt = {0}, cat = {0};
	stv_election *e = NULL;
	stv_constraints *kc = NULL;
	stv_result *r = NULL;
	stv_list *l = NULL;
	stv_referendum ref;
	stv_options opt = {STV_RULE_SCOTTISH, 0, 0, 0, NULL};
	stv_error err;
	stv_status st = STV_OK;
	char name[64], *text = NULL;
	json_t *elected = json_array(), *entry = NULL;
	int rc = CTL_EXIT_REFUSED, passed = -1;

	memset(&ref, 0, sizeof(ref));
	tl_blt(t, ci, &blt);
	if (blt.failed || elected == NULL) {
		ctl_warnx("out of memory");
		goto out;
	}
	snprintf(name, sizeof(name), "contests/%s.blt", k->id);
	if (rec_add_copy(o, name, blt.p, blt.len))
		goto out;
	if (stv_blt_read((const char *)blt.p, blt.len, &e, &err) != STV_OK) {
		ctl_warnx("%s: line %d, column %d: %s", name, err.line,
		          err.column, err.msg);
		goto out;
	}
	if (k->kind != PROTO_KIND_REFERENDUM &&
	    stv_rule_from_name(k->rule, &opt.rule) != 0) {
		ctl_warnx("contest %s: unknown rule %s", k->id, k->rule);
		goto out;
	}
	opt.seats = k->seats;
	if (k->nconstraints > 0) {
		tl_categories(k, &cat);
		snprintf(name, sizeof(name), "contests/%s.categories", k->id);
		if (cat.failed || rec_add_copy(o, name, cat.p, cat.len))
			goto out;
		if (stv_constraints_read(e, (const char *)cat.p, cat.len, &kc,
		                         &err) != STV_OK) {
			ctl_warnx("%s: line %d: %s", name, err.line, err.msg);
			goto out;
		}
		opt.constraints = kc;
	}
	if (k->kind == PROTO_KIND_REFERENDUM) {
		/* verifier count --method referendum --threshold N/D
		 * [--more-than] --abstentions A (record.md). */
		stv_threshold thr = {k->threshold_num, k->threshold_den,
		                     2 * k->threshold_num == k->threshold_den,
		                     k->abstentions_included};

		if (stv_count_referendum(e, &thr, &ref, &err) != STV_OK)
			goto cannot;
		if ((st = stv_referendum_json(&ref, &text)) == STV_OK)
			st = stv_referendum_html(&ref, page);
		passed = ref.passed;
	} else if (k->kind == PROTO_KIND_ORDERED_LIST) {
		if (stv_count_list(e, &opt, &l, &err) != STV_OK)
			goto cannot;
		if ((st = stv_list_json(l, &text)) == STV_OK)
			st = stv_list_html(l, page);
		for (int i = 0; i < stv_list_length(l); i++)
			json_array_append_new(
			    elected,
			    json_string(k->candidates[stv_list_at(l, i)].name));
	} else {
		if (stv_count(e, &opt, &r, &err) != STV_OK)
			goto cannot;
		if ((st = stv_result_json(r, &text)) == STV_OK)
			st = stv_result_html(r, page);
		for (int i = 0; i < stv_result_elected_count(r); i++)
			json_array_append_new(
			    elected,
			    json_string(
			        k->candidates[stv_result_elected(r, i)].name));
	}
	if (st != STV_OK) {
		ctl_warnx("out of memory");
		goto out;
	}
	snprintf(name, sizeof(name), "contests/%s.json", k->id);
	if (rec_add_copy(o, name, text, strlen(text)))
		goto out;
	entry = json_pack("{s:s, s:s, s:s?, s:i, s:O}", "id", k->id, "kind",
	                  proto_kind_name(k->kind), "rule",
	                  k->kind == PROTO_KIND_REFERENDUM ? NULL : k->rule,
	                  "seats", k->seats, "elected", elected);
	if (entry != NULL && passed >= 0)
		json_object_set_new(entry, "passed", json_boolean(passed));
	if (entry != NULL)
		json_object_set_new(entry, "result", json_string(name));
	if (entry == NULL || json_array_append_new(list, entry) != 0) {
		ctl_warnx("out of memory");
		goto out;
	}
	rc = CTL_EXIT_OK;
	goto out;
cannot:
	ctl_warnx("contest %s: cannot count: %s", k->id, err.msg);
out:
	free(text);
	json_decref(elected);
	stv_referendum_clear(&ref);
	stv_result_free(r);
	stv_list_free(l);
	stv_constraints_free(kc);
	stv_election_free(e);
	proto_buf_free(&blt);
	proto_buf_free(&cat);
	return rc;
}

/* ---------------------------------------------------------------- */
/* The record's other files */

static json_t *tl_keys_json(const struct tl *t)
{
	json_t *classes = json_array(), *v, *c;
	char ph[65];
	size_t i;

	ctl_hex(t->p.poll_hash, 32, ph);
	json_array_foreach(json_object_get(t->pollj, "classes"), i, c)
	{
		json_array_append_new(
		    classes,
		    json_pack("{s:O, s:O, s:O}", "id", json_object_get(c, "id"),
		              "token_key",
		              json_object_get(json_object_get(c, "token_key"),
		                              "spki"),
		              "voters", json_object_get(c, "voters")));
	}
	v = json_pack("{s:s, s:s, s:O, s:O, s:o}", "poll", t->id, "poll_hash",
	              ph, "board_key", json_object_get(t->pollj, "board_key"),
	              "election_key", json_object_get(t->pollj, "election_key"),
	              "classes", classes);
	return v;
}

/* states.jsonl (record.md): details parsed, and verbatim in base64url. */
static int tl_states(struct tl *t, struct rec_out *o)
{
	proto_buf b = {0};
	char prev[65];
	json_t *s;
	size_t i;

	memset(prev, '0', 64);
	prev[64] = '\0';
	json_array_foreach(t->states, i, s)
	{
		const char *d =
		    json_string_value(json_object_get(s, "details"));
		const char *kind =
		    json_string_value(json_object_get(s, "kind"));
		const char *hash =
		    json_string_value(json_object_get(s, "hash"));
		json_t *dj, *line;
		char *db, *text;
		size_t len;

		if (d == NULL || kind == NULL || hash == NULL ||
		    strlen(hash) != 64 ||
		    (dj = json_loads(d, JSON_REJECT_DUPLICATES, NULL)) ==
		        NULL) {
			ctl_warnx("state record %zu: malformed", i);
			proto_buf_free(&b);
			return CTL_EXIT_REFUSED;
		}
		if (strcmp(kind, "closed") == 0)
			t->closed_ms = (uint64_t)json_integer_value(
			    json_object_get(s, "time_ms"));
		db = ctl_b64url((const uint8_t *)d, strlen(d));
		line =
		    json_pack("{s:O, s:s, s:O, s:o, s:s?, s:s, s:s, s:O}", "n",
		              json_object_get(s, "n"), "kind", kind, "time_ms",
		              json_object_get(s, "time_ms"), "details", dj,
		              "details_bytes", db, "prev", prev, "hash", hash,
		              "signature", json_object_get(s, "signature"));
		free(db);
		text = line ? proto_json_text(line, &len) : NULL;
		json_decref(line);
		if (text == NULL) {
			ctl_warnx("out of memory");
			proto_buf_free(&b);
			return CTL_EXIT_IO;
		}
		proto_buf_raw(&b, text, len);
		proto_buf_raw(&b, "\n", 1);
		free(text);
		memcpy(prev, hash, 64);
	}
	if (b.failed || rec_add_copy(o, "states.jsonl", b.p, b.len)) {
		proto_buf_free(&b);
		return CTL_EXIT_IO;
	}
	proto_buf_free(&b);
	return CTL_EXIT_OK;
}

/* A .jsonl file of the given members of each object of a (all of them
 * when members is NULL). */
static int tl_jsonl(struct rec_out *o, const char *name, const json_t *a,
                    const char *const *members)
{
	proto_buf b = {0};
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
	{
		json_t *sel =
		    members ? json_object() : json_incref((json_t *)v);
		char *text;
		size_t len;

		for (size_t m = 0; members && sel && members[m]; m++)
			json_object_set(sel, members[m],
			                json_object_get(v, members[m]));
		text = sel ? proto_json_text(sel, &len) : NULL;
		json_decref(sel);
		if (text == NULL) {
			b.failed = 1;
			break;
		}
		proto_buf_raw(&b, text, len);
		proto_buf_raw(&b, "\n", 1);
		free(text);
	}
	if (b.failed ||
	    rec_add_copy(o, name, b.p ? b.p : (uint8_t *)"", b.len)) {
		if (b.failed)
			ctl_warnx("out of memory");
		proto_buf_free(&b);
		return CTL_EXIT_IO;
	}
	proto_buf_free(&b);
	return CTL_EXIT_OK;
}

static const char tl_readme[] =
    "This is the published record of the poll %s (\"%s\"),\n"
    "poll_hash %s.\n"
    "\n"
    "It holds everything needed to check the election without trusting\n"
    "the server or the organiser: the poll definition (poll.json), the\n"
    "public keys, every signed state record, the trustees' key ceremony\n"
    "and released shares, the issuance log, every board entry and signed\n"
    "tree head, the rebuilt election key, every ballot decrypted with its\n"
    "verdict, each contest's ballots (contests/*.blt) and result\n"
    "(contests/*.json), results.json and report.html.  The layout is\n"
    "docs/record.md.\n"
    "\n"
    "To check all of it:\n"
    "\n"
    "    verifier check .\n"
    "\n"
    "To check your receipt as well:\n"
    "\n"
    "    verifier check . --receipt RECEIPT.json\n"
    "\n"
    "To recount one contest alone:\n"
    "\n"
    "%s";

/* ---------------------------------------------------------------- */

static void tl_free(struct tl *t)
{
	size_t i;

	for (i = 0; i < t->nents; i++) {
		free(t->ents[i].entry);
		if (t->ents[i].plain != NULL) {
			bc_wipe(t->ents[i].plain, t->ents[i].plainlen);
			free(t->ents[i].plain);
		}
		proto_ballot_clear(&t->ents[i].ballot);
	}
	free(t->ents);
	bc_wipe(t->sk, sizeof(t->sk));
	json_decref(t->pollj);
	json_decref(t->states);
	json_decref(t->ceremony);
	json_decref(t->issuance);
	json_decref(t->sths);
	json_decref(t->ekey);
	ctl_poll_clear(&t->p);
	ctl_http_free(t->h);
}

/* The verifier count line of contest k, for the README. */
static void tl_count_line(proto_buf *b, const proto_contest *k)
{
	if (k->kind == PROTO_KIND_REFERENDUM) {
		buf_printf(
		    b,
		    "    verifier count --method referendum --threshold "
		    "%d/%d%s --abstentions %s contests/%s.blt\n",
		    k->threshold_num, k->threshold_den,
		    2 * k->threshold_num == k->threshold_den ? " --more-than"
		                                             : "",
		    k->abstentions_included ? "counted" : "excluded", k->id);
		return;
	}
	buf_printf(b, "    verifier count --method %s --rule %s --seats %d",
	           k->kind == PROTO_KIND_ORDERED_LIST ? "ordered-list" : "stv",
	           k->rule, k->seats);
	if (k->nconstraints > 0)
		buf_printf(b, " --categories contests/%s.categories", k->id);
	buf_printf(b, " contests/%s.blt\n", k->id);
}

int ctl_cmd_tally(struct ctl *c)
{
	struct tl t;
	struct rec_out o = {0};
	struct rec_html_part *parts = NULL;
	const char *dir = ctl_opt(c, "out");
	json_t *results = NULL, *contests = NULL, *ballots = NULL,
	       *by_class = NULL, *cl;
	char *tarpath = NULL, *html = NULL, ph[65];
	uint8_t *tar = NULL;
	size_t tarlen, i, counted = 0, invalid = 0, voters = 0, from;
	int rc;
	static const char *const ent_members[] = {"leaf_index", "leaf_hash",
	                                          "entry", NULL};
	static const char *const sth_members[] = {
	    "tree_size", "root", "timestamp_ms", "signature", NULL};

	memset(&t, 0, sizeof(t));
	t.c = c;
	t.id = c->args[0];
	t.progress = isatty(2);
	if (asprintf(&tarpath, "%s.record.tar", dir) < 0) {
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	if (access(dir, F_OK) == 0 || access(tarpath, F_OK) == 0) {
		ctl_warnx("%s: exists (the record is never overwritten)",
		          access(dir, F_OK) == 0 ? dir : tarpath);
		free(tarpath);
		return CTL_EXIT_IO;
	}
	t.states = json_array();
	t.ceremony = json_array();
	t.issuance = json_array();
	t.sths = json_array();
	contests = json_array();
	ballots = json_array();
	by_class = json_array();
	if ((t.h = ctl_http_new(c)) == NULL || !t.states || !t.ceremony ||
	    !t.issuance || !t.sths || !contests || !ballots || !by_class) {
		ctl_warnx("out of memory");
		rc = CTL_EXIT_IO;
		goto out;
	}
	if ((rc = ctl_poll_fetch(c, t.h, t.id, &t.p)))
		goto out;
	t.def = t.p.def;
	if (strcmp(t.p.state, "closed") != 0 &&
	    strcmp(t.p.state, "tallied") != 0 &&
	    strcmp(t.p.state, "published") != 0) {
		ctl_warnx("poll %s is %s: the tally needs a closed poll "
		          "(ballotctl poll close %s, then the trustees' "
		          "releases)",
		          t.id, t.p.state, t.id);
		rc = CTL_EXIT_REFUSED;
		goto out;
	}
	if ((rc = tl_fetch(&t)) || (rc = tl_rebuild_key(&t)) ||
	    (rc = tl_open_board(&t)))
		goto out;

	/* The files, in record.md's order. */
	ctl_hex(t.p.poll_hash, 32, ph);
	rc = CTL_EXIT_IO;
	{
		proto_buf lines = {0};
		char *readme = NULL;
		int n;

		for (i = 0; i < t.def->ncontests; i++)
			tl_count_line(&lines, &t.def->contests[i]);
		proto_buf_raw(&lines, "", 1);
		n = lines.failed
		        ? -1
		        : asprintf(&readme, tl_readme, t.id, t.def->title, ph,
		                   (const char *)lines.p);
		proto_buf_free(&lines);
		if (n < 0 ||
		    rec_add(&o, "README.txt", (uint8_t *)readme, (size_t)n))
			goto out;
	}
	if (rec_add_copy(&o, "poll.json", t.def->bytes, t.def->nbytes))
		goto out;
	{
		json_t *k = tl_keys_json(&t);

		if (k == NULL || rec_add_json(&o, "keys.json", k)) {
			json_decref(k);
			goto out;
		}
		json_decref(k);
	}
	if ((rc = tl_states(&t, &o)))
		goto out;
	rc = CTL_EXIT_IO;
	if (tl_jsonl(&o, "ceremony.jsonl", t.ceremony, NULL) ||
	    tl_jsonl(&o, "issuance.jsonl", t.issuance, NULL))
		goto out;
	{
		/* The entries as fetched, without the server's extra
		 * members (class and token_id are in ballots.jsonl). */
		json_t *a = json_array();

		for (i = 0; a && i < t.nents; i++) {
			char lh[65],
			    *e = ctl_b64url(t.ents[i].entry, t.ents[i].len);

			ctl_hex(t.ents[i].leaf_hash, 32, lh);
			json_array_append_new(
			    a, json_pack("{s:I, s:s, s:s?}", "leaf_index",
			                 (json_int_t)t.ents[i].leaf,
			                 "leaf_hash", lh, "entry", e));
			free(e);
		}
		if (a == NULL ||
		    tl_jsonl(&o, "board/entries.jsonl", a, ent_members)) {
			json_decref(a);
			goto out;
		}
		json_decref(a);
	}
	if (tl_jsonl(&o, "board/sths.jsonl", t.sths, sth_members) ||
	    rec_add_json(&o, "election-key.json", t.ekey))
		goto out;
	for (i = 0; i < t.nents; i++) {
		json_t *b = tl_ballot_json(&t.ents[i]);

		if (b == NULL || json_array_append_new(ballots, b))
			goto out;
		counted += t.ents[i].counted;
		invalid += !json_is_true(json_object_get(b, "valid"));
	}
	if (tl_jsonl(&o, "ballots.jsonl", ballots, NULL))
		goto out;
	if ((parts = calloc(t.def->ncontests, sizeof(*parts))) == NULL)
		goto out;
	from = o.n;
	for (i = 0; i < t.def->ncontests; i++) {
		parts[i].id = t.def->contests[i].id;
		parts[i].title = t.def->contests[i].title;
		/* Too long to describe (cannot happen within the limits of
		 * formats.md): the report leaves the paragraph out. */
		if (proto_contest_describe(&t.def->contests[i], parts[i].rules,
		                           sizeof(parts[i].rules)) != PROTO_OK)
			parts[i].rules[0] = '\0';
		if ((rc = tl_count(&t, (int)i, &o, contests, &parts[i].page)))
			goto out;
	}
	rc = CTL_EXIT_IO;
	rec_sort_from(&o, from);
	/* Turnout, per class in class id order. */
	json_array_foreach(json_object_get(t.pollj, "classes"), i, cl)
	{
		const char *id = json_string_value(json_object_get(cl, "id"));
		size_t issued = 0, cnt = 0, cast = 0, q;
		proto_cset cs;
		proto_err pe;
		int weight = 0;
		json_t *v;

		if (id == NULL)
			continue;
		if (proto_class_parse(t.def, id, &cs, &weight, &pe) != PROTO_OK)
			weight = 0;
		json_array_foreach(t.issuance, q, v)
		{
			const char *ic =
			    json_string_value(json_object_get(v, "class"));

			issued += ic != NULL && strcmp(ic, id) == 0;
		}
		/* cast: every board entry of the class, superseded and
		 * invalid ones included; counted: the ones that count. */
		for (q = 0; q < t.nents; q++)
			if (strcmp(t.ents[q].class_id, id) == 0) {
				cast++;
				cnt += t.ents[q].counted != 0;
			}
		voters +=
		    (size_t)json_integer_value(json_object_get(cl, "voters"));
		json_array_append_new(
		    by_class,
		    json_pack("{s:s, s:O, s:I, s:I, s:I, s:i}", "id", id,
		              "voters", json_object_get(cl, "voters"),
		              "tokens_issued", (json_int_t)issued, "cast",
		              (json_int_t)cast, "counted", (json_int_t)cnt,
		              "weight", weight));
	}
	results = json_pack(
	    "{s:s, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:O}, s:O}", "poll",
	    t.id, "poll_hash", ph, "title", t.def->title, "turnout", "voters",
	    (json_int_t)voters, "tokens_issued",
	    (json_int_t)json_array_size(t.issuance), "ballots_cast",
	    (json_int_t)t.nents, "counted", (json_int_t)counted, "invalid",
	    (json_int_t)invalid, "by_class", by_class, "contests", contests);
	if (results == NULL || rec_add_json(&o, "results.json", results))
		goto out;
	if (rec_report_html(results, ballots, parts, t.def->ncontests, &html) ||
	    rec_add(&o, "report.html", (uint8_t *)html, strlen(html))) {
		html = NULL;
		goto out;
	}
	html = NULL;
	if (t.closed_ms == 0) {
		ctl_warnx("poll %s: no closed state record", t.id);
		rc = CTL_EXIT_REFUSED;
		goto out;
	}
	if (rec_tar(&o, t.id, t.closed_ms / 1000, &tar, &tarlen))
		goto out;
	if ((rc = rec_write_dir(&o, dir)) ||
	    (rc = rec_write_new(tarpath, tar, tarlen)))
		goto out;
	for (i = 0; i < json_array_size(contests); i++) {
		json_t *k = json_array_get(contests, i), *n;
		const json_t *p = json_object_get(k, "passed");
		size_t q;

		printf("%s:", json_string_value(json_object_get(k, "id")));
		if (p != NULL)
			printf(" %s",
			       json_is_true(p) ? "passed" : "not passed");
		else
			json_array_foreach(json_object_get(k, "elected"), q, n)
			    printf("%s %s", q ? "," : "", json_string_value(n));
		printf("\n");
	}
	printf("%zu ballots on the board, %zu counted, %zu invalid\n"
	       "record written to %s and %s\n",
	       t.nents, counted, invalid, dir, tarpath);
	rc = CTL_EXIT_OK;
out:
	for (i = 0; parts != NULL && i < t.def->ncontests; i++)
		free(parts[i].page);
	free(parts);
	free(html);
	free(tar);
	free(tarpath);
	json_decref(results);
	json_decref(contests);
	json_decref(ballots);
	json_decref(by_class);
	rec_out_free(&o);
	tl_free(&t);
	return rc;
}
