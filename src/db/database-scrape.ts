import { Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { ComponentHealth } from '../health.js';

/**
 * A feature's series read from the database at scrape time (pool occupancy, the webhook outbox).
 * `read` runs the feature's store queries and returns how to publish what it read; `omit` drops
 * the series when the read failed or took too long, so Prometheus sees them missing rather than
 * stale.
 */
export interface ScrapeSource {
  readonly name: string;
  read(): Promise<() => void>;
  omit(): void;
}

/** How long a scrape waits for the database before it answers without the database's series. */
export const DEFAULT_SCRAPE_BUDGET_MS = 2_000;

/**
 * The database side of one GET /metrics. The in-process counters (calls, visits) are always
 * served; the database's series come from reads made while Prometheus scrapes, so they are true
 * after a restart and the same on every node sharing the database. Every series registered by a
 * source awaits `sample()` in its `collect()`; prom-client collects all metrics of a scrape at
 * once, so they share one sample.
 *
 * A slow or broken database must not fail or hang the scrape:
 * - a sample waits at most `budgetMs`; then `calltrack_database_up` is 0 and the sources' series
 *   are left out, while everything else is served;
 * - the reads are never stacked: while one is still running (a locked SQLite file waits out its
 *   busy timeout), the next scrape waits for that one again instead of queueing another behind
 *   it, so a database that hangs costs one set of queries, not one per scrape.
 */
export class DatabaseScrape {
  private readonly sources: ScrapeSource[] = [];
  private readonly up: Gauge;
  private readonly seconds: Gauge;
  /** The reads under way, possibly started by an earlier scrape that gave up waiting. */
  private reading: Promise<PromiseSettledResult<unknown>[]> | undefined;
  /** This scrape's sample, shared by the collect() of every series. */
  private current: Promise<void> | undefined;
  private readonly failing = new Set<string>();

  constructor(
    /** Where the series go (GET /metrics); the sources register theirs here too. */
    readonly registry: Registry,
    private readonly d: { probe: () => Promise<ComponentHealth>; logger: Logger; budgetMs?: number },
  ) {
    this.up = new Gauge({
      name: 'calltrack_database_up',
      help: 'Whether the database answered this scrape (the /healthz probe) within the time limit: 1 up, 0 down',
      registers: [registry],
      collect: () => this.sample(),
    });
    this.seconds = new Gauge({
      name: 'calltrack_database_scrape_seconds',
      help: "How long this scrape's database reads took (the time limit when they did not finish)",
      registers: [registry],
      collect: () => this.sample(),
    });
  }

  add(source: ScrapeSource): void {
    this.sources.push(source);
  }

  /** The database's series for the scrape in progress (called by each series' collect()). */
  sample(): Promise<void> {
    this.current ??= this.take().finally(() => (this.current = undefined));
    return this.current;
  }

  private async take(): Promise<void> {
    const started = performance.now();
    this.reading ??= Promise.allSettled([this.d.probe(), ...this.sources.map((s) => s.read())]).finally(() => (this.reading = undefined));
    const budget = this.d.budgetMs ?? DEFAULT_SCRAPE_BUDGET_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), budget)));
    const results = await Promise.race([this.reading, timedOut]).finally(() => clearTimeout(timer));
    this.seconds.set((performance.now() - started) / 1000);
    if (!results) {
      this.up.set(0);
      for (const s of this.sources) s.omit();
      this.note('database', new Error(`no answer within ${budget} ms`));
      return;
    }
    const [probe, ...reads] = results;
    const health = probe?.status === 'fulfilled' ? (probe.value as ComponentHealth) : undefined;
    this.up.set(health?.state === 'up' ? 1 : 0);
    this.note('database', health?.state === 'up' ? undefined : new Error(health?.detail ?? 'probe failed'));
    this.sources.forEach((s, i) => {
      const r = reads[i];
      if (r?.status === 'fulfilled') (r.value as () => void)();
      else s.omit();
      this.note(s.name, r?.status === 'rejected' ? r.reason : undefined);
    });
  }

  /** Logs a part that starts failing once, not at every scrape while it stays down. */
  private note(part: string, err: unknown): void {
    if (err === undefined) {
      if (this.failing.delete(part)) this.d.logger.info({ part }, 'metrics: database reads work again');
    } else if (!this.failing.has(part)) {
      this.failing.add(part);
      this.d.logger.warn({ err, part }, 'metrics: database series left out of the scrape');
    }
  }
}
