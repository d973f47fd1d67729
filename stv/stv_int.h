/*
 * stv_int.h: the insides of the STV core, shared by its files only.
 *
 * Arithmetic: every vote value is an int64_t holding value * 10^places,
 * where places is the rule's own precision (stv_rule_places).  Products
 * and quotients go through __int128 so that nothing overflows before the
 * rule's own rounding is applied.
 */
#ifndef STV_INT_H
#define STV_INT_H

#include "stv.h"

#include <stdarg.h>

/* A ranking: ranks[off .. off+len) are candidate indices (0-based), best
 * first.  eq[i] != 0 means ranks[i] is ranked equal to ranks[i-1]. */
typedef struct {
	int64_t weight; /* papers with this ranking, delegate weights summed */
	uint32_t off;
	uint32_t len;
} stv_ranking;

struct stv_election {
	int ncand;
	int seats;
	char **names; /* ncand names */
	char *title;
	uint8_t *withdrawn; /* ncand flags */
	int *tie_order;     /* [tie] line: tie_order[i] = position of cand i; or NULL */
	stv_ranking *rk;
	size_t nrk;
	int32_t *ranks;
	uint8_t *eq;
	size_t nranks;
	int64_t papers;  /* sum of weights of valid ballots */
	int64_t invalid; /* ballot lines dropped (empty ranking) */
	int has_equal;
};

/*
 * What a rule counts: the election's rankings with withdrawn candidates
 * removed, and rankings cut before the first equal ranking ("it is
 * impossible to determine the next preference") for rules that do not
 * take equal rankings.  A ranking cut that way may become empty (len 0):
 * it still counts in the valid total and is non-transferable from the
 * start.  A ranking that named only withdrawn candidates is dropped and
 * is not in papers.
 * Identical rankings are merged.
 */
typedef struct {
	int ncand;
	int seats;
	stv_ranking *rk;
	size_t nrk;
	int32_t *ranks;
	uint8_t *eq;
	int64_t papers; /* total weight */
} stv_view;

typedef enum { STV_FIRST = 0, STV_SURPLUS, STV_EXCLUDE } stv_action;

typedef struct {
	stv_action action;
	int *cands; /* acted-on candidates; ncands 0 means null */
	int ncands;
	int64_t *votes; /* ncand scaled values */
	int64_t nontransferable;
	char *note; /* optional, may be NULL */
} stv_stage;

struct stv_result {
	stv_rule rule;
	int seats;
	int places;
	int ncand;
	char **names; /* copies */
	char *title;
	uint8_t *withdrawn;
	int64_t papers;
	int64_t invalid;
	int64_t quota; /* scaled */
	int *elected;
	int *elected_stage; /* 1-based stage number at which each was elected */
	int nelected;
	stv_stage *stages;
	int nstages, capstages;
	char **notes; /* draws by lot, constraint actions, remarks */
	int nnotes;
	int seeded;
	uint64_t seed;
	int constrained; /* 1 if constraints were given */
	int ron;         /* the "re-open nominations" candidate, or -1 */
};

/* The state of one count, passed to a rule's function. */
typedef struct {
	const stv_election *e;
	const stv_options *opt;
	const stv_view *v;
	stv_result *res;
	stv_error *err;
	uint64_t rng; /* SplitMix64 state when opt->seeded */
	const stv_constraints *k;
} stv_count_ctx;

/* One function per rule; each returns STV_OK or an error. */
stv_status stv_count_scottish(stv_count_ctx *c);
stv_status stv_count_wigm(stv_count_ctx *c);
stv_status stv_count_meek(stv_count_ctx *c);
stv_status stv_count_ers97(stv_count_ctx *c);
stv_status stv_count_irv(stv_count_ctx *c);

/* ---- result building (result.c) ---- */

/* Appends a stage; votes (ncand values) and cands are copied. */
stv_status stv_res_stage(stv_count_ctx *c, stv_action action,
                         const int *cands, int ncands, const int64_t *votes,
                         int64_t nontransferable) STV_MUST_CHECK;
/* Records cand as elected at the latest stage (call in election order). */
stv_status stv_res_elect(stv_count_ctx *c, int cand) STV_MUST_CHECK;
/* Adds a note to the whole result (printf-style). */
stv_status stv_res_note(stv_count_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))) STV_MUST_CHECK;
/* Adds a note to the latest stage. */
stv_status stv_res_stage_note(stv_count_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))) STV_MUST_CHECK;

