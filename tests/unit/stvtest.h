/*
 * stvtest.h: helpers shared by the rule tests: count a BLT string, and
 * read a result's figures as the rule's decimal strings.
 */
#ifndef STVTEST_H
#define STVTEST_H

#include "check.h"
#include "stv.h"
#include "stv_int.h"

#include <stdlib.h>
#include <string.h>

/* Reads blt and counts it; NULL (and a failed check) if either fails. */
static inline stv_result *count_k(const char *blt, stv_rule rule, int seeded,
                           uint64_t seed, const char *categories)
{
	stv_election *e = NULL;
	stv_constraints *k = NULL;
	stv_result *r = NULL;
	stv_error err;
	stv_options opt = {rule, 0, seeded, seed, NULL};

	if (stv_blt_read(blt, strlen(blt), &e, &err) != STV_OK) {
		fprintf(stderr, "blt: line %d col %d: %s\n", err.line,
		        err.column, err.msg);
		CHECK(!"blt read");
		return NULL;
	}
	if (categories != NULL) {
		if (stv_constraints_read(e, categories, strlen(categories), &k,
		                         &err) != STV_OK) {
			fprintf(stderr, "categories: %s\n", err.msg);
			CHECK(!"constraints read");
			stv_election_free(e);
			return NULL;
		}
		opt.constraints = k;
	}
	if (stv_count(e, &opt, &r, &err) != STV_OK) {
		fprintf(stderr, "count: %s\n", err.msg);
		CHECK(!"count");
		r = NULL;
	}
	stv_constraints_free(k);
	stv_election_free(e);
	return r;
}

/* The vote of cand (0-based) at stage (1-based), formatted. */
static inline const char *V(const stv_result *r, int stage, int cand)
{
	static char buf[8][32];
	static int i;
	char *b = buf[i++ % 8];

	if (stage < 1 || stage > r->nstages)
		return "(no such stage)";
	stv_fmt(b, 32, r->stages[stage - 1].votes[cand], r->places);
	return b;
}

static inline const char *NT(const stv_result *r, int stage)
{
	static char buf[4][32];
	static int i;
	char *b = buf[i++ % 4];

	if (stage < 1 || stage > r->nstages)
		return "(no such stage)";
	stv_fmt(b, 32, r->stages[stage - 1].nontransferable, r->places);
	return b;
}

static inline const char *Q(const stv_result *r)
{
	static char b[32];

	stv_fmt(b, sizeof b, r->quota, r->places);
	return b;
}

/* Stage `stage` did `action` to candidate `cand`. */
static inline int acted(const stv_result *r, int stage, stv_action action, int cand)
{
	const stv_stage *s;

	if (stage < 1 || stage > r->nstages)
		return 0;
	s = &r->stages[stage - 1];
	return s->action == action && s->ncands == 1 && s->cands[0] == cand;
}

/* The elected list is exactly want[0..n). */
static inline int elected_are(const stv_result *r, const int *want, int n)
{
	if (stv_result_elected_count(r) != n)
		return 0;
	for (int i = 0; i < n; i++)
		if (stv_result_elected(r, i) != want[i])
			return 0;
	return 1;
}

static inline int any_note_has(const stv_result *r, const char *s)
{
	for (int i = 0; i < r->nnotes; i++)
		if (r->notes[i] && strstr(r->notes[i], s))
			return 1;
	return 0;
}

#endif
