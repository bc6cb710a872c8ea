import type { Logger } from 'pino';
import { targetsAt, type HoursDecision } from '../calls/after-hours.js';
import type { CalltrackConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { Attribution, AttributionType, CallAttributor } from '../tracking/attribution-types.js';

/** Where a call goes and what we know about why it came. */
export interface CallRoute {
  attribution: Attribution;
  /** True when the attributor failed and the route came from the config alone. */
  degraded: boolean;
  /** What the number's business-hours schedule said (null: no schedule); forwardTo already follows it. */
  hours: HoursDecision | null;
}

/**
 * Attribution first; when it throws (database down, a bug), the config still knows every
 * tracking number's targets, so the call is forwarded anyway with what the config says about
 * its source. A caller must never hear a failure because attribution had one.
 * Returns null for a number we do not track (the caller then gets sip.unknownNumber).
 */
export async function routeCall(
  cfg: CalltrackConfig,
  attributor: CallAttributor | undefined,
  query: { trackingNumber: string; callerNumber: string | null; at: number },
  logger: Logger,
): Promise<CallRoute | null> {
  if (attributor) {
    try {
      const attribution = await attributor.attribute(query);
      if (attribution && attribution.forwardTo.length > 0) return scheduled(cfg, attribution, false, query.at, logger);
      if (attribution) logger.warn({ number: query.trackingNumber }, 'tracking number has no forward targets; using the config');
      else return unknownNumberRoute(cfg, query.trackingNumber);
    } catch (err) {
      logger.error({ err: errorMessage(err), number: query.trackingNumber }, 'attribution failed; forwarding from the config without attribution');
    }
  }
  const fromConfig = routeFromConfig(cfg, query.trackingNumber);
  if (fromConfig) return scheduled(cfg, fromConfig, true, query.at, logger);
  return unknownNumberRoute(cfg, query.trackingNumber);
}

/**
 * Business hours: decided once per call, at its start, from the same config snapshot as the
 * rest of the call; the attribution's forwardTo becomes the list the call is actually sent to.
 */
function scheduled(cfg: CalltrackConfig, attribution: Attribution, degraded: boolean, at: number, logger: Logger): CallRoute {
  const { forwardTo, hours } = targetsAt(cfg, attribution.trackingNumber, attribution.forwardTo, at);
  if (hours) {
    const { schedule, afterHours, localTime, reason } = hours;
    logger.info({ schedule, afterHours, localTime, reason, forwardTo }, afterHours ? 'after hours: forwarding to afterHoursForwardTo' : 'business hours: forwarding to forwardTo');
  }
  return { attribution: { ...attribution, forwardTo }, degraded, hours };
}

function unknownNumberRoute(cfg: CalltrackConfig, trackingNumber: string): CallRoute | null {
  const policy = cfg.sip.unknownNumber;
  if (policy === 'reject') return null;
  return { attribution: emptyAttribution(trackingNumber, 'unknown', [policy.forwardTo]), degraded: false, hours: null };
}

/** The config's own answer: a static number's source, or a pool number without a visit. */
export function routeFromConfig(cfg: CalltrackConfig, trackingNumber: string): Attribution | null {
  const staticNumber = cfg.numbers.find((n) => n.number === trackingNumber);
  if (staticNumber) {
    const s = staticNumber.source;
    return {
      ...emptyAttribution(trackingNumber, 'static', asList(staticNumber.forwardTo)),
      source: s.name,
      medium: s.medium ?? null,
      campaign: s.campaign ?? null,
      term: s.term ?? null,
      content: s.content ?? null,
    };
  }
  const pool = cfg.pools.find((p) => p.numbers.some((n) => n === trackingNumber) || p.fallbackNumber === trackingNumber);
  if (pool) {
    const type: AttributionType = pool.fallbackNumber === trackingNumber ? 'fallback' : 'unattributed';
    return { ...emptyAttribution(trackingNumber, type, asList(pool.forwardTo)), poolName: pool.name };
  }
  return null;
}

function asList(forwardTo: string | readonly string[]): string[] {
  return typeof forwardTo === 'string' ? [forwardTo] : [...forwardTo];
}

export function emptyAttribution(trackingNumber: string, type: AttributionType, forwardTo: string[]): Attribution {
  return {
    type, trackingNumber, trackingNumberId: null, forwardTo, firstCall: true, firstTouch: null, visitId: null, poolName: null,
    source: null, medium: null, campaign: null, term: null, content: null, referrer: null, landingPage: null,
    gaClientId: null, gaSessionId: null, ymClientId: null, gclid: null, yclid: null, late: false,
  };
}
