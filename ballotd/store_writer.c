/*
 * store_writer.c: the one thread that writes.  It owns the write
 * connection, the board keys and the frontiers; everyone else queues
 * work.  Casts are committed in groups: every cast queued when the writer
 * comes round goes into one transaction with one signed tree head per
 * poll, so the cost of the disk sync is shared by the whole group;
 * token issues join the same groups.  The other writes (poll creation,
 * roll, keys, state records, ceremony messages) are each one
 * transaction, run in queue order between groups, so a "closed" state
 * record can never be overtaken by a cast or token queued after it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bcrypto.h"
#include "merkle.h"
#include "sign.h"
#include "store.h"
#include "store_int.h"

/* ---------------------------------------------------------------- */
/* The writer's statements. */

enum {
	WS_STATE,
	WS_CLASS,
	WS_LEAF,
	WS_TOKEN,
	WS_INS_BOARD,
	WS_INS_NODE,
	WS_TOKEN_USE,
	WS_CLASS_COUNT,
	WS_INS_STH,
	WS_FRONTIER,
	WS_VOTER,
	WS_SET_TOKEN,
	WS_ISS_NEXT,
	WS_INS_ISS,
	WS_CLASS_ISSUED,
	WS_COUNT
};

static const char *const writer_sql[WS_COUNT] = {
    [WS_STATE] = "SELECT state FROM polls WHERE pid = ?1",
    [WS_CLASS] = "SELECT 1 FROM classes WHERE pid = ?1 AND class_id = ?2",
    [WS_LEAF] = "SELECT leaf_index FROM board WHERE pid = ?1 AND "
                "leaf_hash = ?2",
    [WS_TOKEN] = "SELECT last_leaf FROM token_use WHERE pid = ?1 AND "
                 "token_id = ?2",
    [WS_INS_BOARD] = "INSERT INTO board (pid, leaf_index, leaf_hash, "
                     "token_id, class_id, entry) VALUES (?1, ?2, ?3, ?4, "
                     "?5, ?6)",
    [WS_INS_NODE] = "INSERT INTO merkle_nodes (pid, level, idx, hash) "
                    "VALUES (?1, ?2, ?3, ?4)",
    [WS_TOKEN_USE] = "INSERT INTO token_use (pid, token_id, class_id, "
                     "last_leaf, uses) VALUES (?1, ?2, ?3, ?4, 1) ON "
                     "CONFLICT (pid, token_id) DO UPDATE SET last_leaf = "
                     "excluded.last_leaf, uses = uses + 1",
    [WS_CLASS_COUNT] = "UPDATE classes SET entries = entries + 1, "
                       "tokens_cast = tokens_cast + ?3 WHERE pid = ?1 AND "
                       "class_id = ?2",
    [WS_INS_STH] = "INSERT INTO tree_heads (pid, tree_size, root, "
                   "timestamp_ms, signature) VALUES (?1, ?2, ?3, ?4, ?5)",
    [WS_FRONTIER] = "INSERT OR REPLACE INTO frontiers (pid, state) VALUES "
                    "(?1, ?2)",
    [WS_VOTER] = "SELECT class_id, blinded_hash, blind_sig FROM voters "
                 "WHERE pid = ?1 AND voter_id = ?2",
    [WS_SET_TOKEN] = "UPDATE voters SET blinded_hash = ?3, blind_sig = ?4 "
                     "WHERE pid = ?1 AND voter_id = ?2",
    [WS_ISS_NEXT] = "SELECT coalesce(max(seq) + 1, 0) FROM issuance WHERE "
                    "pid = ?1",
    [WS_INS_ISS] = "INSERT INTO issuance (pid, seq, pseudonym, class_id) "
                   "VALUES (?1, ?2, ?3, ?4)",
    [WS_CLASS_ISSUED] = "UPDATE classes SET tokens_issued = tokens_issued + "
                        "1 WHERE pid = ?1 AND class_id = ?2",
};

_Static_assert(WS_COUNT <= STORE_WSTMT_MAX, "STORE_WSTMT_MAX too small");

static sqlite3_stmt *wstmt(store *s, int i, store_error *err)
{
	if (s->wst[i] == NULL &&
	    store_prepare(s->wdb, writer_sql[i], &s->wst[i], err) != STORE_OK)
		return NULL;
	sqlite3_reset(s->wst[i]);
	sqlite3_clear_bindings(s->wst[i]);
	return s->wst[i];
}

/* Steps a statement that returns no row; resets it. */
static int wdone(sqlite3_stmt *st)
{
	int r = sqlite3_step(st);

	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : -1;
}

/* ---------------------------------------------------------------- */
/* The writer's cache of polls. */

static void wpoll_free(store_wpoll *wp)
{
	if (wp == NULL)
		return;
	bc_wipe(wp->board_sk, sizeof(wp->board_sk));
	EVP_PKEY_free(wp->board_key); /* OpenSSL clears its copy */
	bc_merkle_frontier_free(wp->frontier);
	free(wp);
}

void store_wpolls_free(store *s)
{
	store_wpoll *wp, *next;

	for (wp = s->wpolls; wp != NULL; wp = next) {
		next = wp->next;
		wpoll_free(wp);
	}
	s->wpolls = NULL;
}

/* Forgets one poll's cached state: the next use reloads it from the file. */
static void wpoll_drop(store *s, store_wpoll *wp)
{
	store_wpoll **pp;

	for (pp = &s->wpolls; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == wp) {
			*pp = wp->next;
			wpoll_free(wp);
			return;
		}
	}
}

store_status store_wpoll_get(store *s, const char *poll, store_wpoll **out,
                             store_error *err)
{
	store_wpoll *wp;
	sqlite3_stmt *st;
	store_status rc;
	store_sth sth;
	int r;

	for (wp = s->wpolls; wp != NULL; wp = wp->next) {
		if (strcmp(wp->id, poll) == 0) {
			*out = wp;
			return STORE_OK;
		}
	}
	if ((wp = calloc(1, sizeof(*wp))) == NULL ||
	    (wp->frontier = bc_merkle_frontier_new()) == NULL) {
		free(wp);
		return store_fail(err, STORE_NOMEM, "out of memory");
	}
	if ((rc = store_poll_pid(s->wdb, poll, &wp->pid, wp->poll_hash, err)))
		goto fail;
	snprintf(wp->id, sizeof(wp->id), "%s", poll);
	if ((rc = store_prepare(s->wdb,
	                        "SELECT board_sk FROM polls WHERE pid = ?1",
	                        &st, err)))
		goto fail;
	sqlite3_bind_int64(st, 1, wp->pid);
	r = sqlite3_step(st);
	if (r != SQLITE_ROW || sqlite3_column_bytes(st, 0) != 32) {
		rc = store_fail(err, STORE_CORRUPT, "poll %s: board key", poll);
	} else {
		memcpy(wp->board_sk, sqlite3_column_blob(st, 0), 32);
	}
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	if ((wp->board_key = EVP_PKEY_new_raw_private_key(
	         EVP_PKEY_ED25519, NULL, wp->board_sk, 32)) == NULL) {
		rc =
		    store_fail(err, STORE_INTERNAL, "poll %s: board key", poll);
		goto fail;
	}
	if ((rc = store_frontier_read(s->wdb, wp->pid, wp->frontier, err)))
		goto fail;
	rc = store_sth_read(s->wdb, wp->pid, -1, &sth, err);
	if (rc == STORE_OK)
		wp->last_ts = sth.timestamp_ms;
	else if (rc != STORE_NOT_FOUND)
		goto fail;
	wp->next = s->wpolls;
	s->wpolls = wp;
	*out = wp;
	return STORE_OK;
fail:
	wpoll_free(wp);
	return rc;
}

