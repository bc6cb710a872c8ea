import type { Database } from './connect.js';

/** One statement on the hot path's connection: SQL text cached and kept prepared by key. */
export type BatchQuery = (key: string, build: () => string, params: unknown[]) => Promise<unknown[]>;

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
  private readonly text = new Map<string, string>();

  constructor(
    private readonly db: Database,
    private readonly setupSql = '',
  ) {}

  async withConnection<T>(work: (query: BatchQuery) => Promise<T>): Promise<T> {
    const conn = (await this.db.client.acquireConnection()) as unknown;
    try {
      if (!isSqliteConnection(conn)) throw new Error('SqliteHotPath needs the sqlite3 client');
      if (!this.prepared.has(conn)) {
        if (this.setupSql) await new Promise<void>((resolve, reject) => conn.exec(this.setupSql, (err) => (err ? reject(err) : resolve())));
        this.prepared.set(conn, new Map());
      }
      return await work((key, build, params) => this.all(conn, key, build, params));
    } finally {
      await this.db.client.releaseConnection(conn);
    }
  }

  /**
   * Finalizes the kept statements: SQLite refuses to close a connection that still has
   * statements (SQLITE_BUSY), so the app calls this before destroying the database.
   */
  async close(): Promise<void> {
    const all = [...this.open];
    this.open.clear();
    this.prepared = new WeakMap();
    await Promise.all(all.map((s) => new Promise<void>((resolve) => s.finalize(() => resolve()))));
  }

  private async all(conn: SqliteConnection, key: string, build: () => string, params: unknown[]): Promise<unknown[]> {
    let stmts = this.prepared.get(conn);
    if (!stmts) this.prepared.set(conn, (stmts = new Map()));
    let stmt = stmts.get(key);
    if (!stmt) {
      const sql = this.sqlText(key, build);
      stmt = await new Promise<SqliteStatement>((resolve, reject) => {
        const s: SqliteStatement = conn.prepare(sql, (err) => (err ? reject(err) : resolve(s)));
      });
      stmts.set(key, stmt);
      this.open.add(stmt);
    }
    const ready = stmt;
    return new Promise((resolve, reject) => ready.all(params, (err, rows) => (err ? reject(err) : resolve(rows))));
  }

  private sqlText(key: string, build: () => string): string {
    let sql = this.text.get(key);
    if (sql === undefined) {
      sql = build();
      this.text.set(key, sql);
    }
    return sql;
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
