import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import pg from 'pg';
import sqlite3 from 'sqlite3';
import type { CalltrackConfig } from '../config/schema.js';
import type { ComponentHealth } from '../health.js';

export type Database = Knex;
export type DatabaseClient = 'sqlite3' | 'pg';

/**
 * Builds the knex instance. Nothing connects until the first query.
 *
 * SQLite: knex keeps a single connection (a second one would deadlock against an open
 * transaction, knex#3176), so inside `db.transaction(trx => ...)` every query must go
 * through `trx`. Pragmas are per connection, hence `afterCreate`.
 */
export function createDatabase(cfg: CalltrackConfig['database'], baseDir = process.cwd()): Database {
  if (cfg.client === 'pg') {
    // node-pg returns BIGINT as a string (it may exceed 2^53); our BIGINT columns hold epoch
    // milliseconds, far below that, so read them as numbers like SQLite does.
    pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
    return knex({ client: 'pg', connection: cfg.connection, pool: { min: cfg.pool.min, max: cfg.pool.max } });
  }

  // ':memory:' is SQLite's name for a private in-memory database, not a file to resolve.
  const filename = cfg.filename === ':memory:' ? cfg.filename : path.resolve(baseDir, cfg.filename);
  if (filename !== ':memory:') mkdirSync(path.dirname(filename), { recursive: true });
  const busyTimeout = cfg.busyTimeoutMs;
  return knex({
    client: 'sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: SqliteConnection) => void) {
        // WAL lets the export and report readers run while a call is being written; NORMAL
        // syncs at checkpoints only (a power cut may lose the last transactions, never corrupt);
        // busy_timeout makes a second process (the CLI beside `serve`) wait instead of failing.
        conn.exec(
          `PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = ${busyTimeout};`,
          (err) => done(err, conn),
        );
      },
    },
  });
}

interface SqliteConnection {
  exec(sql: string, cb: (err: Error | null) => void): void;
}

export function databaseClient(db: Database): DatabaseClient {
  return db.client.config.client === 'pg' ? 'pg' : 'sqlite3';
}

/** The file of a SQLite database; undefined for PostgreSQL and in-memory SQLite (nothing another connection could open). */
export function sqliteFile(db: Database): string | undefined {
  const file = (db.client.config as { connection?: { filename?: unknown } }).connection?.filename;
  if (databaseClient(db) !== 'sqlite3' || typeof file !== 'string' || file === ':memory:' || file.startsWith('file::memory:')) return undefined;
  return file;
}

/**
 * Another connection to the app's SQLite file, beside knex's one, for work that must not queue
 * behind it (background checkpoints, an export's reads); `pragmas` run before it is handed out.
 * It never takes part in knex's transactions.
 */
export function openSideConnection(file: string, pragmas: string): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const conn = new sqlite3.Database(file, sqlite3.OPEN_READWRITE, (err) => {
      if (err) return reject(err);
      conn.exec(pragmas, (e) => (e ? conn.close(() => reject(e)) : resolve(conn)));
    });
  });
}

/**
 * openSideConnection with the app connection's own busy timeout (a side connection that gave up
 * sooner than knex's would fail where the app waits), then `pragmas`.
 */
export async function openSideConnectionFor(db: Database, file: string, pragmas = ''): Promise<sqlite3.Database> {
  const [row] = (await db.raw('PRAGMA busy_timeout')) as { timeout?: number }[];
  return openSideConnection(file, `${pragmas} PRAGMA busy_timeout = ${Math.floor(Number(row?.timeout ?? 5000))};`);
}

/** A short description for logs and healthz, without credentials. */
export function describeDatabase(cfg: CalltrackConfig['database']): string {
  if (cfg.client === 'sqlite3') return `sqlite3:${cfg.filename}`;
  try {
    const u = new URL(cfg.connection);
    return `pg:${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'pg';
  }
}

/** /healthz's database probe: `select 1` answered within 3 s, described by where it connects. */
export function databaseHealthProbe(db: Database, cfg: CalltrackConfig['database']): () => Promise<ComponentHealth> {
  const where = describeDatabase(cfg);
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 3 s')), 3000)));
    try {
      await Promise.race([db.raw('select 1'), timeout]);
      return { state: 'up', detail: where, critical: true };
    } catch (err) {
      return { state: 'down', detail: `${where}: ${err instanceof Error ? err.message : String(err)}`, critical: true };
    } finally {
      clearTimeout(timer);
    }
  };
}
