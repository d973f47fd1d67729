/*
 * store.h: the daemon's store.  One SQLite file holds every poll; one
 * writer thread owns the only write connection and commits casts and
 * token issues in groups; readers use their own connections, one per
 * thread, and never wait for the writer (WAL).  docs/store.md has the
 * schema, the durability argument and the measured throughput.
 *
 * The store deals in byte strings and plain structs: the handlers build
 * board entries, definitions and details with proto/ and hand the bytes
 * over.  The store itself encodes only what it signs with the board key
 * (tree heads, receipts, state records), byte for byte as protocol.md
 * sections 8 and 9 fix them.
 *
 * Threads: a store is shared by every thread.  A store_reader belongs to
 * the one thread that opened it.  Synchronous writes (store_poll_create
 * and the others below) may be called from any thread except the writer
 * thread itself (never from a store_cast_done_fn or store_token_done_fn);
 * they wait for the writer to run them, each in its own transaction.
 *
 * Errors: every fallible function returns a store_status and, when err is
 * not NULL, a sentence in err->msg.  Nothing prints, exits or aborts on
 * bad input.
 */
#ifndef BALLOTD_STORE_H
#define BALLOTD_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_HASH_LEN       32
#define STORE_SIG_LEN        64
#define STORE_POLL_ID_MAX    63 /* [a-z0-9][a-z0-9-]{0,62} */
#define STORE_MAX_PROOF      65 /* hashes; = BC_MERKLE_MAX_PROOF */
#define STORE_SCHEMA_VERSION 1  /* PRAGMA user_version this code writes */

typedef enum {
	STORE_OK = 0,
	STORE_NOT_FOUND,    /* no such poll, voter, leaf, class or head */
	STORE_EXISTS,       /* a poll with that id or hash exists */
	STORE_WRONG_STATE,  /* the poll's state forbids this */
	STORE_TOKEN_USED,   /* the token has a ballot and revoting is off */
	STORE_TOKEN_ISSUED, /* a different blinded message was signed */
	STORE_CONFLICT,     /* an expectation (state, tree size) failed */
	STORE_INVALID,      /* a bad argument: length, range, name */
	STORE_VERSION,      /* the file's schema is newer than this code */
	STORE_CORRUPT,      /* the file contradicts itself; see the message */
	STORE_UNAVAILABLE,  /* shutting down, or the queue is full */
	STORE_NOMEM,
	STORE_DB,      /* SQLite failed (I/O, full disk, ...) */
	STORE_INTERNAL /* the crypto library failed where it should not */
} store_status;

typedef struct {
	char msg[256];
} store_error;

/* A name for a status ("token_used"), for logs and messages. */
const char *store_status_name(store_status st);

typedef struct store store;               /* the file and its writer */
typedef struct store_reader store_reader; /* one thread's read handle */

/*
 * Opens (creating if absent) the store at path, migrates an older schema,
 * refuses a newer one (STORE_VERSION), checks every poll's board (saved
 * frontier size = number of leaves = latest tree head's size, frontier
 * root = that head's root = the root rebuilt from the node table; else
 * STORE_CORRUPT naming the poll and the numbers), and starts the writer
 * thread.  OUT: *out, to close with store_close.
 */
store_status store_open(const char *path, store **out, store_error *err);
/*
 * Stops taking work, lets the writer finish everything already queued
 * (every accepted cast gets its callback), joins it, wipes the board keys
 * it held and closes the file.  Every reader must be closed first.
 * NULL is a no-op.
 */
void store_close(store *s);

/* A read connection for the calling thread.  OUT: *out. */
store_status store_reader_open(store *s, store_reader **out, store_error *err);
void store_reader_close(store_reader *r);

/* ---------------------------------------------------------------- */
/* Signed tree heads and receipts. */

typedef struct {
	uint64_t tree_size;
	uint8_t root[STORE_HASH_LEN];
	uint64_t timestamp_ms; /* Unix epoch, UTC */
	uint8_t poll_hash[STORE_HASH_LEN];
	uint8_t signature[STORE_SIG_LEN]; /* bc_sth_sign over the 93 bytes */
} store_sth;

