import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { CallEventSink } from './calls/call-events.js';
import { CallJournal } from './calls/call-journal.js';
import { CallRecorder } from './calls/call-recorder.js';
import { CallStore } from './calls/call-store.js';
import { systemClock, type Clock } from './clock.js';
import { LiveConfig } from './config/live-config.js';
import type { CalltrackConfig } from './config/schema.js';
import { createDatabase, describeDatabase, type Database } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { HealthRegistry } from './health.js';
import { DrachtioConnection } from './sip/drachtio-connection.js';
import { passThroughMedia, type MediaPathFactory } from './sip/media-path.js';
import { SipApp } from './sip/sip-app.js';
import { SipMetrics } from './sip/sip-metrics.js';
import type { CallAttributor } from './tracking/attribution-types.js';
import { NumberStore } from './tracking/number-store.js';
import { NumberSyncService, type SyncSummary } from './tracking/number-sync.js';
import { packageVersion } from './version.js';
import { healthRoutes } from './web/health-routes.js';
import { metricsRoutes } from './web/metrics-routes.js';
import { buildHttpServer } from './web/server.js';

/** How often journaled call records are retried when no call comes by to trigger it. */
const JOURNAL_RETRY_MS = 60_000;

/** What tests (and the CLI) may swap in; anything left out is built from the config. */
export interface AppOverrides {
  logger?: Logger;
  clock?: Clock;
  db?: Database;
  drachtio?: DrachtioConnection;
  /** Directory that relative paths in the config (SQLite file, recordings) are resolved against. */
  baseDir?: string;
  /** Attribution for SIP calls (the tracking feature); without one, calls route from the config alone. */
  attributor?: CallAttributor;
  /** Where call events go (the outputs feature: webhooks, GA4); without one, none are published. */
  events?: CallEventSink;
  /** How the B leg's media is joined (the media feature); default: SDP passes through. */
  media?: MediaPathFactory;
  /** Tests only: ring timeout in ms instead of sip.ringTimeoutSeconds. */
  ringTimeoutMs?: number;
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
  readonly sip: SipApp;
  readonly calls: CallRecorder;
  readonly metrics: Registry;
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

  const drachtio = overrides.drachtio ?? new DrachtioConnection(cfg.sip.drachtio, logger.child({ component: 'drachtio' }));

  const metrics = new Registry();
  const journal = new CallJournal(path.resolve(overrides.baseDir ?? process.cwd(), cfg.sip.journalFile));
  const calls = new CallRecorder(db, new CallStore(), journal, logger.child({ component: 'calls' }));
  // Attribution and call events belong to the tracking and outputs features: passed in as
  // overrides until those features are composed here.
  const sip = new SipApp({
    srf: drachtio.srf,
    config: () => config.current,
    attributor: overrides.attributor,
    recorder: calls,
    events: overrides.events,
    media: overrides.media ?? passThroughMedia,
    metrics: new SipMetrics(metrics),
    clock,
    logger: logger.child({ component: 'sip' }),
    ringTimeoutMs: () => overrides.ringTimeoutMs ?? config.current.sip.ringTimeoutSeconds * 1000,
    shutdownGraceMs: () => config.current.sip.shutdownGraceSeconds * 1000,
  });
  // Only registers handlers; drachtio-srf sends the routes when the connection comes up.
  sip.install(drachtio.srf);

  health.register('database', async () => {
    await db.raw('select 1');
    return { state: 'up', detail: describeDatabase(config.current.database), critical: true };
  });
  health.register('drachtio', () => drachtio.state.get());
  health.register('freeswitch', () =>
    config.current.media.freeswitch
      ? { state: 'connecting', detail: 'media control is not wired yet' }
      : { state: 'disabled', detail: 'media.freeswitch is not configured: calls are forwarded without recording' },
  );

  const http = await buildHttpServer({
    http: cfg.http,
    logger,
    plugins: [healthRoutes(health, packageVersion()), metricsRoutes(metrics)],
  });

  let started = false;
  let journalTimer: NodeJS.Timeout | undefined;
  return {
    config,
    logger,
    clock,
    db,
    health,
    http,
    drachtio,
    numberSync,
    sip,
    calls,
    metrics,

    async start(opts = {}) {
      const migrated = await migrateToLatest(db);
      if (migrated.applied.length > 0) logger.info({ applied: migrated.applied }, 'database migrated');
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
      drachtio.start();
      started = true;
    },

    async reload(next) {
      const summary = await numberSync.sync(next);
      config.replace(next);
      return summary;
    },

    async stop() {
      if (started) {
        // Calls first: they need drachtio (BYEs) and the database (final rows).
        await sip.drain();
        drachtio.stop();
        await http.close();
      }
      clearInterval(journalTimer);
      await calls.flush();
      await db.destroy();
      started = false;
    },
  };
}
