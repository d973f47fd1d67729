// Checks the public pages (web/index.html, board.html, results.html served by ballotd) in
// Debian's Chromium through playwright-core.
//
//   node tests/web/pages.mjs --base http://127.0.0.1:PORT --poll ID --tracker CODE \
//     [--receipt FILE] [--expect-elected '{"committee":["A","B"]}' | --expect-unpublished] \
//     [--expect-passed '{"motion":true}'] [--expect-text TEXT]... [--expect-no-text TEXT]... \
//     [--screenshots DIR]
//
// At 1280 and 360 px wide:
// - index: the poll id typed in the form leads to links to the vote, board and results pages;
// - board: the latest tree head shown is the server's (size and root fetched here) and the page
//   says it verified the signature; the tracker code is found and reported "included" (the page
//   checks the inclusion proof against the signed head); a tracker that is not on the board
//   (chosen here with board/find) is reported not found; with --receipt, the receipt file loaded
//   in the page is reported "honoured";
// - forgeries, once (1280 px): an inclusion proof with one flipped bit (the server's answer
//   rewritten in flight) must make the page report the check FAILED, not "included"; a tree head
//   whose signature has one flipped bit must be reported FAILED; a receipt file whose receipt_sig
//   has one flipped bit must be reported FAILED;
// - results: with --expect-elected, the page shows the results as published and each listed
//   contest's elected names in that order, a stage table and an SVG chart for each STV count,
//   and the record.tar link; with --expect-unpublished, "not published yet"; with --expect-passed,
//   each listed question's outcome ("Passed" / "Not passed", as expected here, not as the server
//   says); --expect-text: the results page shows TEXT (anywhere in #results, or with
//   {"in": SELECTOR, "text": TEXT} in that element, e.g. #arithmetic-motion); --expect-no-text: not;
// - every control has an accessible name, <html lang>, no page error, no CSP violation, no
//   horizontal scrolling at 360 px.
// Screenshots: DIR/{index,board,results}-{1280,360}px.png.
//
// Exit 0 when every check passed; 1 with a message otherwise.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkAccessibleNames, checkTexts, die, launch, parseArgs, textExpectations } from './driver-lib.mjs';

const opts = parseArgs(process.argv.slice(2), {
  flags: ['expect-unpublished'],
  values: ['base', 'poll', 'tracker', 'receipt', 'expect-elected', 'expect-passed', 'screenshots'],
  repeated: ['expect-text', 'expect-no-text'],
});
const base = (opts.base || '').replace(/\/$/, '');
const pollId = opts.poll;
if (!base || !pollId || !opts.tracker) die('usage: pages.mjs --base URL --poll ID --tracker CODE [--receipt FILE] [--expect-elected JSON | --expect-unpublished] [--screenshots DIR]');
const tracker = opts.tracker.trim().toLowerCase();
if (!/^[0-9a-f]{5}-[0-9a-f]{5}$/.test(tracker)) die('--tracker: expected abcde-fghij');
const expectElected = opts['expect-elected'] ? JSON.parse(opts['expect-elected']) : null;
const expectPassed = opts['expect-passed'] ? JSON.parse(opts['expect-passed']) : null;
if (expectPassed && (typeof expectPassed !== 'object' || Object.values(expectPassed).some((x) => typeof x !== 'boolean')))
  die('--expect-passed: expected {"question id": true|false, ...}');
const expectText = textExpectations(opts['expect-text'], '#results', '--expect-text');
const expectNoText = textExpectations(opts['expect-no-text'], '#results', '--expect-no-text');
if ((expectPassed || expectText.length || expectNoText.length) && !expectElected)
  die('--expect-passed, --expect-text and --expect-no-text check the published results: give --expect-elected too');
const shotDir = opts.screenshots || null;

const get = async (p) => {
  const r = await fetch(base + p);
  return { status: r.status, json: r.headers.get('content-type')?.startsWith('application/json') ? await r.json() : null };
};

const browser = await launch();
const watchdog = setTimeout(() => {
  console.error('pages: time limit (120 s) reached');
  process.exit(1);
}, 120000);
let failures = 0;

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failures++;
    console.error(`FAIL ${name}: ${e.message}`);
  }
}

