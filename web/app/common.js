// Shared code of the voter's pages (vote, board, results, index): talking to ballotd, loading
// and checking a poll, describing contests in plain words, checking signed tree heads and
// receipts exactly as `ballotctl check-receipt` does (docs/protocol.md section 8).
//
// No third-party code; the crypto is web/crypto/ (docs/web-crypto.md).

import { concat, equal, fromBase64url, fromHex, lp, sha256, toHex, utf8 } from '../crypto/bytes.js';
import { verifyReceipt, verifySth } from '../crypto/ed25519.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../crypto/merkle.js';

/** An error answer of ballotd (docs/api.md): HTTP status, error code, message. */
export class ApiError extends Error {
  constructor(status, code, message, path) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || `http_${status}`;
    this.path = path;
  }
}

/** The network failed (no answer at all): the request may or may not have arrived. */
export class NetworkError extends Error {
  constructor(message, path) {
    super(message);
    this.path = path;
  }
}

/** A check done in the page failed (signature, proof, hash): the server cannot be trusted. */
export class CheckError extends Error {}

const ID_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** True if s is a syntactically valid poll id. */
export function validPollId(s) {
  return typeof s === 'string' && ID_RE.test(s);
}

/**
 * A request to the same origin. Returns the parsed JSON (or the text for non-JSON answers);
 * throws ApiError for an error status and NetworkError when no answer came.
 * @param {string} method
 * @param {string} path
 * @param {object} [body] sent as JSON
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  const init = { method, headers: {}, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    throw new NetworkError(`no answer from the server (${e.message})`, path);
  }
  let text;
  try {
    text = await resp.text();
  } catch (e) {
    throw new NetworkError(`the answer was cut off (${e.message})`, path);
  }
  const ct = resp.headers.get('content-type') || '';
  let data = text;
  if (ct.startsWith('application/json')) {
    try {
      data = JSON.parse(text);
    } catch {
      if (resp.ok) throw new CheckError(`${method} ${path}: the answer is not valid JSON`);
      data = null;
    }
  }
  if (!resp.ok) {
    const code = data && typeof data === 'object' ? data.error : undefined;
    const msg = data && typeof data === 'object' ? data.message : undefined;
    throw new ApiError(resp.status, code, msg, path);
  }
  return data;
}

/** "1 ballot", "2 ballots". */
export function ballots(n) {
  return `${n} ${n === 1 ? 'ballot' : 'ballots'}`;
}

/** Waits ms milliseconds. */
export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Runs fn until it returns, retrying after a NetworkError (and a 503) with backoff:
 * 1, 2, 4, 8, then every 15 seconds, for at most `maxTries` attempts. onRetry(attempt, delayMs,
 * error) is called before each wait, so the page can say "network lost, retrying".
 */
export async function withRetry(fn, onRetry, { maxTries = 40, baseMs = 1000 } = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const retryable = e instanceof NetworkError || (e instanceof ApiError && e.status === 503);
      if (!retryable || attempt >= maxTries) throw e;
      const delay = Math.min(baseMs * 2 ** (attempt - 1), 15000);
      if (onRetry) onRetry(attempt, delay, e);
      await sleep(delay);
    }
  }
}

/** poll_hash = H(lp("ballot-poll/v1") ‖ lp(definition bytes)) (docs/protocol.md section 3). */
export async function pollHashOf(definitionText) {
  return sha256(concat(lp('ballot-poll/v1'), lp(utf8(definitionText))));
}

/**
 * GET /polls/{id}, with the definition's hash checked against poll_hash and the keys decoded.
 * @param {string} id
 * @returns {Promise<object>} {id, state, def, pollHash (bytes), pollHashHex, boardKey, electionKey,
 *   classes, raw}
 */
