// One call: timeline, recording, the whole attribution (with the visit's pages), tags and note.
import { api, ApiError } from './api.js';
import { lastListHash } from './calls.js';
import { field, fmtCaller, fmtDateTime, fmtDuration, fmtTime, h, replace, statusBadge } from './dom.js';

const HANGUP = { caller: 'the caller', callee: 'the answering side', system: 'calltrack (timeout or failure)' };

function list(pairs) {
  return h(
    'dl',
    { class: 'pairs' },
    pairs.filter(([, v]) => v !== undefined).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v === null || v === '' ? '–' : v)]),
  );
}

function url(text) {
  if (!text) return null;
  return /^https?:\/\//i.test(text) ? h('a', { href: text, rel: 'noreferrer noopener', target: '_blank' }, text) : text;
}

function timeline(call) {
  const steps = [
    ['Call came in', call.startedAt],
    ['Ringing', call.ringingAt],
    ['Answered', call.answeredAt],
    ['Ended', call.endedAt],
  ].filter(([, at]) => at);
  const ended = call.endedAt ? `Hung up by ${HANGUP[call.hangupBy] ?? 'unknown'}${call.sipCode ? ` (SIP ${call.sipCode})` : ''}.` : 'Still in progress.';
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'timeline-title' },
    h('h2', { id: 'timeline-title' }, 'Timeline'),
    h('ol', { class: 'timeline' }, steps.map(([what, at]) => h('li', {}, h('time', { datetime: at }, fmtTime(at)), ' ', what))),
    h('p', {}, ended, ` Rang ${fmtDuration(call.ringSeconds)}, talked ${fmtDuration(call.talkSeconds)}.`),
  );
}

async function recording(call) {
  const box = h('section', { class: 'card', 'aria-labelledby': 'rec-title' }, h('h2', { id: 'rec-title' }, 'Recording'));
  if (call.recording.status !== 'saved') {
    box.append(h('p', { class: 'muted' }, call.recording.status ? `No recording to play: it is ${call.recording.status}.` : 'This call was not recorded.'));
    return box;
  }
  // <audio> cannot send the Bearer header: the API mints a short-lived signed link instead.
  const audio = h('audio', { controls: true, preload: 'metadata', 'aria-label': 'Call recording' });
  const note = h('p', { class: 'muted' });
  let renewed = false;
  const mint = async () => (await api(`/v1/calls/${encodeURIComponent(call.id)}/recording-link`, { method: 'POST' })).url;
  audio.addEventListener('error', async () => {
    if (renewed) return void (note.textContent = 'The recording could not be played.');
    renewed = true;
    const at = audio.currentTime;
    try {
      audio.src = await mint();
      audio.currentTime = at;
    } catch (err) {
      note.textContent = `The recording could not be played: ${err.message}`;
    }
  });
  try {
    audio.src = await mint();
  } catch (err) {
    note.textContent = `The recording is not available: ${err.message}`;
  }
  if (call.recording.durationSeconds) note.textContent ||= `Length ${fmtDuration(call.recording.durationSeconds)}.`;
  box.append(audio, note);
  return box;
}

