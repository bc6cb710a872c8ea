import type { Knex } from 'knex';
import { rowToTrackingNumber, type NumberRow } from './number-store.js';
import type { TrackingNumber } from './number-records.js';

type Executor = Knex | Knex.Transaction;

const NUMBERS = 'tracking_numbers';
const HOLDS = 'number_holds';

export type HoldEndReason = 'expired' | 'taken-over' | 'handed-over';

export interface HoldRecord {
  id: number;
  numberId: number;
  visitId: string;
  heldFrom: number;
  heldUntil: number;
  releasedAt: number | null;
  endedReason: HoldEndReason | null;
}

interface HoldRow {
  id: number;
  number_id: number;
  visit_id: string;
  held_from: number;
  held_until: number;
  released_at: number | null;
  ended_reason: HoldEndReason | null;
}

const rowToHold = (r: HoldRow): HoldRecord => ({
  id: r.id,
  numberId: r.number_id,
  visitId: r.visit_id,
  heldFrom: r.held_from,
  heldUntil: r.held_until,
  releasedAt: r.released_at,
  endedReason: r.ended_reason,
});

/**
 * The hold state of pool numbers. The current hold lives on the `tracking_numbers` row
 * (`hold_visit_id`, `hold_until`), so "is it free" is one indexed comparison; every hold ever
 * given is also a `number_holds` row, which attribution reads. Holds expire lazily: a number
 * whose `hold_until` has passed is free, nothing has to run at that moment. `free_since`
 * always equals the time the current hold ends, so among free numbers the smallest
 * `free_since` is the one free the longest.
 *
 * `lock` (PostgreSQL only) adds `FOR UPDATE SKIP LOCKED`: a concurrent allocation on another
 * connection or another calltrack node passes over the row this one is taking instead of
 * waiting for it and handing out the same number. SQLite has one writer at a time (and knex
 * one connection), so a transaction there is already serialised.
 */
export class HoldStore {
  async pickFree(q: Executor, poolName: string, now: number, lock: boolean): Promise<TrackingNumber | undefined> {
    let query = q<NumberRow>(NUMBERS)
      .where({ pool_name: poolName, kind: 'pool', active: true })
      .andWhere((w) => void w.whereNull('hold_until').orWhere('hold_until', '<=', now))
      .orderBy([{ column: 'free_since', order: 'asc' }, { column: 'id', order: 'asc' }])
      .first();
    if (lock) query = query.forUpdate().skipLocked();
    const row = (await query) as NumberRow | undefined;
    return row ? rowToTrackingNumber(row) : undefined;
  }

  /** The held number whose holder has been idle longest (its hold ends first). */
  async pickLongestIdle(q: Executor, poolName: string, now: number, lock: boolean): Promise<TrackingNumber | undefined> {
    let query = q<NumberRow>(NUMBERS)
      .where({ pool_name: poolName, kind: 'pool', active: true })
      .andWhere('hold_until', '>', now)
      .orderBy([{ column: 'hold_until', order: 'asc' }, { column: 'id', order: 'asc' }])
      .first();
    if (lock) query = query.forUpdate().skipLocked();
    const row = (await query) as NumberRow | undefined;
    return row ? rowToTrackingNumber(row) : undefined;
  }

  /**
   * The number row by number, locked on PostgreSQL (waiting, not skipping): a ping regaining
   * its number must not overwrite a hold another node gives that number at the same moment.
   */
  async findLocked(q: Executor, number: string, lock: boolean): Promise<TrackingNumber | undefined> {
    let query = q<NumberRow>(NUMBERS).where({ number }).first();
    if (lock) query = query.forUpdate();
    const row = (await query) as NumberRow | undefined;
    return row ? rowToTrackingNumber(row) : undefined;
  }

  /** The pool number a visitor's visit holds now, if any (locked on PostgreSQL). */
  async heldByVisitor(q: Executor, visitorId: string, now: number, lock: boolean): Promise<TrackingNumber | undefined> {
    let query = q(NUMBERS)
      .select(`${NUMBERS}.*`)
      .join('visits', 'visits.id', `${NUMBERS}.hold_visit_id`)
      .where('visits.visitor_id', visitorId)
      .andWhere(`${NUMBERS}.hold_until`, '>', now)
      .andWhere(`${NUMBERS}.active`, true)
      .orderBy(`${NUMBERS}.hold_until`, 'desc')
      .first();
    if (lock) query = query.forUpdate(NUMBERS);
    const row = (await query) as NumberRow | undefined;
    return row ? rowToTrackingNumber(row) : undefined;
  }

