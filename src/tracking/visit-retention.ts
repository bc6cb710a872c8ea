import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { DAY_MS, type Clock } from '../clock.js';
import type { Database } from '../db/connect.js';
import { countRows } from '../db/count-rows.js';
import { archiveVisitCounts } from './visit-counts.js';

/**
 * Rows per transaction. Measured on SQLite, a year of 300,000 visits: 1,000 a batch holds the
 * write lock ~24 ms at a time (writes beside it waited 16 ms at the median); 250 halves the total
 * speed (~10 s) but those writes waited 5 ms.
 */
const BATCH = 250;

export interface VisitPruneReport {
  days: number;
  /** Visits last seen before this (epoch ms) are pruned. */
  cutoff: number;
  dryRun: boolean;
  /** No call refers to them: deleted, with their pages and their hold history. */
  visitsDeleted: number;
  /** A call refers to them: kept (the call's journey and the caller's history), IP address and user agent erased. */
  visitsAnonymised: number;
  /** Pool events (exhaustions, fallback shows, ...) older than the cutoff. */
  poolEventsDeleted: number;
}

/**
 * Visitor data retention (`calltrack visits prune`, `tracking.visitRetentionDays`). A visit
 * stores the visitor's IP address and user agent, personal data that may be kept only as long
 * as needed. Once a visit is older than the retention period:
 * - a visit no call was credited to is deleted; its pages and holds go with it (ON DELETE CASCADE),
 *   its count per hour and source stays (visit_counts: reports of the period count it still);
 * - a visit a call was credited to stays (the call's page journey, the caller-history tie-break
 *   that knows a redialling caller by their visitor id), but loses its IP address and user agent.
 * A call row keeps its own copy of the attribution, so exports and reports do not change.
 *
 * Work goes in batches of BATCH rows, each its own transaction: on SQLite a single delete of a
 * year of visits would hold the one write lock for seconds, and every new visit meanwhile
 * would wait (or get 503). Between batches the connection is handed back to the visit path.
 */
export class VisitRetention {
  constructor(
    private readonly d: { db: Database; clock: Clock; logger: Logger; batchSize?: number },
  ) {}

  async prune(days: number, opts: { dryRun: boolean }): Promise<VisitPruneReport> {
    const now = this.d.clock.now();
    const cutoff = now - days * DAY_MS;
    const report: VisitPruneReport = { days, cutoff, dryRun: opts.dryRun, visitsDeleted: 0, visitsAnonymised: 0, poolEventsDeleted: 0 };
    if (opts.dryRun) {
      const { db } = this.d;
      report.visitsDeleted = await countRows(deletable(db, cutoff, now));
      report.visitsAnonymised = await countRows(identifiable(db, cutoff).whereNotIn('id', deletable(db, cutoff, now)));
      report.poolEventsDeleted = await countRows(db('pool_events').where('at', '<', cutoff));
      return report;
    }
    report.visitsDeleted = await this.inBatches((trx, limit) => this.deleteVisits(trx, cutoff, now, limit));
    report.visitsAnonymised = await this.inBatches((trx, limit) =>
      trx('visits').whereIn('id', identifiable(trx, cutoff).limit(limit)).update({ ip: null, user_agent: null }),
    );
    report.poolEventsDeleted = await this.inBatches((trx, limit) =>
      // Ids grow with time, so the oldest events are the first ids: no index on `at` alone is needed.
      trx('pool_events').whereIn('id', trx('pool_events').select('id').where('at', '<', cutoff).orderBy('id').limit(limit)).delete(),
    );
    this.d.logger.info({ ...report }, 'visit data older than the retention period pruned');
    return report;
  }

  private async deleteVisits(trx: Knex.Transaction, cutoff: number, now: number, limit: number): Promise<number> {
    const ids = ((await deletable(trx, cutoff, now).orderBy('created_at').limit(limit)) as { id: string }[]).map((r) => r.id);
    if (ids.length === 0) return 0;
    // A number whose last holder goes keeps no pointer to it (the hold ended long ago: see deletable).
    await trx('tracking_numbers').whereIn('hold_visit_id', ids).update({ hold_visit_id: null });
    await archiveVisitCounts(trx, ids);
    return trx('visits').whereIn('id', ids).delete();
  }

  /** Runs `step` in its own transaction until it affects fewer rows than a batch; the total. */
  private async inBatches(step: (trx: Knex.Transaction, limit: number) => Promise<number>): Promise<number> {
    const limit = this.d.batchSize ?? BATCH;
    let total = 0;
    for (;;) {
      const n = await this.d.db.transaction((trx) => step(trx, limit));
      total += n;
      if (n < limit) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/**
 * Visits past the cutoff that no call refers to and that hold no number now. (A hold running past
 * the cutoff is impossible with activity holds, but a clock set back must not orphan a live one.)
 */
function deletable(q: Knex | Knex.Transaction, cutoff: number, now: number): Knex.QueryBuilder {
  return q('visits')
    .select('id')
    .where('created_at', '<', cutoff)
    .andWhere('last_seen_at', '<', cutoff)
    .whereNotExists(q('calls').select(q.raw('1')).whereRaw('calls.visit_id = visits.id'))
    .whereNotExists(q('tracking_numbers').select(q.raw('1')).whereRaw('tracking_numbers.hold_visit_id = visits.id').andWhere('hold_until', '>', now));
}

/** Visits past the cutoff that still carry an IP address or a user agent. */
function identifiable(q: Knex | Knex.Transaction, cutoff: number): Knex.QueryBuilder {
  return q('visits')
    .select('id')
    .where('created_at', '<', cutoff)
    .andWhere('last_seen_at', '<', cutoff)
    .andWhere((w) => void w.whereNotNull('ip').orWhereNotNull('user_agent'));
}
