/**
 * `npm run bench:attribution`: replays the default traffic profile through calltrack's real
 * allocator and attributor for every (hold strategy, pool size) pair, prints the accuracy table
 * BENCHMARKS.md publishes, and with `--write` replaces that section of BENCHMARKS.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { adviseFromHolds } from './advise.js';
import { resultTable, profileSummary, sizeNeededTable } from './report.js';
import { runScenario, type Scenario, type ScenarioResult } from './runner.js';
import { DEFAULT_PROFILE, generateTraffic } from './traffic.js';
import type { TrackingStrategy } from '../../src/tracking/tracking-strategy.js';

const SIZES = [45, 55, 65, 80, 100, 120];
const GRACE = 60;
const STRATEGIES: { label: string; strategy: TrackingStrategy }[] = [
  { label: 'fixed 15 min', strategy: { hold: { kind: 'fixed', minutes: 15 }, callerHistoryTieBreak: false } },
  { label: 'fixed 30 min', strategy: { hold: { kind: 'fixed', minutes: 30 }, callerHistoryTieBreak: false } },
  { label: 'activity', strategy: { hold: { kind: 'activity' }, callerHistoryTieBreak: false } },
  { label: 'activity + caller history (calltrack)', strategy: { hold: { kind: 'activity' }, callerHistoryTieBreak: true } },
];
const START = '<!-- bench:attribution:start -->';
const END = '<!-- bench:attribution:end -->';

const scenario = (label: string, strategy: TrackingStrategy, poolSize: number, graceMinutes = GRACE): Scenario => ({
  label,
  strategy,
  poolSize,
  holdMinutes: 15,
  graceMinutes,
  onExhausted: 'fallback',
});

/** Runs scenarios two at a time: SQLite works on libuv threads, so the second core helps. */
async function runAll(traffic: ReturnType<typeof generateTraffic>, scenarios: Scenario[]): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = new Array<ScenarioResult>(scenarios.length);
  let next = 0;
  const worker = async () => {
    while (next < scenarios.length) {
      const i = next++;
      const s = scenarios[i];
      if (!s) continue;
      results[i] = await runScenario(traffic, s);
      process.stderr.write(`  ${s.label}, ${s.poolSize} numbers: done\n`);
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

async function main(): Promise<void> {
  const started = Date.now();
  const traffic = generateTraffic(DEFAULT_PROFILE);
  const grid = STRATEGIES.flatMap(({ label, strategy }) => SIZES.map((size) => scenario(label, strategy, size)));
  const product = STRATEGIES[3]?.strategy ?? { hold: { kind: 'activity' }, callerHistoryTieBreak: true };
  grid.push(scenario('activity, graceMinutes 10 (old default)', product, 120, 10));
  const results = await runAll(traffic, grid);

  // The advisor sees what `pools status` would see: the holds of a pool that never ran out.
  const unconstrained = results.find((r) => r.scenario.label === STRATEGIES[3]?.label && r.scenario.poolSize === SIZES[SIZES.length - 1]);
  const advice = unconstrained ? adviseFromHolds(unconstrained, traffic, GRACE) : null;
  const advised = advice ? await runScenario(traffic, scenario('calltrack at the advised size', product, advice.recommendedSize)) : null;

  const calls = results[0]?.calls.total ?? 0;
  const probes = (results[0]?.all.total ?? 0) - calls;
  const section = [
    START,
    `Traffic: ${profileSummary(DEFAULT_PROFILE, traffic.visits.length, calls, probes)}`,
    '',
    resultTable(advised ? [...results, advised] : results),
    '',
    sizeNeededTable(results, [0.99, 0.995]),
    '',
    advice ? `Advisor (from the unconstrained run's holds): ${advice.recommendedSize} numbers. ${advice.reasoning.join(' ')}` : 'Advisor: no data.',
    '',
    `Run time: ${Math.round((Date.now() - started) / 1000)} s on this machine (${grid.length + (advised ? 1 : 0)} replays).`,
    END,
  ].join('\n');
  process.stdout.write(`${section}\n`);
  if (process.argv.includes('--write')) writeSection(section);
}

function writeSection(section: string): void {
  const file = 'BENCHMARKS.md';
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '# Benchmarks\n';
  }
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  text = from >= 0 && to > from ? text.slice(0, from) + section + text.slice(to + END.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, text);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:attribution failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