/*
 * What a cast's callback receives: everything protocol.md section 8 puts
 * in a receipt.  `proof` is the inclusion proof of leaf_index in the tree
 * of sth.tree_size leaves (proof_count hashes, RFC 9162 order);
 * receipt_sig is the board key's signature of the "ballot-receipt/v1"
 * record over (poll_hash, leaf_index, leaf_hash, sth.tree_size,
 * sth.root).  duplicate is 1 when the same entry was already on the board:
 * then no leaf was added and leaf_index is the existing one.
 */
typedef struct {
	uint64_t leaf_index;
	uint8_t leaf_hash[STORE_HASH_LEN];
	store_sth sth;
	uint8_t proof[STORE_MAX_PROOF * STORE_HASH_LEN];
	size_t proof_count;
	uint8_t receipt_sig[STORE_SIG_LEN];
	int duplicate;
} store_receipt;

/* A cast as the handler built it.  Every pointer is borrowed. */
typedef struct {
	const char *class_id;
	uint8_t token_id[STORE_HASH_LEN];
	const uint8_t *entry; /* the board entry of protocol.md section 7 */
	size_t entry_len;
	int revoting; /* the poll allows a new ballot per token */
} store_cast;

/*
 * Called once per submitted cast, ON THE WRITER THREAD, after the
 * transaction holding it has committed (or failed).  st is STORE_OK with
 * r filled, or STORE_TOKEN_USED, STORE_WRONG_STATE (the poll is not
 * open), STORE_NOT_FOUND (no such poll or class), STORE_DB, ... with
 * r == NULL and err saying why.  r and err are valid only during the call.
 * The callback must be short and must not call the store's synchronous
 * writes: copy what it needs and hop to its own thread (for libevent,
 * event_active on an event of the caller's base).
 */
typedef void (*store_cast_done_fn)(void *arg, store_status st,
                                   const store_receipt *r,
                                   const store_error *err);

/*
 * Queues a cast for poll (its id).  The store copies c's bytes.  Returns
 * STORE_OK (done will be called exactly once), or STORE_INVALID /
 * STORE_UNAVAILABLE / STORE_NOMEM (done will not be called).
 */
store_status store_cast_submit(store *s, const char *poll, const store_cast *c,
                               store_cast_done_fn done, void *arg,
                               store_error *err);

/*
 * What a token issue's callback receives on success: the blind
 * signature to send (the new one, or when the same blinded message was
 * signed before, the stored one: reissued = 1) and the voter's class
 * (from the roll, as stored in the issuance log).
 */
typedef struct {
	const uint8_t *blind_sig;
	size_t blind_sig_len;
	const char *class_id;
	int reissued;
} store_token_ans;

/*
 * Called once per submitted token issue, ON THE WRITER THREAD, after the
 * transaction holding it has committed (or failed): st is STORE_OK with
 * t filled, or STORE_TOKEN_ISSUED (a different blinded message was
 * signed for this voter), STORE_NOT_FOUND (no such poll or voter),
 * STORE_WRONG_STATE (not ceremony or open), STORE_DB, ... with t == NULL
 * and err saying why.  t and err are valid only during the call; the
 * same rules as store_cast_done_fn.
 */
typedef void (*store_token_done_fn)(void *arg, store_status st,
                                    const store_token_ans *t,
                                    const store_error *err);

/*
 * Queues a token issue (protocol.md section 5) for voter_id of poll; the
 * writer commits it in the same groups as casts (one transaction, one
 * disk sync for all).  Inside the transaction, atomically: the voter has
 * no token: store (blinded_hash, blind_sig), append (pseudonym, the
 * voter's class) to the issuance log, count it, answer blind_sig; the
 * same blinded_hash was stored: answer the stored signature (reissued);
 * a different one: STORE_TOKEN_ISSUED.  The caller has computed
 * blind_sig (1 to 4096 bytes) under the class key beforehand.  Polls in
 * state ceremony or open only.  The store copies every argument.
 * Returns STORE_OK (done will be called exactly once), or STORE_INVALID
 * / STORE_UNAVAILABLE / STORE_NOMEM (done will not be called).
 */
store_status store_token_submit(store *s, const char *poll,
                                const char *voter_id,
                                const uint8_t blinded_hash[STORE_HASH_LEN],
                                const uint8_t *blind_sig, size_t blind_sig_len,
                                const uint8_t pseudonym[STORE_HASH_LEN],
                                store_token_done_fn done, void *arg,
                                store_error *err);

