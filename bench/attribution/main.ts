/**
 * `npm run bench:attribution`: replays the default traffic profile through calltrack's real
 * allocator and attributor for every (hold strategy, pool size) pair, prints the accuracy table
 * BENCHMARKS.md publishes, and with `--write` replaces that section of BENCHMARKS.md.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { adviseFromHolds } from './advise.js';
import { resultTable, profileSummary, sizeNeededTable } from './report.js';
import type { Scenario, ScenarioResult } from './runner.js';
import { DEFAULT_PROFILE, generateTraffic, type TrafficProfile } from './traffic.js';
import type { TrackingStrategy } from '../../src/tracking/tracking-strategy.js';

const SIZES = [40, 50, 60, 75, 90, 110];
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

/** Splits the scenarios over two replay processes (one per core) and gathers the results in order. */
async function runAll(profile: TrafficProfile, scenarios: Scenario[]): Promise<ScenarioResult[]> {
  const halves = [0, 1].map((w) => scenarios.map((s, i) => ({ s, i })).filter(({ i }) => i % 2 === w));
  const outputs = await Promise.all(halves.map((half) => runWorker(profile, half.map(({ s }) => s))));
  const results = new Array<ScenarioResult>(scenarios.length);
  halves.forEach((half, w) => half.forEach(({ i }, k) => (results[i] = outputs[w]?.[k] as ScenarioResult)));
  return results;
}

function runWorker(profile: TrafficProfile, scenarios: Scenario[]): Promise<ScenarioResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./worker.ts', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as ScenarioResult[]) : reject(new Error(`replay worker exited with ${code}`))));
    child.stdin.end(JSON.stringify({ profile, scenarios }));
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const traffic = generateTraffic(DEFAULT_PROFILE);
  const grid = STRATEGIES.flatMap(({ label, strategy }) => SIZES.map((size) => scenario(label, strategy, size)));
  const product = STRATEGIES[3]?.strategy ?? { hold: { kind: 'activity' }, callerHistoryTieBreak: true };
  grid.push(scenario('activity, graceMinutes 10 (old default)', product, 120, 10));
  const results = await runAll(DEFAULT_PROFILE, grid);

  // The advisor sees what `pools status` would see: the holds of a pool that never ran out.
  const unconstrained = results.find((r) => r.scenario.label === STRATEGIES[3]?.label && r.scenario.poolSize === SIZES[SIZES.length - 1]);
  const advice = unconstrained ? adviseFromHolds(unconstrained, traffic, GRACE) : null;
  const advised = advice ? ((await runAll(DEFAULT_PROFILE, [scenario('calltrack at the advised size', product, advice.recommendedSize)]))[0] ?? null) : null;

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
