// The voter's page (web/vote.html): the client side of docs/protocol.md sections 5 to 8, the
// same steps in the same order and with the same checks as ballotctl/vote.c:
//
//   1. load the poll (its definition checked against poll_hash) and the voter's class
//      (POST /polls/{id}/voter); the voter ranks, reviews and confirms;
//   2. a fresh Ed25519 cast key, Prepare and Blind with the class's token key; the state is saved
//      in localStorage BEFORE the token request, so a reload sends the same blinded message;
//   3. POST tokens, Finalize (which verifies); saved (step "token");
//   4. the plaintext, padded and sealed to the election key (aad = token_id); saved BEFORE the
//      cast (step "sealed"), so a resumed cast sends the same bytes and gets the same receipt;
//   5. cast_sig, a random short delay, POST casts (a new connection; retried with the same bytes);
//   6. the receipt: the leaf hash of the entry built here, the tree head's signature, receipt_sig,
//      the inclusion proof; then the latest tree head, its inclusion and consistency proofs;
//   7. the receipt file (ballotctl-receipt/1) is kept; the cast key and the token are wiped.
//
// docs/voter.md says what the voter sees; the DOM contract (ids) is in docs/voter.md too.

import { fromBase64url, sha256, toBase64url, toHex, utf8 } from '../crypto/bytes.js';
import { blind, finalize, importPublicKey, prepare } from '../crypto/blindrsa.js';
import { exportSeed, generateKeyPair, importSeed } from '../crypto/ed25519.js';
import { boardEntryV2, sealBallot, signCast } from '../crypto/cast.js';
import {
  ApiError, CheckError, NetworkError, api, announce, ballots, describeContest, h, kindOf, loadPoll, pageParams,
  parseClass, sleep, stateWords, trackerOf, validPollId, verifyAgainstLatest, verifyReceiptOffline, withRetry,
} from './common.js';

const $ = (id) => document.getElementById(id);
const STATE_FORMAT = 'ballot-web-vote/1';
const RECEIPT_FORMAT = 'ballotctl-receipt/1';

let poll = null; // loadPoll()
let voter = null; // {voterId, classId, contests, weight, tokenIssued}
let credential = null; // only in memory and sessionStorage (tab-scoped), never in a URL sent
let choices = {}; // contest id -> [candidate numbers, 1-based, best first]

// ---------------------------------------------------------------------------------------------
// Page state for people and for the test drivers: <html data-vote-step="..."> and an event.

function setStep(step) {
  document.documentElement.dataset.voteStep = step;
  document.dispatchEvent(new CustomEvent('vote-step', { detail: step }));
}

function show(sectionId) {
  for (const id of ['step-start', 'step-ballot', 'step-summary', 'step-progress', 'step-done'])
    $(id).hidden = id !== sectionId;
}

function status(text) {
  announce($('status'), text, 'info');
}

function showError(text) {
  announce($('error'), text, 'error');
}

function clearError() {
  announce($('error'), '', 'error');
}

// ---------------------------------------------------------------------------------------------
// Storage. localStorage: one record per poll and voter id, `ballot-vote/<poll>/<voter id>`.
// sessionStorage: the credential of this tab (survives a reload, not a closed tab).

function stateKey(pollId, voterId) {
  return `ballot-vote/${pollId}/${voterId}`;
}

function loadState(pollId, voterId) {
  const t = localStorage.getItem(stateKey(pollId, voterId));
  if (!t) return null;
  try {
    const s = JSON.parse(t);
    return s && s.format === STATE_FORMAT ? s : null;
  } catch {
    return null;
  }
}

function saveState(s) {
  // Throws (QuotaExceededError, storage disabled) before any network step that depends on it.
  localStorage.setItem(stateKey(s.poll, s.voter_id), JSON.stringify(s));
}

function statesOfPoll(pollId) {
  const out = [];
  const prefix = `ballot-vote/${pollId}/`;
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k && k.startsWith(prefix)) {
      const s = loadState(pollId, k.slice(prefix.length));
      if (s) out.push(s);
    }
  }
  return out;
}

function credKey(pollId) {
  return `ballot-credential/${pollId}`;
}

/** The voter id of a credential `<voter_id>:<secret>` (docs/formats.md): split at the last ':'. */
function voterIdOf(cred) {
  const i = cred.lastIndexOf(':');
  if (i <= 0 || i === cred.length - 1) return null;
  return cred.slice(0, i);
}