/* ---------------------------------------------------------------- */
/* The group commit. */

typedef struct {
	store_job *job;
	store_wpoll *wp;
	store_status st;
	store_error err;
	uint64_t leaf_index;
	uint8_t leaf_hash[STORE_HASH_LEN];
	int duplicate;
	/* A token issue's answer: the stored signature when reissued
	 * (malloc'd, freed after the callback), the voter's class. */
	uint8_t *stored_sig;
	size_t stored_len;
	int reissued;
	char class_id[256];
} cast_res;

typedef struct {
	store *s;
	int64_t pid;
	sqlite3_stmt *st;
} put_ctx;

/* The frontier reports each completed subtree: keep them all. */
static bc_status put_node(void *ctx, unsigned level, uint64_t index,
                          const uint8_t h[BC_MERKLE_HASH_LEN])
{
	put_ctx *c = ctx;

	sqlite3_bind_int64(c->st, 1, c->pid);
	sqlite3_bind_int(c->st, 2, (int)level);
	sqlite3_bind_int64(c->st, 3, (int64_t)index);
	sqlite3_bind_blob(c->st, 4, h, BC_MERKLE_HASH_LEN, SQLITE_STATIC);
	return wdone(c->st) == 0 ? BC_OK : BC_ERR_INTERNAL;
}

static int state_is(sqlite3_stmt *st, const char *want)
{
	const char *t = (const char *)sqlite3_column_text(st, 0);

	return t != NULL && strcmp(t, want) == 0;
}

/*
 * Reads the poll's state once per batch: within a batch it cannot
 * change, since a synchronous write (a state record) ends the batch.
 */
static int batch_state(store *s, store_wpoll *wp, store_error *fatal)
{
	sqlite3_stmt *st;

	if (wp->batch_seen)
		return 0;
	if ((st = wstmt(s, WS_STATE, fatal)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wp->pid);
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_dbfail(fatal, s->wdb, "poll state");
		sqlite3_reset(st);
		return -1;
	}
	wp->batch_open = state_is(st, STORE_STATE_OPEN);
	wp->batch_issuing =
	    wp->batch_open || state_is(st, STORE_STATE_CEREMONY);
	wp->batch_seen = 1;
	sqlite3_reset(st);
	return 0;
}

/*
 * One cast inside the batch's transaction.  Returns 0, with the verdict
 * in res (accepted, duplicate or refused), or -1 when the transaction
 * itself failed (SQLite, memory): then the whole batch is rolled back.
 */