/* ---------------------------------------------------------------- */
/* Synchronous writes, each one transaction on the writer thread. */

/* Poll states, in lifecycle order (protocol.md section 3). */
#define STORE_STATE_DRAFT     "draft"
#define STORE_STATE_CEREMONY  "ceremony"
#define STORE_STATE_OPEN      "open"
#define STORE_STATE_CLOSED    "closed"
#define STORE_STATE_TALLIED   "tallied"
#define STORE_STATE_PUBLISHED "published"

/* A new poll.  Borrowed; board_sk is copied and wiped by the store. */
typedef struct {
	const char *id;
	uint8_t poll_hash[STORE_HASH_LEN];
	const uint8_t *definition; /* the accepted bytes, verbatim */
	size_t definition_len;
	uint64_t created_ms;
	int64_t opens_ms;     /* -1: opened by hand */
	int64_t closes_ms;    /* -1: closed by hand */
	uint8_t board_sk[32]; /* Ed25519 seed; the caller wipes its copy */
} store_poll_new;

/* Creates the poll in state draft.  STORE_EXISTS if id or hash is taken. */
store_status store_poll_create(store *s, const store_poll_new *p,
                               store_error *err);
/* Sets the schedule (-1: by hand).  Refused once the poll is closed. */
store_status store_poll_set_schedule(store *s, const char *poll,
                                     int64_t opens_ms, int64_t closes_ms,
                                     store_error *err);
/* Sets the election public key (bytes as the handler encodes them). */
store_status store_poll_set_election_key(store *s, const char *poll,
                                         const uint8_t *pk, size_t len,
                                         store_error *err);

/* One voter of a roll.  Borrowed. */
typedef struct {
	const char *voter_id;
	const char *email; /* may be NULL */
	const char *name;  /* may be NULL */
	const char *class_id;
	uint8_t cred_hash[STORE_HASH_LEN];
} store_voter_new;

/*
 * Replaces the poll's roll (and its classes, derived from the voters,
 * with their counts) by voters[0..n).  Draft polls only.  STORE_INVALID
 * for an empty or repeated voter id or an empty class id.
 */
store_status store_roll_import(store *s, const char *poll,
                               const store_voter_new *voters, size_t n,
                               store_error *err);
/*
 * Sets a class's token key: PKCS#8 DER of the RSA private key and the
 * SPKI DER of its public key (both copied).  Draft or ceremony only;
 * STORE_EXISTS if the class has a key already (a key is never replaced:
 * tokens signed under it would be orphaned).
 */
store_status store_class_set_key(store *s, const char *poll,
                                 const char *class_id, const uint8_t *key_der,
                                 size_t key_len, const uint8_t *pub_der,
                                 size_t pub_len, store_error *err);

/*
 * Token issuance, waiting for it: store_token_submit, then the calling
 * thread waits for the callback (so it shares the group commit; not
 * from the writer thread: STORE_INVALID).  Atomically: the voter has no
 * token: store (blinded_hash, blind_sig), append (pseudonym, the voter's
 * class) to the issuance log, answer STORE_OK with *reissued = 0; the
 * same blinded_hash was stored: STORE_OK, *reissued = 1 and the stored
 * signature in sig_out; a different one: STORE_TOKEN_ISSUED.  The caller
 * has computed blind_sig under the class key beforehand.  Polls in state
 * ceremony or open only.  sig_out holds sig_cap bytes (the stored
 * signature has blind_sig_len bytes when the key is the same).
 * OUT: sig_out, *sig_len, *reissued.
 */
store_status store_token_issue(store *s, const char *poll, const char *voter_id,
                               const uint8_t blinded_hash[STORE_HASH_LEN],
                               const uint8_t *blind_sig, size_t blind_sig_len,
                               const uint8_t pseudonym[STORE_HASH_LEN],
                               uint8_t *sig_out, size_t sig_cap,
                               size_t *sig_len, int *reissued,
                               store_error *err);

/* A state record to append (protocol.md section 9).  Borrowed. */
typedef struct {
	const char *kind;
	uint64_t time_ms;
	const uint8_t *details; /* UTF-8 JSON, as the kind defines */
	size_t details_len;
	const char *expect_state; /* NULL: any; else STORE_CONFLICT if not */
	const char *new_state;    /* NULL: the poll's state is unchanged */
	/*
	 * -1: no check; else STORE_CONFLICT unless the board holds exactly
	 * this many leaves (so a "closed" record can name the final head:
	 * read it, then append with its size; a cast in between makes the
	 * caller read again).
	 */
	int64_t expect_tree_size;
} store_state_new;

