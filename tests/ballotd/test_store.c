/*
 * test_store.c: the daemon's store on a real SQLite file in a temporary
 * directory: group-committed casts from several threads with every
 * receipt checked against its own head and the final one, duplicates,
 * token reuse and revoting, token issuance, state records, ceremony
 * messages, reopening and appending on, refusing a newer schema and a
 * damaged board, and a crash test (SIGKILL at random moments).
 *
 * Expected values are computed here independently: leaf hashes with
 * OpenSSL's SHA-256 directly, receipt and state record bytes written out
 * field by field from protocol.md, the final root with bc_merkle_root
 * over the leaf hashes the test computed itself.
 *
 * `test_store bench [DIR]` measures casts per second instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "check.h"
#include "merkle.h"
#include "sign.h"
#include "store.h"

#define POLL       "test-poll"
#define NTHREADS   4
#define PER_THREAD 500
#define NCASTS     (NTHREADS * PER_THREAD)

static char dir[64];
static char dbpath[128];
static uint8_t board_sk[32], board_pk[32];
static uint8_t poll_hash[32];

static void sha256(const void *p, size_t n, uint8_t out[32])
{
	unsigned int len;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1)
		abort();
}

static void leaf_hash_of(const uint8_t *e, size_t n, uint8_t out[32])
{
	uint8_t *b = malloc(n + 1);

	b[0] = 0x00;
	memcpy(b + 1, e, n);
	sha256(b, n + 1, out);
	free(b);
}

/* A cast's entry and token: opaque bytes to the store. */
static size_t make_entry(uint8_t *buf, size_t size, int who, int i)
{
	size_t n = (size_t)snprintf((char *)buf, size,
	                            "entry from %d number %d /", who, i);

	while (n < size)
		buf[n++] = (uint8_t)(who * 31 + i);
	return n;
}

static void make_token(uint8_t tok[32], int who, int i)
{
	char b[64];

	snprintf(b, sizeof(b), "token %d %d", who, i);
	sha256(b, strlen(b), tok);
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* protocol.md section 8, written out: 153 bytes. */
static int receipt_sig_ok(const store_receipt *r)
{
	uint8_t m[153], *p = m;

	be32(p, 17), memcpy(p + 4, "ballot-receipt/v1", 17), p += 21;
	be32(p, 32), memcpy(p + 4, poll_hash, 32), p += 36;
	be32(p, 8), be64(p + 4, r->leaf_index), p += 12;
	be32(p, 32), memcpy(p + 4, r->leaf_hash, 32), p += 36;
	be32(p, 8), be64(p + 4, r->sth.tree_size), p += 12;
	be32(p, 32), memcpy(p + 4, r->sth.root, 32), p += 36;
	if (p != m + sizeof(m))
		abort();
	return bc_ed25519_verify(board_pk, m, sizeof(m), r->receipt_sig) ==
	       BC_OK;
}

static int sth_ok(const store_sth *h)
{
	bc_sth b;

	b.tree_size = h->tree_size;
	memcpy(b.root, h->root, 32);
	b.timestamp_ms = h->timestamp_ms;
	memcpy(b.poll_id, h->poll_hash, 32);
	return memcmp(h->poll_hash, poll_hash, 32) == 0 &&
	       bc_sth_verify(board_pk, &b, h->signature) == BC_OK;
}

/* ---------------------------------------------------------------- */
/* Waiting for callbacks. */

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pending;
} waitgroup;

typedef struct {
	waitgroup *wg;
	store_status st;
	store_receipt r;
	char msg[256];
	uint8_t expect_leaf[32];
} slot;

static void on_done(void *arg, store_status st, const store_receipt *r,
                    const store_error *err)
{
	slot *s = arg;

	s->st = st;
	if (r != NULL)
		s->r = *r;
	if (err != NULL)
		snprintf(s->msg, sizeof(s->msg), "%s", err->msg);
	pthread_mutex_lock(&s->wg->mu);
	if (--s->wg->pending == 0)
		pthread_cond_broadcast(&s->wg->cv);
	pthread_mutex_unlock(&s->wg->mu);
}

static void wg_init(waitgroup *wg)
{
	pthread_mutex_init(&wg->mu, NULL);
	pthread_cond_init(&wg->cv, NULL);
	wg->pending = 0;
}

static void wg_add(waitgroup *wg, int n)
{
	pthread_mutex_lock(&wg->mu);
	wg->pending += n;
	pthread_mutex_unlock(&wg->mu);
}

static void wg_wait(waitgroup *wg)
{
	pthread_mutex_lock(&wg->mu);
	while (wg->pending > 0)
		pthread_cond_wait(&wg->cv, &wg->mu);
	pthread_mutex_unlock(&wg->mu);
}

/* Submits one cast and waits for its answer. */
static store_status cast_sync(store *s, const char *poll, const char *cls,
                              const uint8_t tok[32], const uint8_t *e, size_t n,
                              int revoting, slot *out)
{
	waitgroup wg;
	store_cast c;
	store_status st;

	wg_init(&wg);
	memset(out, 0, sizeof(*out));
	out->wg = &wg;
	c.class_id = cls;
	memcpy(c.token_id, tok, 32);
	c.entry = e;
	c.entry_len = n;
	c.revoting = revoting;
	wg_add(&wg, 1);
	if ((st = store_cast_submit(s, poll, &c, on_done, out, NULL)))
		return st;
	wg_wait(&wg);
	return out->st;
}

/* ---------------------------------------------------------------- */
/* Setup. */

static const char *const classes[3] = {"committee*1", "committee+north*1",
                                       "committee*3"};

static store_status make_poll(store *s, const char *id, int open)
{
	store_poll_new p;
	store_voter_new v[30];
	char ids[30][16];
	store_state_new rec;
	store_error err;
	store_status st;
	char def[128];

	memset(&p, 0, sizeof(p));
	snprintf(def, sizeof(def), "{\"id\":\"%s\"}", id);
	p.id = id;
	if (strcmp(id, POLL) == 0) {
		memcpy(p.poll_hash, poll_hash, 32);
	} else {
		sha256(def, strlen(def), p.poll_hash);
	}
	p.definition = (const uint8_t *)def;
	p.definition_len = strlen(def);
	p.created_ms = 1796000000000;
	p.opens_ms = -1;
	p.closes_ms = 1797000000000;
	memcpy(p.board_sk, board_sk, 32);
	if ((st = store_poll_create(s, &p, &err)))
		return st;
	for (int i = 0; i < 30; i++) {
		snprintf(ids[i], sizeof(ids[i]), "v%02d", i);
		v[i].voter_id = ids[i];
		v[i].email = i % 2 ? "x@example.org" : NULL;
		v[i].name = "Name";
		v[i].class_id = classes[i % 3];
		sha256(ids[i], strlen(ids[i]), v[i].cred_hash);
	}
	if ((st = store_roll_import(s, id, v, 30, &err)))
		return st;
	if (!open)
		return STORE_OK;
	memset(&rec, 0, sizeof(rec));
	rec.kind = "ceremony";
	rec.time_ms = 1796000000001;
	rec.details = (const uint8_t *)"{}";
	rec.details_len = 2;
	rec.expect_state = STORE_STATE_DRAFT;
	rec.new_state = STORE_STATE_CEREMONY;
	rec.expect_tree_size = -1;
	if ((st = store_state_append(s, id, &rec, NULL, NULL, &err)))
		return st;
	rec.kind = "open";
	rec.time_ms = 1796000000002;
	rec.expect_state = STORE_STATE_CEREMONY;
	rec.new_state = STORE_STATE_OPEN;
	return store_state_append(s, id, &rec, NULL, NULL, &err);
}

static void rm_store(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	unlink(dbpath);
}

/* ---------------------------------------------------------------- */
/* Many threads casting at once. */

