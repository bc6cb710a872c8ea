import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { LiveConfig } from './config/live-config.js';
import type { CalltrackConfig } from './config/schema.js';
import { createDatabase, describeDatabase, type Database } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { HealthRegistry } from './health.js';
import type { MediaPort } from './media/media-port.js';
import { MediaService } from './media/media-service.js';
import { DrachtioConnection } from './sip/drachtio-connection.js';
import { NumberStore } from './tracking/number-store.js';
import { NumberSyncService, type SyncSummary } from './tracking/number-sync.js';
import { packageVersion } from './version.js';
import { healthRoutes } from './web/health-routes.js';
import { buildHttpServer } from './web/server.js';

/** What tests (and the CLI) may swap in; anything left out is built from the config. */
export interface AppOverrides {
  logger?: Logger;
  clock?: Clock;
  db?: Database;
  drachtio?: DrachtioConnection;
  /** A media port instead of FreeSWITCH (tests). */
  media?: MediaPort;
  /** Directory that relative paths in the config (SQLite file, recordings) are resolved against. */
  baseDir?: string;
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

  health.register('database', async () => {
    await db.raw('select 1');
    return { state: 'up', detail: describeDatabase(config.current.database), critical: true };
  });
  health.register('drachtio', () => drachtio.state.get());
  const media = new MediaService({
    config,
    logger: logger.child({ component: 'freeswitch' }),
    srf: drachtio.srf,
    ...(overrides.baseDir ? { baseDir: overrides.baseDir } : {}),
    ...(overrides.media ? { port: overrides.media } : {}),
  });
  // Not critical: without FreeSWITCH calls still connect, unrecorded.
  health.register('freeswitch', () => media.health());

  const http = await buildHttpServer({
    http: cfg.http,
    logger,
    plugins: [healthRoutes(health, packageVersion())],
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
    media,
    numberSync,

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
      media.start();
      started = true;
    },

    async reload(next) {
      const summary = await numberSync.sync(next);
      config.replace(next);
      return summary;
    },

    async stop() {
      if (started) {
        media.stop();
        drachtio.stop();
        await http.close();
      }
      await db.destroy();
      started = false;
    },
  };
}
