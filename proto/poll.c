/*
 * poll.c: the poll definition (api.md "Poll definition"), parsed and
 * checked rule by rule; docs/formats.md lists every rule.  The accepted
 * bytes are kept verbatim, for poll_hash and for publication.
 */
#include "proto_int.h"

#include "encode.h"
#include "pad.h"

#include <stdlib.h>
#include <string.h>

#define CATEGORY_MAX 64

static const char *const stv_rules[] = {"scottish-stv", "meek", "wigm", "ers97",
                                        NULL};
static const char *const option_rules[] = {"irv", NULL};

const char *proto_kind_name(proto_kind k)
{
	switch (k) {
	case PROTO_KIND_STV:
		return "stv";
	case PROTO_KIND_ORDERED_LIST:
		return "ordered-list";
	case PROTO_KIND_OPTION:
		return "option";
	case PROTO_KIND_REFERENDUM:
		return "referendum";
	}
	return "unknown";
}

static void free_contest(proto_contest *c)
{
	for (size_t i = 0; i < c->ncandidates; i++) {
		proto_candidate *d = &c->candidates[i];

		for (size_t j = 0; j < d->ncategories; j++)
			free(d->categories[j]);
		free(d->categories);
		free(d->name);
	}
	free(c->candidates);
	for (size_t i = 0; i < c->nconstraints; i++)
		free(c->constraints[i].category);
	free(c->constraints);
	free(c->id);
	free(c->title);
}

void proto_poll_free(proto_poll *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->ncontests; i++)
		free_contest(&p->contests[i]);
	free(p->contests);
	for (size_t i = 0; i < p->ntrustees; i++)
		free(p->trustees[i].name);
	free(p->trustees);
	free(p->id);
	free(p->title);
	free(p->bytes);
	free(p);
}

