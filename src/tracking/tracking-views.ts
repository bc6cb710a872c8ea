import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { CalltrackConfig } from '../config/schema.js';
import { NotFoundError } from '../errors.js';
import { TimeZone } from '../exports/time-zone.js';
import type { HoldStore } from './hold-store.js';
import { peakConcurrent, type PoolReportService, type PoolStatus } from './pool-report.js';
import type { VisitRecord, VisitStore } from './visit-store.js';

// Read-only views of number tracking for the dashboard: pool health over days, one visit in full.

export interface PoolHealth extends PoolStatus {
  /** The most numbers held at once on each of the last days (local dates, oldest first; today so far). */
  days: { day: string; peakHeld: number }[];
  /** True when the pool ran out or its busiest moment left less headroom than the advisor wants. */
  tooSmall: boolean;
  /** What is wrong and what to do, for a pool that is too small. */
  warning: string | null;
}

/** `calltrack pools status` plus a per-day history, for the dashboard's pools page. */
export class PoolHealthService {
  constructor(
    private readonly d: {
      db: Knex;
      config: { readonly current: CalltrackConfig };
      clock: Clock;
      reports: PoolReportService;
      holds: HoldStore;
    },
  ) {}

  async list(dayCount = 7): Promise<{ timeZone: string; pools: PoolHealth[] }> {
    const now = this.d.clock.now();
    const zone = TimeZone.of(this.d.config.current.exports.timeZone);
    const days = lastDays(zone, now, dayCount);
    const first = days[0]?.start ?? now;
    const statuses = await this.d.reports.poolStatus();
    const pools: PoolHealth[] = [];
    for (const status of statuses) {
      const holds = await this.d.holds.holdsOverlapping(this.d.db, status.pool, first, now + 1);
      // Today runs up to and including this moment, so numbers held right now count in its peak.
      const history = days.map((d) => ({ day: d.day, peakHeld: peakConcurrent(holds, d.start, Math.min(d.end, now + 1)) }));
      pools.push({ ...status, days: history, ...verdict(status) });
    }
    return { timeZone: zone.name, pools };
  }
}

function verdict(s: PoolStatus): { tooSmall: boolean; warning: string | null } {
  const grow = `grow it from ${s.size} to ${s.recommendedSize} numbers`;
  if (s.exhaustions7d > 0) {
    return {
      tooSmall: true,
      warning:
        `ran out of numbers ${s.exhaustions7d} time${s.exhaustions7d === 1 ? '' : 's'} in 7 days: ` +
        `those visitors saw the fallback number and their calls cannot be traced to an ad; ${grow}`,
    };
  }
  if (s.recommendedSize > s.size) {
    return { tooSmall: true, warning: `up to ${s.peakHeld7d} of ${s.size} numbers were held at once in 7 days, too little headroom; ${grow}` };
  }
  return { tooSmall: false, warning: null };
}

/** The last `count` local days ending with today, each as [start, end) instants. */
function lastDays(zone: TimeZone, now: number, count: number): { day: string; start: number; end: number }[] {
  const out: { day: string; start: number; end: number }[] = [];
  const [y = 1970, m = 1, d = 1] = zone.formatIso(now).slice(0, 10).split('-').map(Number);
  for (let i = count - 1; i >= 0; i--) {
    const start = zone.instantOf(y, m, d - i);
    const end = zone.instantOf(y, m, d - i + 1);
    out.push({ day: zone.formatIso(start).slice(0, 10), start, end });
  }
  return out;
}

export interface VisitDetails extends Omit<VisitRecord, 'createdAt' | 'lastSeenAt'> {
  createdAt: string;
  lastSeenAt: string;
  /** Every page the visit reported, in order (the landing page first). */
  pages: { url: string; seenAt: string }[];
}

/** One website visit with its pages, for the dashboard's call page (admin only: it holds the IP). */
export class VisitDetailsService {
  constructor(
    private readonly db: Knex,
    private readonly visits: VisitStore,
  ) {}

  async get(id: string): Promise<VisitDetails> {
    const visit = await this.visits.findById(this.db, id);
    if (!visit) throw new NotFoundError(`no visit with id "${id}" (visits are removed with their data after the retention period)`);
    const pages = await this.visits.pages(this.db, id);
    return {
      ...visit,
      createdAt: new Date(visit.createdAt).toISOString(),
      lastSeenAt: new Date(visit.lastSeenAt).toISOString(),
      pages: pages.map((p) => ({ url: p.url, seenAt: new Date(Number(p.seenAt)).toISOString() })),
    };
  }
}
