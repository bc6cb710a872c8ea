import type { Logger } from 'pino';
import type sqlite3 from 'sqlite3';
import { openSideConnection, sqliteFile, type Database } from './connect.js';

/** How often the WAL is copied back into the database file while `serve` runs. */
export const CHECKPOINT_INTERVAL_MS = 1000;
/** Passes beside the app's writes, at most, and until one copies no more than CATCH_UP_FRAMES. */
const CATCH_UP_PASSES = 4;
const CATCH_UP_FRAMES = 100;

/**
 * Moves SQLite's WAL checkpoints off the request path. By default the connection that commits
 * the transaction crossing 1,000 WAL pages copies the whole WAL into the database file and
 * syncs it, inside that commit: with new visits arriving every millisecond that stalls one
 * batch (and every request queued behind it) for tens of milliseconds, which is most of the
 * p99 at 1,000 visits a second.
 *
 * Here the app's connection stops checkpointing (`wal_autocheckpoint = 0`) and a second
 * connection of its own, used for nothing else, runs PASSIVE checkpoints every second. PASSIVE
 * never waits for or blocks the writer: it copies the frames no reader still needs, while new
 * commits go on appending (see `checkpoint` for the short last pass that lets the WAL restart).
 * The second connection never writes rows, so the "one connection" rule for knex transactions
 * is untouched. If that connection fails the app falls back to
 * SQLite's own checkpoints, which are slower, not unsafe.
 */
export class WalCheckpointer {
  private conn: sqlite3.Database | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly db: Database,
    private readonly filename: string,
    private readonly logger: Logger,
    private readonly intervalMs = CHECKPOINT_INTERVAL_MS,
  ) {}

  /** The checkpointer for a SQLite file; none for an in-memory database (no WAL) or PostgreSQL (checkpoints itself). */
  static forDatabase(db: Database, logger: Logger, intervalMs?: number): WalCheckpointer | undefined {
    const file = sqliteFile(db);
    return file === undefined ? undefined : new WalCheckpointer(db, file, logger, intervalMs);
  }

  async start(): Promise<void> {
    try {
      // A checkpoint may need a moment's lock on the WAL index while the writer commits.
      this.conn = await openSideConnection(this.filename, 'PRAGMA busy_timeout = 1000');
    } catch (err) {
      this.logger.warn({ err, filename: this.filename }, 'cannot open a second connection for background WAL checkpoints; SQLite checkpoints on commit');
      return;
    }
    await this.db.raw('PRAGMA wal_autocheckpoint = 0');
    this.timer = setInterval(() => void this.checkpoint(), this.intervalMs);
    this.timer.unref();
  }

  /**
   * Copies the WAL into the database file; returns how many WAL frames are now in it.
   *
   * SQLite writes the WAL from its beginning again only if, when a write starts, a checkpoint
   * has copied all of it. Under steady load a commit always lands while a checkpoint copies, so
   * with PASSIVE alone the WAL never restarted: it grew by every commit for as long as the load
   * lasted (1 GB in 20 s of new visits at 5,000 a second), each write to its new end costing the
   * file system fresh zeroed blocks. Hence: passes beside the app's writes, each copying what
   * was committed during the one before (less each time); then one more pass while holding the
   * app's connection (knex's pool of one, so no write of this process runs meanwhile), which
   * copies the last few commits. The next commit then restarts the WAL. The writes wait for that
   * last pass only, a few milliseconds once a second under load.
   */
  async checkpoint(): Promise<number> {
    const conn = this.conn;
    if (!conn || this.running) return 0;
    this.running = true;
    try {
      let row = await passiveCheckpoint(conn);
      // Each pass copies what the app committed during the one before, less each time.
      for (let pass = 1, before = 0; pass < CATCH_UP_PASSES && row.log - before > CATCH_UP_FRAMES; pass++) {
        before = row.log;
        row = await passiveCheckpoint(conn);
      }
      if (row.log > 0) {
        // Not a reason to give up background checkpoints: the WAL restarts after a later one.
        const app: unknown = await this.db.client.acquireConnection().catch((err: unknown) => {
          this.logger.debug({ err }, "the app's connection stayed busy; the WAL restarts after a later checkpoint");
          return undefined;
        });
        if (app !== undefined) {
          try {
            row = await passiveCheckpoint(conn);
          } finally {
            await this.db.client.releaseConnection(app);
          }
        }
      }
      return row.checkpointed;
    } catch (err) {
      this.logger.warn({ err }, 'background WAL checkpoint failed; SQLite checkpoints on commit again');
      await this.stop();
      await this.db.raw('PRAGMA wal_autocheckpoint = 1000').catch(() => undefined);
      return 0;
    } finally {
      this.running = false;
    }
  }

  /** Before the app's database closes (its last close checkpoints whatever is left). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await new Promise<void>((resolve) => conn.close(() => resolve()));
  }
}

interface CheckpointResult {
  /** A writer or reader got in the way of the copy (PASSIVE never waits). */
  busy: number;
  /** Frames in the WAL. */
  log: number;
  /** Frames of the WAL copied into the database file so far (all of them when equal to `log`). */
  checkpointed: number;
}

function passiveCheckpoint(conn: sqlite3.Database): Promise<CheckpointResult> {
  return new Promise((resolve, reject) =>
    conn.get('PRAGMA wal_checkpoint(PASSIVE)', (err, r: CheckpointResult | undefined) => (err ? reject(err) : resolve(r ?? { busy: 0, log: 0, checkpointed: 0 }))),
  );
}

