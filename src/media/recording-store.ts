import type { Knex } from 'knex';
import type { RecordingStatus } from '../calls/call-record.js';
import { CALLS_TABLE, callColumn } from '../calls/call-store.js';

export interface RecordingRow {
  callId: string;
  startedAt: number;
  status: RecordingStatus | null;
  /** Relative to recording.dir. */
  path: string;
}

const ID = callColumn('id');
const STARTED = callColumn('startedAt');
const STATUS = callColumn('recordingStatus');
const PATH = callColumn('recordingPath');
const UPDATED = callColumn('updatedAt');

/** The recording columns of the calls table, for retention and verification. */
export class RecordingStore {
  /** Rows that still claim a file (saved, still recording, or found missing earlier). */
  async withFiles(q: Knex | Knex.Transaction, opts: { startedBefore?: number } = {}): Promise<RecordingRow[]> {
    const query = q(CALLS_TABLE)
      .select({ callId: ID, startedAt: STARTED, status: STATUS, path: PATH })
      .whereNotNull(PATH)
      .whereIn(STATUS, ['saved', 'recording', 'missing'])
      .orderBy(STARTED, 'asc');
    if (opts.startedBefore !== undefined) query.where(STARTED, '<', opts.startedBefore);
    const rows = (await query) as { callId: string; startedAt: number | string; status: RecordingStatus | null; path: string }[];
    // PostgreSQL returns BIGINT as a string.
    return rows.map((r) => ({ ...r, startedAt: Number(r.startedAt) }));
  }

  /** Every path any row refers to, pruned ones included (their files are expected to be gone). */
  async allPaths(q: Knex | Knex.Transaction): Promise<Set<string>> {
    const rows = (await q(CALLS_TABLE).select({ path: PATH }).whereNotNull(PATH)) as { path: string }[];
    return new Set(rows.map((r) => r.path));
  }

  async markStatus(q: Knex | Knex.Transaction, callIds: string[], status: RecordingStatus, error: string | null, now: number): Promise<void> {
    // Chunks keep SQLite under its bound-parameter limit.
    for (let i = 0; i < callIds.length; i += 500) {
      await q(CALLS_TABLE)
        .whereIn(ID, callIds.slice(i, i + 500))
        .update({ [STATUS]: status, [callColumn('recordingError')]: error, [UPDATED]: now });
    }
  }
}
