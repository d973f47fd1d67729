// HPKE (RFC 9180) base mode with DHKEM(P-256, HKDF-SHA256), HKDF-SHA256 and AES-128-GCM /
// AES-256-GCM (ChaCha20-Poly1305 where the browser has it), and the fixed-size ballot padding.
// Mirrors crypto/hpke.c and crypto/pad.c (docs/crypto-hpke.md).
//
// What runs where: ECDH (DH), HMAC-SHA-256 (HKDF-Extract and -Expand) and AES-GCM are WebCrypto.
// BigInt P-256 arithmetic is used only to compute sk·G for DeriveKeyPair (WebCrypto imports a
// private scalar only as a JWK with d, x and y) and to validate public keys; a normal seal()
// draws its ephemeral key with WebCrypto's generateKey and never touches BigInt.
// ChaCha20-Poly1305 (AEAD 0x0003) is not in standard WebCrypto: it is used where the browser has it
// (chacha20Poly1305Supported) and refused with an Error elsewhere.

import { checkBytes, concat, equal, i2osp, os2ip, toBase64url, u32be, utf8 } from './bytes.js';
import { modInv } from './bigint.js';

const subtle = globalThis.crypto.subtle;

export const MODE_BASE = 0x00;
export const KEM_P256_HKDF_SHA256 = 0x0010;
export const KDF_HKDF_SHA256 = 0x0001;
export const AEAD_AES_128_GCM = 0x0001;
export const AEAD_AES_256_GCM = 0x0002;
export const AEAD_CHACHA20_POLY1305 = 0x0003;
/** The product's AEAD (docs/crypto-hpke.md). */
export const PRODUCT_AEAD = AEAD_AES_256_GCM;

const NH = 32;
const NN = 12;
const NT = 16;
const NPK = 65;
const NSK = 32;

function aeadNk(aeadId) {
  if (aeadId === AEAD_AES_128_GCM) return 16;
  if (aeadId === AEAD_AES_256_GCM) return 32;
  if (aeadId === AEAD_CHACHA20_POLY1305) return 32;
  throw new Error(`hpke: unknown AEAD id ${aeadId}`);
}

const aeadAlg = (aeadId) => (aeadId === AEAD_CHACHA20_POLY1305 ? 'ChaCha20-Poly1305' : 'AES-GCM');

let chachaSupported = null;

/**
 * Whether this browser's WebCrypto has ChaCha20-Poly1305. It is not in the Web Cryptography API
 * Recommendation; recent Chromium has it from the WICG "Modern Algorithms in the Web Cryptography
 * API" draft, whose keys are imported with the format "raw-secret" (not "raw"). Only the RFC 9180
 * vectors use AEAD 0x0003; the product uses AES-256-GCM.
 * @returns {Promise<boolean>}
 */
export async function chacha20Poly1305Supported() {
  if (chachaSupported === null) {
    try {
      const k = await subtle.importKey('raw-secret', new Uint8Array(32), { name: 'ChaCha20-Poly1305' }, false, ['encrypt']);
      await subtle.encrypt({ name: 'ChaCha20-Poly1305', iv: new Uint8Array(12) }, k, new Uint8Array(0));
      chachaSupported = true;
    } catch {
      chachaSupported = false;
    }
  }
  return chachaSupported;
}

// ---------------------------------------------------------------------------------------------
// P-256 (SEC 2 / FIPS 186-4) in BigInt, Jacobian coordinates, a = -3.

export const P256 = Object.freeze({
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
});
const P = P256.p;

function fm(x) {
  const r = x % P;
  return r < 0n ? r + P : r;
}

function jDouble([X1, Y1, Z1]) {
  if (Z1 === 0n || Y1 === 0n) return [0n, 1n, 0n];
  const delta = fm(Z1 * Z1);
  const gamma = fm(Y1 * Y1);
  const beta = fm(X1 * gamma);
  const alpha = fm(3n * (X1 - delta) * (X1 + delta));
  const X3 = fm(alpha * alpha - 8n * beta);
  const Z3 = fm((Y1 + Z1) * (Y1 + Z1) - gamma - delta);
  const Y3 = fm(alpha * (4n * beta - X3) - 8n * gamma * gamma);
  return [X3, Y3, Z3];
}

