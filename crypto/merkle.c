/*
 * merkle.c: RFC 9162 section 2.1 Merkle trees over SHA-256.
 *
 * Proof generation follows the recursive definitions of 2.1.3.1 (PATH) and
 * 2.1.4.1 (PROOF/SUBPROOF) step by step, unrolled into loops; verification
 * follows the iterative algorithms of 2.1.3.2 and 2.1.4.2 literally.  Every
 * subtree the recursions name is either complete (one fetch) or the ragged
 * right edge of the tree (popcount of its size fetches), which is why
 * generation costs O(log n) fetches when interior nodes are stored.
 */
#include "merkle.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define HLEN       BC_MERKLE_HASH_LEN
#define MAX_LEVELS 64

static const uint8_t frontier_magic[4] = {'B', 'C', 'M', 'F'};
#define FRONTIER_VERSION 1
#define FRONTIER_HDR_LEN 13 /* magic 4, version 1, size 8 */

struct bc_merkle_frontier {
	uint64_t size;
	/* h[l] is meaningful only when bit l of size is set. */
	uint8_t h[MAX_LEVELS][HLEN];
};

struct bc_merkle_memtree {
	uint64_t size;
	uint8_t *lv[MAX_LEVELS]; /* lv[l] holds size >> l hashes */
	uint64_t cap[MAX_LEVELS];
};

/*
 * One SHA-256 fetch and context per public call, so that the millions of
 * hashes a large proof or rebuild needs do not each pay for an implicit
 * fetch, and without any global state.
 */
typedef struct {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
} hasher;

static bc_status hasher_init(hasher *hs)
{
	hs->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	hs->ctx = EVP_MD_CTX_new();
	if (hs->md == NULL || hs->ctx == NULL) {
		EVP_MD_free(hs->md);
		EVP_MD_CTX_free(hs->ctx);
		return BC_ERR_INTERNAL;
	}
	return BC_OK;
}

static void hasher_done(hasher *hs)
{
	EVP_MD_free(hs->md);
	EVP_MD_CTX_free(hs->ctx);
}

/* SHA-256(prefix || a || b); prefix < 0 means no prefix byte. */
static bc_status hash3(hasher *hs, int prefix, const uint8_t *a, size_t alen,
                       const uint8_t *b, size_t blen, uint8_t out[HLEN])
{
	uint8_t p = (uint8_t)prefix;
	unsigned int n = 0;

	if (EVP_DigestInit_ex2(hs->ctx, hs->md, NULL) != 1)
		return BC_ERR_INTERNAL;
	if (prefix >= 0 && EVP_DigestUpdate(hs->ctx, &p, 1) != 1)
		return BC_ERR_INTERNAL;
	if (alen > 0 && EVP_DigestUpdate(hs->ctx, a, alen) != 1)
		return BC_ERR_INTERNAL;
	if (blen > 0 && EVP_DigestUpdate(hs->ctx, b, blen) != 1)
		return BC_ERR_INTERNAL;
	if (EVP_DigestFinal_ex(hs->ctx, out, &n) != 1 || n != HLEN)
		return BC_ERR_INTERNAL;
	return BC_OK;
}

/* RFC 9162 2.1.1: the interior node prefix 0x01. */
static bc_status node(hasher *hs, const uint8_t l[HLEN], const uint8_t r[HLEN],
                      uint8_t out[HLEN])
{
	return hash3(hs, 0x01, l, HLEN, r, HLEN, out);
}

/* MTH({}) = SHA-256() (RFC 9162 2.1.1). */
static bc_status empty_root(hasher *hs, uint8_t out[HLEN])
{
	return hash3(hs, -1, NULL, 0, NULL, 0, out);
}

bc_status bc_merkle_leaf_hash(const uint8_t *data, size_t len,
                              uint8_t out[BC_MERKLE_HASH_LEN])
{
	hasher hs;
	bc_status st;

	if (data == NULL && len > 0)
		return BC_ERR_INVALID;
	if ((st = hasher_init(&hs)) != BC_OK)
		return st;
	st = hash3(&hs, 0x00, data, len, NULL, 0, out);
	hasher_done(&hs);
	return st;
}

