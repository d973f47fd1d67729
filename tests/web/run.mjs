#!/usr/bin/env node
// Runs the browser crypto (web/crypto/) in headless Chromium against the published vectors.
//
//   node tests/web/run.mjs /path/to/shared/vectors
//
// Serves web/, tests/web/ and the vectors directory (under /vectors/) from a static HTTP server on
// 127.0.0.1 (ES modules do not load from file://), opens tests/web/vectors.html in Debian's
// Chromium through playwright-core, and runs the tests the page defines. Node takes the part of
// the server for the cross-implementation tests: it holds RSA private keys and does BlindSign with
// node:crypto (raw RSA, RSA_NO_PADDING), signs and verifies RSA-PSS, and signs Ed25519; after the
// page has run, it verifies the Ed25519 signatures the page made with fresh cast keys.
//
// Exit status: 0 all passed, 1 any failure, 77 the vectors directory is missing (everything that
// does not need it has still run and passed).
// Environment: CHROMIUM (default /usr/bin/chromium).

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const t0 = Date.now();
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const vectorsArg = process.argv[2];
const vectorsDir = vectorsArg ? path.resolve(vectorsArg) : null;
const haveVectors = !!vectorsDir && fs.existsSync(vectorsDir) && fs.statSync(vectorsDir).isDirectory();
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT_MS = 55_000;

