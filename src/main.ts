import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { AppOverrides } from './app-overrides.js';
import { absoluteUrl } from './calls/call-json.js';
import { CallJournal } from './calls/call-journal.js';
import { CallRecorder } from './calls/call-recorder.js';
import { CallStore } from './calls/call-store.js';
import { systemClock, type Clock } from './clock.js';
import { LiveConfig } from './config/live-config.js';
import { reloadChanges, restartWarning, type ReloadChanges } from './config/restart-only.js';
import type { CalltrackConfig } from './config/schema.js';
import { createDatabase, databaseHealthProbe, type Database } from './db/connect.js';
import { DatabaseScrape } from './db/database-scrape.js';
import { resolveLogLevel } from './logging.js';
import { migrateToLatest } from './db/migrate.js';
import { CallAdminService } from './calls/call-admin-service.js';
import { LiveCallsService } from './calls/live-calls.js';
import { CallExportService } from './exports/call-export-service.js';
import { SourceDailyService } from './exports/source-daily.js';
import { SourceReportService } from './exports/source-report.js';
import { HealthRegistry } from './health.js';
import { realTimers } from './media/media-port.js';
import { MediaService } from './media/media-service.js';
import { DEFAULT_DISPATCHER_OPTIONS, OutboxDispatcher } from './integrations/outbox-dispatcher.js';
import { OutboxMetrics } from './integrations/outbox-metrics.js';
import { OutboxCallEventSink } from './integrations/outbox-sink.js';
import { OutboxStore } from './integrations/outbox-store.js';
import { DrachtioConnection } from './sip/drachtio-connection.js';
import { passThroughMedia, type MediaPathFactory } from './sip/media-path.js';
import { Registrar } from './sip/registrar.js';
import { SipApp } from './sip/sip-app.js';
import { SipMetrics } from './sip/sip-metrics.js';
import { NumberSyncService, type SyncSummary } from './tracking/number-sync.js';
import { PoolReportService } from './tracking/pool-report.js';
import type { TrackingAttributor } from './tracking/attributor.js';
import { PRODUCT_STRATEGY } from './tracking/tracking-strategy.js';
import { buildTrackingFeature } from './tracking/tracking-feature.js';
import { WalCheckpointer } from './db/wal-checkpointer.js';
import { VisitService } from './tracking/visit-service.js';
import { SnippetBuilder } from './snippet/snippet-builder.js';
import { packageVersion } from './version.js';
import { ampRoutes } from './web/amp-routes.js';
import { adminApi } from './web/admin-api.js';
import { dashboardApi } from './web/dashboard-api.js';
import { dashboardStatic } from './web/dashboard-static.js';
import { healthRoutes } from './web/health-routes.js';
import { metricsRoutes } from './web/metrics-routes.js';
import { FixedWindowRateLimiter } from './web/rate-limiter.js';
import { LinkSigner } from './web/recording-links.js';
import { buildHttpServer } from './web/server.js';
import { snippetRoutes } from './web/snippet-routes.js';
import { visitRoutes } from './web/visit-routes.js';


/** How often journaled call records are retried when no call comes by to trigger it. */
const JOURNAL_RETRY_MS = 60_000;

/** What a reload did: the number sync, and which changed settings apply now or only after a restart. */
export interface ReloadSummary extends ReloadChanges {
  numbers: SyncSummary;
}

