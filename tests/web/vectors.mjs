// The tests of web/crypto/, run in the browser by tests/web/run.mjs (which calls runAll()).
// Vectors are fetched from /vectors/ (the shared vectors directory served by the runner);
// window.nodeApi(name, ...args) reaches the Node side (RSA private keys, Ed25519 signing).

import * as B from '/web/crypto/bytes.js';
import * as R from '/web/crypto/blindrsa.js';
import * as H from '/web/crypto/hpke.js';
import * as M from '/web/crypto/merkle.js';
import * as E from '/web/crypto/ed25519.js';
import * as C from '/web/crypto/cast.js';
import { modInv, modPow } from '/web/crypto/bigint.js';

// ---------------------------------------------------------------------------------------------
// Harness.

const groups = {};
let cur = null;

async function group(name, fn) {
  const g = (groups[name] = { pass: 0, fail: 0, skip: 0, failures: [], ms: 0 });
  const t = performance.now();
  cur = g;
  try {
    await fn(g);
  } catch (e) {
    fail(`uncaught: ${e && e.stack ? e.stack : e}`);
  }
  g.ms = Math.round(performance.now() - t);
  cur = null;
}

function fail(what) {
  cur.fail++;
  if (cur.failures.length < 25) cur.failures.push(what);
}

function ok(cond, what) {
  if (cond === true) cur.pass++;
  else fail(what);
}

function skip(n, note) {
  cur.skip += n;
  cur.skipNote = cur.skipNote ? `${cur.skipNote}; ${note}` : note;
}

const short = (x) => (x instanceof Uint8Array ? B.toHex(x).slice(0, 40) + (x.length > 20 ? '…' : '') : String(x));

function eq(a, b, what) {
  const same = a instanceof Uint8Array && b instanceof Uint8Array && B.equal(a, b);
  ok(same, `${what}: got ${short(a)}, want ${short(b)}`);
}

async function rejects(fn, what) {
  try {
    await fn();
  } catch (e) {
    ok(e instanceof Error && e.message.length > 0, `${what}: threw without a message`);
    return;
  }
  fail(`${what}: accepted`);
}

async function refuses(fn, what) {
  // For verifiers: false or an Error are both refusals, true is a failure.
  let r;
  try {
    r = await fn();
  } catch {
    cur.pass++;
    return;
  }
  ok(r === false, `${what}: accepted`);
}

function hexv(s) {
  let h = s.startsWith('0x') ? s.slice(2) : s;
  if (h.length % 2) h = '0' + h;
  return B.fromHex(h.toLowerCase());
}

function flip(b, bit) {
  const c = b.slice();
  c[bit >> 3] ^= 1 << (bit & 7);
  return c;
}

// All bits of the first and last bytes and `count` bit positions spread over the rest.
function spreadBits(len, count) {
  const nbits = len * 8;
  const s = new Set();
  for (let i = 0; i < 8; i++) {
    s.add(i);
    s.add(nbits - 8 + i);
  }
  for (let i = 0; i < count; i++) s.add(Math.floor((i * nbits) / count + ((i * 7) % 8)) % nbits);
  return [...s].sort((a, b) => a - b);
}

const allBits = (len) => Array.from({ length: len * 8 }, (_, i) => i);

async function fetchJson(name) {
  const r = await fetch(`/vectors/${name}`);
  if (!r.ok) throw new Error(`fetch ${name}: ${r.status}`);
  return r.json();
}

const node = (name, ...args) => window.nodeApi(name, ...args);

// ---------------------------------------------------------------------------------------------
// bytes.js

async function testBytes() {
  const u = B.utf8;
  const rfc4648 = [['', ''], ['f', 'Zg'], ['fo', 'Zm8'], ['foo', 'Zm9v'], ['foob', 'Zm9vYg'], ['fooba', 'Zm9vYmE'], ['foobar', 'Zm9vYmFy']];
  for (const [plain, enc] of rfc4648) {
    ok(B.toBase64url(u(plain)) === enc, `base64url(${plain})`);
    eq(B.fromBase64url(enc), u(plain), `fromBase64url(${enc})`);
  }
  for (const bad of ['Zg==', 'Zh', 'Zm9=', 'Z', 'Zm9v ', ' Zm9v', 'Zm9v\n', 'Zm+v', 'Zm/v', 'Zm9vY', 'Zm9vYmF', 'Zm9vYmE=', 'Zm9vYR'])
    await rejects(() => B.fromBase64url(bad), `fromBase64url(${JSON.stringify(bad)})`);
  // every byte value in every position of 1..4-byte strings, and the reference btoa
  let mism = 0;
  for (let len = 1; len <= 4; len++)
    for (let pos = 0; pos < len; pos++)
      for (let v = 0; v < 256; v++) {
        const b = new Uint8Array(len).fill(0x5a);
        b[pos] = v;
        const s = B.toBase64url(b);
        const ref = btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
        if (s !== ref || !B.equal(B.fromBase64url(s), b)) mism++;
      }
  ok(mism === 0, `base64url every byte value: ${mism} mismatches`);
  // every non-canonical trailing-bit pattern is refused
  let accepted = 0;
  for (let c = 0; c < 64; c++) {
    const ch = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[c];
    for (const [pre, mask] of [['A', 15], ['AA', 3]]) {
      let threw = false;
      try {
        B.fromBase64url(pre + ch);
      } catch {
        threw = true;
      }
      if (threw !== ((c & mask) !== 0)) accepted++;
    }
  }
  ok(accepted === 0, `base64url trailing bits: ${accepted} wrong decisions`);
  for (let n = 0; n <= 100; n++) {
    const b = B.randomBytes(n);
    eq(B.fromBase64url(B.toBase64url(b)), b, `base64url round trip ${n}`);
    eq(B.fromHex(B.toHex(b)), b, `hex round trip ${n}`);
  }
  ok(B.toHex(new Uint8Array([0, 1, 0xab, 0xff])) === '0001abff', 'toHex');
  for (const bad of ['ABCD', 'abc', 'zz', '0x00', ' 00'])
    await rejects(() => B.fromHex(bad), `fromHex(${JSON.stringify(bad)})`);
  eq(B.u32be(0x01020304), B.fromHex('01020304'), 'u32be');
  eq(B.u64be(2n ** 64n - 1n), B.fromHex('ffffffffffffffff'), 'u64be max');
  eq(B.u64be(258), B.fromHex('0000000000000102'), 'u64be');
  for (const bad of [2n ** 64n, -1, 1.5, '1', 2 ** 53]) await rejects(() => B.u64be(bad), `u64be(${bad})`);
  await rejects(() => B.u32be(2 ** 32), 'u32be(2^32)');
  eq(B.lp(new Uint8Array(0)), B.fromHex('00000000'), 'lp(empty)');
  eq(B.lp('abc'), B.fromHex('00000003616263'), 'lp(abc)');
  eq(B.lp('é'), B.fromHex('00000002c3a9'), 'lp UTF-8');
  eq(B.record('x/v1', new Uint8Array([1]), 'y'), B.fromHex('00000004782f7631' + '0000000101' + '0000000179'), 'record');
  eq(B.concat(B.fromHex('01'), new Uint8Array(0), B.fromHex('0203')), B.fromHex('010203'), 'concat');
  eq(await B.sha256(u('abc')), B.fromHex('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'), 'SHA-256(abc)');
  eq(await B.sha384(u('abc')), B.fromHex('cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7'), 'SHA-384(abc)');
  ok(B.os2ip(B.fromHex('0100')) === 256n, 'os2ip');
  eq(B.i2osp(256n, 3), B.fromHex('000100'), 'i2osp');
  await rejects(() => B.i2osp(256n, 1), 'i2osp too large');
  ok(B.equal(B.fromHex('00'), B.fromHex('00')) && !B.equal(B.fromHex('00'), B.fromHex('01')) && !B.equal(B.fromHex('00'), B.fromHex('0000')), 'equal');
  await rejects(() => B.sha256('abc'), 'sha256 of a string');
}

// ---------------------------------------------------------------------------------------------
// blindrsa.js against RFC 9474 Appendix A

const otherSaltVariant = (name) => (R.VARIANTS[name].sLen === 48 ? name.replace('-PSS-', '-PSSZERO-') : name.replace('-PSSZERO-', '-PSS-'));

