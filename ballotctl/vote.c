/*
 * vote.c: the voter's side of protocol.md sections 5 to 8.
 *
 *   1. fetch the poll; build the ballot plaintext and check it against
 *      the poll and the voter's class before anything is sent;
 *   2. token: a fresh Ed25519 key pair, the cast key, whose public key is
 *      the token's msg (protocol.md section 5); Prepare, Blind with the
 *      class's token key; the state file is written BEFORE the request,
 *      so a run that
 *      dies after the server signed resumes with the same blinded
 *      message (the server answers it the same blind signature, and
 *      would refuse any other);
 *   3. Finalize (which verifies), then seal the padded plaintext to the
 *      election key, saved too before it is sent, so that a cast lost in
 *      transit is sent again byte for byte and gets the same receipt;
 *   4. sign the cast with the cast key (cast_sig: a token copied from
 *      the board is useless without it); cast on a new connection;
 *      verify the receipt (both signatures,
 *      the inclusion proof, and the leaf hash recomputed from the entry
 *      built here); write the receipt file; remove the state file.
 *
 * The state file holds secrets (the blinding inverse, the cast key, the
 * token and its signature): mode 0600, replaced atomically, removed at
 * the end.
 *
 * Revoting (polls that allow it): --keep-token FILE writes the token,
 * its signature and the cast key to FILE (0600) after the vote;
 * `vote --revote FILE` casts a new ballot with them, which the tally
 * counts instead of the earlier one.  Whoever holds FILE can replace the
 * vote: it is a secret.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hpke.h"
#include "merkle.h"
#include "pad.h"
#include "sign.h"

#include "ctl.h"

#define CTL_VARIANT BC_BRSA_SHA384_PSS_RANDOMIZED

enum ctl_step { STEP_NONE = 0, STEP_BLINDED, STEP_TOKEN, STEP_SEALED };
static const char *const ctl_step_names[] = {"none", "blinded", "token",
                                             "sealed"};

struct ctl_vstate {
	enum ctl_step step;
	char class_id[PROTO_CLASS_ID_MAX + 1];
	uint8_t prepared[PROTO_TOKEN_LEN];
	uint8_t blinded[BC_BRSA_MAX_LEN];
	uint8_t inv[BC_BRSA_MAX_LEN]; /* secret; STEP_BLINDED only */
	uint8_t sig[BC_BRSA_MAX_LEN]; /* STEP_TOKEN on */
	size_t klen;
	uint8_t *ballot; /* sealed; STEP_SEALED */
	size_t ballot_len;
	uint8_t ballot_hash[32]; /* H(plaintext), STEP_SEALED */
	/* The cast key (secret): its public key is prepared + 32. */
	uint8_t cast_sk[BC_ED25519_SK_LEN];
	uint8_t cast_sig[PROTO_SIG_LEN]; /* made just before the cast */
};

static void ctl_vstate_clear(struct ctl_vstate *s)
{
	if (s->ballot != NULL) {
		bc_wipe(s->ballot, s->ballot_len);
		free(s->ballot);
	}
	bc_wipe(s, sizeof(*s));
}

static int ctl_set_b64(json_t *o, const char *k, const uint8_t *p, size_t n)
{
	char *s = ctl_b64url(p, n);
	int rc;

	if (s == NULL)
		return -1;
	rc = json_object_set_new(o, k, json_string(s));
	bc_wipe(s, strlen(s));
	free(s);
	return rc;
}

