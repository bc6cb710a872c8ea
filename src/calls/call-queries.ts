import type { Knex } from 'knex';
import { InvalidInputError } from '../errors.js';
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
  // As in streamCallRows: the cursor becomes the one upper time bound (times are whole ms), so a
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
  const batchSize = opts.batchSize ?? 500;
  const columns = opts.columns ? [...new Set(['id', 'started_at', ...opts.columns])] : ['*'];
  let after: [number, string] | undefined;
  for (;;) {
    // The cursor's time replaces the lower bound (one `started_at >=` only): given both, SQLite
    // started the index scan at `from` and filtered the rows already read, making the export
    // quadratic. The row value then skips the ties already written.
    const bounded = after ? { ...filter, from: Math.max(filter.from ?? Number.NEGATIVE_INFINITY, after[0]) } : filter;
    const qb = applyCallFilter(q(CALLS_TABLE).select(columns), bounded);
    if (after) qb.whereRaw('(started_at, id) > (?, ?)', after);
    const rows = (await qb.orderBy([{ column: 'started_at' }, { column: 'id' }]).limit(batchSize)) as CallRow[];
    for (const row of rows) yield row;
    const last = rows[rows.length - 1];
    if (rows.length < batchSize || !last) return;
    after = [Number(last.started_at), last.id];
  }
}

export interface StreamOptions {
  batchSize?: number;
  /** Read only these columns (the others come back null): the driver's per-column cost dominates exports. */
  columns?: readonly string[];
}

export async function* streamCalls(q: Executor, filter: CallFilter, opts: StreamOptions = {}): AsyncGenerator<CallRecord> {
  for await (const row of streamCallRows(q, filter, opts)) yield rowToCall(row);
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