// ---------------------------------------------------------------------------------------------
// Messages in the voter's words.

function explain(e, during) {
  if (e instanceof CheckError)
    return `A security check failed: ${e.message}. Your vote may not be safe with this server. ` +
      'Keep this page open and tell the election organiser.';
  if (e instanceof NetworkError) return 'The network connection is lost. Check your connection and try again.';
  if (e instanceof ApiError) {
    switch (e.code) {
      case 'wrong_state':
        if (poll && ['draft', 'ceremony'].includes(poll.state)) return 'Voting has not opened yet. Please come back later.';
        return 'Voting is closed: the poll no longer accepts ballots.';
      case 'bad_request':
        if (/^credential: /.test(e.message))
          return 'This credential is not complete or has a typing mistake: it is your voter id, a colon, then ' +
            '26 letters and digits in groups of four (like v17:ABCD-EFGH-…). Copy it again from your invitation.';
        return `The server refused: ${e.message}`;
      case 'bad_credential':
        return 'This credential is not recognised for this poll. Check that you copied it completely, ' +
          'with the part before the colon.';
      case 'token_already_issued':
        return 'A ballot was already issued for this credential, from another browser or device. ' +
          'If you started voting there, finish there: each credential can vote once.';
      case 'wrong_class':
        return 'This page prepared a ballot for the wrong group of voters. Reload the page to start again: ' +
          'nothing was issued yet.';
      case 'token_used':
        return 'This ballot was already cast: each credential can vote once.';
      case 'not_found':
        return during === 'poll' ? 'There is no such poll on this server. Check the poll name.' : `Not found: ${e.message}`;
      default:
        return `The server refused: ${e.message}`;
    }
  }
  return `Something went wrong: ${e.message}`;
}

async function retrying(what, fn) {
  return withRetry(fn, (attempt, delay) => {
    status(`Network lost while ${what}: retrying in ${Math.round(delay / 1000)} s (attempt ${attempt + 1})…`);
  });
}

// ---------------------------------------------------------------------------------------------
// Start: the poll id and credential from the link's fragment, the form, or this tab's session.

async function start() {
  const p = pageParams();
  let pollId = p.get('poll');
  let cred = p.fragment.get('cred');
  if (p.fragment.has('cred') || p.fragment.has('poll')) {
    // Take the credential out of the address bar (and out of the history entry).
    history.replaceState(null, '', `${location.pathname}${pollId ? `?poll=${encodeURIComponent(pollId)}` : ''}`);
  }
  $('start-form').addEventListener('submit', onStartForm);
  if (pollId && !cred) cred = sessionStorage.getItem(credKey(pollId));
  if (pollId && cred) return begin(pollId, cred.trim());
  if (pollId && validPollId(pollId)) {
    // A reopened tab without the credential: the one vote of this poll kept in this browser
    // goes on (until the token is issued its state holds the credential).
    const states = statesOfPoll(pollId);
    if (states.length === 1) return begin(pollId, null, states[0]);
    $('poll-id').value = pollId;
  }
  setStep('start');
  show('step-start');
  return undefined;
}

async function onStartForm(ev) {
  ev.preventDefault();
  clearError();
  const pollId = $('poll-id').value.trim();
  const cred = $('credential').value.trim();
  if (!validPollId(pollId)) {
    showError('Poll: type the poll name from your invitation (lower-case letters, digits and -).');
    $('poll-id').focus();
    return;
  }
  if (!voterIdOf(cred)) {
    showError('Credential: type it as in your invitation, e.g. v1:ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-23.');
    $('credential').focus();
    return;
  }
  $('credential').value = '';
  history.replaceState(null, '', `${location.pathname}?poll=${encodeURIComponent(pollId)}`);
  await begin(pollId, cred);
}

