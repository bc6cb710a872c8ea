import type { CallRecord } from '../calls/call-record.js';
import { isTargetCall, type TargetCallRules } from '../calls/target-call.js';
import type { CalltrackConfig } from '../config/schema.js';
import type { PostResult } from './http-post.js';
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
 * carry it: the use-case table lists session_id as "Required" for session attribution with the
 * request "<= session start + 24 hours", and as "Not required" for the other uses; nothing there
 * says a late one is refused or harms the event, only that attribution is not applied then, and
 * Realtime shows an event only with a session id. So a hit sent after the window (a late call, an
 * outbox retry) keeps it. Without one the event is stamped with the call's end. How old the
 * event may be when it is sent: see ga4NotSendable.
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

/**
 * How far back GA4 takes an event's time. Google's "Send Measurement Protocol events" guide:
 * events "can be backdated up to 72 hours"; its use-case table asks for timestamp_micros
 * ">= request time minus 72 hours". An older event is not refused: the reference says the
 * Measurement Protocol "does not return an error code if the payload data was malformed, or if
 * the data in the payload was incorrect or was not processed by Google Analytics", so it answers
 * 2xx and the call never shows up. A margin covers the difference between this server's clock
 * and Google's, and the time the request takes.
 */
export const GA4_BACKDATE_LIMIT_MS = 72 * 3_600_000;
const CLOCK_MARGIN_MS = 10 * 60_000;

/** When a stored GA4 hit stops being worth sending (ms since the epoch); null for a body that is not one. */
function ga4SendableUntil(payload: string): number | null {
  try {
    const micros = (JSON.parse(payload) as Partial<Ga4Payload>).timestamp_micros;
    return typeof micros === 'number' ? micros / 1000 + GA4_BACKDATE_LIMIT_MS - CLOCK_MARGIN_MS : null;
  } catch {
    return null;
  }
}

/**
 * The answer for a hit GA4 would silently discard, without sending it: a failure that says what
 * happened, why, and what is left. Null while the hit can still be sent. The outbox retries for
 * 24 hours, so this is reached through `webhooks retry` days later, or a retry that was re-queued
 * shortly before the limit.
 */
export function ga4NotSendable(payload: string, now: number): PostResult | null {
  const until = ga4SendableUntil(payload);
  if (until === null || now <= until) return null;
  return { ok: false, status: null, permanent: true, notSent: true, error: ga4ExpiredError(until) };
}

function ga4ExpiredError(until: number): string {
  const eventAt = new Date(until - GA4_BACKDATE_LIMIT_MS + CLOCK_MARGIN_MS).toISOString();
  return (
    `not sent: the event time (${eventAt}) is more than 72 h ago, and GA4 discards older Measurement Protocol ` +
    'events while still answering 2xx, so it would never show up; `webhooks retry` cannot help. ' +
    'The call is still in calltrack: its reports and `calltrack export calls` (--format csv, or google-ads-clicks for its ad click)'
  );
}
