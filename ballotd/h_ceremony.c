/*
 * h_ceremony.c: the trustees' key ceremony through the server
 * (protocol.md section 10, crypto-dkg.md, docs/trustee.md).
 *
 *   POST /polls/{id}/ceremony/messages   one signed message, checked
 *   GET  /polls/{id}/ceremony/messages   the transcript after seq N
 *
 * The server holds no secret of the ceremony: it checks, stores and
 * relays.  What it checks is what keeps the public transcript clean
 * enough for every trustee and scrutineer to compute the same result:
 *
 * - the sender's Ed25519 signature over proto_ceremony_bytes, with the
 *   key of the poll definition, before anything else is looked at.  A
 *   message that is not validly signed is never stored: a relaying
 *   server that could store one could forge a complaint against an
 *   honest dealer and make it publish an honest trustee's share;
 * - the state: commitments .. done while the poll is in "ceremony" and
 *   the election key is not yet set; release after the close;
 * - every body with crypto/dkg.h's decoders, and its indices against
 *   from and to;
 * - the order: commitments once per trustee, shares once per (from, to)
 *   and only after the dealer's commitments, a complaint once per
 *   (accuser, dealer) against a dealer with commitments, an answer once
 *   per complaint (and it must pass the public Feldman check), done once
 *   per trustee with a QUAL of at least k committed dealers whose
 *   commitments sum to the Y it names;
 * - release: the share against X_j from the commitments and QUAL.
 *
 * The same message sent again (byte for byte: Ed25519 signatures are
 * deterministic) is answered 200 with its first seq, so a trustee that
 * was interrupted can simply send again.
 *
 * Checks and appends of one poll must not interleave (two concurrent
 * commitments from one trustee would both pass "none yet"), so a POST
 * holds cer_lock from reading the transcript until its appends are
 * done.  Ceremony messages are a few dozen per poll, so one lock for the
 * process costs nothing.  It is the file's only static state and holds
 * no data.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"
#include "dkg.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "sign.h"

#define CER_PAGE 1000 /* messages per GET */
/* done: Y (65 bytes) || QUAL as u64 big-endian (bit i-1: dealer i). */
#define CER_DONE_LEN (BC_DKG_POINT_LEN + 8)

static pthread_mutex_t cer_lock = PTHREAD_MUTEX_INITIALIZER;

/* One stored message, decoded enough to check the next one against. */
struct cer_msg {
	uint64_t seq;
	int kind; /* proto_ceremony_kind, or -1 for an unknown name */
	unsigned from, to;
	uint8_t *body;
	size_t body_len;
	uint8_t sig[PROTO_SIG_LEN];
};

struct cer_log {
	struct cer_msg *m;
	size_t n, cap;
	int nomem;
};

static int cer_kind_of(const char *name)
{
	int k;

	for (k = PROTO_CER_COMMITMENTS; k <= PROTO_CER_RELEASE; k++)
		if (strcmp(proto_ceremony_kind_name((proto_ceremony_kind)k),
		           name) == 0)
			return k;
	return -1;
}

static int cer_log_add(void *arg, const store_ceremony_msg *sm)
{
	struct cer_log *l = arg;
	struct cer_msg *m;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct cer_msg *nm = realloc(l->m, cap * sizeof(*nm));

		if (nm == NULL) {
			l->nomem = 1;
			return 1;
		}
		l->m = nm;
		l->cap = cap;
	}
	m = &l->m[l->n];
	memset(m, 0, sizeof(*m));
	m->seq = sm->seq;
	m->kind = cer_kind_of(sm->kind);
	m->from = (unsigned)sm->from;
	m->to = (unsigned)sm->to;
	if ((m->body = malloc(sm->body_len ? sm->body_len : 1)) == NULL) {
		l->nomem = 1;
		return 1;
	}
	memcpy(m->body, sm->body, sm->body_len);
	m->body_len = sm->body_len;
	if (sm->sig_len == PROTO_SIG_LEN)
		memcpy(m->sig, sm->sig, PROTO_SIG_LEN);
	l->n++;
	return 0;
}