int proto_poll_contest_index(const proto_poll *p, const char *id)
{
	for (size_t i = 0; i < p->ncontests; i++)
		if (strcmp(p->contests[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* Decimal digits of 1, 2, ..., n together. */
static size_t digits_upto(size_t n)
{
	size_t total = 0, lo = 1, d = 1;

	while (lo <= n) {
		size_t hi = lo * 10 - 1 < n ? lo * 10 - 1 : n;

		total += (hi - lo + 1) * d;
		lo *= 10;
		d++;
	}
	return total;
}

/* The longest ranking a ballot may hold in contest c. */
static size_t max_ranking(const proto_contest *c)
{
	return c->kind == PROTO_KIND_REFERENDUM ? 1 : c->ncandidates;
}

size_t proto_poll_max_ballot_len(const proto_poll *p)
{
	/* {"v":1,"poll":"ID","class":"CLASS","contests":{ ... }} */
	size_t len = strlen("{\"v\":1,\"poll\":\"\",\"class\":\"\","
	                    "\"contests\":{}}");
	size_t ids = 0;

	len += strlen(p->id);
	for (size_t i = 0; i < p->ncontests; i++) {
		const proto_contest *c = &p->contests[i];
		size_t m = max_ranking(c);

		ids += strlen(c->id);
		/* "ID":[r1,r2,...] and the comma before all but the first;
		 * a full ranking uses the m highest numbers, which for
		 * referendums (m = 1) is the last candidate. */
		len += strlen(c->id) + 5 + (m ? m - 1 : 0) + (i ? 1 : 0);
		if (m == c->ncandidates)
			len += digits_upto(m);
		else
			len += digits_upto(c->ncandidates) -
			       digits_upto(c->ncandidates - m);
	}
	/* The class of all contests and the widest weight: "*1000". */
	len += ids + (p->ncontests - 1) + 1 + 4;
	return len;
}

static proto_status dup_string(json_t *v, const pj_path *path, size_t maxlen,
                               char **out, proto_err *err)
{
	const char *s;
	size_t n;
	proto_status st;

	if ((st = pj_string(v, path, 1, maxlen, &s, &n, err)) != PROTO_OK)
		return st;
	if ((*out = proto_strndup(s, n)) == NULL)
		return proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
	return PROTO_OK;
}

static proto_status get_id(json_t *obj, const pj_path *path, const char *name,
                           size_t max, char **out, proto_err *err)
{
	json_t *v;
	pj_path p;
	const char *s;
	size_t n;
	proto_status st;

	pj_member(&p, path, name);
	if ((st = pj_get(obj, path, name, 1, 0, &v, err)) != PROTO_OK ||
	    (st = pj_string(v, &p, 0, 1024, &s, &n, err)) != PROTO_OK)
		return st;
	if (!proto_id_valid(s, n, max))
		return proto_fail(
		    err, PROTO_ERR_VALUE,
		    "%s: expected [a-z0-9][a-z0-9-]{0,%zu}, found "
		    "\"%.40s\"",
		    p.s, max - 1, s);
	if ((*out = proto_strndup(s, n)) == NULL)
		return proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
	return PROTO_OK;
}

/* An optional whole number with a default. */
static proto_status get_int(json_t *obj, const pj_path *path, const char *name,
                            int required, int64_t lo, int64_t hi, int64_t def,
                            int64_t *out, proto_err *err)
{
	json_t *v;
	pj_path p;
	proto_status st;

	if ((st = pj_get(obj, path, name, required, 0, &v, err)) != PROTO_OK)
		return st;
	if (v == NULL) {
		*out = def;
		return PROTO_OK;
	}
	pj_member(&p, path, name);
	return pj_int(v, &p, lo, hi, out, err);
}

static proto_status get_time(json_t *obj, const char *name, int64_t *out,
                             proto_err *err)
{
	json_t *v;
	pj_path p;
	const char *s;
	size_t n;
	proto_status st;

	*out = -1;
	if ((st = pj_get(obj, NULL, name, 0, 1, &v, err)) != PROTO_OK ||
	    v == NULL)
		return st;
	pj_member(&p, NULL, name);
	if ((st = pj_string(v, &p, 0, 64, &s, &n, err)) != PROTO_OK)
		return st;
	if ((*out = proto_time_parse(s, n)) < 0)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "%s: expected an RFC 3339 UTC time such as "
		                  "\"2026-12-01T09:00:00Z\", found \"%.40s\"",
		                  p.s, s);
	return PROTO_OK;
}

static int has_category(const proto_contest *c, const char *cat, size_t *count)
{
	size_t n = 0;

	for (size_t i = 0; i < c->ncandidates; i++)
		for (size_t j = 0; j < c->candidates[i].ncategories; j++)
			if (strcmp(c->candidates[i].categories[j], cat) == 0)
				n++;
	*count = n;
	return n > 0;
}

static proto_status parse_candidate(json_t *v, const pj_path *path,
                                    proto_candidate *d, proto_err *err)
{
	static const char *const names[] = {"name", "categories", NULL};
	json_t *name, *cats;
	pj_path p;
	proto_status st;

	if ((st = pj_object(v, path, names, err)) != PROTO_OK ||
	    (st = pj_get(v, path, "name", 1, 0, &name, err)) != PROTO_OK)
		return st;
	pj_member(&p, path, "name");
	if ((st = dup_string(name, &p, PROTO_TEXT_MAX, &d->name, err)) !=
	    PROTO_OK)
		return st;
	if ((st = pj_get(v, path, "categories", 0, 0, &cats, err)) !=
	        PROTO_OK ||
	    cats == NULL)
		return st;
	pj_member(&p, path, "categories");
	if (!json_is_array(cats))
		return proto_fail(err, PROTO_ERR_SHAPE, "%s: expected an array",
		                  p.s);
	if (json_array_size(cats) > PROTO_MAX_CATEGORIES)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "%s: at most %d categories", p.s,
		                  PROTO_MAX_CATEGORIES);
	d->categories = calloc(json_array_size(cats) + 1, sizeof(char *));
	if (d->categories == NULL)
		return proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
	for (size_t j = 0; j < json_array_size(cats); j++) {
		pj_path q;

		pj_index(&q, &p, j);
		if ((st = dup_string(json_array_get(cats, j), &q, CATEGORY_MAX,
		                     &d->categories[j], err)) != PROTO_OK)
			return st;
		d->ncategories++;
		for (size_t k = 0; k < j; k++)
			if (strcmp(d->categories[k], d->categories[j]) == 0)
				return proto_fail(err, PROTO_ERR_VALUE,
				                  "%s: \"%s\" is listed twice",
				                  q.s, d->categories[j]);
	}
	return PROTO_OK;
}

static proto_status parse_constraints(json_t *v, const pj_path *path,
                                      proto_contest *c, proto_err *err)
{
	static const char *const names[] = {"category", "min", "max", NULL};
	proto_status st;

	if (!json_is_array(v))
		return proto_fail(err, PROTO_ERR_SHAPE, "%s: expected an array",
		                  path->s);
	if (c->kind != PROTO_KIND_STV && json_array_size(v) > 0)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "%s: constraints apply to kind \"stv\" only",
		                  path->s);
	c->constraints = calloc(json_array_size(v) + 1, sizeof *c->constraints);
	if (c->constraints == NULL)
		return proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *o = json_array_get(v, i), *cat, *mn, *mx;
		proto_constraint *k = &c->constraints[i];
		pj_path p, q;
		int64_t x;
		size_t have;

		pj_index(&p, path, i);
		if ((st = pj_object(o, &p, names, err)) != PROTO_OK ||
		    (st = pj_get(o, &p, "category", 1, 0, &cat, err)) !=
		        PROTO_OK)
			return st;
		pj_member(&q, &p, "category");
		if ((st = dup_string(cat, &q, CATEGORY_MAX, &k->category,
		                     err)) != PROTO_OK)
			return st;
		c->nconstraints++;
		if (!has_category(c, k->category, &have))
			return proto_fail(err, PROTO_ERR_VALUE,
			                  "%s: no candidate has category "
			                  "\"%s\"",
			                  q.s, k->category);
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->constraints[j].category, k->category) ==
			    0)
				return proto_fail(err, PROTO_ERR_VALUE,
				                  "%s: \"%s\" already has a "
				                  "constraint",
				                  q.s, k->category);
		if ((st = pj_get(o, &p, "min", 0, 0, &mn, err)) != PROTO_OK ||
		    (st = pj_get(o, &p, "max", 0, 0, &mx, err)) != PROTO_OK)
			return st;
		if (mn == NULL && mx == NULL)
			return proto_fail(err, PROTO_ERR_SHAPE,
			                  "%s: needs \"min\", \"max\" or both",
			                  p.s);
		if ((st = get_int(o, &p, "min", 0, 0, c->seats, 0, &x, err)) !=
		    PROTO_OK)
			return st;
		k->min = (int)x;
		if ((st = get_int(o, &p, "max", 0, 0, c->seats, c->seats, &x,
		                  err)) != PROTO_OK)
			return st;
		k->max = (int)x;
		if (k->min > k->max)
			return proto_fail(err, PROTO_ERR_VALUE,
			                  "%s: min %d is above max %d", p.s,
			                  k->min, k->max);
		if ((size_t)k->min > have)
			return proto_fail(err, PROTO_ERR_VALUE,
			                  "%s.min: %d, but only %zu candidates "
			                  "have category \"%s\"",
			                  p.s, k->min, have, k->category);
	}
	return PROTO_OK;
}

