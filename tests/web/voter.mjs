// Votes in the real voter's page (web/vote.html served by ballotd) like a person, in Debian's
// Chromium through playwright-core, and saves the receipt file the page offers for download.
//
//   node tests/web/voter.mjs --base http://127.0.0.1:PORT --poll ID --credential CRED \
//     --choices '{"committee":[3,1,2],"chair":[2]}' --mode mouse|keyboard --receipt-out FILE \
//     [--reload-at token|seal|cast [--resume-by reload|new-tab]]
//     [--fault forge-receipt|forge-blind-sig|network-drop] [--via-link|--via-form]
//     [--screenshots DIR] [--width 360] [--timeout SECONDS_PER_VOTER]
//     [--expect-contests ID,ID,...] [--expect-text TEXT]... [--expect-no-text TEXT]...
//   node tests/web/voter.mjs --base URL --poll ID --credential CRED \
//     --expect-error not-open|closed|bad-credential|malformed-credential|already-voted
//   node tests/web/voter.mjs --base URL --poll ID --batch VOTERS.json [--screenshots DIR] [--width N]
//
// VOTERS.json: [{"credential", "choices", "mode", "receipt_out", "reload_at", "resume_by", "fault",
// "expect_error", "via": "link"|"form", "expect_contests", "expect_text", "expect_no_text"}, ...],
// run one after another, each in a fresh browser context (fresh storage) of one browser.
// docs/voter.md describes every option.
//
// For each voter it checks, independently of the page's code:
// - the credential leaves the address bar (via the link) and is never in a request URL;
// - mouse mode clicks candidates; keyboard mode only presses Tab, Enter and Space (no click());
//   both reorder with "Move up" and remove with "Remove" before settling on the wanted ranking;
// - the page's ranking and summary list the wanted candidates in order (names from the
//   definition fetched here); every button and input has an accessible name;
// - --reload-at: token: the token answer is lost (the server signed) and the page reloaded: the
//   page must send the same blinded message again; seal: the page is reloaded after the sealed
//   ballot is stored, before the cast reaches the server: the cast must carry the stored bytes;
//   cast: the server takes the cast, the answer is lost, the page reloaded: the page must send
//   the same bytes and get the same receipt (same leaf); --resume-by new-tab closes the tab
//   instead and opens vote.html?poll=ID (no credential) in a new tab of the same profile;
// - --fault: a forged receipt_sig or blind_sig (one bit flipped in flight) must stop the page
//   with a security message, and a reload then finishes with the same bytes; network-drop: two
//   casts fail as if offline, the page must say "Network lost" and retry by itself;
// - --expect-error: the page opened with the link must show that message and no ballot;
// - --expect-contests: the ballot shows exactly these contests, in this order (the voter's class);
//   --expect-text TEXT: the ballot step shows TEXT (anywhere in it, or with {"in": SELECTOR,
//   "text": TEXT} in that element, e.g. #rule-committee); --expect-no-text: it does not;
// - the downloaded receipt file (playwright's download event): format ballotctl-receipt/1,
//   server = base, board_key = the poll's; H(0x00 || entry) = leaf_hash; the entry's fields
//   (label, poll_hash, class); the tree head's and receipt_sig's Ed25519 signatures verified
//   with node:crypto; the tracker shown = the receipt's;
// - afterwards localStorage holds only the receipt (no cast key, token, inverse or credential)
//   and sessionStorage no credential; no page error, no CSP violation.
//
// Exit 0 when every voter voted and every check passed; 1 with a message otherwise.
// Environment: CHROMIUM (default /usr/bin/chromium).

import fs from 'node:fs';
import path from 'node:path';
import {
  launch, parseArgs, die, sha256, lpFields, verifyEd25519, sthBytes, receiptBytes, checkAccessibleNames, checkTexts, textExpectations,
} from './driver-lib.mjs';

const opts = parseArgs(process.argv.slice(2), {
  flags: ['via-link', 'via-form'],
  values: ['base', 'poll', 'credential', 'choices', 'mode', 'receipt-out', 'reload-at', 'resume-by', 'fault', 'expect-error', 'screenshots', 'width', 'batch', 'timeout', 'expect-contests'],
  repeated: ['expect-text', 'expect-no-text'],
});
// --expect-error: what the page must say (docs/voter.md "Messages").
const EXPECTED_ERRORS = {
  'not-open': /has not opened yet/,
  closed: /Voting is closed/,
  'bad-credential': /not recognised/,
  'malformed-credential': /not complete or has a typing mistake/,
  'already-voted': /already issued|already cast/,
};

