import type { CalltrackConfig } from '../../src/config/schema.js';
import type { Attribution, AttributionQuery, CallAttributor, Touch } from '../../src/tracking/attribution-types.js';

/**
 * TEST SUPPORT ONLY: a CallAttributor backed by the config's static numbers and pools, standing
 * in for the tracking feature's real one (database, visits, holds) until it is merged. Pool
 * numbers are attributed to whatever visit a test put on them with `showTo`; `failWith` makes
 * the next calls throw, as a broken database would.
 */
export class ConfigAttributor implements CallAttributor {
  private readonly holders = new Map<string, Partial<Touch> & { visitId: string }>();
  private readonly callers = new Set<string>();
  failure: Error | undefined;
  calls = 0;
  /** While set, attribute() waits for it: a slow lookup, to CANCEL during. */
  gate: Promise<void> | undefined;

  constructor(private readonly cfg: () => CalltrackConfig) {}

  showTo(number: string, visit: Partial<Touch> & { visitId: string }): void {
    this.holders.set(number, visit);
  }

  async attribute(q: AttributionQuery): Promise<Attribution | null> {
    this.calls++;
    if (this.gate) await this.gate;
    if (this.failure) throw this.failure;
    const cfg = this.cfg();
    const firstCall = q.callerNumber === null || !this.callers.has(q.callerNumber);
    if (q.callerNumber) this.callers.add(q.callerNumber);
    const base = { trackingNumber: q.trackingNumber, trackingNumberId: null, firstCall, firstTouch: null };
    const st = cfg.numbers.find((n) => n.number === q.trackingNumber);
    if (st) {
      return {
        ...emptyTouch('static'), ...base, forwardTo: [...st.forwardTo],
        source: st.source.name, medium: st.source.medium ?? null, campaign: st.source.campaign ?? null, term: st.source.term ?? null,
      };
    }
    const pool = cfg.pools.find((p) => p.numbers.some((n) => n === q.trackingNumber));
    if (pool) {
      const holder = this.holders.get(q.trackingNumber);
      const touch = holder ? { ...emptyTouch('dynamic'), ...holder } : emptyTouch('unattributed');
      return { ...touch, ...base, poolName: pool.name, forwardTo: [...pool.forwardTo] };
    }
    return null;
  }
}

function emptyTouch(type: Touch['type']): Touch {
  return {
    type, visitId: null, poolName: null, source: null, medium: null, campaign: null, term: null, content: null, referrer: null,
    landingPage: null, gaClientId: null, gaSessionId: null, ymClientId: null, gclid: null, yclid: null, late: false,
  };
}
