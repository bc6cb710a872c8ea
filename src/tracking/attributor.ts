import type { CallRecord } from '../calls/call-record.js';
import type { LiveConfig } from '../config/live-config.js';
import type { Database } from '../db/connect.js';
import type { Attribution, AttributionQuery, CallAttributor, Touch } from './attribution-types.js';
import type { CallHistory } from './call-history.js';
import type { HoldRecord, HoldStore } from './hold-store.js';
import { minutes } from './number-allocator.js';
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
}

const DAY_MS = 24 * 60 * 60_000;

/**
 * Which ad made the phone ring: the one answer used by the SIP call path (`attribute`) and
 * by `calltrack attribute` (`explain`, the same computation without side effects).
 */
export class TrackingAttributor implements CallAttributor {
  constructor(private readonly d: AttributorDeps) {}

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
      touch = await this.poolTouch(number, query.at, cfg.tracking.graceMinutes, extendHold);
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

  private async poolTouch(number: TrackingNumber, at: number, graceMinutes: number, extendHold: boolean): Promise<Touch> {
    let hold: HoldRecord | undefined = await this.d.holds.holdAt(this.d.db, number.id, at);
    let late = false;
    if (!hold && graceMinutes > 0) {
      hold = await this.d.holds.lastEndedBetween(this.d.db, number.id, at - minutes(graceMinutes), at);
      late = hold !== undefined;
    }
    if (!hold) return emptyTouch('unattributed', number.poolName);
    const visit = await this.d.visits.findById(this.d.db, hold.visitId);
    if (!visit) return emptyTouch('unattributed', number.poolName);

    const pool = this.d.config.current.pools.find((p) => p.name === number.poolName);
    if (extendHold && !late && pool) {
      const until = Math.max(hold.heldUntil, at + minutes(pool.holdMinutes));
      const holdId = hold.visitId;
      // Only the running hold is extended (setHoldEnd checks the number is still this visit's).
      await this.d.db.transaction((trx) => this.d.holds.setHoldEnd(trx, number.id, holdId, until));
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
      ymClientId: visit.ymClientId,
      gclid: visit.gclid,
      yclid: visit.yclid,
      late,
    };
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
    ymClientId: null,
    gclid: null,
    yclid: null,
    late: false,
  };
}

/** The attribution snapshot a call row carries, as a touch (first touch of a repeat caller). */
export function touchFromCall(call: CallRecord): Touch {
  return {
    type: call.attributionType ?? 'unknown',
    visitId: call.visitId,
    poolName: call.poolName,
    source: call.source,
    medium: call.medium,
    campaign: call.campaign,
    term: call.term,
    content: call.content,
    referrer: call.referrer,
    landingPage: call.landingPage,
    gaClientId: call.gaClientId,
    ymClientId: call.ymClientId,
    gclid: call.gclid,
    yclid: call.yclid,
    late: call.late,
  };
}