/* A stored state record. */
typedef struct {
	uint64_t n;
	const char *kind;
	uint64_t time_ms;
	const uint8_t *details;
	size_t details_len;
	uint8_t hash[STORE_HASH_LEN];     /* h_n = H(rec_n) */
	uint8_t signature[STORE_SIG_LEN]; /* board key over rec_n */
} store_state_rec;

/*
 * Appends record n = (last n) + 1, chained to the previous hash and signed
 * with the board key, and changes the poll's state if asked, in one
 * transaction.  OUT: *n_out and hash_out (either may be NULL).
 */
store_status store_state_append(store *s, const char *poll,
                                const store_state_new *rec, uint64_t *n_out,
                                uint8_t hash_out[STORE_HASH_LEN],
                                store_error *err);

/*
 * Stores a ceremony message (the handler has verified sig).  seq counts
 * from 1 per poll.  OUT: *seq.
 */
store_status store_ceremony_append(store *s, const char *poll, const char *kind,
                                   uint64_t from, uint64_t to,
                                   const uint8_t *body, size_t body_len,
                                   const uint8_t *sig, size_t sig_len,
                                   uint64_t *seq, store_error *err);

/* ---------------------------------------------------------------- */
/* Reads, on the calling thread's reader. */

/* A poll as the handlers see it (never the board's private key). */
typedef struct {
	char id[STORE_POLL_ID_MAX + 1];
	uint8_t poll_hash[STORE_HASH_LEN];
	uint8_t *definition; /* owned: store_poll_clear frees */
	size_t definition_len;
	char state[16];
	uint64_t created_ms;
	int64_t opens_ms, closes_ms; /* -1: by hand */
	uint8_t board_pk[32];
	uint8_t *election_pk; /* owned; NULL until set */
	size_t election_pk_len;
	uint64_t tree_size; /* leaves on the board */
} store_poll;

store_status store_poll_get(store_reader *r, const char *poll, store_poll *out,
                            store_error *err);
void store_poll_clear(store_poll *p);
/* Calls fn for each poll id, in id order; fn returns nonzero to stop. */
store_status store_poll_list(store_reader *r,
                             int (*fn)(void *arg, const char *id), void *arg,
                             store_error *err);

typedef struct {
	const char *class_id;
	const uint8_t *key_der; /* PKCS#8; NULL until set */
	size_t key_len;
	const uint8_t *pub_der; /* SPKI; NULL until set */
	size_t pub_len;
	uint64_t voters;
} store_class;

/*
 * Calls fn for each class of the poll, in class id order; the pointers are
 * valid during the call only (copy, and wipe copies of key_der).  fn
 * returns nonzero to stop.
 */
store_status store_classes(store_reader *r, const char *poll,
                           int (*fn)(void *arg, const store_class *c),
                           void *arg, store_error *err);
/* One class, by id; same lifetime rule through fn. */
store_status store_class_get(store_reader *r, const char *poll,
                             const char *class_id,
                             int (*fn)(void *arg, const store_class *c),
                             void *arg, store_error *err);

typedef struct {
	char voter_id[256];
	char class_id[256];
	uint8_t cred_hash[STORE_HASH_LEN];
	int has_token;
	uint8_t blinded_hash[STORE_HASH_LEN];
	uint8_t *blind_sig; /* owned: store_voter_clear */
	size_t blind_sig_len;
} store_voter;

/* STORE_INVALID if an id is longer than 255 bytes. */
store_status store_voter_get(store_reader *r, const char *poll,
                             const char *voter_id, store_voter *out,
                             store_error *err);
void store_voter_clear(store_voter *v);

typedef struct {
	uint64_t leaf_index;
	uint8_t leaf_hash[STORE_HASH_LEN];
	uint8_t token_id[STORE_HASH_LEN];
	const char *class_id;
	const uint8_t *entry;
	size_t entry_len;
} store_entry;

typedef int (*store_entry_fn)(void *arg, const store_entry *e);

