import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { UnavailableError } from '../errors.js';
import type { Database } from './connect.js';
import { conflictReason, isTransactionConflict } from './database-errors.js';

/** Tries of one transaction that PostgreSQL keeps aborting for conflicts before the request gets 503. */
export const CONFLICT_TRIES = 4;

/**
 * `db.transaction(work)`, run again from the start when PostgreSQL aborted it for a deadlock or
 * a serialization failure (isTransactionConflict): the aborted try wrote nothing, and the other
 * transaction has gone on, so the next try usually passes. `work` must only write through `trx`
 * (it is run once per try). After CONFLICT_TRIES tries the request gets `unavailable` (503): the
 * database is too contended to serve it now, which a page handles like a database outage.
 * SQLite never raises these.
 */
export async function transactionRetryingConflicts<T>(db: Database, logger: Logger, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (err) {
      if (!isTransactionConflict(err)) throw err;
      if (attempt >= CONFLICT_TRIES) {
        logger.error({ err, attempts: attempt }, 'transaction kept conflicting with others; giving up');
        throw new UnavailableError(`the database is too busy (${conflictReason(err)} ${attempt} times); try again`, err);
      }
      logger.warn({ code: (err as { code: string }).code, attempt }, 'transaction aborted by a conflict with another; running it again');
      // A few ms, randomised, so two retried transactions do not meet again at once.
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
    }
  }
}