bc_status bc_merkle_node_hash(const uint8_t left[BC_MERKLE_HASH_LEN],
                              const uint8_t right[BC_MERKLE_HASH_LEN],
                              uint8_t out[BC_MERKLE_HASH_LEN])
{
	hasher hs;
	bc_status st;

	if ((st = hasher_init(&hs)) != BC_OK)
		return st;
	st = node(&hs, left, right, out);
	hasher_done(&hs);
	return st;
}

static int is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

static unsigned log2_floor(uint64_t x)
{
	assert(x != 0);
	return 63u - (unsigned)__builtin_clzll(x);
}

/* The k of RFC 9162 2.1.1: the largest power of two smaller than n > 1. */
static uint64_t split(uint64_t n)
{
	assert(n > 1);
	return (uint64_t)1 << log2_floor(n - 1);
}

/*
 * Node (level, index) from the store, or, when the store says it does not
 * keep that level (BC_ERR_RANGE), from its two children.
 */
static bc_status fetch(hasher *hs, bc_merkle_get_node_fn get, void *ctx,
                       unsigned level, uint64_t index, uint8_t out[HLEN])
{
	uint8_t l[HLEN], r[HLEN];
	bc_status st;

	st = get(ctx, level, index, out);
	if (st != BC_ERR_RANGE || level == 0)
		return st;
	if ((st = fetch(hs, get, ctx, level - 1, 2 * index, l)) != BC_OK)
		return st;
	if ((st = fetch(hs, get, ctx, level - 1, 2 * index + 1, r)) != BC_OK)
		return st;
	return node(hs, l, r, out);
}

/*
 * MTH(D[start : start + len]) for a range the recursions of 2.1.3.1 and
 * 2.1.4.1 produce: start is a multiple of the largest power of two not
 * above len, so the range is a run of complete subtrees whose sizes are
 * the set bits of len, largest first.  Their heads are folded right to
 * left, which is MTH's own split at k applied repeatedly.
 */
static bc_status range_root(hasher *hs, bc_merkle_get_node_fn get, void *ctx,
                            uint64_t start, uint64_t len, uint8_t out[HLEN])
{
	uint8_t parts[MAX_LEVELS][HLEN];
	unsigned n = 0;
	bc_status st;

	if (len == 0)
		return empty_root(hs, out);
	for (int l = MAX_LEVELS - 1; l >= 0; l--) {
		uint64_t sz = (uint64_t)1 << l;

		if (!(len & sz))
			continue;
		assert(start % sz == 0);
		st = fetch(hs, get, ctx, (unsigned)l, start >> l, parts[n]);
		if (st != BC_OK)
			return st;
		n++;
		start += sz;
	}
	while (n > 1) {
		if ((st = node(hs, parts[n - 2], parts[n - 1], parts[n - 2])) !=
		    BC_OK)
			return st;
		n--;
	}
	memcpy(out, parts[0], HLEN);
	return BC_OK;
}

bc_status bc_merkle_tree_root(uint64_t size, bc_merkle_get_node_fn get,
                              void *ctx, uint8_t root[BC_MERKLE_HASH_LEN])
{
	hasher hs;
	bc_status st;

	if (get == NULL)
		return BC_ERR_INVALID;
	if ((st = hasher_init(&hs)) != BC_OK)
		return st;
	st = range_root(&hs, get, ctx, 0, size, root);
	hasher_done(&hs);
	return st;
}

/* One step of PATH (2.1.3.1): the subtree whose head is output. */
typedef struct {
	uint64_t start, len;
} span;

/*
 * The subtrees of PATH(m, D[n]) from the top down:
 *   m < k:  PATH(m, D[0:k]) : MTH(D[k:n])
 *   m >= k: PATH(m - k, D[k:n]) : MTH(D[0:k])
 * The RFC lists them deepest first, so the caller reverses.
 */
static size_t path_spans(uint64_t m, uint64_t n, span out[MAX_LEVELS])
{
	uint64_t start = 0;
	size_t c = 0;

	while (n > 1) {
		uint64_t k = split(n);

		if (m < k) {
			out[c++] = (span){start + k, n - k};
			n = k;
		} else {
			out[c++] = (span){start, k};
			start += k;
			m -= k;
			n -= k;
		}
	}
	return c;
}

/*
 * The subtrees of SUBPROOF(m, D[n], true) (2.1.4.1) from the top down:
 *   m == n: {} if b, else {MTH(D[m])}
 *   m <= k: SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
 *   m > k:  SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
 */