static proto_status parse_threshold(json_t *v, const pj_path *path,
                                    proto_contest *c, proto_err *err)
{
	static const char *const names[] = {"numerator", "denominator",
	                                    "abstentions", NULL};
	json_t *ab;
	int64_t num, den;
	proto_status st;

	if ((st = pj_object(v, path, names, err)) != PROTO_OK ||
	    (st = get_int(v, path, "denominator", 1, 2, 1000, 0, &den, err)) !=
	        PROTO_OK ||
	    (st = get_int(v, path, "numerator", 1, 1, den - 1, 0, &num, err)) !=
	        PROTO_OK ||
	    (st = pj_get(v, path, "abstentions", 0, 0, &ab, err)) != PROTO_OK)
		return st;
	c->threshold_num = (int)num;
	c->threshold_den = (int)den;
	if (ab != NULL) {
		pj_path p;
		const char *s;

		pj_member(&p, path, "abstentions");
		if ((st = pj_string(ab, &p, 0, 64, &s, NULL, err)) != PROTO_OK)
			return st;
		if (strcmp(s, "excluded") == 0)
			c->abstentions_included = 0;
		else if (strcmp(s, "included") == 0)
			c->abstentions_included = 1;
		else
			return proto_fail(err, PROTO_ERR_VALUE,
			                  "%s: expected \"excluded\" or "
			                  "\"included\", found \"%.40s\"",
			                  p.s, s);
	}
	return PROTO_OK;
}