if (!haveVectors) console.log(`web-crypto: vectors directory ${vectorsArg ?? '(none given)'} missing: vector tests skipped`);

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.error('web-crypto: playwright-core is not installed: run `npm ci` in tests/web');
  process.exit(1);
}
if (!fs.existsSync(chromiumPath)) {
  console.error(`web-crypto: no Chromium at ${chromiumPath} (apt-get install chromium)`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Static server.

const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html', '.json': 'application/json' };
const ROOTS = [
  ['/web/', path.join(repo, 'web')],
  ['/tests/web/', here],
  ...(haveVectors ? [['/vectors/', vectorsDir]] : []),
];

function resolveUrl(urlPath) {
  for (const [prefix, base] of ROOTS) {
    if (!urlPath.startsWith(prefix)) continue;
    const rel = urlPath.slice(prefix.length);
    if (rel.split('/').some((s) => s === '..' || s === 'node_modules')) return null;
    const file = path.resolve(base, rel);
    if (!file.startsWith(base + path.sep)) return null;
    return file;
  }
  return null;
}

const server = http.createServer((req, res) => {
  let p;
  try {
    p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  } catch {
    p = '';
  }
  if (p === '/favicon.ico') {
    res.writeHead(204);
    res.end();
    return;
  }
  const file = resolveUrl(p);
  if (req.method !== 'GET' || !file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
    'cache-control': 'no-store',
  });
  fs.createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;

// ---------------------------------------------------------------------------------------------
// Node's side of the cross-implementation tests (the "server").

const rsaKeys = new Map();
let nextKey = 1;
const b2h = (b) => Buffer.from(b).toString('hex');
const h2b = (h) => Buffer.from(h, 'hex');
const big = (b) => BigInt('0x' + (b2h(b) || '0'));

function modPow(b, e, m) {
  let r = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}

function modInv(a, m) {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return ((s0 % m) + m) % m;
}

function oddRsaKey(bits) {
  const e = 65537n;
  const u = (x) => Buffer.from(x.toString(16).padStart(2 * Math.ceil(x.toString(16).length / 2), '0'), 'hex').toString('base64url');
  for (;;) {
    const p = crypto.generatePrimeSync(Math.ceil(bits / 2), { bigint: true });
    const q = crypto.generatePrimeSync(Math.floor(bits / 2), { bigint: true });
    const n = p * q;
    if (p === q || n.toString(2).length !== bits || (p - 1n) % e === 0n || (q - 1n) % e === 0n) continue;
    const d = modInv(e, (p - 1n) * (q - 1n));
    const jwk = { kty: 'RSA', n: u(n), e: u(e), d: u(d), p: u(p), q: u(q), dp: u(d % (p - 1n)), dq: u(d % (q - 1n)), qi: u(modInv(q, p)) };
    const privateKey = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
    return { privateKey, publicKey: crypto.createPublicKey(privateKey) };
  }
}

const nodeApi = {
  // A fresh RSA key of exactly `bits` bits; returns its id and public key as SPKI DER hex and as
  // a JWK. OpenSSL's keygen rounds odd sizes, so those are built from two primes here.
  rsaKeygen(bits) {
    const { publicKey, privateKey } = bits % 8 ? oddRsaKey(bits) : crypto.generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 65537 });
    const id = nextKey++;
    const jwk = publicKey.export({ format: 'jwk' });
    rsaKeys.set(id, { publicKey, privateKey, n: big(Buffer.from(jwk.n, 'base64url')), e: big(Buffer.from(jwk.e, 'base64url')) });
    return { id, spki: b2h(publicKey.export({ type: 'spki', format: 'der' })), jwk: { kty: jwk.kty, n: jwk.n, e: jwk.e } };
  },
  // BlindSign (RFC 9474 4.3): raw RSA with OpenSSL through node:crypto, then RSAVP1 re-check.
  rsaBlindSign(id, blindedHex) {
    const k = rsaKeys.get(id);
    const blinded = h2b(blindedHex);
    const s = crypto.privateDecrypt({ key: k.privateKey, padding: crypto.constants.RSA_NO_PADDING }, blinded);
    if (modPow(big(s), k.e, k.n) !== big(blinded)) throw new Error('node BlindSign: signing failure');
    return b2h(s);
  },
  rsaPssSign(id, msgHex, saltLength) {
    const k = rsaKeys.get(id);
    return b2h(crypto.sign('sha384', h2b(msgHex), { key: k.privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength }));
  },
  rsaPssVerify(id, msgHex, sigHex, saltLength) {
    const k = rsaKeys.get(id);
    return crypto.verify('sha384', h2b(msgHex), { key: k.publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength }, h2b(sigHex));
  },
  // Ed25519 signature by Node of msgHex under a fresh key; returns {pk, sig} hex.
  ed25519Sign(msgHex) {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
    const pk = publicKey.export({ type: 'spki', format: 'der' }).subarray(12);
    return { pk: b2h(pk), sig: b2h(crypto.sign(null, h2b(msgHex), privateKey)) };
  },
};

// ---------------------------------------------------------------------------------------------
// Browser.

let browser;
let status = 1;
const killer = setTimeout(() => {
  console.error(`web-crypto: timed out after ${TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TIMEOUT_MS);
try {
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  await page.exposeFunction('nodeApi', (name, ...args) => {
    if (!Object.prototype.hasOwnProperty.call(nodeApi, name)) throw new Error(`no node api ${name}`);
    return nodeApi[name](...args);
  });
  await page.goto(`${base}/tests/web/vectors.html`);
  await page.waitForFunction(() => typeof window.runAll === 'function', null, { timeout: 10_000 });
  const result = await page.evaluate((opts) => window.runAll(opts), { haveVectors });

  console.log(`web-crypto: ${result.browser}`);
  for (const [k, v] of Object.entries(result.features)) console.log(`web-crypto: feature ${k}: ${v}`);
  let pass = 0;
  let fail = 0;
  let skip = 0;
  for (const [name, g] of Object.entries(result.groups)) {
    pass += g.pass;
    fail += g.fail;
    skip += g.skip;
    const note = g.skipNote ? ` (${g.skipNote})` : '';
    console.log(`  ${name.padEnd(22)} ${String(g.pass).padStart(6)} passed ${String(g.fail).padStart(4)} failed ${String(g.skip).padStart(4)} skipped${note}  ${g.ms} ms`);
    for (const f of g.failures) console.log(`    FAIL ${f}`);
  }
  // Ed25519 signatures the page made (fresh cast keys), handed back by page.evaluate and verified
  // here by node:crypto (OpenSSL); each entry says whether it must verify.
  {
    const t = Date.now();
    const handoff = result.handoff || [];
    const g = { pass: 0, fail: 0, failures: [] };
    if (result.features.ed25519 && handoff.length === 0) {
      g.fail++;
      g.failures.push('the page handed back no signatures');
    }
    for (const h of handoff) {
      let got;
      try {
        const key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: h2b(h.pk).toString('base64url') }, format: 'jwk' });
        got = crypto.verify(null, h2b(h.msg), key, h2b(h.sig));
      } catch (e) {
        got = `error ${e.message}`;
      }
      if (got === h.want) g.pass++;
      else {
        g.fail++;
        g.failures.push(`${h.what}: node:crypto said ${got}, want ${h.want}`);
      }
    }
    pass += g.pass;
    fail += g.fail;
    console.log(`  ${'cast x node'.padEnd(22)} ${String(g.pass).padStart(6)} passed ${String(g.fail).padStart(4)} failed ${String(0).padStart(4)} skipped  ${Date.now() - t} ms`);
    for (const f of g.failures) console.log(`    FAIL ${f}`);
  }
  for (const e of pageErrors) console.log(`  page error: ${e}`);
  if (pageErrors.length) fail += pageErrors.length;
  console.log(`web-crypto: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`${pass} passed, ${fail} failed, ${skip} skipped`);
  status = fail ? 1 : haveVectors ? 0 : 77;
} catch (e) {
  console.error(`web-crypto: ${e && e.stack ? e.stack : e}`);
  status = 1;
} finally {
  clearTimeout(killer);
  if (browser) await browser.close().catch(() => {});
  server.close();
}
process.exit(status);
