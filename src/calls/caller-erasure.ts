import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Database } from '../db/connect.js';
import { countRows } from '../db/count-rows.js';
import type { OutboxStore } from '../integrations/outbox-store.js';
import type { RecordingRetention, RecordingStore } from '../media/recording-retention.js';
import { VisitStore } from '../tracking/visit-store.js';
import { eraseCallIdentities, type CallIdentityRow } from './call-identity.js';
import { CALLS_TABLE } from './call-store.js';
import { STALE_AFTER_MS } from './live-calls.js';

/**
 * Calls per transaction. One caller has a handful of calls, so this rarely loops; a number that
 * called thousands of times (a switchboard) must still not hold SQLite's one write lock for long.
 */
const BATCH = 100;

const visitStore = new VisitStore();

/**
 * The call path writes the final row, then queues the call's webhooks from its in-memory record
 * (number included). A call that ended this recently may not have queued them yet.
 */
const SETTLE_MS = 60_000;

export interface CallerErasureReport {
  /** The number as matched (E.164). */
  caller: string;
  dryRun: boolean;
  /** Calls that lost their caller number and note (or would, in a dry run). */
  callsErased: number;
  /** Calls still ringing, talking or just ended: left alone; run again once they are over. */
  callsInProgress: number;
  recordingsDeleted: number;
  /** The row claimed a file that was not there: marked erased all the same. */
  recordingsAlreadyGone: number;
  /** Files that could not be deleted: their calls were left whole, so a second run retries them. */
  recordingsFailed: { callId: string; path: string; error: string }[];
  /** Visits (the credited ones and every other visit of the same visitor) that lost IP address and user agent. */
  visitsAnonymised: number;
  /** Webhook outbox entries (any status) whose body no longer holds the number or the visitor's analytics ids. */
  outboxEntriesRewritten: number;
  /** Analytics hits (GA4) not yet delivered: dropped, so the person's analytics profile gets no more data. */
  outboxEntriesDropped: number;
}

interface CallRef extends CallIdentityRow {
  visit_id: string | null;
}

export interface CallerErasureDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  recordings: RecordingRetention;
  recordingStore: RecordingStore;
  outbox: OutboxStore;
  batchSize?: number;
}

/**
 * Erases one caller's personal data on request (`calltrack calls forget`, GDPR art. 17, 152-FZ).
 * Each of the caller's calls keeps what analytics needs (times, status, attribution, verdict,
 * deal value, tags) and loses its caller number, note and the visitor's analytics ids
 * (eraseCallIdentities); its recording file is deleted (recording_status `erased`); the visits it
 * was credited to, and the visitor's other visits, lose IP address, user agent and analytics ids;
 * its webhook outbox bodies are rewritten without them, and its GA4 hits not yet sent are dropped.
 *
 * Files are deleted before the batch's transaction: if the transaction then fails, the rows
 * still carry the number and a second run finds them (their files as already gone). The other
 * way round, a crash would leave a file that no row leads to any more.
 */
export class CallerErasure {
  constructor(private readonly d: CallerErasureDeps) {}