async function testRfc9474(haveVectors) {
  if (!haveVectors) return skip(4, 'no vectors');
  const vs = await fetchJson('rfc9474_test_vectors.json');
  ok(vs.length === 4, 'four RFC 9474 vectors');
  for (const v of vs) {
    const variant = v.name;
    const tag = variant.replace('RSABSSA-SHA384-', '');
    const n = B.os2ip(hexv(v.n));
    const e = B.os2ip(hexv(v.e));
    const d = B.os2ip(hexv(v.d));
    const spki = R.publicKeyToSpki(n, e);
    const key = await R.importPublicKey(spki);
    ok(key.modBits === 4096 && key.k === 512 && key.emLen === 512, `${tag}: key sizes`);
    const keyJ = await R.importPublicKey({ kty: 'RSA', n: B.toBase64url(hexv(v.n)), e: B.toBase64url(hexv(v.e)) });
    eq(keyJ.spki, spki, `${tag}: JWK and SPKI give the same key`);
    const params = R.VARIANTS[variant];
    ok(params.sLen === Number(v.sLen) && params.randomized === (Number(v.is_randomized) === 1), `${tag}: variant parameters`);

    const msg = hexv(v.msg);
    const prepared = R.prepare(msg, { variant, prefix: params.randomized ? hexv(v.msg_prefix) : undefined });
    eq(prepared, hexv(v.input_msg), `${tag}: prepared message`);
    const salt = hexv(v.salt);
    if (v.encoded_msg) eq(await R.emsaPssEncode(prepared, key.emBits, salt), hexv(v.encoded_msg), `${tag}: encoded_msg`);
    const invV = B.os2ip(hexv(v.inv));
    const r = B.i2osp(modInv(invV, n), key.k);
    const bl = await R.blind(key, prepared, { variant, salt, r });
    eq(bl.blindedMsg, hexv(v.blinded_msg), `${tag}: blinded_msg`);
    eq(bl.inv, B.i2osp(invV, key.k), `${tag}: inv`);
    // BlindSign with the vector's d (BigInt, test only) reproduces blind_sig
    eq(B.i2osp(modPow(B.os2ip(bl.blindedMsg), d, n), key.k), hexv(v.blind_sig), `${tag}: blind_sig (BigInt BlindSign)`);
    const sig = await R.finalize(key, prepared, hexv(v.blind_sig), bl.inv, { variant });
    eq(sig, hexv(v.sig), `${tag}: sig after Finalize`);
    eq(await R.finalize(keyJ, prepared, hexv(v.blind_sig), bl.inv, { variant }), hexv(v.sig), `${tag}: sig after Finalize (JWK key)`);
    ok((await R.verify(key, prepared, hexv(v.sig), { variant })) === true, `${tag}: Verify`);
    ok(await crypto.subtle.verify({ name: 'RSA-PSS', saltLength: params.sLen }, key.webKey, hexv(v.sig), prepared), `${tag}: WebCrypto RSA-PSS accepts sig`);
    ok((await R.verify(key, prepared, hexv(v.sig), { variant: otherSaltVariant(variant) })) === false, `${tag}: refused with the other salt length`);

    // a fresh run with random salt and r, BlindSign in BigInt with d
    const p2 = R.prepare(msg, { variant });
    ok(p2.length === msg.length + (params.randomized ? 32 : 0), `${tag}: prepare length`);
    const b2 = await R.blind(key, p2, { variant });
    const bs2 = B.i2osp(modPow(B.os2ip(b2.blindedMsg), d, n), key.k);
    const s2 = await R.finalize(key, p2, bs2, b2.inv, { variant });
    ok(await R.verify(key, p2, s2, { variant }), `${tag}: random round trip verifies`);
    if (variant === 'RSABSSA-SHA384-PSSZERO-Deterministic') eq(s2, hexv(v.sig), `${tag}: deterministic sig reproduced with random r`);
    else ok(!B.equal(b2.blindedMsg, bl.blindedMsg), `${tag}: random blinding differs`);

    if (variant !== R.PRODUCT_VARIANT) continue;
    // tampering, on the product variant
    const vsig = hexv(v.sig);
    for (const bit of spreadBits(vsig.length, 64)) await refuses(() => R.verify(key, prepared, flip(vsig, bit), { variant }), `${tag}: sig bit ${bit}`);
    for (const bit of spreadBits(prepared.length, 64)) await refuses(() => R.verify(key, flip(prepared, bit), vsig, { variant }), `${tag}: prepared bit ${bit}`);
    await refuses(() => R.verify(key, prepared.subarray(1), vsig, { variant }), `${tag}: shorter message`);
    await refuses(() => R.verify(key, B.concat(prepared, new Uint8Array(1)), vsig, { variant }), `${tag}: longer message`);
    const bsig = hexv(v.blind_sig);
    for (const bit of spreadBits(bsig.length, 16)) await rejects(() => R.finalize(key, prepared, flip(bsig, bit), bl.inv, { variant }), `${tag}: Finalize blind_sig bit ${bit}`);
    await rejects(() => R.finalize(key, prepared, bsig, flip(bl.inv, 4095), { variant }), `${tag}: Finalize with a wrong inv`);
    ok((await R.verify(key, prepared, new Uint8Array(512), { variant })) === false, `${tag}: all-zero sig`);
    ok((await R.verify(key, prepared, new Uint8Array(512).fill(255), { variant })) === false, `${tag}: all-ff sig (>= n)`);
    ok((await R.verify(key, prepared, B.i2osp(n, 512), { variant })) === false, `${tag}: sig = n`);
    await rejects(() => R.verify(key, prepared, vsig.subarray(1), { variant }), `${tag}: short sig`);
    await rejects(() => R.finalize(key, prepared, B.i2osp(n, 512), bl.inv, { variant }), `${tag}: blind_sig = n`);
    await rejects(() => R.finalize(key, prepared, bsig, new Uint8Array(512), { variant }), `${tag}: inv = 0`);
    await rejects(() => R.blind(key, prepared, { variant, salt, r: B.i2osp(n, 512) }), `${tag}: r = n`);
    await rejects(() => R.blind(key, prepared, { variant, salt, r: new Uint8Array(512) }), `${tag}: r = 0`);
    await rejects(() => R.blind(key, prepared, { variant, salt: salt.subarray(1), r }), `${tag}: short salt`);
    await rejects(() => R.verify(key, prepared, vsig, { variant: 'RSABSSA-SHA256-PSS-Randomized' }), `${tag}: unknown variant`);
    await rejects(() => R.prepare(msg, { variant, prefix: new Uint8Array(31) }), `${tag}: 31-byte prefix`);
    // each EMSA-PSS-VERIFY check on its own
    const em = await R.emsaPssEncode(prepared, key.emBits, salt);
    ok(await R.emsaPssVerify(prepared, em, key.emBits, 48), `${tag}: EMSA-PSS-VERIFY accepts`);
    const bad = [];
    const t1 = em.slice(); t1[t1.length - 1] = 0xbd; bad.push(['trailer', t1]);
    bad.push(['top bit', flip(em, 7)]);
    bad.push(['H', flip(em, (em.length - 2) * 8)]);
    bad.push(['PS byte', flip(em, 8 * 10)]);
    bad.push(['separator 01', flip(em, 8 * (em.length - 48 - 48 - 2))]);
    bad.push(['salt', flip(em, 8 * (em.length - 48 - 2))]);
    for (const [what, x] of bad) ok((await R.emsaPssVerify(prepared, x, key.emBits, 48)) === false, `${tag}: EMSA-PSS-VERIFY ${what}`);
    ok((await R.emsaPssVerify(prepared, em, key.emBits, 0)) === false, `${tag}: EMSA-PSS-VERIFY other sLen`);
    for (const bit of spreadBits(em.length, 128)) ok((await R.emsaPssVerify(prepared, flip(em, bit), key.emBits, 48)) === false, `${tag}: EM bit ${bit}`);
  }
  // key import refusals
  const v = vs[0];
  const spki = R.publicKeyToSpki(B.os2ip(hexv(v.n)), B.os2ip(hexv(v.e)));
  await rejects(() => R.importPublicKey(spki.subarray(0, spki.length - 1)), 'SPKI truncated');
  await rejects(() => R.importPublicKey(B.concat(spki, new Uint8Array(1))), 'SPKI trailing byte');
  await rejects(() => R.importPublicKey(flip(spki, 8 * 10)), 'SPKI wrong OID');
  await rejects(() => R.importPublicKey({ kty: 'RSA', n: B.toBase64url(B.concat(new Uint8Array(1), hexv(v.n))), e: 'AQAB' }), 'JWK n with a leading zero');
  await rejects(() => R.importPublicKey({ kty: 'RSA', n: B.toBase64url(hexv(v.n)), e: 'AQAC' }), 'JWK even e');
  await rejects(() => R.importPublicKey({ kty: 'RSA', n: B.toBase64url(hexv(v.n)), e: 'AQAB', d: 'AQAB' }), 'JWK private key');
  await rejects(() => R.importPublicKey({ kty: 'EC', n: B.toBase64url(hexv(v.n)), e: 'AQAB' }), 'JWK kty EC');
  await rejects(() => R.importPublicKey(R.publicKeyToSpki((1n << 1023n) + 1n, 65537n)), '1024-bit modulus');
  await rejects(() => R.importPublicKey(R.publicKeyToSpki(B.os2ip(hexv(v.n)) - 1n, 65537n)), 'even modulus');
}