export interface App {
  readonly config: LiveConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly db: Database;
  readonly health: HealthRegistry;
  readonly http: FastifyInstance;
  readonly drachtio: DrachtioConnection;
  readonly media: MediaService;
  readonly numberSync: NumberSyncService;
  /** Website visits and their numbers (the public visit API calls this). */
  readonly visits: VisitService;
  /** Which visit or source a call belongs to: the SIP call path and `calltrack attribute`. */
  readonly attributor: TrackingAttributor;
  /** `numbers list` and `pools status`. */
  readonly poolReports: PoolReportService;
  readonly sip: SipApp;
  /** Outbound SIP registrations of the trunks with `register`. */
  readonly registrar: Registrar;
  readonly calls: CallRecorder;
  readonly metrics: Registry;
  /** Where the SIP call path publishes call.started/answered/completed/missed (persisted outbox). */
  readonly callEvents: OutboxCallEventSink;
  /** Delivers the outbox to webhooks and GA4; started by `start()`. */
  readonly outbox: OutboxDispatcher;
  /** The admin API's calls service (listing, edits, recordings), for a future dashboard. */
  readonly callAdmin: CallAdminService;
  /** Migrates, synchronises numbers, listens for HTTP, connects to drachtio. */
  start(opts?: { listen?: boolean }): Promise<void>;
  /**
   * Applies a new, already validated configuration (SIGHUP); logs a warning for each changed
   * setting that only a restart applies (src/config/restart-only.ts).
   */
  reload(next: CalltrackConfig): Promise<ReloadSummary>;
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
  // The database built here, not config.current's: database changes apply at restart only.
  const databaseProbe = databaseHealthProbe(db, cfg.database);
  // GET /metrics: in-process counters, and series read from the database at scrape time (database-scrape.ts).
  const metrics = new Registry();
  const health = new HealthRegistry(metrics);
  const scrape = new DatabaseScrape(metrics, { probe: databaseProbe, logger: logger.child({ component: 'metrics' }), budgetMs: overrides.metricsDatabaseBudgetMs });

  const tracking = buildTrackingFeature({ db, config, clock, logger, metrics: scrape, strategy: overrides.strategy ?? PRODUCT_STRATEGY });
  const { numberSync, visits, groupCommit, attributor, snippetVisits, poolReports, poolHealth, visitDetails } = tracking;

  const callStore = new CallStore();
  const outboxStore = new OutboxStore();
  const dispatcherOptions = { ...DEFAULT_DISPATCHER_OPTIONS, ...overrides.dispatcher };
  new OutboxMetrics(scrape, { db, store: outboxStore, config, clock });
  const outbox = new OutboxDispatcher(db, outboxStore, config, clock, logger.child({ component: 'outbox' }), dispatcherOptions);
  const links = new LinkSigner(() => config.current.http.adminToken, clock);
  const callEvents = new OutboxCallEventSink(db, outboxStore, config, clock, {
    retentionMs: dispatcherOptions.retry.giveUpAfterMs,
    onQueued: () => outbox.wake(),
    recordingLinks: (callId, ttlMs) => absoluteUrl(config.current.http.publicUrl, links.recordingLink(callId, ttlMs).url),
  });
  const callAdmin = new CallAdminService(db, callStore, config, clock, overrides.baseDir ?? process.cwd());

  const drachtio = overrides.drachtio ?? new DrachtioConnection(cfg.sip.drachtio, logger.child({ component: 'drachtio' }));

  const journal = new CallJournal(path.resolve(overrides.baseDir ?? process.cwd(), cfg.sip.journalFile));
  const calls = new CallRecorder(db, callStore, journal, logger.child({ component: 'calls' }));
  const media = new MediaService({
    config,
    logger: logger.child({ component: 'freeswitch' }),
    srf: drachtio.srf,
    ...(overrides.baseDir ? { baseDir: overrides.baseDir } : {}),
    ...(overrides.media ? { port: overrides.media } : {}),
  });
  // Calls are anchored in FreeSWITCH only when it is configured (or a test supplies a media port);
  // otherwise SDP passes through and calltrack handles signalling only.
  const anchoredMedia: MediaPathFactory = {
    create: (ctx) => (cfg.media.freeswitch || overrides.media ? media.create(ctx) : passThroughMedia.create(ctx)),
  };
  const sip = new SipApp({
    srf: drachtio.srf,
    config: () => config.current,
    attributor: overrides.attributor ?? attributor,
    recorder: calls,
    events: overrides.events ?? callEvents,
    media: overrides.mediaPath ?? anchoredMedia,
    metrics: new SipMetrics(metrics),
    clock,
    logger: logger.child({ component: 'sip' }),
    ringTimeoutMs: () => overrides.ringTimeoutMs ?? config.current.sip.ringTimeoutSeconds * 1000,
    shutdownGraceMs: () => config.current.sip.shutdownGraceSeconds * 1000,
  });
  // Only registers handlers; drachtio-srf sends the routes when the connection comes up.
  sip.install(drachtio.srf);
  // Outbound registrations (trunks with `register`): sent once drachtio-server is connected.
  const registrar = new Registrar({ srf: drachtio.srf, config, clock, timers: overrides.timers ?? realTimers, logger: logger.child({ component: 'sip-register' }), metrics });

