/**
 * SQLite result codes that say the database cannot take writes at all (a full disk, a read-only
 * or broken file, a lock held past busy_timeout, I/O errors), as opposed to one statement's data
 * being refused (a constraint). node-sqlite3 puts the code's name in `err.code`.
 */
const UNAVAILABLE_CODES = new Set([
  'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_CORRUPT', 'SQLITE_NOTADB',
  'SQLITE_IOERR', 'SQLITE_NOMEM', 'SQLITE_PROTOCOL',
]);

/**
 * True when a write failed because of the database, not the data: trying the same work again
 * piece by piece would only fail again, more slowly. knex's timeout waiting for its connection
 * counts too (the connection is stuck behind a long write).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, name } = err as { code?: unknown; name?: unknown };
  if (name === 'KnexTimeoutError') return true;
  // Extended codes (SQLITE_IOERR_WRITE) count as their primary code.
  return typeof code === 'string' && UNAVAILABLE_CODES.has(code.split('_', 2).join('_'));
}
