import path from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createApp, type App } from '../../src/main.js';
import { makeConfig } from './config.js';
import { testLogger } from './logger.js';
import { tempDir } from './temp.js';

export interface TrackingFixture {
  app: App;
  clock: ManualClock;
  /** Base URL when started with `listen: true`. */
  url: string;
  close(): Promise<void>;
}

/**
 * A migrated, synchronised app on a virtual clock, over a fresh SQLite file (or the given
 * PostgreSQL URL). Nothing connects to drachtio: only the database and, with `listen`, HTTP
 * on an ephemeral loopback port. `dir`: where the SQLite file goes, for a test that opens it
 * again (a tempDir() made inside a before() hook is removed when that hook ends).
 */
export async function trackingApp(
  doc: Record<string, unknown>,
  opts: { pgUrl?: string; listen?: boolean; clock?: ManualClock; dir?: string; metricsDatabaseBudgetMs?: number } = {},
): Promise<TrackingFixture> {
  const database = opts.pgUrl
    ? { client: 'pg', connection: opts.pgUrl, pool: { min: 0, max: 10 } }
    : { client: 'sqlite3', filename: path.join(opts.dir ?? tempDir(), 'calltrack.sqlite') };
  const cfg = makeConfig({
    http: { host: '127.0.0.1', port: 8080, corsOrigins: ['https://shop.example.com'] },
    tracking: { defaultCountry: 'RU' },
    log: { level: 'silent' },
    ...doc,
    database,
  });
  const clock = opts.clock ?? new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  const app = await createApp(cfg, { logger: testLogger(), clock, metricsDatabaseBudgetMs: opts.metricsDatabaseBudgetMs });
  await migrateToLatest(app.db);
  await app.numberSync.sync(cfg);
  let url = '';
  if (opts.listen) url = await app.http.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    clock,
    url,
    async close() {
      if (opts.listen) await app.http.close();
      await app.stop();
    },
  };
}

/**
 * Two calltrack nodes on one PostgreSQL database and one clock, as two servers behind one
 * balancer. The caller closes both.
 */
export async function twoNodes(doc: Record<string, unknown>, pgUrl: string, opts: { listen?: boolean } = {}): Promise<TrackingFixture[]> {
  const first = await trackingApp(doc, { pgUrl, ...opts });
  return [first, await trackingApp(doc, { pgUrl, ...opts, clock: first.clock })];
}

/** Pool `name` with numbers +7495000{first}..{first+size-1}. */
export function pool(name: string, first: number, size: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    numbers: Array.from({ length: size }, (_, i) => `+7495000${String(first + i).padStart(4, '0')}`),
    forwardTo: '+74951112233',
    ...extra,
  };
}

export const MINUTE = 60_000;
