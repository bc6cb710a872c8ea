import { Counter, Gauge } from 'prom-client';
import type { Clock } from '../clock.js';
import type { CalltrackConfig } from '../config/schema.js';
import type { Database } from '../db/connect.js';
import type { DatabaseScrape, ScrapeSource } from '../db/database-scrape.js';
import type { HoldStore } from './hold-store.js';
import type { PoolEventKind, PoolEventStore } from './pool-event-store.js';

/** The pool events behind each counter (pool-event-store.ts says when each is recorded). */
const EVENT_COUNTERS: Record<PoolEventKind, { name: string; help: string }> = {
  exhausted: { name: 'calltrack_pool_exhaustions_total', help: 'Visits that wanted a pool number while every one was held (the pool is too small)' },
  fallback: { name: 'calltrack_pool_fallback_shows_total', help: "Visits of an exhausted pool shown its fallback number (their calls cannot be traced to an ad)" },
  'taken-over': { name: 'calltrack_pool_takeovers_total', help: 'Visits of an exhausted pool that took the longest-idle hold (onExhausted: reuse-oldest)' },
  bot: { name: 'calltrack_pool_bot_fallbacks_total', help: 'Crawler visits shown the fallback number (no pool number taken)' },
  'rate-limited': { name: 'calltrack_pool_rate_limited_visits_total', help: 'Visits over http.rateLimit shown the fallback number (no pool number taken)' },
  reveal: { name: 'calltrack_pool_reveals_total', help: '"Show number" clicks on pools with reveal: click' },
};

/**
 * On PostgreSQL, events are counted once they are this old (see PoolEventStore.countAfter); on
 * SQLite there is one writer and ids commit in order, so they are counted at once.
 */
const PG_SETTLE_MS = 5_000;
/** At most about this many events are counted per scrape; a backlog is caught up over the next ones. */
const MAX_EVENTS_PER_SCRAPE = 50_000;

/**
 * Pool health for GET /metrics, all read from the database at scrape time (ScrapeSource):
 * - gauges `calltrack_pool_numbers` (active numbers) and `calltrack_pool_numbers_held` (held now);
 * - a counter per pool event kind (exhaustions, fallback shows, take-overs, ...).
 *
 * The counters are not incremented where events happen (SQLite triggers, PostgreSQL batch
 * statements, the allocator, the snippet's reveal): they follow the `pool_events` table, the
 * record `calltrack pools status` reads, by id from where it ended at this process's first
 * scrape. So an event is counted once it has committed, whichever path or node wrote it, and the
 * visit path does no extra work. Every node sharing a database therefore counts every node's events: aggregate them
 * with max(), not sum() (README, Monitoring). Like any counter, they restart from 0 with the
 * process; rate() and increase() handle that.
 */
export class PoolMetrics implements ScrapeSource {
  readonly name = 'pools';
  private readonly size: Gauge<'pool'>;
  private readonly held: Gauge<'pool'>;
  private readonly events: Record<PoolEventKind, Counter<'pool'>>;
  /** The last event id counted; undefined until the first scrape reads where the table ends. */
  private cursor: number | undefined;
  /** The pools whose counters are served: a pool a reload removed has its series dropped. */
  private readonly served = new Set<string>();

  constructor(
    scrape: DatabaseScrape,
    private readonly d: {
      db: Database;
      config: { readonly current: CalltrackConfig };
      clock: Clock;
      holds: HoldStore;
      poolEvents: PoolEventStore;
      /** Several nodes may write events (PostgreSQL): count them only once settled. */
      multiWriter: boolean;
    },
  ) {
    const registry = scrape.registry;
    const collect = () => scrape.sample();
    this.size = new Gauge({ name: 'calltrack_pool_numbers', help: 'Active numbers in the pool', labelNames: ['pool'], registers: [registry], collect });
    this.held = new Gauge({ name: 'calltrack_pool_numbers_held', help: 'Pool numbers held by a visit now', labelNames: ['pool'], registers: [registry], collect });
    const counter = (kind: PoolEventKind) => new Counter({ ...EVENT_COUNTERS[kind], labelNames: ['pool'], registers: [registry], collect });
    this.events = {
      exhausted: counter('exhausted'),
      fallback: counter('fallback'),
      'taken-over': counter('taken-over'),
      bot: counter('bot'),
      'rate-limited': counter('rate-limited'),
      reveal: counter('reveal'),
    };
    scrape.add(this);
  }

  async read(): Promise<() => void> {
    const { db, clock, holds, poolEvents } = this.d;
    const now = clock.now();
    const from = this.cursor;
    const [occupancy, events] = await Promise.all([
      holds.poolOccupancy(db, now),
      from === undefined
        ? poolEvents.lastId(db).then((throughId) => ({ counts: [], throughId }))
        : poolEvents.countAfter(db, from, now - (this.d.multiWriter ? PG_SETTLE_MS : 0), MAX_EVENTS_PER_SCRAPE),
    ]);
    return () => {
      const pools = this.d.config.current.pools.map((p) => p.name);
      this.size.reset();
      this.held.reset();
      // A removed pool's counters would otherwise be served, frozen, until the next restart.
      for (const gone of [...this.served].filter((p) => !pools.includes(p))) {
        for (const c of Object.values(this.events)) c.remove({ pool: gone });
        this.served.delete(gone);
      }
      for (const pool of pools) {
        const o = occupancy.find((r) => r.poolName === pool);
        this.size.set({ pool }, o?.size ?? 0);
        this.held.set({ pool }, o?.held ?? 0);
        // Every configured pool's counters exist from the first scrape: an increase from a
        // series that appears only at its first event would be lost to rate().
        for (const c of Object.values(this.events)) c.inc({ pool }, 0);
        this.served.add(pool);
      }
      // Counted only if no other sample moved the cursor since this read began (it never
      // should: reads are not run side by side), so an event is never counted twice.
      if (this.cursor !== from) return;
      for (const e of events.counts) {
        if (pools.includes(e.poolName)) this.events[e.kind]?.inc({ pool: e.poolName }, e.n);
      }
      this.cursor = events.throughId;
    };
  }

  /** Counters keep their values (events are not lost: the cursor stays where it was); gauges go. */
  omit(): void {
    this.size.reset();
    this.held.reset();
  }
}
