// RSA blind signatures, client side (RFC 9474): Prepare, Blind, Finalize, Verify, with
// EMSA-PSS (RFC 8017 9.1) and MGF1-SHA-384 written here. Mirrors crypto/blindrsa.c and
// crypto/emsa_pss.c (docs/crypto-blindrsa.md). BlindSign is the server's and is not here.
//
// RSA public operations, the blinding and its inverse use BigInt; the hashes are WebCrypto's
// SHA-384; every signature this module accepts is also checked by WebCrypto's own RSA-PSS verify,
// and a disagreement between the two is reported as an Error (it would be a bug, not a forgery).

import { checkBytes, concat, equal, fromBase64url, i2osp, os2ip, randomBytes, sha384, toBase64url } from './bytes.js';
import { bitLength, gcd, modInv, modPow } from './bigint.js';

const subtle = globalThis.crypto.subtle;
const HLEN = 48; // SHA-384

/**
 * The four variants of RFC 9474 section 5 (all SHA-384 / MGF1-SHA-384).
 * @type {Readonly<Record<string, {sLen: number, randomized: boolean}>>}
 */
export const VARIANTS = Object.freeze({
  'RSABSSA-SHA384-PSS-Randomized': Object.freeze({ sLen: 48, randomized: true }),
  'RSABSSA-SHA384-PSSZERO-Randomized': Object.freeze({ sLen: 0, randomized: true }),
  'RSABSSA-SHA384-PSS-Deterministic': Object.freeze({ sLen: 48, randomized: false }),
  'RSABSSA-SHA384-PSSZERO-Deterministic': Object.freeze({ sLen: 0, randomized: false }),
});

/** The product's variant (docs/protocol.md section 5). */
export const PRODUCT_VARIANT = 'RSABSSA-SHA384-PSS-Randomized';