function jAdd(A, B) {
  const [X1, Y1, Z1] = A;
  const [X2, Y2, Z2] = B;
  if (Z1 === 0n) return B;
  if (Z2 === 0n) return A;
  const Z1Z1 = fm(Z1 * Z1);
  const Z2Z2 = fm(Z2 * Z2);
  const U1 = fm(X1 * Z2Z2);
  const U2 = fm(X2 * Z1Z1);
  const S1 = fm(Y1 * Z2 * Z2Z2);
  const S2 = fm(Y2 * Z1 * Z1Z1);
  const H = fm(U2 - U1);
  const r = fm(2n * (S2 - S1));
  if (H === 0n) return r === 0n ? jDouble(A) : [0n, 1n, 0n];
  const I = fm(4n * H * H);
  const J = fm(H * I);
  const V = fm(U1 * I);
  const X3 = fm(r * r - J - 2n * V);
  const Y3 = fm(r * (V - X3) - 2n * S1 * J);
  const Z3 = fm(((Z1 + Z2) * (Z1 + Z2) - Z1Z1 - Z2Z2) * H);
  return [X3, Y3, Z3];
}

function toAffine([X, Y, Z]) {
  if (Z === 0n) return null;
  const zi = modInv(Z, P);
  const zi2 = fm(zi * zi);
  return [fm(X * zi2), fm(Y * zi2 * zi)];
}

/**
 * k·(x, y) on P-256 by double-and-add; returns null for the point at infinity.
 * Not constant-time; used for DeriveKeyPair and tests only.
 * @param {bigint} k
 * @param {[bigint, bigint]} pt affine point
 * @returns {[bigint, bigint] | null}
 */
export function p256Mul(k, [x, y]) {
  let R = [0n, 1n, 0n];
  const A = [x, y, 1n];
  const bits = k.toString(2);
  for (let i = 0; i < bits.length; i++) {
    R = jDouble(R);
    if (bits.charCodeAt(i) === 49) R = jAdd(R, A);
  }
  return toAffine(R);
}

/**
 * Whether (x, y) is a point of P-256 (coordinates below p, y² = x³ − 3x + b).
 * @param {bigint} x
 * @param {bigint} y
 * @returns {boolean}
 */
export function p256OnCurve(x, y) {
  if (x < 0n || y < 0n || x >= P || y >= P) return false;
  return fm(y * y) === fm(x * x * x - 3n * x + P256.b);
}

/**
 * Public key validation (RFC 9180 7.1.4) of a serialized P-256 point: 65 bytes, 0x04 ‖ X ‖ Y,
 * both coordinates below p, on the curve. Throws an Error naming the problem.
 * @param {Uint8Array} pk
 * @param {string} [what]
 * @returns {[bigint, bigint]} the affine point
 */
export function validatePublicKey(pk, what = 'public key') {
  checkBytes(pk, what);
  if (pk.length !== NPK) throw new Error(`hpke: ${what} must be ${NPK} bytes, got ${pk.length}`);
  if (pk[0] !== 0x04) throw new Error(`hpke: ${what} is not an uncompressed point (first byte ${pk[0]})`);
  const x = os2ip(pk.subarray(1, 33));
  const y = os2ip(pk.subarray(33, 65));
  if (!p256OnCurve(x, y)) throw new Error(`hpke: ${what} is not a point of P-256`);
  return [x, y];
}

/**
 * SerializePublicKey(sk·G) for a 32-byte scalar in [1, n-1] (RFC 9180 7.1.1, 7.1.2).
 * @param {Uint8Array} sk
 * @returns {Uint8Array} 65 bytes
 */
export function publicFromPrivate(sk) {
  checkBytes(sk, 'private key');
  if (sk.length !== NSK) throw new Error(`hpke: a private key must be ${NSK} bytes`);
  const s = os2ip(sk);
  if (s === 0n || s >= P256.n) throw new Error('hpke: private key out of range [1, n-1]');
  const [x, y] = p256Mul(s, [P256.gx, P256.gy]);
  return concat(new Uint8Array([4]), i2osp(x, 32), i2osp(y, 32));
}

// ---------------------------------------------------------------------------------------------
// HKDF-SHA256 (RFC 5869) from WebCrypto HMAC, and the labeled versions (RFC 9180 section 4).

async function hmacSha256(key, data) {
  const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, data));
}

/**
 * HKDF-Extract with SHA-256; an empty salt means 32 zero bytes (RFC 5869 2.2).
 * @param {Uint8Array} salt
 * @param {Uint8Array} ikm
 * @returns {Promise<Uint8Array>} 32 bytes
 */