  async forget(caller: string, opts: { dryRun: boolean }): Promise<CallerErasureReport> {
    const { db } = this.d;
    const now = this.d.clock.now();
    const report: CallerErasureReport = {
      caller, dryRun: opts.dryRun, callsErased: 0, callsInProgress: 0, recordingsDeleted: 0, recordingsAlreadyGone: 0,
      recordingsFailed: [], visitsAnonymised: 0, outboxEntriesRewritten: 0, outboxEntriesDropped: 0,
    };
    report.callsInProgress = await countRows(db(CALLS_TABLE).where({ caller_number: caller }).andWhere((w) => void inProgress(w, now)));
    const limit = this.d.batchSize ?? BATCH;
    const visits = new Set<string>();
    if (opts.dryRun) {
      const all = (await settled(db, caller, now).orderBy('id')) as CallRef[];
      for (let i = 0; i < all.length; i += limit) await this.eraseBatch(all.slice(i, i + limit), { now, dryRun: true, report, visits });
    } else {
      // Calls whose file could not be deleted stay as they are; skipping them ends the loop.
      const skip: string[] = [];
      for (;;) {
        const batch = (await settled(db, caller, now).whereNotIn('id', skip).orderBy('id').limit(limit)) as CallRef[];
        if (batch.length === 0) break;
        skip.push(...(await this.eraseBatch(batch, { now, dryRun: false, report, visits })));
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    report.visitsAnonymised = visits.size;
    // The log keeps the counts, never the number: logs outlive the erasure.
    const { caller: _number, recordingsFailed, ...counts } = report;
    this.d.logger.info({ ...counts, recordingsFailed: recordingsFailed.length }, opts.dryRun ? 'caller erasure: dry run' : "caller's personal data erased");
    return report;
  }

  /** One batch of calls; returns the ids left alone because their recording could not be deleted. */
  private async eraseBatch(
    batch: CallRef[],
    run: { now: number; dryRun: boolean; report: CallerErasureReport; visits: Set<string> },
  ): Promise<string[]> {
    const { report } = run;
    const withFiles = await this.d.recordingStore.withFiles(this.d.db, { callIds: batch.map((c) => c.id) });
    const files = await this.d.recordings.deleteFiles(withFiles, { dryRun: run.dryRun });
    report.recordingsDeleted += files.deleted.length;
    report.recordingsAlreadyGone += files.alreadyGone.length;
    report.recordingsFailed.push(...files.failed.map((f) => ({ callId: f.row.callId, path: f.row.path, error: f.error })));
    const failed = new Set(files.failed.map((f) => f.row.callId));
    const calls = batch.filter((c) => !failed.has(c.id));
    if (calls.length === 0) return [...failed];
    const recordingsGone = [...files.deleted, ...files.alreadyGone].map((r) => r.callId);

    const work = async (q: Knex | Knex.Transaction) => {
      const identity = await eraseCallIdentities(q, this.d.outbox, calls, { now: run.now, dryRun: run.dryRun });
      report.callsErased += identity.calls;
      report.outboxEntriesRewritten += identity.outboxRewritten;
      report.outboxEntriesDropped += identity.outboxDropped;
      if (!run.dryRun) await this.d.recordingStore.markStatus(q, recordingsGone, 'erased', null, run.now);
      const fresh = (await visitStore.identifiableOf(q, creditedVisits(calls))).filter((id) => !run.visits.has(id));
      fresh.forEach((id) => run.visits.add(id));
      if (!run.dryRun) await visitStore.eraseIdentifiers(q, fresh);
    };
    if (run.dryRun) await work(this.d.db);
    else await this.d.db.transaction(work);
    return [...failed];
  }
}

/** The visits the calls were credited to, and their first touch's (a repeat caller's first call). */
function creditedVisits(calls: CallRef[]): string[] {
  const ids = new Set<string>();
  for (const c of calls) {
    if (c.visit_id) ids.add(c.visit_id);
    const first = c.first_touch ? (JSON.parse(c.first_touch) as { visitId?: string | null }) : null;
    if (first?.visitId) ids.add(first.visitId);
  }
  return [...ids];
}

/**
 * Ringing or talking (no end yet; the live board's definition, crash leftovers excluded), or
 * ended so recently that the call path may still write the row or queue its webhooks from its
 * in-memory copy, which holds the number: erasing now would be undone.
 */
function inProgress(w: Knex.QueryBuilder, now: number): void {
  void w.where('started_at', '>=', now - STALE_AFTER_MS).andWhere((e) => void e.whereNull('ended_at').orWhere('ended_at', '>=', now - SETTLE_MS));
}

function settled(q: Knex, caller: string, now: number): Knex.QueryBuilder {
  return q(CALLS_TABLE)
    .select('id', 'caller_number', 'visit_id', 'first_touch')
    .where({ caller_number: caller })
    .whereNot((w) => void inProgress(w, now));
}