static void cer_log_free(struct cer_log *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->m[i].body);
	free(l->m);
	memset(l, 0, sizeof(*l));
}

/* The first stored message of kind from `from` (and to `to` unless -1). */
static const struct cer_msg *cer_find(const struct cer_log *l, int kind,
                                      unsigned from, long to)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->m[i].kind == kind && l->m[i].from == from &&
		    (to < 0 || l->m[i].to == (unsigned long)to))
			return &l->m[i];
	return NULL;
}

/* Dealer i's stored commitments, decoded; 0 if it has sent some. */
static int cer_commitments(const struct cer_log *l, const bc_dkg_params *pp,
                           unsigned i, bc_dkg_commitments *c)
{
	const struct cer_msg *m = cer_find(l, PROTO_CER_COMMITMENTS, i, -1);
	bc_error e;

	if (m == NULL)
		return -1;
	if (bc_dkg_commitments_decode(pp, m->body, m->body_len, c, &e) !=
	    BC_OK)
		return -1; /* cannot happen: checked before it was stored */
	return 0;
}

/* The commitments of every dealer in qual (NULL for the others).  c holds
 * n entries, ptrs n pointers.  0, or -1 if a dealer in qual has none. */
static int cer_commit_set(const struct cer_log *l, const bc_dkg_params *pp,
                          uint64_t qual, bc_dkg_commitments *c,
                          const bc_dkg_commitments **ptrs)
{
	unsigned i;

	for (i = 1; i <= pp->n; i++) {
		ptrs[i - 1] = NULL;
		if (!(qual & (1ull << (i - 1))))
			continue;
		if (cer_commitments(l, pp, i, &c[i - 1]) == -1)
			return -1;
		ptrs[i - 1] = &c[i - 1];
	}
	return 0;
}