function check(cond, what) {
  if (!cond) throw new Error(what);
}

async function newPage(width) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) page.problems.push(`CSP: ${m.text()}`);
  });
  return page;
}

async function common(page, width) {
  const unnamed = await checkAccessibleNames(page);
  check(unnamed.length === 0, `controls without an accessible name: ${unnamed.join(', ')}`);
  check(await page.evaluate(() => document.documentElement.lang === 'en'), 'no lang attribute');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 1, `the page is ${overflow} px wider than the ${width} px window`);
  check(page.problems.length === 0, page.problems.join('; '));
}

async function shot(page, name, width) {
  if (!shotDir) return;
  fs.mkdirSync(shotDir, { recursive: true });
  await page.screenshot({ path: path.join(shotDir, `${name}-${width}px.png`), fullPage: true });
}

async function checkTracker(page, code) {
  await page.fill('#tracker-input', code);
  await page.click('#tracker-button');
  await page.waitForFunction(() => {
    const v = document.getElementById('tracker-result').dataset.verdict;
    return v && v !== 'checking';
  }, null, { timeout: 20000 });
  return {
    verdict: await page.getAttribute('#tracker-result', 'data-verdict'),
    text: (await page.textContent('#tracker-result')).trim(),
  };
}

async function loadReceipt(page, file) {
  await page.evaluate(() => {
    delete document.getElementById('receipt-result').dataset.verdict;
  });
  await page.setInputFiles('#receipt-file', file);
  await page.waitForFunction(() => {
    const v = document.getElementById('receipt-result').dataset.verdict;
    return v && v !== 'checking';
  }, null, { timeout: 20000 });
  return {
    verdict: await page.getAttribute('#receipt-result', 'data-verdict'),
    text: (await page.textContent('#receipt-result')).trim(),
  };
}

