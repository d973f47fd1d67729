// Byte helpers for the voter's page: hex, base64url, concatenation, big-endian integers,
// the lp() records of docs/protocol.md section 2, SHA-256 / SHA-384 through WebCrypto, and
// I2OSP / OS2IP between Uint8Array and BigInt.
//
// Mirrors crypto/encode.c (hex, base64url) and the byte rules of docs/protocol.md.
// Every function takes and returns Uint8Array and throws an Error on bad input.

const subtle = globalThis.crypto && globalThis.crypto.subtle;

/**
 * Throws unless `x` is a Uint8Array.
 * @param {*} x
 * @param {string} what name used in the error message
 * @returns {Uint8Array}
 */
export function checkBytes(x, what = 'value') {
  if (!(x instanceof Uint8Array)) throw new Error(`${what}: expected a Uint8Array`);
  return x;
}

/**
 * Throws unless `x` is a Uint8Array of exactly `len` bytes.
 * @param {*} x
 * @param {number} len
 * @param {string} what
 * @returns {Uint8Array}
 */
export function checkLen(x, len, what = 'value') {
  checkBytes(x, what);
  if (x.length !== len) throw new Error(`${what}: expected ${len} bytes, got ${x.length}`);
  return x;
}

const HEX = '0123456789abcdef';

/**
 * Lowercase hex of a byte string.
 * @param {Uint8Array} b
 * @returns {string}
 */
export function toHex(b) {
  checkBytes(b, 'toHex');
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  return s;
}

/**
 * Decodes hex strictly as crypto/encode.c does: lowercase 0-9 a-f only, even length.
 * @param {string} s
 * @returns {Uint8Array}
 */