// Cross-implementation: the "server" is Node (OpenSSL through node:crypto).
async function testRsaNode() {
  for (const bits of [2048, 3072, 2049]) {
    const nk = await node('rsaKeygen', bits);
    const spki = B.fromHex(nk.spki);
    const key = await R.importPublicKey(spki);
    ok(key.modBits === bits && key.k === Math.ceil(bits / 8), `${bits}: key sizes (modBits ${key.modBits})`);
    eq(key.spki, spki, `${bits}: SPKI from node:crypto is canonical`);
    const keyJ = await R.importPublicKey(nk.jwk);
    eq(keyJ.spki, spki, `${bits}: JWK from node:crypto gives the same key`);
    ok(keyJ.jwk.n === nk.jwk.n && keyJ.jwk.e === nk.jwk.e, `${bits}: JWK export`);
    const runs = bits === 2048 ? 12 : 3;
    const variants = bits === 2048 ? [...Array(runs).fill(R.PRODUCT_VARIANT), ...Object.keys(R.VARIANTS)] : [R.PRODUCT_VARIANT, R.PRODUCT_VARIANT, 'RSABSSA-SHA384-PSSZERO-Deterministic'];
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[i];
      const sLen = R.VARIANTS[variant].sLen;
      const msg = B.randomBytes((i * 37) % 128);
      const prepared = R.prepare(msg, { variant });
      const { blindedMsg, inv } = await R.blind(key, prepared, { variant });
      ok(blindedMsg.length === key.k && inv.length === key.k, `${bits}: blinded lengths`);
      const blindSig = B.fromHex(await node('rsaBlindSign', nk.id, B.toHex(blindedMsg)));
      const sig = await R.finalize(i % 2 ? keyJ : key, prepared, blindSig, inv, { variant });
      ok(await R.verify(key, prepared, sig, { variant }), `${bits} ${variant}: Verify`);
      ok(await node('rsaPssVerify', nk.id, B.toHex(prepared), B.toHex(sig), sLen), `${bits} ${variant}: OpenSSL RSA-PSS accepts the finalized signature`);
      if (i === 0) {
        for (const bit of spreadBits(sig.length, 32)) await refuses(() => R.verify(key, prepared, flip(sig, bit), { variant }), `${bits}: sig bit ${bit}`);
        for (const bit of spreadBits(blindSig.length, 8)) await rejects(() => R.finalize(key, prepared, flip(blindSig, bit), inv, { variant }), `${bits}: blind_sig bit ${bit}`);
      }
    }
    // signatures made by OpenSSL's own RSA-PSS, accepted only with the matching salt length
    for (const sLen of [48, 0]) {
      const m = B.randomBytes(64);
      const s = B.fromHex(await node('rsaPssSign', nk.id, B.toHex(m), sLen));
      ok(await R.verify(key, m, s, { variant: sLen ? 'RSABSSA-SHA384-PSS-Randomized' : 'RSABSSA-SHA384-PSSZERO-Randomized' }), `${bits}: OpenSSL PSS sLen ${sLen} accepted`);
      ok((await R.verify(key, m, s, { variant: sLen ? 'RSABSSA-SHA384-PSSZERO-Randomized' : 'RSABSSA-SHA384-PSS-Randomized' })) === false, `${bits}: OpenSSL PSS sLen ${sLen} refused with the other salt length`);
    }
    if (bits === 2048) {
      // a signature under one key is refused under another
      const nk2 = await node('rsaKeygen', 2048);
      const key2 = await R.importPublicKey(B.fromHex(nk2.spki));
      const p = R.prepare(B.randomBytes(32));
      const bl = await R.blind(key, p);
      const sig = await R.finalize(key, p, B.fromHex(await node('rsaBlindSign', nk.id, B.toHex(bl.blindedMsg))), bl.inv);
      ok((await R.verify(key2, p, sig)) === false, '2048: refused under a second key');
      await rejects(async () => R.finalize(key2, p, B.fromHex(await node('rsaBlindSign', nk2.id, B.toHex(bl.blindedMsg))), bl.inv), '2048: Finalize of the other key\'s blind signature');
      // the token layout
      const token = B.concat(p, sig);
      ok(token.length === 320, '2048: a token of a 32-byte message is 320 bytes');
      const sp = R.splitToken(key, token);
      eq(sp.prepared, p, 'splitToken prepared');
      eq(sp.sig, sig, 'splitToken sig');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// hpke.js against RFC 9180

async function testRfc9180(haveVectors) {
  if (!haveVectors) return skip(6, 'no vectors');
  const vs = await fetchJson('rfc9180_base_p256_x25519_sha256_subset.json');
  let x25519 = 0;
  let chacha = 0;
  for (const v of vs) {
    if (v.kem_id !== 16) {
      x25519++;
      continue;
    }
    if (v.aead_id === 3 && !(await H.chacha20Poly1305Supported())) {
      chacha++;
      await rejects(() => H.setupBaseS(hexv(v.pkRm), hexv(v.info), { aeadId: 3 }), 'ChaCha20-Poly1305 refused when absent');
      continue;
    }
    const tag = `P-256 aead ${v.aead_id}`;
    ok(v.mode === 0 && v.kdf_id === 1, `${tag}: base mode, HKDF-SHA256`);
    const kpR = await H.deriveKeyPair(hexv(v.ikmR));
    eq(kpR.sk, hexv(v.skRm), `${tag}: skRm`);
    eq(kpR.pk, hexv(v.pkRm), `${tag}: pkRm`);
    const kpE = await H.deriveKeyPair(hexv(v.ikmE));
    eq(kpE.sk, hexv(v.skEm), `${tag}: skEm`);
    eq(kpE.pk, hexv(v.pkEm), `${tag}: pkEm`);
    eq((await H.importPrivateKey(hexv(v.skRm))).pk, hexv(v.pkRm), `${tag}: pk from skRm`);
    const { sharedSecret, enc } = await H.encap(hexv(v.pkRm), { ikmE: hexv(v.ikmE) });
    eq(enc, hexv(v.enc), `${tag}: enc`);
    eq(sharedSecret, hexv(v.shared_secret), `${tag}: shared_secret (Encap)`);
    eq(await H.decap(hexv(v.enc), kpR), hexv(v.shared_secret), `${tag}: shared_secret (Decap)`);
    const ks = await H.keySchedule(sharedSecret, hexv(v.info), v.aead_id);
    eq(ks.keyScheduleContext, hexv(v.key_schedule_context), `${tag}: key_schedule_context`);
    eq(ks.secret, hexv(v.secret), `${tag}: secret`);
    eq(ks.key, hexv(v.key), `${tag}: key`);
    eq(ks.baseNonce, hexv(v.base_nonce), `${tag}: base_nonce`);
    eq(ks.exporterSecret, hexv(v.exporter_secret), `${tag}: exporter_secret`);
    const S = await H.setupBaseS(hexv(v.pkRm), hexv(v.info), { aeadId: v.aead_id, ikmE: hexv(v.ikmE) });
    eq(S.enc, hexv(v.enc), `${tag}: SetupBaseS enc`);
    const Rc = await H.setupBaseR(S.enc, kpR, hexv(v.info), { aeadId: v.aead_id });
    for (let i = 0; i < v.encryptions.length; i++) {
      const x = v.encryptions[i];
      const nonce = ks.baseNonce.slice();
      const seq = B.i2osp(BigInt(i), 12);
      for (let j = 0; j < 12; j++) nonce[j] ^= seq[j];
      eq(nonce, hexv(x.nonce), `${tag}: nonce of encryption ${i}`);
      ok(S.ctx.seq === BigInt(i) && Rc.seq === BigInt(i), `${tag}: sequence number ${i}`);
      const ct = await S.ctx.seal(hexv(x.aad), hexv(x.pt));
      eq(ct, hexv(x.ct), `${tag}: ct ${i}`);
      eq(await Rc.open(hexv(x.aad), hexv(x.ct)), hexv(x.pt), `${tag}: pt ${i}`);
    }
    for (const x of v.exports) {
      eq(await S.ctx.export(hexv(x.exporter_context), x.L), hexv(x.exported_value), `${tag}: export (sender) ${x.exporter_context}`);
      eq(await Rc.export(hexv(x.exporter_context), x.L), hexv(x.exported_value), `${tag}: export (recipient) ${x.exporter_context}`);
    }
  }
  skip(x25519, `${x25519} X25519 vectors (KEM not implemented, as in crypto/)`);
  if (chacha) skip(chacha, `${chacha} ChaCha20-Poly1305 (not in this browser's WebCrypto)`);
}

async function testHpkeExtra() {
  const { p, n, gx, gy } = H.P256;
  const G = B.concat(new Uint8Array([4]), B.i2osp(gx, 32), B.i2osp(gy, 32));
  eq(H.publicFromPrivate(B.i2osp(1n, 32)), G, 'sk = 1 gives G');
  eq(H.publicFromPrivate(B.i2osp(n - 1n, 32)), B.concat(new Uint8Array([4]), B.i2osp(gx, 32), B.i2osp(p - gy, 32)), 'sk = n-1 gives -G');
  for (const s of [0n, n, n + 1n, 2n ** 256n - 1n]) await rejects(() => H.publicFromPrivate(B.i2osp(s, 32)), `sk = ${s.toString(16).slice(0, 8)}… refused`);
  // BigInt sk·G against WebCrypto's own key generation
  for (let i = 0; i < 8; i++) {
    const kp = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
    const jwk = await crypto.subtle.exportKey('jwk', kp.privateKey);
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', kp.publicKey));
    eq(H.publicFromPrivate(B.fromBase64url(jwk.d)), raw, `BigInt P-256 public key = WebCrypto's (${i})`);
  }
  // bad points
  const kpR = await H.generateKeyPair();
  const pk = kpR.pk;
  const badPoints = {
    'prefix 00': B.concat(new Uint8Array([0]), pk.subarray(1)),
    compressed: B.concat(new Uint8Array([2 + (pk[64] & 1)]), pk.subarray(1, 33)),
    'compressed, 65 bytes': B.concat(new Uint8Array([2]), pk.subarray(1)),
    hybrid: B.concat(new Uint8Array([6 + (pk[64] & 1)]), pk.subarray(1)),
    '(0, 0)': B.concat(new Uint8Array([4]), new Uint8Array(64)),
    'off the curve': flip(pk, 64 * 8 + 0),
    'X = p': B.concat(new Uint8Array([4]), B.i2osp(p, 32), pk.subarray(33)),
    short: pk.subarray(0, 64),
  };
  for (const [what, x] of Object.entries(badPoints)) {
    await rejects(() => H.validatePublicKey(x), `validate: ${what}`);
    await rejects(() => H.seal(x, new Uint8Array(0), new Uint8Array(0), new Uint8Array(1)), `seal to ${what}`);
    await rejects(() => H.setupBaseR(x, kpR, new Uint8Array(0)), `open with enc ${what}`);
  }
  // round trips, single-shot, WebCrypto-generated recipient and a derived one
  const kpD = await H.deriveKeyPair(B.randomBytes(32));
  for (let i = 0; i < 12; i++) {
    const recip = i % 2 ? kpR : kpD;
    const info = B.randomBytes(i * 3);
    const aad = B.randomBytes(i * 5);
    const pt = B.randomBytes([0, 1, 15, 16, 17, 31, 32, 100, 255, 256, 299, 300][i]);
    const { enc, ct } = await H.seal(recip.pk, info, aad, pt);
    ok(enc.length === 65 && ct.length === pt.length + 16, `round trip ${i}: lengths`);
    eq(await H.open(enc, recip, info, aad, ct), pt, `round trip ${i}`);
  }
  // tampering: enc, ct, aad, info
  const info = B.utf8('ballot-seal test info');
  const aad = B.randomBytes(32);
  const pt = B.utf8('{"v":1,"poll":"x","class":"c*1","contests":{"a":[2,1]}}');
  const { enc, ct } = await H.seal(kpR.pk, info, aad, pt);
  for (const bit of allBits(ct.length)) await rejects(() => H.open(enc, kpR, info, aad, flip(ct, bit)), `ct bit ${bit}`);
  for (const bit of spreadBits(enc.length, 48)) await rejects(() => H.open(flip(enc, bit), kpR, info, aad, ct), `enc bit ${bit}`);
  for (const bit of spreadBits(aad.length, 48)) await rejects(() => H.open(enc, kpR, info, flip(aad, bit), ct), `aad bit ${bit}`);
  for (const bit of spreadBits(info.length, 48)) await rejects(() => H.open(enc, kpR, flip(info, bit), aad, ct), `info bit ${bit}`);
  await rejects(() => H.open(enc, kpR, info, aad, ct.subarray(0, ct.length - 1)), 'truncated ct');
  await rejects(() => H.open(enc, kpR, info, aad, B.concat(ct, new Uint8Array(1))), 'extended ct');
  await rejects(() => H.open(enc, kpR, info, aad, ct.subarray(0, 15)), 'ct shorter than the tag');
  await rejects(() => H.open(enc, kpD, info, aad, ct), 'another recipient key');
  // contexts: roles, order, limits
  const S = await H.setupBaseS(kpR.pk, info, { aeadId: H.AEAD_AES_128_GCM });
  const Rc = await H.setupBaseR(S.enc, kpR, info, { aeadId: H.AEAD_AES_128_GCM });
  const c0 = await S.ctx.seal(aad, B.utf8('zero'));
  const c1 = await S.ctx.seal(aad, B.utf8('one'));
  await rejects(() => Rc.open(aad, c1), 'open out of order without setSeq');
  ok(Rc.seq === 0n, 'failed open leaves seq');
  Rc.setSeq(1);
  eq(await Rc.open(aad, c1), B.utf8('one'), 'out-of-order open');
  Rc.setSeq(0);
  eq(await Rc.open(aad, c0), B.utf8('zero'), 'open seq 0');
  await rejects(() => Rc.open(aad, c0), 'replay at the next sequence number');
  await rejects(() => S.ctx.open(aad, c0), 'open on a sender');
  await rejects(() => Rc.seal(aad, c0), 'seal on a recipient');
  await rejects(() => S.ctx.setSeq(0), 'a sender moving back');
  S.ctx.setSeq(2n ** 64n - 2n);
  const cl = await S.ctx.seal(aad, B.utf8('last'));
  Rc.setSeq(2n ** 64n - 2n);
  eq(await Rc.open(aad, cl), B.utf8('last'), 'seq 2^64-2');
  await rejects(() => S.ctx.seal(aad, B.utf8('x')), 'sequence exhausted');
  await rejects(() => S.ctx.setSeq(2n ** 64n - 1n), 'setSeq to the limit');
  await rejects(() => S.ctx.export(new Uint8Array(0), 0), 'export L = 0');
  await rejects(() => S.ctx.export(new Uint8Array(0), 8161), 'export L = 8161');
  await rejects(() => S.ctx.export(new Uint8Array(513), 32), 'export context of 513 bytes');
  ok((await S.ctx.export(new Uint8Array(512), 8160)).length === 8160, 'export 8160 bytes');
  eq(await S.ctx.export(B.utf8('c'), 64), await Rc.export(B.utf8('c'), 64), 'export both sides');
  if (await H.chacha20Poly1305Supported()) {
    const Sc = await H.setupBaseS(kpR.pk, info, { aeadId: H.AEAD_CHACHA20_POLY1305 });
    const Rcc = await H.setupBaseR(Sc.enc, kpR, info, { aeadId: H.AEAD_CHACHA20_POLY1305 });
    const cc = await Sc.ctx.seal(aad, pt);
    eq(await Rcc.open(aad, cc), pt, 'ChaCha20-Poly1305 context round trip');
    for (const bit of spreadBits(cc.length, 32)) await rejects(() => Rcc.open(aad, flip(cc, bit)), `ChaCha20-Poly1305 ct bit ${bit}`);
  } else await rejects(() => H.setupBaseS(kpR.pk, info, { aeadId: H.AEAD_CHACHA20_POLY1305 }), 'ChaCha20-Poly1305 refused when absent');
  await rejects(() => H.setupBaseS(kpR.pk, info, { aeadId: 4 }), 'unknown AEAD id');
  // RFC 5869 A.1 (HKDF-SHA256, basic)
  const prk = await H.hkdfExtract(B.fromHex('000102030405060708090a0b0c'), B.fromHex('0b'.repeat(22)));
  eq(prk, B.fromHex('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5'), 'RFC 5869 A.1 PRK');
  eq(await H.hkdfExpand(prk, B.fromHex('f0f1f2f3f4f5f6f7f8f9'), 42), B.fromHex('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865'), 'RFC 5869 A.1 OKM');
  // RFC 5869 A.3 (empty salt and info)
  const prk3 = await H.hkdfExtract(new Uint8Array(0), B.fromHex('0b'.repeat(22)));
  eq(prk3, B.fromHex('19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04'), 'RFC 5869 A.3 PRK');
  eq(await H.hkdfExpand(prk3, new Uint8Array(0), 42), B.fromHex('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8'), 'RFC 5869 A.3 OKM');
  // a sealed ballot on the wire: ballot_size + 81 bytes
  const ballot = B.utf8('{"v":1}');
  const sealed = await H.seal(kpR.pk, info, aad, H.pad(ballot, 256));
  ok(B.concat(sealed.enc, sealed.ct).length === 256 + 81, 'sealed ballot is ballot_size + 81 bytes');
  eq(H.unpad(await H.open(sealed.enc, kpR, info, aad, sealed.ct)), ballot, 'sealed ballot round trip');
}

async function testPad() {
  for (let len = 0; len <= 20; len++) {
    const msg = B.randomBytes(len);
    const p = H.pad(msg, 24);
    eq(p, B.concat(B.u32be(len), msg, new Uint8Array(20 - len)), `pad layout ${len}`);
    eq(H.unpad(p), msg, `unpad ${len}`);
    for (let l = len + 1; l <= 24; l++) {
      const q = p.slice();
      q.set(B.u32be(l));
      if (l <= 20) {
        // a length field longer than the message: the message bytes now include padding zeros
        if (B.equal(p.subarray(4 + len, 4 + l), new Uint8Array(l - len))) eq(H.unpad(q), p.slice(4, 4 + l), `unpad longer length ${len}->${l}`);
      } else await rejects(() => H.unpad(q), `unpad length field ${l} in 24`);
    }
    for (let i = 4 + len; i < 24; i++) for (let b = 0; b < 8; b++) await rejects(() => H.unpad(flip(p, i * 8 + b)), `padding byte ${i} bit ${b}`);
  }
  eq(H.pad(B.randomBytes(20).fill(7), 24).subarray(4), new Uint8Array(20).fill(7), 'exactly full');
  await rejects(() => H.pad(new Uint8Array(21), 24), 'pad too long');
  await rejects(() => H.unpad(new Uint8Array(3)), 'unpad shorter than 4');
  await rejects(() => H.unpad(B.fromHex('ffffffff00')), 'unpad huge length');
  eq(H.unpad(new Uint8Array(4)), new Uint8Array(0), 'unpad empty');
}

// ---------------------------------------------------------------------------------------------
// merkle.js: RFC 6962 roots and generated RFC 9162 proofs

// The reference: MTH, PATH (2.1.3.1) and PROOF / SUBPROOF (2.1.4.1), literally recursive.
function refTree(leaves) {
  const memo = new Map();
  async function mth(a, b) {
    const key = `${a}:${b}`;
    if (!memo.has(key)) {
      memo.set(key, (async () => {
        const n = b - a;
        if (n === 0) return M.emptyRoot();
        if (n === 1) return leaves[a];
        let k = 1;
        while (k * 2 < n) k *= 2;
        return M.nodeHash(await mth(a, a + k), await mth(a + k, b));
      })());
    }
    return memo.get(key);
  }
  async function path(m, a, b) {
    const n = b - a;
    if (n <= 1) return [];
    let k = 1;
    while (k * 2 < n) k *= 2;
    if (m < k) return [...(await path(m, a, a + k)), await mth(a + k, b)];
    return [...(await path(m - k, a + k, b)), await mth(a, a + k)];
  }
  async function subproof(m, a, b, first) {
    const n = b - a;
    if (m === n) return first ? [] : [await mth(a, b)];
    let k = 1;
    while (k * 2 < n) k *= 2;
    if (m <= k) return [...(await subproof(m, a, a + k, first)), await mth(a + k, b)];
    return [...(await subproof(m - k, a + k, b, false)), await mth(a, a + k)];
  }
  return {
    root: (n) => mth(0, n),
    inclusion: (i, n) => path(i, 0, n),
    consistency: (m, n) => (m === 0 || m === n ? [] : subproof(m, 0, n, true)),
  };
}

const sameProof = (a, b) => a.length === b.length && a.every((h, i) => B.equal(h, b[i]));

async function testMerkle(haveVectors) {
  if (haveVectors) {
    const v = await fetchJson('rfc6962_merkle_vectors.json');
    const leaves = await Promise.all(v.leaf_inputs_hex.map((h) => M.leafHash(B.fromHex(h))));
    for (let n = 0; n < v.root_hash_by_tree_size_hex.length; n++)
      eq(await M.rootFromLeafHashes(leaves.slice(0, n)), B.fromHex(v.root_hash_by_tree_size_hex[n]), `RFC 6962 root of size ${n}`);
  } else skip(9, 'no vectors');
  eq(await M.leafHash(new Uint8Array(0)), B.fromHex('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d'), 'leaf hash of the empty entry');

  const MAX = 16;
  const leaves = [];
  for (let i = 0; i < 64; i++) leaves.push(await M.leafHash(B.utf8(`entry ${i}`)));
  const T = refTree(leaves);
  for (let n = 0; n <= 64; n++) eq(await M.rootFromLeafHashes(leaves.slice(0, n)), await T.root(n), `root of size ${n} = recursive MTH`);
  const roots = [];
  for (let n = 0; n <= MAX; n++) roots.push(await T.root(n));
  const incl = {};
  for (let n = 1; n <= MAX; n++) for (let i = 0; i < n; i++) incl[`${i}/${n}`] = await T.inclusion(i, n);
  const cons = {};
  for (let n = 0; n <= MAX; n++) for (let m = 0; m <= n; m++) cons[`${m}/${n}`] = await T.consistency(m, n);

  // every proof verifies
  for (let n = 1; n <= MAX; n++)
    for (let i = 0; i < n; i++) ok(await M.verifyInclusion(leaves[i], i, n, incl[`${i}/${n}`], roots[n]), `inclusion proof ${i}/${n}`);
  for (let n = 0; n <= MAX; n++)
    for (let m = 0; m <= n; m++) ok(await M.verifyConsistency(m, n, roots[m], roots[n], cons[`${m}/${n}`]), `consistency proof ${m}/${n}`);
  ok(await M.verifyInclusion(leaves[5], 5n, 13n, B.concat(...incl['5/13']), roots[13]), 'flat proof, BigInt index and size');

  // tampering. Sizes <= 8: every bit of every proof hash, of the leaf and of the root;
  // sizes 9..16: one bit of every byte (bit = byte index mod 8), first and last bytes of leaf/root.
  const bitsOf = (n) => (n <= 8 ? allBits(32) : Array.from({ length: 32 }, (_, j) => j * 8 + (j % 8)));
  const bitsLR = (n) => (n <= 8 ? allBits(32) : spreadBits(32, 0));
  let tamperOk = 0;
  let tamperBad = [];
  const refused = (r, what) => {
    if (r === false) tamperOk++;
    else if (tamperBad.length < 10) tamperBad.push(what);
    else tamperBad.push(null);
  };
  for (let n = 1; n <= MAX; n++) {
    for (let i = 0; i < n; i++) {
      const pf = incl[`${i}/${n}`];
      for (let h = 0; h < pf.length; h++)
        for (const bit of bitsOf(n)) {
          const t = pf.slice();
          t[h] = flip(pf[h], bit);
          refused(await M.verifyInclusion(leaves[i], i, n, t, roots[n]), `incl ${i}/${n} proof[${h}] bit ${bit}`);
        }
      for (const bit of bitsLR(n)) {
        refused(await M.verifyInclusion(flip(leaves[i], bit), i, n, pf, roots[n]), `incl ${i}/${n} leaf bit ${bit}`);
        refused(await M.verifyInclusion(leaves[i], i, n, pf, flip(roots[n], bit)), `incl ${i}/${n} root bit ${bit}`);
      }
      if (pf.length) refused(await M.verifyInclusion(leaves[i], i, n, pf.slice(0, -1), roots[n]), `incl ${i}/${n} truncated`);
      refused(await M.verifyInclusion(leaves[i], i, n, [...pf, roots[n]], roots[n]), `incl ${i}/${n} extended`);
      for (let j = 0; j < n; j++) if (j !== i) refused(await M.verifyInclusion(leaves[i], j, n, pf, roots[n]), `incl ${i}/${n} as index ${j}`);
      // another size with that size's true root: accepted only if the proof is that size's own
      for (let n2 = i + 1; n2 <= MAX; n2++) {
        if (n2 === n) continue;
        const r = await M.verifyInclusion(leaves[i], i, n2, pf, roots[n2]);
        const own = sameProof(pf, incl[`${i}/${n2}`]);
        if (own) ok(r === true, `incl ${i}/${n} identical to ${i}/${n2} and accepted there`);
        else refused(r, `incl ${i}/${n} presented as size ${n2}`);
      }
    }
    for (let m = 1; m < n; m++) {
      const pf = cons[`${m}/${n}`];
      for (let h = 0; h < pf.length; h++)
        for (const bit of bitsOf(n)) {
          const t = pf.slice();
          t[h] = flip(pf[h], bit);
          refused(await M.verifyConsistency(m, n, roots[m], roots[n], t), `cons ${m}/${n} proof[${h}] bit ${bit}`);
        }
      for (const bit of bitsLR(n)) {
        refused(await M.verifyConsistency(m, n, flip(roots[m], bit), roots[n], pf), `cons ${m}/${n} first bit ${bit}`);
        refused(await M.verifyConsistency(m, n, roots[m], flip(roots[n], bit), pf), `cons ${m}/${n} second bit ${bit}`);
      }
      refused(await M.verifyConsistency(m, n, roots[m], roots[n], pf.slice(0, -1)), `cons ${m}/${n} truncated`);
      refused(await M.verifyConsistency(m, n, roots[m], roots[n], [...pf, roots[n]]), `cons ${m}/${n} extended`);
      refused(await M.verifyConsistency(m, n, roots[n], roots[m], pf), `cons ${m}/${n} roots swapped`);
      for (let m2 = 1; m2 <= n; m2++) {
        if (m2 === m) continue;
        const r = await M.verifyConsistency(m2, n, roots[m2], roots[n], pf);
        if (sameProof(pf, cons[`${m2}/${n}`])) ok(r === true, `cons ${m}/${n} identical to ${m2}/${n}`);
        else refused(r, `cons ${m}/${n} presented as ${m2}/${n}`);
      }
      for (let n2 = m + 1; n2 <= MAX; n2++) {
        if (n2 === n) continue;
        const r = await M.verifyConsistency(m, n2, roots[m], roots[n2], pf);
        if (sameProof(pf, cons[`${m}/${n2}`])) ok(r === true, `cons ${m}/${n} identical to ${m}/${n2}`);
        else refused(r, `cons ${m}/${n} presented as ${m}/${n2}`);
      }
    }
    // m = n and m = 0 take only the empty proof
    refused(await M.verifyConsistency(n, n, roots[n], roots[n], [roots[n]]), `cons ${n}/${n} non-empty`);
    refused(await M.verifyConsistency(n, n, roots[n - 1], roots[n], []), `cons ${n}/${n} different roots`);
    refused(await M.verifyConsistency(0, n, roots[1], roots[n], []), `cons 0/${n} wrong first root`);
    refused(await M.verifyConsistency(0, n, roots[0], roots[n], [roots[0]]), `cons 0/${n} non-empty`);
  }
  cur.pass += tamperOk;
  for (const t of tamperBad.filter((x) => x)) fail(`accepted: ${t}`);
  if (tamperBad.length > 10) fail(`… and ${tamperBad.length - 10} more accepted`);
  await rejects(() => M.verifyInclusion(leaves[0], 3, 3, [], roots[3]), 'index = size');
  await rejects(() => M.verifyConsistency(4, 3, roots[4], roots[3], []), 'm > n');
  await rejects(() => M.verifyInclusion(leaves[0], 0, 2, new Uint8Array(31), roots[2]), 'flat proof of 31 bytes');
  await rejects(() => M.verifyInclusion(leaves[0], -1, 2, [], roots[2]), 'negative index');
  await rejects(() => M.verifyInclusion(leaves[0], 0, 2n ** 64n, [], roots[2]), 'size 2^64');
}

// ---------------------------------------------------------------------------------------------
// ed25519.js: RFC 8032 7.1 TEST 1-3, signed tree heads, receipts

const RFC8032 = [
  ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '',
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'],
  ['4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72',
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'],
  ['c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7', 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', 'af82',
    '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'],
];
const ED_L = 2n ** 252n + 27742317777372353535851937790883648493n;
const le = (b) => B.os2ip(b.slice().reverse());
const toLe = (x, n) => B.i2osp(x, n).reverse();

async function testEd25519(features) {
  if (!features.ed25519) return skip(1, 'no WebCrypto Ed25519 in this browser');
  for (let t = 0; t < RFC8032.length; t++) {
    const [seed, pkH, msgH, sigH] = RFC8032[t];
    const pk = B.fromHex(pkH);
    const msg = B.fromHex(msgH);
    const sig = B.fromHex(sigH);
    ok((await E.verify(pk, msg, sig)) === true, `TEST ${t + 1} verifies`);
    let acc = 0;
    for (const bit of allBits(64)) if ((await E.verify(pk, msg, flip(sig, bit))) !== false) acc++;
    ok(acc === 0, `TEST ${t + 1}: ${acc} of 512 flipped signatures accepted`);
    acc = 0;
    for (const bit of allBits(32)) if ((await E.verify(flip(pk, bit), msg, sig)) !== false) acc++;
    ok(acc === 0, `TEST ${t + 1}: ${acc} of 256 flipped public keys accepted`);
    for (const bit of allBits(msg.length)) ok((await E.verify(pk, flip(msg, bit), sig)) === false, `TEST ${t + 1}: message bit ${bit}`);
    ok((await E.verify(pk, B.concat(msg, new Uint8Array(1)), sig)) === false, `TEST ${t + 1}: longer message`);
    const sPlusL = le(sig.subarray(32)) + ED_L;
    ok((await E.verify(pk, msg, B.concat(sig.subarray(0, 32), toLe(sPlusL, 32)))) === false, `TEST ${t + 1}: S + L refused`);
    // WebCrypto signing from the seed (PKCS#8 of RFC 8410) reproduces the signature
    const pkcs8 = B.concat(B.fromHex('302e020100300506032b657004220420'), B.fromHex(seed));
    const sk = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
    eq(new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, sk, msg)), sig, `TEST ${t + 1}: WebCrypto signature from the seed`);
  }
  await rejects(() => E.verify(new Uint8Array(31), new Uint8Array(0), new Uint8Array(64)), 'short public key');
  await rejects(() => E.verify(new Uint8Array(32), new Uint8Array(0), new Uint8Array(63)), 'short signature');

  // signed tree head
  const root = B.randomBytes(32);
  const pollId = B.randomBytes(32);
  const sth = { treeSize: 0x0102030405n, root, timestampMs: 1700000000123, pollId };
  const enc = E.sthEncode(sth);
  ok(enc.length === E.STH_LEN && enc.length === 93, 'STH is 93 bytes');
  eq(enc, B.concat(B.utf8('ballot-sth/v1'), B.fromHex('0000000102030405'), root, B.u64be(1700000000123), pollId), 'STH layout');
  await rejects(() => E.sthEncode({ ...sth, root: new Uint8Array(31) }), 'STH short root');
  await rejects(() => E.sthEncode({ ...sth, treeSize: 2n ** 64n }), 'STH size 2^64');
  const pkcs8 = B.concat(B.fromHex('302e020100300506032b657004220420'), B.fromHex(RFC8032[0][0]));
  const sk = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
  const pk = B.fromHex(RFC8032[0][1]);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, sk, enc));
  ok(await E.verifySth(pk, sth, sig), 'STH verifies');
  let acc = 0;
  for (const bit of allBits(93)) {
    const raw = flip(enc, bit);
    if ((await E.verify(pk, raw, sig)) !== false) acc++;
  }
  ok(acc === 0, `STH: ${acc} of 744 flipped heads accepted`);
  ok((await E.verifySth(pk, { ...sth, treeSize: 0x0102030406n }, sig)) === false, 'STH other size');
  ok((await E.verifySth(pk, { ...sth, timestampMs: 1700000000124 }, sig)) === false, 'STH other time');
  // Node (OpenSSL) signs, the page verifies
  const ns = await node('ed25519Sign', B.toHex(enc));
  ok(await E.verifySth(B.fromHex(ns.pk), sth, B.fromHex(ns.sig)), 'STH signed by node:crypto verifies');
  ok((await E.verifySth(B.fromHex(ns.pk), sth, flip(B.fromHex(ns.sig), 100))) === false, 'STH signed by node:crypto, flipped');
  // receipt message
  const rc = { pollHash: pollId, leafIndex: 7, leafHash: B.randomBytes(32), treeSize: 9n, root };
  const rm = E.receiptMessage(rc);
  eq(rm, B.concat(B.lp('ballot-receipt/v1'), B.lp(pollId), B.lp(B.u64be(7)), B.lp(rc.leafHash), B.lp(B.u64be(9)), B.lp(root)), 'receipt message layout');
  ok(rm.length === 153, 'receipt message is 153 bytes');
  const nr = await node('ed25519Sign', B.toHex(rm));
  ok(await E.verifyReceipt(B.fromHex(nr.pk), rc, B.fromHex(nr.sig)), 'receipt signed by node:crypto verifies');
  ok((await E.verifyReceipt(B.fromHex(nr.pk), { ...rc, leafIndex: 8 }, B.fromHex(nr.sig))) === false, 'receipt other index');
  ok((await E.verify(B.fromHex(nr.pk), enc, B.fromHex(nr.sig))) === false, 'receipt signature is no tree-head signature');
}

