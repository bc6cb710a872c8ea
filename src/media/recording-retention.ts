import { readdir, rm, rmdir, stat, unlink } from 'node:fs/promises';
import type { Knex } from 'knex';
import path from 'node:path';
import type { Logger } from 'pino';
import { DAY_MS, type Clock } from '../clock.js';
import type { Database } from '../db/connect.js';
import { errorMessage } from '../errors.js';
import type { RecordingStatus } from '../calls/call-record.js';
import { CALLS_TABLE, callColumn } from '../calls/call-store.js';

export interface PruneReport {
  cutoff: number;
  /** Files deleted for calls older than the retention period (relative paths). */
  deleted: string[];
  /** Rows marked pruned whose file was already gone. */
  alreadyGone: string[];
  /** Files with no call row, older than the retention period, deleted as well. */
  orphansDeleted: string[];
  failed: { path: string; error: string }[];
}

export interface VerifyReport {
  /** Rows that say a recording exists but the file is not there. */
  missingFiles: { callId: string; path: string }[];
  /** Files in the directory no call row mentions. */
  orphanFiles: string[];
  checked: number;
}

/**
 * Retention and consistency of the recordings directory against the calls table. The
 * directory is the calltrack side of the volume shared with FreeSWITCH (media.recording.dir).
 */
export class RecordingRetention {
  constructor(
    private readonly db: Database,
    private readonly store: RecordingStore,
    private readonly dir: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async prune(retentionDays: number, opts: { dryRun?: boolean } = {}): Promise<PruneReport> {
    const now = this.clock.now();
    const cutoff = now - retentionDays * DAY_MS;
    const report: PruneReport = { cutoff, deleted: [], alreadyGone: [], orphansDeleted: [], failed: [] };
    const rows = await this.store.withFiles(this.db, { startedBefore: cutoff });
    const outcome = await this.deleteFiles(rows, { dryRun: opts.dryRun === true });
    report.deleted.push(...outcome.deleted.map((r) => r.path));
    report.alreadyGone.push(...outcome.alreadyGone.map((r) => r.path));
    report.failed.push(...outcome.failed.map((f) => ({ path: f.row.path, error: f.error })));
    const pruned = [...outcome.deleted, ...outcome.alreadyGone].map((r) => r.callId);
    if (!opts.dryRun) await this.store.markStatus(this.db, pruned, 'pruned', null, now);

    const known = await this.store.allPaths(this.db);
    for (const rel of await this.listFiles()) {
      if (known.has(rel)) continue;
      const file = this.resolve(rel);
      try {
        if ((await stat(file)).mtimeMs >= cutoff) continue;
        if (!opts.dryRun) await rm(file);
        report.orphansDeleted.push(rel);
      } catch (err) {
        report.failed.push({ path: rel, error: errorMessage(err) });
      }
    }
    if (!opts.dryRun) await this.removeEmptyDirs(this.dir);
    const counts = { deleted: report.deleted.length, orphans: report.orphansDeleted.length, failed: report.failed.length };
    // A dry run's line must not read as if files were gone: an admin greps the log for what was deleted.
    if (opts.dryRun) this.logger.info({ ...counts, dryRun: true }, 'recordings prune: dry run, nothing deleted');
    else this.logger.info(counts, 'recordings pruned');
    return report;
  }

  async verify(opts: { markMissing?: boolean } = {}): Promise<VerifyReport> {
    const rows = await this.store.withFiles(this.db);
    const files = new Set(await this.listFiles());
    const missingFiles = rows.filter((r) => r.status !== 'recording' && !files.has(r.path)).map((r) => ({ callId: r.callId, path: r.path }));
    const known = await this.store.allPaths(this.db);
    const orphanFiles = [...files].filter((f) => !known.has(f)).sort();
    if (opts.markMissing) {
      const ids = missingFiles.filter((m) => rows.find((r) => r.callId === m.callId)?.status !== 'missing').map((m) => m.callId);
      await this.store.markStatus(this.db, ids, 'missing', `file not found in ${this.dir} by calltrack recordings verify`, this.clock.now());
    }
    return { missingFiles, orphanFiles, checked: rows.length };
  }

  /**
   * Deletes the rows' files (a dry run only checks they exist). The rows are not updated: the
   * caller marks them, in its own transaction, once it knows which files are gone. A path that
   * resolves outside the directory fails instead of being deleted.
   */
  async deleteFiles(rows: RecordingRow[], opts: { dryRun: boolean }): Promise<FileDeletion> {
    const outcome: FileDeletion = { deleted: [], alreadyGone: [], failed: [] };
    for (const row of rows) {
      try {
        const file = this.resolve(row.path);
        if (!opts.dryRun) await unlink(file);
        else await stat(file);
        outcome.deleted.push(row);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') outcome.alreadyGone.push(row);
        else outcome.failed.push({ row, error: errorMessage(err) });
      }
    }
    return outcome;
  }

  private resolve(rel: string): string {
    const file = path.resolve(this.dir, rel);
    // A row is data: never let a stored path reach outside the recordings directory.
    if (!file.startsWith(path.resolve(this.dir) + path.sep)) throw new Error(`recording path ${rel} is outside ${this.dir}`);
    return file;
  }

  /** Every file under the directory, as paths relative to it with '/' separators. */
  private async listFiles(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.dir, { recursive: true, withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(this.dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
  }

  private async removeEmptyDirs(dir: string): Promise<boolean> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    let empty = true;
    for (const e of entries) {
      if (e.isDirectory() && (await this.removeEmptyDirs(path.join(dir, e.name)))) continue;
      empty = false;
    }
    if (empty && dir !== this.dir) {
      await rmdir(dir).catch((err: unknown) => this.logger.debug({ dir, err: errorMessage(err) }, 'could not remove an empty directory'));
      return true;
    }
    return false;
  }
}

export interface FileDeletion {
  deleted: RecordingRow[];
  /** The row claimed a file that was not there: nothing to delete, the row can be marked all the same. */
  alreadyGone: RecordingRow[];
  failed: { row: RecordingRow; error: string }[];
}

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
  async withFiles(q: Knex | Knex.Transaction, opts: { startedBefore?: number; callIds?: string[] } = {}): Promise<RecordingRow[]> {
    const query = q(CALLS_TABLE)
      .select({ callId: ID, startedAt: STARTED, status: STATUS, path: PATH })
      .whereNotNull(PATH)
      .whereIn(STATUS, ['saved', 'recording', 'missing'])
      .orderBy(STARTED, 'asc');
    if (opts.startedBefore !== undefined) query.where(STARTED, '<', opts.startedBefore);
    if (opts.callIds) query.whereIn(ID, opts.callIds);
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
