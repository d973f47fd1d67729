// The results page (web/results.html?poll=ID): after publication, results.json of the record
// (GET /polls/{id}/results) and each contest's count (GET /polls/{id}/record/contests/<id>.json):
// the elected, the order of a list, a referendum's outcome with its threshold arithmetic, the
// turnout, and for every STV count a stage-by-stage table and a chart (SVG built here). Before
// publication: "not published yet" with the poll's state.

import {
  ApiError, announce, api, describeContest, fractionWords, h, kindOf, loadPoll, pollOfPage, stateWords,
} from './common.js';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const COLOURS = ['#1d4ed8', '#b91c1c', '#15803d', '#a16207', '#7e22ce', '#0e7490', '#c2410c', '#4d7c0f', '#be185d', '#334155'];

function err(text) {
  announce($('error'), text, 'error');
}

async function main() {
  const id = pollOfPage();
  if (id === null) return;
  let poll;
  try {
    poll = await loadPoll(id);
  } catch (e) {
    err(e instanceof ApiError && e.status === 404 ? `There is no poll "${id}" on this server.` : `The poll cannot be loaded: ${e.message}`);
    return;
  }
  document.title = `Results: ${poll.def.title}`;
  $('poll-title-bar').textContent = poll.def.title;
  $('page-heading').textContent = `Results: ${poll.def.title}`;
  const enc = encodeURIComponent(id);
  $('board-link').href = `board.html?poll=${enc}`;
  $('np-board-link').href = `board.html?poll=${enc}`;
  let res;
  try {
    res = await api('GET', `/polls/${id}/results`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      $('np-state').textContent = `The poll is ${stateWords(poll.state)}.`;
      $('not-published').hidden = false;
      document.documentElement.dataset.results = 'not-published';
      return;
    }
    err(`The results cannot be loaded: ${e.message}`);
    return;
  }
  if (!res || res.poll !== id || res.poll_hash !== poll.pollHashHex) {
    err('The published results name another poll (or another version of it).');
    return;
  }
  $('record-link').href = `/polls/${enc}/record.tar`;
  $('record-link').setAttribute('download', `${id}.record.tar`);
  renderTurnout(res.turnout || {});
  const box = $('contest-results');
  for (const rc of res.contests || []) {
    const c = poll.def.contests.find((x) => x.id === rc.id);
    let detail = null;
    try {
      detail = await api('GET', `/polls/${id}/record/contests/${encodeURIComponent(rc.id)}.json`);
      if (typeof detail === 'string') detail = JSON.parse(detail);
    } catch (e) {
      detail = null;
    }
    box.append(renderContest(rc, c, detail));
  }
  $('results').hidden = false;
  document.documentElement.dataset.results = 'published';
}

function renderTurnout(t) {
  const dl = $('turnout');
  const row = (k, v) => dl.append(h('dt', {}, k), h('dd', {}, v));
  if (t.voters !== undefined) row('Voters on the roll', String(t.voters));
  if (t.tokens_issued !== undefined) {
    const pct = t.voters ? ` (${((100 * t.tokens_issued) / t.voters).toFixed(1)} %)` : '';
    row('Voters who took part', `${t.tokens_issued}${pct}`);
  }
  if (t.ballots_cast !== undefined) row('Ballots on the board', String(t.ballots_cast));
  if (t.counted !== undefined) row('Ballots counted', String(t.counted));
  if (t.invalid !== undefined) row('Invalid ballots', String(t.invalid));
}

