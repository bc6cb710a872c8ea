import type { Knex } from 'knex';

type Executor = Knex | Knex.Transaction;

const EVENTS = 'pool_events';

/**
 * What pool sizing is judged on:
 * - `exhausted`: a visit wanted a number and every one was held (always recorded);
 * - `fallback`: the visit was then shown the fallback number;
 * - `taken-over`: the visit took the longest-idle hold instead (`onExhausted: reuse-oldest`);
 * - `bot`: a crawler was shown the fallback number (not a sizing problem);
 * - `rate-limited`: an address past `http.rateLimit` was shown the fallback number;
 * - `reveal`: a visitor clicked "show number" on a `reveal: click` pool's page.
 */
export type PoolEventKind = 'exhausted' | 'fallback' | 'taken-over' | 'bot' | 'rate-limited' | 'reveal';

export interface PoolEvent {
  poolName: string;
  kind: PoolEventKind;
  visitId: string | null;
  heldCount: number | null;
  at: number;
}

export interface PoolEventCount {
  poolName: string;
  kind: PoolEventKind;
  n: number;
}

export class PoolEventStore {
  async record(q: Executor, event: PoolEvent): Promise<void> {
    await q(EVENTS).insert({
      pool_name: event.poolName,
      kind: event.kind,
      visit_id: event.visitId,
      held_count: event.heldCount,
      at: event.at,
    });
  }

  /** Events of each kind for the pool since `since` (inclusive). */
  async countByKind(q: Executor, poolName: string, since: number): Promise<Record<PoolEventKind, number>> {
    const rows = (await q(EVENTS)
      .select('kind')
      .count({ n: '*' })
      .where({ pool_name: poolName })
      .andWhere('at', '>=', since)
      .groupBy('kind')) as { kind: PoolEventKind; n: number | string }[];
    const counts: Record<PoolEventKind, number> = { exhausted: 0, fallback: 0, 'taken-over': 0, bot: 0, 'rate-limited': 0, reveal: 0 };
    for (const r of rows) counts[r.kind] = Number(r.n);
    return counts;
  }

  /** When each event of `kind` happened since `since`, oldest first (the advisor's unserved demand). */
  async timesSince(q: Executor, poolName: string, kind: PoolEventKind, since: number): Promise<number[]> {
    const rows = (await q(EVENTS).select('at').where({ pool_name: poolName, kind }).andWhere('at', '>=', since).orderBy('at')) as { at: number | string }[];
    return rows.map((r) => Number(r.at));
  }

  /** The id of the newest event (0 when there is none): where a reader of new events starts. */
  async lastId(q: Executor): Promise<number> {
    const row = (await q(EVENTS).max({ id: 'id' }).first()) as { id: number | string | null } | undefined;
    return Number(row?.id ?? 0);
  }

  /**
   * Events after id `afterId`, counted per pool and kind, for the /metrics counters; `throughId`
   * is where the next call goes on from. Both statements walk the primary key from `afterId`, so
   * a call costs the events written since the last one, and at most about `maxEvents`: a reader
   * that fell behind catches up over several calls.
   *
   * The range ends at the last event among the first `maxEvents` whose time is at or before
   * `settledBy`. On PostgreSQL several nodes write events and an id is handed out before its
   * transaction commits, so a lower id can become visible after a higher one was counted, and
   * the reader would pass over it for good. Ending at an event a few seconds old leaves the lower
   * ids, handed out before it, those seconds to commit (a visit's transaction takes milliseconds,
   * and its time is taken just before it is written). SQLite has one writer: ids commit in order.
   */
  async countAfter(q: Executor, afterId: number, settledBy: number, maxEvents: number): Promise<{ counts: PoolEventCount[]; throughId: number }> {
    const last = (await q
      .max({ id: 'id' })
      .from(q(EVENTS).select('id').where('id', '>', afterId).andWhere('at', '<=', settledBy).orderBy('id').limit(maxEvents).as('settled'))
      .first()) as { id: number | string | null } | undefined;
    if (last?.id === null || last?.id === undefined) return { counts: [], throughId: afterId };
    const throughId = Number(last.id);
    const rows = (await q(EVENTS)
      .select('pool_name', 'kind')
      .count({ n: '*' })
      .where('id', '>', afterId)
      .andWhere('id', '<=', throughId)
      .groupBy('pool_name', 'kind')) as { pool_name: string; kind: PoolEventKind; n: number | string }[];
    return { counts: rows.map((r) => ({ poolName: r.pool_name, kind: r.kind, n: Number(r.n) })), throughId };
  }

  async list(q: Executor, poolName: string): Promise<PoolEvent[]> {
    const rows = (await q(EVENTS).where({ pool_name: poolName }).orderBy('id')) as {
      pool_name: string;
      kind: PoolEventKind;
      visit_id: string | null;
      held_count: number | null;
      at: number;
    }[];
    return rows.map((r) => ({ poolName: r.pool_name, kind: r.kind, visitId: r.visit_id, heldCount: r.held_count, at: r.at }));
  }
}
