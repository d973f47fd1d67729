// The start page (web/index.html): a poll id leads to its vote, board and results pages.

import { announce, loadPoll, pageParams, stateWords, validPollId } from './common.js';

const $ = (id) => document.getElementById(id);

async function show(id) {
  announce($('error'), '', 'error');
  if (!validPollId(id)) {
    announce($('error'), 'Poll: type the poll name from your invitation (lower-case letters, digits and -).', 'error');
    return;
  }
  const enc = encodeURIComponent(id);
  $('vote-link').href = `vote.html?poll=${enc}`;
  $('board-link').href = `board.html?poll=${enc}`;
  $('results-link').href = `results.html?poll=${enc}`;
  try {
    const p = await loadPoll(id);
    $('links-heading').textContent = p.def.title;
    $('links-state').textContent = `This poll is ${stateWords(p.state)}.`;
  } catch (e) {
    announce($('error'), e.status === 404 ? `There is no poll "${id}" on this server.` : `The poll cannot be loaded: ${e.message}`, 'error');
    return;
  }
  $('poll-links').hidden = false;
  history.replaceState(null, '', `?poll=${enc}`);
}

$('poll-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  show($('poll-input').value.trim());
});
const initial = pageParams().get('poll');
if (initial) {
  $('poll-input').value = initial;
  show(initial);
}
