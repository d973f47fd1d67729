// Merkle tree hashing and proof verification of RFC 9162 section 2.1 (SHA-256 via WebCrypto).
// Mirrors the verification side of crypto/merkle.c (docs/crypto-merkle.md). Tree sizes and
// indices are numbers or BigInts and are handled as BigInt (JavaScript's >> is 32-bit).
//
// A proof does not bind the tree size to the root by itself: take size and root from the same
// signed tree head (ed25519.js verifySth).

import { checkBytes, checkLen, concat, equal, sha256 } from './bytes.js';

const ZERO = new Uint8Array([0]);
const ONE = new Uint8Array([1]);

/**
 * Leaf hash: SHA-256(0x00 ‖ entry) (RFC 9162 2.1.1).
 * @param {Uint8Array} entry
 * @returns {Promise<Uint8Array>}
 */
export async function leafHash(entry) {
  checkBytes(entry, 'leafHash');
  return sha256(concat(ZERO, entry));
}

/**
 * Interior node hash: SHA-256(0x01 ‖ left ‖ right) (RFC 9162 2.1.1).
 * @param {Uint8Array} left 32 bytes
 * @param {Uint8Array} right 32 bytes
 * @returns {Promise<Uint8Array>}
 */
export async function nodeHash(left, right) {
  checkLen(left, 32, 'nodeHash: left');
  checkLen(right, 32, 'nodeHash: right');
  return sha256(concat(ONE, left, right));
}

/**
 * MTH of the empty tree, SHA-256 of the empty string.
 * @returns {Promise<Uint8Array>}
 */
export async function emptyRoot() {
  return sha256(new Uint8Array(0));
}

/**
 * MTH(D[n]) from the n leaf hashes (RFC 9162 2.1.1), folding complete subtrees on a stack as
 * crypto/merkle.c does (same result as the recursive definition).
 * @param {Uint8Array[]} leafHashes
 * @returns {Promise<Uint8Array>}
 */
export async function rootFromLeafHashes(leafHashes) {
  if (!Array.isArray(leafHashes)) throw new Error('rootFromLeafHashes: expected an array');
  if (leafHashes.length === 0) return emptyRoot();
  const stack = []; // [{h, size}] sizes strictly decreasing powers of two
  for (const h of leafHashes) {
    checkLen(h, 32, 'rootFromLeafHashes: leaf hash');
    let cur = { h, size: 1 };
    while (stack.length && stack[stack.length - 1].size === cur.size) {
      const left = stack.pop();
      cur = { h: await nodeHash(left.h, cur.h), size: cur.size * 2 };
    }
    stack.push(cur);
  }
  let r = stack.pop().h;
  while (stack.length) r = await nodeHash(stack.pop().h, r);
  return r;
}

function toU64(x, what) {
  let v;
  if (typeof x === 'bigint') v = x;
  else if (typeof x === 'number' && Number.isSafeInteger(x)) v = BigInt(x);
  else throw new Error(`merkle: ${what} must be a safe integer or a BigInt`);
  if (v < 0n || v >= 1n << 64n) throw new Error(`merkle: ${what} out of range`);
  return v;
}

/**
 * A proof as an array of 32-byte hashes; a flat Uint8Array of count·32 bytes is accepted too.
 * @param {Uint8Array[]|Uint8Array} proof
 * @returns {Uint8Array[]}
 */
export function proofHashes(proof) {
  if (proof instanceof Uint8Array) {
    if (proof.length % 32) throw new Error('merkle: a flat proof must be a multiple of 32 bytes');
    const out = [];
    for (let i = 0; i < proof.length; i += 32) out.push(proof.subarray(i, i + 32));
    return out;
  }
  if (!Array.isArray(proof)) throw new Error('merkle: a proof is an array of 32-byte hashes');
  for (const p of proof) checkLen(p, 32, 'merkle: proof hash');
  return proof;
}

/**
 * Verifies an inclusion proof, RFC 9162 2.1.3.2 literally.
 * @param {Uint8Array} leaf the leaf hash (32 bytes)
 * @param {number|bigint} index leaf index
 * @param {number|bigint} size tree size
 * @param {Uint8Array[]|Uint8Array} proof
 * @param {Uint8Array} root 32 bytes
 * @returns {Promise<boolean>}
 */
export async function verifyInclusion(leaf, index, size, proof, root) {
  checkLen(leaf, 32, 'verifyInclusion: leaf hash');
  checkLen(root, 32, 'verifyInclusion: root');
  let fn = toU64(index, 'index');
  let sn = toU64(size, 'size');
  const path = proofHashes(proof);
  if (fn >= sn) throw new Error('verifyInclusion: index >= size'); // step 1
  sn -= 1n; // step 2
  let r = leaf; // step 3
  for (const p of path) { // step 4
    if (sn === 0n) return false; // a
    if ((fn & 1n) === 1n || fn === sn) { // b
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n; // c
    sn >>= 1n;
  }
  return sn === 0n && equal(r, root); // step 5
}

/**
 * Verifies a consistency proof, RFC 9162 2.1.4.2 literally; as crypto/merkle.c, m = n accepts
 * only an empty proof with equal roots and m = 0 only an empty proof with first = MTH({}).
 * @param {number|bigint} m first tree size
 * @param {number|bigint} n second tree size
 * @param {Uint8Array} first root of the first tree
 * @param {Uint8Array} second root of the second tree
 * @param {Uint8Array[]|Uint8Array} proof
 * @returns {Promise<boolean>}
 */
export async function verifyConsistency(m, n, first, second, proof) {
  checkLen(first, 32, 'verifyConsistency: first root');
  checkLen(second, 32, 'verifyConsistency: second root');
  const M = toU64(m, 'first size');
  const N = toU64(n, 'second size');
  const path = proofHashes(proof);
  if (M > N) throw new Error('verifyConsistency: first size > second size');
  if (M === N) return path.length === 0 && equal(first, second);
  if (M === 0n) return path.length === 0 && equal(first, await emptyRoot());
  if (path.length === 0) return false; // step 1
  const c = (M & (M - 1n)) === 0n ? [first, ...path] : path; // step 2
  let fn = M - 1n; // step 3
  let sn = N - 1n;
  while ((fn & 1n) === 1n) { // step 4
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = c[0]; // step 5
  let sr = c[0];
  for (let i = 1; i < c.length; i++) { // step 6
    if (sn === 0n) return false; // a
    if ((fn & 1n) === 1n || fn === sn) { // b
      fr = await nodeHash(c[i], fr);
      sr = await nodeHash(c[i], sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else { // c
      sr = await nodeHash(sr, c[i]);
    }
    fn >>= 1n; // d
    sn >>= 1n;
  }
  return equal(fr, first) && equal(sr, second) && sn === 0n; // step 7
}
