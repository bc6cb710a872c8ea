import { describeStrategy } from '../../src/tracking/tracking-strategy.js';
import type { Outcomes, ScenarioResult } from './runner.js';
import type { TrafficProfile } from './traffic.js';

const pct = (n: number, d: number, digits = 2) => (d === 0 ? '–' : `${((100 * n) / d).toFixed(digits)}%`);

export const accuracy = (o: Outcomes) => (o.total === 0 ? 0 : o.correct / o.total);

export function strategyLabel(r: ScenarioResult): string {
  return r.scenario.label || describeStrategy(r.scenario.strategy);
}

/** One markdown row per (strategy, pool size). */
export function resultTable(results: readonly ScenarioResult[]): string {
  const lines = [
    '| strategy | pool | accuracy | wrong visit | unattributed | fallback calls | fallback shows | mean held | peak held | real calls (correct) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const a = r.all;
    lines.push(
      `| ${strategyLabel(r)} | ${r.scenario.poolSize} | ${pct(a.correct, a.total)} | ${pct(a.wrong, a.total)} | ${pct(a.unattributed, a.total)} | ` +
        `${pct(a.fallback, a.total)} | ${pct(r.fallbackShows, r.humanVisits)} | ${r.meanHeld.toFixed(1)} | ${r.peakHeld} | ${r.calls.total} (${r.calls.correct}) |`,
    );
  }
  return lines.join('\n');
}

/** Per strategy: the smallest pool in the grid that reaches `target` accuracy. */
export function sizeNeeded(results: readonly ScenarioResult[], target: number): Map<string, number | null> {
  const out = new Map<string, number | null>();
  for (const r of results) {
    const label = strategyLabel(r);
    if (!out.has(label)) out.set(label, null);
    const best = out.get(label);
    if (accuracy(r.all) >= target && (best === null || best === undefined || r.scenario.poolSize < best)) out.set(label, r.scenario.poolSize);
  }
  return out;
}

export function sizeNeededTable(results: readonly ScenarioResult[], targets: readonly number[]): string {
  const labels = [...new Set(results.map(strategyLabel))];
  const lines = [`| strategy | ${targets.map((t) => `numbers for ≥ ${(t * 100).toFixed(1)}%`).join(' | ')} |`, `|---|${targets.map(() => '---:').join('|')}|`];
  const needed = targets.map((t) => sizeNeeded(results, t));
  for (const label of labels) {
    lines.push(`| ${label} | ${needed.map((m) => m.get(label) ?? 'more than the grid').join(' | ')} |`);
  }
  return lines.join('\n');
}

export function profileSummary(p: TrafficProfile, visits: number, calls: number, probes: number): string {
  return [
    `seed ${p.seed}, ${p.days} simulated day(s), ${p.visitsPerDay} visits/day (${visits} visits incl. ${Math.round(p.botShare * 100)}% bots),`,
    `visit length log-normal (median ${p.visitMedianMinutes} min, sigma ${p.visitSigma}), a page view every ${p.pageGapMeanMinutes} min on average,`,
    `${Math.round(p.releaseShare * 100)}% of pages send the leave beacon, ${Math.round(p.returnShare * 100)}% of visitors return,`,
    `call rate per campaign ${p.campaignCallRates.map((r) => `${r * 100}%`).join('/')}, ${Math.round(p.callDuringVisitShare * 100)}% of calls during the visit,`,
    `the rest after leaving (exponential, mean ${p.lateCallMeanMinutes} min, at most ${p.lateCallMaxMinutes} min), ${Math.round(p.redialShare * 100)}% of callers redial days later;`,
    `${calls} real calls, ${probes} what-if calls.`,
  ].join(' ');
}