export async function hkdfExtract(salt, ikm) {
  checkBytes(salt, 'hkdfExtract: salt');
  checkBytes(ikm, 'hkdfExtract: ikm');
  return hmacSha256(salt.length ? salt : new Uint8Array(NH), ikm);
}

/**
 * HKDF-Expand with SHA-256 (RFC 5869 2.3), 1 <= L <= 255·32.
 * @param {Uint8Array} prk
 * @param {Uint8Array} info
 * @param {number} L
 * @returns {Promise<Uint8Array>}
 */
export async function hkdfExpand(prk, info, L) {
  checkBytes(prk, 'hkdfExpand: prk');
  checkBytes(info, 'hkdfExpand: info');
  if (!Number.isSafeInteger(L) || L < 1 || L > 255 * NH) throw new Error('hkdfExpand: L out of range');
  if (prk.length === 0) throw new Error('hkdfExpand: empty prk');
  const key = await subtle.importKey('raw', prk, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const out = new Uint8Array(L);
  let T = new Uint8Array(0);
  for (let i = 1, o = 0; o < L; i++, o += NH) {
    T = new Uint8Array(await subtle.sign('HMAC', key, concat(T, info, new Uint8Array([i]))));
    out.set(T.subarray(0, Math.min(NH, L - o)), o);
  }
  return out;
}

const HPKE_V1 = utf8('HPKE-v1');
const KEM_SUITE_ID = concat(utf8('KEM'), i2osp(BigInt(KEM_P256_HKDF_SHA256), 2));

function hpkeSuiteId(aeadId) {
  aeadNk(aeadId);
  return concat(utf8('HPKE'), i2osp(BigInt(KEM_P256_HKDF_SHA256), 2), i2osp(BigInt(KDF_HKDF_SHA256), 2), i2osp(BigInt(aeadId), 2));
}

async function labeledExtract(suiteId, salt, label, ikm) {
  return hkdfExtract(salt, concat(HPKE_V1, suiteId, utf8(label), ikm));
}

async function labeledExpand(suiteId, prk, label, info, L) {
  return hkdfExpand(prk, concat(i2osp(BigInt(L), 2), HPKE_V1, suiteId, utf8(label), info), L);
}

// ---------------------------------------------------------------------------------------------
// The KEM: DHKEM(P-256, HKDF-SHA256) (RFC 9180 4.1, 7.1).

/**
 * @typedef {object} KeyPair
 * @property {CryptoKey} privateKey WebCrypto ECDH P-256 private key (deriveBits)
 * @property {Uint8Array} pk 65-byte serialized public key
 * @property {Uint8Array} [sk] 32-byte scalar, present when the key was derived or imported
 */

async function importScalar(sk, pk) {
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    d: toBase64url(sk),
    x: toBase64url(pk.subarray(1, 33)),
    y: toBase64url(pk.subarray(33, 65)),
  };
  return subtle.importKey('jwk', jwk, { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
}

/**
 * Imports a 32-byte private scalar (SerializePrivateKey form, in [1, n-1]) as a key pair.
 * @param {Uint8Array} sk
 * @returns {Promise<KeyPair>}
 */
export async function importPrivateKey(sk) {
  const pk = publicFromPrivate(sk);
  return { sk: sk.slice(), pk, privateKey: await importScalar(sk, pk) };
}

/**
 * DeriveKeyPair(ikm) for P-256 (RFC 9180 7.1.3).
 * @param {Uint8Array} ikm at least 32 bytes recommended
 * @returns {Promise<KeyPair>}
 */
export async function deriveKeyPair(ikm) {
  checkBytes(ikm, 'deriveKeyPair: ikm');
  const dkpPrk = await labeledExtract(KEM_SUITE_ID, new Uint8Array(0), 'dkp_prk', ikm);
  for (let counter = 0; counter < 256; counter++) {
    const bytes = await labeledExpand(KEM_SUITE_ID, dkpPrk, 'candidate', new Uint8Array([counter]), NSK);
    bytes[0] &= 0xff; // the P-256 bitmask
    const s = os2ip(bytes);
    if (s !== 0n && s < P256.n) return importPrivateKey(bytes);
  }
  throw new Error('deriveKeyPair: no candidate fits');
}

/**
 * A fresh key pair from WebCrypto's generateKey (the private key never leaves WebCrypto).
 * @returns {Promise<KeyPair>}
 */
export async function generateKeyPair() {
  const kp = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  const pk = new Uint8Array(await subtle.exportKey('raw', kp.publicKey));
  return { privateKey: kp.privateKey, pk };
}

async function dh(privateKey, pk, what) {
  validatePublicKey(pk, what);
  const pub = await subtle.importKey('raw', pk, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  const z = new Uint8Array(await subtle.deriveBits({ name: 'ECDH', public: pub }, privateKey, 256));
  if (equal(z, new Uint8Array(32))) throw new Error('hpke: DH output is zero');
  return z;
}

async function extractAndExpand(dhOut, kemContext) {
  const eaePrk = await labeledExtract(KEM_SUITE_ID, new Uint8Array(0), 'eae_prk', dhOut);
  return labeledExpand(KEM_SUITE_ID, eaePrk, 'shared_secret', kemContext, 32);
}

/**
 * Encap(pkR) (RFC 9180 4.1). Without ikmE the ephemeral key comes from WebCrypto's generateKey;
 * with ikmE (test vectors only) it is DeriveKeyPair(ikmE).
 * @param {Uint8Array} pkR 65-byte recipient public key
 * @param {{ikmE?: Uint8Array}} [opts]
 * @returns {Promise<{sharedSecret: Uint8Array, enc: Uint8Array}>}
 */
export async function encap(pkR, { ikmE } = {}) {
  validatePublicKey(pkR, 'pkR');
  const eph = ikmE === undefined ? await generateKeyPair() : await deriveKeyPair(ikmE);
  const dhOut = await dh(eph.privateKey, pkR, 'pkR');
  const enc = eph.pk;
  return { sharedSecret: await extractAndExpand(dhOut, concat(enc, pkR)), enc };
}

/**
 * Decap(enc, skR) (RFC 9180 4.1).
 * @param {Uint8Array} enc 65 bytes
 * @param {KeyPair} kpR the recipient's key pair
 * @returns {Promise<Uint8Array>} shared secret, 32 bytes
 */
export async function decap(enc, kpR) {
  checkKeyPair(kpR);
  const dhOut = await dh(kpR.privateKey, enc, 'enc');
  return extractAndExpand(dhOut, concat(enc, kpR.pk));
}

function checkKeyPair(kp) {
  if (!kp || !(kp.privateKey instanceof CryptoKey)) throw new Error('hpke: expected a key pair {privateKey, pk}');
  validatePublicKey(kp.pk, 'recipient public key');
}

// ---------------------------------------------------------------------------------------------
// Key schedule and context (RFC 9180 5.1 - 5.3).

/**
 * KeySchedule for mode_base with no PSK (RFC 9180 5.1). Returns every intermediate value (for
 * the test vectors; they are secrets).
 * @param {Uint8Array} sharedSecret
 * @param {Uint8Array} info
 * @param {number} aeadId 1 or 2
 * @returns {Promise<{keyScheduleContext: Uint8Array, secret: Uint8Array, key: Uint8Array,
 *   baseNonce: Uint8Array, exporterSecret: Uint8Array, aeadId: number}>}
 */
export async function keySchedule(sharedSecret, info, aeadId) {
  checkBytes(sharedSecret, 'keySchedule: shared secret');
  checkBytes(info, 'keySchedule: info');
  const nk = aeadNk(aeadId);
  const sid = hpkeSuiteId(aeadId);
  const empty = new Uint8Array(0);
  const pskIdHash = await labeledExtract(sid, empty, 'psk_id_hash', empty);
  const infoHash = await labeledExtract(sid, empty, 'info_hash', info);
  const keyScheduleContext = concat(new Uint8Array([MODE_BASE]), pskIdHash, infoHash);
  const secret = await labeledExtract(sid, sharedSecret, 'secret', empty);
  const key = await labeledExpand(sid, secret, 'key', keyScheduleContext, nk);
  const baseNonce = await labeledExpand(sid, secret, 'base_nonce', keyScheduleContext, NN);
  const exporterSecret = await labeledExpand(sid, secret, 'exp', keyScheduleContext, NH);
  return { keyScheduleContext, secret, key, baseNonce, exporterSecret, aeadId };
}

const SEQ_LIMIT = (1n << 64n) - 1n; // as crypto/hpke.c: the counter never reaches 2^64 - 1

/**
 * An HPKE context (RFC 9180 5.2, 5.3). Operations run one after another in call order.
 */
export class Context {
  #role;
  #key;
  #baseNonce;
  #exporterSecret;
  #sid;
  #seq = 0n;
  #queue = Promise.resolve();

  /** @private use setupBaseS / setupBaseR */
  constructor(role, aesKey, baseNonce, exporterSecret, aeadId) {
    this.#role = role;
    this.#key = aesKey;
    this.#baseNonce = baseNonce;
    this.#exporterSecret = exporterSecret;
    this.#sid = hpkeSuiteId(aeadId);
    this.aeadId = aeadId;
  }

  /** 'sender' or 'recipient' */
  get role() {
    return this.#role;
  }

  /** The next sequence number (BigInt). */
  get seq() {
    return this.#seq;
  }

  #run(fn) {
    const p = this.#queue.then(fn);
    this.#queue = p.catch(() => {});
    return p;
  }

  #params(iv, aad) {
    return this.aeadId === AEAD_CHACHA20_POLY1305
      ? { name: 'ChaCha20-Poly1305', iv, additionalData: aad }
      : { name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 };
  }

  #nonce() {
    if (this.#seq >= SEQ_LIMIT) throw new Error('hpke: sequence number exhausted');
    const n = i2osp(this.#seq, NN);
    for (let i = 0; i < NN; i++) n[i] ^= this.#baseNonce[i];
    return n;
  }

  /**
   * Lets a recipient open out of order (a sender may not go back: that would reuse a nonce).
   * @param {bigint|number} seq
   */
  setSeq(seq) {
    const s = BigInt(seq);
    if (s < 0n || s >= SEQ_LIMIT) throw new Error('hpke: sequence number out of range');
    if (this.#role === 'sender' && s < this.#seq) throw new Error('hpke: a sender may not move its sequence number back');
    this.#seq = s;
  }

  /**
   * ContextS.Seal(aad, pt): ciphertext ‖ 16-byte tag.
   * @param {Uint8Array} aad
   * @param {Uint8Array} pt
   * @returns {Promise<Uint8Array>}
   */
  seal(aad, pt) {
    return this.#run(async () => {
      if (this.#role !== 'sender') throw new Error('hpke: seal on a recipient context');
      checkBytes(aad, 'seal: aad');
      checkBytes(pt, 'seal: plaintext');
      const iv = this.#nonce();
      const ct = await subtle.encrypt(this.#params(iv, aad), this.#key, pt);
      this.#seq += 1n;
      return new Uint8Array(ct);
    });
  }

  /**
   * ContextR.Open(aad, ct); throws 'hpke: open failed' if the tag does not check (the sequence
   * number then stays where it was).
   * @param {Uint8Array} aad
   * @param {Uint8Array} ct ciphertext ‖ tag
   * @returns {Promise<Uint8Array>}
   */
  open(aad, ct) {
    return this.#run(async () => {
      if (this.#role !== 'recipient') throw new Error('hpke: open on a sender context');
      checkBytes(aad, 'open: aad');
      checkBytes(ct, 'open: ciphertext');
      if (ct.length < NT) throw new Error('hpke: ciphertext shorter than the tag');
      const iv = this.#nonce();
      let pt;
      try {
        pt = await subtle.decrypt(this.#params(iv, aad), this.#key, ct);
      } catch {
        throw new Error('hpke: open failed (authentication)');
      }
      this.#seq += 1n;
      return new Uint8Array(pt);
    });
  }

  /**
   * Context.Export(exporter_context, L) (RFC 9180 5.3); 1 <= L <= 8160, context <= 512 bytes.
   * @param {Uint8Array} exporterContext
   * @param {number} L
   * @returns {Promise<Uint8Array>}
   */
  export(exporterContext, L) {
    checkBytes(exporterContext, 'export: context');
    if (exporterContext.length > 512) throw new Error('hpke: exporter context over 512 bytes');
    if (!Number.isSafeInteger(L) || L < 1 || L > 255 * NH) throw new Error('hpke: export length out of range');
    return labeledExpand(this.#sid, this.#exporterSecret, 'sec', exporterContext, L);
  }
}

async function makeContext(role, ks) {
  if (ks.aeadId === AEAD_CHACHA20_POLY1305 && !(await chacha20Poly1305Supported()))
    throw new Error("hpke: ChaCha20-Poly1305 is not available in this browser's WebCrypto");
  const format = ks.aeadId === AEAD_CHACHA20_POLY1305 ? 'raw-secret' : 'raw';
  const key = await subtle.importKey(format, ks.key, { name: aeadAlg(ks.aeadId) }, false, ['encrypt', 'decrypt']);
  return new Context(role, key, ks.baseNonce, ks.exporterSecret, ks.aeadId);
}

/**
 * SetupBaseS(pkR, info) (RFC 9180 5.1.1).
 * @param {Uint8Array} pkR
 * @param {Uint8Array} info
 * @param {{aeadId?: number, ikmE?: Uint8Array}} [opts] ikmE: test vectors only
 * @returns {Promise<{enc: Uint8Array, ctx: Context}>}
 */
export async function setupBaseS(pkR, info, { aeadId = PRODUCT_AEAD, ikmE } = {}) {
  aeadNk(aeadId);
  const { sharedSecret, enc } = await encap(pkR, { ikmE });
  return { enc, ctx: await makeContext('sender', await keySchedule(sharedSecret, info, aeadId)) };
}

/**
 * SetupBaseR(enc, skR, info) (RFC 9180 5.1.1).
 * @param {Uint8Array} enc
 * @param {KeyPair} kpR
 * @param {Uint8Array} info
 * @param {{aeadId?: number}} [opts]
 * @returns {Promise<Context>}
 */
export async function setupBaseR(enc, kpR, info, { aeadId = PRODUCT_AEAD } = {}) {
  aeadNk(aeadId);
  const sharedSecret = await decap(enc, kpR);
  return makeContext('recipient', await keySchedule(sharedSecret, info, aeadId));
}

/**
 * Single-shot seal (RFC 9180 6.1) with the product suite (AES-256-GCM), sequence number 0.
 * The wire form of a sealed ballot is concat(enc, ct).
 * @param {Uint8Array} pkR
 * @param {Uint8Array} info
 * @param {Uint8Array} aad
 * @param {Uint8Array} pt
 * @param {{ikmE?: Uint8Array}} [opts] ikmE: tests only
 * @returns {Promise<{enc: Uint8Array, ct: Uint8Array}>}
 */
export async function seal(pkR, info, aad, pt, { ikmE } = {}) {
  const { enc, ctx } = await setupBaseS(pkR, info, { aeadId: PRODUCT_AEAD, ikmE });
  return { enc, ct: await ctx.seal(aad, pt) };
}

/**
 * Single-shot open (RFC 9180 6.1) with the product suite.
 * @param {Uint8Array} enc
 * @param {KeyPair} kpR
 * @param {Uint8Array} info
 * @param {Uint8Array} aad
 * @param {Uint8Array} ct
 * @returns {Promise<Uint8Array>}
 */
export async function open(enc, kpR, info, aad, ct) {
  const ctx = await setupBaseR(enc, kpR, info, { aeadId: PRODUCT_AEAD });
  return ctx.open(aad, ct);
}

// ---------------------------------------------------------------------------------------------
// Padding (docs/crypto-hpke.md "Padding", crypto/pad.c).

/**
 * I2OSP(len, 4) ‖ msg ‖ zero bytes, to exactly paddedLen bytes.
 * @param {Uint8Array} msg
 * @param {number} paddedLen
 * @returns {Uint8Array}
 */
export function pad(msg, paddedLen) {
  checkBytes(msg, 'pad: msg');
  if (!Number.isSafeInteger(paddedLen) || paddedLen < 4) throw new Error('pad: bad padded length');
  if (msg.length >= 2 ** 32 || 4 + msg.length > paddedLen)
    throw new Error(`pad: message of ${msg.length} bytes does not fit in ${paddedLen}`);
  const out = new Uint8Array(paddedLen);
  out.set(u32be(msg.length));
  out.set(msg, 4);
  return out;
}

/**
 * The inverse of pad(); throws if the length field is too large or any byte after the message
 * is not zero.
 * @param {Uint8Array} padded
 * @returns {Uint8Array} a copy of the message
 */
export function unpad(padded) {
  checkBytes(padded, 'unpad');
  if (padded.length < 4) throw new Error('unpad: shorter than the length field');
  const len = Number(os2ip(padded.subarray(0, 4)));
  if (len > padded.length - 4) throw new Error('unpad: length field too large');
  let nz = 0;
  for (let i = 4 + len; i < padded.length; i++) nz |= padded[i];
  if (nz !== 0) throw new Error('unpad: padding bytes are not zero');
  return padded.slice(4, 4 + len);
}
