/*
 * store.c: the schema and its migrations, opening and checking the file,
 * the read connections and every read, and the helpers the writer shares
 * (store_writer.c has the writer itself and every write).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bcrypto.h"
#include "merkle.h"
#include "sign.h"
#include "store.h"
#include "store_int.h"

/* ---------------------------------------------------------------- */
/* Small helpers. */

const char *store_status_name(store_status st)
{
	switch (st) {
	case STORE_OK:
		return "ok";
	case STORE_NOT_FOUND:
		return "not_found";
	case STORE_EXISTS:
		return "exists";
	case STORE_WRONG_STATE:
		return "wrong_state";
	case STORE_TOKEN_USED:
		return "token_used";
	case STORE_TOKEN_ISSUED:
		return "token_already_issued";
	case STORE_CONFLICT:
		return "conflict";
	case STORE_INVALID:
		return "invalid";
	case STORE_VERSION:
		return "version";
	case STORE_CORRUPT:
		return "corrupt";
	case STORE_UNAVAILABLE:
		return "unavailable";
	case STORE_NOMEM:
		return "nomem";
	case STORE_DB:
		return "db";
	case STORE_INTERNAL:
		return "internal";
	}
	return "unknown";
}

store_status store_fail(store_error *err, store_status st, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return st;
}

store_status store_dbfail(store_error *err, sqlite3 *db, const char *what)
{
	return store_fail(err, STORE_DB, "%s: %s", what,
	                  db != NULL ? sqlite3_errmsg(db) : "no connection");
}

store_status store_exec_sql(sqlite3 *db, const char *sql, store_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_fail(err, STORE_DB, "%s", msg != NULL ? msg : "exec");
		sqlite3_free(msg);
		return STORE_DB;
	}
	return STORE_OK;
}

/*
 * Statements are prepared with SQLITE_PREPARE_PERSISTENT and finalized by
 * the caller; the hot paths (cast batch, node fetches) keep theirs.
 */
store_status store_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st,
                           store_error *err)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	                       NULL) != SQLITE_OK) {
		*st = NULL;
		return store_dbfail(err, db, "prepare");
	}
	return STORE_OK;
}

uint64_t store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int blob_copy(sqlite3_stmt *st, int col, uint8_t *out, size_t len)
{
	if (sqlite3_column_type(st, col) != SQLITE_BLOB ||
	    (size_t)sqlite3_column_bytes(st, col) != len)
		return -1;
	memcpy(out, sqlite3_column_blob(st, col), len);
	return 0;
}

/* ---------------------------------------------------------------- */
/*
 * Byte records the store signs (protocol.md sections 2, 8, 9).  proto/
 * has the general builder; these two records are built here so that the
 * board key never leaves the writer.
 */

typedef struct {
	uint8_t *p;
	size_t len, cap;
	int oom;
} lpbuf;

static void lp_put(lpbuf *b, const void *x, size_t n)
{
	uint8_t *q;
	size_t need = b->len + 4 + n;

	if (b->oom)
		return;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < need)
			cap *= 2;
		if ((q = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	b->p[b->len] = (uint8_t)(n >> 24);
	b->p[b->len + 1] = (uint8_t)(n >> 16);
	b->p[b->len + 2] = (uint8_t)(n >> 8);
	b->p[b->len + 3] = (uint8_t)n;
	if (n > 0)
		memcpy(b->p + b->len + 4, x, n);
	b->len = need;
}

static void lp_str(lpbuf *b, const char *s)
{
	lp_put(b, s, strlen(s));
}

static void lp_u64(lpbuf *b, uint64_t v)
{
	uint8_t u[8];

	for (int i = 0; i < 8; i++)
		u[i] = (uint8_t)(v >> (56 - 8 * i));
	lp_put(b, u, 8);
}

store_status store_sign_receipt(EVP_PKEY *board_key,
                                const uint8_t poll_hash[STORE_HASH_LEN],
                                uint64_t leaf_index,
                                const uint8_t leaf_hash[STORE_HASH_LEN],
                                const store_sth *sth,
                                uint8_t sig[STORE_SIG_LEN], store_error *err)
{
	uint8_t mem[160];
	lpbuf b = {mem, 0, sizeof(mem), 0};
	EVP_MD_CTX *ctx;
	size_t len = STORE_SIG_LEN;
	int ok;

	/* 153 bytes: fits mem, so lp_put never reallocates it. */
	lp_str(&b, "ballot-receipt/v1");
	lp_put(&b, poll_hash, STORE_HASH_LEN);
	lp_u64(&b, leaf_index);
	lp_put(&b, leaf_hash, STORE_HASH_LEN);
	lp_u64(&b, sth->tree_size);
	lp_put(&b, sth->root, STORE_HASH_LEN);
	/*
	 * Pure Ed25519 (RFC 8032), as bc_ed25519_sign, but with the key
	 * object made once per poll: one signature per cast is the writer's
	 * largest cost, and rebuilding the key each time doubles it.
	 */
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return store_fail(err, STORE_NOMEM, "out of memory");
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, board_key) == 1 &&
	     EVP_DigestSign(ctx, sig, &len, b.p, b.len) == 1 &&
	     len == STORE_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return store_fail(err, STORE_INTERNAL, "receipt signature");
	return STORE_OK;
}

/* ---------------------------------------------------------------- */
/*
 * The schema.  migrations[v] takes a file from user_version v to v + 1.
 * A new version appends a step; a step never changes once released.
 */

