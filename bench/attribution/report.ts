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

/**
 * Per strategy: the pool size at which accuracy first reaches `target`, interpolated linearly
 * between the two grid sizes around it (null when no size in the grid reaches it).
 */
export function sizeNeeded(results: readonly ScenarioResult[], label: string, target: number): Needed | null {
  const rows = results.filter((r) => strategyLabel(r) === label).sort((a, b) => a.scenario.poolSize - b.scenario.poolSize);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!r || accuracy(r.all) < target) continue;
    const prev = rows[i - 1];
    if (!prev) return { size: r.scenario.poolSize, atMost: true };
    const [a0, a1] = [accuracy(prev.all), accuracy(r.all)];
    const [s0, s1] = [prev.scenario.poolSize, r.scenario.poolSize];
    return { size: s0 + ((target - a0) / (a1 - a0)) * (s1 - s0), atMost: false };
  }
  return null;
}

export function bestAccuracy(results: readonly ScenarioResult[], label: string): number {
  return Math.max(0, ...results.filter((r) => strategyLabel(r) === label).map((r) => accuracy(r.all)));
}

/** A size read off the grid: `atMost` when the smallest size in the grid already reaches the target. */
export interface Needed {
  size: number;
  atMost: boolean;
}

const fmtSize = (n: Needed | null) => (n === null ? 'not reached' : `${n.atMost ? '≤' : '≈'} ${Math.ceil(n.size)}`);

export function sizeNeededTable(results: readonly ScenarioResult[], labels: readonly string[], targets: readonly number[]): string {
  const lines = [`| strategy | best accuracy in the grid | ${targets.map((t) => `numbers for ≥ ${(t * 100).toFixed(1)}%`).join(' | ')} |`, `|---|---:|${targets.map(() => '---:').join('|')}|`];
  for (const label of labels) {
    lines.push(`| ${label} | ${(bestAccuracy(results, label) * 100).toFixed(2)}% | ${targets.map((t) => fmtSize(sizeNeeded(results, label, t))).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** How many fewer numbers `ours` needs than `baseline` for the best accuracy the baseline reaches (capped at `cap`). */
export function savingLine(results: readonly ScenarioResult[], ours: string, baseline: string, cap: number): string {
  const target = Math.min(cap, bestAccuracy(results, baseline));
  const theirs = sizeNeeded(results, baseline, target);
  const mine = sizeNeeded(results, ours, target);
  if (theirs === null || mine === null) return `- ${ours} vs ${baseline}: no common accuracy in the grid.`;
  const saving = 1 - mine.size / theirs.size;
  const bound = mine.atMost && !theirs.atMost ? 'at least ' : '';
  return `- for ${(target * 100).toFixed(2)}% accuracy (${target === cap ? 'the target' : `the best ${baseline} reaches`}): ${baseline} needs ${fmtSize(theirs)} numbers, ${ours} ${fmtSize(mine)}: **${bound}${Math.round(saving * 100)}% fewer**.`;
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