function variantParams(name) {
  const v = Object.prototype.hasOwnProperty.call(VARIANTS, name) ? VARIANTS[name] : undefined;
  if (!v) throw new Error(`blindrsa: unknown variant ${JSON.stringify(name)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// DER for SubjectPublicKeyInfo (RFC 5280 4.1.2.7) with rsaEncryption and NULL parameters.

const RSA_ALG_ID = new Uint8Array([0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00]);

function derLen(n) {
  if (n < 0x80) return new Uint8Array([n]);
  if (n < 0x100) return new Uint8Array([0x81, n]);
  if (n < 0x10000) return new Uint8Array([0x82, n >> 8, n & 255]);
  throw new Error('der: too long');
}

function derTlv(tag, body) {
  return concat(new Uint8Array([tag]), derLen(body.length), body);
}

function derUint(x) {
  let b = i2osp(x, Math.max(1, Math.ceil(bitLength(x) / 8)));
  if (b[0] & 0x80) b = concat(new Uint8Array([0]), b);
  return derTlv(0x02, b);
}

/**
 * The canonical SPKI DER of an RSA public key, byte for byte what crypto/blindrsa.c's
 * bc_brsa_key_to_spki_der writes (294 bytes for 2048 bits).
 * @param {bigint} n
 * @param {bigint} e
 * @returns {Uint8Array}
 */
export function publicKeyToSpki(n, e) {
  const rsaPub = derTlv(0x30, concat(derUint(n), derUint(e)));
  return derTlv(0x30, concat(RSA_ALG_ID, derTlv(0x03, concat(new Uint8Array([0]), rsaPub))));
}

// Minimal DER reader: returns {tag, body, next}.
function derRead(b, off, what) {
  if (off + 2 > b.length) throw new Error(`spki: truncated ${what}`);
  const tag = b[off];
  let len = b[off + 1];
  let p = off + 2;
  if (len & 0x80) {
    const nb = len & 0x7f;
    if (nb < 1 || nb > 2 || p + nb > b.length) throw new Error(`spki: bad length of ${what}`);
    len = 0;
    for (let i = 0; i < nb; i++) len = (len << 8) | b[p + i];
    p += nb;
  }
  if (p + len > b.length) throw new Error(`spki: truncated ${what}`);
  return { tag, body: b.subarray(p, p + len), next: p + len };
}

function parseSpki(der) {
  const outer = derRead(der, 0, 'SubjectPublicKeyInfo');
  if (outer.tag !== 0x30) throw new Error('spki: not a SEQUENCE');
  if (outer.next !== der.length) throw new Error('spki: trailing bytes');
  const alg = derRead(outer.body, 0, 'AlgorithmIdentifier');
  if (!equal(outer.body.subarray(0, alg.next), RSA_ALG_ID)) throw new Error('spki: not an rsaEncryption key');
  const bits = derRead(outer.body, alg.next, 'subjectPublicKey');
  if (bits.tag !== 0x03 || bits.body.length < 1 || bits.body[0] !== 0) throw new Error('spki: bad BIT STRING');
  if (bits.next !== outer.body.length) throw new Error('spki: trailing bytes in SubjectPublicKeyInfo');
  const rsa = derRead(bits.body, 1, 'RSAPublicKey');
  if (rsa.tag !== 0x30 || rsa.next !== bits.body.length) throw new Error('spki: bad RSAPublicKey');
  const ni = derRead(rsa.body, 0, 'modulus');
  const ei = derRead(rsa.body, ni.next, 'publicExponent');
  if (ni.tag !== 0x02 || ei.tag !== 0x02 || ei.next !== rsa.body.length) throw new Error('spki: bad RSAPublicKey');
  const n = os2ip(ni.body);
  const e = os2ip(ei.body);
  // Only the canonical DER (the one crypto/ writes) is accepted: re-encode and compare.
  if (!equal(publicKeyToSpki(n, e), der)) throw new Error('spki: not canonical DER');
  return { n, e };
}

function b64uUint(s, what) {
  if (typeof s !== 'string') throw new Error(`jwk: ${what} missing`);
  const b = fromBase64url(s);
  if (b.length === 0 || b[0] === 0) throw new Error(`jwk: ${what} is not a minimal base64urlUInt`);
  return os2ip(b);
}

/**
 * @typedef {object} RsaPublicKey
 * @property {bigint} n
 * @property {bigint} e
 * @property {number} modBits  bit length of n
 * @property {number} k        modulus length in bytes
 * @property {number} emBits   modBits - 1
 * @property {number} emLen    ceil(emBits / 8)
 * @property {Uint8Array} spki canonical SubjectPublicKeyInfo DER
 * @property {{kty: string, n: string, e: string}} jwk
 * @property {CryptoKey} webKey the same key in WebCrypto, RSA-PSS / SHA-384, verify only
 */

/**
 * Imports an RSA public key (a token key) from SPKI DER (Uint8Array) or a JWK {kty:"RSA", n, e}.
 * Checks what crypto/ checks on import: 2048 to 4096 bits, n and e odd, 3 <= e < n; SPKI must be
 * the canonical DER, JWK integers minimal. The key is also imported into WebCrypto.
 * @param {Uint8Array|{kty?: string, n: string, e: string}} input
 * @returns {Promise<RsaPublicKey>}
 */
export async function importPublicKey(input) {
  let n, e;
  if (input instanceof Uint8Array) {
    ({ n, e } = parseSpki(input));
  } else if (input && typeof input === 'object') {
    if (input.kty !== undefined && input.kty !== 'RSA') throw new Error('jwk: kty is not RSA');
    if (input.d !== undefined || input.p !== undefined) throw new Error('jwk: a private key was given, a public key is expected');
    n = b64uUint(input.n, 'n');
    e = b64uUint(input.e, 'e');
  } else {
    throw new Error('importPublicKey: expected SPKI DER bytes or a JWK object');
  }
  const modBits = bitLength(n);
  if (modBits < 2048 || modBits > 4096) throw new Error(`importPublicKey: modulus of ${modBits} bits (2048 to 4096 accepted)`);
  if ((n & 1n) === 0n || (e & 1n) === 0n || e < 3n || e >= n) throw new Error('importPublicKey: invalid n or e');
  const spki = publicKeyToSpki(n, e);
  const k = Math.ceil(modBits / 8);
  const emBits = modBits - 1;
  const webKey = await subtle.importKey('spki', spki, { name: 'RSA-PSS', hash: 'SHA-384' }, false, ['verify']);
  const jwk = { kty: 'RSA', n: toBase64url(i2osp(n, k)), e: toBase64url(i2osp(e, Math.ceil(bitLength(e) / 8))) };
  return Object.freeze({ n, e, modBits, k, emBits, emLen: Math.ceil(emBits / 8), spki, jwk, webKey });
}

// ---------------------------------------------------------------------------------------------
// EMSA-PSS (RFC 8017 9.1) with SHA-384 and MGF1-SHA-384.

/**
 * MGF1 with SHA-384 (RFC 8017 B.2.1).
 * @param {Uint8Array} seed
 * @param {number} maskLen
 * @returns {Promise<Uint8Array>}
 */
export async function mgf1Sha384(seed, maskLen) {
  const out = new Uint8Array(maskLen);
  const buf = new Uint8Array(seed.length + 4);
  buf.set(seed);
  for (let c = 0, o = 0; o < maskLen; c++, o += HLEN) {
    buf[seed.length] = c >>> 24;
    buf[seed.length + 1] = (c >>> 16) & 255;
    buf[seed.length + 2] = (c >>> 8) & 255;
    buf[seed.length + 3] = c & 255;
    const h = await sha384(buf);
    out.set(h.subarray(0, Math.min(HLEN, maskLen - o)), o);
  }
  return out;
}

/**
 * EMSA-PSS-ENCODE (RFC 8017 9.1.1) with SHA-384 / MGF1-SHA-384.
 * @param {Uint8Array} M message
 * @param {number} emBits
 * @param {Uint8Array} salt sLen bytes
 * @returns {Promise<Uint8Array>} EM, ceil(emBits/8) bytes
 */
export async function emsaPssEncode(M, emBits, salt) {
  checkBytes(M, 'emsaPssEncode: M');
  checkBytes(salt, 'emsaPssEncode: salt');
  const sLen = salt.length;
  const emLen = Math.ceil(emBits / 8);
  const mHash = await sha384(M); // step 2
  if (emLen < HLEN + sLen + 2) throw new Error('emsaPssEncode: encoding error (emLen too small)'); // step 3
  const H = await sha384(concat(new Uint8Array(8), mHash, salt)); // steps 4-6
  const DB = new Uint8Array(emLen - HLEN - 1); // steps 7-8: PS ‖ 0x01 ‖ salt
  DB[emLen - sLen - HLEN - 2] = 1;
  DB.set(salt, emLen - sLen - HLEN - 1);
  const dbMask = await mgf1Sha384(H, emLen - HLEN - 1); // step 9
  for (let i = 0; i < DB.length; i++) DB[i] ^= dbMask[i]; // step 10
  DB[0] &= 0xff >> (8 * emLen - emBits); // step 11
  return concat(DB, H, new Uint8Array([0xbc])); // step 12
}

/**
 * EMSA-PSS-VERIFY (RFC 8017 9.1.2) with SHA-384 / MGF1-SHA-384 and a fixed salt length.
 * @param {Uint8Array} M
 * @param {Uint8Array} EM ceil(emBits/8) bytes
 * @param {number} emBits
 * @param {number} sLen
 * @returns {Promise<boolean>} true for "consistent"
 */
export async function emsaPssVerify(M, EM, emBits, sLen) {
  checkBytes(M, 'emsaPssVerify: M');
  checkBytes(EM, 'emsaPssVerify: EM');
  const emLen = Math.ceil(emBits / 8);
  if (EM.length !== emLen) return false;
  const mHash = await sha384(M); // step 2
  if (emLen < HLEN + sLen + 2) return false; // step 3
  if (EM[emLen - 1] !== 0xbc) return false; // step 4
  const maskedDB = EM.subarray(0, emLen - HLEN - 1); // step 5
  const H = EM.subarray(emLen - HLEN - 1, emLen - 1);
  const topMask = (0xff << (8 - (8 * emLen - emBits))) & 0xff;
  if (maskedDB[0] & topMask) return false; // step 6
  const DB = await mgf1Sha384(H, emLen - HLEN - 1); // step 7
  for (let i = 0; i < DB.length; i++) DB[i] ^= maskedDB[i]; // step 8
  DB[0] &= 0xff >> (8 * emLen - emBits); // step 9
  const psLen = emLen - HLEN - sLen - 2; // step 10
  let bad = 0;
  for (let i = 0; i < psLen; i++) bad |= DB[i];
  if (bad !== 0 || DB[psLen] !== 0x01) return false;
  const salt = DB.subarray(DB.length - sLen); // step 11
  const H2 = await sha384(concat(new Uint8Array(8), mHash, salt)); // steps 12-13
  return equal(H, H2); // step 14
}

// ---------------------------------------------------------------------------------------------
// The protocol (RFC 9474 section 4).

function checkKey(key) {
  if (!key || typeof key.n !== 'bigint' || !key.webKey) throw new Error('blindrsa: key must come from importPublicKey');
  return key;
}

/**
 * Prepare (RFC 9474 4.1): for the Randomized variants `prefix ‖ msg` with a fresh 32-byte prefix
 * (PrepareRandomize), else `msg` (PrepareIdentity). The result is what Blind, Finalize and
 * Verify take as the message, and what the voter casts as the token.
 * @param {Uint8Array} msg
 * @param {{variant?: string, prefix?: Uint8Array}} [opts] prefix: for test vectors only
 * @returns {Uint8Array}
 */
export function prepare(msg, { variant = PRODUCT_VARIANT, prefix } = {}) {
  checkBytes(msg, 'prepare: msg');
  const v = variantParams(variant);
  if (!v.randomized) {
    if (prefix !== undefined) throw new Error('prepare: a deterministic variant takes no prefix');
    return msg.slice();
  }
  const p = prefix === undefined ? randomBytes(32) : prefix;
  checkBytes(p, 'prepare: prefix');
  if (p.length !== 32) throw new Error('prepare: the prefix must be 32 bytes');
  return concat(p, msg);
}

function randomR(key) {
  const excess = 8 * key.k - key.modBits;
  for (let i = 0; i < 128; i++) {
    const b = randomBytes(key.k);
    b[0] &= 0xff >> excess;
    const r = os2ip(b);
    if (r !== 0n && r < key.n) return r;
  }
  throw new Error('blind: could not draw r');
}

/**
 * Blind (RFC 9474 4.2).
 * @param {RsaPublicKey} key
 * @param {Uint8Array} prepared the output of prepare()
 * @param {{variant?: string, salt?: Uint8Array, r?: Uint8Array}} [opts] salt and r (k bytes,
 *   1 <= r < n): for test vectors only; otherwise drawn from crypto.getRandomValues
 * @returns {Promise<{blindedMsg: Uint8Array, inv: Uint8Array}>} both k bytes; inv is secret
 *   (it links the blinded message to the token) and is needed by finalize()
 */
export async function blind(key, prepared, { variant = PRODUCT_VARIANT, salt, r } = {}) {
  checkKey(key);
  checkBytes(prepared, 'blind: prepared');
  const { sLen } = variantParams(variant);
  let s;
  if (salt === undefined) s = randomBytes(sLen);
  else {
    s = checkBytes(salt, 'blind: salt');
    if (s.length !== sLen) throw new Error(`blind: the salt must be ${sLen} bytes for ${variant}`);
  }
  const encoded = await emsaPssEncode(prepared, key.emBits, s); // step 1
  const m = os2ip(encoded); // step 2
  if (m >= key.n) throw new Error('blind: invalid input (m >= n)');
  if (gcd(m, key.n) !== 1n) throw new Error('blind: invalid input (m not coprime to n)'); // step 3
  let rr;
  let inv;
  if (r !== undefined) {
    checkBytes(r, 'blind: r');
    if (r.length !== key.k) throw new Error(`blind: r must be ${key.k} bytes`);
    rr = os2ip(r);
    if (rr === 0n || rr >= key.n) throw new Error('blind: r out of range');
    try {
      inv = modInv(rr, key.n); // step 5
    } catch {
      throw new Error('blind: blinding error (r not invertible)');
    }
  } else {
    for (let tries = 0; ; tries++) {
      rr = randomR(key); // step 4
      if (gcd(rr, key.n) === 1n) {
        inv = modInv(rr, key.n);
        break;
      }
      if (tries >= 4) throw new Error('blind: blinding error (r not invertible)');
    }
  }
  const x = modPow(rr, key.e, key.n); // step 6: RSAVP1(pk, r)
  const z = (m * x) % key.n; // step 7
  return { blindedMsg: i2osp(z, key.k), inv: i2osp(inv, key.k) }; // step 8
}

/**
 * Finalize (RFC 9474 4.4): unblinds the server's blind signature and verifies the result
 * (throws if it does not verify, so only a valid signature is ever returned).
 * @param {RsaPublicKey} key
 * @param {Uint8Array} prepared
 * @param {Uint8Array} blindSig k bytes from the server
 * @param {Uint8Array} inv k bytes from blind()
 * @param {{variant?: string}} [opts]
 * @returns {Promise<Uint8Array>} sig, k bytes: an RSASSA-PSS signature of `prepared`
 */
export async function finalize(key, prepared, blindSig, inv, { variant = PRODUCT_VARIANT } = {}) {
  checkKey(key);
  checkBytes(prepared, 'finalize: prepared');
  checkBytes(blindSig, 'finalize: blind_sig');
  checkBytes(inv, 'finalize: inv');
  variantParams(variant);
  if (blindSig.length !== key.k) throw new Error(`finalize: blind_sig must be ${key.k} bytes`); // step 1
  if (inv.length !== key.k) throw new Error(`finalize: inv must be ${key.k} bytes`);
  const z = os2ip(blindSig); // step 2
  const iv = os2ip(inv);
  if (z >= key.n) throw new Error('finalize: blind_sig out of range');
  if (iv === 0n || iv >= key.n) throw new Error('finalize: inv out of range');
  const sig = i2osp((z * iv) % key.n, key.k); // steps 3-4
  if (!(await verify(key, prepared, sig, { variant }))) throw new Error('finalize: invalid signature'); // steps 5-6
  return sig;
}

async function verifyOurs(key, prepared, sig, sLen) {
  const s = os2ip(sig);
  if (s >= key.n) return false; // RSAVP1 step 1
  const m = modPow(s, key.e, key.n);
  let EM;
  try {
    EM = i2osp(m, key.emLen);
  } catch {
    return false; // m does not fit in emLen bytes
  }
  return emsaPssVerify(prepared, EM, key.emBits, sLen);
}

/**
 * Verify (RFC 9474 4.5) = RSASSA-PSS-VERIFY (RFC 8017 8.1.2) with the variant's salt length.
 * Runs this module's EMSA-PSS-VERIFY and WebCrypto's RSA-PSS verify; both must agree (a
 * disagreement throws, since it would mean a bug in one of them).
 * @param {RsaPublicKey} key
 * @param {Uint8Array} prepared
 * @param {Uint8Array} sig k bytes
 * @param {{variant?: string}} [opts]
 * @returns {Promise<boolean>}
 */
export async function verify(key, prepared, sig, { variant = PRODUCT_VARIANT } = {}) {
  checkKey(key);
  checkBytes(prepared, 'verify: prepared');
  checkBytes(sig, 'verify: sig');
  const { sLen } = variantParams(variant);
  if (sig.length !== key.k) throw new Error(`verify: sig must be ${key.k} bytes`);
  const ours = await verifyOurs(key, prepared, sig, sLen);
  const theirs = await subtle.verify({ name: 'RSA-PSS', saltLength: sLen }, key.webKey, sig, prepared);
  if (ours !== theirs) throw new Error(`verify: internal disagreement (EMSA-PSS ${ours}, WebCrypto RSA-PSS ${theirs})`);
  return ours;
}

/**
 * Splits a token (`prepared ‖ sig`, docs/crypto-blindrsa.md "Wire encodings") at its last k bytes.
 * @param {RsaPublicKey} key
 * @param {Uint8Array} token
 * @returns {{prepared: Uint8Array, sig: Uint8Array}}
 */
export function splitToken(key, token) {
  checkKey(key);
  checkBytes(token, 'splitToken');
  if (token.length < key.k) throw new Error('splitToken: shorter than a signature');
  return { prepared: token.slice(0, token.length - key.k), sig: token.slice(token.length - key.k) };
}
