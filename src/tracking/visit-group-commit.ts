import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Database } from '../db/connect.js';
import type { BulkVisitWriter } from './bulk-visit-writer.js';
import type { NewVisitCommitter, PreparedVisit, ShownNumber } from './visit-service.js';

/**
 * At most this many visits per transaction. The visits INSERT binds 30 values a row: 200 rows
 * stay far below SQLite's 32,766 bound parameters, and a batch still commits in a few ms.
 */
export const MAX_GROUP = 200;

interface Waiting {
  visit: PreparedVisit;
  resolve: (shown: ShownNumber) => void;
  reject: (err: unknown) => void;
}

export interface VisitGroupCommitDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  writer: BulkVisitWriter;
  /** One visit the slow way, inside the batch's transaction (VisitService.startPrepared). */
  startOne: (trx: Knex.Transaction, visit: PreparedVisit) => Promise<ShownNumber>;
  maxGroup?: number;
}

/**
 * Group commit for new visits on SQLite. SQLite has one connection and one writer, and each
 * statement through knex + node-sqlite3 costs 0.15-0.5 ms of round trip to the driver's thread
 * pool, so one transaction per visit caps the server at a few hundred visits a second. Visits
 * that arrive while a transaction runs wait in a queue; the next transaction takes all of them
 * (multi-row statements, see BulkVisitWriter), and each request is answered with its own
 * number only after that transaction has committed: nothing is shown that could be lost.
 *
 * A failed transaction rolled everything back, so it is safe to try again: a failed batch of
 * several visits is retried one visit per transaction (same visit ids), so a request that
 * breaks a constraint fails alone; if the database itself is down, each fails with its error.
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
    let shown: ShownNumber[];
    try {
      shown = await this.d.db.transaction((trx) => this.write(trx, batch.map((w) => w.visit)));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.reject(err);
        return;
      }
      this.d.logger.warn({ err, visits: batch.length }, 'group commit of new visits failed; retrying them one by one');
      for (const w of batch) {
        try {
          const [one] = await this.d.db.transaction((trx) => this.write(trx, [w.visit]));
          if (one) w.resolve(one);
          else w.reject(new Error('group commit returned no result for a visit'));
        } catch (one) {
          w.reject(one);
        }
      }
      return;
    }
    batch.forEach((w, i) => {
      const s = shown[i];
      if (s) w.resolve(s);
      else w.reject(new Error('group commit returned no result for a visit'));
    });
  }

  /** The whole batch inside one transaction; results in the batch's order. */
  private async write(trx: Knex.Transaction, visits: PreparedVisit[]): Promise<ShownNumber[]> {
    // One time for the whole batch, taken inside the transaction: every hold of the batch
    // starts when numbers are actually decided, and no two requests see different "now"s.
    const now = this.d.clock.now();
    for (const v of visits) {
      v.visit.createdAt = now;
      v.visit.lastSeenAt = now;
    }
    const slow = await this.d.writer.needsOneByOne(trx, visits, now);
    const results = new Array<ShownNumber | undefined>(visits.length);
    const fast = visits.flatMap((v, i) => (slow.has(i) ? [] : [{ v, i }]));
    const written = await this.d.writer.writeNew(trx, fast.map((f) => f.v), now);
    fast.forEach((f, k) => (results[f.i] = written[k]));
    // Visitors already holding a number (or asking twice in this batch) go through the usual
    // path, after the batch's own holds are written so a repeat sees the first one's number.
    for (const i of [...slow].sort((a, b) => a - b)) {
      const v = visits[i];
      if (v) results[i] = await this.d.startOne(trx, v);
    }
    return results.map((r, i) => {
      if (!r) throw new Error(`group commit: visit ${visits[i]?.visit.id ?? i} got no result`);
      return r;
    });
  }
}
