/*
 * ballot.c: the ballot plaintext (protocol.md section 6),
 *   {"v":1,"poll":"<poll id>","class":"<class id>",
 *    "contests":{"<contest id>":[3,1,2], ...}}
 * made by the voter's client and read by the tally, which lists an
 * invalid ballot with the reason proto_ballot_decode gives.
 */
#include "proto_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *proto_ballot_reason_name(proto_ballot_reason r)
{
	switch (r) {
	case PROTO_BALLOT_VALID:
		return "valid";
	case PROTO_BALLOT_MALFORMED:
		return "malformed";
	case PROTO_BALLOT_WRONG_POLL:
		return "wrong_poll";
	case PROTO_BALLOT_WRONG_CLASS:
		return "wrong_class";
	case PROTO_BALLOT_UNKNOWN_CONTEST:
		return "unknown_contest";
	case PROTO_BALLOT_MISSING_CONTEST:
		return "missing_contest";
	case PROTO_BALLOT_REPEATED_CANDIDATE:
		return "repeated_candidate";
	case PROTO_BALLOT_CANDIDATE_OUT_OF_RANGE:
		return "candidate_out_of_range";
	case PROTO_BALLOT_TOO_MANY_CHOICES:
		return "too_many_choices";
	}
	return "unknown";
}

void proto_ballot_clear(proto_ballot *b)
{
	for (size_t i = 0; i < b->nchoices; i++)
		free(b->choices[i].ranks);
	memset(b, 0, sizeof *b);
}

/*
 * Checks one ranking of contest c: numbers 1..ncandidates, no repeats,
 * at most one for a referendum.  seen has room for ncandidates + 1 flags.
 */
static proto_ballot_reason check_ranking(const proto_contest *c,
                                         const int64_t *r, size_t n,
                                         uint8_t *seen, size_t *bad)
{
	memset(seen, 0, c->ncandidates + 1);
	for (size_t i = 0; i < n; i++) {
		*bad = i;
		if (r[i] < 1 || r[i] > (int64_t)c->ncandidates)
			return PROTO_BALLOT_CANDIDATE_OUT_OF_RANGE;
		if (seen[r[i]])
			return PROTO_BALLOT_REPEATED_CANDIDATE;
		seen[r[i]] = 1;
	}
	if (c->kind == PROTO_KIND_REFERENDUM && n > 1) {
		*bad = 1;
		return PROTO_BALLOT_TOO_MANY_CHOICES;
	}
	return PROTO_BALLOT_VALID;
}

