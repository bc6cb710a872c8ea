import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { LiveConfig } from './config/live-config.js';
import type { CalltrackConfig } from './config/schema.js';
import { createDatabase, databaseClient, describeDatabase, type Database } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { CallAdminService } from './calls/call-admin-service.js';
import { CallStore } from './calls/call-store.js';
import { LiveCallsService } from './calls/live-calls.js';
import { CallExportService } from './exports/call-export-service.js';
import { SourceDailyService } from './exports/source-daily.js';
import { SourceReportService } from './exports/source-report.js';
import { HealthRegistry } from './health.js';
import { DEFAULT_DISPATCHER_OPTIONS, OutboxDispatcher, type DispatcherOptions } from './integrations/outbox-dispatcher.js';
import { OutboxCallEventSink } from './integrations/outbox-sink.js';
import { OutboxStore } from './integrations/outbox-store.js';
import { DrachtioConnection } from './sip/drachtio-connection.js';
import { TrackingAttributor } from './tracking/attributor.js';
import { CallHistory } from './tracking/call-history.js';
import { HoldStore } from './tracking/hold-store.js';
import { NumberAllocator } from './tracking/number-allocator.js';
import { NumberStore } from './tracking/number-store.js';
import { NumberSyncService, type SyncSummary } from './tracking/number-sync.js';
import { PoolEventStore } from './tracking/pool-event-store.js';
import { PoolHealthService, VisitDetailsService } from './tracking/tracking-views.js';
import { PoolReportService } from './tracking/pool-report.js';
import { VisitService } from './tracking/visit-service.js';
import { VisitStore } from './tracking/visit-store.js';
import { packageVersion } from './version.js';
import { adminApi } from './web/admin-api.js';
import { dashboardApi } from './web/dashboard-api.js';
import { dashboardStatic } from './web/dashboard-static.js';
import { healthRoutes } from './web/health-routes.js';
import { LinkSigner } from './web/recording-links.js';
import { buildHttpServer } from './web/server.js';
import { visitRoutes } from './web/visit-routes.js';