static uint64_t cer_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static unsigned cer_popcount(uint64_t v)
{
	unsigned n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/*
 * The checks of a message's body and its place in the transcript, for
 * the kinds of the ceremony proper and for release.  Returns 0, or -1
 * with res filled.
 */
static int cer_check_body(const proto_ceremony_msg *m, const bc_dkg_params *pp, const struct cer_log *l,
                          struct bd_result *res)
{
	bc_dkg_commitments *cs = NULL;
	const bc_dkg_commitments *ptrs[BC_DKG_MAX_N];
	bc_dkg_commitments c;
	bc_dkg_sealed_share sh;
	bc_dkg_complaint cp;
	bc_dkg_answer an;
	bc_dkg_release rel;
	const struct cer_msg *prev;
	bc_error e;
	int rc = -1;

	switch (m->kind) {
	case PROTO_CER_COMMITMENTS:
		if ((prev = cer_find(l, PROTO_CER_COMMITMENTS, m->from, -1))) {
			bd_result_set(res, 409, "wrong_state",
			              "trustee %u has already sent its "
			              "commitments (seq %llu)",
			              (unsigned)m->from,
			              (unsigned long long)prev->seq);
			return -1;
		}
		e.msg[0] = '\0';
		if (bc_dkg_commitments_decode(pp, m->body, m->body_len, &c,
		                              &e) != BC_OK ||
		    c.dealer != m->from) {
			bd_result_set(res, 400, "bad_request",
			              "body: not the commitments of trustee %u "
			              "(%zu bytes: index, n, k, k points)%s%s",
			              (unsigned)m->from,
			              BC_DKG_COMMIT_LEN(pp->k),
			              e.msg[0] ? ": " : "", e.msg);
			return -1;
		}
		return 0;
	case PROTO_CER_SHARES:
		if (cer_find(l, PROTO_CER_COMMITMENTS, m->from, -1) == NULL) {
			bd_result_set(res, 409, "wrong_state",
			              "trustee %u sends shares before its "
			              "commitments",
			              (unsigned)m->from);
			return -1;
		}
		if ((prev = cer_find(l, PROTO_CER_SHARES, m->from,
		                     (long)m->to))) {
			bd_result_set(res, 409, "wrong_state",
			              "trustee %u has already sent its share "
			              "for trustee %u (seq %llu)",
			              (unsigned)m->from, (unsigned)m->to,
			              (unsigned long long)prev->seq);
			return -1;
		}
		if (m->body_len != BC_DKG_SEALED_LEN ||
		    bc_dkg_sealed_decode(pp, m->body, &sh, &e) != BC_OK ||
		    sh.dealer != m->from || sh.recipient != m->to) {
			bd_result_set(res, 400, "bad_request",
			              "body: not a sealed share from trustee %u "
			              "to trustee %u (%d bytes)",
			              (unsigned)m->from, (unsigned)m->to,
			              (int)BC_DKG_SEALED_LEN);
			return -1;
		}
		return 0;
	case PROTO_CER_COMPLAINT:
		if (m->body_len != BC_DKG_COMPLAINT_LEN ||
		    bc_dkg_complaint_decode(pp, m->body, &cp, &e) != BC_OK ||
		    cp.accuser != m->from ||
		    (m->to != 0 && m->to != cp.dealer)) {
			bd_result_set(res, 400, "bad_request",
			              "body: not a complaint by trustee %u (3 "
			              "bytes: accuser, dealer, reason; to is 0 "
			              "or the dealer)",
			              (unsigned)m->from);
			return -1;
		}
		if (cer_find(l, PROTO_CER_COMMITMENTS, cp.dealer, -1) == NULL) {
			bd_result_set(res, 409, "wrong_state",
			              "trustee %u has sent no commitments to "
			              "complain about",
			              cp.dealer);
			return -1;
		}
		for (size_t i = 0; i < l->n; i++) {
			bc_dkg_complaint o;

			if (l->m[i].kind != PROTO_CER_COMPLAINT ||
			    l->m[i].from != m->from ||
			    bc_dkg_complaint_decode(pp, l->m[i].body, &o,
			                            &e) != BC_OK ||
			    o.dealer != cp.dealer)
				continue;
			bd_result_set(res, 409, "wrong_state",
			              "trustee %u has already complained about "
			              "trustee %u (seq %llu)",
			              (unsigned)m->from, cp.dealer,
			              (unsigned long long)l->m[i].seq);
			return -1;
		}
		return 0;
	case PROTO_CER_ANSWER:
		if (m->body_len != BC_DKG_ANSWER_LEN ||
		    bc_dkg_answer_decode(pp, m->body, &an, &e) != BC_OK ||
		    an.dealer != m->from ||
		    (m->to != 0 && m->to != an.accuser)) {
			bd_result_set(res, 400, "bad_request",
			              "body: not an answer by trustee %u (34 "
			              "bytes: dealer, accuser, share; to is 0 "
			              "or the accuser)",
			              (unsigned)m->from);
			return -1;
		}
		memset(&cp, 0, sizeof(cp));
		for (size_t i = 0; i < l->n; i++) {
			bc_dkg_complaint o;
			bc_dkg_answer oa;

			if (l->m[i].kind == PROTO_CER_COMPLAINT &&
			    l->m[i].from == an.accuser &&
			    bc_dkg_complaint_decode(pp, l->m[i].body, &o,
			                            &e) == BC_OK &&
			    o.dealer == an.dealer)
				cp = o;
			if (l->m[i].kind != PROTO_CER_ANSWER ||
			    l->m[i].from != m->from ||
			    bc_dkg_answer_decode(pp, l->m[i].body, &oa, &e) !=
			        BC_OK ||
			    oa.accuser != an.accuser)
				continue;
			bd_result_set(res, 409, "wrong_state",
			              "trustee %u has already answered trustee "
			              "%u's complaint (seq %llu)",
			              (unsigned)m->from, an.accuser,
			              (unsigned long long)l->m[i].seq);
			bc_wipe(&oa, sizeof(oa));
			bc_wipe(&an, sizeof(an));
			return -1;
		}
		if (cp.dealer == 0) {
			bd_result_set(res, 409, "wrong_state",
			              "trustee %u has not complained about "
			              "trustee %u",
			              an.accuser, (unsigned)m->from);
			bc_wipe(&an, sizeof(an));
			return -1;
		}
		if (cer_commitments(l, pp, m->from, &c) == -1 ||
		    bc_dkg_check_answer(pp, &c, &cp, &an, &e) != BC_OK) {
			bc_wipe(&an, sizeof(an));
			bd_result_set(res, 422, "bad_share",
			              "trustee %u's answer to trustee %u does not "
			              "match its commitments",
			              (unsigned)m->from, cp.accuser);
			return -1;
		}
		bc_wipe(&an, sizeof(an));
		return 0;
	case PROTO_CER_DONE: {
		uint8_t y[BC_DKG_POINT_LEN];
		uint64_t qual, all;

		if ((prev = cer_find(l, PROTO_CER_DONE, m->from, -1))) {
			bd_result_set(res, 409, "wrong_state",
			              "trustee %u has already sent done (seq "
			              "%llu)",
			              (unsigned)m->from,
			              (unsigned long long)prev->seq);
			return -1;
		}
		if (m->body_len != CER_DONE_LEN) {
			bd_result_set(res, 400, "bad_request",
			              "body: done is Y (65 bytes) and QUAL (8 "
			              "bytes), %d bytes, not %zu",
			              CER_DONE_LEN, m->body_len);
			return -1;
		}
		qual = cer_be64(m->body + BC_DKG_POINT_LEN);
		all = pp->n == 64 ? ~0ull : (1ull << pp->n) - 1;
		if ((qual & ~all) != 0 || cer_popcount(qual) < pp->k) {
			bd_result_set(res, 400, "bad_request",
			              "body: QUAL must name at least k = %u of "
			              "trustees 1 to %u",
			              pp->k, pp->n);
			return -1;
		}
		if ((cs = calloc(pp->n, sizeof(*cs))) == NULL) {
			bd_result_set(res, 503, "unavailable", "out of memory");
			return -1;
		}
		if (cer_commit_set(l, pp, qual, cs, ptrs) == -1) {
			bd_result_set(res, 409, "wrong_state",
			              "body: QUAL names a trustee without "
			              "commitments");
			goto out;
		}
		if (bc_dkg_public_key(pp, ptrs, qual, y, &e) != BC_OK ||
		    !bc_ct_equal(y, m->body, BC_DKG_POINT_LEN)) {
			bd_result_set(res, 422, "bad_key",
			              "body: Y is not the sum of the constant "
			              "commitments of the dealers in QUAL");
			goto out;
		}
		rc = 0;
		goto out;
	}
	case PROTO_CER_RELEASE: {
		const struct cer_msg *d = NULL;
		size_t i;

		if ((prev = cer_find(l, PROTO_CER_RELEASE, m->from, -1))) {
			bd_result_set(res, 409, "wrong_state",
			              "trustee %u has already released its share "
			              "(seq %llu)",
			              (unsigned)m->from,
			              (unsigned long long)prev->seq);
			return -1;
		}
		if (m->body_len != BC_DKG_RELEASE_LEN ||
		    bc_dkg_release_decode(pp, m->body, &rel, &e) != BC_OK ||
		    rel.trustee != m->from) {
			bc_wipe(&rel, sizeof(rel));
			bd_result_set(res, 422, "bad_share",
			              "body: not a release of trustee %u (33 "
			              "bytes: index, share below the group "
			              "order)",
			              (unsigned)m->from);
			return -1;
		}
		/* Every done agreed (the key was set on that condition). */
		for (i = 0; i < l->n && d == NULL; i++)
			if (l->m[i].kind == PROTO_CER_DONE &&
			    l->m[i].body_len == CER_DONE_LEN)
				d = &l->m[i];
		if (d == NULL || (cs = calloc(pp->n, sizeof(*cs))) == NULL ||
		    cer_commit_set(l, pp, cer_be64(d->body + BC_DKG_POINT_LEN),
		                   cs, ptrs) == -1) {
			bc_wipe(&rel, sizeof(rel));
			bd_result_set(res, 409, "wrong_state",
			              "the ceremony of this poll has no result "
			              "to check a release against");
			goto out;
		}
		if (bc_dkg_check_release(pp, ptrs,
		                         cer_be64(d->body + BC_DKG_POINT_LEN),
		                         &rel, &e) != BC_OK) {
			bc_wipe(&rel, sizeof(rel));
			bd_result_set(res, 422, "bad_share",
			              "trustee %u's released share does not "
			              "match its verification key X_%u",
			              (unsigned)m->from, (unsigned)m->from);
			goto out;
		}
		bc_wipe(&rel, sizeof(rel));
		rc = 0;
		goto out;
	}
	}
	bd_result_set(res, 400, "bad_request", "kind: unknown");
out:
	free(cs);
	return rc;
}

/* Appends a state record (no change of state) with details as JSON. */
static int cer_record(struct bd_app *app, const char *poll, const char *kind,
                      json_t *details, struct bd_result *res)
{
	store_state_new rec;
	store_error err;
	store_status st;
	size_t len;
	char *text = proto_json_text(details, &len);

	json_decref(details);
	if (text == NULL) {
		bd_result_set(res, 503, "unavailable", "out of memory");
		return -1;
	}
	memset(&rec, 0, sizeof(rec));
	rec.kind = kind;
	rec.time_ms = (uint64_t)bd_now_ms();
	rec.details = (const uint8_t *)text;
	rec.details_len = len;
	rec.expect_state = STORE_STATE_CEREMONY;
	rec.new_state = NULL;
	rec.expect_tree_size = -1;
	st = store_state_append(app->store, poll, &rec, NULL, NULL, &err);
	free(text);
	if (st != STORE_OK) {
		bd_result_store(res, st, &err, "state record");
		return -1;
	}
	return 0;
}

static int cer_has_state(void *arg, const store_state_rec *rec)
{
	int *found = arg;

	if (strcmp(rec->kind, "ceremony-done") == 0)
		*found = 1;
	return *found;
}

static json_t *cer_qual_json(uint64_t qual, unsigned n)
{
	json_t *a = json_array();
	unsigned i;

	for (i = 1; a != NULL && i <= n; i++)
		if (qual & (1ull << (i - 1)))
			json_array_append_new(a, json_integer(i));
	return a;
}

/*
 * After a done is stored (or sent again): if it names another Y than the
 * done messages before it, which all agreed, the ceremony has failed and
 * a "ceremony-failed" state record says so (once: a later done finds the
 * earlier ones in disagreement already).  If every trustee has sent done
 * with the same Y, the election key is set and a "ceremony-done" record
 * names it with QUAL; both steps are skipped when already made, so a
 * done sent again after a crash between them completes them.
 */
static int cer_finish(struct bd_tctx *tc, const store_poll *sp,
                      const proto_poll *def, const struct cer_log *l,
                      uint64_t new_seq, struct bd_result *res)
{
	struct bd_app *app = tc->t.app;
	const struct cer_msg *first = NULL, *mine = NULL;
	unsigned ndone = 0;
	int agree_before = 1;
	store_error err;
	store_status st;
	size_t i;
	int found = 0;

	for (i = 0; i < l->n; i++) {
		const struct cer_msg *m = &l->m[i];

		if (m->kind != PROTO_CER_DONE || m->body_len != CER_DONE_LEN)
			continue;
		if (m->seq == new_seq) {
			mine = m;
			continue;
		}
		ndone++;
		if (first == NULL)
			first = m;
		else if (memcmp(first->body, m->body, CER_DONE_LEN) != 0)
			agree_before = 0;
	}
	if (mine == NULL)
		return 0;
	if (first != NULL &&
	    memcmp(first->body, mine->body, BC_DKG_POINT_LEN) != 0) {
		json_t *d;

		if (!agree_before)
			return 0;
		bd_log_warn("poll '%s': trustees %u and %u derived different "
		            "election keys: the ceremony has failed",
		            sp->id, first->from, mine->from);
		d = json_pack("{s:s, s:i, s:o, s:o, s:i, s:o, s:o}", "reason",
		              "trustees derived different election keys",
		              "trustee", (int)first->from, "election_key",
		              bd_json_b64url(first->body, BC_DKG_POINT_LEN),
		              "qual",
		              cer_qual_json(cer_be64(first->body +
		                                     BC_DKG_POINT_LEN),
		                            (unsigned)def->ntrustees),
		              "other_trustee", (int)mine->from,
		              "other_election_key",
		              bd_json_b64url(mine->body, BC_DKG_POINT_LEN),
		              "other_qual",
		              cer_qual_json(cer_be64(mine->body +
		                                     BC_DKG_POINT_LEN),
		                            (unsigned)def->ntrustees));
		if (d == NULL) {
			bd_result_set(res, 503, "unavailable", "out of memory");
			return -1;
		}
		return cer_record(app, sp->id, "ceremony-failed", d, res);
	}
	if (!agree_before || ndone + 1 < def->ntrustees)
		return 0;
	if (sp->election_pk == NULL) {
		st = store_poll_set_election_key(app->store, sp->id, mine->body,
		                                 BC_DKG_POINT_LEN, &err);
		if (st != STORE_OK) {
			bd_result_store(res, st, &err, "election key");
			return -1;
		}
	}
	st = store_states(tc->t.rd, sp->id, cer_has_state, &found, &err);
	if (st != STORE_OK) {
		bd_result_store(res, st, &err, "state records");
		return -1;
	}
	if (!found) {
		json_t *d = json_pack(
		    "{s:o, s:o, s:I}", "election_key",
		    bd_json_b64url(mine->body, BC_DKG_POINT_LEN), "qual",
		    cer_qual_json(cer_be64(mine->body + BC_DKG_POINT_LEN),
		                  (unsigned)def->ntrustees),
		    "last_message", (json_int_t)new_seq);

		if (d == NULL) {
			bd_result_set(res, 503, "unavailable", "out of memory");
			return -1;
		}
		if (cer_record(app, sp->id, "ceremony-done", d, res) == -1)
			return -1;
		bd_log_info("poll '%s': key ceremony done, election key set",
		            sp->id);
	}
	return 0;
}

/* The same message, byte for byte, already stored: its seq, else 0. */
static uint64_t cer_same(const struct cer_log *l, const proto_ceremony_msg *m)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->m[i].kind == (int)m->kind && l->m[i].from == m->from &&
		    l->m[i].to == m->to && l->m[i].body_len == m->body_len &&
		    memcmp(l->m[i].body, m->body, m->body_len) == 0 &&
		    memcmp(l->m[i].sig, m->sig, PROTO_SIG_LEN) == 0)
			return l->m[i].seq;
	return 0;
}

