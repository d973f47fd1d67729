/*
 * poll.c: what GET /polls/{id} says about a poll: the definition, its
 * poll_hash, the state and the public keys.
 *
 * Everything is checked here rather than trusted: the definition (the
 * accepted text, verbatim) is parsed with proto and its hash compared
 * with poll_hash; every key is decoded strictly and checked by bcrypto;
 * every class id is checked against the definition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* A base64url member of exactly want bytes: 1 (read), 0 (absent or
 * null), -1 (malformed). */
static int ctl_b64_member(json_t *v, const char *k, uint8_t *out, size_t want)
{
	json_t *m = json_object_get(v, k);

	if (m == NULL || json_is_null(m))
		return 0;
	if (!json_is_string(m) ||
	    ctl_unb64url(json_string_value(m), out, want, want, NULL) == -1)
		return -1;
	return 1;
}

/*
 * "classes": [{"id": ..., "token_key": {"spki": "<base64url DER>", ...}
 * or null before the ceremony}, ...].
 */
static int ctl_class_keys(json_t *v, struct ctl_poll *p, char *what, size_t wl)
{
	json_t *m = json_object_get(v, "classes"), *e;
	size_t i;

	if (!json_is_array(m)) {
		snprintf(what, wl, "classes: expected an array");
		return -1;
	}
	if ((p->classes =
	         calloc(json_array_size(m) + 1, sizeof(*p->classes))) == NULL) {
		snprintf(what, wl, "out of memory");
		return -1;
	}
	json_array_foreach(m, i, e)
	{
		const char *id = json_string_value(json_object_get(e, "id"));
		json_t *key = json_object_get(e, "token_key");
		const char *spki =
		    json_string_value(json_object_get(key, "spki"));
		struct ctl_class_key *ck = &p->classes[p->nclasses];
		uint8_t der[4096];
		size_t len;
		proto_cset cs;
		proto_err perr;
		int w;

		if (id == NULL || strlen(id) > PROTO_CLASS_ID_MAX ||
		    proto_class_parse(p->def, id, &cs, &w, &perr) != PROTO_OK) {
			snprintf(what, wl,
			         "classes[%zu].id: not a class of "
			         "the poll",
			         i);
			return -1;
		}
		if (key == NULL || json_is_null(key))
			continue; /* no key before the ceremony */
		if (spki == NULL ||
		    ctl_unb64url(spki, der, sizeof(der), 0, &len) == -1 ||
		    bc_brsa_key_from_spki_der(der, len, &ck->key) != BC_OK) {
			snprintf(what, wl,
			         "classes[%zu].token_key.spki: not "
			         "an RSA public key (SubjectPublicKeyInfo DER, "
			         "2048 to 4096 bits, base64url)",
			         i);
			return -1;
		}
		snprintf(ck->id, sizeof(ck->id), "%s", id);
		p->nclasses++;
	}
	return 0;
}

int ctl_poll_fetch(struct ctl *c, struct ctl_http *h, const char *id,
                   struct ctl_poll *p)
{
	char path[128], what[256];
	json_t *v = NULL, *d;
	const char *hs, *st;
	char *text = NULL;
	size_t tlen;
	proto_err perr;
	int rc;

	memset(p, 0, sizeof(*p));
	snprintf(path, sizeof(path), "/polls/%s", id);
	rc = ctl_call(c, h, "GET", path, NULL, NULL, 0, CTL_CALL_RETRY, &v,
	              NULL);
	if (rc != CTL_EXIT_OK)
		return rc;
	rc = CTL_EXIT_REFUSED;
	/* The definition is the accepted text verbatim, a string: its hash
	 * is checked against poll_hash below. */
	d = json_object_get(v, "definition");
	if (!json_is_string(d)) {
		ctl_warnx("GET %s: definition: expected the definition's text "
		          "(a string)",
		          path);
		goto out;
	}
	tlen = json_string_length(d);
	if ((text = malloc(tlen + 1)) == NULL)
		goto nomem;
	memcpy(text, json_string_value(d), tlen);
	text[tlen] = '\0';
	if (proto_poll_parse(text, tlen, &p->def, &perr) != PROTO_OK) {
		ctl_warnx("GET %s: definition: %s", path, perr.msg);
		goto out;
	}
	if (strcmp(p->def->id, id) != 0) {
		ctl_warnx("GET %s: the definition is of poll \"%.63s\"", path,
		          p->def->id);
		goto out;
	}
	hs = json_string_value(json_object_get(v, "poll_hash"));
	if (hs == NULL || ctl_unhex(hs, p->poll_hash, 32) == -1) {
		ctl_warnx("GET %s: poll_hash: expected 64 hex digits", path);
		goto out;
	}
	if (memcmp(p->poll_hash, p->def->poll_hash, 32) != 0) {
		ctl_warnx("GET %s: poll_hash is not the hash of the "
		          "definition's bytes",
		          path);
		goto out;
	}
	st = json_string_value(json_object_get(v, "state"));
	snprintf(p->state, sizeof(p->state), "%s", st ? st : "");
	if ((p->have_board_key =
	         ctl_b64_member(v, "board_key", p->board_key, 32)) == -1) {
		ctl_warnx("GET %s: board_key: expected an Ed25519 public key, "
		          "32 bytes in base64url",
		          path);
		goto out;
	}
	if ((p->have_election_key = ctl_b64_member(
	         v, "election_key", p->election_key, 65)) == -1 ||
	    (p->have_election_key && p->election_key[0] != 4)) {
		ctl_warnx("GET %s: election_key: expected an uncompressed "
		          "P-256 point, 65 bytes in base64url",
		          path);
		goto out;
	}
	if (ctl_class_keys(v, p, what, sizeof(what)) == -1) {
		ctl_warnx("GET %s: %s", path, what);
		goto out;
	}
	rc = CTL_EXIT_OK;
	goto out;
nomem:
	ctl_warnx("out of memory");
out:
	free(text);
	json_decref(v);
	if (rc != CTL_EXIT_OK)
		ctl_poll_clear(p);
	return rc;
}

void ctl_poll_clear(struct ctl_poll *p)
{
	size_t i;

	proto_poll_free(p->def);
	for (i = 0; i < p->nclasses; i++)
		bc_brsa_key_free(p->classes[i].key);
	free(p->classes);
	memset(p, 0, sizeof(*p));
}

const bc_brsa_key *ctl_poll_class_key(const struct ctl_poll *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->nclasses; i++)
		if (strcmp(p->classes[i].id, id) == 0)
			return p->classes[i].key;
	return NULL;
}
