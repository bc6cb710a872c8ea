// The calls table: filters, cursor paging, CSV of the current filter.
import { api, download } from './api.js';
import { field, fmtCaller, fmtDateTime, fmtDuration, fmtSource, h, replace, statusBadge } from './dom.js';

const FILTERS = ['from', 'to', 'status', 'source', 'number'];
const STATUSES = [
  ['', 'any'],
  ['ringing,answered', 'ringing or answered'],
  ['answered', 'answered'],
  ['missed', 'missed (any)'],
  ['no-answer', 'no answer'],
  ['busy', 'busy'],
  ['canceled', 'caller hung up'],
  ['failed', 'failed'],
];
const PAGE_SIZE = 25;

// Cursors of the pages before the current one, so "Newer" can step back.
let previous = [];
let previousKey = '';

function filterOf(query) {
  return Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? '']));
}

/** The list as last shown (filters and page), for the call page's way back. */
export let lastListHash = '#/calls';

function go(filter, cursor) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) params.set(k, v);
  if (cursor) params.set('cursor', cursor);
  location.hash = `#/calls?${params.toString()}`;
}

function filterForm(filter) {
  const input = (name, type, extra = {}) => h('input', { name, type, value: filter[name], ...extra });
  const status = h(
    'select',
    { name: 'status' },
    STATUSES.map(([value, label]) => h('option', { value, selected: value === filter.status }, label)),
  );
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter calls' },
    field('From', input('from', 'date')),
    field('To', input('to', 'date')),
    field('Status', status),
    field('Source', input('source', 'text', { placeholder: 'e.g. google', autocomplete: 'off' })),
    field('Tracking number', input('number', 'tel', { placeholder: '+7 495 …', autocomplete: 'off' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply'), h('a', { href: '#/calls', class: 'button' }, 'Clear')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    previous = [];
    go(Object.fromEntries(FILTERS.map((k) => [k, String(data.get(k) ?? '').trim()])));
  });
  return form;
}

function marks(call) {
  return [
    call.firstCall ? h('span', { class: 'mark first', title: 'first call from this caller' }, 'first') : null,
    call.targetCall ? h('span', { class: 'mark target', title: 'target call (a lead)' }, 'target') : null,
  ];
}

function row(call) {
  // One wrapper per cell: at phone width the cell is a two-column grid (label, content).
  const cell = (label, ...content) => h('td', { 'data-label': label }, h('span', {}, ...content));
  return h(
    'tr',
    { dataset: { callId: call.id } },
    cell('Time', h('a', { href: `#/calls/${encodeURIComponent(call.id)}` }, fmtDateTime(call.startedAt))),
    cell('Tracking number', call.trackingNumber),
    cell('Caller', fmtCaller(call)),
    cell('Source', fmtSource(call.attribution)),
    cell('Status', statusBadge(call)),
    cell('Talk', fmtDuration(call.talkSeconds)),
    cell('Marks', marks(call)),
    cell('Tags', call.tags.map((t) => h('span', { class: 'tag' }, t))),
  );
}

function table(calls) {
  const heads = ['Time', 'Tracking number', 'Caller', 'Source / medium / campaign', 'Status', 'Talk', 'Marks', 'Tags'];
  return h(
    'table',
    { class: 'calls' },
    h('caption', { class: 'visually-hidden' }, 'Calls, newest first'),
    h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, calls.map(row)),
  );
}

export async function renderCalls(view, query, live) {
  const filter = filterOf(query);
  const cursor = query.get('cursor') ?? '';
  lastListHash = location.hash || '#/calls';
  const key = JSON.stringify(filter);
  if (key !== previousKey) {
    previous = [];
    previousKey = key;
  }
  const results = h('div', { class: 'results' });
  const message = h('p', { class: 'muted', role: 'status' });
  const csv = h('button', { type: 'button' }, 'Download CSV');
  csv.addEventListener('click', async () => {
    message.textContent = 'Preparing the CSV…';
    try {
      message.textContent = `Downloaded ${await download('/v1/calls.csv', filter)}.`;
    } catch (err) {
      message.textContent = `CSV export failed: ${err.message}`;
    }
  });

  const load = async () => {
    const page = await api('/v1/calls', { query: { ...filter, cursor, limit: PAGE_SIZE } });
    const older = h('button', { type: 'button', disabled: !page.nextCursor }, 'Older →');
    older.addEventListener('click', () => {
      previous.push(cursor);
      go(filter, page.nextCursor);
    });
    const newer = h('button', { type: 'button', disabled: !cursor }, '← Newer');
    newer.addEventListener('click', () => go(filter, previous.pop() ?? ''));
    replace(
      results,
      page.calls.length ? table(page.calls) : h('p', { class: 'empty' }, 'No calls match these filters.'),
      h('nav', { class: 'pager', 'aria-label': 'Pages' }, newer, older),
    );
  };
  await load();

  // On the first page, a call that starts or ends shows up without a reload.
  if (!cursor) {
    const off = live.onChange(() => {
      // Not yet on screen: still loading; no longer on screen: the user moved on.
      if (!view.isConnected) return view.dataset.mounted ? off() : undefined;
      load().catch((err) => (message.textContent = `Could not refresh: ${err.message}`));
    });
  }

  view.append(h('div', { class: 'heading' }, h('h1', {}, 'Calls'), csv), filterForm(filter), message, results);
}
