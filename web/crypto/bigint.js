// BigInt arithmetic shared by blindrsa.js (RSA public operations, blinding) and hpke.js (P-256
// scalar multiplication for DeriveKeyPair). JavaScript BigInt is not constant-time: see
// docs/web-crypto.md for what that means here (only the voter's own secrets pass through it).

/**
 * Number of bits of a non-negative BigInt (0 for 0).
 * @param {bigint} x
 * @returns {number}
 */
export function bitLength(x) {
  if (typeof x !== 'bigint' || x < 0n) throw new Error('bitLength: expected a non-negative BigInt');
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * x mod m in [0, m).
 * @param {bigint} x
 * @param {bigint} m
 * @returns {bigint}
 */
export function mod(x, m) {
  const r = x % m;
  return r < 0n ? r + m : r;
}

/**
 * base^exp mod m by left-to-right square and multiply.
 * @param {bigint} base
 * @param {bigint} exp  >= 0
 * @param {bigint} m    > 1
 * @returns {bigint}
 */
export function modPow(base, exp, m) {
  if (typeof base !== 'bigint' || typeof exp !== 'bigint' || typeof m !== 'bigint')
    throw new Error('modPow: expected BigInts');
  if (m <= 1n || exp < 0n) throw new Error('modPow: bad modulus or exponent');
  const b = mod(base, m);
  let r = 1n;
  const bits = exp.toString(2);
  for (let i = 0; i < bits.length; i++) {
    r = (r * r) % m;
    if (bits.charCodeAt(i) === 49) r = (r * b) % m;
  }
  return r;
}

/**
 * Greatest common divisor of two non-negative BigInts.
 * @param {bigint} a
 * @param {bigint} b
 * @returns {bigint}
 */
export function gcd(a, b) {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/**
 * a^-1 mod m by the extended Euclidean algorithm; throws if gcd(a, m) != 1.
 * @param {bigint} a
 * @param {bigint} m  > 1
 * @returns {bigint}
 */
export function modInv(a, m) {
  if (typeof a !== 'bigint' || typeof m !== 'bigint' || m <= 1n) throw new Error('modInv: bad arguments');
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error('modInv: not invertible');
  return mod(s0, m);
}