  async countHeld(q: Executor, poolName: string, now: number): Promise<number> {
    const row = (await q(NUMBERS)
      .where({ pool_name: poolName, kind: 'pool', active: true })
      .andWhere('hold_until', '>', now)
      .count({ n: '*' })
      .first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }

  /**
   * Every pool's active numbers and how many of them are held at `now`, in one pass over the
   * pool numbers (thousands at most: the /metrics gauges read it at every scrape; `pools status`).
   */
  async poolOccupancy(q: Executor, now: number): Promise<{ poolName: string; size: number; held: number }[]> {
    const rows = (await q(NUMBERS)
      .select('pool_name')
      .count({ size: '*' })
      .select(q.raw('SUM(CASE WHEN hold_until > ? THEN 1 ELSE 0 END) AS held', [now]))
      .where({ kind: 'pool', active: true })
      .groupBy('pool_name')) as { pool_name: string; size: number | string; held: number | string | null }[];
    return rows.map((r) => ({ poolName: r.pool_name, size: Number(r.size), held: Number(r.held ?? 0) }));
  }

  /**
   * Gives `number` to `visitId` until `until`. The previous holder's hold row is closed: as
   * expired (it had ended), or cut short at `now` when taken over or handed to the same
   * visitor's new visit.
   */
  async take(q: Executor, number: TrackingNumber, visitId: string, now: number, until: number, previous: HoldEndReason): Promise<void> {
    const running = q(HOLDS).where({ number_id: number.id }).whereNull('ended_reason');
    if (previous === 'expired') await running.update({ ended_reason: 'expired' });
    else await running.update({ ended_reason: previous, held_until: now });
    await q(NUMBERS).where({ id: number.id }).update({ hold_visit_id: visitId, hold_until: until, free_since: until });
    await q(HOLDS).insert({ number_id: number.id, visit_id: visitId, held_from: now, held_until: until });
  }

  /** Moves the end of `visitId`'s running hold on the number; false if it no longer holds it. */
  async setHoldEnd(q: Executor, numberId: number, visitId: string, until: number, releasedAt?: number): Promise<boolean> {
    const changed = await q(NUMBERS)
      .where({ id: numberId, hold_visit_id: visitId })
      .update({ hold_until: until, free_since: until });
    if (changed === 0) return false;
    const patch: Record<string, unknown> = { held_until: until };
    if (releasedAt !== undefined) patch.released_at = releasedAt;
    await q(HOLDS).where({ number_id: numberId, visit_id: visitId }).whereNull('ended_reason').update(patch);
    return true;
  }

  /** The hold that covered `at` on the number (the latest one if several overlap). */
  async holdAt(q: Executor, numberId: number, at: number): Promise<HoldRecord | undefined> {
    const row = (await q(HOLDS)
      .where({ number_id: numberId })
      .andWhere('held_from', '<=', at)
      .andWhere('held_until', '>', at)
      .orderBy([{ column: 'held_from', order: 'desc' }, { column: 'id', order: 'desc' }])
      .first()) as HoldRow | undefined;
    return row ? rowToHold(row) : undefined;
  }

  /** The last hold on the number that ended in (since, at]. */
  async lastEndedBetween(q: Executor, numberId: number, since: number, at: number): Promise<HoldRecord | undefined> {
    const row = (await q(HOLDS)
      .where({ number_id: numberId })
      .andWhere('held_until', '<=', at)
      .andWhere('held_until', '>', since)
      .orderBy([{ column: 'held_until', order: 'desc' }, { column: 'id', order: 'desc' }])
      .first()) as HoldRow | undefined;
    return row ? rowToHold(row) : undefined;
  }

  /** Start and end of every hold on the pool's numbers that overlaps [from, to). */
  async holdsOverlapping(q: Executor, poolName: string, from: number, to: number): Promise<{ heldFrom: number; heldUntil: number }[]> {
    const rows = (await q(HOLDS)
      .select(`${HOLDS}.held_from`, `${HOLDS}.held_until`)
      .join(NUMBERS, `${NUMBERS}.id`, `${HOLDS}.number_id`)
      .where(`${NUMBERS}.pool_name`, poolName)
      .andWhere(`${NUMBERS}.kind`, 'pool')
      .andWhere(`${HOLDS}.held_until`, '>', from)
      .andWhere(`${HOLDS}.held_from`, '<', to)) as { held_from: number; held_until: number }[];
    return rows.map((r) => ({ heldFrom: r.held_from, heldUntil: r.held_until }));
  }

  /** Holds on the number that overlap [from, at], with their visitor, the latest first. */
  async holdersBetween(q: Executor, numberId: number, from: number, at: number): Promise<(HoldRecord & { visitorId: string })[]> {
    const rows = (await q(HOLDS)
      .join('visits', 'visits.id', `${HOLDS}.visit_id`)
      .select(`${HOLDS}.*`, 'visits.visitor_id')
      .where(`${HOLDS}.number_id`, numberId)
      .andWhere(`${HOLDS}.held_from`, '<=', at)
      .andWhere(`${HOLDS}.held_until`, '>', from)
      .orderBy([{ column: `${HOLDS}.held_from`, order: 'desc' }, { column: `${HOLDS}.id`, order: 'desc' }])) as (HoldRow & { visitor_id: string })[];
    return rows.map((r) => ({ ...rowToHold(r), visitorId: r.visitor_id }));
  }
}
