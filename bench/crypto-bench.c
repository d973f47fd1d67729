/*
 * crypto-bench.c: how fast the crypto library's operations run, one line
 * per operation, for bench/crypto-bench.sh to set next to `openssl speed`.
 *
 * usage: crypto-bench [--seconds S] [--rsa BITS[,BITS...]] [--json]
 *
 * Each operation is set up once (keys, a blinded message, a 1,000,000-leaf
 * tree, a key ceremony...), run once and checked, then run repeatedly in
 * growing batches until S seconds of CPU time (default 1) have been spent
 * on it.  Rates are per CPU second, as `openssl speed` counts them by
 * default (user time), so that other work on the machine does not make us
 * look slower than OpenSSL measured at a quieter moment.
 *
 * Every line also carries a cost model ("ref"): the `openssl speed`
 * primitives one operation is expected to cost, e.g. "rsa2048.sign:1
 * rsa2048.verify:1" for BlindSign (the private operation and its
 * re-check).  The script turns it into a reference rate,
 * 1 / sum(count / rate), and prints ours / reference.  docs/bench.md,
 * section "Crypto", explains every model.
 *
 * A failing operation stops the program with status 1: a figure for an
 * operation that does not work would mean nothing.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, CLOCK_PROCESS_CPUTIME_ID */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bcrypto.h"
#include "blindrsa.h"
#include "dkg.h"
#include "hpke.h"
#include "merkle.h"
#include "pad.h"
#include "sign.h"

#define MAX_OPS      64
#define TREE_LEAVES  1000000u
#define PROOF_SET    1024   /* precomputed proofs cycled by the verifiers */
#define BALLOT_LEN   1024   /* the padded ballot, and the hashed entry */
#define DKG_N        5
#define DKG_K        3

static const char poll_id[] = "bench-poll-2026";

struct result {
	char name[48];
	char ref[96];     /* the cost model, "" if none */
	unsigned long long ops;
	double cpu, wall; /* seconds */
};

struct bench {
	double seconds;
	int json;
	struct result res[MAX_OPS];
	unsigned nres;
};

/* One operation: returns BC_OK or stops the benchmark. */
typedef bc_status (*op_fn)(void *arg);

