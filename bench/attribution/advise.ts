import { advisePoolSize, type PoolAdvice } from '../../src/tracking/pool-advisor.js';
import type { ScenarioResult } from './runner.js';
import type { Traffic } from './traffic.js';

/**
 * The pool-size advisor fed with a simulated pool's holds, exactly as `calltrack pools status`
 * feeds it from the database (holds in the window, exhaustion times).
 */
export function adviseFromHolds(run: ScenarioResult, traffic: Traffic, graceMinutes: number): PoolAdvice {
  const holds = run.holds.filter((h) => h.heldFrom >= traffic.start && h.heldFrom < traffic.end);
  return advisePoolSize({
    currentSize: run.scenario.poolSize,
    holds,
    unservedAt: run.unservedAt,
    callDelaysMinutes: run.callDelaysMinutes,
    holdMinutes: run.scenario.holdMinutes,
    graceMinutes,
  });
}
