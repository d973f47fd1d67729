/*
 * proto.h: the wire and record formats of the ballot server
 * (docs/protocol.md, docs/api.md; every rule is written out in
 * docs/formats.md).
 *
 * - byte records: the exact bytes that are hashed or signed (section 2);
 * - the poll definition (JSON), the roll (CSV), the ballot plaintext;
 * - the JSON messages of the API, decoded with duplicate keys, unknown
 *   members, wrong types and missing members refused.
 *
 * Every parser returns a proto_status and fills a proto_err whose message
 * names the place: a JSON member by its path
 * ("contests[2].seats: expected a whole number from 1 to 3, found \"x\"")
 * or a CSV line and column.  Nothing here prints, exits or aborts on bad
 * input.  No function keeps state between calls.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#if defined(__GNUC__)
#define PROTO_MUST_CHECK __attribute__((warn_unused_result))
#else
#define PROTO_MUST_CHECK
#endif

typedef enum {
	PROTO_OK = 0,
	PROTO_ERR_SYNTAX, /* not JSON / not CSV; duplicate key (api: bad_json)
	                   */
	PROTO_ERR_SHAPE,  /* wrong type, missing or unknown member (bad_json) */
	PROTO_ERR_VALUE,  /* a member's value is invalid (bad_request) */
	PROTO_ERR_NOMEM
} proto_status;

/*
 * Why something was refused.  line and column are 1-based and set for
 * JSON syntax errors and for every roll error; 0 otherwise.
 */
typedef struct {
	char msg[256];
	int line, column;
} proto_err;

/* "syntax", "shape", "value", "nomem". */
const char *proto_status_name(proto_status st);

/* Limits (docs/formats.md). */
#define PROTO_HASH_LEN       32
#define PROTO_ID_MAX         63 /* poll id: [a-z0-9][a-z0-9-]{0,62} */
#define PROTO_CONTEST_ID_MAX 32 /* contest id: [a-z0-9][a-z0-9-]{0,31} */
#define PROTO_MAX_CONTESTS   32
#define PROTO_MAX_CANDIDATES 1000
#define PROTO_MAX_CATEGORIES 16 /* per candidate */
#define PROTO_MAX_TRUSTEES   64
#define PROTO_TEXT_MAX       200 /* titles, names, categories: bytes */
#define PROTO_VOTER_ID_MAX   128
#define PROTO_MAX_WEIGHT     1000
/* Longest class id: every contest id, '+'s, '*' and "1000". */
#define PROTO_CLASS_ID_MAX                                                     \
	(PROTO_MAX_CONTESTS * PROTO_CONTEST_ID_MAX + PROTO_MAX_CONTESTS + 5)
#define PROTO_TOKEN_LEN 64 /* prepared = prefix (32) || msg (32) */
/* msg is the voter's cast key (Ed25519 public key): token + 32. */
#define PROTO_TOKEN_MSG_OFF 32
#define PROTO_SIG_LEN       64    /* Ed25519 */
#define PROTO_SEAL_OVERHEAD 81    /* enc (65) + tag (16) */
#define PROTO_SECRET_LEN    16    /* the voter credential's s */
#define PROTO_KEY_MAX       512   /* largest token key size k, bytes */
#define PROTO_BODY_MAX      65536 /* ceremony message body, bytes */
#define PROTO_PROOF_MAX     64    /* inclusion proof hashes */
#define PROTO_TRACKER_LEN   11    /* "abcde-fghij" */
/* Integers on the wire stay below 2^53 so every JSON reader keeps them. */
#define PROTO_JSON_INT_MAX 9007199254740991LL

/* ------------------------------------------------------------------ */
/* Byte records (protocol.md section 2)                               */
/* ------------------------------------------------------------------ */

/*
 * A growable byte buffer.  Start it zeroed ({0}); the append functions
 * never fail visibly: on out of memory they set `failed` and do nothing
 * more, so a record is built with a run of appends and one check at the
 * end.  Free p with proto_buf_free (which wipes it: records may hold
 * secrets such as a credential's s).
 */
typedef struct {
	uint8_t *p;
	size_t len, cap;
	int failed;
} proto_buf;

