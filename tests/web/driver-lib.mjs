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

/** --name value and --flag arguments; unknown options are refused. An option listed in
 * `repeated` may be given several times: its value is the list of the values, in order. */
export function parseArgs(argv, { flags = [], values = [], repeated = [] }) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) die(`unexpected argument ${a}`);
    const k = a.slice(2);
    if (flags.includes(k)) out[k] = true;
    else if (values.includes(k) || repeated.includes(k)) {
      if (i + 1 >= argv.length) die(`${a}: missing value`);
      if (repeated.includes(k)) (out[k] = out[k] || []).push(argv[++i]);
      else out[k] = argv[++i];
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

/**
 * Expected texts (--expect-text / --expect-no-text, or a batch item's expect_text /
 * expect_no_text): each a string, looked for in the element `within` (a selector), or
 * {"in": SELECTOR, "text": TEXT} looked for in that element. On the command line a value starting
 * with "{" is read as that JSON object. Returns [{in, text}], or dies with a message naming what.
 */
export function textExpectations(list, within, what) {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) list = [list];
  return list.map((e, i) => {
    if (typeof e === 'string' && e.trim().startsWith('{')) {
      try {
        e = JSON.parse(e);
      } catch (err) {
        die(`${what}[${i}]: not JSON: ${err.message}`);
      }
    }
    if (typeof e === 'string') return { in: within, text: e };
    if (!e || typeof e !== 'object' || typeof e.text !== 'string' || (e.in !== undefined && typeof e.in !== 'string'))
      die(`${what}[${i}]: expected a string or {"in": SELECTOR, "text": TEXT}`);
    return { in: e.in || within, text: e.text };
  });
}

/**
 * Checks texts shown in the page: every `want` text must be in its element's visible text
 * (whitespace runs read as one space), no `unwanted` text may be. Returns the problems found, each
 * naming the element, the text and what the element says.
 */
export async function checkTexts(page, want, unwanted, where) {
  const bad = [];
  const textOf = async (sel) => {
    const t = await page.evaluate((s) => {
      const el = document.querySelector(s);
      return el ? el.innerText : null;
    }, sel);
    return t === null ? null : t.replace(/\s+/g, ' ').trim();
  };
  const norm = (t) => t.replace(/\s+/g, ' ').trim();
  for (const e of want) {
    const t = await textOf(e.in);
    if (t === null) bad.push(`${where}: expected "${e.text}" in ${e.in}, which is not on the page`);
    else if (!t.includes(norm(e.text))) bad.push(`${where}: expected "${e.text}" in ${e.in}, which says: "${t.slice(0, 600)}"`);
  }
  for (const e of unwanted) {
    const t = await textOf(e.in);
    if (t !== null && t.includes(norm(e.text))) bad.push(`${where}: "${e.text}" must not be in ${e.in}, which says: "${t.slice(0, 600)}"`);
  }
  return bad;
}