function renderContest(rc, c, detail) {
  const kind = rc.kind || (c ? kindOf(c) : 'stv');
  const title = (c && c.title) || rc.id;
  const sec = h('section', { class: 'result-box', id: `result-${rc.id}`, 'aria-labelledby': `result-h-${rc.id}`, 'data-kind': kind });
  sec.append(h('h2', { id: `result-h-${rc.id}` }, title));
  if (c) sec.append(h('p', { class: 'help' }, describeContest(c, 1).slice(1).join(' ')));
  if (kind === 'referendum') {
    const passed = rc.passed === true;
    sec.append(h('p', { id: `outcome-${rc.id}`, class: passed ? 'verdict-ok' : 'verdict-bad' }, passed ? 'Passed' : 'Not passed'));
    if (detail && detail.format === 'stv-referendum/1') {
      const th = detail.threshold || {};
      const tbl = table(['Answer', 'Votes'], [
        [detail.options[0] || 'Yes', String(detail.yes)], [detail.options[1] || 'No', String(detail.no)],
        ['Abstentions', String(detail.abstain)],
      ]);
      sec.append(tbl);
      const cmp = th.comparison === 'more-than' ? 'more than' : 'at least';
      sec.append(h('p', {}, `Threshold: ${cmp} ${fractionWords(th.numerator, th.denominator)} (${th.numerator}/${th.denominator}) of ` +
        `${th.abstentions === 'counted' || th.abstentions === 'included' ? 'all ballots, abstentions counted' : 'the votes cast, abstentions not counted'}: ` +
        `yes ${detail.yes} of ${detail.base} = ${detail.yes_percent} %.`));
      sec.append(h('p', { class: 'mono', id: `arithmetic-${rc.id}` }, `Arithmetic: ${detail.arithmetic} → ${detail.passed ? 'passed' : 'not passed'}`));
    }
    return sec;
  }
  const names = rc.elected || [];
  sec.append(h('h3', {}, kind === 'ordered-list' ? 'Order of the list' : names.length === 1 ? 'Elected' : 'Elected'));
  const ol = h('ol', { class: 'elected-list', id: `elected-${rc.id}` });
  for (const n of names) ol.append(h('li', {}, n));
  if (!names.length) ol.append(h('li', {}, 'nobody'));
  sec.append(ol);
  const counts = [];
  if (detail && detail.format === 'stv-result/1') counts.push([null, detail]);
  if (detail && detail.format === 'stv-ordered-list/1')
    for (const p of detail.counts || []) if (p.count) counts.push([`Count for place ${p.place} (${p.candidate})`, p.count]);
  for (const [label, cnt] of counts) sec.append(renderCount(rc.id, label, cnt, counts.length > 1 ? counts.indexOf(counts.find((x) => x[1] === cnt)) : 0));
  return sec;
}

function table(head, rows, caption) {
  const t = h('table', {});
  if (caption) t.append(h('caption', {}, caption));
  const thead = h('thead', {}, h('tr', {}, head.map((x) => h('th', { scope: 'col' }, x))));
  const tb = h('tbody', {});
  for (const r of rows) tb.append(h('tr', {}, r.map((x, i) => (i === 0 ? h('th', { scope: 'row' }, x) : h('td', {}, x)))));
  t.append(thead, tb);
  return h('div', { class: 'table-wrap' }, t);
}

function actionWords(s) {
  if (s.action === 'first') return 'First preferences';
  const who = Array.isArray(s.candidate) ? s.candidate.join(', ') : s.candidate || '';
  if (s.action === 'surplus') return `Surplus of ${who}`;
  if (s.action === 'exclude') return `Exclusion of ${who}`;
  return `${s.action} ${who}`;
}

function renderCount(cid, label, cnt, idx) {
  const wrap = h('div', { class: 'count', id: `count-${cid}-${idx}` });
  if (label) wrap.append(h('h3', {}, label));
  const quota = cnt.quota !== undefined ? `, quota ${cnt.quota}` : '';
  wrap.append(h('p', {}, `${cnt.seats} ${cnt.seats === 1 ? 'seat' : 'seats'}, ${cnt.valid_ballots} valid ballots` +
    `${cnt.invalid_ballots ? ` and ${cnt.invalid_ballots} blank` : ''}${quota} (${cnt.rule}).`));
  const cands = cnt.candidates || [];
  const stages = cnt.stages || [];
  const electedAt = {};
  for (const s of stages) for (const e of s.elected || []) if (!(e in electedAt)) electedAt[e] = s.stage;
  const head = ['Candidate', ...stages.map((s) => `Stage ${s.stage}`)];
  const rows = cands.map((n) => [n, ...stages.map((s) => (s.votes && s.votes[n] !== undefined ? s.votes[n] : ''))]);
  rows.push(['Non-transferable', ...stages.map((s) => s.non_transferable || '')]);
  rows.push(['Action', ...stages.map(actionWords)]);
  const tw = table(head, rows, `Stage by stage${label ? `: ${label}` : ''}`);
  tw.querySelector('table').id = `stages-${cid}-${idx}`;
  // Mark the cells where a candidate is elected.
  const trs = tw.querySelectorAll('tbody tr');
  cands.forEach((n, i) => {
    if (electedAt[n] !== undefined) {
      const td = trs[i].children[stages.findIndex((s) => s.stage === electedAt[n]) + 1];
      if (td) {
        td.classList.add('elected');
        td.append(' (elected)');
      }
    }
  });
  wrap.append(tw);
  // What the count's rules did and why (constraints: a doomed or guarded candidate; ties), in the
  // count's own words.
  const noted = stages.filter((s) => s.note);
  if (noted.length) {
    const ul = h('ul', { class: 'stage-notes', id: `notes-${cid}-${idx}`, 'aria-labelledby': `notes-h-${cid}-${idx}` });
    for (const s of noted) ul.append(h('li', {}, `Stage ${s.stage}: ${s.note}`));
    wrap.append(h('h4', { id: `notes-h-${cid}-${idx}` }, 'Notes on the count'), ul);
  }
  wrap.append(chart(cid, idx, cnt));
  return wrap;
}