static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE polls ("
    "  pid INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  poll_hash BLOB NOT NULL UNIQUE CHECK (length(poll_hash) = 32),"
    "  definition BLOB NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('draft', 'ceremony', 'open',"
    "    'closed', 'tallied', 'published')),"
    "  created_ms INTEGER NOT NULL,"
    "  opens_ms INTEGER,"
    "  closes_ms INTEGER,"
    "  board_sk BLOB NOT NULL CHECK (length(board_sk) = 32),"
    "  board_pk BLOB NOT NULL CHECK (length(board_pk) = 32),"
    "  election_pk BLOB"
    ");"
    "CREATE TABLE classes ("
    "  pid INTEGER NOT NULL REFERENCES polls (pid),"
    "  class_id TEXT NOT NULL,"
    "  token_key BLOB,"
    "  token_pub BLOB,"
    "  voters INTEGER NOT NULL DEFAULT 0,"
    "  tokens_issued INTEGER NOT NULL DEFAULT 0,"
    "  entries INTEGER NOT NULL DEFAULT 0,"
    "  tokens_cast INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (pid, class_id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE voters ("
    "  pid INTEGER NOT NULL,"
    "  voter_id TEXT NOT NULL,"
    "  email TEXT,"
    "  name TEXT,"
    "  class_id TEXT NOT NULL,"
    "  cred_hash BLOB NOT NULL CHECK (length(cred_hash) = 32),"
    "  blinded_hash BLOB CHECK (length(blinded_hash) = 32),"
    "  blind_sig BLOB,"
    "  PRIMARY KEY (pid, voter_id),"
    "  FOREIGN KEY (pid, class_id) REFERENCES classes (pid, class_id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE issuance ("
    "  pid INTEGER NOT NULL REFERENCES polls (pid),"
    "  seq INTEGER NOT NULL,"
    "  pseudonym BLOB NOT NULL CHECK (length(pseudonym) = 32),"
    "  class_id TEXT NOT NULL,"
    "  PRIMARY KEY (pid, seq)"
    ") WITHOUT ROWID;"
    "CREATE TABLE board ("
    "  pid INTEGER NOT NULL REFERENCES polls (pid),"
    "  leaf_index INTEGER NOT NULL,"
    "  leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),"
    "  token_id BLOB NOT NULL CHECK (length(token_id) = 32),"
    "  class_id TEXT NOT NULL,"
    "  entry BLOB NOT NULL,"
    "  PRIMARY KEY (pid, leaf_index),"
    "  UNIQUE (pid, leaf_hash)"
    ");"
    "CREATE TABLE merkle_nodes ("
    "  pid INTEGER NOT NULL,"
    "  level INTEGER NOT NULL,"
    "  idx INTEGER NOT NULL,"
    "  hash BLOB NOT NULL CHECK (length(hash) = 32),"
    "  PRIMARY KEY (pid, level, idx)"
    ") WITHOUT ROWID;"
    "CREATE TABLE frontiers ("
    "  pid INTEGER PRIMARY KEY REFERENCES polls (pid),"
    "  state BLOB NOT NULL"
    ");"
    "CREATE TABLE tree_heads ("
    "  pid INTEGER NOT NULL REFERENCES polls (pid),"
    "  tree_size INTEGER NOT NULL,"
    "  root BLOB NOT NULL CHECK (length(root) = 32),"
    "  timestamp_ms INTEGER NOT NULL,"
    "  signature BLOB NOT NULL CHECK (length(signature) = 64),"
    "  PRIMARY KEY (pid, tree_size)"
    ") WITHOUT ROWID;"
    "CREATE TABLE state_records ("
    "  pid INTEGER NOT NULL REFERENCES polls (pid),"
    "  n INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  time_ms INTEGER NOT NULL,"
    "  details BLOB NOT NULL,"
    "  hash BLOB NOT NULL CHECK (length(hash) = 32),"
    "  signature BLOB NOT NULL CHECK (length(signature) = 64),"
    "  PRIMARY KEY (pid, n)"
    ");"
    "CREATE TABLE ceremony ("
    "  pid INTEGER NOT NULL REFERENCES polls (pid),"
    "  seq INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  from_trustee INTEGER NOT NULL,"
    "  to_trustee INTEGER NOT NULL,"
    "  body BLOB NOT NULL,"
    "  sig BLOB NOT NULL,"
    "  PRIMARY KEY (pid, seq)"
    ");"
    "CREATE TABLE token_use ("
    "  pid INTEGER NOT NULL REFERENCES polls (pid),"
    "  token_id BLOB NOT NULL CHECK (length(token_id) = 32),"
    "  class_id TEXT NOT NULL,"
    "  last_leaf INTEGER NOT NULL,"
    "  uses INTEGER NOT NULL,"
    "  PRIMARY KEY (pid, token_id)"
    ") WITHOUT ROWID;",
};

#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(NMIGRATIONS == STORE_SCHEMA_VERSION,
               "one migration step per schema version");