static void die(const char *what, bc_status st)
{
	fprintf(stderr, "crypto-bench: %s failed: %s\n", what,
	        bc_status_name(st));
	exit(1);
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0) {
		perror("crypto-bench: clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Runs fn once (checked), then in batches that double until one batch
 * takes at least 10 ms, until b->seconds of CPU time are spent; stops
 * anyway after 5 times that in wall time, so that a starved process still
 * ends.  The batches keep clock reads out of the fast operations' cost.
 */
static void run(struct bench *b, const char *name, const char *ref, op_fn fn,
                void *arg)
{
	struct result *r;
	unsigned long long ops = 0, batch = 1;
	double c0, w0, c, w;
	bc_status st;

	if (b->nres == MAX_OPS) {
		fprintf(stderr, "crypto-bench: too many operations\n");
		exit(1);
	}
	st = fn(arg);
	if (st != BC_OK)
		die(name, st);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	w0 = clock_s(CLOCK_MONOTONIC);
	for (;;) {
		double cb = clock_s(CLOCK_PROCESS_CPUTIME_ID);

		for (unsigned long long i = 0; i < batch; i++) {
			st = fn(arg);
			if (st != BC_OK)
				die(name, st);
		}
		ops += batch;
		c = clock_s(CLOCK_PROCESS_CPUTIME_ID);
		w = clock_s(CLOCK_MONOTONIC);
		if (c - c0 >= b->seconds || w - w0 >= 5 * b->seconds)
			break;
		if (c - cb < 0.01)
			batch *= 2;
	}
	r = &b->res[b->nres++];
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->ref, sizeof(r->ref), "%s", ref);
	r->ops = ops;
	r->cpu = c - c0;
	r->wall = w - w0;
	if (!b->json) {
		printf("%-32s %12.1f ops/s %12.2f us/op\n", r->name,
		       (double)ops / r->cpu, r->cpu * 1e6 / (double)ops);
		fflush(stdout);
	}
}

/* A fast, seeded index generator for the Merkle operations (xorshift64). */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- Blind RSA (RFC 9474), the product's variant ---- */

#define BRSA_V BC_BRSA_SHA384_PSS_RANDOMIZED

struct brsa {
	bc_brsa_key *sk, *pk;
	size_t k;
	uint8_t prepared[BC_BRSA_PREFIX_LEN + 32];
	size_t plen;
	uint8_t blinded[BC_BRSA_MAX_LEN], inv[BC_BRSA_MAX_LEN];
	uint8_t bsig[BC_BRSA_MAX_LEN], sig[BC_BRSA_MAX_LEN];
	uint8_t tmp_a[BC_BRSA_MAX_LEN], tmp_b[BC_BRSA_MAX_LEN];
};

static bc_status brsa_blind(void *arg)
{
	struct brsa *r = arg;

	return bc_brsa_blind(r->pk, BRSA_V, r->prepared, r->plen, r->tmp_a,
	                     r->tmp_b, r->k);
}

static bc_status brsa_blind_sign(void *arg)
{
	struct brsa *r = arg;

	return bc_brsa_blind_sign(r->sk, r->blinded, r->tmp_a, r->k);
}

static bc_status brsa_finalize(void *arg)
{
	struct brsa *r = arg;

	return bc_brsa_finalize(r->pk, BRSA_V, r->prepared, r->plen, r->bsig,
	                        r->inv, r->tmp_a, r->k);
}

static bc_status brsa_verify(void *arg)
{
	struct brsa *r = arg;

	return bc_brsa_verify(r->pk, BRSA_V, r->prepared, r->plen, r->sig,
	                      r->k);
}

static void bench_brsa(struct bench *b, unsigned bits)
{
	struct brsa *r = calloc(1, sizeof(*r));
	uint8_t token[32];
	char name[48], ref[96];
	bc_status st;

	if (r == NULL)
		die("allocation", BC_ERR_NOMEM);
	st = bc_brsa_keygen(bits, &r->sk);
	if (st != BC_OK)
		die("bc_brsa_keygen", st);
	st = bc_brsa_key_public(r->sk, &r->pk);
	if (st != BC_OK)
		die("bc_brsa_key_public", st);
	r->k = bc_brsa_key_len(r->sk);
	/* A 32-byte token message, as docs/crypto-blindrsa.md suggests. */
	st = bc_random(token, sizeof(token));
	if (st == BC_OK)
		st = bc_brsa_prepare(BRSA_V, token, sizeof(token),
		                     r->prepared);
	if (st != BC_OK)
		die("bc_brsa_prepare", st);
	r->plen = bc_brsa_prepared_len(BRSA_V, sizeof(token));
	st = bc_brsa_blind(r->pk, BRSA_V, r->prepared, r->plen, r->blinded,
	                   r->inv, r->k);
	if (st == BC_OK)
		st = bc_brsa_blind_sign(r->sk, r->blinded, r->bsig, r->k);
	if (st == BC_OK)
		st = bc_brsa_finalize(r->pk, BRSA_V, r->prepared, r->plen,
		                      r->bsig, r->inv, r->sig, r->k);
	if (st != BC_OK)
		die("blind RSA setup", st);

	/* Client: EMSA-PSS, r^e (a public operation) and r^-1 mod n. */
	snprintf(name, sizeof(name), "brsa%u.blind", bits);
	snprintf(ref, sizeof(ref), "rsa%u.verify:1", bits);
	run(b, name, ref, brsa_blind, r);
	/* Server: the private operation, then its re-check (4.3). */
	snprintf(name, sizeof(name), "brsa%u.blind_sign", bits);
	snprintf(ref, sizeof(ref), "rsa%u.sign:1 rsa%u.verify:1", bits,
	         bits);
	run(b, name, ref, brsa_blind_sign, r);
	/* Client: one modular product, then a full verification. */
	snprintf(name, sizeof(name), "brsa%u.finalize", bits);
	snprintf(ref, sizeof(ref), "rsa%u.verify:1", bits);
	run(b, name, ref, brsa_finalize, r);
	/* Server, at every cast: RSASSA-PSS-VERIFY. */
	snprintf(name, sizeof(name), "brsa%u.verify", bits);
	run(b, name, ref, brsa_verify, r);

	bc_brsa_key_free(r->sk);
	bc_brsa_key_free(r->pk);
	bc_wipe(r, sizeof(*r));
	free(r);
}

/* ---- HPKE (RFC 9180): a 1 KiB padded ballot ---- */

struct hpke {
	uint8_t sk[BC_HPKE_SK_LEN], pk[BC_HPKE_PK_LEN];
	uint8_t info[64];
	size_t infolen;
	uint8_t aad[32];
	const char *ballot;
	uint8_t padded[BALLOT_LEN], out[BALLOT_LEN];
	uint8_t enc[BC_HPKE_ENC_LEN], ct[BALLOT_LEN + BC_HPKE_TAG_LEN];
	uint8_t enc2[BC_HPKE_ENC_LEN], ct2[BALLOT_LEN + BC_HPKE_TAG_LEN];
};

/* What a client does: pad the ballot to the poll's size, then seal. */
static bc_status hpke_seal(void *arg)
{
	struct hpke *h = arg;
	bc_status st;

	st = bc_pad((const uint8_t *)h->ballot, strlen(h->ballot), h->padded,
	            BALLOT_LEN);
	if (st != BC_OK)
		return st;
	return bc_hpke_seal(h->pk, h->info, h->infolen, h->aad,
	                    sizeof(h->aad), h->padded, BALLOT_LEN, h->enc2,
	                    h->ct2);
}

/* What the tally does with the rebuilt key: open, then unpad. */
static bc_status hpke_open(void *arg)
{
	struct hpke *h = arg;
	const uint8_t *msg;
	size_t len;
	bc_status st;

	st = bc_hpke_open(h->sk, h->enc, h->info, h->infolen, h->aad,
	                  sizeof(h->aad), h->ct, sizeof(h->ct), h->out);
	if (st != BC_OK)
		return st;
	st = bc_unpad(h->out, BALLOT_LEN, &msg, &len);
	if (st == BC_OK && len != strlen(h->ballot))
		st = BC_ERR_VERIFY;
	return st;
}

static void bench_hpke(struct bench *b)
{
	struct hpke *h = calloc(1, sizeof(*h));
	bc_status st;

	if (h == NULL)
		die("allocation", BC_ERR_NOMEM);
	st = bc_hpke_keygen(h->sk, h->pk);
	if (st != BC_OK)
		die("bc_hpke_keygen", st);
	/* docs/crypto-hpke.md: info = "ballot/v1" || poll id, aad = the
	 * token's hash (random here: only its length matters). */
	h->infolen = (size_t)snprintf((char *)h->info, sizeof(h->info),
	                              "ballot/v1%s", poll_id);
	st = bc_random(h->aad, sizeof(h->aad));
	if (st != BC_OK)
		die("bc_random", st);
	h->ballot = "3 1 4 2 0 7 5 6";
	st = hpke_seal(h);
	if (st != BC_OK)
		die("bc_hpke_seal", st);
	memcpy(h->enc, h->enc2, sizeof(h->enc));
	memcpy(h->ct, h->ct2, sizeof(h->ct));

	run(b, "hpke.seal_1k", "ecdh.p256:2 aes256gcm.1024:1", hpke_seal, h);
	run(b, "hpke.open_1k", "ecdh.p256:2 aes256gcm.1024:1", hpke_open, h);
	bc_wipe(h, sizeof(*h));
	free(h);
}

/* ---- Ed25519 (RFC 8032): the 93-byte signed tree head ---- */

struct ed {
	uint8_t sk[BC_ED25519_SK_LEN], pk[BC_ED25519_PK_LEN];
	bc_sth sth;
	uint8_t sig[BC_ED25519_SIG_LEN], sig2[BC_ED25519_SIG_LEN];
};

static bc_status ed_sign(void *arg)
{
	struct ed *e = arg;

	return bc_sth_sign(e->sk, &e->sth, e->sig2);
}

static bc_status ed_verify(void *arg)
{
	struct ed *e = arg;

	return bc_sth_verify(e->pk, &e->sth, e->sig);
}

static void bench_ed25519(struct bench *b)
{
	struct ed *e = calloc(1, sizeof(*e));
	bc_status st;

	if (e == NULL)
		die("allocation", BC_ERR_NOMEM);
	st = bc_ed25519_keygen(e->sk, e->pk);
	if (st == BC_OK)
		st = bc_random(e->sth.root, sizeof(e->sth.root));
	if (st != BC_OK)
		die("Ed25519 setup", st);
	e->sth.tree_size = TREE_LEAVES;
	e->sth.timestamp_ms = 1798761600000ull;
	memcpy(e->sth.poll_id, poll_id, sizeof(poll_id));
	st = bc_sth_sign(e->sk, &e->sth, e->sig);
	if (st != BC_OK)
		die("bc_sth_sign", st);
	run(b, "ed25519.sign_sth", "ed25519.sign:1", ed_sign, e);
	run(b, "ed25519.verify_sth", "ed25519.verify:1", ed_verify, e);
	bc_wipe(e, sizeof(*e));
	free(e);
}

/* ---- Merkle board (RFC 9162) ---- */

struct mk {
	bc_merkle_memtree *t;
	bc_merkle_frontier *f;
	uint64_t size, rng;
	uint8_t leaf[BC_MERKLE_HASH_LEN], root[BC_MERKLE_HASH_LEN];
	uint8_t proof[BC_MERKLE_MAX_PROOF * BC_MERKLE_HASH_LEN];
	/* The precomputed proofs, cycled through by the verifiers. */
	unsigned next;
	uint64_t idx[PROOF_SET];
	uint8_t lh[PROOF_SET][BC_MERKLE_HASH_LEN];
	uint8_t first[PROOF_SET][BC_MERKLE_HASH_LEN];
	uint8_t *proofs; /* PROOF_SET * BC_MERKLE_MAX_PROOF hashes */
	size_t count[PROOF_SET];
	/* The entries' data; also SHA-256'd as the 1 KiB ballot. */
	uint8_t ballot[BALLOT_LEN];
};

static bc_status mk_append(void *arg)
{
	struct mk *m = arg;

	return bc_merkle_frontier_append(m->f, m->leaf, NULL, NULL);
}

static bc_status mk_incl_proof(void *arg)
{
	struct mk *m = arg;
	size_t count;

	return bc_merkle_inclusion_proof(next_rand(&m->rng) % m->size,
	                                 m->size, bc_merkle_memtree_get_node,
	                                 m->t, m->proof, BC_MERKLE_MAX_PROOF,
	                                 &count);
}

static const uint8_t *mk_proof(const struct mk *m, unsigned i)
{
	return m->proofs + (size_t)i * BC_MERKLE_MAX_PROOF * BC_MERKLE_HASH_LEN;
}

static bc_status mk_incl_verify(void *arg)
{
	struct mk *m = arg;
	unsigned i = m->next++ % PROOF_SET;

	return bc_merkle_verify_inclusion(m->lh[i], m->idx[i], m->size,
	                                  mk_proof(m, i), m->count[i],
	                                  m->root);
}

static bc_status mk_cons_verify(void *arg)
{
	struct mk *m = arg;
	unsigned i = m->next++ % PROOF_SET;

	return bc_merkle_verify_consistency(m->idx[i], m->size, m->first[i],
	                                    m->root, mk_proof(m, i),
	                                    m->count[i]);
}

static bc_status mk_sha256(void *arg)
{
	struct mk *m = arg;

	return bc_merkle_leaf_hash(m->ballot, sizeof(m->ballot), m->leaf);
}

/*
 * Node hashes RFC 9162 2.1.4.2 computes to verify a consistency proof
 * PROOF(m, D[n]) of `count` hashes: two per step while fr is still
 * being built (LSB(fn) set or fn == sn), one otherwise.  Counted here
 * from the RFC's steps, not from our code, for the cost model.
 */
static unsigned cons_hashes(uint64_t m, uint64_t n, size_t count)
{
	uint64_t fn = m - 1, sn = n - 1;
	unsigned h = 0;
	/* Step 2: a power-of-2 m puts first_hash in front of the path, so
	 * every proof element is then a "subsequent value" (step 6). */
	size_t c = (m & (m - 1)) == 0 ? 0 : 1;

	while (fn & 1) { /* step 4 */
		fn >>= 1;
		sn >>= 1;
	}
	for (; c < count && sn != 0; c++) {
		if ((fn & 1) || fn == sn) {
			h += 2;
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			h += 1;
		}
		fn >>= 1;
		sn >>= 1;
	}
	return h;
}

static void bench_merkle(struct bench *b)
{
	struct mk *m = calloc(1, sizeof(*m));
	double total = 0;
	char ref[96];
	bc_status st;
	uint8_t v[8];

	if (m == NULL)
		die("allocation", BC_ERR_NOMEM);
	m->proofs = malloc((size_t)PROOF_SET * BC_MERKLE_MAX_PROOF *
	                   BC_MERKLE_HASH_LEN);
	m->t = bc_merkle_memtree_new();
	m->f = bc_merkle_frontier_new();
	if (m->proofs == NULL || m->t == NULL || m->f == NULL)
		die("allocation", BC_ERR_NOMEM);
	m->rng = 0x9e3779b97f4a7c15ull;
	st = bc_random(m->ballot, sizeof(m->ballot));
	if (st != BC_OK)
		die("bc_random", st);

	/* The entries' leaf hashes: of the ballot with its number. */
	for (uint64_t i = 0; i < TREE_LEAVES && st == BC_OK; i++) {
		for (unsigned j = 0; j < 8; j++)
			v[j] = (uint8_t)(i >> (56 - 8 * j));
		memcpy(m->ballot, v, sizeof(v));
		st = bc_merkle_leaf_hash(m->ballot, 64, m->leaf);
		if (st == BC_OK)
			st = bc_merkle_memtree_append(m->t, m->leaf);
	}
	if (st != BC_OK)
		die("building the 1,000,000-leaf tree", st);
	m->size = bc_merkle_memtree_size(m->t);
	st = bc_merkle_tree_root(m->size, bc_merkle_memtree_get_node, m->t,
	                         m->root);
	if (st != BC_OK)
		die("bc_merkle_tree_root", st);

	/* Per appended leaf: one node hash on average (the carries of a
	 * binary counter), none for the root, which is not asked for. */
	run(b, "merkle.frontier_append", "sha256.65:1", mk_append, m);
	/* Memtree holds every complete subtree: fetches, and a few hashes
	 * for the right edge of a tree whose size is not a power of 2. */
	run(b, "merkle.inclusion_proof_1m", "", mk_incl_proof, m);

	/* PROOF_SET inclusion proofs of random leaves. */
	for (unsigned i = 0; i < PROOF_SET; i++) {
		m->idx[i] = next_rand(&m->rng) % m->size;
		st = bc_merkle_memtree_get_node(m->t, 0, m->idx[i], m->lh[i]);
		if (st == BC_OK)
			st = bc_merkle_inclusion_proof(
				m->idx[i], m->size, bc_merkle_memtree_get_node,
				m->t, m->proofs + (size_t)i *
				BC_MERKLE_MAX_PROOF * BC_MERKLE_HASH_LEN,
				BC_MERKLE_MAX_PROOF, &m->count[i]);
		if (st != BC_OK)
			die("bc_merkle_inclusion_proof", st);
		/* RFC 9162 2.1.3.2: one node hash per proof element. */
		total += (double)m->count[i];
	}
	snprintf(ref, sizeof(ref), "sha256.65:%.2f", total / PROOF_SET);
	m->next = 0;
	run(b, "merkle.inclusion_verify_1m", ref, mk_incl_verify, m);

	/* PROOF_SET consistency proofs from random sizes 1..n-1 to n. */
	total = 0;
	for (unsigned i = 0; i < PROOF_SET; i++) {
		m->idx[i] = 1 + next_rand(&m->rng) % (m->size - 1);
		st = bc_merkle_tree_root(m->idx[i], bc_merkle_memtree_get_node,
		                         m->t, m->first[i]);
		if (st == BC_OK)
			st = bc_merkle_consistency_proof(
				m->idx[i], m->size, bc_merkle_memtree_get_node,
				m->t, m->proofs + (size_t)i *
				BC_MERKLE_MAX_PROOF * BC_MERKLE_HASH_LEN,
				BC_MERKLE_MAX_PROOF, &m->count[i]);
		if (st != BC_OK)
			die("bc_merkle_consistency_proof", st);
		total += cons_hashes(m->idx[i], m->size, m->count[i]);
	}
	snprintf(ref, sizeof(ref), "sha256.65:%.2f", total / PROOF_SET);
	m->next = 0;
	run(b, "merkle.consistency_verify_1m", ref, mk_cons_verify, m);

	/* The board's hash of a 1 KiB entry: SHA-256(0x00 || ballot), the
	 * same 17 SHA-256 blocks as openssl speed's 1024-byte input. */
	run(b, "sha256.leaf_1k", "sha256.1024:1", mk_sha256, m);

	bc_merkle_frontier_free(m->f);
	bc_merkle_memtree_free(m->t);
	free(m->proofs);
	free(m);
}

/* ---- The trustees' key (DKG): after the close ---- */

struct dkg {
	bc_dkg_params p;
	bc_dkg_dealer *d[DKG_N];
	bc_dkg_commitments c[DKG_N];
	const bc_dkg_commitments *cp[DKG_N];
	uint8_t hsk[DKG_N][BC_HPKE_SK_LEN], hpk[DKG_N][BC_HPKE_PK_LEN];
	/* s[j][i]: the share trustee j+1 holds from dealer i+1. */
	uint8_t s[DKG_N][DKG_N][BC_DKG_SCALAR_LEN];
	uint64_t qual;
	bc_dkg_release rel[DKG_N];
	uint8_t sk[BC_DKG_SCALAR_LEN];
};

static bc_status dkg_rebuild(void *arg)
{
	struct dkg *g = arg;
	bc_error err;
	uint64_t bad;

	/* Trustees 2, 4 and 5: any k of the n. */
	bc_dkg_release set[DKG_K] = { g->rel[1], g->rel[3], g->rel[4] };

	return bc_dkg_rebuild(&g->p, g->cp, g->qual, set, DKG_K, g->sk, &bad,
	                      &err);
}

static bc_status dkg_check_release(void *arg)
{
	struct dkg *g = arg;
	bc_error err;

	return bc_dkg_check_release(&g->p, g->cp, g->qual, &g->rel[2], &err);
}

/* A whole honest ceremony, n = 5, k = 3 (docs/crypto-dkg.md). */
static void bench_dkg(struct bench *b)
{
	struct dkg *g = calloc(1, sizeof(*g));
	bc_error err;
	bc_status st;
	char ref[96];

	if (g == NULL)
		die("allocation", BC_ERR_NOMEM);
	st = bc_dkg_params_init(&g->p, (const uint8_t *)poll_id,
	                        strlen(poll_id), DKG_N, DKG_K);
	if (st != BC_OK)
		die("bc_dkg_params_init", st);
	g->qual = ((uint64_t)1 << DKG_N) - 1;
	for (unsigned i = 0; i < DKG_N && st == BC_OK; i++) {
		st = bc_hpke_keygen(g->hsk[i], g->hpk[i]);
		if (st == BC_OK)
			st = bc_dkg_dealer_new(&g->p, i + 1, &g->d[i]);
		if (st == BC_OK)
			st = bc_dkg_dealer_commitments(g->d[i], &g->c[i]);
		if (st == BC_OK)
			st = bc_dkg_dealer_own_share(g->d[i], g->s[i][i]);
		g->cp[i] = &g->c[i];
	}
	if (st != BC_OK)
		die("DKG dealing", st);
	for (unsigned i = 0; i < DKG_N; i++) {
		for (unsigned j = 0; j < DKG_N; j++) {
			bc_dkg_sealed_share ss;
			bc_dkg_complaint cpl;

			if (i == j)
				continue;
			err.msg[0] = '\0';
			st = bc_dkg_dealer_seal(g->d[i], j + 1, g->hpk[j],
			                        &ss);
			if (st == BC_OK)
				st = bc_dkg_open_share(&g->p, j + 1, g->hsk[j],
				                       &g->c[i], &ss,
				                       g->s[j][i], &cpl, &err);
			if (st != BC_OK) {
				fprintf(stderr, "crypto-bench: %s\n", err.msg);
				die("DKG share", st);
			}
		}
	}
	for (unsigned j = 0; j < DKG_N; j++) {
		const uint8_t(*shares)[BC_DKG_SCALAR_LEN] =
			(const uint8_t(*)[BC_DKG_SCALAR_LEN])g->s[j];

		st = bc_dkg_combine(&g->p, g->cp, g->qual, j + 1, shares,
		                    g->rel[j].share, &err);
		if (st != BC_OK)
			die("bc_dkg_combine", st);
		g->rel[j].trustee = j + 1;
	}

	/*
	 * A release check: X_j from the aggregate commitments by Horner's
	 * rule, k-1 variable-base multiplications, then x_j*G, a fixed-base
	 * one counted as one more (as for HPKE): k ECDH.  The rebuild: k
	 * checks and x*G == Y at the end: k*k + 1.
	 */
	snprintf(ref, sizeof(ref), "ecdh.p256:%u", DKG_K * DKG_K + 1);
	run(b, "dkg.rebuild_3of5", ref, dkg_rebuild, g);
	snprintf(ref, sizeof(ref), "ecdh.p256:%u", DKG_K);
	run(b, "dkg.check_release", ref, dkg_check_release, g);

	for (unsigned i = 0; i < DKG_N; i++)
		bc_dkg_dealer_free(g->d[i]);
	bc_wipe(g, sizeof(*g));
	free(g);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: crypto-bench [--seconds S] [--rsa BITS[,BITS...]]"
	           " [--json]\n"
	           "  --seconds S   CPU seconds per operation (default 1)\n"
	           "  --rsa LIST    blind RSA modulus sizes (default "
	           "2048,3072,4096)\n"
	           "  --json        one JSON document instead of lines\n");
}