void proto_buf_free(proto_buf *b);
void proto_buf_raw(proto_buf *b, const void *p, size_t n);
/* u64(n): 8 bytes big-endian. */
void proto_buf_u64(proto_buf *b, uint64_t n);
/* lp(x): 4-byte big-endian length, then x.  failed if n >= 2^32. */
void proto_buf_lp(proto_buf *b, const void *p, size_t n);
/* lp of a NUL-terminated string (without the NUL). */
void proto_buf_lp_str(proto_buf *b, const char *s);
/* lp(u64(n)): 00 00 00 08 then n big-endian. */
void proto_buf_lp_u64(proto_buf *b, uint64_t n);

/* SHA-256.  OUT: out. */
void proto_sha256(const void *p, size_t n, uint8_t out[PROTO_HASH_LEN]);

/* poll_hash = H(lp("ballot-poll/v1") || lp(definition bytes)).  OUT: out. */
proto_status proto_poll_hash(const void *def, size_t len,
                             uint8_t out[PROTO_HASH_LEN]) PROTO_MUST_CHECK;
/* H(lp("ballot-credential/v1") || lp(poll_hash) || lp(voter_id) || lp(s)). */
proto_status
proto_credential_hash(const uint8_t poll_hash[PROTO_HASH_LEN],
                      const char *voter_id, const uint8_t s[PROTO_SECRET_LEN],
                      uint8_t out[PROTO_HASH_LEN]) PROTO_MUST_CHECK;
/* H(lp("ballot-pseudonym/v1") || lp(poll_hash) || lp(s)). */
proto_status proto_pseudonym(const uint8_t poll_hash[PROTO_HASH_LEN],
                             const uint8_t s[PROTO_SECRET_LEN],
                             uint8_t out[PROTO_HASH_LEN]) PROTO_MUST_CHECK;
/* token_id = H(lp("ballot-token/v1") || lp(class id) || lp(prepared)). */
proto_status proto_token_id(const char *class_id, const uint8_t *prepared,
                            size_t preplen,
                            uint8_t out[PROTO_HASH_LEN]) PROTO_MUST_CHECK;
/*
 * The record builders below append to b (which may already hold bytes);
 * check b->failed afterwards.
 */
/* info = lp("ballot-seal/v1") || lp(poll_hash) || lp(class id). */
void proto_seal_info(proto_buf *b, const uint8_t poll_hash[PROTO_HASH_LEN],
                     const char *class_id);
/* lp("ballot-entry/v2") || lp(poll_hash) || lp(class id) || lp(token)
 * || lp(sig) || lp(sealed ballot) || lp(cast_sig). */
void proto_board_entry(proto_buf *b, const uint8_t poll_hash[PROTO_HASH_LEN],
                       const char *class_id, const uint8_t *token,
                       size_t toklen, const uint8_t *sig, size_t siglen,
                       const uint8_t *ballot, size_t ballot_len,
                       const uint8_t *cast_sig, size_t cast_sig_len);
/*
 * The bytes the voter's cast key signs (protocol.md section 7):
 * lp("ballot-cast/v1") || lp(poll_hash) || lp(class id) || lp(token)
 * || lp(sealed ballot).
 */
void proto_cast_bytes(proto_buf *b, const uint8_t poll_hash[PROTO_HASH_LEN],
                      const char *class_id, const uint8_t *token, size_t toklen,
                      const uint8_t *ballot, size_t ballot_len);
/*
 * cast_sig: the Ed25519 signature of proto_cast_bytes by the cast key,
 * whose public key is the token's msg (its last 32 bytes; the first 32
 * are RFC 9474's random prefix).  The private key sk is the caller's to
 * wipe.  PROTO_ERR_VALUE if toklen is not PROTO_TOKEN_LEN.  OUT: sig.
 */
proto_status proto_cast_sign(const uint8_t sk[32],
                             const uint8_t poll_hash[PROTO_HASH_LEN],
                             const char *class_id, const uint8_t *token,
                             size_t toklen, const uint8_t *ballot,
                             size_t ballot_len,
                             uint8_t sig[PROTO_SIG_LEN]) PROTO_MUST_CHECK;
/*
 * Checks cast_sig against the public key in the token (above).
 * PROTO_OK, or PROTO_ERR_VALUE for a token or signature of the wrong
 * size or a signature that does not verify; PROTO_ERR_NOMEM.
 */
proto_status proto_cast_verify(const uint8_t poll_hash[PROTO_HASH_LEN],
                               const char *class_id, const uint8_t *token,
                               size_t toklen, const uint8_t *ballot,
                               size_t ballot_len, const uint8_t *cast_sig,
                               size_t cast_sig_len) PROTO_MUST_CHECK;