static int cast_one(store *s, cast_res *res, store_error *fatal)
{
	store_job *j = res->job;
	store_wpoll *wp;
	sqlite3_stmt *st;
	store_status rc;
	put_ctx pc;
	uint64_t index;
	int r, used;

	rc = store_wpoll_get(s, j->poll, &wp, &res->err);
	if (rc == STORE_NOT_FOUND) {
		res->st = rc;
		return 0;
	}
	if (rc) {
		*fatal = res->err;
		return -1;
	}
	res->wp = wp;
	if (batch_state(s, wp, fatal))
		return -1;
	if (!wp->batch_open) {
		res->st = store_fail(&res->err, STORE_WRONG_STATE,
		                     "poll %s is not open", wp->id);
		return 0;
	}
	if ((st = wstmt(s, WS_CLASS, fatal)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wp->pid);
	sqlite3_bind_text(st, 2, j->class_id, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r == SQLITE_DONE) {
		res->st = store_fail(&res->err, STORE_NOT_FOUND,
		                     "no such class: %s", j->class_id);
		return 0;
	}
	if (r != SQLITE_ROW) {
		store_dbfail(fatal, s->wdb, "class");
		return -1;
	}
	if (bc_merkle_leaf_hash(j->entry, j->entry_len, res->leaf_hash) !=
	    BC_OK) {
		store_fail(fatal, STORE_INTERNAL, "leaf hash");
		return -1;
	}

	/* The exact same cast again: the same leaf, no new one. */
	if ((st = wstmt(s, WS_LEAF, fatal)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wp->pid);
	sqlite3_bind_blob(st, 2, res->leaf_hash, 32, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		res->leaf_index = (uint64_t)sqlite3_column_int64(st, 0);
		res->duplicate = 1;
		res->st = STORE_OK;
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		store_dbfail(fatal, s->wdb, "leaf lookup");
		return -1;
	}

	if ((st = wstmt(s, WS_TOKEN, fatal)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wp->pid);
	sqlite3_bind_blob(st, 2, j->token_id, 32, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		store_dbfail(fatal, s->wdb, "token lookup");
		return -1;
	}
	used = r == SQLITE_ROW;
	if (used && !j->revoting) {
		res->st = store_fail(&res->err, STORE_TOKEN_USED,
		                     "the token has a ballot and the poll does "
		                     "not allow revoting");
		return 0;
	}

	/* Append: leaf and interior nodes, the entry, the token's use. */
	index = bc_merkle_frontier_size(wp->frontier);
	if (index >= INT64_MAX) {
		res->st = store_fail(&res->err, STORE_UNAVAILABLE,
		                     "the board is full");
		return 0;
	}
	pc.s = s;
	pc.pid = wp->pid;
	if ((pc.st = wstmt(s, WS_INS_NODE, fatal)) == NULL)
		return -1;
	if (bc_merkle_frontier_append(wp->frontier, res->leaf_hash, put_node,
	                              &pc) != BC_OK) {
		store_dbfail(fatal, s->wdb, "merkle node");
		return -1;
	}
	/* From here the frontier is ahead of the file until commit. */
	wp->batch_touched = 1;
	if ((st = wstmt(s, WS_INS_BOARD, fatal)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wp->pid);
	sqlite3_bind_int64(st, 2, (int64_t)index);
	sqlite3_bind_blob(st, 3, res->leaf_hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, j->token_id, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, j->class_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, j->entry, (int)j->entry_len, SQLITE_STATIC);
	if (wdone(st)) {
		store_dbfail(fatal, s->wdb, "board entry");
		return -1;
	}
	if ((st = wstmt(s, WS_TOKEN_USE, fatal)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wp->pid);
	sqlite3_bind_blob(st, 2, j->token_id, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, j->class_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)index);
	if (wdone(st)) {
		store_dbfail(fatal, s->wdb, "token use");
		return -1;
	}
	if ((st = wstmt(s, WS_CLASS_COUNT, fatal)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wp->pid);
	sqlite3_bind_text(st, 2, j->class_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, used ? 0 : 1);
	if (wdone(st)) {
		store_dbfail(fatal, s->wdb, "class counts");
		return -1;
	}
	res->leaf_index = index;
	res->st = STORE_OK;
	return 0;
}

/*
 * One token issue inside the batch's transaction (protocol.md section
 * 5).  Returns 0 with the verdict in res, or -1 when the transaction
 * itself failed.  An earlier job of the same batch for the same voter is
 * seen: the transaction sees its own writes.
 */
static int token_one(store *s, cast_res *res, store_error *fatal)
{
	store_job *j = res->job;
	store_wpoll *wp;
	sqlite3_stmt *st;
	store_status rc;
	int64_t seq;
	int r;

	rc = store_wpoll_get(s, j->poll, &wp, &res->err);
	if (rc == STORE_NOT_FOUND) {
		res->st = rc;
		return 0;
	}
	if (rc) {
		*fatal = res->err;
		return -1;
	}
	res->wp = wp;
	if (batch_state(s, wp, fatal))
		return -1;
	if (!wp->batch_issuing) {
		res->st = store_fail(&res->err, STORE_WRONG_STATE,
		                     "tokens are issued in ceremony or open; "
		                     "poll %s is not",
		                     wp->id);
		return 0;
	}
	if ((st = wstmt(s, WS_VOTER, fatal)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wp->pid);
	sqlite3_bind_text(st, 2, j->voter_id, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_DONE) {
		sqlite3_reset(st);
		res->st =
		    store_fail(&res->err, STORE_NOT_FOUND, "no such voter");
		return 0;
	}
	if (r != SQLITE_ROW) {
		store_dbfail(fatal, s->wdb, "voter");
		sqlite3_reset(st);
		return -1;
	}
	snprintf(res->class_id, sizeof(res->class_id), "%s",
	         (const char *)sqlite3_column_text(st, 0));
	if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
		int n = sqlite3_column_bytes(st, 2);

		if (sqlite3_column_bytes(st, 1) != STORE_HASH_LEN ||
		    !bc_ct_equal(sqlite3_column_blob(st, 1), j->blinded_hash,
		                 STORE_HASH_LEN)) {
			sqlite3_reset(st);
			res->st = store_fail(&res->err, STORE_TOKEN_ISSUED,
			                     "a token was issued to this voter "
			                     "for another blinded message");
			return 0;
		}
		/* The same blinded message: the signature given before. */
		if (n <= 0 || (res->stored_sig = malloc((size_t)n)) == NULL) {
			sqlite3_reset(st);
			store_fail(fatal, n <= 0 ? STORE_CORRUPT : STORE_NOMEM,
			           "the stored blind signature");
			return -1;
		}
		memcpy(res->stored_sig, sqlite3_column_blob(st, 2), (size_t)n);
		res->stored_len = (size_t)n;
		res->reissued = 1;
		res->st = STORE_OK;
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);

	if ((st = wstmt(s, WS_SET_TOKEN, fatal)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wp->pid);
	sqlite3_bind_text(st, 2, j->voter_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, j->blinded_hash, STORE_HASH_LEN,
	                  SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, j->sig, (int)j->sig_len, SQLITE_STATIC);
	if (wdone(st)) {
		store_dbfail(fatal, s->wdb, "token");
		return -1;
	}
	if ((st = wstmt(s, WS_ISS_NEXT, fatal)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wp->pid);
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_dbfail(fatal, s->wdb, "issuance");
		sqlite3_reset(st);
		return -1;
	}
	seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if ((st = wstmt(s, WS_INS_ISS, fatal)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wp->pid);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_blob(st, 3, j->pseudonym, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, res->class_id, -1, SQLITE_STATIC);
	if (wdone(st)) {
		store_dbfail(fatal, s->wdb, "issuance");
		return -1;
	}
	if ((st = wstmt(s, WS_CLASS_ISSUED, fatal)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wp->pid);
	sqlite3_bind_text(st, 2, res->class_id, -1, SQLITE_STATIC);
	if (wdone(st)) {
		store_dbfail(fatal, s->wdb, "class counts");
		return -1;
	}
	res->st = STORE_OK;
	return 0;
}

/* Hands a token issue's verdict to its callback. */
static void answer_token(cast_res *res)
{
	store_job *j = res->job;
	store_token_ans t;

	if (res->st != STORE_OK) {
		j->tdone(j->done_arg, res->st, NULL, &res->err);
		return;
	}
	t.reissued = res->reissued;
	t.blind_sig = res->reissued ? res->stored_sig : j->sig;
	t.blind_sig_len = res->reissued ? res->stored_len : j->sig_len;
	t.class_id = res->class_id;
	j->tdone(j->done_arg, STORE_OK, &t, NULL);
}

/* Calls a job's callback with a failure (the batch did not commit). */
static void fail_job(store_job *j, store_status st, const store_error *err)
{
	if (j->kind == STORE_JOB_TOKEN)
		j->tdone(j->done_arg, st, NULL, err);
	else
		j->done(j->done_arg, st, NULL, err);
}

/* Signs and stores the poll's one head for this batch, saves its frontier. */
static int close_poll(store *s, store_wpoll *wp, store_error *fatal)
{
	uint8_t buf[13 + 32 * 64 + 32];
	sqlite3_stmt *st;
	bc_sth sth;
	size_t len;
	uint64_t now = store_now_ms();

	sth.tree_size = bc_merkle_frontier_size(wp->frontier);
	/* A head never claims to be older than the one before it. */
	sth.timestamp_ms = now > wp->last_ts ? now : wp->last_ts;
	memcpy(sth.poll_id, wp->poll_hash, 32);
	if (bc_merkle_frontier_root(wp->frontier, sth.root) != BC_OK ||
	    bc_sth_sign(wp->board_sk, &sth, wp->batch_sth.signature) != BC_OK ||
	    bc_merkle_frontier_save(wp->frontier, buf, sizeof(buf), &len) !=
	        BC_OK) {
		store_fail(fatal, STORE_INTERNAL, "signing the tree head");
		return -1;
	}
	wp->batch_sth.tree_size = sth.tree_size;
	wp->batch_sth.timestamp_ms = sth.timestamp_ms;
	memcpy(wp->batch_sth.root, sth.root, 32);
	memcpy(wp->batch_sth.poll_hash, wp->poll_hash, 32);
	if ((st = wstmt(s, WS_INS_STH, fatal)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wp->pid);
	sqlite3_bind_int64(st, 2, (int64_t)sth.tree_size);
	sqlite3_bind_blob(st, 3, sth.root, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)sth.timestamp_ms);
	sqlite3_bind_blob(st, 5, wp->batch_sth.signature, 64, SQLITE_STATIC);
	if (wdone(st)) {
		store_dbfail(fatal, s->wdb, "tree head");
		return -1;
	}
	if ((st = wstmt(s, WS_FRONTIER, fatal)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wp->pid);
	sqlite3_bind_blob(st, 2, buf, (int)len, SQLITE_STATIC);
	if (wdone(st)) {
		store_dbfail(fatal, s->wdb, "frontier");
		return -1;
	}
	return 0;
}

/* Builds one receipt from the committed file and hands it over. */
static void answer(store *s, cast_res *res)
{
	store_job *j = res->job;
	store_wpoll *wp = res->wp;
	store_receipt rec;
	store_status rc;

	if (j->kind == STORE_JOB_TOKEN) {
		answer_token(res);
		return;
	}
	if (res->st != STORE_OK) {
		j->done(j->done_arg, res->st, NULL, &res->err);
		return;
	}
	memset(&rec, 0, sizeof(rec));
	rec.leaf_index = res->leaf_index;
	memcpy(rec.leaf_hash, res->leaf_hash, 32);
	rec.duplicate = res->duplicate;
	if (wp->batch_touched) {
		rec.sth = wp->batch_sth;
	} else if ((rc = store_sth_read(s->wdb, wp->pid, -1, &rec.sth,
	                                &res->err))) {
		/* A leaf without a head: check_board makes this impossible. */
		j->done(j->done_arg, rc, NULL, &res->err);
		return;
	}
	s->wnodes.pid = wp->pid;
	s->wnodes.dberr = 0;
	if (bc_merkle_inclusion_proof(
	        rec.leaf_index, rec.sth.tree_size, store_get_node, &s->wnodes,
	        rec.proof, STORE_MAX_PROOF, &rec.proof_count) != BC_OK) {
		store_fail(
		    &res->err, STORE_DB,
		    "inclusion proof of leaf %" PRIu64 ": %s", rec.leaf_index,
		    s->wnodes.dberr ? sqlite3_errmsg(s->wdb) : "node missing");
		j->done(j->done_arg, STORE_DB, NULL, &res->err);
		return;
	}
	if ((rc = store_sign_receipt(wp->board_key, wp->poll_hash,
	                             rec.leaf_index, rec.leaf_hash, &rec.sth,
	                             rec.receipt_sig, &res->err))) {
		j->done(j->done_arg, rc, NULL, &res->err);
		return;
	}
	j->done(j->done_arg, STORE_OK, &rec, NULL);
}

static void run_batch(store *s, store_job **jobs, size_t n, cast_res *res)
{
	store_error fatal = {{0}};
	store_wpoll *wp, *next;
	store_status rc;
	size_t i;

	for (wp = s->wpolls; wp != NULL; wp = wp->next)
		wp->batch_seen = wp->batch_open = wp->batch_issuing =
		    wp->batch_touched = 0;
	memset(res, 0, n * sizeof(*res));
	for (i = 0; i < n; i++)
		res[i].job = jobs[i];

	if ((rc = store_exec_sql(s->wdb, "BEGIN IMMEDIATE", &fatal)))
		goto abort;
	for (i = 0; i < n; i++)
		if ((jobs[i]->kind == STORE_JOB_TOKEN
		         ? token_one(s, &res[i], &fatal)
		         : cast_one(s, &res[i], &fatal)))
			goto abort;
	for (wp = s->wpolls; wp != NULL; wp = wp->next)
		if (wp->batch_touched && close_poll(s, wp, &fatal))
			goto abort;
	/*
	 * The commit: with WAL and synchronous=FULL it returns after the
	 * WAL, holding the entries, nodes, frontiers and heads, is synced.
	 * Only then is anyone told.
	 */
	if ((rc = store_exec_sql(s->wdb, "COMMIT", &fatal)))
		goto abort;
	for (wp = s->wpolls; wp != NULL; wp = wp->next)
		if (wp->batch_touched)
			wp->last_ts = wp->batch_sth.timestamp_ms;
	for (i = 0; i < n; i++) {
		answer(s, &res[i]);
		free(res[i].stored_sig);
	}
	return;

abort:
	sqlite3_exec(s->wdb, "ROLLBACK", NULL, NULL, NULL);
	/* The frontiers ran ahead of the file: forget them, reload later. */
	for (wp = s->wpolls; wp != NULL; wp = next) {
		next = wp->next;
		if (wp->batch_touched)
			wpoll_drop(s, wp);
	}
	if (fatal.msg[0] == '\0')
		snprintf(fatal.msg, sizeof(fatal.msg), "write failed");
	for (i = 0; i < n; i++) {
		free(res[i].stored_sig);
		fail_job(jobs[i], STORE_DB, &fatal);
	}
}

/* ---------------------------------------------------------------- */
/* The thread and its queue. */

static void run_call(store *s, store_job *j)
{
	store_status rc;

	if ((rc = store_exec_sql(s->wdb, "BEGIN IMMEDIATE", j->fn_err)) ==
	    STORE_OK) {
		rc = j->fn(s, j->fn_arg, j->fn_err);
		if (rc == STORE_OK)
			rc = store_exec_sql(s->wdb, "COMMIT", j->fn_err);
		if (rc != STORE_OK)
			sqlite3_exec(s->wdb, "ROLLBACK", NULL, NULL, NULL);
	}
	j->result = rc;
}

static void *writer_main(void *arg)
{
	store *s = arg;
	store_job *batch[STORE_BATCH_MAX], *j;
	cast_res *res;
	size_t n;

	/* ~170 KiB per batch: on the heap, not the thread's stack. */
	res = calloc(STORE_BATCH_MAX, sizeof(*res));
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->head == NULL && !s->stopping)
			pthread_cond_wait(&s->work_cv, &s->mu);
		if (s->head == NULL)
			break;
		if (s->head->kind == STORE_JOB_CALL) {
			j = s->head;
			s->head = j->next;
			if (s->head == NULL)
				s->tail = NULL;
			s->queued--;
			pthread_mutex_unlock(&s->mu);
			run_call(s, j);
			pthread_mutex_lock(&s->mu);
			j->finished = 1;
			pthread_cond_broadcast(&s->call_cv);
			continue;
		}
		/* Every cast and token issue queued so far, up to the
		 * batch limit; a synchronous write ends the run. */
		for (n = 0; n < STORE_BATCH_MAX && s->head != NULL &&
		            s->head->kind != STORE_JOB_CALL;
		     n++) {
			batch[n] = s->head;
			s->head = s->head->next;
			s->queued--;
		}
		if (s->head == NULL)
			s->tail = NULL;
		pthread_mutex_unlock(&s->mu);
		if (res == NULL) {
			store_error e;

			snprintf(e.msg, sizeof(e.msg), "out of memory");
			for (size_t i = 0; i < n; i++)
				fail_job(batch[i], STORE_NOMEM, &e);
		} else {
			run_batch(s, batch, n, res);
		}
		for (size_t i = 0; i < n; i++)
			free(batch[i]);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	free(res);
	for (int i = 0; i < STORE_WSTMT_MAX; i++) {
		sqlite3_finalize(s->wst[i]);
		s->wst[i] = NULL;
	}
	store_nodectx_done(&s->wnodes);
	return NULL;
}

store_status store_writer_start(store *s, store_error *err)
{
	store_status rc;

	if ((rc = store_nodectx_init(&s->wnodes, s->wdb, 0, err)))
		return rc;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->work_cv, NULL);
	pthread_cond_init(&s->call_cv, NULL);
	if (pthread_create(&s->thread, NULL, writer_main, s) != 0) {
		store_nodectx_done(&s->wnodes);
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->work_cv);
		pthread_cond_destroy(&s->call_cv);
		return store_fail(err, STORE_INTERNAL,
		                  "cannot start the writer thread");
	}
	s->thread_started = 1;
	return STORE_OK;
}

void store_writer_stop(store *s)
{
	if (!s->thread_started)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_cond_signal(&s->work_cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	s->thread_started = 0;
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->work_cv);
	pthread_cond_destroy(&s->call_cv);
}

/* Appends j to the queue.  Called with s->mu held. */
static void enqueue(store *s, store_job *j)
{
	j->next = NULL;
	if (s->tail != NULL)
		s->tail->next = j;
	else
		s->head = j;
	s->tail = j;
	s->queued++;
	pthread_cond_signal(&s->work_cv);
}

store_status store_cast_submit(store *s, const char *poll, const store_cast *c,
                               store_cast_done_fn done, void *arg,
                               store_error *err)
{
	store_job *j;
	size_t clen;

	if (poll == NULL || strlen(poll) > STORE_POLL_ID_MAX)
		return store_fail(err, STORE_INVALID, "bad poll id");
	if (c == NULL || c->class_id == NULL || done == NULL ||
	    (c->entry == NULL && c->entry_len > 0) || c->entry_len > INT32_MAX)
		return store_fail(err, STORE_INVALID, "bad cast");
	clen = strlen(c->class_id);
	/* One allocation: the job, then the entry, then the class id. */
	if ((j = malloc(sizeof(*j) + c->entry_len + clen + 1)) == NULL)
		return store_fail(err, STORE_NOMEM, "out of memory");
	memset(j, 0, sizeof(*j));
	j->kind = STORE_JOB_CAST;
	snprintf(j->poll, sizeof(j->poll), "%s", poll);
	j->entry = (uint8_t *)(j + 1);
	if (c->entry_len > 0)
		memcpy(j->entry, c->entry, c->entry_len);
	j->entry_len = c->entry_len;
	j->class_id = (char *)j->entry + c->entry_len;
	memcpy(j->class_id, c->class_id, clen + 1);
	memcpy(j->token_id, c->token_id, 32);
	j->revoting = c->revoting != 0;
	j->done = done;
	j->done_arg = arg;

	pthread_mutex_lock(&s->mu);
	if (s->stopping || s->queued >= STORE_QUEUE_MAX) {
		int stopping = s->stopping;

		pthread_mutex_unlock(&s->mu);
		free(j);
		return store_fail(err, STORE_UNAVAILABLE,
		                  stopping ? "the store is shutting down"
		                           : "the writer's queue is full");
	}
	enqueue(s, j);
	pthread_mutex_unlock(&s->mu);
	return STORE_OK;
}

store_status store_token_submit(store *s, const char *poll,
                                const char *voter_id,
                                const uint8_t blinded_hash[STORE_HASH_LEN],
                                const uint8_t *blind_sig, size_t blind_sig_len,
                                const uint8_t pseudonym[STORE_HASH_LEN],
                                store_token_done_fn done, void *arg,
                                store_error *err)
{
	store_job *j;
	size_t vlen;

	if (poll == NULL || strlen(poll) > STORE_POLL_ID_MAX)
		return store_fail(err, STORE_INVALID, "bad poll id");
	if (voter_id == NULL || (vlen = strlen(voter_id)) > 4096 ||
	    blinded_hash == NULL || blind_sig == NULL || blind_sig_len == 0 ||
	    blind_sig_len > 4096 || pseudonym == NULL || done == NULL)
		return store_fail(err, STORE_INVALID, "bad token request");
	/* One allocation: the job, then the signature, then the voter id. */
	if ((j = malloc(sizeof(*j) + blind_sig_len + vlen + 1)) == NULL)
		return store_fail(err, STORE_NOMEM, "out of memory");
	memset(j, 0, sizeof(*j));
	j->kind = STORE_JOB_TOKEN;
	snprintf(j->poll, sizeof(j->poll), "%s", poll);
	j->sig = (uint8_t *)(j + 1);
	memcpy(j->sig, blind_sig, blind_sig_len);
	j->sig_len = blind_sig_len;
	j->voter_id = (char *)j->sig + blind_sig_len;
	memcpy(j->voter_id, voter_id, vlen + 1);
	memcpy(j->blinded_hash, blinded_hash, STORE_HASH_LEN);
	memcpy(j->pseudonym, pseudonym, STORE_HASH_LEN);
	j->tdone = done;
	j->done_arg = arg;

	pthread_mutex_lock(&s->mu);
	if (s->stopping || s->queued >= STORE_QUEUE_MAX) {
		int stopping = s->stopping;

		pthread_mutex_unlock(&s->mu);
		free(j);
		return store_fail(err, STORE_UNAVAILABLE,
		                  stopping ? "the store is shutting down"
		                           : "the writer's queue is full");
	}
	enqueue(s, j);
	pthread_mutex_unlock(&s->mu);
	return STORE_OK;
}

/* store_token_issue's wait for its own callback. */
typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int finished;
	store_status st;
	store_error *err;
	uint8_t *out;
	size_t cap, *out_len;
	int *reissued;
} token_wait;

static void token_waited(void *arg, store_status st, const store_token_ans *t,
                         const store_error *err)
{
	token_wait *w = arg;

	if (st == STORE_OK && t->blind_sig_len > w->cap) {
		st = store_fail(w->err, STORE_INVALID,
		                "the stored blind signature has %zu bytes, the "
		                "buffer %zu",
		                t->blind_sig_len, w->cap);
	} else if (st == STORE_OK) {
		memcpy(w->out, t->blind_sig, t->blind_sig_len);
		*w->out_len = t->blind_sig_len;
		*w->reissued = t->reissued;
	} else if (err != NULL) {
		*w->err = *err;
	}
	pthread_mutex_lock(&w->mu);
	w->st = st;
	w->finished = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

store_status store_token_issue(store *s, const char *poll, const char *voter_id,
                               const uint8_t blinded_hash[STORE_HASH_LEN],
                               const uint8_t *blind_sig, size_t blind_sig_len,
                               const uint8_t pseudonym[STORE_HASH_LEN],
                               uint8_t *sig_out, size_t sig_cap,
                               size_t *sig_len, int *reissued, store_error *err)
{
	store_error local;
	token_wait w;
	store_status st;

	if (err == NULL)
		err = &local;
	err->msg[0] = '\0';
	if (sig_out == NULL || sig_len == NULL || reissued == NULL)
		return store_fail(err, STORE_INVALID, "bad token request");
	*sig_len = 0;
	*reissued = 0;
	/* Neither a new signature nor the stored one could fit. */
	if (blind_sig_len > sig_cap)
		return store_fail(
		    err, STORE_INVALID,
		    "the blind signature does not fit the buffer");
	/* The writer waiting for itself would wait for ever. */
	if (s->thread_started && pthread_equal(pthread_self(), s->thread))
		return store_fail(err, STORE_INVALID,
		                  "a synchronous store write from the writer "
		                  "thread (a callback?)");
	memset(&w, 0, sizeof(w));
	w.err = err;
	w.out = sig_out;
	w.cap = sig_cap;
	w.out_len = sig_len;
	w.reissued = reissued;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	st =
	    store_token_submit(s, poll, voter_id, blinded_hash, blind_sig,
	                       blind_sig_len, pseudonym, token_waited, &w, err);
	if (st == STORE_OK) {
		pthread_mutex_lock(&w.mu);
		while (!w.finished)
			pthread_cond_wait(&w.cv, &w.mu);
		pthread_mutex_unlock(&w.mu);
		st = w.st;
	}
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	return st;
}

store_status store_call(store *s, store_txn_fn fn, void *arg, store_error *err)
{
	store_error local;
	store_job j;

	if (err == NULL)
		err = &local;
	err->msg[0] = '\0';
	/* The writer waiting for itself would wait for ever. */
	if (pthread_equal(pthread_self(), s->thread))
		return store_fail(err, STORE_INVALID,
		                  "a synchronous store write from the writer "
		                  "thread (a cast callback?)");
	memset(&j, 0, sizeof(j));
	j.kind = STORE_JOB_CALL;
	j.fn = fn;
	j.fn_arg = arg;
	j.fn_err = err;
	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		return store_fail(err, STORE_UNAVAILABLE,
		                  "the store is shutting down");
	}
	/* Synchronous callers are few: they are not bounded by the queue. */
	enqueue(s, &j);
	while (!j.finished)
		pthread_cond_wait(&s->call_cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	return j.result;
}

/* ---------------------------------------------------------------- */
/* The synchronous writes' transactions (on the writer thread). */

static int valid_poll_id(const char *id)
{
	size_t n;

	if (id == NULL || (n = strlen(id)) == 0 || n > STORE_POLL_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      (c == '-' && i > 0)))
			return 0;
	}
	return 1;
}

static int valid_state(const char *st)
{
	static const char *const states[] = {
	    STORE_STATE_DRAFT,  STORE_STATE_CEREMONY, STORE_STATE_OPEN,
	    STORE_STATE_CLOSED, STORE_STATE_TALLIED,  STORE_STATE_PUBLISHED,
	};

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(st, states[i]) == 0)
			return 1;
	return 0;
}

/* The poll's pid and current state (into state[16]). */
static store_status poll_state(store *s, const char *poll, int64_t *pid,
                               char state[16], store_error *err)
{
	sqlite3_stmt *st;
	store_status rc;

	if ((rc = store_poll_pid(s->wdb, poll, pid, NULL, err)))
		return rc;
	if ((st = wstmt(s, WS_STATE, err)) == NULL)
		return STORE_DB;
	sqlite3_bind_int64(st, 1, *pid);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return store_dbfail(err, s->wdb, "poll state");
	}
	snprintf(state, 16, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return STORE_OK;
}

/* Runs a one-off statement with bindings done by the caller. */
static store_status step_once(store *s, sqlite3_stmt *st, const char *what,
                              store_error *err)
{
	int r = sqlite3_step(st);
	store_status rc = STORE_OK;

	if (r != SQLITE_DONE && r != SQLITE_ROW) {
		if ((sqlite3_extended_errcode(s->wdb) & 0xff) ==
		    SQLITE_CONSTRAINT)
			rc = store_fail(err, STORE_EXISTS, "%s: %s", what,
			                sqlite3_errmsg(s->wdb));
		else
			rc = store_dbfail(err, s->wdb, what);
	}
	sqlite3_finalize(st);
	return rc;
}

static store_status t_poll_create(store *s, void *arg, store_error *err)
{
	const store_poll_new *p = arg;
	uint8_t pk[32];
	sqlite3_stmt *st;
	store_status rc;

	if (!valid_poll_id(p->id))
		return store_fail(err, STORE_INVALID,
		                  "poll id: expected [a-z0-9][a-z0-9-]{0,62}");
	if (p->definition == NULL || p->definition_len == 0 ||
	    p->definition_len > INT32_MAX)
		return store_fail(err, STORE_INVALID, "empty definition");
	if (bc_ed25519_public(p->board_sk, pk) != BC_OK)
		return store_fail(err, STORE_INTERNAL, "board public key");
	if ((rc = store_prepare(s->wdb,
	                        "INSERT INTO polls (id, poll_hash, definition, "
	                        "state, created_ms, opens_ms, closes_ms, "
	                        "board_sk, board_pk) VALUES (?1, ?2, ?3, "
	                        "'draft', ?4, ?5, ?6, ?7, ?8)",
	                        &st, err)))
		return rc;
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, p->poll_hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, p->definition, (int)p->definition_len,
	                  SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)p->created_ms);
	if (p->opens_ms >= 0)
		sqlite3_bind_int64(st, 5, p->opens_ms);
	if (p->closes_ms >= 0)
		sqlite3_bind_int64(st, 6, p->closes_ms);
	sqlite3_bind_blob(st, 7, p->board_sk, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, pk, 32, SQLITE_STATIC);
	rc = step_once(s, st, "poll", err);
	if (rc == STORE_EXISTS)
		store_fail(err, rc,
		           "a poll with id %s or the same poll_hash "
		           "exists",
		           p->id);
	return rc;
}

store_status store_poll_create(store *s, const store_poll_new *p,
                               store_error *err)
{
	return store_call(s, t_poll_create, (void *)(uintptr_t)p, err);
}

typedef struct {
	const char *poll;
	int64_t opens_ms, closes_ms;
	const uint8_t *pk;
	size_t pk_len;
} sched_arg;

static store_status t_schedule(store *s, void *arg, store_error *err)
{
	sched_arg *a = arg;
	sqlite3_stmt *st;
	store_status rc;
	char state[16];
	int64_t pid;

	if ((rc = poll_state(s, a->poll, &pid, state, err)))
		return rc;
	if (strcmp(state, STORE_STATE_DRAFT) &&
	    strcmp(state, STORE_STATE_CEREMONY) &&
	    strcmp(state, STORE_STATE_OPEN))
		return store_fail(err, STORE_WRONG_STATE, "the poll is %s",
		                  state);
	if ((rc =
	         store_prepare(s->wdb,
	                       "UPDATE polls SET opens_ms = ?2, closes_ms = ?3 "
	                       "WHERE pid = ?1",
	                       &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	if (a->opens_ms >= 0)
		sqlite3_bind_int64(st, 2, a->opens_ms);
	if (a->closes_ms >= 0)
		sqlite3_bind_int64(st, 3, a->closes_ms);
	return step_once(s, st, "schedule", err);
}

store_status store_poll_set_schedule(store *s, const char *poll,
                                     int64_t opens_ms, int64_t closes_ms,
                                     store_error *err)
{
	sched_arg a = {poll, opens_ms, closes_ms, NULL, 0};

	return store_call(s, t_schedule, &a, err);
}

static store_status t_election_key(store *s, void *arg, store_error *err)
{
	sched_arg *a = arg;
	sqlite3_stmt *st;
	store_status rc;
	char state[16];
	int64_t pid;

	if ((rc = poll_state(s, a->poll, &pid, state, err)))
		return rc;
	if (strcmp(state, STORE_STATE_DRAFT) &&
	    strcmp(state, STORE_STATE_CEREMONY))
		return store_fail(err, STORE_WRONG_STATE, "the poll is %s",
		                  state);
	if ((rc = store_prepare(s->wdb,
	                        "UPDATE polls SET election_pk = ?2 WHERE pid = "
	                        "?1",
	                        &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_blob(st, 2, a->pk, (int)a->pk_len, SQLITE_STATIC);
	return step_once(s, st, "election key", err);
}

store_status store_poll_set_election_key(store *s, const char *poll,
                                         const uint8_t *pk, size_t len,
                                         store_error *err)
{
	sched_arg a = {poll, -1, -1, pk, len};

	if (pk == NULL || len == 0 || len > 1024)
		return store_fail(err, STORE_INVALID, "bad election key");
	return store_call(s, t_election_key, &a, err);
}

typedef struct {
	const char *poll;
	const store_voter_new *v;
	size_t n;
} roll_arg;

static store_status t_roll(store *s, void *arg, store_error *err)
{
	roll_arg *a = arg;
	sqlite3_stmt *cl = NULL, *vo = NULL;
	store_status rc;
	char state[16];
	int64_t pid;
	size_t i;

	if ((rc = poll_state(s, a->poll, &pid, state, err)))
		return rc;
	if (strcmp(state, STORE_STATE_DRAFT))
		return store_fail(err, STORE_WRONG_STATE,
		                  "the roll can change only in draft; the poll "
		                  "is %s",
		                  state);
	/* Voters first: they refer to their classes. */
	if ((rc = store_prepare(s->wdb, "DELETE FROM voters WHERE pid = ?1",
	                        &vo, err)))
		return rc;
	sqlite3_bind_int64(vo, 1, pid);
	if ((rc = step_once(s, vo, "roll", err)))
		return rc;
	if ((rc = store_prepare(s->wdb, "DELETE FROM classes WHERE pid = ?1",
	                        &cl, err)))
		return rc;
	sqlite3_bind_int64(cl, 1, pid);
	if ((rc = step_once(s, cl, "roll", err)))
		return rc;
	cl = vo = NULL;
	if ((rc =
	         store_prepare(s->wdb,
	                       "INSERT INTO classes (pid, class_id, voters) "
	                       "VALUES (?1, ?2, 1) ON CONFLICT (pid, class_id) "
	                       "DO UPDATE SET voters = voters + 1",
	                       &cl, err)) ||
	    (rc = store_prepare(
	         s->wdb,
	         "INSERT INTO voters (pid, voter_id, email, name, "
	         "class_id, cred_hash) VALUES (?1, ?2, ?3, ?4, "
	         "?5, ?6)",
	         &vo, err)))
		goto out;
	for (i = 0; i < a->n; i++) {
		const store_voter_new *v = &a->v[i];

		if (v->voter_id == NULL || v->voter_id[0] == '\0' ||
		    strlen(v->voter_id) > 255 || v->class_id == NULL ||
		    v->class_id[0] == '\0' || strlen(v->class_id) > 255) {
			rc = store_fail(err, STORE_INVALID,
			                "voter %zu: empty or too long voter or "
			                "class id",
			                i + 1);
			goto out;
		}
		sqlite3_bind_int64(cl, 1, pid);
		sqlite3_bind_text(cl, 2, v->class_id, -1, SQLITE_STATIC);
		if (wdone(cl)) {
			rc = store_dbfail(err, s->wdb, "class");
			goto out;
		}
		sqlite3_bind_int64(vo, 1, pid);
		sqlite3_bind_text(vo, 2, v->voter_id, -1, SQLITE_STATIC);
		if (v->email)
			sqlite3_bind_text(vo, 3, v->email, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(vo, 3);
		if (v->name)
			sqlite3_bind_text(vo, 4, v->name, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(vo, 4);
		sqlite3_bind_text(vo, 5, v->class_id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(vo, 6, v->cred_hash, 32, SQLITE_STATIC);
		if (wdone(vo)) {
			if ((sqlite3_extended_errcode(s->wdb) & 0xff) ==
			    SQLITE_CONSTRAINT)
				rc = store_fail(
				    err, STORE_INVALID,
				    "voter %zu: voter id %s repeated", i + 1,
				    v->voter_id);
			else
				rc = store_dbfail(err, s->wdb, "voter");
			goto out;
		}
	}
	rc = STORE_OK;
out:
	sqlite3_finalize(cl);
	sqlite3_finalize(vo);
	return rc;
}

store_status store_roll_import(store *s, const char *poll,
                               const store_voter_new *voters, size_t n,
                               store_error *err)
{
	roll_arg a = {poll, voters, n};

	if (n == 0 || voters == NULL)
		return store_fail(err, STORE_INVALID, "an empty roll");
	return store_call(s, t_roll, &a, err);
}

typedef struct {
	const char *poll, *class_id;
	const uint8_t *key, *pub;
	size_t key_len, pub_len;
} key_arg;

static store_status t_class_key(store *s, void *arg, store_error *err)
{
	key_arg *a = arg;
	sqlite3_stmt *st;
	store_status rc;
	char state[16];
	int64_t pid;
	int r;

	if ((rc = poll_state(s, a->poll, &pid, state, err)))
		return rc;
	if (strcmp(state, STORE_STATE_DRAFT) &&
	    strcmp(state, STORE_STATE_CEREMONY))
		return store_fail(err, STORE_WRONG_STATE, "the poll is %s",
		                  state);
	if ((rc = store_prepare(s->wdb,
	                        "SELECT token_key IS NULL FROM classes WHERE "
	                        "pid = ?1 AND class_id = ?2",
	                        &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_text(st, 2, a->class_id, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_DONE)
		rc = store_fail(err, STORE_NOT_FOUND, "no such class: %s",
		                a->class_id);
	else if (r != SQLITE_ROW)
		rc = store_dbfail(err, s->wdb, "class");
	else if (sqlite3_column_int(st, 0) == 0)
		rc =
		    store_fail(err, STORE_EXISTS,
		               "class %s has a token key already", a->class_id);
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if ((rc =
	         store_prepare(s->wdb,
	                       "UPDATE classes SET token_key = ?3, token_pub = "
	                       "?4 WHERE pid = ?1 AND class_id = ?2",
	                       &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_text(st, 2, a->class_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, a->key, (int)a->key_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, a->pub, (int)a->pub_len, SQLITE_STATIC);
	return step_once(s, st, "class key", err);
}

store_status store_class_set_key(store *s, const char *poll,
                                 const char *class_id, const uint8_t *key_der,
                                 size_t key_len, const uint8_t *pub_der,
                                 size_t pub_len, store_error *err)
{
	key_arg a = {poll, class_id, key_der, pub_der, key_len, pub_len};

	if (class_id == NULL || key_der == NULL || pub_der == NULL ||
	    key_len == 0 || pub_len == 0 || key_len > 65536 || pub_len > 65536)
		return store_fail(err, STORE_INVALID, "bad class key");
	return store_call(s, t_class_key, &a, err);
}

typedef struct {
	const char *poll;
	const store_state_new *rec;
	uint64_t *n_out;
	uint8_t *hash_out;
} state_arg;

static store_status t_state(store *s, void *arg, store_error *err)
{
	state_arg *a = arg;
	const store_state_new *rec = a->rec;
	uint8_t prev[32] = {0}, hash[32], sig[64];
	store_wpoll *wp;
	sqlite3_stmt *st;
	store_status rc;
	char state[16];
	int64_t pid;
	uint64_t n = 0;
	unsigned int hlen;
	uint8_t *buf = NULL;
	size_t len, off;
	int r;

	if ((rc = poll_state(s, a->poll, &pid, state, err)) ||
	    (rc = store_wpoll_get(s, a->poll, &wp, err)))
		return rc;
	if (rec->expect_state != NULL && strcmp(state, rec->expect_state))
		return store_fail(err, STORE_CONFLICT, "the poll is %s, not %s",
		                  state, rec->expect_state);
	if (rec->expect_tree_size >= 0 &&
	    bc_merkle_frontier_size(wp->frontier) !=
	        (uint64_t)rec->expect_tree_size)
		return store_fail(err, STORE_CONFLICT,
		                  "the board has %" PRIu64
		                  " leaves, not %" PRId64,
		                  bc_merkle_frontier_size(wp->frontier),
		                  rec->expect_tree_size);
	if ((rc = store_prepare(s->wdb,
	                        "SELECT n, hash FROM state_records WHERE pid = "
	                        "?1 ORDER BY n DESC LIMIT 1",
	                        &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		n = (uint64_t)sqlite3_column_int64(st, 0) + 1;
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(prev, sqlite3_column_blob(st, 1), 32);
		else
			rc =
			    store_fail(err, STORE_CORRUPT, "state record hash");
	} else if (r != SQLITE_DONE) {
		rc = store_dbfail(err, s->wdb, "state records");
	}
	sqlite3_finalize(st);
	if (rc)
		return rc;

	/*
	 * rec_n = lp("ballot-state/v1") || lp(poll_hash) || lp(u64(n)) ||
	 * lp(kind) || lp(u64(time_ms)) || lp(details) || lp(h_(n-1)).
	 */
	{
		const char *label = "ballot-state/v1";
		size_t kl = strlen(rec->kind);
		const void *parts[7] = {label, wp->poll_hash, NULL, rec->kind,
		                        NULL,  rec->details,  prev};
		size_t plen[7] = {strlen(label),    32, 8, kl, 8,
		                  rec->details_len, 32};
		uint8_t u_n[8], u_t[8];

		for (int i = 0; i < 8; i++) {
			u_n[i] = (uint8_t)(n >> (56 - 8 * i));
			u_t[i] = (uint8_t)(rec->time_ms >> (56 - 8 * i));
		}
		parts[2] = u_n;
		parts[4] = u_t;
		len = 0;
		for (int i = 0; i < 7; i++)
			len += 4 + plen[i];
		if ((buf = malloc(len)) == NULL)
			return store_fail(err, STORE_NOMEM, "out of memory");
		off = 0;
		for (int i = 0; i < 7; i++) {
			buf[off] = (uint8_t)(plen[i] >> 24);
			buf[off + 1] = (uint8_t)(plen[i] >> 16);
			buf[off + 2] = (uint8_t)(plen[i] >> 8);
			buf[off + 3] = (uint8_t)plen[i];
			if (plen[i] > 0)
				memcpy(buf + off + 4, parts[i], plen[i]);
			off += 4 + plen[i];
		}
	}
	if (EVP_Digest(buf, len, hash, &hlen, EVP_sha256(), NULL) != 1 ||
	    bc_ed25519_sign(wp->board_sk, buf, len, sig) != BC_OK) {
		free(buf);
		return store_fail(err, STORE_INTERNAL, "state record hash");
	}
	free(buf);
	if ((rc =
	         store_prepare(s->wdb,
	                       "INSERT INTO state_records (pid, n, kind, "
	                       "time_ms, details, hash, signature) VALUES (?1, "
	                       "?2, ?3, ?4, ?5, ?6, ?7)",
	                       &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_int64(st, 2, (int64_t)n);
	sqlite3_bind_text(st, 3, rec->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)rec->time_ms);
	sqlite3_bind_blob(st, 5, rec->details ? (const void *)rec->details : "",
	                  (int)rec->details_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, sig, 64, SQLITE_STATIC);
	if ((rc = step_once(s, st, "state record", err)))
		return rc;
	if (rec->new_state != NULL) {
		if ((rc = store_prepare(
		         s->wdb,
		         "UPDATE polls SET state = ?2 WHERE pid = "
		         "?1",
		         &st, err)))
			return rc;
		sqlite3_bind_int64(st, 1, pid);
		sqlite3_bind_text(st, 2, rec->new_state, -1, SQLITE_STATIC);
		if ((rc = step_once(s, st, "state", err)))
			return rc;
	}
	if (a->n_out)
		*a->n_out = n;
	if (a->hash_out)
		memcpy(a->hash_out, hash, 32);
	return STORE_OK;
}

store_status store_state_append(store *s, const char *poll,
                                const store_state_new *rec, uint64_t *n_out,
                                uint8_t hash_out[STORE_HASH_LEN],
                                store_error *err)
{
	state_arg a = {poll, rec, n_out, hash_out};

	if (rec == NULL || rec->kind == NULL || rec->kind[0] == '\0' ||
	    (rec->details == NULL && rec->details_len > 0) ||
	    rec->details_len > INT32_MAX || rec->time_ms > INT64_MAX)
		return store_fail(err, STORE_INVALID, "bad state record");
	if (rec->new_state != NULL && !valid_state(rec->new_state))
		return store_fail(err, STORE_INVALID, "no such state: %s",
		                  rec->new_state);
	return store_call(s, t_state, &a, err);
}

typedef struct {
	const char *poll, *kind;
	uint64_t from, to;
	const uint8_t *body, *sig;
	size_t body_len, sig_len;
	uint64_t *seq;
} cer_arg;

static store_status t_ceremony(store *s, void *arg, store_error *err)
{
	cer_arg *a = arg;
	sqlite3_stmt *st;
	store_status rc;
	int64_t pid, seq = 1;

	if ((rc = store_poll_pid(s->wdb, a->poll, &pid, NULL, err)))
		return rc;
	if ((rc =
	         store_prepare(s->wdb,
	                       "SELECT coalesce(max(seq) + 1, 1) FROM ceremony "
	                       "WHERE pid = ?1",
	                       &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	else
		rc = store_dbfail(err, s->wdb, "ceremony");
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if ((rc = store_prepare(s->wdb,
	                        "INSERT INTO ceremony (pid, seq, kind, "
	                        "from_trustee, to_trustee, body, sig) VALUES "
	                        "(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	                        &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_text(st, 3, a->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)a->from);
	sqlite3_bind_int64(st, 5, (int64_t)a->to);
	sqlite3_bind_blob(st, 6, a->body ? (const void *)a->body : "",
	                  (int)a->body_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, a->sig, (int)a->sig_len, SQLITE_STATIC);
	if ((rc = step_once(s, st, "ceremony message", err)))
		return rc;
	*a->seq = (uint64_t)seq;
	return STORE_OK;
}

store_status store_ceremony_append(store *s, const char *poll, const char *kind,
                                   uint64_t from, uint64_t to,
                                   const uint8_t *body, size_t body_len,
                                   const uint8_t *sig, size_t sig_len,
                                   uint64_t *seq, store_error *err)
{
	cer_arg a = {poll, kind, from, to, body, sig, body_len, sig_len, seq};

	if (kind == NULL || kind[0] == '\0' || sig == NULL || sig_len == 0 ||
	    seq == NULL || (body == NULL && body_len > 0) ||
	    body_len > INT32_MAX || sig_len > 4096 || from > INT64_MAX ||
	    to > INT64_MAX)
		return store_fail(err, STORE_INVALID, "bad ceremony message");
	return store_call(s, t_ceremony, &a, err);
}