async function begin(pollId, cred, resumeState) {
  clearError();
  setStep('loading');
  status('Loading the poll…');
  try {
    poll = await retrying('loading the poll', () => loadPoll(pollId));
  } catch (e) {
    fail(e, 'poll');
    show('step-start');
    return;
  }
  document.title = `Vote: ${poll.def.title}`;
  $('poll-title-bar').textContent = poll.def.title;
  $('page-heading').textContent = poll.def.title;
  $('board-link').href = `board.html?poll=${encodeURIComponent(poll.id)}`;
  if (!poll.boardKey || !poll.electionKey) {
    stop(`Voting has not opened yet: the poll is ${stateWords(poll.state)}.`);
    return;
  }
  let state = resumeState || null;
  if (cred) {
    const vid = voterIdOf(cred);
    if (!vid) {
      status('');
      showError('The credential in the link is not complete. Type it below.');
      $('poll-id').value = pollId;
      setStep('start');
      show('step-start');
      return;
    }
    credential = cred;
    sessionStorage.setItem(credKey(pollId), cred);
    state = loadState(pollId, vid);
  }
  if (state && state.poll_hash !== poll.pollHashHex) {
    stop('This browser holds an unfinished vote for another version of this poll; it cannot be resumed.');
    return;
  }
  if (state && state.step === 'done') {
    sessionStorage.removeItem(credKey(pollId));
    credential = null;
    showDone(state, false);
    return recheckDone(state);
  }
  try {
    voter = await whoAmI(state);
  } catch (e) {
    fail(e);
    if (e instanceof ApiError && e.code === 'bad_credential') {
      sessionStorage.removeItem(credKey(pollId));
      $('poll-id').value = pollId;
      setStep('start');
      show('step-start');
    }
    return;
  }
  if (state) {
    choices = state.choices;
    return runCast(state);
  }
  if (voter.tokenIssued) {
    stop(explain(new ApiError(409, 'token_already_issued', '')));
    return;
  }
  if (poll.state !== 'open') {
    stop(['draft', 'ceremony'].includes(poll.state)
      ? `Voting has not opened yet (the poll is ${stateWords(poll.state)}).`
      : `Voting is closed (the poll is ${stateWords(poll.state)}).`);
    return;
  }
  status('');
  renderBallot();
  return undefined;
}

/** The voter's class: from the resumed state, else POST /polls/{id}/voter. */
async function whoAmI(state) {
  let classId;
  let voterId;
  let tokenIssued = false;
  if (state) {
    classId = state.class;
    voterId = state.voter_id;
  } else {
    const ans = await retrying('checking your credential', () => api('POST', `/polls/${poll.id}/voter`, { credential }));
    classId = ans.class;
    voterId = ans.voter_id;
    tokenIssued = ans.token_issued === true;
    if (ans.state) poll.state = ans.state;
    if (voterId !== voterIdOf(credential)) throw new CheckError('the server names another voter than the credential');
  }
  const cls = poll.classes.find((c) => c.id === classId);
  if (!cls || !cls.token_key) throw new CheckError(`the poll publishes no token key for your class ${classId}`);
  const { contests, weight } = parseClass(poll.def, classId);
  return { voterId, classId, contests, weight, tokenIssued, tokenKey: cls.token_key };
}

function fail(e, during) {
  console.error(e);
  stop(explain(e, during));
}

/** Ends with a message (and, once the poll is known, links to its board and results). */
function stop(text) {
  status('');
  showError(text);
  if (poll) {
    $('more-board').href = `board.html?poll=${encodeURIComponent(poll.id)}`;
    $('more-results').href = `results.html?poll=${encodeURIComponent(poll.id)}`;
    $('more-links').hidden = false;
  }
  setStep('error');
}

// ---------------------------------------------------------------------------------------------
// The ballot: rank by pressing candidates; reorder and remove in "Your ranking".

