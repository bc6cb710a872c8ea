import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { LiveConfig } from '../config/live-config.js';
import { databaseClient, type Database } from '../db/connect.js';
import type { DatabaseScrape } from '../db/database-scrape.js';
import { SqliteHotPath } from '../db/sqlite-hot-path.js';
import { SnippetVisitService } from '../snippet/snippet-visits.js';
import { TrackingAttributor } from './attributor.js';
import { BulkVisitWriter, VISIT_BATCH_SETUP } from './bulk-visit-writer.js';
import { PgBulkVisitWriter } from './pg-bulk-visit-writer.js';
import { CallHistory } from './call-history.js';
import { HoldStore } from './hold-store.js';
import { NumberAllocator } from './number-allocator.js';
import { NumberStore } from './number-store.js';
import { NumberSyncService } from './number-sync.js';
import { PoolEventStore } from './pool-event-store.js';
import { PoolMetrics } from './pool-metrics.js';
import { PoolReportService } from './pool-report.js';
import { PoolHealthService, VisitDetailsService } from './tracking-views.js';
import type { TrackingStrategy } from './tracking-strategy.js';
import { VisitGroupCommit } from './visit-group-commit.js';
import { VisitMetrics } from './visit-metrics.js';
import { VisitService, type PreparedVisit } from './visit-service.js';
import { VisitorLocks } from './visitor-locks.js';
import { VisitStore } from './visit-store.js';

export interface TrackingFeatureDeps {
  db: Database;
  config: LiveConfig;
  clock: Clock;
  logger: Logger;
  /** Hold policy and attribution tie-breaks (the product's, or one the simulator compares). */
  strategy: TrackingStrategy;
  /** GET /metrics: the visit counters go to its registry, the pool series are read through it. */
  metrics: DatabaseScrape;
}

/**
 * The number-tracking feature wired together (called by the composition root only): stores,
 * allocation, visits, attribution and the pool reports, all sharing one set of stores.
 */
export function buildTrackingFeature({ db, config, clock, logger, strategy, metrics }: TrackingFeatureDeps) {
  const numbers = new NumberStore();
  const holds = new HoldStore();
  const visitStore = new VisitStore();
  const events = new PoolEventStore();
  const calls = new CallHistory();
  // Several calltrack nodes may share one PostgreSQL database: lock rows while allocating.
  const lockRows = databaseClient(db) === 'pg';
  const allocator = new NumberAllocator(holds, events, lockRows, strategy.hold);
  const visitLogger = logger.child({ component: 'visits' });
  // New visits are group-committed: one statement for all that arrive while one runs
  // (PostgreSQL: with SKIP LOCKED across nodes).
  const startOne = (trx: Knex.Transaction, prepared: PreparedVisit) => visits.startPrepared(trx, prepared);
  const writer = lockRows
    ? new PgBulkVisitWriter({ db, holdPolicy: allocator.holdPolicy })
    : new BulkVisitWriter(allocator, new SqliteHotPath(db, VISIT_BATCH_SETUP));
  const groupCommit = new VisitGroupCommit({
    clock,
    logger: visitLogger,
    writer,
    startOne,
    transaction: (work) => visits.inTransaction(work),
    lockVisitors: (trx, batch) => visits.lockVisitors(trx, batch),
  });
  const visitorLocks = new VisitorLocks(lockRows);
  const observer = new VisitMetrics(metrics.registry, config);
  const visits: VisitService = new VisitService({ db, config, clock, logger: visitLogger, visits: visitStore, numbers, holds, allocator, lockRows, visitorLocks, groupCommit, observer });
  // Registers itself with the scrape: nothing else holds it.
  new PoolMetrics(metrics, { db, config, clock, holds, poolEvents: events, multiWriter: lockRows });
  const poolReports = new PoolReportService({ db, config, clock, numbers, holds, events, calls });
  return {
    numberSync: new NumberSyncService(db, numbers, clock, logger.child({ component: 'numbers' })),
    visits,
    groupCommit,
    attributor: new TrackingAttributor({ db, config, numbers, holds, visits: visitStore, calls, strategy }),
    snippetVisits: new SnippetVisitService({ db, config, clock, visits, events, holds }),
    poolReports,
    poolHealth: new PoolHealthService({ db, config, clock, reports: poolReports, holds }),
    visitDetails: new VisitDetailsService(db, visitStore),
  };
}
