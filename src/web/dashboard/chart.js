// A stacked bar chart (one bar per day, one colour per group) drawn as inline SVG.
import { h, svg } from './dom.js';

export const PALETTE = ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#dc2626', '#0891b2', '#ca8a04', '#db2777'];
const OTHER = '#94a3b8';
const MAX_SERIES = PALETTE.length;

/** Keeps the biggest groups, folds the rest into "other", so colours stay tellable apart. */
export function chartSeries(groups, days) {
  const named = groups.slice(0, MAX_SERIES).map((g, i) => ({ label: g.key ?? '(none)', perDay: g.perDay, color: PALETTE[i] }));
  const rest = groups.slice(MAX_SERIES);
  if (rest.length) {
    const perDay = days.map((_, d) => rest.reduce((sum, g) => sum + (g.perDay[d] ?? 0), 0));
    named.push({ label: `other (${rest.length})`, perDay, color: OTHER });
  }
  return named;
}

const TICKS = 4;

/** The axis top: four equal steps of a whole, round number of calls (1, 2, 5, 10, 20...). */
function niceMax(value) {
  const raw = Math.max(value, 1) / TICKS;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((v) => v >= raw) ?? raw;
  return Math.max(step, 1) * TICKS;
}

/**
 * `width` is the container's width in CSS pixels: the chart is drawn at that size rather than
 * scaled, so labels keep their size on a phone.
 */
export function stackedBars({ days, series, width, height = 260, title }) {
  const pad = { top: 12, right: 8, bottom: 34, left: 36 };
  const plotW = Math.max(width - pad.left - pad.right, 40);
  const plotH = height - pad.top - pad.bottom;
  const totals = days.map((_, d) => series.reduce((sum, s) => sum + (s.perDay[d] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const y = (v) => pad.top + plotH - (v / max) * plotH;
  const slot = plotW / Math.max(days.length, 1);
  const barW = Math.max(Math.min(slot * 0.7, 48), 1);

  const grid = Array.from({ length: TICKS + 1 }, (_, i) => {
    const v = (max / TICKS) * i;
    return svg(
      'g',
      { class: 'grid' },
      svg('line', { x1: pad.left, x2: pad.left + plotW, y1: y(v), y2: y(v) }),
      svg('text', { x: pad.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(v)),
    );
  });

  // Label every k-th day so the labels never overlap (about 44 px per label).
  const every = Math.max(1, Math.ceil(44 / slot));
  const bars = days.map((day, d) => {
    const x = pad.left + slot * d + (slot - barW) / 2;
    let base = 0;
    const rects = series.map((s) => {
      const v = s.perDay[d] ?? 0;
      if (!v) return null;
      const rect = svg(
        'rect',
        { x, y: y(base + v), width: barW, height: Math.max(y(base) - y(base + v), 0.5), fill: s.color },
        svg('title', {}, `${day} · ${s.label}: ${v}`),
      );
      base += v;
      return rect;
    });
    const label = d % every === 0 ? svg('text', { x: x + barW / 2, y: height - pad.bottom + 16, 'text-anchor': 'middle' }, day.slice(5)) : null;
    return svg('g', { class: 'day', dataset: { day, total: totals[d] } }, rects, label);
  });

  return svg(
    'svg',
    { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title },
    svg('title', {}, title),
    grid,
    bars,
  );
}

export function legend(series) {
  return h(
    'ul',
    { class: 'legend' },
    series.map((s) => {
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.background = s.color;
      return h('li', {}, swatch, s.label);
    }),
  );
}
