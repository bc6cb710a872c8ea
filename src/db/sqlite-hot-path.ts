import type { Database } from './connect.js';
import { PreparedStatements, type BatchQuery, type SqliteConnection } from './prepared-statements.js';

/**
 * Statements for hot write paths on SQLite (the group commit of new visits), run on knex's own
 * connection and kept prepared (PreparedStatements). (knex's db.transaction() costs more: a
 * transaction object per use and BEGIN/COMMIT through its query runner, measured at 1.8 ms each;
 * hence work that must be atomic is written as ONE statement here, which SQLite runs in its own
 * implicit transaction.)
 *
 * The connection is taken from knex's pool (of one) for the whole unit of work, as knex does
 * for a transaction, so no other query of this process slips between its statements.
 * `setupSql` (temporary views and triggers: they live per connection) runs once on each
 * connection before its first statement.
 */
export class SqliteHotPath {
  private prepared = new WeakMap<object, PreparedStatements>();
  private readonly open = new Set<PreparedStatements>();

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
        this.prepared.set(conn, (stmts = new PreparedStatements(conn)));
        this.open.add(stmts);
      }
      const kept = stmts;
      return await work((sql, params) => kept.all(sql, params));
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
    await Promise.all(all.map((s) => s.finalize()));
  }
}

function isSqliteConnection(c: unknown): c is SqliteConnection {
  return typeof c === 'object' && c !== null && typeof (c as { prepare?: unknown }).prepare === 'function';
}