function renderBallot() {
  setStep('ballot');
  show('step-ballot');
  const box = $('contests');
  box.replaceChildren();
  for (const c of voter.contests) {
    if (!choices[c.id]) choices[c.id] = [];
    const kind = kindOf(c);
    const titleId = `contest-title-${c.id}`;
    const sec = h('section', { class: 'contest', id: `contest-${c.id}`, 'aria-labelledby': titleId, 'data-contest': c.id });
    const seats = kind === 'stv' ? ` (${c.seats} ${c.seats === 1 ? 'seat' : 'seats'})` : '';
    sec.append(h('h3', { id: titleId }, c.title, seats));
    const rule = h('div', { class: 'rule', id: `rule-${c.id}` });
    for (const line of describeContest(c, voter.weight)) rule.append(h('p', {}, line));
    sec.append(rule);
    sec.append(h('h4', { id: `cands-h-${c.id}` }, kind === 'referendum' ? 'Answers' : 'Candidates'));
    const ul = h('ul', { class: 'candidates', id: `candidates-${c.id}`, 'aria-labelledby': `cands-h-${c.id}` });
    c.candidates.forEach((cand, i) => {
      const n = i + 1;
      const cats = cand.categories && cand.categories.length ? cand.categories.join(', ') : '';
      const b = h('button', {
        type: 'button', class: 'candidate', id: `cand-${c.id}-${n}`, 'data-contest': c.id, 'data-candidate': n,
        'aria-pressed': 'false', onclick: () => toggle(c, n),
      }, h('span', { class: 'rank-badge', 'aria-hidden': 'true' }), h('span', { class: 'cand-name' }, cand.name),
      cats ? h('span', { class: 'cats' }, ` (${cats})`) : null);
      ul.append(h('li', {}, b));
    });
    ul.addEventListener('keydown', (ev) => arrowKeys(ev, ul));
    sec.append(ul);
    sec.append(h('h4', { id: `rank-h-${c.id}` }, kind === 'referendum' ? 'Your answer' : 'Your ranking'));
    sec.append(h('ol', { class: 'ranking', id: `ranking-${c.id}`, 'aria-labelledby': `rank-h-${c.id}` }));
    sec.append(h('p', { class: 'empty-ranking', id: `empty-${c.id}` }, 'No choice yet: this contest would be left blank.'));
    box.append(sec);
    refresh(c);
  }
  $('review-button').onclick = review;
  const first = box.querySelector('button.candidate');
  if (first && document.activeElement === document.body) first.focus({ preventScroll: true });
}

/** Arrow keys move between the candidates of a list (Down/Right next, Up/Left previous, Home, End). */
function arrowKeys(ev, ul) {
  const buttons = [...ul.querySelectorAll('button.candidate')];
  const i = buttons.indexOf(document.activeElement);
  if (i < 0) return;
  const to = { ArrowDown: i + 1, ArrowRight: i + 1, ArrowUp: i - 1, ArrowLeft: i - 1, Home: 0, End: buttons.length - 1 }[ev.key];
  if (to === undefined) return;
  ev.preventDefault();
  buttons[Math.max(0, Math.min(buttons.length - 1, to))].focus();
}

function toggle(c, n) {
  const r = choices[c.id];
  const at = r.indexOf(n);
  if (at >= 0) r.splice(at, 1);
  else if (kindOf(c) === 'referendum') r.splice(0, r.length, n);
  else r.push(n);
  refresh(c);
  const name = c.candidates[n - 1].name;
  status(at >= 0 ? `${name} removed from your ranking in ${c.title}.`
    : kindOf(c) === 'referendum' ? `Your answer in ${c.title}: ${name}.`
      : `${name} is your choice number ${r.length} in ${c.title}.`);
}

function move(c, pos, delta, focusSel) {
  const r = choices[c.id];
  const to = pos + delta;
  if (to < 0 || to >= r.length) return;
  [r[pos], r[to]] = [r[to], r[pos]];
  refresh(c);
  const name = c.candidates[r[to] - 1].name;
  status(`${name} is now your choice number ${to + 1} in ${c.title}.`);
  const target = document.getElementById(`${focusSel}-${c.id}-${r[to]}`);
  if (target && !target.disabled) target.focus();
  else {
    const alt = document.getElementById(`${focusSel === 'up' ? 'down' : 'up'}-${c.id}-${r[to]}`);
    if (alt) alt.focus();
  }
}

function removeAt(c, pos) {
  const r = choices[c.id];
  const [n] = r.splice(pos, 1);
  refresh(c);
  status(`${c.candidates[n - 1].name} removed from your ranking in ${c.title}.`);
  const next = document.getElementById(`cand-${c.id}-${n}`);
  if (next) next.focus();
}

