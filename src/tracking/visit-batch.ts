import { fallbackAllocation } from './number-allocator.js';
import type { PoolEventKind } from './pool-event-store.js';
import { staticOrNone } from './pool-match.js';
import { firstHoldEnd, type HoldPolicy } from './tracking-strategy.js';
import type { PreparedVisit, ShownNumber } from './visit-service.js';
import type { ShownNumberType } from './visit-store.js';

/**
 * Writes one batch of new visits for VisitGroupCommit, atomically: either every visit it
 * answers is committed, or it throws and nothing is. One implementation per database
 * (BulkVisitWriter for SQLite, PgBulkVisitWriter for PostgreSQL); the allocation rules are the
 * same in both (the comment on VISIT_BATCH_SETUP states them).
 */
export interface VisitBatchWriter {
  /**
   * The answers in the batch's order; `undefined` for a visit left to the per-visit path
   * (its visitor holds a number it must hand over to a new campaign or keep from another pool,
   * or asks twice where the statement cannot see its first answer, or another calltrack node is
   * deciding for its visitor at that moment (PostgreSQL), or its pool ran dry in this batch),
   * which the group commit then runs in a transaction of its own.
   */
  write(batch: PreparedVisit[], now: number): Promise<(ShownNumber | undefined)[]>;
  /** Before the database is destroyed. */
  close(): Promise<void>;
}

/** What a visit shows when no pool number is at stake, by the rules of VisitService.startPrepared. */
export interface DecidedInJs {
  type: ShownNumberType;
  number: string | null;
  event?: PoolEventKind;
}

/** The answer without a pool number (no pool, bot, rate-limited); null when the visit wants one. */
export function decidedInJs(p: PreparedVisit): DecidedInJs | null {
  if (!p.pool) return staticOrNone(p.cfg.numbers, p.facts);
  if (p.isBot || p.rateLimited) return { ...fallbackAllocation(p.pool), event: p.isBot ? 'bot' : 'rate-limited' };
  return null;
}

/**
 * Where the holds of a batch end, per pool: the batch has one `now`, so every hold taken in it
 * ends at the same time within a pool (as NumberAllocator.allocate would compute one by one).
 */
export class HoldEnds {
  private readonly byPool = new Map<string, number>();

  constructor(
    private readonly policy: HoldPolicy,
    private readonly now: number,
  ) {}

  of(pool: NonNullable<PreparedVisit['pool']>): number {
    let until = this.byPool.get(pool.name);
    if (until === undefined) this.byPool.set(pool.name, (until = firstHoldEnd(this.policy, pool, this.now)));
    return until;
  }

  /** The end already computed for the pool, if any visit of the batch wanted one of its numbers. */
  known(poolName: string | undefined): number | null {
    return poolName === undefined ? null : (this.byPool.get(poolName) ?? null);
  }
}

/** The answer for a visit written by a batch; `visitId` is the held visit when the visitor went on with it. */
export function shownFor(p: PreparedVisit, type: ShownNumberType, number: string | null, holdUntil: number | null, visitId = p.visit.id): ShownNumber {
  return { visitId, visitorId: p.visit.visitorId, pool: p.pool?.name ?? null, type, number, holdUntil };
}
