// Shared helpers of the browser drivers tests/web/voter.mjs and tests/web/pages.mjs: launching
// Debian's Chromium through playwright-core, argument parsing, and independent (node:crypto)
// implementations of the byte layouts the drivers check (docs/protocol.md sections 2 and 8).

import crypto from 'node:crypto';
import fs from 'node:fs';

/** Prints a message and exits 1. */
export function die(msg) {
  console.error(msg);
  process.exit(1);
}

/** --name value and --flag arguments; unknown options are refused. */
export function parseArgs(argv, { flags = [], values = [] }) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) die(`unexpected argument ${a}`);
    const k = a.slice(2);
    if (flags.includes(k)) out[k] = true;
    else if (values.includes(k)) {
      if (i + 1 >= argv.length) die(`${a}: missing value`);
      out[k] = argv[++i];
    } else die(`unknown option ${a}`);
  }
  return out;
}

/** Debian's Chromium, headless, with the flags of tests/web/run.mjs. */
export async function launch() {
  const exe = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(exe)) die(`no Chromium at ${exe} (apt-get install chromium)`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    die('playwright-core is missing: (cd tests/web && npm ci)');
  }
  return chromium.launch({
    executablePath: exe,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export function sha256(b) {
  return crypto.createHash('sha256').update(b).digest();
}

/** Splits lp(x1) ‖ lp(x2) ‖ ... into its fields. */
export function lpFields(b) {
  const out = [];
  let o = 0;
  while (o < b.length) {
    if (o + 4 > b.length) throw new Error('lp: truncated length');
    const n = b.readUInt32BE(o);
    if (o + 4 + n > b.length) throw new Error('lp: truncated field');
    out.push(b.subarray(o + 4, o + 4 + n));
    o += 4 + n;
  }
  return out;
}

function lp(b) {
  const n = Buffer.alloc(4);
  n.writeUInt32BE(b.length);
  return Buffer.concat([n, b]);
}

function u64(n) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** Ed25519 verification with node:crypto (raw 32-byte key). */
export function verifyEd25519(pk, msg, sig) {
  const key = crypto.createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pk]), format: 'der', type: 'spki' });
  return crypto.verify(null, msg, key, sig);
}

/** The 93 signed bytes of a tree head (wire form): "ballot-sth/v1" ‖ u64 size ‖ root ‖ u64 time ‖ poll_hash. */
export function sthBytes(sth) {
  return Buffer.concat([Buffer.from('ballot-sth/v1'), u64(sth.tree_size), Buffer.from(sth.root, 'hex'), u64(sth.timestamp_ms), Buffer.from(sth.poll_hash, 'hex')]);
}

/** lp("ballot-receipt/v1") ‖ lp(poll_hash) ‖ lp(u64 leaf_index) ‖ lp(leaf_hash) ‖ lp(u64 tree_size) ‖ lp(root). */
export function receiptBytes(pollHash, leafIndex, leafHash, treeSize, root) {
  return Buffer.concat([lp(Buffer.from('ballot-receipt/v1')), lp(pollHash), lp(u64(leafIndex)), lp(leafHash), lp(u64(treeSize)), lp(root)]);
}

/** Buttons, inputs, selects and links without an accessible name (visible ones). */
export async function checkAccessibleNames(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const e of document.querySelectorAll('button, input, select, textarea, a[href]')) {
      if (e.closest('[hidden]') || e.type === 'hidden') continue;
      let name = (e.getAttribute('aria-label') || '').trim();
      if (!name && e.getAttribute('aria-labelledby'))
        name = e.getAttribute('aria-labelledby').split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' ').trim();
      if (!name && e.labels && e.labels.length) name = [...e.labels].map((l) => l.textContent).join(' ').trim();
      if (!name && !['INPUT', 'SELECT', 'TEXTAREA'].includes(e.tagName)) name = e.textContent.trim();
      if (!name) bad.push(e.id ? `#${e.id}` : e.outerHTML.slice(0, 60));
    }
    return bad;
  });
}
