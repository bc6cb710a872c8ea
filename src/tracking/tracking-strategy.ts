import type { PoolConfig } from '../config/schema.js';

export const minutes = (n: number) => n * 60_000;

/**
 * How long a pool number stays with a visit.
 * - `activity` (the product): while the page shows signs of life (new visit, ping, a call)
 *   and `pool.holdMinutes` after the last one; a release starts that countdown at once.
 * - `fixed`: the classic "freeze time" of hosted call tracking: `minutes` from the first page
 *   view, never extended; the page keeps showing the number it was given. It exists so the
 *   attribution simulator (bench/attribution) can measure the product against it on the same
 *   code path; calltrack itself always runs `activity`.
 */
export type HoldPolicy = { kind: 'activity' } | { kind: 'fixed'; minutes: number };

/** The allocation and attribution choices the simulator compares. */
export interface TrackingStrategy {
  hold: HoldPolicy;
  /**
   * When the caller's own history names a visitor (an earlier call credited to their visit),
   * prefer that visitor's hold among the candidates on the dialled number, and credit the
   * visit of their earlier call on this same number rather than a stranger now holding it.
   */
  callerHistoryTieBreak: boolean;
}

export const PRODUCT_STRATEGY: TrackingStrategy = { hold: { kind: 'activity' }, callerHistoryTieBreak: true };

/** The end of a hold that starts now. */
export function firstHoldEnd(policy: HoldPolicy, pool: PoolConfig, now: number): number {
  return now + minutes(policy.kind === 'fixed' ? policy.minutes : pool.holdMinutes);
}

/** The end of a running hold after activity at `now` (a fixed hold never moves). */
export function extendedHoldEnd(policy: HoldPolicy, pool: PoolConfig, current: number, now: number): number {
  const floor = activityHoldFloor(policy, pool, now);
  return floor === null ? current : Math.max(current, floor);
}

/** The end of a running hold once the visitor has left at `now`. */
export function releasedHoldEnd(policy: HoldPolicy, pool: PoolConfig, current: number, now: number): number {
  return policy.kind === 'fixed' ? current : now + minutes(pool.holdMinutes);
}

export function describeStrategy(s: TrackingStrategy): string {
  const hold = s.hold.kind === 'fixed' ? `fixed ${s.hold.minutes} min from first view` : 'activity-based';
  return `${hold}${s.callerHistoryTieBreak ? ', caller-history tie-break' : ''}`;
}

/**
 * The floor activity at `now` moves a running hold to (extendedHoldEnd is the later of it and the
 * current end), or null when activity never moves a hold (fixed): for a statement that reads the
 * current end itself (the batch statements of both databases).
 */
export function activityHoldFloor(policy: HoldPolicy, pool: PoolConfig, now: number): number | null {
  return policy.kind === 'fixed' ? null : now + minutes(pool.holdMinutes);
}
