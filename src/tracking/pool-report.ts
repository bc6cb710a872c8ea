import type { Clock } from '../clock.js';
import type { LiveConfig } from '../config/live-config.js';
import type { Database } from '../db/connect.js';
import type { CallHistory } from './call-history.js';
import type { HoldStore } from './hold-store.js';
import type { NumberKind } from './number-records.js';
import type { NumberStore } from './number-store.js';
import type { PoolEventStore } from './pool-event-store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface PoolStatus {
  pool: string;
  size: number;
  heldNow: number;
  peakHeld24h: number;
  peakHeld7d: number;
  exhaustions24h: number;
  exhaustions7d: number;
  fallbackShows7d: number;
  takeOvers7d: number;
  botsShownFallback7d: number;
  rateLimited7d: number;
  calls7d: number;
  unattributedCalls7d: number;
  recommendedSize: number;
  /** Why that size, in one sentence. */
  recommendation: string;
}

export interface NumberListing {
  number: string;
  kind: NumberKind;
  pool: string | null;
  source: string | null;
  active: boolean;
  state: 'free' | 'held' | 'inactive';
  heldByVisit: string | null;
  holdUntil: number | null;
  lastCallAt: number | null;
}

/** Read-only views for `calltrack numbers list` and `calltrack pools status` (and later the admin UI). */
export class PoolReportService {
  constructor(
    private readonly d: {
      db: Database;
      config: LiveConfig;
      clock: Clock;
      numbers: NumberStore;
      holds: HoldStore;
      events: PoolEventStore;
      calls: CallHistory;
    },
  ) {}

  async listNumbers(): Promise<NumberListing[]> {
    const now = this.d.clock.now();
    const [numbers, lastCalls] = await Promise.all([this.d.numbers.listAll(this.d.db), this.d.calls.lastCallTimes(this.d.db)]);
    return numbers.map((n) => {
      const held = n.kind === 'pool' && n.active && n.holdVisitId !== null && n.holdUntil !== null && n.holdUntil > now;
      return {
        number: n.number,
        kind: n.kind,
        pool: n.poolName,
        source: n.sourceName,
        active: n.active,
        state: !n.active ? 'inactive' : held ? 'held' : 'free',
        heldByVisit: held ? n.holdVisitId : null,
        holdUntil: held ? n.holdUntil : null,
        lastCallAt: lastCalls.get(n.number) ?? null,
      };
    });
  }

  async poolStatus(): Promise<PoolStatus[]> {
    const now = this.d.clock.now();
    const all = await this.d.numbers.listAll(this.d.db);
    const out: PoolStatus[] = [];
    for (const pool of this.d.config.current.pools) {
      const size = all.filter((n) => n.kind === 'pool' && n.active && n.poolName === pool.name).length;
      const holds = await this.d.holds.holdsOverlapping(this.d.db, pool.name, now - 7 * DAY, now);
      const day = await this.d.events.countByKind(this.d.db, pool.name, now - DAY);
      const week = await this.d.events.countByKind(this.d.db, pool.name, now - 7 * DAY);
      const calls = await this.d.calls.countPoolCalls(this.d.db, pool.name, now - 7 * DAY);
      const peak7d = peakConcurrent(holds, now - 7 * DAY, now);
      const advice = recommendSize(size, peak7d, week.exhausted);
      out.push({
        pool: pool.name,
        size,
        heldNow: await this.d.holds.countHeld(this.d.db, pool.name, now),
        peakHeld24h: peakConcurrent(holds, now - DAY, now),
        peakHeld7d: peak7d,
        exhaustions24h: day.exhausted,
        exhaustions7d: week.exhausted,
        fallbackShows7d: week.fallback,
        takeOvers7d: week['taken-over'],
        botsShownFallback7d: week.bot,
        rateLimited7d: week['rate-limited'],
        calls7d: calls.total,
        unattributedCalls7d: calls.unattributed,
        ...advice,
      });
    }
    return out;
  }
}

/** The largest number of holds running at the same moment within [from, to]. */
export function peakConcurrent(holds: readonly { heldFrom: number; heldUntil: number }[], from: number, to: number): number {
  const edges: [number, number][] = [];
  for (const h of holds) {
    const start = Math.max(h.heldFrom, from);
    const end = Math.min(h.heldUntil, to);
    if (end <= start) continue;
    edges.push([start, 1], [end, -1]);
  }
  // A hold ending at t and another starting at t never overlap: ends sort first.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  for (const [, delta] of edges) {
    current += delta;
    peak = Math.max(peak, current);
  }
  return peak;
}

/**
 * A deliberately simple advisor: enough numbers for the busiest moment of the last week
 * plus 20% headroom; a pool that ran out grows by a quarter, since its true peak is unknown
 * (visits beyond the pool were never held).
 */
export function recommendSize(size: number, peak7d: number, exhaustions7d: number): { recommendedSize: number; recommendation: string } {
  if (exhaustions7d > 0) {
    const grow = Math.max(1, Math.ceil(size * 0.25));
    return {
      recommendedSize: Math.max(size, peak7d) + grow,
      recommendation: `ran out ${exhaustions7d} time${exhaustions7d === 1 ? '' : 's'} in 7 days: add ${grow} number${grow === 1 ? '' : 's'} (25%, at least one) and check again`,
    };
  }
  if (peak7d === 0) return { recommendedSize: size, recommendation: 'no visits held a number in 7 days: not enough data to advise' };
  const recommendedSize = Math.max(peak7d + 1, Math.ceil(peak7d * 1.2));
  const verdict = recommendedSize > size ? 'grow' : recommendedSize < size ? 'could shrink' : 'keep';
  return {
    recommendedSize,
    recommendation: `${verdict}: peak of ${peak7d} held at once in 7 days, plus 20% headroom (at least one spare)`,
  };
}
