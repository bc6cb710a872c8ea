import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { isDatabaseUnavailable, unavailableReason } from '../db/database-errors.js';
import { UnavailableError } from '../errors.js';
import type { VisitBatchWriter } from './visit-batch.js';
import type { NewVisitCommitter, PreparedVisit, ShownNumber } from './visit-service.js';

/**
 * At most this many visits per batch statement: under a burst the queue is drained in steps
 * that each commit in a few ms, so the first requests of a burst are not held back by the last.
 */
export const MAX_GROUP = 200;

interface Waiting {
  visit: PreparedVisit;
  resolve: (shown: ShownNumber) => void;
  reject: (err: unknown) => void;
}

export interface VisitGroupCommitDeps {
  clock: Clock;
  logger: Logger;
  /** The batch's write: BulkVisitWriter (SQLite) or PgBulkVisitWriter (PostgreSQL). */
  writer: VisitBatchWriter;
  /** One visit the per-visit way, in its own transaction (VisitService.startPrepared). */
  startOne: (trx: Knex.Transaction, visit: PreparedVisit) => Promise<ShownNumber>;
  /** A transaction for the per-visit way, run again after a deadlock (VisitService.inTransaction). */
  transaction: <T>(work: (trx: Knex.Transaction) => Promise<T>) => Promise<T>;
  /** Before several visits go the per-visit way in one transaction: their visitor locks, in order (VisitService.lockVisitors). */
  lockVisitors: (trx: Knex.Transaction, visits: PreparedVisit[]) => Promise<void>;
  maxGroup?: number;
}

/**
 * Group commit for new visits. SQLite has one connection and one writer, and each statement
 * through node-sqlite3 costs a round trip to the driver's thread pool; on PostgreSQL each
 * transaction costs its BEGIN, statements and COMMIT as round trips to the server. Either way
 * one transaction per visit caps the server at a few hundred visits a second. Visits that arrive
 * while a transaction runs wait in a queue; the next transaction takes all of them (see
 * BulkVisitWriter, PgBulkVisitWriter), and each request is answered with its own number only
 * after that transaction has committed: nothing is shown that could be lost.
 *
 * The rare visits (a visitor who already holds a number, a pool that ran dry in this batch)
 * go through the per-visit path after the batch's own writes (together in one knex transaction
 * right after the batch's statement has committed), so a repeat request in the same batch sees
 * the number the first one was given.
 *
 * A failed transaction rolled everything back, so it is safe to try again: a failed batch of
 * several visits is retried one visit per transaction (same visit ids), so a request that
 * breaks a constraint fails alone. When the database itself cannot write (full disk, read-only
 * or broken file, lock timeout) the whole batch fails at once with 503: retrying would only
 * double every request's wait for the same error. A per-visit transaction that PostgreSQL aborts
 * for a deadlock or serialization failure is run again from the start (`transaction`, see
 * transactionRetryingConflicts); a failed batch statement is not: its visits are already retried
 * one by one.
 */
export class VisitGroupCommit implements NewVisitCommitter {
  private readonly queue: Waiting[] = [];
  private running = false;
  private readonly maxGroup: number;

  constructor(private readonly d: VisitGroupCommitDeps) {
    this.maxGroup = d.maxGroup ?? MAX_GROUP;
  }

  submit(visit: PreparedVisit): Promise<ShownNumber> {
    return new Promise<ShownNumber>((resolve, reject) => {
      this.queue.push({ visit, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let the requests parsed in the same turn of the event loop join the first batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Before the database is destroyed (after the HTTP server stopped taking visits). */
  close(): Promise<void> {
    return this.d.writer.close();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxGroup);
        await this.commit(batch);
        // The commit's callback ran ahead of requests whose bytes already arrived in the same
        // turn of the event loop: let them reach the queue and join the next batch.
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.running = false;
    }
  }

  private async commit(batch: Waiting[]): Promise<void> {
    let results: (ShownNumber | undefined)[] = [];
    try {
      // One time for the whole batch: every hold of the batch starts at the same instant.
      const now = this.d.clock.now();
      const visits = batch.map((w) => this.restamp(w.visit, now));
      results = await this.d.writer.write(visits, now);
    } catch (err) {
      if (this.failAllIfUnavailable(batch, err)) return;
      this.d.logger.warn({ err, visits: batch.length }, 'group commit of new visits failed; retrying them one by one');
    }
    const pending = batch.filter((w, i) => {
      const s = results[i];
      if (s) w.resolve(s);
      return !s;
    });
    if (pending.length === 0) return;
    if (results.length > 0 && pending.length > 1) {
      // The batch committed; its rare per-visit cases share one transaction.
      try {
        const shown = await this.d.transaction(async (trx) => {
          await this.d.lockVisitors(trx, pending.map((w) => w.visit));
          const out: ShownNumber[] = [];
          for (const w of pending) out.push(await this.d.startOne(trx, this.restamp(w.visit)));
          return out;
        });
        pending.forEach((w, k) => (shown[k] ? w.resolve(shown[k]) : w.reject(new Error('group commit returned no result for a visit'))));
        return;
      } catch (err) {
        if (this.failAllIfUnavailable(pending, err)) return;
        this.d.logger.warn({ err, visits: pending.length }, 'per-visit cases of a group commit failed; retrying them one by one');
      }
    }
    for (const w of pending) {
      try {
        w.resolve(await this.d.transaction((trx) => this.d.startOne(trx, this.restamp(w.visit))));
      } catch (err) {
        w.reject(err);
      }
    }
  }

  /**
   * A database that cannot write fails each visit alone the same way, only later: all of them
   * get that answer at once. True when it did.
   */
  private failAllIfUnavailable(waiting: Waiting[], err: unknown): boolean {
    if (!isDatabaseUnavailable(err)) return false;
    this.d.logger.error({ err, visits: waiting.length }, 'new visits could not be written: the database is unavailable');
    const unavailable = new UnavailableError(`the database is unavailable (${unavailableReason(err)}); the page keeps its own number`, err);
    for (const w of waiting) w.reject(unavailable);
    return true;
  }

  private restamp(v: PreparedVisit, now = this.d.clock.now()): PreparedVisit {
    v.visit.createdAt = now;
    v.visit.lastSeenAt = now;
    return v;
  }
}