static proto_status parse_rule(json_t *obj, const pj_path *path,
                               proto_contest *c, proto_err *err)
{
	const char *const *rules =
	    c->kind == PROTO_KIND_OPTION ? option_rules : stv_rules;
	json_t *v;
	pj_path p;
	const char *s;
	proto_status st;

	if ((st = pj_get(obj, path, "rule", 0, 0, &v, err)) != PROTO_OK)
		return st;
	pj_member(&p, path, "rule");
	if (c->kind == PROTO_KIND_REFERENDUM) {
		c->rule = "";
		if (v != NULL)
			return proto_fail(err, PROTO_ERR_VALUE,
			                  "%s: a referendum has no rule (it "
			                  "has a threshold)",
			                  p.s);
		return PROTO_OK;
	}
	if (v == NULL) {
		c->rule = rules[0];
		return PROTO_OK;
	}
	if ((st = pj_string(v, &p, 0, 64, &s, NULL, err)) != PROTO_OK)
		return st;
	for (size_t i = 0; rules[i] != NULL; i++)
		if (strcmp(s, rules[i]) == 0) {
			c->rule = rules[i];
			return PROTO_OK;
		}
	return proto_fail(err, PROTO_ERR_VALUE,
	                  "%s: \"%.40s\" is not a rule for kind \"%s\" (%s)",
	                  p.s, s, proto_kind_name(c->kind),
	                  c->kind == PROTO_KIND_OPTION
	                      ? "irv"
	                      : "scottish-stv, meek, wigm, ers97");
}