export async function loadPoll(id) {
  if (!validPollId(id)) throw new Error(`"${id}" is not a poll id (lower-case letters, digits and -)`);
  const raw = await api('GET', `/polls/${id}`);
  if (!raw || typeof raw !== 'object' || typeof raw.definition !== 'string')
    throw new CheckError('the poll answer has no definition');
  const pollHash = await pollHashOf(raw.definition);
  if (toHex(pollHash) !== raw.poll_hash)
    throw new CheckError('the poll definition does not hash to the poll_hash the server gives');
  const def = JSON.parse(raw.definition);
  if (def.id !== id) throw new CheckError(`the definition is of poll "${def.id}", not "${id}"`);
  return {
    id,
    state: raw.state,
    def,
    pollHash,
    pollHashHex: raw.poll_hash,
    boardKey: raw.board_key ? fromBase64url(raw.board_key) : null,
    electionKey: raw.election_key ? fromBase64url(raw.election_key) : null,
    classes: raw.classes || [],
    opens: raw.opens,
    closes: raw.closes,
    raw,
  };
}

/**
 * A class id (`committee+north*3`) against a definition: {contests: [contest objects in
 * definition order], weight}. Throws if it does not fit the poll.
 */
export function parseClass(def, classId) {
  const m = /^([a-z0-9+-]+)\*([1-9][0-9]{0,3})$/.exec(classId || '');
  if (!m) throw new Error(`"${classId}" is not a class id`);
  const ids = m[1].split('+');
  const weight = Number(m[2]);
  const contests = [];
  for (const c of def.contests) if (ids.includes(c.id)) contests.push(c);
  if (contests.length !== ids.length) throw new Error(`class ${classId} names a contest the poll does not have`);
  return { contests, weight };
}

/** The contest's kind with its default. */
export function kindOf(c) {
  return c.kind || 'stv';
}

const RULES = {
  'scottish-stv': 'the Scottish STV rules (2007): a candidate who reaches the quota is elected; ' +
    'votes beyond the quota pass on to your next choices, and votes for the candidate with the ' +
    'fewest votes move to your next choice',
  meek: "Meek's method: surplus votes of elected candidates are passed on to your next choices " +
    'at every stage, as precisely as possible, and excluded candidates are skipped',
  wigm: 'the weighted inclusive Gregory method: votes beyond the quota pass on, at a reduced value, ' +
    'to your next choices',
  ers97: 'the ERS97 rules of the Electoral Reform Society: votes beyond the quota pass on to your ' +
    'next choices, and the candidate with the fewest votes is excluded',
  irv: 'instant run-off: if nobody has more than half of the votes, the option with the fewest is ' +
    'dropped and its votes go to each voter\'s next choice, until one option has a majority',
};

/** Short names of the rules, for sentences that refer to a count without explaining it. */
const RULE_NAMES = {
  'scottish-stv': 'the Scottish STV rules (2007)',
  meek: "Meek's method",
  wigm: 'the weighted inclusive Gregory method',
  ers97: 'the ERS97 rules of the Electoral Reform Society',
};

const NUMBERS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
function num(n) {
  return n < NUMBERS.length ? NUMBERS[n] : String(n);
}

/** A fraction in words: 1/2 "half", 2/3 "two thirds", otherwise "N/D". */
export function fractionWords(n, d) {
  const dn = { 2: 'half', 3: 'third', 4: 'quarter', 5: 'fifth', 10: 'tenth' }[d];
  if (!dn) return `${n}/${d}`;
  if (n === 1) return d === 2 ? 'half' : `one ${dn}`;
  return `${num(n)} ${dn}s`;
}

/** The threshold of a referendum, with its defaults. */
export function thresholdOf(c) {
  const t = c.threshold || {};
  return { n: t.numerator || 1, d: t.denominator || 2, abstentions: t.abstentions || 'excluded' };
}

/**
 * The rule of a contest in plain words: a list of sentences.
 * @param {object} c the contest of the definition
 * @param {number} weight the voter's weight (1 for the results page)
 */
