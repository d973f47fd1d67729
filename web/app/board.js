// The board page (web/board.html?poll=ID): the latest signed tree head (signature checked here,
// each new head checked for consistency with the previous one), the counts of tokens and ballots,
// finding a ballot by its tracker code with the inclusion proof checked here, and checking a
// receipt file as `ballotctl check-receipt` does. docs/voter.md explains each check.

import { equal, fromHex, toHex } from '../crypto/bytes.js';
import { verifyConsistency, verifyInclusion } from '../crypto/merkle.js';
import {
  ApiError, CheckError, api, announce, ballots, h, latestSth, loadPoll, pollOfPage, parseReceiptFile, parseTracker,
  stateWords, timeWords, verifyAgainstLatest, verifyReceiptOffline,
} from './common.js';

const $ = (id) => document.getElementById(id);
let poll = null;
let seen = null; // the last tree head shown (checked), for consistency
const REFRESH_MS = 10000;

function err(text) {
  announce($('error'), text, 'error');
}

async function main() {
  const id = pollOfPage();
  if (id === null) return;
  try {
    poll = await loadPoll(id);
  } catch (e) {
    err(e instanceof ApiError && e.status === 404 ? `There is no poll "${id}" on this server.` : `The poll cannot be loaded: ${e.message}`);
    return;
  }
  document.title = `Board: ${poll.def.title}`;
  $('poll-title-bar').textContent = poll.def.title;
  $('page-heading').textContent = `Ballot board: ${poll.def.title}`;
  $('results-link').href = `results.html?poll=${encodeURIComponent(id)}`;
  $('board').hidden = false;
  $('refresh-button').addEventListener('click', () => refresh(true));
  $('tracker-form').addEventListener('submit', onTracker);
  $('receipt-file').addEventListener('change', onReceiptFile);
  await refresh(false);
  setInterval(() => refresh(false), REFRESH_MS);
}

async function refresh(byHand) {
  try {
    const [st, sth] = await Promise.all([api('GET', `/polls/${poll.id}/status`), poll.boardKey ? latestSth(poll) : null]);
    poll.state = st.state;
    $('poll-state').textContent = stateWords(st.state);
    let tokens = 0;
    let cast = 0;
    for (const c of st.classes || []) {
      tokens += c.tokens_issued || 0;
      cast += c.entries || 0;
    }
    $('tokens-count').textContent = String(tokens);
    $('ballots-count').textContent = String(cast);
    if (!sth) {
      $('sth-size').textContent = '0';
      $('sth-verified').textContent = 'no tree head yet: the board is empty';
      return;
    }
    // The last head this browser was shown on an earlier visit, if any.
    if (seen === null) seen = loadSeen();
    if (seen) {
      // The board only grows: the head seen before must be a prefix of this one.
      let ok;
      if (sth.treeSize < seen.treeSize) ok = false;
      else if (sth.treeSize === seen.treeSize) ok = equal(sth.root, seen.root);
      else {
        const c = await api('GET', `/polls/${poll.id}/board/consistency?first=${seen.treeSize}&second=${sth.treeSize}`);
        ok = await verifyConsistency(seen.treeSize, sth.treeSize, seen.root, sth.root, c.proof.map(fromHex));
      }
      if (!ok) {
        throw new CheckError(`the board of ${sth.treeSize} ballots does not extend the one of ${seen.treeSize} ` +
          (seen.stored ? `this browser was shown on ${timeWords(seen.timestampMs)}` : 'shown before'));
      }
    }
    seen = sth;
    saveSeen(sth);
    $('sth-size').textContent = String(sth.treeSize);
    $('sth-time').textContent = timeWords(sth.timestampMs);
    $('sth-root').textContent = toHex(sth.root);
    $('sth-verified').textContent = 'verified in this page with the board key' +
      (byHand ? ` (checked again at ${timeWords(Date.now())})` : '');
    $('sth-verified').className = 'verdict-ok';
    document.documentElement.dataset.sthSize = String(sth.treeSize);
  } catch (e) {
    if (e instanceof CheckError) {
      $('sth-verified').textContent = `FAILED: ${e.message}`;
      $('sth-verified').className = 'verdict-bad';
      err(`A check failed: ${e.message}. Do not trust this board; tell the election organiser.`);
    } else err(`The board cannot be loaded: ${e.message}`);
  }
}

// The last head shown, kept in this browser per poll (and version of it), so that a later visit
// checks that the board it is shown extends the one shown before: a server that shows different
// boards at different times, or to this browser and others, is caught by the first such check.
function headKey() {
  return `ballot-board-head/${poll.id}/${poll.pollHashHex}`;
}

