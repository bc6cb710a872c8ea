import type { Clock } from '../clock.js';
import type { LiveConfig } from '../config/live-config.js';
import type { Database } from '../db/connect.js';
import type { CallHistory } from './call-history.js';
import type { HoldStore } from './hold-store.js';
import type { NumberKind } from './number-records.js';
import type { NumberStore } from './number-store.js';
import type { PoolEventStore } from './pool-event-store.js';
import { advisePoolSize, holdConcurrency, type PoolAdvice } from './pool-advisor.js';

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
  /** The pool shows numbers masked until a click (`reveal: click`). */
  reveal: boolean;
  /** Visitors who clicked "show number" (each took a number); 0 for pools without reveal. */
  reveals7d: number;
  calls7d: number;
  unattributedCalls7d: number;
  recommendedSize: number;
  /** Why that size, in one sentence. */
  recommendation: string;
  /** The advisor's figures and its reasoning, step by step (see pool-advisor.ts). */
  advice: PoolAdvice;
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
    const occupancy = await this.d.holds.poolOccupancy(this.d.db, now);
    const out: PoolStatus[] = [];
    // Windows end just after `now` (times are whole ms): a hold that starts at this very instant
    // is held now and must count in the peaks that `heldNow` is compared with.
    const end = now + 1;
    for (const pool of this.d.config.current.pools) {
      const { size, held } = occupancy.find((o) => o.poolName === pool.name) ?? { size: 0, held: 0 };
      const holds = await this.d.holds.holdsOverlapping(this.d.db, pool.name, now - 7 * DAY, end);
      const day = await this.d.events.countByKind(this.d.db, pool.name, now - DAY);
      const week = await this.d.events.countByKind(this.d.db, pool.name, now - 7 * DAY);
      const calls = await this.d.calls.countPoolCalls(this.d.db, pool.name, now - 7 * DAY);
      const peak7d = peakConcurrent(holds, now - 7 * DAY, end);
      // With reuse-oldest an exhausted visit still got a (taken-over) hold, already in `holds`.
      const unservedAt = pool.onExhausted === 'reuse-oldest' ? [] : await this.d.events.timesSince(this.d.db, pool.name, 'exhausted', now - 7 * DAY);
      const weekHolds = holds.map((h) => ({ heldFrom: Math.max(h.heldFrom, now - 7 * DAY), heldUntil: h.heldUntil }));
      const advice = advisePoolSize({
        currentSize: size,
        holds: weekHolds,
        unservedAt,
        callDelaysMinutes: await this.d.calls.poolCallDelays(this.d.db, pool.name, now - 30 * DAY),
        holdMinutes: pool.holdMinutes,
        graceMinutes: this.d.config.current.tracking.graceMinutes,
      });
      out.push({
        pool: pool.name,
        size,
        heldNow: held,
        peakHeld24h: peakConcurrent(holds, now - DAY, end),
        peakHeld7d: peak7d,
        exhaustions24h: day.exhausted,
        exhaustions7d: week.exhausted,
        fallbackShows7d: week.fallback,
        takeOvers7d: week['taken-over'],
        botsShownFallback7d: week.bot,
        rateLimited7d: week['rate-limited'],
        reveal: pool.reveal === 'click',
        reveals7d: week.reveal,
        calls7d: calls.total,
        unattributedCalls7d: calls.unattributed,
        recommendedSize: advice.recommendedSize,
        recommendation: oneLine(advice, week.exhausted),
        advice,
      });
    }
    return out;
  }
}

/** The largest number of holds running at the same moment within [from, to]. */
export function peakConcurrent(holds: readonly { heldFrom: number; heldUntil: number }[], from: number, to: number): number {
  return holdConcurrency(holds, from, to).peak;
}

/** The advice in one sentence, for the human `pools status` block. */
function oneLine(advice: PoolAdvice, exhaustions7d: number): string {
  const ranOut = exhaustions7d > 0 ? `ran out ${exhaustions7d} time${exhaustions7d === 1 ? '' : 's'} in 7 days; ` : '';
  if (advice.verdict === 'no data') return `${ranOut}no visits held a number in 7 days: not enough data to advise`;
  const at = advice.atRecommended;
  const figures = at ? ` (${(at.fallbackShare * 100).toFixed(1)}% fallback shows, ${(at.protectedShare * 100).toFixed(1)}% of holds protected)` : '';
  return `${ranOut}${advice.verdict}: the smallest size that would have served last week's visits within the aim${figures}`;
}
