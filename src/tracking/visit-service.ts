import { timeOrderedUuid } from './visit-id.js';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { LiveConfig } from '../config/live-config.js';
import type { CalltrackConfig, PoolConfig } from '../config/schema.js';
import { transactionRetryingConflicts } from '../db/conflict-retry.js';
import type { Database } from '../db/connect.js';
import { NotFoundError } from '../errors.js';
import type { HoldStore } from './hold-store.js';
import type { Allocation, NumberAllocator } from './number-allocator.js';
import type { TrackingNumber } from './number-records.js';
import type { NumberStore } from './number-store.js';
import { classifyPage, newVisitRecord } from './new-visit.js';
import { staticOrNone, type VisitFacts } from './pool-match.js';
import { isBotUserAgent, isDirect, type VisitSource } from './visit-source.js';
import type { VisitObserver } from './visit-metrics.js';
import type { VisitorLocks } from './visitor-locks.js';
import { gaSessionChange, type ShownNumberType, type VisitRecord, type VisitStore } from './visit-store.js';

export interface NewVisitInput {
  visitorId?: string | undefined;
  url: string;
  referrer?: string | undefined;
  gaClientId?: string | undefined;
  gaSessionId?: string | undefined;
  ymClientId?: string | undefined;
  region?: string | undefined;
  userAgent?: string | undefined;
  ip?: string | undefined;
  /** The edge's per-address limit was exceeded: show the fallback, take no pool number. */
  rateLimited?: boolean;
}

export interface ShownNumber {
  visitId: string;
  visitorId: string;
  number: string | null;
  pool: string | null;
  type: ShownNumberType;
  holdUntil: number | null;
}

/** A new visit ready to be written: see VisitService.prepareVisit. */
export interface PreparedVisit {
  cfg: CalltrackConfig;
  source: VisitSource;
  facts: VisitFacts;
  pool: PoolConfig | null;
  isBot: boolean;
  rateLimited: boolean;
  /** The page sent a visitor id and may get a pool number: that visitor may already hold one. */
  mayHold: boolean;
  visit: VisitRecord;
}

/** Runs new visits in shared transactions (group commit, see visit-group-commit.ts). */
export interface NewVisitCommitter {
  submit(visit: PreparedVisit): Promise<ShownNumber>;
}

export interface VisitServiceDeps {
  db: Database;
  config: LiveConfig;
  clock: Clock;
  logger: Logger;
  visits: VisitStore;
  numbers: NumberStore;
  holds: HoldStore;
  allocator: NumberAllocator;
  /** PostgreSQL: lock the visitor's held number while deciding (see HoldStore). */
  lockRows: boolean;
  /** PostgreSQL: one transaction at a time decides a visitor's number, across nodes. */
  visitorLocks: VisitorLocks;
  /** A ping after this long without activity gets 404 and the page starts a new visit. */
  visitExpiryMs?: number;
  /** When set, new visits are written in batches by it instead of one transaction each. */
  groupCommit?: NewVisitCommitter;
  /** Told of each answered visit, ping and release (the /metrics counters). */
  observer?: VisitObserver;
}

export const DEFAULT_VISIT_EXPIRY_MS = 24 * 60 * 60_000;

/**
 * Website visits: which number a visit is shown, and keeping its hold alive while the page is
 * open. Each call is one transaction, so a visit row never exists without its number.
 */
export class VisitService {
  private readonly expiryMs: number;

  constructor(private readonly d: VisitServiceDeps) {
    this.expiryMs = d.visitExpiryMs ?? DEFAULT_VISIT_EXPIRY_MS;
  }

  async startVisit(input: NewVisitInput): Promise<ShownNumber> {
    const prepared = this.prepareVisit(input, this.d.clock.now());
    const shown = this.d.groupCommit
      ? await this.d.groupCommit.submit(prepared)
      : await this.inTransaction((trx) => this.startPrepared(trx, prepared));
    this.d.observer?.visitStarted(shown.pool, shown.type);
    return shown;
  }