/* lp("ballot-receipt/v1") || lp(poll_hash) || lp(u64(leaf_index))
 * || lp(leaf_hash) || lp(u64(tree_size)) || lp(root). */
void proto_receipt_bytes(proto_buf *b, const uint8_t poll_hash[PROTO_HASH_LEN],
                         uint64_t leaf_index,
                         const uint8_t leaf_hash[PROTO_HASH_LEN],
                         uint64_t tree_size,
                         const uint8_t root[PROTO_HASH_LEN]);
/* rec_n = lp("ballot-state/v1") || lp(poll_hash) || lp(u64(n)) || lp(kind)
 * || lp(u64(time_ms)) || lp(details) || lp(prev); prev = h_(n-1), or NULL
 * for n = 0 (32 zero bytes). */
void proto_state_record(proto_buf *b, const uint8_t poll_hash[PROTO_HASH_LEN],
                        uint64_t n, const char *kind, uint64_t time_ms,
                        const char *details, size_t details_len,
                        const uint8_t prev[PROTO_HASH_LEN]);
/* h_n = H(rec_n) of the record above.  OUT: out. */
proto_status proto_state_hash(const uint8_t poll_hash[PROTO_HASH_LEN],
                              uint64_t n, const char *kind, uint64_t time_ms,
                              const char *details, size_t details_len,
                              const uint8_t prev[PROTO_HASH_LEN],
                              uint8_t out[PROTO_HASH_LEN]) PROTO_MUST_CHECK;
/* lp("ballot-ceremony/v1") || lp(poll_hash) || lp(kind) || lp(u64(from))
 * || lp(u64(to)) || lp(body). */
void proto_ceremony_bytes(proto_buf *b, const uint8_t poll_hash[PROTO_HASH_LEN],
                          const char *kind, uint64_t from, uint64_t to,
                          const uint8_t *body, size_t body_len);
/* The tracker code "abcde-fghij": the first 10 hex digits of leaf_hash.
 * OUT: out (NUL-terminated). */
void proto_tracker(const uint8_t leaf_hash[PROTO_HASH_LEN],
                   char out[PROTO_TRACKER_LEN + 1]);

/* ------------------------------------------------------------------ */
/* The poll definition (api.md "Poll definition")                     */
/* ------------------------------------------------------------------ */

typedef enum {
	PROTO_KIND_STV = 0,
	PROTO_KIND_ORDERED_LIST,
	PROTO_KIND_OPTION,
	PROTO_KIND_REFERENDUM
} proto_kind;

/* "stv", "ordered-list", "option", "referendum". */
const char *proto_kind_name(proto_kind k);

typedef struct {
	char *name;
	char **categories;
	size_t ncategories;
} proto_candidate;

typedef struct {
	char *category;
	int min; /* 0 if not given */
	int max; /* the contest's seats if not given */
} proto_constraint;

typedef struct {
	char *id, *title;
	proto_kind kind;
	/* "scottish-stv", "meek", "wigm", "ers97" (stv, ordered-list),
	 * "irv" (option), "" (referendum).  Static storage. */
	const char *rule;
	int seats;
	proto_candidate *candidates;
	size_t ncandidates;
	proto_constraint *constraints;
	size_t nconstraints;
	/* Referendum only (default 1/2, abstentions excluded). */
	int threshold_num, threshold_den;
	int abstentions_included;
} proto_contest;

/*
 * The contest's rule in plain words for voters and readers of the report
 * (rule, seats, constraints, the ordered-list method, the referendum's
 * threshold), as one NUL-terminated paragraph in out[outlen].
 * PROTO_ERR_VALUE if it does not fit (1024 bytes is enough for 16
 * constraints with 64-byte category names).
 */
proto_status proto_contest_describe(const proto_contest *c, char *out,
                                    size_t outlen) PROTO_MUST_CHECK;

typedef struct {
	char *name;
	uint8_t sign_key[32]; /* Ed25519 */
	uint8_t hpke_key[65]; /* P-256, uncompressed, checked on the curve */
} proto_trustee;

typedef struct {
	char *id, *title;
	int64_t opens_ms, closes_ms; /* ms since the epoch, -1 if not set */
	int revoting;
	uint32_t ballot_size;
	uint32_t min_class_size;
	proto_contest *contests;
	size_t ncontests;
	int k;
	proto_trustee *trustees;
	size_t ntrustees;
	/* The accepted definition bytes, verbatim, and their poll_hash. */
	uint8_t *bytes;
	size_t nbytes;
	uint8_t poll_hash[PROTO_HASH_LEN];
} proto_poll;