proto_status proto_ballot_encode(const proto_poll *p, const char *class_id,
                                 const proto_ballot *b, char **out, size_t *len,
                                 proto_err *err)
{
	uint8_t seen[PROTO_MAX_CANDIDATES + 1];
	proto_cset set, done = 0;
	int weight;
	proto_buf buf = {0};
	char num[16];
	proto_status st;

	*out = NULL;
	if ((st = proto_class_parse(p, class_id, &set, &weight, err)) !=
	    PROTO_OK)
		return st;
	proto_buf_raw(&buf, "{\"v\":1,\"poll\":\"", 15);
	proto_buf_raw(&buf, p->id, strlen(p->id));
	proto_buf_raw(&buf, "\",\"class\":\"", 11);
	proto_buf_raw(&buf, class_id, strlen(class_id));
	proto_buf_raw(&buf, "\",\"contests\":{", 14);
	for (size_t i = 0; i < b->nchoices; i++) {
		const proto_choice *ch = &b->choices[i];
		const proto_contest *c;
		int64_t r[PROTO_MAX_CANDIDATES];
		size_t bad = 0;

		if (ch->contest < 0 || (size_t)ch->contest >= p->ncontests ||
		    !(set & ((proto_cset)1 << ch->contest)) ||
		    (done & ((proto_cset)1 << ch->contest))) {
			st = proto_fail(err, PROTO_ERR_VALUE,
			                "choices[%zu]: not a contest of class "
			                "%s, or given twice",
			                i, class_id);
			goto fail;
		}
		c = &p->contests[ch->contest];
		if (ch->nranks > c->ncandidates) {
			st = proto_fail(err, PROTO_ERR_VALUE,
			                "choices[%zu]: %zu ranks for %zu "
			                "candidates",
			                i, ch->nranks, c->ncandidates);
			goto fail;
		}
		for (size_t j = 0; j < ch->nranks; j++)
			r[j] = ch->ranks[j];
		if (check_ranking(c, r, ch->nranks, seen, &bad) !=
		    PROTO_BALLOT_VALID) {
			st = proto_fail(err, PROTO_ERR_VALUE,
			                "choices[%zu].ranks[%zu]: not a valid "
			                "ranking of contest %s",
			                i, bad, c->id);
			goto fail;
		}
		done |= (proto_cset)1 << ch->contest;
		if (i)
			proto_buf_raw(&buf, ",", 1);
		proto_buf_raw(&buf, "\"", 1);
		proto_buf_raw(&buf, c->id, strlen(c->id));
		proto_buf_raw(&buf, "\":[", 3);
		for (size_t j = 0; j < ch->nranks; j++) {
			int n = snprintf(num, sizeof num, "%s%u", j ? "," : "",
			                 (unsigned)ch->ranks[j]);

			proto_buf_raw(&buf, num, (size_t)n);
		}
		proto_buf_raw(&buf, "]", 1);
	}
	if (done != set) {
		st = proto_fail(err, PROTO_ERR_VALUE,
		                "a contest of class %s has no choice (give an "
		                "empty ranking for a blank vote)",
		                class_id);
		goto fail;
	}
	proto_buf_raw(&buf, "}}", 3); /* with the NUL */
	if (buf.failed) {
		st = proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
		goto fail;
	}
	/* The buffer is ours to hand over: it holds no secret. */
	*out = (char *)buf.p;
	*len = buf.len - 1;
	return PROTO_OK;
fail:
	proto_buf_free(&buf);
	return st;
}

static proto_ballot_reason bad(proto_err *err, proto_ballot_reason r,
                               const char *fmt, ...) PROTO_PRINTF(3, 4);

static proto_ballot_reason bad(proto_err *err, proto_ballot_reason r,
                               const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return r;
}