int main(int argc, char **argv)
{
	static struct bench b;
	unsigned rsa[3] = { 2048, 3072, 4096 }, nrsa = 3;

	b.seconds = 1.0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			b.json = 1;
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			char *end;

			errno = 0;
			b.seconds = strtod(argv[++i], &end);
			if (errno != 0 || *end != '\0' || !(b.seconds > 0) ||
			    b.seconds > 600) {
				fprintf(stderr, "crypto-bench: --seconds "
				                "wants a number in (0, 600]\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--rsa") == 0 && i + 1 < argc) {
			char *s = argv[++i], *end;

			for (nrsa = 0; nrsa < 3;) {
				unsigned long v = strtoul(s, &end, 10);

				if (v != 2048 && v != 3072 && v != 4096) {
					fprintf(stderr, "crypto-bench: --rsa "
					        "takes 2048, 3072, 4096\n");
					return 2;
				}
				rsa[nrsa++] = (unsigned)v;
				if (*end != ',')
					break;
				s = end + 1;
			}
			if (*end != '\0') {
				usage(stderr);
				return 2;
			}
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}

	for (unsigned i = 0; i < nrsa; i++)
		bench_brsa(&b, rsa[i]);
	bench_hpke(&b);
	bench_ed25519(&b);
	bench_merkle(&b);
	bench_dkg(&b);

	if (b.json) {
		/* One result per line, so that a shell script can read it
		 * without a JSON parser. */
		printf("{\"seconds\": %g, \"clock\": \"process cpu\", "
		       "\"results\": [\n", b.seconds);
		for (unsigned i = 0; i < b.nres; i++) {
			const struct result *r = &b.res[i];

			printf("{\"name\": \"%s\", \"ops\": %llu, "
			       "\"cpu_s\": %.6f, \"wall_s\": %.6f, "
			       "\"ops_per_sec\": %.1f, \"us_per_op\": %.3f, "
			       "\"ref\": \"%s\"}%s\n",
			       r->name, r->ops, r->cpu, r->wall,
			       (double)r->ops / r->cpu,
			       r->cpu * 1e6 / (double)r->ops, r->ref,
			       i + 1 < b.nres ? "," : "");
		}
		printf("]}\n");
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
