// Calls per source / medium / campaign: a chart stacked by day, the report table, the CSV.
import { api, download } from './api.js';
import { legend, chartSeries, stackedBars } from './chart.js';
import { field, fmtDuration, h, localDate, replace } from './dom.js';

const DIMENSIONS = ['source', 'medium', 'campaign'];

function filterOf(query) {
  return {
    from: query.get('from') || localDate(-13),
    to: query.get('to') || localDate(0),
    by: DIMENSIONS.includes(query.get('by')) ? query.get('by') : 'source',
    status: query.get('status') ?? '',
    number: query.get('number') ?? '',
  };
}

function form(filter) {
  const input = (name, type) => h('input', { name, type, value: filter[name] });
  const by = h('select', { name: 'by' }, DIMENSIONS.map((d) => h('option', { value: d, selected: d === filter.by }, d)));
  const el = h(
    'form',
    { class: 'filters', 'aria-label': 'Report period' },
    field('From', input('from', 'date')),
    field('To', input('to', 'date')),
    field('Group by', by),
    field('Tracking number', h('input', { name: 'number', type: 'tel', value: filter.number, autocomplete: 'off' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Show')),
  );
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(el)) if (String(v).trim()) params.set(k, String(v).trim());
    location.hash = `#/sources?${params.toString()}`;
  });
  return el;
}

function reportTable(report, filter) {
  const num = (v) => h('td', { class: 'num' }, String(v));
  const line = (label, r, tag = 'td') =>
    h(
      'tr',
      {},
      h(tag === 'th' ? 'th' : 'td', tag === 'th' ? { scope: 'row' } : {}, label),
      num(r.calls),
      num(r.uniqueCallers),
      num(r.firstTimeCallers),
      num(r.answered),
      num(r.missed),
      num(r.targetCalls),
      h('td', { class: 'num' }, fmtDuration(r.avgTalkSeconds)),
      num(r.afterHoursCalls),
      num(r.visits ?? '–'),
      h('td', { class: 'num', title: `${r.visitsWithCalls} of the visits called` }, r.conversionPercent === null ? '–' : `${r.conversionPercent}%`),
    );
  const heads = [report.by, 'Calls', 'Unique callers', 'First-time', 'Answered', 'Missed', 'Target', 'Avg talk', 'After hours', 'Visits', 'Visits that called'];
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { class: 'report' },
      h('caption', {}, `Calls by ${report.by}, ${filter.from} to ${filter.to} inclusive (${report.timeZone})`),
      h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, report.groups.map((g) => line(g.key ?? '(none)', g))),
      h('tfoot', {}, line('Total', report.totals, 'th')),
    ),
  );
}

export async function renderSources(view, query) {
  const filter = filterOf(query);
  const { by, ...callFilter } = filter;
  const [daily, report] = await Promise.all([
    api('/v1/reports/sources/daily', { query: filter }),
    api('/v1/reports/sources', { query: filter }),
  ]);
  const message = h('p', { class: 'muted', role: 'status' });
  const csv = h('button', { type: 'button' }, 'Download CSV of these calls');
  csv.addEventListener('click', async () => {
    message.textContent = 'Preparing the CSV…';
    try {
      message.textContent = `Downloaded ${await download('/v1/calls.csv', callFilter)}.`;
    } catch (err) {
      message.textContent = `CSV export failed: ${err.message}`;
    }
  });

  // The chart lists groups in the report's order, so legend and table read alike.
  const order = new Map(report.groups.map((g, i) => [g.key, i]));
  const groups = [...daily.groups].sort((a, b) => (order.get(a.key) ?? Infinity) - (order.get(b.key) ?? Infinity));
  const series = chartSeries(groups, daily.days);
  const holder = h('div', { class: 'chart-box' });
  const title = `Calls per day by ${by}, ${daily.days[0]} to ${daily.days.at(-1)}: ${daily.totals.calls} in total`;
  const draw = () => replace(holder, stackedBars({ days: daily.days, series, width: Math.floor(holder.clientWidth) || 720, title }));
  const resize = new ResizeObserver(() => {
    if (!view.isConnected && view.dataset.mounted) return resize.disconnect();
    draw();
  });
  resize.observe(holder);

  view.append(
    h('div', { class: 'heading' }, h('h1', {}, 'Sources'), csv),
    form(filter),
    message,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'chart-title' },
      h('h2', { id: 'chart-title' }, `Calls per day by ${by}: `, h('span', { class: 'total', 'data-testid': 'chart-total' }, String(daily.totals.calls)), ' in total'),
      holder,
      legend(series),
    ),
    reportTable(report, filter),
  );
}
