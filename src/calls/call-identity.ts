import type { Knex } from 'knex';
import { eraseCallerFromEntry, isAnalyticsEntry } from '../integrations/outbox-erasure.js';
import type { OutboxStore } from '../integrations/outbox-store.js';
import { VISITOR_ANALYTICS_IDS } from '../tracking/attribution-types.js';
import { CALLS_TABLE } from './call-store.js';

/**
 * What identifies the person behind a call: the caller's number, the free-text note (it may name
 * them) and the visitor's analytics ids (GA client id and session id, Metrica ClientID: online
 * identifiers that link the call to the person's GA4 and Metrica profile). Attribution (source,
 * campaign, the ad's click ids) describes the ad and stays: reports count on it.
 */
const IDENTITY_COLUMNS = ['caller_number', 'note', 'ga_client_id', 'ga_session_id', 'ym_client_id'] as const;

/** The columns a call's identity is erased from (a dry run reads them, so they are selected). */
export interface CallIdentityRow {
  id: string;
  caller_number: string | null;
  first_touch: string | null;
}

export interface IdentityErasure {
  calls: number;
  /** Outbox entries (any status) whose body no longer holds the number or the analytics ids. */
  outboxRewritten: number;
  /** Analytics hits (GA4, Metrica) not yet delivered: dropped, so the person's profile gets no more data. */
  outboxDropped: number;
}

/** Calls (any of these columns still set) a run has left to erase: for where-clauses on `calls`. */
export function hasIdentity(w: Knex.QueryBuilder): void {
  for (const column of IDENTITY_COLUMNS) void w.orWhereNotNull(column);
}

/**
 * Erases the identity of these calls, within `q` (the batch's transaction; the database itself for
 * a dry run, which only counts): their identity columns, the analytics ids inside a repeat call's
 * stored first touch, and the same in their webhook outbox bodies (pending events are still sent,
 * without them); GA4 and Metrica hits not yet sent are dropped, delivered ones kept in the outbox
 * lose their ids. Used by `calls forget` (one caller) and `calls anonymise` (calls past a period).
 */
export async function eraseCallIdentities(
  q: Knex | Knex.Transaction,
  outbox: OutboxStore,
  calls: readonly CallIdentityRow[],
  opts: { now: number; dryRun: boolean },
): Promise<IdentityErasure> {
  const out: IdentityErasure = { calls: calls.length, outboxRewritten: 0, outboxDropped: 0 };
  if (calls.length === 0) return out;
  const ids = calls.map((c) => c.id);
  if (!opts.dryRun) {
    const erased = Object.fromEntries(IDENTITY_COLUMNS.map((c) => [c, null]));
    out.calls = Number(await q(CALLS_TABLE).whereIn('id', ids).update({ ...erased, identity_erased_at: opts.now, updated_at: opts.now }));
    for (const c of calls) {
      const firstTouch = withoutAnalyticsIds(c.first_touch);
      if (firstTouch !== c.first_touch) await q(CALLS_TABLE).where({ id: c.id }).update({ first_touch: firstTouch });
    }
  }
  const callerOf = new Map(calls.map((c) => [c.id, c.caller_number]));
  const dropped: number[] = [];
  for (const entry of await outbox.listByCalls(q, ids)) {
    if (isAnalyticsEntry(entry) && entry.status !== 'delivered') {
      dropped.push(entry.id);
      continue;
    }
    const erased = eraseCallerFromEntry(entry, callerOf.get(entry.callId ?? '') ?? null);
    if (!erased) continue;
    out.outboxRewritten += 1;
    if (!opts.dryRun) await outbox.rewrite(q, entry.id, erased);
  }
  out.outboxDropped = dropped.length;
  if (!opts.dryRun) await outbox.deleteEntries(q, dropped);
  return out;
}

/** A stored first touch (JSON) without the visitor's analytics ids; the same text when it has none. */
function withoutAnalyticsIds(firstTouch: string | null): string | null {
  if (!firstTouch) return firstTouch;
  const touch = JSON.parse(firstTouch) as Record<string, unknown>;
  let changed = false;
  for (const key of VISITOR_ANALYTICS_IDS) {
    if (touch[key] !== undefined && touch[key] !== null) {
      touch[key] = null;
      changed = true;
    }
  }
  return changed ? JSON.stringify(touch) : firstTouch;
}
