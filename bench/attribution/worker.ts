/**
 * One replay process of `bench:attribution`: reads scenarios (JSON) on stdin, regenerates the
 * same seeded traffic, runs the scenarios one after another and writes the results as JSON on
 * stdout. The replay is single-threaded JavaScript, so two of these use both cores.
 */
import { text } from 'node:stream/consumers';
import { runScenario, type Scenario, type ScenarioResult } from './runner.js';
import { accuracy } from './report.js';
import { generateTraffic, type TrafficProfile } from './traffic.js';

interface Job {
  profile: TrafficProfile;
  scenarios: Scenario[];
}

async function main(): Promise<void> {
  const job = JSON.parse(await text(process.stdin)) as Job;
  const traffic = generateTraffic(job.profile);
  const results: ScenarioResult[] = [];
  for (const s of job.scenarios) {
    const r = await runScenario(traffic, s);
    results.push(r);
    process.stderr.write(`  ${s.label}, ${s.poolSize} numbers: ${(accuracy(r.all) * 100).toFixed(2)}% right, ${r.fallbackShows} fallback shows\n`);
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((err: unknown) => {
  process.stderr.write(`replay worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