  /** A transaction of this service: run again when PostgreSQL aborted it for a deadlock (see transactionRetryingConflicts). */
  inTransaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return transactionRetryingConflicts(this.d.db, this.d.logger, work);
  }

  /**
   * Takes the visitor locks of the visits that may meet a number their visitor holds, all at
   * once in key order: a transaction running several through startPrepared (the group commit's
   * per-visit cases) would otherwise take them in arrival order and could deadlock with another
   * node's doing the same visitors in another order.
   */
  async lockVisitors(trx: Knex.Transaction, visits: readonly PreparedVisit[]): Promise<void> {
    await this.d.visitorLocks.lock(trx, visits.flatMap((p) => (p.pool && p.mayHold ? [p.visit.visitorId] : [])));
  }

  /**
   * Everything about a new visit that needs no database: the source, the pool, bot detection,
   * the new visit row. Bad input throws here, before the visit joins a group commit, so one
   * invalid request never fails the others in its batch.
   */
  prepareVisit(input: NewVisitInput, now: number): PreparedVisit {
    const cfg = this.d.config.current;
    const { source, facts, pool } = classifyPage(cfg.pools, input, 'body.url');
    const isBot = isBotUserAgent(input.userAgent);
    const visitorId = input.visitorId ?? timeOrderedUuid();
    const visit = newVisitRecord(timeOrderedUuid(), visitorId, input, source, facts, isBot, now);
    const rateLimited = input.rateLimited === true;
    const mayHold = pool !== undefined && !isBot && !rateLimited && input.visitorId !== undefined;
    return { cfg, source, facts, pool: pool ?? null, isBot, rateLimited, mayHold, visit };
  }

  /** A prepared visit inside the caller's transaction; `visit.createdAt` is the time of the allocation. */
  async startPrepared(trx: Knex.Transaction, p: PreparedVisit): Promise<ShownNumber> {
    const { cfg, pool, visit, isBot } = p;
    const now = visit.createdAt;
    const visitorId = visit.visitorId;
    if (pool && p.mayHold) {
      // Before anything is read: what another node committed for the visitor is seen.
      await this.d.visitorLocks.lock(trx, [visitorId]);
      const continued = await this.continueVisitor(trx, cfg, pool, visit, p.source);
      if (continued) return continued;
    }
    await this.d.visits.insert(trx, visit);
    let shown: Omit<Allocation, 'type'> & { type: ShownNumberType };
    if (!pool) {
      shown = staticOrNone(cfg.numbers, p.facts);
    } else if (isBot || p.rateLimited) {
      shown = await this.d.allocator.showFallback(trx, pool, visit.id, now, isBot ? 'bot' : 'rate-limited');
    } else {
      shown = await this.d.allocator.allocate(trx, pool, visit.id, now);
    }
    await this.d.visits.setShownNumber(trx, visit.id, { poolName: pool?.name ?? null, number: shown.number, numberType: shown.type });
    return { visitId: visit.id, visitorId, number: shown.number, pool: pool?.name ?? null, type: shown.type, holdUntil: shown.holdUntil };
  }

  /**
   * The same visitor asking again while holding a number keeps it. Without new campaign
   * evidence (a direct return, another tab) it is the same visit; a new ad click starts a new
   * visit and the hold moves to it, so a call is credited to the latest ad (last touch).
   */
  private async continueVisitor(trx: Knex.Transaction, cfg: CalltrackConfig, pool: PoolConfig, visit: VisitRecord, source: VisitSource) {
    const now = visit.createdAt;
    const held = await this.d.holds.heldByVisitor(trx, visit.visitorId, now, this.d.lockRows);
    if (!held?.holdVisitId) return null;
    const heldPool = cfg.pools.find((p) => p.name === held.poolName) ?? pool;
    const previous = await this.d.visits.findById(trx, held.holdVisitId);
    if (previous && isSameCampaign(previous, source)) {
      const until = this.d.allocator.extendedUntil(heldPool, held.holdUntil ?? now, now);
      await this.d.holds.setHoldEnd(trx, held.id, previous.id, until);
      await this.d.visits.recordActivity(trx, previous.id, now, visit.landingUrl, gaSessionChange(previous, visit.gaSessionId));
      return { visitId: previous.id, visitorId: visit.visitorId, number: held.number, pool: heldPool.name, type: 'dynamic' as const, holdUntil: until };
    }
    await this.d.visits.insert(trx, { ...visit, poolName: heldPool.name, number: held.number, numberType: 'dynamic' });
    const shown = await this.d.allocator.handOver(trx, heldPool, held, visit.id, now);
    return { visitId: visit.id, visitorId: visit.visitorId, number: shown.number, pool: heldPool.name, type: 'dynamic' as const, holdUntil: shown.holdUntil };
  }

  /**
   * The page is still open: extend the hold (or regain a number if it lapsed) and record the page,
   * and the GA4 session it is in now (a long visit can outlast a GA session).
   */
  async ping(visitId: string, url?: string, gaSessionId?: string): Promise<{ number: string | null; type: ShownNumberType; holdUntil: number | null }> {
    const cfg = this.d.config.current;
    const now = this.d.clock.now();
    const answer = await this.inTransaction(async (trx) => {
      await this.d.visitorLocks.lockVisitorOf(trx, visitId);
      const visit = await this.liveVisit(trx, visitId, now);
      await this.d.visits.recordActivity(trx, visit.id, now, url ?? null, gaSessionChange(visit, gaSessionId));
      const pool = cfg.pools.find((p) => p.name === visit.poolName);
      if (visit.numberType !== 'dynamic' || !pool || !visit.number) {
        return { number: visit.number, type: visit.numberType, holdUntil: null };
      }
      const current = await this.d.holds.findLocked(trx, visit.number, this.d.lockRows);
      const regained = current ? ((await this.d.allocator.regain(trx, pool, current, visit.id, now)) ?? (await this.visitorStillHolds(trx, pool, current, visit, now))) : null;
      // The number went to someone else while the page slept: the page shows a new one.
      const shown = regained ?? (await this.d.allocator.allocate(trx, pool, visit.id, now));
      if (shown.number !== visit.number || shown.type !== visit.numberType) {
        this.d.logger.debug({ visitId, from: visit.number, to: shown.number }, 'visit lost its number while idle; showing another');
        await this.d.visits.setShownNumber(trx, visit.id, { poolName: pool.name, number: shown.number, numberType: shown.type });
      }
      return { number: shown.number, type: shown.type, holdUntil: shown.holdUntil };
    });
    this.d.observer?.pinged();
    return answer;
  }

  /**
   * A tab still open on an older visit of a visitor whose number a newer visit took over (a new
   * ad click in another tab, continueVisitor's hand-over): the page keeps showing the visitor's
   * number and its activity keeps that hold alive, which stays the newer visit's (the last touch,
   * as a call from either tab is the same visitor's). Otherwise the old tab would take a second
   * number for the same person, and a call read from it would go to the campaign it replaced.
   * Asked only when `regain` could not take the number back (a fixed hold always can).
   */
  private async visitorStillHolds(trx: Knex.Transaction, pool: PoolConfig, number: TrackingNumber, visit: VisitRecord, now: number): Promise<Allocation | null> {
    const holder = number.holdVisitId;
    if (holder === null || number.holdUntil === null || number.holdUntil <= now) return null;
    if ((await this.d.visits.findById(trx, holder))?.visitorId !== visit.visitorId) return null;
    const until = this.d.allocator.extendedUntil(pool, number.holdUntil, now);
    await this.d.holds.setHoldEnd(trx, number.id, holder, until);
    return { type: 'dynamic', number: number.number, holdUntil: until };
  }

  /** The visitor left: the hold now ends `holdMinutes` from now (they may still call). */
  async release(visitId: string): Promise<void> {
    const cfg = this.d.config.current;
    const now = this.d.clock.now();
    await this.inTransaction(async (trx) => {
      await this.d.visitorLocks.lockVisitorOf(trx, visitId);
      const visit = await this.liveVisit(trx, visitId, now);
      const pool = cfg.pools.find((p) => p.name === visit.poolName);
      if (visit.numberType !== 'dynamic' || !visit.number || !pool) return;
      const number = await this.d.numbers.findByNumber(trx, visit.number);
      if (!number || number.holdVisitId !== visit.id || (number.holdUntil ?? 0) <= now) return;
      await this.d.holds.setHoldEnd(trx, number.id, visit.id, this.d.allocator.releasedUntil(pool, number.holdUntil ?? now, now), now);
    });
    this.d.observer?.released();
  }

  async findVisit(visitId: string): Promise<VisitRecord | undefined> {
    return this.d.visits.findById(this.d.db, visitId);
  }

  private async liveVisit(trx: Knex.Transaction, visitId: string, now: number): Promise<VisitRecord> {
    const visit = await this.d.visits.findById(trx, visitId);
    if (!visit) throw new NotFoundError(`visit ${visitId} does not exist: start a new one with POST /v1/visits`);
    if (now - visit.lastSeenAt > this.expiryMs) {
      throw new NotFoundError(`visit ${visitId} expired (no activity for ${Math.round((now - visit.lastSeenAt) / 3_600_000)} h): start a new one`);
    }
    return visit;
  }
}

function isSameCampaign(previous: VisitRecord, next: VisitSource): boolean {
  if (isDirect(next)) return true;
  return previous.source === next.source && previous.medium === next.medium && previous.campaign === next.campaign;
}