static proto_status parse_contest(json_t *v, const pj_path *path,
                                  proto_poll *poll, proto_contest *c,
                                  proto_err *err)
{
	static const char *const names[] = {
	    "id",         "title",       "kind",      "rule", "seats",
	    "candidates", "constraints", "threshold", NULL};
	json_t *x;
	pj_path p;
	int64_t n;
	proto_status st;

	if ((st = pj_object(v, path, names, err)) != PROTO_OK ||
	    (st = get_id(v, path, "id", PROTO_CONTEST_ID_MAX, &c->id, err)) !=
	        PROTO_OK)
		return st;
	for (size_t i = 0; i + 1 < poll->ncontests; i++)
		if (strcmp(poll->contests[i].id, c->id) == 0)
			return proto_fail(
			    err, PROTO_ERR_VALUE,
			    "%s.id: \"%s\" repeats contests[%zu].id", path->s,
			    c->id, i);
	if ((st = pj_get(v, path, "title", 1, 0, &x, err)) != PROTO_OK)
		return st;
	pj_member(&p, path, "title");
	if ((st = dup_string(x, &p, PROTO_TEXT_MAX, &c->title, err)) !=
	    PROTO_OK)
		return st;

	c->kind = PROTO_KIND_STV;
	if ((st = pj_get(v, path, "kind", 0, 0, &x, err)) != PROTO_OK)
		return st;
	if (x != NULL) {
		const char *s;
		int k;

		pj_member(&p, path, "kind");
		if ((st = pj_string(x, &p, 0, 64, &s, NULL, err)) != PROTO_OK)
			return st;
		for (k = 0; k <= PROTO_KIND_REFERENDUM; k++)
			if (strcmp(s, proto_kind_name((proto_kind)k)) == 0)
				break;
		if (k > PROTO_KIND_REFERENDUM)
			return proto_fail(err, PROTO_ERR_VALUE,
			                  "%s: expected \"stv\", "
			                  "\"ordered-list\", \"option\" or "
			                  "\"referendum\", found \"%.40s\"",
			                  p.s, s);
		c->kind = (proto_kind)k;
	}
	if ((st = parse_rule(v, path, c, err)) != PROTO_OK)
		return st;

	/* Candidates before seats: the seats' range depends on them. */
	if ((st = pj_get(v, path, "candidates", 1, 0, &x, err)) != PROTO_OK)
		return st;
	pj_member(&p, path, "candidates");
	if (!json_is_array(x))
		return proto_fail(err, PROTO_ERR_SHAPE, "%s: expected an array",
		                  p.s);
	{
		size_t min = c->kind == PROTO_KIND_OPTION ||
		                     c->kind == PROTO_KIND_REFERENDUM
		                 ? 2
		                 : 1;
		size_t nc = json_array_size(x);

		if (nc < min || nc > PROTO_MAX_CANDIDATES)
			return proto_fail(err, PROTO_ERR_VALUE,
			                  "%s: expected %zu to %d candidates "
			                  "for kind \"%s\", found %zu",
			                  p.s, min, PROTO_MAX_CANDIDATES,
			                  proto_kind_name(c->kind), nc);
		if ((c->candidates = calloc(nc, sizeof *c->candidates)) == NULL)
			return proto_fail(err, PROTO_ERR_NOMEM,
			                  "out of memory");
		for (size_t i = 0; i < nc; i++) {
			pj_path q;

			pj_index(&q, &p, i);
			c->ncandidates++;
			if ((st = parse_candidate(json_array_get(x, i), &q,
			                          &c->candidates[i], err)) !=
			    PROTO_OK)
				return st;
			for (size_t j = 0; j < i; j++)
				if (strcmp(c->candidates[j].name,
				           c->candidates[i].name) == 0)
					return proto_fail(
					    err, PROTO_ERR_VALUE,
					    "%s.name: \"%.60s\" repeats "
					    "candidates[%zu]",
					    q.s, c->candidates[i].name, j);
		}
	}

	switch (c->kind) {
	case PROTO_KIND_STV:
		st = get_int(v, path, "seats", 1, 1, (int64_t)c->ncandidates, 0,
		             &n, err);
		break;
	case PROTO_KIND_ORDERED_LIST:
		/* Every candidate gets a place: seats are implied. */
		st = get_int(v, path, "seats", 0, (int64_t)c->ncandidates,
		             (int64_t)c->ncandidates, (int64_t)c->ncandidates,
		             &n, err);
		break;
	default:
		st = get_int(v, path, "seats", 0, 1, 1, 1, &n, err);
		break;
	}
	if (st != PROTO_OK)
		return st;
	c->seats = (int)n;

	if ((st = pj_get(v, path, "constraints", 0, 0, &x, err)) != PROTO_OK)
		return st;
	if (x != NULL) {
		pj_member(&p, path, "constraints");
		if ((st = parse_constraints(x, &p, c, err)) != PROTO_OK)
			return st;
	}

	c->threshold_num = 1;
	c->threshold_den = 2;
	if ((st = pj_get(v, path, "threshold", 0, 0, &x, err)) != PROTO_OK)
		return st;
	if (x != NULL) {
		pj_member(&p, path, "threshold");
		if (c->kind != PROTO_KIND_REFERENDUM)
			return proto_fail(err, PROTO_ERR_VALUE,
			                  "%s: only a referendum has a "
			                  "threshold",
			                  p.s);
		if ((st = parse_threshold(x, &p, c, err)) != PROTO_OK)
			return st;
	}
	return PROTO_OK;
}