// ---------------------------------------------------------------------------------------------
// ed25519.js signing and cast.js: the known answers of tests/proto/test_bytes.c (same inputs,
// same hex), RFC 8032 TEST 1-3 through sign/importSeed, fresh keys handed to Node to verify.

const HAA = 'aa'.repeat(32);
const L32 = '00000020';
// tests/proto/test_bytes.c: entry with token "T", sig "SS", ballot "", cast_sig "CC"
const KA_ENTRY =
  '0000000f' + '62616c6c6f742d656e7472792f7632' + L32 + HAA + '00000003' + '612a31' +
  '00000001' + '54' + '00000002' + '5353' + '00000000' + '00000002' + '4343';
// python3: sha256(b'\x00' + entry).hexdigest() of the entry above
const KA_ENTRY_LEAF = 'f07828030bd7c301bb47c2029a608244d0bdcecaaa7a95868b9b0b7c5bf84557';
// tests/proto/test_bytes.c: the cast-signing bytes, token "T", ballot "B"
const KA_CAST =
  '0000000e' + '62616c6c6f742d636173742f7631' + L32 + HAA + '00000003' + '612a31' +
  '00000001' + '54' + '00000001' + '42';
// tests/proto/test_bytes.c cast_sig(): key of RFC 8032 TEST 1, token = 0x11 * 32 ‖ pk,
// ballot 01 02 03, class "a*1"; the signature is node:crypto's (OpenSSL) over those bytes.
const KA_CAST_SIG =
  'a8bdf61742e1e19b37e3a614518578e80f1e02dc9ecc132d0b533919a5f92d9d6bd9b33ca28f3df584f27be6db1b8e4aba6c13d1f19a8f271f11fcc05f03ed00';