// A 10-hex-digit tracker that no leaf on the board has (asked of board/find).
async function absentTracker() {
  for (let i = 0; i < 50; i++) {
    const t = Array.from({ length: 10 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
    const code = `${t.slice(0, 5)}-${t.slice(5)}`;
    const r = await get(`/polls/${pollId}/board/find?tracker=${code}`);
    if (r.status === 200 && r.json.matches.length === 0) return code;
  }
  throw new Error('no absent tracker found');
}

try {
  for (const width of [1280, 360]) {
    await step(`index at ${width} px`, async () => {
      const page = await newPage(width);
      await page.goto(`${base}/`);
      await page.fill('#poll-input', pollId);
      await page.click('#poll-button');
      await page.waitForSelector('#poll-links:not([hidden])', { timeout: 15000 });
      for (const [id, file] of [['vote-link', 'vote.html'], ['board-link', 'board.html'], ['results-link', 'results.html']]) {
        const href = await page.getAttribute(`#${id}`, 'href');
        check(href === `${file}?poll=${encodeURIComponent(pollId)}`, `#${id} href ${href}`);
      }
      await common(page, width);
      await shot(page, 'index', width);
      await page.context().close();
    });

    await step(`board at ${width} px: tree head, tracker ${tracker} included`, async () => {
      const page = await newPage(width);
      await page.goto(`${base}/board.html?poll=${encodeURIComponent(pollId)}`);
      await page.waitForFunction(() => /verified|FAILED|empty/.test(document.getElementById('sth-verified').textContent), null, { timeout: 15000 });
      const sth = (await get(`/polls/${pollId}/board/sth`)).json;
      check((await page.textContent('#sth-verified')).includes('verified in this page'), `tree head: ${await page.textContent('#sth-verified')}`);
      const size = Number(await page.textContent('#sth-size'));
      check(size >= 1 && size <= sth.tree_size, `the page shows ${size} ballots, the server ${sth.tree_size}`);
      if (size === sth.tree_size) check((await page.textContent('#sth-root')).trim() === sth.root, 'the page shows another root');
      const r = await checkTracker(page, tracker);
      check(r.verdict === 'included' && /included/.test(r.text), `tracker ${tracker}: ${r.verdict}: ${r.text}`);
      // The typed code is normalised: upper case, no dash.
      const r2 = await checkTracker(page, tracker.replace('-', '').toUpperCase());
      check(r2.verdict === 'included', `tracker typed in upper case: ${r2.verdict}`);
      const absent = await absentTracker();
      const r3 = await checkTracker(page, absent);
      check(r3.verdict === 'not-found', `absent tracker ${absent}: ${r3.verdict}: ${r3.text}`);
      await checkTracker(page, tracker);
      if (opts.receipt) {
        const rr = await loadReceipt(page, opts.receipt);
        check(rr.verdict === 'honoured' && /honoured/.test(rr.text), `receipt file: ${rr.verdict}: ${rr.text}`);
      }
      await common(page, width);
      await shot(page, 'board', width);
      await page.context().close();
    });

    if (width === 1280) {
      await step('board forgeries: a flipped bit in the inclusion proof, the tree head signature, the receipt', async () => {
        const page = await newPage(width);
        // 1. The inclusion proof (or, for a one-leaf tree, the root): one bit flipped in flight.
        await page.route(`${base}/polls/${pollId}/board/inclusion*`, async (route) => {
          const resp = await route.fetch();
          const j = await resp.json();
          if (j.proof.length) j.proof[0] = (parseInt(j.proof[0][0], 16) ^ 1).toString(16) + j.proof[0].slice(1);
          else j.leaf_index += 1;
          await route.fulfill({ response: resp, body: JSON.stringify(j) });
        });
        await page.goto(`${base}/board.html?poll=${encodeURIComponent(pollId)}`);
        await page.waitForFunction(() => /verified|FAILED/.test(document.getElementById('sth-verified').textContent), null, { timeout: 15000 });
        const r = await checkTracker(page, tracker);
        check(r.verdict === 'failed' && /FAILED/.test(r.text), `a forged inclusion proof was reported ${r.verdict}: ${r.text}`);
        await page.unroute(`${base}/polls/${pollId}/board/inclusion*`);
        const ok = await checkTracker(page, tracker);
        check(ok.verdict === 'included', `without the forgery: ${ok.verdict}`);
        // 2. The receipt file with one bit of receipt_sig flipped.
        if (opts.receipt) {
          const f = JSON.parse(fs.readFileSync(opts.receipt, 'utf8'));
          const sig = Buffer.from(f.receipt.receipt_sig, 'base64url');
          sig[10] ^= 0x04;
          f.receipt.receipt_sig = sig.toString('base64url');
          const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pages-')), 'forged-receipt.json');
          fs.writeFileSync(bad, JSON.stringify(f));
          const rr = await loadReceipt(page, bad);
          check(rr.verdict === 'failed' && /receipt_sig/.test(rr.text), `a forged receipt was reported ${rr.verdict}: ${rr.text}`);
          fs.rmSync(path.dirname(bad), { recursive: true });
        }
        // 3. The tree head with one bit of its signature flipped.
        await page.route(`${base}/polls/${pollId}/board/sth`, async (route) => {
          const resp = await route.fetch();
          const j = await resp.json();
          const sig = Buffer.from(j.signature, 'base64url');
          sig[0] ^= 0x01;
          j.signature = sig.toString('base64url');
          await route.fulfill({ response: resp, body: JSON.stringify(j) });
        });
        await page.goto(`${base}/board.html?poll=${encodeURIComponent(pollId)}`);
        await page.waitForFunction(() => /verified|FAILED/.test(document.getElementById('sth-verified').textContent), null, { timeout: 15000 });
        const t = await page.textContent('#sth-verified');
        check(/FAILED/.test(t) && !/verified in this page/.test(t), `a forged tree head signature was shown as: ${t}`);
        await page.unroute(`${base}/polls/${pollId}/board/sth`);
        // 4. Across visits: the head this browser kept from the visit above, its root changed as a
        //    board shown earlier that the present one does not extend; then the true one again.
        await page.goto(`${base}/board.html?poll=${encodeURIComponent(pollId)}`);
        await page.waitForFunction(() => /verified|FAILED/.test(document.getElementById('sth-verified').textContent), null, { timeout: 15000 });
        const kept = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('ballot-board-head/')));
        check(kept.length === 1, `the board page kept ${kept.length} heads`);
        await page.evaluate((k) => {
          const j = JSON.parse(localStorage.getItem(k));
          j.root = (parseInt(j.root[0], 16) ^ 1).toString(16) + j.root.slice(1);
          localStorage.setItem(k, JSON.stringify(j));
        }, kept[0]);
        await page.reload();
        await page.waitForFunction(() => /verified|FAILED/.test(document.getElementById('sth-verified').textContent), null, { timeout: 15000 });
        const t2 = await page.textContent('#sth-verified');
        check(/FAILED/.test(t2) && /this browser was shown/.test(t2), `a board that does not extend the one kept was shown as: ${t2}`);
        await page.evaluate((k) => localStorage.removeItem(k), kept[0]);
        await page.reload();
        await page.waitForFunction(() => /verified|FAILED/.test(document.getElementById('sth-verified').textContent), null, { timeout: 15000 });
        check(/verified in this page/.test(await page.textContent('#sth-verified')), 'the board without the forged kept head');
        await page.context().close();
      });
    }

    await step(`results at ${width} px`, async () => {
      const page = await newPage(width);
      await page.goto(`${base}/results.html?poll=${encodeURIComponent(pollId)}`);
      await page.waitForFunction(() => document.documentElement.dataset.results || !document.getElementById('error').hidden, null, { timeout: 20000 });
      const state = await page.evaluate(() => document.documentElement.dataset.results);
      if (opts['expect-unpublished']) {
        check(state === 'not-published', `results: ${state}: ${await page.textContent('#error')}`);
        check(/not published yet/.test(await page.textContent('#not-published')), 'no "not published yet" message');
      } else if (expectElected) {
        check(state === 'published', `results: ${state}: ${await page.textContent('#error')}`);
        for (const [cid, names] of Object.entries(expectElected)) {
          const got = await page.$$eval(`#elected-${cid} li`, (els) => els.map((e) => e.textContent));
          check(JSON.stringify(got) === JSON.stringify(names), `${cid}: the page shows ${JSON.stringify(got)}, expected ${JSON.stringify(names)}`);
        }
        const res = (await get(`/polls/${pollId}/results`)).json;
        for (const c of res.contests) {
          if (c.kind === 'referendum') {
            const t = await page.textContent(`#outcome-${c.id}`);
            check(t === (c.passed ? 'Passed' : 'Not passed'), `${c.id}: outcome ${t}`);
            check(await page.isVisible(`#arithmetic-${c.id}`), `${c.id}: no threshold arithmetic`);
          } else {
            check(await page.isVisible(`#stages-${c.id}-0`), `${c.id}: no stage table`);
            check((await page.$$(`#chart-${c.id}-0 polyline, #chart-${c.id}-0 circle`)).length > 0, `${c.id}: no chart`);
          }
        }
        for (const [cid, passed] of Object.entries(expectPassed || {})) {
          const el = await page.$(`#outcome-${cid}`);
          const t = el ? await el.textContent() : null;
          check(t === (passed ? 'Passed' : 'Not passed'), `${cid}: the page says ${JSON.stringify(t)}, expected ${passed ? 'Passed' : 'Not passed'}`);
        }
        const textProblems = await checkTexts(page, expectText, expectNoText, 'the results');
        check(textProblems.length === 0, textProblems.join('; '));
        check((await page.getAttribute('#record-link', 'href')) === `/polls/${encodeURIComponent(pollId)}/record.tar`, 'record.tar link');
        const tar = await fetch(`${base}/polls/${pollId}/record.tar`);
        check(tar.status === 200, `record.tar: ${tar.status}`);
      }
      await common(page, width);
      await shot(page, 'results', width);
      await page.context().close();
    });
  }
} finally {
  clearTimeout(watchdog);
  await browser.close();
}
process.exit(failures ? 1 : 0);