async function attribution(call) {
  const a = call.attribution;
  const box = h(
    'section',
    { class: 'card wide', 'aria-labelledby': 'attr-title' },
    h('h2', { id: 'attr-title' }, 'Attribution'),
    list([
      ['Type', `${a.type ?? 'unknown'}${a.late ? ' (late: after the hold ended)' : ''}`],
      ['Pool', a.pool],
      ['Source', a.source],
      ['Medium', a.medium],
      ['Campaign', a.campaign],
      ['Term', a.term],
      ['Content', a.content],
      ['Referrer', url(a.referrer)],
      ['Landing page', url(a.landingPage)],
      ['Google Analytics client id', a.gaClientId],
      ['Google Analytics session id', a.gaSessionId],
      ['Yandex Metrica client id', a.ymClientId],
      ['gclid', a.gclid],
      ['yclid', a.yclid],
    ]),
  );
  if (a.firstTouch) {
    const t = a.firstTouch;
    box.append(h('h3', {}, 'First touch (their first call)'), list([['Source', t.source], ['Medium', t.medium], ['Campaign', t.campaign], ['Landing page', url(t.landingPage)]]));
  }
  if (!a.visitId) return box;
  box.append(h('h3', {}, 'Visit'));
  try {
    const v = await api(`/v1/visits/${encodeURIComponent(a.visitId)}`);
    box.append(
      list([
        ['Visit id', v.id],
        ['Visitor id', v.visitorId],
        ['Started', fmtDateTime(v.createdAt)],
        ['Last seen', fmtDateTime(v.lastSeenAt)],
        ['Number shown', v.number ? `${v.number} (${v.numberType})` : v.numberType],
        ['Region', v.region],
        ['Browser', v.userAgent],
        ['IP address', v.ip],
      ]),
      h('h4', {}, `Pages seen (${v.pages.length})`),
      h('ol', { class: 'pages' }, v.pages.map((p) => h('li', {}, h('time', { datetime: p.seenAt }, fmtTime(p.seenAt)), ' ', url(p.url)))),
    );
  } catch (err) {
    box.append(h('p', { class: 'muted' }, err instanceof ApiError && err.status === 404 ? `Visit ${a.visitId} is no longer stored.` : `Visit not loaded: ${err.message}`));
  }
  return box;
}

function editor(call, onSaved) {
  const tags = h('input', { name: 'tags', type: 'text', value: call.tags.join(', '), autocomplete: 'off' });
  const note = h('textarea', { name: 'note', rows: 3 }, call.note ?? '');
  const status = h('p', { class: 'muted', role: 'status' });
  const form = h(
    'form',
    { class: 'card editor', 'aria-labelledby': 'edit-title' },
    h('h2', { id: 'edit-title' }, 'Tags and note'),
    field('Tags (comma-separated)', tags),
    field('Note', note),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save')),
    status,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.textContent = 'Saving…';
    const body = { tags: tags.value.split(',').map((t) => t.trim()).filter(Boolean), note: note.value.trim() || null };
    try {
      const saved = await api(`/v1/calls/${encodeURIComponent(call.id)}`, { method: 'PATCH', body });
      tags.value = saved.tags.join(', ');
      status.textContent = 'Saved.';
      onSaved(saved);
    } catch (err) {
      status.textContent = `Not saved: ${err.message}`;
    }
  });
  return form;
}

export async function renderCallPage(view, id) {
  const call = await api(`/v1/calls/${encodeURIComponent(id)}`);
  const tagLine = h('p', { class: 'tags' });
  const showTags = (c) => replace(tagLine, c.tags.map((t) => h('span', { class: 'tag' }, t)));
  showTags(call);
  const summary = h(
    'section',
    { class: 'card summary' },
    list([
      ['Status', statusBadge(call)],
      ['Started', fmtDateTime(call.startedAt)],
      ['Caller', call.identityErasedAt && !call.callerNumber ? `erased ${fmtDateTime(call.identityErasedAt)}` : fmtCaller(call)],
      ['Tracking number', call.trackingNumber],
      ['Forwarded to', call.forwardedTo],
      // Only for numbers with a business-hours schedule (afterHours is null otherwise).
      ['After hours', call.afterHours == null ? undefined : call.afterHours ? 'yes: the schedule was closed, so afterHoursForwardTo' : 'no: in business hours'],
      ['First call', call.firstCall === null ? 'unknown' : call.firstCall ? 'yes' : 'no (a repeat caller)'],
      ['Target call', call.targetCall ? 'yes' : 'no'],
      ['Deal value', call.dealValue],
    ]),
    tagLine,
  );
  const [rec, attr] = await Promise.all([recording(call), attribution(call)]);
  view.append(
    h('p', {}, h('a', { href: lastListHash, class: 'back' }, '← All calls')),
    h('h1', {}, call.callerNumber ? `Call from ${call.callerNumber}` : call.identityErasedAt ? 'Call (caller erased)' : 'Call from an anonymous caller'),
    h('div', { class: 'grid' }, summary, timeline(call), rec, editor(call, showTags), attr),
  );
}