static store_status user_version(sqlite3 *db, int *v, store_error *err)
{
	sqlite3_stmt *st;
	store_status rc;

	if ((rc = store_prepare(db, "PRAGMA user_version", &st, err)))
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = store_dbfail(err, db, "user_version");
	} else {
		*v = sqlite3_column_int(st, 0);
		rc = STORE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Brings the file to `target` (STORE_SCHEMA_VERSION; a parameter so the
 * tests can stop short) in one transaction; refuses a newer file.
 */
static store_status store_migrate(sqlite3 *db, int target, store_error *err)
{
	store_status rc;
	char sql[64];
	int v = 0;

	if ((rc = store_exec_sql(db, "BEGIN IMMEDIATE", err)))
		return rc;
	if ((rc = user_version(db, &v, err)))
		goto fail;
	if (v > target) {
		rc = store_fail(err, STORE_VERSION,
		                "the store's schema is version %d, newer than "
		                "this program's %d: refusing to open it",
		                v, target);
		goto fail;
	}
	if (v < 0) {
		rc = store_fail(err, STORE_CORRUPT, "schema version %d", v);
		goto fail;
	}
	for (; v < target; v++) {
		if ((rc = store_exec_sql(db, migrations[v], err)))
			goto fail;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", target);
	if ((rc = store_exec_sql(db, sql, err)))
		goto fail;
	return store_exec_sql(db, "COMMIT", err);
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Opens a connection with the pragmas every connection needs. */
static store_status conn_open(const char *path, int flags, sqlite3 **out,
                              store_error *err)
{
	sqlite3 *db = NULL;
	store_status rc;

	/* NOMUTEX: each connection belongs to one thread. */
	if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		rc = store_fail(err, STORE_DB, "%s: %s", path,
		                db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return rc;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
	if ((rc = store_exec_sql(db, "PRAGMA foreign_keys = ON", err))) {
		sqlite3_close(db);
		return rc;
	}
	*out = db;
	return STORE_OK;
}

/* ---------------------------------------------------------------- */
/* Node store over the merkle_nodes table. */

store_status store_nodectx_init(store_nodectx *c, sqlite3 *db, int64_t pid,
                                store_error *err)
{
	c->db = db;
	c->pid = pid;
	c->dberr = 0;
	return store_prepare(db,
	                     "SELECT hash FROM merkle_nodes "
	                     "WHERE pid = ?1 AND level = ?2 AND idx = ?3",
	                     &c->st, err);
}

void store_nodectx_done(store_nodectx *c)
{
	sqlite3_finalize(c->st);
	c->st = NULL;
}

bc_status store_get_node(void *ctx, unsigned level, uint64_t index,
                         uint8_t out[BC_MERKLE_HASH_LEN])
{
	store_nodectx *c = ctx;
	bc_status bs = BC_ERR_RANGE;
	int r;

	if (index > INT64_MAX)
		return BC_ERR_RANGE;
	sqlite3_bind_int64(c->st, 1, c->pid);
	sqlite3_bind_int(c->st, 2, (int)level);
	sqlite3_bind_int64(c->st, 3, (int64_t)index);
	r = sqlite3_step(c->st);
	if (r == SQLITE_ROW) {
		bs = blob_copy(c->st, 0, out, BC_MERKLE_HASH_LEN) == 0
		         ? BC_OK
		         : BC_ERR_INVALID;
		if (bs != BC_OK)
			c->dberr = 1;
	} else if (r != SQLITE_DONE) {
		c->dberr = 1;
		bs = BC_ERR_INTERNAL;
	}
	sqlite3_reset(c->st);
	return bs;
}

store_status store_frontier_read(sqlite3 *db, int64_t pid,
                                 bc_merkle_frontier *f, store_error *err)
{
	sqlite3_stmt *st;
	store_status rc = STORE_OK;
	bc_merkle_frontier *empty;
	int r;

	if ((rc = store_prepare(
	         db, "SELECT state FROM frontiers WHERE pid = ?1", &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		if (bc_merkle_frontier_load(
		        f, sqlite3_column_blob(st, 0),
		        (size_t)sqlite3_column_bytes(st, 0)) != BC_OK)
			rc = store_fail(err, STORE_CORRUPT,
			                "the saved frontier is malformed");
	} else if (r == SQLITE_DONE) {
		/* Nothing saved: the empty board. */
		if ((empty = bc_merkle_frontier_new()) == NULL) {
			rc = store_fail(err, STORE_NOMEM, "out of memory");
		} else {
			uint8_t buf[64];
			size_t len;

			if (bc_merkle_frontier_save(empty, buf, sizeof(buf),
			                            &len) != BC_OK ||
			    bc_merkle_frontier_load(f, buf, len) != BC_OK)
				rc = store_fail(err, STORE_INTERNAL,
				                "empty frontier");
			bc_merkle_frontier_free(empty);
		}
	} else {
		rc = store_dbfail(err, db, "frontier");
	}
	sqlite3_finalize(st);
	return rc;
}

store_status store_sth_read(sqlite3 *db, int64_t pid, int64_t tree_size,
                            store_sth *out, store_error *err)
{
	sqlite3_stmt *st;
	store_status rc;
	int r;

	rc = store_prepare(
	    db,
	    tree_size < 0 ? "SELECT h.tree_size, h.root, h.timestamp_ms, "
	                    "h.signature, p.poll_hash FROM tree_heads h "
	                    "JOIN polls p ON p.pid = h.pid WHERE h.pid = ?1 "
	                    "ORDER BY h.tree_size DESC LIMIT 1"
	                  : "SELECT h.tree_size, h.root, h.timestamp_ms, "
	                    "h.signature, p.poll_hash FROM tree_heads h "
	                    "JOIN polls p ON p.pid = h.pid WHERE h.pid = ?1 "
	                    "AND h.tree_size = ?2",
	    &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	if (tree_size >= 0)
		sqlite3_bind_int64(st, 2, tree_size);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		out->tree_size = (uint64_t)sqlite3_column_int64(st, 0);
		out->timestamp_ms = (uint64_t)sqlite3_column_int64(st, 2);
		if (blob_copy(st, 1, out->root, 32) ||
		    blob_copy(st, 3, out->signature, 64) ||
		    blob_copy(st, 4, out->poll_hash, 32))
			rc = store_fail(err, STORE_CORRUPT, "tree head row");
	} else if (r == SQLITE_DONE) {
		rc = store_fail(err, STORE_NOT_FOUND, "no signed tree head%s",
		                tree_size >= 0 ? " of that size" : " yet");
	} else {
		rc = store_dbfail(err, db, "tree head");
	}
	sqlite3_finalize(st);
	return rc;
}

store_status store_poll_pid(sqlite3 *db, const char *poll, int64_t *pid,
                            uint8_t poll_hash[STORE_HASH_LEN], store_error *err)
{
	sqlite3_stmt *st;
	store_status rc = STORE_OK;
	int r;

	if (poll == NULL || strlen(poll) > STORE_POLL_ID_MAX)
		return store_fail(err, STORE_NOT_FOUND, "no such poll");
	if ((rc = store_prepare(
	         db, "SELECT pid, poll_hash FROM polls WHERE id = ?1", &st,
	         err)))
		return rc;
	sqlite3_bind_text(st, 1, poll, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*pid = sqlite3_column_int64(st, 0);
		if (poll_hash != NULL && blob_copy(st, 1, poll_hash, 32))
			rc = store_fail(err, STORE_CORRUPT, "poll_hash");
	} else if (r == SQLITE_DONE) {
		rc = store_fail(err, STORE_NOT_FOUND, "no such poll: %s", poll);
	} else {
		rc = store_dbfail(err, db, "poll");
	}
	sqlite3_finalize(st);
	return rc;
}

static store_status count_leaves(sqlite3 *db, int64_t pid, uint64_t *n,
                                 store_error *err)
{
	sqlite3_stmt *st;
	store_status rc = STORE_OK;

	/* max + 1, read from the primary key's end: O(log n). */
	if ((rc = store_prepare(db,
	                        "SELECT max(leaf_index) FROM board "
	                        "WHERE pid = ?1",
	                        &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = store_dbfail(err, db, "board size");
	else if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		*n = 0;
	else
		*n = (uint64_t)sqlite3_column_int64(st, 0) + 1;
	sqlite3_finalize(st);
	return rc;
}

/* ---------------------------------------------------------------- */
/* Opening: the board check. */

static void hex8(const uint8_t *h, char out[17])
{
	static const char d[] = "0123456789abcdef";

	for (int i = 0; i < 8; i++) {
		out[2 * i] = d[h[i] >> 4];
		out[2 * i + 1] = d[h[i] & 15];
	}
	out[16] = '\0';
}

/*
 * One poll's board must agree with itself: the frontier the writer will
 * resume from, the leaves, the node table and the latest signed head.
 * Every batch writes all four in one transaction, so any disagreement
 * means the file was changed behind the store's back.
 */
static store_status check_board(sqlite3 *db, int64_t pid, const char *id,
                                store_error *err)
{
	bc_merkle_frontier *f = NULL, *g = NULL;
	store_nodectx nc = {0};
	uint8_t froot[32], nroot[32];
	char a[17], b[17];
	uint64_t leaves = 0, count = 0;
	store_sth sth;
	store_status rc;
	sqlite3_stmt *st;

	if ((f = bc_merkle_frontier_new()) == NULL ||
	    (g = bc_merkle_frontier_new()) == NULL) {
		rc = store_fail(err, STORE_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = store_frontier_read(db, pid, f, err))) {
		if (rc == STORE_CORRUPT)
			store_fail(err, rc,
			           "poll %s: the saved frontier is "
			           "malformed",
			           id);
		goto out;
	}
	if ((rc = count_leaves(db, pid, &leaves, err)))
		goto out;
	if ((rc = store_prepare(db, "SELECT count(*) FROM board WHERE pid = ?1",
	                        &st, err)))
		goto out;
	sqlite3_bind_int64(st, 1, pid);
	if (sqlite3_step(st) == SQLITE_ROW)
		count = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (count != leaves) {
		rc = store_fail(
		    err, STORE_CORRUPT,
		    "poll %s: the board's leaf indices are not dense "
		    "(%" PRIu64 " entries, highest index + 1 = %" PRIu64 ")",
		    id, count, leaves);
		goto out;
	}
	if (bc_merkle_frontier_size(f) != leaves) {
		rc = store_fail(err, STORE_CORRUPT,
		                "poll %s: the saved frontier holds %" PRIu64
		                " leaves but the board has %" PRIu64 " entries",
		                id, bc_merkle_frontier_size(f), leaves);
		goto out;
	}
	if (bc_merkle_frontier_root(f, froot) != BC_OK) {
		rc = store_fail(err, STORE_INTERNAL, "frontier root");
		goto out;
	}
	rc = store_sth_read(db, pid, -1, &sth, err);
	if (rc == STORE_NOT_FOUND) {
		if (leaves != 0) {
			rc = store_fail(err, STORE_CORRUPT,
			                "poll %s: the board has %" PRIu64
			                " entries but no signed tree head",
			                id, leaves);
			goto out;
		}
		rc = STORE_OK;
		goto out;
	}
	if (rc)
		goto out;
	if (sth.tree_size != leaves) {
		rc = store_fail(
		    err, STORE_CORRUPT,
		    "poll %s: the latest signed tree head has size %" PRIu64
		    " but the board has %" PRIu64 " entries",
		    id, sth.tree_size, leaves);
		goto out;
	}
	if (!bc_ct_equal(froot, sth.root, 32)) {
		hex8(froot, a);
		hex8(sth.root, b);
		rc = store_fail(
		    err, STORE_CORRUPT,
		    "poll %s: the saved frontier's root %s... differs "
		    "from the latest signed tree head's root %s... "
		    "(size %" PRIu64 ")",
		    id, a, b, leaves);
		goto out;
	}
	if ((rc = store_nodectx_init(&nc, db, pid, err)))
		goto out;
	if (bc_merkle_frontier_from_store(g, leaves, store_get_node, &nc) !=
	        BC_OK ||
	    bc_merkle_frontier_root(g, nroot) != BC_OK) {
		rc = store_fail(err, STORE_CORRUPT,
		                "poll %s: the Merkle node table lacks nodes of "
		                "the tree of %" PRIu64 " leaves",
		                id, leaves);
		goto out;
	}
	if (!bc_ct_equal(nroot, sth.root, 32)) {
		hex8(nroot, a);
		hex8(sth.root, b);
		rc = store_fail(
		    err, STORE_CORRUPT,
		    "poll %s: the root rebuilt from the node table %s"
		    "... differs from the latest signed tree head's "
		    "root %s... (size %" PRIu64 ")",
		    id, a, b, leaves);
		goto out;
	}
out:
	if (nc.st != NULL)
		store_nodectx_done(&nc);
	bc_merkle_frontier_free(f);
	bc_merkle_frontier_free(g);
	return rc;
}

static store_status check_all(sqlite3 *db, store_error *err)
{
	sqlite3_stmt *st;
	store_status rc;
	int r;

	if ((rc = store_prepare(db, "SELECT pid, id FROM polls ORDER BY pid",
	                        &st, err)))
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = check_board(db, sqlite3_column_int64(st, 0),
		                      (const char *)sqlite3_column_text(st, 1),
		                      err)))
			break;
	}
	if (rc == STORE_OK && r != SQLITE_DONE)
		rc = store_dbfail(err, db, "polls");
	sqlite3_finalize(st);
	return rc;
}

store_status store_open(const char *path, store **out, store_error *err)
{
	store *s;
	store_status rc;
	sqlite3_stmt *st;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		free(s);
		return store_fail(err, STORE_NOMEM, "out of memory");
	}
	if ((rc = conn_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    &s->wdb, err)))
		goto fail;
	/*
	 * WAL: readers keep reading the last commit while the writer
	 * appends.  synchronous=FULL: every commit syncs the WAL before
	 * returning, so a committed batch survives power loss, not just a
	 * crash of the process.
	 */
	if ((rc = store_prepare(s->wdb, "PRAGMA journal_mode = WAL", &st, err)))
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
		sqlite3_finalize(st);
		rc = store_fail(err, STORE_DB, "%s: cannot use WAL mode", path);
		goto fail;
	}
	sqlite3_finalize(st);
	if ((rc = store_exec_sql(s->wdb, "PRAGMA synchronous = FULL", err)) ||
	    (rc = store_migrate(s->wdb, STORE_SCHEMA_VERSION, err)) ||
	    (rc = check_all(s->wdb, err)))
		goto fail;
	if ((rc = store_writer_start(s, err)))
		goto fail;
	*out = s;
	return STORE_OK;
fail:
	sqlite3_close(s->wdb);
	free(s->path);
	free(s);
	return rc;
}

void store_close(store *s)
{
	if (s == NULL)
		return;
	store_writer_stop(s);
	store_wpolls_free(s);
	sqlite3_close(s->wdb);
	free(s->path);
	free(s);
}

/* ---------------------------------------------------------------- */
/* Readers. */

enum {
	RS_PID,
	RS_POLL,
	RS_CLASSES,
	RS_CLASS,
	RS_VOTER,
	RS_ENTRIES,
	RS_LEAF_HASH,
	RS_LEAF_INDEX,
	RS_LEAF_PREFIX,
	RS_ISSUANCE,
	RS_STATES,
	RS_CEREMONY,
	RS_COUNTS,
	RS_SIZE,
	RS_COUNT
};

static const char *const reader_sql[RS_COUNT] = {
    [RS_PID] = "SELECT pid FROM polls WHERE id = ?1",
    [RS_POLL] = "SELECT id, poll_hash, definition, state, created_ms, "
                "opens_ms, closes_ms, board_pk, election_pk FROM polls "
                "WHERE pid = ?1",
    [RS_CLASSES] = "SELECT class_id, token_key, token_pub, voters FROM "
                   "classes WHERE pid = ?1 ORDER BY class_id",
    [RS_CLASS] = "SELECT class_id, token_key, token_pub, voters FROM "
                 "classes WHERE pid = ?1 AND class_id = ?2",
    [RS_VOTER] = "SELECT voter_id, class_id, cred_hash, blinded_hash, "
                 "blind_sig FROM voters WHERE pid = ?1 AND voter_id = ?2",
    [RS_ENTRIES] = "SELECT leaf_index, leaf_hash, token_id, class_id, entry "
                   "FROM board WHERE pid = ?1 AND leaf_index >= ?2 AND "
                   "leaf_index < ?3 ORDER BY leaf_index",
    [RS_LEAF_HASH] = "SELECT leaf_index, leaf_hash, token_id, class_id, "
                     "entry FROM board WHERE pid = ?1 AND leaf_hash = ?2",
    [RS_LEAF_INDEX] = "SELECT leaf_index, leaf_hash, token_id, class_id, "
                      "entry FROM board WHERE pid = ?1 AND leaf_index = ?2",
    /* A range on the (pid, leaf_hash) index: ?2 the prefix, ?3 the
     * prefix followed by 0xff bytes up to 32. */
    [RS_LEAF_PREFIX] = "SELECT leaf_index, leaf_hash, token_id, class_id, "
                       "entry FROM board WHERE pid = ?1 AND leaf_hash >= ?2 "
                       "AND leaf_hash <= ?3 ORDER BY leaf_index LIMIT ?4",
    [RS_ISSUANCE] = "SELECT seq, pseudonym, class_id FROM issuance WHERE "
                    "pid = ?1 AND seq >= ?2 AND seq < ?3 ORDER BY seq",
    [RS_STATES] = "SELECT n, kind, time_ms, details, hash, signature FROM "
                  "state_records WHERE pid = ?1 ORDER BY n",
    [RS_CEREMONY] = "SELECT seq, kind, from_trustee, to_trustee, body, sig "
                    "FROM ceremony WHERE pid = ?1 AND seq > ?2 ORDER BY seq",
    [RS_COUNTS] = "SELECT class_id, voters, tokens_issued, entries, "
                  "tokens_cast FROM classes WHERE pid = ?1 ORDER BY class_id",
    [RS_SIZE] = "SELECT max(leaf_index) FROM board WHERE pid = ?1",
};

struct store_reader {
	sqlite3 *db;
	sqlite3_stmt *st[RS_COUNT];
	store_nodectx nodes; /* its statement prepared on first use */
};

store_status store_reader_open(store *s, store_reader **out, store_error *err)
{
	store_reader *r;
	store_status rc;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return store_fail(err, STORE_NOMEM, "out of memory");
	if ((rc = conn_open(s->path, SQLITE_OPEN_READWRITE, &r->db, err))) {
		free(r);
		return rc;
	}
	/* A reader that tries to write is a bug: make SQLite refuse it. */
	if ((rc = store_exec_sql(r->db, "PRAGMA query_only = 1", err))) {
		store_reader_close(r);
		return rc;
	}
	*out = r;
	return STORE_OK;
}

void store_reader_close(store_reader *r)
{
	if (r == NULL)
		return;
	for (int i = 0; i < RS_COUNT; i++)
		sqlite3_finalize(r->st[i]);
	if (r->nodes.st != NULL)
		store_nodectx_done(&r->nodes);
	sqlite3_close(r->db);
	free(r);
}

/* The reader's statement i, reset and with bindings cleared. */
static store_status rstmt(store_reader *r, int i, sqlite3_stmt **st,
                          store_error *err)
{
	store_status rc;

	if (r->st[i] == NULL &&
	    (rc = store_prepare(r->db, reader_sql[i], &r->st[i], err)))
		return rc;
	sqlite3_reset(r->st[i]);
	sqlite3_clear_bindings(r->st[i]);
	*st = r->st[i];
	return STORE_OK;
}

static store_status rpid(store_reader *r, const char *poll, int64_t *pid,
                         store_error *err)
{
	sqlite3_stmt *st;
	store_status rc;
	int x;

	if (poll == NULL || strlen(poll) > STORE_POLL_ID_MAX)
		return store_fail(err, STORE_NOT_FOUND, "no such poll");
	if ((rc = rstmt(r, RS_PID, &st, err)))
		return rc;
	sqlite3_bind_text(st, 1, poll, -1, SQLITE_STATIC);
	x = sqlite3_step(st);
	if (x == SQLITE_ROW)
		*pid = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (x == SQLITE_ROW)
		return STORE_OK;
	if (x == SQLITE_DONE)
		return store_fail(err, STORE_NOT_FOUND, "no such poll: %s",
		                  poll);
	return store_dbfail(err, r->db, "poll");
}

/*
 * Reader statement i, reset, with the poll's internal id bound as ?1:
 * how every per-poll query starts.  OUT: *st.
 */
static store_status rpoll_stmt(store_reader *r, const char *poll, int i,
                               sqlite3_stmt **st, store_error *err)
{
	store_status rc;
	int64_t pid;

	if ((rc = rpid(r, poll, &pid, err)) || (rc = rstmt(r, i, st, err)))
		return rc;
	sqlite3_bind_int64(*st, 1, pid);
	return STORE_OK;
}

static store_status rsize(store_reader *r, int64_t pid, uint64_t *n,
                          store_error *err)
{
	sqlite3_stmt *st;
	store_status rc;

	if ((rc = rstmt(r, RS_SIZE, &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = store_dbfail(err, r->db, "board size");
	else if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		*n = 0;
	else
		*n = (uint64_t)sqlite3_column_int64(st, 0) + 1;
	sqlite3_reset(st);
	return rc;
}

/*
 * Reads that take several statements run in one read transaction, so
 * they see one commit of the writer's, never half of two.
 */
static store_status rbegin(store_reader *r, store_error *err)
{
	return store_exec_sql(r->db, "BEGIN", err);
}

static void rend(store_reader *r)
{
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
}

static void *dupblob(sqlite3_stmt *st, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	void *q;

	*len = n;
	if ((q = malloc(n > 0 ? n : 1)) != NULL && n > 0)
		memcpy(q, p, n);
	return q;
}

store_status store_poll_get(store_reader *r, const char *poll, store_poll *out,
                            store_error *err)
{
	sqlite3_stmt *st;
	store_status rc;
	int64_t pid;
	const char *t;

	memset(out, 0, sizeof(*out));
	if ((rc = rbegin(r, err)))
		return rc;
	if ((rc = rpid(r, poll, &pid, err)) ||
	    (rc = rstmt(r, RS_POLL, &st, err)))
		goto out;
	sqlite3_bind_int64(st, 1, pid);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = store_dbfail(err, r->db, "poll");
		goto out;
	}
	snprintf(out->id, sizeof(out->id), "%s",
	         (const char *)sqlite3_column_text(st, 0));
	t = (const char *)sqlite3_column_text(st, 3);
	snprintf(out->state, sizeof(out->state), "%s", t ? t : "");
	out->created_ms = (uint64_t)sqlite3_column_int64(st, 4);
	out->opens_ms = sqlite3_column_type(st, 5) == SQLITE_NULL
	                    ? -1
	                    : sqlite3_column_int64(st, 5);
	out->closes_ms = sqlite3_column_type(st, 6) == SQLITE_NULL
	                     ? -1
	                     : sqlite3_column_int64(st, 6);
	if (blob_copy(st, 1, out->poll_hash, 32) ||
	    blob_copy(st, 7, out->board_pk, 32)) {
		rc = store_fail(err, STORE_CORRUPT, "poll row");
		goto out;
	}
	if ((out->definition = dupblob(st, 2, &out->definition_len)) == NULL)
		goto nomem;
	if (sqlite3_column_type(st, 8) != SQLITE_NULL &&
	    (out->election_pk = dupblob(st, 8, &out->election_pk_len)) == NULL)
		goto nomem;
	sqlite3_reset(st);
	rc = rsize(r, pid, &out->tree_size, err);
	goto out;
nomem:
	rc = store_fail(err, STORE_NOMEM, "out of memory");
out:
	if (r->st[RS_POLL] != NULL)
		sqlite3_reset(r->st[RS_POLL]);
	rend(r);
	if (rc)
		store_poll_clear(out);
	return rc;
}

void store_poll_clear(store_poll *p)
{
	if (p == NULL)
		return;
	free(p->definition);
	free(p->election_pk);
	p->definition = NULL;
	p->election_pk = NULL;
}

store_status store_poll_list(store_reader *r,
                             int (*fn)(void *arg, const char *id), void *arg,
                             store_error *err)
{
	sqlite3_stmt *st;
	store_status rc;
	int x;

	if ((rc = store_prepare(r->db, "SELECT id FROM polls ORDER BY id", &st,
	                        err)))
		return rc;
	while ((x = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(st, 0)))
			break;
	if (x != SQLITE_ROW && x != SQLITE_DONE)
		rc = store_dbfail(err, r->db, "polls");
	sqlite3_finalize(st);
	return rc;
}

/*
 * Runs a prepared statement and hands each row to row(); row returns
 * nonzero to stop.  Resets the statement in every case.
 */
static store_status rows(store_reader *r, sqlite3_stmt *st,
                         int (*row)(sqlite3_stmt *st, void *ctx), void *ctx,
                         store_error *err)
{
	store_status rc = STORE_OK;
	int x;

	while ((x = sqlite3_step(st)) == SQLITE_ROW)
		if (row(st, ctx))
			break;
	if (x != SQLITE_ROW && x != SQLITE_DONE)
		rc = store_dbfail(err, r->db, "read");
	sqlite3_reset(st);
	return rc;
}

typedef struct {
	int (*fn)(void *arg, const store_class *c);
	void *arg;
	int n;
} class_ctx;

static int class_row(sqlite3_stmt *st, void *p)
{
	class_ctx *c = p;
	store_class k;

	k.class_id = (const char *)sqlite3_column_text(st, 0);
	k.key_der = sqlite3_column_blob(st, 1);
	k.key_len = (size_t)sqlite3_column_bytes(st, 1);
	k.pub_der = sqlite3_column_blob(st, 2);
	k.pub_len = (size_t)sqlite3_column_bytes(st, 2);
	k.voters = (uint64_t)sqlite3_column_int64(st, 3);
	c->n++;
	return c->fn(c->arg, &k);
}

store_status store_classes(store_reader *r, const char *poll,
                           int (*fn)(void *arg, const store_class *c),
                           void *arg, store_error *err)
{
	class_ctx c = {fn, arg, 0};
	sqlite3_stmt *st;
	store_status rc;

	if ((rc = rpoll_stmt(r, poll, RS_CLASSES, &st, err)))
		return rc;
	return rows(r, st, class_row, &c, err);
}

store_status store_class_get(store_reader *r, const char *poll,
                             const char *class_id,
                             int (*fn)(void *arg, const store_class *c),
                             void *arg, store_error *err)
{
	class_ctx c = {fn, arg, 0};
	sqlite3_stmt *st;
	store_status rc;

	if ((rc = rpoll_stmt(r, poll, RS_CLASS, &st, err)))
		return rc;
	sqlite3_bind_text(st, 2, class_id, -1, SQLITE_STATIC);
	if ((rc = rows(r, st, class_row, &c, err)))
		return rc;
	if (c.n == 0)
		return store_fail(err, STORE_NOT_FOUND, "no such class: %s",
		                  class_id);
	return STORE_OK;
}

store_status store_voter_get(store_reader *r, const char *poll,
                             const char *voter_id, store_voter *out,
                             store_error *err)
{
	sqlite3_stmt *st;
	store_status rc;
	int x;

	memset(out, 0, sizeof(*out));
	if (strlen(voter_id) >= sizeof(out->voter_id))
		return store_fail(err, STORE_INVALID, "voter id too long");
	if ((rc = rpoll_stmt(r, poll, RS_VOTER, &st, err)))
		return rc;
	sqlite3_bind_text(st, 2, voter_id, -1, SQLITE_STATIC);
	x = sqlite3_step(st);
	if (x == SQLITE_DONE) {
		rc = store_fail(err, STORE_NOT_FOUND, "no such voter");
	} else if (x != SQLITE_ROW) {
		rc = store_dbfail(err, r->db, "voter");
	} else {
		snprintf(out->voter_id, sizeof(out->voter_id), "%s",
		         (const char *)sqlite3_column_text(st, 0));
		snprintf(out->class_id, sizeof(out->class_id), "%s",
		         (const char *)sqlite3_column_text(st, 1));
		if (blob_copy(st, 2, out->cred_hash, 32))
			rc = store_fail(err, STORE_CORRUPT, "voter row");
		if (rc == STORE_OK &&
		    sqlite3_column_type(st, 3) != SQLITE_NULL) {
			out->has_token = 1;
			if (blob_copy(st, 3, out->blinded_hash, 32))
				rc =
				    store_fail(err, STORE_CORRUPT, "voter row");
			else if ((out->blind_sig = dupblob(
			              st, 4, &out->blind_sig_len)) == NULL)
				rc = store_fail(err, STORE_NOMEM,
				                "out of memory");
		}
	}
	sqlite3_reset(st);
	if (rc)
		store_voter_clear(out);
	return rc;
}

void store_voter_clear(store_voter *v)
{
	if (v == NULL)
		return;
	free(v->blind_sig);
	v->blind_sig = NULL;
	bc_wipe(v->cred_hash, sizeof(v->cred_hash));
}

typedef struct {
	store_entry_fn fn;
	void *arg;
	int n;
} entry_ctx;

static int entry_row(sqlite3_stmt *st, void *p)
{
	entry_ctx *c = p;
	store_entry e;

	e.leaf_index = (uint64_t)sqlite3_column_int64(st, 0);
	if (blob_copy(st, 1, e.leaf_hash, 32) ||
	    blob_copy(st, 2, e.token_id, 32))
		return 1;
	e.class_id = (const char *)sqlite3_column_text(st, 3);
	e.entry = sqlite3_column_blob(st, 4);
	e.entry_len = (size_t)sqlite3_column_bytes(st, 4);
	c->n++;
	return c->fn(c->arg, &e);
}

static int64_t clamp64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

store_status store_entries(store_reader *r, const char *poll, uint64_t start,
                           uint64_t end, store_entry_fn fn, void *arg,
                           store_error *err)
{
	entry_ctx c = {fn, arg, 0};
	sqlite3_stmt *st;
	store_status rc;

	if ((rc = rpoll_stmt(r, poll, RS_ENTRIES, &st, err)))
		return rc;
	sqlite3_bind_int64(st, 2, clamp64(start));
	sqlite3_bind_int64(st, 3, clamp64(end));
	return rows(r, st, entry_row, &c, err);
}

store_status store_leaf_by_hash(store_reader *r, const char *poll,
                                const uint8_t hash[STORE_HASH_LEN],
                                store_entry_fn fn, void *arg, store_error *err)
{
	entry_ctx c = {fn, arg, 0};
	sqlite3_stmt *st;
	store_status rc;

	if ((rc = rpoll_stmt(r, poll, RS_LEAF_HASH, &st, err)))
		return rc;
	sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC);
	if ((rc = rows(r, st, entry_row, &c, err)))
		return rc;
	return c.n ? STORE_OK
	           : store_fail(err, STORE_NOT_FOUND, "no leaf with that hash");
}

store_status store_leaves_by_prefix(store_reader *r, const char *poll,
                                    const uint8_t *prefix, size_t plen,
                                    unsigned max, store_entry_fn fn, void *arg,
                                    store_error *err)
{
	entry_ctx c = {fn, arg, 0};
	uint8_t hi[STORE_HASH_LEN];
	sqlite3_stmt *st;
	store_status rc;

	if (plen == 0 || plen > STORE_HASH_LEN)
		return store_fail(err, STORE_INVALID,
		                  "a prefix of 1 to 32 bytes");
	memset(hi, 0xff, sizeof(hi));
	memcpy(hi, prefix, plen);
	if ((rc = rpoll_stmt(r, poll, RS_LEAF_PREFIX, &st, err)))
		return rc;
	sqlite3_bind_blob(st, 2, prefix, (int)plen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, hi, (int)sizeof(hi), SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)max);
	return rows(r, st, entry_row, &c, err);
}

store_status store_leaf_by_index(store_reader *r, const char *poll,
                                 uint64_t index, store_entry_fn fn, void *arg,
                                 store_error *err)
{
	entry_ctx c = {fn, arg, 0};
	sqlite3_stmt *st;
	store_status rc;

	if ((rc = rpoll_stmt(r, poll, RS_LEAF_INDEX, &st, err)))
		return rc;
	if (index > INT64_MAX)
		return store_fail(err, STORE_NOT_FOUND,
		                  "no leaf at that index");
	sqlite3_bind_int64(st, 2, (int64_t)index);
	if ((rc = rows(r, st, entry_row, &c, err)))
		return rc;
	return c.n ? STORE_OK
	           : store_fail(err, STORE_NOT_FOUND, "no leaf at that index");
}

/*
 * Proofs: the sizes are checked against the board inside the same read
 * transaction as the node fetches, so a proof is never built for a tree
 * the reader's snapshot does not hold.
 */
static store_status proof(store_reader *r, const char *poll, int consistency,
                          uint64_t a, uint64_t b, uint8_t *out, size_t *count,
                          store_error *err)
{
	store_status rc;
	uint64_t size;
	int64_t pid;
	bc_status bs;

	*count = 0;
	if ((rc = rbegin(r, err)))
		return rc;
	if ((rc = rpid(r, poll, &pid, err)) || (rc = rsize(r, pid, &size, err)))
		goto out;
	if (b > size) {
		rc = store_fail(err, STORE_INVALID,
		                "tree size %" PRIu64
		                " exceeds the board's %" PRIu64,
		                b, size);
		goto out;
	}
	if (consistency ? a > b : a >= b) {
		rc = store_fail(err, STORE_INVALID,
		                consistency ? "first size %" PRIu64
		                              " exceeds second %" PRIu64
		                            : "leaf index %" PRIu64
		                              " not below tree size %" PRIu64,
		                a, b);
		goto out;
	}
	if (r->nodes.st == NULL &&
	    (rc = store_nodectx_init(&r->nodes, r->db, 0, err)))
		goto out;
	r->nodes.pid = pid;
	r->nodes.dberr = 0;
	if (consistency)
		bs =
		    bc_merkle_consistency_proof(a, b, store_get_node, &r->nodes,
		                                out, STORE_MAX_PROOF, count);
	else
		bs = bc_merkle_inclusion_proof(a, b, store_get_node, &r->nodes,
		                               out, STORE_MAX_PROOF, count);
	if (bs != BC_OK)
		rc = r->nodes.dberr
		         ? store_dbfail(err, r->db, "merkle node")
		         : store_fail(
		               err, STORE_CORRUPT,
		               "poll %s: the node table lacks a node (%s)",
		               poll, bc_status_name(bs));
out:
	rend(r);
	return rc;
}

store_status store_inclusion_proof(store_reader *r, const char *poll,
                                   uint64_t index, uint64_t tree_size,
                                   uint8_t *out, size_t *count,
                                   store_error *err)
{
	return proof(r, poll, 0, index, tree_size, out, count, err);
}

store_status store_consistency_proof(store_reader *r, const char *poll,
                                     uint64_t m, uint64_t n, uint8_t *out,
                                     size_t *count, store_error *err)
{
	return proof(r, poll, 1, m, n, out, count, err);
}

store_status store_sth_latest(store_reader *r, const char *poll, store_sth *out,
                              store_error *err)
{
	store_status rc;
	int64_t pid;

	if ((rc = rpid(r, poll, &pid, err)))
		return rc;
	return store_sth_read(r->db, pid, -1, out, err);
}

store_status store_sth_get(store_reader *r, const char *poll,
                           uint64_t tree_size, store_sth *out, store_error *err)
{
	store_status rc;
	int64_t pid;

	if ((rc = rpid(r, poll, &pid, err)))
		return rc;
	if (tree_size > INT64_MAX)
		return store_fail(err, STORE_NOT_FOUND, "no such tree head");
	return store_sth_read(r->db, pid, (int64_t)tree_size, out, err);
}

typedef struct {
	int (*fn)(void *arg, uint64_t seq, const uint8_t pseudonym[32],
	          const char *class_id);
	void *arg;
} iss_ctx;

static int iss_row(sqlite3_stmt *st, void *p)
{
	iss_ctx *c = p;
	uint8_t ps[32];

	if (blob_copy(st, 1, ps, 32))
		return 1;
	return c->fn(c->arg, (uint64_t)sqlite3_column_int64(st, 0), ps,
	             (const char *)sqlite3_column_text(st, 2));
}

store_status
store_issuance(store_reader *r, const char *poll, uint64_t start, uint64_t end,
               int (*fn)(void *arg, uint64_t seq, const uint8_t pseudonym[32],
                         const char *class_id),
               void *arg, store_error *err)
{
	iss_ctx c = {fn, arg};
	sqlite3_stmt *st;
	store_status rc;

	if ((rc = rpoll_stmt(r, poll, RS_ISSUANCE, &st, err)))
		return rc;
	sqlite3_bind_int64(st, 2, clamp64(start));
	sqlite3_bind_int64(st, 3, clamp64(end));
	return rows(r, st, iss_row, &c, err);
}

typedef struct {
	int (*fn)(void *arg, const store_state_rec *rec);
	void *arg;
} state_ctx;

static int state_row(sqlite3_stmt *st, void *p)
{
	state_ctx *c = p;
	store_state_rec rec;

	rec.n = (uint64_t)sqlite3_column_int64(st, 0);
	rec.kind = (const char *)sqlite3_column_text(st, 1);
	rec.time_ms = (uint64_t)sqlite3_column_int64(st, 2);
	rec.details = sqlite3_column_blob(st, 3);
	rec.details_len = (size_t)sqlite3_column_bytes(st, 3);
	if (blob_copy(st, 4, rec.hash, 32) ||
	    blob_copy(st, 5, rec.signature, 64))
		return 1;
	return c->fn(c->arg, &rec);
}

store_status store_states(store_reader *r, const char *poll,
                          int (*fn)(void *arg, const store_state_rec *rec),
                          void *arg, store_error *err)
{
	state_ctx c = {fn, arg};
	sqlite3_stmt *st;
	store_status rc;

	if ((rc = rpoll_stmt(r, poll, RS_STATES, &st, err)))
		return rc;
	return rows(r, st, state_row, &c, err);
}

typedef struct {
	int (*fn)(void *arg, const store_ceremony_msg *m);
	void *arg;
} cer_ctx;

static int cer_row(sqlite3_stmt *st, void *p)
{
	cer_ctx *c = p;
	store_ceremony_msg m;

	m.seq = (uint64_t)sqlite3_column_int64(st, 0);
	m.kind = (const char *)sqlite3_column_text(st, 1);
	m.from = (uint64_t)sqlite3_column_int64(st, 2);
	m.to = (uint64_t)sqlite3_column_int64(st, 3);
	m.body = sqlite3_column_blob(st, 4);
	m.body_len = (size_t)sqlite3_column_bytes(st, 4);
	m.sig = sqlite3_column_blob(st, 5);
	m.sig_len = (size_t)sqlite3_column_bytes(st, 5);
	return c->fn(c->arg, &m);
}

store_status
store_ceremony_after(store_reader *r, const char *poll, uint64_t after,
                     int (*fn)(void *arg, const store_ceremony_msg *m),
                     void *arg, store_error *err)
{
	cer_ctx c = {fn, arg};
	sqlite3_stmt *st;
	store_status rc;

	if ((rc = rpoll_stmt(r, poll, RS_CEREMONY, &st, err)))
		return rc;
	sqlite3_bind_int64(st, 2, clamp64(after));
	return rows(r, st, cer_row, &c, err);
}

typedef struct {
	int (*fn)(void *arg, const store_class_counts *c);
	void *arg;
} counts_ctx;

static int counts_row(sqlite3_stmt *st, void *p)
{
	counts_ctx *c = p;
	store_class_counts k;

	k.class_id = (const char *)sqlite3_column_text(st, 0);
	k.voters = (uint64_t)sqlite3_column_int64(st, 1);
	k.tokens_issued = (uint64_t)sqlite3_column_int64(st, 2);
	k.entries = (uint64_t)sqlite3_column_int64(st, 3);
	k.tokens_cast = (uint64_t)sqlite3_column_int64(st, 4);
	return c->fn(c->arg, &k);
}

store_status store_status_counts(store_reader *r, const char *poll,
                                 int (*fn)(void *arg,
                                           const store_class_counts *c),
                                 void *arg, store_error *err)
{
	counts_ctx c = {fn, arg};
	sqlite3_stmt *st;
	store_status rc;

	if ((rc = rpoll_stmt(r, poll, RS_COUNTS, &st, err)))
		return rc;
	return rows(r, st, counts_row, &c, err);
}

/* ---------------------------------------------------------------- */
/* The published record (docs/record.md) and the list of tree heads. */

store_status store_sths(store_reader *r, const char *poll, uint64_t start,
                        uint64_t end,
                        int (*fn)(void *arg, const store_sth *sth), void *arg,
                        store_error *err)
{
	sqlite3_stmt *st;
	store_status rc;
	store_sth h;
	int64_t pid;
	int x;

	if ((rc = rpid(r, poll, &pid, err)))
		return rc;
	if ((rc =
	         store_prepare(r->db,
	                       "SELECT h.tree_size, h.root, h.timestamp_ms, "
	                       "h.signature, p.poll_hash FROM tree_heads h "
	                       "JOIN polls p ON p.pid = h.pid WHERE h.pid = ?1 "
	                       "AND h.tree_size >= ?2 AND h.tree_size < ?3 "
	                       "ORDER BY h.tree_size",
	                       &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_int64(st, 2, clamp64(start));
	sqlite3_bind_int64(st, 3, clamp64(end));
	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		h.tree_size = (uint64_t)sqlite3_column_int64(st, 0);
		h.timestamp_ms = (uint64_t)sqlite3_column_int64(st, 2);
		if (blob_copy(st, 1, h.root, 32) ||
		    blob_copy(st, 3, h.signature, 64) ||
		    blob_copy(st, 4, h.poll_hash, 32)) {
			rc = store_fail(err, STORE_CORRUPT, "tree head row");
			break;
		}
		if (fn(arg, &h))
			break;
	}
	if (rc == STORE_OK && x != SQLITE_ROW && x != SQLITE_DONE)
		rc = store_dbfail(err, r->db, "tree heads");
	sqlite3_finalize(st);
	return rc;
}

/*
 * The records live in their own table, made on first use, so that
 * stores of schema version 1 need no migration for it.
 */
#define STORE_RECORDS_SQL                                                      \
	"CREATE TABLE IF NOT EXISTS records ("                                 \
	"  pid INTEGER PRIMARY KEY REFERENCES polls (pid),"                    \
	"  tar BLOB NOT NULL"                                                  \
	")"

typedef struct {
	const char *poll;
	const uint8_t *tar;
	size_t len;
	char state[16];
} record_put;

static store_status t_record_put(store *s, void *arg, store_error *err)
{
	record_put *a = arg;
	sqlite3_stmt *st;
	store_status rc;
	uint8_t hash[STORE_HASH_LEN];
	const char *state;
	int64_t pid = 0; /* set by store_poll_pid; 0 keeps -O3 quiet */
	int x;

	if ((rc = store_poll_pid(s->wdb, a->poll, &pid, hash, err)))
		return rc;
	if ((rc = store_prepare(
	         s->wdb, "SELECT state FROM polls WHERE pid = ?1", &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	if ((x = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return store_dbfail(err, s->wdb, "poll state");
	}
	state = (const char *)sqlite3_column_text(st, 0);
	snprintf(a->state, sizeof(a->state), "%s", state ? state : "");
	sqlite3_finalize(st);
	if (strcmp(a->state, STORE_STATE_CLOSED) != 0 &&
	    strcmp(a->state, STORE_STATE_TALLIED) != 0)
		return store_fail(
		    err, STORE_WRONG_STATE,
		    "poll '%s' is %s: a record is published once, "
		    "after the close",
		    a->poll, a->state);
	if ((rc = store_exec_sql(s->wdb, STORE_RECORDS_SQL, err)))
		return rc;
	if ((rc = store_prepare(s->wdb,
	                        "INSERT OR REPLACE INTO records (pid, tar) "
	                        "VALUES (?1, ?2)",
	                        &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_blob64(st, 2, a->tar, a->len, SQLITE_STATIC);
	x = sqlite3_step(st);
	sqlite3_finalize(st);
	return x == SQLITE_DONE ? STORE_OK
	                        : store_dbfail(err, s->wdb, "record");
}

store_status store_record_put(store *s, const char *poll, const uint8_t *tar,
                              size_t len, char state_out[16], store_error *err)
{
	record_put a = {poll, tar, len, ""};
	store_status rc = store_call(s, t_record_put, &a, err);

	if (state_out != NULL)
		memcpy(state_out, a.state, sizeof(a.state));
	return rc;
}

store_status store_record_get(store_reader *r, const char *poll, uint8_t **out,
                              size_t *len, store_error *err)
{
	sqlite3_stmt *st;
	store_status rc;
	int64_t pid;
	int x;

	*out = NULL;
	*len = 0;
	if ((rc = rpid(r, poll, &pid, err)))
		return rc;
	/* No table yet: nothing was ever published. */
	if (sqlite3_prepare_v2(r->db, "SELECT tar FROM records WHERE pid = ?1",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(err, STORE_NOT_FOUND, "no published record");
	sqlite3_bind_int64(st, 1, pid);
	x = sqlite3_step(st);
	if (x == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		const void *p = sqlite3_column_blob(st, 0);

		if ((*out = malloc(n ? n : 1)) == NULL) {
			rc = store_fail(err, STORE_NOMEM, "out of memory");
		} else {
			if (n)
				memcpy(*out, p, n);
			*len = n;
		}
	} else if (x == SQLITE_DONE) {
		rc = store_fail(err, STORE_NOT_FOUND, "no published record");
	} else {
		rc = store_dbfail(err, r->db, "record");
	}
	sqlite3_finalize(st);
	return rc;
}