typedef struct {
	store *s;
	int who;
	slot *slots;
	waitgroup *wg;
	int fails;
} submitter;

static void *submit_main(void *arg)
{
	submitter *t = arg;
	uint8_t e[300];

	for (int i = 0; i < PER_THREAD; i++) {
		store_cast c;
		slot *sl = &t->slots[t->who * PER_THREAD + i];
		size_t n = make_entry(e, sizeof(e), t->who, i);

		leaf_hash_of(e, n, sl->expect_leaf);
		sl->wg = t->wg;
		c.class_id = classes[i % 3];
		make_token(c.token_id, t->who, i);
		c.entry = e;
		c.entry_len = n;
		c.revoting = 0;
		wg_add(t->wg, 1);
		if (store_cast_submit(t->s, POLL, &c, on_done, sl, NULL)) {
			wg_add(t->wg, -1);
			t->fails++;
		}
	}
	return NULL;
}

static slot *slots;

static void test_casts(store *s, store_reader *r)
{
	pthread_t th[NTHREADS];
	submitter sub[NTHREADS];
	waitgroup wg;
	uint8_t *seen, *leaves, proof[STORE_MAX_PROOF * 32];
	size_t count;
	store_sth fin;
	uint8_t root[32];
	int bad = 0, heads = 0;
	uint64_t last_size = 0;

	slots = calloc(NCASTS, sizeof(*slots));
	seen = calloc(NCASTS, 1);
	leaves = calloc(NCASTS, 32);
	wg_init(&wg);
	for (int i = 0; i < NTHREADS; i++) {
		sub[i] = (submitter){s, i, slots, &wg, 0};
		pthread_create(&th[i], NULL, submit_main, &sub[i]);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK(sub[i].fails == 0);
	}
	wg_wait(&wg);

	CHECK(store_sth_latest(r, POLL, &fin, NULL) == STORE_OK);
	CHECK(fin.tree_size == NCASTS);
	CHECK(sth_ok(&fin));
	for (int i = 0; i < NCASTS; i++) {
		slot *sl = &slots[i];

		if (sl->st != STORE_OK || sl->r.duplicate ||
		    sl->r.leaf_index >= NCASTS || seen[sl->r.leaf_index] ||
		    memcmp(sl->r.leaf_hash, sl->expect_leaf, 32) != 0) {
			bad++;
			continue;
		}
		seen[sl->r.leaf_index] = 1;
		memcpy(leaves + 32 * sl->r.leaf_index, sl->expect_leaf, 32);
		/* Against its own head... */
		if (sl->r.sth.tree_size <= sl->r.leaf_index ||
		    !sth_ok(&sl->r.sth) || !receipt_sig_ok(&sl->r) ||
		    bc_merkle_verify_inclusion(
		        sl->r.leaf_hash, sl->r.leaf_index, sl->r.sth.tree_size,
		        sl->r.proof, sl->r.proof_count,
		        sl->r.sth.root) != BC_OK)
			bad++;
		/* ... and the final one. */
		if (store_inclusion_proof(r, POLL, sl->r.leaf_index, NCASTS,
		                          proof, &count, NULL) != STORE_OK ||
		    bc_merkle_verify_inclusion(sl->expect_leaf,
		                               sl->r.leaf_index, NCASTS, proof,
		                               count, fin.root) != BC_OK)
			bad++;
		if (sl->r.sth.tree_size != last_size) {
			heads++;
			last_size = sl->r.sth.tree_size;
		}
	}
	CHECK(bad == 0);
	for (int i = 0; i < NCASTS; i++)
		CHECK(seen[i]); /* dense: every index 0..n-1 used once */
	/* The root computed here from the leaves alone. */
	CHECK(bc_merkle_root(leaves, NCASTS, root) == BC_OK);
	CHECK(memcmp(root, fin.root, 32) == 0);
	/* Group commit: far fewer heads than casts (not checked: timing). */
	printf("%d casts from %d threads: ok (%d receipts checked, %d "
	       "distinct tree heads among them)\n",
	       NCASTS, NTHREADS, NCASTS - bad, heads);

	/* A proof that is wrong must fail: one flipped bit. */
	CHECK(slots[7].r.proof_count > 0);
	slots[7].r.proof[3] ^= 1;
	CHECK(bc_merkle_verify_inclusion(
	          slots[7].r.leaf_hash, slots[7].r.leaf_index,
	          slots[7].r.sth.tree_size, slots[7].r.proof,
	          slots[7].r.proof_count, slots[7].r.sth.root) != BC_OK);
	slots[7].r.proof[3] ^= 1;
	slots[7].r.receipt_sig[0] ^= 1;
	CHECK(!receipt_sig_ok(&slots[7].r));
	slots[7].r.receipt_sig[0] ^= 1;
	free(seen);
	free(leaves);
}

typedef struct {
	int n;
	uint64_t entries, tokens, issued;
} counts;

static int count_cb(void *arg, const store_class_counts *c)
{
	counts *k = arg;

	if (strcmp(c->class_id, classes[0]) == 0) {
		k->entries = c->entries;
		k->tokens = c->tokens_cast;
		k->issued = c->tokens_issued;
	}
	k->n++;
	return 0;
}

static int entry_cb(void *arg, const store_entry *e)
{
	int *n = arg;

	(*n)++;
	return e->entry_len == 0;
}

static void test_dup_and_tokens(store *s, store_reader *r)
{
	uint8_t e[300], tok[32], e2[300];
	size_t n, n2;
	slot a, b;
	counts k0 = {0}, k1 = {0};
	store_error err;
	int found;

	CHECK(store_status_counts(r, POLL, count_cb, &k0, NULL) == STORE_OK);
	CHECK(k0.n == 3);

	/* The same cast again: the same receipt, no new leaf. */
	n = make_entry(e, sizeof(e), 0, 0);
	make_token(tok, 0, 0);
	CHECK(cast_sync(s, POLL, classes[0], tok, e, n, 0, &a) == STORE_OK);
	CHECK(a.r.duplicate == 1);
	CHECK(a.r.leaf_index == slots[0].r.leaf_index);
	CHECK(memcmp(a.r.leaf_hash, slots[0].r.leaf_hash, 32) == 0);
	CHECK(a.r.sth.tree_size == NCASTS);
	CHECK(receipt_sig_ok(&a.r));
	CHECK(bc_merkle_verify_inclusion(
	          a.r.leaf_hash, a.r.leaf_index, a.r.sth.tree_size, a.r.proof,
	          a.r.proof_count, a.r.sth.root) == BC_OK);

	/* The same token with another ballot: refused without revoting. */
	n2 = make_entry(e2, sizeof(e2), 99, 0);
	CHECK(cast_sync(s, POLL, classes[0], tok, e2, n2, 0, &b) ==
	      STORE_TOKEN_USED);
	CHECK(strstr(b.msg, "revoting") != NULL);
	/* ... accepted with it, as a new leaf. */
	CHECK(cast_sync(s, POLL, classes[0], tok, e2, n2, 1, &b) == STORE_OK);
	CHECK(b.r.duplicate == 0);
	CHECK(b.r.leaf_index == NCASTS);
	CHECK(b.r.sth.tree_size == NCASTS + 1);
	CHECK(sth_ok(&b.r.sth));

	CHECK(store_status_counts(r, POLL, count_cb, &k1, NULL) == STORE_OK);
	CHECK(k1.entries == k0.entries + 1); /* a new entry ... */
	CHECK(k1.tokens == k0.tokens);       /* ... of a known token */

	/* Refusals: unknown class, unknown poll, a poll not open. */
	make_token(tok, 98, 0);
	CHECK(cast_sync(s, POLL, "nobody*1", tok, e2, n2, 0, &b) ==
	      STORE_NOT_FOUND);
	CHECK(cast_sync(s, "no-such-poll", classes[0], tok, e2, n2, 0, &b) ==
	      STORE_NOT_FOUND);
	CHECK(cast_sync(s, "draft-poll", classes[0], tok, e2, n2, 0, &b) ==
	      STORE_WRONG_STATE);
	CHECK(store_cast_submit(s, POLL, NULL, on_done, &b, &err) ==
	      STORE_INVALID);

	/* Reads: the entries and leaves by hash and index. */
	found = 0;
	CHECK(store_entries(r, POLL, 10, 20, entry_cb, &found, NULL) ==
	      STORE_OK);
	CHECK(found == 10);
	found = 0;
	CHECK(store_leaf_by_hash(r, POLL, slots[5].r.leaf_hash, entry_cb,
	                         &found, NULL) == STORE_OK);
	CHECK(found == 1);
	CHECK(store_leaf_by_index(r, POLL, NCASTS + 5, entry_cb, &found,
	                          NULL) == STORE_NOT_FOUND);
	{
		uint8_t proof[STORE_MAX_PROOF * 32];
		size_t cnt;

		CHECK(store_inclusion_proof(r, POLL, 5, NCASTS + 2, proof, &cnt,
		                            NULL) == STORE_INVALID);
		CHECK(store_inclusion_proof(r, POLL, 5, 5, proof, &cnt, NULL) ==
		      STORE_INVALID);
		CHECK(store_consistency_proof(r, POLL, 7, 6, proof, &cnt,
		                              NULL) == STORE_INVALID);
	}
}

