import type { Logger } from 'pino';
import type { Database } from '../db/connect.js';
import { errorMessage } from '../errors.js';
import type { CallJournal } from './call-journal.js';
import type { CallRecord } from './call-record.js';
import { CALLS_TABLE, callToRow, type CallStore } from './call-store.js';

interface Pending {
  record: CallRecord;
  chain: Promise<void>;
  /** Once one write for a call went to the journal, its later writes follow it there, in order. */
  journaled: boolean;
  inserted: boolean;
}

/**
 * Writes call rows for the SIP path without ever holding a call up: writes for one call are
 * chained in order but never awaited by signalling (except the final one, by whoever wants
 * to know it is stored). When the database fails, the call's full record goes to the journal;
 * the journal is imported when a later write succeeds, or on `importJournal()`.
 */
export class CallRecorder {
  private readonly calls = new Map<string, Pending>();
  private importing: Promise<number> | undefined;

  constructor(
    private readonly db: Database,
    private readonly store: CallStore,
    private readonly journal: CallJournal,
    private readonly logger: Logger,
  ) {}

  /** The INVITE arrived: queue the insert. */
  begin(record: CallRecord): void {
    // The first write waits a macrotask: the session sends the forward INVITE in the
    // microtasks that follow, so the caller's path never waits on building the insert.
    const pending: Pending = { record: { ...record }, chain: new Promise((r) => setImmediate(r)), journaled: false, inserted: false };
    this.calls.set(record.id, pending);
    this.enqueue(pending);
  }

  update(id: string, patch: Partial<CallRecord>): void {
    const pending = this.calls.get(id);
    if (!pending) return;
    Object.assign(pending.record, patch);
    this.enqueue(pending);
  }

  /** The last write for a call; resolves when it is in the database or the journal. */
  async finish(id: string, patch: Partial<CallRecord>): Promise<CallRecord | undefined> {
    const pending = this.calls.get(id);
    if (!pending) return undefined;
    Object.assign(pending.record, patch);
    this.enqueue(pending);
    await pending.chain;
    this.calls.delete(id);
    return { ...pending.record };
  }

  current(id: string): CallRecord | undefined {
    const pending = this.calls.get(id);
    return pending ? { ...pending.record } : undefined;
  }

  /** Waits for every queued write (shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.calls.values()].map((p) => p.chain));
    await this.importing;
  }

  /** Imports journaled records (idempotent upserts); returns how many were imported. */
  importJournal(): Promise<number> {
    this.importing ??= this.runImport().finally(() => {
      this.importing = undefined;
    });
    return this.importing;
  }

  private enqueue(pending: Pending): void {
    const snapshot = { ...pending.record };
    pending.chain = pending.chain.then(() => this.write(pending, snapshot));
  }

  private async write(pending: Pending, snapshot: CallRecord): Promise<void> {
    if (!pending.journaled) {
      try {
        if (pending.inserted) {
          await this.store.update(this.db, snapshot.id, { ...snapshot, updatedAt: snapshot.updatedAt });
        } else {
          await this.store.insert(this.db, snapshot);
          pending.inserted = true;
        }
        this.importSoon();
        return;
      } catch (err) {
        pending.journaled = true;
        this.logger.warn({ callId: snapshot.id, err: errorMessage(err), journal: this.journal.file }, 'database write failed; the call goes on and its record goes to the journal');
      }
    }
    try {
      await this.journal.append(snapshot);
    } catch (err) {
      // Last resort: the log line carries the whole record so it can be re-entered by hand.
      this.logger.error({ callId: snapshot.id, err: errorMessage(err), record: snapshot }, 'could not write the call record to the database nor the journal');
    }
  }

  private importSoon(): void {
    void this.journal.hasPending().then(
      (pending) => {
        if (pending && !this.importing) void this.importJournal();
      },
      (err: unknown) => this.logger.warn({ err: errorMessage(err) }, 'could not check the call journal'),
    );
  }

  private async runImport(): Promise<number> {
    let imported = 0;
    let batches;
    try {
      batches = await this.journal.takeBatches();
    } catch (err) {
      this.logger.error({ err: errorMessage(err), journal: this.journal.file }, 'call journal could not be read; it is kept for the next attempt');
      return 0;
    }
    for (const batch of batches) {
      if (batch.tornLine) this.logger.warn({ file: batch.file, line: batch.tornLine }, 'call journal ends in a torn line (a crash mid-write); that line is skipped');
      const latest = new Map<string, CallRecord>();
      for (const record of batch.records) latest.set(record.id, record);
      try {
        await this.db.transaction(async (trx) => {
          for (const record of latest.values()) {
            await trx(CALLS_TABLE).insert(callToRow(record)).onConflict('id').merge();
          }
        });
        await this.journal.done(batch.file);
        imported += latest.size;
        this.logger.info({ file: batch.file, calls: latest.size }, 'imported journaled call records into the database');
      } catch (err) {
        this.journal.markPending();
        this.logger.warn({ file: batch.file, err: errorMessage(err) }, 'journal import failed; will retry');
        break;
      }
    }
    return imported;
  }
}
