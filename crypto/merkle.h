/*
 * merkle.h: the public board's Merkle tree, RFC 9162 section 2.1 hashing
 * with SHA-256: tree heads (MTH), inclusion proofs and consistency proofs,
 * and an appendable "frontier" for the daemon.  docs/crypto-merkle.md
 * describes every layout and cost.
 *
 * Hashes are 32 bytes.  A proof is a flat array of `count` hashes,
 * count * 32 bytes, in the order RFC 9162 gives them (deepest first).
 *
 * Node addressing: node (level, index) is the hash of the complete subtree
 * of 2^level leaves [index * 2^level, (index + 1) * 2^level); level 0 is
 * the leaf hashes.  Complete subtrees never change once formed, so a store
 * of them (leaves only, or leaves and interior nodes) serves every tree
 * size.
 */
#ifndef BC_MERKLE_H
#define BC_MERKLE_H

#include "bcrypto.h"

#define BC_MERKLE_HASH_LEN 32
/*
 * The longest proof for any tree size below 2^64: 64 hashes for inclusion,
 * 65 for consistency.  A buffer of BC_MERKLE_MAX_PROOF hashes always fits.
 */
#define BC_MERKLE_MAX_PROOF 65

/* RFC 9162 2.1.1: SHA-256(0x00 || data).  OUT: out. */
bc_status bc_merkle_leaf_hash(const uint8_t *data, size_t len,
                              uint8_t out[BC_MERKLE_HASH_LEN]) BC_MUST_CHECK;
/* RFC 9162 2.1.1: SHA-256(0x01 || left || right).  OUT: out. */
bc_status bc_merkle_node_hash(const uint8_t left[BC_MERKLE_HASH_LEN],
                              const uint8_t right[BC_MERKLE_HASH_LEN],
                              uint8_t out[BC_MERKLE_HASH_LEN]) BC_MUST_CHECK;

/*
 * Fetches node (level, index) into out.  The caller of a generating
 * function supplies it with its own ctx.  Return BC_OK, or BC_ERR_RANGE
 * for level > 0 to say "not stored": the library then computes the node
 * from its two children (so a store of leaves alone works, at O(n) cost).
 * Any other status stops the generation and is passed back.  BC_ERR_RANGE
 * at level 0 is passed back too.
 */
typedef bc_status (*bc_merkle_get_node_fn)(void *ctx, unsigned level,
                                           uint64_t index,
                                           uint8_t out[BC_MERKLE_HASH_LEN]);
/*
 * Told of every complete subtree an append forms: first the new leaf
 * (level 0), then each interior node it completes, upwards.  A store that
 * keeps them all (fewer than 2n hashes for n leaves) gives O(log n) proofs.
 * Any status other than BC_OK stops the append (the frontier is then left
 * unchanged) and is passed back.
 */
typedef bc_status (*bc_merkle_put_node_fn)(void *ctx, unsigned level,
                                           uint64_t index,
                                           const uint8_t h[BC_MERKLE_HASH_LEN]);

/*
 * MTH of the `n` leaf hashes leaves[0 .. n*32), RFC 9162 2.1.1; the empty
 * tree's head is SHA-256 of the empty string.  O(n) hashes, no allocation
 * beyond a stack of 64 hashes.  OUT: root.
 */
bc_status bc_merkle_root(const uint8_t *leaves, uint64_t n,
                         uint8_t root[BC_MERKLE_HASH_LEN]) BC_MUST_CHECK;
/*
 * MTH of the first `size` leaves of a store, from its complete subtrees:
 * popcount(size) fetches when interior nodes are stored.  OUT: root.
 */
bc_status bc_merkle_tree_root(uint64_t size, bc_merkle_get_node_fn get,
                              void *ctx,
                              uint8_t root[BC_MERKLE_HASH_LEN]) BC_MUST_CHECK;

/*
 * Inclusion proof PATH(index, D[size]), RFC 9162 2.1.3.1.  At most 2 log2
 * (size) fetches when interior nodes are stored.  `proof` holds `cap`
 * hashes (BC_MERKLE_MAX_PROOF always suffices).  OUT: proof, *count.
 * BC_ERR_INVALID if index >= size; BC_ERR_RANGE if cap is too small.
 */
bc_status bc_merkle_inclusion_proof(uint64_t index, uint64_t size,
                                    bc_merkle_get_node_fn get, void *ctx,
                                    uint8_t *proof, size_t cap,
                                    size_t *count) BC_MUST_CHECK;
/*
 * Consistency proof PROOF(m, D[n]), RFC 9162 2.1.4.1, for 0 <= m <= n;
 * empty when m == 0 or m == n.  Fetches and output as above.
 * BC_ERR_INVALID if m > n.
 */
bc_status bc_merkle_consistency_proof(uint64_t m, uint64_t n,
                                      bc_merkle_get_node_fn get, void *ctx,
                                      uint8_t *proof, size_t cap,
                                      size_t *count) BC_MUST_CHECK;