export function describeContest(c, weight = 1) {
  const out = [];
  const kind = kindOf(c);
  if (kind === 'stv') {
    const seats = c.seats;
    out.push(`${seats === 1 ? 'One seat' : `${seats} seats`} to fill. Rank as many candidates as you ` +
      'like, your favourite first. A later choice never harms an earlier one.');
    out.push(`Counted by single transferable vote with ${RULES[c.rule || 'scottish-stv'] || c.rule}.`);
  } else if (kind === 'ordered-list') {
    out.push('Rank the candidates: your ranking helps order the whole list, from first place to last.');
    // The method of docs/poll-definition.md ("ordered-list"), in words: repeated STV with one
    // more seat each time, every earlier winner kept.
    out.push('Place 1 goes to the winner of a single transferable vote count for one seat; place 2 to ' +
      'the other candidate elected by a count for two seats, with place 1 kept elected; and so on, one ' +
      'more seat each time, until every place is filled.');
    out.push(`Each count uses ${RULE_NAMES[c.rule || 'scottish-stv'] || c.rule}.`);
  } else if (kind === 'option') {
    out.push('Choose one option, or rank several in order of preference.');
    out.push(`Counted by ${RULES.irv}.`);
  } else if (kind === 'referendum') {
    const t = thresholdOf(c);
    const simple = t.n * 2 === t.d;
    const base = t.abstentions === 'included' ? 'of all ballots, abstentions counted'
      : 'of the votes cast, abstentions not counted';
    out.push('Choose one answer, or leave it blank to abstain.');
    // As the tally counts it (record.md): a simple majority (1/2) is "more than", any other
    // fraction "at least".
    out.push(simple
      ? `Passes with more than half ${base}.`
      : `Passes with at least ${fractionWords(t.n, t.d)} ${base}.`);
  }
  for (const k of c.constraints || []) {
    const parts = [];
    if (k.min) parts.push(`at least ${k.min} ${k.category} must be elected`);
    if (k.max !== undefined && k.max < c.seats) parts.push(`at most ${k.max} ${k.category} may be elected`);
    if (parts.length) out.push(`Rule: ${parts.join(', and ')}.`);
  }
  if (weight !== 1) out.push(`Your vote counts ${weight} times (your weight on the roll is ${weight}).`);
  return out;
}

/** The tracker code of a leaf hash (hex): its first 10 hex digits, `abcde-fghij`. */
export function trackerOf(leafHashHex) {
  return `${leafHashHex.slice(0, 5)}-${leafHashHex.slice(5, 10)}`;
}

/** A tracker code typed by a person, normalised to `abcde-fghij`, or null. */
export function parseTracker(s) {
  const t = String(s || '').trim().toLowerCase().replace(/[\s-]/g, '');
  if (!/^[0-9a-f]{10}$/.test(t)) return null;
  return trackerOf(t);
}

function hashes(list, what) {
  if (!Array.isArray(list)) throw new CheckError(`${what}: expected a list of hashes`);
  return list.map((h) => {
    try {
      return checkHash(h);
    } catch {
      throw new CheckError(`${what}: not a hex hash`);
    }
  });
}

function checkHash(h) {
  const b = fromHex(h);
  if (b.length !== 32) throw new Error('not 32 bytes');
  return b;
}

/**
 * Checks a signed tree head from the wire against the poll: poll_hash and the board key's
 * signature. Returns {treeSize, root, timestampMs}. Throws CheckError.
 */
export async function checkSth(poll, sth, what = 'tree head') {
  if (!sth || typeof sth !== 'object') throw new CheckError(`${what}: missing`);
  if (sth.poll_hash !== poll.pollHashHex) throw new CheckError(`${what}: it names another poll`);
  let root, sig;
  try {
    root = checkHash(sth.root);
    sig = fromBase64url(sth.signature);
  } catch {
    throw new CheckError(`${what}: malformed`);
  }
  if (!Number.isSafeInteger(sth.tree_size) || !Number.isSafeInteger(sth.timestamp_ms))
    throw new CheckError(`${what}: malformed sizes`);
  const ok = sig.length === 64 &&
    (await verifySth(poll.boardKey, { treeSize: sth.tree_size, root, timestampMs: sth.timestamp_ms, pollId: poll.pollHash }, sig));
  if (!ok) throw new CheckError(`${what}: the board key's signature does not verify`);
  return { treeSize: sth.tree_size, root, timestampMs: sth.timestamp_ms };
}