static size_t subproof_spans(uint64_t m, uint64_t n, span out[MAX_LEVELS + 1])
{
	uint64_t start = 0;
	size_t c = 0;
	int b = 1;

	while (m != n) {
		uint64_t k = split(n);

		if (m <= k) {
			out[c++] = (span){start + k, n - k};
			n = k;
		} else {
			out[c++] = (span){start, k};
			start += k;
			m -= k;
			n -= k;
			b = 0;
		}
	}
	if (!b)
		out[c++] = (span){start, n};
	return c;
}

/* Writes the heads of spans[0..c) into proof in reverse (RFC) order. */
static bc_status emit(bc_merkle_get_node_fn get, void *ctx, const span *spans,
                      size_t c, uint8_t *proof, size_t cap, size_t *count)
{
	hasher hs;
	bc_status st = BC_OK;

	*count = 0;
	if (c > cap)
		return BC_ERR_RANGE;
	if (c == 0)
		return BC_OK;
	if ((st = hasher_init(&hs)) != BC_OK)
		return st;
	for (size_t i = 0; i < c && st == BC_OK; i++)
		st = range_root(&hs, get, ctx, spans[i].start, spans[i].len,
		                proof + (c - 1 - i) * HLEN);
	hasher_done(&hs);
	if (st == BC_OK)
		*count = c;
	return st;
}

bc_status bc_merkle_inclusion_proof(uint64_t index, uint64_t size,
                                    bc_merkle_get_node_fn get, void *ctx,
                                    uint8_t *proof, size_t cap, size_t *count)
{
	span spans[MAX_LEVELS];

	if (get == NULL || count == NULL || (proof == NULL && cap > 0))
		return BC_ERR_INVALID;
	*count = 0;
	if (index >= size)
		return BC_ERR_INVALID;
	return emit(get, ctx, spans, path_spans(index, size, spans), proof, cap,
	            count);
}

bc_status bc_merkle_consistency_proof(uint64_t m, uint64_t n,
                                      bc_merkle_get_node_fn get, void *ctx,
                                      uint8_t *proof, size_t cap, size_t *count)
{
	span spans[MAX_LEVELS + 1];

	if (get == NULL || count == NULL || (proof == NULL && cap > 0))
		return BC_ERR_INVALID;
	*count = 0;
	if (m > n)
		return BC_ERR_INVALID;
	/* The RFC defines PROOF for 0 < m; any tree extends the empty one. */
	if (m == 0)
		return BC_OK;
	return emit(get, ctx, spans, subproof_spans(m, n, spans), proof, cap,
	            count);
}

bc_status bc_merkle_verify_inclusion(const uint8_t leaf[BC_MERKLE_HASH_LEN],
                                     uint64_t index, uint64_t size,
                                     const uint8_t *proof, size_t count,
                                     const uint8_t root[BC_MERKLE_HASH_LEN])
{
	uint8_t r[HLEN];
	uint64_t fn, sn;
	hasher hs;
	bc_status st = BC_OK;

	if (proof == NULL && count > 0)
		return BC_ERR_INVALID;
	/* 2.1.3.2 step 1. */
	if (index >= size)
		return BC_ERR_INVALID;
	if (count > BC_MERKLE_MAX_PROOF)
		return BC_ERR_VERIFY;
	if ((st = hasher_init(&hs)) != BC_OK)
		return st;
	/* Steps 2 and 3. */
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, HLEN);
	/* Step 4. */
	for (size_t i = 0; i < count && st == BC_OK; i++) {
		const uint8_t *p = proof + i * HLEN;

		if (sn == 0) { /* 4a: more hashes than the path has nodes */
			st = BC_ERR_VERIFY;
			break;
		}
		if ((fn & 1) || fn == sn) { /* 4b */
			st = node(&hs, p, r, r);
			if (!(fn & 1))
				while (fn != 0 && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			st = node(&hs, r, p, r);
		}
		fn >>= 1; /* 4c */
		sn >>= 1;
	}
	hasher_done(&hs);
	if (st != BC_OK)
		return st;
	/* Step 5. */
	if (sn != 0 || !bc_ct_equal(r, root, HLEN))
		return BC_ERR_VERIFY;
	return BC_OK;
}