function refresh(c) {
  const r = choices[c.id];
  c.candidates.forEach((cand, i) => {
    const b = $(`cand-${c.id}-${i + 1}`);
    const at = r.indexOf(i + 1);
    b.setAttribute('aria-pressed', at >= 0 ? 'true' : 'false');
    b.querySelector('.rank-badge').textContent = at >= 0 ? String(at + 1) : '';
    const who = cand.categories && cand.categories.length ? `${cand.name} (${cand.categories.join(', ')})` : cand.name;
    b.setAttribute('aria-label', at >= 0 ? `${who}, ranked ${at + 1}: press to remove` : `${who}: press to rank next`);
    b.classList.toggle('ranked', at >= 0);
  });
  const ol = $(`ranking-${c.id}`);
  ol.replaceChildren();
  const ref = kindOf(c) === 'referendum';
  r.forEach((n, pos) => {
    const name = c.candidates[n - 1].name;
    const li = h('li', { 'data-candidate': n }, h('span', { class: 'rank-name' }, name));
    const tools = h('span', { class: 'rank-tools' });
    if (!ref) {
      tools.append(
        h('button', { type: 'button', class: 'small', id: `up-${c.id}-${n}`, 'aria-label': `Move ${name} up`, disabled: pos === 0, onclick: () => move(c, pos, -1, 'up') }, '↑ Up'),
        h('button', { type: 'button', class: 'small', id: `down-${c.id}-${n}`, 'aria-label': `Move ${name} down`, disabled: pos === r.length - 1, onclick: () => move(c, pos, 1, 'down') }, '↓ Down'),
      );
    }
    tools.append(h('button', { type: 'button', class: 'small secondary', id: `remove-${c.id}-${n}`, 'aria-label': `Remove ${name}`, onclick: () => removeAt(c, pos) }, '✕ Remove'));
    li.append(tools);
    ol.append(li);
  });
  $(`empty-${c.id}`).hidden = r.length > 0;
}

// ---------------------------------------------------------------------------------------------
// Summary and confirmation.

function review() {
  clearError();
  status('');
  setStep('summary');
  show('step-summary');
  const box = $('summary');
  box.replaceChildren();
  const blanks = [];
  for (const c of voter.contests) {
    const r = choices[c.id];
    const sec = h('div', { class: 'summary-contest', id: `summary-${c.id}` }, h('h3', {}, c.title));
    if (r.length === 0) {
      blanks.push(c.title);
      sec.append(h('p', { class: 'blank' }, 'Blank: no choice in this contest.'));
    } else {
      const ol = h('ol', {});
      for (const n of r) ol.append(h('li', {}, c.candidates[n - 1].name));
      sec.append(ol);
    }
    box.append(sec);
  }
  $('blank-warning').hidden = blanks.length === 0;
  $('blank-confirm-row').hidden = blanks.length === 0;
  $('confirm-blank').checked = false;
  if (blanks.length) {
    $('blank-warning').textContent = `You have made no choice in: ${blanks.join(', ')}. ` +
      'A blank vote counts for nobody in that contest.';
    $('confirm-blank-label').textContent = `Yes, leave ${blanks.length === 1 ? 'this contest' : 'these contests'} blank`;
  }
  $('revote-note').textContent = poll.def.revoting ? ' from this page' : '';
  $('edit-button').onclick = () => {
    renderBallot();
    $('review-button').focus();
  };
  $('cast-button').onclick = () => {
    if (blanks.length && !$('confirm-blank').checked) {
      showError('Confirm that you want to leave the blank contests blank (tick the box), or change your choices.');
      $('confirm-blank').focus();
      return;
    }
    castFresh();
  };
  $('summary-heading').focus();
}

/** The ballot plaintext of docs/protocol.md section 6, as proto_ballot_encode writes it. */
function plaintext(classId, ch) {
  const parts = voter.contests.map((c) => `${JSON.stringify(c.id)}:[${ch[c.id].join(',')}]`);
  return `{"v":1,"poll":${JSON.stringify(poll.id)},"class":${JSON.stringify(classId)},"contests":{${parts.join(',')}}}`;
}

/** The choices against the class, as ballotctl's ctl_ballot_check: every contest, no repeats. */
function checkChoices(ch) {
  for (const c of voter.contests) {
    const r = ch[c.id];
    if (!Array.isArray(r)) throw new Error(`${c.title}: no ranking`);
    const seen = new Set();
    for (const n of r) {
      if (!Number.isInteger(n) || n < 1 || n > c.candidates.length) throw new Error(`${c.title}: candidate ${n} does not exist`);
      if (seen.has(n)) throw new Error(`${c.title}: ${c.candidates[n - 1].name} is ranked twice`);
      seen.add(n);
    }
    if (kindOf(c) === 'referendum' && r.length > 1) throw new Error(`${c.title}: one answer only`);
  }
  for (const k of Object.keys(ch)) if (!voter.contests.some((c) => c.id === k)) throw new Error(`${k} is not a contest of your class`);
}

// ---------------------------------------------------------------------------------------------
// The cast.

