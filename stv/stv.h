/*
 * stv.h: the public interface of the STV counting core.
 *
 * The core is pure and deterministic: it reads ballots from a buffer the
 * caller hands it, counts them by one of the supported rules in fixed-point
 * arithmetic, and writes results into buffers.  It never prints, exits or
 * aborts on bad input; every fallible function returns an stv_status and,
 * where it takes one, fills an stv_error.
 *
 * Ownership: objects returned through an OUT: pointer are new and owned by
 * the caller, who frees them with the matching *_free function.  Pointers
 * returned by accessors are borrowed and live as long as their object.
 */
#ifndef STV_H
#define STV_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define STV_MUST_CHECK __attribute__((warn_unused_result))
#else
#define STV_MUST_CHECK
#endif

typedef enum {
	STV_OK = 0,
	STV_ERR_PARSE,   /* malformed input; stv_error says where */
	STV_ERR_INVALID, /* well-formed but unusable (e.g. seats > candidates) */
	STV_ERR_NOMEM,
	STV_ERR_LIMIT /* a number too large for the arithmetic */
} stv_status;

/* Where and what: line and column are 1-based, 0 when not applicable. */
typedef struct {
	int line;
	int column;
	char msg[256];
} stv_error;

typedef enum {
	STV_RULE_SCOTTISH = 0,
	STV_RULE_MEEK,
	STV_RULE_WIGM,
	STV_RULE_ERS97,
	STV_RULE_IRV
} stv_rule;

/* Parses "scottish-stv", "meek", ...  Returns 0 and sets *out, or -1. */
int stv_rule_from_name(const char *name, stv_rule *out) STV_MUST_CHECK;
const char *stv_rule_name(stv_rule rule);
/* The number of decimal places the rule counts in. */
int stv_rule_places(stv_rule rule);

/* ---- The election: candidates, seats and grouped ballots ---- */

typedef struct stv_election stv_election;

/*
 * Reads a BLT file held in buf[0..len).  The accepted dialect is described
 * in docs/stv.md.  On error returns STV_ERR_PARSE (or NOMEM/LIMIT), sets
 * *out to NULL and fills err with line, column and what was expected.
 * OUT: *out, a new election the caller frees with stv_election_free.
 */
stv_status stv_blt_read(const char *buf, size_t len, stv_election **out,
                        stv_error *err) STV_MUST_CHECK;
void stv_election_free(stv_election *e);

int stv_election_candidates(const stv_election *e);
int stv_election_seats(const stv_election *e);
const char *stv_election_name(const stv_election *e, int cand); /* 0-based */
const char *stv_election_title(const stv_election *e);          /* may be "" */
int stv_election_withdrawn(const stv_election *e, int cand);
/* Distinct rankings after grouping, and papers (sum of weights). */
size_t stv_election_rankings(const stv_election *e);
int64_t stv_election_papers(const stv_election *e);
/* Ballot lines the reader dropped as invalid (an empty ranking). */
int64_t stv_election_invalid(const stv_election *e);

/*
 * Writes e as canonical BLT (quoted names, one line per distinct ranking,
 * '=' between equal rankings, a [tie] line if one was read).
 * OUT: *out, a new NUL-terminated string the caller frees with free().
 */
stv_status stv_blt_write(const stv_election *e, char **out,
                         size_t *outlen) STV_MUST_CHECK;

/* ---- Constraints by category ---- */

typedef struct stv_constraints stv_constraints;

/*
 * Reads a category file (format in docs/stv.md) for election e.
 * OUT: *out, new, freed with stv_constraints_free.
 */
stv_status stv_constraints_read(const stv_election *e, const char *buf,
                                size_t len, stv_constraints **out,
                                stv_error *err) STV_MUST_CHECK;
void stv_constraints_free(stv_constraints *k);

/* ---- Counting ---- */

typedef struct {
	stv_rule rule;
	int seats;                          /* 0: the file's own */
	int seeded;                         /* 1: ties by lot use seed */
	uint64_t seed;                      /* see docs/stv.md, "Ties" */
	const stv_constraints *constraints; /* borrowed; may be NULL */
} stv_options;

typedef struct stv_result stv_result;

/*
 * Counts e by opt.  OUT: *out, a new result freed with stv_result_free.
 * The election is not changed.
 */
stv_status stv_count(const stv_election *e, const stv_options *opt,
                     stv_result **out, stv_error *err) STV_MUST_CHECK;
void stv_result_free(stv_result *r);

/* Reports.  OUT: *out, a new NUL-terminated string freed with free(). */
stv_status stv_result_json(const stv_result *r, char **out) STV_MUST_CHECK;
stv_status stv_result_text(const stv_result *r, char **out) STV_MUST_CHECK;
stv_status stv_result_html(const stv_result *r, char **out) STV_MUST_CHECK;

/*
 * Ordered lists: a full ranking of the candidates by repeated counts with
 * one more seat each time, every earlier winner kept (docs/stv.md,
 * "Ordered lists").  opt->seats is ignored; opt->constraints must be
 * NULL.  OUT: *out, freed with stv_list_free.
 */
typedef struct stv_list stv_list;
stv_status stv_count_list(const stv_election *e, const stv_options *opt,
                          stv_list **out, stv_error *err) STV_MUST_CHECK;
void stv_list_free(stv_list *l);
int stv_list_length(const stv_list *l);
int stv_list_at(const stv_list *l, int place); /* candidate, 0-based */
/* The count that gave place (0-based); NULL for the last place. Borrowed. */
const stv_result *stv_list_count(const stv_list *l, int place);
stv_status stv_list_json(const stv_list *l, char **out) STV_MUST_CHECK;
stv_status stv_list_text(const stv_list *l, char **out) STV_MUST_CHECK;
stv_status stv_list_html(const stv_list *l, char **out) STV_MUST_CHECK;

/*
 * Referendums and yes/no questions: candidate 1 is "yes", candidate 2 is
 * "no", an optional candidate 3 is "abstain"; a ballot counts for its
 * first preference and a blank ballot is an abstention.  The question
 * passes when yes / base reaches num/den (more than it, if strict),
 * where base is yes + no, plus the abstentions if they count.
 */
typedef struct {
	int64_t num, den;      /* the threshold fraction, 0 < num/den < 1 */
	int strict;            /* 1: more than; 0: at least */
	int abstentions_count; /* 1: abstentions are in the base */
} stv_threshold;
typedef struct {
	int64_t yes, no, abstain; /* papers (weights summed) */
	int64_t base;
	stv_threshold t;
	int passed;
	char *names[3]; /* yes, no, abstain option names */
	char *title;
} stv_referendum;
stv_status stv_count_referendum(const stv_election *e, const stv_threshold *t,
                                stv_referendum *out,
                                stv_error *err) STV_MUST_CHECK;
void stv_referendum_clear(stv_referendum *r);
stv_status stv_referendum_json(const stv_referendum *r,
                               char **out) STV_MUST_CHECK;
stv_status stv_referendum_text(const stv_referendum *r,
                               char **out) STV_MUST_CHECK;
stv_status stv_referendum_html(const stv_referendum *r,
                               char **out) STV_MUST_CHECK;

int stv_result_elected_count(const stv_result *r);
int stv_result_elected(const stv_result *r, int i); /* candidate index */
int stv_result_stages(const stv_result *r);

#endif
