import type { Knex } from 'knex';
import type { PoolConfig } from '../config/schema.js';
import type { HoldStore } from './hold-store.js';
import type { TrackingNumber } from './number-records.js';
import type { PoolEventKind, PoolEventStore } from './pool-event-store.js';
import { extendedHoldEnd, firstHoldEnd, releasedHoldEnd, type HoldPolicy } from './tracking-strategy.js';

/** The number a visit is shown, decided inside the visit's transaction. */
export interface Allocation {
  type: 'dynamic' | 'fallback' | 'none';
  number: string | null;
  /** Epoch ms when the hold ends without further activity (dynamic only). */
  holdUntil: number | null;
}

export { minutes } from './tracking-strategy.js';

/** What a pool shows instead of one of its numbers: its fallback number, or nothing without one. */
export function fallbackAllocation(pool: PoolConfig): Allocation {
  return pool.fallbackNumber ? { type: 'fallback', number: pool.fallbackNumber, holdUntil: null } : { type: 'none', number: null, holdUntil: null };
}

/**
 * Hands out pool numbers. Every method runs inside the caller's transaction (`trx`), so the
 * visit row, the number's new hold and the pool events commit together or not at all.
 */
export class NumberAllocator {
  constructor(
    private readonly holds: HoldStore,
    private readonly events: PoolEventStore,
    /** PostgreSQL: lock the candidate row (FOR UPDATE SKIP LOCKED); see HoldStore. */
    private readonly lockRows: boolean,
    /** How long holds last: the product's activity holds unless the simulator says otherwise. */
    readonly holdPolicy: HoldPolicy = { kind: 'activity' },
  ) {}

  /** Where a running hold ends after activity at `now`. */
  extendedUntil(pool: PoolConfig, current: number, now: number): number {
    return extendedHoldEnd(this.holdPolicy, pool, current, now);
  }

  /** Where a running hold ends once the page has said goodbye at `now`. */
  releasedUntil(pool: PoolConfig, current: number, now: number): number {
    return releasedHoldEnd(this.holdPolicy, pool, current, now);
  }

  /**
   * A number from the pool for a visit: the one free the longest; when none is free, the
   * exhaustion is recorded and `onExhausted` decides (fallback number, or the hold idle longest).
   */
  async allocate(trx: Knex.Transaction, pool: PoolConfig, visitId: string, now: number): Promise<Allocation> {
    const until = firstHoldEnd(this.holdPolicy, pool, now);
    const free = await this.holds.pickFree(trx, pool.name, now, this.lockRows);
    if (free) {
      await this.holds.take(trx, free, visitId, now, until, 'expired');
      return { type: 'dynamic', number: free.number, holdUntil: until };
    }
    const heldCount = await this.holds.countHeld(trx, pool.name, now);
    await this.event(trx, pool, 'exhausted', visitId, now, heldCount);
    if (pool.onExhausted === 'reuse-oldest') {
      const idle = await this.holds.pickLongestIdle(trx, pool.name, now, this.lockRows);
      if (idle) {
        await this.holds.take(trx, idle, visitId, now, until, 'taken-over');
        await this.event(trx, pool, 'taken-over', visitId, now, heldCount);
        return { type: 'dynamic', number: idle.number, holdUntil: until };
      }
      // Every held row is being taken by concurrent allocations right now: fall back.
    }
    if (pool.fallbackNumber) await this.event(trx, pool, 'fallback', visitId, now, heldCount);
    return fallbackAllocation(pool);
  }

  /** The fallback number without touching the pool: for bots and rate-limited addresses. */
  async showFallback(trx: Knex.Transaction, pool: PoolConfig, visitId: string, now: number, why: 'bot' | 'rate-limited'): Promise<Allocation> {
    await this.event(trx, pool, why, visitId, now, null);
    return fallbackAllocation(pool);
  }

  /** Takes back `number` for the visit that had it, if nobody else holds it now. */
  async regain(trx: Knex.Transaction, pool: PoolConfig, number: TrackingNumber, visitId: string, now: number): Promise<Allocation | null> {
    if (this.holdPolicy.kind === 'fixed') {
      // Freeze time: the page keeps the number it was shown, whoever holds it now.
      const own = number.holdVisitId === visitId ? number.holdUntil : null;
      return { type: 'dynamic', number: number.number, holdUntil: own };
    }
    const until = firstHoldEnd(this.holdPolicy, pool, now);
    if (number.holdVisitId === visitId && number.holdUntil !== null && number.holdUntil > now) {
      await this.holds.setHoldEnd(trx, number.id, visitId, until);
      return { type: 'dynamic', number: number.number, holdUntil: until };
    }
    const free = number.active && number.kind === 'pool' && (number.holdUntil === null || number.holdUntil <= now);
    if (!free) return null;
    await this.holds.take(trx, number, visitId, now, until, 'expired');
    return { type: 'dynamic', number: number.number, holdUntil: until };
  }

  /** Moves a visitor's running hold to their new visit (same number, new attribution). */
  async handOver(trx: Knex.Transaction, pool: PoolConfig, number: TrackingNumber, visitId: string, now: number): Promise<Allocation> {
    const until = this.extendedUntil(pool, number.holdUntil ?? now, now);
    await this.holds.take(trx, number, visitId, now, until, 'handed-over');
    return { type: 'dynamic', number: number.number, holdUntil: until };
  }

  private event(trx: Knex.Transaction, pool: PoolConfig, kind: PoolEventKind, visitId: string, at: number, heldCount: number | null) {
    return this.events.record(trx, { poolName: pool.name, kind, visitId, heldCount, at });
  }
}