static int iss_cb(void *arg, uint64_t seq, const uint8_t ps[32],
                  const char *cls)
{
	uint8_t *want = arg;

	(void)cls;
	if (seq == 0 && memcmp(ps, want, 32) != 0)
		want[0] ^= 0xff; /* makes the check below fail */
	want[32]++;
	return 0;
}

static void test_tokens(store *s, store_reader *r)
{
	uint8_t h1[32], h2[32], ps[33] = {0}, sig1[256], sig2[256], out[256];
	size_t len;
	int re;
	store_error err;
	store_voter v;
	counts k = {0};

	memset(h1, 1, 32);
	memset(h2, 2, 32);
	memset(ps, 7, 32);
	memset(sig1, 0x11, sizeof(sig1));
	memset(sig2, 0x22, sizeof(sig2));
	/* none stored: stored, logged */
	CHECK(store_token_issue(s, POLL, "v00", h1, sig1, 256, ps, out,
	                        sizeof(out), &len, &re, &err) == STORE_OK);
	CHECK(re == 0 && len == 256 && memcmp(out, sig1, 256) == 0);
	/* the same blinded message: the stored signature, not the new one */
	CHECK(store_token_issue(s, POLL, "v00", h1, sig2, 256, ps, out,
	                        sizeof(out), &len, &re, &err) == STORE_OK);
	CHECK(re == 1 && len == 256 && memcmp(out, sig1, 256) == 0);
	/* a different one: refused */
	CHECK(store_token_issue(s, POLL, "v00", h2, sig2, 256, ps, out,
	                        sizeof(out), &len, &re,
	                        &err) == STORE_TOKEN_ISSUED);
	CHECK(store_token_issue(s, POLL, "nobody", h2, sig2, 256, ps, out,
	                        sizeof(out), &len, &re,
	                        &err) == STORE_NOT_FOUND);
	CHECK(store_token_issue(s, "draft-poll", "v00", h2, sig2, 256, ps, out,
	                        sizeof(out), &len, &re,
	                        &err) == STORE_WRONG_STATE);
	/* one log entry, with the pseudonym */
	CHECK(store_issuance(r, POLL, 0, 100, iss_cb, ps, NULL) == STORE_OK);
	CHECK(ps[32] == 1 && ps[0] == 7);
	CHECK(store_voter_get(r, POLL, "v00", &v, NULL) == STORE_OK);
	CHECK(v.has_token && memcmp(v.blinded_hash, h1, 32) == 0 &&
	      v.blind_sig_len == 256 && memcmp(v.blind_sig, sig1, 256) == 0);
	CHECK(strcmp(v.class_id, classes[0]) == 0);
	store_voter_clear(&v);
	CHECK(store_voter_get(r, POLL, "v01", &v, NULL) == STORE_OK);
	CHECK(!v.has_token);
	store_voter_clear(&v);
	CHECK(store_status_counts(r, POLL, count_cb, &k, NULL) == STORE_OK);
	CHECK(k.issued == 1);
}

/* ---------------------------------------------------------------- */
/* Token issues group-committed with casts, from several threads. */

#define TOK_POLL    "tok-poll"
#define TOK_OWN     250 /* first issues per thread, own voters */
#define TOK_SAME    100 /* of which asked again, same blinded message */
#define TOK_DIFF    100 /* of which asked again, another one */
#define TOK_FIGHT   50  /* voters two threads ask for at once */
#define TOK_PER     (TOK_OWN + TOK_SAME + TOK_DIFF + TOK_FIGHT)
#define TOK_VOTERS  (NTHREADS * TOK_OWN + NTHREADS / 2 * TOK_FIGHT + 100)
#define TOK_CASTS   500
#define TOK_SIG_LEN 256

/*
 * A poll with n voters t00000.. (class classes[i % 3]), in state
 * ceremony (state 1) or open (state 2).  Its own definition, so its own
 * poll hash.
 */
static store_status make_tok_poll(store *s, const char *id, int n, int state)
{
	store_poll_new p;
	store_voter_new *v;
	char(*ids)[16], def[128];
	store_state_new rec;
	store_error err;
	store_status st;

	memset(&p, 0, sizeof(p));
	snprintf(def, sizeof(def), "{\"id\":\"%s\",\"tokens\":1}", id);
	sha256(def, strlen(def), p.poll_hash);
	p.id = id;
	p.definition = (const uint8_t *)def;
	p.definition_len = strlen(def);
	p.created_ms = 1796000000000;
	p.opens_ms = p.closes_ms = -1;
	memcpy(p.board_sk, board_sk, 32);
	if ((st = store_poll_create(s, &p, &err)))
		return st;
	v = calloc((size_t)n, sizeof(*v));
	ids = calloc((size_t)n, sizeof(*ids));
	for (int i = 0; i < n; i++) {
		snprintf(ids[i], sizeof(ids[i]), "t%05d", i);
		v[i].voter_id = ids[i];
		v[i].class_id = classes[i % 3];
		sha256(ids[i], strlen(ids[i]), v[i].cred_hash);
	}
	st = store_roll_import(s, id, v, (size_t)n, &err);
	free(v);
	free(ids);
	if (st)
		return st;
	memset(&rec, 0, sizeof(rec));
	rec.kind = "ceremony";
	rec.time_ms = 1796000000001;
	rec.details = (const uint8_t *)"{}";
	rec.details_len = 2;
	rec.expect_state = STORE_STATE_DRAFT;
	rec.new_state = STORE_STATE_CEREMONY;
	rec.expect_tree_size = -1;
	if ((st = store_state_append(s, id, &rec, NULL, NULL, &err)) ||
	    state < 2)
		return st;
	rec.kind = "open";
	rec.expect_state = STORE_STATE_CEREMONY;
	rec.new_state = STORE_STATE_OPEN;
	return store_state_append(s, id, &rec, NULL, NULL, &err);
}

/*
 * What a request for voter v carries, variant k: the blinded message's
 * hash, a 256-byte "signature" and a pseudonym starting with be32(v)
 * and k, so that the log can be mapped back.
 */
static void tok_bh(uint8_t out[32], int v, int k)
{
	char b[48];

	snprintf(b, sizeof(b), "blinded %d %d", v, k);
	sha256(b, strlen(b), out);
}

