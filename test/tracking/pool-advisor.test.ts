import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adviseFromHolds, runScenario, type Scenario } from '../../bench/attribution/runner.js';
import { accuracy } from '../../bench/attribution/report.js';
import { DEFAULT_PROFILE, generateTraffic } from '../../bench/attribution/traffic.js';
import { advisePoolSize, holdConcurrency, replayDemand } from '../../src/tracking/pool-advisor.js';
import { PRODUCT_STRATEGY } from '../../src/tracking/tracking-strategy.js';

const MIN = 60_000;

describe('pool-size advisor', () => {
  it('measures peak and time-weighted mean concurrency', () => {
    const holds = [
      { heldFrom: 0, heldUntil: 10 },
      { heldFrom: 5, heldUntil: 15 },
      { heldFrom: 10, heldUntil: 20 },
    ];
    assert.deepEqual(holdConcurrency(holds, 0, 20), { peak: 2, mean: 1.5 });
  });

  it('replays demand free-longest first: fallback when all are held, reuse inside the grace window is unprotected', () => {
    const demands = [
      { at: 0, duration: 10 * MIN },
      { at: 1 * MIN, duration: 10 * MIN },
      { at: 2 * MIN, duration: 10 * MIN },
      { at: 15 * MIN, duration: 10 * MIN },
    ];
    const opts = { holdMinutes: 15, graceMinutes: 30, tail: (x: number) => (x < 25 ? 0.5 : 0) };
    const two = replayDemand(demands, 2, opts);
    assert.equal(two.fallbackShare, 1 / 4, 'the third visit finds both numbers held');
    assert.equal(two.protectedShare, 1 - 1 / 3, 'the fourth takes a number released 5 min earlier');
    // Lost: the fallback visit's call, and half of the calls of the visit whose number went 5 min after its hold.
    assert.equal(two.accuracy, 1 - 1.5 / 4);
    assert.deepEqual(replayDemand(demands, 4, opts), { size: 4, fallbackShare: 0, protectedShare: 1, accuracy: 1 });
  });

  it('counts visits that found no number as demand, and says so', () => {
    const advice = advisePoolSize({ currentSize: 1, holds: [{ heldFrom: 0, heldUntil: 15 * MIN }], unservedAt: [5 * MIN], callDelaysMinutes: [], holdMinutes: 15, graceMinutes: 10 });
    assert.equal(advice.recommendedSize, 2);
    assert.equal(advice.verdict, 'grow');
    assert.equal(advice.atCurrent?.fallbackShare, 0.5);
    assert.match(advice.reasoning.join(' '), /1 visits held a number .* 1 found none/);
    assert.equal(advisePoolSize({ currentSize: 5, holds: [], unservedAt: [], callDelaysMinutes: [], holdMinutes: 15, graceMinutes: 10 }).verdict, 'no data');
  });

  it('in simulation, the size it recommends from a pool\'s traffic meets the aim (fallback < 1%, accuracy >= 99%)', async (t) => {
    const traffic = generateTraffic({ ...DEFAULT_PROFILE, seed: 7, visitsPerDay: 400 });
    const scenario = (poolSize: number): Scenario => ({ label: 'calltrack', poolSize, strategy: PRODUCT_STRATEGY, holdMinutes: 15, graceMinutes: 60, onExhausted: 'fallback' });
    // The traffic a generously sized pool records: what `pools status` would read.
    const seen = await runScenario(traffic, scenario(60));
    assert.equal(seen.fallbackShows, 0);
    const advice = adviseFromHolds(seen, traffic, 60);
    assert.ok(advice.recommendedSize < 60, `advised ${advice.recommendedSize}`);
    assert.ok(advice.recommendedSize >= seen.peakHeld, `advised ${advice.recommendedSize}, below the peak of ${seen.peakHeld} held`);

    const atAdvised = await runScenario(traffic, scenario(advice.recommendedSize));
    t.diagnostic(`advised ${advice.recommendedSize} numbers (peak held ${seen.peakHeld}); there: ${JSON.stringify(atAdvised.all)}, ${atAdvised.fallbackShows} fallback shows`);
    assert.ok(atAdvised.fallbackShows / atAdvised.humanVisits < 0.01, `fallback shows ${atAdvised.fallbackShows}/${atAdvised.humanVisits}`);
    assert.ok(accuracy(atAdvised.all) >= 0.99, `accuracy ${JSON.stringify(atAdvised.all)} at ${advice.recommendedSize} numbers`);
  });
});