  health.register('database', databaseProbe, { metric: false });
  health.register('drachtio', () => drachtio.state.get());
  // Not critical: without FreeSWITCH calls still connect, unrecorded.
  health.register('freeswitch', () => media.health());
  // Not critical either: other trunks' calls still arrive; the detail names the failing account.
  health.register('sip-registrations', () => registrar.health());
  health.register('webhooks', () => outbox.health());

  const adminToken = () => config.current.http.adminToken;
  // One per-address allowance for every endpoint that can take a pool number.
  const visitLimiter = new FixedWindowRateLimiter(clock, () => config.current.http.rateLimit);
  const http = await buildHttpServer({
    http: cfg.http,
    logger,
    plugins: [
      healthRoutes(health, packageVersion()),
      metricsRoutes(metrics),
      visitRoutes({ visits, config, limiter: visitLimiter }),
      snippetRoutes({ config, clock, builder: new SnippetBuilder(), service: snippetVisits, limiter: visitLimiter }),
      ampRoutes({ visits, config, limiter: visitLimiter }),
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
        pools: poolHealth,
        visits: visitDetails,
        links,
      }),
    ],
  });

  let started = false;
  let journalTimer: NodeJS.Timeout | undefined;
  const checkpointer = WalCheckpointer.forDatabase(db, logger.child({ component: 'database' }));
  return {
    config,
    logger,
    clock,
    db,
    health,
    http,
    drachtio,
    media,
    numberSync,
    visits,
    attributor,
    poolReports,
    sip,
    registrar,
    calls,
    metrics,
    callEvents,
    outbox,
    callAdmin,

    async start(opts = {}) {
      const migrated = await migrateToLatest(db);
      if (migrated.applied.length > 0) logger.info({ applied: migrated.applied }, 'database migrated');
      await checkpointer?.start();
      await numberSync.sync(config.current);
      // Records journaled while the database was down in an earlier run.
      await calls.importJournal();
      journalTimer = setInterval(() => void calls.importJournal(), JOURNAL_RETRY_MS);
      journalTimer.unref();
      if (opts.listen !== false) {
        const address = await http.listen({ host: config.current.http.host, port: config.current.http.port });
        logger.info({ address }, 'HTTP server listening');
      } else {
        await http.ready();
      }
      registrar.start(); // before drachtio: it listens for the connection
      drachtio.start();
      outbox.start();
      media.start();
      started = true;
    },

    async reload(next) {
      const numbers = await numberSync.sync(next);
      const changes = reloadChanges(config.current, next);
      // Children follow the root's level unless given their own, so every component's logger changes.
      if (changes.applied.includes('log')) logger.level = resolveLogLevel(next.log.level);
      config.replace(next);
      for (const setting of changes.needsRestart) logger.warn({ setting }, restartWarning(setting));
      return { numbers, ...changes };
    },

    async stop() {
      if (started) {
        // Registrations first: the provider stops sending new calls (see Registrar); then calls,
        // which need drachtio (BYEs), FreeSWITCH and the database (final rows).
        await registrar.stop();
        await sip.drain();
        media.stop();
        drachtio.stop();
        await http.close();
        await outbox.stop();
      }
      await groupCommit?.close();
      await checkpointer?.stop();
      clearInterval(journalTimer);
      await calls.flush();
      await db.destroy();
      started = false;
    },
  };
}
