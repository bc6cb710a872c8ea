import type { CallRecord } from '../calls/call-record.js';
import { isTargetCall, type TargetCallRules } from '../calls/target-call.js';
import type { CalltrackConfig } from '../config/schema.js';
import { callScopedEventId } from './outbox-store.js';

export const GA4_TARGET = 'ga4';
export const GA4_DEFAULT_ENDPOINT = 'https://www.google-analytics.com/mp/collect';
export const GA4_EVENT_NAME = 'phone_call';

export type Ga4Config = NonNullable<CalltrackConfig['analytics']['ga4']>;

export interface Ga4Payload {
  client_id: string;
  timestamp_micros: number;
  events: { name: typeof GA4_EVENT_NAME; params: Record<string, string | number> }[];
}

/**
 * `engagement_time_msec` of every event. Google asks for it "for accurate Realtime reports and
 * engagement metrics", set to the milliseconds since the preceding event; that is on-site time
 * gtag measures in the visitor's browser, which calltrack cannot see (the call is not time on the
 * site). The smallest positive value makes the call count as user activity without adding
 * invented engagement time to the session's averages.
 */
export const GA4_ENGAGEMENT_TIME_MSEC = 1;

/**
 * The Measurement Protocol body for a finished call. Flags are 1/0 so they can be used as
 * metrics as well as dimensions; empty attribution fields are left out.
 *
 * With the visit's GA4 session id the event carries `session_id`: Google then reports it with
 * the online session's source / medium / campaign ("session attribution") if the request comes
 * within 24 hours of the session's start and the event's time lies within the session, so it is
 * stamped with the call's start (when the visitor was still on the site, or just left it), not
 * its end, which a long call can push past the session's 30-minute timeout. Later requests still
 * carry it: Google's requirements say no more than that attribution is not applied then, and
 * Realtime shows an event only with a session id. Without one the event is stamped with the
 * call's end, as before. GA4 accepts events up to 72 hours old, longer than the outbox retries.
 */
export function ga4Payload(call: CallRecord, rules: TargetCallRules): Ga4Payload | null {
  if (!call.gaClientId) return null;
  const params: Record<string, string | number> = {};
  for (const key of ['source', 'medium', 'campaign', 'term'] as const) {
    const value = call[key];
    if (value) params[key] = value.slice(0, 100);
  }
  params.status = call.status;
  params.talk_seconds = Math.round(call.talkSeconds ?? 0);
  params.target = isTargetCall(call, rules) ? 1 : 0;
  params.first_call = call.firstCall ? 1 : 0;
  if (call.gaSessionId) params.session_id = call.gaSessionId;
  params.engagement_time_msec = GA4_ENGAGEMENT_TIME_MSEC;
  const at = call.gaSessionId ? call.startedAt : (call.endedAt ?? call.startedAt);
  return {
    client_id: call.gaClientId,
    timestamp_micros: at * 1000,
    events: [{ name: GA4_EVENT_NAME, params }],
  };
}

/** The secret goes in the URL (as Google wants it) and is read from config at send time, never stored in the outbox. */
export function ga4Url(cfg: Ga4Config): string {
  const url = new URL(cfg.endpoint ?? GA4_DEFAULT_ENDPOINT);
  url.searchParams.set('measurement_id', cfg.measurementId);
  url.searchParams.set('api_secret', cfg.apiSecret);
  return url.toString();
}

/** One GA4 hit per call however often it is published (completed and missed): a fixed id the outbox dedupes on. */
export function ga4EventId(callId: string): string {
  return callScopedEventId(GA4_TARGET, callId);
}