const STEPS = [
  ['token', 'Getting an anonymous ballot token (blind signature)'],
  ['seal', 'Sealing your ballot to the election key'],
  ['cast', 'Casting it on a separate connection'],
  ['verify', 'Checking the receipt: signatures and inclusion in the board'],
];

function renderProgress() {
  const ol = $('progress-list');
  ol.replaceChildren();
  for (const [id, text] of STEPS) ol.append(h('li', { id: `progress-${id}`, class: 'pending' }, text));
}

function mark(id, cls) {
  const li = $(`progress-${id}`);
  if (li) li.className = cls;
}

async function castFresh() {
  clearError();
  $('cast-button').disabled = true;
  try {
    checkChoices(choices);
    const pt = plaintext(voter.classId, choices);
    if (utf8(pt).length + 4 > poll.def.ballot_size) throw new Error('the ballot does not fit the poll\'s ballot size');
    const key = await importPublicKey(fromBase64url(voter.tokenKey.spki));
    // The token's msg is the public half of a fresh cast key (protocol.md section 5). The key is
    // made extractable only to keep its seed in storage until the cast.
    const kp = await generateKeyPair({ extractable: true });
    const seed = await exportSeed(kp.privateKey);
    const prepared = prepare(kp.pk);
    const { blindedMsg, inv } = await blind(key, prepared);
    const state = {
      format: STATE_FORMAT, poll: poll.id, poll_hash: poll.pollHashHex, voter_id: voter.voterId,
      class: voter.classId, choices: structuredClone(choices), step: 'blinded',
      credential, prepared: toBase64url(prepared), cast_key: toBase64url(seed),
      blinded: toBase64url(blindedMsg), inv: toBase64url(inv),
    };
    seed.fill(0);
    saveState(state); // BEFORE the request: see the top of this file
    await runCast(state, true);
  } catch (e) {
    fail(e);
    $('cast-button').disabled = false;
  }
}

/**
 * The steps from the saved state on. fresh: the blinded message was made by this page load (as
 * ballotctl's `fresh`): if the server refuses it with a 4xx it got no token, and the state goes.
 */
async function runCast(state, fresh = false) {
  show('step-progress');
  renderProgress();
  $('progress-heading').focus();
  try {
    const key = await importPublicKey(fromBase64url(voter.tokenKey.spki));
    const prepared = fromBase64url(state.prepared);
    if (state.step === 'blinded') {
      setStep('blinded');
      mark('token', 'active');
      status('Getting your anonymous ballot token…');
      const cred = state.credential || credential;
      if (!cred) throw new Error('open the link from your invitation again to continue');
      let ans;
      try {
        // The class blinded for: the server refuses another before signing (409 wrong_class).
        ans = await retrying('getting your token', () => api('POST', `/polls/${poll.id}/tokens`, {
          credential: cred, blinded: state.blinded, class: state.class,
        }));
      } catch (e) {
        // A fresh blinded message the server refused got no token: nothing to resume.
        if (fresh && e instanceof ApiError && e.status >= 400 && e.status < 500)
          localStorage.removeItem(stateKey(state.poll, state.voter_id));
        throw e;
      }
      if (ans.class !== state.class)
        throw new CheckError(`the server puts this credential in class ${ans.class}, not ${state.class}`);
      let sig;
      try {
        sig = await finalize(key, prepared, fromBase64url(ans.blind_sig), fromBase64url(state.inv));
      } catch {
        throw new CheckError(`the server's blind signature does not verify under the token key of class ${state.class}`);
      }
      state.sig = toBase64url(sig);
      delete state.inv;
      delete state.credential;
      state.step = 'token';
      saveState(state);
    }
    mark('token', 'done');
    if (state.step === 'token') {
      setStep('token');
      mark('seal', 'active');
      status('Sealing your ballot…');
      checkChoices(state.choices);
      const pt = plaintext(state.class, state.choices);
      const sealed = await sealBallot(poll.electionKey, poll.pollHash, state.class, prepared, pt, poll.def.ballot_size);
      state.ballot = toBase64url(sealed);
      state.ballot_hash = toHex(await sha256(utf8(pt)));
      state.step = 'sealed';
      saveState(state); // BEFORE the cast: a resumed cast sends these same bytes
    }
    mark('seal', 'done');
    if (state.step !== 'sealed') throw new Error(`unknown saved step "${state.step}"`);
    setStep('sealed');
    const sealed = fromBase64url(state.ballot);
    const sig = fromBase64url(state.sig);
    const castKey = await importSeed(fromBase64url(state.cast_key));
    // Ed25519 is deterministic: a cast sent again is signed the same and gets the same receipt.
    const castSig = await signCast(castKey, poll.pollHash, state.class, prepared, sealed);
    const entry = boardEntryV2(poll.pollHash, state.class, prepared, sig, sealed, castSig);
    mark('cast', 'active');
    status('Casting your ballot…');
    // Not linked in time to the token request (the token answer closes its connection).
    await sleep(200 + Math.floor(Math.random() * 800));
    setStep('casting');
    const receipt = await retrying('casting your ballot', () => api('POST', `/polls/${poll.id}/casts`, {
      class: state.class, token: state.prepared, sig: state.sig, ballot: state.ballot, cast_sig: toBase64url(castSig),
    }));
    mark('cast', 'done');
    setStep('verifying');
    mark('verify', 'active');
    status('Checking your receipt…');
    const off = await verifyReceiptOffline(poll, receipt, entry);
    const live = await retrying('checking the board', () => verifyAgainstLatest(poll, off.leaf, receipt.leaf_index, off.sth));
    mark('verify', 'done');
    const file = {
      format: RECEIPT_FORMAT, server: location.origin, receipt, board_key: toBase64url(poll.boardKey),
      entry: toBase64url(entry),
    };
    // The cast key, the token and its signature go: only the receipt stays.
    const done = {
      format: STATE_FORMAT, poll: poll.id, poll_hash: poll.pollHashHex, voter_id: state.voter_id,
      step: 'done', receipt_file: JSON.stringify(file, null, 1), checks: [...off.checks, ...live.checks],
    };
    saveState(done);
    sessionStorage.removeItem(credKey(poll.id));
    credential = null;
    showDone(done, true);
  } catch (e) {
    fail(e);
    const retry = h('button', { type: 'button', id: 'retry-button', onclick: () => location.reload() }, 'Try again');
    $('step-progress').append(h('div', { class: 'actions' }, retry));
  }
}