function withTimeout<T>(promise: PromiseLike<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

/** What tests (and the CLI) may swap in; anything left out is built from the config. */
export interface AppOverrides {
  logger?: Logger;
  clock?: Clock;
  db?: Database;
  drachtio?: DrachtioConnection;
  /** Directory that relative paths in the config (SQLite file, recordings) are resolved against. */
  baseDir?: string;
  /** Webhook/GA4 delivery tuning (tests shorten the poll and the backoff). */
  dispatcher?: Partial<DispatcherOptions>;
}

export interface App {
  readonly config: LiveConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly db: Database;
  readonly health: HealthRegistry;
  readonly http: FastifyInstance;
  readonly drachtio: DrachtioConnection;
  readonly numberSync: NumberSyncService;
  /** Where the SIP call path publishes call.started/answered/completed/missed (persisted outbox). */
  readonly callEvents: OutboxCallEventSink;
  /** Delivers the outbox to webhooks and GA4; started by `start()`. */
  readonly outbox: OutboxDispatcher;
  /** The admin API's calls service (listing, edits, recordings), for a future dashboard. */
  readonly callAdmin: CallAdminService;
  /** Website visits and their numbers (the public visit API calls this). */
  readonly visits: VisitService;
  /** Which visit or source a call belongs to: the SIP call path and `calltrack attribute`. */
  readonly attributor: TrackingAttributor;
  /** `numbers list` and `pools status`. */
  readonly poolReports: PoolReportService;
  /** Migrates, synchronises numbers, listens for HTTP, connects to drachtio. */
  start(opts?: { listen?: boolean }): Promise<void>;
  /** Applies a new, already validated configuration (SIGHUP). */
  reload(next: CalltrackConfig): Promise<SyncSummary>;
  /** Stops accepting work, lets work in progress finish, closes everything. */
  stop(): Promise<void>;
}

/**
 * The composition root: the only place that builds services and wires them together.
 * Building has no side effects; nothing connects or listens until `start()`.
 */
export async function createApp(cfg: CalltrackConfig, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? (await import('./logging.js')).createLogger({ level: cfg.log.level });
  const clock = overrides.clock ?? systemClock;
  const config = new LiveConfig(cfg);
  const db = overrides.db ?? createDatabase(cfg.database, overrides.baseDir);
  const health = new HealthRegistry();

  const numberStore = new NumberStore();
  const numberSync = new NumberSyncService(db, numberStore, clock, logger.child({ component: 'numbers' }));
  const holdStore = new HoldStore();
  const visitStore = new VisitStore();
  const poolEvents = new PoolEventStore();
  const callHistory = new CallHistory();
  // Several calltrack nodes may share one PostgreSQL database: lock rows while allocating.
  const lockRows = databaseClient(db) === 'pg';
  const allocator = new NumberAllocator(holdStore, poolEvents, lockRows);
  const visits = new VisitService({
    db,
    config,
    clock,
    logger: logger.child({ component: 'visits' }),
    visits: visitStore,
    numbers: numberStore,
    holds: holdStore,
    allocator,
    lockRows,
  });
  const attributor = new TrackingAttributor({ db, config, numbers: numberStore, holds: holdStore, visits: visitStore, calls: callHistory });
  const poolReports = new PoolReportService({ db, config, clock, numbers: numberStore, holds: holdStore, events: poolEvents, calls: callHistory });

  const callStore = new CallStore();
  const outboxStore = new OutboxStore();
  const dispatcherOptions = { ...DEFAULT_DISPATCHER_OPTIONS, ...overrides.dispatcher };
  const outbox = new OutboxDispatcher(db, outboxStore, config, clock, logger.child({ component: 'outbox' }), dispatcherOptions);
  const callEvents = new OutboxCallEventSink(db, outboxStore, config, clock, dispatcherOptions.retry.giveUpAfterMs, () => outbox.wake());
  const callAdmin = new CallAdminService(db, callStore, config, clock, overrides.baseDir ?? process.cwd());

  const drachtio = overrides.drachtio ?? new DrachtioConnection(cfg.sip.drachtio, logger.child({ component: 'drachtio' }));

  health.register('database', async () => {
    const where = describeDatabase(config.current.database);
    try {
      await withTimeout(db.raw('select 1'), 3000, 'no answer within 3 s');
      return { state: 'up', detail: where, critical: true };
    } catch (err) {
      return { state: 'down', detail: `${where}: ${err instanceof Error ? err.message : String(err)}`, critical: true };
    }
  });
  health.register('drachtio', () => drachtio.state.get());
  health.register('webhooks', () => outbox.health());
  health.register('freeswitch', () =>
    config.current.media.freeswitch
      ? { state: 'connecting', detail: 'media control is not wired yet' }
      : { state: 'disabled', detail: 'media.freeswitch is not configured: calls are forwarded without recording' },
  );

  const adminToken = () => config.current.http.adminToken;
  const http = await buildHttpServer({
    http: cfg.http,
    logger,
    plugins: [
      healthRoutes(health, packageVersion()),
      visitRoutes({ visits, config, clock }),
      adminApi({
        adminToken,
        calls: callAdmin,
        exports: new CallExportService(db, config),
        reports: new SourceReportService(db, config),
      }),
      dashboardStatic(),
      dashboardApi({
        adminToken,
        config,
        version: packageVersion(),
        calls: callAdmin,
        live: new LiveCallsService(db, config, clock),
        daily: new SourceDailyService(db, config),
        pools: new PoolHealthService({ db, config, clock, reports: poolReports, holds: holdStore }),
        visits: new VisitDetailsService(db, visitStore),
        links: new LinkSigner(adminToken, clock),
      }),
    ],
  });

  let started = false;
  return {
    config,
    logger,
    clock,
    db,
    health,
    http,
    drachtio,
    numberSync,
    callEvents,
    outbox,
    callAdmin,
    visits,
    attributor,
    poolReports,

    async start(opts = {}) {
      const migrated = await migrateToLatest(db);
      if (migrated.applied.length > 0) logger.info({ applied: migrated.applied }, 'database migrated');
      await numberSync.sync(config.current);
      if (opts.listen !== false) {
        const address = await http.listen({ host: config.current.http.host, port: config.current.http.port });
        logger.info({ address }, 'HTTP server listening');
      } else {
        await http.ready();
      }
      drachtio.start();
      outbox.start();
      started = true;
    },

    async reload(next) {
      const summary = await numberSync.sync(next);
      config.replace(next);
      return summary;
    },

    async stop() {
      if (started) {
        drachtio.stop();
        await http.close();
        await outbox.stop();
      }
      await db.destroy();
      started = false;
    },
  };
}