/*
 * Ties "by lot": tied[0..n) are candidates (n >= 2).  Returns the index in
 * tied[] of the one chosen to be acted on (excluded, or transferred
 * first).  Without a seed, the one that comes first in the [tie] line or
 * else in the ballot file; with a seed, a SplitMix64 draw (docs/stv.md).
 * Every draw is recorded as a note naming `what` and the candidates.
 */
int stv_lot(stv_count_ctx *c, const int *tied, int n, const char *what);

/*
 * The candidate whose name marks it as "re-open nominations" / "none of
 * these" (docs/stv.md lists the names), or -1.  With several, the first.
 */
int stv_find_ron(const stv_election *e);

/* ---- a growing string (strbuf.c) ---- */

typedef struct {
	char *s;
	size_t n, cap;
	int oom; /* an allocation failed; reported by stv_sb_finish */
} stv_sb;

void stv_sb_put(stv_sb *b, const char *s, size_t n);
void stv_sb_puts(stv_sb *b, const char *s);
void stv_sb_printf(stv_sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s as a JSON string (RFC 8259 escapes; UTF-8 passes through). */
void stv_sb_json_str(stv_sb *b, const char *s);
/* s with &, <, >, " and ' escaped for HTML text and attributes. */
void stv_sb_html(stv_sb *b, const char *s);
/* OUT: *out, the NUL-terminated text (caller frees), or NOMEM. */
stv_status stv_sb_finish(stv_sb *b, char **out) STV_MUST_CHECK;

/* ---- fixed point helpers ---- */

int64_t stv_pow10(int places);
/* a*b/scale, truncated toward zero / rounded up (for non-negative args). */
int64_t stv_mul_down(int64_t a, int64_t b, int64_t scale);
int64_t stv_mul_up(int64_t a, int64_t b, int64_t scale);
/* a*scale/b, truncated / rounded up (non-negative args, b > 0). */
int64_t stv_div_down(int64_t a, int64_t b, int64_t scale);
int64_t stv_div_up(int64_t a, int64_t b, int64_t scale);
/* a*b/d truncated (non-negative, d > 0), exact 128-bit intermediate. */
int64_t stv_muldiv_down(int64_t a, int64_t b, int64_t d);
/* Formats v (scaled by 10^places) into buf as "123.45000". */
void stv_fmt(char *buf, size_t n, int64_t v, int places);

/* ---- views and constraints (view.c, constraint.c) ---- */

stv_status stv_view_make(const stv_election *e, int seats, int keep_equal,
                         stv_view *out) STV_MUST_CHECK;
void stv_view_free(stv_view *v);

/* Candidate state, as the constraint checks see it. */
enum { STV_HOPEFUL = 0, STV_ELECTED, STV_EXCLUDED, STV_WITHDRAWN };

/*
 * Constraint checks for the guarded/doomed method (docs/stv.md).  state[]
 * has ncand entries (the enum above); seats_left = seats not yet filled.
 * OUT: doomed[i]=1 for a hopeful who can no longer be elected without
 * breaking a constraint; guarded[i]=1 for a hopeful who cannot be excluded
 * without making a minimum unreachable.  Returns the number of doomed.
 * With no constraints, marks nothing.
 */
int stv_cons_check(const stv_count_ctx *c, const uint8_t *state,
                   uint8_t *doomed, uint8_t *guarded);

/* Whether the seats can still be filled within every constraint. */
int stv_cons_feasible(const stv_constraints *k, int seats,
                      const uint8_t *state);
/*
 * One category, "earlier-places", holding the candidates with kept[i] set,
 * with a minimum of all of them: the ordered-list method's way of keeping
 * every earlier winner elected.  OUT: *out, freed with
 * stv_constraints_free.
 */
stv_status stv_constraints_kept(const stv_election *e, const uint8_t *kept,
                                stv_constraints **out) STV_MUST_CHECK;
/* Writes "women (min 2, max 9), north (min 0, max 1)" for cand into buf. */
const char *stv_cons_describe(const stv_constraints *k, int cand, char *buf,
                              size_t n);

#endif
