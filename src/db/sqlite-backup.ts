import { existsSync, openSync, closeSync, fsyncSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { AppError, InvalidInputError, NotFoundError } from '../errors.js';
import { databaseClient, openSideConnectionFor, sqliteFile, type Database } from './connect.js';

export interface BackupReport {
  /** The backup's absolute path. */
  file: string;
  bytes: number;
  /** What the copy holds, read back from it (a check that it opens and is whole). */
  calls: number;
  visits: number;
  /** The last migration the copy was made at: the calltrack version it restores into. */
  schema: string | null;
  tookMs: number;
}

/**
 * A consistent copy of the running SQLite database in one file, with `VACUUM INTO`.
 *
 * Copying `calltrack.sqlite` alone while `serve` runs loses whatever is still in the `-wal`
 * file (the background checkpointer folds it in only once a second), and copying the two files
 * one after the other can pair a database with a WAL of another moment. `VACUUM INTO` reads one
 * snapshot through the WAL on a connection of its own: in WAL mode it blocks no writer, so calls
 * and visits go on while it runs. It writes to `<file>.partial` and renames only once the copy
 * has been read back (`quick_check`), so a cron job never leaves a half-written file under the
 * name a restore would take.
 */
export async function backupSqlite(db: Database, target: string): Promise<BackupReport> {
  const source = backupSource(db);
  const file = path.resolve(target);
  if (existsSync(file)) throw new InvalidInputError(`${file} already exists: give a new file name (backups are never overwritten)`);
  const dir = path.dirname(file);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InvalidInputError(`${dir} is not a directory: create it first, or give --out a path in an existing one`);
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  const started = Date.now();
  try {
    const conn = await openSideConnectionFor(db, source);
    try {
      await run(conn, 'VACUUM INTO ?', [partial]);
    } finally {
      await close(conn);
    }
    const contents = await readBack(partial);
    syncFile(partial);
    renameSync(partial, file);
    syncFile(dir);
    return { file, bytes: statSync(file).size, ...contents, tookMs: Date.now() - started };
  } catch (err) {
    rmSync(partial, { force: true });
    if (err instanceof AppError) throw err;
    throw new AppError('internal', `backup of ${source} failed: ${(err as Error).message}`, { cause: err });
  }
}

function backupSource(db: Database): string {
  if (databaseClient(db) === 'pg') {
    throw new InvalidInputError('backup copies a SQLite database; for PostgreSQL use pg_dump (e.g. `pg_dump --format=custom -f calltrack.dump "$DATABASE_URL"`), see README "Database"');
  }
  const file = sqliteFile(db);
  if (file === undefined) throw new InvalidInputError('database.filename is in memory: there is nothing on disk to back up');
  if (!existsSync(file)) throw new NotFoundError(`no database at ${file}: nothing to back up (serve or migrate creates it)`);
  return file;
}

/** Opens the copy on its own, read-only, and checks it is a whole calltrack database. */
async function readBack(file: string): Promise<Pick<BackupReport, 'calls' | 'visits' | 'schema'>> {
  const conn = await new Promise<sqlite3.Database>((resolve, reject) => {
    const c = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => (err ? reject(err) : resolve(c)));
  });
  try {
    const [check] = await all<{ quick_check: string }>(conn, 'PRAGMA quick_check');
    if (check?.quick_check !== 'ok') throw new AppError('internal', `the copy does not pass quick_check: ${check?.quick_check ?? 'no answer'}`);
    const [calls] = await all<{ n: number }>(conn, 'SELECT count(*) AS n FROM calls');
    const [visits] = await all<{ n: number }>(conn, 'SELECT count(*) AS n FROM visits');
    const [schema] = await all<{ name: string }>(conn, 'SELECT name FROM knex_migrations ORDER BY id DESC LIMIT 1');
    return { calls: calls?.n ?? 0, visits: visits?.n ?? 0, schema: schema?.name.replace(/\.[jt]s$/, '') ?? null };
  } finally {
    await close(conn);
  }
}

/** fsync, so a backup that a crash or power cut follows is on disk, not in the page cache. */
function syncFile(target: string): void {
  const fd = openSync(target, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function run(conn: sqlite3.Database, sql: string, params: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => conn.run(sql, params, (err) => (err ? reject(err) : resolve())));
}

function all<T>(conn: sqlite3.Database, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => conn.all(sql, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
}

function close(conn: sqlite3.Database): Promise<void> {
  return new Promise((resolve) => conn.close(() => resolve()));
}
