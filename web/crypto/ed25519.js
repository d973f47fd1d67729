// Ed25519 verification (RFC 8032, pure Ed25519) with WebCrypto's "Ed25519" algorithm, the
// 93-byte signed tree head of docs/crypto-sign.md and the receipt message of docs/protocol.md
// section 8. Mirrors bc_ed25519_verify, bc_sth_encode and bc_sth_verify (crypto/sign.c).
// Only verification: the page never holds the board key.

import { checkBytes, checkLen, concat, fromHex, u64be, utf8, record } from './bytes.js';

const subtle = globalThis.crypto.subtle;

// RFC 8032 7.1 TEST 1, used to probe for support.
const PROBE_PK = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const PROBE_SIG = fromHex(
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
);

let supported = null;

/**
 * Whether this browser's WebCrypto verifies Ed25519 (probed once with RFC 8032 TEST 1).
 * @returns {Promise<boolean>}
 */
export async function ed25519Supported() {
  if (supported === null) {
    try {
      const k = await subtle.importKey('raw', PROBE_PK, { name: 'Ed25519' }, false, ['verify']);
      supported = await subtle.verify({ name: 'Ed25519' }, k, PROBE_SIG, new Uint8Array(0));
    } catch {
      supported = false;
    }
  }
  return supported;
}

/**
 * Verifies a pure Ed25519 signature. Returns false for a bad signature or a public key WebCrypto
 * refuses; throws on wrong lengths or if the browser has no Ed25519.
 * @param {Uint8Array} pk 32-byte public key
 * @param {Uint8Array} msg
 * @param {Uint8Array} sig 64 bytes
 * @returns {Promise<boolean>}
 */
export async function verify(pk, msg, sig) {
  checkLen(pk, 32, 'ed25519 public key');
  checkBytes(msg, 'ed25519 message');
  checkLen(sig, 64, 'ed25519 signature');
  if (!(await ed25519Supported())) throw new Error('ed25519: this browser has no WebCrypto Ed25519');
  let key;
  try {
    key = await subtle.importKey('raw', pk, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return false; // not a point: a failed verification, as in crypto/sign.c
  }
  try {
    return await subtle.verify({ name: 'Ed25519' }, key, sig, msg);
  } catch {
    return false;
  }
}

/** Length of the signed tree head encoding. */
export const STH_LEN = 93;
const STH_LABEL = utf8('ballot-sth/v1');

/**
 * @typedef {object} TreeHead
 * @property {number|bigint} treeSize
 * @property {Uint8Array} root 32 bytes
 * @property {number|bigint} timestampMs milliseconds since the epoch
 * @property {Uint8Array} pollId 32 bytes (the poll_hash of docs/protocol.md)
 */

/**
 * The 93 bytes the board key signs (docs/crypto-sign.md): "ballot-sth/v1" ‖ u64be tree_size ‖
 * root ‖ u64be timestamp_ms ‖ poll_id.
 * @param {TreeHead} sth
 * @returns {Uint8Array}
 */
export function sthEncode({ treeSize, root, timestampMs, pollId }) {
  checkLen(root, 32, 'sth root');
  checkLen(pollId, 32, 'sth poll id');
  return concat(STH_LABEL, u64be(treeSize), root, u64be(timestampMs), pollId);
}

/**
 * Verifies a signed tree head.
 * @param {Uint8Array} pk board key, 32 bytes
 * @param {TreeHead} sth
 * @param {Uint8Array} sig 64 bytes
 * @returns {Promise<boolean>}
 */
export async function verifySth(pk, sth, sig) {
  return verify(pk, sthEncode(sth), sig);
}

/**
 * The message of a receipt signature (docs/protocol.md section 8):
 * lp("ballot-receipt/v1") ‖ lp(poll_hash) ‖ lp(u64(leaf_index)) ‖ lp(leaf_hash) ‖
 * lp(u64(tree_size)) ‖ lp(root).
 * @param {{pollHash: Uint8Array, leafIndex: number|bigint, leafHash: Uint8Array,
 *   treeSize: number|bigint, root: Uint8Array}} r
 * @returns {Uint8Array}
 */
export function receiptMessage({ pollHash, leafIndex, leafHash, treeSize, root }) {
  checkLen(pollHash, 32, 'receipt poll hash');
  checkLen(leafHash, 32, 'receipt leaf hash');
  checkLen(root, 32, 'receipt root');
  return record('ballot-receipt/v1', pollHash, u64be(leafIndex), leafHash, u64be(treeSize), root);
}

/**
 * Verifies a receipt signature (the receipt's tree head and inclusion proof are checked
 * separately with verifySth and merkle.js verifyInclusion).
 * @param {Uint8Array} pk board key
 * @param {Parameters<typeof receiptMessage>[0]} r
 * @param {Uint8Array} sig
 * @returns {Promise<boolean>}
 */
export async function verifyReceipt(pk, r, sig) {
  return verify(pk, receiptMessage(r), sig);
}