static int cer_read_log(struct bd_tctx *tc, const char *poll,
                        struct cer_log *l, struct bd_result *res)
{
	store_error err;
	store_status st;

	memset(l, 0, sizeof(*l));
	st = store_ceremony_after(tc->t.rd, poll, 0, cer_log_add, l, &err);
	if (st != STORE_OK) {
		bd_result_store(res, st, &err, "ceremony messages");
		return -1;
	}
	if (l->nomem) {
		bd_result_set(res, 503, "unavailable", "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Under cer_lock: the state, the transcript, the body, the append and
 * the end of the ceremony.  Returns the HTTP status of success (201 new,
 * 200 the same message again) with *seq set, or -1 with res filled.
 */
static int cer_post_locked(struct bd_tctx *tc, const char *id,
                           const proto_ceremony_msg *m, uint64_t *seq,
                           struct bd_result *res)
{
	const proto_poll *def;
	store_poll sp;
	struct cer_log l;
	bc_dkg_params pp;
	store_error err;
	store_status st;
	const char *kind = proto_ceremony_kind_name(m->kind);
	int rc = -1, status = 201;

	memset(&l, 0, sizeof(l));
	if (bd_poll_load(tc, id, &sp, &def, res) == -1)
		return -1;
	if (bc_dkg_params_init(&pp, (const uint8_t *)def->id, strlen(def->id),
	                       (unsigned)def->ntrustees,
	                       (unsigned)def->k) != BC_OK) {
		bd_result_set(res, 500, "internal",
		              "poll '%s': no ceremony for these trustees", id);
		goto out;
	}
	if (cer_read_log(tc, id, &l, res) == -1)
		goto out;
	if ((*seq = cer_same(&l, m)) != 0) {
		/* Sent again: nothing new to check, but a done may have to
		 * complete the end of the ceremony (see cer_finish). */
		if (m->kind == PROTO_CER_DONE &&
		    strcmp(sp.state, STORE_STATE_CEREMONY) == 0 &&
		    cer_finish(tc, &sp, def, &l, *seq, res) == -1)
			goto out;
		rc = 200;
		goto out;
	}
	if (m->kind == PROTO_CER_RELEASE) {
		if (strcmp(sp.state, STORE_STATE_CLOSED) != 0) {
			bd_result_set(res, 409, "wrong_state",
			              "poll '%s' is %s: shares are released "
			              "only after the close",
			              id, sp.state);
			goto out;
		}
	} else if (strcmp(sp.state, STORE_STATE_CEREMONY) != 0) {
		bd_result_set(res, 409, "wrong_state",
		              "poll '%s' is %s, not in its key ceremony", id,
		              sp.state);
		goto out;
	} else if (sp.election_pk != NULL) {
		bd_result_set(res, 409, "wrong_state",
		              "poll '%s': the key ceremony is over (the "
		              "election key is set)",
		              id);
		goto out;
	}
	if (cer_check_body(m, &pp, &l, res) == -1)
		goto out;
	st = store_ceremony_append(tc->t.app->store, id, kind, m->from, m->to,
	                           m->body, m->body_len, m->sig, PROTO_SIG_LEN,
	                           seq, &err);
	if (st != STORE_OK) {
		bd_result_store(res, st, &err, "ceremony message");
		goto out;
	}
	if (m->kind == PROTO_CER_DONE) {
		struct cer_msg *nm;

		/* The transcript with the new done at its place. */
		if (l.n == l.cap) {
			nm = realloc(l.m, (l.cap + 1) * sizeof(*nm));
			if (nm == NULL) {
				bd_result_set(res, 503, "unavailable",
				              "out of memory");
				goto out;
			}
			l.m = nm;
			l.cap++;
		}
		nm = &l.m[l.n];
		memset(nm, 0, sizeof(*nm));
		nm->seq = *seq;
		nm->kind = PROTO_CER_DONE;
		nm->from = m->from;
		nm->body_len = m->body_len;
		if ((nm->body = malloc(m->body_len)) == NULL) {
			bd_result_set(res, 503, "unavailable", "out of memory");
			goto out;
		}
		memcpy(nm->body, m->body, m->body_len);
		l.n++;
		if (cer_finish(tc, &sp, def, &l, *seq, res) == -1)
			goto out;
	}
	rc = status;
out:
	cer_log_free(&l);
	store_poll_clear(&sp);
	return rc;
}

void bd_h_ceremony_post(struct bd_req *req)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	const char *id = bd_req_param(req, "id");
	const proto_poll *def;
	proto_ceremony_msg m;
	proto_err perr;
	proto_status pst;
	struct bd_result res;
	store_poll sp;
	proto_buf b = {0};
	const uint8_t *body;
	size_t len;
	uint64_t seq = 0;
	int rc;

	if (tc == NULL || tc->t.rd == NULL) {
		bd_reply_error(req, 503, "unavailable", "no store");
		return;
	}
	memset(&res, 0, sizeof(res));
	if (bd_poll_load(tc, id, &sp, &def, &res) == -1) {
		bd_reply_result(req, &res);
		return;
	}
	body = bd_req_body(req, &len);
	pst = proto_ceremony_decode((const char *)body, len, def->ntrustees, &m,
	                            &perr);
	if (pst != PROTO_OK) {
		store_poll_clear(&sp);
		bd_reply_proto_error(req, pst, &perr);
		return;
	}
	/* The signature first: nothing unsigned is even looked at. */
	proto_ceremony_bytes(&b, sp.poll_hash, proto_ceremony_kind_name(m.kind),
	                     m.from, m.to, m.body, m.body_len);
	store_poll_clear(&sp);
	if (b.failed) {
		proto_buf_free(&b);
		free(m.body);
		bd_reply_error(req, 503, "unavailable", "out of memory");
		return;
	}
	if (bc_ed25519_verify(def->trustees[m.from - 1].sign_key, b.p, b.len,
	                      m.sig) != BC_OK) {
		proto_buf_free(&b);
		bd_reply_error(req, 422, "bad_signature",
		               "sig: not trustee %u's signature of this %s "
		               "message",
		               (unsigned)m.from,
		               proto_ceremony_kind_name(m.kind));
		free(m.body);
		return;
	}
	proto_buf_free(&b);
	pthread_mutex_lock(&cer_lock);
	rc = cer_post_locked(tc, id, &m, &seq, &res);
	pthread_mutex_unlock(&cer_lock);
	if (rc == -1) {
		if (res.status == 422 || res.status == 409)
			bd_log_info("poll '%s': %s from trustee %u refused: %s",
			            id, proto_ceremony_kind_name(m.kind),
			            (unsigned)m.from, res.msg);
		free(m.body);
		bd_reply_result(req, &res);
		return;
	}
	free(m.body);
	bd_reply_json(req, rc, json_pack("{s:I}", "seq", (json_int_t)seq));
}

struct cer_page {
	json_t *arr;
	size_t n;
	int nomem;
};

static int cer_page_add(void *arg, const store_ceremony_msg *sm)
{
	struct cer_page *p = arg;
	json_t *o;

	o = json_pack("{s:I, s:s, s:I, s:I, s:o, s:o}", "seq",
	              (json_int_t)sm->seq, "kind", sm->kind, "from",
	              (json_int_t)sm->from, "to", (json_int_t)sm->to, "body",
	              bd_json_b64url(sm->body, sm->body_len), "sig",
	              bd_json_b64url(sm->sig, sm->sig_len));
	if (o == NULL || json_array_append_new(p->arr, o) != 0) {
		p->nomem = 1;
		return 1;
	}
	return ++p->n >= CER_PAGE;
}

void bd_h_ceremony_get(struct bd_req *req)
{
	struct bd_tctx *tc = bd_tctx_of(req);
	const char *id = bd_req_param(req, "id");
	const char *after_s = bd_req_query(req, "after");
	struct cer_page page;
	unsigned long long after = 0;
	store_error err;
	store_status st;
	char what[STORE_POLL_ID_MAX + 16];

	if (tc == NULL || tc->t.rd == NULL) {
		bd_reply_error(req, 503, "unavailable", "no store");
		return;
	}
	if (after_s != NULL) {
		char *end;
		size_t i;

		for (i = 0; after_s[i] != '\0'; i++)
			if (after_s[i] < '0' || after_s[i] > '9')
				break;
		after = strtoull(after_s, &end, 10);
		if (after_s[0] == '\0' || after_s[i] != '\0' || i > 16 ||
		    after > (unsigned long long)PROTO_JSON_INT_MAX) {
			bd_reply_error(req, 400, "bad_request",
			               "after: expected a whole number from 0 "
			               "to 2^53 - 1");
			return;
		}
	}
	memset(&page, 0, sizeof(page));
	if ((page.arr = json_array()) == NULL) {
		bd_reply_error(req, 503, "unavailable", "out of memory");
		return;
	}
	st = store_ceremony_after(tc->t.rd, id, after, cer_page_add, &page,
	                          &err);
	if (st != STORE_OK) {
		json_decref(page.arr);
		snprintf(what, sizeof(what), "poll '%s'", id);
		bd_reply_store_error(req, st, &err, what);
		return;
	}
	if (page.nomem) {
		json_decref(page.arr);
		bd_reply_error(req, 503, "unavailable", "out of memory");
		return;
	}
	bd_reply_json(req, 200, json_pack("{s:o}", "messages", page.arr));
}
