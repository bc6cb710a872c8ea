import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { DAY_MS, type Clock } from '../clock.js';
import type { Database } from '../db/connect.js';
import type { OutboxStore } from '../integrations/outbox-store.js';
import { eraseCallIdentities, hasIdentity, type CallIdentityRow } from './call-identity.js';
import { CALLS_TABLE } from './call-store.js';

/** Calls per transaction, as visits prune: the server's writes wait for one batch at most. */
const BATCH = 250;

export interface CallAnonymiseReport {
  days: number;
  /** Calls that started before this (epoch ms) are anonymised. */
  cutoff: number;
  dryRun: boolean;
  /** Calls that lost caller number, note and analytics ids (or would, in a dry run). */
  callsAnonymised: number;
  outboxEntriesRewritten: number;
  outboxEntriesDropped: number;
}

/**
 * Caller data retention (`calltrack calls anonymise`, `tracking.callerRetentionDays`): finished
 * calls older than the period lose what identifies the caller (call-identity.ts: number, note,
 * analytics ids, the same in their outbox bodies) and keep everything reports count. Recordings
 * have their own period (`recordings prune`), visits theirs (`visits prune`).
 *
 * Batches walk the calls in (started_at, id) order, each its own transaction; the keyset cursor
 * lets a dry run, which changes nothing, page through the same rows a real run erases.
 */
export class CallRetention {
  constructor(private readonly d: { db: Database; clock: Clock; logger: Logger; outbox: OutboxStore; batchSize?: number }) {}

  async anonymise(days: number, opts: { dryRun: boolean }): Promise<CallAnonymiseReport> {
    const now = this.d.clock.now();
    const cutoff = now - days * DAY_MS;
    const report: CallAnonymiseReport = { days, cutoff, dryRun: opts.dryRun, callsAnonymised: 0, outboxEntriesRewritten: 0, outboxEntriesDropped: 0 };
    const limit = this.d.batchSize ?? BATCH;
    let after: { startedAt: number; id: string } | null = null;
    for (;;) {
      const batch = (await this.page(cutoff, after, limit)) as (CallIdentityRow & { started_at: number | string })[];
      if (batch.length === 0) break;
      const work = (q: Knex | Knex.Transaction) => eraseCallIdentities(q, this.d.outbox, batch, { now, dryRun: opts.dryRun });
      const erased = opts.dryRun ? await work(this.d.db) : await this.d.db.transaction(work);
      report.callsAnonymised += erased.calls;
      report.outboxEntriesRewritten += erased.outboxRewritten;
      report.outboxEntriesDropped += erased.outboxDropped;
      const last = batch[batch.length - 1]!;
      after = { startedAt: Number(last.started_at), id: last.id };
      if (batch.length < limit) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.d.logger.info({ ...report }, opts.dryRun ? 'caller data retention: dry run' : 'caller data older than the retention period erased');
    return report;
  }

  /** Finished calls before the cutoff that still identify their caller, after the cursor. */
  private page(cutoff: number, after: { startedAt: number; id: string } | null, limit: number): Knex.QueryBuilder {
    const q = this.d.db(CALLS_TABLE)
      .select('id', 'caller_number', 'first_touch', 'started_at')
      .where('started_at', '<', cutoff)
      .whereNotNull('ended_at')
      .andWhere((w) => hasIdentity(w));
    if (after) q.andWhere((w) => void w.where('started_at', '>', after.startedAt).orWhere((e) => void e.where('started_at', after.startedAt).andWhere('id', '>', after.id)));
    return q.orderBy([{ column: 'started_at', order: 'asc' }, { column: 'id', order: 'asc' }]).limit(limit);
  }
}