/*
 * Parses and validates a poll definition text[0..len).  OUT: *out, freed
 * by the caller with proto_poll_free; NULL on failure.
 */
proto_status proto_poll_parse(const char *text, size_t len, proto_poll **out,
                              proto_err *err) PROTO_MUST_CHECK;
void proto_poll_free(proto_poll *p);
/* Index of the contest with this id, or -1. */
int proto_poll_contest_index(const proto_poll *p, const char *id);
/* The longest ballot plaintext (section 6) any voter of p can make:
 * every contest, a class of weight 1000, full rankings.  Bytes. */
size_t proto_poll_max_ballot_len(const proto_poll *p);
/*
 * An RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SS[.fff]Z" (1970..9999, up to
 * millisecond precision) as ms since the epoch.  -1 if not valid.
 */
int64_t proto_time_parse(const char *s, size_t len);
/* ms since the epoch as "YYYY-MM-DDTHH:MM:SS.fffZ" (".fff" left out when
 * zero).  out holds at least 25 bytes.  OUT: out. */
void proto_time_format(int64_t ms, char out[25]);

/* ------------------------------------------------------------------ */
/* Eligibility classes and the roll (protocol.md section 4)           */
/* ------------------------------------------------------------------ */

/* A set of contests: bit i is p->contests[i]. */
typedef uint32_t proto_cset;

/*
 * The class id of (contests, weight): the sorted contest ids joined by
 * '+', then '*' and the weight.  out holds PROTO_CLASS_ID_MAX + 1 bytes.
 * OUT: out.
 */
void proto_class_id(const proto_poll *p, proto_cset contests, int weight,
                    char out[PROTO_CLASS_ID_MAX + 1]);
/* The contests and weight of a class id of p; PROTO_ERR_VALUE if it is
 * not one (unknown contest, unsorted, bad weight).  OUT: *contests,
 * *weight. */
proto_status proto_class_parse(const proto_poll *p, const char *class_id,
                               proto_cset *contests, int *weight,
                               proto_err *err) PROTO_MUST_CHECK;

typedef struct {
	char *voter_id, *email, *name; /* email and name "" if absent */
	int weight;
	proto_cset contests;
	size_t class_index; /* into proto_roll.classes */
	int line, column;   /* where the voter's voter_id is in the CSV */
} proto_voter;

typedef struct {
	char id[PROTO_CLASS_ID_MAX + 1];
	proto_cset contests;
	int weight;
	size_t count; /* voters */
} proto_class;

typedef struct {
	proto_voter *voters; /* in file order */
	size_t nvoters;
	proto_class *classes; /* sorted by id (byte order) */
	size_t nclasses;
} proto_roll;

/*
 * Parses the roll CSV text[0..len) for poll p.  OUT: *out, freed with
 * proto_roll_free; NULL on failure.  err->line and err->column say where.
 */
proto_status proto_roll_parse(const proto_poll *p, const char *text, size_t len,
                              proto_roll **out,
                              proto_err *err) PROTO_MUST_CHECK;
void proto_roll_free(proto_roll *r);
/*
 * The classes with fewer voters than p->min_class_size: their indexes
 * into r->classes, up to cap of them, in idx.  Returns how many there
 * are (which may exceed cap).  OUT: idx.
 */
size_t proto_roll_small_classes(const proto_roll *r, const proto_poll *p,
                                size_t *idx, size_t cap);

/* ------------------------------------------------------------------ */
/* Messages (api.md)                                                  */
/* ------------------------------------------------------------------ */

/*
 * Every decoder takes the body text[0..len), parses it with duplicate
 * keys refused and fills the caller's struct; on failure the struct's
 * contents are unspecified (and hold nothing to free).  Every encoder
 * returns a new jansson object (the caller json_decref's it) or NULL when
 * out of memory.  proto_json_text turns one into compact text.
 */

/* Compact JSON text of v (members in insertion order), malloc'd and
 * NUL-terminated, or NULL when out of memory.  OUT: *len (may be NULL). */
char *proto_json_text(const json_t *v, size_t *len);

/*
 * The voter credential: "<voter_id>:<s>", s the 16 bytes in Crockford
 * base32, 26 characters grouped by 4 with '-' (XXXX-XXXX-...-XX).
 * Parsing splits at the last ':' and accepts lower case, missing '-'
 * and the Crockford confusables (I, L -> 1; O -> 0).
 */