async function testCast(features, handoff) {
  const u = B.utf8;
  const haa = B.fromHex(HAA);
  // byte-exact layouts, and the leaf hash
  const entry = C.boardEntryV2(haa, 'a*1', u('T'), u('SS'), new Uint8Array(0), u('CC'));
  eq(entry, B.fromHex(KA_ENTRY), 'entry v2 = test_bytes.c');
  eq(await C.entryLeafHash(entry), B.fromHex(KA_ENTRY_LEAF), 'entry v2 leaf hash');
  eq(await C.entryLeafHash(entry), await M.leafHash(entry), 'entryLeafHash = merkle leafHash');
  eq(C.castBytes(haa, 'a*1', u('T'), u('B')), B.fromHex(KA_CAST), 'cast bytes = test_bytes.c');
  await rejects(() => C.castBytes(new Uint8Array(31), 'a*1', u('T'), u('B')), 'cast bytes: short poll hash');
  await rejects(() => C.castBytes(haa, u('a*1'), u('T'), u('B')), 'cast bytes: class id as bytes');
  await rejects(() => C.castBytes(haa, 'a*1', 'T', u('B')), 'cast bytes: token as a string');
  await rejects(() => C.boardEntryV2(haa, 'a*1', u('T'), u('SS'), new Uint8Array(0)), 'entry: no cast_sig');
  // token_id and the seal's info: the known answers of tests/proto/test_bytes.c
  eq(await C.tokenId('committee*1', new Uint8Array(64).fill(0x33)),
    B.fromHex('a1681912a01a5beedadaa2f33add383e1fe0fbeb2a25a66054c744bf926e5c62'), 'token_id = test_bytes.c');
  eq(C.sealInfo(haa, 'a*1'), B.fromHex('0000000e' + '62616c6c6f742d7365616c2f7631' + L32 + HAA + '00000003' + '612a31'),
    'seal info = test_bytes.c');
  // sealBallot: opened with the recipient's key, info and token_id as aad; the padded size fixed
  {
    const kp = await H.deriveKeyPair(new Uint8Array(32).fill(7));
    const prepared = new Uint8Array(64).fill(0x44);
    const pt = '{"v":1,"poll":"p","class":"a*1","contests":{"a":[2,1]}}';
    const sealed = await C.sealBallot(kp.pk, haa, 'a*1', prepared, pt, 256);
    ok(sealed.length === 256 + 81, 'sealed ballot is ballot_size + 81 bytes');
    const aad = await C.tokenId('a*1', prepared);
    const opened = await H.open(sealed.subarray(0, 65), kp, C.sealInfo(haa, 'a*1'), aad, sealed.subarray(65));
    eq(H.unpad(opened), u(pt), 'sealBallot opens to the padded plaintext');
    await rejects(() => H.open(sealed.subarray(0, 65), kp, C.sealInfo(haa, 'a*2'), aad, sealed.subarray(65)),
      'sealed ballot: another class does not open');
    await rejects(async () => H.open(sealed.subarray(0, 65), kp, C.sealInfo(haa, 'a*1'),
      await C.tokenId('a*1', new Uint8Array(64)), sealed.subarray(65)), 'sealed ballot: another token does not open');
    await rejects(() => C.sealBallot(kp.pk, haa, 'a*1', prepared, 'x'.repeat(253), 256), 'sealBallot: too long for ballot_size');
  }
  if (!features.ed25519) return skip(1, 'no WebCrypto Ed25519 in this browser');

  // RFC 8032 TEST 1-3 through importSeed + sign
  for (let t = 0; t < RFC8032.length; t++) {
    const [seed, pkH, msgH, sigH] = RFC8032[t];
    const sk = await E.importSeed(B.fromHex(seed));
    ok(sk.extractable === false, `TEST ${t + 1}: imported seed not extractable`);
    eq(await E.sign(sk, B.fromHex(msgH)), B.fromHex(sigH), `TEST ${t + 1}: E.sign`);
    const skx = await E.importSeed(B.fromHex(seed), { extractable: true });
    eq(new Uint8Array(await crypto.subtle.exportKey('pkcs8', skx)), B.concat(E.PKCS8_PREFIX, B.fromHex(seed)), `TEST ${t + 1}: PKCS#8 round trip`);
  }
  await rejects(() => E.importSeed(new Uint8Array(31)), 'importSeed: 31 bytes');

  // test_bytes.c cast_sig(): same key, token, ballot, poll and class
  const [seed1, pk1H] = RFC8032[0];
  const pk1 = B.fromHex(pk1H);
  const sk1 = await E.importSeed(B.fromHex(seed1));
  const token = B.concat(new Uint8Array(32).fill(0x11), pk1);
  const ballot = B.fromHex('010203');
  const hand = B.concat(
    B.fromHex('0000000e'), u('ballot-cast/v1'), B.fromHex('00000020'), haa, B.fromHex('00000003'), u('a*1'),
    B.fromHex('00000040'), token, B.fromHex('00000003'), ballot);
  ok(hand.length === 136, 'hand-built cast bytes are 136 bytes');
  eq(C.castBytes(haa, 'a*1', token, ballot), hand, 'cast bytes of cast_sig() = hand-built');
  eq(C.castPublicKey(token), pk1, 'castPublicKey');
  const cs = await C.signCast(sk1, haa, 'a*1', token, ballot);
  eq(cs, B.fromHex(KA_CAST_SIG), 'cast_sig (RFC 8032 TEST 1 key) = node:crypto');
  ok((await E.verify(pk1, hand, cs)) === true, 'cast_sig verifies over the hand-built bytes');
  ok((await C.verifyCast(haa, 'a*1', token, ballot, cs)) === true, 'verifyCast');
  ok((await C.verifyCast(haa, 'b*1', token, ballot, cs)) === false, 'verifyCast: other class');
  ok((await C.verifyCast(haa, 'a*1', token, flip(ballot, 16), cs)) === false, 'verifyCast: ballot[2] ^= 1');
  ok((await C.verifyCast(haa, 'a*1', flip(token, 0), ballot, cs)) === false, 'verifyCast: token[0] ^= 1');
  ok((await C.verifyCast(haa, 'a*1', flip(token, 63 * 8), ballot, cs)) === false, 'verifyCast: token[63] ^= 1');
  const h0 = haa.slice();
  h0[0] = 0;
  ok((await C.verifyCast(h0, 'a*1', token, ballot, cs)) === false, 'verifyCast: other poll');
  let acc = 0;
  for (const bit of allBits(64)) if ((await C.verifyCast(haa, 'a*1', token, ballot, flip(cs, bit))) !== false) acc++;
  ok(acc === 0, `cast_sig: ${acc} of 512 flipped bits accepted`);
  await rejects(() => C.verifyCast(haa, 'a*1', token.subarray(0, 63), ballot, cs), 'verifyCast: 63-byte token');
  await rejects(() => C.verifyCast(haa, 'a*1', token, ballot, cs.subarray(0, 63)), 'verifyCast: 63-byte cast_sig');
  await rejects(() => C.signCast(sk1, haa, 'a*1', token.subarray(0, 32), ballot), 'signCast: 32-byte token');
  await rejects(() => C.signCast(sk1, haa, 'a*1', B.concat(new Uint8Array(32), B.fromHex(RFC8032[1][1])), ballot), 'signCast: key not the token\'s');
  const pubKey1 = await crypto.subtle.importKey('raw', pk1, { name: 'Ed25519' }, true, ['verify']);
  await rejects(() => E.sign(pubKey1, hand), 'sign with a public key');

  // a fresh cast key: generate, export, sign a cast, entry; Node verifies after runAll returns
  const kp = await E.generateKeyPair();
  ok(kp.pk instanceof Uint8Array && kp.pk.length === 32, 'fresh public key is 32 bytes');
  ok(kp.privateKey.extractable === false && kp.publicKey.extractable === true, 'fresh private key not extractable');
  eq(await E.exportPublicKey(kp.publicKey), kp.pk, 'exportPublicKey');
  await rejects(() => crypto.subtle.exportKey('pkcs8', kp.privateKey), 'non-extractable private key exported');
  await rejects(() => E.exportPublicKey(kp.privateKey), 'exportPublicKey of a private key');
  const kpx = await E.generateKeyPair({ extractable: true });
  ok(kpx.privateKey.extractable === true, 'extractable on request');
  const seedx = new Uint8Array(await crypto.subtle.exportKey('pkcs8', kpx.privateKey)).subarray(16);
  const msgx = B.randomBytes(50);
  eq(await E.sign(await E.importSeed(seedx), msgx), await E.sign(kpx.privateKey, msgx), 'exported seed re-imported signs the same');
  const ftoken = B.concat(B.randomBytes(32), kp.pk);
  const poll = B.randomBytes(32);
  const sealed = B.randomBytes(200 + 81);
  const fsig = await C.signCast(kp.privateKey, poll, 'committee*1', ftoken, sealed);
  eq(await C.signCast(kp.privateKey, poll, 'committee*1', ftoken, sealed), fsig, 'cast_sig deterministic');
  ok((await C.verifyCast(poll, 'committee*1', ftoken, sealed, fsig)) === true, 'fresh cast verifies in the page');
  ok((await C.verifyCast(poll, 'committee*1', ftoken, sealed, flip(fsig, 77))) === false, 'fresh cast, flipped bit');
  const fmsg = C.castBytes(poll, 'committee*1', ftoken, sealed);
  const fentry = C.boardEntryV2(poll, 'committee*1', ftoken, B.randomBytes(512), sealed, fsig);
  eq(fentry.subarray(fentry.length - 68), B.concat(B.fromHex('00000040'), fsig), 'entry ends with lp(cast_sig)');
  const hex = B.toHex;
  handoff.push(
    { what: 'fresh cast key: cast_sig', pk: hex(kp.pk), msg: hex(fmsg), sig: hex(fsig), want: true },
    { what: 'fresh cast key: flipped signature bit', pk: hex(kp.pk), msg: hex(fmsg), sig: hex(flip(fsig, 300)), want: false },
    { what: 'fresh cast key: flipped message bit', pk: hex(kp.pk), msg: hex(flip(fmsg, 8 * 30)), sig: hex(fsig), want: false },
    { what: 'fresh cast key: other key', pk: hex(kpx.pk), msg: hex(fmsg), sig: hex(fsig), want: false },
    { what: 'RFC 8032 TEST 1 key: cast_sig of test_bytes.c', pk: pk1H, msg: hex(hand), sig: hex(cs), want: true },
  );
  const ext = await E.generateKeyPair({ extractable: true });
  handoff.push({ what: 'extractable fresh key: random message', pk: hex(ext.pk), msg: hex(msgx), sig: hex(await E.sign(ext.privateKey, msgx)), want: true });
}

// ---------------------------------------------------------------------------------------------

window.runAll = async function runAll({ haveVectors }) {
  const features = {
    ed25519: await E.ed25519Supported(),
    'RSA-PSS': typeof crypto.subtle.verify === 'function',
    BigInt: typeof BigInt === 'function',
    'ChaCha20-Poly1305': await H.chacha20Poly1305Supported(),
  };
  await group('bytes', testBytes);
  await group('rfc9474 blind RSA', () => testRfc9474(haveVectors));
  await group('blind RSA x node', testRsaNode);
  await group('rfc9180 HPKE', () => testRfc9180(haveVectors));
  await group('HPKE extra', testHpkeExtra);
  await group('padding', testPad);
  await group('merkle', () => testMerkle(haveVectors));
  await group('ed25519 / STH', () => testEd25519(features));
  const handoff = [];
  await group('cast (signed)', () => testCast(features, handoff));
  // handoff: Ed25519 {pk, msg, sig, want} that run.mjs checks with node:crypto after this returns
  return { browser: navigator.userAgent, features, groups, handoff };
};
