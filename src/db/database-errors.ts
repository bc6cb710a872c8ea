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
const PG_UNAVAILABLE_CLASSES = new Map([
  ['08', 'connection lost'],
  ['53', 'out of resources'],
  ['58', 'system error'],
]);
const PG_UNAVAILABLE_CODES = new Map([
  ['25006', 'read-only transaction'],
  ['53100', 'disk full'],
  ['53200', 'out of memory'],
  ['53300', 'too many connections'],
  ['57P01', 'server shutting down'],
  ['57P02', 'server crashed'],
  ['57P03', 'server not accepting connections yet'],
]);

/** node-pg's errors for a connection the server closed carry no code (knex may prefix the query). */
const PG_CONNECTION_LOST = /Connection terminated|connection error and is not queryable/;

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
  if (typeof message === 'string' && PG_CONNECTION_LOST.test(message)) return true;
  if (typeof code !== 'string') return false;
  if (code.startsWith('SQLITE_')) {
    // Extended codes (SQLITE_IOERR_WRITE) count as their primary code.
    return UNAVAILABLE_CODES.has(code.split('_', 2).join('_'));
  }
  if (SOCKET_CODES.has(code)) return true;
  return pgReason(code) !== undefined;
}

function pgReason(code: string): string | undefined {
  if (!/^[0-9A-Z]{5}$/.test(code)) return undefined;
  return PG_UNAVAILABLE_CODES.get(code) ?? PG_UNAVAILABLE_CLASSES.get(code.slice(0, 2));
}

/**
 * Why the database is unavailable, short, for the 503 answer a page reads. Never the error's
 * whole message: knex puts the failed statement in front of it, with its bindings (a batch's
 * bindings are other visitors' addresses and browsers).
 */
export function unavailableReason(err: unknown): string {
  const { code, message } = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(err);
  if (typeof code === 'string') {
    // node-sqlite3's messages start with their code ("SQLITE_READONLY: attempt to write ...").
    if (code.startsWith('SQLITE_')) return text.includes(code) ? text.slice(text.indexOf(code)) : code;
    const pg = pgReason(code);
    if (pg) return `PostgreSQL ${code}: ${pg}`;
    if (SOCKET_CODES.has(code)) return `PostgreSQL unreachable: ${code}`;
  }
  if (PG_CONNECTION_LOST.test(text)) return 'PostgreSQL connection lost';
  return (err as { name?: unknown }).name === 'KnexTimeoutError' ? 'timed out waiting for a database connection' : 'database error';
}

/**
 * PostgreSQL aborted the transaction to let another one go on: a deadlock it broke (40P01) or,
 * under a stricter isolation than READ COMMITTED, a serialization failure (40001). Nothing of it
 * was written and the same work may well succeed now: run the whole transaction again.
 */
const PG_CONFLICT_CODES = new Map([
  ['40P01', 'deadlock detected'],
  ['40001', 'serialization failure'],
]);

export function isTransactionConflict(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && PG_CONFLICT_CODES.has(code);
}

/** `PostgreSQL 40P01: deadlock detected`, for the log and the 503 after the last try. */
export function conflictReason(err: unknown): string {
  const code = String((err as { code?: unknown }).code);
  return `PostgreSQL ${code}: ${PG_CONFLICT_CODES.get(code) ?? 'conflict'}`;
}