typedef struct {
	char voter_id[PROTO_VOTER_ID_MAX + 1];
	uint8_t s[PROTO_SECRET_LEN]; /* secret: wipe after use */
} proto_credential;

#define PROTO_CREDENTIAL_MAX (PROTO_VOTER_ID_MAX + 1 + 32)
/* OUT: out (NUL-terminated, PROTO_CREDENTIAL_MAX + 1 bytes). */
void proto_credential_format(const char *voter_id,
                             const uint8_t s[PROTO_SECRET_LEN],
                             char out[PROTO_CREDENTIAL_MAX + 1]);
proto_status proto_credential_parse(const char *text, size_t len,
                                    proto_credential *out,
                                    proto_err *err) PROTO_MUST_CHECK;

/*
 * POST /polls/{id}/tokens: {"credential", "blinded"} and optionally
 * "class", the class whose key the client blinded with (the server
 * refuses before signing if it is not the voter's).
 */
typedef struct {
	proto_credential cred;
	uint8_t blinded[PROTO_KEY_MAX];
	size_t blinded_len; /* = the token key size k */
	char class_id[PROTO_CLASS_ID_MAX + 1]; /* "" when not sent */
} proto_token_req;
/* klen: the token key size k in bytes (256 for RSA 2048). */
proto_status proto_token_req_decode(const char *text, size_t len, size_t klen,
                                    proto_token_req *out,
                                    proto_err *err) PROTO_MUST_CHECK;
json_t *proto_token_req_encode(const proto_token_req *m);

/* Its answer: {"class", "blind_sig"}. */
typedef struct {
	char class_id[PROTO_CLASS_ID_MAX + 1];
	uint8_t blind_sig[PROTO_KEY_MAX];
	size_t blind_sig_len;
} proto_token_ans;
proto_status proto_token_ans_decode(const char *text, size_t len, size_t klen,
                                    proto_token_ans *out,
                                    proto_err *err) PROTO_MUST_CHECK;
json_t *proto_token_ans_encode(const proto_token_ans *m);

/* POST /polls/{id}/casts: {"class", "token", "sig", "ballot",
 * "cast_sig"}. */
typedef struct {
	char class_id[PROTO_CLASS_ID_MAX + 1];
	uint8_t token[PROTO_TOKEN_LEN];
	uint8_t sig[PROTO_KEY_MAX];
	size_t sig_len;
	uint8_t *ballot; /* malloc'd, ballot_size + 81 bytes */
	size_t ballot_len;
	uint8_t cast_sig[PROTO_SIG_LEN]; /* Ed25519, by the token's key */
} proto_cast;
/*
 * The class id is checked for syntax only (which classes exist is the
 * daemon's to say).  OUT: *out; free out->ballot (also on failure: NULL
 * then).
 */
proto_status proto_cast_decode(const char *text, size_t len, size_t klen,
                               uint32_t ballot_size, proto_cast *out,
                               proto_err *err) PROTO_MUST_CHECK;
json_t *proto_cast_encode(const proto_cast *m);

/* A signed tree head: {"tree_size", "root", "timestamp_ms", "poll_hash",
 * "signature"}; hashes in hex. */
typedef struct {
	uint64_t tree_size;
	uint8_t root[PROTO_HASH_LEN];
	uint64_t timestamp_ms;
	uint8_t poll_hash[PROTO_HASH_LEN];
	uint8_t signature[PROTO_SIG_LEN];
} proto_sth;
proto_status proto_sth_decode(const char *text, size_t len, proto_sth *out,
                              proto_err *err) PROTO_MUST_CHECK;
json_t *proto_sth_encode(const proto_sth *m);

/* The receipt (api.md). */
typedef struct {
	char poll[PROTO_ID_MAX + 1];
	uint8_t poll_hash[PROTO_HASH_LEN];
	uint64_t leaf_index;
	uint8_t leaf_hash[PROTO_HASH_LEN];
	proto_sth sth;
	uint8_t inclusion[PROTO_PROOF_MAX][PROTO_HASH_LEN];
	size_t ninclusion;
	uint8_t receipt_sig[PROTO_SIG_LEN];
	char tracker[PROTO_TRACKER_LEN + 1];
} proto_receipt;
/* Checks shape and consistency (sth.poll_hash = poll_hash, leaf_index <
 * sth.tree_size, tracker from leaf_hash), not the signatures. */
