import type { Database } from './connect.js';

/** One statement on the hot path's connection, kept prepared (by its SQL text) for the next time. */
export type BatchQuery = (sql: string, params: unknown[]) => Promise<unknown[]>;

/**
 * Statements for hot write paths on SQLite (the group commit of new visits), run on knex's own
 * connection and kept prepared. Through knex, node-sqlite3 prepares every statement anew: a
 * prepare and a step, each a hand-off to the driver's thread pool and back; kept prepared, a
 * statement costs one. (knex's db.transaction() adds more: a transaction object per use and
 * BEGIN/COMMIT through its query runner, measured at 1.8 ms each; hence work that must be
 * atomic is written as ONE statement here, which SQLite runs in its own implicit transaction.)
 *
 * The connection is taken from knex's pool (of one) for the whole unit of work, as knex does
 * for a transaction, so no other query of this process slips between its statements.
 * `setupSql` (temporary views and triggers: they live per connection) runs once on each
 * connection before its first statement.
 */
export class SqliteHotPath {
  private prepared = new WeakMap<object, Map<string, SqliteStatement>>();
  private readonly open = new Set<SqliteStatement>();

  constructor(
    private readonly db: Database,
    private readonly setupSql = '',
  ) {}

  async withConnection<T>(work: (query: BatchQuery) => Promise<T>): Promise<T> {
    const conn = (await this.db.client.acquireConnection()) as unknown;
    try {
      if (!isSqliteConnection(conn)) throw new Error('SqliteHotPath needs the sqlite3 client');
      let stmts = this.prepared.get(conn);
      if (!stmts) {
        if (this.setupSql) await new Promise<void>((resolve, reject) => conn.exec(this.setupSql, (err) => (err ? reject(err) : resolve())));
        this.prepared.set(conn, (stmts = new Map()));
      }
      const kept = stmts;
      return await work((sql, params) => this.all(conn, kept, sql, params));
    } finally {
      await this.db.client.releaseConnection(conn);
    }
  }

  /**
   * Finalizes the kept statements (each holds its compiled program on the connection until
   * then): at the end of an export, and by the app before it destroys the database.
   */
  async close(): Promise<void> {
    const all = [...this.open];
    this.open.clear();
    this.prepared = new WeakMap();
    await Promise.all(all.map((s) => new Promise<void>((resolve) => s.finalize(() => resolve()))));
  }

  private async all(conn: SqliteConnection, stmts: Map<string, SqliteStatement>, sql: string, params: unknown[]): Promise<unknown[]> {
    let stmt = stmts.get(sql);
    if (!stmt) {
      stmt = await new Promise<SqliteStatement>((resolve, reject) => {
        const s: SqliteStatement = conn.prepare(sql, (err) => (err ? reject(err) : resolve(s)));
      });
      stmts.set(sql, stmt);
      this.open.add(stmt);
    }
    const ready = stmt;
    return new Promise((resolve, reject) => ready.all(params, (err, rows) => (err ? reject(err) : resolve(rows))));
  }
}

interface SqliteStatement {
  all(params: unknown[], cb: (err: Error | null, rows: unknown[]) => void): void;
  finalize(cb: (err: Error | null) => void): void;
}

interface SqliteConnection {
  prepare(sql: string, cb: (err: Error | null) => void): SqliteStatement;
  exec(sql: string, cb: (err: Error | null) => void): void;
}

function isSqliteConnection(c: unknown): c is SqliteConnection {
  return typeof c === 'object' && c !== null && typeof (c as { prepare?: unknown }).prepare === 'function';
}