const base = (opts.base || '').replace(/\/$/, '');
const pollId = opts.poll;
if (!base || !pollId) die('usage: voter.mjs --base URL --poll ID (--credential C --choices JSON --receipt-out FILE | --batch FILE)');
const width = opts.width ? Number(opts.width) : 1280;
const shotDir = opts.screenshots || null;
const perVoterMs = (opts.timeout ? Number(opts.timeout) : 90) * 1000;

let voters;
if (opts.batch) {
  voters = JSON.parse(fs.readFileSync(opts.batch, 'utf8'));
  if (!Array.isArray(voters)) die('--batch: expected a JSON list of voters');
} else {
  if (!opts.credential || (!opts['expect-error'] && (!opts.choices || !opts['receipt-out'])))
    die('give --credential, --choices and --receipt-out (or --expect-error, or --batch)');
  voters = [{
    credential: opts.credential, choices: opts.choices ? JSON.parse(opts.choices) : {}, mode: opts.mode || 'mouse',
    receipt_out: opts['receipt-out'], reload_at: opts['reload-at'] || null, fault: opts.fault || null,
    resume_by: opts['resume-by'] || 'reload',
    expect_error: opts['expect-error'] || null, via: opts['via-form'] ? 'form' : 'link',
    expect_contests: opts['expect-contests'] || null, expect_text: opts['expect-text'] || [],
    expect_no_text: opts['expect-no-text'] || [],
  }];
}
if (opts.batch && (opts['expect-contests'] || opts['expect-text'] || opts['expect-no-text']))
  die('with --batch, give expect_contests, expect_text and expect_no_text in the batch items');
for (const [i, v] of voters.entries()) {
  if (typeof v.choices === 'string') v.choices = JSON.parse(v.choices);
  v.mode = v.mode || 'mouse';
  v.via = v.via || 'link';
  if (!['mouse', 'keyboard'].includes(v.mode)) die(`voter ${i}: mode must be mouse or keyboard`);
  if (!['link', 'form'].includes(v.via)) die(`voter ${i}: via must be link or form`);
  if (v.reload_at && !['token', 'seal', 'cast'].includes(v.reload_at)) die(`voter ${i}: reload_at must be token, seal or cast`);
  if (v.fault && !['forge-receipt', 'forge-blind-sig', 'network-drop'].includes(v.fault))
    die(`voter ${i}: fault must be forge-receipt, forge-blind-sig or network-drop`);
  if (v.fault && v.reload_at) die(`voter ${i}: give reload_at or fault, not both`);
  v.resume_by = v.resume_by || 'reload';
  if (!['reload', 'new-tab'].includes(v.resume_by)) die(`voter ${i}: resume_by must be reload or new-tab`);
  if (v.expect_error && !Object.keys(EXPECTED_ERRORS).includes(v.expect_error))
    die(`voter ${i}: expect_error must be one of ${Object.keys(EXPECTED_ERRORS).join(', ')}`);
  if (!v.credential || (!v.receipt_out && !v.expect_error)) die(`voter ${i}: credential and receipt_out are required`);
  v.choices = v.choices || {};
  if (typeof v.expect_contests === 'string') v.expect_contests = v.expect_contests.split(',').map((x) => x.trim()).filter(Boolean);
  if (v.expect_contests && (!Array.isArray(v.expect_contests) || v.expect_contests.some((x) => typeof x !== 'string')))
    die(`voter ${i}: expect_contests must be a list of contest ids (or "a,b,c")`);
  v.expect_text = textExpectations(v.expect_text, '#step-ballot', `voter ${i}: expect_text`);
  v.expect_no_text = textExpectations(v.expect_no_text, '#step-ballot', `voter ${i}: expect_no_text`);
}

// The poll, fetched here: the names and the keys to check the page against.
const pollInfo = await (await fetch(`${base}/polls/${pollId}`)).json();
if (!pollInfo.definition) die(`GET /polls/${pollId}: no definition`);
const def = JSON.parse(pollInfo.definition);
const contestById = Object.fromEntries(def.contests.map((c) => [c.id, c]));
const pollHash = sha256(Buffer.concat([lp(Buffer.from('ballot-poll/v1')), lp(Buffer.from(pollInfo.definition, 'utf8'))]));
if (pollHash.toString('hex') !== pollInfo.poll_hash) die('the definition does not hash to poll_hash');
const boardKey = Buffer.from(pollInfo.board_key, 'base64url');