/* Entries [start, end) in index order; fn returns nonzero to stop. */
store_status store_entries(store_reader *r, const char *poll, uint64_t start,
                           uint64_t end, store_entry_fn fn, void *arg,
                           store_error *err);
/* The leaf with this hash / index, through fn (called once if found). */
store_status store_leaf_by_hash(store_reader *r, const char *poll,
                                const uint8_t hash[STORE_HASH_LEN],
                                store_entry_fn fn, void *arg, store_error *err);
/*
 * The leaves whose hash starts with prefix (plen bytes, 1..32), at most
 * max of them, in index order, through fn.  STORE_OK when none.
 */
store_status store_leaves_by_prefix(store_reader *r, const char *poll,
                                    const uint8_t *prefix, size_t plen,
                                    unsigned max, store_entry_fn fn,
                                    void *arg, store_error *err);
store_status store_leaf_by_index(store_reader *r, const char *poll,
                                 uint64_t index, store_entry_fn fn, void *arg,
                                 store_error *err);

/*
 * Proofs from the node table (O(log n) rows).  proof holds
 * STORE_MAX_PROOF hashes.  STORE_INVALID if index >= tree_size, m > n, or
 * a size exceeds the board.  OUT: proof, *count.
 */
store_status store_inclusion_proof(store_reader *r, const char *poll,
                                   uint64_t index, uint64_t tree_size,
                                   uint8_t *proof, size_t *count,
                                   store_error *err);
store_status store_consistency_proof(store_reader *r, const char *poll,
                                     uint64_t m, uint64_t n, uint8_t *proof,
                                     size_t *count, store_error *err);

/* The latest signed head, or the one of this size.  STORE_NOT_FOUND if
 * none was signed (the board is empty / no batch ended at that size). */
store_status store_sth_latest(store_reader *r, const char *poll, store_sth *out,
                              store_error *err);
store_status store_sth_get(store_reader *r, const char *poll,
                           uint64_t tree_size, store_sth *out,
                           store_error *err);

/* Issuance log [start, end) in issue order (seq from 0). */
store_status
store_issuance(store_reader *r, const char *poll, uint64_t start, uint64_t end,
               int (*fn)(void *arg, uint64_t seq, const uint8_t pseudonym[32],
                         const char *class_id),
               void *arg, store_error *err);

/* Every state record from n = 0, in order. */
store_status store_states(store_reader *r, const char *poll,
                          int (*fn)(void *arg, const store_state_rec *rec),
                          void *arg, store_error *err);

typedef struct {
	uint64_t seq;
	const char *kind;
	uint64_t from, to;
	const uint8_t *body;
	size_t body_len;
	const uint8_t *sig;
	size_t sig_len;
} store_ceremony_msg;

/* Ceremony messages with seq > after, in order. */
store_status
store_ceremony_after(store_reader *r, const char *poll, uint64_t after,
                     int (*fn)(void *arg, const store_ceremony_msg *m),
                     void *arg, store_error *err);

/* Per class: voters, tokens issued, board entries, distinct tokens cast. */
typedef struct {
	const char *class_id;
	uint64_t voters;
	uint64_t tokens_issued;
	uint64_t entries;
	uint64_t tokens_cast;
} store_class_counts;

store_status store_status_counts(store_reader *r, const char *poll,
                                 int (*fn)(void *arg,
                                           const store_class_counts *c),
                                 void *arg, store_error *err);

/*
 * Signed tree heads with start <= tree_size < end, by increasing size;
 * fn returns nonzero to stop.
 */
store_status store_sths(store_reader *r, const char *poll, uint64_t start,
                        uint64_t end,
                        int (*fn)(void *arg, const store_sth *sth), void *arg,
                        store_error *err);

/*
 * The published election record (docs/record.md): stores the tarball
 * (copied; replacing an earlier upload) if the poll is closed or
 * tallied, else STORE_WRONG_STATE.  The caller then appends the
 * "published" state record.  OUT: state_out (the poll's state, may be
 * NULL).
 */
store_status store_record_put(store *s, const char *poll, const uint8_t *tar,
                              size_t len, char state_out[16],
                              store_error *err);
/* The stored tarball.  OUT: *out (malloc'd, the caller frees), *len.
 * STORE_NOT_FOUND if none. */
store_status store_record_get(store_reader *r, const char *poll, uint8_t **out,
                              size_t *len, store_error *err);

#endif
