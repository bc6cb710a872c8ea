import type { Knex } from 'knex';
import type { Database } from '../db/connect.js';
import { SqliteHotPath } from '../db/sqlite-hot-path.js';
import { SqliteReader } from '../db/sqlite-reader.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { CallFilter } from './call-filter.js';
import type { CallRecord } from './call-record.js';
import { CALLS_TABLE, rowToCall, type CallRow } from './call-store.js';

type Executor = Knex | Knex.Transaction;

/** Narrows a query on `calls` by the filter; every condition uses an indexed or cheap column. */
export function applyCallFilter(qb: Knex.QueryBuilder, filter: CallFilter): Knex.QueryBuilder {
  if (filter.from !== undefined) qb.where('started_at', '>=', filter.from);
  if (filter.to !== undefined) qb.where('started_at', '<', filter.to);
  if (filter.statuses) qb.whereIn('status', filter.statuses);
  if (filter.trackingNumber) qb.where('tracking_number', filter.trackingNumber);
  if (filter.callerNumber) qb.where('caller_number', filter.callerNumber);
  if (filter.source) qb.where('source', filter.source);
  if (filter.medium) qb.where('medium', filter.medium);
  if (filter.campaign) qb.where('campaign', filter.campaign);
  return qb;
}

export interface CallPage {
  calls: CallRecord[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Newest first, keyset pagination on (started_at, id): a page costs the same however deep it
 * is, and calls arriving while someone pages through never shift or repeat rows.
 */
export async function listCalls(q: Executor, filter: CallFilter, page: { limit: number; cursor?: string | undefined }): Promise<CallPage> {
  const cursor = page.cursor ? decodeCursor(page.cursor) : undefined;
  // As in afterCursor (oldest first): the cursor becomes the one upper time bound (times are whole ms), so a
  // deep page is an index range scan from the cursor, not from `to`.
  const bounded = cursor ? { ...filter, to: Math.min(filter.to ?? Number.POSITIVE_INFINITY, cursor[0] + 1) } : filter;
  const qb = applyCallFilter(q(CALLS_TABLE).select('*'), bounded);
  if (cursor) qb.whereRaw('(started_at, id) < (?, ?)', cursor);
  const rows = (await qb.orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(page.limit + 1)) as CallRow[];
  const more = rows.length > page.limit;
  const calls = rows.slice(0, page.limit).map(rowToCall);
  const last = calls[calls.length - 1];
  return { calls, nextCursor: more && last ? encodeCursor(last.startedAt, last.id) : null };
}

/** By calltrack's id (as in X-Calltrack-Call-Id) or by the SIP Call-ID of the caller's leg. */
export async function findCall(q: Executor, id: string): Promise<CallRecord> {
  const row = (await q(CALLS_TABLE).where({ id }).orWhere({ sip_call_id: id }).first()) as CallRow | undefined;
  if (!row) throw new NotFoundError(`no call with id or SIP Call-ID "${id}": see \`calltrack calls list\` for ids`);
  return rowToCall(row);
}

export async function countCalls(q: Executor, filter: CallFilter): Promise<number> {
  const row = (await applyCallFilter(q(CALLS_TABLE).count({ n: '*' }), filter).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

/**
 * Every matching row, oldest first, in batches of `batchSize` fetched by keyset. knex's
 * `.stream()` on sqlite3 reads the whole result into memory first, and one long query would hold
 * SQLite's single connection for the whole export, stalling the call path's writes; short
 * batches bound the memory and let other queries in between.
 */
export async function* streamCallRows(q: Executor, filter: CallFilter, opts: StreamOptions = {}): AsyncGenerator<CallRow> {
  // Small batches: node-sqlite3 materialises a whole result as JS objects, so the batch size is
  // what bounds memory (500 rows: ~130 MB peak for the whole CLI process, 2000: ~190 MB).
  const columns: (string | Knex.Raw)[] = opts.columns ? readColumns(opts.columns) : ['*'];
  for (const [alias, sql] of Object.entries(opts.expressions ?? {})) columns.push(q.raw(`${sql} AS ??`, [alias]));
  const batches = keysetBatches(q, filter, opts.batchSize ?? 500, (qb) => qb.select(columns), (row: CallRow) => [Number(row.started_at), row.id]);
  for await (const rows of batches) yield* rows;
}

export interface StreamOptions {
  batchSize?: number;
  /** Read only these columns (the others come back null): the driver's per-column cost dominates exports. */
  columns?: readonly string[];
  /** Also these SQL expressions on `calls`, each under its alias (CLICK_VISIT_STARTED_AT). */
  expressions?: Readonly<Record<string, string>>;
}

/**
 * For a call with a gclid, when the visit it is credited to began (`visits.created_at`: the ad
 * click that brought the gclid); NULL for other calls. A column expression on `calls`, for the
 * export formats that need the click time: a primary-key lookup per call with a gclid, and none
 * for the rest (SQLite and PostgreSQL evaluate only the CASE branch taken), so other exports,
 * which do not ask for it, and calls without a gclid cost nothing extra.
 */
export const CLICK_VISIT_STARTED_AT =
  'CASE WHEN calls.gclid IS NOT NULL THEN (SELECT visits.created_at FROM visits WHERE visits.id = calls.visit_id) END';

/**
 * SQLite only: every matching row as an array of `columns` values (in that order; put `id` and
 * `started_at` first, the keyset needs them), then the values of `expressions` (SQL on `calls`,
 * such as CLICK_VISIT_STARTED_AT), oldest first, one array of arrays per batch.
 *
 * Each row comes back as ONE text column, `json_array(col, ...)`, parsed with JSON.parse:
 * node-sqlite3 builds a JS object per row through N-API, one property at a time (~26 µs for 45
 * columns, most of an export's CPU); JSON.parse of the same values costs a fraction. JSON keeps
 * integers, reals, NULL and text (tags stay their TEXT). PostgreSQL keeps the object path (its
 * driver parses text rows already).
 *
 * Read-ahead: the next batch is requested as soon as the current one has arrived, so SQLite
 * works on the libuv thread pool while the caller formats this batch on the main thread. The two
 * statements (first batch, next batch from a cursor) are compiled once, not rebuilt by knex for
 * every batch, and kept prepared on the connection.
 */
export async function* streamCallValueBatches(
  q: Executor,
  filter: CallFilter,
  columns: readonly string[],
  batchSize: number,
  expressions: readonly string[] = [],
): AsyncGenerator<unknown[][]> {
  if (columns[0] !== 'id' || columns[1] !== 'started_at') throw new Error('streamCallValueBatches: columns must start with id, started_at');
  const values = [...columns.map(() => '??'), ...expressions].join(', ');
  const select = () => q(CALLS_TABLE).select(q.raw(`json_array(${values}) AS r`, columns));
  const first = inKeyOrder(applyCallFilter(select(), filter), batchSize).toSQL().toNative();
  const next = compileFromCursor((time, id) => inKeyOrder(afterCursor(select(), filter, time, id), batchSize));
  // The two statements stay prepared for the whole export: through knex each batch was prepared,
  // run and finalized anew, ~0.5 ms of main thread a batch (5 s of a million rows in batches of
  // 100). A file database is read on a connection of the export's own (SqliteReader: the next
  // batch starts while this one is formatted); an in-memory one, on knex's, taken per batch so
  // calls and visits get their turn between batches. Statements are finalized at the end.
  const statements = (await SqliteReader.forDatabase(q as Database)) ?? onAppConnection(new SqliteHotPath(q as Database));
  const run = (sql: string, bindings: readonly unknown[]) => statements.all<{ r: string }>(sql, bindings);
  let pending = run(first.sql, first.bindings);
  try {
    for (;;) {
      const rows = await pending;
      // The next batch is asked for before this one is parsed (its key is the last row's).
      const last = rows.length === batchSize ? rows[rows.length - 1] : undefined;
      if (last) {
        const key = JSON.parse(last.r) as unknown[];
        pending = run(next.sql, next.bindings(Number(key[1]), String(key[0])));
        // Should the consumer stop early, a failure of the read-ahead has no one to go to; otherwise
        // it surfaces at the `await` above.
        pending.catch(() => undefined);
      }
      if (rows.length > 0) yield rows.map((row) => JSON.parse(row.r) as unknown[]);
      if (!last) return;
    }
  } finally {
    // The read-ahead may still hold the connection: let it finish before finalizing.
    await pending.catch(() => undefined);
    await statements.close();
  }
}

/** Statements kept prepared on knex's own connection, taken per statement (SqliteReader's shape). */
function onAppConnection(hotPath: SqliteHotPath): Pick<SqliteReader, 'all' | 'close'> {
  return {
    all: <T>(sql: string, params: readonly unknown[]) => hotPath.withConnection((query) => query(sql, [...params])) as Promise<T[]>,
    close: () => hotPath.close(),
  };
}

// Markers for the cursor's bindings, replaced by the cursor's values at each batch.
const CURSOR_TIME = '\u0000cursor-started-at';
const CURSOR_ID = '\u0000cursor-id';

/** The statement for the batch after a cursor, compiled once; its bindings per cursor. */
function compileFromCursor(build: (time: unknown, id: unknown) => Knex.QueryBuilder) {
  const { sql, bindings } = build(CURSOR_TIME, CURSOR_ID).toSQL().toNative();
  const template = [...bindings];
  return {
    sql,
    bindings: (time: number, id: string) => template.map((b) => (b === CURSOR_TIME ? time : b === CURSOR_ID ? id : b)),
  };
}

/**
 * The calls after the cursor (time, id) in key order. The cursor's time is the one lower time
 * bound: given both `started_at >= from` and the cursor, SQLite started the index scan at `from`
 * and filtered the rows already read, making an export quadratic. Rows before the cursor are all
 * at or after `from`, so `from` adds nothing; the row value then skips the ties already read.
 */
function afterCursor(qb: Knex.QueryBuilder, filter: CallFilter, time: unknown, id: unknown): Knex.QueryBuilder {
  const { from: _from, ...rest } = filter;
  return applyCallFilter(qb.where('started_at', '>=', time as number).whereRaw('(started_at, id) > (?, ?)', [time, id] as Knex.RawBinding[]), rest);
}

const inKeyOrder = (qb: Knex.QueryBuilder, batchSize: number) => qb.orderBy([{ column: 'started_at' }, { column: 'id' }]).limit(batchSize);

const readColumns = (columns: readonly string[]) => [...new Set(['id', 'started_at', ...columns])];

async function* keysetBatches<T>(
  q: Executor,
  filter: CallFilter,
  batchSize: number,
  select: (qb: Knex.QueryBuilder) => Knex.QueryBuilder,
  keyOfRow: (row: T) => [number, string],
): AsyncGenerator<T[]> {
  let after: [number, string] | undefined;
  for (;;) {
    const qb = after ? afterCursor(select(q(CALLS_TABLE)), filter, after[0], after[1]) : applyCallFilter(select(q(CALLS_TABLE)), filter);
    const rows = (await inKeyOrder(qb, batchSize)) as T[];
    if (rows.length > 0) yield rows;
    const last = rows[rows.length - 1];
    if (rows.length < batchSize || last === undefined) return;
    after = keyOfRow(last);
  }
}

function encodeCursor(startedAt: number, id: string): string {
  return Buffer.from(JSON.stringify([startedAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') return [value[0], value[1]];
  } catch {
    // Falls through to the error below: a cursor is opaque, any damage means "not ours".
  }
  throw new InvalidInputError('cursor: not a cursor from this API; pass back nextCursor from the previous page unchanged', { field: 'cursor' });
}