function lp(b) {
  const n = Buffer.alloc(4);
  n.writeUInt32BE(b.length);
  return Buffer.concat([n, b]);
}

const browser = await launch();
const watchdog = setTimeout(() => {
  console.error(`voter: time limit (${(perVoterMs * voters.length) / 1000 + 30} s) reached`);
  process.exit(1);
}, perVoterMs * voters.length + 30000);

let failures = 0;
try {
  for (const [i, v] of voters.entries()) {
    const tag = `voter${i + 1}-${v.mode}${v.reload_at ? `-${v.resume_by === 'new-tab' ? 'newtab' : 'reload'}-${v.reload_at}` : ''}${v.fault ? `-${v.fault}` : ''}` +
      `${v.expect_error ? `-expect-${v.expect_error}` : ''}`;
    try {
      const tracker = await voteOne(v, tag);
      console.log(v.expect_error ? `ok   ${tag}: the page says so` : `ok   ${tag}: voted, tracker ${tracker}, receipt ${v.receipt_out}`);
    } catch (e) {
      failures++;
      console.error(`FAIL ${tag}: ${e.message}`);
    }
  }
} finally {
  clearTimeout(watchdog);
  await browser.close();
}
process.exit(failures ? 1 : 0);

function check(cond, what) {
  if (!cond) throw new Error(what);
}