static proto_status parse_trustees(json_t *v, proto_poll *poll, proto_err *err)
{
	static const char *const names[] = {"k", "members", NULL};
	static const char *const mnames[] = {"name", "sign_key", "hpke_key",
	                                     NULL};
	pj_path path, p;
	json_t *m;
	int64_t k;
	size_t n;
	proto_status st;

	pj_member(&path, NULL, "trustees");
	if ((st = pj_object(v, &path, names, err)) != PROTO_OK ||
	    (st = pj_get(v, &path, "members", 1, 0, &m, err)) != PROTO_OK)
		return st;
	pj_member(&p, &path, "members");
	if (!json_is_array(m))
		return proto_fail(err, PROTO_ERR_SHAPE, "%s: expected an array",
		                  p.s);
	n = json_array_size(m);
	if (n < 1 || n > PROTO_MAX_TRUSTEES)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "%s: expected 1 to %d trustees, found %zu",
		                  p.s, PROTO_MAX_TRUSTEES, n);
	if ((poll->trustees = calloc(n, sizeof *poll->trustees)) == NULL)
		return proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(m, i), *x;
		proto_trustee *t = &poll->trustees[i];
		pj_path q, r;
		char jwk[BC_JWK_EC_P256_LEN + 1];

		pj_index(&q, &p, i);
		poll->ntrustees++;
		if ((st = pj_object(o, &q, mnames, err)) != PROTO_OK ||
		    (st = pj_get(o, &q, "name", 1, 0, &x, err)) != PROTO_OK)
			return st;
		pj_member(&r, &q, "name");
		if ((st = dup_string(x, &r, PROTO_TEXT_MAX, &t->name, err)) !=
		    PROTO_OK)
			return st;
		if ((st = pj_get(o, &q, "sign_key", 1, 0, &x, err)) != PROTO_OK)
			return st;
		pj_member(&r, &q, "sign_key");
		if ((st = pj_b64(x, &r, 32, 0, t->sign_key, sizeof t->sign_key,
		                 NULL, err)) != PROTO_OK)
			return st;
		if ((st = pj_get(o, &q, "hpke_key", 1, 0, &x, err)) != PROTO_OK)
			return st;
		pj_member(&r, &q, "hpke_key");
		if ((st = pj_b64(x, &r, 65, 0, t->hpke_key, sizeof t->hpke_key,
		                 NULL, err)) != PROTO_OK)
			return st;
		if (bc_jwk_ec_p256(t->hpke_key, jwk, sizeof jwk, NULL) != BC_OK)
			return proto_fail(err, PROTO_ERR_VALUE,
			                  "%s: not an uncompressed P-256 point "
			                  "on the curve",
			                  r.s);
		for (size_t j = 0; j < i; j++) {
			const proto_trustee *u = &poll->trustees[j];

			if (strcmp(u->name, t->name) == 0)
				return proto_fail(err, PROTO_ERR_VALUE,
				                  "%s.name: \"%.60s\" repeats "
				                  "members[%zu]",
				                  q.s, t->name, j);
			if (memcmp(u->sign_key, t->sign_key, 32) == 0)
				return proto_fail(
				    err, PROTO_ERR_VALUE,
				    "%s.sign_key: the same key as "
				    "members[%zu]",
				    q.s, j);
			if (memcmp(u->hpke_key, t->hpke_key, 65) == 0)
				return proto_fail(
				    err, PROTO_ERR_VALUE,
				    "%s.hpke_key: the same key as "
				    "members[%zu]",
				    q.s, j);
		}
	}
	if ((st = get_int(v, &path, "k", 1, 1, (int64_t)n, 0, &k, err)) !=
	    PROTO_OK)
		return st;
	poll->k = (int)k;
	return PROTO_OK;
}