bc_status bc_merkle_verify_consistency(uint64_t m, uint64_t n,
                                       const uint8_t first[BC_MERKLE_HASH_LEN],
                                       const uint8_t second[BC_MERKLE_HASH_LEN],
                                       const uint8_t *proof, size_t count)
{
	uint8_t fr[HLEN], sr[HLEN];
	const uint8_t *path = proof;
	size_t rest = count;
	uint64_t fn, sn;
	hasher hs;
	bc_status st;

	if (proof == NULL && count > 0)
		return BC_ERR_INVALID;
	if (m > n)
		return BC_ERR_INVALID;
	if (count > BC_MERKLE_MAX_PROOF)
		return BC_ERR_VERIFY;
	if ((st = hasher_init(&hs)) != BC_OK)
		return st;
	if (m == 0) {
		/* Any tree extends the empty tree, whose head is SHA-256(). */
		st = empty_root(&hs, fr);
		hasher_done(&hs);
		if (st != BC_OK)
			return st;
		return count == 0 && bc_ct_equal(fr, first, HLEN)
		           ? BC_OK
		           : BC_ERR_VERIFY;
	}
	if (m == n) {
		/* PROOF(m, D[m]) = SUBPROOF(m, D[m], true) = {}. */
		hasher_done(&hs);
		return count == 0 && bc_ct_equal(first, second, HLEN)
		           ? BC_OK
		           : BC_ERR_VERIFY;
	}
	/* 2.1.4.2 step 1. */
	if (count == 0) {
		hasher_done(&hs);
		return BC_ERR_VERIFY;
	}
	/*
	 * Step 2: when m is a power of two the old head is itself a node of
	 * the new tree and is not sent; it is the path's first value.
	 * Step 5 takes that first value.
	 */
	if (is_pow2(m)) {
		memcpy(fr, first, HLEN);
	} else {
		memcpy(fr, path, HLEN);
		path += HLEN;
		rest--;
	}
	memcpy(sr, fr, HLEN);
	/* Steps 3 and 4. */
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 6. */
	st = BC_OK;
	for (size_t i = 0; i < rest && st == BC_OK; i++) {
		const uint8_t *c = path + i * HLEN;

		if (sn == 0) { /* 6a */
			st = BC_ERR_VERIFY;
			break;
		}
		if ((fn & 1) || fn == sn) { /* 6b */
			st = node(&hs, c, fr, fr);
			if (st == BC_OK)
				st = node(&hs, c, sr, sr);
			if (!(fn & 1))
				while (fn != 0 && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			st = node(&hs, sr, c, sr);
		}
		fn >>= 1; /* 6c */
		sn >>= 1;
	}
	hasher_done(&hs);
	if (st != BC_OK)
		return st;
	/* Step 7. */
	if (sn != 0 || !bc_ct_equal(fr, first, HLEN) ||
	    !bc_ct_equal(sr, second, HLEN))
		return BC_ERR_VERIFY;
	return BC_OK;
}

/* ---- the frontier ---- */

/*
 * Appending leaf number `size` merges it with the heads of the complete
 * subtrees at the trailing one-bits of size (each the left sibling of the
 * carry), exactly binary increment; the carry lands at the first zero bit.
 * Nothing is written to f until every put has succeeded.
 */
static bc_status frontier_push(hasher *hs, bc_merkle_frontier *f,
                               const uint8_t leaf[HLEN],
                               bc_merkle_put_node_fn put, void *ctx)
{
	uint8_t carry[HLEN];
	unsigned l = 0;
	bc_status st;

	if (f->size == UINT64_MAX)
		return BC_ERR_RANGE;
	memcpy(carry, leaf, HLEN);
	if (put && (st = put(ctx, 0, f->size, carry)) != BC_OK)
		return st;
	while ((f->size >> l) & 1) {
		if ((st = node(hs, f->h[l], carry, carry)) != BC_OK)
			return st;
		l++;
		if (put && (st = put(ctx, l, f->size >> l, carry)) != BC_OK)
			return st;
	}
	memcpy(f->h[l], carry, HLEN);
	f->size++;
	return BC_OK;
}

/* MTH from the heads, folded from the smallest (rightmost) up. */
static bc_status frontier_fold(hasher *hs, const bc_merkle_frontier *f,
                               uint8_t root[HLEN])
{
	uint8_t r[HLEN];
	unsigned l;
	bc_status st;

	if (f->size == 0)
		return empty_root(hs, root);
	l = (unsigned)__builtin_ctzll(f->size);
	memcpy(r, f->h[l], HLEN);
	for (l++; l < MAX_LEVELS; l++) {
		if (!((f->size >> l) & 1))
			continue;
		if ((st = node(hs, f->h[l], r, r)) != BC_OK)
			return st;
	}
	memcpy(root, r, HLEN);
	return BC_OK;
}

bc_status bc_merkle_root(const uint8_t *leaves, uint64_t n,
                         uint8_t root[BC_MERKLE_HASH_LEN])
{
	bc_merkle_frontier f;
	hasher hs;
	bc_status st;

	if (leaves == NULL && n > 0)
		return BC_ERR_INVALID;
	if ((st = hasher_init(&hs)) != BC_OK)
		return st;
	f.size = 0;
	for (uint64_t i = 0; i < n && st == BC_OK; i++)
		st = frontier_push(&hs, &f, leaves + i * HLEN, NULL, NULL);
	if (st == BC_OK)
		st = frontier_fold(&hs, &f, root);
	hasher_done(&hs);
	return st;
}

bc_merkle_frontier *bc_merkle_frontier_new(void)
{
	return calloc(1, sizeof(bc_merkle_frontier));
}

void bc_merkle_frontier_free(bc_merkle_frontier *f)
{
	free(f);
}

uint64_t bc_merkle_frontier_size(const bc_merkle_frontier *f)
{
	return f->size;
}

bc_status bc_merkle_frontier_append(bc_merkle_frontier *f,
                                    const uint8_t leaf[BC_MERKLE_HASH_LEN],
                                    bc_merkle_put_node_fn put, void *ctx)
{
	hasher hs;
	bc_status st;

	if (f == NULL || leaf == NULL)
		return BC_ERR_INVALID;
	if ((st = hasher_init(&hs)) != BC_OK)
		return st;
	st = frontier_push(&hs, f, leaf, put, ctx);
	hasher_done(&hs);
	return st;
}

bc_status bc_merkle_frontier_root(const bc_merkle_frontier *f,
                                  uint8_t root[BC_MERKLE_HASH_LEN])
{
	hasher hs;
	bc_status st;

	if (f == NULL)
		return BC_ERR_INVALID;
	if ((st = hasher_init(&hs)) != BC_OK)
		return st;
	st = frontier_fold(&hs, f, root);
	hasher_done(&hs);
	return st;
}

bc_status bc_merkle_frontier_from_store(bc_merkle_frontier *f, uint64_t size,
                                        bc_merkle_get_node_fn get, void *ctx)
{
	bc_merkle_frontier t;
	uint64_t start = 0;
	hasher hs;
	bc_status st = BC_OK;

	if (f == NULL || get == NULL)
		return BC_ERR_INVALID;
	if ((st = hasher_init(&hs)) != BC_OK)
		return st;
	memset(&t, 0, sizeof t);
	t.size = size;
	for (int l = MAX_LEVELS - 1; l >= 0 && st == BC_OK; l--) {
		if (!((size >> l) & 1))
			continue;
		st = fetch(&hs, get, ctx, (unsigned)l, start >> l, t.h[l]);
		start += (uint64_t)1 << l;
	}
	hasher_done(&hs);
	if (st == BC_OK)
		*f = t;
	return st;
}

size_t bc_merkle_frontier_saved_len(const bc_merkle_frontier *f)
{
	return FRONTIER_HDR_LEN + (size_t)__builtin_popcountll(f->size) * HLEN +
	       HLEN;
}

static void put_u64be(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_u64be(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

bc_status bc_merkle_frontier_save(const bc_merkle_frontier *f, uint8_t *out,
                                  size_t cap, size_t *len)
{
	size_t need, off = FRONTIER_HDR_LEN;
	bc_status st;

	if (f == NULL || len == NULL)
		return BC_ERR_INVALID;
	need = bc_merkle_frontier_saved_len(f);
	*len = 0;
	if (out == NULL || cap < need)
		return BC_ERR_RANGE;
	memcpy(out, frontier_magic, 4);
	out[4] = FRONTIER_VERSION;
	put_u64be(out + 5, f->size);
	/* Heads left to right, i.e. from the largest subtree down. */
	for (int l = MAX_LEVELS - 1; l >= 0; l--) {
		if (!((f->size >> l) & 1))
			continue;
		memcpy(out + off, f->h[l], HLEN);
		off += HLEN;
	}
	/* The root, so that a damaged head is caught on load. */
	if ((st = bc_merkle_frontier_root(f, out + off)) != BC_OK)
		return st;
	off += HLEN;
	assert(off == need);
	*len = need;
	return BC_OK;
}

bc_status bc_merkle_frontier_load(bc_merkle_frontier *f, const uint8_t *in,
                                  size_t len)
{
	bc_merkle_frontier t;
	uint8_t root[HLEN];
	size_t off = FRONTIER_HDR_LEN;
	bc_status st;

	if (f == NULL || in == NULL)
		return BC_ERR_INVALID;
	if (len < FRONTIER_HDR_LEN + HLEN ||
	    memcmp(in, frontier_magic, 4) != 0 || in[4] != FRONTIER_VERSION)
		return BC_ERR_INVALID;
	memset(&t, 0, sizeof t);
	t.size = get_u64be(in + 5);
	if (len != bc_merkle_frontier_saved_len(&t))
		return BC_ERR_INVALID;
	for (int l = MAX_LEVELS - 1; l >= 0; l--) {
		if (!((t.size >> l) & 1))
			continue;
		memcpy(t.h[l], in + off, HLEN);
		off += HLEN;
	}
	if ((st = bc_merkle_frontier_root(&t, root)) != BC_OK)
		return st;
	if (!bc_ct_equal(root, in + off, HLEN))
		return BC_ERR_INVALID;
	*f = t;
	return BC_OK;
}

/* ---- the in-memory store ---- */

bc_merkle_memtree *bc_merkle_memtree_new(void)
{
	return calloc(1, sizeof(bc_merkle_memtree));
}

void bc_merkle_memtree_free(bc_merkle_memtree *t)
{
	if (t == NULL)
		return;
	for (unsigned l = 0; l < MAX_LEVELS; l++)
		free(t->lv[l]);
	free(t);
}

uint64_t bc_merkle_memtree_size(const bc_merkle_memtree *t)
{
	return t->size;
}

/* Makes room for one more hash at each level the next append writes. */
static bc_status memtree_reserve(bc_merkle_memtree *t)
{
	uint64_t n = t->size;

	for (unsigned l = 0; l < MAX_LEVELS; l++) {
		uint64_t want = (n >> l) + 1, nc;
		uint8_t *p;

		if (want > t->cap[l]) {
			nc = t->cap[l] ? 2 * t->cap[l] : 16;
			if (nc > SIZE_MAX / HLEN)
				return BC_ERR_NOMEM;
			p = realloc(t->lv[l], (size_t)nc * HLEN);
			if (p == NULL)
				return BC_ERR_NOMEM;
			t->lv[l] = p;
			t->cap[l] = nc;
		}
		if (!((n >> l) & 1))
			break; /* the carry stops at this level */
	}
	return BC_OK;
}

bc_status bc_merkle_memtree_append(bc_merkle_memtree *t,
                                   const uint8_t leaf[BC_MERKLE_HASH_LEN])
{
	uint64_t i;
	unsigned l = 0;
	hasher hs;
	bc_status st;

	if (t == NULL || leaf == NULL)
		return BC_ERR_INVALID;
	if (t->size == UINT64_MAX)
		return BC_ERR_RANGE;
	if ((st = memtree_reserve(t)) != BC_OK)
		return st;
	if ((st = hasher_init(&hs)) != BC_OK)
		return st;
	i = t->size;
	memcpy(t->lv[0] + i * HLEN, leaf, HLEN);
	/* Each odd index completes its parent (RFC 9162 2.1.1 node hash). */
	while (i & 1) {
		st = node(&hs, t->lv[l] + (i - 1) * HLEN, t->lv[l] + i * HLEN,
		          t->lv[l + 1] + (i >> 1) * HLEN);
		if (st != BC_OK)
			break;
		i >>= 1;
		l++;
	}
	hasher_done(&hs);
	if (st == BC_OK)
		t->size++;
	return st;
}

bc_status bc_merkle_memtree_get_node(void *ctx, unsigned level, uint64_t index,
                                     uint8_t out[BC_MERKLE_HASH_LEN])
{
	const bc_merkle_memtree *t = ctx;

	if (t == NULL || level >= MAX_LEVELS || index >= (t->size >> level))
		return BC_ERR_INVALID;
	memcpy(out, t->lv[level] + index * HLEN, HLEN);
	return BC_OK;
}