static void tok_sig(uint8_t out[TOK_SIG_LEN], int v, int k)
{
	char b[48];

	for (int i = 0; i < TOK_SIG_LEN / 32; i++) {
		snprintf(b, sizeof(b), "sig %d %d %d", v, k, i);
		sha256(b, strlen(b), out + 32 * i);
	}
}

static void tok_ps(uint8_t out[32], int v, int k)
{
	char b[48];

	snprintf(b, sizeof(b), "pseudonym %d %d", v, k);
	sha256(b, strlen(b), out);
	be32(out, (uint32_t)v);
	out[4] = (uint8_t)k;
}

/* One submitted issue and its answer. */
typedef struct {
	waitgroup *wg;
	int voter, variant;
	int expect; /* 0 new, 1 reissued (variant 0's signature), 2 refused,
	             * 3 contested (new or refused) */
	int called;
	store_status st;
	int reissued;
	size_t len;
	uint8_t sig[TOK_SIG_LEN];
	char class_id[32];
} tok_slot;

static void tok_done(void *arg, store_status st, const store_token_ans *t,
                     const store_error *err)
{
	tok_slot *sl = arg;

	(void)err;
	sl->called++;
	sl->st = st;
	if (t != NULL) {
		sl->reissued = t->reissued;
		sl->len = t->blind_sig_len;
		if (t->blind_sig_len <= TOK_SIG_LEN)
			memcpy(sl->sig, t->blind_sig, t->blind_sig_len);
		snprintf(sl->class_id, sizeof(sl->class_id), "%s", t->class_id);
	}
	pthread_mutex_lock(&sl->wg->mu);
	if (--sl->wg->pending == 0)
		pthread_cond_broadcast(&sl->wg->cv);
	pthread_mutex_unlock(&sl->wg->mu);
}

typedef struct {
	store *s;
	int who;
	tok_slot *slots; /* TOK_PER for this thread */
	waitgroup *wg;
	int fails;
} tok_thread;

static void tok_submit(tok_thread *t, tok_slot *sl, int v, int k, int expect)
{
	uint8_t bh[32], sig[TOK_SIG_LEN], ps[32];
	char id[16];

	sl->wg = t->wg;
	sl->voter = v;
	sl->variant = k;
	sl->expect = expect;
	tok_bh(bh, v, expect == 1 ? 0 : k);
	tok_sig(sig, v, k);
	tok_ps(ps, v, k);
	snprintf(id, sizeof(id), "t%05d", v);
	wg_add(t->wg, 1);
	if (store_token_submit(t->s, TOK_POLL, id, bh, sig, TOK_SIG_LEN, ps,
	                       tok_done, sl, NULL)) {
		wg_add(t->wg, -1);
		t->fails++;
	}
}

/* Casts to the token poll while the tokens are issued. */
static void *tok_cast_main(void *arg)
{
	submitter *t = arg;
	uint8_t e[300];

	for (int i = 0; i < TOK_CASTS; i++) {
		store_cast c;
		slot *sl = &t->slots[i];

		sl->wg = t->wg;
		c.class_id = classes[i % 3];
		make_token(c.token_id, 40, i);
		c.entry = e;
		c.entry_len = make_entry(e, sizeof(e), 40, i);
		c.revoting = 0;
		wg_add(t->wg, 1);
		if (store_cast_submit(t->s, TOK_POLL, &c, on_done, sl, NULL)) {
			wg_add(t->wg, -1);
			t->fails++;
		}
	}
	return NULL;
}

/*
 * Thread w: first issues for its own voters w*TOK_OWN + i; right after
 * the first TOK_SAME of them the same request again with another
 * signature (answered with the first one), after the next TOK_DIFF a
 * different blinded message (refused).  Its submissions reach the queue
 * in order, so the first issue always precedes.  Then TOK_FIGHT voters
 * that thread w^1 asks for too, each with its own blinded message.
 */
static void *tok_main(void *arg)
{
	tok_thread *t = arg;
	int n = 0;

	for (int i = 0; i < TOK_OWN; i++) {
		int v = t->who * TOK_OWN + i;

		tok_submit(t, &t->slots[n++], v, 0, 0);
		if (i < TOK_SAME)
			tok_submit(t, &t->slots[n++], v, 1, 1);
		else if (i < TOK_SAME + TOK_DIFF)
			tok_submit(t, &t->slots[n++], v, 2, 2);
	}
	for (int i = 0; i < TOK_FIGHT; i++)
		tok_submit(t, &t->slots[n++],
		           NTHREADS * TOK_OWN + t->who / 2 * TOK_FIGHT + i,
		           10 + t->who, 3);
	if (n != TOK_PER)
		abort();
	return NULL;
}

typedef struct {
	int n, bad;
	uint8_t *seen;     /* per voter */
	const int *winner; /* per voter: the variant stored, -1 none */
	int nvoters;
} iss_check;

static int tok_iss_cb(void *arg, uint64_t seq, const uint8_t ps[32],
                      const char *cls)
{
	iss_check *c = arg;
	uint32_t v = (uint32_t)ps[0] << 24 | (uint32_t)ps[1] << 16 |
	             (uint32_t)ps[2] << 8 | ps[3];
	uint8_t want[32];

	if (seq != (uint64_t)c->n++ || v >= (uint32_t)c->nvoters ||
	    c->seen[v]++ || c->winner[v] < 0) {
		c->bad++;
		return 0;
	}
	tok_ps(want, (int)v, c->winner[v]);
	if (memcmp(want, ps, 32) != 0 || strcmp(cls, classes[v % 3]) != 0)
		c->bad++;
	return 0;
}

static int issued_cb(void *arg, const store_class_counts *c)
{
	uint64_t *n = arg;

	*n += c->tokens_issued;
	return 0;
}

