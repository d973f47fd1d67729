/*
 * store_int.h: the store's insides, shared by store.c (schema, open,
 * the board check, readers) and store_writer.c (the writer thread, its
 * queue, the group commit and the synchronous writes' transactions).
 * Nothing outside these two files includes it.
 */
#ifndef BALLOTD_STORE_INT_H
#define BALLOTD_STORE_INT_H

#include <openssl/evp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#include "merkle.h"
#include "store.h"

/* Casts and token issues taken into one transaction at most. */
#define STORE_BATCH_MAX 512
/* Jobs waiting for the writer at most; beyond, submit says unavailable. */
#define STORE_QUEUE_MAX 65536
/* How long a connection waits for a lock before SQLITE_BUSY, in ms. */
#define STORE_BUSY_TIMEOUT_MS 10000
/* Room for the writer's prepared statements. */
#define STORE_WSTMT_MAX 32

/*
 * A synchronous write: runs on the writer thread inside BEGIN IMMEDIATE;
 * the writer commits on STORE_OK and rolls back otherwise.
 */
typedef store_status (*store_txn_fn)(store *s, void *arg, store_error *err);

/* A bc_merkle_get_node_fn over the node table; ctx is a store_nodectx. */
typedef struct {
	sqlite3 *db;
	int64_t pid;
	sqlite3_stmt *st;
	int dberr; /* set when SQLite failed (not "absent") */
} store_nodectx;

typedef enum {
	STORE_JOB_CAST,
	STORE_JOB_TOKEN, /* group-committed with the casts */
	STORE_JOB_CALL
} store_job_kind;

typedef struct store_job {
	struct store_job *next;
	store_job_kind kind;
	/* STORE_JOB_CAST: owned copies, in the job's own allocation. */
	char poll[STORE_POLL_ID_MAX + 1];
	char *class_id;
	uint8_t token_id[STORE_HASH_LEN];
	uint8_t *entry;
	size_t entry_len;
	int revoting;
	store_cast_done_fn done;
	void *done_arg;
	/* STORE_JOB_TOKEN: owned copies, in the job's own allocation;
	 * done_arg is the argument of tdone. */
	char *voter_id;
	uint8_t blinded_hash[STORE_HASH_LEN];
	uint8_t pseudonym[STORE_HASH_LEN];
	uint8_t *sig;
	size_t sig_len;
	store_token_done_fn tdone;
	/* STORE_JOB_CALL: on the waiting caller's stack. */
	store_txn_fn fn;
	void *fn_arg;
	store_error *fn_err;
	store_status result;
	int finished;
} store_job;

/*
 * The writer's view of one poll, kept between batches: the board key and
 * the frontier live only here (and in the file).  Touched by the writer
 * thread only.
 */
typedef struct store_wpoll {
	struct store_wpoll *next;
	int64_t pid;
	char id[STORE_POLL_ID_MAX + 1];
	uint8_t poll_hash[STORE_HASH_LEN];
	uint8_t board_sk[32];
	EVP_PKEY *board_key; /* the same key, ready to sign receipts */
	bc_merkle_frontier *frontier;
	uint64_t last_ts; /* timestamps of heads never go backwards */
	/* Per batch. */
	int batch_seen;    /* state read in this batch */
	int batch_open;    /* ... and it was "open" */
	int batch_issuing; /* ... or "ceremony" or "open" (tokens) */
	int batch_touched; /* a leaf was appended in this batch */
	store_sth batch_sth;
} store_wpoll;

/* Helpers in store.c are declared after the structs. */

struct store {
	char *path;
	sqlite3 *wdb; /* the only write connection: writer thread */
	pthread_t thread;
	int thread_started;

	pthread_mutex_t mu;     /* guards the queue and the flags below */
	pthread_cond_t work_cv; /* the writer waits here for jobs */
	pthread_cond_t call_cv; /* synchronous callers wait here */
	store_job *head, *tail;
	size_t queued;
	int stopping;

	/* Writer thread only. */
	store_wpoll *wpolls;
	sqlite3_stmt *wst[STORE_WSTMT_MAX]; /* prepared on first use */
	store_nodectx wnodes; /* node fetches for the receipts' proofs */
};

/* Formats a message into err (if not NULL) and returns st. */
store_status store_fail(store_error *err, store_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* store_fail with SQLite's message for db. */
store_status store_dbfail(store_error *err, sqlite3 *db, const char *what);
/* Runs SQL without results. */
store_status store_exec_sql(sqlite3 *db, const char *sql, store_error *err);
/* Prepares (cached by SQLite's persistent flag).  OUT: *st. */
store_status store_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st,
                           store_error *err);
uint64_t store_now_ms(void);

/* The poll's pid and hash by id.  STORE_NOT_FOUND if none. */
store_status store_poll_pid(sqlite3 *db, const char *poll, int64_t *pid,
                            uint8_t poll_hash[STORE_HASH_LEN],
                            store_error *err);

bc_status store_get_node(void *ctx, unsigned level, uint64_t index,
                         uint8_t out[BC_MERKLE_HASH_LEN]);
store_status store_nodectx_init(store_nodectx *c, sqlite3 *db, int64_t pid,
                                store_error *err);
void store_nodectx_done(store_nodectx *c);

/* Loads the saved frontier of pid into f (empty if none saved). */
store_status store_frontier_read(sqlite3 *db, int64_t pid,
                                 bc_merkle_frontier *f, store_error *err);
/* The latest signed head of pid.  STORE_NOT_FOUND if none. */
store_status store_sth_read(sqlite3 *db, int64_t pid, int64_t tree_size,
                            store_sth *out, store_error *err);
/*
 * The receipt record of protocol.md section 8, signed.  OUT: sig.
 */
store_status store_sign_receipt(EVP_PKEY *board_key,
                                const uint8_t poll_hash[STORE_HASH_LEN],
                                uint64_t leaf_index,
                                const uint8_t leaf_hash[STORE_HASH_LEN],
                                const store_sth *sth,
                                uint8_t sig[STORE_SIG_LEN], store_error *err);

/* In store_writer.c. */
store_status store_writer_start(store *s, store_error *err);
void store_writer_stop(store *s);
/* Queues fn and waits for its result.  Not from the writer thread. */
store_status store_call(store *s, store_txn_fn fn, void *arg, store_error *err);
/* The writer's cached state of a poll, loading it.  Writer thread only. */
store_status store_wpoll_get(store *s, const char *poll, store_wpoll **out,
                             store_error *err);
void store_wpolls_free(store *s);

#endif
