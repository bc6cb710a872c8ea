/** One statement run with its parameters; kept prepared (by its SQL text) for the next time. */
export type BatchQuery = (sql: string, params: unknown[]) => Promise<unknown[]>;

/**
 * The statements of one SQLite connection, prepared once each and kept by their SQL text.
 * Through knex, node-sqlite3 prepares every statement anew: a prepare and a step, each a hand-off
 * to the driver's thread pool and back; kept prepared, a statement costs one hand-off.
 */
export class PreparedStatements {
  private readonly statements = new Map<string, SqliteStatement>();

  constructor(private readonly conn: SqliteConnection) {}

  async all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = await new Promise<SqliteStatement>((resolve, reject) => {
        const s: SqliteStatement = this.conn.prepare(sql, (err) => (err ? reject(err) : resolve(s)));
      });
      this.statements.set(sql, stmt);
    }
    const ready = stmt;
    return new Promise((resolve, reject) => ready.all([...params], (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
  }

  /** Finalizes them all (each holds its compiled program on the connection until then). */
  async finalize(): Promise<void> {
    const all = [...this.statements.values()];
    this.statements.clear();
    await Promise.all(all.map((s) => new Promise<void>((resolve) => s.finalize(() => resolve()))));
  }
}

interface SqliteStatement {
  all(params: unknown[], cb: (err: Error | null, rows: unknown[]) => void): void;
  finalize(cb: (err: Error | null) => void): void;
}

/** What of a node-sqlite3 connection this needs (knex's pooled connections are node-sqlite3's). */
export interface SqliteConnection {
  prepare(sql: string, cb: (err: Error | null) => void): SqliteStatement;
  exec(sql: string, cb: (err: Error | null) => void): void;
}