static void test_token_group(store *s, store_reader *r)
{
	pthread_t th[NTHREADS], ct;
	tok_thread tt[NTHREADS];
	submitter cs;
	tok_slot *ts;
	slot *cslots;
	waitgroup wg, cwg;
	int bad = 0, winner[TOK_VOTERS], expect_issued = 0, heads = 0;
	uint8_t seen[TOK_VOTERS] = {0}, sig0[TOK_SIG_LEN], bh[32];
	iss_check ic = {0, 0, seen, winner, TOK_VOTERS};
	uint64_t issued = 0, last = 0;
	store_voter v;

	CHECK(make_tok_poll(s, TOK_POLL, TOK_VOTERS, 2) == STORE_OK);
	ts = calloc(NTHREADS * TOK_PER, sizeof(*ts));
	cslots = calloc(TOK_CASTS, sizeof(*cslots));
	wg_init(&wg);
	wg_init(&cwg);
	/* Casts to the same poll at the same time, in the same batches. */
	cs = (submitter){s, 0, cslots, &cwg, 0};
	pthread_create(&ct, NULL, tok_cast_main, &cs);
	for (int i = 0; i < NTHREADS; i++) {
		tt[i] = (tok_thread){s, i, ts + i * TOK_PER, &wg, 0};
		pthread_create(&th[i], NULL, tok_main, &tt[i]);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK(tt[i].fails == 0);
	}
	pthread_join(ct, NULL);
	CHECK(cs.fails == 0);
	wg_wait(&wg);
	wg_wait(&cwg);

	/* Every answer, worked out from what each thread asked. */
	for (int i = 0; i < TOK_VOTERS; i++)
		winner[i] = -1;
	for (int i = 0; i < NTHREADS * TOK_PER; i++) {
		tok_slot *sl = &ts[i];
		int ok;

		tok_sig(sig0, sl->voter, sl->expect == 1 ? 0 : sl->variant);
		ok = sl->called == 1;
		switch (sl->expect) {
		case 0:
		case 1:
			ok = ok && sl->st == STORE_OK &&
			     sl->reissued == sl->expect &&
			     sl->len == TOK_SIG_LEN &&
			     memcmp(sl->sig, sig0, TOK_SIG_LEN) == 0 &&
			     strcmp(sl->class_id, classes[sl->voter % 3]) == 0;
			if (sl->expect == 0) {
				winner[sl->voter] = 0;
				expect_issued++;
			}
			break;
		case 2:
			ok = ok && sl->st == STORE_TOKEN_ISSUED;
			break;
		default:
			if (sl->st == STORE_OK) {
				ok = ok && !sl->reissued &&
				     memcmp(sl->sig, sig0, TOK_SIG_LEN) == 0 &&
				     winner[sl->voter] == -1;
				winner[sl->voter] = sl->variant;
				expect_issued++;
			} else {
				ok = ok && sl->st == STORE_TOKEN_ISSUED;
			}
		}
		bad += !ok;
	}
	CHECK(bad == 0);
	/* A contested voter: exactly one of the two got it. */
	for (int i = 0; i < NTHREADS / 2 * TOK_FIGHT; i++)
		CHECK(winner[NTHREADS * TOK_OWN + i] >= 10);
	CHECK(expect_issued == NTHREADS * TOK_OWN + NTHREADS / 2 * TOK_FIGHT);

	/* The log: seq 0..n-1, one line per voter issued, the winner's. */
	CHECK(store_issuance(r, TOK_POLL, 0, UINT64_MAX / 2, tok_iss_cb, &ic,
	                     NULL) == STORE_OK);
	CHECK(ic.bad == 0);
	CHECK(ic.n == expect_issued);
	CHECK(store_status_counts(r, TOK_POLL, issued_cb, &issued, NULL) ==
	      STORE_OK);
	CHECK(issued == (uint64_t)expect_issued);
	/* The voters' rows hold the winner's message and signature. */
	bad = 0;
	for (int i = 0; i < TOK_VOTERS; i++) {
		char id[16];

		snprintf(id, sizeof(id), "t%05d", i);
		if (store_voter_get(r, TOK_POLL, id, &v, NULL) != STORE_OK) {
			bad++;
			continue;
		}
		if (winner[i] < 0) {
			bad += v.has_token != 0;
		} else {
			tok_bh(bh, i, winner[i]);
			tok_sig(sig0, i, winner[i]);
			bad += !v.has_token ||
			       memcmp(v.blinded_hash, bh, 32) != 0 ||
			       v.blind_sig_len != TOK_SIG_LEN ||
			       memcmp(v.blind_sig, sig0, TOK_SIG_LEN) != 0;
		}
		store_voter_clear(&v);
	}
	CHECK(bad == 0);

	/* The casts in between all went in. */
	bad = 0;
	for (int i = 0; i < TOK_CASTS; i++) {
		bad += cslots[i].st != STORE_OK || cslots[i].r.duplicate;
		if (cslots[i].r.sth.tree_size != last) {
			heads++;
			last = cslots[i].r.sth.tree_size;
		}
	}
	CHECK(bad == 0);
	{
		store_sth fin;

		CHECK(store_sth_latest(r, TOK_POLL, &fin, NULL) == STORE_OK);
		CHECK(fin.tree_size == TOK_CASTS);
	}
	/* Refused before queueing: no callback. */
	memset(bh, 0, sizeof(bh));
	CHECK(store_token_submit(s, TOK_POLL, "t00000", bh, sig0, 0, bh,
	                         tok_done, ts, NULL) == STORE_INVALID);
	CHECK(store_token_submit(s, TOK_POLL, "t00000", bh, sig0, TOK_SIG_LEN,
	                         bh, NULL, ts, NULL) == STORE_INVALID);
	CHECK(store_token_submit(s, TOK_POLL, NULL, bh, sig0, TOK_SIG_LEN, bh,
	                         tok_done, ts, NULL) == STORE_INVALID);
	printf("%d token issues from %d threads with %d casts (%d "
	       "issued, log dense; %d distinct tree heads)\n",
	       NTHREADS * TOK_PER, NTHREADS, TOK_CASTS, expect_issued, heads);
	free(ts);
	free(cslots);
}

/* State records: the chain recomputed here from protocol.md section 9. */
typedef struct {
	uint8_t prev[32];
	uint64_t n;
	int bad;
} chain;

static int state_cb(void *arg, const store_state_rec *rec)
{
	chain *c = arg;
	size_t kl = strlen(rec->kind),
	       len = 4 + 15 + 36 + 12 + 4 + kl + 12 + 4 + rec->details_len + 36;
	uint8_t *m = malloc(len), *p = m, h[32];

	be32(p, 15), memcpy(p + 4, "ballot-state/v1", 15), p += 19;
	be32(p, 32), memcpy(p + 4, poll_hash, 32), p += 36;
	be32(p, 8), be64(p + 4, rec->n), p += 12;
	be32(p, (uint32_t)kl), memcpy(p + 4, rec->kind, kl), p += 4 + kl;
	be32(p, 8), be64(p + 4, rec->time_ms), p += 12;
	be32(p, (uint32_t)rec->details_len);
	memcpy(p + 4, rec->details, rec->details_len);
	p += 4 + rec->details_len;
	be32(p, 32), memcpy(p + 4, c->prev, 32), p += 36;
	sha256(m, len, h);
	if (rec->n != c->n || memcmp(h, rec->hash, 32) != 0 ||
	    bc_ed25519_verify(board_pk, m, len, rec->signature) != BC_OK)
		c->bad++;
	memcpy(c->prev, h, 32);
	c->n++;
	free(m);
	return 0;
}

static int cer_cb(void *arg, const store_ceremony_msg *m)
{
	uint64_t *seqs = arg;

	seqs[seqs[0]++ + 1] = m->seq;
	return 0;
}

static void test_states(store *s, store_reader *r)
{
	store_state_new rec;
	store_error err;
	chain c = {{0}, 0, 0};
	uint64_t n, seq, seqs[8] = {0};
	uint8_t h[32];
	store_poll p;

	memset(&rec, 0, sizeof(rec));
	rec.kind = "note";
	rec.time_ms = 1796000000100;
	rec.details = (const uint8_t *)"{\"a\":1}";
	rec.details_len = 7;
	rec.expect_tree_size = -1;
	rec.expect_state = STORE_STATE_CLOSED;
	CHECK(store_state_append(s, POLL, &rec, &n, h, &err) == STORE_CONFLICT);
	rec.expect_state = STORE_STATE_OPEN;
	rec.expect_tree_size = 5;
	CHECK(store_state_append(s, POLL, &rec, &n, h, &err) == STORE_CONFLICT);
	rec.expect_tree_size = NCASTS + 1;
	CHECK(store_state_append(s, POLL, &rec, &n, h, &err) == STORE_OK);
	CHECK(n == 2); /* after "ceremony" and "open" */
	rec.new_state = "bogus";
	CHECK(store_state_append(s, POLL, &rec, &n, h, &err) == STORE_INVALID);
	CHECK(store_states(r, POLL, state_cb, &c, NULL) == STORE_OK);
	CHECK(c.n == 3 && c.bad == 0);
	CHECK(memcmp(c.prev, h, 32) == 0);

	for (int i = 0; i < 3; i++)
		CHECK(store_ceremony_append(
		          s, POLL, "commitments", (uint64_t)i + 1, 0,
		          (const uint8_t *)"body", 4, (const uint8_t *)"sig", 3,
		          &seq, &err) == STORE_OK &&
		      seq == (uint64_t)i + 1);
	CHECK(store_ceremony_after(r, POLL, 1, cer_cb, seqs, NULL) == STORE_OK);
	CHECK(seqs[0] == 2 && seqs[1] == 2 && seqs[2] == 3);

	CHECK(store_poll_get(r, POLL, &p, NULL) == STORE_OK);
	CHECK(strcmp(p.state, "open") == 0 && p.tree_size == NCASTS + 1);
	CHECK(memcmp(p.board_pk, board_pk, 32) == 0);
	CHECK(p.closes_ms == 1797000000000 && p.opens_ms == -1);
	store_poll_clear(&p);
	CHECK(store_poll_get(r, "nope", &p, NULL) == STORE_NOT_FOUND);
}