/** A line chart of each candidate's votes by stage, the quota dashed; SVG attributes only. */
function chart(cid, idx, cnt) {
  const cands = cnt.candidates || [];
  const stages = cnt.stages || [];
  // On a narrow screen the names go in a legend under the plot instead of beside it.
  const narrow = window.innerWidth < 560;
  const nLabels = cands.length + (parseFloat(cnt.quota) ? 1 : 0);
  const W = narrow ? 340 : 680;
  const plotH = narrow ? 220 : 300;
  const H = narrow ? plotH + 8 + 16 * nLabels : plotH;
  const L = 50;
  const R = narrow ? 12 : 190;
  const T = 14;
  const B = 34;
  const quota = parseFloat(cnt.quota) || 0;
  let max = quota;
  for (const s of stages) for (const n of cands) max = Math.max(max, parseFloat((s.votes || {})[n]) || 0);
  if (max <= 0) max = 1;
  const x = (i) => L + (stages.length <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (stages.length - 1));
  const y = (v) => T + (plotH - T - B) * (1 - v / max);
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const titleId = `chart-title-${cid}-${idx}`;
  const svg = el('svg', { class: 'chart', id: `chart-${cid}-${idx}`, viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-labelledby': titleId });
  svg.append(el('title', { id: titleId }, `Votes of each candidate by stage${quota ? `, quota ${cnt.quota}` : ''}`));
  svg.append(el('line', { x1: L, y1: y(0), x2: W - R, y2: y(0), stroke: '#545a63' }));
  svg.append(el('line', { x1: L, y1: T, x2: L, y2: y(0), stroke: '#545a63' }));
  for (const v of [0, max / 2, max]) svg.append(el('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', fill: '#545a63' }, v.toFixed(v >= 100 ? 0 : 1)));
  stages.forEach((s, i) => svg.append(el('text', { x: x(i), y: plotH - 12, 'text-anchor': 'middle', fill: '#545a63' }, String(s.stage))));
  svg.append(el('text', { x: (L + W - R) / 2, y: plotH - 1, 'text-anchor': 'middle', fill: '#545a63' }, 'stage'));
  const labels = [];
  if (quota) {
    svg.append(el('line', { x1: L, y1: y(quota), x2: W - R, y2: y(quota), stroke: '#9f1239', 'stroke-dasharray': '6 4' }));
    labels.push({ n: 'quota', colour: '#9f1239', yy: y(quota) });
  }
  cands.forEach((n, ci) => {
    const colour = COLOURS[ci % COLOURS.length];
    const pts = stages.map((s, i) => `${x(i).toFixed(1)},${y(parseFloat((s.votes || {})[n]) || 0).toFixed(1)}`);
    if (stages.length > 1) svg.append(el('polyline', { points: pts.join(' '), fill: 'none', stroke: colour, 'stroke-width': 2.5 }));
    stages.forEach((s, i) => svg.append(el('circle', { cx: x(i), cy: y(parseFloat((s.votes || {})[n]) || 0), r: 3.5, fill: colour })));
    const last = parseFloat((stages[stages.length - 1]?.votes || {})[n]) || 0;
    labels.push({ n, colour, yy: y(last) });
  });
  if (narrow) {
    // A legend under the plot: a coloured mark and the name, one a line.
    labels.forEach((lb, i) => {
      const yy = plotH + 8 + 16 * i + 10;
      svg.append(el('rect', { x: L, y: yy - 9, width: 12, height: 10, fill: lb.colour }));
      svg.append(el('text', { x: L + 18, y: yy, fill: '#1b1d21' }, lb.n.length > 40 ? `${lb.n.slice(0, 39)}…` : lb.n));
    });
    return svg;
  }
  // Labels on the right, pushed apart so that they do not overlap.
  labels.sort((a, b) => a.yy - b.yy);
  let prev = -Infinity;
  for (const lb of labels) {
    const yy = Math.max(lb.yy + 4, prev + 14);
    prev = yy;
    const short = lb.n.length > 26 ? `${lb.n.slice(0, 25)}…` : lb.n;
    svg.append(el('text', { x: W - R + 8, y: yy, fill: lb.colour }, short));
  }
  return svg;
}

main();