static proto_ballot_reason decode(const proto_poll *p, const char *class_id,
                                  json_t *root, proto_ballot *out,
                                  proto_err *err)
{
	static const char *const names[] = {"v", "poll", "class", "contests",
	                                    NULL};
	uint8_t seen[PROTO_MAX_CANDIDATES + 1];
	json_t *v, *contests, *val;
	const char *s, *key;
	proto_cset set, done = 0;
	int weight;
	int64_t x;
	pj_path path;

	if (pj_object(root, NULL, names, err) != PROTO_OK ||
	    pj_get(root, NULL, "v", 1, 0, &v, err) != PROTO_OK ||
	    pj_get(root, NULL, "poll", 1, 0, &v, err) != PROTO_OK ||
	    pj_get(root, NULL, "class", 1, 0, &v, err) != PROTO_OK ||
	    pj_get(root, NULL, "contests", 1, 0, &contests, err) != PROTO_OK)
		return PROTO_BALLOT_MALFORMED;
	pj_member(&path, NULL, "v");
	if (pj_int(json_object_get(root, "v"), &path, 1, 1, &x, err) !=
	    PROTO_OK)
		return PROTO_BALLOT_MALFORMED;
	pj_member(&path, NULL, "poll");
	if (pj_string(json_object_get(root, "poll"), &path, 0, 1024, &s, NULL,
	              err) != PROTO_OK)
		return PROTO_BALLOT_MALFORMED;
	if (strcmp(s, p->id) != 0)
		return bad(err, PROTO_BALLOT_WRONG_POLL,
		           "poll: \"%.60s\" is not this poll (%s)", s, p->id);
	pj_member(&path, NULL, "class");
	if (pj_string(json_object_get(root, "class"), &path, 0, 2048, &s, NULL,
	              err) != PROTO_OK)
		return PROTO_BALLOT_MALFORMED;
	if (strcmp(s, class_id) != 0)
		return bad(err, PROTO_BALLOT_WRONG_CLASS,
		           "class: \"%.60s\" is not the entry's class (%.60s)",
		           s, class_id);
	if (proto_class_parse(p, class_id, &set, &weight, err) != PROTO_OK)
		return PROTO_BALLOT_WRONG_CLASS;
	if (!json_is_object(contests))
		return bad(err, PROTO_BALLOT_MALFORMED,
		           "contests: expected an object");
	json_object_foreach(contests, key, val)
	{
		int ci = proto_poll_contest_index(p, key);
		const proto_contest *c;
		proto_choice *ch;
		int64_t r[PROTO_MAX_CANDIDATES + 1];
		size_t n, badi = 0;
		proto_ballot_reason why;
		pj_path cp;

		if (ci < 0 || !(set & ((proto_cset)1 << ci)))
			return bad(err, PROTO_BALLOT_UNKNOWN_CONTEST,
			           "contests: \"%.60s\" is not a contest of "
			           "class %.60s",
			           key, class_id);
		/* Duplicate keys were refused by the parser. */
		c = &p->contests[ci];
		pj_member(&cp, &path, key);
		snprintf(cp.s, sizeof cp.s, "contests.%s", key);
		if (!json_is_array(val))
			return bad(err, PROTO_BALLOT_MALFORMED,
			           "%s: expected an array", cp.s);
		n = json_array_size(val);
		/* A longer ranking must repeat someone or leave the range:
		 * look at the first ncandidates + 1 to say which. */
		if (n > c->ncandidates + 1)
			n = c->ncandidates + 1;
		for (size_t i = 0; i < n; i++) {
			json_t *e = json_array_get(val, i);

			if (!json_is_integer(e)) {
				char found[64];

				pj_describe(e, found, sizeof found);
				return bad(err, PROTO_BALLOT_MALFORMED,
				           "%s[%zu]: expected a candidate "
				           "number, found %s",
				           cp.s, i, found);
			}
			r[i] = json_integer_value(e);
		}
		if ((why = check_ranking(c, r, n, seen, &badi)) !=
		    PROTO_BALLOT_VALID)
			return bad(err, why, "%s[%zu]: %s", cp.s, badi,
			           why == PROTO_BALLOT_CANDIDATE_OUT_OF_RANGE
			               ? "no such candidate"
			           : why == PROTO_BALLOT_REPEATED_CANDIDATE
			               ? "candidate ranked twice"
			               : "a referendum takes one answer");
		ch = &out->choices[out->nchoices];
		ch->contest = ci;
		ch->nranks = n;
		if ((ch->ranks = malloc((n ? n : 1) * sizeof *ch->ranks)) ==
		    NULL)
			return bad(err, PROTO_BALLOT_MALFORMED,
			           "out of memory");
		out->nchoices++;
		for (size_t i = 0; i < n; i++)
			ch->ranks[i] = (uint16_t)r[i];
		done |= (proto_cset)1 << ci;
	}
	if (done != set) {
		for (size_t i = 0; i < p->ncontests; i++)
			if ((set & ~done) & ((proto_cset)1 << i))
				return bad(err, PROTO_BALLOT_MISSING_CONTEST,
				           "contests: no member \"%s\" (class "
				           "%.60s)",
				           p->contests[i].id, class_id);
	}
	return PROTO_BALLOT_VALID;
}

proto_ballot_reason proto_ballot_decode(const proto_poll *p,
                                        const char *class_id, const char *text,
                                        size_t len, proto_ballot *out,
                                        proto_err *err)
{
	proto_ballot_reason r;
	json_t *root;

	memset(out, 0, sizeof *out);
	if (err != NULL) {
		err->msg[0] = '\0';
		err->line = err->column = 0;
	}
	if (pj_load(text, len, &root, err) != PROTO_OK)
		return PROTO_BALLOT_MALFORMED;
	r = decode(p, class_id, root, out, err);
	json_decref(root);
	if (r != PROTO_BALLOT_VALID)
		proto_ballot_clear(out);
	return r;
}
