// Pool health: numbers held now and per day against the pool's size, run-outs, advice.
import { api } from './api.js';
import { h, svg } from './dom.js';

/** Peak held per day as bars, with the pool size as a line: bars touching the line ran out. */
function history(pool) {
  const width = 280;
  const height = 90;
  const top = Math.max(pool.size, pool.recommendedSize, ...pool.days.map((d) => d.peakHeld), 1);
  const slot = width / pool.days.length;
  const y = (v) => height - 16 - (v / top) * (height - 24);
  const bars = pool.days.map((d, i) =>
    svg(
      'g',
      {},
      svg(
        'rect',
        { x: i * slot + slot * 0.15, y: y(d.peakHeld), width: slot * 0.7, height: Math.max(height - 16 - y(d.peakHeld), 0), class: d.peakHeld >= pool.size ? 'full' : 'held' },
        svg('title', {}, `${d.day}: up to ${d.peakHeld} of ${pool.size} held at once`),
      ),
      svg('text', { x: i * slot + slot / 2, y: height - 3, 'text-anchor': 'middle' }, d.day.slice(8)),
    ),
  );
  return svg(
    'svg',
    { class: 'pool-chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Most numbers held at once per day, last ${pool.days.length} days, against a pool of ${pool.size}` },
    bars,
    svg('line', { x1: 0, x2: width, y1: y(0), y2: y(0), class: 'baseline' }),
    svg('line', { x1: 0, x2: width, y1: y(pool.size), y2: y(pool.size), class: 'size-line' }),
    svg('text', { x: width - 2, y: y(pool.size) - 3, 'text-anchor': 'end', class: 'size-label' }, `size ${pool.size}`),
  );
}

function meter(pool) {
  // The browser colours the meter by these bounds: amber past 80% held, red when full.
  const max = Math.max(pool.size, 1);
  const m = h('meter', { min: 0, max, low: max * 0.6, high: max * 0.8, optimum: 0, value: pool.heldNow, 'aria-label': `${pool.heldNow} of ${pool.size} numbers held now` });
  return h('p', { class: 'held-now' }, h('strong', {}, `${pool.heldNow} of ${pool.size}`), ' numbers held now ', m);
}

function card(pool) {
  const stat = (label, value) => [h('dt', {}, label), h('dd', {}, String(value))];
  return h(
    'section',
    { class: `card pool ${pool.tooSmall ? 'too-small' : ''}`, 'aria-labelledby': `pool-${pool.pool}`, dataset: { pool: pool.pool } },
    h('h2', { id: `pool-${pool.pool}` }, pool.pool),
    pool.tooSmall ? h('p', { class: 'warning', role: 'alert' }, h('strong', {}, 'Pool too small: '), pool.warning) : null,
    meter(pool),
    h('p', { class: 'muted chart-note' }, `Most numbers held at once, per day (last ${pool.days.length} days):`),
    history(pool),
    h(
      'dl',
      { class: 'stats' },
      stat('Peak held at once', `${pool.peakHeld24h} (24 h), ${pool.peakHeld7d} (7 days)`),
      stat('Ran out', `${pool.exhaustions24h} (24 h), ${pool.exhaustions7d} (7 days)`),
      stat('Fallback number shown', `${pool.fallbackShows7d} (7 days)`),
      stat('Holds taken over', `${pool.takeOvers7d} (7 days)`),
      stat('Bots / rate-limited shown fallback', `${pool.botsShownFallback7d} / ${pool.rateLimited7d}`),
      stat('Calls', `${pool.calls7d} (7 days), ${pool.unattributedCalls7d} unattributed`),
      stat('Recommended size', pool.recommendedSize),
    ),
    h('p', { class: 'muted' }, `Advisor: ${pool.recommendation}.`),
  );
}

export async function renderPools(view) {
  const { pools, timeZone } = await api('/v1/pools');
  const small = pools.filter((p) => p.tooSmall).length;
  view.append(
    h('div', { class: 'heading' }, h('h1', {}, 'Pools')),
    h('p', { class: 'muted' }, `Dynamic number pools; days are in ${timeZone}.${small ? ` ${small} pool${small === 1 ? ' is' : 's are'} too small.` : ''}`),
    pools.length ? h('div', { class: 'grid' }, pools.map(card)) : h('p', { class: 'empty' }, 'No pools are configured.'),
  );
}
