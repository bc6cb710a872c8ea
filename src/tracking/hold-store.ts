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
    return (await this.pickFreeOldest(q, poolName, now, 1, lock))[0];
  }

  /**
   * Up to `limit` free numbers of the pool, the one free the longest first: what `limit`
   * allocations one after the other would pick (a number taken is no longer free, and the
   * order of the others does not change), for a batch of new visits.
   */
  async pickFreeOldest(q: Executor, poolName: string, now: number, limit: number, lock: boolean): Promise<TrackingNumber[]> {
    let query = q<NumberRow>(NUMBERS)
      .where({ pool_name: poolName, kind: 'pool', active: true })
      .andWhere((w) => void w.whereNull('hold_until').orWhere('hold_until', '<=', now))
      .orderBy([{ column: 'free_since', order: 'asc' }, { column: 'id', order: 'asc' }])
      .limit(limit);
    if (lock) query = query.forUpdate().skipLocked();
    const rows = (await query) as NumberRow[];
    return rows.map(rowToTrackingNumber);
  }

  /**
   * The visitors among `visitorIds` whose visit holds a number now (the check of
   * `heldByVisitor`, for a whole batch at once; not locked: those visits take the per-visit path).
   */
  async visitorsHolding(q: Executor, visitorIds: string[], now: number): Promise<Set<string>> {
    if (visitorIds.length === 0) return new Set();
    const rows = (await q(NUMBERS)
      .distinct('visits.visitor_id')
      .join('visits', 'visits.id', `${NUMBERS}.hold_visit_id`)
      .whereIn('visits.visitor_id', visitorIds)
      .andWhere(`${NUMBERS}.hold_until`, '>', now)
      .andWhere(`${NUMBERS}.active`, true)) as { visitor_id: string }[];
    return new Set(rows.map((r) => r.visitor_id));
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

  /**
   * `take(..., 'expired')` for many free numbers at once, in three statements whatever their
   * count: their previous hold rows closed, the number rows pointed at their new visits, the
   * new hold rows (in the order given, as the takes one by one would number them).
   */
  async takeFreeMany(q: Executor, takes: { numberId: number; visitId: string; until: number }[], now: number): Promise<void> {
    if (takes.length === 0) return;
    await q(HOLDS).whereIn('number_id', takes.map((t) => t.numberId)).whereNull('ended_reason').update({ ended_reason: 'expired' });
    await q.raw(
      `UPDATE ${NUMBERS} AS n SET hold_visit_id = t.visit_id, hold_until = t.until, free_since = t.until
       FROM unnest(?::integer[], ?::text[], ?::bigint[]) AS t(id, visit_id, until) WHERE n.id = t.id`,
      [takes.map((t) => t.numberId), takes.map((t) => t.visitId), takes.map((t) => t.until)],
    );
    await q(HOLDS).insert(takes.map((t) => ({ number_id: t.numberId, visit_id: t.visitId, held_from: now, held_until: t.until })));
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