proto_status proto_receipt_decode(const char *text, size_t len,
                                  proto_receipt *out,
                                  proto_err *err) PROTO_MUST_CHECK;
json_t *proto_receipt_encode(const proto_receipt *m);

/* The key ceremony (protocol.md section 10). */
typedef enum {
	PROTO_CER_COMMITMENTS = 0,
	PROTO_CER_SHARES,
	PROTO_CER_COMPLAINT,
	PROTO_CER_ANSWER,
	PROTO_CER_DONE,
	PROTO_CER_RELEASE
} proto_ceremony_kind;
/* "commitments", "shares", "complaint", "answer", "done", "release". */
const char *proto_ceremony_kind_name(proto_ceremony_kind k);

/* {"kind", "from", "to", "body", "sig"}; body and sig base64url. */
typedef struct {
	proto_ceremony_kind kind;
	uint32_t from, to; /* trustees 1..n; to = 0: to all */
	uint8_t *body;     /* malloc'd, 1..PROTO_BODY_MAX bytes */
	size_t body_len;
	uint8_t sig[PROTO_SIG_LEN];
} proto_ceremony_msg;
/*
 * n: the number of trustees.  shares must go to one trustee, the other
 * kinds to all or (complaint, answer) to one; nobody writes to
 * themselves.  OUT: *out; free out->body (NULL on failure).
 */
proto_status proto_ceremony_decode(const char *text, size_t len, size_t n,
                                   proto_ceremony_msg *out,
                                   proto_err *err) PROTO_MUST_CHECK;
json_t *proto_ceremony_encode(const proto_ceremony_msg *m);

/* PUT /polls/{id}/schedule: {"opens", "closes"}, each a time or null. */
proto_status proto_schedule_decode(const char *text, size_t len,
                                   int64_t *opens_ms, int64_t *closes_ms,
                                   proto_err *err) PROTO_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* The ballot plaintext (protocol.md section 6)                       */
/* ------------------------------------------------------------------ */

typedef struct {
	int contest;     /* index into poll->contests */
	uint16_t *ranks; /* candidate numbers, 1-based, best first */
	size_t nranks;   /* 0: a blank vote in this contest */
} proto_choice;

typedef struct {
	proto_choice choices[PROTO_MAX_CONTESTS];
	size_t nchoices;
} proto_ballot;

/* Why a ballot that decrypted is not counted. */
typedef enum {
	PROTO_BALLOT_VALID = 0,
	PROTO_BALLOT_MALFORMED, /* not JSON or not the ballot's shape */
	PROTO_BALLOT_WRONG_POLL,
	PROTO_BALLOT_WRONG_CLASS,
	PROTO_BALLOT_UNKNOWN_CONTEST, /* not a contest of the voter's class */
	PROTO_BALLOT_MISSING_CONTEST,
	PROTO_BALLOT_REPEATED_CANDIDATE,
	PROTO_BALLOT_CANDIDATE_OUT_OF_RANGE,
	PROTO_BALLOT_TOO_MANY_CHOICES /* more than one answer in a referendum */
} proto_ballot_reason;
/* "valid", "malformed", "wrong_poll", ... (the names the record uses). */
const char *proto_ballot_reason_name(proto_ballot_reason r);

/*
 * The plaintext of b for poll p and class class_id, exactly
 * {"v":1,"poll":...,"class":...,"contests":{...}} with the contests in
 * b's order and no white space.  Refuses (PROTO_ERR_VALUE) a ballot that
 * would decode as invalid.  OUT: *out (malloc'd, NUL-terminated, freed by
 * the caller), *len.
 */
proto_status proto_ballot_encode(const proto_poll *p, const char *class_id,
                                 const proto_ballot *b, char **out, size_t *len,
                                 proto_err *err) PROTO_MUST_CHECK;
/*
 * Decodes and validates the plaintext text[0..len) against poll p and the
 * class of its board entry.  Returns PROTO_BALLOT_VALID and fills *out
 * (free with proto_ballot_clear), or the reason and a message in err
 * (*out then holds nothing).  PROTO_BALLOT_MALFORMED also when out of
 * memory (err says so).
 */
proto_ballot_reason proto_ballot_decode(const proto_poll *p,
                                        const char *class_id, const char *text,
                                        size_t len, proto_ballot *out,
                                        proto_err *err);
/* Frees the ranks of b and empties it. */
void proto_ballot_clear(proto_ballot *b);

#endif