static proto_status parse_poll(json_t *root, proto_poll *poll, proto_err *err)
{
	static const char *const names[] = {
	    "format",   "id",       "title",       "opens",
	    "closes",   "revoting", "ballot_size", "min_class_size",
	    "contests", "trustees", NULL};
	json_t *v;
	pj_path p;
	const char *s;
	int64_t n;
	size_t need;
	proto_status st;

	if ((st = pj_object(root, NULL, names, err)) != PROTO_OK ||
	    (st = pj_get(root, NULL, "format", 1, 0, &v, err)) != PROTO_OK)
		return st;
	pj_member(&p, NULL, "format");
	if ((st = pj_string(v, &p, 0, 64, &s, NULL, err)) != PROTO_OK)
		return st;
	if (strcmp(s, "ballot-poll/1") != 0)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "format: expected \"ballot-poll/1\", found "
		                  "\"%.40s\"",
		                  s);
	if ((st = get_id(root, NULL, "id", PROTO_ID_MAX, &poll->id, err)) !=
	        PROTO_OK ||
	    (st = pj_get(root, NULL, "title", 1, 0, &v, err)) != PROTO_OK)
		return st;
	pj_member(&p, NULL, "title");
	if ((st = dup_string(v, &p, PROTO_TEXT_MAX, &poll->title, err)) !=
	        PROTO_OK ||
	    (st = get_time(root, "opens", &poll->opens_ms, err)) != PROTO_OK ||
	    (st = get_time(root, "closes", &poll->closes_ms, err)) != PROTO_OK)
		return st;
	if (poll->opens_ms >= 0 && poll->closes_ms >= 0 &&
	    poll->opens_ms >= poll->closes_ms)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "closes: must be later than opens");
	if ((st = pj_get(root, NULL, "revoting", 0, 0, &v, err)) != PROTO_OK)
		return st;
	if (v != NULL) {
		pj_member(&p, NULL, "revoting");
		if ((st = pj_bool(v, &p, &poll->revoting, err)) != PROTO_OK)
			return st;
	}
	if ((st = get_int(root, NULL, "ballot_size", 0, 256, 65536, 1024, &n,
	                  err)) != PROTO_OK)
		return st;
	poll->ballot_size = (uint32_t)n;
	if ((st = get_int(root, NULL, "min_class_size", 0, 1, 1000000, 10, &n,
	                  err)) != PROTO_OK)
		return st;
	poll->min_class_size = (uint32_t)n;

	if ((st = pj_get(root, NULL, "contests", 1, 0, &v, err)) != PROTO_OK)
		return st;
	pj_member(&p, NULL, "contests");
	if (!json_is_array(v))
		return proto_fail(err, PROTO_ERR_SHAPE,
		                  "contests: expected an array");
	if (json_array_size(v) < 1 || json_array_size(v) > PROTO_MAX_CONTESTS)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "contests: expected 1 to %d contests, found "
		                  "%zu",
		                  PROTO_MAX_CONTESTS, json_array_size(v));
	poll->contests = calloc(json_array_size(v), sizeof *poll->contests);
	if (poll->contests == NULL)
		return proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < json_array_size(v); i++) {
		pj_path q;

		pj_index(&q, &p, i);
		poll->ncontests++;
		if ((st = parse_contest(json_array_get(v, i), &q, poll,
		                        &poll->contests[i], err)) != PROTO_OK)
			return st;
	}

	if ((st = pj_get(root, NULL, "trustees", 1, 0, &v, err)) != PROTO_OK ||
	    (st = parse_trustees(v, poll, err)) != PROTO_OK)
		return st;

	need = BC_PAD_HDR_LEN + proto_poll_max_ballot_len(poll);
	if (poll->ballot_size < need)
		return proto_fail(err, PROTO_ERR_VALUE,
		                  "ballot_size: %u is too small: the longest "
		                  "ballot of this poll needs %zu bytes "
		                  "(4 + %zu)",
		                  poll->ballot_size, need,
		                  need - BC_PAD_HDR_LEN);
	return PROTO_OK;
}

proto_status proto_poll_parse(const char *text, size_t len, proto_poll **out,
                              proto_err *err)
{
	proto_poll *poll;
	json_t *root;
	proto_status st;

	*out = NULL;
	if (err != NULL) {
		err->msg[0] = '\0';
		err->line = err->column = 0;
	}
	if ((st = pj_load(text, len, &root, err)) != PROTO_OK)
		return st;
	if ((poll = calloc(1, sizeof *poll)) == NULL) {
		json_decref(root);
		return proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
	}
	st = parse_poll(root, poll, err);
	json_decref(root);
	if (st == PROTO_OK) {
		if ((poll->bytes = malloc(len ? len : 1)) == NULL)
			st = proto_fail(err, PROTO_ERR_NOMEM, "out of memory");
		else {
			memcpy(poll->bytes, text, len);
			poll->nbytes = len;
			if (proto_poll_hash(text, len, poll->poll_hash) !=
			    PROTO_OK)
				st = proto_fail(err, PROTO_ERR_NOMEM,
				                "out of memory");
		}
	}
	if (st != PROTO_OK) {
		proto_poll_free(poll);
		return st;
	}
	*out = poll;
	return PROTO_OK;
}