/* Writes the state file (atomically, 0600).  0 or -1 after a message. */
static int ctl_vstate_save(const char *path, const char *poll,
                           const uint8_t poll_hash[32],
                           const struct ctl_vstate *s)
{
	json_t *o = json_object();
	char hex[65], *text;
	size_t len;
	int bad = o == NULL, rc;

	ctl_hex(poll_hash, 32, hex);
	bad |= json_object_set_new(o, "format",
	                           json_string("ballotctl-vote-state/1"));
	bad |= json_object_set_new(o, "poll", json_string(poll));
	bad |= json_object_set_new(o, "poll_hash", json_string(hex));
	bad |= json_object_set_new(o, "step",
	                           json_string(ctl_step_names[s->step]));
	bad |= json_object_set_new(o, "class", json_string(s->class_id));
	bad |= ctl_set_b64(o, "prepared", s->prepared, sizeof(s->prepared));
	bad |= ctl_set_b64(o, "cast_key", s->cast_sk, sizeof(s->cast_sk));
	bad |= ctl_set_b64(o, "blinded", s->blinded, s->klen);
	if (s->step == STEP_BLINDED)
		bad |= ctl_set_b64(o, "inv", s->inv, s->klen);
	else
		bad |= ctl_set_b64(o, "sig", s->sig, s->klen);
	if (s->step == STEP_SEALED) {
		bad |= ctl_set_b64(o, "ballot", s->ballot, s->ballot_len);
		ctl_hex(s->ballot_hash, 32, hex);
		bad |= json_object_set_new(o, "ballot_hash", json_string(hex));
	}
	if (bad || (text = json_dumps(o, JSON_INDENT(1) |
	                                     JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(o);
		ctl_warnx("out of memory");
		return -1;
	}
	json_decref(o);
	len = strlen(text);
	rc = ctl_write_file_atomic(path, text, len, 0600);
	bc_wipe(text, len);
	free(text);
	return rc;
}

/* A base64url member of exactly want bytes (0: any, up to cap). */
static int ctl_get_b64(json_t *o, const char *k, uint8_t *out, size_t cap,
                       size_t want, size_t *got)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s == NULL ? -1 : ctl_unb64url(s, out, cap, want, got);
}

/* 1 if the cast key's public key is the token's msg, else 0. */
static int ctl_cast_key_ok(const struct ctl_vstate *s)
{
	uint8_t pk[BC_ED25519_PK_LEN];

	return bc_ed25519_public(s->cast_sk, pk) == BC_OK &&
	       memcmp(pk, s->prepared + PROTO_TOKEN_MSG_OFF, sizeof(pk)) == 0;
}

/*
 * Reads a state file of an earlier run.  Returns 0 (none there: s is
 * empty), 1 (read), or an exit code + 10 after a message.
 */
static int ctl_vstate_load(const char *path, const char *poll,
                           const uint8_t poll_hash[32], struct ctl_vstate *s)
{
	json_error_t je;
	json_t *o;
	char *text, hex[65];
	size_t len, got;
	const char *v;
	int i, bad = 0;

	memset(s, 0, sizeof(*s));
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return 0;
	if (ctl_read_file(path, 1u << 20, &text, &len) == -1)
		return 10 + CTL_EXIT_IO;
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	bc_wipe(text, len);
	free(text);
	if (o == NULL || !json_is_object(o)) {
		ctl_warnx("%s: not a state file of ballotctl vote", path);
		json_decref(o);
		return 10 + CTL_EXIT_REFUSED;
	}
	v = json_string_value(json_object_get(o, "format"));
	if (v == NULL || strcmp(v, "ballotctl-vote-state/1") != 0) {
		ctl_warnx("%s: format: expected \"ballotctl-vote-state/1\"",
		          path);
		goto bad;
	}
	v = json_string_value(json_object_get(o, "poll"));
	ctl_hex(poll_hash, 32, hex);
	if (v == NULL || strcmp(v, poll) != 0 ||
	    (v = json_string_value(json_object_get(o, "poll_hash"))) == NULL ||
	    strcmp(v, hex) != 0) {
		ctl_warnx("%s: the state of a vote in another poll (or "
		          "another version of it)",
		          path);
		goto bad;
	}
	v = json_string_value(json_object_get(o, "step"));
	for (i = STEP_BLINDED; v != NULL && i <= STEP_SEALED; i++)
		if (strcmp(v, ctl_step_names[i]) == 0)
			s->step = (enum ctl_step)i;
	v = json_string_value(json_object_get(o, "class"));
	if (s->step == STEP_NONE || v == NULL ||
	    strlen(v) > PROTO_CLASS_ID_MAX) {
		ctl_warnx("%s: step or class missing or unknown", path);
		goto bad;
	}
	strcpy(s->class_id, v);
	bad |= ctl_get_b64(o, "prepared", s->prepared, sizeof(s->prepared),
	                   sizeof(s->prepared), NULL);
	bad |= ctl_get_b64(o, "cast_key", s->cast_sk, sizeof(s->cast_sk),
	                   sizeof(s->cast_sk), NULL);
	bad |= ctl_get_b64(o, "blinded", s->blinded, sizeof(s->blinded), 0,
	                   &s->klen);
	if (s->step == STEP_BLINDED)
		bad |= ctl_get_b64(o, "inv", s->inv, sizeof(s->inv), s->klen,
		                   &got);
	else
		bad |= ctl_get_b64(o, "sig", s->sig, sizeof(s->sig), s->klen,
		                   &got);
	if (s->step == STEP_SEALED) {
		const char *b = json_string_value(json_object_get(o, "ballot"));
		const char *bh =
		    json_string_value(json_object_get(o, "ballot_hash"));
		size_t bl = b ? strlen(b) : 0;

		if (b == NULL || bh == NULL ||
		    (s->ballot = malloc(bl * 3 / 4 + 1)) == NULL ||
		    ctl_unb64url(b, s->ballot, bl * 3 / 4 + 1, 0,
		                 &s->ballot_len) == -1 ||
		    ctl_unhex(bh, s->ballot_hash, 32) == -1)
			bad = 1;
	}
	if (bad) {
		ctl_warnx("%s: a member is missing or malformed", path);
		goto bad;
	}
	if (!ctl_cast_key_ok(s)) {
		ctl_warnx("%s: cast_key is not the key in the token", path);
		goto bad;
	}
	json_decref(o);
	return 1;
bad:
	json_decref(o);
	ctl_vstate_clear(s);
	return 10 + CTL_EXIT_REFUSED;
}

/*
 * The token file of --keep-token: what a revote needs, and nothing the
 * server could use to find the voter.  Written atomically, 0600.  0 or
 * -1 after a message.
 */
static int ctl_token_save(const char *path, const char *poll,
                          const uint8_t poll_hash[32],
                          const struct ctl_vstate *s)
{
	json_t *o = json_object();
	char hex[65], *text;
	size_t len;
	int bad = o == NULL, rc;

	ctl_hex(poll_hash, 32, hex);
	bad |=
	    json_object_set_new(o, "format", json_string("ballotctl-token/1"));
	bad |= json_object_set_new(o, "poll", json_string(poll));
	bad |= json_object_set_new(o, "poll_hash", json_string(hex));
	bad |= json_object_set_new(o, "class", json_string(s->class_id));
	bad |= ctl_set_b64(o, "prepared", s->prepared, sizeof(s->prepared));
	bad |= ctl_set_b64(o, "sig", s->sig, s->klen);
	bad |= ctl_set_b64(o, "cast_key", s->cast_sk, sizeof(s->cast_sk));
	if (bad || (text = json_dumps(o, JSON_INDENT(1) |
	                                     JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(o);
		ctl_warnx("out of memory");
		return -1;
	}
	json_decref(o);
	len = strlen(text);
	rc = ctl_write_file_atomic(path, text, len, 0600);
	bc_wipe(text, len);
	free(text);
	return rc;
}

/*
 * Reads a token file of --keep-token into s (at step "token").  The
 * token signature is checked by the caller, with the class's key.  An
 * exit code after a message.
 */
static int ctl_token_load(const char *path, const char *poll,
                          const uint8_t poll_hash[32], struct ctl_vstate *s)
{
	json_error_t je;
	json_t *o;
	char *text, hex[65];
	size_t len;
	const char *v;
	int bad = 0;

	memset(s, 0, sizeof(*s));
	if (ctl_read_file(path, 1u << 16, &text, &len) == -1)
		return CTL_EXIT_IO;
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	bc_wipe(text, len);
	free(text);
	v = json_string_value(json_object_get(o, "format"));
	if (o == NULL || v == NULL || strcmp(v, "ballotctl-token/1") != 0) {
		ctl_warnx("--revote %s: not a token file of ballotctl vote "
		          "--keep-token",
		          path);
		json_decref(o);
		return CTL_EXIT_REFUSED;
	}
	v = json_string_value(json_object_get(o, "poll"));
	ctl_hex(poll_hash, 32, hex);
	if (v == NULL || strcmp(v, poll) != 0 ||
	    (v = json_string_value(json_object_get(o, "poll_hash"))) == NULL ||
	    strcmp(v, hex) != 0) {
		ctl_warnx("--revote %s: the token of another poll (or "
		          "another version of it)",
		          path);
		goto bad;
	}
	v = json_string_value(json_object_get(o, "class"));
	if (v == NULL || strlen(v) > PROTO_CLASS_ID_MAX)
		bad = 1;
	else
		strcpy(s->class_id, v);
	bad |= ctl_get_b64(o, "prepared", s->prepared, sizeof(s->prepared),
	                   sizeof(s->prepared), NULL);
	bad |= ctl_get_b64(o, "sig", s->sig, sizeof(s->sig), 0, &s->klen);
	bad |= ctl_get_b64(o, "cast_key", s->cast_sk, sizeof(s->cast_sk),
	                   sizeof(s->cast_sk), NULL);
	if (bad) {
		ctl_warnx("--revote %s: a member is missing or malformed",
		          path);
		goto bad;
	}
	if (!ctl_cast_key_ok(s)) {
		ctl_warnx("--revote %s: cast_key is not the key in the token",
		          path);
		goto bad;
	}
	s->step = STEP_TOKEN;
	json_decref(o);
	return CTL_EXIT_OK;
bad:
	json_decref(o);
	ctl_vstate_clear(s);
	return CTL_EXIT_REFUSED;
}

/*
 * The voter's choices, {"<contest id>": [3, 1, 2], ...}, into b (the
 * contests in the order given).  Returns an exit code after a message.
 */
static int ctl_ballot_parse(const proto_poll *p, const char *text, size_t len,
                            proto_ballot *b)
{
	json_error_t je;
	json_t *o, *ranks, *e;
	const char *k;
	size_t i;

	memset(b, 0, sizeof(*b));
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL || !json_is_object(o)) {
		if (o == NULL)
			ctl_warnx("ballot: line %d, column %d: %s", je.line,
			          je.column, je.text);
		else
			ctl_warnx("ballot: expected an object such as "
			          "{\"committee\":[3,1,2]}");
		json_decref(o);
		return CTL_EXIT_USAGE;
	}
	json_object_foreach(o, k, ranks)
	{
		proto_choice *ch;
		int ci = proto_poll_contest_index(p, k);

		if (ci < 0) {
			ctl_warnx("ballot: \"%.40s\" is not a contest of poll "
			          "%s",
			          k, p->id);
			goto bad;
		}
		if (!json_is_array(ranks) ||
		    json_array_size(ranks) > PROTO_MAX_CANDIDATES) {
			ctl_warnx("ballot: %s: expected a list of candidate "
			          "numbers, best first",
			          k);
			goto bad;
		}
		ch = &b->choices[b->nchoices];
		ch->contest = ci;
		ch->nranks = json_array_size(ranks);
		if (ch->nranks > 0 &&
		    (ch->ranks = calloc(ch->nranks, sizeof(uint16_t))) ==
		        NULL) {
			ctl_warnx("out of memory");
			goto bad;
		}
		b->nchoices++;
		json_array_foreach(ranks, i, e)
		{
			json_int_t n =
			    json_is_integer(e) ? json_integer_value(e) : 0;

			if (n < 1 ||
			    n > (json_int_t)p->contests[ci].ncandidates) {
				ctl_warnx(
				    "ballot: %s[%zu]: expected a candidate "
				    "number from 1 to %zu",
				    k, i, p->contests[ci].ncandidates);
				goto bad;
			}
			ch->ranks[i] = (uint16_t)n;
		}
	}
	json_decref(o);
	return CTL_EXIT_OK;
bad:
	json_decref(o);
	proto_ballot_clear(b);
	return CTL_EXIT_REFUSED;
}

/*
 * The voter's choices against the class, with messages in the terms of
 * the --ballot text (proto_ballot_encode checks the same, and stays the
 * last word).  An exit code after a message.
 */
static int ctl_ballot_check(const proto_poll *p, const char *class_id,
                            const proto_ballot *b)
{
	proto_cset cs, seen = 0;
	proto_err perr;
	size_t i, j, k;
	int w;

	if (proto_class_parse(p, class_id, &cs, &w, &perr) != PROTO_OK) {
		ctl_warnx("class %s: %s", class_id, perr.msg);
		return CTL_EXIT_REFUSED;
	}
	for (i = 0; i < b->nchoices; i++) {
		const proto_choice *ch = &b->choices[i];
		const proto_contest *ct = &p->contests[ch->contest];

		seen |= (proto_cset)1 << ch->contest;
		if (!(cs & ((proto_cset)1 << ch->contest))) {
			ctl_warnx(
			    "ballot: %s is not a contest of your class %s",
			    ct->id, class_id);
			return CTL_EXIT_REFUSED;
		}
		if (ct->kind == PROTO_KIND_REFERENDUM && ch->nranks > 1) {
			ctl_warnx("ballot: %s: a referendum takes one answer "
			          "(or [] to abstain), found %zu",
			          ct->id, ch->nranks);
			return CTL_EXIT_REFUSED;
		}
		for (j = 0; j < ch->nranks; j++)
			for (k = 0; k < j; k++)
				if (ch->ranks[j] == ch->ranks[k]) {
					ctl_warnx(
					    "ballot: %s[%zu]: candidate %u "
					    "is ranked twice (also at "
					    "[%zu])",
					    ct->id, j, (unsigned)ch->ranks[j],
					    k);
					return CTL_EXIT_REFUSED;
				}
	}
	for (i = 0; i < p->ncontests; i++)
		if ((cs & ((proto_cset)1 << i)) &&
		    !(seen & ((proto_cset)1 << i))) {
			ctl_warnx("ballot: your class %s has the contest %s: "
			          "give a ranking, or [] for a blank vote",
			          class_id, p->contests[i].id);
			return CTL_EXIT_REFUSED;
		}
	return CTL_EXIT_OK;
}

/* The set of contests of a ballot. */
static proto_cset ctl_ballot_cset(const proto_ballot *b)
{
	proto_cset s = 0;
	size_t i;

	for (i = 0; i < b->nchoices; i++)
		s |= (proto_cset)1 << b->choices[i].contest;
	return s;
}

/*
 * The voter's class: --class, else the only class of the poll, else the
 * only class whose contests are the ballot's.  The server says the class
 * only with the token, and the token must be blinded with the class's
 * key, so it must be known before.
 */
static int ctl_pick_class(const struct ctl *c, const struct ctl_poll *p,
                          const proto_ballot *b,
                          char out[PROTO_CLASS_ID_MAX + 1])
{
	const char *given = ctl_opt(c, "class");
	proto_cset want = ctl_ballot_cset(b), cs;
	size_t i, found = 0;
	int w;
	proto_err perr;

	if (given != NULL) {
		if (ctl_poll_class_key(p, given) == NULL) {
			ctl_warnx("--class %s: the poll has no such class",
			          given);
			return CTL_EXIT_REFUSED;
		}
		snprintf(out, PROTO_CLASS_ID_MAX + 1, "%s", given);
		return CTL_EXIT_OK;
	}
	if (p->nclasses == 0) {
		ctl_warnx("poll %s publishes no token keys yet (state %s)",
		          p->def->id, p->state);
		return CTL_EXIT_REFUSED;
	}
	for (i = 0; i < p->nclasses; i++) {
		if (p->nclasses > 1 &&
		    (proto_class_parse(p->def, p->classes[i].id, &cs, &w,
		                       &perr) != PROTO_OK ||
		     cs != want))
			continue;
		if (found++ == 0)
			snprintf(out, PROTO_CLASS_ID_MAX + 1, "%s",
			         p->classes[i].id);
	}
	if (found != 1) {
		ctl_warnx("cannot tell your class from the ballot: give "
		          "--class (it is in the credentials list)");
		return CTL_EXIT_USAGE;
	}
	return CTL_EXIT_OK;
}

/* The token request and Finalize.  An exit code. */
static int ctl_get_token(struct ctl *c, struct ctl_http *h, const char *poll,
                         const bc_brsa_key *key, const proto_credential *cred,
                         struct ctl_vstate *s, const char *state_path,
                         const uint8_t poll_hash[32], int fresh)
{
	proto_token_req req;
	proto_token_ans ans;
	proto_err perr;
	struct ctl_resp r;
	json_t *m;
	char path[128], *text;
	size_t len;
	int rc;

	memset(&req, 0, sizeof(req));
	req.cred = *cred;
	/* The server refuses, before signing, a class that is not ours. */
	snprintf(req.class_id, sizeof(req.class_id), "%s", s->class_id);
	memcpy(req.blinded, s->blinded, s->klen);
	req.blinded_len = s->klen;
	m = proto_token_req_encode(&req);
	bc_wipe(&req, sizeof(req));
	text = m ? proto_json_text(m, &len) : NULL;
	json_decref(m);
	if (text == NULL) {
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	snprintf(path, sizeof(path), "/polls/%s/tokens", poll);
	/* Sending the same blinded message twice is harmless (same
	 * answer), so a dropped keep-alive connection may be retried. */
	rc = ctl_call(c, h, "POST", path, "application/json", text, len,
	              CTL_CALL_RETRY, NULL, &r);
	bc_wipe(text, len);
	free(text);
	if (rc != CTL_EXIT_OK) {
		/* A fresh blinded message the server refused (4xx) got
		 * no token: its state is of no use for a later run. */
		if (fresh && rc == CTL_EXIT_REFUSED && r.status >= 400 &&
		    r.status < 500)
			unlink(state_path);
		if (rc == CTL_EXIT_REFUSED && r.body != NULL &&
		    strstr(r.body, "token_already_issued") != NULL)
			ctl_warnx(
			    "%s",
			    fresh ? "a token was issued to this credential "
			            "for another blinded message: run again "
			            "with the --state file of that first run"
			          : "the state file is not that of the run "
			            "the server issued the token to");
		ctl_resp_free(&r);
		return rc;
	}
	if (proto_token_ans_decode(r.body, r.len, s->klen, &ans, &perr) !=
	    PROTO_OK) {
		ctl_warnx("POST %s: the answer: %s", path, perr.msg);
		ctl_resp_free(&r);
		return CTL_EXIT_REFUSED;
	}
	ctl_resp_free(&r);
	if (strcmp(ans.class_id, s->class_id) != 0) {
		ctl_warnx("the server puts this credential in class %s, not "
		          "%s: the token was blinded with the wrong class's "
		          "key and cannot be finished",
		          ans.class_id, s->class_id);
		return CTL_EXIT_REFUSED;
	}
	if (bc_brsa_finalize(key, CTL_VARIANT, s->prepared, sizeof(s->prepared),
	                     ans.blind_sig, s->inv, s->sig, s->klen) != BC_OK) {
		ctl_warnx("the server's blind signature does not verify under "
		          "the token key of class %s",
		          s->class_id);
		return CTL_EXIT_REFUSED;
	}
	bc_wipe(s->inv, sizeof(s->inv));
	s->step = STEP_TOKEN;
	if (ctl_vstate_save(state_path, poll, poll_hash, s) == -1)
		return CTL_EXIT_IO;
	return CTL_EXIT_OK;
}

/* Pads and seals the plaintext to the election key.  An exit code. */
static int ctl_seal(const struct ctl_poll *p, struct ctl_vstate *s,
                    const char *pt, size_t ptlen)
{
	uint32_t bs = p->def->ballot_size;
	uint8_t *padded, tid[32];
	proto_buf info = {0};
	bc_status st;

	if ((padded = malloc(bs)) == NULL ||
	    (s->ballot = malloc(bs + PROTO_SEAL_OVERHEAD)) == NULL) {
		free(padded);
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	s->ballot_len = bs + PROTO_SEAL_OVERHEAD;
	if (bc_pad((const uint8_t *)pt, ptlen, padded, bs) != BC_OK) {
		ctl_warnx("the ballot (%zu bytes) does not fit the poll's "
		          "ballot_size %u",
		          ptlen, bs);
		free(padded);
		return CTL_EXIT_REFUSED;
	}
	if (proto_token_id(s->class_id, s->prepared, sizeof(s->prepared),
	                   tid) != PROTO_OK) {
		free(padded);
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	proto_seal_info(&info, p->poll_hash, s->class_id);
	st = info.failed ? BC_ERR_NOMEM
	                 : bc_hpke_seal(p->election_key, info.p, info.len, tid,
	                                sizeof(tid), padded, bs, s->ballot,
	                                s->ballot + BC_HPKE_ENC_LEN);
	proto_buf_free(&info);
	bc_wipe(padded, bs);
	free(padded);
	if (st != BC_OK) {
		ctl_warnx("sealing the ballot failed: %s", bc_status_name(st));
		return CTL_EXIT_REFUSED;
	}
	proto_sha256(pt, ptlen, s->ballot_hash);
	s->step = STEP_SEALED;
	return CTL_EXIT_OK;
}

/* Cast, then verify and return the receipt (raw JSON in *rjson).  An
 * exit code. */
static int ctl_cast(struct ctl *c, struct ctl_http *h, const struct ctl_poll *p,
                    const struct ctl_vstate *s, const proto_buf *entry,
                    json_t **rjson, proto_receipt *rec)
{
	proto_cast cast;
	proto_err perr;
	struct ctl_resp r;
	json_t *m;
	char path[128], *text;
	size_t len;
	int rc, attempt;

	memset(&cast, 0, sizeof(cast));
	strcpy(cast.class_id, s->class_id);
	memcpy(cast.token, s->prepared, sizeof(cast.token));
	memcpy(cast.sig, s->sig, s->klen);
	cast.sig_len = s->klen;
	cast.ballot = s->ballot;
	cast.ballot_len = s->ballot_len;
	memcpy(cast.cast_sig, s->cast_sig, sizeof(cast.cast_sig));
	m = proto_cast_encode(&cast);
	text = m ? proto_json_text(m, &len) : NULL;
	json_decref(m);
	if (text == NULL) {
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	snprintf(path, sizeof(path), "/polls/%s/casts", p->def->id);
	/*
	 * The cast goes on a connection of its own, not the one that
	 * carried the credential.  A cast lost in transit is sent again,
	 * the same bytes on a new connection: the server answers the same
	 * receipt (protocol.md section 7).
	 */
	for (attempt = 0;; attempt++) {
		ctl_http_disconnect(h);
		rc = ctl_call(c, h, "POST", path, "application/json", text, len,
		              CTL_CALL_RETRY, rjson, &r);
		if (rc != CTL_EXIT_IO || attempt == 2)
			break;
		ctl_resp_free(&r);
		ctl_warnx("sending the same cast again (%d of 2)", attempt + 1);
		sleep(1u << attempt);
	}
	ctl_http_disconnect(h);
	bc_wipe(text, len);
	free(text);
	if (rc != CTL_EXIT_OK) {
		ctl_resp_free(&r);
		return rc;
	}
	if (proto_receipt_decode(r.body, r.len, rec, &perr) != PROTO_OK) {
		ctl_warnx("POST %s: the receipt: %s", path, perr.msg);
		ctl_resp_free(&r);
		return CTL_EXIT_REFUSED;
	}
	ctl_resp_free(&r);
	if (strcmp(rec->poll, p->def->id) != 0 ||
	    memcmp(rec->poll_hash, p->poll_hash, 32) != 0) {
		ctl_warnx("the receipt names another poll");
		return CTL_EXIT_REFUSED;
	}
	return ctl_receipt_verify(rec, p->board_key, entry->p, entry->len, 0);
}

static int ctl_write_receipt(const struct ctl *c, const char *path,
                             json_t *rjson, const uint8_t board_key[32],
                             const proto_buf *entry)
{
	json_t *o = json_object();
	char *text;
	int bad = o == NULL, rc;

	bad |= json_object_set_new(o, "format",
	                           json_string("ballotctl-receipt/1"));
	bad |= json_object_set_new(o, "server", json_string(c->server));
	bad |= json_object_set(o, "receipt", rjson);
	bad |= ctl_set_b64(o, "board_key", board_key, 32);
	bad |= ctl_set_b64(o, "entry", entry->p, entry->len);
	if (bad || (text = json_dumps(o, JSON_INDENT(1) |
	                                     JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(o);
		ctl_warnx("out of memory");
		return -1;
	}
	json_decref(o);
	rc = ctl_write_file_atomic(path, text, strlen(text), 0600);
	free(text);
	return rc;
}

int ctl_cmd_vote(struct ctl *c)
{
	const char *poll = c->args[0];
	const char *rpath = ctl_opt(c, "receipt");
	const char *spath = ctl_opt(c, "state");
	const char *tpath = ctl_opt(c, "revote");
	const char *kpath = ctl_opt(c, "keep-token");
	char *credtext = NULL, *btext = NULL, *pt = NULL, sbuf[4096];
	size_t blen, ptlen;
	proto_credential cred;
	proto_ballot ballot;
	proto_err perr;
	struct ctl_poll p;
	struct ctl_vstate s;
	struct ctl_http *h = NULL;
	const bc_brsa_key *key;
	proto_buf entry = {0};
	proto_receipt rec;
	json_t *rjson = NULL;
	uint8_t pk[BC_ED25519_PK_LEN], bh[32];
	int rc, have_poll = 0, fresh = 0, loaded;
	int ncred = (ctl_opt(c, "credential") != NULL) +
	            (ctl_opt(c, "credential-file") != NULL);

	memset(&ballot, 0, sizeof(ballot));
	memset(&s, 0, sizeof(s));
	memset(&cred, 0, sizeof(cred));
	if (ncred != (tpath == NULL ? 1 : 0) ||
	    (ctl_opt(c, "ballot") == NULL) ==
	        (ctl_opt(c, "ballot-file") == NULL)) {
		ctl_warnx("vote: give one of --credential, "
		          "--credential-file and --revote, and one of "
		          "--ballot and --ballot-file");
		return CTL_EXIT_USAGE;
	}
	if (tpath != NULL && kpath != NULL) {
		ctl_warnx("vote: --keep-token with --revote: the token "
		          "file %s is kept as it is",
		          tpath);
		return CTL_EXIT_USAGE;
	}
	if (kpath != NULL && access(kpath, F_OK) == 0) {
		ctl_warnx("--keep-token %s: the file exists: it is never "
		          "overwritten",
		          kpath);
		return CTL_EXIT_IO;
	}
	if (spath == NULL) {
		snprintf(sbuf, sizeof(sbuf), "%s.state", rpath);
		spath = sbuf;
	}
	if (access(rpath, F_OK) == 0) {
		ctl_warnx("--receipt %s: the file exists (a vote already "
		          "cast?): it is never overwritten",
		          rpath);
		return CTL_EXIT_IO;
	}
	if (tpath != NULL) {
		/* A revote needs no credential: the token file holds
		 * all the voter has. */
	} else if (ctl_opt(c, "credential-file") != NULL) {
		if (ctl_read_secret_line(ctl_opt(c, "credential-file"),
		                         &credtext) == -1)
			return CTL_EXIT_IO;
	} else if ((credtext = strdup(ctl_opt(c, "credential"))) == NULL) {
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	if (credtext != NULL &&
	    proto_credential_parse(credtext, strlen(credtext), &cred, &perr) !=
	        PROTO_OK) {
		ctl_warnx("credential: %s", perr.msg);
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	if (ctl_opt(c, "ballot-file") != NULL) {
		if (ctl_read_file(ctl_opt(c, "ballot-file"), 1u << 20, &btext,
		                  &blen) == -1) {
			rc = CTL_EXIT_IO;
			goto out;
		}
	} else if ((btext = strdup(ctl_opt(c, "ballot"))) == NULL) {
		ctl_warnx("out of memory");
		rc = CTL_EXIT_IO;
		goto out;
	} else
		blen = strlen(btext);

	if ((h = ctl_http_new(c)) == NULL) {
		ctl_warnx("out of memory");
		rc = CTL_EXIT_IO;
		goto out;
	}
	if ((rc = ctl_poll_fetch(c, h, poll, &p)) != CTL_EXIT_OK)
		goto out;
	have_poll = 1;
	rc = CTL_EXIT_REFUSED;
	if (!p.have_board_key) {
		ctl_warnx("poll %s publishes no board key yet (state %s)", poll,
		          p.state);
		goto out;
	}
	if (!p.have_election_key) {
		ctl_warnx("poll %s has no election key yet (state %s): the "
		          "trustees' ceremony is not finished",
		          poll, p.state);
		goto out;
	}
	if ((tpath != NULL || kpath != NULL) && !p.def->revoting) {
		ctl_warnx("%s: poll %s does not allow revoting",
		          tpath != NULL ? "--revote" : "--keep-token", poll);
		goto out;
	}
	if ((rc = ctl_ballot_parse(p.def, btext, blen, &ballot)) != CTL_EXIT_OK)
		goto out;

	loaded = ctl_vstate_load(spath, poll, p.poll_hash, &s);
	if (loaded >= 10) {
		rc = loaded - 10;
		goto out;
	}
	if (tpath != NULL) {
		struct ctl_vstate tk;

		/* The state file of an interrupted revote goes on, if it
		 * is of this token. */
		if ((rc = ctl_token_load(tpath, poll, p.poll_hash, &tk)) !=
		    CTL_EXIT_OK)
			goto out;
		if (loaded &&
		    memcmp(tk.prepared, s.prepared, sizeof(s.prepared)) != 0) {
			ctl_warnx("%s: the state of a vote with another "
			          "token than %s",
			          spath, tpath);
			ctl_vstate_clear(&tk);
			rc = CTL_EXIT_REFUSED;
			goto out;
		}
		if (!loaded) {
			s = tk; /* tk holds no malloc'd ballot */
			bc_wipe(&tk, sizeof(tk));
		} else
			ctl_vstate_clear(&tk);
	}
	if (loaded == 0 && tpath == NULL) {
		rc = ctl_pick_class(c, &p, &ballot, s.class_id);
		if (rc != CTL_EXIT_OK)
			goto out;
	} else if (ctl_opt(c, "class") != NULL &&
	           strcmp(ctl_opt(c, "class"), s.class_id) != 0) {
		ctl_warnx("--class %s: the state file %s is of class %s",
		          ctl_opt(c, "class"), spath, s.class_id);
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	rc = CTL_EXIT_REFUSED;
	if ((key = ctl_poll_class_key(&p, s.class_id)) == NULL) {
		ctl_warnx("poll %s publishes no token key for class %s", poll,
		          s.class_id);
		goto out;
	}
	/* The plaintext, checked against the poll and the class now, before
	 * a token is asked for: an invalid ballot would only be found, and
	 * not counted, after the close. */
	if ((rc = ctl_ballot_check(p.def, s.class_id, &ballot)) != CTL_EXIT_OK)
		goto out;
	rc = CTL_EXIT_REFUSED;
	if (proto_ballot_encode(p.def, s.class_id, &ballot, &pt, &ptlen,
	                        &perr) != PROTO_OK) {
		ctl_warnx("ballot: %s (class %s)", perr.msg, s.class_id);
		goto out;
	}
	if (ptlen + BC_PAD_HDR_LEN > p.def->ballot_size) {
		ctl_warnx("ballot: %zu bytes do not fit the poll's "
		          "ballot_size %u",
		          ptlen, p.def->ballot_size);
		goto out;
	}
	if ((loaded || tpath != NULL) && s.klen != bc_brsa_key_len(key)) {
		ctl_warnx("%s: made for a token key of another size",
		          loaded ? spath : tpath);
		goto out;
	}
	if (tpath != NULL &&
	    bc_brsa_verify(key, CTL_VARIANT, s.prepared, sizeof(s.prepared),
	                   s.sig, s.klen) != BC_OK) {
		ctl_warnx("--revote %s: the token signature does not verify "
		          "under the token key of class %s",
		          tpath, s.class_id);
		goto out;
	}
	if (loaded && s.step == STEP_SEALED) {
		proto_sha256(pt, ptlen, bh);
		if (!bc_ct_equal(bh, s.ballot_hash, 32)) {
			ctl_warnx(
			    "%s: the ballot sealed in the earlier run has "
			    "other choices; it may have reached the "
			    "board: run again with the same --ballot",
			    spath);
			goto out;
		}
	}
	if (loaded)
		printf("resuming from %s (step: %s)\n", spath,
		       ctl_step_names[s.step]);

	if (s.step == STEP_NONE) {
		fresh = 1;
		s.klen = bc_brsa_key_len(key);
		/* The token's msg is the public half of a fresh cast key
		 * (protocol.md section 5). */
		if (bc_ed25519_keygen(s.cast_sk, pk) != BC_OK ||
		    bc_brsa_prepare(CTL_VARIANT, pk, sizeof(pk), s.prepared) !=
		        BC_OK ||
		    bc_brsa_blind(key, CTL_VARIANT, s.prepared,
		                  sizeof(s.prepared), s.blinded, s.inv,
		                  s.klen) != BC_OK) {
			ctl_warnx("making the token failed");
			goto out;
		}
		s.step = STEP_BLINDED;
		/* Saved before it is sent: see the top of this file. */
		if (ctl_vstate_save(spath, poll, p.poll_hash, &s) == -1) {
			rc = CTL_EXIT_IO;
			goto out;
		}
	}
	if (s.step == STEP_BLINDED) {
		rc = ctl_get_token(c, h, poll, key, &cred, &s, spath,
		                   p.poll_hash, fresh);
		if (rc != CTL_EXIT_OK)
			goto out;
	}
	if (s.step == STEP_TOKEN) {
		if ((rc = ctl_seal(&p, &s, pt, ptlen)) != CTL_EXIT_OK)
			goto out;
		if (ctl_vstate_save(spath, poll, p.poll_hash, &s) == -1) {
			rc = CTL_EXIT_IO;
			goto out;
		}
	}
	/* Ed25519 is deterministic: a cast sent again is signed the same,
	 * and gets the same receipt. */
	if (proto_cast_sign(s.cast_sk, p.poll_hash, s.class_id, s.prepared,
	                    sizeof(s.prepared), s.ballot, s.ballot_len,
	                    s.cast_sig) != PROTO_OK) {
		ctl_warnx("signing the cast failed");
		rc = CTL_EXIT_IO;
		goto out;
	}
	proto_board_entry(&entry, p.poll_hash, s.class_id, s.prepared,
	                  sizeof(s.prepared), s.sig, s.klen, s.ballot,
	                  s.ballot_len, s.cast_sig, sizeof(s.cast_sig));
	if (entry.failed) {
		ctl_warnx("out of memory");
		rc = CTL_EXIT_IO;
		goto out;
	}
	rc = ctl_cast(c, h, &p, &s, &entry, &rjson, &rec);
	if (rc != CTL_EXIT_OK) {
		if (rc == CTL_EXIT_IO)
			ctl_warnx(
			    "the cast may not have arrived: run the same "
			    "command again to send it again (state in %s)",
			    spath);
		goto out;
	}
	if (ctl_write_receipt(c, rpath, rjson, p.board_key, &entry) == -1) {
		rc = CTL_EXIT_IO;
		goto out;
	}
	if (kpath != NULL && ctl_token_save(kpath, poll, p.poll_hash, &s) == -1)
		ctl_warnx("--keep-token %s: not written: you cannot revote",
		          kpath);
	/* The cast key, token and signature would let whoever reads the
	 * file cast again where the poll allows revoting. */
	if (unlink(spath) == -1)
		ctl_warnx("%s: %s (remove it: it holds your token)", spath,
		          strerror(errno));
	if (c->json) {
		ctl_print_json(rjson);
	} else {
		printf("ballot cast in %s: leaf %llu, verified\n", poll,
		       (unsigned long long)rec.leaf_index);
		if (tpath != NULL)
			printf("it replaces your earlier ballot\n");
		if (kpath != NULL && access(kpath, F_OK) == 0)
			printf("token kept in %s: a SECRET: whoever holds "
			       "it can replace your vote\n",
			       kpath);
		printf("receipt written to %s\n", rpath);
		printf("tracker %s\n", rec.tracker);
	}
	rc = CTL_EXIT_OK;
out:
	bc_wipe(pk, sizeof(pk));
	bc_wipe(&cred, sizeof(cred));
	ctl_free_secret(credtext);
	free(btext);
	if (pt != NULL) {
		bc_wipe(pt, ptlen);
		free(pt);
	}
	proto_ballot_clear(&ballot);
	proto_buf_free(&entry);
	ctl_vstate_clear(&s);
	json_decref(rjson);
	if (have_poll)
		ctl_poll_clear(&p);
	ctl_http_free(h);
	return rc;
}