// ---------------------------------------------------------------------------------------------
// Done: the tracker and the receipt file.

function showDone(done, fresh) {
  const file = JSON.parse(done.receipt_file);
  $('tracker').textContent = trackerOf(file.receipt.leaf_hash);
  const ul = $('checks');
  ul.replaceChildren();
  for (const c of done.checks || []) ul.append(h('li', {}, c));
  $('download-receipt').onclick = () => download(done.receipt_file, `receipt-${done.poll}-${file.receipt.tracker}.json`);
  $('board-link').href = `board.html?poll=${encodeURIComponent(done.poll)}`;
  show('step-done');
  status(fresh ? `Your ballot is cast and verified. Tracker code ${file.receipt.tracker}.`
    : `You have already voted from this browser. Tracker code ${file.receipt.tracker}.`);
  setStep('done');
  $('done-heading').focus();
}

/**
 * A vote finished earlier in this browser: its receipt checked again, now, against the board's
 * latest signed tree head (still included at the same place, and the receipt's tree a prefix of
 * the latest), so that coming back to the link is how a voter sees their ballot is still there.
 * #recheck gets data-verdict "still-on-board" or "failed".
 */
async function recheckDone(done) {
  const p = $('recheck');
  p.dataset.verdict = 'checking';
  p.textContent = 'Checking again that your ballot is still on the board…';
  p.hidden = false;
  try {
    const file = JSON.parse(done.receipt_file);
    const off = await verifyReceiptOffline(poll, file.receipt, fromBase64url(file.entry));
    const live = await retrying('checking the board', () =>
      verifyAgainstLatest(poll, off.leaf, file.receipt.leaf_index, off.sth));
    p.textContent = 'Checked again just now: your ballot is still on the board, unchanged, in the latest ' +
      `signed tree of ${ballots(live.latest.treeSize)}.`;
    p.dataset.verdict = 'still-on-board';
  } catch (e) {
    p.textContent = 'Your ballot could not be found again on the board as your receipt says.';
    p.dataset.verdict = 'failed';
    p.classList.add('notice-error');
    fail(e);
  }
}

function download(text, name) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = h('a', { href: url, download: name, class: 'hidden' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

window.addEventListener('pagehide', () => {
  credential = null;
});

start().catch((e) => fail(e));