/* Reopen and go on: consistency between an old head and a new one. */
static void test_reopen(void)
{
	store *s;
	store_reader *r;
	store_sth old, mid, fin;
	uint8_t proof[STORE_MAX_PROOF * 32], e[300], tok[32];
	size_t cnt, n;
	slot a;
	store_error err;

	CHECK(store_open(dbpath, &s, &err) == STORE_OK);
	CHECK(store_reader_open(s, &r, &err) == STORE_OK);
	CHECK(store_sth_latest(r, POLL, &old, NULL) == STORE_OK);
	CHECK(old.tree_size == NCASTS + 1);
	CHECK(store_sth_get(r, POLL, slots[0].r.sth.tree_size, &mid, NULL) ==
	      STORE_OK);
	for (int i = 0; i < 50; i++) {
		n = make_entry(e, sizeof(e), 7, 1000 + i);
		make_token(tok, 7, 1000 + i);
		CHECK(cast_sync(s, POLL, classes[1], tok, e, n, 0, &a) ==
		      STORE_OK);
		CHECK(a.r.leaf_index == NCASTS + 1 + (uint64_t)i);
	}
	CHECK(store_sth_latest(r, POLL, &fin, NULL) == STORE_OK);
	CHECK(fin.tree_size == NCASTS + 51 && sth_ok(&fin));
	CHECK(fin.timestamp_ms >= old.timestamp_ms);
	CHECK(store_consistency_proof(r, POLL, old.tree_size, fin.tree_size,
	                              proof, &cnt, NULL) == STORE_OK);
	CHECK(bc_merkle_verify_consistency(old.tree_size, fin.tree_size,
	                                   old.root, fin.root, proof,
	                                   cnt) == BC_OK);
	CHECK(store_consistency_proof(r, POLL, mid.tree_size, fin.tree_size,
	                              proof, &cnt, NULL) == STORE_OK);
	CHECK(bc_merkle_verify_consistency(mid.tree_size, fin.tree_size,
	                                   mid.root, fin.root, proof,
	                                   cnt) == BC_OK);
	/* and a wrong old root is caught */
	old.root[0] ^= 1;
	CHECK(store_consistency_proof(r, POLL, old.tree_size, fin.tree_size,
	                              proof, &cnt, NULL) == STORE_OK);
	CHECK(bc_merkle_verify_consistency(old.tree_size, fin.tree_size,
	                                   old.root, fin.root, proof,
	                                   cnt) != BC_OK);
	store_reader_close(r);
	store_close(s);
	printf("reopened, appended 50, consistency proofs verify\n");
}

static int raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static int integrity_ok(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int ok = 0;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return 0;
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) ==
	    SQLITE_OK) {
		ok =
		    sqlite3_step(st) == SQLITE_ROW &&
		    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return ok;
}

/* A file from a newer program, and a board changed behind our back. */
static void test_refusals(void)
{
	char p[160], sql[256];
	store *s;
	store_error err;

	snprintf(p, sizeof(p), "%s/newer.db", dir);
	CHECK(store_open(p, &s, &err) == STORE_OK);
	store_close(s);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	         STORE_SCHEMA_VERSION + 1);
	CHECK(raw_exec(p, sql) == 0);
	err.msg[0] = '\0';
	CHECK(store_open(p, &s, &err) == STORE_VERSION);
	CHECK(strstr(err.msg, "newer") != NULL);
	unlink(p);

	/* Copy the main file, then damage the copy in two ways. */
	snprintf(p, sizeof(p), "%s/damaged.db", dir);
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", p);
	CHECK(raw_exec(dbpath, sql) == 0);
	CHECK(raw_exec(p, "DELETE FROM tree_heads WHERE tree_size = (SELECT "
	                  "max(tree_size) FROM tree_heads)") == 0);
	err.msg[0] = '\0';
	CHECK(store_open(p, &s, &err) == STORE_CORRUPT);
	CHECK(strstr(err.msg, "poll test-poll: the latest signed tree head "
	                      "has size") != NULL);
	fprintf(stderr, "(expected) %s\n", err.msg);
	unlink(p);
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", p);
	CHECK(raw_exec(dbpath, sql) == 0);
	CHECK(raw_exec(p, "DELETE FROM board WHERE leaf_index = (SELECT "
	                  "max(leaf_index) FROM board)") == 0);
	err.msg[0] = '\0';
	CHECK(store_open(p, &s, &err) == STORE_CORRUPT);
	CHECK(strstr(err.msg, "saved frontier holds") != NULL);
	fprintf(stderr, "(expected) %s\n", err.msg);
	unlink(p);
	/* and a node table that lost a node */
	CHECK(raw_exec(dbpath, sql) == 0);
	/* (a missing interior node is recomputed; a wrong one is not) */
	CHECK(raw_exec(p, "UPDATE merkle_nodes SET hash = zeroblob(32) "
	                  "WHERE level = 11") == 0);
	err.msg[0] = '\0';
	s = NULL;
	CHECK(store_open(p, &s, &err) == STORE_CORRUPT);
	store_close(s);
	CHECK(strstr(err.msg, "node table") != NULL);
	fprintf(stderr, "(expected) %s\n", err.msg);
	unlink(p);
}

/* ---------------------------------------------------------------- */
/* The crash test. */

typedef struct {
	uint64_t index;
	uint8_t hash[32];
} wire_receipt;

typedef struct {
	int fd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int inflight;
} child_ctx;

