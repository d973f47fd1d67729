// Ed25519 verification (RFC 8032, pure Ed25519) with WebCrypto's "Ed25519" algorithm, the
// 93-byte signed tree head of docs/crypto-sign.md and the receipt message of docs/protocol.md
// section 8. Mirrors bc_ed25519_verify, bc_sth_encode and bc_sth_verify (crypto/sign.c).
// Signing is only for the voter's own per-token cast key (docs/protocol.md sections 5 and 7):
// generateKeyPair, exportPublicKey, importSeed (vectors, restoring a key) and sign. The page
// never holds the board key.

import { checkBytes, checkLen, concat, fromHex, u64be, utf8, record } from './bytes.js';

const ALG = { name: 'Ed25519' };

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

async function requireSupport() {
  if (!(await ed25519Supported())) throw new Error('ed25519: this browser has no WebCrypto Ed25519');
}

function checkKey(key, type, what) {
  if (!(key instanceof CryptoKey) || key.type !== type || key.algorithm.name !== 'Ed25519')
    throw new Error(`${what}: expected an Ed25519 ${type} CryptoKey`);
  return key;
}

/**
 * @typedef {object} Ed25519KeyPair
 * @property {CryptoKey} privateKey usage "sign"; extractable only if asked for
 * @property {CryptoKey} publicKey usage "verify" (always extractable, as WebCrypto makes it)
 * @property {Uint8Array} pk the 32-byte raw public key (RFC 8032 5.1.5)
 */

/**
 * A fresh Ed25519 key pair from WebCrypto's generateKey (the cast key of docs/protocol.md
 * section 5). The private key is not extractable unless `extractable` is true; a
 * non-extractable CryptoKey can still be kept in IndexedDB (structured clone).
 * @param {{extractable?: boolean}} [opts]
 * @returns {Promise<Ed25519KeyPair>}
 */
export async function generateKeyPair({ extractable = false } = {}) {
  if (typeof extractable !== 'boolean') throw new Error('ed25519 generateKeyPair: extractable must be a boolean');
  await requireSupport();
  const kp = await subtle.generateKey(ALG, extractable, ['sign', 'verify']);
  return { privateKey: kp.privateKey, publicKey: kp.publicKey, pk: await exportPublicKey(kp.publicKey) };
}

/**
 * The raw 32-byte encoding of a public key (WebCrypto exportKey "raw").
 * @param {CryptoKey} publicKey
 * @returns {Promise<Uint8Array>} 32 bytes
 */
export async function exportPublicKey(publicKey) {
  checkKey(publicKey, 'public', 'ed25519 exportPublicKey');
  const pk = new Uint8Array(await subtle.exportKey('raw', publicKey));
  checkLen(pk, 32, 'ed25519 exported public key');
  return pk;
}

/** The 16-byte PKCS#8 (RFC 8410) prefix of an Ed25519 private key; the 32-byte seed follows. */
export const PKCS8_PREFIX = fromHex('302e020100300506032b657004220420');

/**
 * Imports a private key from its 32-byte seed (RFC 8032 5.1.5 "private key"), as PKCS#8
 * (PKCS8_PREFIX ‖ seed). For the vectors and for restoring a stored seed; fresh keys come from
 * generateKeyPair.
 * @param {Uint8Array} seed 32 bytes
 * @param {{extractable?: boolean}} [opts]
 * @returns {Promise<CryptoKey>} usage "sign"
 */
export async function importSeed(seed, { extractable = false } = {}) {
  checkLen(seed, 32, 'ed25519 seed');
  await requireSupport();
  return subtle.importKey('pkcs8', concat(PKCS8_PREFIX, seed), ALG, extractable, ['sign']);
}

/**
 * The 32-byte seed (RFC 8032 private key) of an extractable private key, from its PKCS#8 export
 * (PKCS8_PREFIX ‖ seed). For the voter's page, which keeps the cast key in browser storage
 * between the token and the cast so that a reload resumes (docs/voter.md); importSeed restores it.
 * @param {CryptoKey} privateKey made with generateKeyPair({extractable: true})
 * @returns {Promise<Uint8Array>} 32 bytes (secret)
 */
export async function exportSeed(privateKey) {
  checkKey(privateKey, 'private', 'ed25519 exportSeed');
  const der = new Uint8Array(await subtle.exportKey('pkcs8', privateKey));
  checkLen(der, PKCS8_PREFIX.length + 32, 'ed25519 PKCS#8 export');
  for (let i = 0; i < PKCS8_PREFIX.length; i++)
    if (der[i] !== PKCS8_PREFIX[i]) throw new Error('ed25519 exportSeed: unexpected PKCS#8 encoding');
  return der.slice(PKCS8_PREFIX.length);
}

/**
 * Pure Ed25519 signature (RFC 8032 5.1.6) of `msg` with WebCrypto's sign. Deterministic: the
 * same key and message always give the same 64 bytes.
 * @param {CryptoKey} privateKey
 * @param {Uint8Array} msg
 * @returns {Promise<Uint8Array>} 64 bytes
 */
export async function sign(privateKey, msg) {
  checkKey(privateKey, 'private', 'ed25519 sign');
  checkBytes(msg, 'ed25519 message');
  await requireSupport();
  const sig = new Uint8Array(await subtle.sign(ALG, privateKey, msg));
  checkLen(sig, 64, 'ed25519 signature made');
  return sig;
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