/*
 * RFC 9162 2.1.3.2: does `proof` (count hashes) prove leaf hash `leaf` at
 * `index` in the tree of `size` leaves with head `root`?  BC_OK, or
 * BC_ERR_VERIFY (wrong proof, length, hash or root), or BC_ERR_INVALID if
 * index >= size.
 */
bc_status bc_merkle_verify_inclusion(
    const uint8_t leaf[BC_MERKLE_HASH_LEN], uint64_t index, uint64_t size,
    const uint8_t *proof, size_t count,
    const uint8_t root[BC_MERKLE_HASH_LEN]) BC_MUST_CHECK;
/*
 * RFC 9162 2.1.4.2: does `proof` show the tree of m leaves with head
 * `first` is a prefix of the tree of n leaves with head `second`?
 * m == n: the proof must be empty and the heads equal.  m == 0: the proof
 * must be empty and `first` the empty tree's head.  BC_OK, BC_ERR_VERIFY,
 * or BC_ERR_INVALID if m > n.
 */
bc_status bc_merkle_verify_consistency(uint64_t m, uint64_t n,
                                       const uint8_t first[BC_MERKLE_HASH_LEN],
                                       const uint8_t second[BC_MERKLE_HASH_LEN],
                                       const uint8_t *proof,
                                       size_t count) BC_MUST_CHECK;

/*
 * The frontier ("compact range" [0, n)): the tree size and the heads of
 * its popcount(n) maximal complete subtrees.  O(log n) append and root,
 * 13 + 32 * popcount(n) + 32 bytes saved.
 */
typedef struct bc_merkle_frontier bc_merkle_frontier;

/* An empty frontier, or NULL if out of memory.  Free with ..._free. */
bc_merkle_frontier *bc_merkle_frontier_new(void);
void bc_merkle_frontier_free(bc_merkle_frontier *f);
uint64_t bc_merkle_frontier_size(const bc_merkle_frontier *f);
/*
 * Appends one leaf hash (RFC 9162 2.1.1 leaf hash, not the data).  put may
 * be NULL; otherwise it is told of every node formed (see above).
 * BC_ERR_RANGE if the tree already holds 2^64 - 1 leaves.
 */
bc_status bc_merkle_frontier_append(bc_merkle_frontier *f,
                                    const uint8_t leaf[BC_MERKLE_HASH_LEN],
                                    bc_merkle_put_node_fn put,
                                    void *ctx) BC_MUST_CHECK;
/* The current MTH, O(log n) hashes.  OUT: root. */
bc_status
bc_merkle_frontier_root(const bc_merkle_frontier *f,
                        uint8_t root[BC_MERKLE_HASH_LEN]) BC_MUST_CHECK;
/* Rebuilds the frontier of `size` leaves from a store: popcount fetches. */
bc_status bc_merkle_frontier_from_store(bc_merkle_frontier *f, uint64_t size,
                                        bc_merkle_get_node_fn get,
                                        void *ctx) BC_MUST_CHECK;

/* Bytes bc_merkle_frontier_save writes for the frontier's current size. */
size_t bc_merkle_frontier_saved_len(const bc_merkle_frontier *f);
/*
 * Serializes the frontier (layout in docs/crypto-merkle.md: magic, version,
 * size, subtree heads, root).  out holds cap bytes; BC_ERR_RANGE if fewer
 * than saved_len.  OUT: out, *len.
 */
bc_status bc_merkle_frontier_save(const bc_merkle_frontier *f, uint8_t *out,
                                  size_t cap, size_t *len) BC_MUST_CHECK;
/*
 * Replaces f's state with a saved one.  BC_ERR_INVALID (f unchanged) if
 * the bytes are malformed: wrong magic, version or length for the size,
 * or a stored root that is not the root of the stored heads.
 */
bc_status bc_merkle_frontier_load(bc_merkle_frontier *f, const uint8_t *in,
                                  size_t len) BC_MUST_CHECK;

/*
 * An in-memory store of every complete subtree, for tests and for the
 * verifier, which rebuilds a whole board: 2n hashes of memory.
 */
typedef struct bc_merkle_memtree bc_merkle_memtree;

/* An empty tree, or NULL if out of memory.  Free with ..._free. */
bc_merkle_memtree *bc_merkle_memtree_new(void);
void bc_merkle_memtree_free(bc_merkle_memtree *t);
uint64_t bc_merkle_memtree_size(const bc_merkle_memtree *t);
/* Appends a leaf hash; BC_ERR_NOMEM leaves the tree unchanged. */
bc_status
bc_merkle_memtree_append(bc_merkle_memtree *t,
                         const uint8_t leaf[BC_MERKLE_HASH_LEN]) BC_MUST_CHECK;
/*
 * A bc_merkle_get_node_fn over a memtree (ctx is the bc_merkle_memtree *):
 * every complete subtree of the current size; BC_ERR_INVALID for others.
 */
bc_status
bc_merkle_memtree_get_node(void *ctx, unsigned level, uint64_t index,
                           uint8_t out[BC_MERKLE_HASH_LEN]) BC_MUST_CHECK;

#endif