/** GET board/sth, checked. null while the board is empty (404). */
export async function latestSth(poll) {
  let sth;
  try {
    sth = await api('GET', `/polls/${poll.id}/board/sth`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
  const v = await checkSth(poll, sth, 'latest tree head');
  return { ...v, raw: sth };
}

/**
 * Checks a receipt (docs/api.md) and optionally its entry, as ballotctl's ctl_receipt_verify:
 * the leaf hash = H(0x00 ‖ entry), the tree head's signature, receipt_sig, the inclusion proof.
 * Returns the list of checks passed (sentences). Throws CheckError naming the check that failed.
 */
export async function verifyReceiptOffline(poll, r, entry) {
  const done = [];
  if (!r || typeof r !== 'object') throw new CheckError('receipt: not an object');
  if (r.poll !== poll.id || r.poll_hash !== poll.pollHashHex)
    throw new CheckError('receipt: it names another poll (or another version of it)');
  let leaf;
  try {
    leaf = checkHash(r.leaf_hash);
  } catch {
    throw new CheckError('receipt: leaf_hash malformed');
  }
  if (!Number.isSafeInteger(r.leaf_index) || r.leaf_index < 0) throw new CheckError('receipt: leaf_index malformed');
  if (r.tracker !== trackerOf(r.leaf_hash)) throw new CheckError('receipt: the tracker is not the leaf hash\'s');
  if (entry) {
    if (!equal(await leafHash(entry), leaf))
      throw new CheckError('leaf hash: H(0x00 || entry) is not the receipt\'s leaf_hash');
    done.push('leaf hash: the receipt names exactly the ballot entry built when voting');
  }
  const sth = await checkSth(poll, r.sth, 'receipt tree head');
  done.push(`receipt tree head: signed by the board key (tree size ${sth.treeSize})`);
  if (r.leaf_index >= sth.treeSize) throw new CheckError('receipt: leaf_index beyond the tree head');
  let rs;
  try {
    rs = fromBase64url(r.receipt_sig);
  } catch {
    throw new CheckError('receipt: receipt_sig malformed');
  }
  const sigOk = rs.length === 64 && (await verifyReceipt(poll.boardKey, {
    pollHash: poll.pollHash, leafIndex: r.leaf_index, leafHash: leaf, treeSize: sth.treeSize, root: sth.root,
  }, rs));
  if (!sigOk) throw new CheckError('receipt signature: receipt_sig does not verify under the board key');
  done.push('receipt signature: verified with the board key');
  const proof = hashes(r.inclusion, 'receipt inclusion');
  if (!(await verifyInclusion(leaf, r.leaf_index, sth.treeSize, proof, sth.root)))
    throw new CheckError(`receipt inclusion: leaf ${r.leaf_index} is not proved in the receipt's tree`);
  done.push(`receipt inclusion: leaf ${r.leaf_index} is in the tree of ${ballots(sth.treeSize)}`);
  return { checks: done, sth, leaf };
}

/**
 * Checks a leaf against the latest signed tree head, as `ballotctl check-receipt` does after the
 * offline checks: the latest head's signature, an inclusion proof for the leaf hash under it at
 * the expected index, and (given an earlier head) the consistency of the earlier head with the
 * latest. Returns {checks, latest}.
 */
export async function verifyAgainstLatest(poll, leaf, leafIndex, earlier) {
  const done = [];
  const latest = await latestSth(poll);
  if (!latest) throw new CheckError('latest tree head: the board is empty');
  done.push(`latest tree head: signed by the board key (tree size ${latest.treeSize})`);
  if (earlier && latest.treeSize < earlier.treeSize)
    throw new CheckError(`latest tree head: size ${latest.treeSize} is smaller than the receipt's ${earlier.treeSize}: the board shrank`);
  const inc = await api('GET', `/polls/${poll.id}/board/inclusion?leaf_hash=${toHex(leaf)}&tree_size=${latest.treeSize}`);
  if (inc.leaf_index !== leafIndex)
    throw new CheckError(`latest inclusion: the server places the ballot at another index than ${leafIndex}`);
  if (inc.tree_size !== undefined && inc.tree_size !== latest.treeSize)
    throw new CheckError('latest inclusion: the proof is for another tree size');
  if (!(await verifyInclusion(leaf, leafIndex, latest.treeSize, hashes(inc.proof, 'latest inclusion'), latest.root)))
    throw new CheckError(`latest inclusion: leaf ${leafIndex} is not proved in the latest tree`);
  done.push(`latest inclusion: leaf ${leafIndex} is in the latest tree of ${ballots(latest.treeSize)}`);
  if (earlier) {
    let ok;
    if (latest.treeSize === earlier.treeSize) ok = equal(latest.root, earlier.root);
    else {
      const c = await api('GET', `/polls/${poll.id}/board/consistency?first=${earlier.treeSize}&second=${latest.treeSize}`);
      ok = await verifyConsistency(earlier.treeSize, latest.treeSize, earlier.root, latest.root, hashes(c.proof, 'consistency'));
    }
    if (!ok)
      throw new CheckError(`consistency: the tree of ${earlier.treeSize} is not a prefix of the latest of ${latest.treeSize}`);
    done.push(`consistency: the tree of ${earlier.treeSize} is a prefix of the latest (${latest.treeSize})`);
  }
  return { checks: done, latest };
}

/**
 * A receipt file (docs/ballotctl.md "The receipt file": `ballotctl-receipt/1`, or a bare receipt)
 * parsed: {receipt, entry (bytes or null), boardKey (bytes or null)}.
 */
export function parseReceiptFile(text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    throw new CheckError('the file is not JSON');
  }
  if (!v || typeof v !== 'object') throw new CheckError('the file is not a receipt');
  if (v.format === undefined) return { receipt: v, entry: null, boardKey: null };
  if (v.format !== 'ballotctl-receipt/1') throw new CheckError('format: expected "ballotctl-receipt/1"');
  let entry = null;
  let boardKey = null;
  try {
    if (v.entry !== undefined) entry = fromBase64url(v.entry);
    if (v.board_key !== undefined) boardKey = fromBase64url(v.board_key);
  } catch {
    throw new CheckError('entry or board_key: not base64url');
  }
  return { receipt: v.receipt, entry, boardKey };
}

/** Writes text to the page's live region (role=status) and optionally marks it an error. */
export function announce(el, text, kind = 'info') {
  el.textContent = text;
  el.className = `notice notice-${kind}`;
  el.hidden = !text;
}

/** document.createElement with attributes and children (strings become text nodes). */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** The state of a poll in words. */
export function stateWords(state) {
  return {
    draft: 'being prepared (not open yet)',
    ceremony: 'waiting for the trustees\' key ceremony (not open yet)',
    open: 'open for voting',
    closed: 'closed: the ballots are being counted',
    tallied: 'counted: the results are not published yet',
    published: 'finished: the results are published',
  }[state] || state;
}

/** A time in ms since the epoch as a readable UTC string. */
export function timeWords(ms) {
  if (typeof ms !== 'number' || ms < 0) return '';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** The query (`?poll=`) or fragment (`#poll=`) parameters of the page's URL. */
export function pageParams() {
  const q = new URLSearchParams(location.search);
  const f = new URLSearchParams(location.hash.replace(/^#/, ''));
  return { get: (k) => f.get(k) ?? q.get(k), query: q, fragment: f };
}

/**
 * The poll of a public page (board, results): `?poll=` if it is a valid id; otherwise null, with
 * the page's #poll-form shown, which loads the page again with the poll typed in it.
 * @returns {string|null}
 */
export function pollOfPage() {
  const id = pageParams().get('poll');
  document.getElementById('poll-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = document.getElementById('poll-input').value.trim();
    if (validPollId(v)) location.search = `?poll=${encodeURIComponent(v)}`;
    else announce(document.getElementById('error'), 'Poll: lower-case letters, digits and -.', 'error');
  });
  if (validPollId(id)) return id;
  document.getElementById('poll-form').hidden = false;
  return null;
}

export { toHex, fromHex, fromBase64url };