static void child_done(void *arg, store_status st, const store_receipt *r,
                       const store_error *err)
{
	child_ctx *c = arg;
	wire_receipt w;

	(void)err;
	if (st == STORE_OK) {
		w.index = r->leaf_index;
		memcpy(w.hash, r->leaf_hash, 32);
		/* Below PIPE_BUF: atomic.  Only now, after the commit. */
		if (write(c->fd, &w, sizeof(w)) != (ssize_t)sizeof(w))
			_exit(3);
	}
	pthread_mutex_lock(&c->mu);
	c->inflight--;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void child_main(int fd, int round)
{
	child_ctx c;
	store *s;
	uint8_t e[1200];
	time_t start = time(NULL);

	c.fd = fd;
	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	c.inflight = 0;
	if (store_open(dbpath, &s, NULL) != STORE_OK)
		_exit(2);
	/* Bounded even if nobody kills it. */
	for (int i = 0; i < 1000000 && time(NULL) - start < 20; i++) {
		store_cast k;

		pthread_mutex_lock(&c.mu);
		while (c.inflight >= 200)
			pthread_cond_wait(&c.cv, &c.mu);
		c.inflight++;
		pthread_mutex_unlock(&c.mu);
		k.class_id = classes[i % 3];
		make_token(k.token_id, 100 + round, i);
		k.entry = e;
		k.entry_len = make_entry(e, sizeof(e), 100 + round, i);
		k.revoting = 0;
		if (store_cast_submit(s, POLL, &k, child_done, &c, NULL))
			_exit(4);
	}
	store_close(s);
	_exit(0);
}

static int leaf_hash_cb(void *arg, const store_entry *e)
{
	memcpy(arg, e->leaf_hash, 32);
	return 0;
}

static void test_crash(void)
{
	wire_receipt *got = NULL;
	size_t ngot = 0, cap = 0;
	int rounds = 5, status;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (int round = 0; round < rounds; round++) {
		int fds[2];
		pid_t pid;
		long delay_ms = 150 + rand() % 600;
		struct timespec t0, t1;
		size_t before = ngot;
		store *s;
		store_reader *r;
		store_error err;
		int missing = 0;
		uint8_t buf[sizeof(wire_receipt) * 64];
		size_t have = 0;

		CHECK(pipe(fds) == 0);
		fflush(NULL);
		if ((pid = fork()) == 0) {
			close(fds[0]);
			child_main(fds[1], round);
		}
		close(fds[1]);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int killed = 0;;) {
			struct pollfd pf = {fds[0], POLLIN, 0};
			ssize_t k;
			long el;

			clock_gettime(CLOCK_MONOTONIC, &t1);
			el = (t1.tv_sec - t0.tv_sec) * 1000 +
			     (t1.tv_nsec - t0.tv_nsec) / 1000000;
			if (!killed && el >= delay_ms) {
				kill(pid, SIGKILL);
				killed = 1;
			}
			if (poll(&pf, 1, killed ? 1000 : 20) <= 0) {
				if (killed)
					break; /* should not happen: EOF */
				continue;
			}
			k = read(fds[0], buf + have, sizeof(buf) - have);
			if (k <= 0)
				break; /* EOF: the child is gone */
			have += (size_t)k;
			while (have >= sizeof(wire_receipt)) {
				if (ngot == cap) {
					cap = cap ? 2 * cap : 1024;
					got = realloc(got, cap * sizeof(*got));
				}
				memcpy(&got[ngot++], buf, sizeof(wire_receipt));
				memmove(buf, buf + sizeof(wire_receipt),
				        have - sizeof(wire_receipt));
				have -= sizeof(wire_receipt);
			}
		}
		close(fds[0]);
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		/* Reopening runs the board check; then every receipt. */
		err.msg[0] = '\0';
		CHECK(store_open(dbpath, &s, &err) == STORE_OK);
		if (s == NULL) {
			fprintf(stderr, "reopen: %s\n", err.msg);
			break;
		}
		CHECK(store_reader_open(s, &r, NULL) == STORE_OK);
		for (size_t i = 0; i < ngot; i++) {
			uint8_t h[32];

			if (store_leaf_by_index(r, POLL, got[i].index,
			                        leaf_hash_cb, h,
			                        NULL) != STORE_OK ||
			    memcmp(h, got[i].hash, 32) != 0)
				missing++;
		}
		CHECK(missing == 0);
		store_reader_close(r);
		store_close(s);
		CHECK(integrity_ok(dbpath));
		printf("crash round %d: killed after %ld ms, %zu receipts "
		       "reported, all on the board\n",
		       round + 1, delay_ms, ngot - before);
	}
	CHECK(ngot > 0);
	free(got);
}

/*
 * The crash test for token issues: a child issues tokens (200 in flight)
 * to voters of its round's range and writes each answered voter's index
 * to the pipe from the callback; SIGKILL at a random moment; every
 * answered token must then be on file (the voter's row and the log).
 */
#define CRASH_TOK_POLL   "crash-tok"
#define CRASH_TOK_ROUNDS 4
#define CRASH_TOK_RANGE  8000 /* voters per round */

typedef struct {
	int fd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int inflight;
} tchild_ctx;

typedef struct {
	tchild_ctx *c;
	uint32_t voter;
} tchild_req;

static void tchild_done(void *arg, store_status st, const store_token_ans *t,
                        const store_error *err)
{
	tchild_req *q = arg;
	tchild_ctx *c = q->c;

	(void)err;
	if (st != STORE_OK || t->reissued)
		_exit(5); /* every voter is asked once */
	if (write(c->fd, &q->voter, sizeof(q->voter)) !=
	    (ssize_t)sizeof(q->voter))
		_exit(3);
	free(q);
	pthread_mutex_lock(&c->mu);
	c->inflight--;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void tchild_main(int fd, int round)
{
	tchild_ctx c;
	store *s;
	time_t start = time(NULL);

	c.fd = fd;
	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	c.inflight = 0;
	if (store_open(dbpath, &s, NULL) != STORE_OK)
		_exit(2);
	/* Open (its board check takes a while): the parent starts the
	 * clock now. */
	{
		uint32_t ready = UINT32_MAX;

		if (write(fd, &ready, sizeof(ready)) != (ssize_t)sizeof(ready))
			_exit(3);
	}
	for (int i = 0; i < CRASH_TOK_RANGE; i++) {
		int v = round * CRASH_TOK_RANGE + i;
		uint8_t bh[32], sig[TOK_SIG_LEN], ps[32];
		tchild_req *q = malloc(sizeof(*q));
		char id[16];

		pthread_mutex_lock(&c.mu);
		while (c.inflight >= 200)
			pthread_cond_wait(&c.cv, &c.mu);
		c.inflight++;
		pthread_mutex_unlock(&c.mu);
		snprintf(id, sizeof(id), "t%05d", v);
		tok_bh(bh, v, 0);
		tok_sig(sig, v, 0);
		tok_ps(ps, v, 0);
		q->c = &c;
		q->voter = (uint32_t)v;
		if (store_token_submit(s, CRASH_TOK_POLL, id, bh, sig,
		                       TOK_SIG_LEN, ps, tchild_done, q, NULL))
			_exit(4);
	}
	/* All asked before the kill: wait for it, bounded. */
	while (time(NULL) - start < 20)
		usleep(10000);
	store_close(s);
	_exit(0);
}

static void test_token_crash(void)
{
	uint8_t seen[CRASH_TOK_ROUNDS * CRASH_TOK_RANGE] = {0};
	int winner[CRASH_TOK_ROUNDS * CRASH_TOK_RANGE];
	size_t total = 0;
	store *s;
	store_reader *r;
	store_error err;
	int status;

	/* A poll in ceremony: tokens are issued from then on. */
	CHECK(store_open(dbpath, &s, &err) == STORE_OK);
	if (s == NULL)
		return;
	CHECK(make_tok_poll(s, CRASH_TOK_POLL,
	                    CRASH_TOK_ROUNDS * CRASH_TOK_RANGE, 1) == STORE_OK);
	store_close(s);
	for (int round = 0; round < CRASH_TOK_ROUNDS; round++) {
		int fds[2], missing = 0;
		pid_t pid;
		/* The child answers thousands a second: kill it early. */
		long delay_ms = 5 + rand() % 60;
		uint32_t *got = calloc(CRASH_TOK_RANGE, sizeof(*got));
		size_t ngot = 0, have = 0;
		int ready = 0;
		uint8_t buf[4 * 64];
		iss_check ic = {0, 0, NULL, winner,
		                CRASH_TOK_ROUNDS * CRASH_TOK_RANGE};
		struct timespec t0, t1;

		CHECK(pipe(fds) == 0);
		fflush(NULL);
		if ((pid = fork()) == 0) {
			close(fds[0]);
			tchild_main(fds[1], round);
		}
		close(fds[1]);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int killed = 0;;) {
			struct pollfd pf = {fds[0], POLLIN, 0};
			ssize_t k;
			long el;

			clock_gettime(CLOCK_MONOTONIC, &t1);
			el = (t1.tv_sec - t0.tv_sec) * 1000 +
			     (t1.tv_nsec - t0.tv_nsec) / 1000000;
			/* Bounded if the child never gets ready. */
			if (!killed &&
			    ((ready && el >= delay_ms) || el >= 20000)) {
				kill(pid, SIGKILL);
				killed = 1;
			}
			if (poll(&pf, 1, killed ? 1000 : 1) <= 0) {
				if (killed)
					break;
				continue;
			}
			k = read(fds[0], buf + have, sizeof(buf) - have);
			if (k <= 0)
				break;
			have += (size_t)k;
			while (have >= 4 && ngot < CRASH_TOK_RANGE) {
				uint32_t w;

				memcpy(&w, buf, 4);
				memmove(buf, buf + 4, have - 4);
				have -= 4;
				if (w != UINT32_MAX) {
					got[ngot++] = w;
				} else if (!ready) {
					ready = 1;
					clock_gettime(CLOCK_MONOTONIC, &t0);
				}
			}
		}
		close(fds[0]);
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		err.msg[0] = '\0';
		CHECK(store_open(dbpath, &s, &err) == STORE_OK);
		if (s == NULL) {
			fprintf(stderr, "reopen: %s\n", err.msg);
			free(got);
			break;
		}
		CHECK(store_reader_open(s, &r, NULL) == STORE_OK);
		/* Every answered voter's row, with what was asked... */
		for (size_t i = 0; i < ngot; i++) {
			uint8_t bh[32], sig[TOK_SIG_LEN];
			store_voter v;
			char id[16];

			snprintf(id, sizeof(id), "t%05u", got[i]);
			tok_bh(bh, (int)got[i], 0);
			tok_sig(sig, (int)got[i], 0);
			if (got[i] / CRASH_TOK_RANGE != (uint32_t)round ||
			    store_voter_get(r, CRASH_TOK_POLL, id, &v, NULL) !=
			        STORE_OK) {
				missing++;
				continue;
			}
			if (!v.has_token || memcmp(v.blinded_hash, bh, 32) ||
			    v.blind_sig_len != TOK_SIG_LEN ||
			    memcmp(v.blind_sig, sig, TOK_SIG_LEN))
				missing++;
			store_voter_clear(&v);
		}
		CHECK(missing == 0);
		/* ... and the log: dense, one line per stored token, at
		 * least every answered one. */
		for (int i = 0; i < CRASH_TOK_ROUNDS * CRASH_TOK_RANGE; i++)
			winner[i] = 0;
		memset(seen, 0, sizeof(seen));
		ic.seen = seen;
		CHECK(store_issuance(r, CRASH_TOK_POLL, 0, UINT64_MAX / 2,
		                     tok_iss_cb, &ic, NULL) == STORE_OK);
		CHECK(ic.bad == 0);
		CHECK((size_t)ic.n >= total + ngot);
		for (size_t i = 0; i < ngot; i++)
			CHECK(seen[got[i]] == 1);
		total = (size_t)ic.n;
		store_reader_close(r);
		store_close(s);
		CHECK(integrity_ok(dbpath));
		printf(
		    "token crash round %d: killed %ld ms after the open, %zu "
		    "of %d tokens answered, all on file (%zu in the log)\n",
		    round + 1, delay_ms, ngot, CRASH_TOK_RANGE, total);
		free(got);
	}
}