async function voteOne(v, tag) {
  const context = await browser.newContext({ viewport: { width, height: 860 }, acceptDownloads: true });
  const problems = [];
  const requests = [];
  const attach = (p) => {
    p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    p.on('console', (m) => {
      const t = m.text();
      if (/Content Security Policy|Refused to/i.test(t)) problems.push(`CSP: ${t}`);
    });
    p.on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postData() }));
    return p;
  };
  let page = attach(await context.newPage());
  // After an interruption: reload the page, or close the tab and open the poll's page (without
  // the credential) in a new tab of the same browser profile.
  const resume = async () => {
    if (v.resume_by !== 'new-tab') {
      await page.reload();
      return;
    }
    const old = page;
    page = attach(await context.newPage());
    await old.close();
    await page.goto(`${base}/vote.html?poll=${encodeURIComponent(pollId)}`);
  };
  let shot = 0;
  const screenshot = async (name) => {
    if (!shotDir) return;
    fs.mkdirSync(shotDir, { recursive: true });
    shot++;
    await page.screenshot({ path: path.join(shotDir, `${tag}-${width}px-${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  };
  const kb = v.mode === 'keyboard';
  // Keyboard: Tab (forward) until the element matching sel has the focus. No click().
  const tabTo = async (sel) => {
    // Within a contest's candidate list the page documents the arrow keys: use them.
    const delta = await page.evaluate((s) => {
      const a = document.activeElement;
      const t = document.querySelector(s);
      if (!a || !t || !a.matches('button.candidate') || !t.matches('button.candidate') || a.closest('ul') !== t.closest('ul')) return 0;
      const all = [...t.closest('ul').querySelectorAll('button.candidate')];
      return all.indexOf(t) - all.indexOf(a);
    }, sel);
    for (let k = 0; k < Math.abs(delta); k++) await page.keyboard.press(delta > 0 ? 'ArrowDown' : 'ArrowUp');
    for (let n = 0; n < 400; n++) {
      if (await page.evaluate((s) => !!document.activeElement && document.activeElement.matches(s), sel)) return;
      await page.keyboard.press('Tab');
    }
    throw new Error(`keyboard: Tab never reached ${sel}`);
  };
  let presses = 0;
  const activate = async (sel) => {
    if (kb) {
      await tabTo(sel);
      await page.keyboard.press(presses++ % 2 ? 'Space' : 'Enter');
    } else {
      await page.click(sel);
    }
  };
  const waitStep = async (steps, ms = 30000) => {
    // An error always ends the wait: the caller says whether it expected one.
    await page.waitForFunction((s) => [...s, 'error'].includes(document.documentElement.dataset.voteStep), steps, { timeout: ms });
    const step = await page.evaluate(() => document.documentElement.dataset.voteStep);
    if (step === 'error' && !steps.includes('error')) throw new Error(`the page shows an error: ${await page.textContent('#error')}`);
    return step;
  };

  try {
    // ---- open the page ----
    if (v.via === 'link') {
      await page.goto(`${base}/vote.html#poll=${encodeURIComponent(pollId)}&cred=${encodeURIComponent(v.credential)}`);
      const step = await waitStep(['ballot', 'error', 'start']);
      check(!page.url().includes('cred='), `the credential is still in the address bar: ${page.url()}`);
      if (v.expect_error) {
        const text = await page.textContent('#error');
        check(await page.isVisible('#error'), `expected the error "${v.expect_error}", the page is at step ${step}`);
        check(EXPECTED_ERRORS[v.expect_error].test(text), `expected the error "${v.expect_error}", the page says: ${text}`);
        check(!(await page.isVisible('#step-ballot')), 'the ballot is shown with the error');
        await screenshot(`error-${v.expect_error}`);
        check(problems.length === 0, problems.join('; '));
        return;
      }
      if (step !== 'ballot') throw new Error(`the page shows an error: ${await page.textContent('#error')}`);
    } else {
      await page.goto(`${base}/vote.html`);
      await waitStep(['start']);
      await screenshot('start');
      if (kb) {
        await tabTo('#poll-id');
        await page.keyboard.type(pollId);
        await page.keyboard.press('Tab');
        await page.keyboard.type(v.credential);
        await page.keyboard.press('Enter');
      } else {
        await page.click('#poll-id');
        await page.keyboard.type(pollId);
        await page.click('#credential');
        await page.keyboard.type(v.credential);
        await page.click('#start-button');
      }
      await waitStep(['ballot']);
    }
    await screenshot('ballot-empty');

    // ---- rank ----
    const shown = await page.$$eval('section.contest', (els) => els.map((e) => e.dataset.contest));
    // What the voter's class must see, before anything is pressed.
    if (v.expect_contests) {
      check(JSON.stringify(shown) === JSON.stringify(v.expect_contests),
        `the ballot shows the contests ${JSON.stringify(shown)}, expected exactly ${JSON.stringify(v.expect_contests)}`);
      const hidden = await page.$$eval('section.contest', (els) => els.filter((e) => !e.offsetParent).map((e) => e.dataset.contest));
      check(hidden.length === 0, `contests on the ballot but not visible: ${hidden.join(', ')}`);
    }
    const textProblems = await checkTexts(page, v.expect_text, v.expect_no_text, 'the ballot');
    check(textProblems.length === 0, textProblems.join('; '));
    check(JSON.stringify([...shown].sort()) === JSON.stringify(Object.keys(v.choices).sort()),
      `the page shows contests ${shown.join(',')}, the choices give ${Object.keys(v.choices).join(',')}`);
    for (const cid of shown) {
      const c = contestById[cid];
      const want = v.choices[cid];
      const isRef = (c.kind || 'stv') === 'referendum';
      // An extra candidate, ranked then removed with "Remove".
      const extra = isRef ? null : c.candidates.map((_, k) => k + 1).find((n) => !want.includes(n));
      if (!isRef && want.length >= 2) {
        // The first two in the wrong order, then fixed with "Move up".
        await activate(`#cand-${cid}-${want[1]}`);
        await activate(`#cand-${cid}-${want[0]}`);
        await activate(`#up-${cid}-${want[0]}`);
        for (const n of want.slice(2)) await activate(`#cand-${cid}-${n}`);
      } else {
        for (const n of want) await activate(`#cand-${cid}-${n}`);
      }
      if (extra) {
        await activate(`#cand-${cid}-${extra}`);
        await activate(`#remove-${cid}-${extra}`);
      }
      const got = await page.$$eval(`#ranking-${cid} li .rank-name`, (els) => els.map((e) => e.textContent));
      const wantNames = want.map((n) => c.candidates[n - 1].name);
      check(JSON.stringify(got) === JSON.stringify(wantNames), `${cid}: the page's ranking is ${JSON.stringify(got)}, expected ${JSON.stringify(wantNames)}`);
      const pressed = await page.$$eval(`#candidates-${cid} button[aria-pressed="true"]`, (els) => els.length);
      check(pressed === want.length, `${cid}: ${pressed} candidates marked pressed, expected ${want.length}`);
    }
    const unnamed = await checkAccessibleNames(page);
    check(unnamed.length === 0, `controls without an accessible name: ${unnamed.join(', ')}`);
    check(await page.evaluate(() => document.documentElement.lang === 'en'), 'no lang attribute');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(overflow <= 1, `the page is ${overflow} px wider than the ${width} px window`);
    await screenshot('ballot-ranked');

    // ---- summary ----
    await activate('#review-button');
    await waitStep(['summary']);
    for (const cid of shown) {
      const c = contestById[cid];
      const names = await page.$$eval(`#summary-${cid} li`, (els) => els.map((e) => e.textContent));
      const wantNames = v.choices[cid].map((n) => c.candidates[n - 1].name);
      check(JSON.stringify(names) === JSON.stringify(wantNames), `summary ${cid}: ${JSON.stringify(names)}, expected ${JSON.stringify(wantNames)}`);
    }
    const blanks = shown.filter((cid) => v.choices[cid].length === 0);
    check((await page.isVisible('#confirm-blank')) === blanks.length > 0, 'the blank confirmation is shown exactly when a contest is blank');
    if (blanks.length) {
      // Casting without the confirmation is refused.
      await activate('#cast-button');
      check(await page.isVisible('#error'), 'casting with an unconfirmed blank contest was not stopped');
      check((await page.evaluate(() => document.documentElement.dataset.voteStep)) === 'summary', 'left the summary without the blank confirmation');
      if (kb) {
        await tabTo('#confirm-blank');
        await page.keyboard.press('Space');
      } else await page.click('#confirm-blank');
    }
    await screenshot('summary');

    // ---- cast, with the interruption asked for ----
    const storageState = () => page.evaluate(([p]) => {
      const out = {};
      for (let k = 0; k < localStorage.length; k++) {
        const key = localStorage.key(k);
        if (key.startsWith(`ballot-vote/${p}/`)) out[key] = JSON.parse(localStorage.getItem(key));
      }
      return out;
    }, [pollId]);
    let interrupted = null; // {kind, body, answer?, state?}
    let reloadNow = null;
    const reloadSignal = new Promise((res) => { reloadNow = res; });
    if (v.reload_at) {
      const routePath = v.reload_at === 'token' ? 'tokens' : 'casts';
      await context.route(`${base}/polls/${pollId}/${routePath}`, async (route) => {
        if (interrupted) return route.continue();
        interrupted = { kind: v.reload_at, body: route.request().postData() };
        if (v.reload_at === 'seal') interrupted.state = await storageState();
        if (v.reload_at !== 'seal') {
          // The server gets the request and answers; the page never sees the answer.
          const resp = await route.fetch();
          interrupted.status = resp.status();
          interrupted.answer = await resp.text();
        }
        await route.abort('connectionreset');
        reloadNow();
        return undefined;
      });
    }
    const faults = { count: 0, bodies: [], first: null, statusSeen: [] };
    if (v.fault) {
      const routePath = v.fault === 'forge-blind-sig' ? 'tokens' : 'casts';
      await context.route(`${base}/polls/${pollId}/${routePath}`, async (route) => {
        faults.count++;
        faults.bodies.push(route.request().postData());
        if (v.fault === 'network-drop') {
          // The first two casts never reach the server.
          if (faults.count <= 2) {
            await route.abort('internetdisconnected');
            return;
          }
          await route.continue();
          return;
        }
        if (faults.count > 1) {
          await route.continue();
          return;
        }
        // The server answers; the answer is forged in flight: one bit of a signature flipped.
        const resp = await route.fetch();
        const j = await resp.json();
        faults.first = { ...j };
        const key = v.fault === 'forge-receipt' ? 'receipt_sig' : 'blind_sig';
        const b = Buffer.from(j[key], 'base64url');
        b[7] ^= 0x10;
        j[key] = b.toString('base64url');
        await route.fulfill({ response: resp, body: JSON.stringify(j) });
      });
    }
    await activate('#cast-button');
    if (v.fault === 'network-drop') {
      await page.waitForFunction(() => /Network lost/.test(document.getElementById('status').textContent), null, { timeout: 15000 });
      faults.statusSeen.push(await page.textContent('#status'));
      await screenshot('network-lost');
    } else if (v.fault) {
      // The page must refuse the forged answer with a security message, then resume after a reload.
      await waitStep(['error', 'done'], perVoterMs);
      const text = await page.textContent('#error');
      const want = v.fault === 'forge-receipt' ? /security check failed.*receipt_sig/s : /security check failed.*blind signature/s;
      check(await page.isVisible('#error') && want.test(text), `a forged ${v.fault === 'forge-receipt' ? 'receipt' : 'blind signature'} was not refused: ${text}`);
      check((await page.evaluate(() => document.documentElement.dataset.voteStep)) === 'error', 'the page went on after a forged answer');
      await screenshot(`refused-${v.fault}`);
      await resume();
    }
    if (v.reload_at) {
      await Promise.race([reloadSignal, waitStep(['done'], perVoterMs)]);
      check(interrupted, `--reload-at ${v.reload_at}: the page never sent the request to interrupt`);
      await screenshot(`before-reload-${v.reload_at}`);
      await resume();
    }
    await waitStep(['done'], perVoterMs);
    await screenshot('done');
    const tracker = (await page.textContent('#tracker')).trim();

    // ---- the receipt file, through the download ----
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), activate('#download-receipt')]);
    fs.mkdirSync(path.dirname(path.resolve(v.receipt_out)), { recursive: true });
    await download.saveAs(v.receipt_out);
    const text = fs.readFileSync(v.receipt_out, 'utf8');
    const file = JSON.parse(text);
    check(file.format === 'ballotctl-receipt/1', 'receipt file: format');
    check(file.server === base, `receipt file: server ${file.server}, expected ${base}`);
    check(file.board_key === pollInfo.board_key, 'receipt file: board_key is not the poll\'s');
    const r = file.receipt;
    check(r.poll === pollId && r.poll_hash === pollInfo.poll_hash, 'receipt: poll or poll_hash');
    check(r.tracker === tracker, `the page shows tracker ${tracker}, the receipt says ${r.tracker}`);
    check(r.tracker === `${r.leaf_hash.slice(0, 5)}-${r.leaf_hash.slice(5, 10)}`, 'receipt: tracker is not the leaf hash\'s');
    const entry = Buffer.from(file.entry, 'base64url');
    check(sha256(Buffer.concat([Buffer.from([0]), entry])).toString('hex') === r.leaf_hash, 'receipt: H(0x00 || entry) is not leaf_hash');
    const f = lpFields(entry);
    check(f.length === 7 && f[0].toString() === 'ballot-entry/v2' && f[1].equals(pollHash), 'entry: not a ballot-entry/v2 of this poll');
    check(f[3].length === 64 && f[6].length === 64, 'entry: token or cast_sig length');
    check(f[5].length === def.ballot_size + 81, `entry: sealed ballot of ${f[5].length} bytes, expected ${def.ballot_size + 81}`);
    const castMsg = Buffer.concat([lp(Buffer.from('ballot-cast/v1')), lp(pollHash), lp(f[2]), lp(f[3]), lp(f[5])]);
    check(verifyEd25519(f[3].subarray(32), castMsg, f[6]), 'entry: cast_sig does not verify under the key in the token (node:crypto)');
    const sth = r.sth;
    check(verifyEd25519(boardKey, sthBytes(sth), Buffer.from(sth.signature, 'base64url')), 'receipt: the tree head signature does not verify (node:crypto)');
    check(verifyEd25519(boardKey, receiptBytes(pollHash, r.leaf_index, Buffer.from(r.leaf_hash, 'hex'), sth.tree_size, Buffer.from(sth.root, 'hex')), Buffer.from(r.receipt_sig, 'base64url')),
      'receipt: receipt_sig does not verify (node:crypto)');

    // ---- the interruption was resumed with the same bytes ----
    if (interrupted) {
      const same = requests.filter((q) => q.method === 'POST' && q.url.endsWith(`/polls/${pollId}/${v.reload_at === 'token' ? 'tokens' : 'casts'}`));
      check(same.length >= 2, `--reload-at ${v.reload_at}: the request was not sent again after the reload`);
      const after = same[same.length - 1].body;
      if (v.reload_at === 'token') {
        check(JSON.parse(after).blinded === JSON.parse(interrupted.body).blinded, 'after the reload the page sent another blinded message');
        check(interrupted.status === 200, `the interrupted token request was answered ${interrupted.status}`);
      } else {
        check(after === interrupted.body, 'after the reload the page sent other cast bytes');
        check(f[5].equals(Buffer.from(JSON.parse(interrupted.body).ballot, 'base64url')),
          'the receipt\'s entry is not the interrupted cast');
      }
      if (v.reload_at === 'seal') {
        const st = Object.values(interrupted.state)[0];
        check(st && st.step === 'sealed' && st.ballot === JSON.parse(interrupted.body).ballot, 'at the interruption the stored state was not the sealed ballot sent');
        check(!st.inv && !st.credential, 'the sealed state still holds the blinding inverse or the credential');
      }
      if (v.reload_at === 'cast') {
        check(interrupted.status === 200, `the interrupted cast was answered ${interrupted.status}`);
        const first = JSON.parse(interrupted.answer);
        check(first.leaf_index === r.leaf_index && first.leaf_hash === r.leaf_hash, 'the cast sent again got another receipt');
      }
    }
    if (v.fault) {
      check(faults.count >= (v.fault === 'network-drop' ? 3 : 2), `${v.fault}: the request was not sent again (${faults.count})`);
      check(faults.bodies.every((b) => b === faults.bodies[0]), `${v.fault}: the page sent other bytes after the fault`);
      if (v.fault === 'forge-receipt')
        check(faults.first.leaf_index === r.leaf_index && faults.first.leaf_hash === r.leaf_hash, 'the cast sent again got another receipt');
    }
    check(!requests.some((q) => q.url.includes(encodeURIComponent(v.credential)) || q.url.includes(v.credential)), 'the credential appeared in a request URL');

    // ---- only the receipt is left in storage ----
    const st = await storageState();
    const vals = Object.values(st);
    check(vals.length === 1 && vals[0].step === 'done', `storage after the vote: ${JSON.stringify(Object.keys(st))}`);
    for (const k of ['cast_key', 'inv', 'credential', 'prepared', 'sig', 'ballot', 'blinded'])
      check(!(k in vals[0]), `storage after the vote still holds ${k}`);
    check(JSON.parse(vals[0].receipt_file).receipt.leaf_hash === r.leaf_hash, 'storage: the kept receipt is not the downloaded one');
    const sess = await page.evaluate(() => JSON.stringify(Object.keys(sessionStorage)));
    check(sess === '[]', `sessionStorage after the vote: ${sess}`);
    // The link opened again in this browser shows the vote as done, with the same tracker.
    await page.goto(`${base}/vote.html#poll=${encodeURIComponent(pollId)}&cred=${encodeURIComponent(v.credential)}`);
    await page.reload();
    check((await waitStep(['done'])) === 'done', 'the link opened again does not show the vote as done');
    check((await page.textContent('#tracker')).trim() === tracker, 'the link opened again shows another tracker');
    // ... and checks the receipt again against the board's latest tree head.
    await page.waitForFunction(() => ['still-on-board', 'failed'].includes(document.getElementById('recheck')?.dataset.verdict),
      null, { timeout: 20_000 });
    check((await page.getAttribute('#recheck', 'data-verdict')) === 'still-on-board',
      `the link opened again: ${(await page.textContent('#recheck')).trim()}`);
    check((await page.evaluate(() => sessionStorage.length)) === 0, 'the link opened again left the credential in sessionStorage');
    check(problems.length === 0, problems.join('; '));
    // The same, with the board's inclusion proof forged in flight: the page must say it failed.
    const incl = `${base}/polls/${pollId}/board/inclusion*`;
    await page.route(incl, async (route) => {
      const resp = await route.fetch();
      const j = await resp.json();
      if (j.proof.length) j.proof[0] = (parseInt(j.proof[0][0], 16) ^ 1).toString(16) + j.proof[0].slice(1);
      else j.leaf_index += 1;
      await route.fulfill({ response: resp, body: JSON.stringify(j) });
    });
    await page.reload();
    await page.waitForFunction(() => ['still-on-board', 'failed'].includes(document.getElementById('recheck')?.dataset.verdict),
      null, { timeout: 20_000 });
    check((await page.getAttribute('#recheck', 'data-verdict')) === 'failed',
      'a forged inclusion proof on the recheck was not reported');
    await page.unroute(incl);
    return tracker;
  } catch (e) {
    try {
      await screenshot('failure');
    } catch {
      /* ignore */
    }
    if (problems.length) e.message += ` (also: ${problems.join('; ')})`;
    throw e;
  } finally {
    await context.close();
  }
}