function loadSeen() {
  try {
    const j = JSON.parse(localStorage.getItem(headKey()));
    if (j && Number.isSafeInteger(j.tree_size) && j.tree_size > 0 && /^[0-9a-f]{64}$/.test(j.root))
      return { treeSize: j.tree_size, root: fromHex(j.root), timestampMs: j.timestamp_ms, stored: true };
  } catch {
    /* nothing kept, or not ours: start afresh */
  }
  return null;
}

function saveSeen(sth) {
  try {
    localStorage.setItem(headKey(), JSON.stringify({ tree_size: sth.treeSize, root: toHex(sth.root), timestamp_ms: sth.timestampMs }));
  } catch {
    /* storage full or off: the check works within this visit only */
  }
}

function verdict(box, kind, title, lines) {
  box.replaceChildren(h('p', { class: kind === 'included' || kind === 'honoured' ? 'verdict-ok notice notice-ok' : 'verdict-bad notice notice-error' }, title));
  box.dataset.verdict = kind;
  if (lines && lines.length) {
    const ul = h('ul', { class: kind === 'included' || kind === 'honoured' ? 'checks' : '' });
    for (const l of lines) ul.append(h('li', {}, l));
    box.append(ul);
  }
}

async function onTracker(ev) {
  ev.preventDefault();
  const box = $('tracker-result');
  const t = parseTracker($('tracker-input').value);
  if (!t) {
    verdict(box, 'invalid', 'A tracker code is 10 letters and digits (0-9, a-f), like abcde-12345.');
    return;
  }
  box.dataset.verdict = 'checking';
  box.replaceChildren(h('p', {}, `Looking for ${t}…`));
  try {
    const found = await api('GET', `/polls/${poll.id}/board/find?tracker=${t}`);
    const matches = found.matches || [];
    if (matches.length === 0) {
      verdict(box, 'not-found', `No ballot with tracker ${t} is on the board.`,
        ['Check the code against your receipt. If you voted and the code is right, tell the election organiser.']);
      return;
    }
    const lines = [];
    const sth = await latestSth(poll);
    if (!sth) throw new CheckError('the board has no signed tree head');
    for (const m of matches) {
      const leaf = fromHex(m.leaf_hash);
      if (!m.leaf_hash.startsWith(t.replace('-', ''))) throw new CheckError('the server answered a ballot with another tracker');
      const inc = await api('GET', `/polls/${poll.id}/board/inclusion?leaf_hash=${m.leaf_hash}&tree_size=${sth.treeSize}`);
      if (inc.leaf_index !== m.leaf_index) throw new CheckError('the server gives two different positions for the ballot');
      if (!(await verifyInclusion(leaf, m.leaf_index, sth.treeSize, inc.proof.map(fromHex), sth.root)))
        throw new CheckError(`the inclusion proof of ballot ${m.leaf_index} does not verify`);
      lines.push(`Ballot number ${m.leaf_index} (leaf hash ${m.leaf_hash.slice(0, 16)}…) is included in the signed tree of ` +
        `${ballots(sth.treeSize)}: inclusion proof and board signature verified in this page.`);
    }
    verdict(box, 'included', `Your ballot ${t} is included on the board.`, lines);
  } catch (e) {
    if (e instanceof CheckError) verdict(box, 'failed', `Check FAILED: ${e.message}.`, ['Do not trust this board; tell the election organiser.']);
    else verdict(box, 'error', `The check could not be done: ${e.message}`);
  }
}

async function onReceiptFile() {
  const box = $('receipt-result');
  const f = $('receipt-file').files[0];
  if (!f) return;
  box.dataset.verdict = 'checking';
  box.replaceChildren(h('p', {}, 'Checking the receipt…'));
  try {
    const { receipt, entry, boardKey } = parseReceiptFile(await f.text());
    if (!receipt || receipt.poll !== poll.id) throw new CheckError(`the receipt is for poll "${receipt && receipt.poll}", not "${poll.id}"`);
    const lines = [];
    if (boardKey) {
      if (!equal(boardKey, poll.boardKey)) throw new CheckError('the server\'s board key is not the one the receipt was signed with');
      lines.push('board key: unchanged since the vote');
    }
    const off = await verifyReceiptOffline(poll, receipt, entry);
    const live = await verifyAgainstLatest(poll, off.leaf, receipt.leaf_index, off.sth);
    verdict(box, 'honoured', `Receipt ${receipt.tracker}: honoured. Your ballot is on the board, unchanged.`, [...lines, ...off.checks, ...live.checks]);
  } catch (e) {
    if (e instanceof CheckError) verdict(box, 'failed', `Check FAILED: ${e.message}.`, ['Keep the receipt file and tell the election organiser.']);
    else verdict(box, 'error', `The receipt could not be checked: ${e.message}`);
  }
}

main();