export function fromHex(s) {
  if (typeof s !== 'string') throw new Error('fromHex: expected a string');
  if (s.length % 2) throw new Error('fromHex: odd length');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = HEX.indexOf(s[2 * i]);
    const lo = HEX.indexOf(s[2 * i + 1]);
    if (hi < 0 || lo < 0)
      throw new Error(`fromHex: invalid character at ${hi < 0 ? 2 * i : 2 * i + 1}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

const B64U = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * base64url without padding (RFC 4648 section 5).
 * @param {Uint8Array} b
 * @returns {string}
 */
export function toBase64url(b) {
  checkBytes(b, 'toBase64url');
  let s = '';
  let i = 0;
  for (; i + 3 <= b.length; i += 3) {
    const v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += B64U[v >> 18] + B64U[(v >> 12) & 63] + B64U[(v >> 6) & 63] + B64U[v & 63];
  }
  const r = b.length - i;
  if (r === 1) {
    const v = b[i] << 16;
    s += B64U[v >> 18] + B64U[(v >> 12) & 63];
  } else if (r === 2) {
    const v = (b[i] << 16) | (b[i + 1] << 8);
    s += B64U[v >> 18] + B64U[(v >> 12) & 63] + B64U[(v >> 6) & 63];
  }
  return s;
}

/**
 * Decodes base64url strictly (docs/protocol.md section 2, crypto/encode.c): alphabet
 * A-Z a-z 0-9 - _ only, no padding, no white space, length not 1 mod 4, and the unused bits of a
 * final group of 2 or 3 characters must be zero (RFC 4648 3.5), so every byte string has exactly
 * one accepted text.
 * @param {string} s
 * @returns {Uint8Array}
 */
export function fromBase64url(s) {
  if (typeof s !== 'string') throw new Error('fromBase64url: expected a string');
  if (s.length % 4 === 1) throw new Error('fromBase64url: impossible length');
  const vals = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const v = B64U.indexOf(s[i]);
    if (v < 0) throw new Error(`fromBase64url: invalid character at ${i}`);
    vals[i] = v;
  }
  const full = Math.floor(s.length / 4);
  const rem = s.length % 4;
  const out = new Uint8Array(full * 3 + (rem ? rem - 1 : 0));
  let o = 0;
  for (let g = 0; g < full; g++) {
    const v = (vals[4 * g] << 18) | (vals[4 * g + 1] << 12) | (vals[4 * g + 2] << 6) | vals[4 * g + 3];
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  const j = full * 4;
  if (rem === 2) {
    if (vals[j + 1] & 15) throw new Error('fromBase64url: non-zero trailing bits');
    out[o++] = (vals[j] << 2) | (vals[j + 1] >> 4);
  } else if (rem === 3) {
    if (vals[j + 2] & 3) throw new Error('fromBase64url: non-zero trailing bits');
    const v = (vals[j] << 10) | (vals[j + 1] << 4) | (vals[j + 2] >> 2);
    out[o++] = v >> 8;
    out[o++] = v & 255;
  }
  return out;
}

/**
 * Concatenation of byte strings.
 * @param {...Uint8Array} parts
 * @returns {Uint8Array}
 */
export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += checkBytes(p, 'concat').length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * UTF-8 bytes of a string (no terminating NUL).
 * @param {string} s
 * @returns {Uint8Array}
 */
export function utf8(s) {
  if (typeof s !== 'string') throw new Error('utf8: expected a string');
  return new TextEncoder().encode(s);
}

function toBigUint(n, bits, what) {
  let v;
  if (typeof n === 'bigint') v = n;
  else if (typeof n === 'number' && Number.isSafeInteger(n)) v = BigInt(n);
  else throw new Error(`${what}: expected a safe integer or a BigInt`);
  if (v < 0n || v >> BigInt(bits) !== 0n) throw new Error(`${what}: out of range for ${bits} bits`);
  return v;
}

/**
 * n as 4 bytes big-endian.
 * @param {number|bigint} n 0 <= n < 2^32
 * @returns {Uint8Array}
 */
export function u32be(n) {
  return i2osp(toBigUint(n, 32, 'u32be'), 4);
}

/**
 * n as 8 bytes big-endian (docs/protocol.md `u64`).
 * @param {number|bigint} n 0 <= n < 2^64
 * @returns {Uint8Array}
 */
export function u64be(n) {
  return i2osp(toBigUint(n, 64, 'u64be'), 8);
}

/**
 * lp(x) of docs/protocol.md section 2: the length of x as 4 bytes big-endian, then x.
 * A string is taken as its UTF-8 bytes.
 * @param {Uint8Array|string} x
 * @returns {Uint8Array}
 */
export function lp(x) {
  const b = typeof x === 'string' ? utf8(x) : checkBytes(x, 'lp');
  return concat(u32be(b.length), b);
}

/**
 * A record of docs/protocol.md section 2: lp(label) ‖ lp(field 1) ‖ lp(field 2) ‖ ...
 * Numbers must already be bytes (use u64be); strings are UTF-8.
 * @param {string} label e.g. "ballot-entry/v1"
 * @param {...(Uint8Array|string)} fields
 * @returns {Uint8Array}
 */
export function record(label, ...fields) {
  if (typeof label !== 'string' || label.length === 0) throw new Error('record: label must be a non-empty string');
  return concat(lp(label), ...fields.map(lp));
}

/**
 * SHA-256 (WebCrypto).
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array>} 32 bytes
 */
export async function sha256(data) {
  checkBytes(data, 'sha256');
  return new Uint8Array(await subtle.digest('SHA-256', data));
}

/**
 * SHA-384 (WebCrypto).
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array>} 48 bytes
 */
export async function sha384(data) {
  checkBytes(data, 'sha384');
  return new Uint8Array(await subtle.digest('SHA-384', data));
}

/**
 * OS2IP (RFC 8017 4.2): big-endian bytes to a non-negative BigInt.
 * @param {Uint8Array} b
 * @returns {bigint}
 */
export function os2ip(b) {
  checkBytes(b, 'os2ip');
  if (b.length === 0) return 0n;
  return BigInt('0x' + toHex(b));
}

/**
 * I2OSP (RFC 8017 4.1): a non-negative BigInt as exactly `len` big-endian bytes.
 * @param {bigint} x
 * @param {number} len
 * @returns {Uint8Array}
 */
export function i2osp(x, len) {
  if (typeof x !== 'bigint' || x < 0n) throw new Error('i2osp: expected a non-negative BigInt');
  if (!Number.isSafeInteger(len) || len < 0) throw new Error('i2osp: bad length');
  const out = new Uint8Array(len);
  let v = x;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 255n);
    v >>= 8n;
  }
  if (v !== 0n) throw new Error('i2osp: integer too large');
  return out;
}

/**
 * Equality of two byte strings without an early exit (JavaScript gives no constant-time
 * guarantee; see docs/web-crypto.md).
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 * @returns {boolean}
 */
export function equal(a, b) {
  checkBytes(a, 'equal');
  checkBytes(b, 'equal');
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/**
 * `n` random bytes from crypto.getRandomValues.
 * @param {number} n
 * @returns {Uint8Array}
 */
export function randomBytes(n) {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error('randomBytes: bad length');
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) globalThis.crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)));
  return out;
}