/* ---------------------------------------------------------------- */
/* Benchmark: casts per second through the store alone. */

typedef struct {
	store *s;
	int who, n;
	waitgroup *wg;
	slot *sl;
} bench_t;

static void bench_done(void *arg, store_status st, const store_receipt *r,
                       const store_error *err)
{
	waitgroup *wg = arg;

	(void)r;
	(void)err;
	if (st != STORE_OK)
		abort();
	pthread_mutex_lock(&wg->mu);
	if (--wg->pending == 0)
		pthread_cond_broadcast(&wg->cv);
	pthread_mutex_unlock(&wg->mu);
}

static void *bench_main(void *arg)
{
	bench_t *b = arg;
	uint8_t e[1500];

	for (int i = 0; i < b->n; i++) {
		store_cast c;

		c.class_id = classes[i % 3];
		make_token(c.token_id, b->who, i);
		c.entry = e;
		c.entry_len = make_entry(e, sizeof(e), b->who, i);
		c.revoting = 0;
		wg_add(b->wg, 1);
		while (store_cast_submit(b->s, POLL, &c, bench_done, b->wg,
		                         NULL) != STORE_OK)
			usleep(1000);
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void bench_run(store *s, int threads, int per, int base)
{
	pthread_t th[16];
	bench_t b[16];
	waitgroup wg;
	double t0, t;

	wg_init(&wg);
	t0 = now_s();
	for (int i = 0; i < threads; i++) {
		b[i] = (bench_t){s, base + i, per, &wg, NULL};
		pthread_create(&th[i], NULL, bench_main, &b[i]);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	wg_wait(&wg);
	t = now_s() - t0;
	printf("%d submitter(s) x %d casts (1500-byte entries): %.2f s, "
	       "%.0f casts/s\n",
	       threads, per, t, threads * per / t);
}

static int bench(const char *where)
{
	store *s;
	store_error err;
	double t0, t;
	slot a;
	uint8_t e[1500], tok[32];

	snprintf(dir, sizeof(dir), "%s/bench_store.XXXXXX", where);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/store.db", dir);
	if (store_open(dbpath, &s, &err) || make_poll(s, POLL, 1)) {
		fprintf(stderr, "bench: %s\n", err.msg);
		return 1;
	}
	/* One at a time: every cast waits for its own commit. */
	t0 = now_s();
	for (int i = 0; i < 1000; i++) {
		size_t n = make_entry(e, sizeof(e), 500, i);

		make_token(tok, 500, i);
		if (cast_sync(s, POLL, classes[0], tok, e, n, 0, &a))
			return 1;
	}
	t = now_s() - t0;
	printf("1 submitter waiting for each receipt, 1000 casts: %.2f s, "
	       "%.0f casts/s (%.2f ms each)\n",
	       t, 1000 / t, t);
	bench_run(s, 1, 10000, 600);
	bench_run(s, 8, 10000 / 8, 700);
	bench_run(s, 8, 10000, 800);
	store_close(s);
	rm_store();
	rmdir(dir);
	return 0;
}

int main(int argc, char **argv)
{
	store *s;
	store_reader *r;
	store_error err;

	if (argc > 1 && strcmp(argv[1], "bench") == 0)
		return bench(argc > 2 ? argv[2] : "/tmp");

	snprintf(dir, sizeof(dir), "/tmp/test_store.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/store.db", dir);
	if (bc_ed25519_keygen(board_sk, board_pk) != BC_OK)
		return 1;
	sha256("poll definition", 15, poll_hash);

	err.msg[0] = '\0';
	CHECK(store_open(dbpath, &s, &err) == STORE_OK);
	if (s == NULL) {
		fprintf(stderr, "open: %s\n", err.msg);
		CHECK_DONE();
	}
	CHECK(store_reader_open(s, &r, &err) == STORE_OK);
	CHECK(make_poll(s, POLL, 1) == STORE_OK);
	CHECK(make_poll(s, "draft-poll", 0) == STORE_OK);
	CHECK(make_poll(s, POLL, 1) == STORE_EXISTS);
	{
		store_poll_new p;

		memset(&p, 0, sizeof(p));
		p.id = "Bad_Id";
		p.definition = (const uint8_t *)"x";
		p.definition_len = 1;
		CHECK(store_poll_create(s, &p, &err) == STORE_INVALID);
	}
	{
		store_voter_new v[2] = {{"a", NULL, NULL, "c*1", {0}},
		                        {"a", NULL, NULL, "c*1", {0}}};

		CHECK(store_roll_import(s, "draft-poll", v, 2, &err) ==
		      STORE_INVALID);
		CHECK(strstr(err.msg, "repeated") != NULL);
		CHECK(store_roll_import(s, POLL, v, 1, &err) ==
		      STORE_WRONG_STATE);
	}
	test_casts(s, r);
	test_dup_and_tokens(s, r);
	test_tokens(s, r);
	test_states(s, r);
	test_token_group(s, r);
	store_reader_close(r);
	store_close(s);

	test_reopen();
	test_refusals();
	CHECK(integrity_ok(dbpath));
	test_crash();
	test_token_crash();

	free(slots);
	rm_store();
	if (rmdir(dir) != 0)
		fprintf(stderr, "rmdir %s: %s\n", dir, strerror(errno));
	CHECK_DONE();
}
