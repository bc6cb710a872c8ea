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
 * PostgreSQL's SQLSTATEs (node-pg puts them in `err.code`) for the same: a read-only server
 * (a hot standby, `default_transaction_read_only`), a lost or refused connection, a full disk
 * or memory or connection slots, a server shutting down or starting, an I/O error. A whole
 * class counts by its first two characters.
 */
const PG_UNAVAILABLE_CLASSES = new Set([
  '08', // connection exception
  '53', // insufficient resources: disk_full 53100, out_of_memory 53200, too_many_connections 53300
  '58', // system error: io_error 58030
]);
const PG_UNAVAILABLE_CODES = new Set([
  '25006', // read_only_sql_transaction
  '57P01', '57P02', '57P03', // admin_shutdown, crash_shutdown, cannot_connect_now
]);

/** Node's socket errors when the PostgreSQL server cannot be reached at all. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE']);

/**
 * True when a write failed because of the database, not the data: trying the same work again
 * piece by piece would only fail again, more slowly. knex's timeout waiting for its connection
 * counts too (the connection is stuck behind a long write, or the server does not answer).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, name, message } = err as { code?: unknown; name?: unknown; message?: unknown };
  if (name === 'KnexTimeoutError') return true;
  // node-pg's errors for a connection the server closed carry no code (knex may prefix the query).
  if (typeof message === 'string' && /Connection terminated|connection error and is not queryable/.test(message)) return true;
  if (typeof code !== 'string') return false;
  if (code.startsWith('SQLITE_')) {
    // Extended codes (SQLITE_IOERR_WRITE) count as their primary code.
    return UNAVAILABLE_CODES.has(code.split('_', 2).join('_'));
  }
  if (SOCKET_CODES.has(code)) return true;
  return /^[0-9A-Z]{5}$/.test(code) && (PG_UNAVAILABLE_CODES.has(code) || PG_UNAVAILABLE_CLASSES.has(code.slice(0, 2)));
}
