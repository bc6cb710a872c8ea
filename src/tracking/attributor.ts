import { DAY_MS } from '../clock.js';
import { touchFromCall } from '../calls/call-record.js';
import type { LiveConfig } from '../config/live-config.js';
import type { Database } from '../db/connect.js';
import type { Attribution, AttributionQuery, CallAttributor, Touch } from './attribution-types.js';
import type { CallHistory } from './call-history.js';
import type { HoldRecord, HoldStore } from './hold-store.js';
import { extendedHoldEnd, minutes, PRODUCT_STRATEGY, type TrackingStrategy } from './tracking-strategy.js';
import type { TrackingNumber } from './number-records.js';
import type { NumberStore } from './number-store.js';
import type { VisitStore } from './visit-store.js';

export interface AttributorDeps {
  db: Database;
  config: LiveConfig;
  numbers: NumberStore;
  holds: HoldStore;
  visits: VisitStore;
  calls: CallHistory;
  /** Hold policy and tie-breaks; the product's unless the simulator compares another. */
  strategy?: TrackingStrategy;
}

/** The hold a pool call is credited to (late: it had ended when the call came). */
interface Candidate {
  hold: HoldRecord | null;
  visitId: string;
  late: boolean;
}

/**
 * Which ad made the phone ring: the one answer used by the SIP call path (`attribute`) and
 * by `calltrack attribute` (`explain`, the same computation without side effects).
 */
export class TrackingAttributor implements CallAttributor {
  private readonly strategy: TrackingStrategy;

  constructor(private readonly d: AttributorDeps) {
    this.strategy = d.strategy ?? PRODUCT_STRATEGY;
  }

  /** A real call: also extends the holder's hold, since the visitor may call again. */
  attribute(query: AttributionQuery): Promise<Attribution | null> {
    return this.resolve(query, true);
  }

  /** What a call would be attributed to, changing nothing. */
  explain(query: AttributionQuery): Promise<Attribution | null> {
    return this.resolve(query, false);
  }

  private async resolve(query: AttributionQuery, extendHold: boolean): Promise<Attribution | null> {
    const cfg = this.d.config.current;
    const number = await this.d.numbers.findByNumber(this.d.db, query.trackingNumber);
    if (!number || !number.active) return null;

    let touch: Touch;
    if (number.kind === 'static') {
      touch = {
        ...emptyTouch('static', null),
        source: number.sourceName,
        medium: number.sourceMedium,
        campaign: number.sourceCampaign,
        term: number.sourceTerm,
        content: number.sourceContent,
      };
    } else if (number.kind === 'fallback') {
      touch = emptyTouch('fallback', number.poolName);
    } else {
      touch = await this.poolTouch(number, query, extendHold);
    }

    let firstTouch: Touch | null = null;
    if (query.callerNumber && cfg.tracking.repeatCallDays > 0) {
      const from = query.at - cfg.tracking.repeatCallDays * DAY_MS;
      const first = await this.d.calls.firstCallBetween(this.d.db, query.callerNumber, from, query.at);
      if (first) firstTouch = touchFromCall(first);
    }
    return {
      ...touch,
      trackingNumber: number.number,
      trackingNumberId: number.id,
      forwardTo: number.forwardTo,
      firstCall: firstTouch === null,
      firstTouch,
    };
  }

  private async poolTouch(number: TrackingNumber, query: AttributionQuery, extendHold: boolean): Promise<Touch> {
    const { at, callerNumber } = query;
    const graceMinutes = this.d.config.current.tracking.graceMinutes;
    let candidate: Candidate | null = null;
    const covering = await this.d.holds.holdAt(this.d.db, number.id, at);
    if (covering) candidate = { hold: covering, visitId: covering.visitId, late: false };
    else if (graceMinutes > 0) {
      const ended = await this.d.holds.lastEndedBetween(this.d.db, number.id, at - minutes(graceMinutes), at);
      if (ended) candidate = { hold: ended, visitId: ended.visitId, late: true };
    }
    if (this.strategy.callerHistoryTieBreak && callerNumber) {
      candidate = (await this.byCallerHistory(number, callerNumber, at, graceMinutes, candidate)) ?? candidate;
    }
    if (!candidate) return emptyTouch('unattributed', number.poolName);
    const visit = await this.d.visits.findById(this.d.db, candidate.visitId);
    if (!visit) return emptyTouch('unattributed', number.poolName);

    const pool = this.d.config.current.pools.find((p) => p.name === number.poolName);
    const running = candidate.hold;
    if (extendHold && !candidate.late && pool && running) {
      const until = extendedHoldEnd(this.strategy.hold, pool, running.heldUntil, at);
      // Only the running hold is extended (setHoldEnd checks the number is still this visit's).
      if (until !== running.heldUntil) await this.d.db.transaction((trx) => this.d.holds.setHoldEnd(trx, number.id, running.visitId, until));
    }
    return {
      type: 'dynamic',
      visitId: visit.id,
      poolName: number.poolName,
      source: visit.source,
      medium: visit.medium,
      campaign: visit.campaign,
      term: visit.term,
      content: visit.content,
      referrer: visit.referrer,
      landingPage: visit.landingUrl,
      gaClientId: visit.gaClientId,
      gaSessionId: visit.gaSessionId,
      ymClientId: visit.ymClientId,
      gclid: visit.gclid,
      yclid: visit.yclid,
      late: candidate.late,
    };
  }

  /**
   * A pool number passes from visitor to visitor, so the hold alone can name a stranger: the
   * number's next holder when the caller rings after their hold ended, or whoever holds it days
   * later when they redial from their phone's call log. The caller's earlier calls say which
   * visitor they are: their hold among those on the number within the grace window wins, and
   * failing that, the visit their earlier call on this same number was credited to.
   */
  private async byCallerHistory(number: TrackingNumber, caller: string, at: number, graceMinutes: number, current: Candidate | null): Promise<Candidate | null> {
    const days = this.d.config.current.tracking.repeatCallDays;
    if (days <= 0) return null;
    const history = await this.d.calls.callerVisits(this.d.db, caller, at - days * DAY_MS, at);
    if (history.length === 0) return null;
    const visitors = new Set(history.map((h) => h.visitorId));
    const holders = await this.d.holds.holdersBetween(this.d.db, number.id, at - minutes(graceMinutes), at);
    const own = holders.find((h) => visitors.has(h.visitorId));
    if (own) return { hold: own, visitId: own.visitId, late: own.heldUntil <= at };
    const earlier = history.find((h) => h.trackingNumber === number.number);
    if (!earlier) return null;
    const currentVisitor = current ? holders.find((h) => h.visitId === current.visitId)?.visitorId : undefined;
    if (currentVisitor === earlier.visitorId) return null;
    return { hold: null, visitId: earlier.visitId, late: true };
  }
}

function emptyTouch(type: Touch['type'], poolName: string | null): Touch {
  return {
    type,
    visitId: null,
    poolName,
    source: null,
    medium: null,
    campaign: null,
    term: null,
    content: null,
    referrer: null,
    landingPage: null,
    gaClientId: null,
    gaSessionId: null,
    ymClientId: null,
    gclid: null,
    yclid: null,
    late: false,
  };
}
