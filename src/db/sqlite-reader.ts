import type sqlite3 from 'sqlite3';
import { openSideConnectionFor, sqliteFile, type Database } from './connect.js';
import { PreparedStatements } from './prepared-statements.js';

/**
 * A SQLite connection of its own for one long read (an export), beside knex's single one.
 *
 * Through knex's connection each batch of a long read first waits for the connection to be
 * handed over, and that hand-off resolves only once the main thread is idle: the next batch
 * could not start while this one was being formatted, so SQLite and JavaScript took turns
 * (a million-row export: wall time = main thread + SQLite time). On its own connection the
 * next batch starts at once, and knex's connection stays free for calls and visits meanwhile.
 * WAL lets it read while the app writes; it never writes (`query_only`), so the rule that all
 * writes and transactions go through knex's one connection stands.
 */
export class SqliteReader {
  private readonly statements: PreparedStatements;

  private constructor(private readonly conn: sqlite3.Database) {
    this.statements = new PreparedStatements(conn);
  }

  /** A reader for a SQLite file database; undefined for PostgreSQL and in-memory SQLite (no second connection can see it). */
  static async forDatabase(db: Database): Promise<SqliteReader | undefined> {
    const file = sqliteFile(db);
    if (file === undefined) return undefined;
    const conn = await openSideConnectionFor(db, file, 'PRAGMA query_only = ON;');
    return new SqliteReader(conn);
  }

  /** The rows of one statement, kept prepared (by its SQL text) for the next time. */
  all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return this.statements.all<T>(sql, params);
  }

  /** Finalizes the statements and closes the connection; call once the last read has settled. */
  async close(): Promise<void> {
    await this.statements.finalize();
    await new Promise<void>((resolve) => this.conn.close(() => resolve()));
  }
}
